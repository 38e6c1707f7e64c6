/*
 * test_sfn_dataflow.c: payload templates and the InputPath -> Parameters ->
 * ResultSelector -> ResultPath -> OutputPath pipeline with AWS's
 * States.Runtime causes, and the CollectIQ state machine's templates. The
 * data-flow regression cases from STRATUS_SHARED_DIR run through a small
 * Pass/Choice/Parallel interpreter defined here.
 */
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "sfn_choice.h"
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

Test(sfn_dataflow, payload_path_on_null_input_fails)
{
    cJSON *tmpl = parse("{\"Input.$\":\"$\",\"Id.$\":\"$$.Execution.Id\"}");
    cJSON *input = cJSON_CreateNull();
    sfn_failure failure = {0};
    cr_assert_null(sfn_payload_apply(tmpl, input, NULL, &failure));
    cr_assert_str_eq(failure.error, "States.Runtime");
    cr_assert_str_eq(failure.cause, "Unable to apply Path transformation to "
                                    "null or empty input.");

    cJSON *context_only = parse("{\"Id.$\":\"$$.Execution.Id\"}");
    cJSON *context = parse("{\"Execution\":{\"Id\":\"e\"}}");
    cJSON *out = sfn_payload_apply(context_only, input, context, &failure);
    assert_json(out, "{\"Id\":\"e\"}");
    cJSON_Delete(out);
    cJSON_Delete(context);
    cJSON_Delete(context_only);
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

Test(sfn_dataflow, items_path_selects_array)
{
    cJSON *input = parse("{\"list\":[1,2],\"text\":\"x\"}");
    cJSON *context = parse("{\"Execution\":{\"Input\":{\"a\":1}}}");
    cJSON *list_path = cJSON_CreateString("$.list");
    cJSON *text_path = cJSON_CreateString("$.text");
    cJSON *context_path = cJSON_CreateString("$$.Execution.Input");
    sfn_failure failure = {0};

    cJSON *items = sfn_items_select(list_path, input, context, &failure);
    assert_json(items, "[1,2]");
    cJSON_Delete(items);

    cr_assert_null(sfn_items_select(NULL, input, context, &failure));
    cr_assert_str_eq(failure.cause,
                     "Reference path \"$\" must point to array.");
    cr_assert_null(sfn_items_select(text_path, input, context, &failure));
    cr_assert_str_eq(failure.cause,
                     "Reference path \"$.text\" must point to array.");
    cr_assert_null(sfn_items_select(context_path, input, context, &failure));
    cr_assert_str_eq(failure.error, "States.Runtime");
    cr_assert_str_eq(failure.cause, "Reference path \"$.Execution.Input\" "
                                    "must point to array.");

    cJSON_Delete(context_path);
    cJSON_Delete(text_path);
    cJSON_Delete(list_path);
    cJSON_Delete(context);
    cJSON_Delete(input);
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

/* A small interpreter for the regression cases and recorded histories:
 * Pass, Choice, Parallel, Map, Succeed and Fail states with Catch, run in
 * this process. Tasks are not supported. */

#define MAX_TRANSITIONS 200
#define MAX_NESTING 8

static cJSON *run_states(const cJSON *machine, const cJSON *input,
                         const cJSON *context, int nesting,
                         sfn_failure *failure);

static cJSON *run_parallel(const cJSON *state, const cJSON *raw,
                           const cJSON *context, int nesting,
                           sfn_failure *failure)
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
        cJSON *out = run_states(branch, effective, context, nesting, failure);
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

/* One Map iteration: the context gains Map.Item, and ItemSelector (or the
 * older Parameters) builds the iteration input. */
static cJSON *run_map_item(const cJSON *state, const cJSON *effective,
                           const cJSON *item, int index, const cJSON *context,
                           int nesting, sfn_failure *failure)
{
    cJSON *item_context = cJSON_Duplicate(context, true);
    cJSON *map = cJSON_AddObjectToObject(item_context, "Map");
    cJSON *map_item = cJSON_AddObjectToObject(map, "Item");
    cJSON_AddNumberToObject(map_item, "Index", index);
    cJSON_AddItemToObject(map_item, "Value", cJSON_Duplicate(item, true));

    const cJSON *selector =
        cJSON_GetObjectItemCaseSensitive(state, "ItemSelector");
    if (!selector)
        selector = cJSON_GetObjectItemCaseSensitive(state, "Parameters");
    cJSON *item_input =
        selector ? sfn_payload_apply(selector, effective, item_context, failure)
                 : cJSON_Duplicate(item, true);
    cJSON *out = NULL;
    if (item_input) {
        const cJSON *processor =
            cJSON_GetObjectItemCaseSensitive(state, "ItemProcessor");
        if (!processor)
            processor = cJSON_GetObjectItemCaseSensitive(state, "Iterator");
        out = run_states(processor, item_input, item_context, nesting, failure);
    }
    cJSON_Delete(item_input);
    cJSON_Delete(item_context);
    return out;
}

static cJSON *run_map(const cJSON *state, const cJSON *raw,
                      const cJSON *context, int nesting, sfn_failure *failure)
{
    cJSON *effective =
        sfn_select_path(cJSON_GetObjectItemCaseSensitive(state, "InputPath"),
                        "InputPath", raw, context, failure);
    if (!effective)
        return NULL;
    cJSON *items =
        sfn_items_select(cJSON_GetObjectItemCaseSensitive(state, "ItemsPath"),
                         effective, context, failure);
    cJSON *results = items ? cJSON_CreateArray() : NULL;
    const cJSON *item;
    int index = 0;
    cJSON_ArrayForEach(item, items)
    {
        cJSON *out = run_map_item(state, effective, item, index++, context,
                                  nesting, failure);
        if (!out) {
            cJSON_Delete(results);
            results = NULL;
            break;
        }
        cJSON_AddItemToArray(results, out);
    }
    cJSON_Delete(items);
    cJSON_Delete(effective);
    if (!results)
        return NULL;
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

/* Error or Cause of a Fail state, from the literal or the *Path member. */
static bool fail_field(const cJSON *state, const char *name, const cJSON *raw,
                       const cJSON *context, char *out, size_t len,
                       sfn_failure *failure)
{
    char path_name[32];
    snprintf(path_name, sizeof path_name, "%sPath", name);
    const cJSON *literal = cJSON_GetObjectItemCaseSensitive(state, name);
    const cJSON *path = cJSON_GetObjectItemCaseSensitive(state, path_name);
    out[0] = '\0';
    if (cJSON_IsString(literal))
        snprintf(out, len, "%s", literal->valuestring);
    if (!cJSON_IsString(path))
        return true;

    cJSON *value;
    if (sfn_intrinsic_is_call(path->valuestring)) {
        value = sfn_intrinsic_eval(path->valuestring, raw, context, path_name,
                                   failure);
    } else {
        value = NULL;
        sfn_path_query(path->valuestring, SFN_PATH_REFERENCE, raw, context,
                       &value, NULL, 0);
        if (!value) {
            char *json = sfn_json_compact(raw);
            sfn_failure_set(failure, SFN_ERR_RUNTIME,
                            "The JSONPath '%s' specified for the field '%s' "
                            "could not be found in the input '%s'",
                            path->valuestring, path_name, json);
            free(json);
        }
    }
    if (!value)
        return false;
    if (cJSON_IsString(value))
        snprintf(out, len, "%s", value->valuestring);
    cJSON_Delete(value);
    return true;
}

static cJSON *run_fail(const cJSON *state, const cJSON *raw,
                       const cJSON *context, sfn_failure *failure)
{
    char error[SFN_ERROR_MAX + 1], cause[1024];
    if (fail_field(state, "Error", raw, context, error, sizeof error,
                   failure) &&
        fail_field(state, "Cause", raw, context, cause, sizeof cause, failure))
        sfn_failure_set(failure, error, "%s", cause);
    return NULL;
}

/* The Next of the first catcher that matches, with the state's output for
 * it; States.Runtime is never caught. */
static const char *catch_error(const cJSON *state, const cJSON *raw,
                               cJSON **out, const sfn_failure *failure)
{
    if (strcmp(failure->error, SFN_ERR_RUNTIME) == 0)
        return NULL;
    const cJSON *catcher;
    cJSON_ArrayForEach(catcher,
                       cJSON_GetObjectItemCaseSensitive(state, "Catch"))
    {
        const cJSON *name;
        bool match = false;
        cJSON_ArrayForEach(
            name, cJSON_GetObjectItemCaseSensitive(catcher, "ErrorEquals"))
        {
            match = match || strcmp(name->valuestring, "States.ALL") == 0 ||
                    strcmp(name->valuestring, failure->error) == 0;
        }
        if (!match)
            continue;
        cJSON *error_output = cJSON_CreateObject();
        cJSON_AddStringToObject(error_output, "Error", failure->error);
        cJSON_AddStringToObject(error_output, "Cause", failure->cause);
        *out = sfn_result_path_apply(
            cJSON_GetObjectItemCaseSensitive(catcher, "ResultPath"), raw,
            error_output, NULL);
        return cJSON_GetObjectItemCaseSensitive(catcher, "Next")->valuestring;
    }
    return NULL;
}

static cJSON *run_state(const cJSON *state, const cJSON *data,
                        const cJSON *context, int nesting, const char **next,
                        sfn_failure *failure)
{
    const char *type =
        cJSON_GetObjectItemCaseSensitive(state, "Type")->valuestring;
    if (strcmp(type, "Pass") == 0)
        return sfn_pass_state_output(state, data, context, failure);
    if (strcmp(type, "Choice") == 0)
        return run_choice(state, data, context, next, failure);
    if (strcmp(type, "Parallel") == 0)
        return run_parallel(state, data, context, nesting + 1, failure);
    if (strcmp(type, "Map") == 0)
        return run_map(state, data, context, nesting + 1, failure);
    if (strcmp(type, "Succeed") == 0) {
        *next = NULL;
        return sfn_select_path(
            cJSON_GetObjectItemCaseSensitive(state, "OutputPath"), "OutputPath",
            data, context, failure);
    }
    cr_assert_str_eq(type, "Fail", "unsupported state type");
    return run_fail(state, data, context, failure);
}

static cJSON *run_states(const cJSON *machine, const cJSON *input,
                         const cJSON *context, int nesting,
                         sfn_failure *failure)
{
    cr_assert_lt(nesting, MAX_NESTING, "states nested too deeply");
    const cJSON *states = cJSON_GetObjectItemCaseSensitive(machine, "States");
    const char *name =
        cJSON_GetObjectItemCaseSensitive(machine, "StartAt")->valuestring;
    cJSON *data = cJSON_Duplicate(input, true);

    for (int step = 0; step < MAX_TRANSITIONS; step++) {
        const cJSON *state = cJSON_GetObjectItemCaseSensitive(states, name);
        cr_assert_not_null(state, "no state named %s", name);
        const cJSON *next_member =
            cJSON_GetObjectItemCaseSensitive(state, "Next");
        const char *next = next_member ? next_member->valuestring : NULL;

        cJSON *state_context = cJSON_Duplicate(context, true);
        cJSON *state_object = cJSON_AddObjectToObject(state_context, "State");
        cJSON_AddStringToObject(state_object, "Name", name);
        cJSON *out =
            run_state(state, data, state_context, nesting, &next, failure);
        cJSON_Delete(state_context);

        if (!out) {
            next = catch_error(state, data, &out, failure);
            if (!next) {
                if (strcmp(failure->error, SFN_ERR_RUNTIME) == 0 &&
                    strncmp(failure->cause, "An error occurred", 17) != 0)
                    sfn_failure_prefix_state(failure, name, step + 2);
                cJSON_Delete(data);
                return NULL;
            }
        }
        cJSON_Delete(data);
        data = out;
        if (!next)
            return data;
        name = next;
    }
    cr_assert_fail("more than %d transitions", MAX_TRANSITIONS);
    return NULL;
}

static cJSON *new_context(const cJSON *exec_input)
{
    cJSON *context = cJSON_CreateObject();
    cJSON *execution = cJSON_AddObjectToObject(context, "Execution");
    cJSON_AddStringToObject(execution, "Id",
                            "arn:aws:states:us-east-1:000000000000:execution:"
                            "case:run-1");
    cJSON_AddStringToObject(execution, "Name", "run-1");
    cJSON_AddItemToObject(execution, "Input",
                          cJSON_Duplicate(exec_input, true));
    cJSON *machine = cJSON_AddObjectToObject(context, "StateMachine");
    cJSON_AddStringToObject(machine, "Name", "case");
    return context;
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

    cJSON *context = new_context(exec_input);
    sfn_failure failure = {0};
    cJSON *out = run_states(definition, exec_input, context, 0, &failure);
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

/* AWS-recorded histories of machines without Task states */

/* True when every state, at any depth, is one the interpreter runs and the
 * machine uses no feature outside this library (JSONata, variables, item
 * readers, failure tolerance) and no placeholder the LocalStack test fills
 * in. */
static bool machine_supported(const cJSON *machine)
{
    char *json = sfn_json_compact(machine);
    static const char *unsupported[] = {"QueryLanguage",
                                        "\"Assign\"",
                                        "\"Arguments\"",
                                        "\"Output\"",
                                        "ItemReader",
                                        "ResultWriter",
                                        "Tolerated",
                                        "MaxItems",
                                        "ItemBatcher",
                                        "%",
                                        "Retry",
                                        "{%",
                                        "MaxConcurrencyPath"};
    bool ok = true;
    for (size_t i = 0; i < sizeof unsupported / sizeof unsupported[0]; i++)
        ok = ok && !strstr(json, unsupported[i]);
    free(json);

    const cJSON *state;
    cJSON_ArrayForEach(state,
                       cJSON_GetObjectItemCaseSensitive(machine, "States"))
    {
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(state, "Type");
        const char *t = cJSON_IsString(type) ? type->valuestring : "";
        ok = ok && (strcmp(t, "Pass") == 0 || strcmp(t, "Choice") == 0 ||
                    strcmp(t, "Parallel") == 0 || strcmp(t, "Map") == 0 ||
                    strcmp(t, "Succeed") == 0 || strcmp(t, "Fail") == 0);
        const cJSON *branch;
        cJSON_ArrayForEach(branch,
                           cJSON_GetObjectItemCaseSensitive(state, "Branches"))
        {
            ok = ok && machine_supported(branch);
        }
        const char *nested[] = {"Iterator", "ItemProcessor"};
        for (size_t i = 0; i < 2; i++) {
            const cJSON *sub =
                cJSON_GetObjectItemCaseSensitive(state, nested[i]);
            if (sub)
                ok = ok && machine_supported(sub);
        }
    }
    return ok;
}

/* True when `expected` contains a LocalStack placeholder such as
 * "<ExecArnPart_0idx>" that `input` does not contain, so the value cannot
 * be reproduced here. */
static bool has_foreign_placeholder(const char *expected, const char *input)
{
    for (const char *open = strchr(expected, '<'); open;
         open = strchr(open + 1, '<')) {
        const char *close = strchr(open, '>');
        if (!close)
            return false;
        char token[128];
        size_t n = (size_t)(close - open + 1);
        if (n >= sizeof token)
            return true;
        memcpy(token, open, n);
        token[n] = '\0';
        if (!strstr(input, token))
            return true;
    }
    return false;
}

typedef struct tally {
    int passed, failed, skipped;
} tally;

/* LocalStack stores an input or output that is not an object as its JSON
 * text. Return the value that text encodes (a new tree), or a copy. */
static cJSON *decode_recorded(const cJSON *value)
{
    if (cJSON_IsString(value)) {
        cJSON *parsed = cJSON_Parse(value->valuestring);
        if (parsed)
            return parsed;
    }
    return value ? cJSON_Duplicate(value, true) : NULL;
}

static void run_history(const cJSON *definition, const cJSON *events,
                        const char *label, tally *t)
{
    cJSON *exec_input = NULL, *expected = NULL;
    const char *expected_error = NULL, *expected_cause = NULL;
    const cJSON *ev;
    cJSON_ArrayForEach(ev, events)
    {
        const cJSON *d;
        if ((d = cJSON_GetObjectItemCaseSensitive(
                 ev, "executionStartedEventDetails")))
            exec_input =
                decode_recorded(cJSON_GetObjectItemCaseSensitive(d, "input"));
        if ((d = cJSON_GetObjectItemCaseSensitive(
                 ev, "executionSucceededEventDetails")))
            expected =
                decode_recorded(cJSON_GetObjectItemCaseSensitive(d, "output"));
        if ((d = cJSON_GetObjectItemCaseSensitive(
                 ev, "executionFailedEventDetails"))) {
            const cJSON *e = cJSON_GetObjectItemCaseSensitive(d, "error");
            const cJSON *c = cJSON_GetObjectItemCaseSensitive(d, "cause");
            expected_error = cJSON_IsString(e) ? e->valuestring : "";
            expected_cause = cJSON_IsString(c) ? c->valuestring : NULL;
        }
    }
    char *input_json = exec_input ? sfn_json_compact(exec_input) : NULL;
    char *expected_json = expected ? sfn_json_compact(expected) : NULL;
    bool skip =
        !exec_input || (!expected && !expected_error) ||
        (expected_json && has_foreign_placeholder(expected_json, input_json));
    if (skip) {
        t->skipped++;
        free(input_json);
        free(expected_json);
        cJSON_Delete(exec_input);
        cJSON_Delete(expected);
        return;
    }

    cJSON *context = new_context(exec_input);
    sfn_failure failure = {0};
    cJSON *out = run_states(definition, exec_input, context, 0, &failure);
    bool ok;
    if (expected) {
        ok = out && sfn_json_equal(out, expected);
    } else {
        bool compare_cause = expected_cause && !has_foreign_placeholder(
                                                   expected_cause, input_json);
        ok = !out && strcmp(failure.error, expected_error) == 0 &&
             (!compare_cause || strcmp(failure.cause, expected_cause) == 0);
    }
    if (ok) {
        t->passed++;
    } else {
        char *got = out ? sfn_json_compact(out) : NULL;
        fprintf(stderr,
                "MISMATCH %s\n  got      %s %s %s\n  expected %s %s %s\n",
                label, got ? got : "failure", failure.error, failure.cause,
                expected_json ? expected_json : "failure",
                expected_error ? expected_error : "",
                expected_cause ? expected_cause : "");
        free(got);
        t->failed++;
    }
    cJSON_Delete(out);
    cJSON_Delete(context);
    free(input_json);
    free(expected_json);
    cJSON_Delete(exec_input);
    cJSON_Delete(expected);
}

/* Tests whose Python code rewrites the indexed template before it runs, so
 * the template on disk is not the machine that was recorded. */
static bool template_rewritten(const char *test)
{
    /* A parametrized test substitutes its parameter into the template. */
    if (strchr(test, '['))
        return true;
    return strstr(test, "::test_state_pass_result_jsonpaths") != NULL;
}

static void run_snapshot(const char *root, const char *file, const cJSON *index,
                         tally *t)
{
    char path[2048];
    snprintf(path, sizeof path,
             "%s/conformance/localstack/tests/aws/services/stepfunctions/v2/"
             "%s",
             root, file);
    cJSON *snapshot = ts_load_json(path, false);
    cr_assert_not_null(snapshot, "cannot read %s", path);

    const cJSON *test;
    cJSON_ArrayForEach(test, snapshot)
    {
        const cJSON *templates =
            cJSON_GetObjectItemCaseSensitive(index, test->string);
        if (cJSON_GetArraySize(templates) != 1 ||
            template_rewritten(test->string))
            continue;
        snprintf(path, sizeof path, "%s/conformance/localstack/%s", root,
                 cJSON_GetArrayItem(templates, 0)->valuestring);
        cJSON *definition = ts_load_json(path, true);
        if (!definition || !machine_supported(definition)) {
            cJSON_Delete(definition);
            continue;
        }

        const cJSON *record;
        cJSON_ArrayForEach(
            record, cJSON_GetObjectItemCaseSensitive(test, "recorded-content"))
        {
            const cJSON *events =
                cJSON_GetObjectItemCaseSensitive(record, "events");
            if (!events)
                continue;
            char label[2048];
            snprintf(label, sizeof label, "%s %s", test->string,
                     record->string);
            run_history(definition, events, label, t);
        }
        cJSON_Delete(definition);
    }
    cJSON_Delete(snapshot);
}

Test(sfn_dataflow_cases, aws_recorded_histories)
{
    const char *root = ts_shared_dir();
    if (!root) {
        cr_skip_test("STRATUS_SHARED_DIR is not set or has no cases/; "
                     "skipping the AWS-recorded histories");
    }
    char path[2048];
    snprintf(path, sizeof path,
             "%s/conformance/localstack/"
             "INDEX-stepfunctions-tests-to-templates.json",
             root);
    cJSON *index = ts_load_json(path, false);
    cr_assert_not_null(index, "cannot read %s", path);

    const char *files[] = {
        "scenarios/test_base_scenarios.snapshot.json",
        "base/test_base.snapshot.json",
        "context_object/test_context_object.snapshot.json",
        "comments/test_comments.snapshot.json",
        "test_sfn_api.snapshot.json",
        "test_sfn_api_express.snapshot.json",
        "test_sfn_api_logs.snapshot.json",
        "test_sfn_api_versioning.snapshot.json",
        "test_sfn_api_aliasing.snapshot.json",
        "test_sfn_api_map_run.snapshot.json",
        "express/test_express_sync.snapshot.json",
        "express/test_express_async.snapshot.json",
        "logs/test_logs.snapshot.json",
        "error_handling/test_states_errors.snapshot.json",
        "outputdecl/test_output.snapshot.json",
        "query_language/test_base_query_language.snapshot.json",
        "query_language/test_mixed_query_language.snapshot.json"};
    tally t = {0};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        run_snapshot(root, files[i], index, &t);
    cJSON_Delete(index);

    fprintf(stderr,
            "data-flow AWS-recorded histories: %d passed, %d failed, "
            "%d skipped\n",
            t.passed, t.failed, t.skipped);
    cr_assert_gt(t.passed, 0);
    cr_assert_eq(t.failed, 0, "%d recorded histories differ", t.failed);
}
