/*
 * logs_pattern.c: CloudWatch Logs filter patterns, as FilterLogEvents and
 * `aws logs tail --filter-pattern` apply them.
 *
 * Two forms are supported:
 *   terms    ERROR "two words" -DEBUG ?WARN ?FATAL
 *            Every plain term must occur in the message (case-sensitive
 *            substring), no "-" term may occur, and when "?" terms are
 *            given at least one of them must occur.
 *   JSON     { $.level = "ERROR" && ($.ms > 100 || $.user.id != "x") }
 *            Selectors ($.a.b, $.a[0]) compared with = != < <= > >= to
 *            strings (quoted, "*" as a wildcard) or numbers, IS TRUE,
 *            IS FALSE, IS NULL, EXISTS and NOT EXISTS, combined with &&,
 *            || and parentheses. The message must be a JSON object, or end
 *            in one after a prefix such as Lambda's "time\tid\tLEVEL\t".
 * NOTE: space-delimited patterns ("[ip, user, ...]") are rejected.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "logs.h"
#include "util.h"

typedef enum logs_node_kind {
    LOGS_NODE_AND,
    LOGS_NODE_OR,
    LOGS_NODE_COMPARE,
} logs_node_kind;

typedef enum logs_op {
    LOGS_OP_EQ,
    LOGS_OP_NE,
    LOGS_OP_LT,
    LOGS_OP_LE,
    LOGS_OP_GT,
    LOGS_OP_GE,
    LOGS_OP_IS_TRUE,
    LOGS_OP_IS_FALSE,
    LOGS_OP_IS_NULL,
    LOGS_OP_EXISTS,
    LOGS_OP_NOT_EXISTS,
} logs_op;

typedef struct logs_node {
    logs_node_kind kind;
    struct logs_node *left, *right;
    char *selector; /* the part after "$" */
    logs_op op;
    char *text; /* string operand */
    double number;
    int is_number;
} logs_node;

typedef struct logs_term {
    char *text;
    char kind; /* ' ' required, '-' excluded, '?' optional */
} logs_term;

struct logs_pattern {
    logs_term *terms;
    size_t nterms;
    logs_node *json;
};

static void logs_node_free(logs_node *n)
{
    if (!n)
        return;
    logs_node_free(n->left);
    logs_node_free(n->right);
    free(n->selector);
    free(n->text);
    free(n);
}

void logs_pattern_free(logs_pattern *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->nterms; i++)
        free(p->terms[i].text);
    free(p->terms);
    logs_node_free(p->json);
    free(p);
}

static int logs_invalid(aws_error *err, const char *detail)
{
    return aws_fail(err, AWS_ERR_LOGS_INVALID_PARAMETER,
                    "Invalid filter pattern: %s", detail);
}

/* ---- JSON patterns ---- */

/* The maximum nesting depth of parentheses, so that client text cannot
 * exhaust the stack. */
#define LOGS_MAX_DEPTH 32

typedef struct logs_parser {
    const char *p;
    aws_error *err;
    int failed;
    int depth;
} logs_parser;

static void logs_skip(logs_parser *ps)
{
    while (isspace((unsigned char)*ps->p))
        ps->p++;
}

static int logs_accept(logs_parser *ps, const char *token)
{
    logs_skip(ps);
    size_t len = strlen(token);
    if (strncmp(ps->p, token, len) != 0)
        return 0;
    /* Word tokens must end at a word boundary. */
    if (isalpha((unsigned char)token[0]) &&
        (isalnum((unsigned char)ps->p[len]) || ps->p[len] == '_'))
        return 0;
    ps->p += len;
    return 1;
}

static logs_node *logs_fail(logs_parser *ps, const char *detail)
{
    if (!ps->failed)
        logs_invalid(ps->err, detail);
    ps->failed = 1;
    return NULL;
}

static logs_node *logs_parse_or(logs_parser *ps);

static logs_node *logs_parse_compare(logs_parser *ps)
{
    logs_skip(ps);
    if (logs_accept(ps, "(")) {
        if (++ps->depth > LOGS_MAX_DEPTH)
            return logs_fail(ps, "parentheses nest too deeply");
        logs_node *inner = logs_parse_or(ps);
        ps->depth--;
        if (!inner)
            return NULL;
        if (!logs_accept(ps, ")")) {
            logs_node_free(inner);
            return logs_fail(ps, "missing ')'");
        }
        return inner;
    }
    if (*ps->p != '$')
        return logs_fail(ps, "expected a selector starting with '$'");
    const char *start = ++ps->p;
    while (*ps->p &&
           (isalnum((unsigned char)*ps->p) || strchr("._[]-", *ps->p)))
        ps->p++;
    logs_node *n = xcalloc(1, sizeof *n);
    n->kind = LOGS_NODE_COMPARE;
    n->selector = xstrndup(start, (size_t)(ps->p - start));

    if (logs_accept(ps, "IS")) {
        if (logs_accept(ps, "TRUE"))
            n->op = LOGS_OP_IS_TRUE;
        else if (logs_accept(ps, "FALSE"))
            n->op = LOGS_OP_IS_FALSE;
        else if (logs_accept(ps, "NULL"))
            n->op = LOGS_OP_IS_NULL;
        else {
            logs_node_free(n);
            return logs_fail(ps, "expected TRUE, FALSE or NULL after IS");
        }
        return n;
    }
    if (logs_accept(ps, "NOT")) {
        if (!logs_accept(ps, "EXISTS")) {
            logs_node_free(n);
            return logs_fail(ps, "expected EXISTS after NOT");
        }
        n->op = LOGS_OP_NOT_EXISTS;
        return n;
    }
    if (logs_accept(ps, "EXISTS")) {
        n->op = LOGS_OP_EXISTS;
        return n;
    }
    static const struct {
        const char *text;
        logs_op op;
    } ops[] = {{"!=", LOGS_OP_NE}, {"<=", LOGS_OP_LE}, {">=", LOGS_OP_GE},
               {"=", LOGS_OP_EQ},  {"<", LOGS_OP_LT},  {">", LOGS_OP_GT}};
    size_t k;
    for (k = 0; k < sizeof ops / sizeof *ops; k++)
        if (logs_accept(ps, ops[k].text))
            break;
    if (k == sizeof ops / sizeof *ops) {
        logs_node_free(n);
        return logs_fail(ps, "expected a comparison operator");
    }
    n->op = ops[k].op;
    logs_skip(ps);
    if (*ps->p == '"') {
        const char *s = ++ps->p;
        while (*ps->p && *ps->p != '"')
            ps->p++;
        if (*ps->p != '"') {
            logs_node_free(n);
            return logs_fail(ps, "unterminated string");
        }
        n->text = xstrndup(s, (size_t)(ps->p - s));
        ps->p++;
    } else {
        const char *s = ps->p;
        while (*ps->p && !isspace((unsigned char)*ps->p) &&
               !strchr(")&|}", *ps->p))
            ps->p++;
        if (ps->p == s) {
            logs_node_free(n);
            return logs_fail(ps, "missing value after the operator");
        }
        n->text = xstrndup(s, (size_t)(ps->p - s));
        char *end = NULL;
        n->number = strtod(n->text, &end);
        n->is_number = *end == '\0';
    }
    if ((n->op == LOGS_OP_LT || n->op == LOGS_OP_LE || n->op == LOGS_OP_GT ||
         n->op == LOGS_OP_GE) &&
        !n->is_number) {
        logs_node_free(n);
        return logs_fail(ps, "numeric comparison needs a number");
    }
    return n;
}

static logs_node *logs_parse_and(logs_parser *ps)
{
    logs_node *left = logs_parse_compare(ps);
    while (left && logs_accept(ps, "&&")) {
        logs_node *right = logs_parse_compare(ps);
        if (!right) {
            logs_node_free(left);
            return NULL;
        }
        logs_node *n = xcalloc(1, sizeof *n);
        n->kind = LOGS_NODE_AND;
        n->left = left;
        n->right = right;
        left = n;
    }
    return left;
}

static logs_node *logs_parse_or(logs_parser *ps)
{
    logs_node *left = logs_parse_and(ps);
    while (left && logs_accept(ps, "||")) {
        logs_node *right = logs_parse_and(ps);
        if (!right) {
            logs_node_free(left);
            return NULL;
        }
        logs_node *n = xcalloc(1, sizeof *n);
        n->kind = LOGS_NODE_OR;
        n->left = left;
        n->right = right;
        left = n;
    }
    return left;
}

/* Follow a selector such as ".a.b[0]" into `root`; NULL when absent. */
static const cJSON *logs_select(const cJSON *root, const char *sel)
{
    const cJSON *cur = root;
    const char *p = sel;
    while (*p && cur) {
        if (*p == '.') {
            p++;
            const char *s = p;
            while (*p && *p != '.' && *p != '[')
                p++;
            char *name = xstrndup(s, (size_t)(p - s));
            cur = cJSON_IsObject(cur)
                      ? cJSON_GetObjectItemCaseSensitive(cur, name)
                      : NULL;
            free(name);
        } else if (*p == '[') {
            char *end = NULL;
            long index = strtol(p + 1, &end, 10);
            if (*end != ']')
                return NULL;
            cur =
                cJSON_IsArray(cur) ? cJSON_GetArrayItem(cur, (int)index) : NULL;
            p = end + 1;
        } else {
            return NULL;
        }
    }
    return cur;
}

/* Whether `text` matches `pattern`, where '*' matches any run. Iterative,
 * resuming after the last '*' on a mismatch, so it takes at most
 * len(pattern) * len(text) steps however many stars there are. */
static int logs_wildcard(const char *pattern, const char *text)
{
    const char *star = NULL, *resume = NULL;
    while (*text) {
        if (*pattern == '*') {
            star = pattern++;
            resume = text;
        } else if (*pattern == *text) {
            pattern++;
            text++;
        } else if (star) {
            pattern = star + 1;
            text = ++resume;
        } else {
            return 0;
        }
    }
    while (*pattern == '*')
        pattern++;
    return *pattern == '\0';
}

static int logs_compare(const logs_node *n, const cJSON *root)
{
    const cJSON *v = logs_select(root, n->selector);
    switch (n->op) {
    case LOGS_OP_EXISTS:
        return v != NULL;
    case LOGS_OP_NOT_EXISTS:
        return v == NULL;
    case LOGS_OP_IS_TRUE:
        return cJSON_IsTrue(v);
    case LOGS_OP_IS_FALSE:
        return cJSON_IsFalse(v);
    case LOGS_OP_IS_NULL:
        return cJSON_IsNull(v);
    default:
        break;
    }
    if (!v)
        return 0;
    if (n->op == LOGS_OP_EQ || n->op == LOGS_OP_NE) {
        int equal;
        if (n->is_number && cJSON_IsNumber(v))
            equal = v->valuedouble == n->number;
        else if (cJSON_IsString(v))
            equal = logs_wildcard(n->text, v->valuestring);
        else if (cJSON_IsBool(v))
            equal = strcmp(n->text, cJSON_IsTrue(v) ? "true" : "false") == 0;
        else
            equal = 0;
        return n->op == LOGS_OP_EQ ? equal : !equal;
    }
    if (!cJSON_IsNumber(v))
        return 0;
    double x = v->valuedouble;
    switch (n->op) {
    case LOGS_OP_LT:
        return x < n->number;
    case LOGS_OP_LE:
        return x <= n->number;
    case LOGS_OP_GT:
        return x > n->number;
    default:
        return x >= n->number;
    }
}

static int logs_eval(const logs_node *n, const cJSON *root)
{
    switch (n->kind) {
    case LOGS_NODE_AND:
        return logs_eval(n->left, root) && logs_eval(n->right, root);
    case LOGS_NODE_OR:
        return logs_eval(n->left, root) || logs_eval(n->right, root);
    default:
        return logs_compare(n, root);
    }
}

/* ---- term patterns ---- */

static int logs_parse_terms(logs_pattern *p, const char *text, aws_error *err)
{
    const char *s = text;
    for (;;) {
        while (isspace((unsigned char)*s))
            s++;
        if (!*s)
            return 0;
        char kind = ' ';
        if (*s == '-' || *s == '?')
            kind = *s++;
        char *term;
        if (*s == '"') {
            const char *start = ++s;
            while (*s && *s != '"')
                s++;
            if (*s != '"')
                return logs_invalid(err, "unterminated quoted term");
            term = xstrndup(start, (size_t)(s - start));
            s++;
        } else {
            const char *start = s;
            while (*s && !isspace((unsigned char)*s))
                s++;
            term = xstrndup(start, (size_t)(s - start));
        }
        if (!term[0]) {
            free(term);
            if (kind != ' ')
                return logs_invalid(err, "empty term after '-' or '?'");
            continue;
        }
        p->terms = xrealloc(p->terms, (p->nterms + 1) * sizeof *p->terms);
        p->terms[p->nterms].text = term;
        p->terms[p->nterms].kind = kind;
        p->nterms++;
    }
}

logs_pattern *logs_pattern_parse(const char *text, aws_error *err)
{
    logs_pattern *p = xcalloc(1, sizeof *p);
    const char *s = text ? text : "";
    while (isspace((unsigned char)*s))
        s++;
    if (*s == '{') {
        logs_parser ps = {.p = s + 1, .err = err};
        p->json = logs_parse_or(&ps);
        if (p->json && !logs_accept(&ps, "}"))
            logs_fail(&ps, "missing '}' at the end of a JSON pattern");
        logs_skip(&ps);
        if (p->json && !ps.failed && *ps.p)
            logs_fail(&ps, "unexpected text after '}'");
        if (ps.failed || !p->json) {
            logs_pattern_free(p);
            return NULL;
        }
        return p;
    }
    if (*s == '[') {
        logs_invalid(err, "Stratus does not support space-delimited "
                          "patterns ([...])");
        logs_pattern_free(p);
        return NULL;
    }
    if (logs_parse_terms(p, s, err) != 0) {
        logs_pattern_free(p);
        return NULL;
    }
    return p;
}

int logs_pattern_match(const logs_pattern *p, const char *message)
{
    if (p->json) {
        cJSON *root = cJSON_Parse(message);
        if (!cJSON_IsObject(root)) {
            /* Lambda's text format puts the JSON after a prefix. */
            cJSON_Delete(root);
            const char *brace = strchr(message, '{');
            root = brace ? cJSON_Parse(brace) : NULL;
        }
        int hit = cJSON_IsObject(root) && logs_eval(p->json, root);
        cJSON_Delete(root);
        return hit;
    }
    int optional = 0, optional_hit = 0;
    for (size_t i = 0; i < p->nterms; i++) {
        int found = strstr(message, p->terms[i].text) != NULL;
        switch (p->terms[i].kind) {
        case '-':
            if (found)
                return 0;
            break;
        case '?':
            optional = 1;
            optional_hit |= found;
            break;
        default:
            if (!found)
                return 0;
        }
    }
    return !optional || optional_hit;
}
