/*
 * test_lam_live.c: Invoke end to end over real sockets: a custom runtime
 * (a shell `bootstrap` speaking the Runtime API with curl) and Stratus's
 * Node bootstrap, with results, function errors, timeouts, crashes, log
 * tails, warm reuse and concurrent environments.
 */
#include "lam_live.h"

#include <openssl/evp.h>

/* A custom runtime: echoes the event with its environment, or misbehaves
 * when the event contains a keyword (crash, sleep, nap, fail). Stops after 1000
 * events or when the Runtime API goes away. */
static const char echo_bootstrap[] =
    "#!/bin/sh\n"
    "api=\"http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime\"\n"
    "work=\"$LAMBDA_TASK_ROOT/work.$$\"\n"
    "mkdir -p \"$work\"\n"
    "echo \"bootstrap $$ starting\" >&2\n"
    "n=0\n"
    "while [ \"$n\" -lt 1000 ]; do\n"
    "  n=$((n + 1))\n"
    "  curl -sS -D \"$work/h\" -o \"$work/e\" \"$api/invocation/next\" || "
    "exit 0\n"
    "  id=$(grep -i '^lambda-runtime-aws-request-id:' \"$work/h\" | cut -d' ' "
    "-f2 | tr -d '\\r')\n"
    "  deadline=$(grep -i '^lambda-runtime-deadline-ms:' \"$work/h\" | cut "
    "-d' ' -f2 | tr -d '\\r')\n"
    "  event=$(cat \"$work/e\")\n"
    "  echo \"handling $id\" >&2\n"
    "  case \"$event\" in\n"
    "    *crash*) exit 3 ;;\n"
    "    *sleep*) sleep 5 ;;\n"
    "    *nap*) sleep 1 ;;\n"
    "  esac\n"
    "  [ -n \"$RECORD\" ] && echo \"$id\" >> \"$RECORD\"\n"
    "  case \"$event\" in\n"
    "    *fail*) curl -sS -X POST --data-binary "
    "'{\"errorType\":\"Custom.Failure\",\"errorMessage\":\"failed on "
    "purpose\",\"trace\":[]}' \"$api/invocation/$id/error\" >/dev/null ;;\n"
    "    *) printf '{\"event\":%s,\"pid\":%s,\"name\":\"%s\",\"region\":\"%s\","
    "\"endpoint\":\"%s\",\"root\":\"%s\",\"handler\":\"%s\",\"group\":\"%s\","
    "\"tz\":\"%s\",\"key\":\"%s\",\"deadline\":%s}' \"$event\" \"$$\" "
    "\"$AWS_LAMBDA_FUNCTION_NAME\" \"$AWS_REGION\" \"$AWS_ENDPOINT_URL\" "
    "\"$LAMBDA_TASK_ROOT\" \"$_HANDLER\" \"$AWS_LAMBDA_LOG_GROUP_NAME\" "
    "\"$TZ\" \"$AWS_ACCESS_KEY_ID\" \"$deadline\" > \"$work/r\"\n"
    "       curl -sS -X POST --data-binary @\"$work/r\" "
    "\"$api/invocation/$id/response\" >/dev/null ;;\n"
    "  esac\n"
    "done\n";

static const char node_esm_handler[] =
    "export const handler = async (event, context) => {\n"
    "  if (event.throw) throw new Error('failure');\n"
    "  console.log('node handling', context.awsRequestId);\n"
    "  return { echo: event, fn: context.functionName,\n"
    "    arn: context.invokedFunctionArn,\n"
    "    remaining: context.getRemainingTimeInMillis(),\n"
    "    memory: context.memoryLimitInMB, version: context.functionVersion,\n"
    "    group: context.logGroupName, env: process.env.AWS_EXECUTION_ENV,\n"
    "    client: context.clientContext ?? null };\n"
    "};\n";

static const char node_cjs_handler[] =
    "exports.handler = (event, context, callback) => {\n"
    "  if (event.fail) return callback(new Error('boom'));\n"
    "  callback(null, { cjs: true, id: context.awsRequestId });\n"
    "};\n";

static lam_live live;

static int have_tools(void)
{
    return access("/usr/bin/curl", X_OK) == 0 &&
           (access("/usr/bin/node", X_OK) == 0 ||
            access("/usr/local/bin/node", X_OK) == 0);
}

static void require_tools(void)
{
    if (!have_tools())
        cr_skip_test("curl or node is not installed; skipping");
}

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

TestSuite(lam_live, .init = setup, .fini = teardown, .timeout = 60);

static void echo_function(const char *name, const char *extra)
{
    char dir[128];
    lam_live_subdir(&live, name, dir, sizeof dir);
    lam_live_write(dir, "bootstrap", echo_bootstrap, 0755);
    lam_live_create(&live, name, "provided.al2023", "echo.handler", dir, extra);
}

static cJSON *parse(const lam_reply *r)
{
    cJSON *out = cJSON_ParseWithLength(r->body, r->body_len);
    cr_assert_not_null(out, "not JSON: %s", r->body);
    return out;
}

static const char *str(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static double num(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

Test(lam_live, custom_runtime_echoes_event)
{
    require_tools();
    lam_reply r;
    char value[128], endpoint[64];
    echo_function("echo", NULL);

    long long before = now_ms();
    cr_assert_eq(lam_live_invoke(&live, "echo", "{\"k\":1}", NULL, &r), 200);
    cr_assert_null(
        lam_reply_header(&r, "X-Amz-Function-Error", value, sizeof value));
    cr_assert_str_eq(
        lam_reply_header(&r, "X-Amz-Executed-Version", value, sizeof value),
        "$LATEST");
    cJSON *out = parse(&r);
    cr_assert_eq(num(cJSON_GetObjectItemCaseSensitive(out, "event"), "k"), 1);
    cr_assert_str_eq(str(out, "name"), "echo");
    cr_assert_str_eq(str(out, "region"), "us-east-1");
    snprintf(endpoint, sizeof endpoint, "http://127.0.0.1:%d", live.port);
    cr_assert_str_eq(str(out, "endpoint"), endpoint);
    cr_assert_str_eq(str(out, "handler"), "echo.handler");
    cr_assert_str_eq(str(out, "group"), "/aws/lambda/echo");
    cr_assert_str_eq(str(out, "tz"), ":UTC");
    /* The execution role's temporary key that Stratus issued. */
    cr_assert_eq(strncmp(str(out, "key"), "ASIA", 4), 0, "key %s",
                 str(out, "key"));
    cr_assert_eq(strlen(str(out, "key")), 20, "key %s", str(out, "key"));
    cr_assert_not_null(strstr(str(out, "root"), "/echo"));
    /* The deadline is absolute: invoke time plus the 3-second timeout. */
    double deadline = num(out, "deadline");
    cr_assert_geq(deadline, (double)before + 2500);
    cr_assert_leq(deadline, (double)now_ms() + 3500);
    cJSON_Delete(out);
    lam_reply_free(&r);
}

/* A function whose bootstrap is the C runtime client built beside the
 * tests (tests/emulator/lambda/runtime_c/bootstrap.c). */
static void c_function(const char *name)
{
    char dir[128], link[160];
    lam_live_subdir(&live, name, dir, sizeof dir);
    snprintf(link, sizeof link, "%s/bootstrap", dir);
    cr_assert_eq(symlink(STRATUS_C_BOOTSTRAP, link), 0, "%s", link);
    lam_live_create(&live, name, "provided.al2023", "c.handler", dir, NULL);
}

Test(lam_live, c_runtime_echoes_and_fails)
{
    lam_reply r;
    char value[128];
    c_function("crt");

    for (int i = 0; i < 3; i++) {
        cr_assert_eq(lam_live_invoke(&live, "crt", "{\"n\":[1,2,3]}", NULL, &r),
                     200);
        cr_assert_null(
            lam_reply_header(&r, "X-Amz-Function-Error", value, sizeof value));
        cr_assert_str_eq(r.body, "{\"n\":[1,2,3]}");
        lam_reply_free(&r);
    }

    cr_assert_eq(lam_live_invoke(&live, "crt", "{\"fail\":true}", NULL, &r),
                 200);
    cr_assert_str_eq(
        lam_reply_header(&r, "X-Amz-Function-Error", value, sizeof value),
        "Unhandled");
    cJSON *out = parse(&r);
    cr_assert_str_eq(str(out, "errorType"), "CRuntimeError");
    cr_assert_str_eq(str(out, "errorMessage"), "the event asked to fail");
    cJSON_Delete(out);
    lam_reply_free(&r);
    cr_assert_eq(lam_environment_count(live.srv), 1, "the environment is warm");
}

Test(lam_live, warm_environment_is_reused)
{
    require_tools();
    lam_reply a, b;
    echo_function("warm", NULL);
    cr_assert_eq(lam_live_invoke(&live, "warm", "{}", NULL, &a), 200);
    cr_assert_eq(lam_live_invoke(&live, "warm", "{}", NULL, &b), 200);
    cJSON *x = parse(&a), *y = parse(&b);
    cr_assert_eq(num(x, "pid"), num(y, "pid"));
    cJSON_Delete(x);
    cJSON_Delete(y);
    lam_reply_free(&a);
    lam_reply_free(&b);
}

typedef struct concurrent_call {
    const char *name;
    lam_reply reply;
    int status;
} concurrent_call;

static void *invoke_thread(void *arg)
{
    concurrent_call *c = arg;
    char path[128];
    snprintf(path, sizeof path, "/2015-03-31/functions/%s/invocations",
             c->name);
    if (lam_http(live.port, "POST", path, LAM_LIVE_AUTH, "{\"nap\":1}", 20000,
                 &c->reply) == 0)
        c->status = c->reply.status;
    return NULL;
}

Test(lam_live, concurrent_invocations_get_separate_environments)
{
    require_tools();
    echo_function("busy", NULL);
    concurrent_call calls[2] = {{.name = "busy"}, {.name = "busy"}};
    pthread_t threads[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&threads[i], NULL, invoke_thread, &calls[i]);
    for (int i = 0; i < 2; i++)
        pthread_join(threads[i], NULL);
    cr_assert_eq(calls[0].status, 200);
    cr_assert_eq(calls[1].status, 200);
    cJSON *x = parse(&calls[0].reply), *y = parse(&calls[1].reply);
    cr_assert_neq(num(x, "pid"), num(y, "pid"));
    cJSON_Delete(x);
    cJSON_Delete(y);
    lam_reply_free(&calls[0].reply);
    lam_reply_free(&calls[1].reply);
}

Test(lam_live, function_error_is_200_unhandled)
{
    require_tools();
    lam_reply r;
    char value[64];
    echo_function("failing", NULL);
    cr_assert_eq(lam_live_invoke(&live, "failing", "{\"fail\":1}", NULL, &r),
                 200);
    cr_assert_str_eq(
        lam_reply_header(&r, "X-Amz-Function-Error", value, sizeof value),
        "Unhandled");
    cJSON *out = parse(&r);
    cr_assert_str_eq(str(out, "errorType"), "Custom.Failure");
    cr_assert_str_eq(str(out, "errorMessage"), "failed on purpose");
    cJSON_Delete(out);
    lam_reply_free(&r);
}

Test(lam_live, timeout_kills_environment)
{
    require_tools();
    lam_reply r;
    char value[64], request_id[64], expected[160];
    echo_function("slow", "\"Timeout\":1");

    long long before = now_ms();
    cr_assert_eq(lam_live_invoke(&live, "slow", "{\"sleep\":1}", NULL, &r),
                 200);
    long long took = now_ms() - before;
    cr_assert_geq(took, 900);
    cr_assert_lt(took, 4500);
    cr_assert_str_eq(
        lam_reply_header(&r, "X-Amz-Function-Error", value, sizeof value),
        "Unhandled");
    lam_reply_header(&r, "x-amzn-RequestId", request_id, sizeof request_id);
    cJSON *out = parse(&r);
    cr_assert_str_eq(str(out, "errorType"), "Sandbox.Timedout");
    snprintf(expected, sizeof expected,
             "RequestId: %s Error: Task timed out after 1.00 seconds",
             request_id);
    cr_assert_str_eq(str(out, "errorMessage"), expected);
    cJSON_Delete(out);
    lam_reply_free(&r);

    /* A new environment serves the next invocation. */
    cr_assert_eq(lam_live_invoke(&live, "slow", "{\"k\":2}", NULL, &r), 200);
    cr_assert_null(
        lam_reply_header(&r, "X-Amz-Function-Error", value, sizeof value));
    lam_reply_free(&r);
}

Test(lam_live, crash_is_runtime_exit_error)
{
    require_tools();
    lam_reply r;
    char value[64], request_id[64], expected[160];
    echo_function("crashy", NULL);
    cr_assert_eq(lam_live_invoke(&live, "crashy", "{\"crash\":1}", NULL, &r),
                 200);
    cr_assert_str_eq(
        lam_reply_header(&r, "X-Amz-Function-Error", value, sizeof value),
        "Unhandled");
    lam_reply_header(&r, "x-amzn-RequestId", request_id, sizeof request_id);
    cJSON *out = parse(&r);
    cr_assert_str_eq(str(out, "errorType"), "Runtime.ExitError");
    snprintf(expected, sizeof expected,
             "RequestId: %s Error: Runtime exited with error: exit status 3",
             request_id);
    cr_assert_str_eq(str(out, "errorMessage"), expected);
    cJSON_Delete(out);
    lam_reply_free(&r);
}

Test(lam_live, log_tail_has_report_lines)
{
    require_tools();
    lam_reply r;
    char tail[8192], request_id[64], line[160];
    echo_function("logs", NULL);
    cr_assert_eq(
        lam_live_invoke(&live, "logs", "{}", "X-Amz-Log-Type: Tail\r\n", &r),
        200);
    cr_assert_not_null(
        lam_reply_header(&r, "X-Amz-Log-Result", tail, sizeof tail));
    lam_reply_header(&r, "x-amzn-RequestId", request_id, sizeof request_id);
    unsigned char decoded[8192];
    int n = EVP_DecodeBlock(decoded, (const unsigned char *)tail,
                            (int)strlen(tail));
    cr_assert_gt(n, 0);
    decoded[n] = '\0';
    const char *text = (const char *)decoded;
    cr_assert_not_null(strstr(text, "starting\n"), "%s", text);
    snprintf(line, sizeof line, "START RequestId: %s Version: $LATEST\n",
             request_id);
    cr_assert_not_null(strstr(text, line), "%s", text);
    snprintf(line, sizeof line, "handling %s\n", request_id);
    cr_assert_not_null(strstr(text, line), "%s", text);
    snprintf(line, sizeof line, "END RequestId: %s\n", request_id);
    cr_assert_not_null(strstr(text, line), "%s", text);
    snprintf(line, sizeof line, "REPORT RequestId: %s\tDuration: ", request_id);
    cr_assert_not_null(strstr(text, line), "%s", text);
    cr_assert_not_null(strstr(text, "Init Duration: "), "%s", text);
    lam_reply_free(&r);
}

Test(lam_live, missing_bootstrap_is_reported)
{
    require_tools();
    lam_reply r;
    char dir[128];
    lam_live_subdir(&live, "empty", dir, sizeof dir);
    lam_live_create(&live, "empty", "provided.al2", "x.y", dir, NULL);
    cr_assert_eq(lam_live_invoke(&live, "empty", "{}", NULL, &r), 200);
    cJSON *out = parse(&r);
    cr_assert_str_eq(str(out, "errorType"), "Runtime.InvalidEntrypoint");
    cr_assert_not_null(
        strstr(str(out, "errorMessage"), "Couldn't find valid bootstrap(s)"));
    cJSON_Delete(out);
    lam_reply_free(&r);
}

Test(lam_live, node_esm_handler_runs)
{
    require_tools();
    lam_reply r;
    char dir[128], value[64];
    lam_live_subdir(&live, "esm", dir, sizeof dir);
    lam_live_write(dir, "index.mjs", node_esm_handler, 0644);
    lam_live_create(&live, "esm", "nodejs20.x", "index.handler", dir,
                    "\"MemorySize\":256,\"Timeout\":10");

    cr_assert_eq(lam_live_invoke(&live, "esm", "{\"a\":[1,2]}", NULL, &r), 200);
    cJSON *out = parse(&r);
    cr_assert_str_eq(str(out, "fn"), "esm");
    cr_assert_str_eq(str(out, "arn"),
                     "arn:aws:lambda:us-east-1:123456789012:function:esm");
    cr_assert_str_eq(str(out, "memory"), "256");
    cr_assert_str_eq(str(out, "version"), "$LATEST");
    cr_assert_str_eq(str(out, "group"), "/aws/lambda/esm");
    cr_assert_str_eq(str(out, "env"), "AWS_Lambda_nodejs20.x");
    cr_assert_gt(num(out, "remaining"), 5000);
    cr_assert_leq(num(out, "remaining"), 10000);
    const cJSON *echo = cJSON_GetObjectItemCaseSensitive(out, "echo");
    cr_assert_eq(
        cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(echo, "a")), 2);
    cJSON_Delete(out);
    lam_reply_free(&r);

    /* The client context arrives decoded: base64 of {"custom":{"a":1}}. */
    cr_assert_eq(lam_live_invoke(&live, "esm", "{}",
                                 "X-Amz-Client-Context: "
                                 "eyJjdXN0b20iOnsiYSI6MX19\r\n",
                                 &r),
                 200);
    out = parse(&r);
    const cJSON *client = cJSON_GetObjectItemCaseSensitive(out, "client");
    cr_assert_eq(num(cJSON_GetObjectItemCaseSensitive(client, "custom"), "a"),
                 1, "%s", r.body);
    cJSON_Delete(out);
    lam_reply_free(&r);

    cr_assert_eq(lam_live_invoke(&live, "esm", "{\"throw\":true}", NULL, &r),
                 200);
    cr_assert_str_eq(
        lam_reply_header(&r, "X-Amz-Function-Error", value, sizeof value),
        "Unhandled");
    out = parse(&r);
    cr_assert_str_eq(str(out, "errorType"), "Error");
    cr_assert_str_eq(str(out, "errorMessage"), "failure");
    cr_assert(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(out, "trace")));
    cJSON_Delete(out);
    lam_reply_free(&r);
}

Test(lam_live, node_callback_handler_runs)
{
    require_tools();
    lam_reply r;
    char dir[128], value[64];
    lam_live_subdir(&live, "cjs", dir, sizeof dir);
    lam_live_write(dir, "app.js", node_cjs_handler, 0644);
    lam_live_create(&live, "cjs", "nodejs22.x", "app.handler", dir,
                    "\"Timeout\":10");

    cr_assert_eq(lam_live_invoke(&live, "cjs", "{}", NULL, &r), 200);
    cJSON *out = parse(&r);
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(out, "cjs")));
    cr_assert_eq(strlen(str(out, "id")), 36);
    cJSON_Delete(out);
    lam_reply_free(&r);

    cr_assert_eq(lam_live_invoke(&live, "cjs", "{\"fail\":1}", NULL, &r), 200);
    cr_assert_str_eq(
        lam_reply_header(&r, "X-Amz-Function-Error", value, sizeof value),
        "Unhandled");
    out = parse(&r);
    cr_assert_str_eq(str(out, "errorMessage"), "boom");
    cJSON_Delete(out);
    lam_reply_free(&r);
}

Test(lam_live, node_missing_handler_is_init_error)
{
    require_tools();
    lam_reply r;
    char dir[128];
    lam_live_subdir(&live, "nohandler", dir, sizeof dir);
    lam_live_write(dir, "index.mjs", "export const other = 1;\n", 0644);
    lam_live_create(&live, "nohandler", "nodejs20.x", "index.handler", dir,
                    "\"Timeout\":10");
    cr_assert_eq(lam_live_invoke(&live, "nohandler", "{}", NULL, &r), 200);
    cJSON *out = parse(&r);
    cr_assert_str_eq(str(out, "errorType"), "Runtime.HandlerNotFound");
    cr_assert_str_eq(str(out, "errorMessage"),
                     "index.handler is undefined or not exported");
    cJSON_Delete(out);
    lam_reply_free(&r);
}

Test(lam_live, zip_code_runs_on_node)
{
    require_tools();
    lam_reply r;
    const char *body =
        "{\"FunctionName\":\"zipped\",\"Runtime\":\"nodejs20.x\",\"Role\":"
        "\"arn:aws:iam::123456789012:role/r\",\"Handler\":\"index.handler\","
        "\"Timeout\":10,\"Code\":{\"ZipFile\":\"UEsDBBQAAAAAAAAAIVxMzgStPQAAA"
        "D0AAAAJAAAAaW5kZXgubWpzZXhwb3J0IGNvbnN0IGhhbmRsZXIgPSBhc3luYyAoZXZlb"
        "nQpID0+ICh7IHppcHBlZDogZXZlbnQgfSk7ClBLAQIUAxQAAAAAAAAAIVxMzgStPQAAA"
        "D0AAAAJAAAAAAAAAAAAAACkAQAAAABpbmRleC5tanNQSwUGAAAAAAEAAQA3AAAAZAAAA"
        "AAA\"}}";
    cr_assert_eq(lam_live_api(&live, "POST", "/2015-03-31/functions", NULL,
                              body, 5000, &r),
                 201, "%s", r.body);
    lam_reply_free(&r);
    cr_assert_eq(lam_live_invoke(&live, "zipped", "{\"z\":1}", NULL, &r), 200);
    cr_assert_str_eq(r.body, "{\"zipped\":{\"z\":1}}");
    lam_reply_free(&r);
}

Test(lam_live, update_restarts_environment)
{
    require_tools();
    lam_reply a, b, u;
    echo_function("changing", "\"Environment\":{\"Variables\":{\"A\":\"1\"}}");
    cr_assert_eq(lam_live_invoke(&live, "changing", "{}", NULL, &a), 200);
    cr_assert_eq(lam_live_api(&live, "PUT",
                              "/2015-03-31/functions/changing/configuration",
                              NULL, "{\"Description\":\"v2\"}", 5000, &u),
                 200);
    cr_assert_eq(lam_live_invoke(&live, "changing", "{}", NULL, &b), 200);
    cJSON *x = parse(&a), *y = parse(&b);
    cr_assert_neq(num(x, "pid"), num(y, "pid"));
    cJSON_Delete(x);
    cJSON_Delete(y);
    lam_reply_free(&a);
    lam_reply_free(&b);
    lam_reply_free(&u);
}

Test(lam_live, crash_during_init_fails_invocation)
{
    require_tools();
    lam_reply r;
    char dir[128], request_id[64], expected[160];
    lam_live_subdir(&live, "initcrash", dir, sizeof dir);
    lam_live_write(dir, "bootstrap",
                   "#!/bin/sh\necho 'cannot start' >&2\nexit 7\n", 0755);
    lam_live_create(&live, "initcrash", "provided.al2023", "x.y", dir, NULL);
    cr_assert_eq(lam_live_invoke(&live, "initcrash", "{}",
                                 "X-Amz-Log-Type: Tail\r\n", &r),
                 200);
    lam_reply_header(&r, "x-amzn-RequestId", request_id, sizeof request_id);
    cJSON *out = parse(&r);
    cr_assert_str_eq(str(out, "errorType"), "Runtime.ExitError");
    snprintf(expected, sizeof expected,
             "RequestId: %s Error: Runtime exited with error: exit status 7",
             request_id);
    cr_assert_str_eq(str(out, "errorMessage"), expected);
    cJSON_Delete(out);

    /* The init output reaches the log tail. */
    char tail[4096];
    cr_assert_not_null(
        lam_reply_header(&r, "X-Amz-Log-Result", tail, sizeof tail));
    unsigned char decoded[4096];
    int n = EVP_DecodeBlock(decoded, (const unsigned char *)tail,
                            (int)strlen(tail));
    cr_assert_gt(n, 0);
    decoded[n] = '\0';
    cr_assert_not_null(strstr((const char *)decoded, "cannot start"), "%s",
                       decoded);
    lam_reply_free(&r);
}

Test(lam_live, unsupported_runtime_is_reported)
{
    require_tools();
    lam_reply r;
    char dir[128];
    lam_live_subdir(&live, "python", dir, sizeof dir);
    lam_live_create(&live, "python", "python3.12", "app.handler", dir, NULL);
    cr_assert_eq(lam_live_invoke(&live, "python", "{}", NULL, &r), 200);
    cJSON *out = parse(&r);
    cr_assert_str_eq(str(out, "errorType"), "Runtime.Unavailable");
    cr_assert_not_null(strstr(str(out, "errorMessage"), "python3.12"));
    cJSON_Delete(out);
    lam_reply_free(&r);
}

/* A bootstrap that only publishes its Runtime API address, so the test
 * can act as the runtime. */
static const char parked_bootstrap[] =
    "#!/bin/sh\n"
    "echo \"$AWS_LAMBDA_RUNTIME_API\" > \"$LAMBDA_TASK_ROOT/api.tmp\"\n"
    "mv \"$LAMBDA_TASK_ROOT/api.tmp\" \"$LAMBDA_TASK_ROOT/api\"\n"
    "exec sleep 60\n";

typedef struct held_invoke {
    const char *payload;
    lam_reply reply;
    int status;
} held_invoke;

static void *held_invoke_thread(void *arg)
{
    held_invoke *h = arg;
    if (lam_http(live.port, "POST", "/2015-03-31/functions/parked/invocations",
                 LAM_LIVE_AUTH, h->payload, 20000, &h->reply) == 0)
        h->status = h->reply.status;
    return NULL;
}

static int parked_port(const char *dir)
{
    char path[256];
    snprintf(path, sizeof path, "%s/api", dir);
    for (int i = 0; i < 1000; i++) {
        FILE *f = fopen(path, "r");
        if (f) {
            char text[64] = "";
            char *ok = fgets(text, sizeof text, f);
            fclose(f);
            const char *colon = ok ? strrchr(text, ':') : NULL;
            if (colon && atoi(colon + 1) > 0)
                return atoi(colon + 1);
        }
        lam_live_sleep_ms(10);
    }
    return 0;
}

Test(lam_live, runtime_api_checks_requests)
{
    require_tools();
    char dir[128], id[64], path[256];
    lam_reply r;
    lam_live_subdir(&live, "parked", dir, sizeof dir);
    lam_live_write(dir, "bootstrap", parked_bootstrap, 0755);
    lam_live_create(&live, "parked", "provided.al2023", "x.y", dir,
                    "\"Timeout\":10");

    held_invoke h = {.payload = "{\"n\":1}"};
    pthread_t thread;
    pthread_create(&thread, NULL, held_invoke_thread, &h);
    int port = parked_port(dir);
    cr_assert_gt(port, 0, "the bootstrap did not start");

    cr_assert_eq(lam_http(port, "GET", "/2018-06-01/runtime/invocation/next",
                          NULL, NULL, 5000, &r),
                 0);
    cr_assert_eq(r.status, 200);
    cr_assert_not_null(
        lam_reply_header(&r, "Lambda-Runtime-Aws-Request-Id", id, sizeof id));
    lam_reply_free(&r);

    /* A response for another request id is rejected. */
    cr_assert_eq(
        lam_http(port, "POST",
                 "/2018-06-01/runtime/invocation/not-this-one/response", NULL,
                 "{}", 5000, &r),
        0);
    cr_assert_eq(r.status, 400);
    cr_assert_not_null(strstr(r.body, "InvalidRequestID"), "%s", r.body);
    lam_reply_free(&r);

    /* So is a path outside the Runtime API. */
    cr_assert_eq(lam_http(port, "GET", "/2018-06-01/runtime/elsewhere", NULL,
                          NULL, 5000, &r),
                 0);
    cr_assert_eq(r.status, 404);
    lam_reply_free(&r);

    /* An error whose body is not JSON is wrapped, its type taken from the
     * Lambda-Runtime-Function-Error-Type header. */
    snprintf(path, sizeof path, "/2018-06-01/runtime/invocation/%s/error", id);
    cr_assert_eq(lam_http(port, "POST", path,
                          "Lambda-Runtime-Function-Error-Type: "
                          "Custom.Plain\r\n",
                          "plain text failure", 5000, &r),
                 0);
    cr_assert_eq(r.status, 202);
    lam_reply_free(&r);

    pthread_join(thread, NULL);
    cr_assert_eq(h.status, 200);
    cJSON *out = parse(&h.reply);
    cr_assert_str_eq(str(out, "errorType"), "Custom.Plain");
    cr_assert_str_eq(str(out, "errorMessage"), "plain text failure");
    cJSON_Delete(out);
    lam_reply_free(&h.reply);

    /* A request id takes only one result. */
    snprintf(path, sizeof path, "/2018-06-01/runtime/invocation/%s/response",
             id);
    cr_assert_eq(lam_http(port, "POST", path, NULL, "{}", 5000, &r), 0);
    cr_assert_eq(r.status, 400);
    lam_reply_free(&r);
}

Test(lam_live, oversized_response_is_function_error)
{
    require_tools();
    char dir[128], id[64], path[256];
    lam_reply r;
    lam_live_subdir(&live, "parked", dir, sizeof dir);
    lam_live_write(dir, "bootstrap", parked_bootstrap, 0755);
    lam_live_create(&live, "parked", "provided.al2023", "x.y", dir,
                    "\"Timeout\":10");

    held_invoke h = {.payload = "{}"};
    pthread_t thread;
    pthread_create(&thread, NULL, held_invoke_thread, &h);
    int port = parked_port(dir);
    cr_assert_gt(port, 0, "the bootstrap did not start");
    cr_assert_eq(lam_http(port, "GET", "/2018-06-01/runtime/invocation/next",
                          NULL, NULL, 5000, &r),
                 0);
    cr_assert_not_null(
        lam_reply_header(&r, "Lambda-Runtime-Aws-Request-Id", id, sizeof id));
    lam_reply_free(&r);

    /* One byte over AWS's limit of 6291556 bytes, as a JSON string. */
    size_t size = 6291557;
    char *big = xmalloc(size + 1);
    memset(big, 'x', size);
    big[0] = '"';
    big[size - 1] = '"';
    big[size] = '\0';
    snprintf(path, sizeof path, "/2018-06-01/runtime/invocation/%s/response",
             id);
    cr_assert_eq(lam_http(port, "POST", path, NULL, big, 10000, &r), 0);
    free(big);
    cr_assert_eq(r.status, 413);
    lam_reply_free(&r);

    pthread_join(thread, NULL);
    cr_assert_eq(h.status, 200);
    cJSON *out = parse(&h.reply);
    cr_assert_str_eq(str(out, "errorType"), "Function.ResponseSizeTooLarge");
    cr_assert_str_eq(str(out, "errorMessage"),
                     "Response payload size exceeded maximum allowed payload "
                     "size (6291556 bytes).");
    cJSON_Delete(out);
    lam_reply_free(&h.reply);
}
