/*
 * iam_managed.c: the AWS managed policies Stratus defines, with their
 * documents as AWS publishes them, and GetPolicy, GetPolicyVersion and
 * ListPolicies over them.
 *
 * Source: the AWS Managed Policy Reference
 * (docs.aws.amazon.com/aws-managed-policy/latest/reference/), which gives
 * each policy's ARN, default version, creation and edit times and
 * document; it gives times to the minute, so seconds are 00 here. NOTE:
 * the PolicyId values are not in that reference. They are the ids these
 * policies carry in IAM responses as remembered, not checked against a
 * recorded response.
 */
#include "iam_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

#define IAM_AWS_POLICY_PREFIX "arn:aws:iam::aws:policy"

static const iam_managed_policy iam_managed_policies[] = {
    {
        .name = "AWSLambdaBasicExecutionRole",
        .path = "/service-role/",
        .policy_id = "ANPAJNCQGXC42545SKXIK",
        .version = "v1",
        .description = "Provides write permissions to CloudWatch Logs.",
        .created = "2015-04-09T15:03:00Z",
        .updated = "2015-04-09T15:03:00Z",
        .document = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n"
                    "    {\n      \"Effect\": \"Allow\",\n"
                    "      \"Action\": [\n"
                    "        \"logs:CreateLogGroup\",\n"
                    "        \"logs:CreateLogStream\",\n"
                    "        \"logs:PutLogEvents\"\n      ],\n"
                    "      \"Resource\": \"*\"\n    }\n  ]\n}",
    },
    {
        .name = "AWSLambdaVPCAccessExecutionRole",
        .path = "/service-role/",
        .policy_id = "ANPAJVTME3YLVNL72YR2K",
        .version = "v3",
        .description =
            "Provides minimum permissions for a Lambda function to execute "
            "while accessing a resource within a VPC - create, describe, "
            "delete network interfaces and write permissions to CloudWatch "
            "Logs. ",
        .created = "2016-02-11T23:15:00Z",
        .updated = "2024-01-05T22:38:00Z",
        .document = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n"
                    "    {\n      \"Sid\": "
                    "\"AWSLambdaVPCAccessExecutionPermissions\",\n"
                    "      \"Effect\": \"Allow\",\n      \"Action\": [\n"
                    "        \"logs:CreateLogGroup\",\n"
                    "        \"logs:CreateLogStream\",\n"
                    "        \"logs:PutLogEvents\",\n"
                    "        \"ec2:CreateNetworkInterface\",\n"
                    "        \"ec2:DescribeNetworkInterfaces\",\n"
                    "        \"ec2:DescribeSubnets\",\n"
                    "        \"ec2:DeleteNetworkInterface\",\n"
                    "        \"ec2:AssignPrivateIpAddresses\",\n"
                    "        \"ec2:UnassignPrivateIpAddresses\"\n      ],\n"
                    "      \"Resource\": \"*\"\n    }\n  ]\n}",
    },
    {
        .name = "AWSLambdaRole",
        .path = "/service-role/",
        .policy_id = "ANPAJX4DPCRGTC4NFDUXI",
        .version = "v1",
        .description = "Default policy for AWS Lambda service role.",
        .created = "2015-02-06T18:41:00Z",
        .updated = "2015-02-06T18:41:00Z",
        .document = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n"
                    "    {\n      \"Effect\": \"Allow\",\n"
                    "      \"Action\": [\n"
                    "        \"lambda:InvokeFunction\"\n      ],\n"
                    "      \"Resource\": [\n        \"*\"\n      ]\n"
                    "    }\n  ]\n}",
    },
};

#define IAM_MANAGED_COUNT                                                      \
    (sizeof iam_managed_policies / sizeof *iam_managed_policies)

static void iam_managed_arn(const iam_managed_policy *p, char *out, size_t size)
{
    snprintf(out, size, IAM_AWS_POLICY_PREFIX "%s%s", p->path, p->name);
}

const iam_managed_policy *iam__managed_find(const char *arn)
{
    char candidate[256];
    for (size_t i = 0; i < IAM_MANAGED_COUNT; i++) {
        iam_managed_arn(&iam_managed_policies[i], candidate, sizeof candidate);
        if (strcmp(candidate, arn) == 0)
            return &iam_managed_policies[i];
    }
    return NULL;
}

/* How many roles of the account have the policy attached. */
static int iam_attachment_count(stratus *srv, const char *account,
                                const char *arn)
{
    sqlite3_stmt *s =
        store_stmt(srv->store, "SELECT COUNT(*) FROM iam_role_attachment a"
                               " JOIN iam_role r ON r.id = a.role"
                               " WHERE r.account = ?1 AND a.policy_arn = ?2");
    sqlite3_bind_text(s, 1, account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, arn, -1, SQLITE_STATIC);
    int n = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int(s, 0) : 0;
    sqlite3_reset(s);
    return n;
}

static cJSON *iam_policy_json(stratus *srv, const char *account,
                              const iam_managed_policy *p, int with_description)
{
    char arn[256];
    iam_managed_arn(p, arn, sizeof arn);
    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "PolicyName", p->name);
    cJSON_AddStringToObject(out, "PolicyId", p->policy_id);
    cJSON_AddStringToObject(out, "Arn", arn);
    cJSON_AddStringToObject(out, "Path", p->path);
    cJSON_AddStringToObject(out, "DefaultVersionId", p->version);
    cJSON_AddNumberToObject(out, "AttachmentCount",
                            iam_attachment_count(srv, account, arn));
    cJSON_AddNumberToObject(out, "PermissionsBoundaryUsageCount", 0);
    cJSON_AddBoolToObject(out, "IsAttachable", 1);
    if (with_description)
        cJSON_AddStringToObject(out, "Description", p->description);
    cJSON_AddStringToObject(out, "CreateDate", p->created);
    cJSON_AddStringToObject(out, "UpdateDate", p->updated);
    return out;
}

static const iam_managed_policy *
iam_request_policy(aws_request *req, const char **arn_out, aws_error *err)
{
    const char *arn = iam__str(req->body, "PolicyArn");
    if (!arn) {
        iam__missing(err, "PolicyArn");
        return NULL;
    }
    if (strncmp(arn, "arn:", 4) != 0) {
        aws_fail(err, AWS_ERR_IAM_INVALID_INPUT, "ARN %s is not valid.", arn);
        return NULL;
    }
    const iam_managed_policy *p = iam__managed_find(arn);
    if (!p)
        aws_fail(err, AWS_ERR_IAM_NO_SUCH_ENTITY,
                 "Policy %s does not exist or is not attachable.", arn);
    *arn_out = arn;
    return p;
}

cJSON *iam_op_get_policy(aws_request *req, aws_error *err)
{
    const char *arn = NULL;
    const iam_managed_policy *p = iam_request_policy(req, &arn, err);
    if (!p)
        return NULL;
    cJSON *out = cJSON_CreateObject();
    cJSON_AddItemToObject(out, "Policy",
                          iam_policy_json(req->srv, req->account, p, 1));
    return out;
}

cJSON *iam_op_get_policy_version(aws_request *req, aws_error *err)
{
    const char *arn = NULL;
    const iam_managed_policy *p = iam_request_policy(req, &arn, err);
    if (!p)
        return NULL;
    const char *version = iam__str(req->body, "VersionId");
    if (!version) {
        iam__missing(err, "VersionId");
        return NULL;
    }
    /* NOTE: only the default version exists in Stratus; AWS keeps the
     * earlier versions of a managed policy too. */
    if (strcmp(version, p->version) != 0) {
        aws_fail(err, AWS_ERR_IAM_NO_SUCH_ENTITY,
                 "Policy %s version %s does not exist or is not attachable.",
                 arn, version);
        return NULL;
    }
    char *encoded = iam__url_encode(p->document);
    cJSON *out = cJSON_CreateObject();
    cJSON *v = cJSON_AddObjectToObject(out, "PolicyVersion");
    cJSON_AddStringToObject(v, "Document", encoded);
    cJSON_AddStringToObject(v, "VersionId", p->version);
    cJSON_AddBoolToObject(v, "IsDefaultVersion", 1);
    cJSON_AddStringToObject(v, "CreateDate", p->updated);
    free(encoded);
    return out;
}

cJSON *iam_op_list_policies(aws_request *req, aws_error *err)
{
    const char *scope = iam__str(req->body, "Scope");
    const char *only_attached = iam__str(req->body, "OnlyAttached");
    const char *prefix = iam__str(req->body, "PathPrefix");
    if (scope && strcmp(scope, "All") != 0 && strcmp(scope, "AWS") != 0 &&
        strcmp(scope, "Local") != 0) {
        aws_fail(err, AWS_ERR_IAM_VALIDATION_ERROR,
                 "1 validation error detected: Value '%s' at 'scope' failed "
                 "to satisfy constraint: Member must satisfy enum value set: "
                 "[All, AWS, Local]",
                 scope);
        return NULL;
    }

    cJSON *out = cJSON_CreateObject();
    cJSON *list = cJSON_AddArrayToObject(out, "Policies");
    /* Local (customer managed) policies do not exist in Stratus. */
    for (size_t i = 0;
         !(scope && strcmp(scope, "Local") == 0) && i < IAM_MANAGED_COUNT;
         i++) {
        const iam_managed_policy *p = &iam_managed_policies[i];
        if (prefix && strncmp(p->path, prefix, strlen(prefix)) != 0)
            continue;
        cJSON *item = iam_policy_json(req->srv, req->account, p, 0);
        const cJSON *count =
            cJSON_GetObjectItemCaseSensitive(item, "AttachmentCount");
        if (only_attached && strcmp(only_attached, "true") == 0 &&
            count->valuedouble == 0) {
            cJSON_Delete(item);
            continue;
        }
        cJSON_AddItemToArray(list, item);
    }
    cJSON_AddBoolToObject(out, "IsTruncated", 0);
    return out;
}
