/*
 * test_evb_delivery.c: asynchronous delivery of matched events through the
 * job queue under a virtual clock: SQS targets, input transformers,
 * event-bus targets, retries within the RetryPolicy, dead-letter records
 * and the per-rule counters.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "evb_internal.h"
#include "ts.h"

#define QUEUE_URL "http://127.0.0.1:4566/123456789012/"
#define QUEUE_ARN "arn:aws:sqs:us-east-1:123456789012:"

static cJSON *call(stratus *srv, const char *target, const char *body)
{
    int status = 0;
    cJSON *out = ts_call(srv, target, body, &status);
    cr_assert_eq(status, 200, "%s %s failed: %s", target, body,
                 out ? cJSON_PrintUnformatted(out) : "(no body)");
    return out;
}

static void run(stratus *srv, const char *target, const char *body)
{
    cJSON_Delete(call(srv, target, body));
}

static const char *str(const cJSON *obj, const char *name)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(m) ? m->valuestring : NULL;
}

/* Run due jobs and jump the virtual clock to the next one, a bounded
 * number of times. */
static void drain(stratus *srv)
{
    for (int i = 0; i < 500; i++) {
        jobs_run_due(srv->jobs);
        stratus_turn_end(srv);
        int64_t next = jobs_next_due(srv->jobs);
        if (next < 0)
            return;
        clock_advance_to(&srv->clock, next);
    }
    cr_assert_fail("jobs still pending after 500 rounds");
}

static void create_queue(stratus *srv, const char *name)
{
    char body[128];
    snprintf(body, sizeof body, "{\"QueueName\":\"%s\"}", name);
    run(srv, "AmazonSQS.CreateQueue", body);
}

/* Receive every message of a queue (up to 10). The caller frees. */
static cJSON *receive_all(stratus *srv, const char *queue)
{
    char body[256];
    snprintf(body, sizeof body,
             "{\"QueueUrl\":\"" QUEUE_URL "%s\",\"MaxNumberOfMessages\":10,"
             "\"MessageAttributeNames\":[\"All\"]}",
             queue);
    cJSON *out = call(srv, "AmazonSQS.ReceiveMessage", body);
    cJSON *messages = cJSON_DetachItemFromObjectCaseSensitive(out, "Messages");
    cJSON_Delete(out);
    return messages ? messages : cJSON_CreateArray();
}

static int64_t metric(stratus *srv, const char *bus, const char *rule,
                      const char *name)
{
    return evb__metric_total(srv, "123456789012", "us-east-1", bus, rule, name);
}

Test(evb_delivery, whole_event_to_sqs)
{
    stratus *srv = ts_new();
    create_queue(srv, "inbox");
    run(srv, "AWSEvents.PutRule",
        "{\"Name\":\"r\",\"EventPattern\":\"{\\\"source\\\":[\\\"shop\\\"]}"
        "\"}");
    run(srv, "AWSEvents.PutTargets",
        "{\"Rule\":\"r\",\"Targets\":[{\"Id\":\"q\",\"Arn\":\"" QUEUE_ARN
        "inbox\"}]}");
    cJSON *put = call(srv, "AWSEvents.PutEvents",
                      "{\"Entries\":[{\"Source\":\"shop\",\"DetailType\":"
                      "\"Order\",\"Detail\":\"{\\\"n\\\":1}\"},"
                      "{\"Source\":\"other\",\"DetailType\":\"Order\","
                      "\"Detail\":\"{}\"}]}");
    const char *id = str(
        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(put, "Entries"), 0),
        "EventId");

    cJSON *before = receive_all(srv, "inbox");
    cr_assert_eq(cJSON_GetArraySize(before), 0, "delivery is asynchronous");
    cJSON_Delete(before);
    drain(srv);

    cJSON *messages = receive_all(srv, "inbox");
    cr_assert_eq(cJSON_GetArraySize(messages), 1);
    cJSON *event = cJSON_Parse(str(cJSON_GetArrayItem(messages, 0), "Body"));
    cr_assert_str_eq(str(event, "id"), id);
    cr_assert_str_eq(str(event, "detail-type"), "Order");
    cr_assert_str_eq(str(event, "account"), "123456789012");
    cr_assert_eq(cJSON_GetObjectItemCaseSensitive(
                     cJSON_GetObjectItemCaseSensitive(event, "detail"), "n")
                     ->valueint,
                 1);
    cJSON_Delete(event);
    cJSON_Delete(messages);
    cJSON_Delete(put);

    cr_assert_eq(metric(srv, "default", "r", EVB_METRIC_MATCHED), 1);
    cr_assert_eq(metric(srv, "default", "r", EVB_METRIC_TRIGGERED), 1);
    cr_assert_eq(metric(srv, "default", "r", EVB_METRIC_INVOCATIONS), 1);
    cr_assert_eq(metric(srv, "default", "r", EVB_METRIC_FAILED), 0);

    /* The public per-minute sum sees the same count in this minute only. */
    int64_t now = clock_now_ms(&srv->clock);
    int64_t minute = now / 60000 * 60000;
    cr_assert_eq(evb_rule_metric_sum(srv, "123456789012", "us-east-1",
                                     "default", "r", "Invocations", minute,
                                     minute + 60000),
                 1);
    cr_assert_eq(evb_rule_metric_sum(srv, "123456789012", "us-east-1",
                                     "default", "r", "Invocations",
                                     minute + 60000, minute + 120000),
                 0);
    ts_free(srv);
}

Test(evb_delivery, disabled_rule_delivers_nothing)
{
    stratus *srv = ts_new();
    create_queue(srv, "inbox");
    run(srv, "AWSEvents.PutRule",
        "{\"Name\":\"r\",\"State\":\"DISABLED\","
        "\"EventPattern\":\"{\\\"source\\\":[\\\"shop\\\"]}\"}");
    run(srv, "AWSEvents.PutTargets",
        "{\"Rule\":\"r\",\"Targets\":[{\"Id\":\"q\",\"Arn\":\"" QUEUE_ARN
        "inbox\"}]}");
    run(srv, "AWSEvents.PutEvents",
        "{\"Entries\":[{\"Source\":\"shop\",\"DetailType\":\"Order\","
        "\"Detail\":\"{}\"}]}");
    drain(srv);
    cJSON *messages = receive_all(srv, "inbox");
    cr_assert_eq(cJSON_GetArraySize(messages), 0);
    cJSON_Delete(messages);
    cr_assert_eq(metric(srv, "default", "r", EVB_METRIC_MATCHED), 0);
    ts_free(srv);
}

Test(evb_delivery, missing_queue_goes_to_dlq)
{
    stratus *srv = ts_new();
    create_queue(srv, "dlq");
    run(srv, "AWSEvents.PutRule",
        "{\"Name\":\"r\",\"EventPattern\":\"{\\\"source\\\":[\\\"shop\\\"]}"
        "\"}");
    run(srv, "AWSEvents.PutTargets",
        "{\"Rule\":\"r\",\"Targets\":[{\"Id\":\"q\",\"Arn\":\"" QUEUE_ARN
        "gone\",\"DeadLetterConfig\":{\"Arn\":\"" QUEUE_ARN "dlq\"}}]}");
    run(srv, "AWSEvents.PutEvents",
        "{\"Entries\":[{\"Source\":\"shop\",\"DetailType\":\"Order\","
        "\"Detail\":\"{}\"}]}");
    drain(srv);

    cJSON *messages = receive_all(srv, "dlq");
    cr_assert_eq(cJSON_GetArraySize(messages), 1);
    cJSON *attrs = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetArrayItem(messages, 0), "MessageAttributes");
    cr_assert_str_eq(str(cJSON_GetObjectItemCaseSensitive(attrs, "ERROR_CODE"),
                         "StringValue"),
                     "RESOURCE_NOT_FOUND");
    cr_assert_str_eq(
        str(cJSON_GetObjectItemCaseSensitive(attrs, "RULE_ARN"), "StringValue"),
        "arn:aws:events:us-east-1:123456789012:rule/r");
    cr_assert_str_eq(str(cJSON_GetObjectItemCaseSensitive(attrs, "TARGET_ARN"),
                         "StringValue"),
                     QUEUE_ARN "gone");
    cr_assert_str_eq(
        str(cJSON_GetObjectItemCaseSensitive(attrs, "RETRY_ATTEMPTS"),
            "StringValue"),
        "0");
    cr_assert_null(
        cJSON_GetObjectItemCaseSensitive(attrs, "EXHAUSTED_RETRY_CONDITION"));
    cJSON_Delete(messages);
    cr_assert_eq(metric(srv, "default", "r", EVB_METRIC_FAILED), 1);
    cr_assert_eq(metric(srv, "default", "r", EVB_METRIC_SENT_TO_DLQ), 1);
    ts_free(srv);
}

static int flaky_calls;

static evb_delivery_status flaky_deliver(stratus *srv, const evb_delivery *d,
                                         evb_delivery_error *err)
{
    flaky_calls++;
    snprintf(err->code, sizeof err->code, "%s", "THROTTLING");
    snprintf(err->message, sizeof err->message, "%s", "Rate exceeded");
    return EVB_DELIVERY_RETRY;
}

Test(evb_delivery, retries_then_dead_letters)
{
    stratus *srv = ts_new();
    flaky_calls = 0;
    cr_assert_eq(evb_target_register(srv, "lambda", flaky_deliver), 0);
    create_queue(srv, "dlq");
    run(srv, "AWSEvents.PutRule",
        "{\"Name\":\"r\",\"EventPattern\":\"{\\\"source\\\":[\\\"shop\\\"]}"
        "\"}");
    run(srv, "AWSEvents.PutTargets",
        "{\"Rule\":\"r\",\"Targets\":[{\"Id\":\"f\",\"Arn\":"
        "\"arn:aws:lambda:us-east-1:123456789012:function:f\","
        "\"RetryPolicy\":{\"MaximumRetryAttempts\":3},"
        "\"DeadLetterConfig\":{\"Arn\":\"" QUEUE_ARN "dlq\"}}]}");
    int64_t start = clock_now_ms(&srv->clock);
    run(srv, "AWSEvents.PutEvents",
        "{\"Entries\":[{\"Source\":\"shop\",\"DetailType\":\"Order\","
        "\"Detail\":\"{}\"}]}");
    drain(srv);

    cr_assert_eq(flaky_calls, 4, "one attempt and three retries");
    /* Backoff 1 s, 2 s, 4 s on the virtual clock. */
    cr_assert_eq(clock_now_ms(&srv->clock) - start, 7000);
    cJSON *messages = receive_all(srv, "dlq");
    cr_assert_eq(cJSON_GetArraySize(messages), 1);
    cJSON *attrs = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetArrayItem(messages, 0), "MessageAttributes");
    cr_assert_str_eq(str(cJSON_GetObjectItemCaseSensitive(
                             attrs, "EXHAUSTED_RETRY_CONDITION"),
                         "StringValue"),
                     "MaximumRetryAttempts");
    cr_assert_str_eq(
        str(cJSON_GetObjectItemCaseSensitive(attrs, "RETRY_ATTEMPTS"),
            "StringValue"),
        "3");
    cr_assert_str_eq(str(cJSON_GetObjectItemCaseSensitive(attrs, "ERROR_CODE"),
                         "StringValue"),
                     "THROTTLING");
    cJSON_Delete(messages);
    cr_assert_eq(metric(srv, "default", "r", EVB_METRIC_INVOCATIONS), 1);
    cr_assert_eq(metric(srv, "default", "r", EVB_METRIC_FAILED), 1);
    ts_free(srv);
}

Test(evb_delivery, event_bus_target_forwards)
{
    stratus *srv = ts_new();
    create_queue(srv, "inbox");
    run(srv, "AWSEvents.CreateEventBus", "{\"Name\":\"second\"}");
    run(srv, "AWSEvents.PutRule",
        "{\"Name\":\"fwd\",\"EventPattern\":\"{\\\"source\\\":[\\\"shop\\\"]}"
        "\"}");
    run(srv, "AWSEvents.PutTargets",
        "{\"Rule\":\"fwd\",\"Targets\":[{\"Id\":\"b\",\"Arn\":"
        "\"arn:aws:events:us-east-1:123456789012:event-bus/second\"}]}");
    run(srv, "AWSEvents.PutRule",
        "{\"Name\":\"sink\",\"EventBusName\":\"second\","
        "\"EventPattern\":\"{\\\"source\\\":[\\\"shop\\\"]}\"}");
    run(srv, "AWSEvents.PutTargets",
        "{\"Rule\":\"sink\",\"EventBusName\":\"second\",\"Targets\":[{\"Id\":"
        "\"q\",\"Arn\":\"" QUEUE_ARN "inbox\",\"InputPath\":\"$.detail\"}]}");
    run(srv, "AWSEvents.PutEvents",
        "{\"Entries\":[{\"Source\":\"shop\",\"DetailType\":\"Order\","
        "\"Detail\":\"{\\\"n\\\":7}\"}]}");
    drain(srv);
    cJSON *messages = receive_all(srv, "inbox");
    cr_assert_eq(cJSON_GetArraySize(messages), 1);
    cr_assert_str_eq(str(cJSON_GetArrayItem(messages, 0), "Body"), "{\"n\":7}");
    cJSON_Delete(messages);
    ts_free(srv);
}

/* CollectIQ's auto-revalue rule and input transformer, with an SQS queue in
 * place of the state machine. */
static void collectiq_setup(stratus *srv)
{
    create_queue(srv, "revalue");
    create_queue(srv, "collectiq-hackathon-events-dlq");
    run(srv, "AWSEvents.CreateEventBus",
        "{\"Name\":\"collectiq-hackathon-events\"}");
    run(srv, "AWSEvents.PutRule",
        "{\"Name\":\"card_created_auto_revalue\","
        "\"EventBusName\":\"collectiq-hackathon-events\","
        "\"Description\":\"Automatically trigger AI analysis when card is "
        "created\",\"EventPattern\":\"{\\\"source\\\":[\\\"collectiq.cards\\\"]"
        ","
        "\\\"detail-type\\\":[\\\"CardCreated\\\"]}\"}");

    cJSON *targets = cJSON_CreateObject();
    cJSON_AddStringToObject(targets, "Rule", "card_created_auto_revalue");
    cJSON_AddStringToObject(targets, "EventBusName",
                            "collectiq-hackathon-events");
    cJSON *t = cJSON_CreateObject();
    cJSON_AddItemToArray(cJSON_AddArrayToObject(targets, "Targets"), t);
    cJSON_AddStringToObject(t, "Id", "card_created_auto_revalue-target");
    cJSON_AddStringToObject(t, "Arn", QUEUE_ARN "revalue");
    cJSON *retry = cJSON_AddObjectToObject(t, "RetryPolicy");
    cJSON_AddNumberToObject(retry, "MaximumEventAgeInSeconds", 86400);
    cJSON_AddNumberToObject(retry, "MaximumRetryAttempts", 3);
    cJSON_AddStringToObject(cJSON_AddObjectToObject(t, "DeadLetterConfig"),
                            "Arn", QUEUE_ARN "collectiq-hackathon-events-dlq");
    cJSON *transformer = cJSON_AddObjectToObject(t, "InputTransformer");
    cJSON *paths = cJSON_AddObjectToObject(transformer, "InputPathsMap");
    const char *vars[] = {
        "cardId", "userId", "frontS3Key", "backS3Key", "s3Bucket",
        "name",   "set",    "number",     "rarity",    "conditionEstimate"};
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++) {
        char path[64];
        snprintf(path, sizeof path, "$.detail.%s", vars[i]);
        cJSON_AddStringToObject(paths, vars[i], path);
    }
    cJSON_AddStringToObject(
        transformer, "InputTemplate",
        "{\n  \"userId\": \"<userId>\",\n  \"cardId\": \"<cardId>\",\n"
        "  \"s3Keys\": {\n    \"front\": \"<frontS3Key>\"\n  },\n"
        "  \"cardMeta\": {\n    \"name\": \"<name>\",\n    \"set\": \"<set>\","
        "\n    \"number\": \"<number>\",\n    \"rarity\": \"<rarity>\",\n"
        "    \"conditionEstimate\": \"<conditionEstimate>\",\n"
        "    \"frontS3Key\": \"<frontS3Key>\"\n  },\n"
        "  \"requestId\": \"<cardId>\"\n}");
    char *text = cJSON_PrintUnformatted(targets);
    run(srv, "AWSEvents.PutTargets", text);
    free(text);
    cJSON_Delete(targets);
}

static void collectiq_put(stratus *srv, const char *detail_json)
{
    cJSON *body = cJSON_CreateObject();
    cJSON *entry = cJSON_CreateObject();
    cJSON_AddItemToArray(cJSON_AddArrayToObject(body, "Entries"), entry);
    cJSON_AddStringToObject(entry, "Source", "collectiq.cards");
    cJSON_AddStringToObject(entry, "DetailType", "CardCreated");
    cJSON_AddStringToObject(entry, "Detail", detail_json);
    cJSON_AddStringToObject(entry, "EventBusName",
                            "collectiq-hackathon-events");
    char *text = cJSON_PrintUnformatted(body);
    run(srv, "AWSEvents.PutEvents", text);
    free(text);
    cJSON_Delete(body);
    drain(srv);
}

static cJSON *single_body(stratus *srv, const char *queue)
{
    cJSON *messages = receive_all(srv, queue);
    cr_assert_eq(cJSON_GetArraySize(messages), 1);
    cJSON *body = cJSON_Parse(str(cJSON_GetArrayItem(messages, 0), "Body"));
    cr_assert_not_null(body, "the delivered body is valid JSON");
    cJSON_Delete(messages);
    return body;
}

Test(evb_delivery, collectiq_all_fields)
{
    stratus *srv = ts_new();
    collectiq_setup(srv);
    collectiq_put(srv, "{\"cardId\":\"c-1\",\"userId\":\"u-1\","
                       "\"frontS3Key\":\"uploads/u-1/front.jpg\","
                       "\"backS3Key\":\"uploads/u-1/back.jpg\","
                       "\"s3Bucket\":\"cards\",\"name\":\"Pikachu\","
                       "\"set\":\"Base\",\"number\":\"58/102\","
                       "\"rarity\":\"Common\",\"conditionEstimate\":\"NM\","
                       "\"timestamp\":\"2026-01-01T00:00:00.000Z\"}");
    cJSON *body = single_body(srv, "revalue");
    cr_assert_str_eq(str(body, "userId"), "u-1");
    cr_assert_str_eq(str(body, "requestId"), "c-1");
    cr_assert_str_eq(
        str(cJSON_GetObjectItemCaseSensitive(body, "s3Keys"), "front"),
        "uploads/u-1/front.jpg");
    cJSON *meta = cJSON_GetObjectItemCaseSensitive(body, "cardMeta");
    cr_assert_str_eq(str(meta, "name"), "Pikachu");
    cr_assert_str_eq(str(meta, "number"), "58/102");
    cr_assert_str_eq(str(meta, "conditionEstimate"), "NM");
    cJSON_Delete(body);
    ts_free(srv);
}

Test(evb_delivery, collectiq_no_optional_fields)
{
    stratus *srv = ts_new();
    collectiq_setup(srv);
    collectiq_put(srv, "{\"cardId\":\"c-2\",\"userId\":\"u-2\","
                       "\"frontS3Key\":\"uploads/u-2/front.jpg\","
                       "\"s3Bucket\":\"\","
                       "\"timestamp\":\"2026-01-01T00:00:00.000Z\"}");
    cJSON *body = single_body(srv, "revalue");
    cJSON *meta = cJSON_GetObjectItemCaseSensitive(body, "cardMeta");
    cr_assert_str_eq(str(meta, "name"), "");
    cr_assert_str_eq(str(meta, "set"), "");
    cr_assert_str_eq(str(meta, "rarity"), "");
    cr_assert_str_eq(str(meta, "frontS3Key"), "uploads/u-2/front.jpg");
    cJSON_Delete(body);
    cr_assert_eq(metric(srv, "collectiq-hackathon-events",
                        "card_created_auto_revalue", EVB_METRIC_FAILED),
                 0);
    ts_free(srv);
}

Test(evb_delivery, collectiq_quote_in_name)
{
    stratus *srv = ts_new();
    collectiq_setup(srv);
    collectiq_put(srv, "{\"cardId\":\"c-3\",\"userId\":\"u-3\","
                       "\"frontS3Key\":\"f.jpg\",\"s3Bucket\":\"\","
                       "\"name\":\"Charizard \\\"Holo\\\"\"}");
    cJSON *messages = receive_all(srv, "revalue");
    cr_assert_eq(cJSON_GetArraySize(messages), 0, "invalid JSON is dropped");
    cJSON_Delete(messages);

    const char *bus = "collectiq-hackathon-events";
    const char *rule = "card_created_auto_revalue";
    cr_assert_eq(metric(srv, bus, rule, EVB_METRIC_MATCHED), 1);
    cr_assert_eq(metric(srv, bus, rule, EVB_METRIC_TRIGGERED), 1);
    cr_assert_eq(metric(srv, bus, rule, EVB_METRIC_FAILED), 1);
    cr_assert_eq(metric(srv, bus, rule, EVB_METRIC_SENT_TO_DLQ), 1);

    cJSON *dlq = receive_all(srv, "collectiq-hackathon-events-dlq");
    cr_assert_eq(cJSON_GetArraySize(dlq), 1);
    cJSON *record = cJSON_GetArrayItem(dlq, 0);
    cJSON *event = cJSON_Parse(str(record, "Body"));
    cr_assert_str_eq(str(event, "source"), "collectiq.cards");
    cJSON_Delete(event);
    cJSON *attrs =
        cJSON_GetObjectItemCaseSensitive(record, "MessageAttributes");
    cr_assert_str_eq(
        str(cJSON_GetObjectItemCaseSensitive(attrs, "RULE_ARN"), "StringValue"),
        "arn:aws:events:us-east-1:123456789012:rule/"
        "collectiq-hackathon-events/card_created_auto_revalue");
    cr_assert_not_null(cJSON_GetObjectItemCaseSensitive(attrs, "ERROR_CODE"));
    cr_assert_not_null(
        cJSON_GetObjectItemCaseSensitive(attrs, "ERROR_MESSAGE"));
    cJSON_Delete(dlq);
    ts_free(srv);
}

/* Deliver one shared input-transformer case through a rule and an SQS
 * target, and compare with what AWS delivered. */
static void run_transformer_case(const char *path)
{
    char *text = ts_read_file(path);
    cr_assert_not_null(text, "cannot read %s", path);
    cJSON *c = cJSON_Parse(text);
    free(text);
    cJSON *input = cJSON_GetObjectItemCaseSensitive(c, "input");
    cJSON *expected = cJSON_GetObjectItemCaseSensitive(c, "expected");
    cJSON *event = cJSON_GetObjectItemCaseSensitive(input, "event");
    cJSON *templates = cJSON_GetObjectItemCaseSensitive(input, "templates");
    cJSON *per = cJSON_GetObjectItemCaseSensitive(expected, "per_template");
    cJSON *single = cJSON_CreateArray();
    if (!templates) {
        cJSON_AddItemToArray(
            single,
            cJSON_Duplicate(
                cJSON_GetObjectItemCaseSensitive(input, "InputTemplate"), 1));
        templates = single;
    }

    int index = 0;
    const cJSON *tmpl;
    cJSON_ArrayForEach(tmpl, templates)
    {
        const cJSON *want = per ? cJSON_GetArrayItem(per, index) : expected;
        index++;
        if (cJSON_GetObjectItemCaseSensitive(want, "target_body_json_shape"))
            continue; /* depends on the event id and time */

        stratus *srv = ts_new();
        create_queue(srv, "out");
        char rule[256];
        snprintf(rule, sizeof rule,
                 "{\"Name\":\"r\",\"EventPattern\":"
                 "\"{\\\"source\\\":[\\\"%s\\\"]}\"}",
                 str(event, "source"));
        run(srv, "AWSEvents.PutRule", rule);

        cJSON *put = cJSON_CreateObject();
        cJSON_AddStringToObject(put, "Rule", "r");
        cJSON *t = cJSON_CreateObject();
        cJSON_AddItemToArray(cJSON_AddArrayToObject(put, "Targets"), t);
        cJSON_AddStringToObject(t, "Id", "q");
        cJSON_AddStringToObject(t, "Arn", QUEUE_ARN "out");
        cJSON *transformer = cJSON_AddObjectToObject(t, "InputTransformer");
        cJSON_AddItemToObject(
            transformer, "InputPathsMap",
            cJSON_Duplicate(
                cJSON_GetObjectItemCaseSensitive(input, "InputPathsMap"), 1));
        cJSON_AddStringToObject(transformer, "InputTemplate",
                                tmpl->valuestring);
        char *put_text = cJSON_PrintUnformatted(put);
        run(srv, "AWSEvents.PutTargets", put_text);
        free(put_text);
        cJSON_Delete(put);

        cJSON *events = cJSON_CreateObject();
        cJSON *entry = cJSON_CreateObject();
        cJSON_AddItemToArray(cJSON_AddArrayToObject(events, "Entries"), entry);
        cJSON_AddStringToObject(entry, "Source", str(event, "source"));
        cJSON_AddStringToObject(entry, "DetailType", str(event, "detail-type"));
        char *detail = cJSON_PrintUnformatted(
            cJSON_GetObjectItemCaseSensitive(event, "detail"));
        cJSON_AddStringToObject(entry, "Detail", detail);
        free(detail);
        char *events_text = cJSON_PrintUnformatted(events);
        run(srv, "AWSEvents.PutEvents", events_text);
        free(events_text);
        cJSON_Delete(events);
        drain(srv);

        cJSON *messages = receive_all(srv, "out");
        const cJSON *delivered =
            cJSON_GetObjectItemCaseSensitive(want, "delivered");
        const cJSON *body_json =
            cJSON_GetObjectItemCaseSensitive(want, "target_body_json");
        const char *body_text = str(want, "target_body_text");
        if (cJSON_IsFalse(delivered)) {
            cr_expect_eq(cJSON_GetArraySize(messages), 0,
                         "%s template %d: expected no delivery", path, index);
        } else {
            cr_assert_eq(cJSON_GetArraySize(messages), 1,
                         "%s template %d: expected one message", path, index);
            const char *got = str(cJSON_GetArrayItem(messages, 0), "Body");
            if (body_text)
                cr_expect_str_eq(got, body_text, "%s template %d", path, index);
            if (body_json) {
                cJSON *parsed = cJSON_Parse(got);
                cr_expect(cJSON_Compare(parsed, body_json, 1),
                          "%s template %d: got %s", path, index, got);
                cJSON_Delete(parsed);
            }
        }
        cJSON_Delete(messages);
        ts_free(srv);
    }
    cJSON_Delete(single);
    cJSON_Delete(c);
}

Test(evb_delivery, shared_transformer_cases)
{
    const char *shared = ts_shared_dir();
    if (!shared) {
        cr_skip_test("STRATUS_SHARED_DIR is not set or absent: skipping the "
                     "shared input-transformer cases");
        return;
    }
    const char *cases[] = {
        "transformer-missing-path-yields-empty.json",
        "transformer-object-and-list-values.json",
        "transformer-placeholder-inside-json-string.json",
        "transformer-unquoted-string-value-becomes-json-string.json",
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/cases/events/%s", shared, cases[i]);
        run_transformer_case(path);
    }
}

Test(evb_delivery, rate_schedule_sends_events)
{
    stratus *srv = ts_new();
    create_queue(srv, "ticks");
    run(srv, "AWSEvents.PutRule",
        "{\"Name\":\"tick\",\"ScheduleExpression\":\"rate(5 minutes)\"}");
    run(srv, "AWSEvents.PutTargets",
        "{\"Rule\":\"tick\",\"Targets\":[{\"Id\":\"q\",\"Arn\":\"" QUEUE_ARN
        "ticks\"}]}");
    int64_t start = clock_now_ms(&srv->clock);

    /* Three periods pass: three scheduled events. */
    for (int i = 0; i < 3; i++) {
        int64_t next = jobs_next_due(srv->jobs);
        cr_assert_eq(next, start + (i + 1) * 300000);
        clock_advance_to(&srv->clock, next);
        jobs_run_due(srv->jobs);
        stratus_turn_end(srv);
        jobs_run_due(srv->jobs); /* the deliveries it queued */
        stratus_turn_end(srv);
    }
    cJSON *messages = receive_all(srv, "ticks");
    cr_assert_eq(cJSON_GetArraySize(messages), 3);
    cJSON *event = cJSON_Parse(str(cJSON_GetArrayItem(messages, 0), "Body"));
    cr_assert_str_eq(str(event, "source"), "aws.events");
    cr_assert_str_eq(str(event, "detail-type"), "Scheduled Event");
    cr_assert_str_eq(
        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(event, "resources"),
                           0)
            ->valuestring,
        "arn:aws:events:us-east-1:123456789012:rule/tick");
    cJSON_Delete(event);
    cJSON_Delete(messages);

    /* A disabled rule's schedule ends at its next run. */
    run(srv, "AmazonSQS.PurgeQueue", "{\"QueueUrl\":\"" QUEUE_URL "ticks\"}");
    run(srv, "AWSEvents.DisableRule", "{\"Name\":\"tick\"}");
    drain(srv);
    cr_assert_eq(jobs_next_due(srv->jobs), -1);
    messages = receive_all(srv, "ticks");
    cr_assert_eq(cJSON_GetArraySize(messages), 0);
    cJSON_Delete(messages);
    ts_free(srv);
}
