/*
 * fuzz_stack_yaml.c: libFuzzer driver for the stack file's YAML to JSON
 * conversion. Any input must yield a tree or an error message, never a
 * crash, a leak or undefined behaviour.
 */
#include <stddef.h>
#include <stdint.h>

#include "stack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char errbuf[256];
    cJSON *doc =
        stack_yaml_to_json((const char *)data, size, errbuf, sizeof errbuf);
    cJSON_Delete(doc);
    return 0;
}
