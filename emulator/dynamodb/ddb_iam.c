/*
 * ddb_iam.c: the IAM actions and resource ARNs of DynamoDB requests, for
 * requests signed with credentials Stratus issued. A request names its
 * table, or table/T/index/I for a Query or Scan of an index. A batch
 * yields one pair per table, and a transaction the per-item action of
 * each entry (dynamodb:PutItem for a Put, as AWS checks
 * TransactWriteItems).
 */
#include "ddb_internal.h"

#include <stdio.h>
#include <string.h>

static void ddb_iam_table_arn(const aws_request *req, const char *table,
                              char *arn, size_t size)
{
    if (strncmp(table, "arn:", 4) == 0)
        snprintf(arn, size, "%s", table);
    else
        snprintf(arn, size, "arn:aws:dynamodb:%s:%s:table/%s", req->region,
                 req->account, table);
}

static const char *ddb_iam_str(const cJSON *obj, const char *name)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(m) ? m->valuestring : NULL;
}

/* The index-th entry of a transaction: its table and item action. */
static int ddb_iam_transact(const aws_request *req, size_t index, char *action,
                            size_t action_size, char *arn, size_t arn_size)
{
    static const struct {
        const char *member, *action;
    } kinds[] = {
        {"Get", "dynamodb:GetItem"},
        {"Put", "dynamodb:PutItem"},
        {"Update", "dynamodb:UpdateItem"},
        {"Delete", "dynamodb:DeleteItem"},
        {"ConditionCheck", "dynamodb:ConditionCheckItem"},
    };
    const cJSON *items =
        cJSON_GetObjectItemCaseSensitive(req->body, "TransactItems");
    const cJSON *item = cJSON_GetArrayItem(items, (int)index);
    if (!item)
        return 0;
    for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) {
        const cJSON *op =
            cJSON_GetObjectItemCaseSensitive(item, kinds[k].member);
        const char *table = ddb_iam_str(op, "TableName");
        if (table) {
            snprintf(action, action_size, "%s", kinds[k].action);
            ddb_iam_table_arn(req, table, arn, arn_size);
            return 1;
        }
    }
    snprintf(arn, arn_size, "*");
    return 1;
}

int ddb__resource_arn(const aws_request *req, size_t index, char *action,
                      size_t action_size, char *arn, size_t arn_size)
{
    const char *op = req->operation;
    if (strcmp(op, "TransactGetItems") == 0 ||
        strcmp(op, "TransactWriteItems") == 0)
        return ddb_iam_transact(req, index, action, action_size, arn, arn_size);
    if (strcmp(op, "BatchGetItem") == 0 || strcmp(op, "BatchWriteItem") == 0) {
        const cJSON *tables =
            cJSON_GetObjectItemCaseSensitive(req->body, "RequestItems");
        const cJSON *table = cJSON_GetArrayItem(tables, (int)index);
        if (!table)
            return index == 0 ? (snprintf(arn, arn_size, "*"), 1) : 0;
        ddb_iam_table_arn(req, table->string, arn, arn_size);
        return 1;
    }
    if (index > 0)
        return 0;

    const char *table = ddb_iam_str(req->body, "TableName");
    const char *resource = ddb_iam_str(req->body, "ResourceArn");
    const char *index_name = ddb_iam_str(req->body, "IndexName");
    if (table) {
        ddb_iam_table_arn(req, table, arn, arn_size);
        if (index_name && (strcmp(op, "Query") == 0 || strcmp(op, "Scan") == 0))
            snprintf(arn + strlen(arn), arn_size - strlen(arn), "/index/%s",
                     index_name);
    } else if (resource) {
        snprintf(arn, arn_size, "%s", resource);
    } else {
        snprintf(arn, arn_size, "*");
    }
    return 1;
}
