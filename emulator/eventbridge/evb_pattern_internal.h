/*
 * evb_pattern_internal.h: the compiled pattern tree, the source text
 * locations that AWS's error messages name, and the helpers that report
 * errors, shared by the evb_pattern*.c files. Nothing here is used outside
 * those files.
 */
#ifndef STRATUS_EVB_PATTERN_INTERNAL_H
#define STRATUS_EVB_PATTERN_INTERNAL_H

#include <locale.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "evb_pattern.h"

/* Patterns nest at most this deep; deeper ones are rejected. */
#define PATTERN_MAX_DEPTH 64

/*
 * Wildcard complexity limit. AWS rejects a wildcard when its worst-case
 * input keeps too many automaton states alive at once, but it does not
 * publish the limit. NOTE: this value is an estimate that separates the
 * accepted and rejected wildcards recorded against AWS (see GAPS.md).
 */
#define WILDCARD_MAX_COMPLEXITY 10
#define WILDCARD_MAX_SUBSETS 2048

enum matcher_kind {
    M_STRING,
    M_NUMBER,
    M_TRUE,
    M_FALSE,
    M_NULL,
    M_PREFIX,
    M_PREFIX_CI,
    M_SUFFIX,
    M_SUFFIX_CI,
    M_EQUALS_CI,
    M_WILDCARD,
    M_BUT_STRINGS,
    M_BUT_NUMBERS,
    M_BUT_PREFIX,
    M_BUT_SUFFIX,
    M_BUT_CI,
    M_BUT_WILDCARD,
    M_NUMERIC,
    M_CIDR,
    M_EXISTS,
    M_ABSENT
};

/* A wildcard compiled to tokens: a byte 0..255, or WILDCARD_STAR. */
#define WILDCARD_STAR (-1)
typedef struct wildcard {
    int *tokens;
    size_t count;
} wildcard;

typedef struct matcher {
    enum matcher_kind kind;
    char **values; /* string operands */
    size_t value_count;
    double *numbers; /* numeric operands of M_NUMBER and M_BUT_NUMBERS */
    size_t number_count;
    wildcard *wildcards; /* one per value for M_WILDCARD, M_BUT_WILDCARD */
    double low, high;    /* M_NUMERIC bounds */
    int low_open, high_open;
    unsigned char ip_low[16], ip_high[16]; /* M_CIDR, or M_STRING on an IP */
    int ip_len;                            /* 0, 4 or 16 */
} matcher;

typedef struct field {
    char *path;
    matcher *matchers;
    size_t count;
} field;

struct or_group;

typedef struct node {
    field *fields;
    size_t field_count;
    struct or_group *ors;
    size_t or_count;
} node;

typedef struct or_group {
    node *alternatives;
    size_t count;
} or_group;

struct evb_pattern {
    node root;
    locale_t ctype;            /* C.UTF-8 case mapping, or 0 for ASCII only */
    evb_index_key *index_keys; /* paths borrowed from root fields */
    size_t index_key_count;
};

/*
 * Where AWS's streaming parser is when a check fails, relative to the
 * token of a node: after its first token (a scalar, the opening quote of a
 * string, or the opening bracket), after the whole string once its text was
 * read, or after the closing bracket. AT_NONE: AWS reports no location.
 */
enum at { AT_NONE, AT_VALUE, AT_TEXT, AT_END };

typedef struct location {
    const cJSON *node;
    size_t value_start;                    /* offset of the first token */
    size_t value_end, text_end, close_end; /* offsets after each token */
} location;

struct evb_pattern_source {
    const char *json;
    size_t len;
    location *locations; /* sorted by node address */
    size_t count;
};

/* evb_pattern_syntax.c: errors, source locations and JSON syntax errors. */

/* Fail with AWS's "Event pattern is not valid" prefix and `fmt`. */
int evb__pattern_fail(evb_pattern_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Fail, naming the location AWS reports for `item` when the source is known. */
int evb__pattern_fail_node(evb_pattern_error *err, const cJSON *item,
                           enum at how, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The text Jackson reports for a token, used in "Invalid member" errors. */
void evb__token_text(const cJSON *item, char *out, size_t size);

/* Order locations by node address, for qsort and bsearch. */
int evb__location_compare(const void *a, const void *b);

/* Report a JSON syntax error of the pattern text `json`. */
void evb__pattern_syntax_error(const char *json, size_t len,
                               evb_pattern_error *err);

/*
 * Record the token offsets of `item` and its descendants by walking the
 * text cJSON parsed it from, in the same order. Returns -1 if the text and
 * the tree disagree, which leaves the locations unusable.
 */
int evb__pattern_locate(struct evb_pattern_source *src, size_t *cap,
                        const cJSON *item, size_t *pos, int depth);

/* evb_pattern_ops.c: IP addresses, wildcards and match expressions. */

/* Parse an IP literal into `out`; returns its length (4 or 16) or 0. */
int evb__ip_parse(const char *s, unsigned char out[16]);

int evb__wildcard_match(const wildcard *w, const char *s, size_t len);

/*
 * Return the worst-case number of automaton positions alive at once. A
 * result above WILDCARD_MAX_COMPLEXITY means the wildcard is too complex.
 */
int evb__wildcard_complexity(const wildcard *w);

/* Compile one element of a field's value list. */
int evb__compile_value(const cJSON *v, matcher *m, int *wildcards,
                       evb_pattern_error *err);

#endif
