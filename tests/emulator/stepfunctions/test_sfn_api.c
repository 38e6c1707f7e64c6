/*
 * test_sfn_api.c: the Step Functions state machine and execution
 * operations through the real dispatcher: names, ARNs, definition checks
 * with AWS's InvalidDefinition texts, listing order and paging, the
 * StartExecution idempotency rules and the shared API cases.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "sfn_test_util.h"
#include "ts.h"

#define PASS_MACHINE                                                           \
    "{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\",\"End\":true}}}"
#define WAIT_MACHINE                                                           \
    "{\"StartAt\":\"W\",\"States\":{\"W\":{\"Type\":\"Wait\",\"Seconds\":30,"  \
    "\"End\":true}}}"

/* Call CreateStateMachine with `definition` and return the error body. */
static cJSON *create_failing(stratus *srv, const char *name,
                             const char *definition, int *status)
{
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "name", name);
    cJSON_AddStringToObject(body, "roleArn", "arn:aws:iam::1:role/r");
    cJSON_AddStringToObject(body, "definition", definition);
    char *text = cJSON_PrintUnformatted(body);
    cJSON *out =
        ts_call(srv, "AWSStepFunctions.CreateStateMachine", text, status);
    free(text);
    cJSON_Delete(body);
    return out;
}

static void expect_invalid_definition(const char *definition,
                                      const char *message)
{
    stratus *srv = sfn_test_new();
    int status = 0;
    cJSON *out = create_failing(srv, "m", definition, &status);
    cr_assert_eq(status, 400);
    cr_assert_str_eq(sfn_test_str(out, "__type"), "InvalidDefinition");
    cr_assert_str_eq(sfn_test_str(out, "message"), message);
    cJSON_Delete(out);
    ts_free(srv);
}

Test(sfn_api, create_returns_arn_and_describe_echoes)
{
    stratus *srv = sfn_test_new();
    char arn[256];
    sfn_create(srv, "orders", "STANDARD", PASS_MACHINE, arn);
    cr_assert_str_eq(arn, "arn:aws:states:us-east-1:" SFN_TEST_ACCOUNT
                          ":stateMachine:orders");

    int status = 0;
    cJSON *out = sfn_call(srv, "DescribeStateMachine", &status,
                          "{\"stateMachineArn\":\"%s\"}", arn);
    cr_assert_eq(status, 200);
    cr_assert_str_eq(sfn_test_str(out, "name"), "orders");
    cr_assert_str_eq(sfn_test_str(out, "type"), "STANDARD");
    cr_assert_str_eq(sfn_test_str(out, "status"), "ACTIVE");
    cr_assert_str_eq(sfn_test_str(out, "definition"), PASS_MACHINE);
    cr_assert_str_eq(sfn_test_str(out, "roleArn"),
                     "arn:aws:iam::123456789012:role/sfn");
    cr_assert(
        cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(out, "creationDate")));
    cJSON_Delete(out);
    ts_free(srv);
}

Test(sfn_api, create_same_name_other_definition_exists)
{
    stratus *srv = sfn_test_new();
    char arn[256];
    sfn_create(srv, "dup", "STANDARD", PASS_MACHINE, arn);
    int status = 0;
    cJSON *out = create_failing(srv, "dup", WAIT_MACHINE, &status);
    cr_assert_eq(status, 400);
    cr_assert_str_eq(sfn_test_str(out, "__type"), "StateMachineAlreadyExists");
    char expected[512];
    snprintf(expected, sizeof expected, "State Machine Already Exists: '%s'",
             arn);
    cr_assert_str_eq(sfn_test_str(out, "message"), expected);
    cJSON_Delete(out);
    ts_free(srv);
}

Test(sfn_api, create_rejects_bad_names)
{
    const char *bad[] = {"a b", "a<b", "a{b", "a[b", "a?b", "a*b", "a\\\"b",
                         "a#b", "a%b", "a^b", "a|b", "a~b", "a`b", "a$b",
                         "a&b", "a,b", "a;b", "a:b", "a/b", ""};
    stratus *srv = sfn_test_new();
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int status = 0;
        cJSON *out = sfn_call(srv, "CreateStateMachine", &status,
                              "{\"name\":\"%s\",\"roleArn\":\"r\","
                              "\"definition\":\"{}\"}",
                              bad[i]);
        cr_assert_eq(status, 400, "name %s", bad[i]);
        cr_assert_str_eq(sfn_test_str(out, "__type"), "InvalidName");
        cJSON_Delete(out);
    }
    char long_name[90];
    memset(long_name, 'x', 81);
    long_name[81] = '\0';
    int status = 0;
    cJSON *out = sfn_call(srv, "CreateStateMachine", &status,
                          "{\"name\":\"%s\",\"roleArn\":\"r\","
                          "\"definition\":\"{}\"}",
                          long_name);
    cr_assert_str_eq(sfn_test_str(out, "__type"), "InvalidName");
    char expected[128];
    snprintf(expected, sizeof expected, "Invalid Name: '%s'", long_name);
    cr_assert_str_eq(sfn_test_str(out, "message"), expected);
    cJSON_Delete(out);
    ts_free(srv);
}

Test(sfn_api, definition_missing_fields)
{
    expect_invalid_definition("{\"StartAt\":\"A\"}",
                              "Invalid State Machine Definition: "
                              "'SCHEMA_VALIDATION_FAILED: These fields are "
                              "required: [States] at /'");
    expect_invalid_definition("{}", "Invalid State Machine Definition: "
                                    "'SCHEMA_VALIDATION_FAILED: These fields "
                                    "are required: [States, StartAt] at /'");
}

Test(sfn_api, definition_missing_next_and_unreachable)
{
    expect_invalid_definition(
        "{\"StartAt\":\"pass1\",\"States\":{"
        "\"pass1\":{\"Type\":\"Pass\",\"Next\":\"pass3\"},"
        "\"pass2\":{\"Type\":\"Pass\",\"End\":true}}}",
        "Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: "
        "Missing 'Next' target: pass3 at /States/pass1/Next, "
        "MISSING_TRANSITION_TARGET: State \"pass2\" is not reachable. at "
        "/States/pass2'");
}

Test(sfn_api, definition_bad_type_and_timestamp)
{
    expect_invalid_definition(
        "{\"StartAt\":\"X\",\"States\":{\"X\":{\"Type\":\"Nope\"}}}",
        "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: The "
        "field 'Type' should have one of these values: [Task, Wait, Pass, "
        "Succeed, Fail, Choice, Parallel, Map] at /States/X/Type'");
    expect_invalid_definition(
        "{\"StartAt\":\"WaitUntil\",\"States\":{\"WaitUntil\":{\"Type\":"
        "\"Wait\",\"Timestamp\":\"2016-03-14 01:59:00Z\",\"End\":true}}}",
        "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: String "
        "does not match RFC3339 timestamp at /States/WaitUntil/Timestamp'");
}

Test(sfn_api, definition_bad_intrinsic)
{
    expect_invalid_definition(
        "{\"StartAt\":\"I\",\"States\":{\"I\":{\"Type\":\"Pass\","
        "\"Parameters\":{\"parsed.$\":\"States.Nope($.a)\"},\"End\":true}}}",
        "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: The "
        "value for the field 'parsed.$' must be a valid JSONPath or a valid "
        "intrinsic function call at /States/I/Parameters'");
}

Test(sfn_api, definition_paths_retry_and_timeouts)
{
    static const struct {
        const char *state;
        const char *message;
    } cases[] = {
        {"\"ResultPath\":\"$.a[*]\"",
         "The value for the field 'ResultPath' must be a valid reference "
         "path at /States/S/ResultPath"},
        {"\"InputPath\":\"a.b\"",
         "The value for the field 'InputPath' must be a valid JSONPath at "
         "/States/S/InputPath"},
        {"\"Retry\":[{\"ErrorEquals\":[]}]",
         "These fields are required: [ErrorEquals] at /States/S/Retry[0]"},
        {"\"Retry\":[{\"ErrorEquals\":[\"States.ALL\",\"X\"]}]",
         "States.ALL must appear alone in the last retrier entry at "
         "/States/S/Retry[0]"},
        {"\"Retry\":[{\"ErrorEquals\":[\"X\"],\"BackoffRate\":0.5}]",
         "BackoffRate must be at least 1.0 at /States/S/Retry[0]/BackoffRate"},
        {"\"Retry\":[{\"ErrorEquals\":[\"X\"],\"JitterStrategy\":\"HALF\"}]",
         "The field 'JitterStrategy' should have one of these values: [FULL, "
         "NONE] at /States/S/Retry[0]/JitterStrategy"},
        {"\"Catch\":[{\"ErrorEquals\":[\"X\"]}]",
         "These fields are required: [Next] at /States/S/Catch[0]"},
        {"\"TimeoutSeconds\":5,\"HeartbeatSeconds\":5",
         "HeartbeatSeconds must be smaller than TimeoutSeconds at "
         "/States/S/HeartbeatSeconds"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char definition[1024], message[1024];
        snprintf(definition, sizeof definition,
                 "{\"StartAt\":\"S\",\"States\":{\"S\":{\"Type\":\"Task\","
                 "\"Resource\":\"" SFN_TEST_RESOURCE "echo\",%s,"
                 "\"End\":true}}}",
                 cases[i].state);
        snprintf(message, sizeof message,
                 "Invalid State Machine Definition: "
                 "'SCHEMA_VALIDATION_FAILED: %s'",
                 cases[i].message);
        expect_invalid_definition(definition, message);
    }
}

Test(sfn_api, validate_definition_diagnostics)
{
    stratus *srv = sfn_test_new();
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "definition",
                            "{\"StartAt\":\"pass1\",\"States\":{"
                            "\"pass1\":{\"Type\":\"Pass\",\"Next\":\"pass3\"},"
                            "\"pass2\":{\"Type\":\"Pass\",\"End\":true}}}");
    char *text = cJSON_PrintUnformatted(body);
    int status = 0;
    cJSON *out = ts_call(srv, "AWSStepFunctions.ValidateStateMachineDefinition",
                         text, &status);
    free(text);
    cJSON_Delete(body);
    cr_assert_eq(status, 200);
    cr_assert_str_eq(sfn_test_str(out, "result"), "FAIL");
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(out, "diagnostics");
    cr_assert_eq(cJSON_GetArraySize(list), 2);
    const cJSON *first = cJSON_GetArrayItem(list, 0);
    cr_assert_str_eq(sfn_test_str(first, "severity"), "ERROR");
    cr_assert_str_eq(sfn_test_str(first, "code"), "MISSING_TRANSITION_TARGET");
    cr_assert_str_eq(sfn_test_str(first, "message"),
                     "Missing 'Next' target: pass3");
    cr_assert_str_eq(sfn_test_str(first, "location"), "/States/pass1/Next");
    cJSON_Delete(out);

    out = sfn_call(srv, "ValidateStateMachineDefinition", &status,
                   "{\"definition\":\"{\\\"StartAt\\\":\\\"P\\\","
                   "\\\"States\\\":{\\\"P\\\":{\\\"Type\\\":"
                   "\\\"Succeed\\\"}}}\"}");
    cr_assert_eq(status, 200);
    cr_assert_str_eq(sfn_test_str(out, "result"), "OK");
    cr_assert_eq(cJSON_GetArraySize(
                     cJSON_GetObjectItemCaseSensitive(out, "diagnostics")),
                 0);
    cJSON_Delete(out);

    out = sfn_call(srv, "ValidateStateMachineDefinition", &status,
                   "{\"definition\":\"not json\"}");
    cr_assert_eq(status, 200);
    cr_assert_str_eq(sfn_test_str(out, "result"), "FAIL");
    cJSON_Delete(out);
    ts_free(srv);
}

Test(sfn_api, definition_not_json)
{
    stratus *srv = sfn_test_new();
    int status = 0;
    cJSON *out = create_failing(srv, "m", "not json", &status);
    cr_assert_eq(status, 400);
    cr_assert_str_eq(sfn_test_str(out, "__type"), "InvalidDefinition");
    cJSON_Delete(out);
    ts_free(srv);
}

Test(sfn_api, list_sorted_and_paged)
{
    stratus *srv = sfn_test_new();
    char arn[256];
    sfn_create(srv, "b", "STANDARD", PASS_MACHINE, arn);
    sfn_create(srv, "a", "EXPRESS", PASS_MACHINE, arn);
    sfn_create(srv, "c", "STANDARD", PASS_MACHINE, arn);
    int status = 0;
    cJSON *page =
        sfn_call(srv, "ListStateMachines", &status, "{\"maxResults\":2}");
    cr_assert_eq(status, 200);
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(page, "stateMachines");
    cr_assert_eq(cJSON_GetArraySize(list), 2);
    cr_assert_str_eq(sfn_test_str(cJSON_GetArrayItem(list, 0), "name"), "a");
    cr_assert_str_eq(sfn_test_str(cJSON_GetArrayItem(list, 0), "type"),
                     "EXPRESS");
    const char *token = sfn_test_str(page, "nextToken");
    cr_assert_not_null(token);
    cJSON *rest = sfn_call(srv, "ListStateMachines", &status,
                           "{\"maxResults\":2,\"nextToken\":\"%s\"}", token);
    list = cJSON_GetObjectItemCaseSensitive(rest, "stateMachines");
    cr_assert_eq(cJSON_GetArraySize(list), 1);
    cr_assert_str_eq(sfn_test_str(cJSON_GetArrayItem(list, 0), "name"), "c");
    cr_assert_null(sfn_test_str(rest, "nextToken"));
    cJSON_Delete(page);
    cJSON_Delete(rest);

    cJSON *bad =
        sfn_call(srv, "ListStateMachines", &status, "{\"maxResults\":1001}");
    cr_assert_eq(status, 400);
    cr_assert_str_eq(sfn_test_str(bad, "message"),
                     "1 validation error detected: Value '1001' at "
                     "'maxResults' failed to satisfy constraint: Member must "
                     "have value less than or equal to 1000");
    cJSON_Delete(bad);
    ts_free(srv);
}

Test(sfn_api, update_and_delete)
{
    stratus *srv = sfn_test_new();
    char arn[256];
    sfn_create(srv, "u", "STANDARD", PASS_MACHINE, arn);
    cJSON *def = cJSON_CreateString(WAIT_MACHINE);
    char *quoted = cJSON_PrintUnformatted(def);
    int status = 0;
    cJSON *out =
        sfn_call(srv, "UpdateStateMachine", &status,
                 "{\"stateMachineArn\":\"%s\",\"definition\":%s}", arn, quoted);
    cr_assert_eq(status, 200, "%s", sfn_test_str(out, "message"));
    cr_assert(
        cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(out, "updateDate")));
    cJSON_Delete(out);
    free(quoted);
    cJSON_Delete(def);
    out = sfn_call(srv, "DescribeStateMachine", &status,
                   "{\"stateMachineArn\":\"%s\"}", arn);
    cr_assert_str_eq(sfn_test_str(out, "definition"), WAIT_MACHINE);
    cJSON_Delete(out);

    out = sfn_call(srv, "UpdateStateMachine", &status,
                   "{\"stateMachineArn\":\"%s\"}", arn);
    cr_assert_eq(status, 400);
    cr_assert_str_eq(sfn_test_str(out, "__type"), "MissingRequiredParameter");
    cJSON_Delete(out);

    out = sfn_call(srv, "DeleteStateMachine", &status,
                   "{\"stateMachineArn\":\"%s\"}", arn);
    cr_assert_eq(status, 200);
    cJSON_Delete(out);
    out = sfn_call(srv, "DescribeStateMachine", &status,
                   "{\"stateMachineArn\":\"%s\"}", arn);
    cr_assert_eq(status, 400);
    cr_assert_str_eq(sfn_test_str(out, "__type"), "StateMachineDoesNotExist");
    char expected[512];
    snprintf(expected, sizeof expected, "State Machine Does Not Exist: '%s'",
             arn);
    cr_assert_str_eq(sfn_test_str(out, "message"), expected);
    cJSON_Delete(out);
    ts_free(srv);
}

Test(sfn_api, tags_round_trip)
{
    stratus *srv = sfn_test_new();
    int status = 0;
    cJSON *out = sfn_call(srv, "CreateStateMachine", &status,
                          "{\"name\":\"tagged\",\"roleArn\":\"r\","
                          "\"definition\":\"{\\\"StartAt\\\":\\\"P\\\","
                          "\\\"States\\\":{\\\"P\\\":{\\\"Type\\\":"
                          "\\\"Succeed\\\"}}}\",\"tags\":[{\"key\":\"team\","
                          "\"value\":\"cards\"}]}");
    cr_assert_eq(status, 200, "%s", sfn_test_str(out, "message"));
    char arn[256];
    snprintf(arn, sizeof arn, "%s", sfn_test_str(out, "stateMachineArn"));
    cJSON_Delete(out);

    out = sfn_call(srv, "TagResource", &status,
                   "{\"resourceArn\":\"%s\",\"tags\":[{\"key\":\"env\","
                   "\"value\":\"dev\"},{\"key\":\"team\",\"value\":\"ai\"}]}",
                   arn);
    cr_assert_eq(status, 200);
    cJSON_Delete(out);
    out = sfn_call(srv, "UntagResource", &status,
                   "{\"resourceArn\":\"%s\",\"tagKeys\":[\"env\"]}", arn);
    cr_assert_eq(status, 200);
    cJSON_Delete(out);
    out = sfn_call(srv, "ListTagsForResource", &status,
                   "{\"resourceArn\":\"%s\"}", arn);
    const cJSON *tags = cJSON_GetObjectItemCaseSensitive(out, "tags");
    cr_assert_eq(cJSON_GetArraySize(tags), 1);
    cr_assert_str_eq(sfn_test_str(cJSON_GetArrayItem(tags, 0), "key"), "team");
    cr_assert_str_eq(sfn_test_str(cJSON_GetArrayItem(tags, 0), "value"), "ai");
    cJSON_Delete(out);

    out = sfn_call(srv, "ListTagsForResource", &status,
                   "{\"resourceArn\":\"arn:aws:states:us-east-1:"
                   "123456789012:stateMachine:none\"}");
    cr_assert_eq(status, 400);
    cr_assert_str_eq(sfn_test_str(out, "__type"), "ResourceNotFound");
    cJSON_Delete(out);
    ts_free(srv);
}

Test(sfn_api, arn_errors)
{
    stratus *srv = sfn_test_new();
    int status = 0;
    cJSON *out = sfn_call(srv, "DescribeStateMachine", &status,
                          "{\"stateMachineArn\":\"not-an-arn\"}");
    cr_assert_eq(status, 400);
    cr_assert_str_eq(sfn_test_str(out, "__type"), "InvalidArn");
    cJSON_Delete(out);
    out = sfn_call(srv, "DescribeExecution", &status,
                   "{\"executionArn\":\"arn:aws:states:us-east-1:"
                   "123456789012:execution:nope:e1\"}");
    cr_assert_str_eq(sfn_test_str(out, "__type"), "ExecutionDoesNotExist");
    cr_assert_str_eq(sfn_test_str(out, "message"),
                     "Execution Does Not Exist: 'arn:aws:states:us-east-1:"
                     "123456789012:execution:nope:e1'");
    cJSON_Delete(out);
    ts_free(srv);
}

Test(sfn_api, start_execution_name_rules)
{
    stratus *srv = sfn_test_new();
    char arn[256], exec[512];
    sfn_create(srv, "n", "STANDARD", PASS_MACHINE, arn);
    int status = 0;
    cJSON *out = sfn_call(srv, "StartExecution", &status,
                          "{\"stateMachineArn\":\"%s\",\"name\":\"a:b\"}", arn);
    cr_assert_eq(status, 400);
    cr_assert_str_eq(sfn_test_str(out, "__type"), "InvalidName");
    cr_assert_str_eq(sfn_test_str(out, "message"), "Invalid Name: 'a:b'");
    cJSON_Delete(out);

    out = sfn_call(srv, "StartExecution", &status,
                   "{\"stateMachineArn\":\"%s\",\"input\":\"not json\"}", arn);
    cr_assert_eq(status, 400);
    cr_assert_str_eq(sfn_test_str(out, "__type"), "InvalidExecutionInput");
    cJSON_Delete(out);

    /* Without a name, the execution gets a UUID. */
    sfn_start(srv, arn, NULL, "{}", exec);
    const char *name = strrchr(exec, ':') + 1;
    cr_assert_eq(strlen(name), 36, "generated name %s", name);
    ts_free(srv);
}

Test(sfn_api, standard_idempotency)
{
    stratus *srv = sfn_test_new();
    char arn[256], first[512];
    sfn_create(srv, "idem", "STANDARD", WAIT_MACHINE, arn);
    sfn_start(srv, arn, "exec-1", "{\"a\":1}", first);
    sfn_drain(srv);

    int status = 0;
    cJSON *again = sfn_call(srv, "StartExecution", &status,
                            "{\"stateMachineArn\":\"%s\",\"name\":\"exec-1\","
                            "\"input\":\"{\\\"a\\\":1}\"}",
                            arn);
    cr_assert_eq(status, 200);
    cr_assert_str_eq(sfn_test_str(again, "executionArn"), first);
    cJSON_Delete(again);

    cJSON *other = sfn_call(srv, "StartExecution", &status,
                            "{\"stateMachineArn\":\"%s\",\"name\":\"exec-1\","
                            "\"input\":\"{\\\"a\\\":2}\"}",
                            arn);
    cr_assert_eq(status, 400);
    cr_assert_str_eq(sfn_test_str(other, "__type"), "ExecutionAlreadyExists");
    char expected[600];
    snprintf(expected, sizeof expected, "Execution Already Exists: '%s'",
             first);
    cr_assert_str_eq(sfn_test_str(other, "message"), expected);
    cJSON_Delete(other);

    cJSON *stop = sfn_call(srv, "StopExecution", &status,
                           "{\"executionArn\":\"%s\"}", first);
    cr_assert_eq(status, 200);
    cJSON_Delete(stop);
    cJSON *closed = sfn_call(srv, "StartExecution", &status,
                             "{\"stateMachineArn\":\"%s\",\"name\":\"exec-1\","
                             "\"input\":\"{\\\"a\\\":1}\"}",
                             arn);
    cr_assert_eq(status, 400);
    cr_assert_str_eq(sfn_test_str(closed, "__type"), "ExecutionAlreadyExists");
    cJSON_Delete(closed);
    ts_free(srv);
}

Test(sfn_api, express_names_repeat)
{
    stratus *srv = sfn_test_new();
    char arn[256], one[512], two[512];
    sfn_create(srv, "fast", "EXPRESS", PASS_MACHINE, arn);
    sfn_start(srv, arn, "same", "{}", one);
    sfn_start(srv, arn, "same", "{}", two);
    cr_assert_str_neq(one, two);
    cr_assert(strstr(one, ":express:fast:same:") != NULL, "%s", one);

    const char *ops[] = {"DescribeExecution", "StopExecution",
                         "GetExecutionHistory"};
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++) {
        int status = 0;
        cJSON *out =
            sfn_call(srv, ops[i], &status, "{\"executionArn\":\"%s\"}", one);
        cr_assert_eq(status, 400, "%s", ops[i]);
        cr_assert_str_eq(sfn_test_str(out, "__type"), "InvalidArn");
        cr_assert_str_eq(sfn_test_str(out, "message"),
                         "Invalid Arn: 'Resource type not valid in this "
                         "context: express'");
        cJSON_Delete(out);
    }
    ts_free(srv);
}

Test(sfn_api, stop_records_abort)
{
    stratus *srv = sfn_test_new();
    char arn[256], exec[512];
    sfn_create(srv, "stop", "STANDARD", WAIT_MACHINE, arn);
    sfn_start(srv, arn, "s1", "{}", exec);
    sfn_drain(srv);
    int status = 0;
    cJSON *out = sfn_call(srv, "StopExecution", &status,
                          "{\"executionArn\":\"%s\",\"error\":\"E\","
                          "\"cause\":\"C\"}",
                          exec);
    cr_assert_eq(status, 200);
    cJSON_Delete(out);
    sfn_advance(srv, 60 * 1000);
    cJSON *d = sfn_describe(srv, exec);
    cr_assert_str_eq(sfn_test_str(d, "status"), "ABORTED");
    cr_assert_str_eq(sfn_test_str(d, "error"), "E");
    cJSON_Delete(d);
    char *types = sfn_history_types(srv, exec);
    cr_assert_str_eq(types, "ExecutionStarted WaitStateEntered "
                            "ExecutionAborted");
    free(types);
    ts_free(srv);
}

Test(sfn_api, start_sync_execution_express_only)
{
    stratus *srv = sfn_test_new();
    char express[256], standard[256];
    sfn_create(srv, "sync", "EXPRESS",
               "{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\","
               "\"Result\":{\"done\":true},\"Next\":\"C\"},\"C\":{\"Type\":"
               "\"Choice\",\"Choices\":[{\"Variable\":\"$.done\","
               "\"BooleanEquals\":true,\"Next\":\"S\"}],\"Default\":\"F\"},"
               "\"S\":{\"Type\":\"Succeed\"},\"F\":{\"Type\":\"Fail\","
               "\"Error\":\"E\"}}}",
               express);
    sfn_create(srv, "slow", "STANDARD", PASS_MACHINE, standard);
    int status = 0;
    cJSON *out =
        sfn_call(srv, "StartSyncExecution", &status,
                 "{\"stateMachineArn\":\"%s\",\"input\":\"{}\"}", express);
    cr_assert_eq(status, 200, "%s", sfn_test_str(out, "message"));
    cr_assert_str_eq(sfn_test_str(out, "status"), "SUCCEEDED");
    cr_assert_str_eq(sfn_test_str(out, "output"), "{\"done\":true}");
    cr_assert(strstr(sfn_test_str(out, "executionArn"), ":express:sync:") !=
              NULL);
    cJSON_Delete(out);

    out = sfn_call(srv, "StartSyncExecution", &status,
                   "{\"stateMachineArn\":\"%s\"}", standard);
    cr_assert_eq(status, 400);
    cr_assert_str_eq(sfn_test_str(out, "__type"),
                     "StateMachineTypeNotSupported");
    cr_assert_str_eq(sfn_test_str(out, "message"),
                     "This operation is not supported by this type of state "
                     "machine");
    cJSON_Delete(out);
    ts_free(srv);
}

Test(sfn_api, history_paging_and_reverse)
{
    stratus *srv = sfn_test_new();
    char arn[256], exec[512];
    sfn_create(srv, "h", "STANDARD", PASS_MACHINE, arn);
    sfn_start(srv, arn, "h1", "{\"k\":1}", exec);
    sfn_drain(srv);
    int status = 0;
    cJSON *page = sfn_call(srv, "GetExecutionHistory", &status,
                           "{\"executionArn\":\"%s\",\"maxResults\":2,"
                           "\"reverseOrder\":true}",
                           exec);
    cr_assert_eq(status, 200);
    const cJSON *events = cJSON_GetObjectItemCaseSensitive(page, "events");
    cr_assert_eq(cJSON_GetArraySize(events), 2);
    const cJSON *last = cJSON_GetArrayItem(events, 0);
    cr_assert_str_eq(sfn_test_str(last, "type"), "ExecutionSucceeded");
    cr_assert_eq(cJSON_GetObjectItemCaseSensitive(last, "id")->valuedouble, 4);
    cr_assert_eq(
        cJSON_GetObjectItemCaseSensitive(last, "previousEventId")->valuedouble,
        3);
    cr_assert_not_null(sfn_test_str(page, "nextToken"));
    cJSON_Delete(page);

    page = sfn_call(srv, "GetExecutionHistory", &status,
                    "{\"executionArn\":\"%s\","
                    "\"includeExecutionData\":false}",
                    exec);
    const cJSON *first =
        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(page, "events"), 0);
    const cJSON *details =
        cJSON_GetObjectItemCaseSensitive(first, "executionStartedEventDetails");
    cr_assert_not_null(details);
    cr_assert_null(cJSON_GetObjectItemCaseSensitive(details, "input"));
    cJSON_Delete(page);

    cJSON *desc = sfn_call(srv, "DescribeStateMachineForExecution", &status,
                           "{\"executionArn\":\"%s\"}", exec);
    cr_assert_eq(status, 200);
    cr_assert_str_eq(sfn_test_str(desc, "definition"), PASS_MACHINE);
    cr_assert_str_eq(sfn_test_str(desc, "stateMachineArn"), arn);
    cJSON_Delete(desc);
    ts_free(srv);
}

/* The shared API cases: sequences of calls with expected outcomes. */

static cJSON *load_case(const char *file)
{
    const char *root = ts_shared_dir();
    if (!root)
        return NULL;
    char path[1024];
    snprintf(path, sizeof path, "%s/cases/stepfunctions/%s", root, file);
    char *text = ts_read_file(path);
    cr_assert_not_null(text, "cannot read %s", path);
    cJSON *c = cJSON_Parse(text);
    free(text);
    cr_assert_not_null(c, "%s is not JSON", path);
    return c;
}

static void names_in_order(const cJSON *out, const cJSON *expected)
{
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(out, "executions");
    cr_assert_eq(cJSON_GetArraySize(list), cJSON_GetArraySize(expected));
    for (int i = 0; i < cJSON_GetArraySize(expected); i++)
        cr_assert_str_eq(sfn_test_str(cJSON_GetArrayItem(list, i), "name"),
                         cJSON_GetArrayItem(expected, i)->valuestring);
}

Test(sfn_api_cases, list_executions_newest_first)
{
    cJSON *c = load_case("list-executions-newest-first.json");
    if (!c)
        cr_skip_test("STRATUS_SHARED_DIR is not set; skipping the case");
    const cJSON *in = cJSON_GetObjectItemCaseSensitive(c, "input");
    const cJSON *sm = cJSON_GetObjectItemCaseSensitive(in, "state_machine");
    char *definition = cJSON_PrintUnformatted(
        cJSON_GetObjectItemCaseSensitive(sm, "definition"));
    stratus *srv = sfn_test_new();
    char arn[256], exec[512];
    sfn_create(srv, "list", sfn_test_str(sm, "type"), definition, arn);
    free(definition);

    const cJSON *steps = cJSON_GetObjectItemCaseSensitive(in, "steps");
    const cJSON *expected = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(c, "expected"), "steps");
    for (int i = 0; i < cJSON_GetArraySize(steps); i++) {
        const cJSON *step = cJSON_GetArrayItem(steps, i);
        const cJSON *want = cJSON_GetArrayItem(expected, i);
        const cJSON *params = cJSON_GetObjectItemCaseSensitive(step, "params");
        const char *op = sfn_test_str(step, "op");
        if (strcmp(op, "StartExecution") == 0) {
            sfn_start(srv, arn, sfn_test_str(params, "name"), "{}", exec);
            sfn_drain(srv);
            continue;
        }
        cJSON *body = cJSON_Duplicate(params, true);
        cJSON_AddStringToObject(body, "stateMachineArn", arn);
        char *text = cJSON_PrintUnformatted(body);
        int status = 0;
        cJSON *out =
            ts_call(srv, "AWSStepFunctions.ListExecutions", text, &status);
        cr_assert_eq(status, 200);
        names_in_order(
            out, cJSON_GetObjectItemCaseSensitive(want, "names_in_order"));
        if (cJSON_GetObjectItemCaseSensitive(want, "nextToken"))
            cr_assert_not_null(sfn_test_str(out, "nextToken"));
        const cJSON *item;
        cJSON_ArrayForEach(item,
                           cJSON_GetObjectItemCaseSensitive(out, "executions"))
        {
            const char *keys[] = {"executionArn", "stateMachineArn", "name",
                                  "status",       "startDate",       "stopDate",
                                  "redriveCount"};
            for (size_t k = 0; k < sizeof keys / sizeof *keys; k++)
                cr_assert_not_null(
                    cJSON_GetObjectItemCaseSensitive(item, keys[k]),
                    "missing %s", keys[k]);
        }
        cJSON_Delete(out);
        free(text);
        cJSON_Delete(body);
    }
    ts_free(srv);
    cJSON_Delete(c);
}

Test(sfn_api_cases, nonexistent_arn_error_codes)
{
    cJSON *c = load_case("nonexistent-arn-error-codes.json");
    if (!c)
        cr_skip_test("STRATUS_SHARED_DIR is not set; skipping the case");
    stratus *srv = sfn_test_new();
    const cJSON *steps = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(c, "input"), "steps");
    const cJSON *expected = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(c, "expected"), "steps");
    for (int i = 0; i < cJSON_GetArraySize(steps); i++) {
        const cJSON *step = cJSON_GetArrayItem(steps, i);
        const cJSON *error = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetArrayItem(expected, i), "error");
        char *body = cJSON_PrintUnformatted(
            cJSON_GetObjectItemCaseSensitive(step, "params"));
        char target[128];
        snprintf(target, sizeof target, "AWSStepFunctions.%s",
                 sfn_test_str(step, "op"));
        int status = 0;
        cJSON *out = ts_call(srv, target, body, &status);
        cr_assert_eq(status,
                     (int)cJSON_GetObjectItemCaseSensitive(error, "http_status")
                         ->valuedouble,
                     "step %d", i);
        cr_assert_str_eq(sfn_test_str(out, "__type"),
                         sfn_test_str(error, "code"), "step %d", i);
        cJSON_Delete(out);
        free(body);
    }
    ts_free(srv);
    cJSON_Delete(c);
}

Test(sfn_api_cases, start_execution_idempotency_standard)
{
    cJSON *c = load_case("start-execution-idempotency-standard.json");
    if (!c)
        cr_skip_test("STRATUS_SHARED_DIR is not set; skipping the case");
    const cJSON *in = cJSON_GetObjectItemCaseSensitive(c, "input");
    const cJSON *sm = cJSON_GetObjectItemCaseSensitive(in, "state_machine");
    char *definition = cJSON_PrintUnformatted(
        cJSON_GetObjectItemCaseSensitive(sm, "definition"));
    stratus *srv = sfn_test_new();
    char arn[256];
    sfn_create(srv, "idem", sfn_test_str(sm, "type"), definition, arn);
    free(definition);

    const cJSON *steps = cJSON_GetObjectItemCaseSensitive(in, "steps");
    const cJSON *expected = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(c, "expected"), "steps");
    char first_arn[512] = "";
    double first_start = 0;
    for (int i = 0; i < cJSON_GetArraySize(steps); i++) {
        const cJSON *step = cJSON_GetArrayItem(steps, i);
        const cJSON *want = cJSON_GetArrayItem(expected, i);
        cJSON *body = cJSON_Duplicate(
            cJSON_GetObjectItemCaseSensitive(step, "params"), true);
        const char *op = sfn_test_str(step, "op");
        if (strcmp(op, "StopExecution") == 0) {
            cJSON_ReplaceItemInObjectCaseSensitive(
                body, "executionArn", cJSON_CreateString(first_arn));
        } else {
            cJSON_AddStringToObject(body, "stateMachineArn", arn);
        }
        char *text = cJSON_PrintUnformatted(body);
        char target[128];
        snprintf(target, sizeof target, "AWSStepFunctions.%s", op);
        int status = 0;
        cJSON *out = ts_call(srv, target, text, &status);
        sfn_drain(srv);
        const cJSON *error = cJSON_GetObjectItemCaseSensitive(want, "error");
        if (error) {
            cr_assert_eq(status, 400, "step %d", i);
            cr_assert_str_eq(sfn_test_str(out, "__type"),
                             sfn_test_str(error, "code"), "step %d", i);
        } else {
            cr_assert_eq(status, 200, "step %d: %s", i,
                         sfn_test_str(out, "message"));
        }
        if (i == 0) {
            snprintf(first_arn, sizeof first_arn, "%s",
                     sfn_test_str(out, "executionArn"));
            first_start =
                cJSON_GetObjectItemCaseSensitive(out, "startDate")->valuedouble;
        }
        if (cJSON_GetObjectItemCaseSensitive(want, "same_as_step")) {
            cr_assert_str_eq(sfn_test_str(out, "executionArn"), first_arn);
            cr_assert_eq(
                cJSON_GetObjectItemCaseSensitive(out, "startDate")->valuedouble,
                first_start);
        }
        cJSON_Delete(out);
        free(text);
        cJSON_Delete(body);
    }
    ts_free(srv);
    cJSON_Delete(c);
}

Test(sfn_api, start_rejects_input_over_256_kib)
{
    stratus *srv = sfn_test_new();
    char arn[256];
    sfn_create(srv, "big", "STANDARD", PASS_MACHINE, arn);

    /* {"k":"xxx..."} as an escaped JSON string inside the request. */
    size_t filler = 262144;
    char *body = malloc(filler + 512);
    int n = snprintf(body, 512,
                     "{\"stateMachineArn\":\"%s\",\"input\":\"{\\\"k\\\":\\\"",
                     arn);
    memset(body + n, 'x', filler);
    strcpy(body + n + filler, "\\\"}\"}");
    int status = 0;
    cJSON *out = ts_call(srv, "AWSStepFunctions.StartExecution", body, &status);
    cr_assert_eq(status, 400);
    cr_assert_str_eq(sfn_test_str(out, "__type"), "ValidationException");
    cr_assert_str_eq(sfn_test_str(out, "message"),
                     "1 validation error detected: Value at 'input' failed "
                     "to satisfy constraint: Member must have length less "
                     "than or equal to 262144");
    cJSON_Delete(out);
    free(body);
    ts_free(srv);
}
