/*
 * evb_target.h: the registry through which EventBridge delivers to its
 * targets, keyed by the service of the target's ARN ("sqs", "states",
 * "lambda", "events"), so that EventBridge depends on none of them.
 *
 * A service registers its delivery function from its own init. EventBridge
 * renders the target input, calls the function from a delivery job, and
 * applies the target's RetryPolicy and DeadLetterConfig to its result.
 */
#ifndef STRATUS_EVB_TARGET_H
#define STRATUS_EVB_TARGET_H

#include <stddef.h>

#include <cjson/cJSON.h>

struct stratus;

/* What became of one delivery attempt. */
typedef enum evb_delivery_status {
    EVB_DELIVERY_OK = 0,
    /* Throttling or a server error: retried within the RetryPolicy. */
    EVB_DELIVERY_RETRY,
    /* A client error (missing resource, no permission, invalid input):
     * not retried, sent to the dead-letter queue at once. */
    EVB_DELIVERY_FAILED
} evb_delivery_status;

/* One delivery to one target. Every member is borrowed for the call. */
typedef struct evb_delivery {
    const char *account; /* of the rule */
    const char *region;
    const char *target_arn;
    const cJSON *target; /* the target as PutTargets stored it */
    const char *input;   /* the rendered input, NUL-terminated */
    size_t input_len;
    const cJSON *event; /* the matched event */
    const char *rule_arn;
    const char *event_id;
    /* SQS MessageAttributes to send with the input (dead-letter records),
     * or NULL. */
    const cJSON *message_attributes;
} evb_delivery;

/* Why an attempt failed, in the terms of a dead-letter record. */
typedef struct evb_delivery_error {
    char code[64]; /* ERROR_CODE: "RESOURCE_NOT_FOUND", "NO_PERMISSIONS",
                      "SDK_CLIENT_ERROR", "THROTTLING" */
    char message[512];
} evb_delivery_error;

/*
 * A delivery function. Runs inside the delivery job's store call, so its
 * writes commit with the job. Returns the status and, unless it is
 * EVB_DELIVERY_OK, fills `err`.
 */
typedef evb_delivery_status (*evb_deliver_fn)(struct stratus *srv,
                                              const evb_delivery *delivery,
                                              evb_delivery_error *err);

/*
 * Register `fn` for target ARNs of `service` (a static string such as
 * "sqs"), replacing an earlier one. May be called before EventBridge's own
 * init. Returns 0, or -1 when the registry is full.
 */
int evb_target_register(struct stratus *srv, const char *service,
                        evb_deliver_fn fn);

/* The delivery function of `service`, or NULL when none is registered. */
evb_deliver_fn evb_target_find(struct stratus *srv, const char *service);

/* Copy the service field of an ARN ("arn:aws:<service>:...") into `out`.
 * Returns 0, or -1 when `arn` is not an ARN. */
int evb_arn_service(const char *arn, char *out, size_t size);

#endif
