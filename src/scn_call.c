/*
 * scn_call.c: how scenario steps reach the instance.
 *
 * `aws` steps are pushed through the dispatcher in process, encoded for the
 * service's protocol. JSON 1.0/1.1 requests carry X-Amz-Target. REST-JSON
 * requests fill the operation's path template from the parameters and
 * send the rest as the query string (GET, DELETE, HEAD) or the JSON body.
 * SQS, which also speaks Query, is called with JSON. An operation that must
 * hold its connection open (Lambda's synchronous Invoke) goes through the AWS
 * listener on a loopback socket instead, like `http` steps.
 *
 * Not supported: services that speak only Query or REST-XML (none is on
 * main yet); their calls fail with a message that says so.
 */
#include "scn_internal.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws.h"
#include "http.h"
#include "scn_query.h"

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

/* Lambda members that travel as headers, by their REST-JSON location. */
static const struct {
    const char *member, *header;
} scn_header_members[] = {
    {"InvocationType", "X-Amz-Invocation-Type"},
    {"LogType", "X-Amz-Log-Type"},
    {"ClientContext", "X-Amz-Client-Context"},
};

/* The response object {status, headers, body, error} of `resp`; a Query
 * response (`query_svc` set) has its XML read into JSON. */
static cJSON *scn_response_json(const http_response *resp,
                                const aws_service *query_svc,
                                const char *action)
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
        if (strcasecmp(resp->headers[i].name, "x-amzn-ErrorType") == 0)
            error_type = resp->headers[i].value;
    }
    cJSON *body = NULL;
    char *query_error = NULL;
    if (query_svc && resp->body && resp->body_len)
        body = scn_query_decode_xml(query_svc->query, action, resp->body,
                                    resp->body_len, &query_error);
    else if (resp->body && resp->body_len)
        body = cJSON_ParseWithLength(resp->body, resp->body_len);
    if (!body)
        body = resp->body ? cJSON_CreateString("") : cJSON_CreateNull();
    if (cJSON_IsString(body) && resp->body && resp->body_len) {
        char *text = xstrndup(resp->body, resp->body_len);
        cJSON_SetValuestring(body, text);
        free(text);
    }
    cJSON_AddItemToObject(out, "body", body);

    if (resp->status >= 400) {
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(body, "__type");
        const char *code = query_error ? query_error : error_type;
        if (!code && cJSON_IsString(type))
            code = type->valuestring;
        if (code) {
            const char *hash = strrchr(code, '#');
            char buf[256];
            snprintf(buf, sizeof buf, "%s", hash ? hash + 1 : code);
            buf[strcspn(buf, ":")] = '\0';
            cJSON_AddStringToObject(out, "error", buf);
        }
    }
    free(query_error);
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

cJSON *scn_aws_call(scn_run *r, const cJSON *node, const char *service,
                    const char *operation, const cJSON *params,
                    const cJSON *extra_headers, const char *protocol)
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
    int use_query = svc->protocol == AWS_PROTO_QUERY;
    if (protocol && strcmp(protocol, "query") == 0)
        use_query = 1;
    else if (protocol && strcmp(protocol, "json") != 0)
        return scn_fail(r, node, "protocol takes query or json, got \"%s\"",
                        protocol),
               NULL;
    if ((use_query && !svc->query) ||
        (!use_query && svc->protocol != AWS_PROTO_JSON_1_0 &&
         svc->protocol != AWS_PROTO_JSON_1_1 &&
         svc->protocol != AWS_PROTO_REST_JSON)) {
        scn_fail(r, node,
                 "aws steps cannot encode the protocol of %s; use an http "
                 "step with the encoded request",
                 svc->name);
        return NULL;
    }

    char auth[256], target[160], host[64];
    scn_auth_header(r, svc, auth, sizeof auth);
    snprintf(host, sizeof host, "127.0.0.1:%d", r->aws_port);
    http_header headers[24];
    size_t nheaders = 0;
    headers[nheaders++] = (http_header){"Authorization", auth};
    headers[nheaders++] = (http_header){"Host", host};

    cJSON *members = params ? cJSON_Duplicate(params, 1) : cJSON_CreateObject();
    strbuf path, query;
    strbuf_init(&path);
    strbuf_init(&query);
    char *body = NULL;
    size_t body_len = 0;
    const char *method = "POST";
    char *header_values[4] = {0};

    if (use_query) {
        headers[nheaders++] = (http_header){
            "Content-Type", "application/x-www-form-urlencoded; charset=utf-8"};
        strbuf_puts(&path, "/");
        body = scn_query_encode(svc->query, op->name, members);
        body_len = strlen(body);
    } else if (svc->protocol != AWS_PROTO_REST_JSON) {
        snprintf(target, sizeof target, "%s.%s", svc->target_prefix, op->name);
        headers[nheaders++] = (http_header){"X-Amz-Target", target};
        headers[nheaders++] =
            (http_header){"Content-Type", svc->protocol == AWS_PROTO_JSON_1_0
                                              ? "application/x-amz-json-1.0"
                                              : "application/x-amz-json-1.1"};
        strbuf_puts(&path, "/");
        body = cJSON_PrintUnformatted(members);
        body_len = strlen(body);
    } else {
        method = op->http_method;
        /* Fill "{Name}" and "{Name+}" from the members. */
        for (const char *t = op->http_path; *t;) {
            if (*t != '{') {
                size_t n = strcspn(t, "{");
                strbuf_append(&path, t, n);
                t += n;
                continue;
            }
            const char *close = strchr(t, '}');
            char name[128];
            int greedy = close[-1] == '+';
            snprintf(name, sizeof name, "%.*s", (int)(close - t - 1 - greedy),
                     t + 1);
            cJSON *v = cJSON_DetachItemFromObjectCaseSensitive(members, name);
            if (!v) {
                scn_fail(r, node, "%s %s needs the parameter %s", svc->name,
                         op->name, name);
                cJSON_Delete(members);
                strbuf_free(&path);
                strbuf_free(&query);
                return NULL;
            }
            char *text = scn_scalar_text(v);
            scn_percent_encode(&path, text, greedy);
            free(text);
            cJSON_Delete(v);
            t = close + 1;
        }
        for (size_t i = 0;
             i < sizeof scn_header_members / sizeof *scn_header_members; i++) {
            cJSON *v = cJSON_DetachItemFromObjectCaseSensitive(
                members, scn_header_members[i].member);
            if (!v)
                continue;
            header_values[i] = scn_scalar_text(v);
            headers[nheaders++] = (http_header){
                (char *)scn_header_members[i].header, header_values[i]};
            cJSON_Delete(v);
        }
        /* Invoke's Payload is the request body itself. */
        cJSON *payload =
            cJSON_DetachItemFromObjectCaseSensitive(members, "Payload");
        int in_query = strcmp(method, "GET") == 0 ||
                       strcmp(method, "DELETE") == 0 ||
                       strcmp(method, "HEAD") == 0 || payload;
        if (in_query) {
            for (const cJSON *m = members->child; m; m = m->next) {
                char *text = scn_scalar_text(m);
                strbuf_puts(&query, query.len ? "&" : "");
                scn_percent_encode(&query, m->string, 0);
                strbuf_puts(&query, "=");
                scn_percent_encode(&query, text, 0);
                free(text);
            }
        }
        if (payload) {
            body = cJSON_IsString(payload) ? xstrdup(payload->valuestring)
                                           : cJSON_PrintUnformatted(payload);
            cJSON_Delete(payload);
        } else if (!in_query) {
            body = cJSON_PrintUnformatted(members);
        }
        body_len = body ? strlen(body) : 0;
        headers[nheaders++] = (http_header){"Content-Type", "application/json"};
    }
    for (const cJSON *h = extra_headers ? extra_headers->child : NULL;
         h && nheaders < sizeof headers / sizeof *headers; h = h->next)
        if (cJSON_IsString(h))
            headers[nheaders++] = (http_header){h->string, h->valuestring};

    cJSON *out = NULL;
    if (scn_needs_socket(svc, op->name, params)) {
        cJSON *hs = cJSON_CreateObject();
        /* scn_http_send writes its own Host header. */
        for (size_t i = 0; i < nheaders; i++)
            if (strcmp(headers[i].name, "Host") != 0)
                cJSON_AddStringToObject(hs, headers[i].name, headers[i].value);
        strbuf full;
        strbuf_init(&full);
        strbuf_printf(&full, "%s%s%s", path.data, query.len ? "?" : "",
                      query.len ? query.data : "");
        out = scn_http_send(r, node, r->aws_port, method, full.data, hs, body,
                            body_len);
        strbuf_free(&full);
        cJSON_Delete(hs);
        if (out &&
            cJSON_GetObjectItemCaseSensitive(out, "status")->valuedouble >=
                400) {
            /* Same error field as the in-process path. */
            const cJSON *h = cJSON_GetObjectItemCaseSensitive(
                cJSON_GetObjectItemCaseSensitive(out, "headers"),
                "x-amzn-errortype");
            if (cJSON_IsString(h))
                cJSON_AddStringToObject(out, "error", h->valuestring);
        }
    } else {
        http_request req = {
            .method = method,
            .path = path.data,
            .query = query.len ? query.data : "",
            .headers = headers,
            .header_count = nheaders,
            .body = body ? body : "",
            .body_len = body_len,
            .remote_addr = "127.0.0.1",
        };
        http_response resp;
        int needs_commit = 0;
        http_response_init(&resp);
        aws_dispatch(r->srv, &req, &resp, &needs_commit);
        stratus_turn_end(r->srv);
        stratus_jobs_changed(r->srv);
        out = scn_response_json(&resp, use_query ? svc : NULL, op->name);
        http_response_cleanup(&resp);
    }

    for (size_t i = 0; i < 4; i++)
        free(header_values[i]);
    free(body);
    cJSON_Delete(members);
    strbuf_free(&path);
    strbuf_free(&query);
    return out;
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

/* ---- a loopback HTTP/1.1 client on the instance's loop ---- */

typedef struct scn_http_call {
    uv_tcp_t tcp;
    uv_connect_t connect;
    uv_write_t write;
    uv_buf_t out;
    strbuf in;
    int done;   /* the response ended (EOF) or failed */
    int closed; /* the handle's close callback ran */
    char error[128];
} scn_http_call;

static void scn_http_on_close(uv_handle_t *h)
{
    scn_http_call *c = h->data;
    c->closed = 1;
}

static void scn_http_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    buf->base = xmalloc(suggested);
    buf->len = suggested;
}

static void scn_http_on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    scn_http_call *c = s->data;
    if (n > 0)
        strbuf_append(&c->in, buf->base, (size_t)n);
    free(buf->base);
    if (n == UV_EOF) {
        c->done = 1;
    } else if (n < 0) {
        snprintf(c->error, sizeof c->error, "read failed: %s",
                 uv_strerror((int)n));
        c->done = 1;
    }
}

static void scn_http_on_write(uv_write_t *w, int status)
{
    scn_http_call *c = w->data;
    if (status < 0) {
        snprintf(c->error, sizeof c->error, "write failed: %s",
                 uv_strerror(status));
        c->done = 1;
    }
}

static void scn_http_on_connect(uv_connect_t *req, int status)
{
    scn_http_call *c = req->data;
    if (status < 0) {
        snprintf(c->error, sizeof c->error, "connect failed: %s",
                 uv_strerror(status));
        c->done = 1;
        return;
    }
    c->write.data = c;
    uv_write(&c->write, (uv_stream_t *)&c->tcp, &c->out, 1, scn_http_on_write);
    uv_read_start((uv_stream_t *)&c->tcp, scn_http_alloc, scn_http_on_read);
}

/* Decode a chunked body in place; returns its new length. */
static size_t scn_dechunk(char *body, size_t len)
{
    char *in = body, *out = body, *end = body + len;
    while (in < end) {
        char *stop;
        unsigned long size = strtoul(in, &stop, 16);
        char *line_end = strstr(stop, "\r\n");
        if (!line_end || size == 0)
            break;
        in = line_end + 2;
        if (in + size > end)
            size = (unsigned long)(end - in);
        memmove(out, in, size);
        out += size;
        in += size + 2;
    }
    return (size_t)(out - body);
}

static cJSON *scn_http_parse(const char *data, size_t len)
{
    const char *split = strstr(data, "\r\n\r\n");
    if (len < 12 || strncmp(data, "HTTP/1.", 7) != 0 || !split)
        return NULL;
    cJSON *out = cJSON_CreateObject();
    cJSON_AddNumberToObject(out, "status", atoi(data + 9));
    cJSON *headers = cJSON_AddObjectToObject(out, "headers");
    int chunked = 0;
    const char *line = strstr(data, "\r\n") + 2;
    while (line < split) {
        const char *eol = strstr(line, "\r\n");
        const char *colon = memchr(line, ':', (size_t)(eol - line));
        if (colon) {
            char name[128], value[2048];
            snprintf(name, sizeof name, "%.*s", (int)(colon - line), line);
            for (char *p = name; *p; p++)
                *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
            const char *v = colon + 1;
            while (*v == ' ')
                v++;
            snprintf(value, sizeof value, "%.*s", (int)(eol - v), v);
            if (strcmp(name, "transfer-encoding") == 0 &&
                strcasecmp(value, "chunked") == 0)
                chunked = 1;
            if (!cJSON_GetObjectItemCaseSensitive(headers, name))
                cJSON_AddStringToObject(headers, name, value);
        }
        line = eol + 2;
    }
    size_t body_len = len - (size_t)(split + 4 - data);
    char *body = xstrndup(split + 4, body_len);
    if (chunked)
        body_len = scn_dechunk(body, body_len);
    body[body_len] = '\0';
    cJSON *parsed = body_len ? cJSON_ParseWithLength(body, body_len) : NULL;
    cJSON_AddItemToObject(out, "body",
                          parsed ? parsed : cJSON_CreateString(body));
    free(body);
    return out;
}

cJSON *scn_http_send(scn_run *r, const cJSON *node, int port,
                     const char *method, const char *path, const cJSON *headers,
                     const char *body, size_t body_len)
{
    scn_http_call *c = xcalloc(1, sizeof *c);
    strbuf req;
    strbuf_init(&req);
    strbuf_init(&c->in);

    strbuf_printf(&req,
                  "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                  "Connection: close\r\nContent-Length: %zu\r\n",
                  method, path, port, body ? body_len : 0);
    for (const cJSON *h = headers ? headers->child : NULL; h; h = h->next)
        if (cJSON_IsString(h))
            strbuf_printf(&req, "%s: %s\r\n", h->string, h->valuestring);
    strbuf_puts(&req, "\r\n");
    if (body && body_len)
        strbuf_append(&req, body, body_len);
    c->out = uv_buf_init(req.data, (unsigned)req.len);

    struct sockaddr_in addr;
    uv_ip4_addr("127.0.0.1", port, &addr);
    uv_tcp_init(&r->srv->loop, &c->tcp);
    c->tcp.data = c;
    c->connect.data = c;
    int rc =
        uv_tcp_connect(&c->connect, &c->tcp, (const struct sockaddr *)&addr,
                       scn_http_on_connect);
    if (rc < 0) {
        snprintf(c->error, sizeof c->error, "connect failed: %s",
                 uv_strerror(rc));
        c->done = 1;
    }

    /* Each turn runs due jobs and handlers too: a request may wait for an
     * invocation. The bound is the scenario's wall-time deadline. */
    while (!c->done && scn_wall_ms() < r->wall_deadline)
        scn_loop_turn(r, 20);

    cJSON *out = NULL;
    if (!c->done)
        scn_fail(r, node,
                 "%s %s on port %d: no response before the "
                 "scenario's time limit",
                 method, path, port);
    else if (c->error[0])
        scn_fail(r, node, "%s %s on port %d: %s", method, path, port, c->error);
    else if (!(out = scn_http_parse(c->in.data ? c->in.data : "", c->in.len)))
        scn_fail(r, node, "%s %s on port %d: malformed HTTP response", method,
                 path, port);

    uv_close((uv_handle_t *)&c->tcp, scn_http_on_close);
    for (int i = 0; i < 1000 && !c->closed; i++)
        scn_loop_turn(r, 1);
    strbuf_free(&c->in);
    strbuf_free(&req);
    if (c->closed)
        free(c);
    /* NOTE: a handle whose close callback never ran is leaked on purpose,
     * because libuv may still touch it. */
    return out;
}
