/*
 * lam_fault.c: faults injected into a function's invocations, in their JSON
 * form and through Stratus's fault endpoint
 * /_stratus/lambda/functions/NAME/fault. Scenarios and tests use them to
 * make a function fail, time out, run slowly or be throttled.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "lam.h"
#include "lam_internal.h"

static const struct {
    const char *name;
    lam_fault_kind kind;
} lam_fault_kinds[] = {
    {"none", LAM_FAULT_NONE},       {"error", LAM_FAULT_ERROR},
    {"timeout", LAM_FAULT_TIMEOUT}, {"throttle", LAM_FAULT_THROTTLE},
    {"latency", LAM_FAULT_LATENCY},
};

static const char *lam_fault_kind_name(lam_fault_kind kind)
{
    for (size_t i = 0; i < sizeof lam_fault_kinds / sizeof *lam_fault_kinds;
         i++)
        if (lam_fault_kinds[i].kind == kind)
            return lam_fault_kinds[i].name;
    return "none";
}

static const char *lam_fault_string(const cJSON *json, const char *member,
                                    aws_error *err)
{
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(json, member);
    if (!value || cJSON_IsNull(value))
        return NULL;
    if (!cJSON_IsString(value)) {
        aws_fail(err, AWS_ERR_VALIDATION, "%s must be a string", member);
        return NULL;
    }
    return value->valuestring;
}

int lam_fault_parse(const cJSON *json, lam_fault *out, aws_error *err)
{
    memset(out, 0, sizeof *out);
    if (!cJSON_IsObject(json))
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "A fault must be a JSON object with a Kind");

    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(json, "Kind");
    if (!cJSON_IsString(kind))
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "Kind is missing: use error, timeout, throttle, "
                        "latency or none");
    size_t i = 0;
    size_t count = sizeof lam_fault_kinds / sizeof *lam_fault_kinds;
    while (i < count && strcmp(lam_fault_kinds[i].name, kind->valuestring))
        i++;
    if (i == count)
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "Invalid Kind '%s': use error, timeout, throttle, "
                        "latency or none",
                        kind->valuestring);
    out->kind = lam_fault_kinds[i].kind;

    const cJSON *times = cJSON_GetObjectItemCaseSensitive(json, "Count");
    out->count = 1;
    if (times && !cJSON_IsNull(times)) {
        if (!cJSON_IsNumber(times) ||
            times->valuedouble != (double)times->valueint)
            return aws_fail(err, AWS_ERR_VALIDATION,
                            "Count must be an integer (negative: every "
                            "invocation)");
        out->count = times->valueint;
    }
    if (out->kind == LAM_FAULT_NONE)
        out->count = 0;

    out->error_type = lam_fault_string(json, "ErrorType", err);
    if (err->code)
        return -1;
    out->message = lam_fault_string(json, "ErrorMessage", err);
    if (err->code)
        return -1;

    const cJSON *latency = cJSON_GetObjectItemCaseSensitive(json, "LatencyMs");
    if (latency && !cJSON_IsNull(latency)) {
        if (!cJSON_IsNumber(latency) || latency->valuedouble < 0)
            return aws_fail(err, AWS_ERR_VALIDATION,
                            "LatencyMs must be a number of milliseconds >= 0");
        out->latency_ms = (int64_t)latency->valuedouble;
    }
    if (out->kind == LAM_FAULT_LATENCY && out->latency_ms == 0)
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "A latency fault needs LatencyMs greater than 0");
    return 0;
}

/* Copy query parameter `name` of `query` into `out` when present. The
 * values used here (account ids, region names) need no decoding. */
static void lam_query_value(const char *query, const char *name, char *out,
                            size_t size)
{
    size_t len = strlen(name);
    for (const char *p = query; p && *p;) {
        if (strncmp(p, name, len) == 0 && p[len] == '=') {
            size_t n = strcspn(p + len + 1, "&");
            if (n < size) {
                memcpy(out, p + len + 1, n);
                out[n] = '\0';
            }
            return;
        }
        p = strchr(p, '&');
        if (p)
            p++;
    }
}

/* Percent-decode the `n` bytes of `in` into `out`. Returns -1 when the
 * result does not fit. */
static int lam_percent_decode(const char *in, size_t n, char *out, size_t size)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = in[i];
        if (c == '%' && i + 2 < n) {
            char hex[3] = {in[i + 1], in[i + 2], '\0'};
            char *end;
            long v = strtol(hex, &end, 16);
            if (*end == '\0') {
                c = (char)v;
                i += 2;
            }
        }
        if (o + 1 >= size)
            return -1;
        out[o++] = c;
    }
    out[o] = '\0';
    return 0;
}

static void lam_fault_reply(http_response *resp, int status, cJSON *body)
{
    char *text = cJSON_PrintUnformatted(body);
    cJSON_Delete(body);
    resp->status = status;
    http_response_header(resp, "Content-Type", "application/json");
    http_response_take_body(resp, text, strlen(text));
}

static void lam_fault_error(http_response *resp, const aws_error *err)
{
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "__type", aws_code_name(err->code));
    cJSON_AddStringToObject(body, "message", err->message);
    lam_fault_reply(resp, aws_code_status(err->code), body);
}

void lam_fault_endpoint(stratus *srv, const http_request *req,
                        http_response *resp)
{
    static const char prefix[] = "/_stratus/lambda/functions/";
    static const char suffix[] = "/fault";
    aws_error err = {0};
    char account[16] = "123456789012", region[32] = "us-east-1";
    char function[256];

    size_t len = strlen(req->path);
    size_t plen = sizeof prefix - 1, slen = sizeof suffix - 1;
    if (len <= plen + slen || strncmp(req->path, prefix, plen) != 0 ||
        strcmp(req->path + len - slen, suffix) != 0 ||
        lam_percent_decode(req->path + plen, len - plen - slen, function,
                           sizeof function) != 0) {
        aws_fail(&err, AWS_ERR_RESOURCE_NOT_FOUND,
                 "Unknown fault path %s: use "
                 "/_stratus/lambda/functions/NAME/fault",
                 req->path);
        lam_fault_error(resp, &err);
        return;
    }
    lam_query_value(req->query, "account", account, sizeof account);
    lam_query_value(req->query, "region", region, sizeof region);

    lam_fault fault = {0};
    if (strcmp(req->method, "PUT") == 0 || strcmp(req->method, "POST") == 0) {
        cJSON *body =
            cJSON_ParseWithLength(req->body ? req->body : "", req->body_len);
        int rc = lam_fault_parse(body, &fault, &err);
        if (rc == 0)
            rc = lam_fault_apply(srv, account, region, function, &fault, &err);
        cJSON_Delete(body);
        if (rc != 0) {
            lam_fault_error(resp, &err);
            aws_error_reset(&err);
            return;
        }
    } else if (strcmp(req->method, "DELETE") == 0) {
        if (lam_fault_apply(srv, account, region, function, &fault, &err) !=
            0) {
            lam_fault_error(resp, &err);
            aws_error_reset(&err);
            return;
        }
    } else if (strcmp(req->method, "GET") != 0) {
        aws_fail(&err, AWS_ERR_VALIDATION,
                 "Method %s is not supported: use GET, PUT or DELETE",
                 req->method);
        lam_fault_error(resp, &err);
        return;
    }

    cJSON *body = cJSON_CreateObject();
    if (lam__fault_describe(srv, account, region, function, body, &err) != 0) {
        cJSON_Delete(body);
        lam_fault_error(resp, &err);
        aws_error_reset(&err);
        return;
    }
    lam_fault_reply(resp, 200, body);
}

const char *lam__fault_kind_name(lam_fault_kind kind)
{
    return lam_fault_kind_name(kind);
}
