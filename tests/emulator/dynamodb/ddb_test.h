/*
 * ddb_test.h: small helpers shared by the DynamoDB request tests: call an
 * operation by name, build bodies with printf, read error types.
 */
#ifndef STRATUS_DDB_TEST_H
#define STRATUS_DDB_TEST_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <criterion/criterion.h>

#include "ts.h"

/* Call DynamoDB operation `op` with `body`; the caller frees the result. */
static inline cJSON *ddb_call(stratus *srv, const char *op, const char *body,
                              int *status)
{
    char target[128];
    snprintf(target, sizeof target, "DynamoDB_20120810.%s", op);
    int st = 0;
    cJSON *resp = ts_call(srv, target, body, &st);
    if (status)
        *status = st;
    cr_assert_not_null(resp, "%s returned no JSON body", op);
    return resp;
}

/* Same, with the body built by printf. */
static inline cJSON *ddb_callf(stratus *srv, const char *op, int *status,
                               const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static inline cJSON *ddb_callf(stratus *srv, const char *op, int *status,
                               const char *fmt, ...)
{
    char body[16384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(body, sizeof body, fmt, ap);
    va_end(ap);
    return ddb_call(srv, op, body, status);
}

/* Call an operation that must succeed and discard the response. */
static inline void ddb_ok(stratus *srv, const char *op, const char *body)
{
    int status = 0;
    cJSON *resp = ddb_call(srv, op, body, &status);
    char *text = cJSON_PrintUnformatted(resp);
    cr_assert_eq(status, 200, "%s failed: %s", op, text);
    free(text);
    cJSON_Delete(resp);
}

/* The error type of a response without the service prefix, or "". */
static inline const char *ddb_error_type(const cJSON *resp)
{
    const char *type =
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(resp, "__type"));
    if (!type)
        return "";
    const char *hash = strchr(type, '#');
    return hash ? hash + 1 : type;
}

static inline const char *ddb_error_message(const cJSON *resp)
{
    const char *m =
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(resp, "message"));
    return m ? m : "";
}

/* A table "t" with PK (S, HASH) and SK (S, RANGE), on demand. */
static inline void ddb_create_pk_sk(stratus *srv, const char *name)
{
    char body[1024];
    snprintf(body, sizeof body,
             "{\"TableName\":\"%s\",\"BillingMode\":\"PAY_PER_REQUEST\","
             "\"AttributeDefinitions\":[{\"AttributeName\":\"PK\","
             "\"AttributeType\":\"S\"},{\"AttributeName\":\"SK\","
             "\"AttributeType\":\"S\"}],\"KeySchema\":[{\"AttributeName\":"
             "\"PK\",\"KeyType\":\"HASH\"},{\"AttributeName\":\"SK\","
             "\"KeyType\":\"RANGE\"}]}",
             name);
    ddb_ok(srv, "CreateTable", body);
}

/* The CollectIQ cards table: PK/SK, GSI1 (userId, createdAt), GSI2
 * (setRarity, valueMedian N) and CardIdIndex (cardId), on demand. */
static inline void ddb_create_cards(stratus *srv)
{
    ddb_ok(srv, "CreateTable",
           "{\"TableName\":\"cards\",\"BillingMode\":\"PAY_PER_REQUEST\","
           "\"AttributeDefinitions\":["
           "{\"AttributeName\":\"PK\",\"AttributeType\":\"S\"},"
           "{\"AttributeName\":\"SK\",\"AttributeType\":\"S\"},"
           "{\"AttributeName\":\"cardId\",\"AttributeType\":\"S\"},"
           "{\"AttributeName\":\"userId\",\"AttributeType\":\"S\"},"
           "{\"AttributeName\":\"createdAt\",\"AttributeType\":\"S\"},"
           "{\"AttributeName\":\"setRarity\",\"AttributeType\":\"S\"},"
           "{\"AttributeName\":\"valueMedian\",\"AttributeType\":\"N\"}],"
           "\"KeySchema\":[{\"AttributeName\":\"PK\",\"KeyType\":\"HASH\"},"
           "{\"AttributeName\":\"SK\",\"KeyType\":\"RANGE\"}],"
           "\"GlobalSecondaryIndexes\":["
           "{\"IndexName\":\"CardIdIndex\",\"KeySchema\":[{\"AttributeName\":"
           "\"cardId\",\"KeyType\":\"HASH\"}],\"Projection\":"
           "{\"ProjectionType\":\"ALL\"}},"
           "{\"IndexName\":\"GSI1\",\"KeySchema\":[{\"AttributeName\":"
           "\"userId\",\"KeyType\":\"HASH\"},{\"AttributeName\":"
           "\"createdAt\",\"KeyType\":\"RANGE\"}],\"Projection\":"
           "{\"ProjectionType\":\"ALL\"}},"
           "{\"IndexName\":\"GSI2\",\"KeySchema\":[{\"AttributeName\":"
           "\"setRarity\",\"KeyType\":\"HASH\"},{\"AttributeName\":"
           "\"valueMedian\",\"KeyType\":\"RANGE\"}],\"Projection\":"
           "{\"ProjectionType\":\"ALL\"}}]}");
}

#endif
