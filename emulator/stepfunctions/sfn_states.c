/*
 * sfn_states.c: the bodies of the state types: Pass, Choice, Wait, Succeed,
 * Fail, Parallel and Map, each with the history events AWS records for it.
 * Task states are in sfn_task.c.
 *
 * Not handled: distributed Map (ItemReader, ResultWriter, ItemBatcher,
 * tolerated failures), JSONata states, Activities and the callback and
 * .sync integration patterns.
 */
#include "sfn_run.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sfn_choice.h"
#include "sfn_dataflow.h"
#include "sfn_intrinsic.h"
#include "sfn_path.h"
#include "util.h"

void sfn__set_phase(sfn_frame *f, const char *phase)
{
    free(f->phase);
    f->phase = xstrdup(phase);
}

void sfn__scratch_put(sfn_frame *f, const char *name, cJSON *value)
{
    cJSON_DeleteItemFromObjectCaseSensitive(f->scratch, name);
    cJSON_AddItemToObject(f->scratch, name, value);
}

sfn_outcome sfn__fail_with(sfn_run *r, const sfn_failure *failure)
{
    return sfn__state_fail(r, failure->error, failure->cause, NULL);
}

/* Create and schedule a child frame of `parent`; `input` is taken. */
static void sfn_child_create(sfn_run *r, const sfn_frame *parent, int index,
                             const cJSON *machine, cJSON *input,
                             const char *map_name)
{
    sfn_frame child = {
        .id = ++r->frame_count,
        .parent = parent->id,
        .index = index,
        .machine = (cJSON *)machine,
        .state = (char *)sfn__str(machine, "StartAt"),
        .phase = map_name ? "iteration" : "enter",
        .data = input,
        .scratch = cJSON_CreateObject(),
        .status = "RUNNING",
        .last_event = parent->last_event,
    };
    if (map_name)
        cJSON_AddStringToObject(child.scratch, "map", map_name);
    if (cJSON_IsTrue(sfn__get(parent->scratch, "quiet")) ||
        cJSON_IsTrue(sfn__get(parent->scratch, "distributed")))
        cJSON_AddTrueToObject(child.scratch, "quiet");
    sfn__frame_save(r->srv, r->exec->arn, &child);
    sfn__schedule_step(r->srv, r->exec->arn, child.id,
                       clock_now_ms(&r->srv->clock));
    cJSON_Delete(child.data);
    cJSON_Delete(child.scratch);
}

static sfn_outcome sfn_pass(sfn_run *r, const cJSON *ctx)
{
    sfn_failure failure = {0};
    cJSON *out = sfn_pass_state_output(r->state, r->frame->data, ctx, &failure);
    if (!out)
        return sfn__fail_with(r, &failure);
    return sfn__state_exit(r, out, sfn__str(r->state, "Next"),
                           cJSON_IsTrue(sfn__get(r->state, "End")));
}

static sfn_outcome sfn_choice(sfn_run *r, const cJSON *ctx)
{
    sfn_failure failure = {0};
    cJSON *effective =
        sfn_select_path(sfn__get(r->state, "InputPath"), "InputPath",
                        r->frame->data, ctx, &failure);
    if (!effective)
        return sfn__fail_with(r, &failure);
    const char *next = sfn_choice_next(r->state, effective, ctx, &failure);
    cJSON *out = next ? sfn_select_path(sfn__get(r->state, "OutputPath"),
                                        "OutputPath", effective, ctx, &failure)
                      : NULL;
    cJSON_Delete(effective);
    if (!out)
        return sfn__fail_with(r, &failure);
    return sfn__state_exit(r, out, next, false);
}

/* The Wait or Succeed output: OutputPath of InputPath of the raw input. */
static cJSON *sfn_passthrough(sfn_run *r, const cJSON *ctx,
                              sfn_failure *failure)
{
    cJSON *effective =
        sfn_select_path(sfn__get(r->state, "InputPath"), "InputPath",
                        r->frame->data, ctx, failure);
    if (!effective)
        return NULL;
    cJSON *out = sfn_select_path(sfn__get(r->state, "OutputPath"), "OutputPath",
                                 effective, ctx, failure);
    cJSON_Delete(effective);
    return out;
}

static sfn_outcome sfn_succeed(sfn_run *r, const cJSON *ctx)
{
    sfn_failure failure = {0};
    cJSON *out = sfn_passthrough(r, ctx, &failure);
    if (!out)
        return sfn__fail_with(r, &failure);
    return sfn__state_exit(r, out, NULL, true);
}

/* Error or Cause of a Fail state from the literal or its *Path member. */
static bool sfn_fail_field(const cJSON *state, const char *name,
                           const cJSON *raw, const cJSON *ctx, char *out,
                           size_t len, sfn_failure *failure)
{
    char path_name[32];
    snprintf(path_name, sizeof path_name, "%sPath", name);
    const char *literal = sfn__str(state, name);
    const char *path = sfn__str(state, path_name);
    out[0] = '\0';
    if (literal)
        snprintf(out, len, "%s", literal);
    if (!path)
        return true;

    cJSON *value = NULL;
    if (sfn_intrinsic_is_call(path)) {
        value = sfn_intrinsic_eval(path, raw, ctx, path_name, failure);
    } else {
        sfn_path_query(path, SFN_PATH_REFERENCE, raw, ctx, &value, NULL, 0);
        if (!value) {
            char *json = sfn_json_compact(raw);
            sfn_failure_set(failure, SFN_ERR_RUNTIME,
                            "The JSONPath '%s' specified for the field '%s' "
                            "could not be found in the input '%s'",
                            path, path_name, json);
            free(json);
        }
    }
    if (!value)
        return false;
    if (cJSON_IsString(value))
        snprintf(out, len, "%s", value->valuestring);
    cJSON_Delete(value);
    return true;
}

static sfn_outcome sfn_fail_state(sfn_run *r, const cJSON *ctx)
{
    sfn_failure failure = {0};
    char *error = xmalloc(SFN_ERROR_MAX + 1);
    char *cause = xmalloc(SFN_CAUSE_MAX + 1);
    bool ok = sfn_fail_field(r->state, "Error", r->frame->data, ctx, error,
                             SFN_ERROR_MAX + 1, &failure) &&
              sfn_fail_field(r->state, "Cause", r->frame->data, ctx, cause,
                             SFN_CAUSE_MAX + 1, &failure);
    if (ok) {
        sfn__frame_finish(r, NULL, error, cause);
    } else {
        const cJSON *entered = sfn__get(r->frame->scratch, "entered");
        sfn_failure_prefix_state(
            &failure, r->frame->state,
            cJSON_IsNumber(entered) ? (long)entered->valuedouble : 0);
        sfn__frame_finish(r, NULL, failure.error, failure.cause);
    }
    free(error);
    free(cause);
    return SFN_FINISHED;
}

static sfn_outcome sfn_wait(sfn_run *r, const cJSON *ctx)
{
    sfn_failure failure = {0};
    cJSON *effective =
        sfn_select_path(sfn__get(r->state, "InputPath"), "InputPath",
                        r->frame->data, ctx, &failure);
    if (!effective)
        return sfn__fail_with(r, &failure);

    int64_t now = clock_now_ms(&r->srv->clock);
    int64_t due = now;
    const cJSON *seconds = sfn__get(r->state, "Seconds");
    const char *timestamp = sfn__str(r->state, "Timestamp");
    const char *seconds_path = sfn__str(r->state, "SecondsPath");
    const char *timestamp_path = sfn__str(r->state, "TimestampPath");
    cJSON *value = NULL;
    const char *path = seconds_path ? seconds_path : timestamp_path;
    if (path) {
        char detail[512] = "";
        if (sfn_path_query(path, SFN_PATH_REFERENCE, effective, ctx, &value,
                           detail, sizeof detail) != SFN_PATH_FOUND) {
            char *json = sfn_json_compact(effective);
            sfn_failure_set(&failure, SFN_ERR_RUNTIME, "Invalid path '%s' : %s",
                            path, detail);
            free(json);
        }
    }
    cJSON_Delete(effective);

    long long secs = 0;
    long nanos = 0;
    if (cJSON_IsNumber(seconds)) {
        due = now + (int64_t)(seconds->valuedouble * 1000);
    } else if (timestamp && sfn_timestamp_parse(timestamp, &secs, &nanos)) {
        due = (int64_t)secs * 1000 + nanos / 1000000;
    } else if (seconds_path && value) {
        if (!cJSON_IsNumber(value) || value->valuedouble < 0 ||
            value->valuedouble != (double)(long long)value->valuedouble)
            sfn_failure_set(&failure, SFN_ERR_RUNTIME,
                            "The SecondsPath parameter does not reference a "
                            "valid non-negative integer: '%s'",
                            seconds_path);
        else
            due = now + (int64_t)value->valuedouble * 1000;
    } else if (timestamp_path && value) {
        if (!cJSON_IsString(value) ||
            !sfn_timestamp_parse(value->valuestring, &secs, &nanos))
            sfn_failure_set(&failure, SFN_ERR_RUNTIME,
                            "The TimestampPath parameter does not reference "
                            "a valid ISO-8601 extended offset date-time "
                            "format string: '%s'",
                            timestamp_path);
        else
            due = (int64_t)secs * 1000 + nanos / 1000000;
    }
    cJSON_Delete(value);
    if (failure.error[0])
        return sfn__fail_with(r, &failure);

    sfn__set_phase(r->frame, "wait");
    sfn__schedule_step(r->srv, r->exec->arn, r->frame->id,
                       due > now ? due : now);
    return SFN_BLOCKED;
}

static sfn_outcome sfn_wait_done(sfn_run *r, const cJSON *ctx)
{
    sfn_failure failure = {0};
    cJSON *out = sfn_passthrough(r, ctx, &failure);
    if (!out)
        return sfn__fail_with(r, &failure);
    return sfn__state_exit(r, out, sfn__str(r->state, "Next"),
                           cJSON_IsTrue(sfn__get(r->state, "End")));
}

/* Parallel and Map */

static sfn_outcome sfn_parallel(sfn_run *r, const cJSON *ctx)
{
    sfn_failure failure = {0};
    cJSON *effective = sfn_state_effective_input(r->state, NULL, r->frame->data,
                                                 ctx, &failure);
    if (!effective)
        return sfn__fail_with(r, &failure);
    sfn__emit(r, "ParallelStateStarted", NULL, NULL);

    const cJSON *branches = sfn__get(r->state, "Branches");
    const cJSON *branch;
    int index = 0;
    cJSON_ArrayForEach(branch, branches)
    {
        sfn_child_create(r, r->frame, index++, branch,
                         cJSON_Duplicate(effective, 1), NULL);
    }
    cJSON_Delete(effective);
    cJSON *kids = cJSON_CreateObject();
    cJSON_AddNumberToObject(kids, "total", index);
    cJSON_AddNumberToObject(kids, "started", index);
    cJSON_AddNumberToObject(kids, "done", 0);
    sfn__scratch_put(r->frame, "children", kids);
    sfn__set_phase(r->frame, "children");
    return SFN_BLOCKED;
}

int sfn__map_start_next(sfn_run *r, sfn_frame *parent)
{
    const cJSON *states = sfn__get(sfn__frame_machine(parent), "States");
    const cJSON *state = sfn__get(states, parent->state);
    cJSON *kids = cJSON_GetObjectItemCaseSensitive(parent->scratch, "children");
    cJSON *started = cJSON_GetObjectItemCaseSensitive(kids, "started");
    int index = (int)started->valuedouble;
    const cJSON *item =
        cJSON_GetArrayItem(sfn__get(parent->scratch, "items"), index);
    const cJSON *effective = sfn__get(parent->scratch, "effective");

    sfn_run pr = {
        .srv = r->srv, .exec = r->exec, .frame = parent, .state = state};
    cJSON *ctx = sfn__context(&pr);
    cJSON *map_item =
        cJSON_AddObjectToObject(cJSON_AddObjectToObject(ctx, "Map"), "Item");
    cJSON_AddNumberToObject(map_item, "Index", index);
    cJSON_AddItemToObject(map_item, "Value", cJSON_Duplicate(item, 1));
    const cJSON *selector = sfn__get(state, "ItemSelector");
    if (!selector)
        selector = sfn__get(state, "Parameters");
    sfn_failure failure = {0};
    cJSON *input = selector
                       ? sfn_payload_apply(selector, effective, ctx, &failure)
                       : cJSON_Duplicate(item, 1);
    cJSON_Delete(ctx);

    if (!input) {
        cJSON *failed = cJSON_CreateObject();
        cJSON_AddStringToObject(failed, "error", failure.error);
        cJSON_AddStringToObject(failed, "cause", failure.cause);
        sfn__scratch_put(parent, "outcome", failed);
        sfn__set_phase(parent, "children_failed");
        sfn__frames_abort(r->srv, r->exec->arn, parent->id);
        sfn__schedule_step(r->srv, r->exec->arn, parent->id,
                           clock_now_ms(&r->srv->clock));
        sfn__frame_save(r->srv, r->exec->arn, parent);
        return -1;
    }
    const cJSON *processor = sfn__get(state, "ItemProcessor");
    if (!processor)
        processor = sfn__get(state, "Iterator");
    cJSON_SetNumberValue(started, index + 1);
    sfn_child_create(r, parent, index, processor, input, parent->state);
    return 0;
}

/* Whether a Map runs its iterations as child executions (AWS's distributed
 * mode), which the history shows as one map run. */
static bool sfn_map_distributed(const cJSON *state)
{
    const cJSON *processor = sfn__get(state, "ItemProcessor");
    if (!processor)
        processor = sfn__get(state, "Iterator");
    const char *mode = sfn__str(sfn__get(processor, "ProcessorConfig"), "Mode");
    return mode && strcmp(mode, "DISTRIBUTED") == 0;
}

static void sfn_map_run_started(sfn_run *r)
{
    char id[37], arn[1024];
    util_uuid4(id);
    const char *machine = strrchr(r->exec->machine_arn, ':');
    snprintf(arn, sizeof arn, "arn:aws:states:%s:%s:mapRun:%s/%s:%s",
             r->exec->region, r->exec->account, machine ? machine + 1 : "",
             r->frame->state, id);
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "mapRunArn", arn);
    sfn__emit(r, "MapRunStarted", "mapRunStartedEventDetails", d);
}

static sfn_outcome sfn_map(sfn_run *r, const cJSON *ctx)
{
    sfn_failure failure = {0};
    cJSON *effective =
        sfn_select_path(sfn__get(r->state, "InputPath"), "InputPath",
                        r->frame->data, ctx, &failure);
    if (!effective)
        return sfn__fail_with(r, &failure);
    cJSON *items = sfn_items_select(sfn__get(r->state, "ItemsPath"), effective,
                                    ctx, &failure);
    if (!items) {
        cJSON_Delete(effective);
        return sfn__fail_with(r, &failure);
    }
    int total = cJSON_GetArraySize(items);
    cJSON *d = cJSON_CreateObject();
    cJSON_AddNumberToObject(d, "length", total);
    sfn__emit(r, "MapStateStarted", "mapStateStartedEventDetails", d);
    if (sfn_map_distributed(r->state)) {
        sfn__scratch_put(r->frame, "distributed", cJSON_CreateTrue());
        sfn_map_run_started(r);
    }

    if (total == 0) {
        cJSON_Delete(items);
        cJSON_Delete(effective);
        if (sfn_map_distributed(r->state))
            sfn__emit(r, "MapRunSucceeded", NULL, NULL);
        sfn__emit(r, "MapStateSucceeded", NULL, NULL);
        cJSON *out = sfn_state_output(r->state, r->frame->data,
                                      cJSON_CreateArray(), ctx, &failure);
        if (!out)
            return sfn__fail_with(r, &failure);
        return sfn__state_exit(r, out, sfn__str(r->state, "Next"),
                               cJSON_IsTrue(sfn__get(r->state, "End")));
    }

    sfn__scratch_put(r->frame, "items", items);
    sfn__scratch_put(r->frame, "effective", effective);
    cJSON *kids = cJSON_CreateObject();
    cJSON_AddNumberToObject(kids, "total", total);
    cJSON_AddNumberToObject(kids, "started", 0);
    cJSON_AddNumberToObject(kids, "done", 0);
    sfn__scratch_put(r->frame, "children", kids);
    sfn__set_phase(r->frame, "children");

    const cJSON *max = sfn__get(r->state, "MaxConcurrency");
    int limit = cJSON_IsNumber(max) && max->valuedouble >= 1
                    ? (int)max->valuedouble
                    : total;
    for (int i = 0; i < limit && i < total; i++)
        if (sfn__map_start_next(r, r->frame) != 0)
            break;
    return SFN_BLOCKED;
}

/* Delete the child frames of `parent`, returning the outputs of those that
 * succeeded in index order when `results` is not NULL. */
static void sfn_children_take(sfn_run *r, cJSON *results)
{
    store *st = r->srv->store;
    sqlite3_stmt *s;
    if (results) {
        s = store_stmt(st, "SELECT output FROM sfn_frames"
                           " WHERE execution_arn = ?1 AND parent = ?2"
                           " AND status = 'SUCCEEDED' ORDER BY idx");
        sqlite3_bind_text(s, 1, r->exec->arn, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 2, r->frame->id);
        while (sqlite3_step(s) == SQLITE_ROW) {
            const char *text = (const char *)sqlite3_column_text(s, 0);
            cJSON *v = text ? cJSON_Parse(text) : NULL;
            cJSON_AddItemToArray(results, v ? v : cJSON_CreateNull());
        }
        sqlite3_reset(s);
    }
    s = store_stmt(st, "DELETE FROM sfn_frames WHERE execution_arn = ?1"
                       " AND parent = ?2");
    sqlite3_bind_text(s, 1, r->exec->arn, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, r->frame->id);
    sqlite3_step(s);
    sqlite3_reset(s);
}

static sfn_outcome sfn_children_done(sfn_run *r, const cJSON *ctx, bool ok)
{
    bool map = strcmp(sfn__str(r->state, "Type"), "Map") == 0;
    bool distributed = cJSON_IsTrue(sfn__get(r->frame->scratch, "distributed"));
    const cJSON *last = sfn__get(r->frame->scratch, "last_child");
    if (cJSON_IsNumber(last) && !distributed)
        r->frame->last_event = (int64_t)last->valuedouble;
    cJSON *results = ok ? cJSON_CreateArray() : NULL;
    sfn_children_take(r, results);
    static const char *const members[] = {"items", "effective", "children",
                                          "distributed", "last_child"};
    for (size_t i = 0; i < sizeof members / sizeof *members; i++)
        cJSON_DeleteItemFromObjectCaseSensitive(r->frame->scratch, members[i]);

    if (!ok) {
        const cJSON *outcome = sfn__get(r->frame->scratch, "outcome");
        char *error = xstrdup(
            sfn__str(outcome, "error") ? sfn__str(outcome, "error") : "");
        char *cause = xstrdup(
            sfn__str(outcome, "cause") ? sfn__str(outcome, "cause") : "");
        cJSON_DeleteItemFromObjectCaseSensitive(r->frame->scratch, "outcome");
        if (distributed) {
            cJSON *d = cJSON_CreateObject();
            cJSON_AddStringToObject(d, "error", error);
            cJSON_AddStringToObject(d, "cause", cause);
            sfn__emit(r, "MapRunFailed", "mapRunFailedEventDetails", d);
        }
        sfn_outcome result = sfn__state_fail(
            r, error, cause, map ? "MapStateFailed" : "ParallelStateFailed");
        free(error);
        free(cause);
        return result;
    }

    if (distributed)
        sfn__emit(r, "MapRunSucceeded", NULL, NULL);
    sfn__emit(r, map ? "MapStateSucceeded" : "ParallelStateSucceeded", NULL,
              NULL);
    sfn_failure failure = {0};
    cJSON *out =
        sfn_state_output(r->state, r->frame->data, results, ctx, &failure);
    if (!out)
        return sfn__fail_with(r, &failure);
    return sfn__state_exit(r, out, sfn__str(r->state, "Next"),
                           cJSON_IsTrue(sfn__get(r->state, "End")));
}

/* Run the state's work, on entry or on a retry. */
static sfn_outcome sfn_body(sfn_run *r, const cJSON *ctx)
{
    const char *type = sfn__str(r->state, "Type");
    if (strcmp(type, "Pass") == 0)
        return sfn_pass(r, ctx);
    if (strcmp(type, "Choice") == 0)
        return sfn_choice(r, ctx);
    if (strcmp(type, "Wait") == 0)
        return sfn_wait(r, ctx);
    if (strcmp(type, "Succeed") == 0)
        return sfn_succeed(r, ctx);
    if (strcmp(type, "Fail") == 0)
        return sfn_fail_state(r, ctx);
    if (strcmp(type, "Task") == 0)
        return sfn__task_run(r, ctx);
    if (strcmp(type, "Parallel") == 0)
        return sfn_parallel(r, ctx);
    if (strcmp(type, "Map") == 0)
        return sfn_map(r, ctx);
    return sfn__state_fail(r, SFN_ERR_RUNTIME, "Unsupported state type", NULL);
}

static sfn_outcome sfn_enter(sfn_run *r)
{
    char type[64];
    snprintf(type, sizeof type, "%sStateEntered", sfn__str(r->state, "Type"));
    int64_t id =
        sfn__emit(r, type, "stateEnteredEventDetails",
                  sfn__state_details(r->frame->state, "input", r->frame->data));
    log_debug("stepfunctions", "%s: state %s entered (event %lld)",
              r->exec->arn, r->frame->state, (long long)id);
    sfn__scratch_put(r->frame, "entered", cJSON_CreateNumber((double)id));
    sfn__scratch_put(r->frame, "entered_ms",
                     cJSON_CreateNumber((double)clock_now_ms(&r->srv->clock)));
    return SFN_CONTINUE;
}

sfn_outcome sfn__frame_advance(sfn_run *r)
{
    const char *phase = r->frame->phase;
    if (strcmp(phase, "iteration") == 0) {
        cJSON *d = cJSON_CreateObject();
        cJSON_AddNumberToObject(d, "index", r->frame->index);
        cJSON_AddStringToObject(d, "name", sfn__str(r->frame->scratch, "map"));
        sfn__emit(r, "MapIterationStarted", "mapIterationStartedEventDetails",
                  d);
        sfn__set_phase(r->frame, "enter");
        phase = r->frame->phase;
    }

    bool enter = strcmp(phase, "enter") == 0;
    if (enter)
        sfn_enter(r);
    cJSON *ctx = sfn__context(r);
    sfn_outcome result = SFN_BLOCKED;
    if (enter || strcmp(phase, "retry") == 0)
        result = sfn_body(r, ctx);
    else if (strcmp(phase, "wait") == 0)
        result = sfn_wait_done(r, ctx);
    else if (strcmp(phase, "task_done") == 0)
        result = sfn__task_finish(r, ctx);
    else if (strcmp(phase, "task_submitted") == 0)
        result = sfn__task_submitted(r, ctx);
    else if (strcmp(phase, "children_done") == 0)
        result = sfn_children_done(r, ctx, true);
    else if (strcmp(phase, "children_failed") == 0)
        result = sfn_children_done(r, ctx, false);
    cJSON_Delete(ctx);
    return result;
}
