/*
 * fuzz_apigw.c: libFuzzer driver for the parsers of the HTTP API front
 * door. The input is a path, a NUL byte, an Authorization header value, a
 * NUL byte, then a Lambda result. The path is routed, the header checked
 * by the JWT authorizer (against the local JWKS) and used as a CORS
 * origin, and the result mapped to an HTTP response.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apigw_internal.h"

static cJSON *fuzz_api(void)
{
    char jwks[1200];
    snprintf(jwks, sizeof jwks, "%s/jwks.json", apigw_auth_dir());
    cJSON *api = cJSON_Parse(
        "{\"Routes\":["
        "{\"RouteKey\":\"GET /cards/{cardId}\",\"AuthorizationType\":\"JWT\","
        "\"AuthorizationScopes\":[\"cards/read\"]},"
        "{\"RouteKey\":\"ANY /open/{proxy+}\"},"
        "{\"RouteKey\":\"POST /a/{b}/c\"},"
        "{\"RouteKey\":\"$default\"}],"
        "\"CorsConfiguration\":{\"AllowOrigins\":[\"http://localhost:3000\","
        "\"https://*.example.com\"],\"AllowMethods\":[\"*\"],"
        "\"AllowHeaders\":[\"*\"],\"AllowCredentials\":true,\"MaxAge\":5},"
        "\"Authorizer\":{\"AuthorizerType\":\"JWT\","
        "\"IdentitySource\":[\"$request.header.Authorization\"],"
        "\"JwtConfiguration\":{\"Issuer\":\"" APIGW_LOCAL_ISSUER "\","
        "\"Audience\":[\"" APIGW_LOCAL_CLIENT_ID "\"]}}}");
    cJSON_AddStringToObject(cJSON_GetObjectItemCaseSensitive(api, "Authorizer"),
                            "JwksFile", jwks);
    return api;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static cJSON *api;
    if (!api)
        api = fuzz_api();

    char *copy = malloc(size + 1);
    memcpy(copy, data, size);
    copy[size] = '\0';
    /* Split at the first two NUL bytes; a missing part is empty. */
    const char *path = copy;
    size_t path_len = strlen(path);
    const char *auth = path_len < size ? copy + path_len + 1 : copy + size;
    size_t auth_len = strlen(auth);
    size_t used = (size_t)(auth - copy) + auth_len;
    const char *result = used < size ? auth + auth_len + 1 : copy + size;
    size_t result_len = size - (size_t)(result - copy);

    const char *methods[] = {"GET", "POST", "OPTIONS"};
    for (size_t i = 0; i < 3; i++) {
        apigw_match match;
        if (apigw__route_match(api, methods[i], path, &match))
            cJSON_Delete(match.path_parameters);
    }

    http_header headers[] = {
        {"Authorization", (char *)auth},
        {"Origin", (char *)auth},
        {"Access-Control-Request-Method", "PUT"},
    };
    http_request req = {
        .method = "OPTIONS",
        .path = path,
        .query = "",
        .headers = headers,
        .header_count = 3,
    };
    const cJSON *authorizer =
        cJSON_GetObjectItemCaseSensitive(api, "Authorizer");
    const cJSON *route =
        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(api, "Routes"), 0);
    apigw_auth_result out;
    apigw__jwt_authorize(authorizer, route, &req, 1800000000, &out);
    cJSON_Delete(out.claims);
    cJSON_Delete(out.scopes);

    const cJSON *cors =
        cJSON_GetObjectItemCaseSensitive(api, "CorsConfiguration");
    http_response resp;
    http_response_init(&resp);
    apigw__cors_preflight(cors, &req, &resp);
    http_response_cleanup(&resp);

    http_response_init(&resp);
    apigw__response_map(result, result_len, &resp);
    apigw__cors_apply(cors, auth, &resp);
    http_response_cleanup(&resp);

    free(copy);
    return 0;
}
