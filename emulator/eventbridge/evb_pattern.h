/*
 * evb_pattern.h: EventBridge event patterns, compiled once and matched
 * against many events.
 *
 * Implements the pattern language of PutRule and TestEventPattern: exact
 * strings, numbers, booleans and null; prefix, suffix and equals-ignore-case
 * (with the equals-ignore-case forms of prefix and suffix); wildcard;
 * anything-but over a value, a list, prefix, suffix, wildcard and
 * equals-ignore-case; numeric ranges; cidr (IPv4 and IPv6); exists; $or;
 * nested objects. Validation reports AWS's InvalidEventPatternException
 * messages. Matching follows AWS's event-ruler flattening: object keys are
 * joined with '.', so {"a":{"b":..}} and {"a.b":..} are the same field, and
 * each element of an array is a separate value of the same field, with no
 * array consistency across fields.
 *
 * Messages compiled from text end with the line and column AWS's parser
 * reports. Known differences from AWS are listed in GAPS.md.
 */
#ifndef STRATUS_EVB_PATTERN_H
#define STRATUS_EVB_PATTERN_H

#include <stddef.h>

#include <cjson/cJSON.h>

/* The AWS error type of every pattern validation failure. */
#define EVB_INVALID_PATTERN "InvalidEventPatternException"

/*
 * A pattern validation failure: `code` is the AWS error type name (always
 * EVB_INVALID_PATTERN today) and `message` the full AWS message, starting
 * with "Event pattern is not valid. Reason: ". The API layer maps it to an
 * HTTP 400 response.
 */
typedef struct evb_pattern_error {
    const char *code;
    char message[1024];
    /* Internal: the source text while evb_pattern_compile runs, so that
     * messages can name AWS's line and column. */
    const struct evb_pattern_source *source;
} evb_pattern_error;

typedef struct evb_pattern evb_pattern;

/* An event flattened into sorted (field path, leaf value) pairs. */
typedef struct evb_event evb_event;

/*
 * Compile the pattern text `json` of `len` bytes (no NUL needed). Returns a
 * new pattern the caller frees with evb_pattern_destroy, or NULL after
 * filling `err` when the text is not a valid pattern.
 */
evb_pattern *evb_pattern_compile(const char *json, size_t len,
                                 evb_pattern_error *err);

/* Compile an already parsed pattern; borrows `pattern`. As above. */
evb_pattern *evb_pattern_compile_json(const cJSON *pattern,
                                      evb_pattern_error *err);

void evb_pattern_destroy(evb_pattern *pattern);

/*
 * Flatten `event` (borrowed; it must outlive the result) for matching.
 * Nesting deeper than EVB_EVENT_MAX_DEPTH levels is not indexed. Returns a
 * new record the caller frees with evb_event_destroy.
 */
#define EVB_EVENT_MAX_DEPTH 100
evb_event *evb_event_create(const cJSON *event);
void evb_event_destroy(evb_event *event);

/* The number of leaf values of a flattened event. */
size_t evb_event_leaf_count(const evb_event *event);

/* Leaf `i` (below evb_event_leaf_count) of `event`: its path and value. */
void evb_event_leaf(const evb_event *event, size_t i, const char **path,
                    const cJSON **value);

/* Return 1 when the flattened event matches the pattern, else 0. */
int evb_pattern_match_event(const evb_pattern *pattern, const evb_event *event);

/* Flatten `event`, match it and free the flattened copy: 1 or 0. */
int evb_pattern_match(const evb_pattern *pattern, const cJSON *event);

/*
 * A key a rule index can file a pattern under: a field outside $or whose
 * every condition is an exact string (`prefix` 0) or an exact string or a
 * non-empty prefix (`prefix` 1). Every match needs the event's value at
 * `path` to equal one of `values`, or with `prefix` set to start with one.
 */
typedef struct evb_index_key {
    const char *path;
    const char *const *values;
    size_t count;
    int prefix;
} evb_index_key;

/*
 * Return the pattern's index keys (owned by the pattern) and their number
 * in `*count`, exact keys first and each kind by fewest values. Returns
 * NULL with `*count` 0 when the pattern has none.
 */
const evb_index_key *evb_pattern_index_keys(const evb_pattern *pattern,
                                            size_t *count);

#endif
