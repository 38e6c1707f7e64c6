/*
 * test_sqs_api.c: the SQS operations through the real dispatcher, with the
 * error types, x-amzn-query-error headers and messages AWS returns.
 */
#include <string.h>

#include <criterion/criterion.h>

#include "aws.h"
#include "http.h"
#include "stratus.h"
#include "ts.h"

#define URL "http://localhost:4566/123456789012/"

/* Send one SQS call and keep the whole response (headers included). */
static cJSON *sqs_call(stratus *srv, const char *op, const char *body,
                       int *status, char *query_error, size_t size)
{
    char target[64];
    snprintf(target, sizeof target, "AmazonSQS.%s", op);
    http_header headers[] = {
        {"X-Amz-Target", target},
        {"Host", "localhost:4566"},
        {"Content-Type", "application/x-amz-json-1.0"},
        {"Authorization",
         "AWS4-HMAC-SHA256 Credential=AKIDTEST/20260101/us-east-1/sqs/"
         "aws4_request, SignedHeaders=host, Signature=00"},
    };
    http_request req = {
        .method = "POST",
        .path = "/",
        .query = "",
        .headers = headers,
        .header_count = sizeof headers / sizeof *headers,
        .body = body,
        .body_len = strlen(body),
    };
    http_response resp;
    int needs_commit = 0;
    http_response_init(&resp);
    aws_dispatch(srv, &req, &resp, &needs_commit);
    stratus_turn_end(srv);
    *status = resp.status;
    if (query_error) {
        query_error[0] = '\0';
        for (size_t i = 0; i < resp.header_count; i++)
            if (strcmp(resp.headers[i].name, "x-amzn-query-error") == 0)
                snprintf(query_error, size, "%s", resp.headers[i].value);
    }
    cJSON *out = cJSON_ParseWithLength(resp.body, resp.body_len);
    http_response_cleanup(&resp);
    return out;
}

static cJSON *ok(stratus *srv, const char *op, const char *body)
{
    int status = 0;
    cJSON *out = sqs_call(srv, op, body, &status, NULL, 0);
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
                         int status, const char *type, const char *query_error,
                         const char *message)
{
    int got = 0;
    char header[160];
    cJSON *out = sqs_call(srv, op, body, &got, header, sizeof header);
    cr_assert_eq(got, status, "%s: status %d", op, got);
    cr_assert_str_eq(str(out, "__type"), type);
    cr_assert_str_eq(header, query_error);
    if (message)
        cr_assert_str_eq(str(out, "message"), message);
    cJSON_Delete(out);
}

Test(sqs_api, create_get_url_and_list)
{
    stratus *srv = ts_new();
    cJSON *out = ok(srv, "CreateQueue", "{\"QueueName\":\"jobs\"}");
    cr_assert_str_eq(str(out, "QueueUrl"), URL "jobs");
    cJSON_Delete(out);
    cJSON_Delete(ok(srv, "CreateQueue", "{\"QueueName\":\"jobs-dlq\"}"));

    out = ok(srv, "GetQueueUrl", "{\"QueueName\":\"jobs\"}");
    cr_assert_str_eq(str(out, "QueueUrl"), URL "jobs");
    cJSON_Delete(out);

    out = ok(srv, "ListQueues", "{\"QueueNamePrefix\":\"jobs-\"}");
    cJSON *urls = cJSON_GetObjectItemCaseSensitive(out, "QueueUrls");
    cr_assert_eq(cJSON_GetArraySize(urls), 1);
    cr_assert_str_eq(cJSON_GetArrayItem(urls, 0)->valuestring, URL "jobs-dlq");
    cJSON_Delete(out);

    out = ok(srv, "ListQueues", "{\"MaxResults\":1}");
    cr_assert_str_eq(str(out, "NextToken"), "jobs");
    cJSON_Delete(out);
    ts_free(srv);
}

Test(sqs_api, missing_queue_errors)
{
    stratus *srv = ts_new();
    expect_error(srv, "GetQueueUrl", "{\"QueueName\":\"nope\"}", 400,
                 "com.amazonaws.sqs#QueueDoesNotExist",
                 "AWS.SimpleQueueService.NonExistentQueue;Sender",
                 "The specified queue does not exist.");
    expect_error(srv, "SendMessage",
                 "{\"QueueUrl\":\"" URL "nope\",\"MessageBody\":\"x\"}", 400,
                 "com.amazonaws.sqs#QueueDoesNotExist",
                 "AWS.SimpleQueueService.NonExistentQueue;Sender", NULL);
    ts_free(srv);
}

Test(sqs_api, create_conflict_and_bad_attributes)
{
    stratus *srv = ts_new();
    cJSON_Delete(ok(srv, "CreateQueue",
                    "{\"QueueName\":\"q\",\"Attributes\":"
                    "{\"VisibilityTimeout\":\"40\"}}"));
    cJSON_Delete(ok(srv, "CreateQueue",
                    "{\"QueueName\":\"q\",\"Attributes\":"
                    "{\"VisibilityTimeout\":\"40\"}}"));
    expect_error(srv, "CreateQueue",
                 "{\"QueueName\":\"q\",\"Attributes\":"
                 "{\"VisibilityTimeout\":\"41\"}}",
                 400, "com.amazonaws.sqs#QueueNameExists",
                 "QueueAlreadyExists;Sender",
                 "A queue already exists with the same name and a different "
                 "value for attribute VisibilityTimeout");
    expect_error(srv, "CreateQueue",
                 "{\"QueueName\":\"r\",\"Attributes\":{\"Colour\":\"red\"}}",
                 400, "com.amazonaws.sqs#InvalidAttributeName",
                 "InvalidAttributeName;Sender", "Unknown Attribute Colour.");
    expect_error(srv, "CreateQueue",
                 "{\"QueueName\":\"r\",\"Attributes\":"
                 "{\"DelaySeconds\":\"901\"}}",
                 400, "com.amazonaws.sqs#InvalidAttributeValue",
                 "InvalidAttributeValue;Sender",
                 "Invalid value for the parameter DelaySeconds.");
    expect_error(srv, "CreateQueue", "{\"QueueName\":\"bad name\"}", 400,
                 "com.amazonaws.sqs#InvalidParameterValue",
                 "InvalidParameterValue;Sender", NULL);
    ts_free(srv);
}

Test(sqs_api, attributes_and_policy)
{
    stratus *srv = ts_new();
    cJSON_Delete(ok(srv, "CreateQueue", "{\"QueueName\":\"q\"}"));
    cJSON_Delete(
        ok(srv, "SetQueueAttributes",
           "{\"QueueUrl\":\"" URL "q\",\"Attributes\":{\"Policy\":"
           "\"{\\\"Version\\\":\\\"2012-10-17\\\",\\\"Statement\\\":[]}\","
           "\"VisibilityTimeout\":\"5\"}}"));
    cJSON *out = ok(srv, "GetQueueAttributes",
                    "{\"QueueUrl\":\"" URL "q\",\"AttributeNames\":[\"All\"]}");
    cJSON *attrs = cJSON_GetObjectItemCaseSensitive(out, "Attributes");
    cr_assert_str_eq(str(attrs, "VisibilityTimeout"), "5");
    cr_assert_str_eq(str(attrs, "QueueArn"),
                     "arn:aws:sqs:us-east-1:123456789012:q");
    cr_assert_str_eq(str(attrs, "MaximumMessageSize"), "1048576");
    cr_assert_str_eq(str(attrs, "ApproximateNumberOfMessages"), "0");
    cr_assert_not_null(str(attrs, "Policy"));
    cJSON_Delete(out);
    expect_error(srv, "SetQueueAttributes",
                 "{\"QueueUrl\":\"" URL "q\",\"Attributes\":"
                 "{\"Policy\":\"not json\"}}",
                 400, "com.amazonaws.sqs#InvalidAttributeValue",
                 "InvalidAttributeValue;Sender",
                 "Invalid value for the parameter Policy.");
    ts_free(srv);
}

Test(sqs_api, send_receive_delete_with_md5)
{
    stratus *srv = ts_new();
    cJSON_Delete(ok(srv, "CreateQueue", "{\"QueueName\":\"q\"}"));
    cJSON *out = ok(
        srv, "SendMessage",
        "{\"QueueUrl\":\"" URL "q\",\"MessageBody\":\"hello world\","
        "\"MessageAttributes\":{"
        "\"ErrorType\":{\"DataType\":\"String\",\"StringValue\":\"Timeout\"},"
        "\"CardId\":{\"DataType\":\"String\",\"StringValue\":\"c-1\"},"
        "\"Blob\":{\"DataType\":\"Binary\",\"BinaryValue\":\"AAH/\"},"
        "\"Count\":{\"DataType\":\"Number\",\"StringValue\":\"42\"}}}");
    cr_assert_str_eq(str(out, "MD5OfMessageBody"),
                     "5eb63bbbe01eeed093cb22bb8f5acdc3");
    cr_assert_str_eq(str(out, "MD5OfMessageAttributes"),
                     "6fa97a69c65d6dbf84e9987facff9561");
    char id[64];
    snprintf(id, sizeof id, "%s", str(out, "MessageId"));
    cJSON_Delete(out);

    out = ok(srv, "ReceiveMessage",
             "{\"QueueUrl\":\"" URL "q\",\"MessageAttributeNames\":[\"All\"],"
             "\"MessageSystemAttributeNames\":[\"ApproximateReceiveCount\"]}");
    cJSON *m = cJSON_GetArrayItem(
        cJSON_GetObjectItemCaseSensitive(out, "Messages"), 0);
    cr_assert_not_null(m);
    cr_assert_str_eq(str(m, "MessageId"), id);
    cr_assert_str_eq(str(m, "Body"), "hello world");
    cr_assert_str_eq(str(m, "MD5OfMessageAttributes"),
                     "6fa97a69c65d6dbf84e9987facff9561");
    cr_assert_str_eq(str(cJSON_GetObjectItemCaseSensitive(m, "Attributes"),
                         "ApproximateReceiveCount"),
                     "1");
    char body[256];
    snprintf(body, sizeof body,
             "{\"QueueUrl\":\"" URL "q\",\"ReceiptHandle\":\"%s\"}",
             str(m, "ReceiptHandle"));
    cJSON_Delete(out);

    /* In flight: a second receive finds nothing. */
    out = ok(srv, "ReceiveMessage", "{\"QueueUrl\":\"" URL "q\"}");
    cr_assert_null(cJSON_GetObjectItemCaseSensitive(out, "Messages"));
    cJSON_Delete(out);

    cJSON_Delete(ok(srv, "DeleteMessage", body));
    expect_error(srv, "DeleteMessage",
                 "{\"QueueUrl\":\"" URL "q\",\"ReceiptHandle\":\"garbage\"}",
                 404, "com.amazonaws.sqs#ReceiptHandleIsInvalid",
                 "ReceiptHandleIsInvalid;Sender",
                 "The input receipt handle \"garbage\" is not a valid "
                 "receipt handle.");
    ts_free(srv);
}

Test(sqs_api, visibility_timeout_returns_message)
{
    stratus *srv = ts_new();
    cJSON_Delete(ok(srv, "CreateQueue", "{\"QueueName\":\"q\"}"));
    cJSON_Delete(ok(srv, "SendMessage",
                    "{\"QueueUrl\":\"" URL "q\",\"MessageBody\":\"a\"}"));
    cJSON *out = ok(srv, "ReceiveMessage",
                    "{\"QueueUrl\":\"" URL "q\",\"VisibilityTimeout\":10}");
    cr_assert_not_null(cJSON_GetObjectItemCaseSensitive(out, "Messages"));
    cJSON_Delete(out);

    clock_advance_to(&srv->clock, clock_now_ms(&srv->clock) + 11000);
    out = ok(srv, "ReceiveMessage",
             "{\"QueueUrl\":\"" URL "q\",\"AttributeNames\":[\"All\"]}");
    cJSON *m = cJSON_GetArrayItem(
        cJSON_GetObjectItemCaseSensitive(out, "Messages"), 0);
    cr_assert_not_null(m);
    cr_assert_str_eq(str(cJSON_GetObjectItemCaseSensitive(m, "Attributes"),
                         "ApproximateReceiveCount"),
                     "2");
    char body[256];
    snprintf(body, sizeof body,
             "{\"QueueUrl\":\"" URL "q\",\"ReceiptHandle\":\"%s\","
             "\"VisibilityTimeout\":0}",
             str(m, "ReceiptHandle"));
    cJSON_Delete(out);
    cJSON_Delete(ok(srv, "ChangeMessageVisibility", body));
    expect_error(srv, "ChangeMessageVisibility", body, 400,
                 "com.amazonaws.sqs#MessageNotInflight",
                 "AWS.SimpleQueueService.MessageNotInflight;Sender",
                 "Message does not exist or is not available for visibility "
                 "timeout change.");
    ts_free(srv);
}

Test(sqs_api, message_attribute_checks)
{
    stratus *srv = ts_new();
    cJSON_Delete(ok(srv, "CreateQueue", "{\"QueueName\":\"q\"}"));
    /* The CollectIQ error handler sends RequestId without a value. */
    expect_error(srv, "SendMessage",
                 "{\"QueueUrl\":\"" URL "q\",\"MessageBody\":\"{}\","
                 "\"MessageAttributes\":{\"RequestId\":"
                 "{\"DataType\":\"String\"}}}",
                 400, "com.amazonaws.sqs#InvalidParameterValue",
                 "InvalidParameterValue;Sender",
                 "The message attribute 'RequestId' must contain non-empty "
                 "message attribute value for message attribute type "
                 "'String'.");
    expect_error(srv, "SendMessage",
                 "{\"QueueUrl\":\"" URL "q\",\"MessageBody\":\"{}\","
                 "\"MessageAttributes\":{\"n\":{\"DataType\":\"Number\","
                 "\"StringValue\":\"abc\"}}}",
                 400, "com.amazonaws.sqs#InvalidParameterValue",
                 "InvalidParameterValue;Sender",
                 "Can't cast the value of message (user) attribute 'n' to a "
                 "number.");
    expect_error(srv, "SendMessage", "{\"QueueUrl\":\"" URL "q\"}", 400,
                 "com.amazonaws.sqs#MissingParameter",
                 "MissingParameter;Sender",
                 "The request must contain the parameter MessageBody.");
    expect_error(srv, "ReceiveMessage",
                 "{\"QueueUrl\":\"" URL "q\",\"MaxNumberOfMessages\":11}", 400,
                 "com.amazonaws.sqs#InvalidParameterValue",
                 "InvalidParameterValue;Sender",
                 "Value 11 for parameter MaxNumberOfMessages is invalid. "
                 "Reason: Must be between 1 and 10, if provided.");
    ts_free(srv);
}

Test(sqs_api, purge_and_redrive)
{
    stratus *srv = ts_new();
    cJSON_Delete(ok(srv, "CreateQueue", "{\"QueueName\":\"dlq\"}"));
    cJSON_Delete(ok(srv, "CreateQueue",
                    "{\"QueueName\":\"q\",\"Attributes\":{\"RedrivePolicy\":"
                    "\"{\\\"deadLetterTargetArn\\\":\\\"arn:aws:sqs:us-east-1:"
                    "123456789012:dlq\\\",\\\"maxReceiveCount\\\":1}\"}}"));
    cJSON_Delete(ok(srv, "SendMessage",
                    "{\"QueueUrl\":\"" URL "q\",\"MessageBody\":\"m\"}"));
    cJSON_Delete(ok(srv, "ReceiveMessage",
                    "{\"QueueUrl\":\"" URL "q\",\"VisibilityTimeout\":0}"));
    cJSON *out = ok(srv, "ReceiveMessage", "{\"QueueUrl\":\"" URL "q\"}");
    cr_assert_null(cJSON_GetObjectItemCaseSensitive(out, "Messages"));
    cJSON_Delete(out);
    out = ok(srv, "ReceiveMessage", "{\"QueueUrl\":\"" URL "dlq\"}");
    cr_assert_not_null(cJSON_GetObjectItemCaseSensitive(out, "Messages"));
    cJSON_Delete(out);

    out =
        ok(srv, "ListDeadLetterSourceQueues", "{\"QueueUrl\":\"" URL "dlq\"}");
    cJSON *sources = cJSON_GetObjectItemCaseSensitive(out, "queueUrls");
    cr_assert_eq(cJSON_GetArraySize(sources), 1);
    cr_assert_str_eq(cJSON_GetArrayItem(sources, 0)->valuestring, URL "q");
    cJSON_Delete(out);

    cJSON_Delete(ok(srv, "PurgeQueue", "{\"QueueUrl\":\"" URL "dlq\"}"));
    expect_error(srv, "PurgeQueue", "{\"QueueUrl\":\"" URL "dlq\"}", 403,
                 "com.amazonaws.sqs#PurgeQueueInProgress",
                 "AWS.SimpleQueueService.PurgeQueueInProgress;Sender",
                 "Only one PurgeQueue operation on dlq is allowed every 60 "
                 "seconds.");
    cJSON_Delete(ok(srv, "DeleteQueue", "{\"QueueUrl\":\"" URL "dlq\"}"));
    ts_free(srv);
}

Test(sqs_api, fifo_group_and_dedup)
{
    stratus *srv = ts_new();
    cJSON_Delete(ok(srv, "CreateQueue",
                    "{\"QueueName\":\"f.fifo\",\"Attributes\":"
                    "{\"FifoQueue\":\"true\"}}"));
    expect_error(srv, "SendMessage",
                 "{\"QueueUrl\":\"" URL "f.fifo\",\"MessageBody\":\"a\","
                 "\"MessageGroupId\":\"g\"}",
                 400, "com.amazonaws.sqs#InvalidParameterValue",
                 "InvalidParameterValue;Sender",
                 "The queue should either have ContentBasedDeduplication "
                 "enabled or MessageDeduplicationId provided explicitly");
    const char *send = "{\"QueueUrl\":\"" URL "f.fifo\",\"MessageBody\":\"a\","
                       "\"MessageGroupId\":\"g\","
                       "\"MessageDeduplicationId\":\"d1\"}";
    cJSON *first = ok(srv, "SendMessage", send);
    cJSON *again = ok(srv, "SendMessage", send);
    cr_assert_str_eq(str(first, "MessageId"), str(again, "MessageId"));
    cr_assert_not_null(str(first, "SequenceNumber"));
    cJSON_Delete(first);
    cJSON_Delete(again);
    cJSON *out = ok(srv, "GetQueueAttributes",
                    "{\"QueueUrl\":\"" URL "f.fifo\",\"AttributeNames\":"
                    "[\"ApproximateNumberOfMessages\"]}");
    cr_assert_str_eq(str(cJSON_GetObjectItemCaseSensitive(out, "Attributes"),
                         "ApproximateNumberOfMessages"),
                     "1");
    cJSON_Delete(out);
    ts_free(srv);
}
