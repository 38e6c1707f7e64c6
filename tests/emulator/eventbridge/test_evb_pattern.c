/*
 * test_evb_pattern.c: event pattern validation and matching, checked
 * against AWS-recorded outcomes (the LocalStack pattern templates and their
 * snapshot of error messages, and the regression cases) and against unit
 * cases for each operator.
 *
 * The recorded data is read at run time from $STRATUS_SHARED_DIR; tests
 * that need it are skipped with a message when it is absent.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "evb_index.h"
#include "evb_pattern.h"
#include "ts.h"

#define EVENTS_DIR "/conformance/localstack/tests/aws/services/events"
#define SNAPSHOT_KEY                                                           \
    "tests/aws/services/events/test_events_patterns.py::TestEventPattern::"

/* ---------------------------------------------------------------------- */
/* Helpers                                                                */

/* Read a whole file; NULL when unreadable. The caller frees it. */
static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *data = NULL;
    size_t len = 0, cap = 0, n;

    if (!f) {
        return NULL;
    }
    do {
        if (len + 4096 + 1 > cap) {
            cap = (len + 4096 + 1) * 2;
            data = realloc(data, cap);
        }
        n = fread(data + len, 1, 4096, f);
        len += n;
    } while (n > 0);
    fclose(f);
    data[len] = '\0';
    return data;
}

static cJSON *parse(const char *json)
{
    cJSON *v = cJSON_Parse(json);
    cr_assert_not_null(v, "test JSON does not parse: %s", json);
    return v;
}

/* Compile `pattern` and match `event`: 1, 0, or -1 when invalid. */
static int try_match(const char *pattern, const char *event,
                     evb_pattern_error *err)
{
    evb_pattern *p = evb_pattern_compile(pattern, strlen(pattern), err);
    if (!p) {
        return -1;
    }
    cJSON *ev = parse(event);
    int matched = evb_pattern_match(p, ev);
    cJSON_Delete(ev);
    evb_pattern_destroy(p);
    return matched;
}

static void expect_match(const char *pattern, const char *event, int expected)
{
    evb_pattern_error err = {0};
    int got = try_match(pattern, event, &err);
    cr_expect_eq(got, expected, "pattern %s event %s: got %d (%s)", pattern,
                 event, got, got < 0 ? err.message : "");
}

/* Expect `pattern` to be invalid for `reason`, ignoring AWS's location. */
static void expect_invalid(const char *pattern, const char *reason)
{
    evb_pattern_error err = {0};
    evb_pattern *p = evb_pattern_compile(pattern, strlen(pattern), &err);
    cr_expect_null(p, "pattern %s compiled but should fail", pattern);
    evb_pattern_destroy(p);
    if (!p) {
        char expected[600];
        char *location = strstr(err.message, "\n at [Source: ");
        if (location) {
            *location = '\0';
        }
        snprintf(expected, sizeof expected,
                 "Event pattern is not valid. Reason: %s", reason);
        cr_expect_str_eq(err.message, expected, "pattern %s", pattern);
        cr_expect_str_eq(err.code, "InvalidEventPatternException");
    }
}

/* Expect the full message, with the location AWS's parser reports. */
static void expect_message(const char *pattern, const char *message)
{
    evb_pattern_error err = {0};
    evb_pattern *p = evb_pattern_compile(pattern, strlen(pattern), &err);
    cr_expect_null(p, "pattern %s compiled but should fail", pattern);
    evb_pattern_destroy(p);
    if (!p) {
        cr_expect_str_eq(err.message, message, "pattern %s", pattern);
    }
}

static const char *shared_dir_or_skip(void)
{
    const char *dir = getenv("STRATUS_SHARED_DIR");
    if (!dir || !*dir) {
        cr_skip_test("STRATUS_SHARED_DIR is not set: the AWS-recorded "
                     "pattern data is unavailable");
    }
    return dir;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

static int name_compare(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The recorded AWS message for template `stem`, or NULL: "Message" is the
 * form without Jackson's location, "MessageRaw" the text AWS returned.
 */
static const char *snapshot_message(const cJSON *snapshot, const char *stem,
                                    const char *member)
{
    char key[512];
    snprintf(key, sizeof key, SNAPSHOT_KEY "test_event_pattern[%s]", stem);
    const cJSON *entry = cJSON_GetObjectItemCaseSensitive(snapshot, key);
    const cJSON *content =
        cJSON_GetObjectItemCaseSensitive(entry, "recorded-content");
    const cJSON *named = cJSON_GetObjectItemCaseSensitive(content, stem);
    const cJSON *exc =
        cJSON_GetObjectItemCaseSensitive(named, "exception_message");
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(exc, "Error");
    const cJSON *message = cJSON_GetObjectItemCaseSensitive(error, member);
    return cJSON_IsString(message) ? message->valuestring : NULL;
}

/*
 * Compare AWS's raw message, location included, with what Stratus reports
 * for the same source text, which the raw message quotes. Returns 1 when
 * they are equal, 0 when not, -1 when the recorded source was altered by
 * the recorder's placeholders and cannot be replayed.
 */
static int compare_raw_message(const char *stem, const char *raw,
                               const char *plain_message)
{
    const char *open = strstr(raw, "(String)\"");
    const char *close = NULL;

    if (!open) {
        /* AWS gave no location, so the whole text must match. */
        cr_expect_str_eq(plain_message, raw, "%s: raw message", stem);
        return strcmp(plain_message, raw) == 0;
    }
    open += strlen("(String)\"");
    for (const char *p = open; (p = strstr(p, "\"; line: ")); p++) {
        close = p;
    }
    if (!close || strstr(raw, "<partition>") || strstr(raw, "<region>")) {
        return -1;
    }

    evb_pattern_error err = {0};
    evb_pattern *p = evb_pattern_compile(open, (size_t)(close - open), &err);
    evb_pattern_destroy(p);
    cr_expect_str_eq(err.message, raw, "%s: raw message", stem);
    return strcmp(err.message, raw) == 0;
}

/* ---------------------------------------------------------------------- */
/* AWS-recorded pattern templates                                         */

Test(evb_pattern, conformance_templates)
{
    const char *shared = shared_dir_or_skip();
    char dir_path[1024], path[1200];
    snprintf(dir_path, sizeof dir_path, "%s%s/event_pattern_templates", shared,
             EVENTS_DIR);
    DIR *dir = opendir(dir_path);
    if (!dir) {
        cr_skip_test("no pattern templates at %s", dir_path);
    }

    snprintf(path, sizeof path, "%s%s/test_events_patterns.snapshot.json",
             shared, EVENTS_DIR);
    char *snapshot_text = read_file(path);
    cr_assert_not_null(snapshot_text, "cannot read %s", path);
    cJSON *snapshot = parse(snapshot_text);
    free(snapshot_text);

    char **names = NULL;
    size_t count = 0;
    for (struct dirent *e; (e = readdir(dir));) {
        if (ends_with(e->d_name, ".json5")) {
            names = realloc(names, (count + 1) * sizeof *names);
            names[count++] = strdup(e->d_name);
        }
    }
    closedir(dir);
    qsort(names, count, sizeof *names, name_compare);

    size_t passed = 0, messages_checked = 0, raw_checked = 0, raw_equal = 0;
    for (size_t i = 0; i < count; i++) {
        char stem[256];
        snprintf(stem, sizeof stem, "%.*s", (int)(strlen(names[i]) - 6),
                 names[i]);
        snprintf(path, sizeof path, "%s/%s", dir_path, names[i]);
        char *text = read_file(path);
        cr_assert_not_null(text, "cannot read %s", path);
        ts_json5_to_json(text);
        cJSON *doc = cJSON_Parse(text);
        cr_assert_not_null(doc, "template %s does not parse as JSON", stem);
        free(text);

        const cJSON *event = cJSON_GetObjectItemCaseSensitive(doc, "Event");
        const cJSON *pattern =
            cJSON_GetObjectItemCaseSensitive(doc, "EventPattern");
        int expected = ends_with(stem, "_EXC")   ? -1
                       : ends_with(stem, "_NEG") ? 0
                                                 : 1;

        evb_pattern_error err = {0};
        evb_pattern *p = evb_pattern_compile_json(pattern, &err);
        int got = p ? evb_pattern_match(p, event) : -1;
        evb_pattern_destroy(p);

        int ok = got == expected;
        if (ok && expected < 0) {
            const char *want = snapshot_message(snapshot, stem, "Message");
            const char *raw = snapshot_message(snapshot, stem, "MessageRaw");
            if (want) {
                messages_checked++;
                ok = strcmp(want, err.message) == 0;
                cr_expect(ok, "%s: message\n  got:  %s\n  want: %s", stem,
                          err.message, want);
            }
            int raw_ok = raw ? compare_raw_message(stem, raw, err.message) : -1;
            if (raw_ok >= 0) {
                raw_checked++;
                raw_equal += (size_t)raw_ok;
            }
        } else {
            cr_expect(ok, "%s: expected %d, got %d (%s)", stem, expected, got,
                      got < 0 ? err.message : "");
        }
        passed += ok;
        cJSON_Delete(doc);
        free(names[i]);
    }
    free(names);
    cJSON_Delete(snapshot);

    cr_log_info("pattern templates: %zu of %zu pass (%zu AWS messages "
                "compared)",
                passed, count, messages_checked);
    fprintf(stderr,
            "evb_pattern: %zu of %zu pattern templates pass (%zu AWS error "
            "messages compared; %zu of %zu raw messages with AWS's location "
            "equal)\n",
            passed, count, messages_checked, raw_equal, raw_checked);
    cr_expect(count > 0, "no templates found in %s", dir_path);
}

Test(evb_pattern, duplicate_key_last_wins)
{
    const char *shared = shared_dir_or_skip();
    char path[1024];

    snprintf(path, sizeof path,
             "%s%s/event_pattern_templates/complex_multi_key_event.json",
             shared, EVENTS_DIR);
    char *event_text = read_file(path);
    snprintf(path, sizeof path,
             "%s%s/event_pattern_templates/complex_multi_key_event_pattern."
             "json",
             shared, EVENTS_DIR);
    char *pattern_text = read_file(path);
    if (!event_text || !pattern_text) {
        free(event_text);
        free(pattern_text);
        cr_skip_test("multi-key templates are absent");
    }

    /* AWS keeps the later "location" (anything-but "us-east"). */
    expect_match(pattern_text, event_text, 1);
    free(event_text);
    free(pattern_text);
}

Test(evb_pattern, snapshot_syntax_error_messages)
{
    const char *shared = shared_dir_or_skip();
    char path[1024];
    snprintf(path, sizeof path, "%s%s/test_events_patterns.snapshot.json",
             shared, EVENTS_DIR);
    char *text = read_file(path);
    cr_assert_not_null(text, "cannot read %s", path);
    cJSON *snapshot = parse(text);
    free(text);

    static const char *const inputs[] = {
        "this is valid json but not a dict",
        "{'bad': 'quotation'}",
        "{\"not\": closed mark\"",
        "[\"not\", \"a\", \"dict\", \"but valid json\"]",
    };
    for (size_t i = 0; i < sizeof inputs / sizeof *inputs; i++) {
        char key[512];
        snprintf(key, sizeof key,
                 SNAPSHOT_KEY "test_invalid_json_event_"
                              "pattern[%s]",
                 inputs[i]);
        const cJSON *entry = cJSON_GetObjectItemCaseSensitive(snapshot, key);
        const cJSON *content =
            cJSON_GetObjectItemCaseSensitive(entry, "recorded-content");
        const cJSON *inv =
            cJSON_GetObjectItemCaseSensitive(content, "invalid-pattern");
        const cJSON *error = cJSON_GetObjectItemCaseSensitive(inv, "Error");
        const cJSON *message =
            cJSON_GetObjectItemCaseSensitive(error, "Message");
        if (!cJSON_IsString(message)) {
            cr_log_warn("no snapshot entry for %s", inputs[i]);
            continue;
        }

        evb_pattern_error err = {0};
        evb_pattern *p =
            evb_pattern_compile(inputs[i], strlen(inputs[i]), &err);
        cr_expect_null(p, "%s compiled", inputs[i]);
        evb_pattern_destroy(p);
        cr_expect_str_eq(err.message, message->valuestring, "input %s",
                         inputs[i]);
    }
    cJSON_Delete(snapshot);
}

/* ---------------------------------------------------------------------- */
/* Regression cases from bug reports, with the AWS outcome                */

/* Check one expected entry: a boolean result or {"error": {...}}. */
static void check_case_result(const char *name, const cJSON *pattern,
                              const cJSON *event, const cJSON *expected)
{
    evb_pattern_error err = {0};
    evb_pattern *p = evb_pattern_compile_json(pattern, &err);

    if (cJSON_GetObjectItemCaseSensitive(expected, "error")) {
        cr_expect_null(p, "%s: pattern should be invalid", name);
    } else if (cJSON_GetObjectItemCaseSensitive(expected, "valid")) {
        cr_expect_not_null(p, "%s: pattern should be valid: %s", name,
                           err.message);
    } else {
        cr_assert_not_null(p, "%s: pattern rejected: %s", name, err.message);
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(event, "detail");
        char *detail = cJSON_PrintUnformatted(id);
        cr_expect_eq(evb_pattern_match(p, event), cJSON_IsTrue(expected),
                     "%s: event with detail %s", name, detail);
        free(detail);
    }
    evb_pattern_destroy(p);
}

static void run_case(const char *name, const cJSON *doc)
{
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(doc, "kind");
    const cJSON *input = cJSON_GetObjectItemCaseSensitive(doc, "input");
    const cJSON *expected = cJSON_GetObjectItemCaseSensitive(doc, "expected");
    const cJSON *pattern = cJSON_GetObjectItemCaseSensitive(input, "pattern");
    const cJSON *patterns = cJSON_GetObjectItemCaseSensitive(input, "patterns");
    const cJSON *events = cJSON_GetObjectItemCaseSensitive(input, "events");

    if (strcmp(kind->valuestring, "event-pattern-validate") == 0) {
        if (pattern) {
            check_case_result(name, pattern, NULL, expected);
            return;
        }
        const cJSON *results =
            cJSON_GetObjectItemCaseSensitive(expected, "results");
        int i = 0;
        for (const cJSON *p = patterns->child; p; p = p->next, i++) {
            check_case_result(name, p, NULL, cJSON_GetArrayItem(results, i));
        }
        return;
    }

    if (pattern) {
        const cJSON *results =
            cJSON_GetObjectItemCaseSensitive(expected, "results");
        int i = 0;
        for (const cJSON *e = events->child; e; e = e->next, i++) {
            check_case_result(name, pattern, e, cJSON_GetArrayItem(results, i));
        }
        return;
    }
    const cJSON *by_pattern =
        cJSON_GetObjectItemCaseSensitive(expected, "results_by_pattern");
    int pi = 0;
    for (const cJSON *p = patterns->child; p; p = p->next, pi++) {
        const cJSON *results = cJSON_GetArrayItem(by_pattern, pi);
        if (cJSON_IsObject(results)) {
            check_case_result(name, p, NULL, results);
            continue;
        }
        int i = 0;
        for (const cJSON *e = events->child; e; e = e->next, i++) {
            check_case_result(name, p, e, cJSON_GetArrayItem(results, i));
        }
    }
}

Test(evb_pattern, regression_cases)
{
    const char *shared = shared_dir_or_skip();
    char dir_path[1024], path[1400];
    snprintf(dir_path, sizeof dir_path, "%s/cases/events", shared);
    DIR *dir = opendir(dir_path);
    if (!dir) {
        cr_skip_test("no regression cases at %s", dir_path);
    }

    size_t ran = 0;
    for (struct dirent *e; (e = readdir(dir));) {
        if (!ends_with(e->d_name, ".json")) {
            continue;
        }
        snprintf(path, sizeof path, "%s/%s", dir_path, e->d_name);
        char *text = read_file(path);
        cr_assert_not_null(text, "cannot read %s", path);
        cJSON *doc = parse(text);
        free(text);
        const cJSON *kind = cJSON_GetObjectItemCaseSensitive(doc, "kind");
        if (cJSON_IsString(kind) &&
            strncmp(kind->valuestring, "event-pattern-", 14) == 0) {
            run_case(e->d_name, doc);
            ran++;
        }
        cJSON_Delete(doc);
    }
    closedir(dir);
    fprintf(stderr, "evb_pattern: %zu pattern regression cases run\n", ran);
    cr_expect(ran > 0, "no event-pattern cases in %s", dir_path);
}

/* ---------------------------------------------------------------------- */
/* Operators                                                              */

Test(evb_pattern, exact_values_and_types)
{
    expect_match("{\"a\":[\"x\"]}", "{\"a\":\"x\"}", 1);
    expect_match("{\"a\":[\"300\"]}", "{\"a\":300}", 0);
    expect_match("{\"a\":[300]}", "{\"a\":\"300\"}", 0);
    expect_match("{\"a\":[300]}", "{\"a\":3.0e2}", 1);
    expect_match("{\"a\":[true]}", "{\"a\":\"true\"}", 0);
    expect_match("{\"a\":[null]}", "{}", 0);
    expect_match("{\"a\":[\"\"]}", "{\"a\":\"\"}", 1);
    expect_match("{\"a\":[\"x\"]}", "{\"a\":[\"y\",\"x\"]}", 1);
    expect_match("{\"a\":{\"b\":[1]}}", "{\"a\":[{\"b\":2},{\"b\":1}]}", 1);
}

Test(evb_pattern, arrays_are_not_consistent_across_fields)
{
    /* Each array element contributes values to the same flattened field. */
    expect_match("{\"e\":{\"first\":[\"Anna\"],\"last\":[\"Jones\"]}}",
                 "{\"e\":[{\"first\":\"Anna\",\"last\":\"Smith\"},"
                 "{\"first\":\"Peter\",\"last\":\"Jones\"}]}",
                 1);
}

Test(evb_pattern, numeric_ranges)
{
    expect_match("{\"n\":[{\"numeric\":[\">\",0,\"<=\",5]}]}", "{\"n\":5}", 1);
    expect_match("{\"n\":[{\"numeric\":[\">\",0,\"<=\",5]}]}", "{\"n\":0}", 0);
    expect_match("{\"n\":[{\"numeric\":[\">=\",0,\"<\",5]}]}", "{\"n\":0}", 1);
    expect_match("{\"n\":[{\"numeric\":[\"<\",-1e9]}]}", "{\"n\":-2e9}", 1);
    expect_match("{\"n\":[{\"numeric\":[\"=\",1e20]}]}", "{\"n\":1e20}", 1);
    expect_invalid("{\"n\":[{\"numeric\":[\">\",5,\"<\",5]}]}",
                   "Bottom must be less than top");
    expect_invalid("{\"n\":[{\"numeric\":[\"!=\",5]}]}",
                   "Unrecognized numeric range operator: !=");
    expect_invalid("{\"n\":[{\"numeric\":[]}]}",
                   "Invalid member in numeric match: ]");
    expect_invalid("{\"n\":[{\"numeric\":[\"=\",\"5\"]}]}",
                   "Value of equals must be numeric");
    expect_invalid("{\"n\":[{\"numeric\":[\"<\",5,\">\",1]}]}",
                   "Too many elements in numeric expression");
    expect_invalid("{\"n\":[{\"numeric\":[\">\",1,5]}]}",
                   "Bad value in numeric range: 5");
    expect_invalid("{\"n\":[{\"numeric\":[\">\",1,\"<\",5,6]}]}",
                   "Too many terms in numeric range expression");
}

Test(evb_pattern, cidr_blocks)
{
    expect_match("{\"ip\":[{\"cidr\":\"10.0.0.0/8\"}]}",
                 "{\"ip\":\"10.255.0.1\"}", 1);
    expect_match("{\"ip\":[{\"cidr\":\"10.0.0.0/8\"}]}",
                 "{\"ip\":\"11.0.0.1\"}", 0);
    expect_match("{\"ip\":[{\"cidr\":\"2001:db8::/32\"}]}",
                 "{\"ip\":\"2001:DB8:ffff::1\"}", 1);
    expect_invalid("{\"ip\":[{\"cidr\":\"10.0.0.0/32\"}]}",
                   "IPv4 mask bits must be < 32");
    expect_invalid("{\"ip\":[{\"cidr\":\"10.0.0.0/-1\"}]}",
                   "Malformed CIDR, mask bits must not be negative");
    expect_invalid("{\"ip\":[{\"cidr\":\"300.0.0.0/8\"}]}",
                   "Invalid IP address: 300.0.0.0");
    /* A plain IP value matches any spelling of the same address. */
    expect_match("{\"ip\":[\"2001:db8::1\"]}",
                 "{\"ip\":\"2001:0db8:0:0:0:0:0:1\"}", 1);
}

Test(evb_pattern, wildcards)
{
    expect_match("{\"f\":[{\"wildcard\":\"*.png\"}]}", "{\"f\":\"a.png\"}", 1);
    expect_match("{\"f\":[{\"wildcard\":\"a*b*c\"}]}", "{\"f\":\"abbbc\"}", 1);
    expect_match("{\"f\":[{\"wildcard\":\"a*b*c\"}]}", "{\"f\":\"acb\"}", 0);
    expect_match("{\"f\":[{\"wildcard\":\"a\\\\*\"}]}", "{\"f\":\"a*\"}", 1);
    expect_match("{\"f\":[{\"wildcard\":\"a\\\\*\"}]}", "{\"f\":\"ab\"}", 0);
    expect_match("{\"f\":[{\"wildcard\":\"*\"}]}", "{\"f\":5}", 0);
    expect_invalid("{\"f\":[{\"wildcard\":\"a\\\\b\"}]}",
                   "Invalid escape character at pos 2");
    expect_invalid("{\"f\":[{\"anything-but\":{\"wildcard\":[\"x**\"]}}]}",
                   "Consecutive wildcard characters at pos 2");
}

Test(evb_pattern, case_insensitive_forms)
{
    expect_match("{\"s\":[{\"equals-ignore-case\":\"AbC\"}]}",
                 "{\"s\":\"aBc\"}", 1);
    expect_match("{\"s\":[{\"prefix\":{\"equals-ignore-case\":\"AB\"}}]}",
                 "{\"s\":\"abc\"}", 1);
    expect_match("{\"s\":[{\"suffix\":{\"equals-ignore-case\":\"BC\"}}]}",
                 "{\"s\":\"abc\"}", 1);
    expect_invalid("{\"s\":[{\"prefix\":{\"wildcard\":\"a\"}}]}",
                   "Unsupported prefix pattern: wildcard");
    expect_invalid("{\"s\":[{\"suffix\":{}}]}",
                   "Suffix expression name not found");
}

Test(evb_pattern, exists_and_anything_but)
{
    expect_match("{\"k\":[{\"exists\":true}]}", "{\"k\":null}", 1);
    expect_match("{\"k\":[{\"exists\":false}]}", "{\"k\":null}", 0);
    expect_match("{\"k\":[{\"exists\":false}]}", "{\"k\":[]}", 1);
    expect_match("{\"k\":[{\"anything-but\":[1,2]}]}", "{\"k\":\"1\"}", 1);
    expect_match("{\"k\":[{\"anything-but\":[1,2]}]}", "{\"k\":2.0}", 0);
    expect_invalid("{\"k\":[{\"anything-but\":[\"a\",1]}]}",
                   "Inside anything but list, either all values are number or "
                   "string, mixed type is not supported");
    expect_invalid("{\"k\":[{\"anything-but\":{\"exists\":true}}]}",
                   "Unsupported anything-but pattern: exists");
    expect_invalid("{\"k\":[{\"exists\":\"yes\"}]}",
                   "exists match pattern must be either true or false.");
    expect_invalid("{\"k\":[{\"prefix\":\"a\",\"suffix\":\"b\"}]}",
                   "Only one key allowed in match expression");
}

Test(evb_pattern, or_rules)
{
    expect_match("{\"$or\":[{\"a\":[1]},{\"b\":[2]}],\"c\":[3]}",
                 "{\"b\":2,\"c\":3}", 1);
    expect_match("{\"$or\":[{\"a\":[1]},{\"b\":[2]}],\"c\":[3]}",
                 "{\"b\":2,\"c\":4}", 0);
    expect_invalid("{\"$or\":[{\"a\":[1]}]}",
                   "There must have at least 2 Objects in $or relationship.");
    expect_invalid("{\"$or\":{\"a\":[1]}}",
                   "It must be an Array followed with $or.");
    expect_invalid("{\"$or\":[{\"a\":[1]},[1]]}",
                   "Only JSON object is allowed in array of $or relationship.");
    expect_invalid("{\"$or\":[{\"a\":[1]},{\"numeric\":[1]}]}",
                   "numeric is Ruler reserved fieldName which cannot be used "
                   "inside $or.");
}

Test(evb_pattern, structural_errors)
{
    expect_invalid("{}", "Empty objects are not allowed");
    expect_invalid("{\"a\":{}}", "Empty objects are not allowed");
    expect_invalid("{\"a\":[[1]]}",
                   "Match value must be String, number, true, false, or null");
    expect_invalid("{\"a\":[{}]}", "Match expression name not found");
}

Test(evb_pattern, index_key_prefers_fewest_values)
{
    evb_pattern_error err = {0};
    const char *text = "{\"source\":[\"a\",\"b\"],\"detail-type\":[\"X\"],"
                       "\"detail\":{\"n\":[{\"prefix\":\"p\"}]}}";
    evb_pattern *p = evb_pattern_compile(text, strlen(text), &err);
    cr_assert_not_null(p, "%s", err.message);

    size_t count;
    const evb_index_key *keys = evb_pattern_index_keys(p, &count);
    cr_assert_eq(count, 3);
    cr_expect_str_eq(keys[0].path, "detail-type");
    cr_expect_eq(keys[0].count, 1);
    cr_expect_str_eq(keys[0].values[0], "X");
    cr_expect_eq(keys[0].prefix, 0);
    cr_expect_str_eq(keys[1].path, "source");
    cr_expect_eq(keys[1].count, 2);
    cr_expect_str_eq(keys[2].path, "detail.n");
    cr_expect_str_eq(keys[2].values[0], "p");
    cr_expect_eq(keys[2].prefix, 1);
    evb_pattern_destroy(p);

    text = "{\"$or\":[{\"a\":[\"x\"]},{\"b\":[\"y\"]}]}";
    p = evb_pattern_compile(text, strlen(text), &err);
    cr_assert_not_null(p, "%s", err.message);
    cr_expect_null(evb_pattern_index_keys(p, &count));
    cr_expect_eq(count, 0);
    evb_pattern_destroy(p);

    /* An empty prefix matches every string, so it gives no key. */
    text = "{\"source\":[{\"prefix\":\"\"}]}";
    p = evb_pattern_compile(text, strlen(text), &err);
    cr_assert_not_null(p, "%s", err.message);
    cr_expect_null(evb_pattern_index_keys(p, &count));
    evb_pattern_destroy(p);
}

Test(evb_pattern, deep_nesting_is_bounded)
{
    char pattern[4096] = "";
    char event[4096] = "";
    size_t n = 0, m = 0;

    for (int i = 0; i < 200; i++) {
        n += (size_t)snprintf(pattern + n, sizeof pattern - n, "{\"a\":");
        m += (size_t)snprintf(event + m, sizeof event - m, "{\"a\":");
    }
    n += (size_t)snprintf(pattern + n, sizeof pattern - n, "[1]");
    m += (size_t)snprintf(event + m, sizeof event - m, "1");
    for (int i = 0; i < 200; i++) {
        n += (size_t)snprintf(pattern + n, sizeof pattern - n, "}");
        m += (size_t)snprintf(event + m, sizeof event - m, "}");
    }

    evb_pattern_error err = {0};
    evb_pattern *p = evb_pattern_compile(pattern, n, &err);
    cr_expect_null(p, "a pattern nested 200 deep should be rejected");
    evb_pattern_destroy(p);

    cJSON *ev = parse(event);
    evb_event *flat = evb_event_create(ev);
    evb_event_destroy(flat);
    cJSON_Delete(ev);
}

/* ---------------------------------------------------------------------- */
/* Rule index                                                             */

static void count_rule(void *rule, void *arg)
{
    size_t *hits = arg;
    hits[(size_t)(uintptr_t)rule]++;
}

/* Patterns of every shape the index treats differently. */
static char *index_pattern(size_t i)
{
    char *text = malloc(256);
    switch (i % 9) {
    case 0:
        snprintf(text, 256, "{\"source\":[\"app.%zu\"]}", i % 37);
        break;
    case 1:
        snprintf(text, 256,
                 "{\"source\":[\"app.%zu\",\"app.%zu\"],\"detail\":{\"n\":"
                 "[{\"numeric\":[\">\",%zu]}]}}",
                 i % 37, (i + 1) % 37, i % 10);
        break;
    case 2:
        snprintf(text, 256, "{\"source\":[{\"prefix\":\"app.%zu\"}]}", i % 4);
        break;
    case 3:
        snprintf(text, 256,
                 "{\"$or\":[{\"source\":[\"app.%zu\"]},{\"detail\":{\"tags\":"
                 "[\"t%zu\"]}}]}",
                 i % 37, i % 7);
        break;
    case 4:
        snprintf(text, 256,
                 "{\"detail\":{\"tags\":[\"t%zu\"],\"n\":[%zu]},"
                 "\"detail-type\":[\"T\"]}",
                 i % 7, i % 10);
        break;
    case 5:
        /* CollectIQ's shape with a prefix: the shared detail-type bucket
         * fills up, so later rules go under their prefixes. */
        snprintf(text, 256,
                 "{\"source\":[{\"prefix\":\"app.%zu\"}],"
                 "\"detail-type\":[\"T\"]}",
                 i % 13);
        break;
    case 6:
        /* One field mixing an exact value and a prefix. */
        snprintf(text, 256,
                 "{\"source\":[\"app.%zu\",{\"prefix\":\"app.%zu\"}]}", i % 37,
                 i % 11);
        break;
    case 7:
        snprintf(text, 256,
                 "{\"detail\":{\"tags\":[{\"prefix\":\"t%zu\"}]},"
                 "\"source\":[{\"prefix\":\"\"}]}",
                 i % 7);
        break;
    default:
        snprintf(text, 256,
                 "{\"source\":[{\"equals-ignore-case\":\"APP.%zu\"}]}", i % 37);
        break;
    }
    return text;
}

Test(evb_index, agrees_with_full_scan)
{
    enum { RULES = 500, EVENTS = 200 };
    evb_pattern *patterns[RULES];
    evb_index *index = evb_index_create();

    for (size_t i = 0; i < RULES; i++) {
        char *text = index_pattern(i);
        evb_pattern_error err = {0};
        patterns[i] = evb_pattern_compile(text, strlen(text), &err);
        cr_assert_not_null(patterns[i], "%s: %s", text, err.message);
        free(text);
        evb_index_add(index, patterns[i], (void *)(uintptr_t)i);
    }
    cr_expect_eq(evb_index_size(index), RULES);

    /* Drop every third rule to exercise removal and compaction. */
    for (size_t i = 0; i < RULES; i += 3) {
        cr_expect_eq(evb_index_remove(index, (void *)(uintptr_t)i), 0);
    }
    cr_expect_eq(evb_index_remove(index, (void *)(uintptr_t)0), -1);

    for (size_t e = 0; e < EVENTS; e++) {
        char text[256];
        snprintf(text, sizeof text,
                 "{\"source\":\"app.%zu\",\"detail-type\":\"T\",\"detail\":"
                 "{\"n\":%zu,\"tags\":[\"t%zu\",\"t%zu\"]}}",
                 e % 41, e % 12, e % 7, (e * 3) % 9);
        cJSON *event = parse(text);
        evb_event *flat = evb_event_create(event);
        size_t hits[RULES] = {0};
        size_t matched = evb_index_match(index, flat, count_rule, hits);

        size_t expected = 0;
        for (size_t i = 0; i < RULES; i++) {
            int want = i % 3 != 0 && evb_pattern_match_event(patterns[i], flat);
            expected += (size_t)want;
            cr_expect_eq(hits[i], (size_t)want, "rule %zu event %s", i, text);
        }
        cr_expect_eq(matched, expected, "event %s", text);
        evb_event_destroy(flat);
        cJSON_Delete(event);
    }

    evb_index_destroy(index);
    for (size_t i = 0; i < RULES; i++) {
        evb_pattern_destroy(patterns[i]);
    }
}

Test(evb_pattern, case_folding_beyond_ascii)
{
    expect_match("{\"s\":[{\"equals-ignore-case\":\"ÄRGER\"}]}",
                 "{\"s\":\"ärger\"}", 1);
    expect_match("{\"s\":[{\"prefix\":{\"equals-ignore-case\":\"ΣΟ\"}}]}",
                 "{\"s\":\"σοφία\"}", 1);
    expect_match("{\"s\":[{\"suffix\":{\"equals-ignore-case\":\"ÉTÉ\"}}]}",
                 "{\"s\":\"un été\"}", 1);
    expect_match("{\"s\":[{\"suffix\":{\"equals-ignore-case\":\"été\"}}]}",
                 "{\"s\":\"té\"}", 0);
    expect_match("{\"s\":[{\"anything-but\":{\"equals-ignore-case\":"
                 "[\"ÖL\"]}}]}",
                 "{\"s\":\"öl\"}", 0);
}

Test(evb_pattern, error_locations)
{
    /* After the whole string once AWS has read its text. */
    expect_message("{\"a\": [{\"prefix\": \"x\", \"suffix\": \"y\"}]}",
                   "Event pattern is not valid. Reason: Only one key allowed "
                   "in match expression\n at [Source: (String)\"{\"a\": "
                   "[{\"prefix\": \"x\", \"suffix\": \"y\"}]}\"; line: 1, "
                   "column: 35]");
    /* After the closing bracket, on the second line. */
    expect_message("{\"a\":\n [{}]}",
                   "Event pattern is not valid. Reason: Match expression name "
                   "not found\n at [Source: (String)\"{\"a\":\n [{}]}\"; "
                   "line: 2, column: 5]");
    /* A message a CloudFormation deployment received from AWS. */
    expect_message("{\"detail-type\":[\"dual\"],\"detail\":{\"delaySeconds\":"
                   "[{\"exists\":\"false\"}]}}",
                   "Event pattern is not valid. Reason: exists match pattern "
                   "must be either true or false.\n at [Source: (String)\"{"
                   "\"detail-type\":[\"dual\"],\"detail\":{\"delaySeconds\":"
                   "[{\"exists\":\"false\"}]}}\"; line: 1, column: 62]");
    /* CIDR errors escape AWS's parser, so they carry no location. */
    expect_message("{\"ip\": [{\"cidr\": \"1.2.3.4\"}]}",
                   "Event pattern is not valid. Reason: Malformed CIDR, one "
                   "'/' required");
}

Test(evb_pattern, numbers_must_be_exact_doubles)
{
    expect_match("{\"n\":[{\"numeric\":[\">\",3.018e2]}]}", "{\"n\":302}", 1);
    expect_match("{\"n\":[{\"numeric\":[\"=\",0.1]}]}", "{\"n\":0.1}", 1);
    expect_match("{\"n\":[{\"numeric\":[\"<\",300.000]}]}", "{\"n\":299}", 1);
    expect_invalid("{\"n\":[{\"numeric\":[\"<\",0.30000000000000000001]}]}",
                   "Cannot compare number : 0.30000000000000000001");
    expect_invalid("{\"n\":[{\"numeric\":[\">\",1,\"<\",1e400]}]}",
                   "Cannot compare number : 1e400");
    expect_invalid("{\"n\":[{\"anything-but\":[1,12345678901234567891]}]}",
                   "Cannot compare number : 12345678901234567891");
    /* A plain value AWS cannot compare is still a valid pattern. */
    expect_match("{\"n\":[12345678901234567891]}", "{\"n\":1}", 0);
}
