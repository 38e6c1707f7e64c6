/*
 * ddb_expr_parse_internal.h: the token stream, the parser state and the
 * helpers that report errors, shared by the files of the DynamoDB
 * expression parser. The tokenizer is in ddb_expr_lex.c, the grammar in
 * ddb_expr_parse.c and the checks after parsing in ddb_expr_check.c.
 * Nothing here is used outside those files.
 */
#ifndef STRATUS_DDB_EXPR_PARSE_INTERNAL_H
#define STRATUS_DDB_EXPR_PARSE_INTERNAL_H

#include <stddef.h>

#include "aws.h"
#include "ddb_expr.h"
#include "ddb_expr_internal.h"

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

/* The update expression sections, indexed like ddb__parser.sections. */
extern const char *const ddb__section_names[4];

/* ddb_expr_lex.c: tokens, the cursor over them and syntax errors. */

void ddb__tokenize(ddb__parser *p);

/* A character allowed after the first of a name or placeholder. */
int ddb__is_ident_part(char c);

const ddb__token *ddb__cur(const ddb__parser *p);
void ddb__advance(ddb__parser *p);
int ddb__tok_is(const ddb__parser *p, ddb__tok_kind kind);

/* Current token is the keyword `kw`, in any letter case. */
int ddb__is_keyword(const ddb__parser *p, const char *kw);

/* An identifier the grammar of this expression kind keeps for itself. */
int ddb__at_grammar_keyword(const ddb__parser *p);

/*
 * Report a syntax error at the current token as DynamoDB does: the token,
 * and the text from the token before it to the token after it.
 */
void *ddb__syntax_error(ddb__parser *p);

/* Enter one more nesting level. Fails past the nesting cap. */
int ddb__enter(ddb__parser *p);

/* Return 1 when `word` is a reserved word of DynamoDB, in any letter case. */
int ddb__reserved(const char *word);

/* ddb_expr_check.c: the checks DynamoDB runs on a parsed expression. */

/* Fail with "Invalid <kind>: <message>". */
int ddb__fail(ddb__parser *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

int ddb__check_condition(ddb__parser *p, ddb__node *root);
int ddb__check_update(ddb__parser *p, ddb_expr *e);
int ddb__check_projection(ddb__parser *p, ddb_expr *e);

/* Check a parsed key condition and fill in e->keys. */
int ddb__key_condition_check(ddb__parser *p, ddb_expr *e, const ddb__node *n);

#endif
