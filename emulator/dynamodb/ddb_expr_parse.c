/*
 * ddb_expr_parse.c: the tokenizer and parser of DynamoDB condition, filter,
 * key condition, update and projection expressions. It also runs the checks
 * DynamoDB applies to a parsed expression before it reads any item. These
 * cover reserved words, placeholders, function names and arity, operand
 * types, overlapping update paths and the shape of key conditions.
 *
 * Errors carry DynamoDB's ValidationException texts. When an expression
 * has several problems, the checks run in the order DynamoDB reports them:
 * syntax first, then one check at a time over the whole expression.
 */
#include "ddb_expr.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ddb_expr_internal.h"
#include "util.h"

/* DynamoDB's documented maximum expression size in bytes. */
#define DDB_EXPR_MAX_SIZE 4096
/* Nesting cap for parentheses, NOT and function calls while parsing. */
#define DDB_EXPR_MAX_DEPTH 64
/* DynamoDB's maximum number of operands on the right of IN. */
#define DDB_EXPR_MAX_IN 100

typedef enum ddb__tok_kind {
    TOK_IDENT,
    TOK_NAME,
    TOK_VALUE,
    TOK_NUMBER,
    TOK_LPAREN,
    TOK_RPAREN,
    TOK_LBRACK,
    TOK_RBRACK,
    TOK_COMMA,
    TOK_DOT,
    TOK_PLUS,
    TOK_MINUS,
    TOK_EQ,
    TOK_NE,
    TOK_LT,
    TOK_LE,
    TOK_GT,
    TOK_GE,
    TOK_OTHER,
    TOK_EOF
} ddb__tok_kind;

typedef struct ddb__token {
    ddb__tok_kind kind;
    size_t start, len;
} ddb__token;

typedef struct ddb__parser {
    ddb_expr_ctx *ctx;
    const char *text;
    size_t textlen;
    const char *label; /* "ConditionExpression", ... */
    ddb_expr_kind kind;
    ddb__token *toks;
    size_t ntoks, pos;
    int depth;
    aws_error *err;
    int failed;
    int sections[4];
    int repeated_section; /* first section used twice, or -1 */
} ddb__parser;

/* DynamoDB's reserved words, sorted for binary search. */
// clang-format off
static const char *const ddb__reserved_words[] = {
    "ABORT", "ABSOLUTE", "ACTION", "ADD", "AFTER", "AGENT", "AGGREGATE", "ALL",
    "ALLOCATE", "ALTER", "ANALYZE", "AND", "ANY", "ARCHIVE", "ARE", "ARRAY",
    "AS", "ASC", "ASCII", "ASENSITIVE", "ASSERTION", "ASYMMETRIC", "AT",
    "ATOMIC", "ATTACH", "ATTRIBUTE", "AUTH", "AUTHORIZATION", "AUTHORIZE",
    "AUTO", "AVG", "BACK", "BACKUP", "BASE", "BATCH", "BEFORE", "BEGIN",
    "BETWEEN", "BIGINT", "BINARY", "BIT", "BLOB", "BLOCK", "BOOLEAN", "BOTH",
    "BREADTH", "BUCKET", "BULK", "BY", "BYTE", "CALL", "CALLED", "CALLING",
    "CAPACITY", "CASCADE", "CASCADED", "CASE", "CAST", "CATALOG", "CHAR",
    "CHARACTER", "CHECK", "CLASS", "CLOB", "CLOSE", "CLUSTER", "CLUSTERED",
    "CLUSTERING", "CLUSTERS", "COALESCE", "COLLATE", "COLLATION", "COLLECTION",
    "COLUMN", "COLUMNS", "COMBINE", "COMMENT", "COMMIT", "COMPACT", "COMPILE",
    "COMPRESS", "CONDITION", "CONFLICT", "CONNECT", "CONNECTION",
    "CONSISTENCY", "CONSISTENT", "CONSTRAINT", "CONSTRAINTS", "CONSTRUCTOR",
    "CONSUMED", "CONTINUE", "CONVERT", "COPY", "CORRESPONDING", "COUNT",
    "COUNTER", "CREATE", "CROSS", "CUBE", "CURRENT", "CURSOR", "CYCLE", "DATA",
    "DATABASE", "DATE", "DATETIME", "DAY", "DEALLOCATE", "DEC", "DECIMAL",
    "DECLARE", "DEFAULT", "DEFERRABLE", "DEFERRED", "DEFINE", "DEFINED",
    "DEFINITION", "DELETE", "DELIMITED", "DEPTH", "DEREF", "DESC", "DESCRIBE",
    "DESCRIPTOR", "DETACH", "DETERMINISTIC", "DIAGNOSTICS", "DIRECTORIES",
    "DISABLE", "DISCONNECT", "DISTINCT", "DISTRIBUTE", "DO", "DOMAIN",
    "DOUBLE", "DROP", "DUMP", "DURATION", "DYNAMIC", "EACH", "ELEMENT", "ELSE",
    "ELSEIF", "EMPTY", "ENABLE", "END", "EQUAL", "EQUALS", "ERROR", "ESCAPE",
    "ESCAPED", "EVAL", "EVALUATE", "EXCEEDED", "EXCEPT", "EXCEPTION",
    "EXCEPTIONS", "EXCLUSIVE", "EXEC", "EXECUTE", "EXISTS", "EXIT", "EXPLAIN",
    "EXPLODE", "EXPORT", "EXPRESSION", "EXTENDED", "EXTERNAL", "EXTRACT",
    "FAIL", "FALSE", "FAMILY", "FETCH", "FIELDS", "FILE", "FILTER",
    "FILTERING", "FINAL", "FINISH", "FIRST", "FIXED", "FLATTERN", "FLOAT",
    "FOR", "FORCE", "FOREIGN", "FORMAT", "FORWARD", "FOUND", "FREE", "FROM",
    "FULL", "FUNCTION", "FUNCTIONS", "GENERAL", "GENERATE", "GET", "GLOB",
    "GLOBAL", "GO", "GOTO", "GRANT", "GREATER", "GROUP", "GROUPING", "HANDLER",
    "HASH", "HAVE", "HAVING", "HEAP", "HIDDEN", "HOLD", "HOUR", "IDENTIFIED",
    "IDENTITY", "IF", "IGNORE", "IMMEDIATE", "IMPORT", "IN", "INCLUDING",
    "INCLUSIVE", "INCREMENT", "INCREMENTAL", "INDEX", "INDEXED", "INDEXES",
    "INDICATOR", "INFINITE", "INITIALLY", "INLINE", "INNER", "INNTER", "INOUT",
    "INPUT", "INSENSITIVE", "INSERT", "INSTEAD", "INT", "INTEGER", "INTERSECT",
    "INTERVAL", "INTO", "INVALIDATE", "IS", "ISOLATION", "ITEM", "ITEMS",
    "ITERATE", "JOIN", "KEY", "KEYS", "LAG", "LANGUAGE", "LARGE", "LAST",
    "LATERAL", "LEAD", "LEADING", "LEAVE", "LEFT", "LENGTH", "LESS", "LEVEL",
    "LIKE", "LIMIT", "LIMITED", "LINES", "LIST", "LOAD", "LOCAL", "LOCALTIME",
    "LOCALTIMESTAMP", "LOCATION", "LOCATOR", "LOCK", "LOCKS", "LOG", "LOGED",
    "LONG", "LOOP", "LOWER", "MAP", "MATCH", "MATERIALIZED", "MAX", "MAXLEN",
    "MEMBER", "MERGE", "METHOD", "METRICS", "MIN", "MINUS", "MINUTE",
    "MISSING", "MOD", "MODE", "MODIFIES", "MODIFY", "MODULE", "MONTH", "MULTI",
    "MULTISET", "NAME", "NAMES", "NATIONAL", "NATURAL", "NCHAR", "NCLOB",
    "NEW", "NEXT", "NO", "NONE", "NOT", "NULL", "NULLIF", "NUMBER", "NUMERIC",
    "OBJECT", "OF", "OFFLINE", "OFFSET", "OLD", "ON", "ONLINE", "ONLY",
    "OPAQUE", "OPEN", "OPERATOR", "OPTION", "OR", "ORDER", "ORDINALITY",
    "OTHER", "OTHERS", "OUT", "OUTER", "OUTPUT", "OVER", "OVERLAPS",
    "OVERRIDE", "OWNER", "PAD", "PARALLEL", "PARAMETER", "PARAMETERS",
    "PARTIAL", "PARTITION", "PARTITIONED", "PARTITIONS", "PATH", "PERCENT",
    "PERCENTILE", "PERMISSION", "PERMISSIONS", "PIPE", "PIPELINED", "PLAN",
    "POOL", "POSITION", "PRECISION", "PREPARE", "PRESERVE", "PRIMARY", "PRIOR",
    "PRIVATE", "PRIVILEGES", "PROCEDURE", "PROCESSED", "PROJECT", "PROJECTION",
    "PROPERTY", "PROVISIONING", "PUBLIC", "PUT", "QUERY", "QUIT", "QUORUM",
    "RAISE", "RANDOM", "RANGE", "RANK", "RAW", "READ", "READS", "REAL",
    "REBUILD", "RECORD", "RECURSIVE", "REDUCE", "REF", "REFERENCE",
    "REFERENCES", "REFERENCING", "REGEXP", "REGION", "REINDEX", "RELATIVE",
    "RELEASE", "REMAINDER", "RENAME", "REPEAT", "REPLACE", "REQUEST", "RESET",
    "RESIGNAL", "RESOURCE", "RESPONSE", "RESTORE", "RESTRICT", "RESULT",
    "RETURN", "RETURNING", "RETURNS", "REVERSE", "REVOKE", "RIGHT", "ROLE",
    "ROLES", "ROLLBACK", "ROLLUP", "ROUTINE", "ROW", "ROWS", "RULE", "RULES",
    "SAMPLE", "SATISFIES", "SAVE", "SAVEPOINT", "SCAN", "SCHEMA", "SCOPE",
    "SCROLL", "SEARCH", "SECOND", "SECTION", "SEGMENT", "SEGMENTS", "SELECT",
    "SELF", "SEMI", "SENSITIVE", "SEPARATE", "SEQUENCE", "SERIALIZABLE",
    "SESSION", "SET", "SETS", "SHARD", "SHARE", "SHARED", "SHORT", "SHOW",
    "SIGNAL", "SIMILAR", "SIZE", "SKEWED", "SMALLINT", "SNAPSHOT", "SOME",
    "SOURCE", "SPACE", "SPACES", "SPARSE", "SPECIFIC", "SPECIFICTYPE", "SPLIT",
    "SQL", "SQLCODE", "SQLERROR", "SQLEXCEPTION", "SQLSTATE", "SQLWARNING",
    "START", "STATE", "STATIC", "STATUS", "STORAGE", "STORE", "STORED",
    "STREAM", "STRING", "STRUCT", "STYLE", "SUB", "SUBMULTISET",
    "SUBPARTITION", "SUBSTRING", "SUBTYPE", "SUM", "SUPER", "SYMMETRIC",
    "SYNONYM", "SYSTEM", "TABLE", "TABLESAMPLE", "TEMP", "TEMPORARY",
    "TERMINATED", "TEXT", "THAN", "THEN", "THROUGHPUT", "TIME", "TIMESTAMP",
    "TIMEZONE", "TINYINT", "TO", "TOKEN", "TOTAL", "TOUCH", "TRAILING",
    "TRANSACTION", "TRANSFORM", "TRANSLATE", "TRANSLATION", "TREAT", "TRIGGER",
    "TRIM", "TRUE", "TRUNCATE", "TTL", "TUPLE", "TYPE", "UNDER", "UNDO",
    "UNION", "UNIQUE", "UNIT", "UNKNOWN", "UNLOGGED", "UNNEST", "UNPROCESSED",
    "UNSIGNED", "UNTIL", "UPDATE", "UPPER", "URL", "USAGE", "USE", "USER",
    "USERS", "USING", "UUID", "VACUUM", "VALUE", "VALUED", "VALUES", "VARCHAR",
    "VARIABLE", "VARIANCE", "VARINT", "VARYING", "VIEW", "VIEWS", "VIRTUAL",
    "VOID", "WAIT", "WHEN", "WHENEVER", "WHERE", "WHILE", "WINDOW", "WITH",
    "WITHIN", "WITHOUT", "WORK", "WRAPPED", "WRITE", "YEAR", "ZONE",
};
// clang-format on

static const char *const ddb__section_names[] = {"SET", "REMOVE", "ADD",
                                                 "DELETE"};

/* ---- tokens ----------------------------------------------------------- */

static int ddb__is_ident_start(char c)
{
    return isalpha((unsigned char)c) || c == '_';
}

static int ddb__is_ident_part(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

static void ddb__tokenize(ddb__parser *p)
{
    size_t cap = 16, n = 0, i = 0;
    ddb__token *toks = xmalloc(sizeof *toks * cap);
    const char *s = p->text;

    while (1) {
        while (i < p->textlen &&
               (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
            i++;
        if (n + 1 >= cap) {
            cap *= 2;
            toks = xrealloc(toks, sizeof *toks * cap);
        }
        ddb__token *t = &toks[n++];
        t->start = i;
        t->len = 1;
        if (i >= p->textlen) {
            t->kind = TOK_EOF;
            t->len = 0;
            break;
        }

        char c = s[i];
        size_t j = i + 1;
        if (ddb__is_ident_start(c)) {
            while (j < p->textlen && ddb__is_ident_part(s[j]))
                j++;
            t->kind = TOK_IDENT;
        } else if (c == '#' || c == ':') {
            while (j < p->textlen && ddb__is_ident_part(s[j]))
                j++;
            t->kind = c == '#' ? TOK_NAME : TOK_VALUE;
        } else if (isdigit((unsigned char)c)) {
            while (j < p->textlen && isdigit((unsigned char)s[j]))
                j++;
            t->kind = TOK_NUMBER;
        } else if (c == '<' && j < p->textlen && s[j] == '>') {
            t->kind = TOK_NE;
            j++;
        } else if (c == '<' && j < p->textlen && s[j] == '=') {
            t->kind = TOK_LE;
            j++;
        } else if (c == '>' && j < p->textlen && s[j] == '=') {
            t->kind = TOK_GE;
            j++;
        } else {
            switch (c) {
            case '(':
                t->kind = TOK_LPAREN;
                break;
            case ')':
                t->kind = TOK_RPAREN;
                break;
            case '[':
                t->kind = TOK_LBRACK;
                break;
            case ']':
                t->kind = TOK_RBRACK;
                break;
            case ',':
                t->kind = TOK_COMMA;
                break;
            case '.':
                t->kind = TOK_DOT;
                break;
            case '+':
                t->kind = TOK_PLUS;
                break;
            case '-':
                t->kind = TOK_MINUS;
                break;
            case '=':
                t->kind = TOK_EQ;
                break;
            case '<':
                t->kind = TOK_LT;
                break;
            case '>':
                t->kind = TOK_GT;
                break;
            default:
                /* Keep a multi-byte UTF-8 character in one token. */
                t->kind = TOK_OTHER;
                while (j < p->textlen && ((unsigned char)s[j] & 0xC0) == 0x80)
                    j++;
            }
        }
        t->len = j - i;
        i = j;
    }
    p->toks = toks;
    p->ntoks = n;
}

static const ddb__token *ddb__cur(const ddb__parser *p)
{
    return &p->toks[p->pos];
}

static void ddb__advance(ddb__parser *p)
{
    if (p->toks[p->pos].kind != TOK_EOF)
        p->pos++;
}

static int ddb__tok_is(const ddb__parser *p, ddb__tok_kind kind)
{
    return ddb__cur(p)->kind == kind;
}

/* Current token is the keyword `kw`, in any letter case. */
static int ddb__is_keyword(const ddb__parser *p, const char *kw)
{
    const ddb__token *t = ddb__cur(p);
    return t->kind == TOK_IDENT && t->len == strlen(kw) &&
           strncasecmp(p->text + t->start, kw, t->len) == 0;
}

/* An identifier the grammar of this expression kind keeps for itself. */
static int ddb__at_grammar_keyword(const ddb__parser *p)
{
    static const char *const condition_words[] = {"AND", "OR", "NOT", "BETWEEN",
                                                  "IN"};
    if (p->kind == DDB_EXPR_UPDATE) {
        for (size_t i = 0; i < 4; i++)
            if (ddb__is_keyword(p, ddb__section_names[i]))
                return 1;
        return 0;
    }
    if (p->kind == DDB_EXPR_PROJECTION)
        return 0;
    for (size_t i = 0; i < 5; i++)
        if (ddb__is_keyword(p, condition_words[i]))
            return 1;
    return 0;
}

/*
 * Report a syntax error at the current token as DynamoDB does: the token,
 * and the text from the token before it to the token after it.
 */
static void *ddb__syntax_error(ddb__parser *p)
{
    if (p->failed)
        return NULL;
    p->failed = 1;

    size_t i = p->pos;
    const ddb__token *t = &p->toks[i];
    size_t from = i > 0 ? p->toks[i - 1].start : 0;
    size_t to;
    if (t->kind == TOK_EOF)
        to = p->textlen;
    else if (p->toks[i + 1].kind == TOK_EOF)
        to = p->textlen;
    else
        to = p->toks[i + 1].start + p->toks[i + 1].len;

    if (t->kind == TOK_EOF)
        aws_fail(p->err, AWS_ERR_VALIDATION,
                 "Invalid %s: Syntax error; token: \"<EOF>\", near: \"%.*s\"",
                 p->label, (int)(to - from), p->text + from);
    else
        aws_fail(p->err, AWS_ERR_VALIDATION,
                 "Invalid %s: Syntax error; token: \"%.*s\", near: \"%.*s\"",
                 p->label, (int)t->len, p->text + t->start, (int)(to - from),
                 p->text + from);
    return NULL;
}

static int ddb__enter(ddb__parser *p)
{
    if (++p->depth <= DDB_EXPR_MAX_DEPTH)
        return 0;
    if (!p->failed) {
        p->failed = 1;
        /*
         * NOTE: DynamoDB's text for this limit is not known; deeper nesting
         * than this cannot occur in the expressions clients send in practice.
         */
        aws_fail(p->err, AWS_ERR_VALIDATION,
                 "Invalid %s: The expression has too many nested levels; "
                 "maximum: %d",
                 p->label, DDB_EXPR_MAX_DEPTH);
    }
    return -1;
}

/* ---- tree building ---------------------------------------------------- */

static ddb__node *ddb__node_new(ddb__node_kind kind)
{
    ddb__node *n = xcalloc(1, sizeof *n);
    n->kind = kind;
    return n;
}

static void ddb__node_add(ddb__node *n, ddb__node *arg)
{
    n->args = xrealloc(n->args, sizeof *n->args * (n->nargs + 1));
    n->args[n->nargs++] = arg;
}

void ddb__path_clear(ddb__path *path)
{
    for (size_t i = 0; i < path->len; i++)
        free(path->elems[i].raw);
    free(path->elems);
    path->elems = NULL;
    path->len = 0;
}

void ddb__node_free(ddb__node *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->nargs; i++)
        ddb__node_free(n->args[i]);
    free(n->args);
    free(n->text);
    ddb__path_clear(&n->path);
    free(n);
}

static ddb__func ddb__func_lookup(const char *name)
{
    static const struct {
        const char *name;
        ddb__func func;
    } table[] = {
        {"attribute_exists", DDB__FN_ATTRIBUTE_EXISTS},
        {"attribute_not_exists", DDB__FN_ATTRIBUTE_NOT_EXISTS},
        {"attribute_type", DDB__FN_ATTRIBUTE_TYPE},
        {"begins_with", DDB__FN_BEGINS_WITH},
        {"contains", DDB__FN_CONTAINS},
        {"size", DDB__FN_SIZE},
        {"if_not_exists", DDB__FN_IF_NOT_EXISTS},
        {"list_append", DDB__FN_LIST_APPEND},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(table[i].name, name) == 0)
            return table[i].func;
    return DDB__FN_UNKNOWN;
}

static void ddb__path_push(ddb__path *path, const ddb__parser *p, int is_index)
{
    const ddb__token *t = ddb__cur(p);
    path->elems = xrealloc(path->elems, sizeof *path->elems * (path->len + 1));
    ddb__path_elem *e = &path->elems[path->len++];
    memset(e, 0, sizeof *e);
    e->raw = xstrndup(p->text + t->start, t->len);
    e->is_index = is_index;
    if (is_index) {
        /* Indexes beyond any list length behave alike; clamp huge ones. */
        e->index = t->len > 9 ? 999999999L : strtol(e->raw, NULL, 10);
    } else {
        e->placeholder = t->kind == TOK_NAME;
        e->name = e->placeholder ? NULL : e->raw;
    }
}

/* path := (ident | #name) ( '.' (ident | #name) | '[' number ']' )* */
static int ddb__parse_path(ddb__parser *p, ddb__path *path)
{
    memset(path, 0, sizeof *path);
    if (!(ddb__tok_is(p, TOK_IDENT) || ddb__tok_is(p, TOK_NAME)) ||
        ddb__at_grammar_keyword(p)) {
        ddb__syntax_error(p);
        return -1;
    }
    ddb__path_push(path, p, 0);
    ddb__advance(p);

    while (1) {
        if (ddb__tok_is(p, TOK_DOT)) {
            ddb__advance(p);
            if (!(ddb__tok_is(p, TOK_IDENT) || ddb__tok_is(p, TOK_NAME)) ||
                ddb__at_grammar_keyword(p))
                goto fail;
            ddb__path_push(path, p, 0);
            ddb__advance(p);
        } else if (ddb__tok_is(p, TOK_LBRACK)) {
            ddb__advance(p);
            if (!ddb__tok_is(p, TOK_NUMBER))
                goto fail;
            ddb__path_push(path, p, 1);
            ddb__advance(p);
            if (!ddb__tok_is(p, TOK_RBRACK))
                goto fail;
            ddb__advance(p);
        } else {
            return 0;
        }
    }

fail:
    ddb__syntax_error(p);
    ddb__path_clear(path);
    return -1;
}

static ddb__node *ddb__parse_operand(ddb__parser *p);

/* operand := function '(' operand (',' operand)* ')' | :value | path */
static ddb__node *ddb__parse_simple_operand(ddb__parser *p)
{
    const ddb__token *t = ddb__cur(p);
    if (t->kind == TOK_VALUE) {
        ddb__node *n = ddb__node_new(DDB__VALUE);
        n->text = xstrndup(p->text + t->start, t->len);
        ddb__advance(p);
        return n;
    }

    if (t->kind == TOK_IDENT && p->toks[p->pos + 1].kind == TOK_LPAREN &&
        !ddb__at_grammar_keyword(p)) {
        ddb__node *n = ddb__node_new(DDB__FUNC);
        n->text = xstrndup(p->text + t->start, t->len);
        n->func = ddb__func_lookup(n->text);
        ddb__advance(p);
        ddb__advance(p);
        while (1) {
            ddb__node *arg = ddb__parse_operand(p);
            if (!arg) {
                ddb__node_free(n);
                return NULL;
            }
            ddb__node_add(n, arg);
            if (!ddb__tok_is(p, TOK_COMMA))
                break;
            ddb__advance(p);
        }
        if (!ddb__tok_is(p, TOK_RPAREN)) {
            ddb__node_free(n);
            return ddb__syntax_error(p);
        }
        ddb__advance(p);
        return n;
    }

    ddb__node *n = ddb__node_new(DDB__PATH);
    if (ddb__parse_path(p, &n->path) < 0) {
        free(n);
        return NULL;
    }
    return n;
}

/* An operand, possibly in parentheses. */
static ddb__node *ddb__parse_operand(ddb__parser *p)
{
    if (ddb__enter(p) < 0)
        return NULL;
    ddb__node *n;
    if (ddb__tok_is(p, TOK_LPAREN)) {
        ddb__advance(p);
        n = ddb__parse_operand(p);
        if (n && !ddb__tok_is(p, TOK_RPAREN)) {
            ddb__node_free(n);
            n = ddb__syntax_error(p);
        } else if (n) {
            ddb__advance(p);
            n->parens++;
        }
    } else {
        n = ddb__parse_simple_operand(p);
    }
    p->depth--;
    return n;
}

/* ---- conditions ------------------------------------------------------- */

/* Nodes the grammar accepts where a condition is required. */
static int ddb__is_condition(const ddb__node *n)
{
    return n->kind != DDB__PATH && n->kind != DDB__VALUE &&
           n->kind != DDB__PLUS && n->kind != DDB__MINUS;
}

static ddb__node *ddb__parse_or(ddb__parser *p);

static int ddb__comparator(const ddb__parser *p, ddb__cmp *cmp)
{
    switch (ddb__cur(p)->kind) {
    case TOK_EQ:
        *cmp = DDB__EQ;
        return 1;
    case TOK_NE:
        *cmp = DDB__NE;
        return 1;
    case TOK_LT:
        *cmp = DDB__LT;
        return 1;
    case TOK_LE:
        *cmp = DDB__LE;
        return 1;
    case TOK_GT:
        *cmp = DDB__GT;
        return 1;
    case TOK_GE:
        *cmp = DDB__GE;
        return 1;
    default:
        return 0;
    }
}

/*
 * primary := '(' or ')' tail? | operand tail?
 * tail := comparator operand | BETWEEN operand AND operand
 *       | IN '(' operand (',' operand)* ')'
 * A primary without a tail may be a bare operand; the caller rejects it
 * where a condition is required, at the token that follows it.
 */
static ddb__node *ddb__parse_primary(ddb__parser *p)
{
    ddb__node *left;
    if (ddb__tok_is(p, TOK_LPAREN)) {
        ddb__advance(p);
        left = ddb__parse_or(p);
        if (!left)
            return NULL;
        if (!ddb__tok_is(p, TOK_RPAREN)) {
            ddb__node_free(left);
            return ddb__syntax_error(p);
        }
        ddb__advance(p);
        left->parens++;
    } else {
        left = ddb__parse_simple_operand(p);
        if (!left)
            return NULL;
    }
    if (left->kind != DDB__PATH && left->kind != DDB__VALUE &&
        left->kind != DDB__FUNC)
        return left;

    ddb__cmp cmp;
    ddb__node *n;
    if (ddb__comparator(p, &cmp)) {
        n = ddb__node_new(DDB__CMP);
        n->cmp = cmp;
        ddb__node_add(n, left);
        ddb__advance(p);
        ddb__node *right = ddb__parse_operand(p);
        if (!right)
            goto fail;
        ddb__node_add(n, right);
        return n;
    }

    if (ddb__is_keyword(p, "BETWEEN")) {
        n = ddb__node_new(DDB__BETWEEN);
        ddb__node_add(n, left);
        ddb__advance(p);
        ddb__node *low = ddb__parse_operand(p);
        if (!low)
            goto fail;
        ddb__node_add(n, low);
        if (!ddb__is_keyword(p, "AND")) {
            ddb__syntax_error(p);
            goto fail;
        }
        ddb__advance(p);
        ddb__node *high = ddb__parse_operand(p);
        if (!high)
            goto fail;
        ddb__node_add(n, high);
        return n;
    }

    if (ddb__is_keyword(p, "IN")) {
        n = ddb__node_new(DDB__IN);
        ddb__node_add(n, left);
        ddb__advance(p);
        if (!ddb__tok_is(p, TOK_LPAREN)) {
            ddb__syntax_error(p);
            goto fail;
        }
        ddb__advance(p);
        while (1) {
            ddb__node *item = ddb__parse_operand(p);
            if (!item)
                goto fail;
            ddb__node_add(n, item);
            if (!ddb__tok_is(p, TOK_COMMA))
                break;
            ddb__advance(p);
        }
        if (!ddb__tok_is(p, TOK_RPAREN)) {
            ddb__syntax_error(p);
            goto fail;
        }
        ddb__advance(p);
        return n;
    }
    return left;

fail:
    ddb__node_free(n);
    return NULL;
}

static ddb__node *ddb__parse_not(ddb__parser *p)
{
    if (!ddb__is_keyword(p, "NOT"))
        return ddb__parse_primary(p);

    if (ddb__enter(p) < 0)
        return NULL;
    ddb__advance(p);
    ddb__node *inner = ddb__parse_not(p);
    p->depth--;
    if (!inner)
        return NULL;
    if (!ddb__is_condition(inner)) {
        ddb__node_free(inner);
        return ddb__syntax_error(p);
    }
    ddb__node *n = ddb__node_new(DDB__NOT);
    ddb__node_add(n, inner);
    return n;
}

/* One level of AND or OR, built as a single node with all its operands. */
static ddb__node *ddb__parse_chain(ddb__parser *p, const char *keyword,
                                   ddb__node_kind kind,
                                   ddb__node *(*next)(ddb__parser *))
{
    ddb__node *first = next(p);
    if (!first || !ddb__is_keyword(p, keyword))
        return first;

    ddb__node *n = ddb__node_new(kind);
    ddb__node_add(n, first);
    while (ddb__is_keyword(p, keyword)) {
        if (!ddb__is_condition(n->args[n->nargs - 1])) {
            ddb__node_free(n);
            return ddb__syntax_error(p);
        }
        ddb__advance(p);
        ddb__node *arg = next(p);
        if (!arg) {
            ddb__node_free(n);
            return NULL;
        }
        ddb__node_add(n, arg);
    }
    if (!ddb__is_condition(n->args[n->nargs - 1])) {
        ddb__node_free(n);
        return ddb__syntax_error(p);
    }
    return n;
}

static ddb__node *ddb__parse_and(ddb__parser *p)
{
    return ddb__parse_chain(p, "AND", DDB__AND, ddb__parse_not);
}

static ddb__node *ddb__parse_or(ddb__parser *p)
{
    if (ddb__enter(p) < 0)
        return NULL;
    ddb__node *n = ddb__parse_chain(p, "OR", DDB__OR, ddb__parse_and);
    p->depth--;
    return n;
}

static ddb__node *ddb__parse_condition(ddb__parser *p)
{
    ddb__node *n = ddb__parse_or(p);
    if (!n)
        return NULL;
    if (!ddb__is_condition(n) || !ddb__tok_is(p, TOK_EOF)) {
        ddb__node_free(n);
        return ddb__syntax_error(p);
    }
    return n;
}

/* ---- update and projection -------------------------------------------- */

/* An update operand: one operand, possibly in parentheses. */
static ddb__node *ddb__parse_update_operand(ddb__parser *p)
{
    return ddb__parse_operand(p);
}

/* set_value := '(' set_value ')' | operand (('+' | '-') operand)? */
static ddb__node *ddb__parse_set_value(ddb__parser *p)
{
    if (ddb__enter(p) < 0)
        return NULL;

    ddb__node *left;
    if (ddb__tok_is(p, TOK_LPAREN)) {
        ddb__advance(p);
        left = ddb__parse_set_value(p);
        if (left && !ddb__tok_is(p, TOK_RPAREN)) {
            ddb__node_free(left);
            left = ddb__syntax_error(p);
        } else if (left) {
            ddb__advance(p);
            left->parens++;
        }
    } else {
        left = ddb__parse_simple_operand(p);
    }
    p->depth--;
    if (!left)
        return NULL;
    if (left->kind == DDB__PLUS || left->kind == DDB__MINUS)
        return left;
    if (!ddb__tok_is(p, TOK_PLUS) && !ddb__tok_is(p, TOK_MINUS))
        return left;

    ddb__node *n =
        ddb__node_new(ddb__tok_is(p, TOK_PLUS) ? DDB__PLUS : DDB__MINUS);
    ddb__node_add(n, left);
    ddb__advance(p);
    ddb__node *right = ddb__parse_update_operand(p);
    if (!right) {
        ddb__node_free(n);
        return NULL;
    }
    ddb__node_add(n, right);
    return n;
}

static void ddb__action_push(ddb_expr *e, ddb__action_kind kind,
                             ddb__path *path, ddb__node *value)
{
    e->actions = xrealloc(e->actions, sizeof *e->actions * (e->nactions + 1));
    ddb__action *a = &e->actions[e->nactions++];
    a->kind = kind;
    a->path = *path;
    a->value = value;
}

static int ddb__parse_action(ddb__parser *p, ddb_expr *e, ddb__action_kind kind)
{
    ddb__path path;
    if (ddb__parse_path(p, &path) < 0)
        return -1;

    ddb__node *value = NULL;
    if (kind == DDB__SET) {
        if (!ddb__tok_is(p, TOK_EQ)) {
            ddb__path_clear(&path);
            ddb__syntax_error(p);
            return -1;
        }
        ddb__advance(p);
        value = ddb__parse_set_value(p);
    } else if (kind == DDB__ADD || kind == DDB__DELETE) {
        if (!ddb__tok_is(p, TOK_VALUE)) {
            ddb__path_clear(&path);
            ddb__syntax_error(p);
            return -1;
        }
        value = ddb__parse_simple_operand(p);
    }
    if (kind != DDB__REMOVE && !value) {
        ddb__path_clear(&path);
        return -1;
    }
    ddb__action_push(e, kind, &path, value);
    return 0;
}

static int ddb__parse_update(ddb__parser *p, ddb_expr *e)
{
    do {
        int section = -1;
        for (int i = 0; i < 4; i++)
            if (ddb__is_keyword(p, ddb__section_names[i]))
                section = i;
        if (section < 0) {
            ddb__syntax_error(p);
            return -1;
        }
        if (p->sections[section]++ && p->repeated_section < 0)
            p->repeated_section = section;
        ddb__advance(p);

        while (1) {
            if (ddb__parse_action(p, e, (ddb__action_kind)section) < 0)
                return -1;
            if (!ddb__tok_is(p, TOK_COMMA))
                break;
            ddb__advance(p);
        }
    } while (!ddb__tok_is(p, TOK_EOF));
    return 0;
}

static int ddb__parse_projection(ddb__parser *p, ddb_expr *e)
{
    while (1) {
        ddb__path path;
        if (ddb__parse_path(p, &path) < 0)
            return -1;
        e->paths = xrealloc(e->paths, sizeof *e->paths * (e->npaths + 1));
        e->paths[e->npaths++] = path;
        if (!ddb__tok_is(p, TOK_COMMA))
            break;
        ddb__advance(p);
    }
    if (!ddb__tok_is(p, TOK_EOF)) {
        ddb__syntax_error(p);
        return -1;
    }
    return 0;
}

/* ---- checks after parsing --------------------------------------------- */

static int ddb__reserved(const char *word)
{
    size_t lo = 0,
           hi = sizeof ddb__reserved_words / sizeof *ddb__reserved_words;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcasecmp(word, ddb__reserved_words[mid]);
        if (c == 0)
            return 1;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return 0;
}

/* "[a, b, [1]]", the form DynamoDB prints paths in. */
static void ddb__path_render(const ddb__path *path, strbuf *out)
{
    strbuf_puts(out, "[");
    for (size_t i = 0; i < path->len; i++) {
        const ddb__path_elem *e = &path->elems[i];
        if (e->is_index)
            strbuf_printf(out, "[%ld]", e->index);
        else
            strbuf_puts(out, e->name ? e->name : e->raw);
        if (i + 1 < path->len)
            strbuf_puts(out, ", ");
    }
    strbuf_puts(out, "]");
}

static int ddb__fail(ddb__parser *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Fail with "Invalid <kind>: <message>". */
static int ddb__fail(ddb__parser *p, const char *fmt, ...)
{
    char msg[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return aws_fail(p->err, AWS_ERR_VALIDATION, "Invalid %s: %s", p->label,
                    msg);
}

static void ddb__mark_used(cJSON *used, const char *key)
{
    if (!cJSON_GetObjectItemCaseSensitive(used, key))
        cJSON_AddTrueToObject(used, key);
}

static int ddb__resolve_path_names(ddb__parser *p, ddb__path *path)
{
    for (size_t i = 0; i < path->len; i++) {
        ddb__path_elem *e = &path->elems[i];
        if (!e->placeholder || e->name)
            continue;
        const cJSON *v =
            cJSON_GetObjectItemCaseSensitive(p->ctx->names, e->raw);
        if (!cJSON_IsString(v))
            return ddb__fail(p,
                             "An expression attribute name used in the "
                             "document path is not defined; attribute name: %s",
                             e->raw);
        e->name = v->valuestring;
        ddb__mark_used(p->ctx->used_names, e->raw);
    }
    return 0;
}

static int ddb__resolve_value(ddb__parser *p, ddb__node *n)
{
    if (n->value)
        return 0;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(p->ctx->values, n->text);
    if (!v)
        return ddb__fail(p,
                         "An expression attribute value used in expression "
                         "is not defined; attribute value: %s",
                         n->text);
    n->value = v;
    ddb__mark_used(p->ctx->used_values, n->text);
    return 0;
}

static int ddb__check_reserved_path(ddb__parser *p, const ddb__path *path)
{
    for (size_t i = 0; i < path->len; i++) {
        const ddb__path_elem *e = &path->elems[i];
        if (!e->is_index && !e->placeholder && ddb__reserved(e->raw))
            return ddb__fail(p,
                             "Attribute name is a reserved keyword; reserved "
                             "keyword: %s",
                             e->raw);
    }
    return 0;
}

typedef enum ddb__check {
    CHECK_PARENS,
    CHECK_UNKNOWN_FUNCTION,
    CHECK_MISUSED_FUNCTION,
    CHECK_RESERVED,
    CHECK_NAMES,
    CHECK_VALUES,
    CHECK_OPERAND_COUNT,
    CHECK_DISTINCT,
    CHECK_FUNCTION_TYPES
} ddb__check;

static int ddb__func_arity(ddb__func f)
{
    switch (f) {
    case DDB__FN_ATTRIBUTE_EXISTS:
    case DDB__FN_ATTRIBUTE_NOT_EXISTS:
    case DDB__FN_SIZE:
        return 1;
    default:
        return 2;
    }
}

static int ddb__is_update_func(ddb__func f)
{
    return f == DDB__FN_IF_NOT_EXISTS || f == DDB__FN_LIST_APPEND;
}

/* The type an operand is known to have before evaluation, or NULL. */
static const char *ddb__static_type(const ddb__node *n)
{
    if (n->kind == DDB__VALUE && n->value)
        return ddb_type_name(ddb_value_type(n->value));
    if (n->kind == DDB__FUNC && n->func == DDB__FN_SIZE)
        return "N";
    if (n->kind == DDB__PLUS || n->kind == DDB__MINUS)
        return "N";
    if (n->kind == DDB__FUNC && n->func == DDB__FN_LIST_APPEND)
        return "L";
    return NULL;
}

static int ddb__paths_equal(const ddb__path *a, const ddb__path *b)
{
    return a->len == b->len && ddb__path_cmp(a, b) == 0;
}

static const char *ddb__cmp_text(ddb__cmp c)
{
    static const char *const text[] = {"=", "<>", "<", "<=", ">", ">="};
    return text[c];
}

static int ddb__check_function_types(ddb__parser *p, const ddb__node *n)
{
    const char *name = n->text;
    switch (n->func) {
    case DDB__FN_ATTRIBUTE_EXISTS:
    case DDB__FN_ATTRIBUTE_NOT_EXISTS:
    case DDB__FN_IF_NOT_EXISTS:
        if (n->args[0]->kind != DDB__PATH)
            return ddb__fail(p,
                             "Operator or function requires a document path; "
                             "operator or function: %s",
                             name);
        return 0;
    case DDB__FN_BEGINS_WITH:
        for (size_t i = 0; i < n->nargs; i++) {
            const char *t = ddb__static_type(n->args[i]);
            if (t && strcmp(t, "S") != 0 && strcmp(t, "B") != 0)
                return ddb__fail(p,
                                 "Incorrect operand type for operator or "
                                 "function; operator or function: %s, operand "
                                 "type: %s",
                                 name, t);
        }
        return 0;
    case DDB__FN_ATTRIBUTE_TYPE: {
        const char *t = ddb__static_type(n->args[1]);
        if (!t || strcmp(t, "S") != 0)
            return ddb__fail(p,
                             "Incorrect operand type for operator or "
                             "function; operator or function: %s, operand "
                             "type: %s",
                             name, t ? t : "{NS,SS,L,BS,N,M,B,BOOL,NULL,S}");
        const cJSON *payload = ddb_value_payload(n->args[1]->value);
        const char *want = cJSON_IsString(payload) ? payload->valuestring : "";
        ddb_type wt = DDB_INVALID;
        for (int i = 0; i < DDB_INVALID; i++)
            if (strcmp(ddb_type_name((ddb_type)i), want) == 0)
                wt = (ddb_type)i;
        if (wt == DDB_INVALID)
            return ddb__fail(p,
                             "Invalid attribute type name found; type: %s, "
                             "valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}",
                             want);
        return 0;
    }
    case DDB__FN_SIZE: {
        const char *t = ddb__static_type(n->args[0]);
        if (t && (!strcmp(t, "N") || !strcmp(t, "BOOL") || !strcmp(t, "NULL")))
            return ddb__fail(p,
                             "Incorrect operand type for operator or "
                             "function; operator or function: %s, operand "
                             "type: %s",
                             name, t);
        return 0;
    }
    case DDB__FN_LIST_APPEND:
        for (size_t i = 0; i < n->nargs; i++) {
            const char *t = n->args[i]->kind == DDB__VALUE
                                ? ddb__static_type(n->args[i])
                                : NULL;
            if (t && strcmp(t, "L") != 0)
                return ddb__fail(p,
                                 "Incorrect operand type for operator or "
                                 "function; operator or function: %s, operand "
                                 "type: %s",
                                 name, t);
        }
        return 0;
    default:
        return 0;
    }
}

static void ddb__bound_render(const cJSON *v, strbuf *out)
{
    const cJSON *payload = ddb_value_payload(v);
    strbuf_printf(out, "{%s:%s}", ddb_type_name(ddb_value_type(v)),
                  cJSON_IsString(payload) ? payload->valuestring : "");
}

static int ddb__check_between(ddb__parser *p, const ddb__node *n)
{
    const ddb__node *lo = n->args[1], *hi = n->args[2];
    if (lo->kind != DDB__VALUE || hi->kind != DDB__VALUE)
        return 0;

    const char *reason = NULL;
    int cmp;
    if (ddb_value_type(lo->value) != ddb_value_type(hi->value))
        reason = "requires same data type for lower and upper bounds";
    else if (ddb_value_compare(lo->value, hi->value, &cmp) == 0 && cmp > 0)
        reason = "requires upper bound to be greater than or equal to lower "
                 "bound";
    if (!reason)
        return 0;

    strbuf a, b;
    strbuf_init(&a);
    strbuf_init(&b);
    ddb__bound_render(lo->value, &a);
    ddb__bound_render(hi->value, &b);
    ddb__fail(p,
              "The BETWEEN operator %s; lower bound operand: AttributeValue: "
              "%s, upper bound operand: AttributeValue: %s",
              reason, a.data, b.data);
    strbuf_free(&a);
    strbuf_free(&b);
    return -1;
}

/*
 * Run one check over a node and its operands. `as_condition` is set when
 * the node is in a place where a condition is expected.
 */
static int ddb__check_node(ddb__parser *p, ddb__node *n, ddb__check check,
                           int as_condition)
{
    int is_logic =
        n->kind == DDB__AND || n->kind == DDB__OR || n->kind == DDB__NOT;
    int is_update = p->kind == DDB_EXPR_UPDATE;

    switch (check) {
    case CHECK_PARENS:
        if (n->parens > 1)
            return ddb__fail(p, "The expression has redundant parentheses;");
        break;
    case CHECK_UNKNOWN_FUNCTION:
        if (n->kind != DDB__FUNC)
            break;
        if (n->func == DDB__FN_UNKNOWN ||
            (is_update && !ddb__is_update_func(n->func)))
            return ddb__fail(p, "Invalid function name; function: %s", n->text);
        if (!is_update && ddb__is_update_func(n->func))
            return ddb__fail(p,
                             "The function is not allowed in a condition "
                             "expression; function: %s",
                             n->text);
        break;
    case CHECK_MISUSED_FUNCTION:
        if (n->kind != DDB__FUNC)
            break;
        if (as_condition ? n->func == DDB__FN_SIZE : n->func != DDB__FN_SIZE)
            return ddb__fail(p,
                             "The function is not allowed to be used this way "
                             "in an expression; function: %s",
                             n->text);
        break;
    case CHECK_RESERVED:
        if (n->kind == DDB__PATH && ddb__check_reserved_path(p, &n->path) < 0)
            return -1;
        break;
    case CHECK_NAMES:
        if (n->kind == DDB__PATH && ddb__resolve_path_names(p, &n->path) < 0)
            return -1;
        break;
    case CHECK_VALUES:
        if (n->kind == DDB__VALUE && ddb__resolve_value(p, n) < 0)
            return -1;
        break;
    case CHECK_OPERAND_COUNT:
        if (n->kind == DDB__FUNC && (int)n->nargs != ddb__func_arity(n->func))
            return ddb__fail(p,
                             "Incorrect number of operands for operator or "
                             "function; operator or function: %s, number of "
                             "operands: %zu",
                             n->text, n->nargs);
        if (n->kind == DDB__IN && n->nargs - 1 > DDB_EXPR_MAX_IN)
            return ddb__fail(p,
                             "The IN operator is provided with too many "
                             "operands; number of operands: %zu",
                             n->nargs - 1);
        break;
    case CHECK_DISTINCT:
        if (n->nargs == 2 && n->args[0]->kind == DDB__PATH &&
            n->args[1]->kind == DDB__PATH &&
            (n->kind == DDB__CMP ||
             (n->kind == DDB__FUNC && !ddb__is_update_func(n->func))) &&
            ddb__paths_equal(&n->args[0]->path, &n->args[1]->path)) {
            strbuf b;
            strbuf_init(&b);
            ddb__path_render(&n->args[0]->path, &b);
            ddb__fail(p,
                      "The first operand must be distinct from the remaining "
                      "operands for this operator or function; operator: %s, "
                      "first operand: %s",
                      n->kind == DDB__CMP ? ddb__cmp_text(n->cmp) : n->text,
                      b.data);
            strbuf_free(&b);
            return -1;
        }
        break;
    case CHECK_FUNCTION_TYPES:
        if (n->kind == DDB__FUNC && ddb__check_function_types(p, n) < 0)
            return -1;
        if (n->kind == DDB__BETWEEN && ddb__check_between(p, n) < 0)
            return -1;
        if ((n->kind == DDB__PLUS || n->kind == DDB__MINUS))
            for (size_t i = 0; i < n->nargs; i++) {
                const char *t = n->args[i]->kind == DDB__VALUE
                                    ? ddb__static_type(n->args[i])
                                    : NULL;
                if (t && strcmp(t, "N") != 0)
                    return ddb__fail(p,
                                     "Incorrect operand type for operator or "
                                     "function; operator or function: %s, "
                                     "operand type: %s",
                                     n->kind == DDB__PLUS ? "+" : "-", t);
            }
        break;
    }

    for (size_t i = 0; i < n->nargs; i++)
        if (ddb__check_node(p, n->args[i], check, is_logic) < 0)
            return -1;
    return 0;
}

/* Compare every pair of update or projection paths for overlap, then
 * conflict (a name where the other path has an index). */
static int ddb__check_paths(ddb__parser *p, ddb__path *const *paths, size_t n)
{
    const ddb__path *overlap[2] = {NULL, NULL}, *conflict[2] = {NULL, NULL};
    for (size_t i = 1; i < n && !overlap[0]; i++) {
        for (size_t j = 0; j < i && !overlap[0]; j++) {
            const ddb__path *a = paths[j], *b = paths[i];
            size_t k, m = a->len < b->len ? a->len : b->len;
            int differ = 0;
            for (k = 0; k < m; k++) {
                const ddb__path_elem *x = &a->elems[k], *y = &b->elems[k];
                if (x->is_index != y->is_index) {
                    if (!conflict[0]) {
                        conflict[0] = a;
                        conflict[1] = b;
                    }
                    differ = 1;
                    break;
                }
                if (x->is_index ? x->index != y->index
                                : strcmp(x->name, y->name) != 0) {
                    differ = 1;
                    break;
                }
            }
            if (!differ) {
                overlap[0] = a;
                overlap[1] = b;
            }
        }
    }

    const ddb__path **pair = overlap[0] ? overlap : conflict;
    if (!pair[0])
        return 0;
    strbuf one, two;
    strbuf_init(&one);
    strbuf_init(&two);
    ddb__path_render(pair[0], &one);
    ddb__path_render(pair[1], &two);
    ddb__fail(p,
              "Two document paths %s with each other; must remove or rewrite "
              "one of these paths; path one: %s, path two: %s",
              overlap[0] ? "overlap" : "conflict", one.data, two.data);
    strbuf_free(&one);
    strbuf_free(&two);
    return -1;
}

static int ddb__check_condition(ddb__parser *p, ddb__node *root)
{
    for (int c = CHECK_PARENS; c <= CHECK_FUNCTION_TYPES; c++)
        if (ddb__check_node(p, root, (ddb__check)c, 1) < 0)
            return -1;
    return 0;
}

static const char *ddb__update_type_name(ddb_type t)
{
    switch (t) {
    case DDB_S:
        return "STRING";
    case DDB_N:
        return "NUMBER";
    case DDB_B:
        return "BINARY";
    case DDB_NULL:
        return "NULL";
    case DDB_BOOL:
        return "BOOLEAN";
    case DDB_L:
        return "LIST";
    case DDB_M:
        return "MAP";
    default:
        return NULL;
    }
}

static int ddb__check_update(ddb__parser *p, ddb_expr *e)
{
    for (size_t i = 0; i < e->nactions; i++) {
        if (ddb__check_reserved_path(p, &e->actions[i].path) < 0)
            return -1;
        if (e->actions[i].value &&
            ddb__check_node(p, e->actions[i].value, CHECK_RESERVED, 0) < 0)
            return -1;
    }
    for (size_t i = 0; i < e->nactions; i++)
        if (e->actions[i].value &&
            ddb__check_node(p, e->actions[i].value, CHECK_UNKNOWN_FUNCTION, 0) <
                0)
            return -1;
    if (p->repeated_section >= 0)
        return ddb__fail(p,
                         "The \"%s\" section can only be used once in an "
                         "update expression;",
                         ddb__section_names[p->repeated_section]);
    for (size_t i = 0; i < e->nactions; i++) {
        if (ddb__resolve_path_names(p, &e->actions[i].path) < 0)
            return -1;
        if (e->actions[i].value &&
            ddb__check_node(p, e->actions[i].value, CHECK_NAMES, 0) < 0)
            return -1;
    }
    for (size_t i = 0; i < e->nactions; i++)
        if (e->actions[i].value &&
            ddb__check_node(p, e->actions[i].value, CHECK_VALUES, 0) < 0)
            return -1;

    ddb__path **paths = xmalloc(sizeof *paths * (e->nactions + 1));
    for (size_t i = 0; i < e->nactions; i++)
        paths[i] = &e->actions[i].path;
    int rc = ddb__check_paths(p, paths, e->nactions);
    free(paths);
    if (rc < 0)
        return -1;

    for (size_t i = 0; i < e->nactions; i++) {
        const ddb__action *a = &e->actions[i];
        if (a->kind != DDB__ADD && a->kind != DDB__DELETE)
            continue;
        ddb_type t = ddb_value_type(a->value->value);
        const char *name = ddb__update_type_name(t);
        if (name && !(a->kind == DDB__ADD && t == DDB_N))
            return ddb__fail(p,
                             "Incorrect operand type for operator or "
                             "function; operator: %s, operand type: %s",
                             a->kind == DDB__ADD ? "ADD" : "DELETE", name);
    }
    for (size_t i = 0; i < e->nactions; i++) {
        ddb__node *v = e->actions[i].value;
        if (e->actions[i].kind != DDB__SET)
            continue;
        if (ddb__check_node(p, v, CHECK_OPERAND_COUNT, 0) < 0 ||
            ddb__check_node(p, v, CHECK_FUNCTION_TYPES, 0) < 0)
            return -1;
    }
    return 0;
}

static int ddb__check_projection(ddb__parser *p, ddb_expr *e)
{
    for (size_t i = 0; i < e->npaths; i++)
        if (ddb__check_reserved_path(p, &e->paths[i]) < 0)
            return -1;
    for (size_t i = 0; i < e->npaths; i++)
        if (ddb__resolve_path_names(p, &e->paths[i]) < 0)
            return -1;

    ddb__path **paths = xmalloc(sizeof *paths * (e->npaths + 1));
    for (size_t i = 0; i < e->npaths; i++)
        paths[i] = &e->paths[i];
    int rc = ddb__check_paths(p, paths, e->npaths);
    free(paths);
    return rc;
}

/* ---- key conditions --------------------------------------------------- */

static ddb_key_op ddb__key_op(ddb__cmp c, int flipped)
{
    switch (c) {
    case DDB__EQ:
        return DDB_KEY_EQ;
    case DDB__LT:
        return flipped ? DDB_KEY_GT : DDB_KEY_LT;
    case DDB__LE:
        return flipped ? DDB_KEY_GE : DDB_KEY_LE;
    case DDB__GT:
        return flipped ? DDB_KEY_LT : DDB_KEY_GT;
    case DDB__GE:
        return flipped ? DDB_KEY_LE : DDB_KEY_GE;
    default:
        return DDB_KEY_NONE;
    }
}

/* Raw messages: DynamoDB sends these without the "Invalid ..." prefix. */
static int ddb__key_fail(ddb__parser *p, const char *msg, const char *arg)
{
    if (arg)
        return aws_fail(p->err, AWS_ERR_VALIDATION, "%s%s", msg, arg);
    return aws_fail(p->err, AWS_ERR_VALIDATION, "%s", msg);
}

static int ddb__key_check(ddb__parser *p, ddb_expr *e, const ddb__node *n)
{
    static const char invalid_op[] =
        "Invalid operator used in KeyConditionExpression: ";
    static const char nested[] =
        "KeyConditionExpressions cannot contain nested operations";

    if (n->kind == DDB__OR)
        return ddb__key_fail(p, invalid_op, "OR");
    if (n->kind == DDB__NOT)
        return ddb__key_fail(p, invalid_op, "NOT");
    if (n->kind == DDB__IN)
        return ddb__key_fail(p, invalid_op, "IN");
    if (n->kind == DDB__CMP && n->cmp == DDB__NE)
        return ddb__key_fail(p, invalid_op, "<>");
    if (n->kind == DDB__FUNC && n->func == DDB__FN_SIZE)
        return ddb__key_fail(p, nested, NULL);
    if (n->kind == DDB__FUNC && n->func != DDB__FN_BEGINS_WITH)
        return ddb__key_fail(p, invalid_op, n->text);
    if ((n->kind == DDB__BETWEEN || n->kind == DDB__FUNC) &&
        n->args[0]->kind != DDB__PATH)
        return aws_fail(p->err, AWS_ERR_VALIDATION,
                        "Invalid condition in KeyConditionExpression: %s "
                        "operator must have the key attribute as its first "
                        "operand",
                        n->kind == DDB__BETWEEN ? "BETWEEN" : n->text);

    if (n->kind == DDB__AND) {
        for (size_t i = 0; i < n->nargs; i++)
            if (ddb__key_check(p, e, n->args[i]) < 0)
                return -1;
        return 0;
    }

    const ddb__node *attr = NULL;
    size_t attr_index = 0;
    for (size_t i = 0; i < n->nargs; i++) {
        const ddb__node *a = n->args[i];
        if (a->kind == DDB__PATH) {
            if (attr)
                return ddb__key_fail(p,
                                     "Invalid condition in "
                                     "KeyConditionExpression: Multiple "
                                     "attribute names used in one condition",
                                     NULL);
            if (a->path.len > 1)
                return ddb__key_fail(p,
                                     "KeyConditionExpressions cannot have "
                                     "conditions on nested attributes",
                                     NULL);
            attr = a;
            attr_index = i;
        } else if (a->kind == DDB__FUNC && ddb__key_check(p, e, a) < 0) {
            return -1;
        }
    }
    if (!attr)
        return ddb__key_fail(p,
                             "Invalid condition in KeyConditionExpression: No "
                             "key attribute specified",
                             NULL);

    const char *name = attr->path.elems[0].name;
    for (size_t i = 0; i < e->nkeys; i++)
        if (strcmp(e->keys[i].attr, name) == 0)
            return ddb__key_fail(p,
                                 "KeyConditionExpressions must only contain "
                                 "one condition per key",
                                 NULL);
    if (e->nkeys == 2) {
        e->key_extra = 1;
        return 0;
    }

    ddb__key_part *k = &e->keys[e->nkeys++];
    k->attr = name;
    if (n->kind == DDB__CMP) {
        k->op = ddb__key_op(n->cmp, attr_index != 0);
        k->v1 = n->args[attr_index == 0 ? 1 : 0]->value;
    } else if (n->kind == DDB__BETWEEN) {
        k->op = DDB_KEY_BETWEEN;
        k->v1 = n->args[1]->value;
        k->v2 = n->args[2]->value;
    } else {
        k->op = DDB_KEY_BEGINS_WITH;
        k->v1 = n->args[1]->value;
    }
    return 0;
}

/* ---- public ----------------------------------------------------------- */

static const char *ddb__label(ddb_expr_kind kind)
{
    switch (kind) {
    case DDB_EXPR_CONDITION:
        return "ConditionExpression";
    case DDB_EXPR_FILTER:
        return "FilterExpression";
    case DDB_EXPR_KEY_CONDITION:
        return "KeyConditionExpression";
    case DDB_EXPR_UPDATE:
        return "UpdateExpression";
    case DDB_EXPR_PROJECTION:
        return "ProjectionExpression";
    }
    return "Expression";
}

void ddb_expr_ctx_init(ddb_expr_ctx *ctx, const cJSON *names,
                       const cJSON *values)
{
    ctx->names = names;
    ctx->values = values;
    ctx->used_names = cJSON_CreateObject();
    ctx->used_values = cJSON_CreateObject();
}

void ddb_expr_ctx_cleanup(ddb_expr_ctx *ctx)
{
    cJSON_Delete(ctx->used_names);
    cJSON_Delete(ctx->used_values);
    ctx->used_names = ctx->used_values = NULL;
}

ddb_expr *ddb_expr_parse(ddb_expr_ctx *ctx, ddb_expr_kind kind,
                         const char *text, aws_error *err)
{
    ddb__parser p = {0};
    p.ctx = ctx;
    p.text = text;
    p.textlen = strlen(text);
    p.kind = kind;
    p.label = ddb__label(kind);
    p.err = err;
    p.repeated_section = -1;

    if (p.textlen == 0) {
        ddb__fail(&p, "The expression can not be empty;");
        return NULL;
    }
    if (p.textlen > DDB_EXPR_MAX_SIZE) {
        ddb__fail(&p,
                  "Expression size has exceeded the maximum allowed size; "
                  "expression size: %zu",
                  p.textlen);
        return NULL;
    }

    ddb__tokenize(&p);
    ddb_expr *e = xcalloc(1, sizeof *e);
    e->kind = kind;
    int rc;
    switch (kind) {
    case DDB_EXPR_UPDATE:
        rc = ddb__parse_update(&p, e);
        if (rc == 0)
            rc = ddb__check_update(&p, e);
        break;
    case DDB_EXPR_PROJECTION:
        rc = ddb__parse_projection(&p, e);
        if (rc == 0)
            rc = ddb__check_projection(&p, e);
        break;
    default:
        e->root = ddb__parse_condition(&p);
        rc = e->root ? ddb__check_condition(&p, e->root) : -1;
        if (rc == 0 && kind == DDB_EXPR_KEY_CONDITION)
            rc = ddb__key_check(&p, e, e->root);
        break;
    }
    free(p.toks);
    if (rc < 0) {
        ddb_expr_free(e);
        return NULL;
    }
    return e;
}

void ddb_expr_free(ddb_expr *e)
{
    if (!e)
        return;
    ddb__node_free(e->root);
    for (size_t i = 0; i < e->nactions; i++) {
        ddb__path_clear(&e->actions[i].path);
        ddb__node_free(e->actions[i].value);
    }
    free(e->actions);
    for (size_t i = 0; i < e->npaths; i++)
        ddb__path_clear(&e->paths[i]);
    free(e->paths);
    free(e);
}

static int ddb__unused(const cJSON *supplied, const cJSON *used,
                       const char *member, aws_error *err)
{
    strbuf b;
    strbuf_init(&b);
    for (const cJSON *m = supplied ? supplied->child : NULL; m; m = m->next) {
        if (cJSON_GetObjectItemCaseSensitive(used, m->string))
            continue;
        if (b.len)
            strbuf_puts(&b, ", ");
        strbuf_puts(&b, m->string);
    }
    int rc = 0;
    if (b.len)
        rc = aws_fail(err, AWS_ERR_VALIDATION,
                      "Value provided in %s unused in expressions: keys: {%s}",
                      member, b.data);
    strbuf_free(&b);
    return rc;
}

int ddb_expr_check_unused(const ddb_expr_ctx *ctx, aws_error *err)
{
    if (ddb__unused(ctx->names, ctx->used_names, "ExpressionAttributeNames",
                    err) < 0)
        return -1;
    return ddb__unused(ctx->values, ctx->used_values,
                       "ExpressionAttributeValues", err);
}

static int ddb__placeholder_ok(const char *key, char lead)
{
    if (key[0] != lead || key[1] == '\0')
        return 0;
    for (const char *c = key + 1; *c; c++)
        if (!ddb__is_ident_part(*c))
            return 0;
    return 1;
}

int ddb_expr_attributes_validate(cJSON *names, cJSON *values, aws_error *err)
{
    if (names) {
        if (!names->child)
            return aws_fail(err, AWS_ERR_VALIDATION,
                            "ExpressionAttributeNames must not be empty");
        for (const cJSON *m = names->child; m; m = m->next)
            if (!ddb__placeholder_ok(m->string, '#'))
                return aws_fail(err, AWS_ERR_VALIDATION,
                                "ExpressionAttributeNames contains invalid "
                                "key: Syntax error; key: \"%s\"",
                                m->string);
    }
    if (!values)
        return 0;
    if (!values->child)
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "ExpressionAttributeValues must not be empty");
    for (const cJSON *m = values->child; m; m = m->next)
        if (!ddb__placeholder_ok(m->string, ':'))
            return aws_fail(err, AWS_ERR_VALIDATION,
                            "ExpressionAttributeValues contains invalid key: "
                            "Syntax error; key: \"%s\"",
                            m->string);
    for (cJSON *m = values->child; m; m = m->next) {
        aws_error inner = {0};
        if (ddb_value_validate(m, &inner) == 0)
            continue;
        char message[sizeof inner.message];
        memcpy(message, inner.message, sizeof message);
        aws_code code = inner.code;
        aws_error_reset(&inner);
        return aws_fail(err, code,
                        "ExpressionAttributeValues contains invalid value: %s "
                        "for key %s",
                        message, m->string);
    }
    return 0;
}
