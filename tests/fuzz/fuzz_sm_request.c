/*
 * fuzz_sm_request.c: libFuzzer driver that sends arbitrary bytes as the
 * JSON body of a Secrets Manager operation through the real dispatcher.
 * The first byte picks the operation; a secret named "fuzz" with two
 * versions exists, so bodies that name it reach the version, tag and
 * deletion code. Any input must produce an AWS-shaped response, never a
 * crash, a leak or undefined behaviour.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws.h"
#include "http.h"
#include "sm.h"
#include "stratus.h"

static stratus *fuzz_srv;

static void fuzz_send(const char *operation, const char *body, size_t len)
{
    char target[128];
    snprintf(target, sizeof target, "secretsmanager.%s", operation);
    http_header headers[] = {
        {"X-Amz-Target", target},
        {"Content-Type", "application/x-amz-json-1.1"},
        {"Authorization",
         "AWS4-HMAC-SHA256 Credential=AKIDFUZZ/20260101/us-east-1/"
         "secretsmanager/aws4_request, SignedHeaders=host, Signature=00"},
    };
    http_request req = {
        .method = "POST",
        .path = "/",
        .query = "",
        .headers = headers,
        .header_count = sizeof headers / sizeof *headers,
        .body = body,
        .body_len = len,
        .remote_addr = "127.0.0.1",
    };
    http_response resp;
    int needs_commit = 0;
    http_response_init(&resp);
    aws_dispatch(fuzz_srv, &req, &resp, &needs_commit);
    stratus_turn_end(fuzz_srv);
    http_response_cleanup(&resp);
}

static void fuzz_setup(void)
{
    stratus_config cfg;
    char errbuf[256];
    config_defaults(&cfg);
    cfg.in_memory = 1;
    cfg.virtual_clock = 1;
    snprintf(cfg.log_level, sizeof cfg.log_level, "error");
    if (stratus_create(&fuzz_srv, &cfg, errbuf, sizeof errbuf) != 0) {
        fprintf(stderr, "fuzz_sm_request: %s\n", errbuf);
        abort();
    }
    static const char create[] = "{\"Name\":\"fuzz\",\"SecretString\":\"v1\","
                                 "\"Tags\":[{\"Key\":\"k\",\"Value\":\"v\"}]}";
    static const char put[] = "{\"SecretId\":\"fuzz\",\"SecretString\":\"v2\"}";
    fuzz_send("CreateSecret", create, sizeof create - 1);
    fuzz_send("PutSecretValue", put, sizeof put - 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!fuzz_srv)
        fuzz_setup();
    if (size < 1)
        return 0;
    size_t count = sm_service.operation_count;
    const aws_operation *op = &sm_service.operations[data[0] % count];
    fuzz_send(op->name, (const char *)data + 1, size - 1);
    return 0;
}
