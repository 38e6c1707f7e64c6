/*
 * stratus.h: one Stratus instance as a value.
 *
 * An instance owns its libuv loop, store, clock, job queue, listeners and
 * the per-service state. Nothing lives in globals, so a test can run several
 * instances side by side.
 */
#ifndef STRATUS_STRATUS_H
#define STRATUS_STRATUS_H

#include <stddef.h>

#include <uv.h>

#include "clock.h"
#include "config.h"
#include "http.h"
#include "jobs.h"
#include "store.h"

struct aws_service;

#define STRATUS_MAX_SERVICES 32
#define STRATUS_MAX_LISTENERS 64

typedef struct stratus {
    uv_loop_t loop;
    stratus_config cfg;
    store *store;
    stratus_clock clock;
    jobs *jobs;
    http_listener *listeners[STRATUS_MAX_LISTENERS];
    size_t listener_count;
    /* Listeners of any owner with a socket ready in this loop turn. */
    struct http_listener *ready_listeners;
    uv_check_t turn_end;  /* commits and releases responses each turn */
    uv_timer_t job_timer; /* wakes the loop for the next due job */
    int in_job_timer;     /* set while the job timer's callback runs */
    uv_idle_t pending;    /* keeps the loop spinning while work waits */
    uv_signal_t sigint, sigterm;
    int stopping;
    /* Per-service state, indexed like aws_services. */
    void *service_state[STRATUS_MAX_SERVICES];
    /* Request ids: a random seed and a counter. */
    unsigned long long request_seed;
    unsigned long long request_seq;
} stratus;

/*
 * Create an instance from `cfg`: open the store, run migrations and every
 * service's init. Does not listen. Returns 0, or -1 with a message.
 */
int stratus_create(stratus **out, const stratus_config *cfg, char *errbuf,
                   size_t errsize);
void stratus_destroy(stratus *srv);

/* Start the AWS listener (and the API listener when configured). */
int stratus_listen(stratus *srv, char *errbuf, size_t errsize);

/* Run the loop until stratus_stop; installs SIGINT/SIGTERM handlers. */
int stratus_run(stratus *srv);
void stratus_stop(stratus *srv);

/*
 * End the current loop turn: commit the store and release waiting
 * responses. The loop calls it; tests driving the dispatcher call it too.
 */
void stratus_turn_end(stratus *srv);

/*
 * Make the loop's next poll return at once, so the turn end runs soon. Work
 * finished outside a request (a timer, a child process exit) calls it so
 * that what it completed leaves without waiting for another event.
 */
void stratus_wake(stratus *srv);

/* Re-arm the job timer after scheduling work. */
void stratus_jobs_changed(stratus *srv);

/* Index of `svc` in aws_services, used for service_state. */
size_t stratus_service_index(const struct aws_service *svc);
void *stratus_service_state(stratus *srv, const struct aws_service *svc);

/* A new request id (a UUID) into `out`. */
void stratus_request_id(stratus *srv, char out[37]);

#endif
