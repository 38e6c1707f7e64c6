/*
 * apigw_jwt.c: the JWT authorizer of HTTP APIs and the local token minter.
 *
 * The checks follow API Gateway's documented workflow for JWT authorizers.
 * The token comes from the identity source, where a "Bearer " prefix is
 * allowed. Its algorithm must be RSA, and its signature must verify with
 * the key of the issuer's JWKS that `kid` names. Then the claims: `iss`
 * equals the issuer, `aud` (or `client_id` when there is no `aud`) is one
 * of the audiences, `exp` is after now, `nbf` and `iat` are before now. A route
 * with AuthorizationScopes needs at least one of them in the token's
 * `scope` (or `scp`) claim.
 *
 * Claims reach the integration as strings, as API Gateway passes them:
 * numbers in plain decimal, booleans as true/false, arrays as "[a b]".
 */
#include "apigw_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include "util.h"

/* ---- base64 ---- */

char *apigw__base64(const unsigned char *data, size_t len)
{
    char *out = xmalloc(4 * ((len + 2) / 3) + 1);
    EVP_EncodeBlock((unsigned char *)out, data, (int)len);
    return out;
}

unsigned char *apigw__base64_decode(const char *text, size_t text_len,
                                    size_t *out_len)
{
    /* Normalize to the padded standard alphabet that EVP_DecodeBlock
     * takes. */
    size_t padded = (text_len + 3) / 4 * 4;
    char *norm = xmalloc(padded + 1);
    size_t pad = 0;
    for (size_t i = 0; i < text_len; i++) {
        char c = text[i];
        if (c == '-')
            c = '+';
        else if (c == '_')
            c = '/';
        else if (c == '=') {
            /* Padding only at the end. */
            for (size_t j = i; j < text_len; j++)
                if (text[j] != '=') {
                    free(norm);
                    return NULL;
                }
            text_len = i;
            padded = (text_len + 3) / 4 * 4;
            break;
        } else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                     (c >= '0' && c <= '9') || c == '+' || c == '/')) {
            free(norm);
            return NULL;
        }
        norm[i] = c;
    }
    if (text_len % 4 == 1) {
        free(norm);
        return NULL;
    }
    for (size_t i = text_len; i < padded; i++) {
        norm[i] = '=';
        pad++;
    }
    norm[padded] = '\0';
    unsigned char *out = xmalloc(padded / 4 * 3 + 1);
    int n =
        padded ? EVP_DecodeBlock(out, (unsigned char *)norm, (int)padded) : 0;
    free(norm);
    if (n < 0) {
        free(out);
        return NULL;
    }
    /* EVP_DecodeBlock counts the padding bytes as zeros. */
    *out_len = (size_t)n - pad;
    out[*out_len] = '\0';
    return out;
}

/* URL-safe base64 without padding, as JWTs use. */
static char *apigw_base64url(const unsigned char *data, size_t len)
{
    char *s = apigw__base64(data, len);
    size_t n = strlen(s);
    while (n && s[n - 1] == '=')
        s[--n] = '\0';
    for (char *p = s; *p; p++) {
        if (*p == '+')
            *p = '-';
        else if (*p == '/')
            *p = '_';
    }
    return s;
}

/* ---- the local identity provider's files ---- */

const char *apigw_auth_dir(void)
{
    static char dir[1024];
    const char *env = getenv("STRATUS_AUTH_DIR");
    if (env && *env) {
        snprintf(dir, sizeof dir, "%s", env);
        return dir;
    }
    if (access("fixtures/auth/jwks.json", R_OK) == 0) {
        snprintf(dir, sizeof dir, "fixtures/auth");
        return dir;
    }
    /* The source tree this build came from: emulator/apigw/<this file>. */
    snprintf(dir, sizeof dir, "%s", __FILE__);
    for (int up = 0; up < 3; up++) {
        char *slash = strrchr(dir, '/');
        if (!slash)
            break;
        *slash = '\0';
    }
    size_t used = strlen(dir);
    snprintf(dir + used, sizeof dir - used, "/fixtures/auth");
    return dir;
}

static cJSON *apigw_json_file(const char *path, char *errbuf, size_t errsize)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(errbuf, errsize, "cannot read %s", path);
        return NULL;
    }
    strbuf b;
    strbuf_init(&b);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0 && b.len < 1048576)
        strbuf_append(&b, chunk, n);
    fclose(f);
    cJSON *doc = b.data ? cJSON_ParseWithLength(b.data, b.len) : NULL;
    strbuf_free(&b);
    if (!doc)
        snprintf(errbuf, errsize, "%s is not valid JSON", path);
    return doc;
}

cJSON *apigw__jwks_load(const char *path, char *errbuf, size_t errsize)
{
    cJSON *jwks = apigw_json_file(path, errbuf, errsize);
    if (!jwks)
        return NULL;
    const cJSON *keys = cJSON_GetObjectItemCaseSensitive(jwks, "keys");
    if (!cJSON_IsArray(keys) || cJSON_GetArraySize(keys) == 0) {
        snprintf(errbuf, errsize,
                 "%s is not a JSON Web Key Set: it needs a non-empty \"keys\" "
                 "array",
                 path);
        cJSON_Delete(jwks);
        return NULL;
    }
    return jwks;
}

/* ---- RSA keys ---- */

static BIGNUM *apigw_bignum_b64url(const char *text)
{
    if (!text)
        return NULL;
    size_t len = 0;
    unsigned char *bytes = apigw__base64_decode(text, strlen(text), &len);
    if (!bytes || len == 0) {
        free(bytes);
        return NULL;
    }
    BIGNUM *bn = BN_bin2bn(bytes, (int)len, NULL);
    free(bytes);
    return bn;
}

/* The public key of a JWK with kty RSA; NULL when it is not usable. */
static EVP_PKEY *apigw_rsa_from_jwk(const cJSON *jwk)
{
    const cJSON *kty = cJSON_GetObjectItemCaseSensitive(jwk, "kty");
    if (!cJSON_IsString(kty) || strcmp(kty->valuestring, "RSA") != 0)
        return NULL;
    BIGNUM *n = apigw_bignum_b64url(
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(jwk, "n")));
    BIGNUM *e = apigw_bignum_b64url(
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(jwk, "e")));
    EVP_PKEY *pkey = NULL;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    if (!n || !e || !bld || !OSSL_PARAM_BLD_push_BN(bld, "n", n) ||
        !OSSL_PARAM_BLD_push_BN(bld, "e", e) ||
        !(params = OSSL_PARAM_BLD_to_param(bld)))
        goto done;
    ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    if (!ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
        EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
        pkey = NULL;
done:
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(n);
    BN_free(e);
    return pkey;
}

static const EVP_MD *apigw_rsa_digest(const char *alg)
{
    if (strcmp(alg, "RS256") == 0)
        return EVP_sha256();
    if (strcmp(alg, "RS384") == 0)
        return EVP_sha384();
    if (strcmp(alg, "RS512") == 0)
        return EVP_sha512();
    return NULL;
}

/* ---- claims as API Gateway passes them ---- */

static void apigw_claim_text(const cJSON *v, strbuf *out);

static int apigw_key_compare(const void *a, const void *b)
{
    return strcmp((*(const cJSON *const *)a)->string,
                  (*(const cJSON *const *)b)->string);
}

/* Render a claim value as a string: arrays as "[a b]", the form that users
 * of HTTP API JWT authorizers report for `cognito:groups`. NOTE: objects as
 * "map[k:v]" with sorted keys is assumed by analogy, not seen in an event. */
static void apigw_claim_text(const cJSON *v, strbuf *out)
{
    if (cJSON_IsString(v)) {
        strbuf_puts(out, v->valuestring);
    } else if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (d == (double)(long long)d && d < 1e18 && d > -1e18)
            strbuf_printf(out, "%lld", (long long)d);
        else
            strbuf_printf(out, "%.17g", d);
    } else if (cJSON_IsBool(v)) {
        strbuf_puts(out, cJSON_IsTrue(v) ? "true" : "false");
    } else if (cJSON_IsArray(v)) {
        strbuf_puts(out, "[");
        const cJSON *item;
        int first = 1;
        cJSON_ArrayForEach(item, v)
        {
            if (!first)
                strbuf_puts(out, " ");
            first = 0;
            apigw_claim_text(item, out);
        }
        strbuf_puts(out, "]");
    } else if (cJSON_IsObject(v)) {
        size_t count = (size_t)cJSON_GetArraySize(v), i = 0;
        const cJSON **members = xcalloc(count ? count : 1, sizeof *members);
        const cJSON *m;
        cJSON_ArrayForEach(m, v) members[i++] = m;
        qsort(members, count, sizeof *members, apigw_key_compare);
        strbuf_puts(out, "map[");
        for (i = 0; i < count; i++) {
            if (i)
                strbuf_puts(out, " ");
            strbuf_puts(out, members[i]->string);
            strbuf_puts(out, ":");
            apigw_claim_text(members[i], out);
        }
        strbuf_puts(out, "]");
        free(members);
    } else {
        strbuf_puts(out, "<nil>");
    }
}

static cJSON *apigw_claims_as_strings(const cJSON *payload)
{
    cJSON *claims = cJSON_CreateObject();
    const cJSON *c;
    cJSON_ArrayForEach(c, payload)
    {
        strbuf b;
        strbuf_init(&b);
        apigw_claim_text(c, &b);
        cJSON_AddStringToObject(claims, c->string, b.data ? b.data : "");
        strbuf_free(&b);
    }
    return claims;
}

/* The token's scopes: the space-separated `scope` claim, else `scp` (a
 * list or a string); a JSON null when it has neither. */
static cJSON *apigw_token_scopes(const cJSON *payload)
{
    const cJSON *scope = cJSON_GetObjectItemCaseSensitive(payload, "scope");
    if (!cJSON_IsString(scope))
        scope = cJSON_GetObjectItemCaseSensitive(payload, "scp");
    if (cJSON_IsArray(scope)) {
        cJSON *list = cJSON_CreateArray();
        const cJSON *s;
        cJSON_ArrayForEach(s, scope) if (cJSON_IsString(s))
            cJSON_AddItemToArray(list, cJSON_CreateString(s->valuestring));
        return list;
    }
    if (!cJSON_IsString(scope))
        return cJSON_CreateNull();
    cJSON *list = cJSON_CreateArray();
    char *copy = xstrdup(scope->valuestring), *save = NULL;
    for (char *tok = strtok_r(copy, " ", &save); tok;
         tok = strtok_r(NULL, " ", &save))
        cJSON_AddItemToArray(list, cJSON_CreateString(tok));
    free(copy);
    return list;
}

/* ---- the authorizer ---- */

static void apigw_deny(apigw_auth_result *out, const char *description)
{
    out->status = 401;
    snprintf(out->challenge, sizeof out->challenge,
             "Bearer scope=\"\" error=\"invalid_token\" "
             "error_description=\"%s\"",
             description);
}

/* The token from the authorizer's first identity source. */
static const char *apigw_identity(const cJSON *authorizer,
                                  const http_request *req)
{
    const cJSON *sources =
        cJSON_GetObjectItemCaseSensitive(authorizer, "IdentitySource");
    const cJSON *first = cJSON_GetArrayItem(sources, 0);
    const char *source = cJSON_GetStringValue(first);
    static const char prefix[] = "$request.header.";
    if (!source || strncasecmp(source, prefix, sizeof prefix - 1) != 0)
        return NULL;
    return http_request_header(req, source + sizeof prefix - 1);
}

static int apigw_numeric_claim(const cJSON *payload, const char *name,
                               double *value)
{
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(payload, name);
    if (cJSON_IsNumber(c)) {
        *value = c->valuedouble;
        return 1;
    }
    if (cJSON_IsString(c)) {
        char *end;
        *value = strtod(c->valuestring, &end);
        return *c->valuestring && !*end ? 1 : -1;
    }
    return c ? -1 : 0;
}

static int apigw_string_in(const cJSON *list, const char *value)
{
    const cJSON *item;
    cJSON_ArrayForEach(item, list) if (cJSON_IsString(item) &&
                                       strcmp(item->valuestring, value) ==
                                           0) return 1;
    return 0;
}

/* Check `aud` (a string or a list), or `client_id` when `aud` is absent. */
static int apigw_audience_ok(const cJSON *payload, const cJSON *audiences)
{
    const cJSON *aud = cJSON_GetObjectItemCaseSensitive(payload, "aud");
    if (cJSON_IsString(aud))
        return apigw_string_in(audiences, aud->valuestring);
    if (cJSON_IsArray(aud)) {
        const cJSON *a;
        cJSON_ArrayForEach(
            a, aud) if (cJSON_IsString(a) &&
                        apigw_string_in(audiences, a->valuestring)) return 1;
        return 0;
    }
    if (aud)
        return 0;
    const cJSON *client =
        cJSON_GetObjectItemCaseSensitive(payload, "client_id");
    return cJSON_IsString(client) &&
           apigw_string_in(audiences, client->valuestring);
}

/* Verify the signature of `signing_input` with the JWKS key `kid`.
 * Returns NULL when valid, else the description of the failure. */
static const char *
apigw_signature_check(const cJSON *authorizer, const char *alg, const char *kid,
                      const char *signing_input, size_t input_len,
                      const unsigned char *sig, size_t sig_len)
{
    const char *path = cJSON_GetStringValue(
        cJSON_GetObjectItemCaseSensitive(authorizer, "JwksFile"));
    char errbuf[256];
    cJSON *jwks = path ? apigw__jwks_load(path, errbuf, sizeof errbuf) : NULL;
    if (!jwks)
        return "the issuer's key set could not be read";
    const cJSON *key = NULL, *k;
    cJSON_ArrayForEach(k, cJSON_GetObjectItemCaseSensitive(jwks, "keys"))
    {
        const char *id =
            cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(k, "kid"));
        if (kid && id && strcmp(id, kid) == 0)
            key = k;
    }
    if (!key) {
        cJSON_Delete(jwks);
        return "the token's kid does not match a key of the issuer";
    }
    EVP_PKEY *pkey = apigw_rsa_from_jwk(key);
    cJSON_Delete(jwks);
    if (!pkey)
        return "the issuer's key is not a usable RSA key";
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok =
        md &&
        EVP_DigestVerifyInit(md, NULL, apigw_rsa_digest(alg), NULL, pkey) ==
            1 &&
        EVP_DigestVerify(md, sig, sig_len, (const unsigned char *)signing_input,
                         input_len) == 1;
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(pkey);
    return ok ? NULL : "crypto/rsa: verification error";
}

/* Decode one base64url segment holding a JSON object. */
static cJSON *apigw_segment_json(const char *text, size_t len)
{
    size_t n = 0;
    unsigned char *raw = apigw__base64_decode(text, len, &n);
    if (!raw)
        return NULL;
    cJSON *doc = cJSON_ParseWithLength((const char *)raw, n);
    free(raw);
    if (doc && !cJSON_IsObject(doc)) {
        cJSON_Delete(doc);
        return NULL;
    }
    return doc;
}

/* Check the claims after the signature; NULL when all pass. */
static const char *apigw_claims_check(const cJSON *authorizer,
                                      const cJSON *payload, int64_t now_s)
{
    const cJSON *config =
        cJSON_GetObjectItemCaseSensitive(authorizer, "JwtConfiguration");
    const char *issuer = cJSON_GetStringValue(
        cJSON_GetObjectItemCaseSensitive(config, "Issuer"));
    const char *iss =
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(payload, "iss"));
    if (!issuer || !iss || strcmp(iss, issuer) != 0)
        return "the token does not have a valid issuer";
    if (!apigw_audience_ok(
            payload, cJSON_GetObjectItemCaseSensitive(config, "Audience")))
        return "the token does not have a valid audience";
    double v;
    int has = apigw_numeric_claim(payload, "exp", &v);
    if (has < 0)
        return "the token's exp claim is not a number";
    if (has && (double)now_s >= v)
        return "the token has expired";
    has = apigw_numeric_claim(payload, "nbf", &v);
    if (has < 0)
        return "the token's nbf claim is not a number";
    if (has && (double)now_s < v)
        return "the token is not valid yet";
    has = apigw_numeric_claim(payload, "iat", &v);
    if (has < 0)
        return "the token's iat claim is not a number";
    if (has && (double)now_s < v)
        return "the token was issued in the future";
    return NULL;
}

/* Whether the token has one of the route's scopes; 1 when the route lists
 * none. */
static int apigw_scopes_ok(const cJSON *route, const cJSON *scopes,
                           char *expected, size_t size)
{
    const cJSON *wanted =
        cJSON_GetObjectItemCaseSensitive(route, "AuthorizationScopes");
    if (!cJSON_IsArray(wanted) || cJSON_GetArraySize(wanted) == 0)
        return 1;
    strbuf b;
    strbuf_init(&b);
    const cJSON *w;
    int ok = 0;
    cJSON_ArrayForEach(w, wanted)
    {
        if (!cJSON_IsString(w))
            continue;
        if (b.len)
            strbuf_puts(&b, " ");
        strbuf_puts(&b, w->valuestring);
        if (cJSON_IsArray(scopes) && apigw_string_in(scopes, w->valuestring))
            ok = 1;
    }
    snprintf(expected, size, "%s", b.data ? b.data : "");
    strbuf_free(&b);
    return ok;
}

void apigw__jwt_authorize(const cJSON *authorizer, const cJSON *route,
                          const http_request *req, int64_t now_s,
                          apigw_auth_result *out)
{
    memset(out, 0, sizeof *out);
    const char *token = apigw_identity(authorizer, req);
    /* NOTE: without a token AWS returns 401 before any check. Whether it
     * sends a www-authenticate header then is not documented, and Stratus
     * sends none. */
    if (!token || !*token) {
        out->status = 401;
        return;
    }
    if (strncasecmp(token, "Bearer ", 7) == 0)
        token += 7;
    while (*token == ' ')
        token++;

    const char *dot1 = strchr(token, '.');
    const char *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    if (!dot1 || !dot2 || strchr(dot2 + 1, '.')) {
        apigw_deny(out, "token contains an invalid number of segments");
        return;
    }
    cJSON *header = apigw_segment_json(token, (size_t)(dot1 - token));
    cJSON *payload = apigw_segment_json(dot1 + 1, (size_t)(dot2 - dot1 - 1));
    size_t sig_len = 0;
    unsigned char *sig =
        apigw__base64_decode(dot2 + 1, strlen(dot2 + 1), &sig_len);
    const char *failure = NULL;
    const char *alg =
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(header, "alg"));
    static char alg_message[96];
    if (!header || !payload || !sig) {
        failure = "the token could not be decoded";
    } else if (!alg || !apigw_rsa_digest(alg)) {
        snprintf(alg_message, sizeof alg_message,
                 "signing method %.40s is invalid", alg ? alg : "(none)");
        failure = alg_message;
    } else {
        const char *kid = cJSON_GetStringValue(
            cJSON_GetObjectItemCaseSensitive(header, "kid"));
        failure = apigw_signature_check(authorizer, alg, kid, token,
                                        (size_t)(dot2 - token), sig, sig_len);
    }
    if (!failure)
        failure = apigw_claims_check(authorizer, payload, now_s);
    free(sig);
    cJSON_Delete(header);
    if (failure) {
        cJSON_Delete(payload);
        apigw_deny(out, failure);
        return;
    }

    cJSON *scopes = apigw_token_scopes(payload);
    char expected[256];
    if (!apigw_scopes_ok(route, scopes, expected, sizeof expected)) {
        /* NOTE: AWS's exact challenge text for a missing scope is not
         * documented; this one follows RFC 6750's insufficient_scope. */
        out->status = 403;
        snprintf(out->challenge, sizeof out->challenge,
                 "Bearer scope=\"%s\" error=\"insufficient_scope\" "
                 "error_description=\"expected scopes: [%s]\"",
                 expected, expected);
        cJSON_Delete(scopes);
        cJSON_Delete(payload);
        return;
    }
    out->claims = apigw_claims_as_strings(payload);
    out->scopes = scopes;
    cJSON_Delete(payload);
}

/* ---- minting ---- */

static cJSON *apigw_user_find(const char *name, char *errbuf, size_t errsize)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/users.json", apigw_auth_dir());
    cJSON *doc = apigw_json_file(path, errbuf, errsize);
    if (!doc)
        return NULL;
    const cJSON *u;
    cJSON_ArrayForEach(u, cJSON_GetObjectItemCaseSensitive(doc, "users"))
    {
        const char *username = cJSON_GetStringValue(
            cJSON_GetObjectItemCaseSensitive(u, "username"));
        if (username && strcmp(username, name) == 0) {
            cJSON *copy = cJSON_Duplicate(u, 1);
            cJSON_Delete(doc);
            return copy;
        }
    }
    cJSON_Delete(doc);
    snprintf(errbuf, errsize, "user \"%s\" not found in %s", name, path);
    return NULL;
}

static char *apigw_sign(const char *input, char *errbuf, size_t errsize)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/private-key.pem", apigw_auth_dir());
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(errbuf, errsize, "cannot read the signing key %s", path);
        return NULL;
    }
    EVP_PKEY *key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    if (!key) {
        snprintf(errbuf, errsize, "%s is not a PEM private key", path);
        return NULL;
    }
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    size_t sig_len = 0;
    unsigned char *sig = NULL;
    char *out = NULL;
    if (md && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
        EVP_DigestSign(md, NULL, &sig_len, (const unsigned char *)input,
                       strlen(input)) == 1) {
        sig = xmalloc(sig_len);
        if (EVP_DigestSign(md, sig, &sig_len, (const unsigned char *)input,
                           strlen(input)) == 1)
            out = apigw_base64url(sig, sig_len);
    }
    if (!out)
        snprintf(errbuf, errsize, "signing with %s failed", path);
    free(sig);
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(key);
    return out;
}

static char *apigw_json_segment(const cJSON *doc)
{
    char *text = cJSON_PrintUnformatted(doc);
    char *seg = apigw_base64url((const unsigned char *)text, strlen(text));
    free(text);
    return seg;
}

char *apigw_jwt_mint(const apigw_jwt_options *options, char *errbuf,
                     size_t errsize)
{
    const char *use = options->token_use ? options->token_use : "id";
    if (strcmp(use, "id") != 0 && strcmp(use, "access") != 0) {
        snprintf(errbuf, errsize,
                 "invalid token use \"%s\": expected id or access", use);
        return NULL;
    }
    if (!options->user) {
        snprintf(errbuf, errsize, "the user name is missing");
        return NULL;
    }
    cJSON *user = apigw_user_find(options->user, errbuf, errsize);
    if (!user)
        return NULL;
    int64_t iat = options->issued_at ? options->issued_at : (int64_t)time(NULL);
    int64_t exp = iat + (options->expires_in_set ? options->expires_in : 3600);
    const char *client =
        options->client_id ? options->client_id : APIGW_LOCAL_CLIENT_ID;

    cJSON *header = cJSON_CreateObject();
    cJSON_AddStringToObject(header, "kid", APIGW_LOCAL_KEY_ID);
    cJSON_AddStringToObject(header, "alg", "RS256");
    cJSON *claims = cJSON_CreateObject();
    cJSON_AddStringToObject(
        claims, "sub",
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(user, "sub")));
    cJSON_AddStringToObject(
        claims, "iss", options->issuer ? options->issuer : APIGW_LOCAL_ISSUER);
    if (strcmp(use, "id") == 0) {
        cJSON_AddStringToObject(claims, "aud", client);
        const char *email = cJSON_GetStringValue(
            cJSON_GetObjectItemCaseSensitive(user, "email"));
        if (email) {
            cJSON_AddStringToObject(claims, "email", email);
            cJSON_AddBoolToObject(claims, "email_verified", 1);
        }
    } else {
        cJSON_AddStringToObject(claims, "client_id", client);
        cJSON_AddStringToObject(claims, "scope",
                                options->scope ? options->scope
                                               : "openid email profile");
        cJSON_AddStringToObject(claims, "username", options->user);
    }
    const cJSON *groups = cJSON_GetObjectItemCaseSensitive(user, "groups");
    if (cJSON_IsArray(groups) && cJSON_GetArraySize(groups) > 0)
        cJSON_AddItemToObject(claims, "cognito:groups",
                              cJSON_Duplicate(groups, 1));
    cJSON_AddStringToObject(claims, "token_use", use);
    cJSON_AddStringToObject(claims, "cognito:username", options->user);
    cJSON_AddNumberToObject(claims, "auth_time", (double)iat);
    cJSON_AddNumberToObject(claims, "iat", (double)iat);
    cJSON_AddNumberToObject(claims, "exp", (double)exp);
    char jti[37];
    util_uuid4(jti);
    cJSON_AddStringToObject(claims, "jti", jti);
    const cJSON *extra;
    cJSON_ArrayForEach(extra, options->extra_claims)
    {
        cJSON_DeleteItemFromObjectCaseSensitive(claims, extra->string);
        cJSON_AddItemToObject(claims, extra->string, cJSON_Duplicate(extra, 1));
    }
    cJSON_Delete(user);

    char *h = apigw_json_segment(header);
    char *p = apigw_json_segment(claims);
    cJSON_Delete(header);
    cJSON_Delete(claims);
    strbuf input;
    strbuf_init(&input);
    strbuf_printf(&input, "%s.%s", h, p);
    free(h);
    free(p);
    char *sig = apigw_sign(input.data, errbuf, errsize);
    if (!sig) {
        strbuf_free(&input);
        return NULL;
    }
    strbuf_printf(&input, ".%s", sig);
    free(sig);
    return strbuf_take(&input, NULL);
}
