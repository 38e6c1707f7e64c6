/*
 * cw_test.h: helpers of the CloudWatch tests: JSON 1.0 and Query calls
 * through the real dispatcher with the response headers kept.
 */
#ifndef STRATUS_CW_TEST_H
#define STRATUS_CW_TEST_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "aws.h"
#include "http.h"
#include "stratus.h"
#include "ts.h"
#include "util.h"

#define CW_ACCOUNT "123456789012"
#define CW_REGION "us-east-1"

/* One dispatched call: status, body and the x-amzn-query-error header. */
typedef struct cw_reply {
    int status;
    char *body;
    char query_error[160];
} cw_reply;

static inline void cw_reply_free(cw_reply *r)
{
    free(r->body);
    r->body = NULL;
}

/* Send a request with the given headers and body and end the turn. */
static inline void cw_send(stratus *srv, http_header *headers, size_t n,
                           const char *body, cw_reply *out)
{
    http_request req = {
        .method = "POST",
        .path = "/",
        .query = "",
        .headers = headers,
        .header_count = n,
        .body = body,
        .body_len = strlen(body),
        .remote_addr = "127.0.0.1",
    };
    http_response resp;
    int needs_commit = 0;
    http_response_init(&resp);
    aws_dispatch(srv, &req, &resp, &needs_commit);
    stratus_turn_end(srv);
    out->status = resp.status;
    out->body = xstrndup(resp.body ? resp.body : "", resp.body_len);
    out->query_error[0] = '\0';
    for (size_t i = 0; i < resp.header_count; i++)
        if (strcmp(resp.headers[i].name, "x-amzn-query-error") == 0)
            snprintf(out->query_error, sizeof out->query_error, "%s",
                     resp.headers[i].value);
    http_response_cleanup(&resp);
}

/* A JSON 1.0 call of operation `op`; the body is printf-formatted. */
static inline cJSON *cw_json(stratus *srv, const char *op, cw_reply *reply,
                             const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static inline cJSON *cw_json(stratus *srv, const char *op, cw_reply *reply,
                             const char *fmt, ...)
{
    char target[96], body[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(body, sizeof body, fmt, ap);
    va_end(ap);
    snprintf(target, sizeof target, "GraniteServiceVersion20100801.%s", op);
    http_header headers[] = {
        {"X-Amz-Target", target},
        {"Content-Type", "application/x-amz-json-1.0"},
        {"x-amzn-query-mode", "true"},
        {"Authorization",
         "AWS4-HMAC-SHA256 Credential=AKIDTEST/20260101/us-east-1/"
         "monitoring/aws4_request, SignedHeaders=host, Signature=00"},
    };
    cw_send(srv, headers, sizeof headers / sizeof *headers, body, reply);
    return cJSON_Parse(reply->body);
}

/* A JSON call that must succeed; returns the parsed body. */
static inline cJSON *cw_ok(stratus *srv, const char *op, const char *body)
{
    cw_reply r;
    cJSON *out = cw_json(srv, op, &r, "%s", body);
    cr_assert_eq(r.status, 200, "%s %s: %d %s", op, body, r.status, r.body);
    cw_reply_free(&r);
    return out;
}

/* A Query (form-encoded) call; returns the XML text in `reply->body`. */
static inline void cw_query(stratus *srv, const char *form, cw_reply *reply)
{
    http_header headers[] = {
        {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
        {"Authorization",
         "AWS4-HMAC-SHA256 Credential=AKIDTEST/20260101/us-east-1/"
         "monitoring/aws4_request, SignedHeaders=host, Signature=00"},
    };
    cw_send(srv, headers, sizeof headers / sizeof *headers, form, reply);
}

static inline const char *cw_str(const cJSON *obj, const char *name)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(m) ? m->valuestring : NULL;
}

static inline double cw_number(const cJSON *obj, const char *name)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, name);
    cr_assert(cJSON_IsNumber(m), "member %s is not a number", name);
    return m->valuedouble;
}

/* Run due jobs up to `until_ms` on the virtual clock, one minute at a
 * time (alarm jobs reschedule themselves, so this stops at `until_ms`). */
static inline void cw_advance(stratus *srv, int64_t until_ms)
{
    for (int i = 0; i < 100000; i++) {
        jobs_run_due(srv->jobs);
        stratus_turn_end(srv);
        int64_t next = jobs_next_due(srv->jobs);
        if (next < 0 || next > until_ms)
            break;
        clock_advance_to(&srv->clock, next);
    }
    clock_advance_to(&srv->clock, until_ms);
    jobs_run_due(srv->jobs);
    stratus_turn_end(srv);
}

#endif
