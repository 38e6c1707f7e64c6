/*
 * sm.c: the Secrets Manager service: secrets with versions and staging
 * labels (AWSCURRENT, AWSPREVIOUS), scheduled deletion with a recovery
 * window, and the ARN form "...:secret:<name>-<6 random characters>".
 *
 * Implemented here: CreateSecret, GetSecretValue, DescribeSecret,
 * PutSecretValue, UpdateSecret, DeleteSecret, RestoreSecret, TagResource,
 * UntagResource and ListSecretVersionIds; sm_list.c and sm_password.c
 * have the rest. Rotation, replication and resource policies are listed
 * without handlers. A secret whose recovery window has passed is removed
 * the next time a request looks it up.
 */
#include "sm.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "log.h"
#include "sm_internal.h"
#include "stack.h"
#include "store.h"
#include "stratus.h"
#include "util.h"

static const char *const sm_schema_steps[] = {
    "CREATE TABLE sm_secret (id INTEGER PRIMARY KEY,"
    " account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL,"
    " arn TEXT NOT NULL UNIQUE, description TEXT, kms_key_id TEXT,"
    " tags TEXT NOT NULL DEFAULT '[]', created_ms INTEGER NOT NULL,"
    " changed_ms INTEGER NOT NULL, accessed_ms INTEGER,"
    " deleted_ms INTEGER, deletion_ms INTEGER,"
    " UNIQUE (account, region, name))",
    "CREATE TABLE sm_version (secret_id INTEGER NOT NULL"
    " REFERENCES sm_secret (id) ON DELETE CASCADE, version_id TEXT NOT NULL,"
    " secret_string TEXT, secret_binary TEXT,"
    " stages TEXT NOT NULL DEFAULT '[]', created_ms INTEGER NOT NULL,"
    " PRIMARY KEY (secret_id, version_id))",
};

const char sm__not_found[] = "Secrets Manager can't find the specified secret.";
const char sm__marked_deleted[] =
    "You can't perform this operation on the secret because it was marked "
    "for deletion.";

void sm__secret_free(sm_secret *s)
{
    free(s->description);
    free(s->kms_key_id);
    free(s->tags);
}

static int sm_init(stratus *srv, aws_error *err)
{
    char errbuf[256];
    if (store_migrate(srv->store, "secretsmanager", sm_schema_steps,
                      sizeof sm_schema_steps / sizeof *sm_schema_steps, errbuf,
                      sizeof errbuf) != 0)
        return aws_fail(err, AWS_ERR_INTERNAL_SERVER_ERROR, "%s", errbuf);
    return 0;
}

const char *sm__str(const cJSON *body, const char *name)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body, name));
}

int64_t sm__now(const aws_request *req)
{
    return clock_now_ms(&req->srv->clock);
}

/* Dates are epoch seconds with a fraction, as the JSON protocol sends. */
void sm__add_date(cJSON *obj, const char *name, int64_t ms)
{
    cJSON_AddNumberToObject(obj, name, (double)ms / 1000.0);
}

static char *sm_dup_col(sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    return t ? xstrdup((const char *)t) : NULL;
}

static void sm_delete_rows(stratus *srv, int64_t id)
{
    sqlite3_stmt *st =
        store_stmt(srv->store, "DELETE FROM sm_version WHERE secret_id = ?");
    sqlite3_bind_int64(st, 1, id);
    sqlite3_step(st);
    sqlite3_reset(st);
    st = store_stmt(srv->store, "DELETE FROM sm_secret WHERE id = ?");
    sqlite3_bind_int64(st, 1, id);
    sqlite3_step(st);
    sqlite3_reset(st);
}

/*
 * Find a secret by name, full ARN, or ARN without the random suffix.
 * A secret past its recovery window is removed and reported missing.
 * Returns 0, or -1 with ResourceNotFoundException.
 */
int sm__secret_find(aws_request *req, const char *id, sm_secret *out,
                    aws_error *err)
{
    memset(out, 0, sizeof *out);
    if (!id || !*id)
        return aws_fail(err, AWS_ERR_SM_INVALID_PARAMETER,
                        "Invalid parameter: SecretId must be set");
    sqlite3_stmt *st = store_stmt(
        req->srv->store,
        "SELECT id, name, arn, description, kms_key_id, tags, created_ms,"
        " changed_ms, accessed_ms, deleted_ms, deletion_ms FROM sm_secret"
        " WHERE account = ?1 AND region = ?2 AND (name = ?3 OR arn = ?3 OR"
        " (substr(arn, 1, length(arn) - 7) = ?3 AND ?3 LIKE 'arn:%'))"
        " ORDER BY name = ?3 DESC LIMIT 1");
    sqlite3_bind_text(st, 1, req->account, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, req->region, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, id, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_reset(st);
        return aws_fail(err, AWS_ERR_RESOURCE_NOT_FOUND, sm__not_found);
    }
    out->id = sqlite3_column_int64(st, 0);
    snprintf(out->name, sizeof out->name, "%s", sqlite3_column_text(st, 1));
    snprintf(out->arn, sizeof out->arn, "%s", sqlite3_column_text(st, 2));
    out->description = sm_dup_col(st, 3);
    out->kms_key_id = sm_dup_col(st, 4);
    out->tags = sm_dup_col(st, 5);
    out->created_ms = sqlite3_column_int64(st, 6);
    out->changed_ms = sqlite3_column_int64(st, 7);
    out->accessed_ms = sqlite3_column_int64(st, 8);
    out->deleted_ms = sqlite3_column_int64(st, 9);
    out->deletion_ms = sqlite3_column_int64(st, 10);
    sqlite3_reset(st);
    if (out->deleted_ms && out->deletion_ms <= sm__now(req)) {
        sm_delete_rows(req->srv, out->id);
        sm__secret_free(out);
        return aws_fail(err, AWS_ERR_RESOURCE_NOT_FOUND, sm__not_found);
    }
    return 0;
}

static int sm_name_valid(const char *name)
{
    size_t len = strlen(name);
    if (len == 0 || len > 512)
        return 0;
    for (const char *p = name; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("/_+=.@-", *p))
            return 0;
    return 1;
}

/* Reject a request with both SecretString and SecretBinary, or with a
 * SecretString over 64 KiB. */
static int sm_value_check(const cJSON *body, aws_error *err)
{
    if (sm__str(body, "SecretString") && sm__str(body, "SecretBinary"))
        return aws_fail(err, AWS_ERR_SM_INVALID_PARAMETER,
                        "You can't specify both a binary secret value and a "
                        "string secret value in the same secret.");
    const char *s = sm__str(body, "SecretString");
    if (s && strlen(s) > 65536)
        return aws_fail(err, AWS_ERR_SM_INVALID_PARAMETER,
                        "Invalid parameter: SecretString exceeds the maximum "
                        "size of 65536 bytes");
    return 0;
}

/* Check a Tags member: absent, or a list of {Key, Value} strings. */
static int sm_tags_check(const cJSON *tags, aws_error *err)
{
    if (!tags)
        return 0;
    int ok = cJSON_IsArray(tags);
    const cJSON *list = ok ? tags : NULL;
    const cJSON *t;
    cJSON_ArrayForEach(t, list)
    {
        if (!sm__str(t, "Key") || !sm__str(t, "Value"))
            ok = 0;
    }
    if (!ok)
        return aws_fail(err, AWS_ERR_SM_INVALID_PARAMETER,
                        "Invalid parameter: Tags must be a list of objects "
                        "with string Key and Value members");
    return 0;
}

/* Check ClientRequestToken (32 to 64 characters) and VersionStages (a
 * list of strings), when present. */
static int sm_version_members_check(const cJSON *body, aws_error *err)
{
    const cJSON *token =
        cJSON_GetObjectItemCaseSensitive(body, "ClientRequestToken");
    if (token && (!cJSON_IsString(token) || strlen(token->valuestring) < 32 ||
                  strlen(token->valuestring) > 64))
        return aws_fail(err, AWS_ERR_SM_INVALID_PARAMETER,
                        "Invalid parameter: ClientRequestToken must be a "
                        "string of 32 to 64 characters");
    const cJSON *stages =
        cJSON_GetObjectItemCaseSensitive(body, "VersionStages");
    int ok = !stages || cJSON_IsArray(stages);
    const cJSON *list = ok ? stages : NULL;
    const cJSON *v;
    cJSON_ArrayForEach(v, list)
    {
        if (!cJSON_IsString(v))
            ok = 0;
    }
    if (!ok)
        return aws_fail(err, AWS_ERR_SM_INVALID_PARAMETER,
                        "Invalid parameter: VersionStages must be a list of "
                        "strings");
    return 0;
}

static void sm_version_id(const cJSON *body, char out[80])
{
    const char *token = sm__str(body, "ClientRequestToken");
    if (token && *token)
        snprintf(out, 80, "%s", token);
    else
        util_uuid4(out);
}

/* Move `stage` from whichever version carries it to none. */
static void sm_stage_remove(stratus *srv, int64_t secret_id, const char *stage)
{
    sqlite3_stmt *st = store_stmt(
        srv->store,
        "UPDATE sm_version SET stages = (SELECT json_group_array(value) FROM"
        " json_each(stages) WHERE value <> ?2) WHERE secret_id = ?1 AND"
        " EXISTS (SELECT 1 FROM json_each(stages) WHERE value = ?2)");
    sqlite3_bind_int64(st, 1, secret_id);
    sqlite3_bind_text(st, 2, stage, -1, SQLITE_TRANSIENT);
    sqlite3_step(st);
    sqlite3_reset(st);
}

/* Give AWSPREVIOUS to the version that now has AWSCURRENT. */
static void sm_stage_demote_current(stratus *srv, int64_t secret_id)
{
    sm_stage_remove(srv, secret_id, "AWSPREVIOUS");
    sqlite3_stmt *st = store_stmt(
        srv->store,
        "UPDATE sm_version SET stages = (SELECT json_group_array(v) FROM"
        " (SELECT value AS v FROM json_each(stages) WHERE value <>"
        " 'AWSCURRENT' UNION ALL SELECT 'AWSPREVIOUS'))"
        " WHERE secret_id = ?1 AND EXISTS (SELECT 1 FROM json_each(stages)"
        " WHERE value = 'AWSCURRENT')");
    sqlite3_bind_int64(st, 1, secret_id);
    sqlite3_step(st);
    sqlite3_reset(st);
}

/*
 * Add a version carrying the value of `body` with `stages` (NULL:
 * AWSCURRENT). Returns 1 when an identical version already existed (an
 * idempotent retry), 0 when added, -1 on error.
 */
static int sm_version_add(aws_request *req, const sm_secret *s,
                          const cJSON *body, const char *version_id,
                          const cJSON *stages, aws_error *err)
{
    const char *str = sm__str(body, "SecretString");
    const char *bin = sm__str(body, "SecretBinary");
    sqlite3_stmt *st = store_stmt(
        req->srv->store, "SELECT secret_string, secret_binary FROM sm_version"
                         " WHERE secret_id = ? AND version_id = ?");
    sqlite3_bind_int64(st, 1, s->id);
    sqlite3_bind_text(st, 2, version_id, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) == SQLITE_ROW) {
        const char *old_str = (const char *)sqlite3_column_text(st, 0);
        const char *old_bin = (const char *)sqlite3_column_text(st, 1);
        int same = (str ? old_str && strcmp(str, old_str) == 0 : !old_str) &&
                   (bin ? old_bin && strcmp(bin, old_bin) == 0 : !old_bin);
        sqlite3_reset(st);
        if (same)
            return 1;
        return aws_fail(err, AWS_ERR_SM_RESOURCE_EXISTS,
                        "You can't modify an existing version, you can only "
                        "create a new version.");
    }
    sqlite3_reset(st);

    cJSON *labels = stages ? cJSON_Duplicate(stages, 1) : cJSON_CreateArray();
    if (!stages)
        cJSON_AddItemToArray(labels, cJSON_CreateString("AWSCURRENT"));
    const cJSON *label;
    cJSON_ArrayForEach(label, labels)
    {
        if (!cJSON_IsString(label))
            continue;
        if (strcmp(label->valuestring, "AWSCURRENT") == 0)
            sm_stage_demote_current(req->srv, s->id);
        else
            sm_stage_remove(req->srv, s->id, label->valuestring);
    }
    char *labels_text = cJSON_PrintUnformatted(labels);
    cJSON_Delete(labels);
    st = store_stmt(req->srv->store,
                    "INSERT INTO sm_version (secret_id, version_id,"
                    " secret_string, secret_binary, stages, created_ms)"
                    " VALUES (?, ?, ?, ?, ?, ?)");
    sqlite3_bind_int64(st, 1, s->id);
    sqlite3_bind_text(st, 2, version_id, -1, SQLITE_TRANSIENT);
    if (str)
        sqlite3_bind_text(st, 3, str, -1, SQLITE_TRANSIENT);
    if (bin)
        sqlite3_bind_text(st, 4, bin, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, labels_text, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 6, sm__now(req));
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    free(labels_text);
    if (rc != SQLITE_DONE)
        return aws_fail(err, AWS_ERR_INTERNAL_SERVER_ERROR, NULL);

    st = store_stmt(req->srv->store,
                    "UPDATE sm_secret SET changed_ms = ? WHERE id = ?");
    sqlite3_bind_int64(st, 1, sm__now(req));
    sqlite3_bind_int64(st, 2, s->id);
    sqlite3_step(st);
    sqlite3_reset(st);
    return 0;
}

/* The version's stages as a JSON array. */
static cJSON *sm_version_stages(aws_request *req, int64_t secret_id,
                                const char *version_id)
{
    sqlite3_stmt *st = store_stmt(
        req->srv->store,
        "SELECT stages FROM sm_version WHERE secret_id = ? AND version_id = ?");
    sqlite3_bind_int64(st, 1, secret_id);
    sqlite3_bind_text(st, 2, version_id, -1, SQLITE_TRANSIENT);
    cJSON *stages = NULL;
    if (sqlite3_step(st) == SQLITE_ROW)
        stages = cJSON_Parse((const char *)sqlite3_column_text(st, 0));
    sqlite3_reset(st);
    return stages ? stages : cJSON_CreateArray();
}

static char sm_random_char(void)
{
    static const char alphabet[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    unsigned char r = 0;
    if (getrandom(&r, 1, 0) != 1)
        r = (unsigned char)rand();
    return alphabet[r % (sizeof alphabet - 1)];
}

static cJSON *sm_op_create_secret(aws_request *req, aws_error *err)
{
    const char *name = sm__str(req->body, "Name");
    if (!name) {
        aws_fail(err, AWS_ERR_SM_INVALID_PARAMETER,
                 "Invalid parameter: Name must be set");
        return NULL;
    }
    if (!sm_name_valid(name)) {
        aws_fail(err, AWS_ERR_SM_INVALID_PARAMETER,
                 "Invalid name. Must be a valid name containing alphanumeric "
                 "characters, or any of the following: -/_+=.@!");
        return NULL;
    }
    if (sm_value_check(req->body, err) != 0 ||
        sm_version_members_check(req->body, err) != 0 ||
        sm_tags_check(cJSON_GetObjectItemCaseSensitive(req->body, "Tags"),
                      err) != 0)
        return NULL;

    sm_secret existing;
    aws_error missing;
    memset(&missing, 0, sizeof missing);
    if (sm__secret_find(req, name, &existing, &missing) == 0) {
        int deleted = existing.deleted_ms != 0;
        sm__secret_free(&existing);
        if (deleted)
            aws_fail(err, AWS_ERR_SM_INVALID_REQUEST,
                     "You can't create this secret because a secret with "
                     "this name is already scheduled for deletion.");
        else
            aws_fail(err, AWS_ERR_SM_RESOURCE_EXISTS,
                     "The operation failed because the secret %s already "
                     "exists.",
                     name);
        return NULL;
    }
    aws_error_reset(&missing);

    char suffix[7];
    for (int i = 0; i < 6; i++)
        suffix[i] = sm_random_char();
    suffix[6] = '\0';
    char arn[900];
    snprintf(arn, sizeof arn, "arn:aws:secretsmanager:%s:%s:secret:%s-%s",
             req->region, req->account, name, suffix);
    cJSON *tags = cJSON_GetObjectItemCaseSensitive(req->body, "Tags");
    char *tags_text =
        cJSON_IsArray(tags) ? cJSON_PrintUnformatted(tags) : xstrdup("[]");
    sqlite3_stmt *st = store_stmt(
        req->srv->store,
        "INSERT INTO sm_secret (account, region, name, arn, description,"
        " kms_key_id, tags, created_ms, changed_ms)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    sqlite3_bind_text(st, 1, req->account, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, req->region, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, arn, -1, SQLITE_TRANSIENT);
    if (sm__str(req->body, "Description"))
        sqlite3_bind_text(st, 5, sm__str(req->body, "Description"), -1,
                          SQLITE_TRANSIENT);
    if (sm__str(req->body, "KmsKeyId"))
        sqlite3_bind_text(st, 6, sm__str(req->body, "KmsKeyId"), -1,
                          SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 7, tags_text, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 8, sm__now(req));
    sqlite3_bind_int64(st, 9, sm__now(req));
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    free(tags_text);
    if (rc != SQLITE_DONE) {
        aws_fail(err, AWS_ERR_INTERNAL_SERVER_ERROR, NULL);
        return NULL;
    }

    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "ARN", arn);
    cJSON_AddStringToObject(out, "Name", name);
    if (sm__str(req->body, "SecretString") ||
        sm__str(req->body, "SecretBinary")) {
        sm_secret s;
        char version[80];
        if (sm__secret_find(req, name, &s, err) != 0) {
            cJSON_Delete(out);
            return NULL;
        }
        sm_version_id(req->body, version);
        rc = sm_version_add(req, &s, req->body, version, NULL, err);
        sm__secret_free(&s);
        if (rc < 0) {
            cJSON_Delete(out);
            return NULL;
        }
        cJSON_AddStringToObject(out, "VersionId", version);
    }
    return out;
}

cJSON *sm_op_get_secret_value(aws_request *req, aws_error *err)
{
    sm_secret s;
    if (sm__secret_find(req, sm__str(req->body, "SecretId"), &s, err) != 0)
        return NULL;
    if (s.deleted_ms) {
        sm__secret_free(&s);
        aws_fail(err, AWS_ERR_SM_INVALID_REQUEST, sm__marked_deleted);
        return NULL;
    }
    const char *version_id = sm__str(req->body, "VersionId");
    const char *stage = sm__str(req->body, "VersionStage");
    if (!version_id && !stage)
        stage = "AWSCURRENT";
    sqlite3_stmt *st = store_stmt(
        req->srv->store,
        "SELECT version_id, secret_string, secret_binary, stages, created_ms"
        " FROM sm_version WHERE secret_id = ?1 AND (?2 IS NULL OR"
        " version_id = ?2) AND (?3 IS NULL OR EXISTS (SELECT 1 FROM"
        " json_each(stages) WHERE value = ?3))");
    sqlite3_bind_int64(st, 1, s.id);
    if (version_id)
        sqlite3_bind_text(st, 2, version_id, -1, SQLITE_TRANSIENT);
    if (stage)
        sqlite3_bind_text(st, 3, stage, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_reset(st);
        sm__secret_free(&s);
        if (version_id)
            aws_fail(err, AWS_ERR_RESOURCE_NOT_FOUND,
                     "Secrets Manager can't find the specified secret value "
                     "for VersionId: %s",
                     version_id);
        else
            aws_fail(err, AWS_ERR_RESOURCE_NOT_FOUND,
                     "Secrets Manager can't find the specified secret value "
                     "for staging label: %s",
                     stage);
        return NULL;
    }
    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "ARN", s.arn);
    cJSON_AddStringToObject(out, "Name", s.name);
    cJSON_AddStringToObject(out, "VersionId",
                            (const char *)sqlite3_column_text(st, 0));
    if (sqlite3_column_type(st, 1) != SQLITE_NULL)
        cJSON_AddStringToObject(out, "SecretString",
                                (const char *)sqlite3_column_text(st, 1));
    if (sqlite3_column_type(st, 2) != SQLITE_NULL)
        cJSON_AddStringToObject(out, "SecretBinary",
                                (const char *)sqlite3_column_text(st, 2));
    cJSON *stages = cJSON_Parse((const char *)sqlite3_column_text(st, 3));
    cJSON_AddItemToObject(out, "VersionStages",
                          stages ? stages : cJSON_CreateArray());
    sm__add_date(out, "CreatedDate", sqlite3_column_int64(st, 4));
    sqlite3_reset(st);

    /* AWS reports LastAccessedDate as a date without a time of day. */
    int64_t day = sm__now(req) / 86400000 * 86400000;
    if (s.accessed_ms != day) {
        st = store_stmt(req->srv->store,
                        "UPDATE sm_secret SET accessed_ms = ? WHERE id = ?");
        sqlite3_bind_int64(st, 1, day);
        sqlite3_bind_int64(st, 2, s.id);
        sqlite3_step(st);
        sqlite3_reset(st);
    }
    sm__secret_free(&s);
    return out;
}

/* VersionIdsToStages of a secret (versions without a stage are left out,
 * as AWS does). */
static cJSON *sm_versions_to_stages(aws_request *req, int64_t secret_id)
{
    cJSON *map = cJSON_CreateObject();
    sqlite3_stmt *st =
        store_stmt(req->srv->store,
                   "SELECT version_id, stages FROM sm_version WHERE"
                   " secret_id = ? AND stages <> '[]' ORDER BY created_ms");
    sqlite3_bind_int64(st, 1, secret_id);
    while (sqlite3_step(st) == SQLITE_ROW) {
        cJSON *stages = cJSON_Parse((const char *)sqlite3_column_text(st, 1));
        cJSON_AddItemToObject(map, (const char *)sqlite3_column_text(st, 0),
                              stages ? stages : cJSON_CreateArray());
    }
    sqlite3_reset(st);
    return map;
}

/* The DescribeSecret / ListSecrets entry of a secret. */
cJSON *sm__secret_describe(aws_request *req, const sm_secret *s)
{
    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "ARN", s->arn);
    cJSON_AddStringToObject(out, "Name", s->name);
    if (s->description)
        cJSON_AddStringToObject(out, "Description", s->description);
    if (s->kms_key_id)
        cJSON_AddStringToObject(out, "KmsKeyId", s->kms_key_id);
    sm__add_date(out, "LastChangedDate", s->changed_ms);
    if (s->accessed_ms)
        sm__add_date(out, "LastAccessedDate", s->accessed_ms);
    if (s->deleted_ms)
        sm__add_date(out, "DeletedDate", s->deleted_ms);
    cJSON *tags = cJSON_Parse(s->tags ? s->tags : "[]");
    if (cJSON_GetArraySize(tags) > 0)
        cJSON_AddItemToObject(out, "Tags", tags);
    else
        cJSON_Delete(tags);
    cJSON_AddItemToObject(out, "VersionIdsToStages",
                          sm_versions_to_stages(req, s->id));
    sm__add_date(out, "CreatedDate", s->created_ms);
    return out;
}

static cJSON *sm_op_describe_secret(aws_request *req, aws_error *err)
{
    sm_secret s;
    if (sm__secret_find(req, sm__str(req->body, "SecretId"), &s, err) != 0)
        return NULL;
    cJSON *out = sm__secret_describe(req, &s);
    sm__secret_free(&s);
    return out;
}

static cJSON *sm_op_put_secret_value(aws_request *req, aws_error *err)
{
    sm_secret s;
    if (sm_value_check(req->body, err) != 0 ||
        sm_version_members_check(req->body, err) != 0)
        return NULL;
    if (!sm__str(req->body, "SecretString") &&
        !sm__str(req->body, "SecretBinary")) {
        aws_fail(err, AWS_ERR_SM_INVALID_PARAMETER,
                 "You must provide either SecretString or SecretBinary.");
        return NULL;
    }
    if (sm__secret_find(req, sm__str(req->body, "SecretId"), &s, err) != 0)
        return NULL;
    if (s.deleted_ms) {
        sm__secret_free(&s);
        aws_fail(err, AWS_ERR_SM_INVALID_REQUEST, sm__marked_deleted);
        return NULL;
    }
    char version[80];
    sm_version_id(req->body, version);
    const cJSON *stages =
        cJSON_GetObjectItemCaseSensitive(req->body, "VersionStages");
    if (sm_version_add(req, &s, req->body, version,
                       cJSON_IsArray(stages) ? stages : NULL, err) < 0) {
        sm__secret_free(&s);
        return NULL;
    }
    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "ARN", s.arn);
    cJSON_AddStringToObject(out, "Name", s.name);
    cJSON_AddStringToObject(out, "VersionId", version);
    cJSON_AddItemToObject(out, "VersionStages",
                          sm_version_stages(req, s.id, version));
    sm__secret_free(&s);
    return out;
}

static cJSON *sm_op_update_secret(aws_request *req, aws_error *err)
{
    sm_secret s;
    if (sm_value_check(req->body, err) != 0 ||
        sm_version_members_check(req->body, err) != 0)
        return NULL;
    if (sm__secret_find(req, sm__str(req->body, "SecretId"), &s, err) != 0)
        return NULL;
    if (s.deleted_ms) {
        sm__secret_free(&s);
        aws_fail(err, AWS_ERR_SM_INVALID_REQUEST, sm__marked_deleted);
        return NULL;
    }
    const char *description = sm__str(req->body, "Description");
    const char *kms = sm__str(req->body, "KmsKeyId");
    if (description || kms) {
        sqlite3_stmt *st = store_stmt(
            req->srv->store,
            "UPDATE sm_secret SET description = coalesce(?, description),"
            " kms_key_id = coalesce(?, kms_key_id), changed_ms = ?"
            " WHERE id = ?");
        if (description)
            sqlite3_bind_text(st, 1, description, -1, SQLITE_TRANSIENT);
        if (kms)
            sqlite3_bind_text(st, 2, kms, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 3, sm__now(req));
        sqlite3_bind_int64(st, 4, s.id);
        sqlite3_step(st);
        sqlite3_reset(st);
    }
    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "ARN", s.arn);
    cJSON_AddStringToObject(out, "Name", s.name);
    if (sm__str(req->body, "SecretString") ||
        sm__str(req->body, "SecretBinary")) {
        char version[80];
        sm_version_id(req->body, version);
        if (sm_version_add(req, &s, req->body, version, NULL, err) < 0) {
            sm__secret_free(&s);
            cJSON_Delete(out);
            return NULL;
        }
        cJSON_AddStringToObject(out, "VersionId", version);
    }
    sm__secret_free(&s);
    return out;
}

static cJSON *sm_op_delete_secret(aws_request *req, aws_error *err)
{
    sm_secret s;
    const cJSON *window =
        cJSON_GetObjectItemCaseSensitive(req->body, "RecoveryWindowInDays");
    int force = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
        req->body, "ForceDeleteWithoutRecovery"));
    if (force && window && !cJSON_IsNull(window)) {
        aws_fail(err, AWS_ERR_SM_INVALID_PARAMETER,
                 "You can't use ForceDeleteWithoutRecovery in conjunction with "
                 "RecoveryWindowInDays.");
        return NULL;
    }
    long days = cJSON_IsNumber(window) ? (long)window->valuedouble : 30;
    if (days < 7 || days > 30) {
        aws_fail(err, AWS_ERR_SM_INVALID_PARAMETER,
                 "The RecoveryWindowInDays value must be between 7 and 30 days "
                 "(inclusive).");
        return NULL;
    }
    if (sm__secret_find(req, sm__str(req->body, "SecretId"), &s, err) != 0)
        return NULL;
    if (s.deleted_ms && !force) {
        sm__secret_free(&s);
        aws_fail(err, AWS_ERR_SM_INVALID_REQUEST, sm__marked_deleted);
        return NULL;
    }
    int64_t now = sm__now(req);
    int64_t deletion = force ? now : now + (int64_t)days * 86400000;
    if (force) {
        sm_delete_rows(req->srv, s.id);
    } else {
        sqlite3_stmt *st =
            store_stmt(req->srv->store, "UPDATE sm_secret SET deleted_ms = ?, "
                                        "deletion_ms = ? WHERE id = ?");
        sqlite3_bind_int64(st, 1, now);
        sqlite3_bind_int64(st, 2, deletion);
        sqlite3_bind_int64(st, 3, s.id);
        sqlite3_step(st);
        sqlite3_reset(st);
    }
    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "ARN", s.arn);
    cJSON_AddStringToObject(out, "Name", s.name);
    sm__add_date(out, "DeletionDate", deletion);
    sm__secret_free(&s);
    return out;
}

static cJSON *sm_op_restore_secret(aws_request *req, aws_error *err)
{
    sm_secret s;
    if (sm__secret_find(req, sm__str(req->body, "SecretId"), &s, err) != 0)
        return NULL;
    sqlite3_stmt *st =
        store_stmt(req->srv->store, "UPDATE sm_secret SET deleted_ms = NULL, "
                                    "deletion_ms = NULL WHERE id = ?");
    sqlite3_bind_int64(st, 1, s.id);
    sqlite3_step(st);
    sqlite3_reset(st);
    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "ARN", s.arn);
    cJSON_AddStringToObject(out, "Name", s.name);
    sm__secret_free(&s);
    return out;
}

static void sm_tags_store(aws_request *req, int64_t id, const cJSON *tags)
{
    char *text = cJSON_PrintUnformatted(tags);
    sqlite3_stmt *st = store_stmt(req->srv->store,
                                  "UPDATE sm_secret SET tags = ? WHERE id = ?");
    sqlite3_bind_text(st, 1, text, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, id);
    sqlite3_step(st);
    sqlite3_reset(st);
    free(text);
}

static cJSON *sm_op_tag_resource(aws_request *req, aws_error *err)
{
    sm_secret s;
    const cJSON *add = cJSON_GetObjectItemCaseSensitive(req->body, "Tags");
    if (!add) {
        aws_fail(err, AWS_ERR_SM_INVALID_PARAMETER,
                 "Invalid parameter: Tags must be set");
        return NULL;
    }
    if (sm_tags_check(add, err) != 0)
        return NULL;
    if (sm__secret_find(req, sm__str(req->body, "SecretId"), &s, err) != 0)
        return NULL;
    cJSON *tags = cJSON_Parse(s.tags ? s.tags : "[]");
    const cJSON *t;
    cJSON_ArrayForEach(t, add)
    {
        const char *key = sm__str(t, "Key");
        if (!key)
            continue;
        for (int i = cJSON_GetArraySize(tags) - 1; i >= 0; i--) {
            const char *old_key = sm__str(cJSON_GetArrayItem(tags, i), "Key");
            if (old_key && strcmp(old_key, key) == 0)
                cJSON_DeleteItemFromArray(tags, i);
        }
        cJSON_AddItemToArray(tags, cJSON_Duplicate(t, 1));
    }
    sm_tags_store(req, s.id, tags);
    cJSON_Delete(tags);
    sm__secret_free(&s);
    return cJSON_CreateObject();
}

static cJSON *sm_op_untag_resource(aws_request *req, aws_error *err)
{
    sm_secret s;
    const cJSON *keys = cJSON_GetObjectItemCaseSensitive(req->body, "TagKeys");
    if (sm__secret_find(req, sm__str(req->body, "SecretId"), &s, err) != 0)
        return NULL;
    cJSON *tags = cJSON_Parse(s.tags ? s.tags : "[]");
    const cJSON *k;
    cJSON_ArrayForEach(k, keys)
    {
        if (!cJSON_IsString(k))
            continue;
        for (int i = cJSON_GetArraySize(tags) - 1; i >= 0; i--) {
            const char *key = sm__str(cJSON_GetArrayItem(tags, i), "Key");
            if (key && strcmp(key, k->valuestring) == 0)
                cJSON_DeleteItemFromArray(tags, i);
        }
    }
    sm_tags_store(req, s.id, tags);
    cJSON_Delete(tags);
    sm__secret_free(&s);
    return cJSON_CreateObject();
}

static cJSON *sm_op_list_secret_version_ids(aws_request *req, aws_error *err)
{
    sm_secret s;
    if (sm__secret_find(req, sm__str(req->body, "SecretId"), &s, err) != 0)
        return NULL;
    int include_deprecated = cJSON_IsTrue(
        cJSON_GetObjectItemCaseSensitive(req->body, "IncludeDeprecated"));
    cJSON *out = cJSON_CreateObject();
    cJSON *versions = cJSON_AddArrayToObject(out, "Versions");
    sqlite3_stmt *st = store_stmt(
        req->srv->store, "SELECT version_id, stages, created_ms FROM sm_version"
                         " WHERE secret_id = ? ORDER BY created_ms");
    sqlite3_bind_int64(st, 1, s.id);
    while (sqlite3_step(st) == SQLITE_ROW) {
        cJSON *stages = cJSON_Parse((const char *)sqlite3_column_text(st, 1));
        if (cJSON_GetArraySize(stages) == 0 && !include_deprecated) {
            cJSON_Delete(stages);
            continue;
        }
        cJSON *v = cJSON_CreateObject();
        cJSON_AddStringToObject(v, "VersionId",
                                (const char *)sqlite3_column_text(st, 0));
        cJSON_AddItemToObject(v, "VersionStages",
                              stages ? stages : cJSON_CreateArray());
        sm__add_date(v, "CreatedDate", sqlite3_column_int64(st, 2));
        cJSON_AddItemToArray(versions, v);
    }
    sqlite3_reset(st);
    cJSON_AddStringToObject(out, "ARN", s.arn);
    cJSON_AddStringToObject(out, "Name", s.name);
    sm__secret_free(&s);
    return out;
}

/*
 * CloudFormation's GenerateSecretString: a random password as the
 * SecretString, or inside SecretStringTemplate under GenerateStringKey.
 */
static int sm_stack_generate(const cJSON *generate, cJSON *body, aws_error *err)
{
    const cJSON *len =
        cJSON_GetObjectItemCaseSensitive(generate, "PasswordLength");
    long length = cJSON_IsNumber(len) ? (long)len->valuedouble : 32;
    if (length < 1 || length > 4096)
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "GenerateSecretString PasswordLength must be between "
                        "1 and 4096");
    char *password = xmalloc((size_t)length + 1);
    if (sm__password_generate(generate, password, (size_t)length, err) != 0) {
        free(password);
        return -1;
    }
    const char *tmpl = sm__str(generate, "SecretStringTemplate");
    const char *key = sm__str(generate, "GenerateStringKey");
    char *value = NULL;
    if (tmpl && key) {
        cJSON *doc = cJSON_Parse(tmpl);
        if (!cJSON_IsObject(doc)) {
            cJSON_Delete(doc);
            free(password);
            return aws_fail(err, AWS_ERR_VALIDATION,
                            "GenerateSecretString SecretStringTemplate must "
                            "be a JSON object");
        }
        cJSON_DeleteItemFromObjectCaseSensitive(doc, key);
        cJSON_AddStringToObject(doc, key, password);
        value = cJSON_PrintUnformatted(doc);
        cJSON_Delete(doc);
    } else {
        value = xstrdup(password);
    }
    cJSON_DeleteItemFromObjectCaseSensitive(body, "SecretString");
    cJSON_AddStringToObject(body, "SecretString", value);
    cJSON_free(value);
    free(password);
    return 0;
}

int sm_stack_apply_secret(stratus *srv, const char *account, const char *region,
                          const char *logical_id, const cJSON *properties,
                          aws_error *err)
{
    const char *name = sm__str(properties, "Name");
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "Name", name ? name : logical_id);
    if (sm__str(properties, "SecretString"))
        cJSON_AddStringToObject(body, "SecretString",
                                sm__str(properties, "SecretString"));
    const cJSON *generate =
        cJSON_GetObjectItemCaseSensitive(properties, "GenerateSecretString");
    if (generate && sm_stack_generate(generate, body, err) != 0) {
        cJSON_Delete(body);
        return -1;
    }
    if (sm__str(properties, "Description"))
        cJSON_AddStringToObject(body, "Description",
                                sm__str(properties, "Description"));
    const cJSON *tags = cJSON_GetObjectItemCaseSensitive(properties, "Tags");
    if (cJSON_IsArray(tags))
        cJSON_AddItemToObject(body, "Tags", cJSON_Duplicate(tags, 1));
    aws_request req = {
        .srv = srv,
        .service = &sm_service,
        .operation = "CreateSecret",
        .account = account,
        .region = region,
        .access_key = "",
        .request_id = "stack",
        .body = body,
    };
    sm_secret existing;
    aws_error missing;
    memset(&missing, 0, sizeof missing);
    int rc = 0;
    if (sm__secret_find(&req, name ? name : logical_id, &existing, &missing) ==
        0) {
        /* Applying a stack again keeps the secret and its versions. */
        sm__secret_free(&existing);
    } else {
        aws_error_reset(&missing);
        cJSON *out = sm_op_create_secret(&req, err);
        rc = out ? 0 : -1;
        cJSON_Delete(out);
    }
    cJSON_Delete(body);
    return rc;
}

static const aws_operation sm_operations[] = {
    {"BatchGetSecretValue", sm_op_batch_get_secret_value},
    {"CancelRotateSecret", NULL},
    {"CreateSecret", sm_op_create_secret},
    {"DeleteResourcePolicy", NULL},
    {"DeleteSecret", sm_op_delete_secret},
    {"DescribeSecret", sm_op_describe_secret},
    {"GetRandomPassword", sm_op_get_random_password},
    {"GetResourcePolicy", NULL},
    {"GetSecretValue", sm_op_get_secret_value},
    {"ListSecretVersionIds", sm_op_list_secret_version_ids},
    {"ListSecrets", sm_op_list_secrets},
    {"PutResourcePolicy", NULL},
    {"PutSecretValue", sm_op_put_secret_value},
    {"RemoveRegionsFromReplication", NULL},
    {"ReplicateSecretToRegions", NULL},
    {"RestoreSecret", sm_op_restore_secret},
    {"RotateSecret", NULL},
    {"StopReplicationToReplica", NULL},
    {"TagResource", sm_op_tag_resource},
    {"UntagResource", sm_op_untag_resource},
    {"UpdateSecret", sm_op_update_secret},
    {"UpdateSecretVersionStage", NULL},
    {"ValidateResourcePolicy", NULL},
};

/* The secret a request names, as its full ARN (with the random suffix)
 * when it exists, for IAM checks of requests signed with credentials
 * Stratus issued. Operations without a SecretId use "*". */
static int sm_resource_arn(const aws_request *req, size_t index, char *action,
                           size_t action_size, char *arn, size_t arn_size)
{
    (void)action;
    (void)action_size;
    if (index > 0)
        return 0;
    const char *id = sm__str(req->body, "SecretId");
    const char *name = id ? id : sm__str(req->body, "Name");
    snprintf(arn, arn_size, "*");
    if (!name)
        return 1;
    sqlite3_stmt *st = store_stmt(
        req->srv->store,
        "SELECT arn FROM sm_secret WHERE account = ?1 AND region = ?2 AND"
        " (name = ?3 OR arn = ?3 OR (substr(arn, 1, length(arn) - 7) = ?3"
        " AND ?3 LIKE 'arn:%')) ORDER BY name = ?3 DESC LIMIT 1");
    sqlite3_bind_text(st, 1, req->account, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, req->region, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, name, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) == SQLITE_ROW)
        snprintf(arn, arn_size, "%s", sqlite3_column_text(st, 0));
    else if (strncmp(name, "arn:", 4) == 0)
        snprintf(arn, arn_size, "%s", name);
    else
        snprintf(arn, arn_size, "arn:aws:secretsmanager:%s:%s:secret:%s",
                 req->region, req->account, name);
    sqlite3_reset(st);
    return 1;
}

const aws_service sm_service = {
    .name = "secretsmanager",
    .signing_name = "secretsmanager",
    .target_prefix = "secretsmanager",
    .error_prefix = "",
    .protocol = AWS_PROTO_JSON_1_1,
    .operations = sm_operations,
    .operation_count = sizeof sm_operations / sizeof *sm_operations,
    .init = sm_init,
    .resource_arn = sm_resource_arn,
};
