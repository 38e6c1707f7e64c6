/*
 * test_ddb_conformance.c: DynamoDB responses compared with AWS recordings.
 *
 * The recorded responses come from LocalStack's snapshot file of its
 * DynamoDB tests, which were recorded against AWS. The requests are rebuilt
 * here from those tests' steps; the expected codes, messages and members are
 * read from the snapshot at run time. Tests skip when the shared folder is
 * absent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "ts.h"

static cJSON *snapshot;

static void load_snapshot(void)
{
    const char *shared = ts_shared_dir();
    char path[1200];
    if (!shared)
        cr_skip_test("shared folder not found (set STRATUS_SHARED_DIR); "
                     "skipping AWS-recorded conformance checks");
    snprintf(path, sizeof path,
             "%s/conformance/localstack/tests/aws/services/dynamodb/"
             "test_dynamodb.snapshot.json",
             shared);
    char *text = ts_read_file(path);
    if (!text)
        cr_skip_test("%s not found; skipping", path);
    snapshot = cJSON_Parse(text);
    free(text);
    cr_assert_not_null(snapshot, "snapshot is not valid JSON");
}

static void drop_snapshot(void)
{
    cJSON_Delete(snapshot);
    snapshot = NULL;
}

TestSuite(ddb_conformance, .init = load_snapshot, .fini = drop_snapshot);

/* The recorded content of the test whose id ends with `name`. */
static const cJSON *recorded(const char *name)
{
    size_t n = strlen(name);
    for (const cJSON *t = snapshot->child; t; t = t->next) {
        size_t k = strlen(t->string);
        if (k >= n && strcmp(t->string + k - n, name) == 0)
            return cJSON_GetObjectItemCaseSensitive(t, "recorded-content");
    }
    cr_assert_fail("no recording named %s", name);
    return NULL;
}

/* Split botocore's "An error occurred (Code) when calling the Op operation:
 * Message" into its code and message. */
static void split_botocore_error(const char *text, char *code, size_t csize,
                                 const char **message)
{
    const char *open = strchr(text, '(');
    const char *close = open ? strchr(open, ')') : NULL;
    cr_assert(open && close, "unexpected error text: %s", text);
    snprintf(code, csize, "%.*s", (int)(close - open - 1), open + 1);
    const char *colon = strstr(close, "operation: ");
    cr_assert_not_null(colon);
    *message = colon + strlen("operation: ");
}

static const char *type_suffix(const cJSON *body)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(body, "__type");
    cr_assert(cJSON_IsString(t));
    const char *hash = strchr(t->valuestring, '#');
    return hash ? hash + 1 : t->valuestring;
}

static const char *message_of(const cJSON *body)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(body, "message");
    cr_assert(cJSON_IsString(m));
    return m->valuestring;
}

static void call_ok(stratus *srv, const char *op, const char *body)
{
    char target[128];
    int status;
    snprintf(target, sizeof target, "DynamoDB_20120810.%s", op);
    cJSON *r = ts_call(srv, target, body, &status);
    cr_assert_eq(status, 200, "%s failed: %s", op, cJSON_PrintUnformatted(r));
    cJSON_Delete(r);
}

static const char simple_table[] =
    "{\"TableName\":\"conformance\",\"KeySchema\":[{\"AttributeName\":\"id\","
    "\"KeyType\":\"HASH\"}],\"AttributeDefinitions\":[{\"AttributeName\":"
    "\"id\",\"AttributeType\":\"S\"}],\"ProvisionedThroughput\":{"
    "\"ReadCapacityUnits\":5,\"WriteCapacityUnits\":5}}";

Test(ddb_conformance, duplicate_table_message)
{
    stratus *srv = ts_new();
    char code[64];
    const char *message;
    int status;

    split_botocore_error(cJSON_GetObjectItemCaseSensitive(
                             recorded("test_create_duplicate_table"), "Error")
                             ->valuestring,
                         code, sizeof code, &message);
    call_ok(srv, "CreateTable", simple_table);
    cJSON *r =
        ts_call(srv, "DynamoDB_20120810.CreateTable", simple_table, &status);
    cr_assert_eq(status, 400);
    cr_assert_str_eq(type_suffix(r), code);
    /* The recording masks the table name as <test-table>. */
    cr_assert_str_eq(message_of(r), "Table already exists: conformance");
    cr_assert(strncmp(message, "Table already exists: ", 22) == 0);
    cJSON_Delete(r);
    ts_free(srv);
}

Test(ddb_conformance, transaction_reasons_in_order)
{
    stratus *srv = ts_new();
    char code[64];
    const char *message;
    int status;

    split_botocore_error(
        cJSON_GetObjectItemCaseSensitive(
            recorded("test_transaction_write_canceled"), "Error")
            ->valuestring,
        code, sizeof code, &message);
    call_ok(srv, "CreateTable", simple_table);
    cJSON *r = ts_call(
        srv, "DynamoDB_20120810.TransactWriteItems",
        "{\"TransactItems\":["
        "{\"ConditionCheck\":{\"TableName\":\"conformance\",\"Key\":{\"id\":"
        "{\"S\":\"absent\"}},\"ConditionExpression\":\"attribute_exists(id)\""
        "}},"
        "{\"Put\":{\"TableName\":\"conformance\",\"Item\":{\"id\":{\"S\":"
        "\"new\"}}}}]}",
        &status);
    cr_assert_eq(status, 400);
    cr_assert_str_eq(type_suffix(r), code);
    cr_assert_str_eq(message_of(r), message);
    const cJSON *reasons =
        cJSON_GetObjectItemCaseSensitive(r, "CancellationReasons");
    cr_assert_eq(cJSON_GetArraySize(reasons), 2);
    cr_assert_str_eq(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(reasons, 0), "Code")
            ->valuestring,
        "ConditionalCheckFailed");
    cr_assert_str_eq(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(reasons, 1), "Code")
            ->valuestring,
        "None");
    cJSON_Delete(r);
    ts_free(srv);
}

Test(ddb_conformance, transaction_on_missing_table)
{
    stratus *srv = ts_new();
    int status;
    const cJSON *rec = cJSON_GetObjectItemCaseSensitive(
        recorded("test_batch_write_not_existing_table"),
        "exc-not-found-transact-write-items");
    const cJSON *err = cJSON_GetObjectItemCaseSensitive(rec, "Error");

    cJSON *r = ts_call(srv, "DynamoDB_20120810.TransactWriteItems",
                       "{\"TransactItems\":[{\"Put\":{\"TableName\":"
                       "\"missing-table\",\"Item\":{\"id\":{\"S\":\"1\"}}}}]}",
                       &status);
    cr_assert_eq(status,
                 cJSON_GetObjectItemCaseSensitive(
                     cJSON_GetObjectItemCaseSensitive(rec, "ResponseMetadata"),
                     "HTTPStatusCode")
                     ->valueint);
    cr_assert_str_eq(
        type_suffix(r),
        cJSON_GetObjectItemCaseSensitive(err, "Code")->valuestring);
    cr_assert_str_eq(
        message_of(r),
        cJSON_GetObjectItemCaseSensitive(err, "Message")->valuestring);
    cJSON_Delete(r);
    ts_free(srv);
}

Test(ddb_conformance, condition_failure_returns_old_item)
{
    stratus *srv = ts_new();
    int status;
    const cJSON *rec = cJSON_GetObjectItemCaseSensitive(
        recorded("test_return_values_on_conditions_check_failure"), "items");
    const cJSON *err = cJSON_GetObjectItemCaseSensitive(rec, "Error");
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(rec, "Item");

    call_ok(srv, "CreateTable", simple_table);
    call_ok(srv, "PutItem",
            "{\"TableName\":\"conformance\",\"Item\":{\"id\":{\"S\":\"456\"},"
            "\"price\":{\"N\":\"650\"},\"product\":{\"S\":\"sporting "
            "goods\"}}}");
    cJSON *r = ts_call(
        srv, "DynamoDB_20120810.PutItem",
        "{\"TableName\":\"conformance\",\"Item\":{\"id\":{\"S\":\"456\"},"
        "\"price\":{\"N\":\"1\"}},\"ConditionExpression\":\"price < :p\","
        "\"ExpressionAttributeValues\":{\":p\":{\"N\":\"500\"}},"
        "\"ReturnValuesOnConditionCheckFailure\":\"ALL_OLD\"}",
        &status);
    cr_assert_eq(status, 400);
    cr_assert_str_eq(
        type_suffix(r),
        cJSON_GetObjectItemCaseSensitive(err, "Code")->valuestring);
    cr_assert_str_eq(
        message_of(r),
        cJSON_GetObjectItemCaseSensitive(err, "Message")->valuestring);
    cr_assert(
        cJSON_Compare(cJSON_GetObjectItemCaseSensitive(r, "Item"), item, 1),
        "Item differs: %s",
        cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(r, "Item")));
    cJSON_Delete(r);
    ts_free(srv);
}

/* Members whose recorded values are stable and must match exactly. */
static const char *const stable_members[] = {
    "AttributeDefinitions",
    "DeletionProtectionEnabled",
    "ItemCount",
    "KeySchema",
    "TableSizeBytes",
    "TableStatus",
};

static void check_description(const cJSON *ours, const cJSON *aws)
{
    for (const cJSON *m = aws->child; m; m = m->next)
        cr_assert_not_null(cJSON_GetObjectItemCaseSensitive(ours, m->string),
                           "member %s missing from %s", m->string,
                           cJSON_PrintUnformatted(ours));
    for (size_t i = 0; i < sizeof stable_members / sizeof *stable_members;
         i++) {
        const char *name = stable_members[i];
        cr_assert(cJSON_Compare(cJSON_GetObjectItemCaseSensitive(ours, name),
                                cJSON_GetObjectItemCaseSensitive(aws, name), 1),
                  "member %s differs", name);
    }
}

Test(ddb_conformance, table_description_members)
{
    stratus *srv = ts_new();
    int status;
    const cJSON *rec = recorded("test_table_crud");

    cJSON *created =
        ts_call(srv, "DynamoDB_20120810.CreateTable", simple_table, &status);
    cr_assert_eq(status, 200);
    check_description(
        cJSON_GetObjectItemCaseSensitive(created, "TableDescription"),
        cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(rec, "create-table"),
            "TableDescription"));
    cJSON *described = ts_call(srv, "DynamoDB_20120810.DescribeTable",
                               "{\"TableName\":\"conformance\"}", &status);
    cr_assert_eq(status, 200);
    check_description(
        cJSON_GetObjectItemCaseSensitive(described, "Table"),
        cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(rec, "describe-table"), "Table"));
    cJSON_Delete(created);
    cJSON_Delete(described);
    ts_free(srv);
}
