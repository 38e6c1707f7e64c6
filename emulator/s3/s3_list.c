/*
 * s3_list.c: ListObjects, ListObjectsV2 and ListObjectVersions: prefix,
 * delimiter with CommonPrefixes, max-keys, marker / key-marker /
 * start-after / continuation-token, and encoding-type=url.
 *
 * Keys come out in byte order of their UTF-8 form, as in S3. A
 * continuation token is the base64 of the last key or common prefix
 * returned, so it stays valid across writes, like AWS's opaque tokens.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s3.h"
#include "s3_internal.h"
#include "store.h"

/* The listing a page is written for. */
typedef enum s3_list_kind {
    S3_LIST_V1,
    S3_LIST_V2,
    S3_LIST_VERSIONS
} s3_list_kind;

typedef struct s3_list_args {
    const char *prefix;
    const char *delimiter;
    const char *marker; /* return keys after this one */
    long max_keys;
    int url_encode;
} s3_list_args;

/* encoding-type=url: what Java's URLEncoder does ('+' for a space), which
 * the SDKs decode. */
static void s3_list_elem(strbuf *b, const char *name, const char *value,
                         int url_encode)
{
    if (!url_encode) {
        s3__xml_elem(b, name, value);
        return;
    }
    strbuf enc;
    strbuf_init(&enc);
    strbuf_puts(&enc, "");
    for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
            (*p >= '0' && *p <= '9') || *p == '.' || *p == '-' || *p == '*' ||
            *p == '_')
            strbuf_append(&enc, (const char *)p, 1);
        else if (*p == ' ')
            strbuf_puts(&enc, "+");
        else
            strbuf_printf(&enc, "%%%02X", *p);
    }
    s3__xml_elem(b, name, enc.data);
    strbuf_free(&enc);
}

/* The common prefix of `key` under args, or 0 when it has none. */
static size_t s3_common_prefix_len(const s3_list_args *a, const char *key)
{
    if (!a->delimiter || !*a->delimiter)
        return 0;
    size_t plen = strlen(a->prefix);
    const char *d = strstr(key + plen, a->delimiter);
    if (!d)
        return 0;
    return (size_t)(d - key) + strlen(a->delimiter);
}

/*
 * Write Contents (Version for ListObjectVersions) and CommonPrefixes for
 * one page. Returns the number of entries; sets *truncated and copies the
 * last entry into *next (malloc'ed) when more follow.
 */
static long s3_list_page(s3_ctx *c, int64_t bucket_id, const s3_list_args *a,
                         s3_list_kind kind, int *truncated, char **next)
{
    sqlite3_stmt *st = store_stmt(
        c->req.srv->store,
        "SELECT key, size, etag, modified_ms, checksum_algorithm, version_id"
        " FROM s3_object WHERE bucket_id = ?1 AND key > ?2 AND key >= ?3"
        " ORDER BY key");
    sqlite3_bind_int64(st, 1, bucket_id);
    sqlite3_bind_text(st, 2, a->marker ? a->marker : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, a->prefix, -1, SQLITE_TRANSIENT);
    size_t plen = strlen(a->prefix);
    long count = 0;
    char *last_prefix = NULL;
    strbuf prefixes;
    strbuf_init(&prefixes);
    *truncated = 0;
    *next = NULL;

    /* A marker that is itself a common prefix: skip the keys under it. */
    const char *skip_under = NULL;
    if (a->marker && a->marker[0] &&
        s3_common_prefix_len(a, a->marker) == strlen(a->marker) &&
        strncmp(a->marker, a->prefix, plen) == 0)
        skip_under = a->marker;

    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *key = (const char *)sqlite3_column_text(st, 0);
        if (strncmp(key, a->prefix, plen) != 0)
            break; /* past the prefix range */
        if (skip_under && strncmp(key, skip_under, strlen(skip_under)) == 0)
            continue;
        size_t cp = s3_common_prefix_len(a, key);
        if (cp && last_prefix && strlen(last_prefix) == cp &&
            strncmp(last_prefix, key, cp) == 0)
            continue; /* same common prefix as the previous entry */
        if (count >= a->max_keys) {
            *truncated = a->max_keys > 0;
            break;
        }
        count++;
        free(*next);
        if (cp) {
            free(last_prefix);
            last_prefix = xstrndup(key, cp);
            *next = xstrdup(last_prefix);
            strbuf_puts(&prefixes, "<CommonPrefixes>");
            s3_list_elem(&prefixes, "Prefix", last_prefix, a->url_encode);
            strbuf_puts(&prefixes, "</CommonPrefixes>");
            continue;
        }
        *next = xstrdup(key);
        char date[32];
        s3__iso_date(sqlite3_column_int64(st, 3), date);
        const char *element = kind == S3_LIST_VERSIONS ? "Version" : "Contents";
        strbuf_printf(&c->out, "<%s>", element);
        s3_list_elem(&c->out, "Key", key, a->url_encode);
        if (kind == S3_LIST_VERSIONS) {
            /* Only the latest version is kept (GAPS.md). */
            const char *version = (const char *)sqlite3_column_text(st, 5);
            s3__xml_elem(&c->out, "VersionId", version ? version : "null");
            s3__xml_elem(&c->out, "IsLatest", "true");
        }
        s3__xml_elem(&c->out, "LastModified", date);
        s3__xml_elem(&c->out, "ETag", (const char *)sqlite3_column_text(st, 2));
        const char *algorithm = (const char *)sqlite3_column_text(st, 4);
        if (algorithm) {
            s3__xml_elem(&c->out, "ChecksumAlgorithm", algorithm);
            s3__xml_elem(&c->out, "ChecksumType", "FULL_OBJECT");
        }
        s3__xml_elem_int(&c->out, "Size", sqlite3_column_int64(st, 1));
        s3__xml_elem(&c->out, "StorageClass", "STANDARD");
        if (kind != S3_LIST_V2) {
            strbuf_puts(&c->out, "<Owner>");
            s3__xml_elem(&c->out, "ID", c->req.account);
            s3__xml_elem(&c->out, "DisplayName", "stratus");
            strbuf_puts(&c->out, "</Owner>");
        }
        strbuf_printf(&c->out, "</%s>", element);
    }
    sqlite3_reset(st);
    if (prefixes.len)
        strbuf_append(&c->out, prefixes.data, prefixes.len);
    strbuf_free(&prefixes);
    free(last_prefix);
    if (!*truncated) {
        free(*next);
        *next = NULL;
    }
    return count;
}

static int s3_list_args_parse(s3_ctx *c, s3_list_args *a, aws_error *err)
{
    memset(a, 0, sizeof *a);
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(c->query, "prefix");
    a->prefix = cJSON_IsString(p) ? p->valuestring : "";
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(c->query, "delimiter");
    a->delimiter = cJSON_IsString(d) && *d->valuestring ? d->valuestring : NULL;
    const cJSON *e =
        cJSON_GetObjectItemCaseSensitive(c->query, "encoding-type");
    if (e) {
        if (!cJSON_IsString(e) || strcmp(e->valuestring, "url") != 0) {
            aws_fail(err, AWS_ERR_S3_INVALID_ARGUMENT,
                     "Invalid Encoding Method "
                     "specified in Request");
            s3__add_elem(err, "ArgumentName", "encoding-type");
            s3__add_elem(err, "ArgumentValue",
                         cJSON_IsString(e) ? e->valuestring : "");
            return -1;
        }
        a->url_encode = 1;
    }
    a->max_keys = 1000;
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(c->query, "max-keys");
    if (cJSON_IsString(m)) {
        char *end;
        long v = strtol(m->valuestring, &end, 10);
        if (end == m->valuestring || *end || v < 0) {
            aws_fail(err, AWS_ERR_S3_INVALID_ARGUMENT,
                     "Provided max-keys not an integer or within integer "
                     "range");
            s3__add_elem(err, "ArgumentName", "max-keys");
            s3__add_elem(err, "ArgumentValue", m->valuestring);
            return -1;
        }
        a->max_keys = v > 1000 ? 1000 : v;
    }
    return 0;
}

static void s3_list_header(s3_ctx *c, const s3_list_args *a, const char *root)
{
    s3__xml_open(&c->out, root);
    s3__xml_elem(&c->out, "Name", c->bucket);
    s3_list_elem(&c->out, "Prefix", a->prefix, a->url_encode);
    s3__xml_elem_int(&c->out, "MaxKeys", a->max_keys);
    if (a->delimiter)
        s3_list_elem(&c->out, "Delimiter", a->delimiter, a->url_encode);
    if (a->url_encode)
        s3__xml_elem(&c->out, "EncodingType", "url");
}

/* Splice IsTruncated and the paging members in after the header. */
static void s3_list_finish(s3_ctx *c, size_t header_end, int truncated,
                           const char *tail, const char *root)
{
    strbuf rest;
    strbuf_init(&rest);
    strbuf_append(&rest, c->out.data + header_end, c->out.len - header_end);
    c->out.len = header_end;
    c->out.data[header_end] = '\0';
    s3__xml_elem(&c->out, "IsTruncated", truncated ? "true" : "false");
    strbuf_puts(&c->out, tail);
    strbuf_append(&c->out, rest.data ? rest.data : "", rest.len);
    strbuf_printf(&c->out, "</%s>", root);
    strbuf_free(&rest);
}

cJSON *s3_op_list_objects(aws_request *req, aws_error *err)
{
    s3_ctx *c = s3__ctx(req);
    s3_bucket b;
    s3_list_args a;
    if (s3__bucket_get(req->srv, c->bucket, &b, err) != 0 ||
        s3_list_args_parse(c, &a, err) != 0)
        return NULL;
    const cJSON *marker = cJSON_GetObjectItemCaseSensitive(c->query, "marker");
    a.marker = cJSON_IsString(marker) ? marker->valuestring : "";

    s3_list_header(c, &a, "ListBucketResult");
    s3_list_elem(&c->out, "Marker", a.marker, a.url_encode);
    size_t header_end = c->out.len;
    int truncated;
    char *next;
    s3_list_page(c, b.id, &a, S3_LIST_V1, &truncated, &next);
    strbuf tail;
    strbuf_init(&tail);
    strbuf_puts(&tail, "");
    if (next && a.delimiter)
        s3_list_elem(&tail, "NextMarker", next, a.url_encode);
    s3_list_finish(c, header_end, truncated, tail.data, "ListBucketResult");
    strbuf_free(&tail);
    free(next);
    return s3__ok();
}

cJSON *s3_op_list_objects_v2(aws_request *req, aws_error *err)
{
    s3_ctx *c = s3__ctx(req);
    s3_bucket b;
    s3_list_args a;
    if (s3__bucket_get(req->srv, c->bucket, &b, err) != 0 ||
        s3_list_args_parse(c, &a, err) != 0)
        return NULL;

    const cJSON *token =
        cJSON_GetObjectItemCaseSensitive(c->query, "continuation-token");
    const cJSON *start =
        cJSON_GetObjectItemCaseSensitive(c->query, "start-after");
    char *token_key = NULL;
    if (cJSON_IsString(token)) {
        size_t tlen = strlen(token->valuestring);
        unsigned char *raw = xmalloc(tlen + 4);
        int n = s3__base64_decode(token->valuestring, raw, tlen + 4);
        if (n <= 0 || memchr(raw, '\0', (size_t)n)) {
            free(raw);
            aws_fail(err, AWS_ERR_S3_INVALID_ARGUMENT,
                     "The continuation token provided is incorrect");
            s3__add_elem(err, "ArgumentName", "continuation-token");
            return NULL;
        }
        token_key = xstrndup((const char *)raw, (size_t)n);
        free(raw);
        a.marker = token_key;
    } else if (cJSON_IsString(start)) {
        a.marker = start->valuestring;
    }

    s3_list_header(c, &a, "ListBucketResult");
    size_t header_end = c->out.len;
    int truncated;
    char *next;
    long count = s3_list_page(c, b.id, &a, S3_LIST_V2, &truncated, &next);

    strbuf tail;
    strbuf_init(&tail);
    s3__xml_elem_int(&tail, "KeyCount", count);
    if (cJSON_IsString(token))
        s3__xml_elem(&tail, "ContinuationToken", token->valuestring);
    if (next) {
        size_t nlen = strlen(next);
        char *encoded = xmalloc(4 * ((nlen + 2) / 3) + 1);
        s3__base64_encode((const unsigned char *)next, nlen, encoded,
                          4 * ((nlen + 2) / 3) + 1);
        s3__xml_elem(&tail, "NextContinuationToken", encoded);
        free(encoded);
    }
    if (cJSON_IsString(start))
        s3_list_elem(&tail, "StartAfter", start->valuestring, a.url_encode);
    s3_list_finish(c, header_end, truncated, tail.data, "ListBucketResult");
    strbuf_free(&tail);
    free(next);
    free(token_key);
    return s3__ok();
}

cJSON *s3_op_list_object_versions(aws_request *req, aws_error *err)
{
    s3_ctx *c = s3__ctx(req);
    s3_bucket b;
    s3_list_args a;
    if (s3__bucket_get(req->srv, c->bucket, &b, err) != 0 ||
        s3_list_args_parse(c, &a, err) != 0)
        return NULL;
    const cJSON *marker =
        cJSON_GetObjectItemCaseSensitive(c->query, "key-marker");
    a.marker = cJSON_IsString(marker) ? marker->valuestring : "";

    s3_list_header(c, &a, "ListVersionsResult");
    s3_list_elem(&c->out, "KeyMarker", a.marker, a.url_encode);
    s3__xml_elem(&c->out, "VersionIdMarker", "");
    size_t header_end = c->out.len;
    int truncated;
    char *next;
    s3_list_page(c, b.id, &a, S3_LIST_VERSIONS, &truncated, &next);
    strbuf tail;
    strbuf_init(&tail);
    strbuf_puts(&tail, "");
    if (next) {
        s3_list_elem(&tail, "NextKeyMarker", next, a.url_encode);
        s3__xml_elem(&tail, "NextVersionIdMarker", "null");
    }
    s3_list_finish(c, header_end, truncated, tail.data, "ListVersionsResult");
    strbuf_free(&tail);
    free(next);
    return s3__ok();
}
