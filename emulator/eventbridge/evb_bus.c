/*
 * evb_bus.c: CreateEventBus, DescribeEventBus, ListEventBuses and
 * DeleteEventBus.
 *
 * The bus "default" exists in every account and region without being
 * created, and cannot be deleted. Left out: partner event sources
 * (EventSourceName), KMS keys and a bus's own dead-letter configuration,
 * which are accepted and ignored.
 */
#include "evb_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store.h"
#include "util.h"

/* The description of one bus, as DescribeEventBus and ListEventBuses
 * return it. */
static cJSON *evb_bus_describe(const aws_request *req, const char *name,
                               const char *description, const char *policy,
                               int64_t created_ms, int64_t modified_ms)
{
    char arn[512];
    evb__bus_arn(req->account, req->region, name, arn, sizeof arn);
    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "Name", name);
    cJSON_AddStringToObject(out, "Arn", arn);
    if (description)
        cJSON_AddStringToObject(out, "Description", description);
    if (policy)
        cJSON_AddStringToObject(out, "Policy", policy);
    if (created_ms) {
        cJSON_AddNumberToObject(out, "CreationTime",
                                (double)created_ms / 1000.0);
        cJSON_AddNumberToObject(out, "LastModifiedTime",
                                (double)modified_ms / 1000.0);
    }
    return out;
}

static const char *evb_column(sqlite3_stmt *s, int i)
{
    return sqlite3_column_type(s, i) == SQLITE_NULL
               ? NULL
               : (const char *)sqlite3_column_text(s, i);
}

cJSON *evb_op_create_event_bus(aws_request *req, aws_error *err)
{
    const char *name = evb__str(req->body, "Name");
    const char *description = evb__str(req->body, "Description");
    if (!name)
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "1 validation error detected: Value null at 'name' "
                        "failed to satisfy constraint: Member must not be "
                        "null"),
               NULL;
    if (evb__name_check(name, "name", EVB_NAME_MAX, 1, err) != 0)
        return NULL;
    if (evb__bus_exists(req->srv, req->account, req->region, name))
        return aws_fail(err, AWS_ERR_RESOURCE_ALREADY_EXISTS,
                        "Event bus %s already exists.", name),
               NULL;

    int64_t now = clock_now_ms(&req->srv->clock);
    sqlite3_stmt *s =
        store_stmt(req->srv->store,
                   "INSERT INTO evb_bus (account, region, name, description,"
                   " created_ms, modified_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?5)");
    sqlite3_bind_text(s, 1, req->account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, req->region, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, name, -1, SQLITE_STATIC);
    if (description)
        sqlite3_bind_text(s, 4, description, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 5, now);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) {
        log_error("events", "cannot store event bus %s: %s", name,
                  sqlite3_errmsg(store_db(req->srv->store)));
        return aws_fail(err, AWS_ERR_INTERNAL_SERVER_ERROR, NULL), NULL;
    }

    char arn[512];
    evb__bus_arn(req->account, req->region, name, arn, sizeof arn);
    const cJSON *tags = cJSON_GetObjectItemCaseSensitive(req->body, "Tags");
    if (tags &&
        evb__tags_put(req->srv, req->account, req->region, arn, tags, err) != 0)
        return NULL;
    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "EventBusArn", arn);
    if (description)
        cJSON_AddStringToObject(out, "Description", description);
    return out;
}

cJSON *evb_op_describe_event_bus(aws_request *req, aws_error *err)
{
    char name[EVB_NAME_MAX + 1];
    if (evb__bus_member(req->body, "Name", name, sizeof name, err) != 0)
        return NULL;
    if (strcmp(name, "default") == 0)
        return evb_bus_describe(req, name, NULL, NULL, 0, 0);

    sqlite3_stmt *s = store_stmt(
        req->srv->store, "SELECT description, policy, created_ms,"
                         " modified_ms FROM evb_bus WHERE account = ?1 AND"
                         " region = ?2 AND name = ?3");
    sqlite3_bind_text(s, 1, req->account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, req->region, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, name, -1, SQLITE_STATIC);
    cJSON *out = NULL;
    if (sqlite3_step(s) == SQLITE_ROW)
        out = evb_bus_describe(req, name, evb_column(s, 0), evb_column(s, 1),
                               sqlite3_column_int64(s, 2),
                               sqlite3_column_int64(s, 3));
    sqlite3_reset(s);
    if (!out)
        aws_fail(err, AWS_ERR_RESOURCE_NOT_FOUND,
                 "Event bus %s does not exist.", name);
    return out;
}

cJSON *evb_op_list_event_buses(aws_request *req, aws_error *err)
{
    const char *prefix = evb__str(req->body, "NamePrefix");
    const char *token = evb__str(req->body, "NextToken");
    const cJSON *limit_item =
        cJSON_GetObjectItemCaseSensitive(req->body, "Limit");
    long limit = 100;
    if (cJSON_IsNumber(limit_item)) {
        limit = (long)limit_item->valuedouble;
        if (limit < 1 || limit > 100)
            return aws_fail(err, AWS_ERR_VALIDATION,
                            "1 validation error detected: Value '%ld' at "
                            "'limit' failed to satisfy constraint: Member "
                            "must have value between 1 and 100",
                            limit),
                   NULL;
    }

    /* "default" sorts with the custom buses by name. */
    sqlite3_stmt *s = store_stmt(
        req->srv->store,
        "SELECT name, description, policy, created_ms, modified_ms FROM"
        " (SELECT name, description, policy, created_ms, modified_ms FROM"
        " evb_bus WHERE account = ?1 AND region = ?2 UNION ALL SELECT"
        " 'default', NULL, NULL, 0, 0) WHERE substr(name, 1, length(?3))"
        " = ?3 AND name > ?4 ORDER BY name LIMIT ?5");
    sqlite3_bind_text(s, 1, req->account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, req->region, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, prefix ? prefix : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, token ? token : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 5, limit + 1);
    cJSON *out = cJSON_CreateObject();
    cJSON *buses = cJSON_AddArrayToObject(out, "EventBuses");
    long n = 0;
    char last[EVB_NAME_MAX + 1] = "";
    while (sqlite3_step(s) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(s, 0);
        if (n == limit) {
            cJSON_AddStringToObject(out, "NextToken", last);
            break;
        }
        cJSON_AddItemToArray(
            buses, evb_bus_describe(
                       req, name, evb_column(s, 1), evb_column(s, 2),
                       sqlite3_column_int64(s, 3), sqlite3_column_int64(s, 4)));
        snprintf(last, sizeof last, "%s", name);
        n++;
    }
    sqlite3_reset(s);
    return out;
}

cJSON *evb_op_delete_event_bus(aws_request *req, aws_error *err)
{
    const char *name = evb__str(req->body, "Name");
    if (!name)
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "1 validation error detected: Value null at 'name' "
                        "failed to satisfy constraint: Member must not be "
                        "null"),
               NULL;
    if (strcmp(name, "default") == 0)
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "Cannot delete event bus default."),
               NULL;

    /* Deleting a missing bus succeeds, as on AWS. The bus's rules, their
     * targets and the tags of all of them go with it. */
    char prefix[512];
    evb__bus_arn(req->account, req->region, name, prefix, sizeof prefix);
    evb__tags_delete(req->srv, req->account, req->region, prefix);
    snprintf(prefix, sizeof prefix, "arn:aws:events:%s:%s:rule/%s/",
             req->region, req->account, name);
    evb__tags_delete_prefix(req->srv, req->account, req->region, prefix);
    sqlite3_stmt *s =
        store_stmt(req->srv->store, "DELETE FROM evb_target WHERE rule_id IN"
                                    " (SELECT id FROM evb_rule WHERE"
                                    " account = ?1 AND region = ?2 AND"
                                    " bus = ?3)");
    sqlite3_bind_text(s, 1, req->account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, req->region, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, name, -1, SQLITE_STATIC);
    sqlite3_step(s);
    sqlite3_reset(s);
    static const char *const deletes[] = {
        "DELETE FROM evb_rule WHERE account = ?1 AND region = ?2 AND"
        " bus = ?3",
        "DELETE FROM evb_bus WHERE account = ?1 AND region = ?2 AND"
        " name = ?3",
    };
    for (size_t i = 0; i < 2; i++) {
        s = store_stmt(req->srv->store, deletes[i]);
        sqlite3_bind_text(s, 1, req->account, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, req->region, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, name, -1, SQLITE_STATIC);
        sqlite3_step(s);
        sqlite3_reset(s);
    }
    return cJSON_CreateObject();
}
