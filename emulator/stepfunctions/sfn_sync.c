/*
 * sfn_sync.c: StartSyncExecution, which runs an EXPRESS execution and
 * returns its result when it closes. The client's connection is held
 * (http_request_defer) until the execution's close completes the response.
 * A caller without a connection (an in-process test) gets the execution
 * run to its end inside the call, as far as due jobs take it.
 *
 * Not handled: billingDetails are zeros, and the 5-minute limit of
 * synchronous Express executions is not enforced.
 */
#include "sfn_internal.h"

#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "jobs.h"
#include "util.h"

/* Jobs run inline for a caller without a connection, at most. */
#define SFN_SYNC_INLINE_ROUNDS 1000

typedef struct sfn_sync_waiter {
    struct sfn_sync_waiter *next;
    stratus *srv;
    char *exec_arn;
    http_pending *pending;
} sfn_sync_waiter;

/* The StartSyncExecution response for a closed (or still running)
 * execution. */
static cJSON *sfn_sync_response(const sfn_execution *e)
{
    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "executionArn", e->arn);
    cJSON_AddStringToObject(out, "stateMachineArn", e->machine_arn);
    cJSON_AddStringToObject(out, "name", e->name);
    sfn__add_time(out, "startDate", e->start_ms);
    if (strcmp(e->status, "RUNNING") != 0)
        sfn__add_time(out, "stopDate", e->stop_ms);
    cJSON_AddStringToObject(out, "status", e->status);
    if (e->error)
        cJSON_AddStringToObject(out, "error", e->error);
    if (e->cause)
        cJSON_AddStringToObject(out, "cause", e->cause);
    cJSON_AddStringToObject(out, "input", e->input);
    cJSON_AddTrueToObject(cJSON_AddObjectToObject(out, "inputDetails"),
                          "included");
    if (e->output) {
        cJSON_AddStringToObject(out, "output", e->output);
        cJSON_AddTrueToObject(cJSON_AddObjectToObject(out, "outputDetails"),
                              "included");
    }
    cJSON *billing = cJSON_AddObjectToObject(out, "billingDetails");
    cJSON_AddNumberToObject(billing, "billedMemoryUsedInMB", 0);
    cJSON_AddNumberToObject(billing, "billedDurationInMilliseconds", 0);
    return out;
}

static void sfn_sync_wake(uv_idle_t *handle)
{
    (void)handle; /* only there so the loop does not sleep in its poll */
}

static void sfn_sync_unlink(sfn_sync_waiter *w)
{
    sfn_service_state *st = sfn__state(w->srv);
    for (sfn_sync_waiter **p = &st->waiters; *p; p = &(*p)->next) {
        if (*p == w) {
            *p = w->next;
            break;
        }
    }
    free(w->exec_arn);
    free(w);
}

static void sfn_sync_abort(void *arg)
{
    sfn_sync_unlink(arg);
}

void sfn__sync_closed(stratus *srv, const char *exec_arn)
{
    sfn_service_state *st = sfn__state(srv);
    sfn_sync_waiter *w = st->waiters;
    while (w && strcmp(w->exec_arn, exec_arn) != 0)
        w = w->next;
    if (!w)
        return;
    sfn_execution *e = sfn__execution_load(srv, exec_arn);
    cJSON *out = e ? sfn_sync_response(e) : cJSON_CreateObject();
    sfn__execution_free(e);
    char *text = cJSON_PrintUnformatted(out);
    cJSON_Delete(out);

    http_response resp;
    http_response_init(&resp);
    resp.status = 200;
    http_response_header(&resp, "Content-Type", "application/x-amz-json-1.0");
    http_response_take_body(&resp, text, strlen(text));
    http_pending_complete(w->pending, &resp);
    http_response_cleanup(&resp);
    /* A completed response leaves at the turn end. From a job timer the
     * loop would first sleep in its poll until the next timer. The idle
     * handle keeps it awake, and the turn end stops the handle again. */
    uv_idle_start(&srv->pending, sfn_sync_wake);
    sfn_sync_unlink(w);
}

void sfn__sync_cleanup(stratus *srv)
{
    sfn_service_state *st = sfn__state(srv);
    while (st->waiters)
        sfn_sync_unlink(st->waiters);
}

cJSON *sfn_op_start_sync_execution(aws_request *req, aws_error *err)
{
    const char *machine_arn = sfn__str(req->body, "stateMachineArn");
    if (machine_arn && sfn__arn_check(machine_arn, "stateMachine", err) == 0) {
        sfn_machine *m = sfn__machine_load(req->srv, machine_arn);
        bool standard = m && strcmp(m->type, "STANDARD") == 0;
        sfn__machine_free(m);
        if (standard)
            return aws_fail(err, AWS_ERR_SFN_STATE_MACHINE_TYPE_NOT_SUPPORTED,
                            "This operation is not supported by this type "
                            "of state machine"),
                   NULL;
    }
    aws_error_reset(err);
    cJSON *started = sfn_op_start_execution(req, err);
    if (!started)
        return NULL;
    char *exec_arn = xstrdup(sfn__str(started, "executionArn"));
    cJSON_Delete(started);
    /* The start runs the first states at once, so a short execution has
     * already closed and has no close left to wait for. */
    sfn_execution *closed = sfn__execution_load(req->srv, exec_arn);
    if (closed && strcmp(closed->status, "RUNNING") != 0) {
        cJSON *out = sfn_sync_response(closed);
        sfn__execution_free(closed);
        free(exec_arn);
        return out;
    }
    sfn__execution_free(closed);

    sfn_sync_waiter *w = xcalloc(1, sizeof *w);
    w->srv = req->srv;
    w->exec_arn = exec_arn;
    w->pending =
        req->http ? http_request_defer(req->http, sfn_sync_abort, w) : NULL;
    if (w->pending) {
        sfn_service_state *st = sfn__state(req->srv);
        w->next = st->waiters;
        st->waiters = w;
        req->deferred = 1;
        return cJSON_CreateObject();
    }

    /* No connection to hold: run the execution's due jobs here. */
    sfn_execution *e = NULL;
    for (int round = 0; round < SFN_SYNC_INLINE_ROUNDS; round++) {
        sfn__execution_free(e);
        e = sfn__execution_load(req->srv, exec_arn);
        if (!e || strcmp(e->status, "RUNNING") != 0)
            break;
        if (jobs_run_due(req->srv->jobs) == 0)
            break;
    }
    free(exec_arn);
    free(w);
    cJSON *out = e ? sfn_sync_response(e) : cJSON_CreateObject();
    sfn__execution_free(e);
    return out;
}
