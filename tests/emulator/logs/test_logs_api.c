/*
 * test_logs_api.c: CloudWatch Logs through the real dispatcher: groups,
 * streams, PutLogEvents rules, GetLogEvents tokens, FilterLogEvents paging
 * and logs_append.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "logs.h"
#include "stratus.h"
#include "ts.h"

#define GROUP "/aws/lambda/collectiq-hackathon-cards-create"

static cJSON *call(stratus *srv, const char *op, int want, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static cJSON *call(stratus *srv, const char *op, int want, const char *fmt, ...)
{
    char target[96], body[16384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(body, sizeof body, fmt, ap);
    va_end(ap);
    snprintf(target, sizeof target, "Logs_20140328.%s", op);
    int status = 0;
    cJSON *out = ts_call(srv, target, body, &status);
    cr_assert_eq(status, want, "%s %s: %d %s", op, body, status,
                 out ? cJSON_PrintUnformatted(out) : "");
    return out;
}

static const char *str(const cJSON *obj, const char *name)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(m) ? m->valuestring : NULL;
}

static int count(const cJSON *obj, const char *name)
{
    return cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(obj, name));
}

static void setup(stratus *srv)
{
    cJSON_Delete(
        call(srv, "CreateLogGroup", 200, "{\"logGroupName\":\"%s\"}", GROUP));
    cJSON_Delete(call(srv, "CreateLogStream", 200,
                      "{\"logGroupName\":\"%s\",\"logStreamName\":\"s1\"}",
                      GROUP));
}

Test(logs_api, groups_and_streams)
{
    stratus *srv = ts_new();
    setup(srv);
    cJSON *out =
        call(srv, "CreateLogGroup", 400, "{\"logGroupName\":\"%s\"}", GROUP);
    cr_assert_str_eq(str(out, "__type"), "ResourceAlreadyExistsException");
    cJSON_Delete(out);
    cJSON_Delete(call(srv, "CreateLogGroup", 200,
                      "{\"logGroupName\":\"/aws/vendedlogs/states/m\"}"));

    out = call(srv, "DescribeLogGroups", 200,
               "{\"logGroupNamePrefix\":\"/aws/lambda/\"}");
    cr_assert_eq(count(out, "logGroups"), 1);
    cJSON *g = cJSON_GetArrayItem(
        cJSON_GetObjectItemCaseSensitive(out, "logGroups"), 0);
    cr_assert_str_eq(str(g, "arn"), "arn:aws:logs:us-east-1:123456789012:"
                                    "log-group:" GROUP ":*");
    cJSON_Delete(out);
    out = call(srv, "DescribeLogGroups", 200,
               "{\"logGroupNamePattern\":\"VENDED\"}");
    cr_assert_eq(count(out, "logGroups"), 1);
    cJSON_Delete(out);
    out = call(srv, "DescribeLogGroups", 400,
               "{\"logGroupNamePattern\":\"a\",\"logGroupNamePrefix\":\"b\"}");
    cr_assert_str_eq(str(out, "__type"), "InvalidParameterException");
    cJSON_Delete(out);

    out = call(srv, "CreateLogStream", 400,
               "{\"logGroupName\":\"/nope\",\"logStreamName\":\"s\"}");
    cr_assert_str_eq(str(out, "__type"), "ResourceNotFoundException");
    cr_assert_str_eq(str(out, "message"),
                     "The specified log group does not exist.");
    cJSON_Delete(out);
    out = call(srv, "FilterLogEvents", 400, "{\"logGroupName\":\"/nope\"}");
    cr_assert_str_eq(str(out, "message"),
                     "The specified log group does not exist.");
    cJSON_Delete(out);

    cJSON_Delete(call(srv, "DeleteLogGroup", 200,
                      "{\"logGroupName\":\"/aws/vendedlogs/states/m\"}"));
    out = call(srv, "DeleteLogGroup", 400,
               "{\"logGroupName\":\"/aws/vendedlogs/states/m\"}");
    cr_assert_str_eq(str(out, "__type"), "ResourceNotFoundException");
    cJSON_Delete(out);
    ts_free(srv);
}

Test(logs_api, streams_order_by_last_event)
{
    stratus *srv = ts_new();
    setup(srv);
    int64_t now = clock_now_ms(&srv->clock);
    cJSON_Delete(call(srv, "CreateLogStream", 200,
                      "{\"logGroupName\":\"%s\",\"logStreamName\":\"s2\"}",
                      GROUP));
    cJSON_Delete(call(srv, "PutLogEvents", 200,
                      "{\"logGroupName\":\"%s\",\"logStreamName\":\"s1\","
                      "\"logEvents\":[{\"timestamp\":%lld,\"message\":\"b\"}]}",
                      GROUP, (long long)now));
    cJSON_Delete(call(srv, "PutLogEvents", 200,
                      "{\"logGroupName\":\"%s\",\"logStreamName\":\"s2\","
                      "\"logEvents\":[{\"timestamp\":%lld,\"message\":\"a\"}]}",
                      GROUP, (long long)now - 1000));
    cJSON *out = call(srv, "DescribeLogStreams", 200,
                      "{\"logGroupName\":\"%s\",\"orderBy\":\"LastEventTime\","
                      "\"descending\":true}",
                      GROUP);
    cJSON *streams = cJSON_GetObjectItemCaseSensitive(out, "logStreams");
    cr_assert_str_eq(str(cJSON_GetArrayItem(streams, 0), "logStreamName"),
                     "s1");
    cr_assert_str_eq(str(cJSON_GetArrayItem(streams, 1), "logStreamName"),
                     "s2");
    cJSON_Delete(out);
    out = call(srv, "DescribeLogStreams", 400,
               "{\"logGroupName\":\"%s\",\"orderBy\":\"LastEventTime\","
               "\"logStreamNamePrefix\":\"s\"}",
               GROUP);
    cr_assert_str_eq(str(out, "__type"), "InvalidParameterException");
    cJSON_Delete(out);
    ts_free(srv);
}

Test(logs_api, put_log_events_rules)
{
    stratus *srv = ts_new();
    setup(srv);
    long long now = (long long)clock_now_ms(&srv->clock);
    cJSON *out = call(srv, "PutLogEvents", 400,
                      "{\"logGroupName\":\"%s\",\"logStreamName\":\"s1\","
                      "\"logEvents\":[{\"timestamp\":%lld,\"message\":\"b\"},"
                      "{\"timestamp\":%lld,\"message\":\"a\"}]}",
                      GROUP, now, now - 1);
    cr_assert_str_eq(str(out, "message"),
                     "Log events in a single PutLogEvents request must be in "
                     "chronological order.");
    cJSON_Delete(out);

    out = call(srv, "PutLogEvents", 400,
               "{\"logGroupName\":\"%s\",\"logStreamName\":\"nope\","
               "\"logEvents\":[{\"timestamp\":%lld,\"message\":\"b\"}]}",
               GROUP, now);
    cr_assert_str_eq(str(out, "message"),
                     "The specified log stream does not exist.");
    cJSON_Delete(out);

    /* Too old (15 days) and too new (3 hours) events are reported. */
    long long day = 24LL * 3600 * 1000;
    out = call(srv, "PutLogEvents", 200,
               "{\"logGroupName\":\"%s\",\"logStreamName\":\"s1\","
               "\"logEvents\":[{\"timestamp\":%lld,\"message\":\"new\"},"
               "{\"timestamp\":%lld,\"message\":\"later\"}],"
               "\"sequenceToken\":\"ignored\"}",
               GROUP, now, now + 3 * 3600 * 1000);
    cJSON *info =
        cJSON_GetObjectItemCaseSensitive(out, "rejectedLogEventsInfo");
    cr_assert_eq(
        cJSON_GetObjectItemCaseSensitive(info, "tooNewLogEventStartIndex")
            ->valueint,
        1);
    cr_assert_not_null(str(out, "nextSequenceToken"));
    cJSON_Delete(out);
    out = call(srv, "PutLogEvents", 200,
               "{\"logGroupName\":\"%s\",\"logStreamName\":\"s1\","
               "\"logEvents\":[{\"timestamp\":%lld,\"message\":\"old\"}]}",
               GROUP, now - 15 * day);
    info = cJSON_GetObjectItemCaseSensitive(out, "rejectedLogEventsInfo");
    cr_assert_eq(
        cJSON_GetObjectItemCaseSensitive(info, "tooOldLogEventEndIndex")
            ->valueint,
        0);
    cJSON_Delete(out);

    out = call(srv, "GetLogEvents", 200,
               "{\"logGroupName\":\"%s\",\"logStreamName\":\"s1\","
               "\"startFromHead\":true}",
               GROUP);
    cr_assert_eq(count(out, "events"), 1, "only the accepted event is stored");
    cJSON_Delete(out);
    ts_free(srv);
}

Test(logs_api, get_log_events_tokens)
{
    stratus *srv = ts_new();
    setup(srv);
    long long now = (long long)clock_now_ms(&srv->clock);
    char events[2048] = "";
    for (int i = 0; i < 5; i++)
        snprintf(events + strlen(events), sizeof events - strlen(events),
                 "%s{\"timestamp\":%lld,\"message\":\"m%d\"}", i ? "," : "",
                 now + i, i);
    cJSON_Delete(call(srv, "PutLogEvents", 200,
                      "{\"logGroupName\":\"%s\",\"logStreamName\":\"s1\","
                      "\"logEvents\":[%s]}",
                      GROUP, events));

    /* From the head, two at a time. */
    cJSON *out = call(srv, "GetLogEvents", 200,
                      "{\"logGroupName\":\"%s\",\"logStreamName\":\"s1\","
                      "\"startFromHead\":true,\"limit\":2}",
                      GROUP);
    cJSON *list = cJSON_GetObjectItemCaseSensitive(out, "events");
    cr_assert_eq(cJSON_GetArraySize(list), 2);
    cr_assert_str_eq(str(cJSON_GetArrayItem(list, 0), "message"), "m0");
    char forward[128];
    snprintf(forward, sizeof forward, "%s", str(out, "nextForwardToken"));
    cr_assert_eq(forward[0], 'f');
    cr_assert_eq(str(out, "nextBackwardToken")[0], 'b');
    cJSON_Delete(out);

    out = call(srv, "GetLogEvents", 200,
               "{\"logGroupName\":\"%s\",\"logStreamName\":\"s1\","
               "\"nextToken\":\"%s\",\"limit\":2}",
               GROUP, forward);
    list = cJSON_GetObjectItemCaseSensitive(out, "events");
    cr_assert_str_eq(str(cJSON_GetArrayItem(list, 0), "message"), "m2");
    cr_assert_str_eq(str(cJSON_GetArrayItem(list, 1), "message"), "m3");
    char backward[128];
    snprintf(backward, sizeof backward, "%s", str(out, "nextBackwardToken"));
    snprintf(forward, sizeof forward, "%s", str(out, "nextForwardToken"));
    cJSON_Delete(out);

    out = call(srv, "GetLogEvents", 200,
               "{\"logGroupName\":\"%s\",\"logStreamName\":\"s1\","
               "\"nextToken\":\"%s\",\"limit\":10}",
               GROUP, backward);
    list = cJSON_GetObjectItemCaseSensitive(out, "events");
    cr_assert_eq(cJSON_GetArraySize(list), 2);
    cr_assert_str_eq(str(cJSON_GetArrayItem(list, 0), "message"), "m0");
    cJSON_Delete(out);

    out = call(srv, "GetLogEvents", 200,
               "{\"logGroupName\":\"%s\",\"logStreamName\":\"s1\","
               "\"nextToken\":\"%s\"}",
               GROUP, forward);
    cr_assert_eq(count(out, "events"), 1);
    snprintf(forward, sizeof forward, "%s", str(out, "nextForwardToken"));
    cJSON_Delete(out);
    /* At the end the same forward token comes back. */
    out = call(srv, "GetLogEvents", 200,
               "{\"logGroupName\":\"%s\",\"logStreamName\":\"s1\","
               "\"nextToken\":\"%s\"}",
               GROUP, forward);
    cr_assert_eq(count(out, "events"), 0);
    cr_assert_str_eq(str(out, "nextForwardToken"), forward);
    cJSON_Delete(out);

    /* Without startFromHead the newest events come, oldest first. */
    out = call(srv, "GetLogEvents", 200,
               "{\"logGroupName\":\"%s\",\"logStreamName\":\"s1\","
               "\"limit\":2}",
               GROUP);
    list = cJSON_GetObjectItemCaseSensitive(out, "events");
    cr_assert_str_eq(str(cJSON_GetArrayItem(list, 0), "message"), "m3");
    cr_assert_str_eq(str(cJSON_GetArrayItem(list, 1), "message"), "m4");
    cJSON_Delete(out);
    ts_free(srv);
}

Test(logs_api, filter_log_events_paging)
{
    stratus *srv = ts_new();
    setup(srv);
    cJSON_Delete(call(srv, "CreateLogStream", 200,
                      "{\"logGroupName\":\"%s\",\"logStreamName\":\"s2\"}",
                      GROUP));
    long long now = (long long)clock_now_ms(&srv->clock);
    for (int i = 0; i < 6; i++)
        cJSON_Delete(
            call(srv, "PutLogEvents", 200,
                 "{\"logGroupName\":\"%s\",\"logStreamName\":\"%s\","
                 "\"logEvents\":[{\"timestamp\":%lld,\"message\":\"%s %d\"}]}",
                 GROUP, i % 2 ? "s2" : "s1", now + i,
                 i % 3 ? "INFO ok" : "ERROR bad", i));

    cJSON *out = call(srv, "FilterLogEvents", 200,
                      "{\"logGroupName\":\"%s\",\"filterPattern\":\"INFO\","
                      "\"limit\":3,\"interleaved\":true}",
                      GROUP);
    cJSON *list = cJSON_GetObjectItemCaseSensitive(out, "events");
    cr_assert_eq(cJSON_GetArraySize(list), 3);
    cr_assert_str_eq(str(cJSON_GetArrayItem(list, 0), "message"), "INFO ok 1");
    cr_assert_str_eq(str(cJSON_GetArrayItem(list, 0), "logStreamName"), "s2");
    cr_assert_str_eq(str(cJSON_GetArrayItem(list, 1), "logStreamName"), "s1");
    char token[128];
    cr_assert_not_null(str(out, "nextToken"));
    snprintf(token, sizeof token, "%s", str(out, "nextToken"));
    cJSON_Delete(out);

    out = call(srv, "FilterLogEvents", 200,
               "{\"logGroupName\":\"%s\",\"filterPattern\":\"INFO\","
               "\"limit\":3,\"nextToken\":\"%s\"}",
               GROUP, token);
    list = cJSON_GetObjectItemCaseSensitive(out, "events");
    cr_assert_eq(cJSON_GetArraySize(list), 1);
    cr_assert_str_eq(str(cJSON_GetArrayItem(list, 0), "message"), "INFO ok 5");
    cr_assert_null(str(out, "nextToken"));
    cJSON_Delete(out);

    out = call(srv, "FilterLogEvents", 200,
               "{\"logGroupName\":\"%s\",\"logStreamNames\":[\"s1\"],"
               "\"startTime\":%lld,\"endTime\":%lld}",
               GROUP, now + 1, now + 4);
    list = cJSON_GetObjectItemCaseSensitive(out, "events");
    cr_assert_eq(cJSON_GetArraySize(list), 2);
    cr_assert_str_eq(str(cJSON_GetArrayItem(list, 0), "message"), "INFO ok 2");
    cr_assert_str_eq(str(cJSON_GetArrayItem(list, 1), "message"), "INFO ok 4");
    cJSON_Delete(out);

    out = call(srv, "FilterLogEvents", 400,
               "{\"logGroupName\":\"%s\",\"filterPattern\":\"{ $.a = }\"}",
               GROUP);
    cr_assert_str_eq(str(out, "__type"), "InvalidParameterException");
    cJSON_Delete(out);
    ts_free(srv);
}

Test(logs_api, append_creates_group_and_stream)
{
    stratus *srv = ts_new();
    int64_t now = clock_now_ms(&srv->clock);
    const char *line = "START RequestId: 1 Version: $LATEST";
    logs_append(srv, "123456789012", "us-east-1", "/aws/lambda/f",
                "2026/01/01/[$LATEST]0123456789abcdef0123456789abcdef", now,
                line, strlen(line));
    logs_append(srv, "123456789012", "us-east-1", "/aws/lambda/f",
                "2026/01/01/[$LATEST]0123456789abcdef0123456789abcdef", now,
                "second line and more", 11);
    stratus_turn_end(srv);
    cJSON *out = call(srv, "FilterLogEvents", 200,
                      "{\"logGroupName\":\"/aws/lambda/f\"}");
    cJSON *list = cJSON_GetObjectItemCaseSensitive(out, "events");
    cr_assert_eq(cJSON_GetArraySize(list), 2);
    cr_assert_str_eq(str(cJSON_GetArrayItem(list, 0), "message"), line);
    cr_assert_str_eq(str(cJSON_GetArrayItem(list, 1), "message"),
                     "second line");
    cr_assert_str_eq(str(cJSON_GetArrayItem(list, 0), "logStreamName"),
                     "2026/01/01/[$LATEST]0123456789abcdef0123456789abcdef");
    cJSON_Delete(out);
    ts_free(srv);
}
