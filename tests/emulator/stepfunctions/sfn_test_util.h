/*
 * sfn_test_util.h: helpers the Step Functions API and interpreter tests
 * share: calls by operation name, running due jobs to completion, and a
 * test-only task service registered under SFN_TEST_RESOURCE.
 */
#ifndef STRATUS_SFN_TEST_UTIL_H
#define STRATUS_SFN_TEST_UTIL_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "sfn.h"
#include "sfn_path.h"
#include "stratus.h"
#include "ts.h"

#define SFN_TEST_RESOURCE "arn:aws:states:::stratus-test:"
#define SFN_TEST_ACCOUNT "123456789012"

/* Send AWSStepFunctions.`op` with a printf-formatted body. */
static inline cJSON *sfn_call(stratus *srv, const char *op, int *status,
                              const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static inline cJSON *sfn_call(stratus *srv, const char *op, int *status,
                              const char *fmt, ...)
{
    char target[128];
    snprintf(target, sizeof target, "AWSStepFunctions.%s", op);
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *body = malloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(body, (size_t)n + 1, fmt, ap);
    va_end(ap);
    cJSON *out = ts_call(srv, target, body, status);
    free(body);
    return out;
}

static inline const char *sfn_test_str(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Run due jobs, committing after each round, until none is due. */
static inline void sfn_drain(stratus *srv)
{
    for (int round = 0; round < 1000; round++) {
        int ran = jobs_run_due(srv->jobs);
        stratus_turn_end(srv);
        if (ran == 0)
            return;
    }
    cr_assert_fail("jobs still due after 1000 rounds");
}

/* Move the virtual clock forward by `ms` and run what became due. */
static inline void sfn_advance(stratus *srv, int64_t ms)
{
    clock_advance_to(&srv->clock, clock_now_ms(&srv->clock) + ms);
    sfn_drain(srv);
}

/* Create a state machine from a definition given as JSON text; returns its
 * ARN in `arn`. */
static inline void sfn_create(stratus *srv, const char *name, const char *type,
                              const char *definition, char arn[256])
{
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "name", name);
    cJSON_AddStringToObject(body, "type", type);
    cJSON_AddStringToObject(body, "roleArn",
                            "arn:aws:iam::123456789012:role/sfn");
    cJSON_AddStringToObject(body, "definition", definition);
    char *text = cJSON_PrintUnformatted(body);
    int status = 0;
    cJSON *out =
        ts_call(srv, "AWSStepFunctions.CreateStateMachine", text, &status);
    free(text);
    cJSON_Delete(body);
    cr_assert_eq(status, 200, "CreateStateMachine %s: %d %s", name, status,
                 sfn_test_str(out, "message"));
    snprintf(arn, 256, "%s", sfn_test_str(out, "stateMachineArn"));
    cJSON_Delete(out);
}

/* Start an execution with `input` (JSON text); returns its ARN. */
static inline void sfn_start(stratus *srv, const char *machine_arn,
                             const char *name, const char *input, char arn[512])
{
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "stateMachineArn", machine_arn);
    if (name)
        cJSON_AddStringToObject(body, "name", name);
    cJSON_AddStringToObject(body, "input", input);
    char *text = cJSON_PrintUnformatted(body);
    int status = 0;
    cJSON *out = ts_call(srv, "AWSStepFunctions.StartExecution", text, &status);
    free(text);
    cJSON_Delete(body);
    cr_assert_eq(status, 200, "StartExecution: %d %s", status,
                 sfn_test_str(out, "message"));
    snprintf(arn, 512, "%s", sfn_test_str(out, "executionArn"));
    cJSON_Delete(out);
}

static inline cJSON *sfn_describe(stratus *srv, const char *exec_arn)
{
    int status = 0;
    cJSON *out = sfn_call(srv, "DescribeExecution", &status,
                          "{\"executionArn\":\"%s\"}", exec_arn);
    cr_assert_eq(status, 200);
    return out;
}

/* The history's event types joined with spaces (the caller frees). */
static inline char *sfn_history_types(stratus *srv, const char *exec_arn)
{
    int status = 0;
    cJSON *out = sfn_call(srv, "GetExecutionHistory", &status,
                          "{\"executionArn\":\"%s\"}", exec_arn);
    cr_assert_eq(status, 200);
    size_t cap = 16384, len = 0;
    char *text = calloc(1, cap);
    const cJSON *ev;
    cJSON_ArrayForEach(ev, cJSON_GetObjectItemCaseSensitive(out, "events"))
    {
        const char *type = sfn_test_str(ev, "type");
        len += (size_t)snprintf(text + len, cap - len, "%s%s", len ? " " : "",
                                type);
        cr_assert_lt(len, cap - 1);
    }
    cJSON_Delete(out);
    return text;
}

/* The test task service. The part of the resource after the prefix picks
 * the behaviour:
 *   echo   succeeds with the parameters.
 *   fail   fails with the parameters' Error and Cause.
 *   flaky  fails with "Flaky.Error" until `FailTimes` calls were made, then
 *          succeeds. sfn_test_calls counts the calls of a test.
 *   defer  keeps the callback in sfn_test_pending_* for the test.
 *   never  keeps it too, for tests of timeouts. */
static int sfn_test_calls;
static sfn_task_done sfn_test_pending_done;
static void *sfn_test_pending_arg;

static inline void sfn_test_task(stratus *srv, const sfn_task_request *req,
                                 sfn_task_done done, void *done_arg)
{
    const char *what = req->resource + strlen(SFN_TEST_RESOURCE);
    sfn_test_calls++;
    if (strcmp(what, "echo") == 0) {
        done(srv, done_arg, req->parameters, NULL, NULL);
    } else if (strcmp(what, "fail") == 0) {
        done(srv, done_arg, NULL, sfn_test_str(req->parameters, "Error"),
             sfn_test_str(req->parameters, "Cause"));
    } else if (strcmp(what, "flaky") == 0) {
        const cJSON *times =
            cJSON_GetObjectItemCaseSensitive(req->parameters, "FailTimes");
        if (sfn_test_calls <= (int)times->valuedouble)
            done(srv, done_arg, NULL, "Flaky.Error", "try again");
        else
            done(srv, done_arg, req->parameters, NULL, NULL);
    } else if (strcmp(what, "defer") == 0) {
        sfn_test_pending_done = done;
        sfn_test_pending_arg = done_arg;
    } else if (strcmp(what, "never") == 0) {
        /* The timeout fails the state; the ticket is freed by the test. */
        sfn_test_pending_done = done;
        sfn_test_pending_arg = done_arg;
    } else {
        done(srv, done_arg, NULL, "Test.UnknownBehaviour", what);
    }
}

static inline stratus *sfn_test_new(void)
{
    stratus *srv = ts_new();
    sfn_test_calls = 0;
    sfn_test_pending_done = NULL;
    sfn_test_pending_arg = NULL;
    sfn_task_register(srv, SFN_TEST_RESOURCE, sfn_test_task);
    return srv;
}

/* Report a late outcome for a deferred task, as a service would from a
 * later loop turn, and commit. */
static inline void sfn_test_complete(stratus *srv, const cJSON *output,
                                     const char *error, const char *cause)
{
    cr_assert_not_null(sfn_test_pending_done, "no deferred task");
    sfn_task_done done = sfn_test_pending_done;
    void *arg = sfn_test_pending_arg;
    sfn_test_pending_done = NULL;
    sfn_test_pending_arg = NULL;
    done(srv, arg, output, error, cause);
    stratus_turn_end(srv);
}

#endif
