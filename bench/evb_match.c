/*
 * evb_match.c: measure EventBridge pattern matching: events matched per
 * second against 1, 100 and 10,000 rules of exact values and of prefixes,
 * through the rule index and by checking every rule.
 *
 * Each rule is {"source":[...],"detail-type":[...]} with one exact source
 * (or a source prefix), the shape of CollectIQ's rule. Each measurement runs
 * for about SECONDS (default 0.5) and reports events per second and the
 * rules matched per event. Prints one line per measurement.
 *
 * Build from the repository root after a CMake build into build/:
 *   cc -O2 -Isrc -Iemulator/eventbridge bench/evb_match.c \
 *      build/libstratus_core.a $(pkg-config --libs libcjson libcrypto) -lm
 * Usage: a.out [SECONDS]
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "evb_index.h"
#include "evb_pattern.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void measure(size_t rules, int prefix, int use_index, double seconds)
{
    evb_pattern **patterns = calloc(rules, sizeof *patterns);
    evb_index *index = evb_index_create();
    char text[256];

    for (size_t i = 0; i < rules; i++) {
        evb_pattern_error err;
        if (prefix) {
            snprintf(text, sizeof text,
                     "{\"source\":[{\"prefix\":\"app%zu.\"}],"
                     "\"detail-type\":[\"CardCreated\"]}",
                     i);
        } else {
            snprintf(text, sizeof text,
                     "{\"source\":[\"app%zu.cards\"],"
                     "\"detail-type\":[\"CardCreated\"]}",
                     i);
        }
        patterns[i] = evb_pattern_compile(text, strlen(text), &err);
        if (!patterns[i]) {
            fprintf(stderr, "evb_match: %s\n", err.message);
            exit(1);
        }
        evb_index_add(index, patterns[i], patterns[i]);
    }

    /* Events cycle through 64 sources, so most rules never match. */
    cJSON *events[64];
    for (size_t e = 0; e < 64; e++) {
        snprintf(text, sizeof text,
                 "{\"version\":\"0\",\"id\":\"x\",\"detail-type\":"
                 "\"CardCreated\",\"source\":\"app%zu.cards\",\"account\":"
                 "\"123456789012\",\"time\":\"2024-01-01T00:00:00Z\","
                 "\"region\":\"us-east-1\",\"resources\":[],\"detail\":"
                 "{\"cardId\":\"c%zu\",\"userId\":\"u\"}}",
                 e * 7 % (rules + 3), e);
        events[e] = cJSON_Parse(text);
    }

    size_t count = 0, matched = 0;
    double start = now(), elapsed;
    do {
        for (size_t k = 0; k < 256; k++, count++) {
            evb_event *flat = evb_event_create(events[count % 64]);
            if (use_index) {
                matched += evb_index_match(index, flat, NULL, NULL);
            } else {
                for (size_t i = 0; i < rules; i++) {
                    matched +=
                        (size_t)evb_pattern_match_event(patterns[i], flat);
                }
            }
            evb_event_destroy(flat);
        }
        elapsed = now() - start;
    } while (elapsed < seconds);

    printf("%6zu %-6s rules, %-9s %12.0f events/s  (%.2f matches/event)\n",
           rules, prefix ? "prefix" : "exact",
           use_index ? "indexed" : "full scan", (double)count / elapsed,
           (double)matched / (double)count);

    for (size_t e = 0; e < 64; e++) {
        cJSON_Delete(events[e]);
    }
    evb_index_destroy(index);
    for (size_t i = 0; i < rules; i++) {
        evb_pattern_destroy(patterns[i]);
    }
    free(patterns);
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 0.5;
    static const size_t sizes[] = {1, 100, 10000};

    for (size_t s = 0; s < 3; s++) {
        for (int prefix = 0; prefix <= 1; prefix++) {
            measure(sizes[s], prefix, 1, seconds);
            measure(sizes[s], prefix, 0, seconds);
        }
    }
    return 0;
}
