/*
 * evb_events.c: PutEvents, TestEventPattern, and the ingestion of an event
 * into a bus: matching it against the bus's enabled rules and scheduling
 * one delivery job per target of each matching rule.
 *
 * PutEvents returns once the events are stored with their delivery jobs,
 * so rule matching is synchronous but delivery is not, and delivery
 * failures never reach the producer (only metrics and dead-letter
 * queues), as on AWS. Left out: EndpointId (global endpoints) and
 * TraceHeader propagation.
 */
#include "evb_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evb_index.h"
#include "evb_pattern.h"
#include "jobs.h"
#include "log.h"
#include "store.h"
#include "util.h"

typedef struct evb_loaded_rule {
    int64_t id;
    char *name;
    evb_pattern *pattern;
    int matched;
} evb_loaded_rule;

static void evb_on_match(void *rule, void *arg)
{
    (void)arg;
    ((evb_loaded_rule *)rule)->matched = 1;
}

void evb__rule_fire(stratus *srv, const char *account, const char *region,
                    const char *bus, int64_t rule_id, const char *rule_name,
                    const cJSON *event)
{
    char rule_arn[512];
    evb__rule_arn(account, region, bus, rule_name, rule_arn, sizeof rule_arn);
    const char *event_id =
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(event, "id"));
    evb__metric_add(srv, account, region, bus, rule_name, EVB_METRIC_MATCHED,
                    1);
    log_debug("events", "event %s matched rule %s", event_id, rule_arn);

    sqlite3_stmt *s =
        store_stmt(srv->store, "SELECT target FROM evb_target WHERE"
                               " rule_id = ?1 ORDER BY seq");
    sqlite3_bind_int64(s, 1, rule_id);
    cJSON *targets = cJSON_CreateArray();
    while (sqlite3_step(s) == SQLITE_ROW) {
        cJSON *t = cJSON_Parse((const char *)sqlite3_column_text(s, 0));
        if (t)
            cJSON_AddItemToArray(targets, t);
    }
    sqlite3_reset(s);
    if (cJSON_GetArraySize(targets) > 0)
        evb__metric_add(srv, account, region, bus, rule_name,
                        EVB_METRIC_TRIGGERED, 1);

    int64_t now = clock_now_ms(&srv->clock);
    const cJSON *t;
    cJSON_ArrayForEach(t, targets)
    {
        cJSON *job = cJSON_CreateObject();
        cJSON_AddStringToObject(job, "bus", bus);
        cJSON_AddStringToObject(job, "rule", rule_name);
        cJSON_AddStringToObject(job, "rule_arn", rule_arn);
        cJSON_AddItemToObject(job, "target", cJSON_Duplicate(t, 1));
        cJSON_AddItemToObject(job, "event", cJSON_Duplicate(event, 1));
        cJSON_AddNumberToObject(job, "attempt", 0);
        cJSON_AddNumberToObject(job, "ingested_ms", (double)now);
        if (jobs_schedule(srv->jobs, EVB_DELIVER_JOB, account, region, now, job,
                          NULL) != 0)
            log_error("events", "cannot schedule delivery of event %s to %s",
                      event_id,
                      cJSON_GetStringValue(
                          cJSON_GetObjectItemCaseSensitive(t, "Arn")));
        else
            log_debug("events", "event %s queued for target %s of %s", event_id,
                      evb__str(t, "Id"), rule_arn);
        cJSON_Delete(job);
    }
    cJSON_Delete(targets);
}

int evb__ingest(stratus *srv, const char *account, const char *region,
                const char *bus, const cJSON *event)
{
    sqlite3_stmt *s = store_stmt(
        srv->store, "SELECT id, name, event_pattern FROM evb_rule WHERE"
                    " account = ?1 AND region = ?2 AND bus = ?3 AND"
                    " state <> 'DISABLED' AND event_pattern IS NOT NULL"
                    " ORDER BY id");
    sqlite3_bind_text(s, 1, account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, region, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, bus, -1, SQLITE_STATIC);
    size_t count = 0, cap = 8;
    evb_loaded_rule *rules = xcalloc(cap, sizeof *rules);
    evb_index *index = evb_index_create();
    while (sqlite3_step(s) == SQLITE_ROW) {
        const char *text = (const char *)sqlite3_column_text(s, 2);
        evb_pattern_error perr;
        memset(&perr, 0, sizeof perr);
        evb_pattern *pattern = evb_pattern_compile(text, strlen(text), &perr);
        if (!pattern) {
            log_error("events",
                      "stored pattern of rule %s no longer "
                      "compiles: %s",
                      (const char *)sqlite3_column_text(s, 1), perr.message);
            continue;
        }
        if (count == cap) {
            cap *= 2;
            rules = xrealloc(rules, cap * sizeof *rules);
        }
        rules[count].id = sqlite3_column_int64(s, 0);
        rules[count].name = xstrdup((const char *)sqlite3_column_text(s, 1));
        rules[count].pattern = pattern;
        rules[count].matched = 0;
        count++;
    }
    sqlite3_reset(s);

    /* The index keeps pointers into `rules`, so add them only now that the
     * array no longer moves. */
    for (size_t i = 0; i < count; i++)
        evb_index_add(index, rules[i].pattern, &rules[i]);
    evb_event *flat = evb_event_create(event);
    evb_index_match(index, flat, evb_on_match, NULL);
    evb_event_destroy(flat);
    evb_index_destroy(index);

    int matched = 0;
    for (size_t i = 0; i < count; i++) {
        if (rules[i].matched) {
            evb__rule_fire(srv, account, region, bus, rules[i].id,
                           rules[i].name, event);
            matched++;
        }
        evb_pattern_destroy(rules[i].pattern);
        free(rules[i].name);
    }
    free(rules);
    return matched;
}

/* The size of an entry as AWS counts it: Time as 14 bytes, Source,
 * DetailType, Detail and each Resources string as UTF-8 bytes. */
static size_t evb_entry_size(const cJSON *entry)
{
    size_t size = cJSON_GetObjectItemCaseSensitive(entry, "Time") ? 14 : 0;
    static const char *const members[] = {"Source", "DetailType", "Detail"};
    for (size_t i = 0; i < 3; i++) {
        const char *v = evb__str(entry, members[i]);
        size += v ? strlen(v) : 0;
    }
    const cJSON *r;
    cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(entry, "Resources"))
    {
        if (cJSON_IsString(r))
            size += strlen(r->valuestring);
    }
    return size;
}

static void evb_entry_fail(cJSON *result, const char *code, const char *message)
{
    cJSON_AddStringToObject(result, "ErrorCode", code);
    cJSON_AddStringToObject(result, "ErrorMessage", message);
}

/*
 * Check one PutEvents entry and build its event, or fill `result` with the
 * entry's error. NOTE: the entry error codes and texts follow what AWS
 * documents for PutEventsResultEntry; the texts were not recorded.
 */
static cJSON *evb_entry_event(aws_request *req, const cJSON *entry, char *bus,
                              size_t bus_size, cJSON *result)
{
    const char *source = evb__str(entry, "Source");
    const char *detail_type = evb__str(entry, "DetailType");
    const char *detail = evb__str(entry, "Detail");
    aws_error err;
    memset(&err, 0, sizeof err);

    if (!source || !source[0]) {
        evb_entry_fail(result, "InvalidArgument",
                       "Parameter Source is not valid. Reason: Source is a "
                       "required argument.");
        return NULL;
    }
    if (!detail_type || !detail_type[0]) {
        evb_entry_fail(result, "InvalidArgument",
                       "Parameter DetailType is not valid. Reason: "
                       "DetailType is a required argument.");
        return NULL;
    }
    if (!detail) {
        evb_entry_fail(result, "InvalidArgument",
                       "Parameter Detail is not valid. Reason: Detail is a "
                       "required argument.");
        return NULL;
    }
    cJSON *detail_json = cJSON_Parse(detail);
    if (!cJSON_IsObject(detail_json)) {
        cJSON_Delete(detail_json);
        evb_entry_fail(result, "MalformedDetail", "Detail is malformed.");
        return NULL;
    }
    if (strncmp(source, "aws.", 4) == 0) {
        cJSON_Delete(detail_json);
        evb_entry_fail(result, "NotAuthorizedForSourceException",
                       "Not authorized for the source.");
        return NULL;
    }
    if (evb__bus_member(entry, "EventBusName", bus, bus_size, &err) != 0) {
        cJSON_Delete(detail_json);
        evb_entry_fail(result, "InvalidArgument", err.message);
        return NULL;
    }
    if (!evb__bus_exists(req->srv, req->account, req->region, bus)) {
        char message[512];
        snprintf(message, sizeof message, "Event bus %s does not exist.", bus);
        cJSON_Delete(detail_json);
        evb_entry_fail(result, "ResourceNotFoundException", message);
        return NULL;
    }

    char id[37], time_text[32];
    util_uuid4(id);
    const cJSON *time_item = cJSON_GetObjectItemCaseSensitive(entry, "Time");
    int64_t ms = cJSON_IsNumber(time_item)
                     ? (int64_t)(time_item->valuedouble * 1000.0)
                     : clock_now_ms(&req->srv->clock);
    clock_format_iso(ms / 1000 * 1000, time_text);
    /* Event times carry no milliseconds: "2026-01-02T03:04:05Z". */
    char *dot = strchr(time_text, '.');
    if (dot)
        snprintf(dot, sizeof time_text - (size_t)(dot - time_text), "Z");

    cJSON *event = cJSON_CreateObject();
    cJSON_AddStringToObject(event, "version", "0");
    cJSON_AddStringToObject(event, "id", id);
    cJSON_AddStringToObject(event, "detail-type", detail_type);
    cJSON_AddStringToObject(event, "source", source);
    cJSON_AddStringToObject(event, "account", req->account);
    cJSON_AddStringToObject(event, "time", time_text);
    cJSON_AddStringToObject(event, "region", req->region);
    cJSON *resources = cJSON_AddArrayToObject(event, "resources");
    const cJSON *r;
    cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(entry, "Resources"))
    {
        if (cJSON_IsString(r))
            cJSON_AddItemToArray(resources, cJSON_CreateString(r->valuestring));
    }
    cJSON_AddItemToObject(event, "detail", detail_json);
    cJSON_AddStringToObject(result, "EventId", id);
    return event;
}

cJSON *evb_op_put_events(aws_request *req, aws_error *err)
{
    const cJSON *entries =
        cJSON_GetObjectItemCaseSensitive(req->body, "Entries");
    int count = cJSON_GetArraySize(entries);
    if (!cJSON_IsArray(entries) || count < 1)
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "1 validation error detected: Value null at "
                        "'entries' failed to satisfy constraint: Member must "
                        "not be null"),
               NULL;
    if (count > EVB_PUT_EVENTS_MAX_ENTRIES)
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "1 validation error detected: Value at 'entries' "
                        "failed to satisfy constraint: Member must have "
                        "length less than or equal to %d",
                        EVB_PUT_EVENTS_MAX_ENTRIES),
               NULL;
    size_t total = 0;
    const cJSON *entry;
    cJSON_ArrayForEach(entry, entries) total += evb_entry_size(entry);
    if (total > EVB_PUT_EVENTS_MAX_BYTES)
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "Total size of the entries in the request is over "
                        "the limit."),
               NULL;

    cJSON *out = cJSON_CreateObject();
    cJSON *failed_count = cJSON_AddNumberToObject(out, "FailedEntryCount", 0);
    cJSON *results = cJSON_AddArrayToObject(out, "Entries");
    int failed = 0;
    cJSON_ArrayForEach(entry, entries)
    {
        cJSON *result = cJSON_CreateObject();
        char bus[EVB_NAME_MAX + 1];
        cJSON *event = evb_entry_event(req, entry, bus, sizeof bus, result);
        cJSON_AddItemToArray(results, result);
        if (!event) {
            failed++;
            continue;
        }
        int matched =
            evb__ingest(req->srv, req->account, req->region, bus, event);
        log_at(LOG_DEBUG, "events", req->request_id,
               "event %s put on bus %s matched %d rules", evb__str(event, "id"),
               bus, matched);
        cJSON_Delete(event);
    }
    cJSON_SetNumberValue(failed_count, failed);
    return out;
}

cJSON *evb_op_test_event_pattern(aws_request *req, aws_error *err)
{
    const char *pattern_text = evb__str(req->body, "EventPattern");
    const char *event_text = evb__str(req->body, "Event");
    if (!pattern_text || !event_text)
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "1 validation error detected: Value null at '%s' "
                        "failed to satisfy constraint: Member must not be "
                        "null",
                        pattern_text ? "event" : "eventPattern"),
               NULL;
    evb_pattern_error perr;
    memset(&perr, 0, sizeof perr);
    evb_pattern *pattern =
        evb_pattern_compile(pattern_text, strlen(pattern_text), &perr);
    if (!pattern)
        return aws_fail(err, AWS_ERR_INVALID_EVENT_PATTERN, "%s", perr.message),
               NULL;
    cJSON *event = cJSON_Parse(event_text);
    if (!cJSON_IsObject(event)) {
        cJSON_Delete(event);
        evb_pattern_destroy(pattern);
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "Parameter Event is not valid."),
               NULL;
    }
    int match = evb_pattern_match(pattern, event);
    cJSON_Delete(event);
    evb_pattern_destroy(pattern);
    cJSON *out = cJSON_CreateObject();
    cJSON_AddBoolToObject(out, "Result", match);
    return out;
}
