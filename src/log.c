/*
 * log.c: the line logger. The threshold is process-wide, like the stderr it
 * writes to; everything else about an instance is per instance.
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

log_level log_threshold = LOG_INFO;

static const char *const log_names[] = {"error", "warn", "info", "debug"};

int log_level_parse(const char *name, log_level *out)
{
    for (int i = 0; i < 4; i++) {
        if (strcmp(name, log_names[i]) == 0) {
            *out = (log_level)i;
            return 0;
        }
    }
    return -1;
}

void log_write(log_level level, const char *module, const char *request_id,
               const char *fmt, ...)
{
    struct timespec ts;
    struct tm tm;
    char when[32];
    char line[2048];
    va_list ap;

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);

    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);

    fprintf(stderr, "%s.%03ldZ %-5s %-10s %s %s\n", when, ts.tv_nsec / 1000000L,
            log_names[level], module, request_id ? request_id : "-", line);
}
