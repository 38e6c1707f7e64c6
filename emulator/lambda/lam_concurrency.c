/*
 * lam_concurrency.c: PutFunctionConcurrency, GetFunctionConcurrency and
 * DeleteFunctionConcurrency. A function's reserved concurrency caps how
 * many of its invocations run at once: a synchronous invocation beyond it
 * fails with TooManyRequestsException, and an asynchronous one waits in
 * the queue, as AWS retries throttled events. Reserving 0 throttles every
 * invocation.
 *
 * AWS's default account limit is 1,000 concurrent executions, of which
 * 100 must stay unreserved, so all functions of an account together may
 * reserve 900. Error texts are those AWS returned in LocalStack's
 * AWS-validated snapshot test_lambda_api.snapshot.json (November 2025).
 */
#include "lam_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

#define LAM_ACCOUNT_CONCURRENCY 1000
#define LAM_MIN_UNRESERVED 100

/* The unqualified function the path names, into `name`. */
static int lam_concurrency_function(aws_request *req, char *name, size_t size,
                                    aws_error *err)
{
    const cJSON *function =
        cJSON_GetObjectItemCaseSensitive(req->params, "FunctionName");
    const char *text = cJSON_IsString(function) ? function->valuestring : "";
    /* A qualified ARN has a ninth field after "function:NAME". */
    const char *at = strstr(text, ":function:");
    if (at && strchr(at + strlen(":function:"), ':'))
        return aws_fail(err, AWS_ERR_INVALID_PARAMETER_VALUE,
                        "This operation is permitted on Lambda functions "
                        "only. Aliases and versions do not support this "
                        "operation. Please specify either a function name or "
                        "an unqualified function ARN.");
    if (lam__function_name(text, req->region, req->account, name, size, err) !=
        0)
        return -1;
    lam_function f;
    if (lam__function_load(req->srv, req->account, req->region, name, &f,
                           err) != 0)
        return -1;
    lam__function_free(&f);
    return 0;
}

void lam__concurrency_set(stratus *srv, const char *account, const char *region,
                          const char *name, int reserved)
{
    sqlite3_stmt *s =
        store_stmt(srv->store, "UPDATE lam_function SET reserved = ?4"
                               " WHERE account = ?1 AND region = ?2"
                               " AND name = ?3");
    sqlite3_bind_text(s, 1, account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, region, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, name, -1, SQLITE_STATIC);
    if (reserved >= 0)
        sqlite3_bind_int(s, 4, reserved);
    else
        sqlite3_bind_null(s, 4);
    sqlite3_step(s);
    sqlite3_reset(s);
    lam__runtime_set_reserved(srv, account, region, name, reserved);
}

/* The concurrency the account's other functions reserve. */
static long lam_reserved_elsewhere(aws_request *req, const char *name)
{
    sqlite3_stmt *s = store_stmt(
        req->srv->store, "SELECT coalesce(sum(reserved), 0) FROM lam_function"
                         " WHERE account = ?1 AND region = ?2 AND name != ?3");
    sqlite3_bind_text(s, 1, req->account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, req->region, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, name, -1, SQLITE_STATIC);
    long total = 0;
    if (sqlite3_step(s) == SQLITE_ROW)
        total = (long)sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    return total;
}

cJSON *lam_op_put_function_concurrency(aws_request *req, aws_error *err)
{
    char name[72];
    if (lam_concurrency_function(req, name, sizeof name, err) != 0)
        return NULL;
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(
        req->body, "ReservedConcurrentExecutions");
    if (!cJSON_IsNumber(value)) {
        aws_fail(err, AWS_ERR_VALIDATION,
                 "1 validation error detected: Value null at "
                 "'reservedConcurrentExecutions' failed to satisfy "
                 "constraint: Member must not be null");
        return NULL;
    }
    if (value->valuedouble < 0 ||
        value->valuedouble != (double)value->valueint) {
        aws_fail(err, AWS_ERR_VALIDATION,
                 "1 validation error detected: Value '%g' at "
                 "'reservedConcurrentExecutions' failed to satisfy "
                 "constraint: Member must have value greater than or equal "
                 "to 0",
                 value->valuedouble);
        return NULL;
    }
    int reserved = value->valueint;
    if ((long)reserved + lam_reserved_elsewhere(req, name) >
        LAM_ACCOUNT_CONCURRENCY - LAM_MIN_UNRESERVED) {
        aws_fail(err, AWS_ERR_INVALID_PARAMETER_VALUE,
                 "Specified ReservedConcurrentExecutions for function "
                 "decreases account's UnreservedConcurrentExecution below "
                 "its minimum value of [%d].",
                 LAM_MIN_UNRESERVED);
        return NULL;
    }
    lam__concurrency_set(req->srv, req->account, req->region, name, reserved);
    cJSON *out = cJSON_CreateObject();
    cJSON_AddNumberToObject(out, "ReservedConcurrentExecutions", reserved);
    return out;
}

cJSON *lam_op_get_function_concurrency(aws_request *req, aws_error *err)
{
    char name[72];
    if (lam_concurrency_function(req, name, sizeof name, err) != 0)
        return NULL;
    lam_function f;
    if (lam__function_load(req->srv, req->account, req->region, name, &f,
                           err) != 0)
        return NULL;
    cJSON *out = cJSON_CreateObject();
    if (f.reserved >= 0)
        cJSON_AddNumberToObject(out, "ReservedConcurrentExecutions",
                                f.reserved);
    lam__function_free(&f);
    return out;
}

cJSON *lam_op_delete_function_concurrency(aws_request *req, aws_error *err)
{
    char name[72];
    if (lam_concurrency_function(req, name, sizeof name, err) != 0)
        return NULL;
    lam__concurrency_set(req->srv, req->account, req->region, name, -1);
    req->status = 204;
    req->raw_body = xstrdup("");
    return cJSON_CreateObject();
}
