/*
 * s3_config.c: bucket configurations that Stratus stores and returns but
 * does not enforce: policy, tagging, default encryption, lifecycle, public
 * access block, ownership controls and website. Put checks that the body
 * is well-formed (JSON for a policy, XML with the expected root element
 * otherwise), Get returns the stored document, Delete removes it. GetBucketAcl
 * reports the owner's FULL_CONTROL grant, which is all an ACL-less bucket
 * has.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s3.h"
#include "s3_internal.h"
#include "store.h"

/*
 * One stored configuration: its subresource, the root element of its XML
 * document (NULL for the JSON policy), the error Get returns when it is
 * absent (AWS_OK: a default document instead), and the status of a
 * successful Put.
 */
typedef struct s3_config_kind {
    const char *subresource;
    const char *root;
    aws_code missing;
    int put_status;
} s3_config_kind;

static const s3_config_kind s3_config_kinds[] = {
    {"policy", NULL, AWS_ERR_S3_NO_SUCH_BUCKET_POLICY, 204},
    {"tagging", "Tagging", AWS_ERR_S3_NO_SUCH_TAG_SET, 204},
    {"encryption", "ServerSideEncryptionConfiguration", AWS_OK, 200},
    {"lifecycle", "LifecycleConfiguration", AWS_ERR_S3_NO_SUCH_LIFECYCLE, 200},
    {"publicAccessBlock", "PublicAccessBlockConfiguration",
     AWS_ERR_S3_NO_SUCH_PUBLIC_ACCESS_BLOCK, 200},
    {"ownershipControls", "OwnershipControls",
     AWS_ERR_S3_NO_SUCH_OWNERSHIP_CONTROLS, 200},
    {"website", "WebsiteConfiguration", AWS_ERR_S3_NO_SUCH_WEBSITE, 200},
};

/* Every bucket has default encryption with S3-managed keys, as in AWS. */
static const char s3_default_encryption[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<ServerSideEncryptionConfiguration "
    "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Rule>"
    "<ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm>"
    "</ApplyServerSideEncryptionByDefault><BucketKeyEnabled>false"
    "</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>";

/* The kind of the request's subresource (the routing table guarantees
 * one of them is present). */
static const s3_config_kind *s3_config_kind_of(const s3_ctx *c)
{
    for (size_t i = 0; i < sizeof s3_config_kinds / sizeof *s3_config_kinds;
         i++)
        if (s3__has_param(c, s3_config_kinds[i].subresource))
            return &s3_config_kinds[i];
    return NULL;
}

cJSON *s3_op_put_bucket_config(aws_request *req, aws_error *err)
{
    s3_ctx *c = s3__ctx(req);
    s3_bucket b;
    const s3_config_kind *kind = s3_config_kind_of(c);
    if (s3__bucket_get(req->srv, c->bucket, &b, err) != 0)
        return NULL;
    if (!kind) {
        aws_fail(err, AWS_ERR_INTERNAL_SERVER_ERROR, NULL);
        return NULL;
    }
    if (!kind->root) {
        cJSON *policy = cJSON_ParseWithLength(c->body, c->body_len);
        int ok = cJSON_IsObject(policy);
        cJSON_Delete(policy);
        if (!ok) {
            aws_fail(err, AWS_ERR_S3_MALFORMED_POLICY,
                     "Policies must be valid JSON and the first byte must be "
                     "'{'");
            return NULL;
        }
    } else {
        s3_xml_node *doc = s3__xml_parse(c->body, c->body_len);
        int ok = doc && strcmp(doc->name, kind->root) == 0;
        s3__xml_free(doc);
        if (!ok) {
            aws_fail(err, AWS_ERR_S3_MALFORMED_XML, NULL);
            return NULL;
        }
    }
    sqlite3_stmt *st = store_stmt(
        req->srv->store, "INSERT OR REPLACE INTO s3_bucket_config (bucket_id,"
                         " name, body) VALUES (?, ?, ?)");
    sqlite3_bind_int64(st, 1, b.id);
    sqlite3_bind_text(st, 2, kind->subresource, -1, SQLITE_STATIC);
    sqlite3_bind_blob64(st, 3, c->body, c->body_len, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        aws_fail(err, AWS_ERR_INTERNAL_SERVER_ERROR, NULL);
        return NULL;
    }
    req->status = kind->put_status;
    return s3__ok();
}

cJSON *s3_op_get_bucket_config(aws_request *req, aws_error *err)
{
    s3_ctx *c = s3__ctx(req);
    s3_bucket b;
    const s3_config_kind *kind = s3_config_kind_of(c);
    if (s3__bucket_get(req->srv, c->bucket, &b, err) != 0)
        return NULL;
    if (!kind) {
        aws_fail(err, AWS_ERR_INTERNAL_SERVER_ERROR, NULL);
        return NULL;
    }
    sqlite3_stmt *st = store_stmt(
        req->srv->store,
        "SELECT body FROM s3_bucket_config WHERE bucket_id = ? AND name = ?");
    sqlite3_bind_int64(st, 1, b.id);
    sqlite3_bind_text(st, 2, kind->subresource, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        strbuf_append(&c->out, sqlite3_column_blob(st, 0),
                      (size_t)sqlite3_column_bytes(st, 0));
        sqlite3_reset(st);
        if (!kind->root) {
            /* A policy is JSON: move it out of `out`, which s3_serve
             * would send as XML. */
            size_t len;
            char *body = strbuf_take(&c->out, &len);
            http_response_header(c->resp, "Content-Type", "application/json");
            http_response_take_body(c->resp, body, len);
        }
        return s3__ok();
    }
    sqlite3_reset(st);
    if (kind->missing == AWS_OK) {
        strbuf_puts(&c->out, s3_default_encryption);
        return s3__ok();
    }
    s3__fail_with(err, kind->missing, "BucketName", c->bucket);
    return NULL;
}

cJSON *s3_op_delete_bucket_config(aws_request *req, aws_error *err)
{
    s3_ctx *c = s3__ctx(req);
    s3_bucket b;
    const s3_config_kind *kind = s3_config_kind_of(c);
    if (s3__bucket_get(req->srv, c->bucket, &b, err) != 0)
        return NULL;
    if (!kind) {
        aws_fail(err, AWS_ERR_INTERNAL_SERVER_ERROR, NULL);
        return NULL;
    }
    sqlite3_stmt *st = store_stmt(
        req->srv->store,
        "DELETE FROM s3_bucket_config WHERE bucket_id = ? AND name = ?");
    sqlite3_bind_int64(st, 1, b.id);
    sqlite3_bind_text(st, 2, kind->subresource, -1, SQLITE_STATIC);
    sqlite3_step(st);
    sqlite3_reset(st);
    req->status = 204;
    return s3__ok();
}

cJSON *s3_op_get_bucket_acl(aws_request *req, aws_error *err)
{
    s3_ctx *c = s3__ctx(req);
    s3_bucket b;
    if (s3__bucket_get(req->srv, c->bucket, &b, err) != 0)
        return NULL;
    s3__xml_open(&c->out, "AccessControlPolicy");
    strbuf_puts(&c->out, "<Owner>");
    s3__xml_elem(&c->out, "ID", b.account);
    s3__xml_elem(&c->out, "DisplayName", "stratus");
    strbuf_puts(&c->out, "</Owner><AccessControlList><Grant><Grantee "
                         "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-"
                         "instance\" xsi:type=\"CanonicalUser\">");
    s3__xml_elem(&c->out, "ID", b.account);
    s3__xml_elem(&c->out, "DisplayName", "stratus");
    strbuf_puts(&c->out, "</Grantee><Permission>FULL_CONTROL</Permission>"
                         "</Grant></AccessControlList></AccessControlPolicy>");
    return s3__ok();
}
