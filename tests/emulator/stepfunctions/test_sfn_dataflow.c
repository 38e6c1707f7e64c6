/*
 * test_sfn_dataflow.c: payload templates and the InputPath -> Parameters ->
 * ResultSelector -> ResultPath -> OutputPath pipeline with AWS's
 * States.Runtime causes, and the CollectIQ state machine's templates. The
 * data-flow regression cases from STRATUS_SHARED_DIR run through a small
 * Pass/Choice/Parallel interpreter defined here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "sfn_choice.h"
#include "sfn_dataflow.h"
#include "sfn_path.h"
#include "ts.h"

static cJSON *parse(const char *json)
{
    cJSON *v = cJSON_Parse(json);
    cr_assert_not_null(v, "test JSON does not parse: %s", json);
    return v;
}

static void assert_json(const cJSON *got, const char *expected_json)
{
    cJSON *expected = parse(expected_json);
    char *text = got ? sfn_json_compact(got) : NULL;
    cr_assert(got && sfn_json_equal(got, expected), "got %s, expected %s",
              text ? text : "NULL", expected_json);
    free(text);
    cJSON_Delete(expected);
}

static void expect_payload(const char *tmpl_json, const char *input_json,
                           const char *expected_json)
{
    cJSON *tmpl = parse(tmpl_json);
    cJSON *input = parse(input_json);
    sfn_failure failure = {0};
    cJSON *out = sfn_payload_apply(tmpl, input, NULL, &failure);
    cr_assert_not_null(out, "%s: %s", failure.error, failure.cause);
    assert_json(out, expected_json);
    cJSON_Delete(out);
    cJSON_Delete(input);
    cJSON_Delete(tmpl);
}

static void expect_pass(const char *state_json, const char *input_json,
                        const char *expected_json)
{
    cJSON *state = parse(state_json);
    cJSON *input = parse(input_json);
    sfn_failure failure = {0};
    cJSON *out = sfn_pass_state_output(state, input, NULL, &failure);
    cr_assert_not_null(out, "%s: %s", failure.error, failure.cause);
    assert_json(out, expected_json);
    cJSON_Delete(out);
    cJSON_Delete(input);
    cJSON_Delete(state);
}

static void expect_pass_failure(const char *state_json, const char *input_json,
                                const char *error, const char *cause)
{
    cJSON *state = parse(state_json);
    cJSON *input = parse(input_json);
    sfn_failure failure = {0};
    cJSON *out = sfn_pass_state_output(state, input, NULL, &failure);
    cr_assert_null(out);
    cr_assert_str_eq(failure.error, error);
    cr_assert_str_eq(failure.cause, cause);
    cJSON_Delete(input);
    cJSON_Delete(state);
}

Test(sfn_dataflow, payload_copies_static_members)
{
    expect_payload("{\"a\":1,\"b\":{\"c\":[true,null]}}", "{}",
                   "{\"a\":1,\"b\":{\"c\":[true,null]}}");
}

Test(sfn_dataflow, payload_resolves_dynamic_members)
{
    expect_payload("{\"flagged\":true,\"parts\":{\"first.$\":\"$.vals[0]\","
                   "\"last3.$\":\"$.vals[3:]\"}}",
                   "{\"flagged\":7,\"vals\":[0,10,20,30,40,50]}",
                   "{\"flagged\":true,\"parts\":{\"first\":0,"
                   "\"last3\":[30,40,50]}}");
}

Test(sfn_dataflow, payload_recurses_into_arrays)
{
    expect_payload("{\"agentResults\":[{\"p.$\":\"$.r[0].x\"},"
                   "{\"a.$\":\"$.r[1].y\"}],\"skip\":true}",
                   "{\"r\":[{\"x\":1},{\"y\":2}]}",
                   "{\"agentResults\":[{\"p\":1},{\"a\":2}],\"skip\":true}");
}

Test(sfn_dataflow, payload_calls_intrinsics)
{
    expect_payload("{\"greeting.$\":\"States.Format('Hi {}', $.n)\"}",
                   "{\"n\":\"Ada\"}", "{\"greeting\":\"Hi Ada\"}");
}

Test(sfn_dataflow, payload_reads_context_object)
{
    cJSON *tmpl = parse("{\"executionArn.$\":\"$$.Execution.Id\","
                        "\"stateMachineName.$\":\"$$.StateMachine.Name\"}");
    cJSON *input = parse("{}");
    cJSON *context = parse("{\"Execution\":{\"Id\":\"arn:e\"},"
                           "\"StateMachine\":{\"Name\":\"sm\"}}");
    cJSON *out = sfn_payload_apply(tmpl, input, context, NULL);
    assert_json(out,
                "{\"executionArn\":\"arn:e\",\"stateMachineName\":\"sm\"}");
    cJSON_Delete(out);
    cJSON_Delete(context);
    cJSON_Delete(input);
    cJSON_Delete(tmpl);
}

Test(sfn_dataflow, payload_null_value_resolves)
{
    expect_payload("{\"v.$\":\"$.a.value\"}", "{\"a\":{\"value\":null}}",
                   "{\"v\":null}");
}

Test(sfn_dataflow, payload_missing_path_is_runtime_error)
{
    cJSON *tmpl = parse("{\"Payload\":{\"s3Keys.$\":\"$.s3Keys\"}}");
    cJSON *input = parse("{\"userId\":\"u1\",\"n\":1.5}");
    sfn_failure failure = {0};
    cr_assert_null(sfn_payload_apply(tmpl, input, NULL, &failure));
    cr_assert_str_eq(failure.error, "States.Runtime");
    cr_assert_str_eq(failure.cause,
                     "The JSONPath '$.s3Keys' specified for the field "
                     "'s3Keys.$' could not be found in the input "
                     "'{\"userId\":\"u1\",\"n\":1.5}'");
    cJSON_Delete(input);
    cJSON_Delete(tmpl);
}

Test(sfn_dataflow, payload_missing_context_path_is_runtime_error)
{
    cJSON *tmpl =
        parse("{\"value.$\":\"$$.Execution.Input.no_such_jsonpath\"}");
    cJSON *input = parse("{}");
    cJSON *context = parse("{\"Execution\":{\"Input\":{}}}");
    sfn_failure failure = {0};
    cr_assert_null(sfn_payload_apply(tmpl, input, context, &failure));
    cr_assert_str_eq(failure.cause,
                     "The JSONPath '$$.Execution.Input.no_such_jsonpath' "
                     "specified for the field 'value.$' could not be found "
                     "in the input '{}'");
    cJSON_Delete(context);
    cJSON_Delete(input);
    cJSON_Delete(tmpl);
}

Test(sfn_dataflow, input_path_selects_and_null_empties)
{
    expect_pass("{\"InputPath\":\"$.a\"}", "{\"a\":{\"b\":1}}", "{\"b\":1}");
    expect_pass("{\"InputPath\":null}", "{\"a\":1}", "{}");
}

Test(sfn_dataflow, input_path_missing_is_runtime_error)
{
    expect_pass_failure("{\"InputPath\":\"$.NoSuchInputPath\"}", "{}",
                        "States.Runtime",
                        "Invalid path '$.NoSuchInputPath' : No results for "
                        "path: $['NoSuchInputPath']");
}

Test(sfn_dataflow, output_path_missing_is_runtime_error)
{
    expect_pass_failure("{\"OutputPath\":\"$.NoSuchOutputPath\"}", "{}",
                        "States.Runtime",
                        "Invalid path '$.NoSuchOutputPath' : No results for "
                        "path: $['NoSuchOutputPath']");
    expect_pass_failure("{\"OutputPath\":\"$.no.such.result.path\"}", "{}",
                        "States.Runtime",
                        "Invalid path '$.no.such.result.path' : Missing "
                        "property in path $['no']");
}

Test(sfn_dataflow, result_path_variants)
{
    /* Absent: the result is the output. */
    expect_pass("{\"Result\":\"world\"}", "{\"a\":1}", "\"world\"");
    /* "$": the same. */
    expect_pass("{\"Result\":\"world\",\"ResultPath\":\"$\"}", "{\"a\":1}",
                "\"world\"");
    /* null: the result is discarded. */
    expect_pass("{\"Result\":\"world\",\"ResultPath\":null}", "{\"a\":1}",
                "{\"a\":1}");
    /* A path: the result joins the input. */
    expect_pass("{\"Result\":{\"k\":1},\"ResultPath\":\"$.r.s\"}", "{\"a\":1}",
                "{\"a\":1,\"r\":{\"s\":{\"k\":1}}}");
}

Test(sfn_dataflow, result_path_merges_into_raw_input)
{
    /* ResultPath writes into the state's raw input, not the InputPath
     * selection. */
    expect_pass("{\"InputPath\":\"$.sub\",\"ResultPath\":\"$.copy\"}",
                "{\"sub\":{\"x\":1},\"other\":2}",
                "{\"sub\":{\"x\":1},\"other\":2,\"copy\":{\"x\":1}}");
}

Test(sfn_dataflow, result_path_into_scalar_fails)
{
    expect_pass_failure("{\"Result\":1,\"ResultPath\":\"$.x\"}", "\"text\"",
                        "States.ResultPathMatchFailure",
                        "Unable to apply ReferencePath $.x to input "
                        "\"text\"");
}

Test(sfn_dataflow, task_pipeline_in_aws_order)
{
    cJSON *state = parse("{\"InputPath\":\"$.in\","
                         "\"Parameters\":{\"Payload.$\":\"$\"},"
                         "\"ResultSelector\":{\"Payload.$\":\"$.Payload\"},"
                         "\"ResultPath\":\"$.taskResult\","
                         "\"OutputPath\":\"$.taskResult.Payload\"}");
    cJSON *raw = parse("{\"in\":{\"v\":1},\"keep\":true}");
    sfn_failure failure = {0};

    cJSON *effective =
        sfn_state_effective_input(state, NULL, raw, NULL, &failure);
    assert_json(effective, "{\"Payload\":{\"v\":1}}");

    cJSON *result = parse("{\"ExecutedVersion\":\"$LATEST\","
                          "\"Payload\":{\"out\":2},\"StatusCode\":200}");
    cJSON *output = sfn_state_output(state, raw, result, NULL, &failure);
    assert_json(output, "{\"out\":2}");

    cJSON_Delete(output);
    cJSON_Delete(effective);
    cJSON_Delete(raw);
    cJSON_Delete(state);
}

Test(sfn_dataflow, result_selector_missing_path_quotes_result)
{
    cJSON *state = parse("{\"ResultSelector\":{\"Payload.$\":\"$.Payload\"}}");
    cJSON *raw = parse("{}");
    sfn_failure failure = {0};
    cJSON *out = sfn_state_output(state, raw, parse("{\"StatusCode\":200}"),
                                  NULL, &failure);
    cr_assert_null(out);
    cr_assert_str_eq(failure.cause,
                     "The JSONPath '$.Payload' specified for the field "
                     "'Payload.$' could not be found in the input "
                     "'{\"StatusCode\":200}'");
    cJSON_Delete(raw);
    cJSON_Delete(state);
}

Test(sfn_dataflow, item_selector_template_member)
{
    cJSON *state =
        parse("{\"ItemSelector\":{\"item.$\":\"$$.Map.Item.Value\"}}");
    cJSON *raw = parse("{}");
    cJSON *context = parse("{\"Map\":{\"Item\":{\"Index\":0,\"Value\":7}}}");
    cJSON *out =
        sfn_state_effective_input(state, "ItemSelector", raw, context, NULL);
    assert_json(out, "{\"item\":7}");
    cJSON_Delete(out);
    cJSON_Delete(context);
    cJSON_Delete(raw);
    cJSON_Delete(state);
}

/* The OCR fallback writes below a parent that does not exist yet; the
 * parallel branch then fails on the missing OCR fields. */
Test(sfn_dataflow, collectiq_ocr_fallback_flow)
{
    expect_pass("{\"Type\":\"Pass\",\"Result\":{\"cardMetadata\":{\"name\":"
                "{\"value\":null,\"confidence\":0.0}}},"
                "\"ResultPath\":\"$.ocrMetadata.Payload\"}",
                "{\"userId\":\"u\"}",
                "{\"userId\":\"u\",\"ocrMetadata\":{\"Payload\":"
                "{\"cardMetadata\":{\"name\":{\"value\":null,"
                "\"confidence\":0}}}}}");

    cJSON *tmpl = parse("{\"Payload\":{\"cardMeta\":{"
                        "\"name.$\":\"$.ocrMetadata.Payload.cardMetadata.name."
                        "value\",\"set.$\":\"$.ocrMetadata.Payload."
                        "cardMetadata.set.value\"}}}");
    cJSON *input = parse("{\"ocrMetadata\":{\"Payload\":{\"cardMetadata\":"
                         "{\"name\":{\"value\":null}}}}}");
    sfn_failure failure = {0};
    cr_assert_null(sfn_payload_apply(tmpl, input, NULL, &failure));
    cr_assert_str_eq(failure.error, "States.Runtime");
    cr_assert(strstr(failure.cause, "'$.ocrMetadata.Payload.cardMetadata.set."
                                    "value' specified for the field 'set.$'"));
    cJSON_Delete(input);
    cJSON_Delete(tmpl);
}

Test(sfn_dataflow, failure_prefix_names_state)
{
    sfn_failure failure = {0};
    sfn_failure_set(&failure, "States.Runtime", "Invalid path '%s'", "$.x");
    sfn_failure_prefix_state(&failure, "pass", 2);
    cr_assert_str_eq(failure.cause,
                     "An error occurred while executing the state 'pass' "
                     "(entered at the event id #2). Invalid path '$.x'");
}

/* A small interpreter for the regression cases: Pass, Choice, Parallel,
 * Succeed and Fail states, run in this process. */

#define MAX_TRANSITIONS 100

static cJSON *run_states(const cJSON *machine, const cJSON *input,
                         const cJSON *context, sfn_failure *failure);

static cJSON *run_parallel(const cJSON *state, const cJSON *raw,
                           const cJSON *context, sfn_failure *failure)
{
    cJSON *effective =
        sfn_state_effective_input(state, NULL, raw, context, failure);
    if (!effective)
        return NULL;
    cJSON *results = cJSON_CreateArray();
    const cJSON *branch;
    cJSON_ArrayForEach(branch,
                       cJSON_GetObjectItemCaseSensitive(state, "Branches"))
    {
        cJSON *out = run_states(branch, effective, context, failure);
        if (!out) {
            cJSON_Delete(results);
            cJSON_Delete(effective);
            return NULL;
        }
        cJSON_AddItemToArray(results, out);
    }
    cJSON_Delete(effective);
    return sfn_state_output(state, raw, results, context, failure);
}

static cJSON *run_choice(const cJSON *state, const cJSON *raw,
                         const cJSON *context, const char **next,
                         sfn_failure *failure)
{
    cJSON *effective =
        sfn_select_path(cJSON_GetObjectItemCaseSensitive(state, "InputPath"),
                        "InputPath", raw, context, failure);
    if (!effective)
        return NULL;
    *next = sfn_choice_next(state, effective, context, failure);
    if (!*next) {
        cJSON_Delete(effective);
        return NULL;
    }
    cJSON *out =
        sfn_select_path(cJSON_GetObjectItemCaseSensitive(state, "OutputPath"),
                        "OutputPath", effective, context, failure);
    cJSON_Delete(effective);
    return out;
}

static cJSON *run_states(const cJSON *machine, const cJSON *input,
                         const cJSON *context, sfn_failure *failure)
{
    const cJSON *states = cJSON_GetObjectItemCaseSensitive(machine, "States");
    const char *name =
        cJSON_GetObjectItemCaseSensitive(machine, "StartAt")->valuestring;
    cJSON *data = cJSON_Duplicate(input, true);

    for (int step = 0; step < MAX_TRANSITIONS; step++) {
        const cJSON *state = cJSON_GetObjectItemCaseSensitive(states, name);
        cr_assert_not_null(state, "no state named %s", name);
        const char *type =
            cJSON_GetObjectItemCaseSensitive(state, "Type")->valuestring;
        const cJSON *next_member =
            cJSON_GetObjectItemCaseSensitive(state, "Next");
        const char *next = next_member ? next_member->valuestring : NULL;
        cJSON *out;

        if (strcmp(type, "Pass") == 0) {
            out = sfn_pass_state_output(state, data, context, failure);
        } else if (strcmp(type, "Choice") == 0) {
            out = run_choice(state, data, context, &next, failure);
        } else if (strcmp(type, "Parallel") == 0) {
            out = run_parallel(state, data, context, failure);
        } else if (strcmp(type, "Succeed") == 0) {
            out = cJSON_Duplicate(data, true);
            next = NULL;
        } else {
            cr_assert_str_eq(type, "Fail", "unsupported state type");
            sfn_failure_set(failure, "States.Fail", "Fail state %s", name);
            out = NULL;
        }
        cJSON_Delete(data);
        if (!out) {
            sfn_failure_prefix_state(failure, name, step + 2);
            return NULL;
        }
        data = out;
        if (!next)
            return data;
        name = next;
    }
    cr_assert_fail("more than %d transitions", MAX_TRANSITIONS);
    return NULL;
}

static void run_case_file(const char *file)
{
    const char *root = ts_shared_dir();
    if (!root) {
        cr_skip_test("STRATUS_SHARED_DIR is not set or has no cases/; "
                     "skipping case %s",
                     file);
    }
    char path[1024];
    snprintf(path, sizeof path, "%s/cases/stepfunctions/%s", root, file);
    char *text = ts_read_file(path);
    cr_assert_not_null(text, "cannot read %s", path);
    cJSON *c = parse(text);
    free(text);

    const cJSON *in = cJSON_GetObjectItemCaseSensitive(c, "input");
    const cJSON *definition =
        cJSON_GetObjectItemCaseSensitive(in, "definition");
    const cJSON *exec_input =
        cJSON_GetObjectItemCaseSensitive(in, "execution_input");
    const cJSON *expected = cJSON_GetObjectItemCaseSensitive(c, "expected");
    const char *status =
        cJSON_GetObjectItemCaseSensitive(expected, "status")->valuestring;

    cJSON *context = cJSON_CreateObject();
    cJSON *execution = cJSON_AddObjectToObject(context, "Execution");
    cJSON_AddStringToObject(execution, "Id",
                            "arn:aws:states:us-east-1:000000000000:execution:"
                            "case:run-1");
    cJSON_AddStringToObject(execution, "Name", "run-1");
    cJSON_AddItemToObject(execution, "Input",
                          cJSON_Duplicate(exec_input, true));

    sfn_failure failure = {0};
    cJSON *out = run_states(definition, exec_input, context, &failure);
    if (strcmp(status, "SUCCEEDED") == 0) {
        cr_assert_not_null(out, "%s failed: %s: %s", file, failure.error,
                           failure.cause);
        char *got = sfn_json_compact(out);
        cr_assert(sfn_json_equal(out, cJSON_GetObjectItemCaseSensitive(
                                          expected, "output")),
                  "%s output %s", file, got);
        free(got);
    } else {
        cr_assert_null(out, "%s should fail", file);
        cr_assert_str_eq(
            failure.error,
            cJSON_GetObjectItemCaseSensitive(expected, "error")->valuestring);
    }
    cJSON_Delete(out);
    cJSON_Delete(context);
    cJSON_Delete(c);
}

Test(sfn_dataflow_cases, states_format_escaped_braces)
{
    run_case_file("states-format-escaped-braces.json");
}

Test(sfn_dataflow_cases, context_object_in_input_path)
{
    run_case_file("context-object-in-inputpath.json");
}

Test(sfn_dataflow_cases, result_path_appends_to_input)
{
    run_case_file("resultpath-appends-to-input.json");
}

Test(sfn_dataflow_cases, parallel_result_path_holds_branch_array)
{
    run_case_file("parallel-resultpath-holds-branch-array.json");
}

Test(sfn_dataflow_cases, choice_on_missing_variable_fails)
{
    run_case_file("choice-on-missing-variable-fails.json");
}
