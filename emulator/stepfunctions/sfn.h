/*
 * sfn.h: the Step Functions service's interface to the rest of Stratus: its
 * operation table and the stack resource type AWS::StepFunctions::StateMachine.
 * Other services dispatch Task states through sfn_task.h.
 */
#ifndef STRATUS_SFN_H
#define STRATUS_SFN_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "aws.h"
#include "sfn_task.h"

struct stratus;

extern const aws_service sfn_service;

/*
 * Start an execution of the state machine `machine_arn` with `input` (JSON
 * text; NULL is "{}") as StartExecution does, for a service that starts one
 * (an EventBridge target). `name` may be NULL for a generated one. Must run
 * inside a store call. Returns 0 with the execution ARN in `arn_out`, or -1
 * with `err` filled as StartExecution would fill it.
 */
int sfn_execution_start(struct stratus *srv, const char *account,
                        const char *region, const char *machine_arn,
                        const char *name, const char *input, char *arn_out,
                        size_t arn_size, aws_error *err);

/*
 * Apply an AWS::StepFunctions::StateMachine resource: its properties are
 * CreateStateMachine's members (StateMachineName, DefinitionString or a
 * Definition given as an object or a string, RoleArn, StateMachineType).
 * An existing machine of the same name is updated.
 */
int sfn_stack_apply_state_machine(struct stratus *srv, const char *account,
                                  const char *region, const char *logical_id,
                                  const cJSON *properties, aws_error *err);

#endif
