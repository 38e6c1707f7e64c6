/*
 * sfn_lambda.c: Task states that invoke Lambda functions, registered in the
 * task registry for two resources:
 *
 *   arn:aws:states:::lambda:invoke  Parameters name FunctionName and an
 *       optional Payload (and Qualifier); the result is AWS's invoke
 *       envelope {ExecutedVersion, Payload, SdkHttpMetadata,
 *       SdkResponseMetadata, StatusCode}.
 *   arn:aws:lambda:...:function:NAME  the effective input is the event and
 *       the function's return value is the result.
 *
 * A function error fails the task with the error's errorType as the error
 * name and the error object's JSON text as the cause. An invoke the Lambda
 * service rejects fails it with "Lambda." and the service error's type, such
 * as Lambda.ResourceNotFoundException or Lambda.TooManyRequestsException.
 *
 * Not handled: InvocationType Event, ClientContext, the .waitForTaskToken
 * pattern, and the SdkHttpMetadata headers beyond a minimal set.
 */
#include "sfn_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iam.h"
#include "lam.h"
#include "log.h"
#include "util.h"

#define SFN_LAMBDA_INVOKE "arn:aws:states:::lambda:invoke"
#define SFN_LAMBDA_ARN "arn:aws:lambda:"

/* What the Lambda callback needs to report the outcome. */
typedef struct sfn_lambda_call {
    sfn_task_done done;
    void *done_arg;
    bool envelope; /* lambda:invoke wraps the result */
} sfn_lambda_call;

/* The invoke envelope of lambda:invoke around a function's result. */
static cJSON *sfn_lambda_envelope(cJSON *payload, const char *request_id)
{
    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "ExecutedVersion", "$LATEST");
    cJSON_AddItemToObject(out, "Payload", payload);
    cJSON *http = cJSON_AddObjectToObject(out, "SdkHttpMetadata");
    cJSON *all = cJSON_AddObjectToObject(http, "AllHttpHeaders");
    cJSON_AddItemToObject(
        all, "X-Amz-Executed-Version",
        cJSON_CreateStringArray((const char *const[]){"$LATEST"}, 1));
    cJSON_AddItemToObject(all, "x-amzn-RequestId",
                          cJSON_CreateStringArray(&request_id, 1));
    cJSON *headers = cJSON_AddObjectToObject(http, "HttpHeaders");
    cJSON_AddStringToObject(headers, "X-Amz-Executed-Version", "$LATEST");
    cJSON_AddStringToObject(headers, "x-amzn-RequestId", request_id);
    cJSON_AddNumberToObject(http, "HttpStatusCode", 200);
    cJSON *meta = cJSON_AddObjectToObject(out, "SdkResponseMetadata");
    cJSON_AddStringToObject(meta, "RequestId", request_id);
    cJSON_AddNumberToObject(out, "StatusCode", 200);
    return out;
}

static void sfn_lambda_finished(stratus *srv, const lam_result *result,
                                void *arg)
{
    sfn_lambda_call *call = arg;
    const char *text = result->payload ? result->payload : "";
    cJSON *payload = cJSON_ParseWithLength(text, result->payload_len);

    if (result->function_error) {
        const char *type = NULL;
        if (cJSON_IsObject(payload)) {
            const cJSON *t =
                cJSON_GetObjectItemCaseSensitive(payload, "errorType");
            type = cJSON_IsString(t) ? t->valuestring : NULL;
        }
        char *cause = xstrndup(text, result->payload_len);
        call->done(srv, call->done_arg, NULL,
                   type ? type : result->function_error, cause);
        free(cause);
    } else {
        if (!payload)
            payload = result->payload_len ? cJSON_CreateString(text)
                                          : cJSON_CreateNull();
        cJSON *output = call->envelope
                            ? sfn_lambda_envelope(payload, result->request_id)
                            : payload;
        payload = NULL;
        call->done(srv, call->done_arg, output, NULL, NULL);
        cJSON_Delete(output);
    }
    cJSON_Delete(payload);
    free(call);
}

/*
 * Check that the execution's role may invoke the function, as Step
 * Functions does when it calls Lambda with the role's credentials. On a
 * denial, fail the task with the error AWS reports: Lambda's
 * AccessDeniedException surfaces as Lambda.AWSLambdaException.
 */
static bool sfn_lambda_role_allows(stratus *srv, const sfn_task_request *req,
                                   const char *function, sfn_task_done done,
                                   void *done_arg)
{
    char arn[1024], reason[1024], machine[512] = "";
    /* aws:SourceArn is the state machine: the execution ARN
     * arn:aws:states:R:A:execution:MACHINE:NAME without its name. */
    const char *marker = strstr(req->execution_arn, ":execution:");
    const char *name = marker ? strrchr(req->execution_arn, ':') : NULL;
    if (marker && name > marker + 11)
        snprintf(machine, sizeof machine, "%.*s:stateMachine:%.*s",
                 (int)(marker - req->execution_arn), req->execution_arn,
                 (int)(name - marker - 11), marker + 11);
    if (strncmp(function, "arn:", 4) == 0)
        snprintf(arn, sizeof arn, "%s", function);
    else
        snprintf(arn, sizeof arn, "arn:aws:lambda:%s:%s:function:%s",
                 req->region, req->account, function);
    if (!req->role_arn ||
        iam_service_role_allows(
            srv, req->account, req->role_arn, "states.amazonaws.com",
            machine[0] ? machine : NULL, "lambda:InvokeFunction", arn, reason,
            sizeof reason))
        return true;

    char request_id[37], cause[1400];
    util_uuid4(request_id);
    snprintf(cause, sizeof cause,
             "%s (Service: AWSLambda; Status Code: 403; Error Code: "
             "AccessDeniedException; Request ID: %s; Proxy: null)",
             reason, request_id);
    log_debug("stepfunctions", "%s: %s", req->execution_arn, reason);
    done(srv, done_arg, NULL, "Lambda.AWSLambdaException", cause);
    return false;
}

static void sfn_lambda_task(stratus *srv, const sfn_task_request *req,
                            sfn_task_done done, void *done_arg)
{
    bool envelope = strncmp(req->resource, SFN_LAMBDA_INVOKE,
                            sizeof SFN_LAMBDA_INVOKE - 1) == 0;
    const char *function = req->resource;
    const cJSON *event = req->parameters;
    if (envelope) {
        function = sfn__str(req->parameters, "FunctionName");
        event = sfn__get(req->parameters, "Payload");
        if (!function) {
            done(srv, done_arg, NULL, "States.Runtime",
                 "The field 'FunctionName' is required by "
                 "arn:aws:states:::lambda:invoke");
            return;
        }
    }
    char *payload = event ? cJSON_PrintUnformatted(event) : xstrdup("{}");
    char qualified[1024];
    const char *qualifier =
        envelope ? sfn__str(req->parameters, "Qualifier") : NULL;
    if (qualifier && !strchr(function, ':')) {
        snprintf(qualified, sizeof qualified, "%s:%s", function, qualifier);
        function = qualified;
    }

    if (!sfn_lambda_role_allows(srv, req, function, done, done_arg)) {
        free(payload);
        return;
    }

    sfn_lambda_call *call = xcalloc(1, sizeof *call);
    call->done = done;
    call->done_arg = done_arg;
    call->envelope = envelope;
    aws_error err;
    memset(&err, 0, sizeof err);
    lam_invocation *inv =
        lam_invoke(srv, req->account, req->region, function, payload,
                   strlen(payload), NULL, sfn_lambda_finished, call, &err);
    free(payload);
    if (inv) {
        log_debug("stepfunctions", "%s: invoked %s as %s", req->execution_arn,
                  function, lam_invocation_request_id(inv));
        return;
    }

    char error[300], cause[1400];
    snprintf(error, sizeof error, "Lambda.%s", aws_code_name(err.code));
    snprintf(cause, sizeof cause,
             "%s (Service: Lambda, Status Code: %d, Error Code: %s)",
             err.message[0] ? err.message : "The invoke was rejected",
             err.status ? err.status : aws_code_status(err.code),
             aws_code_name(err.code));
    aws_error_reset(&err);
    free(call);
    done(srv, done_arg, NULL, error, cause);
}

void sfn__lambda_register(stratus *srv)
{
    sfn_task_register(srv, SFN_LAMBDA_INVOKE, sfn_lambda_task);
    sfn_task_register(srv, SFN_LAMBDA_ARN, sfn_lambda_task);
}
