/*
 * evb_pattern_syntax.c: the errors of event pattern compilation and the
 * places in the pattern text that they name. AWS parses patterns with
 * Jackson, so a JSON syntax error carries Jackson's message and column. A
 * validation error of a pattern compiled from text carries the line and
 * column where Jackson's streaming parser stood when the check failed.
 * This file finds both from the text.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evb_pattern_internal.h"
#include "util.h"

#define REASON_PREFIX "Event pattern is not valid. Reason: "

/* ---------------------------------------------------------------------- */
/* Errors                                                                 */

int evb__pattern_fail(evb_pattern_error *err, const char *fmt, ...)
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
    return evb__pattern_fail(
        err, "%s\n at [Source: (String)\"%.*s\"%s; line: %zu, column: %zu]",
        reason, (int)len, json, truncated, line, column);
}

int evb__location_compare(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t)((const location *)a)->node;
    uintptr_t y = (uintptr_t)((const location *)b)->node;
    return (x > y) - (x < y);
}

int evb__pattern_fail_node(evb_pattern_error *err, const cJSON *item,
                           enum at how, const char *fmt, ...)
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
                                        sizeof key, evb__location_compare)
                              : NULL;
    if (!loc) {
        return evb__pattern_fail(err, "%s", reason);
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
void evb__token_text(const cJSON *item, char *out, size_t size)
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
void evb__pattern_syntax_error(const char *json, size_t len,
                               evb_pattern_error *err)
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
int evb__pattern_locate(struct evb_pattern_source *src, size_t *cap,
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
            if (evb__pattern_locate(src, cap, child, pos, depth + 1)) {
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
