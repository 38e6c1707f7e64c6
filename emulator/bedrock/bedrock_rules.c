/*
 * bedrock_rules.c: choosing Converse's canned response from
 * fixtures/bedrock/rules.json.
 *
 * The file holds {"rules": [...], "default": {...}}. A rule has a "name",
 * optional keyword lists "model", "system" and "user" (every keyword must
 * occur, ignoring ASCII case), and the answer: "text" (used as it is) or
 * "json" (any JSON value, printed; "fence": true wraps it in a ```json
 * block, as models often do), with optional "stopReason" and "latencyMs".
 * Keywords are plain substrings, not regular expressions.
 */
#include "bedrock_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixtures.h"
#include "log.h"
#include "util.h"

#define BEDROCK_RULES_FILE "bedrock/rules.json"

int bedrock__contains(const char *haystack, const char *needle)
{
    size_t n = strlen(needle);
    if (n == 0)
        return 1;
    for (const char *p = haystack; *p; p++) {
        size_t i = 0;
        while (i < n && p[i] &&
               tolower((unsigned char)p[i]) ==
                   tolower((unsigned char)needle[i]))
            i++;
        if (i == n)
            return 1;
    }
    return 0;
}

/* Whether every string of the keyword list `keywords` occurs in `text`.
 * An absent list matches; a list with a non-string entry does not. */
static int bedrock_keywords_match(const cJSON *keywords, const char *text)
{
    if (!keywords)
        return 1;
    if (cJSON_IsString(keywords))
        return bedrock__contains(text, keywords->valuestring);
    if (!cJSON_IsArray(keywords))
        return 0;
    const cJSON *k;
    cJSON_ArrayForEach(k, keywords)
    {
        if (!cJSON_IsString(k) || !bedrock__contains(text, k->valuestring))
            return 0;
    }
    return 1;
}

/* Fill `out` from a rule or default object. */
static void bedrock_answer_from(const cJSON *rule, const char *name,
                                bedrock_answer *out)
{
    const cJSON *text = cJSON_GetObjectItemCaseSensitive(rule, "text");
    const cJSON *json = cJSON_GetObjectItemCaseSensitive(rule, "json");
    const cJSON *fence = cJSON_GetObjectItemCaseSensitive(rule, "fence");
    const cJSON *stop = cJSON_GetObjectItemCaseSensitive(rule, "stopReason");
    const cJSON *latency = cJSON_GetObjectItemCaseSensitive(rule, "latencyMs");

    snprintf(out->rule, sizeof out->rule, "%s", name);
    snprintf(out->stop_reason, sizeof out->stop_reason, "%s",
             cJSON_IsString(stop) ? stop->valuestring : "end_turn");
    out->latency_ms = cJSON_IsNumber(latency) && latency->valuedouble > 0
                          ? (int)latency->valuedouble
                          : 0;
    if (cJSON_IsString(text)) {
        out->text = xstrdup(text->valuestring);
    } else if (json) {
        char *printed = cJSON_Print(json);
        if (cJSON_IsTrue(fence)) {
            strbuf b;
            strbuf_init(&b);
            strbuf_printf(&b, "```json\n%s\n```", printed);
            out->text = strbuf_take(&b, NULL);
            free(printed);
        } else {
            out->text = printed;
        }
    } else {
        out->text = xstrdup("");
    }
}

void bedrock__rules_answer(const char *request_id, const char *model_id,
                           const char *system_text, const char *user_text,
                           bedrock_answer *out)
{
    char errbuf[512];
    cJSON *doc =
        fixtures_load_json(BEDROCK_RULES_FILE, NULL, errbuf, sizeof errbuf);

    memset(out, 0, sizeof *out);
    if (!cJSON_IsObject(doc)) {
        if (doc)
            snprintf(errbuf, sizeof errbuf, "%s/%s is not a JSON object",
                     fixtures_dir(), BEDROCK_RULES_FILE);
        log_at(LOG_WARN, "bedrock", request_id,
               "%s; answering with the built-in default", errbuf);
        cJSON_Delete(doc);
        snprintf(out->rule, sizeof out->rule, "built-in");
        snprintf(out->stop_reason, sizeof out->stop_reason, "end_turn");
        out->text = xstrdup("Stratus has no Bedrock rules file, so it "
                            "cannot answer this prompt.");
        return;
    }

    const cJSON *rules = cJSON_GetObjectItemCaseSensitive(doc, "rules");
    const cJSON *rule;
    cJSON_ArrayForEach(rule, rules)
    {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(rule, "name");
        if (!cJSON_IsObject(rule))
            continue;
        if (bedrock_keywords_match(
                cJSON_GetObjectItemCaseSensitive(rule, "model"), model_id) &&
            bedrock_keywords_match(
                cJSON_GetObjectItemCaseSensitive(rule, "system"),
                system_text) &&
            bedrock_keywords_match(
                cJSON_GetObjectItemCaseSensitive(rule, "user"), user_text)) {
            bedrock_answer_from(
                rule, cJSON_IsString(name) ? name->valuestring : "(unnamed)",
                out);
            cJSON_Delete(doc);
            return;
        }
    }
    bedrock_answer_from(cJSON_GetObjectItemCaseSensitive(doc, "default"),
                        "default", out);
    cJSON_Delete(doc);
}
