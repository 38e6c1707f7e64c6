/*
 * pricing.c: the Pokémon TCG API stand-in: card search over the fixture
 * files fixtures/pricing/<name>.json (each {"data": [card, ...]}, in the v2
 * card format; api-cache.json is DynamoDB seed data and is skipped).
 *
 * The query `q` is a list of terms that must all match (AND):
 *   field:value          the words of value occur in a row in the field
 *   field:"two words"    the same, for a value with spaces
 *   !field:value         the field equals value
 *   field:val*           a word of the field starts with "val"
 *   value                a bare term is matched against the name
 * Fields are dotted paths into the card (name, set.name, set.id, number,
 * rarity, ...), and every comparison ignores ASCII case. The real API
 * also has OR, parentheses, ranges and ordering, which are rejected here
 * with a 400.
 */
#include "pricing.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fixtures.h"
#include "log.h"
#include "util.h"

#define PRICING_MAX_TERMS 16

typedef struct pricing_term {
    char field[64];
    char value[256];
    int exact;  /* "!field:value" */
    int prefix; /* "value*" */
} pricing_term;

static int pricing_hex(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent-decode a query value ('+' is a space). Returns a new string. */
static char *pricing_decode(const char *s, size_t len)
{
    char *out = xmalloc(len + 1);
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '%' && i + 2 < len && pricing_hex(s[i + 1]) >= 0 &&
            pricing_hex(s[i + 2]) >= 0) {
            out[o++] =
                (char)(pricing_hex(s[i + 1]) * 16 + pricing_hex(s[i + 2]));
            i += 2;
        } else {
            out[o++] = s[i] == '+' ? ' ' : s[i];
        }
    }
    out[o] = '\0';
    return out;
}

/* The decoded value of query parameter `name`, or NULL when absent. */
static char *pricing_query_param(const char *query, const char *name)
{
    size_t nlen = strlen(name);
    const char *p = query;
    while (p && *p) {
        const char *amp = strchr(p, '&');
        size_t len = amp ? (size_t)(amp - p) : strlen(p);
        if (len > nlen && strncmp(p, name, nlen) == 0 && p[nlen] == '=')
            return pricing_decode(p + nlen + 1, len - nlen - 1);
        if (len == nlen && strncmp(p, name, nlen) == 0)
            return xstrdup("");
        p = amp ? amp + 1 : NULL;
    }
    return NULL;
}

/* Split `q` into terms. Returns the number of terms, or -1 with a
 * message. */
static int pricing_parse(const char *q, pricing_term *terms, char *errbuf,
                         size_t errsize)
{
    int n = 0;
    const char *p = q;

    for (;;) {
        while (isspace((unsigned char)*p))
            p++;
        if (!*p)
            return n;
        if (n == PRICING_MAX_TERMS) {
            snprintf(errbuf, errsize, "The query has more than %d terms",
                     PRICING_MAX_TERMS);
            return -1;
        }
        pricing_term *t = &terms[n];
        memset(t, 0, sizeof *t);
        if (*p == '(' || *p == '-' || *p == '[' || *p == '{') {
            snprintf(errbuf, errsize,
                     "Stratus's card search does not support '%c' in q; "
                     "use field:value terms",
                     *p);
            return -1;
        }
        if (*p == '!') {
            t->exact = 1;
            p++;
        }
        /* The field, when the term has one. */
        const char *colon = p;
        while (*colon && *colon != ':' && *colon != '"' &&
               !isspace((unsigned char)*colon))
            colon++;
        if (*colon == ':') {
            snprintf(t->field, sizeof t->field, "%.*s", (int)(colon - p), p);
            p = colon + 1;
        } else {
            snprintf(t->field, sizeof t->field, "name");
        }
        /* The value: quoted, or up to the next space. */
        const char *start = p, *end;
        if (*p == '"') {
            start = ++p;
            while (*p && *p != '"')
                p++;
            if (!*p) {
                snprintf(errbuf, errsize, "Unterminated quote in q");
                return -1;
            }
            end = p++;
        } else {
            while (*p && !isspace((unsigned char)*p))
                p++;
            end = p;
        }
        size_t len = (size_t)(end - start);
        if (len > 0 && start[len - 1] == '*') {
            t->prefix = 1;
            len--;
        }
        snprintf(t->value, sizeof t->value, "%.*s", (int)len, start);
        if (strcmp(t->field, "") == 0 || strcmp(t->value, "OR") == 0 ||
            strcmp(t->value, "AND") == 0) {
            snprintf(errbuf, errsize,
                     "Stratus's card search supports only field:value "
                     "terms joined by spaces, not \"%s\"",
                     t->value);
            return -1;
        }
        n++;
    }
}

/* The string at the dotted path `field` of `card`, or NULL. */
static const char *pricing_field(const cJSON *card, const char *field)
{
    char path[64];
    snprintf(path, sizeof path, "%s", field);
    const cJSON *node = card;
    char *save = NULL;
    for (char *part = strtok_r(path, ".", &save); part && node;
         part = strtok_r(NULL, ".", &save))
        node = cJSON_GetObjectItemCaseSensitive(node, part);
    return cJSON_IsString(node) ? node->valuestring : NULL;
}

static int pricing_word_char(char c)
{
    return isalnum((unsigned char)c) || (unsigned char)c >= 0x80;
}

/* Whether `value` occurs in `text` at word boundaries (ASCII case
 * ignored); with `prefix`, only its start must be at a boundary. */
static int pricing_phrase(const char *text, const char *value, int prefix)
{
    size_t n = strlen(value);
    if (n == 0)
        return 1;
    for (const char *p = text; *p; p++) {
        if (p != text && pricing_word_char(p[-1]))
            continue;
        if (strncasecmp(p, value, n) == 0 &&
            (prefix || !pricing_word_char(p[n])))
            return 1;
    }
    return 0;
}

static int pricing_card_matches(const cJSON *card, const pricing_term *terms,
                                int count)
{
    for (int i = 0; i < count; i++) {
        const char *text = pricing_field(card, terms[i].field);
        if (!text)
            return 0;
        if (terms[i].exact
                ? strcasecmp(text, terms[i].value) != 0
                : !pricing_phrase(text, terms[i].value, terms[i].prefix))
            return 0;
    }
    return 1;
}

cJSON *pricing_search(const cJSON *cards, const char *q, char *errbuf,
                      size_t errsize)
{
    pricing_term terms[PRICING_MAX_TERMS];
    int count = pricing_parse(q ? q : "", terms, errbuf, errsize);
    if (count < 0)
        return NULL;
    cJSON *found = cJSON_CreateArray();
    const cJSON *card;
    cJSON_ArrayForEach(card, cards)
    {
        if (cJSON_IsObject(card) && pricing_card_matches(card, terms, count))
            cJSON_AddItemToArray(found, cJSON_Duplicate(card, 1));
    }
    return found;
}

static int pricing_name_compare(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every card of the fixture files, in file-name order. */
static cJSON *pricing_load_cards(void)
{
    char dir[1100];
    cJSON *cards = cJSON_CreateArray();
    char *names[256];
    size_t count = 0;

    snprintf(dir, sizeof dir, "%s/pricing", fixtures_dir());
    DIR *d = opendir(dir);
    if (!d) {
        log_warn("pricing", "cannot open the fixture folder %s", dir);
        return cards;
    }
    for (struct dirent *e = readdir(d); e && count < 256; e = readdir(d)) {
        size_t len = strlen(e->d_name);
        if (len > 5 && strcmp(e->d_name + len - 5, ".json") == 0 &&
            strcmp(e->d_name, "api-cache.json") != 0)
            names[count++] = xstrdup(e->d_name);
    }
    closedir(d);
    qsort(names, count, sizeof *names, pricing_name_compare);

    for (size_t i = 0; i < count; i++) {
        char rel[300], errbuf[512];
        snprintf(rel, sizeof rel, "pricing/%s", names[i]);
        cJSON *doc = fixtures_load_json(rel, NULL, errbuf, sizeof errbuf);
        const cJSON *data = cJSON_GetObjectItemCaseSensitive(doc, "data");
        if (!cJSON_IsArray(data))
            log_warn("pricing", "skipping %s: %s", rel,
                     doc ? "no \"data\" list" : errbuf);
        const cJSON *card;
        cJSON_ArrayForEach(card, data)
        {
            cJSON_AddItemToArray(cards, cJSON_Duplicate(card, 1));
        }
        cJSON_Delete(doc);
        free(names[i]);
    }
    return cards;
}

static void pricing_reply(http_response *resp, int status, cJSON *body)
{
    char *text = cJSON_PrintUnformatted(body);
    cJSON_Delete(body);
    resp->status = status;
    http_response_header(resp, "Content-Type",
                         "application/json; charset=utf-8");
    http_response_take_body(resp, text, strlen(text));
}

/* The API's error body: {"error": {"message", "code"}}. */
static void pricing_error(http_response *resp, int status, const char *message)
{
    cJSON *body = cJSON_CreateObject();
    cJSON *error = cJSON_AddObjectToObject(body, "error");
    cJSON_AddStringToObject(error, "message", message);
    cJSON_AddNumberToObject(error, "code", status);
    pricing_reply(resp, status, body);
}

/* Parse a positive integer parameter; `fallback` when absent. */
static int pricing_int_param(const char *query, const char *name, int fallback,
                             int *out)
{
    char *text = pricing_query_param(query, name);
    if (!text) {
        *out = fallback;
        return 0;
    }
    char *end = NULL;
    long value = strtol(text, &end, 10);
    int ok = text[0] && *end == '\0' && value >= 1 && value <= 1000000;
    free(text);
    *out = (int)value;
    return ok ? 0 : -1;
}

int pricing_handle(struct stratus *srv, const http_request *req,
                   http_response *resp)
{
    char errbuf[256];
    int page, page_size;

    (void)srv;
    if (strcmp(req->path, PRICING_CARDS_PATH) != 0 &&
        strcmp(req->path, PRICING_CARDS_PATH "/") != 0)
        return 0;
    if (strcmp(req->method, "GET") != 0) {
        http_response_header(resp, "Allow", "GET");
        pricing_error(resp, 405, "Only GET is supported on this path");
        return 1;
    }
    if (pricing_int_param(req->query, "page", 1, &page) != 0 ||
        pricing_int_param(req->query, "pageSize", PRICING_MAX_PAGE_SIZE,
                          &page_size) != 0) {
        pricing_error(resp, 400, "page and pageSize must be positive integers");
        return 1;
    }
    if (page_size > PRICING_MAX_PAGE_SIZE)
        page_size = PRICING_MAX_PAGE_SIZE;

    char *q = pricing_query_param(req->query, "q");
    cJSON *cards = pricing_load_cards();
    cJSON *found = pricing_search(cards, q, errbuf, sizeof errbuf);
    cJSON_Delete(cards);
    if (!found) {
        log_info("pricing", "rejected q=%s: %s", q ? q : "", errbuf);
        free(q);
        pricing_error(resp, 400, errbuf);
        return 1;
    }

    int total = cJSON_GetArraySize(found);
    cJSON *body = cJSON_CreateObject();
    cJSON *data = cJSON_AddArrayToObject(body, "data");
    long first = (long)(page - 1) * page_size;
    for (long i = first; i < total && i < first + page_size; i++)
        cJSON_AddItemToArray(
            data, cJSON_Duplicate(cJSON_GetArrayItem(found, (int)i), 1));
    cJSON_AddNumberToObject(body, "page", page);
    cJSON_AddNumberToObject(body, "pageSize", page_size);
    cJSON_AddNumberToObject(body, "count", cJSON_GetArraySize(data));
    cJSON_AddNumberToObject(body, "totalCount", total);
    log_debug("pricing", "q=%s: %d cards", q ? q : "", total);
    free(q);
    cJSON_Delete(found);
    pricing_reply(resp, 200, body);
    return 1;
}
