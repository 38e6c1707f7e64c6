/*
 * iam_stack.c: the stack types AWS::IAM::Role and AWS::SQS::QueuePolicy,
 * applied through the same operation handlers the API serves.
 *
 * A role that already exists (a redeploy) gets the stack's trust policy,
 * inline policies and attachments again. Policies the stack no longer
 * names are left in place.
 */
#include "iam_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqs.h"

/* Run an IAM handler on `body` as the stack's caller. Returns 0 or -1. */
static int iam_stack_call(stratus *srv, const char *account, const char *region,
                          const char *operation, aws_op_fn handler, cJSON *body,
                          aws_error *err)
{
    aws_request req = {
        .srv = srv,
        .service = &iam_service,
        .operation = operation,
        .account = account,
        .region = region,
        .access_key = "",
        .request_id = "stack",
        .body = body,
        .status = 200,
    };
    cJSON *out = handler(&req, err);
    cJSON_Delete(out);
    return out ? 0 : -1;
}

/* A document property as the string the Query API takes. */
static void iam_stack_add_document(cJSON *body, const char *member,
                                   const cJSON *value)
{
    if (cJSON_IsString(value)) {
        cJSON_AddStringToObject(body, member, value->valuestring);
    } else if (value) {
        char *text = cJSON_PrintUnformatted(value);
        cJSON_AddStringToObject(body, member, text);
        free(text);
    }
}

int iam_stack_apply_role(stratus *srv, const char *account, const char *region,
                         const char *logical_id, const cJSON *properties,
                         aws_error *err)
{
    if (!cJSON_IsObject(properties))
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "Properties of %s must be a mapping", logical_id);
    const char *name = iam__str(properties, "RoleName");
    if (!name)
        name = logical_id;
    const cJSON *trust = cJSON_GetObjectItemCaseSensitive(
        properties, "AssumeRolePolicyDocument");

    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "RoleName", name);
    iam_stack_add_document(body, "AssumeRolePolicyDocument", trust);
    static const char *const copied[] = {"Path", "Description"};
    for (size_t i = 0; i < sizeof copied / sizeof *copied; i++) {
        const char *v = iam__str(properties, copied[i]);
        if (v)
            cJSON_AddStringToObject(body, copied[i], v);
    }
    const cJSON *duration =
        cJSON_GetObjectItemCaseSensitive(properties, "MaxSessionDuration");
    if (duration)
        cJSON_AddItemToObject(body, "MaxSessionDuration",
                              cJSON_Duplicate(duration, 1));
    const cJSON *tags = cJSON_GetObjectItemCaseSensitive(properties, "Tags");
    if (cJSON_IsArray(tags))
        cJSON_AddItemToObject(body, "Tags", cJSON_Duplicate(tags, 1));

    iam_role *existing = iam__role_load(srv, account, name, NULL);
    int rc;
    if (existing) {
        iam__role_free(existing);
        cJSON *update = cJSON_CreateObject();
        cJSON_AddStringToObject(update, "RoleName", name);
        iam_stack_add_document(update, "PolicyDocument", trust);
        rc = iam_stack_call(srv, account, region, "UpdateAssumeRolePolicy",
                            iam_op_update_assume_role_policy, update, err);
        cJSON_Delete(update);
    } else {
        rc = iam_stack_call(srv, account, region, "CreateRole",
                            iam_op_create_role, body, err);
    }
    cJSON_Delete(body);
    if (rc != 0)
        return -1;

    const cJSON *policy;
    cJSON_ArrayForEach(policy,
                       cJSON_GetObjectItemCaseSensitive(properties, "Policies"))
    {
        cJSON *put = cJSON_CreateObject();
        cJSON_AddStringToObject(put, "RoleName", name);
        const char *policy_name = iam__str(policy, "PolicyName");
        if (policy_name)
            cJSON_AddStringToObject(put, "PolicyName", policy_name);
        iam_stack_add_document(
            put, "PolicyDocument",
            cJSON_GetObjectItemCaseSensitive(policy, "PolicyDocument"));
        rc = iam_stack_call(srv, account, region, "PutRolePolicy",
                            iam_op_put_role_policy, put, err);
        cJSON_Delete(put);
        if (rc != 0)
            return -1;
    }

    const cJSON *arn;
    cJSON_ArrayForEach(
        arn, cJSON_GetObjectItemCaseSensitive(properties, "ManagedPolicyArns"))
    {
        if (!cJSON_IsString(arn))
            continue;
        cJSON *attach = cJSON_CreateObject();
        cJSON_AddStringToObject(attach, "RoleName", name);
        cJSON_AddStringToObject(attach, "PolicyArn", arn->valuestring);
        rc = iam_stack_call(srv, account, region, "AttachRolePolicy",
                            iam_op_attach_role_policy, attach, err);
        cJSON_Delete(attach);
        if (rc != 0)
            return -1;
    }
    return 0;
}

/* A queue named by URL, ARN or name, as the URL SetQueueAttributes takes
 * (SQS reads only the "<account>/<name>" end of its path). */
static void iam_stack_queue_url(const char *queue, const char *account,
                                char *out, size_t size)
{
    if (strncmp(queue, "http://", 7) == 0 ||
        strncmp(queue, "https://", 8) == 0) {
        snprintf(out, size, "%s", queue);
        return;
    }
    if (strncmp(queue, "arn:aws:sqs:", 12) == 0) {
        char region[64], queue_account[16], name[128];
        if (sscanf(queue, "arn:aws:sqs:%63[^:]:%15[^:]:%127s", region,
                   queue_account, name) == 3) {
            snprintf(out, size, "http://localhost/%s/%s", queue_account, name);
            return;
        }
    }
    snprintf(out, size, "http://localhost/%s/%s", account, queue);
}

int iam_stack_apply_queue_policy(stratus *srv, const char *account,
                                 const char *region, const char *logical_id,
                                 const cJSON *properties, aws_error *err)
{
    if (!cJSON_IsObject(properties))
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "Properties of %s must be a mapping", logical_id);
    const cJSON *queues =
        cJSON_GetObjectItemCaseSensitive(properties, "Queues");
    const cJSON *document =
        cJSON_GetObjectItemCaseSensitive(properties, "PolicyDocument");
    if (!cJSON_IsArray(queues) || cJSON_GetArraySize(queues) == 0)
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "%s: Queues must list at least one queue URL or name",
                        logical_id);
    if (!document)
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "%s: PolicyDocument is required", logical_id);
    const aws_operation *op =
        aws_operation_find(&sqs_service, "SetQueueAttributes");
    if (!op || !op->handler)
        return aws_fail(err, AWS_ERR_INTERNAL_SERVER_ERROR,
                        "SQS SetQueueAttributes is not available");

    const cJSON *queue;
    cJSON_ArrayForEach(queue, queues)
    {
        if (!cJSON_IsString(queue))
            return aws_fail(err, AWS_ERR_VALIDATION,
                            "%s: each entry of Queues must be a string",
                            logical_id);
        char url[600];
        iam_stack_queue_url(queue->valuestring, account, url, sizeof url);
        cJSON *body = cJSON_CreateObject();
        cJSON_AddStringToObject(body, "QueueUrl", url);
        cJSON *attrs = cJSON_AddObjectToObject(body, "Attributes");
        iam_stack_add_document(attrs, "Policy", document);
        aws_request req = {
            .srv = srv,
            .service = &sqs_service,
            .operation = "SetQueueAttributes",
            .account = account,
            .region = region,
            .access_key = "",
            .request_id = "stack",
            .body = body,
            .status = 200,
        };
        cJSON *out = op->handler(&req, err);
        cJSON_Delete(body);
        if (!out)
            return -1;
        cJSON_Delete(out);
    }
    return 0;
}
