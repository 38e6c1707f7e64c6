/*
 * iam.h: the IAM service (Query protocol, signing name "iam"), the
 * credentials Stratus issues for roles, and the authorization calls other
 * services use.
 *
 * Identity: a request signed with an access key Stratus issued (an
 * "ASIA..." key from AssumeRole or a Lambda execution environment) acts as
 * that role's session, and is evaluated against the role's policies. Any
 * other key acts as the account's administrator. Enforcement can be turned
 * off (`--iam off`), after which every check allows.
 */
#ifndef STRATUS_IAM_H
#define STRATUS_IAM_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "aws.h"

struct stratus;

extern const aws_service iam_service;

/* The AWS::IAM::Role stack type: RoleName, AssumeRolePolicyDocument,
 * Policies [{PolicyName, PolicyDocument}], ManagedPolicyArns, Path,
 * Description, MaxSessionDuration, Tags. */
int iam_stack_apply_role(struct stratus *srv, const char *account,
                         const char *region, const char *logical_id,
                         const cJSON *properties, aws_error *err);

/* The AWS::SQS::QueuePolicy stack type: Queues (URLs or names) and
 * PolicyDocument, set as each queue's Policy attribute. */
int iam_stack_apply_queue_policy(struct stratus *srv, const char *account,
                                 const char *region, const char *logical_id,
                                 const cJSON *properties, aws_error *err);

/* Whether enforcement is on for this instance (the `--iam` setting). */
int iam_enforced(const struct stratus *srv);

/*
 * Authorize the role `role_arn` of `account` for `action` ("dynamodb:GetItem")
 * on `resource` (an ARN or "*") with the role's identity-based policies.
 * Returns 1 when allowed (always when enforcement is off), 0 when denied,
 * with the end of AWS's message in `reason` ("because no identity-based
 * policy allows the dynamodb:GetItem action"). A role that does not exist
 * has no policies, so everything is denied, as AWS cannot assume it.
 */
int iam_authorize(struct stratus *srv, const char *account,
                  const char *role_arn, const char *action,
                  const char *resource, char *reason, size_t reason_size);

/*
 * Check what a service does with a role a customer passed it (an
 * EventBridge target's RoleArn, a state machine's roleArn). The role's
 * trust policy must allow `service_principal` ("events.amazonaws.com") to
 * assume it for a call from `source_arn` (the rule, for aws:SourceArn
 * conditions; may be NULL). Its policies must allow `action` on
 * `resource`. Returns 1 when both hold (always when enforcement is off),
 * else 0 with AWS's AccessDenied message in `reason`.
 */
int iam_service_role_allows(struct stratus *srv, const char *account,
                            const char *role_arn, const char *service_principal,
                            const char *source_arn, const char *action,
                            const char *resource, char *reason,
                            size_t reason_size);

/*
 * Evaluate a resource-based policy (the JSON text of an SQS queue's Policy
 * attribute, NULL when the queue has none) for a service principal
 * ("events.amazonaws.com") doing `action` on `resource`, with the
 * aws:SourceArn and aws:SourceAccount of the call (either may be NULL).
 * Returns 1 when a statement allows it and none denies it (always when
 * enforcement is off), else 0.
 */
int iam_resource_policy_allows(struct stratus *srv, const char *policy,
                               const char *service_principal,
                               const char *action, const char *resource,
                               const char *source_arn,
                               const char *source_account);

/*
 * Check an AssumeRole call by `principal_arn` (of `principal_account`):
 * the role must exist and its trust policy must allow the principal.
 * Returns 1 when it does (always when enforcement is off), else 0. Sets
 * `*max_session_s` to the role's MaxSessionDuration (3600 when unknown).
 */
int iam_trust_allows_principal(struct stratus *srv, const char *role_arn,
                               const char *principal_arn,
                               const char *principal_account,
                               long *max_session_s);

/* Temporary credentials issued for a role session. */
typedef struct iam_credentials {
    char access_key[24]; /* "ASIA" and 16 upper-case letters or digits */
    char secret_key[48];
    char session_token[160];
    char account[13];
    char role_arn[256];
    char role_id[32]; /* "AROA..." of the role at issue time */
    char session_name[72];
    char principal_arn[400]; /* arn:aws:sts::ACCOUNT:assumed-role/R/S */
    int64_t expires_ms;      /* instance clock; 0: never expires */
} iam_credentials;

/*
 * Issue and store credentials for a session of `role_arn` named
 * `session_name`, valid for `duration_s` seconds of the instance clock (0:
 * never expires). The insert runs in its own store call, a savepoint
 * inside the caller's when one is open. Returns 0, or -1 with `err` filled.
 */
int iam_credentials_issue(struct stratus *srv, const char *account,
                          const char *role_arn, const char *session_name,
                          int64_t duration_s, iam_credentials *out,
                          aws_error *err);

/*
 * The lasting credentials of a service's session of a role (a Lambda
 * function's execution role, with the function name as session name):
 * the ones issued before for the same account, role and session name, or
 * new ones that never expire. Returns 0, or -1 with `err` filled.
 */
int iam_credentials_for_session(struct stratus *srv, const char *account,
                                const char *role_arn, const char *session_name,
                                iam_credentials *out, aws_error *err);

/* Find the credentials of an issued access key. Returns 1 when found, 0
 * when Stratus did not issue the key. */
int iam_credentials_find(struct stratus *srv, const char *access_key,
                         iam_credentials *out);

/*
 * Authorize a request the dispatcher routed, before its handler runs.
 * Requests signed with keys Stratus did not issue pass, and so do requests
 * to a service without a resource_arn hook. Others are checked for each
 * (action, resource) pair the hook names.
 * Returns 0, or -1 with `err` filled with the service's AccessDenied error
 * (or ExpiredTokenException for expired credentials).
 */
int iam_request_authorize(aws_request *req, aws_error *err);

/*
 * Check one `action` on `resource` for a request that its service routes
 * itself (a `serve` service such as S3, which the dispatcher cannot
 * authorize). Passes what iam_request_authorize passes. Returns 0, or -1
 * with `err` filled with the protocol's AccessDenied (or ExpiredToken).
 */
int iam_request_check(aws_request *req, const char *action,
                      const char *resource, aws_error *err);

/* Whether `arn` is a well-formed role ARN; fills the account and role name
 * (without its path). */
int iam_role_arn_parse(const char *arn, char account[13], char *name,
                       size_t name_size);

#endif
