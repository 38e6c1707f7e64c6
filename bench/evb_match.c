/*
 * evb_match.c: measure EventBridge pattern matching on one core. For each
 * operator kind, it reports events matched per second against 1, 100 and
 * 10,000 rules through the rule index, from an already parsed event and
 * with the JSON parsing of the event included. For exact values and
 * prefixes it also checks every rule without the index, to show what the
 * index saves.
 *
 * Rule i of a kind tests the event's source (or a detail field) against
 * a value derived from i, in the shape of CollectIQ's rule
 * {"source":[...],"detail-type":["CardCreated"]}. Events cycle through 64
 * sources, so most rules do not match. Each measurement runs for about
 * SECONDS (default 0.5) and prints one line: the rules, the kind, the
 * mode, events per second and the rules matched per event.
 *
 * Built by CMake with -DSTRATUS_BENCH=ON (target evb_match).
 * Usage: evb_match [SECONDS]
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "evb_index.h"
#include "evb_pattern.h"

#define EVENT_COUNT 64

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The source condition of rule i of each kind, written into `out`. */
typedef void (*rule_fn)(size_t i, char *out, size_t size);

static void rule_exact(size_t i, char *out, size_t size)
{
    snprintf(out, size, "\"source\":[\"app%zu.cards\"]", i);
}

static void rule_prefix(size_t i, char *out, size_t size)
{
    snprintf(out, size, "\"source\":[{\"prefix\":\"app%zu.\"}]", i);
}

static void rule_suffix(size_t i, char *out, size_t size)
{
    snprintf(out, size, "\"source\":[{\"suffix\":\"p%zu.cards\"}]", i);
}

static void rule_ignore_case(size_t i, char *out, size_t size)
{
    snprintf(out, size,
             "\"source\":[{\"equals-ignore-case\":\"APP%zu.Cards\"}]", i);
}

static void rule_wildcard(size_t i, char *out, size_t size)
{
    snprintf(out, size, "\"source\":[{\"wildcard\":\"app%zu.*\"}]", i);
}

static void rule_anything_but(size_t i, char *out, size_t size)
{
    snprintf(out, size, "\"source\":[{\"anything-but\":[\"app%zu.cards\"]}]",
             i);
}

static void rule_numeric(size_t i, char *out, size_t size)
{
    snprintf(out, size,
             "\"detail\":{\"value\":[{\"numeric\":[\">=\",%zu,\"<\",%zu]}]}", i,
             i + 1);
}

static void rule_cidr(size_t i, char *out, size_t size)
{
    snprintf(out, size, "\"detail\":{\"ip\":[{\"cidr\":\"10.%zu.%zu.0/24\"}]}",
             i / 256 % 256, i % 256);
}

static void rule_exists(size_t i, char *out, size_t size)
{
    snprintf(out, size, "\"detail\":{\"field%zu\":[{\"exists\":true}]}", i);
}

static const struct {
    const char *name;
    rule_fn rule;
    int full_scan; /* also measured without the index */
} kinds[] = {
    {"exact", rule_exact, 1},       {"prefix", rule_prefix, 1},
    {"suffix", rule_suffix, 0},     {"equals-ignore-case", rule_ignore_case, 0},
    {"wildcard", rule_wildcard, 0}, {"anything-but", rule_anything_but, 0},
    {"numeric", rule_numeric, 0},   {"cidr", rule_cidr, 0},
    {"exists", rule_exists, 0},
};

typedef enum mode { INDEXED, INDEXED_PARSING, FULL_SCAN } mode;

static const char *mode_name(mode m)
{
    return m == INDEXED           ? "indexed"
           : m == INDEXED_PARSING ? "indexed+parse"
                                  : "full scan";
}

static void measure(size_t kind, size_t rules, mode m, double seconds)
{
    evb_pattern **patterns = calloc(rules, sizeof *patterns);
    evb_index *index = evb_index_create();
    char condition[160], text[512];

    for (size_t i = 0; i < rules; i++) {
        evb_pattern_error err;
        kinds[kind].rule(i, condition, sizeof condition);
        snprintf(text, sizeof text, "{%s,\"detail-type\":[\"CardCreated\"]}",
                 condition);
        patterns[i] = evb_pattern_compile(text, strlen(text), &err);
        if (!patterns[i]) {
            fprintf(stderr, "evb_match: %s: %s\n", text, err.message);
            exit(1);
        }
        evb_index_add(index, patterns[i], patterns[i]);
    }

    char *texts[EVENT_COUNT];
    cJSON *events[EVENT_COUNT];
    for (size_t e = 0; e < EVENT_COUNT; e++) {
        size_t id = e * 7 % (rules + 3);
        snprintf(text, sizeof text,
                 "{\"version\":\"0\",\"id\":\"x\",\"detail-type\":"
                 "\"CardCreated\",\"source\":\"app%zu.cards\",\"account\":"
                 "\"123456789012\",\"time\":\"2024-01-01T00:00:00Z\","
                 "\"region\":\"us-east-1\",\"resources\":[],\"detail\":"
                 "{\"cardId\":\"c%zu\",\"userId\":\"u\",\"value\":%zu,"
                 "\"ip\":\"10.%zu.%zu.7\",\"field%zu\":1}}",
                 id, e, id, id / 256 % 256, id % 256, id);
        texts[e] = strdup(text);
        events[e] = cJSON_Parse(text);
    }

    size_t count = 0, matched = 0;
    double start = now(), elapsed;
    do {
        for (size_t k = 0; k < 256; k++, count++) {
            size_t e = count % EVENT_COUNT;
            cJSON *parsed = m == INDEXED_PARSING ? cJSON_Parse(texts[e]) : NULL;
            evb_event *flat = evb_event_create(parsed ? parsed : events[e]);
            if (m == FULL_SCAN) {
                for (size_t i = 0; i < rules; i++)
                    matched +=
                        (size_t)evb_pattern_match_event(patterns[i], flat);
            } else {
                matched += evb_index_match(index, flat, NULL, NULL);
            }
            evb_event_destroy(flat);
            cJSON_Delete(parsed);
        }
        elapsed = now() - start;
    } while (elapsed < seconds);

    printf("%6zu %-18s rules, %-13s %12.0f events/s  (%.2f matches/event)\n",
           rules, kinds[kind].name, mode_name(m), (double)count / elapsed,
           (double)matched / (double)count);
    fflush(stdout);

    for (size_t e = 0; e < EVENT_COUNT; e++) {
        cJSON_Delete(events[e]);
        free(texts[e]);
    }
    evb_index_destroy(index);
    for (size_t i = 0; i < rules; i++)
        evb_pattern_destroy(patterns[i]);
    free(patterns);
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 0.5;
    static const size_t sizes[] = {1, 100, 10000};

    for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) {
        for (size_t s = 0; s < 3; s++) {
            measure(k, sizes[s], INDEXED, seconds);
            measure(k, sizes[s], INDEXED_PARSING, seconds);
            if (kinds[k].full_scan)
                measure(k, sizes[s], FULL_SCAN, seconds);
        }
    }
    return 0;
}
