/*
 * s3_presign.c: presigned URLs (SigV4 in the query string): the required
 * parameters, X-Amz-Expires limits, and expiry against the instance clock
 * with AWS's "Request has expired" document.
 *
 * NOTE: Stratus accepts any secret key, so X-Amz-Signature is not
 * verified, for presigned URLs as for signed headers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "s3.h"
#include "s3_internal.h"

/* "20260101T120000Z" to epoch ms, or -1. */
static int64_t s3_parse_amz_date(const char *s)
{
    struct tm tm = {0};
    if (!s || strlen(s) != 16 || s[8] != 'T' || s[15] != 'Z')
        return -1;
    if (sscanf(s, "%4d%2d%2dT%2d%2d%2dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
               &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (int64_t)timegm(&tm) * 1000;
}

static void s3_iso_seconds(int64_t ms, char out[32])
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int s3__presign_check(s3_ctx *c, aws_error *err)
{
    static const char *const required[] = {
        "X-Amz-Algorithm", "X-Amz-Credential",    "X-Amz-Signature",
        "X-Amz-Date",      "X-Amz-SignedHeaders", "X-Amz-Expires"};
    if (!s3__has_param(c, "X-Amz-Algorithm") &&
        !s3__has_param(c, "X-Amz-Credential") &&
        !s3__has_param(c, "X-Amz-Signature"))
        return 0;
    c->presigned = 1;
    for (size_t i = 0; i < sizeof required / sizeof *required; i++)
        if (!s3__has_param(c, required[i]))
            return aws_fail(err, AWS_ERR_S3_AUTH_QUERY_ERROR,
                            "Query-string authentication version 4 requires "
                            "the X-Amz-Algorithm, X-Amz-Credential, "
                            "X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, "
                            "and X-Amz-Expires parameters.");
    const char *algorithm =
        cJSON_GetObjectItemCaseSensitive(c->query, "X-Amz-Algorithm")
            ->valuestring;
    if (strcmp(algorithm, "AWS4-HMAC-SHA256") != 0)
        return aws_fail(err, AWS_ERR_S3_AUTH_QUERY_ERROR,
                        "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"");
    const char *expires_text =
        cJSON_GetObjectItemCaseSensitive(c->query, "X-Amz-Expires")
            ->valuestring;
    char *end;
    long long expires = strtoll(expires_text, &end, 10);
    if (end == expires_text || *end)
        return aws_fail(err, AWS_ERR_S3_AUTH_QUERY_ERROR,
                        "X-Amz-Expires should be a number");
    if (expires < 0)
        return aws_fail(err, AWS_ERR_S3_AUTH_QUERY_ERROR,
                        "X-Amz-Expires must be non-negative");
    if (expires > 604800)
        return aws_fail(err, AWS_ERR_S3_AUTH_QUERY_ERROR,
                        "X-Amz-Expires must be less than a week (in seconds) "
                        "that is 604800");
    int64_t signed_ms = s3_parse_amz_date(
        cJSON_GetObjectItemCaseSensitive(c->query, "X-Amz-Date")->valuestring);
    if (signed_ms < 0)
        return aws_fail(err, AWS_ERR_S3_AUTH_QUERY_ERROR,
                        "X-Amz-Date must be in the ISO8601 Long Format "
                        "\"yyyyMMdd'T'HHmmss'Z'\"");
    int64_t expiry_ms = signed_ms + expires * 1000;
    if (c->now_ms > expiry_ms) {
        char expiry[32], now[32];
        s3_iso_seconds(expiry_ms, expiry);
        s3_iso_seconds(c->now_ms, now);
        aws_fail(err, AWS_ERR_S3_ACCESS_DENIED, "Request has expired");
        s3__add_elem(err, "X-Amz-Expires", expires_text);
        s3__add_elem(err, "Expires", expiry);
        s3__add_elem(err, "ServerTime", now);
        return -1;
    }
    return 0;
}
