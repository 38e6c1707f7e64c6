/*
 * logs.h: the CloudWatch Logs service (JSON 1.1, target prefix
 * Logs_20140328, signing name "logs") and the call other services use to
 * write log lines (Lambda function output, for instance).
 */
#ifndef STRATUS_LOGS_H
#define STRATUS_LOGS_H

#include <stddef.h>
#include <stdint.h>

#include "aws.h"

struct stratus;

extern const aws_service logs_service;

/* The stack resource type AWS::Logs::LogGroup: LogGroupName (default: the
 * logical id) and RetentionInDays. An existing group is kept and takes the
 * file's retention. */
int logs_stack_apply_log_group(struct stratus *srv, const char *account,
                               const char *region, const char *logical_id,
                               const cJSON *properties, aws_error *err);

/*
 * Append one log event (`len` bytes of `message`, not NUL-terminated, at
 * `time_ms` epoch milliseconds) to the stream `stream` of the log group
 * `group`, creating both when missing. Errors are logged, never returned.
 */
void logs_append(struct stratus *srv, const char *account, const char *region,
                 const char *group, const char *stream, int64_t time_ms,
                 const char *message, size_t len);

/*
 * A parsed filter pattern of FilterLogEvents. logs_pattern_parse returns
 * NULL and fills `err` (InvalidParameterException) for a pattern it cannot
 * parse; an empty pattern matches every event.
 */
typedef struct logs_pattern logs_pattern;
logs_pattern *logs_pattern_parse(const char *text, aws_error *err);
int logs_pattern_match(const logs_pattern *p, const char *message);
void logs_pattern_free(logs_pattern *p);

#endif
