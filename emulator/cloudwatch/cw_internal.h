/*
 * cw_internal.h: what the files of the CloudWatch service share. Nothing
 * here is used outside emulator/cloudwatch/.
 *
 * Storage (SQLite, schema in cw.c):
 *   cw_metric         one row per metric: namespace, name and dimension
 *                     set (canonical JSON, sorted by name), with the time
 *                     of its newest datum for ListMetrics.
 *   cw_datum          one row per published datum or statistic set: time,
 *                     unit, sample count, sum, minimum, maximum, and the
 *                     raw values with their counts when known (percentiles).
 *                     cw_metric_add keeps one aggregated row per metric,
 *                     minute and unit instead.
 *   cw_alarm          one row per metric alarm: its PutMetricAlarm request
 *                     as JSON, state, reason and times.
 *   cw_alarm_history  configuration and state changes of alarms.
 *   cw_dashboard      dashboards: name, body and modification time.
 */
#ifndef STRATUS_CW_INTERNAL_H
#define STRATUS_CW_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "aws.h"
#include "cw.h"
#include "stratus.h"

/* The job that evaluates one alarm each minute. */
#define CW_ALARM_JOB "cloudwatch.alarm"
/* PutMetricData accepts data this far in the past and in the future. */
#define CW_MAX_AGE_MS (14LL * 24 * 3600 * 1000)
#define CW_MAX_FUTURE_MS (2LL * 3600 * 1000)
/* GetMetricStatistics returns at most this many datapoints. */
#define CW_MAX_DATAPOINTS 1440

/* The statistics of one period (and unit) of one metric. */
typedef struct cw_bucket {
    int64_t start_ms;
    char unit[32];
    double count, sum, min, max;
    /* Raw values and their counts, for percentiles; `exact` is cleared
     * when a statistic set without values fell into the period. */
    double *values, *counts;
    size_t nvalues, cap;
    int exact;
} cw_bucket;

typedef struct cw_buckets {
    cw_bucket *items;
    size_t count;
} cw_buckets;

/* Per-instance state: the metric id cache of cw_publish.c. */
typedef struct cw_state cw_state;
cw_state *cw__state(stratus *srv);
void cw__state_free(stratus *srv);

/* ---- cw.c: request helpers ---- */

/* Whether the request came over the Query protocol (XML responses). */
int cw__is_query(const aws_request *req);
/* A string member or NULL. */
const char *cw__str(const cJSON *obj, const char *name);
/* A list member: an array, or NULL when absent or sent empty ("Name="). */
const cJSON *cw__list(const cJSON *obj, const char *name);
/* A number given as a JSON number or as a string (Query). Returns 1 when
 * present and valid, 0 when absent, -1 when not a number. */
int cw__num(const cJSON *obj, const char *name, double *out);
/* The same for a value itself (a list entry). */
int cw__num_value(const cJSON *value, double *out);
/* A boolean given as JSON or as "true"/"false". Returns `def` when absent. */
int cw__bool(const cJSON *obj, const char *name, int def);
/* A timestamp: epoch seconds (JSON 1.0) or ISO 8601 text (Query). Returns
 * 1 when present and valid, 0 when absent, -1 when invalid. */
int cw__time(const cJSON *obj, const char *name, int64_t *ms);
/* Add a timestamp member as the request's protocol encodes it. */
void cw__add_time(const aws_request *req, cJSON *obj, const char *name,
                  int64_t ms);
/* Format `ms` as "2026-01-02T03:04:05.000Z". */
void cw__iso(int64_t ms, char out[32]);
/* Whether `unit` is one of CloudWatch's StandardUnit names. */
int cw__unit_valid(const char *unit);
/* Fail with MissingParameter: "The parameter X is required." */
int cw__missing(aws_error *err, const char *member);

/* ---- cw_metrics.c ---- */

cJSON *cw__op_put_metric_data(aws_request *req, aws_error *err);
cJSON *cw__op_get_metric_statistics(aws_request *req, aws_error *err);
cJSON *cw__op_get_metric_data(aws_request *req, aws_error *err);
cJSON *cw__op_list_metrics(aws_request *req, aws_error *err);

/*
 * Canonical text of a dimension list (an array of {Name, Value}) sorted by
 * name, checking names, values and the count. `member_path` names the
 * member in messages ("Dimensions"). Returns a new string, or NULL after
 * filling err.
 */
char *cw__dims_canonical(const cJSON *dims, const char *member_path,
                         aws_error *err);

/*
 * Collect the statistics of a metric over [start_ms, end_ms) in periods of
 * `period_s` seconds starting at start_ms, separately per unit (only `unit`
 * when not NULL). Periods without data are left out. The caller frees the
 * result with cw__buckets_free.
 */
void cw__buckets_collect(stratus *srv, const char *account, const char *region,
                         const char *ns, const char *name,
                         const char *dims_json, int64_t start_ms,
                         int64_t end_ms, int64_t period_s, const char *unit,
                         cw_buckets *out);
void cw__buckets_free(cw_buckets *b);
/* The value of a statistic ("Sum", "Average", "Minimum", "Maximum",
 * "SampleCount", "pNN.NN") in a bucket. Returns 0 when it has none. */
int cw__stat_value(const cw_bucket *b, const char *stat, double *out);
/* Whether `stat` names a percentile statistic such as "p99" or "p99.9". */
int cw__is_percentile(const char *stat);

/* The id of a metric, created when missing; its last datum time moves to
 * `ts_ms` when that is newer. Returns -1 on a store error. */
int64_t cw__metric_touch(stratus *srv, const char *account, const char *region,
                         const char *ns, const char *name, const char *dims,
                         int64_t ts_ms);

/* ---- cw_alarms.c ---- */

cJSON *cw__op_put_metric_alarm(aws_request *req, aws_error *err);
cJSON *cw__op_describe_alarms(aws_request *req, aws_error *err);
cJSON *cw__op_describe_alarms_for_metric(aws_request *req, aws_error *err);
cJSON *cw__op_delete_alarms(aws_request *req, aws_error *err);
cJSON *cw__op_set_alarm_state(aws_request *req, aws_error *err);
cJSON *cw__op_describe_alarm_history(aws_request *req, aws_error *err);
cJSON *cw__op_enable_alarm_actions(aws_request *req, aws_error *err);
cJSON *cw__op_disable_alarm_actions(aws_request *req, aws_error *err);
int64_t cw__alarm_job(stratus *srv, const char *account, const char *region,
                      const cJSON *payload);

/* ---- cw_dashboards.c ---- */

cJSON *cw__op_put_dashboard(aws_request *req, aws_error *err);
cJSON *cw__op_get_dashboard(aws_request *req, aws_error *err);
cJSON *cw__op_list_dashboards(aws_request *req, aws_error *err);
cJSON *cw__op_delete_dashboards(aws_request *req, aws_error *err);

#endif
