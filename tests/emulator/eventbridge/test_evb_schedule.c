/*
 * test_evb_schedule.c: next run times of cron() expressions, and a cron()
 * rule sending Scheduled Events under the virtual clock.
 */
#include <stdio.h>

#include <criterion/criterion.h>

#include "evb_internal.h"
#include "ts.h"

/* 2026-01-01T00:00:00Z, a Thursday. */
#define JAN1 1767225600000LL
#define HOUR 3600000LL
#define DAY (24 * HOUR)

Test(evb_schedule, cron_next_times)
{
    cr_assert_eq(evb__cron_next("cron(0 12 * * ? *)", JAN1), JAN1 + 12 * HOUR);
    cr_assert_eq(evb__cron_next("cron(15 10 ? * MON-FRI *)", JAN1),
                 JAN1 + 10 * HOUR + 15 * 60000);
    /* Strictly after: midnight of the first does not count again. */
    cr_assert_eq(evb__cron_next("cron(0 0 1 * ? *)", JAN1), 1769904000000LL);
    cr_assert_eq(evb__cron_next("cron(*/10 * * * ? *)", JAN1), JAN1 + 600000);
    cr_assert_eq(evb__cron_next("cron(0 8 ? * SUN *)", JAN1),
                 JAN1 + 3 * DAY + 8 * HOUR);
    cr_assert_eq(evb__cron_next("cron(0 8 ? * 1 *)", JAN1),
                 JAN1 + 3 * DAY + 8 * HOUR);
    cr_assert_eq(evb__cron_next("cron(30 0 1 JUN ? 2027)", JAN1),
                 1811809800000LL);
    cr_assert_eq(evb__cron_next("cron(0,30 9-10 ? * THU *)", JAN1 + 9 * HOUR),
                 JAN1 + 9 * HOUR + 30 * 60000);
}

Test(evb_schedule, cron_forms_not_run)
{
    cr_assert_eq(evb__cron_next("cron(0 0 L * ? *)", JAN1), -1);
    cr_assert_eq(evb__cron_next("cron(0 0 ? * 6#3 *)", JAN1), -1);
    cr_assert_eq(evb__cron_next("cron(0 0 * * * *)", JAN1), -1,
                 "both day fields set");
    cr_assert_eq(evb__cron_next("cron(0 0 1 1 ? 2025)", JAN1), -1,
                 "only past years");
    cr_assert_eq(evb__cron_next("cron(61 0 * * ? *)", JAN1), -1);
    cr_assert_eq(evb__cron_next("rate(5 minutes)", JAN1), -1);
}

static cJSON *call(stratus *srv, const char *target, const char *body)
{
    int status = 0;
    cJSON *out = ts_call(srv, target, body, &status);
    cr_assert_eq(status, 200, "%s %s failed: %s", target, body,
                 out ? cJSON_PrintUnformatted(out) : "(no body)");
    return out;
}

Test(evb_schedule, cron_rule_sends_events)
{
    stratus *srv = ts_new();
    /* The virtual clock never goes back, so start at its next midnight. */
    int64_t midnight = (clock_now_ms(&srv->clock) / DAY + 1) * DAY;
    clock_advance_to(&srv->clock, midnight);
    cJSON_Delete(call(srv, "AmazonSQS.CreateQueue", "{\"QueueName\":\"q\"}"));
    cJSON_Delete(call(srv, "AWSEvents.PutRule",
                      "{\"Name\":\"nightly\",\"ScheduleExpression\":"
                      "\"cron(0 2 * * ? *)\"}"));
    cJSON_Delete(call(srv, "AWSEvents.PutTargets",
                      "{\"Rule\":\"nightly\",\"Targets\":[{\"Id\":\"q\","
                      "\"Arn\":\"arn:aws:sqs:us-east-1:123456789012:q\"}]}"));

    /* Two nights: runs at 02:00 on the first and the second. */
    for (int night = 0; night < 2; night++) {
        int64_t next = jobs_next_due(srv->jobs);
        cr_assert_eq(next, midnight + night * DAY + 2 * HOUR);
        clock_advance_to(&srv->clock, next);
        jobs_run_due(srv->jobs);
        stratus_turn_end(srv);
        jobs_run_due(srv->jobs);
        stratus_turn_end(srv);
    }
    cJSON *out = call(srv, "AmazonSQS.GetQueueAttributes",
                      "{\"QueueUrl\":\"http://127.0.0.1:4566/123456789012/q\","
                      "\"AttributeNames\":[\"ApproximateNumberOfMessages\"]}");
    cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(
                         cJSON_GetObjectItemCaseSensitive(out, "Attributes"),
                         "ApproximateNumberOfMessages")
                         ->valuestring,
                     "2");
    cJSON_Delete(out);
    ts_free(srv);
}
