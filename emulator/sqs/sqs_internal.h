/*
 * sqs_internal.h: what the files of the SQS service share. Nothing here is
 * used outside emulator/sqs/.
 *
 * Storage (SQLite, schema in sqs.c):
 *   sqs_queue    one row per queue, unique by (account, region, name): the
 *                settable attributes as a JSON object of strings (defaults
 *                filled in), the tags, and the creation, change and last
 *                purge times.
 *   sqs_message  one row per message: body, message and system attributes
 *                as JSON, their MD5 digests, the time it becomes visible,
 *                the receive count and the current receipt handle.
 */
#ifndef STRATUS_SQS_INTERNAL_H
#define STRATUS_SQS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "aws.h"
#include "sqs.h"
#include "stratus.h"

/* Largest message body plus attributes, in bytes (1 MiB since 2025). */
#define SQS_MAX_MESSAGE_BYTES 1048576
#define SQS_MAX_MESSAGE_ATTRIBUTES 10
/* How long AWS blocks a second PurgeQueue and remembers FIFO dedup ids. */
#define SQS_PURGE_INTERVAL_MS 60000
#define SQS_DEDUP_INTERVAL_MS 300000

typedef struct sqs_queue {
    int64_t id;
    char account[16];
    char region[64];
    char name[96];
    cJSON *attributes; /* settable attributes, every value a string */
    cJSON *tags;       /* object of strings */
    int64_t created_ms;
    int64_t modified_ms;
    int64_t purged_ms; /* 0 when never purged */
} sqs_queue;

/* ---- sqs.c: schema, errors and request helpers ---- */

/* The Query protocol table of SQS. */
extern const aws_query_protocol sqs_query;

/* A string member of `obj` (case-sensitive), or NULL. */
const char *sqs__str(const cJSON *obj, const char *name);

/* Fail with MissingParameter "The request must contain the parameter X." */
int sqs__missing(aws_error *err, const char *member);

/*
 * Read an optional integer member into `*out`, which keeps its value when
 * the member is absent. A value outside [min, max] or not an integer fails
 * with InvalidParameterValue "Value V for parameter X is invalid. Reason: R".
 */
int sqs__int_member(const cJSON *body, const char *member, long min, long max,
                    const char *reason, long *out, aws_error *err);

/* Load a queue by name, or NULL when it does not exist. */
sqs_queue *sqs__queue_load(stratus *srv, const char *account,
                           const char *region, const char *name);
void sqs__queue_free(sqs_queue *q);

/*
 * The queue a request's QueueUrl names (path "/<account>/<name>", any host),
 * in the request's region. Returns the queue (caller frees), or NULL with
 * MissingParameter or QueueDoesNotExist.
 */
sqs_queue *sqs__queue_open(aws_request *req, aws_error *err);

/* The queue's URL as this request's client reaches it, and its ARN. */
void sqs__queue_url(const aws_request *req, const char *account,
                    const char *name, char *out, size_t size);
void sqs__queue_arn(const sqs_queue *q, char *out, size_t size);

/* An integer attribute of a queue (its stored string, or 0). */
long sqs__queue_attr_long(const sqs_queue *q, const char *name);
int sqs__queue_is_fifo(const sqs_queue *q);

/* ---- sqs_queue.c: queue operations ---- */

cJSON *sqs_op_create_queue(aws_request *req, aws_error *err);
cJSON *sqs_op_get_queue_url(aws_request *req, aws_error *err);
cJSON *sqs_op_delete_queue(aws_request *req, aws_error *err);
cJSON *sqs_op_list_queues(aws_request *req, aws_error *err);
cJSON *sqs_op_list_dead_letter_source_queues(aws_request *req, aws_error *err);
cJSON *sqs_op_get_queue_attributes(aws_request *req, aws_error *err);
cJSON *sqs_op_set_queue_attributes(aws_request *req, aws_error *err);
cJSON *sqs_op_purge_queue(aws_request *req, aws_error *err);
cJSON *sqs_op_tag_queue(aws_request *req, aws_error *err);
cJSON *sqs_op_untag_queue(aws_request *req, aws_error *err);
cJSON *sqs_op_list_queue_tags(aws_request *req, aws_error *err);

/* ---- sqs_message.c: sending, deleting, visibility ---- */

/* The members of one message to send. */
typedef struct sqs_send {
    const char *body;
    const cJSON *message_attributes;      /* MessageAttributes or NULL */
    const cJSON *system_attributes;       /* MessageSystemAttributes */
    long delay_seconds;                   /* -1: the queue's default */
    const char *message_group_id;         /* FIFO only */
    const char *message_deduplication_id; /* FIFO only */
} sqs_send;

/*
 * Validate and store one message, filling `result` with the members of a
 * SendMessage response (MessageId, MD5OfMessageBody, ...). Returns 0 or -1
 * with the AWS error. Wakes long polls waiting on the queue.
 */
int sqs__message_send(stratus *srv, const sqs_queue *q, const sqs_send *send,
                      cJSON *result, aws_error *err);

/*
 * Compute the MD5 of message attributes as the SDKs check it. The digest
 * covers each attribute in name order: the big-endian 4-byte length and
 * bytes of its name and of its DataType, a transport byte (1 string, 2
 * binary), then the length and bytes of its value. Fills 33 bytes of
 * lower-case hex. Returns 0, or -1 when a binary value is not valid base64.
 */
int sqs__md5_of_attributes(const cJSON *attributes, char out[33]);

/*
 * Run one SendMessage, DeleteMessage or ChangeMessageVisibility on `q` with
 * the members of `entry` (a request body or a batch entry). Returns 0, or
 * -1 with the AWS error. Only a successful call writes.
 */
int sqs__message_send_entry(stratus *srv, const sqs_queue *q,
                            const cJSON *entry, cJSON *result, aws_error *err);
int sqs__message_delete(stratus *srv, const sqs_queue *q, const cJSON *entry,
                        aws_error *err);
int sqs__message_change_visibility(stratus *srv, const sqs_queue *q,
                                   const cJSON *entry, aws_error *err);

cJSON *sqs_op_send_message(aws_request *req, aws_error *err);
cJSON *sqs_op_delete_message(aws_request *req, aws_error *err);
cJSON *sqs_op_change_message_visibility(aws_request *req, aws_error *err);

/* ---- sqs_batch.c: the batch forms of the message operations ---- */

cJSON *sqs_op_send_message_batch(aws_request *req, aws_error *err);
cJSON *sqs_op_delete_message_batch(aws_request *req, aws_error *err);
cJSON *sqs_op_change_message_visibility_batch(aws_request *req, aws_error *err);

/* ---- sqs_receive.c: ReceiveMessage and long polling ---- */

cJSON *sqs_op_receive_message(aws_request *req, aws_error *err);

/* Wake the long polls waiting on queue `queue_id` to receive again. */
void sqs__waiters_notify(stratus *srv, int64_t queue_id);
/* Close every waiting long poll (service cleanup). */
void sqs__waiters_close(stratus *srv);

/* ---- sqs_evb.c: EventBridge target ---- */

/* Register the "sqs" EventBridge target service. */
int sqs__evb_register(stratus *srv);

/* Per-instance state: the long polls waiting for messages. */
typedef struct sqs_waiter sqs_waiter;
typedef struct sqs_state {
    sqs_waiter *waiters;
} sqs_state;

/* *_iam.c: the IAM action and resource ARN of a request (the
 * aws_service resource_arn hook). */
int sqs__resource_arn(const aws_request *req, size_t index, char *action,
                      size_t action_size, char *arn, size_t arn_size);

#endif
