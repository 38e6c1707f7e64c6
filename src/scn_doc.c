/*
 * scn_doc.c: the YAML loader of the scenario runner. It builds the same
 * JSON as the stack loader (YAML 1.2 core schema for plain scalars) and
 * also records the source line of every node, so an invalid scenario is
 * reported with the line to fix. A `!json` tag turns a mapping or a list
 * into a string holding its JSON text.
 */
#include "scn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "util.h"

#define SCN_DOC_MAX_DEPTH 64

static void scn_doc_note(scn_doc *doc, const cJSON *node, int line)
{
    if (doc->count == doc->cap) {
        doc->cap = doc->cap ? doc->cap * 2 : 64;
        doc->nodes = xrealloc(doc->nodes, doc->cap * sizeof *doc->nodes);
        doc->lines = xrealloc(doc->lines, doc->cap * sizeof *doc->lines);
    }
    doc->nodes[doc->count] = node;
    doc->lines[doc->count] = line;
    doc->count++;
}

int scn_doc_line(const scn_doc *doc, const cJSON *node)
{
    for (size_t i = 0; i < doc->count; i++)
        if (doc->nodes[i] == node)
            return doc->lines[i];
    return 0;
}

void scn_doc_free(scn_doc *doc)
{
    cJSON_Delete(doc->root);
    free(doc->nodes);
    free(doc->lines);
    memset(doc, 0, sizeof *doc);
}

/* YAML 1.2 core schema: plain scalars that read as null, bool or number. */
static cJSON *scn_doc_scalar(const yaml_event_t *ev)
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

/* One open mapping or list while the events stream in. */
typedef struct scn_doc_frame {
    cJSON *node;
    char *key;   /* a mapping's key waiting for its value */
    int as_json; /* tagged !json: becomes a string when it closes */
} scn_doc_frame;

static int scn_doc_tag_is_json(const yaml_char_t *tag)
{
    return tag && strcmp((const char *)tag, "!json") == 0;
}

/* Attach `node` to the innermost open collection. Returns -1 when a
 * mapping key is not a scalar. */
static int scn_doc_attach(scn_doc_frame *top, cJSON *node, char *errbuf,
                          size_t errsize, int line)
{
    if (cJSON_IsArray(top->node)) {
        cJSON_AddItemToArray(top->node, node);
        return 0;
    }
    if (!top->key) {
        if (!cJSON_IsString(node)) {
            snprintf(errbuf, errsize,
                     "line %d: a mapping key must be a plain string", line);
            cJSON_Delete(node);
            return -1;
        }
        top->key = xstrdup(node->valuestring);
        cJSON_Delete(node);
        return 0;
    }
    if (cJSON_GetObjectItemCaseSensitive(top->node, top->key)) {
        snprintf(errbuf, errsize, "line %d: duplicate key \"%s\"", line,
                 top->key);
        cJSON_Delete(node);
        return -1;
    }
    cJSON_AddItemToObject(top->node, top->key, node);
    free(top->key);
    top->key = NULL;
    return 0;
}

int scn_doc_parse(scn_doc *doc, const char *text, size_t len, char *errbuf,
                  size_t errsize)
{
    yaml_parser_t parser;
    yaml_event_t ev;
    scn_doc_frame stack[SCN_DOC_MAX_DEPTH];
    int depth = 0, done = 0, failed = 0, documents = 0;

    memset(doc, 0, sizeof *doc);
    memset(stack, 0, sizeof stack);
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);

    while (!done && !failed) {
        if (!yaml_parser_parse(&parser, &ev)) {
            snprintf(errbuf, errsize, "line %zu: invalid YAML: %s",
                     parser.problem_mark.line + 1,
                     parser.problem ? parser.problem : "syntax error");
            failed = 1;
            break;
        }
        int line = (int)ev.start_mark.line + 1;
        cJSON *node = NULL;
        int as_json = 0;

        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
            done = 1;
            break;
        case YAML_DOCUMENT_START_EVENT:
            if (++documents > 1) {
                snprintf(errbuf, errsize,
                         "line %d: a scenario file holds one YAML document",
                         line);
                failed = 1;
            }
            break;
        case YAML_ALIAS_EVENT:
            snprintf(errbuf, errsize,
                     "line %d: YAML aliases are not supported in scenarios",
                     line);
            failed = 1;
            break;
        case YAML_SCALAR_EVENT:
            node = scn_doc_scalar(&ev);
            scn_doc_note(doc, node, line);
            if (depth == 0) {
                cJSON_Delete(doc->root);
                doc->root = node;
            } else if (scn_doc_attach(&stack[depth - 1], node, errbuf, errsize,
                                      line) != 0) {
                failed = 1;
            }
            break;
        case YAML_MAPPING_START_EVENT:
        case YAML_SEQUENCE_START_EVENT:
            if (depth == SCN_DOC_MAX_DEPTH) {
                snprintf(errbuf, errsize, "line %d: nesting deeper than %d",
                         line, SCN_DOC_MAX_DEPTH);
                failed = 1;
                break;
            }
            as_json = scn_doc_tag_is_json(ev.type == YAML_MAPPING_START_EVENT
                                              ? ev.data.mapping_start.tag
                                              : ev.data.sequence_start.tag);
            node = ev.type == YAML_MAPPING_START_EVENT ? cJSON_CreateObject()
                                                       : cJSON_CreateArray();
            scn_doc_note(doc, node, line);
            if (depth > 0 && cJSON_IsObject(stack[depth - 1].node) &&
                !stack[depth - 1].key) {
                snprintf(errbuf, errsize,
                         "line %d: a mapping key must be a plain string", line);
                cJSON_Delete(node);
                failed = 1;
                break;
            }
            stack[depth].node = node;
            stack[depth].key = NULL;
            stack[depth].as_json = as_json;
            depth++;
            break;
        case YAML_MAPPING_END_EVENT:
        case YAML_SEQUENCE_END_EVENT: {
            scn_doc_frame *top = &stack[--depth];
            node = top->node;
            free(top->key);
            top->key = NULL;
            if (top->as_json) {
                char *json = cJSON_PrintUnformatted(node);
                int at = scn_doc_line(doc, node);
                cJSON_Delete(node);
                node = cJSON_CreateString(json);
                free(json);
                scn_doc_note(doc, node, at);
            }
            if (depth == 0) {
                cJSON_Delete(doc->root);
                doc->root = node;
            } else if (scn_doc_attach(&stack[depth - 1], node, errbuf, errsize,
                                      line) != 0) {
                failed = 1;
            }
            break;
        }
        default:
            break;
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);

    if (failed) {
        /* A collection joins its parent only when it closes, so every
         * open one is still separate. */
        for (int i = depth - 1; i >= 0; i--) {
            free(stack[i].key);
            cJSON_Delete(stack[i].node);
        }
        return -1;
    }
    if (!doc->root) {
        snprintf(errbuf, errsize, "line 1: the file is empty");
        return -1;
    }
    return 0;
}
