/*
 * test_ddb_query.c: Query and Scan through the dispatcher: key condition
 * forms, the GSI1 listing with its LastEvaluatedKey cursor round trip,
 * sparse indexes, Select COUNT, filters and parallel scan segments.
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

static double num(const cJSON *resp, const char *name)
{
    return cJSON_GetNumberValue(at(resp, name));
}

/* Cards and idempotency tokens of one user, as CollectIQ writes them. */
static void put_user_items(stratus *srv)
{
    for (int i = 1; i <= 5; i++) {
        char body[1024];
        snprintf(body, sizeof body,
                 "{\"TableName\":\"cards\",\"Item\":{\"PK\":{\"S\":\"USER#u\"},"
                 "\"SK\":{\"S\":\"CARD#%d\"},\"entityType\":{\"S\":\"CARD\"},"
                 "\"userId\":{\"S\":\"u\"},\"cardId\":{\"S\":\"%d\"},"
                 "\"createdAt\":{\"S\":\"2026-01-0%dT00:00:00.000Z\"}}}",
                 i, i, i);
        ddb_ok(srv, "PutItem", body);
        snprintf(
            body, sizeof body,
            "{\"TableName\":\"cards\",\"Item\":{\"PK\":{\"S\":\"USER#u\"},"
            "\"SK\":{\"S\":\"IDEMPOTENCY#%d\"},\"entityType\":{\"S\":"
            "\"IDEMPOTENCY\"},\"userId\":{\"S\":\"u\"},\"createdAt\":{\"S\":"
            "\"2026-01-0%dT00:00:00.000Z\"},\"ttl\":{\"N\":\"1\"}}}",
            i, i);
        ddb_ok(srv, "PutItem", body);
    }
    /* An upsert-created partial card: no createdAt, so not in GSI1. */
    ddb_ok(srv, "UpdateItem",
           "{\"TableName\":\"cards\",\"Key\":{\"PK\":{\"S\":\"USER#u\"},"
           "\"SK\":{\"S\":\"CARD#9\"}},\"UpdateExpression\":\"SET userId = :u,"
           " cardId = :c\",\"ExpressionAttributeValues\":{\":u\":{\"S\":\"u\"},"
           "\":c\":{\"S\":\"9\"}}}");
}

Test(ddb_query, gsi1_cursor_round_trip)
{
    stratus *srv = ts_new();
    ddb_create_cards(srv);
    put_user_items(srv);

    cJSON *request =
        cJSON_Parse("{\"TableName\":\"cards\",\"IndexName\":\"GSI1\","
                    "\"KeyConditionExpression\":\"userId = :userId\","
                    "\"ExpressionAttributeValues\":{\":userId\":{\"S\":\"u\"}},"
                    "\"Limit\":3,\"ScanIndexForward\":false}");
    int pages = 0, total = 0;
    char previous[64] = "9999";
    for (; pages < 10; pages++) {
        char *body = cJSON_PrintUnformatted(request);
        int status;
        cJSON *resp = ddb_call(srv, "Query", body, &status);
        free(body);
        cr_assert_eq(status, 200);
        const cJSON *item;
        cJSON_ArrayForEach(item, at(resp, "Items"))
        {
            const char *created =
                cJSON_GetStringValue(at(at(item, "createdAt"), "S"));
            cr_assert_not_null(created);
            cr_assert_leq(strcmp(created, previous), 0,
                          "not newest first: %s after %s", created, previous);
            snprintf(previous, sizeof previous, "%s", created);
            total++;
        }

        const cJSON *lek = at(resp, "LastEvaluatedKey");
        cJSON_DeleteItemFromObjectCaseSensitive(request, "ExclusiveStartKey");
        if (!lek) {
            cJSON_Delete(resp);
            break;
        }
        cr_assert_eq(cJSON_GetArraySize(lek), 4);
        cr_assert_not_null(at(lek, "PK"));
        cr_assert_not_null(at(lek, "SK"));
        cr_assert_not_null(at(lek, "userId"));
        cr_assert_not_null(at(lek, "createdAt"));
        /* The cursor travels as JSON text, as CollectIQ's base64 does. */
        char *cursor = cJSON_PrintUnformatted(lek);
        cJSON_AddItemToObject(request, "ExclusiveStartKey",
                              cJSON_Parse(cursor));
        free(cursor);
        cJSON_Delete(resp);
    }
    cr_assert_eq(total, 10, "cards and tokens: %d items", total);
    cr_assert_eq(pages, 3);
    cJSON_Delete(request);
    ts_free(srv);
}

Test(ddb_query, sparse_gsi_skips_partial_items)
{
    stratus *srv = ts_new();
    ddb_create_cards(srv);
    put_user_items(srv);
    int status;
    cJSON *resp = ddb_call(srv, "Query",
                           "{\"TableName\":\"cards\",\"IndexName\":\"GSI1\","
                           "\"KeyConditionExpression\":\"userId = :u\","
                           "\"ExpressionAttributeValues\":{\":u\":{\"S\":"
                           "\"u\"}},\"Select\":\"COUNT\"}",
                           &status);
    cr_assert_eq(status, 200);
    cr_assert_eq(num(resp, "Count"), 10);
    cr_assert_null(at(resp, "Items"));
    cJSON_Delete(resp);

    resp = ddb_call(srv, "Scan",
                    "{\"TableName\":\"cards\",\"IndexName\":"
                    "\"GSI2\"}",
                    &status);
    cr_assert_eq(num(resp, "Count"), 0);
    cJSON_Delete(resp);

    resp = ddb_call(srv, "Query",
                    "{\"TableName\":\"cards\",\"IndexName\":\"CardIdIndex\","
                    "\"KeyConditionExpression\":\"cardId = :c\","
                    "\"ExpressionAttributeValues\":{\":c\":{\"S\":\"9\"}}}",
                    &status);
    cr_assert_eq(num(resp, "Count"), 1);
    cJSON_Delete(resp);
    ts_free(srv);
}

Test(ddb_query, begins_with_descending)
{
    stratus *srv = ts_new();
    ddb_create_cards(srv);
    put_user_items(srv);
    int status;
    cJSON *resp =
        ddb_call(srv, "Query",
                 "{\"TableName\":\"cards\",\"KeyConditionExpression\":"
                 "\"PK = :pk AND begins_with(SK, :p)\","
                 "\"ExpressionAttributeValues\":{\":pk\":{\"S\":"
                 "\"USER#u\"},\":p\":{\"S\":\"CARD#\"}},"
                 "\"ScanIndexForward\":false}",
                 &status);
    cr_assert_eq(status, 200);
    cr_assert_eq(num(resp, "Count"), 6);
    const char *first = cJSON_GetStringValue(
        at(at(cJSON_GetArrayItem(at(resp, "Items"), 0), "SK"), "S"));
    cr_assert_str_eq(first, "CARD#9");
    cJSON_Delete(resp);
    ts_free(srv);
}

Test(ddb_query, range_operators)
{
    stratus *srv = ts_new();
    ddb_create_cards(srv);
    put_user_items(srv);
    static const struct {
        const char *cond;
        int count;
    } cases[] = {
        {"PK = :pk AND SK = :a", 1},   {"PK = :pk AND SK < :a", 1},
        {"PK = :pk AND SK <= :a", 2},  {"PK = :pk AND SK > :a", 9},
        {"PK = :pk AND SK >= :a", 10}, {"PK = :pk AND SK BETWEEN :a AND :b", 3},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int status;
        cJSON *resp = ddb_callf(
            srv, "Query", &status,
            "{\"TableName\":\"cards\",\"KeyConditionExpression\":\"%s\","
            "\"ExpressionAttributeValues\":{\":pk\":{\"S\":\"USER#u\"},"
            "\":a\":{\"S\":\"CARD#2\"}%s}}",
            cases[i].cond,
            strstr(cases[i].cond, ":b") ? ",\":b\":{\"S\":\"CARD#4\"}" : "");
        cr_assert_eq(status, 200, "%s", cases[i].cond);
        cr_expect_eq(num(resp, "Count"), cases[i].count, "%s: %g",
                     cases[i].cond, num(resp, "Count"));
        cJSON_Delete(resp);
    }
    ts_free(srv);
}

Test(ddb_query, filter_counts_scanned)
{
    stratus *srv = ts_new();
    ddb_create_cards(srv);
    put_user_items(srv);
    int status;
    cJSON *resp =
        ddb_call(srv, "Query",
                 "{\"TableName\":\"cards\",\"KeyConditionExpression\":"
                 "\"PK = :pk\",\"FilterExpression\":\"#t = :t\","
                 "\"ExpressionAttributeNames\":{\"#t\":"
                 "\"entityType\"},\"ExpressionAttributeValues\":"
                 "{\":pk\":{\"S\":\"USER#u\"},\":t\":{\"S\":"
                 "\"CARD\"}},\"Limit\":4}",
                 &status);
    cr_assert_eq(status, 200);
    cr_assert_eq(num(resp, "ScannedCount"), 4);
    cr_assert_eq(num(resp, "Count"), 4);
    cr_assert_not_null(at(resp, "LastEvaluatedKey"));
    cJSON_Delete(resp);
    ts_free(srv);
}

Test(ddb_query, unknown_index_rejected)
{
    stratus *srv = ts_new();
    ddb_create_cards(srv);
    int status;
    cJSON *resp = ddb_call(srv, "Query",
                           "{\"TableName\":\"cards\",\"IndexName\":\"GSI9\","
                           "\"KeyConditionExpression\":\"userId = :u\","
                           "\"ExpressionAttributeValues\":{\":u\":{\"S\":"
                           "\"u\"}}}",
                           &status);
    cr_assert_eq(status, 400);
    cr_assert_str_eq(ddb_error_message(resp),
                     "The table does not have the specified index: GSI9");
    cJSON_Delete(resp);
    ts_free(srv);
}

Test(ddb_query, key_type_mismatch_rejected)
{
    stratus *srv = ts_new();
    ddb_create_cards(srv);
    int status;
    cJSON *resp =
        ddb_call(srv, "Query",
                 "{\"TableName\":\"cards\",\"KeyConditionExpression\":"
                 "\"PK = :pk\",\"ExpressionAttributeValues\":{\":pk\":"
                 "{\"N\":\"1\"}}}",
                 &status);
    cr_assert_eq(status, 400);
    cr_assert_str_eq(ddb_error_message(resp),
                     "One or more parameter values were invalid: Condition "
                     "parameter type does not match schema type");
    cJSON_Delete(resp);
    ts_free(srv);
}

Test(ddb_query, scan_segments_partition_items)
{
    stratus *srv = ts_new();
    ddb_create_cards(srv);
    for (int i = 0; i < 20; i++) {
        char body[256];
        snprintf(body, sizeof body,
                 "{\"TableName\":\"cards\",\"Item\":{\"PK\":{\"S\":\"P%d\"},"
                 "\"SK\":{\"S\":\"x\"}}}",
                 i);
        ddb_ok(srv, "PutItem", body);
    }
    int total = 0;
    for (int seg = 0; seg < 3; seg++) {
        int status;
        cJSON *resp = ddb_callf(srv, "Scan", &status,
                                "{\"TableName\":\"cards\",\"Segment\":%d,"
                                "\"TotalSegments\":3}",
                                seg);
        cr_assert_eq(status, 200);
        total += (int)num(resp, "Count");
        cJSON_Delete(resp);
    }
    cr_assert_eq(total, 20);

    int status;
    cJSON *resp = ddb_call(srv, "Scan",
                           "{\"TableName\":\"cards\",\"Segment\":3,"
                           "\"TotalSegments\":3}",
                           &status);
    cr_assert_eq(status, 400);
    cr_assert_str_eq(ddb_error_message(resp),
                     "The Segment parameter is zero-based and must be less "
                     "than parameter TotalSegments: Segment: 3 is not less "
                     "than TotalSegments: 3");
    cJSON_Delete(resp);
    ts_free(srv);
}

Test(ddb_query, scan_pages_with_limit)
{
    stratus *srv = ts_new();
    ddb_create_cards(srv);
    put_user_items(srv);
    cJSON *request = cJSON_Parse("{\"TableName\":\"cards\",\"Limit\":4}");
    int total = 0;
    for (int page = 0; page < 10; page++) {
        char *body = cJSON_PrintUnformatted(request);
        int status;
        cJSON *resp = ddb_call(srv, "Scan", body, &status);
        free(body);
        cr_assert_eq(status, 200);
        total += (int)num(resp, "Count");
        cJSON_DeleteItemFromObjectCaseSensitive(request, "ExclusiveStartKey");
        const cJSON *lek = at(resp, "LastEvaluatedKey");
        if (lek)
            cJSON_AddItemToObject(request, "ExclusiveStartKey",
                                  cJSON_Duplicate(lek, 1));
        cJSON_Delete(resp);
        if (!lek)
            break;
    }
    cr_assert_eq(total, 11);
    cJSON_Delete(request);
    ts_free(srv);
}
