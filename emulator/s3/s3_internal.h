/*
 * s3_internal.h: what the files of the S3 service share: the request
 * context, the XML writer and reader, request body decoding, and the
 * bucket and object lookups.
 */
#ifndef STRATUS_S3_INTERNAL_H
#define STRATUS_S3_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "aws.h"
#include "http.h"
#include "stratus.h"
#include "util.h"

/* Maximum object key length AWS accepts, in bytes of UTF-8. */
#define S3_MAX_KEY_BYTES 1024

/*
 * One S3 request. `req` comes first, so a handler given the aws_request
 * pointer converts it back (s3__ctx). Handlers write headers into `resp`
 * and the body into `out`, and return an empty cJSON object on success.
 */
typedef struct s3_ctx {
    aws_request req;
    http_response *resp;
    char *bucket;   /* percent-decoded; NULL for the service root */
    char *key;      /* percent-decoded; NULL for a bucket request */
    cJSON *query;   /* decoded query parameters, name to string */
    const char *op; /* operation name */
    char *body;     /* the payload, aws-chunked framing removed */
    size_t body_len;
    /* Checksum the client sent (header or aws-chunked trailer), already
     * verified: algorithm ("CRC32") and base64 value, or empty. */
    char checksum_algorithm[16];
    char checksum_value[96];
    int presigned; /* authenticated by query parameters */
    strbuf out;    /* XML body of a success response */
    int head;      /* HEAD request: no body is sent */
    int64_t now_ms;
} s3_ctx;

static inline s3_ctx *s3__ctx(aws_request *req)
{
    return (s3_ctx *)req;
}

/* s3.c */
/* Percent-decode `len` bytes into a new string; '+' is a space only when
 * `plus_is_space` (query strings). */
char *s3__decode(const char *s, size_t len, int plus_is_space);
const char *s3__header(const s3_ctx *c, const char *name);
/* A query parameter, or a header of that name when absent from the query
 * (presigned URLs hoist headers into the query). */
const char *s3__param(const s3_ctx *c, const char *name);
int s3__has_param(const s3_ctx *c, const char *name);
/* The error with an extra XML element (`name`, `value`) after Message. */
int s3__fail_with(aws_error *err, aws_code code, const char *elem,
                  const char *value);
void s3__add_elem(aws_error *err, const char *name, const char *value);
cJSON *s3__ok(void);

/* s3_xml.c: writer */
void s3__xml_escape(strbuf *b, const char *s);
void s3__xml_elem(strbuf *b, const char *name, const char *value);
void s3__xml_elem_int(strbuf *b, const char *name, long long value);
void s3__xml_open(strbuf *b, const char *root);
/* Format `ms` as an RFC 1123 date ("Fri, 04 Dec 2026 23:28:40 GMT") or as
 * ISO-8601 with milliseconds. */
void s3__http_date(int64_t ms, char out[40]);
void s3__iso_date(int64_t ms, char out[32]);

/* s3_xml.c: reader, enough for S3 request bodies (elements and text;
 * attributes, comments and processing instructions are skipped). */
typedef struct s3_xml_node {
    char *name; /* local name, namespace prefix removed */
    char *text; /* concatenated character data, entities decoded */
    struct s3_xml_node *child, *next;
} s3_xml_node;

s3_xml_node *s3__xml_parse(const char *text, size_t len);
void s3__xml_free(s3_xml_node *n);
s3_xml_node *s3__xml_child(const s3_xml_node *n, const char *name);
const char *s3__xml_text(const s3_xml_node *n, const char *name);

/* s3_body.c */
int s3__body_decode(s3_ctx *c, aws_error *err);
/* Base64 of the checksum `algorithm` ("CRC32", "CRC32C",
 * "CRC64NVME", "SHA1", "SHA256") of data; returns -1 for an unknown algorithm.
 */
int s3__checksum(const char *algorithm, const void *data, size_t len, char *out,
                 size_t size);
void s3__md5_hex(const void *data, size_t len, char out[33]);
void s3__md5_raw(const void *data, size_t len, unsigned char out[16]);
int s3__base64_decode(const char *in, unsigned char *out, size_t size);
void s3__base64_encode(const unsigned char *in, size_t len, char *out,
                       size_t size);

/* s3_bucket.c */
typedef struct s3_bucket {
    int64_t id;
    char account[13];
    char region[64];
    char versioning[16]; /* "", "Enabled" or "Suspended" */
    int64_t created_ms;
} s3_bucket;

/* Find bucket `name`; -1 with NoSuchBucket when absent. */
int s3__bucket_get(struct stratus *srv, const char *name, s3_bucket *out,
                   aws_error *err);
int s3__bucket_create(struct stratus *srv, const char *account,
                      const char *region, const char *name, aws_error *err);
int s3__bucket_name_valid(const char *name);
/* Store the CORS rules (a JSON array in PutBucketCors's shape), or remove
 * them when `rules` is NULL. */
int s3__cors_store(struct stratus *srv, int64_t bucket_id, const cJSON *rules);
cJSON *s3__cors_load(struct stratus *srv, int64_t bucket_id);

/* s3_object.c */
/* An object's stored attributes, read by GetObject, HeadObject, CopyObject
 * and the listings. Strings are malloc'ed; s3__object_free releases them. */
typedef struct s3_object {
    char *etag; /* quoted */
    char *content_type;
    char *metadata; /* JSON object of x-amz-meta-* names to values */
    char *headers;  /* JSON object of stored standard headers */
    char *checksum_algorithm;
    char *checksum;
    char *version_id;
    int64_t size;
    int64_t modified_ms;
    unsigned char *data; /* only when requested */
} s3_object;

int s3__object_get(struct stratus *srv, int64_t bucket_id, const char *key,
                   int with_data, s3_object *out, aws_error *err);
void s3__object_free(s3_object *o);
/* Insert or replace an object (every string may be NULL but metadata and
 * headers). Returns 0 or -1 on a store failure. */
int s3__object_store(struct stratus *srv, int64_t bucket_id, const char *key,
                     const void *data, size_t len, const char *etag,
                     const char *content_type, const char *metadata,
                     const char *headers, const char *checksum_algorithm,
                     const char *checksum, const char *version_id);
/* The metadata and stored headers of a request, as JSON texts. */
char *s3__request_metadata(const s3_ctx *c);
char *s3__request_headers(const s3_ctx *c);
/* A new version id when the bucket has versioning enabled, else "". */
void s3__version_id(const s3_bucket *b, char out[40]);

/* s3_tagging.c */
/* Parse an x-amz-tagging header ("k1=v1&k2=v2", URL-encoded) into a JSON
 * array of {Key, Value}. Returns NULL with InvalidTag when invalid. */
cJSON *s3__tagging_header_parse(const char *header, aws_error *err);
/* Replace an object's tags (NULL removes them). Returns 0 or -1. */
int s3__object_tags_store(struct stratus *srv, int64_t bucket_id,
                          const char *key, const cJSON *tags);
/* The tags of an object as a new JSON array, or NULL with NoSuchKey. */
cJSON *s3__object_tags_load(struct stratus *srv, int64_t bucket_id,
                            const char *key, aws_error *err);
/* The number of tags of an object (0 when untagged or missing). */
int s3__object_tag_count(struct stratus *srv, int64_t bucket_id,
                         const char *key);

/* s3_iam.c */
/* The IAM resource of a bucket or object ("*" without a bucket). */
void s3__iam_arn(const char *bucket, const char *key, char *out, size_t size);
/* Check the request's operation with IAM. Returns 0, or -1 with
 * AccessDenied (or ExpiredToken) in `err`. */
int s3__iam_check(s3_ctx *c, aws_error *err);

/* s3_cors.c */
void s3__cors_preflight(s3_ctx *c);
void s3__cors_headers(s3_ctx *c);

/* s3_presign.c */
int s3__presign_check(s3_ctx *c, aws_error *err);

/* Operation handlers. */
cJSON *s3_op_list_buckets(aws_request *req, aws_error *err);
cJSON *s3_op_create_bucket(aws_request *req, aws_error *err);
cJSON *s3_op_delete_bucket(aws_request *req, aws_error *err);
cJSON *s3_op_head_bucket(aws_request *req, aws_error *err);
cJSON *s3_op_get_bucket_location(aws_request *req, aws_error *err);
cJSON *s3_op_put_bucket_cors(aws_request *req, aws_error *err);
cJSON *s3_op_get_bucket_cors(aws_request *req, aws_error *err);
cJSON *s3_op_delete_bucket_cors(aws_request *req, aws_error *err);
cJSON *s3_op_put_bucket_versioning(aws_request *req, aws_error *err);
cJSON *s3_op_get_bucket_versioning(aws_request *req, aws_error *err);
cJSON *s3_op_put_object(aws_request *req, aws_error *err);
cJSON *s3_op_get_object(aws_request *req, aws_error *err);
cJSON *s3_op_head_object(aws_request *req, aws_error *err);
cJSON *s3_op_delete_object(aws_request *req, aws_error *err);
cJSON *s3_op_delete_objects(aws_request *req, aws_error *err);
cJSON *s3_op_copy_object(aws_request *req, aws_error *err);
cJSON *s3_op_list_objects(aws_request *req, aws_error *err);
cJSON *s3_op_list_objects_v2(aws_request *req, aws_error *err);
cJSON *s3_op_list_object_versions(aws_request *req, aws_error *err);
cJSON *s3_op_list_multipart_uploads(aws_request *req, aws_error *err);
cJSON *s3_op_create_multipart_upload(aws_request *req, aws_error *err);
cJSON *s3_op_upload_part(aws_request *req, aws_error *err);
cJSON *s3_op_upload_part_copy(aws_request *req, aws_error *err);
cJSON *s3_op_complete_multipart_upload(aws_request *req, aws_error *err);
cJSON *s3_op_abort_multipart_upload(aws_request *req, aws_error *err);
cJSON *s3_op_list_parts(aws_request *req, aws_error *err);
cJSON *s3_op_put_object_tagging(aws_request *req, aws_error *err);
cJSON *s3_op_put_bucket_config(aws_request *req, aws_error *err);
cJSON *s3_op_get_bucket_config(aws_request *req, aws_error *err);
cJSON *s3_op_delete_bucket_config(aws_request *req, aws_error *err);
cJSON *s3_op_get_bucket_acl(aws_request *req, aws_error *err);
cJSON *s3_op_get_object_tagging(aws_request *req, aws_error *err);
cJSON *s3_op_delete_object_tagging(aws_request *req, aws_error *err);

#endif
