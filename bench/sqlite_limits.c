/*
 * sqlite_limits.c: measure how fast SQLite itself commits, as a ceiling for
 * Stratus's file database. Uses a temporary file in WAL mode with
 * synchronous=NORMAL, which is how Stratus opens its database, and rows of
 * about the size of the benchmark's DynamoDB items.
 *
 * Measures three rates, each for a fixed time:
 *   - single-row transactions per second (one INSERT, one COMMIT),
 *   - rows per second in transactions of GROUP_ROWS rows, the most that one
 *     grouped commit of Stratus can contain with 16 keep-alive connections,
 *   - rows per second batched in one transaction.
 *
 * Prints one JSON object on stdout. Build: cc -O2 sqlite_limits.c -lsqlite3
 * Usage: sqlite_limits [DIRECTORY [SECONDS]]
 */
#define _POSIX_C_SOURCE 200809L
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { GROUP_ROWS = 16, PAYLOAD_BYTES = 160 };

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void check(sqlite3 *db, int rc, const char *step)
{
    if (rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW)
        return;
    fprintf(stderr, "sqlite_limits: %s failed: %s\n", step, sqlite3_errmsg(db));
    exit(1);
}

static void exec(sqlite3 *db, const char *sql)
{
    check(db, sqlite3_exec(db, sql, NULL, NULL, NULL), sql);
}

/* Insert one row with a key that no earlier call used. */
static void insert_row(sqlite3 *db, sqlite3_stmt *insert, long n,
                       const char *payload)
{
    char pk[32], sk[32];
    snprintf(pk, sizeof pk, "p-%ld", n / 10);
    snprintf(sk, sizeof sk, "s-%06ld", n % 10);
    sqlite3_bind_text(insert, 1, pk, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(insert, 2, sk, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(insert, 3, payload, -1, SQLITE_STATIC);
    check(db, sqlite3_step(insert), "INSERT");
    sqlite3_reset(insert);
}

/*
 * Insert rows in transactions of rows_per_commit rows until seconds have
 * passed (0 rows_per_commit: one transaction for the whole time). Returns
 * rows per second, counting the time of the final COMMIT.
 */
static double measure(sqlite3 *db, sqlite3_stmt *insert, long *next_key,
                      long rows_per_commit, double seconds, const char *payload)
{
    double start = now_seconds();
    double deadline = start + seconds;
    long rows = 0;

    exec(db, "BEGIN");
    for (;;) {
        insert_row(db, insert, (*next_key)++, payload);
        rows++;
        if (rows_per_commit > 0 && rows % rows_per_commit == 0) {
            exec(db, "COMMIT");
            if (now_seconds() >= deadline)
                break;
            exec(db, "BEGIN");
        } else if (rows % 1024 == 0 && now_seconds() >= deadline) {
            exec(db, "COMMIT");
            break;
        }
    }
    return (double)rows / (now_seconds() - start);
}

int main(int argc, char **argv)
{
    const char *dir =
        argc > 1 ? argv[1] : (getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    double seconds = argc > 2 ? atof(argv[2]) : 3.0;
    if (seconds <= 0) {
        fprintf(stderr,
                "sqlite_limits: invalid duration \"%s\": expected "
                "a positive number of seconds\n",
                argv[2]);
        return 2;
    }

    char path[4096];
    snprintf(path, sizeof path, "%s/sqlite-limits-%ld.db", dir, (long)getpid());
    sqlite3 *db;
    if (sqlite3_open(path, &db) != SQLITE_OK) {
        fprintf(stderr, "sqlite_limits: cannot open %s: %s\n", path,
                sqlite3_errmsg(db));
        return 1;
    }
    exec(db, "PRAGMA journal_mode=WAL");
    exec(db, "PRAGMA synchronous=NORMAL");
    exec(db, "CREATE TABLE items(pk TEXT NOT NULL, sk TEXT NOT NULL, "
             "item TEXT NOT NULL, PRIMARY KEY (pk, sk)) WITHOUT ROWID");

    sqlite3_stmt *insert;
    check(db,
          sqlite3_prepare_v2(db, "INSERT INTO items VALUES (?, ?, ?)", -1,
                             &insert, NULL),
          "prepare INSERT");

    char payload[PAYLOAD_BYTES + 1];
    memset(payload, 'x', PAYLOAD_BYTES);
    payload[PAYLOAD_BYTES] = '\0';

    long next_key = 0;
    double single = measure(db, insert, &next_key, 1, seconds, payload);
    double grouped =
        measure(db, insert, &next_key, GROUP_ROWS, seconds, payload);
    double batched = measure(db, insert, &next_key, 0, seconds, payload);

    sqlite3_finalize(insert);
    sqlite3_close(db);
    char wal[4200], shm[4200];
    snprintf(wal, sizeof wal, "%s-wal", path);
    snprintf(shm, sizeof shm, "%s-shm", path);
    unlink(path);
    unlink(wal);
    unlink(shm);

    printf("{\"sqlite_version\": \"%s\", \"seconds_each\": %.1f, "
           "\"single_row_commits_per_s\": %.0f, "
           "\"group_rows\": %d, \"grouped_rows_per_s\": %.0f, "
           "\"batched_rows_per_s\": %.0f}\n",
           sqlite3_libversion(), seconds, single, GROUP_ROWS, grouped, batched);
    return 0;
}
