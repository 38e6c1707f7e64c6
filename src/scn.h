/*
 * scn.h: the scenario runner behind `stratus test`.
 *
 * A scenario is a YAML file (docs/scenarios.md) that deploys a stack into a
 * fresh in-memory instance with a virtual clock, changes it (setup), runs
 * steps (AWS calls through the dispatcher, HTTP requests, clock moves) and
 * checks expectations. Each scenario runs in its own child process.
 *
 * The pieces below are public so the Criterion tests can check them alone:
 * the YAML loader that remembers line numbers, duration parsing, `${...}`
 * substitution and path expectations.
 */
#ifndef STRATUS_SCN_H
#define STRATUS_SCN_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

struct stratus;

/* `stratus test [PATHS...] [options]`; returns the process exit code. */
int scn_main(int argc, char **argv);

/*
 * A YAML document as JSON plus the source line of every node. A mapping
 * tagged `!json` becomes a string holding its JSON text (for API members
 * such as StartExecution's input that take JSON as a string).
 */
typedef struct scn_doc {
    cJSON *root;
    const cJSON **nodes; /* node i was read at lines[i] */
    int *lines;
    size_t count, cap;
} scn_doc;

/*
 * Parse YAML `text` into `doc`. Returns 0, or -1 with "line N: ..." in
 * `errbuf`. Free with scn_doc_free in both cases.
 */
int scn_doc_parse(scn_doc *doc, const char *text, size_t len, char *errbuf,
                  size_t errsize);
void scn_doc_free(scn_doc *doc);
/* Source line of `node`, or 0 when unknown (a node built at run time). */
int scn_doc_line(const scn_doc *doc, const cJSON *node);

/*
 * Check the structure of a parsed scenario: known keys, one kind per step,
 * valid durations. Returns 0, or -1 with "line N: ..." in `errbuf`.
 */
int scn_validate(const scn_doc *doc, char *errbuf, size_t errsize);

/*
 * Parse a duration: a number of milliseconds followed by "ms", "s", "m",
 * "h" or "d" ("30s", "1.5m", "24h"); a bare number is seconds. Returns 0,
 * or -1 when `text` is not a duration.
 */
int scn_duration_parse(const char *text, int64_t *out_ms);
/* The same for a YAML value: a number (seconds) or a duration string. */
int scn_duration_value(const cJSON *value, int64_t *out_ms);

/*
 * Parse an ISO 8601 UTC time ("2026-01-02T03:04:05Z", optionally with
 * milliseconds: "...05.250Z") into epoch milliseconds. Returns 0, or -1
 * when `text` is not such a time.
 */
int scn_time_parse(const char *text, int64_t *out_ms);

/*
 * Replace every `${name.path}` in the strings of `value` (borrowed) with
 * what `name.path` reads in `vars`, in a new tree. A string that is
 * exactly one `${...}` takes the referenced value with its JSON type.
 * Inside longer text, strings are inserted as they are and other values
 * as JSON text. Returns NULL with a message when a reference does not
 * resolve.
 */
cJSON *scn_substitute(const cJSON *value, const cJSON *vars, char *errbuf,
                      size_t errsize);

/*
 * Read `path` in `root`. A path joins members with dots and puts array
 * indexes in brackets ("executions[0].status", "[-1]" for the last
 * element, "['a.b']" for a member with dots), after an optional "$" or
 * "$.". A string that contains JSON is parsed when the path continues into
 * it. Returns a new copy, or NULL with the reason in `errbuf` when the path
 * does not exist or is invalid.
 */
cJSON *scn_path_get(const cJSON *root, const char *path, char *errbuf,
                    size_t errsize);

/*
 * Check `actual` against a matcher; NULL means the path does not exist.
 * A scalar, list or mapping means "equals", with numbers compared by
 * value. A mapping made only of the keys equals, not_equals, contains,
 * matches (a POSIX extended regular expression), exists, count, min, max
 * and one_of combines those checks. Returns 1 when it holds, 0 when it
 * does not, or -1 when the matcher is invalid, with the reason in `why`.
 */
int scn_match(const cJSON *actual, const cJSON *matcher, char *why,
              size_t why_size);

/* Whether `m` is a mapping made only of matcher keys (one matcher), as
 * opposed to a value to compare or a map of paths. */
int scn_is_matcher(const cJSON *m);

/* Whether two JSON values are equal (objects regardless of member order,
 * numbers by value). */
int scn_json_equal(const cJSON *a, const cJSON *b);

#endif
