/*
 * evb_pattern.c: compile, validate and match EventBridge event patterns.
 *
 * A pattern compiles into a tree: a node is the AND of its fields and of
 * its $or groups, and a $or group is the OR of its alternative nodes. A
 * field is a flattened path ("detail.state") and the list of matchers any
 * one of which must accept one of the event's leaf values at that path.
 * Validation mirrors AWS's rule compiler (event-ruler): checks run in
 * document order and the first failure wins, with AWS's message text.
 *
 * Events are flattened once into (path, leaf) pairs sorted by path, so one
 * flattened event can be matched against many patterns.
 */
#include "evb_pattern.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include "util.h"

#define REASON_PREFIX "Event pattern is not valid. Reason: "

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
    locale_t ctype;         /* C.UTF-8 case mapping, or 0 for ASCII only */
    const char *index_path; /* borrowed from a root field */
    const char **index_values;
    size_t index_count;
};

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
/* Errors                                                                 */

static int fail(evb_pattern_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int fail(evb_pattern_error *err, const char *fmt, ...)
{
    va_list ap;
    int n;

    err->code = EVB_INVALID_PATTERN;
    n = snprintf(err->message, sizeof err->message, "%s", REASON_PREFIX);
    va_start(ap, fmt);
    vsnprintf(err->message + n, sizeof err->message - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

/*
 * Fail with the location suffix AWS's parser (Jackson) appends: the source
 * text, truncated after 500 characters, and a 1-based line and column.
 */
static int fail_at(evb_pattern_error *err, const char *json, size_t len,
                   size_t line, size_t column, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static int fail_at(evb_pattern_error *err, const char *json, size_t len,
                   size_t line, size_t column, const char *fmt, ...)
{
    char reason[256], truncated[64] = "";
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    if (len > 500) {
        snprintf(truncated, sizeof truncated, "[truncated %zu chars]",
                 len - 500);
        len = 500;
    }
    return fail(err,
                "%s\n at [Source: (String)\"%.*s\"%s; line: %zu, column: %zu]",
                reason, (int)len, json, truncated, line, column);
}

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

static int location_compare(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t)((const location *)a)->node;
    uintptr_t y = (uintptr_t)((const location *)b)->node;
    return (x > y) - (x < y);
}

/* Fail, naming the location AWS reports for `item` when the source is known. */
static int fail_node(evb_pattern_error *err, const cJSON *item, enum at how,
                     const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail_node(evb_pattern_error *err, const cJSON *item, enum at how,
                     const char *fmt, ...)
{
    const struct evb_pattern_source *src = err->source;
    char reason[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);

    location key = {item, 0, 0, 0, 0};
    const location *loc = src && item && how != AT_NONE
                              ? bsearch(&key, src->locations, src->count,
                                        sizeof key, location_compare)
                              : NULL;
    if (!loc) {
        return fail(err, "%s", reason);
    }

    size_t offset = how == AT_VALUE  ? loc->value_end
                    : how == AT_TEXT ? loc->text_end
                                     : loc->close_end;
    size_t line = 1, line_start = 0;
    for (size_t i = 0; i < offset && i < src->len; i++) {
        if (src->json[i] == '\n') {
            line++;
            line_start = i + 1;
        }
    }
    return fail_at(err, src->json, src->len, line, offset - line_start + 1,
                   "%s", reason);
}

/* The text Jackson reports for a token, used in "Invalid member" errors. */
static void token_text(const cJSON *item, char *out, size_t size)
{
    if (!item) {
        snprintf(out, size, "]");
    } else if (cJSON_IsString(item)) {
        snprintf(out, size, "%s", item->valuestring);
    } else if (cJSON_IsNumber(item)) {
        snprintf(out, size, "%.17g", item->valuedouble);
    } else if (cJSON_IsTrue(item)) {
        snprintf(out, size, "true");
    } else if (cJSON_IsFalse(item)) {
        snprintf(out, size, "false");
    } else if (cJSON_IsNull(item)) {
        snprintf(out, size, "null");
    } else if (cJSON_IsArray(item)) {
        snprintf(out, size, "[");
    } else {
        snprintf(out, size, "{");
    }
}

/*
 * Reduce a decimal number to its sign, significant digits and exponent so
 * that equal values compare equal as text: "300.0" and "3e2" both become
 * digits "3" with exponent 2. Returns 0, or -1 when `text` is not a plain
 * decimal number.
 */
static int decimal_normalize(const char *text, size_t len, int *negative,
                             char *digits, size_t size, long *exponent)
{
    size_t i = 0, n = 0;
    long point = 0, exp = 0;
    int seen_point = 0, leading = 1;

    *negative = i < len && text[i] == '-';
    if (*negative || (i < len && text[i] == '+')) {
        i++;
    }
    for (; i < len && (isdigit((unsigned char)text[i]) || text[i] == '.');
         i++) {
        if (text[i] == '.') {
            if (seen_point) {
                return -1;
            }
            seen_point = 1;
            continue;
        }
        if (leading && text[i] == '0') {
            if (seen_point) {
                point--; /* a zero between the point and the first digit */
            }
            continue;
        }
        leading = 0;
        if (n + 1 >= size) {
            return -1;
        }
        digits[n++] = text[i];
        if (!seen_point) {
            point++;
        }
    }
    if (i < len && (text[i] == 'e' || text[i] == 'E')) {
        char *end;
        char buffer[32];
        snprintf(buffer, sizeof buffer, "%.*s", (int)(len - i - 1),
                 text + i + 1);
        exp = strtol(buffer, &end, 10);
        if (*end != '\0' || end == buffer) {
            return -1;
        }
        i = len;
    }
    if (i != len) {
        return -1;
    }
    while (n > 0 && digits[n - 1] == '0') {
        n--;
    }
    digits[n] = '\0';
    *exponent = n ? point + exp : 0;
    if (n == 0) {
        *negative = 0;
    }
    return 0;
}

/*
 * Return 1 when the decimal `text` is exactly the double nearest to it, in
 * its shortest form, as AWS requires before it compares numbers.
 */
static int exactly_a_double(const char *text, size_t len)
{
    char copy[128], shortest[64], a[64], b[64];
    int neg_a, neg_b;
    long exp_a, exp_b;

    if (len >= sizeof copy) {
        return 0;
    }
    memcpy(copy, text, len);
    copy[len] = '\0';
    double value = strtod(copy, NULL);
    if (!isfinite(value)) {
        return 0;
    }
    for (int precision = 1; precision <= 17; precision++) {
        snprintf(shortest, sizeof shortest, "%.*e", precision - 1, value);
        if (strtod(shortest, NULL) == value) {
            break;
        }
    }
    if (decimal_normalize(copy, len, &neg_a, a, sizeof a, &exp_a) ||
        decimal_normalize(shortest, strlen(shortest), &neg_b, b, sizeof b,
                          &exp_b)) {
        return 0;
    }
    return neg_a == neg_b && exp_a == exp_b && strcmp(a, b) == 0;
}

/*
 * AWS compares numbers as IEEE doubles and rejects a pattern number that no
 * double represents exactly with "Cannot compare number". Without the source
 * text, only infinities are detected.
 */
static int check_comparable(const cJSON *item, evb_pattern_error *err,
                            const cJSON *where, enum at how)
{
    const struct evb_pattern_source *src = err->source;
    location key = {item, 0, 0, 0, 0};
    const location *loc = src ? bsearch(&key, src->locations, src->count,
                                        sizeof key, location_compare)
                              : NULL;

    if (loc) {
        const char *text = src->json + loc->value_start;
        size_t len = loc->value_end - loc->value_start;
        if (!exactly_a_double(text, len)) {
            return fail_node(err, where, how, "Cannot compare number : %.*s",
                             (int)len, text);
        }
        return 0;
    }
    if (!isfinite(item->valuedouble)) {
        char text[64];
        token_text(item, text, sizeof text);
        return fail_node(err, where, how, "Cannot compare number : %s", text);
    }
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Freeing                                                                */

static void matcher_free(matcher *m)
{
    for (size_t i = 0; i < m->value_count; i++) {
        free(m->values[i]);
        if (m->wildcards) {
            free(m->wildcards[i].tokens);
        }
    }
    free(m->values);
    free(m->wildcards);
    free(m->numbers);
}

static void field_free(field *f)
{
    for (size_t i = 0; i < f->count; i++) {
        matcher_free(&f->matchers[i]);
    }
    free(f->matchers);
    free(f->path);
}

static void node_free(node *n)
{
    for (size_t i = 0; i < n->field_count; i++) {
        field_free(&n->fields[i]);
    }
    free(n->fields);
    for (size_t i = 0; i < n->or_count; i++) {
        for (size_t j = 0; j < n->ors[i].count; j++) {
            node_free(&n->ors[i].alternatives[j]);
        }
        free(n->ors[i].alternatives);
    }
    free(n->ors);
}

void evb_pattern_destroy(evb_pattern *pattern)
{
    if (!pattern) {
        return;
    }
    node_free(&pattern->root);
    free(pattern->index_values);
    if (pattern->ctype) {
        freelocale(pattern->ctype);
    }
    free(pattern);
}

/* ---------------------------------------------------------------------- */
/* IP addresses and CIDR blocks                                           */

/* The shapes AWS accepts as IP literals before parsing them. */
static int looks_like_ipv4(const char *s)
{
    int groups = 0;

    for (;;) {
        if (!isdigit((unsigned char)*s)) {
            return 0;
        }
        while (isdigit((unsigned char)*s)) {
            s++;
        }
        groups++;
        if (*s == '\0') {
            return groups == 4;
        }
        if (*s != '.' || groups == 4) {
            return 0;
        }
        s++;
    }
}

static int looks_like_ipv6(const char *s)
{
    int colon = 0;

    for (; *s; s++) {
        if (*s == ':') {
            colon = 1;
        } else if (!isxdigit((unsigned char)*s)) {
            return 0;
        }
    }
    return colon;
}

/* Parse an IP literal into `out`; returns its length (4 or 16) or 0. */
static int ip_parse(const char *s, unsigned char out[16])
{
    if (looks_like_ipv4(s)) {
        return inet_pton(AF_INET, s, out) == 1 ? 4 : 0;
    }
    if (looks_like_ipv6(s)) {
        return inet_pton(AF_INET6, s, out) == 1 ? 16 : 0;
    }
    return 0;
}

static int cidr_compile(const char *text, matcher *m, evb_pattern_error *err)
{
    const char *slash = strchr(text, '/');
    char ip[64];
    char *end;
    long bits;
    int len;

    /* Java's split("/") drops trailing empty parts, so "a/" has one part. */
    if (!slash || strchr(slash + 1, '/') || slash[1] == '\0') {
        return fail(err, "Malformed CIDR, one '/' required");
    }
    bits = strtol(slash + 1, &end, 10);
    if (*end != '\0' ||
        !(isdigit((unsigned char)slash[1]) ||
          ((slash[1] == '-' || slash[1] == '+') &&
           isdigit((unsigned char)slash[2]))) ||
        bits > 2147483647L || bits < -2147483648L) {
        return fail(err, "Malformed CIDR, mask bits must be an integer");
    }
    if (bits < 0) {
        return fail(err, "Malformed CIDR, mask bits must not be negative");
    }

    snprintf(ip, sizeof ip, "%.*s", (int)(slash - text), text);
    if ((size_t)(slash - text) >= sizeof ip ||
        !(looks_like_ipv4(ip) || looks_like_ipv6(ip))) {
        return fail(err, "Nonstandard IP address: %.*s", (int)(slash - text),
                    text);
    }
    len = ip_parse(ip, m->ip_low);
    if (len == 0) {
        return fail(err, "Invalid IP address: %s", ip);
    }
    if (len == 4 && bits > 31) {
        return fail(err, "IPv4 mask bits must be < 32");
    }
    if (len == 16 && bits > 127) {
        return fail(err, "IPv6 mask bits must be < 128");
    }

    m->ip_len = len;
    memcpy(m->ip_high, m->ip_low, (size_t)len);
    for (int i = 0; i < len * 8; i++) {
        if (i < bits) {
            continue;
        }
        unsigned char bit = (unsigned char)(0x80u >> (i % 8));
        m->ip_low[i / 8] &= (unsigned char)~bit;
        m->ip_high[i / 8] |= bit;
    }
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Wildcards                                                              */

static int wildcard_compile(const char *text, wildcard *w,
                            evb_pattern_error *err, const cJSON *where,
                            enum at how)
{
    size_t n = strlen(text);

    w->tokens = xmalloc((n + 1) * sizeof *w->tokens);
    w->count = 0;
    /* Positions count the opening quote AWS adds to string values. */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == '*') {
            if (text[i + 1] == '*') {
                return fail_node(err, where, how,
                                 "Consecutive wildcard characters at pos %zu",
                                 i + 1);
            }
            w->tokens[w->count++] = WILDCARD_STAR;
        } else if (c == '\\') {
            if (text[i + 1] == '*' || text[i + 1] == '\\') {
                w->tokens[w->count++] = (unsigned char)text[++i];
            } else {
                return fail_node(err, where, how,
                                 "Invalid escape character at pos %zu", i + 1);
            }
        } else {
            w->tokens[w->count++] = c;
        }
    }
    return 0;
}

static int wildcard_match(const wildcard *w, const char *s, size_t len)
{
    size_t p = 0, i = 0;
    size_t star = (size_t)-1, resume = 0;

    while (i < len) {
        if (p < w->count && w->tokens[p] == WILDCARD_STAR) {
            star = p++;
            resume = i;
        } else if (p < w->count && w->tokens[p] == (unsigned char)s[i]) {
            p++;
            i++;
        } else if (star != (size_t)-1) {
            p = star + 1;
            i = ++resume;
        } else {
            return 0;
        }
    }
    while (p < w->count && w->tokens[p] == WILDCARD_STAR) {
        p++;
    }
    return p == w->count;
}

/* Add position `pos` and, across stars, the positions after it. */
static size_t subset_close(const wildcard *w, int *set, size_t n, size_t pos)
{
    for (;;) {
        size_t k;
        for (k = 0; k < n && set[k] != (int)pos; k++) {
        }
        if (k < n) {
            return n;
        }
        set[n++] = (int)pos;
        if (pos < w->count && w->tokens[pos] == WILDCARD_STAR) {
            pos++;
        } else {
            return n;
        }
    }
}

static int int_compare(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/*
 * The worst-case number of automaton positions alive at once, found by a
 * bounded subset construction; returns WILDCARD_MAX_COMPLEXITY + 1 when
 * the search exceeds its bounds.
 */
static int wildcard_complexity(const wildcard *w)
{
    enum { WIDTH = WILDCARD_MAX_COMPLEXITY + 1 };
    int(*subsets)[WIDTH + 1] = xmalloc(WILDCARD_MAX_SUBSETS * sizeof *subsets);
    int alphabet[257];
    size_t alphabet_size = 0, subset_count = 0, head = 0;
    int worst = 0;
    unsigned char seen[256] = {0};

    for (size_t i = 0; i < w->count; i++) {
        if (w->tokens[i] >= 0 && !seen[w->tokens[i]]) {
            seen[w->tokens[i]] = 1;
            alphabet[alphabet_size++] = w->tokens[i];
        }
    }
    /* A byte that appears nowhere in the pattern. */
    alphabet[alphabet_size++] = 256;

    /* subsets[i][0] is the size; the sorted positions follow. */
    subsets[0][0] = (int)subset_close(w, &subsets[0][1], 0, 0);
    subset_count = 1;
    worst = subsets[0][0];

    while (head < subset_count && worst <= WILDCARD_MAX_COMPLEXITY) {
        int *from = subsets[head++];
        for (size_t a = 0; a < alphabet_size; a++) {
            int next[2 * WIDTH + 2];
            size_t n = 0;
            for (int k = 0; k < from[0] && n < WIDTH; k++) {
                size_t pos = (size_t)from[k + 1];
                if (pos >= w->count) {
                    continue;
                }
                if (w->tokens[pos] == WILDCARD_STAR) {
                    n = subset_close(w, next, n, pos);
                } else if (w->tokens[pos] == alphabet[a]) {
                    n = subset_close(w, next, n, pos + 1);
                }
            }
            if (n == 0) {
                continue;
            }
            if (n > WILDCARD_MAX_COMPLEXITY) {
                worst = (int)n;
                break;
            }
            qsort(next, n, sizeof *next, int_compare);

            size_t s;
            for (s = 0; s < subset_count; s++) {
                if (subsets[s][0] == (int)n &&
                    memcmp(&subsets[s][1], next, n * sizeof *next) == 0) {
                    break;
                }
            }
            if (s < subset_count) {
                continue;
            }
            if (subset_count == WILDCARD_MAX_SUBSETS) {
                worst = WILDCARD_MAX_COMPLEXITY + 1;
                break;
            }
            subsets[subset_count][0] = (int)n;
            memcpy(&subsets[subset_count][1], next, n * sizeof *next);
            subset_count++;
            if ((int)n > worst) {
                worst = (int)n;
            }
        }
    }
    free(subsets);
    return worst;
}

/* ---------------------------------------------------------------------- */
/* Compiling match expressions                                            */

static void matcher_add_value(matcher *m, const char *value)
{
    m->values = xrealloc(m->values, (m->value_count + 1) * sizeof *m->values);
    m->values[m->value_count++] = xstrdup(value);
}

static int only_one_key(const cJSON *expr, evb_pattern_error *err)
{
    if (expr->child && expr->child->next) {
        return fail_node(err, expr->child->next, AT_VALUE,
                         "Only one key allowed in match expression");
    }
    return 0;
}

static int too_many_elements(const cJSON *expr, evb_pattern_error *err)
{
    if (expr->child && expr->child->next) {
        return fail_node(err, expr->child->next, AT_VALUE,
                         "Too many elements in numeric expression");
    }
    return 0;
}

/* Compile the {"equals-ignore-case": "..."} operand of prefix or suffix. */
static int compile_case_insensitive_affix(const cJSON *outer,
                                          const cJSON *operand,
                                          const char *name, matcher *m,
                                          evb_pattern_error *err)
{
    const cJSON *inner = operand->child;

    if (!inner) {
        return fail_node(err, operand, AT_END, "%c%s expression name not found",
                         toupper((unsigned char)name[0]), name + 1);
    }
    if (strcmp(inner->string, "equals-ignore-case") != 0) {
        return fail_node(err, inner, AT_VALUE, "Unsupported %s pattern: %s",
                         name, inner->string);
    }
    if (!cJSON_IsString(inner)) {
        return fail_node(err, inner, AT_VALUE,
                         "equals-ignore-case match pattern must be a string");
    }
    if (only_one_key(operand, err) || only_one_key(outer, err)) {
        return -1;
    }
    m->kind = strcmp(name, "prefix") == 0 ? M_PREFIX_CI : M_SUFFIX_CI;
    matcher_add_value(m, inner->valuestring);
    return 0;
}

/* A missing array element is the array's end in AWS's error locations. */
static int fail_element(evb_pattern_error *err, const cJSON *element,
                        const cJSON *array, const char *fmt, const char *arg)
    __attribute__((format(printf, 4, 0)));

static int fail_element(evb_pattern_error *err, const cJSON *element,
                        const cJSON *array, const char *fmt, const char *arg)
{
    return element ? fail_node(err, element, AT_VALUE, fmt, arg)
                   : fail_node(err, array, AT_END, fmt, arg);
}

static int compile_numeric(const cJSON *operand, matcher *m,
                           evb_pattern_error *err)
{
    const cJSON *op = operand->child;
    const cJSON *value = op ? op->next : NULL;
    char text[256];

    m->kind = M_NUMERIC;
    m->low = -INFINITY;
    m->high = INFINITY;
    if (!cJSON_IsString(op)) {
        token_text(op, text, sizeof text);
        return fail_element(err, op, operand,
                            "Invalid member in numeric match: %s", text);
    }

    /* AWS reads the operand before it looks at the operator. */
    const char *name = op->valuestring;
    int lower = strcmp(name, ">") == 0 || strcmp(name, ">=") == 0;
    int upper = strcmp(name, "<") == 0 || strcmp(name, "<=") == 0;
    if (!lower && !upper && strcmp(name, "=") != 0) {
        return fail_element(err, value, operand,
                            "Unrecognized numeric range operator: %s", name);
    }
    if (!cJSON_IsNumber(value)) {
        return fail_element(err, value, operand, "Value of %s must be numeric",
                            strcmp(name, "=") == 0 ? "equals" : name);
    }

    if (strcmp(name, "=") == 0) {
        m->low = m->high = value->valuedouble;
    } else if (upper) {
        m->high = value->valuedouble;
        m->high_open = name[1] == '\0';
    } else {
        m->low = value->valuedouble;
        m->low_open = name[1] == '\0';
    }
    if (!lower && value->next) {
        return fail_node(err, value->next, AT_VALUE,
                         "Too many elements in numeric expression");
    }

    const cJSON *op2 = lower ? value->next : NULL;
    if (op2) {
        if (!cJSON_IsString(op2)) {
            token_text(op2, text, sizeof text);
            return fail_node(err, op2, AT_VALUE,
                             "Bad value in numeric range: %s", text);
        }
        if (strcmp(op2->valuestring, "<") != 0 &&
            strcmp(op2->valuestring, "<=") != 0) {
            return fail_node(err, op2, AT_TEXT,
                             "Bad numeric range operator: %s",
                             op2->valuestring);
        }
        if (!cJSON_IsNumber(op2->next)) {
            return fail_element(err, op2->next, operand,
                                "Value of %s must be numeric",
                                op2->valuestring);
        }
        if (op2->next->next) {
            return fail_node(err, op2->next->next, AT_VALUE,
                             "Too many terms in numeric range expression");
        }
    }

    /* AWS converts the numbers once the array is read. */
    if (check_comparable(value, err, operand, AT_END) ||
        (op2 && check_comparable(op2->next, err, operand, AT_END))) {
        return -1;
    }
    if (op2) {
        m->high = op2->next->valuedouble;
        m->high_open = op2->valuestring[1] == '\0';
        if (!(m->low < m->high)) {
            return fail_node(err, operand, AT_END,
                             "Bottom must be less than top");
        }
    }
    return 0;
}

/* The plain anything-but form: one string or number, or a list of them. */
static int compile_anything_but_values(const cJSON *operand, matcher *m,
                                       evb_pattern_error *err)
{
    const cJSON *items = cJSON_IsArray(operand) ? operand->child : operand;
    int strings = 0, numbers = 0;

    for (const cJSON *v = items; v; v = cJSON_IsArray(operand) ? v->next : 0) {
        if (cJSON_IsString(v)) {
            matcher_add_value(m, v->valuestring);
            strings = 1;
        } else if (cJSON_IsNumber(v)) {
            /* AWS reports no location for a single value it cannot
             * compare, because that error escapes its parser. */
            if (check_comparable(v, err, v,
                                 cJSON_IsArray(operand) ? AT_VALUE : AT_NONE)) {
                return -1;
            }
            m->numbers = xrealloc(m->numbers,
                                  (m->number_count + 1) * sizeof *m->numbers);
            m->numbers[m->number_count++] = v->valuedouble;
            numbers = 1;
        } else {
            return fail_node(err, v, AT_VALUE,
                             "Inside anything but list, start|null|boolean is "
                             "not supported.");
        }
    }
    if (strings == numbers) {
        return fail_node(err, operand, AT_END,
                         "Inside anything but list, either all values are "
                         "number or string, mixed type is not supported");
    }
    m->kind = strings ? M_BUT_STRINGS : M_BUT_NUMBERS;
    return 0;
}

/* anything-but over prefix, suffix, equals-ignore-case or wildcard. */
static int compile_anything_but_set(const cJSON *operand, matcher *m,
                                    int *wildcards, evb_pattern_error *err)
{
    const cJSON *items = cJSON_IsArray(operand) ? operand->child : operand;

    for (const cJSON *v = items; v; v = cJSON_IsArray(operand) ? v->next : 0) {
        if (!cJSON_IsString(v)) {
            if (m->kind == M_BUT_CI) {
                return fail_node(err, v, AT_VALUE,
                                 "Inside anything-but/equals-ignore-case list, "
                                 "number|start|null|boolean is not supported.");
            }
            if (m->kind == M_BUT_WILDCARD) {
                return fail_node(err, v, AT_VALUE,
                                 "wildcard match pattern must be a string");
            }
            return fail_node(err, v, AT_VALUE,
                             "prefix/suffix match pattern must be a string");
        }
        if ((m->kind == M_BUT_PREFIX || m->kind == M_BUT_SUFFIX) &&
            v->valuestring[0] == '\0') {
            return fail_node(err, v, AT_TEXT, "Null prefix/suffix not allowed");
        }
        matcher_add_value(m, v->valuestring);
    }
    if (m->kind == M_BUT_WILDCARD) {
        m->wildcards = xcalloc(m->value_count + 1, sizeof *m->wildcards);
        for (size_t i = 0; i < m->value_count; i++) {
            /* AWS checks a list once it has read all of it. */
            if (wildcard_compile(m->values[i], &m->wildcards[i], err, operand,
                                 cJSON_IsArray(operand) ? AT_END : AT_TEXT)) {
                return -1;
            }
        }
        *wildcards = 1;
    }
    return 0;
}

static int compile_anything_but(const cJSON *outer, const cJSON *operand,
                                matcher *m, int *wildcards,
                                evb_pattern_error *err)
{
    const cJSON *set = NULL;

    if (cJSON_IsObject(operand)) {
        set = operand;
        if (!set->child) {
            return fail_node(err, set, AT_END,
                             "Anything-But expression name not found");
        }
        const char *name = set->child->string;
        if (strcmp(name, "equals-ignore-case") == 0) {
            m->kind = M_BUT_CI;
        } else if (strcmp(name, "prefix") == 0) {
            m->kind = M_BUT_PREFIX;
        } else if (strcmp(name, "suffix") == 0) {
            m->kind = M_BUT_SUFFIX;
        } else if (strcmp(name, "wildcard") == 0) {
            m->kind = M_BUT_WILDCARD;
        } else {
            return fail_node(err, set->child, AT_VALUE,
                             "Unsupported anything-but pattern: %s", name);
        }
        operand = set->child;
    }
    if (!cJSON_IsArray(operand) && !cJSON_IsString(operand) &&
        !cJSON_IsNumber(operand)) {
        return fail_node(err, operand, AT_VALUE,
                         "Value of anything-but must be an array or single "
                         "string/number value.");
    }

    int rc = set ? compile_anything_but_set(operand, m, wildcards, err)
                 : compile_anything_but_values(operand, m, err);
    if (rc) {
        return rc;
    }
    if ((set && too_many_elements(set, err)) || too_many_elements(outer, err)) {
        return -1;
    }
    return 0;
}

static int compile_expression(const cJSON *expr, matcher *m, int *wildcards,
                              evb_pattern_error *err)
{
    const cJSON *operand = expr->child;
    const char *name;

    if (!operand) {
        return fail_node(err, expr, AT_END, "Match expression name not found");
    }
    name = operand->string;

    if (strcmp(name, "exactly") == 0) {
        if (!cJSON_IsString(operand)) {
            return fail_node(err, operand, AT_VALUE,
                             "exact match pattern must be a string");
        }
        m->kind = M_STRING;
        matcher_add_value(m, operand->valuestring);
        return only_one_key(expr, err);
    }
    if (strcmp(name, "prefix") == 0 || strcmp(name, "suffix") == 0) {
        if (cJSON_IsObject(operand)) {
            return compile_case_insensitive_affix(expr, operand, name, m, err);
        }
        if (!cJSON_IsString(operand)) {
            return fail_node(err, operand, AT_VALUE,
                             "%s match pattern must be a string", name);
        }
        m->kind = name[0] == 'p' ? M_PREFIX : M_SUFFIX;
        matcher_add_value(m, operand->valuestring);
        return only_one_key(expr, err);
    }
    if (strcmp(name, "numeric") == 0) {
        if (!cJSON_IsArray(operand)) {
            return fail_node(err, operand, AT_VALUE,
                             "Value of numeric must be an array.");
        }
        if (compile_numeric(operand, m, err)) {
            return -1;
        }
        return too_many_elements(expr, err);
    }
    if (strcmp(name, "anything-but") == 0) {
        return compile_anything_but(expr, operand, m, wildcards, err);
    }
    if (strcmp(name, "exists") == 0) {
        if (!cJSON_IsBool(operand)) {
            return fail_node(err, operand, AT_VALUE,
                             "exists match pattern must be either true or "
                             "false.");
        }
        m->kind = cJSON_IsTrue(operand) ? M_EXISTS : M_ABSENT;
        return only_one_key(expr, err);
    }
    if (strcmp(name, "cidr") == 0) {
        /* AWS reuses the prefix message for a non-string CIDR. */
        if (!cJSON_IsString(operand)) {
            return fail_node(err, operand, AT_VALUE,
                             "prefix match pattern must be a string");
        }
        m->kind = M_CIDR;
        if (cidr_compile(operand->valuestring, m, err)) {
            return -1;
        }
        return only_one_key(expr, err);
    }
    if (strcmp(name, "equals-ignore-case") == 0) {
        if (!cJSON_IsString(operand)) {
            return fail_node(err, operand, AT_VALUE,
                             "equals-ignore-case match pattern must be a "
                             "string");
        }
        m->kind = M_EQUALS_CI;
        matcher_add_value(m, operand->valuestring);
        return only_one_key(expr, err);
    }
    if (strcmp(name, "wildcard") == 0) {
        if (!cJSON_IsString(operand)) {
            return fail_node(err, operand, AT_VALUE,
                             "wildcard match pattern must be a string");
        }
        m->kind = M_WILDCARD;
        matcher_add_value(m, operand->valuestring);
        m->wildcards = xcalloc(1, sizeof *m->wildcards);
        if (wildcard_compile(operand->valuestring, m->wildcards, err, operand,
                             AT_TEXT)) {
            return -1;
        }
        *wildcards = 1;
        return only_one_key(expr, err);
    }
    return fail_node(err, operand, AT_VALUE, "Unrecognized match type %s",
                     name);
}

/* Compile one element of a field's value list. */
static int compile_value(const cJSON *v, matcher *m, int *wildcards,
                         evb_pattern_error *err)
{
    if (cJSON_IsObject(v)) {
        return compile_expression(v, m, wildcards, err);
    }
    if (cJSON_IsString(v)) {
        m->kind = M_STRING;
        matcher_add_value(m, v->valuestring);
        /* AWS matches an IP literal against any spelling of that address. */
        m->ip_len = ip_parse(v->valuestring, m->ip_low);
        return 0;
    }
    if (cJSON_IsNumber(v)) {
        /* NOTE: AWS also matches a number by its literal text, which cJSON
         * does not keep, so numbers match by value only. */
        m->kind = M_NUMBER;
        m->numbers = xmalloc(sizeof *m->numbers);
        m->numbers[0] = v->valuedouble;
        m->number_count = 1;
        return 0;
    }
    if (cJSON_IsTrue(v)) {
        m->kind = M_TRUE;
    } else if (cJSON_IsFalse(v)) {
        m->kind = M_FALSE;
    } else if (cJSON_IsNull(v)) {
        m->kind = M_NULL;
    } else {
        return fail_node(
            err, v, AT_VALUE,
            "Match value must be String, number, true, false, or null");
    }
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Compiling objects and $or                                              */

typedef struct compiler {
    evb_pattern_error *err;
    int wildcards; /* set when any wildcard matcher was compiled */
} compiler;

static int compile_object(compiler *c, const cJSON *object, const char *prefix,
                          node *target, int inside_or, int depth);

static char *path_join(const char *prefix, const char *name)
{
    if (!prefix) {
        return xstrdup(name);
    }
    size_t a = strlen(prefix), b = strlen(name);
    char *path = xmalloc(a + b + 2);
    memcpy(path, prefix, a);
    path[a] = '.';
    memcpy(path + a + 1, name, b + 1);
    return path;
}

static int compile_field(compiler *c, const cJSON *list, char *path,
                         node *target)
{
    field f = {path, NULL, 0};

    for (const cJSON *v = list->child; v; v = v->next) {
        f.matchers = xrealloc(f.matchers, (f.count + 1) * sizeof *f.matchers);
        memset(&f.matchers[f.count], 0, sizeof *f.matchers);
        f.count++;
        if (compile_value(v, &f.matchers[f.count - 1], &c->wildcards, c->err)) {
            field_free(&f);
            return -1;
        }
    }
    if (f.count == 0) {
        field_free(&f);
        return fail_node(c->err, list, AT_END, "Empty arrays are not allowed");
    }

    /* A repeated key replaces the earlier one, as in AWS. */
    for (size_t i = 0; i < target->field_count; i++) {
        if (strcmp(target->fields[i].path, path) == 0) {
            field_free(&target->fields[i]);
            target->fields[i] = f;
            return 0;
        }
    }
    target->fields = xrealloc(target->fields, (target->field_count + 1) *
                                                  sizeof *target->fields);
    target->fields[target->field_count++] = f;
    return 0;
}

static int compile_or(compiler *c, const cJSON *list, const char *prefix,
                      node *target, int depth)
{
    or_group g = {NULL, 0};
    int rc = 0;

    if (!cJSON_IsArray(list)) {
        return fail_node(c->err, list, AT_VALUE,
                         "It must be an Array followed with $or.");
    }
    for (const cJSON *alt = list->child; alt; alt = alt->next) {
        if (!cJSON_IsObject(alt)) {
            rc = fail_node(c->err, alt, AT_VALUE,
                           "Only JSON object is allowed in array of $or "
                           "relationship.");
            break;
        }
        g.alternatives =
            xrealloc(g.alternatives, (g.count + 1) * sizeof *g.alternatives);
        memset(&g.alternatives[g.count], 0, sizeof *g.alternatives);
        g.count++;
        rc = compile_object(c, alt, prefix, &g.alternatives[g.count - 1], 1,
                            depth + 1);
        if (rc) {
            break;
        }
    }
    if (rc == 0 && g.count < 2) {
        rc = fail_node(c->err, list, AT_END,
                       "There must have at least 2 Objects in $or "
                       "relationship.");
    }
    if (rc) {
        for (size_t i = 0; i < g.count; i++) {
            node_free(&g.alternatives[i]);
        }
        free(g.alternatives);
        return rc;
    }
    target->ors =
        xrealloc(target->ors, (target->or_count + 1) * sizeof *target->ors);
    target->ors[target->or_count++] = g;
    return 0;
}

/* Field names AWS reserves for operators, which may not appear inside $or. */
static int reserved_in_or(const char *name)
{
    static const char *const reserved[] = {"exactly",
                                           "equals-ignore-case",
                                           "prefix",
                                           "suffix",
                                           "anything-but",
                                           "exists",
                                           "wildcard",
                                           "numeric",
                                           "cidr",
                                           "=",
                                           "<",
                                           "<=",
                                           ">",
                                           ">=",
                                           "regex",
                                           "not-wildcard",
                                           "not-equals-ignore-case",
                                           "date-after",
                                           "date-on-or-after",
                                           "date-before",
                                           "date-on-or-before",
                                           "in-date-range",
                                           "ip-address-in-range",
                                           "ip-address-not-in-range"};

    for (size_t i = 0; i < sizeof reserved / sizeof *reserved; i++) {
        if (strcmp(name, reserved[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

static int compile_object(compiler *c, const cJSON *object, const char *prefix,
                          node *target, int inside_or, int depth)
{
    if (depth > PATTERN_MAX_DEPTH) {
        return fail(c->err, "Pattern nesting exceeds %d levels",
                    PATTERN_MAX_DEPTH);
    }
    if (!object->child) {
        return fail_node(c->err, object, AT_END,
                         "Empty objects are not allowed");
    }

    for (const cJSON *item = object->child; item; item = item->next) {
        const char *name = item->string;
        int rc;

        if (strcmp(name, "$or") == 0) {
            rc = compile_or(c, item, prefix, target, depth);
        } else if (inside_or && reserved_in_or(name)) {
            rc = fail_node(c->err, item, AT_VALUE,
                           "%s is Ruler reserved fieldName which cannot be "
                           "used inside $or.",
                           name);
        } else if (cJSON_IsObject(item)) {
            char *path = path_join(prefix, name);
            rc = compile_object(c, item, path, target, inside_or, depth + 1);
            free(path);
        } else if (cJSON_IsArray(item)) {
            rc = compile_field(c, item, path_join(prefix, name), target);
        } else {
            rc = fail_node(c->err, item, AT_VALUE,
                           "\"%s\" must be an object or an array", name);
        }
        if (rc) {
            return rc;
        }
    }
    return 0;
}

/* Check every wildcard of a compiled tree against the complexity limit. */
static int check_complexity(const node *n, evb_pattern_error *err)
{
    for (size_t i = 0; i < n->field_count; i++) {
        const field *f = &n->fields[i];
        for (size_t j = 0; j < f->count; j++) {
            const matcher *m = &f->matchers[j];
            if (!m->wildcards) {
                continue;
            }
            for (size_t k = 0; k < m->value_count; k++) {
                if (wildcard_complexity(&m->wildcards[k]) >
                    WILDCARD_MAX_COMPLEXITY) {
                    return fail(err, "Rule is too complex - try using fewer "
                                     "wildcard characters or fewer repeating "
                                     "character sequences after a wildcard "
                                     "character");
                }
            }
        }
    }
    for (size_t i = 0; i < n->or_count; i++) {
        for (size_t j = 0; j < n->ors[i].count; j++) {
            if (check_complexity(&n->ors[i].alternatives[j], err)) {
                return -1;
            }
        }
    }
    return 0;
}

/* Pick the root field with the fewest exact string values for an index. */
static void choose_index_key(evb_pattern *p)
{
    const field *best = NULL;

    for (size_t i = 0; i < p->root.field_count; i++) {
        const field *f = &p->root.fields[i];
        size_t j;
        for (j = 0; j < f->count; j++) {
            if (f->matchers[j].kind != M_STRING || f->matchers[j].ip_len) {
                break;
            }
        }
        if (j == f->count && (!best || f->count < best->count)) {
            best = f;
        }
    }
    if (!best) {
        return;
    }
    p->index_path = best->path;
    p->index_count = best->count;
    p->index_values = xmalloc(best->count * sizeof *p->index_values);
    for (size_t j = 0; j < best->count; j++) {
        p->index_values[j] = best->matchers[j].values[0];
    }
}

static int uses_case_folding(const node *n)
{
    for (size_t i = 0; i < n->field_count; i++) {
        for (size_t j = 0; j < n->fields[i].count; j++) {
            enum matcher_kind k = n->fields[i].matchers[j].kind;
            if (k == M_EQUALS_CI || k == M_PREFIX_CI || k == M_SUFFIX_CI ||
                k == M_BUT_CI) {
                return 1;
            }
        }
    }
    for (size_t i = 0; i < n->or_count; i++) {
        for (size_t j = 0; j < n->ors[i].count; j++) {
            if (uses_case_folding(&n->ors[i].alternatives[j])) {
                return 1;
            }
        }
    }
    return 0;
}

static evb_pattern *compile_tree(const cJSON *json, evb_pattern_error *err)
{
    compiler c = {err, 0};
    evb_pattern *p;

    if (!cJSON_IsObject(json)) {
        fail_node(err, json, AT_VALUE, "Filter is not an object");
        return NULL;
    }
    p = xcalloc(1, sizeof *p);
    if (compile_object(&c, json, NULL, &p->root, 0, 0) ||
        (c.wildcards && check_complexity(&p->root, err))) {
        evb_pattern_destroy(p);
        return NULL;
    }
    choose_index_key(p);
    if (uses_case_folding(&p->root)) {
        /* NOTE: without the C.UTF-8 locale, only ASCII letters fold. */
        p->ctype = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
    }
    return p;
}

evb_pattern *evb_pattern_compile_json(const cJSON *json, evb_pattern_error *err)
{
    err->source = NULL;
    return compile_tree(json, err);
}

/*
 * A JSON syntax scanner that finds the first error the way AWS's parser
 * (Jackson) reports it: the message and the 1-based column it names.
 */
typedef struct scanner {
    const char *s;
    size_t len, pos;
    char reason[200];
    size_t column; /* 0 until an error is found */
} scanner;

static void scan_ws(scanner *sc)
{
    while (sc->pos < sc->len && isspace((unsigned char)sc->s[sc->pos])) {
        sc->pos++;
    }
}

static int scan_unexpected(scanner *sc, const char *expectation)
{
    if (sc->pos >= sc->len) {
        snprintf(sc->reason, sizeof sc->reason, "Unexpected end-of-input%s",
                 expectation[0] ? ": expected close marker" : "");
        sc->column = sc->len + 1;
        return -1;
    }
    unsigned char c = (unsigned char)sc->s[sc->pos];
    snprintf(sc->reason, sizeof sc->reason,
             "Unexpected character ('%c' (code %d))%s%s", c, c,
             expectation[0] ? ": " : "", expectation);
    sc->column = sc->pos + 1;
    return -1;
}

static int scan_value(scanner *sc, int depth);

static int scan_string(scanner *sc)
{
    for (sc->pos++; sc->pos < sc->len; sc->pos++) {
        if (sc->s[sc->pos] == '\\') {
            sc->pos++;
        } else if (sc->s[sc->pos] == '"') {
            sc->pos++;
            return 0;
        }
    }
    return scan_unexpected(sc, "");
}

static int scan_container(scanner *sc, int depth, char close)
{
    const char *what = close == '}' ? "Object" : "Array";
    char expectation[64];

    sc->pos++;
    scan_ws(sc);
    if (sc->pos < sc->len && sc->s[sc->pos] == close) {
        sc->pos++;
        return 0;
    }
    for (;;) {
        scan_ws(sc);
        if (close == '}') {
            if (sc->pos >= sc->len || sc->s[sc->pos] != '"') {
                return scan_unexpected(
                    sc, "was expecting double-quote to start field name");
            }
            scan_string(sc);
            scan_ws(sc);
            if (sc->pos >= sc->len || sc->s[sc->pos] != ':') {
                return scan_unexpected(sc, "was expecting a colon to separate "
                                           "field name and value");
            }
            sc->pos++;
        }
        if (scan_value(sc, depth + 1)) {
            return -1;
        }
        scan_ws(sc);
        if (sc->pos < sc->len && sc->s[sc->pos] == close) {
            sc->pos++;
            return 0;
        }
        if (sc->pos >= sc->len || sc->s[sc->pos] != ',') {
            snprintf(expectation, sizeof expectation,
                     "was expecting comma to separate %s entries", what);
            return scan_unexpected(sc, expectation);
        }
        sc->pos++;
    }
}

static int scan_value(scanner *sc, int depth)
{
    scan_ws(sc);
    if (depth > PATTERN_MAX_DEPTH * 4) {
        snprintf(sc->reason, sizeof sc->reason,
                 "Maximum nesting depth "
                 "exceeded");
        sc->column = sc->pos + 1;
        return -1;
    }
    if (sc->pos >= sc->len) {
        return scan_unexpected(sc, "expected a value");
    }

    char c = sc->s[sc->pos];
    if (c == '{' || c == '[') {
        return scan_container(sc, depth, c == '{' ? '}' : ']');
    }
    if (c == '"') {
        return scan_string(sc);
    }
    if (c == '-' || isdigit((unsigned char)c)) {
        while (sc->pos < sc->len && strchr("+-.eE0123456789", sc->s[sc->pos])) {
            sc->pos++;
        }
        return 0;
    }

    size_t start = sc->pos, end = sc->pos;
    while (end < sc->len && isalnum((unsigned char)sc->s[end])) {
        end++;
    }
    if (end == start) {
        return scan_unexpected(sc, "expected a value");
    }
    if ((end - start == 4 && memcmp(sc->s + start, "true", 4) == 0) ||
        (end - start == 4 && memcmp(sc->s + start, "null", 4) == 0) ||
        (end - start == 5 && memcmp(sc->s + start, "false", 5) == 0)) {
        sc->pos = end;
        return 0;
    }
    snprintf(sc->reason, sizeof sc->reason,
             "Unrecognized token '%.*s': was expecting (JSON String, Number, "
             "Array, Object or token 'null', 'true' or 'false')",
             (int)(end - start > 64 ? 64 : end - start), sc->s + start);
    sc->column = end + 1;
    return -1;
}

/* Report a JSON syntax error of the pattern text `json`. */
static void syntax_error(const char *json, size_t len, evb_pattern_error *err)
{
    scanner sc = {json, len, 0, "", 0};
    size_t line = 1, line_start = 0;

    if (scan_value(&sc, 0) == 0) {
        scan_ws(&sc);
        if (sc.pos < sc.len) {
            scan_unexpected(&sc, "expected end of input");
        } else {
            /* cJSON rejected what the scanner accepts: a bad escape, a
             * malformed number or a NUL byte. */
            snprintf(sc.reason, sizeof sc.reason, "Invalid JSON text");
            sc.column = 1;
        }
    }
    for (size_t i = 0; i + 1 < sc.column && i < len; i++) {
        if (json[i] == '\n') {
            line++;
            line_start = i + 1;
        }
    }
    fail_at(err, json, len, line, sc.column - line_start, "%s", sc.reason);
}

/* Skip white space and, when `expected` is not NUL, that one character. */
static int skip_to(const char *json, size_t len, size_t *pos, char expected)
{
    while (*pos < len && isspace((unsigned char)json[*pos])) {
        (*pos)++;
    }
    if (expected == '\0') {
        return 0;
    }
    if (*pos >= len || json[*pos] != expected) {
        return -1;
    }
    (*pos)++;
    return 0;
}

static void skip_string(const char *json, size_t len, size_t *pos)
{
    for ((*pos)++; *pos < len; (*pos)++) {
        if (json[*pos] == '\\') {
            (*pos)++;
        } else if (json[*pos] == '"') {
            (*pos)++;
            return;
        }
    }
}

/*
 * Record the token offsets of `item` and its descendants by walking the
 * text cJSON parsed it from, in the same order. Returns -1 if the text and
 * the tree disagree, which leaves the locations unusable.
 */
static int locate(struct evb_pattern_source *src, size_t *cap,
                  const cJSON *item, size_t *pos, int depth)
{
    const char *json = src->json;
    size_t len = src->len, self = src->count;

    if (depth > PATTERN_MAX_DEPTH * 4 || skip_to(json, len, pos, '\0') ||
        *pos >= len) {
        return -1;
    }
    if (src->count == *cap) {
        *cap = *cap ? *cap * 2 : 64;
        src->locations = xrealloc(src->locations, *cap * sizeof(location));
    }
    memset(&src->locations[self], 0, sizeof(location));
    src->locations[self].node = item;
    src->locations[self].value_start = *pos;
    src->count++;

    char c = json[*pos];
    if (c == '{' || c == '[') {
        int object = c == '{';
        (*pos)++;
        src->locations[self].value_end = *pos;
        for (const cJSON *child = item->child; child; child = child->next) {
            if (object) {
                if (skip_to(json, len, pos, '\0') || *pos >= len ||
                    json[*pos] != '"') {
                    return -1;
                }
                skip_string(json, len, pos);
                if (skip_to(json, len, pos, ':')) {
                    return -1;
                }
            }
            if (locate(src, cap, child, pos, depth + 1)) {
                return -1;
            }
            skip_to(json, len, pos, '\0');
            if (child->next && skip_to(json, len, pos, ',')) {
                return -1;
            }
        }
        if (skip_to(json, len, pos, object ? '}' : ']')) {
            return -1;
        }
        src->locations[self].close_end = *pos;
    } else if (c == '"') {
        src->locations[self].value_end = *pos + 1;
        skip_string(json, len, pos);
        src->locations[self].text_end = *pos;
    } else {
        while (*pos < len &&
               (isalnum((unsigned char)json[*pos]) || json[*pos] == '-' ||
                json[*pos] == '+' || json[*pos] == '.')) {
            (*pos)++;
        }
        src->locations[self].value_end = *pos;
    }
    return 0;
}

evb_pattern *evb_pattern_compile(const char *json, size_t len,
                                 evb_pattern_error *err)
{
    cJSON *tree = cJSON_ParseWithLength(json, len);
    struct evb_pattern_source src = {json, len, NULL, 0};
    size_t cap = 0, pos = 0;
    evb_pattern *p;

    if (!tree) {
        syntax_error(json, len, err);
        return NULL;
    }
    if (locate(&src, &cap, tree, &pos, 0) == 0) {
        qsort(src.locations, src.count, sizeof *src.locations,
              location_compare);
        err->source = &src;
    } else {
        err->source = NULL;
    }
    p = compile_tree(tree, err);
    err->source = NULL;
    free(src.locations);
    cJSON_Delete(tree);
    return p;
}

int evb_pattern_index_key(const evb_pattern *pattern, const char **path,
                          const char *const **values, size_t *count)
{
    if (!pattern->index_path) {
        return -1;
    }
    *path = pattern->index_path;
    *values = pattern->index_values;
    *count = pattern->index_count;
    return 0;
}

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
            hit = wildcard_match(&m->wildcards[i], s, len);
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
        return m->ip_len && ip_parse(s, ip) == m->ip_len &&
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
        return s && wildcard_match(m->wildcards, s, len);
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
        return s && ip_parse(s, ip) == m->ip_len &&
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
