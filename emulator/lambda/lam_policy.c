/*
 * lam_policy.c: a function's resource-based policy: AddPermission,
 * GetPolicy and RemovePermission. Statements are stored with the function
 * and rendered as AWS renders them; error texts are those AWS returned in
 * LocalStack's AWS-validated snapshot test_lambda_api.snapshot.json
 * (November 2025).
 *
 * Stratus stores the policy but does not enforce it yet. Not supported:
 * policies on versions and aliases, and FunctionUrlAuthType conditions.
 */
#include "lam_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

/* The function of the path, with its stored statements (an array). */
static int lam_policy_load(aws_request *req, char *name, size_t size,
                           cJSON **statements, char *arn, size_t arn_size,
                           aws_error *err)
{
    const cJSON *fn =
        cJSON_GetObjectItemCaseSensitive(req->params, "FunctionName");
    lam_function f;
    *statements = NULL;
    if (!cJSON_IsString(fn) ||
        lam__function_name(fn->valuestring, req->region, req->account, name,
                           size, err) != 0 ||
        lam__function_load(req->srv, req->account, req->region, name, &f,
                           err) != 0)
        return -1;
    lam__function_free(&f);
    lam__function_arn(req->region, req->account, name, arn, arn_size);

    sqlite3_stmt *s =
        store_stmt(req->srv->store, "SELECT policy FROM lam_function"
                                    " WHERE account = ?1 AND region = ?2"
                                    " AND name = ?3");
    sqlite3_bind_text(s, 1, req->account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, req->region, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, name, -1, SQLITE_STATIC);
    if (sqlite3_step(s) == SQLITE_ROW)
        *statements = cJSON_Parse((const char *)sqlite3_column_text(s, 0));
    sqlite3_reset(s);
    if (!cJSON_IsArray(*statements)) {
        cJSON_Delete(*statements);
        *statements = cJSON_CreateArray();
    }
    return 0;
}

/* Store the statements and give the function a new RevisionId, which is
 * also the policy's, into `revision`. */
static int lam_policy_save(aws_request *req, const char *name,
                           const cJSON *statements, char revision[37],
                           aws_error *err)
{
    char *text = cJSON_PrintUnformatted(statements);
    util_uuid4(revision);
    sqlite3_stmt *s = store_stmt(
        req->srv->store, "UPDATE lam_function SET policy = ?4,"
                         " config = json_set(config, '$.RevisionId', ?5)"
                         " WHERE account = ?1 AND region = ?2 AND name = ?3");
    sqlite3_bind_text(s, 1, req->account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, req->region, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, text, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 5, revision, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    free(text);
    if (rc != SQLITE_DONE)
        return aws_fail(err, AWS_ERR_INTERNAL_SERVER_ERROR,
                        "cannot store the policy of %s: %s", name,
                        sqlite3_errmsg(store_db(req->srv->store)));
    return 0;
}

static int lam_required(const cJSON *body, const char *member,
                        const char *wire_name, aws_error *err)
{
    if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(body, member)))
        return 0;
    return aws_fail(err, AWS_ERR_VALIDATION,
                    "1 validation error detected: Value null at '%s' failed "
                    "to satisfy constraint: Member must not be null",
                    wire_name);
}

/* AWS's rendering of a Principal: a service, an account root or "*". */
static cJSON *lam_principal(const char *principal)
{
    if (strcmp(principal, "*") == 0)
        return cJSON_CreateString("*");
    cJSON *out = cJSON_CreateObject();
    size_t len = strlen(principal);
    int account = len == 12;
    for (size_t i = 0; account && i < len; i++)
        account = isdigit((unsigned char)principal[i]);
    if (account) {
        char arn[64];
        snprintf(arn, sizeof arn, "arn:aws:iam::%s:root", principal);
        cJSON_AddStringToObject(out, "AWS", arn);
    } else if (strstr(principal, ".amazonaws.com")) {
        cJSON_AddStringToObject(out, "Service", principal);
    } else {
        cJSON_AddStringToObject(out, "AWS", principal);
    }
    return out;
}

static cJSON *lam_statement(const cJSON *body, const char *arn)
{
    const char *sid =
        cJSON_GetObjectItemCaseSensitive(body, "StatementId")->valuestring;
    const char *action =
        cJSON_GetObjectItemCaseSensitive(body, "Action")->valuestring;
    const char *principal =
        cJSON_GetObjectItemCaseSensitive(body, "Principal")->valuestring;
    const cJSON *source_arn =
        cJSON_GetObjectItemCaseSensitive(body, "SourceArn");
    const cJSON *source_account =
        cJSON_GetObjectItemCaseSensitive(body, "SourceAccount");
    const cJSON *org = cJSON_GetObjectItemCaseSensitive(body, "PrincipalOrgID");

    cJSON *st = cJSON_CreateObject();
    cJSON_AddStringToObject(st, "Sid", sid);
    cJSON_AddStringToObject(st, "Effect", "Allow");
    cJSON_AddItemToObject(st, "Principal", lam_principal(principal));
    cJSON_AddStringToObject(st, "Action", action);
    cJSON_AddStringToObject(st, "Resource", arn);

    cJSON *condition = cJSON_CreateObject();
    if (cJSON_IsString(source_account) || cJSON_IsString(org)) {
        cJSON *equals = cJSON_AddObjectToObject(condition, "StringEquals");
        if (cJSON_IsString(source_account))
            cJSON_AddStringToObject(equals, "AWS:SourceAccount",
                                    source_account->valuestring);
        if (cJSON_IsString(org))
            cJSON_AddStringToObject(equals, "aws:PrincipalOrgID",
                                    org->valuestring);
    }
    if (cJSON_IsString(source_arn)) {
        cJSON *like = cJSON_AddObjectToObject(condition, "ArnLike");
        cJSON_AddStringToObject(like, "AWS:SourceArn", source_arn->valuestring);
    }
    if (condition->child)
        cJSON_AddItemToObject(st, "Condition", condition);
    else
        cJSON_Delete(condition);
    return st;
}

static const cJSON *lam_find_sid(const cJSON *statements, const char *sid)
{
    const cJSON *st;
    cJSON_ArrayForEach(st, statements)
    {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(st, "Sid");
        if (cJSON_IsString(v) && strcmp(v->valuestring, sid) == 0)
            return st;
    }
    return NULL;
}

cJSON *lam_op_add_permission(aws_request *req, aws_error *err)
{
    char name[72], arn[256], revision[37];
    cJSON *statements = NULL;
    if (lam_required(req->body, "StatementId", "statementId", err) != 0 ||
        lam_required(req->body, "Action", "action", err) != 0 ||
        lam_required(req->body, "Principal", "principal", err) != 0 ||
        lam_policy_load(req, name, sizeof name, &statements, arn, sizeof arn,
                        err) != 0)
        return NULL;

    const cJSON *expected =
        cJSON_GetObjectItemCaseSensitive(req->body, "RevisionId");
    if (cJSON_IsString(expected)) {
        lam_function f;
        lam__function_load(req->srv, req->account, req->region, name, &f, err);
        const cJSON *current =
            cJSON_GetObjectItemCaseSensitive(f.config, "RevisionId");
        int differs = !cJSON_IsString(current) ||
                      strcmp(current->valuestring, expected->valuestring) != 0;
        lam__function_free(&f);
        if (differs) {
            cJSON_Delete(statements);
            return aws_fail(err, AWS_ERR_PRECONDITION_FAILED,
                            "The Revision Id provided does not match the "
                            "latest Revision Id. Call the GetPolicy API to "
                            "retrieve the latest Revision Id"),
                   NULL;
        }
    }
    const char *sid =
        cJSON_GetObjectItemCaseSensitive(req->body, "StatementId")->valuestring;
    if (lam_find_sid(statements, sid)) {
        cJSON_Delete(statements);
        return aws_fail(err, AWS_ERR_RESOURCE_CONFLICT,
                        "The statement id (%s) provided already exists. "
                        "Please provide a new statement id, or remove the "
                        "existing statement.",
                        sid),
               NULL;
    }
    cJSON *st = lam_statement(req->body, arn);
    cJSON_AddItemToArray(statements, cJSON_Duplicate(st, 1));
    int rc = lam_policy_save(req, name, statements, revision, err);
    cJSON_Delete(statements);
    if (rc != 0) {
        cJSON_Delete(st);
        return NULL;
    }

    /* The API returns the statement as a JSON string. */
    cJSON *out = cJSON_CreateObject();
    char *text = cJSON_PrintUnformatted(st);
    cJSON_AddStringToObject(out, "Statement", text);
    free(text);
    cJSON_Delete(st);
    req->status = 201;
    return out;
}

cJSON *lam_op_get_policy(aws_request *req, aws_error *err)
{
    char name[72], arn[256];
    cJSON *statements = NULL;
    if (lam_policy_load(req, name, sizeof name, &statements, arn, sizeof arn,
                        err) != 0)
        return NULL;
    if (cJSON_GetArraySize(statements) == 0) {
        cJSON_Delete(statements);
        aws_fail(err, AWS_ERR_RESOURCE_NOT_FOUND,
                 "The resource you requested does not exist.");
        err->status = 404;
        return NULL;
    }

    cJSON *policy = cJSON_CreateObject();
    cJSON_AddStringToObject(policy, "Version", "2012-10-17");
    cJSON_AddStringToObject(policy, "Id", "default");
    cJSON_AddItemToObject(policy, "Statement", statements);
    char *text = cJSON_PrintUnformatted(policy);
    cJSON_Delete(policy);

    lam_function f;
    lam__function_load(req->srv, req->account, req->region, name, &f, err);
    const cJSON *revision =
        cJSON_GetObjectItemCaseSensitive(f.config, "RevisionId");
    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "Policy", text);
    if (cJSON_IsString(revision))
        cJSON_AddStringToObject(out, "RevisionId", revision->valuestring);
    lam__function_free(&f);
    free(text);
    return out;
}

cJSON *lam_op_remove_permission(aws_request *req, aws_error *err)
{
    char name[72], arn[256], revision[37];
    cJSON *statements = NULL;
    const cJSON *sid =
        cJSON_GetObjectItemCaseSensitive(req->params, "StatementId");
    if (lam_policy_load(req, name, sizeof name, &statements, arn, sizeof arn,
                        err) != 0)
        return NULL;
    if (cJSON_GetArraySize(statements) == 0) {
        cJSON_Delete(statements);
        aws_fail(err, AWS_ERR_RESOURCE_NOT_FOUND,
                 "No policy is associated with the given resource.");
        err->status = 404;
        return NULL;
    }
    const cJSON *found = lam_find_sid(statements, sid->valuestring);
    if (!found) {
        cJSON_Delete(statements);
        aws_fail(err, AWS_ERR_RESOURCE_NOT_FOUND,
                 "Statement %s is not found in resource policy.",
                 sid->valuestring);
        err->status = 404;
        return NULL;
    }
    cJSON_Delete(cJSON_DetachItemViaPointer(statements, (cJSON *)found));
    int rc = lam_policy_save(req, name, statements, revision, err);
    cJSON_Delete(statements);
    if (rc != 0)
        return NULL;
    req->status = 204;
    req->raw_body = xstrdup("");
    return cJSON_CreateObject();
}
