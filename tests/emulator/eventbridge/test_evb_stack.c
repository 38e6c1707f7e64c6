/*
 * test_evb_stack.c: the AWS::SQS::Queue, AWS::Events::EventBus and
 * AWS::Events::Rule stack types, applied from a stack file and then used
 * through the API.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "stack.h"
#include "ts.h"

static const char stack_text[] =
    "Resources:\n"
    "  Inbox:\n"
    "    Type: AWS::SQS::Queue\n"
    "    Properties:\n"
    "      QueueName: inbox\n"
    "      VisibilityTimeout: 45\n"
    "      Tags:\n"
    "        - {Key: team, Value: cards}\n"
    "  EventsDlq:\n"
    "    Type: AWS::SQS::Queue\n"
    "    Properties:\n"
    "      MessageRetentionPeriod: 1209600\n"
    "  Bus:\n"
    "    Type: AWS::Events::EventBus\n"
    "    Properties:\n"
    "      Name: collectiq-hackathon-events\n"
    "  AutoRevalue:\n"
    "    Type: AWS::Events::Rule\n"
    "    Properties:\n"
    "      Name: card_created_auto_revalue\n"
    "      EventBusName: collectiq-hackathon-events\n"
    "      EventPattern:\n"
    "        source: [collectiq.cards]\n"
    "        detail-type: [CardCreated]\n"
    "      Targets:\n"
    "        - Id: to-inbox\n"
    "          Arn: arn:aws:sqs:us-east-1:123456789012:inbox\n"
    "          InputPath: $.detail\n"
    "          RetryPolicy: {MaximumRetryAttempts: 3}\n"
    "          DeadLetterConfig:\n"
    "            Arn: arn:aws:sqs:us-east-1:123456789012:EventsDlq\n";

/* Write `text` to a new temporary file and return its path (static). */
static const char *write_stack(const char *text)
{
    static char path[] = "/tmp/stratus-evb-stack-XXXXXX";
    strcpy(path, "/tmp/stratus-evb-stack-XXXXXX");
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0, "cannot create a temporary stack file");
    size_t len = strlen(text);
    cr_assert_eq(write(fd, text, len), (ssize_t)len);
    close(fd);
    return path;
}

static cJSON *call(stratus *srv, const char *target, const char *body)
{
    int status = 0;
    cJSON *out = ts_call(srv, target, body, &status);
    cr_assert_eq(status, 200, "%s %s failed: %s", target, body,
                 out ? cJSON_PrintUnformatted(out) : "(no body)");
    return out;
}

static const char *str(const cJSON *obj, const char *name)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(m) ? m->valuestring : NULL;
}

Test(evb_stack, queue_bus_and_rule)
{
    stratus *srv = ts_new();
    const char *path = write_stack(stack_text);
    char errbuf[512] = "";
    int rc = stack_apply_file(srv, path, errbuf, sizeof errbuf);
    unlink(path);
    cr_assert_eq(rc, 0, "stack failed: %s", errbuf);

    cJSON *out = call(srv, "AmazonSQS.GetQueueAttributes",
                      "{\"QueueUrl\":\"http://127.0.0.1:4566/123456789012/"
                      "inbox\",\"AttributeNames\":[\"VisibilityTimeout\"]}");
    cr_assert_str_eq(str(cJSON_GetObjectItemCaseSensitive(out, "Attributes"),
                         "VisibilityTimeout"),
                     "45");
    cJSON_Delete(out);
    out = call(srv, "AmazonSQS.GetQueueUrl", "{\"QueueName\":\"EventsDlq\"}");
    cJSON_Delete(out);

    out = call(srv, "AWSEvents.DescribeRule",
               "{\"Name\":\"card_created_auto_revalue\","
               "\"EventBusName\":\"collectiq-hackathon-events\"}");
    cJSON *pattern = cJSON_Parse(str(out, "EventPattern"));
    cr_assert_str_eq(cJSON_GetArrayItem(
                         cJSON_GetObjectItemCaseSensitive(pattern, "source"), 0)
                         ->valuestring,
                     "collectiq.cards");
    cJSON_Delete(pattern);
    cJSON_Delete(out);

    out = call(srv, "AWSEvents.ListTargetsByRule",
               "{\"Rule\":\"card_created_auto_revalue\","
               "\"EventBusName\":\"collectiq-hackathon-events\"}");
    cJSON *target =
        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(out, "Targets"), 0);
    cr_assert_str_eq(str(target, "Id"), "to-inbox");
    cr_assert_str_eq(str(target, "InputPath"), "$.detail");
    cJSON_Delete(out);
    ts_free(srv);
}

Test(evb_stack, invalid_pattern_fails_deployment)
{
    stratus *srv = ts_new();
    const char *path = write_stack("Resources:\n"
                                   "  Bad:\n"
                                   "    Type: AWS::Events::Rule\n"
                                   "    Properties:\n"
                                   "      EventPattern:\n"
                                   "        source: collectiq.cards\n");
    char errbuf[512] = "";
    int rc = stack_apply_file(srv, path, errbuf, sizeof errbuf);
    unlink(path);
    cr_assert_eq(rc, -1);
    cr_assert(strstr(errbuf, "Bad") != NULL, "error names the resource: %s",
              errbuf);
    cr_assert(strstr(errbuf, "Event pattern is not valid") != NULL,
              "error gives AWS's reason: %s", errbuf);
    ts_free(srv);
}
