/*
 * store.c: the SQLite connection of an instance, its statement cache, the
 * grouped-commit transaction and per-call savepoints, and module migrations.
 *
 * A turn's transaction starts with BEGIN at the first call and
 * ends with one COMMIT, so N calls in one loop turn cost one fsync-free WAL
 * append (synchronous=NORMAL) instead of N.
 */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <uv.h>

#include "util.h"

/* WAL pages after which a background checkpoint starts (SQLite's own
 * automatic checkpoint uses the same figure). */
#define STORE_CHECKPOINT_PAGES 1000

#define STORE_STMT_SLOTS 512

typedef struct store_stmt_slot {
    const char *key; /* the caller's pointer */
    sqlite3_stmt *stmt;
} store_stmt_slot;

struct store {
    sqlite3 *db;
    int lock_fd; /* flock on the database file, or -1 */
    int in_txn;
    int call_depth;
    sqlite3_int64 changes_at_begin;
    /* Background checkpoints (file databases): a second connection, used
     * only by libuv's worker thread. */
    char *path;
    uv_loop_t *loop;
    uv_work_t checkpoint_work;
    sqlite3 *checkpoint_db;
    int checkpoint_running;
    int checkpoint_again; /* the WAL grew again while one ran */
    int checkpoint_count; /* finished background checkpoints */
    store_stmt_slot slots[STORE_STMT_SLOTS];
};

static const char *const store_core_steps[] = {
    "CREATE TABLE store_counter (name TEXT PRIMARY KEY,"
    " value INTEGER NOT NULL)",
};

int store_open(store **out, const char *path, int sync_full, char *errbuf,
               size_t errsize)
{
    store *st = xcalloc(1, sizeof *st);
    st->lock_fd = -1;
    if (path) {
        st->path = xstrdup(path);
        /* One process per database: a second serve on the same data
         * directory would see SQLITE_BUSY on its writes. flock does not
         * interfere with SQLite's own POSIX locks. */
        st->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (st->lock_fd < 0) {
            snprintf(errbuf, errsize, "cannot open database %s: %s", path,
                     strerror(errno));
            free(st->path);
            free(st);
            return -1;
        }
        if (flock(st->lock_fd, LOCK_EX | LOCK_NB) != 0) {
            snprintf(errbuf, errsize,
                     "database %s is in use by another stratus process; "
                     "stop it or choose another --data-dir",
                     path);
            close(st->lock_fd);
            free(st->path);
            free(st);
            return -1;
        }
    }
    int flags =
        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    int rc = sqlite3_open_v2(path ? path : ":memory:", &st->db, flags, NULL);
    if (rc != SQLITE_OK) {
        snprintf(errbuf, errsize, "cannot open database %s: %s",
                 path ? path : ":memory:", sqlite3_errmsg(st->db));
        goto fail;
    }

    sqlite3_extended_result_codes(st->db, 1);
    if (path) {
        if (store_exec(st, "PRAGMA journal_mode=WAL") != SQLITE_OK)
            goto sqlfail;
        if (store_exec(st, sync_full
                               ? "PRAGMA synchronous=FULL"
                               : "PRAGMA synchronous=NORMAL") != SQLITE_OK)
            goto sqlfail;
        /* Savepoint journals stay in memory. Past 64 KiB SQLite would spill
         * them to a temporary file, and a Step Functions job that records
         * dozens of history events crossed that on every call. They only
         * serve a rollback inside the open transaction, never recovery. */
        if (store_exec(st, "PRAGMA temp_store=MEMORY") != SQLITE_OK)
            goto sqlfail;
        /* A reader such as the sqlite3 shell may hold a lock briefly. */
        sqlite3_busy_timeout(st->db, 2000);
    }
    if (store_exec(st, "PRAGMA foreign_keys=ON") != SQLITE_OK)
        goto sqlfail;

    /* The migration bookkeeping itself has no bookkeeping to lean on. */
    if (store_exec(st, "CREATE TABLE IF NOT EXISTS store_schema ("
                       "module TEXT PRIMARY KEY, version INTEGER NOT NULL)") !=
        SQLITE_OK)
        goto sqlfail;
    if (store_migrate(st, "store", store_core_steps,
                      sizeof store_core_steps / sizeof *store_core_steps,
                      errbuf, errsize) != 0)
        goto fail;

    *out = st;
    return 0;

sqlfail:
    snprintf(errbuf, errsize, "cannot set up database %s: %s",
             path ? path : ":memory:", sqlite3_errmsg(st->db));
fail:
    store_close(st);
    *out = NULL;
    return -1;
}

void store_close(store *st)
{
    if (!st)
        return;
    for (size_t i = 0; i < STORE_STMT_SLOTS; i++)
        sqlite3_finalize(st->slots[i].stmt);
    if (st->in_txn)
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(st->db);
    if (st->checkpoint_db)
        sqlite3_close(st->checkpoint_db);
    if (st->lock_fd >= 0)
        close(st->lock_fd);
    free(st->path);
    free(st);
}

/* Worker thread: copy committed WAL pages into the database file. SQLite
 * documents that a PASSIVE checkpoint waits for no reader or writer, so the
 * loop's connection goes on, and the fsync happens here, not in a commit. */
static void store_checkpoint_run(uv_work_t *w)
{
    store *st = w->data;
    if (!st->checkpoint_db &&
        sqlite3_open_v2(st->path, &st->checkpoint_db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
        sqlite3_close(st->checkpoint_db);
        st->checkpoint_db = NULL;
        return;
    }
    sqlite3_wal_checkpoint_v2(st->checkpoint_db, NULL,
                              SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
}

static void store_checkpoint_start(store *st);

static void store_checkpoint_done(uv_work_t *w, int status)
{
    store *st = w->data;
    st->checkpoint_running = 0;
    st->checkpoint_count++;
    if (st->checkpoint_again && status == 0)
        store_checkpoint_start(st);
}

static void store_checkpoint_start(store *st)
{
    st->checkpoint_again = 0;
    st->checkpoint_work.data = st;
    if (uv_queue_work(st->loop, &st->checkpoint_work, store_checkpoint_run,
                      store_checkpoint_done) == 0)
        st->checkpoint_running = 1;
}

/* Called by SQLite after each commit with the WAL's size in pages. */
static int store_wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
    store *st = arg;
    if (pages < STORE_CHECKPOINT_PAGES)
        return SQLITE_OK;
    if (st->checkpoint_running)
        st->checkpoint_again = 1;
    else
        store_checkpoint_start(st);
    return SQLITE_OK;
}

int store_checkpoint_count(const store *st)
{
    return st->checkpoint_count;
}

int store_checkpoint_in_background(store *st, uv_loop_t *loop)
{
    if (!st->path)
        return 0;
    st->loop = loop;
    /* Replaces SQLite's automatic checkpoint, which ran inside commits. */
    sqlite3_wal_hook(st->db, store_wal_hook, st);
    return 0;
}

sqlite3 *store_db(store *st)
{
    return st->db;
}

int store_exec(store *st, const char *sql)
{
    return sqlite3_exec(st->db, sql, NULL, NULL, NULL);
}

/* Run a cached statement with no result rows: the per-call transaction
 * statements run on every request, so they are compiled once. */
static int store_run_cached(store *st, const char *sql)
{
    sqlite3_stmt *s = store_stmt(st, sql);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

sqlite3_stmt *store_stmt(store *st, const char *sql)
{
    uintptr_t h = (uintptr_t)sql;
    h ^= h >> 17;
    h *= 0x9E3779B97F4A7C15ull;
    size_t i = (size_t)(h >> 20) % STORE_STMT_SLOTS;

    for (size_t probe = 0; probe < STORE_STMT_SLOTS; probe++) {
        store_stmt_slot *slot = &st->slots[(i + probe) % STORE_STMT_SLOTS];
        if (slot->key == sql && strcmp(sqlite3_sql(slot->stmt), sql) == 0) {
            sqlite3_reset(slot->stmt);
            sqlite3_clear_bindings(slot->stmt);
            return slot->stmt;
        }
        if (!slot->key) {
            if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
                                   &slot->stmt, NULL) != SQLITE_OK) {
                fprintf(stderr, "stratus: SQL does not compile: %s\n%s\n",
                        sqlite3_errmsg(st->db), sql);
                abort();
            }
            slot->key = sql;
            return slot->stmt;
        }
    }
    fprintf(stderr, "stratus: statement cache full (%d)\n", STORE_STMT_SLOTS);
    abort();
}

int store_migrate(store *st, const char *module, const char *const *steps,
                  size_t count, char *errbuf, size_t errsize)
{
    sqlite3_stmt *q;
    int version = 0;
    int rc;

    if (sqlite3_prepare_v2(st->db,
                           "SELECT version FROM store_schema WHERE module = ?",
                           -1, &q, NULL) != SQLITE_OK)
        goto fail;
    sqlite3_bind_text(q, 1, module, -1, SQLITE_STATIC);
    if (sqlite3_step(q) == SQLITE_ROW)
        version = sqlite3_column_int(q, 0);
    sqlite3_finalize(q);

    if ((size_t)version > count) {
        snprintf(errbuf, errsize,
                 "database schema of %s is version %d, newer than this "
                 "build's %zu: use a newer stratus or another --data-dir",
                 module, version, count);
        return -1;
    }
    if ((size_t)version == count)
        return 0;

    if (store_exec(st, "SAVEPOINT migrate") != SQLITE_OK)
        goto fail;
    for (size_t i = (size_t)version; i < count; i++) {
        if (store_exec(st, steps[i]) != SQLITE_OK)
            goto rollback;
    }
    if (sqlite3_prepare_v2(st->db,
                           "INSERT INTO store_schema (module, version) "
                           "VALUES (?, ?) ON CONFLICT(module) DO UPDATE SET "
                           "version = excluded.version",
                           -1, &q, NULL) != SQLITE_OK)
        goto rollback;
    sqlite3_bind_text(q, 1, module, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 2, (int)count);
    rc = sqlite3_step(q);
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE)
        goto rollback;
    if (store_exec(st, "RELEASE migrate") != SQLITE_OK)
        goto fail;
    return 0;

rollback:
    snprintf(errbuf, errsize, "migration of %s failed: %s", module,
             sqlite3_errmsg(st->db));
    store_exec(st, "ROLLBACK TO migrate");
    store_exec(st, "RELEASE migrate");
    return -1;
fail:
    snprintf(errbuf, errsize, "migration of %s failed: %s", module,
             sqlite3_errmsg(st->db));
    return -1;
}

int store_call_begin(store *st)
{
    int rc;
    if (!st->in_txn) {
        rc = store_run_cached(st, "BEGIN");
        if (rc != SQLITE_OK)
            return rc;
        st->in_txn = 1;
        st->changes_at_begin = sqlite3_total_changes64(st->db);
    }
    rc = store_run_cached(st, "SAVEPOINT call");
    if (rc == SQLITE_OK)
        st->call_depth++;
    return rc;
}

int store_call_end(store *st, int ok)
{
    int rc = SQLITE_OK;
    if (st->call_depth == 0)
        return SQLITE_MISUSE;
    if (!ok)
        rc = store_run_cached(st, "ROLLBACK TO call");
    int rc2 = store_run_cached(st, "RELEASE call");
    st->call_depth--;
    return rc != SQLITE_OK ? rc : rc2;
}

int store_commit(store *st)
{
    if (!st->in_txn || st->call_depth > 0)
        return SQLITE_OK;
    int rc = store_run_cached(st, "COMMIT");
    if (rc != SQLITE_OK)
        store_exec(st, "ROLLBACK");
    st->in_txn = 0;
    return rc;
}

int store_in_transaction(const store *st)
{
    return st->in_txn;
}

int store_dirty(const store *st)
{
    return st->in_txn &&
           sqlite3_total_changes64(st->db) != st->changes_at_begin;
}

int64_t store_next_id(store *st, const char *name)
{
    sqlite3_stmt *s =
        store_stmt(st, "INSERT INTO store_counter (name, value) "
                       "VALUES (?1, 1) ON CONFLICT(name) DO UPDATE "
                       "SET value = value + 1 RETURNING value");
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    int64_t v = -1;
    if (sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    return v;
}
