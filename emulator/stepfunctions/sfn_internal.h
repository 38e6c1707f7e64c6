/*
 * sfn_internal.h: what the files of the Step Functions service share: the
 * stored records of state machines, executions and interpreter frames, the
 * history writer, definition validation and the interpreter's entry points.
 *
 * An execution runs as a tree of frames. The root frame walks the top-level
 * States; each Parallel branch and each Map iteration is a child frame. A
 * frame is one row of sfn_frames: its current state, the raw input of that
 * state, a phase telling where in the state it stopped, and scratch data
 * (retry counts, task outcome, child bookkeeping). The interpreter moves a
 * frame only inside a job of kind SFN_STEP_JOB, so each move commits with
 * its history events, and a restart resumes from the last committed move.
 */
#ifndef STRATUS_SFN_INTERNAL_H
#define STRATUS_SFN_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "aws.h"
#include "sfn.h"
#include "sfn_error.h"
#include "stratus.h"

#define SFN_STEP_JOB "sfn.step"
#define SFN_TIMEOUT_JOB "sfn.timeout"

/* Names of 1 to 80 characters (the StartExecution naming rules) and
 * maxResults of at most 1000 (AWS's validation message). NOTE: the 1 MiB
 * definition limit is not checked against AWS. */
#define SFN_NAME_MAX 80
#define SFN_PAGE_MAX 1000
#define SFN_DEFINITION_MAX (1024 * 1024)

typedef struct sfn_registration {
    char *prefix;
    sfn_task_fn fn;
} sfn_registration;

/* Per-instance service state: the task registry and the outcome slot of a
 * task handler that completes before it returns. */
typedef struct sfn_service_state {
    sfn_registration *tasks;
    size_t task_count;
    void *sync_arg;      /* done_arg of the dispatch in progress */
    cJSON *sync_outcome; /* its outcome when reported before returning */
    struct sfn_sync_waiter *waiters; /* held StartSyncExecution calls */
    /* Steps due now that a running step asked for, run after it in the same
     * store call (sfn_run.c); only collected while local_depth > 0. */
    struct sfn_local_step *local;
    size_t local_count, local_cap;
    int local_depth;
} sfn_service_state;

typedef struct sfn_machine {
    char *arn, *name, *type, *definition, *role_arn, *revision_id;
    char *logging, *tracing; /* JSON texts */
    int64_t created_ms, updated_ms;
} sfn_machine;

typedef struct sfn_execution {
    char *arn, *machine_arn, *account, *region, *name, *type, *status;
    char *input, *output, *error, *cause, *definition, *role_arn;
    int64_t start_ms, stop_ms;
    int64_t event_count; /* id of the last history event, when loaded */
    int64_t frame_count; /* id of the last interpreter frame */
    int64_t seq;         /* start order, also the key of its history */
} sfn_execution;

typedef struct sfn_frame {
    int64_t id, parent;
    int index; /* branch or iteration index; -1 for the root */
    /* The {StartAt, States} this frame walks: read it with
     * sfn__frame_machine, because a loaded frame parses it on first use. */
    cJSON *machine;
    char *machine_text; /* `machine` as stored, NULL for a new frame */
    char *state;        /* current state name */
    char *phase;
    cJSON *data;    /* raw input of the current state */
    cJSON *scratch; /* per-state bookkeeping, always an object */
    char *status;   /* RUNNING, SUCCEEDED, FAILED, ABORTED */
    cJSON *output;
    char *error, *cause;
    int64_t last_event;
} sfn_frame;

/* sfn_store.c */
int sfn__store_init(stratus *srv, aws_error *err);
sfn_service_state *sfn__state(stratus *srv);
void sfn__state_free(stratus *srv);
sfn_machine *sfn__machine_load(stratus *srv, const char *arn);
void sfn__machine_free(sfn_machine *m);
sfn_execution *sfn__execution_load(stratus *srv, const char *arn);
void sfn__execution_free(sfn_execution *e);
void sfn__execution_close(stratus *srv, const char *arn, const char *status,
                          const char *output, const char *error,
                          const char *cause, int64_t stop_ms);
sfn_frame *sfn__frame_load(stratus *srv, const char *exec_arn, int64_t id);
void sfn__frame_save(stratus *srv, const char *exec_arn, const sfn_frame *f);
void sfn__frame_free(sfn_frame *f);
/* Store the id of an execution's last frame, which a run counts on from
 * frame_count in memory. */
void sfn__frame_count_save(stratus *srv, const char *exec_arn, int64_t count);
/* The frame's machine, parsed from its stored text on the first call. */
const cJSON *sfn__frame_machine(sfn_frame *f);
/* Whether frame `id` exists and runs, without loading and parsing it. */
bool sfn__frame_running(stratus *srv, const char *exec_arn, int64_t id);
/* Mark every running frame below `parent` (or of the whole execution when
 * `parent` is -1) as ABORTED. */
void sfn__frames_abort(stratus *srv, const char *exec_arn, int64_t parent);

/* sfn_logs.c: write a history event to the state machine's log group
 * when its loggingConfiguration includes events of that type. */
void sfn__event_log(stratus *srv, const char *exec_arn, int64_t id,
                    const char *type, int64_t previous_id, const char *details);

/*
 * Append a history event of `type` and return its id. `details_name`
 * ("stateEnteredEventDetails") may be NULL; `details` is taken.
 */
int64_t sfn__event_add(stratus *srv, const sfn_execution *e, const char *type,
                       int64_t previous_id, const char *details_name,
                       cJSON *details);
/* Insert the history event `id`, which the caller counts on from the
 * execution's event_count. `details` is taken. */
void sfn__event_insert(stratus *srv, const sfn_execution *e, int64_t id,
                       const char *type, int64_t previous_id,
                       const char *details_name, cJSON *details);

/* sfn_validate.c */
bool sfn__name_valid(const char *name);
/*
 * Parse and check a definition. Returns the parsed tree, or NULL with an
 * InvalidDefinition error in `err` worded as AWS words it.
 */
cJSON *sfn__definition_check(const char *text, const char *type,
                             aws_error *err);

/* sfn_util.c */
const char *sfn__str(const cJSON *obj, const char *name);
const cJSON *sfn__get(const cJSON *obj, const char *name);
void sfn__add_time(cJSON *obj, const char *name, int64_t ms);
/* Split an ARN of `kind` ("stateMachine", "execution") into its region,
 * account and resource parts; returns -1 with InvalidArn in `err`. */
int sfn__arn_check(const char *arn, const char *kind, aws_error *err);
char *sfn__page_token(int64_t offset);
/* Returns the offset of a token, or -1 when it is not one of ours. */
int64_t sfn__page_offset(const char *token);

/* sfn_run.c */
/* Record ExecutionStarted, create the root frame and run it as far as a
 * step job would, so an execution may close before this returns. */
void sfn__execution_begin(stratus *srv, const sfn_execution *e,
                          const cJSON *definition);
int64_t sfn__step_job(stratus *srv, const char *account, const char *region,
                      const cJSON *payload);
int64_t sfn__timeout_job(stratus *srv, const char *account, const char *region,
                         const cJSON *payload);
void sfn__schedule_step(stratus *srv, const char *exec_arn, int64_t frame,
                        int64_t due_ms);
/* Dispatch again the Task states that were waiting for a result when the
 * instance stopped, since their callbacks died with it. */
void sfn__tasks_resume(stratus *srv);
/* Abort a RUNNING execution with an optional error and cause. */
void sfn__execution_abort(stratus *srv, const sfn_execution *e,
                          const char *error, const char *cause);

/* sfn_lambda.c: register the Lambda task handlers. */
void sfn__lambda_register(stratus *srv);
/* sfn_evb.c: register state machines as EventBridge targets. */
int sfn__evb_register(stratus *srv);

/* sfn_tags.c: store the {key, value} list `tags` (may be NULL) on `arn`,
 * or delete every tag of `arn`. */
int sfn__tags_put(stratus *srv, const char *arn, const cJSON *tags,
                  aws_error *err);
void sfn__tags_delete_all(stratus *srv, const char *arn);

/* sfn_sync.c: respond to the StartSyncExecution call waiting for `exec_arn`,
 * if any (called when an execution closes), and drop every waiter. */
void sfn__sync_closed(stratus *srv, const char *exec_arn);
void sfn__sync_cleanup(stratus *srv);
cJSON *sfn_op_start_sync_execution(aws_request *req, aws_error *err);

/* sfn_api.c */
/* Add the members DescribeStateMachine and DescribeStateMachineForExecution
 * share. */
void sfn__machine_describe(cJSON *out, const sfn_machine *m);
/* Read maxResults and nextToken; returns -1 with `err` filled. */
int sfn__page_args(const cJSON *body, int *limit, int64_t *offset,
                   aws_error *err);

/* Operation handlers (sfn_api.c and sfn_exec.c) */
cJSON *sfn_op_create_state_machine(aws_request *req, aws_error *err);
cJSON *sfn_op_describe_state_machine(aws_request *req, aws_error *err);
cJSON *sfn_op_list_state_machines(aws_request *req, aws_error *err);
cJSON *sfn_op_delete_state_machine(aws_request *req, aws_error *err);
cJSON *sfn_op_update_state_machine(aws_request *req, aws_error *err);
cJSON *sfn_op_start_execution(aws_request *req, aws_error *err);
cJSON *sfn_op_describe_execution(aws_request *req, aws_error *err);
cJSON *sfn_op_list_executions(aws_request *req, aws_error *err);
cJSON *sfn_op_stop_execution(aws_request *req, aws_error *err);
cJSON *sfn_op_get_execution_history(aws_request *req, aws_error *err);
cJSON *sfn_op_describe_state_machine_for_execution(aws_request *req,
                                                   aws_error *err);
cJSON *sfn_op_tag_resource(aws_request *req, aws_error *err);
cJSON *sfn_op_untag_resource(aws_request *req, aws_error *err);
cJSON *sfn_op_list_tags_for_resource(aws_request *req, aws_error *err);
cJSON *sfn_op_validate_state_machine_definition(aws_request *req,
                                                aws_error *err);
cJSON *sfn_op_send_task_success(aws_request *req, aws_error *err);
cJSON *sfn_op_send_task_failure(aws_request *req, aws_error *err);
cJSON *sfn_op_send_task_heartbeat(aws_request *req, aws_error *err);

/* *_iam.c: the IAM action and resource ARN of a request (the
 * aws_service resource_arn hook). */
int sfn__resource_arn(const aws_request *req, size_t index, char *action,
                      size_t action_size, char *arn, size_t arn_size);

#endif
