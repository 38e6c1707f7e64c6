/*
 * bedrock_faults.c: injected faults for Converse, set from C
 * (bedrock_fault_set) or over HTTP at /_stratus/bedrock/faults.
 *
 * A fault has a kind, the number of calls it still applies to and a
 * latency. Each Converse call takes one unit of the count; when the count
 * reaches 0 the fault ends and calls succeed again.
 */
#include "bedrock_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"

static const struct {
    const char *kind;
    aws_code code;
    const char *message;
} bedrock_fault_kinds[] = {
    {"none", AWS_OK, NULL},
    /* The text AWS sends for throttled Bedrock Runtime calls. */
    {"throttling", AWS_ERR_THROTTLING,
     "Too many requests, please wait before trying again."},
    {"model-error", AWS_ERR_BEDROCK_MODEL_ERROR,
     "The model returned an error. Try your request again."},
    {"internal", AWS_ERR_INTERNAL_SERVER,
     "The server encountered an internal error while processing the "
     "request."},
    {"unavailable", AWS_ERR_SERVICE_UNAVAILABLE,
     "The service is temporarily unavailable. Try again later."},
    {"timeout", AWS_ERR_BEDROCK_MODEL_TIMEOUT,
     "Model has timed out in processing the request. Try your request "
     "again."},
};

#define BEDROCK_FAULT_KIND_COUNT                                               \
    (sizeof bedrock_fault_kinds / sizeof *bedrock_fault_kinds)

const char *bedrock__fault_message(aws_code code)
{
    for (size_t i = 0; i < BEDROCK_FAULT_KIND_COUNT; i++)
        if (bedrock_fault_kinds[i].code == code)
            return bedrock_fault_kinds[i].message;
    return "";
}

int bedrock_fault_set(stratus *srv, const char *kind, int count, int latency_ms)
{
    bedrock_state *st = bedrock__state(srv);
    size_t i = 0;

    while (i < BEDROCK_FAULT_KIND_COUNT &&
           strcmp(bedrock_fault_kinds[i].kind, kind ? kind : "") != 0)
        i++;
    if (i == BEDROCK_FAULT_KIND_COUNT || latency_ms < 0)
        return -1;
    snprintf(st->fault.kind, sizeof st->fault.kind, "%s", kind);
    st->fault.code = bedrock_fault_kinds[i].code;
    st->fault.count = count;
    st->fault.latency_ms = count == 0 ? 0 : latency_ms;
    log_info("bedrock", "fault set: %s for %d calls, %d ms latency", kind,
             count, st->fault.latency_ms);
    return 0;
}

void bedrock__fault_take(bedrock_state *st, bedrock_fault *out)
{
    *out = st->fault;
    if (st->fault.count == 0) {
        out->count = 0;
        return;
    }
    if (st->fault.count > 0 && --st->fault.count == 0)
        log_info("bedrock", "fault %s used up; responding normally again",
                 st->fault.kind);
}

/* ---- the HTTP endpoint ---- */

#define BEDROCK_FAULTS_PATH "/_stratus/bedrock/faults"

static void bedrock_faults_reply(http_response *resp, int status, cJSON *body)
{
    char *text = cJSON_PrintUnformatted(body);
    cJSON_Delete(body);
    resp->status = status;
    http_response_header(resp, "Content-Type", "application/json");
    http_response_take_body(resp, text, strlen(text));
}

static void bedrock_faults_error(http_response *resp, int status,
                                 const char *message)
{
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "message", message);
    bedrock_faults_reply(resp, status, body);
}

static cJSON *bedrock_fault_json(const bedrock_fault *f)
{
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "kind", f->count ? f->kind : "none");
    cJSON_AddNumberToObject(body, "count", f->count);
    cJSON_AddNumberToObject(body, "latencyMs", f->latency_ms);
    return body;
}

/* Set the fault from a POST body {"kind", "count", "latencyMs"}. */
static void bedrock_faults_post(stratus *srv, const http_request *req,
                                http_response *resp)
{
    cJSON *body =
        cJSON_ParseWithLength(req->body ? req->body : "", req->body_len);
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(body, "kind");
    const cJSON *count = cJSON_GetObjectItemCaseSensitive(body, "count");
    const cJSON *latency = cJSON_GetObjectItemCaseSensitive(body, "latencyMs");
    char message[256];

    if (!cJSON_IsObject(body) || !cJSON_IsString(kind) ||
        (count && !cJSON_IsNumber(count)) ||
        (latency && !cJSON_IsNumber(latency))) {
        cJSON_Delete(body);
        bedrock_faults_error(resp, 400,
                             "The body must be a JSON object with a string "
                             "\"kind\" and optional numbers \"count\" "
                             "(default 1) and \"latencyMs\" (default 0)");
        return;
    }
    int calls = count ? (int)count->valuedouble : 1;
    int delay = latency ? (int)latency->valuedouble : 0;
    if (bedrock_fault_set(srv, kind->valuestring, calls, delay) != 0) {
        snprintf(message, sizeof message,
                 "Invalid fault: kind \"%s\" with latencyMs %d. Kinds are "
                 "none, throttling, model-error, internal, unavailable and "
                 "timeout; latencyMs must not be negative",
                 kind->valuestring, delay);
        cJSON_Delete(body);
        bedrock_faults_error(resp, 400, message);
        return;
    }
    cJSON_Delete(body);
    bedrock_faults_reply(resp, 200,
                         bedrock_fault_json(&bedrock__state(srv)->fault));
}

int bedrock_faults_handle(stratus *srv, const http_request *req,
                          http_response *resp)
{
    if (strcmp(req->path, BEDROCK_FAULTS_PATH) != 0)
        return 0;
    if (strcmp(req->method, "GET") == 0) {
        bedrock_faults_reply(resp, 200,
                             bedrock_fault_json(&bedrock__state(srv)->fault));
    } else if (strcmp(req->method, "POST") == 0) {
        bedrock_faults_post(srv, req, resp);
    } else if (strcmp(req->method, "DELETE") == 0) {
        bedrock_fault_set(srv, "none", 0, 0);
        bedrock_faults_reply(resp, 200,
                             bedrock_fault_json(&bedrock__state(srv)->fault));
    } else {
        http_response_header(resp, "Allow", "GET, POST, DELETE");
        bedrock_faults_error(resp, 405,
                             "Use GET, POST or DELETE on " BEDROCK_FAULTS_PATH);
    }
    return 1;
}
