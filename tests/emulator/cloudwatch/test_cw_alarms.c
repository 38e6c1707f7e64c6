/*
 * test_cw_alarms.c: CloudWatch alarms evaluated by their job on the
 * virtual clock (initial state, transitions, M out of N, missing data),
 * their history, SetAlarmState, DeleteAlarms, and dashboards.
 */
#include <unistd.h>

#include "cw_test.h"
#include "stack.h"

#define MINUTE 60000LL

static void put_value(stratus *srv, const char *name, double value)
{
    char body[256];
    snprintf(body, sizeof body,
             "{\"Namespace\":\"App\",\"MetricData\":[{\"MetricName\":\"%s\","
             "\"Value\":%g}]}",
             name, value);
    cJSON_Delete(cw_ok(srv, "PutMetricData", body));
}

static void put_alarm(stratus *srv, const char *name, const char *metric,
                      int periods, int to_alarm, const char *missing)
{
    char body[1024], extra[128] = "";
    if (to_alarm)
        snprintf(extra, sizeof extra, ",\"DatapointsToAlarm\":%d", to_alarm);
    if (missing)
        snprintf(extra + strlen(extra), sizeof extra - strlen(extra),
                 ",\"TreatMissingData\":\"%s\"", missing);
    snprintf(body, sizeof body,
             "{\"AlarmName\":\"%s\",\"MetricName\":\"%s\",\"Namespace\":"
             "\"App\",\"Statistic\":\"Sum\",\"Period\":60,"
             "\"EvaluationPeriods\":%d,\"Threshold\":1,"
             "\"ComparisonOperator\":\"GreaterThanThreshold\"%s}",
             name, metric, periods, extra);
    cJSON_Delete(cw_ok(srv, "PutMetricAlarm", body));
}

/* The StateValue of one alarm. The caller frees the result. */
static char *alarm_state(stratus *srv, const char *name)
{
    char body[256];
    snprintf(body, sizeof body, "{\"AlarmNames\":[\"%s\"]}", name);
    cJSON *out = cw_ok(srv, "DescribeAlarms", body);
    cJSON *alarms = cJSON_GetObjectItemCaseSensitive(out, "MetricAlarms");
    cr_assert_eq(cJSON_GetArraySize(alarms), 1, "alarm %s not listed", name);
    char *state = xstrdup(cw_str(cJSON_GetArrayItem(alarms, 0), "StateValue"));
    cJSON_Delete(out);
    return state;
}

static void expect_state(stratus *srv, const char *name, const char *want)
{
    char *state = alarm_state(srv, name);
    cr_assert_str_eq(state, want, "alarm %s", name);
    free(state);
}

/* Move to a few seconds into the next minute. */
static int64_t next_minute(stratus *srv)
{
    return (clock_now_ms(&srv->clock) / MINUTE + 1) * MINUTE + 5000;
}

Test(cw_alarms, breach_then_recover)
{
    stratus *srv = ts_new();
    cw_advance(srv, next_minute(srv));
    put_alarm(srv, "hot", "Errors", 1, 0, NULL);
    expect_state(srv, "hot", "INSUFFICIENT_DATA");

    put_value(srv, "Errors", 3);
    cw_advance(srv, next_minute(srv));
    expect_state(srv, "hot", "ALARM");

    put_value(srv, "Errors", 0);
    cw_advance(srv, next_minute(srv));
    expect_state(srv, "hot", "OK");

    /* No data at all: back to INSUFFICIENT_DATA. */
    cw_advance(srv, next_minute(srv));
    expect_state(srv, "hot", "INSUFFICIENT_DATA");

    cJSON *out = cw_ok(srv, "DescribeAlarmHistory",
                       "{\"AlarmName\":\"hot\",\"ScanBy\":"
                       "\"TimestampAscending\"}");
    cJSON *items = cJSON_GetObjectItemCaseSensitive(out, "AlarmHistoryItems");
    cr_assert_eq(cJSON_GetArraySize(items), 4);
    cr_assert_str_eq(cw_str(cJSON_GetArrayItem(items, 0), "HistoryItemType"),
                     "ConfigurationUpdate");
    cr_assert_str_eq(cw_str(cJSON_GetArrayItem(items, 0), "HistorySummary"),
                     "Alarm \"hot\" created");
    cr_assert_str_eq(cw_str(cJSON_GetArrayItem(items, 1), "HistorySummary"),
                     "Alarm updated from INSUFFICIENT_DATA to ALARM");
    cr_assert_str_eq(cw_str(cJSON_GetArrayItem(items, 2), "HistorySummary"),
                     "Alarm updated from ALARM to OK");
    cr_assert_str_eq(cw_str(cJSON_GetArrayItem(items, 3), "HistorySummary"),
                     "Alarm updated from OK to INSUFFICIENT_DATA");
    cJSON *data =
        cJSON_Parse(cw_str(cJSON_GetArrayItem(items, 1), "HistoryData"));
    cJSON *new_state = cJSON_GetObjectItemCaseSensitive(data, "newState");
    cr_assert(strstr(cw_str(new_state, "stateReason"),
                     "Threshold Crossed: 1 datapoint [3.0"),
              "%s", cw_str(new_state, "stateReason"));
    cJSON_Delete(data);
    cJSON_Delete(out);

    out = cw_ok(srv, "DescribeAlarmHistory",
                "{\"AlarmName\":\"hot\",\"HistoryItemType\":\"StateUpdate\","
                "\"MaxRecords\":2}");
    items = cJSON_GetObjectItemCaseSensitive(out, "AlarmHistoryItems");
    cr_assert_eq(cJSON_GetArraySize(items), 2);
    cr_assert_str_eq(cw_str(cJSON_GetArrayItem(items, 0), "HistorySummary"),
                     "Alarm updated from OK to INSUFFICIENT_DATA",
                     "newest first by default");
    cr_assert_not_null(cw_str(out, "NextToken"));
    cJSON_Delete(out);
    ts_free(srv);
}

Test(cw_alarms, datapoints_to_alarm)
{
    stratus *srv = ts_new();
    cw_advance(srv, next_minute(srv));
    put_alarm(srv, "two-of-three", "Faults", 3, 2, "notBreaching");
    put_value(srv, "Faults", 5);
    cw_advance(srv, next_minute(srv));
    expect_state(srv, "two-of-three", "OK");
    put_value(srv, "Faults", 5);
    cw_advance(srv, next_minute(srv));
    expect_state(srv, "two-of-three", "ALARM");
    ts_free(srv);
}

Test(cw_alarms, treat_missing_data)
{
    stratus *srv = ts_new();
    cw_advance(srv, next_minute(srv));
    put_alarm(srv, "m-missing", "Nothing", 1, 0, "missing");
    put_alarm(srv, "m-breaching", "Nothing", 1, 0, "breaching");
    put_alarm(srv, "m-not", "Nothing", 1, 0, "notBreaching");
    put_alarm(srv, "m-ignore", "Nothing", 1, 0, "ignore");
    cw_advance(srv, next_minute(srv));
    expect_state(srv, "m-missing", "INSUFFICIENT_DATA");
    expect_state(srv, "m-breaching", "ALARM");
    expect_state(srv, "m-not", "OK");
    expect_state(srv, "m-ignore", "INSUFFICIENT_DATA");

    cJSON *out = cw_ok(srv, "DescribeAlarms",
                       "{\"AlarmNamePrefix\":\"m-\","
                       "\"StateValue\":\"ALARM\"}");
    cJSON *alarms = cJSON_GetObjectItemCaseSensitive(out, "MetricAlarms");
    cr_assert_eq(cJSON_GetArraySize(alarms), 1);
    cr_assert_str_eq(cw_str(cJSON_GetArrayItem(alarms, 0), "AlarmName"),
                     "m-breaching");
    cJSON_Delete(out);
    ts_free(srv);
}

Test(cw_alarms, set_state_and_delete)
{
    stratus *srv = ts_new();
    put_alarm(srv, "manual", "X", 1, 0, NULL);
    cJSON_Delete(cw_ok(srv, "SetAlarmState",
                       "{\"AlarmName\":\"manual\",\"StateValue\":\"ALARM\","
                       "\"StateReason\":\"testing\"}"));
    expect_state(srv, "manual", "ALARM");

    cw_reply r;
    cJSON *out = cw_json(srv, "SetAlarmState", &r,
                         "{\"AlarmName\":\"absent\",\"StateValue\":\"OK\","
                         "\"StateReason\":\"x\"}");
    cr_assert_eq(r.status, 404);
    cr_assert_str_eq(r.query_error, "ResourceNotFound;Sender");
    cr_assert_str_eq(cw_str(out, "message"), "Alarm absent not found");
    cJSON_Delete(out);
    cw_reply_free(&r);

    out = cw_json(srv, "SetAlarmState", &r,
                  "{\"AlarmName\":\"manual\",\"StateValue\":\"OK\","
                  "\"StateReason\":\"x\",\"StateReasonData\":\"{bad\"}");
    cr_assert_eq(r.status, 400);
    cr_assert_str_eq(r.query_error, "InvalidFormat;Sender");
    cJSON_Delete(out);
    cw_reply_free(&r);

    cJSON_Delete(cw_ok(srv, "DeleteAlarms", "{\"AlarmNames\":[\"manual\"]}"));
    out = cw_ok(srv, "DescribeAlarms", "{}");
    cr_assert_eq(cJSON_GetArraySize(
                     cJSON_GetObjectItemCaseSensitive(out, "MetricAlarms")),
                 0);
    cJSON_Delete(out);
    /* The evaluation job of a deleted alarm ends by itself. */
    cw_advance(srv, clock_now_ms(&srv->clock) + 3 * MINUTE);
    cr_assert_eq(jobs_next_due(srv->jobs), -1);
    ts_free(srv);
}

Test(cw_alarms, put_metric_alarm_validation)
{
    stratus *srv = ts_new();
    cw_reply r;
    cJSON *out = cw_json(srv, "PutMetricAlarm", &r,
                         "{\"AlarmName\":\"a\",\"MetricName\":\"m\","
                         "\"Namespace\":\"App\",\"Statistic\":\"Sum\","
                         "\"Period\":60,\"EvaluationPeriods\":1,"
                         "\"Threshold\":1,\"ComparisonOperator\":\"Above\"}");
    cr_assert_eq(r.status, 400);
    cr_assert_str_eq(r.query_error, "InvalidParameterValue;Sender");
    cJSON_Delete(out);
    cw_reply_free(&r);

    out = cw_json(srv, "PutMetricAlarm", &r,
                  "{\"AlarmName\":\"a\",\"MetricName\":\"m\","
                  "\"Namespace\":\"App\",\"Statistic\":\"Sum\","
                  "\"Period\":60,\"EvaluationPeriods\":2,"
                  "\"DatapointsToAlarm\":3,\"Threshold\":1,"
                  "\"ComparisonOperator\":\"GreaterThanThreshold\"}");
    cr_assert_eq(r.status, 400);
    cJSON_Delete(out);
    cw_reply_free(&r);
    ts_free(srv);
}

Test(cw_alarms, query_put_alarm_and_describe)
{
    stratus *srv = ts_new();
    cw_reply r;
    cw_query(srv,
             "Action=PutMetricAlarm&Version=2010-08-01"
             "&AlarmName=collectiq-stepfunctions-failures"
             "&AlarmDescription=Alert+when+Step+Functions+executions+fail"
             "&MetricName=ExecutionsFailed&Namespace=AWS%2FStates"
             "&Statistic=Sum&Period=300&EvaluationPeriods=1&Threshold=3"
             "&ComparisonOperator=GreaterThanThreshold",
             &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cw_reply_free(&r);
    cw_query(srv, "Action=DescribeAlarms&Version=2010-08-01", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert(strstr(r.body, "<MetricAlarms><member><AlarmName>"
                             "collectiq-stepfunctions-failures</AlarmName>"),
              "%s", r.body);
    cr_assert(strstr(r.body, "<StateValue>INSUFFICIENT_DATA</StateValue>"),
              "%s", r.body);
    cr_assert(strstr(r.body, "<Threshold>3</Threshold>"), "%s", r.body);
    cr_assert(strstr(r.body, "<Dimensions></Dimensions>"), "%s", r.body);
    cw_reply_free(&r);
    ts_free(srv);
}

Test(cw_dashboards, put_get_list_delete)
{
    stratus *srv = ts_new();
    cJSON *out = cw_ok(
        srv, "PutDashboard",
        "{\"DashboardName\":\"CollectIQ-AutoTrigger\",\"DashboardBody\":"
        "\"{\\\"widgets\\\":[{\\\"type\\\":\\\"metric\\\",\\\"properties\\\":"
        "{\\\"metrics\\\":[[\\\"AWS/"
        "Events\\\",\\\"TriggeredRules\\\"]]}}]}\"}");
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(
                     out, "DashboardValidationMessages")),
                 0);
    cJSON_Delete(out);

    out = cw_ok(srv, "GetDashboard",
                "{\"DashboardName\":\"CollectIQ-AutoTrigger\"}");
    cr_assert_str_eq(cw_str(out, "DashboardArn"),
                     "arn:aws:cloudwatch::123456789012:dashboard/"
                     "CollectIQ-AutoTrigger");
    cr_assert(strstr(cw_str(out, "DashboardBody"), "TriggeredRules"));
    cJSON_Delete(out);

    out = cw_ok(srv, "ListDashboards", "{\"DashboardNamePrefix\":\"Coll\"}");
    cJSON *entries = cJSON_GetObjectItemCaseSensitive(out, "DashboardEntries");
    cr_assert_eq(cJSON_GetArraySize(entries), 1);
    cr_assert(cw_number(cJSON_GetArrayItem(entries, 0), "Size") > 0);
    cJSON_Delete(out);

    cw_reply r;
    out = cw_json(srv, "PutDashboard", &r,
                  "{\"DashboardName\":\"bad\",\"DashboardBody\":\"{}\"}");
    cr_assert_eq(r.status, 400);
    cr_assert_str_eq(r.query_error, "InvalidParameterInput;Sender");
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(
                     out, "dashboardValidationMessages")),
                 1);
    cJSON_Delete(out);
    cw_reply_free(&r);

    cJSON_Delete(cw_ok(srv, "DeleteDashboards",
                       "{\"DashboardNames\":[\"CollectIQ-AutoTrigger\"]}"));
    out = cw_json(srv, "GetDashboard", &r,
                  "{\"DashboardName\":\"CollectIQ-AutoTrigger\"}");
    cr_assert_eq(r.status, 404);
    cr_assert_str_eq(r.query_error, "ResourceNotFound;Sender");
    cJSON_Delete(out);
    cw_reply_free(&r);
    ts_free(srv);
}

Test(cw_stack, alarm_dashboard_and_log_group)
{
    stratus *srv = ts_new();
    char path[] = "/tmp/stratus-cw-stack-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    const char *yaml =
        "Resources:\n"
        "  Failures:\n"
        "    Type: AWS::CloudWatch::Alarm\n"
        "    Properties:\n"
        "      MetricName: FailedInvocations\n"
        "      Namespace: AWS/Events\n"
        "      Statistic: Sum\n"
        "      Period: 300\n"
        "      EvaluationPeriods: 1\n"
        "      Threshold: 1\n"
        "      ComparisonOperator: GreaterThanThreshold\n"
        "      Dimensions:\n"
        "        - {Name: RuleName, Value: card_created_auto_revalue}\n"
        "  Board:\n"
        "    Type: AWS::CloudWatch::Dashboard\n"
        "    Properties:\n"
        "      DashboardName: CollectIQ-AutoTrigger\n"
        "      DashboardBody:\n"
        "        widgets:\n"
        "          - {type: text, properties: {markdown: hello}}\n"
        "  CardsCreateLogs:\n"
        "    Type: AWS::Logs::LogGroup\n"
        "    Properties:\n"
        "      LogGroupName: /aws/lambda/collectiq-hackathon-cards-create\n"
        "      RetentionInDays: 14\n";
    cr_assert_eq(write(fd, yaml, strlen(yaml)), (ssize_t)strlen(yaml));
    close(fd);
    char errbuf[512];
    int rc = stack_apply_file(srv, path, errbuf, sizeof errbuf);
    cr_assert_eq(rc, 0, "%s", errbuf);
    /* A second deployment keeps what exists. */
    rc = stack_apply_file(srv, path, errbuf, sizeof errbuf);
    unlink(path);
    cr_assert_eq(rc, 0, "%s", errbuf);

    expect_state(srv, "Failures", "INSUFFICIENT_DATA");
    cJSON *out = cw_ok(srv, "GetDashboard",
                       "{\"DashboardName\":\"CollectIQ-AutoTrigger\"}");
    cr_assert(strstr(cw_str(out, "DashboardBody"), "\"markdown\":\"hello\""),
              "%s", cw_str(out, "DashboardBody"));
    cJSON_Delete(out);

    int status = 0;
    out = ts_call(srv, "Logs_20140328.DescribeLogGroups", "{}", &status);
    cr_assert_eq(status, 200);
    cJSON *group = cJSON_GetArrayItem(
        cJSON_GetObjectItemCaseSensitive(out, "logGroups"), 0);
    cr_assert_str_eq(cw_str(group, "logGroupName"),
                     "/aws/lambda/collectiq-hackathon-cards-create");
    cr_assert_float_eq(cw_number(group, "retentionInDays"), 14, 1e-9);
    cJSON_Delete(out);
    ts_free(srv);
}
