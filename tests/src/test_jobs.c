/*
 * test_jobs.c: the durable job queue: due order, rescheduling, uniqueness
 * and survival across a restart of a file-backed instance.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "stratus.h"
#include "ts.h"

static int runs;
static char last[64];

static int64_t record_job(stratus *srv, const char *account, const char *region,
                          const cJSON *payload)
{
    const cJSON *tag = cJSON_GetObjectItemCaseSensitive(payload, "tag");
    runs++;
    snprintf(last, sizeof last, "%s",
             cJSON_IsString(tag) ? tag->valuestring : "?");
    return 0;
}

static int64_t repeat_twice(stratus *srv, const char *account,
                            const char *region, const cJSON *payload)
{
    return ++runs < 3 ? 1000 : 0;
}

static void schedule(stratus *srv, const char *kind, int64_t due,
                     const char *tag, const char *unique)
{
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "tag", tag);
    cr_assert_eq(store_call_begin(srv->store), SQLITE_OK);
    cr_assert_eq(jobs_schedule(srv->jobs, kind, "123456789012", "us-east-1",
                               due, p, unique),
                 0);
    store_call_end(srv->store, 1);
    store_commit(srv->store);
    cJSON_Delete(p);
}

Test(jobs, run_in_due_order_when_due)
{
    stratus *srv = ts_new();
    int64_t now = clock_now_ms(&srv->clock);
    runs = 0;
    jobs_register(srv->jobs, "test.record", record_job);
    schedule(srv, "test.record", now + 2000, "second", NULL);
    schedule(srv, "test.record", now + 1000, "first", NULL);

    cr_assert_eq(jobs_run_due(srv->jobs), 0);
    cr_assert_eq(jobs_next_due(srv->jobs), now + 1000);
    clock_advance_to(&srv->clock, now + 1000);
    cr_assert_eq(jobs_run_due(srv->jobs), 1);
    cr_assert_str_eq(last, "first");
    clock_advance_to(&srv->clock, now + 5000);
    cr_assert_eq(jobs_run_due(srv->jobs), 1);
    cr_assert_str_eq(last, "second");
    cr_assert_eq(jobs_next_due(srv->jobs), -1);
    store_commit(srv->store);
    ts_free(srv);
}

Test(jobs, positive_result_reschedules)
{
    stratus *srv = ts_new();
    int64_t now = clock_now_ms(&srv->clock);
    runs = 0;
    jobs_register(srv->jobs, "test.repeat", repeat_twice);
    schedule(srv, "test.repeat", now, "x", NULL);
    for (int i = 0; i < 5; i++) {
        jobs_run_due(srv->jobs);
        store_commit(srv->store);
        clock_advance_to(&srv->clock, clock_now_ms(&srv->clock) + 1000);
    }
    cr_assert_eq(runs, 3);
    cr_assert_eq(jobs_next_due(srv->jobs), -1);
    ts_free(srv);
}

Test(jobs, unique_key_keeps_one_pending)
{
    stratus *srv = ts_new();
    int64_t now = clock_now_ms(&srv->clock);
    runs = 0;
    jobs_register(srv->jobs, "test.record", record_job);
    schedule(srv, "test.record", now, "a", "k");
    schedule(srv, "test.record", now, "b", "k");
    cr_assert_eq(jobs_run_due(srv->jobs), 1);
    cr_assert_str_eq(last, "a");
    store_commit(srv->store);
    ts_free(srv);
}

Test(jobs, unique_key_moves_job_earlier)
{
    stratus *srv = ts_new();
    int64_t now = clock_now_ms(&srv->clock);
    runs = 0;
    jobs_register(srv->jobs, "test.record", record_job);
    schedule(srv, "test.record", now + 1000000000, "far", "k");
    schedule(srv, "test.record", now + 1000, "near", "k");
    cr_assert_eq(jobs_next_due(srv->jobs), now + 1000);
    clock_advance_to(&srv->clock, now + 1000);
    cr_assert_eq(jobs_run_due(srv->jobs), 1);
    cr_assert_str_eq(last, "far");
    store_commit(srv->store);
    ts_free(srv);
}

Test(jobs, pending_jobs_survive_restart)
{
    char dir[] = "/tmp/stratus-jobs-XXXXXX";
    char errbuf[256], cmd[128];
    stratus_config cfg;
    stratus *srv;

    cr_assert_not_null(mkdtemp(dir));
    config_defaults(&cfg);
    snprintf(cfg.data_dir, sizeof cfg.data_dir, "%s", dir);
    cr_assert_eq(stratus_create(&srv, &cfg, errbuf, sizeof errbuf), 0, "%s",
                 errbuf);
    schedule(srv, "test.record", 0, "durable", NULL);
    stratus_destroy(srv);

    runs = 0;
    cr_assert_eq(stratus_create(&srv, &cfg, errbuf, sizeof errbuf), 0, "%s",
                 errbuf);
    jobs_register(srv->jobs, "test.record", record_job);
    cr_assert_eq(jobs_run_due(srv->jobs), 1);
    cr_assert_str_eq(last, "durable");
    stratus_destroy(srv);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

Test(jobs, wal_is_checkpointed_in_background)
{
    char dir[] = "/tmp/stratus-ckpt-XXXXXX";
    char errbuf[256], cmd[128];
    stratus_config cfg;
    stratus *srv;

    cr_assert_not_null(mkdtemp(dir));
    config_defaults(&cfg);
    snprintf(cfg.data_dir, sizeof cfg.data_dir, "%s", dir);
    cr_assert_eq(stratus_create(&srv, &cfg, errbuf, sizeof errbuf), 0, "%s",
                 errbuf);
    /* Enough job rows to pass 1,000 WAL pages in one commit. */
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "pad", "");
    char pad[2000];
    memset(pad, 'x', sizeof pad - 1);
    pad[sizeof pad - 1] = '\0';
    cJSON_ReplaceItemInObjectCaseSensitive(p, "pad", cJSON_CreateString(pad));
    cr_assert_eq(store_call_begin(srv->store), SQLITE_OK);
    for (int i = 0; i < 3000; i++)
        jobs_schedule(srv->jobs, "test.none", "123456789012", "us-east-1",
                      INT64_MAX / 2, p, NULL);
    store_call_end(srv->store, 1);
    cr_assert_eq(store_commit(srv->store), SQLITE_OK);
    cJSON_Delete(p);

    for (int i = 0; i < 500 && store_checkpoint_count(srv->store) == 0; i++) {
        uv_run(&srv->loop, UV_RUN_NOWAIT);
        usleep(2000);
    }
    cr_assert_geq(store_checkpoint_count(srv->store), 1);
    stratus_destroy(srv);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}
