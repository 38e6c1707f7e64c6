/*
 * apigw_serve.c: one request on the HTTP API port, from route selection
 * to the response: CORS preflight, JWT authorizer, the payload 2.0 event,
 * the Lambda invocation with the integration timeout, and the mapping of
 * its result.
 *
 * Gateway-made responses carry API Gateway's bodies: 404 {"message":"Not
 * Found"}, 401 {"message":"Unauthorized"}, 403 {"message":"Forbidden"},
 * 429 {"message":"Too Many Requests"} (stage throttling), 500
 * {"message":"Internal Server Error"} and 503 {"message":"Service
 * Unavailable"}. Every response has the apigw-requestid header.
 */
#include "apigw_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "lam.h"
#include "log.h"
#include "util.h"

/* A request waiting for its Lambda integration. */
typedef struct apigw_exchange {
    stratus *srv;
    apigw_done_fn done;
    void *arg;
    lam_invocation *inv;
    uv_timer_t timer;
    char request_id[20];
    char *origin;
    cJSON *cors;
    char function[256];
} apigw_exchange;

/* An AWS-shaped request id: 11 bytes of a new request id in base64, like
 * "Mc7UVioPPHcEKPA=". */
static void apigw_request_id(stratus *srv, char out[20])
{
    char uuid[37];
    unsigned char bytes[11];
    stratus_request_id(srv, uuid);
    for (size_t i = 0, j = 0; i < sizeof bytes && uuid[j]; j++) {
        if (uuid[j] == '-')
            continue;
        /* Two hex digits per byte; the UUID has 16 bytes, 11 are taken. */
        char hex[3] = {uuid[j], uuid[j + 1], 0};
        bytes[i++] = (unsigned char)strtoul(hex, NULL, 16);
        j++;
    }
    char *b64 = apigw__base64(bytes, sizeof bytes);
    snprintf(out, 20, "%s", b64);
    free(b64);
}

static void apigw_message(http_response *resp, int status, const char *message)
{
    char body[96];
    int len = snprintf(body, sizeof body, "{\"message\":\"%s\"}", message);
    resp->status = status;
    http_response_header(resp, "Content-Type", "application/json");
    http_response_body(resp, body, (size_t)len);
}

/* Add the request id and the CORS headers, then hand the response over. */
static void apigw_finish(stratus *srv, const char *request_id,
                         const cJSON *cors, const char *origin,
                         http_response *resp, apigw_done_fn done, void *arg)
{
    apigw__cors_apply(cors, origin, resp);
    http_response_header(resp, "apigw-requestid", request_id);
    done(srv, resp, arg);
}

static void apigw_exchange_free(uv_handle_t *h)
{
    apigw_exchange *ex = h->data;
    free(ex->origin);
    cJSON_Delete(ex->cors);
    free(ex);
}

/* End the exchange: send `resp` unless it was cancelled, close the timer. */
static void apigw_exchange_end(apigw_exchange *ex, http_response *resp)
{
    if (ex->done)
        apigw_finish(ex->srv, ex->request_id, ex->cors, ex->origin, resp,
                     ex->done, ex->arg);
    ex->done = NULL;
    ex->inv = NULL;
    uv_timer_stop(&ex->timer);
    uv_close((uv_handle_t *)&ex->timer, apigw_exchange_free);
}

static void apigw_on_result(stratus *srv, const lam_result *result, void *arg)
{
    apigw_exchange *ex = arg;
    http_response resp;
    http_response_init(&resp);
    if (result->function_error) {
        log_at(LOG_INFO, "apigw", ex->request_id,
               "%s returned a function error: %.*s", ex->function,
               (int)(result->payload_len > 300 ? 300 : result->payload_len),
               result->payload);
        apigw_message(&resp, 500, "Internal Server Error");
    } else if (apigw__response_map(result->payload, result->payload_len,
                                   &resp) != 0) {
        log_at(LOG_INFO, "apigw", ex->request_id,
               "%s returned an invalid format 2.0 response: %.*s", ex->function,
               (int)(result->payload_len > 300 ? 300 : result->payload_len),
               result->payload);
        http_response_cleanup(&resp);
        http_response_init(&resp);
        apigw_message(&resp, 500, "Internal Server Error");
    }
    apigw_exchange_end(ex, &resp);
    http_response_cleanup(&resp);
}

static void apigw_on_timeout(uv_timer_t *t)
{
    apigw_exchange *ex = t->data;
    log_at(LOG_INFO, "apigw", ex->request_id,
           "%s did not answer within the integration timeout; the invocation "
           "runs on",
           ex->function);
    if (ex->inv)
        lam_invocation_detach(ex->inv);
    http_response resp;
    http_response_init(&resp);
    apigw_message(&resp, 503, "Service Unavailable");
    apigw_exchange_end(ex, &resp);
    http_response_cleanup(&resp);
}

/* Drop a waiting exchange whose client went away. */
static void apigw_exchange_cancel(apigw_exchange *ex)
{
    if (ex->inv)
        lam_invocation_detach(ex->inv);
    ex->done = NULL;
    ex->inv = NULL;
    uv_timer_stop(&ex->timer);
    uv_close((uv_handle_t *)&ex->timer, apigw_exchange_free);
}

/* The API a request addresses: the one whose id starts the Host header
 * ("<apiId>.execute-api...."), else the first one created. */
static cJSON *apigw_api_for(stratus *srv, const http_request *req,
                            char account[13], char region[32])
{
    const char *host = http_request_header(req, "Host");
    if (host) {
        char id[16];
        size_t n = strcspn(host, ".:");
        if (n > 0 && n < sizeof id && host[n] == '.') {
            memcpy(id, host, n);
            id[n] = '\0';
            cJSON *api = apigw__api_load(srv, id, account, region);
            if (api)
                return api;
        }
    }
    return apigw__api_load(srv, NULL, account, region);
}

static const cJSON *apigw_authorizer_of(const cJSON *api, const cJSON *route)
{
    const char *id = cJSON_GetStringValue(
        cJSON_GetObjectItemCaseSensitive(route, "AuthorizerId"));
    const cJSON *a;
    cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(api, "Authorizers"))
    {
        const char *aid = cJSON_GetStringValue(
            cJSON_GetObjectItemCaseSensitive(a, "AuthorizerId"));
        if (id && aid && strcmp(id, aid) == 0)
            return a;
    }
    return NULL;
}

/*
 * The body of apigw_handle. Returns the waiting exchange, or NULL when
 * `done` already ran.
 */
static apigw_exchange *apigw_serve(stratus *srv, const http_request *req,
                                   apigw_done_fn done, void *arg)
{
    char request_id[20], account[13] = "", region[32] = "";
    apigw_request_id(srv, request_id);
    http_response resp;
    http_response_init(&resp);

    cJSON *api = apigw_api_for(srv, req, account, region);
    const cJSON *cors =
        api ? cJSON_GetObjectItemCaseSensitive(api, "CorsConfiguration") : NULL;
    const char *origin = http_request_header(req, "Origin");
    if (api && apigw__cors_preflight(cors, req, &resp)) {
        apigw_finish(srv, request_id, NULL, NULL, &resp, done, arg);
        goto out;
    }

    if (api && !apigw__throttle_take(srv, api)) {
        log_at(LOG_INFO, "apigw", request_id, "%s %s: throttled by the stage",
               req->method, req->path);
        apigw_message(&resp, 429, "Too Many Requests");
        apigw_finish(srv, request_id, cors, origin, &resp, done, arg);
        goto out;
    }

    apigw_match match;
    memset(&match, 0, sizeof match);
    if (!api || !apigw__route_match(api, req->method, req->path, &match)) {
        apigw_message(&resp, 404, "Not Found");
        apigw_finish(srv, request_id, cors, origin, &resp, done, arg);
        goto out;
    }

    apigw_auth_result auth;
    memset(&auth, 0, sizeof auth);
    const char *auth_type = cJSON_GetStringValue(
        cJSON_GetObjectItemCaseSensitive(match.route, "AuthorizationType"));
    if (auth_type && strcmp(auth_type, "JWT") == 0) {
        const cJSON *authorizer = apigw_authorizer_of(api, match.route);
        int64_t now_s = clock_now_ms(&srv->clock) / 1000;
        if (authorizer)
            apigw__jwt_authorize(authorizer, match.route, req, now_s, &auth);
        else
            auth.status = 401;
        if (auth.status) {
            log_at(LOG_INFO, "apigw", request_id, "%s %s: %d %s", req->method,
                   req->path, auth.status,
                   auth.challenge[0] ? auth.challenge : "(no token)");
            if (auth.challenge[0])
                http_response_header(&resp, "www-authenticate", auth.challenge);
            apigw_message(&resp, auth.status,
                          auth.status == 403 ? "Forbidden" : "Unauthorized");
            apigw_finish(srv, request_id, cors, origin, &resp, done, arg);
            cJSON_Delete(match.path_parameters);
            goto out;
        }
    }

    cJSON *event =
        apigw__event_build(srv, api, account, req, &match, request_id, &auth);
    cJSON_Delete(auth.claims);
    cJSON_Delete(auth.scopes);
    cJSON_Delete(match.path_parameters);
    char *payload = cJSON_PrintUnformatted(event);
    cJSON_Delete(event);

    apigw_exchange *ex = xcalloc(1, sizeof *ex);
    ex->srv = srv;
    ex->done = done;
    ex->arg = arg;
    snprintf(ex->request_id, sizeof ex->request_id, "%s", request_id);
    ex->origin = origin ? xstrdup(origin) : NULL;
    ex->cors = cors ? cJSON_Duplicate(cors, 1) : NULL;
    const char *target = cJSON_GetStringValue(
        cJSON_GetObjectItemCaseSensitive(match.route, "Target"));
    snprintf(ex->function, sizeof ex->function, "%s", target ? target : "");
    const cJSON *timeout =
        cJSON_GetObjectItemCaseSensitive(match.route, "TimeoutInMillis");
    uint64_t timeout_ms = cJSON_IsNumber(timeout)
                              ? (uint64_t)timeout->valuedouble
                              : APIGW_MAX_TIMEOUT_MS;

    aws_error err;
    memset(&err, 0, sizeof err);
    ex->inv = lam_invoke(srv, account, region, ex->function, payload,
                         strlen(payload), NULL, apigw_on_result, ex, &err);
    free(payload);
    uv_timer_init(&srv->loop, &ex->timer);
    ex->timer.data = ex;
    if (!ex->inv) {
        log_at(LOG_WARN, "apigw", request_id, "cannot invoke %s: %s: %s",
               ex->function, aws_code_name(err.code), err.message);
        /* A rejected Invoke, throttling included, is an integration error:
         * the Lambda developer guide's page on API Gateway errors gives 500
         * for it, not the 429 of the gateway's own throttling. */
        apigw_message(&resp, 500, "Internal Server Error");
        aws_error_reset(&err);
        apigw_exchange_end(ex, &resp);
        goto out;
    }
    log_at(LOG_DEBUG, "apigw", request_id, "%s %s: invoking %s as %s",
           req->method, req->path, ex->function,
           lam_invocation_request_id(ex->inv));
    uv_timer_start(&ex->timer, apigw_on_timeout, timeout_ms, 0);
    cJSON_Delete(api);
    http_response_cleanup(&resp);
    return ex;

out:
    cJSON_Delete(api);
    http_response_cleanup(&resp);
    return NULL;
}

void apigw_handle(stratus *srv, const http_request *req, apigw_done_fn done,
                  void *arg)
{
    apigw_serve(srv, req, done, arg);
}

/* ---- the listener ---- */

/* A listener request, completed inline or over a deferred connection. */
typedef struct apigw_http_call {
    http_response *inline_resp; /* while the handler runs */
    http_pending *pending;
    apigw_exchange *exchange;
} apigw_http_call;

static void apigw_http_done(stratus *srv, http_response *resp, void *arg)
{
    apigw_http_call *call = arg;
    if (call->inline_resp) {
        /* Move the response into the listener's. */
        http_response_cleanup(call->inline_resp);
        *call->inline_resp = *resp;
        http_response_init(resp);
        return;
    }
    http_pending_complete(call->pending, resp);
    free(call);
}

static void apigw_http_abort(void *arg)
{
    apigw_http_call *call = arg;
    apigw_exchange_cancel(call->exchange);
    free(call);
}

void apigw_http_handler(stratus *srv, const http_request *req,
                        http_response *resp, int *needs_commit)
{
    *needs_commit = 0; /* the gateway writes nothing to the store */
    apigw_http_call *call = xcalloc(1, sizeof *call);
    call->inline_resp = resp;
    apigw_exchange *ex = apigw_serve(srv, req, apigw_http_done, call);
    call->inline_resp = NULL;
    if (!ex) {
        free(call);
        return;
    }
    call->exchange = ex;
    call->pending = http_request_defer(req, apigw_http_abort, call);
    if (!call->pending) {
        /* Only in-process callers have no connection; they use
         * apigw_handle instead. */
        char request_id[20];
        apigw_exchange_cancel(ex);
        free(call);
        apigw_request_id(srv, request_id);
        apigw_message(resp, 500, "Internal Server Error");
        http_response_header(resp, "apigw-requestid", request_id);
    }
}

/* ---- stage throttling ---- */

int apigw__throttle_take(stratus *srv, const cJSON *api)
{
    const cJSON *settings =
        cJSON_GetObjectItemCaseSensitive(api, "DefaultRouteSettings");
    const cJSON *burst =
        cJSON_GetObjectItemCaseSensitive(settings, "ThrottlingBurstLimit");
    const cJSON *rate =
        cJSON_GetObjectItemCaseSensitive(settings, "ThrottlingRateLimit");
    if (!cJSON_IsNumber(burst) && !cJSON_IsNumber(rate))
        return 1;
    /* An unset limit does not restrict, as in AWS where the account's
     * limits then apply. */
    double capacity = cJSON_IsNumber(burst) ? burst->valuedouble : 1e9;
    double per_second = cJSON_IsNumber(rate) ? rate->valuedouble : 1e9;
    const char *id =
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(api, "ApiId"));

    apigw_state *st = apigw__state(srv);
    apigw_bucket *b = st->buckets;
    while (b && strcmp(b->api_id, id) != 0)
        b = b->next;
    uint64_t now = uv_now(&srv->loop);
    if (!b) {
        b = xcalloc(1, sizeof *b);
        snprintf(b->api_id, sizeof b->api_id, "%s", id);
        b->tokens = capacity;
        b->refilled_ms = now;
        b->next = st->buckets;
        st->buckets = b;
    }
    b->tokens += (double)(now - b->refilled_ms) / 1000.0 * per_second;
    if (b->tokens > capacity)
        b->tokens = capacity;
    b->refilled_ms = now;
    if (b->tokens < 1.0)
        return 0;
    b->tokens -= 1.0;
    return 1;
}
