/*
 * test_sfn_path.c: ASL JSONPath parsing, evaluation (definite and
 * indefinite paths, context paths, Jayway miss texts) and ResultPath
 * assignment.
 */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "sfn_path.h"

static cJSON *parse(const char *json)
{
    cJSON *v = cJSON_Parse(json);
    cr_assert_not_null(v, "test JSON does not parse: %s", json);
    return v;
}

/* Evaluate `path` on `input_json` and compare the result with
 * `expected_json`. */
static void expect_eval(const char *path, const char *input_json,
                        const char *expected_json)
{
    cJSON *input = parse(input_json);
    cJSON *expected = parse(expected_json);
    cJSON *out = NULL;
    char detail[256] = "";
    sfn_path_result r = sfn_path_query(path, SFN_PATH_GENERAL, input, NULL,
                                       &out, detail, sizeof detail);
    cr_assert_eq(r, SFN_PATH_FOUND, "path %s: %s", path, detail);
    char *got = sfn_json_compact(out);
    cr_assert(sfn_json_equal(out, expected), "path %s gave %s, expected %s",
              path, got, expected_json);
    free(got);
    cJSON_Delete(out);
    cJSON_Delete(expected);
    cJSON_Delete(input);
}

static void expect_miss(const char *path, const char *input_json,
                        sfn_path_result expected, const char *detail_text)
{
    cJSON *input = parse(input_json);
    cJSON *out = NULL;
    char detail[256] = "";
    sfn_path_result r = sfn_path_query(path, SFN_PATH_GENERAL, input, NULL,
                                       &out, detail, sizeof detail);
    cr_assert_eq(r, expected, "path %s: result %d", path, r);
    cr_assert_null(out);
    cr_assert_str_eq(detail, detail_text);
    cJSON_Delete(input);
}

Test(sfn_path, root_selects_whole_input)
{
    expect_eval("$", "{\"a\":1}", "{\"a\":1}");
}

Test(sfn_path, dot_and_bracket_names)
{
    expect_eval("$.a.b", "{\"a\":{\"b\":2}}", "2");
    expect_eval("$['a']['b']", "{\"a\":{\"b\":2}}", "2");
    expect_eval("$[\"a\"].b", "{\"a\":{\"b\":2}}", "2");
    expect_eval("$['a b']", "{\"a b\":3}", "3");
    expect_eval("$['it\\'s']", "{\"it's\":4}", "4");
    expect_eval("$.input-value", "{\"input-value\":0}", "0");
}

Test(sfn_path, array_indexes)
{
    expect_eval("$.a[0]", "{\"a\":[10,20,30]}", "10");
    expect_eval("$.a[-1]", "{\"a\":[10,20,30]}", "30");
    expect_eval("$.parallelResults[1].x",
                "{\"parallelResults\":[{\"x\":1},{\"x\":2}]}", "2");
    expect_eval("$[0][1]", "[[1,2],[3,4]]", "2");
}

Test(sfn_path, null_value_resolves)
{
    expect_eval("$.a", "{\"a\":null}", "null");
}

Test(sfn_path, wildcard_and_slices)
{
    expect_eval("$.a[*]", "{\"a\":[1,2,3]}", "[1,2,3]");
    expect_eval("$.a.*", "{\"a\":{\"x\":1,\"y\":2}}", "[1,2]");
    expect_eval("$.a[*].id", "{\"a\":[{\"id\":1},{\"id\":2},{}]}", "[1,2]");
    expect_eval("$.vals[3:]", "{\"vals\":[0,10,20,30,40,50]}", "[30,40,50]");
    expect_eval("$.vals[:2]", "{\"vals\":[0,10,20]}", "[0,10]");
    expect_eval("$.vals[-2:]", "{\"vals\":[0,10,20]}", "[10,20]");
    expect_eval("$.vals[1:2]", "{\"vals\":[0,10,20]}", "[10]");
}

Test(sfn_path, unions)
{
    expect_eval("$.a[0,2]", "{\"a\":[1,2,3]}", "[1,3]");
    expect_eval("$['a','c']", "{\"a\":1,\"b\":2,\"c\":3}",
                "[{\"a\":1,\"c\":3}]");
}

Test(sfn_path, deep_scan)
{
    expect_eval("$..id", "{\"id\":1,\"a\":{\"id\":2,\"b\":[{\"id\":3}]}}",
                "[1,2,3]");
}

Test(sfn_path, filters)
{
    const char *books = "{\"books\":[{\"t\":\"a\",\"price\":5},"
                        "{\"t\":\"b\",\"price\":15},{\"t\":\"c\"}]}";
    expect_eval("$.books[?(@.price < 10)].t", books, "[\"a\"]");
    expect_eval("$.books[?(@.price >= 5 && @.price != 5)].t", books, "[\"b\"]");
    expect_eval("$.books[?(@.t == 'c' || @.price > 10)].t", books,
                "[\"b\",\"c\"]");
    expect_eval("$.books[?(@.price)].t", books, "[\"a\",\"b\"]");
    expect_eval("$.books[?(!@.price)].t", books, "[\"c\"]");
    expect_eval("$.items[?(@.n == $.want)]",
                "{\"want\":2,\"items\":[{\"n\":1},{\"n\":2}]}", "[{\"n\":2}]");
}

Test(sfn_path, indefinite_empty_result_is_empty_array)
{
    expect_eval("$.a[*]", "{\"a\":[]}", "[]");
    expect_eval("$.missing[*]", "{}", "[]");
}

Test(sfn_path, missing_leaf_is_no_results)
{
    expect_miss("$.NoSuchInputPath", "{}", SFN_PATH_NO_RESULTS,
                "No results for path: $['NoSuchInputPath']");
    expect_miss("$.a.b", "{\"a\":{}}", SFN_PATH_NO_RESULTS,
                "No results for path: $['a']['b']");
}

Test(sfn_path, missing_parent_is_missing_property)
{
    expect_miss("$.no.such.result.path", "{}", SFN_PATH_MISSING_PROPERTY,
                "Missing property in path $['no']");
    expect_miss("$.a.b.c", "{\"a\":{}}", SFN_PATH_MISSING_PROPERTY,
                "Missing property in path $['a']['b']");
}

Test(sfn_path, index_out_of_range_is_no_results)
{
    expect_miss("$.a[5]", "{\"a\":[1]}", SFN_PATH_NO_RESULTS,
                "No results for path: $['a'][5]");
    expect_miss("$.a[0].b", "{\"a\":[]}", SFN_PATH_NO_RESULTS,
                "No results for path: $['a'][0]['b']");
}

Test(sfn_path, property_of_scalar_is_no_results)
{
    expect_miss("$.a.b", "{\"a\":\"text\"}", SFN_PATH_NO_RESULTS,
                "No results for path: $['a']['b']");
}

Test(sfn_path, context_paths_read_context_object)
{
    cJSON *input = parse("{\"x\":1}");
    cJSON *context =
        parse("{\"Execution\":{\"Id\":\"arn:exec\",\"Input\":{\"x\":1}}}");
    cJSON *out = NULL;
    cr_assert_eq(sfn_path_query("$$.Execution.Id", SFN_PATH_REFERENCE, input,
                                context, &out, NULL, 0),
                 SFN_PATH_FOUND);
    cr_assert_str_eq(out->valuestring, "arn:exec");
    cJSON_Delete(out);

    cr_assert_eq(
        sfn_path_query("$$", SFN_PATH_GENERAL, input, context, &out, NULL, 0),
        SFN_PATH_FOUND);
    cr_assert(sfn_json_equal(out, context));
    cJSON_Delete(out);

    cr_assert_eq(sfn_path_query("$$.Execution.Nope", SFN_PATH_GENERAL, input,
                                context, &out, NULL, 0),
                 SFN_PATH_NO_RESULTS);
    cJSON_Delete(context);
    cJSON_Delete(input);
}

Test(sfn_path, parse_reports_syntax_errors)
{
    const char *bad[] = {"a.b", "$.", "$.a[", "$.a['x", "$.a[x]", "$a", "$.a[?",
                         "$[?(@.a ==)]", "$.a[1:x]", "",
                         /* a nested filter that ends inside a group */
                         "$.a[?($.b[?((@.c.d[?($.e"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[256] = "";
        sfn_path *p = sfn_path_parse(bad[i], SFN_PATH_GENERAL, err, sizeof err);
        cr_expect_null(p, "'%s' should not parse", bad[i]);
        cr_expect_neq(err[0], '\0', "'%s' gave no reason", bad[i]);
        sfn_path_free(p);
    }
}

Test(sfn_path, reference_syntax_rejects_operators)
{
    const char *bad[] = {"$.a[*]",   "$..a",        "$.a[0:1]",
                         "$.a[0,1]", "$.a[?(@.x)]", "$.*"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[256] = "";
        sfn_path *p =
            sfn_path_parse(bad[i], SFN_PATH_REFERENCE, err, sizeof err);
        cr_expect_null(p, "'%s' should not be a reference path", bad[i]);
        sfn_path_free(p);
    }
    sfn_path *ok = sfn_path_parse("$.a['b'][0]", SFN_PATH_REFERENCE, NULL, 0);
    cr_assert_not_null(ok);
    cr_assert(sfn_path_is_definite(ok));
    cr_assert_not(sfn_path_is_context(ok));
    cr_assert_str_eq(sfn_path_text(ok), "$.a['b'][0]");
    sfn_path_free(ok);
}

static void expect_assign(const char *doc_json, const char *path,
                          const char *value_json, const char *expected_json)
{
    cJSON *doc = parse(doc_json);
    cJSON *expected = parse(expected_json);
    sfn_failure failure = {0};
    cr_assert(sfn_path_assign(&doc, path, parse(value_json), &failure),
              "%s: %s", path, failure.cause);
    char *got = sfn_json_compact(doc);
    cr_assert(sfn_json_equal(doc, expected), "%s gave %s", path, got);
    free(got);
    cJSON_Delete(doc);
    cJSON_Delete(expected);
}

Test(sfn_path, assign_root_replaces_document)
{
    expect_assign("{\"a\":1}", "$", "\"x\"", "\"x\"");
}

Test(sfn_path, assign_adds_and_replaces_members)
{
    expect_assign("{\"value_one\":\"hello\"}", "$.value_two", "\"world\"",
                  "{\"value_one\":\"hello\",\"value_two\":\"world\"}");
    expect_assign("{\"a\":1}", "$.a", "2", "{\"a\":2}");
}

Test(sfn_path, assign_creates_missing_parents)
{
    expect_assign("{\"x\":1}", "$.ocrMetadata.Payload", "{\"k\":true}",
                  "{\"x\":1,\"ocrMetadata\":{\"Payload\":{\"k\":true}}}");
    expect_assign("{\"a\":{\"b\":1}}", "$.a.c.d", "3",
                  "{\"a\":{\"b\":1,\"c\":{\"d\":3}}}");
}

Test(sfn_path, assign_replaces_array_element)
{
    expect_assign("{\"a\":[1,2]}", "$.a[1]", "9", "{\"a\":[1,9]}");
    expect_assign("{\"a\":[{\"b\":1}]}", "$.a[0].c", "2",
                  "{\"a\":[{\"b\":1,\"c\":2}]}");
}

static void expect_assign_failure(const char *doc_json, const char *path,
                                  const char *cause)
{
    cJSON *doc = parse(doc_json);
    cJSON *before = cJSON_Duplicate(doc, true);
    sfn_failure failure = {0};
    cr_assert_not(sfn_path_assign(&doc, path, cJSON_CreateNumber(1), &failure));
    cr_assert_str_eq(failure.error, "States.ResultPathMatchFailure");
    cr_assert_str_eq(failure.cause, cause);
    cr_assert(sfn_json_equal(doc, before), "document changed on failure");
    cJSON_Delete(before);
    cJSON_Delete(doc);
}

Test(sfn_path, assign_into_scalar_fails)
{
    expect_assign_failure("\"text\"", "$.x",
                          "Unable to apply ReferencePath $.x to input "
                          "\"text\"");
    expect_assign_failure("{\"a\":5}", "$.a.b",
                          "Unable to apply ReferencePath $.a.b to input "
                          "{\"a\":5}");
    expect_assign_failure("{\"a\":[]}", "$.a[0]",
                          "Unable to apply ReferencePath $.a[0] to input "
                          "{\"a\":[]}");
}

Test(sfn_path, assign_rejects_non_reference_paths)
{
    cJSON *doc = parse("{}");
    sfn_failure failure = {0};
    cr_assert_not(
        sfn_path_assign(&doc, "$.a[*]", cJSON_CreateNull(), &failure));
    cr_assert_not(
        sfn_path_assign(&doc, "$$.Execution", cJSON_CreateNull(), &failure));
    cJSON_Delete(doc);
}

Test(sfn_path, deep_documents_stay_bounded)
{
    /* 600 nested arrays: deeper than the scan limit, within cJSON's. */
    char json[1300];
    memset(json, '[', 600);
    memset(json + 600, ']', 600);
    json[1200] = '\0';
    cJSON *input = cJSON_Parse(json);
    cr_assert_not_null(input);
    cJSON *out = NULL;
    cr_assert_eq(
        sfn_path_query("$..*", SFN_PATH_GENERAL, input, NULL, &out, NULL, 0),
        SFN_PATH_FOUND);
    cr_assert(cJSON_IsArray(out));
    cJSON_Delete(out);
    cJSON_Delete(input);
}
