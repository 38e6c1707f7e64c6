/*
 * test_lam_cases.c: every shared Lambda regression case (the JSON files in
 * cases/lambda under STRATUS_SHARED_DIR), each run as its own test against a
 * live instance. Kinds: lambda-invoke (a Node handler built from the case's
 * handler_behaviour), lambda-api (one API call and its error), and
 * lambda-runtime-api (the test itself acts as the runtime).
 *
 * The blocking case waits 1.5 s where the report waited about 20 s: what it
 * checks is that `next` stays open with no invocation queued.
 */
#include "lam_live.h"

#include <glob.h>

#include <criterion/parameterized.h>

#include "ts.h"

typedef struct case_param {
    char path[512];
} case_param;

ParameterizedTestParameters(lam_cases, shared_case)
{
    const char *dir = getenv("STRATUS_SHARED_DIR");
    char pattern[600];
    glob_t g;
    size_t count = 0;

    memset(&g, 0, sizeof g);
    if (dir) {
        snprintf(pattern, sizeof pattern, "%s/cases/lambda/*.json", dir);
        if (glob(pattern, 0, NULL, &g) == 0)
            count = g.gl_pathc;
    }
    /* One empty parameter stands for "no cases here": that test skips. */
    size_t n = count ? count : 1;
    case_param *params = cr_malloc(n * sizeof *params);
    memset(params, 0, n * sizeof *params);
    for (size_t i = 0; i < count; i++)
        snprintf(params[i].path, sizeof params[i].path, "%s", g.gl_pathv[i]);
    globfree(&g);
    return cr_make_param_array(case_param, params, n, NULL);
}

static lam_live live;

static const char *str(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static const cJSON *get(const cJSON *obj, const char *name)
{
    return cJSON_GetObjectItemCaseSensitive(obj, name);
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Every member of `expected` equals the same member of `actual`. */
static void assert_has(const cJSON *actual, const cJSON *expected,
                       const char *file)
{
    const cJSON *want;
    cJSON_ArrayForEach(want, expected)
    {
        const cJSON *got = get(actual, want->string);
        cr_assert(got && cJSON_Compare(got, want, 1),
                  "%s: payload member %s differs", file, want->string);
    }
}

/* ---- lambda-invoke ---- */

static void run_invoke_case(const cJSON *c, const char *file)
{
    const cJSON *input = get(c, "input");
    const cJSON *function = get(input, "function");
    const cJSON *request = get(input, "request");
    const cJSON *expected = get(c, "expected");
    const char *behaviour = str(function, "handler_behaviour");
    const cJSON *timeout = get(function, "timeout");
    char dir[128], code[1024], extra[64], headers[1024], value[256];

    lam_live_subdir(&live, "fn", dir, sizeof dir);
    if (strstr(behaviour, "callback(")) {
        snprintf(
            code, sizeof code,
            "exports.handler = (event, context, callback) => {\n  %s;\n};\n",
            behaviour);
        lam_live_write(dir, "index.js", code, 0644);
    } else {
        snprintf(
            code, sizeof code,
            "export const handler = async (event, context) => {\n  %s;\n};\n",
            behaviour);
        lam_live_write(dir, "index.mjs", code, 0644);
    }
    /* Node starts in well under a second, but a loaded test machine may
     * not: give at least 10 s unless the case sets a timeout. */
    snprintf(extra, sizeof extra, "\"Timeout\":%d",
             cJSON_IsNumber(timeout) ? timeout->valueint : 10);
    lam_live_create(&live, "fn", str(function, "runtime"), "index.handler", dir,
                    extra);

    strbuf h;
    strbuf_init(&h);
    const cJSON *header;
    cJSON_ArrayForEach(header, get(request, "headers"))
        strbuf_printf(&h, "%s: %s\r\n", header->string, header->valuestring);
    snprintf(headers, sizeof headers, "%s", h.data ? h.data : "");
    strbuf_free(&h);

    lam_reply r;
    int status =
        lam_live_api(&live, str(request, "method"), str(request, "path"),
                     headers, str(request, "body"), 20000, &r);
    const cJSON *want_status = get(expected, "http_status");
    cr_assert_eq(status, want_status->valueint, "%s: status %d: %s", file,
                 status, r.body);

    const cJSON *want;
    cJSON_ArrayForEach(want, get(expected, "headers"))
    {
        cr_assert_not_null(
            lam_reply_header(&r, want->string, value, sizeof value),
            "%s: header %s missing", file, want->string);
        cr_assert_str_eq(value, want->valuestring, "%s: header %s", file,
                         want->string);
    }
    cJSON *payload = cJSON_ParseWithLength(r.body, r.body_len);
    cr_assert_not_null(payload, "%s: payload is not JSON: %s", file, r.body);
    assert_has(payload, get(expected, "payload_json_has"), file);

    const cJSON *sdk = get(expected, "sdk_result");
    if (sdk) {
        cr_assert_eq(status, get(sdk, "StatusCode")->valueint, "%s", file);
        const char *function_error = str(sdk, "FunctionError");
        if (function_error) {
            cr_assert_not_null(lam_reply_header(&r, "X-Amz-Function-Error",
                                                value, sizeof value),
                               "%s: no X-Amz-Function-Error", file);
            cr_assert_str_eq(value, function_error, "%s", file);
        }
        assert_has(payload, get(sdk, "Payload_json_has"), file);
    }
    if (cJSON_IsFalse(get(expected, "sdk_raises")))
        cr_assert_lt(status, 300, "%s: an SDK would raise", file);
    cJSON_Delete(payload);
    lam_reply_free(&r);
}

/* ---- lambda-api ---- */

static void run_api_case(const cJSON *c, const char *file)
{
    const cJSON *input = get(c, "input");
    const cJSON *error = get(get(c, "expected"), "error");
    cr_assert_str_eq(str(input, "op"), "CreateFunction",
                     "%s: this runner knows only CreateFunction", file);
    char *body = cJSON_PrintUnformatted(get(input, "params"));
    lam_reply r;
    char code[128];
    int status = lam_live_api(&live, "POST", "/2015-03-31/functions", NULL,
                              body, 5000, &r);
    free(body);
    cr_assert_eq(status, get(error, "http_status")->valueint, "%s: %s", file,
                 r.body);
    cr_assert_str_eq(
        lam_reply_header(&r, "x-amzn-ErrorType", code, sizeof code),
        str(error, "code"), "%s", file);
    cJSON *out = cJSON_ParseWithLength(r.body, r.body_len);
    const char *message = str(out, "message");
    cr_assert_not_null(message, "%s: no message in %s", file, r.body);
    if (str(error, "message_contains"))
        cr_assert_not_null(strstr(message, str(error, "message_contains")),
                           "%s: message %s", file, message);
    cJSON_Delete(out);
    lam_reply_free(&r);
}

/* ---- lambda-runtime-api: the test is the runtime ---- */

static const char parked_bootstrap[] =
    "#!/bin/sh\n"
    "echo \"$AWS_LAMBDA_RUNTIME_API\" > \"$LAMBDA_TASK_ROOT/api.tmp\"\n"
    "mv \"$LAMBDA_TASK_ROOT/api.tmp\" \"$LAMBDA_TASK_ROOT/api\"\n"
    "exec sleep 60\n";

typedef struct invoke_call {
    int port;
    char auth[512];
    const char *payload;
    lam_reply reply;
    int status;
    long long returned_ms;
} invoke_call;

static void *invoke_thread(void *arg)
{
    invoke_call *c = arg;
    if (lam_http(c->port, "POST", "/2015-03-31/functions/fn/invocations",
                 c->auth, c->payload, 20000, &c->reply) == 0)
        c->status = c->reply.status;
    c->returned_ms = now_ms();
    return NULL;
}

typedef struct next_call {
    int port;
    lam_reply reply;
    int status;
    long long returned_ms;
} next_call;

static void *next_thread(void *arg)
{
    next_call *c = arg;
    if (lam_http(c->port, "GET", "/2018-06-01/runtime/invocation/next", NULL,
                 NULL, 15000, &c->reply) == 0)
        c->status = c->reply.status;
    c->returned_ms = now_ms();
    return NULL;
}

/* Read the Runtime API port the parked bootstrap wrote, waiting up to
 * 10 s for it to start. */
static int runtime_port(const char *dir)
{
    char path[256];
    snprintf(path, sizeof path, "%s/api", dir);
    for (int i = 0; i < 1000; i++) {
        char *text = ts_read_file(path);
        if (text) {
            const char *colon = strrchr(text, ':');
            int port = colon ? atoi(colon + 1) : 0;
            free(text);
            if (port)
                return port;
        }
        lam_live_sleep_ms(10);
    }
    return 0;
}

static void post_response(int port, const char *request_id, const char *body)
{
    char path[256];
    lam_reply r;
    snprintf(path, sizeof path, "/2018-06-01/runtime/invocation/%s/response",
             request_id);
    cr_assert_eq(lam_http(port, "POST", path, NULL, body, 5000, &r), 0);
    cr_assert_eq(r.status, 202);
    lam_reply_free(&r);
}

static void run_runtime_case(const cJSON *c, const char *file)
{
    const cJSON *function = get(get(c, "input"), "function");
    const char *region = function ? str(function, "region") : NULL;
    const char *account = function ? str(function, "account") : NULL;
    const cJSON *timeout = function ? get(function, "timeout") : NULL;
    char dir[128], value[256], arn[256];
    int timeout_s = cJSON_IsNumber(timeout) ? timeout->valueint : 3;

    if (!region)
        region = "us-east-1";
    if (!account)
        account = "123456789012";
    lam_live_subdir(&live, "fn", dir, sizeof dir);
    lam_live_write(dir, "bootstrap", parked_bootstrap, 0755);

    /* Sign with the case's account (a 12-digit key is that account) and
     * region. */
    invoke_call first = {.port = live.port, .payload = "{\"warm\":1}"};
    snprintf(first.auth, sizeof first.auth,
             "Authorization: AWS4-HMAC-SHA256 Credential=%s/20260101/%s/"
             "lambda/aws4_request, SignedHeaders=host, Signature=00\r\n",
             account, region);
    char body[1024];
    snprintf(body, sizeof body,
             "{\"FunctionName\":\"fn\",\"Runtime\":\"provided.al2023\","
             "\"Role\":\"arn:aws:iam::%s:role/r\",\"Handler\":\"x.y\","
             "\"Timeout\":%d,\"Code\":{\"Directory\":\"%s\"}}",
             account, timeout_s, dir);
    lam_reply created;
    cr_assert_eq(lam_http(live.port, "POST", "/2015-03-31/functions",
                          first.auth, body, 5000, &created),
                 0);
    cr_assert_eq(created.status, 201, "%s: %s", file, created.body);
    lam_reply_free(&created);

    /* The first invocation starts the environment; serve it. */
    pthread_t thread;
    long long invoked = now_ms();
    pthread_create(&thread, NULL, invoke_thread, &first);
    int port = runtime_port(dir);
    cr_assert_gt(port, 0, "%s: the bootstrap did not start", file);
    next_call next = {.port = port};
    next_thread(&next);
    cr_assert_eq(next.status, 200, "%s", file);

    const char *request_id = lam_reply_header(
        &next.reply, "Lambda-Runtime-Aws-Request-Id", value, sizeof value);
    cr_assert_not_null(request_id, "%s: no request id", file);
    cr_assert_eq(strlen(request_id), 36, "%s: %s is no UUID", file, request_id);
    char id[64];
    snprintf(id, sizeof id, "%s", request_id);
    cr_assert_not_null(lam_reply_header(
        &next.reply, "Lambda-Runtime-Deadline-Ms", value, sizeof value));
    long long deadline = atoll(value);
    cr_assert_geq(deadline, invoked + timeout_s * 1000 - 1000, "%s", file);
    cr_assert_leq(deadline, now_ms() + timeout_s * 1000 + 1000, "%s", file);
    snprintf(arn, sizeof arn, "arn:aws:lambda:%s:%s:function:fn", region,
             account);
    cr_assert_str_eq(lam_reply_header(&next.reply,
                                      "Lambda-Runtime-Invoked-Function-Arn",
                                      value, sizeof value),
                     arn, "%s", file);
    cr_assert_not_null(lam_reply_header(&next.reply, "Lambda-Runtime-Trace-Id",
                                        value, sizeof value));
    cr_assert(strncmp(value, "Root=1-", 7) == 0, "%s: trace id %s", file,
              value);
    cr_assert_str_eq(next.reply.body, "{\"warm\":1}", "%s", file);
    lam_reply_free(&next.reply);
    post_response(port, id, "\"served\"");
    pthread_join(thread, NULL);
    cr_assert_eq(first.status, 200, "%s", file);
    cr_assert_str_eq(first.reply.body, "\"served\"", "%s", file);
    lam_reply_free(&first.reply);

    /* With nothing queued, `next` is held open until an invocation comes. */
    next_call waiting = {.port = port};
    pthread_t waiter;
    pthread_create(&waiter, NULL, next_thread, &waiting);
    lam_live_sleep_ms(1500);
    cr_assert_eq(waiting.returned_ms, 0, "%s: next returned with no event",
                 file);
    invoke_call second = {.port = live.port, .payload = "{\"k\":1}"};
    snprintf(second.auth, sizeof second.auth, "%s", first.auth);
    long long sent = now_ms();
    pthread_create(&thread, NULL, invoke_thread, &second);
    pthread_join(waiter, NULL);
    cr_assert_eq(waiting.status, 200, "%s", file);
    cr_assert_geq(waiting.returned_ms, sent, "%s", file);
    cr_assert_str_eq(waiting.reply.body, "{\"k\":1}", "%s", file);
    cr_assert_not_null(lam_reply_header(&waiting.reply,
                                        "Lambda-Runtime-Aws-Request-Id", id,
                                        sizeof id),
                       "%s: no request id", file);
    lam_reply_free(&waiting.reply);
    post_response(port, id, "{\"ok\":true}");
    pthread_join(thread, NULL);
    cr_assert_eq(second.status, 200, "%s", file);
    cr_assert_str_eq(second.reply.body, "{\"ok\":true}", "%s", file);
    lam_reply_free(&second.reply);
}

static void stop_live(void)
{
    if (live.srv)
        lam_live_stop(&live);
    live.srv = NULL;
}

ParameterizedTest(case_param *param, lam_cases, shared_case, .timeout = 60,
                  .fini = stop_live)
{
    if (!param->path[0])
        cr_skip_test("STRATUS_SHARED_DIR is not set or has no "
                     "cases/lambda/*.json; skipping the shared cases");
    if (access("/usr/bin/node", X_OK) != 0 &&
        access("/usr/local/bin/node", X_OK) != 0)
        cr_skip_test("node is not installed; skipping %s", param->path);

    char *text = ts_read_file(param->path);
    cr_assert_not_null(text, "cannot read %s", param->path);
    cJSON *c = cJSON_Parse(text);
    free(text);
    cr_assert_not_null(c, "%s is not JSON", param->path);
    const char *file = strrchr(param->path, '/') + 1;
    const char *kind = str(c, "kind");

    lam_live_start(&live);
    if (strcmp(kind, "lambda-invoke") == 0)
        run_invoke_case(c, file);
    else if (strcmp(kind, "lambda-api") == 0)
        run_api_case(c, file);
    else if (strcmp(kind, "lambda-runtime-api") == 0)
        run_runtime_case(c, file);
    else
        cr_assert_fail("%s: unknown case kind %s", file, kind);
    cJSON_Delete(c);
}
