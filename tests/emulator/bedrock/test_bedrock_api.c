/*
 * test_bedrock_api.c: the Bedrock Runtime stand-in's Converse through the
 * dispatcher: answers chosen by the rules file, the default answer,
 * Bedrock's validation errors, injected faults and the fault endpoint.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "bedrock.h"
#include "ts.h"
#include "util.h"

#define CONVERSE "/model/us.anthropic.claude-sonnet-4-20250514-v1%3A0/converse"

/* The system prompts' role sentences, as the CollectIQ handlers word them. */
#define OCR_SYSTEM                                                             \
    "You are an expert Pok\\u00e9mon Trading Card Game (TCG) analyst "         \
    "specializing in card identification from OCR text."
#define AUTH_SYSTEM "You are an expert Pok\\u00e9mon TCG card authenticator."
#define VALUATION_SYSTEM "You are an expert Pok\\u00e9mon TCG card valuator."

static stratus *srv;

static void setup(void)
{
    srv = ts_new();
}

static void teardown(void)
{
    ts_free(srv);
    unsetenv("STRATUS_FIXTURES_DIR");
}

TestSuite(bedrock_api, .init = setup, .fini = teardown);

static const char *str(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static double num(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

static cJSON *converse(const char *system, const char *user, int *status)
{
    char body[4096];
    snprintf(body, sizeof body,
             "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":"
             "\"%s\"}]}],\"system\":[{\"text\":\"%s\"}],"
             "\"inferenceConfig\":{\"maxTokens\":2048,\"temperature\":0.2}}",
             user, system);
    return ts_rest_call(srv, "POST", CONVERSE, "bedrock", body, status, NULL);
}

/* The assistant's text of a Converse response. */
static const char *answer_text(const cJSON *out)
{
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(out, "output"), "message"),
        "content");
    return str(cJSON_GetArrayItem(content, 0), "text");
}

/* Parse the first {...} span of `text`, as the handlers do. */
static cJSON *answer_json(const cJSON *out)
{
    const char *text = answer_text(out);
    const char *open = strchr(text, '{');
    const char *close = strrchr(text, '}');
    cr_assert(open && close, "no JSON in %s", text);
    return cJSON_ParseWithLength(open, (size_t)(close - open + 1));
}

Test(bedrock_api, ocr_rule_answers_card_json)
{
    int status;
    cJSON *out = converse(
        OCR_SYSTEM, "OCR Text Blocks (Top Region):\\n- \\\"Pikachu ex\\\"",
        &status);
    cr_assert_eq(status, 200);
    cr_assert_eq(strncmp(answer_text(out), "```json\n", 8), 0);
    cJSON *ocr = answer_json(out);
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(ocr, "name");
    cr_assert_str_eq(str(name, "value"), "Pikachu ex");
    const cJSON *set = cJSON_GetObjectItemCaseSensitive(ocr, "set");
    cr_assert_gt(
        cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(set, "candidates")),
        1);
    cr_assert_str_eq(
        str(cJSON_GetObjectItemCaseSensitive(ocr, "collectorNumber"), "value"),
        "096/286");
    cJSON_Delete(ocr);

    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(out, "output"), "message");
    cr_assert_str_eq(str(msg, "role"), "assistant");
    cr_assert_str_eq(str(out, "stopReason"), "end_turn");
    const cJSON *usage = cJSON_GetObjectItemCaseSensitive(out, "usage");
    cr_assert_gt(num(usage, "inputTokens"), 0);
    cr_assert_gt(num(usage, "outputTokens"), 0);
    cr_assert_eq(num(usage, "totalTokens"),
                 num(usage, "inputTokens") + num(usage, "outputTokens"));
    cr_assert_geq(
        num(cJSON_GetObjectItemCaseSensitive(out, "metrics"), "latencyMs"), 0);
    cJSON_Delete(out);
}

/* The role sentences of Stratus's own task handlers (pipeline/handlers)
 * meet the same rules as CollectIQ's. */
Test(bedrock_api, pipeline_prompts_match_rules)
{
    static const struct {
        const char *system;
        const char *user;
        const char *member;
        double expected;
    } cases[] = {
        {"You are an expert Pok\\u00e9mon trading card OCR analyst.",
         "OCR text blocks, in detection order:\\n- Charizard ex",
         "overallConfidence", 0.9},
        {"You are an expert Pok\\u00e9mon trading card authenticator.",
         "OCR text: Charizard ex | Genetic Apex", "authenticityScore", 0.81},
        {"You are an expert Pok\\u00e9mon trading card valuator.",
         "Card: Charizard ex\\nSet: Genetic Apex", "fairValue", 22.75},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int status;
        cJSON *out = converse(cases[i].system, cases[i].user, &status);
        cr_assert_eq(status, 200, "case %zu", i);
        cJSON *json = answer_json(out);
        cr_assert_float_eq(num(json, cases[i].member), cases[i].expected, 1e-9,
                           "case %zu: %s", i, answer_text(out));
        cJSON_Delete(json);
        cJSON_Delete(out);
    }
}

Test(bedrock_api, ocr_single_value_set)
{
    int status;
    cJSON *out = converse(OCR_SYSTEM, "- \\\"Charizard ex\\\"", &status);
    cJSON *ocr = answer_json(out);
    const cJSON *set = cJSON_GetObjectItemCaseSensitive(ocr, "set");
    cr_assert_str_eq(str(set, "value"), "Genetic Apex");
    cr_assert_null(cJSON_GetObjectItemCaseSensitive(set, "candidates"));
    cJSON_Delete(ocr);
    cJSON_Delete(out);
}

Test(bedrock_api, valuation_differs_per_card)
{
    int status;
    cJSON *a = converse(VALUATION_SYSTEM, "- Name: Pikachu ex", &status);
    cJSON *b = converse(VALUATION_SYSTEM, "- Name: Charizard ex", &status);
    cJSON *va = answer_json(a), *vb = answer_json(b);
    cr_assert_float_eq(num(va, "fairValue"), 5.8, 1e-9);
    cr_assert_float_eq(num(vb, "fairValue"), 22.75, 1e-9);
    cr_assert_str_eq(str(vb, "trend"), "rising");
    cJSON_Delete(va);
    cJSON_Delete(vb);
    cJSON_Delete(a);
    cJSON_Delete(b);
}

Test(bedrock_api, authenticity_rule)
{
    int status;
    cJSON *out = converse(AUTH_SYSTEM, "- Name: Charmander", &status);
    cJSON *auth = answer_json(out);
    cr_assert_float_eq(num(auth, "authenticityScore"), 0.9, 1e-9);
    cr_assert(
        cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(auth, "fakeDetected")));
    cJSON_Delete(auth);
    cJSON_Delete(out);
}

Test(bedrock_api, unknown_card_and_default)
{
    int status;
    cJSON *out = converse(VALUATION_SYSTEM, "- Name: Mew", &status);
    cJSON *v = answer_json(out);
    cr_assert_float_eq(num(v, "fairValue"), 0, 1e-9);
    cJSON_Delete(v);
    cJSON_Delete(out);

    out = converse("You are a poet.", "Write a haiku.", &status);
    cr_assert_eq(status, 200);
    cr_assert_not_null(strstr(answer_text(out), "no canned answer"));
    cJSON_Delete(out);
}

Test(bedrock_api, malformed_answer_rule)
{
    int status;
    cJSON *out =
        converse(VALUATION_SYSTEM, "stratus:malformed Pikachu ex", &status);
    cr_assert_eq(status, 200);
    cr_assert_null(strchr(answer_text(out), '{'));
    cJSON_Delete(out);
}

Test(bedrock_api, max_tokens_truncates)
{
    int status;
    cJSON *out = ts_rest_call(
        srv, "POST", CONVERSE, "bedrock",
        "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"Name: "
        "Pikachu ex\"}]}],\"system\":[{\"text\":\"card valuator\"}],"
        "\"inferenceConfig\":{\"maxTokens\":5}}",
        &status, NULL);
    cr_assert_eq(status, 200);
    cr_assert_str_eq(str(out, "stopReason"), "max_tokens");
    cr_assert_eq(
        num(cJSON_GetObjectItemCaseSensitive(out, "usage"), "outputTokens"), 5);
    cr_assert_leq(strlen(answer_text(out)), 20);
    cJSON_Delete(out);
}

Test(bedrock_api, validation_errors)
{
    static const struct {
        const char *body;
        const char *message;
    } cases[] = {
        {"{\"messages\":[]}",
         "A conversation must start with a user message. Try again with a "
         "conversation that starts with a user message."},
        {"{\"messages\":[{\"role\":\"assistant\",\"content\":[{\"text\":"
         "\"hi\"}]}]}",
         "A conversation must start with a user message. Try again with a "
         "conversation that starts with a user message."},
        {"{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"a\"}]},"
         "{\"role\":\"user\",\"content\":[{\"text\":\"b\"}]}]}",
         "A conversation must alternate between user and assistant roles. "
         "Make sure the conversation alternates between user and assistant "
         "roles and try again."},
        {"{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\" \"}]}]}",
         "The text field in the ContentBlock object at messages.0.content.0 "
         "is blank. Add text to the text field, and try again."},
        {"{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"a\"}]}],"
         "\"inferenceConfig\":{\"maxTokens\":0}}",
         "1 validation error detected: Value '0' at "
         "'inferenceConfig.maxTokens' failed to satisfy constraint: Member "
         "must have value greater than or equal to 1"},
        {"{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"a\"}]}],"
         "\"inferenceConfig\":{\"temperature\":1.5}}",
         "1 validation error detected: Value '1.5' at "
         "'inferenceConfig.temperature' failed to satisfy constraint: Member "
         "must have value less than or equal to 1"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int status;
        http_response resp;
        cJSON *out = ts_rest_call(srv, "POST", CONVERSE, "bedrock",
                                  cases[i].body, &status, &resp);
        cr_assert_eq(status, 400, "case %zu", i);
        cr_assert_str_eq(str(out, "message"), cases[i].message, "case %zu", i);
        const char *type = NULL;
        for (size_t h = 0; h < resp.header_count; h++)
            if (strcmp(resp.headers[h].name, "x-amzn-ErrorType") == 0)
                type = resp.headers[h].value;
        cr_assert_str_eq(type, "ValidationException", "case %zu", i);
        http_response_cleanup(&resp);
        cJSON_Delete(out);
    }
}

Test(bedrock_api, invalid_model_id)
{
    int status;
    cJSON *out = ts_rest_call(
        srv, "POST", "/model/not%20a%20model/converse", "bedrock",
        "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"a\"}]}]}",
        &status, NULL);
    cr_assert_eq(status, 400);
    cr_assert_str_eq(str(out, "message"),
                     "The provided model identifier is invalid.");
    cJSON_Delete(out);
}

Test(bedrock_api, throttling_fault_counts_down)
{
    int status;
    cr_assert_eq(bedrock_fault_set(srv, "throttling", 2, 0), 0);
    for (int i = 0; i < 2; i++) {
        cJSON *out = converse(VALUATION_SYSTEM, "Name: Pikachu ex", &status);
        cr_assert_eq(status, 429, "call %d", i);
        cr_assert_str_eq(str(out, "message"),
                         "Too many requests, please wait before trying "
                         "again.");
        cJSON_Delete(out);
    }
    cJSON *out = converse(VALUATION_SYSTEM, "Name: Pikachu ex", &status);
    cr_assert_eq(status, 200);
    cJSON_Delete(out);
}

Test(bedrock_api, fault_kinds_and_statuses)
{
    static const struct {
        const char *kind;
        int status;
    } kinds[] = {{"model-error", 424},
                 {"internal", 500},
                 {"unavailable", 503},
                 {"timeout", 408}};
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
        int status;
        cr_assert_eq(bedrock_fault_set(srv, kinds[i].kind, 1, 0), 0);
        cJSON *out = converse(AUTH_SYSTEM, "Name: Pikachu ex", &status);
        cr_assert_eq(status, kinds[i].status, "%s", kinds[i].kind);
        cJSON_Delete(out);
    }
    cr_assert_eq(bedrock_fault_set(srv, "meteor", 1, 0), -1);
    cr_assert_eq(bedrock_fault_set(srv, "none", 1, -5), -1);
}

/* An in-process call cannot be held, so the latency shows only in the
 * reported metrics. */
Test(bedrock_api, latency_fault_reported)
{
    int status;
    cr_assert_eq(bedrock_fault_set(srv, "none", -1, 1500), 0);
    for (int i = 0; i < 3; i++) {
        cJSON *out = converse(AUTH_SYSTEM, "Name: Pikachu ex", &status);
        cr_assert_eq(status, 200);
        cr_assert_geq(
            num(cJSON_GetObjectItemCaseSensitive(out, "metrics"), "latencyMs"),
            1500);
        cJSON_Delete(out);
    }
    cr_assert_eq(bedrock_fault_set(srv, "none", 0, 0), 0);
    cJSON *out = converse(AUTH_SYSTEM, "Name: Pikachu ex", &status);
    cr_assert_lt(
        num(cJSON_GetObjectItemCaseSensitive(out, "metrics"), "latencyMs"),
        1500);
    cJSON_Delete(out);
}

static cJSON *faults_call(const char *method, const char *body, int *status)
{
    http_request req = {
        .method = method,
        .path = "/_stratus/bedrock/faults",
        .query = "",
        .body = body ? body : "",
        .body_len = body ? strlen(body) : 0,
        .remote_addr = "127.0.0.1",
    };
    http_response resp;
    http_response_init(&resp);
    cr_assert_eq(bedrock_faults_handle(srv, &req, &resp), 1);
    *status = resp.status;
    cJSON *out = cJSON_ParseWithLength(resp.body, resp.body_len);
    http_response_cleanup(&resp);
    return out;
}

Test(bedrock_api, fault_endpoint)
{
    int status;
    cJSON *out = faults_call(
        "POST", "{\"kind\":\"throttling\",\"count\":3,\"latencyMs\":20}",
        &status);
    cr_assert_eq(status, 200);
    cr_assert_str_eq(str(out, "kind"), "throttling");
    cr_assert_eq(num(out, "count"), 3);
    cJSON_Delete(out);

    cJSON *call = converse(VALUATION_SYSTEM, "Name: Pikachu ex", &status);
    cr_assert_eq(status, 429);
    cJSON_Delete(call);
    out = faults_call("GET", NULL, &status);
    cr_assert_eq(num(out, "count"), 2);
    cJSON_Delete(out);

    out = faults_call("DELETE", NULL, &status);
    cr_assert_eq(status, 200);
    cr_assert_str_eq(str(out, "kind"), "none");
    cJSON_Delete(out);

    out = faults_call("POST", "{\"kind\":\"meteor\"}", &status);
    cr_assert_eq(status, 400);
    cJSON_Delete(out);
    out = faults_call("POST", "not json", &status);
    cr_assert_eq(status, 400);
    cJSON_Delete(out);
    out = faults_call("PUT", "{}", &status);
    cr_assert_eq(status, 405);
    cJSON_Delete(out);

    http_request other = {.method = "GET", .path = "/_stratus/health"};
    http_response resp;
    http_response_init(&resp);
    cr_assert_eq(bedrock_faults_handle(srv, &other, &resp), 0);
    http_response_cleanup(&resp);
}

/* A rules file of the test's own: model keywords, literal text,
 * stopReason, and the built-in answer when the file is missing. */
Test(bedrock_api, custom_rules_file)
{
    char dir[] = "/tmp/stratus-bedrock-XXXXXX";
    char path[128];
    int status;
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/bedrock", dir);
    cr_assert_eq(mkdir(path, 0700), 0);
    snprintf(path, sizeof path, "%s/bedrock/rules.json", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs("{\"rules\":[{\"name\":\"nova\",\"model\":[\"nova\"],\"text\":"
          "\"from nova\",\"stopReason\":\"stop_sequence\"}],"
          "\"default\":{\"text\":\"fallback\"}}",
          f);
    fclose(f);
    setenv("STRATUS_FIXTURES_DIR", dir, 1);

    cJSON *out = ts_rest_call(
        srv, "POST", "/model/amazon.nova-pro-v1%3A0/converse", "bedrock",
        "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"a\"}]}]}",
        &status, NULL);
    cr_assert_eq(status, 200);
    cr_assert_str_eq(answer_text(out), "from nova");
    cr_assert_str_eq(str(out, "stopReason"), "stop_sequence");
    cJSON_Delete(out);
    out = converse("x", "y", &status);
    cr_assert_str_eq(answer_text(out), "fallback");
    cJSON_Delete(out);

    unlink(path);
    out = converse("x", "y", &status);
    cr_assert_eq(status, 200);
    cr_assert_not_null(strstr(answer_text(out), "no Bedrock rules file"));
    cJSON_Delete(out);
    snprintf(path, sizeof path, "%s/bedrock", dir);
    rmdir(path);
    rmdir(dir);
}

Test(bedrock_api, other_operations_not_implemented)
{
    int status;
    cJSON *out = ts_rest_call(srv, "POST", "/model/anthropic.claude-v2/invoke",
                              "bedrock", "{}", &status, NULL);
    cr_assert_eq(status, 400);
    cJSON_Delete(out);
}
