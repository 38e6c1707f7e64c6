/*
 * evb_rule.c: PutRule, DescribeRule, ListRules, EnableRule, DisableRule
 * and DeleteRule. Every rule operation addresses one event bus, "default"
 * unless EventBusName names another, so a rule on a custom bus is not
 * found without it.
 *
 * Schedule expressions are checked and stored, and enabled scheduled
 * rules run (evb_schedule.c). Left out: managed rules (ManagedBy) and
 * RoleArn checks.
 */
#include "evb_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evb_pattern.h"
#include "log.h"
#include "store.h"
#include "util.h"

#define EVB_RULE_NAME_MAX 64

static char *evb_dup_column(sqlite3_stmt *s, int i)
{
    return sqlite3_column_type(s, i) == SQLITE_NULL
               ? NULL
               : xstrdup((const char *)sqlite3_column_text(s, i));
}

evb_rule *evb__rule_load(stratus *srv, const char *account, const char *region,
                         const char *bus, const char *name)
{
    sqlite3_stmt *s = store_stmt(
        srv->store, "SELECT id, event_pattern, schedule, state, description,"
                    " role_arn FROM evb_rule WHERE account = ?1 AND"
                    " region = ?2 AND bus = ?3 AND name = ?4");
    sqlite3_bind_text(s, 1, account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, region, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, bus, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, name, -1, SQLITE_STATIC);
    evb_rule *rule = NULL;
    if (sqlite3_step(s) == SQLITE_ROW) {
        rule = xcalloc(1, sizeof *rule);
        rule->id = sqlite3_column_int64(s, 0);
        rule->bus = xstrdup(bus);
        rule->name = xstrdup(name);
        rule->event_pattern = evb_dup_column(s, 1);
        rule->schedule = evb_dup_column(s, 2);
        rule->state = evb_dup_column(s, 3);
        rule->description = evb_dup_column(s, 4);
        rule->role_arn = evb_dup_column(s, 5);
        evb__rule_arn(account, region, bus, name, rule->arn, sizeof rule->arn);
    }
    sqlite3_reset(s);
    return rule;
}

void evb__rule_free(evb_rule *rule)
{
    if (!rule)
        return;
    free(rule->bus);
    free(rule->name);
    free(rule->event_pattern);
    free(rule->schedule);
    free(rule->state);
    free(rule->description);
    free(rule->role_arn);
    free(rule);
}

/* Read the Name and EventBusName members of a rule request. */
static int evb_rule_members(aws_request *req, const char *name_member,
                            char *bus, size_t bus_size, const char **name,
                            aws_error *err)
{
    *name = evb__str(req->body, name_member);
    if (!*name)
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "1 validation error detected: Value null at '%s' "
                        "failed to satisfy constraint: Member must not be "
                        "null",
                        strcmp(name_member, "Rule") == 0 ? "rule" : "name");
    if (evb__name_check(*name,
                        strcmp(name_member, "Rule") == 0 ? "rule" : "name",
                        EVB_RULE_NAME_MAX, 0, err) != 0)
        return -1;
    return evb__bus_member(req->body, "EventBusName", bus, bus_size, err);
}

/* Load the rule a request names, failing as AWS does when it is missing. */
evb_rule *evb__rule_open(aws_request *req, const char *name_member,
                         aws_error *err)
{
    char bus[EVB_NAME_MAX + 1];
    const char *name = NULL;
    if (evb_rule_members(req, name_member, bus, sizeof bus, &name, err) != 0)
        return NULL;
    evb_rule *rule =
        evb__rule_load(req->srv, req->account, req->region, bus, name);
    if (!rule)
        aws_fail(err, AWS_ERR_RESOURCE_NOT_FOUND,
                 "Rule %s does not exist on EventBus %s.", name, bus);
    return rule;
}

/* Check "rate(5 minutes)" and "cron(0 12 * * ? *)" in outline. */
static int evb_schedule_is_valid(const char *text)
{
    size_t len = strlen(text);
    if (len < 7 || text[len - 1] != ')')
        return 0;
    if (strncmp(text, "rate(", 5) == 0) {
        char unit[16] = "";
        long value = 0;
        char tail = 0;
        if (sscanf(text + 5, "%ld %15[a-z]%c", &value, unit, &tail) != 3 ||
            tail != ')' || value < 1)
            return 0;
        const char *singular = value == 1 ? "" : "s";
        char expected[16];
        const char *units[] = {"minute", "hour", "day"};
        for (size_t i = 0; i < 3; i++) {
            snprintf(expected, sizeof expected, "%s%s", units[i], singular);
            if (strcmp(unit, expected) == 0)
                return 1;
        }
        return 0;
    }
    if (strncmp(text, "cron(", 5) == 0) {
        int fields = 0, in_field = 0;
        for (size_t i = 5; i < len - 1; i++) {
            if (text[i] == ' ') {
                in_field = 0;
            } else if (!in_field) {
                in_field = 1;
                fields++;
            }
        }
        return fields == 6;
    }
    return 0;
}

static const char *const evb_rule_states[] = {
    "ENABLED", "DISABLED", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS",
    NULL};

cJSON *evb_op_put_rule(aws_request *req, aws_error *err)
{
    char bus[EVB_NAME_MAX + 1];
    const char *name = NULL;
    if (evb_rule_members(req, "Name", bus, sizeof bus, &name, err) != 0)
        return NULL;
    const char *pattern = evb__str(req->body, "EventPattern");
    const char *schedule = evb__str(req->body, "ScheduleExpression");
    const char *state = evb__str(req->body, "State");
    const char *description = evb__str(req->body, "Description");
    const char *role_arn = evb__str(req->body, "RoleArn");

    if (!evb__bus_exists(req->srv, req->account, req->region, bus))
        return aws_fail(err, AWS_ERR_RESOURCE_NOT_FOUND,
                        "Event bus %s does not exist.", bus),
               NULL;
    if (state) {
        int known = 0;
        for (size_t i = 0; evb_rule_states[i]; i++)
            known |= strcmp(state, evb_rule_states[i]) == 0;
        if (!known)
            return aws_fail(err, AWS_ERR_VALIDATION,
                            "1 validation error detected: Value '%s' at "
                            "'state' failed to satisfy constraint: Member "
                            "must satisfy enum value set: [ENABLED, "
                            "DISABLED, "
                            "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS]",
                            state),
                   NULL;
    }
    if (!pattern && !schedule)
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "Parameter(s) EventPattern or ScheduleExpression "
                        "must be specified."),
               NULL;
    if (pattern) {
        evb_pattern_error perr;
        memset(&perr, 0, sizeof perr);
        evb_pattern *compiled =
            evb_pattern_compile(pattern, strlen(pattern), &perr);
        if (!compiled)
            return aws_fail(err, AWS_ERR_INVALID_EVENT_PATTERN, "%s",
                            perr.message),
                   NULL;
        evb_pattern_destroy(compiled);
    }
    if (schedule) {
        if (!evb_schedule_is_valid(schedule))
            return aws_fail(err, AWS_ERR_VALIDATION,
                            "Parameter ScheduleExpression is not valid."),
                   NULL;
        if (strcmp(bus, "default") != 0)
            return aws_fail(err, AWS_ERR_VALIDATION,
                            "ScheduleExpression is supported only on the "
                            "default event bus."),
                   NULL;
    }

    /* PutRule replaces every setting of an existing rule. */
    sqlite3_stmt *s = store_stmt(
        req->srv->store,
        "INSERT INTO evb_rule (account, region, bus, name, event_pattern,"
        " schedule, state, description, role_arn, created_ms) VALUES (?1,"
        " ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT (account,"
        " region, bus, name) DO UPDATE SET event_pattern = ?5,"
        " schedule = ?6, state = ?7, description = ?8, role_arn = ?9");
    sqlite3_bind_text(s, 1, req->account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, req->region, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, bus, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, name, -1, SQLITE_STATIC);
    if (pattern)
        sqlite3_bind_text(s, 5, pattern, -1, SQLITE_STATIC);
    if (schedule)
        sqlite3_bind_text(s, 6, schedule, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 7, state ? state : "ENABLED", -1, SQLITE_STATIC);
    if (description)
        sqlite3_bind_text(s, 8, description, -1, SQLITE_STATIC);
    if (role_arn)
        sqlite3_bind_text(s, 9, role_arn, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 10, clock_now_ms(&req->srv->clock));
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) {
        log_error("events", "cannot store rule %s: %s", name,
                  sqlite3_errmsg(store_db(req->srv->store)));
        return aws_fail(err, AWS_ERR_INTERNAL_SERVER_ERROR, NULL), NULL;
    }

    char arn[512];
    evb__rule_arn(req->account, req->region, bus, name, arn, sizeof arn);
    log_at(LOG_DEBUG, "events", req->request_id, "rule %s stored", arn);
    const cJSON *tags = cJSON_GetObjectItemCaseSensitive(req->body, "Tags");
    if (tags &&
        evb__tags_put(req->srv, req->account, req->region, arn, tags, err) != 0)
        return NULL;
    if (schedule) {
        evb_rule *rule =
            evb__rule_load(req->srv, req->account, req->region, bus, name);
        if (rule)
            evb__schedule_start(req->srv, req->account, req->region, rule);
        evb__rule_free(rule);
    }
    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "RuleArn", arn);
    return out;
}

/* The members of a rule as DescribeRule and ListRules return them. */
static cJSON *evb_rule_describe(const evb_rule *rule)
{
    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "Name", rule->name);
    cJSON_AddStringToObject(out, "Arn", rule->arn);
    if (rule->event_pattern)
        cJSON_AddStringToObject(out, "EventPattern", rule->event_pattern);
    if (rule->schedule)
        cJSON_AddStringToObject(out, "ScheduleExpression", rule->schedule);
    cJSON_AddStringToObject(out, "State", rule->state);
    if (rule->description)
        cJSON_AddStringToObject(out, "Description", rule->description);
    if (rule->role_arn)
        cJSON_AddStringToObject(out, "RoleArn", rule->role_arn);
    cJSON_AddStringToObject(out, "EventBusName", rule->bus);
    return out;
}

cJSON *evb_op_describe_rule(aws_request *req, aws_error *err)
{
    evb_rule *rule = evb__rule_open(req, "Name", err);
    if (!rule)
        return NULL;
    cJSON *out = evb_rule_describe(rule);
    cJSON_AddStringToObject(out, "CreatedBy", req->account);
    evb__rule_free(rule);
    return out;
}

cJSON *evb_op_list_rules(aws_request *req, aws_error *err)
{
    char bus[EVB_NAME_MAX + 1];
    if (evb__bus_member(req->body, "EventBusName", bus, sizeof bus, err) != 0)
        return NULL;
    if (!evb__bus_exists(req->srv, req->account, req->region, bus))
        return aws_fail(err, AWS_ERR_RESOURCE_NOT_FOUND,
                        "Event bus %s does not exist.", bus),
               NULL;
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

    sqlite3_stmt *s = store_stmt(
        req->srv->store,
        "SELECT name FROM evb_rule WHERE account = ?1 AND region = ?2 AND"
        " bus = ?3 AND substr(name, 1, length(?4)) = ?4 AND name > ?5"
        " ORDER BY name LIMIT ?6");
    sqlite3_bind_text(s, 1, req->account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, req->region, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, bus, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, prefix ? prefix : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, token ? token : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 6, limit + 1);
    cJSON *names = cJSON_CreateArray();
    while (sqlite3_step(s) == SQLITE_ROW)
        cJSON_AddItemToArray(
            names, cJSON_CreateString((const char *)sqlite3_column_text(s, 0)));
    sqlite3_reset(s);

    cJSON *out = cJSON_CreateObject();
    cJSON *rules = cJSON_AddArrayToObject(out, "Rules");
    long n = 0;
    const cJSON *name;
    cJSON_ArrayForEach(name, names)
    {
        if (n == limit) {
            cJSON_AddStringToObject(
                out, "NextToken",
                cJSON_GetArrayItem(names, (int)n - 1)->valuestring);
            break;
        }
        evb_rule *rule = evb__rule_load(req->srv, req->account, req->region,
                                        bus, name->valuestring);
        if (rule)
            cJSON_AddItemToArray(rules, evb_rule_describe(rule));
        evb__rule_free(rule);
        n++;
    }
    cJSON_Delete(names);
    return out;
}

static cJSON *evb_rule_set_state(aws_request *req, const char *state,
                                 aws_error *err)
{
    evb_rule *rule = evb__rule_open(req, "Name", err);
    if (!rule)
        return NULL;
    sqlite3_stmt *s = store_stmt(
        req->srv->store, "UPDATE evb_rule SET state = ?2 WHERE id = ?1");
    sqlite3_bind_int64(s, 1, rule->id);
    sqlite3_bind_text(s, 2, state, -1, SQLITE_STATIC);
    sqlite3_step(s);
    sqlite3_reset(s);
    log_at(LOG_DEBUG, "events", req->request_id, "rule %s is now %s", rule->arn,
           state);
    free(rule->state);
    rule->state = xstrdup(state);
    evb__schedule_start(req->srv, req->account, req->region, rule);
    evb__rule_free(rule);
    return cJSON_CreateObject();
}

cJSON *evb_op_enable_rule(aws_request *req, aws_error *err)
{
    return evb_rule_set_state(req, "ENABLED", err);
}

cJSON *evb_op_disable_rule(aws_request *req, aws_error *err)
{
    return evb_rule_set_state(req, "DISABLED", err);
}

cJSON *evb_op_delete_rule(aws_request *req, aws_error *err)
{
    char bus[EVB_NAME_MAX + 1];
    const char *name = NULL;
    if (evb_rule_members(req, "Name", bus, sizeof bus, &name, err) != 0)
        return NULL;
    evb_rule *rule =
        evb__rule_load(req->srv, req->account, req->region, bus, name);
    if (!rule)
        return cJSON_CreateObject(); /* deleting a missing rule succeeds */

    sqlite3_stmt *s =
        store_stmt(req->srv->store, "SELECT count(*) FROM evb_target WHERE"
                                    " rule_id = ?1");
    sqlite3_bind_int64(s, 1, rule->id);
    int64_t targets =
        sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    sqlite3_reset(s);
    if (targets > 0) {
        evb__rule_free(rule);
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "Rule can't be deleted since it has targets."),
               NULL;
    }
    s = store_stmt(req->srv->store, "DELETE FROM evb_rule WHERE id = ?1");
    sqlite3_bind_int64(s, 1, rule->id);
    sqlite3_step(s);
    sqlite3_reset(s);
    evb__tags_delete(req->srv, req->account, req->region, rule->arn);
    evb__rule_free(rule);
    return cJSON_CreateObject();
}
