/*
 * evb_transform.c: InputTransformer rendering and validation, InputPath and
 * the JSONPath subset EventBridge evaluates.
 *
 * Rendering follows what AWS delivers (recorded against AWS by LocalStack's
 * parity tests). A template whose first non-blank character is '{' or '['
 * is a JSON template: a placeholder outside a JSON string receives the
 * value as JSON (a string with its quotes, an object or array as it is,
 * a path that resolves to nothing as ""), and a placeholder inside a JSON
 * string receives a string without its quotes, while objects and arrays keep
 * theirs, which makes the output invalid. Any other template is text: every
 * value is inserted without quotes, objects and arrays as compact JSON with
 * their quotes removed ({a:1}), and a missing value as nothing. Values are
 * never escaped.
 */
#include "evb_transform.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* ---------------------------------------------------------------------- */
/* JSONPath                                                               */

enum segment_kind { SEG_KEY, SEG_INDEX, SEG_WILDCARD };

typedef struct segment {
    enum segment_kind kind;
    char *key;
    size_t index;
} segment;

typedef struct json_path {
    segment *segments;
    size_t count;
    int wildcard; /* the path can select several values */
} json_path;

static void json_path_free(json_path *p)
{
    for (size_t i = 0; i < p->count; i++) {
        free(p->segments[i].key);
    }
    free(p->segments);
    p->segments = NULL;
    p->count = 0;
}

static void json_path_add(json_path *p, enum segment_kind kind, char *key,
                          size_t index)
{
    p->segments = xrealloc(p->segments, (p->count + 1) * sizeof *p->segments);
    p->segments[p->count].kind = kind;
    p->segments[p->count].key = key;
    p->segments[p->count].index = index;
    p->count++;
    if (kind == SEG_WILDCARD) {
        p->wildcard = 1;
    }
}

/*
 * Parse `$`, `.name`, `.*`, `[n]`, `[*]` and `['name']` steps. A dotted
 * name runs to the next '.' or '['. Returns 0, or -1 for any other syntax.
 */
static int json_path_parse(const char *s, json_path *p)
{
    memset(p, 0, sizeof *p);
    if (*s++ != '$') {
        return -1;
    }
    while (*s) {
        if (s[0] == '.' && s[1] == '*') {
            json_path_add(p, SEG_WILDCARD, NULL, 0);
            s += 2;
        } else if (*s == '.') {
            size_t n = strcspn(++s, ".[");
            if (n == 0) {
                goto fail;
            }
            json_path_add(p, SEG_KEY, xstrndup(s, n), 0);
            s += n;
        } else if (s[0] == '[' && s[1] == '*' && s[2] == ']') {
            json_path_add(p, SEG_WILDCARD, NULL, 0);
            s += 3;
        } else if (s[0] == '[' && isdigit((unsigned char)s[1])) {
            char *end;
            unsigned long long index = strtoull(s + 1, &end, 10);
            if (*end != ']' || index > 1000000000ULL) {
                goto fail;
            }
            json_path_add(p, SEG_INDEX, NULL, (size_t)index);
            s = end + 1;
        } else if (s[0] == '[' && (s[1] == '\'' || s[1] == '"')) {
            const char *close = strchr(s + 2, s[1]);
            if (!close || close[1] != ']' || close == s + 2) {
                goto fail;
            }
            json_path_add(p, SEG_KEY, xstrndup(s + 2, (size_t)(close - s - 2)),
                          0);
            s = close + 2;
        } else {
            goto fail;
        }
    }
    return 0;

fail:
    json_path_free(p);
    return -1;
}

static void json_path_eval(const cJSON *node, const json_path *p, size_t step,
                           cJSON *matches, int depth)
{
    if (step == p->count) {
        cJSON_AddItemToArray(matches, cJSON_Duplicate(node, 1));
        return;
    }
    if (depth > 128) {
        return;
    }

    const segment *seg = &p->segments[step];
    if (seg->kind == SEG_KEY) {
        const cJSON *child =
            cJSON_IsObject(node)
                ? cJSON_GetObjectItemCaseSensitive(node, seg->key)
                : NULL;
        if (child) {
            json_path_eval(child, p, step + 1, matches, depth + 1);
        }
    } else if (seg->kind == SEG_INDEX) {
        if (cJSON_IsArray(node) && seg->index < (size_t)INT_MAX) {
            const cJSON *child = cJSON_GetArrayItem(node, (int)seg->index);
            if (child) {
                json_path_eval(child, p, step + 1, matches, depth + 1);
            }
        }
    } else if (cJSON_IsArray(node) || cJSON_IsObject(node)) {
        for (const cJSON *child = node->child; child; child = child->next) {
            json_path_eval(child, p, step + 1, matches, depth + 1);
        }
    }
}

cJSON *evb_json_path_get(const cJSON *root, const char *path)
{
    json_path p;
    cJSON *matches, *result = NULL;

    if (!root || json_path_parse(path, &p)) {
        return NULL;
    }
    matches = cJSON_CreateArray();
    json_path_eval(root, &p, 0, matches, 0);
    if (p.wildcard) {
        result = cJSON_GetArraySize(matches) > 0 ? matches : NULL;
        if (!result) {
            cJSON_Delete(matches);
        }
    } else {
        result = cJSON_DetachItemFromArray(matches, 0);
        cJSON_Delete(matches);
    }
    json_path_free(&p);
    return result;
}

int evb_json_path_is_valid(const char *path)
{
    json_path p;

    if (strlen(path) > EVB_TRANSFORM_MAX_PATH_LEN ||
        json_path_parse(path, &p)) {
        return 0;
    }
    json_path_free(&p);
    return 1;
}

char *evb_input_path_render(const char *path, const cJSON *event, size_t *len)
{
    cJSON *value = evb_json_path_get(event, path);
    char *text;

    if (!value) {
        return NULL;
    }
    text = cJSON_PrintUnformatted(value);
    cJSON_Delete(value);
    if (len) {
        *len = strlen(text);
    }
    return text;
}

/* ---------------------------------------------------------------------- */
/* Placeholders                                                           */

static const char *const reserved_variables[] = {
    "aws.events.rule-arn", "aws.events.rule-name",
    "aws.events.event.ingestion-time", "aws.events.event",
    "aws.events.event.json"};

static int is_reserved(const char *name, size_t len)
{
    for (size_t i = 0;
         i < sizeof reserved_variables / sizeof *reserved_variables; i++) {
        if (strlen(reserved_variables[i]) == len &&
            memcmp(reserved_variables[i], name, len) == 0) {
            return 1;
        }
    }
    return 0;
}

static int is_name_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '-' || c == '.';
}

/*
 * The length of the placeholder name that starts after the '<' at `s`, or 0
 * when `s` does not start a placeholder. A placeholder is '<', a name of
 * letters, digits, '_', '-' and '.', then '>'; any other '<' is literal.
 */
static size_t placeholder_at(const char *s)
{
    size_t n = 0;

    if (*s != '<') {
        return 0;
    }
    while (is_name_char(s[1 + n])) {
        n++;
    }
    return n > 0 && s[1 + n] == '>' ? n : 0;
}

static const cJSON *paths_map_lookup(const cJSON *paths_map, const char *name,
                                     size_t len)
{
    for (const cJSON *e = paths_map ? paths_map->child : NULL; e; e = e->next) {
        if (strlen(e->string) == len && memcmp(e->string, name, len) == 0) {
            return e;
        }
    }
    return NULL;
}

/* The event without detail and with detail-type as detailType. */
static cJSON *event_summary(const cJSON *event,
                            const evb_transform_context *context)
{
    cJSON *out = cJSON_CreateObject();

    for (const cJSON *e = event ? event->child : NULL; e; e = e->next) {
        if (strcmp(e->string, "detail") == 0) {
            continue;
        }
        if (strcmp(e->string, "time") == 0 && context &&
            context->ingestion_time) {
            cJSON_AddStringToObject(out, "time", context->ingestion_time);
            continue;
        }
        cJSON_AddItemToObject(
            out,
            strcmp(e->string, "detail-type") == 0 ? "detailType" : e->string,
            cJSON_Duplicate(e, 1));
    }
    return out;
}

/* Resolve one placeholder to a new value, or NULL when it has none. */
static cJSON *placeholder_value(const char *name, size_t len,
                                const cJSON *paths_map, const cJSON *event,
                                const evb_transform_context *context)
{
    const cJSON *entry = paths_map_lookup(paths_map, name, len);
    const char *text = NULL;

    if (entry) {
        return cJSON_IsString(entry)
                   ? evb_json_path_get(event, entry->valuestring)
                   : NULL;
    }
    if (len == 19 && memcmp(name, "aws.events.rule-arn", len) == 0) {
        text = context ? context->rule_arn : NULL;
    } else if (len == 20 && memcmp(name, "aws.events.rule-name", len) == 0) {
        text = context ? context->rule_name : NULL;
    } else if (len == 31 &&
               memcmp(name, "aws.events.event.ingestion-time", len) == 0) {
        const cJSON *time = cJSON_GetObjectItemCaseSensitive(event, "time");
        text = context && context->ingestion_time ? context->ingestion_time
               : cJSON_IsString(time)             ? time->valuestring
                                                  : NULL;
    } else if (len == 16 && memcmp(name, "aws.events.event", len) == 0) {
        return event_summary(event, context);
    } else if (len == 21 && memcmp(name, "aws.events.event.json", len) == 0) {
        return event ? cJSON_Duplicate(event, 1) : NULL;
    }
    return text ? cJSON_CreateString(text) : NULL;
}

/* ---------------------------------------------------------------------- */
/* Rendering                                                              */

static void append_value(strbuf *out, const cJSON *value, int json_template,
                         int in_string)
{
    if (!value) {
        if (json_template && !in_string) {
            strbuf_puts(out, "\"\"");
        }
        return;
    }
    if (cJSON_IsString(value)) {
        /* NOTE: AWS does not escape the value, so a '"' or '\' in it can
         * make a JSON template's output invalid. */
        if (json_template && !in_string) {
            strbuf_puts(out, "\"");
            strbuf_puts(out, value->valuestring);
            strbuf_puts(out, "\"");
        } else {
            strbuf_puts(out, value->valuestring);
        }
        return;
    }

    char *text = cJSON_PrintUnformatted(value);
    int composite = cJSON_IsObject(value) || cJSON_IsArray(value);
    if (!json_template && composite) {
        for (const char *c = text; *c; c++) {
            if (*c != '"') {
                strbuf_append(out, c, 1);
            }
        }
    } else {
        strbuf_puts(out, text);
    }
    free(text);
}

char *evb_input_transformer_render(const cJSON *transformer, const cJSON *event,
                                   const evb_transform_context *context,
                                   size_t *len)
{
    const cJSON *paths_map =
        cJSON_GetObjectItemCaseSensitive(transformer, "InputPathsMap");
    const cJSON *template =
        cJSON_GetObjectItemCaseSensitive(transformer, "InputTemplate");
    const char *t = cJSON_IsString(template) ? template->valuestring : "";
    strbuf out;
    int in_string = 0, escaped = 0;

    const char *first = t;
    while (isspace((unsigned char)*first)) {
        first++;
    }
    int json_template = *first == '{' || *first == '[';

    strbuf_init(&out);
    for (const char *c = t; *c; c++) {
        size_t name_len = placeholder_at(c);
        if (name_len) {
            cJSON *value =
                placeholder_value(c + 1, name_len, paths_map, event, context);
            append_value(&out, value, json_template, in_string);
            cJSON_Delete(value);
            c += name_len + 1;
            continue;
        }

        /* Track JSON strings so placeholders know whether they are quoted. */
        if (in_string) {
            if (escaped) {
                escaped = 0;
            } else if (*c == '\\') {
                escaped = 1;
            } else if (*c == '"') {
                in_string = 0;
            }
        } else if (*c == '"') {
            in_string = 1;
        }
        strbuf_append(&out, c, 1);
    }
    return strbuf_take(&out, len);
}

int evb_transform_output_is_deliverable(const char *body, size_t len)
{
    size_t i = 0;
    const char *end = NULL;

    while (i < len && isspace((unsigned char)body[i])) {
        i++;
    }
    if (i == len || (body[i] != '{' && body[i] != '[')) {
        return 1;
    }

    cJSON *parsed = cJSON_ParseWithLengthOpts(body, len, &end, 0);
    if (!parsed) {
        return 0;
    }
    cJSON_Delete(parsed);
    while (end < body + len && isspace((unsigned char)*end)) {
        end++;
    }
    return end == body + len;
}

/* ---------------------------------------------------------------------- */
/* Validation                                                             */

static int valid_key(const char *key)
{
    size_t n = strlen(key);

    if (n == 0 || n > EVB_TRANSFORM_MAX_PATH_LEN) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (!isalnum((unsigned char)key[i]) && key[i] != '_' && key[i] != '-') {
            return 0;
        }
    }
    return 1;
}

int evb_input_transformer_validate(const cJSON *transformer,
                                   const char *target_id, aws_error *err)
{
    const cJSON *paths_map =
        cJSON_GetObjectItemCaseSensitive(transformer, "InputPathsMap");
    const cJSON *template =
        cJSON_GetObjectItemCaseSensitive(transformer, "InputTemplate");

    if (!cJSON_IsObject(transformer)) {
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "InputTransformer for target %s must be an object.",
                        target_id);
    }
    if (!cJSON_IsString(template)) {
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "InputTemplate for target %s is missing.", target_id);
    }
    size_t template_len = strlen(template->valuestring);
    if (template_len == 0 || template_len > EVB_TRANSFORM_MAX_TEMPLATE_LEN) {
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "InputTemplate for target %s must be 1 to %d "
                        "characters long.",
                        target_id, EVB_TRANSFORM_MAX_TEMPLATE_LEN);
    }

    if (paths_map && !cJSON_IsNull(paths_map)) {
        if (!cJSON_IsObject(paths_map)) {
            return aws_fail(err, AWS_ERR_VALIDATION,
                            "InputPathsMap for target %s must be an object.",
                            target_id);
        }
        int count = cJSON_GetArraySize(paths_map);
        if (count > EVB_TRANSFORM_MAX_PATHS) {
            return aws_fail(err, AWS_ERR_VALIDATION,
                            "InputPathsMap for target %s has %d entries; the "
                            "maximum is %d.",
                            target_id, count, EVB_TRANSFORM_MAX_PATHS);
        }
        for (const cJSON *e = paths_map->child; e; e = e->next) {
            if (!valid_key(e->string)) {
                return aws_fail(err, AWS_ERR_VALIDATION,
                                "InputPathsMap for target %s has an invalid "
                                "key %.256s: a key is 1 to 256 letters, "
                                "digits, '_' or '-'.",
                                target_id, e->string);
            }
            if (!cJSON_IsString(e) || !evb_json_path_is_valid(e->valuestring)) {
                return aws_fail(err, AWS_ERR_VALIDATION,
                                "InputPathsMap for target %s has an invalid "
                                "JSONPath for key %s.",
                                target_id, e->string);
            }
        }
    }

    for (const char *c = template->valuestring; *c; c++) {
        size_t n = placeholder_at(c);
        if (!n) {
            continue;
        }
        if (!paths_map_lookup(paths_map, c + 1, n) && !is_reserved(c + 1, n)) {
            return aws_fail(err, AWS_ERR_VALIDATION,
                            "InputTemplate for target %s contains invalid "
                            "placeholder %.*s.",
                            target_id, (int)n, c + 1);
        }
        c += n + 1;
    }
    return 0;
}

int evb_target_input_validate(const cJSON *target, aws_error *err)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(target, "Id");
    const cJSON *input = cJSON_GetObjectItemCaseSensitive(target, "Input");
    const cJSON *input_path =
        cJSON_GetObjectItemCaseSensitive(target, "InputPath");
    const cJSON *transformer =
        cJSON_GetObjectItemCaseSensitive(target, "InputTransformer");
    const char *target_id = cJSON_IsString(id) ? id->valuestring : "";

    if (cJSON_IsNull(input)) {
        input = NULL;
    }
    if (cJSON_IsNull(input_path)) {
        input_path = NULL;
    }
    if (cJSON_IsNull(transformer)) {
        transformer = NULL;
    }
    if ((input != NULL) + (input_path != NULL) + (transformer != NULL) > 1) {
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "Only one of Input, InputPath, or InputTransformer "
                        "must be provided for target %s.",
                        target_id);
    }

    if (input) {
        cJSON *parsed =
            cJSON_IsString(input) ? cJSON_Parse(input->valuestring) : NULL;
        if (!parsed) {
            return aws_fail(err, AWS_ERR_VALIDATION,
                            "Input for target %s is not valid JSON text.",
                            target_id);
        }
        cJSON_Delete(parsed);
    }
    if (input_path && (!cJSON_IsString(input_path) ||
                       !evb_json_path_is_valid(input_path->valuestring))) {
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "InputPath for target %s is not a valid JSONPath.",
                        target_id);
    }
    if (transformer) {
        return evb_input_transformer_validate(transformer, target_id, err);
    }
    return 0;
}
