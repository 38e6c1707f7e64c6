/*
 * stack.c: the stack file. A YAML document with optional `Account` and
 * `Region` and a `Resources` map of logical ids to {Type, Properties}, as in
 * CloudFormation. Each resource is applied by its type's function, which
 * calls the owning service's own operation handlers, in file order, each as
 * one store call. docs/stack.md describes the format.
 */
#include "stack.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "log.h"
#include "stratus.h"
#include "util.h"

#define STACK_MAX_DEPTH 64

/* YAML 1.2 core schema: plain scalars that read as null, bool or number. */
static cJSON *stack_scalar(const yaml_event_t *ev)
{
    const char *v = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;

    if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return cJSON_CreateString(v);
    if (len == 0 || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
        strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0)
        return cJSON_CreateNull();
    if (strcmp(v, "true") == 0 || strcmp(v, "True") == 0 ||
        strcmp(v, "TRUE") == 0)
        return cJSON_CreateTrue();
    if (strcmp(v, "false") == 0 || strcmp(v, "False") == 0 ||
        strcmp(v, "FALSE") == 0)
        return cJSON_CreateFalse();

    char *end;
    double d = strtod(v, &end);
    if (*end == '\0' && end != v && strspn(v, "+-0123456789.eE") == len)
        return cJSON_CreateNumber(d);
    return cJSON_CreateString(v);
}

static void stack_attach(cJSON *parent, char **pending_key, cJSON *node)
{
    if (cJSON_IsArray(parent)) {
        cJSON_AddItemToArray(parent, node);
    } else {
        cJSON_AddItemToObject(parent, *pending_key, node);
        free(*pending_key);
        *pending_key = NULL;
    }
}

cJSON *stack_yaml_to_json(const char *text, size_t len, char *errbuf,
                          size_t errsize)
{
    yaml_parser_t parser;
    yaml_event_t ev;
    cJSON *stack[STACK_MAX_DEPTH];
    char *keys[STACK_MAX_DEPTH];
    int depth = 0;
    cJSON *root = NULL;
    int done = 0, failed = 0;

    memset(keys, 0, sizeof keys);
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);

    while (!done && !failed) {
        if (!yaml_parser_parse(&parser, &ev)) {
            snprintf(errbuf, errsize, "invalid YAML at line %zu: %s",
                     parser.problem_mark.line + 1,
                     parser.problem ? parser.problem : "syntax error");
            failed = 1;
            break;
        }
        cJSON *node = NULL;
        int opens = 0;

        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
        case YAML_DOCUMENT_END_EVENT:
            done = ev.type == YAML_STREAM_END_EVENT || root != NULL;
            break;
        case YAML_ALIAS_EVENT:
            snprintf(errbuf, errsize,
                     "YAML aliases are not supported (line %zu)",
                     ev.start_mark.line + 1);
            failed = 1;
            break;
        case YAML_SCALAR_EVENT:
            if (depth > 0 && cJSON_IsObject(stack[depth - 1]) &&
                !keys[depth - 1]) {
                keys[depth - 1] = xstrdup((const char *)ev.data.scalar.value);
                break;
            }
            node = stack_scalar(&ev);
            break;
        case YAML_SEQUENCE_START_EVENT:
            node = cJSON_CreateArray();
            opens = 1;
            break;
        case YAML_MAPPING_START_EVENT:
            node = cJSON_CreateObject();
            opens = 1;
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            depth--;
            break;
        default:
            break;
        }

        if (node) {
            if (depth == 0) {
                if (root)
                    cJSON_Delete(root);
                root = node;
            } else if (cJSON_IsObject(stack[depth - 1]) && !keys[depth - 1]) {
                snprintf(errbuf, errsize,
                         "YAML mapping keys must be scalars (line %zu)",
                         ev.start_mark.line + 1);
                if (depth > 0 && node != root)
                    cJSON_Delete(node);
                failed = 1;
            } else {
                stack_attach(stack[depth - 1], &keys[depth - 1], node);
            }
            if (!failed && opens) {
                if (depth == STACK_MAX_DEPTH) {
                    snprintf(errbuf, errsize,
                             "YAML nesting deeper than %d levels",
                             STACK_MAX_DEPTH);
                    failed = 1;
                } else {
                    stack[depth++] = node;
                }
            }
        }
        yaml_event_delete(&ev);
    }

    for (int i = 0; i < STACK_MAX_DEPTH; i++)
        free(keys[i]);
    yaml_parser_delete(&parser);
    if (failed) {
        cJSON_Delete(root);
        return NULL;
    }
    if (!root)
        root = cJSON_CreateObject();
    return root;
}

static const stack_type *stack_type_find(const char *type)
{
    for (size_t i = 0; i < stack_type_count; i++)
        if (strcmp(stack_types[i].type, type) == 0)
            return &stack_types[i];
    return NULL;
}

static char *stack_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    strbuf b;
    strbuf_init(&b);
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        strbuf_append(&b, chunk, n);
    fclose(f);
    return strbuf_take(&b, len);
}

static const char *stack_string(const cJSON *obj, const char *name,
                                const char *fallback)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(v) ? v->valuestring : fallback;
}

int stack_apply_file(stratus *srv, const char *path, char *errbuf,
                     size_t errsize)
{
    size_t len;
    char *text = stack_read_file(path, &len);
    if (!text) {
        snprintf(errbuf, errsize, "cannot read stack file %s", path);
        return -1;
    }
    char yerr[256];
    cJSON *doc = stack_yaml_to_json(text, len, yerr, sizeof yerr);
    free(text);
    if (!doc) {
        snprintf(errbuf, errsize, "%s: %s", path, yerr);
        return -1;
    }

    const char *account = stack_string(doc, "Account", "123456789012");
    const char *region = stack_string(doc, "Region", "us-east-1");
    const cJSON *resources = cJSON_GetObjectItemCaseSensitive(doc, "Resources");
    int rc = 0;

    if (resources && !cJSON_IsObject(resources)) {
        snprintf(errbuf, errsize, "%s: Resources must be a mapping", path);
        rc = -1;
    }
    for (const cJSON *r = resources ? resources->child : NULL; r && rc == 0;
         r = r->next) {
        const char *type = stack_string(r, "Type", NULL);
        const stack_type *st = type ? stack_type_find(type) : NULL;
        if (!st) {
            snprintf(errbuf, errsize, "%s: resource %s has %s type%s%s", path,
                     r->string, type ? "unknown" : "no", type ? " " : "",
                     type ? type : "");
            rc = -1;
            break;
        }
        const cJSON *props = cJSON_GetObjectItemCaseSensitive(r, "Properties");
        cJSON *empty = props ? NULL : cJSON_CreateObject();
        aws_error err;
        memset(&err, 0, sizeof err);

        store_call_begin(srv->store);
        int ok = st->apply(srv, account, region, r->string,
                           props ? props : empty, &err) == 0;
        store_call_end(srv->store, ok);
        if (ok) {
            log_info("stack", "applied %s (%s)", r->string, type);
        } else if (err.code == AWS_ERR_RESOURCE_IN_USE) {
            log_info("stack", "kept existing %s (%s): %s", r->string, type,
                     err.message);
        } else {
            snprintf(errbuf, errsize, "%s: resource %s (%s): %s: %s", path,
                     r->string, type, aws_code_name(err.code), err.message);
            rc = -1;
        }
        aws_error_reset(&err);
        cJSON_Delete(empty);
    }
    store_commit(srv->store);
    cJSON_Delete(doc);
    return rc;
}
