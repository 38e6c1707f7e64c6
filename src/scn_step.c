/*
 * scn_step.c: one scenario from its document to its outcome: validate the
 * document, deploy the stack, apply the setup changes and run the steps
 * with their expectations. docs/scenarios.md describes the language.
 */
#include "scn_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "aws.h"
#include "lam.h"
#include "log.h"
#include "stack.h"

/* The HTTP API service mints tokens for `http` steps' `as:` when it is
 * built in. */
#if defined(__has_include)
#if __has_include("apigw.h")
#include "apigw.h"
#define SCN_HAVE_APIGW 1
#endif
/* The same for the Bedrock stand-in's faults (setup.ai_faults). */
#if __has_include("bedrock.h")
#include "bedrock.h"
#define SCN_HAVE_BEDROCK 1
#endif
#endif

/* ---- failures ---- */

static int scn_tree_contains(const cJSON *tree, const cJSON *node)
{
    if (tree == node)
        return 1;
    for (const cJSON *c = tree ? tree->child : NULL; c; c = c->next)
        if (scn_tree_contains(c, node))
            return 1;
    return 0;
}

/* The node of `orig` that `node` of the substituted copy `copy` came
 * from. Substitution keeps the structure, except that a `${...}` string
 * may become a whole subtree: nodes inside it map to that string. */
static const cJSON *scn_original(const cJSON *copy, const cJSON *orig,
                                 const cJSON *node)
{
    if (!copy || !orig)
        return NULL;
    if (copy == node)
        return orig;
    if ((copy->type & 0xFF) != (orig->type & 0xFF))
        return scn_tree_contains(copy, node) ? orig : NULL;
    for (const cJSON *c = copy->child, *o = orig->child; c && o;
         c = c->next, o = o->next) {
        const cJSON *found = scn_original(c, o, node);
        if (found)
            return found;
    }
    return NULL;
}

int scn_fail(scn_run *r, const cJSON *node, const char *fmt, ...)
{
    if (r->failed)
        return -1;
    r->failed = 1;
    /* A node of a substituted copy reports the line of the node it came
     * from, or else the line of its step. */
    r->line = node ? scn_doc_line(r->doc, node) : 0;
    for (size_t i = 0; r->line == 0 && node && i < 2; i++)
        r->line = scn_doc_line(
            r->doc, scn_original(r->copies[i], r->originals[i], node));
    if (r->line == 0 && r->step_node)
        r->line = scn_doc_line(r->doc, r->step_node);
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *text = xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(text, (size_t)n + 1, fmt, ap);
    va_end(ap);
    strbuf_puts(&r->message, text);
    free(text);
    return -1;
}

void scn_fail_state(scn_run *r, cJSON *state)
{
    if (r->state || !state) {
        cJSON_Delete(state);
        return;
    }
    r->state = state;
}

/* ---- validation ---- */

static const char *const scn_top_keys[] = {
    "name",  "description", "stack",    "setup",
    "steps", "timeout",     "requires", "start_time",
};
static const char *const scn_setup_keys[] = {
    "env",           "env_add",        "disable_rule", "enable_rule",
    "remove_policy", "input_template", "faults",       "ai_faults",
};
static const char *const scn_step_kinds[] = {
    "aws",        "http",    "upload", "advance", "settle",  "items",
    "executions", "metrics", "logs",   "dlq",     "elapsed",
};
static const char *const scn_step_modifiers[] = {"name", "expect", "save"};

static int scn_in(const char *s, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, list[i]) == 0)
            return 1;
    return 0;
}

#define SCN_IN(s, list) scn_in((s), (list), sizeof(list) / sizeof *(list))

static int scn_invalid(const scn_doc *doc, const cJSON *node, char *errbuf,
                       size_t errsize, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int scn_invalid(const scn_doc *doc, const cJSON *node, char *errbuf,
                       size_t errsize, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(errbuf, errsize, "line %d: %s", scn_doc_line(doc, node), msg);
    return -1;
}

/* The kind of a step: its one key that names a step kind, or NULL. */
static const cJSON *scn_step_kind(const cJSON *step)
{
    for (const cJSON *m = step->child; m; m = m->next)
        if (SCN_IN(m->string, scn_step_kinds))
            return m;
    return NULL;
}

int scn_validate(const scn_doc *doc, char *errbuf, size_t errsize)
{
    const cJSON *root = doc->root;
    if (!cJSON_IsObject(root))
        return scn_invalid(doc, root, errbuf, errsize,
                           "a scenario is a mapping with name and steps");
    for (const cJSON *m = root->child; m; m = m->next)
        if (!SCN_IN(m->string, scn_top_keys))
            return scn_invalid(doc, m, errbuf, errsize,
                               "unknown key \"%s\" (expected name, "
                               "description, stack, setup, steps, timeout, "
                               "requires or start_time)",
                               m->string);

    const cJSON *name = cJSON_GetObjectItemCaseSensitive(root, "name");
    if (!cJSON_IsString(name) || !name->valuestring[0])
        return scn_invalid(doc, name ? name : root, errbuf, errsize,
                           "the scenario needs a name (a string)");
    const cJSON *timeout = cJSON_GetObjectItemCaseSensitive(root, "timeout");
    int64_t ms;
    if (timeout && scn_duration_value(timeout, &ms) != 0)
        return scn_invalid(doc, timeout, errbuf, errsize,
                           "timeout must be a duration such as 60s");

    const cJSON *start = cJSON_GetObjectItemCaseSensitive(root, "start_time");
    if (start && (!cJSON_IsString(start) ||
                  scn_time_parse(start->valuestring, &ms) != 0))
        return scn_invalid(doc, start, errbuf, errsize,
                           "start_time must be an ISO 8601 UTC time such as "
                           "2026-01-02T03:04:05Z");

    const cJSON *setup = cJSON_GetObjectItemCaseSensitive(root, "setup");
    if (setup && !cJSON_IsObject(setup))
        return scn_invalid(doc, setup, errbuf, errsize,
                           "setup must be a mapping");
    for (const cJSON *m = setup ? setup->child : NULL; m; m = m->next)
        if (!SCN_IN(m->string, scn_setup_keys))
            return scn_invalid(doc, m, errbuf, errsize,
                               "unknown setup key \"%s\" (expected env, "
                               "env_add, disable_rule, enable_rule, "
                               "remove_policy, input_template, faults or "
                               "ai_faults)",
                               m->string);

    const cJSON *steps = cJSON_GetObjectItemCaseSensitive(root, "steps");
    if (!cJSON_IsArray(steps))
        return scn_invalid(doc, steps ? steps : root, errbuf, errsize,
                           "steps must be a list");
    for (const cJSON *s = steps->child; s; s = s->next) {
        if (!cJSON_IsObject(s))
            return scn_invalid(doc, s, errbuf, errsize,
                               "a step is a mapping such as {aws: ...} or "
                               "{advance: 30s}");
        const cJSON *kind = NULL;
        for (const cJSON *m = s->child; m; m = m->next) {
            if (SCN_IN(m->string, scn_step_kinds)) {
                if (kind)
                    return scn_invalid(doc, m, errbuf, errsize,
                                       "a step has one kind, this one has "
                                       "%s and %s",
                                       kind->string, m->string);
                kind = m;
            } else if (!SCN_IN(m->string, scn_step_modifiers)) {
                return scn_invalid(
                    doc, m, errbuf, errsize,
                    "unknown step key \"%s\" (step kinds: aws, http, upload, "
                    "advance, settle, items, executions, metrics, logs, dlq, "
                    "elapsed; with name, expect, save)",
                    m->string);
            }
        }
        if (!kind)
            return scn_invalid(doc, s, errbuf, errsize,
                               "the step has no kind (aws, http, upload, "
                               "advance, settle, items, executions, "
                               "metrics, logs, dlq or elapsed)");
        if (strcmp(kind->string, "advance") == 0 &&
            scn_duration_value(kind, &ms) != 0)
            return scn_invalid(doc, kind, errbuf, errsize,
                               "advance takes a duration such as 30s, got %s",
                               cJSON_IsString(kind) ? kind->valuestring
                                                    : "a non-duration");
        if (strcmp(kind->string, "aws") == 0) {
            const cJSON *svc =
                cJSON_GetObjectItemCaseSensitive(kind, "service");
            const cJSON *op =
                cJSON_GetObjectItemCaseSensitive(kind, "operation");
            if (!cJSON_IsString(svc) || !cJSON_IsString(op))
                return scn_invalid(doc, kind, errbuf, errsize,
                                   "an aws step needs service and operation");
        }
        const cJSON *expect = cJSON_GetObjectItemCaseSensitive(s, "expect");
        if (expect && !cJSON_IsObject(expect))
            return scn_invalid(doc, expect, errbuf, errsize,
                               "expect must be a mapping");
    }
    return 0;
}

/* ---- paths and names ---- */

/* Resolve `path` against the scenario's directory when it exists there,
 * else keep it relative to the working directory. */
static void scn_resolve(const scn_run *r, const char *path, char *out,
                        size_t size)
{
    if (path[0] != '/') {
        snprintf(out, size, "%s/%s", r->dir, path);
        if (access(out, R_OK) == 0)
            return;
    }
    snprintf(out, size, "%s", path);
}

static const char *scn_str(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* ---- setup ---- */

/* env: UpdateFunctionConfiguration with the whole Variables map replaced,
 * as the API does; env_add (`merge`) keeps the variables not named. */
static int scn_setup_env(scn_run *r, const cJSON *env, int merge)
{
    for (const cJSON *fn = env->child; fn; fn = fn->next) {
        if (!cJSON_IsObject(fn))
            return scn_fail(r, fn, "%s.%s must map variable names to values",
                            env->string, fn->string);
        cJSON *params = cJSON_CreateObject();
        cJSON_AddStringToObject(params, "FunctionName", fn->string);
        cJSON *vars = NULL;
        if (merge) {
            /* env_add keeps the function's other variables. */
            cJSON *resp;
            const cJSON *config = scn_aws_ok(
                r, fn, "lambda", "GetFunctionConfiguration", params, &resp);
            if (!config) {
                cJSON_Delete(params);
                cJSON_Delete(resp);
                return -1;
            }
            vars = cJSON_Duplicate(
                cJSON_GetObjectItemCaseSensitive(
                    cJSON_GetObjectItemCaseSensitive(config, "Environment"),
                    "Variables"),
                1);
            cJSON_Delete(resp);
        }
        if (!cJSON_IsObject(vars)) {
            cJSON_Delete(vars);
            vars = cJSON_CreateObject();
        }
        for (const cJSON *v = fn->child; v; v = v->next) {
            cJSON_DeleteItemFromObjectCaseSensitive(vars, v->string);
            if (cJSON_IsString(v)) {
                cJSON_AddStringToObject(vars, v->string, v->valuestring);
            } else {
                char *text = cJSON_PrintUnformatted(v);
                cJSON_AddStringToObject(vars, v->string, text);
                free(text);
            }
        }
        cJSON *e = cJSON_AddObjectToObject(params, "Environment");
        cJSON_AddItemToObject(e, "Variables", vars);
        cJSON *resp;
        const cJSON *ok = scn_aws_ok(
            r, fn, "lambda", "UpdateFunctionConfiguration", params, &resp);
        cJSON_Delete(params);
        cJSON_Delete(resp);
        if (!ok)
            return -1;
    }
    return 0;
}

/* One or a list of {name, bus} rules for DisableRule or EnableRule. */
static int scn_setup_rule_state(scn_run *r, const cJSON *spec,
                                const char *operation)
{
    if (cJSON_IsArray(spec)) {
        for (const cJSON *s = spec->child; s; s = s->next)
            if (scn_setup_rule_state(r, s, operation) != 0)
                return -1;
        return 0;
    }
    cJSON *params = cJSON_CreateObject();
    if (cJSON_IsString(spec)) {
        cJSON_AddStringToObject(params, "Name", spec->valuestring);
    } else {
        const char *name = scn_str(spec, "name");
        const char *bus = scn_str(spec, "bus");
        if (!name) {
            cJSON_Delete(params);
            return scn_fail(r, spec, "%s needs the rule's name", operation);
        }
        cJSON_AddStringToObject(params, "Name", name);
        if (bus)
            cJSON_AddStringToObject(params, "EventBusName", bus);
    }
    cJSON *resp;
    const cJSON *ok = scn_aws_ok(r, spec, "events", operation, params, &resp);
    cJSON_Delete(params);
    cJSON_Delete(resp);
    return ok ? 0 : -1;
}

/* Replace the InputTemplate of one rule target: {rule, bus, target,
 * template}; `target` may be left out when the rule has one target. */
static int scn_setup_input_template(scn_run *r, const cJSON *spec)
{
    const char *rule = scn_str(spec, "rule");
    const char *bus = scn_str(spec, "bus");
    const char *target_id = scn_str(spec, "target");
    const char *tmpl = scn_str(spec, "template");
    if (!rule || !tmpl)
        return scn_fail(r, spec, "input_template needs rule and template");

    cJSON *params = cJSON_CreateObject();
    cJSON_AddStringToObject(params, "Rule", rule);
    if (bus)
        cJSON_AddStringToObject(params, "EventBusName", bus);
    cJSON *resp;
    const cJSON *body =
        scn_aws_ok(r, spec, "events", "ListTargetsByRule", params, &resp);
    if (!body) {
        cJSON_Delete(params);
        cJSON_Delete(resp);
        return -1;
    }
    const cJSON *targets = cJSON_GetObjectItemCaseSensitive(body, "Targets");
    cJSON *chosen = NULL;
    for (const cJSON *t = targets ? targets->child : NULL; t; t = t->next) {
        const char *id = scn_str(t, "Id");
        if (!target_id || (id && strcmp(id, target_id) == 0)) {
            if (chosen && !target_id) {
                cJSON_Delete(chosen);
                cJSON_Delete(params);
                cJSON_Delete(resp);
                return scn_fail(r, spec,
                                "rule %s has several targets; name one "
                                "with target",
                                rule);
            }
            cJSON_Delete(chosen);
            chosen = cJSON_Duplicate(t, 1);
        }
    }
    cJSON_Delete(resp);
    if (!chosen) {
        cJSON_Delete(params);
        return scn_fail(r, spec, "rule %s has no target %s", rule,
                        target_id ? target_id : "");
    }
    cJSON *transformer =
        cJSON_GetObjectItemCaseSensitive(chosen, "InputTransformer");
    if (!transformer)
        transformer = cJSON_AddObjectToObject(chosen, "InputTransformer");
    cJSON_DeleteItemFromObjectCaseSensitive(transformer, "InputTemplate");
    cJSON_AddStringToObject(transformer, "InputTemplate", tmpl);
    cJSON_DeleteItemFromObjectCaseSensitive(chosen, "Input");
    cJSON_DeleteItemFromObjectCaseSensitive(chosen, "InputPath");
    cJSON *list = cJSON_AddArrayToObject(params, "Targets");
    cJSON_AddItemToArray(list, chosen);
    body = scn_aws_ok(r, spec, "events", "PutTargets", params, &resp);
    cJSON_Delete(params);
    int failed =
        body && cJSON_GetObjectItemCaseSensitive(body, "FailedEntryCount")
                        ->valuedouble > 0;
    if (failed) {
        char *text = cJSON_PrintUnformatted(body);
        scn_fail(r, spec, "PutTargets rejected the new template: %s", text);
        free(text);
    }
    cJSON_Delete(resp);
    return body && !failed ? 0 : -1;
}

/* remove_policy: one or a list of {role, policy}: DeleteRolePolicy, so
 * the role loses that inline policy as `aws iam delete-role-policy`
 * would do. */
static int scn_setup_remove_policy(scn_run *r, const cJSON *spec)
{
    if (cJSON_IsArray(spec)) {
        for (const cJSON *s = spec->child; s; s = s->next)
            if (scn_setup_remove_policy(r, s) != 0)
                return -1;
        return 0;
    }
    const char *role = scn_str(spec, "role");
    const char *policy = scn_str(spec, "policy");
    if (!role || !policy)
        return scn_fail(r, spec, "remove_policy needs role and policy");
    if (!aws_service_by_name("iam"))
        return scn_fail(r, spec,
                        "remove_policy needs the IAM service, which this "
                        "build does not include");
    cJSON *params = cJSON_CreateObject();
    cJSON_AddStringToObject(params, "RoleName", role);
    cJSON_AddStringToObject(params, "PolicyName", policy);
    cJSON *resp;
    const cJSON *ok =
        scn_aws_ok(r, spec, "iam", "DeleteRolePolicy", params, &resp);
    cJSON_Delete(params);
    cJSON_Delete(resp);
    return ok ? 0 : -1;
}

static int scn_fault_count(scn_run *r, const cJSON *count, int *out);

/*
 * ai_faults: {kind, count, latency}: the next `count` Bedrock Converse
 * calls (all: every one) fail with `kind` (throttling, model-error,
 * internal, unavailable, timeout, or none for latency only), each after
 * `latency`.
 */
static int scn_setup_ai_faults(scn_run *r, const cJSON *spec)
{
    const char *kind = scn_str(spec, "kind");
    const cJSON *count = cJSON_GetObjectItemCaseSensitive(spec, "count");
    const cJSON *latency = cJSON_GetObjectItemCaseSensitive(spec, "latency");
    int n = -1;
    int64_t latency_ms = 0;
    if (!kind)
        return scn_fail(r, spec,
                        "ai_faults needs kind (throttling, model-error, "
                        "internal, unavailable, timeout or none)");
    if (count && scn_fault_count(r, count, &n) != 0)
        return -1;
    if (latency &&
        (scn_duration_value(latency, &latency_ms) != 0 || latency_ms > 600000))
        return scn_fail(r, latency,
                        "ai_faults.latency takes a duration up to 10m");
#ifdef SCN_HAVE_BEDROCK
    if (bedrock_fault_set(r->srv, kind, n, (int)latency_ms) != 0)
        return scn_fail(r, spec,
                        "ai_faults: invalid kind \"%s\" (throttling, "
                        "model-error, internal, unavailable, timeout or "
                        "none)",
                        kind);
    return 0;
#else
    return scn_fail(r, spec,
                    "setup.ai_faults needs the Bedrock stand-in, which this "
                    "build does not include");
#endif
}

/* A fault count: a positive number, or "all" (every invocation, -1). */
static int scn_fault_count(scn_run *r, const cJSON *count, int *out)
{
    if (cJSON_IsString(count) && strcmp(count->valuestring, "all") == 0) {
        *out = -1;
        return 0;
    }
    if (cJSON_IsNumber(count) && count->valuedouble >= 1 &&
        count->valuedouble == (double)count->valueint) {
        *out = count->valueint;
        return 0;
    }
    return scn_fail(r, count, "a fault count is a positive integer or all");
}

/*
 * faults: {function: one of {error: N, error_type, message}, {timeout: N},
 * {throttle: N}, {delay: DURATION, count: N}}, set with lam_fault_apply.
 */
static int scn_setup_faults(scn_run *r, const cJSON *faults)
{
    static const struct {
        const char *key;
        lam_fault_kind kind;
    } kinds[] = {{"error", LAM_FAULT_ERROR},
                 {"timeout", LAM_FAULT_TIMEOUT},
                 {"throttle", LAM_FAULT_THROTTLE},
                 {"delay", LAM_FAULT_LATENCY}};

    for (const cJSON *fn = faults->child; fn; fn = fn->next) {
        lam_fault fault;
        const cJSON *value = NULL;
        memset(&fault, 0, sizeof fault);
        for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(fn, kinds[i].key);
            if (!v)
                continue;
            if (value)
                return scn_fail(r, fn,
                                "faults.%s sets two kinds; a function has "
                                "one fault at a time",
                                fn->string);
            value = v;
            fault.kind = kinds[i].kind;
        }
        if (!value)
            return scn_fail(r, fn,
                            "faults.%s needs error, timeout or throttle with "
                            "a count, or delay with a duration",
                            fn->string);

        if (fault.kind == LAM_FAULT_LATENCY) {
            const cJSON *count = cJSON_GetObjectItemCaseSensitive(fn, "count");
            fault.count = -1;
            if (scn_duration_value(value, &fault.latency_ms) != 0 ||
                fault.latency_ms <= 0)
                return scn_fail(r, value,
                                "faults.%s.delay takes a duration such as "
                                "2s",
                                fn->string);
            if (count && scn_fault_count(r, count, &fault.count) != 0)
                return -1;
        } else if (scn_fault_count(r, value, &fault.count) != 0) {
            return -1;
        }
        fault.error_type = scn_str(fn, "error_type");
        fault.message = scn_str(fn, "message");

        aws_error err;
        memset(&err, 0, sizeof err);
        if (lam_fault_apply(r->srv, r->account, r->region, fn->string, &fault,
                            &err) != 0) {
            scn_fail(r, fn, "faults.%s: %s", fn->string, err.message);
            aws_error_reset(&err);
            return -1;
        }
    }
    return 0;
}

static int scn_setup(scn_run *r, const cJSON *setup)
{
    r->step_kind = "setup";
    snprintf(r->step, sizeof r->step, "setup");
    for (const cJSON *m = setup ? setup->child : NULL; m; m = m->next) {
        int rc = 0;
        snprintf(r->step, sizeof r->step, "setup.%s", m->string);
        if (strcmp(m->string, "env") == 0 || strcmp(m->string, "env_add") == 0)
            rc = scn_setup_env(r, m, m->string[3] == '_');
        else if (strcmp(m->string, "disable_rule") == 0)
            rc = scn_setup_rule_state(r, m, "DisableRule");
        else if (strcmp(m->string, "enable_rule") == 0)
            rc = scn_setup_rule_state(r, m, "EnableRule");
        else if (strcmp(m->string, "input_template") == 0)
            rc = scn_setup_input_template(r, m);
        else if (strcmp(m->string, "faults") == 0)
            rc = scn_setup_faults(r, m);
        else if (strcmp(m->string, "remove_policy") == 0)
            rc = scn_setup_remove_policy(r, m);
        else if (strcmp(m->string, "ai_faults") == 0)
            rc = scn_setup_ai_faults(r, m);
        if (rc != 0)
            return -1;
    }
    return 0;
}

/* ---- steps ---- */

/* Check a step's expect: against its response. */
static int scn_expect_response(scn_run *r, const cJSON *expect,
                               const cJSON *resp)
{
    char why[1200];
    for (const cJSON *m = expect ? expect->child : NULL; m; m = m->next) {
        const char *what = m->string;
        const cJSON *actual = NULL;
        if (strcmp(what, "status") == 0 || strcmp(what, "error") == 0) {
            actual = cJSON_GetObjectItemCaseSensitive(resp, what);
        } else if (strcmp(what, "message") == 0) {
            const cJSON *body = cJSON_GetObjectItemCaseSensitive(resp, "body");
            actual = cJSON_GetObjectItemCaseSensitive(body, "message");
            if (!actual)
                actual = cJSON_GetObjectItemCaseSensitive(body, "Message");
        } else if (strcmp(what, "body") == 0 || strcmp(what, "headers") == 0) {
            const cJSON *part = cJSON_GetObjectItemCaseSensitive(resp, what);
            /* A matcher or a plain value applies to the whole part; any
             * other mapping is a map of paths into it. */
            if (!cJSON_IsObject(m) || scn_is_matcher(m)) {
                int rc = scn_match(part, m, why, sizeof why);
                if (rc != 1)
                    return scn_fail(r, m, "%s: %s", what, why);
                continue;
            }
            if (scn_check_paths(r, m, part, what) != 0)
                return -1;
            continue;
        } else {
            return scn_fail(r, m,
                            "unknown expectation \"%s\" (status, error, "
                            "message, body, headers)",
                            what);
        }
        int rc = scn_match(actual, m, why, sizeof why);
        if (rc != 1)
            return scn_fail(r, m, "%s: %s", what, why);
    }
    return 0;
}

/* Fail a step that has no expect: and did not succeed, naming the AWS
 * error and its message. */
static int scn_fail_status(scn_run *r, const cJSON *node, const cJSON *resp)
{
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(resp, "status");
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(resp, "error");
    const cJSON *body = cJSON_GetObjectItemCaseSensitive(resp, "body");
    const cJSON *message = cJSON_GetObjectItemCaseSensitive(body, "message");
    if (!message)
        message = cJSON_GetObjectItemCaseSensitive(body, "Message");
    return scn_fail(r, node,
                    "the call failed with status %d%s%s%s%s; add expect: "
                    "{status: ...} when a failure is expected",
                    (int)status->valuedouble, cJSON_IsString(error) ? " " : "",
                    cJSON_IsString(error) ? error->valuestring : "",
                    cJSON_IsString(message) ? ": " : "",
                    cJSON_IsString(message) ? message->valuestring : "");
}

/* save: NAME keeps the whole body; save: {name: path} keeps parts. */
static int scn_save(scn_run *r, const cJSON *save, const cJSON *resp)
{
    const cJSON *body = cJSON_GetObjectItemCaseSensitive(resp, "body");
    if (cJSON_IsString(save)) {
        cJSON_DeleteItemFromObjectCaseSensitive(r->vars, save->valuestring);
        cJSON_AddItemToObject(r->vars, save->valuestring,
                              cJSON_Duplicate(body, 1));
        return 0;
    }
    if (!cJSON_IsObject(save))
        return scn_fail(r, save, "save takes a name or {name: path}");
    for (const cJSON *m = save->child; m; m = m->next) {
        char why[256];
        if (!cJSON_IsString(m))
            return scn_fail(r, m, "save.%s must be a path", m->string);
        cJSON *v =
            strcmp(m->valuestring, "status") == 0
                ? cJSON_Duplicate(
                      cJSON_GetObjectItemCaseSensitive(resp, "status"), 1)
                : scn_path_get(body, m->valuestring, why, sizeof why);
        if (!v) {
            scn_fail(r, m, "save.%s: %s in the response", m->string, why);
            scn_fail_state(r, cJSON_Duplicate(resp, 1));
            return -1;
        }
        cJSON_DeleteItemFromObjectCaseSensitive(r->vars, m->string);
        cJSON_AddItemToObject(r->vars, m->string, v);
    }
    return 0;
}

static cJSON *scn_step_aws(scn_run *r, const cJSON *spec)
{
    return scn_aws_call(r, spec, scn_str(spec, "service"),
                        scn_str(spec, "operation"),
                        cJSON_GetObjectItemCaseSensitive(spec, "params"),
                        cJSON_GetObjectItemCaseSensitive(spec, "headers"),
                        scn_str(spec, "protocol"));
}

/*
 * as: USER or {user, token_use: id|access, expires_in: DURATION}: add
 * "Authorization: Bearer <JWT>" for that user of fixtures/auth/users.json,
 * issued at the instance clock's now, unless the step sets the header.
 */
static int scn_bearer_token(scn_run *r, const cJSON *as, cJSON *headers)
{
    for (const cJSON *h = headers->child; h; h = h->next)
        if (strcasecmp(h->string, "Authorization") == 0)
            return 0;
#ifdef SCN_HAVE_APIGW
    apigw_jwt_options options;
    memset(&options, 0, sizeof options);
    options.user = cJSON_IsString(as) ? as->valuestring : scn_str(as, "user");
    options.token_use = scn_str(as, "token_use");
    options.issued_at = clock_now_ms(&r->srv->clock) / 1000;
    /* A negative lifetime ("-1m") mints a token that has expired. */
    const cJSON *expires = cJSON_GetObjectItemCaseSensitive(as, "expires_in");
    int64_t expires_ms;
    if (expires) {
        int negative =
            cJSON_IsString(expires) && expires->valuestring[0] == '-';
        int rc = negative
                     ? scn_duration_parse(expires->valuestring + 1, &expires_ms)
                     : scn_duration_value(expires, &expires_ms);
        if (rc != 0)
            return scn_fail(r, expires,
                            "as.expires_in takes a duration such as 1h or "
                            "-1m");
        options.expires_in = (negative ? -expires_ms : expires_ms) / 1000;
        options.expires_in_set = 1;
    }
    if (!options.user)
        return scn_fail(r, as,
                        "as takes a user name or {user, token_use, "
                        "expires_in}");
    char errbuf[256];
    char *token = apigw_jwt_mint(&options, errbuf, sizeof errbuf);
    if (!token)
        return scn_fail(r, as, "cannot mint a token for %s: %s", options.user,
                        errbuf);
    strbuf value;
    strbuf_init(&value);
    strbuf_printf(&value, "Bearer %s", token);
    cJSON_AddStringToObject(headers, "Authorization", value.data);
    strbuf_free(&value);
    free(token);
    return 0;
#else
    return scn_fail(r, as,
                    "http.as needs the HTTP API service's token minting, "
                    "which this build does not include");
#endif
}

static cJSON *scn_step_http(scn_run *r, const cJSON *spec)
{
    const char *method = scn_str(spec, "method");
    const char *path = scn_str(spec, "path");
    const char *port_name = scn_str(spec, "port");
    if (!path) {
        scn_fail(r, spec, "an http step needs a path");
        return NULL;
    }
    int port =
        port_name && strcmp(port_name, "aws") == 0 ? r->aws_port : r->api_port;
    cJSON *headers =
        cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(spec, "headers"), 1);
    if (!headers)
        headers = cJSON_CreateObject();
    const cJSON *as = cJSON_GetObjectItemCaseSensitive(spec, "as");
    if (as && scn_bearer_token(r, as, headers) != 0) {
        cJSON_Delete(headers);
        return NULL;
    }
    const cJSON *body = cJSON_GetObjectItemCaseSensitive(spec, "body");
    char *text = NULL;
    if (cJSON_IsString(body)) {
        text = xstrdup(body->valuestring);
    } else if (body) {
        text = cJSON_PrintUnformatted(body);
        if (!cJSON_GetObjectItemCaseSensitive(headers, "Content-Type"))
            cJSON_AddStringToObject(headers, "Content-Type",
                                    "application/json");
    }
    cJSON *resp = scn_http_send(r, spec, port, method ? method : "GET", path,
                                headers, text, text ? strlen(text) : 0);
    free(text);
    cJSON_Delete(headers);
    return resp;
}

/* upload: {bucket, key, file, content_type}: an in-process PutObject with
 * the fixture's bytes. */
static cJSON *scn_step_upload(scn_run *r, const cJSON *spec)
{
    const char *bucket = scn_str(spec, "bucket");
    const char *key = scn_str(spec, "key");
    const char *file = scn_str(spec, "file");
    if (!bucket || !key || !file) {
        scn_fail(r, spec, "upload needs bucket, key and file");
        return NULL;
    }
    if (!aws_service_by_name("s3")) {
        scn_fail(r, spec,
                 "upload needs the S3 service, which this build "
                 "does not include");
        return NULL;
    }
    char path[1100];
    scn_resolve(r, file, path, sizeof path);
    FILE *f = fopen(path, "rb");
    if (!f) {
        scn_fail(r, spec, "cannot read the fixture %s", path);
        return NULL;
    }
    strbuf data;
    strbuf_init(&data);
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        strbuf_append(&data, chunk, n);
    fclose(f);

    cJSON *params = cJSON_CreateObject();
    cJSON_AddStringToObject(params, "Bucket", bucket);
    cJSON_AddStringToObject(params, "Key", key);
    const char *type = scn_str(spec, "content_type");
    cJSON_AddStringToObject(params, "ContentType",
                            type ? type : "application/octet-stream");
    cJSON *resp = scn_aws_call_bytes(r, spec, "s3", "PutObject", params,
                                     data.data ? data.data : "", data.len);
    cJSON_Delete(params);
    strbuf_free(&data);
    return resp;
}

static int scn_step_run(scn_run *r, const cJSON *step, int index)
{
    const cJSON *kind_node = scn_step_kind(step);
    const char *label = scn_str(step, "name");
    r->step_kind = kind_node->string;
    snprintf(r->step, sizeof r->step, "step %d (%s%s%s)", index + 1,
             kind_node->string, label ? ": " : "", label ? label : "");

    r->step_node = kind_node;
    char errbuf[512];
    cJSON *spec = scn_substitute(kind_node, r->vars, errbuf, sizeof errbuf);
    if (!spec)
        return scn_fail(r, kind_node, "%s", errbuf);
    r->copies[0] = spec;
    r->originals[0] = kind_node;
    const char *kind = kind_node->string;
    int rc = 0;
    cJSON *resp = NULL;

    if (strcmp(kind, "aws") == 0 || strcmp(kind, "http") == 0 ||
        strcmp(kind, "upload") == 0) {
        resp = kind[0] == 'a'   ? scn_step_aws(r, spec)
               : kind[0] == 'h' ? scn_step_http(r, spec)
                                : scn_step_upload(r, spec);
        if (!resp) {
            rc = -1;
        } else {
            const cJSON *expect_node =
                cJSON_GetObjectItemCaseSensitive(step, "expect");
            cJSON *expect = expect_node ? scn_substitute(expect_node, r->vars,
                                                         errbuf, sizeof errbuf)
                                        : NULL;
            if (expect_node && !expect) {
                rc = scn_fail(r, expect_node, "%s", errbuf);
            } else if (!expect_node) {
                /* Without expect a step must succeed. */
                const cJSON *status =
                    cJSON_GetObjectItemCaseSensitive(resp, "status");
                if (status->valuedouble >= 300 && kind[0] != 'h')
                    rc = scn_fail_status(r, kind_node, resp);
            } else {
                r->copies[1] = expect;
                r->originals[1] = expect_node;
                rc = scn_expect_response(r, expect, resp);
            }
            r->copies[1] = r->originals[1] = NULL;
            cJSON_Delete(expect);
            const cJSON *save = cJSON_GetObjectItemCaseSensitive(step, "save");
            if (rc == 0 && save)
                rc = scn_save(r, save, resp);
            if (rc != 0)
                scn_fail_state(r, cJSON_Duplicate(resp, 1));
        }
    } else if (strcmp(kind, "advance") == 0) {
        int64_t ms = 0;
        scn_duration_value(spec, &ms);
        rc = scn_advance(r, kind_node, ms);
    } else if (strcmp(kind, "settle") == 0) {
        int64_t max = SCN_SETTLE_DEFAULT_MS;
        const cJSON *m = cJSON_IsObject(spec)
                             ? cJSON_GetObjectItemCaseSensitive(spec, "max")
                             : (cJSON_IsTrue(spec) ? NULL : spec);
        if (m && scn_duration_value(m, &max) != 0)
            return scn_fail(r, kind_node,
                            "settle takes true, a duration or {max: "
                            "duration}");
        rc = scn_settle(r, kind_node, max);
    } else {
        if (strcmp(kind, "executions") == 0)
            rc = scn_check_executions(r, spec);
        else if (strcmp(kind, "items") == 0)
            rc = scn_check_items(r, spec);
        else if (strcmp(kind, "metrics") == 0)
            rc = scn_check_metrics(r, spec);
        else if (strcmp(kind, "dlq") == 0)
            rc = scn_check_dlq(r, spec);
        else if (strcmp(kind, "logs") == 0)
            rc = scn_check_logs(r, spec);
        else
            rc = scn_check_elapsed(r, spec);
    }
    r->copies[0] = r->originals[0] = NULL;
    cJSON_Delete(resp);
    cJSON_Delete(spec);
    return rc;
}

static void scn_builtin_vars(scn_run *r)
{
    char url[64], iso[32];
    cJSON_AddStringToObject(r->vars, "account", r->account);
    cJSON_AddStringToObject(r->vars, "region", r->region);
    snprintf(url, sizeof url, "http://127.0.0.1:%d", r->aws_port);
    cJSON_AddStringToObject(r->vars, "aws_endpoint", url);
    snprintf(url, sizeof url, "http://127.0.0.1:%d", r->api_port);
    cJSON_AddStringToObject(r->vars, "api_endpoint", url);
    clock_format_iso(r->start_ms, iso);
    cJSON_AddStringToObject(r->vars, "start_time", iso);
    cJSON_AddNumberToObject(r->vars, "start_ms", (double)r->start_ms);
}

/* Read a stack file as JSON; NULL when unreadable or invalid. */
static cJSON *scn_stack_read(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    strbuf text;
    strbuf_init(&text);
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        strbuf_append(&text, chunk, n);
    fclose(f);
    char errbuf[256];
    cJSON *doc = stack_yaml_to_json(text.data ? text.data : "", text.len,
                                    errbuf, sizeof errbuf);
    strbuf_free(&text);
    return doc;
}

/* The first resource type of the stack file that this build lacks, or
 * NULL (also when the file cannot be read: deploying it reports that). */
static char *scn_stack_missing_type(const char *path)
{
    cJSON *doc = scn_stack_read(path);
    const cJSON *resources = cJSON_GetObjectItemCaseSensitive(doc, "Resources");
    char *missing = NULL;
    for (const cJSON *res = resources ? resources->child : NULL;
         res && !missing; res = res->next) {
        const char *type = scn_str(res, "Type");
        int known = 0;
        for (size_t i = 0; type && i < stack_type_count && !known; i++)
            known = strcmp(stack_types[i].type, type) == 0;
        if (type && !known)
            missing = xstrdup(type);
    }
    cJSON_Delete(doc);
    return missing;
}

/* Read Account and Region of the stack file, when it names them. */
static void scn_stack_scope(scn_run *r, const char *path)
{
    cJSON *doc = scn_stack_read(path);
    const char *account = scn_str(doc, "Account");
    const char *region = scn_str(doc, "Region");
    if (account)
        snprintf(r->account, sizeof r->account, "%s", account);
    if (region)
        snprintf(r->region, sizeof r->region, "%s", region);
    cJSON_Delete(doc);
}

/*
 * Deploy one stack entry: a file name, or {file, optional: true}, which is
 * skipped when the build lacks one of the file's resource types (roles in
 * a build without IAM). Returns 1 when applied, 0 when skipped, -1 on a
 * failure.
 */
static int scn_deploy_one(scn_run *r, const cJSON *entry, const char *given)
{
    char path[1100], errbuf[1024];
    int optional = 0;
    if (cJSON_IsObject(entry)) {
        given = scn_str(entry, "file");
        optional =
            cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(entry, "optional"));
    } else if (entry) {
        given = cJSON_IsString(entry) ? entry->valuestring : NULL;
    }
    if (!given)
        return scn_fail(r, entry,
                        "a stack entry is a file name or {file, optional}");
    scn_resolve(r, given, path, sizeof path);

    if (optional) {
        char *missing = scn_stack_missing_type(path);
        if (missing) {
            log_info("scenario",
                     "skipped the optional stack %s: this build "
                     "has no %s",
                     path, missing);
            free(missing);
            return 0;
        }
    }
    if (stack_apply_file(r->srv, path, errbuf, sizeof errbuf) != 0)
        return scn_fail(r, entry, "deploying the stack failed: %s", errbuf);
    return 1;
}

/* Deploy `stack`: an entry, a list of entries applied in order (the first
 * applied file's Account and Region count), "none", or absent (the
 * default stack). */
static int scn_deploy(scn_run *r, const cJSON *stack)
{
    if (cJSON_IsNull(stack) ||
        (cJSON_IsString(stack) && strcmp(stack->valuestring, "none") == 0))
        return 0;
    if (!stack) {
        scn_stack_scope(r, "pipeline/stack.yaml");
        return scn_deploy_one(r, NULL, "pipeline/stack.yaml") < 0 ? -1 : 0;
    }
    int first = 1;
    const cJSON *one = cJSON_IsArray(stack) ? stack->child : stack;
    for (; one; one = cJSON_IsArray(stack) ? one->next : NULL) {
        if (first) {
            const char *file = cJSON_IsObject(one)   ? scn_str(one, "file")
                               : cJSON_IsString(one) ? one->valuestring
                                                     : NULL;
            char path[1100];
            if (file) {
                scn_resolve(r, file, path, sizeof path);
                scn_stack_scope(r, path);
            }
            first = 0;
        }
        if (scn_deploy_one(r, one, NULL) < 0)
            return -1;
    }
    return 0;
}

int scn_execute(scn_run *r)
{
    const cJSON *root = r->doc->root;
    const cJSON *stack = cJSON_GetObjectItemCaseSensitive(root, "stack");
    /* A fixed start makes times in outputs and items repeatable. */
    const cJSON *start = cJSON_GetObjectItemCaseSensitive(root, "start_time");
    int64_t start_ms;
    if (cJSON_IsString(start) &&
        scn_time_parse(start->valuestring, &start_ms) == 0)
        clock_init_virtual(&r->srv->clock, start_ms);

    snprintf(r->step, sizeof r->step, "stack");
    r->step_kind = "stack";
    if (scn_deploy(r, stack) != 0)
        return -1;

    r->start_ms = clock_now_ms(&r->srv->clock);
    scn_builtin_vars(r);
    if (scn_setup(r, cJSON_GetObjectItemCaseSensitive(root, "setup")) != 0)
        return -1;

    const cJSON *steps = cJSON_GetObjectItemCaseSensitive(root, "steps");
    int index = 0;
    for (const cJSON *s = steps->child; s; s = s->next, index++)
        if (scn_step_run(r, s, index) != 0)
            return -1;
    return 0;
}
