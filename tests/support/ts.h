/*
 * ts.h: helpers for tests that push whole requests through the real
 * dispatcher of an in-memory instance, without sockets.
 */
#ifndef STRATUS_TS_H
#define STRATUS_TS_H

#include <cjson/cJSON.h>

#include "stratus.h"

/* A new in-memory instance with a virtual clock and IAM enforcement off
 * (so tests of one service need no roles); aborts the test on error. */
stratus *ts_new(void);
/* The same with IAM enforcement on, as `stratus serve` runs by default. */
stratus *ts_new_enforcing(void);
void ts_free(stratus *srv);

/*
 * Send a JSON protocol request with `X-Amz-Target: target` and `json_body`,
 * signed for us-east-1 with a dummy key, end the turn (commit), and return
 * the parsed response body (the caller frees it). `*status` receives the
 * HTTP status when not NULL.
 */
cJSON *ts_call(stratus *srv, const char *target, const char *json_body,
               int *status);

/*
 * Send a REST-JSON request (`path` may carry a "?query"), signed for
 * us-east-1 and `service` with a dummy key, end the turn, and return the
 * parsed response body (NULL when empty or not JSON; the caller frees it).
 * `*status` receives the HTTP status and, when `resp` is not NULL, the
 * whole response is moved there (the caller cleans it up).
 */
cJSON *ts_rest_call(stratus *srv, const char *method, const char *path,
                    const char *service, const char *body, int *status,
                    http_response *resp);

/* The shared/ folder of the checkout, or NULL when it is absent. */
const char *ts_shared_dir(void);

/* Read a whole file; NULL when unreadable. The caller frees it. */
char *ts_read_file(const char *path);

/* Turn JSON5 as LocalStack's recorded templates use it (// comments,
 * trailing commas) into JSON, in place. */
void ts_json5_to_json(char *text);

/* Read and parse a JSON file (JSON5 when `json5`); NULL when unreadable
 * or invalid. The caller frees it. */
cJSON *ts_load_json(const char *path, int json5);

#endif
