/*
 * s3_multipart.c: multipart uploads: CreateMultipartUpload, UploadPart,
 * UploadPartCopy, CompleteMultipartUpload, AbortMultipartUpload,
 * ListParts and ListMultipartUploads.
 *
 * Parts are rows of s3_part until the upload completes, when they are
 * joined into one object with S3's multipart ETag: the MD5 of the parts'
 * binary MD5s, a dash and the part count. Every part but the last must be
 * at least 5 MiB, as in AWS.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "s3.h"
#include "s3_internal.h"
#include "store.h"

#define S3_MIN_PART_BYTES (5 * 1024 * 1024)

typedef struct s3_upload {
    char *content_type, *metadata, *headers, *checksum_algorithm;
    char *tags; /* JSON array from x-amz-tagging, or NULL */
} s3_upload;

static void s3_upload_free(s3_upload *u)
{
    free(u->content_type);
    free(u->metadata);
    free(u->headers);
    free(u->checksum_algorithm);
    free(u->tags);
}

static char *s3_dup_col(sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    return t ? xstrdup((const char *)t) : NULL;
}

/* Find the upload of the request's uploadId for its bucket and key. */
static int s3_upload_get(s3_ctx *c, const s3_bucket *b, s3_upload *u,
                         aws_error *err)
{
    const char *id = cJSON_GetStringValue(
        cJSON_GetObjectItemCaseSensitive(c->query, "uploadId"));
    sqlite3_stmt *st = store_stmt(
        c->req.srv->store,
        "SELECT content_type, metadata, headers, checksum_algorithm, tags"
        " FROM s3_upload WHERE upload_id = ? AND bucket_id = ? AND key = ?");
    sqlite3_bind_text(st, 1, id ? id : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, b->id);
    sqlite3_bind_text(st, 3, c->key, -1, SQLITE_TRANSIENT);
    memset(u, 0, sizeof *u);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_reset(st);
        return s3__fail_with(err, AWS_ERR_S3_NO_SUCH_UPLOAD, "UploadId",
                             id ? id : "");
    }
    u->content_type = s3_dup_col(st, 0);
    u->metadata = s3_dup_col(st, 1);
    u->headers = s3_dup_col(st, 2);
    u->checksum_algorithm = s3_dup_col(st, 3);
    u->tags = s3_dup_col(st, 4);
    sqlite3_reset(st);
    return 0;
}

static void s3_upload_delete(s3_ctx *c, const char *id)
{
    sqlite3_stmt *st = store_stmt(c->req.srv->store,
                                  "DELETE FROM s3_part WHERE upload_id = ?");
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    sqlite3_step(st);
    sqlite3_reset(st);
    st = store_stmt(c->req.srv->store,
                    "DELETE FROM s3_upload WHERE upload_id = ?");
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    sqlite3_step(st);
    sqlite3_reset(st);
}

cJSON *s3_op_create_multipart_upload(aws_request *req, aws_error *err)
{
    s3_ctx *c = s3__ctx(req);
    s3_bucket b;
    if (s3__bucket_get(req->srv, c->bucket, &b, err) != 0)
        return NULL;
    char uuid1[37], uuid2[37], id[80];
    util_uuid4(uuid1);
    util_uuid4(uuid2);
    snprintf(id, sizeof id, "%s.%s", uuid1, uuid2);
    const char *algorithm = s3__header(c, "x-amz-checksum-algorithm");
    char upper[16] = "";
    if (algorithm) {
        snprintf(upper, sizeof upper, "%s", algorithm);
        for (char *p = upper; *p; p++)
            *p = (char)toupper((unsigned char)*p);
        char probe[96];
        if (s3__checksum(upper, "", 0, probe, sizeof probe) != 0) {
            aws_fail(err, AWS_ERR_S3_INVALID_REQUEST,
                     "Checksum algorithm provided is unsupported. Please try "
                     "again with any of the valid types: [CRC32, CRC32C, "
                     "CRC64NVME, SHA1, SHA256]");
            return NULL;
        }
    }
    cJSON *tags = NULL;
    const char *tagging = s3__param(c, "x-amz-tagging");
    if (tagging && !(tags = s3__tagging_header_parse(tagging, err)))
        return NULL;
    char *tags_text = tags ? cJSON_PrintUnformatted(tags) : NULL;
    cJSON_Delete(tags);
    char *meta = s3__request_metadata(c);
    char *headers = s3__request_headers(c);
    sqlite3_stmt *st = store_stmt(
        req->srv->store,
        "INSERT INTO s3_upload (upload_id, bucket_id, key, content_type,"
        " metadata, headers, checksum_algorithm, created_ms, tags)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, b.id);
    sqlite3_bind_text(st, 3, c->key, -1, SQLITE_TRANSIENT);
    const char *type = s3__header(c, "Content-Type");
    if (type)
        sqlite3_bind_text(st, 4, type, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, meta, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 6, headers, -1, SQLITE_TRANSIENT);
    if (upper[0])
        sqlite3_bind_text(st, 7, upper, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 8, c->now_ms);
    if (tags_text)
        sqlite3_bind_text(st, 9, tags_text, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    cJSON_free(tags_text);
    free(meta);
    free(headers);
    if (rc != SQLITE_DONE) {
        aws_fail(err, AWS_ERR_INTERNAL_SERVER_ERROR, NULL);
        return NULL;
    }
    s3__xml_open(&c->out, "InitiateMultipartUploadResult");
    s3__xml_elem(&c->out, "Bucket", c->bucket);
    s3__xml_elem(&c->out, "Key", c->key);
    s3__xml_elem(&c->out, "UploadId", id);
    strbuf_puts(&c->out, "</InitiateMultipartUploadResult>");
    if (upper[0])
        http_response_header(c->resp, "x-amz-checksum-algorithm", upper);
    http_response_header(c->resp, "x-amz-server-side-encryption", "AES256");
    return s3__ok();
}

/* The partNumber of the request, 1 to 10000; -1 with InvalidArgument. */
static long s3_part_number(s3_ctx *c, aws_error *err)
{
    const char *number_text = cJSON_GetStringValue(
        cJSON_GetObjectItemCaseSensitive(c->query, "partNumber"));
    char *end;
    long number = strtol(number_text, &end, 10);
    if (end == number_text || *end || number < 1 || number > 10000) {
        aws_fail(err, AWS_ERR_S3_INVALID_ARGUMENT,
                 "Part number must be an integer between 1 and 10000, "
                 "inclusive");
        s3__add_elem(err, "ArgumentName", "partNumber");
        s3__add_elem(err, "ArgumentValue", number_text);
        return -1;
    }
    return number;
}

/* Store part `number` of the request's upload; writes its quoted ETag
 * into `etag` (40 bytes). Returns 0, or -1 with an error. */
static int s3_part_store(s3_ctx *c, long number, const void *data, size_t len,
                         const char *checksum, char etag[40], aws_error *err)
{
    char md5[33];
    s3__md5_hex(data, len, md5);
    snprintf(etag, 40, "\"%s\"", md5);
    sqlite3_stmt *st = store_stmt(
        c->req.srv->store,
        "INSERT OR REPLACE INTO s3_part (upload_id, part_number, data, etag,"
        " checksum, modified_ms) VALUES (?, ?, ?, ?, ?, ?)");
    sqlite3_bind_text(st, 1,
                      cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
                          c->query, "uploadId")),
                      -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 2, (int)number);
    sqlite3_bind_blob64(st, 3, len ? data : "", len, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, etag, -1, SQLITE_TRANSIENT);
    if (checksum && *checksum)
        sqlite3_bind_text(st, 5, checksum, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 6, c->now_ms);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return aws_fail(err, AWS_ERR_INTERNAL_SERVER_ERROR, NULL);
    return 0;
}

cJSON *s3_op_upload_part(aws_request *req, aws_error *err)
{
    s3_ctx *c = s3__ctx(req);
    s3_bucket b;
    s3_upload u;
    char etag[40];
    if (s3__bucket_get(req->srv, c->bucket, &b, err) != 0)
        return NULL;
    long number = s3_part_number(c, err);
    if (number < 0)
        return NULL;
    if (s3_upload_get(c, &b, &u, err) != 0)
        return NULL;
    s3_upload_free(&u);
    if (s3_part_store(c, number, c->body, c->body_len, c->checksum_value, etag,
                      err) != 0)
        return NULL;

    http_response_header(c->resp, "ETag", etag);
    http_response_header(c->resp, "x-amz-server-side-encryption", "AES256");
    if (c->checksum_algorithm[0]) {
        char name[64];
        snprintf(name, sizeof name, "x-amz-checksum-%s", c->checksum_algorithm);
        for (char *p = name; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        http_response_header(c->resp, name, c->checksum_value);
    }
    return s3__ok();
}

/*
 * Parse x-amz-copy-source-range ("bytes=first-last", both required) for a
 * source of `size` bytes. Returns 0 with the range (the whole object when
 * the header is absent), or -1 with InvalidArgument.
 */
static int s3_copy_range(const char *range, int64_t size, int64_t *first,
                         int64_t *last, aws_error *err)
{
    *first = 0;
    *last = size - 1;
    if (!range)
        return 0;
    long long a, b;
    char tail;
    if (sscanf(range, "bytes=%lld-%lld%c", &a, &b, &tail) != 2 || a < 0 ||
        b < a)
        return aws_fail(err, AWS_ERR_S3_INVALID_ARGUMENT,
                        "The x-amz-copy-source-range value must be of the "
                        "form bytes=first-last where first and last are the "
                        "zero-based offsets of the first and last bytes to "
                        "copy");
    if (b >= size)
        return aws_fail(err, AWS_ERR_S3_INVALID_ARGUMENT,
                        "Range specified is not valid for source object of "
                        "size: %lld",
                        (long long)size);
    *first = a;
    *last = b;
    return 0;
}

cJSON *s3_op_upload_part_copy(aws_request *req, aws_error *err)
{
    s3_ctx *c = s3__ctx(req);
    s3_bucket b, src_bucket;
    s3_upload u;
    s3_object src;
    char etag[40];
    if (s3__bucket_get(req->srv, c->bucket, &b, err) != 0)
        return NULL;
    long number = s3_part_number(c, err);
    if (number < 0)
        return NULL;
    if (s3_upload_get(c, &b, &u, err) != 0)
        return NULL;
    s3_upload_free(&u);

    /* x-amz-copy-source: [/]bucket/key[?versionId=...], URL-encoded. */
    const char *source = s3__header(c, "x-amz-copy-source");
    if (*source == '/')
        source++;
    char *decoded = s3__decode(source, strcspn(source, "?"), 0);
    char *slash = strchr(decoded, '/');
    if (!slash || !slash[1]) {
        free(decoded);
        aws_fail(err, AWS_ERR_S3_INVALID_ARGUMENT,
                 "Invalid copy source object key");
        s3__add_elem(err, "ArgumentName", "x-amz-copy-source");
        return NULL;
    }
    *slash = '\0';
    if (s3__bucket_get(req->srv, decoded, &src_bucket, err) != 0 ||
        s3__object_get(req->srv, src_bucket.id, slash + 1, 1, &src, err) != 0) {
        free(decoded);
        return NULL;
    }
    free(decoded);

    int64_t first, last;
    int rc = s3_copy_range(s3__header(c, "x-amz-copy-source-range"), src.size,
                           &first, &last, err);
    if (rc == 0)
        rc = s3_part_store(c, number, src.data + first,
                           (size_t)(last - first + 1), NULL, etag, err);
    s3__object_free(&src);
    if (rc != 0)
        return NULL;

    char date[32];
    s3__iso_date(c->now_ms, date);
    s3__xml_open(&c->out, "CopyPartResult");
    s3__xml_elem(&c->out, "LastModified", date);
    s3__xml_elem(&c->out, "ETag", etag);
    strbuf_puts(&c->out, "</CopyPartResult>");
    http_response_header(c->resp, "x-amz-server-side-encryption", "AES256");
    return s3__ok();
}

/* Whether two ETags are equal, ignoring surrounding quotes. */
static int s3_etag_equal(const char *a, const char *b)
{
    size_t alen = strlen(a), blen = strlen(b);
    if (alen >= 2 && a[0] == '"' && a[alen - 1] == '"') {
        a++;
        alen -= 2;
    }
    if (blen >= 2 && b[0] == '"' && b[blen - 1] == '"') {
        b++;
        blen -= 2;
    }
    return alen == blen && strncmp(a, b, alen) == 0;
}

cJSON *s3_op_complete_multipart_upload(aws_request *req, aws_error *err)
{
    s3_ctx *c = s3__ctx(req);
    s3_bucket b;
    s3_upload u;
    const char *id = cJSON_GetStringValue(
        cJSON_GetObjectItemCaseSensitive(c->query, "uploadId"));
    if (s3__bucket_get(req->srv, c->bucket, &b, err) != 0)
        return NULL;
    if (s3_upload_get(c, &b, &u, err) != 0)
        return NULL;
    s3_xml_node *doc = s3__xml_parse(c->body, c->body_len);
    if (!doc || strcmp(doc->name, "CompleteMultipartUpload") != 0 ||
        !s3__xml_child(doc, "Part")) {
        s3__xml_free(doc);
        s3_upload_free(&u);
        aws_fail(err, AWS_ERR_S3_MALFORMED_XML, NULL);
        return NULL;
    }

    strbuf data, md5s;
    strbuf_init(&data);
    strbuf_init(&md5s);
    long previous = 0, count = 0;
    size_t last_size = 0;
    int failed = 0;
    sqlite3_stmt *st =
        store_stmt(req->srv->store, "SELECT data, etag FROM s3_part WHERE"
                                    " upload_id = ? AND part_number = ?");
    for (const s3_xml_node *n = doc->child; n && !failed; n = n->next) {
        if (strcmp(n->name, "Part") != 0)
            continue;
        const char *number_text = s3__xml_text(n, "PartNumber");
        const char *etag = s3__xml_text(n, "ETag");
        long number = number_text ? strtol(number_text, NULL, 10) : 0;
        if (number <= previous) {
            failed = aws_fail(err, AWS_ERR_S3_INVALID_PART_ORDER, NULL);
            break;
        }
        if (count > 0 && last_size < S3_MIN_PART_BYTES) {
            failed = aws_fail(err, AWS_ERR_S3_ENTITY_TOO_SMALL, NULL);
            break;
        }
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(st, 2, (int)number);
        if (sqlite3_step(st) != SQLITE_ROW ||
            (etag &&
             !s3_etag_equal(etag, (const char *)sqlite3_column_text(st, 1)))) {
            failed = aws_fail(err, AWS_ERR_S3_INVALID_PART, NULL);
            s3__add_elem(err, "UploadId", id);
            s3__add_elem(err, "PartNumber", number_text ? number_text : "");
            s3__add_elem(err, "ETag", etag ? etag : "");
            break;
        }
        size_t n_bytes = (size_t)sqlite3_column_bytes(st, 0);
        strbuf_append(&data, sqlite3_column_blob(st, 0), n_bytes);
        unsigned char raw[16];
        s3__md5_raw(sqlite3_column_blob(st, 0), n_bytes, raw);
        strbuf_append(&md5s, (const char *)raw, 16);
        last_size = n_bytes;
        previous = number;
        count++;
    }
    sqlite3_reset(st);
    s3__xml_free(doc);
    if (failed) {
        strbuf_free(&data);
        strbuf_free(&md5s);
        s3_upload_free(&u);
        return NULL;
    }

    char md5[33], etag[48], version[40], checksum[96];
    s3__md5_hex(md5s.data, md5s.len, md5);
    snprintf(etag, sizeof etag, "\"%s-%ld\"", md5, count);
    s3__version_id(&b, version);
    /* NOTE: AWS stores a COMPOSITE checksum ("...-N") for most multipart
     * uploads; Stratus stores the whole object's checksum instead. */
    const char *algorithm =
        u.checksum_algorithm ? u.checksum_algorithm : "CRC64NVME";
    s3__checksum(algorithm, data.data ? data.data : "", data.len, checksum,
                 sizeof checksum);
    int rc = s3__object_store(
        req->srv, b.id, c->key, data.data ? data.data : "", data.len, etag,
        u.content_type, u.metadata ? u.metadata : "{}",
        u.headers ? u.headers : "{}", algorithm, checksum, version);
    if (rc == 0 && u.tags) {
        cJSON *tags = cJSON_Parse(u.tags);
        rc = s3__object_tags_store(req->srv, b.id, c->key, tags);
        cJSON_Delete(tags);
    }
    strbuf_free(&data);
    strbuf_free(&md5s);
    s3_upload_free(&u);
    if (rc != 0) {
        aws_fail(err, AWS_ERR_INTERNAL_SERVER_ERROR, NULL);
        return NULL;
    }
    s3_upload_delete(c, id);

    const char *host = s3__header(c, "Host");
    char location[2048];
    snprintf(location, sizeof location, "http://%s/%s/%s",
             host ? host : "localhost", c->bucket, c->key);
    s3__xml_open(&c->out, "CompleteMultipartUploadResult");
    s3__xml_elem(&c->out, "Location", location);
    s3__xml_elem(&c->out, "Bucket", c->bucket);
    s3__xml_elem(&c->out, "Key", c->key);
    s3__xml_elem(&c->out, "ETag", etag);
    strbuf_puts(&c->out, "</CompleteMultipartUploadResult>");
    if (version[0])
        http_response_header(c->resp, "x-amz-version-id", version);
    http_response_header(c->resp, "x-amz-server-side-encryption", "AES256");
    return s3__ok();
}

cJSON *s3_op_abort_multipart_upload(aws_request *req, aws_error *err)
{
    s3_ctx *c = s3__ctx(req);
    s3_bucket b;
    s3_upload u;
    if (s3__bucket_get(req->srv, c->bucket, &b, err) != 0)
        return NULL;
    if (s3_upload_get(c, &b, &u, err) != 0)
        return NULL;
    s3_upload_free(&u);
    s3_upload_delete(c, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
                            c->query, "uploadId")));
    req->status = 204;
    return s3__ok();
}

cJSON *s3_op_list_parts(aws_request *req, aws_error *err)
{
    s3_ctx *c = s3__ctx(req);
    s3_bucket b;
    s3_upload u;
    if (s3__bucket_get(req->srv, c->bucket, &b, err) != 0)
        return NULL;
    if (s3_upload_get(c, &b, &u, err) != 0)
        return NULL;
    s3_upload_free(&u);
    const char *id = cJSON_GetStringValue(
        cJSON_GetObjectItemCaseSensitive(c->query, "uploadId"));
    s3__xml_open(&c->out, "ListPartsResult");
    s3__xml_elem(&c->out, "Bucket", c->bucket);
    s3__xml_elem(&c->out, "Key", c->key);
    s3__xml_elem(&c->out, "UploadId", id);
    s3__xml_elem_int(&c->out, "PartNumberMarker", 0);
    s3__xml_elem_int(&c->out, "MaxParts", 1000);
    s3__xml_elem(&c->out, "IsTruncated", "false");
    s3__xml_elem(&c->out, "StorageClass", "STANDARD");
    sqlite3_stmt *st = store_stmt(
        req->srv->store,
        "SELECT part_number, etag, length(data), modified_ms FROM s3_part"
        " WHERE upload_id = ? ORDER BY part_number LIMIT 1000");
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    while (sqlite3_step(st) == SQLITE_ROW) {
        char date[32];
        s3__iso_date(sqlite3_column_int64(st, 3), date);
        strbuf_puts(&c->out, "<Part>");
        s3__xml_elem_int(&c->out, "PartNumber", sqlite3_column_int(st, 0));
        s3__xml_elem(&c->out, "LastModified", date);
        s3__xml_elem(&c->out, "ETag", (const char *)sqlite3_column_text(st, 1));
        s3__xml_elem_int(&c->out, "Size", sqlite3_column_int64(st, 2));
        strbuf_puts(&c->out, "</Part>");
    }
    sqlite3_reset(st);
    strbuf_puts(&c->out, "</ListPartsResult>");
    return s3__ok();
}

cJSON *s3_op_list_multipart_uploads(aws_request *req, aws_error *err)
{
    s3_ctx *c = s3__ctx(req);
    s3_bucket b;
    if (s3__bucket_get(req->srv, c->bucket, &b, err) != 0)
        return NULL;
    const char *prefix = cJSON_GetStringValue(
        cJSON_GetObjectItemCaseSensitive(c->query, "prefix"));
    s3__xml_open(&c->out, "ListMultipartUploadsResult");
    s3__xml_elem(&c->out, "Bucket", c->bucket);
    s3__xml_elem(&c->out, "KeyMarker", "");
    s3__xml_elem(&c->out, "UploadIdMarker", "");
    s3__xml_elem_int(&c->out, "MaxUploads", 1000);
    s3__xml_elem(&c->out, "IsTruncated", "false");
    if (prefix)
        s3__xml_elem(&c->out, "Prefix", prefix);
    /* NOTE: the first 1000 uploads only, without paging or delimiter. */
    sqlite3_stmt *st = store_stmt(
        req->srv->store,
        "SELECT key, upload_id, created_ms FROM s3_upload WHERE bucket_id = ?"
        " AND substr(key, 1, length(?2)) = ?2 ORDER BY key, created_ms"
        " LIMIT 1000");
    sqlite3_bind_int64(st, 1, b.id);
    sqlite3_bind_text(st, 2, prefix ? prefix : "", -1, SQLITE_TRANSIENT);
    while (sqlite3_step(st) == SQLITE_ROW) {
        char date[32];
        s3__iso_date(sqlite3_column_int64(st, 2), date);
        strbuf_puts(&c->out, "<Upload>");
        s3__xml_elem(&c->out, "Key", (const char *)sqlite3_column_text(st, 0));
        s3__xml_elem(&c->out, "UploadId",
                     (const char *)sqlite3_column_text(st, 1));
        strbuf_puts(&c->out, "<Initiator>");
        s3__xml_elem(&c->out, "ID", req->account);
        s3__xml_elem(&c->out, "DisplayName", "stratus");
        strbuf_puts(&c->out, "</Initiator><Owner>");
        s3__xml_elem(&c->out, "ID", req->account);
        s3__xml_elem(&c->out, "DisplayName", "stratus");
        strbuf_puts(&c->out, "</Owner>");
        s3__xml_elem(&c->out, "StorageClass", "STANDARD");
        s3__xml_elem(&c->out, "Initiated", date);
        strbuf_puts(&c->out, "</Upload>");
    }
    sqlite3_reset(st);
    strbuf_puts(&c->out, "</ListMultipartUploadsResult>");
    return s3__ok();
}
