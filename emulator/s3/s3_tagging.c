/*
 * s3_tagging.c: object tags: PutObjectTagging, GetObjectTagging,
 * DeleteObjectTagging, the x-amz-tagging header of PutObject, CopyObject
 * and CreateMultipartUpload, and x-amz-tagging-count on GetObject and
 * HeadObject.
 *
 * AWS's limits are checked: at most 10 tags, keys of 1 to 128 and values
 * of up to 256 characters, no repeated key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s3.h"
#include "s3_internal.h"
#include "store.h"

#define S3_MAX_TAGS 10
#define S3_MAX_TAG_KEY 128
#define S3_MAX_TAG_VALUE 256

/* Append one tag after checking AWS's limits. Returns 0 or -1. */
static int s3_tag_add(cJSON *tags, const char *key, const char *value,
                      aws_error *err)
{
    if (cJSON_GetArraySize(tags) >= S3_MAX_TAGS)
        return aws_fail(err, AWS_ERR_S3_INVALID_TAG,
                        "Object tags cannot be greater than %d", S3_MAX_TAGS);
    if (!*key || strlen(key) > S3_MAX_TAG_KEY)
        return aws_fail(err, AWS_ERR_S3_INVALID_TAG,
                        "The TagKey you have provided is invalid");
    if (strlen(value) > S3_MAX_TAG_VALUE)
        return aws_fail(err, AWS_ERR_S3_INVALID_TAG,
                        "The TagValue you have provided is invalid");
    const cJSON *t;
    cJSON_ArrayForEach(t, tags)
    {
        const char *existing =
            cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(t, "Key"));
        if (existing && strcmp(existing, key) == 0)
            return aws_fail(err, AWS_ERR_S3_INVALID_TAG,
                            "Cannot provide multiple Tags with the same key");
    }
    cJSON *tag = cJSON_CreateObject();
    cJSON_AddStringToObject(tag, "Key", key);
    cJSON_AddStringToObject(tag, "Value", value);
    cJSON_AddItemToArray(tags, tag);
    return 0;
}

cJSON *s3__tagging_header_parse(const char *header, aws_error *err)
{
    cJSON *tags = cJSON_CreateArray();
    const char *p = header;
    while (p && *p) {
        const char *amp = strchr(p, '&');
        size_t len = amp ? (size_t)(amp - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        size_t klen = eq ? (size_t)(eq - p) : len;
        char *key = s3__decode(p, klen, 1);
        char *value = eq ? s3__decode(eq + 1, len - klen - 1, 1) : xstrdup("");
        int rc = len ? s3_tag_add(tags, key, value, err) : 0;
        free(key);
        free(value);
        if (rc != 0) {
            cJSON_Delete(tags);
            return NULL;
        }
        p = amp ? amp + 1 : NULL;
    }
    return tags;
}

int s3__object_tags_store(stratus *srv, int64_t bucket_id, const char *key,
                          const cJSON *tags)
{
    char *text = tags && cJSON_GetArraySize(tags) > 0
                     ? cJSON_PrintUnformatted(tags)
                     : NULL;
    sqlite3_stmt *st = store_stmt(
        srv->store,
        "UPDATE s3_object SET tags = ? WHERE bucket_id = ? AND key = ?");
    if (text)
        sqlite3_bind_text(st, 1, text, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, 1);
    sqlite3_bind_int64(st, 2, bucket_id);
    sqlite3_bind_text(st, 3, key, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    cJSON_free(text);
    return rc == SQLITE_DONE ? 0 : -1;
}

cJSON *s3__object_tags_load(stratus *srv, int64_t bucket_id, const char *key,
                            aws_error *err)
{
    sqlite3_stmt *st = store_stmt(
        srv->store,
        "SELECT tags FROM s3_object WHERE bucket_id = ? AND key = ?");
    sqlite3_bind_int64(st, 1, bucket_id);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_reset(st);
        s3__fail_with(err, AWS_ERR_S3_NO_SUCH_KEY, "Key", key);
        return NULL;
    }
    const char *text = (const char *)sqlite3_column_text(st, 0);
    cJSON *tags = text ? cJSON_Parse(text) : NULL;
    sqlite3_reset(st);
    return tags ? tags : cJSON_CreateArray();
}

int s3__object_tag_count(stratus *srv, int64_t bucket_id, const char *key)
{
    aws_error missing;
    memset(&missing, 0, sizeof missing);
    cJSON *tags = s3__object_tags_load(srv, bucket_id, key, &missing);
    aws_error_reset(&missing);
    int n = cJSON_GetArraySize(tags);
    cJSON_Delete(tags);
    return n;
}

cJSON *s3_op_put_object_tagging(aws_request *req, aws_error *err)
{
    s3_ctx *c = s3__ctx(req);
    s3_bucket b;
    if (s3__bucket_get(req->srv, c->bucket, &b, err) != 0)
        return NULL;
    cJSON *existing = s3__object_tags_load(req->srv, b.id, c->key, err);
    if (!existing)
        return NULL;
    cJSON_Delete(existing);

    s3_xml_node *doc = s3__xml_parse(c->body, c->body_len);
    s3_xml_node *set = doc ? s3__xml_child(doc, "TagSet") : NULL;
    if (!doc || strcmp(doc->name, "Tagging") != 0 || !set) {
        s3__xml_free(doc);
        aws_fail(err, AWS_ERR_S3_MALFORMED_XML, NULL);
        return NULL;
    }
    cJSON *tags = cJSON_CreateArray();
    for (const s3_xml_node *t = set->child; t; t = t->next) {
        if (strcmp(t->name, "Tag") != 0)
            continue;
        const char *key = s3__xml_text(t, "Key");
        const char *value = s3__xml_text(t, "Value");
        if (!key || !value) {
            aws_fail(err, AWS_ERR_S3_MALFORMED_XML, NULL);
            break;
        }
        if (s3_tag_add(tags, key, value, err) != 0)
            break;
    }
    s3__xml_free(doc);
    if (err->code != AWS_OK) {
        cJSON_Delete(tags);
        return NULL;
    }
    s3__object_tags_store(req->srv, b.id, c->key, tags);
    cJSON_Delete(tags);
    return s3__ok();
}

cJSON *s3_op_get_object_tagging(aws_request *req, aws_error *err)
{
    s3_ctx *c = s3__ctx(req);
    s3_bucket b;
    if (s3__bucket_get(req->srv, c->bucket, &b, err) != 0)
        return NULL;
    cJSON *tags = s3__object_tags_load(req->srv, b.id, c->key, err);
    if (!tags)
        return NULL;
    s3__xml_open(&c->out, "Tagging");
    strbuf_puts(&c->out, "<TagSet>");
    const cJSON *t;
    cJSON_ArrayForEach(t, tags)
    {
        strbuf_puts(&c->out, "<Tag>");
        s3__xml_elem(
            &c->out, "Key",
            cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(t, "Key")));
        s3__xml_elem(
            &c->out, "Value",
            cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(t, "Value")));
        strbuf_puts(&c->out, "</Tag>");
    }
    strbuf_puts(&c->out, "</TagSet></Tagging>");
    cJSON_Delete(tags);
    return s3__ok();
}

cJSON *s3_op_delete_object_tagging(aws_request *req, aws_error *err)
{
    s3_ctx *c = s3__ctx(req);
    s3_bucket b;
    if (s3__bucket_get(req->srv, c->bucket, &b, err) != 0)
        return NULL;
    cJSON *tags = s3__object_tags_load(req->srv, b.id, c->key, err);
    if (!tags)
        return NULL;
    cJSON_Delete(tags);
    s3__object_tags_store(req->srv, b.id, c->key, NULL);
    req->status = 204;
    return s3__ok();
}
