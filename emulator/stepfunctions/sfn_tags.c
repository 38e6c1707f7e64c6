/*
 * sfn_tags.c: tags of state machines: TagResource, UntagResource,
 * ListTagsForResource, and the `tags` member of CreateStateMachine.
 * Deleting a machine deletes its tags.
 *
 * Not checked: the limit of 50 tags per resource and the key and value
 * length limits.
 */
#include "sfn_internal.h"

#include <string.h>

static int sfn_tags_resource(aws_request *req, const char **arn, aws_error *err)
{
    *arn = sfn__str(req->body, "resourceArn");
    if (!*arn)
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "1 validation error detected: Value null at "
                        "'resourceArn' failed to satisfy constraint: Member "
                        "must not be null");
    if (sfn__arn_check(*arn, "stateMachine", err) != 0)
        return -1;
    sfn_machine *m = sfn__machine_load(req->srv, *arn);
    if (!m)
        return aws_fail(err, AWS_ERR_SFN_RESOURCE_NOT_FOUND,
                        "Resource not found: '%s'", *arn);
    sfn__machine_free(m);
    return 0;
}

int sfn__tags_put(stratus *srv, const char *arn, const cJSON *tags,
                  aws_error *err)
{
    if (tags && !cJSON_IsArray(tags))
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "1 validation error detected: 'tags' must be a list "
                        "of {key, value}");
    const cJSON *tag;
    cJSON_ArrayForEach(tag, tags)
    {
        const char *key = sfn__str(tag, "key");
        const char *value = sfn__str(tag, "value");
        if (!key)
            return aws_fail(err, AWS_ERR_VALIDATION,
                            "1 validation error detected: Value null at "
                            "'tags.member.key' failed to satisfy "
                            "constraint: Member must not be null");
        sqlite3_stmt *s = store_stmt(
            srv->store, "INSERT OR REPLACE INTO sfn_tags (resource_arn, key,"
                        " value) VALUES (?1, ?2, ?3)");
        sqlite3_bind_text(s, 1, arn, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, key, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, value ? value : "", -1, SQLITE_STATIC);
        sqlite3_step(s);
        sqlite3_reset(s);
    }
    return 0;
}

void sfn__tags_delete_all(stratus *srv, const char *arn)
{
    sqlite3_stmt *s =
        store_stmt(srv->store, "DELETE FROM sfn_tags WHERE resource_arn = ?1");
    sqlite3_bind_text(s, 1, arn, -1, SQLITE_STATIC);
    sqlite3_step(s);
    sqlite3_reset(s);
}

cJSON *sfn_op_tag_resource(aws_request *req, aws_error *err)
{
    const char *arn;
    if (sfn_tags_resource(req, &arn, err) != 0)
        return NULL;
    if (sfn__tags_put(req->srv, arn, sfn__get(req->body, "tags"), err) != 0)
        return NULL;
    return cJSON_CreateObject();
}

cJSON *sfn_op_untag_resource(aws_request *req, aws_error *err)
{
    const char *arn;
    if (sfn_tags_resource(req, &arn, err) != 0)
        return NULL;
    const cJSON *key;
    cJSON_ArrayForEach(key, sfn__get(req->body, "tagKeys"))
    {
        if (!cJSON_IsString(key))
            continue;
        sqlite3_stmt *s =
            store_stmt(req->srv->store, "DELETE FROM sfn_tags WHERE"
                                        " resource_arn = ?1 AND key = ?2");
        sqlite3_bind_text(s, 1, arn, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, key->valuestring, -1, SQLITE_STATIC);
        sqlite3_step(s);
        sqlite3_reset(s);
    }
    return cJSON_CreateObject();
}

cJSON *sfn_op_list_tags_for_resource(aws_request *req, aws_error *err)
{
    const char *arn;
    if (sfn_tags_resource(req, &arn, err) != 0)
        return NULL;
    sqlite3_stmt *s =
        store_stmt(req->srv->store, "SELECT key, value FROM sfn_tags"
                                    " WHERE resource_arn = ?1 ORDER BY key");
    sqlite3_bind_text(s, 1, arn, -1, SQLITE_STATIC);
    cJSON *out = cJSON_CreateObject();
    cJSON *list = cJSON_AddArrayToObject(out, "tags");
    while (sqlite3_step(s) == SQLITE_ROW) {
        cJSON *tag = cJSON_CreateObject();
        cJSON_AddStringToObject(tag, "key",
                                (const char *)sqlite3_column_text(s, 0));
        cJSON_AddStringToObject(tag, "value",
                                (const char *)sqlite3_column_text(s, 1));
        cJSON_AddItemToArray(list, tag);
    }
    sqlite3_reset(s);
    return out;
}
