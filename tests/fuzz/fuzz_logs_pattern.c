/*
 * fuzz_logs_pattern.c: libFuzzer driver for CloudWatch Logs filter
 * patterns, which FilterLogEvents parses from client text, and for
 * matching log messages against them. The input is a pattern, a NUL byte,
 * then a message.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "logs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    const char *split = memchr(text, '\0', size);
    size_t pattern_len = split ? (size_t)(split - text) : size;
    char *pattern_text = malloc(pattern_len + 1);
    memcpy(pattern_text, text, pattern_len);
    pattern_text[pattern_len] = '\0';

    aws_error err = {0};
    logs_pattern *pattern = logs_pattern_parse(pattern_text, &err);
    free(pattern_text);
    if (!pattern) {
        aws_error_reset(&err);
        return 0;
    }
    /* Without a message part, match the pattern's own text. */
    size_t message_len = split ? size - pattern_len - 1 : pattern_len;
    char *message = malloc(message_len + 1);
    memcpy(message, split ? split + 1 : text, message_len);
    message[message_len] = '\0';
    logs_pattern_match(pattern, message);
    free(message);
    logs_pattern_free(pattern);
    return 0;
}
