/*
 * s3_body.c: S3 request payloads: aws-chunked decoding (signed and
 * unsigned streaming, with trailers), payload checks (Content-MD5,
 * x-amz-content-sha256, flexible checksums), and the digests S3 reports.
 *
 * Flexible checksums: CRC32 (zlib), CRC32C and CRC64NVME (table-driven
 * here), SHA1 and SHA256 (libcrypto). A checksum sent as a header or as an
 * aws-chunked trailer is verified against the decoded payload, and
 * BadDigest is returned on a mismatch.
 * Chunk signatures are not verified, like every other signature.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <zlib.h>

#include "s3_internal.h"

void s3__base64_encode(const unsigned char *in, size_t len, char *out,
                       size_t size)
{
    if (size < 4 * ((len + 2) / 3) + 1) {
        out[0] = '\0';
        return;
    }
    EVP_EncodeBlock((unsigned char *)out, in, (int)len);
}

/* Decode base64 into `out`; returns the byte count or -1 when invalid. */
int s3__base64_decode(const char *in, unsigned char *out, size_t size)
{
    size_t len = strlen(in);
    if (len % 4 != 0 || size < len / 4 * 3)
        return -1;
    int n = EVP_DecodeBlock(out, (const unsigned char *)in, (int)len);
    if (n < 0)
        return -1;
    if (len >= 1 && in[len - 1] == '=')
        n--;
    if (len >= 2 && in[len - 2] == '=')
        n--;
    return n;
}

void s3__md5_raw(const void *data, size_t len, unsigned char out[16])
{
    unsigned int n = 16;
    EVP_Digest(data, len, out, &n, EVP_md5(), NULL);
}

void s3__md5_hex(const void *data, size_t len, char out[33])
{
    unsigned char raw[16];
    s3__md5_raw(data, len, raw);
    for (int i = 0; i < 16; i++)
        snprintf(out + 2 * i, 3, "%02x", raw[i]);
}

static uint32_t s3_crc32c(const unsigned char *p, size_t len)
{
    static uint32_t table[256];
    static int ready;
    if (!ready) {
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++)
                c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
            table[i] = c;
        }
        ready = 1;
    }
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < len; i++)
        crc = table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
    return crc ^ 0xFFFFFFFFu;
}

static uint64_t s3_crc64nvme(const unsigned char *p, size_t len)
{
    static uint64_t table[256];
    static int ready;
    if (!ready) {
        for (uint64_t i = 0; i < 256; i++) {
            uint64_t c = i;
            for (int k = 0; k < 8; k++)
                c = c & 1 ? (c >> 1) ^ 0x9A6C9329AC4BC9B5ull : c >> 1;
            table[i] = c;
        }
        ready = 1;
    }
    uint64_t crc = ~0ull;
    for (size_t i = 0; i < len; i++)
        crc = table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

int s3__checksum(const char *algorithm, const void *data, size_t len, char *out,
                 size_t size)
{
    unsigned char raw[32];
    size_t n;
    if (strcasecmp(algorithm, "CRC32") == 0) {
        uint32_t v = (uint32_t)crc32(0L, data, (uInt)len);
        raw[0] = (unsigned char)(v >> 24);
        raw[1] = (unsigned char)(v >> 16);
        raw[2] = (unsigned char)(v >> 8);
        raw[3] = (unsigned char)v;
        n = 4;
    } else if (strcasecmp(algorithm, "CRC32C") == 0) {
        uint32_t v = s3_crc32c(data, len);
        raw[0] = (unsigned char)(v >> 24);
        raw[1] = (unsigned char)(v >> 16);
        raw[2] = (unsigned char)(v >> 8);
        raw[3] = (unsigned char)v;
        n = 4;
    } else if (strcasecmp(algorithm, "CRC64NVME") == 0) {
        uint64_t v = s3_crc64nvme(data, len);
        for (int i = 0; i < 8; i++)
            raw[i] = (unsigned char)(v >> (56 - 8 * i));
        n = 8;
    } else if (strcasecmp(algorithm, "SHA1") == 0) {
        SHA1(data, len, raw);
        n = 20;
    } else if (strcasecmp(algorithm, "SHA256") == 0) {
        SHA256(data, len, raw);
        n = 32;
    } else {
        return -1;
    }
    s3__base64_encode(raw, n, out, size);
    return 0;
}

static const char *const s3_checksum_algorithms[] = {
    "CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"};

/* Record a checksum given as x-amz-checksum-<alg> = value. Returns 0, or
 * -1 when the name is not a checksum header. */
static int s3_checksum_note(s3_ctx *c, const char *name, const char *value)
{
    if (strncasecmp(name, "x-amz-checksum-", 15) != 0)
        return -1;
    for (size_t i = 0; i < 5; i++) {
        if (strcasecmp(name + 15, s3_checksum_algorithms[i]) == 0) {
            snprintf(c->checksum_algorithm, sizeof c->checksum_algorithm, "%s",
                     s3_checksum_algorithms[i]);
            snprintf(c->checksum_value, sizeof c->checksum_value, "%s", value);
            return 0;
        }
    }
    return -1;
}

static int s3_hex_digit(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/*
 * Decode an aws-chunked body: "<hex size>[;chunk-signature=...]\r\n<data>
 * \r\n" repeated, a zero-size chunk, then optional trailer lines
 * "name:value\r\n" and a final "\r\n".
 */
static int s3_chunked_decode(s3_ctx *c, const char *p, size_t len,
                             aws_error *err)
{
    strbuf out;
    strbuf_init(&out);
    size_t i = 0;

    for (;;) {
        const char *eol = NULL;
        for (size_t k = i; k + 1 < len; k++)
            if (p[k] == '\r' && p[k + 1] == '\n') {
                eol = p + k;
                break;
            }
        if (!eol)
            goto incomplete;
        /* The size is hex digits up to ';' or the line end. The body is
         * not NUL-terminated, so strtoull cannot be used here. */
        const char *d = p + i;
        unsigned long long size = 0;
        while (d < eol && s3_hex_digit(*d) >= 0 && size <= HTTP_MAX_BODY) {
            size = size * 16 + (unsigned long long)s3_hex_digit(*d);
            d++;
        }
        if (d == p + i || (d != eol && *d != ';'))
            goto incomplete;
        i = (size_t)(eol - p) + 2;
        if (size == 0)
            break;
        if (size > len - i || len - i - size < 2)
            goto incomplete;
        strbuf_append(&out, p + i, (size_t)size);
        i += (size_t)size;
        if (p[i] != '\r' || p[i + 1] != '\n')
            goto incomplete;
        i += 2;
    }

    /* Trailers. */
    while (i < len) {
        const char *eol = NULL;
        for (size_t k = i; k + 1 < len; k++)
            if (p[k] == '\r' && p[k + 1] == '\n') {
                eol = p + k;
                break;
            }
        size_t line_len = eol ? (size_t)(eol - (p + i)) : len - i;
        if (line_len == 0)
            break;
        char *line = xstrndup(p + i, line_len);
        char *colon = strchr(line, ':');
        if (colon) {
            *colon = '\0';
            const char *value = colon + 1;
            while (*value == ' ')
                value++;
            s3_checksum_note(c, line, value);
        }
        free(line);
        i += line_len + (eol ? 2 : 0);
    }

    const char *decoded = s3__header(c, "x-amz-decoded-content-length");
    if (decoded && strtoull(decoded, NULL, 10) != out.len) {
        strbuf_free(&out);
        return aws_fail(err, AWS_ERR_S3_INCOMPLETE_BODY,
                        "You did not provide the number of bytes specified "
                        "by the x-amz-decoded-content-length HTTP header.");
    }
    c->body = strbuf_take(&out, &c->body_len);
    return 0;

incomplete:
    strbuf_free(&out);
    return aws_fail(err, AWS_ERR_S3_INCOMPLETE_BODY, NULL);
}

static int s3_is_hex64(const char *s)
{
    if (!s || strlen(s) != 64)
        return 0;
    for (const char *p = s; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return 0;
    return 1;
}

int s3__body_decode(s3_ctx *c, aws_error *err)
{
    const http_request *h = c->req.http;
    const char *sha = s3__header(c, "x-amz-content-sha256");
    const char *encoding = s3__header(c, "Content-Encoding");
    int chunked = (sha && strncmp(sha, "STREAMING-", 10) == 0) ||
                  (encoding && strstr(encoding, "aws-chunked"));

    if (chunked) {
        if (s3_chunked_decode(c, h->body, h->body_len, err) != 0)
            return -1;
    } else {
        c->body = xmalloc(h->body_len + 1);
        memcpy(c->body, h->body, h->body_len);
        c->body[h->body_len] = '\0';
        c->body_len = h->body_len;
    }

    if (!chunked && s3_is_hex64(sha)) {
        unsigned char raw[32];
        char hex[65];
        SHA256((const unsigned char *)c->body, c->body_len, raw);
        for (int i = 0; i < 32; i++)
            snprintf(hex + 2 * i, 3, "%02x", raw[i]);
        if (strcmp(hex, sha) != 0) {
            aws_fail(err, AWS_ERR_S3_SHA256_MISMATCH, NULL);
            s3__add_elem(err, "ClientComputedContentSHA256", sha);
            s3__add_elem(err, "S3ComputedContentSHA256", hex);
            return -1;
        }
    }

    const char *md5 = s3__header(c, "Content-MD5");
    if (md5) {
        unsigned char want[24], got[16];
        if (s3__base64_decode(md5, want, sizeof want) != 16)
            return aws_fail(err, AWS_ERR_S3_INVALID_DIGEST, NULL);
        s3__md5_raw(c->body, c->body_len, got);
        if (memcmp(want, got, 16) != 0) {
            char calculated[32];
            s3__base64_encode(got, 16, calculated, sizeof calculated);
            aws_fail(err, AWS_ERR_S3_BAD_DIGEST,
                     "The Content-MD5 you specified did not match what we "
                     "received.");
            s3__add_elem(err, "ExpectedDigest", md5);
            s3__add_elem(err, "CalculatedDigest", calculated);
            return -1;
        }
    }

    /* A header checksum, unless a trailer already gave one. A checksum in
     * a presigned URL's query is ignored, as public reports describe AWS doing.
     * SDK 3.729 and later sign the CRC32 of an empty body into every
     * presigned PUT. */
    if (!c->checksum_algorithm[0]) {
        for (size_t i = 0; i < h->header_count; i++)
            s3_checksum_note(c, h->headers[i].name, h->headers[i].value);
    }
    if (c->checksum_algorithm[0]) {
        char computed[96];
        s3__checksum(c->checksum_algorithm, c->body, c->body_len, computed,
                     sizeof computed);
        if (strcmp(computed, c->checksum_value) != 0) {
            return aws_fail(err, AWS_ERR_S3_BAD_DIGEST,
                            "The %s you specified did not match the "
                            "calculated checksum.",
                            c->checksum_algorithm);
        }
    }
    return 0;
}
