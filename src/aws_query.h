/*
 * aws_query.h: the AWS Query protocol for services whose JSON protocol is
 * "awsQueryCompatible" (SQS): form-encoded requests (Action=..., members
 * flattened as "Attribute.1.Name") decoded into the JSON request the
 * service's handlers take, and XML responses and errors encoded from the
 * handler's JSON result.
 *
 * The mapping needs only the service's aws_query_protocol table, which
 * names the members that are lists or maps. Every other member is a string
 * scalar, as the Query protocol sends them, so handlers must accept numbers
 * and booleans given as strings.
 */
#ifndef STRATUS_AWS_QUERY_H
#define STRATUS_AWS_QUERY_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "aws.h"

struct http_request;
struct http_response;

/* Whether `req` is a Query request: a form-encoded body or an Action in
 * the query string. */
int aws_query_is_request(const struct http_request *req);

/*
 * Decode a Query request's parameters (query string and form body) into a
 * JSON request for `proto`. Returns a new object and sets `*action` to a
 * new string (the caller frees both); `*action` is NULL when the request
 * has no Action.
 */
cJSON *aws_query_decode(const aws_query_protocol *proto,
                        const struct http_request *req, char **action);

/* Encode a handler's result as the XML response of `action`. Returns a new
 * NUL-terminated string the caller frees. */
char *aws_query_encode(const aws_query_protocol *proto, const char *action,
                       const cJSON *result, const char *request_id);

/* Render an error as a Query ErrorResponse. */
void aws_query_error_render(const aws_service *svc, const aws_error *err,
                            const char *request_id, struct http_response *resp);

#endif
