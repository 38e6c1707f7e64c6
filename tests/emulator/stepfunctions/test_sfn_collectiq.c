/*
 * test_sfn_collectiq.c: a card-valuation machine shaped like the CollectIQ
 * pipeline's (lambda:invoke tasks with ResultSelector, a Retry on Lambda
 * service errors, Catch to fallbacks and an error handler, a Parallel of two
 * agents and an aggregator whose Parameters index the Parallel result). The
 * functions are stand-ins registered over the Lambda handler, so the data
 * flow is checked without running code.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "sfn_test_util.h"
#include "ts.h"

/* R1: the retrier every agent uses, with its MaxAttempts. */
#define R1(attempts)                                                           \
    "\"Retry\":[{\"ErrorEquals\":[\"Lambda.ServiceException\","                \
    "\"Lambda.AWSLambdaException\",\"Lambda.SdkClientException\","             \
    "\"Lambda.TooManyRequestsException\"],\"IntervalSeconds\":2,"              \
    "\"BackoffRate\":2.0,\"MaxAttempts\":" #attempts "}]"
#define SELECT_PAYLOAD "\"ResultSelector\":{\"Payload.$\":\"$.Payload\"}"
#define INVOKE                                                                 \
    "\"Type\":\"Task\",\"Resource\":\"arn:aws:states:::lambda:invoke\""
#define IDS                                                                    \
    "\"userId.$\":\"$.userId\",\"cardId.$\":\"$.cardId\","                     \
    "\"requestId.$\":\"$.requestId\""
#define CARD_META                                                              \
    "\"name.$\":\"$.ocrMetadata.Payload.cardMetadata.name.value\","            \
    "\"set.$\":\"$.ocrMetadata.Payload.cardMetadata.set.value\","              \
    "\"rarity.$\":\"$.ocrMetadata.Payload.cardMetadata.rarity.value\""

static const char machine[] =
    "{\"StartAt\":\"RekognitionExtract\",\"States\":{"
    "\"RekognitionExtract\":{" INVOKE ",\"Parameters\":{\"FunctionName\":"
    "\"rekognition\",\"Payload\":{" IDS
    ",\"s3Keys.$\":\"$.s3Keys\"}}," SELECT_PAYLOAD
    ",\"ResultPath\":\"$.featureEnvelope\"," R1(
        3) ","
           "\"Catch\":[{\"ErrorEquals\":[\"States.ALL\"],\"ResultPath\":\"$."
           "error\","
           "\"Next\":\"ErrorHandler\"}],\"Next\":\"OcrReasoningAgent\"},"
           "\"OcrReasoningAgent\":{" INVOKE ",\"Parameters\":{\"FunctionName\":"
           "\"ocr\",\"Payload\":{" IDS ",\"features.$\":"
           "\"$.featureEnvelope.Payload.features\"}}," SELECT_PAYLOAD
           ",\"ResultPath\":\"$.ocrMetadata\"," R1(
               2) ","
                  "\"Catch\":[{\"ErrorEquals\":[\"States.ALL\"],\"ResultPath\":"
                  "\"$.ocrError\",\"Next\":\"OcrFallback\"}],\"Next\":"
                  "\"ParallelAgents\"},"
                  "\"OcrFallback\":{\"Type\":\"Pass\",\"Result\":{"
                  "\"cardMetadata\":{"
                  "\"name\":{\"value\":null,\"confidence\":0.0,\"rationale\":"
                  "\"OCR "
                  "failed\"},\"verifiedByAI\":false}},\"ResultPath\":"
                  "\"$.ocrMetadata.Payload\",\"Next\":\"ParallelAgents\"},"
                  "\"ParallelAgents\":{\"Type\":\"Parallel\",\"Branches\":["
                  "{\"StartAt\":\"PricingAgent\",\"States\":{\"PricingAgent\":"
                  "{" INVOKE ",\"Parameters\":{\"FunctionName\":\"pricing\","
                  "\"Payload\":{" IDS ",\"cardMeta\":{" CARD_META
                  ",\"number.$\":"
                  "\"$.ocrMetadata.Payload.cardMetadata.collectorNumber."
                  "value\"}}}," SELECT_PAYLOAD
                  ",\"ResultPath\":\"$.pricingResult\"," R1(
                      3) ","
                         "\"Catch\":[{\"ErrorEquals\":[\"States.ALL\"],"
                         "\"ResultPath\":"
                         "\"$.pricingError\",\"Next\":\"PricingFallback\"}],"
                         "\"End\":true},"
                         "\"PricingFallback\":{\"Type\":\"Pass\",\"Result\":{"
                         "\"status\":"
                         "\"error\"},\"ResultPath\":\"$.pricingResult."
                         "Payload\",\"End\":true}}},"
                         "{\"StartAt\":\"AuthenticityAgent\",\"States\":{"
                         "\"AuthenticityAgent\":{" INVOKE
                         ",\"Parameters\":{\"FunctionName\":\"authenticity\","
                         "\"Payload\":{" IDS ",\"cardMeta\":{" CARD_META
                         ",\"frontS3Key.$\":\"$.s3Keys.front\"}}}"
                         "," SELECT_PAYLOAD
                         ",\"ResultPath\":\"$.authenticityResult\"," R1(
                             3) ","
                                "\"Catch\":[{\"ErrorEquals\":[\"States.ALL\"],"
                                "\"ResultPath\":"
                                "\"$.authenticityError\",\"Next\":"
                                "\"AuthenticityFallback\"}],"
                                "\"End\":true},\"AuthenticityFallback\":{"
                                "\"Type\":\"Pass\",\"Result\":{"
                                "\"status\":\"error\"},\"ResultPath\":\"$."
                                "authenticityResult.Payload\","
                                "\"End\":true}}}],\"ResultPath\":\"$."
                                "parallelResults\","
                                "\"Catch\":[{\"ErrorEquals\":[\"States.ALL\"],"
                                "\"ResultPath\":\"$.error\","
                                "\"Next\":\"ErrorHandler\"}],\"Next\":"
                                "\"Aggregator\"},"
                                "\"Aggregator\":{" INVOKE
                                ",\"Parameters\":{\"FunctionName\":"
                                "\"aggregator\",\"Payload\":{" IDS
                                ",\"agentResults\":[{"
                                "\"pricingResult.$\":"
                                "\"$.parallelResults[0].pricingResult.Payload."
                                "pricingResult\"},{"
                                "\"authenticityResult.$\":"
                                "\"$.parallelResults[1].authenticityResult."
                                "Payload.authenticityResult\""
                                "}],\"skipCardFetch\":true}}," SELECT_PAYLOAD
                                ",\"ResultPath\":\"$.aggregatorResult\"," R1(
                                    3) ","
                                       "\"Catch\":[{\"ErrorEquals\":[\"States."
                                       "ALL\"],\"ResultPath\":\"$.error\","
                                       "\"Next\":\"ErrorHandler\"}],\"End\":"
                                       "true},"
                                       "\"ErrorHandler\":{" INVOKE
                                       ",\"Parameters\":{\"FunctionName\":"
                                       "\"errorhandler\",\"Payload\":{\"userId."
                                       "$\":\"$.userId\","
                                       "\"error.$\":\"$.error\",\"executionArn."
                                       "$\":\"$$.Execution.Id\","
                                       "\"stateMachineName.$\":\"$$."
                                       "StateMachine.Name\"}},"
                                       "\"ResultPath\":\"$."
                                       "errorHandlerResult\",\"End\":true}}}";

static const char good_input[] =
    "{\"userId\":\"u1\",\"cardId\":\"c1\",\"requestId\":\"r1\","
    "\"s3Keys\":{\"front\":\"f.jpg\"}}";

/* Faults the stand-in functions raise. */
static int throttles_left;
static bool ocr_throws, aggregator_throws;

static cJSON *envelope(cJSON *payload)
{
    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "ExecutedVersion", "$LATEST");
    cJSON_AddItemToObject(out, "Payload", payload);
    cJSON_AddNumberToObject(out, "StatusCode", 200);
    return out;
}

static void stand_in(stratus *srv, const sfn_task_request *req,
                     sfn_task_done done, void *done_arg)
{
    const char *fn = sfn_test_str(req->parameters, "FunctionName");
    const cJSON *event =
        cJSON_GetObjectItemCaseSensitive(req->parameters, "Payload");
    cJSON *payload = NULL;
    sfn_test_calls++;
    if (strcmp(fn, "rekognition") == 0) {
        if (throttles_left > 0) {
            throttles_left--;
            done(srv, done_arg, NULL, "Lambda.TooManyRequestsException",
                 "Rate exceeded");
            return;
        }
        payload = cJSON_Parse("{\"features\":{\"ocr\":[\"Pikachu\"]}}");
    } else if (strcmp(fn, "ocr") == 0) {
        if (ocr_throws) {
            done(srv, done_arg, NULL, "Error",
                 "{\"errorType\":\"Error\",\"errorMessage\":\"model down\"}");
            return;
        }
        payload = cJSON_Parse(
            "{\"cardMetadata\":{\"name\":{\"value\":\"Pikachu\"},\"set\":{"
            "\"value\":\"Base\"},\"rarity\":{\"value\":\"Rare\"},"
            "\"collectorNumber\":{\"value\":\"58\"}}}");
    } else if (strcmp(fn, "pricing") == 0) {
        payload = cJSON_Parse("{\"pricingResult\":{\"valueMedian\":10}}");
    } else if (strcmp(fn, "authenticity") == 0) {
        payload = cJSON_Parse("{\"authenticityResult\":{\"score\":0.9}}");
    } else if (strcmp(fn, "aggregator") == 0) {
        if (aggregator_throws) {
            done(srv, done_arg, NULL, "TypeError",
                 "{\"errorType\":\"TypeError\",\"errorMessage\":\"x\"}");
            return;
        }
        payload = cJSON_CreateObject();
        cJSON_AddItemToObject(payload, "received",
                              cJSON_Duplicate(event, true));
    } else {
        payload = cJSON_CreateObject();
        cJSON_AddItemToObject(payload, "handled", cJSON_Duplicate(event, true));
    }
    cJSON *out = envelope(payload);
    done(srv, done_arg, out, NULL, NULL);
    cJSON_Delete(out);
}

static stratus *new_pipeline(char arn[256])
{
    stratus *srv = sfn_test_new();
    throttles_left = 0;
    ocr_throws = false;
    aggregator_throws = false;
    sfn_task_register(srv, "arn:aws:states:::lambda:invoke", stand_in);
    sfn_create(srv, "collectiq-card-valuation", "STANDARD", machine, arn);
    return srv;
}

static cJSON *output_of(const cJSON *desc)
{
    cJSON *out = cJSON_Parse(sfn_test_str(desc, "output"));
    cr_assert_not_null(out);
    return out;
}

/* The value at a reference path of `root`, or NULL. It stays valid until
 * the next call; at(NULL, "$") frees the last one. */
static const cJSON *at(const cJSON *root, const char *path)
{
    cJSON *value = NULL;
    sfn_path_query(path, SFN_PATH_REFERENCE, root, NULL, &value, NULL, 0);
    static cJSON *last;
    cJSON_Delete(last);
    last = value;
    return value;
}

Test(sfn_collectiq, happy_path_grows_state)
{
    char arn[256], exec[512];
    stratus *srv = new_pipeline(arn);
    sfn_start(srv, arn, "c1-run", good_input, exec);
    sfn_drain(srv);
    cJSON *d = sfn_describe(srv, exec);
    cr_assert_str_eq(sfn_test_str(d, "status"), "SUCCEEDED", "%s %s",
                     sfn_test_str(d, "error"), sfn_test_str(d, "cause"));
    cJSON *out = output_of(d);
    cr_assert_not_null(at(out, "$.featureEnvelope.Payload.features"));
    cr_assert_str_eq(
        at(out, "$.ocrMetadata.Payload.cardMetadata.name.value")->valuestring,
        "Pikachu");
    cr_assert_eq(cJSON_GetArraySize(at(out, "$.parallelResults")), 2);
    cr_assert_not_null(at(out, "$.parallelResults[0].pricingResult.Payload"));
    cr_assert_not_null(
        at(out, "$.parallelResults[1].authenticityResult.Payload"));
    cr_assert_eq(at(out, "$.aggregatorResult.Payload.received.agentResults[0]"
                         ".pricingResult.valueMedian")
                     ->valuedouble,
                 10);
    cr_assert(cJSON_IsTrue(
        at(out, "$.aggregatorResult.Payload.received.skipCardFetch")));
    cr_assert_null(at(out, "$.error"));
    cJSON_Delete(out);
    cJSON_Delete(d);
    at(NULL, "$");
    ts_free(srv);
}

Test(sfn_collectiq, throttle_retried_after_two_and_four_seconds)
{
    char arn[256], exec[512];
    stratus *srv = new_pipeline(arn);
    throttles_left = 2;
    sfn_start(srv, arn, "c1-throttled", good_input, exec);
    sfn_drain(srv);
    cr_assert_eq(sfn_test_calls, 1);
    sfn_advance(srv, 2000);
    cr_assert_eq(sfn_test_calls, 2);
    sfn_advance(srv, 3999);
    cr_assert_eq(sfn_test_calls, 2);
    sfn_advance(srv, 1);
    cJSON *d = sfn_describe(srv, exec);
    cr_assert_str_eq(sfn_test_str(d, "status"), "SUCCEEDED");
    cJSON_Delete(d);
    ts_free(srv);
}

Test(sfn_collectiq, missing_s3_keys_is_fatal)
{
    char arn[256], exec[512];
    stratus *srv = new_pipeline(arn);
    sfn_start(srv, arn, "old-schema",
              "{\"userId\":\"u1\",\"cardId\":\"c1\",\"requestId\":\"r1\"}",
              exec);
    sfn_drain(srv);
    cJSON *d = sfn_describe(srv, exec);
    cr_assert_str_eq(sfn_test_str(d, "status"), "FAILED");
    cr_assert_str_eq(sfn_test_str(d, "error"), "States.Runtime");
    cr_assert_str_eq(sfn_test_str(d, "cause"),
                     "An error occurred while executing the state "
                     "'RekognitionExtract' (entered at the event id #2). The "
                     "JSONPath '$.s3Keys' specified for the field 's3Keys.$' "
                     "could not be found in the input '{\"userId\":\"u1\","
                     "\"cardId\":\"c1\",\"requestId\":\"r1\"}'");
    cr_assert_eq(sfn_test_calls, 0);
    cJSON_Delete(d);
    ts_free(srv);
}

Test(sfn_collectiq, ocr_fallback_fails_in_branches)
{
    char arn[256], exec[512];
    stratus *srv = new_pipeline(arn);
    ocr_throws = true;
    sfn_start(srv, arn, "ocr-down", good_input, exec);
    sfn_drain(srv);
    cJSON *d = sfn_describe(srv, exec);
    /* A function error is not in R1, so the OCR agent runs once and the
     * fallback lacks set.value, which the branches' Parameters read. */
    cr_assert_str_eq(sfn_test_str(d, "status"), "FAILED");
    cr_assert_str_eq(sfn_test_str(d, "error"), "States.Runtime");
    cr_assert(strstr(sfn_test_str(d, "cause"),
                     "The JSONPath '$.ocrMetadata.Payload.cardMetadata.set."
                     "value' specified for the field 'set.$' could not be "
                     "found") != NULL,
              "%s", sfn_test_str(d, "cause"));
    cr_assert_eq(sfn_test_calls, 2, "rekognition and ocr once each");
    cJSON_Delete(d);
    ts_free(srv);
}

Test(sfn_collectiq, aggregator_error_goes_to_handler)
{
    char arn[256], exec[512];
    stratus *srv = new_pipeline(arn);
    aggregator_throws = true;
    sfn_start(srv, arn, "agg-down", good_input, exec);
    sfn_drain(srv);
    cJSON *d = sfn_describe(srv, exec);
    cr_assert_str_eq(sfn_test_str(d, "status"), "SUCCEEDED");
    cJSON *out = output_of(d);
    cr_assert_str_eq(at(out, "$.error.Error")->valuestring, "TypeError");
    cr_assert_str_eq(
        at(out, "$.errorHandlerResult.Payload.handled.executionArn")
            ->valuestring,
        exec);
    cr_assert_str_eq(
        at(out, "$.errorHandlerResult.Payload.handled.stateMachineName")
            ->valuestring,
        "collectiq-card-valuation");
    cr_assert_eq(at(out, "$.errorHandlerResult.StatusCode")->valuedouble, 200);
    cJSON_Delete(out);
    cJSON_Delete(d);
    at(NULL, "$");
    ts_free(srv);
}
