/*
 * sfn_choice.h: the rules of a JSONPath Choice state.
 *
 * A rule is either a Boolean combination (And, Or, Not) or a data test,
 * which is a Variable path plus one comparison operator. The operators are
 * the String*, Numeric*, Boolean* and Timestamp* comparisons, each with a
 * *Path variant that reads the comparison value from the input. Then come
 * StringMatches (with `*` wildcards and `\*`, `\\` escapes), the type tests
 * IsNull, IsNumeric, IsString, IsBoolean, IsTimestamp, and IsPresent.
 *
 * A comparison whose Variable has the wrong type is false. A Variable path
 * that does not resolve raises States.Runtime, as AWS does, except under
 * IsPresent. The JSONata Condition field is not handled here.
 */
#ifndef STRATUS_SFN_CHOICE_H
#define STRATUS_SFN_CHOICE_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "sfn_error.h"

/*
 * Evaluate one rule (a member of Choices, or a nested rule) against the
 * state's effective input. Returns 1 when it matches, 0 when it does not,
 * or -1 with `failure` filled.
 */
int sfn_choice_rule_matches(const cJSON *rule, const cJSON *input,
                            const cJSON *context, sfn_failure *failure);

/*
 * The Next state of a Choice state: the Next of the first matching rule in
 * Choices, else Default. `input` is the effective input (after InputPath).
 * Returns a string borrowed from `state`, or NULL with `failure` filled
 * (States.NoChoiceMatched when nothing matches and no Default is set).
 */
const char *sfn_choice_next(const cJSON *state, const cJSON *input,
                            const cJSON *context, sfn_failure *failure);

/*
 * Parse an RFC 3339 timestamp as ASL requires it (uppercase T, and Z or a
 * numeric offset). Returns true with seconds since the epoch and the
 * nanoseconds; false when `text` is not such a timestamp.
 */
bool sfn_timestamp_parse(const char *text, long long *seconds, long *nanos);

#endif
