/*
 * fuzz_aws_scope.c: libFuzzer driver for SigV4 credential-scope parsing,
 * which reads client-controlled Authorization headers and query strings.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aws.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    char key[64], region[32], service[32], account[13];

    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    if (aws_sigv4_scope(text, key, sizeof key, region, sizeof region, service,
                        sizeof service) == 0)
        aws_account_for_key(key, account);
    free(text);
    return 0;
}
