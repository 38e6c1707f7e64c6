/*
 * ddb_expr_internal.h: the parsed form of DynamoDB expressions, shared by
 * the parser (ddb_expr_lex.c, ddb_expr_parse.c, ddb_expr_check.c) and the
 * evaluator (ddb_expr_eval.c).
 *
 * A parsed expression borrows attribute names and values from the JSON
 * trees its ddb_expr_ctx points at; they must outlive the expression.
 */
#ifndef STRATUS_DDB_EXPR_INTERNAL_H
#define STRATUS_DDB_EXPR_INTERNAL_H

#include <stddef.h>

#include "ddb_expr.h"
#include "ddb_value.h"

/* One step of a document path: an attribute name or a list index. */
typedef struct ddb__path_elem {
    int is_index;
    long index;
    char *raw;        /* as written: "a" or "#a"; owned by the path */
    const char *name; /* after #name substitution; NULL until resolved */
    int placeholder;  /* written as #name */
} ddb__path_elem;

typedef struct ddb__path {
    ddb__path_elem *elems;
    size_t len;
} ddb__path;

typedef enum ddb__node_kind {
    DDB__PATH,
    DDB__VALUE,
    DDB__FUNC,
    DDB__PLUS,
    DDB__MINUS,
    DDB__CMP,
    DDB__BETWEEN,
    DDB__IN,
    DDB__AND,
    DDB__OR,
    DDB__NOT
} ddb__node_kind;

typedef enum ddb__cmp {
    DDB__EQ,
    DDB__NE,
    DDB__LT,
    DDB__LE,
    DDB__GT,
    DDB__GE
} ddb__cmp;

typedef enum ddb__func {
    DDB__FN_UNKNOWN,
    DDB__FN_ATTRIBUTE_EXISTS,
    DDB__FN_ATTRIBUTE_NOT_EXISTS,
    DDB__FN_ATTRIBUTE_TYPE,
    DDB__FN_BEGINS_WITH,
    DDB__FN_CONTAINS,
    DDB__FN_SIZE,
    DDB__FN_IF_NOT_EXISTS,
    DDB__FN_LIST_APPEND
} ddb__func;

typedef struct ddb__node {
    ddb__node_kind kind;
    ddb__cmp cmp;            /* DDB__CMP */
    ddb__func func;          /* DDB__FUNC */
    char *text;              /* function name or :value as written */
    struct ddb__node **args; /* operands, functions, AND/OR/NOT */
    size_t nargs;
    ddb__path path;     /* DDB__PATH */
    const cJSON *value; /* DDB__VALUE, borrowed; NULL until resolved */
    int parens;         /* parentheses written right around it */
} ddb__node;

typedef enum ddb__action_kind {
    DDB__SET,
    DDB__REMOVE,
    DDB__ADD,
    DDB__DELETE
} ddb__action_kind;

typedef struct ddb__action {
    ddb__action_kind kind;
    ddb__path path;
    ddb__node *value; /* SET: the value; ADD, DELETE: the :value */
} ddb__action;

/* One attribute's condition in a key condition. */
typedef struct ddb__key_part {
    const char *attr;
    ddb_key_op op;
    const cJSON *v1, *v2;
} ddb__key_part;

struct ddb_expr {
    ddb_expr_kind kind;
    ddb__node *root;      /* condition, filter and key condition */
    ddb__action *actions; /* update */
    size_t nactions;
    ddb__path *paths; /* projection */
    size_t npaths;
    ddb__key_part keys[2]; /* key condition */
    size_t nkeys;
    int key_extra; /* a key condition named more than two keys */
};

/* Free a node tree, a path's elements, or an action's members. */
void ddb__node_free(ddb__node *n);
void ddb__path_clear(ddb__path *path);

/* Resolve `path` in `item` (an object of attribute values); NULL if absent. */
const cJSON *ddb__path_get(const ddb__path *path, const cJSON *item);

/* Order paths element by element (names by bytes, indexes by number). */
int ddb__path_cmp(const ddb__path *a, const ddb__path *b);

/* A new object holding the values at `paths` in `item`, nested as in it. */
cJSON *ddb__project(const ddb__path *const *paths, size_t n, const cJSON *item);

#endif
