/*
 * test_sqs_batch.c: SendMessageBatch, DeleteMessageBatch and
 * ChangeMessageVisibilityBatch: request checks, and entries that fail
 * alone while the others take effect.
 */
#include <string.h>

#include <criterion/criterion.h>

#include "ts.h"

#define URL "http://127.0.0.1:4566/123456789012/q"

static cJSON *sqs(stratus *srv, const char *op, const char *body, int *status)
{
    char target[64];
    snprintf(target, sizeof target, "AmazonSQS.%s", op);
    return ts_call(srv, target, body, status);
}

static cJSON *ok(stratus *srv, const char *op, const char *body)
{
    int status = 0;
    cJSON *out = sqs(srv, op, body, &status);
    cr_assert_eq(status, 200, "%s %s failed: %s", op, body,
                 out ? cJSON_PrintUnformatted(out) : "(no body)");
    return out;
}

static const char *str(const cJSON *obj, const char *name)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(m) ? m->valuestring : NULL;
}

static void expect_error(stratus *srv, const char *op, const char *body,
                         const char *type, const char *message)
{
    int status = 0;
    cJSON *out = sqs(srv, op, body, &status);
    cr_assert_eq(status, 400, "%s: status %d", op, status);
    cr_assert_str_eq(str(out, "__type"), type);
    cr_assert_str_eq(str(out, "message"), message);
    cJSON_Delete(out);
}

Test(sqs_batch, send_with_one_failed_entry)
{
    stratus *srv = ts_new();
    cJSON_Delete(ok(srv, "CreateQueue", "{\"QueueName\":\"q\"}"));
    cJSON *out = ok(srv, "SendMessageBatch",
                    "{\"QueueUrl\":\"" URL "\",\"Entries\":["
                    "{\"Id\":\"a\",\"MessageBody\":\"hello world\"},"
                    "{\"Id\":\"b\",\"MessageBody\":\"x\",\"MessageAttributes\":"
                    "{\"n\":{\"DataType\":\"Number\",\"StringValue\":\"no\"}}},"
                    "{\"Id\":\"c\",\"MessageBody\":\"third\","
                    "\"DelaySeconds\":5}]}");
    cJSON *successful = cJSON_GetObjectItemCaseSensitive(out, "Successful");
    cJSON *failed = cJSON_GetObjectItemCaseSensitive(out, "Failed");
    cr_assert_eq(cJSON_GetArraySize(successful), 2);
    cr_assert_eq(cJSON_GetArraySize(failed), 1);
    cJSON *first = cJSON_GetArrayItem(successful, 0);
    cr_assert_str_eq(str(first, "Id"), "a");
    cr_assert_str_eq(str(first, "MD5OfMessageBody"),
                     "5eb63bbbe01eeed093cb22bb8f5acdc3");
    cJSON *f = cJSON_GetArrayItem(failed, 0);
    cr_assert_str_eq(str(f, "Id"), "b");
    cr_assert_str_eq(str(f, "Code"), "InvalidParameterValue");
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(f, "SenderFault")));
    cJSON_Delete(out);

    out = ok(srv, "GetQueueAttributes",
             "{\"QueueUrl\":\"" URL "\",\"AttributeNames\":["
             "\"ApproximateNumberOfMessages\","
             "\"ApproximateNumberOfMessagesDelayed\"]}");
    cJSON *attrs = cJSON_GetObjectItemCaseSensitive(out, "Attributes");
    cr_assert_str_eq(str(attrs, "ApproximateNumberOfMessages"), "1");
    cr_assert_str_eq(str(attrs, "ApproximateNumberOfMessagesDelayed"), "1");
    cJSON_Delete(out);
    ts_free(srv);
}

Test(sqs_batch, request_checks)
{
    stratus *srv = ts_new();
    cJSON_Delete(ok(srv, "CreateQueue", "{\"QueueName\":\"q\"}"));
    expect_error(srv, "SendMessageBatch",
                 "{\"QueueUrl\":\"" URL "\",\"Entries\":[]}",
                 "com.amazonaws.sqs#EmptyBatchRequest",
                 "There should be at least one SendMessageBatchRequestEntry "
                 "in the request.");
    expect_error(srv, "DeleteMessageBatch",
                 "{\"QueueUrl\":\"" URL "\",\"Entries\":["
                 "{\"Id\":\"a\",\"ReceiptHandle\":\"x\"},"
                 "{\"Id\":\"a\",\"ReceiptHandle\":\"y\"}]}",
                 "com.amazonaws.sqs#BatchEntryIdsNotDistinct",
                 "Id a repeated.");
    expect_error(srv, "DeleteMessageBatch",
                 "{\"QueueUrl\":\"" URL "\",\"Entries\":["
                 "{\"Id\":\"a b\",\"ReceiptHandle\":\"x\"}]}",
                 "com.amazonaws.sqs#InvalidBatchEntryId",
                 "A batch entry id can only contain alphanumeric characters, "
                 "hyphens and underscores. It can be at most 80 letters "
                 "long.");

    char body[2048] = "{\"QueueUrl\":\"" URL "\",\"Entries\":[";
    for (int i = 0; i < 11; i++) {
        char entry[64];
        snprintf(entry, sizeof entry,
                 "%s{\"Id\":\"e%d\",\"MessageBody\":\"m\"}", i ? "," : "", i);
        strcat(body, entry);
    }
    strcat(body, "]}");
    expect_error(srv, "SendMessageBatch", body,
                 "com.amazonaws.sqs#TooManyEntriesInBatchRequest",
                 "Maximum number of entries per request are 10. You have "
                 "sent 11.");
    ts_free(srv);
}

Test(sqs_batch, delete_and_change_visibility)
{
    stratus *srv = ts_new();
    cJSON_Delete(ok(srv, "CreateQueue", "{\"QueueName\":\"q\"}"));
    cJSON_Delete(ok(srv, "SendMessageBatch",
                    "{\"QueueUrl\":\"" URL "\",\"Entries\":["
                    "{\"Id\":\"a\",\"MessageBody\":\"1\"},"
                    "{\"Id\":\"b\",\"MessageBody\":\"2\"}]}"));
    cJSON *out = ok(srv, "ReceiveMessage",
                    "{\"QueueUrl\":\"" URL "\",\"MaxNumberOfMessages\":10}");
    cJSON *messages = cJSON_GetObjectItemCaseSensitive(out, "Messages");
    cr_assert_eq(cJSON_GetArraySize(messages), 2);
    char body[1024];
    snprintf(body, sizeof body,
             "{\"QueueUrl\":\"" URL "\",\"Entries\":["
             "{\"Id\":\"a\",\"ReceiptHandle\":\"%s\",\"VisibilityTimeout\":0},"
             "{\"Id\":\"b\",\"ReceiptHandle\":\"bad\",\"VisibilityTimeout\":0}"
             "]}",
             str(cJSON_GetArrayItem(messages, 0), "ReceiptHandle"));
    cJSON *changed = ok(srv, "ChangeMessageVisibilityBatch", body);
    cr_assert_eq(cJSON_GetArraySize(
                     cJSON_GetObjectItemCaseSensitive(changed, "Successful")),
                 1);
    cJSON *f = cJSON_GetArrayItem(
        cJSON_GetObjectItemCaseSensitive(changed, "Failed"), 0);
    cr_assert_str_eq(str(f, "Code"), "ReceiptHandleIsInvalid");
    cJSON_Delete(changed);

    snprintf(body, sizeof body,
             "{\"QueueUrl\":\"" URL "\",\"Entries\":["
             "{\"Id\":\"b\",\"ReceiptHandle\":\"%s\"}]}",
             str(cJSON_GetArrayItem(messages, 1), "ReceiptHandle"));
    cJSON *deleted = ok(srv, "DeleteMessageBatch", body);
    cr_assert_eq(cJSON_GetArraySize(
                     cJSON_GetObjectItemCaseSensitive(deleted, "Successful")),
                 1);
    cJSON_Delete(deleted);
    cJSON_Delete(out);

    out = ok(srv, "GetQueueAttributes",
             "{\"QueueUrl\":\"" URL "\",\"AttributeNames\":[\"All\"]}");
    cJSON *attrs = cJSON_GetObjectItemCaseSensitive(out, "Attributes");
    cr_assert_str_eq(str(attrs, "ApproximateNumberOfMessages"), "1");
    cr_assert_str_eq(str(attrs, "ApproximateNumberOfMessagesNotVisible"), "0");
    cJSON_Delete(out);
    ts_free(srv);
}
