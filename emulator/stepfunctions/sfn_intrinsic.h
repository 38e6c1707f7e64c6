/*
 * sfn_intrinsic.h: the ASL intrinsic functions (States.Format, States.Array,
 * States.Hash, ...) that a `.$` field of a payload template may call.
 *
 * An expression is one call whose arguments are string literals in single
 * quotes (with \' \{ \} \\ escapes), numbers, true, false, null, paths
 * (`$.a`, `$$.Execution.Id`) or nested calls, at most 10 calls deep.
 *
 * Argument errors at run time are States.Runtime with AWS's cause "Invalid
 * arguments in States.NAME". A malformed expression, an unknown function or
 * a wrong argument count is States.IntrinsicFailure here.
 * AWS rejects those three at CreateStateMachine (InvalidDefinition), and so
 * does Stratus: sfn_validate.c calls sfn_intrinsic_validate(). The run-time
 * error here only backs that check up.
 */
#ifndef STRATUS_SFN_INTRINSIC_H
#define STRATUS_SFN_INTRINSIC_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "sfn_error.h"

/* True when `text` is an intrinsic call (it starts with "States."), so a
 * `.$` value is evaluated with sfn_intrinsic_eval() and not as a path. */
bool sfn_intrinsic_is_call(const char *text);

/* Check the syntax, function names and argument counts of `text`. Returns
 * true, or false with the reason in `err`. */
bool sfn_intrinsic_validate(const char *text, char *err, size_t err_len);

/*
 * Evaluate the intrinsic expression `text` against the state `input` and the
 * `context` object. `field` is the template key it came from (for example
 * "a.$"), quoted in the cause when a path argument is missing. Returns a new
 * tree the caller owns, or NULL with `failure` filled.
 */
cJSON *sfn_intrinsic_eval(const char *text, const cJSON *input,
                          const cJSON *context, const char *field,
                          sfn_failure *failure);

#endif
