/*
 * apigw_response.c: turning a Lambda result into the HTTP response as
 * payload format 2.0 does, and the API's CORS configuration (the
 * gateway's own preflight responses, CORS headers on actual responses).
 */
#include "apigw_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

/* Headers the listener writes itself; an integration's copy is dropped. */
static int apigw_hop_header(const char *name)
{
    return strcasecmp(name, "content-length") == 0 ||
           strcasecmp(name, "transfer-encoding") == 0 ||
           strcasecmp(name, "connection") == 0;
}

/* The text of a header value the integration returned (a string, a number
 * or a boolean). Returns a malloc'ed string, or NULL for other types. */
static char *apigw_header_text(const cJSON *v)
{
    if (cJSON_IsString(v))
        return xstrdup(v->valuestring);
    if (cJSON_IsNumber(v) || cJSON_IsBool(v))
        return cJSON_PrintUnformatted(v);
    return NULL;
}

static int apigw_proxy_response(const cJSON *result, http_response *resp)
{
    const cJSON *status =
        cJSON_GetObjectItemCaseSensitive(result, "statusCode");
    const cJSON *headers = cJSON_GetObjectItemCaseSensitive(result, "headers");
    const cJSON *multi =
        cJSON_GetObjectItemCaseSensitive(result, "multiValueHeaders");
    const cJSON *cookies = cJSON_GetObjectItemCaseSensitive(result, "cookies");
    const cJSON *body = cJSON_GetObjectItemCaseSensitive(result, "body");
    const cJSON *b64 =
        cJSON_GetObjectItemCaseSensitive(result, "isBase64Encoded");

    int code = 0;
    if (cJSON_IsNumber(status))
        code = status->valuedouble == (double)status->valueint
                   ? status->valueint
                   : 0;
    else if (cJSON_IsString(status))
        code = atoi(status->valuestring);
    if (code < 100 || code > 599)
        return -1;
    if ((headers && !cJSON_IsNull(headers) && !cJSON_IsObject(headers)) ||
        (multi && !cJSON_IsNull(multi) && !cJSON_IsObject(multi)) ||
        (cookies && !cJSON_IsNull(cookies) && !cJSON_IsArray(cookies)) ||
        (b64 && !cJSON_IsNull(b64) && !cJSON_IsBool(b64)))
        return -1;

    resp->status = code;
    const cJSON *header_map = cJSON_IsObject(headers) ? headers : NULL;
    const cJSON *multi_map = cJSON_IsObject(multi) ? multi : NULL;
    const cJSON *cookie_list = cJSON_IsArray(cookies) ? cookies : NULL;
    const cJSON *h;
    cJSON_ArrayForEach(h, header_map)
    {
        char *value = apigw_header_text(h);
        if (!value)
            return -1;
        if (!apigw_hop_header(h->string))
            http_response_header(resp, h->string, value);
        free(value);
    }
    cJSON_ArrayForEach(h, multi_map)
    {
        if (!cJSON_IsArray(h))
            return -1;
        const cJSON *v;
        cJSON_ArrayForEach(v, h)
        {
            char *value = apigw_header_text(v);
            if (!value)
                return -1;
            if (!apigw_hop_header(h->string))
                http_response_header(resp, h->string, value);
            free(value);
        }
    }
    const cJSON *c;
    cJSON_ArrayForEach(c, cookie_list)
    {
        if (!cJSON_IsString(c))
            return -1;
        http_response_header(resp, "Set-Cookie", c->valuestring);
    }

    if (cJSON_IsString(body)) {
        if (cJSON_IsTrue(b64)) {
            size_t len = 0;
            unsigned char *raw = apigw__base64_decode(
                body->valuestring, strlen(body->valuestring), &len);
            if (!raw)
                return -1;
            http_response_take_body(resp, (char *)raw, len);
        } else {
            http_response_body(resp, body->valuestring,
                               strlen(body->valuestring));
        }
    } else if (body && !cJSON_IsNull(body)) {
        /* A non-string body is sent as its JSON text. */
        char *text = cJSON_PrintUnformatted(body);
        http_response_take_body(resp, text, strlen(text));
    }
    return 0;
}

int apigw__response_map(const char *payload, size_t len, http_response *resp)
{
    cJSON *result = cJSON_ParseWithLength(payload, len);
    if (!result)
        return -1;
    int rc = 0;
    if (cJSON_IsObject(result) &&
        cJSON_GetObjectItemCaseSensitive(result, "statusCode")) {
        rc = apigw_proxy_response(result, resp);
    } else {
        /* Anything without statusCode is the body of a 200 JSON response;
         * a JSON string is sent as its contents. */
        resp->status = 200;
        http_response_header(resp, "Content-Type", "application/json");
        if (cJSON_IsString(result))
            http_response_body(resp, result->valuestring,
                               strlen(result->valuestring));
        else
            http_response_body(resp, payload, len);
    }
    cJSON_Delete(result);
    return rc;
}

/* ---- CORS ---- */

/* Whether `origin` is one of AllowOrigins. An entry "*" allows every
 * origin, and an entry whose host starts with "*." allows its subdomains. */
static int apigw_origin_allowed(const cJSON *cors, const char *origin,
                                int *wildcard)
{
    const cJSON *o;
    *wildcard = 0;
    cJSON_ArrayForEach(o,
                       cJSON_GetObjectItemCaseSensitive(cors, "AllowOrigins"))
    {
        const char *allowed = cJSON_GetStringValue(o);
        if (!allowed)
            continue;
        if (strcmp(allowed, "*") == 0) {
            *wildcard = 1;
            return 1;
        }
        if (strcasecmp(allowed, origin) == 0)
            return 1;
        const char *star = strstr(allowed, "://*.");
        if (star) {
            size_t scheme = (size_t)(star - allowed) + 3;
            const char *suffix = star + 4; /* ".example.com" */
            size_t olen = strlen(origin), slen = strlen(suffix);
            if (strncasecmp(origin, allowed, scheme) == 0 &&
                olen > scheme + slen &&
                strcasecmp(origin + olen - slen, suffix) == 0)
                return 1;
        }
    }
    return 0;
}

static int apigw_list_has(const cJSON *list, const char *value)
{
    const cJSON *v;
    cJSON_ArrayForEach(v, list)
    {
        const char *s = cJSON_GetStringValue(v);
        if (s && (strcmp(s, "*") == 0 || strcasecmp(s, value) == 0))
            return 1;
    }
    return 0;
}

/* The members of a list joined with ","; NULL when it is empty. */
static char *apigw_list_join(const cJSON *list)
{
    strbuf b;
    strbuf_init(&b);
    const cJSON *v;
    cJSON_ArrayForEach(v, list)
    {
        const char *s = cJSON_GetStringValue(v);
        if (!s)
            continue;
        if (b.len)
            strbuf_puts(&b, ",");
        strbuf_puts(&b, s);
    }
    return b.data ? strbuf_take(&b, NULL) : NULL;
}

static void apigw_cors_origin_headers(const cJSON *cors, const char *origin,
                                      int wildcard, http_response *resp)
{
    int credentials = cJSON_IsTrue(
        cJSON_GetObjectItemCaseSensitive(cors, "AllowCredentials"));
    /* A browser refuses "*" on a request with credentials, so the origin
     * is echoed whenever credentials are allowed. */
    http_response_header(resp, "Access-Control-Allow-Origin",
                         wildcard && !credentials ? "*" : origin);
    if (credentials)
        http_response_header(resp, "Access-Control-Allow-Credentials", "true");
}

int apigw__cors_preflight(const cJSON *cors, const http_request *req,
                          http_response *resp)
{
    const char *origin = http_request_header(req, "Origin");
    const char *method =
        http_request_header(req, "Access-Control-Request-Method");
    if (!cors || strcmp(req->method, "OPTIONS") != 0 || !origin || !method)
        return 0;
    resp->status = 204;
    int wildcard;
    if (!apigw_origin_allowed(cors, origin, &wildcard) ||
        !apigw_list_has(cJSON_GetObjectItemCaseSensitive(cors, "AllowMethods"),
                        method))
        return 1; /* no CORS headers: the browser blocks the request */

    apigw_cors_origin_headers(cors, origin, wildcard, resp);
    const cJSON *methods =
        cJSON_GetObjectItemCaseSensitive(cors, "AllowMethods");
    char *text = apigw_list_has(methods, "*") ? xstrdup(method)
                                              : apigw_list_join(methods);
    if (text)
        http_response_header(resp, "Access-Control-Allow-Methods", text);
    free(text);

    const cJSON *headers =
        cJSON_GetObjectItemCaseSensitive(cors, "AllowHeaders");
    const char *requested =
        http_request_header(req, "Access-Control-Request-Headers");
    int any_header = 0;
    const cJSON *h;
    cJSON_ArrayForEach(h, headers) if (cJSON_GetStringValue(h) &&
                                       strcmp(h->valuestring, "*") == 0)
        any_header = 1;
    text = any_header ? (requested ? xstrdup(requested) : NULL)
                      : apigw_list_join(headers);
    if (text)
        http_response_header(resp, "Access-Control-Allow-Headers", text);
    free(text);

    const cJSON *max_age = cJSON_GetObjectItemCaseSensitive(cors, "MaxAge");
    if (cJSON_IsNumber(max_age)) {
        char age[32];
        snprintf(age, sizeof age, "%d", max_age->valueint);
        http_response_header(resp, "Access-Control-Max-Age", age);
    }
    return 1;
}

void apigw__cors_apply(const cJSON *cors, const char *origin,
                       http_response *resp)
{
    if (!cors)
        return;
    /* The gateway's CORS headers replace the integration's. */
    size_t kept_count = 0;
    for (size_t i = 0; i < resp->header_count; i++) {
        if (strncasecmp(resp->headers[i].name, "Access-Control-", 15) == 0) {
            free(resp->headers[i].name);
            free(resp->headers[i].value);
            continue;
        }
        resp->headers[kept_count++] = resp->headers[i];
    }
    resp->header_count = kept_count;

    int wildcard;
    if (!origin || !apigw_origin_allowed(cors, origin, &wildcard))
        return;
    apigw_cors_origin_headers(cors, origin, wildcard, resp);
    char *expose = apigw_list_join(
        cJSON_GetObjectItemCaseSensitive(cors, "ExposeHeaders"));
    if (expose)
        http_response_header(resp, "Access-Control-Expose-Headers", expose);
    free(expose);
}
