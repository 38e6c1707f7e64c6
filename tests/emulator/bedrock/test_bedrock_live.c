/*
 * test_bedrock_live.c: the stand-ins over a real loopback socket: a
 * Converse response held back by a fault's latency, a client that leaves
 * while its response is held, the fault endpoint and the pricing API on
 * the AWS port.
 */
#include "../lambda/lam_live.h"

#define CONVERSE_PATH                                                          \
    "/model/us.anthropic.claude-sonnet-4-20250514-v1%3A0/converse"
#define BEDROCK_AUTH                                                           \
    "Authorization: AWS4-HMAC-SHA256 Credential=AKIDTEST/20260101/"            \
    "us-east-1/bedrock/aws4_request, SignedHeaders=host, Signature=00\r\n"     \
    "Content-Type: application/json\r\n"
#define CONVERSE_BODY                                                          \
    "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"Name: "        \
    "Pikachu ex\"}]}],\"system\":[{\"text\":\"card valuator\"}]}"

static lam_live live;

static void setup(void)
{
    lam_live_start(&live);
}

static void teardown(void)
{
    if (live.srv)
        lam_live_stop(&live);
    live.srv = NULL;
}

TestSuite(bedrock_live, .init = setup, .fini = teardown, .timeout = 30);

static long elapsed_ms(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - start->tv_sec) * 1000 +
           (now.tv_nsec - start->tv_nsec) / 1000000;
}

static void set_fault(const char *body)
{
    lam_reply r;
    cr_assert_eq(lam_http(live.port, "POST", "/_stratus/bedrock/faults", NULL,
                          body, 5000, &r),
                 0);
    cr_assert_eq(r.status, 200, "fault endpoint: %s", r.body);
    lam_reply_free(&r);
}

Test(bedrock_live, latency_holds_response)
{
    struct timespec start;
    lam_reply r;
    char type[64];

    set_fault("{\"kind\":\"throttling\",\"count\":1,\"latencyMs\":300}");
    clock_gettime(CLOCK_MONOTONIC, &start);
    cr_assert_eq(lam_http(live.port, "POST", CONVERSE_PATH, BEDROCK_AUTH,
                          CONVERSE_BODY, 5000, &r),
                 0);
    cr_assert_geq(elapsed_ms(&start), 300);
    cr_assert_eq(r.status, 429);
    cr_assert_not_null(
        lam_reply_header(&r, "x-amzn-ErrorType", type, sizeof type));
    cr_assert_str_eq(type, "ThrottlingException");
    cr_assert_not_null(strstr(r.body, "Too many requests"));
    lam_reply_free(&r);

    set_fault("{\"kind\":\"none\",\"count\":1,\"latencyMs\":200}");
    clock_gettime(CLOCK_MONOTONIC, &start);
    cr_assert_eq(lam_http(live.port, "POST", CONVERSE_PATH, BEDROCK_AUTH,
                          CONVERSE_BODY, 5000, &r),
                 0);
    cr_assert_geq(elapsed_ms(&start), 200);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_not_null(strstr(r.body, "\"stopReason\":\"end_turn\""));
    lam_reply_free(&r);

    /* The fault is used up: the next answer reports no added latency. */
    cr_assert_eq(lam_http(live.port, "POST", CONVERSE_PATH, BEDROCK_AUTH,
                          CONVERSE_BODY, 5000, &r),
                 0);
    cr_assert_eq(r.status, 200);
    cr_assert_not_null(strstr(r.body, "\"latencyMs\":0"), "%s", r.body);
    lam_reply_free(&r);
}

/* A client that closes its connection while the response is held: the
 * timer is cancelled and the server keeps serving. */
Test(bedrock_live, client_leaves_during_latency)
{
    char request[1024];
    lam_reply r;

    set_fault("{\"kind\":\"none\",\"count\":1,\"latencyMs\":400}");
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_port = htons((uint16_t)live.port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(connect(fd, (struct sockaddr *)&addr, sizeof addr), 0);
    int len = snprintf(request, sizeof request,
                       "POST %s HTTP/1.1\r\nHost: x\r\n"
                       "Content-Length: %zu\r\n%s\r\n%s",
                       CONVERSE_PATH, strlen(CONVERSE_BODY), BEDROCK_AUTH,
                       CONVERSE_BODY);
    cr_assert_eq(write(fd, request, (size_t)len), len);
    usleep(100 * 1000);
    close(fd);
    usleep(500 * 1000);

    cr_assert_eq(lam_http(live.port, "POST", CONVERSE_PATH, BEDROCK_AUTH,
                          CONVERSE_BODY, 5000, &r),
                 0);
    cr_assert_eq(r.status, 200);
    lam_reply_free(&r);
}

Test(bedrock_live, pricing_on_aws_port)
{
    lam_reply r;
    cr_assert_eq(lam_http(live.port, "GET",
                          "/_stratus/pokemontcg/v2/cards?q=name%3A%22"
                          "Charizard%20ex%22&pageSize=10",
                          NULL, NULL, 5000, &r),
                 0);
    cr_assert_eq(r.status, 200);
    cJSON *out = cJSON_ParseWithLength(r.body, r.body_len);
    cr_assert_not_null(out);
    cr_assert_eq(cJSON_GetObjectItemCaseSensitive(out, "totalCount")->valueint,
                 1);
    cJSON_Delete(out);
    lam_reply_free(&r);
}
