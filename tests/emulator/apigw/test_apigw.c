/*
 * test_apigw.c: the HTTP API front door driven in process through
 * apigw_handle: route selection, CORS preflights, the JWT authorizer, the
 * payload 2.0 event a Node handler receives, the mapping of its results
 * and errors, and the read-only management API.
 */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "apigw.h"
#include "apigw_internal.h"
#include "lam.h"
#include "stack.h"
#include "ts.h"
#include "util.h"

/* The integration: its result depends on the path, and other paths get
 * the event back as the body. */
static const char node_handler[] =
    "export const handler = async (event) => {\n"
    "  const path = event.rawPath;\n"
    "  if (path === '/bare') return { hello: 'world', n: 1 };\n"
    "  if (path === '/string') return 'just text';\n"
    "  if (path === '/fail') throw new Error('boom');\n"
    "  if (path === '/invalid') return { statusCode: 'abc' };\n"
    "  if (path === '/slow') {\n"
    "    await new Promise((r) => setTimeout(r, 1500));\n"
    "    return {};\n"
    "  }\n"
    "  if (path === '/cookies') return {\n"
    "    statusCode: 201,\n"
    "    headers: { 'content-type': 'text/plain',\n"
    "      'access-control-allow-origin': 'https://evil.example',\n"
    "      'x-custom': 7 },\n"
    "    multiValueHeaders: { 'x-multi': ['a', 'b'] },\n"
    "    cookies: ['a=1; Path=/', 'b=2'],\n"
    "    body: 'made' };\n"
    "  if (path === '/binary') return { statusCode: 200,\n"
    "    headers: { 'content-type': 'application/octet-stream' },\n"
    "    isBase64Encoded: true, body: 'AAEC/w==' };\n"
    "  return { statusCode: 200, headers: { 'content-type': "
    "'application/json' },\n"
    "    body: JSON.stringify(event) };\n"
    "};\n";

static const char stack_template[] =
    "Resources:\n"
    "  Fn:\n"
    "    Type: AWS::Lambda::Function\n"
    "    Properties:\n"
    "      FunctionName: echo\n"
    "      Runtime: nodejs20.x\n"
    "      Handler: index.handler\n"
    "      Role: arn:aws:iam::123456789012:role/r\n"
    "      Code: {Directory: %s}\n"
    "  Api:\n"
    "    Type: AWS::ApiGatewayV2::Api\n"
    "    Properties:\n"
    "      Name: test-api\n"
    "      ProtocolType: HTTP\n"
    "      CorsConfiguration:\n"
    "        AllowOrigins: [http://localhost:3000]\n"
    "        AllowMethods: [GET, POST, DELETE, OPTIONS]\n"
    "        AllowHeaders: [Content-Type, Authorization, Idempotency-Key]\n"
    "        ExposeHeaders: [X-Request-ID]\n"
    "        AllowCredentials: true\n"
    "        MaxAge: 300\n"
    "      Authorizers:\n"
    "        - Name: jwt\n"
    "          AuthorizerType: JWT\n"
    "          IdentitySource: [$request.header.Authorization]\n"
    "          JwtConfiguration:\n"
    "            Issuer: " APIGW_LOCAL_ISSUER "\n"
    "            Audience: [" APIGW_LOCAL_CLIENT_ID "]\n"
    "      Routes:\n"
    "        - {RouteKey: \"GET /cards/{cardId}\", Target: echo,"
    " AuthorizationType: JWT, AuthorizerName: jwt}\n"
    "        - {RouteKey: \"POST /cards\", Target: echo,"
    " AuthorizationType: JWT, AuthorizerName: jwt,"
    " AuthorizationScopes: [cards/write]}\n"
    "        - {RouteKey: \"ANY /open/{proxy+}\", Target: echo}\n"
    "        - {RouteKey: \"GET /open/fixed\", Target: echo}\n"
    "        - {RouteKey: \"GET /bare\", Target: echo}\n"
    "        - {RouteKey: \"GET /string\", Target: echo}\n"
    "        - {RouteKey: \"GET /fail\", Target: echo}\n"
    "        - {RouteKey: \"GET /invalid\", Target: echo}\n"
    "        - {RouteKey: \"GET /cookies\", Target: echo}\n"
    "        - {RouteKey: \"GET /binary\", Target: echo}\n"
    "        - {RouteKey: \"GET /slow\", Target: echo, TimeoutInMillis: 300}\n"
    "        - {RouteKey: \"GET /missing\", Target: absent}\n";

static stratus *srv;
static char dir[64];

static int remove_entry(const char *path, const struct stat *sb, int flag,
                        struct FTW *ftw)
{
    remove(path);
    return 0;
}

static void write_file(const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "cannot write %s", path);
    fputs(text, f);
    fclose(f);
}

static void setup(void)
{
    char auth[1200];
    snprintf(auth, sizeof auth, "%s/fixtures/auth", STRATUS_SOURCE_DIR);
    setenv("STRATUS_AUTH_DIR", auth, 1);
    srv = ts_new();
    snprintf(dir, sizeof dir, "/tmp/stratus-apigw-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    write_file("index.mjs", node_handler);
    char stack[4096], path[128], errbuf[512];
    snprintf(stack, sizeof stack, stack_template, dir);
    write_file("stack.yaml", stack);
    snprintf(path, sizeof path, "%s/stack.yaml", dir);
    cr_assert_eq(stack_apply_file(srv, path, errbuf, sizeof errbuf), 0, "%s",
                 errbuf);
}

static void teardown(void)
{
    ts_free(srv);
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(apigw, .init = setup, .fini = teardown, .timeout = 60);

static void require_node(void)
{
    if (access("/usr/bin/node", X_OK) != 0 &&
        access("/usr/local/bin/node", X_OK) != 0)
        cr_skip_test("node is not installed; skipping");
}

/* ---- driving requests ---- */

typedef struct reply {
    int done;
    int inline_done; /* done ran inside apigw_handle */
    http_response resp;
} reply;

static void on_done(stratus *s, http_response *resp, void *arg)
{
    reply *r = arg;
    r->resp = *resp;
    http_response_init(resp);
    r->done = 1;
}

/* Send a request and run the loop until its response, for at most 15 s. */
static void send_request(const char *method, const char *path,
                         const char *query, http_header *headers,
                         size_t header_count, const char *body, reply *out)
{
    memset(out, 0, sizeof *out);
    http_request req = {
        .method = method,
        .path = path,
        .query = query ? query : "",
        .headers = headers,
        .header_count = header_count,
        .body = body,
        .body_len = body ? strlen(body) : 0,
        .remote_addr = "127.0.0.1",
    };
    apigw_handle(srv, &req, on_done, out);
    out->inline_done = out->done;
    for (int i = 0; i < 15000 && !out->done; i++) {
        uv_run(&srv->loop, UV_RUN_NOWAIT);
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
    cr_assert(out->done, "%s %s got no response within 15 s", method, path);
}

static void reply_free(reply *r)
{
    http_response_cleanup(&r->resp);
}

/* The value of the `nth` header called `name` (0 first), or NULL. */
static const char *header_nth(const reply *r, const char *name, int nth)
{
    for (size_t i = 0; i < r->resp.header_count; i++)
        if (strcasecmp(r->resp.headers[i].name, name) == 0 && nth-- == 0)
            return r->resp.headers[i].value;
    return NULL;
}

static const char *header(const reply *r, const char *name)
{
    return header_nth(r, name, 0);
}

static char *body_text(const reply *r)
{
    return xstrndup(r->resp.body ? r->resp.body : "", r->resp.body_len);
}

static void assert_message(const reply *r, int status, const char *body)
{
    char *text = body_text(r);
    cr_assert_eq(r->resp.status, status, "status %d, body %s", r->resp.status,
                 text);
    cr_assert_str_eq(text, body);
    cr_assert_str_eq(header(r, "Content-Type"), "application/json");
    cr_assert_not_null(header(r, "apigw-requestid"));
    free(text);
}

static char *mint(const apigw_jwt_options *options)
{
    char errbuf[256];
    char *token = apigw_jwt_mint(options, errbuf, sizeof errbuf);
    cr_assert_not_null(token, "%s", errbuf);
    return token;
}

/* Send GET /cards/1 with `authorization` (NULL: no header). */
static void get_card(const char *authorization, reply *r)
{
    http_header h[] = {{"Authorization", (char *)authorization}};
    send_request("GET", "/cards/1", NULL, h, authorization ? 1 : 0, NULL, r);
}

static cJSON *json_body(const reply *r)
{
    cJSON *doc = cJSON_ParseWithLength(r->resp.body, r->resp.body_len);
    cr_assert_not_null(doc, "the body is not JSON");
    return doc;
}

static const char *jstr(const cJSON *obj, const char *path)
{
    char copy[256];
    snprintf(copy, sizeof copy, "%s", path);
    const cJSON *cur = obj;
    char *save = NULL;
    for (char *part = strtok_r(copy, ".", &save); part && cur;
         part = strtok_r(NULL, ".", &save))
        cur = cJSON_GetObjectItemCaseSensitive(cur, part);
    return cJSON_GetStringValue(cur);
}

/* ---- routes ---- */

Test(apigw, unknown_route_is_404)
{
    reply r;
    send_request("GET", "/healthz", NULL, NULL, 0, NULL, &r);
    assert_message(&r, 404, "{\"message\":\"Not Found\"}");
    cr_assert(r.inline_done, "a 404 must not wait for an integration");
    reply_free(&r);

    send_request("PUT", "/bare", NULL, NULL, 0, NULL, &r);
    assert_message(&r, 404, "{\"message\":\"Not Found\"}");
    reply_free(&r);
}

Test(apigw, route_selection_most_specific)
{
    cJSON *api = cJSON_Parse("{\"Routes\":["
                             "{\"RouteKey\":\"ANY /a/{proxy+}\"},"
                             "{\"RouteKey\":\"GET /a/{id}\"},"
                             "{\"RouteKey\":\"GET /a/fixed\"},"
                             "{\"RouteKey\":\"ANY /a/{id}/b\"},"
                             "{\"RouteKey\":\"POST /a/{id}/b\"},"
                             "{\"RouteKey\":\"$default\"}]}");
    static const struct {
        const char *method, *path, *route;
    } cases[] = {
        {"GET", "/a/fixed", "GET /a/fixed"},
        {"GET", "/a/other", "GET /a/{id}"},
        {"DELETE", "/a/other", "ANY /a/{proxy+}"},
        {"GET", "/a/x/y/z", "ANY /a/{proxy+}"},
        {"POST", "/a/x/b", "POST /a/{id}/b"},
        {"GET", "/a/x/b", "ANY /a/{id}/b"},
        {"GET", "/elsewhere", "$default"},
        {"GET", "/a", "$default"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        apigw_match m;
        cr_assert(apigw__route_match(api, cases[i].method, cases[i].path, &m),
                  "%s %s matched nothing", cases[i].method, cases[i].path);
        cr_expect_str_eq(jstr(m.route, "RouteKey"), cases[i].route, "%s %s",
                         cases[i].method, cases[i].path);
        cJSON_Delete(m.path_parameters);
    }
    apigw_match m;
    cr_assert(apigw__route_match(api, "GET", "/a/x%2Fy/b", &m));
    cr_assert_str_eq(jstr(m.path_parameters, "id"), "x/y");
    cJSON_Delete(m.path_parameters);
    cJSON_Delete(api);
}

Test(apigw, stack_rejects_bad_route_key)
{
    char stack[512], path[128], errbuf[512];
    snprintf(stack, sizeof stack,
             "Resources:\n"
             "  Bad:\n"
             "    Type: AWS::ApiGatewayV2::Api\n"
             "    Properties:\n"
             "      Name: bad\n"
             "      Routes: [{RouteKey: \"FETCH /x\", Target: echo}]\n");
    write_file("bad.yaml", stack);
    snprintf(path, sizeof path, "%s/bad.yaml", dir);
    cr_assert_neq(stack_apply_file(srv, path, errbuf, sizeof errbuf), 0);
    cr_assert(strstr(errbuf, "invalid route key \"FETCH /x\""), "%s", errbuf);
}

/* ---- CORS ---- */

Test(apigw, preflight_answered_by_gateway)
{
    http_header h[] = {
        {"Origin", "http://localhost:3000"},
        {"Access-Control-Request-Method", "POST"},
        {"Access-Control-Request-Headers", "content-type,authorization"},
    };
    reply r;
    /* A JWT route and a path with no route: neither needs a token. */
    const char *paths[] = {"/cards", "/no/such/route"};
    for (size_t i = 0; i < 2; i++) {
        send_request("OPTIONS", paths[i], NULL, h, 3, NULL, &r);
        cr_assert_eq(r.resp.status, 204, "%s", paths[i]);
        cr_assert(r.inline_done, "a preflight must not invoke a function");
        cr_assert_str_eq(header(&r, "Access-Control-Allow-Origin"),
                         "http://localhost:3000");
        cr_assert_str_eq(header(&r, "Access-Control-Allow-Methods"),
                         "GET,POST,DELETE,OPTIONS");
        cr_assert_str_eq(header(&r, "Access-Control-Allow-Headers"),
                         "Content-Type,Authorization,Idempotency-Key");
        cr_assert_str_eq(header(&r, "Access-Control-Max-Age"), "300");
        cr_assert_str_eq(header(&r, "Access-Control-Allow-Credentials"),
                         "true");
        cr_assert_not_null(header(&r, "apigw-requestid"));
        cr_assert_eq(r.resp.body_len, 0);
        reply_free(&r);
    }
}

Test(apigw, preflight_disallowed_origin)
{
    http_header h[] = {
        {"Origin", "https://evil.example"},
        {"Access-Control-Request-Method", "GET"},
    };
    reply r;
    send_request("OPTIONS", "/cards/1", NULL, h, 2, NULL, &r);
    cr_assert_eq(r.resp.status, 204);
    cr_assert_null(header(&r, "Access-Control-Allow-Origin"));
    cr_assert_null(header(&r, "Access-Control-Allow-Methods"));
    reply_free(&r);
}

Test(apigw, cors_headers_replace_integration)
{
    require_node();
    http_header h[] = {{"Origin", "http://localhost:3000"}};
    reply r;
    send_request("GET", "/cookies", NULL, h, 1, NULL, &r);
    cr_assert_eq(r.resp.status, 201);
    cr_assert_str_eq(header(&r, "Access-Control-Allow-Origin"),
                     "http://localhost:3000");
    cr_assert_null(header_nth(&r, "Access-Control-Allow-Origin", 1),
                   "the integration's CORS header was kept");
    cr_assert_str_eq(header(&r, "Access-Control-Expose-Headers"),
                     "X-Request-ID");
    reply_free(&r);

    http_header evil[] = {{"Origin", "https://evil.example"}};
    send_request("GET", "/cookies", NULL, evil, 1, NULL, &r);
    cr_assert_null(header(&r, "Access-Control-Allow-Origin"));
    reply_free(&r);
}

/* ---- the JWT authorizer ---- */

static void assert_unauthorized(const reply *r, const char *description)
{
    assert_message(r, 401, "{\"message\":\"Unauthorized\"}");
    cr_assert(r->inline_done, "a rejected token must not invoke a function");
    if (!description) {
        cr_assert_null(header(r, "www-authenticate"));
        return;
    }
    char expected[300];
    snprintf(expected, sizeof expected,
             "Bearer scope=\"\" error=\"invalid_token\" "
             "error_description=\"%s\"",
             description);
    cr_assert_str_eq(header(r, "www-authenticate"), expected);
}

Test(apigw, jwt_missing_token)
{
    reply r;
    get_card(NULL, &r);
    assert_unauthorized(&r, NULL);
    reply_free(&r);
}

Test(apigw, jwt_expired)
{
    int64_t now = clock_now_ms(&srv->clock) / 1000;
    apigw_jwt_options o = {.user = "alice",
                           .issued_at = now - 7200,
                           .expires_in = 3600,
                           .expires_in_set = 1};
    char *token = mint(&o);
    reply r;
    get_card(token, &r);
    assert_unauthorized(&r, "the token has expired");
    reply_free(&r);
    free(token);
}

Test(apigw, jwt_expires_with_virtual_clock)
{
    require_node();
    int64_t now = clock_now_ms(&srv->clock) / 1000;
    apigw_jwt_options o = {.user = "alice", .issued_at = now};
    char *token = mint(&o);
    char bearer[4096];
    snprintf(bearer, sizeof bearer, "Bearer %s", token);
    reply r;
    get_card(bearer, &r);
    cr_assert_eq(r.resp.status, 200);
    reply_free(&r);

    clock_advance_to(&srv->clock, (now + 3601) * 1000);
    get_card(bearer, &r);
    assert_unauthorized(&r, "the token has expired");
    reply_free(&r);
    free(token);
}

Test(apigw, jwt_wrong_issuer)
{
    apigw_jwt_options o = {.user = "alice", .issuer = "https://evil.example"};
    char *token = mint(&o);
    reply r;
    get_card(token, &r);
    assert_unauthorized(&r, "the token does not have a valid issuer");
    reply_free(&r);
    free(token);
}

Test(apigw, jwt_wrong_audience)
{
    const char *uses[] = {"id", "access"};
    for (size_t i = 0; i < 2; i++) {
        apigw_jwt_options o = {
            .user = "bob", .token_use = uses[i], .client_id = "otherclient"};
        char *token = mint(&o);
        reply r;
        get_card(token, &r);
        assert_unauthorized(&r, "the token does not have a valid audience");
        reply_free(&r);
        free(token);
    }
}

Test(apigw, jwt_tampered_payload)
{
    apigw_jwt_options o = {.user = "alice"};
    char *token = mint(&o);
    /* Swap the payload for bob's: the signature no longer matches. */
    apigw_jwt_options other = {.user = "bob"};
    char *bob = mint(&other);
    char *dot1 = strchr(token, '.'), *dot2 = strrchr(token, '.');
    char *bdot1 = strchr(bob, '.'), *bdot2 = strrchr(bob, '.');
    strbuf forged;
    strbuf_init(&forged);
    strbuf_append(&forged, token, (size_t)(dot1 - token));
    strbuf_append(&forged, bdot1, (size_t)(bdot2 - bdot1));
    strbuf_puts(&forged, dot2);
    reply r;
    get_card(forged.data, &r);
    assert_unauthorized(&r, "crypto/rsa: verification error");
    reply_free(&r);
    strbuf_free(&forged);
    free(token);
    free(bob);
}

Test(apigw, jwt_malformed_tokens)
{
    reply r;
    get_card("Bearer abc", &r);
    assert_unauthorized(&r, "token contains an invalid number of segments");
    reply_free(&r);

    /* {"alg":"HS256","kid":"stratus-local-1"} . {} . sig */
    get_card("eyJhbGciOiJIUzI1NiIsImtpZCI6InN0cmF0dXMtbG9jYWwtMSJ9.e30.c2ln",
             &r);
    assert_unauthorized(&r, "signing method HS256 is invalid");
    reply_free(&r);

    /* {"alg":"RS256","kid":"other"} . {} . sig */
    get_card("eyJhbGciOiJSUzI1NiIsImtpZCI6Im90aGVyIn0.e30.c2ln", &r);
    assert_unauthorized(&r,
                        "the token's kid does not match a key of the issuer");
    reply_free(&r);

    get_card("Bearer !!.e30.c2ln", &r);
    assert_unauthorized(&r, "the token could not be decoded");
    reply_free(&r);
}

Test(apigw, jwt_missing_scope_is_403)
{
    apigw_jwt_options o = {.user = "bob", .token_use = "access"};
    char *token = mint(&o);
    http_header h[] = {{"Authorization", token}};
    reply r;
    send_request("POST", "/cards", NULL, h, 1, "{}", &r);
    assert_message(&r, 403, "{\"message\":\"Forbidden\"}");
    cr_assert(
        strstr(header(&r, "www-authenticate"), "error=\"insufficient_scope\""));
    reply_free(&r);
    free(token);
}

Test(apigw, jwt_claims_reach_handler)
{
    require_node();
    cJSON *extra = cJSON_Parse("{\"cognito:groups\":[\"admin\",\"beta\"],"
                               "\"scope\":\"cards/write openid\"}");
    apigw_jwt_options o = {.user = "alice", .extra_claims = extra};
    char *token = mint(&o);
    http_header h[] = {{"Authorization", token}};
    reply r;
    send_request("POST", "/cards", NULL, h, 1, "{\"a\":1}", &r);
    cr_assert_eq(r.resp.status, 200);
    cJSON *event = json_body(&r);
    const cJSON *claims = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(
                cJSON_GetObjectItemCaseSensitive(event, "requestContext"),
                "authorizer"),
            "jwt"),
        "claims");
    cr_assert_str_eq(jstr(claims, "sub"),
                     "24b6b40f-5d43-47c8-9ec0-d4bcc0837fee");
    cr_assert_str_eq(jstr(claims, "email"), "alice@example.com");
    cr_assert_str_eq(jstr(claims, "cognito:groups"), "[admin beta]");
    cr_assert_str_eq(jstr(claims, "email_verified"), "true");
    const cJSON *c;
    cJSON_ArrayForEach(c, claims)
        cr_assert(cJSON_IsString(c), "claim %s is not a string", c->string);
    char exp[32];
    snprintf(exp, sizeof exp, "%s", jstr(claims, "exp"));
    cr_assert(strlen(exp) >= 10 && strspn(exp, "0123456789") == strlen(exp),
              "exp is %s", exp);
    const cJSON *scopes = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(
                cJSON_GetObjectItemCaseSensitive(event, "requestContext"),
                "authorizer"),
            "jwt"),
        "scopes");
    cr_assert_eq(cJSON_GetArraySize(scopes), 2);
    cr_assert_str_eq(cJSON_GetArrayItem(scopes, 0)->valuestring, "cards/write");
    cJSON_Delete(event);
    reply_free(&r);
    free(token);
    cJSON_Delete(extra);
}

Test(apigw, jwt_access_token_accepted)
{
    require_node();
    apigw_jwt_options o = {.user = "bob", .token_use = "access"};
    char *token = mint(&o);
    char bearer[4096];
    snprintf(bearer, sizeof bearer, "Bearer %s", token);
    reply r;
    get_card(bearer, &r);
    cr_assert_eq(r.resp.status, 200);
    cJSON *event = json_body(&r);
    cr_assert_str_eq(
        jstr(event, "requestContext.authorizer.jwt.claims.client_id"),
        APIGW_LOCAL_CLIENT_ID);
    cr_assert_str_eq(jstr(event, "requestContext.authorizer.jwt.claims.sub"),
                     "c5446499-0392-41ad-ad83-7089895e7519");
    cJSON_Delete(event);
    reply_free(&r);
    free(token);
}

/* ---- the event and the response mapping ---- */

Test(apigw, event_format_2_0)
{
    require_node();
    apigw_jwt_options o = {.user = "alice"};
    char *token = mint(&o);
    http_header h[] = {
        {"Authorization", token},     {"Host", "127.0.0.1:4567"},
        {"X-Multi", "one"},           {"x-multi", "two"},
        {"Cookie", "s=1; t=2"},       {"Origin", "http://localhost:3000"},
        {"User-Agent", "test-agent"},
    };
    reply r;
    send_request("GET", "/cards/a%20b",
                 "limit=5&cursor=eyJ%2B%2F%3D&limit=6&f&q=a+b", h,
                 sizeof h / sizeof *h, NULL, &r);
    cr_assert_eq(r.resp.status, 200);
    cJSON *e = json_body(&r);
    cr_assert_str_eq(jstr(e, "version"), "2.0");
    cr_assert_str_eq(jstr(e, "routeKey"), "GET /cards/{cardId}");
    cr_assert_str_eq(jstr(e, "rawPath"), "/cards/a b");
    cr_assert_str_eq(jstr(e, "rawQueryString"),
                     "limit=5&cursor=eyJ%2B%2F%3D&limit=6&f&q=a+b");
    cr_assert_str_eq(jstr(e, "headers.x-multi"), "one,two");
    cr_assert_str_eq(jstr(e, "headers.origin"), "http://localhost:3000");
    cr_assert_null(jstr(e, "headers.cookie"));
    const cJSON *cookies = cJSON_GetObjectItemCaseSensitive(e, "cookies");
    cr_assert_eq(cJSON_GetArraySize(cookies), 2);
    cr_assert_str_eq(cJSON_GetArrayItem(cookies, 1)->valuestring, "t=2");
    cr_assert_str_eq(jstr(e, "queryStringParameters.limit"), "5,6");
    cr_assert_str_eq(jstr(e, "queryStringParameters.cursor"), "eyJ+/=");
    cr_assert_str_eq(jstr(e, "queryStringParameters.f"), "");
    cr_assert_str_eq(jstr(e, "queryStringParameters.q"), "a b");
    cr_assert_str_eq(jstr(e, "pathParameters.cardId"), "a b");
    cr_assert_str_eq(jstr(e, "requestContext.accountId"), "123456789012");
    cr_assert_eq(strlen(jstr(e, "requestContext.apiId")), 10);
    cr_assert_str_eq(jstr(e, "requestContext.domainName"), "127.0.0.1:4567");
    cr_assert_str_eq(jstr(e, "requestContext.domainPrefix"), "127");
    cr_assert_str_eq(jstr(e, "requestContext.http.method"), "GET");
    cr_assert_str_eq(jstr(e, "requestContext.http.path"), "/cards/a b");
    cr_assert_str_eq(jstr(e, "requestContext.http.protocol"), "HTTP/1.1");
    cr_assert_str_eq(jstr(e, "requestContext.http.sourceIp"), "127.0.0.1");
    cr_assert_str_eq(jstr(e, "requestContext.http.userAgent"), "test-agent");
    cr_assert_str_eq(jstr(e, "requestContext.requestId"),
                     header(&r, "apigw-requestid"));
    cr_assert_str_eq(jstr(e, "requestContext.stage"), "$default");
    const char *when = jstr(e, "requestContext.time");
    int day, year, hh, mm, ss;
    char month[4];
    cr_assert_eq(sscanf(when, "%2d/%3s/%4d:%2d:%2d:%2d +0000", &day, month,
                        &year, &hh, &mm, &ss),
                 6, "time is %s", when);
    cr_assert(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(e, "requestContext"), "timeEpoch")));
    cr_assert(
        cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(e, "isBase64Encoded")));
    cr_assert_null(cJSON_GetObjectItemCaseSensitive(e, "body"));
    cJSON_Delete(e);
    reply_free(&r);
    free(token);
}

Test(apigw, event_binary_body_base64)
{
    require_node();
    http_header h[] = {{"Content-Type", "image/png"}};
    reply r;
    send_request("POST", "/open/upload", NULL, h, 1, "PNG\x01\x02", &r);
    cr_assert_eq(r.resp.status, 200);
    cJSON *e = json_body(&r);
    cr_assert_str_eq(jstr(e, "routeKey"), "ANY /open/{proxy+}");
    cr_assert_str_eq(jstr(e, "pathParameters.proxy"), "upload");
    cr_assert_str_eq(jstr(e, "body"), "UE5HAQI=");
    cr_assert(
        cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "isBase64Encoded")));
    cJSON_Delete(e);
    reply_free(&r);

    http_header json[] = {{"Content-Type", "application/json"}};
    send_request("POST", "/open/fixed", NULL, json, 1, "{\"x\":1}", &r);
    e = json_body(&r);
    cr_assert_str_eq(jstr(e, "routeKey"), "ANY /open/{proxy+}",
                     "POST must not take the GET /open/fixed route");
    cr_assert_str_eq(jstr(e, "body"), "{\"x\":1}");
    cr_assert(
        cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(e, "isBase64Encoded")));
    cJSON_Delete(e);
    reply_free(&r);
}

Test(apigw, bare_object_is_200_json)
{
    require_node();
    reply r;
    send_request("GET", "/bare", NULL, NULL, 0, NULL, &r);
    assert_message(&r, 200, "{\"hello\":\"world\",\"n\":1}");
    reply_free(&r);

    send_request("GET", "/string", NULL, NULL, 0, NULL, &r);
    assert_message(&r, 200, "just text");
    reply_free(&r);
}

Test(apigw, proxy_response_with_cookies)
{
    require_node();
    reply r;
    send_request("GET", "/cookies", NULL, NULL, 0, NULL, &r);
    char *text = body_text(&r);
    cr_assert_eq(r.resp.status, 201);
    cr_assert_str_eq(text, "made");
    cr_assert_str_eq(header(&r, "content-type"), "text/plain");
    cr_assert_str_eq(header(&r, "x-custom"), "7");
    cr_assert_str_eq(header_nth(&r, "Set-Cookie", 0), "a=1; Path=/");
    cr_assert_str_eq(header_nth(&r, "Set-Cookie", 1), "b=2");
    cr_assert_str_eq(header_nth(&r, "x-multi", 0), "a");
    cr_assert_str_eq(header_nth(&r, "x-multi", 1), "b");
    free(text);
    reply_free(&r);

    send_request("GET", "/binary", NULL, NULL, 0, NULL, &r);
    cr_assert_eq(r.resp.body_len, 4);
    cr_assert_eq(memcmp(r.resp.body, "\x00\x01\x02\xff", 4), 0);
    reply_free(&r);
}

Test(apigw, function_error_is_500)
{
    require_node();
    reply r;
    send_request("GET", "/fail", NULL, NULL, 0, NULL, &r);
    assert_message(&r, 500, "{\"message\":\"Internal Server Error\"}");
    reply_free(&r);

    send_request("GET", "/invalid", NULL, NULL, 0, NULL, &r);
    assert_message(&r, 500, "{\"message\":\"Internal Server Error\"}");
    reply_free(&r);

    send_request("GET", "/missing", NULL, NULL, 0, NULL, &r);
    assert_message(&r, 500, "{\"message\":\"Internal Server Error\"}");
    reply_free(&r);
}

Test(apigw, integration_timeout_is_503)
{
    require_node();
    reply r;
    send_request("GET", "/slow", NULL, NULL, 0, NULL, &r);
    assert_message(&r, 503, "{\"message\":\"Service Unavailable\"}");
    reply_free(&r);
    /* Let the detached invocation finish before the instance goes. */
    for (int i = 0; i < 3000; i++) {
        uv_run(&srv->loop, UV_RUN_NOWAIT);
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
}

Test(apigw, throttled_function_is_500)
{
    aws_error err;
    memset(&err, 0, sizeof err);
    cr_assert_eq(lam_fault_set(srv, "123456789012", "us-east-1", "echo",
                               LAM_FAULT_THROTTLE, 1, NULL, &err),
                 0);
    reply r;
    send_request("GET", "/bare", NULL, NULL, 0, NULL, &r);
    assert_message(&r, 500, "{\"message\":\"Internal Server Error\"}");
    reply_free(&r);
}

/* ---- minting and the management API ---- */

Test(apigw, mint_unknown_user)
{
    char errbuf[256];
    apigw_jwt_options o = {.user = "carol"};
    cr_assert_null(apigw_jwt_mint(&o, errbuf, sizeof errbuf));
    cr_assert(strstr(errbuf, "user \"carol\" not found"), "%s", errbuf);
    apigw_jwt_options bad = {.user = "alice", .token_use = "refresh"};
    cr_assert_null(apigw_jwt_mint(&bad, errbuf, sizeof errbuf));
    cr_assert(strstr(errbuf, "expected id or access"), "%s", errbuf);
}

Test(apigw, management_get_apis)
{
    int status = 0;
    cJSON *out =
        ts_rest_call(srv, "GET", "/v2/apis", "apigateway", NULL, &status, NULL);
    cr_assert_eq(status, 200);
    const cJSON *api =
        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(out, "items"), 0);
    cr_assert_str_eq(jstr(api, "name"), "test-api");
    cr_assert_str_eq(jstr(api, "protocolType"), "HTTP");
    cr_assert(strncmp(jstr(api, "apiEndpoint"), "http://127.0.0.1:", 17) == 0);
    char path[128];
    snprintf(path, sizeof path, "/v2/apis/%s/routes", jstr(api, "apiId"));
    cJSON *routes =
        ts_rest_call(srv, "GET", path, "apigateway", NULL, &status, NULL);
    cr_assert_eq(status, 200);
    const cJSON *first = cJSON_GetArrayItem(
        cJSON_GetObjectItemCaseSensitive(routes, "items"), 0);
    cr_assert_str_eq(jstr(first, "routeKey"), "GET /cards/{cardId}");
    cr_assert_str_eq(jstr(first, "authorizationType"), "JWT");
    cr_assert(strncmp(jstr(first, "target"), "integrations/", 13) == 0);
    cJSON_Delete(routes);
    cJSON_Delete(out);

    out = ts_rest_call(srv, "GET", "/v2/apis/nosuchapi0", "apigateway", NULL,
                       &status, NULL);
    cr_assert_eq(status, 404);
    cJSON_Delete(out);
}

Test(apigw, host_header_selects_api)
{
    char path[128], errbuf[512];
    write_file("second.yaml", "Resources:\n"
                              "  Second:\n"
                              "    Type: AWS::ApiGatewayV2::Api\n"
                              "    Properties:\n"
                              "      Name: second-api\n"
                              "      Routes: []\n");
    snprintf(path, sizeof path, "%s/second.yaml", dir);
    cr_assert_eq(stack_apply_file(srv, path, errbuf, sizeof errbuf), 0, "%s",
                 errbuf);

    int status = 0;
    cJSON *apis =
        ts_rest_call(srv, "GET", "/v2/apis", "apigateway", NULL, &status, NULL);
    const cJSON *second =
        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(apis, "items"), 1);
    cr_assert_str_eq(jstr(second, "name"), "second-api");
    char host[128];
    snprintf(host, sizeof host, "%s.execute-api.localhost:4567",
             jstr(second, "apiId"));
    cJSON_Delete(apis);

    /* The first API has CORS, so it returns 204 for the preflight. The
     * second has no CORS and no routes. */
    http_header h[] = {
        {"Origin", "http://localhost:3000"},
        {"Access-Control-Request-Method", "GET"},
        {"Host", host},
    };
    reply r;
    send_request("OPTIONS", "/bare", NULL, h, 3, NULL, &r);
    assert_message(&r, 404, "{\"message\":\"Not Found\"}");
    reply_free(&r);

    send_request("OPTIONS", "/bare", NULL, h, 2, NULL, &r);
    cr_assert_eq(r.resp.status, 204);
    reply_free(&r);
}

Test(apigw, management_parts_of_api)
{
    int status = 0;
    cJSON *apis =
        ts_rest_call(srv, "GET", "/v2/apis", "apigateway", NULL, &status, NULL);
    char base[128], path[256];
    snprintf(base, sizeof base, "/v2/apis/%s",
             jstr(cJSON_GetArrayItem(
                      cJSON_GetObjectItemCaseSensitive(apis, "items"), 0),
                  "apiId"));
    cJSON_Delete(apis);

    snprintf(path, sizeof path, "%s/authorizers", base);
    cJSON *out =
        ts_rest_call(srv, "GET", path, "apigateway", NULL, &status, NULL);
    cr_assert_eq(status, 200);
    const cJSON *a =
        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(out, "items"), 0);
    cr_assert_str_eq(jstr(a, "name"), "jwt");
    cr_assert_str_eq(jstr(a, "jwtConfiguration.issuer"), APIGW_LOCAL_ISSUER);
    cr_assert_null(cJSON_GetObjectItemCaseSensitive(a, "JwksFile"),
                   "the Stratus-only JwksFile leaked into the output");
    char authorizer[256];
    snprintf(authorizer, sizeof authorizer, "%s/authorizers/%s", base,
             jstr(a, "authorizerId"));
    cJSON_Delete(out);
    out =
        ts_rest_call(srv, "GET", authorizer, "apigateway", NULL, &status, NULL);
    cr_assert_eq(status, 200);
    cr_assert_str_eq(jstr(out, "name"), "jwt");
    cJSON_Delete(out);

    snprintf(path, sizeof path, "%s/stages", base);
    out = ts_rest_call(srv, "GET", path, "apigateway", NULL, &status, NULL);
    cr_assert_eq(status, 200);
    cr_assert_str_eq(
        jstr(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(out, "items"),
                                0),
             "stageName"),
        "$default");
    cJSON_Delete(out);

    snprintf(path, sizeof path, "%s/integrations", base);
    out = ts_rest_call(srv, "GET", path, "apigateway", NULL, &status, NULL);
    cr_assert_eq(status, 200);
    const cJSON *i =
        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(out, "items"), 0);
    cr_assert_str_eq(jstr(i, "integrationType"), "AWS_PROXY");
    cr_assert_str_eq(jstr(i, "payloadFormatVersion"), "2.0");
    cr_assert_str_eq(jstr(i, "integrationUri"),
                     "arn:aws:lambda:us-east-1:123456789012:function:echo");
    cJSON_Delete(out);

    snprintf(path, sizeof path, "%s/routes", base);
    out = ts_rest_call(srv, "POST", path, "apigateway", "{}", &status, NULL);
    cr_assert_eq(status, 400);
    cJSON_Delete(out);
}

Test(apigw, stack_rejects_invalid_properties)
{
    static const struct {
        const char *properties, *message;
    } cases[] = {
        {"Name: x\n      Routes: []\n      Stage: v1\n",
         "unknown property Stage"},
        {"Name: x\n      ProtocolType: WEBSOCKET\n      Routes: []\n",
         "ProtocolType WEBSOCKET is not supported"},
        {"Routes: []\n", "Name must be 1 to 128 characters"},
        {"Name: x\n", "Routes must be a list"},
        {"Name: x\n      Routes: [{RouteKey: \"GET /a\", Target: f},"
         " {RouteKey: \"GET /a\", Target: f}]\n",
         "route key GET /a appears twice"},
        {"Name: x\n      Routes: [{RouteKey: \"GET /a\"}]\n",
         "route GET /a has no Target"},
        {"Name: x\n      Routes: [{RouteKey: \"GET /{p+}/a\", Target: f}]\n",
         "must be the last segment"},
        {"Name: x\n      Routes: [{RouteKey: \"GET /a\", Target: f,"
         " AuthorizationType: JWT, AuthorizerName: none}]\n",
         "AuthorizerName names no authorizer"},
        {"Name: x\n      Routes: [{RouteKey: \"GET /a\", Target: f,"
         " AuthorizationType: AWS_IAM}]\n",
         "AuthorizationType must be NONE or JWT"},
        {"Name: x\n      Routes: [{RouteKey: \"GET /a\", Target: f,"
         " TimeoutInMillis: 40000}]\n",
         "TimeoutInMillis must be from 50 to 30000"},
        {"Name: x\n      CorsConfiguration: {AllowOrigins: \"*\"}\n"
         "      Routes: []\n",
         "CorsConfiguration.AllowOrigins must be a list of strings"},
        {"Name: x\n      CorsConfiguration: {MaxAge: 100000}\n"
         "      Routes: []\n",
         "CorsConfiguration.MaxAge must be a number of seconds"},
        {"Name: x\n      Authorizers: [{Name: a, AuthorizerType: REQUEST}]\n"
         "      Routes: []\n",
         "authorizer a: AuthorizerType must be JWT"},
        {"Name: x\n      Authorizers: [{Name: a, AuthorizerType: JWT}]\n"
         "      Routes: []\n",
         "authorizer a: JwtConfiguration.Issuer is missing"},
        {"Name: x\n      Authorizers: [{Name: a, AuthorizerType: JWT,"
         " JwtConfiguration: {Issuer: i}, JwksFile: /nonexistent/jwks.json}]\n"
         "      Routes: []\n",
         "JwksFile: cannot read /nonexistent/jwks.json"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char stack[1024], path[128], errbuf[512] = "";
        snprintf(stack, sizeof stack,
                 "Resources:\n"
                 "  Bad:\n"
                 "    Type: AWS::ApiGatewayV2::Api\n"
                 "    Properties:\n"
                 "      %s",
                 cases[i].properties);
        write_file("bad.yaml", stack);
        snprintf(path, sizeof path, "%s/bad.yaml", dir);
        cr_expect_neq(stack_apply_file(srv, path, errbuf, sizeof errbuf), 0,
                      "case %zu was accepted", i);
        cr_expect(strstr(errbuf, cases[i].message), "case %zu: %s", i, errbuf);
    }
}

Test(apigw, stage_throttling_is_429)
{
    char path[128], errbuf[512];
    write_file("throttled.yaml", "Resources:\n"
                                 "  Throttled:\n"
                                 "    Type: AWS::ApiGatewayV2::Api\n"
                                 "    Properties:\n"
                                 "      Name: throttled-api\n"
                                 "      DefaultRouteSettings:\n"
                                 "        ThrottlingBurstLimit: 2\n"
                                 "        ThrottlingRateLimit: 0\n"
                                 "      Routes: []\n");
    snprintf(path, sizeof path, "%s/throttled.yaml", dir);
    cr_assert_eq(stack_apply_file(srv, path, errbuf, sizeof errbuf), 0, "%s",
                 errbuf);
    int status = 0;
    cJSON *apis =
        ts_rest_call(srv, "GET", "/v2/apis", "apigateway", NULL, &status, NULL);
    char host[128];
    snprintf(host, sizeof host, "%s.execute-api.localhost",
             jstr(cJSON_GetArrayItem(
                      cJSON_GetObjectItemCaseSensitive(apis, "items"), 1),
                  "apiId"));
    cJSON_Delete(apis);

    http_header h[] = {{"Host", host}};
    reply r;
    for (int i = 0; i < 2; i++) {
        send_request("GET", "/anything", NULL, h, 1, NULL, &r);
        assert_message(&r, 404, "{\"message\":\"Not Found\"}");
        reply_free(&r);
    }
    send_request("GET", "/anything", NULL, h, 1, NULL, &r);
    assert_message(&r, 429, "{\"message\":\"Too Many Requests\"}");
    reply_free(&r);

    /* The first API has no throttling. */
    for (int i = 0; i < 5; i++) {
        send_request("GET", "/anything", NULL, NULL, 0, NULL, &r);
        cr_assert_eq(r.resp.status, 404);
        reply_free(&r);
    }
}

Test(apigw, redeploy_keeps_api_id)
{
    int status = 0;
    cJSON *before =
        ts_rest_call(srv, "GET", "/v2/apis", "apigateway", NULL, &status, NULL);
    char id[16];
    snprintf(id, sizeof id, "%s",
             jstr(cJSON_GetArrayItem(
                      cJSON_GetObjectItemCaseSensitive(before, "items"), 0),
                  "apiId"));
    cJSON_Delete(before);

    char path[128], errbuf[512];
    write_file("renamed.yaml",
               "Resources:\n"
               "  Api:\n"
               "    Type: AWS::ApiGatewayV2::Api\n"
               "    Properties: {Name: renamed-api, Routes: []}\n");
    snprintf(path, sizeof path, "%s/renamed.yaml", dir);
    cr_assert_eq(stack_apply_file(srv, path, errbuf, sizeof errbuf), 0, "%s",
                 errbuf);

    cJSON *after =
        ts_rest_call(srv, "GET", "/v2/apis", "apigateway", NULL, &status, NULL);
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(after, "items");
    cr_assert_eq(cJSON_GetArraySize(items), 1);
    cr_assert_str_eq(jstr(cJSON_GetArrayItem(items, 0), "apiId"), id);
    cr_assert_str_eq(jstr(cJSON_GetArrayItem(items, 0), "name"), "renamed-api");
    cJSON_Delete(after);

    reply r;
    send_request("GET", "/bare", NULL, NULL, 0, NULL, &r);
    assert_message(&r, 404, "{\"message\":\"Not Found\"}");
    reply_free(&r);
}
