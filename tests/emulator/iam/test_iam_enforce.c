/*
 * test_iam_enforce.c: enforcement of IAM policies. Covers requests signed
 * with credentials Stratus issued (JSON, REST-JSON and Query protocols),
 * EventBridge targets whose role lacks the action, dead-lettering with
 * and without a queue policy, Step Functions invoking Lambda with its
 * role, STS, and the setting that turns enforcement off.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "evb_internal.h"
#include "iam.h"
#include "iam_test.h"
#include "s3.h"

#define ACCOUNT "123456789012"
#define TABLE_ARN "arn:aws:dynamodb:us-east-1:" ACCOUNT ":table/cards"
#define LAMBDA_TRUST                                                           \
    "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","        \
    "\"Principal\":{\"Service\":\"lambda.amazonaws.com\"},"                    \
    "\"Action\":\"sts:AssumeRole\"}]}"

/* Call an IAM operation with a JSON body (the handlers take the same
 * members as the Query form). */
static void iam_json_op(stratus *srv, const char *op, const char *body)
{
    char form[4096];
    cJSON *parsed = cJSON_Parse(body);
    cr_assert_not_null(parsed, "test body is not JSON: %s", body);
    size_t n = (size_t)snprintf(form, sizeof form, "Action=%s", op);
    const cJSON *m;
    cJSON_ArrayForEach(m, parsed)
    {
        /* Percent-encode each value. */
        n += (size_t)snprintf(form + n, sizeof form - n, "&%s=", m->string);
        for (const char *c = m->valuestring; *c && n + 4 < sizeof form; c++) {
            unsigned char u = (unsigned char)*c;
            if ((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') ||
                (u >= '0' && u <= '9') || strchr("-_.", u))
                form[n++] = (char)u;
            else
                n += (size_t)snprintf(form + n, sizeof form - n, "%%%02X", u);
        }
        form[n] = '\0';
    }
    cJSON_Delete(parsed);
    iam_test_ok(iam_test_iam(srv, form), op);
}

static void create_role(stratus *srv, const char *name, const char *trust)
{
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "RoleName", name);
    cJSON_AddStringToObject(body, "AssumeRolePolicyDocument", trust);
    char *text = cJSON_PrintUnformatted(body);
    iam_json_op(srv, "CreateRole", text);
    free(text);
    cJSON_Delete(body);
}

static void put_policy(stratus *srv, const char *role, const char *name,
                       const char *document)
{
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "RoleName", role);
    cJSON_AddStringToObject(body, "PolicyName", name);
    cJSON_AddStringToObject(body, "PolicyDocument", document);
    char *text = cJSON_PrintUnformatted(body);
    iam_json_op(srv, "PutRolePolicy", text);
    free(text);
    cJSON_Delete(body);
}

/* Credentials of the function "cards-get" for role fn-role. */
static iam_credentials function_credentials(stratus *srv)
{
    iam_credentials cred;
    aws_error err;
    memset(&err, 0, sizeof err);
    cr_assert_eq(iam_credentials_for_session(
                     srv, ACCOUNT, "arn:aws:iam::" ACCOUNT ":role/fn-role",
                     "cards-get", &cred, &err),
                 0, "%s", err.message);
    stratus_turn_end(srv);
    return cred;
}

static void create_table(stratus *srv)
{
    int status = 0;
    cJSON *out = ts_call(
        srv, "DynamoDB_20120810.CreateTable",
        "{\"TableName\":\"cards\",\"BillingMode\":\"PAY_PER_REQUEST\","
        "\"AttributeDefinitions\":[{\"AttributeName\":\"PK\","
        "\"AttributeType\":\"S\"},{\"AttributeName\":\"G\","
        "\"AttributeType\":\"S\"}],\"KeySchema\":[{\"AttributeName\":\"PK\","
        "\"KeyType\":\"HASH\"}],\"GlobalSecondaryIndexes\":[{\"IndexName\":"
        "\"GSI1\",\"KeySchema\":[{\"AttributeName\":\"G\",\"KeyType\":"
        "\"HASH\"}],\"Projection\":{\"ProjectionType\":\"ALL\"}}]}",
        &status);
    cr_assert_eq(status, 200, "%s", out ? cJSON_PrintUnformatted(out) : "");
    cJSON_Delete(out);
}

static iam_test_response get_item(stratus *srv, const char *key)
{
    return iam_test_json(srv, "dynamodb", key, "DynamoDB_20120810.GetItem",
                         "{\"TableName\":\"cards\",\"Key\":{\"PK\":"
                         "{\"S\":\"a\"}}}");
}

static const char *json_str(const cJSON *obj, const char *name)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(m) ? m->valuestring : "";
}

Test(iam_enforce, dynamodb_get_item_denied)
{
    stratus *srv = ts_new_enforcing();
    create_table(srv);
    create_role(srv, "fn-role", LAMBDA_TRUST);
    put_policy(srv, "fn-role", "put",
               "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":"
               "\"Allow\",\"Action\":\"dynamodb:PutItem\",\"Resource\":"
               "\"" TABLE_ARN "\"}]}");
    iam_credentials cred = function_credentials(srv);
    cr_expect_eq(strncmp(cred.access_key, "ASIA", 4), 0);
    cr_expect_eq(strlen(cred.access_key), 20);

    iam_test_response r = get_item(srv, cred.access_key);
    cr_assert_eq(r.status, 400, "%s", r.body);
    cJSON *body = cJSON_Parse(r.body);
    cr_expect_str_eq(json_str(body, "__type"),
                     "com.amazon.coral.service#AccessDeniedException");
    cr_expect_str_eq(json_str(body, "message"),
                     "User: arn:aws:sts::" ACCOUNT ":assumed-role/fn-role/"
                     "cards-get is not authorized to perform: "
                     "dynamodb:GetItem on resource: " TABLE_ARN
                     " because no identity-based policy allows the "
                     "dynamodb:GetItem action");
    cJSON_Delete(body);
    free(r.body);

    /* The administrator's key is never checked. */
    r = get_item(srv, "AKIDTEST");
    cr_expect_eq(r.status, 200, "%s", r.body);
    free(r.body);

    /* Granting the action lets the same key through. */
    put_policy(srv, "fn-role", "get",
               "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":"
               "\"Allow\",\"Action\":\"dynamodb:GetItem\",\"Resource\":"
               "\"arn:aws:dynamodb:*:*:table/cards\"}]}");
    r = get_item(srv, cred.access_key);
    cr_expect_eq(r.status, 200, "%s", r.body);
    free(r.body);

    /* An explicit deny wins over the allow. */
    put_policy(srv, "fn-role", "deny",
               "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":"
               "\"Deny\",\"Action\":\"dynamodb:Get*\",\"Resource\":\"*\"}]}");
    r = get_item(srv, cred.access_key);
    cr_expect_eq(r.status, 400);
    cr_expect(strstr(r.body, "with an explicit deny in an identity-based "
                             "policy") != NULL,
              "%s", r.body);
    free(r.body);
    ts_free(srv);
}

Test(iam_enforce, dynamodb_index_resource)
{
    stratus *srv = ts_new_enforcing();
    create_table(srv);
    create_role(srv, "fn-role", LAMBDA_TRUST);
    put_policy(srv, "fn-role", "query",
               "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":"
               "\"dynamodb:Query\",\"Resource\":\"" TABLE_ARN "\"}}");
    iam_credentials cred = function_credentials(srv);
    const char *query =
        "{\"TableName\":\"cards\",\"IndexName\":\"GSI1\","
        "\"KeyConditionExpression\":\"G = :g\",\"ExpressionAttributeValues\":"
        "{\":g\":{\"S\":\"x\"}}}";
    iam_test_response r = iam_test_json(srv, "dynamodb", cred.access_key,
                                        "DynamoDB_20120810.Query", query);
    cr_expect_eq(r.status, 400, "%s", r.body);
    cr_expect(strstr(r.body, "on resource: " TABLE_ARN "/index/GSI1") != NULL,
              "%s", r.body);
    free(r.body);

    put_policy(srv, "fn-role", "index",
               "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":"
               "\"dynamodb:Query\",\"Resource\":\"" TABLE_ARN "/index/*\"}}");
    r = iam_test_json(srv, "dynamodb", cred.access_key,
                      "DynamoDB_20120810.Query", query);
    cr_expect_eq(r.status, 200, "%s", r.body);
    free(r.body);
    ts_free(srv);
}

Test(iam_enforce, missing_role_denies)
{
    stratus *srv = ts_new_enforcing();
    create_table(srv);
    /* fn-role was never created: as in AWS, nothing is allowed. */
    iam_credentials cred = function_credentials(srv);
    iam_test_response r = get_item(srv, cred.access_key);
    cr_expect_eq(r.status, 400, "%s", r.body);
    cr_expect(strstr(r.body, "AccessDeniedException") != NULL, "%s", r.body);
    free(r.body);
    ts_free(srv);
}

Test(iam_enforce, off_allows_issued_keys)
{
    stratus *srv = ts_new();
    create_table(srv);
    create_role(srv, "fn-role", LAMBDA_TRUST);
    iam_credentials cred = function_credentials(srv);
    iam_test_response r = get_item(srv, cred.access_key);
    cr_expect_eq(r.status, 200, "%s", r.body);
    free(r.body);
    ts_free(srv);
}

Test(iam_enforce, sqs_query_and_lambda_rest)
{
    stratus *srv = ts_new_enforcing();
    create_role(srv, "fn-role", LAMBDA_TRUST);
    iam_credentials cred = function_credentials(srv);
    int status = 0;
    cJSON *out = ts_call(srv, "AmazonSQS.CreateQueue",
                         "{\"QueueName\":\"dlq\"}", &status);
    cr_assert_eq(status, 200);
    cJSON_Delete(out);

    iam_test_response r = iam_test_query(
        srv, "sqs", cred.access_key,
        "Action=SendMessage&QueueUrl=http%3A%2F%2Flocalhost%2F" ACCOUNT
        "%2Fdlq&MessageBody=x");
    cr_expect_eq(r.status, 403, "%s", r.body);
    char text[512];
    cr_expect_str_eq(iam_test_element(r.body, "Code", text, sizeof text),
                     "AccessDenied");
    cr_expect(strstr(r.body, "sqs:sendmessage on resource: "
                             "arn:aws:sqs:us-east-1:" ACCOUNT
                             ":dlq because no identity-based policy allows "
                             "the sqs:sendmessage action") != NULL,
              "%s", r.body);
    free(r.body);

    /* The JSON protocol keeps the Query code and names it in a header. */
    r = iam_test_json(srv, "sqs", cred.access_key, "AmazonSQS.SendMessageBatch",
                      "{\"QueueUrl\":\"http://localhost/" ACCOUNT "/dlq\","
                      "\"Entries\":[{\"Id\":\"1\",\"MessageBody\":\"x\"}]}");
    cr_expect_eq(r.status, 403, "%s", r.body);
    cr_expect(strstr(r.body, "AccessDenied") != NULL, "%s", r.body);
    cr_expect(strstr(r.body, "perform: sqs:sendmessage on") != NULL,
              "a batch needs the single action: %s", r.body);
    free(r.body);

    /* Lambda's Invoke needs lambda:InvokeFunction. */
    char auth[256];
    snprintf(auth, sizeof auth,
             "AWS4-HMAC-SHA256 Credential=%s/20260101/us-east-1/lambda/"
             "aws4_request, SignedHeaders=host, Signature=00",
             cred.access_key);
    http_header headers[] = {{"Authorization", auth}};
    http_request req = {
        .method = "POST",
        .path = "/2015-03-31/functions/pricing/invocations",
        .query = "",
        .headers = headers,
        .header_count = 1,
        .body = "{}",
        .body_len = 2,
        .remote_addr = "127.0.0.1",
    };
    http_response resp;
    int needs_commit = 0;
    http_response_init(&resp);
    aws_dispatch(srv, &req, &resp, &needs_commit);
    stratus_turn_end(srv);
    cr_expect_eq(resp.status, 403);
    char *body = xstrndup(resp.body, resp.body_len);
    cr_expect(strstr(body, "lambda:InvokeFunction on resource: "
                           "arn:aws:lambda:us-east-1:" ACCOUNT
                           ":function:pricing") != NULL,
              "%s", body);
    const char *type = "";
    for (size_t i = 0; i < resp.header_count; i++)
        if (strcmp(resp.headers[i].name, "x-amzn-ErrorType") == 0)
            type = resp.headers[i].value;
    cr_expect_str_eq(type, "AccessDeniedException");
    free(body);
    http_response_cleanup(&resp);
    ts_free(srv);
}

Test(iam_enforce, sts_caller_identity_and_assume_role)
{
    stratus *srv = ts_new_enforcing();
    create_role(srv, "fn-role", LAMBDA_TRUST);
    create_role(srv, "admin-role",
                "{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":"
                "{\"AWS\":\"arn:aws:iam::" ACCOUNT ":root\"},"
                "\"Action\":\"sts:AssumeRole\"}]}");
    char text[512];

    iam_test_response r =
        iam_test_query(srv, "sts", "AKIDTEST", "Action=GetCallerIdentity");
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect_str_eq(iam_test_element(r.body, "Arn", text, sizeof text),
                     "arn:aws:iam::" ACCOUNT ":root");
    free(r.body);

    iam_credentials cred = function_credentials(srv);
    r = iam_test_query(srv, "sts", cred.access_key, "Action=GetCallerIdentity");
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect_str_eq(iam_test_element(r.body, "Arn", text, sizeof text),
                     "arn:aws:sts::" ACCOUNT ":assumed-role/fn-role/cards-get");
    iam_test_element(r.body, "UserId", text, sizeof text);
    cr_expect_eq(strncmp(text, "AROA", 4), 0, "%s", text);
    cr_expect(strstr(text, ":cards-get") != NULL, "%s", text);
    free(r.body);

    /* The trust policy names only Lambda, so the root user may not. */
    r = iam_test_query(srv, "sts", "AKIDTEST",
                       "Action=AssumeRole&RoleArn=arn%3Aaws%3Aiam%3A%3A" ACCOUNT
                       "%3Arole%2Ffn-role&RoleSessionName=me");
    cr_expect_eq(r.status, 403, "%s", r.body);
    cr_expect_str_eq(iam_test_element(r.body, "Code", text, sizeof text),
                     "AccessDenied");
    cr_expect_str_eq(iam_test_element(r.body, "Message", text, sizeof text),
                     "User: arn:aws:iam::" ACCOUNT ":root is not authorized "
                     "to perform: sts:AssumeRole on resource: "
                     "arn:aws:iam::" ACCOUNT ":role/fn-role");
    free(r.body);

    r = iam_test_query(srv, "sts", "AKIDTEST",
                       "Action=AssumeRole&RoleArn=arn%3Aaws%3Aiam%3A%3A" ACCOUNT
                       "%3Arole%2Fadmin-role&RoleSessionName=me"
                       "&DurationSeconds=900");
    cr_assert_eq(r.status, 200, "%s", r.body);
    char key[64];
    iam_test_element(r.body, "AccessKeyId", key, sizeof key);
    cr_expect_eq(strncmp(key, "ASIA", 4), 0, "%s", key);
    cr_expect(strstr(r.body, "<SessionToken>") != NULL);
    cr_expect(strstr(r.body, "<Expiration>") != NULL);
    cr_expect_str_eq(iam_test_element(r.body, "Arn", text, sizeof text),
                     "arn:aws:sts::" ACCOUNT ":assumed-role/admin-role/me");
    free(r.body);

    /* The session has no permissions of its own. */
    r = iam_test_json(srv, "dynamodb", key, "DynamoDB_20120810.ListTables",
                      "{}");
    cr_expect_eq(r.status, 400, "%s", r.body);
    cr_expect(strstr(r.body, "dynamodb:ListTables on resource: *") != NULL,
              "%s", r.body);
    free(r.body);

    /* After its 900 seconds the key has expired. */
    clock_advance_to(&srv->clock, clock_now_ms(&srv->clock) + 901 * 1000);
    r = iam_test_json(srv, "dynamodb", key, "DynamoDB_20120810.ListTables",
                      "{}");
    cr_expect_eq(r.status, 400, "%s", r.body);
    cr_expect(strstr(r.body, "ExpiredTokenException") != NULL, "%s", r.body);
    free(r.body);
    ts_free(srv);
}

/* Run due jobs and jump the virtual clock, a bounded number of times. */
static void drain(stratus *srv)
{
    for (int i = 0; i < 500; i++) {
        jobs_run_due(srv->jobs);
        stratus_turn_end(srv);
        int64_t next = jobs_next_due(srv->jobs);
        if (next < 0)
            return;
        clock_advance_to(&srv->clock, next);
    }
    cr_assert_fail("jobs still pending after 500 rounds");
}

#define MACHINE_ARN                                                            \
    "arn:aws:states:us-east-1:" ACCOUNT ":stateMachine:valuation"
#define DLQ_ARN "arn:aws:sqs:us-east-1:" ACCOUNT ":events-dlq"
#define RULE_ARN "arn:aws:events:us-east-1:" ACCOUNT ":rule/cards/card_created"

static void json_ok(stratus *srv, const char *target, const char *body)
{
    int status = 0;
    cJSON *out = ts_call(srv, target, body, &status);
    cr_assert_eq(status, 200, "%s: %s", target,
                 out ? cJSON_PrintUnformatted(out) : "");
    cJSON_Delete(out);
}

/* A bus, a rule targeting the state machine with the events role, and
 * the dead-letter queue. */
static void eventbridge_setup_trusting(stratus *srv, const char *service)
{
    char trust[256];
    snprintf(trust, sizeof trust,
             "{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":"
             "{\"Service\":\"%s\"},\"Action\":\"sts:AssumeRole\"}]}",
             service);
    create_role(srv, "events-role", trust);
    json_ok(srv, "AWSStepFunctions.CreateStateMachine",
            "{\"name\":\"valuation\",\"roleArn\":\"arn:aws:iam::" ACCOUNT
            ":role/sfn\",\"definition\":\"{\\\"StartAt\\\":\\\"P\\\","
            "\\\"States\\\":{\\\"P\\\":{\\\"Type\\\":\\\"Pass\\\","
            "\\\"End\\\":true}}}\"}");
    json_ok(srv, "AmazonSQS.CreateQueue", "{\"QueueName\":\"events-dlq\"}");
    json_ok(srv, "AWSEvents.CreateEventBus", "{\"Name\":\"cards\"}");
    json_ok(srv, "AWSEvents.PutRule",
            "{\"Name\":\"card_created\",\"EventBusName\":\"cards\","
            "\"EventPattern\":\"{\\\"source\\\":[\\\"collectiq.cards\\\"]}\"}");
    json_ok(srv, "AWSEvents.PutTargets",
            "{\"Rule\":\"card_created\",\"EventBusName\":\"cards\","
            "\"Targets\":[{\"Id\":\"sfn\",\"Arn\":\"" MACHINE_ARN "\","
            "\"RoleArn\":\"arn:aws:iam::" ACCOUNT ":role/events-role\","
            "\"DeadLetterConfig\":{\"Arn\":\"" DLQ_ARN "\"}}]}");
}

static void eventbridge_setup(stratus *srv)
{
    eventbridge_setup_trusting(srv, "events.amazonaws.com");
}

static void allow_dead_letters(stratus *srv)
{
    json_ok(srv, "AmazonSQS.SetQueueAttributes",
            "{\"QueueUrl\":\"http://localhost/" ACCOUNT "/events-dlq\","
            "\"Attributes\":{\"Policy\":\"{\\\"Statement\\\":[{\\\"Effect\\\":"
            "\\\"Allow\\\",\\\"Principal\\\":{\\\"Service\\\":"
            "\\\"events.amazonaws.com\\\"},\\\"Action\\\":\\\"sqs:SendMessage"
            "\\\",\\\"Resource\\\":\\\"" DLQ_ARN "\\\",\\\"Condition\\\":"
            "{\\\"ArnEquals\\\":{\\\"aws:SourceArn\\\":\\\"" RULE_ARN
            "\\\"}}}]}\"}}");
}

static void put_card_event(stratus *srv)
{
    json_ok(srv, "AWSEvents.PutEvents",
            "{\"Entries\":[{\"EventBusName\":\"cards\",\"Source\":"
            "\"collectiq.cards\",\"DetailType\":\"CardCreated\","
            "\"Detail\":\"{\\\"cardId\\\":\\\"c1\\\"}\"}]}");
    drain(srv);
}

static int execution_count(stratus *srv)
{
    int status = 0;
    cJSON *out = ts_call(srv, "AWSStepFunctions.ListExecutions",
                         "{\"stateMachineArn\":\"" MACHINE_ARN "\"}", &status);
    int n =
        cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(out, "executions"));
    cJSON_Delete(out);
    return n;
}

static cJSON *receive_dlq(stratus *srv)
{
    int status = 0;
    cJSON *out = ts_call(srv, "AmazonSQS.ReceiveMessage",
                         "{\"QueueUrl\":\"http://localhost/" ACCOUNT
                         "/events-dlq\",\"MaxNumberOfMessages\":10,"
                         "\"MessageAttributeNames\":[\"All\"]}",
                         &status);
    cr_assert_eq(status, 200);
    return out;
}

static int64_t metric(stratus *srv, const char *name)
{
    return evb__metric_total(srv, ACCOUNT, "us-east-1", "cards", "card_created",
                             name);
}

Test(iam_enforce, eventbridge_role_without_start_execution)
{
    stratus *srv = ts_new_enforcing();
    eventbridge_setup(srv);
    put_card_event(srv);

    cr_expect_eq(execution_count(srv), 0, "no execution starts");
    cr_expect_eq(metric(srv, EVB_METRIC_TRIGGERED), 1);
    cr_expect_eq(metric(srv, EVB_METRIC_FAILED), 1);
    cr_expect_eq(metric(srv, EVB_METRIC_INVOCATIONS), 1, "no retry");
    /* The queue has no policy, so the dead-letter record is not sent. */
    cr_expect_eq(metric(srv, EVB_METRIC_SENT_TO_DLQ), 0);
    cr_expect_eq(metric(srv, EVB_METRIC_DLQ_FAILED), 1);
    cJSON *out = receive_dlq(srv);
    cr_expect_eq(
        cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(out, "Messages")),
        0);
    cJSON_Delete(out);
    ts_free(srv);
}

Test(iam_enforce, eventbridge_dead_letter_with_queue_policy)
{
    stratus *srv = ts_new_enforcing();
    eventbridge_setup(srv);
    allow_dead_letters(srv);
    put_card_event(srv);

    cr_expect_eq(execution_count(srv), 0);
    cr_expect_eq(metric(srv, EVB_METRIC_SENT_TO_DLQ), 1);
    cJSON *out = receive_dlq(srv);
    cJSON *messages = cJSON_GetObjectItemCaseSensitive(out, "Messages");
    cr_assert_eq(cJSON_GetArraySize(messages), 1);
    cJSON *attrs = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetArrayItem(messages, 0), "MessageAttributes");
    cr_expect_str_eq(
        json_str(cJSON_GetObjectItemCaseSensitive(attrs, "ERROR_CODE"),
                 "StringValue"),
        "NO_PERMISSIONS");
    const char *message =
        json_str(cJSON_GetObjectItemCaseSensitive(attrs, "ERROR_MESSAGE"),
                 "StringValue");
    cr_expect(strstr(message,
                     "is not authorized to perform: "
                     "states:StartExecution on resource: " MACHINE_ARN) != NULL,
              "%s", message);
    cJSON_Delete(out);

    /* With the grant the rule starts the execution. */
    put_policy(srv, "events-role", "start",
               "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":"
               "\"states:StartExecution\",\"Resource\":\"" MACHINE_ARN "\"}}");
    put_card_event(srv);
    cr_expect_eq(execution_count(srv), 1);
    ts_free(srv);
}

/* Start an execution of a one-task machine that invokes "pricing" and
 * return its description once it stopped. */
static cJSON *run_lambda_task(stratus *srv, const char *name)
{
    char body[1024];
    snprintf(body, sizeof body,
             "{\"name\":\"%s\",\"roleArn\":\"arn:aws:iam::" ACCOUNT
             ":role/sfn-role\",\"definition\":\"{\\\"StartAt\\\":\\\"T\\\","
             "\\\"States\\\":{\\\"T\\\":{\\\"Type\\\":\\\"Task\\\","
             "\\\"Resource\\\":\\\"arn:aws:states:::lambda:invoke\\\","
             "\\\"Parameters\\\":{\\\"FunctionName\\\":\\\"pricing\\\"},"
             "\\\"End\\\":true}}}\"}",
             name);
    json_ok(srv, "AWSStepFunctions.CreateStateMachine", body);
    snprintf(body, sizeof body,
             "{\"stateMachineArn\":\"arn:aws:states:us-east-1:" ACCOUNT
             ":stateMachine:%s\",\"name\":\"e1\"}",
             name);
    int status = 0;
    cJSON *out = ts_call(srv, "AWSStepFunctions.StartExecution", body, &status);
    cr_assert_eq(status, 200);
    char arn[256];
    snprintf(arn, sizeof arn, "%s", json_str(out, "executionArn"));
    cJSON_Delete(out);
    drain(srv);
    snprintf(body, sizeof body, "{\"executionArn\":\"%s\"}", arn);
    out = ts_call(srv, "AWSStepFunctions.DescribeExecution", body, &status);
    cr_assert_eq(status, 200);
    return out;
}

Test(iam_enforce, step_functions_lambda_denied)
{
    stratus *srv = ts_new_enforcing();
    /* The trust policy limits the role to this account's machines. */
    create_role(srv, "sfn-role",
                "{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":"
                "{\"Service\":\"states.amazonaws.com\"},"
                "\"Action\":\"sts:AssumeRole\",\"Condition\":{\"ArnLike\":"
                "{\"aws:SourceArn\":\"arn:aws:states:us-east-1:" ACCOUNT
                ":stateMachine:*\"}}}]}");
    cJSON *d = run_lambda_task(srv, "denied");
    cr_expect_str_eq(json_str(d, "status"), "FAILED");
    cr_expect_str_eq(json_str(d, "error"), "Lambda.AWSLambdaException");
    cr_expect(strstr(json_str(d, "cause"),
                     "is not authorized to perform: lambda:InvokeFunction on "
                     "resource: arn:aws:lambda:us-east-1:" ACCOUNT
                     ":function:pricing because no identity-based policy "
                     "allows the lambda:InvokeFunction action (Service: "
                     "AWSLambda; Status Code: 403; Error Code: "
                     "AccessDeniedException; Request ID: ") != NULL,
              "%s", json_str(d, "cause"));
    cJSON_Delete(d);

    /* With the grant the call reaches Lambda, which has no such
     * function. */
    put_policy(srv, "sfn-role", "invoke",
               "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":"
               "\"lambda:InvokeFunction\",\"Resource\":\"arn:aws:lambda:"
               "us-east-1:" ACCOUNT ":function:pricing\"}}");
    d = run_lambda_task(srv, "granted");
    cr_expect_str_eq(json_str(d, "status"), "FAILED");
    cr_expect_str_eq(json_str(d, "error"), "Lambda.ResourceNotFoundException");
    cJSON_Delete(d);
    ts_free(srv);
}

/* A role that EventBridge may not assume fails delivery like a missing
 * grant, even when it allows the action. */
Test(iam_enforce, eventbridge_role_not_trusted)
{
    stratus *srv = ts_new_enforcing();
    eventbridge_setup_trusting(srv, "lambda.amazonaws.com");
    put_policy(srv, "events-role", "start",
               "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":"
               "\"states:StartExecution\",\"Resource\":\"*\"}}");
    allow_dead_letters(srv);
    put_card_event(srv);

    cr_expect_eq(execution_count(srv), 0);
    cr_expect_eq(metric(srv, EVB_METRIC_FAILED), 1);
    cr_expect_eq(metric(srv, EVB_METRIC_SENT_TO_DLQ), 1);
    cJSON *out = receive_dlq(srv);
    cJSON *attrs = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(out, "Messages"),
                           0),
        "MessageAttributes");
    cr_expect_str_eq(
        json_str(cJSON_GetObjectItemCaseSensitive(attrs, "ERROR_CODE"),
                 "StringValue"),
        "NO_PERMISSIONS");
    cJSON_Delete(out);
    ts_free(srv);
}

/* A service that routes its own requests (S3) checks each operation
 * with iam_request_check. */
Test(iam_enforce, request_check_for_self_routed_services)
{
    stratus *srv = ts_new_enforcing();
    create_role(srv, "fn-role", LAMBDA_TRUST);
    put_policy(
        srv, "fn-role", "uploads",
        "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":"
        "\"s3:PutObject\",\"Resource\":\"arn:aws:s3:::cards/uploads/*\"}}");
    iam_credentials cred = function_credentials(srv);
    aws_request req = {
        .srv = srv,
        .service = &s3_service,
        .operation = "PutObject",
        .account = ACCOUNT,
        .region = "us-east-1",
        .access_key = cred.access_key,
        .request_id = "test",
    };
    aws_error err;
    memset(&err, 0, sizeof err);
    cr_expect_eq(iam_request_check(&req, "s3:PutObject",
                                   "arn:aws:s3:::cards/uploads/a.jpg", &err),
                 0, "%s", err.message);
    cr_expect_eq(iam_request_check(&req, "s3:PutObject",
                                   "arn:aws:s3:::cards/other/a.jpg", &err),
                 -1);
    cr_expect_eq(err.code, AWS_ERR_ACCESS_DENIED_QUERY);
    cr_expect_eq(aws_code_status(err.code), 403);
    cr_expect(strstr(err.message,
                     "s3:PutObject on resource: "
                     "arn:aws:s3:::cards/other/a.jpg because") != NULL,
              "%s", err.message);
    aws_error_reset(&err);

    req.access_key = "AKIDTEST";
    cr_expect_eq(iam_request_check(&req, "s3:DeleteObject", "*", &err), 0,
                 "keys Stratus did not issue pass");
    ts_free(srv);
}

/* A Bedrock Converse request (REST-JSON) for `model` signed with `key`. */
static iam_test_response converse(stratus *srv, const char *key,
                                  const char *model_path)
{
    char auth[256], path[256];
    snprintf(auth, sizeof auth,
             "AWS4-HMAC-SHA256 Credential=%s/20260101/us-east-1/bedrock/"
             "aws4_request, SignedHeaders=host, Signature=00",
             key);
    snprintf(path, sizeof path, "/model/%s/converse", model_path);
    http_header headers[] = {
        {"Content-Type", "application/json"},
        {"Authorization", auth},
    };
    const char *body = "{\"messages\":[{\"role\":\"user\",\"content\":"
                       "[{\"text\":\"hello\"}]}]}";
    http_request req = {
        .method = "POST",
        .path = path,
        .query = "",
        .headers = headers,
        .header_count = 2,
        .body = body,
        .body_len = strlen(body),
        .remote_addr = "127.0.0.1",
    };
    http_response resp;
    int needs_commit = 0;
    http_response_init(&resp);
    aws_dispatch(srv, &req, &resp, &needs_commit);
    stratus_turn_end(srv);
    iam_test_response out = {
        .status = resp.status,
        .body = resp.body ? xstrndup(resp.body, resp.body_len) : xstrdup(""),
    };
    http_response_cleanup(&resp);
    return out;
}

#define PROFILE "us.anthropic.claude-sonnet-4-20250514-v1:0"

Test(iam_enforce, bedrock_converse_needs_profile_and_model)
{
    stratus *srv = ts_new_enforcing();
    create_role(srv, "fn-role", LAMBDA_TRUST);
    /* CollectIQ's grant on the inference profile only. */
    put_policy(srv, "fn-role", "profile",
               "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":"
               "\"Allow\",\"Action\":[\"bedrock:InvokeModel\","
               "\"bedrock:Converse\"],\"Resource\":\"arn:aws:bedrock:"
               "us-east-1:" ACCOUNT ":inference-profile/" PROFILE "\"}]}");
    iam_credentials cred = function_credentials(srv);

    iam_test_response r = converse(
        srv, cred.access_key, "us.anthropic.claude-sonnet-4-20250514-v1%3A0");
    cr_expect_eq(r.status, 403, "%s", r.body);
    cr_expect(strstr(r.body, "bedrock:InvokeModel on resource: "
                             "arn:aws:bedrock:us-east-1::foundation-model/"
                             "anthropic.claude-sonnet-4-20250514-v1:0") != NULL,
              "%s", r.body);
    free(r.body);

    put_policy(srv, "fn-role", "model",
               "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":"
               "\"Allow\",\"Action\":\"bedrock:InvokeModel\",\"Resource\":"
               "\"arn:aws:bedrock:*::foundation-model/"
               "anthropic.claude-sonnet-4-20250514-v1:0\"}]}");
    r = converse(srv, cred.access_key,
                 "us.anthropic.claude-sonnet-4-20250514-v1%3A0");
    cr_expect_eq(r.status, 200, "%s", r.body);
    free(r.body);
    ts_free(srv);
}

Test(iam_enforce, rekognition_and_secrets_resources)
{
    stratus *srv = ts_new_enforcing();
    create_role(srv, "fn-role", LAMBDA_TRUST);
    iam_credentials cred = function_credentials(srv);

    iam_test_response r = iam_test_json(srv, "rekognition", cred.access_key,
                                        "RekognitionService.DetectText",
                                        "{\"Image\":{\"Bytes\":\"aGVsbG8=\"}}");
    cr_expect_eq(r.status, 400);
    cr_expect(strstr(r.body, "rekognition:DetectText on resource: *") != NULL,
              "%s", r.body);
    free(r.body);

    put_policy(srv, "fn-role", "rek",
               "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":"
               "\"Allow\",\"Action\":\"rekognition:DetectText\","
               "\"Resource\":\"*\"}]}");
    r = iam_test_json(srv, "rekognition", cred.access_key,
                      "RekognitionService.DetectText",
                      "{\"Image\":{\"Bytes\":\"aGVsbG8=\"}}");
    /* Allowed: the bytes are not an image, so Rekognition itself answers. */
    cr_expect(strstr(r.body, "InvalidImageFormatException") != NULL, "%s",
              r.body);
    free(r.body);

    r = iam_test_json(srv, "secretsmanager", "AKIDTEST",
                      "secretsmanager.CreateSecret",
                      "{\"Name\":\"app/keys\",\"SecretString\":\"s\"}");
    cr_assert_eq(r.status, 200, "%s", r.body);
    free(r.body);
    put_policy(srv, "fn-role", "secret",
               "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":"
               "\"Allow\",\"Action\":\"secretsmanager:GetSecretValue\","
               "\"Resource\":\"arn:aws:secretsmanager:us-east-1:" ACCOUNT
               ":secret:app/keys-*\"}]}");
    r = iam_test_json(srv, "secretsmanager", cred.access_key,
                      "secretsmanager.GetSecretValue",
                      "{\"SecretId\":\"app/keys\"}");
    cr_expect_eq(r.status, 200, "%s", r.body);
    free(r.body);
    r = iam_test_json(srv, "secretsmanager", cred.access_key,
                      "secretsmanager.DescribeSecret",
                      "{\"SecretId\":\"app/keys\"}");
    cr_expect_eq(r.status, 400, "%s", r.body);
    free(r.body);
    ts_free(srv);
}
