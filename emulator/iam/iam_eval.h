/*
 * iam_eval.h: IAM policy documents: validation and evaluation of one
 * request against policies, as AWS's policy evaluation logic documents it.
 *
 * Supported: Effect, Action/NotAction (case-insensitive, "*" and "?"
 * wildcards), Resource/NotResource (case-sensitive wildcards),
 * Principal/NotPrincipal ("*", AWS account ids and ARNs, Service), and the
 * Condition operators String*, Arn*, Numeric*, Date*, Bool and Null with
 * their IfExists forms. Not supported: policy variables such as
 * ${aws:username}, IP address and binary operators (a condition using one
 * never holds), multi-valued context keys.
 */
#ifndef STRATUS_IAM_EVAL_H
#define STRATUS_IAM_EVAL_H

#include <stddef.h>

#include <cjson/cJSON.h>

typedef enum iam_decision {
    IAM_IMPLICIT_DENY = 0,
    IAM_ALLOW,
    IAM_EXPLICIT_DENY
} iam_decision;

/* Where a policy is attached, which decides whether it names principals. */
typedef enum iam_policy_kind {
    IAM_POLICY_IDENTITY, /* attached to a role: no Principal */
    IAM_POLICY_RESOURCE, /* on a resource: Principal required */
    IAM_POLICY_TRUST     /* a role's trust policy: Principal, no Resource */
} iam_policy_kind;

/* One request context key ("aws:SourceArn") and its value. */
typedef struct iam_context_key {
    const char *name;
    const char *value;
} iam_context_key;

/* The request a policy is evaluated for. Members are borrowed. */
typedef struct iam_eval_request {
    const char *action;   /* "dynamodb:GetItem" */
    const char *resource; /* an ARN or "*" */
    /* The calling principal, for resource and trust policies: a service
     * ("events.amazonaws.com") or an ARN (a role, an assumed-role session
     * or "arn:aws:iam::ACCOUNT:root") and its account. */
    const char *principal_service;
    const char *principal_arn;
    const char *principal_account;
    const iam_context_key *context;
    size_t context_count;
} iam_eval_request;

/* Called for each statement that applies to the request: its index in the
 * Statement list and whether it allows (1) or denies (0). */
typedef void (*iam_match_fn)(void *arg, size_t index, int allows);

/*
 * Evaluate one parsed policy for `req`. Returns IAM_EXPLICIT_DENY when a
 * Deny statement applies, else IAM_ALLOW when an Allow statement applies,
 * else IAM_IMPLICIT_DENY. `on_match` may be NULL.
 */
iam_decision iam_eval_policy(const cJSON *policy, iam_policy_kind kind,
                             const iam_eval_request *req, iam_match_fn on_match,
                             void *arg);

/*
 * Add to the array `keys` (as strings, each once) the condition keys that
 * statements applying to the action and resource of `req` test but that
 * its context lacks: SimulatePrincipalPolicy's MissingContextValues.
 */
void iam_policy_missing_keys(const cJSON *policy, const iam_eval_request *req,
                             cJSON *keys);

/* Combine the decisions of several policies: an explicit deny wins over an
 * allow, which wins over an implicit deny. */
iam_decision iam_decision_combine(iam_decision a, iam_decision b);

/* The SimulatePrincipalPolicy name of a decision: "allowed",
 * "explicitDeny" or "implicitDeny". */
const char *iam_decision_name(iam_decision d);

/*
 * Parse and check a policy document of `kind`. Returns the parsed tree,
 * or NULL with AWS's MalformedPolicyDocument message in `message`.
 */
cJSON *iam_policy_parse(const char *text, iam_policy_kind kind, char *message,
                        size_t message_size);

/* Match `text` against `pattern`, where "*" matches any run of characters
 * and "?" any one character. Returns 1 on a match. */
int iam_wildcard_match(const char *pattern, const char *text, int ignore_case);

#endif
