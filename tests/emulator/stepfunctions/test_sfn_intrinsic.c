/*
 * test_sfn_intrinsic.c: every intrinsic function, the argument parser and
 * the error texts, plus a table-driven run over the execution histories
 * that LocalStack recorded against AWS for the intrinsic functions (read
 * from STRATUS_SHARED_DIR when it is present).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "sfn_dataflow.h"
#include "sfn_intrinsic.h"
#include "sfn_path.h"
#include "ts.h"

static cJSON *parse(const char *json)
{
    cJSON *v = cJSON_Parse(json);
    cr_assert_not_null(v, "test JSON does not parse: %s", json);
    return v;
}

/* Evaluate `expr` on `input_json` and compare with `expected_json`. */
static void expect_value(const char *expr, const char *input_json,
                         const char *expected_json)
{
    cJSON *input = parse(input_json);
    cJSON *expected = parse(expected_json);
    sfn_failure failure = {0};
    cJSON *out = sfn_intrinsic_eval(expr, input, NULL, "f.$", &failure);
    cr_assert_not_null(out, "%s failed: %s: %s", expr, failure.error,
                       failure.cause);
    char *got = sfn_json_compact(out);
    cr_assert(sfn_json_equal(out, expected), "%s gave %s, expected %s", expr,
              got, expected_json);
    free(got);
    cJSON_Delete(out);
    cJSON_Delete(expected);
    cJSON_Delete(input);
}

static void expect_failure(const char *expr, const char *input_json,
                           const char *error, const char *cause)
{
    cJSON *input = parse(input_json);
    sfn_failure failure = {0};
    cJSON *out = sfn_intrinsic_eval(expr, input, NULL, "f.$", &failure);
    char *got = out ? sfn_json_compact(out) : NULL;
    cr_assert_null(out, "%s should fail but gave %s", expr, got);
    cr_assert_str_eq(failure.error, error, "%s", expr);
    if (cause)
        cr_assert_str_eq(failure.cause, cause, "%s", expr);
    free(got);
    cJSON_Delete(input);
}

static void expect_invalid_arguments(const char *expr, const char *input_json,
                                     const char *function)
{
    char cause[128];
    snprintf(cause, sizeof cause, "Invalid arguments in %s", function);
    expect_failure(expr, input_json, "States.Runtime", cause);
}

Test(sfn_intrinsic, format_placeholders)
{
    expect_value("States.Format('Hello, my name is {}.', $.name)",
                 "{\"name\":\"Arnav\"}", "\"Hello, my name is Arnav.\"");
    expect_value("States.Format($.template, $.name)",
                 "{\"name\":\"Arnav\",\"template\":\"Hi {}\"}", "\"Hi Arnav\"");
    expect_value("States.Format('{} {} {}', $.a, $.b, $.c)",
                 "{\"a\":\"x\",\"b\":2,\"c\":true}", "\"x 2 true\"");
    expect_value("States.Format('no placeholders')", "{}",
                 "\"no placeholders\"");
}

Test(sfn_intrinsic, format_renders_values_like_java)
{
    expect_value("States.Format('{}|{}|{}', $.n, $.f, $.o)",
                 "{\"n\":null,\"f\":1.1,\"o\":{\"Arg1\":1,\"Arg2\":[]}}",
                 "\"null|1.1|{Arg1=1, Arg2=[]}\"");
    expect_value("States.Format('{}', $.a)", "{\"a\":[1,\"x\",[true]]}",
                 "\"[1, x, [true]]\"");
}

Test(sfn_intrinsic, format_escapes)
{
    expect_value("States.Format('\\{\"key\":\"{}\"\\}', $.value)",
                 "{\"value\":\"test123\"}",
                 "\"{\\\"key\\\":\\\"test123\\\"}\"");
    expect_value("States.Format('it\\'s {}', $.v)", "{\"v\":1}", "\"it's 1\"");
    expect_value("States.Format('back\\\\slash {}', $.v)", "{\"v\":1}",
                 "\"back\\\\slash 1\"");
}

Test(sfn_intrinsic, format_argument_errors)
{
    expect_invalid_arguments("States.Format('{} {}', $.a)", "{\"a\":1}",
                             "States.Format");
    expect_invalid_arguments("States.Format('{}', $.a, $.a)", "{\"a\":1}",
                             "States.Format");
    expect_invalid_arguments("States.Format('Hello {', $.a)", "{\"a\":1}",
                             "States.Format");
    expect_invalid_arguments("States.Format('}')", "{}", "States.Format");
    expect_invalid_arguments("States.Format($.t)", "{\"t\":123}",
                             "States.Format");
}

Test(sfn_intrinsic, string_to_json)
{
    expect_value("States.StringToJson($.s)", "{\"s\":\"{\\\"foo\\\": 1}\"}",
                 "{\"foo\":1}");
    expect_value("States.StringToJson($.s)", "{\"s\":\"\"}", "null");
    expect_value("States.StringToJson($.s)", "{\"s\":\"  \"}", "null");
    expect_value("States.StringToJson($.s)", "{\"s\":\"-0\"}", "0");
    expect_value("States.StringToJson('[1, 2]')", "{}", "[1,2]");
    expect_invalid_arguments("States.StringToJson($.s)", "{\"s\":\"{nope\"}",
                             "States.StringToJson");
    expect_invalid_arguments("States.StringToJson($.s)", "{\"s\":1}",
                             "States.StringToJson");
}

Test(sfn_intrinsic, json_to_string)
{
    expect_value("States.JsonToString($.o)", "{\"o\":{\"Arg1\":1,\"Arg2\":[]}}",
                 "\"{\\\"Arg1\\\":1,\\\"Arg2\\\":[]}\"");
    expect_value("States.JsonToString($.s)", "{\"s\":\"x\"}", "\"\\\"x\\\"\"");
    expect_value("States.JsonToString($.n)", "{\"n\":null}", "\"null\"");
}

Test(sfn_intrinsic, array_builds_from_arguments)
{
    expect_value("States.Array()", "{}", "[]");
    expect_value("States.Array($.a, 'b', 3, true, null)", "{\"a\":{\"k\":1}}",
                 "[{\"k\":1},\"b\",3,true,null]");
    expect_value("States.Array(1, States.Array(2, 3))", "{}", "[1,[2,3]]");
    expect_value("States.Array( $.a , $.a )", "{\"a\":1}", "[1,1]");
    expect_value("States.Array(-1.5, 2e3)", "{}", "[-1.5,2000]");
}

Test(sfn_intrinsic, array_partition)
{
    expect_value("States.ArrayPartition($.a, 2)", "{\"a\":[1,2,3,4,5]}",
                 "[[1,2],[3,4],[5]]");
    expect_value("States.ArrayPartition($.a, 4)", "{\"a\":[]}", "[]");
    expect_invalid_arguments("States.ArrayPartition($.a, 0)", "{\"a\":[1]}",
                             "States.ArrayPartition");
    expect_invalid_arguments("States.ArrayPartition($.a, 0.49)", "{\"a\":[1]}",
                             "States.ArrayPartition");
    expect_invalid_arguments("States.ArrayPartition($.a, 1)", "{\"a\":1}",
                             "States.ArrayPartition");
}

Test(sfn_intrinsic, array_contains)
{
    expect_value("States.ArrayContains($.a, $.v)",
                 "{\"a\":[[1,2,3],2],\"v\":[1,2,3]}", "true");
    expect_value("States.ArrayContains($.a, $.v)",
                 "{\"a\":[{\"1\":2}],\"v\":{\"1\":2}}", "true");
    expect_value("States.ArrayContains($.a, 5)", "{\"a\":[1,2]}", "false");
}

Test(sfn_intrinsic, array_range)
{
    expect_value("States.ArrayRange(1, 9, 2)", "{}", "[1,3,5,7,9]");
    expect_value("States.ArrayRange(0, 10, 3)", "{}", "[0,3,6,9]");
    expect_value("States.ArrayRange(5, 1, -2)", "{}", "[5,3,1]");
    expect_value("States.ArrayRange(5, 1, 1)", "{}", "[]");
    expect_value("States.ArrayRange(3, 3, -1)", "{}", "[3]");
    expect_value("States.ArrayRange(1.6, 1.4, 1)", "{}", "[1]");
    expect_invalid_arguments("States.ArrayRange(1, 10, 0)", "{}",
                             "States.ArrayRange");
    expect_invalid_arguments("States.ArrayRange(1, 1001, 1)", "{}",
                             "States.ArrayRange");
    expect_invalid_arguments("States.ArrayRange('a', 5, 1)", "{}",
                             "States.ArrayRange");

    cJSON *input = parse("{}");
    cJSON *out = sfn_intrinsic_eval("States.ArrayRange(1, 1000, 1)", input,
                                    NULL, "f.$", NULL);
    cr_assert_eq(cJSON_GetArraySize(out), 1000);
    cJSON_Delete(out);
    cJSON_Delete(input);
}

Test(sfn_intrinsic, array_get_item_and_length)
{
    expect_value("States.ArrayGetItem($.a, 1)", "{\"a\":[\"x\",\"y\"]}",
                 "\"y\"");
    expect_value("States.ArrayLength($.a)", "{\"a\":[1,2,3]}", "3");
    expect_invalid_arguments("States.ArrayGetItem($.a, 2)",
                             "{\"a\":[\"x\",\"y\"]}", "States.ArrayGetItem");
    expect_invalid_arguments("States.ArrayGetItem($.a, -1)", "{\"a\":[1]}",
                             "States.ArrayGetItem");
    expect_invalid_arguments("States.ArrayLength($.a)", "{\"a\":\"s\"}",
                             "States.ArrayLength");
}

Test(sfn_intrinsic, array_unique_keeps_first)
{
    expect_value("States.ArrayUnique($.a)",
                 "{\"a\":[1,2,1,\"1\",null,null,{\"a\":1},{\"a\":1},[],[]]}",
                 "[1,2,\"1\",null,{\"a\":1},[]]");
}

Test(sfn_intrinsic, base64)
{
    expect_value("States.Base64Encode($.s)", "{\"s\":\"Data to encode\"}",
                 "\"RGF0YSB0byBlbmNvZGU=\"");
    expect_value("States.Base64Encode('a')", "{}", "\"YQ==\"");
    expect_value("States.Base64Encode('')", "{}", "\"\"");
    expect_value("States.Base64Decode($.s)", "{\"s\":\"RGF0YSB0byBlbmNvZGU=\"}",
                 "\"Data to encode\"");
    expect_value("States.Base64Decode('YQ==')", "{}", "\"a\"");
    expect_invalid_arguments("States.Base64Decode('Y=Q=')", "{}",
                             "States.Base64Decode");
    expect_invalid_arguments("States.Base64Decode('abc')", "{}",
                             "States.Base64Decode");
}

Test(sfn_intrinsic, base64_input_limit)
{
    char *json = malloc(10100);
    strcpy(json, "{\"s\":\"");
    memset(json + 6, 'a', 10001);
    strcpy(json + 6 + 10001, "\"}");
    expect_invalid_arguments("States.Base64Encode($.s)", json,
                             "States.Base64Encode");
    free(json);
}

Test(sfn_intrinsic, hash_algorithms)
{
    const char *input = "{\"d\":\"input data\"}";
    expect_value("States.Hash($.d, 'MD5')", input,
                 "\"812f45842bc6d66ee14572ce20db8e86\"");
    expect_value("States.Hash($.d, 'SHA-1')", input,
                 "\"aaff4a450a104cd177d28d18d74485e8cae074b7\"");
    expect_value("States.Hash($.d, 'SHA-256')", input,
                 "\"b4a697a057313163aee33cd8d40c66e9f0f177e00cac2de32475ffff61"
                 "69c3e3\"");
    expect_invalid_arguments("States.Hash($.d, 'SHA-3')", input, "States.Hash");
    expect_invalid_arguments("States.Hash($.n, 'MD5')", "{\"n\":1}",
                             "States.Hash");
}

Test(sfn_intrinsic, json_merge_is_shallow)
{
    expect_value("States.JsonMerge($.a, $.b, false)",
                 "{\"a\":{\"a\":{\"a1\":1},\"b\":2,\"d\":3},"
                 "\"b\":{\"a\":{\"a3\":1},\"c\":3,\"d\":4}}",
                 "{\"a\":{\"a3\":1},\"b\":2,\"c\":3,\"d\":4}");
    expect_invalid_arguments("States.JsonMerge($.a, $.a, true)", "{\"a\":{}}",
                             "States.JsonMerge");
    expect_invalid_arguments("States.JsonMerge($.a, $.b, false)",
                             "{\"a\":{},\"b\":1}", "States.JsonMerge");
}

Test(sfn_intrinsic, math_add_rounds_like_java)
{
    const struct {
        const char *a, *b, *sum;
    } cases[] = {{"-9", "3", "-6"},       {"1.49", "1.5", "3"},
                 {"1.5", "1.51", "4"},    {"-1.49", "-1.5", "-2"},
                 {"-1.5", "-1.51", "-3"}, {"-0.5", "0.5", "1"},
                 {"-2.5", "0", "-2"},     {"2.5", "0", "3"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char input[128];
        snprintf(input, sizeof input, "{\"a\":%s,\"b\":%s}", cases[i].a,
                 cases[i].b);
        expect_value("States.MathAdd($.a, $.b)", input, cases[i].sum);
    }
    expect_invalid_arguments("States.MathAdd($.a, 1)", "{\"a\":\"x\"}",
                             "States.MathAdd");
    expect_invalid_arguments("States.MathAdd($.a, 1)", "{\"a\":3e10}",
                             "States.MathAdd");
}

Test(sfn_intrinsic, math_random_range_and_seed)
{
    cJSON *input = parse("{}");
    for (int i = 0; i < 50; i++) {
        cJSON *out = sfn_intrinsic_eval("States.MathRandom(-3, 4)", input, NULL,
                                        "f.$", NULL);
        cr_assert(cJSON_IsNumber(out));
        cr_assert_geq(out->valuedouble, -3);
        cr_assert_lt(out->valuedouble, 4);
        cJSON_Delete(out);
    }
    cJSON *a = sfn_intrinsic_eval("States.MathRandom(0, 999, 3)", input, NULL,
                                  "f.$", NULL);
    cJSON *b = sfn_intrinsic_eval("States.MathRandom(0, 999, 3)", input, NULL,
                                  "f.$", NULL);
    cr_assert(sfn_json_equal(a, b), "a seeded MathRandom must repeat");
    cJSON_Delete(a);
    cJSON_Delete(b);
    cJSON_Delete(input);
    expect_invalid_arguments("States.MathRandom(5, 5)", "{}",
                             "States.MathRandom");
}

Test(sfn_intrinsic, string_split_tokenizes)
{
    expect_value("States.StringSplit($.s, ',')", "{\"s\":\", , ,\"}",
                 "[\" \",\" \"]");
    expect_value("States.StringSplit($.s, ',')", "{\"s\":\",,,,\"}", "[]");
    expect_value("States.StringSplit($.s, '.+,=')",
                 "{\"s\":\"This.is+a,test=string\"}",
                 "[\"This\",\"is\",\"a\",\"test\",\"string\"]");
    expect_value("States.StringSplit('a\xc3\xa9"
                 "b', '\xc3\xa9')",
                 "{}", "[\"a\",\"b\"]");
}

Test(sfn_intrinsic, uuid_is_version_4)
{
    cJSON *input = parse("{}");
    cJSON *out = sfn_intrinsic_eval("States.UUID()", input, NULL, "f.$", NULL);
    cr_assert(cJSON_IsString(out));
    cr_assert_eq(strlen(out->valuestring), 36);
    cr_assert_eq(out->valuestring[14], '4');
    cJSON_Delete(out);
    cJSON_Delete(input);
}

Test(sfn_intrinsic, nested_calls_and_context_paths)
{
    cJSON *input = parse("{}");
    cJSON *context =
        parse("{\"StateMachine\":{\"Name\":\"card-valuation-sm\"}}");
    cJSON *out = sfn_intrinsic_eval(
        "States.ArrayGetItem(States.StringSplit($$.StateMachine.Name, '-'), "
        "States.MathAdd(States.ArrayLength(States.StringSplit("
        "$$.StateMachine.Name, '-')), -1))",
        input, context, "f.$", NULL);
    cr_assert_not_null(out);
    cr_assert_str_eq(out->valuestring, "sm");
    cJSON_Delete(out);
    cJSON_Delete(context);
    cJSON_Delete(input);
}

Test(sfn_intrinsic, path_argument_with_brackets_and_commas)
{
    expect_value("States.Array($['a,b'], $.c[0])", "{\"a,b\":1,\"c\":[2]}",
                 "[1,2]");
}

Test(sfn_intrinsic, missing_path_argument_is_runtime_error)
{
    expect_failure("States.Format('{}', $.missing)", "{\"a\":1}",
                   "States.Runtime",
                   "The JSONPath '$.missing' specified for the field 'f.$' "
                   "could not be found in the input '{\"a\":1}'");
}

Test(sfn_intrinsic, malformed_expressions_fail)
{
    const char *bad[] = {
        "States.Array(",           "States.Array($.a) trailing",
        "States.Array([1,2])",     "States.Array(1.)",
        "States.Array(.5)",        "States.Nope(1)",
        "States.ArrayRange(1, 5)", "States.ArrayRange(1, 5, 1, 9)",
        "States.Format()",         "States.UUID(1)",
        "States.Array('open)",     "States.Array($.a[)"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[256] = "";
        cr_expect_not(sfn_intrinsic_validate(bad[i], err, sizeof err),
                      "%s should be rejected", bad[i]);
        cr_expect_neq(err[0], '\0');
        expect_failure(bad[i], "{\"a\":1}", "States.IntrinsicFailure", NULL);
    }
    cr_assert(sfn_intrinsic_validate("States.Array(1, $.a)", NULL, 0));
}

Test(sfn_intrinsic, nesting_limit_is_ten)
{
    const char *ten = "States.Array(States.Array(States.Array(States.Array("
                      "States.Array(States.Array(States.Array(States.Array("
                      "States.Array(States.Array(1))))))))))";
    const char *eleven = "States.Array(States.Array(States.Array(States.Array("
                         "States.Array(States.Array(States.Array(States.Array("
                         "States.Array(States.Array(States.Array(1)))))))))))";
    cr_assert(sfn_intrinsic_validate(ten, NULL, 0));
    cr_assert_not(sfn_intrinsic_validate(eleven, NULL, 0));
}

Test(sfn_intrinsic, is_call_detects_prefix)
{
    cr_assert(sfn_intrinsic_is_call("States.Array()"));
    cr_assert_not(sfn_intrinsic_is_call("$.States"));
    cr_assert_not(sfn_intrinsic_is_call(NULL));
}

/* AWS-recorded histories */

/* Placeholders LocalStack writes over values that change between runs. */
static bool has_placeholder(const cJSON *v)
{
    char *json = sfn_json_compact(v);
    bool found = strstr(json, "RandomNumberGenerated") ||
                 strstr(json, "generated-uuid") || strstr(json, "<ArnPart") ||
                 strstr(json, "<ExecArnPart") || strstr(json, "<region>");
    free(json);
    return found;
}

typedef struct tally {
    int passed, failed, skipped;
} tally;

/* Run one recorded execution of a single-state machine and compare. */
static void run_history(const cJSON *definition, const cJSON *events,
                        const char *label, tally *t)
{
    const cJSON *exec_input = NULL, *state_input = NULL, *expected = NULL;
    const char *expected_error = NULL;
    const cJSON *ev;
    cJSON_ArrayForEach(ev, events)
    {
        const cJSON *d;
        if ((d = cJSON_GetObjectItemCaseSensitive(
                 ev, "executionStartedEventDetails")))
            exec_input = cJSON_GetObjectItemCaseSensitive(d, "input");
        if (!state_input && (d = cJSON_GetObjectItemCaseSensitive(
                                 ev, "stateEnteredEventDetails")))
            state_input = cJSON_GetObjectItemCaseSensitive(d, "input");
        if ((d = cJSON_GetObjectItemCaseSensitive(
                 ev, "executionSucceededEventDetails")))
            expected = cJSON_GetObjectItemCaseSensitive(d, "output");
        if ((d = cJSON_GetObjectItemCaseSensitive(
                 ev, "executionFailedEventDetails")))
            expected_error =
                cJSON_GetObjectItemCaseSensitive(d, "error")->valuestring;
    }
    if ((!expected && !expected_error) || !state_input ||
        (expected && has_placeholder(expected))) {
        t->skipped++;
        return;
    }

    const char *start =
        cJSON_GetObjectItemCaseSensitive(definition, "StartAt")->valuestring;
    const cJSON *state = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(definition, "States"), start);
    cJSON *context = cJSON_CreateObject();
    cJSON *execution = cJSON_AddObjectToObject(context, "Execution");
    cJSON_AddItemToObject(execution, "Input",
                          cJSON_Duplicate(exec_input, true));

    sfn_failure failure = {0};
    cJSON *out = sfn_pass_state_output(state, state_input, context, &failure);
    bool ok = expected ? out && sfn_json_equal(out, expected)
                       : !out && strcmp(failure.error, expected_error) == 0;
    if (ok) {
        t->passed++;
    } else {
        char *got = out ? sfn_json_compact(out) : NULL;
        char *want = expected ? sfn_json_compact(expected) : NULL;
        fprintf(stderr, "MISMATCH %s: got %s (%s %s), expected %s%s\n", label,
                got ? got : "failure", failure.error, failure.cause,
                want ? want : "", expected_error ? expected_error : "");
        free(got);
        free(want);
        t->failed++;
    }
    cJSON_Delete(out);
    cJSON_Delete(context);
}

static void run_snapshot_file(const char *root, const char *file,
                              const cJSON *index, tally *t)
{
    char path[2048];
    snprintf(path, sizeof path,
             "%s/conformance/localstack/tests/aws/services/stepfunctions/v2/"
             "intrinsic_functions/%s",
             root, file);
    cJSON *snapshot = ts_load_json(path, false);
    cr_assert_not_null(snapshot, "cannot read %s", path);

    const cJSON *test;
    cJSON_ArrayForEach(test, snapshot)
    {
        const cJSON *templates =
            cJSON_GetObjectItemCaseSensitive(index, test->string);
        if (cJSON_GetArraySize(templates) != 1) {
            t->skipped++;
            continue;
        }
        snprintf(path, sizeof path, "%s/conformance/localstack/%s", root,
                 cJSON_GetArrayItem(templates, 0)->valuestring);
        cJSON *definition = ts_load_json(path, true);
        cr_assert_not_null(definition, "cannot parse template %s", path);

        const cJSON *record;
        cJSON_ArrayForEach(
            record, cJSON_GetObjectItemCaseSensitive(test, "recorded-content"))
        {
            const cJSON *events =
                cJSON_GetObjectItemCaseSensitive(record, "events");
            if (!events)
                continue;
            char label[1024];
            snprintf(label, sizeof label, "%s %s", test->string,
                     record->string);
            run_history(definition, events, label, t);
        }
        cJSON_Delete(definition);
    }
    cJSON_Delete(snapshot);
}

Test(sfn_intrinsic, aws_recorded_histories)
{
    const char *root = ts_shared_dir();
    if (!root) {
        cr_skip_test("STRATUS_SHARED_DIR is not set or has no cases/; "
                     "skipping the AWS-recorded intrinsic histories");
    }
    char path[2048];
    snprintf(path, sizeof path,
             "%s/conformance/localstack/"
             "INDEX-stepfunctions-tests-to-templates.json",
             root);
    cJSON *index = ts_load_json(path, false);
    cr_assert_not_null(index, "cannot read %s", path);

    snprintf(path, sizeof path,
             "%s/conformance/localstack/tests/aws/services/stepfunctions/v2/"
             "intrinsic_functions",
             root);
    DIR *dir = opendir(path);
    cr_assert_not_null(dir, "cannot open %s", path);
    tally t = {0};
    struct dirent *entry;
    while ((entry = readdir(dir))) {
        const char *name = entry->d_name;
        size_t n = strlen(name);
        if (n < 14 || strcmp(name + n - 14, ".snapshot.json") != 0 ||
            strstr(name, "jsonata"))
            continue;
        run_snapshot_file(root, name, index, &t);
    }
    closedir(dir);
    cJSON_Delete(index);

    fprintf(stderr,
            "intrinsic AWS-recorded histories: %d passed, %d failed, "
            "%d skipped\n",
            t.passed, t.failed, t.skipped);
    cr_assert_gt(t.passed, 0);
    cr_assert_eq(t.failed, 0, "%d recorded histories differ", t.failed);
}
