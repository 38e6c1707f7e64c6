/*
 * ddb_stack.c: the AWS::DynamoDB::Table stack resource type. Its properties
 * are CreateTable's request members plus the CloudFormation-only
 * TimeToLiveSpecification and PointInTimeRecoverySpecification, applied
 * through the service's own CreateTable, UpdateTimeToLive and
 * UpdateContinuousBackups handlers.
 */
#include "ddb.h"

#include <string.h>

#include "ddb_internal.h"

/* Run one handler of the service with `body` as its request. */
static int ddb_stack_call(stratus *srv, const char *account, const char *region,
                          const char *operation, aws_op_fn handler, cJSON *body,
                          aws_error *err)
{
    aws_request req = {
        .srv = srv,
        .service = &ddb_service,
        .operation = operation,
        .account = account,
        .region = region,
        .access_key = "",
        .request_id = "stack",
        .body = body,
        .http = NULL,
    };
    cJSON *resp = handler(&req, err);
    cJSON_Delete(resp);
    return resp ? 0 : -1;
}

int ddb_stack_apply_table(stratus *srv, const char *account, const char *region,
                          const char *logical_id, const cJSON *properties,
                          aws_error *err)
{
    static const char *const cfn_only[] = {"TimeToLiveSpecification",
                                           "PointInTimeRecoverySpecification",
                                           "ContributorInsightsSpecification",
                                           "KinesisStreamSpecification",
                                           "ImportSourceSpecification",
                                           "ResourcePolicy",
                                           NULL};

    cJSON *create = cJSON_Duplicate(properties, 1);
    if (!cJSON_IsObject(create)) {
        cJSON_Delete(create);
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "Properties of %s must be a mapping", logical_id);
    }
    for (size_t i = 0; cfn_only[i]; i++)
        cJSON_DeleteItemFromObjectCaseSensitive(create, cfn_only[i]);
    if (!ddb__str(create, "TableName"))
        cJSON_AddStringToObject(create, "TableName", logical_id);
    const char *name = ddb__str(create, "TableName");

    int rc = 0;
    ddb_table *t = ddb__table_load(srv, account, region, name);
    if (!t)
        rc = ddb_stack_call(srv, account, region, "CreateTable",
                            ddb_op_create_table, create, err);
    if (rc == 0 && !t)
        t = ddb__table_load(srv, account, region, name);

    const cJSON *ttl = ddb__get(properties, "TimeToLiveSpecification");
    const char *attribute = ddb__str(ttl, "AttributeName");
    int enable = cJSON_IsTrue(ddb__get(ttl, "Enabled"));
    int enabled = t && t->ttl_attribute;
    if (rc == 0 && ttl && enable != enabled) {
        cJSON *body = cJSON_CreateObject();
        cJSON_AddStringToObject(body, "TableName", name);
        cJSON *spec = cJSON_AddObjectToObject(body, "TimeToLiveSpecification");
        cJSON_AddBoolToObject(spec, "Enabled", enable);
        cJSON_AddStringToObject(
            spec, "AttributeName",
            attribute ? attribute
                      : (t && t->ttl_attribute ? t->ttl_attribute : ""));
        rc = ddb_stack_call(srv, account, region, "UpdateTimeToLive",
                            ddb_op_update_time_to_live, body, err);
        cJSON_Delete(body);
    }

    const cJSON *pitr =
        ddb__get(properties, "PointInTimeRecoverySpecification");
    if (rc == 0 && pitr) {
        cJSON *body = cJSON_CreateObject();
        cJSON_AddStringToObject(body, "TableName", name);
        cJSON_AddItemToObject(body, "PointInTimeRecoverySpecification",
                              cJSON_Duplicate(pitr, 1));
        rc = ddb_stack_call(srv, account, region, "UpdateContinuousBackups",
                            ddb_op_update_continuous_backups, body, err);
        cJSON_Delete(body);
    }

    ddb__table_free(t);
    cJSON_Delete(create);
    return rc;
}
