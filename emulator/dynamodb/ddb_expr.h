/*
 * ddb_expr.h: the DynamoDB expression language: condition and filter
 * expressions, key conditions, update expressions and projections, parsed
 * once per request and evaluated against items (objects of attribute values).
 *
 * A parse context carries ExpressionAttributeNames and Values for all the
 * expressions of one request, so the request can be checked afterwards for
 * placeholders that were supplied but never used, as DynamoDB does.
 */
#ifndef STRATUS_DDB_EXPR_H
#define STRATUS_DDB_EXPR_H

#include <cjson/cJSON.h>

#include "aws.h"
#include "ddb_value.h"

typedef enum ddb_expr_kind {
    DDB_EXPR_CONDITION,     /* ConditionExpression */
    DDB_EXPR_FILTER,        /* FilterExpression */
    DDB_EXPR_KEY_CONDITION, /* KeyConditionExpression */
    DDB_EXPR_UPDATE,        /* UpdateExpression */
    DDB_EXPR_PROJECTION     /* ProjectionExpression */
} ddb_expr_kind;

typedef struct ddb_expr_ctx {
    const cJSON *names;  /* ExpressionAttributeNames, may be NULL */
    const cJSON *values; /* ExpressionAttributeValues, may be NULL */
    /* Private: which names and values the parsed expressions used. */
    cJSON *used_names;
    cJSON *used_values;
} ddb_expr_ctx;

typedef struct ddb_expr ddb_expr;

/*
 * Start a context over a request's ExpressionAttributeNames and Values
 * (either may be NULL). Parsed expressions borrow strings and values from
 * these trees, so they must outlive every expression parsed with `ctx`.
 * ddb_expr_ctx_cleanup frees what the context allocated.
 */
void ddb_expr_ctx_init(ddb_expr_ctx *ctx, const cJSON *names,
                       const cJSON *values);
void ddb_expr_ctx_cleanup(ddb_expr_ctx *ctx);

/*
 * Check the request members ExpressionAttributeNames and Values before any
 * expression is parsed: not empty, keys of the form #name and :value, and
 * every value valid (numbers are rewritten to canonical form). Returns 0,
 * or -1 with DynamoDB's text ("ExpressionAttributeValues contains invalid
 * value: ... for key :v").
 */
int ddb_expr_attributes_validate(cJSON *names, cJSON *values, aws_error *err);

/*
 * Parse `text` as an expression of `kind`. Returns a new expression, or NULL
 * with AWS's ValidationException text ("Invalid ConditionExpression: Syntax
 * error; token: ...", "... An expression attribute name used in the document
 * path is not defined; attribute name: #x", reserved keywords, ...).
 */
ddb_expr *ddb_expr_parse(ddb_expr_ctx *ctx, ddb_expr_kind kind,
                         const char *text, aws_error *err);
void ddb_expr_free(ddb_expr *e);

/*
 * After every expression of a request is parsed: fail with AWS's text when
 * a supplied name or value was not used ("Value provided in
 * ExpressionAttributeNames unused in expressions: keys: {#a}").
 */
int ddb_expr_check_unused(const ddb_expr_ctx *ctx, aws_error *err);

/*
 * Evaluate a condition, filter or key condition against `item` (NULL: no
 * item). Returns 0 and sets `*result`, or -1 for an evaluation error.
 */
int ddb_expr_eval(const ddb_expr *e, const cJSON *item, int *result,
                  aws_error *err);

/*
 * Apply an update expression to `item` in place (an object of attribute
 * values, possibly empty for an upsert). AWS's errors: "The document path
 * provided in the update expression is invalid for update", operand type
 * mismatches, overlapping or conflicting paths (detected at parse time).
 */
int ddb_expr_update(const ddb_expr *e, cJSON *item, aws_error *err);

/*
 * The attributes an update expression touched, projected from `item` (used
 * for ReturnValues UPDATED_OLD and UPDATED_NEW). Returns a new object.
 */
cJSON *ddb_expr_updated_attributes(const ddb_expr *e, const cJSON *item);

/* Project `item` over a projection expression. Returns a new object. */
cJSON *ddb_expr_project(const ddb_expr *e, const cJSON *item);

/* Top-level attribute names an update expression assigns or removes. */
int ddb_expr_touches_attribute(const ddb_expr *e, const char *name);

typedef enum ddb_key_op {
    DDB_KEY_NONE,
    DDB_KEY_EQ,
    DDB_KEY_LT,
    DDB_KEY_LE,
    DDB_KEY_GT,
    DDB_KEY_GE,
    DDB_KEY_BETWEEN,
    DDB_KEY_BEGINS_WITH
} ddb_key_op;

typedef struct ddb_key_cond {
    const cJSON *hash_value; /* borrowed from the context's values */
    ddb_key_op range_op;
    const cJSON *range_value;  /* first operand */
    const cJSON *range_value2; /* BETWEEN's upper bound */
} ddb_key_cond;

/*
 * Split a key condition into the hash equality and the optional range
 * condition for a key schema (`range_name` NULL when there is no sort key).
 * AWS's errors: "Query condition missed key schema element: PK", "Query key
 * condition not supported", and the operand type checks.
 */
int ddb_expr_key_condition(const ddb_expr *e, const char *hash_name,
                           const char *range_name, ddb_key_cond *out,
                           aws_error *err);

/*
 * Check a split key condition against the key schema's attribute types
 * (`range_type` is ignored without a range condition). Fails with
 * "One or more parameter values were invalid: Condition parameter type
 * does not match schema type".
 */
int ddb_key_cond_check_types(const ddb_key_cond *kc, ddb_type hash_type,
                             ddb_type range_type, aws_error *err);

#endif
