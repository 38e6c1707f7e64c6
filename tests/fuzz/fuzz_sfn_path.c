/*
 * fuzz_sfn_path.c: libFuzzer driver for the ASL data-flow parsers. The
 * input is an expression, a NUL byte, then a JSON document. The expression
 * is parsed as a general and as a reference path, evaluated on the document
 * (also as the context object), used as a ResultPath, and evaluated as an
 * intrinsic function call and as a Choice rule's Variable.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sfn_choice.h"
#include "sfn_intrinsic.h"
#include "sfn_path.h"

static void eval_paths(const char *expr, const cJSON *doc)
{
    const sfn_path_syntax syntaxes[] = {SFN_PATH_GENERAL, SFN_PATH_REFERENCE};
    for (size_t i = 0; i < 2; i++) {
        char err[256];
        sfn_path *path = sfn_path_parse(expr, syntaxes[i], err, sizeof err);
        if (!path)
            continue;
        cJSON *out = NULL;
        char detail[256];
        sfn_path_eval(path, doc, doc, &out, detail, sizeof detail);
        cJSON_Delete(out);
        sfn_path_free(path);
    }
}

static void assign_result(const char *expr, const cJSON *doc)
{
    cJSON *copy = cJSON_Duplicate(doc, 1);
    sfn_failure *failure = malloc(sizeof *failure);
    sfn_path_assign(&copy, expr, cJSON_CreateString("result"), failure);
    free(failure);
    cJSON_Delete(copy);
}

static void eval_intrinsic(const char *expr, const cJSON *doc)
{
    sfn_failure *failure = malloc(sizeof *failure);
    cJSON *out = sfn_intrinsic_eval(expr, doc, doc, "fuzz.$", failure);
    cJSON_Delete(out);
    free(failure);
}

static void eval_choice(const char *expr, const cJSON *doc)
{
    cJSON *rule = cJSON_CreateObject();
    cJSON_AddStringToObject(rule, "Variable", expr);
    cJSON_AddStringToObject(rule, "StringMatches", "*a*\\*");
    sfn_failure *failure = malloc(sizeof *failure);
    sfn_choice_rule_matches(rule, doc, doc, failure);
    free(failure);
    cJSON_Delete(rule);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    const char *split = memchr(text, '\0', size);
    size_t expr_len = split ? (size_t)(split - text) : size;
    char *expr = malloc(expr_len + 1);
    memcpy(expr, text, expr_len);
    expr[expr_len] = '\0';

    cJSON *doc = NULL;
    if (split)
        doc = cJSON_ParseWithLength(split + 1, size - expr_len - 1);
    if (!doc)
        doc = cJSON_CreateObject();

    eval_paths(expr, doc);
    assign_result(expr, doc);
    eval_intrinsic(expr, doc);
    eval_choice(expr, doc);

    cJSON_Delete(doc);
    free(expr);
    return 0;
}
