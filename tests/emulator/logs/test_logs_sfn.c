/*
 * test_logs_sfn.c: Step Functions history events in the log group of a
 * state machine's loggingConfiguration, by level, with and without
 * execution data.
 */
#include <unistd.h>

#include "../stepfunctions/sfn_test_util.h"
#include "stack.h"

#define GROUP_ARN                                                              \
    "arn:aws:logs:us-east-1:123456789012:log-group:/aws/vendedlogs/states/"    \
    "m:*"

/* Create a machine that logs at `level` and run one execution to its
 * end. */
static void run_logged(stratus *srv, const char *name, const char *level,
                       int with_data, const char *definition)
{
    char body[2048], machine[256];
    snprintf(body, sizeof body,
             "{\"name\":\"%s\",\"roleArn\":\"arn:aws:iam::123456789012:role/"
             "r\",\"definition\":%s,\"loggingConfiguration\":{\"level\":"
             "\"%s\",\"includeExecutionData\":%s,\"destinations\":[{"
             "\"cloudWatchLogsLogGroup\":{\"logGroupArn\":\"" GROUP_ARN
             "\"}}]}}",
             name, definition, level, with_data ? "true" : "false");
    int status = 0;
    cJSON *out =
        ts_call(srv, "AWSStepFunctions.CreateStateMachine", body, &status);
    cr_assert_eq(status, 200, "%s", sfn_test_str(out, "message"));
    snprintf(machine, sizeof machine, "%s",
             sfn_test_str(out, "stateMachineArn"));
    cJSON_Delete(out);
    char exec[512];
    sfn_start(srv, machine, "run", "{\"secret\":1}", exec);
    sfn_drain(srv);
}

static cJSON *logged_events(stratus *srv)
{
    int status = 0;
    cJSON *out =
        ts_call(srv, "Logs_20140328.FilterLogEvents",
                "{\"logGroupName\":\"/aws/vendedlogs/states/m\"}", &status);
    cr_assert_eq(status, 200);
    return out;
}

Test(logs_sfn, level_all_logs_every_event)
{
    stratus *srv = sfn_test_new();
    run_logged(srv, "m", "ALL", 0,
               "\"{\\\"StartAt\\\":\\\"P\\\",\\\"States\\\":{\\\"P\\\":{"
               "\\\"Type\\\":\\\"Pass\\\",\\\"End\\\":true}}}\"");
    cJSON *out = logged_events(srv);
    cJSON *events = cJSON_GetObjectItemCaseSensitive(out, "events");
    cr_assert_eq(cJSON_GetArraySize(events), 4,
                 "ExecutionStarted, PassStateEntered, PassStateExited, "
                 "ExecutionSucceeded");
    cJSON *first =
        cJSON_Parse(sfn_test_str(cJSON_GetArrayItem(events, 0), "message"));
    cr_assert_str_eq(sfn_test_str(first, "type"), "ExecutionStarted");
    cr_assert_str_eq(sfn_test_str(first, "id"), "1");
    cr_assert_str_eq(sfn_test_str(first, "previous_event_id"), "0");
    cr_assert_null(
        cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(first, "details"), "input"),
        "no execution data without includeExecutionData");
    cr_assert(
        strncmp(sfn_test_str(cJSON_GetArrayItem(events, 0), "logStreamName"),
                "states/m/", 9) == 0);
    cJSON_Delete(first);
    cJSON_Delete(out);
    ts_free(srv);
}

Test(logs_sfn, level_error_logs_failures_only)
{
    stratus *srv = sfn_test_new();
    run_logged(srv, "m", "ERROR", 1,
               "\"{\\\"StartAt\\\":\\\"F\\\",\\\"States\\\":{\\\"F\\\":{"
               "\\\"Type\\\":\\\"Fail\\\",\\\"Error\\\":\\\"E\\\"}}}\"");
    cJSON *out = logged_events(srv);
    cJSON *events = cJSON_GetObjectItemCaseSensitive(out, "events");
    cr_assert_eq(cJSON_GetArraySize(events), 1);
    cJSON *event =
        cJSON_Parse(sfn_test_str(cJSON_GetArrayItem(events, 0), "message"));
    cr_assert_str_eq(sfn_test_str(event, "type"), "ExecutionFailed");
    cJSON_Delete(event);
    cJSON_Delete(out);
    ts_free(srv);
}

Test(logs_sfn, level_off_logs_nothing)
{
    stratus *srv = sfn_test_new();
    char machine[256], exec[512];
    sfn_create(srv, "m", "STANDARD",
               "{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\","
               "\"End\":true}}}",
               machine);
    sfn_start(srv, machine, "run", "{}", exec);
    sfn_drain(srv);
    int status = 0;
    cJSON *out = ts_call(srv, "Logs_20140328.DescribeLogGroups", "{}", &status);
    cr_assert_eq(
        cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(out, "logGroups")),
        0);
    cJSON_Delete(out);
    ts_free(srv);
}

Test(logs_sfn, stack_logging_configuration)
{
    stratus *srv = sfn_test_new();
    char path[] = "/tmp/stratus-logs-sfn-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    const char *yaml = "Resources:\n"
                       "  Machine:\n"
                       "    Type: AWS::StepFunctions::StateMachine\n"
                       "    Properties:\n"
                       "      StateMachineName: m\n"
                       "      RoleArn: arn:aws:iam::123456789012:role/r\n"
                       "      LoggingConfiguration:\n"
                       "        Level: ALL\n"
                       "        IncludeExecutionData: true\n"
                       "        Destinations:\n"
                       "          - CloudWatchLogsLogGroup:\n"
                       "              LogGroupArn: " GROUP_ARN "\n"
                       "      Definition:\n"
                       "        StartAt: P\n"
                       "        States: {P: {Type: Pass, End: true}}\n";
    cr_assert_eq(write(fd, yaml, strlen(yaml)), (ssize_t)strlen(yaml));
    close(fd);
    char errbuf[512];
    int rc = stack_apply_file(srv, path, errbuf, sizeof errbuf);
    unlink(path);
    cr_assert_eq(rc, 0, "%s", errbuf);

    char exec[512];
    sfn_start(srv, "arn:aws:states:us-east-1:123456789012:stateMachine:m",
              "run", "{\"card\":7}", exec);
    sfn_drain(srv);
    cJSON *out = logged_events(srv);
    cJSON *events = cJSON_GetObjectItemCaseSensitive(out, "events");
    cr_assert_eq(cJSON_GetArraySize(events), 4);
    cJSON *first =
        cJSON_Parse(sfn_test_str(cJSON_GetArrayItem(events, 0), "message"));
    cr_assert_str_eq(
        sfn_test_str(cJSON_GetObjectItemCaseSensitive(first, "details"),
                     "input"),
        "{\"card\":7}");
    cJSON_Delete(first);
    cJSON_Delete(out);
    ts_free(srv);
}
