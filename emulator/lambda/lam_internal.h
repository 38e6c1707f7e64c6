/*
 * lam_internal.h: what the files of the Lambda service share: the
 * per-instance state, functions as stored, invocations and execution
 * environments.
 */
#ifndef STRATUS_LAM_INTERNAL_H
#define STRATUS_LAM_INTERNAL_H

#include <stdint.h>

#include <cjson/cJSON.h>
#include <uv.h>

#include "aws.h"
#include "http.h"
#include "lam.h"
#include "stratus.h"
#include "util.h"

#define LAM_JOB_INVOKE "lambda.invoke"
/* Most execution environments alive at once in one instance; each uses
 * one listener of the instance's STRATUS_MAX_LISTENERS. */
#define LAM_MAX_ENVIRONMENTS 32
/* Init phase limit of an environment, in milliseconds (AWS's 10 s). */
#define LAM_INIT_LIMIT_MS 10000.0
/* Bytes of log kept for LogType Tail, as AWS returns. */
#define LAM_LOG_TAIL 4096
/* Largest synchronous request payload, in bytes (AWS's documented 6 MB
 * invocation payload quota). */
#define LAM_MAX_PAYLOAD 6291456
/* Largest function response, in bytes: the figure AWS names in its
 * Function.ResponseSizeTooLarge message (LocalStack's AWS-validated
 * snapshot test_lambda.snapshot.json, November 2025). */
#define LAM_MAX_RESPONSE 6291556

typedef struct lam_env lam_env;
typedef struct lam_function_runtime lam_function_runtime;

/* Per-instance state of the service. */
typedef struct lam_state {
    stratus *srv;
    lam_function_runtime *functions;
    int environment_count;
    int max_environments; /* at most LAM_MAX_ENVIRONMENTS */
    int64_t idle_ms;
    /* Where ZipFile code is unpacked: <data dir>/lambda-code, or a private
     * temporary directory (removed at cleanup) for in-memory instances. */
    char code_root[1100];
    int code_root_is_temporary;
} lam_state;

/* A function as stored: its FunctionConfiguration and its code directory. */
typedef struct lam_function {
    cJSON *config;
    char *code_dir;
    int reserved; /* reserved concurrency, or -1 when none is set */
} lam_function;

/* The in-memory side of one function: invocations waiting for an
 * environment, and its environments. */
struct lam_function_runtime {
    lam_state *state;
    char account[13];
    char region[32];
    char name[72];
    lam_invocation *queue_head, *queue_tail;
    lam_invocation *faulted; /* TIMEOUT faults waiting for their timer */
    lam_env *envs;
    lam_fault_kind fault;
    int fault_count; /* invocations left to fail; negative: all */
    int reserved;    /* reserved concurrency, or -1 when none is set */
    char fault_type[128];
    char fault_message[256];
    int64_t fault_latency_ms;
    lam_function_runtime *next;
};

struct lam_invocation {
    lam_state *state;
    lam_function_runtime *fn;
    char account[13];
    char region[32];
    char request_id[37];
    char arn[256];
    char trace_id[128];
    char *payload;
    size_t payload_len;
    char *client_context;
    lam_function function; /* snapshot taken at invoke time */
    double timeout_s;
    uv_timer_t timer;
    lam_env *env;
    int64_t started_ms; /* wall clock, when delivered */
    int64_t deadline_ms;
    strbuf log;
    lam_invoke_cb callback;
    void *arg;
    /* Frees `arg` when the invocation is dropped without calling back
     * (the instance stops); may be NULL. */
    void (*release)(void *arg);
    int done;
    int queued;
    int faulted;          /* a TIMEOUT or LATENCY fault: waits for its timer */
    lam_invocation *next; /* in the function's queue */
};

/* lam_function.c */
int lam__store_init(stratus *srv, aws_error *err);
/* Split a FunctionName parameter (name, partial or full ARN, optional
 * qualifier) into the bare name. Returns 0, or -1 with `err` filled. */
int lam__function_name(const char *input, const char *region,
                       const char *account, char *name, size_t size,
                       aws_error *err);
void lam__function_arn(const char *region, const char *account,
                       const char *name, char *out, size_t size);
/* Load a function; returns 0, or -1 (ResourceNotFoundException) with `err`
 * filled. The caller frees `out` with lam__function_free. */
int lam__function_load(stratus *srv, const char *account, const char *region,
                       const char *name, lam_function *out, aws_error *err);
void lam__function_free(lam_function *f);
int lam__function_put(stratus *srv, const char *account, const char *region,
                      const cJSON *request, int create, cJSON **out,
                      aws_error *err);

cJSON *lam_op_create_function(aws_request *req, aws_error *err);
cJSON *lam_op_get_function(aws_request *req, aws_error *err);
cJSON *lam_op_get_function_configuration(aws_request *req, aws_error *err);
cJSON *lam_op_list_functions(aws_request *req, aws_error *err);
cJSON *lam_op_update_function_configuration(aws_request *req, aws_error *err);
cJSON *lam_op_update_function_code(aws_request *req, aws_error *err);
cJSON *lam_op_delete_function(aws_request *req, aws_error *err);

/* lam_policy.c */
cJSON *lam_op_add_permission(aws_request *req, aws_error *err);
cJSON *lam_op_get_policy(aws_request *req, aws_error *err);
cJSON *lam_op_remove_permission(aws_request *req, aws_error *err);

/* lam_tags.c */
cJSON *lam_op_list_tags(aws_request *req, aws_error *err);
/* lam_concurrency.c */
cJSON *lam_op_put_function_concurrency(aws_request *req, aws_error *err);
cJSON *lam_op_get_function_concurrency(aws_request *req, aws_error *err);
cJSON *lam_op_delete_function_concurrency(aws_request *req, aws_error *err);
cJSON *lam_op_tag_resource(aws_request *req, aws_error *err);
cJSON *lam_op_untag_resource(aws_request *req, aws_error *err);

/* lam_code.c */
/*
 * Resolve the Code member of CreateFunction or the UpdateFunctionCode
 * request into a code directory, its CodeSha256 and CodeSize. Accepts
 * {"Directory": "/abs/path"} (a Stratus extension) and {"ZipFile": base64}
 * (unpacked under the code root). Returns 0, or -1 with `err` filled.
 */
int lam__code_resolve(lam_state *st, const cJSON *code, char **code_dir,
                      char sha256_b64[64], int64_t *size, aws_error *err);
void lam__code_cleanup(lam_state *st);
/* Base64 of `len` bytes; the caller frees the result. */
char *lam__base64(const unsigned char *data, size_t len);
/* Decode base64 text into a new NUL-terminated buffer, or NULL when the
 * text is not base64. */
unsigned char *lam__base64_decode(const char *text, size_t *out_len);

/* lam_invoke.c */
cJSON *lam_op_invoke(aws_request *req, aws_error *err);
int64_t lam__invoke_job(stratus *srv, const char *account, const char *region,
                        const cJSON *payload);
/* Reschedule the Event attempts a crash interrupted. Must run inside a
 * store call. Returns how many. */
int lam__event_recover(stratus *srv);

/* One execution environment: a runtime process and its listener. */
struct lam_env {
    lam_state *state;
    lam_function_runtime *fn;
    http_listener *listener;
    int port;
    uv_process_t process;
    uv_pipe_t out, err;
    uv_timer_t idle_timer;
    int open_handles;
    int spawned, exited, killed, retired, finished;
    int64_t exit_status;
    int term_signal;
    int out_open, err_open;
    strbuf out_line, err_line;
    strbuf init_log;
    http_pending *next_pending;
    lam_invocation *inv;
    int served;
    int64_t spawned_ms;
    double init_ms;
    char log_stream[96]; /* its CloudWatch Logs stream, as Lambda names it */
    /* The RevisionId of the configuration it started with: it only takes
     * invocations made with that configuration. */
    char revision[40];
    lam_env *next;
};

/* lam_env.c */
lam_state *lam__state(stratus *srv);
/* Queue an invocation of its function and start an environment if none is
 * free. Takes `inv`. */
void lam__env_submit(lam_invocation *inv);
/* Stop the function's environments (after an update or a deletion): idle
 * ones now, busy ones when their invocation ends. */
void lam__env_retire(stratus *srv, const char *account, const char *region,
                     const char *name);
void lam__env_cleanup(lam_state *st);
/* Store a function's reserved concurrency (-1: none); lam_concurrency.c.
 * Must run inside a store call. */
void lam__concurrency_set(stratus *srv, const char *account, const char *region,
                          const char *name, int reserved);
/* Record a function's reserved concurrency (-1: none) for the dispatcher. */
void lam__runtime_set_reserved(stratus *srv, const char *account,
                               const char *region, const char *name,
                               int reserved);
/* Whether a synchronous invocation of the function would exceed its
 * reserved concurrency (`reserved`, -1 for none) now. */
int lam__over_reserved(stratus *srv, const char *account, const char *region,
                       const char *name, int reserved);
/* Fill `out` with the function's fault in its JSON form (lam_fault.c).
 * Returns 0, or -1 with `err` filled when the name is invalid. */
int lam__fault_describe(stratus *srv, const char *account, const char *region,
                        const char *function, cJSON *out, aws_error *err);
const char *lam__fault_kind_name(lam_fault_kind kind);
/* Use up one invocation of the function's fault. With `throttle` set only
 * a THROTTLE fault counts (checked when Invoke is called), else only ERROR
 * and TIMEOUT (checked when an invocation starts). Returns the kind used,
 * or LAM_FAULT_NONE. */
lam_fault_kind lam__fault_take(lam_state *st, const char *account,
                               const char *region, const char *name,
                               int throttle);
/* Complete a held response and make sure the loop sends it promptly. */
void lam__pending_complete(lam_state *st, http_pending *p, http_response *resp);
lam_env *lam__env_by_port(lam_state *st, int port);
/* Kill the environment's process group; its exit callback cleans up. */
void lam__env_kill(lam_env *env);
/* Hand queued invocations to waiting environments, start new ones. */
void lam__dispatch(lam_function_runtime *fn);
/* Dispatch every function but `except` that has queued invocations: a
 * slot or an idle environment may have become free for them. */
void lam__dispatch_others(lam_state *st, lam_function_runtime *except);
/* Finish `inv` with `payload` (copied); `function_error` NULL on success. */
void lam__invocation_complete(lam_invocation *inv, const char *function_error,
                              const char *payload, size_t len);
void lam__log_append(strbuf *log, const char *text, size_t len);
double lam__monotonic_ms(void);

/* lam_runtime_api.c */
/* The handler of every Runtime API listener. */
void lam__runtime_handle(stratus *srv, const http_request *req,
                         http_response *resp, int *needs_commit);
/* Finish an invocation with an error payload {errorType, errorMessage}. */
void lam__invocation_fail(lam_invocation *inv, const char *type,
                          const char *message);

/* *_iam.c: the IAM action and resource ARN of a request (the
 * aws_service resource_arn hook). */
int lam__resource_arn(const aws_request *req, size_t index, char *action,
                      size_t action_size, char *arn, size_t arn_size);

#endif
