/*
 * bedrock.c: the Bedrock Runtime stand-in: its operation table and
 * Converse.
 *
 * Converse checks the request as Bedrock does (model id, roles, blank
 * text, inference parameters), picks a canned response by the rules in
 * fixtures/bedrock/rules.json (bedrock_rules.c) and returns it in Converse's
 * response shape, with token counts estimated at four bytes a token.
 * Injected faults (bedrock_faults.c) replace the answer with an error, and
 * their latency holds the response on a libuv timer while the connection
 * waits.
 *
 * Not modelled: images, documents, tools, guardrails and the streaming
 * operations; the model id is checked for its form only.
 */
#include "bedrock_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"

/* Maximum length of a model id or ARN that Bedrock accepts, in bytes. */
#define BEDROCK_MAX_MODEL_ID 2048

bedrock_state *bedrock__state(stratus *srv)
{
    return stratus_service_state(srv, &bedrock_service);
}

/* A response held back by a fault's latency. */
typedef struct bedrock_delayed {
    uv_timer_t timer;
    http_pending *pending;
    http_response resp;
} bedrock_delayed;

static void bedrock_delayed_free(uv_handle_t *h)
{
    bedrock_delayed *d = h->data;
    http_response_cleanup(&d->resp);
    free(d);
}

static void bedrock_delayed_fire(uv_timer_t *t)
{
    bedrock_delayed *d = t->data;
    http_pending_complete(d->pending, &d->resp);
    uv_close((uv_handle_t *)&d->timer, bedrock_delayed_free);
}

/* The client went away (or the listener stopped) before the timer fired. */
static void bedrock_delayed_abort(void *arg)
{
    bedrock_delayed *d = arg;
    uv_timer_stop(&d->timer);
    uv_close((uv_handle_t *)&d->timer, bedrock_delayed_free);
}

/*
 * Send `body` (success) or `err` (when body is NULL) after `latency_ms`.
 * Returns 1 when the response was deferred (the body tree is consumed),
 * 0 when this request cannot be held (an in-process call), so the caller
 * responds at once.
 */
static int bedrock_defer(aws_request *req, cJSON *body, const aws_error *err,
                         int latency_ms)
{
    bedrock_delayed *d = xcalloc(1, sizeof *d);
    http_response_init(&d->resp);
    d->pending = http_request_defer(req->http, bedrock_delayed_abort, d);
    if (!d->pending) {
        free(d);
        return 0;
    }
    http_response_header(&d->resp, "x-amzn-RequestId", req->request_id);
    if (body) {
        char *text = cJSON_PrintUnformatted(body);
        cJSON_Delete(body);
        d->resp.status = 200;
        http_response_header(&d->resp, "Content-Type", "application/json");
        http_response_take_body(&d->resp, text, strlen(text));
    } else {
        aws_error_render(&bedrock_service, err, req->request_id, &d->resp);
    }
    uv_timer_init(&req->srv->loop, &d->timer);
    d->timer.data = d;
    /* The loop's clock was read when this turn began; without the update
     * the response would leave early by however long the turn has run. */
    uv_update_time(&req->srv->loop);
    uv_timer_start(&d->timer, bedrock_delayed_fire, (uint64_t)latency_ms, 0);
    req->deferred = 1;
    return 1;
}

/* ---- request checks ---- */

/* A foundation model id ("anthropic.claude-...:0", with an optional
 * region prefix) or a Bedrock ARN. */
static int bedrock_model_id_valid(const char *id)
{
    size_t len = strlen(id);
    if (len == 0 || len > BEDROCK_MAX_MODEL_ID)
        return 0;
    if (strncmp(id, "arn:aws:bedrock:", 16) == 0)
        return 1;
    if (!strchr(id, '.'))
        return 0;
    for (const char *p = id; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr(".:-_", *p))
            return 0;
    return 1;
}

/* Check the inference parameters against their documented ranges. */
static int bedrock_check_inference(const cJSON *config, aws_error *err)
{
    const cJSON *max = cJSON_GetObjectItemCaseSensitive(config, "maxTokens");
    const cJSON *temp = cJSON_GetObjectItemCaseSensitive(config, "temperature");
    const cJSON *top_p = cJSON_GetObjectItemCaseSensitive(config, "topP");

    if (config && !cJSON_IsObject(config))
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "inferenceConfig must be an object");
    if (max && (!cJSON_IsNumber(max) || max->valuedouble < 1))
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "1 validation error detected: Value '%g' at "
                        "'inferenceConfig.maxTokens' failed to satisfy "
                        "constraint: Member must have value greater than or "
                        "equal to 1",
                        cJSON_IsNumber(max) ? max->valuedouble : 0.0);
    const cJSON *ranged[] = {temp, top_p};
    const char *names[] = {"temperature", "topP"};
    for (size_t i = 0; i < 2; i++) {
        const cJSON *v = ranged[i];
        if (!v)
            continue;
        if (!cJSON_IsNumber(v))
            return aws_fail(err, AWS_ERR_VALIDATION,
                            "inferenceConfig.%s must be a number", names[i]);
        if (v->valuedouble < 0 || v->valuedouble > 1)
            return aws_fail(err, AWS_ERR_VALIDATION,
                            "1 validation error detected: Value '%g' at "
                            "'inferenceConfig.%s' failed to satisfy "
                            "constraint: Member must have value %s",
                            v->valuedouble, names[i],
                            v->valuedouble < 0 ? "greater than or equal to 0"
                                               : "less than or equal to 1");
    }
    return 0;
}

/* Whether `s` is empty or only whitespace. */
static int bedrock_blank(const char *s)
{
    while (*s && isspace((unsigned char)*s))
        s++;
    return *s == '\0';
}

/*
 * Check the messages and collect the text of the user's turns into `user`
 * and of every turn into `all` (for the input token estimate).
 */
static int bedrock_check_messages(const cJSON *messages, strbuf *user,
                                  strbuf *all, aws_error *err)
{
    static const char start_msg[] =
        "A conversation must start with a user message. Try again with a "
        "conversation that starts with a user message.";
    static const char alternate_msg[] =
        "A conversation must alternate between user and assistant roles. "
        "Make sure the conversation alternates between user and assistant "
        "roles and try again.";
    const char *previous = NULL;
    int index = 0;

    if (!cJSON_IsArray(messages) || cJSON_GetArraySize(messages) == 0)
        return aws_fail(err, AWS_ERR_VALIDATION, "%s", start_msg);
    const cJSON *message;
    cJSON_ArrayForEach(message, messages)
    {
        const cJSON *role = cJSON_GetObjectItemCaseSensitive(message, "role");
        const cJSON *content =
            cJSON_GetObjectItemCaseSensitive(message, "content");
        if (!cJSON_IsString(role) ||
            (strcmp(role->valuestring, "user") != 0 &&
             strcmp(role->valuestring, "assistant") != 0))
            return aws_fail(err, AWS_ERR_VALIDATION,
                            "1 validation error detected: Value '%s' at "
                            "'messages.%d.member.role' failed to satisfy "
                            "constraint: Member must satisfy enum value set: "
                            "[user, assistant]",
                            cJSON_IsString(role) ? role->valuestring : "null",
                            index + 1);
        if (!previous && strcmp(role->valuestring, "user") != 0)
            return aws_fail(err, AWS_ERR_VALIDATION, "%s", start_msg);
        if (previous && strcmp(previous, role->valuestring) == 0)
            return aws_fail(err, AWS_ERR_VALIDATION, "%s", alternate_msg);
        if (!cJSON_IsArray(content))
            return aws_fail(err, AWS_ERR_VALIDATION,
                            "1 validation error detected: Value null at "
                            "'messages.%d.member.content' failed to satisfy "
                            "constraint: Member must not be null",
                            index + 1);
        int block_index = 0;
        const cJSON *block;
        cJSON_ArrayForEach(block, content)
        {
            const cJSON *text = cJSON_GetObjectItemCaseSensitive(block, "text");
            if (text &&
                (!cJSON_IsString(text) || bedrock_blank(text->valuestring)))
                return aws_fail(err, AWS_ERR_VALIDATION,
                                "The text field in the ContentBlock object at "
                                "messages.%d.content.%d is blank. Add text to "
                                "the text field, and try again.",
                                index, block_index);
            if (text) {
                if (strcmp(role->valuestring, "user") == 0) {
                    strbuf_puts(user, text->valuestring);
                    strbuf_puts(user, "\n");
                }
                strbuf_puts(all, text->valuestring);
            }
            block_index++;
        }
        previous = role->valuestring;
        index++;
    }
    return 0;
}

/* Collect the system prompt's text blocks into `system`. */
static int bedrock_check_system(const cJSON *blocks, strbuf *system,
                                aws_error *err)
{
    int index = 0;
    if (!blocks)
        return 0;
    if (!cJSON_IsArray(blocks))
        return aws_fail(err, AWS_ERR_VALIDATION, "system must be a list");
    const cJSON *block;
    cJSON_ArrayForEach(block, blocks)
    {
        const cJSON *text = cJSON_GetObjectItemCaseSensitive(block, "text");
        if (text && (!cJSON_IsString(text) || text->valuestring[0] == '\0'))
            return aws_fail(err, AWS_ERR_VALIDATION,
                            "1 validation error detected: Value '' at "
                            "'system.%d.member.text' failed to satisfy "
                            "constraint: Member must have length greater "
                            "than or equal to 1",
                            index + 1);
        if (text) {
            strbuf_puts(system, text->valuestring);
            strbuf_puts(system, "\n");
        }
        index++;
    }
    return 0;
}

/* ---- Converse ---- */

/* Tokens of `bytes` bytes of text: an estimate of four bytes a token. */
static int bedrock_tokens(size_t bytes)
{
    return (int)((bytes + 3) / 4);
}

/* Cut `text` to at most `max_bytes` bytes without splitting a UTF-8
 * sequence. */
static void bedrock_truncate(char *text, size_t max_bytes)
{
    size_t len = strlen(text);
    if (len <= max_bytes)
        return;
    while (max_bytes > 0 && ((unsigned char)text[max_bytes] & 0xC0) == 0x80)
        max_bytes--;
    text[max_bytes] = '\0';
}

static cJSON *bedrock_response(const bedrock_answer *answer, int input_tokens,
                               int output_tokens, int latency_ms)
{
    cJSON *out = cJSON_CreateObject();
    cJSON *message = cJSON_AddObjectToObject(
        cJSON_AddObjectToObject(out, "output"), "message");
    cJSON_AddStringToObject(message, "role", "assistant");
    cJSON *block = cJSON_CreateObject();
    cJSON_AddStringToObject(block, "text", answer->text);
    cJSON_AddItemToArray(cJSON_AddArrayToObject(message, "content"), block);
    cJSON_AddStringToObject(out, "stopReason", answer->stop_reason);
    cJSON *usage = cJSON_AddObjectToObject(out, "usage");
    cJSON_AddNumberToObject(usage, "inputTokens", input_tokens);
    cJSON_AddNumberToObject(usage, "outputTokens", output_tokens);
    cJSON_AddNumberToObject(usage, "totalTokens", input_tokens + output_tokens);
    cJSON_AddNumberToObject(cJSON_AddObjectToObject(out, "metrics"),
                            "latencyMs", latency_ms);
    return out;
}

static cJSON *bedrock_op_converse(aws_request *req, aws_error *err)
{
    const cJSON *model =
        cJSON_GetObjectItemCaseSensitive(req->params, "modelId");
    const cJSON *config =
        cJSON_GetObjectItemCaseSensitive(req->body, "inferenceConfig");
    const cJSON *max_tokens =
        cJSON_GetObjectItemCaseSensitive(config, "maxTokens");
    const char *model_id = cJSON_IsString(model) ? model->valuestring : "";
    strbuf system, user, all;
    bedrock_fault fault;
    bedrock_answer answer;
    cJSON *out = NULL;

    if (!bedrock_model_id_valid(model_id))
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "The provided model identifier is invalid."),
               NULL;
    strbuf_init(&system);
    strbuf_init(&user);
    strbuf_init(&all);
    if (bedrock_check_system(
            cJSON_GetObjectItemCaseSensitive(req->body, "system"), &system,
            err) != 0 ||
        bedrock_check_messages(
            cJSON_GetObjectItemCaseSensitive(req->body, "messages"), &user,
            &all, err) != 0 ||
        bedrock_check_inference(config, err) != 0)
        goto done;

    bedrock__fault_take(bedrock__state(req->srv), &fault);
    if (fault.count != 0 && fault.code != AWS_OK) {
        log_at(LOG_INFO, "bedrock", req->request_id,
               "Converse %s: injected fault %s after %d ms", model_id,
               fault.kind, fault.latency_ms);
        aws_fail(err, fault.code, "%s", bedrock__fault_message(fault.code));
        if (fault.latency_ms > 0 &&
            bedrock_defer(req, NULL, err, fault.latency_ms)) {
            aws_error_reset(err);
            out = cJSON_CreateObject();
        }
        goto done;
    }

    bedrock__rules_answer(req->request_id, model_id,
                          system.data ? system.data : "",
                          user.data ? user.data : "", &answer);
    int delay = fault.count != 0 ? fault.latency_ms : 0;
    int input_tokens = bedrock_tokens(system.len + all.len);
    int output_tokens = bedrock_tokens(strlen(answer.text));
    if (cJSON_IsNumber(max_tokens) && output_tokens > max_tokens->valueint) {
        bedrock_truncate(answer.text, (size_t)max_tokens->valueint * 4);
        output_tokens = max_tokens->valueint;
        snprintf(answer.stop_reason, sizeof answer.stop_reason, "max_tokens");
    }
    log_at(LOG_DEBUG, "bedrock", req->request_id,
           "Converse %s: rule %s, %d output tokens", model_id, answer.rule,
           output_tokens);
    out = bedrock_response(&answer, input_tokens, output_tokens,
                           answer.latency_ms + delay);
    free(answer.text);
    if (delay > 0 && bedrock_defer(req, out, NULL, delay))
        out = cJSON_CreateObject();

done:
    strbuf_free(&system);
    strbuf_free(&user);
    strbuf_free(&all);
    return out;
}

static int bedrock_init(stratus *srv, aws_error *err)
{
    bedrock_state *st = xcalloc(1, sizeof *st);
    st->srv = srv;
    snprintf(st->fault.kind, sizeof st->fault.kind, "none");
    srv->service_state[stratus_service_index(&bedrock_service)] = st;
    return 0;
}

static void bedrock_cleanup(stratus *srv)
{
    size_t index = stratus_service_index(&bedrock_service);
    free(srv->service_state[index]);
    srv->service_state[index] = NULL;
}

/* Every operation of the Bedrock Runtime API (2023-09-30), in name order. */
static const aws_operation bedrock_operations[] = {
    {"ApplyGuardrail", NULL, "POST",
     "/guardrail/{guardrailIdentifier}/version/{guardrailVersion}/apply"},
    {"Converse", bedrock_op_converse, "POST", "/model/{modelId}/converse"},
    {"ConverseStream", NULL, "POST", "/model/{modelId}/converse-stream"},
    {"CountTokens", NULL, "POST", "/model/{modelId}/count-tokens"},
    {"GetAsyncInvoke", NULL, "GET", "/async-invoke/{invocationArn}"},
    {"InvokeGuardrailChecks", NULL, "POST", "/guardrail-checks/invoke"},
    {"InvokeModel", NULL, "POST", "/model/{modelId}/invoke"},
    {"InvokeModelWithBidirectionalStream", NULL, "POST",
     "/model/{modelId}/invoke-with-bidirectional-stream"},
    {"InvokeModelWithResponseStream", NULL, "POST",
     "/model/{modelId}/invoke-with-response-stream"},
    {"ListAsyncInvokes", NULL, "GET", "/async-invoke"},
    {"StartAsyncInvoke", NULL, "POST", "/async-invoke"},
};

const aws_service bedrock_service = {
    .name = "bedrock-runtime",
    .signing_name = "bedrock",
    .error_prefix = "",
    .protocol = AWS_PROTO_REST_JSON,
    .operations = bedrock_operations,
    .operation_count = sizeof bedrock_operations / sizeof *bedrock_operations,
    .init = bedrock_init,
    .cleanup = bedrock_cleanup,
    .resource_arn = bedrock_resource_arn,
};
