/*
 * cw_stack.c: the stack resource types AWS::CloudWatch::Alarm and
 * AWS::CloudWatch::Dashboard. Their CloudFormation properties are the
 * members of PutMetricAlarm and PutDashboard, which are idempotent, so a
 * redeploy takes the file's configuration.
 */
#include <string.h>

#include "cw_internal.h"

/* Run `op` on `properties` as a request from the stack file. */
static int cw_stack_put(stratus *srv, const char *account, const char *region,
                        const char *operation, aws_op_fn op,
                        const cJSON *properties, aws_error *err)
{
    aws_request req = {
        .srv = srv,
        .service = &cw_service,
        .operation = operation,
        .account = account,
        .region = region,
        .access_key = "",
        .request_id = "stack",
        .body = (cJSON *)properties,
    };
    cJSON *out = op(&req, err);
    cJSON_Delete(out);
    return out ? 0 : -1;
}

int cw_stack_apply_alarm(stratus *srv, const char *account, const char *region,
                         const char *logical_id, const cJSON *properties,
                         aws_error *err)
{
    if (!cJSON_IsObject(properties))
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "Properties of %s must be a mapping", logical_id);
    cJSON *body = cJSON_Duplicate(properties, 1);
    if (!cw__str(body, "AlarmName"))
        cJSON_AddStringToObject(body, "AlarmName", logical_id);
    int rc = cw_stack_put(srv, account, region, "PutMetricAlarm",
                          cw__op_put_metric_alarm, body, err);
    cJSON_Delete(body);
    return rc;
}

int cw_stack_apply_dashboard(stratus *srv, const char *account,
                             const char *region, const char *logical_id,
                             const cJSON *properties, aws_error *err)
{
    if (!cJSON_IsObject(properties))
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "Properties of %s must be a mapping", logical_id);
    cJSON *body = cJSON_Duplicate(properties, 1);
    if (!cw__str(body, "DashboardName"))
        cJSON_AddStringToObject(body, "DashboardName", logical_id);
    /* The file may give the body as a mapping, but the API takes JSON text. */
    cJSON *dashboard = cJSON_GetObjectItemCaseSensitive(body, "DashboardBody");
    if (cJSON_IsObject(dashboard)) {
        char *text = cJSON_PrintUnformatted(dashboard);
        cJSON_ReplaceItemInObjectCaseSensitive(body, "DashboardBody",
                                               cJSON_CreateString(text));
        cJSON_free(text);
    }
    int rc = cw_stack_put(srv, account, region, "PutDashboard",
                          cw__op_put_dashboard, body, err);
    cJSON_Delete(body);
    return rc;
}
