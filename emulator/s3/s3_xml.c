/*
 * s3_xml.c: the XML of S3 bodies: a writer for responses and error
 * documents, a small reader for request bodies (CreateBucketConfiguration,
 * CORSConfiguration, VersioningConfiguration, Delete,
 * CompleteMultipartUpload), and the two date formats S3 uses.
 *
 * The reader keeps element names (without namespace prefix) and text, and
 * skips attributes, comments, processing instructions and DOCTYPE. It
 * rejects unbalanced tags, so MalformedXML comes out where AWS gives it.
 */
#include "s3_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void s3__xml_escape(strbuf *b, const char *s)
{
    for (const char *p = s; *p; p++) {
        switch (*p) {
        case '<':
            strbuf_puts(b, "&lt;");
            break;
        case '>':
            strbuf_puts(b, "&gt;");
            break;
        case '&':
            strbuf_puts(b, "&amp;");
            break;
        case '"':
            strbuf_puts(b, "&quot;");
            break;
        case '\r':
            strbuf_puts(b, "&#13;");
            break;
        default:
            strbuf_append(b, p, 1);
        }
    }
}

void s3__xml_elem(strbuf *b, const char *name, const char *value)
{
    strbuf_printf(b, "<%s>", name);
    s3__xml_escape(b, value ? value : "");
    strbuf_printf(b, "</%s>", name);
}

void s3__xml_elem_int(strbuf *b, const char *name, long long value)
{
    strbuf_printf(b, "<%s>%lld</%s>", name, value, name);
}

void s3__xml_open(strbuf *b, const char *root)
{
    strbuf_printf(b,
                  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<%s "
                  "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">",
                  root);
}

void s3__http_date(int64_t ms, char out[40])
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 40, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

void s3__iso_date(int64_t ms, char out[32])
{
    clock_format_iso(ms, out);
}

/* Reader. */

typedef struct s3_xml_reader {
    const char *p, *end;
    int depth;
} s3_xml_reader;

static void s3_xml_decode_text(strbuf *b, const char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        if (s[i] != '&') {
            strbuf_append(b, s + i, 1);
            i++;
            continue;
        }
        const char *semi = memchr(s + i, ';', len - i);
        if (!semi || semi - (s + i) > 10) {
            strbuf_append(b, s + i, 1);
            i++;
            continue;
        }
        size_t n = (size_t)(semi - (s + i)) + 1;
        const char *ent = s + i + 1;
        unsigned long code = 0;
        if (strncmp(ent, "lt;", 3) == 0)
            strbuf_puts(b, "<");
        else if (strncmp(ent, "gt;", 3) == 0)
            strbuf_puts(b, ">");
        else if (strncmp(ent, "amp;", 4) == 0)
            strbuf_puts(b, "&");
        else if (strncmp(ent, "quot;", 5) == 0)
            strbuf_puts(b, "\"");
        else if (strncmp(ent, "apos;", 5) == 0)
            strbuf_puts(b, "'");
        else if (ent[0] == '#') {
            code = ent[1] == 'x' || ent[1] == 'X' ? strtoul(ent + 2, NULL, 16)
                                                  : strtoul(ent + 1, NULL, 10);
            /* Encode the code point as UTF-8. */
            char u[4];
            size_t ulen;
            if (code < 0x80) {
                u[0] = (char)code;
                ulen = 1;
            } else if (code < 0x800) {
                u[0] = (char)(0xc0 | (code >> 6));
                u[1] = (char)(0x80 | (code & 0x3f));
                ulen = 2;
            } else if (code < 0x10000) {
                u[0] = (char)(0xe0 | (code >> 12));
                u[1] = (char)(0x80 | ((code >> 6) & 0x3f));
                u[2] = (char)(0x80 | (code & 0x3f));
                ulen = 3;
            } else {
                u[0] = (char)(0xf0 | ((code >> 18) & 0x07));
                u[1] = (char)(0x80 | ((code >> 12) & 0x3f));
                u[2] = (char)(0x80 | ((code >> 6) & 0x3f));
                u[3] = (char)(0x80 | (code & 0x3f));
                ulen = 4;
            }
            strbuf_append(b, u, ulen);
        } else {
            strbuf_append(b, s + i, n);
        }
        i += n;
    }
}

/* Skip <?...?>, <!--...-->, <!DOCTYPE ...>. Returns 1 when something was
 * skipped, 0 when the next markup is an element, -1 on a broken one. */
static int s3_xml_skip_misc(s3_xml_reader *r)
{
    if (r->end - r->p >= 2 && r->p[0] == '<' && r->p[1] == '?') {
        const char *e = strstr(r->p, "?>");
        if (!e || e >= r->end)
            return -1;
        r->p = e + 2;
        return 1;
    }
    if (r->end - r->p >= 4 && strncmp(r->p, "<!--", 4) == 0) {
        const char *e = strstr(r->p, "-->");
        if (!e || e >= r->end)
            return -1;
        r->p = e + 3;
        return 1;
    }
    if (r->end - r->p >= 2 && r->p[0] == '<' && r->p[1] == '!' &&
        !(r->end - r->p >= 9 && strncmp(r->p, "<![CDATA[", 9) == 0)) {
        const char *e = memchr(r->p, '>', (size_t)(r->end - r->p));
        if (!e)
            return -1;
        r->p = e + 1;
        return 1;
    }
    return 0;
}

static int s3_xml_is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static s3_xml_node *s3_xml_element(s3_xml_reader *r);

/* Parse the content after a start tag up to the matching end tag. */
static int s3_xml_content(s3_xml_reader *r, s3_xml_node *n,
                          const char *raw_name, size_t raw_len)
{
    strbuf text;
    strbuf_init(&text);
    s3_xml_node **tail = &n->child;

    while (r->p < r->end) {
        if (*r->p != '<') {
            const char *lt = memchr(r->p, '<', (size_t)(r->end - r->p));
            const char *stop = lt ? lt : r->end;
            s3_xml_decode_text(&text, r->p, (size_t)(stop - r->p));
            r->p = stop;
            continue;
        }
        if (r->end - r->p >= 9 && strncmp(r->p, "<![CDATA[", 9) == 0) {
            const char *e = strstr(r->p + 9, "]]>");
            if (!e || e >= r->end)
                goto bad;
            strbuf_append(&text, r->p + 9, (size_t)(e - r->p - 9));
            r->p = e + 3;
            continue;
        }
        int skipped = s3_xml_skip_misc(r);
        if (skipped < 0)
            goto bad;
        if (skipped)
            continue;
        if (r->end - r->p >= 2 && r->p[1] == '/') {
            const char *name = r->p + 2;
            const char *gt = memchr(name, '>', (size_t)(r->end - name));
            if (!gt)
                goto bad;
            size_t len = (size_t)(gt - name);
            while (len && s3_xml_is_space(name[len - 1]))
                len--;
            if (len != raw_len || memcmp(name, raw_name, len) != 0)
                goto bad;
            r->p = gt + 1;
            n->text = strbuf_take(&text, NULL);
            return 0;
        }
        s3_xml_node *child = s3_xml_element(r);
        if (!child)
            goto bad;
        *tail = child;
        tail = &child->next;
    }
bad:
    strbuf_free(&text);
    return -1;
}

static s3_xml_node *s3_xml_element(s3_xml_reader *r)
{
    if (r->p >= r->end || *r->p != '<' || ++r->depth > 64)
        return NULL;
    const char *name = r->p + 1;
    const char *q = name;
    while (q < r->end && !s3_xml_is_space(*q) && *q != '>' && *q != '/')
        q++;
    if (q == name || q >= r->end)
        return NULL;
    size_t raw_len = (size_t)(q - name);

    /* Skip attributes, respecting quotes. */
    char quote = 0;
    while (q < r->end && (quote || (*q != '>' && *q != '/'))) {
        if (quote && *q == quote)
            quote = 0;
        else if (!quote && (*q == '"' || *q == '\''))
            quote = *q;
        q++;
    }
    if (q >= r->end)
        return NULL;
    int empty = *q == '/';
    if (empty) {
        q++;
        if (q >= r->end || *q != '>')
            return NULL;
    }
    r->p = q + 1;

    s3_xml_node *n = xcalloc(1, sizeof *n);
    const char *colon = memchr(name, ':', raw_len);
    const char *local = colon ? colon + 1 : name;
    n->name = xstrndup(local, raw_len - (size_t)(local - name));
    if (empty) {
        n->text = xstrdup("");
    } else if (s3_xml_content(r, n, name, raw_len) != 0) {
        s3__xml_free(n);
        return NULL;
    }
    r->depth--;
    return n;
}

s3_xml_node *s3__xml_parse(const char *text, size_t len)
{
    s3_xml_reader r = {text, text + len, 0};
    for (;;) {
        while (r.p < r.end && s3_xml_is_space(*r.p))
            r.p++;
        int skipped = s3_xml_skip_misc(&r);
        if (skipped < 0)
            return NULL;
        if (!skipped)
            break;
    }
    s3_xml_node *root = s3_xml_element(&r);
    if (!root)
        return NULL;
    while (r.p < r.end && s3_xml_is_space(*r.p))
        r.p++;
    if (r.p != r.end) {
        s3__xml_free(root);
        return NULL;
    }
    return root;
}

void s3__xml_free(s3_xml_node *n)
{
    while (n) {
        s3_xml_node *next = n->next;
        s3__xml_free(n->child);
        free(n->name);
        free(n->text);
        free(n);
        n = next;
    }
}

s3_xml_node *s3__xml_child(const s3_xml_node *n, const char *name)
{
    for (s3_xml_node *c = n ? n->child : NULL; c; c = c->next)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}

const char *s3__xml_text(const s3_xml_node *n, const char *name)
{
    s3_xml_node *c = s3__xml_child(n, name);
    return c ? c->text : NULL;
}
