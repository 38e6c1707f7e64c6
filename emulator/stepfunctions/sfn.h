/*
 * sfn.h: the Step Functions service's interface to the rest of Stratus: its
 * operation table and the stack resource type AWS::StepFunctions::StateMachine.
 * Other services dispatch Task states through sfn_task.h.
 */
#ifndef STRATUS_SFN_H
#define STRATUS_SFN_H

#include <cjson/cJSON.h>

#include "aws.h"
#include "sfn_task.h"

struct stratus;

extern const aws_service sfn_service;

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
