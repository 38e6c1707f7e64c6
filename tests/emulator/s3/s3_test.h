/*
 * s3_test.h: request helpers shared by the S3 tests: raw requests with
 * chosen headers and bodies through the real dispatcher, and lookups in
 * XML bodies and response headers.
 */
#ifndef STRATUS_S3_TEST_H
#define STRATUS_S3_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <criterion/criterion.h>

#include "aws.h"
#include "http.h"
#include "stratus.h"
#include "ts.h"
#include "util.h"

/*
 * Send one request signed with `access_key` (NULL: unsigned). `target` is
 * "/path?query"; `headers` is a NULL-ended list of name, value pairs (may
 * be NULL). The response is moved into `out`, which the caller cleans up.
 */
static inline void s3t_send_as(stratus *srv, const char *access_key,
                               const char *method, const char *target,
                               const char *const *headers, const char *body,
                               size_t body_len, http_response *out)
{
    http_header list[32];
    size_t n = 0;
    char auth[256];
    if (access_key) {
        snprintf(auth, sizeof auth,
                 "AWS4-HMAC-SHA256 Credential=%s/20260101/us-east-1/s3/"
                 "aws4_request, SignedHeaders=host, Signature=00",
                 access_key);
        list[n].name = "Authorization";
        list[n].value = auth;
        n++;
    }
    for (size_t i = 0; headers && headers[i] && n < 32; i += 2) {
        list[n].name = (char *)headers[i];
        list[n].value = (char *)headers[i + 1];
        n++;
    }
    const char *mark = strchr(target, '?');
    char *path =
        mark ? xstrndup(target, (size_t)(mark - target)) : xstrdup(target);
    http_request req = {
        .method = method,
        .path = path,
        .query = mark ? mark + 1 : "",
        .headers = list,
        .header_count = n,
        .body = body ? body : "",
        .body_len = body ? body_len : 0,
        .remote_addr = "127.0.0.1",
    };
    int needs_commit = 0;
    http_response_init(out);
    aws_dispatch(srv, &req, out, &needs_commit);
    stratus_turn_end(srv);
    free(path);
}

/* s3t_send_as with the test key (signed) or no Authorization header. */
static inline void s3t_send(stratus *srv, const char *method,
                            const char *target, const char *const *headers,
                            const char *body, size_t body_len, int is_signed,
                            http_response *out)
{
    s3t_send_as(srv, is_signed ? "AKIDTEST" : NULL, method, target, headers,
                body, body_len, out);
}

/* Send a signed request with a text body and return its status. */
static inline int s3t_status(stratus *srv, const char *method,
                             const char *target, const char *body)
{
    http_response r;
    s3t_send(srv, method, target, NULL, body, body ? strlen(body) : 0, 1, &r);
    int status = r.status;
    http_response_cleanup(&r);
    return status;
}

static inline const char *s3t_header(const http_response *r, const char *name)
{
    for (size_t i = 0; i < r->header_count; i++)
        if (strcasecmp(r->headers[i].name, name) == 0)
            return r->headers[i].value;
    return NULL;
}

/* The text of the first <name> element of a body (malloc'ed), or NULL. */
static inline char *s3t_xml(const http_response *r, const char *name)
{
    if (!r->body)
        return NULL;
    char open[128], close[128];
    snprintf(open, sizeof open, "<%s>", name);
    snprintf(close, sizeof close, "</%s>", name);
    char *body = xstrndup(r->body, r->body_len);
    char *start = strstr(body, open);
    char *end = start ? strstr(start, close) : NULL;
    char *text = NULL;
    if (start && end)
        text = xstrndup(start + strlen(open),
                        (size_t)(end - start - strlen(open)));
    free(body);
    return text;
}

/* Assert that element `name` of the body is `want`. */
#define s3t_assert_xml(resp, name, want)                                       \
    do {                                                                       \
        char *s3t_got = s3t_xml((resp), (name));                               \
        cr_assert(s3t_got, "no <%s> in %.*s", (name), (int)(resp)->body_len,   \
                  (resp)->body ? (resp)->body : "");                           \
        cr_assert_str_eq(s3t_got, (want), "<%s>", (name));                     \
        free(s3t_got);                                                         \
    } while (0)

static inline int s3t_count(const http_response *r, const char *needle)
{
    int n = 0;
    if (!r->body)
        return 0;
    char *body = xstrndup(r->body, r->body_len);
    for (char *p = strstr(body, needle); p; p = strstr(p + 1, needle))
        n++;
    free(body);
    return n;
}

#endif
