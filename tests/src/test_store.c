/*
 * test_store.c: the store's migrations, grouped commits and savepoints.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "store.h"

static const char *const steps[] = {
    "CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER)",
    "ALTER TABLE t ADD COLUMN note TEXT",
};

static int count_rows(store *st)
{
    sqlite3_stmt *s = store_stmt(st, "SELECT count(*) FROM t");
    int n = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int(s, 0) : -1;
    sqlite3_reset(s);
    return n;
}

static void insert(store *st, const char *k)
{
    sqlite3_stmt *s = store_stmt(st, "INSERT INTO t (k, v) VALUES (?1, 1)");
    sqlite3_bind_text(s, 1, k, -1, SQLITE_STATIC);
    cr_assert_eq(sqlite3_step(s), SQLITE_DONE);
    sqlite3_reset(s);
}

Test(store, migrations_apply_once_in_order)
{
    store *st;
    char err[256];
    cr_assert_eq(store_open(&st, NULL, 0, err, sizeof err), 0, "%s", err);
    cr_assert_eq(store_migrate(st, "m", steps, 2, err, sizeof err), 0, "%s",
                 err);
    cr_assert_eq(store_migrate(st, "m", steps, 2, err, sizeof err), 0, "%s",
                 err);
    cr_assert_eq(store_exec(st, "INSERT INTO t (k, v, note) VALUES "
                                "('a', 1, 'x')"),
                 SQLITE_OK);
    store_close(st);
}

Test(store, newer_schema_is_rejected)
{
    store *st;
    char err[256];
    cr_assert_eq(store_open(&st, NULL, 0, err, sizeof err), 0);
    cr_assert_eq(store_migrate(st, "m", steps, 2, err, sizeof err), 0);
    cr_assert_eq(store_migrate(st, "m", steps, 1, err, sizeof err), -1);
    cr_assert(strstr(err, "newer than this build") != NULL, "%s", err);
    store_close(st);
}

Test(store, failed_call_rolls_back_only_itself)
{
    store *st;
    char err[256];
    cr_assert_eq(store_open(&st, NULL, 0, err, sizeof err), 0);
    cr_assert_eq(store_migrate(st, "m", steps, 1, err, sizeof err), 0);

    cr_assert_eq(store_call_begin(st), SQLITE_OK);
    insert(st, "kept");
    cr_assert_eq(store_call_end(st, 1), SQLITE_OK);

    cr_assert_eq(store_call_begin(st), SQLITE_OK);
    insert(st, "undone");
    cr_assert_eq(store_call_end(st, 0), SQLITE_OK);

    cr_assert(store_dirty(st));
    cr_assert_eq(store_commit(st), SQLITE_OK);
    cr_assert_not(store_in_transaction(st));
    cr_assert_eq(count_rows(st), 1);
    store_close(st);
}

Test(store, read_only_turn_is_not_dirty)
{
    store *st;
    char err[256];
    cr_assert_eq(store_open(&st, NULL, 0, err, sizeof err), 0);
    cr_assert_eq(store_migrate(st, "m", steps, 1, err, sizeof err), 0);
    cr_assert_eq(store_call_begin(st), SQLITE_OK);
    cr_assert_eq(count_rows(st), 0);
    cr_assert_eq(store_call_end(st, 1), SQLITE_OK);
    cr_assert_not(store_dirty(st));
    cr_assert_eq(store_commit(st), SQLITE_OK);
    store_close(st);
}

Test(store, file_database_keeps_commits)
{
    char dir[] = "/tmp/stratus-store-XXXXXX";
    char path[128], err[256];
    store *st;
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/db", dir);

    cr_assert_eq(store_open(&st, path, 0, err, sizeof err), 0, "%s", err);
    cr_assert_eq(store_migrate(st, "m", steps, 1, err, sizeof err), 0);
    cr_assert_eq(store_call_begin(st), SQLITE_OK);
    insert(st, "a");
    insert(st, "b");
    store_call_end(st, 1);
    store_commit(st);
    store_close(st);

    cr_assert_eq(store_open(&st, path, 0, err, sizeof err), 0, "%s", err);
    cr_assert_eq(count_rows(st), 2);
    sqlite3_stmt *s = store_stmt(st, "PRAGMA journal_mode");
    cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
    cr_assert_str_eq((const char *)sqlite3_column_text(s, 0), "wal");
    sqlite3_reset(s);
    store_close(st);

    snprintf(path, sizeof path, "rm -rf %s", dir);
    cr_assert_eq(system(path), 0);
}

Test(store, counters_start_at_one)
{
    store *st;
    char err[256];
    cr_assert_eq(store_open(&st, NULL, 0, err, sizeof err), 0);
    cr_assert_eq(store_next_id(st, "x"), 1);
    cr_assert_eq(store_next_id(st, "x"), 2);
    cr_assert_eq(store_next_id(st, "y"), 1);
    store_close(st);
}

Test(store, second_open_of_file_is_rejected)
{
    char dir[] = "/tmp/stratus-lock-XXXXXX";
    char path[128], err[256];
    store *first, *second;
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/db", dir);

    cr_assert_eq(store_open(&first, path, 0, err, sizeof err), 0, "%s", err);
    cr_assert_eq(store_open(&second, path, 0, err, sizeof err), -1);
    cr_assert(strstr(err, "in use by another stratus process") != NULL, "%s",
              err);
    store_close(first);
    cr_assert_eq(store_open(&second, path, 0, err, sizeof err), 0, "%s", err);
    store_close(second);

    snprintf(path, sizeof path, "rm -rf %s", dir);
    cr_assert_eq(system(path), 0);
}
