/*
 * evb.h: the EventBridge service (JSON 1.1, target prefix AWSEvents) and
 * its stack resource types.
 */
#ifndef STRATUS_EVB_H
#define STRATUS_EVB_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "aws.h"

struct stratus;

extern const aws_service evb_service;

/* AWS::Events::EventBus: Name, Description, Policy. */
int evb_stack_apply_event_bus(struct stratus *srv, const char *account,
                              const char *region, const char *logical_id,
                              const cJSON *properties, aws_error *err);

/* AWS::Events::Rule: PutRule's members plus Targets (PutTargets). */
int evb_stack_apply_rule(struct stratus *srv, const char *account,
                         const char *region, const char *logical_id,
                         const cJSON *properties, aws_error *err);

/*
 * Sum one AWS/Events metric of a rule over the minutes that start in
 * [from_ms, to_ms). `metric` is MatchedEvents, TriggeredRules,
 * Invocations, FailedInvocations, InvocationsSentToDlq or
 * InvocationsFailedToBeSentToDlq; `bus` is the rule's event bus name.
 * The counters are kept per minute of the instance clock, which is the
 * finest period a CloudWatch datapoint can have here. Returns 0 for an
 * unknown rule or metric.
 */
int64_t evb_rule_metric_sum(struct stratus *srv, const char *account,
                            const char *region, const char *bus,
                            const char *rule, const char *metric,
                            int64_t from_ms, int64_t to_ms);

#endif
