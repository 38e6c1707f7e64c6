/*
 * scn_query.c: the Query protocol for `aws` steps. Parameters are
 * flattened into a form body the way aws_query_decode reads them back. The
 * service's aws_query_protocol table names the lists and maps, and other
 * nested members follow AWS's general Query rules ("Name.Member",
 * "Name.member.N"). The XML response is turned back into JSON: the
 * <ActionResult> element's content, or the <Error> element of an
 * ErrorResponse.
 *
 * The XML reader covers what Query responses contain: elements, text, the
 * five named entities and ASCII numeric character references. It skips
 * attributes, comments and processing instructions, and has no CDATA.
 */
#include "scn_query.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static void scn_form_escape(strbuf *out, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
            (*p >= '0' && *p <= '9') || strchr("-_.~", *p))
            strbuf_append(out, (const char *)p, 1);
        else
            strbuf_printf(out, "%%%02X", *p);
    }
}

static void scn_form_add(strbuf *out, const char *name, const cJSON *value)
{
    char *text;
    if (cJSON_IsString(value))
        text = xstrdup(value->valuestring);
    else if (cJSON_IsBool(value))
        text = xstrdup(cJSON_IsTrue(value) ? "true" : "false");
    else
        text = cJSON_PrintUnformatted(value);
    strbuf_puts(out, "&");
    scn_form_escape(out, name);
    strbuf_puts(out, "=");
    scn_form_escape(out, text);
    free(text);
}

/* Flatten a member without a table row: scalars as they are, structures
 * as "prefix.Member", lists as "prefix.member.N". */
static void scn_form_generic(strbuf *out, const char *prefix,
                             const cJSON *value)
{
    char name[512];
    if (cJSON_IsObject(value)) {
        for (const cJSON *m = value->child; m; m = m->next) {
            snprintf(name, sizeof name, "%s.%s", prefix, m->string);
            scn_form_generic(out, name, m);
        }
    } else if (cJSON_IsArray(value)) {
        int i = 1;
        for (const cJSON *e = value->child; e; e = e->next, i++) {
            snprintf(name, sizeof name, "%s.member.%d", prefix, i);
            scn_form_generic(out, name, e);
        }
    } else if (!cJSON_IsNull(value)) {
        scn_form_add(out, prefix, value);
    }
}

static const aws_query_member *scn_query_member(const aws_query_protocol *proto,
                                                const char *action,
                                                const char *json,
                                                const char *wire)
{
    for (size_t i = 0; proto && i < proto->member_count; i++) {
        const aws_query_member *m = &proto->members[i];
        if (m->action && strcmp(m->action, action) != 0)
            continue;
        if ((json && strcmp(m->json, json) == 0) ||
            (wire && strcmp(m->wire, wire) == 0))
            return m;
    }
    return NULL;
}

/* Flatten the members of one request object (or list entry). */
static void scn_form_members(strbuf *out, const aws_query_protocol *proto,
                             const char *action, const char *prefix,
                             const cJSON *obj)
{
    char name[512];
    for (const cJSON *v = obj->child; v; v = v->next) {
        const aws_query_member *m =
            scn_query_member(proto, action, v->string, NULL);
        if (!m) {
            snprintf(name, sizeof name, "%s%s", prefix, v->string);
            scn_form_generic(out, name, v);
            continue;
        }
        int i = 1;
        for (const cJSON *e = v->child; e; e = e->next, i++) {
            char entry[512];
            snprintf(entry, sizeof entry, "%s%s.%d", prefix, m->wire, i);
            if (m->kind == AWS_QUERY_LIST) {
                scn_form_add(out, entry, e);
            } else if (m->kind == AWS_QUERY_STRUCT_LIST) {
                snprintf(name, sizeof name, "%s.", entry);
                if (cJSON_IsObject(e))
                    scn_form_members(out, proto, action, name, e);
            } else {
                snprintf(name, sizeof name, "%s.%s", entry, m->key_name);
                cJSON *key = cJSON_CreateString(e->string);
                scn_form_add(out, name, key);
                cJSON_Delete(key);
                snprintf(name, sizeof name, "%s.%s", entry, m->value_name);
                scn_form_generic(out, name, e);
            }
        }
    }
}

char *scn_query_encode(const aws_query_protocol *proto, const char *action,
                       const cJSON *params)
{
    strbuf out;
    strbuf_init(&out);
    strbuf_puts(&out, "Action=");
    scn_form_escape(&out, action);
    if (params)
        scn_form_members(&out, proto, action, "", params);
    return strbuf_take(&out, NULL);
}

/* ---- a small XML reader ---- */

typedef struct scn_xml {
    const char *p, *end;
} scn_xml;

static void scn_xml_skip_misc(scn_xml *x)
{
    for (;;) {
        while (x->p < x->end && strchr(" \t\r\n", *x->p))
            x->p++;
        if (x->end - x->p >= 4 && strncmp(x->p, "<!--", 4) == 0) {
            const char *close = strstr(x->p, "-->");
            x->p = close ? close + 3 : x->end;
        } else if (x->end - x->p >= 2 && strncmp(x->p, "<?", 2) == 0) {
            const char *close = strstr(x->p, "?>");
            x->p = close ? close + 2 : x->end;
        } else {
            return;
        }
    }
}

/* Append text with entities decoded. */
static void scn_xml_text(strbuf *out, const char *s, size_t len)
{
    static const struct {
        const char *name;
        char c;
    } named[] = {{"amp;", '&'},
                 {"lt;", '<'},
                 {"gt;", '>'},
                 {"quot;", '"'},
                 {"apos;", '\''}};
    for (size_t i = 0; i < len; i++) {
        if (s[i] != '&') {
            strbuf_append(out, s + i, 1);
            continue;
        }
        size_t k;
        for (k = 0; k < sizeof named / sizeof *named; k++) {
            size_t n = strlen(named[k].name);
            if (i + 1 + n <= len && strncmp(s + i + 1, named[k].name, n) == 0) {
                strbuf_append(out, &named[k].c, 1);
                i += n;
                break;
            }
        }
        if (k < sizeof named / sizeof *named)
            continue;
        if (i + 2 < len && s[i + 1] == '#') {
            char *stop;
            int hex = s[i + 2] == 'x' || s[i + 2] == 'X';
            unsigned long code = strtoul(s + i + 2 + hex, &stop, hex ? 16 : 10);
            if (*stop == ';' && code > 0 && code < 0x80) {
                char c = (char)code;
                strbuf_append(out, &c, 1);
                i = (size_t)(stop - s);
                continue;
            }
        }
        strbuf_append(out, s + i, 1);
    }
}

/* Parse one element at x->p into `*name` (new string) and a JSON value:
 * a string for text content, an object of children otherwise (a repeated
 * child name becomes a list). Returns NULL on malformed input. */
static cJSON *scn_xml_element(scn_xml *x, char **name, int depth)
{
    if (depth > 64 || x->p >= x->end || *x->p != '<')
        return NULL;
    const char *start = x->p + 1;
    size_t n = strcspn(start, " \t\r\n/>");
    *name = xstrndup(start, n);
    const char *gt = memchr(start, '>', (size_t)(x->end - start));
    if (!gt)
        return NULL;
    x->p = gt + 1;
    if (gt[-1] == '/')
        return cJSON_CreateString("");

    cJSON *children = NULL;
    strbuf text;
    strbuf_init(&text);
    for (;;) {
        const char *lt = memchr(x->p, '<', (size_t)(x->end - x->p));
        if (!lt) {
            strbuf_free(&text);
            cJSON_Delete(children);
            return NULL;
        }
        scn_xml_text(&text, x->p, (size_t)(lt - x->p));
        x->p = lt;
        if (x->end - x->p >= 2 && x->p[1] == '/') {
            const char *close = memchr(x->p, '>', (size_t)(x->end - x->p));
            x->p = close ? close + 1 : x->end;
            break;
        }
        if (x->end - x->p >= 4 && strncmp(x->p, "<!--", 4) == 0) {
            scn_xml_skip_misc(x);
            continue;
        }
        char *child_name = NULL;
        cJSON *child = scn_xml_element(x, &child_name, depth + 1);
        if (!child) {
            free(child_name);
            strbuf_free(&text);
            cJSON_Delete(children);
            return NULL;
        }
        if (!children)
            children = cJSON_CreateObject();
        cJSON *prev = cJSON_GetObjectItemCaseSensitive(children, child_name);
        if (!prev) {
            cJSON_AddItemToObject(children, child_name, child);
        } else if (cJSON_IsArray(prev)) {
            cJSON_AddItemToArray(prev, child);
        } else {
            cJSON *list = cJSON_CreateArray();
            cJSON_AddItemToArray(list, cJSON_DetachItemFromObjectCaseSensitive(
                                           children, child_name));
            cJSON_AddItemToArray(list, child);
            cJSON_AddItemToObject(children, child_name, list);
        }
        free(child_name);
    }
    if (children) {
        strbuf_free(&text);
        return children;
    }
    cJSON *out = cJSON_CreateString(text.data ? text.data : "");
    strbuf_free(&text);
    return out;
}

/* Whether `v` is an object whose only members are "member" elements,
 * AWS's general Query encoding of a list. */
static int scn_query_is_member_list(const cJSON *v)
{
    return cJSON_IsObject(v) && v->child && !v->child->next &&
           strcmp(v->child->string, "member") == 0;
}

/*
 * Give lists and maps their JSON shape, recursively: "member" wrappers
 * become lists, and table members are renamed from their wire names to
 * their JSON names.
 *
 * NOTE: a wire name can be both a list entry and a plain member (SQS's
 * QueueUrl), and the table has no output model to tell them apart. A
 * table list is therefore recognized only when its element repeats, so a
 * one-element list keeps its wire name and a scalar value.
 */
static cJSON *scn_query_shape(const aws_query_protocol *proto,
                              const char *action, cJSON *value)
{
    if (scn_query_is_member_list(value)) {
        cJSON *member = cJSON_DetachItemViaPointer(value, value->child);
        cJSON_Delete(value);
        cJSON *list = cJSON_IsArray(member) ? member : cJSON_CreateArray();
        if (list != member)
            cJSON_AddItemToArray(list, member);
        cJSON *out = cJSON_CreateArray();
        while (list->child)
            cJSON_AddItemToArray(
                out,
                scn_query_shape(proto, action,
                                cJSON_DetachItemViaPointer(list, list->child)));
        cJSON_Delete(list);
        return out;
    }
    if (!cJSON_IsObject(value))
        return value;

    cJSON *out = cJSON_CreateObject();
    while (value->child) {
        cJSON *v = cJSON_DetachItemViaPointer(value, value->child);
        char *name = xstrdup(v->string);
        const aws_query_member *m =
            scn_query_member(proto, action, NULL, v->string);
        int is_list = m && (m->kind == AWS_QUERY_LIST ||
                            m->kind == AWS_QUERY_STRUCT_LIST);
        if (!m || (is_list && !cJSON_IsArray(v))) {
            cJSON_AddItemToObject(out, name, scn_query_shape(proto, action, v));
            free(name);
            continue;
        }
        free(name);
        cJSON *items = v;
        if (!cJSON_IsArray(items)) {
            items = cJSON_CreateArray();
            cJSON_AddItemToArray(items, v);
        }
        cJSON *shaped = is_list ? cJSON_CreateArray() : cJSON_CreateObject();
        for (cJSON *e = items->child; e; e = e->next) {
            if (is_list) {
                cJSON_AddItemToArray(
                    shaped,
                    scn_query_shape(proto, action, cJSON_Duplicate(e, 1)));
                continue;
            }
            const cJSON *key = cJSON_GetObjectItemCaseSensitive(e, m->key_name);
            cJSON *val = cJSON_GetObjectItemCaseSensitive(e, m->value_name);
            if (cJSON_IsString(key) && val)
                cJSON_AddItemToObject(shaped, key->valuestring,
                                      cJSON_Duplicate(val, 1));
        }
        cJSON_Delete(items);
        cJSON_AddItemToObject(out, m->json, shaped);
    }
    cJSON_Delete(value);
    return out;
}

cJSON *scn_xml_document(const char *xml, size_t len, char **root)
{
    scn_xml x = {xml, xml + len};
    *root = NULL;
    scn_xml_skip_misc(&x);
    cJSON *doc = scn_xml_element(&x, root, 0);
    return doc ? scn_query_shape(NULL, "", doc) : NULL;
}

cJSON *scn_query_decode_xml(const aws_query_protocol *proto, const char *action,
                            const char *xml, size_t len, char **error_code)
{
    scn_xml x = {xml, xml + len};
    char *root_name = NULL;
    *error_code = NULL;
    scn_xml_skip_misc(&x);
    cJSON *root = scn_xml_element(&x, &root_name, 0);
    if (!root) {
        free(root_name);
        return NULL;
    }

    cJSON *out = NULL;
    if (strcmp(root_name, "ErrorResponse") == 0) {
        cJSON *error = cJSON_DetachItemFromObjectCaseSensitive(root, "Error");
        const cJSON *code = cJSON_GetObjectItemCaseSensitive(error, "Code");
        if (cJSON_IsString(code))
            *error_code = xstrdup(code->valuestring);
        out = error ? error : cJSON_CreateObject();
    } else {
        char result[256];
        snprintf(result, sizeof result, "%sResult", action);
        cJSON *content = cJSON_DetachItemFromObjectCaseSensitive(root, result);
        if (!content || cJSON_IsString(content)) {
            cJSON_Delete(content);
            content = cJSON_CreateObject();
        }
        out = scn_query_shape(proto, action, content);
    }
    cJSON_Delete(root);
    free(root_name);
    return out;
}
