/*
 * test_cw_metrics.c: CloudWatch metrics through the real dispatcher:
 * statistics per period, PutMetricData validation, ListMetrics filters,
 * GetMetricData, the Query protocol, and the AWS/Events and AWS/States
 * metrics other services publish.
 */
#include "cw_test.h"
#include "cw.h"

#include "../stepfunctions/sfn_test_util.h"

/* Epoch seconds of `ms` as JSON 1.0 sends timestamps. */
static double secs(int64_t ms)
{
    return (double)ms / 1000.0;
}

/* A minute boundary some minutes before the virtual clock's now. */
static int64_t minute_ago(stratus *srv, int minutes)
{
    int64_t now = clock_now_ms(&srv->clock);
    return now / 60000 * 60000 - (int64_t)minutes * 60000;
}

static cJSON *stats(stratus *srv, const char *ns, const char *name,
                    const char *dims, int64_t start, int64_t end, int period,
                    const char *statistics)
{
    cw_reply r;
    cJSON *out =
        cw_json(srv, "GetMetricStatistics", &r,
                "{\"Namespace\":\"%s\",\"MetricName\":\"%s\",\"Dimensions\":%s,"
                "\"StartTime\":%.3f,\"EndTime\":%.3f,\"Period\":%d,%s}",
                ns, name, dims, secs(start), secs(end), period, statistics);
    cr_assert_eq(r.status, 200, "GetMetricStatistics: %s", r.body);
    cw_reply_free(&r);
    return out;
}

Test(cw_metrics, statistics_per_period)
{
    stratus *srv = ts_new();
    int64_t t0 = minute_ago(srv, 10);
    char body[2048];
    snprintf(body, sizeof body,
             "{\"Namespace\":\"App\",\"MetricData\":["
             "{\"MetricName\":\"Lat\",\"Value\":10,\"Unit\":\"Milliseconds\","
             "\"Timestamp\":%.3f,\"Dimensions\":[{\"Name\":\"Api\","
             "\"Value\":\"a\"}]},"
             "{\"MetricName\":\"Lat\",\"Value\":30,\"Unit\":\"Milliseconds\","
             "\"Timestamp\":%.3f,\"Dimensions\":[{\"Name\":\"Api\","
             "\"Value\":\"a\"}]},"
             "{\"MetricName\":\"Lat\",\"Values\":[1,2],\"Counts\":[3,1],"
             "\"Unit\":\"Milliseconds\",\"Timestamp\":%.3f,"
             "\"Dimensions\":[{\"Name\":\"Api\",\"Value\":\"a\"}]},"
             "{\"MetricName\":\"Lat\",\"StatisticValues\":{\"SampleCount\":4,"
             "\"Sum\":100,\"Minimum\":5,\"Maximum\":50},"
             "\"Unit\":\"Milliseconds\",\"Timestamp\":%.3f,"
             "\"Dimensions\":[{\"Name\":\"Api\",\"Value\":\"a\"}]}]}",
             secs(t0 + 1000), secs(t0 + 61000), secs(t0 + 301000),
             secs(t0 + 302000));
    cJSON_Delete(cw_ok(srv, "PutMetricData", body));

    cJSON *out =
        stats(srv, "App", "Lat", "[{\"Name\":\"Api\",\"Value\":\"a\"}]", t0,
              t0 + 600000, 300,
              "\"Statistics\":[\"Sum\",\"Average\",\"Minimum\","
              "\"Maximum\",\"SampleCount\"]");
    cr_assert_str_eq(cw_str(out, "Label"), "Lat");
    cJSON *points = cJSON_GetObjectItemCaseSensitive(out, "Datapoints");
    cr_assert_eq(cJSON_GetArraySize(points), 2);
    cJSON *p0 = cJSON_GetArrayItem(points, 0);
    cr_assert_float_eq(cw_number(p0, "Timestamp"), secs(t0), 1e-9);
    cr_assert_float_eq(cw_number(p0, "Sum"), 40, 1e-9);
    cr_assert_float_eq(cw_number(p0, "Average"), 20, 1e-9);
    cr_assert_float_eq(cw_number(p0, "Minimum"), 10, 1e-9);
    cr_assert_float_eq(cw_number(p0, "Maximum"), 30, 1e-9);
    cr_assert_float_eq(cw_number(p0, "SampleCount"), 2, 1e-9);
    cr_assert_str_eq(cw_str(p0, "Unit"), "Milliseconds");
    /* The second period merges Values/Counts and a statistic set. */
    cJSON *p1 = cJSON_GetArrayItem(points, 1);
    cr_assert_float_eq(cw_number(p1, "Timestamp"), secs(t0 + 300000), 1e-9);
    cr_assert_float_eq(cw_number(p1, "SampleCount"), 8, 1e-9);
    cr_assert_float_eq(cw_number(p1, "Sum"), 105, 1e-9);
    cr_assert_float_eq(cw_number(p1, "Minimum"), 1, 1e-9);
    cr_assert_float_eq(cw_number(p1, "Maximum"), 50, 1e-9);
    cJSON_Delete(out);

    /* Another dimension set is another metric. */
    out = stats(srv, "App", "Lat", "[]", t0, t0 + 600000, 300,
                "\"Statistics\":[\"Sum\"]");
    cr_assert_eq(
        cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(out, "Datapoints")),
        0);
    cJSON_Delete(out);
    ts_free(srv);
}

Test(cw_metrics, start_time_rounds_down_to_minute)
{
    stratus *srv = ts_new();
    int64_t t0 = minute_ago(srv, 5);
    char body[512];
    snprintf(body, sizeof body,
             "{\"Namespace\":\"App\",\"MetricData\":[{\"MetricName\":\"N\","
             "\"Value\":1,\"Timestamp\":%.3f}]}",
             secs(t0 + 5000));
    cJSON_Delete(cw_ok(srv, "PutMetricData", body));
    cJSON *out = stats(srv, "App", "N", "[]", t0 + 20000, t0 + 120000, 60,
                       "\"Statistics\":[\"Sum\"]");
    cJSON *points = cJSON_GetObjectItemCaseSensitive(out, "Datapoints");
    cr_assert_eq(cJSON_GetArraySize(points), 1);
    cr_assert_float_eq(cw_number(cJSON_GetArrayItem(points, 0), "Timestamp"),
                       secs(t0), 1e-9);
    cr_assert_str_eq(cw_str(cJSON_GetArrayItem(points, 0), "Unit"), "None");
    cJSON_Delete(out);
    ts_free(srv);
}

Test(cw_metrics, percentiles_from_values)
{
    stratus *srv = ts_new();
    int64_t t0 = minute_ago(srv, 2);
    char body[512];
    snprintf(body, sizeof body,
             "{\"Namespace\":\"App\",\"MetricData\":[{\"MetricName\":\"P\","
             "\"Values\":[1,2,3,4,5,6,7,8,9,10],\"Timestamp\":%.3f}]}",
             secs(t0 + 1000));
    cJSON_Delete(cw_ok(srv, "PutMetricData", body));
    cJSON *out = stats(srv, "App", "P", "[]", t0, t0 + 60000, 60,
                       "\"ExtendedStatistics\":[\"p50\",\"p90\",\"p100\"]");
    cJSON *point = cJSON_GetArrayItem(
        cJSON_GetObjectItemCaseSensitive(out, "Datapoints"), 0);
    cJSON *ext = cJSON_GetObjectItemCaseSensitive(point, "ExtendedStatistics");
    cr_assert_float_eq(cw_number(ext, "p50"), 5, 1e-9);
    cr_assert_float_eq(cw_number(ext, "p90"), 9, 1e-9);
    cr_assert_float_eq(cw_number(ext, "p100"), 10, 1e-9);
    cJSON_Delete(out);
    ts_free(srv);
}

/* Expect one error with its JSON type and Query code. */
static void expect_error(stratus *srv, const char *op, const char *body,
                         int status, const char *type, const char *query_code,
                         const char *message_part)
{
    cw_reply r;
    cJSON *out = cw_json(srv, op, &r, "%s", body);
    cr_assert_eq(r.status, status, "%s %s: %d %s", op, body, r.status, r.body);
    char want_type[128];
    snprintf(want_type, sizeof want_type, "com.amazonaws.cloudwatch#%s", type);
    cr_assert_str_eq(cw_str(out, "__type"), want_type);
    char want_header[128];
    snprintf(want_header, sizeof want_header, "%s;Sender", query_code);
    cr_assert_str_eq(r.query_error, want_header);
    cr_assert(strstr(cw_str(out, "message"), message_part),
              "message \"%s\" lacks \"%s\"", cw_str(out, "message"),
              message_part);
    cJSON_Delete(out);
    cw_reply_free(&r);
}

Test(cw_metrics, put_metric_data_validation)
{
    stratus *srv = ts_new();
    expect_error(srv, "PutMetricData",
                 "{\"Namespace\":\"AWS/Events\",\"MetricData\":[{"
                 "\"MetricName\":\"x\",\"Value\":1}]}",
                 400, "InvalidParameterValueException", "InvalidParameterValue",
                 "parameter Namespace is invalid");
    expect_error(srv, "PutMetricData",
                 "{\"Namespace\":\"App\",\"MetricData\":[{\"MetricName\":"
                 "\"x\",\"Value\":1,\"Values\":[1]}]}",
                 400, "InvalidParameterCombinationException",
                 "InvalidParameterCombination", "mutually exclusive");
    expect_error(srv, "PutMetricData",
                 "{\"Namespace\":\"App\",\"MetricData\":[{\"MetricName\":"
                 "\"x\",\"Values\":[1,2],\"Counts\":[1]}]}",
                 400, "InvalidParameterValueException", "InvalidParameterValue",
                 "must be of the same size");
    expect_error(srv, "PutMetricData",
                 "{\"Namespace\":\"App\",\"MetricData\":[{\"MetricName\":"
                 "\"x\",\"Value\":1,\"Unit\":\"Parsecs\"}]}",
                 400, "InvalidParameterValueException", "InvalidParameterValue",
                 "Unit is invalid");
    expect_error(srv, "PutMetricData",
                 "{\"Namespace\":\"App\",\"MetricData\":[{\"Value\":1}]}", 400,
                 "MissingRequiredParameterException", "MissingParameter",
                 "MetricData.member.1.MetricName is required");
    expect_error(srv, "PutMetricData",
                 "{\"Namespace\":\"App\",\"MetricData\":[{\"MetricName\":"
                 "\"x\",\"Value\":1,\"Dimensions\":[{\"Name\":\"a\","
                 "\"Value\":\"1\"},{\"Name\":\"a\",\"Value\":\"2\"}]}]}",
                 400, "InvalidParameterValueException", "InvalidParameterValue",
                 "duplicate dimension names");

    char body[512];
    int64_t old = clock_now_ms(&srv->clock) - 15LL * 24 * 3600 * 1000;
    snprintf(body, sizeof body,
             "{\"Namespace\":\"App\",\"MetricData\":[{\"MetricName\":\"x\","
             "\"Value\":1,\"Timestamp\":%.3f}]}",
             secs(old));
    expect_error(srv, "PutMetricData", body, 400,
                 "InvalidParameterValueException", "InvalidParameterValue",
                 "no more than two weeks in the past");
    ts_free(srv);
}

Test(cw_metrics, get_metric_statistics_validation)
{
    stratus *srv = ts_new();
    int64_t now = clock_now_ms(&srv->clock);
    char body[512];
    snprintf(body, sizeof body,
             "{\"Namespace\":\"App\",\"MetricName\":\"x\",\"StartTime\":%.3f,"
             "\"EndTime\":%.3f,\"Period\":60,\"Statistics\":[\"Sum\"]}",
             secs(now - 2LL * 24 * 3600 * 1000), secs(now));
    expect_error(srv, "GetMetricStatistics", body, 400,
                 "InvalidParameterCombinationException",
                 "InvalidParameterCombination", "exceeds the limit of 1440");
    snprintf(body, sizeof body,
             "{\"Namespace\":\"App\",\"MetricName\":\"x\",\"StartTime\":%.3f,"
             "\"EndTime\":%.3f,\"Period\":60}",
             secs(now - 60000), secs(now));
    expect_error(srv, "GetMetricStatistics", body, 400,
                 "InvalidParameterCombinationException",
                 "InvalidParameterCombination",
                 "either Statistics or ExtendedStatistics");
    snprintf(body, sizeof body,
             "{\"Namespace\":\"App\",\"MetricName\":\"x\",\"StartTime\":%.3f,"
             "\"EndTime\":%.3f,\"Period\":90,\"Statistics\":[\"Sum\"]}",
             secs(now - 60000), secs(now));
    expect_error(srv, "GetMetricStatistics", body, 400,
                 "InvalidParameterValueException", "InvalidParameterValue",
                 "multiple of 60");
    snprintf(body, sizeof body,
             "{\"Namespace\":\"App\",\"MetricName\":\"x\",\"StartTime\":%.3f,"
             "\"EndTime\":%.3f,\"Period\":60,\"Statistics\":[\"Median\"]}",
             secs(now - 60000), secs(now));
    expect_error(srv, "GetMetricStatistics", body, 400,
                 "InvalidParameterValueException", "InvalidParameterValue",
                 "Statistics.member.1");
    ts_free(srv);
}

Test(cw_metrics, list_metrics_filters)
{
    stratus *srv = ts_new();
    cJSON_Delete(cw_ok(
        srv, "PutMetricData",
        "{\"Namespace\":\"App\",\"MetricData\":["
        "{\"MetricName\":\"A\",\"Value\":1,\"Dimensions\":[{\"Name\":\"Fn\","
        "\"Value\":\"f1\"},{\"Name\":\"Env\",\"Value\":\"dev\"}]},"
        "{\"MetricName\":\"A\",\"Value\":1,\"Dimensions\":[{\"Name\":\"Fn\","
        "\"Value\":\"f2\"}]},"
        "{\"MetricName\":\"B\",\"Value\":1}]}"));
    cJSON *out = cw_ok(srv, "ListMetrics", "{\"Namespace\":\"App\"}");
    cr_assert_eq(
        cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(out, "Metrics")),
        3);
    cJSON_Delete(out);

    out = cw_ok(srv, "ListMetrics",
                "{\"Namespace\":\"App\",\"Dimensions\":[{\"Name\":\"Fn\"}]}");
    cr_assert_eq(
        cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(out, "Metrics")),
        2);
    cJSON_Delete(out);

    out = cw_ok(srv, "ListMetrics",
                "{\"MetricName\":\"A\",\"Dimensions\":[{\"Name\":\"Fn\","
                "\"Value\":\"f1\"}]}");
    cJSON *metrics = cJSON_GetObjectItemCaseSensitive(out, "Metrics");
    cr_assert_eq(cJSON_GetArraySize(metrics), 1);
    /* Dimensions come back sorted by name. */
    cJSON *dims = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetArrayItem(metrics, 0), "Dimensions");
    cr_assert_str_eq(cw_str(cJSON_GetArrayItem(dims, 0), "Name"), "Env");
    cr_assert_str_eq(cw_str(cJSON_GetArrayItem(dims, 1), "Name"), "Fn");
    cJSON_Delete(out);

    /* Two weeks later nothing has recent data. */
    clock_advance_to(&srv->clock,
                     clock_now_ms(&srv->clock) + 15LL * 24 * 3600 * 1000);
    out = cw_ok(srv, "ListMetrics", "{\"Namespace\":\"App\"}");
    cr_assert_eq(
        cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(out, "Metrics")),
        0);
    cJSON_Delete(out);
    ts_free(srv);
}

Test(cw_metrics, get_metric_data_order)
{
    stratus *srv = ts_new();
    int64_t t0 = minute_ago(srv, 3);
    char body[1024];
    snprintf(body, sizeof body,
             "{\"Namespace\":\"App\",\"MetricData\":["
             "{\"MetricName\":\"C\",\"Value\":1,\"Timestamp\":%.3f},"
             "{\"MetricName\":\"C\",\"Value\":2,\"Timestamp\":%.3f}]}",
             secs(t0 + 1000), secs(t0 + 61000));
    cJSON_Delete(cw_ok(srv, "PutMetricData", body));
    snprintf(body, sizeof body,
             "{\"MetricDataQueries\":[{\"Id\":\"m1\",\"MetricStat\":{"
             "\"Metric\":{\"Namespace\":\"App\",\"MetricName\":\"C\"},"
             "\"Period\":60,\"Stat\":\"Sum\"}},{\"Id\":\"m2\",\"ReturnData\":"
             "false,\"MetricStat\":{\"Metric\":{\"Namespace\":\"App\","
             "\"MetricName\":\"C\"},\"Period\":60,\"Stat\":\"Sum\"}}],"
             "\"StartTime\":%.3f,\"EndTime\":%.3f}",
             secs(t0), secs(t0 + 180000));
    cJSON *out = cw_ok(srv, "GetMetricData", body);
    cJSON *results = cJSON_GetObjectItemCaseSensitive(out, "MetricDataResults");
    cr_assert_eq(cJSON_GetArraySize(results), 1, "ReturnData false is hidden");
    cJSON *r = cJSON_GetArrayItem(results, 0);
    cr_assert_str_eq(cw_str(r, "Id"), "m1");
    cr_assert_str_eq(cw_str(r, "StatusCode"), "Complete");
    cJSON *values = cJSON_GetObjectItemCaseSensitive(r, "Values");
    cr_assert_eq(cJSON_GetArraySize(values), 2);
    /* Newest first by default. */
    cr_assert_float_eq(cJSON_GetArrayItem(values, 0)->valuedouble, 2, 1e-9);
    cr_assert_float_eq(cJSON_GetArrayItem(values, 1)->valuedouble, 1, 1e-9);
    cJSON_Delete(out);
    ts_free(srv);
}

Test(cw_metrics, query_protocol_round_trip)
{
    stratus *srv = ts_new();
    int64_t t0 = minute_ago(srv, 2);
    char iso[32], iso_end[32], form[1024];
    clock_format_iso(t0, iso);
    clock_format_iso(t0 + 180000, iso_end);
    cw_reply r;
    cw_query(srv,
             "Action=PutMetricData&Version=2010-08-01&Namespace=App"
             "&MetricData.member.1.MetricName=Q"
             "&MetricData.member.1.Value=4"
             "&MetricData.member.1.Unit=Count"
             "&MetricData.member.1.Dimensions.member.1.Name=Rule"
             "&MetricData.member.1.Dimensions.member.1.Value=r1"
             "&MetricData.member.2.MetricName=Q"
             "&MetricData.member.2.StatisticValues.SampleCount=2"
             "&MetricData.member.2.StatisticValues.Sum=6"
             "&MetricData.member.2.StatisticValues.Minimum=1"
             "&MetricData.member.2.StatisticValues.Maximum=5"
             "&MetricData.member.2.Unit=Count"
             "&MetricData.member.2.Dimensions.member.1.Name=Rule"
             "&MetricData.member.2.Dimensions.member.1.Value=r1",
             &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert(strstr(r.body, "<PutMetricDataResponse"), "%s", r.body);
    cw_reply_free(&r);

    snprintf(form, sizeof form,
             "Action=GetMetricStatistics&Version=2010-08-01&Namespace=App"
             "&MetricName=Q&Dimensions.member.1.Name=Rule"
             "&Dimensions.member.1.Value=r1&StartTime=%s&EndTime=%s"
             "&Period=300&Statistics.member.1=Sum"
             "&Statistics.member.2=SampleCount",
             iso, iso_end);
    cw_query(srv, form, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert(strstr(r.body, "<Datapoints><member>"), "%s", r.body);
    cr_assert(strstr(r.body, "<Sum>10</Sum>"), "%s", r.body);
    cr_assert(strstr(r.body, "<SampleCount>3</SampleCount>"), "%s", r.body);
    char stamp[64];
    snprintf(stamp, sizeof stamp, "<Timestamp>%s</Timestamp>", iso);
    cr_assert(strstr(r.body, stamp), "%s lacks %s", r.body, stamp);
    cw_reply_free(&r);

    cw_query(srv,
             "Action=GetMetricStatistics&Namespace=App&MetricName=Q"
             "&StartTime=2026-01-01T00:00:00Z&EndTime=2025-01-01T00:00:00Z"
             "&Period=60&Statistics.member.1=Sum",
             &r);
    cr_assert_eq(r.status, 400);
    cr_assert(strstr(r.body, "<Code>InvalidParameterValue</Code>"), "%s",
              r.body);
    cr_assert(strstr(r.body, "<Type>Sender</Type>"), "%s", r.body);
    cw_reply_free(&r);
    ts_free(srv);
}

/* The datapoint Sum of a metric over the last ten minutes, or -1. */
static double recent_sum(stratus *srv, const char *ns, const char *name,
                         const char *dims)
{
    int64_t now = clock_now_ms(&srv->clock);
    cJSON *out = stats(srv, ns, name, dims, now - 600000, now + 60000, 3600,
                       "\"Statistics\":[\"Sum\"]");
    cJSON *points = cJSON_GetObjectItemCaseSensitive(out, "Datapoints");
    double sum = -1;
    if (cJSON_GetArraySize(points) > 0)
        sum = cw_number(cJSON_GetArrayItem(points, 0), "Sum");
    cJSON_Delete(out);
    return sum;
}

static void drain_jobs(stratus *srv)
{
    for (int i = 0; i < 500; i++) {
        jobs_run_due(srv->jobs);
        stratus_turn_end(srv);
        int64_t next = jobs_next_due(srv->jobs);
        if (next < 0)
            return;
        clock_advance_to(&srv->clock, next);
    }
    cr_assert_fail("jobs still pending after 500 rounds");
}

Test(cw_metrics, eventbridge_dimension_sets)
{
    stratus *srv = ts_new();
    int status = 0;
    cJSON_Delete(ts_call(srv, "AmazonSQS.CreateQueue",
                         "{\"QueueName\":\"inbox\"}", &status));
    cr_assert_eq(status, 200);
    cJSON_Delete(ts_call(srv, "AWSEvents.CreateEventBus",
                         "{\"Name\":\"shop-bus\"}", &status));
    cr_assert_eq(status, 200);
    const char *rules[][2] = {{"default", "r-default"},
                              {"shop-bus", "r-custom"}};
    for (size_t i = 0; i < 2; i++) {
        char body[512];
        snprintf(body, sizeof body,
                 "{\"Name\":\"%s\",\"EventBusName\":\"%s\",\"EventPattern\":"
                 "\"{\\\"source\\\":[\\\"shop\\\"]}\"}",
                 rules[i][1], rules[i][0]);
        cJSON_Delete(ts_call(srv, "AWSEvents.PutRule", body, &status));
        cr_assert_eq(status, 200);
        snprintf(body, sizeof body,
                 "{\"Rule\":\"%s\",\"EventBusName\":\"%s\",\"Targets\":[{"
                 "\"Id\":\"q\",\"Arn\":\"arn:aws:sqs:us-east-1:123456789012:"
                 "inbox\"}]}",
                 rules[i][1], rules[i][0]);
        cJSON_Delete(ts_call(srv, "AWSEvents.PutTargets", body, &status));
        cr_assert_eq(status, 200);
    }
    cJSON_Delete(ts_call(srv, "AWSEvents.PutEvents",
                         "{\"Entries\":[{\"Source\":\"shop\",\"DetailType\":"
                         "\"A\",\"Detail\":\"{}\"},{\"Source\":\"shop\","
                         "\"DetailType\":\"A\",\"Detail\":\"{}\","
                         "\"EventBusName\":\"shop-bus\"}]}",
                         &status));
    cr_assert_eq(status, 200);
    drain_jobs(srv);

    /* Default bus: RuleName alone. */
    cr_assert_float_eq(recent_sum(srv, "AWS/Events", "TriggeredRules",
                                  "[{\"Name\":\"RuleName\",\"Value\":"
                                  "\"r-default\"}]"),
                       1, 1e-9);
    cr_assert_float_eq(recent_sum(srv, "AWS/Events", "Invocations",
                                  "[{\"Name\":\"RuleName\",\"Value\":"
                                  "\"r-default\"}]"),
                       1, 1e-9);
    /* Custom bus: EventBusName and RuleName, and nothing by RuleName
     * alone. */
    cr_assert_float_eq(
        recent_sum(srv, "AWS/Events", "TriggeredRules",
                   "[{\"Name\":\"RuleName\",\"Value\":\"r-custom\"},"
                   "{\"Name\":\"EventBusName\",\"Value\":\"shop-bus\"}]"),
        1, 1e-9);
    cr_assert_float_eq(recent_sum(srv, "AWS/Events", "TriggeredRules",
                                  "[{\"Name\":\"RuleName\",\"Value\":"
                                  "\"r-custom\"}]"),
                       -1, 1e-9);
    /* The account-wide series counts both. */
    cr_assert_float_eq(recent_sum(srv, "AWS/Events", "MatchedEvents", "[]"), 2,
                       1e-9);
    cr_assert_float_eq(recent_sum(srv, "AWS/Events", "FailedInvocations", "[]"),
                       -1, 1e-9);

    cJSON *out = cw_ok(srv, "ListMetrics",
                       "{\"Namespace\":\"AWS/Events\",\"MetricName\":"
                       "\"TriggeredRules\"}");
    cr_assert_eq(
        cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(out, "Metrics")),
        3);
    cJSON_Delete(out);
    ts_free(srv);
}

Test(cw_metrics, step_functions_execution_metrics)
{
    stratus *srv = sfn_test_new();
    char machine[256], exec[512], dims[512];
    sfn_create(srv, "m", "STANDARD",
               "{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\","
               "\"End\":true}}}",
               machine);
    sfn_start(srv, machine, "one", "{}", exec);
    sfn_drain(srv);
    sfn_create(srv, "bad", "STANDARD",
               "{\"StartAt\":\"F\",\"States\":{\"F\":{\"Type\":\"Fail\","
               "\"Error\":\"E\"}}}",
               machine);
    sfn_start(srv, machine, "two", "{}", exec);
    sfn_drain(srv);

    snprintf(dims, sizeof dims,
             "[{\"Name\":\"StateMachineArn\",\"Value\":\"%s\"}]", machine);
    cr_assert_float_eq(recent_sum(srv, "AWS/States", "ExecutionsStarted", dims),
                       1, 1e-9);
    cr_assert_float_eq(recent_sum(srv, "AWS/States", "ExecutionsFailed", dims),
                       1, 1e-9);
    cr_assert_float_eq(
        recent_sum(srv, "AWS/States", "ExecutionsSucceeded", dims), -1, 1e-9);
    cr_assert(recent_sum(srv, "AWS/States", "ExecutionTime", dims) >= 0);
    ts_free(srv);
}

Test(cw_metrics, published_metric_after_rollback)
{
    stratus *srv = ts_new();
    cw_dimension dim = {"FunctionName", "f"};
    /* The first datum creates and caches the metric inside a call that is
     * then rolled back, as a failed request would be. */
    cr_assert_eq(store_call_begin(srv->store), SQLITE_OK);
    cw_metric_add(srv, CW_ACCOUNT, CW_REGION, "AWS/Lambda", "Invocations", &dim,
                  1, 1, "Count");
    store_call_end(srv->store, 0);
    stratus_turn_end(srv);

    cw_metric_add(srv, CW_ACCOUNT, CW_REGION, "AWS/Lambda", "Invocations", &dim,
                  1, 1, "Count");
    cw_metric_add(srv, CW_ACCOUNT, CW_REGION, "AWS/Lambda", "Invocations", &dim,
                  1, 2, "Count");
    stratus_turn_end(srv);
    cr_assert_float_eq(recent_sum(srv, "AWS/Lambda", "Invocations",
                                  "[{\"Name\":\"FunctionName\",\"Value\":"
                                  "\"f\"}]"),
                       3, 1e-9);
    cJSON *out = cw_ok(srv, "ListMetrics", "{\"Namespace\":\"AWS/Lambda\"}");
    cr_assert_eq(
        cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(out, "Metrics")),
        1);
    cJSON_Delete(out);
    ts_free(srv);
}
