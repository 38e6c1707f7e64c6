/*
 * lam_live.h: helpers for the Lambda tests that need real sockets and
 * child processes: an instance whose loop runs on a second thread, a
 * blocking loopback HTTP/1.1 client, and scratch directories with function
 * code. Header-only, because each test file is its own executable.
 */
#ifndef STRATUS_LAM_LIVE_H
#define STRATUS_LAM_LIVE_H

#define _XOPEN_SOURCE 700
#include <arpa/inet.h>
#include <errno.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <uv.h>

#include "lam.h"
#include "stratus.h"
#include "util.h"

/* An instance serving on 127.0.0.1:<port> from a loop on its own thread. */
typedef struct lam_live {
    stratus *srv;
    uv_async_t stop;
    pthread_t thread;
    int port;
    char dir[64]; /* scratch directory, removed at the end */
} lam_live;

static inline void lam_live_on_stop(uv_async_t *h)
{
    uv_stop(h->loop);
}

static inline void *lam_live_main(void *arg)
{
    lam_live *live = arg;
    stratus_jobs_changed(live->srv);
    uv_run(&live->srv->loop, UV_RUN_DEFAULT);
    return NULL;
}

static inline void lam_live_start(lam_live *live)
{
    stratus_config cfg;
    char errbuf[256];
    memset(live, 0, sizeof *live);
    config_defaults(&cfg);
    cfg.in_memory = 1;
    cfg.port = 0;
    cfg.api_port = -1;
    snprintf(cfg.host, sizeof cfg.host, "127.0.0.1");
    cr_assert_eq(stratus_create(&live->srv, &cfg, errbuf, sizeof errbuf), 0,
                 "%s", errbuf);
    cr_assert_eq(stratus_listen(live->srv, errbuf, sizeof errbuf), 0, "%s",
                 errbuf);
    live->port = http_listener_port(live->srv->listeners[0]);
    uv_async_init(&live->srv->loop, &live->stop, lam_live_on_stop);
    snprintf(live->dir, sizeof live->dir, "/tmp/stratus-lam-live-XXXXXX");
    cr_assert_not_null(mkdtemp(live->dir));
    cr_assert_eq(pthread_create(&live->thread, NULL, lam_live_main, live), 0);
}

static inline int lam_live_remove_entry(const char *path, const struct stat *sb,
                                        int flag, struct FTW *ftw)
{
    remove(path);
    return 0;
}

static inline void lam_live_stop(lam_live *live)
{
    uv_async_send(&live->stop);
    pthread_join(live->thread, NULL);
    stratus_destroy(live->srv);
    nftw(live->dir, lam_live_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Write `text` to `dir`/`name` with `mode`. */
static inline void lam_live_write(const char *dir, const char *name,
                                  const char *text, mode_t mode)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "cannot write %s", path);
    fputs(text, f);
    fclose(f);
    chmod(path, mode);
}

/* Make `dir`/`name` and return its path in `out`. */
static inline void lam_live_subdir(const lam_live *live, const char *name,
                                   char *out, size_t size)
{
    snprintf(out, size, "%s/%s", live->dir, name);
    mkdir(out, 0700);
}

/* Sleep `ms` milliseconds, resuming after signals (SIGCHLD arrives whenever
 * an environment ends). */
static inline void lam_live_sleep_ms(long ms)
{
    struct timespec left = {.tv_sec = ms / 1000,
                            .tv_nsec = (ms % 1000) * 1000000L};
    while (nanosleep(&left, &left) != 0 && errno == EINTR)
        ;
}

typedef struct lam_reply {
    int status;
    char *headers; /* the raw header block */
    char *body;
    size_t body_len;
} lam_reply;

static inline void lam_reply_free(lam_reply *r)
{
    free(r->headers);
    free(r->body);
    memset(r, 0, sizeof *r);
}

/* The value of header `name` in `r` (copied into `out`), or NULL. */
static inline const char *lam_reply_header(const lam_reply *r, const char *name,
                                           char *out, size_t size)
{
    size_t nlen = strlen(name);
    for (const char *line = r->headers; line && *line;) {
        const char *end = strstr(line, "\r\n");
        if (!end)
            break;
        if (strncasecmp(line, name, nlen) == 0 && line[nlen] == ':') {
            const char *v = line + nlen + 1;
            while (*v == ' ')
                v++;
            snprintf(out, size, "%.*s", (int)(end - v), v);
            return out;
        }
        line = end + 2;
    }
    return NULL;
}

/*
 * Send one request to 127.0.0.1:`port` with "Connection: close" and read
 * the whole response. `extra_headers` is "Name: value\r\n" lines or NULL.
 * Returns 0, or -1 when nothing complete arrived within `timeout_ms`.
 */
static inline int lam_http(int port, const char *method, const char *path,
                           const char *extra_headers, const char *body,
                           int timeout_ms, lam_reply *out)
{
    memset(out, 0, sizeof *out);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    size_t blen = body ? strlen(body) : 0;
    char head[2048];
    int hlen =
        snprintf(head, sizeof head,
                 "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                 "Connection: close\r\nContent-Length: %zu\r\n%s\r\n",
                 method, path, port, blen, extra_headers ? extra_headers : "");
    if (write(fd, head, (size_t)hlen) != hlen ||
        (blen && write(fd, body, blen) != (ssize_t)blen)) {
        close(fd);
        return -1;
    }

    strbuf buf;
    strbuf_init(&buf);
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    int ok = 0;
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        long elapsed = (now.tv_sec - start.tv_sec) * 1000 +
                       (now.tv_nsec - start.tv_nsec) / 1000000;
        if (elapsed >= timeout_ms)
            break;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int ready = poll(&p, 1, (int)(timeout_ms - elapsed));
        if (ready < 0 && errno == EINTR)
            continue; /* SIGCHLD from an environment's exit */
        if (ready <= 0)
            break;
        char chunk[8192];
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            ok = n == 0;
            break;
        }
        strbuf_append(&buf, chunk, (size_t)n);
    }
    close(fd);
    char *split = buf.data ? strstr(buf.data, "\r\n\r\n") : NULL;
    if (!ok || !split) {
        strbuf_free(&buf);
        return -1;
    }
    out->status = atoi(buf.data + 9);
    out->headers = xstrndup(buf.data, (size_t)(split - buf.data) + 2);
    out->body_len = buf.len - (size_t)(split + 4 - buf.data);
    out->body = xstrndup(split + 4, out->body_len);
    strbuf_free(&buf);
    return 0;
}

#define LAM_LIVE_AUTH                                                          \
    "Authorization: AWS4-HMAC-SHA256 Credential=AKIDTEST/20260101/"            \
    "us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=00\r\n"

/* Call the Lambda API of `live`; returns the HTTP status. */
static inline int lam_live_api(lam_live *live, const char *method,
                               const char *path, const char *extra_headers,
                               const char *body, int timeout_ms, lam_reply *out)
{
    char headers[1024];
    snprintf(headers, sizeof headers, "%s%s", LAM_LIVE_AUTH,
             extra_headers ? extra_headers : "");
    cr_assert_eq(
        lam_http(live->port, method, path, headers, body, timeout_ms, out), 0,
        "%s %s got no response within %d ms", method, path, timeout_ms);
    return out->status;
}

/* Create a function from a code directory; fails the test on an error. */
static inline void lam_live_create(lam_live *live, const char *name,
                                   const char *runtime, const char *handler,
                                   const char *code_dir, const char *extra)
{
    char body[4096];
    lam_reply r;
    snprintf(body, sizeof body,
             "{\"FunctionName\":\"%s\",\"Runtime\":\"%s\",\"Role\":"
             "\"arn:aws:iam::123456789012:role/r\",\"Handler\":\"%s\","
             "\"Code\":{\"Directory\":\"%s\"}%s%s}",
             name, runtime, handler, code_dir, extra ? "," : "",
             extra ? extra : "");
    int status = lam_live_api(live, "POST", "/2015-03-31/functions", NULL, body,
                              5000, &r);
    cr_assert_eq(status, 201, "CreateFunction %s: %s", name, r.body);
    lam_reply_free(&r);
}

/* Invoke `name` synchronously; returns the HTTP status. */
static inline int lam_live_invoke(lam_live *live, const char *name,
                                  const char *payload,
                                  const char *extra_headers, lam_reply *out)
{
    char path[256];
    snprintf(path, sizeof path, "/2015-03-31/functions/%s/invocations", name);
    return lam_live_api(live, "POST", path, extra_headers, payload, 20000, out);
}

#endif
