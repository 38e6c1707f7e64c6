/*
 * http.c: libmicrohttpd listeners on the instance's libuv loop, and the
 * plain request/response values the rest of Stratus works with.
 *
 * Each listener is an MHD daemon in external select mode: after every
 * MHD_run the descriptors MHD wants watched (MHD_get_fdset2) are mirrored
 * into one uv_poll per descriptor, and MHD's timeout drives a uv_timer.
 * Note that MHD's epoll mode is not used: with it, a keep-alive connection
 * resumed after a suspension did not send its queued response until an
 * unrelated event woke MHD (seen with libmicrohttpd 0.9.75). A response that
 * must wait for the turn's commit is parked: the connection is suspended, and
 * http_listener_release resumes it after the commit so the response goes
 * out on the next MHD_run.
 */
#include "http.h"

#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/select.h>
#include <sys/socket.h>

#include <microhttpd.h>
#include <uv.h>

#include "log.h"
#include "stratus.h"
#include "util.h"

typedef struct http_conn http_conn;

/* Descriptors above this are not watched; MHD's select mode has the same
 * limit (FD_SETSIZE). */
#define HTTP_MAX_FD FD_SETSIZE

typedef struct http_watch {
    uv_poll_t poll;
    int events; /* UV_READABLE | UV_WRITABLE currently requested */
    int active;
    struct http_listener *listener;
} http_watch;

struct http_listener {
    stratus *srv;
    struct MHD_Daemon *daemon;
    http_handler handler;
    uv_timer_t timer;
    int port;
    int running;               /* inside MHD_run: no re-entry */
    int ready;                 /* marked ready in this loop turn */
    http_listener *next_ready; /* in the instance's ready list */
    http_conn *parked;         /* waiting for the turn's commit */
    http_conn *deferred;       /* waiting for http_pending_complete */
    http_watch *watches[HTTP_MAX_FD];
};

/* Per-request state, from the first callback to MHD's completion callback. */
struct http_conn {
    http_listener *listener;
    struct MHD_Connection *connection;
    strbuf body;
    int too_large;
    int parked;
    http_response response;
    int have_response;
    int deferred; /* a handler took over the response */
    http_abort_fn on_abort;
    void *abort_arg;
    http_conn *next_parked;
    http_conn *prev_deferred, *next_deferred; /* while waiting */
};

static void http_unlink_deferred(http_conn *c);

/* A pending response is its connection's state. */
struct http_pending {
    http_conn conn;
};

const char *http_request_header(const http_request *req, const char *name)
{
    for (size_t i = 0; i < req->header_count; i++)
        if (strcasecmp(req->headers[i].name, name) == 0)
            return req->headers[i].value;
    return NULL;
}

void http_response_init(http_response *resp)
{
    memset(resp, 0, sizeof *resp);
    resp->status = 200;
}

void http_response_cleanup(http_response *resp)
{
    for (size_t i = 0; i < resp->header_count; i++) {
        free(resp->headers[i].name);
        free(resp->headers[i].value);
    }
    free(resp->headers);
    free(resp->body);
    memset(resp, 0, sizeof *resp);
}

void http_response_header(http_response *resp, const char *name,
                          const char *value)
{
    resp->headers = xrealloc(resp->headers,
                             (resp->header_count + 1) * sizeof *resp->headers);
    resp->headers[resp->header_count].name = xstrdup(name);
    resp->headers[resp->header_count].value = xstrdup(value);
    resp->header_count++;
}

void http_response_body(http_response *resp, const char *data, size_t len)
{
    http_response_take_body(resp, xstrndup(data, len), len);
}

void http_response_take_body(http_response *resp, char *data, size_t len)
{
    free(resp->body);
    resp->body = data;
    resp->body_len = len;
}

/* Collects headers into a growable array (MHD iterator callback). */
typedef struct http_header_list {
    http_header *items;
    size_t count;
} http_header_list;

static enum MHD_Result http_collect_header(void *cls, enum MHD_ValueKind kind,
                                           const char *key, const char *value)
{
    http_header_list *list = cls;
    list->items =
        xrealloc(list->items, (list->count + 1) * sizeof *list->items);
    list->items[list->count].name = (char *)key;
    list->items[list->count].value = (char *)(value ? value : "");
    list->count++;
    return MHD_YES;
}

static enum MHD_Result http_queue(http_conn *c)
{
    http_response *r = &c->response;
    struct MHD_Response *mr = MHD_create_response_from_buffer(
        r->body_len, r->body, MHD_RESPMEM_MUST_FREE);
    r->body = NULL; /* MHD frees it now */
    for (size_t i = 0; i < r->header_count; i++)
        MHD_add_response_header(mr, r->headers[i].name, r->headers[i].value);
    enum MHD_Result ok =
        MHD_queue_response(c->connection, (unsigned)r->status, mr);
    MHD_destroy_response(mr);
    return ok;
}

static enum MHD_Result http_collect_query(void *cls, enum MHD_ValueKind kind,
                                          const char *key, const char *value)
{
    strbuf *q = cls;
    if (q->len)
        strbuf_puts(q, "&");
    strbuf_puts(q, key);
    if (value) {
        strbuf_puts(q, "=");
        strbuf_puts(q, value);
    }
    return MHD_YES;
}

/* Keep paths and query arguments percent-encoded: S3 keys and SigV4
 * canonical requests need the bytes the client sent. */
static size_t http_keep_escaped(void *cls, struct MHD_Connection *c, char *s)
{
    return strlen(s);
}

static enum MHD_Result http_access(void *cls, struct MHD_Connection *connection,
                                   const char *url, const char *method,
                                   const char *version, const char *upload_data,
                                   size_t *upload_data_size, void **con_cls)
{
    http_listener *l = cls;
    http_conn *c = *con_cls;

    if (!c) {
        c = xcalloc(1, sizeof *c);
        c->listener = l;
        c->connection = connection;
        strbuf_init(&c->body);
        http_response_init(&c->response);
        *con_cls = c;
        return MHD_YES;
    }

    if (*upload_data_size) {
        if (c->body.len + *upload_data_size > HTTP_MAX_BODY)
            c->too_large = 1;
        else
            strbuf_append(&c->body, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }

    if (c->have_response)
        return http_queue(c); /* resumed after the commit */

    if (c->too_large) {
        static const char msg[] =
            "{\"__type\":\"RequestEntityTooLarge\",\"message\":"
            "\"Request must be smaller than 16777216 bytes\"}";
        c->response.status = 413;
        http_response_header(&c->response, "Content-Type", "application/json");
        http_response_body(&c->response, msg, sizeof msg - 1);
        return http_queue(c);
    }

    http_header_list headers = {NULL, 0};
    MHD_get_connection_values(connection, MHD_HEADER_KIND, http_collect_header,
                              &headers);
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    char addr[64] = "";
    if (ci && ci->client_addr)
        getnameinfo(ci->client_addr,
                    ci->client_addr->sa_family == AF_INET6
                        ? sizeof(struct sockaddr_in6)
                        : sizeof(struct sockaddr_in),
                    addr, sizeof addr, NULL, 0, NI_NUMERICHOST);

    /* With the no-op unescaper, arguments arrive as the client sent them,
     * so joining them again gives back the raw query string. */
    strbuf query;
    strbuf_init(&query);
    strbuf_puts(&query, "");
    MHD_get_connection_values(connection, MHD_GET_ARGUMENT_KIND,
                              http_collect_query, &query);

    http_request req = {
        .method = method,
        .path = url,
        .query = query.data,
        .headers = headers.items,
        .header_count = headers.count,
        .body = c->body.data ? c->body.data : "",
        .body_len = c->body.len,
        .remote_addr = addr,
        .connection = c,
    };
    (void)version;

    int needs_commit = 0;
    l->handler(l->srv, &req, &c->response, &needs_commit);
    free(headers.items);
    strbuf_free(&query);
    if (c->deferred) {
        MHD_suspend_connection(connection);
        return MHD_YES;
    }
    c->have_response = 1;

    if (needs_commit) {
        c->parked = 1;
        c->next_parked = l->parked;
        l->parked = c;
        MHD_suspend_connection(connection);
        return MHD_YES;
    }
    return http_queue(c);
}

static void http_forget_fd(http_listener *l, int fd);

static void http_connection_event(void *cls, struct MHD_Connection *connection,
                                  void **socket_context,
                                  enum MHD_ConnectionNotificationCode toe)
{
    http_listener *l = cls;
    if (toe != MHD_CONNECTION_NOTIFY_CLOSED)
        return;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (ci)
        http_forget_fd(l, ci->connect_fd);
}

static void http_completed(void *cls, struct MHD_Connection *connection,
                           void **con_cls, enum MHD_RequestTerminationCode toe)
{
    http_conn *c = *con_cls;
    if (!c)
        return;
    if (c->deferred && !c->have_response) {
        http_unlink_deferred(c);
        if (c->on_abort)
            c->on_abort(c->abort_arg);
    }
    if (c->parked) {
        /* Unlink a connection that died while parked. */
        http_conn **pp = &c->listener->parked;
        while (*pp && *pp != c)
            pp = &(*pp)->next_parked;
        if (*pp)
            *pp = c->next_parked;
    }
    strbuf_free(&c->body);
    http_response_cleanup(&c->response);
    free(c);
    *con_cls = NULL;
}

static void http_run(http_listener *l);

static void http_on_timer(uv_timer_t *t)
{
    http_run(t->data);
}

/* Many sockets are often ready in one loop iteration; MHD_run serves them
 * all, so the poll callbacks only put the listener on the instance's ready
 * list and the turn end runs MHD once per listener (http_flush_ready). */
static void http_on_poll(uv_poll_t *p, int status, int events)
{
    http_watch *w = p->data;
    http_listener *l = w->listener;
    if (l->ready)
        return;
    l->ready = 1;
    l->next_ready = l->srv->ready_listeners;
    l->srv->ready_listeners = l;
}

void http_flush_ready(stratus *srv)
{
    while (srv->ready_listeners) {
        http_listener *l = srv->ready_listeners;
        srv->ready_listeners = l->next_ready;
        l->next_ready = NULL;
        l->ready = 0;
        http_run(l);
    }
}

static void http_unmark_ready(http_listener *l)
{
    http_listener **pp = &l->srv->ready_listeners;
    while (*pp && *pp != l)
        pp = &(*pp)->next_ready;
    if (*pp)
        *pp = l->next_ready;
    l->ready = 0;
}

static void http_on_watch_closed(uv_handle_t *h)
{
    free(h->data);
}

/* Make the uv_poll handles match the descriptors MHD wants watched. */
static void http_sync_watches(http_listener *l)
{
    fd_set rs, ws, es;
    MHD_socket max_fd = -1;
    FD_ZERO(&rs);
    FD_ZERO(&ws);
    FD_ZERO(&es);
    if (MHD_get_fdset2(l->daemon, &rs, &ws, &es, &max_fd, FD_SETSIZE) !=
        MHD_YES)
        max_fd = -1;

    for (int fd = 0; fd < HTTP_MAX_FD; fd++) {
        int want = 0;
        if (fd <= max_fd) {
            if (FD_ISSET(fd, &rs) || FD_ISSET(fd, &es))
                want |= UV_READABLE;
            if (FD_ISSET(fd, &ws))
                want |= UV_WRITABLE;
        }
        http_watch *w = l->watches[fd];
        if (!want) {
            if (w && w->active) {
                uv_poll_stop(&w->poll);
                w->active = 0;
            }
            continue;
        }
        if (!w) {
            w = xcalloc(1, sizeof *w);
            w->listener = l;
            if (uv_poll_init_socket(&l->srv->loop, &w->poll, fd) != 0) {
                free(w);
                continue;
            }
            w->poll.data = w;
            l->watches[fd] = w;
        }
        if (!w->active || w->events != want) {
            uv_poll_start(&w->poll, want, http_on_poll);
            w->active = 1;
            w->events = want;
        }
    }
}

/* Forget the watch of a descriptor MHD closed, before the number is
 * reused by a new connection. */
static void http_forget_fd(http_listener *l, int fd)
{
    if (fd < 0 || fd >= HTTP_MAX_FD || !l->watches[fd])
        return;
    http_watch *w = l->watches[fd];
    l->watches[fd] = NULL;
    uv_close((uv_handle_t *)&w->poll, http_on_watch_closed);
}

/* Whether MHD has a response to send on some connection. */
static int http_wants_write(http_listener *l)
{
    fd_set rs, ws, es;
    MHD_socket max_fd = -1;
    FD_ZERO(&rs);
    FD_ZERO(&ws);
    FD_ZERO(&es);
    if (MHD_get_fdset2(l->daemon, &rs, &ws, &es, &max_fd, FD_SETSIZE) !=
        MHD_YES)
        return 0;
    for (int fd = 0; fd <= max_fd; fd++)
        if (FD_ISSET(fd, &ws))
            return 1;
    return 0;
}

static void http_run(http_listener *l)
{
    if (l->running)
        return;
    l->running = 1;
    MHD_run(l->daemon);
    /* A response queued in this run is sent by the next one: run again at
     * once rather than waiting for the loop to report the socket writable,
     * which costs two epoll_ctl calls and a loop turn per response. */
    for (int i = 0; i < 2 && http_wants_write(l); i++)
        MHD_run(l->daemon);
    l->running = 0;
    http_sync_watches(l);

    MHD_UNSIGNED_LONG_LONG timeout;
    if (MHD_get_timeout(l->daemon, &timeout) == MHD_YES)
        uv_timer_start(&l->timer, http_on_timer, timeout, 0);
    else
        uv_timer_stop(&l->timer);
}

http_pending *http_request_defer(const http_request *req,
                                 http_abort_fn on_abort, void *arg)
{
    http_conn *c = req->connection;
    if (!c)
        return NULL;
    c->deferred = 1;
    c->on_abort = on_abort;
    c->abort_arg = arg;
    c->prev_deferred = NULL;
    c->next_deferred = c->listener->deferred;
    if (c->next_deferred)
        c->next_deferred->prev_deferred = c;
    c->listener->deferred = c;
    return (http_pending *)c;
}

static void http_unlink_deferred(http_conn *c)
{
    if (c->prev_deferred)
        c->prev_deferred->next_deferred = c->next_deferred;
    else if (c->listener->deferred == c)
        c->listener->deferred = c->next_deferred;
    if (c->next_deferred)
        c->next_deferred->prev_deferred = c->prev_deferred;
    c->prev_deferred = c->next_deferred = NULL;
}

void http_pending_complete(http_pending *p, http_response *resp)
{
    http_conn *c = &p->conn;
    http_listener *l = c->listener;

    http_unlink_deferred(c);
    http_response_cleanup(&c->response);
    c->response = *resp;
    http_response_init(resp);
    c->have_response = 1;
    c->on_abort = NULL;
    /* Parked connections are resumed after the turn's commit. */
    c->parked = 1;
    c->next_parked = l->parked;
    l->parked = c;
    /* Completed from a timer or process callback, the response would
     * otherwise wait for the next unrelated event. */
    stratus_wake(l->srv);
}

int http_listener_release(http_listener *l)
{
    int n = 0;
    http_conn *c = l->parked;
    l->parked = NULL;
    while (c) {
        http_conn *next = c->next_parked;
        c->parked = 0;
        c->next_parked = NULL;
        MHD_resume_connection(c->connection);
        n++;
        c = next;
    }
    if (n)
        http_run(l);
    return n;
}

static int http_resolve(const char *host, int port, struct sockaddr_storage *ss,
                        char *errbuf, size_t errsize)
{
    struct addrinfo hints, *res = NULL;
    char service[16];
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    snprintf(service, sizeof service, "%d", port);
    int rc = getaddrinfo(host, service, &hints, &res);
    if (rc != 0 || !res) {
        snprintf(errbuf, errsize, "cannot resolve listen address %s: %s", host,
                 gai_strerror(rc));
        return -1;
    }
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    return 0;
}

int http_listener_start(http_listener **out, stratus *srv, const char *host,
                        int port, http_handler handler, char *errbuf,
                        size_t errsize)
{
    struct sockaddr_storage ss;
    if (http_resolve(host, port, &ss, errbuf, errsize) != 0)
        return -1;

    http_listener *l = xcalloc(1, sizeof *l);
    l->srv = srv;
    l->handler = handler;
    unsigned flags =
        MHD_ALLOW_SUSPEND_RESUME | MHD_USE_TURBO | MHD_USE_ERROR_LOG;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    l->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, http_access, l, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&ss, MHD_OPTION_NOTIFY_COMPLETED, http_completed, l,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32 * 1024),
        /* Idle keep-alive connections close after a minute, as behind
         * AWS's load balancers, and the count stays below FD_SETSIZE,
         * the limit of MHD's select mode: past it MHD refuses a new
         * connection instead of failing every request. */
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)(FD_SETSIZE - 64),
        MHD_OPTION_NOTIFY_CONNECTION, http_connection_event, l,
        MHD_OPTION_UNESCAPE_CALLBACK, http_keep_escaped, NULL, MHD_OPTION_END);
    if (!l->daemon) {
        snprintf(errbuf, errsize,
                 "cannot listen on %s:%d (is another server using the port?)",
                 host, port);
        free(l);
        return -1;
    }
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(l->daemon, MHD_DAEMON_INFO_BIND_PORT);
    l->port = info ? info->port : port;

    uv_timer_init(&srv->loop, &l->timer);
    l->timer.data = l;
    http_sync_watches(l);
    *out = l;
    return 0;
}

int http_listener_port(const http_listener *l)
{
    return l->port;
}

static void http_on_timer_closed(uv_handle_t *h)
{
    http_listener *l = h->data;
    free(l);
}

void http_listener_stop(http_listener *l)
{
    /* Parked connections must be resumed before MHD can close them. */
    http_conn *c = l->parked;
    l->parked = NULL;
    while (c) {
        http_conn *next = c->next_parked;
        c->parked = 0;
        MHD_resume_connection(c->connection);
        c = next;
    }
    http_unmark_ready(l);
    /* Deferred ones too; their abort callbacks run as MHD closes them. */
    for (c = l->deferred; c; c = c->next_deferred)
        MHD_resume_connection(c->connection);
    for (int fd = 0; fd < HTTP_MAX_FD; fd++)
        http_forget_fd(l, fd);
    MHD_stop_daemon(l->daemon);
    uv_timer_stop(&l->timer);
    uv_close((uv_handle_t *)&l->timer, http_on_timer_closed);
}
