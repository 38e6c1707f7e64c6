/*
 * sfn_run.h: what the interpreter's driver (sfn_run.c) and the state bodies
 * (sfn_states.c) share.
 */
#ifndef STRATUS_SFN_RUN_H
#define STRATUS_SFN_RUN_H

#include "sfn_internal.h"

/* The state of a frame after one state move. */
typedef enum sfn_outcome {
    SFN_CONTINUE, /* moved to the next state, which can run now */
    SFN_BLOCKED,  /* waits for a job, a task callback or its children */
    SFN_FINISHED  /* the frame ended */
} sfn_outcome;

/* One step job's view of an execution and the frame it moves. */
typedef struct sfn_run {
    stratus *srv;
    sfn_execution *exec;
    sfn_frame *frame;
    const cJSON *state;  /* the frame's current state definition */
    bool frame_gone;     /* the frame row was deleted and must not be saved */
    int64_t event_count; /* the execution's last event id */
    int64_t frame_count; /* the execution's last frame id, stored on close */
} sfn_run;

/* sfn_run.c */
int64_t sfn__emit(sfn_run *r, const char *type, const char *details_name,
                  cJSON *details);
cJSON *sfn__state_details(const char *name, const char *member,
                          const cJSON *value);
/* The context object `$$` of the frame's current state (a new tree). */
cJSON *sfn__context(const sfn_run *r);
void sfn__schedule_timeout(stratus *srv, const char *exec_arn, int64_t frame,
                           int64_t token, const char *kind, int64_t due_ms);
/* Schedule the heartbeat timeout number `beat` of a task dispatch. */
void sfn__schedule_heartbeat(stratus *srv, const char *exec_arn, int64_t frame,
                             int64_t token, int64_t beat, int64_t due_ms);
/* Handle a failed state: Retry, then Catch, else fail the frame. When no
 * retrier takes the error, the event `failed_type` (may be NULL) is recorded
 * first, as AWS records MapStateFailed only once the retries are spent. */
sfn_outcome sfn__state_fail(sfn_run *r, const char *error, const char *cause,
                            const char *failed_type);
/* Leave the current state with `output` (taken) for `next`, or end. */
sfn_outcome sfn__state_exit(sfn_run *r, cJSON *output, const char *next,
                            bool end);
/* End the frame with `output` (taken) or with `error` and `cause`. */
void sfn__frame_finish(sfn_run *r, cJSON *output, const char *error,
                       const char *cause);

/* sfn_states.c */
void sfn__set_phase(sfn_frame *f, const char *phase);
/* Set member `name` of the frame's scratch to `value` (taken). */
void sfn__scratch_put(sfn_frame *f, const char *name, cJSON *value);
sfn_outcome sfn__fail_with(sfn_run *r, const sfn_failure *failure);
sfn_outcome sfn__frame_advance(sfn_run *r);
/* Start the next Map iteration of `parent` from the running child's job.
 * Returns 0, or -1 when the parent failed instead (it is then saved). */
int sfn__map_start_next(sfn_run *r, sfn_frame *parent);

/* sfn_task.c */
/* Dispatch the Task state of the frame (on entry or a retry). */
sfn_outcome sfn__task_run(sfn_run *r, const cJSON *ctx);
/* Finish a Task state from the outcome in its scratch. */
sfn_outcome sfn__task_finish(sfn_run *r, const cJSON *ctx);
/* Record the TaskSubmitted event of a callback task, then wait for its
 * token to be reported (or finish when it already was). */
sfn_outcome sfn__task_submitted(sfn_run *r, const cJSON *ctx);

#endif
