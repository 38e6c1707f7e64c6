/*
 * ddb_store.c: the SQLite schema of the DynamoDB service, table loading,
 * key and item checks against a table's key schema, and item storage with
 * the secondary index entries kept in step on every write.
 *
 * The layout is described in ddb_internal.h. Index entries point at items
 * by (table_id, pk, sk) and carry no attributes: a Query on an index joins
 * back to ddb_item and applies the index's projection while reading.
 */
#include "ddb_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

static const char *const ddb_schema_steps[] = {
    "CREATE TABLE ddb_table (id INTEGER PRIMARY KEY,"
    " account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL,"
    " description TEXT NOT NULL, ttl_attribute TEXT,"
    " tags TEXT NOT NULL DEFAULT '[]', pitr INTEGER NOT NULL DEFAULT 0,"
    " UNIQUE (account, region, name))",
    "CREATE TABLE ddb_index (id INTEGER PRIMARY KEY,"
    " table_id INTEGER NOT NULL REFERENCES ddb_table (id) ON DELETE CASCADE,"
    " name TEXT NOT NULL, UNIQUE (table_id, name))",
    "CREATE TABLE ddb_item (table_id INTEGER NOT NULL"
    " REFERENCES ddb_table (id) ON DELETE CASCADE,"
    " pk BLOB NOT NULL, sk BLOB NOT NULL, size INTEGER NOT NULL,"
    " expires INTEGER, item TEXT NOT NULL,"
    " PRIMARY KEY (table_id, pk, sk)) WITHOUT ROWID",
    "CREATE INDEX ddb_item_expires ON ddb_item (table_id, expires)"
    " WHERE expires IS NOT NULL",
    "CREATE TABLE ddb_index_entry (index_id INTEGER NOT NULL"
    " REFERENCES ddb_index (id) ON DELETE CASCADE,"
    " ihash BLOB NOT NULL, irange BLOB NOT NULL, table_id INTEGER NOT NULL,"
    " pk BLOB NOT NULL, sk BLOB NOT NULL,"
    " PRIMARY KEY (index_id, ihash, irange, pk, sk)) WITHOUT ROWID",
    "CREATE INDEX ddb_index_entry_item ON ddb_index_entry (table_id, pk, sk)",
    "CREATE TABLE ddb_txn_token (account TEXT NOT NULL,"
    " region TEXT NOT NULL, token TEXT NOT NULL, request TEXT NOT NULL,"
    " created_ms INTEGER NOT NULL, PRIMARY KEY (account, region, token))",
};

int ddb__store_init(stratus *srv, aws_error *err)
{
    char errbuf[512];
    if (store_migrate(srv->store, "dynamodb", ddb_schema_steps,
                      sizeof ddb_schema_steps / sizeof *ddb_schema_steps,
                      errbuf, sizeof errbuf) != 0)
        return aws_fail(err, AWS_ERR_INTERNAL_SERVER_ERROR, "%s", errbuf);
    return 0;
}

/* ---- table loading ---- */

static char ddb_attribute_type(const cJSON *desc, const char *name)
{
    const cJSON *def;
    cJSON_ArrayForEach(def, ddb__get(desc, "AttributeDefinitions"))
    {
        const char *n = ddb__str(def, "AttributeName");
        const char *type = ddb__str(def, "AttributeType");
        if (n && type && strcmp(n, name) == 0)
            return type[0];
    }
    return 'S';
}

static void ddb_key_schema_read(const cJSON *desc, const cJSON *schema,
                                ddb_key_schema *out)
{
    memset(out, 0, sizeof *out);
    const cJSON *el;
    cJSON_ArrayForEach(el, schema)
    {
        const char *name = ddb__str(el, "AttributeName");
        const char *type = ddb__str(el, "KeyType");
        if (!name || !type)
            continue;
        if (strcmp(type, "HASH") == 0) {
            out->hash = name;
            out->hash_type = ddb_attribute_type(desc, name);
        } else {
            out->range = name;
            out->range_type = ddb_attribute_type(desc, name);
        }
    }
}

static void ddb_index_read(const cJSON *desc, const cJSON *spec, int is_global,
                           ddb_index *out)
{
    out->name = ddb__str(spec, "IndexName");
    out->is_global = is_global;
    ddb_key_schema_read(desc, ddb__get(spec, "KeySchema"), &out->key);
    const cJSON *projection = ddb__get(spec, "Projection");
    const char *type = ddb__str(projection, "ProjectionType");
    out->projection = DDB_PROJECT_ALL;
    out->non_key_attributes = NULL;
    if (type && strcmp(type, "KEYS_ONLY") == 0) {
        out->projection = DDB_PROJECT_KEYS_ONLY;
    } else if (type && strcmp(type, "INCLUDE") == 0) {
        out->projection = DDB_PROJECT_INCLUDE;
        out->non_key_attributes = ddb__get(projection, "NonKeyAttributes");
    }
}

static int64_t ddb_index_id(stratus *srv, int64_t table_id, const char *name)
{
    sqlite3_stmt *s =
        store_stmt(srv->store, "SELECT id FROM ddb_index"
                               " WHERE table_id = ?1 AND name = ?2");
    sqlite3_bind_int64(s, 1, table_id);
    sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
    int64_t id = 0;
    if (sqlite3_step(s) == SQLITE_ROW)
        id = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    return id;
}

ddb_table *ddb__table_load(stratus *srv, const char *account,
                           const char *region, const char *name)
{
    sqlite3_stmt *s =
        store_stmt(srv->store, "SELECT id, description, ttl_attribute"
                               " FROM ddb_table WHERE account = ?1"
                               " AND region = ?2 AND name = ?3");
    sqlite3_bind_text(s, 1, account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, region, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, name, -1, SQLITE_STATIC);
    if (sqlite3_step(s) != SQLITE_ROW) {
        sqlite3_reset(s);
        return NULL;
    }

    ddb_table *t = xcalloc(1, sizeof *t);
    t->id = sqlite3_column_int64(s, 0);
    t->description = cJSON_Parse((const char *)sqlite3_column_text(s, 1));
    if (sqlite3_column_type(s, 2) != SQLITE_NULL)
        t->ttl_attribute = xstrdup((const char *)sqlite3_column_text(s, 2));
    sqlite3_reset(s);
    snprintf(t->account, sizeof t->account, "%s", account);
    snprintf(t->region, sizeof t->region, "%s", region);
    if (!t->description)
        t->description = cJSON_CreateObject();

    t->name = ddb__str(t->description, "TableName");
    ddb_key_schema_read(t->description, ddb__get(t->description, "KeySchema"),
                        &t->key);

    const cJSON *gsis = ddb__get(t->description, "GlobalSecondaryIndexes");
    const cJSON *lsis = ddb__get(t->description, "LocalSecondaryIndexes");
    size_t n =
        (size_t)cJSON_GetArraySize(gsis) + (size_t)cJSON_GetArraySize(lsis);
    t->indexes = n ? xcalloc(n, sizeof *t->indexes) : NULL;
    const cJSON *spec;
    cJSON_ArrayForEach(spec, gsis)
        ddb_index_read(t->description, spec, 1, &t->indexes[t->index_count++]);
    cJSON_ArrayForEach(spec, lsis)
        ddb_index_read(t->description, spec, 0, &t->indexes[t->index_count++]);
    for (size_t i = 0; i < t->index_count; i++)
        t->indexes[i].id = ddb_index_id(
            srv, t->id, t->indexes[i].name ? t->indexes[i].name : "");
    return t;
}

void ddb__table_free(ddb_table *t)
{
    if (!t)
        return;
    cJSON_Delete(t->description);
    free(t->indexes);
    free(t->ttl_attribute);
    free(t);
}

/* ---- key and item checks ---- */

static const char *ddb_empty_kind(const cJSON *av, char type)
{
    const cJSON *payload = ddb_value_payload(av);
    if (!cJSON_IsString(payload) || payload->valuestring[0] != '\0')
        return NULL;
    if (type == 'S')
        return "string";
    if (type == 'B')
        return "binary";
    return NULL;
}

static int ddb_type_is(const cJSON *av, char type)
{
    ddb_type t = ddb_value_type(av);
    return (type == 'S' && t == DDB_S) || (type == 'N' && t == DDB_N) ||
           (type == 'B' && t == DDB_B);
}

/* Length in bytes of a key value as DynamoDB counts it for key limits. */
static size_t ddb_key_value_bytes(const cJSON *av)
{
    const cJSON *payload = ddb_value_payload(av);
    if (!cJSON_IsString(payload))
        return 0;
    size_t len = strlen(payload->valuestring);
    return ddb_value_type(av) == DDB_B ? len / 4 * 3 : len;
}

static int ddb_key_size_check(const cJSON *av, int is_hash, aws_error *err)
{
    if (ddb_value_type(av) == DDB_N)
        return 0;
    size_t bytes = ddb_key_value_bytes(av);
    if (is_hash && bytes > 2048)
        /* AWS's text has no space in "of2048". */
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "One or more parameter values were invalid: Size of "
                        "hashkey has exceeded the maximum size limit "
                        "of2048 bytes");
    if (!is_hash && bytes > 1024)
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "One or more parameter values were invalid: "
                        "Aggregated size of all range keys has exceeded the "
                        "size limit of 1024 bytes");
    return 0;
}

static int ddb_key_piece_check(const cJSON *key, const char *name, char type,
                               int is_hash, aws_error *err)
{
    const cJSON *av = ddb__get(key, name);
    if (!av || !ddb_type_is(av, type))
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "The provided key element does not match the schema");
    const char *empty = ddb_empty_kind(av, type);
    if (empty)
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "One or more parameter values are not valid. The "
                        "AttributeValue for a key attribute cannot contain "
                        "an empty %s value. Key: %s",
                        empty, name);
    return ddb_key_size_check(av, is_hash, err);
}

int ddb__key_check(const ddb_table *t, const cJSON *key, aws_error *err)
{
    if (!cJSON_IsObject(key))
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "The provided key element does not match the schema");
    if (ddb_item_validate((cJSON *)key, err) != 0)
        return -1;

    int expected = t->key.range ? 2 : 1;
    if (cJSON_GetArraySize(key) != expected)
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "The provided key element does not match the schema");
    if (ddb_key_piece_check(key, t->key.hash, t->key.hash_type, 1, err) != 0)
        return -1;
    if (t->key.range &&
        ddb_key_piece_check(key, t->key.range, t->key.range_type, 0, err) != 0)
        return -1;
    return 0;
}

static int ddb_item_key_attr_check(const cJSON *item, const char *name,
                                   char type, int is_hash, aws_error *err)
{
    const cJSON *av = ddb__get(item, name);
    if (!av)
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "One or more parameter values were invalid: Missing "
                        "the key %s in the item",
                        name);
    if (!ddb_type_is(av, type))
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "One or more parameter values were invalid: Type "
                        "mismatch for key %s expected: %c actual: %s",
                        name, type, ddb_type_name(ddb_value_type(av)));
    const char *empty = ddb_empty_kind(av, type);
    if (empty)
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "One or more parameter values are not valid. The "
                        "AttributeValue for a key attribute cannot contain "
                        "an empty %s value. Key: %s",
                        empty, name);
    return ddb_key_size_check(av, is_hash, err);
}

static int ddb_index_attr_check(const ddb_index *idx, const cJSON *item,
                                const char *name, char type, aws_error *err)
{
    const cJSON *av = ddb__get(item, name);
    if (!av)
        return 0;
    if (!ddb_type_is(av, type))
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "One or more parameter values were invalid: Type "
                        "mismatch for Index Key %s Expected: %c Actual: %s "
                        "IndexName: %s",
                        name, type, ddb_type_name(ddb_value_type(av)),
                        idx->name);
    const char *empty = ddb_empty_kind(av, type);
    if (empty)
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "One or more parameter values are not valid. A value "
                        "specified for a secondary index key is not "
                        "supported. The AttributeValue for a key attribute "
                        "cannot contain an empty %s value. IndexName: %s, "
                        "IndexKey: %s",
                        empty, idx->name, name);
    return 0;
}

int ddb__index_keys_check(const ddb_table *t, const cJSON *item, aws_error *err)
{
    for (size_t i = 0; i < t->index_count; i++) {
        const ddb_index *idx = &t->indexes[i];
        if (ddb_index_attr_check(idx, item, idx->key.hash, idx->key.hash_type,
                                 err) != 0)
            return -1;
        if (idx->key.range &&
            ddb_index_attr_check(idx, item, idx->key.range, idx->key.range_type,
                                 err) != 0)
            return -1;
    }
    return 0;
}

int ddb__item_check(const ddb_table *t, const cJSON *item,
                    const char *size_message, aws_error *err)
{
    if (ddb_item_key_attr_check(item, t->key.hash, t->key.hash_type, 1, err) !=
        0)
        return -1;
    if (t->key.range && ddb_item_key_attr_check(item, t->key.range,
                                                t->key.range_type, 0, err) != 0)
        return -1;
    if (ddb__index_keys_check(t, item, err) != 0)
        return -1;
    if (ddb_item_size(item) > DDB_ITEM_MAX_BYTES)
        return aws_fail(err, AWS_ERR_VALIDATION, "%s", size_message);
    return 0;
}

static void ddb_copy_attr(cJSON *dst, const cJSON *src, const char *name)
{
    if (!name || ddb__get(dst, name))
        return;
    const cJSON *av = ddb__get(src, name);
    if (av)
        cJSON_AddItemToObject(dst, name, cJSON_Duplicate(av, 1));
}

cJSON *ddb__key_extract(const ddb_table *t, const cJSON *item)
{
    cJSON *key = cJSON_CreateObject();
    ddb_copy_attr(key, item, t->key.hash);
    ddb_copy_attr(key, item, t->key.range);
    return key;
}

cJSON *ddb__index_key_extract(const ddb_table *t, const ddb_index *idx,
                              const cJSON *item)
{
    cJSON *key = ddb__key_extract(t, item);
    if (idx) {
        ddb_copy_attr(key, item, idx->key.hash);
        ddb_copy_attr(key, item, idx->key.range);
    }
    return key;
}

cJSON *ddb__index_project(const ddb_table *t, const ddb_index *idx,
                          const cJSON *item)
{
    if (!idx || idx->projection == DDB_PROJECT_ALL)
        return cJSON_Duplicate(item, 1);
    cJSON *out = ddb__index_key_extract(t, idx, item);
    const cJSON *name;
    cJSON_ArrayForEach(name, idx->non_key_attributes)
    {
        if (cJSON_IsString(name))
            ddb_copy_attr(out, item, name->valuestring);
    }
    return out;
}

void ddb__key_encode(const ddb_table *t, const cJSON *item, strbuf *pk,
                     strbuf *sk)
{
    ddb_key_encode(ddb__get(item, t->key.hash), pk);
    if (t->key.range)
        ddb_key_encode(ddb__get(item, t->key.range), sk);
}

/* ---- item storage ---- */

void ddb__bind_key(sqlite3_stmt *s, int index, const char *data, size_t len)
{
    sqlite3_bind_blob(s, index, len ? data : "", (int)len, SQLITE_TRANSIENT);
}

cJSON *ddb__item_get(stratus *srv, const ddb_table *t, const cJSON *key)
{
    strbuf pk, sk;
    strbuf_init(&pk);
    strbuf_init(&sk);
    ddb__key_encode(t, key, &pk, &sk);

    sqlite3_stmt *s =
        store_stmt(srv->store, "SELECT item FROM ddb_item WHERE"
                               " table_id = ?1 AND pk = ?2 AND sk = ?3");
    sqlite3_bind_int64(s, 1, t->id);
    ddb__bind_key(s, 2, pk.data, pk.len);
    ddb__bind_key(s, 3, sk.data, sk.len);
    cJSON *item = NULL;
    if (sqlite3_step(s) == SQLITE_ROW)
        item = cJSON_Parse((const char *)sqlite3_column_text(s, 0));
    sqlite3_reset(s);
    strbuf_free(&pk);
    strbuf_free(&sk);
    return item;
}

static void ddb_index_entries_delete(stratus *srv, const ddb_table *t,
                                     const strbuf *pk, const strbuf *sk)
{
    sqlite3_stmt *s =
        store_stmt(srv->store, "DELETE FROM ddb_index_entry WHERE"
                               " table_id = ?1 AND pk = ?2 AND sk = ?3");
    sqlite3_bind_int64(s, 1, t->id);
    ddb__bind_key(s, 2, pk->data, pk->len);
    ddb__bind_key(s, 3, sk->data, sk->len);
    sqlite3_step(s);
    sqlite3_reset(s);
}

/* Whether `item` belongs in `idx`: it has every index key, well typed. */
static int ddb_index_has_item(const ddb_index *idx, const cJSON *item)
{
    const cJSON *h = ddb__get(item, idx->key.hash);
    if (!h || !ddb_type_is(h, idx->key.hash_type))
        return 0;
    if (idx->key.range) {
        const cJSON *r = ddb__get(item, idx->key.range);
        if (!r || !ddb_type_is(r, idx->key.range_type))
            return 0;
    }
    return 1;
}

static int ddb_index_entry_insert(stratus *srv, const ddb_table *t,
                                  const ddb_index *idx, const cJSON *item,
                                  const strbuf *pk, const strbuf *sk)
{
    if (!ddb_index_has_item(idx, item) || idx->id == 0)
        return 0;

    strbuf ih, ir;
    strbuf_init(&ih);
    strbuf_init(&ir);
    ddb_key_encode(ddb__get(item, idx->key.hash), &ih);
    if (idx->key.range)
        ddb_key_encode(ddb__get(item, idx->key.range), &ir);

    sqlite3_stmt *s =
        store_stmt(srv->store, "INSERT OR REPLACE INTO ddb_index_entry"
                               " (index_id, ihash, irange, table_id, pk, sk)"
                               " VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    sqlite3_bind_int64(s, 1, idx->id);
    ddb__bind_key(s, 2, ih.data, ih.len);
    ddb__bind_key(s, 3, ir.data, ir.len);
    sqlite3_bind_int64(s, 4, t->id);
    ddb__bind_key(s, 5, pk->data, pk->len);
    ddb__bind_key(s, 6, sk->data, sk->len);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    strbuf_free(&ih);
    strbuf_free(&ir);
    return rc == SQLITE_DONE ? 0 : -1;
}

int ddb__item_put(stratus *srv, const ddb_table *t, const cJSON *item)
{
    strbuf pk, sk;
    strbuf_init(&pk);
    strbuf_init(&sk);
    ddb__key_encode(t, item, &pk, &sk);
    char *text = cJSON_PrintUnformatted(item);
    int64_t expires = ddb__ttl_expiry(t, item);

    sqlite3_stmt *s =
        store_stmt(srv->store, "INSERT OR REPLACE INTO ddb_item"
                               " (table_id, pk, sk, size, expires, item)"
                               " VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    sqlite3_bind_int64(s, 1, t->id);
    ddb__bind_key(s, 2, pk.data, pk.len);
    ddb__bind_key(s, 3, sk.data, sk.len);
    sqlite3_bind_int64(s, 4, (int64_t)ddb_item_size(item));
    if (expires >= 0)
        sqlite3_bind_int64(s, 5, expires);
    sqlite3_bind_text(s, 6, text, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    free(text);

    ddb_index_entries_delete(srv, t, &pk, &sk);
    for (size_t i = 0; rc == SQLITE_DONE && i < t->index_count; i++)
        if (ddb_index_entry_insert(srv, t, &t->indexes[i], item, &pk, &sk) != 0)
            rc = SQLITE_ERROR;
    strbuf_free(&pk);
    strbuf_free(&sk);

    if (rc == SQLITE_DONE && expires >= 0)
        ddb__ttl_schedule(srv, t, expires * 1000);
    return rc == SQLITE_DONE ? 0 : -1;
}

int ddb__item_delete(stratus *srv, const ddb_table *t, const cJSON *key)
{
    strbuf pk, sk;
    strbuf_init(&pk);
    strbuf_init(&sk);
    ddb__key_encode(t, key, &pk, &sk);

    sqlite3_stmt *s =
        store_stmt(srv->store, "DELETE FROM ddb_item WHERE"
                               " table_id = ?1 AND pk = ?2 AND sk = ?3");
    sqlite3_bind_int64(s, 1, t->id);
    ddb__bind_key(s, 2, pk.data, pk.len);
    ddb__bind_key(s, 3, sk.data, sk.len);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    ddb_index_entries_delete(srv, t, &pk, &sk);
    strbuf_free(&pk);
    strbuf_free(&sk);
    return rc == SQLITE_DONE ? 0 : -1;
}

int ddb__index_backfill(stratus *srv, const ddb_table *t, const ddb_index *idx)
{
    sqlite3_stmt *s = store_stmt(srv->store, "SELECT pk, sk, item FROM ddb_item"
                                             " WHERE table_id = ?1");
    sqlite3_bind_int64(s, 1, t->id);
    int rc = 0;
    while (rc == 0 && sqlite3_step(s) == SQLITE_ROW) {
        strbuf pk, sk;
        strbuf_init(&pk);
        strbuf_init(&sk);
        strbuf_append(&pk, sqlite3_column_blob(s, 0),
                      (size_t)sqlite3_column_bytes(s, 0));
        strbuf_append(&sk, sqlite3_column_blob(s, 1),
                      (size_t)sqlite3_column_bytes(s, 1));
        cJSON *item = cJSON_Parse((const char *)sqlite3_column_text(s, 2));
        if (item)
            rc = ddb_index_entry_insert(srv, t, idx, item, &pk, &sk);
        cJSON_Delete(item);
        strbuf_free(&pk);
        strbuf_free(&sk);
    }
    sqlite3_reset(s);
    return rc;
}

void ddb__table_counts(stratus *srv, const ddb_table *t, int64_t index_id,
                       int64_t *count, int64_t *bytes)
{
    sqlite3_stmt *s;
    if (index_id == 0) {
        s = store_stmt(srv->store, "SELECT count(*), coalesce(sum(size), 0)"
                                   " FROM ddb_item WHERE table_id = ?1");
        sqlite3_bind_int64(s, 1, t->id);
    } else {
        s = store_stmt(srv->store, "SELECT count(*), coalesce(sum(i.size), 0)"
                                   " FROM ddb_index_entry e JOIN ddb_item i"
                                   " ON i.table_id = e.table_id AND i.pk = e.pk"
                                   " AND i.sk = e.sk WHERE e.index_id = ?1");
        sqlite3_bind_int64(s, 1, index_id);
    }
    *count = 0;
    *bytes = 0;
    if (sqlite3_step(s) == SQLITE_ROW) {
        *count = sqlite3_column_int64(s, 0);
        *bytes = sqlite3_column_int64(s, 1);
    }
    sqlite3_reset(s);
}
