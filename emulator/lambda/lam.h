/*
 * lam.h: the Lambda service's interface to the rest of Stratus: its operation
 * table, the stack resource type AWS::Lambda::Function, and the invoke
 * interface other services (Step Functions, EventBridge) call with a
 * completion callback.
 */
#ifndef STRATUS_LAM_H
#define STRATUS_LAM_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "aws.h"

struct stratus;

extern const aws_service lam_service;

/*
 * The outcome of one invocation, borrowed by the completion callback.
 * `function_error` is NULL on success, else "Unhandled" and `payload` is
 * the error object {errorType, errorMessage, trace}. `log_tail` is the last
 * 4 KB of the invocation's log, START/END/REPORT lines included.
 */
typedef struct lam_result {
    const char *request_id;
    const char *function_error;
    const char *payload;
    size_t payload_len;
    const char *log_tail;
    size_t log_tail_len;
} lam_result;

typedef void (*lam_invoke_cb)(struct stratus *srv, const lam_result *result,
                              void *arg);

typedef struct lam_invocation lam_invocation;

/*
 * Start a synchronous invocation of `function` (a name, a partial or a full
 * ARN) with the event `payload` (JSON text, `len` bytes). `callback` runs
 * once, later, from the loop, never from inside this call, and not at all
 * when the instance stops first. Returns the
 * invocation (valid until the callback returns), or NULL with `err` filled
 * (ResourceNotFoundException 404, InvalidRequestContentException).
 */
lam_invocation *lam_invoke(struct stratus *srv, const char *account,
                           const char *region, const char *function,
                           const char *payload, size_t len,
                           const char *client_context, lam_invoke_cb callback,
                           void *arg, aws_error *err);

/*
 * Queue an Event invocation of `function` as a durable job (retried twice
 * on a function error, as AWS does). Must run inside a store call; the
 * invocation starts after the commit. `request_id` (may be NULL) receives
 * its request id. Returns 0, or -1 with `err` filled
 * (ResourceNotFoundException 404, InvalidRequestContentException,
 * RequestTooLargeException).
 */
int lam_invoke_event(struct stratus *srv, const char *account,
                     const char *region, const char *function,
                     const char *payload, size_t len, char request_id[37],
                     aws_error *err);

/* Drop the callback of a running invocation whose caller went away; the
 * invocation still runs to its end. */
void lam_invocation_detach(lam_invocation *inv);

/* The request id of an invocation. */
const char *lam_invocation_request_id(const lam_invocation *inv);

/* A fault injected into a function's invocations. */
typedef enum lam_fault_kind {
    LAM_FAULT_NONE,     /* clears the fault */
    LAM_FAULT_ERROR,    /* a function error, the code does not run */
    LAM_FAULT_TIMEOUT,  /* Sandbox.Timedout after the function's timeout */
    LAM_FAULT_THROTTLE, /* Invoke fails with TooManyRequestsException */
    LAM_FAULT_LATENCY,  /* the code runs after a delay (within the timeout) */
} lam_fault_kind;

/* A fault and its parameters, as the scenario runner and the fault
 * endpoint set it. */
typedef struct lam_fault {
    lam_fault_kind kind;
    int count;              /* invocations it applies to; negative: all */
    const char *error_type; /* LAM_FAULT_ERROR: errorType (NULL: default) */
    const char *message;    /* LAM_FAULT_ERROR: errorMessage (NULL: default) */
    int64_t latency_ms;     /* LAM_FAULT_LATENCY: the added delay */
} lam_fault;

/*
 * Set the fault of a function, replacing its earlier one. The function
 * need not exist yet, and faults live in memory only. Returns 0, or -1
 * with `err` filled when `function` is not a valid name.
 */
int lam_fault_apply(struct stratus *srv, const char *account,
                    const char *region, const char *function,
                    const lam_fault *fault, aws_error *err);

/*
 * Read a fault from its JSON form {Kind: "error" | "timeout" | "throttle" |
 * "latency" | "none", Count, ErrorType, ErrorMessage, LatencyMs} into
 * `out`, whose strings point into `json`. Returns 0, or -1 with a
 * ValidationException in `err`.
 */
int lam_fault_parse(const cJSON *json, lam_fault *out, aws_error *err);

/*
 * Handle Stratus's fault endpoint /_stratus/lambda/functions/NAME/fault:
 * PUT sets the fault from a JSON body, GET returns it, DELETE clears it.
 * The account and region come from the `account` and `region` query
 * parameters (default 123456789012 and us-east-1).
 */
struct http_request;
struct http_response;
void lam_fault_endpoint(struct stratus *srv, const struct http_request *req,
                        struct http_response *resp);

/*
 * Make the next `count` invocations of a function fail with `kind` (every
 * one while `count` is negative, until LAM_FAULT_NONE clears it).
 * `message` is the errorMessage of LAM_FAULT_ERROR (NULL: a default). The
 * function need not exist yet; faults live in memory only. Returns 0, or
 * -1 with `err` filled when `function` is not a valid name.
 */
int lam_fault_set(struct stratus *srv, const char *account, const char *region,
                  const char *function, lam_fault_kind kind, int count,
                  const char *message, aws_error *err);

/*
 * Set how long an idle execution environment stays warm before it is
 * stopped, in milliseconds (default 300000).
 */
void lam_set_idle_timeout(struct stratus *srv, int64_t idle_ms);

/*
 * Set how many execution environments may run at once in the instance
 * (1 to 32, default 32). When all are taken, an idle one is stopped or the
 * invocation waits for a busy one to end.
 */
void lam_set_max_environments(struct stratus *srv, int count);

/* Number of execution environments currently alive (tests). */
int lam_environment_count(struct stratus *srv);

/*
 * Number of invocations not finished yet: queued for an environment,
 * running in one, or held by a TIMEOUT fault.
 */
int lam_pending_count(struct stratus *srv);

/*
 * Apply an AWS::Lambda::Function stack resource: `properties` are
 * CreateFunction request members. An existing function gets the new
 * configuration and code. Must run inside a store call. Returns 0, or -1
 * with `err` filled.
 */
int lam_stack_apply_function(struct stratus *srv, const char *account,
                             const char *region, const char *logical_id,
                             const cJSON *properties, aws_error *err);

/*
 * Apply an AWS::Lambda::Permission stack resource: `properties` are
 * AddPermission members plus FunctionName; StatementId defaults to the
 * logical id. An existing statement is kept (ResourceInUseException).
 * Must run inside a store call. Returns 0, or -1 with `err` filled.
 */
int lam_stack_apply_permission(struct stratus *srv, const char *account,
                               const char *region, const char *logical_id,
                               const cJSON *properties, aws_error *err);

#endif
