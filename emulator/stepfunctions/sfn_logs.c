/*
 * sfn_logs.c: execution history events written to CloudWatch Logs when a
 * state machine's loggingConfiguration requests them (level ALL, ERROR or
 * FATAL, and a log group destination), in the JSON form Step Functions
 * writes: id, type, details, previous_event_id, event_timestamp and
 * execution_arn. Without includeExecutionData the input and output are
 * left out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "logs.h"
#include "sfn_internal.h"
#include "store.h"
#include "util.h"

/* Whether an event of `type` is logged at `level`. */
static int sfn_log_level_includes(const char *level, const char *type)
{
    if (strcmp(level, "ALL") == 0)
        return 1;
    int execution_end = strcmp(type, "ExecutionFailed") == 0 ||
                        strcmp(type, "ExecutionAborted") == 0 ||
                        strcmp(type, "ExecutionTimedOut") == 0;
    if (strcmp(level, "FATAL") == 0)
        return execution_end;
    if (strcmp(level, "ERROR") == 0) {
        size_t n = strlen(type);
        return execution_end ||
               (n > 6 && strcmp(type + n - 6, "Failed") == 0) ||
               (n > 8 && strcmp(type + n - 8, "TimedOut") == 0);
    }
    return 0;
}

/* The log group name of a destination ARN
 * "arn:aws:logs:<region>:<account>:log-group:<name>:*". */
static int sfn_log_group(const cJSON *logging, char *out, size_t size)
{
    const cJSON *d = cJSON_GetArrayItem(
        cJSON_GetObjectItemCaseSensitive(logging, "destinations"), 0);
    const char *arn = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(d, "cloudWatchLogsLogGroup"),
        "logGroupArn"));
    const char *g = arn ? strstr(arn, ":log-group:") : NULL;
    if (!g)
        return -1;
    g += 11;
    size_t len = strcspn(g, ":");
    snprintf(out, size, "%.*s", (int)len, g);
    return len ? 0 : -1;
}

void sfn__event_log(stratus *srv, const char *exec_arn, int64_t id,
                    const char *type, int64_t previous_id, const char *details)
{
    sqlite3_stmt *s = store_stmt(
        srv->store,
        "SELECT m.logging, e.account, e.region, m.name, e.start_ms"
        " FROM sfn_executions e JOIN sfn_machines m ON m.arn = e.machine_arn"
        " WHERE e.arn = ?1");
    sqlite3_bind_text(s, 1, exec_arn, -1, SQLITE_STATIC);
    if (sqlite3_step(s) != SQLITE_ROW ||
        sqlite3_column_type(s, 0) == SQLITE_NULL) {
        sqlite3_reset(s);
        return;
    }
    cJSON *logging = cJSON_Parse((const char *)sqlite3_column_text(s, 0));
    char *account = xstrdup((const char *)sqlite3_column_text(s, 1));
    char *region = xstrdup((const char *)sqlite3_column_text(s, 2));
    char *machine = xstrdup((const char *)sqlite3_column_text(s, 3));
    int64_t start_ms = sqlite3_column_int64(s, 4);
    sqlite3_reset(s);

    const char *level = cJSON_GetStringValue(
        cJSON_GetObjectItemCaseSensitive(logging, "level"));
    char group[600];
    if (level && sfn_log_level_includes(level, type) &&
        sfn_log_group(logging, group, sizeof group) == 0) {
        int with_data = cJSON_IsTrue(
            cJSON_GetObjectItemCaseSensitive(logging, "includeExecutionData"));
        cJSON *event = cJSON_CreateObject();
        char text[32];
        snprintf(text, sizeof text, "%lld", (long long)id);
        cJSON_AddStringToObject(event, "id", text);
        cJSON_AddStringToObject(event, "type", type);
        cJSON *parsed = details ? cJSON_Parse(details) : NULL;
        if (!with_data && parsed) {
            cJSON_DeleteItemFromObjectCaseSensitive(parsed, "input");
            cJSON_DeleteItemFromObjectCaseSensitive(parsed, "output");
        }
        cJSON_AddItemToObject(event, "details",
                              parsed ? parsed : cJSON_CreateObject());
        snprintf(text, sizeof text, "%lld", (long long)previous_id);
        cJSON_AddStringToObject(event, "previous_event_id", text);
        int64_t now = clock_now_ms(&srv->clock);
        snprintf(text, sizeof text, "%lld", (long long)now);
        cJSON_AddStringToObject(event, "event_timestamp", text);
        cJSON_AddStringToObject(event, "execution_arn", exec_arn);
        char *line = cJSON_PrintUnformatted(event);
        cJSON_Delete(event);

        /* One stream per execution: states/<machine>/<start minute>/<id>,
         * the id being a hash of the execution ARN. */
        char iso[32], stream[700];
        clock_format_iso(start_ms, iso);
        unsigned long hash = 5381;
        for (const char *p = exec_arn; *p; p++)
            hash = hash * 33 + (unsigned char)*p;
        snprintf(stream, sizeof stream, "states/%s/%.10s-%.2s-%.2s/%08lx",
                 machine, iso, iso + 11, iso + 14, hash & 0xffffffffUL);
        logs_append(srv, account, region, group, stream, now, line,
                    strlen(line));
        free(line);
    }
    cJSON_Delete(logging);
    free(account);
    free(region);
    free(machine);
}
