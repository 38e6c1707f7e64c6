/*
 * sfn_run.c: the durable interpreter's driver: the step and timeout jobs,
 * frame completion (root frames close the execution, child frames report to
 * their Parallel or Map parent), error handling with Retry and Catch, and
 * StopExecution's abort.
 *
 * A step job moves one frame. Pass, Choice, Succeed and Fail states finish
 * inside the job, so the job goes on to the next state, up to
 * SFN_STEPS_PER_JOB states. Wait, Task, Parallel, Map and Retry back-off
 * end the job and leave a pending job or callback that resumes the frame.
 * Every move commits with its history events in the job's store call.
 * The state bodies live in sfn_states.c.
 */
#include "sfn_run.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "jobs.h"
#include "log.h"
#include "sfn_dataflow.h"
#include "sfn_path.h"
#include "util.h"

/* States run back to back in one job before the frame yields to others. */
#define SFN_STEPS_PER_JOB 50
/* Steps due now that one step job runs after its own, at most. The rest
 * become step jobs, so one job cannot hold the loop for long. */
#define SFN_LOCAL_STEPS 64

/* A step due now, asked for while a step ran. */
typedef struct sfn_local_step {
    char *exec_arn;
    int64_t frame;
} sfn_local_step;

static cJSON *sfn_step_payload(const char *exec_arn, int64_t frame)
{
    cJSON *payload = cJSON_CreateObject();
    cJSON_AddStringToObject(payload, "execution", exec_arn);
    cJSON_AddNumberToObject(payload, "frame", (double)frame);
    return payload;
}

static void sfn_schedule_step_job(stratus *srv, const char *exec_arn,
                                  int64_t frame, int64_t due_ms)
{
    cJSON *payload = sfn_step_payload(exec_arn, frame);
    jobs_schedule(srv->jobs, SFN_STEP_JOB, "-", "-", due_ms, payload, NULL);
    cJSON_Delete(payload);
}

void sfn__schedule_step(stratus *srv, const char *exec_arn, int64_t frame,
                        int64_t due_ms)
{
    sfn_service_state *st = sfn__state(srv);
    if (st->local_depth == 0 || due_ms > clock_now_ms(&srv->clock)) {
        sfn_schedule_step_job(srv, exec_arn, frame, due_ms);
        return;
    }
    /* A step of a running step job (a Parallel branch, a parent whose
     * children finished) runs after it in the same store call, in the order
     * asked, as its job would have run next. That saves the job's row, its
     * load and the reload of the execution. */
    if (st->local_count == st->local_cap) {
        st->local_cap = st->local_cap ? 2 * st->local_cap : 16;
        st->local = xrealloc(st->local, st->local_cap * sizeof *st->local);
    }
    st->local[st->local_count].exec_arn = xstrdup(exec_arn);
    st->local[st->local_count].frame = frame;
    st->local_count++;
}

void sfn__schedule_timeout(stratus *srv, const char *exec_arn, int64_t frame,
                           int64_t token, const char *kind, int64_t due_ms)
{
    cJSON *payload = cJSON_CreateObject();
    cJSON_AddStringToObject(payload, "execution", exec_arn);
    cJSON_AddNumberToObject(payload, "frame", (double)frame);
    cJSON_AddNumberToObject(payload, "token", (double)token);
    cJSON_AddStringToObject(payload, "kind", kind);
    jobs_schedule(srv->jobs, SFN_TIMEOUT_JOB, "-", "-", due_ms, payload, NULL);
    cJSON_Delete(payload);
}

void sfn__schedule_heartbeat(stratus *srv, const char *exec_arn, int64_t frame,
                             int64_t token, int64_t beat, int64_t due_ms)
{
    cJSON *payload = cJSON_CreateObject();
    cJSON_AddStringToObject(payload, "execution", exec_arn);
    cJSON_AddNumberToObject(payload, "frame", (double)frame);
    cJSON_AddNumberToObject(payload, "token", (double)token);
    cJSON_AddStringToObject(payload, "kind", "heartbeat");
    cJSON_AddNumberToObject(payload, "beat", (double)beat);
    jobs_schedule(srv->jobs, SFN_TIMEOUT_JOB, "-", "-", due_ms, payload, NULL);
    cJSON_Delete(payload);
}

int64_t sfn__emit(sfn_run *r, const char *type, const char *details_name,
                  cJSON *details)
{
    /* The iterations of a distributed Map are child executions on AWS,
     * whose events stay out of this history. */
    if (cJSON_IsTrue(sfn__get(r->frame->scratch, "quiet"))) {
        cJSON_Delete(details);
        return r->frame->last_event;
    }
    /* The run counts its events in memory from the last id at its start. */
    int64_t id = ++r->event_count;
    sfn__event_insert(r->srv, r->exec, id, type, r->frame->last_event,
                      details_name, details);
    r->frame->last_event = id;
    return id;
}

/* {name, input|output: JSON text, inputDetails|outputDetails}. */
cJSON *sfn__state_details(const char *name, const char *member,
                          const cJSON *value)
{
    cJSON *d = cJSON_CreateObject();
    char key[32];
    if (name)
        cJSON_AddStringToObject(d, "name", name);
    char *text = cJSON_PrintUnformatted(value);
    cJSON_AddStringToObject(d, member, text ? text : "null");
    free(text);
    snprintf(key, sizeof key, "%sDetails", member);
    cJSON *flag = cJSON_AddObjectToObject(d, key);
    cJSON_AddFalseToObject(flag, "truncated");
    return d;
}

cJSON *sfn__context(const sfn_run *r)
{
    const sfn_execution *e = r->exec;
    cJSON *ctx = cJSON_CreateObject();
    char iso[32];

    cJSON *exec = cJSON_AddObjectToObject(ctx, "Execution");
    cJSON_AddStringToObject(exec, "Id", e->arn);
    cJSON *input = cJSON_Parse(e->input);
    cJSON_AddItemToObject(exec, "Input", input ? input : cJSON_CreateNull());
    cJSON_AddStringToObject(exec, "Name", e->name);
    cJSON_AddStringToObject(exec, "RoleArn", e->role_arn);
    clock_format_iso(e->start_ms, iso);
    cJSON_AddStringToObject(exec, "StartTime", iso);
    cJSON_AddNumberToObject(exec, "RedriveCount", 0);

    cJSON *machine = cJSON_AddObjectToObject(ctx, "StateMachine");
    cJSON_AddStringToObject(machine, "Id", e->machine_arn);
    const char *name = strrchr(e->machine_arn, ':');
    cJSON_AddStringToObject(machine, "Name", name ? name + 1 : "");

    cJSON *state = cJSON_AddObjectToObject(ctx, "State");
    const cJSON *entered = sfn__get(r->frame->scratch, "entered_ms");
    clock_format_iso(cJSON_IsNumber(entered) ? (int64_t)entered->valuedouble
                                             : clock_now_ms(&r->srv->clock),
                     iso);
    cJSON_AddStringToObject(state, "EnteredTime", iso);
    cJSON_AddStringToObject(state, "Name", r->frame->state);
    const cJSON *retries = sfn__get(r->frame->scratch, "retry_count");
    cJSON_AddNumberToObject(state, "RetryCount",
                            cJSON_IsNumber(retries) ? retries->valuedouble : 0);
    return ctx;
}

/* Set member `name` of `obj` to `value` (taken), replacing any. */
static void sfn_put(cJSON *obj, const char *name, cJSON *value)
{
    cJSON_DeleteItemFromObjectCaseSensitive(obj, name);
    cJSON_AddItemToObject(obj, name, value);
}

/* Close the execution of a finished root frame. */
static void sfn_execution_finish(sfn_run *r, const cJSON *output,
                                 const char *error, const char *cause)
{
    int64_t now = clock_now_ms(&r->srv->clock);
    if (output) {
        sfn__emit(r, "ExecutionSucceeded", "executionSucceededEventDetails",
                  sfn__state_details(NULL, "output", output));
        char *text = cJSON_PrintUnformatted(output);
        sfn__execution_close(r->srv, r->exec->arn, "SUCCEEDED", text, NULL,
                             NULL, now);
        free(text);
    } else {
        cJSON *d = cJSON_CreateObject();
        if (error && *error)
            cJSON_AddStringToObject(d, "error", error);
        if (cause && *cause)
            cJSON_AddStringToObject(d, "cause", cause);
        sfn__emit(r, "ExecutionFailed", "executionFailedEventDetails", d);
        sfn__execution_close(r->srv, r->exec->arn, "FAILED", NULL,
                             error && *error ? error : NULL,
                             cause && *cause ? cause : NULL, now);
    }
    log_debug("stepfunctions", "execution %s %s", r->exec->arn,
              output ? "succeeded" : "failed");
    r->frame_gone = true;
}

/* Report a finished child frame to its Parallel or Map parent. */
static void sfn_child_report(sfn_run *r, bool ok, const char *error,
                             const char *cause)
{
    sfn_frame *child = r->frame;
    const cJSON *map_name = sfn__get(child->scratch, "map");
    if (cJSON_IsString(map_name)) {
        cJSON *d = cJSON_CreateObject();
        cJSON_AddNumberToObject(d, "index", child->index);
        cJSON_AddStringToObject(d, "name", map_name->valuestring);
        sfn__emit(r, ok ? "MapIterationSucceeded" : "MapIterationFailed",
                  ok ? "mapIterationSucceededEventDetails"
                     : "mapIterationFailedEventDetails",
                  d);
    }

    sfn_frame *parent = sfn__frame_load(r->srv, r->exec->arn, child->parent);
    if (!parent || strcmp(parent->status, "RUNNING") != 0 ||
        strcmp(parent->phase, "children") != 0) {
        sfn__frame_free(parent);
        return;
    }
    cJSON *kids = cJSON_GetObjectItemCaseSensitive(parent->scratch, "children");
    if (!kids) {
        sfn__frame_free(parent);
        return;
    }
    if (!ok) {
        cJSON *failed = cJSON_CreateObject();
        cJSON_AddStringToObject(failed, "error", error ? error : "");
        cJSON_AddStringToObject(failed, "cause", cause ? cause : "");
        sfn_put(parent->scratch, "outcome", failed);
        sfn_put(parent->scratch, "last_child",
                cJSON_CreateNumber((double)child->last_event));
        free(parent->phase);
        parent->phase = xstrdup("children_failed");
        sfn__frames_abort(r->srv, r->exec->arn, parent->id);
        sfn__schedule_step(r->srv, r->exec->arn, parent->id,
                           clock_now_ms(&r->srv->clock));
        sfn__frame_save(r->srv, r->exec->arn, parent);
        sfn__frame_free(parent);
        return;
    }

    cJSON *done = cJSON_GetObjectItemCaseSensitive(kids, "done");
    cJSON_SetNumberValue(done, done->valuedouble + 1);
    sfn_put(parent->scratch, "last_child",
            cJSON_CreateNumber((double)child->last_event));
    int total = (int)sfn__get(kids, "total")->valuedouble;
    int started = (int)sfn__get(kids, "started")->valuedouble;
    if (started < total && sfn__map_start_next(r, parent) != 0) {
        sfn__frame_free(parent);
        return;
    }
    if ((int)done->valuedouble >= total) {
        free(parent->phase);
        parent->phase = xstrdup("children_done");
        sfn__schedule_step(r->srv, r->exec->arn, parent->id,
                           clock_now_ms(&r->srv->clock));
    }
    sfn__frame_save(r->srv, r->exec->arn, parent);
    sfn__frame_free(parent);
}

void sfn__frame_finish(sfn_run *r, cJSON *output, const char *error,
                       const char *cause)
{
    sfn_frame *f = r->frame;
    free(f->status);
    f->status = xstrdup(output ? "SUCCEEDED" : "FAILED");
    cJSON_Delete(f->output);
    f->output = output;
    free(f->error);
    free(f->cause);
    f->error = error ? xstrdup(error) : NULL;
    f->cause = cause ? xstrdup(cause) : NULL;
    if (f->parent == 0)
        sfn_execution_finish(r, output, error, cause);
    else
        sfn_child_report(r, output != NULL, error, cause);
}

/* Whether an ErrorEquals list matches `error`. States.ALL matches every
 * error except States.Runtime and States.DataLimitExceeded, which AWS only
 * lets a retrier or catcher name explicitly; States.TaskFailed matches
 * every Task error except States.Timeout. */
static bool sfn_error_matches(const cJSON *names, const char *error, bool task)
{
    bool fatal = strcmp(error, "States.Runtime") == 0 ||
                 strcmp(error, "States.DataLimitExceeded") == 0;
    const cJSON *name;
    cJSON_ArrayForEach(name, names)
    {
        if (!cJSON_IsString(name))
            continue;
        const char *n = name->valuestring;
        if (strcmp(n, error) == 0)
            return true;
        if (strcmp(n, "States.ALL") == 0 && !fatal)
            return true;
        if (strcmp(n, "States.TaskFailed") == 0 && task && !fatal &&
            strcmp(error, "States.Timeout") != 0)
            return true;
    }
    return false;
}

static void sfn_set_int(cJSON *obj, const char *name, double value)
{
    cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (item)
        cJSON_SetNumberValue(item, value);
    else
        cJSON_AddNumberToObject(obj, name, value);
}

/* Back-off of attempt `attempt` (0-based) of a retrier, in milliseconds. */
static int64_t sfn_retry_delay_ms(const cJSON *retrier, int attempt)
{
    const cJSON *interval = sfn__get(retrier, "IntervalSeconds");
    const cJSON *rate = sfn__get(retrier, "BackoffRate");
    const cJSON *max_delay = sfn__get(retrier, "MaxDelaySeconds");
    const char *jitter = sfn__str(retrier, "JitterStrategy");
    double seconds = cJSON_IsNumber(interval) ? interval->valuedouble : 1.0;
    double backoff = cJSON_IsNumber(rate) ? rate->valuedouble : 2.0;

    seconds *= pow(backoff, attempt);
    if (cJSON_IsNumber(max_delay) && seconds > max_delay->valuedouble)
        seconds = max_delay->valuedouble;
    if (jitter && strcmp(jitter, "FULL") == 0)
        seconds *= (double)random() / (double)RAND_MAX;
    return (int64_t)(seconds * 1000.0);
}

sfn_outcome sfn__state_fail(sfn_run *r, const char *error, const char *cause,
                            const char *failed_type)
{
    const cJSON *state = r->state;
    const char *type = sfn__str(state, "Type");
    bool task = type && strcmp(type, "Task") == 0;
    sfn_failure failure;
    snprintf(failure.error, sizeof failure.error, "%s", error ? error : "");
    snprintf(failure.cause, sizeof failure.cause, "%s", cause ? cause : "");
    if (strcmp(failure.error, SFN_ERR_RUNTIME) == 0 &&
        strncmp(failure.cause, "An error occurred", 17) != 0) {
        const cJSON *entered = sfn__get(r->frame->scratch, "entered");
        sfn_failure_prefix_state(
            &failure, r->frame->state,
            cJSON_IsNumber(entered) ? (long)entered->valuedouble : 0);
    }

    const cJSON *retrier;
    int i = 0;
    cJSON_ArrayForEach(retrier, sfn__get(state, "Retry"))
    {
        if (!sfn_error_matches(sfn__get(retrier, "ErrorEquals"), failure.error,
                               task)) {
            i++;
            continue;
        }
        const cJSON *max = sfn__get(retrier, "MaxAttempts");
        int max_attempts = cJSON_IsNumber(max) ? (int)max->valuedouble : 3;
        cJSON *counts =
            cJSON_GetObjectItemCaseSensitive(r->frame->scratch, "retries");
        if (!counts)
            counts = cJSON_AddObjectToObject(r->frame->scratch, "retries");
        char key[16];
        snprintf(key, sizeof key, "%d", i);
        const cJSON *count = sfn__get(counts, key);
        int attempts = cJSON_IsNumber(count) ? (int)count->valuedouble : 0;
        if (attempts >= max_attempts)
            break; /* the first matching retrier decides, so Catch is next */
        sfn_set_int(counts, key, attempts + 1);
        const cJSON *total = sfn__get(r->frame->scratch, "retry_count");
        sfn_set_int(r->frame->scratch, "retry_count",
                    (cJSON_IsNumber(total) ? total->valuedouble : 0) + 1);
        free(r->frame->phase);
        r->frame->phase = xstrdup("retry");
        sfn__schedule_step(r->srv, r->exec->arn, r->frame->id,
                           clock_now_ms(&r->srv->clock) +
                               sfn_retry_delay_ms(retrier, attempts));
        return SFN_BLOCKED;
    }

    if (failed_type)
        sfn__emit(r, failed_type, NULL, NULL);

    const cJSON *catcher;
    cJSON_ArrayForEach(catcher, sfn__get(state, "Catch"))
    {
        if (!sfn_error_matches(sfn__get(catcher, "ErrorEquals"), failure.error,
                               task))
            continue;
        cJSON *error_output = cJSON_CreateObject();
        cJSON_AddStringToObject(error_output, "Error", failure.error);
        cJSON_AddStringToObject(error_output, "Cause", failure.cause);
        sfn_failure inner = {0};
        cJSON *out =
            sfn_result_path_apply(sfn__get(catcher, "ResultPath"),
                                  r->frame->data, error_output, &inner);
        if (!out)
            return sfn__state_fail(r, inner.error, inner.cause, NULL);
        return sfn__state_exit(r, out, sfn__str(catcher, "Next"), false);
    }

    sfn__frame_finish(r, NULL, failure.error, failure.cause);
    return SFN_FINISHED;
}

sfn_outcome sfn__state_exit(sfn_run *r, cJSON *output, const char *next,
                            bool end)
{
    char type[64];
    snprintf(type, sizeof type, "%sStateExited", sfn__str(r->state, "Type"));
    sfn__emit(r, type, "stateExitedEventDetails",
              sfn__state_details(r->frame->state, "output", output));
    if (end || !next) {
        sfn__frame_finish(r, output, NULL, NULL);
        return SFN_FINISHED;
    }
    sfn_frame *f = r->frame;
    free(f->state);
    f->state = xstrdup(next);
    cJSON_Delete(f->data);
    f->data = output;
    free(f->phase);
    f->phase = xstrdup("enter");
    /* A Map iteration keeps the Map state's name for its last event. */
    cJSON *map_name =
        cJSON_DetachItemFromObjectCaseSensitive(f->scratch, "map");
    cJSON_Delete(f->scratch);
    f->scratch = cJSON_CreateObject();
    if (map_name)
        cJSON_AddItemToObject(f->scratch, "map", map_name);
    return SFN_CONTINUE;
}

/* AWS's quota of history events per execution. */
#define SFN_MAX_HISTORY_EVENTS 25000

/* Carry one frame forward as far as it goes in this job. */
static void sfn_frame_run(sfn_run *r)
{
    for (int n = 0; n < SFN_STEPS_PER_JOB; n++) {
        /* NOTE: AWS fails an execution whose history reaches its quota;
         * the error and cause here are Stratus's wording. */
        if (r->event_count >= SFN_MAX_HISTORY_EVENTS - 10) {
            sfn__frame_finish(r, NULL, SFN_ERR_RUNTIME,
                              "The execution reached the maximum number of "
                              "history events (25000)");
            return;
        }
        const cJSON *states = sfn__get(sfn__frame_machine(r->frame), "States");
        r->state = sfn__get(states, r->frame->state);
        if (!r->state) {
            sfn__frame_finish(r, NULL, SFN_ERR_RUNTIME,
                              "The state machine has no state of that name");
            return;
        }
        if (sfn__frame_advance(r) != SFN_CONTINUE)
            return;
    }
    /* A job, so that other work runs before this frame goes on. */
    sfn_schedule_step_job(r->srv, r->exec->arn, r->frame->id,
                          clock_now_ms(&r->srv->clock));
}

/* Load the execution and frame of a job payload when both still run. */
static bool sfn_run_open(sfn_run *r, stratus *srv, const cJSON *payload)
{
    memset(r, 0, sizeof *r);
    r->srv = srv;
    const char *arn = sfn__str(payload, "execution");
    const cJSON *frame = sfn__get(payload, "frame");
    if (!arn || !cJSON_IsNumber(frame))
        return false;
    r->exec = sfn__execution_load(srv, arn);
    if (!r->exec || strcmp(r->exec->status, "RUNNING") != 0)
        return false;
    r->event_count = r->exec->event_count;
    r->frame_count = r->exec->frame_count;
    r->frame = sfn__frame_load(srv, arn, (int64_t)frame->valuedouble);
    if (!r->frame || strcmp(r->frame->status, "RUNNING") != 0)
        return false;
    if (r->frame->parent != 0) {
        /* A frame whose parent stopped (a failed sibling, an abort) stops. */
        if (!sfn__frame_running(srv, arn, r->frame->parent)) {
            free(r->frame->status);
            r->frame->status = xstrdup("ABORTED");
            sfn__frame_save(srv, arn, r->frame);
            return false;
        }
    }
    return true;
}

static void sfn_run_close(sfn_run *r)
{
    if (r->exec && r->frame_count != r->exec->frame_count)
        sfn__frame_count_save(r->srv, r->exec->arn, r->frame_count);
    if (r->frame && !r->frame_gone && r->exec)
        sfn__frame_save(r->srv, r->exec->arn, r->frame);
    sfn__frame_free(r->frame);
    sfn__execution_free(r->exec);
}

static void sfn_step_run(stratus *srv, const cJSON *payload)
{
    sfn_run r;
    if (sfn_run_open(&r, srv, payload))
        sfn_frame_run(&r);
    else
        r.frame_gone = true;
    sfn_run_close(&r);
}

/* Run the steps collected by sfn__schedule_step in order, up to
 * SFN_LOCAL_STEPS, and make step jobs of the rest. Only the outermost
 * caller drains, so every collected step runs or is scheduled before its
 * store call ends. */
static void sfn_local_drain(stratus *srv)
{
    sfn_service_state *st = sfn__state(srv);
    size_t next = 0;
    for (; next < st->local_count && next < SFN_LOCAL_STEPS; next++) {
        cJSON *payload =
            sfn_step_payload(st->local[next].exec_arn, st->local[next].frame);
        sfn_step_run(srv, payload);
        cJSON_Delete(payload);
    }
    st->local_depth--;
    for (size_t i = 0; i < st->local_count; i++) {
        if (i >= next)
            sfn_schedule_step_job(srv, st->local[i].exec_arn,
                                  st->local[i].frame,
                                  clock_now_ms(&srv->clock));
        free(st->local[i].exec_arn);
    }
    st->local_count = 0;
}

int64_t sfn__step_job(stratus *srv, const char *account, const char *region,
                      const cJSON *payload)
{
    sfn_service_state *st = sfn__state(srv);
    st->local_depth++;
    sfn_step_run(srv, payload);
    if (st->local_depth == 1)
        sfn_local_drain(srv);
    else
        st->local_depth--;
    return 0;
}

int64_t sfn__timeout_job(stratus *srv, const char *account, const char *region,
                         const cJSON *payload)
{
    const char *kind = sfn__str(payload, "kind");
    sfn_run r;
    if (kind && strcmp(kind, "execution") == 0) {
        memset(&r, 0, sizeof r);
        r.exec = sfn__execution_load(srv, sfn__str(payload, "execution"));
        if (r.exec && strcmp(r.exec->status, "RUNNING") == 0) {
            cJSON *d = cJSON_CreateObject();
            cJSON_AddStringToObject(d, "error", "States.Timeout");
            sfn__event_add(srv, r.exec, "ExecutionTimedOut", 0,
                           "executionTimedOutEventDetails", d);
            sfn__execution_close(srv, r.exec->arn, "TIMED_OUT", NULL,
                                 "States.Timeout", NULL,
                                 clock_now_ms(&srv->clock));
        }
        sfn__execution_free(r.exec);
        return 0;
    }

    if (!sfn_run_open(&r, srv, payload)) {
        r.frame_gone = true;
        sfn_run_close(&r);
        return 0;
    }
    const cJSON *token = sfn__get(payload, "token");
    const cJSON *current = sfn__get(r.frame->scratch, "token");
    const cJSON *beat = sfn__get(payload, "beat");
    const cJSON *last_beat = sfn__get(r.frame->scratch, "beat");
    double beat_number = cJSON_IsNumber(beat) ? beat->valuedouble : 0;
    double last_number = cJSON_IsNumber(last_beat) ? last_beat->valuedouble : 0;
    if (strcmp(r.frame->phase, "task") == 0 && cJSON_IsNumber(token) &&
        cJSON_IsNumber(current) && token->valuedouble == current->valuedouble &&
        beat_number == last_number) {
        cJSON *outcome = cJSON_CreateObject();
        cJSON_AddStringToObject(outcome, "error",
                                strcmp(kind, "heartbeat") == 0
                                    ? "States.HeartbeatTimeout"
                                    : "States.Timeout");
        cJSON_AddTrueToObject(outcome, "timed_out");
        cJSON_DeleteItemFromObjectCaseSensitive(r.frame->scratch, "outcome");
        cJSON_AddItemToObject(r.frame->scratch, "outcome", outcome);
        free(r.frame->phase);
        r.frame->phase = xstrdup("task_done");
        sfn__schedule_step(srv, r.exec->arn, r.frame->id,
                           clock_now_ms(&srv->clock));
    }
    sfn_run_close(&r);
    return 0;
}

void sfn__execution_begin(stratus *srv, const sfn_execution *e,
                          const cJSON *definition)
{
    cJSON *details = cJSON_CreateObject();
    cJSON_AddStringToObject(details, "input", e->input);
    cJSON *flag = cJSON_AddObjectToObject(details, "inputDetails");
    cJSON_AddFalseToObject(flag, "truncated");
    cJSON_AddStringToObject(details, "roleArn", e->role_arn);
    sfn_run r = {
        .srv = srv,
        .exec = (sfn_execution *)e,
        .event_count = e->event_count,
        .frame_count = e->frame_count,
    };
    sfn__event_insert(srv, e, ++r.event_count, "ExecutionStarted", 0,
                      "executionStartedEventDetails", details);

    sfn_frame *root = xcalloc(1, sizeof *root);
    root->id = ++r.frame_count;
    root->parent = 0;
    root->index = -1;
    root->machine = cJSON_Duplicate(definition, 1);
    root->machine_text = xstrdup(e->definition);
    root->state = xstrdup(sfn__str(definition, "StartAt"));
    root->phase = xstrdup("enter");
    root->data = cJSON_Parse(e->input);
    root->scratch = cJSON_CreateObject();
    root->status = xstrdup("RUNNING");
    root->last_event = 0;

    int64_t now = clock_now_ms(&srv->clock);
    const cJSON *timeout = sfn__get(definition, "TimeoutSeconds");
    if (cJSON_IsNumber(timeout) && timeout->valuedouble > 0)
        sfn__schedule_timeout(srv, e->arn, 0, 0, "execution",
                              now + (int64_t)(timeout->valuedouble * 1000));

    /* The root frame takes its first step here, in the store call that
     * records the start, rather than in a step job. The states it runs
     * commit together with the start, which saves a job row, its load and
     * the reload of the execution and frame. */
    sfn_service_state *st = sfn__state(srv);
    st->local_depth++;
    r.frame = root;
    sfn_frame_run(&r);
    if (!r.frame_gone)
        sfn__frame_save(srv, e->arn, root);
    sfn__frame_count_save(srv, e->arn, r.frame_count);
    sfn__frame_free(root);
    if (st->local_depth == 1)
        sfn_local_drain(srv);
    else
        st->local_depth--;
}

void sfn__tasks_resume(stratus *srv)
{
    store *st = srv->store;
    if (store_call_begin(st) != SQLITE_OK)
        return;
    /* A retry phase runs the state's body again, which dispatches anew
     * with a fresh token, so a late report of the lost dispatch is ignored. */
    sqlite3_stmt *s = store_stmt(
        st, "UPDATE sfn_frames SET phase = 'retry' WHERE phase = 'task'"
            " AND status = 'RUNNING' RETURNING execution_arn, id");
    int resumed = 0;
    int64_t now = clock_now_ms(&srv->clock);
    cJSON *pending = cJSON_CreateArray();
    while (sqlite3_step(s) == SQLITE_ROW) {
        cJSON *item = cJSON_CreateObject();
        cJSON_AddStringToObject(item, "execution",
                                (const char *)sqlite3_column_text(s, 0));
        cJSON_AddNumberToObject(item, "frame",
                                (double)sqlite3_column_int64(s, 1));
        cJSON_AddItemToArray(pending, item);
    }
    sqlite3_reset(s);
    const cJSON *item;
    cJSON_ArrayForEach(item, pending)
    {
        sfn__schedule_step(srv, sfn__str(item, "execution"),
                           (int64_t)sfn__get(item, "frame")->valuedouble, now);
        resumed++;
    }
    cJSON_Delete(pending);
    store_call_end(st, 1);
    store_commit(st);
    if (resumed)
        log_info("stepfunctions", "dispatching %d interrupted task(s) again",
                 resumed);
}

void sfn__execution_abort(stratus *srv, const sfn_execution *e,
                          const char *error, const char *cause)
{
    cJSON *d = cJSON_CreateObject();
    if (error)
        cJSON_AddStringToObject(d, "error", error);
    if (cause)
        cJSON_AddStringToObject(d, "cause", cause);
    sfn__event_add(srv, e, "ExecutionAborted", 0,
                   "executionAbortedEventDetails", d);
    sfn__execution_close(srv, e->arn, "ABORTED", NULL, error, cause,
                         clock_now_ms(&srv->clock));
}
