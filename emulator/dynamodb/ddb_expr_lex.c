/*
 * ddb_expr_lex.c: the tokenizer of DynamoDB expressions, DynamoDB's
 * reserved words, and the cursor the parser moves over the tokens. It
 * reports syntax errors with the token and surrounding text DynamoDB
 * names, and caps the nesting depth.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ddb_expr_parse_internal.h"
#include "util.h"

/* Nesting cap for parentheses, NOT and function calls while parsing. */
#define DDB_EXPR_MAX_DEPTH 64

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

const char *const ddb__section_names[] = {"SET", "REMOVE", "ADD", "DELETE"};

/* ---- tokens ----------------------------------------------------------- */

static int ddb__is_ident_start(char c)
{
    return isalpha((unsigned char)c) || c == '_';
}

int ddb__is_ident_part(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

void ddb__tokenize(ddb__parser *p)
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

const ddb__token *ddb__cur(const ddb__parser *p)
{
    return &p->toks[p->pos];
}

void ddb__advance(ddb__parser *p)
{
    if (p->toks[p->pos].kind != TOK_EOF)
        p->pos++;
}

int ddb__tok_is(const ddb__parser *p, ddb__tok_kind kind)
{
    return ddb__cur(p)->kind == kind;
}

/* Current token is the keyword `kw`, in any letter case. */
int ddb__is_keyword(const ddb__parser *p, const char *kw)
{
    const ddb__token *t = ddb__cur(p);
    return t->kind == TOK_IDENT && t->len == strlen(kw) &&
           strncasecmp(p->text + t->start, kw, t->len) == 0;
}

/* An identifier the grammar of this expression kind keeps for itself. */
int ddb__at_grammar_keyword(const ddb__parser *p)
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
void *ddb__syntax_error(ddb__parser *p)
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

int ddb__enter(ddb__parser *p)
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

int ddb__reserved(const char *word)
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
