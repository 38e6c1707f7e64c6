/*
 * test_ddb_item.c: PutItem, GetItem, UpdateItem and DeleteItem through the
 * dispatcher, including every single-item call CollectIQ makes: conditional
 * puts, the upsert with ReturnValues ALL_NEW, #-escaped reserved words and
 * the declared index key types.
 */
#include <string.h>

#include <cjson/cJSON.h>
#include <criterion/criterion.h>

#include "ddb_test.h"
#include "ts.h"

static const cJSON *at(const cJSON *obj, const char *name)
{
    return cJSON_GetObjectItemCaseSensitive(obj, name);
}

static const char *s_of(const cJSON *item, const char *name)
{
    const char *v = cJSON_GetStringValue(at(at(item, name), "S"));
    return v ? v : "";
}

Test(ddb_item, put_then_get_returns_item)
{
    stratus *srv = ts_new();
    ddb_create_pk_sk(srv, "cards");
    ddb_ok(srv, "PutItem",
           "{\"TableName\":\"cards\",\"Item\":{\"PK\":{\"S\":\"USER#1\"},"
           "\"SK\":{\"S\":\"CARD#1\"},\"nested\":{\"M\":{\"n\":{\"NULL\":true},"
           "\"l\":{\"L\":[]}}},\"ok\":{\"BOOL\":true}}}");

    int status;
    cJSON *resp = ddb_call(srv, "GetItem",
                           "{\"TableName\":\"cards\",\"ConsistentRead\":true,"
                           "\"Key\":{\"PK\":{\"S\":\"USER#1\"},\"SK\":{\"S\":"
                           "\"CARD#1\"}}}",
                           &status);
    cr_assert_eq(status, 200);
    const cJSON *item = at(resp, "Item");
    cr_assert_str_eq(s_of(item, "SK"), "CARD#1");
    cr_assert(cJSON_IsArray(at(at(at(at(item, "nested"), "M"), "l"), "L")));
    cr_assert(cJSON_IsTrue(at(at(at(at(item, "nested"), "M"), "n"), "NULL")));
    cJSON_Delete(resp);
    ts_free(srv);
}

Test(ddb_item, get_missing_item_is_empty)
{
    stratus *srv = ts_new();
    ddb_create_pk_sk(srv, "cards");
    int status;
    cJSON *resp = ddb_call(srv, "GetItem",
                           "{\"TableName\":\"cards\",\"Key\":{\"PK\":{\"S\":"
                           "\"a\"},\"SK\":{\"S\":\"b\"}}}",
                           &status);
    cr_assert_eq(status, 200);
    cr_assert_null(at(resp, "Item"));
    cJSON_Delete(resp);
    ts_free(srv);
}

Test(ddb_item, conditional_put_fails_when_present)
{
    stratus *srv = ts_new();
    ddb_create_pk_sk(srv, "cards");
    const char *put =
        "{\"TableName\":\"cards\",\"Item\":{\"PK\":{\"S\":\"USER#1\"},"
        "\"SK\":{\"S\":\"IDEMPOTENCY#k\"},\"status\":{\"S\":\"PENDING\"}},"
        "\"ConditionExpression\":\"attribute_not_exists(PK) AND "
        "attribute_not_exists(SK)\"}";
    ddb_ok(srv, "PutItem", put);

    int status;
    cJSON *resp = ddb_call(srv, "PutItem", put, &status);
    cr_assert_eq(status, 400);
    cr_assert_str_eq(cJSON_GetStringValue(at(resp, "__type")),
                     "com.amazonaws.dynamodb.v20120810#"
                     "ConditionalCheckFailedException");
    cr_assert_str_eq(ddb_error_message(resp), "The conditional request failed");
    cr_assert_null(at(resp, "Item"));
    cJSON_Delete(resp);
    ts_free(srv);
}

Test(ddb_item, upsert_returns_all_new)
{
    stratus *srv = ts_new();
    ddb_create_pk_sk(srv, "cards");
    int status;
    cJSON *resp = ddb_call(
        srv, "UpdateItem",
        "{\"TableName\":\"cards\",\"Key\":{\"PK\":{\"S\":\"USER#u\"},\"SK\":"
        "{\"S\":\"CARD#c\"}},\"UpdateExpression\":\"SET #updatedAt = "
        ":updatedAt, #cardId = :cardId, #name = :name, #set = :set, #number "
        "= :number\",\"ExpressionAttributeNames\":{\"#updatedAt\":"
        "\"updatedAt\",\"#cardId\":\"cardId\",\"#name\":\"name\",\"#set\":"
        "\"set\",\"#number\":\"number\"},\"ExpressionAttributeValues\":{"
        "\":updatedAt\":{\"S\":\"2026-01-01T00:00:00.000Z\"},\":cardId\":"
        "{\"S\":\"c\"},\":name\":{\"S\":\"Pikachu\"},\":set\":{\"S\":\"Base\"},"
        "\":number\":{\"S\":\"58\"}},\"ReturnValues\":\"ALL_NEW\"}",
        &status);
    char *text = cJSON_PrintUnformatted(resp);
    cr_assert_eq(status, 200, "%s", text);
    free(text);
    const cJSON *attrs = at(resp, "Attributes");
    cr_assert_str_eq(s_of(attrs, "PK"), "USER#u");
    cr_assert_str_eq(s_of(attrs, "SK"), "CARD#c");
    cr_assert_str_eq(s_of(attrs, "name"), "Pikachu");
    cr_assert_str_eq(s_of(attrs, "set"), "Base");
    cr_assert_str_eq(s_of(attrs, "number"), "58");
    cr_assert_eq(cJSON_GetArraySize(attrs), 7);
    cJSON_Delete(resp);
    ts_free(srv);
}

Test(ddb_item, update_condition_on_missing_item_fails)
{
    stratus *srv = ts_new();
    ddb_create_pk_sk(srv, "cards");
    int status;
    cJSON *resp = ddb_call(
        srv, "UpdateItem",
        "{\"TableName\":\"cards\",\"Key\":{\"PK\":{\"S\":\"USER#u\"},\"SK\":"
        "{\"S\":\"CARD#c\"}},\"UpdateExpression\":\"SET deletedAt = :d, "
        "updatedAt = :d\",\"ConditionExpression\":\"attribute_exists(PK) AND "
        "attribute_not_exists(deletedAt)\",\"ExpressionAttributeValues\":"
        "{\":d\":{\"S\":\"x\"}}}",
        &status);
    cr_assert_eq(status, 400);
    cr_assert_str_eq(ddb_error_type(resp), "ConditionalCheckFailedException");
    cJSON_Delete(resp);

    resp = ddb_call(srv, "Scan", "{\"TableName\":\"cards\"}", &status);
    cr_assert_eq(cJSON_GetNumberValue(at(resp, "Count")), 0);
    cJSON_Delete(resp);
    ts_free(srv);
}

Test(ddb_item, delete_returns_all_old)
{
    stratus *srv = ts_new();
    ddb_create_pk_sk(srv, "cards");
    ddb_ok(srv, "PutItem",
           "{\"TableName\":\"cards\",\"Item\":{\"PK\":{\"S\":\"a\"},\"SK\":"
           "{\"S\":\"b\"},\"v\":{\"N\":\"1\"}}}");
    int status;
    cJSON *resp =
        ddb_call(srv, "DeleteItem",
                 "{\"TableName\":\"cards\",\"Key\":{\"PK\":{\"S\":"
                 "\"a\"},\"SK\":{\"S\":\"b\"}},\"ConditionExpression\":"
                 "\"attribute_exists(PK)\",\"ReturnValues\":"
                 "\"ALL_OLD\"}",
                 &status);
    cr_assert_eq(status, 200);
    cr_assert_str_eq(
        cJSON_GetStringValue(at(at(at(resp, "Attributes"), "v"), "N")), "1");
    cJSON_Delete(resp);

    resp = ddb_call(srv, "DeleteItem",
                    "{\"TableName\":\"cards\",\"Key\":{\"PK\":{\"S\":\"a\"},"
                    "\"SK\":{\"S\":\"b\"}},\"ConditionExpression\":"
                    "\"attribute_exists(PK)\"}",
                    &status);
    cr_assert_eq(status, 400);
    cr_assert_str_eq(ddb_error_type(resp), "ConditionalCheckFailedException");
    cJSON_Delete(resp);
    ts_free(srv);
}

Test(ddb_item, put_rejects_return_values_all_new)
{
    stratus *srv = ts_new();
    ddb_create_pk_sk(srv, "cards");
    int status;
    cJSON *resp = ddb_call(srv, "PutItem",
                           "{\"TableName\":\"cards\",\"Item\":{\"PK\":{\"S\":"
                           "\"a\"},\"SK\":{\"S\":\"b\"}},\"ReturnValues\":"
                           "\"ALL_NEW\"}",
                           &status);
    cr_assert_eq(status, 400);
    cr_assert_str_eq(ddb_error_message(resp),
                     "ReturnValues can only be ALL_OLD or NONE");
    cJSON_Delete(resp);
    ts_free(srv);
}

Test(ddb_item, key_validation_texts)
{
    stratus *srv = ts_new();
    ddb_create_pk_sk(srv, "cards");
    int status;
    cJSON *resp = ddb_call(srv, "GetItem",
                           "{\"TableName\":\"cards\",\"Key\":{\"PK\":{\"S\":"
                           "\"a\"}}}",
                           &status);
    cr_assert_eq(status, 400);
    cr_assert_str_eq(ddb_error_message(resp),
                     "The provided key element does not match the schema");
    cJSON_Delete(resp);

    resp = ddb_call(srv, "PutItem",
                    "{\"TableName\":\"cards\",\"Item\":{\"PK\":{\"S\":\"a\"}}}",
                    &status);
    cr_assert_str_eq(ddb_error_message(resp),
                     "One or more parameter values were invalid: Missing the "
                     "key SK in the item");
    cJSON_Delete(resp);

    resp = ddb_call(srv, "PutItem",
                    "{\"TableName\":\"cards\",\"Item\":{\"PK\":{\"S\":\"\"},"
                    "\"SK\":{\"S\":\"b\"}}}",
                    &status);
    cr_assert_str_eq(ddb_error_message(resp),
                     "One or more parameter values are not valid. The "
                     "AttributeValue for a key attribute cannot contain an "
                     "empty string value. Key: PK");
    cJSON_Delete(resp);

    resp = ddb_call(srv, "PutItem",
                    "{\"TableName\":\"cards\",\"Item\":{\"PK\":{\"N\":\"1\"},"
                    "\"SK\":{\"S\":\"b\"}}}",
                    &status);
    cr_assert_str_eq(ddb_error_message(resp),
                     "One or more parameter values were invalid: Type "
                     "mismatch for key PK expected: S actual: N");
    cJSON_Delete(resp);
    ts_free(srv);
}

Test(ddb_item, index_key_type_enforced)
{
    stratus *srv = ts_new();
    ddb_create_cards(srv);
    int status;
    cJSON *resp = ddb_call(srv, "PutItem",
                           "{\"TableName\":\"cards\",\"Item\":{\"PK\":{\"S\":"
                           "\"a\"},\"SK\":{\"S\":\"b\"},\"valueMedian\":{\"S\":"
                           "\"12\"}}}",
                           &status);
    cr_assert_eq(status, 400);
    cr_assert_str_eq(ddb_error_message(resp),
                     "One or more parameter values were invalid: Type "
                     "mismatch for Index Key valueMedian Expected: N Actual: "
                     "S IndexName: GSI2");
    cJSON_Delete(resp);

    resp = ddb_call(srv, "UpdateItem",
                    "{\"TableName\":\"cards\",\"Key\":{\"PK\":{\"S\":\"a\"},"
                    "\"SK\":{\"S\":\"b\"}},\"UpdateExpression\":\"SET "
                    "valueMedian = :v\",\"ExpressionAttributeValues\":{\":v\":"
                    "{\"S\":\"x\"}}}",
                    &status);
    cr_assert_eq(status, 400);
    cr_assert_str_eq(ddb_error_type(resp), "ValidationException");
    cJSON_Delete(resp);
    ts_free(srv);
}

Test(ddb_item, update_of_key_attribute_rejected)
{
    stratus *srv = ts_new();
    ddb_create_pk_sk(srv, "cards");
    int status;
    cJSON *resp = ddb_call(srv, "UpdateItem",
                           "{\"TableName\":\"cards\",\"Key\":{\"PK\":{\"S\":"
                           "\"a\"},\"SK\":{\"S\":\"b\"}},\"UpdateExpression\":"
                           "\"SET SK = :v\",\"ExpressionAttributeValues\":"
                           "{\":v\":{\"S\":\"x\"}}}",
                           &status);
    cr_assert_eq(status, 400);
    cr_assert_str_eq(ddb_error_message(resp),
                     "One or more parameter values were invalid: Cannot "
                     "update attribute SK. This attribute is part of the key");
    cJSON_Delete(resp);
    ts_free(srv);
}

Test(ddb_item, update_arithmetic_and_functions)
{
    stratus *srv = ts_new();
    ddb_create_pk_sk(srv, "cards");
    ddb_ok(srv, "PutItem",
           "{\"TableName\":\"cards\",\"Item\":{\"PK\":{\"S\":\"a\"},\"SK\":"
           "{\"S\":\"b\"},\"n\":{\"N\":\"5\"},\"l\":{\"L\":[{\"S\":\"x\"}]},"
           "\"gone\":{\"S\":\"y\"},\"tags\":{\"SS\":[\"p\",\"q\"]}}}");
    int status;
    cJSON *resp = ddb_call(
        srv, "UpdateItem",
        "{\"TableName\":\"cards\",\"Key\":{\"PK\":{\"S\":\"a\"},\"SK\":{\"S\":"
        "\"b\"}},\"UpdateExpression\":\"SET n = n + :one, l = "
        "list_append(l, :more), c = if_not_exists(c, :zero) REMOVE gone ADD "
        "hits :one DELETE tags :p\",\"ExpressionAttributeValues\":{"
        "\":one\":{\"N\":\"1\"},\":more\":{\"L\":[{\"S\":\"z\"}]},\":zero\":"
        "{\"N\":\"0\"},\":p\":{\"SS\":[\"p\"]}},\"ReturnValues\":\"ALL_NEW\"}",
        &status);
    char *text = cJSON_PrintUnformatted(resp);
    cr_assert_eq(status, 200, "%s", text);
    free(text);
    const cJSON *a = at(resp, "Attributes");
    cr_assert_str_eq(cJSON_GetStringValue(at(at(a, "n"), "N")), "6");
    cr_assert_eq(cJSON_GetArraySize(at(at(a, "l"), "L")), 2);
    cr_assert_str_eq(cJSON_GetStringValue(at(at(a, "c"), "N")), "0");
    cr_assert_str_eq(cJSON_GetStringValue(at(at(a, "hits"), "N")), "1");
    cr_assert_null(at(a, "gone"));
    cr_assert_eq(cJSON_GetArraySize(at(at(a, "tags"), "SS")), 1);
    cJSON_Delete(resp);
    ts_free(srv);
}

Test(ddb_item, item_size_limit)
{
    stratus *srv = ts_new();
    ddb_create_pk_sk(srv, "cards");
    size_t n = 410 * 1024;
    char *big = malloc(n + 1);
    memset(big, 'x', n);
    big[n] = '\0';
    char *body = malloc(n + 256);
    snprintf(body, n + 256,
             "{\"TableName\":\"cards\",\"Item\":{\"PK\":{\"S\":\"a\"},\"SK\":"
             "{\"S\":\"b\"},\"blob\":{\"S\":\"%s\"}}}",
             big);
    int status;
    cJSON *resp = ddb_call(srv, "PutItem", body, &status);
    cr_assert_eq(status, 400);
    cr_assert_str_eq(ddb_error_message(resp),
                     "Item size has exceeded the maximum allowed size");
    cJSON_Delete(resp);
    free(body);
    free(big);
    ts_free(srv);
}

Test(ddb_item, unknown_table_not_found)
{
    stratus *srv = ts_new();
    int status;
    cJSON *resp = ddb_call(srv, "GetItem",
                           "{\"TableName\":\"nope\",\"Key\":{\"PK\":{\"S\":"
                           "\"a\"}}}",
                           &status);
    cr_assert_eq(status, 400);
    cr_assert_str_eq(ddb_error_type(resp), "ResourceNotFoundException");
    cr_assert_str_eq(ddb_error_message(resp), "Requested resource not found");
    cJSON_Delete(resp);
    ts_free(srv);
}

Test(ddb_item, consumed_capacity_total)
{
    stratus *srv = ts_new();
    ddb_create_pk_sk(srv, "cards");
    int status;
    cJSON *resp = ddb_call(srv, "PutItem",
                           "{\"TableName\":\"cards\",\"Item\":{\"PK\":{\"S\":"
                           "\"a\"},\"SK\":{\"S\":\"b\"}},"
                           "\"ReturnConsumedCapacity\":\"TOTAL\"}",
                           &status);
    cr_assert_eq(status, 200);
    const cJSON *c = at(resp, "ConsumedCapacity");
    cr_assert_str_eq(cJSON_GetStringValue(at(c, "TableName")), "cards");
    cr_assert_eq(cJSON_GetNumberValue(at(c, "CapacityUnits")), 1);
    cJSON_Delete(resp);
    ts_free(srv);
}
