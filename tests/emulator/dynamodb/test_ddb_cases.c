/*
 * test_ddb_cases.c: the DynamoDB regression cases of the shared case
 * folder (every JSON file of cases/dynamodb, kind ddb-request-sequence), each
 * run as data through the real dispatcher. A case states what AWS does; each
 * step's response must match it.
 */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <criterion/criterion.h>

#include "ddb_test.h"
#include "ts.h"

static const char *const case_files[] = {
    "attribute-not-exists-on-composite-key.json",
    "condition-bare-path-is-syntax-error.json",
    "conditional-check-failed-return-old-item.json",
    "key-condition-parentheses-accepted.json",
    "number-precision-trailing-zeros.json",
    "query-gsi-pagination-visits-each-item-once.json",
    "update-add-and-delete-same-set.json",
    "update-item-updated-new-includes-unchanged-values.json",
    "update-set-parent-remove-child-overlap.json",
    NULL,
};

static cJSON *case_load(const char *file)
{
    const char *shared = ts_shared_dir();
    if (!shared)
        cr_skip_test("shared folder not found (set STRATUS_SHARED_DIR)");
    char path[1024];
    snprintf(path, sizeof path, "%s/cases/dynamodb/%s", shared, file);
    char *text = ts_read_file(path);
    if (!text)
        cr_skip_test("case file %s not readable", path);
    cJSON *c = cJSON_Parse(text);
    free(text);
    cr_assert_not_null(c, "case file %s is not JSON", path);
    return c;
}

static const cJSON *member(const cJSON *obj, const char *name)
{
    return cJSON_GetObjectItemCaseSensitive(obj, name);
}

/*
 * Some case files name tables "t1", shorter than the 3 characters AWS
 * accepts (AWS would reject their CreateTable). Their names were replaced
 * when the cases were reduced, so each such name gets a "_case" suffix.
 */
static void table_names_fix(cJSON *node)
{
    cJSON *child;
    cJSON_ArrayForEach(child, node)
    {
        if (child->string && strcmp(child->string, "TableName") == 0 &&
            cJSON_IsString(child) && strlen(child->valuestring) < 3) {
            char name[64];
            snprintf(name, sizeof name, "%s_case", child->valuestring);
            cJSON_SetValuestring(child, name);
        } else if (cJSON_IsObject(child) || cJSON_IsArray(child)) {
            table_names_fix(child);
        }
    }
}

static cJSON *case_send(stratus *srv, const char *op, const cJSON *request,
                        int *status)
{
    cJSON *copy = cJSON_Duplicate(request, 1);
    table_names_fix(copy);
    char *body = cJSON_PrintUnformatted(copy);
    cJSON *resp = ddb_call(srv, op, body, status);
    free(body);
    cJSON_Delete(copy);
    return resp;
}

static void expect_error(const char *file, int step, const cJSON *resp,
                         int status, const cJSON *expected)
{
    char *text = cJSON_PrintUnformatted(resp);
    const cJSON *http = member(expected, "http_status");
    if (http)
        cr_expect_eq(status, (int)http->valuedouble,
                     "%s step %d: status %d, expected %d: %s", file, step,
                     status, (int)http->valuedouble, text);
    const char *type = cJSON_GetStringValue(member(resp, "__type"));
    const char *want_type = cJSON_GetStringValue(member(expected, "__type"));
    if (want_type)
        cr_expect_str_eq(type ? type : "", want_type, "%s step %d: %s", file,
                         step, text);
    const char *code = cJSON_GetStringValue(member(expected, "code"));
    if (code)
        cr_expect_str_eq(ddb_error_type(resp), code, "%s step %d: %s", file,
                         step, text);

    const char *message = ddb_error_message(resp);
    const char *want = cJSON_GetStringValue(member(expected, "message"));
    if (want)
        cr_expect_str_eq(message, want, "%s step %d", file, step);
    want = cJSON_GetStringValue(member(expected, "message_starts_with"));
    if (want)
        cr_expect(strncmp(message, want, strlen(want)) == 0,
                  "%s step %d: message \"%s\" should start with \"%s\"", file,
                  step, message, want);
    want = cJSON_GetStringValue(member(expected, "message_contains"));
    if (want)
        cr_expect(strstr(message, want) != NULL,
                  "%s step %d: message \"%s\" should contain \"%s\"", file,
                  step, message, want);

    const cJSON *item = member(expected, "Item");
    if (cJSON_IsString(item) && strcmp(item->valuestring, "absent") == 0)
        cr_expect_null(member(resp, "Item"),
                       "%s step %d: Item should be absent", file, step);
    else if (item)
        cr_expect(cJSON_Compare(member(resp, "Item"), item, 1),
                  "%s step %d: Item differs: %s", file, step, text);
    free(text);
}

static void expect_ok(const char *file, int step, const cJSON *resp, int status,
                      const cJSON *expected)
{
    char *text = cJSON_PrintUnformatted(resp);
    cr_expect_eq(status, 200, "%s step %d: status %d: %s", file, step, status,
                 text);

    const cJSON *count = member(expected, "Count");
    if (count)
        cr_expect_eq(cJSON_GetNumberValue(member(resp, "Count")),
                     count->valuedouble, "%s step %d: Count: %s", file, step,
                     text);
    const cJSON *attributes = member(expected, "Attributes");
    if (attributes)
        cr_expect(cJSON_Compare(member(resp, "Attributes"), attributes, 1),
                  "%s step %d: Attributes differ: %s", file, step, text);
    const char *big =
        cJSON_GetStringValue(member(expected, "big_numeric_value_equals"));
    if (big) {
        const char *n = cJSON_GetStringValue(
            member(member(member(resp, "Item"), "big"), "N"));
        cr_assert_not_null(n, "%s step %d: no big.N in %s", file, step, text);
        double got = strtod(n, NULL), want = strtod(big, NULL);
        cr_expect(fabs(got - want) <= fabs(want) * 1e-15,
                  "%s step %d: big is %s, expected %s", file, step, n, big);
    }
    free(text);
}

/* The QueryAllPages step: page through and compare each page. */
static void run_pages(stratus *srv, const char *file, const cJSON *step,
                      const cJSON *pages)
{
    cJSON *request = cJSON_Duplicate(member(step, "request"), 1);
    int page_count = cJSON_GetArraySize(pages);
    int page = 0;
    for (; page < 10; page++) {
        int status = 0;
        cJSON *resp = case_send(srv, "Query", request, &status);
        char *text = cJSON_PrintUnformatted(resp);
        cr_assert_eq(status, 200, "%s page %d: %s", file, page, text);
        cr_assert_lt(page, page_count, "%s: more pages than expected: %s", file,
                     text);
        const cJSON *want = cJSON_GetArrayItem(pages, page);

        cr_expect_eq(cJSON_GetNumberValue(member(resp, "Count")),
                     cJSON_GetNumberValue(member(want, "Count")),
                     "%s page %d: Count: %s", file, page, text);
        const cJSON *ids = member(want, "ids");
        for (int i = 0; i < cJSON_GetArraySize(ids); i++) {
            const cJSON *item = cJSON_GetArrayItem(member(resp, "Items"), i);
            const char *id =
                cJSON_GetStringValue(member(member(item, "id"), "S"));
            cr_expect_str_eq(id ? id : "",
                             cJSON_GetArrayItem(ids, i)->valuestring,
                             "%s page %d item %d: %s", file, page, i, text);
        }

        const cJSON *lek = member(resp, "LastEvaluatedKey");
        const cJSON *keys = member(want, "LastEvaluatedKey_keys");
        if (keys) {
            cr_expect_eq(cJSON_GetArraySize(lek), cJSON_GetArraySize(keys),
                         "%s page %d: LastEvaluatedKey: %s", file, page, text);
            const cJSON *k;
            cJSON_ArrayForEach(k, keys)
                cr_expect_not_null(member(lek, k->valuestring),
                                   "%s page %d: LastEvaluatedKey lacks %s",
                                   file, page, k->valuestring);
        } else {
            cr_expect_null(lek,
                           "%s page %d: LastEvaluatedKey should be "
                           "absent: %s",
                           file, page, text);
        }
        free(text);

        cJSON_DeleteItemFromObjectCaseSensitive(request, "ExclusiveStartKey");
        if (!lek) {
            cJSON_Delete(resp);
            break;
        }
        cJSON_AddItemToObject(request, "ExclusiveStartKey",
                              cJSON_Duplicate(lek, 1));
        cJSON_Delete(resp);
    }
    cr_expect_eq(page + 1, page_count, "%s: %d pages, expected %d", file,
                 page + 1, page_count);
    cJSON_Delete(request);
}

static void run_case(const char *file)
{
    cJSON *c = case_load(file);
    cr_assert_str_eq(cJSON_GetStringValue(member(c, "kind")),
                     "ddb-request-sequence", "%s: unexpected kind", file);
    const cJSON *input = member(c, "input");
    const cJSON *expected = member(c, "expected");
    stratus *srv = ts_new();

    const cJSON *create = member(input, "create_table");
    const char *table = cJSON_GetStringValue(member(create, "TableName"));
    int status = 0;
    cJSON *resp = case_send(srv, "CreateTable", create, &status);
    cr_assert_eq(status, 200, "%s: CreateTable failed", file);
    cJSON_Delete(resp);

    int index = 0;
    const cJSON *step;
    cJSON_ArrayForEach(step, member(input, "steps"))
    {
        const char *op = cJSON_GetStringValue(member(step, "op"));
        if (strncmp(op, "PutItem(x", 9) == 0) {
            const cJSON *item;
            cJSON_ArrayForEach(item, member(step, "items"))
            {
                cJSON *request = cJSON_CreateObject();
                cJSON_AddStringToObject(request, "TableName", table);
                cJSON_AddItemToObject(request, "Item",
                                      cJSON_Duplicate(item, 1));
                resp = case_send(srv, "PutItem", request, &status);
                cr_assert_eq(status, 200, "%s: PutItem failed", file);
                cJSON_Delete(resp);
                cJSON_Delete(request);
            }
        } else if (strcmp(op, "QueryAllPages") == 0) {
            run_pages(srv, file, step, member(expected, "pages"));
        } else {
            resp = case_send(srv, op, member(step, "request"), &status);
            const cJSON *want =
                cJSON_GetArrayItem(member(expected, "steps"), index);
            if (member(want, "error"))
                expect_error(file, index, resp, status, member(want, "error"));
            else if (want)
                expect_ok(file, index, resp, status, want);
            cJSON_Delete(resp);
        }
        index++;
    }

    ts_free(srv);
    cJSON_Delete(c);
}

Test(ddb_cases, attribute_not_exists_composite_key)
{
    run_case(case_files[0]);
}

Test(ddb_cases, condition_bare_path_syntax_error)
{
    run_case(case_files[1]);
}

Test(ddb_cases, conditional_check_failed_old_item)
{
    run_case(case_files[2]);
}

Test(ddb_cases, key_condition_parentheses)
{
    run_case(case_files[3]);
}

Test(ddb_cases, number_precision_trailing_zeros)
{
    run_case(case_files[4]);
}

Test(ddb_cases, query_gsi_pagination_once)
{
    run_case(case_files[5]);
}

Test(ddb_cases, update_add_delete_same_set)
{
    run_case(case_files[6]);
}

Test(ddb_cases, updated_new_includes_unchanged)
{
    run_case(case_files[7]);
}

Test(ddb_cases, set_parent_remove_child_overlap)
{
    run_case(case_files[8]);
}

/* A case file added later must get a test above too. */
Test(ddb_cases, every_case_file_has_test)
{
    const char *shared = ts_shared_dir();
    if (!shared)
        cr_skip_test("shared folder not found (set STRATUS_SHARED_DIR)");
    char path[1024];
    snprintf(path, sizeof path, "%s/cases/dynamodb", shared);
    DIR *dir = opendir(path);
    if (!dir)
        cr_skip_test("%s not readable", path);
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 5, ".json") != 0)
            continue;
        int known = 0;
        for (size_t i = 0; case_files[i]; i++)
            known |= strcmp(case_files[i], e->d_name) == 0;
        cr_expect(known, "case file %s has no test", e->d_name);
    }
    closedir(dir);
}
