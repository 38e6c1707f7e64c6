/*
 * sm_list.c: the Secrets Manager operations over many secrets:
 * ListSecrets (filters, paging, planned deletions) and
 * BatchGetSecretValue (by SecretIdList or by Filters).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sm.h"
#include "sm_internal.h"
#include "store.h"
#include "stratus.h"
#include "util.h"

/* Whether a secret passes ListSecrets' Filters. Every filter matches by
 * prefix, and a value starting with '!' negates it. */
static int sm_filters_match(const cJSON *filters, const sm_secret *s)
{
    const cJSON *f;
    cJSON_ArrayForEach(f, filters)
    {
        const char *key = sm__str(f, "Key");
        const cJSON *values = cJSON_GetObjectItemCaseSensitive(f, "Values");
        if (!key)
            continue;
        int any = 0;
        const cJSON *v;
        cJSON_ArrayForEach(v, values)
        {
            if (!cJSON_IsString(v))
                continue;
            const char *want = v->valuestring;
            int negate = want[0] == '!';
            if (negate)
                want++;
            size_t n = strlen(want);
            int hit = 0;
            if (strcmp(key, "name") == 0 || strcmp(key, "all") == 0)
                hit = strncmp(s->name, want, n) == 0;
            if (!hit &&
                (strcmp(key, "description") == 0 || strcmp(key, "all") == 0))
                hit = s->description && strncmp(s->description, want, n) == 0;
            if (!hit &&
                (strcmp(key, "tag-key") == 0 || strcmp(key, "tag-value") == 0 ||
                 strcmp(key, "all") == 0)) {
                cJSON *tags = cJSON_Parse(s->tags ? s->tags : "[]");
                const cJSON *t;
                cJSON_ArrayForEach(t, tags)
                {
                    const char *tk = sm__str(t, "Key"),
                               *tv = sm__str(t, "Value");
                    if ((strcmp(key, "tag-value") != 0 && tk &&
                         strncmp(tk, want, n) == 0) ||
                        (strcmp(key, "tag-key") != 0 && tv &&
                         strncmp(tv, want, n) == 0))
                        hit = 1;
                }
                cJSON_Delete(tags);
            }
            if (hit != negate)
                any = 1;
        }
        if (!any)
            return 0;
    }
    return 1;
}

/*
 * Collect up to `limit` secrets after position `token` (NULL: from the
 * start) that pass `filters`, as an array of names. Sets `next` to the
 * position after the page, or "" when nothing follows.
 */
static cJSON *sm_page(aws_request *req, const cJSON *filters,
                      int include_deleted, long limit, const char *token,
                      char next[32])
{
    long long after = token ? atoll(token) : 0;
    sqlite3_stmt *st = store_stmt(
        req->srv->store, "SELECT name FROM sm_secret WHERE account = ? AND"
                         " region = ? AND id > ? ORDER BY id");
    sqlite3_bind_text(st, 1, req->account, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, req->region, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, after);
    /* Collect the names first: sm__secret_find may delete an expired
     * secret, which must not happen while this statement walks the table. */
    cJSON *names = cJSON_CreateArray();
    while (sqlite3_step(st) == SQLITE_ROW)
        cJSON_AddItemToArray(
            names,
            cJSON_CreateString((const char *)sqlite3_column_text(st, 0)));
    sqlite3_reset(st);

    cJSON *page = cJSON_CreateArray();
    long count = 0;
    const cJSON *n;
    next[0] = '\0';
    cJSON_ArrayForEach(n, names)
    {
        sm_secret s;
        aws_error missing;
        memset(&missing, 0, sizeof missing);
        if (sm__secret_find(req, n->valuestring, &s, &missing) != 0) {
            aws_error_reset(&missing);
            continue;
        }
        int skip = (s.deleted_ms && !include_deleted) ||
                   !sm_filters_match(filters, &s);
        if (!skip && count == limit) {
            snprintf(next, 32, "%lld", (long long)s.id - 1);
            sm__secret_free(&s);
            break;
        }
        if (!skip) {
            cJSON_AddItemToArray(page, cJSON_CreateString(s.name));
            count++;
        }
        sm__secret_free(&s);
    }
    cJSON_Delete(names);
    return page;
}

/* MaxResults of a listing, 1 to 100 (default 100). Returns -1 with
 * InvalidParameterException when out of range. */
static long sm_max_results(const cJSON *body, aws_error *err)
{
    const cJSON *max = cJSON_GetObjectItemCaseSensitive(body, "MaxResults");
    long limit = cJSON_IsNumber(max) ? (long)max->valuedouble : 100;
    if (limit < 1 || limit > 100)
        return aws_fail(err, AWS_ERR_SM_INVALID_PARAMETER,
                        "Invalid parameter: MaxResults must be between 1 and "
                        "100");
    return limit;
}

cJSON *sm_op_list_secrets(aws_request *req, aws_error *err)
{
    long limit = sm_max_results(req->body, err);
    if (limit < 0)
        return NULL;
    int include_deleted = cJSON_IsTrue(
        cJSON_GetObjectItemCaseSensitive(req->body, "IncludePlannedDeletion"));
    char next[32];
    cJSON *page =
        sm_page(req, cJSON_GetObjectItemCaseSensitive(req->body, "Filters"),
                include_deleted, limit, sm__str(req->body, "NextToken"), next);

    cJSON *out = cJSON_CreateObject();
    cJSON *list = cJSON_AddArrayToObject(out, "SecretList");
    const cJSON *name;
    cJSON_ArrayForEach(name, page)
    {
        sm_secret s;
        aws_error missing;
        memset(&missing, 0, sizeof missing);
        if (sm__secret_find(req, name->valuestring, &s, &missing) != 0) {
            aws_error_reset(&missing);
            continue;
        }
        cJSON_AddItemToArray(list, sm__secret_describe(req, &s));
        sm__secret_free(&s);
    }
    if (next[0])
        cJSON_AddStringToObject(out, "NextToken", next);
    cJSON_Delete(page);
    return out;
}

/* GetSecretValue for one id, adding the value or an Errors entry. */
static void sm_batch_get_one(aws_request *req, const char *id, cJSON *values,
                             cJSON *errors)
{
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "SecretId", id);
    aws_request one = *req;
    one.body = body;
    aws_error err;
    memset(&err, 0, sizeof err);
    cJSON *value = sm_op_get_secret_value(&one, &err);
    if (value) {
        cJSON_AddItemToArray(values, value);
    } else {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "SecretId", id);
        cJSON_AddStringToObject(e, "ErrorCode", aws_code_name(err.code));
        cJSON_AddStringToObject(e, "Message", err.message);
        cJSON_AddItemToArray(errors, e);
    }
    aws_error_reset(&err);
    cJSON_Delete(body);
}

cJSON *sm_op_batch_get_secret_value(aws_request *req, aws_error *err)
{
    const cJSON *ids =
        cJSON_GetObjectItemCaseSensitive(req->body, "SecretIdList");
    const cJSON *filters =
        cJSON_GetObjectItemCaseSensitive(req->body, "Filters");
    if ((ids != NULL) == (filters != NULL)) {
        aws_fail(err, AWS_ERR_SM_INVALID_PARAMETER,
                 "Invalid parameter: provide either SecretIdList or Filters, "
                 "not both");
        return NULL;
    }
    if (ids && (!cJSON_IsArray(ids) || cJSON_GetArraySize(ids) < 1 ||
                cJSON_GetArraySize(ids) > 20)) {
        aws_fail(err, AWS_ERR_SM_INVALID_PARAMETER,
                 "Invalid parameter: SecretIdList must contain 1 to 20 "
                 "secret ids");
        return NULL;
    }

    cJSON *out = cJSON_CreateObject();
    cJSON *values = cJSON_AddArrayToObject(out, "SecretValues");
    cJSON *errors = cJSON_AddArrayToObject(out, "Errors");
    if (ids) {
        const cJSON *id;
        cJSON_ArrayForEach(id, ids)
        {
            if (cJSON_IsString(id))
                sm_batch_get_one(req, id->valuestring, values, errors);
        }
        return out;
    }
    long limit = sm_max_results(req->body, err);
    if (limit < 0) {
        cJSON_Delete(out);
        return NULL;
    }
    char next[32];
    cJSON *page =
        sm_page(req, filters, 0, limit, sm__str(req->body, "NextToken"), next);
    const cJSON *name;
    cJSON_ArrayForEach(name, page)
        sm_batch_get_one(req, name->valuestring, values, errors);
    if (next[0])
        cJSON_AddStringToObject(out, "NextToken", next);
    cJSON_Delete(page);
    return out;
}
