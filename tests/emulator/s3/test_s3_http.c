/*
 * test_s3_http.c: how S3 requests arrive: aws-chunked bodies with and
 * without trailers, flexible checksums, presigned URLs and their expiry,
 * CORS preflights and headers, and virtual-hosted addressing.
 */
#include <time.h>

#include "s3_test.h"

static stratus *srv;

static void setup(void)
{
    srv = ts_new();
    cr_assert_eq(s3t_status(srv, "PUT", "/web", NULL), 200);
}

static void teardown(void)
{
    ts_free(srv);
}

TestSuite(s3_http, .init = setup, .fini = teardown);

static void get_body(const char *target, const char *want)
{
    http_response r;
    s3t_send(srv, "GET", target, NULL, NULL, 0, 1, &r);
    cr_assert_eq(r.status, 200, "GET %s: %d", target, r.status);
    cr_assert_eq(r.body_len, strlen(want), "GET %s length", target);
    cr_assert(memcmp(r.body, want, r.body_len) == 0, "GET %s body", target);
    http_response_cleanup(&r);
}

Test(s3_http, chunked_signed_payload)
{
    http_response r;
    static const char body[] = "5;chunk-signature=aaaa\r\nhello\r\n"
                               "6;chunk-signature=bbbb\r\n world\r\n"
                               "0;chunk-signature=cccc\r\n\r\n";
    const char *const headers[] = {"x-amz-content-sha256",
                                   "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
                                   "Content-Encoding",
                                   "aws-chunked",
                                   "x-amz-decoded-content-length",
                                   "11",
                                   NULL};
    s3t_send(srv, "PUT", "/web/chunked", headers, body, sizeof body - 1, 1, &r);
    cr_assert_eq(r.status, 200, "%.*s", (int)r.body_len, r.body);
    http_response_cleanup(&r);
    get_body("/web/chunked", "hello world");

    /* aws-chunked is framing only: the object keeps no Content-Encoding. */
    s3t_send(srv, "HEAD", "/web/chunked", NULL, NULL, 0, 1, &r);
    cr_assert_null(s3t_header(&r, "Content-Encoding"));
    http_response_cleanup(&r);
}

Test(s3_http, chunked_unsigned_trailer)
{
    http_response r;
    /* CRC32("hello") = 0x3610a686. */
    static const char body[] = "5\r\nhello\r\n0\r\n"
                               "x-amz-checksum-crc32:NhCmhg==\r\n\r\n";
    const char *const headers[] = {"x-amz-content-sha256",
                                   "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
                                   "Content-Encoding",
                                   "aws-chunked",
                                   "x-amz-trailer",
                                   "x-amz-checksum-crc32",
                                   "x-amz-decoded-content-length",
                                   "5",
                                   NULL};
    s3t_send(srv, "PUT", "/web/trailer", headers, body, sizeof body - 1, 1, &r);
    cr_assert_eq(r.status, 200, "%.*s", (int)r.body_len, r.body);
    cr_assert_str_eq(s3t_header(&r, "x-amz-checksum-crc32"), "NhCmhg==");
    http_response_cleanup(&r);

    const char *const mode[] = {"x-amz-checksum-mode", "ENABLED", NULL};
    s3t_send(srv, "GET", "/web/trailer", mode, NULL, 0, 1, &r);
    cr_assert_str_eq(s3t_header(&r, "x-amz-checksum-crc32"), "NhCmhg==");
    http_response_cleanup(&r);
}

Test(s3_http, chunked_wrong_length)
{
    http_response r;
    static const char body[] = "5\r\nhello\r\n0\r\n\r\n";
    const char *const headers[] = {"Content-Encoding", "aws-chunked",
                                   "x-amz-decoded-content-length", "7", NULL};
    s3t_send(srv, "PUT", "/web/short", headers, body, sizeof body - 1, 1, &r);
    cr_assert_eq(r.status, 400);
    s3t_assert_xml(&r, "Code", "IncompleteBody");
    http_response_cleanup(&r);

    /* A size line that is not hex digits, and no NUL after the body. */
    static const char spaced[3] = {'\r', '\n', '2'};
    s3t_send(srv, "PUT", "/web/short", headers, spaced, sizeof spaced, 1, &r);
    cr_assert_eq(r.status, 400);
    s3t_assert_xml(&r, "Code", "IncompleteBody");
    http_response_cleanup(&r);

    static const char cut[] = "a\r\nhello";
    s3t_send(srv, "PUT", "/web/short", headers, cut, sizeof cut - 1, 1, &r);
    cr_assert_eq(r.status, 400);
    s3t_assert_xml(&r, "Code", "IncompleteBody");
    http_response_cleanup(&r);
}

Test(s3_http, checksum_header_mismatch)
{
    http_response r;
    const char *const bad[] = {"x-amz-checksum-crc32", "AAAAAA==", NULL};
    s3t_send(srv, "PUT", "/web/sum", bad, "hello", 5, 1, &r);
    cr_assert_eq(r.status, 400);
    s3t_assert_xml(&r, "Code", "BadDigest");
    s3t_assert_xml(&r, "Message",
                   "The CRC32 you specified did not match the "
                   "calculated checksum.");
    http_response_cleanup(&r);
    cr_assert_eq(s3t_status(srv, "GET", "/web/sum", NULL), 404,
                 "a rejected upload stores nothing");

    /* SHA256("hello") and CRC32C("hello"). */
    const char *const sha[] = {
        "x-amz-checksum-sha256",
        "LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=", NULL};
    s3t_send(srv, "PUT", "/web/sum", sha, "hello", 5, 1, &r);
    cr_assert_eq(r.status, 200, "%.*s", (int)r.body_len, r.body);
    http_response_cleanup(&r);
    const char *const crc32c[] = {"x-amz-checksum-crc32c", "mnG7TA==", NULL};
    s3t_send(srv, "PUT", "/web/sum", crc32c, "hello", 5, 1, &r);
    cr_assert_eq(r.status, 200, "%.*s", (int)r.body_len, r.body);
    http_response_cleanup(&r);
}

Test(s3_http, content_md5_and_sha256)
{
    http_response r;
    const char *const md5[] = {"Content-MD5", "XUFAKrxLKna5cZ2REBfFkg==", NULL};
    const char *const bad_md5[] = {"Content-MD5",
                                   "AAAAAAAAAAAAAAAAAAAAAA==", NULL};
    const char *const bad_sha[] = {
        "x-amz-content-sha256",
        "0000000000000000000000000000000000000000000000000000000000000000",
        NULL};
    s3t_send(srv, "PUT", "/web/md5", md5, "hello", 5, 1, &r);
    cr_assert_eq(r.status, 200);
    http_response_cleanup(&r);
    s3t_send(srv, "PUT", "/web/md5", bad_md5, "hello", 5, 1, &r);
    cr_assert_eq(r.status, 400);
    s3t_assert_xml(&r, "Code", "BadDigest");
    http_response_cleanup(&r);
    s3t_send(srv, "PUT", "/web/md5", bad_sha, "hello", 5, 1, &r);
    cr_assert_eq(r.status, 400);
    s3t_assert_xml(&r, "Code", "XAmzContentSHA256Mismatch");
    http_response_cleanup(&r);
}

/* A presigned query for the instance's current time. */
static void presign_query(char *out, size_t size, int expires)
{
    time_t t = (time_t)(clock_now_ms(&srv->clock) / 1000);
    struct tm tm;
    char date[32];
    gmtime_r(&t, &tm);
    strftime(date, sizeof date, "%Y%m%dT%H%M%SZ", &tm);
    snprintf(out, size,
             "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDTEST%%2F"
             "20260101%%2Fus-east-1%%2Fs3%%2Faws4_request&X-Amz-Date=%s&"
             "X-Amz-Expires=%d&X-Amz-SignedHeaders=host&X-Amz-Signature=00&"
             "x-amz-meta-uploaded-by=sub-1&"
             "x-amz-meta-original-filename=card%%20front.jpg",
             date, expires);
}

Test(s3_http, presigned_put_then_get)
{
    http_response r;
    char query[1024], target[1200];
    const char *const type[] = {"Content-Type", "image/jpeg", NULL};
    presign_query(query, sizeof query, 60);
    snprintf(target, sizeof target, "/web/uploads/u1/card.jpg?%s", query);
    s3t_send(srv, "PUT", target, type, "JPEG", 4, 0, &r);
    cr_assert_eq(r.status, 200, "%.*s", (int)r.body_len, r.body);
    http_response_cleanup(&r);

    s3t_send(srv, "GET", target, NULL, NULL, 0, 0, &r);
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(s3t_header(&r, "Content-Type"), "image/jpeg");
    cr_assert_str_eq(s3t_header(&r, "x-amz-meta-uploaded-by"), "sub-1");
    cr_assert_str_eq(s3t_header(&r, "x-amz-meta-original-filename"),
                     "card front.jpg");
    http_response_cleanup(&r);
}

Test(s3_http, presigned_query_checksum_ignored)
{
    http_response r;
    char query[1024], target[1400];
    presign_query(query, sizeof query, 60);
    snprintf(target, sizeof target,
             "/web/crc?%s&x-amz-checksum-crc32=AAAAAA%%3D%%3D&"
             "x-amz-sdk-checksum-algorithm=CRC32",
             query);
    s3t_send(srv, "PUT", target, NULL, "JPEG", 4, 0, &r);
    cr_assert_eq(r.status, 200, "%.*s", (int)r.body_len, r.body);
    cr_assert_null(s3t_header(&r, "x-amz-checksum-crc32"));
    http_response_cleanup(&r);
    get_body("/web/crc", "JPEG");
}

Test(s3_http, presigned_expired)
{
    http_response r;
    char query[1024], target[1200];
    presign_query(query, sizeof query, 60);
    snprintf(target, sizeof target, "/web/late?%s", query);
    clock_advance_to(&srv->clock, clock_now_ms(&srv->clock) + 61000);
    s3t_send(srv, "PUT", target, NULL, "x", 1, 0, &r);
    cr_assert_eq(r.status, 403);
    s3t_assert_xml(&r, "Code", "AccessDenied");
    s3t_assert_xml(&r, "Message", "Request has expired");
    s3t_assert_xml(&r, "X-Amz-Expires", "60");
    char *expires = s3t_xml(&r, "Expires");
    char *server_time = s3t_xml(&r, "ServerTime");
    cr_assert_not_null(expires);
    cr_assert_not_null(server_time);
    cr_assert_eq(strlen(expires), 20, "Expires %s", expires);
    cr_assert_str_gt(server_time, expires);
    free(expires);
    free(server_time);
    http_response_cleanup(&r);
}

Test(s3_http, presigned_expiry_limits)
{
    http_response r;
    char query[1024], target[1200];
    presign_query(query, sizeof query, 604801);
    snprintf(target, sizeof target, "/web/k?%s", query);
    s3t_send(srv, "GET", target, NULL, NULL, 0, 0, &r);
    cr_assert_eq(r.status, 400);
    s3t_assert_xml(&r, "Code", "AuthorizationQueryParametersError");
    http_response_cleanup(&r);
}

static const char cors_config[] =
    "<CORSConfiguration><CORSRule><AllowedOrigin>http://localhost:3000"
    "</AllowedOrigin><AllowedMethod>PUT</AllowedMethod><AllowedMethod>GET"
    "</AllowedMethod><AllowedHeader>*</AllowedHeader><ExposeHeader>ETag"
    "</ExposeHeader><MaxAgeSeconds>3000</MaxAgeSeconds></CORSRule>"
    "</CORSConfiguration>";

Test(s3_http, cors_config_roundtrip)
{
    http_response r;
    s3t_send(srv, "GET", "/web?cors", NULL, NULL, 0, 1, &r);
    cr_assert_eq(r.status, 404);
    s3t_assert_xml(&r, "Code", "NoSuchCORSConfiguration");
    http_response_cleanup(&r);

    cr_assert_eq(s3t_status(srv, "PUT", "/web?cors", cors_config), 200);
    s3t_send(srv, "GET", "/web?cors", NULL, NULL, 0, 1, &r);
    cr_assert_eq(r.status, 200);
    s3t_assert_xml(&r, "AllowedOrigin", "http://localhost:3000");
    cr_assert_eq(s3t_count(&r, "<AllowedMethod>"), 2);
    s3t_assert_xml(&r, "MaxAgeSeconds", "3000");
    http_response_cleanup(&r);

    cr_assert_eq(s3t_status(srv, "DELETE", "/web?cors", NULL), 204);
    cr_assert_eq(s3t_status(srv, "GET", "/web?cors", NULL), 404);
}

Test(s3_http, cors_preflight)
{
    http_response r;
    const char *const preflight[] = {"Origin",
                                     "http://localhost:3000",
                                     "Access-Control-Request-Method",
                                     "PUT",
                                     "Access-Control-Request-Headers",
                                     "content-type",
                                     NULL};
    const char *const other_origin[] = {"Origin", "http://evil.example",
                                        "Access-Control-Request-Method", "PUT",
                                        NULL};

    s3t_send(srv, "OPTIONS", "/web/uploads/x.jpg", preflight, NULL, 0, 0, &r);
    cr_assert_eq(r.status, 403);
    s3t_assert_xml(&r, "Code", "AccessForbidden");
    s3t_assert_xml(&r, "Message",
                   "CORSResponse: CORS is not enabled for this bucket.");
    http_response_cleanup(&r);

    cr_assert_eq(s3t_status(srv, "PUT", "/web?cors", cors_config), 200);
    s3t_send(srv, "OPTIONS", "/web/uploads/x.jpg", preflight, NULL, 0, 0, &r);
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(s3t_header(&r, "Access-Control-Allow-Origin"),
                     "http://localhost:3000");
    cr_assert_str_eq(s3t_header(&r, "Access-Control-Allow-Methods"),
                     "PUT, GET");
    cr_assert_str_eq(s3t_header(&r, "Access-Control-Allow-Headers"),
                     "content-type");
    cr_assert_str_eq(s3t_header(&r, "Access-Control-Max-Age"), "3000");
    cr_assert_str_eq(s3t_header(&r, "Access-Control-Expose-Headers"), "ETag");
    http_response_cleanup(&r);

    s3t_send(srv, "OPTIONS", "/web/uploads/x.jpg", other_origin, NULL, 0, 0,
             &r);
    cr_assert_eq(r.status, 403);
    s3t_assert_xml(&r, "Code", "AccessForbidden");
    s3t_assert_xml(&r, "Method", "PUT");
    s3t_assert_xml(&r, "ResourceType", "OBJECT");
    char *message = s3t_xml(&r, "Message");
    cr_assert(strncmp(message,
                      "CORSResponse: This CORS request is not allowed.",
                      46) == 0,
              "%s", message);
    free(message);
    http_response_cleanup(&r);
}

Test(s3_http, cors_actual_response)
{
    http_response r;
    const char *const origin[] = {"Origin", "http://localhost:3000", NULL};
    cr_assert_eq(s3t_status(srv, "PUT", "/web?cors", cors_config), 200);
    cr_assert_eq(s3t_status(srv, "PUT", "/web/o", "x"), 200);
    s3t_send(srv, "GET", "/web/o", origin, NULL, 0, 1, &r);
    cr_assert_str_eq(s3t_header(&r, "Access-Control-Allow-Origin"),
                     "http://localhost:3000");
    cr_assert_str_eq(s3t_header(&r, "Access-Control-Expose-Headers"), "ETag");
    http_response_cleanup(&r);

    /* DELETE is not allowed by the rule: no CORS headers. */
    s3t_send(srv, "DELETE", "/web/o", origin, NULL, 0, 1, &r);
    cr_assert_eq(r.status, 204);
    cr_assert_null(s3t_header(&r, "Access-Control-Allow-Origin"));
    http_response_cleanup(&r);
}

Test(s3_http, virtual_hosted)
{
    http_response r;
    const char *const host[] = {"Host", "vhost-bucket.localhost:4566", NULL};
    const char *const s3_host[] = {"Host", "vhost-bucket.s3.localhost", NULL};
    s3t_send(srv, "PUT", "/", host, NULL, 0, 0, &r);
    cr_assert_eq(r.status, 200, "%.*s", (int)r.body_len, r.body);
    http_response_cleanup(&r);
    s3t_send(srv, "PUT", "/dir/a%20b", host, "vh", 2, 0, &r);
    cr_assert_eq(r.status, 200);
    http_response_cleanup(&r);
    s3t_send(srv, "GET", "/dir/a%20b", s3_host, NULL, 0, 1, &r);
    cr_assert_eq(r.status, 200);
    cr_assert_eq(r.body_len, 2);
    http_response_cleanup(&r);
    get_body("/vhost-bucket/dir/a%20b", "vh");
}

Test(s3_http, unsigned_path_style_rejected)
{
    http_response r;
    s3t_send(srv, "GET", "/web/x", NULL, NULL, 0, 0, &r);
    cr_assert_eq(r.status, 400);
    cr_assert_str_eq(s3t_header(&r, "x-amzn-ErrorType"),
                     "MissingAuthenticationTokenException");
    http_response_cleanup(&r);
}

Test(s3_http, default_checksum_crc64nvme)
{
    http_response r;
    const char *const mode[] = {"x-amz-checksum-mode", "ENABLED", NULL};
    const char *const range[] = {"x-amz-checksum-mode", "ENABLED", "Range",
                                 "bytes=0-3", NULL};
    cr_assert_eq(s3t_status(srv, "PUT", "/web/check", "123456789"), 200);
    /* CRC-64/NVME of "123456789" is 0xae8b14860a799888. */
    s3t_send(srv, "GET", "/web/check", mode, NULL, 0, 1, &r);
    cr_assert_str_eq(s3t_header(&r, "x-amz-checksum-crc64nvme"),
                     "rosUhgp5mIg=");
    cr_assert_str_eq(s3t_header(&r, "x-amz-checksum-type"), "FULL_OBJECT");
    http_response_cleanup(&r);

    /* A part of the object has no whole-object checksum. */
    s3t_send(srv, "GET", "/web/check", range, NULL, 0, 1, &r);
    cr_assert_eq(r.status, 206);
    cr_assert_null(s3t_header(&r, "x-amz-checksum-crc64nvme"));
    http_response_cleanup(&r);

    /* Without checksum mode no checksum header is sent. */
    s3t_send(srv, "GET", "/web/check", NULL, NULL, 0, 1, &r);
    cr_assert_null(s3t_header(&r, "x-amz-checksum-crc64nvme"));
    http_response_cleanup(&r);
}
