/*
 * sqs_receive.c: ReceiveMessage with visibility timeouts, redrive to a
 * dead-letter queue after maxReceiveCount receives, message retention, and
 * long polling (WaitTimeSeconds).
 *
 * A long poll that finds nothing suspends the client's connection
 * (http_request_defer) and retries when a message arrives on its queue
 * and every SQS_POLL_INTERVAL_MS, so delayed messages and expired
 * visibility timeouts wake it too. Its deadline runs in real time, also
 * under a virtual clock. In-process callers without a connection get an
 * empty response at once.
 */
#include "sqs_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>
#include <uv.h>

#include "aws_query.h"
#include "http.h"
#include "log.h"
#include "store.h"
#include "util.h"

#define SQS_POLL_INTERVAL_MS 200
#define SQS_RECEIVE_SCAN 64

struct sqs_waiter {
    sqs_waiter *next;
    stratus *srv;
    http_pending *pending;
    uv_timer_t timer;
    char account[16];
    char region[64];
    char name[96];
    int64_t queue_id;
    cJSON *body; /* a copy of the request */
    long max;
    long visibility;
    uint64_t deadline; /* uv_now() value */
    int query;         /* a Query protocol request: respond in XML */
    char request_id[37];
};

static const char *const sqs_system_attr_names[] = {
    "SenderId",
    "SentTimestamp",
    "ApproximateReceiveCount",
    "ApproximateFirstReceiveTimestamp",
    "SequenceNumber",
    "MessageDeduplicationId",
    "MessageGroupId",
    "AWSTraceHeader",
    "DeadLetterQueueSourceArn",
    NULL,
};

static int sqs_list_has(const cJSON *list, const char *name)
{
    const cJSON *n;
    cJSON_ArrayForEach(n, list)
    {
        if (cJSON_IsString(n) && (strcmp(n->valuestring, "All") == 0 ||
                                  strcmp(n->valuestring, name) == 0))
            return 1;
    }
    return 0;
}

/* Whether MessageAttributeNames selects `name`: All, .*, prefix.* or the
 * exact name. */
static int sqs_attr_selected(const cJSON *names, const char *name)
{
    const cJSON *n;
    cJSON_ArrayForEach(n, names)
    {
        if (!cJSON_IsString(n))
            continue;
        const char *p = n->valuestring;
        size_t len = strlen(p);
        if (strcmp(p, "All") == 0 || strcmp(p, ".*") == 0 ||
            strcmp(p, name) == 0)
            return 1;
        if (len > 2 && strcmp(p + len - 2, ".*") == 0 &&
            strncmp(p, name, len - 1) == 0)
            return 1;
    }
    return 0;
}

static void sqs_add_number_text(cJSON *obj, const char *name, int64_t v)
{
    char text[32];
    snprintf(text, sizeof text, "%lld", (long long)v);
    cJSON_AddStringToObject(obj, name, text);
}

/* Move a message that reached maxReceiveCount to the dead-letter queue. */
static void sqs_redrive(stratus *srv, const sqs_queue *q, int64_t row,
                        const char *dlq_arn)
{
    char region[64] = "", account[16] = "", name[96] = "";
    sqs_queue *dlq = NULL;
    if (sscanf(dlq_arn, "arn:aws:sqs:%63[^:]:%15[^:]:%95s", region, account,
               name) == 3)
        dlq = sqs__queue_load(srv, account, region, name);
    if (!dlq) {
        log_warn("sqs",
                 "dead-letter queue %s of %s is missing; the message "
                 "stays",
                 dlq_arn, q->name);
        return;
    }
    sqlite3_stmt *s = store_stmt(
        srv->store, "UPDATE sqs_message SET queue_id = ?2, receipt = NULL,"
                    " visible_ms = ?3 WHERE id = ?1");
    sqlite3_bind_int64(s, 1, row);
    sqlite3_bind_int64(s, 2, dlq->id);
    sqlite3_bind_int64(s, 3, clock_now_ms(&srv->clock));
    sqlite3_step(s);
    sqlite3_reset(s);
    log_debug("sqs", "message row %lld of %s moved to dead-letter queue %s",
              (long long)row, q->name, dlq->name);
    sqs__waiters_notify(srv, dlq->id);
    sqs__queue_free(dlq);
}

/* Receive up to `max` visible messages of `q` now. Returns the response
 * object, with a Messages member when any were received. */
static cJSON *sqs_receive_now(stratus *srv, const sqs_queue *q,
                              const cJSON *body, long max, long visibility)
{
    int64_t now = clock_now_ms(&srv->clock);
    long retention = sqs__queue_attr_long(q, "MessageRetentionPeriod");
    sqlite3_stmt *s =
        store_stmt(srv->store, "DELETE FROM sqs_message WHERE queue_id = ?1"
                               " AND sent_ms < ?2");
    sqlite3_bind_int64(s, 1, q->id);
    sqlite3_bind_int64(s, 2, now - (int64_t)retention * 1000);
    sqlite3_step(s);
    sqlite3_reset(s);

    cJSON *redrive = NULL;
    const char *redrive_text = sqs__str(q->attributes, "RedrivePolicy");
    if (redrive_text)
        redrive = cJSON_Parse(redrive_text);
    const cJSON *max_count_item =
        cJSON_GetObjectItemCaseSensitive(redrive, "maxReceiveCount");
    long max_receives = cJSON_IsNumber(max_count_item)
                            ? (long)max_count_item->valuedouble
                        : cJSON_IsString(max_count_item)
                            ? strtol(max_count_item->valuestring, NULL, 10)
                            : 0;
    const char *dlq_arn = sqs__str(redrive, "deadLetterTargetArn");

    /* FIFO: a group with a message in flight delivers nothing more. */
    s = store_stmt(
        srv->store,
        "SELECT id, message_id, body, attributes, system_attributes,"
        " md5_body, receive_count, first_receive_ms, sent_ms, group_id,"
        " dedup_id, sender FROM sqs_message m WHERE queue_id = ?1 AND"
        " visible_ms <= ?2 AND (?3 = 0 OR group_id IS NULL OR group_id NOT"
        " IN (SELECT group_id FROM sqs_message WHERE queue_id = ?1 AND"
        " visible_ms > ?2 AND receipt IS NOT NULL AND group_id IS NOT"
        " NULL)) ORDER BY id LIMIT ?4");
    sqlite3_bind_int64(s, 1, q->id);
    sqlite3_bind_int64(s, 2, now);
    sqlite3_bind_int(s, 3, sqs__queue_is_fifo(q));
    sqlite3_bind_int64(s, 4, SQS_RECEIVE_SCAN);

    typedef struct row {
        int64_t id;
        cJSON *msg;
    } row;
    row rows[SQS_RECEIVE_SCAN];
    size_t n = 0;
    int64_t moved[SQS_RECEIVE_SCAN];
    size_t moved_count = 0;
    const cJSON *system_names =
        cJSON_GetObjectItemCaseSensitive(body, "MessageSystemAttributeNames");
    const cJSON *legacy_names =
        cJSON_GetObjectItemCaseSensitive(body, "AttributeNames");
    const cJSON *attr_names =
        cJSON_GetObjectItemCaseSensitive(body, "MessageAttributeNames");
    char arn[256];
    sqs__queue_arn(q, arn, sizeof arn);

    while ((long)n < max && sqlite3_step(s) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(s, 0);
        int64_t count = sqlite3_column_int64(s, 6) + 1;
        if (max_receives > 0 && dlq_arn && count > max_receives) {
            moved[moved_count++] = id;
            continue;
        }
        cJSON *m = cJSON_CreateObject();
        cJSON_AddStringToObject(m, "MessageId",
                                (const char *)sqlite3_column_text(s, 1));
        cJSON_AddStringToObject(m, "MD5OfBody",
                                (const char *)sqlite3_column_text(s, 5));
        cJSON_AddStringToObject(m, "Body",
                                (const char *)sqlite3_column_text(s, 2));

        cJSON *sys = cJSON_CreateObject();
        int64_t first = sqlite3_column_type(s, 7) == SQLITE_NULL
                            ? now
                            : sqlite3_column_int64(s, 7);
        cJSON *stored_sys =
            sqlite3_column_type(s, 4) == SQLITE_NULL
                ? NULL
                : cJSON_Parse((const char *)sqlite3_column_text(s, 4));
        for (size_t i = 0; sqs_system_attr_names[i]; i++) {
            const char *name = sqs_system_attr_names[i];
            if (!sqs_list_has(system_names, name) &&
                !sqs_list_has(legacy_names, name))
                continue;
            if (strcmp(name, "SenderId") == 0)
                cJSON_AddStringToObject(
                    sys, name, (const char *)sqlite3_column_text(s, 11));
            else if (strcmp(name, "SentTimestamp") == 0)
                sqs_add_number_text(sys, name, sqlite3_column_int64(s, 8));
            else if (strcmp(name, "ApproximateReceiveCount") == 0)
                sqs_add_number_text(sys, name, count);
            else if (strcmp(name, "ApproximateFirstReceiveTimestamp") == 0)
                sqs_add_number_text(sys, name, first);
            else if (strcmp(name, "SequenceNumber") == 0 &&
                     sqs__queue_is_fifo(q)) {
                char seq[32];
                snprintf(seq, sizeof seq, "%020lld", (long long)id);
                cJSON_AddStringToObject(sys, name, seq);
            } else if (strcmp(name, "MessageGroupId") == 0 &&
                       sqlite3_column_type(s, 9) != SQLITE_NULL)
                cJSON_AddStringToObject(
                    sys, name, (const char *)sqlite3_column_text(s, 9));
            else if (strcmp(name, "MessageDeduplicationId") == 0 &&
                     sqlite3_column_type(s, 10) != SQLITE_NULL)
                cJSON_AddStringToObject(
                    sys, name, (const char *)sqlite3_column_text(s, 10));
            else if (strcmp(name, "AWSTraceHeader") == 0) {
                const cJSON *trace = cJSON_GetObjectItemCaseSensitive(
                    stored_sys, "AWSTraceHeader");
                const char *v = sqs__str(trace, "StringValue");
                if (v)
                    cJSON_AddStringToObject(sys, name, v);
            }
        }
        cJSON_Delete(stored_sys);
        if (sys->child)
            cJSON_AddItemToObject(m, "Attributes", sys);
        else
            cJSON_Delete(sys);

        if (sqlite3_column_type(s, 3) != SQLITE_NULL) {
            cJSON *all = cJSON_Parse((const char *)sqlite3_column_text(s, 3));
            cJSON *chosen = cJSON_CreateObject();
            const cJSON *a;
            cJSON_ArrayForEach(a, all)
            {
                if (sqs_attr_selected(attr_names, a->string))
                    cJSON_AddItemToObject(chosen, a->string,
                                          cJSON_Duplicate(a, 1));
            }
            if (chosen->child) {
                char md5[33];
                sqs__md5_of_attributes(chosen, md5);
                cJSON_AddStringToObject(m, "MD5OfMessageAttributes", md5);
                cJSON_AddItemToObject(m, "MessageAttributes", chosen);
            } else {
                cJSON_Delete(chosen);
            }
            cJSON_Delete(all);
        }
        rows[n].id = id;
        rows[n].msg = m;
        n++;
    }
    sqlite3_reset(s);

    for (size_t i = 0; i < moved_count; i++)
        sqs_redrive(srv, q, moved[i], dlq_arn);
    cJSON_Delete(redrive);

    cJSON *out = cJSON_CreateObject();
    if (n == 0)
        return out;
    cJSON *messages = cJSON_AddArrayToObject(out, "Messages");
    for (size_t i = 0; i < n; i++) {
        unsigned char random[32];
        char handle[69] = "AQEB";
        RAND_bytes(random, sizeof random);
        for (size_t k = 0; k < sizeof random; k++)
            snprintf(handle + 4 + 2 * k, 3, "%02x", random[k]);
        s = store_stmt(srv->store,
                       "UPDATE sqs_message SET receipt = ?2, visible_ms = ?3,"
                       " receive_count = receive_count + 1,"
                       " first_receive_ms = coalesce(first_receive_ms, ?4)"
                       " WHERE id = ?1");
        sqlite3_bind_int64(s, 1, rows[i].id);
        sqlite3_bind_text(s, 2, handle, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 3, now + (int64_t)visibility * 1000);
        sqlite3_bind_int64(s, 4, now);
        sqlite3_step(s);
        sqlite3_reset(s);
        cJSON_AddStringToObject(rows[i].msg, "ReceiptHandle", handle);
        cJSON_AddItemToArray(messages, rows[i].msg);
        log_debug("sqs", "message %s received from %s/%s",
                  sqs__str(rows[i].msg, "MessageId"), q->account, q->name);
    }
    return out;
}

static sqs_state *sqs_state_of(stratus *srv)
{
    return stratus_service_state(srv, &sqs_service);
}

static void sqs_waiter_closed(uv_handle_t *h)
{
    sqs_waiter *w = h->data;
    cJSON_Delete(w->body);
    free(w);
}

/* Unlink `w` and close its timer; the close callback frees it. */
static void sqs_waiter_remove(sqs_waiter *w)
{
    sqs_state *st = sqs_state_of(w->srv);
    for (sqs_waiter **p = st ? &st->waiters : NULL; p && *p; p = &(*p)->next)
        if (*p == w) {
            *p = w->next;
            break;
        }
    uv_timer_stop(&w->timer);
    uv_close((uv_handle_t *)&w->timer, sqs_waiter_closed);
}

static void sqs_waiter_abort(void *arg)
{
    sqs_waiter *w = arg;
    log_at(LOG_DEBUG, "sqs", w->request_id,
           "long poll on %s ended: the client went away", w->name);
    w->pending = NULL;
    sqs_waiter_remove(w);
}

static void sqs_on_wake(uv_idle_t *h)
{
    (void)h;
}

static void sqs_waiter_respond(sqs_waiter *w, cJSON *out)
{
    http_response resp;
    http_response_init(&resp);
    resp.status = 200;
    char *text = w->query ? aws_query_encode(&sqs_query, "ReceiveMessage", out,
                                             w->request_id)
                          : cJSON_PrintUnformatted(out);
    http_response_header(&resp, "Content-Type",
                         w->query ? "text/xml" : "application/x-amz-json-1.0");
    http_response_header(&resp, "x-amzn-RequestId", w->request_id);
    http_response_take_body(&resp, text, strlen(text));
    http_pending_complete(w->pending, &resp);
    http_response_cleanup(&resp);
    w->pending = NULL;
    /* Completed responses leave at the turn end, after the poll phase.
     * Completed from a timer, the poll would first sleep until the next
     * timer, so keep the instance's idle handle running; the turn end
     * stops it. An active handle keeps its own callback. */
    uv_idle_start(&w->srv->pending, sqs_on_wake);
}

static void sqs_waiter_tick(uv_timer_t *t)
{
    sqs_waiter *w = t->data;
    stratus *srv = w->srv;
    int expired = uv_now(&srv->loop) >= w->deadline;
    cJSON *out = NULL;

    if (store_call_begin(srv->store) != SQLITE_OK) {
        log_error("sqs", "cannot begin a store call for a long poll: %s",
                  sqlite3_errmsg(store_db(srv->store)));
    } else {
        sqs_queue *q = sqs__queue_load(srv, w->account, w->region, w->name);
        if (q && q->id == w->queue_id)
            out = sqs_receive_now(srv, q, w->body, w->max, w->visibility);
        else
            expired = 1;
        store_call_end(srv->store, 1);
        sqs__queue_free(q);
    }
    if (out && !cJSON_GetObjectItemCaseSensitive(out, "Messages") && !expired) {
        cJSON_Delete(out);
        uint64_t left = w->deadline - uv_now(&srv->loop);
        uv_timer_start(
            &w->timer, sqs_waiter_tick,
            left < SQS_POLL_INTERVAL_MS ? left : SQS_POLL_INTERVAL_MS, 0);
        return;
    }
    if (!out)
        out = cJSON_CreateObject();
    sqs_waiter_respond(w, out);
    cJSON_Delete(out);
    sqs_waiter_remove(w);
}

void sqs__waiters_notify(stratus *srv, int64_t queue_id)
{
    sqs_state *st = sqs_state_of(srv);
    for (sqs_waiter *w = st ? st->waiters : NULL; w; w = w->next)
        if (w->queue_id == queue_id)
            uv_timer_start(&w->timer, sqs_waiter_tick, 0, 0);
}

void sqs__waiters_close(stratus *srv)
{
    sqs_state *st = sqs_state_of(srv);
    while (st && st->waiters) {
        sqs_waiter *w = st->waiters;
        if (w->pending) {
            cJSON *empty = cJSON_CreateObject();
            sqs_waiter_respond(w, empty);
            cJSON_Delete(empty);
        }
        sqs_waiter_remove(w);
    }
}

cJSON *sqs_op_receive_message(aws_request *req, aws_error *err)
{
    sqs_queue *q = sqs__queue_open(req, err);
    if (!q)
        return NULL;
    long max = 1;
    long visibility = sqs__queue_attr_long(q, "VisibilityTimeout");
    long wait = sqs__queue_attr_long(q, "ReceiveMessageWaitTimeSeconds");
    if (sqs__int_member(req->body, "MaxNumberOfMessages", 1, 10,
                        "Must be between 1 and 10, if provided.", &max,
                        err) != 0 ||
        sqs__int_member(req->body, "VisibilityTimeout", 0, 43200,
                        "Must be >= 0 and <= 43200, if provided.", &visibility,
                        err) != 0 ||
        sqs__int_member(req->body, "WaitTimeSeconds", 0, 20,
                        "Must be >= 0 and <= 20, if provided.", &wait,
                        err) != 0) {
        sqs__queue_free(q);
        return NULL;
    }

    cJSON *out = sqs_receive_now(req->srv, q, req->body, max, visibility);
    if (cJSON_GetObjectItemCaseSensitive(out, "Messages") || wait == 0 ||
        !req->http) {
        sqs__queue_free(q);
        return out;
    }

    sqs_waiter *w = xcalloc(1, sizeof *w);
    w->pending = http_request_defer(req->http, sqs_waiter_abort, w);
    if (!w->pending) {
        free(w);
        sqs__queue_free(q);
        return out;
    }
    cJSON_Delete(out);
    w->srv = req->srv;
    snprintf(w->account, sizeof w->account, "%s", q->account);
    snprintf(w->region, sizeof w->region, "%s", q->region);
    snprintf(w->name, sizeof w->name, "%s", q->name);
    snprintf(w->request_id, sizeof w->request_id, "%s", req->request_id);
    w->queue_id = q->id;
    w->query = !http_request_header(req->http, "X-Amz-Target") &&
               aws_query_is_request(req->http);
    w->body = cJSON_Duplicate(req->body, 1);
    w->max = max;
    w->visibility = visibility;
    uv_timer_init(&req->srv->loop, &w->timer);
    w->timer.data = w;
    w->deadline = uv_now(&req->srv->loop) + (uint64_t)wait * 1000;
    uv_timer_start(&w->timer, sqs_waiter_tick, SQS_POLL_INTERVAL_MS, 0);
    sqs_state *st = sqs_state_of(req->srv);
    w->next = st->waiters;
    st->waiters = w;
    log_at(LOG_DEBUG, "sqs", req->request_id, "long poll on %s for %lds",
           q->name, wait);
    sqs__queue_free(q);
    req->deferred = 1;
    return cJSON_CreateObject();
}
