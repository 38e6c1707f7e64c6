/*
 * evb_cron.c: the next run time of an EventBridge cron() expression:
 * "cron(minutes hours day-of-month month day-of-week year)" in UTC.
 *
 * Supported in each field: numbers, '*', ranges (a-b), lists (a,b), steps
 * (*\/n and a/n), month names JAN-DEC and day names SUN-SAT (1 is Sunday),
 * and '?' in one of the two day fields. Left out: L, W and # (last day,
 * nearest weekday, nth weekday); an expression using them never runs.
 */
#include "evb_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define EVB_CRON_YEAR_MIN 1970
#define EVB_CRON_YEAR_MAX 2199
/* How far ahead a next run is searched for, in days. */
#define EVB_CRON_HORIZON_DAYS (5 * 366)

typedef struct evb_cron {
    unsigned char minute[60];
    unsigned char hour[24];
    unsigned char dom[32];   /* 1-31 */
    unsigned char month[13]; /* 1-12 */
    unsigned char dow[8];    /* 1-7, Sunday is 1 */
    unsigned char year[EVB_CRON_YEAR_MAX - EVB_CRON_YEAR_MIN + 1];
    int dom_any; /* '?' */
    int dow_any;
} evb_cron;

static const char *const evb_month_names[] = {"JAN", "FEB", "MAR", "APR",
                                              "MAY", "JUN", "JUL", "AUG",
                                              "SEP", "OCT", "NOV", "DEC"};
static const char *const evb_day_names[] = {"SUN", "MON", "TUE", "WED",
                                            "THU", "FRI", "SAT"};

/* Parse one value of a field: a number or, where `names` is given, a
 * three-letter name numbered from `first`. */
static int evb_cron_value(const char *text, size_t len,
                          const char *const *names, size_t name_count,
                          int first, int *out)
{
    if (len == 0)
        return -1;
    if (names && len == 3) {
        for (size_t i = 0; i < name_count; i++)
            if (strncasecmp(text, names[i], 3) == 0) {
                *out = first + (int)i;
                return 0;
            }
    }
    int v = 0;
    for (size_t i = 0; i < len; i++) {
        if (text[i] < '0' || text[i] > '9' || v > 100000)
            return -1;
        v = v * 10 + (text[i] - '0');
    }
    *out = v;
    return 0;
}

/* Parse one comma-separated field into `set` (indexes lo..hi). */
static int evb_cron_field(const char *text, unsigned char *set, int lo, int hi,
                          const char *const *names, size_t name_count,
                          int name_first)
{
    const char *p = text;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        const char *slash = memchr(p, '/', len);
        size_t range_len = slash ? (size_t)(slash - p) : len;
        int from = lo, to = hi, step = 1;

        if (slash && evb_cron_value(slash + 1, len - range_len - 1, NULL, 0, 0,
                                    &step) != 0)
            return -1;
        if (range_len == 1 && p[0] == '*') {
            /* every value */
        } else {
            const char *dash = memchr(p, '-', range_len);
            size_t first_len = dash ? (size_t)(dash - p) : range_len;
            if (evb_cron_value(p, first_len, names, name_count, name_first,
                               &from) != 0)
                return -1;
            to = slash && !dash ? hi : from;
            if (dash && evb_cron_value(dash + 1, range_len - first_len - 1,
                                       names, name_count, name_first, &to) != 0)
                return -1;
        }
        if (step < 1 || from < lo || to > hi || from > to)
            return -1;
        for (int v = from; v <= to; v += step)
            set[v - lo] = 1;
        p = comma ? comma + 1 : p + len;
    }
    return 0;
}

/* Parse "cron(...)". Returns 0, or -1 for a form Stratus cannot run. */
static int evb_cron_parse(const char *expression, evb_cron *c)
{
    char fields[6][64];
    memset(c, 0, sizeof *c);
    if (strncmp(expression, "cron(", 5) != 0 ||
        sscanf(expression + 5, "%63s %63s %63s %63s %63s %63[^)]", fields[0],
               fields[1], fields[2], fields[3], fields[4], fields[5]) != 6)
        return -1;
    c->dom_any = strcmp(fields[2], "?") == 0;
    c->dow_any = strcmp(fields[4], "?") == 0;
    if (c->dom_any == c->dow_any)
        return -1; /* AWS requires '?' in exactly one day field */
    if (evb_cron_field(fields[0], c->minute, 0, 59, NULL, 0, 0) != 0 ||
        evb_cron_field(fields[1], c->hour, 0, 23, NULL, 0, 0) != 0 ||
        evb_cron_field(fields[3], c->month + 1, 1, 12, evb_month_names, 12,
                       1) != 0 ||
        evb_cron_field(fields[5], c->year, EVB_CRON_YEAR_MIN, EVB_CRON_YEAR_MAX,
                       NULL, 0, 0) != 0)
        return -1;
    if (!c->dom_any &&
        evb_cron_field(fields[2], c->dom + 1, 1, 31, NULL, 0, 0) != 0)
        return -1;
    if (!c->dow_any &&
        evb_cron_field(fields[4], c->dow + 1, 1, 7, evb_day_names, 7, 1) != 0)
        return -1;
    return 0;
}

int64_t evb__cron_next(const char *expression, int64_t after_ms)
{
    evb_cron c;
    if (evb_cron_parse(expression, &c) != 0)
        return -1;

    /* Walk forward from the next whole minute, skipping whole days and
     * hours that cannot match. */
    time_t t = (time_t)(after_ms / 60000 + 1) * 60;
    time_t end = t + (time_t)EVB_CRON_HORIZON_DAYS * 86400;
    while (t < end) {
        struct tm tm;
        gmtime_r(&t, &tm);
        int year = tm.tm_year + 1900;
        int day_ok = year >= EVB_CRON_YEAR_MIN && year <= EVB_CRON_YEAR_MAX &&
                     c.year[year - EVB_CRON_YEAR_MIN] &&
                     c.month[tm.tm_mon + 1] &&
                     (c.dom_any || c.dom[tm.tm_mday]) &&
                     (c.dow_any || c.dow[tm.tm_wday + 1]);
        if (!day_ok) {
            t += 86400 - (tm.tm_hour * 3600 + tm.tm_min * 60);
            continue;
        }
        if (!c.hour[tm.tm_hour]) {
            t += 3600 - tm.tm_min * 60;
            continue;
        }
        if (c.minute[tm.tm_min])
            return (int64_t)t * 1000;
        t += 60;
    }
    return -1;
}
