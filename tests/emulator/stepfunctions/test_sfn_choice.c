/*
 * test_sfn_choice.c: Choice rules: every operator family, Boolean
 * combinations, the missing-Variable error, timestamps and StringMatches,
 * plus a table-driven run over the operator cases LocalStack recorded
 * against AWS (read from STRATUS_SHARED_DIR when it is present).
 */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "sfn_choice.h"
#include "sfn_path.h"
#include "ts.h"

static cJSON *parse(const char *json)
{
    cJSON *v = cJSON_Parse(json);
    cr_assert_not_null(v, "test JSON does not parse: %s", json);
    return v;
}

static int eval_rule(const char *rule_json, const char *input_json,
                     sfn_failure *failure)
{
    cJSON *rule = parse(rule_json);
    cJSON *input = parse(input_json);
    int r = sfn_choice_rule_matches(rule, input, NULL, failure);
    cJSON_Delete(input);
    cJSON_Delete(rule);
    return r;
}

static void expect_match(const char *rule_json, const char *input_json,
                         int expected)
{
    sfn_failure failure = {0};
    int r = eval_rule(rule_json, input_json, &failure);
    cr_assert_eq(r, expected, "rule %s on %s gave %d (%s)", rule_json,
                 input_json, r, failure.cause);
}

Test(sfn_choice, string_comparisons)
{
    const char *in = "{\"v\":\"b\",\"w\":\"c\"}";
    expect_match("{\"Variable\":\"$.v\",\"StringEquals\":\"b\"}", in, 1);
    expect_match("{\"Variable\":\"$.v\",\"StringEquals\":\"B\"}", in, 0);
    expect_match("{\"Variable\":\"$.v\",\"StringLessThan\":\"c\"}", in, 1);
    expect_match("{\"Variable\":\"$.v\",\"StringGreaterThan\":\"a\"}", in, 1);
    expect_match("{\"Variable\":\"$.v\",\"StringLessThanEquals\":\"b\"}", in,
                 1);
    expect_match("{\"Variable\":\"$.v\",\"StringGreaterThanEquals\":\"c\"}", in,
                 0);
    expect_match("{\"Variable\":\"$.v\",\"StringLessThanPath\":\"$.w\"}", in,
                 1);
    expect_match("{\"Variable\":\"$.v\",\"StringEqualsPath\":\"$.w\"}", in, 0);
}

Test(sfn_choice, wrong_type_is_false)
{
    expect_match("{\"Variable\":\"$.v\",\"StringEquals\":\"1\"}", "{\"v\":1}",
                 0);
    expect_match("{\"Variable\":\"$.v\",\"NumericEquals\":1}", "{\"v\":\"1\"}",
                 0);
    expect_match("{\"Variable\":\"$.v\",\"BooleanEquals\":false}",
                 "{\"v\":null}", 0);
}

Test(sfn_choice, numeric_comparisons)
{
    const char *in = "{\"v\":1,\"w\":1.0,\"x\":2.5}";
    expect_match("{\"Variable\":\"$.v\",\"NumericEquals\":1.0}", in, 1);
    expect_match("{\"Variable\":\"$.v\",\"NumericEqualsPath\":\"$.w\"}", in, 1);
    expect_match("{\"Variable\":\"$.x\",\"NumericGreaterThan\":2}", in, 1);
    expect_match("{\"Variable\":\"$.x\",\"NumericLessThan\":2}", in, 0);
    expect_match("{\"Variable\":\"$.x\",\"NumericLessThanEqualsPath\":\"$.v\"}",
                 in, 0);
    expect_match("{\"Variable\":\"$.x\",\"NumericGreaterThanEquals\":2.5}", in,
                 1);
}

Test(sfn_choice, boolean_equals)
{
    expect_match("{\"Variable\":\"$.v\",\"BooleanEquals\":true}",
                 "{\"v\":true}", 1);
    expect_match("{\"Variable\":\"$.v\",\"BooleanEqualsPath\":\"$.w\"}",
                 "{\"v\":true,\"w\":false}", 0);
}

Test(sfn_choice, timestamp_comparisons)
{
    const char *in = "{\"a\":\"2016-03-14T01:59:00Z\","
                     "\"b\":\"2016-03-14T03:59:00+02:00\","
                     "\"c\":\"2016-03-14T01:59:00.5Z\"}";
    expect_match("{\"Variable\":\"$.a\",\"TimestampEqualsPath\":\"$.b\"}", in,
                 1);
    expect_match("{\"Variable\":\"$.a\",\"TimestampLessThanPath\":\"$.c\"}", in,
                 1);
    expect_match("{\"Variable\":\"$.c\",\"TimestampGreaterThan\":"
                 "\"2016-03-14T01:59:00Z\"}",
                 in, 1);
    expect_match("{\"Variable\":\"$.a\",\"TimestampLessThanEquals\":"
                 "\"2016-03-14T01:59:00Z\"}",
                 in, 1);
    expect_match("{\"Variable\":\"$.a\",\"TimestampEquals\":\"2016-03-14\"}",
                 in, 0);
}

Test(sfn_choice, timestamp_parser_is_strict)
{
    long long s;
    long ns;
    cr_assert(sfn_timestamp_parse("1970-01-01T00:00:00Z", &s, &ns));
    cr_assert_eq(s, 0);
    cr_assert(
        sfn_timestamp_parse("2016-12-05T21:29:29.123456789-01:00", &s, &ns));
    cr_assert_eq(ns, 123456789);
    const char *bad[] = {"2016-13-05T21:29:29Z", "2016-12-05T25:29:29Z",
                         "2016-12-05T21:29:29",  "2016-12-05 21:29:29Z",
                         "05-12-2016T21:29:29Z", "2016-02-30T00:00:00Z",
                         "2016-12-05t21:29:29z", "2016-12-05T21:29:29.Z"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_expect_not(sfn_timestamp_parse(bad[i], &s, &ns), "%s", bad[i]);
}

Test(sfn_choice, string_matches_wildcards_and_escapes)
{
    const struct {
        const char *pattern, *value;
        int match;
    } cases[] = {{"log-*.txt", "log-2024.txt", 1},
                 {"log-*.txt", "log-.txt", 1},
                 {"log-*.txt", "log-1.csv", 0},
                 {"*", "", 1},
                 {"a*b*c", "aXXbYYc", 1},
                 {"a*b*c", "aXXcYYb", 0},
                 {"star\\\\*", "star*", 1},
                 {"star\\\\*", "starX", 0},
                 {"back\\\\\\\\slash", "back\\\\slash", 1}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char rule[256], input[128];
        snprintf(rule, sizeof rule,
                 "{\"Variable\":\"$.v\",\"StringMatches\":\"%s\"}",
                 cases[i].pattern);
        snprintf(input, sizeof input, "{\"v\":\"%s\"}", cases[i].value);
        expect_match(rule, input, cases[i].match);
    }
}

Test(sfn_choice, type_tests)
{
    expect_match("{\"Variable\":\"$.v\",\"IsNull\":true}", "{\"v\":null}", 1);
    expect_match("{\"Variable\":\"$.v\",\"IsNumeric\":true}", "{\"v\":1.5}", 1);
    expect_match("{\"Variable\":\"$.v\",\"IsString\":false}", "{\"v\":1}", 1);
    expect_match("{\"Variable\":\"$.v\",\"IsBoolean\":true}", "{\"v\":0}", 0);
    expect_match("{\"Variable\":\"$.v\",\"IsTimestamp\":true}",
                 "{\"v\":\"2016-03-14T01:59:00Z\"}", 1);
    expect_match("{\"Variable\":\"$.v\",\"IsTimestamp\":true}",
                 "{\"v\":\"yesterday\"}", 0);
}

Test(sfn_choice, is_present_never_fails)
{
    expect_match("{\"Variable\":\"$.v\",\"IsPresent\":true}", "{}", 0);
    expect_match("{\"Variable\":\"$.v\",\"IsPresent\":false}", "{}", 1);
    expect_match("{\"Variable\":\"$.v\",\"IsPresent\":true}", "{\"v\":null}",
                 1);
}

Test(sfn_choice, boolean_combinations)
{
    const char *in = "{\"a\":1,\"b\":\"x\"}";
    expect_match("{\"And\":[{\"Variable\":\"$.a\",\"NumericEquals\":1},"
                 "{\"Variable\":\"$.b\",\"StringEquals\":\"x\"}]}",
                 in, 1);
    expect_match("{\"And\":[{\"Variable\":\"$.a\",\"NumericEquals\":2},"
                 "{\"Variable\":\"$.b\",\"StringEquals\":\"x\"}]}",
                 in, 0);
    expect_match("{\"Or\":[{\"Variable\":\"$.a\",\"NumericEquals\":2},"
                 "{\"Variable\":\"$.b\",\"StringEquals\":\"x\"}]}",
                 in, 1);
    expect_match("{\"Not\":{\"Variable\":\"$.a\",\"NumericEquals\":2}}", in, 1);
    /* Or stops at the first match, so a later missing path is not read. */
    expect_match("{\"Or\":[{\"Variable\":\"$.a\",\"NumericEquals\":1},"
                 "{\"Variable\":\"$.zz\",\"NumericEquals\":1}]}",
                 in, 1);
}

Test(sfn_choice, missing_variable_is_runtime_error)
{
    sfn_failure failure = {0};
    int r = eval_rule("{\"Variable\":\"$.foo\",\"NumericEquals\":1}", "{}",
                      &failure);
    cr_assert_eq(r, -1);
    cr_assert_str_eq(failure.error, "States.Runtime");
    cr_assert_str_eq(failure.cause, "Invalid path '$.foo': The choice state's "
                                    "condition path references an invalid "
                                    "value.");
}

Test(sfn_choice, missing_comparison_path_is_runtime_error)
{
    sfn_failure failure = {0};
    int r = eval_rule("{\"Variable\":\"$.a\",\"NumericEqualsPath\":\"$.b\"}",
                      "{\"a\":1}", &failure);
    cr_assert_eq(r, -1);
    cr_assert_str_eq(failure.error, "States.Runtime");
}

Test(sfn_choice, context_variable)
{
    cJSON *rule = parse("{\"Variable\":\"$$.Execution.Name\","
                        "\"StringEquals\":\"run-1\"}");
    cJSON *input = parse("{}");
    cJSON *context = parse("{\"Execution\":{\"Name\":\"run-1\"}}");
    cr_assert_eq(sfn_choice_rule_matches(rule, input, context, NULL), 1);
    cJSON_Delete(context);
    cJSON_Delete(input);
    cJSON_Delete(rule);
}

Test(sfn_choice, next_picks_first_match_then_default)
{
    cJSON *state =
        parse("{\"Type\":\"Choice\",\"Choices\":["
              "{\"Variable\":\"$.n\",\"NumericLessThan\":0,\"Next\":\"Neg\"},"
              "{\"Variable\":\"$.n\",\"NumericGreaterThanEquals\":0,"
              "\"Next\":\"NonNeg\"}],\"Default\":\"Other\"}");
    cJSON *neg = parse("{\"n\":-1}");
    cJSON *pos = parse("{\"n\":3}");
    cJSON *text = parse("{\"n\":\"x\"}");
    cr_assert_str_eq(sfn_choice_next(state, neg, NULL, NULL), "Neg");
    cr_assert_str_eq(sfn_choice_next(state, pos, NULL, NULL), "NonNeg");
    cr_assert_str_eq(sfn_choice_next(state, text, NULL, NULL), "Other");
    cJSON_Delete(text);
    cJSON_Delete(pos);
    cJSON_Delete(neg);
    cJSON_Delete(state);
}

Test(sfn_choice, next_without_default_fails)
{
    cJSON *state = parse("{\"Choices\":[{\"Variable\":\"$.n\","
                         "\"NumericEquals\":1,\"Next\":\"A\"}]}");
    cJSON *input = parse("{\"n\":2}");
    sfn_failure failure = {0};
    cr_assert_null(sfn_choice_next(state, input, NULL, &failure));
    cr_assert_str_eq(failure.error, "States.NoChoiceMatched");
    cJSON_Delete(input);
    cJSON_Delete(state);
}

Test(sfn_choice, deeply_nested_not_is_bounded)
{
    char rule[2048] = "";
    for (int i = 0; i < 100; i++)
        strcat(rule, "{\"Not\":");
    strcat(rule, "{\"Variable\":\"$.a\",\"IsPresent\":true}");
    for (int i = 0; i < 100; i++)
        strcat(rule, "}");
    sfn_failure failure = {0};
    cr_assert_eq(eval_rule(rule, "{\"a\":1}", &failure), -1);
}

Test(sfn_choice, shared_case_missing_variable_fails)
{
    const char *root = ts_shared_dir();
    if (!root) {
        cr_skip_test("STRATUS_SHARED_DIR is not set or has no cases/; "
                     "skipping choice-on-missing-variable-fails");
    }
    char path[1024];
    snprintf(path, sizeof path,
             "%s/cases/stepfunctions/choice-on-missing-variable-fails.json",
             root);
    char *text = ts_read_file(path);
    cr_assert_not_null(text, "cannot read %s", path);
    cJSON *c = parse(text);
    free(text);
    const cJSON *def = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(c, "input"), "definition");
    const cJSON *state = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(def, "States"), "C");
    /* The Pass state before the Choice outputs {}. */
    cJSON *input = cJSON_CreateObject();
    sfn_failure failure = {0};
    cr_assert_null(sfn_choice_next(state, input, NULL, &failure),
                   "the Default branch must not be taken");
    const cJSON *expected = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(c, "expected"), "error");
    cr_assert_str_eq(failure.error, expected->valuestring);
    cJSON_Delete(input);
    cJSON_Delete(c);
}

/* AWS-recorded operator cases */

/* "test_string_greater_than_equals_path" -> "StringGreaterThanEqualsPath" */
static void operator_from_test_name(const char *test, char *out, size_t len)
{
    const char *name = strrchr(test, ':');
    name = name ? name + 1 : test;
    if (strncmp(name, "test_", 5) == 0)
        name += 5;
    size_t n = 0;
    bool upper = true;
    for (; *name && n + 1 < len; name++) {
        if (*name == '_') {
            upper = true;
            continue;
        }
        out[n++] = upper ? (char)toupper((unsigned char)*name) : *name;
        upper = false;
    }
    out[n] = '\0';
}

typedef struct tally {
    int passed, failed, skipped;
} tally;

static void run_case(const char *op, const cJSON *c, tally *t)
{
    const cJSON *input = cJSON_GetObjectItemCaseSensitive(c, "input");
    const cJSON *output = cJSON_GetObjectItemCaseSensitive(c, "output");
    const cJSON *result =
        cJSON_GetObjectItemCaseSensitive(output, "TestResult.$");
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(input, "Value");
    char *input_json = sfn_json_compact(input);
    /* LocalStack replaced generated timestamps with "date". */
    if (!cJSON_IsString(result) || strstr(input_json, "\"date\"")) {
        t->skipped++;
        free(input_json);
        return;
    }

    size_t n = strlen(op);
    bool is_path = n > 4 && strcmp(op + n - 4, "Path") == 0;
    cJSON *rule = cJSON_CreateObject();
    cJSON_AddStringToObject(rule, "Variable", "$.Variable");
    if (is_path)
        cJSON_AddStringToObject(rule, op, "$.Value");
    else
        cJSON_AddItemToObject(rule, op, cJSON_Duplicate(value, true));

    sfn_failure failure = {0};
    int r = sfn_choice_rule_matches(rule, input, NULL, &failure);
    int expected = strcmp(result->valuestring, "ConditionTrue") == 0;
    if (r == expected) {
        t->passed++;
    } else {
        fprintf(stderr, "MISMATCH %s on %s: got %d (%s), expected %d\n", op,
                input_json, r, failure.cause, expected);
        t->failed++;
    }
    cJSON_Delete(rule);
    free(input_json);
}

Test(sfn_choice, aws_recorded_operator_cases)
{
    const char *root = ts_shared_dir();
    if (!root) {
        cr_skip_test("STRATUS_SHARED_DIR is not set or has no cases/; "
                     "skipping the AWS-recorded choice operator cases");
    }
    char dir_path[1024];
    snprintf(dir_path, sizeof dir_path,
             "%s/conformance/localstack/tests/aws/services/stepfunctions/v2/"
             "choice_operators",
             root);
    DIR *dir = opendir(dir_path);
    cr_assert_not_null(dir, "cannot open %s", dir_path);
    tally t = {0};
    struct dirent *entry;
    while ((entry = readdir(dir))) {
        size_t n = strlen(entry->d_name);
        if (n < 14 || strcmp(entry->d_name + n - 14, ".snapshot.json") != 0)
            continue;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir_path, entry->d_name);
        char *text = ts_read_file(path);
        cr_assert_not_null(text);
        cJSON *snapshot = parse(text);
        free(text);
        const cJSON *test;
        cJSON_ArrayForEach(test, snapshot)
        {
            char op[128];
            operator_from_test_name(test->string, op, sizeof op);
            const cJSON *c;
            cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(
                                      cJSON_GetObjectItemCaseSensitive(
                                          test, "recorded-content"),
                                      "cases")) run_case(op, c, &t);
        }
        cJSON_Delete(snapshot);
    }
    closedir(dir);
    fprintf(stderr,
            "choice AWS-recorded operator cases: %d passed, %d failed, "
            "%d skipped\n",
            t.passed, t.failed, t.skipped);
    cr_assert_gt(t.passed, 0);
    cr_assert_eq(t.failed, 0, "%d recorded cases differ", t.failed);
}
