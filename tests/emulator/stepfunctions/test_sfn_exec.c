/*
 * test_sfn_exec.c: the durable interpreter through the real dispatcher:
 * every state type, Retry back-off on the virtual clock, Catch, timeouts,
 * Task states through the test task service, resuming after a restart,
 * the stack resource type and the shared execution cases.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "sfn_test_util.h"
#include "jobs.h"
#include "stack.h"
#include "ts.h"

/* Create a machine from `definition`, run it on `input` until nothing is
 * due, and return DescribeExecution. */
static cJSON *run_machine(stratus *srv, const char *definition,
                          const char *input, char exec[512])
{
    char arn[256];
    static int serial;
    char name[32];
    snprintf(name, sizeof name, "m%d", ++serial);
    sfn_create(srv, name, "STANDARD", definition, arn);
    sfn_start(srv, arn, "run", input, exec);
    sfn_drain(srv);
    return sfn_describe(srv, exec);
}

static void assert_output(const cJSON *desc, const char *expected_json)
{
    cr_assert_str_eq(sfn_test_str(desc, "status"), "SUCCEEDED", "%s: %s",
                     sfn_test_str(desc, "error"), sfn_test_str(desc, "cause"));
    cJSON *got = cJSON_Parse(sfn_test_str(desc, "output"));
    cJSON *want = cJSON_Parse(expected_json);
    cr_assert(sfn_json_equal(got, want), "output %s, expected %s",
              sfn_test_str(desc, "output"), expected_json);
    cJSON_Delete(got);
    cJSON_Delete(want);
}

static void assert_history(stratus *srv, const char *exec, const char *expected)
{
    char *types = sfn_history_types(srv, exec);
    cr_assert_str_eq(types, expected);
    free(types);
}

Test(sfn_exec, pass_chain_history)
{
    stratus *srv = sfn_test_new();
    char exec[512];
    cJSON *d = run_machine(
        srv,
        "{\"StartAt\":\"A\",\"States\":{"
        "\"A\":{\"Type\":\"Pass\",\"Result\":1,\"ResultPath\":\"$.a\","
        "\"Next\":\"B\"},"
        "\"B\":{\"Type\":\"Pass\",\"Parameters\":{\"sum.$\":"
        "\"States.MathAdd($.a, 2)\",\"id.$\":\"$$.Execution.Name\"},"
        "\"End\":true}}}",
        "{\"x\":0}", exec);
    assert_output(d, "{\"sum\":3,\"id\":\"run\"}");
    cJSON_Delete(d);
    assert_history(srv, exec,
                   "ExecutionStarted PassStateEntered PassStateExited "
                   "PassStateEntered PassStateExited ExecutionSucceeded");

    int status = 0;
    cJSON *h = sfn_call(srv, "GetExecutionHistory", &status,
                        "{\"executionArn\":\"%s\"}", exec);
    const cJSON *events = cJSON_GetObjectItemCaseSensitive(h, "events");
    const cJSON *entered = cJSON_GetArrayItem(events, 1);
    cr_assert_eq(cJSON_GetObjectItemCaseSensitive(entered, "previousEventId")
                     ->valuedouble,
                 0);
    const cJSON *details =
        cJSON_GetObjectItemCaseSensitive(entered, "stateEnteredEventDetails");
    cr_assert_str_eq(sfn_test_str(details, "name"), "A");
    cr_assert_str_eq(sfn_test_str(details, "input"), "{\"x\":0}");
    cJSON_Delete(h);
    ts_free(srv);
}

Test(sfn_exec, choice_routes_and_defaults)
{
    const char *machine =
        "{\"StartAt\":\"C\",\"States\":{"
        "\"C\":{\"Type\":\"Choice\",\"Choices\":[{\"Variable\":\"$.n\","
        "\"NumericGreaterThan\":10,\"Next\":\"Big\"}],\"Default\":\"Small\"},"
        "\"Big\":{\"Type\":\"Pass\",\"Result\":\"big\",\"End\":true},"
        "\"Small\":{\"Type\":\"Succeed\"}}}";
    stratus *srv = sfn_test_new();
    char exec[512];
    cJSON *d = run_machine(srv, machine, "{\"n\":11}", exec);
    assert_output(d, "\"big\"");
    cJSON_Delete(d);
    d = run_machine(srv, machine, "{\"n\":1}", exec);
    assert_output(d, "{\"n\":1}");
    cJSON_Delete(d);
    assert_history(srv, exec,
                   "ExecutionStarted ChoiceStateEntered ChoiceStateExited "
                   "SucceedStateEntered SucceedStateExited "
                   "ExecutionSucceeded");
    ts_free(srv);
}

Test(sfn_exec, wait_hour_costs_no_wall_time)
{
    stratus *srv = sfn_test_new();
    char exec[512];
    cJSON *d = run_machine(srv,
                           "{\"StartAt\":\"W\",\"States\":{\"W\":{\"Type\":"
                           "\"Wait\",\"Seconds\":3600,\"End\":true}}}",
                           "{}", exec);
    cr_assert_str_eq(sfn_test_str(d, "status"), "RUNNING");
    cJSON_Delete(d);
    sfn_advance(srv, 3599 * 1000);
    d = sfn_describe(srv, exec);
    cr_assert_str_eq(sfn_test_str(d, "status"), "RUNNING");
    cJSON_Delete(d);
    sfn_advance(srv, 1000);
    d = sfn_describe(srv, exec);
    assert_output(d, "{}");
    cJSON_Delete(d);
    assert_history(srv, exec,
                   "ExecutionStarted WaitStateEntered WaitStateExited "
                   "ExecutionSucceeded");
    ts_free(srv);
}

Test(sfn_exec, wait_paths_and_timestamp)
{
    stratus *srv = sfn_test_new();
    char exec[512];
    cJSON *d = run_machine(
        srv,
        "{\"StartAt\":\"S\",\"States\":{"
        "\"S\":{\"Type\":\"Wait\",\"SecondsPath\":\"$.s\",\"Next\":\"T\"},"
        "\"T\":{\"Type\":\"Wait\",\"TimestampPath\":\"$.t\",\"Next\":\"U\"},"
        "\"U\":{\"Type\":\"Wait\",\"Timestamp\":\"2000-01-01T00:00:00Z\","
        "\"End\":true}}}",
        "{\"s\":10,\"t\":\"2001-01-01T00:00:00Z\"}", exec);
    cr_assert_str_eq(sfn_test_str(d, "status"), "RUNNING");
    cJSON_Delete(d);
    sfn_advance(srv, 10 * 1000);
    d = sfn_describe(srv, exec);
    cr_assert_str_eq(sfn_test_str(d, "status"), "SUCCEEDED");
    cJSON_Delete(d);

    d = run_machine(srv,
                    "{\"StartAt\":\"S\",\"States\":{\"S\":{\"Type\":\"Wait\","
                    "\"SecondsPath\":\"$.s\",\"End\":true}}}",
                    "{\"s\":\"x\"}", exec);
    cr_assert_str_eq(sfn_test_str(d, "status"), "FAILED");
    cr_assert_str_eq(sfn_test_str(d, "error"), "States.Runtime");
    cJSON_Delete(d);
    ts_free(srv);
}

Test(sfn_exec, fail_state_paths)
{
    stratus *srv = sfn_test_new();
    char exec[512];
    cJSON *d = run_machine(srv,
                           "{\"StartAt\":\"F\",\"States\":{\"F\":{\"Type\":"
                           "\"Fail\",\"ErrorPath\":\"$.e\",\"CausePath\":"
                           "\"States.Format('bad {}', $.c)\"}}}",
                           "{\"e\":\"My.Error\",\"c\":\"thing\"}", exec);
    cr_assert_str_eq(sfn_test_str(d, "status"), "FAILED");
    cr_assert_str_eq(sfn_test_str(d, "error"), "My.Error");
    cr_assert_str_eq(sfn_test_str(d, "cause"), "bad thing");
    cJSON_Delete(d);
    assert_history(srv, exec,
                   "ExecutionStarted FailStateEntered ExecutionFailed");
    ts_free(srv);
}

Test(sfn_exec, task_dataflow_and_events)
{
    stratus *srv = sfn_test_new();
    char exec[512];
    cJSON *d =
        run_machine(srv,
                    "{\"StartAt\":\"T\",\"States\":{\"T\":{\"Type\":\"Task\","
                    "\"Resource\":\"" SFN_TEST_RESOURCE "echo\","
                    "\"Parameters\":{\"Payload\":{\"v.$\":\"$.v\"}},"
                    "\"ResultSelector\":{\"got.$\":\"$.Payload.v\"},"
                    "\"ResultPath\":\"$.r\",\"End\":true}}}",
                    "{\"v\":7}", exec);
    assert_output(d, "{\"v\":7,\"r\":{\"got\":7}}");
    cJSON_Delete(d);
    assert_history(srv, exec,
                   "ExecutionStarted TaskStateEntered TaskScheduled "
                   "TaskStarted TaskSucceeded TaskStateExited "
                   "ExecutionSucceeded");

    int status = 0;
    cJSON *h = sfn_call(srv, "GetExecutionHistory", &status,
                        "{\"executionArn\":\"%s\"}", exec);
    const cJSON *scheduled =
        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(h, "events"), 2);
    const cJSON *details = cJSON_GetObjectItemCaseSensitive(
        scheduled, "taskScheduledEventDetails");
    cr_assert_str_eq(sfn_test_str(details, "resourceType"), "stratus-test");
    cr_assert_str_eq(sfn_test_str(details, "resource"), "echo");
    cr_assert_str_eq(sfn_test_str(details, "region"), "us-east-1");
    cr_assert_str_eq(sfn_test_str(details, "parameters"),
                     "{\"Payload\":{\"v\":7}}");
    cJSON_Delete(h);
    ts_free(srv);
}

Test(sfn_exec, task_completes_later)
{
    stratus *srv = sfn_test_new();
    char exec[512];
    cJSON *d = run_machine(srv,
                           "{\"StartAt\":\"T\",\"States\":{\"T\":{\"Type\":"
                           "\"Task\",\"Resource\":\"" SFN_TEST_RESOURCE
                           "defer\",\"End\":true}}}",
                           "{}", exec);
    cr_assert_str_eq(sfn_test_str(d, "status"), "RUNNING");
    cJSON_Delete(d);
    cJSON *result = cJSON_Parse("{\"late\":true}");
    sfn_test_complete(srv, result, NULL, NULL);
    cJSON_Delete(result);
    sfn_drain(srv);
    d = sfn_describe(srv, exec);
    assert_output(d, "{\"late\":true}");
    cJSON_Delete(d);
    ts_free(srv);
}

Test(sfn_exec, retry_backoff_on_virtual_clock)
{
    stratus *srv = sfn_test_new();
    char exec[512];
    cJSON *d = run_machine(
        srv,
        "{\"StartAt\":\"T\",\"States\":{\"T\":{\"Type\":\"Task\","
        "\"Resource\":\"" SFN_TEST_RESOURCE "flaky\","
        "\"Parameters\":{\"FailTimes\":2},"
        "\"Retry\":[{\"ErrorEquals\":[\"Flaky.Error\"],"
        "\"IntervalSeconds\":2,\"BackoffRate\":2,\"MaxAttempts\":3}],"
        "\"End\":true}}}",
        "{}", exec);
    cr_assert_str_eq(sfn_test_str(d, "status"), "RUNNING");
    cr_assert_eq(sfn_test_calls, 1);
    cJSON_Delete(d);
    sfn_advance(srv, 1999);
    cr_assert_eq(sfn_test_calls, 1);
    sfn_advance(srv, 1);
    cr_assert_eq(sfn_test_calls, 2);
    sfn_advance(srv, 3999);
    cr_assert_eq(sfn_test_calls, 2);
    sfn_advance(srv, 1);
    cr_assert_eq(sfn_test_calls, 3);
    d = sfn_describe(srv, exec);
    assert_output(d, "{\"FailTimes\":2}");
    cJSON_Delete(d);
    assert_history(srv, exec,
                   "ExecutionStarted TaskStateEntered TaskScheduled "
                   "TaskStarted TaskFailed TaskScheduled TaskStarted "
                   "TaskFailed TaskScheduled TaskStarted TaskSucceeded "
                   "TaskStateExited ExecutionSucceeded");
    ts_free(srv);
}

Test(sfn_exec, retry_max_attempts_zero_and_max_delay)
{
    stratus *srv = sfn_test_new();
    char exec[512];
    cJSON *d = run_machine(
        srv,
        "{\"StartAt\":\"T\",\"States\":{\"T\":{\"Type\":\"Task\","
        "\"Resource\":\"" SFN_TEST_RESOURCE "flaky\","
        "\"Parameters\":{\"FailTimes\":5},"
        "\"Retry\":[{\"ErrorEquals\":[\"Flaky.Error\"],\"MaxAttempts\":0},"
        "{\"ErrorEquals\":[\"States.ALL\"],\"MaxAttempts\":5}],"
        "\"End\":true}}}",
        "{}", exec);
    /* The first matching retrier decides, and it allows no retry. */
    cr_assert_str_eq(sfn_test_str(d, "status"), "FAILED");
    cr_assert_str_eq(sfn_test_str(d, "error"), "Flaky.Error");
    cr_assert_eq(sfn_test_calls, 1);
    cJSON_Delete(d);

    sfn_test_calls = 0;
    d = run_machine(
        srv,
        "{\"StartAt\":\"T\",\"States\":{\"T\":{\"Type\":\"Task\","
        "\"Resource\":\"" SFN_TEST_RESOURCE "flaky\","
        "\"Parameters\":{\"FailTimes\":2},"
        "\"Retry\":[{\"ErrorEquals\":[\"States.ALL\"],\"IntervalSeconds\":10,"
        "\"BackoffRate\":10,\"MaxDelaySeconds\":15,"
        "\"JitterStrategy\":\"NONE\"}],\"End\":true}}}",
        "{}", exec);
    cJSON_Delete(d);
    sfn_advance(srv, 10 * 1000);
    cr_assert_eq(sfn_test_calls, 2);
    /* 10 * 10 = 100 s, capped at 15 s. */
    sfn_advance(srv, 15 * 1000);
    cr_assert_eq(sfn_test_calls, 3);
    d = sfn_describe(srv, exec);
    cr_assert_str_eq(sfn_test_str(d, "status"), "SUCCEEDED");
    cJSON_Delete(d);
    ts_free(srv);
}

Test(sfn_exec, retry_full_jitter_stays_below_delay)
{
    stratus *srv = sfn_test_new();
    char exec[512];
    cJSON *d = run_machine(
        srv,
        "{\"StartAt\":\"T\",\"States\":{\"T\":{\"Type\":\"Task\","
        "\"Resource\":\"" SFN_TEST_RESOURCE "flaky\","
        "\"Parameters\":{\"FailTimes\":1},"
        "\"Retry\":[{\"ErrorEquals\":[\"States.ALL\"],\"IntervalSeconds\":8,"
        "\"JitterStrategy\":\"FULL\"}],\"End\":true}}}",
        "{}", exec);
    cJSON_Delete(d);
    sfn_advance(srv, 8 * 1000);
    cr_assert_eq(sfn_test_calls, 2);
    ts_free(srv);
}

Test(sfn_exec, catch_result_path_and_runtime_not_caught)
{
    stratus *srv = sfn_test_new();
    char exec[512];
    cJSON *d = run_machine(
        srv,
        "{\"StartAt\":\"T\",\"States\":{\"T\":{\"Type\":\"Task\","
        "\"Resource\":\"" SFN_TEST_RESOURCE "fail\","
        "\"Parameters\":{\"Error\":\"Boom\",\"Cause\":\"why\"},"
        "\"Catch\":[{\"ErrorEquals\":[\"States.ALL\"],\"ResultPath\":"
        "\"$.err\",\"Next\":\"H\"}],\"End\":true},"
        "\"H\":{\"Type\":\"Pass\",\"End\":true}}}",
        "{\"k\":1}", exec);
    assert_output(d,
                  "{\"k\":1,\"err\":{\"Error\":\"Boom\",\"Cause\":\"why\"}}");
    cJSON_Delete(d);
    assert_history(srv, exec,
                   "ExecutionStarted TaskStateEntered TaskScheduled "
                   "TaskStarted TaskFailed TaskStateExited PassStateEntered "
                   "PassStateExited ExecutionSucceeded");

    d = run_machine(
        srv,
        "{\"StartAt\":\"T\",\"States\":{\"T\":{\"Type\":\"Task\","
        "\"Resource\":\"" SFN_TEST_RESOURCE "echo\","
        "\"Parameters\":{\"x.$\":\"$.missing\"},"
        "\"Catch\":[{\"ErrorEquals\":[\"States.ALL\"],\"Next\":\"H\"}],"
        "\"End\":true},\"H\":{\"Type\":\"Pass\",\"End\":true}}}",
        "{}", exec);
    cr_assert_str_eq(sfn_test_str(d, "status"), "FAILED");
    cr_assert_str_eq(sfn_test_str(d, "error"), "States.Runtime");
    cr_assert_str_eq(sfn_test_str(d, "cause"),
                     "An error occurred while executing the state 'T' "
                     "(entered at the event id #2). The JSONPath '$.missing' "
                     "specified for the field 'x.$' could not be found in "
                     "the input '{}'");
    cJSON_Delete(d);
    ts_free(srv);
}

Test(sfn_exec, task_timeout_is_caught)
{
    stratus *srv = sfn_test_new();
    char exec[512];
    cJSON *d = run_machine(
        srv,
        "{\"StartAt\":\"T\",\"States\":{\"T\":{\"Type\":\"Task\","
        "\"Resource\":\"" SFN_TEST_RESOURCE "never\",\"TimeoutSeconds\":5,"
        "\"Catch\":[{\"ErrorEquals\":[\"States.Timeout\"],\"Next\":\"H\"}],"
        "\"End\":true},\"H\":{\"Type\":\"Pass\",\"End\":true}}}",
        "{}", exec);
    cr_assert_str_eq(sfn_test_str(d, "status"), "RUNNING");
    cJSON_Delete(d);
    sfn_advance(srv, 5000);
    d = sfn_describe(srv, exec);
    assert_output(d, "{\"Error\":\"States.Timeout\",\"Cause\":\"\"}");
    cJSON_Delete(d);
    assert_history(srv, exec,
                   "ExecutionStarted TaskStateEntered TaskScheduled "
                   "TaskStarted TaskTimedOut TaskStateExited "
                   "PassStateEntered PassStateExited ExecutionSucceeded");
    /* A late report after the timeout changes nothing. */
    cJSON *late = cJSON_CreateObject();
    sfn_test_complete(srv, late, NULL, NULL);
    cJSON_Delete(late);
    sfn_drain(srv);
    d = sfn_describe(srv, exec);
    cr_assert_str_eq(sfn_test_str(d, "status"), "SUCCEEDED");
    cJSON_Delete(d);
    ts_free(srv);
}

Test(sfn_exec, heartbeat_and_execution_timeouts)
{
    stratus *srv = sfn_test_new();
    char exec[512];
    cJSON *d = run_machine(
        srv,
        "{\"StartAt\":\"T\",\"States\":{\"T\":{\"Type\":\"Task\","
        "\"Resource\":\"" SFN_TEST_RESOURCE "never\",\"HeartbeatSeconds\":3,"
        "\"End\":true}}}",
        "{}", exec);
    cJSON_Delete(d);
    sfn_advance(srv, 3000);
    d = sfn_describe(srv, exec);
    cr_assert_str_eq(sfn_test_str(d, "status"), "FAILED");
    cr_assert_str_eq(sfn_test_str(d, "error"), "States.HeartbeatTimeout");
    cJSON_Delete(d);
    sfn_test_complete(srv, NULL, "ignored", NULL);

    d = run_machine(srv,
                    "{\"TimeoutSeconds\":60,\"StartAt\":\"W\",\"States\":{"
                    "\"W\":{\"Type\":\"Wait\",\"Seconds\":600,\"End\":true}}}",
                    "{}", exec);
    cJSON_Delete(d);
    sfn_advance(srv, 60 * 1000);
    d = sfn_describe(srv, exec);
    cr_assert_str_eq(sfn_test_str(d, "status"), "TIMED_OUT");
    cJSON_Delete(d);
    assert_history(srv, exec,
                   "ExecutionStarted WaitStateEntered ExecutionTimedOut");
    ts_free(srv);
}

Test(sfn_exec, parallel_branch_order_and_failure)
{
    stratus *srv = sfn_test_new();
    char exec[512];
    cJSON *d = run_machine(
        srv,
        "{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Parallel\","
        "\"Branches\":["
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Wait\","
        "\"Seconds\":5,\"Next\":\"A2\"},\"A2\":{\"Type\":\"Pass\","
        "\"Result\":\"a\",\"End\":true}}},"
        "{\"StartAt\":\"B\",\"States\":{\"B\":{\"Type\":\"Pass\","
        "\"Result\":\"b\",\"End\":true}}}],"
        "\"ResultPath\":\"$.out\",\"End\":true}}}",
        "{\"k\":0}", exec);
    cr_assert_str_eq(sfn_test_str(d, "status"), "RUNNING");
    cJSON_Delete(d);
    sfn_advance(srv, 5000);
    d = sfn_describe(srv, exec);
    assert_output(d, "{\"k\":0,\"out\":[\"a\",\"b\"]}");
    cJSON_Delete(d);
    ts_free(srv);
}

Test(sfn_exec, map_concurrency_and_selector)
{
    stratus *srv = sfn_test_new();
    char exec[512];
    cJSON *d = run_machine(
        srv,
        "{\"StartAt\":\"M\",\"States\":{\"M\":{\"Type\":\"Map\","
        "\"ItemsPath\":\"$.items\",\"MaxConcurrency\":1,"
        "\"ItemSelector\":{\"v.$\":\"$$.Map.Item.Value\","
        "\"i.$\":\"$$.Map.Item.Index\",\"tag.$\":\"$.tag\"},"
        "\"ItemProcessor\":{\"ProcessorConfig\":{\"Mode\":\"INLINE\"},"
        "\"StartAt\":\"W\",\"States\":{\"W\":{\"Type\":\"Wait\","
        "\"Seconds\":10,\"End\":true}}},\"End\":true}}}",
        "{\"items\":[\"x\",\"y\"],\"tag\":\"t\"}", exec);
    cr_assert_str_eq(sfn_test_str(d, "status"), "RUNNING");
    cJSON_Delete(d);
    /* One at a time: 10 s per iteration. */
    sfn_advance(srv, 10 * 1000);
    d = sfn_describe(srv, exec);
    cr_assert_str_eq(sfn_test_str(d, "status"), "RUNNING");
    cJSON_Delete(d);
    sfn_advance(srv, 10 * 1000);
    d = sfn_describe(srv, exec);
    assert_output(d, "[{\"v\":\"x\",\"i\":0,\"tag\":\"t\"},"
                     "{\"v\":\"y\",\"i\":1,\"tag\":\"t\"}]");
    cJSON_Delete(d);
    assert_history(srv, exec,
                   "ExecutionStarted MapStateEntered MapStateStarted "
                   "MapIterationStarted WaitStateEntered WaitStateExited "
                   "MapIterationSucceeded MapIterationStarted "
                   "WaitStateEntered WaitStateExited MapIterationSucceeded "
                   "MapStateSucceeded MapStateExited ExecutionSucceeded");
    ts_free(srv);
}

Test(sfn_exec, map_empty_and_retry)
{
    stratus *srv = sfn_test_new();
    char exec[512];
    cJSON *d = run_machine(
        srv,
        "{\"StartAt\":\"M\",\"States\":{\"M\":{\"Type\":\"Map\","
        "\"ItemProcessor\":{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":"
        "\"Pass\",\"End\":true}}},\"End\":true}}}",
        "[]", exec);
    assert_output(d, "[]");
    cJSON_Delete(d);

    d = run_machine(
        srv,
        "{\"StartAt\":\"M\",\"States\":{\"M\":{\"Type\":\"Map\","
        "\"Retry\":[{\"ErrorEquals\":[\"States.ALL\"],\"MaxAttempts\":1,"
        "\"IntervalSeconds\":1}],"
        "\"ItemProcessor\":{\"StartAt\":\"F\",\"States\":{\"F\":{\"Type\":"
        "\"Fail\",\"Error\":\"E\"}}},\"End\":true}}}",
        "[1]", exec);
    cJSON_Delete(d);
    sfn_advance(srv, 1000);
    d = sfn_describe(srv, exec);
    cr_assert_str_eq(sfn_test_str(d, "status"), "FAILED");
    cr_assert_str_eq(sfn_test_str(d, "error"), "E");
    cJSON_Delete(d);
    assert_history(srv, exec,
                   "ExecutionStarted MapStateEntered MapStateStarted "
                   "MapIterationStarted FailStateEntered MapIterationFailed "
                   "MapStateStarted MapIterationStarted FailStateEntered "
                   "MapIterationFailed MapStateFailed ExecutionFailed");
    ts_free(srv);
}

/* The token a callback task received, from its TaskSubmitted event (the
 * echo task returns its parameters). The caller frees it. */
static char *submitted_token(stratus *srv, const char *exec)
{
    int status = 0;
    cJSON *h = sfn_call(srv, "GetExecutionHistory", &status,
                        "{\"executionArn\":\"%s\"}", exec);
    char *token = NULL;
    const cJSON *ev;
    cJSON_ArrayForEach(ev, cJSON_GetObjectItemCaseSensitive(h, "events"))
    {
        const cJSON *d =
            cJSON_GetObjectItemCaseSensitive(ev, "taskSubmittedEventDetails");
        if (!d)
            continue;
        cJSON *output = cJSON_Parse(sfn_test_str(d, "output"));
        token = strdup(sfn_test_str(output, "token"));
        cJSON_Delete(output);
    }
    cJSON_Delete(h);
    cr_assert_not_null(token, "no TaskSubmitted event");
    return token;
}

#define CALLBACK_MACHINE(heartbeat)                                            \
    "{\"StartAt\":\"T\",\"States\":{\"T\":{\"Type\":\"Task\","                 \
    "\"Resource\":\"" SFN_TEST_RESOURCE "echo.waitForTaskToken\","             \
    "\"Parameters\":{\"token.$\":\"$$.Task.Token\"},"                          \
    "\"HeartbeatSeconds\":" #heartbeat ",\"End\":true}}}"

Test(sfn_exec, callback_token_success_and_heartbeat)
{
    stratus *srv = sfn_test_new();
    char exec[512];
    cJSON *d = run_machine(srv, CALLBACK_MACHINE(10), "{}", exec);
    cr_assert_str_eq(sfn_test_str(d, "status"), "RUNNING");
    cJSON_Delete(d);
    char *token = submitted_token(srv, exec);

    sfn_advance(srv, 8000);
    int status = 0;
    cJSON *out = sfn_call(srv, "SendTaskHeartbeat", &status,
                          "{\"taskToken\":\"%s\"}", token);
    cr_assert_eq(status, 200);
    cJSON_Delete(out);
    sfn_advance(srv, 8000);
    d = sfn_describe(srv, exec);
    cr_assert_str_eq(sfn_test_str(d, "status"), "RUNNING",
                     "the heartbeat did not extend the task");
    cJSON_Delete(d);

    out =
        sfn_call(srv, "SendTaskSuccess", &status,
                 "{\"taskToken\":\"%s\",\"output\":\"{\\\"ok\\\":1}\"}", token);
    cr_assert_eq(status, 200, "%s", sfn_test_str(out, "message"));
    cJSON_Delete(out);
    sfn_drain(srv);
    d = sfn_describe(srv, exec);
    assert_output(d, "{\"ok\":1}");
    cJSON_Delete(d);
    assert_history(srv, exec,
                   "ExecutionStarted TaskStateEntered TaskScheduled "
                   "TaskStarted TaskSubmitted TaskSucceeded TaskStateExited "
                   "ExecutionSucceeded");

    out = sfn_call(srv, "SendTaskSuccess", &status,
                   "{\"taskToken\":\"%s\",\"output\":\"{}\"}", token);
    cr_assert_eq(status, 400);
    cr_assert_str_eq(sfn_test_str(out, "__type"), "TaskTimedOut");
    cr_assert_str_eq(sfn_test_str(out, "message"),
                     "Task Timed Out: 'Provided task does not exist anymore'");
    cJSON_Delete(out);
    out = sfn_call(srv, "SendTaskSuccess", &status,
                   "{\"taskToken\":\"short\",\"output\":\"{}\"}");
    cr_assert_str_eq(sfn_test_str(out, "__type"), "InvalidToken");
    cJSON_Delete(out);
    free(token);
    ts_free(srv);
}

Test(sfn_exec, callback_failure_and_heartbeat_timeout)
{
    stratus *srv = sfn_test_new();
    char exec[512];
    cJSON *d = run_machine(srv, CALLBACK_MACHINE(10), "{}", exec);
    cJSON_Delete(d);
    char *token = submitted_token(srv, exec);
    int status = 0;
    cJSON *out =
        sfn_call(srv, "SendTaskSuccess", &status,
                 "{\"taskToken\":\"%s\",\"output\":\"not json\"}", token);
    cr_assert_str_eq(sfn_test_str(out, "__type"), "InvalidOutput");
    cJSON_Delete(out);
    out = sfn_call(srv, "SendTaskFailure", &status,
                   "{\"taskToken\":\"%s\",\"error\":\"Card.Rejected\","
                   "\"cause\":\"by a human\"}",
                   token);
    cr_assert_eq(status, 200);
    cJSON_Delete(out);
    sfn_drain(srv);
    d = sfn_describe(srv, exec);
    cr_assert_str_eq(sfn_test_str(d, "status"), "FAILED");
    cr_assert_str_eq(sfn_test_str(d, "error"), "Card.Rejected");
    cr_assert_str_eq(sfn_test_str(d, "cause"), "by a human");
    cJSON_Delete(d);
    free(token);

    d = run_machine(srv, CALLBACK_MACHINE(10), "{}", exec);
    cJSON_Delete(d);
    sfn_advance(srv, 10000);
    d = sfn_describe(srv, exec);
    cr_assert_str_eq(sfn_test_str(d, "status"), "FAILED");
    cr_assert_str_eq(sfn_test_str(d, "error"), "States.HeartbeatTimeout");
    cJSON_Delete(d);
    ts_free(srv);
}

/* A crash mid-execution: the instance closes during a Wait, and a new one
 * on the same database file resumes with a continuous history. */
Test(sfn_exec, resumes_after_restart)
{
    char dir[] = "/tmp/sfn-restart-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    stratus_config cfg;
    config_defaults(&cfg);
    cfg.in_memory = 0;
    cfg.virtual_clock = 1;
    snprintf(cfg.data_dir, sizeof cfg.data_dir, "%s", dir);
    char errbuf[256];
    stratus *srv = NULL;
    cr_assert_eq(stratus_create(&srv, &cfg, errbuf, sizeof errbuf), 0, "%s",
                 errbuf);
    char arn[256], exec[512];
    sfn_create(srv, "durable", "STANDARD",
               "{\"StartAt\":\"A\",\"States\":{"
               "\"A\":{\"Type\":\"Pass\",\"Result\":1,\"ResultPath\":\"$.a\","
               "\"Next\":\"W\"},"
               "\"W\":{\"Type\":\"Wait\",\"Seconds\":3600,\"Next\":\"B\"},"
               "\"B\":{\"Type\":\"Pass\",\"End\":true}}}",
               arn);
    sfn_start(srv, arn, "e1", "{\"k\":2}", exec);
    sfn_drain(srv);
    stratus_destroy(srv);

    srv = NULL;
    cr_assert_eq(stratus_create(&srv, &cfg, errbuf, sizeof errbuf), 0, "%s",
                 errbuf);
    cJSON *d = sfn_describe(srv, exec);
    cr_assert_str_eq(sfn_test_str(d, "status"), "RUNNING");
    cJSON_Delete(d);
    sfn_advance(srv, 3600 * 1000);
    d = sfn_describe(srv, exec);
    assert_output(d, "{\"k\":2,\"a\":1}");
    cJSON_Delete(d);
    assert_history(srv, exec,
                   "ExecutionStarted PassStateEntered PassStateExited "
                   "WaitStateEntered WaitStateExited PassStateEntered "
                   "PassStateExited ExecutionSucceeded");
    stratus_destroy(srv);

    char path[512];
    const char *files[] = {"stratus.db", "stratus.db-wal", "stratus.db-shm"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        unlink(path);
    }
    rmdir(dir);
}

/* A Task waiting for its result when the instance stops is dispatched
 * again after the restart, and the lost dispatch's late report is ignored. */
Test(sfn_exec, task_dispatched_again_after_restart)
{
    char dir[] = "/tmp/sfn-restart-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    stratus_config cfg;
    config_defaults(&cfg);
    cfg.in_memory = 0;
    cfg.virtual_clock = 1;
    snprintf(cfg.data_dir, sizeof cfg.data_dir, "%s", dir);
    char errbuf[256];
    stratus *srv = NULL;
    cr_assert_eq(stratus_create(&srv, &cfg, errbuf, sizeof errbuf), 0, "%s",
                 errbuf);
    sfn_test_calls = 0;
    sfn_task_register(srv, SFN_TEST_RESOURCE, sfn_test_task);
    char arn[256], exec[512];
    sfn_create(srv, "inflight", "STANDARD",
               "{\"StartAt\":\"T\",\"States\":{\"T\":{\"Type\":\"Task\","
               "\"Resource\":\"" SFN_TEST_RESOURCE "defer\",\"End\":true}}}",
               arn);
    sfn_start(srv, arn, "e1", "{}", exec);
    sfn_drain(srv);
    cr_assert_eq(sfn_test_calls, 1);
    sfn_task_done lost_done = sfn_test_pending_done;
    void *lost_arg = sfn_test_pending_arg;
    stratus_destroy(srv);

    srv = NULL;
    cr_assert_eq(stratus_create(&srv, &cfg, errbuf, sizeof errbuf), 0, "%s",
                 errbuf);
    sfn_task_register(srv, SFN_TEST_RESOURCE, sfn_test_task);
    sfn_drain(srv);
    cr_assert_eq(sfn_test_calls, 2, "the task was not dispatched again");

    cJSON *stale = cJSON_Parse("{\"stale\":true}");
    lost_done(srv, lost_arg, stale, NULL, NULL);
    cJSON_Delete(stale);
    stratus_turn_end(srv);
    sfn_drain(srv);
    cJSON *d = sfn_describe(srv, exec);
    cr_assert_str_eq(sfn_test_str(d, "status"), "RUNNING");
    cJSON_Delete(d);

    cJSON *fresh = cJSON_Parse("{\"fresh\":true}");
    sfn_test_complete(srv, fresh, NULL, NULL);
    cJSON_Delete(fresh);
    sfn_drain(srv);
    d = sfn_describe(srv, exec);
    assert_output(d, "{\"fresh\":true}");
    cJSON_Delete(d);
    assert_history(srv, exec,
                   "ExecutionStarted TaskStateEntered TaskScheduled "
                   "TaskStarted TaskScheduled TaskStarted TaskSucceeded "
                   "TaskStateExited ExecutionSucceeded");
    stratus_destroy(srv);

    char path[512];
    const char *files[] = {"stratus.db", "stratus.db-wal", "stratus.db-shm"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        unlink(path);
    }
    rmdir(dir);
}

Test(sfn_exec, stack_type_accepts_object_definition)
{
    stratus *srv = sfn_test_new();
    cJSON *props = cJSON_Parse(
        "{\"StateMachineName\":\"stacked\",\"RoleArn\":\"arn:aws:iam::1:role/"
        "r\",\"Definition\":{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":"
        "\"Pass\",\"End\":true}}}}");
    aws_error err = {0};
    store_call_begin(srv->store);
    int rc = sfn_stack_apply_state_machine(srv, SFN_TEST_ACCOUNT, "us-east-1",
                                           "Machine", props, &err);
    store_call_end(srv->store, rc == 0);
    stratus_turn_end(srv);
    cr_assert_eq(rc, 0, "%s", err.message);
    cJSON_Delete(props);

    /* Applying again with a string definition updates the machine. */
    props = cJSON_Parse("{\"StateMachineName\":\"stacked\",\"Definition\":"
                        "\"{\\\"StartAt\\\":\\\"S\\\",\\\"States\\\":{"
                        "\\\"S\\\":{\\\"Type\\\":\\\"Succeed\\\"}}}\"}");
    store_call_begin(srv->store);
    rc = sfn_stack_apply_state_machine(srv, SFN_TEST_ACCOUNT, "us-east-1",
                                       "Machine", props, &err);
    store_call_end(srv->store, rc == 0);
    stratus_turn_end(srv);
    cr_assert_eq(rc, 0, "%s", err.message);
    cJSON_Delete(props);

    int status = 0;
    cJSON *out = sfn_call(srv, "DescribeStateMachine", &status,
                          "{\"stateMachineArn\":\"arn:aws:states:us-east-1:"
                          "123456789012:stateMachine:stacked\"}");
    cr_assert_eq(status, 200);
    cr_assert(strstr(sfn_test_str(out, "definition"), "Succeed") != NULL);
    cJSON_Delete(out);
    aws_error_reset(&err);
    ts_free(srv);
}

Test(sfn_exec, stack_file_yaml_with_substitutions)
{
    char path[] = "/tmp/sfn-stack-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    static const char yaml[] =
        "Resources:\n"
        "  CardValuation:\n"
        "    Type: AWS::StepFunctions::StateMachine\n"
        "    Properties:\n"
        "      StateMachineName: valuation\n"
        "      RoleArn: arn:aws:iam::123456789012:role/sfn\n"
        "      DefinitionSubstitutions:\n"
        "        fn_arn: " SFN_TEST_RESOURCE "echo\n"
        "        count: 3\n"
        "      Definition:\n"
        "        StartAt: T\n"
        "        States:\n"
        "          T:\n"
        "            Type: Task\n"
        "            Resource: ${fn_arn}\n"
        "            Parameters:\n"
        "              label: n=${count} ${unknown}\n"
        "            End: true\n";
    cr_assert_eq(write(fd, yaml, sizeof yaml - 1), (ssize_t)(sizeof yaml - 1));
    close(fd);

    stratus *srv = sfn_test_new();
    char errbuf[512];
    int rc = stack_apply_file(srv, path, errbuf, sizeof errbuf);
    unlink(path);
    cr_assert_eq(rc, 0, "%s", errbuf);
    stratus_turn_end(srv);

    char exec[512];
    sfn_start(srv,
              "arn:aws:states:us-east-1:123456789012:stateMachine:valuation",
              "e1", "{}", exec);
    sfn_drain(srv);
    cJSON *d = sfn_describe(srv, exec);
    assert_output(d, "{\"label\":\"n=3 ${unknown}\"}");
    cJSON_Delete(d);
    ts_free(srv);
}

Test(sfn_exec, internal_start_for_other_services)
{
    stratus *srv = sfn_test_new();
    char arn[256], exec[512];
    sfn_create(srv, "target", "STANDARD",
               "{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\","
               "\"End\":true}}}",
               arn);
    aws_error err = {0};
    store_call_begin(srv->store);
    int rc =
        sfn_execution_start(srv, SFN_TEST_ACCOUNT, "us-east-1", arn, NULL,
                            "{\"from\":\"rule\"}", exec, sizeof exec, &err);
    store_call_end(srv->store, rc == 0);
    stratus_turn_end(srv);
    cr_assert_eq(rc, 0, "%s", err.message);
    sfn_drain(srv);
    cJSON *d = sfn_describe(srv, exec);
    assert_output(d, "{\"from\":\"rule\"}");
    cJSON_Delete(d);

    store_call_begin(srv->store);
    rc = sfn_execution_start(srv, SFN_TEST_ACCOUNT, "us-east-1",
                             "arn:aws:states:us-east-1:123456789012:"
                             "stateMachine:absent",
                             NULL, NULL, exec, sizeof exec, &err);
    store_call_end(srv->store, rc == 0);
    cr_assert_eq(rc, -1);
    cr_assert_eq(err.code, AWS_ERR_SFN_STATE_MACHINE_DOES_NOT_EXIST);
    aws_error_reset(&err);
    ts_free(srv);
}

Test(sfn_exec, eventbridge_rule_starts_execution)
{
    stratus *srv = sfn_test_new();
    char arn[256];
    sfn_create(srv, "revalue", "STANDARD",
               "{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\","
               "\"End\":true}}}",
               arn);
    int status = 0;
    cJSON *out = ts_call(srv, "AWSEvents.PutRule",
                         "{\"Name\":\"card_created\",\"EventPattern\":"
                         "\"{\\\"source\\\":[\\\"collectiq.cards\\\"]}\"}",
                         &status);
    cr_assert_eq(status, 200);
    cJSON_Delete(out);
    char body[1024];
    snprintf(body, sizeof body,
             "{\"Rule\":\"card_created\",\"Targets\":[{\"Id\":\"sfn\","
             "\"Arn\":\"%s\",\"InputPath\":\"$.detail\","
             "\"RoleArn\":\"arn:aws:iam::123456789012:role/events\"},"
             "{\"Id\":\"missing\",\"Arn\":\"%s-absent\","
             "\"RoleArn\":\"arn:aws:iam::123456789012:role/events\"}]}",
             arn, arn);
    out = ts_call(srv, "AWSEvents.PutTargets", body, &status);
    cr_assert_eq(status, 200, "%s", cJSON_PrintUnformatted(out));
    cJSON_Delete(out);
    out = ts_call(srv, "AWSEvents.PutEvents",
                  "{\"Entries\":[{\"Source\":\"collectiq.cards\","
                  "\"DetailType\":\"CardCreated\",\"Detail\":"
                  "\"{\\\"cardId\\\":\\\"c1\\\"}\"}]}",
                  &status);
    cr_assert_eq(status, 200);
    cJSON_Delete(out);
    for (int i = 0; i < 20 && jobs_next_due(srv->jobs) >= 0; i++) {
        sfn_drain(srv);
        int64_t next = jobs_next_due(srv->jobs);
        if (next >= 0)
            clock_advance_to(&srv->clock, next);
    }

    out = sfn_call(srv, "ListExecutions", &status,
                   "{\"stateMachineArn\":\"%s\"}", arn);
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(out, "executions");
    cr_assert_eq(cJSON_GetArraySize(list), 1);
    const cJSON *item = cJSON_GetArrayItem(list, 0);
    cr_assert_eq(strlen(sfn_test_str(item, "name")), 36, "a generated name");
    cJSON *d = sfn_describe(srv, sfn_test_str(item, "executionArn"));
    assert_output(d, "{\"cardId\":\"c1\"}");
    cJSON_Delete(d);
    cJSON_Delete(out);
    ts_free(srv);
}

/* The shared execution cases, each run through the service. */

static void run_case(const char *file)
{
    const char *root = ts_shared_dir();
    if (!root)
        cr_skip_test("STRATUS_SHARED_DIR is not set; skipping case %s", file);
    char path[1024];
    snprintf(path, sizeof path, "%s/cases/stepfunctions/%s", root, file);
    char *text = ts_read_file(path);
    cr_assert_not_null(text, "cannot read %s", path);
    cJSON *c = cJSON_Parse(text);
    free(text);
    const cJSON *in = cJSON_GetObjectItemCaseSensitive(c, "input");
    const cJSON *expected = cJSON_GetObjectItemCaseSensitive(c, "expected");
    char *definition = cJSON_PrintUnformatted(
        cJSON_GetObjectItemCaseSensitive(in, "definition"));
    char *input = cJSON_PrintUnformatted(
        cJSON_GetObjectItemCaseSensitive(in, "execution_input"));

    stratus *srv = sfn_test_new();
    char exec[512];
    cJSON *d = run_machine(srv, definition, input, exec);
    /* Waits in a case are short; run them out. */
    for (int i = 0; i < 10 && strcmp(sfn_test_str(d, "status"), "RUNNING") == 0;
         i++) {
        cJSON_Delete(d);
        sfn_advance(srv, 60 * 1000);
        d = sfn_describe(srv, exec);
    }
    const char *status = sfn_test_str(expected, "status");
    cr_assert_str_eq(sfn_test_str(d, "status"), status, "%s: %s %s", file,
                     sfn_test_str(d, "error"), sfn_test_str(d, "cause"));
    const cJSON *output = cJSON_GetObjectItemCaseSensitive(expected, "output");
    if (output) {
        char *want = cJSON_PrintUnformatted(output);
        assert_output(d, want);
        free(want);
    }
    const char *error = sfn_test_str(expected, "error");
    if (error)
        cr_assert_str_eq(sfn_test_str(d, "error"), error, "%s", file);
    const char *cause = sfn_test_str(expected, "cause");
    if (cause)
        cr_assert_str_eq(sfn_test_str(d, "cause"), cause, "%s", file);

    char *types = sfn_history_types(srv, exec);
    const cJSON *order =
        cJSON_GetObjectItemCaseSensitive(expected, "history_types_in_order");
    const cJSON *tail =
        cJSON_GetObjectItemCaseSensitive(expected, "history_tail");
    const cJSON *list = order ? order : tail;
    if (list) {
        char want[2048] = "";
        size_t len = 0;
        const cJSON *t;
        cJSON_ArrayForEach(t, list)
        {
            len += (size_t)snprintf(want + len, sizeof want - len, "%s%s",
                                    len ? " " : "", t->valuestring);
        }
        if (order) {
            cr_assert_str_eq(types, want, "%s", file);
        } else {
            size_t n = strlen(types);
            cr_assert(n >= len && strcmp(types + n - len, want) == 0,
                      "%s history %s should end with %s", file, types, want);
        }
    }
    free(types);
    cJSON_Delete(d);
    free(definition);
    free(input);
    cJSON_Delete(c);
    ts_free(srv);
}

Test(sfn_exec_cases, choice_on_missing_variable_fails)
{
    run_case("choice-on-missing-variable-fails.json");
}

Test(sfn_exec_cases, context_object_in_inputpath)
{
    run_case("context-object-in-inputpath.json");
}

Test(sfn_exec_cases, map_iteration_failure_fails_state)
{
    run_case("map-iteration-failure-fails-state.json");
}

Test(sfn_exec_cases, parallel_branch_failure_fails_state)
{
    run_case("parallel-branch-failure-fails-state.json");
}

Test(sfn_exec_cases, parallel_output_in_branch_order)
{
    run_case("parallel-output-in-branch-order.json");
}

Test(sfn_exec_cases, parallel_resultpath_holds_branch_array)
{
    run_case("parallel-resultpath-holds-branch-array.json");
}

Test(sfn_exec_cases, resultpath_appends_to_input)
{
    run_case("resultpath-appends-to-input.json");
}

Test(sfn_exec_cases, states_format_escaped_braces)
{
    run_case("states-format-escaped-braces.json");
}

/* A finished Parallel deletes its branches' frames, and a branch aborted
 * in a Wait leaves its wake-up job behind. A later Parallel's branches
 * must get new frame ids, or that job would end their Wait early. */
Test(sfn_exec, parallel_frame_ids_not_reused)
{
    stratus *srv = sfn_test_new();
    char exec[512];
    cJSON *d = run_machine(
        srv,
        "{\"StartAt\":\"P1\",\"States\":{"
        "\"P1\":{\"Type\":\"Parallel\",\"Next\":\"Gap\","
        "\"Catch\":[{\"ErrorEquals\":[\"States.ALL\"],\"Next\":\"Gap\"}],"
        "\"Branches\":["
        "{\"StartAt\":\"W1\",\"States\":{\"W1\":{\"Type\":\"Wait\","
        "\"Seconds\":10,\"End\":true}}},"
        "{\"StartAt\":\"F\",\"States\":{\"F\":{\"Type\":\"Fail\","
        "\"Error\":\"E\"}}}]},"
        "\"Gap\":{\"Type\":\"Wait\",\"Seconds\":1,\"Next\":\"P2\"},"
        "\"P2\":{\"Type\":\"Parallel\",\"End\":true,\"Branches\":["
        "{\"StartAt\":\"W2\",\"States\":{\"W2\":{\"Type\":\"Wait\","
        "\"Seconds\":100,\"End\":true}}},"
        "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\","
        "\"End\":true}}}]}}}",
        "{}", exec);
    cr_assert_str_eq(sfn_test_str(d, "status"), "RUNNING");
    cJSON_Delete(d);

    sfn_advance(srv, 1000); /* Gap ends, P2 starts */
    sfn_advance(srv, 49 * 1000);
    d = sfn_describe(srv, exec);
    cr_assert_str_eq(sfn_test_str(d, "status"), "RUNNING",
                     "W2 ended after 49 s of its 100");
    cJSON_Delete(d);

    sfn_advance(srv, 60 * 1000);
    d = sfn_describe(srv, exec);
    cr_assert_str_eq(sfn_test_str(d, "status"), "SUCCEEDED");
    cJSON_Delete(d);
    ts_free(srv);
}

/* An endless loop of Pass states stops at AWS's quota of history events
 * instead of growing the history for ever. */
Test(sfn_exec, endless_loop_hits_history_quota, .timeout = 120)
{
    stratus *srv = sfn_test_new();
    char exec[512];
    cJSON *d =
        run_machine(srv,
                    "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\","
                    "\"Next\":\"A\"}}}",
                    "{}", exec);
    cr_assert_str_eq(sfn_test_str(d, "status"), "FAILED");
    cr_assert_str_eq(sfn_test_str(d, "error"), "States.Runtime");
    cJSON_Delete(d);

    int status = 0;
    cJSON *h = sfn_call(srv, "GetExecutionHistory", &status,
                        "{\"executionArn\":\"%s\",\"reverseOrder\":true,"
                        "\"maxResults\":1}",
                        exec);
    const cJSON *last =
        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(h, "events"), 0);
    cr_assert_str_eq(sfn_test_str(last, "type"), "ExecutionFailed");
    cr_assert_leq(cJSON_GetObjectItemCaseSensitive(last, "id")->valuedouble,
                  25000);
    cJSON_Delete(h);
    ts_free(srv);
}
