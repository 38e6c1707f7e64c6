/*
 * apigw.h: the HTTP API front door (API Gateway v2 behaviour): the stack
 * type AWS::ApiGatewayV2::Api, the handler of the HTTP API listener, the
 * read-only management API (apigatewayv2 REST-JSON) and the JWT minting
 * that `stratus token` and the scenario runner use.
 */
#ifndef STRATUS_APIGW_H
#define STRATUS_APIGW_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "aws.h"
#include "http.h"

struct stratus;

extern const aws_service apigw_service;

/*
 * Apply an AWS::ApiGatewayV2::Api stack resource (format in docs/stack.md).
 * An existing API of the same logical id takes the new definition. Must run
 * inside a store call. Returns 0, or -1 with `err` filled.
 */
int apigw_stack_apply_api(struct stratus *srv, const char *account,
                          const char *region, const char *logical_id,
                          const cJSON *properties, aws_error *err);

/*
 * The handler of the HTTP API listener. The response leaves at once (a
 * 404, a preflight, a 401) or after the Lambda integration returns, over
 * a deferred connection.
 */
void apigw_http_handler(struct stratus *srv, const http_request *req,
                        http_response *resp, int *needs_commit);

/* Receives the finished response of apigw_handle; it may move it away. */
typedef void (*apigw_done_fn)(struct stratus *srv, http_response *resp,
                              void *arg);

/*
 * Handle one HTTP API request. `done` runs once: from inside this call
 * when no integration runs, else later from the loop. It does not run
 * when the instance stops first. The request is not used after this call
 * returns, so the caller may free it.
 */
void apigw_handle(struct stratus *srv, const http_request *req,
                  apigw_done_fn done, void *arg);

/* Record the port the HTTP API listener got, for ApiEndpoint. */
void apigw_set_listener_port(struct stratus *srv, int port);

/* Defaults of the local identity provider, as in fixtures/auth/README.md. */
#define APIGW_LOCAL_ISSUER                                                     \
    "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_StratusLocal"
#define APIGW_LOCAL_CLIENT_ID "stratuslocalclient"
#define APIGW_LOCAL_KEY_ID "stratus-local-1"

/* What apigw_jwt_mint puts into a token. Zeroed fields take defaults. */
typedef struct apigw_jwt_options {
    const char *user;      /* a username of users.json (required) */
    const char *token_use; /* "id" (default) or "access" */
    const char *issuer;    /* default APIGW_LOCAL_ISSUER */
    const char *client_id; /* aud or client_id; default APIGW_LOCAL_CLIENT_ID */
    const char *scope;     /* access tokens; default "openid email profile" */
    /* Unix seconds; 0: the wall clock now. The authorizer checks times
     * against the instance clock, so a virtual-time caller passes
     * clock_now_ms(&srv->clock) / 1000. */
    int64_t issued_at;
    int64_t expires_in; /* seconds after issued_at, may be negative */
    int expires_in_set; /* 0: expires_in is ignored and 3600 is used */
    /* Claims set last, replacing any of the above (may be NULL). */
    const cJSON *extra_claims;
} apigw_jwt_options;

/*
 * Mint an RS256 token like an Amazon Cognito one, signed with the local key
 * of fixtures/auth. An ID token has `aud` and `email`; an access token has
 * `client_id` and `scope`; both have `sub`, `iss`, `iat`, `exp`, `auth_time`,
 * `token_use` and `cognito:username`. Returns the malloc'ed token, or NULL
 * with a message in `errbuf` (unknown user, unreadable key).
 */
char *apigw_jwt_mint(const apigw_jwt_options *options, char *errbuf,
                     size_t errsize);

/* The directory of the local key, JWKS and users (see the README there). */
const char *apigw_auth_dir(void);

#endif
