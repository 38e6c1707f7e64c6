/*
 * stratus.c: an instance's life: create (store, migrations, services),
 * listen, run the loop, end each turn with one commit, stop on a signal.
 *
 * Turn end: a uv_check handle runs after each poll phase. It commits the
 * turn's transaction and only then resumes the connections whose responses
 * waited for that commit, so an acknowledged write is already durable.
 */
#include "stratus.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "apigw.h"
#include "aws.h"
#include "bedrock.h"
#include "lam.h"
#include "log.h"
#include "pricing.h"
#include "util.h"

size_t stratus_service_index(const aws_service *svc)
{
    for (size_t i = 0; i < aws_service_count; i++)
        if (aws_services[i] == svc)
            return i;
    abort(); /* a service outside the compiled-in list */
}

void *stratus_service_state(stratus *srv, const aws_service *svc)
{
    return srv->service_state[stratus_service_index(svc)];
}

/* splitmix64: a fast, well-mixed sequence from a random seed. Request ids
 * need uniqueness, not secrecy. */
static uint64_t stratus_mix(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

void stratus_request_id(stratus *srv, char out[37])
{
    uint64_t hi = stratus_mix(srv->request_seed + 2 * srv->request_seq);
    uint64_t lo = stratus_mix(srv->request_seed + 2 * srv->request_seq + 1);
    srv->request_seq++;
    /* Version 4 and variant bits, as in a random UUID. */
    hi = (hi & ~0xF000ull) | 0x4000ull;
    lo = (lo & ~(3ull << 62)) | (2ull << 62);
    snprintf(out, 37, "%08x-%04x-%04x-%04x-%012llx", (unsigned)(hi >> 32),
             (unsigned)((hi >> 16) & 0xFFFF), (unsigned)(hi & 0xFFFF),
             (unsigned)(lo >> 48),
             (unsigned long long)(lo & 0xFFFFFFFFFFFFull));
}

static void stratus_on_job_timer(uv_timer_t *t)
{
    stratus *srv = t->data;
    jobs_run_due(srv->jobs);
    srv->in_job_timer = 1;
    stratus_jobs_changed(srv);
    srv->in_job_timer = 0;
}

void stratus_jobs_changed(stratus *srv)
{
    if (srv->stopping || !srv->jobs)
        return;
    int64_t due = jobs_next_due(srv->jobs);
    if (due < 0) {
        uv_timer_stop(&srv->job_timer);
        return;
    }
    int64_t now = clock_now_ms(&srv->clock);
    if (srv->clock.is_virtual) {
        /* Virtual time: due jobs run at once; a scenario moves the clock. */
        if (due > now)
            return;
    }
    uint64_t delay = due > now ? (uint64_t)(due - now) : 0;
    /* libuv 1.44 (Debian 12's) runs a timer restarted with 0 from its own
     * callback again in the same pass, without polling for I/O, so work
     * that keeps making new due jobs (an endless Pass loop) would starve
     * every request. Waiting one millisecond lets the loop poll first. */
    if (delay == 0 && srv->in_job_timer)
        delay = 1;
    uv_timer_start(&srv->job_timer, stratus_on_job_timer, delay, 0);
}

static void stratus_on_idle(uv_idle_t *h)
{
    (void)h; /* only there so the next poll does not block */
}

void stratus_wake(stratus *srv)
{
    if (!srv->stopping)
        uv_idle_start(&srv->pending, stratus_on_idle);
}

void stratus_turn_end(stratus *srv)
{
    http_flush_ready(srv);
    /* Releasing a response runs MHD, which may handle new requests that
     * write again. A few rounds settle that, and the idle handle below then
     * brings the loop back without blocking. */
    for (int round = 0; round < 4; round++) {
        int rc = store_commit(srv->store);
        if (rc != SQLITE_OK)
            log_error("store", "commit failed: %s", sqlite3_errstr(rc));
        /* Releasing runs handlers, which may stop a listener (a Lambda
         * environment's) and so shift srv->listeners: walk a copy. A
         * stopped listener stays allocated until its close callback and
         * has nothing parked. */
        http_listener *snapshot[STRATUS_MAX_LISTENERS];
        size_t count = srv->listener_count;
        memcpy(snapshot, srv->listeners, count * sizeof *snapshot);
        int released = 0;
        for (size_t i = 0; i < count; i++)
            released += http_listener_release(snapshot[i]);
        if (!released && !store_in_transaction(srv->store))
            break;
    }
    if (store_in_transaction(srv->store) && !srv->stopping)
        uv_idle_start(&srv->pending, stratus_on_idle);
    else
        uv_idle_stop(&srv->pending);
}

static void stratus_on_check(uv_check_t *h)
{
    stratus_turn_end(h->data);
}

static void stratus_on_signal(uv_signal_t *s, int signum)
{
    stratus *srv = s->data;
    log_info("serve", "received %s, stopping",
             signum == SIGINT ? "SIGINT" : "SIGTERM");
    stratus_stop(srv);
}

int stratus_create(stratus **out, const stratus_config *cfg, char *errbuf,
                   size_t errsize)
{
    stratus *srv = xcalloc(1, sizeof *srv);
    char path[1200];
    aws_error err;

    srv->cfg = *cfg;
    if (getrandom(&srv->request_seed, sizeof srv->request_seed, 0) !=
        (ssize_t)sizeof srv->request_seed)
        srv->request_seed = (unsigned long long)clock_now_ms(&srv->clock);
    memset(&err, 0, sizeof err);
    if (uv_loop_init(&srv->loop) != 0) {
        snprintf(errbuf, errsize, "cannot create the event loop");
        free(srv);
        return -1;
    }
    if (cfg->virtual_clock)
        clock_init_virtual(&srv->clock, clock_now_ms(&(stratus_clock){0}));
    else
        clock_init_real(&srv->clock);

    if (!cfg->in_memory)
        snprintf(path, sizeof path, "%s/stratus.db", cfg->data_dir);
    if (store_open(&srv->store, cfg->in_memory ? NULL : path, cfg->sync_full,
                   errbuf, errsize) != 0)
        goto fail;
    store_checkpoint_in_background(srv->store, &srv->loop);
    if (jobs_create(&srv->jobs, srv) != 0) {
        snprintf(errbuf, errsize, "cannot create the job queue");
        goto fail;
    }

    uv_timer_init(&srv->loop, &srv->job_timer);
    srv->job_timer.data = srv;
    uv_check_init(&srv->loop, &srv->turn_end);
    srv->turn_end.data = srv;
    uv_check_start(&srv->turn_end, stratus_on_check);
    uv_idle_init(&srv->loop, &srv->pending);

    for (size_t i = 0; i < aws_service_count; i++) {
        const aws_service *svc = aws_services[i];
        if (svc->init && svc->init(srv, &err) != 0) {
            snprintf(errbuf, errsize, "cannot start %s: %s", svc->name,
                     err.message);
            aws_error_reset(&err);
            goto fail;
        }
    }
    *out = srv;
    return 0;

fail:
    stratus_destroy(srv);
    *out = NULL;
    return -1;
}

static void stratus_close_walk(uv_handle_t *h, void *arg)
{
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

void stratus_destroy(stratus *srv)
{
    if (!srv)
        return;
    srv->stopping = 1;
    for (size_t i = 0; i < srv->listener_count; i++)
        http_listener_stop(srv->listeners[i]);
    srv->listener_count = 0;
    if (srv->store)
        store_commit(srv->store);
    for (size_t i = aws_service_count; i-- > 0;)
        if (aws_services[i]->cleanup && srv->store)
            aws_services[i]->cleanup(srv);
    uv_walk(&srv->loop, stratus_close_walk, NULL);
    uv_run(&srv->loop, UV_RUN_DEFAULT);
    uv_loop_close(&srv->loop);
    jobs_destroy(srv->jobs);
    store_close(srv->store);
    free(srv);
}

/* The instance's own endpoints; everything else is an AWS request. */
static void stratus_handle(stratus *srv, const http_request *req,
                           http_response *resp, int *needs_commit)
{
    if ((strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0) &&
        (strcmp(req->path, "/_stratus/health") == 0 ||
         strcmp(req->path, "/_localstack/health") == 0)) {
        cJSON *body = cJSON_CreateObject();
        cJSON *services = cJSON_AddObjectToObject(body, "services");
        for (size_t i = 0; i < aws_service_count; i++)
            cJSON_AddStringToObject(services, aws_services[i]->name, "running");
        cJSON_AddStringToObject(body, "edition", "stratus");
        cJSON_AddStringToObject(body, "version", STRATUS_VERSION);
        char *text = cJSON_PrintUnformatted(body);
        cJSON_Delete(body);
        resp->status = 200;
        http_response_header(resp, "Content-Type", "application/json");
        http_response_take_body(resp, text, strlen(text));
        *needs_commit = 0;
        return;
    }
    if (strncmp(req->path, "/_stratus/lambda/", 17) == 0) {
        lam_fault_endpoint(srv, req, resp);
        *needs_commit = 0;
        return;
    }
    /* The stand-ins' own endpoints: the pricing API and Bedrock faults. */
    if (strncmp(req->path, "/_stratus/", 10) == 0 &&
        (pricing_handle(srv, req, resp) ||
         bedrock_faults_handle(srv, req, resp))) {
        *needs_commit = 0;
        return;
    }
    aws_dispatch(srv, req, resp, needs_commit);
}

int stratus_listen(stratus *srv, char *errbuf, size_t errsize)
{
    http_listener *l;
    if (http_listener_start(&l, srv, srv->cfg.host, srv->cfg.port,
                            stratus_handle, errbuf, errsize) != 0)
        return -1;
    srv->listeners[srv->listener_count++] = l;
    log_info("serve", "AWS APIs listening on http://%s:%d", srv->cfg.host,
             http_listener_port(l));

    if (srv->cfg.api_port >= 0) {
        if (http_listener_start(&l, srv, srv->cfg.host, srv->cfg.api_port,
                                apigw_http_handler, errbuf, errsize) != 0)
            return -1;
        srv->listeners[srv->listener_count++] = l;
        apigw_set_listener_port(srv, http_listener_port(l));
        log_info("serve", "HTTP API listening on http://%s:%d", srv->cfg.host,
                 http_listener_port(l));
    }
    return 0;
}

int stratus_run(stratus *srv)
{
    uv_signal_init(&srv->loop, &srv->sigint);
    uv_signal_init(&srv->loop, &srv->sigterm);
    srv->sigint.data = srv;
    srv->sigterm.data = srv;
    uv_signal_start(&srv->sigint, stratus_on_signal, SIGINT);
    uv_signal_start(&srv->sigterm, stratus_on_signal, SIGTERM);
    stratus_jobs_changed(srv);
    return uv_run(&srv->loop, UV_RUN_DEFAULT);
}

void stratus_stop(stratus *srv)
{
    srv->stopping = 1;
    store_commit(srv->store);
    uv_stop(&srv->loop);
}
