/*
 * test_logs_lambda.c: what a real Lambda environment (Node.js) writes to
 * CloudWatch Logs and CloudWatch: its lines in /aws/lambda/<function>
 * under a stream named as Lambda names them, START, END and REPORT, the
 * timeout line, and the AWS/Lambda metrics. Needs node and curl.
 */
#include "../lambda/lam_live.h"

#include <regex.h>

static lam_live live;

static void setup(void)
{
    lam_live_start(&live);
}

static void teardown(void)
{
    if (live.srv)
        lam_live_stop(&live);
    live.srv = NULL;
}

TestSuite(logs_lambda, .init = setup, .fini = teardown, .timeout = 60);

static void require_node(void)
{
    if (access("/usr/bin/node", X_OK) != 0 &&
        access("/usr/local/bin/node", X_OK) != 0)
        cr_skip_test("node is not installed; skipping");
}

static const char handler_source[] =
    "export const handler = async (event) => {\n"
    "  console.log('CardCreated event emitted successfully');\n"
    "  console.error('to stderr');\n"
    "  if (event.wait) await new Promise((r) => setTimeout(r, 3000));\n"
    "  return { ok: true };\n"
    "};\n";

static void node_function(const char *name, const char *extra)
{
    char dir[128];
    lam_live_subdir(&live, name, dir, sizeof dir);
    lam_live_write(dir, "index.mjs", handler_source, 0644);
    lam_live_create(&live, name, "nodejs20.x", "index.handler", dir, extra);
}

/* A JSON call of another service on the live instance. */
static cJSON *service_call(const char *scope, const char *target,
                           const char *body)
{
    char headers[512];
    lam_reply r;
    snprintf(headers, sizeof headers,
             "X-Amz-Target: %s\r\nContent-Type: application/x-amz-json-1.1\r\n"
             "Authorization: AWS4-HMAC-SHA256 Credential=AKIDTEST/20260101/"
             "us-east-1/%s/aws4_request, SignedHeaders=host, Signature=00\r\n",
             target, scope);
    cr_assert_eq(lam_http(live.port, "POST", "/", headers, body, 10000, &r), 0);
    cr_assert_eq(r.status, 200, "%s: %d %.*s", target, r.status,
                 (int)r.body_len, r.body);
    cJSON *out = cJSON_ParseWithLength(r.body, r.body_len);
    lam_reply_free(&r);
    return out;
}

static cJSON *events_of(const char *group, const char *pattern)
{
    char body[512];
    snprintf(body, sizeof body,
             "{\"logGroupName\":\"%s\",\"filterPattern\":\"%s\"}", group,
             pattern);
    cJSON *out = service_call("logs", "Logs_20140328.FilterLogEvents", body);
    cJSON *events = cJSON_DetachItemFromObject(out, "events");
    cJSON_Delete(out);
    return events;
}

static const char *message_of(const cJSON *events, int i)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
        cJSON_GetArrayItem(events, i), "message"));
}

Test(logs_lambda, invocation_lines_reach_the_group)
{
    require_node();
    lam_reply r;
    node_function("cards-create", NULL);
    cr_assert_eq(lam_live_invoke(&live, "cards-create", "{}", NULL, &r), 200);
    lam_reply_free(&r);

    cJSON *all = events_of("/aws/lambda/cards-create", "");
    int n = cJSON_GetArraySize(all);
    cr_assert_geq(n, 5, "expected START, two handler lines, END and REPORT");
    cr_assert(strncmp(message_of(all, 0), "START RequestId: ", 17) == 0, "%s",
              message_of(all, 0));
    cr_assert(strncmp(message_of(all, n - 2), "END RequestId: ", 15) == 0, "%s",
              message_of(all, n - 2));
    cr_assert(strncmp(message_of(all, n - 1), "REPORT RequestId: ", 18) == 0,
              "%s", message_of(all, n - 1));

    const char *stream = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
        cJSON_GetArrayItem(all, 0), "logStreamName"));
    regex_t re;
    cr_assert_eq(regcomp(&re,
                         "^[0-9]{4}/[0-9]{2}/[0-9]{2}/\\[\\$LATEST\\][0-9a-f]"
                         "{32}$",
                         REG_EXTENDED | REG_NOSUB),
                 0);
    cr_assert_eq(regexec(&re, stream, 0, NULL, 0), 0, "stream name %s", stream);
    regfree(&re);
    cJSON_Delete(all);

    cJSON *found =
        events_of("/aws/lambda/cards-create", "CardCreated event emitted");
    cr_assert_eq(cJSON_GetArraySize(found), 1);
    cr_assert(
        strstr(message_of(found, 0), "CardCreated event emitted successfully"));
    cJSON_Delete(found);
    found = events_of("/aws/lambda/cards-create", "to stderr");
    cr_assert_eq(cJSON_GetArraySize(found), 1, "stderr lines are captured");
    cJSON_Delete(found);

    /* One Invocations datum by FunctionName, and none of Errors. */
    long long now = (long long)time(NULL);
    char body[512];
    snprintf(body, sizeof body,
             "{\"Namespace\":\"AWS/Lambda\",\"MetricName\":\"Invocations\","
             "\"Dimensions\":[{\"Name\":\"FunctionName\",\"Value\":"
             "\"cards-create\"}],\"StartTime\":%lld,\"EndTime\":%lld,"
             "\"Period\":3600,\"Statistics\":[\"Sum\"]}",
             now - 600, now + 60);
    cJSON *stats =
        service_call("monitoring",
                     "GraniteServiceVersion20100801.GetMetricStatistics", body);
    cJSON *points = cJSON_GetObjectItemCaseSensitive(stats, "Datapoints");
    cr_assert_eq(cJSON_GetArraySize(points), 1);
    cr_assert_float_eq(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(points, 0), "Sum")
            ->valuedouble,
        1, 1e-9);
    cJSON_Delete(stats);
}

Test(logs_lambda, timeout_line_is_logged)
{
    require_node();
    lam_reply r;
    node_function("slow", "\"Timeout\":1");
    cr_assert_eq(lam_live_invoke(&live, "slow", "{\"wait\":true}", NULL, &r),
                 200);
    lam_reply_free(&r);
    cJSON *found = events_of("/aws/lambda/slow", "Task timed out");
    cr_assert_eq(cJSON_GetArraySize(found), 1);
    cr_assert(strstr(message_of(found, 0), "Task timed out after 1.00 seconds"),
              "%s", message_of(found, 0));
    cJSON_Delete(found);
}
