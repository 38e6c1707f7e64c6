/*
 * evb_tags.c: TagResource, UntagResource and ListTagsForResource for rules
 * and event buses, and the Tags member of PutRule and CreateEventBus.
 * Tags are stored by resource ARN and deleted with their resource.
 */
#include "evb_internal.h"

#include <stdio.h>
#include <string.h>

#include "store.h"

#define EVB_MAX_TAGS 50

/*
 * Check that `arn` names an existing rule or event bus of the request's
 * account and region, failing with the error the resource's own
 * operations return. NOTE: the error for an ARN of another resource type
 * was not recorded; Stratus returns ValidationException.
 */
static int evb_tag_resource_check(aws_request *req, const char *arn,
                                  aws_error *err)
{
    char prefix[160];
    snprintf(prefix, sizeof prefix, "arn:aws:events:%s:%s:", req->region,
             req->account);
    size_t plen = strlen(prefix);
    if (strncmp(arn, prefix, plen) == 0 &&
        strncmp(arn + plen, "event-bus/", 10) == 0) {
        const char *bus = arn + plen + 10;
        if (evb__bus_exists(req->srv, req->account, req->region, bus))
            return 0;
        return aws_fail(err, AWS_ERR_RESOURCE_NOT_FOUND,
                        "Event bus %s does not exist.", bus);
    }
    if (strncmp(arn, prefix, plen) == 0 &&
        strncmp(arn + plen, "rule/", 5) == 0) {
        char bus[EVB_NAME_MAX + 1] = "default";
        const char *name = arn + plen + 5;
        const char *slash = strrchr(name, '/');
        if (slash) {
            snprintf(bus, sizeof bus, "%.*s", (int)(slash - name), name);
            name = slash + 1;
        }
        evb_rule *rule =
            evb__rule_load(req->srv, req->account, req->region, bus, name);
        int found = rule != NULL;
        evb__rule_free(rule);
        if (found)
            return 0;
        return aws_fail(err, AWS_ERR_RESOURCE_NOT_FOUND,
                        "Rule %s does not exist on EventBus %s.", name, bus);
    }
    return aws_fail(err, AWS_ERR_VALIDATION,
                    "Parameter ResourceARN is not valid. Reason: %s is not "
                    "a rule or event bus ARN of this account and region.",
                    arn);
}

int evb__tags_put(stratus *srv, const char *account, const char *region,
                  const char *arn, const cJSON *tags, aws_error *err)
{
    const cJSON *t;
    cJSON_ArrayForEach(t, tags)
    {
        const char *key = evb__str(t, "Key");
        const char *value = evb__str(t, "Value");
        if (!key || !value)
            return aws_fail(err, AWS_ERR_VALIDATION,
                            "1 validation error detected: Value null at "
                            "'tags.member.%s' failed to satisfy constraint: "
                            "Member must not be null",
                            key ? "value" : "key");
        sqlite3_stmt *s = store_stmt(
            srv->store, "INSERT INTO evb_tag (account, region, arn, key,"
                        " value) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT"
                        " DO UPDATE SET value = excluded.value");
        sqlite3_bind_text(s, 1, account, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, region, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, arn, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 4, key, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 5, value, -1, SQLITE_STATIC);
        sqlite3_step(s);
        sqlite3_reset(s);
    }

    sqlite3_stmt *s =
        store_stmt(srv->store, "SELECT count(*) FROM evb_tag WHERE"
                               " account = ?1 AND region = ?2 AND arn = ?3");
    sqlite3_bind_text(s, 1, account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, region, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, arn, -1, SQLITE_STATIC);
    int64_t count =
        sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    sqlite3_reset(s);
    if (count > EVB_MAX_TAGS)
        return aws_fail(err, AWS_ERR_LIMIT_EXCEEDED,
                        "A resource can have at most %d tags.", EVB_MAX_TAGS);
    return 0;
}

void evb__tags_delete(stratus *srv, const char *account, const char *region,
                      const char *arn)
{
    sqlite3_stmt *s =
        store_stmt(srv->store, "DELETE FROM evb_tag WHERE account = ?1 AND"
                               " region = ?2 AND arn = ?3");
    sqlite3_bind_text(s, 1, account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, region, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, arn, -1, SQLITE_STATIC);
    sqlite3_step(s);
    sqlite3_reset(s);
}

void evb__tags_delete_prefix(stratus *srv, const char *account,
                             const char *region, const char *arn_prefix)
{
    sqlite3_stmt *s =
        store_stmt(srv->store, "DELETE FROM evb_tag WHERE account = ?1 AND"
                               " region = ?2 AND"
                               " substr(arn, 1, length(?3)) = ?3");
    sqlite3_bind_text(s, 1, account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, region, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, arn_prefix, -1, SQLITE_STATIC);
    sqlite3_step(s);
    sqlite3_reset(s);
}

cJSON *evb_op_tag_resource(aws_request *req, aws_error *err)
{
    const char *arn = evb__str(req->body, "ResourceARN");
    const cJSON *tags = cJSON_GetObjectItemCaseSensitive(req->body, "Tags");
    if (!arn || !cJSON_IsArray(tags))
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "1 validation error detected: Value null at '%s' "
                        "failed to satisfy constraint: Member must not be "
                        "null",
                        arn ? "tags" : "resourceARN"),
               NULL;
    if (evb_tag_resource_check(req, arn, err) != 0 ||
        evb__tags_put(req->srv, req->account, req->region, arn, tags, err) != 0)
        return NULL;
    return cJSON_CreateObject();
}

cJSON *evb_op_untag_resource(aws_request *req, aws_error *err)
{
    const char *arn = evb__str(req->body, "ResourceARN");
    const cJSON *keys = cJSON_GetObjectItemCaseSensitive(req->body, "TagKeys");
    if (!arn || !cJSON_IsArray(keys))
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "1 validation error detected: Value null at '%s' "
                        "failed to satisfy constraint: Member must not be "
                        "null",
                        arn ? "tagKeys" : "resourceARN"),
               NULL;
    if (evb_tag_resource_check(req, arn, err) != 0)
        return NULL;
    const cJSON *k;
    cJSON_ArrayForEach(k, keys)
    {
        if (!cJSON_IsString(k))
            continue;
        sqlite3_stmt *s =
            store_stmt(req->srv->store, "DELETE FROM evb_tag WHERE account = ?1"
                                        " AND region = ?2 AND arn = ?3 AND"
                                        " key = ?4");
        sqlite3_bind_text(s, 1, req->account, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, req->region, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, arn, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 4, k->valuestring, -1, SQLITE_STATIC);
        sqlite3_step(s);
        sqlite3_reset(s);
    }
    return cJSON_CreateObject();
}

cJSON *evb_op_list_tags_for_resource(aws_request *req, aws_error *err)
{
    const char *arn = evb__str(req->body, "ResourceARN");
    if (!arn)
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "1 validation error detected: Value null at "
                        "'resourceARN' failed to satisfy constraint: Member "
                        "must not be null"),
               NULL;
    if (evb_tag_resource_check(req, arn, err) != 0)
        return NULL;
    sqlite3_stmt *s =
        store_stmt(req->srv->store, "SELECT key, value FROM evb_tag WHERE"
                                    " account = ?1 AND region = ?2 AND arn = ?3"
                                    " ORDER BY key");
    sqlite3_bind_text(s, 1, req->account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, req->region, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, arn, -1, SQLITE_STATIC);
    cJSON *out = cJSON_CreateObject();
    cJSON *tags = cJSON_AddArrayToObject(out, "Tags");
    while (sqlite3_step(s) == SQLITE_ROW) {
        cJSON *t = cJSON_CreateObject();
        cJSON_AddStringToObject(t, "Key",
                                (const char *)sqlite3_column_text(s, 0));
        cJSON_AddStringToObject(t, "Value",
                                (const char *)sqlite3_column_text(s, 1));
        cJSON_AddItemToArray(tags, t);
    }
    sqlite3_reset(s);
    return out;
}
