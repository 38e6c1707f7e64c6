/*
 * store.h: the SQLite system of record.
 *
 * One connection per instance, used only from the loop thread. Writes are
 * grouped: the first call of a loop turn opens a transaction, each API call
 * runs inside its own savepoint (so a failed call undoes only its own
 * writes), and the loop commits once at the end of the turn before any
 * response of that turn is sent. Each module owns a numbered list of schema
 * steps; store_migrate applies the ones a database has not seen yet.
 */
#ifndef STRATUS_STORE_H
#define STRATUS_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

typedef struct store store;

/*
 * Open a store at `path` (NULL: a private in-memory database). A file
 * database uses WAL with synchronous=NORMAL, or FULL when `sync_full`.
 * Returns 0, or -1 with a message in `errbuf`.
 */
int store_open(store **out, const char *path, int sync_full, char *errbuf,
               size_t errsize);
/* Close the store. A background checkpoint must not be running: the loop
 * that ran it has finished its work. */
void store_close(store *st);

struct uv_loop_s;
/*
 * Move WAL checkpoints of a file database off the loop: after a commit
 * leaves the WAL past 1000 pages, a libuv worker copies it into the
 * database with its own connection. No-op for in-memory stores.
 */
int store_checkpoint_in_background(store *st, struct uv_loop_s *loop);
/* How many background checkpoints have finished. */
int store_checkpoint_count(const store *st);
sqlite3 *store_db(store *st);

/*
 * Apply the schema steps of `module` that this database lacks, in order, in
 * one transaction. Step i (0-based) brings the module to version i+1.
 */
int store_migrate(store *st, const char *module, const char *const *steps,
                  size_t count, char *errbuf, size_t errsize);

/*
 * Return a prepared statement for `sql`, reset and with its bindings
 * cleared. Statements are cached by text for the life of the store; the
 * caller borrows it and must not finalize it. Aborts on a statement that
 * does not compile, since every SQL text is a constant of the program.
 */
sqlite3_stmt *store_stmt(store *st, const char *sql);

/* Run one constant SQL text with no result rows. Returns an SQLite code. */
int store_exec(store *st, const char *sql);

/*
 * Call boundaries. store_call_begin opens the turn's transaction if needed
 * and a savepoint for this call; store_call_end releases it (ok) or rolls it
 * back (!ok). store_commit ends the turn's transaction; it is a no-op when no
 * call wrote. Returns an SQLite code.
 */
int store_call_begin(store *st);
int store_call_end(store *st, int ok);
int store_commit(store *st);
int store_in_transaction(const store *st);
/* Whether the turn's open transaction has written anything yet. */
int store_dirty(const store *st);

/* Next value of a named durable counter (starts at 1). */
int64_t store_next_id(store *st, const char *name);

#endif
