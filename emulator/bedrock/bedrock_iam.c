/*
 * bedrock_iam.c: the IAM actions and resources of Bedrock Runtime requests
 * signed with credentials Stratus issued. Converse needs
 * bedrock:InvokeModel and ConverseStream bedrock:InvokeModelWithResponseStream,
 * as AWS documents. A model id with a geography prefix ("us.", "eu.",
 * "apac.", "global.") names a cross-region inference profile, which needs
 * the action on the profile and on the foundation model it routes to. A
 * plain id names a foundation model, and an ARN names itself.
 */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "bedrock.h"

/* The length of a geography prefix of `model` ("us."), or 0. */
static size_t bedrock_profile_prefix(const char *model)
{
    static const char *const prefixes[] = {"us.", "eu.", "apac.", "us-gov.",
                                           "global."};
    for (size_t i = 0; i < sizeof prefixes / sizeof *prefixes; i++) {
        size_t len = strlen(prefixes[i]);
        if (strncmp(model, prefixes[i], len) == 0)
            return len;
    }
    return 0;
}

int bedrock_resource_arn(const aws_request *req, size_t index, char *action,
                         size_t action_size, char *arn, size_t arn_size)
{
    const cJSON *model =
        cJSON_GetObjectItemCaseSensitive(req->params, "modelId");
    if (strcmp(req->operation, "Converse") == 0)
        snprintf(action, action_size, "bedrock:InvokeModel");
    else if (strcmp(req->operation, "ConverseStream") == 0)
        snprintf(action, action_size, "bedrock:InvokeModelWithResponseStream");

    if (!cJSON_IsString(model)) {
        if (index > 0)
            return 0;
        snprintf(arn, arn_size, "*");
        return 1;
    }
    const char *id = model->valuestring;
    if (strncmp(id, "arn:", 4) == 0) {
        if (index > 0)
            return 0;
        snprintf(arn, arn_size, "%s", id);
        return 1;
    }
    size_t prefix = bedrock_profile_prefix(id);
    if (prefix == 0) {
        if (index > 0)
            return 0;
        snprintf(arn, arn_size, "arn:aws:bedrock:%s::foundation-model/%s",
                 req->region, id);
        return 1;
    }
    if (index == 0) {
        snprintf(arn, arn_size, "arn:aws:bedrock:%s:%s:inference-profile/%s",
                 req->region, req->account, id);
        return 1;
    }
    if (index == 1) {
        snprintf(arn, arn_size, "arn:aws:bedrock:%s::foundation-model/%s",
                 req->region, id + prefix);
        return 1;
    }
    return 0;
}
