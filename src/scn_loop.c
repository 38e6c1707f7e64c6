/*
 * scn_loop.c: driving a scenario's instance. The runner owns the loop (it
 * never calls stratus_run): each turn runs the due jobs, ends the turn
 * (commit, release held responses) and polls libuv. The virtual clock
 * moves only here: `advance` walks it to a target time through every due
 * job, and `settle` jumps it to the next due job whenever nothing runs.
 *
 * "Pending" means a job other than a TTL sweep, a schedule or an alarm
 * evaluation (those recur forever), a Lambda invocation not finished, or a
 * Step Functions execution still RUNNING.
 */
#include "scn_internal.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lam.h"

double scn_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void scn_on_guard(uv_timer_t *t)
{
    (void)t; /* only makes a blocking poll return */
}

void scn_loop_turn(scn_run *r, int wait_ms)
{
    stratus *srv = r->srv;
    jobs_run_due(srv->jobs);
    stratus_turn_end(srv);
    stratus_jobs_changed(srv);
    if (wait_ms <= 0) {
        uv_run(&srv->loop, UV_RUN_NOWAIT);
        return;
    }
    uv_timer_t guard;
    uv_timer_init(&srv->loop, &guard);
    uv_timer_start(&guard, scn_on_guard, (uint64_t)wait_ms, 0);
    uv_run(&srv->loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&guard, NULL);
    uv_run(&srv->loop, UV_RUN_NOWAIT); /* runs the close callback */
}

/* An integer from one SQL query, or 0 when the table does not exist. */
static int64_t scn_sql_int(scn_run *r, const char *sql)
{
    sqlite3 *db = store_db(r->srv->store);
    sqlite3_stmt *s = NULL;
    int64_t v = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_type(s, 0) == SQLITE_NULL
                ? -1
                : sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
}

#define SCN_FOREGROUND_JOBS                                                    \
    " FROM jobs WHERE kind NOT IN ('dynamodb.ttl_sweep', 'events.schedule',"   \
    " 'cloudwatch.alarm')"

int scn_pending(scn_run *r, char *out, size_t size)
{
    int invocations = lam_pending_count(r->srv);
    int64_t job_count = scn_sql_int(r, "SELECT COUNT(*)" SCN_FOREGROUND_JOBS);
    int64_t running = scn_sql_int(
        r, "SELECT COUNT(*) FROM sfn_executions WHERE status = 'RUNNING'");
    snprintf(out, size,
             "%lld pending jobs, %d Lambda invocations, %lld running "
             "executions",
             (long long)job_count, invocations, (long long)running);
    return invocations > 0 || job_count > 0 || running > 0;
}

/* Run turns until no job is due now and no invocation runs, waiting for
 * handlers in real time. Returns 0, or -1 at the wall-time deadline. */
static int scn_drain_now(scn_run *r)
{
    int64_t now = clock_now_ms(&r->srv->clock);
    for (long i = 0; i < 10000000L; i++) {
        if (scn_wall_ms() >= r->wall_deadline)
            return -1;
        int64_t due = jobs_next_due(r->srv->jobs);
        int busy = lam_pending_count(r->srv) > 0;
        if (!busy && (due < 0 || due > now)) {
            /* One more turn delivers what the last job produced. */
            scn_loop_turn(r, 0);
            due = jobs_next_due(r->srv->jobs);
            if (lam_pending_count(r->srv) == 0 && (due < 0 || due > now))
                return 0;
        }
        scn_loop_turn(r, busy ? 10 : 0);
    }
    return -1;
}

void scn_quiesce(scn_run *r, int max_ms)
{
    double deadline = scn_wall_ms() + max_ms;
    while (lam_pending_count(r->srv) > 0 && scn_wall_ms() < deadline) {
        /* Poll only: the completions may schedule jobs, which stay
         * queued. */
        uv_timer_t guard;
        uv_timer_init(&r->srv->loop, &guard);
        uv_timer_start(&guard, scn_on_guard, 10, 0);
        uv_run(&r->srv->loop, UV_RUN_ONCE);
        uv_close((uv_handle_t *)&guard, NULL);
        uv_run(&r->srv->loop, UV_RUN_NOWAIT);
        stratus_turn_end(r->srv);
    }
}

int scn_advance(scn_run *r, const cJSON *node, int64_t ms)
{
    stratus_clock *clock = &r->srv->clock;
    int64_t target = clock_now_ms(clock) + ms;
    char pending[160];

    for (int i = 0; i < 100000; i++) {
        if (scn_drain_now(r) != 0) {
            scn_pending(r, pending, sizeof pending);
            return scn_fail(r, node,
                            "the scenario's time limit passed while "
                            "advancing the clock (%s)",
                            pending);
        }
        int64_t due = jobs_next_due(r->srv->jobs);
        if (due < 0 || due > target)
            break;
        clock_advance_to(clock, due);
    }
    clock_advance_to(clock, target);
    if (scn_drain_now(r) != 0)
        return scn_fail(r, node,
                        "the scenario's time limit passed while "
                        "advancing the clock");
    return 0;
}

/* Due time of the earliest foreground job, or -1. */
static int64_t scn_next_foreground(scn_run *r)
{
    return scn_sql_int(r, "SELECT MIN(due_ms)" SCN_FOREGROUND_JOBS);
}

int scn_settle(scn_run *r, const cJSON *node, int64_t max_ms)
{
    stratus_clock *clock = &r->srv->clock;
    int64_t limit = clock_now_ms(clock) + max_ms;
    char pending[160];

    for (int i = 0; i < 100000; i++) {
        if (scn_drain_now(r) != 0) {
            scn_pending(r, pending, sizeof pending);
            return scn_fail(r, node,
                            "the scenario's time limit passed while "
                            "settling (%s)",
                            pending);
        }
        if (!scn_pending(r, pending, sizeof pending))
            return 0;
        int64_t due = scn_next_foreground(r);
        if (due < 0) {
            /* Nothing will move a RUNNING execution: it waits for a task
             * token or an activity that no step will send. */
            scn_fail(r, node,
                     "nothing is scheduled but work is still pending (%s)",
                     pending);
            return -1;
        }
        if (due > limit)
            return scn_fail(r, node,
                            "still pending after %.0f s of virtual time "
                            "(%s); raise settle's max",
                            (double)max_ms / 1000, pending);
        clock_advance_to(clock, due);
    }
    return scn_fail(r, node, "settle did not finish within 100000 rounds");
}
