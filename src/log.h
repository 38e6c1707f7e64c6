/*
 * log.h: one line per event on stderr: UTC time with milliseconds, level,
 * module, request id and message. The level is checked before formatting.
 */
#ifndef STRATUS_LOG_H
#define STRATUS_LOG_H

typedef enum log_level {
    LOG_ERROR = 0,
    LOG_WARN = 1,
    LOG_INFO = 2,
    LOG_DEBUG = 3
} log_level;

extern log_level log_threshold;

/* Parse "error", "warn", "info" or "debug". Returns 0 or -1. */
int log_level_parse(const char *name, log_level *out);

void log_write(log_level level, const char *module, const char *request_id,
               const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#define log_at(level, module, rid, ...)                                        \
    do {                                                                       \
        if ((level) <= log_threshold)                                          \
            log_write((level), (module), (rid), __VA_ARGS__);                  \
    } while (0)

#define log_error(module, ...) log_at(LOG_ERROR, module, NULL, __VA_ARGS__)
#define log_warn(module, ...) log_at(LOG_WARN, module, NULL, __VA_ARGS__)
#define log_info(module, ...) log_at(LOG_INFO, module, NULL, __VA_ARGS__)
#define log_debug(module, ...) log_at(LOG_DEBUG, module, NULL, __VA_ARGS__)

#endif
