/*
 * test_ddb_stack_items.c: the Stratus::DynamoDB::Items stack type, which
 * seeds an existing table from inline items and from a JSON file.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <criterion/criterion.h>

#include "ddb.h"
#include "ddb_test.h"
#include "store.h"
#include "ts.h"

/* Apply one Items resource in its own store call, as the stack loader
 * does. Returns the apply result; `err` keeps the error. */
static int apply_items(stratus *srv, const char *properties, aws_error *err)
{
    cJSON *props = cJSON_Parse(properties);
    cr_assert_not_null(props, "invalid test JSON: %s", properties);
    cr_assert_eq(store_call_begin(srv->store), SQLITE_OK);
    int rc = ddb_stack_apply_items(srv, "123456789012", "us-east-1", "Seed",
                                   props, err);
    store_call_end(srv->store, rc == 0);
    stratus_turn_end(srv);
    cJSON_Delete(props);
    return rc;
}

static const char *price_of(stratus *srv, const char *sk)
{
    static char price[64];
    int status;
    cJSON *resp = ddb_callf(srv, "GetItem", &status,
                            "{\"TableName\":\"cards\",\"Key\":{\"PK\":{\"S\":"
                            "\"API_CACHE\"},\"SK\":{\"S\":\"%s\"}}}",
                            sk);
    cr_assert_eq(status, 200);
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(resp, "Item"), "price"),
        "N");
    snprintf(price, sizeof price, "%s", n ? n->valuestring : "(none)");
    cJSON_Delete(resp);
    return price;
}

Test(ddb_stack_items, seeds_inline_and_file_items)
{
    stratus *srv = ts_new();
    ddb_create_cards(srv);
    char path[] = "/tmp/stratus-items-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    FILE *f = fdopen(fd, "w");
    fputs("[{\"PK\":{\"S\":\"API_CACHE\"},\"SK\":{\"S\":\"PRICE#b|s\"},"
          "\"price\":{\"N\":\"2\"}}]",
          f);
    fclose(f);

    char props[512];
    snprintf(props, sizeof props,
             "{\"TableName\":\"cards\",\"ItemsFile\":\"%s\",\"Items\":[{"
             "\"PK\":{\"S\":\"API_CACHE\"},\"SK\":{\"S\":\"PRICE#a|s\"},"
             "\"price\":{\"N\":\"1\"}}]}",
             path);
    aws_error err = {0};
    cr_assert_eq(apply_items(srv, props, &err), 0, "%s", err.message);
    unlink(path);
    cr_assert_str_eq(price_of(srv, "PRICE#a|s"), "1");
    cr_assert_str_eq(price_of(srv, "PRICE#b|s"), "2");
    ts_free(srv);
}

Test(ddb_stack_items, keeps_existing_items)
{
    stratus *srv = ts_new();
    ddb_create_cards(srv);
    ddb_ok(srv, "PutItem",
           "{\"TableName\":\"cards\",\"Item\":{\"PK\":{\"S\":\"API_CACHE\"},"
           "\"SK\":{\"S\":\"PRICE#a|s\"},\"price\":{\"N\":\"9\"}}}");
    aws_error err = {0};
    int rc = apply_items(
        srv,
        "{\"TableName\":\"cards\",\"Items\":[{\"PK\":{\"S\":\"API_CACHE\"},"
        "\"SK\":{\"S\":\"PRICE#a|s\"},\"price\":{\"N\":\"1\"}}]}",
        &err);
    cr_assert_eq(rc, 0, "%s", err.message);
    cr_assert_str_eq(price_of(srv, "PRICE#a|s"), "9");
    ts_free(srv);
}

Test(ddb_stack_items, missing_table_fails)
{
    stratus *srv = ts_new();
    aws_error err = {0};
    int rc = apply_items(srv, "{\"TableName\":\"nope\",\"Items\":[]}", &err);
    cr_assert_eq(rc, -1);
    cr_assert_eq(err.code, AWS_ERR_RESOURCE_NOT_FOUND);
    cr_assert_not_null(strstr(err.message, "nope"), "%s", err.message);
    aws_error_reset(&err);
    ts_free(srv);
}

Test(ddb_stack_items, unreadable_file_fails)
{
    stratus *srv = ts_new();
    ddb_create_cards(srv);
    aws_error err = {0};
    int rc = apply_items(
        srv,
        "{\"TableName\":\"cards\",\"ItemsFile\":\"/nonexistent/items.json\"}",
        &err);
    cr_assert_eq(rc, -1);
    cr_assert_eq(err.code, AWS_ERR_VALIDATION);
    cr_assert_not_null(strstr(err.message, "/nonexistent/items.json"), "%s",
                       err.message);
    aws_error_reset(&err);
    ts_free(srv);
}

Test(ddb_stack_items, invalid_item_fails_whole_resource)
{
    stratus *srv = ts_new();
    ddb_create_cards(srv);
    aws_error err = {0};
    int rc = apply_items(
        srv,
        "{\"TableName\":\"cards\",\"Items\":[{\"PK\":{\"S\":\"API_CACHE\"},"
        "\"SK\":{\"S\":\"PRICE#a|s\"}},{\"PK\":{\"S\":\"API_CACHE\"}}]}",
        &err);
    cr_assert_eq(rc, -1);
    cr_assert_eq(err.code, AWS_ERR_VALIDATION, "%s", err.message);
    aws_error_reset(&err);
    cr_assert_str_eq(price_of(srv, "PRICE#a|s"), "(none)");
    ts_free(srv);
}

Test(ddb_stack_items, requires_items_or_file)
{
    stratus *srv = ts_new();
    ddb_create_cards(srv);
    aws_error err = {0};
    cr_assert_eq(apply_items(srv, "{\"TableName\":\"cards\"}", &err), -1);
    cr_assert_eq(err.code, AWS_ERR_VALIDATION);
    aws_error_reset(&err);
    ts_free(srv);
}
