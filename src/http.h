/*
 * http.h: requests and responses as plain values, and the libmicrohttpd
 * listeners that carry them on the instance's libuv loop.
 *
 * The dispatcher and the services see only http_request and http_response,
 * so tests push whole requests through the real dispatcher without a socket.
 * Listeners run libmicrohttpd without threads: its descriptors are watched
 * with uv_poll and its timeout is a uv_timer.
 */
#ifndef STRATUS_HTTP_H
#define STRATUS_HTTP_H

#include <stddef.h>

struct stratus;

typedef struct http_header {
    char *name;
    char *value;
} http_header;

typedef struct http_request {
    const char *method;
    const char *path;  /* percent-decoding left to the service */
    const char *query; /* raw query string without '?', or "" */
    http_header *headers;
    size_t header_count;
    const char *body;
    size_t body_len;
    const char *remote_addr;
    void *connection; /* the listener's connection; NULL in tests */
} http_request;

/* Case-insensitive header lookup; returns NULL when absent. */
const char *http_request_header(const http_request *req, const char *name);

typedef struct http_response {
    int status;
    http_header *headers;
    size_t header_count;
    char *body; /* owned, may be NULL */
    size_t body_len;
} http_response;

void http_response_init(http_response *resp);
void http_response_cleanup(http_response *resp);
/* Add a header (copies both strings). */
void http_response_header(http_response *resp, const char *name,
                          const char *value);
/* Replace the body with a copy of `data`. */
void http_response_body(http_response *resp, const char *data, size_t len);
/* Replace the body, taking ownership of the malloc'ed `data`. */
void http_response_take_body(http_response *resp, char *data, size_t len);

/*
 * A response that a handler will produce later: a Runtime API long poll, a
 * synchronous invoke. The connection is suspended until
 * http_pending_complete; `on_abort` runs instead when the connection or the
 * listener closes first.
 */
typedef struct http_pending http_pending;
typedef void (*http_abort_fn)(void *arg);

/*
 * Defer the response of the request being handled. The handler then leaves
 * `resp` untouched. Returns NULL when the request did not come from a
 * listener (in-process tests), so the handler must respond at once.
 */
http_pending *http_request_defer(const http_request *req,
                                 http_abort_fn on_abort, void *arg);

/*
 * Send `resp` (moved: the caller's copy is reset) as the deferred response.
 * It leaves after the current turn's commit.
 */
void http_pending_complete(http_pending *p, http_response *resp);

/* Largest request body accepted on any listener, in bytes. */
#define HTTP_MAX_BODY (16u * 1024u * 1024u)

/*
 * A request handler of a listener. It fills `resp` and sets `*needs_commit`
 * when the response may leave only after the turn's commit.
 */
typedef void (*http_handler)(struct stratus *srv, const http_request *req,
                             http_response *resp, int *needs_commit);

typedef struct http_listener http_listener;

/*
 * Start listening on host:port (port 0 picks a free one) on the instance's
 * loop. Returns 0, or -1 with a message in `errbuf`.
 */
int http_listener_start(http_listener **out, struct stratus *srv,
                        const char *host, int port, http_handler handler,
                        char *errbuf, size_t errsize);
int http_listener_port(const http_listener *l);
/* Stop accepting, close connections and free the listener. */
void http_listener_stop(http_listener *l);

/* Run MHD once for each listener, of any owner, that had a socket become
 * ready in this loop turn. The instance's turn end calls it. */
void http_flush_ready(struct stratus *srv);

/*
 * Called by the loop after the turn's commit: resumes the connections whose
 * responses waited for it. Returns how many were released.
 */
int http_listener_release(http_listener *l);

#endif
