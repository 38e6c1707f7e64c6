/*
 * test_ddb_expr.c: the DynamoDB expression language: syntax errors and the
 * other parse-time ValidationException texts, condition evaluation, update
 * actions, projections, key conditions, and the shared DynamoDB cases that
 * concern expressions, checked at this level.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "ddb_expr.h"

static cJSON *parse_json(const char *json)
{
    cJSON *v = cJSON_Parse(json);
    cr_assert_not_null(v, "test JSON does not parse: %s", json);
    return v;
}

/* Parse `text` with optional names and values; return the error or "". */
static char *parse_message(ddb_expr_kind kind, const char *text,
                           const char *names, const char *values)
{
    cJSON *n = names ? parse_json(names) : NULL;
    cJSON *v = values ? parse_json(values) : NULL;
    ddb_expr_ctx ctx;
    ddb_expr_ctx_init(&ctx, n, v);
    aws_error err = {0};
    ddb_expr *e = ddb_expr_parse(&ctx, kind, text, &err);
    char *msg = strdup(e ? "" : err.message);
    if (e)
        cr_expect_eq(err.code, AWS_OK);
    else
        cr_expect_eq(err.code, AWS_ERR_VALIDATION);
    ddb_expr_free(e);
    ddb_expr_ctx_cleanup(&ctx);
    cJSON_Delete(n);
    cJSON_Delete(v);
    aws_error_reset(&err);
    return msg;
}

static void expect_error(ddb_expr_kind kind, const char *text,
                         const char *names, const char *values,
                         const char *message)
{
    char *msg = parse_message(kind, text, names, values);
    cr_expect_str_eq(msg, message, "expression: %s", text);
    free(msg);
}

static void expect_syntax(ddb_expr_kind kind, const char *text,
                          const char *token, const char *near)
{
    const char *label = kind == DDB_EXPR_UPDATE ? "UpdateExpression"
                        : kind == DDB_EXPR_KEY_CONDITION
                            ? "KeyConditionExpression"
                            : "ConditionExpression";
    char want[512];
    snprintf(want, sizeof want,
             "Invalid %s: Syntax error; token: \"%s\", near: \"%s\"", label,
             token, near);
    char *msg = parse_message(kind, text, NULL,
                              "{\":v\":{\"S\":\"x\"},"
                              "\":_val\":{\"S\":\"x\"},"
                              "\":val2\":{\"S\":\"x\"}}");
    cr_expect_str_eq(msg, want, "expression: %s", text);
    free(msg);
}

/* Evaluate a condition against an item; values may be NULL. */
static int eval(const char *cond, const char *names, const char *values,
                const char *item)
{
    cJSON *n = names ? parse_json(names) : NULL;
    cJSON *v = values ? parse_json(values) : NULL;
    cJSON *it = item ? parse_json(item) : NULL;
    ddb_expr_ctx ctx;
    ddb_expr_ctx_init(&ctx, n, v);
    aws_error err = {0};
    ddb_expr *e = ddb_expr_parse(&ctx, DDB_EXPR_CONDITION, cond, &err);
    cr_assert_not_null(e, "%s: %s", cond, err.message);
    int result = -1;
    cr_assert_eq(ddb_expr_eval(e, it, &result, &err), 0);
    ddb_expr_free(e);
    ddb_expr_ctx_cleanup(&ctx);
    cJSON_Delete(n);
    cJSON_Delete(v);
    cJSON_Delete(it);
    return result;
}

/*
 * Apply an update to `item` and return the new item as compact JSON, or
 * "ERROR: <message>".
 */
static char *update(const char *expr, const char *names, const char *values,
                    const char *item)
{
    cJSON *n = names ? parse_json(names) : NULL;
    cJSON *v = values ? parse_json(values) : NULL;
    cJSON *it = parse_json(item);
    ddb_expr_ctx ctx;
    ddb_expr_ctx_init(&ctx, n, v);
    aws_error err = {0};
    char *out;
    ddb_expr *e = ddb_expr_parse(&ctx, DDB_EXPR_UPDATE, expr, &err);
    if (!e || ddb_expr_update(e, it, &err) < 0) {
        out = malloc(strlen(err.message) + 8);
        sprintf(out, "ERROR: %s", err.message);
    } else {
        out = cJSON_PrintUnformatted(it);
    }
    ddb_expr_free(e);
    ddb_expr_ctx_cleanup(&ctx);
    cJSON_Delete(n);
    cJSON_Delete(v);
    cJSON_Delete(it);
    aws_error_reset(&err);
    return out;
}

static void expect_update(const char *expr, const char *values,
                          const char *item, const char *want)
{
    char *got = update(expr, NULL, values, item);
    cr_expect_str_eq(got, want, "update: %s", expr);
    free(got);
}

/* ---- syntax ----------------------------------------------------------- */

Test(ddb_expr, syntax_errors_name_token_and_neighbours)
{
    expect_syntax(DDB_EXPR_CONDITION, "foo", "<EOF>", "foo");
    expect_syntax(DDB_EXPR_CONDITION, "a = ", "<EOF>", "= ");
    expect_syntax(DDB_EXPR_CONDITION, "a == :v", "=", "== :v");
    expect_syntax(DDB_EXPR_CONDITION, "a AND b = :v", "AND", "a AND b");
    expect_syntax(DDB_EXPR_KEY_CONDITION, "a = :v a", "a", ":v a");
    expect_syntax(DDB_EXPR_UPDATE, "SET attrName = 3", "3", "= 3");
    expect_syntax(DDB_EXPR_UPDATE, "SET MyStr[ 3", "<EOF>", "3");
    expect_syntax(DDB_EXPR_UPDATE, "SET MyStr[3 )", ")", "3 )");
    expect_syntax(DDB_EXPR_UPDATE, "SET 2", "2", "SET 2");
    expect_syntax(DDB_EXPR_UPDATE, "2", "2", "2");
    expect_syntax(DDB_EXPR_UPDATE, "SET ) 3", ")", "SET ) 3");
    expect_syntax(DDB_EXPR_UPDATE, "SET MyStr[ 3 ", "<EOF>", "3 ");
    expect_syntax(DDB_EXPR_UPDATE, "SET MyStr = (:_val", "<EOF>", ":_val");
    expect_syntax(DDB_EXPR_UPDATE, "SET MyStr = [:_val  ", "[", "= [:_val");
    expect_syntax(DDB_EXPR_UPDATE, "SET MyStr = (:_val + (:val2", "<EOF>",
                  ":val2");
    expect_syntax(DDB_EXPR_UPDATE, "SET MyStr = ):_val + :val2", ")",
                  "= ):_val");
    expect_syntax(DDB_EXPR_UPDATE, "  RESET NonExistent value", "RESET",
                  "  RESET NonExistent");
    expect_syntax(DDB_EXPR_UPDATE, "SET a [  [2] ]. b = 5", "[", "[  [2");
    expect_syntax(DDB_EXPR_UPDATE, "SET a [2 1]. b = 5", "1", "2 1]");
    expect_syntax(DDB_EXPR_UPDATE, "SET #a a = 5", "a", "#a a =");
    expect_syntax(DDB_EXPR_UPDATE, "SET MyStr = NoExist + + :_val ", "+",
                  "+ + :_val");
    expect_syntax(DDB_EXPR_UPDATE, "REMOVE NoExist + ", "+", "NoExist + ");
    expect_syntax(DDB_EXPR_UPDATE, "ADD attr val foobar", "val",
                  "attr val foobar");
    expect_syntax(DDB_EXPR_UPDATE, "DELETE attr :val foobar", "foobar",
                  ":val foobar");
    expect_syntax(DDB_EXPR_UPDATE, "SET path = VALUE 1", "1", "VALUE 1");
    expect_syntax(DDB_EXPR_UPDATE, "REMOVE if_not_exists(a,b)", "(",
                  "if_not_exists(a");
    expect_syntax(DDB_EXPR_UPDATE, "SET a = :v,", "<EOF>", ",");
}

Test(ddb_expr, bare_path_is_not_a_condition)
{
    expect_error(DDB_EXPR_CONDITION, "attribute_exists(car_id) AND NOT #ac",
                 "{\"#ac\":\"has_air_conditioner\"}", NULL,
                 "Invalid ConditionExpression: Syntax error; token: "
                 "\"<EOF>\", near: \"#ac\"");
    expect_error(DDB_EXPR_FILTER, "#ac", "{\"#ac\":\"x\"}", NULL,
                 "Invalid FilterExpression: Syntax error; token: \"<EOF>\", "
                 "near: \"#ac\"");
}

Test(ddb_expr, empty_and_oversized_expressions)
{
    expect_error(DDB_EXPR_UPDATE, "", NULL, NULL,
                 "Invalid UpdateExpression: The expression can not be empty;");
    char big[5000];
    memset(big, ' ', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    memcpy(big, "a = :v", 6);
    expect_error(DDB_EXPR_CONDITION, big, NULL, "{\":v\":{\"S\":\"x\"}}",
                 "Invalid ConditionExpression: Expression size has exceeded "
                 "the maximum allowed size; expression size: 4999");
}

Test(ddb_expr, deep_nesting_fails_cleanly)
{
    strbuf b;
    strbuf_init(&b);
    for (int i = 0; i < 2000; i++)
        strbuf_puts(&b, "NOT ");
    strbuf_puts(&b, "a = :v");
    char *msg = parse_message(DDB_EXPR_CONDITION, b.data, NULL,
                              "{\":v\":{\"S\":\"x\"}}");
    cr_expect(strstr(msg, "Invalid ConditionExpression: ") == msg, "%s", msg);
    free(msg);
    strbuf_free(&b);
}

/* ---- parse-time checks ------------------------------------------------ */

Test(ddb_expr, reserved_words_need_placeholders)
{
    expect_error(DDB_EXPR_CONDITION, "status = :v", NULL,
                 "{\":v\":{\"S\":\"x\"}}",
                 "Invalid ConditionExpression: Attribute name is a reserved "
                 "keyword; reserved keyword: status");
    expect_error(DDB_EXPR_UPDATE, "SET a.Absolute = :v", NULL,
                 "{\":v\":{\"S\":\"x\"}}",
                 "Invalid UpdateExpression: Attribute name is a reserved "
                 "keyword; reserved keyword: Absolute");
    expect_error(DDB_EXPR_PROJECTION, "a, #n, name", "{\"#n\":\"n\"}", NULL,
                 "Invalid ProjectionExpression: Attribute name is a reserved "
                 "keyword; reserved keyword: name");
    char *ok = parse_message(DDB_EXPR_CONDITION, "#s = :v",
                             "{\"#s\":\"status\"}", "{\":v\":{\"S\":\"x\"}}");
    cr_expect_str_eq(ok, "");
    free(ok);
}

Test(ddb_expr, undefined_placeholders)
{
    expect_error(DDB_EXPR_CONDITION, "#x = :v", NULL, "{\":v\":{\"S\":\"x\"}}",
                 "Invalid ConditionExpression: An expression attribute name "
                 "used in the document path is not defined; attribute name: "
                 "#x");
    expect_error(DDB_EXPR_FILTER, "a = :x", NULL, NULL,
                 "Invalid FilterExpression: An expression attribute value "
                 "used in expression is not defined; attribute value: :x");
}

Test(ddb_expr, unused_placeholders)
{
    cJSON *names = parse_json("{\"#a\":\"a\",\"#b\":\"b\",\"#c\":\"c\"}");
    cJSON *values = parse_json("{\":a\":{\"S\":\"x\"},\":b\":{\"S\":\"y\"}}");
    ddb_expr_ctx ctx;
    ddb_expr_ctx_init(&ctx, names, values);
    aws_error err = {0};
    ddb_expr *e = ddb_expr_parse(&ctx, DDB_EXPR_CONDITION, "#c = :b", &err);
    cr_assert_not_null(e);
    cr_expect_eq(ddb_expr_check_unused(&ctx, &err), -1);
    cr_expect_str_eq(err.message, "Value provided in ExpressionAttributeNames "
                                  "unused in expressions: keys: {#a, #b}");
    ddb_expr_free(e);
    ddb_expr_ctx_cleanup(&ctx);

    ddb_expr_ctx_init(&ctx, NULL, values);
    e = ddb_expr_parse(&ctx, DDB_EXPR_CONDITION, "x = :b", &err);
    cr_assert_not_null(e);
    cr_expect_eq(ddb_expr_check_unused(&ctx, &err), -1);
    cr_expect_str_eq(err.message, "Value provided in ExpressionAttributeValues "
                                  "unused in expressions: keys: {:a}");
    ddb_expr_free(e);
    ddb_expr_ctx_cleanup(&ctx);
    cJSON_Delete(names);
    cJSON_Delete(values);
}

Test(ddb_expr, attribute_members_are_checked)
{
    aws_error err = {0};
    cJSON *names = parse_json("{\"a\":\"x\"}");
    cr_expect_eq(ddb_expr_attributes_validate(names, NULL, &err), -1);
    cr_expect_str_eq(err.message, "ExpressionAttributeNames contains invalid "
                                  "key: Syntax error; key: \"a\"");
    cJSON *values = parse_json("{\":v\":{\"N\":\"b\"}}");
    cr_expect_eq(ddb_expr_attributes_validate(NULL, values, &err), -1);
    cr_expect_str_eq(err.message,
                     "ExpressionAttributeValues contains invalid value: The "
                     "parameter cannot be converted to a numeric value: b for "
                     "key :v");
    cJSON *empty = parse_json("{}");
    cr_expect_eq(ddb_expr_attributes_validate(NULL, empty, &err), -1);
    cr_expect_str_eq(err.message,
                     "ExpressionAttributeValues must not be empty");
    cJSON_Delete(names);
    cJSON_Delete(values);
    cJSON_Delete(empty);
}

Test(ddb_expr, function_checks)
{
    const char *v = "{\":s\":{\"S\":\"x\"},\":n\":{\"N\":\"1\"},"
                    "\":t\":{\"S\":\"XX\"}}";
    expect_error(DDB_EXPR_CONDITION, "foo(a)", NULL, NULL,
                 "Invalid ConditionExpression: Invalid function name; "
                 "function: foo");
    expect_error(DDB_EXPR_CONDITION, "attribute_exists(a, b)", NULL, NULL,
                 "Invalid ConditionExpression: Incorrect number of operands "
                 "for operator or function; operator or function: "
                 "attribute_exists, number of operands: 2");
    expect_error(DDB_EXPR_CONDITION, "attribute_exists(:s)", NULL, v,
                 "Invalid ConditionExpression: Operator or function requires "
                 "a document path; operator or function: attribute_exists");
    expect_error(DDB_EXPR_CONDITION, "begins_with(a, :n)", NULL, v,
                 "Invalid ConditionExpression: Incorrect operand type for "
                 "operator or function; operator or function: begins_with, "
                 "operand type: N");
    expect_error(DDB_EXPR_CONDITION, "attribute_type(a, :t)", NULL, v,
                 "Invalid ConditionExpression: Invalid attribute type name "
                 "found; type: XX, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,"
                 "M}");
    expect_error(DDB_EXPR_CONDITION, "size(a)", NULL, NULL,
                 "Invalid ConditionExpression: The function is not allowed to "
                 "be used this way in an expression; function: size");
    expect_error(DDB_EXPR_CONDITION, "attribute_exists(a) = :s", NULL, v,
                 "Invalid ConditionExpression: The function is not allowed to "
                 "be used this way in an expression; function: "
                 "attribute_exists");
    expect_error(DDB_EXPR_CONDITION, "a = a", NULL, NULL,
                 "Invalid ConditionExpression: The first operand must be "
                 "distinct from the remaining operands for this operator or "
                 "function; operator: =, first operand: [a]");
    expect_error(DDB_EXPR_CONDITION, "((a = :s))", NULL, v,
                 "Invalid ConditionExpression: The expression has redundant "
                 "parentheses;");
    expect_error(DDB_EXPR_CONDITION, "a BETWEEN :n AND :s", NULL, v,
                 "Invalid ConditionExpression: The BETWEEN operator requires "
                 "same data type for lower and upper bounds; lower bound "
                 "operand: AttributeValue: {N:1}, upper bound operand: "
                 "AttributeValue: {S:x}");
    expect_error(DDB_EXPR_CONDITION, "a BETWEEN :s AND :t", NULL, v,
                 "Invalid ConditionExpression: The BETWEEN operator requires "
                 "upper bound to be greater than or equal to lower bound; "
                 "lower bound operand: AttributeValue: {S:x}, upper bound "
                 "operand: AttributeValue: {S:XX}");
}

Test(ddb_expr, in_accepts_up_to_100_operands)
{
    strbuf b;
    strbuf_init(&b);
    strbuf_puts(&b, "a IN (:v");
    for (int i = 1; i < 100; i++)
        strbuf_puts(&b, ", :v");
    strbuf_puts(&b, ")");
    char *msg = parse_message(DDB_EXPR_CONDITION, b.data, NULL,
                              "{\":v\":{\"S\":\"x\"}}");
    cr_expect_str_eq(msg, "");
    free(msg);
    b.len -= 1;
    strbuf_puts(&b, ", :v)");
    msg = parse_message(DDB_EXPR_CONDITION, b.data, NULL,
                        "{\":v\":{\"S\":\"x\"}}");
    cr_expect_str_eq(msg, "Invalid ConditionExpression: The IN operator is "
                          "provided with too many operands; number of "
                          "operands: 101");
    free(msg);
    strbuf_free(&b);
}

Test(ddb_expr, update_parse_checks)
{
    const char *v = "{\":s\":{\"S\":\"x\"},\":n\":{\"N\":\"1\"},"
                    "\":ss\":{\"SS\":[\"x\"]}}";
    expect_error(DDB_EXPR_UPDATE, "SET a = :s SET b = :s", NULL, v,
                 "Invalid UpdateExpression: The \"SET\" section can only be "
                 "used once in an update expression;");
    expect_error(DDB_EXPR_UPDATE, "ADD a :s", NULL, v,
                 "Invalid UpdateExpression: Incorrect operand type for "
                 "operator or function; operator: ADD, operand type: STRING");
    expect_error(DDB_EXPR_UPDATE, "DELETE a :n", NULL, v,
                 "Invalid UpdateExpression: Incorrect operand type for "
                 "operator or function; operator: DELETE, operand type: "
                 "NUMBER");
    expect_error(DDB_EXPR_UPDATE, "SET a = a + :s", NULL, v,
                 "Invalid UpdateExpression: Incorrect operand type for "
                 "operator or function; operator or function: +, operand "
                 "type: S");
    expect_error(DDB_EXPR_UPDATE, "SET a = list_append(:s, a)", NULL, v,
                 "Invalid UpdateExpression: Incorrect operand type for "
                 "operator or function; operator or function: list_append, "
                 "operand type: S");
    expect_error(DDB_EXPR_UPDATE, "SET a = if_not_exists(:s, b)", NULL, v,
                 "Invalid UpdateExpression: Operator or function requires a "
                 "document path; operator or function: if_not_exists");
    expect_error(DDB_EXPR_UPDATE, "SET a = if_not_exists(c)", NULL, v,
                 "Invalid UpdateExpression: Incorrect number of operands for "
                 "operator or function; operator or function: if_not_exists, "
                 "number of operands: 1");
    expect_error(DDB_EXPR_UPDATE, "SET a = size(b)", NULL, v,
                 "Invalid UpdateExpression: Invalid function name; function: "
                 "size");
}

Test(ddb_expr, update_paths_overlap_or_conflict)
{
    const char *n = "{\"#c\":\"c\",\"#d\":\"[3]\"}";
    expect_error(DDB_EXPR_UPDATE,
                 "set d[1] = a, d.b = a, c[1].a = a, #c = if_not_exists(a)", n,
                 NULL,
                 "Invalid UpdateExpression: Two document paths overlap with "
                 "each other; must remove or rewrite one of these paths; path "
                 "one: [c, [1], a], path two: [c]");
    expect_error(DDB_EXPR_UPDATE, "set #c[3].#d = a, #c[3] = a", n, NULL,
                 "Invalid UpdateExpression: Two document paths overlap with "
                 "each other; must remove or rewrite one of these paths; path "
                 "one: [c, [3], [3]], path two: [c, [3]]");
    expect_error(DDB_EXPR_UPDATE, "remove a.#c set a[1] = #d", n, NULL,
                 "Invalid UpdateExpression: Two document paths conflict with "
                 "each other; must remove or rewrite one of these paths; path "
                 "one: [a, c], path two: [a, [1]]");
    char *ok = parse_message(DDB_EXPR_UPDATE,
                             "SET a.b = c, a.c = d, e[1] = "
                             "f REMOVE e[2]",
                             NULL, NULL);
    cr_expect_str_eq(ok, "");
    free(ok);
}

/* ---- evaluation ------------------------------------------------------- */

static const char *item1 =
    "{\"pk\":{\"S\":\"k\"},\"n\":{\"N\":\"10\"},\"s\":{\"S\":\"hello\"},"
    "\"ss\":{\"SS\":[\"a\",\"b\"]},\"l\":{\"L\":[{\"N\":\"1\"},{\"S\":\"x\"}]},"
    "\"m\":{\"M\":{\"child\":{\"M\":{\"deep\":{\"BOOL\":true}}}}},"
    "\"b\":{\"B\":\"AQID\"},\"z\":{\"NULL\":true}}";

static const char *values1 =
    "{\":n5\":{\"N\":\"5\"},\":n10\":{\"N\":\"10.0\"},\":n20\":{\"N\":\"20\"},"
    "\":he\":{\"S\":\"he\"},\":hello\":{\"S\":\"hello\"},\":a\":{\"S\":\"a\"},"
    "\":x\":{\"S\":\"x\"},\":t\":{\"BOOL\":true},\":SS\":{\"S\":\"SS\"},"
    "\":one\":{\"N\":\"1\"},\":b1\":{\"B\":\"AQ==\"},\":n2\":{\"N\":\"2\"}}";

static int eval1(const char *cond)
{
    return eval(cond, NULL, values1, item1);
}

Test(ddb_expr, comparisons)
{
    cr_expect_eq(eval1("n = :n10"), 1);
    cr_expect_eq(eval1("n <> :n10"), 0);
    cr_expect_eq(eval1("n > :n5"), 1);
    cr_expect_eq(eval1("n >= :n20"), 0);
    cr_expect_eq(eval1(":n5 < n"), 1);
    cr_expect_eq(eval1("n <= :n10"), 1);
    cr_expect_eq(eval1("s > :he"), 1);
    cr_expect_eq(eval1("s = :n5"), 0);
    cr_expect_eq(eval1("s < :n5"), 0);
    cr_expect_eq(eval1("absent <> :n5"), 1);
    cr_expect_eq(eval1("absent = :n5"), 0);
    cr_expect_eq(eval1("n BETWEEN :n5 AND :n20"), 1);
    cr_expect_eq(eval1("n BETWEEN :n5 AND :n5"), 0);
    cr_expect_eq(eval1("n IN (:n5, :n10)"), 1);
    cr_expect_eq(eval1("s IN (:n5, :he)"), 0);
}

Test(ddb_expr, nested_paths_and_indexes)
{
    cr_expect_eq(eval("m.#i.deep = :t", "{\"#i\":\"child\"}", values1, item1),
                 1);
    cr_expect_eq(eval1("l[1] = :x"), 1);
    cr_expect_eq(eval1("l[0] = :one"), 1);
    cr_expect_eq(eval1("attribute_exists(l[2])"), 0);
    cr_expect_eq(eval1("attribute_exists(s[0])"), 0);
    cr_expect_eq(eval1("attribute_exists(m.child.deep)"), 1);
    cr_expect_eq(eval1("attribute_not_exists(m.child.alsonot)"), 1);
}

Test(ddb_expr, functions)
{
    cr_expect_eq(eval1("begins_with(s, :he)"), 1);
    cr_expect_eq(eval1("begins_with(ss, :a)"), 0);
    cr_expect_eq(eval1("begins_with(b, :b1)"), 1);
    cr_expect_eq(eval1("contains(s, :he)"), 1);
    cr_expect_eq(eval1("contains(ss, :a)"), 1);
    cr_expect_eq(eval1("contains(ss, :x)"), 0);
    cr_expect_eq(eval1("contains(l, :x)"), 1);
    cr_expect_eq(eval1("attribute_type(ss, :SS)"), 1);
    cr_expect_eq(eval1("attribute_type(s, :SS)"), 0);
    cr_expect_eq(eval1("size(s) = :n5"), 1);
    cr_expect_eq(eval1("size(ss) = :n2"), 1);
    cr_expect_eq(eval1("size(l) > :one"), 1);
    cr_expect_eq(eval1("size(n) = :one"), 0);
    cr_expect_eq(eval1("size(absent) <> :one"), 1);
}

Test(ddb_expr, logic_precedence)
{
    /* NOT binds tighter than AND, and AND tighter than OR. */
    cr_expect_eq(eval1("n = :n5 AND s = :hello OR n = :n10"), 1);
    cr_expect_eq(eval1("n = :n10 OR s = :he AND n = :n5"), 1);
    cr_expect_eq(eval1("(n = :n10 OR s = :he) AND n = :n5"), 0);
    cr_expect_eq(eval1("NOT n = :n5 AND NOT s = :he"), 1);
    cr_expect_eq(eval1("NOT (n = :n10 OR n = :n5)"), 0);
    cr_expect_eq(eval1("(n) = (:n10)"), 1);
    cr_expect_eq(eval1("n = :n10 and s = :hello"), 1);
    cr_expect_eq(eval("attribute_not_exists(pk)", NULL, NULL, NULL), 1);
}

/* ---- updates ---------------------------------------------------------- */

Test(ddb_expr, update_set_and_arithmetic)
{
    const char *v = "{\":one\":{\"N\":\"1\"},\":l\":{\"L\":[{\"S\":\"z\"}]},"
                    "\":s\":{\"S\":\"new\"}}";
    expect_update("SET n = n + :one, c = if_not_exists(c, :one)", v,
                  "{\"n\":{\"N\":\"1.5\"}}",
                  "{\"n\":{\"N\":\"2.5\"},\"c\":{\"N\":\"1\"}}");
    expect_update("SET n = :one - n", v, "{\"n\":{\"N\":\"3\"}}",
                  "{\"n\":{\"N\":\"-2\"}}");
    expect_update("SET l = list_append(l, :l)", v,
                  "{\"l\":{\"L\":[{\"S\":\"a\"}]}}",
                  "{\"l\":{\"L\":[{\"S\":\"a\"},{\"S\":\"z\"}]}}");
    expect_update("SET l[5] = :s, l[0] = :s", v,
                  "{\"l\":{\"L\":[{\"S\":\"a\"}]}}",
                  "{\"l\":{\"L\":[{\"S\":\"new\"},{\"S\":\"new\"}]}}");
    expect_update("SET a = b, b = a", v,
                  "{\"a\":{\"S\":\"1\"},\"b\":{\"S\":\"2\"}}",
                  "{\"a\":{\"S\":\"2\"},\"b\":{\"S\":\"1\"}}");
    expect_update("SET n = s + :one", v, "{\"s\":{\"S\":\"x\"}}",
                  "ERROR: An operand in the update expression has an "
                  "incorrect data type");
    expect_update("SET n = absent", v, "{}",
                  "ERROR: The provided expression refers to an attribute that "
                  "does not exist in the item");
    expect_update("SET m.a.b = :s", v, "{\"m\":{\"M\":{}}}",
                  "ERROR: The document path provided in the update expression "
                  "is invalid for update");
    expect_update("SET m.a = :s", v, "{\"m\":{\"M\":{}}}",
                  "{\"m\":{\"M\":{\"a\":{\"S\":\"new\"}}}}");
}

Test(ddb_expr, update_remove_shifts_lists)
{
    expect_update("REMOVE l[0], l[2], gone", NULL,
                  "{\"l\":{\"L\":[{\"N\":\"0\"},{\"N\":\"1\"},{\"N\":\"2\"},"
                  "{\"N\":\"3\"}]},\"gone\":{\"S\":\"x\"}}",
                  "{\"l\":{\"L\":[{\"N\":\"1\"},{\"N\":\"3\"}]}}");
    expect_update("REMOVE m.a, absent", NULL,
                  "{\"m\":{\"M\":{\"a\":{\"S\":\"x\"},\"b\":{\"S\":\"y\"}}}}",
                  "{\"m\":{\"M\":{\"b\":{\"S\":\"y\"}}}}");
}

Test(ddb_expr, update_add_and_delete)
{
    const char *v = "{\":n\":{\"N\":\"5\"},\":ss\":{\"SS\":[\"b\",\"c\"]},"
                    "\":del\":{\"SS\":[\"a\",\"b\"]},\":ns\":{\"NS\":[\"1\"]}}";
    expect_update("ADD n :n, s :ss", v, "{\"n\":{\"N\":\"1\"}}",
                  "{\"n\":{\"N\":\"6\"},\"s\":{\"SS\":[\"b\",\"c\"]}}");
    expect_update("ADD s :ss", v, "{\"s\":{\"SS\":[\"a\",\"b\"]}}",
                  "{\"s\":{\"SS\":[\"a\",\"b\",\"c\"]}}");
    expect_update("DELETE s :del", v, "{\"s\":{\"SS\":[\"a\",\"b\",\"c\"]}}",
                  "{\"s\":{\"SS\":[\"c\"]}}");
    expect_update("DELETE s :del", v, "{\"s\":{\"SS\":[\"a\",\"b\"]}}", "{}");
    expect_update("DELETE s :del", v, "{}", "{}");
    expect_update("ADD s :ns", v, "{\"s\":{\"SS\":[\"a\"]}}",
                  "ERROR: An operand in the update expression has an "
                  "incorrect data type");
}

Test(ddb_expr, updated_attributes_and_touches)
{
    cJSON *values = parse_json("{\":a\":{\"S\":\"same\"}}");
    cJSON *item = parse_json("{\"pk\":{\"S\":\"k\"},\"a\":{\"S\":\"same\"},"
                             "\"m\":{\"M\":{\"x\":{\"S\":\"1\"},\"y\":{\"S\":"
                             "\"2\"}}}}");
    ddb_expr_ctx ctx;
    ddb_expr_ctx_init(&ctx, NULL, values);
    aws_error err = {0};
    ddb_expr *e =
        ddb_expr_parse(&ctx, DDB_EXPR_UPDATE, "SET a = :a REMOVE m.y", &err);
    cr_assert_not_null(e, "%s", err.message);
    cJSON *old = ddb_expr_updated_attributes(e, item);
    char *text = cJSON_PrintUnformatted(old);
    cr_expect_str_eq(text, "{\"a\":{\"S\":\"same\"},\"m\":{\"M\":{\"y\":{\"S\":"
                           "\"2\"}}}}");
    free(text);
    cJSON_Delete(old);
    cr_expect(ddb_expr_touches_attribute(e, "a"));
    cr_expect(ddb_expr_touches_attribute(e, "m"));
    cr_expect_not(ddb_expr_touches_attribute(e, "pk"));
    ddb_expr_free(e);
    ddb_expr_ctx_cleanup(&ctx);
    cJSON_Delete(values);
    cJSON_Delete(item);
}

Test(ddb_expr, projection_keeps_structure)
{
    cJSON *names = parse_json("{\"#m\":\"m\"}");
    cJSON *item = parse_json(item1);
    ddb_expr_ctx ctx;
    ddb_expr_ctx_init(&ctx, names, NULL);
    aws_error err = {0};
    ddb_expr *e =
        ddb_expr_parse(&ctx, DDB_EXPR_PROJECTION,
                       "s, l[1], l[0], #m.child.deep, nope, l[7]", &err);
    cr_assert_not_null(e, "%s", err.message);
    cJSON *out = ddb_expr_project(e, item);
    char *text = cJSON_PrintUnformatted(out);
    cr_expect_str_eq(text, "{\"l\":{\"L\":[{\"N\":\"1\"},{\"S\":\"x\"}]},"
                           "\"m\":{\"M\":{\"child\":{\"M\":{\"deep\":{\"BOOL\":"
                           "true}}}}},\"s\":{\"S\":\"hello\"}}");
    free(text);
    cJSON_Delete(out);
    ddb_expr_free(e);
    ddb_expr_ctx_cleanup(&ctx);
    cJSON_Delete(names);
    cJSON_Delete(item);
}

/* ---- key conditions --------------------------------------------------- */

/* Parse and split a key condition; return "" or the error message. */
static char *key_message(const char *text, const char *values,
                         const char *range, ddb_key_cond *kc)
{
    cJSON *v = parse_json(values);
    ddb_expr_ctx ctx;
    ddb_expr_ctx_init(&ctx, NULL, v);
    aws_error err = {0};
    ddb_expr *e = ddb_expr_parse(&ctx, DDB_EXPR_KEY_CONDITION, text, &err);
    ddb_key_cond local;
    int rc =
        e ? ddb_expr_key_condition(e, "a", range, kc ? kc : &local, &err) : -1;
    char *msg = strdup(rc < 0 ? err.message : "");
    ddb_expr_free(e);
    ddb_expr_ctx_cleanup(&ctx);
    cJSON_Delete(v);
    return msg;
}

static void expect_key_error(const char *text, const char *range,
                             const char *message)
{
    char *msg = key_message(text, "{\":a\":{\"S\":\"1\"},\":b\":{\"S\":\"2\"}}",
                            range, NULL);
    cr_expect_str_eq(msg, message, "key condition: %s", text);
    free(msg);
}

Test(ddb_expr, key_condition_shape_errors)
{
    const char *op = "Invalid operator used in KeyConditionExpression: ";
    char want[256];
    snprintf(want, sizeof want, "%sOR", op);
    expect_key_error("a = :a OR b = :b", "b", want);
    snprintf(want, sizeof want, "%sattribute_exists", op);
    expect_key_error("attribute_exists(a)", "b", want);
    snprintf(want, sizeof want, "%s<>", op);
    expect_key_error("a <> :a", "b", want);
    expect_key_error("a = :a AND begins_with(:a, b)", "b",
                     "Invalid condition in KeyConditionExpression: "
                     "begins_with operator must have the key attribute as its "
                     "first operand");
    expect_key_error("a > size(b)", "b",
                     "KeyConditionExpressions cannot contain nested "
                     "operations");
    expect_key_error("b > a.b", "b",
                     "Invalid condition in KeyConditionExpression: Multiple "
                     "attribute names used in one condition");
    expect_key_error("a.d > :a", "b",
                     "KeyConditionExpressions cannot have conditions on "
                     "nested attributes");
    expect_key_error(":b > :a AND a < :b", "b",
                     "Invalid condition in KeyConditionExpression: No key "
                     "attribute specified");
    expect_key_error("b > :a AND b < :a", "b",
                     "KeyConditionExpressions must only contain one "
                     "condition per key");
}

Test(ddb_expr, key_condition_schema_errors)
{
    expect_key_error("a = :a AND c = :b", "b",
                     "Query condition missed key schema element: b");
    expect_key_error("z = :a", NULL,
                     "Query condition missed key schema element: a");
    expect_key_error("a > :a", NULL, "Query key condition not supported");
    expect_key_error("a = :a AND b = :b", NULL,
                     "Query key condition not supported");
}

Test(ddb_expr, key_condition_split)
{
    ddb_key_cond kc;
    char *msg =
        key_message(":b > b AND (a = :a)",
                    "{\":a\":{\"S\":\"1\"},\":b\":{\"N\":\"2\"}}", "b", &kc);
    cr_expect_str_eq(msg, "");
    free(msg);
    cr_expect_eq(kc.range_op, DDB_KEY_LT);

    msg = key_message("a = :a AND b BETWEEN :a AND :b",
                      "{\":a\":{\"S\":\"1\"},\":b\":{\"S\":\"2\"}}", "b", &kc);
    cr_expect_str_eq(msg, "");
    free(msg);
    cr_expect_eq(kc.range_op, DDB_KEY_BETWEEN);

    /* The split borrows values from the request, so build one here. */
    cJSON *s = parse_json("{\"S\":\"1\"}");
    ddb_key_cond typed = {s, DDB_KEY_BETWEEN, s, s};
    aws_error err = {0};
    cr_expect_eq(ddb_key_cond_check_types(&typed, DDB_S, DDB_S, &err), 0);
    cr_expect_eq(ddb_key_cond_check_types(&typed, DDB_S, DDB_N, &err), -1);
    cJSON_Delete(s);
    cr_expect_str_eq(err.message, "One or more parameter values were invalid: "
                                  "Condition parameter type does not match "
                                  "schema type");
}

/* ---- shared DynamoDB cases -------------------------------------------- */

/* Load ../shared/cases/dynamodb/<name>; NULL (and a skip) when absent. */
static cJSON *load_case(const char *name)
{
    const char *dir = getenv("STRATUS_SHARED_DIR");
    if (!dir)
        cr_skip_test("STRATUS_SHARED_DIR is not set; shared cases skipped");
    char path[1024];
    snprintf(path, sizeof path, "%s/cases/dynamodb/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        cr_skip_test("shared case %s is absent; skipped", path);
    strbuf b;
    strbuf_init(&b);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        strbuf_append(&b, chunk, n);
    fclose(f);
    cJSON *c = cJSON_Parse(b.data);
    strbuf_free(&b);
    cr_assert_not_null(c, "case %s is not JSON", name);
    return c;
}

static const cJSON *case_step(const cJSON *c, const char *part, int i)
{
    const cJSON *in = cJSON_GetObjectItemCaseSensitive(c, part);
    const cJSON *steps = cJSON_GetObjectItemCaseSensitive(in, "steps");
    return cJSON_GetArrayItem(steps, i);
}

static const cJSON *member(const cJSON *o, const char *name)
{
    return cJSON_GetObjectItemCaseSensitive(o, name);
}

/* Parse one expression member of a case request; return "" or the error. */
static char *case_parse(const cJSON *request, const char *field,
                        ddb_expr_kind kind)
{
    ddb_expr_ctx ctx;
    ddb_expr_ctx_init(&ctx, member(request, "ExpressionAttributeNames"),
                      member(request, "ExpressionAttributeValues"));
    aws_error err = {0};
    ddb_expr *e =
        ddb_expr_parse(&ctx, kind, member(request, field)->valuestring, &err);
    char *msg = strdup(e ? "" : err.message);
    ddb_expr_free(e);
    ddb_expr_ctx_cleanup(&ctx);
    return msg;
}

Test(ddb_expr_cases, condition_bare_path_is_syntax_error)
{
    cJSON *c = load_case("condition-bare-path-is-syntax-error.json");
    const cJSON *req = member(case_step(c, "input", 1), "request");
    const cJSON *want =
        member(member(case_step(c, "expected", 1), "error"), "message");
    char *msg = case_parse(req, "ConditionExpression", DDB_EXPR_CONDITION);
    cr_expect_str_eq(msg, want->valuestring);
    free(msg);

    req = member(case_step(c, "input", 2), "request");
    const cJSON *item =
        member(member(case_step(c, "input", 0), "request"), "Item");
    ddb_expr_ctx ctx;
    ddb_expr_ctx_init(&ctx, member(req, "ExpressionAttributeNames"),
                      member(req, "ExpressionAttributeValues"));
    aws_error err = {0};
    ddb_expr *cond =
        ddb_expr_parse(&ctx, DDB_EXPR_CONDITION,
                       member(req, "ConditionExpression")->valuestring, &err);
    ddb_expr *upd =
        ddb_expr_parse(&ctx, DDB_EXPR_UPDATE,
                       member(req, "UpdateExpression")->valuestring, &err);
    cr_assert_not_null(cond, "%s", err.message);
    cr_assert_not_null(upd, "%s", err.message);
    cr_expect_eq(ddb_expr_check_unused(&ctx, &err), 0, "%s", err.message);
    int ok = 0;
    cr_expect_eq(ddb_expr_eval(cond, item, &ok, &err), 0);
    cr_expect_eq(ok, 1);
    ddb_expr_free(cond);
    ddb_expr_free(upd);
    ddb_expr_ctx_cleanup(&ctx);
    cJSON_Delete(c);
}

Test(ddb_expr_cases, update_set_parent_remove_child_overlap)
{
    cJSON *c = load_case("update-set-parent-remove-child-overlap.json");
    const cJSON *want =
        member(member(case_step(c, "expected", 1), "error"), "message");
    const cJSON *prefix = member(member(case_step(c, "expected", 2), "error"),
                                 "message_starts_with");
    char *msg = case_parse(member(case_step(c, "input", 1), "request"),
                           "UpdateExpression", DDB_EXPR_UPDATE);
    cr_expect_str_eq(msg, want->valuestring);
    free(msg);

    const cJSON *tx = member(case_step(c, "input", 2), "request");
    const cJSON *upd =
        member(cJSON_GetArrayItem(member(tx, "TransactItems"), 0), "Update");
    msg = case_parse(upd, "UpdateExpression", DDB_EXPR_UPDATE);
    cr_expect(strncmp(msg, prefix->valuestring, strlen(prefix->valuestring)) ==
                  0,
              "%s", msg);
    free(msg);
    cJSON_Delete(c);
}

Test(ddb_expr_cases, update_add_and_delete_same_set)
{
    cJSON *c = load_case("update-add-and-delete-same-set.json");
    const cJSON *prefix = member(member(case_step(c, "expected", 1), "error"),
                                 "message_starts_with");
    char *msg = case_parse(member(case_step(c, "input", 1), "request"),
                           "UpdateExpression", DDB_EXPR_UPDATE);
    cr_expect(strncmp(msg, prefix->valuestring, strlen(prefix->valuestring)) ==
                  0,
              "%s", msg);
    cr_expect(strstr(msg, "path one: [string_set], path two: [string_set]"),
              "%s", msg);
    free(msg);
    cJSON_Delete(c);
}

Test(ddb_expr_cases, key_condition_parentheses_accepted)
{
    cJSON *c = load_case("key-condition-parentheses-accepted.json");
    for (int i = 1; i <= 2; i++) {
        const cJSON *req = member(case_step(c, "input", i), "request");
        ddb_expr_ctx ctx;
        ddb_expr_ctx_init(&ctx, member(req, "ExpressionAttributeNames"),
                          member(req, "ExpressionAttributeValues"));
        aws_error err = {0};
        ddb_expr *e = ddb_expr_parse(
            &ctx, DDB_EXPR_KEY_CONDITION,
            member(req, "KeyConditionExpression")->valuestring, &err);
        cr_assert_not_null(e, "%s", err.message);
        ddb_key_cond kc;
        cr_expect_eq(ddb_expr_key_condition(e, "PK", "SK", &kc, &err), 0, "%s",
                     err.message);
        cr_expect_eq(kc.range_op, i == 1 ? DDB_KEY_EQ : DDB_KEY_BEGINS_WITH);
        cr_expect_eq(ddb_expr_check_unused(&ctx, &err), 0);
        ddb_expr_free(e);
        ddb_expr_ctx_cleanup(&ctx);
    }
    cJSON_Delete(c);
}

Test(ddb_expr_cases, number_precision_trailing_zeros)
{
    cJSON *c = load_case("number-precision-trailing-zeros.json");
    for (int i = 0; i < 4; i++) {
        const cJSON *req = member(case_step(c, "input", i), "request");
        cJSON *item = cJSON_Duplicate(member(req, "Item"), 1);
        if (!item)
            continue;
        const cJSON *expected = case_step(c, "expected", i);
        aws_error err = {0};
        int rc = ddb_item_validate(item, &err);
        cr_expect_eq(rc, member(expected, "error") ? -1 : 0, "step %d: %s", i,
                     err.message);
        if (i == 0) {
            const cJSON *big = member(member(item, "big"), "N");
            cr_expect_eq(
                ddb_number_cmp(big->valuestring, "1.1011111111111111E+38"), 0);
        }
        cJSON_Delete(item);
    }
    cJSON_Delete(c);
}

Test(ddb_expr_cases, conditions_on_stored_items)
{
    cJSON *c = load_case("conditional-check-failed-return-old-item.json");
    const cJSON *item =
        member(member(case_step(c, "input", 0), "request"), "Item");
    for (int i = 1; i <= 3; i++) {
        const cJSON *req = member(case_step(c, "input", i), "request");
        ddb_expr_ctx ctx;
        ddb_expr_ctx_init(&ctx, member(req, "ExpressionAttributeNames"),
                          member(req, "ExpressionAttributeValues"));
        aws_error err = {0};
        ddb_expr *e = ddb_expr_parse(
            &ctx, DDB_EXPR_CONDITION,
            member(req, "ConditionExpression")->valuestring, &err);
        cr_assert_not_null(e, "%s", err.message);
        int ok = -1;
        cr_expect_eq(ddb_expr_eval(e, item, &ok, &err), 0);
        cr_expect_eq(ok, 0, "step %d condition must fail", i);
        ddb_expr_free(e);
        ddb_expr_ctx_cleanup(&ctx);
    }
    cJSON_Delete(c);
}

Test(ddb_expr_cases, updated_new_includes_unchanged_values)
{
    cJSON *c = load_case("update-item-updated-new-includes-unchanged-values."
                         "json");
    cJSON *item = cJSON_Duplicate(
        member(member(case_step(c, "input", 0), "request"), "Item"), 1);
    for (int i = 1; i <= 2; i++) {
        const cJSON *req = member(case_step(c, "input", i), "request");
        ddb_expr_ctx ctx;
        ddb_expr_ctx_init(&ctx, NULL, member(req, "ExpressionAttributeValues"));
        aws_error err = {0};
        ddb_expr *e =
            ddb_expr_parse(&ctx, DDB_EXPR_UPDATE,
                           member(req, "UpdateExpression")->valuestring, &err);
        cr_assert_not_null(e, "%s", err.message);
        cJSON *old = ddb_expr_updated_attributes(e, item);
        cr_assert_eq(ddb_expr_update(e, item, &err), 0, "%s", err.message);
        cJSON *new = ddb_expr_updated_attributes(e, item);
        int updated_new = strcmp(member(req, "ReturnValues")->valuestring,
                                 "UPDATED_NEW") == 0;
        const cJSON *want = member(case_step(c, "expected", i), "Attributes");
        cr_expect(cJSON_Compare(updated_new ? new : old, want, 1),
                  "step %d attributes differ", i);
        cJSON_Delete(old);
        cJSON_Delete(new);
        ddb_expr_free(e);
        ddb_expr_ctx_cleanup(&ctx);
    }
    cJSON_Delete(item);
    cJSON_Delete(c);
}

Test(ddb_expr_cases, attribute_not_exists_on_composite_key)
{
    cJSON *c = load_case("attribute-not-exists-on-composite-key.json");
    const cJSON *stored =
        member(member(case_step(c, "input", 0), "request"), "Item");
    /* Steps 1 and 3 target the stored item's key; step 2 a new sort key. */
    for (int i = 1; i <= 3; i++) {
        const cJSON *req = member(case_step(c, "input", i), "request");
        ddb_expr_ctx ctx;
        ddb_expr_ctx_init(&ctx, NULL, NULL);
        aws_error err = {0};
        ddb_expr *e = ddb_expr_parse(
            &ctx, DDB_EXPR_CONDITION,
            member(req, "ConditionExpression")->valuestring, &err);
        cr_assert_not_null(e, "%s", err.message);
        const cJSON *target = i == 2 ? NULL : stored;
        int ok = -1;
        ddb_expr_eval(e, target, &ok, &err);
        int want_ok = member(case_step(c, "expected", i), "ok") != NULL;
        cr_expect_eq(ok, want_ok, "step %d", i);
        ddb_expr_free(e);
        ddb_expr_ctx_cleanup(&ctx);
    }
    cJSON_Delete(c);
}
