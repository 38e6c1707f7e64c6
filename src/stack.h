/*
 * stack.h: the stack file, a YAML list of resources that Stratus applies
 * through the same operations its API serves.
 *
 * Each service registers the resource types it owns. A type's apply function
 * receives the resource's properties as JSON (converted from YAML) and calls
 * the service's own operation handlers. The format is in docs/stack.md.
 */
#ifndef STRATUS_STACK_H
#define STRATUS_STACK_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "aws.h"

struct stratus;

typedef int (*stack_apply_fn)(struct stratus *srv, const char *account,
                              const char *region, const char *logical_id,
                              const cJSON *properties, aws_error *err);

typedef struct stack_type {
    const char *type; /* "AWS::DynamoDB::Table" */
    stack_apply_fn apply;
} stack_type;

/* The resource types compiled into Stratus. */
extern const stack_type stack_types[];
extern const size_t stack_type_count;

/*
 * Parse a YAML document into JSON. Scalars that YAML 1.2's core schema reads
 * as numbers, booleans or null become those JSON types; quoted scalars stay
 * strings. Returns a new tree, or NULL with a message in `errbuf`.
 */
cJSON *stack_yaml_to_json(const char *text, size_t len, char *errbuf,
                          size_t errsize);

/*
 * Apply every resource of the stack file at `path`, in file order, each as
 * one store call. Returns 0, or -1 with a message in `errbuf` naming the
 * resource that failed.
 */
int stack_apply_file(struct stratus *srv, const char *path, char *errbuf,
                     size_t errsize);

#endif
