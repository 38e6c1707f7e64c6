/*
 * bedrock_internal.h: state and helpers shared by the files of the Bedrock
 * Runtime stand-in.
 */
#ifndef STRATUS_BEDROCK_INTERNAL_H
#define STRATUS_BEDROCK_INTERNAL_H

#include <cjson/cJSON.h>

#include "aws.h"
#include "bedrock.h"
#include "stratus.h"

/* The fault that the next Converse calls get (bedrock_fault_set). */
typedef struct bedrock_fault {
    char kind[16];  /* "none", "throttling", ... */
    aws_code code;  /* AWS_OK for "none" */
    int count;      /* calls left; negative: every call */
    int latency_ms; /* delay before each affected response */
} bedrock_fault;

typedef struct bedrock_state {
    stratus *srv;
    bedrock_fault fault;
} bedrock_state;

bedrock_state *bedrock__state(stratus *srv);

/*
 * Take the fault for one Converse call: copies the current fault into
 * `*out` and counts the call against it. `out->count` is 0 when no fault
 * applies.
 */
void bedrock__fault_take(bedrock_state *st, bedrock_fault *out);

/* The message text of an injected fault of `code`. */
const char *bedrock__fault_message(aws_code code);

/* A canned response chosen by the rules file. */
typedef struct bedrock_answer {
    char *text;           /* the assistant's text (malloc'ed) */
    char stop_reason[32]; /* "end_turn" unless the rule sets another */
    char rule[128];       /* the matching rule's name, or "default" */
    int latency_ms;       /* the rule's latencyMs, reported in metrics */
} bedrock_answer;

/*
 * Choose the response to a Converse call from fixtures/bedrock/rules.json:
 * the first rule whose keywords all occur (ASCII case-insensitively) in
 * the model id, the system prompt and the user text, else the file's
 * default. Fills `*out` (the caller frees out->text). A missing or invalid
 * rules file gives a built-in default response and a logged warning.
 */
void bedrock__rules_answer(const char *request_id, const char *model_id,
                           const char *system_text, const char *user_text,
                           bedrock_answer *out);

/* Whether `needle` occurs in `haystack`, ignoring ASCII case. */
int bedrock__contains(const char *haystack, const char *needle);

#endif
