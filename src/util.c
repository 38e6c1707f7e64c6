/*
 * util.c: allocation that aborts with the size and call site on failure,
 * growable string buffers, and random UUIDs from OpenSSL's generator.
 */
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/random.h>

static void util_oom(size_t n, const char *file, int line)
{
    fprintf(stderr, "stratus: out of memory allocating %zu bytes at %s:%d\n", n,
            file, line);
    abort();
}

void *util_xmalloc(size_t n, const char *file, int line)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        util_oom(n, file, line);
    return p;
}

void *util_xcalloc(size_t n, size_t size, const char *file, int line)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        util_oom(n * size, file, line);
    return p;
}

void *util_xrealloc(void *p, size_t n, const char *file, int line)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        util_oom(n, file, line);
    return q;
}

char *util_xstrdup(const char *s, const char *file, int line)
{
    return util_xstrndup(s, strlen(s), file, line);
}

char *util_xstrndup(const char *s, size_t n, const char *file, int line)
{
    char *p = util_xmalloc(n + 1, file, line);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void strbuf_init(strbuf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void strbuf_free(strbuf *b)
{
    free(b->data);
    strbuf_init(b);
}

static void strbuf_reserve(strbuf *b, size_t extra)
{
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    b->data = xrealloc(b->data, cap);
    b->cap = cap;
}

void strbuf_append(strbuf *b, const char *data, size_t len)
{
    strbuf_reserve(b, len);
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
}

void strbuf_puts(strbuf *b, const char *s)
{
    strbuf_append(b, s, strlen(s));
}

void strbuf_printf(strbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    strbuf_reserve(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

char *strbuf_take(strbuf *b, size_t *len)
{
    if (!b->data) {
        strbuf_reserve(b, 0);
        b->data[0] = '\0';
    }
    char *data = b->data;
    if (len)
        *len = b->len;
    strbuf_init(b);
    return data;
}

void util_uuid4(char out[37])
{
    unsigned char r[16];
    /* The kernel's generator: loading OpenSSL's would cost about 2 MiB of
     * resident memory for what is only an identifier. */
    if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) {
        fprintf(stderr, "stratus: getrandom failed\n");
        abort();
    }
    r[6] = (unsigned char)((r[6] & 0x0f) | 0x40);
    r[8] = (unsigned char)((r[8] & 0x3f) | 0x80);
    snprintf(out, 37,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
             "%02x%02x%02x%02x%02x%02x",
             r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10],
             r[11], r[12], r[13], r[14], r[15]);
}
