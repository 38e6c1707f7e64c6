/*
 * test_lam_env_expand.c: the ${Stratus::EndpointUrl} placeholder in a
 * function's environment variables, expanded to Stratus's own endpoint
 * when an execution environment starts.
 */
#include "lam_live.h"

/* A custom runtime that responds to one event with some of its variables. */
static const char env_bootstrap[] =
    "#!/bin/sh\n"
    "api=\"http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime\"\n"
    "work=\"$LAMBDA_TASK_ROOT/work.$$\"\n"
    "mkdir -p \"$work\"\n"
    "curl -sS -D \"$work/h\" -o /dev/null \"$api/invocation/next\" || exit 0\n"
    "id=$(grep -i '^lambda-runtime-aws-request-id:' \"$work/h\" | cut -d' ' "
    "-f2 | tr -d '\\r')\n"
    "printf '{\"pricing\":\"%s\",\"both\":\"%s\",\"plain\":\"%s\","
    "\"endpoint\":\"%s\"}' \"$POKEMONTCG_API_URL\" \"$BOTH\" \"$PLAIN\" "
    "\"$AWS_ENDPOINT_URL\" > \"$work/r\"\n"
    "curl -sS -X POST --data-binary @\"$work/r\" "
    "\"$api/invocation/$id/response\" >/dev/null\n";

static lam_live live;

static void setup(void)
{
    lam_live_start(&live);
}

static void teardown(void)
{
    if (live.srv)
        lam_live_stop(&live);
    live.srv = NULL;
}

TestSuite(lam_env_expand, .init = setup, .fini = teardown, .timeout = 60);

static const char *member(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(v) ? v->valuestring : "";
}

Test(lam_env_expand, placeholder_becomes_endpoint)
{
    char dir[128], endpoint[64], expected[160];
    lam_reply r;

    if (access("/usr/bin/curl", X_OK) != 0)
        cr_skip_test("curl is not installed; skipping");
    lam_live_subdir(&live, "expand", dir, sizeof dir);
    lam_live_write(dir, "bootstrap", env_bootstrap, 0755);
    lam_live_create(
        &live, "expand", "provided.al2023", "env.handler", dir,
        "\"Environment\":{\"Variables\":{"
        "\"POKEMONTCG_API_URL\":"
        "\"${Stratus::EndpointUrl}/_stratus/pokemontcg/v2/cards\","
        "\"BOTH\":\"${Stratus::EndpointUrl}|${Stratus::EndpointUrl}\","
        "\"PLAIN\":\"${Stratus::Other} stays\"}}");
    cr_assert_eq(lam_live_invoke(&live, "expand", "{}", NULL, &r), 200,
                 "Invoke: %s", r.body);

    cJSON *out = cJSON_ParseWithLength(r.body, r.body_len);
    cr_assert_not_null(out, "not JSON: %s", r.body);
    snprintf(endpoint, sizeof endpoint, "http://127.0.0.1:%d", live.port);
    cr_assert_str_eq(member(out, "endpoint"), endpoint);
    snprintf(expected, sizeof expected, "%s/_stratus/pokemontcg/v2/cards",
             endpoint);
    cr_assert_str_eq(member(out, "pricing"), expected);
    snprintf(expected, sizeof expected, "%s|%s", endpoint, endpoint);
    cr_assert_str_eq(member(out, "both"), expected);
    cr_assert_str_eq(member(out, "plain"), "${Stratus::Other} stays");
    cJSON_Delete(out);
    lam_reply_free(&r);
}
