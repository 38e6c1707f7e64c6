/*
 * s3_bucket.c: bucket operations: CreateBucket, DeleteBucket, HeadBucket,
 * ListBuckets, GetBucketLocation, the versioning flag
 * (Put/GetBucketVersioning), the CORS rules (Put/Get/DeleteBucketCors) and
 * the AWS::S3::Bucket stack type.
 *
 * Bucket names are global, as in AWS: a name another account owns gives
 * BucketAlreadyExists. Versioning is stored and reported, but objects keep
 * only their latest version (see GAPS.md).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s3.h"
#include "s3_internal.h"
#include "store.h"

int s3__bucket_name_valid(const char *name)
{
    size_t len = strlen(name);
    if (len < 3 || len > 63)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char ch = name[i];
        if (!(islower((unsigned char)ch) || isdigit((unsigned char)ch) ||
              ch == '-' || ch == '.'))
            return 0;
    }
    if (!isalnum((unsigned char)name[0]) ||
        !isalnum((unsigned char)name[len - 1]))
        return 0;
    if (strstr(name, "..") || strstr(name, ".-") || strstr(name, "-."))
        return 0;
    /* Not an IPv4 address. */
    int dots = 0, digits_only = 1;
    for (size_t i = 0; i < len; i++) {
        if (name[i] == '.')
            dots++;
        else if (!isdigit((unsigned char)name[i]))
            digits_only = 0;
    }
    return !(dots == 3 && digits_only);
}

int s3__bucket_get(stratus *srv, const char *name, s3_bucket *out,
                   aws_error *err)
{
    sqlite3_stmt *st =
        store_stmt(srv->store, "SELECT id, account, region, versioning,"
                               " created_ms FROM s3_bucket WHERE name = ?");
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_reset(st);
        return s3__fail_with(err, AWS_ERR_S3_NO_SUCH_BUCKET, "BucketName",
                             name);
    }
    memset(out, 0, sizeof *out);
    out->id = sqlite3_column_int64(st, 0);
    snprintf(out->account, sizeof out->account, "%s",
             (const char *)sqlite3_column_text(st, 1));
    snprintf(out->region, sizeof out->region, "%s",
             (const char *)sqlite3_column_text(st, 2));
    snprintf(out->versioning, sizeof out->versioning, "%s",
             (const char *)sqlite3_column_text(st, 3));
    out->created_ms = sqlite3_column_int64(st, 4);
    sqlite3_reset(st);
    return 0;
}

int s3__bucket_create(stratus *srv, const char *account, const char *region,
                      const char *name, aws_error *err)
{
    s3_bucket existing;
    aws_error ignored;
    memset(&ignored, 0, sizeof ignored);
    if (!s3__bucket_name_valid(name))
        return s3__fail_with(err, AWS_ERR_S3_INVALID_BUCKET_NAME, "BucketName",
                             name);
    if (s3__bucket_get(srv, name, &existing, &ignored) == 0) {
        /* NOTE: AWS returns 200 for a repeated CreateBucket in us-east-1
         * by the owner; every other region gives BucketAlreadyOwnedByYou.
         * Stratus follows the other regions everywhere so tests see it. */
        return s3__fail_with(err,
                             strcmp(existing.account, account) == 0
                                 ? AWS_ERR_S3_BUCKET_ALREADY_OWNED
                                 : AWS_ERR_S3_BUCKET_ALREADY_EXISTS,
                             "BucketName", name);
    }
    aws_error_reset(&ignored);
    sqlite3_stmt *st =
        store_stmt(srv->store, "INSERT INTO s3_bucket (name, account, region,"
                               " created_ms) VALUES (?, ?, ?, ?)");
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, account, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, region, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 4, clock_now_ms(&srv->clock));
    if (sqlite3_step(st) != SQLITE_DONE) {
        sqlite3_reset(st);
        return aws_fail(err, AWS_ERR_INTERNAL_SERVER_ERROR, NULL);
    }
    sqlite3_reset(st);
    return 0;
}

cJSON *s3_op_create_bucket(aws_request *req, aws_error *err)
{
    s3_ctx *c = s3__ctx(req);
    const char *region = req->region;

    if (c->body_len) {
        s3_xml_node *doc = s3__xml_parse(c->body, c->body_len);
        if (!doc || strcmp(doc->name, "CreateBucketConfiguration") != 0) {
            s3__xml_free(doc);
            aws_fail(err, AWS_ERR_S3_MALFORMED_XML, NULL);
            return NULL;
        }
        const char *constraint = s3__xml_text(doc, "LocationConstraint");
        if (constraint && strcmp(constraint, req->region) != 0) {
            aws_fail(err, AWS_ERR_S3_INVALID_ARGUMENT,
                     "The %s location constraint is incompatible for the "
                     "region specific endpoint this request was sent to.",
                     constraint);
            s3__add_elem(err, "ArgumentName", "x-amz-bucket-region");
            s3__add_elem(err, "ArgumentValue", constraint);
            s3__xml_free(doc);
            return NULL;
        }
        s3__xml_free(doc);
    }
    if (s3__bucket_create(req->srv, req->account, region, c->bucket, err) != 0)
        return NULL;
    char location[300];
    snprintf(location, sizeof location, "/%s", c->bucket);
    http_response_header(c->resp, "Location", location);
    return s3__ok();
}

cJSON *s3_op_delete_bucket(aws_request *req, aws_error *err)
{
    s3_ctx *c = s3__ctx(req);
    s3_bucket b;
    if (s3__bucket_get(req->srv, c->bucket, &b, err) != 0)
        return NULL;
    sqlite3_stmt *st = store_stmt(
        req->srv->store, "SELECT 1 FROM s3_object WHERE bucket_id = ? LIMIT 1");
    sqlite3_bind_int64(st, 1, b.id);
    int has_objects = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_reset(st);
    if (has_objects) {
        s3__fail_with(err, AWS_ERR_S3_BUCKET_NOT_EMPTY, "BucketName",
                      c->bucket);
        return NULL;
    }
    st = store_stmt(req->srv->store,
                    "DELETE FROM s3_upload WHERE bucket_id = ?");
    sqlite3_bind_int64(st, 1, b.id);
    sqlite3_step(st);
    sqlite3_reset(st);
    st = store_stmt(req->srv->store, "DELETE FROM s3_bucket WHERE id = ?");
    sqlite3_bind_int64(st, 1, b.id);
    sqlite3_step(st);
    sqlite3_reset(st);
    req->status = 204;
    return s3__ok();
}

cJSON *s3_op_head_bucket(aws_request *req, aws_error *err)
{
    s3_ctx *c = s3__ctx(req);
    s3_bucket b;
    if (s3__bucket_get(req->srv, c->bucket, &b, err) != 0)
        return NULL;
    http_response_header(c->resp, "x-amz-bucket-region", b.region);
    http_response_header(c->resp, "x-amz-access-point-alias", "false");
    return s3__ok();
}

cJSON *s3_op_list_buckets(aws_request *req, aws_error *err)
{
    s3_ctx *c = s3__ctx(req);
    (void)err;
    s3__xml_open(&c->out, "ListAllMyBucketsResult");
    strbuf_puts(&c->out, "<Owner>");
    s3__xml_elem(&c->out, "ID", req->account);
    s3__xml_elem(&c->out, "DisplayName", "stratus");
    strbuf_puts(&c->out, "</Owner><Buckets>");
    sqlite3_stmt *st = store_stmt(req->srv->store,
                                  "SELECT name, created_ms, region FROM"
                                  " s3_bucket WHERE account = ? ORDER BY name");
    sqlite3_bind_text(st, 1, req->account, -1, SQLITE_TRANSIENT);
    while (sqlite3_step(st) == SQLITE_ROW) {
        char date[32];
        s3__iso_date(sqlite3_column_int64(st, 1), date);
        strbuf_puts(&c->out, "<Bucket>");
        s3__xml_elem(&c->out, "Name", (const char *)sqlite3_column_text(st, 0));
        s3__xml_elem(&c->out, "CreationDate", date);
        s3__xml_elem(&c->out, "BucketRegion",
                     (const char *)sqlite3_column_text(st, 2));
        strbuf_puts(&c->out, "</Bucket>");
    }
    sqlite3_reset(st);
    strbuf_puts(&c->out, "</Buckets></ListAllMyBucketsResult>");
    return s3__ok();
}

cJSON *s3_op_get_bucket_location(aws_request *req, aws_error *err)
{
    s3_ctx *c = s3__ctx(req);
    s3_bucket b;
    if (s3__bucket_get(req->srv, c->bucket, &b, err) != 0)
        return NULL;
    /* us-east-1 is reported as an empty constraint. */
    strbuf_puts(&c->out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                         "<LocationConstraint xmlns=\"http://s3.amazonaws.com/"
                         "doc/2006-03-01/\">");
    if (strcmp(b.region, "us-east-1") != 0)
        s3__xml_escape(&c->out, b.region);
    strbuf_puts(&c->out, "</LocationConstraint>");
    return s3__ok();
}

/* Versioning. */

static int s3_versioning_store(stratus *srv, int64_t bucket_id,
                               const char *status)
{
    sqlite3_stmt *st = store_stmt(
        srv->store, "UPDATE s3_bucket SET versioning = ? WHERE id = ?");
    sqlite3_bind_text(st, 1, status, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, bucket_id);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

cJSON *s3_op_put_bucket_versioning(aws_request *req, aws_error *err)
{
    s3_ctx *c = s3__ctx(req);
    s3_bucket b;
    if (s3__bucket_get(req->srv, c->bucket, &b, err) != 0)
        return NULL;
    s3_xml_node *doc = s3__xml_parse(c->body, c->body_len);
    const char *status = doc ? s3__xml_text(doc, "Status") : NULL;
    if (!doc || strcmp(doc->name, "VersioningConfiguration") != 0 ||
        (status && strcmp(status, "Enabled") != 0 &&
         strcmp(status, "Suspended") != 0)) {
        s3__xml_free(doc);
        aws_fail(err, AWS_ERR_S3_MALFORMED_XML, NULL);
        return NULL;
    }
    if (status)
        s3_versioning_store(req->srv, b.id, status);
    s3__xml_free(doc);
    return s3__ok();
}

cJSON *s3_op_get_bucket_versioning(aws_request *req, aws_error *err)
{
    s3_ctx *c = s3__ctx(req);
    s3_bucket b;
    if (s3__bucket_get(req->srv, c->bucket, &b, err) != 0)
        return NULL;
    s3__xml_open(&c->out, "VersioningConfiguration");
    if (b.versioning[0])
        s3__xml_elem(&c->out, "Status", b.versioning);
    strbuf_puts(&c->out, "</VersioningConfiguration>");
    return s3__ok();
}

/* CORS. */

int s3__cors_store(stratus *srv, int64_t bucket_id, const cJSON *rules)
{
    char *text = rules ? cJSON_PrintUnformatted(rules) : NULL;
    sqlite3_stmt *st =
        store_stmt(srv->store, "UPDATE s3_bucket SET cors = ? WHERE id = ?");
    if (text)
        sqlite3_bind_text(st, 1, text, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, 1);
    sqlite3_bind_int64(st, 2, bucket_id);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    free(text);
    return rc == SQLITE_DONE ? 0 : -1;
}

cJSON *s3__cors_load(stratus *srv, int64_t bucket_id)
{
    sqlite3_stmt *st =
        store_stmt(srv->store, "SELECT cors FROM s3_bucket WHERE id = ?");
    sqlite3_bind_int64(st, 1, bucket_id);
    cJSON *rules = NULL;
    if (sqlite3_step(st) == SQLITE_ROW &&
        sqlite3_column_type(st, 0) != SQLITE_NULL)
        rules = cJSON_Parse((const char *)sqlite3_column_text(st, 0));
    sqlite3_reset(st);
    return rules;
}

static const char *const s3_cors_lists[] = {"AllowedOrigin", "AllowedMethod",
                                            "AllowedHeader", "ExposeHeader"};

/* One CORSRule element as JSON, or NULL when it breaks AWS's rules. */
static cJSON *s3_cors_rule_parse(const s3_xml_node *rule, aws_error *err)
{
    cJSON *out = cJSON_CreateObject();
    const char *id = s3__xml_text(rule, "ID");
    if (id)
        cJSON_AddStringToObject(out, "ID", id);
    for (size_t i = 0; i < 4; i++) {
        char plural[32];
        snprintf(plural, sizeof plural, "%ss", s3_cors_lists[i]);
        cJSON *list = cJSON_AddArrayToObject(out, plural);
        for (const s3_xml_node *n = rule->child; n; n = n->next) {
            if (strcmp(n->name, s3_cors_lists[i]) != 0)
                continue;
            if (i == 1 && strcmp(n->text, "GET") != 0 &&
                strcmp(n->text, "PUT") != 0 && strcmp(n->text, "POST") != 0 &&
                strcmp(n->text, "DELETE") != 0 &&
                strcmp(n->text, "HEAD") != 0) {
                aws_fail(err, AWS_ERR_S3_INVALID_REQUEST,
                         "Found unsupported HTTP method in CORS config. "
                         "Unsupported method is %s",
                         n->text);
                cJSON_Delete(out);
                return NULL;
            }
            cJSON_AddItemToArray(list, cJSON_CreateString(n->text));
        }
    }
    const char *max_age = s3__xml_text(rule, "MaxAgeSeconds");
    if (max_age)
        cJSON_AddNumberToObject(out, "MaxAgeSeconds", atof(max_age));
    if (cJSON_GetArraySize(
            cJSON_GetObjectItemCaseSensitive(out, "AllowedOrigins")) == 0 ||
        cJSON_GetArraySize(
            cJSON_GetObjectItemCaseSensitive(out, "AllowedMethods")) == 0) {
        aws_fail(err, AWS_ERR_S3_MALFORMED_XML, NULL);
        cJSON_Delete(out);
        return NULL;
    }
    return out;
}

cJSON *s3_op_put_bucket_cors(aws_request *req, aws_error *err)
{
    s3_ctx *c = s3__ctx(req);
    s3_bucket b;
    if (s3__bucket_get(req->srv, c->bucket, &b, err) != 0)
        return NULL;
    s3_xml_node *doc = s3__xml_parse(c->body, c->body_len);
    if (!doc || strcmp(doc->name, "CORSConfiguration") != 0 ||
        !s3__xml_child(doc, "CORSRule")) {
        s3__xml_free(doc);
        aws_fail(err, AWS_ERR_S3_MALFORMED_XML, NULL);
        return NULL;
    }
    cJSON *rules = cJSON_CreateArray();
    for (const s3_xml_node *n = doc->child; n; n = n->next) {
        if (strcmp(n->name, "CORSRule") != 0)
            continue;
        cJSON *rule = s3_cors_rule_parse(n, err);
        if (!rule) {
            cJSON_Delete(rules);
            s3__xml_free(doc);
            return NULL;
        }
        cJSON_AddItemToArray(rules, rule);
    }
    s3__xml_free(doc);
    s3__cors_store(req->srv, b.id, rules);
    cJSON_Delete(rules);
    return s3__ok();
}

cJSON *s3_op_get_bucket_cors(aws_request *req, aws_error *err)
{
    s3_ctx *c = s3__ctx(req);
    s3_bucket b;
    if (s3__bucket_get(req->srv, c->bucket, &b, err) != 0)
        return NULL;
    cJSON *rules = s3__cors_load(req->srv, b.id);
    if (!rules) {
        s3__fail_with(err, AWS_ERR_S3_NO_SUCH_CORS, "BucketName", c->bucket);
        return NULL;
    }
    s3__xml_open(&c->out, "CORSConfiguration");
    const cJSON *rule;
    cJSON_ArrayForEach(rule, rules)
    {
        strbuf_puts(&c->out, "<CORSRule>");
        const char *id =
            cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rule, "ID"));
        if (id)
            s3__xml_elem(&c->out, "ID", id);
        for (size_t i = 0; i < 4; i++) {
            char plural[32];
            snprintf(plural, sizeof plural, "%ss", s3_cors_lists[i]);
            const cJSON *v;
            cJSON_ArrayForEach(v,
                               cJSON_GetObjectItemCaseSensitive(rule, plural))
                s3__xml_elem(&c->out, s3_cors_lists[i], v->valuestring);
        }
        const cJSON *max_age =
            cJSON_GetObjectItemCaseSensitive(rule, "MaxAgeSeconds");
        if (cJSON_IsNumber(max_age))
            s3__xml_elem_int(&c->out, "MaxAgeSeconds",
                             (long long)max_age->valuedouble);
        strbuf_puts(&c->out, "</CORSRule>");
    }
    strbuf_puts(&c->out, "</CORSConfiguration>");
    cJSON_Delete(rules);
    return s3__ok();
}

cJSON *s3_op_delete_bucket_cors(aws_request *req, aws_error *err)
{
    s3_ctx *c = s3__ctx(req);
    s3_bucket b;
    if (s3__bucket_get(req->srv, c->bucket, &b, err) != 0)
        return NULL;
    s3__cors_store(req->srv, b.id, NULL);
    req->status = 204;
    return s3__ok();
}

/* Stack type. */

/* Copy a CloudFormation list of strings under a new name. */
static void s3_stack_copy_list(cJSON *rule, const cJSON *props,
                               const char *from, const char *to)
{
    cJSON *list = cJSON_AddArrayToObject(rule, to);
    const cJSON *v;
    cJSON_ArrayForEach(
        v, cJSON_GetObjectItemCaseSensitive(props, from)) if (cJSON_IsString(v))
        cJSON_AddItemToArray(list, cJSON_CreateString(v->valuestring));
}

int s3_stack_apply_bucket(stratus *srv, const char *account, const char *region,
                          const char *logical_id, const cJSON *properties,
                          aws_error *err)
{
    const char *name = cJSON_GetStringValue(
        cJSON_GetObjectItemCaseSensitive(properties, "BucketName"));
    s3_bucket b;
    if (!name)
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "AWS::S3::Bucket %s needs BucketName (Stratus does "
                        "not generate bucket names)",
                        logical_id);
    aws_error ignored;
    memset(&ignored, 0, sizeof ignored);
    /* Applying a stack again keeps an existing bucket and its objects. */
    if (s3__bucket_get(srv, name, &b, &ignored) != 0) {
        aws_error_reset(&ignored);
        if (s3__bucket_create(srv, account, region, name, err) != 0)
            return -1;
        if (s3__bucket_get(srv, name, &b, err) != 0)
            return -1;
    }

    const cJSON *versioning =
        cJSON_GetObjectItemCaseSensitive(properties, "VersioningConfiguration");
    const char *status = cJSON_GetStringValue(
        cJSON_GetObjectItemCaseSensitive(versioning, "Status"));
    if (status) {
        if (strcmp(status, "Enabled") != 0 && strcmp(status, "Suspended") != 0)
            return aws_fail(err, AWS_ERR_VALIDATION,
                            "AWS::S3::Bucket %s: VersioningConfiguration "
                            "Status must be Enabled or Suspended, not %s",
                            logical_id, status);
        s3_versioning_store(srv, b.id, status);
    }

    const cJSON *cors =
        cJSON_GetObjectItemCaseSensitive(properties, "CorsConfiguration");
    const cJSON *cf_rules = cJSON_GetObjectItemCaseSensitive(cors, "CorsRules");
    if (cJSON_IsArray(cf_rules)) {
        cJSON *rules = cJSON_CreateArray();
        const cJSON *r;
        cJSON_ArrayForEach(r, cf_rules)
        {
            cJSON *rule = cJSON_CreateObject();
            const char *id =
                cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "Id"));
            if (id)
                cJSON_AddStringToObject(rule, "ID", id);
            s3_stack_copy_list(rule, r, "AllowedOrigins", "AllowedOrigins");
            s3_stack_copy_list(rule, r, "AllowedMethods", "AllowedMethods");
            s3_stack_copy_list(rule, r, "AllowedHeaders", "AllowedHeaders");
            s3_stack_copy_list(rule, r, "ExposedHeaders", "ExposeHeaders");
            const cJSON *max_age =
                cJSON_GetObjectItemCaseSensitive(r, "MaxAge");
            if (cJSON_IsNumber(max_age))
                cJSON_AddNumberToObject(rule, "MaxAgeSeconds",
                                        max_age->valuedouble);
            cJSON_AddItemToArray(rules, rule);
        }
        s3__cors_store(srv, b.id, rules);
        cJSON_Delete(rules);
    }
    return 0;
}
