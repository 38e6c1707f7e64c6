/*
 * aws_query.c: the Query protocol codec (see aws_query.h): form decoding
 * into JSON requests and XML encoding of results and errors.
 */
#include "aws_query.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http.h"
#include "util.h"

int aws_query_is_request(const http_request *req)
{
    const char *type = http_request_header(req, "Content-Type");
    if (type && strncasecmp(type, "application/x-www-form-urlencoded", 33) == 0)
        return 1;
    const char *q = req->query ? req->query : "";
    return strncmp(q, "Action=", 7) == 0 || strstr(q, "&Action=") != NULL;
}

static int aws_query_hex(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Percent-decode a form field ('+' is a space). Returns a new string. */
static char *aws_query_unescape(const char *s, size_t len)
{
    char *out = xmalloc(len + 1);
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '%' && i + 2 < len && aws_query_hex(s[i + 1]) >= 0 &&
            aws_query_hex(s[i + 2]) >= 0) {
            out[o++] =
                (char)(aws_query_hex(s[i + 1]) * 16 + aws_query_hex(s[i + 2]));
            i += 2;
        } else {
            out[o++] = s[i] == '+' ? ' ' : s[i];
        }
    }
    out[o] = '\0';
    return out;
}

/* Add the fields of "a=1&b=2" (`len` bytes) to `params`; a repeated name
 * keeps its first value. */
static void aws_query_parse(const char *text, size_t len, cJSON *params)
{
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *stop = amp ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(stop - p));
        if (stop > p) {
            char *key = aws_query_unescape(p, (size_t)((eq ? eq : stop) - p));
            char *value =
                eq ? aws_query_unescape(eq + 1, (size_t)(stop - eq - 1))
                   : xstrdup("");
            if (!cJSON_GetObjectItemCaseSensitive(params, key))
                cJSON_AddStringToObject(params, key, value);
            free(key);
            free(value);
        }
        p = stop + 1;
    }
}

/* Whether member `m` applies to `action`. */
static int aws_query_member_applies(const aws_query_member *m,
                                    const char *action)
{
    return !m->action || (action && strcmp(m->action, action) == 0);
}

static const aws_query_member *
aws_query_member_by_json(const aws_query_protocol *proto, const char *action,
                         const char *json, int encoding)
{
    for (size_t i = 0; i < proto->member_count; i++)
        if (aws_query_member_applies(&proto->members[i], action) &&
            !(encoding && proto->members[i].request_only) &&
            strcmp(proto->members[i].json, json) == 0)
            return &proto->members[i];
    return NULL;
}

static const aws_query_member *
aws_query_member_by_wire(const aws_query_protocol *proto, const char *action,
                         const char *key, long *index, const char **rest)
{
    for (size_t i = 0; i < proto->member_count; i++) {
        const aws_query_member *m = &proto->members[i];
        size_t len = strlen(m->wire);
        if (!aws_query_member_applies(m, action) ||
            strncmp(key, m->wire, len) != 0 || key[len] != '.')
            continue;
        char *after = NULL;
        long n = strtol(key + len + 1, &after, 10);
        if (after == key + len + 1 || n < 1)
            continue;
        *index = n;
        *rest = after;
        return m;
    }
    return NULL;
}

/* The entry object for index `n` of a list or map being decoded. */
static cJSON *aws_query_entry(cJSON *entries, long n)
{
    char name[32];
    snprintf(name, sizeof name, "%ld", n);
    cJSON *e = cJSON_GetObjectItemCaseSensitive(entries, name);
    if (!e)
        e = cJSON_AddObjectToObject(entries, name);
    return e;
}

static int aws_query_index_cmp(const void *a, const void *b)
{
    long x = strtol((*(const cJSON *const *)a)->string, NULL, 10);
    long y = strtol((*(const cJSON *const *)b)->string, NULL, 10);
    return (x > y) - (x < y);
}

static cJSON *aws_query_decode_params(const aws_query_protocol *proto,
                                      const char *action, const cJSON *params);

/* Whether `s` is "member." followed by a list index. */
static int aws_query_is_member_key(const char *s)
{
    return strncmp(s, "member.", 7) == 0 && s[7] >= '1' && s[7] <= '9';
}

/*
 * Store `value` at the dotted path `key` below `body` for a nested Query
 * protocol. A "member.N" pair becomes a child named "member.N", which
 * aws_query_lists later turns into array entries.
 */
static void aws_query_insert_path(cJSON *body, const char *key,
                                  const char *value)
{
    cJSON *cur = body;
    const char *p = key;
    for (;;) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        if (len == 6 && strncmp(p, "member", 6) == 0 && dot &&
            aws_query_is_member_key(p)) {
            /* Keep "member.N" together as one child name. */
            const char *next = strchr(dot + 1, '.');
            len = next ? (size_t)(next - p) : strlen(p);
            dot = next;
        }
        char *name = xstrndup(p, len);
        cJSON *child = cJSON_GetObjectItemCaseSensitive(cur, name);
        if (!dot) {
            if (!child)
                cJSON_AddStringToObject(cur, name, value);
            free(name);
            return;
        }
        if (child && !cJSON_IsObject(child)) {
            /* An empty list sent as "Name=" followed by its entries. */
            cJSON_DeleteItemFromObjectCaseSensitive(cur, name);
            child = NULL;
        }
        if (!child)
            child = cJSON_AddObjectToObject(cur, name);
        free(name);
        cur = child;
        p = dot + 1;
    }
}

/* Replace the child `c` of `parent` by `replacement`, keeping its name. */
static void aws_query_replace(cJSON *parent, cJSON *c, cJSON *replacement)
{
    replacement->string = xstrdup(c->string);
    cJSON_ReplaceItemViaPointer(parent, c, replacement);
}

static int aws_query_member_index_cmp(const void *a, const void *b)
{
    long x = strtol((*(const cJSON *const *)a)->string + 7, NULL, 10);
    long y = strtol((*(const cJSON *const *)b)->string + 7, NULL, 10);
    return (x > y) - (x < y);
}

/*
 * Turn every object below `node` whose children are "member.N" into an
 * array ordered by N. Returns `node` itself, or a new array the caller puts
 * in its place when `node` is such a list.
 */
static cJSON *aws_query_lists(cJSON *node)
{
    if (!cJSON_IsObject(node))
        return node;
    for (cJSON *c = node->child; c;) {
        cJSON *converted = aws_query_lists(c);
        if (converted != c)
            aws_query_replace(node, c, converted);
        c = converted->next;
    }
    if (!node->child || !aws_query_is_member_key(node->child->string))
        return node;
    size_t count = (size_t)cJSON_GetArraySize(node);
    cJSON **sorted = xcalloc(count, sizeof *sorted);
    size_t n = 0;
    for (cJSON *c = node->child; c; c = c->next)
        if (aws_query_is_member_key(c->string))
            sorted[n++] = c;
    qsort(sorted, n, sizeof *sorted, aws_query_member_index_cmp);
    cJSON *array = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(array, cJSON_Duplicate(sorted[i], 1));
    free(sorted);
    return array;
}

/* Turn the collected entries of one member into its JSON value. */
static cJSON *aws_query_build(const aws_query_protocol *proto,
                              const char *action, const aws_query_member *m,
                              cJSON *entries)
{
    size_t count = (size_t)cJSON_GetArraySize(entries);
    cJSON **sorted = xcalloc(count ? count : 1, sizeof *sorted);
    size_t n = 0;
    cJSON *e;
    cJSON_ArrayForEach(e, entries) sorted[n++] = e;
    qsort(sorted, n, sizeof *sorted, aws_query_index_cmp);

    int is_list = m->kind == AWS_QUERY_LIST || m->kind == AWS_QUERY_STRUCT_LIST;
    cJSON *out = is_list ? cJSON_CreateArray() : cJSON_CreateObject();
    for (size_t i = 0; i < n; i++) {
        cJSON *entry = sorted[i];
        if (m->kind == AWS_QUERY_LIST) {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(entry, "");
            if (cJSON_IsString(v))
                cJSON_AddItemToArray(out, cJSON_CreateString(v->valuestring));
            continue;
        }
        if (m->kind == AWS_QUERY_STRUCT_LIST) {
            /* The entry contains the structure's own flattened members. */
            cJSON_AddItemToArray(out,
                                 aws_query_decode_params(proto, action, entry));
            continue;
        }
        const cJSON *key = cJSON_GetObjectItemCaseSensitive(entry, "key");
        cJSON *value = cJSON_GetObjectItemCaseSensitive(entry, "value");
        if (!cJSON_IsString(key) || !value)
            continue;
        cJSON_DeleteItemFromObjectCaseSensitive(out, key->valuestring);
        cJSON_AddItemToObject(out, key->valuestring, cJSON_Duplicate(value, 1));
    }
    free(sorted);
    return out;
}

cJSON *aws_query_decode(const aws_query_protocol *proto,
                        const http_request *req, char **action)
{
    cJSON *params = cJSON_CreateObject();
    if (req->query)
        aws_query_parse(req->query, strlen(req->query), params);
    if (req->body && req->body_len)
        aws_query_parse(req->body, req->body_len, params);

    const cJSON *a = cJSON_GetObjectItemCaseSensitive(params, "Action");
    *action = cJSON_IsString(a) ? xstrdup(a->valuestring) : NULL;
    cJSON *body = aws_query_decode_params(proto, *action, params);
    cJSON_Delete(params);
    return body;
}

/* Decode flattened Query parameters (an object of strings) into a JSON
 * request, recursing into lists of structures. */
static cJSON *aws_query_decode_params(const aws_query_protocol *proto,
                                      const char *action, const cJSON *params)
{
    /* Collect list and map entries by member and index first, since the
     * fields of one entry arrive in any order. */
    cJSON *collected = cJSON_CreateObject();
    cJSON *body = cJSON_CreateObject();
    const cJSON *p;
    cJSON_ArrayForEach(p, params)
    {
        const char *key = p->string;
        if (strcmp(key, "Action") == 0 || strcmp(key, "Version") == 0 ||
            strncmp(key, "X-Amz-", 6) == 0)
            continue;
        long n = 0;
        const char *rest = NULL;
        const aws_query_member *m =
            aws_query_member_by_wire(proto, action, key, &n, &rest);
        if (!m && proto->nested && strchr(key, '.')) {
            aws_query_insert_path(body, key, p->valuestring);
            continue;
        }
        if (!m) {
            cJSON_AddStringToObject(body, key, p->valuestring);
            continue;
        }
        cJSON *entries = cJSON_GetObjectItemCaseSensitive(collected, m->json);
        if (!entries)
            entries = cJSON_AddObjectToObject(collected, m->json);
        cJSON *entry = aws_query_entry(entries, n);
        size_t vlen = m->value_name ? strlen(m->value_name) : 0;
        if (m->kind == AWS_QUERY_LIST && rest[0] == '\0') {
            cJSON_AddStringToObject(entry, "", p->valuestring);
        } else if (m->kind == AWS_QUERY_STRUCT_LIST && rest[0] == '.') {
            cJSON_AddStringToObject(entry, rest + 1, p->valuestring);
        } else if (m->kind != AWS_QUERY_LIST && rest[0] == '.' &&
                   strcmp(rest + 1, m->key_name) == 0) {
            cJSON_AddStringToObject(entry, "key", p->valuestring);
        } else if (m->kind == AWS_QUERY_MAP && rest[0] == '.' &&
                   strcmp(rest + 1, m->value_name) == 0) {
            cJSON_AddStringToObject(entry, "value", p->valuestring);
        } else if (m->kind == AWS_QUERY_STRUCT_MAP && rest[0] == '.' &&
                   strncmp(rest + 1, m->value_name, vlen) == 0 &&
                   rest[1 + vlen] == '.') {
            cJSON *value = cJSON_GetObjectItemCaseSensitive(entry, "value");
            if (!value)
                value = cJSON_AddObjectToObject(entry, "value");
            cJSON_AddStringToObject(value, rest + 2 + vlen, p->valuestring);
        }
    }
    cJSON *entries;
    cJSON_ArrayForEach(entries, collected)
    {
        const aws_query_member *m =
            aws_query_member_by_json(proto, action, entries->string, 0);
        if (m)
            cJSON_AddItemToObject(body, entries->string,
                                  aws_query_build(proto, action, m, entries));
    }
    cJSON_Delete(collected);
    if (proto->nested)
        for (cJSON *c = body->child; c;) {
            cJSON *converted = aws_query_lists(c);
            if (converted != c)
                aws_query_replace(body, c, converted);
            c = converted->next;
        }
    return body;
}

/* Append `s` escaped for XML text. Carriage returns are escaped too, since
 * XML parsers turn a raw CR LF into LF. */
static void aws_xml_text(strbuf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&':
            strbuf_puts(b, "&amp;");
            break;
        case '<':
            strbuf_puts(b, "&lt;");
            break;
        case '>':
            strbuf_puts(b, "&gt;");
            break;
        case '"':
            strbuf_puts(b, "&quot;");
            break;
        case '\'':
            strbuf_puts(b, "&apos;");
            break;
        case '\r':
            strbuf_puts(b, "&#xD;");
            break;
        default:
            strbuf_append(b, s, 1);
        }
    }
}

static void aws_xml_element(const aws_query_protocol *proto, const char *action,
                            strbuf *b, const char *name, const cJSON *value);

/* Encode the members of an object as XML elements. */
static void aws_xml_members(const aws_query_protocol *proto, const char *action,
                            strbuf *b, const cJSON *obj)
{
    const cJSON *v;
    cJSON_ArrayForEach(v, obj)
    {
        const aws_query_member *m =
            aws_query_member_by_json(proto, action, v->string, 1);
        if (!m && cJSON_IsArray(v)) {
            /* The Query protocol's default: a wrapped list. */
            const cJSON *e;
            strbuf_printf(b, "<%s>", v->string);
            cJSON_ArrayForEach(e, v)
                aws_xml_element(proto, action, b, "member", e);
            strbuf_printf(b, "</%s>", v->string);
            continue;
        }
        if (!m) {
            aws_xml_element(proto, action, b, v->string, v);
            continue;
        }
        const cJSON *e;
        cJSON_ArrayForEach(e, v)
        {
            if (m->kind == AWS_QUERY_LIST || m->kind == AWS_QUERY_STRUCT_LIST) {
                aws_xml_element(proto, action, b, m->wire, e);
                continue;
            }
            strbuf_printf(b, "<%s><%s>", m->wire, m->key_name);
            aws_xml_text(b, e->string);
            strbuf_printf(b, "</%s>", m->key_name);
            aws_xml_element(proto, action, b, m->value_name, e);
            strbuf_printf(b, "</%s>", m->wire);
        }
    }
}

static void aws_xml_element(const aws_query_protocol *proto, const char *action,
                            strbuf *b, const char *name, const cJSON *value)
{
    strbuf_printf(b, "<%s>", name);
    if (cJSON_IsString(value))
        aws_xml_text(b, value->valuestring);
    else if (cJSON_IsNumber(value))
        strbuf_printf(b, "%.17g", value->valuedouble);
    else if (cJSON_IsBool(value))
        strbuf_puts(b, cJSON_IsTrue(value) ? "true" : "false");
    else if (cJSON_IsObject(value))
        aws_xml_members(proto, action, b, value);
    strbuf_printf(b, "</%s>", name);
}

char *aws_query_encode(const aws_query_protocol *proto, const char *action,
                       const cJSON *result, const char *request_id)
{
    strbuf b;
    strbuf_init(&b);
    strbuf_printf(&b, "<?xml version=\"1.0\"?><%sResponse xmlns=\"%s\">",
                  action, proto->xml_namespace);
    /* Clients look for the Result element of every operation that has
     * output, even when it is empty (a receive that found nothing). AWS
     * leaves it out for operations without output, and clients ignore it
     * there, so it is always written. */
    strbuf_printf(&b, "<%sResult>", action);
    if (result)
        aws_xml_members(proto, action, &b, result);
    strbuf_printf(&b, "</%sResult>", action);
    strbuf_printf(&b,
                  "<ResponseMetadata><RequestId>%s</RequestId>"
                  "</ResponseMetadata></%sResponse>",
                  request_id, action);
    return strbuf_take(&b, NULL);
}

void aws_query_error_render(const aws_service *svc, const aws_error *err,
                            const char *request_id, http_response *resp)
{
    const aws_query_protocol *proto = svc->query;
    const char *code = proto->error_code ? proto->error_code(err->code) : NULL;
    int status = err->status ? err->status : aws_code_status(err->code);
    strbuf b;
    strbuf_init(&b);
    strbuf_printf(&b,
                  "<?xml version=\"1.0\"?><ErrorResponse xmlns=\"%s\">"
                  "<Error><Type>%s</Type><Code>",
                  proto->xml_namespace, status >= 500 ? "Receiver" : "Sender");
    aws_xml_text(&b, code ? code : aws_code_name(err->code));
    strbuf_puts(&b, "</Code><Message>");
    aws_xml_text(&b, err->message);
    strbuf_printf(&b,
                  "</Message><Detail/></Error><RequestId>%s</RequestId>"
                  "</ErrorResponse>",
                  request_id);
    size_t len = 0;
    char *xml = strbuf_take(&b, &len);
    resp->status = status;
    http_response_header(resp, "Content-Type", "text/xml");
    http_response_take_body(resp, xml, len);
}
