/*
 * scn_call.c: `aws` steps, pushed through the instance's dispatcher in
 * process and encoded for the service's protocol:
 *
 *   JSON 1.0/1.1  X-Amz-Target and the members as the JSON body.
 *   REST-JSON     the operation's path template filled from the members.
 *                 The rest go to the query string (GET, DELETE, HEAD) or
 *                 the JSON body. Lambda's header members become headers,
 *                 and Invoke's Payload is the raw body.
 *   REST-XML      the path template likewise; Body is the raw body,
 *                 ContentType the Content-Type header, and the other
 *                 members go to the query string under the names given.
 *   Query         a form body (scn_query.c), for Query-only services or
 *                 when a step requests it.
 *
 * SQS, which also speaks Query, is called with JSON by default. An
 * operation that must hold its connection open (Lambda's synchronous
 * Invoke) goes through the AWS listener on a loopback socket instead.
 */
#include "scn_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws.h"
#include "http.h"
#include "scn_query.h"

#define SCN_MAX_HEADERS 24

/* A request being encoded. Header values in `owned` are freed with it. */
typedef struct scn_wire {
    const char *method;
    strbuf path, query;
    char *body;
    size_t body_len;
    http_header headers[SCN_MAX_HEADERS];
    size_t header_count;
    char *owned[2 * SCN_MAX_HEADERS];
    size_t owned_count;
} scn_wire;

static void scn_wire_header(scn_wire *w, const char *name, const char *value)
{
    if (w->header_count < SCN_MAX_HEADERS)
        w->headers[w->header_count++] =
            (http_header){(char *)name, (char *)value};
}

/* Add a header whose name and value the wire frees. Past the header
 * limit (SCN_MAX_HEADERS) the header is dropped. */
static void scn_wire_header_own(scn_wire *w, char *name, char *value)
{
    if (w->header_count == SCN_MAX_HEADERS) {
        free(name);
        free(value);
        return;
    }
    w->owned[w->owned_count++] = name;
    w->owned[w->owned_count++] = value;
    scn_wire_header(w, name, value);
}

/* Add a header whose value the wire frees. */
static void scn_wire_header_take(scn_wire *w, const char *name, char *value)
{
    if (w->header_count == SCN_MAX_HEADERS) {
        free(value);
        return;
    }
    w->owned[w->owned_count++] = value;
    scn_wire_header(w, name, value);
}

static void scn_wire_free(scn_wire *w)
{
    strbuf_free(&w->path);
    strbuf_free(&w->query);
    free(w->body);
    for (size_t i = 0; i < w->owned_count; i++)
        free(w->owned[i]);
}

static const aws_service *scn_service_find(const char *name)
{
    for (size_t i = 0; i < aws_service_count; i++) {
        const aws_service *svc = aws_services[i];
        if (strcmp(svc->name, name) == 0 ||
            (svc->signing_name && strcmp(svc->signing_name, name) == 0))
            return svc;
    }
    return NULL;
}

static void scn_auth_header(const scn_run *r, const aws_service *svc, char *out,
                            size_t size)
{
    snprintf(out, size,
             "AWS4-HMAC-SHA256 Credential=%s/20260101/%s/%s/aws4_request, "
             "SignedHeaders=host, Signature=00",
             strcmp(r->account, "123456789012") == 0 ? "AKIDSTRATUSTEST"
                                                     : r->account,
             r->region, svc->signing_name);
}

/* Scalars as REST path or query text. */
static char *scn_scalar_text(const cJSON *v)
{
    if (cJSON_IsString(v))
        return xstrdup(v->valuestring);
    if (cJSON_IsBool(v))
        return xstrdup(cJSON_IsTrue(v) ? "true" : "false");
    return cJSON_PrintUnformatted(v);
}

static void scn_percent_encode(strbuf *out, const char *s, int keep_slash)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
            (*p >= '0' && *p <= '9') || strchr("-_.~", *p) ||
            (keep_slash && *p == '/'))
            strbuf_append(out, (const char *)p, 1);
        else
            strbuf_printf(out, "%%%02X", *p);
    }
}

static void scn_query_add(strbuf *query, const char *name, const cJSON *value)
{
    char *text = scn_scalar_text(value);
    strbuf_puts(query, query->len ? "&" : "");
    scn_percent_encode(query, name, 0);
    strbuf_puts(query, "=");
    scn_percent_encode(query, text, 0);
    free(text);
}

/* Members that travel as headers, by their REST location. */
static const struct {
    aws_protocol protocol;
    const char *member, *header;
} scn_header_members[] = {
    {AWS_PROTO_REST_JSON, "InvocationType", "X-Amz-Invocation-Type"},
    {AWS_PROTO_REST_JSON, "LogType", "X-Amz-Log-Type"},
    {AWS_PROTO_REST_JSON, "ClientContext", "X-Amz-Client-Context"},
    {AWS_PROTO_REST_XML, "ContentType", "Content-Type"},
    {AWS_PROTO_REST_XML, "CacheControl", "Cache-Control"},
    {AWS_PROTO_REST_XML, "ContentDisposition", "Content-Disposition"},
    {AWS_PROTO_REST_XML, "ContentEncoding", "Content-Encoding"},
    {AWS_PROTO_REST_XML, "Range", "Range"},
    {AWS_PROTO_REST_XML, "IfMatch", "If-Match"},
    {AWS_PROTO_REST_XML, "IfNoneMatch", "If-None-Match"},
    {AWS_PROTO_REST_XML, "CopySource", "x-amz-copy-source"},
    {AWS_PROTO_REST_XML, "ServerSideEncryption",
     "x-amz-server-side-encryption"},
    {AWS_PROTO_REST_XML, "ExpectedBucketOwner", "x-amz-expected-bucket-owner"},
};

/* S3 members that travel in the query string, by their wire names (as in
 * botocore's S3 model). A member not listed goes under its own name. */
static const struct {
    const char *member, *wire;
} scn_s3_query_members[] = {
    {"Prefix", "prefix"},
    {"Delimiter", "delimiter"},
    {"MaxKeys", "max-keys"},
    {"ContinuationToken", "continuation-token"},
    {"StartAfter", "start-after"},
    {"EncodingType", "encoding-type"},
    {"FetchOwner", "fetch-owner"},
    {"Marker", "marker"},
    {"VersionId", "versionId"},
    {"KeyMarker", "key-marker"},
    {"VersionIdMarker", "version-id-marker"},
    {"UploadId", "uploadId"},
    {"PartNumber", "partNumber"},
    {"MaxUploads", "max-uploads"},
    {"MaxParts", "max-parts"},
    {"PartNumberMarker", "part-number-marker"},
};

static const char *scn_s3_query_name(const char *member)
{
    for (size_t i = 0;
         i < sizeof scn_s3_query_members / sizeof *scn_s3_query_members; i++)
        if (strcmp(scn_s3_query_members[i].member, member) == 0)
            return scn_s3_query_members[i].wire;
    return member;
}

/*
 * Fill the path template of a REST operation from `members` (taking the
 * members it uses). A "?" part of the template starts the query string.
 * Returns 0, or -1 with a failure recorded when a path member is missing.
 */
static int scn_encode_path(scn_run *r, const cJSON *node,
                           const aws_service *svc, const aws_operation *op,
                           cJSON *members, scn_wire *w)
{
    for (const char *t = op->http_path; *t;) {
        if (*t == '?') {
            strbuf_puts(&w->query, t + 1);
            break;
        }
        if (*t != '{') {
            size_t n = strcspn(t, "{?");
            strbuf_append(&w->path, t, n);
            t += n;
            continue;
        }
        const char *close = strchr(t, '}');
        char name[128];
        int greedy = close[-1] == '+';
        snprintf(name, sizeof name, "%.*s", (int)(close - t - 1 - greedy),
                 t + 1);
        cJSON *v = cJSON_DetachItemFromObjectCaseSensitive(members, name);
        if (!v)
            return scn_fail(r, node, "%s %s needs the parameter %s", svc->name,
                            op->name, name);
        char *text = scn_scalar_text(v);
        scn_percent_encode(&w->path, text, greedy);
        free(text);
        cJSON_Delete(v);
        t = close + 1;
    }
    return 0;
}

static int scn_encode_rest(scn_run *r, const cJSON *node,
                           const aws_service *svc, const aws_operation *op,
                           cJSON *members, scn_wire *w)
{
    w->method = op->http_method;
    if (scn_encode_path(r, node, svc, op, members, w) != 0)
        return -1;
    for (size_t i = 0;
         i < sizeof scn_header_members / sizeof *scn_header_members; i++) {
        if (scn_header_members[i].protocol != svc->protocol)
            continue;
        cJSON *v = cJSON_DetachItemFromObjectCaseSensitive(
            members, scn_header_members[i].member);
        if (!v)
            continue;
        scn_wire_header_take(w, scn_header_members[i].header,
                             scn_scalar_text(v));
        cJSON_Delete(v);
    }

    /* Invoke's Payload and S3's Body are the request body itself. */
    cJSON *payload = cJSON_DetachItemFromObjectCaseSensitive(
        members, svc->protocol == AWS_PROTO_REST_XML ? "Body" : "Payload");
    int in_query = svc->protocol == AWS_PROTO_REST_XML || payload ||
                   strcmp(w->method, "GET") == 0 ||
                   strcmp(w->method, "DELETE") == 0 ||
                   strcmp(w->method, "HEAD") == 0;
    /* S3's Metadata map becomes x-amz-meta-* headers. */
    cJSON *metadata =
        svc->protocol == AWS_PROTO_REST_XML
            ? cJSON_DetachItemFromObjectCaseSensitive(members, "Metadata")
            : NULL;
    for (const cJSON *m = metadata ? metadata->child : NULL; m; m = m->next) {
        strbuf name;
        strbuf_init(&name);
        strbuf_printf(&name, "x-amz-meta-%s", m->string);
        scn_wire_header_own(w, strbuf_take(&name, NULL), scn_scalar_text(m));
    }
    cJSON_Delete(metadata);
    if (in_query)
        for (const cJSON *m = members->child; m; m = m->next)
            scn_query_add(&w->query,
                          svc->protocol == AWS_PROTO_REST_XML
                              ? scn_s3_query_name(m->string)
                              : m->string,
                          m);
    if (payload) {
        w->body = cJSON_IsString(payload) ? xstrdup(payload->valuestring)
                                          : cJSON_PrintUnformatted(payload);
        cJSON_Delete(payload);
    } else if (!in_query) {
        w->body = cJSON_PrintUnformatted(members);
    }
    w->body_len = w->body ? strlen(w->body) : 0;
    if (svc->protocol == AWS_PROTO_REST_JSON)
        scn_wire_header(w, "Content-Type", "application/json");
    return 0;
}

/* Read an XML body into JSON: the root element's content, and for an
 * <Error> root (REST-XML) or an ErrorResponse (Query) the error code. */
static cJSON *scn_xml_body(const http_response *resp, const aws_service *svc,
                           const char *action, int query, char **error_code)
{
    if (query)
        return scn_query_decode_xml(svc->query, action, resp->body,
                                    resp->body_len, error_code);
    char *root = NULL;
    cJSON *doc = scn_xml_document(resp->body, resp->body_len, &root);
    if (doc && root && strcmp(root, "Error") == 0) {
        const cJSON *code = cJSON_GetObjectItemCaseSensitive(doc, "Code");
        if (cJSON_IsString(code))
            *error_code = xstrdup(code->valuestring);
    }
    free(root);
    return doc;
}

/* The response object {status, headers, body, error} of `resp`. Query and
 * REST-XML bodies that are XML are read into JSON. */
static cJSON *scn_response_json(const http_response *resp,
                                const aws_service *svc, const char *action,
                                int query)
{
    cJSON *out = cJSON_CreateObject();
    cJSON_AddNumberToObject(out, "status", resp->status);
    cJSON *headers = cJSON_AddObjectToObject(out, "headers");
    const char *error_type = NULL;
    for (size_t i = 0; i < resp->header_count; i++) {
        char name[128];
        snprintf(name, sizeof name, "%s", resp->headers[i].name);
        for (char *p = name; *p; p++)
            *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
        if (!cJSON_GetObjectItemCaseSensitive(headers, name))
            cJSON_AddStringToObject(headers, name, resp->headers[i].value);
        if (strcmp(name, "x-amzn-errortype") == 0)
            error_type = resp->headers[i].value;
    }

    cJSON *body = NULL;
    char *xml_error = NULL;
    int xml = resp->body && resp->body_len && resp->body[0] == '<' &&
              (query || (svc && svc->protocol == AWS_PROTO_REST_XML));
    if (xml)
        body = scn_xml_body(resp, svc, action, query, &xml_error);
    else if (resp->body && resp->body_len)
        body = cJSON_ParseWithLength(resp->body, resp->body_len);
    if (!body && resp->body && resp->body_len) {
        char *text = xstrndup(resp->body, resp->body_len);
        body = cJSON_CreateString(text);
        free(text);
    } else if (!body) {
        body = resp->body ? cJSON_CreateString("") : cJSON_CreateNull();
    }
    cJSON_AddItemToObject(out, "body", body);

    if (resp->status >= 400) {
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(body, "__type");
        const char *code = xml_error ? xml_error : error_type;
        if (!code && cJSON_IsString(type))
            code = type->valuestring;
        if (code) {
            /* "com.amazon.coral.service#X" and "X:http://..." name X. */
            const char *hash = strrchr(code, '#');
            char buf[256];
            snprintf(buf, sizeof buf, "%s", hash ? hash + 1 : code);
            buf[strcspn(buf, ":")] = '\0';
            cJSON_AddStringToObject(out, "error", buf);
        }
    }
    free(xml_error);
    return out;
}

/* Whether the call needs a real connection: a synchronous Lambda Invoke. */
static int scn_needs_socket(const aws_service *svc, const char *operation,
                            const cJSON *params)
{
    if (strcmp(svc->name, "lambda") != 0 || strcmp(operation, "Invoke") != 0)
        return 0;
    const cJSON *type =
        cJSON_GetObjectItemCaseSensitive(params, "InvocationType");
    return !cJSON_IsString(type) ||
           strcmp(type->valuestring, "RequestResponse") == 0;
}

/* Send the encoded request over the AWS port's socket. */
static cJSON *scn_send_socket(scn_run *r, const cJSON *node, scn_wire *w)
{
    cJSON *headers = cJSON_CreateObject();
    /* scn_http_send writes its own Host header. */
    for (size_t i = 0; i < w->header_count; i++)
        if (strcmp(w->headers[i].name, "Host") != 0)
            cJSON_AddStringToObject(headers, w->headers[i].name,
                                    w->headers[i].value);
    strbuf target;
    strbuf_init(&target);
    strbuf_printf(&target, "%s%s%s", w->path.data, w->query.len ? "?" : "",
                  w->query.len ? w->query.data : "");
    cJSON *out = scn_http_send(r, node, r->aws_port, w->method, target.data,
                               headers, w->body, w->body_len);
    strbuf_free(&target);
    cJSON_Delete(headers);

    const cJSON *status = cJSON_GetObjectItemCaseSensitive(out, "status");
    if (out && status->valuedouble >= 400) {
        /* The same error member as the in-process path. */
        const cJSON *h = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(out, "headers"),
            "x-amzn-errortype");
        if (cJSON_IsString(h))
            cJSON_AddStringToObject(out, "error", h->valuestring);
    }
    return out;
}

/* Encode and send one call; `raw`, when not NULL, replaces the encoded
 * body with `raw_len` bytes (binary object data). */
static cJSON *scn_aws_request(scn_run *r, const cJSON *node,
                              const char *service, const char *operation,
                              const cJSON *params, const cJSON *extra_headers,
                              const char *protocol, const char *raw,
                              size_t raw_len)
{
    const aws_service *svc = scn_service_find(service);
    if (!svc) {
        scn_fail(r, node, "unknown service \"%s\" (see `stratus ops`)",
                 service);
        return NULL;
    }
    const aws_operation *op = aws_operation_find(svc, operation);
    if (!op) {
        scn_fail(r, node, "%s has no operation \"%s\" (see `stratus ops`)",
                 svc->name, operation);
        return NULL;
    }
    int query = svc->protocol == AWS_PROTO_QUERY;
    if (protocol && strcmp(protocol, "query") == 0) {
        query = 1;
    } else if (protocol && strcmp(protocol, "json") != 0) {
        scn_fail(r, node, "protocol takes query or json, got \"%s\"", protocol);
        return NULL;
    }
    if (query && !svc->query) {
        scn_fail(r, node, "%s does not speak the Query protocol", svc->name);
        return NULL;
    }

    scn_wire w;
    memset(&w, 0, sizeof w);
    strbuf_init(&w.path);
    strbuf_init(&w.query);
    w.method = "POST";
    char auth[256], target[160], host[64];
    scn_auth_header(r, svc, auth, sizeof auth);
    snprintf(host, sizeof host, "127.0.0.1:%d", r->aws_port);
    scn_wire_header(&w, "Authorization", auth);
    scn_wire_header(&w, "Host", host);

    cJSON *members = params ? cJSON_Duplicate(params, 1) : cJSON_CreateObject();
    int rc = 0;
    if (query) {
        scn_wire_header(&w, "Content-Type",
                        "application/x-www-form-urlencoded; charset=utf-8");
        strbuf_puts(&w.path, "/");
        w.body = scn_query_encode(svc->query, op->name, members);
        w.body_len = strlen(w.body);
    } else if (svc->protocol == AWS_PROTO_JSON_1_0 ||
               svc->protocol == AWS_PROTO_JSON_1_1) {
        snprintf(target, sizeof target, "%s.%s", svc->target_prefix, op->name);
        scn_wire_header(&w, "X-Amz-Target", target);
        scn_wire_header(&w, "Content-Type",
                        svc->protocol == AWS_PROTO_JSON_1_0
                            ? "application/x-amz-json-1.0"
                            : "application/x-amz-json-1.1");
        strbuf_puts(&w.path, "/");
        w.body = cJSON_PrintUnformatted(members);
        w.body_len = strlen(w.body);
    } else {
        rc = scn_encode_rest(r, node, svc, op, members, &w);
    }
    cJSON_Delete(members);
    if (raw && rc == 0) {
        free(w.body);
        w.body = xmalloc(raw_len + 1);
        memcpy(w.body, raw, raw_len);
        w.body[raw_len] = '\0';
        w.body_len = raw_len;
    }
    for (const cJSON *h = extra_headers ? extra_headers->child : NULL; h;
         h = h->next)
        if (cJSON_IsString(h))
            scn_wire_header(&w, h->string, h->valuestring);

    cJSON *out = NULL;
    if (rc != 0) {
        out = NULL;
    } else if (scn_needs_socket(svc, op->name, params)) {
        out = scn_send_socket(r, node, &w);
    } else {
        http_request req = {
            .method = w.method,
            .path = w.path.data,
            .query = w.query.len ? w.query.data : "",
            .headers = w.headers,
            .header_count = w.header_count,
            .body = w.body ? w.body : "",
            .body_len = w.body_len,
            .remote_addr = "127.0.0.1",
        };
        http_response resp;
        int needs_commit = 0;
        http_response_init(&resp);
        aws_dispatch(r->srv, &req, &resp, &needs_commit);
        stratus_turn_end(r->srv);
        stratus_jobs_changed(r->srv);
        out = scn_response_json(&resp, svc, op->name, query);
        http_response_cleanup(&resp);
    }
    scn_wire_free(&w);
    return out;
}

cJSON *scn_aws_call(scn_run *r, const cJSON *node, const char *service,
                    const char *operation, const cJSON *params,
                    const cJSON *extra_headers, const char *protocol)
{
    return scn_aws_request(r, node, service, operation, params, extra_headers,
                           protocol, NULL, 0);
}

cJSON *scn_aws_call_bytes(scn_run *r, const cJSON *node, const char *service,
                          const char *operation, const cJSON *params,
                          const char *body, size_t len)
{
    return scn_aws_request(r, node, service, operation, params, NULL, NULL,
                           body, len);
}

const cJSON *scn_aws_ok(scn_run *r, const cJSON *node, const char *service,
                        const char *operation, const cJSON *params,
                        cJSON **response)
{
    *response = scn_aws_call(r, node, service, operation, params, NULL, NULL);
    if (!*response)
        return NULL;
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(*response, "status");
    const cJSON *body = cJSON_GetObjectItemCaseSensitive(*response, "body");
    if (status->valuedouble >= 300) {
        const cJSON *message =
            cJSON_GetObjectItemCaseSensitive(body, "message");
        if (!message)
            message = cJSON_GetObjectItemCaseSensitive(body, "Message");
        const cJSON *error =
            cJSON_GetObjectItemCaseSensitive(*response, "error");
        scn_fail(r, node, "%s %s failed: %d %s: %s", service, operation,
                 (int)status->valuedouble,
                 cJSON_IsString(error) ? error->valuestring : "",
                 cJSON_IsString(message) ? message->valuestring : "");
        return NULL;
    }
    return body;
}
