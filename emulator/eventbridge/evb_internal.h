/*
 * evb_internal.h: what the files of the EventBridge service share. Nothing
 * here is used outside emulator/eventbridge/.
 *
 * Storage (SQLite, schema in evb.c):
 *   evb_bus     one row per custom event bus; the bus "default" of every
 *               account and region exists without a row.
 *   evb_rule    one row per rule, unique by (account, region, bus, name).
 *   evb_target  the targets of a rule as PutTargets stored them (JSON), in
 *               the order they were first added.
 *   evb_metric  per-rule counters by metric name and minute, the data of
 *               the AWS/Events CloudWatch metrics.
 *   evb_tag     the tags of rules and buses, by ARN.
 */
#ifndef STRATUS_EVB_INTERNAL_H
#define STRATUS_EVB_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "aws.h"
#include "evb.h"
#include "evb_target.h"
#include "stratus.h"

#define EVB_DELIVER_JOB "events.deliver"
#define EVB_MAX_TARGETS_PER_RULE 5
#define EVB_PUT_EVENTS_MAX_ENTRIES 10
/* PutEvents request size limit: 1 MB since January 2026 (AWS Compute Blog,
 * "serverless services now support payloads up to 1 MB"), counted as the
 * user guide's "Calculating PutEvents event entry size" describes. */
#define EVB_PUT_EVENTS_MAX_BYTES (1024 * 1024)
#define EVB_MAX_REGISTERED_TARGETS 16
#define EVB_NAME_MAX 256

/* Per-instance state: the target registry. */
typedef struct evb_state {
    struct {
        const char *service;
        evb_deliver_fn fn;
    } targets[EVB_MAX_REGISTERED_TARGETS];
    size_t target_count;
} evb_state;

/* A rule loaded from the store; every string is owned. */
typedef struct evb_rule {
    int64_t id;
    char *bus;
    char *name;
    char *event_pattern; /* NULL for a schedule-only rule */
    char *schedule;
    char *state;
    char *description;
    char *role_arn;
    char arn[512];
} evb_rule;

/* Metric names, as CloudWatch's AWS/Events namespace spells them. */
#define EVB_METRIC_MATCHED "MatchedEvents"
#define EVB_METRIC_TRIGGERED "TriggeredRules"
#define EVB_METRIC_INVOCATIONS "Invocations"
#define EVB_METRIC_FAILED "FailedInvocations"
#define EVB_METRIC_SENT_TO_DLQ "InvocationsSentToDlq"
#define EVB_METRIC_DLQ_FAILED "InvocationsFailedToBeSentToDlq"

/* ---- evb.c: schema, state and request helpers ---- */

const char *evb__str(const cJSON *obj, const char *name);
evb_state *evb__state(stratus *srv);

/*
 * Read the event bus a request names in `member` (a name or an event-bus
 * ARN; absent: "default") into `out`. Returns 0, or -1 with a
 * ValidationException.
 */
int evb__bus_member(const cJSON *body, const char *member, char *out,
                    size_t size, aws_error *err);
/* Whether the bus exists ("default" always does). */
int evb__bus_exists(stratus *srv, const char *account, const char *region,
                    const char *bus);
void evb__bus_arn(const char *account, const char *region, const char *bus,
                  char *out, size_t size);
void evb__rule_arn(const char *account, const char *region, const char *bus,
                   const char *rule, char *out, size_t size);

/*
 * Check a name member against AWS's pattern [\.\-_A-Za-z0-9]+ and length
 * (`allow_slash` also allows '/'), failing with AWS's "1 validation error
 * detected" text. Returns 0 or -1.
 */
int evb__name_check(const char *value, const char *member, size_t max_len,
                    int allow_slash, aws_error *err);

/* Add `delta` to a per-rule counter for the current minute. */
void evb__metric_add(stratus *srv, const char *account, const char *region,
                     const char *bus, const char *rule, const char *metric,
                     int64_t delta);
/* A counter's total over all minutes (tests and the CloudWatch service). */
int64_t evb__metric_total(stratus *srv, const char *account, const char *region,
                          const char *bus, const char *rule,
                          const char *metric);

/* ---- evb_bus.c ---- */

cJSON *evb_op_create_event_bus(aws_request *req, aws_error *err);
cJSON *evb_op_describe_event_bus(aws_request *req, aws_error *err);
cJSON *evb_op_list_event_buses(aws_request *req, aws_error *err);
cJSON *evb_op_delete_event_bus(aws_request *req, aws_error *err);

/* ---- evb_rule.c ---- */

/* Load a rule, or NULL when it does not exist. */
evb_rule *evb__rule_load(stratus *srv, const char *account, const char *region,
                         const char *bus, const char *name);
void evb__rule_free(evb_rule *rule);
/*
 * Load the rule a request names in `name_member` ("Name" or "Rule") on its
 * EventBusName bus. Returns it, or NULL with ResourceNotFoundException
 * "Rule X does not exist on EventBus Y." or a ValidationException.
 */
evb_rule *evb__rule_open(aws_request *req, const char *name_member,
                         aws_error *err);

cJSON *evb_op_put_rule(aws_request *req, aws_error *err);
cJSON *evb_op_describe_rule(aws_request *req, aws_error *err);
cJSON *evb_op_list_rules(aws_request *req, aws_error *err);
cJSON *evb_op_enable_rule(aws_request *req, aws_error *err);
cJSON *evb_op_disable_rule(aws_request *req, aws_error *err);
cJSON *evb_op_delete_rule(aws_request *req, aws_error *err);

/* ---- evb_targets.c ---- */

cJSON *evb_op_put_targets(aws_request *req, aws_error *err);
cJSON *evb_op_list_targets_by_rule(aws_request *req, aws_error *err);
cJSON *evb_op_remove_targets(aws_request *req, aws_error *err);
cJSON *evb_op_list_rule_names_by_target(aws_request *req, aws_error *err);

/* ---- evb_tags.c ---- */

/* Add or replace the Tags ([{Key, Value}]) of the resource `arn`. Returns
 * 0, or -1 with a ValidationException or LimitExceededException. */
int evb__tags_put(stratus *srv, const char *account, const char *region,
                  const char *arn, const cJSON *tags, aws_error *err);
/* Delete the tags of the resource `arn`, or of every resource whose ARN
 * starts with `arn_prefix`. */
void evb__tags_delete(stratus *srv, const char *account, const char *region,
                      const char *arn);
void evb__tags_delete_prefix(stratus *srv, const char *account,
                             const char *region, const char *arn_prefix);

cJSON *evb_op_tag_resource(aws_request *req, aws_error *err);
cJSON *evb_op_untag_resource(aws_request *req, aws_error *err);
cJSON *evb_op_list_tags_for_resource(aws_request *req, aws_error *err);

/* ---- evb_events.c ---- */

/*
 * Match `event` (a full event envelope, borrowed) against the enabled rules
 * of `bus` and schedule one delivery job per target of each matching rule.
 * Must run inside a store call. Returns the number of rules matched.
 */
int evb__ingest(stratus *srv, const char *account, const char *region,
                const char *bus, const cJSON *event);

/*
 * Count a match of `event` for the rule and schedule its delivery to every
 * target of the rule. Must run inside a store call.
 */
void evb__rule_fire(stratus *srv, const char *account, const char *region,
                    const char *bus, int64_t rule_id, const char *rule_name,
                    const cJSON *event);

cJSON *evb_op_put_events(aws_request *req, aws_error *err);
cJSON *evb_op_test_event_pattern(aws_request *req, aws_error *err);

/* ---- evb_schedule.c: rules with a schedule ---- */

#define EVB_SCHEDULE_JOB "events.schedule"

/*
 * The period of a "rate(N unit)" expression in milliseconds, or 0 when
 * `expression` is not a rate (a cron() schedule, which Stratus does not
 * run).
 */
int64_t evb__rate_ms(const char *expression);

/* ---- evb_cron.c ---- */

/*
 * The first time after `after_ms` (epoch ms, UTC) when a "cron(...)"
 * expression fires, or -1 when it uses a form Stratus cannot run (L, W,
 * #) or does not fire within five years.
 */
int64_t evb__cron_next(const char *expression, int64_t after_ms);

/*
 * The next run of a rule's schedule after `now_ms`: one period later for
 * rate(), the next matching minute for cron(). Returns -1 when the
 * expression cannot run.
 */
int64_t evb__schedule_next(const char *expression, int64_t now_ms);

/* Start the schedule of an enabled rule with a runnable schedule; a no-op
 * when its next run is already pending. Must run inside a store call. */
void evb__schedule_start(stratus *srv, const char *account, const char *region,
                         const evb_rule *rule);

/* The schedule job: send the rule's "Scheduled Event" and run again. */
int64_t evb__schedule_job(stratus *srv, const char *account, const char *region,
                          const cJSON *payload);

/* ---- evb_deliver.c ---- */

/* The delivery job: render the input, deliver, retry or dead-letter. */
int64_t evb__deliver_job(stratus *srv, const char *account, const char *region,
                         const cJSON *payload);
/* Register the "events" target (another event bus). */
int evb__register_builtin_targets(stratus *srv);

/* *_iam.c: the IAM action and resource ARN of a request (the
 * aws_service resource_arn hook). */
int evb__resource_arn(const aws_request *req, size_t index, char *action,
                      size_t action_size, char *arn, size_t arn_size);

#endif
