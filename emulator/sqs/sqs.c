/*
 * sqs.c: the SQS service: schema, operation table (JSON 1.0, target prefix
 * AmazonSQS), the x-amzn-query-error header of its errors, and the queue
 * lookup and request helpers the other files share.
 *
 * SQS is "awsQueryCompatible": besides the JSON __type, each error carries
 * the header "x-amzn-query-error: <Query error code>;Sender", which the
 * SDKs read to name the error as the Query protocol did. Older clients
 * that still use the Query protocol (form-encoded Action=..., XML
 * responses) reach the same handlers through sqs_query, the table the
 * dispatcher's Query codec follows.
 */
#include "sqs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "log.h"
#include "sqs_internal.h"
#include "store.h"
#include "util.h"

static const char *const sqs_schema_steps[] = {
    "CREATE TABLE sqs_queue (id INTEGER PRIMARY KEY,"
    " account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL,"
    " attributes TEXT NOT NULL, tags TEXT NOT NULL DEFAULT '{}',"
    " created_ms INTEGER NOT NULL, modified_ms INTEGER NOT NULL,"
    " purged_ms INTEGER NOT NULL DEFAULT 0,"
    " UNIQUE (account, region, name))",
    "CREATE TABLE sqs_message (id INTEGER PRIMARY KEY,"
    " queue_id INTEGER NOT NULL REFERENCES sqs_queue (id) ON DELETE CASCADE,"
    " message_id TEXT NOT NULL, body TEXT NOT NULL,"
    " attributes TEXT, system_attributes TEXT,"
    " md5_body TEXT NOT NULL, md5_attributes TEXT, md5_system TEXT,"
    " sent_ms INTEGER NOT NULL, visible_ms INTEGER NOT NULL,"
    " receive_count INTEGER NOT NULL DEFAULT 0, first_receive_ms INTEGER,"
    " receipt TEXT, group_id TEXT, dedup_id TEXT, sender TEXT)",
    "CREATE INDEX sqs_message_visible ON sqs_message (queue_id, visible_ms,"
    " id)",
    "CREATE INDEX sqs_message_dedup ON sqs_message (queue_id, dedup_id)"
    " WHERE dedup_id IS NOT NULL",
    "CREATE INDEX sqs_message_receipt ON sqs_message (receipt)"
    " WHERE receipt IS NOT NULL",
};

/* Query error codes of the errors whose code differs from the JSON type. */
static const struct {
    aws_code code;
    const char *query_code;
} sqs_query_codes[] = {
    {AWS_ERR_SQS_QUEUE_DOES_NOT_EXIST,
     "AWS.SimpleQueueService.NonExistentQueue"},
    {AWS_ERR_SQS_QUEUE_NAME_EXISTS, "QueueAlreadyExists"},
    {AWS_ERR_SQS_MESSAGE_NOT_INFLIGHT,
     "AWS.SimpleQueueService.MessageNotInflight"},
    {AWS_ERR_SQS_PURGE_QUEUE_IN_PROGRESS,
     "AWS.SimpleQueueService.PurgeQueueInProgress"},
    {AWS_ERR_SQS_EMPTY_BATCH_REQUEST,
     "AWS.SimpleQueueService.EmptyBatchRequest"},
    {AWS_ERR_SQS_TOO_MANY_ENTRIES,
     "AWS.SimpleQueueService.TooManyEntriesInBatchRequest"},
    {AWS_ERR_SQS_BATCH_IDS_NOT_DISTINCT,
     "AWS.SimpleQueueService.BatchEntryIdsNotDistinct"},
    {AWS_ERR_SQS_INVALID_BATCH_ENTRY_ID,
     "AWS.SimpleQueueService.InvalidBatchEntryId"},
    {AWS_ERR_SQS_BATCH_REQUEST_TOO_LONG,
     "AWS.SimpleQueueService.BatchRequestTooLong"},
};

/* The Query error code of an error, or NULL when it is the type name. */
static const char *sqs_query_error_code(aws_code code)
{
    for (size_t i = 0; i < sizeof sqs_query_codes / sizeof *sqs_query_codes;
         i++)
        if (sqs_query_codes[i].code == code)
            return sqs_query_codes[i].query_code;
    return NULL;
}

/* Add x-amzn-query-error to a failed call's response. */
static void sqs_query_error_header(aws_request *req, const aws_error *err)
{
    if (!req->out || err->code == AWS_OK ||
        err->code == AWS_ERR_INTERNAL_SERVER_ERROR)
        return;
    const char *code = sqs_query_error_code(err->code);
    if (!code)
        code = aws_code_name(err->code);
    char value[160];
    snprintf(value, sizeof value, "%s;Sender", code);
    http_response_header(req->out, "x-amzn-query-error", value);
}

const char *sqs__str(const cJSON *obj, const char *name)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(m) ? m->valuestring : NULL;
}

int sqs__missing(aws_error *err, const char *member)
{
    return aws_fail(err, AWS_ERR_SQS_MISSING_PARAMETER,
                    "The request must contain the parameter %s.", member);
}

int sqs__int_member(const cJSON *body, const char *member, long min, long max,
                    const char *reason, long *out, aws_error *err)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(body, member);
    if (!m || cJSON_IsNull(m))
        return 0;
    double v = 0;
    int ok = 0;
    if (cJSON_IsNumber(m)) {
        v = m->valuedouble;
        ok = v == (double)(long)v;
    } else if (cJSON_IsString(m)) {
        /* The CLI and older SDKs send some integers as strings. */
        char *end = NULL;
        errno = 0;
        v = (double)strtol(m->valuestring, &end, 10);
        ok = errno == 0 && end != m->valuestring && *end == '\0';
    }
    if (!ok || v < (double)min || v > (double)max) {
        char shown[64];
        if (cJSON_IsString(m))
            snprintf(shown, sizeof shown, "%.40s", m->valuestring);
        else if (cJSON_IsNumber(m))
            snprintf(shown, sizeof shown, "%.17g", m->valuedouble);
        else
            snprintf(shown, sizeof shown, "%s", "(not a number)");
        return aws_fail(err, AWS_ERR_SQS_INVALID_PARAMETER_VALUE,
                        "Value %s for parameter %s is invalid. Reason: %s",
                        shown, member, reason);
    }
    *out = (long)v;
    return 0;
}

sqs_queue *sqs__queue_load(stratus *srv, const char *account,
                           const char *region, const char *name)
{
    sqlite3_stmt *s = store_stmt(
        srv->store, "SELECT id, attributes, tags, created_ms, modified_ms,"
                    " purged_ms FROM sqs_queue WHERE account = ?1 AND"
                    " region = ?2 AND name = ?3");
    sqlite3_bind_text(s, 1, account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, region, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, name, -1, SQLITE_STATIC);
    sqs_queue *q = NULL;
    if (sqlite3_step(s) == SQLITE_ROW) {
        q = xcalloc(1, sizeof *q);
        q->id = sqlite3_column_int64(s, 0);
        snprintf(q->account, sizeof q->account, "%s", account);
        snprintf(q->region, sizeof q->region, "%s", region);
        snprintf(q->name, sizeof q->name, "%s", name);
        q->attributes = cJSON_Parse((const char *)sqlite3_column_text(s, 1));
        q->tags = cJSON_Parse((const char *)sqlite3_column_text(s, 2));
        q->created_ms = sqlite3_column_int64(s, 3);
        q->modified_ms = sqlite3_column_int64(s, 4);
        q->purged_ms = sqlite3_column_int64(s, 5);
        if (!q->attributes)
            q->attributes = cJSON_CreateObject();
        if (!q->tags)
            q->tags = cJSON_CreateObject();
    }
    sqlite3_reset(s);
    return q;
}

void sqs__queue_free(sqs_queue *q)
{
    if (!q)
        return;
    cJSON_Delete(q->attributes);
    cJSON_Delete(q->tags);
    free(q);
}

sqs_queue *sqs__queue_open(aws_request *req, aws_error *err)
{
    const char *url = sqs__str(req->body, "QueueUrl");
    if (!url || !url[0]) {
        sqs__missing(err, "QueueUrl");
        return NULL;
    }

    /* Take the last two path segments: "<account>/<name>". */
    const char *path = strstr(url, "://");
    path = path ? strchr(path + 3, '/') : url;
    char account[16] = "", name[96] = "";
    if (path) {
        while (*path == '/')
            path++;
        const char *slash = strchr(path, '/');
        if (slash && (size_t)(slash - path) < sizeof account &&
            strlen(slash + 1) < sizeof name && !strchr(slash + 1, '/')) {
            memcpy(account, path, (size_t)(slash - path));
            account[slash - path] = '\0';
            snprintf(name, sizeof name, "%s", slash + 1);
        }
    }
    sqs_queue *q =
        name[0] ? sqs__queue_load(req->srv, account, req->region, name) : NULL;
    if (!q)
        aws_fail(err, AWS_ERR_SQS_QUEUE_DOES_NOT_EXIST, NULL);
    return q;
}

void sqs__queue_url(const aws_request *req, const char *account,
                    const char *name, char *out, size_t size)
{
    const char *host =
        req->http ? http_request_header(req->http, "Host") : NULL;
    if (host && host[0])
        snprintf(out, size, "http://%s/%s/%s", host, account, name);
    else
        snprintf(out, size, "http://%s:%d/%s/%s",
                 req->srv->cfg.host[0] ? req->srv->cfg.host : "localhost",
                 req->srv->cfg.port, account, name);
}

void sqs__queue_arn(const sqs_queue *q, char *out, size_t size)
{
    snprintf(out, size, "arn:aws:sqs:%s:%s:%s", q->region, q->account, q->name);
}

long sqs__queue_attr_long(const sqs_queue *q, const char *name)
{
    const char *v = sqs__str(q->attributes, name);
    return v ? strtol(v, NULL, 10) : 0;
}

int sqs__queue_is_fifo(const sqs_queue *q)
{
    const char *v = sqs__str(q->attributes, "FifoQueue");
    return v && strcmp(v, "true") == 0;
}

static int sqs_init(stratus *srv, aws_error *err)
{
    char errbuf[512];
    if (store_migrate(srv->store, "sqs", sqs_schema_steps,
                      sizeof sqs_schema_steps / sizeof *sqs_schema_steps,
                      errbuf, sizeof errbuf) != 0)
        return aws_fail(err, AWS_ERR_INTERNAL_SERVER_ERROR, "%s", errbuf);
    srv->service_state[stratus_service_index(&sqs_service)] =
        xcalloc(1, sizeof(sqs_state));
    if (sqs__evb_register(srv) != 0)
        return aws_fail(err, AWS_ERR_INTERNAL_SERVER_ERROR,
                        "the EventBridge target registry is full");
    return 0;
}

static void sqs_cleanup(stratus *srv)
{
    size_t index = stratus_service_index(&sqs_service);
    sqs__waiters_close(srv);
    free(srv->service_state[index]);
    srv->service_state[index] = NULL;
}

/* Each operation runs through a wrapper that adds x-amzn-query-error. */
#define SQS_WRAP(fn)                                                           \
    static cJSON *fn##_checked(aws_request *req, aws_error *err)               \
    {                                                                          \
        cJSON *out = fn(req, err);                                             \
        if (!out)                                                              \
            sqs_query_error_header(req, err);                                  \
        return out;                                                            \
    }
SQS_WRAP(sqs_op_change_message_visibility)
SQS_WRAP(sqs_op_change_message_visibility_batch)
SQS_WRAP(sqs_op_create_queue)
SQS_WRAP(sqs_op_delete_message)
SQS_WRAP(sqs_op_delete_message_batch)
SQS_WRAP(sqs_op_delete_queue)
SQS_WRAP(sqs_op_get_queue_attributes)
SQS_WRAP(sqs_op_get_queue_url)
SQS_WRAP(sqs_op_list_dead_letter_source_queues)
SQS_WRAP(sqs_op_list_queue_tags)
SQS_WRAP(sqs_op_list_queues)
SQS_WRAP(sqs_op_purge_queue)
SQS_WRAP(sqs_op_receive_message)
SQS_WRAP(sqs_op_send_message)
SQS_WRAP(sqs_op_send_message_batch)
SQS_WRAP(sqs_op_set_queue_attributes)
SQS_WRAP(sqs_op_tag_queue)
SQS_WRAP(sqs_op_untag_queue)

static const aws_operation sqs_operations[] = {
    {"AddPermission", NULL},
    {"CancelMessageMoveTask", NULL},
    {"ChangeMessageVisibility", sqs_op_change_message_visibility_checked},
    {"ChangeMessageVisibilityBatch",
     sqs_op_change_message_visibility_batch_checked},
    {"CreateQueue", sqs_op_create_queue_checked},
    {"DeleteMessage", sqs_op_delete_message_checked},
    {"DeleteMessageBatch", sqs_op_delete_message_batch_checked},
    {"DeleteQueue", sqs_op_delete_queue_checked},
    {"GetQueueAttributes", sqs_op_get_queue_attributes_checked},
    {"GetQueueUrl", sqs_op_get_queue_url_checked},
    {"ListDeadLetterSourceQueues",
     sqs_op_list_dead_letter_source_queues_checked},
    {"ListMessageMoveTasks", NULL},
    {"ListQueueTags", sqs_op_list_queue_tags_checked},
    {"ListQueues", sqs_op_list_queues_checked},
    {"PurgeQueue", sqs_op_purge_queue_checked},
    {"ReceiveMessage", sqs_op_receive_message_checked},
    {"RemovePermission", NULL},
    {"SendMessage", sqs_op_send_message_checked},
    {"SendMessageBatch", sqs_op_send_message_batch_checked},
    {"SetQueueAttributes", sqs_op_set_queue_attributes_checked},
    {"StartMessageMoveTask", NULL},
    {"TagQueue", sqs_op_tag_queue_checked},
    {"UntagQueue", sqs_op_untag_queue_checked},
};

/* The list and map members of SQS requests and results, as the Query
 * protocol flattens them (the 2012-11-05 Query service model). */
static const aws_query_member sqs_query_members[] = {
    {"Attribute", "Attributes", AWS_QUERY_MAP, "Name", "Value"},
    {"MessageAttribute", "MessageAttributes", AWS_QUERY_STRUCT_MAP, "Name",
     "Value"},
    {"MessageSystemAttribute", "MessageSystemAttributes", AWS_QUERY_STRUCT_MAP,
     "Name", "Value"},
    {"AttributeName", "AttributeNames", AWS_QUERY_LIST, NULL, NULL},
    {"MessageAttributeName", "MessageAttributeNames", AWS_QUERY_LIST, NULL,
     NULL},
    {"MessageSystemAttributeName", "MessageSystemAttributeNames",
     AWS_QUERY_LIST, NULL, NULL},
    {"QueueUrl", "QueueUrls", AWS_QUERY_LIST, NULL, NULL},
    {"QueueUrl", "queueUrls", AWS_QUERY_LIST, NULL, NULL},
    {"Message", "Messages", AWS_QUERY_LIST, NULL, NULL},
    {"Tag", "Tags", AWS_QUERY_MAP, "Key", "Value"},
    {"TagKey", "TagKeys", AWS_QUERY_LIST, NULL, NULL},
    {"SendMessageBatchRequestEntry", "Entries", AWS_QUERY_STRUCT_LIST, NULL,
     NULL, "SendMessageBatch"},
    {"SendMessageBatchResultEntry", "Successful", AWS_QUERY_STRUCT_LIST, NULL,
     NULL, "SendMessageBatch"},
    {"DeleteMessageBatchRequestEntry", "Entries", AWS_QUERY_STRUCT_LIST, NULL,
     NULL, "DeleteMessageBatch"},
    {"DeleteMessageBatchResultEntry", "Successful", AWS_QUERY_STRUCT_LIST, NULL,
     NULL, "DeleteMessageBatch"},
    {"ChangeMessageVisibilityBatchRequestEntry", "Entries",
     AWS_QUERY_STRUCT_LIST, NULL, NULL, "ChangeMessageVisibilityBatch"},
    {"ChangeMessageVisibilityBatchResultEntry", "Successful",
     AWS_QUERY_STRUCT_LIST, NULL, NULL, "ChangeMessageVisibilityBatch"},
    {"BatchResultErrorEntry", "Failed", AWS_QUERY_STRUCT_LIST, NULL, NULL,
     NULL},
};

const aws_query_protocol sqs_query = {
    .xml_namespace = "http://queue.amazonaws.com/doc/2012-11-05/",
    .members = sqs_query_members,
    .member_count = sizeof sqs_query_members / sizeof *sqs_query_members,
    .error_code = sqs_query_error_code,
};

const aws_service sqs_service = {
    .name = "sqs",
    .signing_name = "sqs",
    .target_prefix = "AmazonSQS",
    .error_prefix = "com.amazonaws.sqs#",
    .protocol = AWS_PROTO_JSON_1_0,
    .operations = sqs_operations,
    .operation_count = sizeof sqs_operations / sizeof *sqs_operations,
    .query = &sqs_query,
    .init = sqs_init,
    .cleanup = sqs_cleanup,
    .resource_arn = sqs__resource_arn,
};
