/*
 * test_ddb_decode.c: request members of the wrong JSON type, and Time to
 * Live expiry that a far-future item must not hold back.
 */
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "ts.h"

static cJSON *call(stratus *srv, const char *op, const char *body, int *status)
{
    char target[96];
    snprintf(target, sizeof target, "DynamoDB_20120810.%s", op);
    return ts_call(srv, target, body, status);
}

static void ok(stratus *srv, const char *op, const char *body)
{
    int status;
    cJSON *r = call(srv, op, body, &status);
    cr_assert_eq(status, 200, "%s: %s", op, cJSON_PrintUnformatted(r));
    cJSON_Delete(r);
}

static void expect_serialization(stratus *srv, const char *op, const char *body,
                                 const char *message)
{
    int status;
    cJSON *r = call(srv, op, body, &status);
    cr_assert_eq(status, 400);
    cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(r, "__type")->valuestring,
                     "com.amazon.coral.service#SerializationException");
    cr_assert_str_eq(
        cJSON_GetObjectItemCaseSensitive(r, "message")->valuestring, message);
    cJSON_Delete(r);
}

static void create_table(stratus *srv, const char *name)
{
    char body[512];
    snprintf(body, sizeof body,
             "{\"TableName\":\"%s\",\"KeySchema\":[{\"AttributeName\":\"id\","
             "\"KeyType\":\"HASH\"}],\"AttributeDefinitions\":[{"
             "\"AttributeName\":\"id\",\"AttributeType\":\"S\"}],"
             "\"BillingMode\":\"PAY_PER_REQUEST\"}",
             name);
    ok(srv, "CreateTable", body);
}

Test(ddb_decode, string_limit_is_serialization_error)
{
    stratus *srv = ts_new();
    create_table(srv, "decode");
    expect_serialization(srv, "Scan",
                         "{\"TableName\":\"decode\",\"Limit\":"
                         "\"x\"}",
                         "STRING_VALUE cannot be converted to Integer");
    expect_serialization(srv, "ListTables", "{\"Limit\":true}",
                         "TRUE_VALUE cannot be converted to Integer");
    ts_free(srv);
}

Test(ddb_decode, string_boolean_is_serialization_error)
{
    stratus *srv = ts_new();
    create_table(srv, "decode");
    expect_serialization(
        srv, "Query",
        "{\"TableName\":\"decode\",\"KeyConditionExpression\":\"id = :v\","
        "\"ExpressionAttributeValues\":{\":v\":{\"S\":\"a\"}},"
        "\"ScanIndexForward\":\"false\"}",
        "STRING_VALUE cannot be converted to Boolean");
    expect_serialization(srv, "ListTables", "{\"ExclusiveStartTableName\":5}",
                         "NUMBER_VALUE cannot be converted to String");
    ts_free(srv);
}

Test(ddb_decode, null_member_counts_as_absent)
{
    stratus *srv = ts_new();
    create_table(srv, "decode");
    ok(srv, "Scan", "{\"TableName\":\"decode\",\"Limit\":null}");
    ok(srv, "ListTables", "{\"Limit\":null,\"ExclusiveStartTableName\":null}");
    ts_free(srv);
}

Test(ddb_decode, far_future_ttl_does_not_block_expiry)
{
    stratus *srv = ts_new();
    int status;
    char body[512];
    create_table(srv, "ttl");
    ok(srv, "UpdateTimeToLive",
       "{\"TableName\":\"ttl\",\"TimeToLiveSpecification\":{\"Enabled\":"
       "true,\"AttributeName\":\"exp\"}}");
    int64_t now_ms = clock_now_ms(&srv->clock);
    /* Milliseconds where seconds belong: expires in about the year 58,000. */
    snprintf(body, sizeof body,
             "{\"TableName\":\"ttl\",\"Item\":{\"id\":{\"S\":\"millis\"},"
             "\"exp\":{\"N\":\"%lld\"}}}",
             (long long)now_ms);
    ok(srv, "PutItem", body);
    snprintf(body, sizeof body,
             "{\"TableName\":\"ttl\",\"Item\":{\"id\":{\"S\":\"soon\"},"
             "\"exp\":{\"N\":\"%lld\"}}}",
             (long long)(now_ms / 1000 + 2));
    ok(srv, "PutItem", body);

    /* Expired items stay readable for five minutes at least. */
    clock_advance_to(&srv->clock, now_ms + 2000 + 5 * 60 * 1000 + 1000);
    cr_assert_geq(jobs_run_due(srv->jobs), 1);
    stratus_turn_end(srv);
    cJSON *r = call(srv, "GetItem",
                    "{\"TableName\":\"ttl\",\"Key\":{\"id\":{\"S\":\"soon\"}}}",
                    &status);
    cr_assert_eq(status, 200);
    cr_assert_null(cJSON_GetObjectItemCaseSensitive(r, "Item"),
                   "the expired item is still there");
    cJSON_Delete(r);
    ts_free(srv);
}
