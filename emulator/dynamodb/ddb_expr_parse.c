/*
 * ddb_expr_parse.c: the parser of DynamoDB condition, filter, key
 * condition, update and projection expressions, and the public functions
 * that run it. The tokens come from ddb_expr_lex.c, and ddb_expr_check.c
 * runs the checks DynamoDB applies to a parsed expression before it reads
 * any item.
 *
 * Errors carry DynamoDB's ValidationException texts. When an expression
 * has several problems, the checks run in the order DynamoDB reports them:
 * syntax first, then one check at a time over the whole expression.
 */
#include "ddb_expr.h"

#include <stdlib.h>
#include <string.h>

#include "ddb_expr_parse_internal.h"
#include "util.h"

/* DynamoDB's documented maximum expression size in bytes. */
#define DDB_EXPR_MAX_SIZE 4096

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
            rc = ddb__key_condition_check(&p, e, e->root);
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
