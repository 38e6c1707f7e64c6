/*
 * test_aws.c: credential scopes, accounts, routing and error shapes of the
 * protocol layer, through the real dispatcher.
 */
#include <string.h>

#include <criterion/criterion.h>

#include "aws.h"
#include "http.h"
#include "ts.h"

Test(aws, sigv4_scope_from_header_value)
{
    char ak[64], region[32], service[32];
    cr_assert_eq(aws_sigv4_scope("AKIDEXAMPLE/20260101/eu-west-1/dynamodb/"
                                 "aws4_request, SignedHeaders=host",
                                 ak, sizeof ak, region, sizeof region, service,
                                 sizeof service),
                 0);
    cr_assert_str_eq(ak, "AKIDEXAMPLE");
    cr_assert_str_eq(region, "eu-west-1");
    cr_assert_str_eq(service, "dynamodb");
}

Test(aws, sigv4_scope_from_encoded_query)
{
    char ak[64], region[32], service[32];
    cr_assert_eq(aws_sigv4_scope("test%2F20260101%2Fus-west-2%2Fs3%2F"
                                 "aws4_request&X-Amz-Date=1",
                                 ak, sizeof ak, region, sizeof region, service,
                                 sizeof service),
                 0);
    cr_assert_str_eq(ak, "test");
    cr_assert_str_eq(region, "us-west-2");
    cr_assert_str_eq(service, "s3");
}

Test(aws, sigv4_scope_rejects_short_credential)
{
    char ak[64], region[32], service[32];
    cr_assert_eq(aws_sigv4_scope("AKID/20260101", ak, sizeof ak, region,
                                 sizeof region, service, sizeof service),
                 -1);
}

Test(aws, twelve_digit_key_is_the_account)
{
    char account[13];
    aws_account_for_key("210987654321", account);
    cr_assert_str_eq(account, "210987654321");
    aws_account_for_key("AKIAEXAMPLE", account);
    cr_assert_str_eq(account, "123456789012");
    aws_account_for_key("12345678901", account);
    cr_assert_str_eq(account, "123456789012");
}

static void dispatch(stratus *srv, const char *target, const char *body,
                     http_response *resp)
{
    http_header headers[1] = {{"X-Amz-Target", (char *)target}};
    http_request req = {.method = "POST",
                        .path = "/",
                        .query = "",
                        .headers = headers,
                        .header_count = target ? 1 : 0,
                        .body = body,
                        .body_len = strlen(body),
                        .remote_addr = "127.0.0.1"};
    int needs_commit;
    http_response_init(resp);
    aws_dispatch(srv, &req, resp, &needs_commit);
    stratus_turn_end(srv);
}

static const char *header(const http_response *r, const char *name)
{
    for (size_t i = 0; i < r->header_count; i++)
        if (strcasecmp(r->headers[i].name, name) == 0)
            return r->headers[i].value;
    return NULL;
}

Test(aws, unknown_operation_is_coral_error)
{
    stratus *srv = ts_new();
    http_response r;
    dispatch(srv, "DynamoDB_20120810.NoSuchThing", "{}", &r);
    cr_assert_eq(r.status, 400);
    cr_assert(
        strstr(r.body, "com.amazon.coral.service#UnknownOperationException") !=
        NULL);
    cr_assert_not_null(header(&r, "x-amzn-RequestId"));
    http_response_cleanup(&r);
    ts_free(srv);
}

Test(aws, malformed_json_is_serialization_error)
{
    stratus *srv = ts_new();
    http_response r;
    dispatch(srv, "DynamoDB_20120810.ListTables", "{\"Limit\":", &r);
    cr_assert_eq(r.status, 400);
    cr_assert(strstr(r.body, "SerializationException") != NULL, "%s", r.body);
    http_response_cleanup(&r);
    ts_free(srv);
}

Test(aws, unsigned_request_without_target_is_rejected)
{
    stratus *srv = ts_new();
    http_response r;
    dispatch(srv, NULL, "", &r);
    cr_assert_eq(r.status, 400);
    cr_assert(strstr(r.body, "MissingAuthenticationTokenException") != NULL);
    http_response_cleanup(&r);
    ts_free(srv);
}

Test(aws, json_response_carries_crc32)
{
    stratus *srv = ts_new();
    http_response r;
    dispatch(srv, "DynamoDB_20120810.ListTables", "{}", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_not_null(header(&r, "x-amz-crc32"));
    cr_assert_str_eq(header(&r, "Content-Type"), "application/x-amz-json-1.0");
    http_response_cleanup(&r);
    ts_free(srv);
}

Test(aws, every_error_has_a_name_and_status)
{
    for (int c = 1; c < AWS_ERR__COUNT; c++) {
        cr_assert(strlen(aws_code_name((aws_code)c)) > 0);
        int status = aws_code_status((aws_code)c);
        cr_assert(status >= 400 && status < 600);
    }
}

Test(aws, rest_path_template_binds_parameters)
{
    cJSON *p = cJSON_CreateObject();
    cr_assert(aws_path_match("/2015-03-31/functions/{FunctionName}/invocations",
                             "/2015-03-31/functions/my%3Afn/invocations", p));
    cr_assert_str_eq(
        cJSON_GetObjectItemCaseSensitive(p, "FunctionName")->valuestring,
        "my:fn");
    cJSON_Delete(p);
}

Test(aws, rest_greedy_parameter_takes_rest)
{
    cJSON *p = cJSON_CreateObject();
    cr_assert(aws_path_match("/{Bucket}/{Key+}", "/b/a/b%20c.txt", p));
    cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(p, "Key")->valuestring,
                     "a/b c.txt");
    cJSON_Delete(p);
}

Test(aws, rest_path_mismatch_is_rejected)
{
    cJSON *p = cJSON_CreateObject();
    cr_assert_not(aws_path_match("/2015-03-31/functions/{FunctionName}",
                                 "/2015-03-31/functions/a/b", p));
    cr_assert_not(aws_path_match("/2015-03-31/functions/{FunctionName}",
                                 "/2015-03-31/functions/", p));
    cJSON_Delete(p);
}

/* DescribeEndpoints ignores its members, so only the body check decides. */
static int dispatch_status(stratus *srv, const char *body)
{
    http_response r;
    dispatch(srv, "DynamoDB_20120810.DescribeEndpoints", body, &r);
    int status = r.status;
    if (status != 200)
        cr_assert(strstr(r.body, "SerializationException") != NULL, "%s",
                  r.body);
    http_response_cleanup(&r);
    return status;
}

Test(aws, escaped_nul_is_rejected)
{
    stratus *srv = ts_new();
    cr_assert_eq(dispatch_status(srv, "{\"ExclusiveStartTableName\":"
                                      "\"a\\u0000b\"}"),
                 400);
    ts_free(srv);
}

Test(aws, escaped_backslash_before_u0000_is_text)
{
    stratus *srv = ts_new();
    cr_assert_eq(dispatch_status(srv, "{\"ExclusiveStartTableName\":"
                                      "\"abc\\\\u0000\"}"),
                 200);
    ts_free(srv);
}

Test(aws, invalid_utf8_is_rejected)
{
    stratus *srv = ts_new();
    cr_assert_eq(dispatch_status(srv, "{\"ExclusiveStartTableName\":"
                                      "\"a\xff\xfe\"}"),
                 400);
    cr_assert_eq(dispatch_status(srv, "{\"ExclusiveStartTableName\":"
                                      "\"\xed\xa0\x80\"}"),
                 400);
    ts_free(srv);
}

Test(aws, multibyte_utf8_is_accepted)
{
    stratus *srv = ts_new();
    cr_assert_eq(dispatch_status(srv, "{\"ExclusiveStartTableName\":"
                                      "\"caf\xc3\xa9-\xe2\x82\xac-"
                                      "\xf0\x9f\x83\x8f\"}"),
                 200);
    ts_free(srv);
}

Test(aws, invalid_region_in_scope_is_rejected)
{
    stratus *srv = ts_new();
    http_header headers[2] = {{"X-Amz-Target", "DynamoDB_20120810.ListTables"},
                              {"Authorization",
                               "AWS4-HMAC-SHA256 Credential=AKID/20260101/"
                               "us-east-1'\"/dynamodb/aws4_request, "
                               "SignedHeaders=host, Signature=0"}};
    http_request req = {.method = "POST",
                        .path = "/",
                        .query = "",
                        .headers = headers,
                        .header_count = 2,
                        .body = "{}",
                        .body_len = 2,
                        .remote_addr = "127.0.0.1"};
    http_response r;
    int needs_commit;
    http_response_init(&r);
    aws_dispatch(srv, &req, &r, &needs_commit);
    cr_assert_eq(r.status, 400);
    cr_assert(strstr(r.body, "InvalidSignatureException") != NULL, "%s",
              r.body);
    http_response_cleanup(&r);
    ts_free(srv);
}
