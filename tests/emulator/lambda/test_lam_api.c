/*
 * test_lam_api.c: the Lambda function API through the real dispatcher, in
 * process: create, get, list, update, delete, validation texts, and the
 * Invoke types that need no execution environment (DryRun, Event).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "aws.h"
#include "http.h"
#include "jobs.h"
#include "lam.h"
#include "ts.h"
#include "util.h"

#define ARN_PREFIX "arn:aws:lambda:us-east-1:123456789012:function:"
#define ROLE "arn:aws:iam::123456789012:role/lambda-role"

/* A stored ZIP archive holding index.mjs, and its SHA-256 in base64. */
#define ZIP_B64                                                                \
    "UEsDBBQAAAAAAAAAIVxMzgStPQAAAD0AAAAJAAAAaW5kZXgubWpzZXhwb3J0IGNvbnN0IGhh" \
    "bmRsZXIgPSBhc3luYyAoZXZlbnQpID0+ICh7IHppcHBlZDogZXZlbnQgfSk7ClBLAQIUAxQA" \
    "AAAAAAAAIVxMzgStPQAAAD0AAAAJAAAAAAAAAAAAAACkAQAAAABpbmRleC5tanNQSwUGAAAA" \
    "AAEAAQA3AAAAZAAAAAAA"
#define ZIP_SHA256 "brQHEw/w13hswlD1jbS7INyNFS+co/r2PI17dSxmdOY="

static stratus *srv;
static char code_dir[64];

static void setup(void)
{
    srv = ts_new();
    snprintf(code_dir, sizeof code_dir, "/tmp/stratus-lam-test-XXXXXX");
    cr_assert_not_null(mkdtemp(code_dir));
    char path[128];
    snprintf(path, sizeof path, "%s/index.mjs", code_dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs("export const handler = async () => 1;\n", f);
    fclose(f);
}

static void teardown(void)
{
    char path[128];
    ts_free(srv);
    snprintf(path, sizeof path, "%s/index.mjs", code_dir);
    unlink(path);
    rmdir(code_dir);
}

static cJSON *call(const char *method, const char *path, const char *body,
                   int *status)
{
    return ts_rest_call(srv, method, path, "lambda", body, status, NULL);
}

static cJSON *create(const char *name, const char *extra, int *status)
{
    char body[2048];
    snprintf(body, sizeof body,
             "{\"FunctionName\":\"%s\",\"Runtime\":\"nodejs20.x\","
             "\"Role\":\"" ROLE "\",\"Handler\":\"index.handler\","
             "\"Code\":{\"Directory\":\"%s\"}%s%s}",
             name, code_dir, extra ? "," : "", extra ? extra : "");
    return call("POST", "/2015-03-31/functions", body, status);
}

static const char *str(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double num(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

static const char *header(const http_response *resp, const char *name)
{
    for (size_t i = 0; i < resp->header_count; i++)
        if (strcasecmp(resp->headers[i].name, name) == 0)
            return resp->headers[i].value;
    return NULL;
}

TestSuite(lam_api, .init = setup, .fini = teardown);

Test(lam_api, create_returns_pending_configuration)
{
    int status = 0;
    cJSON *out = create("fn", NULL, &status);
    cr_assert_eq(status, 201);
    cr_assert_str_eq(str(out, "FunctionName"), "fn");
    cr_assert_str_eq(str(out, "FunctionArn"), ARN_PREFIX "fn");
    cr_assert_str_eq(str(out, "State"), "Pending");
    cr_assert_str_eq(str(out, "StateReasonCode"), "Creating");
    cr_assert_str_eq(str(out, "Version"), "$LATEST");
    cr_assert_str_eq(str(out, "PackageType"), "Zip");
    cr_assert_eq(num(out, "Timeout"), 3);
    cr_assert_eq(num(out, "MemorySize"), 128);
    cr_assert_not_null(str(out, "CodeSha256"));
    cr_assert_not_null(str(out, "RevisionId"));
    cr_assert_not_null(strstr(str(out, "LastModified"), "+0000"));
    cJSON_Delete(out);
}

Test(lam_api, get_configuration_is_active)
{
    int status = 0;
    cJSON_Delete(create("fn", "\"Timeout\":7", &status));
    cJSON *out =
        call("GET", "/2015-03-31/functions/fn/configuration", NULL, &status);
    cr_assert_eq(status, 200);
    cr_assert_str_eq(str(out, "State"), "Active");
    cr_assert_str_eq(str(out, "LastUpdateStatus"), "Successful");
    cr_assert_eq(num(out, "Timeout"), 7);
    cJSON_Delete(out);
}

Test(lam_api, duplicate_create_conflicts)
{
    int status = 0;
    http_response resp;
    cJSON_Delete(create("fn", NULL, &status));
    char body[512];
    snprintf(body, sizeof body,
             "{\"FunctionName\":\"fn\",\"Runtime\":\"nodejs20.x\","
             "\"Role\":\"" ROLE "\",\"Handler\":\"index.handler\","
             "\"Code\":{\"Directory\":\"%s\"}}",
             code_dir);
    cJSON *out = ts_rest_call(srv, "POST", "/2015-03-31/functions", "lambda",
                              body, &status, &resp);
    cr_assert_eq(status, 409);
    cr_assert_str_eq(header(&resp, "x-amzn-ErrorType"),
                     "ResourceConflictException");
    cr_assert_str_eq(str(out, "message"), "Function already exist: fn");
    cr_assert_str_eq(str(out, "Type"), "User");
    http_response_cleanup(&resp);
    cJSON_Delete(out);
}

Test(lam_api, missing_function_is_404)
{
    int status = 0;
    http_response resp;
    cJSON *out = ts_rest_call(srv, "GET", "/2015-03-31/functions/nope",
                              "lambda", NULL, &status, &resp);
    cr_assert_eq(status, 404);
    cr_assert_str_eq(header(&resp, "x-amzn-ErrorType"),
                     "ResourceNotFoundException");
    cr_assert_str_eq(str(out, "Message"),
                     "Function not found: " ARN_PREFIX "nope");
    cr_assert_null(cJSON_GetObjectItemCaseSensitive(out, "message"));
    http_response_cleanup(&resp);
    cJSON_Delete(out);
}

Test(lam_api, get_function_by_arn_forms)
{
    int status = 0;
    cJSON_Delete(create("fn", NULL, &status));
    const char *paths[] = {
        "/2015-03-31/functions/fn",
        "/2015-03-31/functions/" ARN_PREFIX "fn",
        "/2015-03-31/functions/123456789012:function:fn",
        "/2015-03-31/functions/fn%3A%24LATEST",
    };
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        cJSON *out = call("GET", paths[i], NULL, &status);
        cr_assert_eq(status, 200, "%s", paths[i]);
        const cJSON *config =
            cJSON_GetObjectItemCaseSensitive(out, "Configuration");
        cr_assert_str_eq(str(config, "FunctionName"), "fn");
        const cJSON *code = cJSON_GetObjectItemCaseSensitive(out, "Code");
        cr_assert_str_eq(str(code, "RepositoryType"), "S3");
        cJSON_Delete(out);
    }
}

Test(lam_api, arn_of_other_region_rejected)
{
    int status = 0;
    cJSON *out = call("GET",
                      "/2015-03-31/functions/"
                      "arn:aws:lambda:eu-west-1:123456789012:function:fn",
                      NULL, &status);
    cr_assert_eq(status, 400);
    cr_assert_str_eq(str(out, "message"), "Functions from 'eu-west-1' are not "
                                          "reachable in this region "
                                          "('us-east-1')");
    cJSON_Delete(out);
}

Test(lam_api, list_functions_pages)
{
    int status = 0;
    cJSON_Delete(create("a", NULL, &status));
    cJSON_Delete(create("b", NULL, &status));
    cJSON_Delete(create("c", NULL, &status));
    cJSON *page =
        call("GET", "/2015-03-31/functions/?MaxItems=2", NULL, &status);
    cr_assert_eq(status, 200);
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(page, "Functions");
    cr_assert_eq(cJSON_GetArraySize(list), 2);
    cr_assert_str_eq(str(cJSON_GetArrayItem(list, 0), "FunctionName"), "a");
    const char *marker = str(page, "NextMarker");
    cr_assert_not_null(marker);
    char path[128];
    snprintf(path, sizeof path, "/2015-03-31/functions/?MaxItems=2&Marker=%s",
             marker);
    cJSON *rest = call("GET", path, NULL, &status);
    list = cJSON_GetObjectItemCaseSensitive(rest, "Functions");
    cr_assert_eq(cJSON_GetArraySize(list), 1);
    cr_assert_str_eq(str(cJSON_GetArrayItem(list, 0), "FunctionName"), "c");
    cr_assert_null(str(rest, "NextMarker"));
    cJSON_Delete(page);
    cJSON_Delete(rest);
}

Test(lam_api, update_replaces_whole_environment)
{
    int status = 0;
    cJSON_Delete(create("fn",
                        "\"Environment\":{\"Variables\":{\"A\":\"1\","
                        "\"B\":\"2\"}}",
                        &status));
    cJSON *out =
        call("PUT", "/2015-03-31/functions/fn/configuration",
             "{\"Environment\":{\"Variables\":{\"C\":\"3\"}},\"Timeout\":9}",
             &status);
    cr_assert_eq(status, 200);
    cr_assert_str_eq(str(out, "LastUpdateStatus"), "InProgress");
    cJSON_Delete(out);

    out = call("GET", "/2015-03-31/functions/fn/configuration", NULL, &status);
    cr_assert_str_eq(str(out, "LastUpdateStatus"), "Successful");
    cr_assert_eq(num(out, "Timeout"), 9);
    const cJSON *vars = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(out, "Environment"), "Variables");
    cr_assert_eq(cJSON_GetArraySize(vars), 1);
    cr_assert_str_eq(str(vars, "C"), "3");
    cJSON_Delete(out);
}

Test(lam_api, update_rejects_reserved_key)
{
    int status = 0;
    cJSON_Delete(create("fn", NULL, &status));
    cJSON *out = call("PUT", "/2015-03-31/functions/fn/configuration",
                      "{\"Environment\":{\"Variables\":{\"AWS_REGION\":"
                      "\"eu-west-1\",\"X\":\"1\"}}}",
                      &status);
    cr_assert_eq(status, 400);
    cr_assert_str_eq(
        str(out, "message"),
        "Lambda was unable to configure your environment variables because "
        "the environment variables you have provided contains reserved keys "
        "that are currently not supported for modification. Reserved keys "
        "used in this request: AWS_REGION");
    cJSON_Delete(out);
}

Test(lam_api, create_lists_every_reserved_key)
{
    int status = 0;
    cJSON *out = create("fn",
                        "\"Environment\":{\"Variables\":{\"AWS_ACCESS_KEY_ID\":"
                        "\"a\",\"AWS_SECRET_ACCESS_KEY\":\"b\"}}",
                        &status);
    cr_assert_eq(status, 400);
    cr_assert(strstr(str(out, "message"),
                     "Reserved keys used in this request: AWS_ACCESS_KEY_ID, "
                     "AWS_SECRET_ACCESS_KEY") != NULL);
    cJSON_Delete(out);
}

Test(lam_api, create_validates_members)
{
    int status = 0;
    cJSON *out = create("fn", "\"Timeout\":901", &status);
    cr_assert_eq(status, 400);
    cr_assert_str_eq(str(out, "message"),
                     "1 validation error detected: Value '901' at 'timeout' "
                     "failed to satisfy constraint: Member must have value "
                     "less than or equal to 900");
    cJSON_Delete(out);

    out = call("POST", "/2015-03-31/functions",
               "{\"FunctionName\":\"fn\",\"Runtime\":\"PYTHON3.9\",\"Role\":"
               "\"" ROLE "\",\"Code\":{\"ZipFile\":\"" ZIP_B64 "\"}}",
               &status);
    cr_assert_eq(status, 400);
    cr_assert(strncmp(str(out, "message"),
                      "Value PYTHON3.9 at 'runtime' failed to satisfy "
                      "constraint: Member must satisfy enum value set: "
                      "[nodejs20.x, python3.14,",
                      90) == 0);
    cJSON_Delete(out);

    out = call("POST", "/2015-03-31/functions",
               "{\"FunctionName\":\"fn\",\"Runtime\":\"nodejs20.x\",\"Role\":"
               "\"r1\",\"Code\":{\"ZipFile\":\"" ZIP_B64 "\"}}",
               &status);
    cr_assert_eq(status, 400);
    cr_assert(strstr(str(out, "message"), "Value 'r1' at 'role'") != NULL);
    cJSON_Delete(out);
}

Test(lam_api, zip_file_is_unpacked_and_hashed)
{
    int status = 0;
    cJSON *out = call("POST", "/2015-03-31/functions",
                      "{\"FunctionName\":\"zipped\",\"Runtime\":\"nodejs20.x\","
                      "\"Role\":\"" ROLE "\",\"Handler\":\"index.handler\","
                      "\"Code\":{\"ZipFile\":\"" ZIP_B64 "\"}}",
                      &status);
    cr_assert_eq(status, 201, "%s", str(out, "message"));
    cr_assert_str_eq(str(out, "CodeSha256"), ZIP_SHA256);
    cr_assert_eq(num(out, "CodeSize"), 177);
    cJSON_Delete(out);

    out = call("GET", "/2015-03-31/functions/zipped", NULL, &status);
    const char *location =
        str(cJSON_GetObjectItemCaseSensitive(out, "Code"), "Location");
    cr_assert(strncmp(location, "file://", 7) == 0);
    char path[1200];
    snprintf(path, sizeof path, "%s/index.mjs", location + 7);
    cr_assert_eq(access(path, R_OK), 0, "%s", path);
    cJSON_Delete(out);
}

Test(lam_api, bad_zip_rejected)
{
    int status = 0;
    cJSON *out =
        call("POST", "/2015-03-31/functions",
             "{\"FunctionName\":\"fn\",\"Runtime\":\"nodejs20.x\","
             "\"Role\":\"" ROLE "\",\"Code\":{\"ZipFile\":\"aGVsbG8=\"}}",
             &status);
    cr_assert_eq(status, 400);
    cr_assert_str_eq(str(out, "message"),
                     "Could not unzip uploaded file. Please check your file, "
                     "then try to upload again.");
    cJSON_Delete(out);
}

Test(lam_api, delete_then_not_found)
{
    int status = 0;
    http_response resp;
    cJSON_Delete(create("fn", NULL, &status));
    cJSON *out = ts_rest_call(srv, "DELETE", "/2015-03-31/functions/fn",
                              "lambda", NULL, &status, &resp);
    cr_assert_eq(status, 204);
    cr_assert_eq(resp.body_len, 0);
    http_response_cleanup(&resp);
    cJSON_Delete(out);
    out = call("DELETE", "/2015-03-31/functions/fn", NULL, &status);
    cr_assert_eq(status, 404);
    cJSON_Delete(out);
}

static cJSON *invoke(const char *name, const char *type, const char *body,
                     int *status, http_response *resp)
{
    char path[256];
    snprintf(path, sizeof path, "/2015-03-31/functions/%s/invocations", name);
    http_header headers[] = {
        {"X-Amz-Invocation-Type", (char *)type},
        {"Authorization", "AWS4-HMAC-SHA256 Credential=AKIDTEST/20260101/"
                          "us-east-1/lambda/aws4_request, Signature=00"},
    };
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
    int needs_commit = 0;
    http_response_init(resp);
    aws_dispatch(srv, &req, resp, &needs_commit);
    stratus_turn_end(srv);
    *status = resp->status;
    return resp->body_len ? cJSON_ParseWithLength(resp->body, resp->body_len)
                          : NULL;
}

Test(lam_api, invoke_dry_run_is_204)
{
    int status = 0;
    http_response resp;
    cJSON_Delete(create("fn", NULL, &status));
    cJSON *out = invoke("fn", "DryRun", "{}", &status, &resp);
    cr_assert_eq(status, 204);
    cr_assert_null(out);
    http_response_cleanup(&resp);
}

Test(lam_api, invoke_event_queues_job)
{
    int status = 0;
    http_response resp;
    cJSON_Delete(create("fn", NULL, &status));
    cr_assert_eq(jobs_next_due(srv->jobs), -1);
    cJSON *out = invoke("fn", "Event", "{\"k\":1}", &status, &resp);
    cr_assert_eq(status, 202);
    cr_assert_null(out);
    cr_assert_geq(jobs_next_due(srv->jobs), 0);
    http_response_cleanup(&resp);
}

Test(lam_api, invoke_missing_function_is_404)
{
    int status = 0;
    http_response resp;
    cJSON *out = invoke("nope", "Event", "{}", &status, &resp);
    cr_assert_eq(status, 404);
    cr_assert_str_eq(str(out, "Message"),
                     "Function not found: " ARN_PREFIX "nope");
    cJSON_Delete(out);
    http_response_cleanup(&resp);
}

Test(lam_api, invoke_rejects_bad_json_and_type)
{
    int status = 0;
    http_response resp;
    cJSON_Delete(create("fn", NULL, &status));
    cJSON *out = invoke("fn", "RequestResponse", "{not json", &status, &resp);
    cr_assert_eq(status, 400);
    cr_assert_str_eq(header(&resp, "x-amzn-ErrorType"),
                     "InvalidRequestContentException");
    cJSON_Delete(out);
    http_response_cleanup(&resp);

    out = invoke("fn", "Later", "{}", &status, &resp);
    cr_assert_eq(status, 400);
    cr_assert(strstr(str(out, "message"), "'invocationType'") != NULL);
    cJSON_Delete(out);
    http_response_cleanup(&resp);
}

Test(lam_api, unimplemented_operation_is_clear)
{
    int status = 0;
    cJSON *out = call("GET", "/2015-03-31/functions/fn/aliases", NULL, &status);
    cr_assert_eq(status, 400);
    cr_assert(strstr(str(out, "message"), "ListAliases") != NULL);
    cJSON_Delete(out);
}

Test(lam_api, stack_type_creates_then_updates)
{
    aws_error err;
    memset(&err, 0, sizeof err);
    char props[512];
    snprintf(props, sizeof props,
             "{\"Runtime\":\"nodejs20.x\",\"Role\":\"" ROLE "\","
             "\"Handler\":\"index.handler\",\"Timeout\":4,"
             "\"Code\":{\"Directory\":\"%s\"}}",
             code_dir);
    cJSON *properties = cJSON_Parse(props);
    store_call_begin(srv->store);
    cr_assert_eq(lam_stack_apply_function(srv, "123456789012", "us-east-1",
                                          "Worker", properties, &err),
                 0, "%s", err.message);
    cJSON_ReplaceItemInObjectCaseSensitive(properties, "Timeout",
                                           cJSON_CreateNumber(8));
    cr_assert_eq(lam_stack_apply_function(srv, "123456789012", "us-east-1",
                                          "Worker", properties, &err),
                 0, "%s", err.message);
    store_call_end(srv->store, 1);
    stratus_turn_end(srv);
    cJSON_Delete(properties);

    int status = 0;
    cJSON *out = call("GET", "/2015-03-31/functions/Worker/configuration", NULL,
                      &status);
    cr_assert_eq(status, 200);
    cr_assert_eq(num(out, "Timeout"), 8);
    cJSON_Delete(out);
}

Test(lam_api, stack_type_resolves_relative_directory)
{
    aws_error err;
    memset(&err, 0, sizeof err);
    cr_assert_eq(chdir("/tmp"), 0);
    char props[512];
    snprintf(props, sizeof props,
             "{\"FunctionName\":\"rel\",\"Runtime\":\"nodejs20.x\","
             "\"Role\":\"" ROLE "\",\"Handler\":\"index.handler\","
             "\"Code\":{\"Directory\":\"%s\"},"
             "\"Tags\":[{\"Key\":\"team\",\"Value\":\"cards\"}]}",
             code_dir + strlen("/tmp/"));
    cJSON *properties = cJSON_Parse(props);
    store_call_begin(srv->store);
    int rc = lam_stack_apply_function(srv, "123456789012", "us-east-1", "Rel",
                                      properties, &err);
    store_call_end(srv->store, rc == 0);
    stratus_turn_end(srv);
    cJSON_Delete(properties);
    cr_assert_eq(rc, 0, "%s", err.message);

    int status = 0;
    cJSON *out = call("GET", "/2015-03-31/functions/rel", NULL, &status);
    cr_assert_eq(status, 200);
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(out, "Code");
    char expected[128];
    snprintf(expected, sizeof expected, "file://%s", code_dir);
    cr_assert_str_eq(str(code, "Location"), expected);
    const cJSON *tags = cJSON_GetObjectItemCaseSensitive(out, "Tags");
    cr_assert_str_eq(str(tags, "team"), "cards");
    cJSON_Delete(out);
}

Test(lam_api, update_function_code_replaces_code)
{
    int status = 0;
    cJSON *created = create("fn", NULL, &status);
    char before[64];
    snprintf(before, sizeof before, "%s", str(created, "CodeSha256"));
    cJSON_Delete(created);

    cJSON *out = call("PUT", "/2015-03-31/functions/fn/code",
                      "{\"ZipFile\":\"" ZIP_B64 "\"}", &status);
    cr_assert_eq(status, 200, "%s", str(out, "message"));
    cr_assert_str_eq(str(out, "CodeSha256"), ZIP_SHA256);
    cr_assert_str_neq(str(out, "CodeSha256"), before);
    cr_assert_str_eq(str(out, "LastUpdateStatus"), "InProgress");
    cr_assert_str_eq(str(out, "Runtime"), "nodejs20.x");
    cJSON_Delete(out);
}

#define TAGS_PATH                                                              \
    "/2017-03-31/tags/"                                                        \
    "arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3A"

Test(lam_api, tags_added_listed_removed)
{
    int status = 0;
    cJSON_Delete(create("fn", "\"Tags\":{\"team\":\"cards\"}", &status));

    cJSON *out = call("GET", TAGS_PATH "fn", NULL, &status);
    cr_assert_eq(status, 200);
    const cJSON *tags = cJSON_GetObjectItemCaseSensitive(out, "Tags");
    cr_assert_str_eq(str(tags, "team"), "cards");
    cJSON_Delete(out);

    out = call("POST", TAGS_PATH "fn",
               "{\"Tags\":{\"stage\":\"dev\",\"team\":\"pricing\"}}", &status);
    cr_assert_eq(status, 204);
    cJSON_Delete(out);
    out = call("GET", TAGS_PATH "fn", NULL, &status);
    tags = cJSON_GetObjectItemCaseSensitive(out, "Tags");
    cr_assert_eq(cJSON_GetArraySize(tags), 2);
    cr_assert_str_eq(str(tags, "team"), "pricing");
    cr_assert_str_eq(str(tags, "stage"), "dev");
    cJSON_Delete(out);

    out = call("DELETE", TAGS_PATH "fn?tagKeys=team&tagKeys=absent", NULL,
               &status);
    cr_assert_eq(status, 204);
    cJSON_Delete(out);
    out = call("GET", TAGS_PATH "fn", NULL, &status);
    tags = cJSON_GetObjectItemCaseSensitive(out, "Tags");
    cr_assert_eq(cJSON_GetArraySize(tags), 1);
    cr_assert_str_eq(str(tags, "stage"), "dev");
    cJSON_Delete(out);
}

Test(lam_api, tags_errors_use_aws_texts)
{
    int status = 0;
    cJSON_Delete(create("fn", NULL, &status));

    cJSON *out = call("GET", TAGS_PATH "nope", NULL, &status);
    cr_assert_eq(status, 404);
    cr_assert_str_eq(str(out, "Message"),
                     "Function not found: " ARN_PREFIX "nope");
    cJSON_Delete(out);

    out = call("GET", TAGS_PATH "fn%3A1", NULL, &status);
    cr_assert_eq(status, 400);
    cr_assert_str_eq(str(out, "message"),
                     "Tags on function aliases and versions are not "
                     "supported. Please specify a function ARN.");
    cJSON_Delete(out);

    out = call("GET", "/2017-03-31/tags/arn%3Aaws%3Asomething", NULL, &status);
    cr_assert_eq(status, 400);
    cr_assert(strncmp(str(out, "message"),
                      "1 validation error detected: Value "
                      "'arn:aws:something' at 'resource'",
                      64) == 0,
              "%s", str(out, "message"));
    cJSON_Delete(out);

    out = call("POST", TAGS_PATH "fn", "{\"Tags\":{}}", &status);
    cr_assert_eq(status, 400);
    cr_assert_str_eq(str(out, "message"),
                     "An error occurred and the request cannot be processed.");
    cJSON_Delete(out);

    out = call("DELETE", TAGS_PATH "fn", NULL, &status);
    cr_assert_eq(status, 400);
    cr_assert_str_eq(str(out, "message"),
                     "1 validation error detected: Value null at 'tagKeys' "
                     "failed to satisfy constraint: Member must not be null");
    cJSON_Delete(out);

    strbuf many;
    strbuf_init(&many);
    strbuf_puts(&many, "{\"Tags\":{");
    for (int i = 0; i < 51; i++)
        strbuf_printf(&many, "%s\"k%d\":\"v\"", i ? "," : "", i);
    strbuf_puts(&many, "}}");
    out = call("POST", TAGS_PATH "fn", many.data, &status);
    strbuf_free(&many);
    cr_assert_eq(status, 400);
    cr_assert_str_eq(str(out, "message"),
                     "Number of tags exceeds resource tag limit.");
    cJSON_Delete(out);
}

Test(lam_api, permissions_build_policy)
{
    int status = 0;
    cJSON_Delete(create("fn", NULL, &status));

    cJSON *out = call("GET", "/2015-03-31/functions/fn/policy", NULL, &status);
    cr_assert_eq(status, 404);
    cr_assert_str_eq(str(out, "Message"),
                     "The resource you requested does not exist.");
    cJSON_Delete(out);

    out = call("POST", "/2015-03-31/functions/fn/policy",
               "{\"StatementId\":\"events\",\"Action\":"
               "\"lambda:InvokeFunction\",\"Principal\":"
               "\"events.amazonaws.com\",\"SourceArn\":"
               "\"arn:aws:events:us-east-1:123456789012:rule/r\"}",
               &status);
    cr_assert_eq(status, 201);
    cJSON *statement = cJSON_Parse(str(out, "Statement"));
    cJSON_Delete(out);
    cr_assert_str_eq(str(statement, "Sid"), "events");
    cr_assert_str_eq(str(statement, "Effect"), "Allow");
    cr_assert_str_eq(str(statement, "Resource"), ARN_PREFIX "fn");
    cr_assert_str_eq(
        str(cJSON_GetObjectItemCaseSensitive(statement, "Principal"),
            "Service"),
        "events.amazonaws.com");
    const cJSON *like = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(statement, "Condition"), "ArnLike");
    cr_assert_str_eq(str(like, "AWS:SourceArn"),
                     "arn:aws:events:us-east-1:123456789012:rule/r");
    cJSON_Delete(statement);

    out = call("POST", "/2015-03-31/functions/fn/policy",
               "{\"StatementId\":\"events\",\"Action\":"
               "\"lambda:InvokeFunction\",\"Principal\":\"*\"}",
               &status);
    cr_assert_eq(status, 409);
    cr_assert_str_eq(str(out, "message"),
                     "The statement id (events) provided already exists. "
                     "Please provide a new statement id, or remove the "
                     "existing statement.");
    cJSON_Delete(out);

    out = call("GET", "/2015-03-31/functions/fn/policy", NULL, &status);
    cr_assert_eq(status, 200);
    cJSON *policy = cJSON_Parse(str(out, "Policy"));
    cr_assert_str_eq(str(policy, "Version"), "2012-10-17");
    cr_assert_eq(cJSON_GetArraySize(
                     cJSON_GetObjectItemCaseSensitive(policy, "Statement")),
                 1);
    cr_assert_not_null(str(out, "RevisionId"));
    cJSON_Delete(policy);
    cJSON_Delete(out);

    out =
        call("DELETE", "/2015-03-31/functions/fn/policy/other", NULL, &status);
    cr_assert_eq(status, 404);
    cr_assert_str_eq(str(out, "Message"),
                     "Statement other is not found in resource policy.");
    cJSON_Delete(out);
    out =
        call("DELETE", "/2015-03-31/functions/fn/policy/events", NULL, &status);
    cr_assert_eq(status, 204);
    cJSON_Delete(out);
    out =
        call("DELETE", "/2015-03-31/functions/fn/policy/events", NULL, &status);
    cr_assert_eq(status, 404);
    cr_assert_str_eq(str(out, "Message"),
                     "No policy is associated with the given resource.");
    cJSON_Delete(out);
}

Test(lam_api, stack_permission_kept_when_present)
{
    int status = 0;
    cJSON_Delete(create("fn", NULL, &status));
    cJSON *properties = cJSON_Parse(
        "{\"FunctionName\":\"fn\",\"Action\":\"lambda:InvokeFunction\","
        "\"Principal\":\"apigateway.amazonaws.com\"}");
    aws_error err;
    memset(&err, 0, sizeof err);
    store_call_begin(srv->store);
    int first = lam_stack_apply_permission(srv, "123456789012", "us-east-1",
                                           "ApiInvoke", properties, &err);
    store_call_end(srv->store, first == 0);
    cr_assert_eq(first, 0, "%s", err.message);
    store_call_begin(srv->store);
    int second = lam_stack_apply_permission(srv, "123456789012", "us-east-1",
                                            "ApiInvoke", properties, &err);
    store_call_end(srv->store, second == 0);
    stratus_turn_end(srv);
    cJSON_Delete(properties);
    cr_assert_eq(second, -1);
    cr_assert_eq(err.code, AWS_ERR_RESOURCE_IN_USE);
    aws_error_reset(&err);

    cJSON *out = call("GET", "/2015-03-31/functions/fn/policy", NULL, &status);
    cr_assert_eq(status, 200);
    cr_assert_not_null(strstr(str(out, "Policy"), "\"Sid\":\"ApiInvoke\""));
    cJSON_Delete(out);
}

Test(lam_api, stale_revision_id_rejected)
{
    int status = 0;
    cJSON *created = create("fn", NULL, &status);
    char revision[64], body[256];
    snprintf(revision, sizeof revision, "%s", str(created, "RevisionId"));
    cJSON_Delete(created);

    snprintf(body, sizeof body, "{\"Timeout\":5,\"RevisionId\":\"%s\"}",
             revision);
    cJSON *out =
        call("PUT", "/2015-03-31/functions/fn/configuration", body, &status);
    cr_assert_eq(status, 200);
    cJSON_Delete(out);

    /* The update changed the RevisionId, so the old one is stale now. */
    out = call("PUT", "/2015-03-31/functions/fn/configuration", body, &status);
    cr_assert_eq(status, 412);
    cr_assert_str_eq(str(out, "message"),
                     "The Revision Id provided does not match the latest "
                     "Revision Id. Call the GetFunction/GetAlias API to "
                     "retrieve the latest Revision Id");
    cJSON_Delete(out);

    snprintf(body, sizeof body,
             "{\"StatementId\":\"s\",\"Action\":\"lambda:InvokeFunction\","
             "\"Principal\":\"*\",\"RevisionId\":\"%s\"}",
             revision);
    out = call("POST", "/2015-03-31/functions/fn/policy", body, &status);
    cr_assert_eq(status, 412);
    cr_assert_str_eq(str(out, "message"),
                     "The Revision Id provided does not match the latest "
                     "Revision Id. Call the GetPolicy API to retrieve the "
                     "latest Revision Id");
    cJSON_Delete(out);
}

Test(lam_api, reserved_concurrency_lifecycle)
{
    int status = 0;
    cJSON_Delete(create("conc", NULL, &status));
    cr_assert_eq(status, 201);

    cJSON *out =
        call("GET", "/2019-09-30/functions/conc/concurrency", NULL, &status);
    cr_assert_eq(status, 200);
    cr_assert_eq(cJSON_GetArraySize(out), 0, "no reserved concurrency yet");
    cJSON_Delete(out);

    out = call("PUT", "/2017-10-31/functions/conc/concurrency",
               "{\"ReservedConcurrentExecutions\":5}", &status);
    cr_assert_eq(status, 200);
    cr_assert_eq(num(out, "ReservedConcurrentExecutions"), 5);
    cJSON_Delete(out);

    out = call("GET", "/2019-09-30/functions/conc/concurrency", NULL, &status);
    cr_assert_eq(num(out, "ReservedConcurrentExecutions"), 5);
    cJSON_Delete(out);
    out = call("GET", "/2015-03-31/functions/conc", NULL, &status);
    cr_assert_eq(num(cJSON_GetObjectItemCaseSensitive(out, "Concurrency"),
                     "ReservedConcurrentExecutions"),
                 5);
    cJSON_Delete(out);

    /* 1,000 for the account, of which 100 stay unreserved. */
    out = call("PUT", "/2017-10-31/functions/conc/concurrency",
               "{\"ReservedConcurrentExecutions\":901}", &status);
    cr_assert_eq(status, 400);
    cr_assert_str_eq(str(out, "message"),
                     "Specified ReservedConcurrentExecutions for function "
                     "decreases account's UnreservedConcurrentExecution below "
                     "its minimum value of [100].");
    cJSON_Delete(out);

    out = call("PUT", "/2017-10-31/functions/" ARN_PREFIX "conc:1/concurrency",
               "{\"ReservedConcurrentExecutions\":1}", &status);
    cr_assert_eq(status, 400);
    cr_assert_str_eq(str(out, "message"),
                     "This operation is permitted on Lambda functions only. "
                     "Aliases and versions do not support this operation. "
                     "Please specify either a function name or an "
                     "unqualified function ARN.");
    cJSON_Delete(out);

    out =
        call("DELETE", "/2017-10-31/functions/conc/concurrency", NULL, &status);
    cr_assert_eq(status, 204);
    cJSON_Delete(out);
    out = call("GET", "/2019-09-30/functions/conc/concurrency", NULL, &status);
    cr_assert_eq(cJSON_GetArraySize(out), 0);
    cJSON_Delete(out);

    out = call("GET", "/2019-09-30/functions/nope/concurrency", NULL, &status);
    cr_assert_eq(status, 404);
    cJSON_Delete(out);
}

Test(lam_api, reserved_zero_throttles_sync_invokes)
{
    int status = 0;
    http_response resp;
    cJSON_Delete(create("zero", NULL, &status));
    cJSON_Delete(call("PUT", "/2017-10-31/functions/zero/concurrency",
                      "{\"ReservedConcurrentExecutions\":0}", &status));
    cr_assert_eq(status, 200);

    cJSON *out =
        ts_rest_call(srv, "POST", "/2015-03-31/functions/zero/invocations",
                     "lambda", "{}", &status, &resp);
    cr_assert_eq(status, 429);
    cr_assert_str_eq(header(&resp, "x-amzn-ErrorType"),
                     "TooManyRequestsException");
    cr_assert_str_eq(str(out, "message"), "Rate Exceeded.");
    cr_assert_str_eq(str(out, "Reason"),
                     "ReservedFunctionConcurrentInvocationLimitExceeded");
    http_response_cleanup(&resp);
    cJSON_Delete(out);

    /* Asynchronous invocations are accepted and wait for a free slot. */
    out = invoke("zero", "Event", "{}", &status, &resp);
    cr_assert_eq(status, 202);
    http_response_cleanup(&resp);
    cJSON_Delete(out);
}
