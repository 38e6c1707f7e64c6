/*
 * evb_schedule.c: rules with a ScheduleExpression. Each enabled rule with
 * a rate() or cron() schedule has one pending schedule job. When it runs,
 * it sends the rule's targets a "Scheduled Event" (source aws.events, the
 * rule ARN as its resource) and runs again at the schedule's next time.
 * Times follow the instance clock, so a virtual clock can advance through
 * many runs at once.
 *
 * A rate() rule first runs one period after it is created or enabled, a
 * cron() rule at its next matching minute (evb_cron.c). A job whose rule
 * was deleted or disabled ends without sending.
 */
#include "evb_internal.h"

#include <stdio.h>
#include <string.h>

#include "jobs.h"
#include "log.h"
#include "util.h"

int64_t evb__rate_ms(const char *expression)
{
    long value = 0;
    char unit[16] = "";
    char tail = 0;
    if (!expression || strncmp(expression, "rate(", 5) != 0 ||
        sscanf(expression + 5, "%ld %15[a-z]%c", &value, unit, &tail) != 3 ||
        tail != ')' || value < 1)
        return 0;
    int64_t unit_ms = 0;
    if (strncmp(unit, "minute", 6) == 0)
        unit_ms = 60000;
    else if (strncmp(unit, "hour", 4) == 0)
        unit_ms = 3600000;
    else if (strncmp(unit, "day", 3) == 0)
        unit_ms = 86400000;
    return unit_ms * value;
}

int64_t evb__schedule_next(const char *expression, int64_t now_ms)
{
    if (!expression)
        return -1;
    int64_t period = evb__rate_ms(expression);
    if (period > 0)
        return now_ms + period;
    return evb__cron_next(expression, now_ms);
}

void evb__schedule_start(stratus *srv, const char *account, const char *region,
                         const evb_rule *rule)
{
    if (!rule->schedule || strcmp(rule->state, "DISABLED") == 0)
        return;
    int64_t next =
        evb__schedule_next(rule->schedule, clock_now_ms(&srv->clock));
    if (next < 0) {
        log_info("events",
                 "rule %s: schedule %s is stored but Stratus cannot run it",
                 rule->arn, rule->schedule);
        return;
    }
    cJSON *payload = cJSON_CreateObject();
    cJSON_AddStringToObject(payload, "bus", rule->bus);
    cJSON_AddStringToObject(payload, "rule", rule->name);
    if (jobs_schedule(srv->jobs, EVB_SCHEDULE_JOB, account, region, next,
                      payload, rule->arn) != 0)
        log_error("events", "cannot schedule rule %s", rule->arn);
    cJSON_Delete(payload);
}

int64_t evb__schedule_job(stratus *srv, const char *account, const char *region,
                          const cJSON *payload)
{
    const char *bus = evb__str(payload, "bus");
    const char *name = evb__str(payload, "rule");
    evb_rule *rule =
        bus && name ? evb__rule_load(srv, account, region, bus, name) : NULL;
    int64_t now = clock_now_ms(&srv->clock);
    int64_t next = rule ? evb__schedule_next(rule->schedule, now) : -1;
    if (!rule || next < 0 || strcmp(rule->state, "DISABLED") == 0) {
        log_debug("events", "schedule of rule %s/%s ended", bus ? bus : "?",
                  name ? name : "?");
        evb__rule_free(rule);
        return 0;
    }

    char id[37], time_text[32];
    util_uuid4(id);
    clock_format_iso(now / 1000 * 1000, time_text);
    char *dot = strchr(time_text, '.');
    if (dot)
        snprintf(dot, sizeof time_text - (size_t)(dot - time_text), "Z");
    cJSON *event = cJSON_CreateObject();
    cJSON_AddStringToObject(event, "version", "0");
    cJSON_AddStringToObject(event, "id", id);
    cJSON_AddStringToObject(event, "detail-type", "Scheduled Event");
    cJSON_AddStringToObject(event, "source", "aws.events");
    cJSON_AddStringToObject(event, "account", account);
    cJSON_AddStringToObject(event, "time", time_text);
    cJSON_AddStringToObject(event, "region", region);
    cJSON_AddItemToArray(cJSON_AddArrayToObject(event, "resources"),
                         cJSON_CreateString(rule->arn));
    cJSON_AddObjectToObject(event, "detail");
    log_debug("events", "rule %s sends scheduled event %s", rule->arn, id);
    evb__rule_fire(srv, account, region, bus, rule->id, rule->name, event);
    cJSON_Delete(event);
    evb__rule_free(rule);
    return next - now;
}
