/*
 * sfn_path.c: parsing and evaluation of ASL JSONPath, and the ResultPath
 * assignment. See sfn_path.h for the supported syntax.
 *
 * A path is parsed once into a list of segments. Evaluating a definite path
 * walks the list and reports the first miss in Jayway's words. An indefinite
 * path is walked recursively and collects every match.
 */
#include "sfn_path.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Limits on user input, so that parsing and evaluation stay bounded. */
#define PATH_MAX_SEGMENTS 128
#define PATH_MAX_UNION 64
#define FILTER_MAX_NODES 64
#define FILTER_MAX_DEPTH 8
#define SCAN_MAX_DEPTH 512

typedef enum segment_kind {
    SEG_NAME,     /* .name or ['name'] */
    SEG_INDEX,    /* [n], negative counts from the end */
    SEG_WILDCARD, /* .* or [*] */
    SEG_SLICE,    /* [from:to] */
    SEG_NAMES,    /* ['a','b'] */
    SEG_INDEXES,  /* [0,2] */
    SEG_FILTER    /* [?(expr)] */
} segment_kind;

typedef struct filter_expr filter_expr;

typedef struct segment {
    segment_kind kind;
    bool deep; /* preceded by `..` */
    char **names;
    long *indexes;
    size_t count;
    long from, to;
    bool has_from, has_to;
    filter_expr *filter;
} segment;

struct sfn_path {
    char *text;
    bool context;
    bool definite;
    segment *segs;
    size_t nsegs;
};

typedef enum filter_kind {
    FX_OR,
    FX_AND,
    FX_NOT,
    FX_EXISTS,
    FX_COMPARE
} filter_kind;

typedef enum compare_op {
    CMP_EQ,
    CMP_NE,
    CMP_LT,
    CMP_LE,
    CMP_GT,
    CMP_GE
} compare_op;

/* One side of a filter comparison: a path on the current item (`@`), a path
 * on the document root (`$`), or a literal. */
typedef struct operand {
    sfn_path *path;
    bool from_root;
    cJSON *literal;
} operand;

struct filter_expr {
    filter_kind kind;
    compare_op op;
    filter_expr *left, *right;
    operand a, b;
};

typedef struct parser {
    const char *s;
    size_t pos;
    sfn_path_syntax syntax;
    int depth;
    int filter_nodes;
    char *err;
    size_t err_len;
} parser;

static bool parse_segments(parser *p, sfn_path *path, bool in_filter);
static void filter_free(filter_expr *fx);

/* Parsing */

static bool parse_fail(parser *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static bool parse_fail(parser *p, const char *fmt, ...)
{
    if (p->err && p->err_len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p->err, p->err_len, fmt, ap);
        va_end(ap);
    }
    return false;
}

static char peek(const parser *p)
{
    return p->s[p->pos];
}

static void skip_space(parser *p)
{
    while (peek(p) == ' ' || peek(p) == '\t')
        p->pos++;
}

static void segment_clear(segment *seg)
{
    for (size_t i = 0; i < seg->count && seg->names; i++)
        free(seg->names[i]);
    free(seg->names);
    free(seg->indexes);
    filter_free(seg->filter);
    memset(seg, 0, sizeof *seg);
}

void sfn_path_free(sfn_path *path)
{
    if (!path)
        return;
    for (size_t i = 0; i < path->nsegs; i++)
        segment_clear(&path->segs[i]);
    free(path->segs);
    free(path->text);
    free(path);
}

static void filter_free(filter_expr *fx)
{
    if (!fx)
        return;
    filter_free(fx->left);
    filter_free(fx->right);
    sfn_path_free(fx->a.path);
    sfn_path_free(fx->b.path);
    cJSON_Delete(fx->a.literal);
    cJSON_Delete(fx->b.literal);
    free(fx);
}

/* Parse a quoted name or string literal with backslash escapes. `p` is on the
 * opening quote. */
static char *parse_quoted(parser *p)
{
    char quote = peek(p);
    strbuf out;
    strbuf_init(&out);
    p->pos++;
    for (;;) {
        char c = peek(p);
        if (c == '\0') {
            strbuf_free(&out);
            parse_fail(p, "unterminated quoted string");
            return NULL;
        }
        p->pos++;
        if (c == quote)
            break;
        if (c == '\\' && peek(p) != '\0') {
            c = peek(p);
            p->pos++;
        }
        strbuf_append(&out, &c, 1);
    }
    strbuf_append(&out, "", 0); /* terminates an empty result */
    return strbuf_take(&out, NULL);
}

static bool parse_long(parser *p, long *out)
{
    const char *start = p->s + p->pos;
    char *end;
    errno = 0;
    long v = strtol(start, &end, 10);
    if (end == start || errno == ERANGE)
        return parse_fail(p, "invalid array index at position %zu", p->pos);
    p->pos += (size_t)(end - start);
    *out = v;
    return true;
}

static bool parse_bracket_indexes(parser *p, segment *seg)
{
    long first = 0;
    bool have_first = false;
    if (peek(p) != ':') {
        if (!parse_long(p, &first))
            return false;
        have_first = true;
    }
    skip_space(p);
    if (peek(p) == ':') {
        p->pos++;
        skip_space(p);
        seg->kind = SEG_SLICE;
        seg->has_from = have_first;
        seg->from = first;
        if (peek(p) != ']') {
            if (!parse_long(p, &seg->to))
                return false;
            seg->has_to = true;
        }
        skip_space(p);
        return true;
    }

    seg->indexes = xmalloc(sizeof(long) * PATH_MAX_UNION);
    seg->indexes[seg->count++] = first;
    while (peek(p) == ',') {
        p->pos++;
        skip_space(p);
        if (seg->count == PATH_MAX_UNION)
            return parse_fail(p, "too many indexes in a union (maximum %d)",
                              PATH_MAX_UNION);
        if (!parse_long(p, &seg->indexes[seg->count]))
            return false;
        seg->count++;
        skip_space(p);
    }
    seg->kind = seg->count == 1 ? SEG_INDEX : SEG_INDEXES;
    return true;
}

static bool parse_bracket_names(parser *p, segment *seg)
{
    seg->names = xcalloc(PATH_MAX_UNION, sizeof(char *));
    for (;;) {
        if (peek(p) != '\'' && peek(p) != '"')
            return parse_fail(p, "expected a quoted name at position %zu",
                              p->pos);
        if (seg->count == PATH_MAX_UNION)
            return parse_fail(p, "too many names in a union (maximum %d)",
                              PATH_MAX_UNION);
        char *name = parse_quoted(p);
        if (!name)
            return false;
        seg->names[seg->count++] = name;
        skip_space(p);
        if (peek(p) != ',')
            break;
        p->pos++;
        skip_space(p);
    }
    seg->kind = seg->count == 1 ? SEG_NAME : SEG_NAMES;
    return true;
}

static filter_expr *parse_or(parser *p);

/* Parse `[?(expr)]` when `p` is on the `?`. */
static bool parse_bracket_filter(parser *p, segment *seg)
{
    p->pos++;
    if (peek(p) != '(')
        return parse_fail(p, "expected '(' after '?' at position %zu", p->pos);
    p->pos++;
    if (++p->depth > FILTER_MAX_DEPTH)
        return parse_fail(p, "filters nested too deeply (maximum %d)",
                          FILTER_MAX_DEPTH);
    seg->kind = SEG_FILTER;
    seg->filter = parse_or(p);
    p->depth--;
    if (!seg->filter)
        return false;
    skip_space(p);
    if (peek(p) != ')')
        return parse_fail(p, "expected ')' at position %zu", p->pos);
    p->pos++;
    skip_space(p);
    return true;
}

/* Parse `[...]` when `p` is on the `[`. */
static bool parse_bracket(parser *p, segment *seg)
{
    p->pos++;
    skip_space(p);
    char c = peek(p);
    bool ok;
    if (c == '*') {
        p->pos++;
        skip_space(p);
        seg->kind = SEG_WILDCARD;
        ok = true;
    } else if (c == '?') {
        ok = parse_bracket_filter(p, seg);
    } else if (c == '\'' || c == '"') {
        ok = parse_bracket_names(p, seg);
    } else if (isdigit((unsigned char)c) || c == '-' || c == ':') {
        ok = parse_bracket_indexes(p, seg);
    } else {
        ok = parse_fail(p,
                        "unexpected character '%c' after '[' at "
                        "position %zu",
                        c ? c : ' ', p->pos);
    }
    if (!ok)
        return false;
    if (peek(p) != ']')
        return parse_fail(p, "expected ']' at position %zu", p->pos);
    p->pos++;
    return true;
}

static bool is_filter_stop(char c)
{
    return c == ' ' || c == '\t' || (c && strchr(")=!<>&|", c));
}

/* A name after `.`: everything up to the next `.` or `[` (or, inside a
 * filter, up to an operator or space). */
static bool parse_dot_name(parser *p, segment *seg, bool in_filter)
{
    size_t start = p->pos;
    while (peek(p) && peek(p) != '.' && peek(p) != '[' &&
           !(in_filter && is_filter_stop(peek(p))))
        p->pos++;
    if (p->pos == start)
        return parse_fail(p, "missing property name at position %zu", start);
    seg->kind = SEG_NAME;
    seg->names = xmalloc(sizeof(char *));
    seg->names[0] = xstrndup(p->s + start, p->pos - start);
    seg->count = 1;
    return true;
}

static bool parse_segment(parser *p, segment *seg, bool in_filter)
{
    if (peek(p) == '[')
        return parse_bracket(p, seg);
    if (peek(p) != '.')
        return parse_fail(p, "unexpected character '%c' at position %zu",
                          peek(p), p->pos);
    p->pos++;
    if (peek(p) == '.') {
        seg->deep = true;
        p->pos++;
    }
    if (peek(p) == '[')
        return parse_bracket(p, seg);
    if (peek(p) == '*') {
        p->pos++;
        seg->kind = SEG_WILDCARD;
        return true;
    }
    return parse_dot_name(p, seg, in_filter);
}

static bool parse_segments(parser *p, sfn_path *path, bool in_filter)
{
    size_t cap = 0;
    path->definite = true;
    while (peek(p) && !(in_filter && is_filter_stop(peek(p)))) {
        if (path->nsegs == PATH_MAX_SEGMENTS)
            return parse_fail(p, "path has too many segments (maximum %d)",
                              PATH_MAX_SEGMENTS);
        if (path->nsegs == cap) {
            cap = cap ? cap * 2 : 4;
            path->segs = xrealloc(path->segs, cap * sizeof(segment));
        }
        segment *seg = &path->segs[path->nsegs];
        memset(seg, 0, sizeof *seg);
        path->nsegs++;
        if (!parse_segment(p, seg, in_filter))
            return false;

        bool simple =
            !seg->deep && (seg->kind == SEG_NAME || seg->kind == SEG_INDEX);
        if (!simple)
            path->definite = false;
        if (!simple && p->syntax == SFN_PATH_REFERENCE)
            return parse_fail(p, "the operators '..', '*', ':', ',' and '?' "
                                 "are not allowed in a reference path");
    }
    return true;
}

/* A path inside a filter: `@...` or `$...`, which must be definite. */
static bool parse_filter_path(parser *p, operand *o)
{
    size_t start = p->pos;
    o->from_root = peek(p) == '$';
    p->pos++;
    sfn_path *path = xcalloc(1, sizeof *path);
    o->path = path;
    sfn_path_syntax saved = p->syntax;
    p->syntax = SFN_PATH_GENERAL;
    bool ok = parse_segments(p, path, true);
    p->syntax = saved;
    if (!ok)
        return false;
    path->text = xstrndup(p->s + start, p->pos - start);
    if (!path->definite)
        return parse_fail(p, "filter path '%s' must select a single value",
                          path->text);
    return true;
}

static bool parse_literal_word(parser *p, operand *o)
{
    static const struct {
        const char *word;
        int type;
    } words[] = {
        {"true", cJSON_True}, {"false", cJSON_False}, {"null", cJSON_NULL}};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        size_t n = strlen(words[i].word);
        if (strncmp(p->s + p->pos, words[i].word, n) == 0) {
            p->pos += n;
            o->literal = words[i].type == cJSON_NULL
                             ? cJSON_CreateNull()
                             : cJSON_CreateBool(words[i].type == cJSON_True);
            return true;
        }
    }
    return parse_fail(p, "unexpected text in filter at position %zu", p->pos);
}

static bool parse_operand(parser *p, operand *o)
{
    skip_space(p);
    char c = peek(p);
    if (c == '@' || c == '$')
        return parse_filter_path(p, o);
    if (c == '\'' || c == '"') {
        char *s = parse_quoted(p);
        if (!s)
            return false;
        o->literal = cJSON_CreateString(s);
        free(s);
        return true;
    }
    if (isdigit((unsigned char)c) || c == '-') {
        const char *start = p->s + p->pos;
        char *end;
        double v = strtod(start, &end);
        if (end == start)
            return parse_fail(p, "invalid number at position %zu", p->pos);
        p->pos += (size_t)(end - start);
        o->literal = cJSON_CreateNumber(v);
        return true;
    }
    return parse_literal_word(p, o);
}

static bool parse_compare_op(parser *p, compare_op *op)
{
    static const struct {
        const char *text;
        compare_op op;
    } ops[] = {{"==", CMP_EQ}, {"!=", CMP_NE}, {"<=", CMP_LE},
               {">=", CMP_GE}, {"<", CMP_LT},  {">", CMP_GT}};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        size_t n = strlen(ops[i].text);
        if (strncmp(p->s + p->pos, ops[i].text, n) == 0) {
            p->pos += n;
            *op = ops[i].op;
            return true;
        }
    }
    return false;
}

static filter_expr *filter_new(parser *p, filter_kind kind)
{
    if (++p->filter_nodes > FILTER_MAX_NODES) {
        parse_fail(p, "filter expression too long (maximum %d terms)",
                   FILTER_MAX_NODES);
        return NULL;
    }
    filter_expr *fx = xcalloc(1, sizeof *fx);
    fx->kind = kind;
    return fx;
}

static filter_expr *parse_unary(parser *p)
{
    skip_space(p);
    if (peek(p) == '!' && p->s[p->pos + 1] != '=') {
        p->pos++;
        filter_expr *fx = filter_new(p, FX_NOT);
        if (!fx)
            return NULL;
        if (!(fx->left = parse_unary(p))) {
            filter_free(fx);
            return NULL;
        }
        return fx;
    }
    if (peek(p) == '(') {
        p->pos++;
        if (++p->depth > FILTER_MAX_DEPTH) {
            parse_fail(p, "filters nested too deeply (maximum %d)",
                       FILTER_MAX_DEPTH);
            return NULL;
        }
        filter_expr *fx = parse_or(p);
        p->depth--;
        if (!fx)
            return NULL;
        skip_space(p);
        if (peek(p) != ')') {
            parse_fail(p, "expected ')' at position %zu", p->pos);
            filter_free(fx);
            return NULL;
        }
        p->pos++;
        return fx;
    }

    filter_expr *fx = filter_new(p, FX_COMPARE);
    if (!fx)
        return NULL;
    if (!parse_operand(p, &fx->a)) {
        filter_free(fx);
        return NULL;
    }
    skip_space(p);
    if (!parse_compare_op(p, &fx->op)) {
        if (!fx->a.path) {
            parse_fail(p, "a literal needs a comparison at position %zu",
                       p->pos);
            filter_free(fx);
            return NULL;
        }
        fx->kind = FX_EXISTS;
        return fx;
    }
    if (!parse_operand(p, &fx->b)) {
        filter_free(fx);
        return NULL;
    }
    return fx;
}

static filter_expr *parse_binary(parser *p, bool is_or)
{
    filter_expr *left = is_or ? parse_binary(p, false) : parse_unary(p);
    const char *token = is_or ? "||" : "&&";
    while (left) {
        skip_space(p);
        if (strncmp(p->s + p->pos, token, 2) != 0)
            break;
        p->pos += 2;
        filter_expr *fx = filter_new(p, is_or ? FX_OR : FX_AND);
        filter_expr *right = NULL;
        if (fx && is_or)
            right = parse_binary(p, false);
        else if (fx)
            right = parse_unary(p);
        if (!right) {
            filter_free(fx);
            filter_free(left);
            return NULL;
        }
        fx->left = left;
        fx->right = right;
        left = fx;
    }
    return left;
}

static filter_expr *parse_or(parser *p)
{
    return parse_binary(p, true);
}

sfn_path *sfn_path_parse(const char *text, sfn_path_syntax syntax, char *err,
                         size_t err_len)
{
    parser p = {.s = text, .syntax = syntax, .err = err, .err_len = err_len};
    if (!text || text[0] != '$') {
        parse_fail(&p, "a path must start with '$'");
        return NULL;
    }
    sfn_path *path = xcalloc(1, sizeof *path);
    path->text = xstrdup(text);
    p.pos = 1;
    if (text[1] == '$') {
        path->context = true;
        p.pos = 2;
    }
    if (!parse_segments(&p, path, false)) {
        sfn_path_free(path);
        return NULL;
    }
    return path;
}

const char *sfn_path_text(const sfn_path *path)
{
    return path->text;
}

bool sfn_path_is_context(const sfn_path *path)
{
    return path->context;
}

bool sfn_path_is_definite(const sfn_path *path)
{
    return path->definite;
}

/* Evaluation */

static void render_segment(strbuf *b, const segment *seg)
{
    if (seg->kind == SEG_NAME)
        strbuf_printf(b, "['%s']", seg->names[0]);
    else
        strbuf_printf(b, "[%ld]", seg->indexes[0]);
}

static void render_path(strbuf *b, const sfn_path *path)
{
    strbuf_puts(b, "$");
    for (size_t i = 0; i < path->nsegs; i++)
        render_segment(b, &path->segs[i]);
}

static void set_detail(char *detail, size_t len, const char *prefix,
                       const strbuf *where)
{
    if (detail && len)
        snprintf(detail, len, "%s%s", prefix, where->data);
}

/*
 * Walk a definite path. Returns the node it selects (borrowed from `root`)
 * or NULL, in which case `*result` is the kind of miss.
 * NOTE: where a parent exists but is not an object (or not an array for an
 * index), Jayway names the Java class it found; Stratus reports "No results"
 * for the whole path instead.
 */
static const cJSON *resolve_definite(const sfn_path *path, const cJSON *root,
                                     sfn_path_result *result, char *detail,
                                     size_t detail_len)
{
    strbuf where;
    strbuf_init(&where);
    strbuf_puts(&where, "$");
    const cJSON *node = root;
    *result = SFN_PATH_FOUND;

    for (size_t i = 0; i < path->nsegs && node; i++) {
        const segment *seg = &path->segs[i];
        bool leaf = i + 1 == path->nsegs;
        render_segment(&where, seg);
        const cJSON *child = NULL;

        if (seg->kind == SEG_NAME) {
            if (cJSON_IsObject(node))
                child = cJSON_GetObjectItemCaseSensitive(node, seg->names[0]);
            if (!child && cJSON_IsObject(node) && !leaf) {
                *result = SFN_PATH_MISSING_PROPERTY;
                set_detail(detail, detail_len, "Missing property in path ",
                           &where);
                strbuf_free(&where);
                return NULL;
            }
        } else if (cJSON_IsArray(node)) {
            long n = cJSON_GetArraySize(node);
            long idx =
                seg->indexes[0] < 0 ? n + seg->indexes[0] : seg->indexes[0];
            if (idx >= 0 && idx < n)
                child = cJSON_GetArrayItem(node, (int)idx);
        }
        node = child;
    }

    if (!node) {
        *result = SFN_PATH_NO_RESULTS;
        strbuf_free(&where);
        strbuf_init(&where);
        render_path(&where, path);
        set_detail(detail, detail_len, "No results for path: ", &where);
    }
    strbuf_free(&where);
    return node;
}

static bool filter_test(const filter_expr *fx, const cJSON *item,
                        const cJSON *root);

typedef struct walker {
    const sfn_path *path;
    const cJSON *root;
    cJSON *results;
} walker;

static void walk(walker *w, size_t i, const cJSON *node, int depth);

static void walk_slice(walker *w, size_t i, const segment *seg,
                       const cJSON *node, int depth)
{
    long n = cJSON_GetArraySize(node);
    long from = seg->has_from ? seg->from : 0;
    long to = seg->has_to ? seg->to : n;
    if (from < 0)
        from = n + from < 0 ? 0 : n + from;
    if (to < 0)
        to = n + to < 0 ? 0 : n + to;
    if (to > n)
        to = n;
    long k = 0;
    const cJSON *child;
    cJSON_ArrayForEach(child, node)
    {
        if (k >= from && k < to)
            walk(w, i + 1, child, depth);
        k++;
    }
}

/* `['a','b']` as the last segment yields one object holding the members
 * found, as Jayway does; elsewhere each member is walked on. */
static void walk_names(walker *w, size_t i, const segment *seg,
                       const cJSON *node, int depth)
{
    bool leaf = i + 1 == w->path->nsegs;
    cJSON *merged = leaf ? cJSON_CreateObject() : NULL;
    for (size_t k = 0; k < seg->count; k++) {
        const cJSON *child =
            cJSON_GetObjectItemCaseSensitive(node, seg->names[k]);
        if (!child)
            continue;
        if (leaf)
            cJSON_AddItemToObject(merged, seg->names[k],
                                  cJSON_Duplicate(child, true));
        else
            walk(w, i + 1, child, depth);
    }
    if (merged)
        cJSON_AddItemToArray(w->results, merged);
}

static void walk_segment(walker *w, size_t i, const segment *seg,
                         const cJSON *node, int depth)
{
    const cJSON *child;
    switch (seg->kind) {
    case SEG_NAME:
        child = cJSON_IsObject(node)
                    ? cJSON_GetObjectItemCaseSensitive(node, seg->names[0])
                    : NULL;
        if (child)
            walk(w, i + 1, child, depth);
        break;
    case SEG_NAMES:
        if (cJSON_IsObject(node))
            walk_names(w, i, seg, node, depth);
        break;
    case SEG_INDEX:
    case SEG_INDEXES:
        if (!cJSON_IsArray(node))
            break;
        for (size_t k = 0; k < seg->count; k++) {
            long n = cJSON_GetArraySize(node);
            long idx =
                seg->indexes[k] < 0 ? n + seg->indexes[k] : seg->indexes[k];
            if (idx >= 0 && idx < n)
                walk(w, i + 1, cJSON_GetArrayItem(node, (int)idx), depth);
        }
        break;
    case SEG_WILDCARD:
        if (cJSON_IsObject(node) || cJSON_IsArray(node))
            cJSON_ArrayForEach(child, node) walk(w, i + 1, child, depth);
        break;
    case SEG_SLICE:
        if (cJSON_IsArray(node))
            walk_slice(w, i, seg, node, depth);
        break;
    case SEG_FILTER:
        if (cJSON_IsArray(node)) {
            cJSON_ArrayForEach(child, node)
            {
                if (filter_test(seg->filter, child, w->root))
                    walk(w, i + 1, child, depth);
            }
        } else if (cJSON_IsObject(node) &&
                   filter_test(seg->filter, node, w->root)) {
            walk(w, i + 1, node, depth);
        }
        break;
    }
}

static void walk(walker *w, size_t i, const cJSON *node, int depth)
{
    if (i == w->path->nsegs) {
        cJSON_AddItemToArray(w->results, cJSON_Duplicate(node, true));
        return;
    }
    const segment *seg = &w->path->segs[i];
    walk_segment(w, i, seg, node, depth);
    if (!seg->deep || depth >= SCAN_MAX_DEPTH)
        return;
    if (cJSON_IsObject(node) || cJSON_IsArray(node)) {
        const cJSON *child;
        cJSON_ArrayForEach(child, node) walk(w, i, child, depth + 1);
    }
}

static const cJSON *operand_value(const operand *o, const cJSON *item,
                                  const cJSON *root)
{
    if (!o->path)
        return o->literal;
    sfn_path_result result;
    return resolve_definite(o->path, o->from_root ? root : item, &result, NULL,
                            0);
}

static bool compare_values(compare_op op, const cJSON *a, const cJSON *b)
{
    if (!a || !b)
        return false;
    if (op == CMP_EQ)
        return sfn_json_equal(a, b);
    if (op == CMP_NE)
        return !sfn_json_equal(a, b);

    int order;
    if (cJSON_IsNumber(a) && cJSON_IsNumber(b))
        order = a->valuedouble < b->valuedouble
                    ? -1
                    : (a->valuedouble > b->valuedouble ? 1 : 0);
    else if (cJSON_IsString(a) && cJSON_IsString(b))
        order = strcmp(a->valuestring, b->valuestring);
    else
        return false;

    switch (op) {
    case CMP_LT:
        return order < 0;
    case CMP_LE:
        return order <= 0;
    case CMP_GT:
        return order > 0;
    default:
        return order >= 0;
    }
}

static bool filter_test(const filter_expr *fx, const cJSON *item,
                        const cJSON *root)
{
    switch (fx->kind) {
    case FX_OR:
        return filter_test(fx->left, item, root) ||
               filter_test(fx->right, item, root);
    case FX_AND:
        return filter_test(fx->left, item, root) &&
               filter_test(fx->right, item, root);
    case FX_NOT:
        return !filter_test(fx->left, item, root);
    case FX_EXISTS:
        return operand_value(&fx->a, item, root) != NULL;
    case FX_COMPARE:
        return compare_values(fx->op, operand_value(&fx->a, item, root),
                              operand_value(&fx->b, item, root));
    }
    return false;
}

sfn_path_result sfn_path_eval(const sfn_path *path, const cJSON *input,
                              const cJSON *context, cJSON **out, char *detail,
                              size_t detail_len)
{
    const cJSON *doc = path->context ? context : input;
    cJSON *null_doc = NULL;
    *out = NULL;
    if (!doc)
        doc = null_doc = cJSON_CreateNull();

    sfn_path_result result = SFN_PATH_FOUND;
    if (path->definite) {
        const cJSON *node =
            resolve_definite(path, doc, &result, detail, detail_len);
        if (node)
            *out = cJSON_Duplicate(node, true);
    } else {
        walker w = {.path = path, .root = doc, .results = cJSON_CreateArray()};
        walk(&w, 0, doc, 0);
        *out = w.results;
    }
    cJSON_Delete(null_doc);
    return result;
}

sfn_path_result sfn_path_query(const char *text, sfn_path_syntax syntax,
                               const cJSON *input, const cJSON *context,
                               cJSON **out, char *detail, size_t detail_len)
{
    *out = NULL;
    sfn_path *path = sfn_path_parse(text, syntax, detail, detail_len);
    if (!path)
        return SFN_PATH_INVALID;
    sfn_path_result result =
        sfn_path_eval(path, input, context, out, detail, detail_len);
    sfn_path_free(path);
    return result;
}

/* Assignment */

static bool assign_fail(sfn_failure *failure, const char *text,
                        const cJSON *doc, cJSON *value)
{
    char *json = sfn_json_compact(doc);
    sfn_failure_set(failure, SFN_ERR_RESULT_PATH_MATCH_FAILURE,
                    "Unable to apply ReferencePath %s to input %s", text, json);
    free(json);
    cJSON_Delete(value);
    return false;
}

/* The array element or object member that segment `seg` names in `node`. */
static cJSON *assign_child(cJSON *node, const segment *seg, long *index)
{
    if (seg->kind == SEG_NAME)
        return cJSON_IsObject(node)
                   ? cJSON_GetObjectItemCaseSensitive(node, seg->names[0])
                   : NULL;
    if (!cJSON_IsArray(node))
        return NULL;
    long n = cJSON_GetArraySize(node);
    *index = seg->indexes[0] < 0 ? n + seg->indexes[0] : seg->indexes[0];
    if (*index < 0 || *index >= n)
        return NULL;
    return cJSON_GetArrayItem(node, (int)*index);
}

/*
 * NOTE: AWS documents States.ResultPathMatchFailure for a ResultPath that
 * cannot be applied; the cause text follows the one Step Functions Local
 * prints. Neither is in an AWS-recorded execution history yet.
 */
bool sfn_path_assign(cJSON **doc, const char *text, cJSON *value,
                     sfn_failure *failure)
{
    char err[256];
    sfn_path *path = sfn_path_parse(text, SFN_PATH_REFERENCE, err, sizeof err);
    if (!path || path->context) {
        sfn_failure_set(failure, SFN_ERR_RESULT_PATH_MATCH_FAILURE,
                        "Invalid ResultPath '%s': %s", text,
                        path ? "a ResultPath cannot start with '$$'" : err);
        sfn_path_free(path);
        cJSON_Delete(value);
        return false;
    }
    if (path->nsegs == 0) {
        sfn_path_free(path);
        cJSON_Delete(*doc);
        *doc = value;
        return true;
    }

    /* Check first, so that a failure leaves the document untouched. */
    cJSON *node = *doc;
    size_t i = 0;
    for (; i + 1 < path->nsegs; i++) {
        long index;
        cJSON *child = assign_child(node, &path->segs[i], &index);
        if (!child)
            break;
        node = child;
    }
    bool creatable = path->segs[i].kind == SEG_NAME && cJSON_IsObject(node);
    for (size_t k = i + 1; k < path->nsegs && creatable; k++)
        creatable = path->segs[k].kind == SEG_NAME;
    long index = 0;
    bool replace_element = i + 1 == path->nsegs &&
                           path->segs[i].kind == SEG_INDEX &&
                           assign_child(node, &path->segs[i], &index);
    if (!creatable && !replace_element) {
        bool ok = assign_fail(failure, text, *doc, value);
        sfn_path_free(path);
        return ok;
    }

    if (replace_element) {
        cJSON_ReplaceItemInArray(node, (int)index, value);
        sfn_path_free(path);
        return true;
    }
    for (; i + 1 < path->nsegs; i++) {
        cJSON *child = cJSON_CreateObject();
        cJSON_AddItemToObject(node, path->segs[i].names[0], child);
        node = child;
    }
    const char *name = path->segs[i].names[0];
    if (cJSON_GetObjectItemCaseSensitive(node, name))
        cJSON_ReplaceItemInObjectCaseSensitive(node, name, value);
    else
        cJSON_AddItemToObject(node, name, value);
    sfn_path_free(path);
    return true;
}

/* JSON helpers */

char *sfn_json_compact(const cJSON *item)
{
    if (!item)
        return xstrdup("null");
    char *json = cJSON_PrintUnformatted(item);
    if (!json) {
        /* cJSON returns NULL only when an allocation fails. */
        fprintf(stderr, "stratus: out of memory rendering JSON\n");
        abort();
    }
    return json;
}

bool sfn_json_equal(const cJSON *a, const cJSON *b)
{
    return cJSON_Compare(a, b, true);
}
