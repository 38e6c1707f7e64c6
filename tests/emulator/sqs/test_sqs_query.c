/*
 * test_sqs_query.c: SQS over the Query protocol (form-encoded requests,
 * XML responses), as Debian's AWS CLI 2.9 sends it, through the real
 * dispatcher.
 */
#include <string.h>

#include <criterion/criterion.h>

#include "aws.h"
#include "http.h"
#include "stratus.h"
#include "ts.h"

/* POST a form to the dispatcher, signed for SQS. Returns the body (the
 * caller frees it) and the status. */
static char *query_call(stratus *srv, const char *form, int *status)
{
    http_header headers[] = {
        {"Host", "localhost:4566"},
        {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
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
        .body = form,
        .body_len = strlen(form),
    };
    http_response resp;
    int needs_commit = 0;
    http_response_init(&resp);
    aws_dispatch(srv, &req, &resp, &needs_commit);
    stratus_turn_end(srv);
    *status = resp.status;
    char *body = strndup(resp.body ? resp.body : "", resp.body_len);
    http_response_cleanup(&resp);
    return body;
}

static void expect_contains(const char *xml, const char *part)
{
    cr_assert(strstr(xml, part) != NULL, "expected %s in %s", part, xml);
}

Test(sqs_query, create_send_receive)
{
    stratus *srv = ts_new();
    int status = 0;
    char *xml = query_call(srv,
                           "Action=CreateQueue&Version=2012-11-05&"
                           "QueueName=q&Attribute.1.Name=VisibilityTimeout&"
                           "Attribute.1.Value=40&Tag.1.Key=team&"
                           "Tag.1.Value=cards",
                           &status);
    cr_assert_eq(status, 200, "%s", xml);
    expect_contains(xml, "<CreateQueueResult><QueueUrl>http://localhost:4566/"
                         "123456789012/q</QueueUrl></CreateQueueResult>");
    free(xml);

    xml = query_call(srv,
                     "Action=SendMessage&QueueUrl=http%3A%2F%2Flocalhost%3A4566"
                     "%2F123456789012%2Fq&MessageBody=hello+world&"
                     "MessageAttribute.1.Name=ErrorType&"
                     "MessageAttribute.1.Value.DataType=String&"
                     "MessageAttribute.1.Value.StringValue=Timeout&"
                     "MessageAttribute.2.Name=CardId&"
                     "MessageAttribute.2.Value.DataType=String&"
                     "MessageAttribute.2.Value.StringValue=c-1&"
                     "MessageAttribute.3.Name=Blob&"
                     "MessageAttribute.3.Value.DataType=Binary&"
                     "MessageAttribute.3.Value.BinaryValue=AAH%2F&"
                     "MessageAttribute.4.Name=Count&"
                     "MessageAttribute.4.Value.DataType=Number&"
                     "MessageAttribute.4.Value.StringValue=42",
                     &status);
    cr_assert_eq(status, 200, "%s", xml);
    /* The same digests as over JSON (test_sqs_api.c). */
    expect_contains(xml, "<MD5OfMessageBody>5eb63bbbe01eeed093cb22bb8f5acdc3"
                         "</MD5OfMessageBody>");
    expect_contains(xml, "<MD5OfMessageAttributes>"
                         "6fa97a69c65d6dbf84e9987facff9561"
                         "</MD5OfMessageAttributes>");
    free(xml);

    xml = query_call(srv,
                     "Action=ReceiveMessage&QueueUrl=http%3A%2F%2Flocalhost"
                     "%3A4566%2F123456789012%2Fq&AttributeName.1=All&"
                     "MessageAttributeName.1=ErrorType",
                     &status);
    cr_assert_eq(status, 200, "%s", xml);
    expect_contains(xml, "<Body>hello world</Body>");
    expect_contains(xml, "<Attribute><Name>ApproximateReceiveCount</Name>"
                         "<Value>1</Value></Attribute>");
    expect_contains(xml, "<MessageAttribute><Name>ErrorType</Name><Value>"
                         "<DataType>String</DataType><StringValue>Timeout"
                         "</StringValue></Value></MessageAttribute>");
    cr_assert_null(strstr(xml, "CardId"), "only the named attribute");
    free(xml);

    xml = query_call(srv,
                     "Action=ReceiveMessage&QueueUrl=http%3A%2F%2Flocalhost"
                     "%3A4566%2F123456789012%2Fq",
                     &status);
    cr_assert_eq(status, 200);
    expect_contains(xml, "<ReceiveMessageResult></ReceiveMessageResult>");
    free(xml);
    ts_free(srv);
}

Test(sqs_query, errors_are_xml)
{
    stratus *srv = ts_new();
    int status = 0;
    char *xml = query_call(srv, "Action=GetQueueUrl&QueueName=nope", &status);
    cr_assert_eq(status, 400);
    expect_contains(xml, "<Error><Type>Sender</Type><Code>"
                         "AWS.SimpleQueueService.NonExistentQueue</Code>"
                         "<Message>The specified queue does not exist."
                         "</Message>");
    free(xml);

    xml = query_call(srv, "Action=Fly&QueueName=nope", &status);
    cr_assert_eq(status, 400);
    expect_contains(xml, "<Code>InvalidAction</Code><Message>The action Fly "
                         "is not valid for this web service.</Message>");
    free(xml);

    xml = query_call(srv, "Action=AddPermission", &status);
    cr_assert_eq(status, 400);
    expect_contains(xml, "<Code>NotImplementedException</Code>");
    free(xml);
    ts_free(srv);
}

Test(sqs_query, batch_entries)
{
    stratus *srv = ts_new();
    int status = 0;
    free(query_call(srv, "Action=CreateQueue&QueueName=q", &status));
    char *xml = query_call(
        srv,
        "Action=SendMessageBatch&QueueUrl=http%3A%2F%2Flocalhost%3A4566%2F"
        "123456789012%2Fq&SendMessageBatchRequestEntry.1.Id=a&"
        "SendMessageBatchRequestEntry.1.MessageBody=hello+world&"
        "SendMessageBatchRequestEntry.2.Id=b&"
        "SendMessageBatchRequestEntry.2.MessageBody=x&"
        "SendMessageBatchRequestEntry.2.MessageAttribute.1.Name=n&"
        "SendMessageBatchRequestEntry.2.MessageAttribute.1.Value.DataType="
        "Number&"
        "SendMessageBatchRequestEntry.2.MessageAttribute.1.Value.StringValue="
        "no",
        &status);
    cr_assert_eq(status, 200, "%s", xml);
    expect_contains(xml, "<SendMessageBatchResultEntry><MD5OfMessageBody>"
                         "5eb63bbbe01eeed093cb22bb8f5acdc3</MD5OfMessageBody>");
    expect_contains(xml, "<Id>a</Id></SendMessageBatchResultEntry>");
    expect_contains(xml, "<BatchResultErrorEntry><Id>b</Id><SenderFault>true"
                         "</SenderFault><Code>InvalidParameterValue</Code>");
    free(xml);
    ts_free(srv);
}
