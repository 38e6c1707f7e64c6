/*
 * s3_object.c: object operations: PutObject, GetObject (Range,
 * conditional headers, response-* overrides), HeadObject, DeleteObject,
 * DeleteObjects and CopyObject, and the object row they share.
 *
 * Object bytes live in SQLite, keyed by (bucket, key), so a key such as
 * "../x" is only a string and never a file path. Each write runs inside
 * the request's store call and is committed before the response leaves.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "iam.h"
#include "s3.h"
#include "s3_internal.h"
#include "store.h"

/* Headers S3 stores with an object and returns on GetObject. */
static const char *const s3_stored_headers[] = {
    "Cache-Control",    "Content-Disposition",
    "Content-Encoding", "Content-Language",
    "Expires",          "x-amz-website-redirect-location"};

static char *s3_col_dup(sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    return t ? xstrdup((const char *)t) : NULL;
}

int s3__object_get(stratus *srv, int64_t bucket_id, const char *key,
                   int with_data, s3_object *out, aws_error *err)
{
    sqlite3_stmt *st = store_stmt(
        srv->store,
        "SELECT etag, content_type, metadata, headers, checksum_algorithm,"
        " checksum, version_id, size, modified_ms, data FROM s3_object"
        " WHERE bucket_id = ? AND key = ?");
    sqlite3_bind_int64(st, 1, bucket_id);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_TRANSIENT);
    memset(out, 0, sizeof *out);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_reset(st);
        return s3__fail_with(err, AWS_ERR_S3_NO_SUCH_KEY, "Key", key);
    }
    out->etag = s3_col_dup(st, 0);
    out->content_type = s3_col_dup(st, 1);
    out->metadata = s3_col_dup(st, 2);
    out->headers = s3_col_dup(st, 3);
    out->checksum_algorithm = s3_col_dup(st, 4);
    out->checksum = s3_col_dup(st, 5);
    out->version_id = s3_col_dup(st, 6);
    out->size = sqlite3_column_int64(st, 7);
    out->modified_ms = sqlite3_column_int64(st, 8);
    if (with_data) {
        size_t n = (size_t)sqlite3_column_bytes(st, 9);
        out->data = xmalloc(n + 1);
        if (n)
            memcpy(out->data, sqlite3_column_blob(st, 9), n);
    }
    sqlite3_reset(st);
    return 0;
}

void s3__object_free(s3_object *o)
{
    free(o->etag);
    free(o->content_type);
    free(o->metadata);
    free(o->headers);
    free(o->checksum_algorithm);
    free(o->checksum);
    free(o->version_id);
    free(o->data);
    memset(o, 0, sizeof *o);
}

static void s3_bind_text_or_null(sqlite3_stmt *st, int i, const char *s)
{
    if (s && *s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

int s3__object_store(stratus *srv, int64_t bucket_id, const char *key,
                     const void *data, size_t len, const char *etag,
                     const char *content_type, const char *metadata,
                     const char *headers, const char *checksum_algorithm,
                     const char *checksum, const char *version_id)
{
    sqlite3_stmt *st = store_stmt(
        srv->store,
        "INSERT OR REPLACE INTO s3_object (bucket_id, key, data, size, etag,"
        " content_type, metadata, headers, checksum_algorithm, checksum,"
        " modified_ms, version_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
        "?)");
    sqlite3_bind_int64(st, 1, bucket_id);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob64(st, 3, len ? data : "", len, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)len);
    sqlite3_bind_text(st, 5, etag, -1, SQLITE_TRANSIENT);
    s3_bind_text_or_null(st, 6, content_type);
    sqlite3_bind_text(st, 7, metadata, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 8, headers, -1, SQLITE_TRANSIENT);
    s3_bind_text_or_null(st, 9, checksum_algorithm);
    s3_bind_text_or_null(st, 10, checksum);
    sqlite3_bind_int64(st, 11, clock_now_ms(&srv->clock));
    s3_bind_text_or_null(st, 12, version_id);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

char *s3__request_metadata(const s3_ctx *c)
{
    cJSON *meta = cJSON_CreateObject();
    const http_request *h = c->req.http;
    /* Presigned URLs carry x-amz-meta-* in the query string. */
    for (const cJSON *q = c->query->child; q; q = q->next)
        if (strncasecmp(q->string, "x-amz-meta-", 11) == 0 &&
            cJSON_IsString(q)) {
            char *name = xstrdup(q->string + 11);
            for (char *p = name; *p; p++)
                *p = (char)tolower((unsigned char)*p);
            if (!cJSON_GetObjectItemCaseSensitive(meta, name))
                cJSON_AddStringToObject(meta, name, q->valuestring);
            free(name);
        }
    for (size_t i = 0; i < h->header_count; i++)
        if (strncasecmp(h->headers[i].name, "x-amz-meta-", 11) == 0) {
            char *name = xstrdup(h->headers[i].name + 11);
            for (char *p = name; *p; p++)
                *p = (char)tolower((unsigned char)*p);
            if (!cJSON_GetObjectItemCaseSensitive(meta, name))
                cJSON_AddStringToObject(meta, name, h->headers[i].value);
            free(name);
        }
    char *text = cJSON_PrintUnformatted(meta);
    cJSON_Delete(meta);
    return text;
}

char *s3__request_headers(const s3_ctx *c)
{
    cJSON *headers = cJSON_CreateObject();
    for (size_t i = 0; i < sizeof s3_stored_headers / sizeof *s3_stored_headers;
         i++) {
        const char *v = s3__param(c, s3_stored_headers[i]);
        if (!v)
            continue;
        if (strcasecmp(s3_stored_headers[i], "Content-Encoding") == 0) {
            /* aws-chunked is the transfer framing, not the object's. */
            strbuf kept;
            strbuf_init(&kept);
            char *copy = xstrdup(v), *save = NULL;
            for (char *tok = strtok_r(copy, ",", &save); tok;
                 tok = strtok_r(NULL, ",", &save)) {
                while (*tok == ' ')
                    tok++;
                if (strcasecmp(tok, "aws-chunked") == 0 || !*tok)
                    continue;
                if (kept.len)
                    strbuf_puts(&kept, ",");
                strbuf_puts(&kept, tok);
            }
            free(copy);
            if (kept.len)
                cJSON_AddStringToObject(headers, s3_stored_headers[i],
                                        kept.data);
            strbuf_free(&kept);
            continue;
        }
        cJSON_AddStringToObject(headers, s3_stored_headers[i], v);
    }
    char *text = cJSON_PrintUnformatted(headers);
    cJSON_Delete(headers);
    return text;
}

void s3__version_id(const s3_bucket *b, char out[40])
{
    out[0] = '\0';
    if (strcmp(b->versioning, "Enabled") != 0)
        return;
    char uuid[37];
    util_uuid4(uuid);
    size_t o = 0;
    for (const char *p = uuid; *p && o < 32; p++)
        if (*p != '-')
            out[o++] = *p;
    out[o] = '\0';
}

/* Parse an RFC 1123 date ("Sun, 06 Nov 1994 08:49:37 GMT") to epoch ms;
 * -1 when it is not one. */
static int64_t s3_parse_http_date(const char *s)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    char wday[4], mon[4];
    int day, year, hh, mm, ss;
    if (sscanf(s, "%3s, %d %3s %d %d:%d:%d", wday, &day, mon, &year, &hh, &mm,
               &ss) != 7)
        return -1;
    const char *m = strstr(months, mon);
    if (!m || strlen(mon) != 3)
        return -1;
    struct tm tm = {0};
    tm.tm_year = year - 1900;
    tm.tm_mon = (int)(m - months) / 3;
    tm.tm_mday = day;
    tm.tm_hour = hh;
    tm.tm_min = mm;
    tm.tm_sec = ss;
    return (int64_t)timegm(&tm) * 1000;
}

/* Whether an If-Match / If-None-Match list contains the ETag. */
static int s3_etag_listed(const char *list, const char *etag)
{
    char *copy = xstrdup(list), *save = NULL;
    int found = 0;
    const char *bare = etag + (etag[0] == '"');
    size_t bare_len = strlen(bare) - (etag[0] == '"');
    for (char *tok = strtok_r(copy, ",", &save); tok && !found;
         tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ')
            tok++;
        if (strncmp(tok, "W/", 2) == 0)
            tok += 2;
        if (strcmp(tok, "*") == 0) {
            found = 1;
            break;
        }
        size_t len = strlen(tok);
        while (len && tok[len - 1] == ' ')
            len--;
        if (len && tok[0] == '"' && tok[len - 1] == '"') {
            tok++;
            len -= 2;
        }
        found = len == bare_len && strncmp(tok, bare, len) == 0;
    }
    free(copy);
    return found;
}

/* Conditional GET/HEAD headers, checked in RFC 7232's order. Returns 0
 * to send the object, 1 for 304 Not Modified, -1 with PreconditionFailed. */
static int s3_check_conditions(const s3_ctx *c, const s3_object *o,
                               aws_error *err)
{
    const char *if_match = s3__header(c, "If-Match");
    const char *if_none = s3__header(c, "If-None-Match");
    const char *if_unmod = s3__header(c, "If-Unmodified-Since");
    const char *if_mod = s3__header(c, "If-Modified-Since");
    int64_t modified_s = o->modified_ms / 1000 * 1000;

    if (if_match && !s3_etag_listed(if_match, o->etag))
        return s3__fail_with(err, AWS_ERR_S3_PRECONDITION_FAILED, "Condition",
                             "If-Match");
    if (!if_match && if_unmod) {
        int64_t t = s3_parse_http_date(if_unmod);
        if (t >= 0 && modified_s > t)
            return s3__fail_with(err, AWS_ERR_S3_PRECONDITION_FAILED,
                                 "Condition", "If-Unmodified-Since");
    }
    if (if_none && s3_etag_listed(if_none, o->etag))
        return 1;
    if (!if_none && if_mod) {
        int64_t t = s3_parse_http_date(if_mod);
        if (t >= 0 && modified_s <= t)
            return 1;
    }
    return 0;
}

/* The response-* query parameters of GetObject and the headers they set. */
static const char *const s3_overrides[][2] = {
    {"response-content-type", "Content-Type"},
    {"response-content-language", "Content-Language"},
    {"response-expires", "Expires"},
    {"response-cache-control", "Cache-Control"},
    {"response-content-disposition", "Content-Disposition"},
    {"response-content-encoding", "Content-Encoding"},
};

static const char *s3_override(const s3_ctx *c, const char *header)
{
    for (size_t i = 0; i < sizeof s3_overrides / sizeof *s3_overrides; i++)
        if (strcasecmp(s3_overrides[i][1], header) == 0) {
            const cJSON *v =
                cJSON_GetObjectItemCaseSensitive(c->query, s3_overrides[i][0]);
            return cJSON_IsString(v) ? v->valuestring : NULL;
        }
    return NULL;
}

/* Headers of GetObject and HeadObject. */
static void s3_object_headers(s3_ctx *c, const s3_object *o, int64_t bucket_id,
                              int full)
{
    char date[40];
    http_response *r = c->resp;
    s3__http_date(o->modified_ms, date);
    http_response_header(r, "Last-Modified", date);
    http_response_header(r, "ETag", o->etag);
    http_response_header(r, "Accept-Ranges", "bytes");
    const char *type = s3_override(c, "Content-Type");
    http_response_header(r, "Content-Type",
                         type              ? type
                         : o->content_type ? o->content_type
                                           : "binary/octet-stream");
    http_response_header(r, "x-amz-server-side-encryption", "AES256");
    if (o->version_id)
        http_response_header(r, "x-amz-version-id", o->version_id);
    int tag_count = s3__object_tag_count(c->req.srv, bucket_id, c->key);
    if (tag_count > 0) {
        char count[16];
        snprintf(count, sizeof count, "%d", tag_count);
        http_response_header(r, "x-amz-tagging-count", count);
    }

    cJSON *headers = cJSON_Parse(o->headers ? o->headers : "{}");
    for (size_t i = 0; i < sizeof s3_stored_headers / sizeof *s3_stored_headers;
         i++) {
        const char *v = s3_override(c, s3_stored_headers[i]);
        if (!v)
            v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
                headers, s3_stored_headers[i]));
        if (v)
            http_response_header(r, s3_stored_headers[i], v);
    }
    cJSON_Delete(headers);

    cJSON *meta = cJSON_Parse(o->metadata ? o->metadata : "{}");
    for (const cJSON *m = meta ? meta->child : NULL; m; m = m->next) {
        char name[300];
        snprintf(name, sizeof name, "x-amz-meta-%s", m->string);
        http_response_header(r, name, m->valuestring);
    }
    cJSON_Delete(meta);

    const char *mode = s3__header(c, "x-amz-checksum-mode");
    if (full && mode && strcasecmp(mode, "ENABLED") == 0 &&
        o->checksum_algorithm && o->checksum) {
        char name[64];
        snprintf(name, sizeof name, "x-amz-checksum-%s", o->checksum_algorithm);
        for (char *p = name; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        http_response_header(r, name, o->checksum);
        http_response_header(r, "x-amz-checksum-type", "FULL_OBJECT");
    }
}

/*
 * Parse a Range header against an object of `size` bytes. Returns 1 with
 * [*first, *last] for one satisfiable range, 0 to send the whole object
 * (no header, or one S3 ignores), -1 with InvalidRange.
 */
static int s3_parse_range(const char *range, int64_t size, int64_t *first,
                          int64_t *last, aws_error *err)
{
    if (!range || strncmp(range, "bytes=", 6) != 0)
        return 0;
    const char *spec = range + 6;
    if (strchr(spec, ','))
        return 0; /* S3 ignores multiple ranges */
    char *end;
    if (spec[0] == '-') {
        long long n = strtoll(spec + 1, &end, 10);
        if (end == spec + 1 || *end)
            return 0;
        if (n == 0 || size == 0)
            goto unsatisfiable;
        *first = n >= size ? 0 : size - n;
        *last = size - 1;
        return 1;
    }
    long long a = strtoll(spec, &end, 10);
    if (end == spec || *end != '-' || a < 0)
        return 0;
    const char *second = end + 1;
    long long b = size - 1;
    if (*second) {
        b = strtoll(second, &end, 10);
        if (end == second || *end || b < a)
            return 0;
    }
    if (a >= size)
        goto unsatisfiable;
    *first = a;
    *last = b >= size ? size - 1 : b;
    return 1;

unsatisfiable:;
    char actual[32];
    snprintf(actual, sizeof actual, "%lld", (long long)size);
    aws_fail(err, AWS_ERR_S3_INVALID_RANGE, NULL);
    s3__add_elem(err, "RangeRequested", range);
    s3__add_elem(err, "ActualObjectSize", actual);
    return -1;
}

static cJSON *s3_get_or_head(aws_request *req, aws_error *err, int head)
{
    s3_ctx *c = s3__ctx(req);
    s3_bucket b;
    s3_object o;
    if (s3__bucket_get(req->srv, c->bucket, &b, err) != 0)
        return NULL;
    if (s3__object_get(req->srv, b.id, c->key, 1, &o, err) != 0)
        return NULL;
    int condition = s3_check_conditions(c, &o, err);
    if (condition != 0) {
        /* A 304 carries no error document, only the validators. */
        if (condition > 0) {
            char date[40];
            s3__http_date(o.modified_ms, date);
            http_response_header(c->resp, "ETag", o.etag);
            http_response_header(c->resp, "Last-Modified", date);
            req->status = 304;
        }
        s3__object_free(&o);
        return condition > 0 ? s3__ok() : NULL;
    }

    int64_t first = 0, last = o.size - 1;
    int ranged =
        s3_parse_range(s3__header(c, "Range"), o.size, &first, &last, err);
    if (ranged < 0) {
        s3__object_free(&o);
        return NULL;
    }
    s3_object_headers(c, &o, b.id, !ranged);
    if (ranged) {
        char cr[96];
        snprintf(cr, sizeof cr, "bytes %lld-%lld/%lld", (long long)first,
                 (long long)last, (long long)o.size);
        http_response_header(c->resp, "Content-Range", cr);
        req->status = 206;
    }
    size_t len = ranged ? (size_t)(last - first + 1) : (size_t)o.size;
    /* HEAD: MHD reports the body's length and sends no bytes. */
    char *body = xmalloc(len + 1);
    if (len)
        memcpy(body, o.data + first, len);
    http_response_take_body(c->resp, body, len);
    (void)head;
    s3__object_free(&o);
    return s3__ok();
}

cJSON *s3_op_get_object(aws_request *req, aws_error *err)
{
    return s3_get_or_head(req, err, 0);
}

cJSON *s3_op_head_object(aws_request *req, aws_error *err)
{
    return s3_get_or_head(req, err, 1);
}

/* PutObject's conditional writes: If-None-Match: * and If-Match. */
static int s3_put_conditions(s3_ctx *c, int64_t bucket_id, aws_error *err)
{
    const char *if_none = s3__header(c, "If-None-Match");
    const char *if_match = s3__header(c, "If-Match");
    if (!if_none && !if_match)
        return 0;
    s3_object o;
    aws_error missing;
    memset(&missing, 0, sizeof missing);
    int exists =
        s3__object_get(c->req.srv, bucket_id, c->key, 0, &o, &missing) == 0;
    aws_error_reset(&missing);
    int rc = 0;
    if (if_none && strcmp(if_none, "*") == 0 && exists)
        rc = s3__fail_with(err, AWS_ERR_S3_PRECONDITION_FAILED, "Condition",
                           "If-None-Match");
    else if (if_match && !exists)
        rc = s3__fail_with(err, AWS_ERR_S3_NO_SUCH_KEY, "Key", c->key);
    else if (if_match && !s3_etag_listed(if_match, o.etag))
        rc = s3__fail_with(err, AWS_ERR_S3_PRECONDITION_FAILED, "Condition",
                           "If-Match");
    if (exists)
        s3__object_free(&o);
    return rc;
}

/* Add the checksum response header of the request's checksum. */
static void s3_checksum_header(s3_ctx *c)
{
    if (!c->checksum_algorithm[0])
        return;
    char name[64];
    snprintf(name, sizeof name, "x-amz-checksum-%s", c->checksum_algorithm);
    for (char *p = name; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    http_response_header(c->resp, name, c->checksum_value);
    http_response_header(c->resp, "x-amz-checksum-type", "FULL_OBJECT");
}

cJSON *s3_op_put_object(aws_request *req, aws_error *err)
{
    s3_ctx *c = s3__ctx(req);
    s3_bucket b;
    if (s3__bucket_get(req->srv, c->bucket, &b, err) != 0)
        return NULL;
    if (s3_put_conditions(c, b.id, err) != 0)
        return NULL;
    cJSON *tags = NULL;
    const char *tagging = s3__param(c, "x-amz-tagging");
    if (tagging && !(tags = s3__tagging_header_parse(tagging, err)))
        return NULL;

    char md5[33], etag[40], version[40];
    s3__md5_hex(c->body, c->body_len, md5);
    snprintf(etag, sizeof etag, "\"%s\"", md5);
    s3__version_id(&b, version);
    /* Without a client checksum, store a CRC64NVME one, as AWS's default
     * integrity protection does. */
    char default_sum[32];
    const char *algorithm = c->checksum_algorithm;
    const char *checksum = c->checksum_value;
    if (!algorithm[0]) {
        s3__checksum("CRC64NVME", c->body, c->body_len, default_sum,
                     sizeof default_sum);
        algorithm = "CRC64NVME";
        checksum = default_sum;
    }
    char *meta = s3__request_metadata(c);
    char *headers = s3__request_headers(c);
    int rc = s3__object_store(req->srv, b.id, c->key, c->body, c->body_len,
                              etag, s3__param(c, "Content-Type"), meta, headers,
                              algorithm, checksum, version);
    free(meta);
    free(headers);
    if (rc == 0 && tags)
        rc = s3__object_tags_store(req->srv, b.id, c->key, tags);
    cJSON_Delete(tags);
    if (rc != 0) {
        aws_fail(err, AWS_ERR_INTERNAL_SERVER_ERROR, NULL);
        return NULL;
    }
    http_response_header(c->resp, "ETag", etag);
    http_response_header(c->resp, "x-amz-server-side-encryption", "AES256");
    if (version[0])
        http_response_header(c->resp, "x-amz-version-id", version);
    s3_checksum_header(c);
    return s3__ok();
}

/* Delete one object; a missing key is not an error, as in AWS. */
static void s3_object_delete(s3_ctx *c, const s3_bucket *b, const char *key)
{
    sqlite3_stmt *st =
        store_stmt(c->req.srv->store,
                   "DELETE FROM s3_object WHERE bucket_id = ? AND key = ?");
    sqlite3_bind_int64(st, 1, b->id);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_TRANSIENT);
    sqlite3_step(st);
    sqlite3_reset(st);
}

cJSON *s3_op_delete_object(aws_request *req, aws_error *err)
{
    s3_ctx *c = s3__ctx(req);
    s3_bucket b;
    if (s3__bucket_get(req->srv, c->bucket, &b, err) != 0)
        return NULL;
    s3_object_delete(c, &b, c->key);
    if (strcmp(b.versioning, "Enabled") == 0) {
        /* NOTE: AWS keeps the old versions behind a delete marker;
         * Stratus drops the object and only reports the marker. */
        char version[40];
        s3__version_id(&b, version);
        http_response_header(c->resp, "x-amz-delete-marker", "true");
        http_response_header(c->resp, "x-amz-version-id", version);
    }
    req->status = 204;
    return s3__ok();
}

cJSON *s3_op_delete_objects(aws_request *req, aws_error *err)
{
    s3_ctx *c = s3__ctx(req);
    s3_bucket b;
    if (s3__bucket_get(req->srv, c->bucket, &b, err) != 0)
        return NULL;
    s3_xml_node *doc = s3__xml_parse(c->body, c->body_len);
    size_t count = 0;
    for (const s3_xml_node *n = doc ? doc->child : NULL; n; n = n->next)
        if (strcmp(n->name, "Object") == 0) {
            if (!s3__xml_text(n, "Key"))
                count = 1001; /* an Object without Key is malformed */
            count++;
        }
    if (!doc || strcmp(doc->name, "Delete") != 0 || count == 0 ||
        count > 1000) {
        s3__xml_free(doc);
        aws_fail(err, AWS_ERR_S3_MALFORMED_XML, NULL);
        return NULL;
    }
    const char *quiet = s3__xml_text(doc, "Quiet");
    int is_quiet = quiet && strcasecmp(quiet, "true") == 0;

    s3__xml_open(&c->out, "DeleteResult");
    for (const s3_xml_node *n = doc->child; n; n = n->next) {
        if (strcmp(n->name, "Object") != 0)
            continue;
        const char *key = s3__xml_text(n, "Key");
        if (strlen(key) > S3_MAX_KEY_BYTES) {
            strbuf_puts(&c->out, "<Error>");
            s3__xml_elem(&c->out, "Key", key);
            s3__xml_elem(&c->out, "Code", "KeyTooLongError");
            s3__xml_elem(&c->out, "Message", "Your key is too long");
            strbuf_puts(&c->out, "</Error>");
            continue;
        }
        char resource[2200];
        aws_error denied;
        memset(&denied, 0, sizeof denied);
        s3__iam_arn(c->bucket, key, resource, sizeof resource);
        if (iam_request_check(&c->req, "s3:DeleteObject", resource, &denied) !=
            0) {
            strbuf_puts(&c->out, "<Error>");
            s3__xml_elem(&c->out, "Key", key);
            s3__xml_elem(&c->out, "Code", aws_code_name(denied.code));
            s3__xml_elem(&c->out, "Message", denied.message);
            strbuf_puts(&c->out, "</Error>");
            aws_error_reset(&denied);
            continue;
        }
        s3_object_delete(c, &b, key);
        if (is_quiet)
            continue;
        strbuf_puts(&c->out, "<Deleted>");
        s3__xml_elem(&c->out, "Key", key);
        const char *version = s3__xml_text(n, "VersionId");
        if (version)
            s3__xml_elem(&c->out, "VersionId", version);
        strbuf_puts(&c->out, "</Deleted>");
    }
    strbuf_puts(&c->out, "</DeleteResult>");
    s3__xml_free(doc);
    return s3__ok();
}

cJSON *s3_op_copy_object(aws_request *req, aws_error *err)
{
    s3_ctx *c = s3__ctx(req);
    s3_bucket dst, src_bucket;
    s3_object src;

    if (s3__bucket_get(req->srv, c->bucket, &dst, err) != 0)
        return NULL;
    /* x-amz-copy-source: [/]bucket/key[?versionId=...], URL-encoded. */
    const char *source = s3__header(c, "x-amz-copy-source");
    if (*source == '/')
        source++;
    size_t source_len = strcspn(source, "?");
    char *decoded = s3__decode(source, source_len, 0);
    char *slash = strchr(decoded, '/');
    if (!slash || !slash[1]) {
        free(decoded);
        aws_fail(err, AWS_ERR_S3_INVALID_ARGUMENT,
                 "Invalid copy source object key");
        s3__add_elem(err, "ArgumentName", "x-amz-copy-source");
        s3__add_elem(err, "ArgumentValue", "x-amz-copy-source");
        return NULL;
    }
    *slash = '\0';
    const char *src_key = slash + 1;
    if (s3__bucket_get(req->srv, decoded, &src_bucket, err) != 0 ||
        s3__object_get(req->srv, src_bucket.id, src_key, 1, &src, err) != 0) {
        free(decoded);
        return NULL;
    }

    const char *directive = s3__header(c, "x-amz-metadata-directive");
    int replace = directive && strcasecmp(directive, "REPLACE") == 0;
    if (!replace && src_bucket.id == dst.id && strcmp(src_key, c->key) == 0) {
        free(decoded);
        s3__object_free(&src);
        aws_fail(err, AWS_ERR_S3_INVALID_REQUEST,
                 "This copy request is illegal because it is trying to copy "
                 "an object to itself without changing the object's "
                 "metadata, storage class, website redirect location or "
                 "encryption attributes.");
        return NULL;
    }

    /* Tags follow x-amz-tagging-directive: COPY (the default) or REPLACE
     * with x-amz-tagging. */
    const char *tag_directive = s3__header(c, "x-amz-tagging-directive");
    const char *tagging = s3__header(c, "x-amz-tagging");
    cJSON *tags = NULL;
    if (tag_directive && strcasecmp(tag_directive, "REPLACE") == 0)
        tags = tagging ? s3__tagging_header_parse(tagging, err)
                       : cJSON_CreateArray();
    else
        tags = s3__object_tags_load(req->srv, src_bucket.id, src_key, err);
    if (!tags) {
        free(decoded);
        s3__object_free(&src);
        return NULL;
    }

    char version[40];
    s3__version_id(&dst, version);
    char *meta = replace ? s3__request_metadata(c) : NULL;
    char *headers = replace ? s3__request_headers(c) : NULL;
    const char *type = replace ? s3__header(c, "Content-Type") : NULL;
    int rc = s3__object_store(
        req->srv, dst.id, c->key, src.data, (size_t)src.size, src.etag,
        replace ? type : src.content_type, replace ? meta : src.metadata,
        replace ? headers : src.headers, src.checksum_algorithm, src.checksum,
        version);
    if (rc == 0)
        rc = s3__object_tags_store(req->srv, dst.id, c->key, tags);
    cJSON_Delete(tags);
    free(meta);
    free(headers);
    free(decoded);
    if (rc != 0) {
        s3__object_free(&src);
        aws_fail(err, AWS_ERR_INTERNAL_SERVER_ERROR, NULL);
        return NULL;
    }
    char date[32];
    s3__iso_date(clock_now_ms(&req->srv->clock), date);
    s3__xml_open(&c->out, "CopyObjectResult");
    s3__xml_elem(&c->out, "LastModified", date);
    s3__xml_elem(&c->out, "ETag", src.etag);
    strbuf_puts(&c->out, "</CopyObjectResult>");
    if (version[0])
        http_response_header(c->resp, "x-amz-version-id", version);
    if (src.version_id)
        http_response_header(c->resp, "x-amz-copy-source-version-id",
                             src.version_id);
    http_response_header(c->resp, "x-amz-server-side-encryption", "AES256");
    s3__object_free(&src);
    return s3__ok();
}
