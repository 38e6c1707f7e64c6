/*
 * bedrock.h: the Amazon Bedrock Runtime stand-in (REST-JSON, signing name
 * bedrock). Converse returns responses chosen by the rules in
 * fixtures/bedrock/rules.json;
 * the other operations are listed without a handler. Scenarios inject
 * faults (throttling, model errors, added latency) with bedrock_fault_set
 * or over HTTP at POST /_stratus/bedrock/faults.
 */
#ifndef STRATUS_BEDROCK_H
#define STRATUS_BEDROCK_H

#include "aws.h"
#include "http.h"

struct stratus;

extern const aws_service bedrock_service;

/* The IAM action and resources of a request signed with credentials
 * Stratus issued (the aws_service resource_arn hook; bedrock_iam.c). */
int bedrock_resource_arn(const aws_request *req, size_t index, char *action,
                         size_t action_size, char *arn, size_t arn_size);

/*
 * Make the next `count` Converse calls fail with the fault `kind`, each
 * after `latency_ms` milliseconds (0: at once). A negative `count` applies
 * the fault to every call until the next bedrock_fault_set. Kinds:
 *   "none"         respond normally (with `latency_ms` added)
 *   "throttling"   429 ThrottlingException
 *   "model-error"  424 ModelErrorException
 *   "internal"     500 InternalServerException
 *   "unavailable"  503 ServiceUnavailableException
 *   "timeout"      408 ModelTimeoutException
 * A count of 0 clears the fault. Returns 0, or -1 for an unknown kind or a
 * negative latency.
 */
int bedrock_fault_set(struct stratus *srv, const char *kind, int count,
                      int latency_ms);

/*
 * Serve Stratus's fault endpoint: GET /_stratus/bedrock/faults returns the
 * current fault; POST with {"kind", "count", "latencyMs"} sets it (as
 * bedrock_fault_set); DELETE clears it. Returns 1 when `req` was such a
 * request and `resp` is filled, 0 when the path is another one.
 */
int bedrock_faults_handle(struct stratus *srv, const http_request *req,
                          http_response *resp);

#endif
