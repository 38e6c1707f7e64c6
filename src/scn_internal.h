/*
 * scn_internal.h: what the files of the scenario runner share: the state
 * of one running scenario, the calls it makes into the instance, and the
 * loop driver that moves virtual time.
 */
#ifndef STRATUS_SCN_INTERNAL_H
#define STRATUS_SCN_INTERNAL_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "scn.h"
#include "stratus.h"
#include "util.h"

/* Default bound of a settle step, in virtual time. */
#define SCN_SETTLE_DEFAULT_MS (15 * 60 * 1000)
/* Wall time the end of a scenario waits for Lambda invocations still in
 * flight, in milliseconds. */
#define SCN_QUIESCE_MS 10000
/* Default wall-time bound of one scenario, in milliseconds. */
#define SCN_TIMEOUT_DEFAULT_MS 120000

/* One scenario while it runs, inside its child process. */
typedef struct scn_run {
    stratus *srv;
    const scn_doc *doc;
    const char *file; /* the scenario file as given */
    char dir[1024];   /* its directory, for relative paths */
    char account[13];
    char region[32];
    int aws_port, api_port;
    int64_t start_ms;       /* virtual time when the steps began */
    double wall_deadline;   /* monotonic ms at which the scenario times out */
    cJSON *vars;            /* saved values and built-in names */
    const char *step_kind;  /* the step running, for failure reports */
    const cJSON *step_node; /* its kind's node in the document */
    /* Substituted copies of the step's parts and the document nodes they
     * came from, so failures on a copy report the original line. */
    const cJSON *copies[2], *originals[2];
    /* The failure, once one happened. */
    int failed;
    char step[256];
    int line;
    strbuf message;
    cJSON *state; /* what the failing check looked at */
} scn_run;

/* Record a failure of the current step (first one wins). Returns -1. */
int scn_fail(scn_run *r, const cJSON *node, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Attach `state` (taken) to the recorded failure as the relevant state. */
void scn_fail_state(scn_run *r, cJSON *state);

double scn_wall_ms(void);

/* ---- scn_call.c: requests into the instance ---- */

/*
 * Call `operation` of `service` (its name or SigV4 signing name) with the
 * API's request members `params`, through the instance's dispatcher.
 * Returns a new response {status, headers, body, error?}: `body` is the
 * parsed JSON (or a string when not JSON); `error` is the AWS error code
 * for a 4xx or 5xx. `protocol` ("query", "json" or NULL for the
 * service's own) picks the encoding. NULL with a failure recorded when the
 * call cannot be made (unknown service or operation).
 */
cJSON *scn_aws_call(scn_run *r, const cJSON *node, const char *service,
                    const char *operation, const cJSON *params,
                    const cJSON *headers, const char *protocol);

/* The same with `len` bytes of `body` (binary object data) as the request
 * body in place of the encoded one. The other members are encoded as
 * usual (S3's Bucket, Key and ContentType). */
cJSON *scn_aws_call_bytes(scn_run *r, const cJSON *node, const char *service,
                          const char *operation, const cJSON *params,
                          const char *body, size_t len);

/* The same, failing the scenario unless the status is 2xx; returns the
 * response body (borrowed from `*response`, which the caller frees). */
const cJSON *scn_aws_ok(scn_run *r, const cJSON *node, const char *service,
                        const char *operation, const cJSON *params,
                        cJSON **response);

/*
 * Send an HTTP request to 127.0.0.1:`port` over a socket driven by the
 * instance's loop, so deferred responses work. `headers` is an object of
 * strings; `body` may be NULL. Returns {status, headers, body} or NULL with
 * a failure recorded.
 */
cJSON *scn_http_send(scn_run *r, const cJSON *node, int port,
                     const char *method, const char *path, const cJSON *headers,
                     const char *body, size_t body_len);

/* ---- scn_loop.c: driving the loop and the virtual clock ---- */

/*
 * Run until nothing is pending (no job other than TTL sweeps and
 * schedules, no running invocation or execution), moving the virtual
 * clock to each next due job, for at most `max_ms` of virtual time.
 * Returns 0, or -1 with a failure recorded.
 */
int scn_settle(scn_run *r, const cJSON *node, int64_t max_ms);

/* Move the virtual clock forward by `ms`, running every job that falls
 * due on the way in due-time order. Returns 0 or -1. */
int scn_advance(scn_run *r, const cJSON *node, int64_t ms);

/* Run one loop turn without moving the clock; blocks up to `wait_ms` when
 * nothing is ready. */
void scn_loop_turn(scn_run *r, int wait_ms);

/*
 * Let Lambda invocations still in flight when the steps end finish, for at
 * most `max_ms` of wall time, without running jobs: their callers then
 * release what they hold before the instance stops.
 */
void scn_quiesce(scn_run *r, int max_ms);

/* Describe pending work ("2 jobs, 1 invocation") into `out`; returns
 * whether anything is pending. */
int scn_pending(scn_run *r, char *out, size_t size);

/* ---- scn_check.c: standalone expectations ---- */

int scn_check_executions(scn_run *r, const cJSON *spec);
int scn_check_items(scn_run *r, const cJSON *spec);
int scn_check_metrics(scn_run *r, const cJSON *spec);
int scn_check_dlq(scn_run *r, const cJSON *spec);
int scn_check_logs(scn_run *r, const cJSON *spec);
int scn_check_elapsed(scn_run *r, const cJSON *spec);
/* Check a path map ({path: matcher}) against `value`; `what` names it. */
int scn_check_paths(scn_run *r, const cJSON *paths, const cJSON *value,
                    const char *what);

/* ---- scn_step.c ---- */

/* Run the scenario document: stack, setup and steps. Returns 0 or -1. */
int scn_execute(scn_run *r);

/* ---- scn_keep.c ---- */

/* Write the instance's state as JSON files into `dir`. */
void scn_keep_state(scn_run *r, const char *dir);

#endif
