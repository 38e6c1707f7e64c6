/*
 * evb_index.c: a hash table from (field path, exact string or prefix) to
 * the rules filed under it, the paths that have prefix keys, and the list
 * of rules that must always be checked.
 *
 * Rules live in an array in insertion order; a removed rule leaves a hole
 * that the next compaction (once holes outnumber rules) squeezes out.
 */
#include "evb_index.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* The byte between path and value in a table key: exact or prefix. */
#define SEP_EXACT '\0'
#define SEP_PREFIX '\1'

typedef struct index_rule {
    const evb_pattern *pattern; /* NULL after removal */
    void *rule;
    int key; /* the index key it is filed under, or -1 when unindexed */
} index_rule;

/* One (path, value) key with the ids of the rules filed under it. */
typedef struct bucket {
    char *key; /* path, separator, value */
    size_t key_len;
    uint64_t hash;
    size_t *ids;
    size_t count;
} bucket;

/* A path that has prefix keys, the longest of them, and how many rules'
 * prefix values use it. */
typedef struct prefix_path {
    char *path;
    size_t max_len;
    size_t uses;
} prefix_path;

struct evb_index {
    index_rule *rules;
    size_t rule_count, live_count;
    bucket *buckets; /* open addressing; key NULL marks an empty slot */
    size_t bucket_cap, bucket_used;
    size_t *unindexed; /* ids of rules without an index key */
    size_t unindexed_count;
    prefix_path *prefix_paths;
    size_t prefix_path_count;
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

/* Return the key "path SEP value" as a new string; `*len` excludes the end
 * NUL. */
static char *make_key(const char *path, char sep, const char *value,
                      size_t *len)
{
    size_t a = strlen(path), b = strlen(value);
    char *key = xmalloc(a + b + 2);

    memcpy(key, path, a);
    key[a] = sep;
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

/* The number of rules filed under `path SEP value`. */
static size_t bucket_size(const evb_index *index, const char *path, char sep,
                          const char *value)
{
    size_t len;
    char *key = make_key(path, sep, value, &len);
    const bucket *b = bucket_find(index, key, len, hash_bytes(key, len));
    free(key);
    return b && b->key ? b->count : 0;
}

/* The separator a key files its value under: a prefix key files its exact
 * values as prefixes too, since a value starts with itself. */
static char key_separator(const evb_index_key *key)
{
    return key->prefix ? SEP_PREFIX : SEP_EXACT;
}

static void prefix_path_use(evb_index *index, const char *path, size_t len)
{
    for (size_t i = 0; i < index->prefix_path_count; i++) {
        prefix_path *p = &index->prefix_paths[i];
        if (strcmp(p->path, path) == 0) {
            p->uses++;
            if (len > p->max_len)
                p->max_len = len;
            return;
        }
    }
    index->prefix_paths =
        xrealloc(index->prefix_paths,
                 (index->prefix_path_count + 1) * sizeof *index->prefix_paths);
    index->prefix_paths[index->prefix_path_count++] =
        (prefix_path){.path = xstrdup(path), .max_len = len, .uses = 1};
}

/* Drop one use of a prefix path; the longest length stays until the next
 * compaction, which only costs a few extra lookups. */
static void prefix_path_release(evb_index *index, const char *path)
{
    for (size_t i = 0; i < index->prefix_path_count; i++) {
        prefix_path *p = &index->prefix_paths[i];
        if (strcmp(p->path, path) == 0 && --p->uses == 0) {
            free(p->path);
            *p = index->prefix_paths[--index->prefix_path_count];
            return;
        }
    }
}

/* File rule `id` under the index key whose buckets hold the fewest rules,
 * or as unindexed when its pattern has no index key. */
static void file_rule(evb_index *index, size_t id)
{
    size_t key_count;
    const evb_index_key *keys =
        evb_pattern_index_keys(index->rules[id].pattern, &key_count);

    if (key_count == 0) {
        index->rules[id].key = -1;
        ids_append(&index->unindexed, &index->unindexed_count, id);
        return;
    }

    size_t best = 0, best_cost = SIZE_MAX;
    for (size_t k = 0; k < key_count; k++) {
        size_t cost = 0;
        for (size_t i = 0; i < keys[k].count; i++)
            cost += bucket_size(index, keys[k].path, key_separator(&keys[k]),
                                keys[k].values[i]);
        if (cost < best_cost) {
            best = k;
            best_cost = cost;
        }
    }
    const evb_index_key *key = &keys[best];
    index->rules[id].key = (int)best;

    for (size_t i = 0; i < key->count; i++) {
        size_t len;
        char *text =
            make_key(key->path, key_separator(key), key->values[i], &len);
        uint64_t hash = hash_bytes(text, len);

        if ((index->bucket_used + 1) * 10 >= index->bucket_cap * 7) {
            table_grow(index);
        }
        bucket *b = bucket_find(index, text, len, hash);
        if (!b->key) {
            b->key = text;
            b->key_len = len;
            b->hash = hash;
            index->bucket_used++;
        } else {
            free(text);
        }
        /* A rule listing one value twice is filed once. */
        if (b->count == 0 || b->ids[b->count - 1] != id) {
            ids_append(&b->ids, &b->count, id);
        }
        if (key->prefix)
            prefix_path_use(index, key->path, strlen(key->values[i]));
    }
}

/* Take rule `id` out of the buckets or the list it was filed in. */
static void unfile_rule(evb_index *index, size_t id)
{
    int k = index->rules[id].key;
    if (k < 0) {
        ids_delete(index->unindexed, &index->unindexed_count, id);
        return;
    }
    size_t key_count;
    const evb_index_key *key =
        &evb_pattern_index_keys(index->rules[id].pattern, &key_count)[k];
    for (size_t i = 0; i < key->count; i++) {
        size_t len;
        char *text =
            make_key(key->path, key_separator(key), key->values[i], &len);
        bucket *b = bucket_find(index, text, len, hash_bytes(text, len));
        if (b && b->key) {
            ids_delete(b->ids, &b->count, id);
        }
        free(text);
        if (key->prefix)
            prefix_path_release(index, key->path);
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
    for (size_t i = 0; i < index->prefix_path_count; i++)
        free(index->prefix_paths[i].path);
    free(index->prefix_paths);
    index->prefix_paths = NULL;
    index->prefix_path_count = 0;
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

    for (id = 0; id < index->rule_count; id++) {
        if (index->rules[id].pattern && index->rules[id].rule == rule) {
            break;
        }
    }
    if (id == index->rule_count) {
        return -1;
    }

    unfile_rule(index, id);
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

/* Append the rules filed under `key` (len bytes) to the candidates. */
static void gather(const evb_index *index, const char *key, size_t len,
                   size_t **candidates, size_t *count, size_t *cap,
                   size_t *buckets_found)
{
    const bucket *found = bucket_find(index, key, len, hash_bytes(key, len));
    if (!found->key || found->count == 0) {
        return;
    }
    if (*count + found->count > *cap) {
        *cap = (*count + found->count) * 2;
        *candidates = xrealloc(*candidates, *cap * sizeof **candidates);
    }
    memcpy(*candidates + *count, found->ids, found->count * sizeof *found->ids);
    *count += found->count;
    (*buckets_found)++;
}

static const prefix_path *prefix_path_find(const evb_index *index,
                                           const char *path)
{
    for (size_t i = 0; i < index->prefix_path_count; i++)
        if (strcmp(index->prefix_paths[i].path, path) == 0)
            return &index->prefix_paths[i];
    return NULL;
}

size_t evb_index_match(const evb_index *index, const evb_event *flat,
                       evb_index_match_fn fn, void *arg)
{
    size_t *candidates = NULL, count = 0, cap = 0, matched = 0;
    size_t leaves = evb_event_leaf_count(flat), buckets_found = 0;
    char small[512];

    /* Gather the rules filed under the event's string leaves, and under
     * each leading part of the leaves whose paths have prefix keys. */
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
        gather(index, key, a + 1 + b, &candidates, &count, &cap,
               &buckets_found);

        const prefix_path *p =
            index->prefix_path_count ? prefix_path_find(index, path) : NULL;
        if (p) {
            key[a] = SEP_PREFIX;
            size_t longest = b < p->max_len ? b : p->max_len;
            for (size_t n = 1; n <= longest; n++)
                gather(index, key, a + 1 + n, &candidates, &count, &cap,
                       &buckets_found);
        }
        if (key != small) {
            free(key);
        }
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
