/*
 * sqs_batch.c: SendMessageBatch, DeleteMessageBatch and
 * ChangeMessageVisibilityBatch. Each entry runs as its single-message
 * operation does; an entry that fails is reported in Failed and the
 * others still take effect, as on AWS.
 *
 * Over the Query protocol the entries arrive as
 * "SendMessageBatchRequestEntry.N.<Member>" and are decoded by the
 * dispatcher's Query codec (see sqs_query in sqs.c).
 */
#include "sqs_internal.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SQS_BATCH_MAX_ENTRIES 10
#define SQS_BATCH_ID_MAX 80

typedef int (*sqs_entry_fn)(stratus *srv, const sqs_queue *q,
                            const cJSON *entry, cJSON *result, aws_error *err);

static int sqs_batch_id_is_valid(const char *id)
{
    size_t len = strlen(id);
    if (len < 1 || len > SQS_BATCH_ID_MAX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = id[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return 0;
    }
    return 1;
}

/* The bytes a SendMessageBatch entry adds to the request's size: its body
 * and its attributes' names, types and values (binary values counted as
 * their base64 text). */
static size_t sqs_entry_size(const cJSON *entry)
{
    const char *body = sqs__str(entry, "MessageBody");
    size_t size = body ? strlen(body) : 0;
    const cJSON *a;
    cJSON_ArrayForEach(
        a, cJSON_GetObjectItemCaseSensitive(entry, "MessageAttributes"))
    {
        const char *type = sqs__str(a, "DataType");
        const char *string = sqs__str(a, "StringValue");
        const char *binary = sqs__str(a, "BinaryValue");
        size += strlen(a->string) + (type ? strlen(type) : 0) +
                (string ? strlen(string) : 0) + (binary ? strlen(binary) : 0);
    }
    return size;
}

/* Check the Entries of a batch request. Returns 0 or -1 with the error. */
static int sqs_batch_check(const sqs_queue *q, const cJSON *entries,
                           const char *entry_shape, int check_size,
                           aws_error *err)
{
    int count = cJSON_GetArraySize(entries);
    if (!cJSON_IsArray(entries) || count == 0)
        return aws_fail(err, AWS_ERR_SQS_EMPTY_BATCH_REQUEST,
                        "There should be at least one %s in the request.",
                        entry_shape);
    if (count > SQS_BATCH_MAX_ENTRIES)
        return aws_fail(err, AWS_ERR_SQS_TOO_MANY_ENTRIES,
                        "Maximum number of entries per request are %d. You "
                        "have sent %d.",
                        SQS_BATCH_MAX_ENTRIES, count);

    size_t total = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, entries)
    {
        const char *id = sqs__str(e, "Id");
        if (!id || !sqs_batch_id_is_valid(id))
            return aws_fail(err, AWS_ERR_SQS_INVALID_BATCH_ENTRY_ID,
                            "A batch entry id can only contain alphanumeric "
                            "characters, hyphens and underscores. It can be "
                            "at most %d letters long.",
                            SQS_BATCH_ID_MAX);
        for (const cJSON *other = entries->child; other != e;
             other = other->next)
            if (strcmp(sqs__str(other, "Id"), id) == 0)
                return aws_fail(err, AWS_ERR_SQS_BATCH_IDS_NOT_DISTINCT,
                                "Id %s repeated.", id);
        total += sqs_entry_size(e);
    }
    long max = sqs__queue_attr_long(q, "MaximumMessageSize");
    if (check_size && (long)total > max)
        return aws_fail(err, AWS_ERR_SQS_BATCH_REQUEST_TOO_LONG,
                        "Batch requests cannot be longer than %ld bytes. You "
                        "have sent %zu bytes.",
                        max, total);
    return 0;
}

/* NOTE: the Code of a Failed entry is the JSON error type name, such as
 * "InvalidParameterValue". What AWS's JSON protocol puts there for errors
 * with a separate Query code was not recorded. */
static cJSON *sqs_batch_run(aws_request *req, aws_error *err,
                            const char *entry_shape, sqs_entry_fn fn,
                            int check_size)
{
    const cJSON *entries =
        cJSON_GetObjectItemCaseSensitive(req->body, "Entries");
    sqs_queue *q = sqs__queue_open(req, err);
    if (!q)
        return NULL;
    if (sqs_batch_check(q, entries, entry_shape, check_size, err) != 0) {
        sqs__queue_free(q);
        return NULL;
    }

    cJSON *out = cJSON_CreateObject();
    cJSON *successful = cJSON_AddArrayToObject(out, "Successful");
    cJSON *failed = cJSON_AddArrayToObject(out, "Failed");
    const cJSON *e;
    cJSON_ArrayForEach(e, entries)
    {
        const char *id = sqs__str(e, "Id");
        cJSON *result = cJSON_CreateObject();
        aws_error entry_err;
        memset(&entry_err, 0, sizeof entry_err);
        if (fn(req->srv, q, e, result, &entry_err) == 0) {
            cJSON_AddStringToObject(result, "Id", id);
            cJSON_AddItemToArray(successful, result);
            continue;
        }
        cJSON_Delete(result);
        cJSON *f = cJSON_CreateObject();
        cJSON_AddStringToObject(f, "Id", id);
        cJSON_AddBoolToObject(f, "SenderFault",
                              entry_err.code != AWS_ERR_INTERNAL_SERVER_ERROR);
        cJSON_AddStringToObject(f, "Code", aws_code_name(entry_err.code));
        cJSON_AddStringToObject(f, "Message", entry_err.message);
        cJSON_AddItemToArray(failed, f);
        aws_error_reset(&entry_err);
    }
    sqs__queue_free(q);
    return out;
}

static int sqs_delete_entry(stratus *srv, const sqs_queue *q,
                            const cJSON *entry, cJSON *result, aws_error *err)
{
    (void)result;
    return sqs__message_delete(srv, q, entry, err);
}

static int sqs_visibility_entry(stratus *srv, const sqs_queue *q,
                                const cJSON *entry, cJSON *result,
                                aws_error *err)
{
    (void)result;
    return sqs__message_change_visibility(srv, q, entry, err);
}

cJSON *sqs_op_send_message_batch(aws_request *req, aws_error *err)
{
    return sqs_batch_run(req, err, "SendMessageBatchRequestEntry",
                         sqs__message_send_entry, 1);
}

cJSON *sqs_op_delete_message_batch(aws_request *req, aws_error *err)
{
    return sqs_batch_run(req, err, "DeleteMessageBatchRequestEntry",
                         sqs_delete_entry, 0);
}

cJSON *sqs_op_change_message_visibility_batch(aws_request *req, aws_error *err)
{
    return sqs_batch_run(req, err, "ChangeMessageVisibilityBatchRequestEntry",
                         sqs_visibility_entry, 0);
}
