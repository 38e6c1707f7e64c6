/*
 * ddb_batch.c: BatchGetItem, BatchWriteItem, TransactWriteItems and
 * TransactGetItems.
 *
 * Batches are checked whole before anything is read or written, so a bad
 * element fails the call. Stratus never throttles, so UnprocessedKeys and
 * UnprocessedItems are always empty. A transaction evaluates every element
 * against the stored items first and writes only when all succeed; the
 * handler's store savepoint makes the writes atomic. A ClientRequestToken is
 * remembered for 10 minutes: the same request again succeeds without
 * writing, a different one fails with IdempotentParameterMismatchException.
 */
#include "ddb_internal.h"

#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "store.h"

#define DDB_BATCH_GET_MAX 100
#define DDB_BATCH_WRITE_MAX 25
#define DDB_TRANSACT_MAX 100
#define DDB_TOKEN_WINDOW_MS (10 * 60 * 1000)

static int ddb_request_items(const cJSON *body, const cJSON **out,
                             aws_error *err)
{
    *out = ddb__get(body, "RequestItems");
    if (!cJSON_IsObject(*out))
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "1 validation error detected: Value null at "
                        "'requestItems' failed to satisfy constraint: Member "
                        "must not be null");
    if (!(*out)->child)
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "1 validation error detected: Value '{}' at "
                        "'requestItems' failed to satisfy constraint: Member "
                        "must have length greater than or equal to 1");
    return 0;
}

/* Encoded table key of `key`, as "<table id>:<pk hex>:<sk hex>". */
static char *ddb_key_id(const ddb_table *t, const cJSON *key)
{
    strbuf pk, sk, out;
    strbuf_init(&pk);
    strbuf_init(&sk);
    strbuf_init(&out);
    ddb__key_encode(t, key, &pk, &sk);
    strbuf_printf(&out, "%lld:", (long long)t->id);
    for (size_t i = 0; i < pk.len; i++)
        strbuf_printf(&out, "%02x", (unsigned char)pk.data[i]);
    strbuf_puts(&out, ":");
    for (size_t i = 0; i < sk.len; i++)
        strbuf_printf(&out, "%02x", (unsigned char)sk.data[i]);
    strbuf_free(&pk);
    strbuf_free(&sk);
    return strbuf_take(&out, NULL);
}

/* Add `id` to the set `seen` and free it. Returns 1 when it was already there.
 */
static int ddb_seen(cJSON *seen, char *id)
{
    int dup = ddb__get(seen, id) != NULL;
    if (!dup)
        cJSON_AddNullToObject(seen, id);
    free(id);
    return dup;
}

static void ddb_capacity_add(cJSON **list, const cJSON *body, const char *table,
                             double units)
{
    cJSON *c = ddb__consumed(body, table, units);
    if (!c)
        return;
    if (!*list)
        *list = cJSON_CreateArray();
    cJSON_AddItemToArray(*list, c);
}

/* ---- BatchGetItem ---- */

cJSON *ddb_op_batch_get_item(aws_request *req, aws_error *err)
{
    const cJSON *request_items;
    if (ddb_request_items(req->body, &request_items, err) != 0)
        return NULL;

    int total = 0;
    const cJSON *spec;
    cJSON_ArrayForEach(spec, request_items) total +=
        cJSON_GetArraySize(ddb__get(spec, "Keys"));
    if (total > DDB_BATCH_GET_MAX) {
        aws_fail(err, AWS_ERR_VALIDATION,
                 "Too many items requested for the BatchGetItem call");
        return NULL;
    }

    /* Check every table and key before reading anything. */
    cJSON_ArrayForEach(spec, request_items)
    {
        const char *name = spec->string;
        if (ddb__table_name_check(name, "requestItems", 1, err) != 0)
            return NULL;
        const cJSON *keys = ddb__get(spec, "Keys");
        if (cJSON_GetArraySize(keys) < 1) {
            aws_fail(err, AWS_ERR_VALIDATION,
                     "1 validation error detected: Value null at "
                     "'requestItems.%s.member.keys' failed to satisfy "
                     "constraint: Member must have length greater than or "
                     "equal to 1",
                     name);
            return NULL;
        }
        ddb_table *t = ddb__table_open(req, name, err);
        if (!t)
            return NULL;
        cJSON *seen = cJSON_CreateObject();
        const cJSON *key;
        int rc = 0;
        cJSON_ArrayForEach(key, keys)
        {
            rc = ddb__key_check(t, key, err);
            if (rc == 0 && ddb_seen(seen, ddb_key_id(t, key)))
                rc = aws_fail(err, AWS_ERR_VALIDATION,
                              "Provided list of item keys contains "
                              "duplicates");
            if (rc != 0)
                break;
        }
        cJSON_Delete(seen);
        ddb__table_free(t);
        if (rc != 0)
            return NULL;
    }

    cJSON *resp = cJSON_CreateObject();
    cJSON *responses = cJSON_AddObjectToObject(resp, "Responses");
    cJSON *capacity = NULL;
    cJSON_ArrayForEach(spec, request_items)
    {
        ddb_table *t = ddb__table_open(req, spec->string, err);
        ddb_expr_ctx ctx;
        ddb_expr_ctx_init(&ctx, ddb__get(spec, "ExpressionAttributeNames"),
                          NULL);
        ddb_expr *projection = NULL;
        const char *text = ddb__str(spec, "ProjectionExpression");
        if (text) {
            projection = ddb_expr_parse(&ctx, DDB_EXPR_PROJECTION, text, err);
            if (!projection || ddb_expr_check_unused(&ctx, err) != 0) {
                ddb_expr_free(projection);
                ddb_expr_ctx_cleanup(&ctx);
                ddb__table_free(t);
                cJSON_Delete(capacity);
                cJSON_Delete(resp);
                return NULL;
            }
        }

        cJSON *items = cJSON_AddArrayToObject(responses, spec->string);
        size_t bytes = 0;
        const cJSON *key;
        cJSON_ArrayForEach(key, ddb__get(spec, "Keys"))
        {
            cJSON *item = ddb__item_get(req->srv, t, key);
            if (!item)
                continue;
            bytes += ddb_item_size(item);
            if (projection) {
                cJSON *projected = ddb_expr_project(projection, item);
                cJSON_Delete(item);
                item = projected;
            }
            cJSON_AddItemToArray(items, item);
        }
        ddb_capacity_add(&capacity, req->body, t->name,
                         ddb__read_units(bytes, cJSON_IsTrue(ddb__get(
                                                    spec, "ConsistentRead"))));
        ddb_expr_free(projection);
        ddb_expr_ctx_cleanup(&ctx);
        ddb__table_free(t);
    }
    cJSON_AddObjectToObject(resp, "UnprocessedKeys");
    if (capacity)
        cJSON_AddItemToObject(resp, "ConsumedCapacity", capacity);
    return resp;
}

/* ---- BatchWriteItem ---- */

/* A request object for the write worker: {TableName, Item|Key}. */
static cJSON *ddb_write_params(const char *table, const char *member,
                               const cJSON *value)
{
    cJSON *params = cJSON_CreateObject();
    cJSON_AddStringToObject(params, "TableName", table);
    if (value)
        cJSON_AddItemToObject(params, member, cJSON_Duplicate(value, 1));
    return params;
}

cJSON *ddb_op_batch_write_item(aws_request *req, aws_error *err)
{
    const cJSON *request_items;
    if (ddb_request_items(req->body, &request_items, err) != 0)
        return NULL;

    int total = 0;
    const cJSON *list;
    cJSON_ArrayForEach(list, request_items)
    {
        int n = cJSON_GetArraySize(list);
        if (n < 1 || n > DDB_BATCH_WRITE_MAX) {
            aws_fail(err, AWS_ERR_VALIDATION,
                     "1 validation error detected: Value at 'requestItems' "
                     "failed to satisfy constraint: Map value must satisfy "
                     "constraint: [Member must have length less than or "
                     "equal to 25, Member must have length greater than or "
                     "equal to 1]");
            return NULL;
        }
        total += n;
    }
    if (total > DDB_BATCH_WRITE_MAX) {
        aws_fail(err, AWS_ERR_VALIDATION,
                 "Too many items requested for the BatchWriteItem call");
        return NULL;
    }

    ddb_write *writes = xcalloc((size_t)total, sizeof *writes);
    cJSON *params = cJSON_CreateArray();
    cJSON *seen = cJSON_CreateObject();
    cJSON *resp = NULL, *capacity = NULL;
    int n = 0, rc = 0;

    cJSON_ArrayForEach(list, request_items)
    {
        const cJSON *el;
        cJSON_ArrayForEach(el, list)
        {
            const cJSON *put = ddb__get(el, "PutRequest");
            const cJSON *del = ddb__get(el, "DeleteRequest");
            if ((put != NULL) == (del != NULL)) {
                rc = aws_fail(err, AWS_ERR_VALIDATION,
                              "Supplied AttributeValue has more than one "
                              "datatypes set, must contain exactly one of "
                              "the supported datatypes");
                goto done;
            }
            cJSON *p = put ? ddb_write_params(list->string, "Item",
                                              ddb__get(put, "Item"))
                           : ddb_write_params(list->string, "Key",
                                              ddb__get(del, "Key"));
            cJSON_AddItemToArray(params, p);
            rc = ddb__write_prepare(req, put ? DDB_WRITE_PUT : DDB_WRITE_DELETE,
                                    p, &writes[n], err);
            n++;
            if (rc != 0)
                goto done;
            if (ddb_seen(seen,
                         ddb_key_id(writes[n - 1].table, writes[n - 1].key))) {
                rc = aws_fail(err, AWS_ERR_VALIDATION,
                              "Provided list of item keys contains "
                              "duplicates");
                goto done;
            }
        }
    }

    for (int i = 0; i < n; i++) {
        if (ddb__write_evaluate(req, &writes[i], err) != 0 ||
            ddb__write_apply(req, &writes[i], err) != 0) {
            rc = -1;
            goto done;
        }
        const ddb_write *w = &writes[i];
        size_t size = w->new_item   ? ddb_item_size(w->new_item)
                      : w->old_item ? ddb_item_size(w->old_item)
                                    : 0;
        ddb_capacity_add(&capacity, req->body, w->table->name,
                         ddb__write_units(size));
    }
    resp = cJSON_CreateObject();
    cJSON_AddObjectToObject(resp, "UnprocessedItems");
    if (capacity)
        cJSON_AddItemToObject(resp, "ConsumedCapacity", capacity);
    capacity = NULL;

done:
    for (int i = 0; i < n; i++)
        ddb__write_cleanup(&writes[i]);
    free(writes);
    cJSON_Delete(params);
    cJSON_Delete(seen);
    cJSON_Delete(capacity);
    return rc == 0 ? resp : NULL;
}

/* ---- TransactWriteItems ---- */

typedef enum ddb_token_state {
    DDB_TOKEN_NEW,
    DDB_TOKEN_REPLAY,
    DDB_TOKEN_MISMATCH
} ddb_token_state;

static ddb_token_state ddb_token_check(aws_request *req, const char *token,
                                       const char *request)
{
    int64_t now = clock_now_ms(&req->srv->clock);
    sqlite3_stmt *s =
        store_stmt(req->srv->store, "SELECT request, created_ms FROM"
                                    " ddb_txn_token WHERE account = ?1"
                                    " AND region = ?2 AND token = ?3");
    sqlite3_bind_text(s, 1, req->account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, req->region, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, token, -1, SQLITE_STATIC);
    ddb_token_state state = DDB_TOKEN_NEW;
    if (sqlite3_step(s) == SQLITE_ROW &&
        sqlite3_column_int64(s, 1) + DDB_TOKEN_WINDOW_MS > now)
        state = strcmp((const char *)sqlite3_column_text(s, 0), request) == 0
                    ? DDB_TOKEN_REPLAY
                    : DDB_TOKEN_MISMATCH;
    sqlite3_reset(s);
    return state;
}

static void ddb_token_save(aws_request *req, const char *token,
                           const char *request)
{
    sqlite3_stmt *s =
        store_stmt(req->srv->store, "INSERT OR REPLACE INTO ddb_txn_token"
                                    " (account, region, token, request,"
                                    " created_ms) VALUES (?1, ?2, ?3, ?4, ?5)");
    sqlite3_bind_text(s, 1, req->account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, req->region, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, token, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, request, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 5, clock_now_ms(&req->srv->clock));
    sqlite3_step(s);
    sqlite3_reset(s);
}

static const char *ddb_transact_member(const cJSON *el, ddb_write_kind *kind,
                                       const cJSON **params)
{
    static const struct {
        const char *member;
        ddb_write_kind kind;
    } kinds[] = {{"ConditionCheck", DDB_WRITE_CHECK},
                 {"Put", DDB_WRITE_PUT},
                 {"Delete", DDB_WRITE_DELETE},
                 {"Update", DDB_WRITE_UPDATE}};
    const char *found = NULL;
    for (size_t i = 0; i < 4; i++) {
        const cJSON *p = ddb__get(el, kinds[i].member);
        if (!p)
            continue;
        if (found)
            return NULL;
        found = kinds[i].member;
        *kind = kinds[i].kind;
        *params = p;
    }
    return found;
}

static int ddb_transact_count_check(const cJSON *items, const char *member,
                                    aws_error *err)
{
    int n = cJSON_GetArraySize(items);
    if (!cJSON_IsArray(items))
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "1 validation error detected: Value null at '%s' "
                        "failed to satisfy constraint: Member must not be "
                        "null",
                        member);
    if (n < 1 || n > DDB_TRANSACT_MAX)
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "1 validation error detected: Value '%d elements' at "
                        "'%s' failed to satisfy constraint: Member must have "
                        "length %s",
                        n, member,
                        n < 1 ? "greater than or equal to 1"
                              : "less than or equal to 100");
    return 0;
}

/* Fill err with TransactionCanceledException from per-element reasons. */
static void ddb_transact_cancel(cJSON *reasons, aws_error *err)
{
    strbuf codes;
    strbuf_init(&codes);
    const cJSON *r;
    int first = 1;
    cJSON_ArrayForEach(r, reasons)
    {
        strbuf_printf(&codes, "%s%s", first ? "" : ", ", ddb__str(r, "Code"));
        first = 0;
    }
    aws_fail(err, AWS_ERR_TRANSACTION_CANCELED,
             "Transaction cancelled, please refer cancellation reasons for "
             "specific reasons [%s]",
             codes.data);
    strbuf_free(&codes);
    err->extra = cJSON_CreateObject();
    cJSON_AddItemToObject(err->extra, "CancellationReasons", reasons);
}

cJSON *ddb_op_transact_write_items(aws_request *req, aws_error *err)
{
    cJSON *items = ddb__get(req->body, "TransactItems");
    if (ddb_transact_count_check(items, "transactItems", err) != 0)
        return NULL;
    const char *token = ddb__str(req->body, "ClientRequestToken");
    if (token && (strlen(token) < 1 || strlen(token) > 36)) {
        aws_fail(err, AWS_ERR_VALIDATION,
                 "1 validation error detected: Value '%s' at "
                 "'clientRequestToken' failed to satisfy constraint: Member "
                 "must have length less than or equal to 36",
                 token);
        return NULL;
    }

    char *request_text = cJSON_PrintUnformatted(items);
    int n = cJSON_GetArraySize(items);
    ddb_write *writes = xcalloc((size_t)n, sizeof *writes);
    cJSON *seen = cJSON_CreateObject();
    cJSON *resp = NULL, *capacity = NULL;
    int prepared = 0, rc = 0;

    if (token) {
        ddb_token_state state = ddb_token_check(req, token, request_text);
        if (state == DDB_TOKEN_MISMATCH) {
            /* NOTE: message text not confirmed against AWS. */
            rc = aws_fail(err, AWS_ERR_IDEMPOTENT_PARAMETER_MISMATCH,
                          "The request uses the same client token as a "
                          "previous, but non-identical request.");
            goto done;
        }
        if (state == DDB_TOKEN_REPLAY) {
            resp = cJSON_CreateObject();
            goto done;
        }
    }

    cJSON *el;
    cJSON_ArrayForEach(el, items)
    {
        ddb_write_kind kind = DDB_WRITE_CHECK;
        const cJSON *params = NULL;
        if (!ddb_transact_member(el, &kind, &params)) {
            rc = aws_fail(err, AWS_ERR_VALIDATION,
                          "TransactItems can only contain one of Check, "
                          "Put, Update or Delete");
            goto done;
        }
        rc = ddb__write_prepare(req, kind, (cJSON *)params, &writes[prepared],
                                err);
        prepared++;
        if (rc != 0)
            goto done;
        const ddb_write *w = &writes[prepared - 1];
        if (ddb_seen(seen, ddb_key_id(w->table, w->key))) {
            rc = aws_fail(err, AWS_ERR_VALIDATION,
                          "Transaction request cannot include multiple "
                          "operations on one item");
            goto done;
        }
    }

    cJSON *reasons = cJSON_CreateArray();
    int failed = 0;
    for (int i = 0; i < n; i++) {
        aws_error e = {0};
        cJSON *reason = cJSON_CreateObject();
        if (ddb__write_evaluate(req, &writes[i], &e) == 0) {
            cJSON_AddStringToObject(reason, "Code", "None");
        } else {
            failed = 1;
            int ccf = e.code == AWS_ERR_CONDITIONAL_CHECK_FAILED;
            cJSON_AddStringToObject(reason, "Code",
                                    ccf ? "ConditionalCheckFailed"
                                        : "ValidationError");
            cJSON_AddStringToObject(reason, "Message", e.message);
            cJSON *item = ddb__get(e.extra, "Item");
            if (item)
                cJSON_AddItemToObject(reason, "Item", cJSON_Duplicate(item, 1));
        }
        aws_error_reset(&e);
        cJSON_AddItemToArray(reasons, reason);
    }
    if (failed) {
        ddb_transact_cancel(reasons, err);
        rc = -1;
        goto done;
    }
    cJSON_Delete(reasons);

    for (int i = 0; i < n; i++) {
        if (ddb__write_apply(req, &writes[i], err) != 0) {
            rc = -1;
            goto done;
        }
        const ddb_write *w = &writes[i];
        size_t size = w->new_item   ? ddb_item_size(w->new_item)
                      : w->old_item ? ddb_item_size(w->old_item)
                                    : 0;
        /* A transactional write costs two write units per KB. */
        ddb_capacity_add(&capacity, req->body, w->table->name,
                         2 * ddb__write_units(size));
    }
    if (token)
        ddb_token_save(req, token, request_text);
    resp = cJSON_CreateObject();
    if (capacity)
        cJSON_AddItemToObject(resp, "ConsumedCapacity", capacity);
    capacity = NULL;

done:
    for (int i = 0; i < prepared; i++)
        ddb__write_cleanup(&writes[i]);
    free(writes);
    free(request_text);
    cJSON_Delete(seen);
    cJSON_Delete(capacity);
    return rc == 0 ? resp : NULL;
}

/* ---- TransactGetItems ---- */

cJSON *ddb_op_transact_get_items(aws_request *req, aws_error *err)
{
    cJSON *items = ddb__get(req->body, "TransactItems");
    if (ddb_transact_count_check(items, "transactItems", err) != 0)
        return NULL;

    /* Check everything first: a transaction reads all or nothing. */
    const cJSON *el;
    cJSON_ArrayForEach(el, items)
    {
        const cJSON *get = ddb__get(el, "Get");
        const char *name = ddb__str(get, "TableName");
        if (!get) {
            aws_fail(err, AWS_ERR_VALIDATION,
                     "1 validation error detected: Value null at "
                     "'transactItems.member.get' failed to satisfy "
                     "constraint: Member must not be null");
            return NULL;
        }
        if (ddb__table_name_check(name, "tableName", 1, err) != 0)
            return NULL;
        ddb_table *t = ddb__table_open(req, name, err);
        if (!t)
            return NULL;
        int rc = ddb__key_check(t, ddb__get(get, "Key"), err);
        ddb__table_free(t);
        if (rc != 0)
            return NULL;
    }

    cJSON *resp = cJSON_CreateObject();
    cJSON *responses = cJSON_AddArrayToObject(resp, "Responses");
    cJSON *capacity = NULL;
    cJSON_ArrayForEach(el, items)
    {
        const cJSON *get = ddb__get(el, "Get");
        ddb_table *t = ddb__table_open(req, ddb__str(get, "TableName"), err);
        ddb_expr_ctx ctx;
        ddb_expr_ctx_init(&ctx, ddb__get(get, "ExpressionAttributeNames"),
                          NULL);
        ddb_expr *projection = NULL;
        const char *text = ddb__str(get, "ProjectionExpression");
        if (text && (!(projection = ddb_expr_parse(&ctx, DDB_EXPR_PROJECTION,
                                                   text, err)) ||
                     ddb_expr_check_unused(&ctx, err) != 0)) {
            ddb_expr_free(projection);
            ddb_expr_ctx_cleanup(&ctx);
            ddb__table_free(t);
            cJSON_Delete(capacity);
            cJSON_Delete(resp);
            return NULL;
        }

        cJSON *entry = cJSON_CreateObject();
        cJSON *item = ddb__item_get(req->srv, t, ddb__get(get, "Key"));
        size_t size = item ? ddb_item_size(item) : 0;
        if (item && projection) {
            cJSON *projected = ddb_expr_project(projection, item);
            cJSON_Delete(item);
            item = projected;
        }
        if (item)
            cJSON_AddItemToObject(entry, "Item", item);
        cJSON_AddItemToArray(responses, entry);
        ddb_capacity_add(&capacity, req->body, t->name,
                         2 * ddb__read_units(size, 1));
        ddb_expr_free(projection);
        ddb_expr_ctx_cleanup(&ctx);
        ddb__table_free(t);
    }
    if (capacity)
        cJSON_AddItemToObject(resp, "ConsumedCapacity", capacity);
    return resp;
}
