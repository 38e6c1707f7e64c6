/*
 * sqs_queue.c: the queue operations of SQS (CreateQueue, GetQueueUrl,
 * DeleteQueue, ListQueues, ListDeadLetterSourceQueues, GetQueueAttributes,
 * SetQueueAttributes, PurgeQueue, TagQueue, UntagQueue, ListQueueTags) and
 * the AWS::SQS::Queue stack type.
 *
 * Left out: KMS (KmsMasterKeyId is stored and returned, nothing is
 * encrypted), the 60-second QueueDeletedRecently block after DeleteQueue,
 * and the eventual consistency of queue listings.
 */
#include "sqs_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store.h"
#include "util.h"

typedef enum sqs_attr_kind {
    SQS_ATTR_INT,
    SQS_ATTR_BOOL,
    SQS_ATTR_TEXT,
    SQS_ATTR_JSON,
    SQS_ATTR_ENUM
} sqs_attr_kind;

/* A settable queue attribute: its range or values and its default (NULL:
 * absent until set). */
typedef struct sqs_attr_spec {
    const char *name;
    sqs_attr_kind kind;
    long min, max;
    const char *values; /* SQS_ATTR_ENUM: '|'-separated */
    const char *default_value;
    int fifo_only;
} sqs_attr_spec;

static const sqs_attr_spec sqs_attr_specs[] = {
    {"DelaySeconds", SQS_ATTR_INT, 0, 900, NULL, "0", 0},
    {"MaximumMessageSize", SQS_ATTR_INT, 1024, SQS_MAX_MESSAGE_BYTES, NULL,
     "1048576", 0},
    {"MessageRetentionPeriod", SQS_ATTR_INT, 60, 1209600, NULL, "345600", 0},
    {"ReceiveMessageWaitTimeSeconds", SQS_ATTR_INT, 0, 20, NULL, "0", 0},
    {"VisibilityTimeout", SQS_ATTR_INT, 0, 43200, NULL, "30", 0},
    {"Policy", SQS_ATTR_JSON, 0, 0, NULL, NULL, 0},
    {"RedrivePolicy", SQS_ATTR_JSON, 0, 0, NULL, NULL, 0},
    {"RedriveAllowPolicy", SQS_ATTR_JSON, 0, 0, NULL, NULL, 0},
    {"KmsMasterKeyId", SQS_ATTR_TEXT, 0, 0, NULL, NULL, 0},
    {"KmsDataKeyReusePeriodSeconds", SQS_ATTR_INT, 60, 86400, NULL, NULL, 0},
    {"SqsManagedSseEnabled", SQS_ATTR_BOOL, 0, 0, NULL, "true", 0},
    {"FifoQueue", SQS_ATTR_BOOL, 0, 0, NULL, NULL, 1},
    {"ContentBasedDeduplication", SQS_ATTR_BOOL, 0, 0, NULL, "false", 1},
    {"DeduplicationScope", SQS_ATTR_ENUM, 0, 0, "messageGroup|queue", "queue",
     1},
    {"FifoThroughputLimit", SQS_ATTR_ENUM, 0, 0, "perQueue|perMessageGroupId",
     "perQueue", 1},
};

static const char *const sqs_readonly_attrs[] = {
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
    "CreatedTimestamp",
    "LastModifiedTimestamp",
    "QueueArn",
    NULL,
};

static const sqs_attr_spec *sqs_attr_find(const char *name)
{
    for (size_t i = 0; i < sizeof sqs_attr_specs / sizeof *sqs_attr_specs; i++)
        if (strcmp(sqs_attr_specs[i].name, name) == 0)
            return &sqs_attr_specs[i];
    return NULL;
}

static int sqs_enum_has(const char *values, const char *v)
{
    size_t len = strlen(v);
    const char *p = values;
    while (p && *p) {
        const char *bar = strchr(p, '|');
        size_t n = bar ? (size_t)(bar - p) : strlen(p);
        if (n == len && strncmp(p, v, n) == 0)
            return 1;
        p = bar ? bar + 1 : NULL;
    }
    return 0;
}

static int sqs_redrive_check(stratus *srv, const char *text, aws_error *err)
{
    cJSON *policy = cJSON_Parse(text);
    const cJSON *count =
        cJSON_GetObjectItemCaseSensitive(policy, "maxReceiveCount");
    const char *target = sqs__str(policy, "deadLetterTargetArn");
    const char *reason = NULL;
    long n = 0;

    if (!cJSON_IsObject(policy))
        reason = "Redrive policy is not a valid JSON map.";
    else if (!target)
        reason = "Redrive policy does not contain mandatory attribute: "
                 "deadLetterTargetArn.";
    else if (!count)
        reason = "Redrive policy does not contain mandatory attribute: "
                 "maxReceiveCount.";
    if (!reason) {
        n = cJSON_IsNumber(count)   ? (long)count->valuedouble
            : cJSON_IsString(count) ? strtol(count->valuestring, NULL, 10)
                                    : 0;
        if (n < 1 || n > 1000)
            reason = "Invalid value for maxReceiveCount: must be between 1 "
                     "and 1000.";
    }
    if (!reason) {
        /* arn:aws:sqs:<region>:<account>:<name> */
        char r[64] = "", a[16] = "", name[96] = "";
        if (sscanf(target, "arn:aws:sqs:%63[^:]:%15[^:]:%95s", r, a, name) != 3)
            reason = "Invalid value for deadLetterTargetArn.";
        else {
            sqs_queue *dlq = sqs__queue_load(srv, a, r, name);
            if (!dlq)
                reason = "Dead letter target does not exist.";
            sqs__queue_free(dlq);
        }
    }
    cJSON_Delete(policy);
    if (reason)
        return aws_fail(err, AWS_ERR_SQS_INVALID_PARAMETER_VALUE,
                        "Value %s for parameter RedrivePolicy is invalid. "
                        "Reason: %s",
                        text, reason);
    return 0;
}

/*
 * Check a request's Attributes map and merge it into `into` (strings).
 * `creating` allows FifoQueue. Returns 0 or -1 with the AWS error.
 */
static int sqs_attrs_apply(stratus *srv, const char *account,
                           const char *region, const cJSON *attrs, int fifo,
                           int creating, cJSON *into, aws_error *err)
{
    const cJSON *a;
    cJSON_ArrayForEach(a, attrs)
    {
        const sqs_attr_spec *spec = sqs_attr_find(a->string);
        if (!spec || (spec->fifo_only && !fifo))
            return aws_fail(err, AWS_ERR_SQS_INVALID_ATTRIBUTE_NAME,
                            "Unknown Attribute %s.", a->string);
        if (!cJSON_IsString(a))
            return aws_fail(err, AWS_ERR_SQS_INVALID_ATTRIBUTE_VALUE,
                            "Invalid value for the parameter %s.", a->string);
        const char *v = a->valuestring;
        int ok = 1;
        switch (spec->kind) {
        case SQS_ATTR_INT: {
            char *end = NULL;
            long n = strtol(v, &end, 10);
            ok = end != v && *end == '\0' && n >= spec->min && n <= spec->max;
            break;
        }
        case SQS_ATTR_BOOL:
            ok = strcmp(v, "true") == 0 || strcmp(v, "false") == 0;
            break;
        case SQS_ATTR_ENUM:
            ok = sqs_enum_has(spec->values, v);
            break;
        case SQS_ATTR_JSON:
            if (v[0]) {
                cJSON *parsed = cJSON_Parse(v);
                ok = cJSON_IsObject(parsed);
                cJSON_Delete(parsed);
            }
            break;
        case SQS_ATTR_TEXT:
            break;
        }
        if (!ok)
            return aws_fail(err, AWS_ERR_SQS_INVALID_ATTRIBUTE_VALUE,
                            "Invalid value for the parameter %s.", a->string);
        if (strcmp(a->string, "FifoQueue") == 0 && !creating)
            return aws_fail(err, AWS_ERR_SQS_INVALID_ATTRIBUTE_NAME,
                            "Unknown Attribute FifoQueue.");
        if (strcmp(a->string, "RedrivePolicy") == 0 && v[0] &&
            sqs_redrive_check(srv, v, err) != 0)
            return -1;

        cJSON_DeleteItemFromObjectCaseSensitive(into, a->string);
        if (v[0] || spec->kind != SQS_ATTR_JSON)
            cJSON_AddStringToObject(into, a->string, v);
    }
    return 0;
}

static int sqs_name_check(const char *name, int fifo, aws_error *err)
{
    size_t len = strlen(name);
    size_t base = len;
    if (fifo && len > 5 && strcmp(name + len - 5, ".fifo") == 0)
        base = len - 5;
    int ok = len >= 1 && len <= 80 && (!fifo || base < len);
    for (size_t i = 0; ok && i < base; i++) {
        char c = name[i];
        ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
             (c >= '0' && c <= '9') || c == '-' || c == '_';
    }
    if (ok)
        return 0;
    if (fifo)
        return aws_fail(err, AWS_ERR_SQS_INVALID_PARAMETER_VALUE,
                        "The name of a FIFO queue can only include "
                        "alphanumeric characters, hyphens, or underscores, "
                        "must end with .fifo suffix and be 1 to 80 in "
                        "length.");
    return aws_fail(err, AWS_ERR_SQS_INVALID_PARAMETER_VALUE,
                    "Can only include alphanumeric characters, hyphens, or "
                    "underscores. 1 to 80 in length");
}

static cJSON *sqs_url_result(aws_request *req, const char *account,
                             const char *name)
{
    char url[512];
    sqs__queue_url(req, account, name, url, sizeof url);
    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "QueueUrl", url);
    return out;
}

cJSON *sqs_op_create_queue(aws_request *req, aws_error *err)
{
    const char *name = sqs__str(req->body, "QueueName");
    const cJSON *attrs =
        cJSON_GetObjectItemCaseSensitive(req->body, "Attributes");
    /* JSON names the member "tags"; the Query protocol decodes "Tags". */
    const cJSON *tags = cJSON_GetObjectItemCaseSensitive(req->body, "tags");
    if (!tags)
        tags = cJSON_GetObjectItemCaseSensitive(req->body, "Tags");
    if (!name)
        return sqs__missing(err, "QueueName"), NULL;

    const char *fifo_attr = sqs__str(attrs, "FifoQueue");
    int fifo = fifo_attr && strcmp(fifo_attr, "true") == 0;
    if (sqs_name_check(name, fifo, err) != 0)
        return NULL;

    cJSON *merged = cJSON_CreateObject();
    for (size_t i = 0; i < sizeof sqs_attr_specs / sizeof *sqs_attr_specs;
         i++) {
        const sqs_attr_spec *spec = &sqs_attr_specs[i];
        if (spec->default_value && (!spec->fifo_only || fifo))
            cJSON_AddStringToObject(merged, spec->name, spec->default_value);
    }
    if (sqs_attrs_apply(req->srv, req->account, req->region, attrs, fifo, 1,
                        merged, err) != 0) {
        cJSON_Delete(merged);
        return NULL;
    }
    if (sqs__str(merged, "KmsMasterKeyId") &&
        !sqs__str(merged, "KmsDataKeyReusePeriodSeconds"))
        cJSON_AddStringToObject(merged, "KmsDataKeyReusePeriodSeconds", "300");

    sqs_queue *existing =
        sqs__queue_load(req->srv, req->account, req->region, name);
    if (existing) {
        /* Same name: success when every requested attribute agrees. */
        const cJSON *a;
        cJSON_ArrayForEach(a, attrs)
        {
            const char *have = sqs__str(existing->attributes, a->string);
            const char *want = sqs__str(merged, a->string);
            if ((have || want) && (!have || !want || strcmp(have, want) != 0)) {
                sqs__queue_free(existing);
                cJSON_Delete(merged);
                return aws_fail(err, AWS_ERR_SQS_QUEUE_NAME_EXISTS,
                                "A queue already exists with the same name "
                                "and a different value for attribute %s",
                                a->string),
                       NULL;
            }
        }
        sqs__queue_free(existing);
        cJSON_Delete(merged);
        return sqs_url_result(req, req->account, name);
    }

    cJSON *tag_obj = cJSON_CreateObject();
    const cJSON *t;
    cJSON_ArrayForEach(t, tags)
    {
        if (cJSON_IsString(t))
            cJSON_AddStringToObject(tag_obj, t->string, t->valuestring);
    }
    char *attr_text = cJSON_PrintUnformatted(merged);
    char *tag_text = cJSON_PrintUnformatted(tag_obj);
    int64_t now = clock_now_ms(&req->srv->clock);
    sqlite3_stmt *s = store_stmt(
        req->srv->store,
        "INSERT INTO sqs_queue (account, region, name, attributes, tags,"
        " created_ms, modified_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)");
    sqlite3_bind_text(s, 1, req->account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, req->region, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, attr_text, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, tag_text, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 6, now);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    free(attr_text);
    free(tag_text);
    cJSON_Delete(merged);
    cJSON_Delete(tag_obj);
    if (rc != SQLITE_DONE) {
        log_error("sqs", "cannot store queue %s: %s", name,
                  sqlite3_errmsg(store_db(req->srv->store)));
        return aws_fail(err, AWS_ERR_INTERNAL_SERVER_ERROR, NULL), NULL;
    }
    log_at(LOG_DEBUG, "sqs", req->request_id, "created queue %s/%s",
           req->account, name);
    return sqs_url_result(req, req->account, name);
}

cJSON *sqs_op_get_queue_url(aws_request *req, aws_error *err)
{
    const char *name = sqs__str(req->body, "QueueName");
    const char *owner = sqs__str(req->body, "QueueOwnerAWSAccountId");
    if (!name)
        return sqs__missing(err, "QueueName"), NULL;
    const char *account = owner && owner[0] ? owner : req->account;
    sqs_queue *q = sqs__queue_load(req->srv, account, req->region, name);
    if (!q)
        return aws_fail(err, AWS_ERR_SQS_QUEUE_DOES_NOT_EXIST, NULL), NULL;
    sqs__queue_free(q);
    return sqs_url_result(req, account, name);
}

cJSON *sqs_op_delete_queue(aws_request *req, aws_error *err)
{
    sqs_queue *q = sqs__queue_open(req, err);
    if (!q)
        return NULL;
    sqlite3_stmt *s = store_stmt(req->srv->store,
                                 "DELETE FROM sqs_message WHERE queue_id = ?1");
    sqlite3_bind_int64(s, 1, q->id);
    sqlite3_step(s);
    sqlite3_reset(s);
    s = store_stmt(req->srv->store, "DELETE FROM sqs_queue WHERE id = ?1");
    sqlite3_bind_int64(s, 1, q->id);
    sqlite3_step(s);
    sqlite3_reset(s);
    sqs__queue_free(q);
    return cJSON_CreateObject();
}

cJSON *sqs_op_list_queues(aws_request *req, aws_error *err)
{
    const char *prefix = sqs__str(req->body, "QueueNamePrefix");
    const char *token = sqs__str(req->body, "NextToken");
    long max = 1000;
    int paged =
        cJSON_GetObjectItemCaseSensitive(req->body, "MaxResults") != NULL;
    if (sqs__int_member(req->body, "MaxResults", 1, 1000,
                        "MaxResults must be an integer between 1 and 1000.",
                        &max, err) != 0)
        return NULL;
    if (token && !paged)
        return aws_fail(err, AWS_ERR_SQS_INVALID_PARAMETER_VALUE,
                        "MaxResults is a mandatory parameter when you "
                        "provide a value for NextToken."),
               NULL;

    sqlite3_stmt *s = store_stmt(
        req->srv->store,
        "SELECT name FROM sqs_queue WHERE account = ?1 AND region = ?2"
        " AND substr(name, 1, length(?3)) = ?3 AND name > ?4"
        " ORDER BY name LIMIT ?5");
    sqlite3_bind_text(s, 1, req->account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, req->region, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, prefix ? prefix : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, token ? token : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 5, max + 1);
    cJSON *out = cJSON_CreateObject();
    cJSON *urls = cJSON_CreateArray();
    long n = 0;
    char last[96] = "";
    while (sqlite3_step(s) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(s, 0);
        if (n == max) {
            if (paged)
                cJSON_AddStringToObject(out, "NextToken", last);
            break;
        }
        char url[512];
        sqs__queue_url(req, req->account, name, url, sizeof url);
        cJSON_AddItemToArray(urls, cJSON_CreateString(url));
        snprintf(last, sizeof last, "%s", name);
        n++;
    }
    sqlite3_reset(s);
    if (n > 0)
        cJSON_AddItemToObject(out, "QueueUrls", urls);
    else
        cJSON_Delete(urls);
    return out;
}

cJSON *sqs_op_list_dead_letter_source_queues(aws_request *req, aws_error *err)
{
    const char *token = sqs__str(req->body, "NextToken");
    long max = 1000;
    if (sqs__int_member(req->body, "MaxResults", 1, 1000,
                        "MaxResults must be an integer between 1 and 1000.",
                        &max, err) != 0)
        return NULL;
    sqs_queue *q = sqs__queue_open(req, err);
    if (!q)
        return NULL;
    char arn[256];
    sqs__queue_arn(q, arn, sizeof arn);

    sqlite3_stmt *s = store_stmt(
        req->srv->store,
        "SELECT name FROM sqs_queue WHERE account = ?1 AND region = ?2 AND"
        " json_extract(json_extract(attributes, '$.RedrivePolicy'),"
        " '$.deadLetterTargetArn') = ?3 AND name > ?4 ORDER BY name"
        " LIMIT ?5");
    sqlite3_bind_text(s, 1, q->account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, q->region, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, arn, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, token ? token : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 5, max + 1);
    cJSON *out = cJSON_CreateObject();
    /* The JSON model spells this member in lower camel case. */
    cJSON *urls = cJSON_AddArrayToObject(out, "queueUrls");
    long n = 0;
    char last[96] = "";
    while (sqlite3_step(s) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(s, 0);
        if (n == max) {
            cJSON_AddStringToObject(out, "NextToken", last);
            break;
        }
        char url[512];
        sqs__queue_url(req, q->account, name, url, sizeof url);
        cJSON_AddItemToArray(urls, cJSON_CreateString(url));
        snprintf(last, sizeof last, "%s", name);
        n++;
    }
    sqlite3_reset(s);
    sqs__queue_free(q);
    return out;
}

static long sqs_count(stratus *srv, const char *sql, int64_t queue_id,
                      int64_t now)
{
    sqlite3_stmt *s = store_stmt(srv->store, sql);
    sqlite3_bind_int64(s, 1, queue_id);
    sqlite3_bind_int64(s, 2, now);
    long n = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    sqlite3_reset(s);
    return n;
}

static void sqs_add_long(cJSON *out, const char *name, long value)
{
    char text[32];
    snprintf(text, sizeof text, "%ld", value);
    cJSON_AddStringToObject(out, name, text);
}

static void sqs_readonly_attr(stratus *srv, const sqs_queue *q,
                              const char *name, cJSON *out)
{
    int64_t now = clock_now_ms(&srv->clock);
    if (strcmp(name, "QueueArn") == 0) {
        char arn[256];
        sqs__queue_arn(q, arn, sizeof arn);
        cJSON_AddStringToObject(out, name, arn);
    } else if (strcmp(name, "CreatedTimestamp") == 0) {
        sqs_add_long(out, name, (long)(q->created_ms / 1000));
    } else if (strcmp(name, "LastModifiedTimestamp") == 0) {
        sqs_add_long(out, name, (long)(q->modified_ms / 1000));
    } else if (strcmp(name, "ApproximateNumberOfMessages") == 0) {
        sqs_add_long(out, name,
                     sqs_count(srv,
                               "SELECT count(*) FROM sqs_message WHERE"
                               " queue_id = ?1 AND visible_ms <= ?2",
                               q->id, now));
    } else if (strcmp(name, "ApproximateNumberOfMessagesNotVisible") == 0) {
        sqs_add_long(out, name,
                     sqs_count(srv,
                               "SELECT count(*) FROM sqs_message WHERE"
                               " queue_id = ?1 AND visible_ms > ?2 AND"
                               " receipt IS NOT NULL",
                               q->id, now));
    } else if (strcmp(name, "ApproximateNumberOfMessagesDelayed") == 0) {
        sqs_add_long(out, name,
                     sqs_count(srv,
                               "SELECT count(*) FROM sqs_message WHERE"
                               " queue_id = ?1 AND visible_ms > ?2 AND"
                               " receipt IS NULL",
                               q->id, now));
    }
}

static int sqs_is_readonly(const char *name)
{
    for (size_t i = 0; sqs_readonly_attrs[i]; i++)
        if (strcmp(sqs_readonly_attrs[i], name) == 0)
            return 1;
    return 0;
}

cJSON *sqs_op_get_queue_attributes(aws_request *req, aws_error *err)
{
    const cJSON *names =
        cJSON_GetObjectItemCaseSensitive(req->body, "AttributeNames");
    sqs_queue *q = sqs__queue_open(req, err);
    if (!q)
        return NULL;

    int all = 0;
    const cJSON *n;
    cJSON_ArrayForEach(n, names)
    {
        if (!cJSON_IsString(n))
            continue;
        if (strcmp(n->valuestring, "All") == 0) {
            all = 1;
            continue;
        }
        const sqs_attr_spec *spec = sqs_attr_find(n->valuestring);
        if ((!spec || (spec->fifo_only && !sqs__queue_is_fifo(q))) &&
            !sqs_is_readonly(n->valuestring)) {
            sqs__queue_free(q);
            return aws_fail(err, AWS_ERR_SQS_INVALID_ATTRIBUTE_NAME,
                            "Unknown Attribute %s.", n->valuestring),
                   NULL;
        }
    }

    cJSON *attrs = cJSON_CreateObject();
    if (all) {
        for (size_t i = 0; sqs_readonly_attrs[i]; i++)
            sqs_readonly_attr(req->srv, q, sqs_readonly_attrs[i], attrs);
        const cJSON *a;
        cJSON_ArrayForEach(a, q->attributes)
        {
            cJSON_AddStringToObject(attrs, a->string, a->valuestring);
        }
    } else {
        cJSON_ArrayForEach(n, names)
        {
            if (!cJSON_IsString(n) ||
                cJSON_GetObjectItemCaseSensitive(attrs, n->valuestring))
                continue;
            const char *v = sqs__str(q->attributes, n->valuestring);
            if (v)
                cJSON_AddStringToObject(attrs, n->valuestring, v);
            else
                sqs_readonly_attr(req->srv, q, n->valuestring, attrs);
        }
    }
    sqs__queue_free(q);
    cJSON *out = cJSON_CreateObject();
    if (attrs->child)
        cJSON_AddItemToObject(out, "Attributes", attrs);
    else
        cJSON_Delete(attrs);
    return out;
}

static int sqs_queue_store(stratus *srv, const sqs_queue *q)
{
    char *attr_text = cJSON_PrintUnformatted(q->attributes);
    char *tag_text = cJSON_PrintUnformatted(q->tags);
    sqlite3_stmt *s =
        store_stmt(srv->store, "UPDATE sqs_queue SET attributes = ?2,"
                               " tags = ?3, modified_ms = ?4,"
                               " purged_ms = ?5 WHERE id = ?1");
    sqlite3_bind_int64(s, 1, q->id);
    sqlite3_bind_text(s, 2, attr_text, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, tag_text, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 4, q->modified_ms);
    sqlite3_bind_int64(s, 5, q->purged_ms);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    free(attr_text);
    free(tag_text);
    return rc == SQLITE_DONE ? 0 : -1;
}

cJSON *sqs_op_set_queue_attributes(aws_request *req, aws_error *err)
{
    const cJSON *attrs =
        cJSON_GetObjectItemCaseSensitive(req->body, "Attributes");
    sqs_queue *q = sqs__queue_open(req, err);
    if (!q)
        return NULL;
    if (!attrs) {
        sqs__queue_free(q);
        return sqs__missing(err, "Attributes"), NULL;
    }
    if (sqs_attrs_apply(req->srv, req->account, req->region, attrs,
                        sqs__queue_is_fifo(q), 0, q->attributes, err) != 0) {
        sqs__queue_free(q);
        return NULL;
    }
    q->modified_ms = clock_now_ms(&req->srv->clock);
    int rc = sqs_queue_store(req->srv, q);
    sqs__queue_free(q);
    if (rc != 0)
        return aws_fail(err, AWS_ERR_INTERNAL_SERVER_ERROR, NULL), NULL;
    return cJSON_CreateObject();
}

cJSON *sqs_op_purge_queue(aws_request *req, aws_error *err)
{
    sqs_queue *q = sqs__queue_open(req, err);
    if (!q)
        return NULL;
    int64_t now = clock_now_ms(&req->srv->clock);
    if (q->purged_ms && now - q->purged_ms < SQS_PURGE_INTERVAL_MS) {
        aws_fail(err, AWS_ERR_SQS_PURGE_QUEUE_IN_PROGRESS,
                 "Only one PurgeQueue operation on %s is allowed every 60 "
                 "seconds.",
                 q->name);
        sqs__queue_free(q);
        return NULL;
    }
    sqlite3_stmt *s = store_stmt(req->srv->store,
                                 "DELETE FROM sqs_message WHERE queue_id = ?1");
    sqlite3_bind_int64(s, 1, q->id);
    sqlite3_step(s);
    sqlite3_reset(s);
    q->purged_ms = now;
    int rc = sqs_queue_store(req->srv, q);
    sqs__queue_free(q);
    if (rc != 0)
        return aws_fail(err, AWS_ERR_INTERNAL_SERVER_ERROR, NULL), NULL;
    return cJSON_CreateObject();
}

cJSON *sqs_op_tag_queue(aws_request *req, aws_error *err)
{
    const cJSON *tags = cJSON_GetObjectItemCaseSensitive(req->body, "Tags");
    sqs_queue *q = sqs__queue_open(req, err);
    if (!q)
        return NULL;
    const cJSON *t;
    cJSON_ArrayForEach(t, tags)
    {
        if (!cJSON_IsString(t))
            continue;
        cJSON_DeleteItemFromObjectCaseSensitive(q->tags, t->string);
        cJSON_AddStringToObject(q->tags, t->string, t->valuestring);
    }
    int rc = sqs_queue_store(req->srv, q);
    sqs__queue_free(q);
    if (rc != 0)
        return aws_fail(err, AWS_ERR_INTERNAL_SERVER_ERROR, NULL), NULL;
    return cJSON_CreateObject();
}

cJSON *sqs_op_untag_queue(aws_request *req, aws_error *err)
{
    const cJSON *keys = cJSON_GetObjectItemCaseSensitive(req->body, "TagKeys");
    sqs_queue *q = sqs__queue_open(req, err);
    if (!q)
        return NULL;
    const cJSON *k;
    cJSON_ArrayForEach(k, keys)
    {
        if (cJSON_IsString(k))
            cJSON_DeleteItemFromObjectCaseSensitive(q->tags, k->valuestring);
    }
    int rc = sqs_queue_store(req->srv, q);
    sqs__queue_free(q);
    if (rc != 0)
        return aws_fail(err, AWS_ERR_INTERNAL_SERVER_ERROR, NULL), NULL;
    return cJSON_CreateObject();
}

cJSON *sqs_op_list_queue_tags(aws_request *req, aws_error *err)
{
    sqs_queue *q = sqs__queue_open(req, err);
    if (!q)
        return NULL;
    cJSON *out = cJSON_CreateObject();
    if (q->tags->child)
        cJSON_AddItemToObject(out, "Tags", cJSON_Duplicate(q->tags, 1));
    sqs__queue_free(q);
    return out;
}

/* A CloudFormation property value as the string SQS stores. */
static char *sqs_stack_value(const cJSON *v)
{
    if (cJSON_IsString(v))
        return xstrdup(v->valuestring);
    if (cJSON_IsBool(v))
        return xstrdup(cJSON_IsTrue(v) ? "true" : "false");
    if (cJSON_IsNumber(v)) {
        char text[32];
        snprintf(text, sizeof text, "%.0f", v->valuedouble);
        return xstrdup(text);
    }
    return cJSON_PrintUnformatted(v);
}

int sqs_stack_apply_queue(stratus *srv, const char *account, const char *region,
                          const char *logical_id, const cJSON *properties,
                          aws_error *err)
{
    if (!cJSON_IsObject(properties))
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "Properties of %s must be a mapping", logical_id);
    const char *name = sqs__str(properties, "QueueName");
    cJSON *body = cJSON_CreateObject();
    cJSON *attrs = cJSON_AddObjectToObject(body, "Attributes");
    cJSON *tags = cJSON_AddObjectToObject(body, "tags");
    const cJSON *p;
    cJSON_ArrayForEach(p, properties)
    {
        if (strcmp(p->string, "QueueName") == 0)
            continue;
        if (strcmp(p->string, "Tags") == 0) {
            const cJSON *t;
            cJSON_ArrayForEach(t, p)
            {
                const char *k = sqs__str(t, "Key"), *v = sqs__str(t, "Value");
                if (k && v)
                    cJSON_AddStringToObject(tags, k, v);
            }
            continue;
        }
        char *value = sqs_stack_value(p);
        cJSON_AddStringToObject(attrs, p->string, value);
        free(value);
    }
    cJSON_AddStringToObject(body, "QueueName", name ? name : logical_id);

    aws_request req = {
        .srv = srv,
        .service = &sqs_service,
        .operation = "CreateQueue",
        .account = account,
        .region = region,
        .access_key = "",
        .request_id = "stack",
        .body = body,
    };
    sqs_queue *q =
        sqs__queue_load(srv, account, region, name ? name : logical_id);
    cJSON *out = NULL;
    if (q) {
        /* An existing queue takes the file's attributes (a redeploy). */
        cJSON_DeleteItemFromObjectCaseSensitive(attrs, "FifoQueue");
        char url[512];
        sqs__queue_url(&req, account, q->name, url, sizeof url);
        cJSON_AddStringToObject(body, "QueueUrl", url);
        req.operation = "SetQueueAttributes";
        out = sqs_op_set_queue_attributes(&req, err);
        sqs__queue_free(q);
    } else {
        out = sqs_op_create_queue(&req, err);
    }
    cJSON_Delete(body);
    cJSON_Delete(out);
    return out ? 0 : -1;
}
