/*
 * sfn_validate.c: the checks CreateStateMachine and UpdateStateMachine run
 * on a definition, with AWS's error codes: SCHEMA_VALIDATION_FAILED for a
 * malformed member and MISSING_TRANSITION_TARGET for a Next, Default or
 * StartAt naming no state and for a state nothing leads to. AWS joins all
 * problems with ", " inside "Invalid State Machine Definition: '...'".
 *
 * Not checked: the JSONata query language, the full schema of every field
 * (types of Comment, ResultSelector values and so on), resource ARNs of
 * service integrations, and Express-only restrictions.
 */
#include "sfn_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sfn_choice.h"
#include "sfn_intrinsic.h"
#include "sfn_path.h"
#include "util.h"

/* Maximum problems reported, so a huge broken definition stays readable. */
#define SFN_PROBLEMS_MAX 10

typedef struct sfn_problems {
    strbuf text;
    int count;
    cJSON *diagnostics; /* ValidateStateMachineDefinition's list, or NULL */
} sfn_problems;

/* Add "CODE: message at /location" to the diagnostics list as its parts. */
static void sfn_diagnostic_add(cJSON *list, const char *problem)
{
    const char *colon = strstr(problem, ": ");
    const char *at = NULL;
    for (const char *p = strstr(problem, " at /"); p;
         p = strstr(p + 1, " at /"))
        at = p;
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "severity", "ERROR");
    char *code = colon ? xstrndup(problem, (size_t)(colon - problem))
                       : xstrdup("SCHEMA_VALIDATION_FAILED");
    cJSON_AddStringToObject(d, "code", code);
    free(code);
    const char *start = colon ? colon + 2 : problem;
    char *message = at && at > start ? xstrndup(start, (size_t)(at - start))
                                     : xstrdup(start);
    cJSON_AddStringToObject(d, "message", message);
    free(message);
    cJSON_AddStringToObject(d, "location", at ? at + 4 : "/");
    cJSON_AddItemToArray(list, d);
}

static void sfn_problem(sfn_problems *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void sfn_problem(sfn_problems *p, const char *fmt, ...)
{
    if (p->count++ >= SFN_PROBLEMS_MAX)
        return;
    if (p->text.len)
        strbuf_puts(&p->text, ", ");
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    strbuf_puts(&p->text, buf);
    if (p->diagnostics)
        sfn_diagnostic_add(p->diagnostics, buf);
}

bool sfn__name_valid(const char *name)
{
    static const char forbidden[] = " <>{}[]?*\"#%\\^|~`$&,;:/";
    size_t len = strlen(name);
    if (len == 0 || len > SFN_NAME_MAX)
        return false;
    for (const unsigned char *c = (const unsigned char *)name; *c; c++) {
        if (*c < 0x20 || *c == 0x7f || strchr(forbidden, *c))
            return false;
        /* U+0080 to U+009F, the C1 controls, encode as C2 80..9F. */
        if (c[0] == 0xc2 && c[1] >= 0x80 && c[1] <= 0x9f)
            return false;
        if (*c == '\t' || *c == '\n' || *c == '\r')
            return false;
    }
    return true;
}

/* Check the `.$` members of a payload template, recursively. */
static void sfn_check_template(const cJSON *tmpl, const char *where,
                               sfn_problems *p)
{
    const cJSON *member;
    cJSON_ArrayForEach(member, tmpl)
    {
        if (cJSON_IsObject(member) || cJSON_IsArray(member)) {
            sfn_check_template(member, where, p);
            continue;
        }
        size_t len = member->string ? strlen(member->string) : 0;
        if (len < 2 || strcmp(member->string + len - 2, ".$") != 0)
            continue;
        bool ok = cJSON_IsString(member);
        char reason[256];
        if (ok && sfn_intrinsic_is_call(member->valuestring)) {
            ok = sfn_intrinsic_validate(member->valuestring, reason,
                                        sizeof reason);
        } else if (ok) {
            sfn_path *path =
                sfn_path_parse(member->valuestring, SFN_PATH_GENERAL, NULL, 0);
            ok = path != NULL;
            sfn_path_free(path);
        }
        if (!ok)
            sfn_problem(p,
                        "SCHEMA_VALIDATION_FAILED: The value for the field "
                        "'%s' must be a valid JSONPath or a valid intrinsic "
                        "function call at %s",
                        member->string, where);
    }
}

static void sfn_check_states(const cJSON *machine, const char *base,
                             sfn_problems *p);

/* Whether `text` parses as a path of `syntax`. */
static bool sfn_path_valid(const char *text, sfn_path_syntax syntax)
{
    sfn_path *path = sfn_path_parse(text, syntax, NULL, 0);
    sfn_path_free(path);
    return path != NULL;
}

/* NOTE: the wording of the path, Retry, Catch and timeout problems below
 * follows AWS's confirmed `.$` message but is not itself confirmed. */
static void sfn_check_paths(const cJSON *state, const char *at, sfn_problems *p)
{
    static const struct {
        const char *field;
        sfn_path_syntax syntax;
        bool nullable;
        bool intrinsic;
    } fields[] = {
        {"InputPath", SFN_PATH_GENERAL, true, false},
        {"OutputPath", SFN_PATH_GENERAL, true, false},
        {"ResultPath", SFN_PATH_REFERENCE, true, false},
        {"ItemsPath", SFN_PATH_REFERENCE, false, false},
        {"SecondsPath", SFN_PATH_REFERENCE, false, false},
        {"TimestampPath", SFN_PATH_REFERENCE, false, false},
        {"ErrorPath", SFN_PATH_REFERENCE, false, true},
        {"CausePath", SFN_PATH_REFERENCE, false, true},
    };
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
        const cJSON *v = sfn__get(state, fields[i].field);
        if (!v || (fields[i].nullable && cJSON_IsNull(v)))
            continue;
        bool ok = cJSON_IsString(v);
        char reason[256];
        if (ok && fields[i].intrinsic && sfn_intrinsic_is_call(v->valuestring))
            ok = sfn_intrinsic_validate(v->valuestring, reason, sizeof reason);
        else if (ok)
            ok = sfn_path_valid(v->valuestring, fields[i].syntax);
        if (!ok)
            sfn_problem(p,
                        "SCHEMA_VALIDATION_FAILED: The value for the field "
                        "'%s' must be a valid %s at %s/%s",
                        fields[i].field,
                        fields[i].syntax == SFN_PATH_REFERENCE
                            ? "reference path"
                            : "JSONPath",
                        at, fields[i].field);
    }
}

/* Check the retriers or catchers of a state: ErrorEquals, the numbers of a
 * retrier, and States.ALL standing alone in the last entry. */
static void sfn_check_handlers(const cJSON *state, const char *member,
                               const char *at, sfn_problems *p)
{
    const cJSON *list = sfn__get(state, member);
    if (!list)
        return;
    if (!cJSON_IsArray(list)) {
        sfn_problem(p,
                    "SCHEMA_VALIDATION_FAILED: The field '%s' must be an "
                    "array at %s/%s",
                    member, at, member);
        return;
    }
    bool retry = strcmp(member, "Retry") == 0;
    int count = cJSON_GetArraySize(list);
    for (int i = 0; i < count; i++) {
        const cJSON *entry = cJSON_GetArrayItem(list, i);
        const cJSON *names = sfn__get(entry, "ErrorEquals");
        char where[1024];
        snprintf(where, sizeof where, "%s/%s[%d]", at, member, i);
        if (!cJSON_IsArray(names) || cJSON_GetArraySize(names) == 0) {
            sfn_problem(p,
                        "SCHEMA_VALIDATION_FAILED: These fields are "
                        "required: [ErrorEquals] at %s",
                        where);
            continue;
        }
        const cJSON *name;
        cJSON_ArrayForEach(name, names)
        {
            if (cJSON_IsString(name) &&
                strcmp(name->valuestring, "States.ALL") == 0 &&
                (cJSON_GetArraySize(names) != 1 || i != count - 1))
                sfn_problem(p,
                            "SCHEMA_VALIDATION_FAILED: States.ALL must "
                            "appear alone in the last %s entry at %s",
                            retry ? "retrier" : "catcher", where);
        }
        if (!retry) {
            if (!sfn__str(entry, "Next"))
                sfn_problem(p,
                            "SCHEMA_VALIDATION_FAILED: These fields are "
                            "required: [Next] at %s",
                            where);
            continue;
        }

        const cJSON *attempts = sfn__get(entry, "MaxAttempts");
        const cJSON *interval = sfn__get(entry, "IntervalSeconds");
        const cJSON *rate = sfn__get(entry, "BackoffRate");
        const cJSON *max_delay = sfn__get(entry, "MaxDelaySeconds");
        const char *jitter = sfn__str(entry, "JitterStrategy");
        if (attempts &&
            (!cJSON_IsNumber(attempts) || attempts->valuedouble < 0))
            sfn_problem(p,
                        "SCHEMA_VALIDATION_FAILED: MaxAttempts must be a "
                        "non-negative integer at %s/MaxAttempts",
                        where);
        if (interval &&
            (!cJSON_IsNumber(interval) || interval->valuedouble < 1))
            sfn_problem(p,
                        "SCHEMA_VALIDATION_FAILED: IntervalSeconds must be a "
                        "positive integer at %s/IntervalSeconds",
                        where);
        if (rate && (!cJSON_IsNumber(rate) || rate->valuedouble < 1.0))
            sfn_problem(p,
                        "SCHEMA_VALIDATION_FAILED: BackoffRate must be at "
                        "least 1.0 at %s/BackoffRate",
                        where);
        if (max_delay &&
            (!cJSON_IsNumber(max_delay) || max_delay->valuedouble < 1))
            sfn_problem(p,
                        "SCHEMA_VALIDATION_FAILED: MaxDelaySeconds must be a "
                        "positive integer at %s/MaxDelaySeconds",
                        where);
        if (sfn__get(entry, "JitterStrategy") &&
            (!jitter ||
             (strcmp(jitter, "FULL") != 0 && strcmp(jitter, "NONE") != 0)))
            sfn_problem(p,
                        "SCHEMA_VALIDATION_FAILED: The field "
                        "'JitterStrategy' should have one of these values: "
                        "[FULL, NONE] at %s/JitterStrategy",
                        where);
    }
}

static void sfn_check_timeouts(const cJSON *state, const char *at,
                               sfn_problems *p)
{
    const cJSON *timeout = sfn__get(state, "TimeoutSeconds");
    const cJSON *heartbeat = sfn__get(state, "HeartbeatSeconds");
    const char *names[] = {"TimeoutSeconds", "HeartbeatSeconds"};
    const cJSON *values[] = {timeout, heartbeat};
    for (int i = 0; i < 2; i++)
        if (values[i] &&
            (!cJSON_IsNumber(values[i]) || values[i]->valuedouble < 1))
            sfn_problem(p,
                        "SCHEMA_VALIDATION_FAILED: %s must be a positive "
                        "integer at %s/%s",
                        names[i], at, names[i]);
    if (cJSON_IsNumber(timeout) && cJSON_IsNumber(heartbeat) &&
        heartbeat->valuedouble >= timeout->valuedouble)
        sfn_problem(p,
                    "SCHEMA_VALIDATION_FAILED: HeartbeatSeconds must be "
                    "smaller than TimeoutSeconds at %s/HeartbeatSeconds",
                    at);
}

static void sfn_check_target(const cJSON *states, const char *target,
                             const char *where, sfn_problems *p)
{
    if (!sfn__get(states, target))
        sfn_problem(p,
                    "MISSING_TRANSITION_TARGET: Missing 'Next' target: %s at "
                    "%s",
                    target, where);
}

static void sfn_check_state(const cJSON *states, const cJSON *state,
                            const char *at, sfn_problems *p)
{
    static const char *const types[] = {"Task",     "Wait", "Pass",
                                        "Succeed",  "Fail", "Choice",
                                        "Parallel", "Map",  NULL};
    char where[1024];
    const char *type = sfn__str(state, "Type");
    bool known = false;
    for (size_t i = 0; type && types[i]; i++)
        known = known || strcmp(type, types[i]) == 0;
    if (!known) {
        sfn_problem(p,
                    "SCHEMA_VALIDATION_FAILED: The field 'Type' should have "
                    "one of these values: [Task, Wait, Pass, Succeed, Fail, "
                    "Choice, Parallel, Map] at %s/Type",
                    at);
        return;
    }

    bool terminal = strcmp(type, "Succeed") == 0 || strcmp(type, "Fail") == 0;
    bool choice = strcmp(type, "Choice") == 0;
    const char *next = sfn__str(state, "Next");
    bool end = cJSON_IsTrue(sfn__get(state, "End"));
    if (!terminal && !choice) {
        if (next && end)
            sfn_problem(p,
                        "SCHEMA_VALIDATION_FAILED: Only one of Next or End "
                        "can be set at %s",
                        at);
        else if (!next && !end)
            sfn_problem(p,
                        "SCHEMA_VALIDATION_FAILED: These fields are "
                        "required: [Next or End] at %s",
                        at);
        if (next) {
            snprintf(where, sizeof where, "%s/Next", at);
            sfn_check_target(states, next, where, p);
        }
    }

    if (choice) {
        const cJSON *choices = sfn__get(state, "Choices");
        if (!cJSON_IsArray(choices) || cJSON_GetArraySize(choices) == 0)
            sfn_problem(p,
                        "SCHEMA_VALIDATION_FAILED: These fields are "
                        "required: [Choices] at %s",
                        at);
        const cJSON *rule;
        int i = 0;
        cJSON_ArrayForEach(rule, choices)
        {
            const char *target = sfn__str(rule, "Next");
            snprintf(where, sizeof where, "%s/Choices[%d]/Next", at, i++);
            if (target)
                sfn_check_target(states, target, where, p);
        }
        const char *def = sfn__str(state, "Default");
        if (def) {
            snprintf(where, sizeof where, "%s/Default", at);
            sfn_check_target(states, def, where, p);
        }
    }

    const cJSON *catcher;
    int i = 0;
    cJSON_ArrayForEach(catcher, sfn__get(state, "Catch"))
    {
        const char *target = sfn__str(catcher, "Next");
        snprintf(where, sizeof where, "%s/Catch[%d]/Next", at, i++);
        if (target)
            sfn_check_target(states, target, where, p);
    }

    if (strcmp(type, "Wait") == 0) {
        const char *fields[] = {"Seconds", "Timestamp", "SecondsPath",
                                "TimestampPath"};
        int n = 0;
        for (size_t k = 0; k < 4; k++)
            n += sfn__get(state, fields[k]) != NULL;
        if (n != 1)
            sfn_problem(p,
                        "SCHEMA_VALIDATION_FAILED: Exactly one of Seconds, "
                        "Timestamp, SecondsPath or TimestampPath must be set "
                        "at %s",
                        at);
        const char *ts = sfn__str(state, "Timestamp");
        long long secs;
        long nanos;
        if (sfn__get(state, "Timestamp") &&
            (!ts || !sfn_timestamp_parse(ts, &secs, &nanos)))
            sfn_problem(p,
                        "SCHEMA_VALIDATION_FAILED: String does not match "
                        "RFC3339 timestamp at %s/Timestamp",
                        at);
    }
    if (strcmp(type, "Task") == 0 && !sfn__str(state, "Resource"))
        sfn_problem(p,
                    "SCHEMA_VALIDATION_FAILED: These fields are required: "
                    "[Resource] at %s",
                    at);

    const char *templates[] = {"Parameters", "ResultSelector", "ItemSelector"};
    for (size_t k = 0; k < 3; k++) {
        const cJSON *tmpl = sfn__get(state, templates[k]);
        snprintf(where, sizeof where, "%s/%s", at, templates[k]);
        if (tmpl)
            sfn_check_template(tmpl, where, p);
    }
    sfn_check_paths(state, at, p);
    sfn_check_handlers(state, "Retry", at, p);
    sfn_check_handlers(state, "Catch", at, p);
    sfn_check_timeouts(state, at, p);

    if (strcmp(type, "Parallel") == 0) {
        const cJSON *branches = sfn__get(state, "Branches");
        if (!cJSON_IsArray(branches) || cJSON_GetArraySize(branches) == 0)
            sfn_problem(p,
                        "SCHEMA_VALIDATION_FAILED: Value cannot be empty at "
                        "%s/Branches",
                        at);
        const cJSON *branch;
        i = 0;
        cJSON_ArrayForEach(branch, branches)
        {
            snprintf(where, sizeof where, "%s/Branches[%d]", at, i++);
            sfn_check_states(branch, where, p);
        }
    }
    if (strcmp(type, "Map") == 0) {
        const cJSON *proc = sfn__get(state, "ItemProcessor");
        const char *name = "ItemProcessor";
        if (!proc) {
            proc = sfn__get(state, "Iterator");
            name = "Iterator";
        }
        snprintf(where, sizeof where, "%s/%s", at, name);
        if (!proc)
            sfn_problem(p,
                        "SCHEMA_VALIDATION_FAILED: These fields are "
                        "required: [ItemProcessor] at %s",
                        at);
        else
            sfn_check_states(proc, where, p);
    }
}

/* Mark every state reachable from `name`. */
static void sfn_mark(const cJSON *states, const char *name, cJSON *seen)
{
    if (!name || sfn__get(seen, name) || !sfn__get(states, name))
        return;
    cJSON_AddTrueToObject(seen, name);
    const cJSON *state = sfn__get(states, name);
    sfn_mark(states, sfn__str(state, "Next"), seen);
    sfn_mark(states, sfn__str(state, "Default"), seen);
    const cJSON *item;
    cJSON_ArrayForEach(item, sfn__get(state, "Choices"))
    {
        sfn_mark(states, sfn__str(item, "Next"), seen);
    }
    cJSON_ArrayForEach(item, sfn__get(state, "Catch"))
    {
        sfn_mark(states, sfn__str(item, "Next"), seen);
    }
}

static void sfn_check_states(const cJSON *machine, const char *base,
                             sfn_problems *p)
{
    const cJSON *states = sfn__get(machine, "States");
    const char *start = sfn__str(machine, "StartAt");
    if (!cJSON_IsObject(machine) || !cJSON_IsObject(states) || !start) {
        const char *missing = !cJSON_IsObject(states) && !start
                                  ? "States, StartAt"
                              : !start ? "StartAt"
                                       : "States";
        sfn_problem(p,
                    "SCHEMA_VALIDATION_FAILED: These fields are required: "
                    "[%s] at %s",
                    missing, *base ? base : "/");
        return;
    }
    char where[1024];
    snprintf(where, sizeof where, "%s/StartAt", base);
    sfn_check_target(states, start, where, p);

    const cJSON *state;
    cJSON_ArrayForEach(state, states)
    {
        snprintf(where, sizeof where, "%s/States/%s", base, state->string);
        sfn_check_state(states, state, where, p);
    }

    cJSON *seen = cJSON_CreateObject();
    sfn_mark(states, start, seen);
    cJSON_ArrayForEach(state, states)
    {
        if (!sfn__get(seen, state->string))
            sfn_problem(p,
                        "MISSING_TRANSITION_TARGET: State \"%s\" is not "
                        "reachable. at %s/States/%s",
                        state->string, base, state->string);
    }
    cJSON_Delete(seen);
}

/* Parse and check `text`, filling `p`. Returns the tree, or NULL with
 * `err` filled when the text is not a JSON object. */
static cJSON *sfn_definition_run(const char *text, sfn_problems *p,
                                 aws_error *err)
{
    const char *end = NULL;
    cJSON *def = cJSON_ParseWithOpts(text, &end, 1);
    if (!def) {
        aws_fail(err, AWS_ERR_SFN_INVALID_DEFINITION,
                 "Invalid State Machine Definition: 'INVALID_JSON_DESCRIPTION: "
                 "Unexpected character at offset %ld'",
                 end ? (long)(end - text) : 0L);
        return NULL;
    }
    if (!cJSON_IsObject(def)) {
        cJSON_Delete(def);
        aws_fail(err, AWS_ERR_SFN_INVALID_DEFINITION,
                 "Definition must be a valid JSON object");
        return NULL;
    }
    const char *language = sfn__str(def, "QueryLanguage");
    if (language && strcmp(language, "JSONPath") != 0)
        sfn_problem(p,
                    "SCHEMA_VALIDATION_FAILED: The QueryLanguage '%s' is "
                    "not supported by Stratus at /QueryLanguage",
                    language);
    sfn_check_states(def, "", p);
    return def;
}

cJSON *sfn__definition_check(const char *text, const char *type, aws_error *err)
{
    (void)type;
    sfn_problems p = {0};
    strbuf_init(&p.text);
    cJSON *def = sfn_definition_run(text, &p, err);
    if (def && p.count) {
        aws_fail(err, AWS_ERR_SFN_INVALID_DEFINITION,
                 "Invalid State Machine Definition: '%s'", p.text.data);
        cJSON_Delete(def);
        def = NULL;
    }
    strbuf_free(&p.text);
    return def;
}

cJSON *sfn_op_validate_state_machine_definition(aws_request *req,
                                                aws_error *err)
{
    const char *text = sfn__str(req->body, "definition");
    if (!text) {
        aws_fail(err, AWS_ERR_VALIDATION,
                 "1 validation error detected: Value null at 'definition' "
                 "failed to satisfy constraint: Member must not be null");
        return NULL;
    }
    sfn_problems p = {0};
    strbuf_init(&p.text);
    p.diagnostics = cJSON_CreateArray();
    aws_error parse_err;
    memset(&parse_err, 0, sizeof parse_err);
    cJSON *def = sfn_definition_run(text, &p, &parse_err);
    if (!def) {
        /* An unparsable definition is one diagnostic, not an API error. */
        const char *message = parse_err.message;
        const char *quote = strchr(message, '\'');
        char *problem = quote ? xstrndup(quote + 1, strlen(quote + 1) - 1)
                              : xstrdup(message);
        sfn_diagnostic_add(p.diagnostics, problem);
        free(problem);
        aws_error_reset(&parse_err);
    }
    cJSON_Delete(def);
    strbuf_free(&p.text);

    cJSON *out = cJSON_CreateObject();
    int count = cJSON_GetArraySize(p.diagnostics);
    cJSON_AddStringToObject(out, "result", count ? "FAIL" : "OK");
    cJSON_AddItemToObject(out, "diagnostics", p.diagnostics);
    cJSON_AddBoolToObject(out, "truncated", p.count > SFN_PROBLEMS_MAX);
    return out;
}
