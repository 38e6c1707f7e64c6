/*
 * logs.c: the CloudWatch Logs service: schema, log groups and streams,
 * PutLogEvents, GetLogEvents, FilterLogEvents and logs_append.
 *
 * Storage (SQLite):
 *   logs_group   one row per log group: creation time and retention.
 *   logs_stream  one row per stream: creation, first and last event times,
 *                last ingestion time and the upload count behind its
 *                sequence token.
 *   logs_event   one row per event: stream, timestamp, ingestion time and
 *                message.
 * Events are ordered by (timestamp, id), and paging tokens carry that pair:
 * "f/<timestamp>/<id>" and "b/<timestamp>/<id>" for GetLogEvents, and the
 * same pair for FilterLogEvents' nextToken.
 */
#include "logs.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "store.h"
#include "stratus.h"
#include "util.h"

#define LOGS_MAX_BATCH_EVENTS 10000
#define LOGS_MAX_BATCH_BYTES 1048576
#define LOGS_EVENT_OVERHEAD 26
#define LOGS_MAX_SPAN_MS (24LL * 3600 * 1000)
#define LOGS_MAX_AGE_MS (14LL * 24 * 3600 * 1000)
#define LOGS_MAX_FUTURE_MS (2LL * 3600 * 1000)
#define LOGS_DAY_MS (24LL * 3600 * 1000)

static const char *const logs_schema_steps[] = {
    "CREATE TABLE logs_group (account TEXT NOT NULL, region TEXT NOT NULL,"
    " name TEXT NOT NULL, created_ms INTEGER NOT NULL, retention INTEGER,"
    " PRIMARY KEY (account, region, name))",
    "CREATE TABLE logs_stream (id INTEGER PRIMARY KEY,"
    " account TEXT NOT NULL, region TEXT NOT NULL, grp TEXT NOT NULL,"
    " name TEXT NOT NULL, created_ms INTEGER NOT NULL,"
    " first_ms INTEGER, last_ms INTEGER, ingest_ms INTEGER,"
    " uploads INTEGER NOT NULL DEFAULT 0,"
    " UNIQUE (account, region, grp, name))",
    "CREATE TABLE logs_event (id INTEGER PRIMARY KEY,"
    " stream_id INTEGER NOT NULL REFERENCES logs_stream (id)"
    " ON DELETE CASCADE, ts_ms INTEGER NOT NULL, ingest_ms INTEGER NOT NULL,"
    " message TEXT NOT NULL)",
    "CREATE INDEX logs_event_time ON logs_event (stream_id, ts_ms, id)",
    "CREATE INDEX logs_event_all_time ON logs_event (ts_ms, id)",
};

/* ---- helpers ---- */

static const char *logs_str(const cJSON *obj, const char *name)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(m) ? m->valuestring : NULL;
}

/* An integer member: 1 when present, 0 when absent, -1 when not one. */
static int logs_int(const cJSON *obj, const char *name, int64_t *out)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (!m || cJSON_IsNull(m))
        return 0;
    if (!cJSON_IsNumber(m))
        return -1;
    *out = (int64_t)m->valuedouble;
    return 1;
}

static int logs_bad_type(aws_error *err, const char *member)
{
    return aws_fail(err, AWS_ERR_SERIALIZATION,
                    "Unexpected value type for the member %s", member);
}

static int logs_missing(aws_error *err, const char *member)
{
    return aws_fail(err, AWS_ERR_VALIDATION,
                    "1 validation error detected: Value null at '%s' failed "
                    "to satisfy constraint: Member must not be null",
                    member);
}

static int logs_group_missing(aws_error *err)
{
    return aws_fail(err, AWS_ERR_RESOURCE_NOT_FOUND,
                    "The specified log group does not exist.");
}

static int logs_stream_missing(aws_error *err)
{
    return aws_fail(err, AWS_ERR_RESOURCE_NOT_FOUND,
                    "The specified log stream does not exist.");
}

/* Log group names: 1 to 512 of [.-_/#A-Za-z0-9]. */
static int logs_group_name_valid(const char *name)
{
    size_t len = strlen(name);
    if (len == 0 || len > 512)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!isalnum((unsigned char)name[i]) && !strchr(".-_/#", name[i]))
            return 0;
    return 1;
}

static int logs_pattern_error(aws_error *err, const char *member,
                              const char *value, const char *pattern)
{
    return aws_fail(err, AWS_ERR_VALIDATION,
                    "1 validation error detected: Value '%s' at '%s' failed "
                    "to satisfy constraint: Member must satisfy regular "
                    "expression pattern: %s",
                    value, member, pattern);
}

/* The group name of a request (logGroupName or logGroupIdentifier, which
 * may be an ARN). Copies it into `out`. */
static int logs_request_group(const cJSON *b, char *out, size_t size,
                              aws_error *err)
{
    const char *name = logs_str(b, "logGroupName");
    const char *ident = logs_str(b, "logGroupIdentifier");
    if (name && ident)
        return aws_fail(err, AWS_ERR_LOGS_INVALID_PARAMETER,
                        "LogGroup name and LogGroup ARN are mutually "
                        "exclusive parameters.");
    if (!name && !ident)
        return aws_fail(err, AWS_ERR_LOGS_INVALID_PARAMETER,
                        "Should provide either name or ARN of the log "
                        "group.");
    if (ident && strncmp(ident, "arn:", 4) == 0) {
        const char *g = strstr(ident, ":log-group:");
        if (!g)
            return aws_fail(err, AWS_ERR_LOGS_INVALID_PARAMETER,
                            "Invalid log group ARN: %s", ident);
        g += 11;
        size_t len = strcspn(g, ":");
        snprintf(out, size, "%.*s", (int)len, g);
        return 0;
    }
    snprintf(out, size, "%s", name ? name : ident);
    return 0;
}

static int logs_group_exists(stratus *srv, const char *account,
                             const char *region, const char *group,
                             int64_t *retention)
{
    sqlite3_stmt *s =
        store_stmt(srv->store, "SELECT retention FROM logs_group WHERE"
                               " account = ?1 AND region = ?2 AND name = ?3");
    sqlite3_bind_text(s, 1, account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, region, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, group, -1, SQLITE_STATIC);
    int found = sqlite3_step(s) == SQLITE_ROW;
    if (found && retention)
        *retention = sqlite3_column_type(s, 0) == SQLITE_NULL
                         ? 0
                         : sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    return found;
}

static int64_t logs_stream_id(stratus *srv, const char *account,
                              const char *region, const char *group,
                              const char *stream)
{
    sqlite3_stmt *s =
        store_stmt(srv->store, "SELECT id FROM logs_stream WHERE"
                               " account = ?1 AND region = ?2 AND grp = ?3"
                               " AND name = ?4");
    sqlite3_bind_text(s, 1, account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, region, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, group, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, stream, -1, SQLITE_STATIC);
    int64_t id =
        sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
    sqlite3_reset(s);
    return id;
}

static int logs_group_insert(stratus *srv, const char *account,
                             const char *region, const char *group, int64_t now)
{
    sqlite3_stmt *s =
        store_stmt(srv->store, "INSERT INTO logs_group (account, region, name,"
                               " created_ms) VALUES (?1, ?2, ?3, ?4)");
    sqlite3_bind_text(s, 1, account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, region, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, group, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 4, now);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? 0 : -1;
}

static int64_t logs_stream_insert(stratus *srv, const char *account,
                                  const char *region, const char *group,
                                  const char *stream, int64_t now)
{
    sqlite3_stmt *s = store_stmt(
        srv->store, "INSERT INTO logs_stream (account, region, grp, name,"
                    " created_ms) VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id");
    sqlite3_bind_text(s, 1, account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, region, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, group, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, stream, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 5, now);
    int64_t id =
        sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
    sqlite3_reset(s);
    return id;
}

static int logs_event_insert(stratus *srv, int64_t stream_id, int64_t ts,
                             int64_t now, const char *message, size_t len)
{
    sqlite3_stmt *s = store_stmt(
        srv->store, "INSERT INTO logs_event (stream_id, ts_ms, ingest_ms,"
                    " message) VALUES (?1, ?2, ?3, ?4)");
    sqlite3_bind_int64(s, 1, stream_id);
    sqlite3_bind_int64(s, 2, ts);
    sqlite3_bind_int64(s, 3, now);
    sqlite3_bind_text(s, 4, message, (int)len, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE)
        return -1;
    s = store_stmt(srv->store, "UPDATE logs_stream SET"
                               " first_ms = min(coalesce(first_ms, ?2), ?2),"
                               " last_ms = max(coalesce(last_ms, ?2), ?2),"
                               " ingest_ms = ?3 WHERE id = ?1");
    sqlite3_bind_int64(s, 1, stream_id);
    sqlite3_bind_int64(s, 2, ts);
    sqlite3_bind_int64(s, 3, now);
    rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? 0 : -1;
}

void logs_append(stratus *srv, const char *account, const char *region,
                 const char *group, const char *stream, int64_t time_ms,
                 const char *message, size_t len)
{
    int64_t now = clock_now_ms(&srv->clock);
    int in_turn = store_in_transaction(srv->store);
    if (store_call_begin(srv->store) != SQLITE_OK) {
        log_error("logs", "cannot append to %s: %s", group,
                  sqlite3_errmsg(store_db(srv->store)));
        return;
    }
    int ok = 1;
    if (!logs_group_exists(srv, account, region, group, NULL))
        ok = logs_group_insert(srv, account, region, group, now) == 0;
    int64_t id = ok ? logs_stream_id(srv, account, region, group, stream) : -1;
    if (ok && id < 0)
        id = logs_stream_insert(srv, account, region, group, stream, now);
    ok = id >= 0 && logs_event_insert(srv, id, time_ms, now, message, len) == 0;
    if (!ok)
        log_error("logs", "cannot append to %s %s: %s", group, stream,
                  sqlite3_errmsg(store_db(srv->store)));
    store_call_end(srv->store, ok);
    /* Outside a request or job this opened the turn's transaction. */
    if (!in_turn)
        stratus_wake(srv);
}

static void logs_group_arn(const char *account, const char *region,
                           const char *group, char *out, size_t size)
{
    snprintf(out, size, "arn:aws:logs:%s:%s:log-group:%s", region, account,
             group);
}

/* ---- log groups ---- */

static cJSON *logs_op_create_log_group(aws_request *req, aws_error *err)
{
    const char *name = logs_str(req->body, "logGroupName");
    if (!name)
        return logs_missing(err, "logGroupName"), NULL;
    if (!logs_group_name_valid(name)) {
        logs_pattern_error(err, "logGroupName", name, "[\\.\\-_/#A-Za-z0-9]+");
        return NULL;
    }
    if (logs_group_exists(req->srv, req->account, req->region, name, NULL)) {
        aws_fail(err, AWS_ERR_RESOURCE_ALREADY_EXISTS,
                 "The specified log group already exists");
        return NULL;
    }
    if (logs_group_insert(req->srv, req->account, req->region, name,
                          clock_now_ms(&req->srv->clock)) != 0) {
        aws_fail(err, AWS_ERR_INTERNAL_SERVER_ERROR, NULL);
        return NULL;
    }
    return cJSON_CreateObject();
}

static cJSON *logs_op_delete_log_group(aws_request *req, aws_error *err)
{
    const char *name = logs_str(req->body, "logGroupName");
    if (!name)
        return logs_missing(err, "logGroupName"), NULL;
    if (!logs_group_exists(req->srv, req->account, req->region, name, NULL))
        return logs_group_missing(err), NULL;
    sqlite3_stmt *s = store_stmt(
        req->srv->store, "DELETE FROM logs_event WHERE stream_id IN (SELECT"
                         " id FROM logs_stream WHERE account = ?1 AND"
                         " region = ?2 AND grp = ?3)");
    sqlite3_bind_text(s, 1, req->account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, req->region, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, name, -1, SQLITE_STATIC);
    sqlite3_step(s);
    sqlite3_reset(s);
    s = store_stmt(req->srv->store,
                   "DELETE FROM logs_stream WHERE account = ?1 AND region = ?2"
                   " AND grp = ?3");
    sqlite3_bind_text(s, 1, req->account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, req->region, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, name, -1, SQLITE_STATIC);
    sqlite3_step(s);
    sqlite3_reset(s);
    s = store_stmt(req->srv->store,
                   "DELETE FROM logs_group WHERE account = ?1 AND region = ?2"
                   " AND name = ?3");
    sqlite3_bind_text(s, 1, req->account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, req->region, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, name, -1, SQLITE_STATIC);
    sqlite3_step(s);
    sqlite3_reset(s);
    return cJSON_CreateObject();
}

static int logs_limit(const cJSON *b, int64_t def, int64_t max, int64_t *out,
                      aws_error *err)
{
    *out = def;
    int rc = logs_int(b, "limit", out);
    if (rc < 0)
        return logs_bad_type(err, "limit");
    if (*out < 1 || *out > max)
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "1 validation error detected: Value '%" PRId64
                        "' at 'limit' failed to satisfy constraint: Member "
                        "must have value %s %" PRId64,
                        *out,
                        *out < 1 ? "greater than or equal to"
                                 : "less than or equal to",
                        *out < 1 ? (int64_t)1 : max);
    return 0;
}

/* Case-insensitive substring search for logGroupNamePattern. */
static int logs_contains_nocase(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0)
            return 1;
    return n == 0;
}

static cJSON *logs_op_describe_log_groups(aws_request *req, aws_error *err)
{
    const cJSON *b = req->body;
    const char *prefix = logs_str(b, "logGroupNamePrefix");
    const char *pattern = logs_str(b, "logGroupNamePattern");
    const char *token = logs_str(b, "nextToken");
    int64_t limit;
    if (prefix && pattern) {
        aws_fail(err, AWS_ERR_LOGS_INVALID_PARAMETER,
                 "LogGroup name prefix and LogGroup name pattern are mutually "
                 "exclusive parameters.");
        return NULL;
    }
    if (logs_limit(b, 50, 50, &limit, err) != 0)
        return NULL;
    sqlite3_stmt *s = store_stmt(
        req->srv->store,
        "SELECT g.name, g.created_ms, g.retention, (SELECT"
        " coalesce(sum(length(CAST(e.message AS BLOB))), 0) FROM logs_stream"
        " st JOIN logs_event e ON e.stream_id = st.id WHERE st.account ="
        " g.account AND st.region = g.region AND st.grp = g.name)"
        " FROM logs_group g WHERE g.account = ?1 AND g.region = ?2"
        " AND (?3 IS NULL OR substr(g.name, 1, length(?3)) = ?3)"
        " AND (?4 IS NULL OR g.name > ?4) ORDER BY g.name");
    sqlite3_bind_text(s, 1, req->account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, req->region, -1, SQLITE_STATIC);
    if (prefix)
        sqlite3_bind_text(s, 3, prefix, -1, SQLITE_STATIC);
    if (token)
        sqlite3_bind_text(s, 4, token, -1, SQLITE_STATIC);
    cJSON *out = cJSON_CreateObject();
    cJSON *groups = cJSON_AddArrayToObject(out, "logGroups");
    int64_t added = 0;
    char last[600] = "";
    int more = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(s, 0);
        if (pattern && !logs_contains_nocase(name, pattern))
            continue;
        if (added == limit) {
            more = 1;
            break;
        }
        char arn[700];
        logs_group_arn(req->account, req->region, name, arn, sizeof arn);
        cJSON *g = cJSON_CreateObject();
        cJSON_AddStringToObject(g, "logGroupName", name);
        cJSON_AddNumberToObject(g, "creationTime",
                                (double)sqlite3_column_int64(s, 1));
        if (sqlite3_column_type(s, 2) != SQLITE_NULL)
            cJSON_AddNumberToObject(g, "retentionInDays",
                                    (double)sqlite3_column_int64(s, 2));
        cJSON_AddNumberToObject(g, "metricFilterCount", 0);
        char star[710];
        snprintf(star, sizeof star, "%s:*", arn);
        cJSON_AddStringToObject(g, "arn", star);
        cJSON_AddNumberToObject(g, "storedBytes",
                                (double)sqlite3_column_int64(s, 3));
        cJSON_AddStringToObject(g, "logGroupClass", "STANDARD");
        cJSON_AddStringToObject(g, "logGroupArn", arn);
        cJSON_AddItemToArray(groups, g);
        snprintf(last, sizeof last, "%s", name);
        added++;
    }
    sqlite3_reset(s);
    if (more)
        cJSON_AddStringToObject(out, "nextToken", last);
    return out;
}

static cJSON *logs_op_put_retention_policy(aws_request *req, aws_error *err)
{
    const char *name = logs_str(req->body, "logGroupName");
    int64_t days = 0;
    if (!name)
        return logs_missing(err, "logGroupName"), NULL;
    if (logs_int(req->body, "retentionInDays", &days) <= 0)
        return logs_missing(err, "retentionInDays"), NULL;
    static const int allowed[] = {1,    3,    5,    7,    14,   30,  60,  90,
                                  120,  150,  180,  365,  400,  545, 731, 1096,
                                  1827, 2192, 2557, 2922, 3288, 3653};
    int ok = 0;
    for (size_t i = 0; i < sizeof allowed / sizeof *allowed; i++)
        ok |= allowed[i] == days;
    if (!ok) {
        aws_fail(err, AWS_ERR_LOGS_INVALID_PARAMETER,
                 "1 validation error detected: Value '%" PRId64
                 "' at 'retentionInDays' failed to satisfy constraint: Member "
                 "must satisfy enum value set",
                 days);
        return NULL;
    }
    if (!logs_group_exists(req->srv, req->account, req->region, name, NULL))
        return logs_group_missing(err), NULL;
    sqlite3_stmt *s = store_stmt(req->srv->store,
                                 "UPDATE logs_group SET retention = ?4 WHERE"
                                 " account = ?1 AND region = ?2 AND name = ?3");
    sqlite3_bind_text(s, 1, req->account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, req->region, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 4, days);
    sqlite3_step(s);
    sqlite3_reset(s);
    return cJSON_CreateObject();
}

/* ---- log streams ---- */

static cJSON *logs_op_create_log_stream(aws_request *req, aws_error *err)
{
    const char *group = logs_str(req->body, "logGroupName");
    const char *stream = logs_str(req->body, "logStreamName");
    if (!group)
        return logs_missing(err, "logGroupName"), NULL;
    if (!stream)
        return logs_missing(err, "logStreamName"), NULL;
    if (!stream[0] || strlen(stream) > 512 || strpbrk(stream, ":*")) {
        logs_pattern_error(err, "logStreamName", stream, "[^:*]*");
        return NULL;
    }
    if (!logs_group_exists(req->srv, req->account, req->region, group, NULL))
        return logs_group_missing(err), NULL;
    if (logs_stream_id(req->srv, req->account, req->region, group, stream) >=
        0) {
        aws_fail(err, AWS_ERR_RESOURCE_ALREADY_EXISTS,
                 "The specified log stream already exists");
        return NULL;
    }
    if (logs_stream_insert(req->srv, req->account, req->region, group, stream,
                           clock_now_ms(&req->srv->clock)) < 0) {
        aws_fail(err, AWS_ERR_INTERNAL_SERVER_ERROR, NULL);
        return NULL;
    }
    return cJSON_CreateObject();
}

static cJSON *logs_op_delete_log_stream(aws_request *req, aws_error *err)
{
    const char *group = logs_str(req->body, "logGroupName");
    const char *stream = logs_str(req->body, "logStreamName");
    if (!group)
        return logs_missing(err, "logGroupName"), NULL;
    if (!stream)
        return logs_missing(err, "logStreamName"), NULL;
    if (!logs_group_exists(req->srv, req->account, req->region, group, NULL))
        return logs_group_missing(err), NULL;
    int64_t id =
        logs_stream_id(req->srv, req->account, req->region, group, stream);
    if (id < 0)
        return logs_stream_missing(err), NULL;
    sqlite3_stmt *s = store_stmt(req->srv->store, "DELETE FROM logs_event WHERE"
                                                  " stream_id = ?1");
    sqlite3_bind_int64(s, 1, id);
    sqlite3_step(s);
    sqlite3_reset(s);
    s = store_stmt(req->srv->store, "DELETE FROM logs_stream WHERE id = ?1");
    sqlite3_bind_int64(s, 1, id);
    sqlite3_step(s);
    sqlite3_reset(s);
    return cJSON_CreateObject();
}

static cJSON *logs_op_describe_log_streams(aws_request *req, aws_error *err)
{
    const cJSON *b = req->body;
    char group[600];
    if (logs_request_group(b, group, sizeof group, err) != 0)
        return NULL;
    const char *prefix = logs_str(b, "logStreamNamePrefix");
    const char *order = logs_str(b, "orderBy");
    const cJSON *desc = cJSON_GetObjectItemCaseSensitive(b, "descending");
    const char *token = logs_str(b, "nextToken");
    int64_t limit;
    if (order && strcmp(order, "LogStreamName") != 0 &&
        strcmp(order, "LastEventTime") != 0) {
        aws_fail(err, AWS_ERR_VALIDATION,
                 "1 validation error detected: Value '%s' at 'orderBy' "
                 "failed to satisfy constraint: Member must satisfy enum "
                 "value set: [LogStreamName, LastEventTime]",
                 order);
        return NULL;
    }
    int by_time = order && strcmp(order, "LastEventTime") == 0;
    if (by_time && prefix) {
        aws_fail(err, AWS_ERR_LOGS_INVALID_PARAMETER,
                 "Cannot order by LastEventTime with a logStreamNamePrefix.");
        return NULL;
    }
    if (logs_limit(b, 50, 50, &limit, err) != 0)
        return NULL;
    long skip = 0;
    if (token) {
        char *end = NULL;
        skip = strtol(token, &end, 10);
        if (!token[0] || *end || skip < 0) {
            aws_fail(err, AWS_ERR_LOGS_INVALID_PARAMETER,
                     "The specified nextToken is invalid.");
            return NULL;
        }
    }
    if (!logs_group_exists(req->srv, req->account, req->region, group, NULL))
        return logs_group_missing(err), NULL;
    int descending = cJSON_IsTrue(desc);
    static const char *const queries[4] = {
        "SELECT st.name, st.created_ms, st.first_ms, st.last_ms, st.ingest_ms,"
        " st.uploads FROM logs_stream st WHERE account = ?1 AND region = ?2"
        " AND grp = ?3 AND (?4 IS NULL OR substr(name, 1, length(?4)) = ?4)"
        " ORDER BY name LIMIT ?5 OFFSET ?6",
        "SELECT st.name, st.created_ms, st.first_ms, st.last_ms, st.ingest_ms,"
        " st.uploads FROM logs_stream st WHERE account = ?1 AND region = ?2"
        " AND grp = ?3 AND (?4 IS NULL OR substr(name, 1, length(?4)) = ?4)"
        " ORDER BY name DESC LIMIT ?5 OFFSET ?6",
        "SELECT st.name, st.created_ms, st.first_ms, st.last_ms, st.ingest_ms,"
        " st.uploads FROM logs_stream st WHERE account = ?1 AND region = ?2"
        " AND grp = ?3 AND (?4 IS NULL OR substr(name, 1, length(?4)) = ?4)"
        " ORDER BY coalesce(last_ms, created_ms), name LIMIT ?5 OFFSET ?6",
        "SELECT st.name, st.created_ms, st.first_ms, st.last_ms, st.ingest_ms,"
        " st.uploads FROM logs_stream st WHERE account = ?1 AND region = ?2"
        " AND grp = ?3 AND (?4 IS NULL OR substr(name, 1, length(?4)) = ?4)"
        " ORDER BY coalesce(last_ms, created_ms) DESC, name DESC"
        " LIMIT ?5 OFFSET ?6",
    };
    sqlite3_stmt *s =
        store_stmt(req->srv->store, queries[by_time * 2 + descending]);
    sqlite3_bind_text(s, 1, req->account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, req->region, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, group, -1, SQLITE_STATIC);
    if (prefix)
        sqlite3_bind_text(s, 4, prefix, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 5, limit + 1);
    sqlite3_bind_int64(s, 6, skip);
    cJSON *out = cJSON_CreateObject();
    cJSON *streams = cJSON_AddArrayToObject(out, "logStreams");
    int64_t added = 0;
    int more = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
        if (added == limit) {
            more = 1;
            break;
        }
        const char *name = (const char *)sqlite3_column_text(s, 0);
        cJSON *st = cJSON_CreateObject();
        cJSON_AddStringToObject(st, "logStreamName", name);
        cJSON_AddNumberToObject(st, "creationTime",
                                (double)sqlite3_column_int64(s, 1));
        if (sqlite3_column_type(s, 2) != SQLITE_NULL) {
            cJSON_AddNumberToObject(st, "firstEventTimestamp",
                                    (double)sqlite3_column_int64(s, 2));
            cJSON_AddNumberToObject(st, "lastEventTimestamp",
                                    (double)sqlite3_column_int64(s, 3));
            cJSON_AddNumberToObject(st, "lastIngestionTime",
                                    (double)sqlite3_column_int64(s, 4));
        }
        char token_text[80];
        snprintf(token_text, sizeof token_text, "%056" PRId64,
                 (int64_t)sqlite3_column_int64(s, 5) + 1);
        cJSON_AddStringToObject(st, "uploadSequenceToken", token_text);
        char arn[1300];
        snprintf(arn, sizeof arn,
                 "arn:aws:logs:%s:%s:log-group:%s:log-stream:%s", req->region,
                 req->account, group, name);
        cJSON_AddStringToObject(st, "arn", arn);
        cJSON_AddNumberToObject(st, "storedBytes", 0);
        cJSON_AddItemToArray(streams, st);
        added++;
    }
    sqlite3_reset(s);
    if (more) {
        char next[32];
        snprintf(next, sizeof next, "%ld", skip + (long)added);
        cJSON_AddStringToObject(out, "nextToken", next);
    }
    return out;
}

/* ---- PutLogEvents ---- */

static cJSON *logs_op_put_log_events(aws_request *req, aws_error *err)
{
    const cJSON *b = req->body;
    const char *group = logs_str(b, "logGroupName");
    const char *stream = logs_str(b, "logStreamName");
    const cJSON *events = cJSON_GetObjectItemCaseSensitive(b, "logEvents");
    if (!group)
        return logs_missing(err, "logGroupName"), NULL;
    if (!stream)
        return logs_missing(err, "logStreamName"), NULL;
    if (!cJSON_IsArray(events))
        return logs_missing(err, "logEvents"), NULL;
    int n = cJSON_GetArraySize(events);
    if (n < 1 || n > LOGS_MAX_BATCH_EVENTS) {
        aws_fail(err, AWS_ERR_VALIDATION,
                 "1 validation error detected: Value at 'logEvents' failed to "
                 "satisfy constraint: Member must have length %s",
                 n < 1 ? "greater than or equal to 1"
                       : "less than or equal to 10000");
        return NULL;
    }
    int64_t size = 0, first = 0, prev = 0;
    int i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, events)
    {
        int64_t ts;
        const char *message = logs_str(e, "message");
        if (logs_int(e, "timestamp", &ts) <= 0) {
            char member[64];
            snprintf(member, sizeof member, "logEvents.%d.member.timestamp",
                     i + 1);
            return logs_missing(err, member), NULL;
        }
        if (!message || !message[0]) {
            aws_fail(err, AWS_ERR_VALIDATION,
                     "1 validation error detected: Value '%s' at "
                     "'logEvents.%d.member.message' failed to satisfy "
                     "constraint: Member must have length greater than or "
                     "equal to 1",
                     message ? message : "null", i + 1);
            return NULL;
        }
        if (i == 0)
            first = ts;
        else if (ts < prev) {
            aws_fail(err, AWS_ERR_LOGS_INVALID_PARAMETER,
                     "Log events in a single PutLogEvents request must be in "
                     "chronological order.");
            return NULL;
        }
        prev = ts;
        size += (int64_t)strlen(message) + LOGS_EVENT_OVERHEAD;
        i++;
    }
    if (prev - first > LOGS_MAX_SPAN_MS) {
        aws_fail(err, AWS_ERR_LOGS_INVALID_PARAMETER,
                 "The batch of log events in a single PutLogEvents request "
                 "cannot span more than 24 hours.");
        return NULL;
    }
    if (size > LOGS_MAX_BATCH_BYTES) {
        aws_fail(err, AWS_ERR_LOGS_INVALID_PARAMETER,
                 "Upload too large: %" PRId64 " bytes exceeds limit of %d",
                 size, LOGS_MAX_BATCH_BYTES);
        return NULL;
    }
    int64_t retention = 0;
    if (!logs_group_exists(req->srv, req->account, req->region, group,
                           &retention))
        return logs_group_missing(err), NULL;
    int64_t id =
        logs_stream_id(req->srv, req->account, req->region, group, stream);
    if (id < 0)
        return logs_stream_missing(err), NULL;

    /* Events too old, too new or past retention are dropped and reported;
     * the sequence token is ignored, as AWS has done since 2023. */
    int64_t now = clock_now_ms(&req->srv->clock);
    int too_old = -1, too_new = -1, expired = -1;
    i = 0;
    cJSON_ArrayForEach(e, events)
    {
        int64_t ts = 0;
        logs_int(e, "timestamp", &ts);
        const char *message = logs_str(e, "message");
        if (retention > 0 && ts < now - retention * LOGS_DAY_MS)
            expired = i;
        else if (ts < now - LOGS_MAX_AGE_MS)
            too_old = i;
        else if (ts > now + LOGS_MAX_FUTURE_MS) {
            if (too_new < 0)
                too_new = i;
        } else if (logs_event_insert(req->srv, id, ts, now, message,
                                     strlen(message)) != 0) {
            aws_fail(err, AWS_ERR_INTERNAL_SERVER_ERROR, NULL);
            return NULL;
        }
        i++;
    }
    sqlite3_stmt *s =
        store_stmt(req->srv->store,
                   "UPDATE logs_stream SET uploads = uploads + 1 WHERE id = ?1"
                   " RETURNING uploads");
    sqlite3_bind_int64(s, 1, id);
    int64_t uploads =
        sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    sqlite3_reset(s);

    cJSON *out = cJSON_CreateObject();
    char token[80];
    snprintf(token, sizeof token, "%056" PRId64, uploads + 1);
    cJSON_AddStringToObject(out, "nextSequenceToken", token);
    if (too_old >= 0 || too_new >= 0 || expired >= 0) {
        cJSON *info = cJSON_AddObjectToObject(out, "rejectedLogEventsInfo");
        if (too_new >= 0)
            cJSON_AddNumberToObject(info, "tooNewLogEventStartIndex", too_new);
        if (too_old >= 0)
            cJSON_AddNumberToObject(info, "tooOldLogEventEndIndex", too_old);
        if (expired >= 0)
            cJSON_AddNumberToObject(info, "expiredLogEventEndIndex", expired);
    }
    return out;
}

/* ---- reading events ---- */

/* Parse "<c>/<timestamp>/<id>" into its position. */
static int logs_token_parse(const char *token, char c, int64_t *ts, int64_t *id)
{
    char prefix = 0;
    long long t = 0, i = 0;
    char tail = 0;
    if (sscanf(token, "%c/%lld/%lld%c", &prefix, &t, &i, &tail) != 3 ||
        (c && prefix != c))
        return -1;
    *ts = t;
    *id = i;
    return 0;
}

static void logs_token_format(char c, int64_t ts, int64_t id, char out[64])
{
    snprintf(out, 64, "%c/%020" PRId64 "/%020" PRId64, c, ts, id);
}

static cJSON *logs_op_get_log_events(aws_request *req, aws_error *err)
{
    const cJSON *b = req->body;
    char group[600];
    if (logs_request_group(b, group, sizeof group, err) != 0)
        return NULL;
    const char *stream = logs_str(b, "logStreamName");
    const char *token = logs_str(b, "nextToken");
    if (!stream)
        return logs_missing(err, "logStreamName"), NULL;
    int64_t start = INT64_MIN, end = INT64_MAX, limit;
    if (logs_int(b, "startTime", &start) < 0 ||
        logs_int(b, "endTime", &end) < 0)
        return logs_bad_type(err, "startTime"), NULL;
    if (logs_limit(b, 10000, 10000, &limit, err) != 0)
        return NULL;
    int from_head =
        cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(b, "startFromHead"));
    int64_t pos_ts = 0, pos_id = 0;
    char direction = from_head ? 'f' : 'b';
    if (token) {
        if (logs_token_parse(token, 0, &pos_ts, &pos_id) != 0 ||
            (token[0] != 'f' && token[0] != 'b')) {
            aws_fail(err, AWS_ERR_LOGS_INVALID_PARAMETER,
                     "The specified nextToken is invalid.");
            return NULL;
        }
        direction = token[0];
    }
    if (!logs_group_exists(req->srv, req->account, req->region, group, NULL))
        return logs_group_missing(err), NULL;
    int64_t id =
        logs_stream_id(req->srv, req->account, req->region, group, stream);
    if (id < 0)
        return logs_stream_missing(err), NULL;

    /* Forward reads ascend after the position; backward reads descend
     * before it, and the page is then put back in ascending order. */
    int forward = direction == 'f';
    sqlite3_stmt *s = store_stmt(
        req->srv->store,
        forward ? "SELECT ts_ms, id, ingest_ms, message FROM logs_event"
                  " WHERE stream_id = ?1 AND ts_ms >= ?2 AND ts_ms < ?3"
                  " AND (?4 = 0 OR (ts_ms, id) > (?5, ?6))"
                  " ORDER BY ts_ms, id LIMIT ?7"
                : "SELECT ts_ms, id, ingest_ms, message FROM logs_event"
                  " WHERE stream_id = ?1 AND ts_ms >= ?2 AND ts_ms < ?3"
                  " AND (?4 = 0 OR (ts_ms, id) < (?5, ?6))"
                  " ORDER BY ts_ms DESC, id DESC LIMIT ?7");
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_int64(s, 2, start);
    sqlite3_bind_int64(s, 3, end);
    sqlite3_bind_int(s, 4, token != NULL);
    sqlite3_bind_int64(s, 5, pos_ts);
    sqlite3_bind_int64(s, 6, pos_id);
    sqlite3_bind_int64(s, 7, limit);
    cJSON *out = cJSON_CreateObject();
    cJSON *list = cJSON_AddArrayToObject(out, "events");
    int64_t first_ts = pos_ts, first_id = pos_id, last_ts = pos_ts,
            last_id = pos_id;
    int count = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
        int64_t ts = sqlite3_column_int64(s, 0),
                eid = sqlite3_column_int64(s, 1);
        cJSON *ev = cJSON_CreateObject();
        cJSON_AddNumberToObject(ev, "timestamp", (double)ts);
        cJSON_AddStringToObject(ev, "message",
                                (const char *)sqlite3_column_text(s, 3));
        cJSON_AddNumberToObject(ev, "ingestionTime",
                                (double)sqlite3_column_int64(s, 2));
        if (forward) {
            cJSON_AddItemToArray(list, ev);
            if (count == 0) {
                first_ts = ts;
                first_id = eid;
            }
            last_ts = ts;
            last_id = eid;
        } else {
            cJSON_InsertItemInArray(list, 0, ev);
            if (count == 0) {
                last_ts = ts;
                last_id = eid;
            }
            first_ts = ts;
            first_id = eid;
        }
        count++;
    }
    sqlite3_reset(s);
    char f[64], bk[64];
    if (count == 0 && !token) {
        logs_token_format('f', 0, 0, f);
        logs_token_format('b', 0, 0, bk);
    } else if (count == 0) {
        /* At the end in this direction the same token comes back, so
         * paginators stop. */
        logs_token_format('f', pos_ts, pos_id, f);
        logs_token_format('b', pos_ts, pos_id, bk);
    } else {
        logs_token_format('f', last_ts, last_id, f);
        logs_token_format('b', first_ts, first_id, bk);
    }
    cJSON_AddStringToObject(out, "nextForwardToken", f);
    cJSON_AddStringToObject(out, "nextBackwardToken", bk);
    return out;
}

static int logs_name_in(const cJSON *names, const char *name)
{
    const cJSON *n;
    cJSON_ArrayForEach(n, names)
    {
        if (cJSON_IsString(n) && strcmp(n->valuestring, name) == 0)
            return 1;
    }
    return 0;
}

static cJSON *logs_op_filter_log_events(aws_request *req, aws_error *err)
{
    const cJSON *b = req->body;
    char group[600];
    if (logs_request_group(b, group, sizeof group, err) != 0)
        return NULL;
    const cJSON *names = cJSON_GetObjectItemCaseSensitive(b, "logStreamNames");
    const char *prefix = logs_str(b, "logStreamNamePrefix");
    const char *token = logs_str(b, "nextToken");
    if (names && !cJSON_IsArray(names))
        return logs_bad_type(err, "logStreamNames"), NULL;
    if (names && prefix) {
        aws_fail(err, AWS_ERR_LOGS_INVALID_PARAMETER,
                 "logStreamNames and logStreamNamePrefix are mutually "
                 "exclusive parameters.");
        return NULL;
    }
    if (names &&
        (cJSON_GetArraySize(names) < 1 || cJSON_GetArraySize(names) > 100)) {
        aws_fail(err, AWS_ERR_VALIDATION,
                 "1 validation error detected: Value at 'logStreamNames' "
                 "failed to satisfy constraint: Member must have length "
                 "between 1 and 100");
        return NULL;
    }
    int64_t start = INT64_MIN, end = INT64_MAX, limit;
    if (logs_int(b, "startTime", &start) < 0)
        return logs_bad_type(err, "startTime"), NULL;
    if (logs_int(b, "endTime", &end) < 0)
        return logs_bad_type(err, "endTime"), NULL;
    if (logs_limit(b, 10000, 10000, &limit, err) != 0)
        return NULL;
    int64_t pos_ts = 0, pos_id = 0;
    if (token && logs_token_parse(token, 'n', &pos_ts, &pos_id) != 0) {
        aws_fail(err, AWS_ERR_LOGS_INVALID_PARAMETER,
                 "The specified nextToken is invalid.");
        return NULL;
    }
    const char *filter = logs_str(b, "filterPattern");
    if (filter && strlen(filter) > 1024) {
        aws_fail(err, AWS_ERR_VALIDATION,
                 "1 validation error detected: Value at 'filterPattern' failed "
                 "to satisfy constraint: Member must have length less than or "
                 "equal to 1024");
        return NULL;
    }
    logs_pattern *pattern = logs_pattern_parse(filter, err);
    if (!pattern)
        return NULL;
    if (!logs_group_exists(req->srv, req->account, req->region, group, NULL)) {
        logs_pattern_free(pattern);
        return logs_group_missing(err), NULL;
    }

    sqlite3_stmt *s = store_stmt(
        req->srv->store,
        "SELECT e.ts_ms, e.id, e.ingest_ms, e.message, st.name"
        " FROM logs_event e JOIN logs_stream st ON st.id = e.stream_id"
        " WHERE st.account = ?1 AND st.region = ?2 AND st.grp = ?3"
        " AND e.ts_ms >= ?4 AND e.ts_ms <= ?5"
        " AND (?6 IS NULL OR substr(st.name, 1, length(?6)) = ?6)"
        " AND (?7 = 0 OR (e.ts_ms, e.id) > (?8, ?9))"
        " ORDER BY e.ts_ms, e.id");
    sqlite3_bind_text(s, 1, req->account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, req->region, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, group, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 4, start);
    sqlite3_bind_int64(s, 5, end);
    if (prefix)
        sqlite3_bind_text(s, 6, prefix, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 7, token != NULL);
    sqlite3_bind_int64(s, 8, pos_ts);
    sqlite3_bind_int64(s, 9, pos_id);
    cJSON *out = cJSON_CreateObject();
    cJSON *list = cJSON_AddArrayToObject(out, "events");
    int64_t added = 0, last_ts = 0, last_id = 0;
    int more = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
        const char *stream = (const char *)sqlite3_column_text(s, 4);
        const char *message = (const char *)sqlite3_column_text(s, 3);
        if (names && !logs_name_in(names, stream))
            continue;
        if (!logs_pattern_match(pattern, message))
            continue;
        if (added == limit) {
            more = 1;
            break;
        }
        int64_t ts = sqlite3_column_int64(s, 0),
                id = sqlite3_column_int64(s, 1);
        cJSON *ev = cJSON_CreateObject();
        cJSON_AddStringToObject(ev, "logStreamName", stream);
        cJSON_AddNumberToObject(ev, "timestamp", (double)ts);
        cJSON_AddStringToObject(ev, "message", message);
        cJSON_AddNumberToObject(ev, "ingestionTime",
                                (double)sqlite3_column_int64(s, 2));
        char event_id[64];
        snprintf(event_id, sizeof event_id, "%056" PRId64, id);
        cJSON_AddStringToObject(ev, "eventId", event_id);
        cJSON_AddItemToArray(list, ev);
        last_ts = ts;
        last_id = id;
        added++;
    }
    sqlite3_reset(s);
    logs_pattern_free(pattern);
    cJSON_AddArrayToObject(out, "searchedLogStreams");
    if (more) {
        char next[64];
        logs_token_format('n', last_ts, last_id, next);
        cJSON_AddStringToObject(out, "nextToken", next);
    }
    return out;
}

/* ---- stack ---- */

int logs_stack_apply_log_group(stratus *srv, const char *account,
                               const char *region, const char *logical_id,
                               const cJSON *properties, aws_error *err)
{
    if (!cJSON_IsObject(properties))
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "Properties of %s must be a mapping", logical_id);
    const char *name = logs_str(properties, "LogGroupName");
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "logGroupName", name ? name : logical_id);
    aws_request req = {
        .srv = srv,
        .service = &logs_service,
        .operation = "CreateLogGroup",
        .account = account,
        .region = region,
        .access_key = "",
        .request_id = "stack",
        .body = body,
    };
    cJSON *out = NULL;
    if (logs_group_exists(srv, account, region, name ? name : logical_id, NULL))
        out = cJSON_CreateObject();
    else
        out = logs_op_create_log_group(&req, err);
    const cJSON *days =
        cJSON_GetObjectItemCaseSensitive(properties, "RetentionInDays");
    if (out && days) {
        cJSON_Delete(out);
        /* YAML may give the number as text. */
        double value = cJSON_IsNumber(days)   ? days->valuedouble
                       : cJSON_IsString(days) ? strtod(days->valuestring, NULL)
                                              : 0;
        cJSON_AddNumberToObject(body, "retentionInDays", value);
        req.operation = "PutRetentionPolicy";
        out = logs_op_put_retention_policy(&req, err);
    }
    cJSON_Delete(body);
    cJSON_Delete(out);
    return out ? 0 : -1;
}

/* ---- service ---- */

static int logs_init(stratus *srv, aws_error *err)
{
    char errbuf[512];
    if (store_migrate(srv->store, "logs", logs_schema_steps,
                      sizeof logs_schema_steps / sizeof *logs_schema_steps,
                      errbuf, sizeof errbuf) != 0)
        return aws_fail(err, AWS_ERR_INTERNAL_SERVER_ERROR, "%s", errbuf);
    return 0;
}

static const aws_operation logs_operations[] = {
    {"AssociateKmsKey", NULL},
    {"CancelExportTask", NULL},
    {"CreateExportTask", NULL},
    {"CreateLogGroup", logs_op_create_log_group},
    {"CreateLogStream", logs_op_create_log_stream},
    {"DeleteLogGroup", logs_op_delete_log_group},
    {"DeleteLogStream", logs_op_delete_log_stream},
    {"DeleteMetricFilter", NULL},
    {"DeleteResourcePolicy", NULL},
    {"DeleteRetentionPolicy", NULL},
    {"DeleteSubscriptionFilter", NULL},
    {"DescribeDestinations", NULL},
    {"DescribeExportTasks", NULL},
    {"DescribeLogGroups", logs_op_describe_log_groups},
    {"DescribeLogStreams", logs_op_describe_log_streams},
    {"DescribeMetricFilters", NULL},
    {"DescribeQueries", NULL},
    {"DescribeResourcePolicies", NULL},
    {"DescribeSubscriptionFilters", NULL},
    {"FilterLogEvents", logs_op_filter_log_events},
    {"GetLogEvents", logs_op_get_log_events},
    {"GetQueryResults", NULL},
    {"ListTagsForResource", NULL},
    {"PutLogEvents", logs_op_put_log_events},
    {"PutMetricFilter", NULL},
    {"PutResourcePolicy", NULL},
    {"PutRetentionPolicy", logs_op_put_retention_policy},
    {"PutSubscriptionFilter", NULL},
    {"StartLiveTail", NULL},
    {"StartQuery", NULL},
    {"StopQuery", NULL},
    {"TagResource", NULL},
    {"TestMetricFilter", NULL},
    {"UntagResource", NULL},
};

const aws_service logs_service = {
    .name = "logs",
    .signing_name = "logs",
    .target_prefix = "Logs_20140328",
    .error_prefix = "",
    .protocol = AWS_PROTO_JSON_1_1,
    .operations = logs_operations,
    .operation_count = sizeof logs_operations / sizeof *logs_operations,
    .init = logs_init,
};
