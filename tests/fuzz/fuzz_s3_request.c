/*
 * fuzz_s3_request.c: libFuzzer driver that sends arbitrary bytes to S3
 * through the real dispatcher. The first byte picks the request shape: a
 * body for an XML operation (DeleteObjects, PutBucketCors,
 * PutBucketVersioning, CreateBucket, CompleteMultipartUpload,
 * PutObjectTagging, PutBucketPolicy), an aws-chunked PutObject body, a
 * ListObjectsV2 query string, an object key as the path, or preflight
 * headers. Any input must produce an S3-shaped response, never a crash, a
 * leak or undefined behaviour.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws.h"
#include "http.h"
#include "stratus.h"

static stratus *fuzz_srv;

static void fuzz_send(const char *method, const char *path, const char *query,
                      const http_header *extra, size_t extra_count,
                      const char *body, size_t len)
{
    http_header headers[8] = {
        {"Authorization",
         "AWS4-HMAC-SHA256 Credential=AKIDFUZZ/20260101/us-east-1/s3/"
         "aws4_request, SignedHeaders=host, Signature=00"},
    };
    size_t count = 1;
    for (size_t i = 0; i < extra_count && count < 8; i++)
        headers[count++] = extra[i];
    http_request req = {
        .method = method,
        .path = path,
        .query = query,
        .headers = headers,
        .header_count = count,
        .body = body,
        .body_len = len,
        .remote_addr = "127.0.0.1",
    };
    http_response resp;
    int needs_commit = 0;
    http_response_init(&resp);
    aws_dispatch(fuzz_srv, &req, &resp, &needs_commit);
    stratus_turn_end(fuzz_srv);
    http_response_cleanup(&resp);
}

static void fuzz_setup(void)
{
    stratus_config cfg;
    char errbuf[256];
    config_defaults(&cfg);
    cfg.in_memory = 1;
    cfg.virtual_clock = 1;
    snprintf(cfg.log_level, sizeof cfg.log_level, "error");
    if (stratus_create(&fuzz_srv, &cfg, errbuf, sizeof errbuf) != 0) {
        fprintf(stderr, "fuzz_s3_request: %s\n", errbuf);
        abort();
    }
    fuzz_send("PUT", "/fuzz", "", NULL, 0, "", 0);
    fuzz_send("PUT", "/fuzz/a/b", "", NULL, 0, "x", 1);
    fuzz_send("PUT", "/fuzz/a/c", "", NULL, 0, "y", 1);
    fuzz_send("POST", "/fuzz/mpu", "uploads", NULL, 0, "", 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!fuzz_srv)
        fuzz_setup();
    if (size < 1)
        return 0;
    const char *rest = (const char *)data + 1;
    size_t len = size - 1;
    /* Paths and query strings are NUL-terminated in real requests. */
    char *text = malloc(len + 1);
    memcpy(text, rest, len);
    text[len] = '\0';
    static const http_header chunked[] = {
        {"Content-Encoding", "aws-chunked"},
        {"x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"},
    };

    switch (data[0] % 11) {
    case 0:
        fuzz_send("POST", "/fuzz", "delete", NULL, 0, rest, len);
        break;
    case 1:
        fuzz_send("PUT", "/fuzz", "cors", NULL, 0, rest, len);
        break;
    case 2:
        fuzz_send("PUT", "/fuzz", "versioning", NULL, 0, rest, len);
        break;
    case 3:
        fuzz_send("PUT", "/fuzz-new", "", NULL, 0, rest, len);
        fuzz_send("DELETE", "/fuzz-new", "", NULL, 0, "", 0);
        break;
    case 4:
        fuzz_send("POST", "/fuzz/mpu", "uploadId=none", NULL, 0, rest, len);
        break;
    case 5:
        fuzz_send("PUT", "/fuzz/chunked", "", chunked, 2, rest, len);
        break;
    case 6:
        fuzz_send("GET", "/fuzz", text, NULL, 0, "", 0);
        break;
    case 7:
        if (len > 0 && text[0] == '/' && !memchr(rest, '\0', len))
            fuzz_send("GET", text, "", NULL, 0, "", 0);
        break;
    case 8:
        fuzz_send("PUT", "/fuzz/a/b", "tagging", NULL, 0, rest, len);
        break;
    case 9:
        fuzz_send("PUT", "/fuzz", "policy", NULL, 0, rest, len);
        fuzz_send("GET", "/fuzz", "policy", NULL, 0, "", 0);
        break;
    default: {
        http_header preflight[] = {
            {"Origin", text},
            {"Access-Control-Request-Method", "PUT"},
            {"Access-Control-Request-Headers", text},
        };
        fuzz_send("OPTIONS", "/fuzz/a/b", "", preflight, 3, "", 0);
        break;
    }
    }
    free(text);
    return 0;
}
