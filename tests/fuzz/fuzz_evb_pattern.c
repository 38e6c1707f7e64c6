/*
 * fuzz_evb_pattern.c: libFuzzer driver for EventBridge event patterns,
 * which PutRule and TestEventPattern compile from client text, and for
 * matching client events against them, directly and through the rule
 * index. The input is a pattern, a NUL byte, then an event.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "evb_index.h"
#include "evb_pattern.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    const char *split = memchr(text, '\0', size);
    size_t pattern_len = split ? (size_t)(split - text) : size;
    evb_pattern_error err;
    evb_pattern *pattern = evb_pattern_compile(text, pattern_len, &err);

    if (!pattern) {
        return 0;
    }

    /* Without an event part, match the pattern's own text as an event. */
    const char *event_text = split ? split + 1 : text;
    size_t event_len = split ? size - pattern_len - 1 : size;
    cJSON *event = cJSON_ParseWithLength(event_text, event_len);
    if (event) {
        evb_event *flat = evb_event_create(event);
        int direct = evb_pattern_match_event(pattern, flat);

        evb_index *index = evb_index_create();
        evb_index_add(index, pattern, pattern);
        size_t indexed = evb_index_match(index, flat, NULL, NULL);
        if ((size_t)direct != indexed) {
            abort(); /* the index must agree with the matcher */
        }
        evb_index_remove(index, pattern);
        evb_index_destroy(index);
        evb_event_destroy(flat);
        cJSON_Delete(event);
    }
    evb_pattern_destroy(pattern);
    return 0;
}
