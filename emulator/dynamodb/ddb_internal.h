/*
 * ddb_internal.h: what the files of the DynamoDB service share: the loaded
 * table, key checks, item storage, the single-item write worker used by
 * PutItem, UpdateItem, DeleteItem, BatchWriteItem and TransactWriteItems,
 * and request helpers. Nothing here is used outside emulator/dynamodb/.
 *
 * Storage (SQLite, schema in ddb_store.c):
 *   ddb_table        one row per table, unique by (account, region, name);
 *                    the static part of the TableDescription as JSON, plus
 *                    TTL, tags and point-in-time recovery settings.
 *   ddb_index        one row per secondary index (GSI or LSI) of a table.
 *   ddb_item         (table_id, pk, sk) -> item JSON, WITHOUT ROWID. pk and
 *                    sk are ddb_key_encode() bytes (sk is empty without a
 *                    sort key), so SQLite's BLOB order is DynamoDB's order.
 *   ddb_index_entry  (index_id, ihash, irange, pk, sk): one row per item
 *                    that has every key attribute of the index (sparse
 *                    indexes), rewritten on every write of the item.
 *   ddb_txn_token    ClientRequestToken of TransactWriteItems calls.
 */
#ifndef STRATUS_DDB_INTERNAL_H
#define STRATUS_DDB_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "aws.h"
#include "ddb_expr.h"
#include "ddb_value.h"
#include "stratus.h"
#include "util.h"

#define DDB_ITEM_MAX_BYTES (400 * 1024)
#define DDB_PAGE_MAX_BYTES (1024 * 1024)
#define DDB_TTL_JOB_KIND "dynamodb.ttl_sweep"

/* A key schema: attribute names and declared types ('S', 'N' or 'B'). */
typedef struct ddb_key_schema {
    const char *hash;  /* borrowed from the table's description */
    const char *range; /* NULL without a sort key */
    char hash_type;
    char range_type;
} ddb_key_schema;

typedef enum ddb_projection {
    DDB_PROJECT_ALL,
    DDB_PROJECT_KEYS_ONLY,
    DDB_PROJECT_INCLUDE
} ddb_projection;

typedef struct ddb_index {
    int64_t id;
    const char *name;
    int is_global;
    ddb_key_schema key;
    ddb_projection projection;
    const cJSON *non_key_attributes; /* INCLUDE only, else NULL */
} ddb_index;

/* A table loaded from the store. It owns `description`, which the rest borrows.
 */
typedef struct ddb_table {
    int64_t id;
    char account[16];
    char region[64];
    const char *name;
    cJSON *description; /* stored part of the TableDescription */
    ddb_key_schema key;
    ddb_index *indexes;
    size_t index_count;
    char *ttl_attribute; /* NULL when TTL is disabled */
} ddb_table;

/* ---- ddb_util.c: request helpers ---- */

/* A string member of `obj` (case-sensitive), or NULL. */
const char *ddb__str(const cJSON *obj, const char *name);
/* A member of `obj` by exact name, or NULL. */
cJSON *ddb__get(const cJSON *obj, const char *name);

/*
 * Check a TableName member as AWS does ("1 validation error detected: Value
 * 'x' at 'tableName' failed to satisfy constraint: ..."). `allow_arn`
 * accepts a table ARN, as item operations do. Returns 0 or -1.
 */
int ddb__table_name_check(const char *name, const char *member, int allow_arn,
                          aws_error *err);

/*
 * Look up the table a request names (name or ARN) in the request's account
 * and region. Returns the table (caller frees with ddb__table_free), or NULL
 * with ResourceNotFoundException "Requested resource not found".
 */
ddb_table *ddb__table_open(aws_request *req, const char *name, aws_error *err);
/* Load a table by name, or return NULL when it does not exist. */
ddb_table *ddb__table_load(stratus *srv, const char *account,
                           const char *region, const char *name);
void ddb__table_free(ddb_table *t);
const ddb_index *ddb__table_index(const ddb_table *t, const char *name);

/* Check an enum member, failing with AWS's "Member must satisfy enum value set"
 * text. */
typedef enum ddb_member_kind {
    DDB_MEMBER_INTEGER,
    DDB_MEMBER_BOOLEAN,
    DDB_MEMBER_STRING
} ddb_member_kind;

/*
 * Look up a scalar request member of the given JSON kind. JSON null counts
 * as absent, as AWS reads it. Returns 0 with `*out` set (NULL when absent),
 * or -1 with AWS's SerializationException for a value of the wrong kind.
 */
int ddb__member(const cJSON *body, const char *member, ddb_member_kind kind,
                const cJSON **out, aws_error *err);

int ddb__enum_check(const cJSON *body, const char *member,
                    const char *wire_name, const char *const *values,
                    aws_error *err);

/*
 * Validate ExpressionAttributeValues, rewriting numbers in place, with AWS's
 * "ExpressionAttributeValues contains invalid value: ..." texts.
 */
int ddb__values_validate(cJSON *values, aws_error *err);

/* Reject the legacy parameters Stratus does not implement. */
int ddb__legacy_check(const cJSON *body, const char *const *members,
                      aws_error *err);

/* ConsumedCapacity for ReturnConsumedCapacity TOTAL or INDEXES, or NULL. */
cJSON *ddb__consumed(const cJSON *body, const char *table, double units);
/* Capacity units of reading `bytes` (4 KB units, halved when eventual). */
double ddb__read_units(size_t bytes, int consistent);
/* Capacity units of writing an item of `bytes` (1 KB units, at least 1). */
double ddb__write_units(size_t bytes);

/* ---- ddb_store.c: schema, keys and item storage ---- */

int ddb__store_init(stratus *srv, aws_error *err);

/*
 * Check a Key member against the table's key schema: "The provided key
 * element does not match the schema", empty string or binary key values.
 */
int ddb__key_check(const ddb_table *t, const cJSON *key, aws_error *err);
/*
 * Check an item about to be stored: present, typed and non-empty table key
 * attributes, index key attribute types, the 400 KB size limit.
 * `size_message` is the text for an oversized item.
 */
int ddb__item_check(const ddb_table *t, const cJSON *item,
                    const char *size_message, aws_error *err);
/* Check the key attributes of an index schema inside `item`. */
int ddb__index_keys_check(const ddb_table *t, const cJSON *item,
                          aws_error *err);
/* New object with only the table key attributes of `item`. */
cJSON *ddb__key_extract(const ddb_table *t, const cJSON *item);
/* Same for an index: table key plus index key attributes. */
cJSON *ddb__index_key_extract(const ddb_table *t, const ddb_index *idx,
                              const cJSON *item);
/* Apply an index's projection to an item. Returns a new object. */
cJSON *ddb__index_project(const ddb_table *t, const ddb_index *idx,
                          const cJSON *item);

/* Encoded pk and sk of a key or item (sk empty without a sort key). */
void ddb__key_encode(const ddb_table *t, const cJSON *item, strbuf *pk,
                     strbuf *sk);

/*
 * Bind encoded key bytes as a BLOB. An empty key (no sort key) binds X''
 * rather than NULL, which the NOT NULL key columns would reject.
 */
void ddb__bind_key(sqlite3_stmt *s, int index, const char *data, size_t len);

/* The stored item with this key, or NULL. Caller frees. */
cJSON *ddb__item_get(stratus *srv, const ddb_table *t, const cJSON *key);
/* Insert or replace an item and its index entries. */
int ddb__item_put(stratus *srv, const ddb_table *t, const cJSON *item);
/* Delete the item with this key and its index entries. */
int ddb__item_delete(stratus *srv, const ddb_table *t, const cJSON *key);
/* Rebuild the entries of one index from every item of the table. */
int ddb__index_backfill(stratus *srv, const ddb_table *t, const ddb_index *idx);

/* Item count and total size of a table or an index (index_id 0: table). */
void ddb__table_counts(stratus *srv, const ddb_table *t, int64_t index_id,
                       int64_t *count, int64_t *bytes);

/* ---- ddb_item.c: the single-item write worker ---- */

typedef enum ddb_write_kind {
    DDB_WRITE_PUT,
    DDB_WRITE_UPDATE,
    DDB_WRITE_DELETE,
    DDB_WRITE_CHECK
} ddb_write_kind;

typedef struct ddb_write {
    ddb_write_kind kind;
    ddb_table *table;
    cJSON *key;      /* table key of the item */
    cJSON *item;     /* PutItem: the request's item (a copy) */
    cJSON *old_item; /* stored item before the write, or NULL */
    cJSON *new_item; /* item after the write, NULL for delete and check */
    ddb_expr_ctx ctx;
    ddb_expr *condition;
    ddb_expr *update;
    const char *return_values; /* NULL: NONE */
    int return_old_on_failure; /* ReturnValuesOnConditionCheckFailure */
} ddb_write;

/*
 * Decode and validate the members of one write (a PutItem, UpdateItem,
 * DeleteItem or ConditionCheck request, or a transaction element of that
 * shape). Loads the table. Returns 0, or -1 with err filled; call
 * ddb__write_cleanup either way.
 */
int ddb__write_prepare(aws_request *req, ddb_write_kind kind, cJSON *params,
                       ddb_write *w, aws_error *err);
/*
 * Read the stored item, evaluate the condition and compute the new item,
 * without writing. A failed condition is ConditionalCheckFailedException
 * (with Item in err->extra when requested).
 */
int ddb__write_evaluate(aws_request *req, ddb_write *w, aws_error *err);
/* Store the result of a successful evaluation. */
int ddb__write_apply(aws_request *req, ddb_write *w, aws_error *err);
/* The Attributes member for the write's ReturnValues, or NULL. */
cJSON *ddb__write_attributes(const ddb_write *w);
void ddb__write_cleanup(ddb_write *w);

/* ---- ddb_ttl.c ---- */

/* Schedule the TTL sweep of a table when it has TTL enabled. */
int ddb__ttl_schedule(stratus *srv, const ddb_table *t, int64_t due_ms);
/* Expiry time in seconds of an item under TTL, or -1 when none. */
int64_t ddb__ttl_expiry(const ddb_table *t, const cJSON *item);
int64_t ddb__ttl_sweep(stratus *srv, const char *account, const char *region,
                       const cJSON *payload);

/* ---- operation handlers ---- */

cJSON *ddb_op_create_table(aws_request *req, aws_error *err);
cJSON *ddb_op_describe_table(aws_request *req, aws_error *err);
cJSON *ddb_op_list_tables(aws_request *req, aws_error *err);
cJSON *ddb_op_update_table(aws_request *req, aws_error *err);
cJSON *ddb_op_delete_table(aws_request *req, aws_error *err);
cJSON *ddb_op_update_time_to_live(aws_request *req, aws_error *err);
cJSON *ddb_op_describe_time_to_live(aws_request *req, aws_error *err);
cJSON *ddb_op_describe_limits(aws_request *req, aws_error *err);
cJSON *ddb_op_describe_endpoints(aws_request *req, aws_error *err);
cJSON *ddb_op_tag_resource(aws_request *req, aws_error *err);
cJSON *ddb_op_untag_resource(aws_request *req, aws_error *err);
cJSON *ddb_op_list_tags_of_resource(aws_request *req, aws_error *err);
cJSON *ddb_op_describe_continuous_backups(aws_request *req, aws_error *err);
cJSON *ddb_op_update_continuous_backups(aws_request *req, aws_error *err);

cJSON *ddb_op_put_item(aws_request *req, aws_error *err);
cJSON *ddb_op_get_item(aws_request *req, aws_error *err);
cJSON *ddb_op_update_item(aws_request *req, aws_error *err);
cJSON *ddb_op_delete_item(aws_request *req, aws_error *err);
cJSON *ddb_op_query(aws_request *req, aws_error *err);
cJSON *ddb_op_scan(aws_request *req, aws_error *err);
cJSON *ddb_op_batch_get_item(aws_request *req, aws_error *err);
cJSON *ddb_op_batch_write_item(aws_request *req, aws_error *err);
cJSON *ddb_op_transact_write_items(aws_request *req, aws_error *err);
cJSON *ddb_op_transact_get_items(aws_request *req, aws_error *err);

/* The TableDescription of a table as DescribeTable returns it. */
cJSON *ddb__table_describe(stratus *srv, const ddb_table *t,
                           const char *status);

/* *_iam.c: the IAM action and resource ARN of a request (the
 * aws_service resource_arn hook). */
int ddb__resource_arn(const aws_request *req, size_t index, char *action,
                      size_t action_size, char *arn, size_t arn_size);

#endif
