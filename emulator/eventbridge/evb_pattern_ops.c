/*
 * evb_pattern_ops.c: compile the match expressions of an event pattern,
 * which are exact values, prefix, suffix, equals-ignore-case, wildcard,
 * anything-but, numeric ranges, cidr and exists. It also contains the IP
 * literal parser and the wildcard matcher that matching uses, and the
 * complexity limit AWS applies to wildcards. Each check fails with AWS's
 * message.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evb_pattern_internal.h"
#include "util.h"

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
                                        sizeof key, evb__location_compare)
                              : NULL;

    if (loc) {
        const char *text = src->json + loc->value_start;
        size_t len = loc->value_end - loc->value_start;
        if (!exactly_a_double(text, len)) {
            return evb__pattern_fail_node(err, where, how,
                                          "Cannot compare number : %.*s",
                                          (int)len, text);
        }
        return 0;
    }
    if (!isfinite(item->valuedouble)) {
        char text[64];
        evb__token_text(item, text, sizeof text);
        return evb__pattern_fail_node(err, where, how,
                                      "Cannot compare number : %s", text);
    }
    return 0;
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
int evb__ip_parse(const char *s, unsigned char out[16])
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
        return evb__pattern_fail(err, "Malformed CIDR, one '/' required");
    }
    bits = strtol(slash + 1, &end, 10);
    if (*end != '\0' ||
        !(isdigit((unsigned char)slash[1]) ||
          ((slash[1] == '-' || slash[1] == '+') &&
           isdigit((unsigned char)slash[2]))) ||
        bits > 2147483647L || bits < -2147483648L) {
        return evb__pattern_fail(
            err, "Malformed CIDR, mask bits must be an integer");
    }
    if (bits < 0) {
        return evb__pattern_fail(
            err, "Malformed CIDR, mask bits must not be negative");
    }

    snprintf(ip, sizeof ip, "%.*s", (int)(slash - text), text);
    if ((size_t)(slash - text) >= sizeof ip ||
        !(looks_like_ipv4(ip) || looks_like_ipv6(ip))) {
        return evb__pattern_fail(err, "Nonstandard IP address: %.*s",
                                 (int)(slash - text), text);
    }
    len = evb__ip_parse(ip, m->ip_low);
    if (len == 0) {
        return evb__pattern_fail(err, "Invalid IP address: %s", ip);
    }
    if (len == 4 && bits > 31) {
        return evb__pattern_fail(err, "IPv4 mask bits must be < 32");
    }
    if (len == 16 && bits > 127) {
        return evb__pattern_fail(err, "IPv6 mask bits must be < 128");
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
                return evb__pattern_fail_node(
                    err, where, how,
                    "Consecutive wildcard characters at pos %zu", i + 1);
            }
            w->tokens[w->count++] = WILDCARD_STAR;
        } else if (c == '\\') {
            if (text[i + 1] == '*' || text[i + 1] == '\\') {
                w->tokens[w->count++] = (unsigned char)text[++i];
            } else {
                return evb__pattern_fail_node(
                    err, where, how, "Invalid escape character at pos %zu",
                    i + 1);
            }
        } else {
            w->tokens[w->count++] = c;
        }
    }
    return 0;
}

int evb__wildcard_match(const wildcard *w, const char *s, size_t len)
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
int evb__wildcard_complexity(const wildcard *w)
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
        return evb__pattern_fail_node(
            err, expr->child->next, AT_VALUE,
            "Only one key allowed in match expression");
    }
    return 0;
}

static int too_many_elements(const cJSON *expr, evb_pattern_error *err)
{
    if (expr->child && expr->child->next) {
        return evb__pattern_fail_node(
            err, expr->child->next, AT_VALUE,
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
        return evb__pattern_fail_node(
            err, operand, AT_END, "%c%s expression name not found",
            toupper((unsigned char)name[0]), name + 1);
    }
    if (strcmp(inner->string, "equals-ignore-case") != 0) {
        return evb__pattern_fail_node(err, inner, AT_VALUE,
                                      "Unsupported %s pattern: %s", name,
                                      inner->string);
    }
    if (!cJSON_IsString(inner)) {
        return evb__pattern_fail_node(
            err, inner, AT_VALUE,
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
    return element ? evb__pattern_fail_node(err, element, AT_VALUE, fmt, arg)
                   : evb__pattern_fail_node(err, array, AT_END, fmt, arg);
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
        evb__token_text(op, text, sizeof text);
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
        return evb__pattern_fail_node(
            err, value->next, AT_VALUE,
            "Too many elements in numeric expression");
    }

    const cJSON *op2 = lower ? value->next : NULL;
    if (op2) {
        if (!cJSON_IsString(op2)) {
            evb__token_text(op2, text, sizeof text);
            return evb__pattern_fail_node(
                err, op2, AT_VALUE, "Bad value in numeric range: %s", text);
        }
        if (strcmp(op2->valuestring, "<") != 0 &&
            strcmp(op2->valuestring, "<=") != 0) {
            return evb__pattern_fail_node(err, op2, AT_TEXT,
                                          "Bad numeric range operator: %s",
                                          op2->valuestring);
        }
        if (!cJSON_IsNumber(op2->next)) {
            return fail_element(err, op2->next, operand,
                                "Value of %s must be numeric",
                                op2->valuestring);
        }
        if (op2->next->next) {
            return evb__pattern_fail_node(
                err, op2->next->next, AT_VALUE,
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
            return evb__pattern_fail_node(err, operand, AT_END,
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
            return evb__pattern_fail_node(
                err, v, AT_VALUE,
                "Inside anything but list, start|null|boolean is "
                "not supported.");
        }
    }
    if (strings == numbers) {
        return evb__pattern_fail_node(
            err, operand, AT_END,
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
                return evb__pattern_fail_node(
                    err, v, AT_VALUE,
                    "Inside anything-but/equals-ignore-case list, "
                    "number|start|null|boolean is not supported.");
            }
            if (m->kind == M_BUT_WILDCARD) {
                return evb__pattern_fail_node(
                    err, v, AT_VALUE,
                    "wildcard match pattern must be a string");
            }
            return evb__pattern_fail_node(
                err, v, AT_VALUE,
                "prefix/suffix match pattern must be a string");
        }
        if ((m->kind == M_BUT_PREFIX || m->kind == M_BUT_SUFFIX) &&
            v->valuestring[0] == '\0') {
            return evb__pattern_fail_node(err, v, AT_TEXT,
                                          "Null prefix/suffix not allowed");
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
            return evb__pattern_fail_node(
                err, set, AT_END, "Anything-But expression name not found");
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
            return evb__pattern_fail_node(
                err, set->child, AT_VALUE,
                "Unsupported anything-but pattern: %s", name);
        }
        operand = set->child;
    }
    if (!cJSON_IsArray(operand) && !cJSON_IsString(operand) &&
        !cJSON_IsNumber(operand)) {
        return evb__pattern_fail_node(
            err, operand, AT_VALUE,
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
        return evb__pattern_fail_node(err, expr, AT_END,
                                      "Match expression name not found");
    }
    name = operand->string;

    if (strcmp(name, "exactly") == 0) {
        if (!cJSON_IsString(operand)) {
            return evb__pattern_fail_node(
                err, operand, AT_VALUE, "exact match pattern must be a string");
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
            return evb__pattern_fail_node(err, operand, AT_VALUE,
                                          "%s match pattern must be a string",
                                          name);
        }
        m->kind = name[0] == 'p' ? M_PREFIX : M_SUFFIX;
        matcher_add_value(m, operand->valuestring);
        return only_one_key(expr, err);
    }
    if (strcmp(name, "numeric") == 0) {
        if (!cJSON_IsArray(operand)) {
            return evb__pattern_fail_node(err, operand, AT_VALUE,
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
            return evb__pattern_fail_node(
                err, operand, AT_VALUE,
                "exists match pattern must be either true or "
                "false.");
        }
        m->kind = cJSON_IsTrue(operand) ? M_EXISTS : M_ABSENT;
        return only_one_key(expr, err);
    }
    if (strcmp(name, "cidr") == 0) {
        /* AWS reuses the prefix message for a non-string CIDR. */
        if (!cJSON_IsString(operand)) {
            return evb__pattern_fail_node(
                err, operand, AT_VALUE,
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
            return evb__pattern_fail_node(
                err, operand, AT_VALUE,
                "equals-ignore-case match pattern must be a "
                "string");
        }
        m->kind = M_EQUALS_CI;
        matcher_add_value(m, operand->valuestring);
        return only_one_key(expr, err);
    }
    if (strcmp(name, "wildcard") == 0) {
        if (!cJSON_IsString(operand)) {
            return evb__pattern_fail_node(
                err, operand, AT_VALUE,
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
    return evb__pattern_fail_node(err, operand, AT_VALUE,
                                  "Unrecognized match type %s", name);
}

/* Compile one element of a field's value list. */
int evb__compile_value(const cJSON *v, matcher *m, int *wildcards,
                       evb_pattern_error *err)
{
    if (cJSON_IsObject(v)) {
        return compile_expression(v, m, wildcards, err);
    }
    if (cJSON_IsString(v)) {
        m->kind = M_STRING;
        matcher_add_value(m, v->valuestring);
        /* AWS matches an IP literal against any spelling of that address. */
        m->ip_len = evb__ip_parse(v->valuestring, m->ip_low);
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
        return evb__pattern_fail_node(
            err, v, AT_VALUE,
            "Match value must be String, number, true, false, or null");
    }
    return 0;
}
