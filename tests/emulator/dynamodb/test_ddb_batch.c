/*
 * test_ddb_batch.c: BatchGetItem, BatchWriteItem, TransactWriteItems and
 * TransactGetItems through the dispatcher: limits, cancellation reasons in
 * request order and ClientRequestToken replays.
 */
#include <string.h>

#include <cjson/cJSON.h>
#include <criterion/criterion.h>

#include "ddb_test.h"
#include "ts.h"
#include "util.h"

static const cJSON *at(const cJSON *obj, const char *name)
{
    return cJSON_GetObjectItemCaseSensitive(obj, name);
}

Test(ddb_batch, write_then_get)
{
    stratus *srv = ts_new();
    ddb_create_pk_sk(srv, "tbl");
    ddb_ok(srv, "BatchWriteItem",
           "{\"RequestItems\":{\"tbl\":[{\"PutRequest\":{\"Item\":{\"PK\":"
           "{\"S\":\"a\"},\"SK\":{\"S\":\"1\"}}}},{\"PutRequest\":{\"Item\":"
           "{\"PK\":{\"S\":\"a\"},\"SK\":{\"S\":\"2\"}}}}]}}");
    int status;
    cJSON *resp =
        ddb_call(srv, "BatchGetItem",
                 "{\"RequestItems\":{\"tbl\":{\"Keys\":[{\"PK\":{\"S\":"
                 "\"a\"},\"SK\":{\"S\":\"1\"}},{\"PK\":{\"S\":\"a\"},"
                 "\"SK\":{\"S\":\"3\"}}]}}}",
                 &status);
    cr_assert_eq(status, 200);
    cr_assert_eq(cJSON_GetArraySize(at(at(resp, "Responses"), "tbl")), 1);
    cr_assert(cJSON_IsObject(at(resp, "UnprocessedKeys")));
    cJSON_Delete(resp);
    ts_free(srv);
}

Test(ddb_batch, write_limit_and_duplicates)
{
    stratus *srv = ts_new();
    ddb_create_pk_sk(srv, "tbl");
    strbuf b;
    strbuf_init(&b);
    strbuf_puts(&b, "{\"RequestItems\":{\"tbl\":[");
    for (int i = 0; i < 26; i++)
        strbuf_printf(&b,
                      "%s{\"PutRequest\":{\"Item\":{\"PK\":{\"S\":\"a\"},"
                      "\"SK\":{\"S\":\"%d\"}}}}",
                      i ? "," : "", i);
    strbuf_puts(&b, "]}}");
    int status;
    cJSON *resp = ddb_call(srv, "BatchWriteItem", b.data, &status);
    cr_assert_eq(status, 400);
    cr_assert_str_eq(ddb_error_type(resp), "ValidationException");
    cJSON_Delete(resp);
    strbuf_free(&b);

    resp = ddb_call(srv, "BatchWriteItem",
                    "{\"RequestItems\":{\"tbl\":[{\"PutRequest\":{\"Item\":{"
                    "\"PK\":{\"S\":\"a\"},\"SK\":{\"S\":\"1\"}}}},{"
                    "\"DeleteRequest\":{\"Key\":{\"PK\":{\"S\":\"a\"},\"SK\":"
                    "{\"S\":\"1\"}}}}]}}",
                    &status);
    cr_assert_eq(status, 400);
    cr_assert_str_eq(ddb_error_message(resp),
                     "Provided list of item keys contains duplicates");
    cJSON_Delete(resp);
    ts_free(srv);
}

Test(ddb_batch, write_mismatched_key_rejected)
{
    stratus *srv = ts_new();
    ddb_create_pk_sk(srv, "tbl");
    int status;
    cJSON *resp = ddb_call(srv, "BatchWriteItem",
                           "{\"RequestItems\":{\"tbl\":[{\"DeleteRequest\":{"
                           "\"Key\":{\"PK\":{\"S\":\"a\"}}}}]}}",
                           &status);
    cr_assert_eq(status, 400);
    cr_assert_str_eq(ddb_error_message(resp),
                     "The provided key element does not match the schema");
    cJSON_Delete(resp);
    ts_free(srv);
}

Test(ddb_batch, get_more_than_100_keys)
{
    stratus *srv = ts_new();
    ddb_create_pk_sk(srv, "tbl");
    strbuf b;
    strbuf_init(&b);
    strbuf_puts(&b, "{\"RequestItems\":{\"tbl\":{\"Keys\":[");
    for (int i = 0; i < 101; i++)
        strbuf_printf(&b, "%s{\"PK\":{\"S\":\"a\"},\"SK\":{\"S\":\"%d\"}}",
                      i ? "," : "", i);
    strbuf_puts(&b, "]}}}");
    int status;
    cJSON *resp = ddb_call(srv, "BatchGetItem", b.data, &status);
    cr_assert_eq(status, 400);
    cr_assert_str_eq(ddb_error_message(resp),
                     "Too many items requested for the BatchGetItem call");
    cJSON_Delete(resp);
    strbuf_free(&b);
    ts_free(srv);
}

static const char *const cancelled_txn =
    "{\"TransactItems\":["
    "{\"Put\":{\"TableName\":\"tbl\",\"Item\":{\"PK\":{\"S\":\"a\"},\"SK\":"
    "{\"S\":\"new\"}}}},"
    "{\"ConditionCheck\":{\"TableName\":\"tbl\",\"Key\":{\"PK\":{\"S\":\"a\"},"
    "\"SK\":{\"S\":\"old\"}},\"ConditionExpression\":\"attribute_not_exists(PK)"
    "\",\"ReturnValuesOnConditionCheckFailure\":\"ALL_OLD\"}}]}";

Test(ddb_batch, transaction_cancel_reasons)
{
    stratus *srv = ts_new();
    ddb_create_pk_sk(srv, "tbl");
    ddb_ok(srv, "PutItem",
           "{\"TableName\":\"tbl\",\"Item\":{\"PK\":{\"S\":\"a\"},\"SK\":"
           "{\"S\":\"old\"},\"v\":{\"N\":\"1\"}}}");
    int status;
    cJSON *resp = ddb_call(srv, "TransactWriteItems", cancelled_txn, &status);
    cr_assert_eq(status, 400);
    cr_assert_str_eq(ddb_error_type(resp), "TransactionCanceledException");
    cr_assert_str_eq(ddb_error_message(resp),
                     "Transaction cancelled, please refer cancellation "
                     "reasons for specific reasons [None, "
                     "ConditionalCheckFailed]");
    const cJSON *reasons = at(resp, "CancellationReasons");
    cr_assert_eq(cJSON_GetArraySize(reasons), 2);
    cr_assert_str_eq(
        cJSON_GetStringValue(at(cJSON_GetArrayItem(reasons, 0), "Code")),
        "None");
    const cJSON *second = cJSON_GetArrayItem(reasons, 1);
    cr_assert_str_eq(cJSON_GetStringValue(at(second, "Code")),
                     "ConditionalCheckFailed");
    cr_assert_str_eq(cJSON_GetStringValue(at(second, "Message")),
                     "The conditional request failed");
    cr_assert_str_eq(cJSON_GetStringValue(at(at(at(second, "Item"), "v"), "N")),
                     "1");
    cJSON_Delete(resp);

    /* Nothing of the cancelled transaction was written. */
    resp = ddb_call(srv, "Scan", "{\"TableName\":\"tbl\"}", &status);
    cr_assert_eq(cJSON_GetNumberValue(at(resp, "Count")), 1);
    cJSON_Delete(resp);
    ts_free(srv);
}

Test(ddb_batch, transaction_same_item_twice)
{
    stratus *srv = ts_new();
    ddb_create_pk_sk(srv, "tbl");
    int status;
    cJSON *resp = ddb_call(
        srv, "TransactWriteItems",
        "{\"TransactItems\":[{\"Put\":{\"TableName\":\"tbl\",\"Item\":{\"PK\":"
        "{\"S\":\"a\"},\"SK\":{\"S\":\"b\"}}}},{\"Delete\":{\"TableName\":"
        "\"tbl\",\"Key\":{\"PK\":{\"S\":\"a\"},\"SK\":{\"S\":\"b\"}}}}]}",
        &status);
    cr_assert_eq(status, 400);
    cr_assert_str_eq(ddb_error_message(resp),
                     "Transaction request cannot include multiple operations "
                     "on one item");
    cJSON_Delete(resp);
    ts_free(srv);
}

Test(ddb_batch, transaction_token_replay)
{
    stratus *srv = ts_new();
    ddb_create_pk_sk(srv, "tbl");
    const char *txn =
        "{\"ClientRequestToken\":\"tok-1\",\"TransactItems\":[{\"Update\":{"
        "\"TableName\":\"tbl\",\"Key\":{\"PK\":{\"S\":\"a\"},\"SK\":{\"S\":"
        "\"b\"}},\"UpdateExpression\":\"ADD hits :one\","
        "\"ExpressionAttributeValues\":{\":one\":{\"N\":\"1\"}}}}]}";
    ddb_ok(srv, "TransactWriteItems", txn);
    ddb_ok(srv, "TransactWriteItems", txn);

    int status;
    cJSON *resp =
        ddb_call(srv, "TransactGetItems",
                 "{\"TransactItems\":[{\"Get\":{\"TableName\":\"tbl\","
                 "\"Key\":{\"PK\":{\"S\":\"a\"},\"SK\":{\"S\":\"b\"}}}},"
                 "{\"Get\":{\"TableName\":\"tbl\",\"Key\":{\"PK\":"
                 "{\"S\":\"a\"},\"SK\":{\"S\":\"zz\"}}}}]}",
                 &status);
    cr_assert_eq(status, 200);
    const cJSON *first =
        at(cJSON_GetArrayItem(at(resp, "Responses"), 0), "Item");
    cr_assert_str_eq(cJSON_GetStringValue(at(at(first, "hits"), "N")), "1");
    cr_assert_null(at(cJSON_GetArrayItem(at(resp, "Responses"), 1), "Item"));
    cJSON_Delete(resp);

    resp = ddb_call(srv, "TransactWriteItems",
                    "{\"ClientRequestToken\":\"tok-1\",\"TransactItems\":[{"
                    "\"Delete\":{\"TableName\":\"tbl\",\"Key\":{\"PK\":{\"S\":"
                    "\"a\"},\"SK\":{\"S\":\"b\"}}}}]}",
                    &status);
    cr_assert_eq(status, 400);
    cr_assert_str_eq(ddb_error_type(resp),
                     "IdempotentParameterMismatchException");
    cJSON_Delete(resp);
    ts_free(srv);
}

Test(ddb_batch, transaction_unknown_table)
{
    stratus *srv = ts_new();
    int status;
    cJSON *resp = ddb_call(srv, "TransactWriteItems",
                           "{\"TransactItems\":[{\"Put\":{\"TableName\":"
                           "\"nope\",\"Item\":{\"PK\":{\"S\":\"a\"}}}}]}",
                           &status);
    cr_assert_eq(status, 400);
    cr_assert_str_eq(ddb_error_type(resp), "ResourceNotFoundException");
    cr_assert_str_eq(ddb_error_message(resp), "Requested resource not found");
    cJSON_Delete(resp);
    ts_free(srv);
}
