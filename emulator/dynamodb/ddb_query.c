/*
 * ddb_query.c: Query and Scan, on a table or a secondary index.
 *
 * Both walk SQLite in DynamoDB's key order: ddb_item by (pk, sk) for a
 * table, ddb_index_entry by (ihash, irange, pk, sk) for an index, joined
 * back to the item. The SQL narrows a Query to its partition and to
 * inclusive sort key bounds, and each row is checked against the exact key
 * condition (strict bounds, begins_with). Limit counts evaluated items before
 * the filter, a page stops after 1 MB of evaluated items, and
 * LastEvaluatedKey is set whenever a page stops early, as AWS does even when
 * no item follows.
 *
 * Left out: the legacy KeyConditions, QueryFilter, ScanFilter,
 * AttributesToGet and ConditionalOperator parameters.
 */
#include "ddb_internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "store.h"

static const char *const ddb_select_enum[] = {
    "ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES", "SPECIFIC_ATTRIBUTES",
    "COUNT", NULL};
static const char *const ddb_consumed_enum[] = {"INDEXES", "TOTAL", "NONE",
                                                NULL};
static const char *const ddb_read_legacy[] = {
    "KeyConditions",   "QueryFilter",         "ScanFilter",
    "AttributesToGet", "ConditionalOperator", NULL};

typedef struct ddb_read {
    aws_request *req;
    ddb_table *table;
    const ddb_index *index;
    ddb_expr_ctx ctx;
    ddb_expr *key_condition;
    ddb_expr *filter;
    ddb_expr *projection;
    int count_only;
    int fetch_full; /* read the table item, not the index projection */
    int limit;      /* 0: none */
    int consistent;
    /* results */
    cJSON *items;
    int count;
    int scanned;
    size_t bytes;
    cJSON *last_key; /* key of the last evaluated item */
    int stopped;     /* the page ended before the data did */
} ddb_read;

static void ddb_read_cleanup(ddb_read *r)
{
    ddb_expr_free(r->key_condition);
    ddb_expr_free(r->filter);
    ddb_expr_free(r->projection);
    ddb_expr_ctx_cleanup(&r->ctx);
    cJSON_Delete(r->items);
    cJSON_Delete(r->last_key);
    ddb__table_free(r->table);
}

static int ddb_parse_member(ddb_read *r, ddb_expr_kind kind, const char *member,
                            ddb_expr **out, aws_error *err)
{
    const char *text = ddb__str(r->req->body, member);
    *out = NULL;
    if (!text)
        return 0;
    if (!text[0])
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "Invalid %s: The expression can not be empty;", member);
    *out = ddb_expr_parse(&r->ctx, kind, text, err);
    return *out ? 0 : -1;
}

/* Decode and check the members Query and Scan share. */
static int ddb_read_prepare(aws_request *req, ddb_read *r, int is_query,
                            aws_error *err)
{
    cJSON *body = req->body;
    memset(r, 0, sizeof *r);
    r->req = req;
    cJSON *values = ddb__get(body, "ExpressionAttributeValues");
    ddb_expr_ctx_init(&r->ctx, ddb__get(body, "ExpressionAttributeNames"),
                      values);

    const char *name = ddb__str(body, "TableName");
    if (ddb__legacy_check(body, ddb_read_legacy, err) != 0 ||
        ddb__table_name_check(name, "tableName", 1, err) != 0 ||
        ddb__enum_check(body, "Select", "select", ddb_select_enum, err) != 0 ||
        ddb__enum_check(body, "ReturnConsumedCapacity",
                        "returnConsumedCapacity", ddb_consumed_enum, err) != 0)
        return -1;
    const cJSON *limit, *consistent;
    if (ddb__member(body, "Limit", DDB_MEMBER_INTEGER, &limit, err) != 0 ||
        ddb__member(body, "ConsistentRead", DDB_MEMBER_BOOLEAN, &consistent,
                    err) != 0 ||
        ddb__member(body, "ScanIndexForward", DDB_MEMBER_BOOLEAN, &consistent,
                    err) != 0)
        return -1;
    if (limit) {
        if (limit->valuedouble < 1)
            return aws_fail(err, AWS_ERR_VALIDATION,
                            "1 validation error detected: Value '%g' at "
                            "'limit' failed to satisfy constraint: Member "
                            "must have value greater than or equal to 1",
                            cJSON_GetNumberValue(limit));
        r->limit =
            limit->valuedouble > 1e9 ? 1000000000 : (int)limit->valuedouble;
    }
    r->consistent = cJSON_IsTrue(ddb__get(body, "ConsistentRead"));

    r->table = ddb__table_open(req, name, err);
    if (!r->table)
        return -1;
    const char *index_name = ddb__str(body, "IndexName");
    if (index_name) {
        r->index = ddb__table_index(r->table, index_name);
        if (!r->index)
            return aws_fail(err, AWS_ERR_VALIDATION,
                            "The table does not have the specified index: %s",
                            index_name);
        if (r->index->is_global && r->consistent)
            return aws_fail(err, AWS_ERR_VALIDATION,
                            "Consistent reads are not supported on global "
                            "secondary indexes");
    }

    const char *select = ddb__str(body, "Select");
    r->count_only = select && strcmp(select, "COUNT") == 0;
    if (select && strcmp(select, "ALL_ATTRIBUTES") == 0 && r->index &&
        r->index->projection != DDB_PROJECT_ALL) {
        if (r->index->is_global)
            return aws_fail(err, AWS_ERR_VALIDATION,
                            "One or more parameter values were invalid: "
                            "Select type ALL_ATTRIBUTES is not supported for "
                            "global secondary index %s because its "
                            "projection type is not ALL",
                            r->index->name);
        r->fetch_full = 1;
    }

    if (ddb__values_validate(values, err) != 0)
        return -1;
    if (is_query) {
        if (!ddb__str(body, "KeyConditionExpression"))
            return aws_fail(err, AWS_ERR_VALIDATION,
                            "Either the KeyConditions or "
                            "KeyConditionExpression parameter must be "
                            "specified in the request.");
        if (ddb_parse_member(r, DDB_EXPR_KEY_CONDITION,
                             "KeyConditionExpression", &r->key_condition,
                             err) != 0)
            return -1;
    }
    if (ddb_parse_member(r, DDB_EXPR_FILTER, "FilterExpression", &r->filter,
                         err) != 0 ||
        ddb_parse_member(r, DDB_EXPR_PROJECTION, "ProjectionExpression",
                         &r->projection, err) != 0)
        return -1;
    if (!r->key_condition && !r->filter && !r->projection) {
        if (ddb__get(body, "ExpressionAttributeNames"))
            return aws_fail(err, AWS_ERR_VALIDATION,
                            "ExpressionAttributeNames can only be specified "
                            "when using expressions");
        if (values)
            return aws_fail(err, AWS_ERR_VALIDATION,
                            "ExpressionAttributeValues can only be specified "
                            "when using expressions");
    }
    if (ddb_expr_check_unused(&r->ctx, err) != 0)
        return -1;
    if (select && strcmp(select, "SPECIFIC_ATTRIBUTES") != 0 && r->projection)
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "One or more parameter values were invalid: Cannot "
                        "specify the ProjectionExpression when choosing to "
                        "get %s",
                        select);

    r->items = cJSON_CreateArray();
    return 0;
}

/*
 * Check ExclusiveStartKey: exactly the table key attributes, plus the index
 * key attributes on an index. Returns 0 with *out set (or NULL), or -1.
 */
static int ddb_start_key(ddb_read *r, cJSON **out, aws_error *err)
{
    cJSON *esk = ddb__get(r->req->body, "ExclusiveStartKey");
    *out = NULL;
    if (!esk)
        return 0;
    if (!cJSON_IsObject(esk) || ddb_item_validate(esk, err) != 0) {
        if (!cJSON_IsObject(esk))
            aws_fail(err, AWS_ERR_VALIDATION,
                     "The provided starting key is "
                     "invalid");
        return -1;
    }

    const ddb_key_schema *schemas[2] = {&r->table->key,
                                        r->index ? &r->index->key : NULL};
    int expected = 0;
    const char *seen[4];
    for (int i = 0; i < 2; i++) {
        if (!schemas[i])
            continue;
        const char *names[2] = {schemas[i]->hash, schemas[i]->range};
        char types[2] = {schemas[i]->hash_type, schemas[i]->range_type};
        for (int j = 0; j < 2; j++) {
            if (!names[j])
                continue;
            int dup = 0;
            for (int k = 0; k < expected; k++)
                dup |= strcmp(seen[k], names[j]) == 0;
            if (dup)
                continue;
            seen[expected++] = names[j];
            const cJSON *av = ddb__get(esk, names[j]);
            const char *type = av ? ddb_type_name(ddb_value_type(av)) : NULL;
            if (!type || type[0] != types[j] || type[1] != '\0')
                return aws_fail(err, AWS_ERR_VALIDATION,
                                "The provided starting key is invalid: The "
                                "provided key element does not match the "
                                "schema");
        }
    }
    if (cJSON_GetArraySize(esk) != expected)
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "The provided starting key is invalid: The provided "
                        "key element does not match the schema");
    *out = esk;
    return 0;
}

/*
 * Evaluate one stored item: count it, remember its key for
 * LastEvaluatedKey, filter, project and collect it. Returns 1 when the page
 * is full, 0 to continue, -1 on an evaluation error.
 */
static int ddb_read_row(ddb_read *r, cJSON *item, aws_error *err)
{
    r->scanned++;
    r->bytes += ddb_item_size(item);
    cJSON_Delete(r->last_key);
    r->last_key = ddb__index_key_extract(r->table, r->index, item);

    cJSON *visible = r->fetch_full
                         ? cJSON_Duplicate(item, 1)
                         : ddb__index_project(r->table, r->index, item);
    int match = 1;
    if (r->filter && ddb_expr_eval(r->filter, visible, &match, err) != 0) {
        cJSON_Delete(visible);
        return -1;
    }
    if (match) {
        r->count++;
        if (!r->count_only) {
            if (r->projection) {
                cJSON *projected = ddb_expr_project(r->projection, visible);
                cJSON_Delete(visible);
                visible = projected;
            }
            cJSON_AddItemToArray(r->items, visible);
            visible = NULL;
        }
    }
    cJSON_Delete(visible);

    if ((r->limit && r->scanned >= r->limit) ||
        r->bytes >= DDB_PAGE_MAX_BYTES) {
        r->stopped = 1;
        return 1;
    }
    return 0;
}

static cJSON *ddb_read_response(ddb_read *r)
{
    cJSON *resp = cJSON_CreateObject();
    if (!r->count_only) {
        cJSON_AddItemToObject(resp, "Items", r->items);
        r->items = NULL;
    }
    cJSON_AddNumberToObject(resp, "Count", r->count);
    cJSON_AddNumberToObject(resp, "ScannedCount", r->scanned);
    if (r->stopped && r->last_key) {
        cJSON_AddItemToObject(resp, "LastEvaluatedKey", r->last_key);
        r->last_key = NULL;
    }
    cJSON *consumed = ddb__consumed(r->req->body, r->table->name,
                                    ddb__read_units(r->bytes, r->consistent));
    if (consumed)
        cJSON_AddItemToObject(resp, "ConsumedCapacity", consumed);
    return resp;
}

/* ---- Query ---- */

static size_t ddb_binary_decode(const char *b64, unsigned char **out)
{
    size_t len = strlen(b64);
    *out = xmalloc(len / 4 * 3 + 3);
    int n = EVP_DecodeBlock(*out, (const unsigned char *)b64, (int)len);
    if (n < 0)
        return 0;
    while (len > 0 && b64[len - 1] == '=') {
        len--;
        n--;
    }
    return n > 0 ? (size_t)n : 0;
}

static int ddb_begins_with(const cJSON *value, const cJSON *prefix)
{
    const char *v = cJSON_GetStringValue(ddb_value_payload(value));
    const char *p = cJSON_GetStringValue(ddb_value_payload(prefix));
    if (!v || !p || ddb_value_type(value) != ddb_value_type(prefix))
        return 0;
    if (ddb_value_type(value) == DDB_S)
        return strncmp(v, p, strlen(p)) == 0;

    unsigned char *vb, *pb;
    size_t vn = ddb_binary_decode(v, &vb);
    size_t pn = ddb_binary_decode(p, &pb);
    int ok = pn <= vn && memcmp(vb, pb, pn) == 0;
    free(vb);
    free(pb);
    return ok;
}

/* Whether a sort key value satisfies the range part of a key condition. */
static int ddb_range_match(const ddb_key_cond *kc, const cJSON *value)
{
    int c = 0, c2 = 0;
    if (kc->range_op == DDB_KEY_NONE)
        return 1;
    if (!value)
        return 0;
    switch (kc->range_op) {
    case DDB_KEY_BEGINS_WITH:
        return ddb_begins_with(value, kc->range_value);
    case DDB_KEY_BETWEEN:
        if (ddb_value_compare(value, kc->range_value, &c) != 0 ||
            ddb_value_compare(value, kc->range_value2, &c2) != 0)
            return 0;
        return c >= 0 && c2 <= 0;
    default:
        break;
    }
    if (ddb_value_compare(value, kc->range_value, &c) != 0)
        return 0;
    switch (kc->range_op) {
    case DDB_KEY_EQ:
        return c == 0;
    case DDB_KEY_LT:
        return c < 0;
    case DDB_KEY_LE:
        return c <= 0;
    case DDB_KEY_GT:
        return c > 0;
    case DDB_KEY_GE:
        return c >= 0;
    default:
        return 0;
    }
}

static int ddb_key_cond_types(const ddb_key_schema *key, const ddb_key_cond *kc,
                              aws_error *err)
{
    const cJSON *vals[3] = {kc->hash_value, kc->range_value, kc->range_value2};
    char types[3] = {key->hash_type, key->range_type, key->range_type};
    for (int i = 0; i < 3; i++) {
        if (!vals[i])
            continue;
        const char *t = ddb_type_name(ddb_value_type(vals[i]));
        if (!t || t[0] != types[i] || t[1] != '\0')
            return aws_fail(err, AWS_ERR_VALIDATION,
                            "One or more parameter values were invalid: "
                            "Condition parameter type does not match schema "
                            "type");
    }
    if (kc->range_op == DDB_KEY_BEGINS_WITH && key->range_type == 'N')
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "Invalid KeyConditionExpression: Incorrect operand "
                        "type for operator or function; operator or "
                        "function: begins_with, operand type: N");
    int c = 0;
    if (kc->range_op == DDB_KEY_BETWEEN &&
        ddb_value_compare(kc->range_value, kc->range_value2, &c) == 0 &&
        c > 0) {
        char *lo = cJSON_PrintUnformatted(kc->range_value);
        char *hi = cJSON_PrintUnformatted(kc->range_value2);
        aws_fail(err, AWS_ERR_VALIDATION,
                 "Invalid KeyConditionExpression: The BETWEEN operator "
                 "requires upper bound to be greater than or equal to lower "
                 "bound; lower operand: AttributeValue: %s, upper operand: "
                 "AttributeValue: %s",
                 lo, hi);
        free(lo);
        free(hi);
        return -1;
    }
    return 0;
}

static void ddb_bind_buf(sqlite3_stmt *s, int i, const strbuf *b)
{
    sqlite3_bind_blob(s, i, b->len ? b->data : "", (int)b->len, SQLITE_STATIC);
}

cJSON *ddb_op_query(aws_request *req, aws_error *err)
{
    ddb_read r;
    cJSON *resp = NULL;
    strbuf hash, lo, hi, s_range, s_pk, s_sk;
    strbuf *bufs[] = {&hash, &lo, &hi, &s_range, &s_pk, &s_sk};
    for (size_t i = 0; i < 6; i++)
        strbuf_init(bufs[i]);

    if (ddb_read_prepare(req, &r, 1, err) != 0)
        goto done;
    const ddb_key_schema *key = r.index ? &r.index->key : &r.table->key;
    ddb_key_cond kc;
    if (ddb_expr_key_condition(r.key_condition, key->hash, key->range, &kc,
                               err) != 0 ||
        ddb_key_cond_types(key, &kc, err) != 0)
        goto done;
    cJSON *esk;
    if (ddb_start_key(&r, &esk, err) != 0)
        goto done;

    ddb_key_encode(kc.hash_value, &hash);
    int has_hi = 0;
    switch (kc.range_op) {
    case DDB_KEY_EQ:
        ddb_key_encode(kc.range_value, &lo);
        ddb_key_encode(kc.range_value, &hi);
        has_hi = 1;
        break;
    case DDB_KEY_LT:
    case DDB_KEY_LE:
        ddb_key_encode(kc.range_value, &hi);
        has_hi = 1;
        break;
    case DDB_KEY_GT:
    case DDB_KEY_GE:
    case DDB_KEY_BEGINS_WITH:
        ddb_key_encode(kc.range_value, &lo);
        break;
    case DDB_KEY_BETWEEN:
        ddb_key_encode(kc.range_value, &lo);
        ddb_key_encode(kc.range_value2, &hi);
        has_hi = 1;
        break;
    case DDB_KEY_NONE:
        break;
    }

    const cJSON *forward = ddb__get(req->body, "ScanIndexForward");
    int ascending = !cJSON_IsFalse(forward);
    sqlite3_stmt *s;
    if (!r.index) {
        s = store_stmt(req->srv->store,
                       ascending
                           ? "SELECT item FROM ddb_item WHERE table_id = ?1"
                             " AND pk = ?2 AND sk >= ?3"
                             " AND (?4 IS NULL OR sk <= ?4)"
                             " AND (?5 IS NULL OR sk > ?5) ORDER BY sk"
                           : "SELECT item FROM ddb_item WHERE table_id = ?1"
                             " AND pk = ?2 AND sk >= ?3"
                             " AND (?4 IS NULL OR sk <= ?4)"
                             " AND (?5 IS NULL OR sk < ?5) ORDER BY sk DESC");
        sqlite3_bind_int64(s, 1, r.table->id);
        if (esk && r.table->key.range) {
            ddb_key_encode(ddb__get(esk, r.table->key.range), &s_range);
            ddb_bind_buf(s, 5, &s_range);
        } else if (esk) {
            ddb_bind_buf(s, 5, &s_range);
        }
    } else {
        s = store_stmt(req->srv->store,
                       ascending ? "SELECT i.item FROM ddb_index_entry e"
                                   " JOIN ddb_item i ON i.table_id = e.table_id"
                                   " AND i.pk = e.pk AND i.sk = e.sk"
                                   " WHERE e.index_id = ?1 AND e.ihash = ?2"
                                   " AND e.irange >= ?3"
                                   " AND (?4 IS NULL OR e.irange <= ?4)"
                                   " AND (?5 IS NULL OR (e.irange, e.pk, e.sk)"
                                   " > (?5, ?6, ?7))"
                                   " ORDER BY e.irange, e.pk, e.sk"
                                 : "SELECT i.item FROM ddb_index_entry e"
                                   " JOIN ddb_item i ON i.table_id = e.table_id"
                                   " AND i.pk = e.pk AND i.sk = e.sk"
                                   " WHERE e.index_id = ?1 AND e.ihash = ?2"
                                   " AND e.irange >= ?3"
                                   " AND (?4 IS NULL OR e.irange <= ?4)"
                                   " AND (?5 IS NULL OR (e.irange, e.pk, e.sk)"
                                   " < (?5, ?6, ?7))"
                                   " ORDER BY e.irange DESC, e.pk DESC,"
                                   " e.sk DESC");
        sqlite3_bind_int64(s, 1, r.index->id);
        if (esk) {
            if (r.index->key.range)
                ddb_key_encode(ddb__get(esk, r.index->key.range), &s_range);
            ddb__key_encode(r.table, esk, &s_pk, &s_sk);
            ddb_bind_buf(s, 5, &s_range);
            ddb_bind_buf(s, 6, &s_pk);
            ddb_bind_buf(s, 7, &s_sk);
        }
    }
    ddb_bind_buf(s, 2, &hash);
    ddb_bind_buf(s, 3, &lo);
    if (has_hi)
        ddb_bind_buf(s, 4, &hi);

    int seen_match = 0, rc = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
        cJSON *item = cJSON_Parse((const char *)sqlite3_column_text(s, 0));
        if (!item)
            continue;
        if (!ddb_range_match(&kc, ddb__get(item, key->range))) {
            cJSON_Delete(item);
            /* Items sharing a prefix are contiguous in key order. */
            if (kc.range_op == DDB_KEY_BEGINS_WITH && (ascending || seen_match))
                break;
            continue;
        }
        seen_match = 1;
        rc = ddb_read_row(&r, item, err);
        cJSON_Delete(item);
        if (rc != 0)
            break;
    }
    sqlite3_reset(s);
    if (rc < 0)
        goto done;
    resp = ddb_read_response(&r);

done:
    for (size_t i = 0; i < 6; i++)
        strbuf_free(bufs[i]);
    ddb_read_cleanup(&r);
    return resp;
}

/* ---- Scan ---- */

static uint32_t ddb_segment_hash(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 16777619u;
    }
    return h;
}

static int ddb_segment_check(const cJSON *body, int *segment, int *total,
                             aws_error *err)
{
    const cJSON *seg = ddb__get(body, "Segment");
    const cJSON *tot = ddb__get(body, "TotalSegments");
    *segment = 0;
    *total = 1;
    if (!seg && !tot)
        return 0;
    if (seg && !tot)
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "The TotalSegments parameter is required but was not "
                        "present in the request when Segment parameter is "
                        "present");
    if (!seg)
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "The Segment parameter is required but was not "
                        "present in the request when parameter "
                        "TotalSegments is present");
    if (!cJSON_IsNumber(tot) || tot->valuedouble < 1 ||
        tot->valuedouble > 1000000)
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "1 validation error detected: Value '%g' at "
                        "'totalSegments' failed to satisfy constraint: "
                        "Member must have value %s",
                        cJSON_GetNumberValue(tot),
                        cJSON_GetNumberValue(tot) < 1
                            ? "greater than or equal to 1"
                            : "less than or equal to 1000000");
    if (!cJSON_IsNumber(seg) || seg->valuedouble < 0)
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "1 validation error detected: Value '%g' at "
                        "'segment' failed to satisfy constraint: Member must "
                        "have value greater than or equal to 0",
                        cJSON_GetNumberValue(seg));
    if (seg->valuedouble >= tot->valuedouble)
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "The Segment parameter is zero-based and must be "
                        "less than parameter TotalSegments: Segment: %d is "
                        "not less than TotalSegments: %d",
                        (int)seg->valuedouble, (int)tot->valuedouble);
    *segment = (int)seg->valuedouble;
    *total = (int)tot->valuedouble;
    return 0;
}

cJSON *ddb_op_scan(aws_request *req, aws_error *err)
{
    ddb_read r;
    cJSON *resp = NULL;
    strbuf a, b, c, d;
    strbuf *bufs[] = {&a, &b, &c, &d};
    for (size_t i = 0; i < 4; i++)
        strbuf_init(bufs[i]);

    int segment, total;
    memset(&r, 0, sizeof r);
    if (ddb_segment_check(req->body, &segment, &total, err) != 0)
        goto done;
    if (ddb_read_prepare(req, &r, 0, err) != 0)
        goto done;
    cJSON *esk;
    if (ddb_start_key(&r, &esk, err) != 0)
        goto done;

    sqlite3_stmt *s;
    if (!r.index) {
        s = store_stmt(req->srv->store,
                       "SELECT pk, item FROM ddb_item WHERE table_id = ?1"
                       " AND (?2 IS NULL OR (pk, sk) > (?2, ?3))"
                       " ORDER BY pk, sk");
        sqlite3_bind_int64(s, 1, r.table->id);
        if (esk) {
            ddb__key_encode(r.table, esk, &a, &b);
            ddb_bind_buf(s, 2, &a);
            ddb_bind_buf(s, 3, &b);
        }
    } else {
        s = store_stmt(req->srv->store,
                       "SELECT e.ihash, i.item FROM ddb_index_entry e"
                       " JOIN ddb_item i ON i.table_id = e.table_id"
                       " AND i.pk = e.pk AND i.sk = e.sk"
                       " WHERE e.index_id = ?1 AND (?2 IS NULL OR"
                       " (e.ihash, e.irange, e.pk, e.sk) > (?2, ?3, ?4, ?5))"
                       " ORDER BY e.ihash, e.irange, e.pk, e.sk");
        sqlite3_bind_int64(s, 1, r.index->id);
        if (esk) {
            ddb_key_encode(ddb__get(esk, r.index->key.hash), &a);
            if (r.index->key.range)
                ddb_key_encode(ddb__get(esk, r.index->key.range), &b);
            ddb__key_encode(r.table, esk, &c, &d);
            ddb_bind_buf(s, 2, &a);
            ddb_bind_buf(s, 3, &b);
            ddb_bind_buf(s, 4, &c);
            ddb_bind_buf(s, 5, &d);
        }
    }

    int rc = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
        if (total > 1) {
            uint32_t h = ddb_segment_hash(sqlite3_column_blob(s, 0),
                                          (size_t)sqlite3_column_bytes(s, 0));
            if ((int)(h % (uint32_t)total) != segment)
                continue;
        }
        cJSON *item = cJSON_Parse((const char *)sqlite3_column_text(s, 1));
        if (!item)
            continue;
        rc = ddb_read_row(&r, item, err);
        cJSON_Delete(item);
        if (rc != 0)
            break;
    }
    sqlite3_reset(s);
    if (rc < 0)
        goto done;
    resp = ddb_read_response(&r);

done:
    for (size_t i = 0; i < 4; i++)
        strbuf_free(bufs[i]);
    ddb_read_cleanup(&r);
    return resp;
}
