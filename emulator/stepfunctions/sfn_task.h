/*
 * sfn_task.h: the registry that dispatches Task states to other services.
 *
 * A service registers a handler for a resource ARN prefix, such as
 * "arn:aws:states:::lambda:invoke" or "arn:aws:lambda:". When a Task state
 * runs, the interpreter picks the handler with the longest prefix of the
 * state's Resource and calls it with the state's effective input. The
 * handler reports the outcome once through `done`, either before it returns
 * or later from the loop. Execution state is durable, the handler's work is
 * not: after a restart, a Task that was in flight is dispatched again.
 */
#ifndef STRATUS_SFN_TASK_H
#define STRATUS_SFN_TASK_H

#include <cjson/cJSON.h>

struct stratus;

/* What a task handler is asked to run; every member is borrowed for the
 * duration of the handler call only. */
typedef struct sfn_task_request {
    const char *account;
    const char *region;
    const char *resource;      /* the Task state's Resource */
    const cJSON *parameters;   /* the effective input (after Parameters) */
    const char *execution_arn; /* for logs and context */
    int timeout_seconds;       /* the state's TimeoutSeconds, 0 when unset */
    const char *role_arn;      /* the execution's role, for IAM checks */
} sfn_task_request;

/*
 * Report a task's outcome: `output` (borrowed, copied by the callee) on
 * success, or `error` and `cause` (either may be NULL) on failure, with
 * `output` NULL. Call it exactly once per dispatch; it frees `done_arg`.
 * It may run inside or outside a store call.
 */
typedef void (*sfn_task_done)(struct stratus *srv, void *done_arg,
                              const cJSON *output, const char *error,
                              const char *cause);

typedef void (*sfn_task_fn)(struct stratus *srv, const sfn_task_request *req,
                            sfn_task_done done, void *done_arg);

/*
 * Register `fn` for every Resource that starts with `prefix` (copied).
 * A later registration of the same prefix replaces the earlier one. Callable
 * before or after the Step Functions service initialises.
 */
void sfn_task_register(struct stratus *srv, const char *prefix, sfn_task_fn fn);

#endif
