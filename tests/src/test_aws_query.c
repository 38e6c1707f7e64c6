/*
 * test_aws_query.c: the Query protocol codec: form decoding into JSON
 * requests with lists and maps, XML encoding and Query error responses.
 */
#include <string.h>

#include <criterion/criterion.h>

#include "aws.h"
#include "aws_query.h"
#include "http.h"

static const aws_query_member members[] = {
    {"Attribute", "Attributes", AWS_QUERY_MAP, "Name", "Value"},
    {"MessageAttribute", "MessageAttributes", AWS_QUERY_STRUCT_MAP, "Name",
     "Value"},
    {"AttributeName", "AttributeNames", AWS_QUERY_LIST, NULL, NULL},
    {"QueueUrl", "QueueUrls", AWS_QUERY_LIST, NULL, NULL},
};

static const char *error_code(aws_code code)
{
    return code == AWS_ERR_RESOURCE_NOT_FOUND ? "Custom.NotFound" : NULL;
}

static const aws_query_protocol proto = {
    .xml_namespace = "http://example.com/doc/",
    .members = members,
    .member_count = sizeof members / sizeof *members,
    .error_code = error_code,
};

static cJSON *decode(const char *body, const char *query, char **action)
{
    http_header headers[] = {
        {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
    };
    http_request req = {
        .method = "POST",
        .path = "/",
        .query = query,
        .headers = headers,
        .header_count = 1,
        .body = body,
        .body_len = strlen(body),
    };
    cr_assert(aws_query_is_request(&req));
    return aws_query_decode(&proto, &req, action);
}

Test(aws_query, decodes_scalars_lists_and_maps)
{
    char *action = NULL;
    cJSON *body = decode(
        "Action=SendMessage&Version=2012-11-05&MessageBody=a+b%26c"
        "&AttributeName.10=Last&AttributeName.2=Second&AttributeName.1=First"
        "&Attribute.1.Value=40&Attribute.1.Name=VisibilityTimeout"
        "&MessageAttribute.1.Name=Kind"
        "&MessageAttribute.1.Value.DataType=String"
        "&MessageAttribute.1.Value.StringValue=x",
        "", &action);
    cr_assert_str_eq(action, "SendMessage");
    cr_assert_str_eq(
        cJSON_GetObjectItemCaseSensitive(body, "MessageBody")->valuestring,
        "a b&c");
    cr_assert_null(cJSON_GetObjectItemCaseSensitive(body, "Version"));

    cJSON *names = cJSON_GetObjectItemCaseSensitive(body, "AttributeNames");
    cr_assert_eq(cJSON_GetArraySize(names), 3);
    cr_assert_str_eq(cJSON_GetArrayItem(names, 0)->valuestring, "First");
    cr_assert_str_eq(cJSON_GetArrayItem(names, 1)->valuestring, "Second");
    cr_assert_str_eq(cJSON_GetArrayItem(names, 2)->valuestring, "Last");

    cJSON *attrs = cJSON_GetObjectItemCaseSensitive(body, "Attributes");
    cr_assert_str_eq(
        cJSON_GetObjectItemCaseSensitive(attrs, "VisibilityTimeout")
            ->valuestring,
        "40");
    cJSON *kind = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(body, "MessageAttributes"), "Kind");
    cr_assert_str_eq(
        cJSON_GetObjectItemCaseSensitive(kind, "DataType")->valuestring,
        "String");
    cr_assert_str_eq(
        cJSON_GetObjectItemCaseSensitive(kind, "StringValue")->valuestring,
        "x");
    cJSON_Delete(body);
    free(action);
}

Test(aws_query, action_in_query_string)
{
    http_request req = {
        .method = "GET",
        .path = "/",
        .query = "Version=1&Action=ListQueues",
        .body = "",
    };
    cr_assert(aws_query_is_request(&req));
    char *action = NULL;
    cJSON *body = aws_query_decode(&proto, &req, &action);
    cr_assert_str_eq(action, "ListQueues");
    cr_assert_null(body->child);
    cJSON_Delete(body);
    free(action);
}

Test(aws_query, encodes_results_as_xml)
{
    cJSON *result = cJSON_Parse(
        "{\"QueueUrls\":[\"http://h/1/a\",\"http://h/1/b\"],"
        "\"Attributes\":{\"Policy\":\"<p>&\"},\"NextToken\":\"t\"}");
    char *xml = aws_query_encode(&proto, "ListQueues", result, "rid");
    cr_assert_str_eq(
        xml,
        "<?xml version=\"1.0\"?><ListQueuesResponse "
        "xmlns=\"http://example.com/doc/\"><ListQueuesResult>"
        "<QueueUrl>http://h/1/a</QueueUrl><QueueUrl>http://h/1/b</QueueUrl>"
        "<Attribute><Name>Policy</Name><Value>&lt;p&gt;&amp;</Value>"
        "</Attribute><NextToken>t</NextToken></ListQueuesResult>"
        "<ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata>"
        "</ListQueuesResponse>");
    free(xml);
    cJSON_Delete(result);
}

Test(aws_query, renders_errors)
{
    aws_service svc = {.name = "test", .query = &proto};
    aws_error err;
    memset(&err, 0, sizeof err);
    aws_fail(&err, AWS_ERR_RESOURCE_NOT_FOUND, "no such <thing>");
    http_response resp;
    http_response_init(&resp);
    aws_query_error_render(&svc, &err, "rid", &resp);
    cr_assert_eq(resp.status, 400);
    cr_assert_str_eq(
        resp.body,
        "<?xml version=\"1.0\"?><ErrorResponse xmlns=\"http://example.com/"
        "doc/\"><Error><Type>Sender</Type><Code>Custom.NotFound</Code>"
        "<Message>no such &lt;thing&gt;</Message><Detail/></Error>"
        "<RequestId>rid</RequestId></ErrorResponse>");
    http_response_cleanup(&resp);
    aws_error_reset(&err);
}

/* IAM's style: request lists flattened as "Name.member.N", response
 * arrays written as <Name><member>...</member></Name>. */
static const aws_query_member wrapped_members[] = {
    {"Tags.member", "Tags", AWS_QUERY_STRUCT_LIST, NULL, NULL, NULL, 1},
};
static const aws_query_protocol wrapped_proto = {
    .xml_namespace = "http://example.com/doc/",
    .members = wrapped_members,
    .member_count = 1,
};

Test(aws_query, wrapped_lists)
{
    http_header headers[] = {
        {"Content-Type", "application/x-www-form-urlencoded"}};
    const char *form = "Action=TagRole&Tags.member.2.Key=b&Tags.member.1.Key=a"
                       "&Tags.member.1.Value=1&Tags.member.2.Value=2";
    http_request req = {.method = "POST",
                        .path = "/",
                        .query = "",
                        .headers = headers,
                        .header_count = 1,
                        .body = form,
                        .body_len = strlen(form)};
    char *action = NULL;
    cJSON *body = aws_query_decode(&wrapped_proto, &req, &action);
    char *json = cJSON_PrintUnformatted(body);
    cr_assert_str_eq(json, "{\"Tags\":[{\"Key\":\"a\",\"Value\":\"1\"},"
                           "{\"Key\":\"b\",\"Value\":\"2\"}]}");
    free(json);

    /* The request-only row does not shape the response. */
    char *xml = aws_query_encode(&wrapped_proto, "ListRoleTags", body, "rid");
    cr_assert(strstr(xml, "<Tags><member><Key>a</Key><Value>1</Value></member>"
                          "<member><Key>b</Key><Value>2</Value></member>"
                          "</Tags>") != NULL,
              "%s", xml);
    free(xml);
    cJSON_Delete(body);
    free(action);
}
