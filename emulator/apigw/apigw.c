/*
 * apigw.c: the HTTP API service: its schema, the AWS::ApiGatewayV2::Api
 * stack type and the apigatewayv2 management API (REST-JSON, signing name
 * "apigateway").
 *
 * An API lives in one row as its normalized definition (JSON). The stack
 * is the only way to create or change one; the management API reads:
 * GetApis, GetApi, GetRoutes, GetRoute, GetAuthorizers, GetAuthorizer,
 * GetIntegrations, GetStages and GetStage. Every other operation is listed
 * without a handler and returns NotImplementedException.
 */
#include "apigw.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "apigw_internal.h"
#include "clock.h"
#include "store.h"
#include "util.h"

static const char *const apigw_schema_steps[] = {
    "CREATE TABLE apigw_api (api_id TEXT PRIMARY KEY,"
    " account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL,"
    " definition TEXT NOT NULL, created_ms INTEGER NOT NULL)",
};

apigw_state *apigw__state(stratus *srv)
{
    return stratus_service_state(srv, &apigw_service);
}

void apigw_set_listener_port(stratus *srv, int port)
{
    apigw__state(srv)->listener_port = port;
}

void apigw__api_endpoint(stratus *srv, char *out, size_t size)
{
    int port = apigw__state(srv)->listener_port;
    if (!port)
        port = srv->cfg.api_port > 0 ? srv->cfg.api_port : 4567;
    snprintf(out, size, "http://127.0.0.1:%d", port);
}

/* A short lower-case id from a hash of `text`, as API Gateway's ids look
 * (10 characters for an API, 7 for its parts). */
static void apigw_id(const char *text, size_t length, char *out)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    EVP_Digest(text, strlen(text), digest, &dlen, EVP_sha256(), NULL);
    for (size_t i = 0; i < length; i++)
        out[i] = alphabet[digest[i % dlen] % 36];
    out[length] = '\0';
}

/* ---- loading ---- */

cJSON *apigw__api_load(stratus *srv, const char *api_id, char account[13],
                       char region[32])
{
    sqlite3_stmt *s;
    if (api_id) {
        s = store_stmt(srv->store, "SELECT definition, account, region FROM"
                                   " apigw_api WHERE api_id = ?1");
        sqlite3_bind_text(s, 1, api_id, -1, SQLITE_STATIC);
    } else {
        s = store_stmt(srv->store,
                       "SELECT definition, account, region FROM apigw_api"
                       " ORDER BY rowid LIMIT 1");
    }
    cJSON *api = NULL;
    if (sqlite3_step(s) == SQLITE_ROW) {
        api = cJSON_Parse((const char *)sqlite3_column_text(s, 0));
        if (account)
            snprintf(account, 13, "%s", sqlite3_column_text(s, 1));
        if (region)
            snprintf(region, 32, "%s", sqlite3_column_text(s, 2));
    }
    sqlite3_reset(s);
    return api;
}

cJSON *apigw__api_list(stratus *srv, const char *account, const char *region)
{
    sqlite3_stmt *s = store_stmt(
        srv->store, "SELECT definition FROM apigw_api WHERE account = ?1 AND"
                    " region = ?2 ORDER BY rowid");
    sqlite3_bind_text(s, 1, account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, region, -1, SQLITE_STATIC);
    cJSON *list = cJSON_CreateArray();
    while (sqlite3_step(s) == SQLITE_ROW) {
        cJSON *api = cJSON_Parse((const char *)sqlite3_column_text(s, 0));
        if (api)
            cJSON_AddItemToArray(list, api);
    }
    sqlite3_reset(s);
    return list;
}

/* ---- the stack type ---- */

static int apigw_bad(aws_error *err, const char *logical_id, const char *fmt,
                     const char *detail)
{
    char message[600];
    snprintf(message, sizeof message, fmt, detail);
    return aws_fail(err, AWS_ERR_VALIDATION, "%s: %s", logical_id, message);
}

/* Check that `item` is absent or a list of strings. */
static int apigw_string_list(const cJSON *item)
{
    if (!item)
        return 1;
    if (!cJSON_IsArray(item))
        return 0;
    const cJSON *v;
    cJSON_ArrayForEach(v, item) if (!cJSON_IsString(v)) return 0;
    return 1;
}

static int apigw_cors_check(const cJSON *cors, const char *logical_id,
                            aws_error *err)
{
    static const char *const lists[] = {"AllowOrigins", "AllowMethods",
                                        "AllowHeaders", "ExposeHeaders"};
    if (!cJSON_IsObject(cors))
        return apigw_bad(err, logical_id, "%s must be a mapping",
                         "CorsConfiguration");
    const cJSON *m;
    cJSON_ArrayForEach(m, cors)
    {
        int known = 0;
        for (size_t i = 0; i < sizeof lists / sizeof *lists; i++)
            if (strcmp(m->string, lists[i]) == 0) {
                known = 1;
                if (!apigw_string_list(m))
                    return apigw_bad(err, logical_id,
                                     "CorsConfiguration.%s must be a list of "
                                     "strings",
                                     m->string);
            }
        if (strcmp(m->string, "AllowCredentials") == 0) {
            known = 1;
            if (!cJSON_IsBool(m))
                return apigw_bad(err, logical_id,
                                 "CorsConfiguration.%s must be true or false",
                                 m->string);
        }
        if (strcmp(m->string, "MaxAge") == 0) {
            known = 1;
            if (!cJSON_IsNumber(m) || m->valuedouble < -1 ||
                m->valuedouble > 86400)
                return apigw_bad(err, logical_id,
                                 "CorsConfiguration.%s must be a number of "
                                 "seconds from -1 to 86400",
                                 m->string);
        }
        if (!known)
            return apigw_bad(err, logical_id,
                             "unknown CorsConfiguration property %s",
                             m->string);
    }
    return 0;
}

/* Check DefaultRouteSettings: only the two throttling limits. */
static int apigw_route_settings_check(const cJSON *settings,
                                      const char *logical_id, aws_error *err)
{
    if (!settings)
        return 0;
    if (!cJSON_IsObject(settings))
        return apigw_bad(err, logical_id, "%s must be a mapping",
                         "DefaultRouteSettings");
    const cJSON *m;
    cJSON_ArrayForEach(m, settings)
    {
        if (strcmp(m->string, "ThrottlingBurstLimit") != 0 &&
            strcmp(m->string, "ThrottlingRateLimit") != 0)
            return apigw_bad(err, logical_id,
                             "DefaultRouteSettings.%s is not supported; only "
                             "ThrottlingBurstLimit and ThrottlingRateLimit are",
                             m->string);
        if (!cJSON_IsNumber(m) || m->valuedouble < 0)
            return apigw_bad(err, logical_id,
                             "DefaultRouteSettings.%s must be a number of "
                             "requests, 0 or more",
                             m->string);
    }
    return 0;
}

/* Normalize one authorizer in place: check it, add AuthorizerId and the
 * absolute JwksFile. */
static int apigw_authorizer_prepare(cJSON *a, const char *api_id,
                                    const char *logical_id, aws_error *err)
{
    const char *name =
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, "Name"));
    if (!name)
        return apigw_bad(err, logical_id, "an authorizer has no %s", "Name");
    const char *type = cJSON_GetStringValue(
        cJSON_GetObjectItemCaseSensitive(a, "AuthorizerType"));
    if (!type || strcmp(type, "JWT") != 0)
        return apigw_bad(err, logical_id,
                         "authorizer %s: AuthorizerType must be JWT (Lambda "
                         "authorizers are not supported)",
                         name);
    const cJSON *sources =
        cJSON_GetObjectItemCaseSensitive(a, "IdentitySource");
    if (cJSON_IsString(sources)) {
        /* CloudFormation also takes a single string. */
        cJSON_ReplaceItemInObjectCaseSensitive(
            a, "IdentitySource",
            cJSON_CreateStringArray((const char *[]){sources->valuestring}, 1));
        sources = cJSON_GetObjectItemCaseSensitive(a, "IdentitySource");
    }
    if (!sources)
        cJSON_AddItemToObject(
            a, "IdentitySource",
            cJSON_CreateStringArray(
                (const char *[]){"$request.header.Authorization"}, 1));
    else if (!apigw_string_list(sources) || cJSON_GetArraySize(sources) != 1 ||
             strncmp(cJSON_GetArrayItem(sources, 0)->valuestring,
                     "$request.header.", 16) != 0)
        return apigw_bad(err, logical_id,
                         "authorizer %s: IdentitySource must be one "
                         "$request.header.<name> source",
                         name);
    const cJSON *config =
        cJSON_GetObjectItemCaseSensitive(a, "JwtConfiguration");
    if (!cJSON_IsObject(config) ||
        !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(config, "Issuer")))
        return apigw_bad(err, logical_id,
                         "authorizer %s: JwtConfiguration.Issuer is missing",
                         name);
    if (!apigw_string_list(
            cJSON_GetObjectItemCaseSensitive(config, "Audience")))
        return apigw_bad(err, logical_id,
                         "authorizer %s: JwtConfiguration.Audience must be a "
                         "list of strings",
                         name);

    char path[PATH_MAX], resolved[PATH_MAX];
    const char *jwks =
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, "JwksFile"));
    snprintf(path, sizeof path, "%s", jwks ? jwks : "");
    if (!jwks)
        snprintf(path, sizeof path, "%s/jwks.json", apigw_auth_dir());
    char errbuf[512];
    cJSON *set = realpath(path, resolved)
                     ? apigw__jwks_load(resolved, errbuf, sizeof errbuf)
                     : NULL;
    if (!set) {
        if (!realpath(path, resolved))
            snprintf(errbuf, sizeof errbuf, "cannot read %s: %s", path,
                     strerror(errno));
        return apigw_bad(err, logical_id, "JwksFile: %s", errbuf);
    }
    cJSON_Delete(set);
    cJSON_DeleteItemFromObjectCaseSensitive(a, "JwksFile");
    cJSON_AddStringToObject(a, "JwksFile", resolved);

    char seed[300], id[8];
    snprintf(seed, sizeof seed, "%s/authorizer/%s", api_id, name);
    apigw_id(seed, 7, id);
    cJSON_DeleteItemFromObjectCaseSensitive(a, "AuthorizerId");
    cJSON_AddStringToObject(a, "AuthorizerId", id);
    return 0;
}

static const cJSON *apigw_authorizer_named(const cJSON *authorizers,
                                           const char *name)
{
    const cJSON *a;
    cJSON_ArrayForEach(a, authorizers)
    {
        const char *n =
            cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, "Name"));
        if (n && strcmp(n, name) == 0)
            return a;
    }
    return NULL;
}

/* Normalize one route in place: check it, add RouteId, IntegrationId and
 * AuthorizerId. */
static int apigw_route_prepare(cJSON *r, const cJSON *authorizers,
                               const char *api_id, const char *logical_id,
                               aws_error *err)
{
    const char *key =
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "RouteKey"));
    char errbuf[400];
    if (!key)
        return apigw_bad(err, logical_id, "a route has no %s", "RouteKey");
    if (apigw__route_key_check(key, errbuf, sizeof errbuf) != 0)
        return apigw_bad(err, logical_id, "%s", errbuf);
    if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(r, "Target")))
        return apigw_bad(err, logical_id,
                         "route %s has no Target (a function name or ARN)",
                         key);
    if (!apigw_string_list(
            cJSON_GetObjectItemCaseSensitive(r, "AuthorizationScopes")))
        return apigw_bad(err, logical_id,
                         "route %s: AuthorizationScopes must be a list of "
                         "strings",
                         key);
    const cJSON *timeout =
        cJSON_GetObjectItemCaseSensitive(r, "TimeoutInMillis");
    if (timeout && (!cJSON_IsNumber(timeout) || timeout->valuedouble < 50 ||
                    timeout->valuedouble > APIGW_MAX_TIMEOUT_MS))
        return apigw_bad(err, logical_id,
                         "route %s: TimeoutInMillis must be from 50 to 30000",
                         key);
    const char *type = cJSON_GetStringValue(
        cJSON_GetObjectItemCaseSensitive(r, "AuthorizationType"));
    if (!type) {
        cJSON_AddStringToObject(r, "AuthorizationType", "NONE");
        type = "NONE";
    }
    if (strcmp(type, "JWT") == 0) {
        const char *name = cJSON_GetStringValue(
            cJSON_GetObjectItemCaseSensitive(r, "AuthorizerName"));
        const cJSON *a =
            name ? apigw_authorizer_named(authorizers, name) : NULL;
        if (!a)
            return apigw_bad(err, logical_id,
                             "route %s: AuthorizerName names no authorizer of "
                             "this API",
                             key);
        cJSON_DeleteItemFromObjectCaseSensitive(r, "AuthorizerId");
        cJSON_AddStringToObject(
            r, "AuthorizerId",
            cJSON_GetStringValue(
                cJSON_GetObjectItemCaseSensitive(a, "AuthorizerId")));
    } else if (strcmp(type, "NONE") != 0) {
        return apigw_bad(err, logical_id,
                         "route %s: AuthorizationType must be NONE or JWT",
                         key);
    }
    char seed[400], id[8];
    snprintf(seed, sizeof seed, "%s/route/%s", api_id, key);
    apigw_id(seed, 7, id);
    cJSON_DeleteItemFromObjectCaseSensitive(r, "RouteId");
    cJSON_AddStringToObject(r, "RouteId", id);
    snprintf(seed, sizeof seed, "%s/integration/%s", api_id, key);
    apigw_id(seed, 7, id);
    cJSON_DeleteItemFromObjectCaseSensitive(r, "IntegrationId");
    cJSON_AddStringToObject(r, "IntegrationId", id);
    return 0;
}

static cJSON *apigw_definition(const char *account, const char *region,
                               const char *logical_id, const cJSON *properties,
                               aws_error *err)
{
    static const char *const known[] = {
        "Name",        "ProtocolType",
        "Description", "CorsConfiguration",
        "Routes",      "Authorizers",
        "Tags",        "DisableExecuteApiEndpoint",
        "Version",     "DefaultRouteSettings",
    };
    if (!cJSON_IsObject(properties))
        return apigw_bad(err, logical_id, "%s must be a mapping", "Properties"),
               NULL;
    const cJSON *p;
    cJSON_ArrayForEach(p, properties)
    {
        int ok = 0;
        for (size_t i = 0; i < sizeof known / sizeof *known; i++)
            ok |= strcmp(p->string, known[i]) == 0;
        if (!ok)
            return apigw_bad(err, logical_id, "unknown property %s", p->string),
                   NULL;
    }
    const char *name = cJSON_GetStringValue(
        cJSON_GetObjectItemCaseSensitive(properties, "Name"));
    if (!name || !*name || strlen(name) > 128)
        return apigw_bad(err, logical_id, "%s must be 1 to 128 characters",
                         "Name"),
               NULL;
    const char *protocol = cJSON_GetStringValue(
        cJSON_GetObjectItemCaseSensitive(properties, "ProtocolType"));
    if (protocol && strcmp(protocol, "HTTP") != 0)
        return apigw_bad(err, logical_id,
                         "ProtocolType %s is not supported; only HTTP APIs "
                         "are emulated",
                         protocol),
               NULL;

    cJSON *def = cJSON_Duplicate(properties, 1);
    char seed[400], api_id[11];
    /* The logical id, not the name, identifies the API, as in
     * CloudFormation: a renamed API is the same API. */
    snprintf(seed, sizeof seed, "%s/%s/%s", account, region, logical_id);
    apigw_id(seed, 10, api_id);
    cJSON_AddStringToObject(def, "ApiId", api_id);
    if (!protocol)
        cJSON_AddStringToObject(def, "ProtocolType", "HTTP");

    const cJSON *cors =
        cJSON_GetObjectItemCaseSensitive(def, "CorsConfiguration");
    if (cors && apigw_cors_check(cors, logical_id, err) != 0)
        goto fail;
    if (apigw_route_settings_check(
            cJSON_GetObjectItemCaseSensitive(def, "DefaultRouteSettings"),
            logical_id, err) != 0)
        goto fail;

    cJSON *authorizers = cJSON_GetObjectItemCaseSensitive(def, "Authorizers");
    if (authorizers && !cJSON_IsArray(authorizers)) {
        apigw_bad(err, logical_id, "%s must be a list", "Authorizers");
        goto fail;
    }
    cJSON *a;
    cJSON_ArrayForEach(a, authorizers) if (!cJSON_IsObject(a) ||
                                           apigw_authorizer_prepare(
                                               a, api_id, logical_id, err) != 0)
    {
        if (!err->code)
            apigw_bad(err, logical_id, "%s entries must be mappings",
                      "Authorizers");
        goto fail;
    }

    cJSON *routes = cJSON_GetObjectItemCaseSensitive(def, "Routes");
    if (!cJSON_IsArray(routes)) {
        apigw_bad(err, logical_id, "%s must be a list", "Routes");
        goto fail;
    }
    cJSON *r;
    cJSON_ArrayForEach(r, routes)
    {
        if (!cJSON_IsObject(r)) {
            apigw_bad(err, logical_id, "%s entries must be mappings", "Routes");
            goto fail;
        }
        if (apigw_route_prepare(r, authorizers, api_id, logical_id, err) != 0)
            goto fail;
        for (const cJSON *q = routes->child; q != r; q = q->next)
            if (strcmp(cJSON_GetStringValue(
                           cJSON_GetObjectItemCaseSensitive(q, "RouteKey")),
                       cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
                           r, "RouteKey"))) == 0) {
                apigw_bad(err, logical_id, "route key %s appears twice",
                          cJSON_GetStringValue(
                              cJSON_GetObjectItemCaseSensitive(r, "RouteKey")));
                goto fail;
            }
    }
    return def;

fail:
    cJSON_Delete(def);
    return NULL;
}

int apigw_stack_apply_api(stratus *srv, const char *account, const char *region,
                          const char *logical_id, const cJSON *properties,
                          aws_error *err)
{
    cJSON *def = apigw_definition(account, region, logical_id, properties, err);
    if (!def)
        return -1;
    const char *api_id =
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(def, "ApiId"));
    int64_t now = clock_now_ms(&srv->clock);

    /* A redeploy keeps the creation time. */
    cJSON *old = apigw__api_load(srv, api_id, NULL, NULL);
    const cJSON *created = cJSON_GetObjectItemCaseSensitive(old, "CreatedDate");
    cJSON_AddNumberToObject(def, "CreatedDate",
                            cJSON_IsNumber(created) ? created->valuedouble
                                                    : (double)now);
    cJSON_Delete(old);

    char *text = cJSON_PrintUnformatted(def);
    sqlite3_stmt *s = store_stmt(
        srv->store,
        "INSERT INTO apigw_api (api_id, account, region, name, definition,"
        " created_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (api_id) DO"
        " UPDATE SET definition = excluded.definition");
    sqlite3_bind_text(s, 1, api_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, region, -1, SQLITE_STATIC);
    sqlite3_bind_text(
        s, 4,
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(def, "Name")), -1,
        SQLITE_STATIC);
    sqlite3_bind_text(s, 5, text, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 6, now);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    free(text);
    cJSON_Delete(def);
    if (rc != SQLITE_DONE)
        return aws_fail(err, AWS_ERR_INTERNAL_SERVER_ERROR,
                        "%s: cannot store the API: %s", logical_id,
                        sqlite3_errmsg(store_db(srv->store)));
    return 0;
}

/* ---- the management API ---- */

static void apigw_iso(double ms, char out[32])
{
    clock_format_iso((int64_t)ms, out);
}

static void apigw_copy(cJSON *out, const char *wire, const cJSON *from,
                       const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(from, name);
    if (v)
        cJSON_AddItemToObject(out, wire, cJSON_Duplicate(v, 1));
}

static cJSON *apigw_api_output(stratus *srv, const cJSON *def)
{
    cJSON *out = cJSON_CreateObject();
    char endpoint[64], when[32];
    apigw__api_endpoint(srv, endpoint, sizeof endpoint);
    cJSON_AddStringToObject(out, "apiEndpoint", endpoint);
    apigw_copy(out, "apiId", def, "ApiId");
    cJSON_AddStringToObject(out, "apiKeySelectionExpression",
                            "$request.header.x-api-key");
    const cJSON *cors =
        cJSON_GetObjectItemCaseSensitive(def, "CorsConfiguration");
    if (cors) {
        cJSON *c = cJSON_AddObjectToObject(out, "corsConfiguration");
        apigw_copy(c, "allowCredentials", cors, "AllowCredentials");
        apigw_copy(c, "allowHeaders", cors, "AllowHeaders");
        apigw_copy(c, "allowMethods", cors, "AllowMethods");
        apigw_copy(c, "allowOrigins", cors, "AllowOrigins");
        apigw_copy(c, "exposeHeaders", cors, "ExposeHeaders");
        apigw_copy(c, "maxAge", cors, "MaxAge");
    }
    apigw_iso(cJSON_GetNumberValue(
                  cJSON_GetObjectItemCaseSensitive(def, "CreatedDate")),
              when);
    cJSON_AddStringToObject(out, "createdDate", when);
    apigw_copy(out, "description", def, "Description");
    cJSON_AddBoolToObject(out, "disableExecuteApiEndpoint", 0);
    apigw_copy(out, "name", def, "Name");
    apigw_copy(out, "protocolType", def, "ProtocolType");
    cJSON_AddStringToObject(out, "routeSelectionExpression",
                            "$request.method $request.path");
    cJSON *tags = cJSON_AddObjectToObject(out, "tags");
    const cJSON *t;
    cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(def, "Tags"))
    {
        if (cJSON_IsString(t))
            cJSON_AddStringToObject(tags, t->string, t->valuestring);
        else if (cJSON_IsObject(t)) {
            const char *k = cJSON_GetStringValue(
                cJSON_GetObjectItemCaseSensitive(t, "Key"));
            const char *v = cJSON_GetStringValue(
                cJSON_GetObjectItemCaseSensitive(t, "Value"));
            if (k && v)
                cJSON_AddStringToObject(tags, k, v);
        }
    }
    return out;
}

/* The API of the request's apiId, or NULL with NotFoundException. */
static cJSON *apigw_api_param(aws_request *req, aws_error *err)
{
    const char *id = cJSON_GetStringValue(
        cJSON_GetObjectItemCaseSensitive(req->params, "apiId"));
    char account[13] = "", region[32] = "";
    cJSON *api = id ? apigw__api_load(req->srv, id, account, region) : NULL;
    if (api && (strcmp(account, req->account) != 0 ||
                strcmp(region, req->region) != 0)) {
        cJSON_Delete(api);
        api = NULL;
    }
    if (!api)
        aws_fail(err, AWS_ERR_APIGW_NOT_FOUND,
                 "Invalid API identifier specified %s:%s", req->account,
                 id ? id : "");
    return api;
}

static cJSON *apigw_op_get_apis(aws_request *req, aws_error *err)
{
    cJSON *list = apigw__api_list(req->srv, req->account, req->region);
    cJSON *out = cJSON_CreateObject();
    cJSON *items = cJSON_AddArrayToObject(out, "items");
    const cJSON *api;
    cJSON_ArrayForEach(api, list)
        cJSON_AddItemToArray(items, apigw_api_output(req->srv, api));
    cJSON_Delete(list);
    return out;
}

static cJSON *apigw_op_get_api(aws_request *req, aws_error *err)
{
    cJSON *api = apigw_api_param(req, err);
    if (!api)
        return NULL;
    cJSON *out = apigw_api_output(req->srv, api);
    cJSON_Delete(api);
    return out;
}

static cJSON *apigw_route_output(const cJSON *r)
{
    cJSON *out = cJSON_CreateObject();
    cJSON_AddBoolToObject(out, "apiKeyRequired", 0);
    apigw_copy(out, "authorizationScopes", r, "AuthorizationScopes");
    apigw_copy(out, "authorizationType", r, "AuthorizationType");
    apigw_copy(out, "authorizerId", r, "AuthorizerId");
    apigw_copy(out, "routeId", r, "RouteId");
    apigw_copy(out, "routeKey", r, "RouteKey");
    char target[64];
    snprintf(target, sizeof target, "integrations/%s",
             cJSON_GetStringValue(
                 cJSON_GetObjectItemCaseSensitive(r, "IntegrationId")));
    cJSON_AddStringToObject(out, "target", target);
    return out;
}

static cJSON *apigw_authorizer_output(const cJSON *a)
{
    cJSON *out = cJSON_CreateObject();
    apigw_copy(out, "authorizerId", a, "AuthorizerId");
    apigw_copy(out, "authorizerType", a, "AuthorizerType");
    apigw_copy(out, "identitySource", a, "IdentitySource");
    const cJSON *config =
        cJSON_GetObjectItemCaseSensitive(a, "JwtConfiguration");
    cJSON *jwt = cJSON_AddObjectToObject(out, "jwtConfiguration");
    apigw_copy(jwt, "audience", config, "Audience");
    apigw_copy(jwt, "issuer", config, "Issuer");
    apigw_copy(out, "name", a, "Name");
    return out;
}

static cJSON *apigw_integration_output(aws_request *req, const cJSON *r)
{
    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "connectionType", "INTERNET");
    apigw_copy(out, "integrationId", r, "IntegrationId");
    cJSON_AddStringToObject(out, "integrationMethod", "POST");
    cJSON_AddStringToObject(out, "integrationType", "AWS_PROXY");
    const char *target =
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "Target"));
    char uri[512];
    if (strncmp(target, "arn:", 4) == 0)
        snprintf(uri, sizeof uri, "%s", target);
    else
        snprintf(uri, sizeof uri, "arn:aws:lambda:%s:%s:function:%s",
                 req->region, req->account, target);
    cJSON_AddStringToObject(out, "integrationUri", uri);
    cJSON_AddStringToObject(out, "payloadFormatVersion", "2.0");
    const cJSON *timeout =
        cJSON_GetObjectItemCaseSensitive(r, "TimeoutInMillis");
    cJSON_AddNumberToObject(out, "timeoutInMillis",
                            cJSON_IsNumber(timeout) ? timeout->valuedouble
                                                    : APIGW_MAX_TIMEOUT_MS);
    return out;
}

typedef enum apigw_part {
    APIGW_ROUTES,
    APIGW_AUTHORIZERS,
    APIGW_INTEGRATIONS
} apigw_part;

/* GetRoutes, GetAuthorizers, GetIntegrations, and with `id_param` the
 * single-item operations GetRoute and GetAuthorizer. */
static cJSON *apigw_parts(aws_request *req, aws_error *err, apigw_part part,
                          const char *id_param)
{
    cJSON *api = apigw_api_param(req, err);
    if (!api)
        return NULL;
    const char *list_name =
        part == APIGW_AUTHORIZERS ? "Authorizers" : "Routes";
    const char *id_name = part == APIGW_ROUTES        ? "RouteId"
                          : part == APIGW_AUTHORIZERS ? "AuthorizerId"
                                                      : "IntegrationId";
    const char *wanted =
        id_param ? cJSON_GetStringValue(
                       cJSON_GetObjectItemCaseSensitive(req->params, id_param))
                 : NULL;
    cJSON *out = cJSON_CreateObject();
    cJSON *items = cJSON_AddArrayToObject(out, "items");
    const cJSON *item;
    cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(api, list_name))
    {
        const char *id = cJSON_GetStringValue(
            cJSON_GetObjectItemCaseSensitive(item, id_name));
        if (wanted && (!id || strcmp(id, wanted) != 0))
            continue;
        cJSON *o = part == APIGW_ROUTES ? apigw_route_output(item)
                   : part == APIGW_AUTHORIZERS
                       ? apigw_authorizer_output(item)
                       : apigw_integration_output(req, item);
        if (wanted) {
            cJSON_Delete(out);
            cJSON_Delete(api);
            return o;
        }
        cJSON_AddItemToArray(items, o);
    }
    cJSON_Delete(api);
    if (wanted) {
        cJSON_Delete(out);
        aws_fail(err, AWS_ERR_APIGW_NOT_FOUND,
                 "Invalid %s identifier specified",
                 part == APIGW_ROUTES ? "Route" : "Authorizer");
        return NULL;
    }
    return out;
}

static cJSON *apigw_op_get_routes(aws_request *req, aws_error *err)
{
    return apigw_parts(req, err, APIGW_ROUTES, NULL);
}

static cJSON *apigw_op_get_route(aws_request *req, aws_error *err)
{
    return apigw_parts(req, err, APIGW_ROUTES, "routeId");
}

static cJSON *apigw_op_get_authorizers(aws_request *req, aws_error *err)
{
    return apigw_parts(req, err, APIGW_AUTHORIZERS, NULL);
}

static cJSON *apigw_op_get_authorizer(aws_request *req, aws_error *err)
{
    return apigw_parts(req, err, APIGW_AUTHORIZERS, "authorizerId");
}

static cJSON *apigw_op_get_integrations(aws_request *req, aws_error *err)
{
    return apigw_parts(req, err, APIGW_INTEGRATIONS, NULL);
}

/* The one stage every stack API has: $default with automatic deployment. */
static cJSON *apigw_stage_output(const cJSON *api)
{
    cJSON *out = cJSON_CreateObject();
    char when[32];
    apigw_iso(cJSON_GetNumberValue(
                  cJSON_GetObjectItemCaseSensitive(api, "CreatedDate")),
              when);
    cJSON_AddBoolToObject(out, "autoDeploy", 1);
    cJSON_AddStringToObject(out, "createdDate", when);
    cJSON *route_settings =
        cJSON_AddObjectToObject(out, "defaultRouteSettings");
    cJSON_AddBoolToObject(route_settings, "detailedMetricsEnabled", 0);
    const cJSON *settings =
        cJSON_GetObjectItemCaseSensitive(api, "DefaultRouteSettings");
    apigw_copy(route_settings, "throttlingBurstLimit", settings,
               "ThrottlingBurstLimit");
    apigw_copy(route_settings, "throttlingRateLimit", settings,
               "ThrottlingRateLimit");
    cJSON_AddStringToObject(out, "lastUpdatedDate", when);
    cJSON_AddObjectToObject(out, "routeSettings");
    cJSON_AddStringToObject(out, "stageName", "$default");
    cJSON_AddObjectToObject(out, "stageVariables");
    cJSON_AddObjectToObject(out, "tags");
    return out;
}

static cJSON *apigw_op_get_stages(aws_request *req, aws_error *err)
{
    cJSON *api = apigw_api_param(req, err);
    if (!api)
        return NULL;
    cJSON *out = cJSON_CreateObject();
    cJSON_AddItemToArray(cJSON_AddArrayToObject(out, "items"),
                         apigw_stage_output(api));
    cJSON_Delete(api);
    return out;
}

static cJSON *apigw_op_get_stage(aws_request *req, aws_error *err)
{
    cJSON *api = apigw_api_param(req, err);
    if (!api)
        return NULL;
    const char *name = cJSON_GetStringValue(
        cJSON_GetObjectItemCaseSensitive(req->params, "stageName"));
    if (!name || strcmp(name, "$default") != 0) {
        cJSON_Delete(api);
        aws_fail(err, AWS_ERR_APIGW_NOT_FOUND,
                 "Invalid stage identifier specified");
        return NULL;
    }
    cJSON *out = apigw_stage_output(api);
    cJSON_Delete(api);
    return out;
}

#define APIGW_API "/v2/apis/{apiId}"

static const aws_operation apigw_operations[] = {
    {"GetApis", apigw_op_get_apis, "GET", "/v2/apis"},
    {"GetApi", apigw_op_get_api, "GET", APIGW_API},
    {"GetRoutes", apigw_op_get_routes, "GET", APIGW_API "/routes"},
    {"GetRoute", apigw_op_get_route, "GET", APIGW_API "/routes/{routeId}"},
    {"GetAuthorizers", apigw_op_get_authorizers, "GET",
     APIGW_API "/authorizers"},
    {"GetAuthorizer", apigw_op_get_authorizer, "GET",
     APIGW_API "/authorizers/{authorizerId}"},
    {"GetIntegrations", apigw_op_get_integrations, "GET",
     APIGW_API "/integrations"},
    {"GetStages", apigw_op_get_stages, "GET", APIGW_API "/stages"},
    {"GetStage", apigw_op_get_stage, "GET", APIGW_API "/stages/{stageName}"},
    {"CreateApi", NULL, "POST", "/v2/apis"},
    {"ImportApi", NULL, "PUT", "/v2/apis"},
    {"UpdateApi", NULL, "PATCH", APIGW_API},
    {"ReimportApi", NULL, "PUT", APIGW_API},
    {"DeleteApi", NULL, "DELETE", APIGW_API},
    {"ExportApi", NULL, "GET", APIGW_API "/exports/{specification}"},
    {"DeleteCorsConfiguration", NULL, "DELETE", APIGW_API "/cors"},
    {"CreateAuthorizer", NULL, "POST", APIGW_API "/authorizers"},
    {"UpdateAuthorizer", NULL, "PATCH",
     APIGW_API "/authorizers/{authorizerId}"},
    {"DeleteAuthorizer", NULL, "DELETE",
     APIGW_API "/authorizers/{authorizerId}"},
    {"CreateDeployment", NULL, "POST", APIGW_API "/deployments"},
    {"GetDeployments", NULL, "GET", APIGW_API "/deployments"},
    {"GetDeployment", NULL, "GET", APIGW_API "/deployments/{deploymentId}"},
    {"UpdateDeployment", NULL, "PATCH",
     APIGW_API "/deployments/{deploymentId}"},
    {"DeleteDeployment", NULL, "DELETE",
     APIGW_API "/deployments/{deploymentId}"},
    {"CreateIntegration", NULL, "POST", APIGW_API "/integrations"},
    {"GetIntegration", NULL, "GET", APIGW_API "/integrations/{integrationId}"},
    {"UpdateIntegration", NULL, "PATCH",
     APIGW_API "/integrations/{integrationId}"},
    {"DeleteIntegration", NULL, "DELETE",
     APIGW_API "/integrations/{integrationId}"},
    {"CreateIntegrationResponse", NULL, "POST",
     APIGW_API "/integrations/{integrationId}/integrationresponses"},
    {"GetIntegrationResponses", NULL, "GET",
     APIGW_API "/integrations/{integrationId}/integrationresponses"},
    {"GetIntegrationResponse", NULL, "GET",
     APIGW_API "/integrations/{integrationId}/integrationresponses/"
               "{integrationResponseId}"},
    {"UpdateIntegrationResponse", NULL, "PATCH",
     APIGW_API "/integrations/{integrationId}/integrationresponses/"
               "{integrationResponseId}"},
    {"DeleteIntegrationResponse", NULL, "DELETE",
     APIGW_API "/integrations/{integrationId}/integrationresponses/"
               "{integrationResponseId}"},
    {"CreateModel", NULL, "POST", APIGW_API "/models"},
    {"GetModels", NULL, "GET", APIGW_API "/models"},
    {"GetModel", NULL, "GET", APIGW_API "/models/{modelId}"},
    {"GetModelTemplate", NULL, "GET", APIGW_API "/models/{modelId}/template"},
    {"UpdateModel", NULL, "PATCH", APIGW_API "/models/{modelId}"},
    {"DeleteModel", NULL, "DELETE", APIGW_API "/models/{modelId}"},
    {"CreateRoute", NULL, "POST", APIGW_API "/routes"},
    {"UpdateRoute", NULL, "PATCH", APIGW_API "/routes/{routeId}"},
    {"DeleteRoute", NULL, "DELETE", APIGW_API "/routes/{routeId}"},
    {"DeleteRouteRequestParameter", NULL, "DELETE",
     APIGW_API "/routes/{routeId}/requestparameters/{requestParameterKey}"},
    {"CreateRouteResponse", NULL, "POST",
     APIGW_API "/routes/{routeId}/routeresponses"},
    {"GetRouteResponses", NULL, "GET",
     APIGW_API "/routes/{routeId}/routeresponses"},
    {"GetRouteResponse", NULL, "GET",
     APIGW_API "/routes/{routeId}/routeresponses/{routeResponseId}"},
    {"UpdateRouteResponse", NULL, "PATCH",
     APIGW_API "/routes/{routeId}/routeresponses/{routeResponseId}"},
    {"DeleteRouteResponse", NULL, "DELETE",
     APIGW_API "/routes/{routeId}/routeresponses/{routeResponseId}"},
    {"CreateStage", NULL, "POST", APIGW_API "/stages"},
    {"UpdateStage", NULL, "PATCH", APIGW_API "/stages/{stageName}"},
    {"DeleteStage", NULL, "DELETE", APIGW_API "/stages/{stageName}"},
    {"DeleteAccessLogSettings", NULL, "DELETE",
     APIGW_API "/stages/{stageName}/accesslogsettings"},
    {"DeleteRouteSettings", NULL, "DELETE",
     APIGW_API "/stages/{stageName}/routesettings/{routeKey}"},
    {"ResetAuthorizersCache", NULL, "DELETE",
     APIGW_API "/stages/{stageName}/cache/authorizers"},
    {"CreateDomainName", NULL, "POST", "/v2/domainnames"},
    {"GetDomainNames", NULL, "GET", "/v2/domainnames"},
    {"GetDomainName", NULL, "GET", "/v2/domainnames/{domainName}"},
    {"UpdateDomainName", NULL, "PATCH", "/v2/domainnames/{domainName}"},
    {"DeleteDomainName", NULL, "DELETE", "/v2/domainnames/{domainName}"},
    {"CreateApiMapping", NULL, "POST",
     "/v2/domainnames/{domainName}/apimappings"},
    {"GetApiMappings", NULL, "GET", "/v2/domainnames/{domainName}/apimappings"},
    {"GetApiMapping", NULL, "GET",
     "/v2/domainnames/{domainName}/apimappings/{apiMappingId}"},
    {"UpdateApiMapping", NULL, "PATCH",
     "/v2/domainnames/{domainName}/apimappings/{apiMappingId}"},
    {"DeleteApiMapping", NULL, "DELETE",
     "/v2/domainnames/{domainName}/apimappings/{apiMappingId}"},
    {"CreateVpcLink", NULL, "POST", "/v2/vpclinks"},
    {"GetVpcLinks", NULL, "GET", "/v2/vpclinks"},
    {"GetVpcLink", NULL, "GET", "/v2/vpclinks/{vpcLinkId}"},
    {"UpdateVpcLink", NULL, "PATCH", "/v2/vpclinks/{vpcLinkId}"},
    {"DeleteVpcLink", NULL, "DELETE", "/v2/vpclinks/{vpcLinkId}"},
    {"GetTags", NULL, "GET", "/v2/tags/{resource-arn}"},
    {"TagResource", NULL, "POST", "/v2/tags/{resource-arn}"},
    {"UntagResource", NULL, "DELETE", "/v2/tags/{resource-arn}"},
};

static int apigw_init(stratus *srv, aws_error *err)
{
    char errbuf[512];
    if (store_migrate(srv->store, "apigw", apigw_schema_steps,
                      sizeof apigw_schema_steps / sizeof *apigw_schema_steps,
                      errbuf, sizeof errbuf) != 0)
        return aws_fail(err, AWS_ERR_INTERNAL_SERVER_ERROR, "%s", errbuf);
    srv->service_state[stratus_service_index(&apigw_service)] =
        xcalloc(1, sizeof(apigw_state));
    return 0;
}

static void apigw_cleanup(stratus *srv)
{
    apigw_state *st = apigw__state(srv);
    while (st->buckets) {
        apigw_bucket *next = st->buckets->next;
        free(st->buckets);
        st->buckets = next;
    }
    free(st);
    srv->service_state[stratus_service_index(&apigw_service)] = NULL;
}

const aws_service apigw_service = {
    .name = "apigateway",
    .signing_name = "apigateway",
    .target_prefix = NULL,
    .error_prefix = "",
    .protocol = AWS_PROTO_REST_JSON,
    .operations = apigw_operations,
    .operation_count = sizeof apigw_operations / sizeof *apigw_operations,
    .init = apigw_init,
    .cleanup = apigw_cleanup,
};
