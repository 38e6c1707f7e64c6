/*
 * cw.c: the CloudWatch service: schema, operation table, the Query
 * protocol table, the x-amzn-query-error header of its errors, and the
 * request helpers the other files share.
 *
 * CloudWatch is "awsQueryCompatible": JSON 1.0 errors carry the header
 * "x-amzn-query-error: <Query error code>;Sender", from which the SDKs name
 * the error as the Query protocol did (InvalidParameterValue, not
 * InvalidParameterValueException).
 */
#define _GNU_SOURCE
#include "cw.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws_query.h"
#include "clock.h"
#include "cw_internal.h"
#include "http.h"
#include "log.h"
#include "store.h"
#include "util.h"

static const char *const cw_schema_steps[] = {
    "CREATE TABLE cw_metric (id INTEGER PRIMARY KEY,"
    " account TEXT NOT NULL, region TEXT NOT NULL, namespace TEXT NOT NULL,"
    " name TEXT NOT NULL, dims TEXT NOT NULL, last_ms INTEGER NOT NULL,"
    " UNIQUE (account, region, namespace, name, dims))",
    "CREATE TABLE cw_datum (metric_id INTEGER NOT NULL"
    " REFERENCES cw_metric (id) ON DELETE CASCADE, ts_ms INTEGER NOT NULL,"
    " unit TEXT NOT NULL, count REAL NOT NULL, sum REAL NOT NULL,"
    " min REAL NOT NULL, max REAL NOT NULL, vals TEXT,"
    " aggregated INTEGER NOT NULL DEFAULT 0)",
    "CREATE INDEX cw_datum_time ON cw_datum (metric_id, ts_ms)",
    /* The per-minute rows of cw_metric_add, one per metric and unit. */
    "CREATE UNIQUE INDEX cw_datum_minute ON cw_datum (metric_id, ts_ms, unit)"
    " WHERE aggregated = 1",
    "CREATE TABLE cw_alarm (account TEXT NOT NULL, region TEXT NOT NULL,"
    " name TEXT NOT NULL, config TEXT NOT NULL, state TEXT NOT NULL,"
    " reason TEXT NOT NULL, reason_data TEXT, state_ms INTEGER NOT NULL,"
    " transitioned_ms INTEGER NOT NULL, config_ms INTEGER NOT NULL,"
    " actions_enabled INTEGER NOT NULL DEFAULT 1,"
    " PRIMARY KEY (account, region, name))",
    "CREATE TABLE cw_alarm_history (id INTEGER PRIMARY KEY,"
    " account TEXT NOT NULL, region TEXT NOT NULL, alarm TEXT NOT NULL,"
    " ts_ms INTEGER NOT NULL, type TEXT NOT NULL, summary TEXT NOT NULL,"
    " data TEXT NOT NULL)",
    "CREATE INDEX cw_alarm_history_alarm ON cw_alarm_history"
    " (account, region, alarm, ts_ms)",
    "CREATE TABLE cw_dashboard (account TEXT NOT NULL, region TEXT NOT NULL,"
    " name TEXT NOT NULL, body TEXT NOT NULL, modified_ms INTEGER NOT NULL,"
    " PRIMARY KEY (account, region, name))",
};

/* ---- request helpers ---- */

int cw__is_query(const aws_request *req)
{
    return req->http && !http_request_header(req->http, "X-Amz-Target") &&
           aws_query_is_request(req->http);
}

const char *cw__str(const cJSON *obj, const char *name)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(m) ? m->valuestring : NULL;
}

const cJSON *cw__list(const cJSON *obj, const char *name)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsArray(m) ? m : NULL;
}

int cw__num(const cJSON *obj, const char *name, double *out)
{
    return cw__num_value(cJSON_GetObjectItemCaseSensitive(obj, name), out);
}

int cw__num_value(const cJSON *m, double *out)
{
    if (!m || cJSON_IsNull(m))
        return 0;
    if (cJSON_IsNumber(m)) {
        *out = m->valuedouble;
        return 1;
    }
    if (!cJSON_IsString(m) || !m->valuestring[0])
        return -1;
    char *end = NULL;
    double v = strtod(m->valuestring, &end);
    if (*end)
        return -1;
    *out = v;
    return 1;
}

int cw__bool(const cJSON *obj, const char *name, int def)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (cJSON_IsBool(m))
        return cJSON_IsTrue(m);
    if (cJSON_IsString(m))
        return strcmp(m->valuestring, "true") == 0;
    return def;
}

/* Parse ISO 8601 ("2026-01-02T03:04:05[.fff][Z|+hh:mm]") into epoch ms. */
static int cw_parse_iso(const char *s, int64_t *ms)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!p) {
        memset(&tm, 0, sizeof tm);
        p = strptime(s, "%Y-%m-%d", &tm);
        if (!p)
            return -1;
    }
    int64_t frac = 0;
    if (*p == '.') {
        int64_t scale = 100;
        for (p++; isdigit((unsigned char)*p); p++) {
            frac += (*p - '0') * scale;
            scale /= 10;
        }
    }
    int64_t offset_s = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1;
        int hh = 0, mm = 0;
        if (sscanf(p + 1, "%2d:%2d", &hh, &mm) < 1 &&
            sscanf(p + 1, "%2d%2d", &hh, &mm) < 1)
            return -1;
        offset_s = sign * (hh * 3600 + mm * 60);
        p += strlen(p);
    }
    if (*p)
        return -1;
    *ms = ((int64_t)timegm(&tm) - offset_s) * 1000 + frac;
    return 0;
}

int cw__time(const cJSON *obj, const char *name, int64_t *ms)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (!m || cJSON_IsNull(m))
        return 0;
    if (cJSON_IsNumber(m)) {
        *ms = (int64_t)(m->valuedouble * 1000.0 +
                        (m->valuedouble < 0 ? -0.5 : 0.5));
        return 1;
    }
    if (!cJSON_IsString(m))
        return -1;
    const char *s = m->valuestring;
    char *end = NULL;
    double seconds = strtod(s, &end);
    if (end != s && *end == '\0') {
        *ms = (int64_t)(seconds * 1000.0 + 0.5);
        return 1;
    }
    return cw_parse_iso(s, ms) == 0 ? 1 : -1;
}

void cw__iso(int64_t ms, char out[32])
{
    clock_format_iso(ms, out);
}

void cw__add_time(const aws_request *req, cJSON *obj, const char *name,
                  int64_t ms)
{
    if (cw__is_query(req)) {
        char iso[32];
        cw__iso(ms, iso);
        cJSON_AddStringToObject(obj, name, iso);
    } else {
        cJSON_AddNumberToObject(obj, name, (double)ms / 1000.0);
    }
}

int cw__unit_valid(const char *unit)
{
    static const char *const units[] = {
        "Seconds",
        "Microseconds",
        "Milliseconds",
        "Bytes",
        "Kilobytes",
        "Megabytes",
        "Gigabytes",
        "Terabytes",
        "Bits",
        "Kilobits",
        "Megabits",
        "Gigabits",
        "Terabits",
        "Percent",
        "Count",
        "Bytes/Second",
        "Kilobytes/Second",
        "Megabytes/Second",
        "Gigabytes/Second",
        "Terabytes/Second",
        "Bits/Second",
        "Kilobits/Second",
        "Megabits/Second",
        "Gigabits/Second",
        "Terabits/Second",
        "Count/Second",
        "None",
    };
    for (size_t i = 0; i < sizeof units / sizeof *units; i++)
        if (strcmp(units[i], unit) == 0)
            return 1;
    return 0;
}

int cw__missing(aws_error *err, const char *member)
{
    return aws_fail(err, AWS_ERR_CW_MISSING_PARAMETER,
                    "The parameter %s is required.", member);
}

/* ---- errors ---- */

/* Query error codes of the errors whose code differs from the JSON type
 * (the awsQueryError traits of the CloudWatch model). */
static const struct {
    aws_code code;
    const char *query_code;
} cw_query_codes[] = {
    {AWS_ERR_INVALID_PARAMETER_VALUE, "InvalidParameterValue"},
    {AWS_ERR_CW_MISSING_PARAMETER, "MissingParameter"},
    {AWS_ERR_CW_INVALID_PARAMETER_COMBINATION, "InvalidParameterCombination"},
    {AWS_ERR_CW_DASHBOARD_NOT_FOUND, "ResourceNotFound"},
    {AWS_ERR_CW_DASHBOARD_INVALID_INPUT, "InvalidParameterInput"},
    {AWS_ERR_CW_LIMIT_EXCEEDED, "LimitExceeded"},
    {AWS_ERR_CW_INVALID_FORMAT, "InvalidFormat"},
    {AWS_ERR_INTERNAL_SERVER_ERROR, "InternalServiceError"},
};

static const char *cw_query_error_code(aws_code code)
{
    for (size_t i = 0; i < sizeof cw_query_codes / sizeof *cw_query_codes; i++)
        if (cw_query_codes[i].code == code)
            return cw_query_codes[i].query_code;
    return NULL;
}

/* Add x-amzn-query-error to a failed JSON call's response. */
static void cw_query_error_header(aws_request *req, const aws_error *err)
{
    if (!req->out || err->code == AWS_OK || cw__is_query(req))
        return;
    const char *code = cw_query_error_code(err->code);
    if (!code)
        code = aws_code_name(err->code);
    char value[160];
    snprintf(value, sizeof value, "%s;%s", code,
             aws_code_status(err->code) >= 500 ? "Receiver" : "Sender");
    http_response_header(req->out, "x-amzn-query-error", value);
}

/* ---- service ---- */

static int cw_init(stratus *srv, aws_error *err)
{
    char errbuf[512];
    if (store_migrate(srv->store, "cloudwatch", cw_schema_steps,
                      sizeof cw_schema_steps / sizeof *cw_schema_steps, errbuf,
                      sizeof errbuf) != 0)
        return aws_fail(err, AWS_ERR_INTERNAL_SERVER_ERROR, "%s", errbuf);
    jobs_register(srv->jobs, CW_ALARM_JOB, cw__alarm_job);
    return 0;
}

/* Each operation runs through a wrapper that adds x-amzn-query-error. */
#define CW_WRAP(fn)                                                            \
    static cJSON *fn##_checked(aws_request *req, aws_error *err)               \
    {                                                                          \
        cJSON *out = fn(req, err);                                             \
        if (!out)                                                              \
            cw_query_error_header(req, err);                                   \
        return out;                                                            \
    }
CW_WRAP(cw__op_delete_alarms)
CW_WRAP(cw__op_delete_dashboards)
CW_WRAP(cw__op_describe_alarm_history)
CW_WRAP(cw__op_describe_alarms)
CW_WRAP(cw__op_describe_alarms_for_metric)
CW_WRAP(cw__op_disable_alarm_actions)
CW_WRAP(cw__op_enable_alarm_actions)
CW_WRAP(cw__op_get_dashboard)
CW_WRAP(cw__op_get_metric_data)
CW_WRAP(cw__op_get_metric_statistics)
CW_WRAP(cw__op_list_dashboards)
CW_WRAP(cw__op_list_metrics)
CW_WRAP(cw__op_put_dashboard)
CW_WRAP(cw__op_put_metric_alarm)
CW_WRAP(cw__op_put_metric_data)
CW_WRAP(cw__op_set_alarm_state)

static const aws_operation cw_operations[] = {
    {"DeleteAlarms", cw__op_delete_alarms_checked},
    {"DeleteAnomalyDetector", NULL},
    {"DeleteDashboards", cw__op_delete_dashboards_checked},
    {"DeleteInsightRules", NULL},
    {"DeleteMetricStream", NULL},
    {"DescribeAlarmContributors", NULL},
    {"DescribeAlarmHistory", cw__op_describe_alarm_history_checked},
    {"DescribeAlarms", cw__op_describe_alarms_checked},
    {"DescribeAlarmsForMetric", cw__op_describe_alarms_for_metric_checked},
    {"DescribeAnomalyDetectors", NULL},
    {"DescribeInsightRules", NULL},
    {"DisableAlarmActions", cw__op_disable_alarm_actions_checked},
    {"DisableInsightRules", NULL},
    {"EnableAlarmActions", cw__op_enable_alarm_actions_checked},
    {"EnableInsightRules", NULL},
    {"GetDashboard", cw__op_get_dashboard_checked},
    {"GetInsightRuleReport", NULL},
    {"GetMetricData", cw__op_get_metric_data_checked},
    {"GetMetricStatistics", cw__op_get_metric_statistics_checked},
    {"GetMetricStream", NULL},
    {"GetMetricWidgetImage", NULL},
    {"ListDashboards", cw__op_list_dashboards_checked},
    {"ListManagedInsightRules", NULL},
    {"ListMetricStreams", NULL},
    {"ListMetrics", cw__op_list_metrics_checked},
    {"ListTagsForResource", NULL},
    {"PutAnomalyDetector", NULL},
    {"PutCompositeAlarm", NULL},
    {"PutDashboard", cw__op_put_dashboard_checked},
    {"PutInsightRule", NULL},
    {"PutManagedInsightRules", NULL},
    {"PutMetricAlarm", cw__op_put_metric_alarm_checked},
    {"PutMetricData", cw__op_put_metric_data_checked},
    {"PutMetricStream", NULL},
    {"SetAlarmState", cw__op_set_alarm_state_checked},
    {"StartMetricStreams", NULL},
    {"StopMetricStreams", NULL},
    {"TagResource", NULL},
    {"UntagResource", NULL},
};

/* Every list of CloudWatch's Query protocol is "Name.member.N", which the
 * codec's nested mode decodes without a table. */
static const aws_query_protocol cw_query = {
    .xml_namespace = "http://monitoring.amazonaws.com/doc/2010-08-01/",
    .members = NULL,
    .member_count = 0,
    .error_code = cw_query_error_code,
    .nested = 1,
};

const aws_service cw_service = {
    .name = "cloudwatch",
    .signing_name = "monitoring",
    .target_prefix = "GraniteServiceVersion20100801",
    .error_prefix = "com.amazonaws.cloudwatch#",
    .protocol = AWS_PROTO_JSON_1_0,
    .operations = cw_operations,
    .operation_count = sizeof cw_operations / sizeof *cw_operations,
    .query = &cw_query,
    .init = cw_init,
    .cleanup = cw__state_free,
};
