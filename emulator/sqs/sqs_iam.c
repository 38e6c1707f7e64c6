/*
 * sqs_iam.c: the IAM actions and resource ARNs of SQS requests, for
 * requests signed with credentials Stratus issued: the queue of QueueUrl,
 * or of QueueName for CreateQueue and GetQueueUrl. A batch operation needs
 * the action of its single form (SendMessageBatch needs sqs:SendMessage),
 * as SQS documents.
 */
#include "sqs_internal.h"

#include <stdio.h>
#include <string.h>

int sqs__resource_arn(const aws_request *req, size_t index, char *action,
                      size_t action_size, char *arn, size_t arn_size)
{
    if (index > 0)
        return 0;
    size_t len = strlen(action);
    if (len > 5 && strcmp(action + len - 5, "Batch") == 0 &&
        len - 5 < action_size)
        action[len - 5] = '\0';
    const char *url = sqs__str(req->body, "QueueUrl");
    const char *name = sqs__str(req->body, "QueueName");
    snprintf(arn, arn_size, "*");
    if (url) {
        /* The URL ends in "<account>/<name>". */
        const char *slash = strrchr(url, '/');
        const char *account = slash;
        while (account && account > url && account[-1] != '/')
            account--;
        if (slash && account && slash > account && slash[1])
            snprintf(arn, arn_size, "arn:aws:sqs:%s:%.*s:%s", req->region,
                     (int)(slash - account), account, slash + 1);
    } else if (name) {
        snprintf(arn, arn_size, "arn:aws:sqs:%s:%s:%s", req->region,
                 req->account, name);
    }
    return 1;
}
