/*
 * aws.c: the AWS protocol layer: error codes, SigV4 credential scopes,
 * routing a request to a service operation, and encoding its response or
 * error in the service's protocol.
 *
 * Implemented protocols: JSON 1.0 and 1.1 (X-Amz-Target), REST-JSON, and
 * Query for JSON services that declare a Query table (aws_query.c). Other
 * REST-XML and Query requests route here by credential scope and report a
 * clear error until their services exist.
 */
#include "aws.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zlib.h>

#include "aws_query.h"
#include "http.h"
#include "iam.h"
#include "log.h"
#include "stratus.h"
#include "util.h"

typedef struct aws_code_info {
    const char *name;
    int status;
    const char *message;
} aws_code_info;

static const aws_code_info aws_code_table[] = {{"", 200, NULL},
#define AWS__INFO(sym, name, status, msg) {name, status, msg},
                                               AWS_ERRORS(AWS__INFO)
#undef AWS__INFO
};

const char *aws_code_name(aws_code code)
{
    return code < AWS_ERR__COUNT ? aws_code_table[code].name : "";
}

int aws_code_status(aws_code code)
{
    return code < AWS_ERR__COUNT ? aws_code_table[code].status : 500;
}

const char *aws_code_message(aws_code code)
{
    return code < AWS_ERR__COUNT ? aws_code_table[code].message : NULL;
}

int aws_vfail(aws_error *err, aws_code code, const char *fmt, va_list ap)
{
    err->code = code;
    if (fmt)
        vsnprintf(err->message, sizeof err->message, fmt, ap);
    else if (aws_code_message(code))
        snprintf(err->message, sizeof err->message, "%s",
                 aws_code_message(code));
    else
        err->message[0] = '\0';
    return -1;
}

int aws_fail(aws_error *err, aws_code code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    aws_vfail(err, code, fmt, ap);
    va_end(ap);
    return -1;
}

void aws_error_reset(aws_error *err)
{
    cJSON_Delete(err->extra);
    memset(err, 0, sizeof *err);
}

const aws_service *aws_service_by_name(const char *name)
{
    for (size_t i = 0; i < aws_service_count; i++)
        if (strcmp(aws_services[i]->name, name) == 0)
            return aws_services[i];
    return NULL;
}

const aws_operation *aws_operation_find(const aws_service *svc,
                                        const char *name)
{
    for (size_t i = 0; i < svc->operation_count; i++)
        if (strcmp(svc->operations[i].name, name) == 0)
            return &svc->operations[i];
    return NULL;
}

static void aws_copy_field(char *dst, size_t size, const char *src, size_t len)
{
    if (len >= size)
        len = size - 1;
    memcpy(dst, src, len);
    dst[len] = '\0';
}

int aws_sigv4_scope(const char *credential, char *access_key, size_t ak_size,
                    char *region, size_t region_size, char *service,
                    size_t service_size)
{
    /* AKID/yyyymmdd/region/service/aws4_request, '/' possibly as %2F */
    const char *parts[5];
    size_t lens[5];
    const char *p = credential;
    int n = 0;

    while (n < 5 && *p && *p != ',' && *p != ' ' && *p != '&') {
        const char *start = p;
        while (*p && *p != '/' && *p != ',' && *p != ' ' && *p != '&' &&
               strncmp(p, "%2F", 3) != 0 && strncmp(p, "%2f", 3) != 0)
            p++;
        parts[n] = start;
        lens[n] = (size_t)(p - start);
        n++;
        if (*p == '/')
            p++;
        else if (*p == '%')
            p += 3;
        else
            break;
    }
    if (n < 4 || lens[0] == 0)
        return -1;
    aws_copy_field(access_key, ak_size, parts[0], lens[0]);
    aws_copy_field(region, region_size, parts[2], lens[2]);
    aws_copy_field(service, service_size, parts[3], lens[3]);
    return 0;
}

void aws_account_for_key(const char *access_key, char out[13])
{
    static const char default_account[] = "123456789012";
    size_t len = strlen(access_key);
    int digits = len == 12;
    for (size_t i = 0; digits && i < len; i++)
        digits = isdigit((unsigned char)access_key[i]);
    memcpy(out, digits ? access_key : default_account, 12);
    out[12] = '\0';
}

static int aws_region_is_valid(const char *region)
{
    size_t len = strlen(region);
    if (len == 0 || len > 32)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!islower((unsigned char)region[i]) &&
            !isdigit((unsigned char)region[i]) && region[i] != '-')
            return 0;
    return 1;
}

/* Find the credential scope of a request in its Authorization header or its
 * presigned X-Amz-Credential query parameter. */
static int aws_request_scope(const http_request *req, char *ak, size_t aks,
                             char *region, size_t rs, char *service, size_t ss)
{
    const char *auth = http_request_header(req, "Authorization");
    if (auth) {
        const char *cred = strstr(auth, "Credential=");
        if (cred)
            return aws_sigv4_scope(cred + 11, ak, aks, region, rs, service, ss);
    }
    const char *q = req->query ? strstr(req->query, "X-Amz-Credential=") : NULL;
    if (q)
        return aws_sigv4_scope(q + 17, ak, aks, region, rs, service, ss);
    return -1;
}

/*
 * Reject request bodies that cJSON would silently change: invalid UTF-8
 * (stored as raw bytes that clients then cannot decode) and the escape
 * \u0000 (cJSON keeps strings NUL-terminated, so it would cut the string
 * there and two distinct keys could collide).
 */
static int aws_body_check(const char *body, size_t len, aws_error *err)
{
    const unsigned char *p = (const unsigned char *)body;
    size_t i = 0;

    while (i < len) {
        unsigned char c = p[i];
        size_t n = c < 0x80           ? 1
                   : (c >> 5) == 0x6  ? 2
                   : (c >> 4) == 0xe  ? 3
                   : (c >> 3) == 0x1e ? 4
                                      : 0;
        if (n == 0 || i + n > len || (n == 2 && c < 0xc2) ||
            (n == 4 && c > 0xf4))
            goto bad_utf8;
        for (size_t k = 1; k < n; k++)
            if ((p[i + k] & 0xc0) != 0x80)
                goto bad_utf8;
        if (n == 3 &&
            ((c == 0xe0 && p[i + 1] < 0xa0) || (c == 0xed && p[i + 1] >= 0xa0)))
            goto bad_utf8;
        if (n == 4 &&
            ((c == 0xf0 && p[i + 1] < 0x90) || (c == 0xf4 && p[i + 1] >= 0x90)))
            goto bad_utf8;
        if (c == '\\' && i + 1 < len) {
            /* Skip the escaped character so "\\u0000" is not taken for an
             * escaped NUL. */
            if (p[i + 1] == 'u' && i + 6 <= len &&
                memcmp(p + i + 2, "0000", 4) == 0) {
                /* NOTE: AWS stores U+0000 in strings; Stratus cannot. */
                return aws_fail(err, AWS_ERR_SERIALIZATION,
                                "Stratus does not support the character "
                                "U+0000 in strings (escaped as \\u0000 at "
                                "byte %zu)",
                                i);
            }
            i += 2;
            continue;
        }
        i += n;
    }
    return 0;

bad_utf8:
    return aws_fail(err, AWS_ERR_SERIALIZATION,
                    "Invalid UTF-8 start byte 0x%02x at byte %zu of the "
                    "request body",
                    p[i], i);
}

static const aws_service *aws_service_by_target(const char *target,
                                                const char **op)
{
    const char *dot = strrchr(target, '.');
    if (!dot)
        return NULL;
    size_t plen = (size_t)(dot - target);
    for (size_t i = 0; i < aws_service_count; i++) {
        const char *prefix = aws_services[i]->target_prefix;
        if (prefix && strlen(prefix) == plen &&
            strncmp(prefix, target, plen) == 0) {
            *op = dot + 1;
            return aws_services[i];
        }
    }
    return NULL;
}

/* The service that claims a request carrying no credential scope (a
 * browser's CORS preflight, an S3 virtual-hosted request), or NULL. */
static const aws_service *aws_service_claiming(const http_request *req)
{
    for (size_t i = 0; i < aws_service_count; i++)
        if (aws_services[i]->claims_unsigned &&
            aws_services[i]->claims_unsigned(req))
            return aws_services[i];
    return NULL;
}

static const aws_service *aws_service_by_signing_name(const char *name)
{
    for (size_t i = 0; i < aws_service_count; i++)
        if (aws_services[i]->signing_name &&
            strcmp(aws_services[i]->signing_name, name) == 0)
            return aws_services[i];
    return NULL;
}

static int aws_hex(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Percent-decode `len` bytes of `s` ('+' stays '+' in paths, becomes a
 * space in queries). Returns a new string. */
static char *aws_decode(const char *s, size_t len, int plus_is_space)
{
    char *out = xmalloc(len + 1);
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '%' && i + 2 < len && aws_hex(s[i + 1]) >= 0 &&
            aws_hex(s[i + 2]) >= 0) {
            out[o++] = (char)(aws_hex(s[i + 1]) * 16 + aws_hex(s[i + 2]));
            i += 2;
        } else if (s[i] == '+' && plus_is_space) {
            out[o++] = ' ';
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
    return out;
}

int aws_path_match(const char *tmpl, const char *path, cJSON *params)
{
    const char *t = tmpl, *p = path;
    while (*t && *t != '?') {
        if (*t == '{') {
            const char *close = strchr(t, '}');
            if (!close)
                return 0;
            int greedy = close[-1] == '+';
            size_t nlen = (size_t)(close - t - 1 - greedy);
            const char *end = p;
            if (greedy)
                end = p + strlen(p);
            else
                while (*end && *end != '/')
                    end++;
            if (end == p)
                return 0;
            char name[128];
            snprintf(name, sizeof name, "%.*s", (int)nlen, t + 1);
            char *value = aws_decode(p, (size_t)(end - p), 0);
            cJSON_AddItemToObject(params, name, cJSON_CreateString(value));
            free(value);
            p = end;
            t = close + 1;
            continue;
        }
        if (*t != *p)
            return 0;
        t++;
        p++;
    }
    return *p == '\0' || (*p == '/' && p[1] == '\0');
}

static void aws_query_params(const char *query, cJSON *params)
{
    const char *q = query;
    while (q && *q) {
        const char *amp = strchr(q, '&');
        size_t len = amp ? (size_t)(amp - q) : strlen(q);
        const char *eq = memchr(q, '=', len);
        size_t klen = eq ? (size_t)(eq - q) : len;
        char *key = aws_decode(q, klen, 1);
        char *value = eq ? aws_decode(eq + 1, len - klen - 1, 1) : xstrdup("");
        if (!cJSON_GetObjectItemCaseSensitive(params, key))
            cJSON_AddItemToObject(params, key, cJSON_CreateString(value));
        free(key);
        free(value);
        q = amp ? amp + 1 : NULL;
    }
}

static const aws_operation *
aws_rest_route(const aws_service *svc, const http_request *req, cJSON *params)
{
    for (size_t i = 0; i < svc->operation_count; i++) {
        const aws_operation *op = &svc->operations[i];
        if (!op->http_method || strcmp(op->http_method, req->method) != 0)
            continue;
        cJSON *found = cJSON_CreateObject();
        if (aws_path_match(op->http_path, req->path, found)) {
            for (cJSON *m = found->child; m; m = m->next)
                cJSON_AddItemToObject(params, m->string,
                                      cJSON_CreateString(m->valuestring));
            cJSON_Delete(found);
            return op;
        }
        cJSON_Delete(found);
    }
    return NULL;
}

static const char *aws_content_type(const aws_service *svc)
{
    if (svc && svc->protocol == AWS_PROTO_JSON_1_1)
        return "application/x-amz-json-1.1";
    if (svc && svc->protocol == AWS_PROTO_JSON_1_0)
        return "application/x-amz-json-1.0";
    return "application/json";
}

/* JSON protocols: the body, its CRC32 (DynamoDB clients check it) and the
 * content type. */
static void aws_json_respond(const aws_service *svc, int status, char *json,
                             http_response *resp)
{
    char crc[16];
    size_t len = strlen(json);
    snprintf(crc, sizeof crc, "%lu", crc32(0L, (const Bytef *)json, (uInt)len));
    resp->status = status;
    http_response_header(resp, "Content-Type", aws_content_type(svc));
    http_response_header(resp, "x-amz-crc32", crc);
    http_response_take_body(resp, json, len);
}

void aws_error_render(const aws_service *svc, const aws_error *err,
                      const char *request_id, http_response *resp)
{
    cJSON *body = cJSON_CreateObject();
    char type[256];
    const char *prefix = svc && svc->error_prefix ? svc->error_prefix : "";

    /* Errors raised before the service receives the request (authorization
     * included) come from AWS's request framework and carry its namespace,
     * not the service's. */
    if (prefix[0] && (err->code == AWS_ERR_UNKNOWN_OPERATION ||
                      err->code == AWS_ERR_SERIALIZATION ||
                      err->code == AWS_ERR_INVALID_SIGNATURE ||
                      err->code == AWS_ERR_ACCESS_DENIED ||
                      err->code == AWS_ERR_EXPIRED_TOKEN))
        prefix = "com.amazon.coral.service#";
    snprintf(type, sizeof type, "%s%s", prefix, aws_code_name(err->code));
    if (svc && svc->protocol == AWS_PROTO_REST_JSON) {
        /* REST-JSON clients read the code from x-amzn-ErrorType. Lambda
         * spells the member "Message" in ResourceNotFoundException only. */
        int capital = err->code == AWS_ERR_RESOURCE_NOT_FOUND &&
                      strcmp(svc->name, "lambda") == 0;
        cJSON_AddStringToObject(body, "Type", "User");
        cJSON_AddStringToObject(body, capital ? "Message" : "message",
                                err->message);
    } else {
        cJSON_AddStringToObject(body, "__type", type);
        cJSON_AddStringToObject(body, "message", err->message);
    }
    if (err->extra) {
        for (cJSON *m = err->extra->child; m; m = m->next)
            cJSON_AddItemToObject(body, m->string, cJSON_Duplicate(m, 1));
    }
    http_response_header(resp, "x-amzn-ErrorType", aws_code_name(err->code));
    aws_json_respond(svc,
                     err->status ? err->status : aws_code_status(err->code),
                     cJSON_PrintUnformatted(body), resp);
    cJSON_Delete(body);
    (void)request_id;
}

static double aws_elapsed_ms(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) * 1e3 +
           (double)(now.tv_nsec - start->tv_nsec) / 1e6;
}

void aws_dispatch(stratus *srv, const http_request *req, http_response *resp,
                  int *needs_commit)
{
    struct timespec started;
    char request_id[37];
    char access_key[128] = "";
    char region[64] = "us-east-1";
    char scope_service[64] = "";
    char account[13];
    const aws_service *svc = NULL;
    const char *op_name = NULL;
    const aws_operation *op = NULL;
    aws_error err;
    cJSON *body = NULL;
    cJSON *params = NULL;
    cJSON *out = NULL;
    char *action = NULL; /* the Action of a Query request */
    int query = 0;

    clock_gettime(CLOCK_MONOTONIC, &started);
    memset(&err, 0, sizeof err);
    *needs_commit = 0;
    stratus_request_id(srv, request_id);
    http_response_header(resp, "x-amzn-RequestId", request_id);

    if (aws_request_scope(req, access_key, sizeof access_key, region,
                          sizeof region, scope_service,
                          sizeof scope_service) != 0) {
        snprintf(access_key, sizeof access_key, "%s", "test");
        snprintf(region, sizeof region, "%s", "us-east-1");
    }
    if (!region[0])
        snprintf(region, sizeof region, "%s", "us-east-1");
    aws_account_for_key(access_key, account);
    /* Credentials Stratus issued act in the account of their role. */
    iam_credentials issued;
    if (iam_credentials_find(srv, access_key, &issued))
        memcpy(account, issued.account, sizeof account);
    if (!aws_region_is_valid(region)) {
        /* The region names namespaces and goes into every ARN. Stratus
         * accepts any lower-case name (such as "local"), AWS only its own
         * regions. */
        aws_fail(&err, AWS_ERR_INVALID_SIGNATURE,
                 "Credential should be scoped to a valid region.");
        goto fail;
    }

    const char *target = http_request_header(req, "X-Amz-Target");
    if (target) {
        svc = aws_service_by_target(target, &op_name);
        if (!svc) {
            aws_fail(&err, AWS_ERR_UNKNOWN_OPERATION,
                     "Unknown target %s: no service with that prefix", target);
            goto fail;
        }
    } else if (scope_service[0]) {
        svc = aws_service_by_signing_name(scope_service);
        if (!svc) {
            aws_fail(&err, AWS_ERR_UNKNOWN_OPERATION,
                     "Stratus does not emulate the service \"%s\"",
                     scope_service);
            goto fail;
        }
    } else if (!(svc = aws_service_claiming(req))) {
        aws_fail(&err, AWS_ERR_MISSING_AUTH_TOKEN, NULL);
        goto fail;
    }

    if (svc->serve) {
        /* The service sets its own request-id headers (S3 sends
         * x-amz-request-id), so start from an empty response. */
        http_response_cleanup(resp);
        http_response_init(resp);
        aws_request sreq = {
            .srv = srv,
            .service = svc,
            .account = account,
            .region = region,
            .access_key = access_key,
            .request_id = request_id,
            .http = req,
            .out = resp,
            .status = 200,
        };
        svc->serve(&sreq, resp, needs_commit);
        return;
    }

    if (!target && svc->query && aws_query_is_request(req)) {
        /* Older clients of a JSON service: decode the form into the JSON
         * request the handlers take. */
        query = 1;
        body = aws_query_decode(svc->query, req, &action);
        op_name = action;
        if (!action) {
            aws_fail(&err, AWS_ERR_INVALID_ACTION,
                     "The request must contain the parameter Action.");
            goto fail;
        }
        op = aws_operation_find(svc, action);
        if (!op) {
            aws_fail(&err, AWS_ERR_INVALID_ACTION,
                     "The action %s is not valid for this web service.",
                     action);
            goto fail;
        }
    } else if (svc->protocol == AWS_PROTO_REST_JSON) {
        params = cJSON_CreateObject();
        op = aws_rest_route(svc, req, params);
        if (!op) {
            aws_fail(&err, AWS_ERR_UNKNOWN_OPERATION,
                     "No %s operation matches %s %s", svc->name, req->method,
                     req->path);
            err.status = 404;
            goto fail;
        }
        aws_query_params(req->query, params);
    } else if (svc->protocol != AWS_PROTO_JSON_1_0 &&
               svc->protocol != AWS_PROTO_JSON_1_1) {
        aws_fail(&err, AWS_ERR_NOT_IMPLEMENTED,
                 "Stratus does not yet serve the %s protocol of %s",
                 svc->protocol == AWS_PROTO_REST_XML ? "REST-XML" : "Query",
                 svc->name);
        goto fail;
    } else {
        if (!op_name) {
            aws_fail(&err, AWS_ERR_MISSING_AUTH_TOKEN,
                     "Missing X-Amz-Target header for %s", svc->name);
            goto fail;
        }
        op = aws_operation_find(svc, op_name);
        if (!op) {
            aws_fail(&err, AWS_ERR_UNKNOWN_OPERATION, NULL);
            goto fail;
        }
        if (strcmp(req->method, "POST") != 0) {
            aws_fail(&err, AWS_ERR_SERIALIZATION,
                     "%s requests must use POST, not %s", svc->name,
                     req->method);
            goto fail;
        }
    }
    if (!op->handler) {
        aws_fail(&err, AWS_ERR_NOT_IMPLEMENTED,
                 "Stratus does not implement %s %s yet (see `stratus ops`)",
                 svc->name, op->name);
        goto fail;
    }

    if (query) {
        /* decoded above */
    } else if (req->body_len == 0) {
        body = cJSON_CreateObject();
    } else {
        const char *end = NULL;
        if (aws_body_check(req->body, req->body_len, &err) != 0)
            goto fail;
        body = cJSON_ParseWithLengthOpts(req->body, req->body_len, &end, 0);
        if (svc->protocol == AWS_PROTO_REST_JSON &&
            (!body || !cJSON_IsObject(body))) {
            /* A REST payload need not be a JSON object (Invoke takes any
             * bytes); such handlers read req->http->body. */
            cJSON_Delete(body);
            body = cJSON_CreateObject();
        } else if (!body || !cJSON_IsObject(body)) {
            aws_fail(&err, AWS_ERR_SERIALIZATION,
                     "Start of structure or map found where not expected.");
            if (!body)
                snprintf(err.message, sizeof err.message,
                         "The request body is not valid JSON");
            goto fail;
        }
    }

    aws_request areq = {
        .srv = srv,
        .service = svc,
        .operation = op->name,
        .account = account,
        .region = region,
        .access_key = access_key,
        .request_id = request_id,
        .body = body,
        .http = req,
        .params = params,
        .out = resp,
        .status = 200,
    };
    if (iam_request_authorize(&areq, &err) != 0)
        goto fail;
    sqlite3 *db = store_db(srv->store);
    if (store_call_begin(srv->store) != SQLITE_OK) {
        log_error("aws", "cannot begin store call for %s %s: %s", svc->name,
                  op->name, sqlite3_errmsg(db));
        aws_fail(&err, AWS_ERR_INTERNAL_SERVER_ERROR, NULL);
        goto fail;
    }
    out = op->handler(&areq, &err);
    store_call_end(srv->store, out != NULL);
    /* A read that saw only committed data may leave at once; anything after
     * a write of this turn waits for the commit. */
    *needs_commit = store_dirty(srv->store);
    if (!out) {
        free(areq.raw_body);
        if (err.code == AWS_OK)
            aws_fail(&err, AWS_ERR_INTERNAL_SERVER_ERROR, NULL);
        goto fail;
    }

    if (areq.deferred) {
        /* The handler owns the response now (http_request_defer). */
        log_at(LOG_INFO, "aws", request_id, "%s %s deferred %.2fms", svc->name,
               op->name, aws_elapsed_ms(&started));
        free(areq.raw_body);
    } else if (query) {
        char *xml = aws_query_encode(svc->query, op->name, out, request_id);
        resp->status = areq.status;
        http_response_header(resp, "Content-Type", "text/xml");
        http_response_take_body(resp, xml, strlen(xml));
    } else if (areq.raw_body) {
        resp->status = areq.status;
        http_response_header(resp, "Content-Type",
                             areq.raw_content_type ? areq.raw_content_type
                                                   : "application/json");
        http_response_take_body(resp, areq.raw_body, areq.raw_len);
    } else {
        aws_json_respond(svc, areq.status, cJSON_PrintUnformatted(out), resp);
    }
    if (!areq.deferred)
        log_at(LOG_INFO, "aws", request_id, "%s %s %d %.2fms", svc->name,
               op->name, areq.status, aws_elapsed_ms(&started));
    cJSON_Delete(out);
    cJSON_Delete(body);
    cJSON_Delete(params);
    free(action);
    return;

fail:
    if (query)
        aws_query_error_render(svc, &err, request_id, resp);
    else
        aws_error_render(svc, &err, request_id, resp);
    log_at(LOG_INFO, "aws", request_id, "%s %s %d %s %.2fms",
           svc ? svc->name : "-", op ? op->name : (op_name ? op_name : "-"),
           resp->status, aws_code_name(err.code), aws_elapsed_ms(&started));
    aws_error_reset(&err);
    cJSON_Delete(body);
    cJSON_Delete(params);
    free(action);
}
