/*
 * bootstrap.c: a Lambda custom runtime written in C, to show that Stratus's
 * Runtime API serves any client. It polls invocation/next over one
 * keep-alive HTTP/1.1 connection, returns each event as its response, and
 * reports a function error for events that contain "fail". The tests
 * and the invoke benchmark run it as a provided.al2023 function.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_INVOCATIONS 10000000L
#define MAX_HEAD 8192

static int runtime_connect(const char *api)
{
    char host[64];
    const char *colon = strrchr(api, ':');
    if (!colon || (size_t)(colon - api) >= sizeof host)
        return -1;
    memcpy(host, api, (size_t)(colon - api));
    host[colon - api] = '\0';

    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_port = htons((uint16_t)atoi(colon + 1))};
    if (inet_pton(AF_INET, host, &addr.sin_addr) != 1)
        return -1;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    int nodelay = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &nodelay, sizeof nodelay);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n <= 0)
            return -1;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Read one response: its head into `head` and its body (malloc'ed) into
 * `*body`. Returns the body length, or -1 when the connection failed. */
static long read_response(int fd, char *head, char **body)
{
    size_t used = 0;
    char *end = NULL;
    while (!end) {
        if (used + 1 >= MAX_HEAD)
            return -1;
        ssize_t n = read(fd, head + used, MAX_HEAD - 1 - used);
        if (n <= 0)
            return -1;
        used += (size_t)n;
        head[used] = '\0';
        end = strstr(head, "\r\n\r\n");
    }
    size_t head_len = (size_t)(end + 4 - head);
    long length = 0;
    for (char *line = strstr(head, "\r\n"); line && line < end;
         line = strstr(line + 2, "\r\n"))
        if (strncasecmp(line + 2, "Content-Length:", 15) == 0)
            length = atol(line + 17);

    *body = malloc((size_t)length + 1);
    size_t have = used - head_len;
    if (have > (size_t)length)
        have = (size_t)length;
    memcpy(*body, head + head_len, have);
    while ((long)have < length) {
        ssize_t n = read(fd, *body + have, (size_t)length - have);
        if (n <= 0) {
            free(*body);
            return -1;
        }
        have += (size_t)n;
    }
    (*body)[length] = '\0';
    *end = '\0';
    return length;
}

static int header_value(const char *head, const char *name, char *out,
                        size_t size)
{
    size_t len = strlen(name);
    for (const char *line = strstr(head, "\r\n"); line;
         line = strstr(line + 2, "\r\n")) {
        if (strncasecmp(line + 2, name, len) == 0 && line[2 + len] == ':') {
            const char *v = line + 3 + len;
            while (*v == ' ')
                v++;
            size_t n = strcspn(v, "\r\n");
            if (n >= size)
                return -1;
            memcpy(out, v, n);
            out[n] = '\0';
            return 0;
        }
    }
    return -1;
}

/* The Runtime API identifies an environment by the port in Host. */
static const char *runtime_api;

static int post(int fd, const char *path, const char *body, size_t len,
                const char *extra)
{
    char head[512];
    int n = snprintf(head, sizeof head,
                     "POST %s HTTP/1.1\r\nHost: %s\r\n"
                     "Content-Type: application/json\r\n%s"
                     "Content-Length: %zu\r\n\r\n",
                     path, runtime_api, extra, len);
    if (write_all(fd, head, (size_t)n) != 0 || write_all(fd, body, len) != 0)
        return -1;
    char reply[MAX_HEAD];
    char *reply_body = NULL;
    if (read_response(fd, reply, &reply_body) < 0)
        return -1;
    free(reply_body);
    return 0;
}

int main(void)
{
    const char *api = getenv("AWS_LAMBDA_RUNTIME_API");
    if (!api) {
        fprintf(stderr, "AWS_LAMBDA_RUNTIME_API is not set\n");
        return 1;
    }
    runtime_api = api;
    int fd = runtime_connect(api);
    if (fd < 0)
        return 0; /* the Runtime API is gone: the environment was stopped */

    char next[256];
    int next_len = snprintf(next, sizeof next,
                            "GET /2018-06-01/runtime/invocation/next "
                            "HTTP/1.1\r\nHost: %s\r\n\r\n",
                            api);
    for (long i = 0; i < MAX_INVOCATIONS; i++) {
        char head[MAX_HEAD], id[64], path[160];
        char *event = NULL;
        if (write_all(fd, next, (size_t)next_len) != 0)
            break;
        long len = read_response(fd, head, &event);
        if (len < 0)
            break;
        if (header_value(head, "Lambda-Runtime-Aws-Request-Id", id,
                         sizeof id) != 0) {
            fprintf(stderr, "invocation/next without a request id: %s\n",
                    event);
            free(event);
            return 1;
        }
        int rc;
        if (strstr(event, "fail")) {
            static const char error[] =
                "{\"errorType\":\"CRuntimeError\",\"errorMessage\":\"the "
                "event asked to fail\"}";
            snprintf(path, sizeof path,
                     "/2018-06-01/runtime/invocation/%s/error", id);
            rc = post(fd, path, error, sizeof error - 1,
                      "Lambda-Runtime-Function-Error-Type: CRuntimeError\r\n");
        } else {
            snprintf(path, sizeof path,
                     "/2018-06-01/runtime/invocation/%s/response", id);
            rc = post(fd, path, event, (size_t)len, "");
        }
        free(event);
        if (rc != 0)
            break;
    }
    close(fd);
    return 0;
}
