/*
 * jobs.h: the durable job queue.
 *
 * Everything that happens later is a row of the jobs table with a due time,
 * written in the same transaction as the change that caused it. The loop
 * runs due jobs in due-time order; after a restart, pending rows resume. A
 * handler runs inside its own store call, so its writes and the deletion of
 * its row commit together.
 */
#ifndef STRATUS_JOBS_H
#define STRATUS_JOBS_H

#include <stdint.h>

#include <cjson/cJSON.h>

struct stratus;

/*
 * A job handler. Returns 0 when done (the row is deleted), or a positive
 * delay in milliseconds to run the same job again later. `payload` is
 * borrowed.
 */
typedef int64_t (*jobs_handler)(struct stratus *srv, const char *account,
                                const char *region, const cJSON *payload);

typedef struct jobs jobs;

int jobs_create(jobs **out, struct stratus *srv);
void jobs_destroy(jobs *j);

/* Register the handler of a job kind; `kind` must be a static string. */
void jobs_register(jobs *j, const char *kind, jobs_handler handler);

/*
 * Add a job due at `due_ms` (instance clock). When `unique_key` is not NULL
 * and a pending job of the same kind and key exists, no job is added: the
 * pending one keeps its payload and becomes due at the earlier time.
 * Must be called inside a store call. Returns 0 or -1.
 */
int jobs_schedule(jobs *j, const char *kind, const char *account,
                  const char *region, int64_t due_ms, const cJSON *payload,
                  const char *unique_key);

/* Run every job due now. Returns how many ran. */
int jobs_run_due(jobs *j);

/* Due time of the earliest pending job, or -1 when none. */
int64_t jobs_next_due(jobs *j);

#endif
