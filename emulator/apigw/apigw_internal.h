/*
 * apigw_internal.h: what the files of the HTTP API service share: the
 * stored API definition, route matching, the JWT checks and the request
 * exchange with its Lambda invocation.
 */
#ifndef STRATUS_APIGW_INTERNAL_H
#define STRATUS_APIGW_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "apigw.h"
#include "http.h"
#include "stratus.h"

/* The maximum integration timeout of an HTTP API, in milliseconds. */
#define APIGW_MAX_TIMEOUT_MS 30000

/* The token bucket of an API's stage throttling. */
typedef struct apigw_bucket {
    struct apigw_bucket *next;
    char api_id[16];
    double tokens;
    uint64_t refilled_ms; /* uv_now of the last refill */
} apigw_bucket;

/* Per-instance state. */
typedef struct apigw_state {
    int listener_port; /* 0 until the HTTP API listener starts */
    apigw_bucket *buckets;
} apigw_state;

apigw_state *apigw__state(stratus *srv);

/*
 * Take one request from the API's stage throttling
 * (DefaultRouteSettings.ThrottlingBurstLimit and ThrottlingRateLimit).
 * Returns 1 when the request may go on, 0 when it is throttled.
 */
int apigw__throttle_take(stratus *srv, const cJSON *api);

/*
 * The stored definition of an API: the normalized stack properties plus
 * ApiId, CreatedDate, each authorizer's AuthorizerId and resolved JwksFile,
 * and each route's RouteId. Load the API whose id is `api_id`, or with
 * NULL the first one created. Returns a new tree, or NULL when none exists.
 * `account` and `region` (may be NULL) receive its location.
 */
cJSON *apigw__api_load(stratus *srv, const char *api_id, char account[13],
                       char region[32]);

/* Every stored API of an account and region, oldest first (a new array). */
cJSON *apigw__api_list(stratus *srv, const char *account, const char *region);

/* The API's ApiEndpoint: http://127.0.0.1:<port of the HTTP API listener>. */
void apigw__api_endpoint(stratus *srv, char *out, size_t size);

/* A route chosen for a request, with its path parameters (a new object,
 * or NULL when the route has none). */
typedef struct apigw_match {
    const cJSON *route; /* borrowed from the API definition */
    cJSON *path_parameters;
} apigw_match;

/*
 * Choose the route of `method` and `path` as API Gateway does: the most
 * specific path wins (literal segments before {param}, {param} before
 * {proxy+}), a route of the method before an ANY route, and $default only
 * when nothing else matches. Returns 1 with `out` filled, or 0.
 */
int apigw__route_match(const cJSON *api, const char *method, const char *path,
                       apigw_match *out);

/* Check a route key ("$default" or "METHOD /path"); 0, or -1 with a
 * message. */
int apigw__route_key_check(const char *key, char *errbuf, size_t errsize);

/* The result of a JWT check. */
typedef struct apigw_auth_result {
    int status;          /* 0 when authorized, else 401 or 403 */
    char challenge[512]; /* the www-authenticate value, "" for none */
    cJSON *claims;       /* authorized: claim values as strings */
    cJSON *scopes;       /* authorized: an array, or a JSON null */
} apigw_auth_result;

/*
 * Check the request's token against a JWT authorizer of the API and the
 * route's AuthorizationScopes, at instance time `now_s` (Unix seconds).
 * Always fills `out`; the caller frees claims and scopes.
 */
void apigw__jwt_authorize(const cJSON *authorizer, const cJSON *route,
                          const http_request *req, int64_t now_s,
                          apigw_auth_result *out);

/* Load and check a JWKS file; returns the parsed set or NULL with a
 * message. */
cJSON *apigw__jwks_load(const char *path, char *errbuf, size_t errsize);

/* Base64 of `len` bytes (standard alphabet, padded); malloc'ed. */
char *apigw__base64(const unsigned char *data, size_t len);
/* Decode standard or URL-safe base64, padded or not; NULL when invalid. */
unsigned char *apigw__base64_decode(const char *text, size_t text_len,
                                    size_t *out_len);

/* Build the payload format 2.0 event of a request (a new object). */
cJSON *apigw__event_build(stratus *srv, const cJSON *api, const char *account,
                          const http_request *req, const apigw_match *match,
                          const char *request_id,
                          const apigw_auth_result *auth);

/* Map a Lambda result to the HTTP response as format 2.0 does. Returns 0,
 * or -1 when the result is not a valid proxy response. */
int apigw__response_map(const char *payload, size_t len, http_response *resp);

/* Add the CORS headers of `cors` for an actual request from `origin`,
 * dropping the integration's own CORS headers. */
void apigw__cors_apply(const cJSON *cors, const char *origin,
                       http_response *resp);

/*
 * Fill the response to a preflight (OPTIONS with Origin and
 * Access-Control-Request-Method) when the API has a CORS configuration.
 * Returns 1 when `resp` was filled.
 */
int apigw__cors_preflight(const cJSON *cors, const http_request *req,
                          http_response *resp);

#endif
