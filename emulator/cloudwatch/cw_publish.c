/*
 * cw_publish.c: cw_metric_add, the path other services publish their
 * metrics through, several times per event.
 *
 * It is built for that rate. Data of one metric and unit within one minute
 * go into a single aggregated row (count, sum, minimum, maximum) by an
 * upsert, as AWS stores service metrics per minute, so the store grows per
 * minute rather than per event. A per-instance cache maps each metric's
 * name and dimensions to its row id and to the last minute written, so the
 * metric row itself is touched once a minute. A cached id whose row was
 * rolled back with a failed call makes the datum's foreign key check fail,
 * and the call then takes the uncached path again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "cw_internal.h"
#include "log.h"
#include "store.h"
#include "util.h"

#define CW_CACHE_BUCKETS 1024

typedef struct cw_cache_entry {
    char *key;
    int64_t metric_id;
    int64_t minute_ms; /* the last minute its last_ms was moved to */
    struct cw_cache_entry *next;
} cw_cache_entry;

struct cw_state {
    cw_cache_entry *buckets[CW_CACHE_BUCKETS];
};

cw_state *cw__state(stratus *srv)
{
    size_t index = stratus_service_index(&cw_service);
    if (!srv->service_state[index])
        srv->service_state[index] = xcalloc(1, sizeof(cw_state));
    return srv->service_state[index];
}

void cw__state_free(stratus *srv)
{
    size_t index = stratus_service_index(&cw_service);
    cw_state *st = srv->service_state[index];
    if (!st)
        return;
    for (size_t i = 0; i < CW_CACHE_BUCKETS; i++) {
        cw_cache_entry *e = st->buckets[i];
        while (e) {
            cw_cache_entry *next = e->next;
            free(e->key);
            free(e);
            e = next;
        }
    }
    free(st);
    srv->service_state[index] = NULL;
}

static int cw_dimension_cmp(const void *a, const void *b)
{
    const cw_dimension *x = a, *y = b;
    return strcmp(x->name, y->name);
}

/* The cache key: account, region, namespace, name and the dimensions
 * sorted by name, separated by the ASCII unit and record separators. */
static char *cw_cache_key(const char *account, const char *region,
                          const char *ns, const char *name,
                          const cw_dimension *sorted, size_t ndims)
{
    strbuf b;
    strbuf_init(&b);
    strbuf_printf(&b, "%s\x1f%s\x1f%s\x1f%s", account, region, ns, name);
    for (size_t i = 0; i < ndims; i++)
        strbuf_printf(&b, "\x1e%s\x1f%s", sorted[i].name, sorted[i].value);
    return strbuf_take(&b, NULL);
}

static size_t cw_cache_hash(const char *key)
{
    size_t h = 14695981039346656037ULL;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return h % CW_CACHE_BUCKETS;
}

static cw_cache_entry *cw_cache_find(cw_state *st, const char *key)
{
    for (cw_cache_entry *e = st->buckets[cw_cache_hash(key)]; e; e = e->next)
        if (strcmp(e->key, key) == 0)
            return e;
    return NULL;
}

static void cw_cache_drop(cw_state *st, const char *key)
{
    cw_cache_entry **pp = &st->buckets[cw_cache_hash(key)];
    while (*pp) {
        if (strcmp((*pp)->key, key) == 0) {
            cw_cache_entry *removed = *pp;
            *pp = removed->next;
            free(removed->key);
            free(removed);
            return;
        }
        pp = &(*pp)->next;
    }
}

/* The metric row id: from the cache, or created or found in the store and
 * then cached. Returns -1 on a store error or invalid dimensions. */
static int64_t cw_publish_metric_id(stratus *srv, const char *key,
                                    const char *account, const char *region,
                                    const char *ns, const char *name,
                                    const cw_dimension *sorted, size_t ndims,
                                    int64_t minute)
{
    cw_state *st = cw__state(srv);
    cw_cache_entry *e = cw_cache_find(st, key);
    if (e) {
        if (e->minute_ms != minute) {
            sqlite3_stmt *s = store_stmt(
                srv->store, "UPDATE cw_metric SET last_ms = max(last_ms, ?2)"
                            " WHERE id = ?1");
            sqlite3_bind_int64(s, 1, e->metric_id);
            sqlite3_bind_int64(s, 2, minute);
            sqlite3_step(s);
            sqlite3_reset(s);
            e->minute_ms = minute;
        }
        return e->metric_id;
    }

    aws_error err = {0};
    cJSON *list = cJSON_CreateArray();
    for (size_t i = 0; i < ndims; i++) {
        cJSON *d = cJSON_CreateObject();
        cJSON_AddStringToObject(d, "Name", sorted[i].name);
        cJSON_AddStringToObject(d, "Value", sorted[i].value);
        cJSON_AddItemToArray(list, d);
    }
    char *canonical = cw__dims_canonical(list, "Dimensions", &err);
    cJSON_Delete(list);
    if (!canonical) {
        log_error("cloudwatch", "cannot record %s %s: %s", ns, name,
                  err.message);
        aws_error_reset(&err);
        return -1;
    }
    int64_t id =
        cw__metric_touch(srv, account, region, ns, name, canonical, minute);
    free(canonical);
    if (id < 0)
        return -1;
    e = xcalloc(1, sizeof *e);
    e->key = xstrdup(key);
    e->metric_id = id;
    e->minute_ms = minute;
    size_t h = cw_cache_hash(key);
    e->next = st->buckets[h];
    st->buckets[h] = e;
    return id;
}

/* Add one value to the aggregated row of its metric, minute and unit. */
static int cw_publish_datum(stratus *srv, int64_t metric_id, int64_t minute,
                            const char *unit, double value)
{
    sqlite3_stmt *s = store_stmt(
        srv->store,
        "INSERT INTO cw_datum (metric_id, ts_ms, unit, count, sum, min, max,"
        " aggregated) VALUES (?1, ?2, ?3, 1, ?4, ?4, ?4, 1)"
        " ON CONFLICT (metric_id, ts_ms, unit) WHERE aggregated = 1"
        " DO UPDATE SET count = count + 1, sum = sum + excluded.sum,"
        " min = min(min, excluded.min), max = max(max, excluded.max)");
    sqlite3_bind_int64(s, 1, metric_id);
    sqlite3_bind_int64(s, 2, minute);
    sqlite3_bind_text(s, 3, unit, -1, SQLITE_STATIC);
    sqlite3_bind_double(s, 4, value);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? 0 : -1;
}

void cw_metric_add(stratus *srv, const char *account, const char *region,
                   const char *ns, const char *name, const cw_dimension *dims,
                   size_t ndims, double value, const char *unit)
{
    if (ndims > 30) {
        log_error("cloudwatch", "cannot record %s %s: %zu dimensions", ns, name,
                  ndims);
        return;
    }
    cw_dimension sorted[30];
    if (ndims)
        memcpy(sorted, dims, ndims * sizeof *dims);
    qsort(sorted, ndims, sizeof *sorted, cw_dimension_cmp);
    char *key = cw_cache_key(account, region, ns, name, sorted, ndims);
    int64_t minute = clock_now_ms(&srv->clock) / 60000 * 60000;
    const char *unit_name = unit ? unit : "None";

    int in_turn = store_in_transaction(srv->store);
    int begun = store_call_begin(srv->store) == SQLITE_OK;
    int ok = 0;
    for (int attempt = 0; begun && attempt < 2 && !ok; attempt++) {
        int64_t id = cw_publish_metric_id(srv, key, account, region, ns, name,
                                          sorted, ndims, minute);
        if (id < 0)
            break;
        ok = cw_publish_datum(srv, id, minute, unit_name, value) == 0;
        if (!ok) /* a cached row that was rolled back: look it up again */
            cw_cache_drop(cw__state(srv), key);
    }
    if (begun)
        store_call_end(srv->store, ok);
    if (!ok)
        log_error("cloudwatch", "cannot record %s %s: %s", ns, name,
                  sqlite3_errmsg(store_db(srv->store)));
    free(key);
    /* A metric recorded outside a request or job (a process exit) opened
     * the turn's transaction, so make the turn end come soon and commit it.
     * Waking on every call would split commits and slow delivery. */
    if (!in_turn)
        stratus_wake(srv);
}
