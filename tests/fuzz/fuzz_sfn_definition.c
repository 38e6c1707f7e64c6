/*
 * fuzz_sfn_definition.c: libFuzzer driver for the Amazon States Language
 * definition checker that CreateStateMachine and UpdateStateMachine run.
 * The input is a definition; it is checked as a STANDARD and as an
 * EXPRESS machine, and any error must come back as an InvalidDefinition
 * (or similar) error, never as a crash or a leak.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sfn_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';

    static const char *const types[] = {"STANDARD", "EXPRESS"};
    for (size_t i = 0; i < 2; i++) {
        aws_error err = {0};
        cJSON *definition = sfn__definition_check(text, types[i], &err);
        cJSON_Delete(definition);
        aws_error_reset(&err);
    }
    free(text);
    return 0;
}
