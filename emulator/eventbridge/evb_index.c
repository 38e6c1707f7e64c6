/*
 * evb_index.c: a hash table from (field path, exact string value) to the
 * rules filed under it, plus the list of rules that must always be checked.
 *
 * Rules live in an array in insertion order; a removed rule leaves a hole
 * that the next compaction (once holes outnumber rules) squeezes out.
 */
#include "evb_index.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

typedef struct index_rule {
    const evb_pattern *pattern; /* NULL after removal */
    void *rule;
} index_rule;

/* One (path, value) key with the ids of the rules filed under it. */
typedef struct bucket {
    char *key; /* path, NUL, value */
    size_t key_len;
    uint64_t hash;
    size_t *ids;
    size_t count;
} bucket;

struct evb_index {
    index_rule *rules;
    size_t rule_count, live_count;
    bucket *buckets; /* open addressing; key NULL marks an empty slot */
    size_t bucket_cap, bucket_used;
    size_t *unindexed; /* ids of rules without an index key */
    size_t unindexed_count;
};

static uint64_t hash_bytes(const char *data, size_t len)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */

    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)data[i];
        h *= 1099511628211ULL;
    }
    return h;
}

/* Return the key "path NUL value" as a new string; `*len` excludes the end NUL.
 */
static char *make_key(const char *path, const char *value, size_t *len)
{
    size_t a = strlen(path), b = strlen(value);
    char *key = xmalloc(a + b + 2);

    memcpy(key, path, a + 1);
    memcpy(key + a + 1, value, b + 1);
    *len = a + 1 + b;
    return key;
}

static bucket *bucket_find(const evb_index *index, const char *key, size_t len,
                           uint64_t hash)
{
    if (index->bucket_cap == 0) {
        return NULL;
    }
    for (size_t i = hash & (index->bucket_cap - 1);;
         i = (i + 1) & (index->bucket_cap - 1)) {
        bucket *b = &index->buckets[i];
        if (!b->key) {
            return b;
        }
        if (b->hash == hash && b->key_len == len &&
            memcmp(b->key, key, len) == 0) {
            return b;
        }
    }
}

static void table_grow(evb_index *index)
{
    bucket *old = index->buckets;
    size_t old_cap = index->bucket_cap;

    index->bucket_cap = old_cap ? old_cap * 2 : 64;
    index->buckets = xcalloc(index->bucket_cap, sizeof *index->buckets);
    for (size_t i = 0; i < old_cap; i++) {
        if (old[i].key) {
            *bucket_find(index, old[i].key, old[i].key_len, old[i].hash) =
                old[i];
        }
    }
    free(old);
}

static void ids_append(size_t **ids, size_t *count, size_t id)
{
    *ids = xrealloc(*ids, (*count + 1) * sizeof **ids);
    (*ids)[(*count)++] = id;
}

static void ids_delete(size_t *ids, size_t *count, size_t id)
{
    for (size_t i = 0; i < *count; i++) {
        if (ids[i] == id) {
            memmove(ids + i, ids + i + 1, (*count - i - 1) * sizeof *ids);
            (*count)--;
            return;
        }
    }
}

/* File rule `id` under every key of its pattern, or as unindexed. */
static void file_rule(evb_index *index, size_t id)
{
    const char *path;
    const char *const *values;
    size_t count;

    if (evb_pattern_index_key(index->rules[id].pattern, &path, &values,
                              &count)) {
        ids_append(&index->unindexed, &index->unindexed_count, id);
        return;
    }
    for (size_t i = 0; i < count; i++) {
        size_t len;
        char *key = make_key(path, values[i], &len);
        uint64_t hash = hash_bytes(key, len);

        if ((index->bucket_used + 1) * 10 >= index->bucket_cap * 7) {
            table_grow(index);
        }
        bucket *b = bucket_find(index, key, len, hash);
        if (!b->key) {
            b->key = key;
            b->key_len = len;
            b->hash = hash;
            index->bucket_used++;
        } else {
            free(key);
        }
        /* A rule listing one value twice is filed once. */
        if (b->count == 0 || b->ids[b->count - 1] != id) {
            ids_append(&b->ids, &b->count, id);
        }
    }
}

static void clear_table(evb_index *index)
{
    for (size_t i = 0; i < index->bucket_cap; i++) {
        free(index->buckets[i].key);
        free(index->buckets[i].ids);
    }
    free(index->buckets);
    index->buckets = NULL;
    index->bucket_cap = index->bucket_used = 0;
    free(index->unindexed);
    index->unindexed = NULL;
    index->unindexed_count = 0;
}

/* Squeeze out removed rules and refile the rest. */
static void compact(evb_index *index)
{
    size_t n = 0;

    for (size_t i = 0; i < index->rule_count; i++) {
        if (index->rules[i].pattern) {
            index->rules[n++] = index->rules[i];
        }
    }
    index->rule_count = n;
    clear_table(index);
    for (size_t i = 0; i < n; i++) {
        file_rule(index, i);
    }
}

evb_index *evb_index_create(void)
{
    return xcalloc(1, sizeof(evb_index));
}

void evb_index_destroy(evb_index *index)
{
    if (!index) {
        return;
    }
    clear_table(index);
    free(index->rules);
    free(index);
}

void evb_index_add(evb_index *index, const evb_pattern *pattern, void *rule)
{
    index->rules =
        xrealloc(index->rules, (index->rule_count + 1) * sizeof *index->rules);
    index->rules[index->rule_count].pattern = pattern;
    index->rules[index->rule_count].rule = rule;
    index->rule_count++;
    index->live_count++;
    file_rule(index, index->rule_count - 1);
}

int evb_index_remove(evb_index *index, void *rule)
{
    size_t id;
    const char *path;
    const char *const *values;
    size_t count;

    for (id = 0; id < index->rule_count; id++) {
        if (index->rules[id].pattern && index->rules[id].rule == rule) {
            break;
        }
    }
    if (id == index->rule_count) {
        return -1;
    }

    if (evb_pattern_index_key(index->rules[id].pattern, &path, &values,
                              &count)) {
        ids_delete(index->unindexed, &index->unindexed_count, id);
    } else {
        for (size_t i = 0; i < count; i++) {
            size_t len;
            char *key = make_key(path, values[i], &len);
            bucket *b = bucket_find(index, key, len, hash_bytes(key, len));
            if (b && b->key) {
                ids_delete(b->ids, &b->count, id);
            }
            free(key);
        }
    }
    index->rules[id].pattern = NULL;
    index->live_count--;
    if (index->rule_count - index->live_count > index->live_count) {
        compact(index);
    }
    return 0;
}

size_t evb_index_size(const evb_index *index)
{
    return index->live_count;
}

static int id_compare(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

/* Verify rule `id` and report it when it matches; returns 1 on a match. */
static size_t verify(const evb_index *index, size_t id, const evb_event *flat,
                     evb_index_match_fn fn, void *arg)
{
    const index_rule *r = &index->rules[id];

    if (!r->pattern || !evb_pattern_match_event(r->pattern, flat)) {
        return 0;
    }
    if (fn) {
        fn(r->rule, arg);
    }
    return 1;
}

size_t evb_index_match(const evb_index *index, const evb_event *flat,
                       evb_index_match_fn fn, void *arg)
{
    size_t *candidates = NULL, count = 0, cap = 0, matched = 0;
    size_t leaves = evb_event_leaf_count(flat), buckets_found = 0;
    char small[512];

    /* Gather the rules filed under the event's string leaves. */
    for (size_t i = 0; i < leaves && index->bucket_cap; i++) {
        const char *path;
        const cJSON *value;
        evb_event_leaf(flat, i, &path, &value);
        if (!cJSON_IsString(value)) {
            continue;
        }

        size_t a = strlen(path), b = strlen(value->valuestring);
        char *key = a + b + 2 <= sizeof small ? small : xmalloc(a + b + 2);
        memcpy(key, path, a + 1);
        memcpy(key + a + 1, value->valuestring, b + 1);
        const bucket *found =
            bucket_find(index, key, a + 1 + b, hash_bytes(key, a + 1 + b));
        if (key != small) {
            free(key);
        }
        if (!found->key || found->count == 0) {
            continue;
        }
        if (count + found->count > cap) {
            cap = (count + found->count) * 2;
            candidates = xrealloc(candidates, cap * sizeof *candidates);
        }
        memcpy(candidates + count, found->ids,
               found->count * sizeof *found->ids);
        count += found->count;
        buckets_found++;
    }

    /* Each bucket is already ascending, so one bucket needs no sort. */
    if (buckets_found > 1) {
        qsort(candidates, count, sizeof *candidates, id_compare);
    }

    /* Merge with the always-checked rules, both ascending, so every rule is
     * verified once and reported in insertion order. */
    size_t i = 0, j = 0;
    size_t last = (size_t)-1;
    while (i < count || j < index->unindexed_count) {
        size_t id;
        if (j == index->unindexed_count ||
            (i < count && candidates[i] < index->unindexed[j])) {
            id = candidates[i++];
        } else {
            id = index->unindexed[j++];
        }
        if (id != last) {
            matched += verify(index, id, flat, fn, arg);
            last = id;
        }
    }
    free(candidates);
    return matched;
}
