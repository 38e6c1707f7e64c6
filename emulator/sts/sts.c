/*
 * sts.c: the STS service: GetCallerIdentity and AssumeRole over the Query
 * protocol (namespace 2011-06-15, signing name "sts").
 *
 * A caller signing with a key Stratus did not issue is the account's root
 * user (arn:aws:iam::ACCOUNT:root); a caller with issued credentials is
 * its assumed-role session. AssumeRole checks the role's trust policy
 * (the caller's own permission for sts:AssumeRole is checked by the
 * dispatcher like any other action) and issues temporary credentials
 * that expire on the instance clock. Session policies, tags, MFA and
 * external ids are not supported.
 */
#include "sts.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "iam.h"
#include "stratus.h"

/* AWS's limits of AssumeRole's DurationSeconds, in seconds. */
#define STS_DURATION_MIN_S 900
#define STS_DURATION_DEFAULT_S 3600

static const char *sts_str(const cJSON *obj, const char *name)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(m) ? m->valuestring : NULL;
}

/* The caller's ARN: its session, or the account's root user. */
static void sts_caller_arn(aws_request *req, char *out, size_t size)
{
    iam_credentials cred;
    if (iam_credentials_find(req->srv, req->access_key, &cred))
        snprintf(out, size, "%s", cred.principal_arn);
    else
        snprintf(out, size, "arn:aws:iam::%s:root", req->account);
}

static cJSON *sts_op_get_caller_identity(aws_request *req, aws_error *err)
{
    (void)err;
    iam_credentials cred;
    cJSON *out = cJSON_CreateObject();
    if (iam_credentials_find(req->srv, req->access_key, &cred)) {
        char user_id[128];
        snprintf(user_id, sizeof user_id, "%s:%s", cred.role_id,
                 cred.session_name);
        cJSON_AddStringToObject(out, "UserId", user_id);
        cJSON_AddStringToObject(out, "Account", cred.account);
        cJSON_AddStringToObject(out, "Arn", cred.principal_arn);
    } else {
        /* The root user's UserId is its account id. */
        char arn[64];
        snprintf(arn, sizeof arn, "arn:aws:iam::%s:root", req->account);
        cJSON_AddStringToObject(out, "UserId", req->account);
        cJSON_AddStringToObject(out, "Account", req->account);
        cJSON_AddStringToObject(out, "Arn", arn);
    }
    return out;
}

static int sts_session_name_valid(const char *name)
{
    size_t len = strlen(name);
    if (len < 2 || len > 64)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!isalnum((unsigned char)name[i]) && !strchr("_+=,.@-", name[i]))
            return 0;
    return 1;
}

static cJSON *sts_op_assume_role(aws_request *req, aws_error *err)
{
    const char *role_arn = sts_str(req->body, "RoleArn");
    const char *session = sts_str(req->body, "RoleSessionName");
    const char *duration_text = sts_str(req->body, "DurationSeconds");
    char account[13], name[128], caller[400];

    if (!role_arn || !session) {
        aws_fail(err, AWS_ERR_IAM_VALIDATION_ERROR,
                 "1 validation error detected: Value null at '%s' failed to "
                 "satisfy constraint: Member must not be null",
                 role_arn ? "roleSessionName" : "roleArn");
        return NULL;
    }
    if (strlen(role_arn) < 20) {
        aws_fail(err, AWS_ERR_IAM_VALIDATION_ERROR,
                 "1 validation error detected: Value '%s' at 'roleArn' failed "
                 "to satisfy constraint: Member must have length greater than "
                 "or equal to 20",
                 role_arn);
        return NULL;
    }
    if (!sts_session_name_valid(session)) {
        aws_fail(err, AWS_ERR_IAM_VALIDATION_ERROR,
                 "1 validation error detected: Value '%s' at "
                 "'roleSessionName' failed to satisfy constraint: Member must "
                 "satisfy regular expression pattern: [\\w+=,.@-]*",
                 session);
        return NULL;
    }
    long duration = STS_DURATION_DEFAULT_S;
    if (duration_text) {
        char *end = NULL;
        duration = strtol(duration_text, &end, 10);
        if (end == duration_text || *end || duration < STS_DURATION_MIN_S) {
            aws_fail(err, AWS_ERR_IAM_VALIDATION_ERROR,
                     "1 validation error detected: Value '%s' at "
                     "'durationSeconds' failed to satisfy constraint: Member "
                     "must have value greater than or equal to 900",
                     duration_text);
            return NULL;
        }
    }

    sts_caller_arn(req, caller, sizeof caller);
    long max_session = STS_DURATION_DEFAULT_S;
    int parsed = iam_role_arn_parse(role_arn, account, name, sizeof name);
    if (!parsed || !iam_trust_allows_principal(req->srv, role_arn, caller,
                                               req->account, &max_session)) {
        aws_fail(err, AWS_ERR_ACCESS_DENIED_QUERY,
                 "User: %s is not authorized to perform: sts:AssumeRole on "
                 "resource: %s",
                 caller, role_arn);
        return NULL;
    }
    if (duration > max_session) {
        aws_fail(err, AWS_ERR_IAM_VALIDATION_ERROR,
                 "The requested DurationSeconds exceeds the MaxSessionDuration "
                 "set for this role.");
        return NULL;
    }

    iam_credentials cred;
    if (iam_credentials_issue(req->srv, account, role_arn, session, duration,
                              &cred, err) != 0)
        return NULL;

    char expiration[32], role_session_id[128];
    clock_format_iso(cred.expires_ms, expiration);
    snprintf(expiration + 19, sizeof expiration - 19, "Z");
    snprintf(role_session_id, sizeof role_session_id, "%s:%s", cred.role_id,
             session);
    cJSON *out = cJSON_CreateObject();
    cJSON *c = cJSON_AddObjectToObject(out, "Credentials");
    cJSON_AddStringToObject(c, "AccessKeyId", cred.access_key);
    cJSON_AddStringToObject(c, "SecretAccessKey", cred.secret_key);
    cJSON_AddStringToObject(c, "SessionToken", cred.session_token);
    cJSON_AddStringToObject(c, "Expiration", expiration);
    cJSON *user = cJSON_AddObjectToObject(out, "AssumedRoleUser");
    cJSON_AddStringToObject(user, "AssumedRoleId", role_session_id);
    cJSON_AddStringToObject(user, "Arn", cred.principal_arn);
    return out;
}

/* AssumeRole needs sts:AssumeRole on the role; the rest act on "*". */
static int sts_resource_arn(const aws_request *req, size_t index, char *action,
                            size_t action_size, char *arn, size_t arn_size)
{
    (void)action;
    (void)action_size;
    if (index > 0)
        return 0;
    const char *role = sts_str(req->body, "RoleArn");
    snprintf(arn, arn_size, "%s",
             role && strcmp(req->operation, "AssumeRole") == 0 ? role : "*");
    return 1;
}

/* Every STS operation of the 2011-06-15 API (botocore's service model). */
static const aws_operation sts_operations[] = {
    {"AssumeRole", sts_op_assume_role},
    {"AssumeRoleWithSAML", NULL},
    {"AssumeRoleWithWebIdentity", NULL},
    {"AssumeRoot", NULL},
    {"DecodeAuthorizationMessage", NULL},
    {"GetAccessKeyInfo", NULL},
    {"GetCallerIdentity", sts_op_get_caller_identity},
    {"GetDelegatedAccessToken", NULL},
    {"GetFederationToken", NULL},
    {"GetSessionToken", NULL},
    {"GetWebIdentityToken", NULL},
};

static const aws_query_protocol sts_query = {
    .xml_namespace = "https://sts.amazonaws.com/doc/2011-06-15/",
};

const aws_service sts_service = {
    .name = "sts",
    .signing_name = "sts",
    .protocol = AWS_PROTO_QUERY,
    .operations = sts_operations,
    .operation_count = sizeof sts_operations / sizeof *sts_operations,
    .query = &sts_query,
    .resource_arn = sts_resource_arn,
};
