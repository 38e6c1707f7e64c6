/*
 * sfn_task.c: Task states: dispatch through the registry of sfn_task.h,
 * TimeoutSeconds and HeartbeatSeconds, the task events (Task* for service
 * integrations, LambdaFunction* for plain function ARNs), and the
 * .waitForTaskToken callback pattern that SendTaskSuccess, SendTaskFailure
 * and SendTaskHeartbeat complete.
 */
#include "sfn_run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sfn_dataflow.h"
#include "util.h"

#define SFN_CALLBACK_SUFFIX ".waitForTaskToken"

typedef struct sfn_task_ticket {
    char *exec_arn;
    int64_t frame;
    int64_t token;
    bool callback; /* .waitForTaskToken: success only submits the task */
} sfn_task_ticket;

static bool sfn_task_is_callback(const char *resource)
{
    size_t len = strlen(resource);
    size_t suffix = sizeof SFN_CALLBACK_SUFFIX - 1;
    return len > suffix &&
           strcmp(resource + len - suffix, SFN_CALLBACK_SUFFIX) == 0;
}

static void sfn_task_done_cb(stratus *srv, void *arg, const cJSON *output,
                             const char *error, const char *cause)
{
    sfn_task_ticket *ticket = arg;
    sfn_service_state *st = sfn__state(srv);
    cJSON *outcome = cJSON_CreateObject();
    if (output) {
        cJSON_AddItemToObject(outcome, "output", cJSON_Duplicate(output, 1));
    } else {
        cJSON_AddStringToObject(outcome, "error", error ? error : "");
        if (cause)
            cJSON_AddStringToObject(outcome, "cause", cause);
    }

    if (st->sync_arg == arg) {
        st->sync_outcome = outcome;
        st->sync_arg = NULL;
    } else {
        store_call_begin(srv->store);
        sfn_frame *f = sfn__frame_load(srv, ticket->exec_arn, ticket->frame);
        const cJSON *token = f ? sfn__get(f->scratch, "token") : NULL;
        if (f && strcmp(f->status, "RUNNING") == 0 &&
            strcmp(f->phase, "task") == 0 && cJSON_IsNumber(token) &&
            (int64_t)token->valuedouble == ticket->token) {
            /* In the callback pattern the handler's success only submits
             * the task; SendTaskSuccess or SendTaskFailure ends it. */
            bool submitted = ticket->callback && output;
            sfn__scratch_put(f, submitted ? "submitted" : "outcome", outcome);
            outcome = NULL;
            sfn__set_phase(f, submitted ? "task_submitted" : "task_done");
            sfn__frame_save(srv, ticket->exec_arn, f);
            sfn__schedule_step(srv, ticket->exec_arn, f->id,
                               clock_now_ms(&srv->clock));
        }
        sfn__frame_free(f);
        cJSON_Delete(outcome);
        store_call_end(srv->store, 1);
    }
    free(ticket->exec_arn);
    free(ticket);
}

/* The registration with the longest prefix of `resource`. */
static sfn_task_fn sfn_task_find(stratus *srv, const char *resource)
{
    sfn_service_state *st = sfn__state(srv);
    sfn_task_fn best = NULL;
    size_t best_len = 0;
    for (size_t i = 0; i < st->task_count; i++) {
        size_t len = strlen(st->tasks[i].prefix);
        if (len >= best_len &&
            strncmp(resource, st->tasks[i].prefix, len) == 0) {
            best = st->tasks[i].fn;
            best_len = len;
        }
    }
    return best;
}

/* resourceType and resource as task events name them:
 * "arn:aws:states:::lambda:invoke" is "lambda" and "invoke". */
static void sfn_task_names(cJSON *d, const char *resource)
{
    static const char prefix[] = "arn:aws:states:::";
    if (strncmp(resource, prefix, sizeof prefix - 1) == 0) {
        const char *rest = resource + sizeof prefix - 1;
        const char *colon = strchr(rest, ':');
        char *type =
            colon ? xstrndup(rest, (size_t)(colon - rest)) : xstrdup(rest);
        cJSON_AddStringToObject(d, "resourceType", type);
        cJSON_AddStringToObject(d, "resource", colon ? colon + 1 : rest);
        free(type);
    } else {
        cJSON_AddStringToObject(d, "resourceType", "lambda");
        cJSON_AddStringToObject(d, "resource", resource);
    }
}

static bool sfn_task_is_lambda_arn(const char *resource)
{
    return strncmp(resource, "arn:aws:lambda:", 15) == 0;
}

/* Create the task token of a callback dispatch and return the context
 * with $$.Task.Token set (a new tree). */
static cJSON *sfn_task_token_create(sfn_run *r, const cJSON *ctx)
{
    char first[37], second[37], token[80];
    util_uuid4(first);
    util_uuid4(second);
    snprintf(token, sizeof token, "%s%s", first, second);
    sqlite3_stmt *s =
        store_stmt(r->srv->store, "INSERT INTO sfn_task_tokens (token,"
                                  " execution_arn, frame) VALUES (?1, ?2, ?3)");
    sqlite3_bind_text(s, 1, token, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, r->exec->arn, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, r->frame->id);
    sqlite3_step(s);
    sqlite3_reset(s);
    sfn__scratch_put(r->frame, "task_token", cJSON_CreateString(token));

    cJSON *task_ctx = cJSON_Duplicate(ctx, 1);
    cJSON *task = cJSON_AddObjectToObject(task_ctx, "Task");
    cJSON_AddStringToObject(task, "Token", token);
    return task_ctx;
}

sfn_outcome sfn__task_run(sfn_run *r, const cJSON *ctx)
{
    sfn_failure failure = {0};
    const char *resource = sfn__str(r->state, "Resource");
    bool callback = sfn_task_is_callback(resource);
    cJSON *task_ctx = callback ? sfn_task_token_create(r, ctx) : NULL;
    cJSON *effective = sfn_state_effective_input(
        r->state, NULL, r->frame->data, task_ctx ? task_ctx : ctx, &failure);
    cJSON_Delete(task_ctx);
    if (!effective)
        return sfn__fail_with(r, &failure);
    bool lambda = sfn_task_is_lambda_arn(resource);
    const cJSON *timeout = sfn__get(r->state, "TimeoutSeconds");
    const cJSON *heartbeat = sfn__get(r->state, "HeartbeatSeconds");

    cJSON *d = cJSON_CreateObject();
    char *params = cJSON_PrintUnformatted(effective);
    if (lambda) {
        cJSON_AddStringToObject(d, "input", params);
        cJSON_AddFalseToObject(cJSON_AddObjectToObject(d, "inputDetails"),
                               "truncated");
        cJSON_AddStringToObject(d, "resource", resource);
    } else {
        sfn_task_names(d, resource);
        cJSON_AddStringToObject(d, "region", r->exec->region);
        cJSON_AddStringToObject(d, "parameters", params);
    }
    free(params);
    if (cJSON_IsNumber(timeout))
        cJSON_AddNumberToObject(d, "timeoutInSeconds", timeout->valuedouble);
    if (cJSON_IsNumber(heartbeat) && !lambda)
        cJSON_AddNumberToObject(d, "heartbeatInSeconds",
                                heartbeat->valuedouble);
    sfn__emit(r, lambda ? "LambdaFunctionScheduled" : "TaskScheduled",
              lambda ? "lambdaFunctionScheduledEventDetails"
                     : "taskScheduledEventDetails",
              d);
    d = NULL;
    if (!lambda) {
        d = cJSON_CreateObject();
        sfn_task_names(d, resource);
    }
    sfn__emit(r, lambda ? "LambdaFunctionStarted" : "TaskStarted",
              lambda ? NULL : "taskStartedEventDetails", d);

    const cJSON *old = sfn__get(r->frame->scratch, "token");
    int64_t token = (cJSON_IsNumber(old) ? (int64_t)old->valuedouble : 0) + 1;
    sfn__scratch_put(r->frame, "token", cJSON_CreateNumber((double)token));
    cJSON_DeleteItemFromObjectCaseSensitive(r->frame->scratch, "outcome");
    cJSON_DeleteItemFromObjectCaseSensitive(r->frame->scratch, "beat");
    sfn__set_phase(r->frame, "task");
    int64_t now = clock_now_ms(&r->srv->clock);
    if (cJSON_IsNumber(timeout) && timeout->valuedouble > 0)
        sfn__schedule_timeout(r->srv, r->exec->arn, r->frame->id, token, "task",
                              now + (int64_t)(timeout->valuedouble * 1000));
    if (cJSON_IsNumber(heartbeat) && heartbeat->valuedouble > 0)
        sfn__schedule_timeout(r->srv, r->exec->arn, r->frame->id, token,
                              "heartbeat",
                              now + (int64_t)(heartbeat->valuedouble * 1000));

    sfn_task_fn fn = sfn_task_find(r->srv, resource);
    cJSON *outcome = NULL;
    if (!fn) {
        /* NOTE: AWS rejects an unknown resource at CreateStateMachine;
         * Stratus accepts it and fails the task when it runs. */
        outcome = cJSON_CreateObject();
        cJSON_AddStringToObject(outcome, "error", "States.TaskFailed");
        char cause[512];
        snprintf(cause, sizeof cause,
                 "No Stratus service handles the resource '%s'", resource);
        cJSON_AddStringToObject(outcome, "cause", cause);
    } else {
        sfn_task_ticket *ticket = xcalloc(1, sizeof *ticket);
        ticket->exec_arn = xstrdup(r->exec->arn);
        ticket->frame = r->frame->id;
        ticket->token = token;
        ticket->callback = callback;
        /* The handler receives the resource without the pattern suffix. */
        char *base =
            callback ? xstrndup(resource, strlen(resource) -
                                              (sizeof SFN_CALLBACK_SUFFIX - 1))
                     : xstrdup(resource);
        sfn_task_request req = {
            .account = r->exec->account,
            .region = r->exec->region,
            .resource = base,
            .parameters = effective,
            .execution_arn = r->exec->arn,
            .timeout_seconds =
                cJSON_IsNumber(timeout) ? (int)timeout->valuedouble : 0,
            .role_arn = r->exec->role_arn,
        };
        sfn_service_state *st = sfn__state(r->srv);
        st->sync_arg = ticket;
        st->sync_outcome = NULL;
        log_debug("stepfunctions", "%s: task %s dispatched", r->exec->arn,
                  resource);
        fn(r->srv, &req, sfn_task_done_cb, ticket);
        free(base);
        outcome = st->sync_outcome;
        st->sync_outcome = NULL;
        st->sync_arg = NULL;
    }
    cJSON_Delete(effective);
    if (!outcome)
        return SFN_BLOCKED;
    if (callback && sfn__get(outcome, "output")) {
        sfn__scratch_put(r->frame, "submitted", outcome);
        return sfn__task_submitted(r, ctx);
    }
    sfn__scratch_put(r->frame, "outcome", outcome);
    sfn__set_phase(r->frame, "task_done");
    return sfn__task_finish(r, ctx);
}

sfn_outcome sfn__task_finish(sfn_run *r, const cJSON *ctx)
{
    const char *resource = sfn__str(r->state, "Resource");
    bool lambda = sfn_task_is_lambda_arn(resource);
    const cJSON *outcome = sfn__get(r->frame->scratch, "outcome");
    const cJSON *output = sfn__get(outcome, "output");
    const char *error = sfn__str(outcome, "error");
    const char *cause = sfn__str(outcome, "cause");
    cJSON *d;

    if (output) {
        d = sfn__state_details(NULL, "output", output);
        if (!lambda)
            sfn_task_names(d, resource);
        sfn__emit(r, lambda ? "LambdaFunctionSucceeded" : "TaskSucceeded",
                  lambda ? "lambdaFunctionSucceededEventDetails"
                         : "taskSucceededEventDetails",
                  d);
        sfn_failure failure = {0};
        cJSON *out =
            sfn_state_output(r->state, r->frame->data,
                             cJSON_Duplicate(output, 1), ctx, &failure);
        if (!out)
            return sfn__fail_with(r, &failure);
        return sfn__state_exit(r, out, sfn__str(r->state, "Next"),
                               cJSON_IsTrue(sfn__get(r->state, "End")));
    }

    bool timed_out = cJSON_IsTrue(sfn__get(outcome, "timed_out"));
    d = cJSON_CreateObject();
    if (!lambda)
        sfn_task_names(d, resource);
    cJSON_AddStringToObject(d, "error", error ? error : "");
    if (cause)
        cJSON_AddStringToObject(d, "cause", cause);
    const char *type =
        timed_out ? (lambda ? "LambdaFunctionTimedOut" : "TaskTimedOut")
                  : (lambda ? "LambdaFunctionFailed" : "TaskFailed");
    const char *member = timed_out
                             ? (lambda ? "lambdaFunctionTimedOutEventDetails"
                                       : "taskTimedOutEventDetails")
                             : (lambda ? "lambdaFunctionFailedEventDetails"
                                       : "taskFailedEventDetails");
    sfn__emit(r, type, member, d);
    char *error_copy = xstrdup(error ? error : "");
    char *cause_copy = xstrdup(cause ? cause : "");
    sfn_outcome result = sfn__state_fail(r, error_copy, cause_copy, NULL);
    free(error_copy);
    free(cause_copy);
    return result;
}

sfn_outcome sfn__task_submitted(sfn_run *r, const cJSON *ctx)
{
    const char *resource = sfn__str(r->state, "Resource");
    cJSON *submitted =
        cJSON_DetachItemFromObjectCaseSensitive(r->frame->scratch, "submitted");
    cJSON *d =
        sfn__state_details(NULL, "output", sfn__get(submitted, "output"));
    sfn_task_names(d, resource);
    sfn__emit(r, "TaskSubmitted", "taskSubmittedEventDetails", d);
    cJSON_Delete(submitted);

    /* SendTaskSuccess or SendTaskFailure may have come first. */
    if (sfn__get(r->frame->scratch, "outcome")) {
        sfn__set_phase(r->frame, "task_done");
        return sfn__task_finish(r, ctx);
    }
    sfn__set_phase(r->frame, "task");
    return SFN_BLOCKED;
}
