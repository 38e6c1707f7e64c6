/*
 * ddb_ttl.c: Time to Live: UpdateTimeToLive, DescribeTimeToLive and the
 * "dynamodb.ttl_sweep" job that deletes expired items.
 *
 * An item expires when its TTL attribute is a number of epoch seconds in the
 * past on the instance clock. Expired items stay readable until the sweep
 * deletes them, as on AWS. ddb_item.expires caches the expiry of each item
 * of a table with TTL enabled, so the sweep reads only expired rows. One
 * sweep job is pending per table, due five minutes after the earliest
 * known expiry, or after the write of an item that was already expired. So
 * a read right after a write returns the item, as it does on AWS, whose
 * background deletion has no deadline. After each run the sweep
 * reschedules itself, and it ends when no item carries a TTL. Like AWS,
 * items whose TTL is more than five years in the past are never deleted.
 */
#include "ddb_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "jobs.h"
#include "store.h"

#define DDB_TTL_IGNORE_OLDER_S (5LL * 365 * 24 * 3600)
#define DDB_TTL_BATCH 1000
/* How long an expired item stays readable at least. */
#define DDB_TTL_DELETE_DELAY_MS (5LL * 60 * 1000)

int64_t ddb__ttl_expiry(const ddb_table *t, const cJSON *item)
{
    if (!t->ttl_attribute)
        return -1;
    const cJSON *av = ddb__get(item, t->ttl_attribute);
    if (ddb_value_type(av) != DDB_N)
        return -1;
    const cJSON *payload = ddb_value_payload(av);
    if (!cJSON_IsString(payload))
        return -1;
    char *end = NULL;
    double seconds = strtod(payload->valuestring, &end);
    if (seconds < 0 || seconds > 9.0e15)
        return -1;
    return (int64_t)seconds;
}

int ddb__ttl_schedule(stratus *srv, const ddb_table *t, int64_t due_ms)
{
    if (!t->ttl_attribute)
        return 0;
    char key[512];
    snprintf(key, sizeof key, "%s/%s/%s", t->account, t->region, t->name);
    cJSON *payload = cJSON_CreateObject();
    cJSON_AddStringToObject(payload, "TableName", t->name);
    /* A pending sweep due later moves to this earlier time. */
    int64_t now_ms = clock_now_ms(&srv->clock);
    int64_t due = (due_ms > now_ms ? due_ms : now_ms) + DDB_TTL_DELETE_DELAY_MS;
    int rc = jobs_schedule(srv->jobs, DDB_TTL_JOB_KIND, t->account, t->region,
                           due, payload, key);
    cJSON_Delete(payload);
    return rc;
}

/* Earliest expiry (seconds) among items still to delete, or -1. */
static int64_t ddb_ttl_next(stratus *srv, const ddb_table *t, int64_t now_s)
{
    sqlite3_stmt *s =
        store_stmt(srv->store, "SELECT min(expires) FROM ddb_item"
                               " WHERE table_id = ?1 AND expires >= ?2");
    sqlite3_bind_int64(s, 1, t->id);
    sqlite3_bind_int64(s, 2, now_s - DDB_TTL_IGNORE_OLDER_S);
    int64_t next = -1;
    if (sqlite3_step(s) == SQLITE_ROW &&
        sqlite3_column_type(s, 0) != SQLITE_NULL)
        next = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    return next;
}

int64_t ddb__ttl_sweep(stratus *srv, const char *account, const char *region,
                       const cJSON *payload)
{
    const char *name = ddb__str(payload, "TableName");
    ddb_table *t = name ? ddb__table_load(srv, account, region, name) : NULL;
    if (!t || !t->ttl_attribute) {
        ddb__table_free(t);
        return 0;
    }

    int64_t now_ms = clock_now_ms(&srv->clock);
    int64_t now_s = now_ms / 1000;
    cJSON *keys = cJSON_CreateArray();
    sqlite3_stmt *s = store_stmt(srv->store, "SELECT item FROM ddb_item WHERE"
                                             " table_id = ?1 AND expires <= ?2"
                                             " AND expires >= ?3 LIMIT 1000");
    sqlite3_bind_int64(s, 1, t->id);
    sqlite3_bind_int64(s, 2, now_s);
    sqlite3_bind_int64(s, 3, now_s - DDB_TTL_IGNORE_OLDER_S);
    while (sqlite3_step(s) == SQLITE_ROW) {
        cJSON *item = cJSON_Parse((const char *)sqlite3_column_text(s, 0));
        if (item)
            cJSON_AddItemToArray(keys, ddb__key_extract(t, item));
        cJSON_Delete(item);
    }
    sqlite3_reset(s);

    int deleted = cJSON_GetArraySize(keys);
    const cJSON *key;
    cJSON_ArrayForEach(key, keys) ddb__item_delete(srv, t, key);
    cJSON_Delete(keys);

    int64_t delay = 0;
    if (deleted >= DDB_TTL_BATCH) {
        delay = 1;
    } else {
        int64_t next = ddb_ttl_next(srv, t, now_s);
        if (next >= 0)
            delay =
                (next * 1000 - now_ms > 1000 ? next * 1000 - now_ms : 1000) +
                DDB_TTL_DELETE_DELAY_MS;
    }
    ddb__table_free(t);
    return delay;
}

typedef struct ddb_ttl_row {
    strbuf pk, sk;
    int64_t expires;
} ddb_ttl_row;

/*
 * Recompute ddb_item.expires of every item after a TTL change. Rows are
 * collected first, because updating a table under an open cursor on it
 * leaves the cursor's view undefined.
 */
static int ddb_ttl_reindex(stratus *srv, const ddb_table *t)
{
    sqlite3_stmt *clear =
        store_stmt(srv->store, "UPDATE ddb_item SET expires = NULL"
                               " WHERE table_id = ?1");
    sqlite3_bind_int64(clear, 1, t->id);
    sqlite3_step(clear);
    sqlite3_reset(clear);
    if (!t->ttl_attribute)
        return 0;

    ddb_ttl_row *rows = NULL;
    size_t n = 0, cap = 0;
    sqlite3_stmt *s = store_stmt(srv->store, "SELECT pk, sk, item FROM ddb_item"
                                             " WHERE table_id = ?1");
    sqlite3_bind_int64(s, 1, t->id);
    while (sqlite3_step(s) == SQLITE_ROW) {
        cJSON *item = cJSON_Parse((const char *)sqlite3_column_text(s, 2));
        int64_t expires = item ? ddb__ttl_expiry(t, item) : -1;
        cJSON_Delete(item);
        if (expires < 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            rows = xrealloc(rows, cap * sizeof *rows);
        }
        strbuf_init(&rows[n].pk);
        strbuf_init(&rows[n].sk);
        strbuf_append(&rows[n].pk, sqlite3_column_blob(s, 0),
                      (size_t)sqlite3_column_bytes(s, 0));
        strbuf_append(&rows[n].sk, sqlite3_column_blob(s, 1),
                      (size_t)sqlite3_column_bytes(s, 1));
        rows[n].expires = expires;
        n++;
    }
    sqlite3_reset(s);

    int64_t earliest = -1;
    for (size_t i = 0; i < n; i++) {
        sqlite3_stmt *u =
            store_stmt(srv->store, "UPDATE ddb_item SET expires = ?4"
                                   " WHERE table_id = ?1 AND pk = ?2"
                                   " AND sk = ?3");
        sqlite3_bind_int64(u, 1, t->id);
        ddb__bind_key(u, 2, rows[i].pk.data, rows[i].pk.len);
        ddb__bind_key(u, 3, rows[i].sk.data, rows[i].sk.len);
        sqlite3_bind_int64(u, 4, rows[i].expires);
        sqlite3_step(u);
        sqlite3_reset(u);
        if (earliest < 0 || rows[i].expires < earliest)
            earliest = rows[i].expires;
        strbuf_free(&rows[i].pk);
        strbuf_free(&rows[i].sk);
    }
    free(rows);
    if (earliest >= 0)
        return ddb__ttl_schedule(srv, t, earliest * 1000);
    return 0;
}

cJSON *ddb_op_update_time_to_live(aws_request *req, aws_error *err)
{
    const char *name = ddb__str(req->body, "TableName");
    if (ddb__table_name_check(name, "tableName", 1, err) != 0)
        return NULL;
    const cJSON *spec = ddb__get(req->body, "TimeToLiveSpecification");
    const cJSON *enabled = ddb__get(spec, "Enabled");
    const char *attribute = ddb__str(spec, "AttributeName");
    if (!spec) {
        aws_fail(err, AWS_ERR_VALIDATION,
                 "1 validation error detected: Value null at "
                 "'timeToLiveSpecification' failed to satisfy constraint: "
                 "Member must not be null");
        return NULL;
    }
    if (!cJSON_IsBool(enabled) || !attribute || !attribute[0]) {
        aws_fail(err, AWS_ERR_VALIDATION,
                 "1 validation error detected: Value null at "
                 "'timeToLiveSpecification.%s' failed to satisfy constraint: "
                 "Member must not be null",
                 cJSON_IsBool(enabled) ? "attributeName" : "enabled");
        return NULL;
    }

    ddb_table *t = ddb__table_open(req, name, err);
    if (!t)
        return NULL;
    cJSON *resp = NULL;
    int enable = cJSON_IsTrue(enabled);
    if (enable && t->ttl_attribute) {
        aws_fail(err, AWS_ERR_VALIDATION, "TimeToLive is already enabled");
        goto done;
    }
    if (!enable && !t->ttl_attribute) {
        aws_fail(err, AWS_ERR_VALIDATION, "TimeToLive is already disabled");
        goto done;
    }

    sqlite3_stmt *s =
        store_stmt(req->srv->store, "UPDATE ddb_table SET ttl_attribute = ?2"
                                    " WHERE id = ?1");
    sqlite3_bind_int64(s, 1, t->id);
    if (enable)
        sqlite3_bind_text(s, 2, attribute, -1, SQLITE_STATIC);
    sqlite3_step(s);
    sqlite3_reset(s);

    free(t->ttl_attribute);
    t->ttl_attribute = enable ? xstrdup(attribute) : NULL;
    if (ddb_ttl_reindex(req->srv, t) != 0) {
        aws_fail(err, AWS_ERR_INTERNAL_SERVER_ERROR, "Internal server error");
        goto done;
    }

    resp = cJSON_CreateObject();
    cJSON *out = cJSON_AddObjectToObject(resp, "TimeToLiveSpecification");
    cJSON_AddBoolToObject(out, "Enabled", enable);
    cJSON_AddStringToObject(out, "AttributeName", attribute);

done:
    ddb__table_free(t);
    return resp;
}

cJSON *ddb_op_describe_time_to_live(aws_request *req, aws_error *err)
{
    const char *name = ddb__str(req->body, "TableName");
    if (ddb__table_name_check(name, "tableName", 1, err) != 0)
        return NULL;
    ddb_table *t = ddb__table_open(req, name, err);
    if (!t)
        return NULL;
    cJSON *resp = cJSON_CreateObject();
    cJSON *d = cJSON_AddObjectToObject(resp, "TimeToLiveDescription");
    cJSON_AddStringToObject(d, "TimeToLiveStatus",
                            t->ttl_attribute ? "ENABLED" : "DISABLED");
    if (t->ttl_attribute)
        cJSON_AddStringToObject(d, "AttributeName", t->ttl_attribute);
    ddb__table_free(t);
    return resp;
}
