/*
 * ddb_item.c: the single-item operations PutItem, GetItem, UpdateItem and
 * DeleteItem, and the write worker they share with BatchWriteItem and
 * TransactWriteItems: prepare (decode and validate), evaluate (read the
 * stored item, check the condition, compute the new item) and apply.
 *
 * Left out: the legacy parameters Expected, AttributeUpdates,
 * ConditionalOperator and AttributesToGet (rejected with a clear message),
 * and ReturnItemCollectionMetrics (accepted, never reported).
 */
#include "ddb_internal.h"

#include <stdlib.h>
#include <string.h>

static const char *const ddb_return_values_enum[] = {
    "ALL_NEW", "UPDATED_OLD", "ALL_OLD", "NONE", "UPDATED_NEW", NULL};
static const char *const ddb_return_on_failure_enum[] = {"ALL_OLD", "NONE",
                                                         NULL};
static const char *const ddb_consumed_enum[] = {"INDEXES", "TOTAL", "NONE",
                                                NULL};
static const char *const ddb_write_legacy[] = {"Expected", "AttributeUpdates",
                                               "ConditionalOperator", NULL};

static int ddb_parse_optional(ddb_expr_ctx *ctx, ddb_expr_kind kind,
                              const cJSON *params, const char *member,
                              ddb_expr **out, aws_error *err)
{
    const cJSON *text = ddb__get(params, member);
    *out = NULL;
    if (!text || cJSON_IsNull(text))
        return 0;
    if (!cJSON_IsString(text))
        return aws_fail(err, AWS_ERR_SERIALIZATION,
                        "Start of structure or map found where not expected");
    if (text->valuestring[0] == '\0')
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "Invalid %s: The expression can not be empty;", member);
    *out = ddb_expr_parse(ctx, kind, text->valuestring, err);
    return *out ? 0 : -1;
}

/* Names and values are only allowed next to at least one expression. */
static int ddb_placeholders_check(const cJSON *params, int has_expression,
                                  aws_error *err)
{
    if (has_expression)
        return 0;
    if (ddb__get(params, "ExpressionAttributeNames"))
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "ExpressionAttributeNames can only be specified when "
                        "using expressions");
    if (ddb__get(params, "ExpressionAttributeValues"))
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "ExpressionAttributeValues can only be specified "
                        "when using expressions");
    return 0;
}

int ddb__write_prepare(aws_request *req, ddb_write_kind kind, cJSON *params,
                       ddb_write *w, aws_error *err)
{
    memset(w, 0, sizeof *w);
    w->kind = kind;
    cJSON *values = ddb__get(params, "ExpressionAttributeValues");
    const cJSON *names = ddb__get(params, "ExpressionAttributeNames");
    ddb_expr_ctx_init(&w->ctx, names, values);

    if (ddb__legacy_check(params, ddb_write_legacy, err) != 0)
        return -1;
    const char *table_name = ddb__str(params, "TableName");
    if (ddb__table_name_check(table_name, "tableName", 1, err) != 0)
        return -1;
    if (ddb__enum_check(params, "ReturnValues", "returnValues",
                        ddb_return_values_enum, err) != 0 ||
        ddb__enum_check(params, "ReturnValuesOnConditionCheckFailure",
                        "returnValuesOnConditionCheckFailure",
                        ddb_return_on_failure_enum, err) != 0 ||
        ddb__enum_check(params, "ReturnConsumedCapacity",
                        "returnConsumedCapacity", ddb_consumed_enum, err) != 0)
        return -1;

    w->return_values = ddb__str(params, "ReturnValues");
    if (w->return_values && strcmp(w->return_values, "NONE") == 0)
        w->return_values = NULL;
    if ((kind == DDB_WRITE_PUT || kind == DDB_WRITE_DELETE) &&
        w->return_values && strcmp(w->return_values, "ALL_OLD") != 0)
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "ReturnValues can only be ALL_OLD or NONE");
    const char *on_failure =
        ddb__str(params, "ReturnValuesOnConditionCheckFailure");
    w->return_old_on_failure = on_failure && strcmp(on_failure, "ALL_OLD") == 0;

    w->table = ddb__table_open(req, table_name, err);
    if (!w->table)
        return -1;

    if (kind == DDB_WRITE_PUT) {
        cJSON *item = ddb__get(params, "Item");
        if (!cJSON_IsObject(item))
            return aws_fail(err, AWS_ERR_VALIDATION,
                            "1 validation error detected: Value null at "
                            "'item' failed to satisfy constraint: Member "
                            "must not be null");
        if (ddb_item_validate(item, err) != 0)
            return -1;
        if (ddb__item_check(w->table, item,
                            "Item size has exceeded the maximum allowed size",
                            err) != 0)
            return -1;
        w->item = cJSON_Duplicate(item, 1);
        w->key = ddb__key_extract(w->table, item);
    } else {
        cJSON *key = ddb__get(params, "Key");
        if (!key)
            return aws_fail(err, AWS_ERR_VALIDATION,
                            "1 validation error detected: Value null at "
                            "'key' failed to satisfy constraint: Member must "
                            "not be null");
        if (ddb__key_check(w->table, key, err) != 0)
            return -1;
        w->key = cJSON_Duplicate(key, 1);
    }

    if (ddb__values_validate(values, err) != 0)
        return -1;
    if (ddb_parse_optional(&w->ctx, DDB_EXPR_CONDITION, params,
                           "ConditionExpression", &w->condition, err) != 0)
        return -1;
    if (kind == DDB_WRITE_UPDATE &&
        ddb_parse_optional(&w->ctx, DDB_EXPR_UPDATE, params, "UpdateExpression",
                           &w->update, err) != 0)
        return -1;
    if (kind == DDB_WRITE_CHECK && !w->condition)
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "1 validation error detected: Value null at "
                        "'conditionExpression' failed to satisfy "
                        "constraint: Member must not be null");
    if (ddb_placeholders_check(params, w->condition || w->update, err) != 0)
        return -1;
    if (ddb_expr_check_unused(&w->ctx, err) != 0)
        return -1;

    if (w->update) {
        const char *keys[2] = {w->table->key.hash, w->table->key.range};
        for (int i = 0; i < 2; i++)
            if (keys[i] && ddb_expr_touches_attribute(w->update, keys[i]))
                return aws_fail(err, AWS_ERR_VALIDATION,
                                "One or more parameter values were invalid: "
                                "Cannot update attribute %s. This attribute "
                                "is part of the key",
                                keys[i]);
    }
    return 0;
}

int ddb__write_evaluate(aws_request *req, ddb_write *w, aws_error *err)
{
    w->old_item = ddb__item_get(req->srv, w->table, w->key);

    if (w->condition) {
        int ok = 0;
        if (ddb_expr_eval(w->condition, w->old_item, &ok, err) != 0)
            return -1;
        if (!ok) {
            aws_fail(err, AWS_ERR_CONDITIONAL_CHECK_FAILED,
                     "The conditional request failed");
            if (w->return_old_on_failure && w->old_item) {
                err->extra = cJSON_CreateObject();
                cJSON_AddItemToObject(err->extra, "Item",
                                      cJSON_Duplicate(w->old_item, 1));
            }
            return -1;
        }
    }

    switch (w->kind) {
    case DDB_WRITE_PUT:
        w->new_item = cJSON_Duplicate(w->item, 1);
        break;
    case DDB_WRITE_UPDATE:
        w->new_item = w->old_item ? cJSON_Duplicate(w->old_item, 1)
                                  : cJSON_Duplicate(w->key, 1);
        if (w->update && ddb_expr_update(w->update, w->new_item, err) != 0)
            return -1;
        if (ddb__index_keys_check(w->table, w->new_item, err) != 0)
            return -1;
        if (ddb_item_size(w->new_item) > DDB_ITEM_MAX_BYTES)
            return aws_fail(err, AWS_ERR_VALIDATION,
                            "Item size to update has exceeded the maximum "
                            "allowed size");
        break;
    case DDB_WRITE_DELETE:
    case DDB_WRITE_CHECK:
        break;
    }
    return 0;
}

int ddb__write_apply(aws_request *req, ddb_write *w, aws_error *err)
{
    int rc = 0;
    if (w->kind == DDB_WRITE_PUT || w->kind == DDB_WRITE_UPDATE)
        rc = ddb__item_put(req->srv, w->table, w->new_item);
    else if (w->kind == DDB_WRITE_DELETE && w->old_item)
        rc = ddb__item_delete(req->srv, w->table, w->key);
    if (rc != 0)
        return aws_fail(err, AWS_ERR_INTERNAL_SERVER_ERROR,
                        "Internal server error");
    return 0;
}

static cJSON *ddb_nonempty(cJSON *obj)
{
    if (obj && !obj->child) {
        cJSON_Delete(obj);
        return NULL;
    }
    return obj;
}

cJSON *ddb__write_attributes(const ddb_write *w)
{
    const char *rv = w->return_values;
    if (!rv)
        return NULL;
    if (strcmp(rv, "ALL_OLD") == 0)
        return w->old_item ? cJSON_Duplicate(w->old_item, 1) : NULL;
    if (strcmp(rv, "ALL_NEW") == 0)
        return w->new_item ? cJSON_Duplicate(w->new_item, 1) : NULL;
    if (!w->update)
        return NULL;
    if (strcmp(rv, "UPDATED_OLD") == 0)
        return w->old_item ? ddb_nonempty(ddb_expr_updated_attributes(
                                 w->update, w->old_item))
                           : NULL;
    if (strcmp(rv, "UPDATED_NEW") == 0 && w->new_item)
        return ddb_nonempty(
            ddb_expr_updated_attributes(w->update, w->new_item));
    return NULL;
}

void ddb__write_cleanup(ddb_write *w)
{
    ddb_expr_free(w->condition);
    ddb_expr_free(w->update);
    ddb_expr_ctx_cleanup(&w->ctx);
    cJSON_Delete(w->key);
    cJSON_Delete(w->item);
    cJSON_Delete(w->old_item);
    cJSON_Delete(w->new_item);
    ddb__table_free(w->table);
    memset(w, 0, sizeof *w);
}

/* Run one write end to end and build its response. */
static cJSON *ddb_write_run(aws_request *req, ddb_write_kind kind,
                            aws_error *err)
{
    ddb_write w;
    cJSON *resp = NULL;
    if (ddb__write_prepare(req, kind, req->body, &w, err) != 0 ||
        ddb__write_evaluate(req, &w, err) != 0 ||
        ddb__write_apply(req, &w, err) != 0)
        goto done;

    resp = cJSON_CreateObject();
    cJSON *attributes = ddb__write_attributes(&w);
    if (attributes)
        cJSON_AddItemToObject(resp, "Attributes", attributes);

    size_t old_size = w.old_item ? ddb_item_size(w.old_item) : 0;
    size_t new_size = w.new_item ? ddb_item_size(w.new_item) : 0;
    cJSON *consumed = ddb__consumed(
        req->body, w.table->name,
        ddb__write_units(old_size > new_size ? old_size : new_size));
    if (consumed)
        cJSON_AddItemToObject(resp, "ConsumedCapacity", consumed);

done:
    ddb__write_cleanup(&w);
    return resp;
}

cJSON *ddb_op_put_item(aws_request *req, aws_error *err)
{
    return ddb_write_run(req, DDB_WRITE_PUT, err);
}

cJSON *ddb_op_update_item(aws_request *req, aws_error *err)
{
    return ddb_write_run(req, DDB_WRITE_UPDATE, err);
}

cJSON *ddb_op_delete_item(aws_request *req, aws_error *err)
{
    return ddb_write_run(req, DDB_WRITE_DELETE, err);
}

cJSON *ddb_op_get_item(aws_request *req, aws_error *err)
{
    static const char *const legacy[] = {"AttributesToGet", NULL};
    cJSON *body = req->body;
    ddb_expr_ctx ctx;
    ddb_expr *projection = NULL;
    ddb_table *t = NULL;
    cJSON *resp = NULL;
    ddb_expr_ctx_init(&ctx, ddb__get(body, "ExpressionAttributeNames"),
                      ddb__get(body, "ExpressionAttributeValues"));

    const char *table_name = ddb__str(body, "TableName");
    if (ddb__legacy_check(body, legacy, err) != 0 ||
        ddb__table_name_check(table_name, "tableName", 1, err) != 0 ||
        ddb__enum_check(body, "ReturnConsumedCapacity",
                        "returnConsumedCapacity", ddb_consumed_enum, err) != 0)
        goto done;
    const cJSON *consistent = ddb__get(body, "ConsistentRead");
    if (consistent && !cJSON_IsBool(consistent) && !cJSON_IsNull(consistent)) {
        aws_fail(err, AWS_ERR_SERIALIZATION,
                 "STRING_VALUE cannot be converted to Boolean");
        goto done;
    }
    t = ddb__table_open(req, table_name, err);
    if (!t)
        goto done;

    cJSON *key = ddb__get(body, "Key");
    if (!key) {
        aws_fail(err, AWS_ERR_VALIDATION,
                 "1 validation error detected: Value null at 'key' failed to "
                 "satisfy constraint: Member must not be null");
        goto done;
    }
    if (ddb__key_check(t, key, err) != 0)
        goto done;
    if (ddb_parse_optional(&ctx, DDB_EXPR_PROJECTION, body,
                           "ProjectionExpression", &projection, err) != 0)
        goto done;
    if (ddb_placeholders_check(body, projection != NULL, err) != 0 ||
        ddb_expr_check_unused(&ctx, err) != 0)
        goto done;

    cJSON *item = ddb__item_get(req->srv, t, key);
    resp = cJSON_CreateObject();
    size_t size = item ? ddb_item_size(item) : 0;
    if (item) {
        if (projection) {
            cJSON *projected = ddb_expr_project(projection, item);
            cJSON_Delete(item);
            item = projected;
        }
        cJSON_AddItemToObject(resp, "Item", item);
    }
    cJSON *consumed = ddb__consumed(
        body, t->name, ddb__read_units(size, cJSON_IsTrue(consistent)));
    if (consumed)
        cJSON_AddItemToObject(resp, "ConsumedCapacity", consumed);

done:
    ddb_expr_free(projection);
    ddb_expr_ctx_cleanup(&ctx);
    ddb__table_free(t);
    return resp;
}
