/*
 * s3.c: the S3 service: schema, operation table, addressing (path-style
 * and virtual-hosted), routing by method and subresource, and the XML
 * error documents.
 *
 * S3 requests do not fit the JSON dispatcher: the operation follows from
 * the method, whether a bucket and a key are present, query subresources
 * (?cors, ?uploads) and one header (x-amz-copy-source). So the service
 * sets aws_service.serve and decodes everything here. Requests may come
 * unsigned: a browser's CORS preflight, a presigned URL, or a request
 * addressed to <bucket>.localhost (s3_claims_unsigned).
 */
#include "s3.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "log.h"
#include "s3_internal.h"
#include "store.h"

static const char *const s3_schema_steps[] = {
    "CREATE TABLE s3_bucket (id INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL UNIQUE, account TEXT NOT NULL,"
    " region TEXT NOT NULL, created_ms INTEGER NOT NULL,"
    " versioning TEXT NOT NULL DEFAULT '', cors TEXT)",
    /* Keys compare as bytes (BINARY collation), which is S3's UTF-8
     * order for listings. */
    "CREATE TABLE s3_object (bucket_id INTEGER NOT NULL"
    " REFERENCES s3_bucket (id) ON DELETE CASCADE,"
    " key TEXT NOT NULL, data BLOB NOT NULL, size INTEGER NOT NULL,"
    " etag TEXT NOT NULL, content_type TEXT, metadata TEXT NOT NULL,"
    " headers TEXT NOT NULL, checksum_algorithm TEXT, checksum TEXT,"
    " modified_ms INTEGER NOT NULL, version_id TEXT,"
    " PRIMARY KEY (bucket_id, key))",
    "CREATE TABLE s3_upload (upload_id TEXT PRIMARY KEY,"
    " bucket_id INTEGER NOT NULL REFERENCES s3_bucket (id)"
    " ON DELETE CASCADE, key TEXT NOT NULL, content_type TEXT,"
    " metadata TEXT NOT NULL, headers TEXT NOT NULL,"
    " checksum_algorithm TEXT, created_ms INTEGER NOT NULL)",
    "CREATE TABLE s3_part (upload_id TEXT NOT NULL REFERENCES s3_upload"
    " (upload_id) ON DELETE CASCADE, part_number INTEGER NOT NULL,"
    " data BLOB NOT NULL, etag TEXT NOT NULL, checksum TEXT,"
    " modified_ms INTEGER NOT NULL, PRIMARY KEY (upload_id, part_number))",
    /* Object tags: a JSON array of {Key, Value}, NULL when untagged. */
    "ALTER TABLE s3_object ADD COLUMN tags TEXT",
    /* Bucket configuration documents stored as sent (s3_config.c). */
    "CREATE TABLE s3_bucket_config (bucket_id INTEGER NOT NULL"
    " REFERENCES s3_bucket (id) ON DELETE CASCADE, name TEXT NOT NULL,"
    " body BLOB NOT NULL, PRIMARY KEY (bucket_id, name))",
    /* Tags from CreateMultipartUpload's x-amz-tagging, set on completion. */
    "ALTER TABLE s3_upload ADD COLUMN tags TEXT",
};

static int s3_init(stratus *srv, aws_error *err)
{
    char errbuf[256];
    if (store_migrate(srv->store, "s3", s3_schema_steps,
                      sizeof s3_schema_steps / sizeof *s3_schema_steps, errbuf,
                      sizeof errbuf) != 0)
        return aws_fail(err, AWS_ERR_INTERNAL_SERVER_ERROR, "%s", errbuf);
    return 0;
}

cJSON *s3__ok(void)
{
    return cJSON_CreateObject();
}

const char *s3__header(const s3_ctx *c, const char *name)
{
    return http_request_header(c->req.http, name);
}

const char *s3__param(const s3_ctx *c, const char *name)
{
    const cJSON *q = cJSON_GetObjectItemCaseSensitive(c->query, name);
    if (cJSON_IsString(q))
        return q->valuestring;
    return s3__header(c, name);
}

int s3__has_param(const s3_ctx *c, const char *name)
{
    return cJSON_GetObjectItemCaseSensitive(c->query, name) != NULL;
}

void s3__add_elem(aws_error *err, const char *name, const char *value)
{
    if (!err->extra)
        err->extra = cJSON_CreateObject();
    cJSON_AddStringToObject(err->extra, name, value ? value : "");
}

int s3__fail_with(aws_error *err, aws_code code, const char *elem,
                  const char *value)
{
    aws_fail(err, code, NULL);
    if (elem)
        s3__add_elem(err, elem, value);
    return -1;
}

/* Addressing. */

static int s3_hex(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Percent-decode; '+' is a space only in query strings. */
char *s3__decode(const char *s, size_t len, int plus_is_space)
{
    char *out = xmalloc(len + 1);
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '%' && i + 2 < len && s3_hex(s[i + 1]) >= 0 &&
            s3_hex(s[i + 2]) >= 0) {
            out[o++] = (char)(s3_hex(s[i + 1]) * 16 + s3_hex(s[i + 2]));
            i += 2;
        } else if (s[i] == '+' && plus_is_space) {
            out[o++] = ' ';
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
    return out;
}

static void s3_parse_query(const char *query, cJSON *params)
{
    const char *q = query;
    while (q && *q) {
        const char *amp = strchr(q, '&');
        size_t len = amp ? (size_t)(amp - q) : strlen(q);
        const char *eq = memchr(q, '=', len);
        size_t klen = eq ? (size_t)(eq - q) : len;
        if (klen) {
            char *key = s3__decode(q, klen, 1);
            char *value =
                eq ? s3__decode(eq + 1, len - klen - 1, 1) : xstrdup("");
            if (!cJSON_GetObjectItemCaseSensitive(params, key))
                cJSON_AddItemToObject(params, key, cJSON_CreateString(value));
            free(key);
            free(value);
        }
        q = amp ? amp + 1 : NULL;
    }
}

/*
 * The bucket named by a virtual-hosted Host header: "<bucket>.localhost"
 * or "<bucket>.s3.localhost", with or without a port. Returns a new
 * string, or NULL for path-style addressing.
 */
static char *s3_host_bucket(const char *host)
{
    if (!host)
        return NULL;
    size_t len = strcspn(host, ":");
    static const char suffix[] = ".localhost";
    size_t slen = sizeof suffix - 1;
    if (len <= slen || strncasecmp(host + len - slen, suffix, slen) != 0)
        return NULL;
    len -= slen;
    if (len > 3 && strncasecmp(host + len - 3, ".s3", 3) == 0)
        len -= 3;
    if (len == 2 && strncasecmp(host, "s3", 2) == 0)
        return NULL;
    char *bucket = xstrndup(host, len);
    for (char *p = bucket; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return bucket;
}

static int s3_claims_unsigned(const http_request *req)
{
    if (strcmp(req->method, "OPTIONS") == 0)
        return 1;
    char *bucket = s3_host_bucket(http_request_header(req, "Host"));
    int claimed = bucket != NULL;
    free(bucket);
    return claimed;
}

/* Whether `s` is valid UTF-8 (no overlong forms, surrogates or code
 * points past U+10FFFF). */
static int s3_utf8_valid(const unsigned char *s)
{
    while (*s) {
        unsigned c = *s;
        size_t n = c < 0x80         ? 0
                   : (c >> 5) == 6  ? 1
                   : (c >> 4) == 14 ? 2
                   : (c >> 3) == 30 ? 3
                                    : 4;
        if (n == 4)
            return 0;
        unsigned cp = n == 0 ? c : c & (0x3f >> n);
        for (size_t i = 1; i <= n; i++) {
            if ((s[i] & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i] & 0x3f);
        }
        if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
            (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        s += n + 1;
    }
    return 1;
}

/* Whether the object key of the request is one S3 stores: valid UTF-8,
 * and no NUL byte, which the raw path can only carry as %00 (a decoded
 * key would silently end there and name another object). */
static int s3_key_valid(const char *raw_path, const char *key)
{
    for (const char *p = raw_path; (p = strchr(p, '%')) != NULL; p++)
        if (p[1] == '0' && p[2] == '0')
            return 0;
    return s3_utf8_valid((const unsigned char *)key);
}

/* Split the request into bucket and key. */
static void s3_address(s3_ctx *c)
{
    const char *path = c->req.http->path;
    char *host_bucket = s3_host_bucket(s3__header(c, "Host"));
    if (path[0] == '/')
        path++;
    if (host_bucket) {
        c->bucket = host_bucket;
        if (*path)
            c->key = s3__decode(path, strlen(path), 0);
        return;
    }
    const char *slash = strchr(path, '/');
    size_t blen = slash ? (size_t)(slash - path) : strlen(path);
    if (blen)
        c->bucket = s3__decode(path, blen, 0);
    if (slash && slash[1])
        c->key = s3__decode(slash + 1, strlen(slash + 1), 0);
}

/* Routing. */

/*
 * The operation table. Routing reads http_path: "{Key+}" marks an object
 * operation, and each query name after '?' must be present (with its value
 * when given as name=value). Rows are tried in order, so subresources come
 * before the plain forms. CopyObject and UploadPartCopy also need the
 * x-amz-copy-source header (s3_route).
 */
static const aws_operation s3_operations[] = {
    {"ListBuckets", s3_op_list_buckets, "GET", "/"},
    /* Bucket subresources. */
    {"PutBucketCors", s3_op_put_bucket_cors, "PUT", "/{Bucket}?cors"},
    {"GetBucketCors", s3_op_get_bucket_cors, "GET", "/{Bucket}?cors"},
    {"DeleteBucketCors", s3_op_delete_bucket_cors, "DELETE", "/{Bucket}?cors"},
    {"PutBucketVersioning", s3_op_put_bucket_versioning, "PUT",
     "/{Bucket}?versioning"},
    {"GetBucketVersioning", s3_op_get_bucket_versioning, "GET",
     "/{Bucket}?versioning"},
    {"GetBucketLocation", s3_op_get_bucket_location, "GET",
     "/{Bucket}?location"},
    {"ListObjectsV2", s3_op_list_objects_v2, "GET", "/{Bucket}?list-type=2"},
    {"ListMultipartUploads", s3_op_list_multipart_uploads, "GET",
     "/{Bucket}?uploads"},
    {"ListObjectVersions", s3_op_list_object_versions, "GET",
     "/{Bucket}?versions"},
    {"DeleteObjects", s3_op_delete_objects, "POST", "/{Bucket}?delete"},
    {"PutBucketAcl", NULL, "PUT", "/{Bucket}?acl"},
    {"GetBucketAcl", s3_op_get_bucket_acl, "GET", "/{Bucket}?acl"},
    {"PutBucketPolicy", s3_op_put_bucket_config, "PUT", "/{Bucket}?policy"},
    {"GetBucketPolicy", s3_op_get_bucket_config, "GET", "/{Bucket}?policy"},
    {"DeleteBucketPolicy", s3_op_delete_bucket_config, "DELETE",
     "/{Bucket}?policy"},
    {"GetBucketPolicyStatus", NULL, "GET", "/{Bucket}?policyStatus"},
    {"PutBucketTagging", s3_op_put_bucket_config, "PUT", "/{Bucket}?tagging"},
    {"GetBucketTagging", s3_op_get_bucket_config, "GET", "/{Bucket}?tagging"},
    {"DeleteBucketTagging", s3_op_delete_bucket_config, "DELETE",
     "/{Bucket}?tagging"},
    {"PutBucketEncryption", s3_op_put_bucket_config, "PUT",
     "/{Bucket}?encryption"},
    {"GetBucketEncryption", s3_op_get_bucket_config, "GET",
     "/{Bucket}?encryption"},
    {"DeleteBucketEncryption", s3_op_delete_bucket_config, "DELETE",
     "/{Bucket}?encryption"},
    {"PutBucketLifecycleConfiguration", s3_op_put_bucket_config, "PUT",
     "/{Bucket}?lifecycle"},
    {"GetBucketLifecycleConfiguration", s3_op_get_bucket_config, "GET",
     "/{Bucket}?lifecycle"},
    {"DeleteBucketLifecycle", s3_op_delete_bucket_config, "DELETE",
     "/{Bucket}?lifecycle"},
    {"PutBucketNotificationConfiguration", NULL, "PUT",
     "/{Bucket}?notification"},
    {"GetBucketNotificationConfiguration", NULL, "GET",
     "/{Bucket}?notification"},
    {"PutPublicAccessBlock", s3_op_put_bucket_config, "PUT",
     "/{Bucket}?publicAccessBlock"},
    {"GetPublicAccessBlock", s3_op_get_bucket_config, "GET",
     "/{Bucket}?publicAccessBlock"},
    {"DeletePublicAccessBlock", s3_op_delete_bucket_config, "DELETE",
     "/{Bucket}?publicAccessBlock"},
    {"PutBucketOwnershipControls", s3_op_put_bucket_config, "PUT",
     "/{Bucket}?ownershipControls"},
    {"GetBucketOwnershipControls", s3_op_get_bucket_config, "GET",
     "/{Bucket}?ownershipControls"},
    {"DeleteBucketOwnershipControls", s3_op_delete_bucket_config, "DELETE",
     "/{Bucket}?ownershipControls"},
    {"PutBucketWebsite", s3_op_put_bucket_config, "PUT", "/{Bucket}?website"},
    {"GetBucketWebsite", s3_op_get_bucket_config, "GET", "/{Bucket}?website"},
    {"DeleteBucketWebsite", s3_op_delete_bucket_config, "DELETE",
     "/{Bucket}?website"},
    {"PutBucketLogging", NULL, "PUT", "/{Bucket}?logging"},
    {"GetBucketLogging", NULL, "GET", "/{Bucket}?logging"},
    {"PutBucketReplication", NULL, "PUT", "/{Bucket}?replication"},
    {"GetBucketReplication", NULL, "GET", "/{Bucket}?replication"},
    {"DeleteBucketReplication", NULL, "DELETE", "/{Bucket}?replication"},
    {"PutBucketRequestPayment", NULL, "PUT", "/{Bucket}?requestPayment"},
    {"GetBucketRequestPayment", NULL, "GET", "/{Bucket}?requestPayment"},
    {"PutBucketAccelerateConfiguration", NULL, "PUT", "/{Bucket}?accelerate"},
    {"GetBucketAccelerateConfiguration", NULL, "GET", "/{Bucket}?accelerate"},
    {"PutObjectLockConfiguration", NULL, "PUT", "/{Bucket}?object-lock"},
    {"GetObjectLockConfiguration", NULL, "GET", "/{Bucket}?object-lock"},
    {"PutBucketAnalyticsConfiguration", NULL, "PUT", "/{Bucket}?analytics&id"},
    {"GetBucketAnalyticsConfiguration", NULL, "GET", "/{Bucket}?analytics&id"},
    {"PutBucketMetricsConfiguration", NULL, "PUT", "/{Bucket}?metrics&id"},
    {"GetBucketMetricsConfiguration", NULL, "GET", "/{Bucket}?metrics&id"},
    {"PutBucketInventoryConfiguration", NULL, "PUT", "/{Bucket}?inventory&id"},
    {"GetBucketInventoryConfiguration", NULL, "GET", "/{Bucket}?inventory&id"},
    {"PutBucketIntelligentTieringConfiguration", NULL, "PUT",
     "/{Bucket}?intelligent-tiering&id"},
    {"GetBucketIntelligentTieringConfiguration", NULL, "GET",
     "/{Bucket}?intelligent-tiering&id"},
    {"DeleteBucketAnalyticsConfiguration", NULL, "DELETE",
     "/{Bucket}?analytics&id"},
    {"DeleteBucketMetricsConfiguration", NULL, "DELETE",
     "/{Bucket}?metrics&id"},
    {"DeleteBucketInventoryConfiguration", NULL, "DELETE",
     "/{Bucket}?inventory&id"},
    {"DeleteBucketIntelligentTieringConfiguration", NULL, "DELETE",
     "/{Bucket}?intelligent-tiering&id"},
    {"ListBucketAnalyticsConfigurations", NULL, "GET", "/{Bucket}?analytics"},
    {"ListBucketMetricsConfigurations", NULL, "GET", "/{Bucket}?metrics"},
    {"ListBucketInventoryConfigurations", NULL, "GET", "/{Bucket}?inventory"},
    {"ListBucketIntelligentTieringConfigurations", NULL, "GET",
     "/{Bucket}?intelligent-tiering"},
    {"GetBucketAbac", NULL, "GET", "/{Bucket}?abac"},
    {"PutBucketAbac", NULL, "PUT", "/{Bucket}?abac"},
    {"CreateSession", NULL, "GET", "/{Bucket}?session"},
    {"CreateBucketMetadataConfiguration", NULL, "POST",
     "/{Bucket}?metadataConfiguration"},
    {"GetBucketMetadataConfiguration", NULL, "GET",
     "/{Bucket}?metadataConfiguration"},
    {"DeleteBucketMetadataConfiguration", NULL, "DELETE",
     "/{Bucket}?metadataConfiguration"},
    {"CreateBucketMetadataTableConfiguration", NULL, "POST",
     "/{Bucket}?metadataTable"},
    {"GetBucketMetadataTableConfiguration", NULL, "GET",
     "/{Bucket}?metadataTable"},
    {"DeleteBucketMetadataTableConfiguration", NULL, "DELETE",
     "/{Bucket}?metadataTable"},
    {"UpdateBucketMetadataAnnotationTableConfiguration", NULL, "PUT",
     "/{Bucket}?metadataAnnotationTable"},
    {"UpdateBucketMetadataInventoryTableConfiguration", NULL, "PUT",
     "/{Bucket}?metadataInventoryTable"},
    {"UpdateBucketMetadataJournalTableConfiguration", NULL, "PUT",
     "/{Bucket}?metadataJournalTable"},
    /* Older forms of the lifecycle and notification operations; the rows
     * above with the same path take their requests. */
    {"GetBucketLifecycle", NULL, "GET", "/{Bucket}?lifecycle"},
    {"PutBucketLifecycle", NULL, "PUT", "/{Bucket}?lifecycle"},
    {"GetBucketNotification", NULL, "GET", "/{Bucket}?notification"},
    {"PutBucketNotification", NULL, "PUT", "/{Bucket}?notification"},
    /* Plain bucket operations. */
    {"CreateBucket", s3_op_create_bucket, "PUT", "/{Bucket}"},
    {"HeadBucket", s3_op_head_bucket, "HEAD", "/{Bucket}"},
    {"DeleteBucket", s3_op_delete_bucket, "DELETE", "/{Bucket}"},
    {"ListObjects", s3_op_list_objects, "GET", "/{Bucket}"},
    /* Object subresources. */
    {"UploadPartCopy", s3_op_upload_part_copy, "PUT",
     "/{Bucket}/{Key+}?partNumber&uploadId"},
    {"UploadPart", s3_op_upload_part, "PUT",
     "/{Bucket}/{Key+}?partNumber&uploadId"},
    {"CreateMultipartUpload", s3_op_create_multipart_upload, "POST",
     "/{Bucket}/{Key+}?uploads"},
    {"CompleteMultipartUpload", s3_op_complete_multipart_upload, "POST",
     "/{Bucket}/{Key+}?uploadId"},
    {"AbortMultipartUpload", s3_op_abort_multipart_upload, "DELETE",
     "/{Bucket}/{Key+}?uploadId"},
    {"ListParts", s3_op_list_parts, "GET", "/{Bucket}/{Key+}?uploadId"},
    {"PutObjectTagging", s3_op_put_object_tagging, "PUT",
     "/{Bucket}/{Key+}?tagging"},
    {"GetObjectTagging", s3_op_get_object_tagging, "GET",
     "/{Bucket}/{Key+}?tagging"},
    {"DeleteObjectTagging", s3_op_delete_object_tagging, "DELETE",
     "/{Bucket}/{Key+}?tagging"},
    {"PutObjectAcl", NULL, "PUT", "/{Bucket}/{Key+}?acl"},
    {"GetObjectAcl", NULL, "GET", "/{Bucket}/{Key+}?acl"},
    {"GetObjectAttributes", NULL, "GET", "/{Bucket}/{Key+}?attributes"},
    {"PutObjectRetention", NULL, "PUT", "/{Bucket}/{Key+}?retention"},
    {"GetObjectRetention", NULL, "GET", "/{Bucket}/{Key+}?retention"},
    {"PutObjectLegalHold", NULL, "PUT", "/{Bucket}/{Key+}?legal-hold"},
    {"GetObjectLegalHold", NULL, "GET", "/{Bucket}/{Key+}?legal-hold"},
    {"RestoreObject", NULL, "POST", "/{Bucket}/{Key+}?restore"},
    {"SelectObjectContent", NULL, "POST", "/{Bucket}/{Key+}?select"},
    {"GetObjectTorrent", NULL, "GET", "/{Bucket}/{Key+}?torrent"},
    {"PutObjectAnnotation", NULL, "PUT", "/{Bucket}/{Key+}?annotation"},
    {"GetObjectAnnotation", NULL, "GET",
     "/{Bucket}/{Key+}?annotation&annotationName"},
    {"ListObjectAnnotations", NULL, "GET", "/{Bucket}/{Key+}?annotation"},
    {"DeleteObjectAnnotation", NULL, "DELETE", "/{Bucket}/{Key+}?annotation"},
    {"RenameObject", NULL, "PUT", "/{Bucket}/{Key+}?renameObject"},
    {"UpdateObjectEncryption", NULL, "PUT", "/{Bucket}/{Key+}?encryption"},
    /* Plain object operations. */
    {"CopyObject", s3_op_copy_object, "PUT", "/{Bucket}/{Key+}"},
    {"PutObject", s3_op_put_object, "PUT", "/{Bucket}/{Key+}"},
    {"GetObject", s3_op_get_object, "GET", "/{Bucket}/{Key+}"},
    {"HeadObject", s3_op_head_object, "HEAD", "/{Bucket}/{Key+}"},
    {"DeleteObject", s3_op_delete_object, "DELETE", "/{Bucket}/{Key+}"},
    /* Never routed here: directory buckets and Object Lambda have their
     * own endpoints in AWS. */
    {"ListDirectoryBuckets", NULL, "GET", "/"},
    {"WriteGetObjectResponse", NULL, "POST", "/WriteGetObjectResponse"},
};

/* Whether every query requirement of `tmpl` ("?a&b=c") holds. */
static int s3_query_matches(const s3_ctx *c, const char *tmpl)
{
    const char *q = strchr(tmpl, '?');
    if (!q)
        return 1;
    q++;
    while (*q) {
        size_t len = strcspn(q, "&");
        char want[64];
        snprintf(want, sizeof want, "%.*s", (int)len, q);
        char *eq = strchr(want, '=');
        if (eq)
            *eq = '\0';
        const cJSON *have = cJSON_GetObjectItemCaseSensitive(c->query, want);
        if (!have)
            return 0;
        if (eq &&
            (!cJSON_IsString(have) || strcmp(have->valuestring, eq + 1) != 0))
            return 0;
        q += len;
        if (*q == '&')
            q++;
    }
    return 1;
}

static const aws_operation *s3_route(const s3_ctx *c)
{
    const char *method = c->req.http->method;
    int copy = s3__header(c, "x-amz-copy-source") != NULL;

    for (size_t i = 0; i < sizeof s3_operations / sizeof *s3_operations; i++) {
        const aws_operation *op = &s3_operations[i];
        if (strcmp(op->http_method, method) != 0)
            continue;
        int object_op = strstr(op->http_path, "{Key+}") != NULL;
        int bucket_op = strstr(op->http_path, "{Bucket}") != NULL;
        if (object_op != (c->key != NULL) || bucket_op != (c->bucket != NULL))
            continue;
        if (!bucket_op && strcmp(op->http_path, "/") != 0)
            continue; /* a fixed path such as /WriteGetObjectResponse */
        if (!s3_query_matches(c, op->http_path))
            continue;
        if ((strcmp(op->name, "CopyObject") == 0 ||
             strcmp(op->name, "UploadPartCopy") == 0) &&
            !copy)
            continue;
        return op;
    }
    return NULL;
}

/* Responses. */

static void s3_common_headers(s3_ctx *c)
{
    char host_id[80];
    http_response_header(c->resp, "x-amz-request-id", c->req.request_id);
    snprintf(host_id, sizeof host_id, "stratus/%s", c->req.request_id);
    http_response_header(c->resp, "x-amz-id-2", host_id);
    http_response_header(c->resp, "Server", "AmazonS3");
}

/* Render an error: the XML document, or no body for HEAD. */
static void s3_error_render(s3_ctx *c, const aws_error *err)
{
    int status = err->status ? err->status : aws_code_status(err->code);
    c->resp->status = status;
    if (c->head) {
        http_response_take_body(c->resp, NULL, 0);
        return;
    }
    strbuf b;
    strbuf_init(&b);
    strbuf_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error>");
    s3__xml_elem(&b, "Code", aws_code_name(err->code));
    s3__xml_elem(&b, "Message", err->message);
    for (const cJSON *m = err->extra ? err->extra->child : NULL; m; m = m->next)
        if (cJSON_IsString(m))
            s3__xml_elem(&b, m->string, m->valuestring);
    s3__xml_elem(&b, "RequestId", c->req.request_id);
    strbuf_printf(&b, "<HostId>stratus/%s</HostId></Error>", c->req.request_id);
    size_t len;
    char *body = strbuf_take(&b, &len);
    http_response_header(c->resp, "Content-Type", "application/xml");
    http_response_take_body(c->resp, body, len);
}

static double s3_elapsed_ms(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) * 1e3 +
           (double)(now.tv_nsec - start->tv_nsec) / 1e6;
}

static void s3_ctx_free(s3_ctx *c)
{
    free(c->bucket);
    free(c->key);
    free(c->body);
    cJSON_Delete(c->query);
    strbuf_free(&c->out);
}

/* Run the handler inside a store call; 0 on success. */
static int s3_run(s3_ctx *c, const aws_operation *op, aws_error *err,
                  int *needs_commit)
{
    stratus *srv = c->req.srv;
    if (store_call_begin(srv->store) != SQLITE_OK) {
        log_error("s3", "cannot begin store call for %s: %s", op->name,
                  sqlite3_errmsg(store_db(srv->store)));
        return aws_fail(err, AWS_ERR_INTERNAL_SERVER_ERROR, NULL);
    }
    cJSON *out = op->handler(&c->req, err);
    store_call_end(srv->store, out != NULL);
    *needs_commit = store_dirty(srv->store);
    if (!out) {
        if (err->code == AWS_OK)
            aws_fail(err, AWS_ERR_INTERNAL_SERVER_ERROR, NULL);
        return -1;
    }
    cJSON_Delete(out);
    return 0;
}

static void s3_serve(aws_request *areq, http_response *resp, int *needs_commit)
{
    struct timespec started;
    s3_ctx c;
    aws_error err;
    const aws_operation *op = NULL;

    clock_gettime(CLOCK_MONOTONIC, &started);
    memset(&c, 0, sizeof c);
    memset(&err, 0, sizeof err);
    *needs_commit = 0;
    c.req = *areq;
    c.resp = resp;
    c.query = cJSON_CreateObject();
    c.head = strcmp(areq->http->method, "HEAD") == 0;
    c.now_ms = clock_now_ms(&areq->srv->clock);
    strbuf_init(&c.out);
    s3_parse_query(areq->http->query, c.query);
    s3_address(&c);
    s3_common_headers(&c);

    if (strcmp(areq->http->method, "OPTIONS") == 0) {
        c.op = "PreflightRequest";
        s3__cors_preflight(&c);
        goto done;
    }
    if (s3__presign_check(&c, &err) != 0)
        goto fail;

    op = s3_route(&c);
    if (!op) {
        s3__fail_with(&err, AWS_ERR_S3_METHOD_NOT_ALLOWED, "Method",
                      areq->http->method);
        s3__add_elem(&err, "ResourceType",
                     c.key ? "OBJECT" : (c.bucket ? "BUCKET" : "SERVICE"));
        goto fail;
    }
    c.op = op->name;
    c.req.operation = op->name;
    if (!op->handler) {
        aws_fail(&err, AWS_ERR_S3_NOT_IMPLEMENTED,
                 "Stratus does not implement S3 %s yet (see `stratus ops`)",
                 op->name);
        goto fail;
    }
    if (c.bucket && strcmp(op->name, "CreateBucket") != 0 &&
        !s3__bucket_name_valid(c.bucket)) {
        s3__fail_with(&err, AWS_ERR_S3_NO_SUCH_BUCKET, "BucketName", c.bucket);
        goto fail;
    }
    /* NOTE: InvalidURI as AWS's error here is not confirmed from a
     * recorded response, though AWS rejects keys that are not UTF-8. */
    if (c.key && !s3_key_valid(c.req.http->path, c.key)) {
        aws_fail(&err, AWS_ERR_S3_INVALID_URI, NULL);
        goto fail;
    }
    if (c.key && strlen(c.key) > S3_MAX_KEY_BYTES) {
        aws_fail(&err, AWS_ERR_S3_KEY_TOO_LONG, NULL);
        char size[32];
        snprintf(size, sizeof size, "%d", S3_MAX_KEY_BYTES);
        s3__add_elem(&err, "MaxSizeAllowed", size);
        goto fail;
    }
    if (s3__iam_check(&c, &err) != 0)
        goto fail;
    if (s3__body_decode(&c, &err) != 0)
        goto fail;
    if (s3_run(&c, op, &err, needs_commit) != 0)
        goto fail;

    resp->status = c.req.status;
    if (c.out.len) {
        size_t len;
        char *body = strbuf_take(&c.out, &len);
        http_response_header(resp, "Content-Type", "application/xml");
        http_response_take_body(resp, body, len);
    }
    goto done;

fail:
    s3_error_render(&c, &err);
done:
    s3__cors_headers(&c);
    log_at(LOG_INFO, "s3", areq->request_id, "s3 %s %d %s %.2fms",
           c.op ? c.op : "-", resp->status,
           err.code ? aws_code_name(err.code) : "", s3_elapsed_ms(&started));
    aws_error_reset(&err);
    s3_ctx_free(&c);
}

int s3_object_read(stratus *srv, const char *account, const char *bucket,
                   const char *key, unsigned char **data, size_t *len,
                   aws_error *err)
{
    s3_bucket b;
    (void)account;
    if (s3__bucket_get(srv, bucket, &b, err) != 0)
        return -1;
    sqlite3_stmt *st = store_stmt(
        srv->store,
        "SELECT data FROM s3_object WHERE bucket_id = ? AND key = ?");
    sqlite3_bind_int64(st, 1, b.id);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_reset(st);
        return s3__fail_with(err, AWS_ERR_S3_NO_SUCH_KEY, "Key", key);
    }
    size_t n = (size_t)sqlite3_column_bytes(st, 0);
    unsigned char *copy = xmalloc(n + 1);
    if (n)
        memcpy(copy, sqlite3_column_blob(st, 0), n);
    copy[n] = '\0';
    sqlite3_reset(st);
    *data = copy;
    *len = n;
    return 0;
}

const aws_service s3_service = {
    .name = "s3",
    .signing_name = "s3",
    .error_prefix = "",
    .protocol = AWS_PROTO_REST_XML,
    .operations = s3_operations,
    .operation_count = sizeof s3_operations / sizeof *s3_operations,
    .init = s3_init,
    .serve = s3_serve,
    .claims_unsigned = s3_claims_unsigned,
};
