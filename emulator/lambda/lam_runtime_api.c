/*
 * lam_runtime_api.c: the Lambda Runtime API as each environment's listener
 * serves it: GET /2018-06-01/runtime/invocation/next (held open until an
 * invocation is queued), POST .../invocation/{id}/response and .../error,
 * and POST /2018-06-01/runtime/init/error. The Host header's port names the
 * environment that is asking.
 *
 * Not served: the Extensions and Telemetry APIs, and response streaming.
 */
#include "lam_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static void lam_runtime_reply(http_response *resp, int status, const char *json)
{
    resp->status = status;
    http_response_header(resp, "Content-Type", "application/json");
    http_response_body(resp, json, strlen(json));
}

static void lam_on_next_abort(void *arg)
{
    lam_env *env = arg;
    env->next_pending = NULL;
}

static void lam_on_idle(uv_timer_t *t)
{
    lam_env *env = t->data;
    if (!env->inv) {
        log_at(LOG_DEBUG, "lambda", NULL,
               "%s environment on port %d idle, stopping", env->fn->name,
               env->port);
        lam__env_kill(env);
    }
}

static void lam_runtime_next(lam_env *env, const http_request *req,
                             http_response *resp)
{
    if (env->next_pending) {
        lam_runtime_reply(resp, 400,
                          "{\"errorType\":\"InvalidRequest\",\"errorMessage\":"
                          "\"this environment already waits in next\"}");
        return;
    }
    if (env->inv && !env->inv->done) {
        char message[160];
        snprintf(message, sizeof message,
                 "RequestId: %s Error: the runtime asked for the next event "
                 "without answering this one",
                 env->inv->request_id);
        lam__invocation_fail(env->inv, "Runtime.NoResponse", message);
    }
    if (env->served == 0 && env->init_ms == 0)
        env->init_ms = lam__monotonic_ms() - (double)env->spawned_ms;
    env->next_pending = http_request_defer(req, lam_on_next_abort, env);
    if (!env->next_pending) {
        lam_runtime_reply(resp, 500,
                          "{\"errorType\":\"Runtime.Unavailable\","
                          "\"errorMessage\":\"next needs a connection\"}");
        return;
    }
    uv_timer_start(&env->idle_timer, lam_on_idle, (uint64_t)env->state->idle_ms,
                   0);
    if (env->retired) {
        lam__env_kill(env);
        return;
    }
    lam__dispatch(env->fn);
    if (!env->inv)
        lam__dispatch_others(env->state, env->fn);
}

/* The error object a runtime posted, made sure to be a JSON object. */
static char *lam_error_payload(const http_request *req, size_t *len)
{
    cJSON *body = cJSON_ParseWithLength(req->body, req->body_len);
    if (!cJSON_IsObject(body)) {
        const char *type =
            http_request_header(req, "Lambda-Runtime-Function-Error-Type");
        cJSON_Delete(body);
        body = cJSON_CreateObject();
        cJSON_AddStringToObject(body, "errorType",
                                type ? type : "Runtime.Unknown");
        char *text = xstrndup(req->body, req->body_len);
        cJSON_AddStringToObject(body, "errorMessage", text);
        free(text);
    }
    char *out = cJSON_PrintUnformatted(body);
    cJSON_Delete(body);
    *len = strlen(out);
    return out;
}

static void lam_runtime_result(lam_env *env, const http_request *req,
                               const char *request_id, int is_error,
                               http_response *resp)
{
    lam_invocation *inv = env->inv;
    if (!inv || inv->done || strcmp(inv->request_id, request_id) != 0) {
        lam_runtime_reply(resp, 400,
                          "{\"errorType\":\"InvalidRequestID\","
                          "\"errorMessage\":\"Invalid request ID\"}");
        return;
    }
    if (is_error) {
        size_t len = 0;
        char *payload = lam_error_payload(req, &len);
        lam__invocation_complete(inv, "Unhandled", payload, len);
        free(payload);
    } else if (req->body_len > LAM_MAX_RESPONSE) {
        char message[160];
        snprintf(message, sizeof message,
                 "Response payload size exceeded maximum allowed payload "
                 "size (%d bytes).",
                 LAM_MAX_RESPONSE);
        lam__invocation_fail(inv, "Function.ResponseSizeTooLarge", message);
        /* The Runtime API's status for an oversized body. */
        lam_runtime_reply(resp, 413,
                          "{\"errorType\":\"RequestEntityTooLarge\","
                          "\"errorMessage\":\"the response exceeds the "
                          "maximum payload size\"}");
        return;
    } else {
        lam__invocation_complete(inv, NULL, req->body, req->body_len);
    }
    lam_runtime_reply(resp, 202, "{\"status\":\"OK\"}");
}

static void lam_runtime_init_error(lam_env *env, const http_request *req,
                                   http_response *resp)
{
    lam_invocation *victim = env->inv ? env->inv : env->fn->queue_head;
    if (victim) {
        size_t len = 0;
        char *payload = lam_error_payload(req, &len);
        lam__log_append(&victim->log,
                        env->init_log.data ? env->init_log.data : "",
                        env->init_log.len);
        lam__invocation_complete(victim, "Unhandled", payload, len);
        free(payload);
    }
    env->served++; /* its failure is reported; the exit must not repeat it */
    lam__env_kill(env);
    lam_runtime_reply(resp, 202, "{\"status\":\"OK\"}");
}

void lam__runtime_handle(stratus *srv, const http_request *req,
                         http_response *resp, int *needs_commit)
{
    lam_state *st = lam__state(srv);
    const char *host = http_request_header(req, "Host");
    const char *colon = host ? strrchr(host, ':') : NULL;
    lam_env *env = colon ? lam__env_by_port(st, atoi(colon + 1)) : NULL;
    cJSON *params = cJSON_CreateObject();

    *needs_commit = 0;
    if (!env) {
        lam_runtime_reply(resp, 400,
                          "{\"errorType\":\"InvalidRequest\",\"errorMessage\":"
                          "\"the Host header names no Runtime API port of "
                          "this instance\"}");
    } else if (strcmp(req->method, "GET") == 0 &&
               aws_path_match("/2018-06-01/runtime/invocation/next", req->path,
                              params)) {
        lam_runtime_next(env, req, resp);
    } else if (strcmp(req->method, "POST") == 0 &&
               aws_path_match("/2018-06-01/runtime/invocation/{id}/response",
                              req->path, params)) {
        lam_runtime_result(
            env, req,
            cJSON_GetObjectItemCaseSensitive(params, "id")->valuestring, 0,
            resp);
    } else if (strcmp(req->method, "POST") == 0 &&
               aws_path_match("/2018-06-01/runtime/invocation/{id}/error",
                              req->path, params)) {
        lam_runtime_result(
            env, req,
            cJSON_GetObjectItemCaseSensitive(params, "id")->valuestring, 1,
            resp);
    } else if (strcmp(req->method, "POST") == 0 &&
               aws_path_match("/2018-06-01/runtime/init/error", req->path,
                              params)) {
        lam_runtime_init_error(env, req, resp);
    } else {
        lam_runtime_reply(resp, 404,
                          "{\"errorType\":\"InvalidRequest\",\"errorMessage\":"
                          "\"not a Runtime API path\"}");
    }
    cJSON_Delete(params);
}
