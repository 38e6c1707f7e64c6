/*
 * apigw_route.c: route keys, route selection and the payload format 2.0
 * event that an HTTP API sends to a Lambda integration.
 */
#include "apigw_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "clock.h"
#include "util.h"

static const char *const apigw_methods[] = {
    "ANY", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT",
};

int apigw__route_key_check(const char *key, char *errbuf, size_t errsize)
{
    if (strcmp(key, "$default") == 0)
        return 0;
    const char *space = strchr(key, ' ');
    int method_ok = 0;
    for (size_t i = 0;
         space && i < sizeof apigw_methods / sizeof *apigw_methods; i++)
        if (strlen(apigw_methods[i]) == (size_t)(space - key) &&
            strncmp(key, apigw_methods[i], (size_t)(space - key)) == 0)
            method_ok = 1;
    if (!method_ok || space[1] != '/') {
        snprintf(errbuf, errsize,
                 "invalid route key \"%s\": expected $default or \"METHOD "
                 "/path\" with METHOD one of ANY, DELETE, GET, HEAD, OPTIONS, "
                 "PATCH, POST, PUT",
                 key);
        return -1;
    }
    const char *path = space + 1;
    const char *greedy = strstr(path, "+}");
    if (greedy && greedy[2] != '\0') {
        snprintf(errbuf, errsize,
                 "invalid route key \"%s\": a greedy path variable {name+} "
                 "must be the last segment",
                 key);
        return -1;
    }
    for (const char *p = path; *p; p++) {
        if (*p == ' ' || *p == '?' || *p == '#') {
            snprintf(errbuf, errsize,
                     "invalid route key \"%s\": the path contains '%c'", key,
                     *p);
            return -1;
        }
    }
    return 0;
}

/* Decode %XX escapes, and with `plus_is_space` (query strings) '+' as a
 * space. The result is malloc'ed. */
static char *apigw_decode(const char *s, size_t len, int plus_is_space)
{
    char *out = xmalloc(len + 1);
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (plus_is_space && s[i] == '+') {
            out[o++] = ' ';
        } else if (s[i] == '%' && i + 2 < len &&
                   isxdigit((unsigned char)s[i + 1]) &&
                   isxdigit((unsigned char)s[i + 2])) {
            char hex[3] = {s[i + 1], s[i + 2], 0};
            out[o++] = (char)strtol(hex, NULL, 16);
            i += 2;
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
    return out;
}

/*
 * Match `path` against the route path `tmpl`. On a match, return 1, add the
 * parameters to `params` and write one specificity digit per template
 * segment into `score` (3 literal, 2 {param}, 1 {param+}).
 */
static int apigw_path_match(const char *tmpl, const char *path, cJSON *params,
                            char *score, size_t score_size)
{
    size_t depth = 0;
    const char *t = tmpl, *p = path;
    while (*t == '/' && *p == '/') {
        t++;
        p++;
        const char *t_end = strchr(t, '/');
        if (!t_end)
            t_end = t + strlen(t);
        const char *p_end = strchr(p, '/');
        if (!p_end)
            p_end = p + strlen(p);
        size_t tlen = (size_t)(t_end - t);
        if (depth + 1 >= score_size)
            return 0;
        if (tlen >= 3 && t[0] == '{' && t[tlen - 1] == '}') {
            int greedy = t[tlen - 2] == '+';
            size_t nlen = tlen - 2 - (greedy ? 1 : 0);
            char *name = xstrndup(t + 1, nlen);
            const char *v_end = greedy ? p + strlen(p) : p_end;
            if (v_end == p) {
                free(name);
                return 0;
            }
            char *value = apigw_decode(p, (size_t)(v_end - p), 0);
            cJSON_AddStringToObject(params, name, value);
            free(name);
            free(value);
            score[depth++] = greedy ? '1' : '2';
            score[depth] = '\0';
            if (greedy)
                return 1;
        } else {
            char *segment = apigw_decode(p, (size_t)(p_end - p), 0);
            int same =
                strlen(segment) == tlen && strncmp(segment, t, tlen) == 0;
            free(segment);
            if (!same)
                return 0;
            score[depth++] = '3';
            score[depth] = '\0';
        }
        t = t_end;
        p = p_end;
    }
    return *t == '\0' && *p == '\0';
}

int apigw__route_match(const cJSON *api, const char *method, const char *path,
                       apigw_match *out)
{
    const cJSON *routes = cJSON_GetObjectItemCaseSensitive(api, "Routes");
    const cJSON *route, *fallback = NULL;
    char best_score[130] = "";
    int best_method = 0;
    memset(out, 0, sizeof *out);
    cJSON_ArrayForEach(route, routes)
    {
        const char *key = cJSON_GetStringValue(
            cJSON_GetObjectItemCaseSensitive(route, "RouteKey"));
        if (!key)
            continue;
        if (strcmp(key, "$default") == 0) {
            fallback = route;
            continue;
        }
        const char *space = strchr(key, ' ');
        if (!space)
            continue;
        size_t mlen = (size_t)(space - key);
        int any = mlen == 3 && strncmp(key, "ANY", 3) == 0;
        int exact = strlen(method) == mlen && strncmp(key, method, mlen) == 0;
        if (!any && !exact)
            continue;
        cJSON *params = cJSON_CreateObject();
        char score[128] = "";
        if (!apigw_path_match(space + 1, path, params, score, sizeof score)) {
            cJSON_Delete(params);
            continue;
        }
        int cmp = out->route ? strcmp(score, best_score) : 1;
        if (cmp > 0 || (cmp == 0 && exact && best_method == 1)) {
            cJSON_Delete(out->path_parameters);
            out->route = route;
            out->path_parameters = params;
            snprintf(best_score, sizeof best_score, "%s", score);
            best_method = exact ? 2 : 1;
        } else {
            cJSON_Delete(params);
        }
    }
    if (!out->route && fallback)
        out->route = fallback;
    if (out->path_parameters && !out->path_parameters->child) {
        cJSON_Delete(out->path_parameters);
        out->path_parameters = NULL;
    }
    return out->route != NULL;
}

/* ---- the event ---- */

static int apigw_utf8_valid(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned char c = (unsigned char)s[i];
        size_t n;
        if (c == 0)
            return 0;
        if (c < 0x80)
            n = 1;
        else if ((c & 0xE0) == 0xC0 && c >= 0xC2)
            n = 2;
        else if ((c & 0xF0) == 0xE0)
            n = 3;
        else if ((c & 0xF8) == 0xF0 && c <= 0xF4)
            n = 4;
        else
            return 0;
        if (i + n > len)
            return 0;
        for (size_t k = 1; k < n; k++)
            if (((unsigned char)s[i + k] & 0xC0) != 0x80)
                return 0;
        i += n;
    }
    return 1;
}

/* Whether a body of `content_type` reaches the integration as text. */
static int apigw_text_type(const char *content_type)
{
    if (!content_type || !*content_type)
        return 1;
    static const char *const text[] = {
        "text/",
        "application/json",
        "application/javascript",
        "application/xml",
        "application/x-www-form-urlencoded",
        "application/graphql",
        "application/yaml",
    };
    for (size_t i = 0; i < sizeof text / sizeof *text; i++)
        if (strncasecmp(content_type, text[i], strlen(text[i])) == 0)
            return 1;
    /* Structured suffixes: application/problem+json, image/svg+xml. */
    const char *semi = strchr(content_type, ';');
    size_t len = semi ? (size_t)(semi - content_type) : strlen(content_type);
    return (len > 5 && strncasecmp(content_type + len - 5, "+json", 5) == 0) ||
           (len > 4 && strncasecmp(content_type + len - 4, "+xml", 4) == 0);
}

/* Append `value` to a header or parameter map, joining repeats with ','. */
static void apigw_map_join(cJSON *map, const char *name, const char *value)
{
    cJSON *old = cJSON_GetObjectItemCaseSensitive(map, name);
    if (!old) {
        cJSON_AddStringToObject(map, name, value);
        return;
    }
    strbuf b;
    strbuf_init(&b);
    strbuf_printf(&b, "%s,%s", old->valuestring, value);
    cJSON_ReplaceItemInObjectCaseSensitive(map, name,
                                           cJSON_CreateString(b.data));
    strbuf_free(&b);
}

static void apigw_event_headers(stratus *srv, cJSON *event,
                                const http_request *req)
{
    cJSON *headers = cJSON_CreateObject();
    cJSON *cookies = NULL;
    for (size_t i = 0; i < req->header_count; i++) {
        char *name = xstrdup(req->headers[i].name);
        for (char *c = name; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        if (strcmp(name, "cookie") == 0) {
            /* Format 2.0 moves cookies out of the headers. */
            if (!cookies)
                cookies = cJSON_CreateArray();
            char *copy = xstrdup(req->headers[i].value), *save = NULL;
            for (char *tok = strtok_r(copy, ";", &save); tok;
                 tok = strtok_r(NULL, ";", &save)) {
                while (*tok == ' ')
                    tok++;
                if (*tok)
                    cJSON_AddItemToArray(cookies, cJSON_CreateString(tok));
            }
            free(copy);
        } else {
            apigw_map_join(headers, name, req->headers[i].value);
        }
        free(name);
    }
    /* Headers API Gateway adds on the way to the integration. */
    const char *host = http_request_header(req, "Host");
    const char *colon = host ? strrchr(host, ':') : NULL;
    if (!cJSON_GetObjectItemCaseSensitive(headers, "x-forwarded-for"))
        cJSON_AddStringToObject(headers, "x-forwarded-for",
                                req->remote_addr ? req->remote_addr
                                                 : "127.0.0.1");
    else
        apigw_map_join(headers, "x-forwarded-for",
                       req->remote_addr ? req->remote_addr : "127.0.0.1");
    if (!cJSON_GetObjectItemCaseSensitive(headers, "x-forwarded-port"))
        cJSON_AddStringToObject(headers, "x-forwarded-port",
                                colon ? colon + 1 : "80");
    if (!cJSON_GetObjectItemCaseSensitive(headers, "x-forwarded-proto"))
        cJSON_AddStringToObject(headers, "x-forwarded-proto", "http");
    /* An X-Ray trace id: "Root=1-<8 hex digits of time>-<24 hex digits>". */
    char uuid[37], trace[64], digits[33];
    size_t n = 0;
    stratus_request_id(srv, uuid);
    for (const char *c = uuid; *c && n < 24; c++)
        if (*c != '-')
            digits[n++] = *c;
    digits[n] = '\0';
    snprintf(trace, sizeof trace, "Root=1-%08llx-%s",
             (unsigned long long)(clock_now_ms(&srv->clock) / 1000) &
                 0xFFFFFFFFull,
             digits);
    cJSON_AddStringToObject(headers, "x-amzn-trace-id", trace);
    if (cookies)
        cJSON_AddItemToObject(event, "cookies", cookies);
    cJSON_AddItemToObject(event, "headers", headers);
}

static void apigw_event_query(cJSON *event, const char *query)
{
    if (!query || !*query)
        return;
    cJSON *params = cJSON_CreateObject();
    char *copy = xstrdup(query), *save = NULL;
    for (char *pair = strtok_r(copy, "&", &save); pair;
         pair = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(pair, '=');
        char *name =
            apigw_decode(pair, eq ? (size_t)(eq - pair) : strlen(pair), 1);
        char *value =
            eq ? apigw_decode(eq + 1, strlen(eq + 1), 1) : xstrdup("");
        apigw_map_join(params, name, value);
        free(name);
        free(value);
    }
    free(copy);
    if (params->child)
        cJSON_AddItemToObject(event, "queryStringParameters", params);
    else
        cJSON_Delete(params);
}

static void apigw_event_body(cJSON *event, const http_request *req)
{
    if (req->body_len == 0) {
        cJSON_AddBoolToObject(event, "isBase64Encoded", 0);
        return;
    }
    const char *type = http_request_header(req, "Content-Type");
    const char *encoding = http_request_header(req, "Content-Encoding");
    int text = apigw_text_type(type) && !encoding &&
               apigw_utf8_valid(req->body, req->body_len);
    if (text) {
        char *body = xstrndup(req->body, req->body_len);
        cJSON_AddStringToObject(event, "body", body);
        free(body);
    } else {
        char *b64 =
            apigw__base64((const unsigned char *)req->body, req->body_len);
        cJSON_AddStringToObject(event, "body", b64);
        free(b64);
    }
    cJSON_AddBoolToObject(event, "isBase64Encoded", !text);
}

cJSON *apigw__event_build(stratus *srv, const cJSON *api, const char *account,
                          const http_request *req, const apigw_match *match,
                          const char *request_id, const apigw_auth_result *auth)
{
    const char *route_key = cJSON_GetStringValue(
        cJSON_GetObjectItemCaseSensitive(match->route, "RouteKey"));
    const char *api_id =
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(api, "ApiId"));
    cJSON *event = cJSON_CreateObject();
    cJSON_AddStringToObject(event, "version", "2.0");
    cJSON_AddStringToObject(event, "routeKey", route_key);
    /* HTTP APIs send the path decoded, in rawPath too; only rawQueryString
     * stays as the client sent it. */
    char *path = apigw_decode(req->path, strlen(req->path), 0);
    cJSON_AddStringToObject(event, "rawPath", path);
    cJSON_AddStringToObject(event, "rawQueryString",
                            req->query ? req->query : "");
    apigw_event_headers(srv, event, req);
    apigw_event_query(event, req->query);
    if (match->path_parameters)
        cJSON_AddItemToObject(event, "pathParameters",
                              cJSON_Duplicate(match->path_parameters, 1));

    cJSON *ctx = cJSON_AddObjectToObject(event, "requestContext");
    cJSON_AddStringToObject(ctx, "accountId", account);
    cJSON_AddStringToObject(ctx, "apiId", api_id);
    if (auth && auth->claims) {
        cJSON *authorizer = cJSON_AddObjectToObject(ctx, "authorizer");
        cJSON *jwt = cJSON_AddObjectToObject(authorizer, "jwt");
        cJSON_AddItemToObject(jwt, "claims", cJSON_Duplicate(auth->claims, 1));
        cJSON_AddItemToObject(jwt, "scopes",
                              auth->scopes ? cJSON_Duplicate(auth->scopes, 1)
                                           : cJSON_CreateNull());
    }
    const char *host = http_request_header(req, "Host");
    char domain[256], prefix[256];
    snprintf(domain, sizeof domain, "%s", host ? host : "127.0.0.1");
    snprintf(prefix, sizeof prefix, "%s", domain);
    char *dot = strchr(prefix, '.');
    if (dot)
        *dot = '\0';
    cJSON_AddStringToObject(ctx, "domainName", domain);
    cJSON_AddStringToObject(ctx, "domainPrefix", prefix);
    cJSON *http = cJSON_AddObjectToObject(ctx, "http");
    cJSON_AddStringToObject(http, "method", req->method);
    cJSON_AddStringToObject(http, "path", path);
    free(path);
    cJSON_AddStringToObject(http, "protocol", "HTTP/1.1");
    cJSON_AddStringToObject(http, "sourceIp",
                            req->remote_addr ? req->remote_addr : "127.0.0.1");
    const char *agent = http_request_header(req, "User-Agent");
    cJSON_AddStringToObject(http, "userAgent", agent ? agent : "");
    cJSON_AddStringToObject(ctx, "requestId", request_id);
    cJSON_AddStringToObject(ctx, "routeKey", route_key);
    cJSON_AddStringToObject(ctx, "stage", "$default");

    int64_t now = clock_now_ms(&srv->clock);
    time_t secs = (time_t)(now / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char when[40];
    strftime(when, sizeof when, "%d/%b/%Y:%H:%M:%S +0000", &tm);
    cJSON_AddStringToObject(ctx, "time", when);
    cJSON_AddNumberToObject(ctx, "timeEpoch", (double)now);

    apigw_event_body(event, req);
    return event;
}
