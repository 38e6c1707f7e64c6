/*
 * test_sfn_lambda.c: Task states that invoke Lambda functions, run by a
 * custom runtime (a shell bootstrap speaking the Runtime API with curl):
 * the lambda:invoke envelope, a plain function ARN, function errors caught
 * by their errorType, and a missing function as Lambda.ResourceNotFound.
 */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "sfn_test_util.h"
#include "ts.h"

/* A runtime that returns {"echo": <event>} and fails events containing
 * "fail" with errorType Card.Invalid. */
static const char echo_bootstrap[] =
    "#!/bin/sh\n"
    "api=\"http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime\"\n"
    "dir=\"$LAMBDA_TASK_ROOT\"\n"
    "n=0\n"
    "while [ \"$n\" -lt 100 ]; do\n"
    "  n=$((n + 1))\n"
    "  curl -sS -D \"$dir/h.$$\" -o \"$dir/e.$$\" \"$api/invocation/next\" "
    "|| exit 0\n"
    "  id=$(grep -i '^lambda-runtime-aws-request-id:' \"$dir/h.$$\" | cut "
    "-d' ' -f2 | tr -d '\\r')\n"
    "  if grep -q fail \"$dir/e.$$\"; then\n"
    "    curl -sS -X POST --data-binary "
    "'{\"errorType\":\"Card.Invalid\",\"errorMessage\":\"bad card\"}' "
    "\"$api/invocation/$id/error\" > /dev/null\n"
    "  else\n"
    "    printf '{\"echo\":%s}' \"$(cat \"$dir/e.$$\")\" > \"$dir/r.$$\"\n"
    "    curl -sS -X POST --data-binary @\"$dir/r.$$\" "
    "\"$api/invocation/$id/response\" > /dev/null\n"
    "  fi\n"
    "done\n";

static stratus *srv;
static char dir[64];

static int remove_entry(const char *path, const struct stat *sb, int flag,
                        struct FTW *ftw)
{
    return remove(path);
}

static void setup(void)
{
    srv = sfn_test_new();
    snprintf(dir, sizeof dir, "/tmp/stratus-sfn-lambda-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/bootstrap", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(echo_bootstrap, f);
    fclose(f);
    chmod(path, 0755);

    char body[512];
    int status = 0;
    snprintf(body, sizeof body,
             "{\"FunctionName\":\"echo\",\"Runtime\":\"provided.al2023\","
             "\"Role\":\"arn:aws:iam::123456789012:role/r\",\"Handler\":\"x\","
             "\"Code\":{\"Directory\":\"%s\"}}",
             dir);
    cJSON_Delete(ts_rest_call(srv, "POST", "/2015-03-31/functions", "lambda",
                              body, &status, NULL));
    cr_assert_eq(status, 201);
}

static void teardown(void)
{
    ts_free(srv);
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(sfn_lambda, .init = setup, .fini = teardown, .timeout = 60);

static void require_curl(void)
{
    if (access("/usr/bin/curl", X_OK) != 0)
        cr_skip_test("curl is not installed; skipping");
}

/* Run the loop and the due jobs until the execution closes, for at most
 * 10 s of wall time. Returns DescribeExecution. */
static cJSON *run_until_closed(const char *exec)
{
    for (int i = 0; i < 10000; i++) {
        cJSON *d = sfn_describe(srv, exec);
        if (strcmp(sfn_test_str(d, "status"), "RUNNING") != 0)
            return d;
        cJSON_Delete(d);
        uv_run(&srv->loop, UV_RUN_NOWAIT);
        sfn_drain(srv);
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    return sfn_describe(srv, exec);
}

static cJSON *run(const char *definition, const char *input, char exec[512])
{
    static int serial;
    char name[32], arn[256];
    snprintf(name, sizeof name, "lambda%d", ++serial);
    sfn_create(srv, name, "STANDARD", definition, arn);
    sfn_start(srv, arn, "run", input, exec);
    return run_until_closed(exec);
}

Test(sfn_lambda, invoke_envelope_and_result_selector)
{
    require_curl();
    char exec[512];
    cJSON *d =
        run("{\"StartAt\":\"T\",\"States\":{\"T\":{\"Type\":\"Task\","
            "\"Resource\":\"arn:aws:states:::lambda:invoke\","
            "\"Parameters\":{\"FunctionName\":\"arn:aws:lambda:us-east-1:"
            "123456789012:function:echo\",\"Payload\":{\"id.$\":\"$.id\"}},"
            "\"ResultSelector\":{\"Payload.$\":\"$.Payload\","
            "\"Status.$\":\"$.StatusCode\"},\"ResultPath\":\"$.r\","
            "\"End\":true}}}",
            "{\"id\":\"c1\"}", exec);
    cr_assert_str_eq(sfn_test_str(d, "status"), "SUCCEEDED", "%s %s",
                     sfn_test_str(d, "error"), sfn_test_str(d, "cause"));
    cJSON *got = cJSON_Parse(sfn_test_str(d, "output"));
    cJSON *want = cJSON_Parse("{\"id\":\"c1\",\"r\":{\"Payload\":{\"echo\":"
                              "{\"id\":\"c1\"}},\"Status\":200}}");
    cr_assert(sfn_json_equal(got, want), "output %s",
              sfn_test_str(d, "output"));
    cJSON_Delete(got);
    cJSON_Delete(want);
    cJSON_Delete(d);
}

Test(sfn_lambda, function_arn_resource)
{
    require_curl();
    char exec[512];
    cJSON *d = run("{\"StartAt\":\"T\",\"States\":{\"T\":{\"Type\":\"Task\","
                   "\"Resource\":\"arn:aws:lambda:us-east-1:123456789012:"
                   "function:echo\",\"End\":true}}}",
                   "{\"k\":1}", exec);
    cr_assert_str_eq(sfn_test_str(d, "status"), "SUCCEEDED");
    cr_assert_str_eq(sfn_test_str(d, "output"), "{\"echo\":{\"k\":1}}");
    cJSON_Delete(d);
    char *types = sfn_history_types(srv, exec);
    cr_assert_str_eq(types, "ExecutionStarted TaskStateEntered "
                            "LambdaFunctionScheduled LambdaFunctionStarted "
                            "LambdaFunctionSucceeded TaskStateExited "
                            "ExecutionSucceeded");
    free(types);
}

Test(sfn_lambda, function_error_caught_by_type)
{
    require_curl();
    char exec[512];
    cJSON *d = run(
        "{\"StartAt\":\"T\",\"States\":{\"T\":{\"Type\":\"Task\","
        "\"Resource\":\"arn:aws:states:::lambda:invoke\","
        "\"Parameters\":{\"FunctionName\":\"echo\",\"Payload\":{\"fail\":1}},"
        "\"Retry\":[{\"ErrorEquals\":[\"Lambda.ServiceException\"]}],"
        "\"Catch\":[{\"ErrorEquals\":[\"Card.Invalid\"],\"ResultPath\":"
        "\"$.error\",\"Next\":\"H\"}],\"End\":true},"
        "\"H\":{\"Type\":\"Pass\",\"End\":true}}}",
        "{}", exec);
    cr_assert_str_eq(sfn_test_str(d, "status"), "SUCCEEDED");
    cJSON *out = cJSON_Parse(sfn_test_str(d, "output"));
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(out, "error");
    cr_assert_str_eq(sfn_test_str(error, "Error"), "Card.Invalid");
    cr_assert_str_eq(sfn_test_str(error, "Cause"),
                     "{\"errorType\":\"Card.Invalid\","
                     "\"errorMessage\":\"bad card\"}");
    cJSON_Delete(out);
    cJSON_Delete(d);
}

Test(sfn_lambda, missing_function_fails_task)
{
    char exec[512];
    cJSON *d = run("{\"StartAt\":\"T\",\"States\":{\"T\":{\"Type\":\"Task\","
                   "\"Resource\":\"arn:aws:states:::lambda:invoke\","
                   "\"Parameters\":{\"FunctionName\":\"absent\"},"
                   "\"End\":true}}}",
                   "{}", exec);
    cr_assert_str_eq(sfn_test_str(d, "status"), "FAILED");
    cr_assert_str_eq(sfn_test_str(d, "error"),
                     "Lambda.ResourceNotFoundException");
    cJSON_Delete(d);
}
