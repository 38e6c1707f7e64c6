/*
 * ddb_table.c: the table operations: CreateTable, DescribeTable,
 * ListTables, UpdateTable (global secondary index create and delete, with
 * backfill), DeleteTable, tags, DescribeLimits, DescribeEndpoints and the
 * continuous backup settings.
 *
 * Tables and indexes become ACTIVE at once: the CreateTable, UpdateTable
 * and DeleteTable responses carry AWS's transitional status (CREATING,
 * UPDATING, DELETING), and the next DescribeTable already shows the result.
 * Streams, replicas, imports, exports and backups are not implemented.
 */
#include "ddb_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "store.h"

static const char *const ddb_billing_enum[] = {"PROVISIONED", "PAY_PER_REQUEST",
                                               NULL};

/* ---- CreateTable checks ---- */

static const cJSON *ddb_attr_def(const cJSON *defs, const char *name)
{
    const cJSON *def;
    cJSON_ArrayForEach(def, defs)
    {
        const char *n = ddb__str(def, "AttributeName");
        if (n && strcmp(n, name) == 0)
            return def;
    }
    return NULL;
}

static void ddb_names_list(strbuf *b, const cJSON *arr)
{
    const cJSON *el;
    int first = 1;
    cJSON_ArrayForEach(el, arr)
    {
        const char *n = ddb__str(el, "AttributeName");
        strbuf_printf(b, "%s%s", first ? "" : ", ", n ? n : "null");
        first = 0;
    }
}

/* Check a KeySchema (table or index) against AttributeDefinitions. */
static int ddb_key_schema_check(const cJSON *schema, const cJSON *defs,
                                const char *member, aws_error *err)
{
    int n = cJSON_GetArraySize(schema);
    if (!cJSON_IsArray(schema))
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "1 validation error detected: Value null at '%s' "
                        "failed to satisfy constraint: Member must not be "
                        "null",
                        member);
    if (n < 1 || n > 2)
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "1 validation error detected: Value '%d elements' at "
                        "'%s' failed to satisfy constraint: Member must have "
                        "length %s",
                        n, member,
                        n < 1 ? "greater than or equal to 1"
                              : "less than or equal to 2");

    const cJSON *first = cJSON_GetArrayItem(schema, 0);
    const cJSON *second = n > 1 ? cJSON_GetArrayItem(schema, 1) : NULL;
    const char *t0 = ddb__str(first, "KeyType");
    const char *n0 = ddb__str(first, "AttributeName");
    if (!t0 || !n0 || (strcmp(t0, "HASH") != 0 && strcmp(t0, "RANGE") != 0))
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "1 validation error detected: Value '%s' at "
                        "'%s.1.member.keyType' failed to satisfy constraint: "
                        "Member must satisfy enum value set: [HASH, RANGE]",
                        t0 ? t0 : "null", member);
    if (strcmp(t0, "HASH") != 0)
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "Invalid KeySchema: The first KeySchemaElement is "
                        "not a HASH key type");
    if (second) {
        const char *t1 = ddb__str(second, "KeyType");
        const char *n1 = ddb__str(second, "AttributeName");
        if (!t1 || !n1 || strcmp(t1, "RANGE") != 0)
            return aws_fail(err, AWS_ERR_VALIDATION,
                            "Invalid KeySchema: The second KeySchemaElement "
                            "is not a RANGE key type");
        if (strcmp(n0, n1) == 0)
            return aws_fail(err, AWS_ERR_VALIDATION,
                            "Both the Hash Key and the Range Key element in "
                            "the KeySchema have the same name");
    }

    const cJSON *el;
    cJSON_ArrayForEach(el, schema)
    {
        const char *name = ddb__str(el, "AttributeName");
        if (!ddb_attr_def(defs, name)) {
            strbuf keys, names;
            strbuf_init(&keys);
            strbuf_init(&names);
            ddb_names_list(&keys, schema);
            ddb_names_list(&names, defs);
            aws_fail(err, AWS_ERR_VALIDATION,
                     "One or more parameter values were invalid: Some index "
                     "key attributes are not defined in AttributeDefinitions. "
                     "Keys: [%s], AttributeDefinitions: [%s]",
                     keys.data, names.data);
            strbuf_free(&keys);
            strbuf_free(&names);
            return -1;
        }
    }
    return 0;
}

static int ddb_projection_check(const cJSON *projection, aws_error *err)
{
    const char *type = ddb__str(projection, "ProjectionType");
    if (!type || (strcmp(type, "ALL") != 0 && strcmp(type, "KEYS_ONLY") != 0 &&
                  strcmp(type, "INCLUDE") != 0))
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "One or more parameter values were invalid: Unknown "
                        "ProjectionType: %s",
                        type ? type : "null");
    if (strcmp(type, "INCLUDE") != 0 &&
        ddb__get(projection, "NonKeyAttributes"))
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "One or more parameter values were invalid: "
                        "ProjectionType is %s, but NonKeyAttributes is "
                        "specified",
                        type);
    return 0;
}

static int ddb_throughput_check(const cJSON *tp, int pay_per_request,
                                const char *index, aws_error *err)
{
    if (pay_per_request && tp) {
        if (index)
            return aws_fail(err, AWS_ERR_VALIDATION,
                            "One or more parameter values were invalid: "
                            "ProvisionedThroughput should not be specified "
                            "for index: %s when BillingMode is "
                            "PAY_PER_REQUEST",
                            index);
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "One or more parameter values were invalid: Neither "
                        "ReadCapacityUnits nor WriteCapacityUnits can be "
                        "specified when BillingMode is PAY_PER_REQUEST");
    }
    if (!pay_per_request && !tp)
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "One or more parameter values were invalid: "
                        "ReadCapacityUnits and WriteCapacityUnits must both "
                        "be specified when BillingMode is PROVISIONED");
    if (tp) {
        const cJSON *r = ddb__get(tp, "ReadCapacityUnits");
        const cJSON *w = ddb__get(tp, "WriteCapacityUnits");
        if (!cJSON_IsNumber(r) || r->valuedouble < 1)
            return aws_fail(err, AWS_ERR_VALIDATION,
                            "Given value %g for ReadCapacityUnits is out of "
                            "bounds",
                            cJSON_IsNumber(r) ? r->valuedouble : 0.0);
        if (!cJSON_IsNumber(w) || w->valuedouble < 1)
            return aws_fail(err, AWS_ERR_VALIDATION,
                            "Given value %g for WriteCapacityUnits is out of "
                            "bounds",
                            cJSON_IsNumber(w) ? w->valuedouble : 0.0);
    }
    return 0;
}

static cJSON *ddb_throughput_describe(const cJSON *tp)
{
    cJSON *out = cJSON_CreateObject();
    cJSON_AddNumberToObject(out, "NumberOfDecreasesToday", 0);
    const cJSON *r = ddb__get(tp, "ReadCapacityUnits");
    const cJSON *w = ddb__get(tp, "WriteCapacityUnits");
    cJSON_AddNumberToObject(out, "ReadCapacityUnits",
                            cJSON_IsNumber(r) ? r->valuedouble : 0);
    cJSON_AddNumberToObject(out, "WriteCapacityUnits",
                            cJSON_IsNumber(w) ? w->valuedouble : 0);
    return out;
}

/* Check one GSI or LSI specification and build its stored description. */
static cJSON *ddb_index_build(const cJSON *spec, const cJSON *defs,
                              const cJSON *table_schema, int is_global,
                              int pay_per_request, const char *table_arn,
                              aws_error *err)
{
    const char *name = ddb__str(spec, "IndexName");
    const cJSON *schema = ddb__get(spec, "KeySchema");
    if (ddb__table_name_check(name, "indexName", 0, err) != 0)
        return NULL;
    if (ddb_key_schema_check(schema, defs, "keySchema", err) != 0 ||
        ddb_projection_check(ddb__get(spec, "Projection"), err) != 0)
        return NULL;

    if (!is_global) {
        const char *table_hash =
            ddb__str(cJSON_GetArrayItem(table_schema, 0), "AttributeName");
        if (cJSON_GetArraySize(table_schema) < 2) {
            aws_fail(err, AWS_ERR_VALIDATION,
                     "One or more parameter values were invalid: Table "
                     "KeySchema does not have a range key, which is required "
                     "when specifying a LocalSecondaryIndex");
            return NULL;
        }
        if (cJSON_GetArraySize(schema) < 2) {
            aws_fail(err, AWS_ERR_VALIDATION,
                     "One or more parameter values were invalid: Index "
                     "KeySchema does not have a range key for index: %s",
                     name);
            return NULL;
        }
        const char *hash =
            ddb__str(cJSON_GetArrayItem(schema, 0), "AttributeName");
        if (strcmp(hash, table_hash) != 0) {
            aws_fail(err, AWS_ERR_VALIDATION,
                     "One or more parameter values were invalid: Index "
                     "KeySchema does not have the same leading hash key as "
                     "table KeySchema for index: %s. index hash key: %s, "
                     "table hash key: %s",
                     name, hash, table_hash);
            return NULL;
        }
    } else if (ddb_throughput_check(ddb__get(spec, "ProvisionedThroughput"),
                                    pay_per_request, name, err) != 0) {
        return NULL;
    }

    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "IndexName", name);
    cJSON_AddItemToObject(out, "KeySchema", cJSON_Duplicate(schema, 1));
    cJSON_AddItemToObject(out, "Projection",
                          cJSON_Duplicate(ddb__get(spec, "Projection"), 1));
    if (is_global)
        cJSON_AddItemToObject(
            out, "ProvisionedThroughput",
            ddb_throughput_describe(ddb__get(spec, "ProvisionedThroughput")));
    char arn[1024];
    snprintf(arn, sizeof arn, "%s/index/%s", table_arn, name);
    cJSON_AddStringToObject(out, "IndexArn", arn);
    return out;
}

static int ddb_index_names_unique(const cJSON *desc, aws_error *err)
{
    const char *lists[2] = {"GlobalSecondaryIndexes", "LocalSecondaryIndexes"};
    const cJSON *a, *b;
    for (int i = 0; i < 2; i++) {
        cJSON_ArrayForEach(a, ddb__get(desc, lists[i]))
        {
            for (int j = 0; j < 2; j++) {
                cJSON_ArrayForEach(b, ddb__get(desc, lists[j]))
                {
                    if (a == b)
                        continue;
                    const char *na = ddb__str(a, "IndexName");
                    const char *nb = ddb__str(b, "IndexName");
                    if (na && nb && strcmp(na, nb) == 0)
                        return aws_fail(err, AWS_ERR_VALIDATION,
                                        "One or more parameter values were "
                                        "invalid: Duplicate index name: %s",
                                        na);
                }
            }
        }
    }
    return 0;
}

/* Every attribute definition must be used by a table or index key. */
static int ddb_definitions_used(const cJSON *desc, aws_error *err)
{
    const cJSON *def;
    cJSON_ArrayForEach(def, ddb__get(desc, "AttributeDefinitions"))
    {
        const char *name = ddb__str(def, "AttributeName");
        const char *type = ddb__str(def, "AttributeType");
        if (!name || !type ||
            (strcmp(type, "S") != 0 && strcmp(type, "N") != 0 &&
             strcmp(type, "B") != 0))
            return aws_fail(err, AWS_ERR_VALIDATION,
                            "1 validation error detected: Value '%s' at "
                            "'attributeDefinitions.member.attributeType' "
                            "failed to satisfy constraint: Member must "
                            "satisfy enum value set: [B, N, S]",
                            type ? type : "null");
        int used = ddb_attr_def(ddb__get(desc, "KeySchema"), name) != NULL;
        const char *lists[2] = {"GlobalSecondaryIndexes",
                                "LocalSecondaryIndexes"};
        for (int i = 0; i < 2 && !used; i++) {
            const cJSON *idx;
            cJSON_ArrayForEach(idx, ddb__get(desc, lists[i])) used |=
                ddb_attr_def(ddb__get(idx, "KeySchema"), name) != NULL;
        }
        if (!used)
            return aws_fail(err, AWS_ERR_VALIDATION,
                            "One or more parameter values were invalid: "
                            "Number of attributes in KeySchema does not "
                            "exactly match number of attributes defined in "
                            "AttributeDefinitions");
    }
    return 0;
}

static int64_t ddb_index_row_insert(stratus *srv, int64_t table_id,
                                    const char *name)
{
    sqlite3_stmt *s =
        store_stmt(srv->store, "INSERT INTO ddb_index (table_id, name)"
                               " VALUES (?1, ?2)");
    sqlite3_bind_int64(s, 1, table_id);
    sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? sqlite3_last_insert_rowid(store_db(srv->store))
                             : -1;
}

static int ddb_description_save(stratus *srv, int64_t table_id,
                                const cJSON *desc)
{
    char *text = cJSON_PrintUnformatted(desc);
    sqlite3_stmt *s =
        store_stmt(srv->store, "UPDATE ddb_table SET description = ?2"
                               " WHERE id = ?1");
    sqlite3_bind_int64(s, 1, table_id);
    sqlite3_bind_text(s, 2, text, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    free(text);
    return rc == SQLITE_DONE ? 0 : -1;
}

cJSON *ddb__table_describe(stratus *srv, const ddb_table *t, const char *status)
{
    cJSON *d = cJSON_Duplicate(t->description, 1);
    int64_t count, bytes;
    ddb__table_counts(srv, t, 0, &count, &bytes);
    cJSON_AddStringToObject(d, "TableStatus", status);
    cJSON_AddNumberToObject(d, "ItemCount", (double)count);
    cJSON_AddNumberToObject(d, "TableSizeBytes", (double)bytes);

    const char *lists[2] = {"GlobalSecondaryIndexes", "LocalSecondaryIndexes"};
    for (int i = 0; i < 2; i++) {
        cJSON *spec;
        cJSON_ArrayForEach(spec, ddb__get(d, lists[i]))
        {
            const ddb_index *idx =
                ddb__table_index(t, ddb__str(spec, "IndexName"));
            int64_t icount = 0, ibytes = 0;
            if (idx)
                ddb__table_counts(srv, t, idx->id, &icount, &ibytes);
            /* A new table's indexes are as new as the table. */
            if (i == 0)
                cJSON_AddStringToObject(
                    spec, "IndexStatus",
                    strcmp(status, "CREATING") == 0 ? "CREATING" : "ACTIVE");
            cJSON_AddNumberToObject(spec, "IndexSizeBytes", (double)ibytes);
            cJSON_AddNumberToObject(spec, "ItemCount", (double)icount);
        }
    }
    return d;
}

static cJSON *ddb_response_with(const char *member, cJSON *value)
{
    cJSON *resp = cJSON_CreateObject();
    cJSON_AddItemToObject(resp, member, value);
    return resp;
}

static cJSON *ddb_table_not_found(const char *name, aws_error *err)
{
    aws_fail(err, AWS_ERR_RESOURCE_NOT_FOUND,
             "Requested resource not found: Table: %s not found", name);
    return NULL;
}

cJSON *ddb_op_create_table(aws_request *req, aws_error *err)
{
    cJSON *body = req->body;
    const char *name = ddb__str(body, "TableName");
    const cJSON *defs = ddb__get(body, "AttributeDefinitions");
    const cJSON *schema = ddb__get(body, "KeySchema");
    cJSON *desc = NULL;
    ddb_table *t = NULL;
    cJSON *resp = NULL;

    if (ddb__table_name_check(name, "tableName", 0, err) != 0)
        return NULL;
    if (!cJSON_IsArray(defs)) {
        aws_fail(err, AWS_ERR_VALIDATION,
                 "1 validation error detected: Value null at "
                 "'attributeDefinitions' failed to satisfy constraint: "
                 "Member must not be null");
        return NULL;
    }
    if (ddb__enum_check(body, "BillingMode", "billingMode", ddb_billing_enum,
                        err) != 0)
        return NULL;
    const char *billing = ddb__str(body, "BillingMode");
    int pay_per_request = billing && strcmp(billing, "PAY_PER_REQUEST") == 0;
    if (ddb_key_schema_check(schema, defs, "keySchema", err) != 0)
        return NULL;
    const cJSON *throughput = ddb__get(body, "ProvisionedThroughput");
    if (ddb_throughput_check(throughput, pay_per_request, NULL, err) != 0)
        return NULL;

    char table_id[37], arn[512];
    util_uuid4(table_id);
    snprintf(arn, sizeof arn, "arn:aws:dynamodb:%s:%s:table/%s", req->region,
             req->account, name);

    desc = cJSON_CreateObject();
    cJSON_AddItemToObject(desc, "AttributeDefinitions",
                          cJSON_Duplicate(defs, 1));
    cJSON_AddStringToObject(desc, "TableName", name);
    cJSON_AddItemToObject(desc, "KeySchema", cJSON_Duplicate(schema, 1));
    double now_s = (double)clock_now_ms(&req->srv->clock) / 1000.0;
    cJSON_AddNumberToObject(desc, "CreationDateTime", now_s);
    cJSON_AddItemToObject(desc, "ProvisionedThroughput",
                          ddb_throughput_describe(throughput));
    cJSON_AddStringToObject(desc, "TableArn", arn);
    cJSON_AddStringToObject(desc, "TableId", table_id);
    if (pay_per_request) {
        cJSON *summary = cJSON_AddObjectToObject(desc, "BillingModeSummary");
        cJSON_AddStringToObject(summary, "BillingMode", "PAY_PER_REQUEST");
        cJSON_AddNumberToObject(summary, "LastUpdateToPayPerRequestDateTime",
                                now_s);
    }

    const char *lists[2] = {"GlobalSecondaryIndexes", "LocalSecondaryIndexes"};
    for (int i = 0; i < 2; i++) {
        const cJSON *specs = ddb__get(body, lists[i]);
        if (!specs)
            continue;
        if (cJSON_GetArraySize(specs) == 0) {
            aws_fail(err, AWS_ERR_VALIDATION,
                     "One or more parameter values were invalid: List of %s "
                     "is empty",
                     lists[i]);
            goto done;
        }
        cJSON *out = cJSON_AddArrayToObject(desc, lists[i]);
        const cJSON *spec;
        cJSON_ArrayForEach(spec, specs)
        {
            cJSON *idx = ddb_index_build(spec, defs, schema, i == 0,
                                         pay_per_request, arn, err);
            if (!idx)
                goto done;
            cJSON_AddItemToArray(out, idx);
        }
    }
    if (cJSON_GetArraySize(ddb__get(desc, "LocalSecondaryIndexes")) > 5) {
        aws_fail(err, AWS_ERR_VALIDATION,
                 "One or more parameter values were invalid: Number of "
                 "LocalSecondaryIndexes exceeds per-table limit of 5");
        goto done;
    }
    if (cJSON_GetArraySize(ddb__get(desc, "GlobalSecondaryIndexes")) > 20) {
        aws_fail(err, AWS_ERR_VALIDATION,
                 "One or more parameter values were invalid: "
                 "GlobalSecondaryIndex count exceeds the per-table limit of "
                 "20");
        goto done;
    }
    if (ddb_index_names_unique(desc, err) != 0 ||
        ddb_definitions_used(desc, err) != 0)
        goto done;

    const cJSON *stream = ddb__get(body, "StreamSpecification");
    if (stream)
        cJSON_AddItemToObject(desc, "StreamSpecification",
                              cJSON_Duplicate(stream, 1));
    const cJSON *sse = ddb__get(body, "SSESpecification");
    if (cJSON_IsTrue(ddb__get(sse, "Enabled"))) {
        cJSON *sse_desc = cJSON_AddObjectToObject(desc, "SSEDescription");
        cJSON_AddStringToObject(sse_desc, "Status", "ENABLED");
        cJSON_AddStringToObject(sse_desc, "SSEType", "KMS");
        char key_arn[256];
        snprintf(key_arn, sizeof key_arn, "arn:aws:kms:%s:%s:key/aws-dynamodb",
                 req->region, req->account);
        cJSON_AddStringToObject(sse_desc, "KMSMasterKeyArn", key_arn);
    }
    const char *table_class = ddb__str(body, "TableClass");
    if (table_class) {
        cJSON *cls = cJSON_AddObjectToObject(desc, "TableClassSummary");
        cJSON_AddStringToObject(cls, "TableClass", table_class);
    }
    cJSON_AddBoolToObject(
        desc, "DeletionProtectionEnabled",
        cJSON_IsTrue(ddb__get(body, "DeletionProtectionEnabled")));

    t = ddb__table_load(req->srv, req->account, req->region, name);
    if (t) {
        aws_fail(err, AWS_ERR_RESOURCE_IN_USE, "Table already exists: %s",
                 name);
        goto done;
    }

    const cJSON *tags = ddb__get(body, "Tags");
    char *desc_text = cJSON_PrintUnformatted(desc);
    cJSON *no_tags = cJSON_CreateArray();
    char *tags_text =
        cJSON_PrintUnformatted(cJSON_IsArray(tags) ? tags : no_tags);
    cJSON_Delete(no_tags);
    sqlite3_stmt *s =
        store_stmt(req->srv->store, "INSERT INTO ddb_table (account, region,"
                                    " name, description, tags)"
                                    " VALUES (?1, ?2, ?3, ?4, ?5)");
    sqlite3_bind_text(s, 1, req->account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, req->region, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, desc_text, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, tags_text, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    free(desc_text);
    free(tags_text);
    if (rc != SQLITE_DONE) {
        aws_fail(err, AWS_ERR_INTERNAL_SERVER_ERROR, "Internal server error");
        goto done;
    }
    int64_t id = sqlite3_last_insert_rowid(store_db(req->srv->store));
    for (int i = 0; i < 2; i++) {
        const cJSON *spec;
        cJSON_ArrayForEach(spec, ddb__get(desc, lists[i]))
            ddb_index_row_insert(req->srv, id, ddb__str(spec, "IndexName"));
    }

    t = ddb__table_load(req->srv, req->account, req->region, name);
    resp = ddb_response_with("TableDescription",
                             ddb__table_describe(req->srv, t, "CREATING"));

done:
    cJSON_Delete(desc);
    ddb__table_free(t);
    return resp;
}

cJSON *ddb_op_describe_table(aws_request *req, aws_error *err)
{
    const char *name = ddb__str(req->body, "TableName");
    if (ddb__table_name_check(name, "tableName", 1, err) != 0)
        return NULL;
    aws_error ignored = {0};
    ddb_table *t = ddb__table_open(req, name, &ignored);
    aws_error_reset(&ignored);
    if (!t)
        return ddb_table_not_found(name, err);

    cJSON *table = ddb__table_describe(req->srv, t, "ACTIVE");
    double read = 0, write = 0;
    const cJSON *tp = ddb__get(t->description, "ProvisionedThroughput");
    read = cJSON_GetNumberValue(ddb__get(tp, "ReadCapacityUnits"));
    write = cJSON_GetNumberValue(ddb__get(tp, "WriteCapacityUnits"));
    if (ddb__get(t->description, "BillingModeSummary")) {
        /* On-demand tables report AWS's default warm throughput. */
        read = 12000;
        write = 4000;
    }
    cJSON *warm = cJSON_AddObjectToObject(table, "WarmThroughput");
    cJSON_AddNumberToObject(warm, "ReadUnitsPerSecond", read);
    cJSON_AddNumberToObject(warm, "WriteUnitsPerSecond", write);
    cJSON_AddStringToObject(warm, "Status", "ACTIVE");
    ddb__table_free(t);
    return ddb_response_with("Table", table);
}

cJSON *ddb_op_list_tables(aws_request *req, aws_error *err)
{
    const cJSON *limit, *start_member;
    if (ddb__member(req->body, "Limit", DDB_MEMBER_INTEGER, &limit, err) != 0 ||
        ddb__member(req->body, "ExclusiveStartTableName", DDB_MEMBER_STRING,
                    &start_member, err) != 0)
        return NULL;
    int max = 100;
    if (limit) {
        if (limit->valuedouble < 1 || limit->valuedouble > 100) {
            aws_fail(err, AWS_ERR_VALIDATION,
                     "1 validation error detected: Value '%g' at 'limit' "
                     "failed to satisfy constraint: Member must have value "
                     "%s",
                     cJSON_GetNumberValue(limit),
                     cJSON_GetNumberValue(limit) < 1
                         ? "greater than or equal to 1"
                         : "less than or equal to 100");
            return NULL;
        }
        max = (int)limit->valuedouble;
    }
    const char *start = ddb__str(req->body, "ExclusiveStartTableName");
    if (start &&
        ddb__table_name_check(start, "exclusiveStartTableName", 0, err) != 0)
        return NULL;

    sqlite3_stmt *s =
        store_stmt(req->srv->store, "SELECT name FROM ddb_table WHERE"
                                    " account = ?1 AND region = ?2"
                                    " AND name > ?3 ORDER BY name LIMIT ?4");
    sqlite3_bind_text(s, 1, req->account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, req->region, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, start ? start : "", -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 4, max + 1);

    cJSON *resp = cJSON_CreateObject();
    cJSON *names = cJSON_AddArrayToObject(resp, "TableNames");
    int n = 0;
    const char *last = NULL;
    while (sqlite3_step(s) == SQLITE_ROW) {
        if (n == max) {
            cJSON_AddStringToObject(resp, "LastEvaluatedTableName", last);
            break;
        }
        cJSON *name =
            cJSON_CreateString((const char *)sqlite3_column_text(s, 0));
        cJSON_AddItemToArray(names, name);
        last = name->valuestring;
        n++;
    }
    sqlite3_reset(s);
    return resp;
}

static int ddb_gsi_create(aws_request *req, ddb_table *t, const cJSON *spec,
                          aws_error *err)
{
    cJSON *desc = t->description;
    const cJSON *req_defs = ddb__get(req->body, "AttributeDefinitions");
    const char *name = ddb__str(spec, "IndexName");
    int pay_per_request = ddb__get(desc, "BillingModeSummary") != NULL;

    if (name && ddb__table_index(t, name))
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "One or more parameter values were invalid: Index "
                        "with name: %s already exists",
                        name);

    /* New key attributes come from the request's AttributeDefinitions. */
    cJSON *defs = ddb__get(desc, "AttributeDefinitions");
    const cJSON *def;
    cJSON_ArrayForEach(def, req_defs)
    {
        const char *n = ddb__str(def, "AttributeName");
        const cJSON *have = n ? ddb_attr_def(defs, n) : NULL;
        if (have && strcmp(ddb__str(have, "AttributeType"),
                           ddb__str(def, "AttributeType")
                               ? ddb__str(def, "AttributeType")
                               : "") != 0)
            return aws_fail(err, AWS_ERR_VALIDATION,
                            "One or more parameter values were invalid: "
                            "Cannot change the type of attribute %s",
                            n);
        if (n && !have)
            cJSON_AddItemToArray(defs, cJSON_Duplicate(def, 1));
    }

    cJSON *idx =
        ddb_index_build(spec, defs, ddb__get(desc, "KeySchema"), 1,
                        pay_per_request, ddb__str(desc, "TableArn"), err);
    if (!idx)
        return -1;
    cJSON *gsis = ddb__get(desc, "GlobalSecondaryIndexes");
    if (!gsis)
        gsis = cJSON_AddArrayToObject(desc, "GlobalSecondaryIndexes");
    if (cJSON_GetArraySize(gsis) >= 20) {
        cJSON_Delete(idx);
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "One or more parameter values were invalid: "
                        "GlobalSecondaryIndex count exceeds the per-table "
                        "limit of 20");
    }
    cJSON_AddItemToArray(gsis, idx);
    if (ddb_index_row_insert(req->srv, t->id, name) < 0)
        return aws_fail(err, AWS_ERR_INTERNAL_SERVER_ERROR,
                        "Internal server error");
    return 0;
}

static int ddb_gsi_delete(aws_request *req, ddb_table *t, const cJSON *spec,
                          cJSON *deleting, aws_error *err)
{
    const char *name = ddb__str(spec, "IndexName");
    cJSON *gsis = ddb__get(t->description, "GlobalSecondaryIndexes");
    int pos = 0;
    cJSON *el;
    cJSON_ArrayForEach(el, gsis)
    {
        const char *n = ddb__str(el, "IndexName");
        if (name && n && strcmp(n, name) == 0) {
            /* UpdateTable's response still lists it, as DELETING. */
            cJSON *gone = cJSON_Duplicate(el, 1);
            cJSON_AddStringToObject(gone, "IndexStatus", "DELETING");
            cJSON_AddItemToArray(deleting, gone);
            break;
        }
        pos++;
    }
    if (!el)
        return aws_fail(err, AWS_ERR_RESOURCE_NOT_FOUND,
                        "Requested resource not found: Requested index %s "
                        "not found",
                        name ? name : "null");
    cJSON_DeleteItemFromArray(gsis, pos);

    /* Entries go with the index row (ON DELETE CASCADE). */
    sqlite3_stmt *s =
        store_stmt(req->srv->store, "DELETE FROM ddb_index WHERE table_id = ?1"
                                    " AND name = ?2");
    sqlite3_bind_int64(s, 1, t->id);
    sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
    sqlite3_step(s);
    sqlite3_reset(s);
    return 0;
}

cJSON *ddb_op_update_table(aws_request *req, aws_error *err)
{
    cJSON *body = req->body;
    const char *name = ddb__str(body, "TableName");
    if (ddb__table_name_check(name, "tableName", 1, err) != 0)
        return NULL;
    if (ddb__enum_check(body, "BillingMode", "billingMode", ddb_billing_enum,
                        err) != 0)
        return NULL;
    aws_error ignored = {0};
    ddb_table *t = ddb__table_open(req, name, &ignored);
    aws_error_reset(&ignored);
    if (!t)
        return ddb_table_not_found(name, err);

    static const char *const known[] = {"ProvisionedThroughput",
                                        "BillingMode",
                                        "StreamSpecification",
                                        "GlobalSecondaryIndexUpdates",
                                        "SSESpecification",
                                        "ReplicaUpdates",
                                        "DeletionProtectionEnabled",
                                        "TableClass",
                                        "OnDemandThroughput",
                                        "WarmThroughput",
                                        NULL};
    int any = 0;
    for (size_t i = 0; known[i]; i++)
        any |= ddb__get(body, known[i]) != NULL;
    cJSON *resp = NULL;
    cJSON *deleting = cJSON_CreateArray();
    if (!any) {
        aws_fail(err, AWS_ERR_VALIDATION,
                 "At least one of ProvisionedThroughput, BillingMode, "
                 "UpdateStreamEnabled, GlobalSecondaryIndexUpdates or "
                 "SSESpecification or ReplicaUpdates is required");
        goto done;
    }

    cJSON *desc = t->description;
    const char *billing = ddb__str(body, "BillingMode");
    if (billing) {
        cJSON_DeleteItemFromObjectCaseSensitive(desc, "BillingModeSummary");
        if (strcmp(billing, "PAY_PER_REQUEST") == 0) {
            cJSON *summary =
                cJSON_AddObjectToObject(desc, "BillingModeSummary");
            cJSON_AddStringToObject(summary, "BillingMode", "PAY_PER_REQUEST");
            cJSON_AddNumberToObject(
                summary, "LastUpdateToPayPerRequestDateTime",
                (double)clock_now_ms(&req->srv->clock) / 1000.0);
        }
    }
    const cJSON *tp = ddb__get(body, "ProvisionedThroughput");
    if (tp)
        cJSON_ReplaceItemInObjectCaseSensitive(desc, "ProvisionedThroughput",
                                               ddb_throughput_describe(tp));
    const cJSON *protect = ddb__get(body, "DeletionProtectionEnabled");
    if (cJSON_IsBool(protect))
        cJSON_ReplaceItemInObjectCaseSensitive(
            desc, "DeletionProtectionEnabled",
            cJSON_CreateBool(cJSON_IsTrue(protect)));
    const cJSON *stream = ddb__get(body, "StreamSpecification");
    if (stream) {
        cJSON_DeleteItemFromObjectCaseSensitive(desc, "StreamSpecification");
        cJSON_AddItemToObject(desc, "StreamSpecification",
                              cJSON_Duplicate(stream, 1));
    }

    /* Creates first record their names, so the backfill runs after save. */
    const char *created[32];
    size_t created_count = 0;
    const cJSON *update;
    cJSON_ArrayForEach(update, ddb__get(body, "GlobalSecondaryIndexUpdates"))
    {
        const cJSON *create = ddb__get(update, "Create");
        const cJSON *del = ddb__get(update, "Delete");
        if (create) {
            if (ddb_gsi_create(req, t, create, err) != 0)
                goto done;
            if (created_count < 32)
                created[created_count++] = ddb__str(create, "IndexName");
        } else if (del) {
            if (ddb_gsi_delete(req, t, del, deleting, err) != 0)
                goto done;
        } else if (ddb__get(update, "Update")) {
            const cJSON *u = ddb__get(update, "Update");
            if (!ddb__table_index(t, ddb__str(u, "IndexName"))) {
                aws_fail(err, AWS_ERR_RESOURCE_NOT_FOUND,
                         "Requested resource not found");
                goto done;
            }
        }
    }

    if (ddb_description_save(req->srv, t->id, desc) != 0) {
        aws_fail(err, AWS_ERR_INTERNAL_SERVER_ERROR, "Internal server error");
        goto done;
    }
    ddb_table *fresh =
        ddb__table_load(req->srv, req->account, req->region, t->name);
    ddb__table_free(t);
    t = fresh;
    for (size_t i = 0; i < created_count; i++) {
        const ddb_index *idx =
            ddb__table_index(t, created[i] ? created[i] : "");
        if (idx && ddb__index_backfill(req->srv, t, idx) != 0) {
            aws_fail(err, AWS_ERR_INTERNAL_SERVER_ERROR,
                     "Internal server error");
            goto done;
        }
    }
    cJSON *described = ddb__table_describe(req->srv, t, "UPDATING");
    cJSON *gsis = ddb__get(described, "GlobalSecondaryIndexes");
    cJSON *spec;
    cJSON_ArrayForEach(spec, gsis)
    {
        /* AWS reports an index it is still building as CREATING. */
        for (size_t i = 0; i < created_count; i++)
            if (created[i] &&
                strcmp(created[i], ddb__str(spec, "IndexName")) == 0)
                cJSON_ReplaceItemInObjectCaseSensitive(
                    spec, "IndexStatus", cJSON_CreateString("CREATING"));
    }
    if (cJSON_GetArraySize(deleting) > 0) {
        if (!gsis)
            gsis = cJSON_AddArrayToObject(described, "GlobalSecondaryIndexes");
        while (deleting->child)
            cJSON_AddItemToArray(
                gsis, cJSON_DetachItemViaPointer(deleting, deleting->child));
    }
    resp = ddb_response_with("TableDescription", described);

done:
    cJSON_Delete(deleting);
    ddb__table_free(t);
    return resp;
}

cJSON *ddb_op_delete_table(aws_request *req, aws_error *err)
{
    const char *name = ddb__str(req->body, "TableName");
    if (ddb__table_name_check(name, "tableName", 1, err) != 0)
        return NULL;
    aws_error ignored = {0};
    ddb_table *t = ddb__table_open(req, name, &ignored);
    aws_error_reset(&ignored);
    if (!t)
        return ddb_table_not_found(name, err);
    if (cJSON_IsTrue(ddb__get(t->description, "DeletionProtectionEnabled"))) {
        aws_fail(err, AWS_ERR_VALIDATION,
                 "Resource cannot be deleted as it is currently protected "
                 "against deletion. Disable deletion protection first.");
        ddb__table_free(t);
        return NULL;
    }

    cJSON *desc = ddb__table_describe(req->srv, t, "DELETING");
    /* AWS's DeleteTable response leaves these members out. */
    cJSON_DeleteItemFromObjectCaseSensitive(desc, "AttributeDefinitions");
    cJSON_DeleteItemFromObjectCaseSensitive(desc, "KeySchema");
    cJSON_DeleteItemFromObjectCaseSensitive(desc, "CreationDateTime");

    /* Items, indexes and entries go with the table row (ON DELETE CASCADE). */
    sqlite3_stmt *s =
        store_stmt(req->srv->store, "DELETE FROM ddb_table WHERE id = ?1");
    sqlite3_bind_int64(s, 1, t->id);
    sqlite3_step(s);
    sqlite3_reset(s);
    ddb__table_free(t);
    return ddb_response_with("TableDescription", desc);
}

/* ---- tags ---- */

static ddb_table *ddb_table_by_arn(aws_request *req, const char **arn_out,
                                   aws_error *err)
{
    const char *arn = ddb__str(req->body, "ResourceArn");
    *arn_out = arn;
    if (!arn) {
        aws_fail(err, AWS_ERR_VALIDATION,
                 "1 validation error detected: Value null at 'resourceArn' "
                 "failed to satisfy constraint: Member must not be null");
        return NULL;
    }
    aws_error ignored = {0};
    ddb_table *t = strncmp(arn, "arn:", 4) == 0
                       ? ddb__table_open(req, arn, &ignored)
                       : NULL;
    aws_error_reset(&ignored);
    if (!t)
        /* AWS's text spells "ResourcArn". */
        aws_fail(err, AWS_ERR_RESOURCE_NOT_FOUND,
                 "Requested resource not found: ResourcArn: %s not found", arn);
    return t;
}

static cJSON *ddb_tags_load(stratus *srv, int64_t table_id)
{
    sqlite3_stmt *s =
        store_stmt(srv->store, "SELECT tags FROM ddb_table WHERE id = ?1");
    sqlite3_bind_int64(s, 1, table_id);
    cJSON *tags = NULL;
    if (sqlite3_step(s) == SQLITE_ROW)
        tags = cJSON_Parse((const char *)sqlite3_column_text(s, 0));
    sqlite3_reset(s);
    return tags ? tags : cJSON_CreateArray();
}

static void ddb_tags_save(stratus *srv, int64_t table_id, const cJSON *tags)
{
    char *text = cJSON_PrintUnformatted(tags);
    sqlite3_stmt *s = store_stmt(srv->store, "UPDATE ddb_table SET tags = ?2"
                                             " WHERE id = ?1");
    sqlite3_bind_int64(s, 1, table_id);
    sqlite3_bind_text(s, 2, text, -1, SQLITE_STATIC);
    sqlite3_step(s);
    sqlite3_reset(s);
    free(text);
}

static void ddb_tag_remove(cJSON *tags, const char *key)
{
    int pos = 0;
    cJSON *tag;
    cJSON_ArrayForEach(tag, tags)
    {
        const char *k = ddb__str(tag, "Key");
        if (k && strcmp(k, key) == 0) {
            cJSON_DeleteItemFromArray(tags, pos);
            return;
        }
        pos++;
    }
}

cJSON *ddb_op_tag_resource(aws_request *req, aws_error *err)
{
    const char *arn;
    ddb_table *t = ddb_table_by_arn(req, &arn, err);
    if (!t)
        return NULL;
    cJSON *tags = ddb_tags_load(req->srv, t->id);
    const cJSON *tag;
    cJSON_ArrayForEach(tag, ddb__get(req->body, "Tags"))
    {
        const char *key = ddb__str(tag, "Key");
        if (!key)
            continue;
        ddb_tag_remove(tags, key);
        cJSON_AddItemToArray(tags, cJSON_Duplicate(tag, 1));
    }
    ddb_tags_save(req->srv, t->id, tags);
    cJSON_Delete(tags);
    ddb__table_free(t);
    return cJSON_CreateObject();
}

cJSON *ddb_op_untag_resource(aws_request *req, aws_error *err)
{
    const char *arn;
    ddb_table *t = ddb_table_by_arn(req, &arn, err);
    if (!t)
        return NULL;
    cJSON *tags = ddb_tags_load(req->srv, t->id);
    const cJSON *key;
    cJSON_ArrayForEach(key, ddb__get(req->body, "TagKeys"))
    {
        if (cJSON_IsString(key))
            ddb_tag_remove(tags, key->valuestring);
    }
    ddb_tags_save(req->srv, t->id, tags);
    cJSON_Delete(tags);
    ddb__table_free(t);
    return cJSON_CreateObject();
}

cJSON *ddb_op_list_tags_of_resource(aws_request *req, aws_error *err)
{
    const char *arn;
    ddb_table *t = ddb_table_by_arn(req, &arn, err);
    if (!t)
        return NULL;
    cJSON *resp = ddb_response_with("Tags", ddb_tags_load(req->srv, t->id));
    ddb__table_free(t);
    return resp;
}

/* ---- account-level and backup settings ---- */

cJSON *ddb_op_describe_limits(aws_request *req, aws_error *err)
{
    cJSON *resp = cJSON_CreateObject();
    cJSON_AddNumberToObject(resp, "AccountMaxReadCapacityUnits", 80000);
    cJSON_AddNumberToObject(resp, "AccountMaxWriteCapacityUnits", 80000);
    cJSON_AddNumberToObject(resp, "TableMaxReadCapacityUnits", 40000);
    cJSON_AddNumberToObject(resp, "TableMaxWriteCapacityUnits", 40000);
    return resp;
}

cJSON *ddb_op_describe_endpoints(aws_request *req, aws_error *err)
{
    /* The request's own Host, so a client that follows it stays local. */
    const char *host =
        req->http ? http_request_header(req->http, "Host") : NULL;
    cJSON *resp = cJSON_CreateObject();
    cJSON *list = cJSON_AddArrayToObject(resp, "Endpoints");
    cJSON *ep = cJSON_CreateObject();
    cJSON_AddStringToObject(ep, "Address", host ? host : "127.0.0.1:4566");
    cJSON_AddNumberToObject(ep, "CachePeriodInMinutes", 1440);
    cJSON_AddItemToArray(list, ep);
    return resp;
}

static cJSON *ddb_backups_describe(aws_request *req, const ddb_table *t)
{
    sqlite3_stmt *s =
        store_stmt(req->srv->store, "SELECT pitr FROM ddb_table WHERE id = ?1");
    sqlite3_bind_int64(s, 1, t->id);
    int pitr = sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int(s, 0);
    sqlite3_reset(s);

    cJSON *resp = cJSON_CreateObject();
    cJSON *d = cJSON_AddObjectToObject(resp, "ContinuousBackupsDescription");
    cJSON_AddStringToObject(d, "ContinuousBackupsStatus", "ENABLED");
    cJSON *p = cJSON_AddObjectToObject(d, "PointInTimeRecoveryDescription");
    cJSON_AddStringToObject(p, "PointInTimeRecoveryStatus",
                            pitr ? "ENABLED" : "DISABLED");
    if (pitr) {
        double now_s = (double)clock_now_ms(&req->srv->clock) / 1000.0;
        cJSON_AddNumberToObject(
            p, "EarliestRestorableDateTime",
            cJSON_GetNumberValue(ddb__get(t->description, "CreationDateTime")));
        cJSON_AddNumberToObject(p, "LatestRestorableDateTime", now_s);
        cJSON_AddNumberToObject(p, "RecoveryPeriodInDays", 35);
    }
    return resp;
}

static ddb_table *ddb_backup_table(aws_request *req, aws_error *err)
{
    const char *name = ddb__str(req->body, "TableName");
    if (ddb__table_name_check(name, "tableName", 1, err) != 0)
        return NULL;
    aws_error ignored = {0};
    ddb_table *t = ddb__table_open(req, name, &ignored);
    aws_error_reset(&ignored);
    if (!t)
        aws_fail(err, AWS_ERR_TABLE_NOT_FOUND, "Table not found: %s", name);
    return t;
}

cJSON *ddb_op_describe_continuous_backups(aws_request *req, aws_error *err)
{
    ddb_table *t = ddb_backup_table(req, err);
    if (!t)
        return NULL;
    cJSON *resp = ddb_backups_describe(req, t);
    ddb__table_free(t);
    return resp;
}

cJSON *ddb_op_update_continuous_backups(aws_request *req, aws_error *err)
{
    const cJSON *spec = ddb__get(req->body, "PointInTimeRecoverySpecification");
    const cJSON *enabled = ddb__get(spec, "PointInTimeRecoveryEnabled");
    if (!cJSON_IsBool(enabled)) {
        aws_fail(err, AWS_ERR_VALIDATION,
                 "1 validation error detected: Value null at "
                 "'pointInTimeRecoverySpecification.pointInTimeRecoveryEnabled'"
                 " failed to satisfy constraint: Member must not be null");
        return NULL;
    }
    ddb_table *t = ddb_backup_table(req, err);
    if (!t)
        return NULL;
    sqlite3_stmt *s =
        store_stmt(req->srv->store, "UPDATE ddb_table SET pitr = ?2"
                                    " WHERE id = ?1");
    sqlite3_bind_int64(s, 1, t->id);
    sqlite3_bind_int(s, 2, cJSON_IsTrue(enabled));
    sqlite3_step(s);
    sqlite3_reset(s);
    cJSON *resp = ddb_backups_describe(req, t);
    ddb__table_free(t);
    return resp;
}
