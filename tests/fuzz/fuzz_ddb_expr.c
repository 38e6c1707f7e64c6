/*
 * fuzz_ddb_expr.c: libFuzzer driver for the DynamoDB expression parser and
 * evaluator. Each input is parsed as every expression kind against a fixed
 * set of names and values, then evaluated, applied or projected against a
 * fixed item. Built only with -DSTRATUS_FUZZ=ON (clang).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ddb_expr.h"

static const char names_json[] =
    "{\"#a\":\"a\",\"#b\":\"b\",\"#s\":\"status\"}";
static const char values_json[] =
    "{\":n\":{\"N\":\"1\"},\":s\":{\"S\":\"x\"},\":l\":{\"L\":[{\"N\":\"2\"}]},"
    "\":ss\":{\"SS\":[\"x\",\"y\"]},\":b\":{\"B\":\"AQI=\"},"
    "\":t\":{\"S\":\"N\"}}";
static const char item_json[] =
    "{\"a\":{\"N\":\"5\"},\"b\":{\"M\":{\"c\":{\"L\":[{\"S\":\"x\"},"
    "{\"N\":\"3\"}]}}},\"status\":{\"SS\":[\"x\"]},\"s\":{\"S\":\"xyz\"}}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';

    cJSON *names = cJSON_Parse(names_json);
    cJSON *values = cJSON_Parse(values_json);
    cJSON *item = cJSON_Parse(item_json);

    static const ddb_expr_kind kinds[] = {DDB_EXPR_CONDITION, DDB_EXPR_FILTER,
                                          DDB_EXPR_KEY_CONDITION,
                                          DDB_EXPR_UPDATE, DDB_EXPR_PROJECTION};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        ddb_expr_ctx ctx;
        ddb_expr_ctx_init(&ctx, names, values);
        aws_error err = {0};
        ddb_expr *e = ddb_expr_parse(&ctx, kinds[k], text, &err);
        if (e) {
            int result;
            ddb_key_cond kc;
            cJSON *copy = cJSON_Duplicate(item, 1);
            cJSON *out = NULL;
            switch (kinds[k]) {
            case DDB_EXPR_UPDATE:
                ddb_expr_update(e, copy, &err);
                out = ddb_expr_updated_attributes(e, copy);
                ddb_expr_touches_attribute(e, "a");
                break;
            case DDB_EXPR_PROJECTION:
                out = ddb_expr_project(e, copy);
                break;
            case DDB_EXPR_KEY_CONDITION:
                if (ddb_expr_key_condition(e, "a", "b", &kc, &err) == 0)
                    ddb_key_cond_check_types(&kc, DDB_N, DDB_S, &err);
                ddb_expr_eval(e, copy, &result, &err);
                break;
            default:
                ddb_expr_eval(e, copy, &result, &err);
                break;
            }
            ddb_expr_check_unused(&ctx, &err);
            cJSON_Delete(out);
            cJSON_Delete(copy);
            ddb_expr_free(e);
        }
        aws_error_reset(&err);
        ddb_expr_ctx_cleanup(&ctx);
    }

    cJSON_Delete(names);
    cJSON_Delete(values);
    cJSON_Delete(item);
    free(text);
    return 0;
}
