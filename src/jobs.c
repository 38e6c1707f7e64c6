/*
 * jobs.c: the durable job queue on the store.
 *
 * Rows live in `jobs` ordered by due time. jobs_run_due runs each due row as
 * its own store call, so a crash between two jobs loses neither: the first
 * one's effects and its deletion committed together, the second is still
 * pending and runs after the restart.
 */
#include "jobs.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "stratus.h"
#include "util.h"

#define JOBS_MAX_KINDS 64
#define JOBS_BATCH 64

typedef struct jobs_kind {
    const char *kind;
    jobs_handler handler;
} jobs_kind;

struct jobs {
    stratus *srv;
    jobs_kind kinds[JOBS_MAX_KINDS];
    size_t kind_count;
};

static const char *const jobs_steps[] = {
    "CREATE TABLE jobs (id INTEGER PRIMARY KEY, kind TEXT NOT NULL,"
    " account TEXT NOT NULL, region TEXT NOT NULL, due_ms INTEGER NOT NULL,"
    " payload TEXT NOT NULL, unique_key TEXT)",
    "CREATE INDEX jobs_due ON jobs (due_ms, id)",
    "CREATE UNIQUE INDEX jobs_unique ON jobs (kind, unique_key)"
    " WHERE unique_key IS NOT NULL",
};

int jobs_create(jobs **out, stratus *srv)
{
    char errbuf[256];
    if (store_migrate(srv->store, "jobs", jobs_steps,
                      sizeof jobs_steps / sizeof *jobs_steps, errbuf,
                      sizeof errbuf) != 0) {
        log_error("jobs", "%s", errbuf);
        return -1;
    }
    jobs *j = xcalloc(1, sizeof *j);
    j->srv = srv;
    *out = j;
    return 0;
}

void jobs_destroy(jobs *j)
{
    free(j);
}

void jobs_register(jobs *j, const char *kind, jobs_handler handler)
{
    for (size_t i = 0; i < j->kind_count; i++) {
        if (strcmp(j->kinds[i].kind, kind) == 0) {
            j->kinds[i].handler = handler;
            return;
        }
    }
    if (j->kind_count == JOBS_MAX_KINDS)
        abort(); /* a compile-time set of kinds outgrew the table */
    j->kinds[j->kind_count].kind = kind;
    j->kinds[j->kind_count].handler = handler;
    j->kind_count++;
}

static jobs_handler jobs_find(jobs *j, const char *kind)
{
    for (size_t i = 0; i < j->kind_count; i++)
        if (strcmp(j->kinds[i].kind, kind) == 0)
            return j->kinds[i].handler;
    return NULL;
}

int jobs_schedule(jobs *j, const char *kind, const char *account,
                  const char *region, int64_t due_ms, const cJSON *payload,
                  const char *unique_key)
{
    store *st = j->srv->store;
    char *text = payload ? cJSON_PrintUnformatted(payload) : NULL;
    sqlite3_stmt *s = store_stmt(
        st, "INSERT INTO jobs (kind, account, region, due_ms, payload,"
            " unique_key) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
            " ON CONFLICT (kind, unique_key) WHERE unique_key IS NOT NULL"
            " DO UPDATE SET due_ms = min(due_ms, excluded.due_ms)");
    sqlite3_bind_text(s, 1, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, region, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 4, due_ms);
    sqlite3_bind_text(s, 5, text ? text : "null", -1, SQLITE_TRANSIENT);
    if (unique_key)
        sqlite3_bind_text(s, 6, unique_key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    free(text);
    if (rc != SQLITE_DONE) {
        log_error("jobs", "cannot schedule %s: %s", kind,
                  sqlite3_errmsg(store_db(st)));
        return -1;
    }
    stratus_jobs_changed(j->srv);
    return 0;
}

typedef struct jobs_row {
    int64_t id;
    char *kind, *account, *region, *payload;
} jobs_row;

int jobs_run_due(jobs *j)
{
    store *st = j->srv->store;
    int64_t now = clock_now_ms(&j->srv->clock);
    jobs_row rows[JOBS_BATCH];
    size_t n = 0;

    sqlite3_stmt *s = store_stmt(st, "SELECT id, kind, account, region,"
                                     " payload FROM jobs WHERE due_ms <= ?1"
                                     " ORDER BY due_ms, id LIMIT 64");
    sqlite3_bind_int64(s, 1, now);
    while (n < JOBS_BATCH && sqlite3_step(s) == SQLITE_ROW) {
        rows[n].id = sqlite3_column_int64(s, 0);
        rows[n].kind = xstrdup((const char *)sqlite3_column_text(s, 1));
        rows[n].account = xstrdup((const char *)sqlite3_column_text(s, 2));
        rows[n].region = xstrdup((const char *)sqlite3_column_text(s, 3));
        rows[n].payload = xstrdup((const char *)sqlite3_column_text(s, 4));
        n++;
    }
    sqlite3_reset(s);

    for (size_t i = 0; i < n; i++) {
        jobs_row *r = &rows[i];
        jobs_handler handler = jobs_find(j, r->kind);
        cJSON *payload = cJSON_Parse(r->payload);
        int64_t again = 0;

        if (store_call_begin(st) != SQLITE_OK) {
            log_error("jobs", "cannot start job %lld: %s", (long long)r->id,
                      sqlite3_errmsg(store_db(st)));
            cJSON_Delete(payload);
            continue;
        }
        if (handler)
            again = handler(j->srv, r->account, r->region, payload);
        else
            log_warn("jobs", "no handler for job kind %s; dropping job %lld",
                     r->kind, (long long)r->id);

        if (again > 0) {
            s = store_stmt(st, "UPDATE jobs SET due_ms = ?2 WHERE id = ?1");
            sqlite3_bind_int64(s, 2, clock_now_ms(&j->srv->clock) + again);
        } else {
            s = store_stmt(st, "DELETE FROM jobs WHERE id = ?1");
        }
        sqlite3_bind_int64(s, 1, r->id);
        sqlite3_step(s);
        sqlite3_reset(s);
        store_call_end(st, 1);
        cJSON_Delete(payload);
    }

    for (size_t i = 0; i < n; i++) {
        free(rows[i].kind);
        free(rows[i].account);
        free(rows[i].region);
        free(rows[i].payload);
    }
    return (int)n;
}

int64_t jobs_next_due(jobs *j)
{
    sqlite3_stmt *s = store_stmt(j->srv->store, "SELECT min(due_ms) FROM jobs");
    int64_t due = -1;
    if (sqlite3_step(s) == SQLITE_ROW &&
        sqlite3_column_type(s, 0) != SQLITE_NULL)
        due = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    return due;
}
