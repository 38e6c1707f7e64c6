/*
 * evb_stack.c: the AWS::Events::EventBus and AWS::Events::Rule stack
 * resource types, applied through the service's own CreateEventBus,
 * PutRule and PutTargets handlers. A rule's EventPattern may be a mapping
 * (as in CloudFormation) or a JSON string.
 */
#include "evb_internal.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

static int evb_stack_call(stratus *srv, const char *account, const char *region,
                          const char *operation, aws_op_fn handler, cJSON *body,
                          aws_error *err)
{
    aws_request req = {
        .srv = srv,
        .service = &evb_service,
        .operation = operation,
        .account = account,
        .region = region,
        .access_key = "",
        .request_id = "stack",
        .body = body,
    };
    cJSON *resp = handler(&req, err);
    cJSON_Delete(resp);
    return resp ? 0 : -1;
}

int evb_stack_apply_event_bus(stratus *srv, const char *account,
                              const char *region, const char *logical_id,
                              const cJSON *properties, aws_error *err)
{
    if (!cJSON_IsObject(properties))
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "Properties of %s must be a mapping", logical_id);
    const char *name = evb__str(properties, "Name");
    if (!name)
        name = logical_id;
    if (evb__bus_exists(srv, account, region, name))
        return 0; /* a redeploy keeps the existing bus */
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "Name", name);
    const char *description = evb__str(properties, "Description");
    if (description)
        cJSON_AddStringToObject(body, "Description", description);
    int rc = evb_stack_call(srv, account, region, "CreateEventBus",
                            evb_op_create_event_bus, body, err);
    cJSON_Delete(body);
    return rc;
}

int evb_stack_apply_rule(stratus *srv, const char *account, const char *region,
                         const char *logical_id, const cJSON *properties,
                         aws_error *err)
{
    if (!cJSON_IsObject(properties))
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "Properties of %s must be a mapping", logical_id);
    cJSON *rule = cJSON_CreateObject();
    static const char *const members[] = {"EventBusName", "ScheduleExpression",
                                          "State",        "Description",
                                          "RoleArn",      NULL};
    for (size_t i = 0; members[i]; i++) {
        const char *v = evb__str(properties, members[i]);
        if (v)
            cJSON_AddStringToObject(rule, members[i], v);
    }
    const char *name = evb__str(properties, "Name");
    cJSON_AddStringToObject(rule, "Name", name ? name : logical_id);
    const cJSON *pattern =
        cJSON_GetObjectItemCaseSensitive(properties, "EventPattern");
    if (cJSON_IsString(pattern)) {
        cJSON_AddStringToObject(rule, "EventPattern", pattern->valuestring);
    } else if (pattern) {
        char *text = cJSON_PrintUnformatted(pattern);
        cJSON_AddStringToObject(rule, "EventPattern", text);
        free(text);
    }
    int rc = evb_stack_call(srv, account, region, "PutRule", evb_op_put_rule,
                            rule, err);

    const cJSON *targets =
        cJSON_GetObjectItemCaseSensitive(properties, "Targets");
    if (rc == 0 && cJSON_GetArraySize(targets) > 0) {
        cJSON *put = cJSON_CreateObject();
        cJSON_AddStringToObject(put, "Rule", evb__str(rule, "Name"));
        const char *bus = evb__str(rule, "EventBusName");
        if (bus)
            cJSON_AddStringToObject(put, "EventBusName", bus);
        cJSON *list = cJSON_AddArrayToObject(put, "Targets");
        const cJSON *t;
        cJSON_ArrayForEach(t, targets)
        {
            cJSON *copy = cJSON_Duplicate(t, 1);
            cJSON_AddItemToArray(list, copy);
        }
        aws_request req = {
            .srv = srv,
            .service = &evb_service,
            .operation = "PutTargets",
            .account = account,
            .region = region,
            .access_key = "",
            .request_id = "stack",
            .body = put,
        };
        cJSON *resp = evb_op_put_targets(&req, err);
        const cJSON *failed =
            cJSON_GetObjectItemCaseSensitive(resp, "FailedEntries");
        if (!resp) {
            rc = -1;
        } else if (cJSON_GetArraySize(failed) > 0) {
            const cJSON *first = cJSON_GetArrayItem(failed, 0);
            rc = aws_fail(err, AWS_ERR_VALIDATION, "Target %s of %s failed: %s",
                          evb__str(first, "TargetId"), logical_id,
                          evb__str(first, "ErrorMessage"));
        }
        cJSON_Delete(resp);
        cJSON_Delete(put);
    }
    cJSON_Delete(rule);
    return rc;
}
