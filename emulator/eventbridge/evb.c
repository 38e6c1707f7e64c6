/*
 * evb.c: the EventBridge service: schema, operation table (JSON 1.1,
 * target prefix AWSEvents), the target registry, per-rule metrics and the
 * request helpers the other files share.
 *
 * Implemented: event buses, rules, targets, PutEvents with asynchronous
 * delivery through the job queue, TestEventPattern. Left out (no handler):
 * archives and replays, API destinations and connections, global
 * endpoints, partner event sources and permissions.
 */
#include "evb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cw.h"
#include "evb_internal.h"
#include "jobs.h"
#include "log.h"
#include "store.h"
#include "util.h"

static const char *const evb_schema_steps[] = {
    "CREATE TABLE evb_bus (account TEXT NOT NULL, region TEXT NOT NULL,"
    " name TEXT NOT NULL, description TEXT, policy TEXT,"
    " created_ms INTEGER NOT NULL, modified_ms INTEGER NOT NULL,"
    " PRIMARY KEY (account, region, name))",
    "CREATE TABLE evb_rule (id INTEGER PRIMARY KEY, account TEXT NOT NULL,"
    " region TEXT NOT NULL, bus TEXT NOT NULL, name TEXT NOT NULL,"
    " event_pattern TEXT, schedule TEXT, state TEXT NOT NULL,"
    " description TEXT, role_arn TEXT, created_ms INTEGER NOT NULL,"
    " UNIQUE (account, region, bus, name))",
    "CREATE TABLE evb_target (rule_id INTEGER NOT NULL"
    " REFERENCES evb_rule (id) ON DELETE CASCADE, target_id TEXT NOT NULL,"
    " seq INTEGER NOT NULL, target TEXT NOT NULL,"
    " PRIMARY KEY (rule_id, target_id))",
    "CREATE TABLE evb_metric (account TEXT NOT NULL, region TEXT NOT NULL,"
    " bus TEXT NOT NULL, rule TEXT NOT NULL, metric TEXT NOT NULL,"
    " minute_ms INTEGER NOT NULL, value INTEGER NOT NULL,"
    " PRIMARY KEY (account, region, bus, rule, metric, minute_ms))",
    "CREATE TABLE evb_tag (account TEXT NOT NULL, region TEXT NOT NULL,"
    " arn TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,"
    " PRIMARY KEY (account, region, arn, key))",
};

const char *evb__str(const cJSON *obj, const char *name)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(m) ? m->valuestring : NULL;
}

evb_state *evb__state(stratus *srv)
{
    size_t index = stratus_service_index(&evb_service);
    if (!srv->service_state[index])
        srv->service_state[index] = xcalloc(1, sizeof(evb_state));
    return srv->service_state[index];
}

int evb_target_register(stratus *srv, const char *service, evb_deliver_fn fn)
{
    evb_state *st = evb__state(srv);
    for (size_t i = 0; i < st->target_count; i++)
        if (strcmp(st->targets[i].service, service) == 0) {
            st->targets[i].fn = fn;
            return 0;
        }
    if (st->target_count == EVB_MAX_REGISTERED_TARGETS)
        return -1;
    st->targets[st->target_count].service = service;
    st->targets[st->target_count].fn = fn;
    st->target_count++;
    return 0;
}

evb_deliver_fn evb_target_find(stratus *srv, const char *service)
{
    evb_state *st = evb__state(srv);
    for (size_t i = 0; i < st->target_count; i++)
        if (strcmp(st->targets[i].service, service) == 0)
            return st->targets[i].fn;
    return NULL;
}

int evb_arn_service(const char *arn, char *out, size_t size)
{
    /* arn:<partition>:<service>:... */
    if (strncmp(arn, "arn:", 4) != 0)
        return -1;
    const char *p = strchr(arn + 4, ':');
    if (!p)
        return -1;
    const char *end = strchr(p + 1, ':');
    if (!end || end == p + 1 || (size_t)(end - p - 1) >= size)
        return -1;
    memcpy(out, p + 1, (size_t)(end - p - 1));
    out[end - p - 1] = '\0';
    return 0;
}

int evb__name_check(const char *value, const char *member, size_t max_len,
                    int allow_slash, aws_error *err)
{
    size_t len = strlen(value);
    int ok = len >= 1 && len <= max_len;
    for (size_t i = 0; ok && i < len; i++) {
        char c = value[i];
        ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
             (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_' ||
             (allow_slash && c == '/');
    }
    if (ok)
        return 0;
    if (len < 1 || len > max_len)
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "1 validation error detected: Value '%s' at '%s' "
                        "failed to satisfy constraint: Member must have "
                        "length less than or equal to %zu",
                        value, member, max_len);
    return aws_fail(err, AWS_ERR_VALIDATION,
                    "1 validation error detected: Value '%s' at '%s' failed "
                    "to satisfy constraint: Member must satisfy regular "
                    "expression pattern: [%s\\.\\-_A-Za-z0-9]+",
                    value, member, allow_slash ? "/" : "");
}

int evb__bus_member(const cJSON *body, const char *member, char *out,
                    size_t size, aws_error *err)
{
    const char *value = evb__str(body, member);
    if (!value || !value[0]) {
        snprintf(out, size, "%s", "default");
        return 0;
    }
    /* arn:aws:events:<region>:<account>:event-bus/<name> */
    const char *slash = strstr(value, ":event-bus/");
    const char *name =
        strncmp(value, "arn:", 4) == 0 && slash ? slash + 11 : value;
    char wire[64];
    snprintf(wire, sizeof wire, "%c%s", member[0] + ('a' - 'A'), member + 1);
    if (evb__name_check(name, wire, EVB_NAME_MAX, 1, err) != 0)
        return -1;
    snprintf(out, size, "%s", name);
    return 0;
}

int evb__bus_exists(stratus *srv, const char *account, const char *region,
                    const char *bus)
{
    if (strcmp(bus, "default") == 0)
        return 1;
    sqlite3_stmt *s =
        store_stmt(srv->store, "SELECT 1 FROM evb_bus WHERE account = ?1"
                               " AND region = ?2 AND name = ?3");
    sqlite3_bind_text(s, 1, account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, region, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, bus, -1, SQLITE_STATIC);
    int found = sqlite3_step(s) == SQLITE_ROW;
    sqlite3_reset(s);
    return found;
}

void evb__bus_arn(const char *account, const char *region, const char *bus,
                  char *out, size_t size)
{
    snprintf(out, size, "arn:aws:events:%s:%s:event-bus/%s", region, account,
             bus);
}

void evb__rule_arn(const char *account, const char *region, const char *bus,
                   const char *rule, char *out, size_t size)
{
    if (strcmp(bus, "default") == 0)
        snprintf(out, size, "arn:aws:events:%s:%s:rule/%s", region, account,
                 rule);
    else
        snprintf(out, size, "arn:aws:events:%s:%s:rule/%s/%s", region, account,
                 bus, rule);
}

void evb__metric_add(stratus *srv, const char *account, const char *region,
                     const char *bus, const char *rule, const char *metric,
                     int64_t delta)
{
    int64_t minute = clock_now_ms(&srv->clock) / 60000 * 60000;
    sqlite3_stmt *s =
        store_stmt(srv->store,
                   "INSERT INTO evb_metric (account, region, bus, rule, metric,"
                   " minute_ms, value) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
                   " ON CONFLICT DO UPDATE SET value = value + excluded.value");
    sqlite3_bind_text(s, 1, account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, region, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, bus, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, rule, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, metric, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 6, minute);
    sqlite3_bind_int64(s, 7, delta);
    if (sqlite3_step(s) != SQLITE_DONE)
        log_error("events", "cannot count %s for rule %s: %s", metric, rule,
                  sqlite3_errmsg(store_db(srv->store)));
    sqlite3_reset(s);

    /* AWS/Events publishes each metric by RuleName (with EventBusName on a
     * custom bus) and, except FailedInvocations, without dimensions. */
    cw_dimension dims[] = {{"RuleName", rule}, {"EventBusName", bus}};
    cw_metric_add(srv, account, region, "AWS/Events", metric, dims,
                  strcmp(bus, "default") == 0 ? 1 : 2, (double)delta, "Count");
    if (strcmp(metric, EVB_METRIC_FAILED) != 0)
        cw_metric_add(srv, account, region, "AWS/Events", metric, NULL, 0,
                      (double)delta, "Count");
}

int64_t evb__metric_total(stratus *srv, const char *account, const char *region,
                          const char *bus, const char *rule, const char *metric)
{
    sqlite3_stmt *s = store_stmt(
        srv->store, "SELECT coalesce(sum(value), 0) FROM evb_metric WHERE"
                    " account = ?1 AND region = ?2 AND bus = ?3 AND"
                    " rule = ?4 AND metric = ?5");
    sqlite3_bind_text(s, 1, account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, region, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, bus, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, rule, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, metric, -1, SQLITE_STATIC);
    int64_t total =
        sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    sqlite3_reset(s);
    return total;
}

int64_t evb_rule_metric_sum(stratus *srv, const char *account,
                            const char *region, const char *bus,
                            const char *rule, const char *metric,
                            int64_t from_ms, int64_t to_ms)
{
    sqlite3_stmt *s = store_stmt(
        srv->store, "SELECT coalesce(sum(value), 0) FROM evb_metric WHERE"
                    " account = ?1 AND region = ?2 AND bus = ?3 AND"
                    " rule = ?4 AND metric = ?5 AND minute_ms >= ?6 AND"
                    " minute_ms < ?7");
    sqlite3_bind_text(s, 1, account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, region, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, bus, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, rule, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, metric, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 6, from_ms);
    sqlite3_bind_int64(s, 7, to_ms);
    int64_t total =
        sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    sqlite3_reset(s);
    return total;
}

static int evb_init(stratus *srv, aws_error *err)
{
    char errbuf[512];
    if (store_migrate(srv->store, "events", evb_schema_steps,
                      sizeof evb_schema_steps / sizeof *evb_schema_steps,
                      errbuf, sizeof errbuf) != 0)
        return aws_fail(err, AWS_ERR_INTERNAL_SERVER_ERROR, "%s", errbuf);
    evb__state(srv);
    jobs_register(srv->jobs, EVB_DELIVER_JOB, evb__deliver_job);
    jobs_register(srv->jobs, EVB_SCHEDULE_JOB, evb__schedule_job);
    if (evb__register_builtin_targets(srv) != 0)
        return aws_fail(err, AWS_ERR_INTERNAL_SERVER_ERROR,
                        "the EventBridge target registry is full");
    return 0;
}

static void evb_cleanup(stratus *srv)
{
    size_t index = stratus_service_index(&evb_service);
    free(srv->service_state[index]);
    srv->service_state[index] = NULL;
}

static const aws_operation evb_operations[] = {
    {"ActivateEventSource", NULL},
    {"CancelReplay", NULL},
    {"CreateApiDestination", NULL},
    {"CreateArchive", NULL},
    {"CreateConnection", NULL},
    {"CreateEndpoint", NULL},
    {"CreateEventBus", evb_op_create_event_bus},
    {"CreatePartnerEventSource", NULL},
    {"DeactivateEventSource", NULL},
    {"DeauthorizeConnection", NULL},
    {"DeleteApiDestination", NULL},
    {"DeleteArchive", NULL},
    {"DeleteConnection", NULL},
    {"DeleteEndpoint", NULL},
    {"DeleteEventBus", evb_op_delete_event_bus},
    {"DeletePartnerEventSource", NULL},
    {"DeleteRule", evb_op_delete_rule},
    {"DescribeApiDestination", NULL},
    {"DescribeArchive", NULL},
    {"DescribeConnection", NULL},
    {"DescribeEndpoint", NULL},
    {"DescribeEventBus", evb_op_describe_event_bus},
    {"DescribeEventSource", NULL},
    {"DescribePartnerEventSource", NULL},
    {"DescribeReplay", NULL},
    {"DescribeRule", evb_op_describe_rule},
    {"DisableRule", evb_op_disable_rule},
    {"EnableRule", evb_op_enable_rule},
    {"ListApiDestinations", NULL},
    {"ListArchives", NULL},
    {"ListConnections", NULL},
    {"ListEndpoints", NULL},
    {"ListEventBuses", evb_op_list_event_buses},
    {"ListEventSources", NULL},
    {"ListPartnerEventSourceAccounts", NULL},
    {"ListPartnerEventSources", NULL},
    {"ListReplays", NULL},
    {"ListRuleNamesByTarget", evb_op_list_rule_names_by_target},
    {"ListRules", evb_op_list_rules},
    {"ListTagsForResource", evb_op_list_tags_for_resource},
    {"ListTargetsByRule", evb_op_list_targets_by_rule},
    {"PutEvents", evb_op_put_events},
    {"PutPartnerEvents", NULL},
    {"PutPermission", NULL},
    {"PutRule", evb_op_put_rule},
    {"PutTargets", evb_op_put_targets},
    {"RemovePermission", NULL},
    {"RemoveTargets", evb_op_remove_targets},
    {"StartReplay", NULL},
    {"TagResource", evb_op_tag_resource},
    {"TestEventPattern", evb_op_test_event_pattern},
    {"UntagResource", evb_op_untag_resource},
    {"UpdateApiDestination", NULL},
    {"UpdateArchive", NULL},
    {"UpdateConnection", NULL},
    {"UpdateEndpoint", NULL},
    {"UpdateEventBus", NULL},
};

const aws_service evb_service = {
    .name = "events",
    .signing_name = "events",
    .target_prefix = "AWSEvents",
    .error_prefix = "",
    .protocol = AWS_PROTO_JSON_1_1,
    .operations = evb_operations,
    .operation_count = sizeof evb_operations / sizeof *evb_operations,
    .init = evb_init,
    .cleanup = evb_cleanup,
    .resource_arn = evb__resource_arn,
};
