/*
 * scn_http.c: a loopback HTTP/1.1 client on the instance's own loop, for
 * `http` and `upload` steps and for AWS calls that hold their connection.
 * Driving the client from the same loop lets the request wait for work
 * the instance does meanwhile (a Lambda integration, a deferred invoke).
 */
#include "scn_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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
