/*
 * sfn_error.h: the error record of a failed Step Functions state, as an
 * execution history event carries it (error name plus cause text).
 *
 * These are execution failures, not API errors: they never become an HTTP
 * status, they end a state and may be caught by a Catch or fail the
 * execution. The data-flow library fills only the part of the cause that
 * describes the problem; the interpreter adds the state prefix with
 * sfn_failure_prefix_state().
 */
#ifndef STRATUS_SFN_ERROR_H
#define STRATUS_SFN_ERROR_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Maximum lengths of the Error and Cause members of an ExecutionFailed
 * event, from the Step Functions API reference (256 and 32768). */
#define SFN_ERROR_MAX 256
#define SFN_CAUSE_MAX 32768

/* Error names that the data-flow layer raises. */
#define SFN_ERR_RUNTIME "States.Runtime"
#define SFN_ERR_INTRINSIC_FAILURE "States.IntrinsicFailure"
#define SFN_ERR_RESULT_PATH_MATCH_FAILURE "States.ResultPathMatchFailure"
#define SFN_ERR_NO_CHOICE_MATCHED "States.NoChoiceMatched"

/* A failed state: the error name and its cause, both NUL-terminated and
 * truncated to the AWS limits. */
typedef struct sfn_failure {
    char error[SFN_ERROR_MAX + 1];
    char cause[SFN_CAUSE_MAX + 1];
} sfn_failure;

/* Fill `failure` (when not NULL) with `error` and a printf-style cause. */
static inline void sfn_failure_set(sfn_failure *failure, const char *error,
                                   const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static inline void sfn_failure_set(sfn_failure *failure, const char *error,
                                   const char *fmt, ...)
{
    if (!failure)
        return;
    snprintf(failure->error, sizeof failure->error, "%s", error);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(failure->cause, sizeof failure->cause, fmt, ap);
    va_end(ap);
}

/*
 * Prepend the text AWS puts before every States.Runtime cause raised while a
 * state runs: "An error occurred while executing the state 'NAME' (entered
 * at the event id #ID). ". The cause is truncated to SFN_CAUSE_MAX.
 */
static inline void sfn_failure_prefix_state(sfn_failure *failure,
                                            const char *state_name,
                                            long entered_event_id)
{
    char prefix[512];
    int n = snprintf(prefix, sizeof prefix,
                     "An error occurred while executing the state '%s' "
                     "(entered at the event id #%ld). ",
                     state_name, entered_event_id);
    if (n < 0)
        return;
    size_t plen = strlen(prefix);
    size_t clen = strlen(failure->cause);
    if (plen + clen > SFN_CAUSE_MAX)
        clen = SFN_CAUSE_MAX - plen;
    memmove(failure->cause + plen, failure->cause, clen);
    memcpy(failure->cause, prefix, plen);
    failure->cause[plen + clen] = '\0';
}

#endif
