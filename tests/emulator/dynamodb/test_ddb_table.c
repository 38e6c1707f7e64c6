/*
 * test_ddb_table.c: table operations through the dispatcher: CreateTable
 * checks, DescribeTable, ListTables paging, UpdateTable GSI backfill,
 * DeleteTable, TTL settings and the sweep job, tags, and the
 * AWS::DynamoDB::Table stack type.
 */
#include <string.h>

#include <cjson/cJSON.h>
#include <criterion/criterion.h>

#include "clock.h"
#include "ddb.h"
#include "ddb_test.h"
#include "jobs.h"
#include "store.h"
#include "ts.h"

static const cJSON *at(const cJSON *obj, const char *name)
{
    return cJSON_GetObjectItemCaseSensitive(obj, name);
}

Test(ddb_table, describe_reports_counts_and_arn)
{
    stratus *srv = ts_new();
    ddb_create_cards(srv);
    ddb_ok(srv, "PutItem",
           "{\"TableName\":\"cards\",\"Item\":{\"PK\":{\"S\":\"a\"},\"SK\":"
           "{\"S\":\"b\"},\"userId\":{\"S\":\"u\"},\"createdAt\":{\"S\":"
           "\"t\"}}}");
    int status;
    cJSON *resp =
        ddb_call(srv, "DescribeTable", "{\"TableName\":\"cards\"}", &status);
    cr_assert_eq(status, 200);
    const cJSON *t = at(resp, "Table");
    cr_assert_str_eq(cJSON_GetStringValue(at(t, "TableStatus")), "ACTIVE");
    cr_assert_str_eq(cJSON_GetStringValue(at(t, "TableArn")),
                     "arn:aws:dynamodb:us-east-1:123456789012:table/cards");
    cr_assert_eq(cJSON_GetNumberValue(at(t, "ItemCount")), 1);
    cr_assert(cJSON_IsNumber(at(t, "CreationDateTime")));
    cr_assert_not_null(at(t, "TableId"));
    const cJSON *gsi;
    int seen = 0;
    cJSON_ArrayForEach(gsi, at(t, "GlobalSecondaryIndexes"))
    {
        const char *name = cJSON_GetStringValue(at(gsi, "IndexName"));
        cr_assert_str_eq(cJSON_GetStringValue(at(gsi, "IndexStatus")),
                         "ACTIVE");
        if (strcmp(name, "GSI1") == 0) {
            cr_assert_eq(cJSON_GetNumberValue(at(gsi, "ItemCount")), 1);
            seen = 1;
        }
    }
    cr_assert(seen);
    cJSON_Delete(resp);
    ts_free(srv);
}

Test(ddb_table, create_duplicate_in_use)
{
    stratus *srv = ts_new();
    ddb_create_pk_sk(srv, "dup");
    int status;
    cJSON *resp = ddb_call(
        srv, "CreateTable",
        "{\"TableName\":\"dup\",\"BillingMode\":\"PAY_PER_REQUEST\","
        "\"AttributeDefinitions\":[{\"AttributeName\":\"PK\","
        "\"AttributeType\":\"S\"}],\"KeySchema\":[{\"AttributeName\":\"PK\","
        "\"KeyType\":\"HASH\"}]}",
        &status);
    cr_assert_eq(status, 400);
    cr_assert_str_eq(ddb_error_type(resp), "ResourceInUseException");
    cr_assert_str_eq(ddb_error_message(resp), "Table already exists: dup");
    cJSON_Delete(resp);
    ts_free(srv);
}

Test(ddb_table, create_validation_texts)
{
    stratus *srv = ts_new();
    int status;
    cJSON *resp = ddb_call(
        srv, "CreateTable",
        "{\"TableName\":\"x\",\"BillingMode\":\"PAY_PER_REQUEST\","
        "\"AttributeDefinitions\":[{\"AttributeName\":\"PK\","
        "\"AttributeType\":\"S\"}],\"KeySchema\":[{\"AttributeName\":\"PK\","
        "\"KeyType\":\"HASH\"}]}",
        &status);
    cr_assert_eq(status, 400);
    cr_assert_str_eq(ddb_error_message(resp),
                     "1 validation error detected: Value 'x' at 'tableName' "
                     "failed to satisfy constraint: Member must have length "
                     "greater than or equal to 3");
    cJSON_Delete(resp);

    resp = ddb_call(
        srv, "CreateTable",
        "{\"TableName\":\"ppr\",\"BillingMode\":\"PAY_PER_REQUEST\","
        "\"ProvisionedThroughput\":{\"ReadCapacityUnits\":5,"
        "\"WriteCapacityUnits\":5},\"AttributeDefinitions\":[{"
        "\"AttributeName\":\"PK\",\"AttributeType\":\"S\"}],\"KeySchema\":"
        "[{\"AttributeName\":\"PK\",\"KeyType\":\"HASH\"}]}",
        &status);
    cr_assert_str_eq(ddb_error_message(resp),
                     "One or more parameter values were invalid: Neither "
                     "ReadCapacityUnits nor WriteCapacityUnits can be "
                     "specified when BillingMode is PAY_PER_REQUEST");
    cJSON_Delete(resp);
    ts_free(srv);
}

Test(ddb_table, list_tables_pages)
{
    stratus *srv = ts_new();
    ddb_create_pk_sk(srv, "aaa");
    ddb_create_pk_sk(srv, "bbb");
    ddb_create_pk_sk(srv, "ccc");
    int status;
    cJSON *resp = ddb_call(srv, "ListTables", "{\"Limit\":2}", &status);
    cr_assert_eq(cJSON_GetArraySize(at(resp, "TableNames")), 2);
    cr_assert_str_eq(cJSON_GetStringValue(at(resp, "LastEvaluatedTableName")),
                     "bbb");
    cJSON_Delete(resp);
    resp = ddb_call(srv, "ListTables", "{\"ExclusiveStartTableName\":\"bbb\"}",
                    &status);
    cr_assert_eq(cJSON_GetArraySize(at(resp, "TableNames")), 1);
    cr_assert_null(at(resp, "LastEvaluatedTableName"));
    cJSON_Delete(resp);
    ts_free(srv);
}

Test(ddb_table, delete_then_not_found)
{
    stratus *srv = ts_new();
    ddb_create_pk_sk(srv, "gone");
    int status;
    cJSON *resp =
        ddb_call(srv, "DeleteTable", "{\"TableName\":\"gone\"}", &status);
    cr_assert_eq(status, 200);
    cr_assert_str_eq(
        cJSON_GetStringValue(at(at(resp, "TableDescription"), "TableStatus")),
        "DELETING");
    cJSON_Delete(resp);
    resp = ddb_call(srv, "DescribeTable", "{\"TableName\":\"gone\"}", &status);
    cr_assert_eq(status, 400);
    cr_assert_str_eq(ddb_error_message(resp),
                     "Requested resource not found: Table: gone not found");
    cJSON_Delete(resp);
    ts_free(srv);
}

Test(ddb_table, new_gsi_is_backfilled)
{
    stratus *srv = ts_new();
    ddb_create_pk_sk(srv, "tbl");
    ddb_ok(srv, "PutItem",
           "{\"TableName\":\"tbl\",\"Item\":{\"PK\":{\"S\":\"a\"},\"SK\":"
           "{\"S\":\"b\"},\"email\":{\"S\":\"x@y\"}}}");
    ddb_ok(srv, "PutItem",
           "{\"TableName\":\"tbl\",\"Item\":{\"PK\":{\"S\":\"c\"},\"SK\":"
           "{\"S\":\"d\"}}}");
    ddb_ok(srv, "UpdateTable",
           "{\"TableName\":\"tbl\",\"AttributeDefinitions\":[{"
           "\"AttributeName\":\"email\",\"AttributeType\":\"S\"}],"
           "\"GlobalSecondaryIndexUpdates\":[{\"Create\":{\"IndexName\":"
           "\"ByEmail\",\"KeySchema\":[{\"AttributeName\":\"email\","
           "\"KeyType\":\"HASH\"}],\"Projection\":{\"ProjectionType\":"
           "\"KEYS_ONLY\"}}}]}");
    int status;
    cJSON *resp = ddb_call(srv, "Query",
                           "{\"TableName\":\"tbl\",\"IndexName\":\"ByEmail\","
                           "\"KeyConditionExpression\":\"email = :e\","
                           "\"ExpressionAttributeValues\":{\":e\":{\"S\":"
                           "\"x@y\"}}}",
                           &status);
    cr_assert_eq(status, 200);
    cr_assert_eq(cJSON_GetNumberValue(at(resp, "Count")), 1);
    const cJSON *item = cJSON_GetArrayItem(at(resp, "Items"), 0);
    cr_assert_eq(cJSON_GetArraySize(item), 3, "KEYS_ONLY projection");
    cJSON_Delete(resp);

    ddb_ok(srv, "UpdateTable",
           "{\"TableName\":\"tbl\",\"GlobalSecondaryIndexUpdates\":[{"
           "\"Delete\":{\"IndexName\":\"ByEmail\"}}]}");
    resp = ddb_call(srv, "Scan",
                    "{\"TableName\":\"tbl\",\"IndexName\":"
                    "\"ByEmail\"}",
                    &status);
    cr_assert_eq(status, 400);
    cJSON_Delete(resp);
    ts_free(srv);
}

Test(ddb_table, ttl_sweep_deletes_expired)
{
    stratus *srv = ts_new();
    ddb_create_pk_sk(srv, "ttl");
    ddb_ok(srv, "UpdateTimeToLive",
           "{\"TableName\":\"ttl\",\"TimeToLiveSpecification\":{\"Enabled\":"
           "true,\"AttributeName\":\"ttl\"}}");
    int64_t now_s = clock_now_ms(&srv->clock) / 1000;
    char body[512];
    snprintf(body, sizeof body,
             "{\"TableName\":\"ttl\",\"Item\":{\"PK\":{\"S\":\"a\"},\"SK\":"
             "{\"S\":\"old\"},\"ttl\":{\"N\":\"%lld\"}}}",
             (long long)(now_s + 60));
    ddb_ok(srv, "PutItem", body);
    snprintf(body, sizeof body,
             "{\"TableName\":\"ttl\",\"Item\":{\"PK\":{\"S\":\"a\"},\"SK\":"
             "{\"S\":\"new\"},\"ttl\":{\"N\":\"%lld\"}}}",
             (long long)(now_s + 3600));
    ddb_ok(srv, "PutItem", body);

    /* Past its TTL but before the sweep, the item is still readable. */
    clock_advance_to(&srv->clock, (now_s + 120) * 1000);
    int status;
    cJSON *resp = ddb_call(srv, "GetItem",
                           "{\"TableName\":\"ttl\",\"Key\":{\"PK\":{\"S\":"
                           "\"a\"},\"SK\":{\"S\":\"old\"}}}",
                           &status);
    cr_assert_not_null(at(resp, "Item"));
    cJSON_Delete(resp);

    /* The sweep runs five minutes after the expiry. */
    clock_advance_to(&srv->clock, (now_s + 60 + 300 + 1) * 1000);
    cr_assert_geq(jobs_run_due(srv->jobs), 1);
    stratus_turn_end(srv);
    resp = ddb_call(srv, "Scan", "{\"TableName\":\"ttl\"}", &status);
    cr_assert_eq(cJSON_GetNumberValue(at(resp, "Count")), 1);
    cJSON_Delete(resp);

    cr_assert_geq(jobs_next_due(srv->jobs), (now_s + 3600) * 1000);
    resp =
        ddb_call(srv, "DescribeTimeToLive", "{\"TableName\":\"ttl\"}", &status);
    cr_assert_str_eq(cJSON_GetStringValue(at(at(resp, "TimeToLiveDescription"),
                                             "TimeToLiveStatus")),
                     "ENABLED");
    cJSON_Delete(resp);
    ts_free(srv);
}

Test(ddb_table, tags_round_trip)
{
    stratus *srv = ts_new();
    ddb_create_pk_sk(srv, "tagged");
    const char *arn = "arn:aws:dynamodb:us-east-1:123456789012:table/tagged";
    int status;
    cJSON *resp =
        ddb_callf(srv, "TagResource", &status,
                  "{\"ResourceArn\":\"%s\",\"Tags\":[{\"Key\":\"a\","
                  "\"Value\":\"1\"},{\"Key\":\"b\",\"Value\":\"2\"}]}",
                  arn);
    cr_assert_eq(status, 200);
    cJSON_Delete(resp);
    resp = ddb_callf(srv, "UntagResource", &status,
                     "{\"ResourceArn\":\"%s\",\"TagKeys\":[\"a\"]}", arn);
    cJSON_Delete(resp);
    resp = ddb_callf(srv, "ListTagsOfResource", &status,
                     "{\"ResourceArn\":\"%s\"}", arn);
    cr_assert_eq(cJSON_GetArraySize(at(resp, "Tags")), 1);
    cJSON_Delete(resp);
    ts_free(srv);
}

Test(ddb_table, stack_type_creates_table)
{
    stratus *srv = ts_new();
    cJSON *props = cJSON_Parse(
        "{\"TableName\":\"stacked\",\"BillingMode\":\"PAY_PER_REQUEST\","
        "\"AttributeDefinitions\":[{\"AttributeName\":\"PK\","
        "\"AttributeType\":\"S\"}],\"KeySchema\":[{\"AttributeName\":\"PK\","
        "\"KeyType\":\"HASH\"}],\"TimeToLiveSpecification\":{"
        "\"AttributeName\":\"ttl\",\"Enabled\":true},"
        "\"PointInTimeRecoverySpecification\":{"
        "\"PointInTimeRecoveryEnabled\":true}}");
    aws_error err = {0};
    for (int round = 0; round < 2; round++) {
        cr_assert_eq(store_call_begin(srv->store), SQLITE_OK);
        int rc = ddb_stack_apply_table(srv, "123456789012", "us-east-1",
                                       "Cards", props, &err);
        store_call_end(srv->store, rc == 0);
        cr_assert_eq(rc, 0, "round %d: %s", round, err.message);
        stratus_turn_end(srv);
    }
    aws_error_reset(&err);
    cJSON_Delete(props);

    int status;
    cJSON *resp = ddb_call(srv, "DescribeTimeToLive",
                           "{\"TableName\":\"stacked\"}", &status);
    cr_assert_eq(status, 200);
    cr_assert_str_eq(cJSON_GetStringValue(at(at(resp, "TimeToLiveDescription"),
                                             "AttributeName")),
                     "ttl");
    cJSON_Delete(resp);
    resp = ddb_call(srv, "DescribeContinuousBackups",
                    "{\"TableName\":\"stacked\"}", &status);
    cr_assert_str_eq(
        cJSON_GetStringValue(at(at(at(resp, "ContinuousBackupsDescription"),
                                   "PointInTimeRecoveryDescription"),
                                "PointInTimeRecoveryStatus")),
        "ENABLED");
    cJSON_Delete(resp);
    ts_free(srv);
}
