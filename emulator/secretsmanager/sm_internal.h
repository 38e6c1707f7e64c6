/*
 * sm_internal.h: what the files of the Secrets Manager service share: the
 * secret record, its lookup and description, and the operation handlers
 * defined outside sm.c.
 */
#ifndef STRATUS_SM_INTERNAL_H
#define STRATUS_SM_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "aws.h"

struct stratus;

extern const char sm__not_found[];
extern const char sm__marked_deleted[];

typedef struct sm_secret {
    int64_t id;
    char name[600];
    char arn[900];
    char *description;
    char *kms_key_id;
    char *tags; /* JSON array of {Key, Value} */
    int64_t created_ms, changed_ms, accessed_ms, deleted_ms, deletion_ms;
} sm_secret;

void sm__secret_free(sm_secret *s);
const char *sm__str(const cJSON *body, const char *name);
int64_t sm__now(const aws_request *req);
/* Add `ms` as epoch seconds with a fraction, as the JSON protocol sends
 * dates. */
void sm__add_date(cJSON *obj, const char *name, int64_t ms);
/*
 * Find a secret by name, full ARN, or ARN without the random suffix.
 * A secret past its recovery window is removed and reported missing.
 * Returns 0, or -1 with ResourceNotFoundException.
 */
int sm__secret_find(aws_request *req, const char *id, sm_secret *out,
                    aws_error *err);
/* The DescribeSecret / ListSecrets entry of a secret. */
cJSON *sm__secret_describe(aws_request *req, const sm_secret *s);

/*
 * Write a random password of `length` characters into `out` (at least
 * length + 1 bytes) following GetRandomPassword's members in `options`.
 * Returns 0, or -1 with InvalidParameterException.
 */
int sm__password_generate(const cJSON *options, char *out, size_t length,
                          aws_error *err);

cJSON *sm_op_get_secret_value(aws_request *req, aws_error *err);
cJSON *sm_op_list_secrets(aws_request *req, aws_error *err);
cJSON *sm_op_batch_get_secret_value(aws_request *req, aws_error *err);
cJSON *sm_op_get_random_password(aws_request *req, aws_error *err);

#endif
