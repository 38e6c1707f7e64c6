/*
 * sfn_store.c: the Step Functions tables (state machines, executions, their
 * history events and the interpreter's frames) and the task registry that
 * lives in the service state.
 */
#include "sfn_internal.h"

#include <stdlib.h>
#include <string.h>

#include "cw.h"
#include "log.h"
#include "util.h"

static const char *const sfn_steps[] = {
    "CREATE TABLE sfn_machines (arn TEXT PRIMARY KEY, account TEXT NOT NULL,"
    " region TEXT NOT NULL, name TEXT NOT NULL, type TEXT NOT NULL,"
    " definition TEXT NOT NULL, role_arn TEXT NOT NULL, revision_id TEXT,"
    " logging TEXT, tracing TEXT, created_ms INTEGER NOT NULL,"
    " updated_ms INTEGER NOT NULL)",
    "CREATE TABLE sfn_executions (arn TEXT PRIMARY KEY,"
    " machine_arn TEXT NOT NULL, account TEXT NOT NULL, region TEXT NOT NULL,"
    " name TEXT NOT NULL, type TEXT NOT NULL, status TEXT NOT NULL,"
    " input TEXT NOT NULL, output TEXT, error TEXT, cause TEXT,"
    " definition TEXT NOT NULL, role_arn TEXT NOT NULL,"
    " start_ms INTEGER NOT NULL, stop_ms INTEGER, seq INTEGER NOT NULL,"
    " event_count INTEGER NOT NULL DEFAULT 0,"
    " frame_count INTEGER NOT NULL DEFAULT 0)",
    "CREATE INDEX sfn_executions_machine ON sfn_executions (machine_arn, seq)",
    "CREATE TABLE sfn_events (execution_arn TEXT NOT NULL, id INTEGER NOT NULL,"
    " type TEXT NOT NULL, timestamp_ms INTEGER NOT NULL,"
    " previous_id INTEGER NOT NULL, details_name TEXT, details TEXT,"
    " PRIMARY KEY (execution_arn, id))",
    "CREATE TABLE sfn_frames (execution_arn TEXT NOT NULL, id INTEGER NOT NULL,"
    " parent INTEGER NOT NULL, idx INTEGER NOT NULL, machine TEXT NOT NULL,"
    " state TEXT NOT NULL, phase TEXT NOT NULL, data TEXT NOT NULL,"
    " scratch TEXT NOT NULL, status TEXT NOT NULL, output TEXT, error TEXT,"
    " cause TEXT, last_event INTEGER NOT NULL,"
    " PRIMARY KEY (execution_arn, id))",
    "CREATE TABLE sfn_task_tokens (token TEXT PRIMARY KEY,"
    " execution_arn TEXT NOT NULL, frame INTEGER NOT NULL)",
    "CREATE TABLE sfn_tags (resource_arn TEXT NOT NULL, key TEXT NOT NULL,"
    " value TEXT NOT NULL, PRIMARY KEY (resource_arn, key))",
    /* History events keyed by the execution's start sequence number instead
     * of its ARN. An execution's events then go to the end of one B-tree,
     * not to a random leaf of an ARN index. In a standalone test with
     * SQLite 3.40 the ARN key made each insert about 1.7 times as costly. */
    "CREATE TABLE sfn_events_by_seq (execution_seq INTEGER NOT NULL,"
    " id INTEGER NOT NULL, type TEXT NOT NULL, timestamp_ms INTEGER NOT NULL,"
    " previous_id INTEGER NOT NULL, details_name TEXT, details TEXT,"
    " PRIMARY KEY (execution_seq, id)) WITHOUT ROWID",
    "INSERT INTO sfn_events_by_seq SELECT x.seq, e.id, e.type, e.timestamp_ms,"
    " e.previous_id, e.details_name, e.details FROM sfn_events e"
    " JOIN sfn_executions x ON x.arn = e.execution_arn",
    "DROP TABLE sfn_events",
    "ALTER TABLE sfn_events_by_seq RENAME TO sfn_events",
};

int sfn__store_init(stratus *srv, aws_error *err)
{
    char errbuf[256];
    if (store_migrate(srv->store, "stepfunctions", sfn_steps,
                      sizeof sfn_steps / sizeof *sfn_steps, errbuf,
                      sizeof errbuf) != 0)
        return aws_fail(err, AWS_ERR_INTERNAL_SERVER_ERROR, "%s", errbuf);
    return 0;
}

sfn_service_state *sfn__state(stratus *srv)
{
    size_t i = stratus_service_index(&sfn_service);
    if (!srv->service_state[i])
        srv->service_state[i] = xcalloc(1, sizeof(sfn_service_state));
    return srv->service_state[i];
}

void sfn__state_free(stratus *srv)
{
    size_t i = stratus_service_index(&sfn_service);
    sfn_service_state *st = srv->service_state[i];
    if (!st)
        return;
    for (size_t k = 0; k < st->task_count; k++)
        free(st->tasks[k].prefix);
    free(st->tasks);
    free(st->local);
    free(st);
    srv->service_state[i] = NULL;
}

void sfn_task_register(stratus *srv, const char *prefix, sfn_task_fn fn)
{
    sfn_service_state *st = sfn__state(srv);
    for (size_t k = 0; k < st->task_count; k++) {
        if (strcmp(st->tasks[k].prefix, prefix) == 0) {
            st->tasks[k].fn = fn;
            return;
        }
    }
    st->tasks = xrealloc(st->tasks, (st->task_count + 1) * sizeof *st->tasks);
    st->tasks[st->task_count].prefix = xstrdup(prefix);
    st->tasks[st->task_count].fn = fn;
    st->task_count++;
}

static char *sfn_column(sqlite3_stmt *s, int col)
{
    const unsigned char *text = sqlite3_column_text(s, col);
    return text ? xstrdup((const char *)text) : NULL;
}

static cJSON *sfn_column_json(sqlite3_stmt *s, int col)
{
    const unsigned char *text = sqlite3_column_text(s, col);
    return text ? cJSON_Parse((const char *)text) : NULL;
}

sfn_machine *sfn__machine_load(stratus *srv, const char *arn)
{
    sqlite3_stmt *s = store_stmt(
        srv->store, "SELECT arn, name, type, definition, role_arn,"
                    " revision_id, logging, tracing, created_ms, updated_ms"
                    " FROM sfn_machines WHERE arn = ?1");
    sqlite3_bind_text(s, 1, arn, -1, SQLITE_STATIC);
    sfn_machine *m = NULL;
    if (sqlite3_step(s) == SQLITE_ROW) {
        m = xcalloc(1, sizeof *m);
        m->arn = sfn_column(s, 0);
        m->name = sfn_column(s, 1);
        m->type = sfn_column(s, 2);
        m->definition = sfn_column(s, 3);
        m->role_arn = sfn_column(s, 4);
        m->revision_id = sfn_column(s, 5);
        m->logging = sfn_column(s, 6);
        m->tracing = sfn_column(s, 7);
        m->created_ms = sqlite3_column_int64(s, 8);
        m->updated_ms = sqlite3_column_int64(s, 9);
    }
    sqlite3_reset(s);
    return m;
}

void sfn__machine_free(sfn_machine *m)
{
    if (!m)
        return;
    free(m->arn);
    free(m->name);
    free(m->type);
    free(m->definition);
    free(m->role_arn);
    free(m->revision_id);
    free(m->logging);
    free(m->tracing);
    free(m);
}

sfn_execution *sfn__execution_load(stratus *srv, const char *arn)
{
    /* The last event id comes from the history's primary key, because
     * events are never deleted, so no event has to rewrite the execution
     * row (definition and input included). The event_count column is no
     * longer kept up to date. Frame ids keep their counter: a finished
     * Parallel or Map deletes its children's frames, and an id used again
     * could wake a frame with a job left over from an old one. */
    sqlite3_stmt *s = store_stmt(
        srv->store,
        "SELECT arn, machine_arn, account, region, name, type, status, input,"
        " output, error, cause, definition, role_arn, start_ms, stop_ms,"
        " (SELECT coalesce(max(id), 0) FROM sfn_events"
        "  WHERE execution_seq = x.seq), seq, frame_count"
        " FROM sfn_executions x WHERE arn = ?1");
    sqlite3_bind_text(s, 1, arn, -1, SQLITE_STATIC);
    sfn_execution *e = NULL;
    if (sqlite3_step(s) == SQLITE_ROW) {
        e = xcalloc(1, sizeof *e);
        e->arn = sfn_column(s, 0);
        e->machine_arn = sfn_column(s, 1);
        e->account = sfn_column(s, 2);
        e->region = sfn_column(s, 3);
        e->name = sfn_column(s, 4);
        e->type = sfn_column(s, 5);
        e->status = sfn_column(s, 6);
        e->input = sfn_column(s, 7);
        e->output = sfn_column(s, 8);
        e->error = sfn_column(s, 9);
        e->cause = sfn_column(s, 10);
        e->definition = sfn_column(s, 11);
        e->role_arn = sfn_column(s, 12);
        e->start_ms = sqlite3_column_int64(s, 13);
        e->stop_ms = sqlite3_column_int64(s, 14);
        e->event_count = sqlite3_column_int64(s, 15);
        e->seq = sqlite3_column_int64(s, 16);
        e->frame_count = sqlite3_column_int64(s, 17);
    }
    sqlite3_reset(s);
    return e;
}

void sfn__execution_free(sfn_execution *e)
{
    if (!e)
        return;
    free(e->arn);
    free(e->machine_arn);
    free(e->account);
    free(e->region);
    free(e->name);
    free(e->type);
    free(e->status);
    free(e->input);
    free(e->output);
    free(e->error);
    free(e->cause);
    free(e->definition);
    free(e->role_arn);
    free(e);
}

static void sfn_bind_opt(sqlite3_stmt *s, int col, const char *text)
{
    if (text)
        sqlite3_bind_text(s, col, text, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(s, col);
}

/* Publish the AWS/States metrics of an execution that closed with
 * `status` after running `duration_ms`. */
static void sfn_execution_metrics(stratus *srv, const char *account,
                                  const char *region, const char *machine_arn,
                                  const char *status, int64_t duration_ms)
{
    static const struct {
        const char *status, *metric;
    } names[] = {{"SUCCEEDED", "ExecutionsSucceeded"},
                 {"FAILED", "ExecutionsFailed"},
                 {"ABORTED", "ExecutionsAborted"},
                 {"TIMED_OUT", "ExecutionsTimedOut"}};
    cw_dimension dim = {"StateMachineArn", machine_arn};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (strcmp(status, names[i].status) == 0)
            cw_metric_add(srv, account, region, "AWS/States", names[i].metric,
                          &dim, 1, 1, "Count");
    cw_metric_add(srv, account, region, "AWS/States", "ExecutionTime", &dim, 1,
                  (double)duration_ms, "Milliseconds");
}

void sfn__execution_close(stratus *srv, const char *arn, const char *status,
                          const char *output, const char *error,
                          const char *cause, int64_t stop_ms)
{
    sqlite3_stmt *s = store_stmt(
        srv->store, "UPDATE sfn_executions SET status = ?2, output = ?3,"
                    " error = ?4, cause = ?5, stop_ms = ?6 WHERE arn = ?1"
                    " RETURNING account, region, machine_arn, start_ms");
    sqlite3_bind_text(s, 1, arn, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, status, -1, SQLITE_STATIC);
    sfn_bind_opt(s, 3, output);
    sfn_bind_opt(s, 4, error);
    sfn_bind_opt(s, 5, cause);
    sqlite3_bind_int64(s, 6, stop_ms);
    char *account = NULL, *region = NULL, *machine = NULL;
    int64_t start_ms = 0;
    if (sqlite3_step(s) == SQLITE_ROW) {
        account = xstrdup((const char *)sqlite3_column_text(s, 0));
        region = xstrdup((const char *)sqlite3_column_text(s, 1));
        machine = xstrdup((const char *)sqlite3_column_text(s, 2));
        start_ms = sqlite3_column_int64(s, 3);
    }
    sqlite3_reset(s);
    if (machine)
        sfn_execution_metrics(srv, account, region, machine, status,
                              stop_ms - start_ms);
    free(account);
    free(region);
    free(machine);

    /* The frames only serve the interpreter; a closed execution needs none. */
    s = store_stmt(srv->store,
                   "DELETE FROM sfn_frames WHERE execution_arn = ?1");
    sqlite3_bind_text(s, 1, arn, -1, SQLITE_STATIC);
    sqlite3_step(s);
    sqlite3_reset(s);
    s = store_stmt(srv->store,
                   "DELETE FROM sfn_task_tokens WHERE execution_arn = ?1");
    sqlite3_bind_text(s, 1, arn, -1, SQLITE_STATIC);
    sqlite3_step(s);
    sqlite3_reset(s);
    sfn__sync_closed(srv, arn);
}

sfn_frame *sfn__frame_load(stratus *srv, const char *exec_arn, int64_t id)
{
    sqlite3_stmt *s = store_stmt(
        srv->store,
        "SELECT parent, idx, machine, state, phase, data, scratch, status,"
        " output, error, cause, last_event FROM sfn_frames"
        " WHERE execution_arn = ?1 AND id = ?2");
    sqlite3_bind_text(s, 1, exec_arn, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, id);
    sfn_frame *f = NULL;
    if (sqlite3_step(s) == SQLITE_ROW) {
        f = xcalloc(1, sizeof *f);
        f->id = id;
        f->parent = sqlite3_column_int64(s, 0);
        f->index = sqlite3_column_int(s, 1);
        f->machine_text = sfn_column(s, 2);
        f->state = sfn_column(s, 3);
        f->phase = sfn_column(s, 4);
        f->data = sfn_column_json(s, 5);
        f->scratch = sfn_column_json(s, 6);
        f->status = sfn_column(s, 7);
        f->output = sfn_column_json(s, 8);
        f->error = sfn_column(s, 9);
        f->cause = sfn_column(s, 10);
        f->last_event = sqlite3_column_int64(s, 11);
        if (!f->scratch)
            f->scratch = cJSON_CreateObject();
        if (!f->data)
            f->data = cJSON_CreateNull();
    }
    sqlite3_reset(s);
    return f;
}

void sfn__frame_save(stratus *srv, const char *exec_arn, const sfn_frame *f)
{
    /* A frame's machine never changes, so a loaded frame writes back the
     * text it was read from instead of printing the tree again. */
    char *machine =
        f->machine_text ? f->machine_text : cJSON_PrintUnformatted(f->machine);
    char *data = cJSON_PrintUnformatted(f->data);
    char *scratch = cJSON_PrintUnformatted(f->scratch);
    char *output = f->output ? cJSON_PrintUnformatted(f->output) : NULL;
    sqlite3_stmt *s = store_stmt(
        srv->store,
        "INSERT OR REPLACE INTO sfn_frames (execution_arn, id, parent, idx,"
        " machine, state, phase, data, scratch, status, output, error, cause,"
        " last_event) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,"
        " ?12, ?13, ?14)");
    sqlite3_bind_text(s, 1, exec_arn, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, f->id);
    sqlite3_bind_int64(s, 3, f->parent);
    sqlite3_bind_int(s, 4, f->index);
    sqlite3_bind_text(s, 5, machine, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 6, f->state, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 7, f->phase, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 8, data, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 9, scratch, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 10, f->status, -1, SQLITE_STATIC);
    sfn_bind_opt(s, 11, output);
    sfn_bind_opt(s, 12, f->error);
    sfn_bind_opt(s, 13, f->cause);
    sqlite3_bind_int64(s, 14, f->last_event);
    if (sqlite3_step(s) != SQLITE_DONE)
        log_error("stepfunctions", "cannot save frame %lld of %s: %s",
                  (long long)f->id, exec_arn,
                  sqlite3_errmsg(store_db(srv->store)));
    sqlite3_reset(s);
    if (machine != f->machine_text)
        free(machine);
    free(data);
    free(scratch);
    free(output);
}

const cJSON *sfn__frame_machine(sfn_frame *f)
{
    if (!f->machine && f->machine_text)
        f->machine = cJSON_Parse(f->machine_text);
    return f->machine;
}

bool sfn__frame_running(stratus *srv, const char *exec_arn, int64_t id)
{
    sqlite3_stmt *s = store_stmt(srv->store, "SELECT status = 'RUNNING'"
                                             " FROM sfn_frames"
                                             " WHERE execution_arn = ?1"
                                             " AND id = ?2");
    sqlite3_bind_text(s, 1, exec_arn, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, id);
    bool running =
        sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int(s, 0) == 1;
    sqlite3_reset(s);
    return running;
}

void sfn__frame_count_save(stratus *srv, const char *exec_arn, int64_t count)
{
    sqlite3_stmt *s =
        store_stmt(srv->store,
                   "UPDATE sfn_executions SET frame_count = ?2 WHERE arn = ?1");
    sqlite3_bind_text(s, 1, exec_arn, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, count);
    sqlite3_step(s);
    sqlite3_reset(s);
}

void sfn__frame_free(sfn_frame *f)
{
    if (!f)
        return;
    cJSON_Delete(f->machine);
    free(f->machine_text);
    free(f->state);
    free(f->phase);
    cJSON_Delete(f->data);
    cJSON_Delete(f->scratch);
    free(f->status);
    cJSON_Delete(f->output);
    free(f->error);
    free(f->cause);
    free(f);
}

void sfn__frames_abort(stratus *srv, const char *exec_arn, int64_t parent)
{
    sqlite3_stmt *s = store_stmt(
        srv->store, "UPDATE sfn_frames SET status = 'ABORTED'"
                    " WHERE execution_arn = ?1 AND status = 'RUNNING'"
                    " AND (?2 < 0 OR parent = ?2)");
    sqlite3_bind_text(s, 1, exec_arn, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, parent);
    sqlite3_step(s);
    sqlite3_reset(s);
}

int64_t sfn__event_add(stratus *srv, const sfn_execution *e, const char *type,
                       int64_t previous_id, const char *details_name,
                       cJSON *details)
{
    sqlite3_stmt *s =
        store_stmt(srv->store, "SELECT coalesce(max(id), 0) + 1 FROM sfn_events"
                               " WHERE execution_seq = ?1");
    sqlite3_bind_int64(s, 1, e->seq);
    int64_t id = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    sqlite3_reset(s);
    sfn__event_insert(srv, e, id, type, previous_id, details_name, details);
    return id;
}

void sfn__event_insert(stratus *srv, const sfn_execution *e, int64_t id,
                       const char *type, int64_t previous_id,
                       const char *details_name, cJSON *details)
{
    char *text = details ? cJSON_PrintUnformatted(details) : NULL;
    sqlite3_stmt *s =
        store_stmt(srv->store, "INSERT INTO sfn_events (execution_seq, id,"
                               " type, timestamp_ms, previous_id,"
                               " details_name, details)"
                               " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    sqlite3_bind_int64(s, 1, e->seq);
    sqlite3_bind_int64(s, 2, id);
    sqlite3_bind_text(s, 3, type, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 4, clock_now_ms(&srv->clock));
    sqlite3_bind_int64(s, 5, previous_id);
    sfn_bind_opt(s, 6, details ? details_name : NULL);
    sfn_bind_opt(s, 7, text);
    sqlite3_step(s);
    sqlite3_reset(s);
    sfn__event_log(srv, e->arn, id, type, previous_id, text);
    free(text);
    cJSON_Delete(details);
}
