/*
 * test_lam_targets.c: Lambda functions as EventBridge targets. A matched
 * event becomes an asynchronous invoke; a missing function goes to the
 * rule target's dead-letter queue without retries.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "evb_internal.h"
#include "jobs.h"
#include "ts.h"

#define FUNCTION_ARN "arn:aws:lambda:us-east-1:123456789012:function:"
#define QUEUE_ARN "arn:aws:sqs:us-east-1:123456789012:"

static void run(stratus *srv, const char *target, const char *body)
{
    int status = 0;
    cJSON *out = ts_call(srv, target, body, &status);
    cr_assert_eq(status, 200, "%s failed: %s", target,
                 out ? cJSON_PrintUnformatted(out) : "(no body)");
    cJSON_Delete(out);
}

/* Deliver everything due now; invokes started by it are not awaited. */
static void deliver(stratus *srv)
{
    for (int i = 0; i < 10 && jobs_run_due(srv->jobs) > 0; i++)
        stratus_turn_end(srv);
    stratus_turn_end(srv);
}

static int64_t metric(stratus *srv, const char *name)
{
    return evb__metric_total(srv, "123456789012", "us-east-1", "default", "r",
                             name);
}

static void rule_to(stratus *srv, const char *function)
{
    char body[512];
    run(srv, "AmazonSQS.CreateQueue", "{\"QueueName\":\"dlq\"}");
    run(srv, "AWSEvents.PutRule",
        "{\"Name\":\"r\",\"EventPattern\":\"{\\\"source\\\":[\\\"shop\\\"]}"
        "\"}");
    snprintf(
        body, sizeof body,
        "{\"Rule\":\"r\",\"Targets\":[{\"Id\":\"f\",\"Arn\":\"" FUNCTION_ARN
        "%s\",\"DeadLetterConfig\":{\"Arn\":\"" QUEUE_ARN "dlq\"}}]}",
        function);
    run(srv, "AWSEvents.PutTargets", body);
    run(srv, "AWSEvents.PutEvents",
        "{\"Entries\":[{\"Source\":\"shop\",\"DetailType\":\"Order\","
        "\"Detail\":\"{}\"}]}");
}

Test(lam_targets, missing_function_is_dead_lettered)
{
    stratus *srv = ts_new();
    rule_to(srv, "absent");
    deliver(srv);
    cr_assert_eq(metric(srv, EVB_METRIC_FAILED), 1);
    cr_assert_eq(metric(srv, EVB_METRIC_SENT_TO_DLQ), 1);
    ts_free(srv);
}

Test(lam_targets, matched_event_invokes_function)
{
    stratus *srv = ts_new();
    char dir[] = "/tmp/stratus-lam-target-XXXXXX", body[512], cmd[128];
    int status = 0;

    cr_assert_not_null(mkdtemp(dir));
    snprintf(body, sizeof body,
             "{\"FunctionName\":\"fn\",\"Runtime\":\"provided.al2023\","
             "\"Role\":\"arn:aws:iam::123456789012:role/r\",\"Handler\":\"x\","
             "\"Code\":{\"Directory\":\"%s\"}}",
             dir);
    cJSON_Delete(ts_rest_call(srv, "POST", "/2015-03-31/functions", "lambda",
                              body, &status, NULL));
    cr_assert_eq(status, 201);

    rule_to(srv, "fn");
    /* Only the delivery job: the invoke it queues is due later or needs a
     * runtime, and neither matters to what EventBridge counts. */
    jobs_run_due(srv->jobs);
    stratus_turn_end(srv);
    cr_assert_eq(metric(srv, EVB_METRIC_INVOCATIONS), 1);
    cr_assert_eq(metric(srv, EVB_METRIC_FAILED), 0);
    ts_free(srv);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}
