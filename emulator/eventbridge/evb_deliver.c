/*
 * evb_deliver.c: the delivery job. It renders a target's input (Input,
 * InputPath, InputTransformer or the whole event) and hands it to the
 * delivery function registered for the target ARN's service. Throttling
 * and server errors are retried with exponential backoff within the
 * target's RetryPolicy. What finally fails goes to the target's
 * dead-letter queue with AWS's message attributes. This file also keeps
 * the per-rule counters and implements the "events" target (another
 * event bus).
 */
#include "evb_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evb_transform.h"
#include "iam.h"
#include "jobs.h"
#include "log.h"
#include "store.h"
#include "util.h"

/* AWS's RetryPolicy defaults for a rule target. */
#define EVB_DEFAULT_MAX_RETRIES 185
#define EVB_DEFAULT_MAX_AGE_S 86400
/* Backoff before retry n (0-based): 1 s doubled each time, at most 5 min.
 * NOTE: AWS documents exponential backoff with jitter but not its base or
 * cap; these values are Stratus's choice. */
#define EVB_BACKOFF_BASE_MS 1000
#define EVB_BACKOFF_MAX_MS 300000

static long evb_policy_long(const cJSON *target, const char *member,
                            long fallback)
{
    const cJSON *policy =
        cJSON_GetObjectItemCaseSensitive(target, "RetryPolicy");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(policy, member);
    return cJSON_IsNumber(v) ? (long)v->valuedouble : fallback;
}

/* Render what the target receives. Returns a new string, or NULL when
 * nothing can be delivered (the reason goes to `err`). */
static char *evb_render_input(const cJSON *target, const cJSON *event,
                              const char *rule_arn, const char *rule_name,
                              size_t *len, evb_delivery_error *err)
{
    const char *input = evb__str(target, "Input");
    const char *path = evb__str(target, "InputPath");
    const cJSON *transformer =
        cJSON_GetObjectItemCaseSensitive(target, "InputTransformer");
    if (input) {
        *len = strlen(input);
        return xstrdup(input);
    }
    if (path) {
        char *out = evb_input_path_render(path, event, len);
        if (!out) {
            /* NOTE: what AWS sends when InputPath selects nothing was not
             * recorded; Stratus treats it as a client error. */
            snprintf(err->code, sizeof err->code, "%s", "SDK_CLIENT_ERROR");
            snprintf(err->message, sizeof err->message,
                     "InputPath %s selects nothing in the event", path);
        }
        return out;
    }
    if (transformer) {
        evb_transform_context ctx = {
            .rule_arn = rule_arn,
            .rule_name = rule_name,
            .ingestion_time = NULL,
        };
        char *out = evb_input_transformer_render(transformer, event, &ctx, len);
        if (!evb_transform_output_is_deliverable(out, *len)) {
            snprintf(err->code, sizeof err->code, "%s", "SDK_CLIENT_ERROR");
            snprintf(err->message, sizeof err->message, "%s",
                     "The transformed input is not valid JSON");
            free(out);
            return NULL;
        }
        return out;
    }
    char *out = cJSON_PrintUnformatted(event);
    *len = strlen(out);
    return out;
}

static void evb_add_attribute(cJSON *attrs, const char *name, const char *type,
                              const char *value)
{
    cJSON *a = cJSON_AddObjectToObject(attrs, name);
    cJSON_AddStringToObject(a, "DataType", type);
    cJSON_AddStringToObject(a, "StringValue", value);
}

/*
 * Send the event to the target's dead-letter queue with the attributes AWS
 * adds. NOTE: the attribute names are AWS's; the EXHAUSTED_RETRY_CONDITION
 * values and the ERROR_CODE of a transformer failure were not recorded.
 */
static void evb_dead_letter(stratus *srv, const char *account,
                            const char *region, const cJSON *payload,
                            const evb_delivery_error *failure,
                            const char *exhausted, long attempts)
{
    const cJSON *target = cJSON_GetObjectItemCaseSensitive(payload, "target");
    const cJSON *event = cJSON_GetObjectItemCaseSensitive(payload, "event");
    const char *bus = evb__str(payload, "bus");
    const char *rule = evb__str(payload, "rule");
    const char *rule_arn = evb__str(payload, "rule_arn");
    const char *dlq = evb__str(
        cJSON_GetObjectItemCaseSensitive(target, "DeadLetterConfig"), "Arn");
    const char *event_id = evb__str(event, "id");
    if (!dlq) {
        log_info("events", "event %s dropped for target %s of %s: %s", event_id,
                 evb__str(target, "Arn"), rule_arn, failure->message);
        return;
    }

    cJSON *attrs = cJSON_CreateObject();
    char count[32];
    snprintf(count, sizeof count, "%ld", attempts);
    evb_add_attribute(attrs, "ERROR_CODE", "String", failure->code);
    evb_add_attribute(attrs, "ERROR_MESSAGE", "String", failure->message);
    if (exhausted)
        evb_add_attribute(attrs, "EXHAUSTED_RETRY_CONDITION", "String",
                          exhausted);
    evb_add_attribute(attrs, "RETRY_ATTEMPTS", "Number", count);
    evb_add_attribute(attrs, "RULE_ARN", "String", rule_arn);
    evb_add_attribute(attrs, "TARGET_ARN", "String", evb__str(target, "Arn"));
    char *body = cJSON_PrintUnformatted(event);
    evb_delivery d = {
        .account = account,
        .region = region,
        .target_arn = dlq,
        .target = target,
        .input = body,
        .input_len = strlen(body),
        .event = event,
        .rule_arn = rule_arn,
        .event_id = event_id,
        .message_attributes = attrs,
    };
    evb_delivery_error dlq_err;
    memset(&dlq_err, 0, sizeof dlq_err);
    char service[32] = "";
    evb_deliver_fn fn = evb_arn_service(dlq, service, sizeof service) == 0
                            ? evb_target_find(srv, service)
                            : NULL;
    evb_delivery_status status = EVB_DELIVERY_FAILED;
    if (fn && strcmp(service, "sqs") == 0)
        status = fn(srv, &d, &dlq_err);
    else
        snprintf(dlq_err.message, sizeof dlq_err.message,
                 "dead-letter target %s is not an SQS queue", dlq);
    if (status == EVB_DELIVERY_OK) {
        evb__metric_add(srv, account, region, bus, rule, EVB_METRIC_SENT_TO_DLQ,
                        1);
        log_debug("events", "event %s sent to dead-letter queue %s", event_id,
                  dlq);
    } else {
        evb__metric_add(srv, account, region, bus, rule, EVB_METRIC_DLQ_FAILED,
                        1);
        log_warn("events",
                 "event %s could not be sent to dead-letter queue "
                 "%s: %s",
                 event_id, dlq, dlq_err.message);
    }
    free(body);
    cJSON_Delete(attrs);
}

/*
 * Check the target's RoleArn, when it has one: EventBridge must be trusted
 * by the role and the role must allow the action that delivers to the
 * target. A failure is NO_PERMISSIONS, which EventBridge does not retry.
 */
static int evb_role_allows(stratus *srv, const char *account,
                           const cJSON *target, const char *arn,
                           const char *service, const char *rule_arn,
                           evb_delivery_error *failure)
{
    static const struct {
        const char *service, *action;
    } actions[] = {
        {"states", "states:StartExecution"},
        {"lambda", "lambda:InvokeFunction"},
        {"sqs", "sqs:SendMessage"},
        {"events", "events:PutEvents"},
    };
    const char *role = evb__str(target, "RoleArn");
    const char *action = NULL;
    for (size_t i = 0; i < sizeof actions / sizeof *actions; i++)
        if (strcmp(actions[i].service, service) == 0)
            action = actions[i].action;
    if (!role || !action)
        return 1;
    if (iam_service_role_allows(srv, account, role, "events.amazonaws.com",
                                rule_arn, action, arn, failure->message,
                                sizeof failure->message))
        return 1;
    snprintf(failure->code, sizeof failure->code, "%s", "NO_PERMISSIONS");
    return 0;
}

int64_t evb__deliver_job(stratus *srv, const char *account, const char *region,
                         const cJSON *payload)
{
    const cJSON *target = cJSON_GetObjectItemCaseSensitive(payload, "target");
    const cJSON *event = cJSON_GetObjectItemCaseSensitive(payload, "event");
    const char *bus = evb__str(payload, "bus");
    const char *rule = evb__str(payload, "rule");
    const char *rule_arn = evb__str(payload, "rule_arn");
    const char *arn = evb__str(target, "Arn");
    const char *event_id = evb__str(event, "id");
    const cJSON *attempt_item =
        cJSON_GetObjectItemCaseSensitive(payload, "attempt");
    const cJSON *ingested_item =
        cJSON_GetObjectItemCaseSensitive(payload, "ingested_ms");
    if (!target || !event || !bus || !rule || !rule_arn || !arn ||
        !cJSON_IsNumber(attempt_item) || !cJSON_IsNumber(ingested_item)) {
        log_error("events", "dropping a malformed delivery job");
        return 0;
    }
    long attempt = (long)attempt_item->valuedouble;
    int64_t ingested = (int64_t)ingested_item->valuedouble;

    evb_delivery_error failure;
    memset(&failure, 0, sizeof failure);
    evb_delivery_status status = EVB_DELIVERY_FAILED;
    size_t len = 0;
    char *input =
        evb_render_input(target, event, rule_arn, rule, &len, &failure);
    if (input) {
        char service[32] = "";
        evb_deliver_fn fn = evb_arn_service(arn, service, sizeof service) == 0
                                ? evb_target_find(srv, service)
                                : NULL;
        evb_delivery d = {
            .account = account,
            .region = region,
            .target_arn = arn,
            .target = target,
            .input = input,
            .input_len = len,
            .event = event,
            .rule_arn = rule_arn,
            .event_id = event_id,
        };
        if (fn && !evb_role_allows(srv, account, target, arn, service, rule_arn,
                                   &failure)) {
            status = EVB_DELIVERY_FAILED;
        } else if (fn) {
            status = fn(srv, &d, &failure);
        } else {
            snprintf(failure.code, sizeof failure.code, "%s",
                     "SDK_CLIENT_ERROR");
            snprintf(failure.message, sizeof failure.message,
                     "Stratus cannot deliver to %s targets (%s)",
                     service[0] ? service : "unknown", arn);
        }
        free(input);
    }
    log_debug("events", "event %s to %s attempt %ld: %s%s%s", event_id, arn,
              attempt + 1,
              status == EVB_DELIVERY_OK      ? "delivered"
              : status == EVB_DELIVERY_RETRY ? "retriable failure"
                                             : "failed",
              failure.message[0] ? ": " : "", failure.message);

    if (status == EVB_DELIVERY_OK) {
        evb__metric_add(srv, account, region, bus, rule, EVB_METRIC_INVOCATIONS,
                        1);
        return 0;
    }

    const char *exhausted = NULL;
    if (status == EVB_DELIVERY_RETRY) {
        long max_retries = evb_policy_long(target, "MaximumRetryAttempts",
                                           EVB_DEFAULT_MAX_RETRIES);
        long max_age = evb_policy_long(target, "MaximumEventAgeInSeconds",
                                       EVB_DEFAULT_MAX_AGE_S);
        int64_t delay = EVB_BACKOFF_BASE_MS;
        for (long i = 0; i < attempt && delay < EVB_BACKOFF_MAX_MS; i++)
            delay *= 2;
        if (delay > EVB_BACKOFF_MAX_MS)
            delay = EVB_BACKOFF_MAX_MS;
        int64_t due = clock_now_ms(&srv->clock) + delay;
        if (attempt >= max_retries)
            exhausted = "MaximumRetryAttempts";
        else if (due - ingested > (int64_t)max_age * 1000)
            exhausted = "MaximumEventAge";
        if (!exhausted) {
            cJSON *next = cJSON_Duplicate(payload, 1);
            cJSON_SetNumberValue(
                cJSON_GetObjectItemCaseSensitive(next, "attempt"),
                (double)(attempt + 1));
            if (jobs_schedule(srv->jobs, EVB_DELIVER_JOB, account, region, due,
                              next, NULL) != 0)
                log_error("events", "cannot schedule retry of event %s to %s",
                          event_id, arn);
            else
                log_debug("events", "event %s to %s retried in %lld ms",
                          event_id, arn, (long long)delay);
            cJSON_Delete(next);
            return 0;
        }
    }

    evb__metric_add(srv, account, region, bus, rule, EVB_METRIC_INVOCATIONS, 1);
    evb__metric_add(srv, account, region, bus, rule, EVB_METRIC_FAILED, 1);
    evb_dead_letter(srv, account, region, payload, &failure, exhausted,
                    attempt);
    return 0;
}

/* The "events" target: put the event on another bus, whose rules then
 * match it. */
static evb_delivery_status
evb_deliver_to_bus(stratus *srv, const evb_delivery *d, evb_delivery_error *err)
{
    char region[64] = "", account[16] = "", name[EVB_NAME_MAX + 1] = "";
    if (sscanf(d->target_arn, "arn:aws:events:%63[^:]:%15[^:]:event-bus/%256s",
               region, account, name) != 3) {
        snprintf(err->code, sizeof err->code, "%s", "SDK_CLIENT_ERROR");
        snprintf(err->message, sizeof err->message,
                 "%s is not an event bus ARN", d->target_arn);
        return EVB_DELIVERY_FAILED;
    }
    if (!evb__bus_exists(srv, account, region, name)) {
        snprintf(err->code, sizeof err->code, "%s", "RESOURCE_NOT_FOUND");
        snprintf(err->message, sizeof err->message,
                 "Event bus %s does not exist.", name);
        return EVB_DELIVERY_FAILED;
    }
    cJSON *event = cJSON_ParseWithLength(d->input, d->input_len);
    if (!cJSON_IsObject(event)) {
        cJSON_Delete(event);
        snprintf(err->code, sizeof err->code, "%s", "SDK_CLIENT_ERROR");
        snprintf(err->message, sizeof err->message, "%s",
                 "The input for an event bus target is not an event");
        return EVB_DELIVERY_FAILED;
    }
    evb__ingest(srv, account, region, name, event);
    cJSON_Delete(event);
    return EVB_DELIVERY_OK;
}

int evb__register_builtin_targets(stratus *srv)
{
    if (evb_target_register(srv, "events", evb_deliver_to_bus) != 0)
        return -1;
    return 0;
}
