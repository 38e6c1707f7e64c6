/*
 * sqs_evb.c: SQS as an EventBridge target and dead-letter queue. The
 * rendered input becomes the message body; dead-letter records carry the
 * attributes EventBridge adds.
 */
#include "sqs_internal.h"

#include <stdio.h>
#include <string.h>

#include "evb_target.h"

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
    if (delivery->message_attributes)
        group = NULL;
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
