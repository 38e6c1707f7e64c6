/*
 * evb_pattern_match.c: flatten events and match them against compiled
 * event patterns. An event is flattened once into (path, leaf) pairs
 * sorted by path, so one flattened event can be matched against many
 * patterns. Case-insensitive operators fold with the pattern's locale.
 */
#include <ctype.h>
#include <locale.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include "evb_pattern_internal.h"
#include "util.h"

typedef struct leaf {
    size_t path_offset;
    const char *path;
    const cJSON *value;
} leaf;

struct evb_event {
    leaf *leaves;
    size_t count;
    char *paths;
};

/* ---------------------------------------------------------------------- */
/* Flattening events                                                      */

typedef struct flattener {
    leaf *leaves;
    size_t count, cap;
    strbuf paths;
} flattener;

/* NO_PATH marks the event root, which is not a field. */
#define NO_PATH ((size_t)-1)

static void flatten(flattener *fl, const cJSON *value, size_t path_offset,
                    size_t path_len, int depth)
{
    if (depth > EVB_EVENT_MAX_DEPTH) {
        return;
    }
    if (cJSON_IsArray(value)) {
        for (const cJSON *e = value->child; e; e = e->next) {
            flatten(fl, e, path_offset, path_len, depth + 1);
        }
        return;
    }
    if (cJSON_IsObject(value)) {
        for (const cJSON *e = value->child; e; e = e->next) {
            size_t offset = fl->paths.len;
            if (path_offset != NO_PATH) {
                /* Copy the parent path first: appending may move it. */
                char *parent = xstrndup(fl->paths.data + path_offset, path_len);
                strbuf_append(&fl->paths, parent, path_len);
                strbuf_append(&fl->paths, ".", 1);
                free(parent);
            }
            strbuf_puts(&fl->paths, e->string ? e->string : "");
            size_t len = fl->paths.len - offset;
            strbuf_append(&fl->paths, "", 1); /* a NUL ends each path */
            flatten(fl, e, offset, len, depth + 1);
        }
        return;
    }
    if (path_offset == NO_PATH) {
        return; /* a scalar outside any object has no field name */
    }
    if (fl->count == fl->cap) {
        fl->cap = fl->cap ? fl->cap * 2 : 32;
        fl->leaves = xrealloc(fl->leaves, fl->cap * sizeof *fl->leaves);
    }
    fl->leaves[fl->count].path_offset = path_offset;
    fl->leaves[fl->count].path = NULL;
    fl->leaves[fl->count].value = value;
    fl->count++;
}

static int leaf_compare(const void *a, const void *b)
{
    return strcmp(((const leaf *)a)->path, ((const leaf *)b)->path);
}

evb_event *evb_event_create(const cJSON *json)
{
    flattener fl = {0};
    evb_event *ev = xcalloc(1, sizeof *ev);

    strbuf_init(&fl.paths);
    if (json) {
        flatten(&fl, json, NO_PATH, 0, 0);
    }
    ev->paths = strbuf_take(&fl.paths, NULL);
    for (size_t i = 0; i < fl.count; i++) {
        fl.leaves[i].path = ev->paths + fl.leaves[i].path_offset;
    }
    if (fl.count > 1) {
        qsort(fl.leaves, fl.count, sizeof *fl.leaves, leaf_compare);
    }
    ev->leaves = fl.leaves;
    ev->count = fl.count;
    return ev;
}

void evb_event_destroy(evb_event *event)
{
    if (!event) {
        return;
    }
    free(event->leaves);
    free(event->paths);
    free(event);
}

size_t evb_event_leaf_count(const evb_event *event)
{
    return event->count;
}

void evb_event_leaf(const evb_event *event, size_t i, const char **path,
                    const cJSON **value)
{
    *path = event->leaves[i].path;
    *value = event->leaves[i].value;
}

/* Find the run of leaves at `path`; returns its first index. */
static size_t leaves_at(const evb_event *ev, const char *path, size_t *end)
{
    size_t lo = 0, hi = ev->count;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(ev->leaves[mid].path, path) < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    *end = lo;
    while (*end < ev->count && strcmp(ev->leaves[*end].path, path) == 0) {
        (*end)++;
    }
    return lo;
}

/* ---------------------------------------------------------------------- */
/* Matching                                                               */

/* Decode the UTF-8 code point at s[*i]; an invalid byte decodes as itself. */
static uint32_t utf8_next(const char *s, size_t len, size_t *i)
{
    const unsigned char *u = (const unsigned char *)s + *i;
    size_t left = len - *i, n;
    uint32_t c;

    if (u[0] < 0x80) {
        (*i)++;
        return u[0];
    }
    if ((u[0] & 0xe0) == 0xc0) {
        n = 2;
        c = u[0] & 0x1f;
    } else if ((u[0] & 0xf0) == 0xe0) {
        n = 3;
        c = u[0] & 0x0f;
    } else if ((u[0] & 0xf8) == 0xf0) {
        n = 4;
        c = u[0] & 0x07;
    } else {
        (*i)++;
        return u[0];
    }
    if (n > left) {
        (*i)++;
        return u[0];
    }
    for (size_t k = 1; k < n; k++) {
        if ((u[k] & 0xc0) != 0x80) {
            (*i)++;
            return u[0];
        }
        c = (c << 6) | (u[k] & 0x3f);
    }
    *i += n;
    return c;
}

/* Compare two code points with the locale's simple case mapping. */
static int same_ignoring_case(uint32_t a, uint32_t b, locale_t ctype)
{
    if (a == b) {
        return 1;
    }
    if (!ctype) {
        return a < 128 && b < 128 && tolower((int)a) == tolower((int)b);
    }
    return towlower_l((wint_t)a, ctype) == towlower_l((wint_t)b, ctype) ||
           towupper_l((wint_t)a, ctype) == towupper_l((wint_t)b, ctype);
}

enum affix { WHOLE, PREFIX, SUFFIX };

/* Match `s` against `text` ignoring case, as all of `s`, a prefix or a
 * suffix, comparing code point by code point. */
static int match_ignoring_case(const char *s, size_t len, const char *text,
                               enum affix where, locale_t ctype)
{
    size_t text_len = strlen(text), i = 0, j = 0;

    if (where == SUFFIX) {
        size_t s_points = 0, text_points = 0;
        for (size_t k = 0; k < len; s_points++) {
            utf8_next(s, len, &k);
        }
        for (size_t k = 0; k < text_len; text_points++) {
            utf8_next(text, text_len, &k);
        }
        if (text_points > s_points) {
            return 0;
        }
        for (size_t skip = s_points - text_points; skip > 0; skip--) {
            utf8_next(s, len, &i);
        }
    }
    while (i < len && j < text_len) {
        uint32_t a = utf8_next(s, len, &i);
        uint32_t b = utf8_next(text, text_len, &j);
        if (!same_ignoring_case(a, b, ctype)) {
            return 0;
        }
    }
    if (j < text_len) {
        return 0;
    }
    return where == PREFIX || i == len;
}

static int has_prefix(const char *s, size_t len, const char *prefix)
{
    size_t n = strlen(prefix);
    return n <= len && memcmp(s, prefix, n) == 0;
}

static int has_suffix(const char *s, size_t len, const char *suffix)
{
    size_t n = strlen(suffix);
    return n <= len && memcmp(s + len - n, suffix, n) == 0;
}

static int in_range(const matcher *m, double x)
{
    if (m->low_open ? !(x > m->low) : !(x >= m->low)) {
        return 0;
    }
    return m->high_open ? x < m->high : x <= m->high;
}

static int any_string(const matcher *m, const char *s, size_t len,
                      locale_t ctype)
{
    for (size_t i = 0; i < m->value_count; i++) {
        const char *v = m->values[i];
        int hit;
        switch (m->kind) {
        case M_BUT_STRINGS:
            hit = strcmp(s, v) == 0;
            break;
        case M_BUT_PREFIX:
            hit = has_prefix(s, len, v);
            break;
        case M_BUT_SUFFIX:
            hit = has_suffix(s, len, v);
            break;
        case M_BUT_CI:
            hit = match_ignoring_case(s, len, v, WHOLE, ctype);
            break;
        default:
            hit = evb__wildcard_match(&m->wildcards[i], s, len);
            break;
        }
        if (hit) {
            return 1;
        }
    }
    return 0;
}

static int value_matches(const matcher *m, const cJSON *v, locale_t ctype)
{
    const char *s = cJSON_IsString(v) ? v->valuestring : NULL;
    size_t len = s ? strlen(s) : 0;
    unsigned char ip[16];

    switch (m->kind) {
    case M_STRING:
        if (!s) {
            return 0;
        }
        if (strcmp(s, m->values[0]) == 0) {
            return 1;
        }
        return m->ip_len && evb__ip_parse(s, ip) == m->ip_len &&
               memcmp(ip, m->ip_low, (size_t)m->ip_len) == 0;
    case M_NUMBER:
        return cJSON_IsNumber(v) && v->valuedouble == m->numbers[0];
    case M_TRUE:
        return cJSON_IsTrue(v);
    case M_FALSE:
        return cJSON_IsFalse(v);
    case M_NULL:
        return cJSON_IsNull(v);
    case M_PREFIX:
        return s && has_prefix(s, len, m->values[0]);
    case M_PREFIX_CI:
        return s && match_ignoring_case(s, len, m->values[0], PREFIX, ctype);
    case M_SUFFIX:
        return s && has_suffix(s, len, m->values[0]);
    case M_SUFFIX_CI:
        return s && match_ignoring_case(s, len, m->values[0], SUFFIX, ctype);
    case M_EQUALS_CI:
        return s && match_ignoring_case(s, len, m->values[0], WHOLE, ctype);
    case M_WILDCARD:
        return s && evb__wildcard_match(m->wildcards, s, len);
    case M_BUT_NUMBERS:
        if (cJSON_IsNumber(v)) {
            for (size_t i = 0; i < m->number_count; i++) {
                if (v->valuedouble == m->numbers[i]) {
                    return 0;
                }
            }
        }
        return 1;
    case M_BUT_STRINGS:
    case M_BUT_PREFIX:
    case M_BUT_SUFFIX:
    case M_BUT_CI:
    case M_BUT_WILDCARD:
        /* Numbers, booleans and null are never among the excluded strings. */
        return !s || !any_string(m, s, len, ctype);
    case M_NUMERIC:
        return cJSON_IsNumber(v) && in_range(m, v->valuedouble);
    case M_CIDR:
        return s && evb__ip_parse(s, ip) == m->ip_len &&
               memcmp(ip, m->ip_low, (size_t)m->ip_len) >= 0 &&
               memcmp(ip, m->ip_high, (size_t)m->ip_len) <= 0;
    case M_EXISTS:
    case M_ABSENT:
        break;
    }
    return 0;
}

static int field_matches(const field *f, const evb_event *ev, locale_t ctype)
{
    size_t end;
    size_t begin = leaves_at(ev, f->path, &end);

    for (size_t i = 0; i < f->count; i++) {
        const matcher *m = &f->matchers[i];
        if (m->kind == M_EXISTS) {
            if (begin < end) {
                return 1;
            }
            continue;
        }
        if (m->kind == M_ABSENT) {
            if (begin == end) {
                return 1;
            }
            continue;
        }
        for (size_t j = begin; j < end; j++) {
            if (value_matches(m, ev->leaves[j].value, ctype)) {
                return 1;
            }
        }
    }
    return 0;
}

static int node_matches(const node *n, const evb_event *ev, locale_t ctype)
{
    for (size_t i = 0; i < n->field_count; i++) {
        if (!field_matches(&n->fields[i], ev, ctype)) {
            return 0;
        }
    }
    for (size_t i = 0; i < n->or_count; i++) {
        size_t j;
        for (j = 0; j < n->ors[i].count; j++) {
            if (node_matches(&n->ors[i].alternatives[j], ev, ctype)) {
                break;
            }
        }
        if (j == n->ors[i].count) {
            return 0;
        }
    }
    return 1;
}

int evb_pattern_match_event(const evb_pattern *pattern, const evb_event *event)
{
    return node_matches(&pattern->root, event, pattern->ctype);
}

int evb_pattern_match(const evb_pattern *pattern, const cJSON *event)
{
    evb_event *ev = evb_event_create(event);
    int matched = evb_pattern_match_event(pattern, ev);
    evb_event_destroy(ev);
    return matched;
}
