/*
 * s3.h: the S3 service (REST-XML, signing name s3), the object read other
 * services use, and the AWS::S3::Bucket stack type.
 */
#ifndef STRATUS_S3_H
#define STRATUS_S3_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "aws.h"

struct stratus;

extern const aws_service s3_service;

/*
 * Copy the bytes of object `key` in `bucket` into a new malloc'ed buffer
 * (`*data`, `*len`; the caller frees it). Bucket names are global, as in
 * AWS, so `account` does not take part in the lookup. Returns 0, or -1 with
 * NoSuchBucket or NoSuchKey in `err`.
 */
int s3_object_read(struct stratus *srv, const char *account, const char *bucket,
                   const char *key, unsigned char **data, size_t *len,
                   aws_error *err);

/* The AWS::S3::Bucket stack resource type: BucketName,
 * VersioningConfiguration {Status} and CorsConfiguration {CorsRules}. */
int s3_stack_apply_bucket(struct stratus *srv, const char *account,
                          const char *region, const char *logical_id,
                          const cJSON *properties, aws_error *err);

#endif
