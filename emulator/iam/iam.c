/*
 * iam.c: the IAM service: schema, operation table (Query protocol,
 * namespace 2010-05-08, signing name "iam"), the Query members of its
 * requests, and the helpers its files share.
 *
 * IAM is global: roles belong to an account, not a region. Implemented:
 * roles with inline and attached policies, the AWS managed policies the
 * CollectIQ stack uses, and SimulatePrincipalPolicy. Users, groups,
 * customer managed policies and the other operations return
 * NotImplementedException.
 */
#include "iam_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "clock.h"
#include "log.h"
#include "store.h"
#include "util.h"

static const char *const iam_schema_steps[] = {
    /* Role names are unique per account regardless of case, as in IAM. */
    "CREATE TABLE iam_role (id INTEGER PRIMARY KEY,"
    " account TEXT NOT NULL, name TEXT NOT NULL COLLATE NOCASE,"
    " path TEXT NOT NULL, role_id TEXT NOT NULL, arn TEXT NOT NULL,"
    " trust_policy TEXT NOT NULL, description TEXT,"
    " max_session INTEGER NOT NULL, created_ms INTEGER NOT NULL,"
    " tags TEXT NOT NULL DEFAULT '[]', UNIQUE (account, name))",
    "CREATE TABLE iam_role_policy (role INTEGER NOT NULL"
    " REFERENCES iam_role (id) ON DELETE CASCADE, name TEXT NOT NULL,"
    " document TEXT NOT NULL, PRIMARY KEY (role, name))",
    "CREATE TABLE iam_role_attachment (role INTEGER NOT NULL"
    " REFERENCES iam_role (id) ON DELETE CASCADE, policy_arn TEXT NOT NULL,"
    " seq INTEGER NOT NULL, PRIMARY KEY (role, policy_arn))",
    "CREATE TABLE iam_credential (access_key TEXT PRIMARY KEY,"
    " secret_key TEXT NOT NULL, session_token TEXT NOT NULL,"
    " account TEXT NOT NULL, role_arn TEXT NOT NULL, role_id TEXT NOT NULL,"
    " session_name TEXT NOT NULL, expires_ms INTEGER NOT NULL)",
};

const char *iam__str(const cJSON *obj, const char *name)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(m) ? m->valuestring : NULL;
}

int iam__missing(aws_error *err, const char *member)
{
    /* IAM reports a missing member as a one-item validation error. */
    char lower[64];
    snprintf(lower, sizeof lower, "%s", member);
    lower[0] = (char)tolower((unsigned char)lower[0]);
    return aws_fail(err, AWS_ERR_IAM_VALIDATION_ERROR,
                    "1 validation error detected: Value null at '%s' failed "
                    "to satisfy constraint: Member must not be null",
                    lower);
}

int iam__check_name(const char *value, const char *member, size_t max,
                    aws_error *err)
{
    char lower[64];
    snprintf(lower, sizeof lower, "%s", member);
    lower[0] = (char)tolower((unsigned char)lower[0]);
    size_t len = strlen(value);
    if (len < 1 || len > max)
        return aws_fail(err, AWS_ERR_IAM_VALIDATION_ERROR,
                        "1 validation error detected: Value '%s' at '%s' "
                        "failed to satisfy constraint: Member must have "
                        "length less than or equal to %zu",
                        value, lower, max);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)value[i];
        if (!isalnum(c) && !strchr("_+=,.@-", c))
            return aws_fail(err, AWS_ERR_IAM_VALIDATION_ERROR,
                            "1 validation error detected: Value '%s' at '%s' "
                            "failed to satisfy constraint: Member must "
                            "satisfy regular expression pattern: [\\w+=,.@-]+",
                            value, lower);
    }
    return 0;
}

void iam__random_id(char *out, size_t len)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    unsigned char bytes[64];
    if (len > sizeof bytes)
        len = sizeof bytes;
    if (getrandom(bytes, len, 0) != (ssize_t)len)
        for (size_t i = 0; i < len; i++)
            bytes[i] = (unsigned char)rand();
    for (size_t i = 0; i < len; i++)
        out[i] = alphabet[bytes[i] % 32];
    out[len] = '\0';
}

void iam__format_time(int64_t ms, char out[32])
{
    /* IAM writes whole seconds: "2026-01-02T03:04:05Z". */
    char iso[32];
    clock_format_iso(ms, iso);
    snprintf(out, 32, "%.19sZ", iso);
}

char *iam__url_encode(const char *text)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t len = strlen(text);
    char *out = xmalloc(len * 3 + 1);
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (isalnum(c) || strchr("-_.~", c)) {
            out[o++] = (char)c;
        } else {
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    out[o] = '\0';
    return out;
}

int iam_enforced(const stratus *srv)
{
    return srv->cfg.iam_enforce;
}

static int iam_init(stratus *srv, aws_error *err)
{
    char errbuf[512];
    if (store_migrate(srv->store, "iam", iam_schema_steps,
                      sizeof iam_schema_steps / sizeof *iam_schema_steps,
                      errbuf, sizeof errbuf) != 0)
        return aws_fail(err, AWS_ERR_INTERNAL_SERVER_ERROR, "%s", errbuf);
    log_info("iam", "IAM enforcement %s", srv->cfg.iam_enforce ? "on" : "off");
    return 0;
}

/* Every IAM operation of the 2010-05-08 API (botocore's service model);
 * those without a handler return NotImplementedException. */
static const aws_operation iam_operations[] = {
    {"AcceptDelegationRequest", NULL},
    {"AddClientIDToOpenIDConnectProvider", NULL},
    {"AddRoleToInstanceProfile", NULL},
    {"AddUserToGroup", NULL},
    {"AssociateDelegationRequest", NULL},
    {"AttachGroupPolicy", NULL},
    {"AttachRolePolicy", iam_op_attach_role_policy},
    {"AttachUserPolicy", NULL},
    {"ChangePassword", NULL},
    {"CreateAccessKey", NULL},
    {"CreateAccountAlias", NULL},
    {"CreateDelegationRequest", NULL},
    {"CreateGroup", NULL},
    {"CreateInstanceProfile", NULL},
    {"CreateLoginProfile", NULL},
    {"CreateOpenIDConnectProvider", NULL},
    {"CreatePolicy", NULL},
    {"CreatePolicyVersion", NULL},
    {"CreateRole", iam_op_create_role},
    {"CreateSAMLProvider", NULL},
    {"CreateServiceLinkedRole", NULL},
    {"CreateServiceSpecificCredential", NULL},
    {"CreateUser", NULL},
    {"CreateVirtualMFADevice", NULL},
    {"DeactivateMFADevice", NULL},
    {"DeleteAccessKey", NULL},
    {"DeleteAccountAlias", NULL},
    {"DeleteAccountPasswordPolicy", NULL},
    {"DeleteGroup", NULL},
    {"DeleteGroupPolicy", NULL},
    {"DeleteInstanceProfile", NULL},
    {"DeleteLoginProfile", NULL},
    {"DeleteOpenIDConnectProvider", NULL},
    {"DeletePolicy", NULL},
    {"DeletePolicyVersion", NULL},
    {"DeleteRole", iam_op_delete_role},
    {"DeleteRolePermissionsBoundary", NULL},
    {"DeleteRolePolicy", iam_op_delete_role_policy},
    {"DeleteSAMLProvider", NULL},
    {"DeleteSSHPublicKey", NULL},
    {"DeleteServerCertificate", NULL},
    {"DeleteServiceLinkedRole", NULL},
    {"DeleteServiceSpecificCredential", NULL},
    {"DeleteSigningCertificate", NULL},
    {"DeleteUser", NULL},
    {"DeleteUserPermissionsBoundary", NULL},
    {"DeleteUserPolicy", NULL},
    {"DeleteVirtualMFADevice", NULL},
    {"DetachGroupPolicy", NULL},
    {"DetachRolePolicy", iam_op_detach_role_policy},
    {"DetachUserPolicy", NULL},
    {"DisableOrganizationsRootCredentialsManagement", NULL},
    {"DisableOrganizationsRootSessions", NULL},
    {"DisableOutboundWebIdentityFederation", NULL},
    {"EnableMFADevice", NULL},
    {"EnableOrganizationsRootCredentialsManagement", NULL},
    {"EnableOrganizationsRootSessions", NULL},
    {"EnableOutboundWebIdentityFederation", NULL},
    {"GenerateCredentialReport", NULL},
    {"GenerateOrganizationsAccessReport", NULL},
    {"GenerateServiceLastAccessedDetails", NULL},
    {"GetAccessKeyLastUsed", NULL},
    {"GetAccountAuthorizationDetails", NULL},
    {"GetAccountPasswordPolicy", NULL},
    {"GetAccountSummary", NULL},
    {"GetContextKeysForCustomPolicy", NULL},
    {"GetContextKeysForPrincipalPolicy", NULL},
    {"GetCredentialReport", NULL},
    {"GetDelegationRequest", NULL},
    {"GetGroup", NULL},
    {"GetGroupPolicy", NULL},
    {"GetHumanReadableSummary", NULL},
    {"GetInstanceProfile", NULL},
    {"GetLoginProfile", NULL},
    {"GetMFADevice", NULL},
    {"GetOpenIDConnectProvider", NULL},
    {"GetOrganizationsAccessReport", NULL},
    {"GetOutboundWebIdentityFederationInfo", NULL},
    {"GetPolicy", iam_op_get_policy},
    {"GetPolicyVersion", iam_op_get_policy_version},
    {"GetRole", iam_op_get_role},
    {"GetRolePolicy", iam_op_get_role_policy},
    {"GetSAMLProvider", NULL},
    {"GetSSHPublicKey", NULL},
    {"GetServerCertificate", NULL},
    {"GetServiceLastAccessedDetails", NULL},
    {"GetServiceLastAccessedDetailsWithEntities", NULL},
    {"GetServiceLinkedRoleDeletionStatus", NULL},
    {"GetUser", NULL},
    {"GetUserPolicy", NULL},
    {"ListAccessKeys", NULL},
    {"ListAccountAliases", NULL},
    {"ListAttachedGroupPolicies", NULL},
    {"ListAttachedRolePolicies", iam_op_list_attached_role_policies},
    {"ListAttachedUserPolicies", NULL},
    {"ListDelegationRequests", NULL},
    {"ListEntitiesForPolicy", NULL},
    {"ListGroupPolicies", NULL},
    {"ListGroups", NULL},
    {"ListGroupsForUser", NULL},
    {"ListInstanceProfileTags", NULL},
    {"ListInstanceProfiles", NULL},
    {"ListInstanceProfilesForRole", NULL},
    {"ListMFADeviceTags", NULL},
    {"ListMFADevices", NULL},
    {"ListOpenIDConnectProviderTags", NULL},
    {"ListOpenIDConnectProviders", NULL},
    {"ListOrganizationsFeatures", NULL},
    {"ListPolicies", iam_op_list_policies},
    {"ListPoliciesGrantingServiceAccess", NULL},
    {"ListPolicyTags", NULL},
    {"ListPolicyVersions", NULL},
    {"ListRolePolicies", iam_op_list_role_policies},
    {"ListRoleTags", iam_op_list_role_tags},
    {"ListRoles", iam_op_list_roles},
    {"ListSAMLProviderTags", NULL},
    {"ListSAMLProviders", NULL},
    {"ListSSHPublicKeys", NULL},
    {"ListServerCertificateTags", NULL},
    {"ListServerCertificates", NULL},
    {"ListServiceSpecificCredentials", NULL},
    {"ListSigningCertificates", NULL},
    {"ListUserPolicies", NULL},
    {"ListUserTags", NULL},
    {"ListUsers", NULL},
    {"ListVirtualMFADevices", NULL},
    {"PutGroupPolicy", NULL},
    {"PutRolePermissionsBoundary", NULL},
    {"PutRolePolicy", iam_op_put_role_policy},
    {"PutUserPermissionsBoundary", NULL},
    {"PutUserPolicy", NULL},
    {"RejectDelegationRequest", NULL},
    {"RemoveClientIDFromOpenIDConnectProvider", NULL},
    {"RemoveRoleFromInstanceProfile", NULL},
    {"RemoveUserFromGroup", NULL},
    {"ResetServiceSpecificCredential", NULL},
    {"ResyncMFADevice", NULL},
    {"SendDelegationToken", NULL},
    {"SetDefaultPolicyVersion", NULL},
    {"SetSecurityTokenServicePreferences", NULL},
    {"SimulateCustomPolicy", NULL},
    {"SimulatePrincipalPolicy", iam_op_simulate_principal_policy},
    {"TagInstanceProfile", NULL},
    {"TagMFADevice", NULL},
    {"TagOpenIDConnectProvider", NULL},
    {"TagPolicy", NULL},
    {"TagRole", iam_op_tag_role},
    {"TagSAMLProvider", NULL},
    {"TagServerCertificate", NULL},
    {"TagUser", NULL},
    {"UntagInstanceProfile", NULL},
    {"UntagMFADevice", NULL},
    {"UntagOpenIDConnectProvider", NULL},
    {"UntagPolicy", NULL},
    {"UntagRole", iam_op_untag_role},
    {"UntagSAMLProvider", NULL},
    {"UntagServerCertificate", NULL},
    {"UntagUser", NULL},
    {"UpdateAccessKey", NULL},
    {"UpdateAccountPasswordPolicy", NULL},
    {"UpdateAssumeRolePolicy", iam_op_update_assume_role_policy},
    {"UpdateDelegationRequest", NULL},
    {"UpdateGroup", NULL},
    {"UpdateLoginProfile", NULL},
    {"UpdateOpenIDConnectProviderThumbprint", NULL},
    {"UpdateRole", iam_op_update_role},
    {"UpdateRoleDescription", NULL},
    {"UpdateSAMLProvider", NULL},
    {"UpdateSSHPublicKey", NULL},
    {"UpdateServerCertificate", NULL},
    {"UpdateServiceSpecificCredential", NULL},
    {"UpdateSigningCertificate", NULL},
    {"UpdateUser", NULL},
    {"UploadSSHPublicKey", NULL},
    {"UploadServerCertificate", NULL},
    {"UploadSigningCertificate", NULL},
};

/* The list members of IAM requests. Responses need no rows: their lists
 * are the Query protocol's default <Name><member>...</member></Name>. */
static const aws_query_member iam_query_members[] = {
    {"Tags.member", "Tags", AWS_QUERY_STRUCT_LIST, NULL, NULL, NULL, 1},
    {"TagKeys.member", "TagKeys", AWS_QUERY_LIST, NULL, NULL, NULL, 1},
    {"ActionNames.member", "ActionNames", AWS_QUERY_LIST, NULL, NULL, NULL, 1},
    {"ResourceArns.member", "ResourceArns", AWS_QUERY_LIST, NULL, NULL, NULL,
     1},
    {"PolicyInputList.member", "PolicyInputList", AWS_QUERY_LIST, NULL, NULL,
     NULL, 1},
    {"ContextEntries.member", "ContextEntries", AWS_QUERY_STRUCT_LIST, NULL,
     NULL, NULL, 1},
    {"ContextKeyValues.member", "ContextKeyValues", AWS_QUERY_LIST, NULL, NULL,
     NULL, 1},
};

static const aws_query_protocol iam_query = {
    .xml_namespace = IAM_NAMESPACE,
    .members = iam_query_members,
    .member_count = sizeof iam_query_members / sizeof *iam_query_members,
};

/* IAM's own operations need iam:<Operation> on the role they name. */
static int iam_resource_arn(const aws_request *req, size_t index, char *action,
                            size_t action_size, char *arn, size_t arn_size)
{
    (void)action;
    (void)action_size;
    if (index > 0)
        return 0;
    const char *role = iam__str(req->body, "RoleName");
    const char *source = iam__str(req->body, "PolicySourceArn");
    const char *policy = iam__str(req->body, "PolicyArn");
    if (role)
        snprintf(arn, arn_size, "arn:aws:iam::%s:role/%s", req->account, role);
    else if (source)
        snprintf(arn, arn_size, "%s", source);
    else if (policy)
        snprintf(arn, arn_size, "%s", policy);
    else
        snprintf(arn, arn_size, "*");
    return 1;
}

const aws_service iam_service = {
    .name = "iam",
    .signing_name = "iam",
    .protocol = AWS_PROTO_QUERY,
    .operations = iam_operations,
    .operation_count = sizeof iam_operations / sizeof *iam_operations,
    .query = &iam_query,
    .init = iam_init,
    .resource_arn = iam_resource_arn,
};
