/*
 * iam_role.c: IAM roles and their policies: CreateRole, GetRole,
 * DeleteRole, ListRoles, UpdateRole, UpdateAssumeRolePolicy, the inline
 * policy operations (PutRolePolicy, GetRolePolicy, DeleteRolePolicy,
 * ListRolePolicies) and managed policy attachments (AttachRolePolicy,
 * DetachRolePolicy, ListAttachedRolePolicies) and tags (TagRole,
 * UntagRole, ListRoleTags).
 *
 * Documents are stored as the caller sent them and returned URL-encoded,
 * as IAM does (the AWS CLI decodes them, the SDKs do not). Roles keep no
 * RoleLastUsed data and no permissions boundary.
 */
#include "iam_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "store.h"
#include "util.h"

/* AWS's default and limits of MaxSessionDuration, in seconds. */
#define IAM_SESSION_DEFAULT_S 3600
#define IAM_SESSION_MAX_S 43200

static char *iam_column(sqlite3_stmt *s, int i)
{
    const unsigned char *t = sqlite3_column_text(s, i);
    return t ? xstrdup((const char *)t) : NULL;
}

static iam_role *iam_role_from_row(sqlite3_stmt *s)
{
    iam_role *role = xcalloc(1, sizeof *role);
    role->id = sqlite3_column_int64(s, 0);
    snprintf(role->account, sizeof role->account, "%s",
             (const char *)sqlite3_column_text(s, 1));
    snprintf(role->name, sizeof role->name, "%s",
             (const char *)sqlite3_column_text(s, 2));
    snprintf(role->path, sizeof role->path, "%s",
             (const char *)sqlite3_column_text(s, 3));
    snprintf(role->role_id, sizeof role->role_id, "%s",
             (const char *)sqlite3_column_text(s, 4));
    snprintf(role->arn, sizeof role->arn, "%s",
             (const char *)sqlite3_column_text(s, 5));
    role->trust_policy = iam_column(s, 6);
    role->description = iam_column(s, 7);
    role->max_session_s = (long)sqlite3_column_int64(s, 8);
    role->created_ms = sqlite3_column_int64(s, 9);
    role->tags = cJSON_Parse((const char *)sqlite3_column_text(s, 10));
    if (!role->tags)
        role->tags = cJSON_CreateArray();
    return role;
}

#define IAM_ROLE_COLUMNS                                                       \
    "id, account, name, path, role_id, arn, trust_policy, description,"        \
    " max_session, created_ms, tags"

iam_role *iam__role_load(stratus *srv, const char *account, const char *name,
                         aws_error *err)
{
    sqlite3_stmt *s =
        store_stmt(srv->store, "SELECT " IAM_ROLE_COLUMNS " FROM iam_role"
                               " WHERE account = ?1 AND name = ?2");
    sqlite3_bind_text(s, 1, account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
    iam_role *role = NULL;
    if (sqlite3_step(s) == SQLITE_ROW)
        role = iam_role_from_row(s);
    sqlite3_reset(s);
    if (!role && err)
        aws_fail(err, AWS_ERR_IAM_NO_SUCH_ENTITY,
                 "The role with name %s cannot be found.", name);
    return role;
}

void iam__role_free(iam_role *role)
{
    if (!role)
        return;
    free(role->trust_policy);
    free(role->description);
    cJSON_Delete(role->tags);
    free(role);
}

iam_role_policy *iam__role_policies(stratus *srv, const iam_role *role,
                                    size_t *count)
{
    size_t n = 0, cap = 8;
    iam_role_policy *out = xcalloc(cap, sizeof *out);

    sqlite3_stmt *s =
        store_stmt(srv->store, "SELECT name, document FROM iam_role_policy"
                               " WHERE role = ?1 ORDER BY name");
    sqlite3_bind_int64(s, 1, role->id);
    while (sqlite3_step(s) == SQLITE_ROW) {
        if (n == cap)
            out = xrealloc(out, (cap *= 2) * sizeof *out);
        memset(&out[n], 0, sizeof out[n]);
        snprintf(out[n].name, sizeof out[n].name, "%s",
                 (const char *)sqlite3_column_text(s, 0));
        out[n].type = "role";
        out[n].document = iam_column(s, 1);
        n++;
    }
    sqlite3_reset(s);

    s = store_stmt(srv->store, "SELECT policy_arn FROM iam_role_attachment"
                               " WHERE role = ?1 ORDER BY seq");
    sqlite3_bind_int64(s, 1, role->id);
    while (sqlite3_step(s) == SQLITE_ROW) {
        const char *arn = (const char *)sqlite3_column_text(s, 0);
        const iam_managed_policy *mp = iam__managed_find(arn);
        if (!mp)
            continue;
        if (n == cap)
            out = xrealloc(out, (cap *= 2) * sizeof *out);
        memset(&out[n], 0, sizeof out[n]);
        snprintf(out[n].name, sizeof out[n].name, "%s", arn);
        out[n].type = "aws-managed";
        out[n].document = xstrdup(mp->document);
        n++;
    }
    sqlite3_reset(s);

    for (size_t i = 0; i < n; i++)
        out[i].parsed = cJSON_Parse(out[i].document);
    *count = n;
    return out;
}

void iam__role_policies_free(iam_role_policy *policies, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        free(policies[i].document);
        cJSON_Delete(policies[i].parsed);
    }
    free(policies);
}

/* Collects matched statements for SimulatePrincipalPolicy. */
typedef struct iam_match_list {
    const iam_role_policy *policy;
    cJSON *allows, *denies;
} iam_match_list;

static void iam_on_match(void *arg, size_t index, int allows)
{
    iam_match_list *list = arg;
    cJSON *st = cJSON_CreateObject();
    int span[4] = {0, 0, 0, 0};
    iam__statement_span(list->policy->document, index, span);
    cJSON_AddStringToObject(st, "SourcePolicyId", list->policy->name);
    cJSON_AddStringToObject(st, "SourcePolicyType", list->policy->type);
    cJSON *start = cJSON_AddObjectToObject(st, "StartPosition");
    cJSON_AddNumberToObject(start, "Line", span[0]);
    cJSON_AddNumberToObject(start, "Column", span[1]);
    cJSON *end = cJSON_AddObjectToObject(st, "EndPosition");
    cJSON_AddNumberToObject(end, "Line", span[2]);
    cJSON_AddNumberToObject(end, "Column", span[3]);
    cJSON_AddItemToArray(allows ? list->allows : list->denies, st);
}

iam_decision iam__role_evaluate(stratus *srv, const iam_role *role,
                                const iam_eval_request *req, cJSON *matches)
{
    size_t count = 0;
    iam_role_policy *policies = iam__role_policies(srv, role, &count);
    iam_decision decision = IAM_IMPLICIT_DENY;
    iam_match_list list = {
        .allows = cJSON_CreateArray(),
        .denies = cJSON_CreateArray(),
    };

    for (size_t i = 0; i < count; i++) {
        if (!policies[i].parsed)
            continue;
        list.policy = &policies[i];
        decision = iam_decision_combine(
            decision,
            iam_eval_policy(policies[i].parsed, IAM_POLICY_IDENTITY, req,
                            matches ? iam_on_match : NULL, &list));
    }
    /* The statements that decided: the denials when one applies, else the
     * allowing ones. */
    if (matches) {
        cJSON *chosen =
            decision == IAM_EXPLICIT_DENY ? list.denies : list.allows;
        cJSON *st;
        cJSON_ArrayForEach(st, chosen)
            cJSON_AddItemToArray(matches, cJSON_Duplicate(st, 1));
    }
    cJSON_Delete(list.allows);
    cJSON_Delete(list.denies);
    iam__role_policies_free(policies, count);
    return decision;
}

/* The Role structure of responses. */
static cJSON *iam_role_json(const iam_role *role, int with_details)
{
    cJSON *out = cJSON_CreateObject();
    char created[32];
    iam__format_time(role->created_ms, created);
    char *encoded = iam__url_encode(role->trust_policy);

    cJSON_AddStringToObject(out, "Path", role->path);
    cJSON_AddStringToObject(out, "RoleName", role->name);
    cJSON_AddStringToObject(out, "RoleId", role->role_id);
    cJSON_AddStringToObject(out, "Arn", role->arn);
    cJSON_AddStringToObject(out, "CreateDate", created);
    cJSON_AddStringToObject(out, "AssumeRolePolicyDocument", encoded);
    if (role->description)
        cJSON_AddStringToObject(out, "Description", role->description);
    cJSON_AddNumberToObject(out, "MaxSessionDuration",
                            (double)role->max_session_s);
    if (with_details) {
        if (cJSON_GetArraySize(role->tags) > 0)
            cJSON_AddItemToObject(out, "Tags", cJSON_Duplicate(role->tags, 1));
        cJSON_AddObjectToObject(out, "RoleLastUsed");
    }
    free(encoded);
    return out;
}

/* The document member as text: the Query protocol sends a string; a stack
 * or a JSON caller may pass an object. Returns a new string or NULL. */
static char *iam_document_text(const cJSON *body, const char *member)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(body, member);
    if (cJSON_IsString(m))
        return xstrdup(m->valuestring);
    if (cJSON_IsObject(m))
        return cJSON_PrintUnformatted(m);
    return NULL;
}

static int iam_check_document(const char *text, iam_policy_kind kind,
                              aws_error *err)
{
    char message[256];
    cJSON *parsed = iam_policy_parse(text, kind, message, sizeof message);
    if (!parsed)
        return aws_fail(err, AWS_ERR_IAM_MALFORMED_POLICY_DOCUMENT, "%s",
                        message);
    cJSON_Delete(parsed);
    return 0;
}

static int iam_session_duration(const cJSON *body, long *out, aws_error *err)
{
    const cJSON *m =
        cJSON_GetObjectItemCaseSensitive(body, "MaxSessionDuration");
    if (!m)
        return 0;
    long v = -1;
    if (cJSON_IsNumber(m))
        v = (long)m->valuedouble;
    else if (cJSON_IsString(m)) {
        char *end = NULL;
        v = strtol(m->valuestring, &end, 10);
        if (end == m->valuestring || *end)
            v = -1;
    }
    if (v < IAM_SESSION_DEFAULT_S || v > IAM_SESSION_MAX_S)
        return aws_fail(err, AWS_ERR_IAM_VALIDATION_ERROR,
                        "The requested duration for the role exceeds the "
                        "maximum session duration: MaxSessionDuration must be "
                        "between %d and %d seconds.",
                        IAM_SESSION_DEFAULT_S, IAM_SESSION_MAX_S);
    *out = v;
    return 0;
}

cJSON *iam_op_create_role(aws_request *req, aws_error *err)
{
    const char *name = iam__str(req->body, "RoleName");
    const char *path = iam__str(req->body, "Path");
    const char *description = iam__str(req->body, "Description");
    long max_session = IAM_SESSION_DEFAULT_S;
    char *trust = NULL;
    cJSON *out = NULL;

    if (!name) {
        iam__missing(err, "RoleName");
        return NULL;
    }
    if (iam__check_name(name, "RoleName", 64, err) != 0)
        return NULL;
    trust = iam_document_text(req->body, "AssumeRolePolicyDocument");
    if (!trust) {
        iam__missing(err, "AssumeRolePolicyDocument");
        return NULL;
    }
    if (!path)
        path = "/";
    if (path[0] != '/' || path[strlen(path) - 1] != '/' || strlen(path) > 512) {
        aws_fail(err, AWS_ERR_IAM_VALIDATION_ERROR,
                 "The specified value for path is invalid. It must begin and "
                 "end with / and contain only alphanumeric characters and/or "
                 "/ characters.");
        goto done;
    }
    if (description && strlen(description) > 1000) {
        aws_fail(err, AWS_ERR_IAM_VALIDATION_ERROR,
                 "1 validation error detected: Value at 'description' failed "
                 "to satisfy constraint: Member must have length less than "
                 "or equal to 1000");
        goto done;
    }
    if (iam_session_duration(req->body, &max_session, err) != 0 ||
        iam_check_document(trust, IAM_POLICY_TRUST, err) != 0)
        goto done;

    iam_role *existing = iam__role_load(req->srv, req->account, name, NULL);
    if (existing) {
        iam__role_free(existing);
        aws_fail(err, AWS_ERR_IAM_ENTITY_ALREADY_EXISTS,
                 "Role with name %s already exists.", name);
        goto done;
    }

    char role_id[32] = "AROA", arn[700];
    iam__random_id(role_id + 4, 17);
    snprintf(arn, sizeof arn, "arn:aws:iam::%s:role%s%s", req->account, path,
             name);
    const cJSON *tags = cJSON_GetObjectItemCaseSensitive(req->body, "Tags");
    char *tags_text =
        cJSON_IsArray(tags) ? cJSON_PrintUnformatted(tags) : xstrdup("[]");
    sqlite3_stmt *s =
        store_stmt(req->srv->store,
                   "INSERT INTO iam_role (account, name, path, role_id, arn,"
                   " trust_policy, description, max_session, created_ms, tags)"
                   " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
    sqlite3_bind_text(s, 1, req->account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, path, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, role_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, arn, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 6, trust, -1, SQLITE_STATIC);
    if (description)
        sqlite3_bind_text(s, 7, description, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 8, max_session);
    sqlite3_bind_int64(s, 9, clock_now_ms(&req->srv->clock));
    sqlite3_bind_text(s, 10, tags_text, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    free(tags_text);
    if (rc != SQLITE_DONE) {
        aws_fail(err, AWS_ERR_INTERNAL_SERVER_ERROR, "cannot store role %s",
                 name);
        goto done;
    }

    iam_role *role = iam__role_load(req->srv, req->account, name, err);
    if (role) {
        out = cJSON_CreateObject();
        cJSON_AddItemToObject(out, "Role", iam_role_json(role, 1));
        cJSON_DeleteItemFromObjectCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(out, "Role"), "RoleLastUsed");
        iam__role_free(role);
    }

done:
    free(trust);
    return out;
}

/* Load the role a request names in RoleName. */
static iam_role *iam_request_role(aws_request *req, aws_error *err)
{
    const char *name = iam__str(req->body, "RoleName");
    if (!name) {
        iam__missing(err, "RoleName");
        return NULL;
    }
    if (iam__check_name(name, "RoleName", 64, err) != 0)
        return NULL;
    return iam__role_load(req->srv, req->account, name, err);
}

cJSON *iam_op_get_role(aws_request *req, aws_error *err)
{
    iam_role *role = iam_request_role(req, err);
    if (!role)
        return NULL;
    cJSON *out = cJSON_CreateObject();
    cJSON_AddItemToObject(out, "Role", iam_role_json(role, 1));
    iam__role_free(role);
    return out;
}

static int iam_count(stratus *srv, const char *sql, int64_t role_id)
{
    sqlite3_stmt *s = store_stmt(srv->store, sql);
    sqlite3_bind_int64(s, 1, role_id);
    int n = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int(s, 0) : 0;
    sqlite3_reset(s);
    return n;
}

cJSON *iam_op_delete_role(aws_request *req, aws_error *err)
{
    iam_role *role = iam_request_role(req, err);
    if (!role)
        return NULL;
    if (iam_count(req->srv,
                  "SELECT COUNT(*) FROM iam_role_policy"
                  " WHERE role = ?1",
                  role->id) > 0) {
        iam__role_free(role);
        aws_fail(err, AWS_ERR_IAM_DELETE_CONFLICT,
                 "Cannot delete entity, must delete policies first.");
        return NULL;
    }
    if (iam_count(req->srv,
                  "SELECT COUNT(*) FROM iam_role_attachment"
                  " WHERE role = ?1",
                  role->id) > 0) {
        iam__role_free(role);
        aws_fail(err, AWS_ERR_IAM_DELETE_CONFLICT,
                 "Cannot delete entity, must detach all policies first.");
        return NULL;
    }
    sqlite3_stmt *s =
        store_stmt(req->srv->store, "DELETE FROM iam_role WHERE id = ?1");
    sqlite3_bind_int64(s, 1, role->id);
    sqlite3_step(s);
    sqlite3_reset(s);
    iam__role_free(role);
    return cJSON_CreateObject();
}

cJSON *iam_op_list_roles(aws_request *req, aws_error *err)
{
    const char *prefix = iam__str(req->body, "PathPrefix");
    const char *marker = iam__str(req->body, "Marker");
    const char *max_text = iam__str(req->body, "MaxItems");
    long max = max_text ? strtol(max_text, NULL, 10) : 100;
    if (max < 1 || max > 1000) {
        aws_fail(err, AWS_ERR_IAM_VALIDATION_ERROR,
                 "1 validation error detected: Value '%s' at 'maxItems' "
                 "failed to satisfy constraint: Member must have value "
                 "between 1 and 1000",
                 max_text ? max_text : "");
        return NULL;
    }

    sqlite3_stmt *s = store_stmt(
        req->srv->store, "SELECT " IAM_ROLE_COLUMNS " FROM iam_role"
                         " WHERE account = ?1 AND (?2 IS NULL OR name > ?2)"
                         " ORDER BY name");
    sqlite3_bind_text(s, 1, req->account, -1, SQLITE_STATIC);
    if (marker)
        sqlite3_bind_text(s, 2, marker, -1, SQLITE_STATIC);
    cJSON *out = cJSON_CreateObject();
    cJSON *roles = cJSON_AddArrayToObject(out, "Roles");
    long n = 0;
    int truncated = 0;
    char last[65] = "";
    while (sqlite3_step(s) == SQLITE_ROW) {
        iam_role *role = iam_role_from_row(s);
        if (prefix && strncmp(role->path, prefix, strlen(prefix)) != 0) {
            iam__role_free(role);
            continue;
        }
        if (n == max) {
            truncated = 1;
            iam__role_free(role);
            break;
        }
        cJSON_AddItemToArray(roles, iam_role_json(role, 0));
        snprintf(last, sizeof last, "%s", role->name);
        iam__role_free(role);
        n++;
    }
    sqlite3_reset(s);
    cJSON_AddBoolToObject(out, "IsTruncated", truncated);
    if (truncated)
        cJSON_AddStringToObject(out, "Marker", last);
    return out;
}

cJSON *iam_op_update_assume_role_policy(aws_request *req, aws_error *err)
{
    char *doc = iam_document_text(req->body, "PolicyDocument");
    if (!doc) {
        iam__missing(err, "PolicyDocument");
        return NULL;
    }
    iam_role *role = iam_request_role(req, err);
    if (!role || iam_check_document(doc, IAM_POLICY_TRUST, err) != 0) {
        iam__role_free(role);
        free(doc);
        return NULL;
    }
    sqlite3_stmt *s = store_stmt(
        req->srv->store, "UPDATE iam_role SET trust_policy = ?2 WHERE id = ?1");
    sqlite3_bind_int64(s, 1, role->id);
    sqlite3_bind_text(s, 2, doc, -1, SQLITE_STATIC);
    sqlite3_step(s);
    sqlite3_reset(s);
    iam__role_free(role);
    free(doc);
    return cJSON_CreateObject();
}

cJSON *iam_op_update_role(aws_request *req, aws_error *err)
{
    iam_role *role = iam_request_role(req, err);
    if (!role)
        return NULL;
    long max_session = role->max_session_s;
    if (iam_session_duration(req->body, &max_session, err) != 0) {
        iam__role_free(role);
        return NULL;
    }
    const char *description = iam__str(req->body, "Description");
    sqlite3_stmt *s =
        store_stmt(req->srv->store, "UPDATE iam_role SET max_session = ?2,"
                                    " description = COALESCE(?3, description)"
                                    " WHERE id = ?1");
    sqlite3_bind_int64(s, 1, role->id);
    sqlite3_bind_int64(s, 2, max_session);
    if (description)
        sqlite3_bind_text(s, 3, description, -1, SQLITE_STATIC);
    sqlite3_step(s);
    sqlite3_reset(s);
    iam__role_free(role);
    return cJSON_CreateObject();
}

/* Load the role and check the PolicyName of an inline policy request. */
static iam_role *iam_policy_request(aws_request *req, const char **policy_name,
                                    aws_error *err)
{
    *policy_name = iam__str(req->body, "PolicyName");
    if (!iam__str(req->body, "RoleName")) {
        iam__missing(err, "RoleName");
        return NULL;
    }
    if (!*policy_name) {
        iam__missing(err, "PolicyName");
        return NULL;
    }
    if (iam__check_name(*policy_name, "PolicyName", 128, err) != 0)
        return NULL;
    return iam_request_role(req, err);
}

cJSON *iam_op_put_role_policy(aws_request *req, aws_error *err)
{
    const char *policy_name = NULL;
    char *doc = iam_document_text(req->body, "PolicyDocument");
    iam_role *role = iam_policy_request(req, &policy_name, err);
    if (role && !doc)
        iam__missing(err, "PolicyDocument");
    if (!role || !doc ||
        iam_check_document(doc, IAM_POLICY_IDENTITY, err) != 0) {
        iam__role_free(role);
        free(doc);
        return NULL;
    }
    sqlite3_stmt *s = store_stmt(
        req->srv->store, "INSERT INTO iam_role_policy (role, name, document)"
                         " VALUES (?1, ?2, ?3) ON CONFLICT (role, name)"
                         " DO UPDATE SET document = excluded.document");
    sqlite3_bind_int64(s, 1, role->id);
    sqlite3_bind_text(s, 2, policy_name, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, doc, -1, SQLITE_STATIC);
    sqlite3_step(s);
    sqlite3_reset(s);
    iam__role_free(role);
    free(doc);
    return cJSON_CreateObject();
}

cJSON *iam_op_get_role_policy(aws_request *req, aws_error *err)
{
    const char *policy_name = NULL;
    iam_role *role = iam_policy_request(req, &policy_name, err);
    if (!role)
        return NULL;
    sqlite3_stmt *s =
        store_stmt(req->srv->store, "SELECT document FROM iam_role_policy"
                                    " WHERE role = ?1 AND name = ?2");
    sqlite3_bind_int64(s, 1, role->id);
    sqlite3_bind_text(s, 2, policy_name, -1, SQLITE_STATIC);
    cJSON *out = NULL;
    if (sqlite3_step(s) == SQLITE_ROW) {
        char *encoded =
            iam__url_encode((const char *)sqlite3_column_text(s, 0));
        out = cJSON_CreateObject();
        cJSON_AddStringToObject(out, "RoleName", role->name);
        cJSON_AddStringToObject(out, "PolicyName", policy_name);
        cJSON_AddStringToObject(out, "PolicyDocument", encoded);
        free(encoded);
    } else {
        aws_fail(err, AWS_ERR_IAM_NO_SUCH_ENTITY,
                 "The role policy with name %s cannot be found.", policy_name);
    }
    sqlite3_reset(s);
    iam__role_free(role);
    return out;
}

cJSON *iam_op_delete_role_policy(aws_request *req, aws_error *err)
{
    const char *policy_name = NULL;
    iam_role *role = iam_policy_request(req, &policy_name, err);
    if (!role)
        return NULL;
    sqlite3_stmt *s =
        store_stmt(req->srv->store, "DELETE FROM iam_role_policy"
                                    " WHERE role = ?1 AND name = ?2");
    sqlite3_bind_int64(s, 1, role->id);
    sqlite3_bind_text(s, 2, policy_name, -1, SQLITE_STATIC);
    sqlite3_step(s);
    sqlite3_reset(s);
    int deleted = sqlite3_changes(store_db(req->srv->store)) > 0;
    iam__role_free(role);
    if (!deleted) {
        aws_fail(err, AWS_ERR_IAM_NO_SUCH_ENTITY,
                 "The role policy with name %s cannot be found.", policy_name);
        return NULL;
    }
    return cJSON_CreateObject();
}

cJSON *iam_op_list_role_policies(aws_request *req, aws_error *err)
{
    iam_role *role = iam_request_role(req, err);
    if (!role)
        return NULL;
    sqlite3_stmt *s =
        store_stmt(req->srv->store, "SELECT name FROM iam_role_policy"
                                    " WHERE role = ?1 ORDER BY name");
    sqlite3_bind_int64(s, 1, role->id);
    cJSON *out = cJSON_CreateObject();
    cJSON *names = cJSON_AddArrayToObject(out, "PolicyNames");
    while (sqlite3_step(s) == SQLITE_ROW)
        cJSON_AddItemToArray(
            names, cJSON_CreateString((const char *)sqlite3_column_text(s, 0)));
    sqlite3_reset(s);
    cJSON_AddBoolToObject(out, "IsTruncated", 0);
    iam__role_free(role);
    return out;
}

/* Check the PolicyArn of an attachment request. */
static const char *iam_policy_arn(aws_request *req, aws_error *err)
{
    const char *arn = iam__str(req->body, "PolicyArn");
    if (!arn) {
        iam__missing(err, "PolicyArn");
        return NULL;
    }
    if (strncmp(arn, "arn:", 4) != 0 || strlen(arn) < 20) {
        aws_fail(err, AWS_ERR_IAM_INVALID_INPUT, "ARN %s is not valid.", arn);
        return NULL;
    }
    return arn;
}

cJSON *iam_op_attach_role_policy(aws_request *req, aws_error *err)
{
    const char *arn = iam_policy_arn(req, err);
    if (!arn)
        return NULL;
    iam_role *role = iam_request_role(req, err);
    if (!role)
        return NULL;
    /* NOTE: Stratus has no customer managed policies (CreatePolicy), so
     * only the AWS managed policies it defines can be attached. */
    if (!iam__managed_find(arn)) {
        iam__role_free(role);
        aws_fail(err, AWS_ERR_IAM_NO_SUCH_ENTITY,
                 "Policy %s does not exist or is not attachable.", arn);
        return NULL;
    }
    sqlite3_stmt *s = store_stmt(
        req->srv->store,
        "INSERT OR IGNORE INTO iam_role_attachment (role, policy_arn, seq)"
        " VALUES (?1, ?2, (SELECT COALESCE(MAX(seq), 0) + 1"
        " FROM iam_role_attachment WHERE role = ?1))");
    sqlite3_bind_int64(s, 1, role->id);
    sqlite3_bind_text(s, 2, arn, -1, SQLITE_STATIC);
    sqlite3_step(s);
    sqlite3_reset(s);
    iam__role_free(role);
    return cJSON_CreateObject();
}

cJSON *iam_op_detach_role_policy(aws_request *req, aws_error *err)
{
    const char *arn = iam_policy_arn(req, err);
    if (!arn)
        return NULL;
    iam_role *role = iam_request_role(req, err);
    if (!role)
        return NULL;
    sqlite3_stmt *s =
        store_stmt(req->srv->store, "DELETE FROM iam_role_attachment"
                                    " WHERE role = ?1 AND policy_arn = ?2");
    sqlite3_bind_int64(s, 1, role->id);
    sqlite3_bind_text(s, 2, arn, -1, SQLITE_STATIC);
    sqlite3_step(s);
    sqlite3_reset(s);
    int deleted = sqlite3_changes(store_db(req->srv->store)) > 0;
    iam__role_free(role);
    if (!deleted) {
        aws_fail(err, AWS_ERR_IAM_NO_SUCH_ENTITY, "Policy %s was not found.",
                 arn);
        return NULL;
    }
    return cJSON_CreateObject();
}

cJSON *iam_op_list_attached_role_policies(aws_request *req, aws_error *err)
{
    iam_role *role = iam_request_role(req, err);
    if (!role)
        return NULL;
    sqlite3_stmt *s =
        store_stmt(req->srv->store, "SELECT policy_arn FROM iam_role_attachment"
                                    " WHERE role = ?1 ORDER BY seq");
    sqlite3_bind_int64(s, 1, role->id);
    cJSON *out = cJSON_CreateObject();
    cJSON *list = cJSON_AddArrayToObject(out, "AttachedPolicies");
    while (sqlite3_step(s) == SQLITE_ROW) {
        const char *arn = (const char *)sqlite3_column_text(s, 0);
        const char *slash = strrchr(arn, '/');
        cJSON *p = cJSON_CreateObject();
        cJSON_AddStringToObject(p, "PolicyName", slash ? slash + 1 : arn);
        cJSON_AddStringToObject(p, "PolicyArn", arn);
        cJSON_AddItemToArray(list, p);
    }
    sqlite3_reset(s);
    cJSON_AddBoolToObject(out, "IsTruncated", 0);
    iam__role_free(role);
    return out;
}

/* Store a role's tags. */
static void iam_role_tags_store(stratus *srv, const iam_role *role,
                                const cJSON *tags)
{
    char *text = cJSON_PrintUnformatted(tags);
    sqlite3_stmt *s =
        store_stmt(srv->store, "UPDATE iam_role SET tags = ?2 WHERE id = ?1");
    sqlite3_bind_int64(s, 1, role->id);
    sqlite3_bind_text(s, 2, text, -1, SQLITE_STATIC);
    sqlite3_step(s);
    sqlite3_reset(s);
    free(text);
}

/* The index of the tag with `key` in a [{Key, Value}] list, or -1. */
static int iam_tag_index(const cJSON *tags, const char *key)
{
    int i = 0;
    const cJSON *t;
    cJSON_ArrayForEach(t, tags)
    {
        const char *k = iam__str(t, "Key");
        if (k && strcmp(k, key) == 0)
            return i;
        i++;
    }
    return -1;
}

cJSON *iam_op_tag_role(aws_request *req, aws_error *err)
{
    const cJSON *tags = cJSON_GetObjectItemCaseSensitive(req->body, "Tags");
    if (!cJSON_IsArray(tags)) {
        iam__missing(err, "Tags");
        return NULL;
    }
    iam_role *role = iam_request_role(req, err);
    if (!role)
        return NULL;
    const cJSON *t;
    cJSON_ArrayForEach(t, tags)
    {
        const char *key = iam__str(t, "Key");
        const char *value = iam__str(t, "Value");
        if (!key || !value) {
            iam__role_free(role);
            iam__missing(err, key ? "Value" : "Key");
            return NULL;
        }
        int index = iam_tag_index(role->tags, key);
        cJSON *tag = cJSON_CreateObject();
        cJSON_AddStringToObject(tag, "Key", key);
        cJSON_AddStringToObject(tag, "Value", value);
        if (index >= 0)
            cJSON_ReplaceItemInArray(role->tags, index, tag);
        else
            cJSON_AddItemToArray(role->tags, tag);
    }
    /* AWS's limit of tags per role. */
    if (cJSON_GetArraySize(role->tags) > 50) {
        iam__role_free(role);
        aws_fail(err, AWS_ERR_IAM_LIMIT_EXCEEDED,
                 "The number of tags has reached the maximum limit.");
        return NULL;
    }
    iam_role_tags_store(req->srv, role, role->tags);
    iam__role_free(role);
    return cJSON_CreateObject();
}

cJSON *iam_op_untag_role(aws_request *req, aws_error *err)
{
    const cJSON *keys = cJSON_GetObjectItemCaseSensitive(req->body, "TagKeys");
    if (!cJSON_IsArray(keys)) {
        iam__missing(err, "TagKeys");
        return NULL;
    }
    iam_role *role = iam_request_role(req, err);
    if (!role)
        return NULL;
    const cJSON *k;
    cJSON_ArrayForEach(k, keys)
    {
        int index =
            cJSON_IsString(k) ? iam_tag_index(role->tags, k->valuestring) : -1;
        if (index >= 0)
            cJSON_DeleteItemFromArray(role->tags, index);
    }
    iam_role_tags_store(req->srv, role, role->tags);
    iam__role_free(role);
    return cJSON_CreateObject();
}

cJSON *iam_op_list_role_tags(aws_request *req, aws_error *err)
{
    iam_role *role = iam_request_role(req, err);
    if (!role)
        return NULL;
    cJSON *out = cJSON_CreateObject();
    cJSON_AddItemToObject(out, "Tags", cJSON_Duplicate(role->tags, 1));
    cJSON_AddBoolToObject(out, "IsTruncated", 0);
    iam__role_free(role);
    return out;
}
