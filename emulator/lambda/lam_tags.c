/*
 * lam_tags.c: ListTags, TagResource and UntagResource on functions, by
 * function ARN. Tags live in the function's row; CreateFunction sets the
 * first ones. Error texts are those AWS returned in LocalStack's
 * AWS-validated snapshot test_lambda_api.snapshot.json (November 2025).
 *
 * Not supported: tags on event source mappings, code signing configs and
 * capacity providers.
 */
#include "lam_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

/* AWS's limit of tags on one function. */
#define LAM_MAX_TAGS 50

/* The function named by the Resource ARN of the path, into `name`. */
static int lam_tag_resource(aws_request *req, char *name, size_t size,
                            aws_error *err)
{
    const cJSON *resource =
        cJSON_GetObjectItemCaseSensitive(req->params, "Resource");
    const char *arn = cJSON_IsString(resource) ? resource->valuestring : "";
    const char *function = strstr(arn, ":function:");

    if (strncmp(arn, "arn:aws", 7) != 0 || !strstr(arn, ":lambda:") ||
        !function)
        return aws_fail(
            err, AWS_ERR_VALIDATION,
            "1 validation error detected: Value '%s' at 'resource' failed to "
            "satisfy constraint: Member must satisfy regular expression "
            "pattern: arn:(aws[a-zA-Z-]*):lambda:(eusc-)?[a-z]{2}((-gov)|"
            "(-iso([a-z]?)))?-[a-z]+-\\d{1}:\\d{12}:(function:[a-zA-Z0-9-_]+"
            "(:(\\$LATEST|[a-zA-Z0-9-_]+))?|layer:([a-zA-Z0-9-_]+)|"
            "code-signing-config:csc-[a-z0-9]{17}|event-source-mapping:"
            "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
            "[0-9a-fA-F]{12}|capacity-provider:[a-zA-Z0-9-_]+)",
            arn);
    if (strchr(function + strlen(":function:"), ':'))
        return aws_fail(err, AWS_ERR_INVALID_PARAMETER_VALUE,
                        "Tags on function aliases and versions are not "
                        "supported. Please specify a function ARN.");
    return lam__function_name(arn, req->region, req->account, name, size, err);
}

/* The tags of an existing function, or NULL with `err` filled. */
static cJSON *lam_tags_load(aws_request *req, const char *name, aws_error *err)
{
    lam_function f;
    if (lam__function_load(req->srv, req->account, req->region, name, &f,
                           err) != 0)
        return NULL;
    lam__function_free(&f);

    sqlite3_stmt *s =
        store_stmt(req->srv->store, "SELECT tags FROM lam_function"
                                    " WHERE account = ?1 AND region = ?2"
                                    " AND name = ?3");
    sqlite3_bind_text(s, 1, req->account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, req->region, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, name, -1, SQLITE_STATIC);
    cJSON *tags = NULL;
    if (sqlite3_step(s) == SQLITE_ROW)
        tags = cJSON_Parse((const char *)sqlite3_column_text(s, 0));
    sqlite3_reset(s);
    if (!cJSON_IsObject(tags)) {
        cJSON_Delete(tags);
        tags = cJSON_CreateObject();
    }
    return tags;
}

static int lam_tags_save(aws_request *req, const char *name, const cJSON *tags,
                         aws_error *err)
{
    char *text = cJSON_PrintUnformatted(tags);
    sqlite3_stmt *s =
        store_stmt(req->srv->store, "UPDATE lam_function SET tags = ?4"
                                    " WHERE account = ?1 AND region = ?2"
                                    " AND name = ?3");
    sqlite3_bind_text(s, 1, req->account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, req->region, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, text, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    free(text);
    if (rc != SQLITE_DONE)
        return aws_fail(err, AWS_ERR_INTERNAL_SERVER_ERROR,
                        "cannot store the tags of %s: %s", name,
                        sqlite3_errmsg(store_db(req->srv->store)));
    return 0;
}

static cJSON *lam_no_content(aws_request *req)
{
    req->status = 204;
    req->raw_body = xstrdup("");
    return cJSON_CreateObject();
}

cJSON *lam_op_list_tags(aws_request *req, aws_error *err)
{
    char name[72];
    if (lam_tag_resource(req, name, sizeof name, err) != 0)
        return NULL;
    cJSON *tags = lam_tags_load(req, name, err);
    if (!tags)
        return NULL;
    cJSON *out = cJSON_CreateObject();
    cJSON_AddItemToObject(out, "Tags", tags);
    return out;
}

cJSON *lam_op_tag_resource(aws_request *req, aws_error *err)
{
    char name[72];
    const cJSON *add = cJSON_GetObjectItemCaseSensitive(req->body, "Tags");
    if (lam_tag_resource(req, name, sizeof name, err) != 0)
        return NULL;
    if (!cJSON_IsObject(add) || !add->child)
        return aws_fail(err, AWS_ERR_INVALID_PARAMETER_VALUE,
                        "An error occurred and the request cannot be "
                        "processed."),
               NULL;
    cJSON *tags = lam_tags_load(req, name, err);
    if (!tags)
        return NULL;

    const cJSON *tag;
    cJSON_ArrayForEach(tag, add)
    {
        if (!cJSON_IsString(tag)) {
            cJSON_Delete(tags);
            return aws_fail(err, AWS_ERR_SERIALIZATION,
                            "The value of tag %s must be a string",
                            tag->string),
                   NULL;
        }
        cJSON_DeleteItemFromObjectCaseSensitive(tags, tag->string);
        cJSON_AddStringToObject(tags, tag->string, tag->valuestring);
    }
    if (cJSON_GetArraySize(tags) > LAM_MAX_TAGS) {
        cJSON_Delete(tags);
        return aws_fail(err, AWS_ERR_INVALID_PARAMETER_VALUE,
                        "Number of tags exceeds resource tag limit."),
               NULL;
    }
    int rc = lam_tags_save(req, name, tags, err);
    cJSON_Delete(tags);
    return rc == 0 ? lam_no_content(req) : NULL;
}

static int lam_hex_digit(int c)
{
    if (isdigit(c))
        return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Every value of the repeated query parameter tagKeys, percent-decoded. */
static cJSON *lam_tag_keys(const char *query)
{
    cJSON *keys = cJSON_CreateArray();
    for (const char *p = query; p && *p;) {
        const char *end = strchr(p, '&');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > 8 && strncmp(p, "tagKeys=", 8) == 0) {
            strbuf key;
            strbuf_init(&key);
            for (size_t i = 8; i < len; i++) {
                char c = p[i];
                if (c == '%' && i + 2 < len &&
                    lam_hex_digit((unsigned char)p[i + 1]) >= 0 &&
                    lam_hex_digit((unsigned char)p[i + 2]) >= 0) {
                    c = (char)(lam_hex_digit((unsigned char)p[i + 1]) * 16 +
                               lam_hex_digit((unsigned char)p[i + 2]));
                    i += 2;
                } else if (c == '+') {
                    c = ' ';
                }
                strbuf_append(&key, &c, 1);
            }
            cJSON_AddItemToArray(keys, cJSON_CreateString(key.data));
            strbuf_free(&key);
        }
        p = end ? end + 1 : NULL;
    }
    return keys;
}

cJSON *lam_op_untag_resource(aws_request *req, aws_error *err)
{
    char name[72];
    if (lam_tag_resource(req, name, sizeof name, err) != 0)
        return NULL;
    cJSON *keys = lam_tag_keys(req->http->query);
    if (cJSON_GetArraySize(keys) == 0) {
        cJSON_Delete(keys);
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "1 validation error detected: Value null at "
                        "'tagKeys' failed to satisfy constraint: Member must "
                        "not be null"),
               NULL;
    }
    cJSON *tags = lam_tags_load(req, name, err);
    if (!tags) {
        cJSON_Delete(keys);
        return NULL;
    }
    const cJSON *key;
    cJSON_ArrayForEach(key, keys)
        cJSON_DeleteItemFromObjectCaseSensitive(tags, key->valuestring);
    int rc = lam_tags_save(req, name, tags, err);
    cJSON_Delete(tags);
    cJSON_Delete(keys);
    return rc == 0 ? lam_no_content(req) : NULL;
}
