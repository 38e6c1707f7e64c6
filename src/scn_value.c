/*
 * scn_value.c: values in scenarios: durations ("30s"), `${name.path}`
 * references to saved values, paths into JSON responses, and the matchers
 * of expectations (equals, contains, matches, exists, count, min, max).
 */
#include "scn.h"

#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"

/* The maximum duration a scenario may name: 100 years, far beyond any
 * timer an emulated service sets, and far inside int64_t milliseconds. */
#define SCN_MAX_DURATION_MS (100.0 * 365 * 86400000)

int scn_duration_parse(const char *text, int64_t *out_ms)
{
    char *end;
    if (!text || !*text)
        return -1;
    double v = strtod(text, &end);
    if (end == text || v < 0 || !isfinite(v))
        return -1;
    while (*end == ' ')
        end++;

    double scale;
    if (*end == '\0' || strcmp(end, "s") == 0)
        scale = 1000;
    else if (strcmp(end, "ms") == 0)
        scale = 1;
    else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
        scale = 60000;
    else if (strcmp(end, "h") == 0)
        scale = 3600000;
    else if (strcmp(end, "d") == 0)
        scale = 86400000;
    else
        return -1;
    if (v * scale > SCN_MAX_DURATION_MS)
        return -1;
    *out_ms = (int64_t)llround(v * scale);
    return 0;
}

int scn_duration_value(const cJSON *value, int64_t *out_ms)
{
    if (cJSON_IsNumber(value)) {
        if (value->valuedouble < 0 ||
            !(value->valuedouble * 1000 <= SCN_MAX_DURATION_MS))
            return -1;
        *out_ms = (int64_t)llround(value->valuedouble * 1000);
        return 0;
    }
    if (cJSON_IsString(value))
        return scn_duration_parse(value->valuestring, out_ms);
    return -1;
}

int scn_time_parse(const char *text, int64_t *out_ms)
{
    int year, month, day, hour, minute, second, used = 0;
    if (!text || sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2d%n", &year, &month, &day,
                        &hour, &minute, &second, &used) != 6)
        return -1;
    const char *rest = text + used;
    int millis = 0;
    if (*rest == '.') {
        int digits = 0;
        for (rest++; *rest >= '0' && *rest <= '9'; rest++, digits++)
            if (digits < 3)
                millis = millis * 10 + (*rest - '0');
        if (digits == 0)
            return -1;
        for (; digits < 3; digits++)
            millis *= 10;
    }
    if (strcmp(rest, "Z") != 0 || month < 1 || month > 12 || day < 1 ||
        day > 31 || hour > 23 || minute > 59 || second > 60)
        return -1;
    struct tm tm = {.tm_year = year - 1900,
                    .tm_mon = month - 1,
                    .tm_mday = day,
                    .tm_hour = hour,
                    .tm_min = minute,
                    .tm_sec = second};
    *out_ms = (int64_t)timegm(&tm) * 1000 + millis;
    return 0;
}

/* ---- paths ---- */

/* Step into `cur` by member `name`, parsing a JSON string on the way.
 * `*owned` keeps a parsed string alive. Returns NULL when absent. */
static const cJSON *scn_path_enter(const cJSON *cur, cJSON **owned)
{
    if (cJSON_IsString(cur)) {
        cJSON *parsed = cJSON_Parse(cur->valuestring);
        if (!parsed)
            return NULL;
        cJSON_Delete(*owned);
        *owned = parsed;
        return parsed;
    }
    return cur;
}

cJSON *scn_path_get(const cJSON *root, const char *path, char *errbuf,
                    size_t errsize)
{
    const char *p = path;
    const cJSON *cur = root;
    cJSON *owned = NULL;
    char name[256];

    if (p[0] == '$')
        p++;
    if (p[0] == '.')
        p++;
    while (cur && *p) {
        if (*p == '[') {
            cur = scn_path_enter(cur, &owned);
            if (!cur)
                break;
            if (p[1] == '\'' || p[1] == '"') {
                char quote = p[1];
                const char *close = strchr(p + 2, quote);
                if (!close || close[1] != ']' ||
                    (size_t)(close - p - 2) >= sizeof name) {
                    snprintf(errbuf, errsize, "invalid path \"%s\"", path);
                    cJSON_Delete(owned);
                    return NULL;
                }
                snprintf(name, sizeof name, "%.*s", (int)(close - p - 2),
                         p + 2);
                cur = cJSON_IsObject(cur)
                          ? cJSON_GetObjectItemCaseSensitive(cur, name)
                          : NULL;
                p = close + 2;
            } else {
                char *end;
                long index = strtol(p + 1, &end, 10);
                if (end == p + 1 || *end != ']') {
                    snprintf(errbuf, errsize, "invalid path \"%s\"", path);
                    cJSON_Delete(owned);
                    return NULL;
                }
                int size = cJSON_IsArray(cur) ? cJSON_GetArraySize(cur) : 0;
                if (index < 0)
                    index += size;
                cur = index >= 0 && index < size
                          ? cJSON_GetArrayItem(cur, (int)index)
                          : NULL;
                p = end + 1;
            }
        } else {
            size_t n = strcspn(p, ".[");
            if (n == 0 || n >= sizeof name) {
                snprintf(errbuf, errsize, "invalid path \"%s\"", path);
                cJSON_Delete(owned);
                return NULL;
            }
            memcpy(name, p, n);
            name[n] = '\0';
            cur = scn_path_enter(cur, &owned);
            cur = cJSON_IsObject(cur)
                      ? cJSON_GetObjectItemCaseSensitive(cur, name)
                      : NULL;
            p += n;
        }
        if (*p == '.')
            p++;
    }
    if (!cur) {
        snprintf(errbuf, errsize, "path \"%s\" does not exist", path);
        cJSON_Delete(owned);
        return NULL;
    }
    cJSON *copy = cJSON_Duplicate(cur, 1);
    cJSON_Delete(owned);
    return copy;
}

/* ---- substitution ---- */

/* Resolve "name.path" against `vars`. Returns a new value or NULL. */
static cJSON *scn_reference(const cJSON *vars, const char *ref, char *errbuf,
                            size_t errsize)
{
    size_t n = strcspn(ref, ".[");
    char name[128];
    if (n == 0 || n >= sizeof name) {
        snprintf(errbuf, errsize, "invalid reference ${%s}", ref);
        return NULL;
    }
    memcpy(name, ref, n);
    name[n] = '\0';
    const cJSON *base = cJSON_GetObjectItemCaseSensitive(vars, name);
    if (!base) {
        snprintf(errbuf, errsize,
                 "${%s} refers to \"%s\", which no earlier step saved", ref,
                 name);
        return NULL;
    }
    if (ref[n] == '\0')
        return cJSON_Duplicate(base, 1);
    char why[256];
    cJSON *value = scn_path_get(base, ref + n, why, sizeof why);
    if (!value)
        snprintf(errbuf, errsize, "${%s}: %s in the saved value \"%s\"", ref,
                 why, name);
    return value;
}

static cJSON *scn_substitute_string(const char *s, const cJSON *vars,
                                    char *errbuf, size_t errsize)
{
    const char *open = strstr(s, "${");
    if (!open)
        return cJSON_CreateString(s);

    /* A string that is one reference keeps the value's type. */
    const char *close = strchr(open, '}');
    if (open == s && close && close[1] == '\0') {
        char *ref = xstrndup(s + 2, (size_t)(close - s - 2));
        cJSON *value = scn_reference(vars, ref, errbuf, errsize);
        free(ref);
        return value;
    }

    strbuf out;
    strbuf_init(&out);
    const char *p = s;
    while ((open = strstr(p, "${")) != NULL) {
        close = strchr(open, '}');
        if (!close) {
            snprintf(errbuf, errsize, "unclosed ${ in \"%s\"", s);
            strbuf_free(&out);
            return NULL;
        }
        strbuf_append(&out, p, (size_t)(open - p));
        char *ref = xstrndup(open + 2, (size_t)(close - open - 2));
        cJSON *value = scn_reference(vars, ref, errbuf, errsize);
        free(ref);
        if (!value) {
            strbuf_free(&out);
            return NULL;
        }
        if (cJSON_IsString(value)) {
            strbuf_puts(&out, value->valuestring);
        } else {
            char *text = cJSON_PrintUnformatted(value);
            strbuf_puts(&out, text);
            free(text);
        }
        cJSON_Delete(value);
        p = close + 1;
    }
    strbuf_puts(&out, p);
    cJSON *result = cJSON_CreateString(out.data ? out.data : "");
    strbuf_free(&out);
    return result;
}

cJSON *scn_substitute(const cJSON *value, const cJSON *vars, char *errbuf,
                      size_t errsize)
{
    if (cJSON_IsString(value))
        return scn_substitute_string(value->valuestring, vars, errbuf, errsize);
    if (!cJSON_IsObject(value) && !cJSON_IsArray(value))
        return cJSON_Duplicate(value, 1);

    cJSON *out =
        cJSON_IsObject(value) ? cJSON_CreateObject() : cJSON_CreateArray();
    for (const cJSON *m = value->child; m; m = m->next) {
        cJSON *v = scn_substitute(m, vars, errbuf, errsize);
        if (!v) {
            cJSON_Delete(out);
            return NULL;
        }
        if (cJSON_IsObject(out))
            cJSON_AddItemToObject(out, m->string, v);
        else
            cJSON_AddItemToArray(out, v);
    }
    return out;
}

/* ---- matchers ---- */

int scn_json_equal(const cJSON *a, const cJSON *b)
{
    if (!a || !b)
        return a == b;
    if (cJSON_IsNumber(a) && cJSON_IsNumber(b))
        return a->valuedouble == b->valuedouble;
    if (cJSON_IsBool(a) && cJSON_IsBool(b))
        return cJSON_IsTrue(a) == cJSON_IsTrue(b);
    if ((a->type & 0xFF) != (b->type & 0xFF))
        return 0;
    if (cJSON_IsString(a))
        return strcmp(a->valuestring, b->valuestring) == 0;
    if (cJSON_IsArray(a)) {
        if (cJSON_GetArraySize(a) != cJSON_GetArraySize(b))
            return 0;
        for (const cJSON *x = a->child, *y = b->child; x;
             x = x->next, y = y->next)
            if (!scn_json_equal(x, y))
                return 0;
        return 1;
    }
    if (cJSON_IsObject(a)) {
        if (cJSON_GetArraySize(a) != cJSON_GetArraySize(b))
            return 0;
        for (const cJSON *x = a->child; x; x = x->next)
            if (!scn_json_equal(x,
                                cJSON_GetObjectItemCaseSensitive(b, x->string)))
                return 0;
        return 1;
    }
    return 1; /* both null */
}

/* JSON text of `v` cut to fit a message; "(absent)" for NULL. */
static void scn_show(const cJSON *v, char *out, size_t size)
{
    if (!v) {
        snprintf(out, size, "(absent)");
        return;
    }
    char *text = cJSON_PrintUnformatted(v);
    if (strlen(text) >= size && size > 4)
        snprintf(out, size, "%.*s...", (int)size - 4, text);
    else
        snprintf(out, size, "%s", text);
    free(text);
}

static const char *const scn_matcher_keys[] = {
    "equals", "not_equals", "contains", "matches", "exists",
    "count",  "min",        "max",      "one_of",
};

int scn_is_matcher(const cJSON *m)
{
    if (!cJSON_IsObject(m) || !m->child)
        return 0;
    for (const cJSON *k = m->child; k; k = k->next) {
        int known = 0;
        for (size_t i = 0;
             i < sizeof scn_matcher_keys / sizeof *scn_matcher_keys; i++)
            known |= strcmp(k->string, scn_matcher_keys[i]) == 0;
        if (!known)
            return 0;
    }
    return 1;
}

static int scn_contains(const cJSON *actual, const cJSON *want)
{
    if (cJSON_IsString(actual) && cJSON_IsString(want))
        return strstr(actual->valuestring, want->valuestring) != NULL;
    if (cJSON_IsArray(actual)) {
        for (const cJSON *x = actual->child; x; x = x->next)
            if (scn_json_equal(x, want))
                return 1;
        return 0;
    }
    if (cJSON_IsObject(actual) && cJSON_IsObject(want)) {
        /* Every member of `want` is present with an equal value. */
        for (const cJSON *m = want->child; m; m = m->next)
            if (!scn_json_equal(
                    cJSON_GetObjectItemCaseSensitive(actual, m->string), m))
                return 0;
        return 1;
    }
    return 0;
}

static int scn_size_of(const cJSON *v)
{
    if (cJSON_IsArray(v) || cJSON_IsObject(v))
        return cJSON_GetArraySize(v);
    if (cJSON_IsString(v))
        return (int)strlen(v->valuestring);
    return -1;
}

int scn_match(const cJSON *actual, const cJSON *matcher, char *why,
              size_t why_size)
{
    char shown[512], wanted[512];

    if (!scn_is_matcher(matcher)) {
        if (scn_json_equal(actual, matcher))
            return 1;
        scn_show(actual, shown, sizeof shown);
        scn_show(matcher, wanted, sizeof wanted);
        snprintf(why, why_size, "expected %s, got %s", wanted, shown);
        return 0;
    }

    for (const cJSON *k = matcher->child; k; k = k->next) {
        const char *op = k->string;
        scn_show(actual, shown, sizeof shown);
        scn_show(k, wanted, sizeof wanted);

        if (strcmp(op, "exists") == 0) {
            if (!cJSON_IsBool(k)) {
                snprintf(why, why_size, "exists takes true or false");
                return -1;
            }
            if ((actual != NULL) != cJSON_IsTrue(k)) {
                snprintf(why, why_size, "expected %s, got %s",
                         cJSON_IsTrue(k) ? "a value" : "no value", shown);
                return 0;
            }
            continue;
        }
        if (!actual) {
            snprintf(why, why_size, "expected a value (%s %s), got none", op,
                     wanted);
            return 0;
        }
        if (strcmp(op, "equals") == 0) {
            if (!scn_json_equal(actual, k)) {
                snprintf(why, why_size, "expected %s, got %s", wanted, shown);
                return 0;
            }
        } else if (strcmp(op, "not_equals") == 0) {
            if (scn_json_equal(actual, k)) {
                snprintf(why, why_size, "expected anything but %s", wanted);
                return 0;
            }
        } else if (strcmp(op, "contains") == 0) {
            if (!scn_contains(actual, k)) {
                snprintf(why, why_size, "expected %s to contain %s", shown,
                         wanted);
                return 0;
            }
        } else if (strcmp(op, "matches") == 0) {
            regex_t re;
            if (!cJSON_IsString(k) ||
                regcomp(&re, k->valuestring, REG_EXTENDED | REG_NOSUB) != 0) {
                snprintf(why, why_size,
                         "matches takes a POSIX extended regular "
                         "expression, got %s",
                         wanted);
                return -1;
            }
            int hit = cJSON_IsString(actual) &&
                      regexec(&re, actual->valuestring, 0, NULL, 0) == 0;
            regfree(&re);
            if (!hit) {
                snprintf(why, why_size, "expected %s to match %s", shown,
                         wanted);
                return 0;
            }
        } else if (strcmp(op, "count") == 0) {
            if (!cJSON_IsNumber(k)) {
                snprintf(why, why_size, "count takes a number, got %s", wanted);
                return -1;
            }
            int size = scn_size_of(actual);
            if (size != (int)k->valuedouble) {
                snprintf(why, why_size, "expected %d elements, got %d: %s",
                         (int)k->valuedouble, size, shown);
                return 0;
            }
        } else if (strcmp(op, "min") == 0 || strcmp(op, "max") == 0) {
            if (!cJSON_IsNumber(k)) {
                snprintf(why, why_size, "%s takes a number, got %s", op,
                         wanted);
                return -1;
            }
            int is_min = op[1] == 'i';
            if (!cJSON_IsNumber(actual) ||
                (is_min ? actual->valuedouble < k->valuedouble
                        : actual->valuedouble > k->valuedouble)) {
                snprintf(why, why_size, "expected a number %s %s, got %s",
                         is_min ? ">=" : "<=", wanted, shown);
                return 0;
            }
        } else if (strcmp(op, "one_of") == 0) {
            if (!cJSON_IsArray(k)) {
                snprintf(why, why_size, "one_of takes a list, got %s", wanted);
                return -1;
            }
            int hit = 0;
            for (const cJSON *x = k->child; x && !hit; x = x->next)
                hit = scn_json_equal(actual, x);
            if (!hit) {
                snprintf(why, why_size, "expected one of %s, got %s", wanted,
                         shown);
                return 0;
            }
        }
    }
    return 1;
}
