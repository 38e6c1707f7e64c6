/*
 * sqs.h: the SQS service (JSON 1.0, target prefix AmazonSQS) and the
 * internal call other services use to send a message to a queue.
 */
#ifndef STRATUS_SQS_H
#define STRATUS_SQS_H

#include <cjson/cJSON.h>

#include "aws.h"

struct stratus;

extern const aws_service sqs_service;

/* The AWS::SQS::Queue stack resource type: CreateQueue's members. */
int sqs_stack_apply_queue(struct stratus *srv, const char *account,
                          const char *region, const char *logical_id,
                          const cJSON *properties, aws_error *err);

/*
 * Send `body` to the queue `queue_arn` ("arn:aws:sqs:region:account:name")
 * as SendMessage does, with optional MessageAttributes and MessageGroupId
 * (NULL when absent). Must run inside a store call. Returns 0 and copies the
 * new message id into `message_id` (37 bytes) when it is not NULL, or -1
 * after filling `err` with the error SendMessage would return
 * (QueueDoesNotExist for a missing queue).
 */
int sqs_send_to_arn(struct stratus *srv, const char *queue_arn,
                    const char *body, const cJSON *message_attributes,
                    const char *message_group_id, char *message_id,
                    aws_error *err);

#endif
