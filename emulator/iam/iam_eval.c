/*
 * iam_eval.c: IAM policy validation and evaluation (see iam_eval.h).
 *
 * Evaluation follows AWS's documented order for one policy. A statement
 * applies when its action, resource, principal and every condition match.
 * An applying Deny wins over an applying Allow, and with neither the
 * request is implicitly denied.
 */
#include "iam_eval.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

int iam_wildcard_match(const char *pattern, const char *text, int ignore_case)
{
    /* Greedy matching with one backtrack point (the last '*'), which is
     * linear in practice and never recurses. */
    const char *p = pattern, *t = text;
    const char *star = NULL, *resume = NULL;

    while (*t) {
        char pc = *p, tc = *t;
        if (ignore_case) {
            pc = (char)tolower((unsigned char)pc);
            tc = (char)tolower((unsigned char)tc);
        }
        if (*p == '*') {
            star = p++;
            resume = t;
        } else if (*p && (*p == '?' || pc == tc)) {
            p++;
            t++;
        } else if (star) {
            p = star + 1;
            t = ++resume;
        } else {
            return 0;
        }
    }
    while (*p == '*')
        p++;
    return *p == '\0';
}

iam_decision iam_decision_combine(iam_decision a, iam_decision b)
{
    if (a == IAM_EXPLICIT_DENY || b == IAM_EXPLICIT_DENY)
        return IAM_EXPLICIT_DENY;
    if (a == IAM_ALLOW || b == IAM_ALLOW)
        return IAM_ALLOW;
    return IAM_IMPLICIT_DENY;
}

const char *iam_decision_name(iam_decision d)
{
    switch (d) {
    case IAM_ALLOW:
        return "allowed";
    case IAM_EXPLICIT_DENY:
        return "explicitDeny";
    default:
        return "implicitDeny";
    }
}

/* Call `fn` on each string of a string-or-array member; returns 1 as soon
 * as `fn` does. */
static int iam_any_string(const cJSON *value,
                          int (*fn)(const char *s, const void *arg),
                          const void *arg)
{
    if (cJSON_IsString(value))
        return fn(value->valuestring, arg);
    const cJSON *e;
    cJSON_ArrayForEach(e, value) if (cJSON_IsString(e) &&
                                     fn(e->valuestring, arg)) return 1;
    return 0;
}

static int iam_action_matches(const char *pattern, const void *arg)
{
    return iam_wildcard_match(pattern, (const char *)arg, 1);
}

static int iam_resource_matches(const char *pattern, const void *arg)
{
    return iam_wildcard_match(pattern, (const char *)arg, 0);
}

/* The account of a principal ARN ("arn:aws:iam::123456789012:role/x"). */
static int iam_arn_account(const char *arn, char out[13])
{
    const char *p = arn;
    for (int colons = 0; colons < 4; colons++) {
        p = strchr(p, ':');
        if (!p)
            return -1;
        p++;
    }
    const char *end = strchr(p, ':');
    if (!end || end - p != 12)
        return -1;
    memcpy(out, p, 12);
    out[12] = '\0';
    return 0;
}

/* Whether the AWS principal `value` of a policy names the caller. */
static int iam_aws_principal_matches(const char *value, const void *arg)
{
    const iam_eval_request *req = arg;
    const char *caller = req->principal_arn;
    if (!caller)
        return 0;
    if (strcmp(value, "*") == 0)
        return 1;

    char account[13] = "";
    const char *caller_account = req->principal_account;
    if (!caller_account && iam_arn_account(caller, account) == 0)
        caller_account = account;

    /* An account id or its root ARN names every principal of the account;
     * the principal's own policies still apply. */
    char root[64];
    if (caller_account) {
        snprintf(root, sizeof root, "arn:aws:iam::%s:root", caller_account);
        if (strcmp(value, caller_account) == 0 || strcmp(value, root) == 0)
            return 1;
    }
    if (strcmp(value, caller) == 0)
        return 1;

    /* A role ARN names the sessions of that role:
     * arn:aws:sts::A:assumed-role/NAME/SESSION for arn:aws:iam::A:role/NAME
     * (a role path does not appear in the session ARN). */
    const char *marker = strstr(caller, ":assumed-role/");
    const char *role = strstr(value, ":role/");
    if (marker && role && caller_account &&
        strncmp(value, "arn:aws:iam::", 13) == 0 &&
        strncmp(value + 13, caller_account, 12) == 0) {
        const char *name = strrchr(role + 6, '/');
        name = name ? name + 1 : role + 6;
        const char *session_name = marker + 14;
        size_t len = strlen(name);
        return strncmp(session_name, name, len) == 0 &&
               session_name[len] == '/';
    }
    return 0;
}

static int iam_service_principal_matches(const char *value, const void *arg)
{
    const iam_eval_request *req = arg;
    return req->principal_service && strcmp(value, req->principal_service) == 0;
}

static int iam_principal_matches(const cJSON *principal,
                                 const iam_eval_request *req)
{
    if (cJSON_IsString(principal))
        return strcmp(principal->valuestring, "*") == 0;
    if (!cJSON_IsObject(principal))
        return 0;
    const cJSON *aws = cJSON_GetObjectItemCaseSensitive(principal, "AWS");
    const cJSON *service =
        cJSON_GetObjectItemCaseSensitive(principal, "Service");
    return (aws && iam_any_string(aws, iam_aws_principal_matches, req)) ||
           (service &&
            iam_any_string(service, iam_service_principal_matches, req));
}

/* The value of a context key (names are case-insensitive), or NULL. */
static const char *iam_context_get(const iam_eval_request *req,
                                   const char *name)
{
    for (size_t i = 0; i < req->context_count; i++)
        if (strcasecmp(req->context[i].name, name) == 0)
            return req->context[i].value;
    return NULL;
}

typedef enum iam_cond_kind {
    IAM_COND_STRING,
    IAM_COND_STRING_IGNORE_CASE,
    IAM_COND_STRING_LIKE,
    IAM_COND_ARN_LIKE,
    IAM_COND_BOOL,
    IAM_COND_NULL,
    IAM_COND_NUMERIC,
    IAM_COND_DATE,
    IAM_COND_UNSUPPORTED
} iam_cond_kind;

/* How a numeric or date operator compares the request's value with the
 * policy's. */
typedef enum iam_cond_compare {
    IAM_CMP_EQ,
    IAM_CMP_LT,
    IAM_CMP_LE,
    IAM_CMP_GT,
    IAM_CMP_GE
} iam_cond_compare;

typedef struct iam_cond_op {
    iam_cond_kind kind;
    iam_cond_compare compare;
    int negated;
    int if_exists;
    int for_all_values;
} iam_cond_op;

static void iam_cond_op_parse(const char *name, iam_cond_op *op)
{
    static const struct {
        const char *name;
        iam_cond_kind kind;
        int negated;
        iam_cond_compare compare;
    } ops[] = {
        {"StringEquals", IAM_COND_STRING, 0},
        {"StringNotEquals", IAM_COND_STRING, 1},
        {"StringEqualsIgnoreCase", IAM_COND_STRING_IGNORE_CASE, 0},
        {"StringNotEqualsIgnoreCase", IAM_COND_STRING_IGNORE_CASE, 1},
        {"StringLike", IAM_COND_STRING_LIKE, 0},
        {"StringNotLike", IAM_COND_STRING_LIKE, 1},
        /* ArnEquals and ArnLike behave alike: both take wildcards. */
        {"ArnEquals", IAM_COND_ARN_LIKE, 0},
        {"ArnLike", IAM_COND_ARN_LIKE, 0},
        {"ArnNotEquals", IAM_COND_ARN_LIKE, 1},
        {"ArnNotLike", IAM_COND_ARN_LIKE, 1},
        {"Bool", IAM_COND_BOOL, 0},
        {"Null", IAM_COND_NULL, 0},
        {"NumericEquals", IAM_COND_NUMERIC, 0, IAM_CMP_EQ},
        {"NumericNotEquals", IAM_COND_NUMERIC, 1, IAM_CMP_EQ},
        {"NumericLessThan", IAM_COND_NUMERIC, 0, IAM_CMP_LT},
        {"NumericLessThanEquals", IAM_COND_NUMERIC, 0, IAM_CMP_LE},
        {"NumericGreaterThan", IAM_COND_NUMERIC, 0, IAM_CMP_GT},
        {"NumericGreaterThanEquals", IAM_COND_NUMERIC, 0, IAM_CMP_GE},
        {"DateEquals", IAM_COND_DATE, 0, IAM_CMP_EQ},
        {"DateNotEquals", IAM_COND_DATE, 1, IAM_CMP_EQ},
        {"DateLessThan", IAM_COND_DATE, 0, IAM_CMP_LT},
        {"DateLessThanEquals", IAM_COND_DATE, 0, IAM_CMP_LE},
        {"DateGreaterThan", IAM_COND_DATE, 0, IAM_CMP_GT},
        {"DateGreaterThanEquals", IAM_COND_DATE, 0, IAM_CMP_GE},
    };
    char base[96];
    memset(op, 0, sizeof *op);
    op->kind = IAM_COND_UNSUPPORTED;

    if (strncmp(name, "ForAnyValue:", 12) == 0) {
        name += 12;
    } else if (strncmp(name, "ForAllValues:", 13) == 0) {
        name += 13;
        op->for_all_values = 1;
    }
    snprintf(base, sizeof base, "%s", name);
    size_t len = strlen(base);
    if (len > 8 && strcmp(base + len - 8, "IfExists") == 0) {
        base[len - 8] = '\0';
        op->if_exists = 1;
    }
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
        if (strcmp(ops[i].name, base) == 0) {
            op->kind = ops[i].kind;
            op->negated = ops[i].negated;
            op->compare = ops[i].compare;
        }
}

/* A condition value as text: strings as they are, booleans and numbers as
 * JSON writes them. */
static const char *iam_cond_text(const cJSON *v, char *buf, size_t size)
{
    if (cJSON_IsString(v))
        return v->valuestring;
    if (cJSON_IsBool(v))
        return cJSON_IsTrue(v) ? "true" : "false";
    if (cJSON_IsNumber(v)) {
        snprintf(buf, size, "%.17g", v->valuedouble);
        return buf;
    }
    return NULL;
}

/* Parse a number; returns 0 when `text` is not one. */
static int iam_parse_number(const char *text, double *out)
{
    char *end = NULL;
    *out = strtod(text, &end);
    return end != text && *end == '\0';
}

/* Parse a date as epoch seconds: a number of seconds, or ISO 8601 UTC
 * ("2026-01-02T03:04:05Z", seconds and the zone optional). Returns 0 when
 * `text` is neither. */
static int iam_parse_date(const char *text, double *out)
{
    if (iam_parse_number(text, out))
        return 1;
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    int n = 0;
    if (sscanf(text, "%4d-%2d-%2dT%2d:%2d%n", &tm.tm_year, &tm.tm_mon,
               &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &n) != 5)
        return 0;
    const char *rest = text + n;
    double seconds = 0;
    if (*rest == ':') {
        char *end = NULL;
        seconds = strtod(rest + 1, &end);
        rest = end;
    }
    if (*rest != '\0' && strcmp(rest, "Z") != 0)
        return 0;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    *out = (double)timegm(&tm) + seconds;
    return 1;
}

static int iam_compare(iam_cond_compare compare, double actual, double policy)
{
    switch (compare) {
    case IAM_CMP_LT:
        return actual < policy;
    case IAM_CMP_LE:
        return actual <= policy;
    case IAM_CMP_GT:
        return actual > policy;
    case IAM_CMP_GE:
        return actual >= policy;
    default:
        return actual == policy;
    }
}

/* Match an ARN pattern field by field, as ArnLike does: the six fields
 * arn:partition:service:region:account:resource match separately, so a
 * wildcard never spans a colon before the resource. NOTE: a pattern with
 * fewer than six fields ("arn:aws:*") is matched as a whole; how AWS
 * treats one was not checked. */
static int iam_arn_matches(const char *pattern, const char *arn)
{
    int colons = 0;
    for (const char *c = pattern; *c; c++)
        colons += *c == ':';
    if (colons < 5)
        return iam_wildcard_match(pattern, arn, 0);
    const char *p = pattern, *a = arn;
    for (int field = 0; field < 5; field++) {
        const char *pc = strchr(p, ':'), *ac = strchr(a, ':');
        if (!pc || !ac)
            return 0;
        char pf[256], af[256];
        snprintf(pf, sizeof pf, "%.*s", (int)(pc - p), p);
        snprintf(af, sizeof af, "%.*s", (int)(ac - a), a);
        if (!iam_wildcard_match(pf, af, 0))
            return 0;
        p = pc + 1;
        a = ac + 1;
    }
    return iam_wildcard_match(p, a, 0);
}

static int iam_cond_value_matches(const iam_cond_op *op, const char *policy,
                                  const char *actual)
{
    double x, y;
    switch (op->kind) {
    case IAM_COND_STRING:
        return strcmp(policy, actual) == 0;
    case IAM_COND_STRING_IGNORE_CASE:
    case IAM_COND_BOOL:
        return strcasecmp(policy, actual) == 0;
    case IAM_COND_STRING_LIKE:
        return iam_wildcard_match(policy, actual, 0);
    case IAM_COND_ARN_LIKE:
        return iam_arn_matches(policy, actual);
    case IAM_COND_NUMERIC:
        return iam_parse_number(actual, &x) && iam_parse_number(policy, &y) &&
               iam_compare(op->compare, x, y);
    case IAM_COND_DATE:
        return iam_parse_date(actual, &x) && iam_parse_date(policy, &y) &&
               iam_compare(op->compare, x, y);
    default:
        return 0;
    }
}

/* Evaluate one operator on one key against the request context. */
static int iam_cond_key_holds(const iam_cond_op *op, const cJSON *values,
                              const char *actual)
{
    char buf[64];
    if (op->kind == IAM_COND_UNSUPPORTED)
        return 0;
    if (op->kind == IAM_COND_NULL) {
        const char *v =
            cJSON_IsArray(values)
                ? iam_cond_text(cJSON_GetArrayItem(values, 0), buf, sizeof buf)
                : iam_cond_text(values, buf, sizeof buf);
        int want_absent = v && strcasecmp(v, "true") == 0;
        return want_absent ? actual == NULL : actual != NULL;
    }
    if (!actual)
        return op->if_exists || op->negated || op->for_all_values;

    int any = 0;
    if (cJSON_IsArray(values)) {
        const cJSON *v;
        cJSON_ArrayForEach(v, values)
        {
            const char *text = iam_cond_text(v, buf, sizeof buf);
            if (text && iam_cond_value_matches(op, text, actual)) {
                any = 1;
                break;
            }
        }
    } else {
        const char *text = iam_cond_text(values, buf, sizeof buf);
        any = text && iam_cond_value_matches(op, text, actual);
    }
    return op->negated ? !any : any;
}

static int iam_conditions_hold(const cJSON *condition,
                               const iam_eval_request *req)
{
    const cJSON *block;
    cJSON_ArrayForEach(block, condition)
    {
        iam_cond_op op;
        iam_cond_op_parse(block->string, &op);
        const cJSON *key;
        cJSON_ArrayForEach(key, block)
        {
            if (!iam_cond_key_holds(&op, key,
                                    iam_context_get(req, key->string)))
                return 0;
        }
    }
    return 1;
}

/* Whether statement `st` applies to the request. */
static int iam_statement_applies(const cJSON *st, iam_policy_kind kind,
                                 const iam_eval_request *req)
{
    const cJSON *action = cJSON_GetObjectItemCaseSensitive(st, "Action");
    const cJSON *not_action = cJSON_GetObjectItemCaseSensitive(st, "NotAction");
    if (action && !iam_any_string(action, iam_action_matches, req->action))
        return 0;
    if (not_action &&
        iam_any_string(not_action, iam_action_matches, req->action))
        return 0;
    if (!action && !not_action)
        return 0;

    if (kind != IAM_POLICY_TRUST) {
        const cJSON *res = cJSON_GetObjectItemCaseSensitive(st, "Resource");
        const cJSON *not_res =
            cJSON_GetObjectItemCaseSensitive(st, "NotResource");
        const char *resource = req->resource ? req->resource : "*";
        if (res && !iam_any_string(res, iam_resource_matches, resource))
            return 0;
        if (not_res && iam_any_string(not_res, iam_resource_matches, resource))
            return 0;
        if (kind == IAM_POLICY_IDENTITY && !res && !not_res)
            return 0;
    }

    if (kind != IAM_POLICY_IDENTITY) {
        const cJSON *principal =
            cJSON_GetObjectItemCaseSensitive(st, "Principal");
        const cJSON *not_principal =
            cJSON_GetObjectItemCaseSensitive(st, "NotPrincipal");
        if (principal && !iam_principal_matches(principal, req))
            return 0;
        if (not_principal && iam_principal_matches(not_principal, req))
            return 0;
        if (!principal && !not_principal)
            return 0;
    }

    const cJSON *condition = cJSON_GetObjectItemCaseSensitive(st, "Condition");
    return !condition || iam_conditions_hold(condition, req);
}

iam_decision iam_eval_policy(const cJSON *policy, iam_policy_kind kind,
                             const iam_eval_request *req, iam_match_fn on_match,
                             void *arg)
{
    const cJSON *statements =
        cJSON_GetObjectItemCaseSensitive(policy, "Statement");
    iam_decision decision = IAM_IMPLICIT_DENY;
    int single = cJSON_IsObject(statements);
    const cJSON *first = single                      ? statements
                         : cJSON_IsArray(statements) ? statements->child
                                                     : NULL;
    size_t index = 0;

    for (const cJSON *st = first; st; st = single ? NULL : st->next) {
        const cJSON *effect = cJSON_GetObjectItemCaseSensitive(st, "Effect");
        int allows =
            cJSON_IsString(effect) && strcmp(effect->valuestring, "Allow") == 0;
        int denies =
            cJSON_IsString(effect) && strcmp(effect->valuestring, "Deny") == 0;
        if ((allows || denies) && iam_statement_applies(st, kind, req)) {
            decision = iam_decision_combine(
                decision, allows ? IAM_ALLOW : IAM_EXPLICIT_DENY);
            if (on_match)
                on_match(arg, index, allows);
        }
        index++;
    }
    return decision;
}

void iam_policy_missing_keys(const cJSON *policy, const iam_eval_request *req,
                             cJSON *keys)
{
    const cJSON *statements =
        cJSON_GetObjectItemCaseSensitive(policy, "Statement");
    int single = cJSON_IsObject(statements);
    const cJSON *first = single                      ? statements
                         : cJSON_IsArray(statements) ? statements->child
                                                     : NULL;

    for (const cJSON *st = first; st; st = single ? NULL : st->next) {
        const cJSON *condition =
            cJSON_GetObjectItemCaseSensitive(st, "Condition");
        if (!condition)
            continue;
        /* Only statements that would otherwise apply need the keys. */
        cJSON *bare = cJSON_Duplicate(st, 1);
        cJSON_DeleteItemFromObjectCaseSensitive(bare, "Condition");
        int applies = iam_statement_applies(bare, IAM_POLICY_IDENTITY, req);
        cJSON_Delete(bare);
        if (!applies)
            continue;
        const cJSON *block;
        cJSON_ArrayForEach(block, condition)
        {
            const cJSON *key;
            cJSON_ArrayForEach(key, block)
            {
                if (iam_context_get(req, key->string))
                    continue;
                int seen = 0;
                const cJSON *k;
                cJSON_ArrayForEach(k, keys) seen |=
                    strcasecmp(k->valuestring, key->string) == 0;
                if (!seen)
                    cJSON_AddItemToArray(keys, cJSON_CreateString(key->string));
            }
        }
    }
}

/* Checks of one statement; returns NULL or AWS's message. */
static const char *iam_statement_check(const cJSON *st, iam_policy_kind kind)
{
    static const char *const members[] = {
        "Sid",         "Effect",    "Action",       "NotAction", "Resource",
        "NotResource", "Principal", "NotPrincipal", "Condition",
    };
    if (!cJSON_IsObject(st))
        return "Syntax errors in policy.";
    const cJSON *m;
    cJSON_ArrayForEach(m, st)
    {
        size_t i = 0;
        while (i < sizeof members / sizeof *members &&
               strcmp(members[i], m->string) != 0)
            i++;
        if (i == sizeof members / sizeof *members)
            return "Syntax errors in policy.";
    }
    const cJSON *effect = cJSON_GetObjectItemCaseSensitive(st, "Effect");
    if (!cJSON_IsString(effect) || (strcmp(effect->valuestring, "Allow") != 0 &&
                                    strcmp(effect->valuestring, "Deny") != 0))
        return "Syntax errors in policy.";

    const cJSON *action = cJSON_GetObjectItemCaseSensitive(st, "Action");
    const cJSON *not_action = cJSON_GetObjectItemCaseSensitive(st, "NotAction");
    if (!action && !not_action)
        return "Policy statement must contain actions.";
    if (action && not_action)
        return "Syntax errors in policy.";
    const cJSON *actions = action ? action : not_action;
    const cJSON *a = cJSON_IsArray(actions) ? actions->child : actions;
    for (; a; a = cJSON_IsArray(actions) ? a->next : NULL) {
        if (!cJSON_IsString(a))
            return "Syntax errors in policy.";
        if (strcmp(a->valuestring, "*") != 0 && !strchr(a->valuestring, ':'))
            return "Actions/Conditions must be prefaced by a vendor, e.g., "
                   "iam, sdb, ec2, etc.";
    }

    const cJSON *res = cJSON_GetObjectItemCaseSensitive(st, "Resource");
    const cJSON *not_res = cJSON_GetObjectItemCaseSensitive(st, "NotResource");
    const cJSON *principal = cJSON_GetObjectItemCaseSensitive(st, "Principal");
    const cJSON *not_principal =
        cJSON_GetObjectItemCaseSensitive(st, "NotPrincipal");
    if (kind == IAM_POLICY_IDENTITY) {
        if (principal || not_principal)
            return "Policy document should not specify a principal.";
        if (!res && !not_res)
            return "Policy statement must contain resources.";
    } else if (kind == IAM_POLICY_TRUST) {
        if (res || not_res)
            return "Has prohibited field Resource";
        if (!principal && !not_principal)
            return "Missing required field Principal";
    }
    const cJSON *resources = res ? res : not_res;
    const cJSON *r = cJSON_IsArray(resources) ? resources->child : resources;
    for (; r; r = cJSON_IsArray(resources) ? r->next : NULL) {
        if (!cJSON_IsString(r))
            return "Syntax errors in policy.";
        if (strcmp(r->valuestring, "*") != 0 &&
            strncmp(r->valuestring, "arn:", 4) != 0)
            return "Resource must be in ARN format or \"*\".";
    }
    const cJSON *condition = cJSON_GetObjectItemCaseSensitive(st, "Condition");
    if (condition && !cJSON_IsObject(condition))
        return "Syntax errors in policy.";
    return NULL;
}

cJSON *iam_policy_parse(const char *text, iam_policy_kind kind, char *message,
                        size_t message_size)
{
    cJSON *policy = text ? cJSON_Parse(text) : NULL;
    const char *problem = NULL;

    if (!policy) {
        problem = "This policy contains invalid Json";
    } else if (!cJSON_IsObject(policy)) {
        problem = "Syntax errors in policy.";
    } else {
        const cJSON *m;
        cJSON_ArrayForEach(m, policy)
        {
            if (strcmp(m->string, "Version") != 0 &&
                strcmp(m->string, "Id") != 0 &&
                strcmp(m->string, "Statement") != 0)
                problem = "Syntax errors in policy.";
        }
        const cJSON *version =
            cJSON_GetObjectItemCaseSensitive(policy, "Version");
        if (!problem && version &&
            (!cJSON_IsString(version) ||
             (strcmp(version->valuestring, "2012-10-17") != 0 &&
              strcmp(version->valuestring, "2008-10-17") != 0)))
            problem = "The policy failed legacy parsing";
        const cJSON *statements =
            cJSON_GetObjectItemCaseSensitive(policy, "Statement");
        if (!problem && (!statements || (!cJSON_IsObject(statements) &&
                                         !cJSON_IsArray(statements))))
            problem = "Syntax errors in policy.";
        if (!problem && cJSON_IsObject(statements))
            problem = iam_statement_check(statements, kind);
        if (!problem && cJSON_IsArray(statements)) {
            const cJSON *st;
            cJSON_ArrayForEach(st, statements)
            {
                problem = iam_statement_check(st, kind);
                if (problem)
                    break;
            }
        }
    }
    if (problem) {
        snprintf(message, message_size, "%s", problem);
        cJSON_Delete(policy);
        return NULL;
    }
    return policy;
}
