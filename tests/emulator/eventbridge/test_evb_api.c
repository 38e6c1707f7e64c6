/*
 * test_evb_api.c: the EventBridge bus, rule, target, PutEvents and
 * TestEventPattern operations through the real dispatcher, with AWS's
 * error types and texts.
 */
#include <string.h>

#include <criterion/criterion.h>

#include "ts.h"

static cJSON *evb(stratus *srv, const char *op, const char *body, int *status)
{
    char target[64];
    snprintf(target, sizeof target, "AWSEvents.%s", op);
    return ts_call(srv, target, body, status);
}

static cJSON *ok(stratus *srv, const char *op, const char *body)
{
    int status = 0;
    cJSON *out = evb(srv, op, body, &status);
    cr_assert_eq(status, 200, "%s %s failed: %s", op, body,
                 out ? cJSON_PrintUnformatted(out) : "(no body)");
    return out;
}

static const char *str(const cJSON *obj, const char *name)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(m) ? m->valuestring : NULL;
}

/* Expect an error; `message` NULL skips the text, and a message ending in
 * '*' is a prefix. */
static void expect_error(stratus *srv, const char *op, const char *body,
                         const char *type, const char *message)
{
    int status = 0;
    cJSON *out = evb(srv, op, body, &status);
    cr_assert_eq(status, 400, "%s: status %d", op, status);
    cr_assert_str_eq(str(out, "__type"), type);
    if (message) {
        size_t len = strlen(message);
        if (len && message[len - 1] == '*')
            cr_assert_eq(strncmp(str(out, "message"), message, len - 1), 0,
                         "message: %s", str(out, "message"));
        else
            cr_assert_str_eq(str(out, "message"), message);
    }
    cJSON_Delete(out);
}

Test(evb_api, event_bus_lifecycle)
{
    stratus *srv = ts_new();
    cJSON *out = ok(srv, "CreateEventBus", "{\"Name\":\"orders\"}");
    cr_assert_str_eq(str(out, "EventBusArn"),
                     "arn:aws:events:us-east-1:123456789012:event-bus/orders");
    cJSON_Delete(out);
    expect_error(srv, "CreateEventBus", "{\"Name\":\"orders\"}",
                 "ResourceAlreadyExistsException",
                 "Event bus orders already exists.");

    out = ok(srv, "DescribeEventBus", "{\"Name\":\"orders\"}");
    cr_assert_str_eq(str(out, "Name"), "orders");
    cJSON_Delete(out);
    out = ok(srv, "DescribeEventBus", "{}");
    cr_assert_str_eq(str(out, "Name"), "default");
    cJSON_Delete(out);

    out = ok(srv, "ListEventBuses", "{}");
    cJSON *buses = cJSON_GetObjectItemCaseSensitive(out, "EventBuses");
    cr_assert_eq(cJSON_GetArraySize(buses), 2);
    cr_assert_str_eq(str(cJSON_GetArrayItem(buses, 0), "Name"), "default");
    cr_assert_str_eq(str(cJSON_GetArrayItem(buses, 1), "Name"), "orders");
    cJSON_Delete(out);

    expect_error(srv, "DeleteEventBus", "{\"Name\":\"default\"}",
                 "ValidationException", "Cannot delete event bus default.");
    cJSON_Delete(ok(srv, "DeleteEventBus", "{\"Name\":\"orders\"}"));
    expect_error(srv, "DescribeEventBus", "{\"Name\":\"orders\"}",
                 "ResourceNotFoundException",
                 "Event bus orders does not exist.");
    ts_free(srv);
}

Test(evb_api, rule_is_scoped_to_its_bus)
{
    stratus *srv = ts_new();
    cJSON_Delete(
        ok(srv, "CreateEventBus", "{\"Name\":\"collectiq-hackathon-events\"}"));
    cJSON *out =
        ok(srv, "PutRule",
           "{\"Name\":\"card_created_auto_revalue\","
           "\"EventBusName\":\"collectiq-hackathon-events\","
           "\"EventPattern\":\"{\\\"source\\\":[\\\"collectiq.cards\\\"],"
           "\\\"detail-type\\\":[\\\"CardCreated\\\"]}\"}");
    cr_assert_str_eq(str(out, "RuleArn"),
                     "arn:aws:events:us-east-1:123456789012:rule/"
                     "collectiq-hackathon-events/card_created_auto_revalue");
    cJSON_Delete(out);

    expect_error(srv, "DisableRule", "{\"Name\":\"card_created_auto_revalue\"}",
                 "ResourceNotFoundException",
                 "Rule card_created_auto_revalue does not exist on EventBus "
                 "default.");
    cJSON_Delete(ok(srv, "DisableRule",
                    "{\"Name\":\"card_created_auto_revalue\","
                    "\"EventBusName\":\"collectiq-hackathon-events\"}"));
    out = ok(srv, "DescribeRule",
             "{\"Name\":\"card_created_auto_revalue\",\"EventBusName\":"
             "\"arn:aws:events:us-east-1:123456789012:event-bus/"
             "collectiq-hackathon-events\"}");
    cr_assert_str_eq(str(out, "State"), "DISABLED");
    cr_assert_str_eq(str(out, "EventBusName"), "collectiq-hackathon-events");
    cJSON_Delete(out);
    cJSON_Delete(ok(srv, "EnableRule",
                    "{\"Name\":\"card_created_auto_revalue\","
                    "\"EventBusName\":\"collectiq-hackathon-events\"}"));
    expect_error(srv, "PutRule",
                 "{\"Name\":\"r\",\"EventBusName\":\"nope\","
                 "\"EventPattern\":\"{}\"}",
                 "ResourceNotFoundException", "Event bus nope does not exist.");
    ts_free(srv);
}

Test(evb_api, put_rule_validation)
{
    stratus *srv = ts_new();
    expect_error(srv, "PutRule",
                 "{\"Name\":\"r\",\"EventPattern\":"
                 "\"{\\\"source\\\":\\\"not-a-list\\\"}\"}",
                 "InvalidEventPatternException",
                 "Event pattern is not valid. Reason: *");
    expect_error(srv, "PutRule", "{\"Name\":\"r\"}", "ValidationException",
                 "Parameter(s) EventPattern or ScheduleExpression must be "
                 "specified.");
    expect_error(srv, "PutRule",
                 "{\"Name\":\"r\",\"ScheduleExpression\":\"rate(5 minute)\"}",
                 "ValidationException",
                 "Parameter ScheduleExpression is not valid.");
    expect_error(srv, "PutRule",
                 "{\"Name\":\"bad name\",\"EventPattern\":\"{}\"}",
                 "ValidationException",
                 "1 validation error detected: Value 'bad name' at 'name' "
                 "failed to satisfy constraint: Member must satisfy regular "
                 "expression pattern: [\\.\\-_A-Za-z0-9]+");
    cJSON_Delete(ok(srv, "PutRule",
                    "{\"Name\":\"tick\",\"ScheduleExpression\":"
                    "\"rate(5 minutes)\"}"));
    cJSON_Delete(ok(srv, "CreateEventBus", "{\"Name\":\"b\"}"));
    expect_error(srv, "PutRule",
                 "{\"Name\":\"tick\",\"EventBusName\":\"b\","
                 "\"ScheduleExpression\":\"rate(1 hour)\"}",
                 "ValidationException",
                 "ScheduleExpression is supported only on the default event "
                 "bus.");
    ts_free(srv);
}

Test(evb_api, list_rules_pages)
{
    stratus *srv = ts_new();
    const char *names[] = {"app-a", "app-b", "app-c", "other"};
    for (size_t i = 0; i < 4; i++) {
        char body[128];
        snprintf(body, sizeof body,
                 "{\"Name\":\"%s\",\"EventPattern\":"
                 "\"{\\\"source\\\":[\\\"x\\\"]}\"}",
                 names[i]);
        cJSON_Delete(ok(srv, "PutRule", body));
    }
    cJSON *out = ok(srv, "ListRules", "{\"NamePrefix\":\"app-\",\"Limit\":2}");
    cJSON *rules = cJSON_GetObjectItemCaseSensitive(out, "Rules");
    cr_assert_eq(cJSON_GetArraySize(rules), 2);
    cr_assert_str_eq(str(cJSON_GetArrayItem(rules, 0), "Name"), "app-a");
    cr_assert_str_eq(str(out, "NextToken"), "app-b");
    char body[128];
    snprintf(body, sizeof body,
             "{\"NamePrefix\":\"app-\",\"Limit\":2,\"NextToken\":\"%s\"}",
             str(out, "NextToken"));
    cJSON_Delete(out);
    out = ok(srv, "ListRules", body);
    rules = cJSON_GetObjectItemCaseSensitive(out, "Rules");
    cr_assert_eq(cJSON_GetArraySize(rules), 1);
    cr_assert_str_eq(str(cJSON_GetArrayItem(rules, 0), "Name"), "app-c");
    cr_assert_null(cJSON_GetObjectItemCaseSensitive(out, "NextToken"));
    cJSON_Delete(out);
    ts_free(srv);
}

Test(evb_api, targets_lifecycle)
{
    stratus *srv = ts_new();
    cJSON_Delete(ok(srv, "PutRule",
                    "{\"Name\":\"r\",\"EventPattern\":"
                    "\"{\\\"source\\\":[\\\"x\\\"]}\"}"));
    expect_error(srv, "PutTargets",
                 "{\"Rule\":\"r\",\"Targets\":[{\"Id\":\"t\",\"Arn\":"
                 "\"arn:aws:sqs:us-east-1:123456789012:q\","
                 "\"InputTransformer\":{\"InputPathsMap\":{},"
                 "\"InputTemplate\":\"<missing>\"}}]}",
                 "ValidationException",
                 "InputTemplate for target t contains invalid placeholder "
                 "missing.");
    expect_error(srv, "PutTargets",
                 "{\"Rule\":\"r\",\"Targets\":[{\"Id\":\"t\",\"Arn\":"
                 "\"arn:aws:states:us-east-1:123456789012:stateMachine:m\"}]}",
                 "ValidationException",
                 "RoleArn is required for target "
                 "arn:aws:states:us-east-1:123456789012:stateMachine:m.");
    expect_error(srv, "PutTargets",
                 "{\"Rule\":\"r\",\"Targets\":[{\"Id\":\"t\",\"Arn\":"
                 "\"arn:aws:sqs:us-east-1:123456789012:q\",\"RetryPolicy\":"
                 "{\"MaximumRetryAttempts\":186}}]}",
                 "ValidationException",
                 "1 validation error detected: Value '186' at "
                 "'targets.1.member.retryPolicy.maximumRetryAttempts' failed "
                 "to satisfy constraint: Member must have value less than or "
                 "equal to 185");

    cJSON *out = ok(srv, "PutTargets",
                    "{\"Rule\":\"r\",\"Targets\":["
                    "{\"Id\":\"a\",\"Arn\":\"arn:aws:sqs:us-east-1:"
                    "123456789012:q\"},"
                    "{\"Id\":\"b\",\"Arn\":\"arn:aws:sqs:us-east-1:"
                    "123456789012:q\",\"Input\":\"{}\"}]}");
    cr_assert_eq(
        cJSON_GetObjectItemCaseSensitive(out, "FailedEntryCount")->valueint, 0);
    cJSON_Delete(out);
    expect_error(srv, "PutTargets",
                 "{\"Rule\":\"r\",\"Targets\":["
                 "{\"Id\":\"c\",\"Arn\":\"arn:aws:sqs:us-east-1:1:q\"},"
                 "{\"Id\":\"d\",\"Arn\":\"arn:aws:sqs:us-east-1:1:q\"},"
                 "{\"Id\":\"e\",\"Arn\":\"arn:aws:sqs:us-east-1:1:q\"},"
                 "{\"Id\":\"f\",\"Arn\":\"arn:aws:sqs:us-east-1:1:q\"}]}",
                 "LimitExceededException",
                 "The requested resource exceeds the maximum number allowed.");

    out = ok(srv, "ListTargetsByRule", "{\"Rule\":\"r\"}");
    cJSON *targets = cJSON_GetObjectItemCaseSensitive(out, "Targets");
    cr_assert_eq(cJSON_GetArraySize(targets), 2);
    cr_assert_str_eq(str(cJSON_GetArrayItem(targets, 1), "Input"), "{}");
    cJSON_Delete(out);

    out = ok(srv, "ListRuleNamesByTarget",
             "{\"TargetArn\":\"arn:aws:sqs:us-east-1:123456789012:q\"}");
    cr_assert_eq(
        cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(out, "RuleNames")),
        1);
    cJSON_Delete(out);

    expect_error(srv, "DeleteRule", "{\"Name\":\"r\"}", "ValidationException",
                 "Rule can't be deleted since it has targets.");
    cJSON_Delete(
        ok(srv, "RemoveTargets", "{\"Rule\":\"r\",\"Ids\":[\"a\",\"b\"]}"));
    cJSON_Delete(ok(srv, "DeleteRule", "{\"Name\":\"r\"}"));
    expect_error(srv, "DescribeRule", "{\"Name\":\"r\"}",
                 "ResourceNotFoundException",
                 "Rule r does not exist on EventBus default.");
    ts_free(srv);
}

Test(evb_api, put_events_entries)
{
    stratus *srv = ts_new();
    cJSON_Delete(ok(srv, "CreateEventBus", "{\"Name\":\"b\"}"));
    cJSON *out =
        ok(srv, "PutEvents",
           "{\"Entries\":["
           "{\"Source\":\"s\",\"DetailType\":\"t\",\"Detail\":\"{}\","
           "\"EventBusName\":\"arn:aws:events:us-east-1:123456789012:"
           "event-bus/b\"},"
           "{\"DetailType\":\"t\",\"Detail\":\"{}\"},"
           "{\"Source\":\"s\",\"DetailType\":\"t\",\"Detail\":\"[1]\"},"
           "{\"Source\":\"s\",\"DetailType\":\"t\",\"Detail\":\"{}\","
           "\"EventBusName\":\"missing\"}]}");
    cr_assert_eq(
        cJSON_GetObjectItemCaseSensitive(out, "FailedEntryCount")->valueint, 3);
    cJSON *entries = cJSON_GetObjectItemCaseSensitive(out, "Entries");
    cr_assert_eq(strlen(str(cJSON_GetArrayItem(entries, 0), "EventId")), 36);
    cr_assert_str_eq(str(cJSON_GetArrayItem(entries, 1), "ErrorCode"),
                     "InvalidArgument");
    cr_assert_str_eq(str(cJSON_GetArrayItem(entries, 2), "ErrorCode"),
                     "MalformedDetail");
    cr_assert_str_eq(str(cJSON_GetArrayItem(entries, 3), "ErrorCode"),
                     "ResourceNotFoundException");
    cJSON_Delete(out);

    char *big = malloc(1100 * 1024);
    strcpy(big, "{\"Entries\":[{\"Source\":\"s\",\"DetailType\":\"t\","
                "\"Detail\":\"{\\\"a\\\":\\\"");
    size_t len = strlen(big);
    memset(big + len, 'x', 1050 * 1024);
    strcpy(big + len + 1050 * 1024, "\\\"}\"}]}");
    expect_error(srv, "PutEvents", big, "ValidationException",
                 "Total size of the entries in the request is over the "
                 "limit.");
    free(big);
    ts_free(srv);
}

Test(evb_api, test_event_pattern)
{
    stratus *srv = ts_new();
    cJSON *out = ok(srv, "TestEventPattern",
                    "{\"EventPattern\":\"{\\\"source\\\":[{\\\"prefix\\\":"
                    "\\\"a.\\\"}]}\",\"Event\":\"{\\\"source\\\":"
                    "\\\"a.b\\\"}\"}");
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(out, "Result")));
    cJSON_Delete(out);
    out = ok(srv, "TestEventPattern",
             "{\"EventPattern\":\"{\\\"source\\\":[\\\"c\\\"]}\","
             "\"Event\":\"{\\\"source\\\":\\\"a.b\\\"}\"}");
    cr_assert(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(out, "Result")));
    cJSON_Delete(out);
    expect_error(srv, "TestEventPattern",
                 "{\"EventPattern\":\"{\\\"source\\\":[{\\\"bogus\\\":1}]}\","
                 "\"Event\":\"{}\"}",
                 "InvalidEventPatternException",
                 "Event pattern is not valid. Reason: *");
    ts_free(srv);
}

Test(evb_api, tags_on_rules_and_buses)
{
    stratus *srv = ts_new();
    cJSON_Delete(ok(srv, "CreateEventBus",
                    "{\"Name\":\"b\",\"Tags\":[{\"Key\":\"team\","
                    "\"Value\":\"cards\"}]}"));
    cJSON_Delete(ok(srv, "PutRule",
                    "{\"Name\":\"r\",\"EventBusName\":\"b\",\"EventPattern\":"
                    "\"{\\\"source\\\":[\\\"x\\\"]}\"}"));
    const char *rule_arn = "arn:aws:events:us-east-1:123456789012:rule/b/r";
    char body[256];
    snprintf(body, sizeof body,
             "{\"ResourceARN\":\"%s\",\"Tags\":[{\"Key\":\"a\",\"Value\":"
             "\"1\"},{\"Key\":\"b\",\"Value\":\"2\"}]}",
             rule_arn);
    cJSON_Delete(ok(srv, "TagResource", body));
    snprintf(body, sizeof body, "{\"ResourceARN\":\"%s\",\"TagKeys\":[\"a\"]}",
             rule_arn);
    cJSON_Delete(ok(srv, "UntagResource", body));
    snprintf(body, sizeof body, "{\"ResourceARN\":\"%s\"}", rule_arn);
    cJSON *out = ok(srv, "ListTagsForResource", body);
    cJSON *tags = cJSON_GetObjectItemCaseSensitive(out, "Tags");
    cr_assert_eq(cJSON_GetArraySize(tags), 1);
    cr_assert_str_eq(str(cJSON_GetArrayItem(tags, 0), "Key"), "b");
    cJSON_Delete(out);

    out = ok(srv, "ListTagsForResource",
             "{\"ResourceARN\":\"arn:aws:events:us-east-1:123456789012:"
             "event-bus/b\"}");
    tags = cJSON_GetObjectItemCaseSensitive(out, "Tags");
    cr_assert_eq(cJSON_GetArraySize(tags), 1);
    cr_assert_str_eq(str(cJSON_GetArrayItem(tags, 0), "Value"), "cards");
    cJSON_Delete(out);

    expect_error(srv, "TagResource",
                 "{\"ResourceARN\":\"arn:aws:events:us-east-1:123456789012:"
                 "rule/missing\",\"Tags\":[]}",
                 "ResourceNotFoundException",
                 "Rule missing does not exist on EventBus default.");
    ts_free(srv);
}
