/*
 * lam.c: the Lambda service: its initialisation (schema, the asynchronous
 * invoke job), its teardown (execution environments, unpacked code), the
 * AWS::Lambda::Function stack type and its operation table, REST-JSON under
 * the 2015-03-31 API version.
 *
 * Implemented: CreateFunction, GetFunction, GetFunctionConfiguration,
 * ListFunctions, UpdateFunctionConfiguration, UpdateFunctionCode,
 * DeleteFunction, Invoke, ListTags, TagResource, UntagResource,
 * AddPermission, GetPolicy and RemovePermission. The
 * other operations of the API are listed without a handler, so clients
 * get a clear NotImplementedException.
 */
#include "lam.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evb_target.h"
#include "jobs.h"
#include "lam_internal.h"

/*
 * EventBridge target: an asynchronous invoke, as EventBridge makes it. A
 * missing function or an unusable payload is a client error (no retry);
 * anything else is retried under the target's RetryPolicy.
 */
static evb_delivery_status lam_evb_deliver(stratus *srv,
                                           const evb_delivery *delivery,
                                           evb_delivery_error *derr)
{
    aws_error err;
    memset(&err, 0, sizeof err);
    if (lam_invoke_event(srv, delivery->account, delivery->region,
                         delivery->target_arn, delivery->input,
                         delivery->input_len, NULL, &err) == 0)
        return EVB_DELIVERY_OK;

    evb_delivery_status status = EVB_DELIVERY_FAILED;
    const char *code = "SDK_CLIENT_ERROR";
    if (err.code == AWS_ERR_RESOURCE_NOT_FOUND)
        code = "RESOURCE_NOT_FOUND";
    else if (err.code == AWS_ERR_TOO_MANY_REQUESTS) {
        code = "THROTTLING";
        status = EVB_DELIVERY_RETRY;
    } else if (err.code == AWS_ERR_INTERNAL_SERVER_ERROR)
        status = EVB_DELIVERY_RETRY;
    snprintf(derr->code, sizeof derr->code, "%s", code);
    snprintf(derr->message, sizeof derr->message, "%s", err.message);
    aws_error_reset(&err);
    return status;
}

static int lam_init(stratus *srv, aws_error *err)
{
    if (lam__store_init(srv, err) != 0)
        return -1;
    lam_state *st = xcalloc(1, sizeof *st);
    st->srv = srv;
    st->idle_ms = 300000;
    st->max_environments = LAM_MAX_ENVIRONMENTS;

    srv->service_state[stratus_service_index(&lam_service)] = st;
    jobs_register(srv->jobs, LAM_JOB_INVOKE, lam__invoke_job);
    evb_target_register(srv, "lambda", lam_evb_deliver);

    if (store_call_begin(srv->store) != SQLITE_OK)
        return aws_fail(err, AWS_ERR_INTERNAL_SERVER_ERROR,
                        "cannot open the store to recover Event invocations");
    lam__event_recover(srv);
    store_call_end(srv->store, 1);
    store_commit(srv->store);
    return 0;
}

static void lam_cleanup(stratus *srv)
{
    lam_state *st = lam__state(srv);
    if (!st)
        return;
    lam__env_cleanup(st);
    lam__code_cleanup(st);
    free(st);
    srv->service_state[stratus_service_index(&lam_service)] = NULL;
}

int lam_stack_apply_function(stratus *srv, const char *account,
                             const char *region, const char *logical_id,
                             const cJSON *properties, aws_error *err)
{
    cJSON *request = cJSON_Duplicate(properties, 1);
    cJSON *config = NULL;
    if (!cJSON_IsObject(request)) {
        cJSON_Delete(request);
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "Properties of %s must be a mapping", logical_id);
    }
    if (!cJSON_GetObjectItemCaseSensitive(request, "FunctionName"))
        cJSON_AddStringToObject(request, "FunctionName", logical_id);

    /* A stack names code directories relative to where Stratus runs. */
    cJSON *code = cJSON_GetObjectItemCaseSensitive(request, "Code");
    cJSON *dir = cJSON_GetObjectItemCaseSensitive(code, "Directory");
    char resolved[PATH_MAX];
    if (cJSON_IsString(dir) && dir->valuestring[0] != '/') {
        if (!realpath(dir->valuestring, resolved)) {
            cJSON_Delete(request);
            return aws_fail(err, AWS_ERR_INVALID_PARAMETER_VALUE,
                            "Code.Directory '%s' of %s does not exist",
                            dir->valuestring, logical_id);
        }
        cJSON_ReplaceItemInObjectCaseSensitive(code, "Directory",
                                               cJSON_CreateString(resolved));
    }

    /* CloudFormation writes Tags as a list of {Key, Value}; the API takes
     * a map. */
    cJSON *tags = cJSON_GetObjectItemCaseSensitive(request, "Tags");
    if (cJSON_IsArray(tags)) {
        cJSON *map = cJSON_CreateObject();
        const cJSON *tag;
        cJSON_ArrayForEach(tag, tags)
        {
            const cJSON *key = cJSON_GetObjectItemCaseSensitive(tag, "Key");
            const cJSON *value = cJSON_GetObjectItemCaseSensitive(tag, "Value");
            if (cJSON_IsString(key) && cJSON_IsString(value))
                cJSON_AddStringToObject(map, key->valuestring,
                                        value->valuestring);
        }
        cJSON_ReplaceItemInObjectCaseSensitive(request, "Tags", map);
    }

    /* CloudFormation's ReservedConcurrentExecutions is
     * PutFunctionConcurrency's, not a CreateFunction member. */
    cJSON *reserved = cJSON_DetachItemFromObjectCaseSensitive(
        request, "ReservedConcurrentExecutions");
    if (reserved && (!cJSON_IsNumber(reserved) || reserved->valuedouble < 0)) {
        cJSON_Delete(reserved);
        cJSON_Delete(request);
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "ReservedConcurrentExecutions of %s must be a number "
                        ">= 0",
                        logical_id);
    }

    /* Stratus's own property: a fault injected from the start. */
    cJSON *fault_json =
        cJSON_DetachItemFromObjectCaseSensitive(request, "Fault");
    lam_fault fault;
    if (fault_json && lam_fault_parse(fault_json, &fault, err) != 0) {
        cJSON_Delete(fault_json);
        cJSON_Delete(reserved);
        cJSON_Delete(request);
        return -1;
    }

    int rc = lam__function_put(srv, account, region, request, 1, &config, err);
    if (rc != 0 && err->code == AWS_ERR_RESOURCE_CONFLICT) {
        aws_error_reset(err);
        rc = lam__function_put(srv, account, region, request, 0, &config, err);
    }
    if (rc == 0 && fault_json) {
        const cJSON *name =
            cJSON_GetObjectItemCaseSensitive(request, "FunctionName");
        rc = lam_fault_apply(srv, account, region, name->valuestring, &fault,
                             err);
    }
    if (rc == 0) {
        const cJSON *name =
            cJSON_GetObjectItemCaseSensitive(request, "FunctionName");
        lam__concurrency_set(srv, account, region, name->valuestring,
                             reserved ? reserved->valueint : -1);
    }
    cJSON_Delete(reserved);
    cJSON_Delete(fault_json);
    cJSON_Delete(config);
    cJSON_Delete(request);
    return rc;
}

int lam_stack_apply_permission(stratus *srv, const char *account,
                               const char *region, const char *logical_id,
                               const cJSON *properties, aws_error *err)
{
    const cJSON *function =
        cJSON_GetObjectItemCaseSensitive(properties, "FunctionName");
    if (!cJSON_IsString(function))
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "%s needs FunctionName (a function name or ARN)",
                        logical_id);

    cJSON *body = cJSON_Duplicate(properties, 1);
    cJSON_DeleteItemFromObjectCaseSensitive(body, "FunctionName");
    if (!cJSON_GetObjectItemCaseSensitive(body, "StatementId"))
        cJSON_AddStringToObject(body, "StatementId", logical_id);
    cJSON *params = cJSON_CreateObject();
    cJSON_AddStringToObject(params, "FunctionName", function->valuestring);
    char request_id[37];
    stratus_request_id(srv, request_id);
    aws_request req = {
        .srv = srv,
        .service = &lam_service,
        .operation = "AddPermission",
        .account = account,
        .region = region,
        .access_key = account,
        .request_id = request_id,
        .body = body,
        .params = params,
        .status = 200,
    };
    cJSON *out = lam_op_add_permission(&req, err);
    free(req.raw_body);
    cJSON_Delete(params);
    cJSON_Delete(body);
    if (!out && err->code == AWS_ERR_RESOURCE_CONFLICT) {
        /* The statement exists: keep it, as the stack keeps resources. */
        err->code = AWS_ERR_RESOURCE_IN_USE;
        return -1;
    }
    cJSON_Delete(out);
    return out ? 0 : -1;
}

#define LAM_FN "/2015-03-31/functions/{FunctionName}"

static const aws_operation lam_operations[] = {
    {"CreateFunction", lam_op_create_function, "POST", "/2015-03-31/functions"},
    {"ListFunctions", lam_op_list_functions, "GET", "/2015-03-31/functions"},
    {"GetFunction", lam_op_get_function, "GET", LAM_FN},
    {"DeleteFunction", lam_op_delete_function, "DELETE", LAM_FN},
    {"GetFunctionConfiguration", lam_op_get_function_configuration, "GET",
     LAM_FN "/configuration"},
    {"UpdateFunctionConfiguration", lam_op_update_function_configuration, "PUT",
     LAM_FN "/configuration"},
    {"UpdateFunctionCode", lam_op_update_function_code, "PUT", LAM_FN "/code"},
    {"Invoke", lam_op_invoke, "POST", LAM_FN "/invocations"},
    {"InvokeAsync", NULL, "POST",
     "/2014-11-13/functions/{FunctionName}/"
     "invoke-async"},
    {"InvokeWithResponseStream", NULL, "POST",
     "/2021-11-15/functions/{FunctionName}/response-streaming-invocations"},
    {"AddPermission", lam_op_add_permission, "POST", LAM_FN "/policy"},
    {"GetPolicy", lam_op_get_policy, "GET", LAM_FN "/policy"},
    {"RemovePermission", lam_op_remove_permission, "DELETE",
     LAM_FN "/policy/{StatementId}"},
    {"PublishVersion", NULL, "POST", LAM_FN "/versions"},
    {"ListVersionsByFunction", NULL, "GET", LAM_FN "/versions"},
    {"CreateAlias", NULL, "POST", LAM_FN "/aliases"},
    {"ListAliases", NULL, "GET", LAM_FN "/aliases"},
    {"GetAlias", NULL, "GET", LAM_FN "/aliases/{Name}"},
    {"UpdateAlias", NULL, "PUT", LAM_FN "/aliases/{Name}"},
    {"DeleteAlias", NULL, "DELETE", LAM_FN "/aliases/{Name}"},
    {"PutFunctionConcurrency", lam_op_put_function_concurrency, "PUT",
     "/2017-10-31/functions/{FunctionName}/concurrency"},
    {"GetFunctionConcurrency", lam_op_get_function_concurrency, "GET",
     "/2019-09-30/functions/{FunctionName}/concurrency"},
    {"DeleteFunctionConcurrency", lam_op_delete_function_concurrency, "DELETE",
     "/2017-10-31/functions/{FunctionName}/concurrency"},
    {"PutFunctionEventInvokeConfig", NULL, "PUT",
     "/2019-09-25/functions/{FunctionName}/event-invoke-config"},
    {"GetFunctionEventInvokeConfig", NULL, "GET",
     "/2019-09-25/functions/{FunctionName}/event-invoke-config"},
    {"CreateEventSourceMapping", NULL, "POST",
     "/2015-03-31/event-source-mappings"},
    {"ListEventSourceMappings", NULL, "GET",
     "/2015-03-31/event-source-mappings"},
    {"CreateFunctionUrlConfig", NULL, "POST",
     "/2021-10-31/functions/{FunctionName}/url"},
    {"GetFunctionUrlConfig", NULL, "GET",
     "/2021-10-31/functions/{FunctionName}/url"},
    {"ListTags", lam_op_list_tags, "GET", "/2017-03-31/tags/{Resource}"},
    {"TagResource", lam_op_tag_resource, "POST", "/2017-03-31/tags/{Resource}"},
    {"UntagResource", lam_op_untag_resource, "DELETE",
     "/2017-03-31/tags/{Resource}"},
    {"GetAccountSettings", NULL, "GET", "/2016-08-19/account-settings"},
    {"PublishLayerVersion", NULL, "POST",
     "/2018-10-31/layers/{LayerName}/versions"},
    {"ListLayers", NULL, "GET", "/2018-10-31/layers"},
};

const aws_service lam_service = {
    .name = "lambda",
    .signing_name = "lambda",
    .target_prefix = NULL,
    .error_prefix = "",
    .protocol = AWS_PROTO_REST_JSON,
    .operations = lam_operations,
    .operation_count = sizeof lam_operations / sizeof *lam_operations,
    .init = lam_init,
    .cleanup = lam_cleanup,
    .resource_arn = lam__resource_arn,
};
