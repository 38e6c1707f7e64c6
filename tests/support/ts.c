/*
 * ts.c: in-process request helpers for the Criterion tests.
 */
#include "ts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "aws.h"
#include "http.h"
#include "util.h"

static stratus *ts_create(int iam_enforce)
{
    stratus_config cfg;
    char errbuf[256];
    stratus *srv = NULL;

    config_defaults(&cfg);
    cfg.in_memory = 1;
    cfg.virtual_clock = 1;
    cfg.iam_enforce = iam_enforce;
    if (stratus_create(&srv, &cfg, errbuf, sizeof errbuf) != 0)
        cr_assert_fail("cannot create a test instance: %s", errbuf);
    return srv;
}

stratus *ts_new(void)
{
    return ts_create(0);
}

stratus *ts_new_enforcing(void)
{
    return ts_create(1);
}

void ts_free(stratus *srv)
{
    stratus_destroy(srv);
}

cJSON *ts_call(stratus *srv, const char *target, const char *json_body,
               int *status)
{
    http_header headers[] = {
        {"X-Amz-Target", (char *)target},
        {"Content-Type", "application/x-amz-json-1.0"},
        {"Authorization",
         "AWS4-HMAC-SHA256 Credential=AKIDTEST/20260101/us-east-1/"
         "dynamodb/aws4_request, SignedHeaders=host, Signature=00"},
    };
    http_request req = {
        .method = "POST",
        .path = "/",
        .query = "",
        .headers = headers,
        .header_count = sizeof headers / sizeof *headers,
        .body = json_body,
        .body_len = strlen(json_body),
        .remote_addr = "127.0.0.1",
    };
    http_response resp;
    int needs_commit = 0;

    http_response_init(&resp);
    aws_dispatch(srv, &req, &resp, &needs_commit);
    stratus_turn_end(srv);
    if (status)
        *status = resp.status;
    cJSON *out =
        resp.body ? cJSON_ParseWithLength(resp.body, resp.body_len) : NULL;
    http_response_cleanup(&resp);
    return out;
}

cJSON *ts_rest_call(stratus *srv, const char *method, const char *path,
                    const char *service, const char *body, int *status,
                    http_response *resp)
{
    char auth[256];
    snprintf(auth, sizeof auth,
             "AWS4-HMAC-SHA256 Credential=AKIDTEST/20260101/us-east-1/%s/"
             "aws4_request, SignedHeaders=host, Signature=00",
             service);
    http_header headers[] = {
        {"Content-Type", "application/json"},
        {"Authorization", auth},
    };
    const char *mark = strchr(path, '?');
    char *bare = mark ? xstrndup(path, (size_t)(mark - path)) : xstrdup(path);
    http_request req = {
        .method = method,
        .path = bare,
        .query = mark ? mark + 1 : "",
        .headers = headers,
        .header_count = sizeof headers / sizeof *headers,
        .body = body ? body : "",
        .body_len = body ? strlen(body) : 0,
        .remote_addr = "127.0.0.1",
    };
    http_response out;
    int needs_commit = 0;

    http_response_init(&out);
    aws_dispatch(srv, &req, &out, &needs_commit);
    stratus_turn_end(srv);
    free(bare);
    if (status)
        *status = out.status;
    cJSON *parsed = out.body && out.body_len
                        ? cJSON_ParseWithLength(out.body, out.body_len)
                        : NULL;
    if (resp)
        *resp = out;
    else
        http_response_cleanup(&out);
    return parsed;
}

const char *ts_shared_dir(void)
{
    static char path[1024];
    const char *dir = getenv("STRATUS_SHARED_DIR");
    if (!dir)
        return NULL;
    snprintf(path, sizeof path, "%s/cases", dir);
    if (access(path, R_OK) != 0)
        return NULL;
    snprintf(path, sizeof path, "%s", dir);
    return path;
}

char *ts_read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    strbuf b;
    strbuf_init(&b);
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        strbuf_append(&b, chunk, n);
    fclose(f);
    return strbuf_take(&b, NULL);
}

void ts_json5_to_json(char *text)
{
    char *out = text;
    int in_string = 0;

    for (char *p = text; *p; p++) {
        if (in_string) {
            *out++ = *p;
            if (*p == '\\' && p[1])
                *out++ = *++p;
            else if (*p == '"')
                in_string = 0;
            continue;
        }
        if (*p == '"') {
            in_string = 1;
        } else if (p[0] == '/' && p[1] == '/') {
            while (p[1] && p[1] != '\n')
                p++;
            continue;
        } else if (*p == ',') {
            /* Drop a comma that only whitespace or comments separate from
             * a closing bracket. */
            char *q = p + 1;
            while (*q == ' ' || *q == '\n' || *q == '\r' || *q == '\t' ||
                   (q[0] == '/' && q[1] == '/')) {
                if (*q == '/')
                    while (*q && *q != '\n')
                        q++;
                else
                    q++;
            }
            if (*q == '}' || *q == ']')
                continue;
        }
        *out++ = *p;
    }
    *out = '\0';
}

cJSON *ts_load_json(const char *path, int json5)
{
    char *text = ts_read_file(path);
    if (!text)
        return NULL;
    if (json5)
        ts_json5_to_json(text);
    cJSON *value = cJSON_Parse(text);
    free(text);
    return value;
}
