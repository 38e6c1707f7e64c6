/*
 * cw_alarms.c: CloudWatch metric alarms: PutMetricAlarm, DescribeAlarms,
 * DescribeAlarmsForMetric, DeleteAlarms, SetAlarmState, the alarm action
 * switches, DescribeAlarmHistory, and the job that evaluates each alarm at
 * every minute of the instance clock.
 *
 * An alarm starts in INSUFFICIENT_DATA. Each evaluation looks at the last
 * EvaluationPeriods complete periods (aligned to multiples of Period since
 * the epoch) and goes to ALARM when at least DatapointsToAlarm of them
 * breach the threshold; TreatMissingData decides what periods without data
 * count as. Every change of state or configuration is written to the
 * history. Alarm actions are recorded but never run.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "cw_internal.h"
#include "log.h"
#include "store.h"
#include "util.h"

#define CW_MAX_ALARM_NAMES 100

static const char *const cw_operators[] = {
    "GreaterThanOrEqualToThreshold",
    "GreaterThanThreshold",
    "LessThanThreshold",
    "LessThanOrEqualToThreshold",
};
/* How a state reason describes each operator, in the same order. */
static const char *const cw_operator_words[] = {
    "greater than or equal to",
    "greater than",
    "less than",
    "less than or equal to",
};

static int cw_operator_index(const char *op)
{
    for (int i = 0; i < 4; i++)
        if (op && strcmp(op, cw_operators[i]) == 0)
            return i;
    return -1;
}

static int cw_breaches(int op, double value, double threshold)
{
    switch (op) {
    case 0:
        return value >= threshold;
    case 1:
        return value > threshold;
    case 2:
        return value < threshold;
    default:
        return value <= threshold;
    }
}

static void cw_alarm_arn(const aws_request *req, const char *account,
                         const char *region, const char *name, char *out,
                         size_t size)
{
    (void)req;
    snprintf(out, size, "arn:aws:cloudwatch:%s:%s:alarm:%s", region, account,
             name);
}

/* ---- history ---- */

static void cw_history_add(stratus *srv, const char *account,
                           const char *region, const char *alarm, int64_t ts_ms,
                           const char *type, const char *summary,
                           const cJSON *data)
{
    char *text = cJSON_PrintUnformatted(data);
    sqlite3_stmt *s = store_stmt(
        srv->store,
        "INSERT INTO cw_alarm_history (account, region, alarm, ts_ms, type,"
        " summary, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    sqlite3_bind_text(s, 1, account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, region, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, alarm, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 4, ts_ms);
    sqlite3_bind_text(s, 5, type, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 6, summary, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 7, text, -1, SQLITE_STATIC);
    if (sqlite3_step(s) != SQLITE_DONE)
        log_error("cloudwatch", "cannot record history of alarm %s: %s", alarm,
                  sqlite3_errmsg(store_db(srv->store)));
    sqlite3_reset(s);
    free(text);
}

/* "2026-12-04T23:40:12.345+0000", as alarm history data writes times. */
static void cw_history_time(int64_t ms, char out[40])
{
    char iso[32];
    clock_format_iso(ms, iso);
    snprintf(out, 40, "%.23s+0000", iso);
}

/* ---- stored alarms ---- */

typedef struct cw_alarm {
    char *name;
    cJSON *config;
    char *state, *reason, *reason_data;
    int64_t state_ms, transitioned_ms, config_ms;
    int actions_enabled;
} cw_alarm;

static void cw_alarm_free(cw_alarm *a)
{
    if (!a)
        return;
    free(a->name);
    cJSON_Delete(a->config);
    free(a->state);
    free(a->reason);
    free(a->reason_data);
    free(a);
}

static cw_alarm *cw_alarm_row(sqlite3_stmt *s)
{
    cw_alarm *a = xcalloc(1, sizeof *a);
    a->name = xstrdup((const char *)sqlite3_column_text(s, 0));
    a->config = cJSON_Parse((const char *)sqlite3_column_text(s, 1));
    a->state = xstrdup((const char *)sqlite3_column_text(s, 2));
    a->reason = xstrdup((const char *)sqlite3_column_text(s, 3));
    if (sqlite3_column_type(s, 4) != SQLITE_NULL)
        a->reason_data = xstrdup((const char *)sqlite3_column_text(s, 4));
    a->state_ms = sqlite3_column_int64(s, 5);
    a->transitioned_ms = sqlite3_column_int64(s, 6);
    a->config_ms = sqlite3_column_int64(s, 7);
    a->actions_enabled = sqlite3_column_int(s, 8);
    return a;
}

#define CW_ALARM_COLUMNS                                                       \
    "name, config, state, reason, reason_data, state_ms, transitioned_ms,"     \
    " config_ms, actions_enabled"

static cw_alarm *cw_alarm_load(stratus *srv, const char *account,
                               const char *region, const char *name)
{
    sqlite3_stmt *s =
        store_stmt(srv->store, "SELECT " CW_ALARM_COLUMNS " FROM cw_alarm"
                               " WHERE account = ?1 AND region = ?2"
                               " AND name = ?3");
    sqlite3_bind_text(s, 1, account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, region, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, name, -1, SQLITE_STATIC);
    cw_alarm *a = sqlite3_step(s) == SQLITE_ROW ? cw_alarm_row(s) : NULL;
    sqlite3_reset(s);
    return a;
}

/* Move an alarm to `state`, recording the change in its history. */
static void cw_alarm_set_state(stratus *srv, const char *account,
                               const char *region, cw_alarm *a,
                               const char *state, const char *reason,
                               const char *reason_data, int64_t now)
{
    int changed = strcmp(a->state, state) != 0;
    sqlite3_stmt *s = store_stmt(
        srv->store,
        "UPDATE cw_alarm SET state = ?4, reason = ?5, reason_data = ?6,"
        " state_ms = ?7, transitioned_ms = CASE WHEN ?8 THEN ?7 ELSE"
        " transitioned_ms END WHERE account = ?1 AND region = ?2"
        " AND name = ?3");
    sqlite3_bind_text(s, 1, account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, region, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, a->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, state, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, reason, -1, SQLITE_STATIC);
    if (reason_data)
        sqlite3_bind_text(s, 6, reason_data, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, 6);
    sqlite3_bind_int64(s, 7, now);
    sqlite3_bind_int(s, 8, changed);
    sqlite3_step(s);
    sqlite3_reset(s);

    char summary[128];
    snprintf(summary, sizeof summary, "Alarm updated from %s to %s", a->state,
             state);
    cJSON *data = cJSON_CreateObject();
    cJSON_AddStringToObject(data, "version", "1.0");
    cJSON *old_state = cJSON_AddObjectToObject(data, "oldState");
    cJSON_AddStringToObject(old_state, "stateValue", a->state);
    cJSON_AddStringToObject(old_state, "stateReason", a->reason);
    cJSON *new_state = cJSON_AddObjectToObject(data, "newState");
    cJSON_AddStringToObject(new_state, "stateValue", state);
    cJSON_AddStringToObject(new_state, "stateReason", reason);
    if (reason_data) {
        cJSON *parsed = cJSON_Parse(reason_data);
        if (parsed)
            cJSON_AddItemToObject(new_state, "stateReasonData", parsed);
    }
    cw_history_add(srv, account, region, a->name, now, "StateUpdate", summary,
                   data);
    cJSON_Delete(data);
    log_info("cloudwatch", "alarm %s: %s -> %s (%s)", a->name, a->state, state,
             reason);
}

/* ---- evaluation ---- */

/* "dd/mm/yy HH:MM:SS", the date format of alarm state reasons. */
static void cw_reason_time(int64_t ms, char out[24])
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 24, "%d/%m/%y %H:%M:%S", &tm);
}

static void cw_alarm_evaluate(stratus *srv, const char *account,
                              const char *region, cw_alarm *a, int64_t now)
{
    const cJSON *c = a->config;
    double period_d = 60, periods_d = 1, to_alarm_d = 0, threshold = 0;
    cw__num(c, "Period", &period_d);
    cw__num(c, "EvaluationPeriods", &periods_d);
    cw__num(c, "Threshold", &threshold);
    int64_t period = (int64_t)period_d;
    int n = (int)periods_d;
    int m =
        cw__num(c, "DatapointsToAlarm", &to_alarm_d) > 0 ? (int)to_alarm_d : n;
    int op = cw_operator_index(cw__str(c, "ComparisonOperator"));
    const char *stat = cw__str(c, "Statistic");
    if (!stat)
        stat = cw__str(c, "ExtendedStatistic");
    const char *missing = cw__str(c, "TreatMissingData");
    if (!missing)
        missing = "missing";
    if (period <= 0 || n <= 0 || op < 0 || !stat)
        return;

    char *dims = NULL;
    aws_error err = {0};
    dims = cw__dims_canonical(cw__list(c, "Dimensions"), "Dimensions", &err);
    if (!dims) {
        aws_error_reset(&err);
        return;
    }
    int64_t period_ms = period * 1000;
    int64_t end = now / period_ms * period_ms;
    int64_t start = end - (int64_t)n * period_ms;
    cw_buckets buckets;
    cw__buckets_collect(srv, account, region, cw__str(c, "Namespace"),
                        cw__str(c, "MetricName"), dims, start, end, period,
                        cw__str(c, "Unit"), &buckets);
    free(dims);

    /* One value per period, newest first; units other than the first one
     * seen in a period are ignored. */
    int present = 0, breaching = 0;
    cJSON *recent = cJSON_CreateArray();
    cJSON *evaluated = cJSON_CreateArray();
    strbuf datapoint_text;
    strbuf_init(&datapoint_text);
    for (int j = 0; j < n; j++) {
        int64_t ps = end - (int64_t)(j + 1) * period_ms;
        const cw_bucket *b = NULL;
        for (size_t k = 0; k < buckets.count && !b; k++)
            if (buckets.items[k].start_ms == ps)
                b = &buckets.items[k];
        double v;
        char when[40];
        cw_history_time(ps, when);
        cJSON *point = cJSON_CreateObject();
        cJSON_AddStringToObject(point, "timestamp", when);
        if (b && cw__stat_value(b, stat, &v)) {
            present++;
            int hit = cw_breaches(op, v, threshold);
            breaching += hit;
            cJSON_AddItemToArray(recent, cJSON_CreateNumber(v));
            cJSON_AddNumberToObject(point, "sampleCount", b->count);
            cJSON_AddNumberToObject(point, "value", v);
            char rt[24];
            cw_reason_time(ps, rt);
            strbuf_printf(&datapoint_text, "%s%.1f (%s)",
                          datapoint_text.len ? ", " : "", v, rt);
        } else if (strcmp(missing, "breaching") == 0) {
            breaching++;
        }
        cJSON_AddItemToArray(evaluated, point);
    }
    cw__buckets_free(&buckets);

    const char *state = NULL;
    char reason[1024];
    if (present == 0) {
        if (strcmp(missing, "breaching") == 0) {
            state = "ALARM";
            snprintf(reason, sizeof reason,
                     "Threshold Crossed: no datapoints were received for %d "
                     "period%s and %d missing datapoint%s %s treated as "
                     "[Breaching].",
                     n, n == 1 ? "" : "s", n, n == 1 ? "" : "s",
                     n == 1 ? "was" : "were");
        } else if (strcmp(missing, "notBreaching") == 0) {
            state = "OK";
            snprintf(reason, sizeof reason,
                     "Threshold Crossed: no datapoints were received for %d "
                     "period%s and %d missing datapoint%s %s treated as "
                     "[NonBreaching].",
                     n, n == 1 ? "" : "s", n, n == 1 ? "" : "s",
                     n == 1 ? "was" : "were");
        } else if (strcmp(missing, "missing") == 0) {
            state = "INSUFFICIENT_DATA";
            snprintf(reason, sizeof reason,
                     "Insufficient Data: %d datapoint%s %s unknown.", n,
                     n == 1 ? "" : "s", n == 1 ? "was" : "were");
        }
    } else {
        int alarm = breaching >= m;
        state = alarm ? "ALARM" : "OK";
        const char *words = cw_operator_words[op];
        if (n == 1)
            snprintf(reason, sizeof reason,
                     "Threshold Crossed: 1 datapoint [%s] was %s%s the "
                     "threshold (%.1f).",
                     datapoint_text.data, alarm ? "" : "not ", words,
                     threshold);
        else
            snprintf(
                reason, sizeof reason,
                "Threshold Crossed: %d out of the last %d datapoints "
                "[%s] %s %s%s the threshold (%.1f) (minimum %d "
                "datapoint%s for OK -> ALARM transition).",
                alarm ? breaching : present - breaching, n, datapoint_text.data,
                (alarm ? breaching : present - breaching) == 1 ? "was" : "were",
                alarm ? "" : "not ", words, threshold, m, m == 1 ? "" : "s");
    }
    strbuf_free(&datapoint_text);

    if (state && strcmp(state, a->state) != 0) {
        char query_date[40], start_date[40];
        cw_history_time(now, query_date);
        cw_history_time(start, start_date);
        cJSON *data = cJSON_CreateObject();
        cJSON_AddStringToObject(data, "version", "1.0");
        cJSON_AddStringToObject(data, "queryDate", query_date);
        cJSON_AddStringToObject(data, "startDate", start_date);
        cJSON_AddStringToObject(data, "statistic", stat);
        cJSON_AddNumberToObject(data, "period", (double)period);
        cJSON_AddItemToObject(data, "recentDatapoints", recent);
        cJSON_AddNumberToObject(data, "threshold", threshold);
        cJSON_AddItemToObject(data, "evaluatedDatapoints", evaluated);
        char *text = cJSON_PrintUnformatted(data);
        cJSON_Delete(data);
        cw_alarm_set_state(srv, account, region, a, state, reason, text, now);
        free(text);
    } else {
        cJSON_Delete(recent);
        cJSON_Delete(evaluated);
    }
}

int64_t cw__alarm_job(stratus *srv, const char *account, const char *region,
                      const cJSON *payload)
{
    const char *name = cw__str(payload, "AlarmName");
    cw_alarm *a = name ? cw_alarm_load(srv, account, region, name) : NULL;
    if (!a)
        return 0; /* deleted */
    int64_t now = clock_now_ms(&srv->clock);
    cw_alarm_evaluate(srv, account, region, a, now);
    cw_alarm_free(a);
    return 60000 - now % 60000;
}

static void cw_alarm_schedule(stratus *srv, const char *account,
                              const char *region, const char *name)
{
    int64_t now = clock_now_ms(&srv->clock);
    char key[400];
    snprintf(key, sizeof key, "%s/%s/%s", account, region, name);
    cJSON *payload = cJSON_CreateObject();
    cJSON_AddStringToObject(payload, "AlarmName", name);
    if (jobs_schedule(srv->jobs, CW_ALARM_JOB, account, region,
                      now - now % 60000 + 60000, payload, key) != 0)
        log_error("cloudwatch", "cannot schedule the evaluation of alarm %s",
                  name);
    cJSON_Delete(payload);
    stratus_jobs_changed(srv);
}

/* ---- PutMetricAlarm ---- */

static int cw_alarm_validate(const cJSON *b, aws_error *err)
{
    const char *name = cw__str(b, "AlarmName");
    if (!name || !name[0])
        return cw__missing(err, "AlarmName");
    if (strlen(name) > 255)
        return aws_fail(err, AWS_ERR_INVALID_PARAMETER_VALUE,
                        "The parameter AlarmName must be between 1 and 255 "
                        "characters long.");
    if (cJSON_GetObjectItemCaseSensitive(b, "Metrics"))
        /* NOTE: alarms on metric math are not evaluated. */
        return aws_fail(err, AWS_ERR_INVALID_PARAMETER_VALUE,
                        "Stratus supports only alarms on a single metric "
                        "(MetricName and Namespace), not Metrics.");
    if (!cw__str(b, "MetricName"))
        return cw__missing(err, "MetricName");
    if (!cw__str(b, "Namespace"))
        return cw__missing(err, "Namespace");
    const char *stat = cw__str(b, "Statistic");
    const char *ext = cw__str(b, "ExtendedStatistic");
    if (!stat == !ext)
        return aws_fail(err, AWS_ERR_CW_INVALID_PARAMETER_COMBINATION,
                        "Exactly one of the parameters Statistic and "
                        "ExtendedStatistic must be specified.");
    if (stat && strcmp(stat, "SampleCount") != 0 &&
        strcmp(stat, "Average") != 0 && strcmp(stat, "Sum") != 0 &&
        strcmp(stat, "Minimum") != 0 && strcmp(stat, "Maximum") != 0)
        return aws_fail(err, AWS_ERR_INVALID_PARAMETER_VALUE,
                        "The value %s for parameter Statistic is invalid.",
                        stat);
    if (ext && !cw__is_percentile(ext))
        return aws_fail(err, AWS_ERR_INVALID_PARAMETER_VALUE,
                        "The value %s for parameter ExtendedStatistic is "
                        "invalid.",
                        ext);

    double period = 0, periods = 0, to_alarm = 0, threshold = 0;
    int rc = cw__num(b, "Period", &period);
    if (rc == 0)
        return cw__missing(err, "Period");
    if (rc < 0 || period < 10 || period != floor(period) ||
        ((int64_t)period % 60 != 0 && period != 10 && period != 30))
        return aws_fail(err, AWS_ERR_INVALID_PARAMETER_VALUE,
                        "The parameter Period must be 10, 30 or a multiple of "
                        "60.");
    rc = cw__num(b, "EvaluationPeriods", &periods);
    if (rc == 0)
        return cw__missing(err, "EvaluationPeriods");
    if (rc < 0 || periods < 1 || periods != floor(periods))
        return aws_fail(err, AWS_ERR_INVALID_PARAMETER_VALUE,
                        "The parameter EvaluationPeriods must be greater than "
                        "or equal to 1.");
    if (period * periods > 7 * 86400)
        return aws_fail(err, AWS_ERR_INVALID_PARAMETER_VALUE,
                        "The evaluation period of the alarm (Period times "
                        "EvaluationPeriods) must not exceed 7 days.");
    rc = cw__num(b, "DatapointsToAlarm", &to_alarm);
    if (rc < 0 || (rc > 0 && (to_alarm < 1 || to_alarm > periods)))
        return aws_fail(err, AWS_ERR_INVALID_PARAMETER_VALUE,
                        "DatapointsToAlarm must be between 1 and "
                        "EvaluationPeriods.");
    const char *op = cw__str(b, "ComparisonOperator");
    if (!op)
        return cw__missing(err, "ComparisonOperator");
    if (cw_operator_index(op) < 0)
        return aws_fail(err, AWS_ERR_INVALID_PARAMETER_VALUE,
                        "The value %s for parameter ComparisonOperator is "
                        "invalid.",
                        op);
    rc = cw__num(b, "Threshold", &threshold);
    if (rc == 0)
        return cw__missing(err, "Threshold");
    if (rc < 0)
        return aws_fail(err, AWS_ERR_INVALID_PARAMETER_VALUE,
                        "The parameter Threshold is not a number.");
    const char *missing = cw__str(b, "TreatMissingData");
    if (missing && strcmp(missing, "breaching") != 0 &&
        strcmp(missing, "notBreaching") != 0 &&
        strcmp(missing, "ignore") != 0 && strcmp(missing, "missing") != 0)
        return aws_fail(err, AWS_ERR_INVALID_PARAMETER_VALUE,
                        "The value %s for parameter TreatMissingData is "
                        "invalid.",
                        missing);
    const char *unit = cw__str(b, "Unit");
    if (unit && !cw__unit_valid(unit))
        return aws_fail(err, AWS_ERR_INVALID_PARAMETER_VALUE,
                        "The value %s for parameter Unit is invalid.", unit);
    return 0;
}

/* The stored configuration: the request's members with numbers and lists
 * in their JSON types, whichever protocol sent them. */
static cJSON *cw_alarm_config(const cJSON *b, aws_error *err)
{
    cJSON *c = cJSON_CreateObject();
    static const char *const strings[] = {
        "AlarmName",
        "AlarmDescription",
        "MetricName",
        "Namespace",
        "Statistic",
        "ExtendedStatistic",
        "Unit",
        "ComparisonOperator",
        "TreatMissingData",
        "EvaluateLowSampleCountPercentile",
    };
    for (size_t i = 0; i < sizeof strings / sizeof *strings; i++)
        if (cw__str(b, strings[i]))
            cJSON_AddStringToObject(c, strings[i], cw__str(b, strings[i]));
    static const char *const numbers[] = {"Period", "EvaluationPeriods",
                                          "DatapointsToAlarm", "Threshold"};
    for (size_t i = 0; i < sizeof numbers / sizeof *numbers; i++) {
        double v;
        if (cw__num(b, numbers[i], &v) > 0)
            cJSON_AddNumberToObject(c, numbers[i], v);
    }
    cJSON_AddBoolToObject(c, "ActionsEnabled",
                          cw__bool(b, "ActionsEnabled", 1));
    static const char *const lists[] = {"OKActions", "AlarmActions",
                                        "InsufficientDataActions"};
    for (size_t i = 0; i < sizeof lists / sizeof *lists; i++) {
        const cJSON *l = cw__list(b, lists[i]);
        cJSON_AddItemToObject(c, lists[i],
                              l ? cJSON_Duplicate(l, 1) : cJSON_CreateArray());
    }
    char *dims =
        cw__dims_canonical(cw__list(b, "Dimensions"), "Dimensions", err);
    if (!dims) {
        cJSON_Delete(c);
        return NULL;
    }
    cJSON_AddItemToObject(c, "Dimensions", cJSON_Parse(dims));
    free(dims);
    return c;
}

cJSON *cw__op_put_metric_alarm(aws_request *req, aws_error *err)
{
    if (cw_alarm_validate(req->body, err) != 0)
        return NULL;
    cJSON *config = cw_alarm_config(req->body, err);
    if (!config)
        return NULL;
    const char *name = cw__str(req->body, "AlarmName");
    stratus *srv = req->srv;
    int64_t now = clock_now_ms(&srv->clock);
    cw_alarm *old = cw_alarm_load(srv, req->account, req->region, name);
    char *text = cJSON_PrintUnformatted(config);
    sqlite3_stmt *s = store_stmt(
        srv->store,
        "INSERT INTO cw_alarm (account, region, name, config, state, reason,"
        " state_ms, transitioned_ms, config_ms, actions_enabled)"
        " VALUES (?1, ?2, ?3, ?4, 'INSUFFICIENT_DATA',"
        " 'Unchecked: Initial alarm creation', ?5, ?5, ?5, ?6)"
        " ON CONFLICT (account, region, name) DO UPDATE SET"
        " config = excluded.config, config_ms = excluded.config_ms,"
        " actions_enabled = excluded.actions_enabled");
    sqlite3_bind_text(s, 1, req->account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, req->region, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, text, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 5, now);
    sqlite3_bind_int(s, 6, cw__bool(req->body, "ActionsEnabled", 1));
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    free(text);
    if (rc != SQLITE_DONE) {
        cw_alarm_free(old);
        cJSON_Delete(config);
        aws_fail(err, AWS_ERR_INTERNAL_SERVER_ERROR, NULL);
        return NULL;
    }

    char summary[320];
    snprintf(summary, sizeof summary, "Alarm \"%s\" %s", name,
             old ? "updated" : "created");
    cJSON *data = cJSON_CreateObject();
    cJSON_AddStringToObject(data, "version", "1.0");
    cJSON_AddStringToObject(data, "type", old ? "Update" : "Create");
    if (old)
        cJSON_AddItemToObject(data, "originalUpdatedAlarm",
                              cJSON_Duplicate(old->config, 1));
    cJSON_AddItemToObject(data, old ? "updatedAlarm" : "createdAlarm", config);
    cw_history_add(srv, req->account, req->region, name, now,
                   "ConfigurationUpdate", summary, data);
    cJSON_Delete(data);
    cw_alarm_free(old);
    cw_alarm_schedule(srv, req->account, req->region, name);
    return cJSON_CreateObject();
}

/* ---- describing ---- */

static cJSON *cw_alarm_describe(const aws_request *req, const cw_alarm *a)
{
    const cJSON *c = a->config;
    char arn[512];
    cw_alarm_arn(req, req->account, req->region, a->name, arn, sizeof arn);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "AlarmName", a->name);
    cJSON_AddStringToObject(o, "AlarmArn", arn);
    if (cw__str(c, "AlarmDescription"))
        cJSON_AddStringToObject(o, "AlarmDescription",
                                cw__str(c, "AlarmDescription"));
    cw__add_time(req, o, "AlarmConfigurationUpdatedTimestamp", a->config_ms);
    cJSON_AddBoolToObject(o, "ActionsEnabled", a->actions_enabled);
    static const char *const lists[] = {"OKActions", "AlarmActions",
                                        "InsufficientDataActions"};
    for (size_t i = 0; i < 3; i++) {
        const cJSON *l = cJSON_GetObjectItemCaseSensitive(c, lists[i]);
        cJSON_AddItemToObject(o, lists[i],
                              l ? cJSON_Duplicate(l, 1) : cJSON_CreateArray());
    }
    cJSON_AddStringToObject(o, "StateValue", a->state);
    cJSON_AddStringToObject(o, "StateReason", a->reason);
    if (a->reason_data)
        cJSON_AddStringToObject(o, "StateReasonData", a->reason_data);
    cw__add_time(req, o, "StateUpdatedTimestamp", a->state_ms);
    static const char *const strings[] = {"MetricName", "Namespace",
                                          "Statistic", "ExtendedStatistic"};
    for (size_t i = 0; i < 4; i++)
        if (cw__str(c, strings[i]))
            cJSON_AddStringToObject(o, strings[i], cw__str(c, strings[i]));
    const cJSON *dims = cJSON_GetObjectItemCaseSensitive(c, "Dimensions");
    cJSON_AddItemToObject(
        o, "Dimensions", dims ? cJSON_Duplicate(dims, 1) : cJSON_CreateArray());
    static const char *const numbers[] = {"Period", "EvaluationPeriods",
                                          "DatapointsToAlarm", "Threshold"};
    for (size_t i = 0; i < 4; i++) {
        double v;
        if (cw__num(c, numbers[i], &v) > 0)
            cJSON_AddNumberToObject(o, numbers[i], v);
        if (i == 0 && cw__str(c, "Unit"))
            cJSON_AddStringToObject(o, "Unit", cw__str(c, "Unit"));
    }
    cJSON_AddStringToObject(o, "ComparisonOperator",
                            cw__str(c, "ComparisonOperator"));
    if (cw__str(c, "TreatMissingData"))
        cJSON_AddStringToObject(o, "TreatMissingData",
                                cw__str(c, "TreatMissingData"));
    if (cw__str(c, "EvaluateLowSampleCountPercentile"))
        cJSON_AddStringToObject(o, "EvaluateLowSampleCountPercentile",
                                cw__str(c, "EvaluateLowSampleCountPercentile"));
    cw__add_time(req, o, "StateTransitionedTimestamp", a->transitioned_ms);
    return o;
}

static int cw_max_records(const cJSON *b, int def, int *out, aws_error *err)
{
    double v = def;
    int rc = cw__num(b, "MaxRecords", &v);
    if (rc < 0 || v < 1 || v > 100 || v != floor(v))
        return aws_fail(err, AWS_ERR_INVALID_PARAMETER_VALUE,
                        "The parameter MaxRecords must be between 1 and 100.");
    *out = (int)v;
    return 0;
}

static int cw_token(const cJSON *b, long *skip, aws_error *err)
{
    const char *token = cw__str(b, "NextToken");
    *skip = 0;
    if (!token)
        return 0;
    char *end = NULL;
    *skip = strtol(token, &end, 10);
    if (!token[0] || *end || *skip < 0)
        return aws_fail(err, AWS_ERR_CW_INVALID_NEXT_TOKEN,
                        "The service returned an invalid next token.");
    return 0;
}

static int cw_name_listed(const cJSON *names, const char *name)
{
    const cJSON *n;
    cJSON_ArrayForEach(n, names)
    {
        if (cJSON_IsString(n) && strcmp(n->valuestring, name) == 0)
            return 1;
    }
    return 0;
}

static int cw_action_prefix(const cJSON *config, const char *prefix)
{
    static const char *const lists[] = {"OKActions", "AlarmActions",
                                        "InsufficientDataActions"};
    for (size_t i = 0; i < 3; i++) {
        const cJSON *a;
        cJSON_ArrayForEach(a,
                           cJSON_GetObjectItemCaseSensitive(config, lists[i]))
        {
            if (cJSON_IsString(a) &&
                strncmp(a->valuestring, prefix, strlen(prefix)) == 0)
                return 1;
        }
    }
    return 0;
}

cJSON *cw__op_describe_alarms(aws_request *req, aws_error *err)
{
    const cJSON *b = req->body;
    const cJSON *names = cw__list(b, "AlarmNames");
    const char *prefix = cw__str(b, "AlarmNamePrefix");
    const char *state = cw__str(b, "StateValue");
    const char *action = cw__str(b, "ActionPrefix");
    const cJSON *types = cw__list(b, "AlarmTypes");
    int max = 0;
    long skip = 0;
    if (names && prefix) {
        aws_fail(err, AWS_ERR_CW_INVALID_PARAMETER_COMBINATION,
                 "AlarmNames and AlarmNamePrefix cannot be specified "
                 "together.");
        return NULL;
    }
    if (names && cJSON_GetArraySize(names) > CW_MAX_ALARM_NAMES) {
        aws_fail(err, AWS_ERR_INVALID_PARAMETER_VALUE,
                 "The collection AlarmNames must not have a size greater "
                 "than %d.",
                 CW_MAX_ALARM_NAMES);
        return NULL;
    }
    if (state && strcmp(state, "OK") != 0 && strcmp(state, "ALARM") != 0 &&
        strcmp(state, "INSUFFICIENT_DATA") != 0) {
        aws_fail(err, AWS_ERR_INVALID_PARAMETER_VALUE,
                 "The value %s for parameter StateValue is invalid.", state);
        return NULL;
    }
    if (cw_max_records(b, 50, &max, err) != 0 || cw_token(b, &skip, err) != 0)
        return NULL;
    int metric_alarms = !types || cw_name_listed(types, "MetricAlarm");

    sqlite3_stmt *s =
        store_stmt(req->srv->store, "SELECT " CW_ALARM_COLUMNS " FROM cw_alarm"
                                    " WHERE account = ?1 AND region = ?2"
                                    " ORDER BY name");
    sqlite3_bind_text(s, 1, req->account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, req->region, -1, SQLITE_STATIC);
    cJSON *out = cJSON_CreateObject();
    cJSON *list = cJSON_AddArrayToObject(out, "MetricAlarms");
    long index = 0;
    int added = 0, more = 0;
    while (metric_alarms && sqlite3_step(s) == SQLITE_ROW) {
        cw_alarm *a = cw_alarm_row(s);
        int keep = (!names || cw_name_listed(names, a->name)) &&
                   (!prefix || strncmp(a->name, prefix, strlen(prefix)) == 0) &&
                   (!state || strcmp(a->state, state) == 0) &&
                   (!action || cw_action_prefix(a->config, action));
        if (keep && index++ >= skip) {
            if (added == max)
                more = 1;
            else {
                cJSON_AddItemToArray(list, cw_alarm_describe(req, a));
                added++;
            }
        }
        cw_alarm_free(a);
        if (more)
            break;
    }
    sqlite3_reset(s);
    cJSON_AddArrayToObject(out, "CompositeAlarms");
    if (more) {
        char next[32];
        snprintf(next, sizeof next, "%ld", skip + added);
        cJSON_AddStringToObject(out, "NextToken", next);
    }
    return out;
}

cJSON *cw__op_describe_alarms_for_metric(aws_request *req, aws_error *err)
{
    const cJSON *b = req->body;
    const char *ns = cw__str(b, "Namespace");
    const char *name = cw__str(b, "MetricName");
    if (!name)
        return cw__missing(err, "MetricName"), NULL;
    if (!ns)
        return cw__missing(err, "Namespace"), NULL;
    char *dims = NULL;
    if (cw__list(b, "Dimensions")) {
        dims = cw__dims_canonical(cw__list(b, "Dimensions"), "Dimensions", err);
        if (!dims)
            return NULL;
    }
    const char *stat = cw__str(b, "Statistic");
    const char *ext = cw__str(b, "ExtendedStatistic");
    const char *unit = cw__str(b, "Unit");
    double period = 0;
    int has_period = cw__num(b, "Period", &period) > 0;

    sqlite3_stmt *s =
        store_stmt(req->srv->store, "SELECT " CW_ALARM_COLUMNS " FROM cw_alarm"
                                    " WHERE account = ?1 AND region = ?2"
                                    " ORDER BY name");
    sqlite3_bind_text(s, 1, req->account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, req->region, -1, SQLITE_STATIC);
    cJSON *out = cJSON_CreateObject();
    cJSON *list = cJSON_AddArrayToObject(out, "MetricAlarms");
    while (sqlite3_step(s) == SQLITE_ROW) {
        cw_alarm *a = cw_alarm_row(s);
        const cJSON *c = a->config;
        char *alarm_dims = cJSON_PrintUnformatted(
            cJSON_GetObjectItemCaseSensitive(c, "Dimensions"));
        double p = 0;
        cw__num(c, "Period", &p);
        int keep =
            strcmp(cw__str(c, "Namespace"), ns) == 0 &&
            strcmp(cw__str(c, "MetricName"), name) == 0 &&
            (!dims || strcmp(alarm_dims, dims) == 0) &&
            (!stat || (cw__str(c, "Statistic") &&
                       strcmp(cw__str(c, "Statistic"), stat) == 0)) &&
            (!ext || (cw__str(c, "ExtendedStatistic") &&
                      strcmp(cw__str(c, "ExtendedStatistic"), ext) == 0)) &&
            (!unit ||
             (cw__str(c, "Unit") && strcmp(cw__str(c, "Unit"), unit) == 0)) &&
            (!has_period || p == period);
        if (keep)
            cJSON_AddItemToArray(list, cw_alarm_describe(req, a));
        free(alarm_dims);
        cw_alarm_free(a);
    }
    sqlite3_reset(s);
    free(dims);
    return out;
}

/* ---- changes ---- */

cJSON *cw__op_delete_alarms(aws_request *req, aws_error *err)
{
    const cJSON *names = cw__list(req->body, "AlarmNames");
    if (!names || cJSON_GetArraySize(names) == 0)
        return cw__missing(err, "AlarmNames"), NULL;
    if (cJSON_GetArraySize(names) > CW_MAX_ALARM_NAMES) {
        aws_fail(err, AWS_ERR_INVALID_PARAMETER_VALUE,
                 "The collection AlarmNames must not have a size greater "
                 "than %d.",
                 CW_MAX_ALARM_NAMES);
        return NULL;
    }
    /* All or nothing: check every name first. */
    int missing = 0;
    strbuf list;
    strbuf_init(&list);
    const cJSON *n;
    cJSON_ArrayForEach(n, names)
    {
        if (!cJSON_IsString(n))
            continue;
        cw_alarm *a =
            cw_alarm_load(req->srv, req->account, req->region, n->valuestring);
        if (!a) {
            strbuf_printf(&list, "%s%s", missing++ ? ", " : "", n->valuestring);
        }
        cw_alarm_free(a);
    }
    if (missing) {
        /* NOTE: the wording of this message is a guess. */
        aws_fail(err, AWS_ERR_CW_RESOURCE_NOT_FOUND, "%d alarm%s not found: %s",
                 missing, missing == 1 ? "" : "s", list.data);
        strbuf_free(&list);
        return NULL;
    }
    strbuf_free(&list);
    cJSON_ArrayForEach(n, names)
    {
        if (!cJSON_IsString(n))
            continue;
        sqlite3_stmt *s = store_stmt(req->srv->store,
                                     "DELETE FROM cw_alarm WHERE account = ?1"
                                     " AND region = ?2 AND name = ?3");
        sqlite3_bind_text(s, 1, req->account, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, req->region, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, n->valuestring, -1, SQLITE_STATIC);
        sqlite3_step(s);
        sqlite3_reset(s);
    }
    return cJSON_CreateObject();
}

cJSON *cw__op_set_alarm_state(aws_request *req, aws_error *err)
{
    const cJSON *b = req->body;
    const char *name = cw__str(b, "AlarmName");
    const char *state = cw__str(b, "StateValue");
    const char *reason = cw__str(b, "StateReason");
    const char *data = cw__str(b, "StateReasonData");
    if (!name)
        return cw__missing(err, "AlarmName"), NULL;
    if (!state)
        return cw__missing(err, "StateValue"), NULL;
    if (!reason)
        return cw__missing(err, "StateReason"), NULL;
    if (strcmp(state, "OK") != 0 && strcmp(state, "ALARM") != 0 &&
        strcmp(state, "INSUFFICIENT_DATA") != 0) {
        aws_fail(err, AWS_ERR_INVALID_PARAMETER_VALUE,
                 "The value %s for parameter StateValue is invalid.", state);
        return NULL;
    }
    if (data) {
        cJSON *parsed = cJSON_Parse(data);
        int ok = parsed != NULL;
        cJSON_Delete(parsed);
        if (!ok) {
            aws_fail(err, AWS_ERR_CW_INVALID_FORMAT,
                     "Invalid JSON in the parameter StateReasonData.");
            return NULL;
        }
    }
    cw_alarm *a = cw_alarm_load(req->srv, req->account, req->region, name);
    if (!a) {
        aws_fail(err, AWS_ERR_CW_RESOURCE_NOT_FOUND, "Alarm %s not found",
                 name);
        return NULL;
    }
    cw_alarm_set_state(req->srv, req->account, req->region, a, state, reason,
                       data, clock_now_ms(&req->srv->clock));
    cw_alarm_free(a);
    return cJSON_CreateObject();
}

static cJSON *cw_alarm_actions(aws_request *req, aws_error *err, int enabled)
{
    const cJSON *names = cw__list(req->body, "AlarmNames");
    if (!names)
        return cw__missing(err, "AlarmNames"), NULL;
    const cJSON *n;
    cJSON_ArrayForEach(n, names)
    {
        if (!cJSON_IsString(n))
            continue;
        sqlite3_stmt *s = store_stmt(
            req->srv->store,
            "UPDATE cw_alarm SET actions_enabled = ?4 WHERE account = ?1"
            " AND region = ?2 AND name = ?3");
        sqlite3_bind_text(s, 1, req->account, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, req->region, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, n->valuestring, -1, SQLITE_STATIC);
        sqlite3_bind_int(s, 4, enabled);
        sqlite3_step(s);
        sqlite3_reset(s);
    }
    return cJSON_CreateObject();
}

cJSON *cw__op_enable_alarm_actions(aws_request *req, aws_error *err)
{
    return cw_alarm_actions(req, err, 1);
}

cJSON *cw__op_disable_alarm_actions(aws_request *req, aws_error *err)
{
    return cw_alarm_actions(req, err, 0);
}

/* ---- DescribeAlarmHistory ---- */

cJSON *cw__op_describe_alarm_history(aws_request *req, aws_error *err)
{
    const cJSON *b = req->body;
    const char *name = cw__str(b, "AlarmName");
    const char *type = cw__str(b, "HistoryItemType");
    const char *scan = cw__str(b, "ScanBy");
    int64_t start = INT64_MIN, end = INT64_MAX;
    int max = 0;
    long skip = 0;
    if (type && strcmp(type, "ConfigurationUpdate") != 0 &&
        strcmp(type, "StateUpdate") != 0 && strcmp(type, "Action") != 0) {
        aws_fail(err, AWS_ERR_INVALID_PARAMETER_VALUE,
                 "The value %s for parameter HistoryItemType is invalid.",
                 type);
        return NULL;
    }
    if (cw__time(b, "StartDate", &start) < 0 ||
        cw__time(b, "EndDate", &end) < 0) {
        aws_fail(err, AWS_ERR_INVALID_PARAMETER_VALUE,
                 "The parameters StartDate and EndDate must be timestamps.");
        return NULL;
    }
    if (cw_max_records(b, 100, &max, err) != 0 || cw_token(b, &skip, err) != 0)
        return NULL;
    int ascending = scan && strcmp(scan, "TimestampAscending") == 0;

    sqlite3_stmt *s = store_stmt(
        req->srv->store,
        ascending
            ? "SELECT alarm, ts_ms, type, summary, data FROM cw_alarm_history"
              " WHERE account = ?1 AND region = ?2"
              " AND (?3 IS NULL OR alarm = ?3) AND (?4 IS NULL OR type = ?4)"
              " AND ts_ms >= ?5 AND ts_ms <= ?6 ORDER BY ts_ms, id"
              " LIMIT ?7 OFFSET ?8"
            : "SELECT alarm, ts_ms, type, summary, data FROM cw_alarm_history"
              " WHERE account = ?1 AND region = ?2"
              " AND (?3 IS NULL OR alarm = ?3) AND (?4 IS NULL OR type = ?4)"
              " AND ts_ms >= ?5 AND ts_ms <= ?6 ORDER BY ts_ms DESC, id DESC"
              " LIMIT ?7 OFFSET ?8");
    sqlite3_bind_text(s, 1, req->account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, req->region, -1, SQLITE_STATIC);
    if (name)
        sqlite3_bind_text(s, 3, name, -1, SQLITE_STATIC);
    if (type)
        sqlite3_bind_text(s, 4, type, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 5, start);
    sqlite3_bind_int64(s, 6, end);
    sqlite3_bind_int(s, 7, max + 1);
    sqlite3_bind_int64(s, 8, skip);
    cJSON *out = cJSON_CreateObject();
    cJSON *items = cJSON_AddArrayToObject(out, "AlarmHistoryItems");
    int added = 0, more = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
        if (added == max) {
            more = 1;
            break;
        }
        cJSON *h = cJSON_CreateObject();
        cJSON_AddStringToObject(h, "AlarmName",
                                (const char *)sqlite3_column_text(s, 0));
        cJSON_AddStringToObject(h, "AlarmType", "MetricAlarm");
        cw__add_time(req, h, "Timestamp", sqlite3_column_int64(s, 1));
        cJSON_AddStringToObject(h, "HistoryItemType",
                                (const char *)sqlite3_column_text(s, 2));
        cJSON_AddStringToObject(h, "HistorySummary",
                                (const char *)sqlite3_column_text(s, 3));
        cJSON_AddStringToObject(h, "HistoryData",
                                (const char *)sqlite3_column_text(s, 4));
        cJSON_AddItemToArray(items, h);
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
