/*
 * ddb_expr_check.c: the checks DynamoDB applies to a parsed expression
 * before it reads any item. These cover reserved words, placeholders,
 * function names and arity, operand types, overlapping update and
 * projection paths, and the shape of key conditions. The checks run one at
 * a time over the whole expression, in the order DynamoDB reports them,
 * and fail with DynamoDB's ValidationException texts.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ddb_expr_parse_internal.h"
#include "util.h"

/* DynamoDB's maximum number of operands on the right of IN. */
#define DDB_EXPR_MAX_IN 100

/* ---- checks after parsing --------------------------------------------- */

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

int ddb__fail(ddb__parser *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Fail with "Invalid <kind>: <message>". */
int ddb__fail(ddb__parser *p, const char *fmt, ...)
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

int ddb__check_condition(ddb__parser *p, ddb__node *root)
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

int ddb__check_update(ddb__parser *p, ddb_expr *e)
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

int ddb__check_projection(ddb__parser *p, ddb_expr *e)
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

int ddb__key_condition_check(ddb__parser *p, ddb_expr *e, const ddb__node *n)
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
            if (ddb__key_condition_check(p, e, n->args[i]) < 0)
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
        } else if (a->kind == DDB__FUNC &&
                   ddb__key_condition_check(p, e, a) < 0) {
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
