/*
 * lam_iam.c: the IAM actions and resource ARNs of Lambda requests, for
 * requests signed with credentials Stratus issued: the function a request
 * names (with its Qualifier), and lambda:InvokeFunction for Invoke, the
 * action AWS checks.
 */
#include "lam_internal.h"

#include <stdio.h>
#include <string.h>

static const char *lam_iam_param(const aws_request *req, const char *name)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(req->params, name);
    if (!cJSON_IsString(m))
        m = cJSON_GetObjectItemCaseSensitive(req->body, name);
    return cJSON_IsString(m) ? m->valuestring : NULL;
}

int lam__resource_arn(const aws_request *req, size_t index, char *action,
                      size_t action_size, char *arn, size_t arn_size)
{
    if (index > 0)
        return 0;
    if (strcmp(req->operation, "Invoke") == 0)
        snprintf(action, action_size, "%s", "lambda:InvokeFunction");

    const char *function = lam_iam_param(req, "FunctionName");
    const char *resource = lam_iam_param(req, "Resource");
    const char *qualifier = lam_iam_param(req, "Qualifier");
    char name[160];
    aws_error err;
    memset(&err, 0, sizeof err);
    if (function && lam__function_name(function, req->region, req->account,
                                       name, sizeof name, &err) == 0) {
        lam__function_arn(req->region, req->account, name, arn, arn_size);
        if (qualifier)
            snprintf(arn + strlen(arn), arn_size - strlen(arn), ":%s",
                     qualifier);
    } else if (resource) {
        snprintf(arn, arn_size, "%s", resource);
    } else {
        snprintf(arn, arn_size, "*");
    }
    aws_error_reset(&err);
    return 1;
}
