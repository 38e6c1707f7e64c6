/*
 * ddb.h: the DynamoDB service's interface to the rest of Stratus: its operation
 * table and the stack resource types AWS::DynamoDB::Table and
 * Stratus::DynamoDB::Items.
 */
#ifndef STRATUS_DDB_H
#define STRATUS_DDB_H

#include <cjson/cJSON.h>

#include "aws.h"

struct stratus;

extern const aws_service ddb_service;

/*
 * Apply an AWS::DynamoDB::Table stack resource: `properties` are CreateTable
 * request members plus an optional TimeToLiveSpecification {AttributeName,
 * Enabled}. A table that already exists is left as it is, apart from its
 * TTL setting. Must run inside a store call. Returns 0, or -1 with `err`
 * filled.
 */
int ddb_stack_apply_table(struct stratus *srv, const char *account,
                          const char *region, const char *logical_id,
                          const cJSON *properties, aws_error *err);

/*
 * Apply a Stratus::DynamoDB::Items stack resource: put each item of
 * `Items` (PutItem's Item form) and of the JSON list in the file `ItemsFile`
 * into the existing table `TableName`. An item whose key exists is kept.
 * Must run inside a store call. Returns 0, or -1 with `err` filled.
 */
int ddb_stack_apply_items(struct stratus *srv, const char *account,
                          const char *region, const char *logical_id,
                          const cJSON *properties, aws_error *err);

#endif
