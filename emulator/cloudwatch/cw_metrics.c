/*
 * cw_metrics.c: CloudWatch metrics: PutMetricData, cw_metric_add for other
 * services, the statistics of a period, GetMetricStatistics, GetMetricData
 * (MetricStat queries) and ListMetrics. cw_metric_add is in cw_publish.c.
 *
 * Periods start at the request's StartTime rounded down to the minute
 * (kept to the second for periods under 60 s), as CloudWatch does for data
 * younger than 15 days, and a period is reported only when it has data.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "cw_internal.h"
#include "log.h"
#include "store.h"
#include "util.h"

#define CW_MAX_DIMENSIONS 30
#define CW_MAX_METRIC_DATA 1000
#define CW_MAX_VALUES 150
#define CW_LIST_PAGE 500

/* ---- dimensions ---- */

static int cw_dim_cmp(const void *a, const void *b)
{
    const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
    return strcmp(cw__str(x, "Name"), cw__str(y, "Name"));
}

char *cw__dims_canonical(const cJSON *dims, const char *member_path,
                         aws_error *err)
{
    size_t n = dims ? (size_t)cJSON_GetArraySize(dims) : 0;
    if (n > CW_MAX_DIMENSIONS) {
        aws_fail(err, AWS_ERR_INVALID_PARAMETER_VALUE,
                 "The collection %s must not have a size greater than %d.",
                 member_path, CW_MAX_DIMENSIONS);
        return NULL;
    }
    const cJSON **sorted = xcalloc(n ? n : 1, sizeof *sorted);
    size_t i = 0;
    const cJSON *d;
    cJSON_ArrayForEach(d, dims)
    {
        const char *name = cw__str(d, "Name");
        const char *value = cw__str(d, "Value");
        if (!name || !name[0] || strlen(name) > 255) {
            if (name)
                aws_fail(err, AWS_ERR_INVALID_PARAMETER_VALUE,
                         "The value %s for parameter %s.member.%zu.Name is "
                         "invalid.",
                         name, member_path, i + 1);
            else
                aws_fail(err, AWS_ERR_CW_MISSING_PARAMETER,
                         "The parameter %s.member.%zu.Name is required.",
                         member_path, i + 1);
            free(sorted);
            return NULL;
        }
        if (!value || !value[0] || strlen(value) > 1024) {
            if (value)
                aws_fail(err, AWS_ERR_INVALID_PARAMETER_VALUE,
                         "The parameter %s.member.%zu.Value must be between 1 "
                         "and 1024 characters long.",
                         member_path, i + 1);
            else
                aws_fail(err, AWS_ERR_CW_MISSING_PARAMETER,
                         "The parameter %s.member.%zu.Value is required.",
                         member_path, i + 1);
            free(sorted);
            return NULL;
        }
        sorted[i++] = d;
    }
    qsort(sorted, n, sizeof *sorted, cw_dim_cmp);
    cJSON *out = cJSON_CreateArray();
    for (i = 0; i < n; i++) {
        if (i > 0 && strcmp(cw__str(sorted[i], "Name"),
                            cw__str(sorted[i - 1], "Name")) == 0) {
            aws_fail(err, AWS_ERR_INVALID_PARAMETER_VALUE,
                     "No metric may have duplicate dimension names: %s.",
                     cw__str(sorted[i], "Name"));
            cJSON_Delete(out);
            free(sorted);
            return NULL;
        }
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "Name", cw__str(sorted[i], "Name"));
        cJSON_AddStringToObject(o, "Value", cw__str(sorted[i], "Value"));
        cJSON_AddItemToArray(out, o);
    }
    free(sorted);
    char *text = cJSON_PrintUnformatted(out);
    cJSON_Delete(out);
    return text;
}

/* ---- storage ---- */

int64_t cw__metric_touch(stratus *srv, const char *account, const char *region,
                         const char *ns, const char *name, const char *dims,
                         int64_t ts_ms)
{
    sqlite3_stmt *s = store_stmt(
        srv->store,
        "INSERT INTO cw_metric (account, region, namespace, name, dims,"
        " last_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
        " ON CONFLICT (account, region, namespace, name, dims) DO UPDATE"
        " SET last_ms = max(last_ms, excluded.last_ms) RETURNING id");
    sqlite3_bind_text(s, 1, account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, region, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, ns, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, dims, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 6, ts_ms);
    int64_t id =
        sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
    sqlite3_reset(s);
    return id;
}

static int cw_datum_insert(stratus *srv, int64_t metric_id, int64_t ts_ms,
                           const char *unit, double count, double sum,
                           double min, double max, const char *vals)
{
    sqlite3_stmt *s = store_stmt(
        srv->store,
        "INSERT INTO cw_datum (metric_id, ts_ms, unit, count, sum, min, max,"
        " vals) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    sqlite3_bind_int64(s, 1, metric_id);
    sqlite3_bind_int64(s, 2, ts_ms);
    sqlite3_bind_text(s, 3, unit, -1, SQLITE_STATIC);
    sqlite3_bind_double(s, 4, count);
    sqlite3_bind_double(s, 5, sum);
    sqlite3_bind_double(s, 6, min);
    sqlite3_bind_double(s, 7, max);
    if (vals)
        sqlite3_bind_text(s, 8, vals, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, 8);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* ---- PutMetricData ---- */

/* Whether CloudWatch accepts `v`: finite, and 0 or of a magnitude between
 * 2^-260 and 2^360. */
static int cw_value_valid(double v)
{
    if (!isfinite(v))
        return 0;
    double a = fabs(v);
    return a == 0 || (a >= ldexp(1.0, -260) && a <= ldexp(1.0, 360));
}

/* Read the value `m` of datum `i` at `member_path`: 1, 0 when absent, or -1
 * after filling `err`. */
static int cw_datum_number(const cJSON *m, int i, const char *member_path,
                           double *out, aws_error *err)
{
    int rc = cw__num_value(m, out);
    if (rc == 0)
        return 0;
    if (rc < 0 || !cw_value_valid(*out)) {
        char *text = cJSON_IsString(m) ? xstrdup(m->valuestring)
                                       : cJSON_PrintUnformatted(m);
        aws_fail(err, AWS_ERR_INVALID_PARAMETER_VALUE,
                 "The value %s for parameter MetricData.member.%d.%s is "
                 "invalid.",
                 text, i, member_path);
        free(text);
        return -1;
    }
    return 1;
}

static int cw_datum_value(const cJSON *obj, const char *member, int i,
                          const char *member_path, double *out, aws_error *err)
{
    return cw_datum_number(cJSON_GetObjectItemCaseSensitive(obj, member), i,
                           member_path, out, err);
}

/* Validate and store one MetricData entry (1-based index `i`). */
static int cw_put_datum(aws_request *req, const char *ns, const cJSON *d, int i,
                        int64_t now, aws_error *err)
{
    char path[96];
    const char *name = cw__str(d, "MetricName");
    if (!name || !name[0])
        return aws_fail(err, AWS_ERR_CW_MISSING_PARAMETER,
                        "The parameter MetricData.member.%d.MetricName is "
                        "required.",
                        i);
    if (strlen(name) > 255)
        return aws_fail(err, AWS_ERR_INVALID_PARAMETER_VALUE,
                        "The parameter MetricData.member.%d.MetricName must "
                        "be between 1 and 255 characters long.",
                        i);

    const char *unit = cw__str(d, "Unit");
    if (unit && !cw__unit_valid(unit))
        return aws_fail(err, AWS_ERR_INVALID_PARAMETER_VALUE,
                        "The value %s for parameter MetricData.member.%d.Unit "
                        "is invalid.",
                        unit, i);
    double resolution = 60;
    if (cw__num(d, "StorageResolution", &resolution) < 0 ||
        (resolution != 1 && resolution != 60))
        return aws_fail(err, AWS_ERR_INVALID_PARAMETER_VALUE,
                        "The parameter MetricData.member.%d.StorageResolution "
                        "must be 1 or 60.",
                        i);

    int64_t ts = now;
    int trc = cw__time(d, "Timestamp", &ts);
    if (trc < 0)
        return aws_fail(err, AWS_ERR_INVALID_PARAMETER_VALUE,
                        "The parameter MetricData.member.%d.Timestamp is not "
                        "a valid timestamp.",
                        i);
    if (ts < now - CW_MAX_AGE_MS)
        return aws_fail(err, AWS_ERR_INVALID_PARAMETER_VALUE,
                        "The parameter MetricData.member.%d.Timestamp must "
                        "specify a time no more than two weeks in the past.",
                        i);
    if (ts > now + CW_MAX_FUTURE_MS)
        return aws_fail(err, AWS_ERR_INVALID_PARAMETER_VALUE,
                        "The parameter MetricData.member.%d.Timestamp must "
                        "specify a time no more than two hours in the future.",
                        i);

    double value = 0;
    int has_value = cw_datum_value(d, "Value", i, "Value", &value, err);
    if (has_value < 0)
        return -1;
    const cJSON *values = cw__list(d, "Values");
    const cJSON *counts = cw__list(d, "Counts");
    const cJSON *stats = cJSON_GetObjectItemCaseSensitive(d, "StatisticValues");
    if (!cJSON_IsObject(stats))
        stats = NULL;
    if (has_value && values && cJSON_GetArraySize(values) > 0)
        return aws_fail(err, AWS_ERR_CW_INVALID_PARAMETER_COMBINATION,
                        "The parameters MetricData.member.%d.Value and "
                        "MetricData.member.%d.Values are mutually exclusive "
                        "and you have specified both.",
                        i, i);
    if (has_value && stats)
        return aws_fail(err, AWS_ERR_CW_INVALID_PARAMETER_COMBINATION,
                        "The parameters MetricData.member.%d.Value and "
                        "MetricData.member.%d.StatisticValues are mutually "
                        "exclusive and you have specified both.",
                        i, i);
    if (stats && values && cJSON_GetArraySize(values) > 0)
        return aws_fail(err, AWS_ERR_CW_INVALID_PARAMETER_COMBINATION,
                        "The parameters MetricData.member.%d.Values and "
                        "MetricData.member.%d.StatisticValues are mutually "
                        "exclusive and you have specified both.",
                        i, i);

    snprintf(path, sizeof path, "MetricData.member.%d.Dimensions", i);
    char *dims = cw__dims_canonical(cw__list(d, "Dimensions"), path, err);
    if (!dims)
        return -1;

    double count = 1, sum = value, min = value, max = value;
    char *vals = NULL;
    if (stats) {
        static const char *const members[] = {"SampleCount", "Sum", "Minimum",
                                              "Maximum"};
        double *targets[] = {&count, &sum, &min, &max};
        for (size_t k = 0; k < 4; k++) {
            char member_path[48];
            snprintf(member_path, sizeof member_path, "StatisticValues.%s",
                     members[k]);
            int rc = cw_datum_value(stats, members[k], i, member_path,
                                    targets[k], err);
            if (rc == 0)
                aws_fail(err, AWS_ERR_CW_MISSING_PARAMETER,
                         "The parameter MetricData.member.%d.%s is required.",
                         i, member_path);
            if (rc <= 0) {
                free(dims);
                return -1;
            }
        }
        if (count <= 0 || min > max) {
            free(dims);
            return aws_fail(err, AWS_ERR_INVALID_PARAMETER_VALUE,
                            "The parameter MetricData.member.%d."
                            "StatisticValues is invalid: SampleCount must be "
                            "positive and Minimum not above Maximum.",
                            i);
        }
    } else if (values && cJSON_GetArraySize(values) > 0) {
        int n = cJSON_GetArraySize(values);
        if (n > CW_MAX_VALUES) {
            free(dims);
            return aws_fail(err, AWS_ERR_INVALID_PARAMETER_VALUE,
                            "The collection MetricData.member.%d.Values must "
                            "not have a size greater than %d.",
                            i, CW_MAX_VALUES);
        }
        if (counts && cJSON_GetArraySize(counts) > 0 &&
            cJSON_GetArraySize(counts) != n) {
            free(dims);
            return aws_fail(err, AWS_ERR_INVALID_PARAMETER_VALUE,
                            "The parameters MetricData.member.%d.Values and "
                            "MetricData.member.%d.Counts must be of the same "
                            "size.",
                            i, i);
        }
        cJSON *vlist = cJSON_CreateArray(), *clist = cJSON_CreateArray();
        count = sum = 0;
        for (int k = 0; k < n; k++) {
            const cJSON *item = cJSON_GetArrayItem(values, k);
            const cJSON *citem = counts && cJSON_GetArraySize(counts) > 0
                                     ? cJSON_GetArrayItem(counts, k)
                                     : NULL;
            char member_path[48];
            snprintf(member_path, sizeof member_path, "Values.member.%d",
                     k + 1);
            double v = 0, c = 1;
            int rc = cw_datum_number(item, i, member_path, &v, err);
            if (rc > 0 && citem) {
                snprintf(member_path, sizeof member_path, "Counts.member.%d",
                         k + 1);
                rc = cw_datum_number(citem, i, member_path, &c, err);
                if (rc > 0 && c < 0)
                    rc = aws_fail(err, AWS_ERR_INVALID_PARAMETER_VALUE,
                                  "The value %g for parameter "
                                  "MetricData.member.%d.%s is invalid.",
                                  c, i, member_path);
            }
            if (rc <= 0) {
                cJSON_Delete(vlist);
                cJSON_Delete(clist);
                free(dims);
                return -1;
            }
            cJSON_AddItemToArray(vlist, cJSON_CreateNumber(v));
            cJSON_AddItemToArray(clist, cJSON_CreateNumber(c));
            if (count == 0 || v < min)
                min = v;
            if (count == 0 || v > max)
                max = v;
            count += c;
            sum += v * c;
        }
        cJSON *pack = cJSON_CreateObject();
        cJSON_AddItemToObject(pack, "v", vlist);
        cJSON_AddItemToObject(pack, "c", clist);
        vals = cJSON_PrintUnformatted(pack);
        cJSON_Delete(pack);
    } else if (!has_value) {
        free(dims);
        return aws_fail(err, AWS_ERR_CW_MISSING_PARAMETER,
                        "The parameter MetricData.member.%d.Value is "
                        "required.",
                        i);
    }

    int64_t id = cw__metric_touch(req->srv, req->account, req->region, ns, name,
                                  dims, ts);
    int rc = id < 0 ? -1
                    : cw_datum_insert(req->srv, id, ts, unit ? unit : "None",
                                      count, sum, min, max, vals);
    free(dims);
    free(vals);
    if (rc != 0)
        return aws_fail(err, AWS_ERR_INTERNAL_SERVER_ERROR, NULL);
    return 0;
}

cJSON *cw__op_put_metric_data(aws_request *req, aws_error *err)
{
    const char *ns = cw__str(req->body, "Namespace");
    if (!ns || !ns[0])
        return cw__missing(err, "Namespace"), NULL;
    if (strlen(ns) > 255 || strncmp(ns, "AWS/", 4) == 0 || ns[0] == ':') {
        aws_fail(err, AWS_ERR_INVALID_PARAMETER_VALUE,
                 "The value %s for parameter Namespace is invalid.", ns);
        return NULL;
    }
    const cJSON *data = cw__list(req->body, "MetricData");
    int n = data ? cJSON_GetArraySize(data) : 0;
    if (n == 0)
        return cw__missing(err, "MetricData"), NULL;
    if (n > CW_MAX_METRIC_DATA) {
        aws_fail(err, AWS_ERR_INVALID_PARAMETER_VALUE,
                 "The collection MetricData must not have a size greater "
                 "than %d.",
                 CW_MAX_METRIC_DATA);
        return NULL;
    }
    int64_t now = clock_now_ms(&req->srv->clock);
    int i = 0;
    const cJSON *d;
    cJSON_ArrayForEach(d, data)
    {
        if (cw_put_datum(req, ns, d, ++i, now, err) != 0)
            return NULL;
    }
    return cJSON_CreateObject();
}

/* ---- statistics ---- */

void cw__buckets_free(cw_buckets *b)
{
    for (size_t i = 0; i < b->count; i++) {
        free(b->items[i].values);
        free(b->items[i].counts);
    }
    free(b->items);
    b->items = NULL;
    b->count = 0;
}

static void cw_bucket_push(cw_bucket *b, double v, double c)
{
    if (b->nvalues == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 8;
        b->values = xrealloc(b->values, b->cap * sizeof *b->values);
        b->counts = xrealloc(b->counts, b->cap * sizeof *b->counts);
    }
    b->values[b->nvalues] = v;
    b->counts[b->nvalues] = c;
    b->nvalues++;
}

static cw_bucket *cw_bucket_for(cw_buckets *out, int64_t start,
                                const char *unit)
{
    for (size_t i = 0; i < out->count; i++)
        if (out->items[i].start_ms == start &&
            strcmp(out->items[i].unit, unit) == 0)
            return &out->items[i];
    out->items = xrealloc(out->items, (out->count + 1) * sizeof *out->items);
    cw_bucket *b = &out->items[out->count++];
    memset(b, 0, sizeof *b);
    b->start_ms = start;
    snprintf(b->unit, sizeof b->unit, "%s", unit);
    b->exact = 1;
    return b;
}

static int cw_bucket_cmp(const void *a, const void *b)
{
    const cw_bucket *x = a, *y = b;
    if (x->start_ms != y->start_ms)
        return (x->start_ms > y->start_ms) - (x->start_ms < y->start_ms);
    return strcmp(x->unit, y->unit);
}

void cw__buckets_collect(stratus *srv, const char *account, const char *region,
                         const char *ns, const char *name,
                         const char *dims_json, int64_t start_ms,
                         int64_t end_ms, int64_t period_s, const char *unit,
                         cw_buckets *out)
{
    memset(out, 0, sizeof *out);
    int64_t period_ms = period_s * 1000;
    if (period_ms <= 0)
        return;
    sqlite3_stmt *s = store_stmt(
        srv->store,
        "SELECT d.ts_ms, d.unit, d.count, d.sum, d.min, d.max, d.vals"
        " FROM cw_metric m JOIN cw_datum d ON d.metric_id = m.id"
        " WHERE m.account = ?1 AND m.region = ?2 AND m.namespace = ?3"
        " AND m.name = ?4 AND m.dims = ?5 AND d.ts_ms >= ?6 AND d.ts_ms < ?7"
        " AND (?8 IS NULL OR d.unit = ?8) ORDER BY d.ts_ms");
    sqlite3_bind_text(s, 1, account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, region, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, ns, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, dims_json, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 6, start_ms);
    sqlite3_bind_int64(s, 7, end_ms);
    if (unit)
        sqlite3_bind_text(s, 8, unit, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, 8);
    while (sqlite3_step(s) == SQLITE_ROW) {
        int64_t ts = sqlite3_column_int64(s, 0);
        int64_t start = start_ms + (ts - start_ms) / period_ms * period_ms;
        cw_bucket *b =
            cw_bucket_for(out, start, (const char *)sqlite3_column_text(s, 1));
        double count = sqlite3_column_double(s, 2);
        double sum = sqlite3_column_double(s, 3);
        double min = sqlite3_column_double(s, 4);
        double max = sqlite3_column_double(s, 5);
        if (b->count == 0 || min < b->min)
            b->min = min;
        if (b->count == 0 || max > b->max)
            b->max = max;
        b->count += count;
        b->sum += sum;
        const char *vals = (const char *)sqlite3_column_text(s, 6);
        if (vals) {
            cJSON *pack = cJSON_Parse(vals);
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(pack, "v");
            const cJSON *c = cJSON_GetObjectItemCaseSensitive(pack, "c");
            int n = cJSON_GetArraySize(v);
            for (int k = 0; k < n; k++)
                cw_bucket_push(b, cJSON_GetArrayItem(v, k)->valuedouble,
                               cJSON_GetArrayItem(c, k)->valuedouble);
            cJSON_Delete(pack);
        } else if (count == 1) {
            cw_bucket_push(b, sum, 1);
        } else {
            b->exact = 0;
        }
    }
    sqlite3_reset(s);
    if (out->count > 1)
        qsort(out->items, out->count, sizeof *out->items, cw_bucket_cmp);
}

int cw__is_percentile(const char *stat)
{
    if (stat[0] != 'p' || !stat[1])
        return 0;
    char *end = NULL;
    double p = strtod(stat + 1, &end);
    return *end == '\0' && p >= 0 && p <= 100 && stat[1] != '-' &&
           stat[1] != '+';
}

static int cw_value_cmp(const void *a, const void *b)
{
    const double *x = a, *y = b;
    return (x[0] > y[0]) - (x[0] < y[0]);
}

/* The nearest-rank percentile `p` of the bucket's raw values. */
static int cw_percentile(const cw_bucket *b, double p, double *out)
{
    if (!b->exact || b->nvalues == 0)
        return 0;
    double *pairs = xmalloc(b->nvalues * 2 * sizeof *pairs);
    double total = 0;
    for (size_t i = 0; i < b->nvalues; i++) {
        pairs[2 * i] = b->values[i];
        pairs[2 * i + 1] = b->counts[i];
        total += b->counts[i];
    }
    qsort(pairs, b->nvalues, 2 * sizeof *pairs, cw_value_cmp);
    double rank = ceil(p / 100.0 * total);
    if (rank < 1)
        rank = 1;
    double seen = 0;
    *out = pairs[2 * (b->nvalues - 1)];
    for (size_t i = 0; i < b->nvalues; i++) {
        seen += pairs[2 * i + 1];
        if (seen >= rank) {
            *out = pairs[2 * i];
            break;
        }
    }
    free(pairs);
    return total > 0;
}

int cw__stat_value(const cw_bucket *b, const char *stat, double *out)
{
    if (b->count <= 0)
        return 0;
    if (strcmp(stat, "Sum") == 0)
        *out = b->sum;
    else if (strcmp(stat, "Average") == 0)
        *out = b->sum / b->count;
    else if (strcmp(stat, "Minimum") == 0)
        *out = b->min;
    else if (strcmp(stat, "Maximum") == 0)
        *out = b->max;
    else if (strcmp(stat, "SampleCount") == 0)
        *out = b->count;
    else if (cw__is_percentile(stat))
        return cw_percentile(b, strtod(stat + 1, NULL), out);
    else
        return 0;
    return 1;
}

static int cw_statistic_valid(const char *s)
{
    return strcmp(s, "SampleCount") == 0 || strcmp(s, "Average") == 0 ||
           strcmp(s, "Sum") == 0 || strcmp(s, "Minimum") == 0 ||
           strcmp(s, "Maximum") == 0;
}

/*
 * Check the time range and period shared by GetMetricStatistics and
 * GetMetricData, and round the start as CloudWatch does. Returns 0, or -1
 * after filling `err`.
 */
static int cw_range(const aws_request *req, int64_t *start, int64_t *end,
                    aws_error *err)
{
    int rs = cw__time(req->body, "StartTime", start);
    int re = cw__time(req->body, "EndTime", end);
    if (rs == 0)
        return cw__missing(err, "StartTime");
    if (re == 0)
        return cw__missing(err, "EndTime");
    if (rs < 0 || re < 0)
        return aws_fail(err, AWS_ERR_INVALID_PARAMETER_VALUE,
                        "The parameter %s is not a valid timestamp.",
                        rs < 0 ? "StartTime" : "EndTime");
    if (*start >= *end)
        return aws_fail(err, AWS_ERR_INVALID_PARAMETER_VALUE,
                        "The parameter StartTime must be less than the "
                        "parameter EndTime.");
    return 0;
}

/* Round a start time down as CloudWatch does for recent data. */
static int64_t cw_round_start(int64_t start, int64_t period_s)
{
    int64_t unit = period_s % 60 == 0 ? 60000 : 1000;
    return start - ((start % unit) + unit) % unit;
}

static int cw_period(const cJSON *obj, const char *member, int64_t *period,
                     aws_error *err)
{
    double p = 0;
    int rc = cw__num(obj, member, &p);
    if (rc == 0)
        return cw__missing(err, member);
    if (rc < 0 || p < 1 || p != floor(p))
        return aws_fail(err, AWS_ERR_INVALID_PARAMETER_VALUE,
                        "The parameter %s must be greater than 0.", member);
    int64_t v = (int64_t)p;
    if (v % 60 != 0 && v != 1 && v != 5 && v != 10 && v != 30)
        return aws_fail(err, AWS_ERR_INVALID_PARAMETER_VALUE,
                        "The parameter %s must be a multiple of 60.", member);
    *period = v;
    return 0;
}

/* ---- GetMetricStatistics ---- */

cJSON *cw__op_get_metric_statistics(aws_request *req, aws_error *err)
{
    const cJSON *b = req->body;
    const char *ns = cw__str(b, "Namespace");
    const char *name = cw__str(b, "MetricName");
    if (!ns || !ns[0])
        return cw__missing(err, "Namespace"), NULL;
    if (!name || !name[0])
        return cw__missing(err, "MetricName"), NULL;
    int64_t start, end, period;
    if (cw_range(req, &start, &end, err) != 0)
        return NULL;
    if (cw_period(b, "Period", &period, err) != 0)
        return NULL;
    const cJSON *stats = cw__list(b, "Statistics");
    const cJSON *ext = cw__list(b, "ExtendedStatistics");
    int nstats = stats ? cJSON_GetArraySize(stats) : 0;
    int next = ext ? cJSON_GetArraySize(ext) : 0;
    if ((nstats == 0) == (next == 0)) {
        aws_fail(err, AWS_ERR_CW_INVALID_PARAMETER_COMBINATION,
                 "Must specify either Statistics or ExtendedStatistics, but "
                 "not both.");
        return NULL;
    }
    if (nstats > 5 || next > 10) {
        aws_fail(err, AWS_ERR_INVALID_PARAMETER_VALUE,
                 "The collection %s must not have a size greater than %d.",
                 nstats > 5 ? "Statistics" : "ExtendedStatistics",
                 nstats > 5 ? 5 : 10);
        return NULL;
    }
    int i = 0;
    const cJSON *s;
    cJSON_ArrayForEach(s, stats)
    {
        i++;
        if (!cJSON_IsString(s) || !cw_statistic_valid(s->valuestring)) {
            aws_fail(err, AWS_ERR_INVALID_PARAMETER_VALUE,
                     "The parameter Statistics.member.%d must be a value in "
                     "the set [ SampleCount, Average, Sum, Minimum, Maximum "
                     "].",
                     i);
            return NULL;
        }
    }
    i = 0;
    cJSON_ArrayForEach(s, ext)
    {
        i++;
        if (!cJSON_IsString(s) || !cw__is_percentile(s->valuestring)) {
            aws_fail(err, AWS_ERR_INVALID_PARAMETER_VALUE,
                     "The value %s for parameter ExtendedStatistics.member.%d "
                     "is invalid.",
                     cJSON_IsString(s) ? s->valuestring : "", i);
            return NULL;
        }
    }
    const char *unit = cw__str(b, "Unit");
    if (unit && !cw__unit_valid(unit)) {
        aws_fail(err, AWS_ERR_INVALID_PARAMETER_VALUE,
                 "The value %s for parameter Unit is invalid.", unit);
        return NULL;
    }

    start = cw_round_start(start, period);
    int64_t requested = (end - start + period * 1000 - 1) / (period * 1000);
    if (requested > CW_MAX_DATAPOINTS) {
        aws_fail(err, AWS_ERR_CW_INVALID_PARAMETER_COMBINATION,
                 "You have requested up to %lld datapoints, which exceeds the "
                 "limit of %d. You may reduce the datapoints requested by "
                 "increasing Period, or decreasing the time range.",
                 (long long)requested, CW_MAX_DATAPOINTS);
        return NULL;
    }
    char *dims =
        cw__dims_canonical(cw__list(b, "Dimensions"), "Dimensions", err);
    if (!dims)
        return NULL;

    cw_buckets buckets;
    cw__buckets_collect(req->srv, req->account, req->region, ns, name, dims,
                        start, end, period, unit, &buckets);
    free(dims);

    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "Label", name);
    cJSON *points = cJSON_AddArrayToObject(out, "Datapoints");
    for (size_t k = 0; k < buckets.count; k++) {
        const cw_bucket *bk = &buckets.items[k];
        cJSON *p = cJSON_CreateObject();
        cw__add_time(req, p, "Timestamp", bk->start_ms);
        cJSON_ArrayForEach(s, stats)
        {
            double v;
            if (cw__stat_value(bk, s->valuestring, &v))
                cJSON_AddNumberToObject(p, s->valuestring, v);
        }
        cJSON_AddStringToObject(p, "Unit", bk->unit);
        if (next > 0) {
            cJSON *e = cJSON_AddObjectToObject(p, "ExtendedStatistics");
            cJSON_ArrayForEach(s, ext)
            {
                double v;
                if (cw__stat_value(bk, s->valuestring, &v))
                    cJSON_AddNumberToObject(e, s->valuestring, v);
            }
        }
        cJSON_AddItemToArray(points, p);
    }
    cw__buckets_free(&buckets);
    return out;
}

/* ---- GetMetricData ---- */

static int cw_query_id_valid(const char *id)
{
    if (!id || !(id[0] >= 'a' && id[0] <= 'z') || strlen(id) > 255)
        return 0;
    for (const char *p = id; *p; p++)
        if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') &&
            !(*p >= '0' && *p <= '9') && *p != '_')
            return 0;
    return 1;
}

/* Run one MetricStat query into `result`. */
static int cw_metric_stat(aws_request *req, const cJSON *query, int index,
                          int64_t start, int64_t end, int ascending,
                          cJSON *result, aws_error *err)
{
    const cJSON *stat = cJSON_GetObjectItemCaseSensitive(query, "MetricStat");
    const cJSON *metric = cJSON_GetObjectItemCaseSensitive(stat, "Metric");
    const char *ns = cw__str(metric, "Namespace");
    const char *name = cw__str(metric, "MetricName");
    const char *statistic = cw__str(stat, "Stat");
    char member_path[96];
    if (!ns || !name) {
        snprintf(member_path, sizeof member_path,
                 "MetricDataQueries.member.%d.MetricStat.Metric.%s", index,
                 !ns ? "Namespace" : "MetricName");
        return cw__missing(err, member_path);
    }
    if (!statistic ||
        (!cw_statistic_valid(statistic) && !cw__is_percentile(statistic))) {
        snprintf(member_path, sizeof member_path,
                 "MetricDataQueries.member.%d.MetricStat.Stat", index);
        if (!statistic)
            return cw__missing(err, member_path);
        return aws_fail(err, AWS_ERR_INVALID_PARAMETER_VALUE,
                        "The value %s for parameter %s is invalid.", statistic,
                        member_path);
    }
    int64_t period;
    snprintf(member_path, sizeof member_path,
             "MetricDataQueries.member.%d.MetricStat.Period", index);
    if (cw_period(stat, "Period", &period, err) != 0) {
        /* Name the member by its full path. */
        char copy[sizeof err->message];
        snprintf(copy, sizeof copy, "%s", err->message);
        char *at = strstr(copy, "Period");
        if (at)
            snprintf(err->message, sizeof err->message, "%.*s%s%s",
                     (int)(at - copy), copy, member_path, at + 6);
        return -1;
    }
    char *dims =
        cw__dims_canonical(cw__list(metric, "Dimensions"), "Dimensions", err);
    if (!dims)
        return -1;
    int64_t rounded = cw_round_start(start, period);
    cw_buckets buckets;
    cw__buckets_collect(req->srv, req->account, req->region, ns, name, dims,
                        rounded, end, period, cw__str(stat, "Unit"), &buckets);
    free(dims);

    cJSON *times = cJSON_AddArrayToObject(result, "Timestamps");
    cJSON *values = cJSON_AddArrayToObject(result, "Values");
    for (size_t k = 0; k < buckets.count; k++) {
        size_t at = ascending ? k : buckets.count - 1 - k;
        double v;
        if (!cw__stat_value(&buckets.items[at], statistic, &v))
            continue;
        int64_t ms = buckets.items[at].start_ms;
        if (cw__is_query(req)) {
            char iso[32];
            cw__iso(ms, iso);
            cJSON_AddItemToArray(times, cJSON_CreateString(iso));
        } else {
            cJSON_AddItemToArray(times, cJSON_CreateNumber((double)ms / 1000));
        }
        cJSON_AddItemToArray(values, cJSON_CreateNumber(v));
    }
    cw__buckets_free(&buckets);
    if (!cw__str(query, "Label"))
        cJSON_AddStringToObject(result, "Label", name);
    return 0;
}

cJSON *cw__op_get_metric_data(aws_request *req, aws_error *err)
{
    const cJSON *queries = cw__list(req->body, "MetricDataQueries");
    int n = queries ? cJSON_GetArraySize(queries) : 0;
    if (n == 0)
        return cw__missing(err, "MetricDataQueries"), NULL;
    if (n > 500) {
        aws_fail(err, AWS_ERR_INVALID_PARAMETER_VALUE,
                 "The collection MetricDataQueries must not have a size "
                 "greater than 500.");
        return NULL;
    }
    int64_t start, end;
    if (cw_range(req, &start, &end, err) != 0)
        return NULL;
    const char *scan = cw__str(req->body, "ScanBy");
    if (scan && strcmp(scan, "TimestampAscending") != 0 &&
        strcmp(scan, "TimestampDescending") != 0) {
        aws_fail(err, AWS_ERR_INVALID_PARAMETER_VALUE,
                 "The value %s for parameter ScanBy is invalid.", scan);
        return NULL;
    }
    int ascending = scan && strcmp(scan, "TimestampAscending") == 0;

    cJSON *out = cJSON_CreateObject();
    cJSON *results = cJSON_AddArrayToObject(out, "MetricDataResults");
    int i = 0;
    const cJSON *q;
    cJSON_ArrayForEach(q, queries)
    {
        i++;
        const char *id = cw__str(q, "Id");
        if (!cw_query_id_valid(id)) {
            aws_fail(err, AWS_ERR_INVALID_PARAMETER_VALUE,
                     "The value %s for parameter MetricDataQueries.member.%d."
                     "Id is invalid: it must start with a lower-case letter "
                     "and contain only letters, digits and underscores.",
                     id ? id : "", i);
            cJSON_Delete(out);
            return NULL;
        }
        const cJSON *stat = cJSON_GetObjectItemCaseSensitive(q, "MetricStat");
        if (!cJSON_IsObject(stat)) {
            /* NOTE: metric math (Expression) is not evaluated. */
            aws_fail(err, AWS_ERR_INVALID_PARAMETER_VALUE,
                     "Stratus does not evaluate metric math: "
                     "MetricDataQueries.member.%d needs a MetricStat.",
                     i);
            cJSON_Delete(out);
            return NULL;
        }
        cJSON *r = cJSON_CreateObject();
        cJSON_AddStringToObject(r, "Id", id);
        if (cw__str(q, "Label"))
            cJSON_AddStringToObject(r, "Label", cw__str(q, "Label"));
        if (cw_metric_stat(req, q, i, start, end, ascending, r, err) != 0) {
            cJSON_Delete(r);
            cJSON_Delete(out);
            return NULL;
        }
        cJSON_AddStringToObject(r, "StatusCode", "Complete");
        if (cw__bool(q, "ReturnData", 1))
            cJSON_AddItemToArray(results, r);
        else
            cJSON_Delete(r);
    }
    cJSON_AddArrayToObject(out, "Messages");
    return out;
}

/* ---- ListMetrics ---- */

/* Whether the canonical dimension list `dims` contains every filter. */
static int cw_dims_match(const cJSON *dims, const cJSON *filters)
{
    const cJSON *f;
    cJSON_ArrayForEach(f, filters)
    {
        const char *name = cw__str(f, "Name");
        const char *value = cw__str(f, "Value");
        int found = 0;
        const cJSON *d;
        cJSON_ArrayForEach(d, dims)
        {
            if (name && strcmp(cw__str(d, "Name"), name) == 0 &&
                (!value || strcmp(cw__str(d, "Value"), value) == 0))
                found = 1;
        }
        if (!found)
            return 0;
    }
    return 1;
}

cJSON *cw__op_list_metrics(aws_request *req, aws_error *err)
{
    const cJSON *b = req->body;
    const char *ns = cw__str(b, "Namespace");
    const char *name = cw__str(b, "MetricName");
    const cJSON *filters = cw__list(b, "Dimensions");
    const char *recent = cw__str(b, "RecentlyActive");
    const char *token = cw__str(b, "NextToken");
    if (recent && strcmp(recent, "PT3H") != 0) {
        aws_fail(err, AWS_ERR_INVALID_PARAMETER_VALUE,
                 "The value %s for parameter RecentlyActive is invalid.",
                 recent);
        return NULL;
    }
    if (filters && cJSON_GetArraySize(filters) > 10) {
        aws_fail(err, AWS_ERR_INVALID_PARAMETER_VALUE,
                 "The collection Dimensions must not have a size greater "
                 "than 10.");
        return NULL;
    }
    long skip = 0;
    if (token) {
        char *end = NULL;
        skip = strtol(token, &end, 10);
        if (*end || skip < 0) {
            aws_fail(err, AWS_ERR_CW_INVALID_NEXT_TOKEN,
                     "The service returned an invalid next token.");
            return NULL;
        }
    }
    int64_t now = clock_now_ms(&req->srv->clock);
    int64_t since = now - (recent ? 3LL * 3600 * 1000 : CW_MAX_AGE_MS);

    sqlite3_stmt *s = store_stmt(
        req->srv->store,
        "SELECT namespace, name, dims FROM cw_metric WHERE account = ?1"
        " AND region = ?2 AND (?3 IS NULL OR namespace = ?3)"
        " AND (?4 IS NULL OR name = ?4) AND last_ms >= ?5"
        " ORDER BY namespace, name, dims");
    sqlite3_bind_text(s, 1, req->account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, req->region, -1, SQLITE_STATIC);
    if (ns)
        sqlite3_bind_text(s, 3, ns, -1, SQLITE_STATIC);
    if (name)
        sqlite3_bind_text(s, 4, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 5, since);

    cJSON *out = cJSON_CreateObject();
    cJSON *metrics = cJSON_AddArrayToObject(out, "Metrics");
    long index = 0, added = 0;
    int more = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
        cJSON *dims = cJSON_Parse((const char *)sqlite3_column_text(s, 2));
        if (filters && !cw_dims_match(dims, filters)) {
            cJSON_Delete(dims);
            continue;
        }
        if (index++ < skip) {
            cJSON_Delete(dims);
            continue;
        }
        if (added == CW_LIST_PAGE) {
            cJSON_Delete(dims);
            more = 1;
            break;
        }
        cJSON *m = cJSON_CreateObject();
        cJSON_AddStringToObject(m, "Namespace",
                                (const char *)sqlite3_column_text(s, 0));
        cJSON_AddStringToObject(m, "MetricName",
                                (const char *)sqlite3_column_text(s, 1));
        cJSON_AddItemToObject(m, "Dimensions", dims);
        cJSON_AddItemToArray(metrics, m);
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
