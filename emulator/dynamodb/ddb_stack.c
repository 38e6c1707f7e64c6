/*
 * ddb_stack.c: the AWS::DynamoDB::Table stack resource type. Its properties
 * are CreateTable's request members plus the CloudFormation-only
 * TimeToLiveSpecification and PointInTimeRecoverySpecification, applied
 * through the service's own CreateTable, UpdateTimeToLive and
 * UpdateContinuousBackups handlers. Also the Stratus-only
 * Stratus::DynamoDB::Items type, which seeds a table with PutItem.
 */
#include "ddb.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
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

/* Read the JSON list of items at `path`. Returns a new tree, or NULL with
 * `err` filled. */
static cJSON *ddb_stack_read_items(const char *logical_id, const char *path,
                                   aws_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        aws_fail(err, AWS_ERR_VALIDATION, "%s: cannot read ItemsFile %s: %s",
                 logical_id, path, strerror(errno));
        return NULL;
    }
    strbuf b;
    strbuf_init(&b);
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        strbuf_append(&b, chunk, n);
    fclose(f);
    size_t len;
    char *text = strbuf_take(&b, &len);
    cJSON *items = cJSON_ParseWithLength(text, len);
    free(text);
    if (!cJSON_IsArray(items)) {
        cJSON_Delete(items);
        aws_fail(err, AWS_ERR_VALIDATION,
                 "%s: ItemsFile %s must contain a JSON list of items",
                 logical_id, path);
        return NULL;
    }
    return items;
}

/* Put `item` unless an item with its key exists. A kept item is not an
 * error: a redeploy leaves the table's data as it is. */
static int ddb_stack_put_new(stratus *srv, const char *account,
                             const char *region, const char *table,
                             const char *hash_key, const cJSON *item,
                             aws_error *err)
{
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "TableName", table);
    cJSON_AddItemToObject(body, "Item", cJSON_Duplicate(item, 1));
    cJSON_AddStringToObject(body, "ConditionExpression",
                            "attribute_not_exists(#hash)");
    cJSON *names = cJSON_AddObjectToObject(body, "ExpressionAttributeNames");
    cJSON_AddStringToObject(names, "#hash", hash_key);
    int rc = ddb_stack_call(srv, account, region, "PutItem", ddb_op_put_item,
                            body, err);
    cJSON_Delete(body);
    if (rc != 0 && err->code == AWS_ERR_CONDITIONAL_CHECK_FAILED) {
        aws_error_reset(err);
        return 0;
    }
    return rc;
}

int ddb_stack_apply_items(stratus *srv, const char *account, const char *region,
                          const char *logical_id, const cJSON *properties,
                          aws_error *err)
{
    const char *name = ddb__str(properties, "TableName");
    const cJSON *inline_items = ddb__get(properties, "Items");
    const char *file = ddb__str(properties, "ItemsFile");
    if (!name)
        return aws_fail(err, AWS_ERR_VALIDATION, "%s: TableName is required",
                        logical_id);
    if (inline_items && !cJSON_IsArray(inline_items))
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "%s: Items must be a list of items", logical_id);
    if (!inline_items && !file)
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "%s: set Items, ItemsFile or both", logical_id);

    ddb_table *t = ddb__table_load(srv, account, region, name);
    if (!t)
        return aws_fail(err, AWS_ERR_RESOURCE_NOT_FOUND,
                        "%s: table %s does not exist; declare it before its "
                        "items",
                        logical_id, name);

    cJSON *from_file =
        file ? ddb_stack_read_items(logical_id, file, err) : NULL;
    int rc = file && !from_file ? -1 : 0;
    const cJSON *lists[2] = {inline_items, from_file};
    for (size_t l = 0; l < 2 && rc == 0; l++) {
        const cJSON *item;
        cJSON_ArrayForEach(item, lists[l])
        {
            rc = ddb_stack_put_new(srv, account, region, name, t->key.hash,
                                   item, err);
            if (rc != 0)
                break;
        }
    }
    cJSON_Delete(from_file);
    ddb__table_free(t);
    return rc;
}
