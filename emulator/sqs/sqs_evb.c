/*
 * sqs_evb.c: SQS as an EventBridge target and dead-letter queue. The
 * rendered input becomes the message body; dead-letter records carry the
 * attributes EventBridge adds.
 */
#include "sqs_internal.h"

#include <stdio.h>
#include <string.h>

#include "evb_target.h"
#include "iam.h"

/*
 * Whether the dead-letter queue's Policy lets EventBridge send to it, as
 * AWS requires: a queue without a policy rejects it. NOTE: SQS queues
 * that are rule targets themselves are not checked yet.
 */
static int sqs_evb_policy_allows(stratus *srv, const evb_delivery *delivery)
{
    char region[64], account[16], name[96];
    if (sscanf(delivery->target_arn, "arn:aws:sqs:%63[^:]:%15[^:]:%95s", region,
               account, name) != 3)
        return 1; /* sqs_send_to_arn reports the bad ARN */
    sqs_queue *q = sqs__queue_load(srv, account, region, name);
    if (!q)
        return 1; /* sqs_send_to_arn reports the missing queue */
    int allowed = iam_resource_policy_allows(
        srv, sqs__str(q->attributes, "Policy"), "events.amazonaws.com",
        "sqs:SendMessage", delivery->target_arn, delivery->rule_arn,
        delivery->account);
    sqs__queue_free(q);
    return allowed;
}

static evb_delivery_status sqs_evb_deliver(stratus *srv,
                                           const evb_delivery *delivery,
                                           evb_delivery_error *err)
{
    const cJSON *params =
        cJSON_GetObjectItemCaseSensitive(delivery->target, "SqsParameters");
    const char *group = sqs__str(params, "MessageGroupId");
    aws_error aerr;
    memset(&aerr, 0, sizeof aerr);
    char message_id[37];

    /* Dead-letter records use the target's SqsParameters only when the
     * queue is the target itself. */
    if (delivery->message_attributes) {
        group = NULL;
        if (!sqs_evb_policy_allows(srv, delivery)) {
            snprintf(err->code, sizeof err->code, "%s", "NO_PERMISSIONS");
            snprintf(err->message, sizeof err->message,
                     "The policy of queue %.400s does not allow "
                     "events.amazonaws.com to perform sqs:SendMessage",
                     delivery->target_arn);
            return EVB_DELIVERY_FAILED;
        }
    }
    if (sqs_send_to_arn(srv, delivery->target_arn, delivery->input,
                        delivery->message_attributes, group, message_id,
                        &aerr) == 0)
        return EVB_DELIVERY_OK;

    snprintf(err->code, sizeof err->code, "%s",
             aerr.code == AWS_ERR_SQS_QUEUE_DOES_NOT_EXIST
                 ? "RESOURCE_NOT_FOUND"
                 : "SDK_CLIENT_ERROR");
    snprintf(err->message, sizeof err->message, "%.500s", aerr.message);
    aws_error_reset(&aerr);
    return EVB_DELIVERY_FAILED;
}

int sqs__evb_register(stratus *srv)
{
    return evb_target_register(srv, "sqs", sqs_evb_deliver);
}
