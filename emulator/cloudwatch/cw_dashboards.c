/*
 * cw_dashboards.c: CloudWatch dashboards: PutDashboard (with the body
 * checks CloudWatch makes before storing), GetDashboard, ListDashboards
 * and DeleteDashboards. Dashboards are global, so their ARNs carry no
 * region, but Stratus keeps them per region like its other resources.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "cw_internal.h"
#include "store.h"
#include "util.h"

#define CW_DASHBOARD_PAGE 1000

static void cw_dashboard_arn(const char *account, const char *name, char *out,
                             size_t size)
{
    snprintf(out, size, "arn:aws:cloudwatch::%s:dashboard/%s", account, name);
}

/* Dashboard names: up to 255 letters, digits, '-' and '_'. */
static int cw_dashboard_name_valid(const char *name)
{
    if (!name[0] || strlen(name) > 255)
        return 0;
    for (const char *p = name; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
            return 0;
    return 1;
}

static cJSON *cw_validation_message(const char *path, const char *message)
{
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "DataPath", path);
    cJSON_AddStringToObject(m, "Message", message);
    return m;
}

/* Check the body as CloudWatch does before it stores it: a JSON object
 * with a "widgets" array of objects that each have a known type. */
static void cw_dashboard_check(const char *text, cJSON *messages)
{
    cJSON *body = cJSON_Parse(text);
    if (!cJSON_IsObject(body)) {
        cJSON_AddItemToArray(
            messages, cw_validation_message(
                          "", "The dashboard body is not a valid JSON object"));
        cJSON_Delete(body);
        return;
    }
    const cJSON *widgets = cJSON_GetObjectItemCaseSensitive(body, "widgets");
    if (!cJSON_IsArray(widgets)) {
        cJSON_AddItemToArray(
            messages, cw_validation_message(
                          "", "Should have required property 'widgets'"));
        cJSON_Delete(body);
        return;
    }
    int i = 0;
    const cJSON *w;
    cJSON_ArrayForEach(w, widgets)
    {
        char path[64];
        snprintf(path, sizeof path, "/widgets/%d", i++);
        const char *type = cw__str(w, "type");
        static const char *const types[] = {"metric", "text",     "log",
                                            "alarm",  "explorer", "custom"};
        int known = 0;
        for (size_t k = 0; type && k < sizeof types / sizeof *types; k++)
            known |= strcmp(type, types[k]) == 0;
        if (!cJSON_IsObject(w))
            cJSON_AddItemToArray(
                messages, cw_validation_message(path, "Should be object"));
        else if (!type)
            cJSON_AddItemToArray(
                messages, cw_validation_message(
                              path, "Should have required property 'type'"));
        else if (!known)
            cJSON_AddItemToArray(
                messages,
                cw_validation_message(path, "Should be equal to one of the "
                                            "allowed values"));
    }
    cJSON_Delete(body);
}

cJSON *cw__op_put_dashboard(aws_request *req, aws_error *err)
{
    const char *name = cw__str(req->body, "DashboardName");
    const char *body = cw__str(req->body, "DashboardBody");
    if (!name)
        return cw__missing(err, "DashboardName"), NULL;
    if (!body)
        return cw__missing(err, "DashboardBody"), NULL;
    if (!cw_dashboard_name_valid(name)) {
        aws_fail(err, AWS_ERR_CW_DASHBOARD_INVALID_INPUT,
                 "The value for field DashboardName contains invalid "
                 "characters. It can only contain alphanumerics, dash (-) "
                 "and underscore (_).");
        return NULL;
    }
    cJSON *messages = cJSON_CreateArray();
    cw_dashboard_check(body, messages);
    if (cJSON_GetArraySize(messages) > 0) {
        aws_fail(err, AWS_ERR_CW_DASHBOARD_INVALID_INPUT,
                 "The input for the dashboard body is invalid.");
        err->extra = cJSON_CreateObject();
        cJSON_AddItemToObject(err->extra, "dashboardValidationMessages",
                              messages);
        return NULL;
    }
    sqlite3_stmt *s = store_stmt(
        req->srv->store,
        "INSERT INTO cw_dashboard (account, region, name, body, modified_ms)"
        " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (account, region, name)"
        " DO UPDATE SET body = excluded.body,"
        " modified_ms = excluded.modified_ms");
    sqlite3_bind_text(s, 1, req->account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, req->region, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, body, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 5, clock_now_ms(&req->srv->clock));
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) {
        cJSON_Delete(messages);
        aws_fail(err, AWS_ERR_INTERNAL_SERVER_ERROR, NULL);
        return NULL;
    }
    cJSON *out = cJSON_CreateObject();
    cJSON_AddItemToObject(out, "DashboardValidationMessages", messages);
    return out;
}

cJSON *cw__op_get_dashboard(aws_request *req, aws_error *err)
{
    const char *name = cw__str(req->body, "DashboardName");
    if (!name)
        return cw__missing(err, "DashboardName"), NULL;
    sqlite3_stmt *s = store_stmt(req->srv->store,
                                 "SELECT body FROM cw_dashboard WHERE"
                                 " account = ?1 AND region = ?2 AND name = ?3");
    sqlite3_bind_text(s, 1, req->account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, req->region, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, name, -1, SQLITE_STATIC);
    cJSON *out = NULL;
    if (sqlite3_step(s) == SQLITE_ROW) {
        char arn[400];
        cw_dashboard_arn(req->account, name, arn, sizeof arn);
        out = cJSON_CreateObject();
        cJSON_AddStringToObject(out, "DashboardArn", arn);
        cJSON_AddStringToObject(out, "DashboardBody",
                                (const char *)sqlite3_column_text(s, 0));
        cJSON_AddStringToObject(out, "DashboardName", name);
    }
    sqlite3_reset(s);
    if (!out)
        aws_fail(err, AWS_ERR_CW_DASHBOARD_NOT_FOUND,
                 "Dashboard %s does not exist", name);
    return out;
}

cJSON *cw__op_list_dashboards(aws_request *req, aws_error *err)
{
    const char *prefix = cw__str(req->body, "DashboardNamePrefix");
    const char *token = cw__str(req->body, "NextToken");
    long skip = 0;
    if (token) {
        char *end = NULL;
        skip = strtol(token, &end, 10);
        if (!token[0] || *end || skip < 0) {
            aws_fail(err, AWS_ERR_INVALID_PARAMETER_VALUE,
                     "The value %s for parameter NextToken is invalid.", token);
            return NULL;
        }
    }
    sqlite3_stmt *s = store_stmt(
        req->srv->store, "SELECT name, modified_ms, length(CAST(body AS BLOB))"
                         " FROM cw_dashboard WHERE account = ?1 AND region = ?2"
                         " AND (?3 IS NULL OR substr(name, 1, length(?3)) = ?3)"
                         " ORDER BY name LIMIT ?4 OFFSET ?5");
    sqlite3_bind_text(s, 1, req->account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, req->region, -1, SQLITE_STATIC);
    if (prefix)
        sqlite3_bind_text(s, 3, prefix, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 4, CW_DASHBOARD_PAGE + 1);
    sqlite3_bind_int64(s, 5, skip);
    cJSON *out = cJSON_CreateObject();
    cJSON *entries = cJSON_AddArrayToObject(out, "DashboardEntries");
    int added = 0, more = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
        if (added == CW_DASHBOARD_PAGE) {
            more = 1;
            break;
        }
        const char *name = (const char *)sqlite3_column_text(s, 0);
        char arn[400];
        cw_dashboard_arn(req->account, name, arn, sizeof arn);
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "DashboardName", name);
        cJSON_AddStringToObject(e, "DashboardArn", arn);
        cw__add_time(req, e, "LastModified", sqlite3_column_int64(s, 1));
        cJSON_AddNumberToObject(e, "Size", (double)sqlite3_column_int64(s, 2));
        cJSON_AddItemToArray(entries, e);
        added++;
    }
    sqlite3_reset(s);
    if (more) {
        char next[32];
        snprintf(next, sizeof next, "%ld", skip + added);
        cJSON_AddStringToObject(out, "NextToken", next);
    }
    return out;
}

cJSON *cw__op_delete_dashboards(aws_request *req, aws_error *err)
{
    const cJSON *names = cw__list(req->body, "DashboardNames");
    if (!names || cJSON_GetArraySize(names) == 0)
        return cw__missing(err, "DashboardNames"), NULL;
    const cJSON *n;
    cJSON_ArrayForEach(n, names)
    {
        if (!cJSON_IsString(n))
            continue;
        sqlite3_stmt *s =
            store_stmt(req->srv->store, "SELECT 1 FROM cw_dashboard WHERE"
                                        " account = ?1 AND region = ?2"
                                        " AND name = ?3");
        sqlite3_bind_text(s, 1, req->account, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, req->region, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, n->valuestring, -1, SQLITE_STATIC);
        int found = sqlite3_step(s) == SQLITE_ROW;
        sqlite3_reset(s);
        if (!found) {
            aws_fail(err, AWS_ERR_CW_DASHBOARD_NOT_FOUND,
                     "Dashboard %s does not exist", n->valuestring);
            return NULL;
        }
    }
    cJSON_ArrayForEach(n, names)
    {
        if (!cJSON_IsString(n))
            continue;
        sqlite3_stmt *s =
            store_stmt(req->srv->store, "DELETE FROM cw_dashboard WHERE"
                                        " account = ?1 AND region = ?2"
                                        " AND name = ?3");
        sqlite3_bind_text(s, 1, req->account, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, req->region, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, n->valuestring, -1, SQLITE_STATIC);
        sqlite3_step(s);
        sqlite3_reset(s);
    }
    return cJSON_CreateObject();
}
