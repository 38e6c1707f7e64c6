/*
 * sfn_evb.c: a state machine as an EventBridge target. Each delivery starts
 * an execution with the rendered input and a generated name, as AWS does
 * for a rule target. A machine that does not exist, or an input that is not
 * JSON, fails the delivery without retry; EventBridge then applies the
 * target's dead-letter queue.
 */
#include "sfn_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evb_target.h"
#include "log.h"
#include "util.h"

static evb_delivery_status sfn_evb_deliver(stratus *srv,
                                           const evb_delivery *delivery,
                                           evb_delivery_error *err)
{
    aws_error aerr;
    memset(&aerr, 0, sizeof aerr);
    char *input = xstrndup(delivery->input, delivery->input_len);
    char arn[1024];
    int rc = sfn_execution_start(srv, delivery->account, delivery->region,
                                 delivery->target_arn, NULL, input, arn,
                                 sizeof arn, &aerr);
    free(input);
    if (rc == 0) {
        log_debug("stepfunctions", "rule %s started %s", delivery->rule_arn,
                  arn);
        return EVB_DELIVERY_OK;
    }

    evb_delivery_status status = EVB_DELIVERY_FAILED;
    const char *code = "SDK_CLIENT_ERROR";
    if (aerr.code == AWS_ERR_SFN_STATE_MACHINE_DOES_NOT_EXIST)
        code = "RESOURCE_NOT_FOUND";
    else if (aerr.code == AWS_ERR_INTERNAL_SERVER_ERROR)
        status = EVB_DELIVERY_RETRY;
    snprintf(err->code, sizeof err->code, "%s", code);
    snprintf(err->message, sizeof err->message, "%.500s", aerr.message);
    log_info("stepfunctions", "rule %s could not start %s: %s",
             delivery->rule_arn, delivery->target_arn, aerr.message);
    aws_error_reset(&aerr);
    return status;
}

int sfn__evb_register(stratus *srv)
{
    return evb_target_register(srv, "states", sfn_evb_deliver);
}
