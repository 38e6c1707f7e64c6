/*
 * s3_cors.c: CORS as S3 applies a bucket's rules: the preflight OPTIONS
 * request, handled by the first matching rule or rejected with 403
 * AccessForbidden, and the Access-Control-* headers added to an actual
 * request that carries a matching Origin.
 *
 * A rule matches when one AllowedOrigin matches the Origin (at most one
 * '*' wildcard), the method is one of AllowedMethods, and, for a
 * preflight, every requested header matches an AllowedHeader
 * (case-insensitive, '*' wildcard).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "s3.h"
#include "s3_internal.h"

/* Match `s` against a pattern with at most one '*'. */
static int s3_wildcard_match(const char *pattern, const char *s, int nocase)
{
    const char *star = strchr(pattern, '*');
    size_t slen = strlen(s);
    if (!star)
        return nocase ? strcasecmp(pattern, s) == 0 : strcmp(pattern, s) == 0;
    size_t head = (size_t)(star - pattern);
    size_t tail = strlen(star + 1);
    if (slen < head + tail)
        return 0;
    if (nocase)
        return strncasecmp(pattern, s, head) == 0 &&
               strcasecmp(star + 1, s + slen - tail) == 0;
    return strncmp(pattern, s, head) == 0 &&
           strcmp(star + 1, s + slen - tail) == 0;
}

static int s3_list_matches(const cJSON *list, const char *value, int nocase)
{
    const cJSON *v;
    cJSON_ArrayForEach(v, list)
    {
        if (cJSON_IsString(v) &&
            s3_wildcard_match(v->valuestring, value, nocase))
            return 1;
    }
    return 0;
}

/* Whether every header of a comma-separated list is allowed. */
static int s3_headers_allowed(const cJSON *allowed, const char *requested)
{
    if (!requested)
        return 1;
    char *copy = xstrdup(requested), *save = NULL;
    int ok = 1;
    for (char *tok = strtok_r(copy, ",", &save); tok && ok;
         tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ')
            tok++;
        size_t len = strlen(tok);
        while (len && tok[len - 1] == ' ')
            tok[--len] = '\0';
        if (len)
            ok = s3_list_matches(allowed, tok, 1);
    }
    free(copy);
    return ok;
}

static const cJSON *s3_cors_match(const cJSON *rules, const char *origin,
                                  const char *method, const char *headers)
{
    const cJSON *rule;
    cJSON_ArrayForEach(rule, rules)
    {
        if (!s3_list_matches(
                cJSON_GetObjectItemCaseSensitive(rule, "AllowedOrigins"),
                origin, 0))
            continue;
        const cJSON *methods =
            cJSON_GetObjectItemCaseSensitive(rule, "AllowedMethods");
        int method_ok = 0;
        const cJSON *m;
        cJSON_ArrayForEach(m, methods)
        {
            if (cJSON_IsString(m) && strcmp(m->valuestring, method) == 0)
                method_ok = 1;
        }
        if (!method_ok)
            continue;
        if (!s3_headers_allowed(
                cJSON_GetObjectItemCaseSensitive(rule, "AllowedHeaders"),
                headers))
            continue;
        return rule;
    }
    return NULL;
}

static void s3_join_header(http_response *r, const char *name,
                           const cJSON *list)
{
    strbuf b;
    strbuf_init(&b);
    const cJSON *v;
    cJSON_ArrayForEach(v, list)
    {
        if (!cJSON_IsString(v))
            continue;
        if (b.len)
            strbuf_puts(&b, ", ");
        strbuf_puts(&b, v->valuestring);
    }
    if (b.len)
        http_response_header(r, name, b.data);
    strbuf_free(&b);
}

/* The Access-Control-* headers of a matched rule. */
static void s3_cors_apply(s3_ctx *c, const cJSON *rule, const char *origin,
                          const char *requested_headers)
{
    http_response *r = c->resp;
    const cJSON *origins =
        cJSON_GetObjectItemCaseSensitive(rule, "AllowedOrigins");
    int any = 0;
    const cJSON *o;
    cJSON_ArrayForEach(o, origins)
    {
        if (cJSON_IsString(o) && strcmp(o->valuestring, "*") == 0)
            any = 1;
    }
    /* S3 sends "*" for a rule that allows every origin, and otherwise
     * echoes the origin and allows credentials. */
    http_response_header(r, "Access-Control-Allow-Origin", any ? "*" : origin);
    if (!any)
        http_response_header(r, "Access-Control-Allow-Credentials", "true");
    s3_join_header(r, "Access-Control-Allow-Methods",
                   cJSON_GetObjectItemCaseSensitive(rule, "AllowedMethods"));
    if (requested_headers && *requested_headers)
        http_response_header(r, "Access-Control-Allow-Headers",
                             requested_headers);
    s3_join_header(r, "Access-Control-Expose-Headers",
                   cJSON_GetObjectItemCaseSensitive(rule, "ExposeHeaders"));
    const cJSON *max_age =
        cJSON_GetObjectItemCaseSensitive(rule, "MaxAgeSeconds");
    if (cJSON_IsNumber(max_age)) {
        char v[32];
        snprintf(v, sizeof v, "%lld", (long long)max_age->valuedouble);
        http_response_header(r, "Access-Control-Max-Age", v);
    }
    http_response_header(r, "Vary",
                         "Origin, Access-Control-Request-Headers, "
                         "Access-Control-Request-Method");
}

void s3__cors_preflight(s3_ctx *c)
{
    aws_error err;
    memset(&err, 0, sizeof err);
    const char *origin = s3__header(c, "Origin");
    const char *method = s3__header(c, "Access-Control-Request-Method");
    const char *headers = s3__header(c, "Access-Control-Request-Headers");
    const char *resource = c->key ? "OBJECT" : "BUCKET";
    s3_bucket b;
    cJSON *rules = NULL;

    if (!origin) {
        aws_fail(&err, AWS_ERR_S3_BAD_REQUEST,
                 "Insufficient information. Origin request header needed.");
    } else if (!method) {
        aws_fail(&err, AWS_ERR_S3_BAD_REQUEST,
                 "Invalid Access-Control-Request-Method: null");
    } else if (!c->bucket) {
        aws_fail(&err, AWS_ERR_S3_ACCESS_FORBIDDEN,
                 "CORSResponse: Bucket not found");
        s3__add_elem(&err, "Method", method);
        s3__add_elem(&err, "ResourceType", "BUCKET");
    } else if (s3__bucket_get(c->req.srv, c->bucket, &b, &err) == 0) {
        rules = s3__cors_load(c->req.srv, b.id);
        const cJSON *rule =
            rules ? s3_cors_match(rules, origin, method, headers) : NULL;
        if (!rules) {
            aws_fail(&err, AWS_ERR_S3_ACCESS_FORBIDDEN,
                     "CORSResponse: CORS is not enabled for this bucket.");
            s3__add_elem(&err, "Method", method);
            s3__add_elem(&err, "ResourceType", resource);
        } else if (!rule) {
            aws_fail(&err, AWS_ERR_S3_ACCESS_FORBIDDEN,
                     "CORSResponse: This CORS request is not allowed. This is "
                     "usually because the evalution of Origin, request method "
                     "/ Access-Control-Request-Method or "
                     "Access-Control-Request-Headers are not whitelisted by "
                     "the resource's CORS spec.");
            s3__add_elem(&err, "Method", method);
            s3__add_elem(&err, "ResourceType", resource);
        } else {
            s3_cors_apply(c, rule, origin, headers);
            c->resp->status = 200;
        }
    }
    if (err.code != AWS_OK) {
        strbuf b2;
        strbuf_init(&b2);
        strbuf_puts(&b2, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error>");
        s3__xml_elem(&b2, "Code", aws_code_name(err.code));
        s3__xml_elem(&b2, "Message", err.message);
        for (const cJSON *m = err.extra ? err.extra->child : NULL; m;
             m = m->next)
            s3__xml_elem(&b2, m->string, m->valuestring);
        s3__xml_elem(&b2, "RequestId", c->req.request_id);
        strbuf_printf(&b2, "<HostId>stratus/%s</HostId></Error>",
                      c->req.request_id);
        size_t len;
        char *body = strbuf_take(&b2, &len);
        c->resp->status = aws_code_status(err.code);
        http_response_header(c->resp, "Content-Type", "application/xml");
        http_response_take_body(c->resp, body, len);
    }
    cJSON_Delete(rules);
    aws_error_reset(&err);
}

void s3__cors_headers(s3_ctx *c)
{
    const char *origin = s3__header(c, "Origin");
    if (!origin || !c->bucket || strcmp(c->req.http->method, "OPTIONS") == 0)
        return;
    s3_bucket b;
    aws_error err;
    memset(&err, 0, sizeof err);
    if (s3__bucket_get(c->req.srv, c->bucket, &b, &err) != 0) {
        aws_error_reset(&err);
        return;
    }
    cJSON *rules = s3__cors_load(c->req.srv, b.id);
    const cJSON *rule =
        rules ? s3_cors_match(rules, origin, c->req.http->method, NULL) : NULL;
    if (rule)
        s3_cors_apply(c, rule, origin, NULL);
    cJSON_Delete(rules);
}
