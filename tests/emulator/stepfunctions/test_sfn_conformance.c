/*
 * test_sfn_conformance.c: runs the LocalStack Step Functions templates that
 * need no service integration and use JSONPath through the Stratus service,
 * and compares each run with the AWS-recorded snapshot of the same test:
 * the terminal output, or the error and cause, and the sequence of history
 * event types. It prints the pass rate and fails when it drops below the
 * floor this version reaches.
 *
 * A snapshot whose event ids LocalStack redacted (Parallel branches) is
 * compared as a multiset of event types, since the branches' interleaving is
 * not recorded. ParallelStateSucceeded is left out of the comparison: the
 * snapshots drop it (their event ids skip one where it stands) while the
 * Step Functions API reference lists it.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "sfn_test_util.h"
#include "ts.h"

/* Histories that must match: the count this version reaches. */
#define CONFORMANCE_FLOOR 175

typedef struct tally {
    int passed, terminal_only, failed, skipped;
} tally;

/* True when the machine uses only what Stratus runs without other services:
 * no Task, no JSONata or variables, no distributed Map, no placeholder the
 * LocalStack test fills in. */
static bool machine_supported(const cJSON *machine)
{
    static const char *const unsupported[] = {"QueryLanguage",
                                              "\"Assign\"",
                                              "\"Arguments\"",
                                              "\"Output\"",
                                              "ItemReader",
                                              "ResultWriter",
                                              "Tolerated",
                                              "MaxItems",
                                              "ItemBatcher",
                                              "%",
                                              "{%",
                                              "MaxConcurrencyPath",
                                              "\"Task\"",
                                              "Credentials",
                                              "\"Label\""};
    char *json = sfn_json_compact(machine);
    bool ok = true;
    for (size_t i = 0; i < sizeof unsupported / sizeof *unsupported; i++)
        ok = ok && !strstr(json, unsupported[i]);
    free(json);
    return ok;
}

/* True when `expected` contains a LocalStack placeholder such as
 * "<ExecArnPart_0idx>" that `input` does not contain. */
static bool has_foreign_placeholder(const char *expected, const char *input)
{
    for (const char *open = strchr(expected, '<'); open;
         open = strchr(open + 1, '<')) {
        const char *close = strchr(open, '>');
        if (!close)
            return false;
        char token[128];
        size_t n = (size_t)(close - open + 1);
        if (n >= sizeof token)
            return true;
        memcpy(token, open, n);
        token[n] = '\0';
        if (!strstr(input, token))
            return true;
    }
    return false;
}

/* LocalStack stores an input or output that is not an object as its JSON
 * text; return the value that text encodes (a new tree), or a copy. */
static cJSON *decode_recorded(const cJSON *value)
{
    if (cJSON_IsString(value)) {
        cJSON *parsed = cJSON_Parse(value->valuestring);
        if (parsed)
            return parsed;
    }
    return value ? cJSON_Duplicate(value, true) : NULL;
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Whether the recorded and the actual type lists match: in order, or as a
 * multiset when `ordered` is false. Both arrays are sorted in place then. */
static bool types_match(const char **recorded, int n_recorded,
                        const char **actual, int n_actual, bool ordered)
{
    if (n_recorded != n_actual)
        return false;
    if (!ordered) {
        qsort(recorded, (size_t)n_recorded, sizeof *recorded, compare_strings);
        qsort(actual, (size_t)n_actual, sizeof *actual, compare_strings);
    }
    for (int i = 0; i < n_recorded; i++)
        if (strcmp(recorded[i], actual[i]) != 0)
            return false;
    return true;
}

/* Run the execution until it closes, jumping the clock to each due job. */
static cJSON *run_to_end(stratus *srv, const char *exec)
{
    sfn_drain(srv);
    cJSON *d = sfn_describe(srv, exec);
    for (int i = 0; i < 50 && strcmp(sfn_test_str(d, "status"), "RUNNING") == 0;
         i++) {
        int64_t due = jobs_next_due(srv->jobs);
        if (due < 0)
            break;
        clock_advance_to(&srv->clock, due);
        sfn_drain(srv);
        cJSON_Delete(d);
        d = sfn_describe(srv, exec);
    }
    return d;
}

static void run_history(stratus *srv, const char *machine_arn,
                        const cJSON *events, const char *label, tally *t)
{
    cJSON *input = NULL, *expected = NULL;
    const char *expected_error = NULL, *expected_cause = NULL;
    const char *recorded[512];
    int n_recorded = 0;
    bool ordered = true;
    const cJSON *ev;
    cJSON_ArrayForEach(ev, events)
    {
        const cJSON *d;
        const char *type = sfn_test_str(ev, "type");
        if (n_recorded < 512 && strcmp(type, "ParallelStateSucceeded") != 0)
            recorded[n_recorded++] = type;
        if (!cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(ev, "id")))
            ordered = false;
        if ((d = cJSON_GetObjectItemCaseSensitive(
                 ev, "executionStartedEventDetails")))
            input =
                decode_recorded(cJSON_GetObjectItemCaseSensitive(d, "input"));
        if ((d = cJSON_GetObjectItemCaseSensitive(
                 ev, "executionSucceededEventDetails")))
            expected =
                decode_recorded(cJSON_GetObjectItemCaseSensitive(d, "output"));
        if ((d = cJSON_GetObjectItemCaseSensitive(
                 ev, "executionFailedEventDetails"))) {
            expected_error = sfn_test_str(d, "error");
            expected_cause = sfn_test_str(d, "cause");
            if (!expected_error)
                expected_error = "";
        }
    }
    char *input_json = input ? sfn_json_compact(input) : NULL;
    char *expected_json = expected ? sfn_json_compact(expected) : NULL;
    if (!input || (!expected && !expected_error) ||
        (expected_json && has_foreign_placeholder(expected_json, input_json))) {
        t->skipped++;
        goto done;
    }

    static int serial;
    char name[32], exec[512];
    snprintf(name, sizeof name, "c%d", ++serial);
    sfn_start(srv, machine_arn, name, input_json, exec);
    cJSON *d = run_to_end(srv, exec);
    const char *status = sfn_test_str(d, "status");
    bool terminal;
    if (expected) {
        cJSON *got = cJSON_Parse(
            sfn_test_str(d, "output") ? sfn_test_str(d, "output") : "");
        terminal = strcmp(status, "SUCCEEDED") == 0 && got &&
                   sfn_json_equal(got, expected);
        cJSON_Delete(got);
    } else {
        const char *error = sfn_test_str(d, "error");
        const char *cause = sfn_test_str(d, "cause");
        bool compare_cause = expected_cause && !has_foreign_placeholder(
                                                   expected_cause, input_json);
        terminal =
            strcmp(status, "FAILED") == 0 &&
            strcmp(error ? error : "", expected_error) == 0 &&
            (!compare_cause || strcmp(cause ? cause : "", expected_cause) == 0);
    }

    int status_code = 0;
    cJSON *h = sfn_call(srv, "GetExecutionHistory", &status_code,
                        "{\"executionArn\":\"%s\"}", exec);
    const char *actual[512];
    int n_actual = 0;
    cJSON_ArrayForEach(ev, cJSON_GetObjectItemCaseSensitive(h, "events"))
    {
        const char *type = sfn_test_str(ev, "type");
        if (n_actual < 512 && strcmp(type, "ParallelStateSucceeded") != 0)
            actual[n_actual++] = type;
    }
    if (strstr(label, "reverseOrder[True]")) {
        /* That record is the history read newest first. */
        for (int i = 0; i < n_actual / 2; i++) {
            const char *swap = actual[i];
            actual[i] = actual[n_actual - 1 - i];
            actual[n_actual - 1 - i] = swap;
        }
    }
    char *types = sfn_history_types(srv, exec);
    char recorded_text[8192] = "";
    size_t len = 0;
    for (int i = 0; i < n_recorded && len < sizeof recorded_text - 64; i++)
        len += (size_t)snprintf(recorded_text + len, sizeof recorded_text - len,
                                "%s%s", i ? " " : "", recorded[i]);
    bool sequence =
        types_match(recorded, n_recorded, actual, n_actual, ordered);
    if (terminal && sequence) {
        t->passed++;
    } else {
        if (terminal)
            t->terminal_only++;
        else
            t->failed++;
        fprintf(stderr,
                "MISMATCH %s\n  got      %s %s %s %s\n  expected %s %s %s\n"
                "  history  %s\n  recorded %s\n",
                label, status, sfn_test_str(d, "output"),
                sfn_test_str(d, "error"), sfn_test_str(d, "cause"),
                expected_json ? expected_json : "failure",
                expected_error ? expected_error : "",
                expected_cause ? expected_cause : "", types, recorded_text);
    }
    free(types);
    cJSON_Delete(h);
    cJSON_Delete(d);

done:
    free(input_json);
    free(expected_json);
    cJSON_Delete(input);
    cJSON_Delete(expected);
}

/* Tests whose Python code rewrites the indexed template before it runs, so
 * the template on disk is not the machine that was recorded, and tests whose
 * snapshots replace a random output (States.MathRandom, States.UUID) by a
 * fixed word. */
static bool template_rewritten(const char *test)
{
    if (strchr(test, '['))
        return true;
    return strstr(test, "::test_state_pass_result_jsonpaths") != NULL ||
           strstr(test, "::test_math_random") != NULL ||
           strstr(test, "::test_uuid") != NULL;
}

/* Whether any record of a test holds a history. */
static bool has_events(const cJSON *recorded)
{
    const cJSON *record;
    cJSON_ArrayForEach(record, recorded)
    {
        if (cJSON_GetObjectItemCaseSensitive(record, "events"))
            return true;
    }
    return false;
}

Test(sfn_conformance, localstack_recorded_histories)
{
    const char *root = ts_shared_dir();
    if (!root)
        cr_skip_test("STRATUS_SHARED_DIR is not set or has no cases/; "
                     "skipping the AWS-recorded histories");
    char path[2048];
    snprintf(path, sizeof path,
             "%s/conformance/localstack/"
             "INDEX-stepfunctions-tests-to-templates.json",
             root);
    cJSON *index = ts_load_json(path, false);
    cr_assert_not_null(index, "cannot read %s", path);

    stratus *srv = sfn_test_new();
    tally t = {0};
    int machines = 0;
    char snapshot_path[2048] = "";
    cJSON *snapshot = NULL;
    const cJSON *entry;
    cJSON_ArrayForEach(entry, index)
    {
        const char *test = entry->string;
        if (cJSON_GetArraySize(entry) != 1 || template_rewritten(test))
            continue;
        const char *sep = strstr(test, ".py::");
        if (!sep)
            continue;
        char wanted[2048];
        snprintf(wanted, sizeof wanted,
                 "%s/conformance/localstack/%.*s"
                 ".snapshot.json",
                 root, (int)(sep - test), test);
        if (strcmp(wanted, snapshot_path) != 0) {
            cJSON_Delete(snapshot);
            snprintf(snapshot_path, sizeof snapshot_path, "%s", wanted);
            snapshot = ts_load_json(snapshot_path, false);
        }
        const cJSON *recorded = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(snapshot, test),
            "recorded-content");
        if (!has_events(recorded))
            continue;

        snprintf(path, sizeof path, "%s/conformance/localstack/%s", root,
                 cJSON_GetArrayItem(entry, 0)->valuestring);
        cJSON *definition = ts_load_json(path, true);
        if (!definition || !machine_supported(definition)) {
            cJSON_Delete(definition);
            continue;
        }
        char *text = cJSON_PrintUnformatted(definition);
        cJSON_Delete(definition);
        cJSON *body = cJSON_CreateObject();
        char name[32];
        snprintf(name, sizeof name, "conf%d", ++machines);
        cJSON_AddStringToObject(body, "name", name);
        cJSON_AddStringToObject(body, "roleArn", "arn:aws:iam::1:role/r");
        cJSON_AddStringToObject(body, "definition", text);
        free(text);
        char *request = cJSON_PrintUnformatted(body);
        cJSON_Delete(body);
        int status = 0;
        cJSON *created = ts_call(srv, "AWSStepFunctions.CreateStateMachine",
                                 request, &status);
        free(request);
        if (status != 200) {
            fprintf(stderr, "REJECTED %s: %s\n", test,
                    sfn_test_str(created, "message"));
            t.failed++;
            cJSON_Delete(created);
            continue;
        }
        char arn[256];
        snprintf(arn, sizeof arn, "%s",
                 sfn_test_str(created, "stateMachineArn"));
        cJSON_Delete(created);

        const cJSON *record;
        cJSON_ArrayForEach(record, recorded)
        {
            const cJSON *events =
                cJSON_GetObjectItemCaseSensitive(record, "events");
            if (!events)
                continue;
            char label[2048];
            snprintf(label, sizeof label, "%s %s", test, record->string);
            run_history(srv, arn, events, label, &t);
        }
    }
    cJSON_Delete(snapshot);
    cJSON_Delete(index);
    ts_free(srv);

    int total = t.passed + t.terminal_only + t.failed;
    fprintf(stderr,
            "sfn conformance: %d of %d recorded histories match (%.0f%%); "
            "%d more match only in output or error; %d differ; %d skipped\n",
            t.passed, total, total ? 100.0 * t.passed / total : 0.0,
            t.terminal_only, t.failed, t.skipped);
    cr_assert_gt(total, 0);
    cr_assert_geq(t.passed, CONFORMANCE_FLOOR,
                  "%d recorded histories match, below the floor of %d",
                  t.passed, CONFORMANCE_FLOOR);
}
