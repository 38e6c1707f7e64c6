/*
 * sm.h: the Secrets Manager service (JSON 1.1, target prefix
 * secretsmanager) and the AWS::SecretsManager::Secret stack type.
 */
#ifndef STRATUS_SM_H
#define STRATUS_SM_H

#include <cjson/cJSON.h>

#include "aws.h"

struct stratus;

extern const aws_service sm_service;

/* The AWS::SecretsManager::Secret stack resource type: Name,
 * SecretString, Description and Tags. */
int sm_stack_apply_secret(struct stratus *srv, const char *account,
                          const char *region, const char *logical_id,
                          const cJSON *properties, aws_error *err);

#endif
