/*
 * evb.h: the EventBridge service (JSON 1.1, target prefix AWSEvents) and
 * its stack resource types.
 */
#ifndef STRATUS_EVB_H
#define STRATUS_EVB_H

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

#endif
