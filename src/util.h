/*
 * util.h: allocation that aborts on failure, and small string helpers.
 */
#ifndef STRATUS_UTIL_H
#define STRATUS_UTIL_H

#include <stddef.h>

#define xmalloc(n) util_xmalloc((n), __FILE__, __LINE__)
#define xcalloc(n, s) util_xcalloc((n), (s), __FILE__, __LINE__)
#define xrealloc(p, n) util_xrealloc((p), (n), __FILE__, __LINE__)
#define xstrdup(s) util_xstrdup((s), __FILE__, __LINE__)
#define xstrndup(s, n) util_xstrndup((s), (n), __FILE__, __LINE__)

void *util_xmalloc(size_t n, const char *file, int line);
void *util_xcalloc(size_t n, size_t size, const char *file, int line);
void *util_xrealloc(void *p, size_t n, const char *file, int line);
char *util_xstrdup(const char *s, const char *file, int line);
char *util_xstrndup(const char *s, size_t n, const char *file, int line);

/* A growable byte buffer; `data` is always NUL-terminated. */
typedef struct strbuf {
    char *data;
    size_t len;
    size_t cap;
} strbuf;

void strbuf_init(strbuf *b);
void strbuf_free(strbuf *b);
void strbuf_append(strbuf *b, const char *data, size_t len);
void strbuf_puts(strbuf *b, const char *s);
void strbuf_printf(strbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Hand the data to the caller and reset the buffer. */
char *strbuf_take(strbuf *b, size_t *len);

/* A random version-4 UUID in lower case. */
void util_uuid4(char out[37]);

#endif
