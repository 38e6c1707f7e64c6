/*
 * lam_invoke.c: the Invoke operation and the invoke interface of other
 * services.
 *
 * RequestResponse keeps the client's connection open (http_request_defer)
 * until the function returns. A function error is still HTTP 200, with
 * X-Amz-Function-Error: Unhandled and the error object as payload. Event
 * writes a durable job and returns 202. A failed attempt is retried twice,
 * one and then two minutes later, as AWS does by default. DryRun only
 * checks the request and returns 204.
 *
 * Not supported: qualifiers other than $LATEST, event invoke configs
 * (destinations, maximum retry attempts or event age), dead-letter queues
 * and response streaming.
 */
#include "lam_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobs.h"
#include "cw.h"
#include "log.h"

/* Largest Event payload, in bytes (AWS's documented asynchronous quota). */
#define LAM_MAX_EVENT_PAYLOAD (1024 * 1024)

static lam_invocation *
lam_invocation_new(stratus *srv, const char *account, const char *region,
                   lam_function *function, const char *payload, size_t len,
                   const char *client_context, const char *request_id)
{
    lam_invocation *inv = xcalloc(1, sizeof *inv);
    inv->state = lam__state(srv);
    snprintf(inv->account, sizeof inv->account, "%s", account);
    snprintf(inv->region, sizeof inv->region, "%s", region);
    if (request_id)
        snprintf(inv->request_id, sizeof inv->request_id, "%s", request_id);
    else
        stratus_request_id(srv, inv->request_id);
    /* An empty payload reaches the handler as an empty JSON object. */
    if (len == 0) {
        payload = "{}";
        len = 2;
    }
    inv->payload = xstrndup(payload, len);
    inv->payload_len = len;
    inv->client_context = client_context ? xstrdup(client_context) : NULL;
    inv->function = *function;
    memset(function, 0, sizeof *function);
    return inv;
}

/* How long an event that reserved concurrency throttles waits before its
 * next try. NOTE: AWS's retry interval for throttled events is not
 * documented; it keeps trying for up to six hours. */
#define LAM_THROTTLED_RETRY_MS 1000

/* Reject the call when the function has a THROTTLE fault, or when it is
 * synchronous (`sync`) and the function already runs as many invocations
 * as its reserved concurrency allows. */
static int lam_check_throttle(stratus *srv, const char *account,
                              const char *region, const char *name,
                              const lam_function *f, int sync, aws_error *err)
{
    if (lam__fault_take(lam__state(srv), account, region, name, 1) !=
            LAM_FAULT_THROTTLE &&
        !(sync && lam__over_reserved(srv, account, region, name, f->reserved)))
        return 0;
    /* NOTE: a rejected Invoke call rolls back its own writes, this metric
     * included; only throttles of internal invocations are kept. */
    cw_dimension dim = {"FunctionName", name};
    cw_metric_add(srv, account, region, "AWS/Lambda", "Throttles", &dim, 1, 1,
                  "Count");
    cw_metric_add(srv, account, region, "AWS/Lambda", "Throttles", NULL, 0, 1,
                  "Count");
    aws_fail(err, AWS_ERR_TOO_MANY_REQUESTS, NULL);
    err->extra = cJSON_CreateObject();
    cJSON_AddStringToObject(
        err->extra, "Reason",
        "ReservedFunctionConcurrentInvocationLimitExceeded");
    return -1;
}

static int lam_check_payload(const char *payload, size_t len, size_t max,
                             const char *operation, aws_error *err)
{
    if (len > max) {
        aws_fail(err, AWS_ERR_INVOKE_REQUEST_TOO_LARGE,
                 "Request must be smaller than %zu bytes for the %s "
                 "operation",
                 max, operation);
        return -1;
    }
    if (len == 0)
        return 0;
    cJSON *parsed = cJSON_ParseWithLength(payload, len);
    if (!parsed)
        return aws_fail(err, AWS_ERR_INVALID_REQUEST_CONTENT,
                        "Could not parse request body into json: Could not "
                        "parse payload into json: the payload is not valid "
                        "JSON");
    cJSON_Delete(parsed);
    return 0;
}

lam_invocation *lam_invoke(stratus *srv, const char *account,
                           const char *region, const char *function,
                           const char *payload, size_t len,
                           const char *client_context, lam_invoke_cb callback,
                           void *arg, aws_error *err)
{
    char name[72];
    lam_function f;
    if (lam__function_name(function, region, account, name, sizeof name, err) !=
            0 ||
        lam_check_payload(payload, len, LAM_MAX_PAYLOAD, "Invoke", err) != 0 ||
        lam__function_load(srv, account, region, name, &f, err) != 0)
        return NULL;
    if (lam_check_throttle(srv, account, region, name, &f, 1, err) != 0) {
        lam__function_free(&f);
        return NULL;
    }
    lam_invocation *inv = lam_invocation_new(srv, account, region, &f, payload,
                                             len, client_context, NULL);
    inv->callback = callback;
    inv->arg = arg;
    lam__env_submit(inv);
    return inv;
}

/* Write the durable job of an Event invocation of the existing function
 * `name`. */
static int lam_schedule_event(stratus *srv, const char *account,
                              const char *region, const char *name,
                              const char *payload, size_t len,
                              const char *request_id, aws_error *err)
{
    cJSON *job = cJSON_CreateObject();
    cJSON_AddStringToObject(job, "FunctionName", name);
    char *text = xstrndup(len ? payload : "{}", len ? len : 2);
    cJSON_AddStringToObject(job, "Payload", text);
    free(text);
    cJSON_AddStringToObject(job, "RequestId", request_id);
    cJSON_AddNumberToObject(job, "Attempt", 0);
    int rc = jobs_schedule(srv->jobs, LAM_JOB_INVOKE, account, region,
                           clock_now_ms(&srv->clock), job, NULL);
    cJSON_Delete(job);
    if (rc != 0)
        return aws_fail(err, AWS_ERR_INTERNAL_SERVER_ERROR,
                        "cannot queue the event for %s", name);
    log_at(LOG_DEBUG, "lambda", request_id, "%s: event queued", name);
    return 0;
}

int lam_invoke_event(stratus *srv, const char *account, const char *region,
                     const char *function, const char *payload, size_t len,
                     char request_id[37], aws_error *err)
{
    char name[72], id[37];
    lam_function f;
    if (lam__function_name(function, region, account, name, sizeof name, err) !=
            0 ||
        lam_check_payload(payload, len, LAM_MAX_EVENT_PAYLOAD, "InvokeAsync",
                          err) != 0 ||
        lam__function_load(srv, account, region, name, &f, err) != 0)
        return -1;
    lam__function_free(&f);
    stratus_request_id(srv, id);
    if (request_id)
        memcpy(request_id, id, sizeof id);
    return lam_schedule_event(srv, account, region, name, payload, len, id,
                              err);
}

void lam_invocation_detach(lam_invocation *inv)
{
    inv->callback = NULL;
    inv->arg = NULL;
    inv->release = NULL;
}

const char *lam_invocation_request_id(const lam_invocation *inv)
{
    return inv->request_id;
}

/* ---- RequestResponse over a held connection ---- */

typedef struct lam_sync_call {
    http_pending *pending;
    lam_invocation *inv;
    int tail;
} lam_sync_call;

static void lam_sync_abort(void *arg)
{
    lam_sync_call *call = arg;
    log_at(LOG_INFO, "lambda", call->inv->request_id,
           "the caller went away; the invocation runs on");
    lam_invocation_detach(call->inv);
    free(call);
}

static void lam_sync_done(stratus *srv, const lam_result *result, void *arg)
{
    lam_sync_call *call = arg;
    http_response resp;

    http_response_init(&resp);
    resp.status = 200;
    http_response_header(&resp, "x-amzn-RequestId", result->request_id);
    http_response_header(&resp, "Content-Type", "application/json");
    http_response_header(&resp, "X-Amz-Executed-Version", "$LATEST");
    if (result->function_error)
        http_response_header(&resp, "X-Amz-Function-Error",
                             result->function_error);
    if (call->tail) {
        char *b64 = lam__base64((const unsigned char *)result->log_tail,
                                result->log_tail_len);
        http_response_header(&resp, "X-Amz-Log-Result", b64);
        free(b64);
    }
    http_response_body(&resp, result->payload, result->payload_len);
    lam__pending_complete(lam__state(srv), call->pending, &resp);
    http_response_cleanup(&resp);
    free(call);
}

/* ---- Event: the durable job and its retries ---- */

typedef struct lam_async_call {
    char account[13];
    char region[32];
    cJSON *job; /* the job payload, for a retry */
} lam_async_call;

/* Record or forget a started Event attempt. Must run inside a store call. */
static void lam_event_running(stratus *srv, const char *account,
                              const char *region, const char *request_id,
                              const cJSON *job)
{
    sqlite3_stmt *s;
    if (job) {
        char *text = cJSON_PrintUnformatted(job);
        s = store_stmt(srv->store,
                       "INSERT OR REPLACE INTO lam_event_running (request_id,"
                       " account, region, job) VALUES (?1, ?2, ?3, ?4)");
        sqlite3_bind_text(s, 2, account, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, region, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 4, text, -1, SQLITE_TRANSIENT);
        free(text);
    } else {
        s = store_stmt(srv->store,
                       "DELETE FROM lam_event_running WHERE request_id = ?1");
    }
    sqlite3_bind_text(s, 1, request_id, -1, SQLITE_STATIC);
    if (sqlite3_step(s) != SQLITE_DONE)
        log_error("lambda", "cannot record the Event attempt %s: %s",
                  request_id, sqlite3_errmsg(store_db(srv->store)));
    sqlite3_reset(s);
}

int lam__event_recover(stratus *srv)
{
    sqlite3_stmt *s =
        store_stmt(srv->store, "SELECT request_id, account, region, job"
                               " FROM lam_event_running ORDER BY request_id");
    cJSON *rows = cJSON_CreateArray();
    while (sqlite3_step(s) == SQLITE_ROW) {
        cJSON *row = cJSON_CreateObject();
        for (int i = 0; i < 4; i++)
            cJSON_AddStringToObject(row, sqlite3_column_name(s, i),
                                    (const char *)sqlite3_column_text(s, i));
        cJSON_AddItemToArray(rows, row);
    }
    sqlite3_reset(s);

    int count = 0;
    const cJSON *row;
    cJSON_ArrayForEach(row, rows)
    {
        const char *id =
            cJSON_GetObjectItemCaseSensitive(row, "request_id")->valuestring;
        cJSON *job = cJSON_Parse(
            cJSON_GetObjectItemCaseSensitive(row, "job")->valuestring);
        /* The attempt was cut short, not failed: it runs again as it was. */
        if (job &&
            jobs_schedule(
                srv->jobs, LAM_JOB_INVOKE,
                cJSON_GetObjectItemCaseSensitive(row, "account")->valuestring,
                cJSON_GetObjectItemCaseSensitive(row, "region")->valuestring,
                clock_now_ms(&srv->clock), job, NULL) == 0)
            count++;
        lam_event_running(srv, NULL, NULL, id, NULL);
        cJSON_Delete(job);
    }
    cJSON_Delete(rows);
    if (count)
        log_warn("lambda",
                 "%d Event invocations were running when Stratus stopped; "
                 "they run again",
                 count);
    return count;
}

static void lam_async_done(stratus *srv, const lam_result *result, void *arg)
{
    lam_async_call *call = arg;
    const cJSON *attempt_item =
        cJSON_GetObjectItemCaseSensitive(call->job, "Attempt");
    int attempt = cJSON_IsNumber(attempt_item) ? attempt_item->valueint : 0;

    store_call_begin(srv->store);
    lam_event_running(srv, NULL, NULL, result->request_id, NULL);
    store_call_end(srv->store, 1);

    if (result->function_error && attempt < 2) {
        /* AWS retries a failed asynchronous invocation twice by default,
         * one minute and then two minutes later. */
        int64_t delay = attempt == 0 ? 60000 : 120000;
        cJSON_ReplaceItemInObjectCaseSensitive(call->job, "Attempt",
                                               cJSON_CreateNumber(attempt + 1));
        store_call_begin(srv->store);
        int rc = jobs_schedule(srv->jobs, LAM_JOB_INVOKE, call->account,
                               call->region, clock_now_ms(&srv->clock) + delay,
                               call->job, NULL);
        store_call_end(srv->store, rc == 0);
        log_at(LOG_INFO, "lambda", result->request_id,
               "asynchronous invocation failed (%.*s); retry %d in %lld s",
               (int)(result->payload_len > 200 ? 200 : result->payload_len),
               result->payload, attempt + 1, (long long)(delay / 1000));
    } else if (result->function_error) {
        log_at(LOG_WARN, "lambda", result->request_id,
               "asynchronous invocation failed after %d attempts; dropping "
               "the event: %.*s",
               attempt + 1,
               (int)(result->payload_len > 200 ? 200 : result->payload_len),
               result->payload);
    }
    cJSON_Delete(call->job);
    free(call);
}

static void lam_async_release(void *arg)
{
    lam_async_call *call = arg;
    log_at(LOG_INFO, "lambda", NULL,
           "Stratus stopped during an asynchronous invocation; it runs again "
           "at the next start");
    cJSON_Delete(call->job);
    free(call);
}

int64_t lam__invoke_job(stratus *srv, const char *account, const char *region,
                        const cJSON *payload)
{
    const cJSON *name =
        cJSON_GetObjectItemCaseSensitive(payload, "FunctionName");
    const cJSON *event = cJSON_GetObjectItemCaseSensitive(payload, "Payload");
    const cJSON *request_id =
        cJSON_GetObjectItemCaseSensitive(payload, "RequestId");
    aws_error err;
    lam_function f;

    memset(&err, 0, sizeof err);
    if (!cJSON_IsString(name) || !cJSON_IsString(event) ||
        !cJSON_IsString(request_id)) {
        log_error("lambda", "dropping a malformed invoke job");
        return 0;
    }
    if (lam__function_load(srv, account, region, name->valuestring, &f, &err) !=
        0) {
        /* NOTE: AWS would send the event to a configured on-failure
         * destination; Stratus has none yet, so the event is dropped. */
        log_at(LOG_WARN, "lambda", request_id->valuestring,
               "dropping an event for %s: %s", name->valuestring, err.message);
        aws_error_reset(&err);
        return 0;
    }
    /* AWS retries an event its function's reserved concurrency throttles;
     * Stratus tries again a second later. */
    if (lam__over_reserved(srv, account, region, name->valuestring,
                           f.reserved)) {
        log_at(LOG_DEBUG, "lambda", request_id->valuestring,
               "%s is at its reserved concurrency; the event waits",
               name->valuestring);
        lam__function_free(&f);
        return LAM_THROTTLED_RETRY_MS;
    }
    lam_invocation *inv = lam_invocation_new(
        srv, account, region, &f, event->valuestring,
        strlen(event->valuestring), NULL, request_id->valuestring);
    lam_async_call *call = xcalloc(1, sizeof *call);
    snprintf(call->account, sizeof call->account, "%s", account);
    snprintf(call->region, sizeof call->region, "%s", region);
    call->job = cJSON_Duplicate(payload, 1);
    inv->callback = lam_async_done;
    inv->arg = call;
    inv->release = lam_async_release;
    /* The job row goes when this job returns; this row stands for the
     * attempt until it ends. */
    lam_event_running(srv, account, region, request_id->valuestring, payload);
    lam__env_submit(inv);
    return 0;
}

/* ---- the operation ---- */

cJSON *lam_op_invoke(aws_request *req, aws_error *err)
{
    const char *type = http_request_header(req->http, "X-Amz-Invocation-Type");
    const char *log_type = http_request_header(req->http, "X-Amz-Log-Type");
    const char *context =
        http_request_header(req->http, "X-Amz-Client-Context");
    const cJSON *fn_param =
        cJSON_GetObjectItemCaseSensitive(req->params, "FunctionName");
    const cJSON *qualifier =
        cJSON_GetObjectItemCaseSensitive(req->params, "Qualifier");
    const char *payload = req->http->body;
    size_t len = req->http->body_len;
    char name[72];
    lam_function f;

    if (!type)
        type = "RequestResponse";
    if (strcmp(type, "RequestResponse") != 0 && strcmp(type, "Event") != 0 &&
        strcmp(type, "DryRun") != 0)
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "1 validation error detected: Value '%s' at "
                        "'invocationType' failed to satisfy constraint: "
                        "Member must satisfy enum value set: [Event, "
                        "RequestResponse, DryRun]",
                        type),
               NULL;
    if (log_type && strcmp(log_type, "None") != 0 &&
        strcmp(log_type, "Tail") != 0)
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "1 validation error detected: Value '%s' at "
                        "'logType' failed to satisfy constraint: Member must "
                        "satisfy enum value set: [None, Tail]",
                        log_type),
               NULL;
    if (!cJSON_IsString(fn_param))
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "The function name is missing from the path"),
               NULL;
    if (lam__function_name(fn_param->valuestring, req->region, req->account,
                           name, sizeof name, err) != 0)
        return NULL;
    if (cJSON_IsString(qualifier) &&
        strcmp(qualifier->valuestring, "$LATEST") != 0) {
        char arn[256];
        lam__function_arn(req->region, req->account, name, arn, sizeof arn);
        aws_fail(err, AWS_ERR_RESOURCE_NOT_FOUND, "Function not found: %s:%s",
                 arn, qualifier->valuestring);
        err->status = 404;
        return NULL;
    }
    int event = strcmp(type, "Event") == 0;
    if (lam_check_payload(payload, len,
                          event ? LAM_MAX_EVENT_PAYLOAD : LAM_MAX_PAYLOAD,
                          event ? "InvokeAsync" : "Invoke", err) != 0)
        return NULL;
    if (lam__function_load(req->srv, req->account, req->region, name, &f,
                           err) != 0)
        return NULL;

    if (strcmp(type, "DryRun") == 0) {
        lam__function_free(&f);
        req->status = 204;
        req->raw_body = xstrdup("");
        return cJSON_CreateObject();
    }

    if (lam_check_throttle(req->srv, req->account, req->region, name, &f,
                           !event, err) != 0) {
        lam__function_free(&f);
        return NULL;
    }

    if (event) {
        lam__function_free(&f);
        if (lam_schedule_event(req->srv, req->account, req->region, name,
                               payload, len, req->request_id, err) != 0)
            return NULL;
        req->status = 202;
        req->raw_body = xstrdup("");
        return cJSON_CreateObject();
    }

    /* Runtimes get the client context as the JSON it encodes. */
    char *client_context = NULL;
    if (context) {
        size_t clen = 0;
        client_context = (char *)lam__base64_decode(context, &clen);
        cJSON *parsed =
            client_context ? cJSON_ParseWithLength(client_context, clen) : NULL;
        if (!cJSON_IsObject(parsed)) {
            cJSON_Delete(parsed);
            free(client_context);
            lam__function_free(&f);
            return aws_fail(err, AWS_ERR_INVALID_REQUEST_CONTENT,
                            "Client context must be a valid Base64-encoded "
                            "JSON object."),
                   NULL;
        }
        cJSON_Delete(parsed);
    }

    lam_sync_call *call = xcalloc(1, sizeof *call);
    call->tail = log_type && strcmp(log_type, "Tail") == 0;
    call->pending = http_request_defer(req->http, lam_sync_abort, call);
    if (!call->pending) {
        free(call);
        free(client_context);
        lam__function_free(&f);
        return aws_fail(err, AWS_ERR_NOT_IMPLEMENTED,
                        "A RequestResponse Invoke needs a client connection "
                        "to hold; in-process callers use lam_invoke"),
               NULL;
    }
    call->inv =
        lam_invocation_new(req->srv, req->account, req->region, &f, payload,
                           len, client_context, req->request_id);
    free(client_context);
    call->inv->callback = lam_sync_done;
    call->inv->arg = call;
    lam__env_submit(call->inv);
    req->deferred = 1;
    return cJSON_CreateObject();
}
