/*
 * iam_test.h: helpers shared by the IAM and STS tests: Query requests
 * (form-encoded, XML responses) and JSON requests signed with a chosen
 * access key, pushed through the real dispatcher.
 */
#ifndef STRATUS_IAM_TEST_H
#define STRATUS_IAM_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "aws.h"
#include "http.h"
#include "stratus.h"
#include "ts.h"
#include "util.h"

/* One response: status and body text (the caller frees `body`). */
typedef struct iam_test_response {
    int status;
    char *body;
} iam_test_response;

static inline iam_test_response iam_test_send(stratus *srv,
                                              http_header *headers,
                                              size_t count, const char *body)
{
    http_request req = {
        .method = "POST",
        .path = "/",
        .query = "",
        .headers = headers,
        .header_count = count,
        .body = body,
        .body_len = strlen(body),
        .remote_addr = "127.0.0.1",
    };
    http_response resp;
    int needs_commit = 0;
    http_response_init(&resp);
    aws_dispatch(srv, &req, &resp, &needs_commit);
    stratus_turn_end(srv);
    iam_test_response out = {
        .status = resp.status,
        .body = resp.body ? xstrndup(resp.body, resp.body_len) : xstrdup(""),
    };
    http_response_cleanup(&resp);
    return out;
}

/* A Query request (`form` is "Action=...&...") to `service` ("iam" or
 * "sts") signed with `access_key`. */
static inline iam_test_response iam_test_query(stratus *srv,
                                               const char *service,
                                               const char *access_key,
                                               const char *form)
{
    char auth[256];
    snprintf(auth, sizeof auth,
             "AWS4-HMAC-SHA256 Credential=%s/20260101/us-east-1/%s/"
             "aws4_request, SignedHeaders=host, Signature=00",
             access_key, service);
    http_header headers[] = {
        {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
        {"Authorization", auth},
    };
    return iam_test_send(srv, headers, 2, form);
}

/* An IAM Query request with the tests' default (administrator) key. */
static inline iam_test_response iam_test_iam(stratus *srv, const char *form)
{
    return iam_test_query(srv, "iam", "AKIDTEST", form);
}

/* A JSON request with `target` signed with `access_key` for `service`. */
static inline iam_test_response iam_test_json(stratus *srv, const char *service,
                                              const char *access_key,
                                              const char *target,
                                              const char *body)
{
    char auth[256];
    snprintf(auth, sizeof auth,
             "AWS4-HMAC-SHA256 Credential=%s/20260101/us-east-1/%s/"
             "aws4_request, SignedHeaders=host, Signature=00",
             access_key, service);
    http_header headers[] = {
        {"X-Amz-Target", (char *)target},
        {"Content-Type", "application/x-amz-json-1.0"},
        {"Authorization", auth},
    };
    return iam_test_send(srv, headers, 3, body);
}

/* Check that a request succeeded (`operation` names it in the failure
 * message) and drop its response. */
static inline void iam_test_ok(iam_test_response r, const char *operation)
{
    cr_assert_eq(r.status, 200, "%s failed with %d: %s", operation, r.status,
                 r.body);
    free(r.body);
}

/* The text of the first <tag> element of `xml` into `out` ("" if none). */
static inline const char *iam_test_element(const char *xml, const char *tag,
                                           char *out, size_t size)
{
    char open[128], close[128];
    snprintf(open, sizeof open, "<%s>", tag);
    snprintf(close, sizeof close, "</%s>", tag);
    const char *start = strstr(xml, open);
    const char *end = start ? strstr(start, close) : NULL;
    out[0] = '\0';
    if (start && end) {
        start += strlen(open);
        snprintf(out, size, "%.*s", (int)(end - start), start);
    }
    return out;
}

#endif
