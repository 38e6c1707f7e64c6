/*
 * sqs_message.c: SendMessage, DeleteMessage and ChangeMessageVisibility,
 * the message checks SendMessage makes, the MD5 digests the SDKs verify,
 * and the internal send other services use (sqs_send_to_arn).
 *
 * FIFO queues get MessageGroupId and deduplication checks, sequence
 * numbers and five-minute deduplication. Left out: the throughput modes
 * (FifoThroughputLimit is stored only) and batch operations.
 */
#include "sqs_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "log.h"
#include "store.h"
#include "util.h"

static void sqs_hex(const unsigned char *digest, unsigned len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (unsigned i = 0; i < len; i++) {
        out[2 * i] = digits[digest[i] >> 4];
        out[2 * i + 1] = digits[digest[i] & 15];
    }
    out[2 * len] = '\0';
}

static void sqs_md5(const void *data, size_t len, char out[33])
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned dlen = 0;
    EVP_Digest(data, len, digest, &dlen, EVP_md5(), NULL);
    sqs_hex(digest, dlen, out);
}

/* Decode standard base64 into a new buffer. Returns NULL when invalid. */
static unsigned char *sqs_base64_decode(const char *text, size_t *out_len)
{
    size_t len = strlen(text);
    if (len % 4 != 0)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                 (c >= '0' && c <= '9') || c == '+' || c == '/' ||
                 (c == '=' && i >= len - 2);
        if (!ok)
            return NULL;
    }
    unsigned char *out = xmalloc(len / 4 * 3 + 1);
    int n =
        len ? EVP_DecodeBlock(out, (const unsigned char *)text, (int)len) : 0;
    if (n < 0) {
        free(out);
        return NULL;
    }
    if (len >= 1 && text[len - 1] == '=')
        n--;
    if (len >= 2 && text[len - 2] == '=')
        n--;
    *out_len = (size_t)n;
    return out;
}

static void sqs_put_length(strbuf *b, size_t len)
{
    unsigned char be[4] = {(unsigned char)(len >> 24),
                           (unsigned char)(len >> 16),
                           (unsigned char)(len >> 8), (unsigned char)len};
    strbuf_append(b, (const char *)be, 4);
}

static int sqs_name_cmp(const void *a, const void *b)
{
    const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
    return strcmp(x->string, y->string);
}

int sqs__md5_of_attributes(const cJSON *attributes, char out[33])
{
    size_t count = (size_t)cJSON_GetArraySize(attributes);
    const cJSON **sorted = xcalloc(count ? count : 1, sizeof *sorted);
    size_t n = 0;
    const cJSON *a;
    cJSON_ArrayForEach(a, attributes) sorted[n++] = a;
    qsort(sorted, n, sizeof *sorted, sqs_name_cmp);

    strbuf b;
    strbuf_init(&b);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const char *type = sqs__str(sorted[i], "DataType");
        const char *string = sqs__str(sorted[i], "StringValue");
        const char *binary = sqs__str(sorted[i], "BinaryValue");
        if (!type)
            type = "";
        sqs_put_length(&b, strlen(sorted[i]->string));
        strbuf_puts(&b, sorted[i]->string);
        sqs_put_length(&b, strlen(type));
        strbuf_puts(&b, type);
        if (string) {
            strbuf_append(&b, "\1", 1);
            sqs_put_length(&b, strlen(string));
            strbuf_puts(&b, string);
        } else if (binary) {
            size_t blen = 0;
            unsigned char *bytes = sqs_base64_decode(binary, &blen);
            if (!bytes) {
                rc = -1;
                break;
            }
            strbuf_append(&b, "\2", 1);
            sqs_put_length(&b, blen);
            strbuf_append(&b, (const char *)bytes, blen);
            free(bytes);
        }
    }
    if (rc == 0)
        sqs_md5(b.data, b.len, out);
    strbuf_free(&b);
    free(sorted);
    return rc;
}

/* Whether `s` holds only the characters SQS accepts in a message: #x9,
 * #xA, #xD, #x20 to #xD7FF, #xE000 to #xFFFD and #x10000 to #x10FFFF. */
static int sqs_text_is_valid(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned long c;
        int extra;
        if (*p < 0x80) {
            c = *p;
            extra = 0;
        } else if ((*p & 0xE0) == 0xC0) {
            c = *p & 0x1F;
            extra = 1;
        } else if ((*p & 0xF0) == 0xE0) {
            c = *p & 0x0F;
            extra = 2;
        } else if ((*p & 0xF8) == 0xF0) {
            c = *p & 0x07;
            extra = 3;
        } else {
            return 0;
        }
        p++;
        for (int i = 0; i < extra; i++, p++) {
            if ((*p & 0xC0) != 0x80)
                return 0;
            c = (c << 6) | (*p & 0x3F);
        }
        int ok = c == 0x9 || c == 0xA || c == 0xD ||
                 (c >= 0x20 && c <= 0xD7FF) || (c >= 0xE000 && c <= 0xFFFD) ||
                 (c >= 0x10000 && c <= 0x10FFFF);
        if (!ok)
            return 0;
    }
    return 1;
}

static int sqs_attr_name_is_valid(const char *name)
{
    size_t len = strlen(name);
    if (len == 0 || len > 256 || name[0] == '.' || name[len - 1] == '.')
        return 0;
    if (strncasecmp(name, "AWS.", 4) == 0 ||
        strncasecmp(name, "Amazon.", 7) == 0)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
        if (!ok || (c == '.' && name[i + 1] == '.'))
            return 0;
    }
    return 1;
}

/*
 * Check MessageAttributes as SendMessage does and add their size to
 * `*size`. NOTE: the texts are those other emulators copied from AWS;
 * they were not recorded against AWS here.
 */
static int sqs_attributes_check(const cJSON *attrs, size_t *size,
                                aws_error *err)
{
    int count = cJSON_GetArraySize(attrs);
    if (count > SQS_MAX_MESSAGE_ATTRIBUTES)
        return aws_fail(err, AWS_ERR_SQS_INVALID_PARAMETER_VALUE,
                        "Number of message attributes [%d] exceeds the "
                        "allowed maximum [%d].",
                        count, SQS_MAX_MESSAGE_ATTRIBUTES);
    const cJSON *a;
    cJSON_ArrayForEach(a, attrs)
    {
        const char *name = a->string;
        if (!sqs_attr_name_is_valid(name))
            return aws_fail(err, AWS_ERR_SQS_INVALID_PARAMETER_VALUE,
                            "Message (user) attribute name '%s' is invalid.",
                            name);
        const char *type = sqs__str(a, "DataType");
        if (!type || !type[0])
            return aws_fail(err, AWS_ERR_SQS_INVALID_PARAMETER_VALUE,
                            "The message attribute '%s' must contain "
                            "non-empty message attribute type.",
                            name);
        int is_string = strncmp(type, "String", 6) == 0;
        int is_number = strncmp(type, "Number", 6) == 0;
        int is_binary = strncmp(type, "Binary", 6) == 0;
        const char *rest = type + 6;
        if ((!is_string && !is_number && !is_binary) ||
            (*rest && *rest != '.') || (*rest == '.' && !rest[1]))
            return aws_fail(err, AWS_ERR_SQS_INVALID_PARAMETER_VALUE,
                            "The message attribute '%s' has an invalid "
                            "message attribute type, the set of supported "
                            "type prefixes is Binary, Number, and String.",
                            name);
        const char *string = sqs__str(a, "StringValue");
        const char *binary = sqs__str(a, "BinaryValue");
        const char *value = is_binary ? binary : string;
        if (!value || !value[0])
            return aws_fail(err, AWS_ERR_SQS_INVALID_PARAMETER_VALUE,
                            "The message attribute '%s' must contain "
                            "non-empty message attribute value for message "
                            "attribute type '%s'.",
                            name, type);
        if (is_number) {
            char *end = NULL;
            strtod(string, &end);
            if (end == string || *end != '\0')
                return aws_fail(err, AWS_ERR_SQS_INVALID_PARAMETER_VALUE,
                                "Can't cast the value of message (user) "
                                "attribute '%s' to a number.",
                                name);
        }
        if (is_binary) {
            size_t blen = 0;
            unsigned char *bytes = sqs_base64_decode(binary, &blen);
            if (!bytes)
                return aws_fail(err, AWS_ERR_SQS_INVALID_PARAMETER_VALUE,
                                "The message attribute '%s' has an invalid "
                                "binary value.",
                                name);
            free(bytes);
            *size += blen;
        } else {
            if (!sqs_text_is_valid(string))
                return aws_fail(err, AWS_ERR_SQS_INVALID_PARAMETER_VALUE,
                                "Message (user) attribute '%s' value "
                                "contains invalid characters.",
                                name);
            *size += strlen(string);
        }
        *size += strlen(name) + strlen(type);
    }
    return 0;
}

int sqs__message_send(stratus *srv, const sqs_queue *q, const sqs_send *send,
                      cJSON *result, aws_error *err)
{
    const char *body = send->body;
    if (!body || !body[0])
        return sqs__missing(err, "MessageBody");
    if (!sqs_text_is_valid(body))
        return aws_fail(err, AWS_ERR_SQS_INVALID_MESSAGE_CONTENTS,
                        "Invalid characters found. Valid unicode characters "
                        "are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to "
                        "#xFFFD | #x10000 to #x10FFFF");
    size_t size = strlen(body);
    if (sqs_attributes_check(send->message_attributes, &size, err) != 0)
        return -1;
    long max_size = sqs__queue_attr_long(q, "MaximumMessageSize");
    if ((long)size > max_size)
        return aws_fail(err, AWS_ERR_SQS_INVALID_PARAMETER_VALUE,
                        "One or more parameters are invalid. Reason: Message "
                        "must be shorter than %ld bytes.",
                        max_size);

    int fifo = sqs__queue_is_fifo(q);
    long delay = send->delay_seconds;
    if (delay >= 0 && fifo)
        return aws_fail(err, AWS_ERR_SQS_INVALID_PARAMETER_VALUE,
                        "Value %ld for parameter DelaySeconds is invalid. "
                        "Reason: The request include parameter that is not "
                        "valid for this queue type.",
                        delay);
    if (delay < 0)
        delay = sqs__queue_attr_long(q, "DelaySeconds");

    char md5_body[33], md5_attrs[33] = "", md5_system[33] = "";
    sqs_md5(body, strlen(body), md5_body);
    int has_attrs = cJSON_GetArraySize(send->message_attributes) > 0;
    if (has_attrs)
        sqs__md5_of_attributes(send->message_attributes, md5_attrs);
    int has_system = cJSON_GetArraySize(send->system_attributes) > 0;
    if (has_system &&
        sqs__md5_of_attributes(send->system_attributes, md5_system) != 0)
        return aws_fail(err, AWS_ERR_SQS_INVALID_PARAMETER_VALUE,
                        "The message system attribute has an invalid value.");

    const char *group = send->message_group_id;
    const char *dedup = send->message_deduplication_id;
    char dedup_buf[33];
    int64_t now = clock_now_ms(&srv->clock);
    if (fifo) {
        if (!group)
            return sqs__missing(err, "MessageGroupId");
        if (!dedup) {
            const char *cbd =
                sqs__str(q->attributes, "ContentBasedDeduplication");
            if (!cbd || strcmp(cbd, "true") != 0)
                return aws_fail(err, AWS_ERR_SQS_INVALID_PARAMETER_VALUE,
                                "The queue should either have "
                                "ContentBasedDeduplication enabled or "
                                "MessageDeduplicationId provided explicitly");
            /* Content-based deduplication uses the body's SHA-256; any
             * stable digest of the body gives the same behaviour. */
            snprintf(dedup_buf, sizeof dedup_buf, "%s", md5_body);
            dedup = dedup_buf;
        }
        sqlite3_stmt *s = store_stmt(
            srv->store, "SELECT message_id, id FROM sqs_message WHERE"
                        " queue_id = ?1 AND dedup_id = ?2 AND sent_ms > ?3");
        sqlite3_bind_int64(s, 1, q->id);
        sqlite3_bind_text(s, 2, dedup, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 3, now - SQS_DEDUP_INTERVAL_MS);
        if (sqlite3_step(s) == SQLITE_ROW) {
            /* A duplicate is acknowledged with the first message's id. */
            cJSON_AddStringToObject(result, "MessageId",
                                    (const char *)sqlite3_column_text(s, 0));
            cJSON_AddStringToObject(result, "MD5OfMessageBody", md5_body);
            sqlite3_reset(s);
            return 0;
        }
        sqlite3_reset(s);
    } else if (group) {
        /* Standard queues accept MessageGroupId for fair queues. */
    }

    char message_id[37];
    util_uuid4(message_id);
    char *attr_text =
        has_attrs ? cJSON_PrintUnformatted(send->message_attributes) : NULL;
    char *system_text =
        has_system ? cJSON_PrintUnformatted(send->system_attributes) : NULL;
    sqlite3_stmt *s = store_stmt(
        srv->store,
        "INSERT INTO sqs_message (queue_id, message_id, body, attributes,"
        " system_attributes, md5_body, md5_attributes, md5_system, sent_ms,"
        " visible_ms, group_id, dedup_id, sender) VALUES (?1, ?2, ?3, ?4,"
        " ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)");
    sqlite3_bind_int64(s, 1, q->id);
    sqlite3_bind_text(s, 2, message_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, body, -1, SQLITE_STATIC);
    if (attr_text)
        sqlite3_bind_text(s, 4, attr_text, -1, SQLITE_STATIC);
    if (system_text)
        sqlite3_bind_text(s, 5, system_text, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 6, md5_body, -1, SQLITE_STATIC);
    if (has_attrs)
        sqlite3_bind_text(s, 7, md5_attrs, -1, SQLITE_STATIC);
    if (has_system)
        sqlite3_bind_text(s, 8, md5_system, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 9, now);
    sqlite3_bind_int64(s, 10, now + delay * 1000);
    if (group)
        sqlite3_bind_text(s, 11, group, -1, SQLITE_STATIC);
    if (fifo)
        sqlite3_bind_text(s, 12, dedup, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 13, q->account, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    int64_t row = sqlite3_last_insert_rowid(store_db(srv->store));
    sqlite3_reset(s);
    free(attr_text);
    free(system_text);
    if (rc != SQLITE_DONE) {
        log_error("sqs", "cannot store a message in %s: %s", q->name,
                  sqlite3_errmsg(store_db(srv->store)));
        return aws_fail(err, AWS_ERR_INTERNAL_SERVER_ERROR, NULL);
    }

    cJSON_AddStringToObject(result, "MD5OfMessageBody", md5_body);
    if (has_attrs)
        cJSON_AddStringToObject(result, "MD5OfMessageAttributes", md5_attrs);
    if (has_system)
        cJSON_AddStringToObject(result, "MD5OfMessageSystemAttributes",
                                md5_system);
    cJSON_AddStringToObject(result, "MessageId", message_id);
    if (fifo) {
        char seq[32];
        snprintf(seq, sizeof seq, "%020lld", (long long)row);
        cJSON_AddStringToObject(result, "SequenceNumber", seq);
    }
    log_debug("sqs", "message %s stored in %s/%s (%zu bytes, delay %lds)",
              message_id, q->account, q->name, size, delay);
    sqs__waiters_notify(srv, q->id);
    return 0;
}

int sqs__message_send_entry(stratus *srv, const sqs_queue *q,
                            const cJSON *entry, cJSON *result, aws_error *err)
{
    sqs_send send = {
        .body = sqs__str(entry, "MessageBody"),
        .message_attributes =
            cJSON_GetObjectItemCaseSensitive(entry, "MessageAttributes"),
        .system_attributes =
            cJSON_GetObjectItemCaseSensitive(entry, "MessageSystemAttributes"),
        .delay_seconds = -1,
        .message_group_id = sqs__str(entry, "MessageGroupId"),
        .message_deduplication_id = sqs__str(entry, "MessageDeduplicationId"),
    };
    if (sqs__int_member(entry, "DelaySeconds", 0, 900,
                        "DelaySeconds must be >= 0 and <= 900.",
                        &send.delay_seconds, err) != 0)
        return -1;
    return sqs__message_send(srv, q, &send, result, err);
}

cJSON *sqs_op_send_message(aws_request *req, aws_error *err)
{
    sqs_queue *q = sqs__queue_open(req, err);
    if (!q)
        return NULL;
    cJSON *out = cJSON_CreateObject();
    if (sqs__message_send_entry(req->srv, q, req->body, out, err) != 0) {
        cJSON_Delete(out);
        out = NULL;
    }
    sqs__queue_free(q);
    return out;
}

/* Receipt handles are "AQEB" and 64 hex digits; other text is invalid. */
static int sqs_receipt_check(const char *handle, aws_error *err)
{
    int ok = strlen(handle) == 68 && strncmp(handle, "AQEB", 4) == 0;
    for (size_t i = 4; ok && i < 68; i++)
        ok = (handle[i] >= '0' && handle[i] <= '9') ||
             (handle[i] >= 'a' && handle[i] <= 'f');
    if (ok)
        return 0;
    return aws_fail(err, AWS_ERR_SQS_RECEIPT_HANDLE_IS_INVALID,
                    "The input receipt handle \"%s\" is not a valid receipt "
                    "handle.",
                    handle);
}

int sqs__message_delete(stratus *srv, const sqs_queue *q, const cJSON *entry,
                        aws_error *err)
{
    const char *handle = sqs__str(entry, "ReceiptHandle");
    if (!handle || !handle[0])
        return sqs__missing(err, "ReceiptHandle");
    if (sqs_receipt_check(handle, err) != 0)
        return -1;
    /* A stale handle of a well-formed shape deletes nothing and succeeds,
     * as on AWS. */
    sqlite3_stmt *s = store_stmt(srv->store, "DELETE FROM sqs_message WHERE"
                                             " queue_id = ?1 AND receipt = ?2");
    sqlite3_bind_int64(s, 1, q->id);
    sqlite3_bind_text(s, 2, handle, -1, SQLITE_STATIC);
    sqlite3_step(s);
    sqlite3_reset(s);
    return 0;
}

int sqs__message_change_visibility(stratus *srv, const sqs_queue *q,
                                   const cJSON *entry, aws_error *err)
{
    const char *handle = sqs__str(entry, "ReceiptHandle");
    long timeout = -1;
    if (!handle || !handle[0])
        return sqs__missing(err, "ReceiptHandle");
    if (!cJSON_GetObjectItemCaseSensitive(entry, "VisibilityTimeout"))
        return sqs__missing(err, "VisibilityTimeout");
    if (sqs__int_member(entry, "VisibilityTimeout", 0, 43200,
                        "Must be between 0 and 43200, if provided.", &timeout,
                        err) != 0 ||
        sqs_receipt_check(handle, err) != 0)
        return -1;

    int64_t now = clock_now_ms(&srv->clock);
    sqlite3_stmt *s = store_stmt(
        srv->store, "UPDATE sqs_message SET visible_ms = ?3 WHERE"
                    " queue_id = ?1 AND receipt = ?2 AND visible_ms > ?4");
    sqlite3_bind_int64(s, 1, q->id);
    sqlite3_bind_text(s, 2, handle, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, now + (int64_t)timeout * 1000);
    sqlite3_bind_int64(s, 4, now);
    sqlite3_step(s);
    sqlite3_reset(s);
    if (sqlite3_changes(store_db(srv->store)) == 0)
        return aws_fail(err, AWS_ERR_SQS_MESSAGE_NOT_INFLIGHT, NULL);
    if (timeout == 0)
        sqs__waiters_notify(srv, q->id);
    return 0;
}

cJSON *sqs_op_delete_message(aws_request *req, aws_error *err)
{
    sqs_queue *q = sqs__queue_open(req, err);
    if (!q)
        return NULL;
    int rc = sqs__message_delete(req->srv, q, req->body, err);
    sqs__queue_free(q);
    return rc == 0 ? cJSON_CreateObject() : NULL;
}

cJSON *sqs_op_change_message_visibility(aws_request *req, aws_error *err)
{
    sqs_queue *q = sqs__queue_open(req, err);
    if (!q)
        return NULL;
    int rc = sqs__message_change_visibility(req->srv, q, req->body, err);
    sqs__queue_free(q);
    return rc == 0 ? cJSON_CreateObject() : NULL;
}

int sqs_send_to_arn(stratus *srv, const char *queue_arn, const char *body,
                    const cJSON *message_attributes,
                    const char *message_group_id, char *message_id,
                    aws_error *err)
{
    char region[64] = "", account[16] = "", name[96] = "";
    if (sscanf(queue_arn, "arn:aws:sqs:%63[^:]:%15[^:]:%95s", region, account,
               name) != 3)
        return aws_fail(err, AWS_ERR_SQS_QUEUE_DOES_NOT_EXIST, NULL);
    sqs_queue *q = sqs__queue_load(srv, account, region, name);
    if (!q)
        return aws_fail(err, AWS_ERR_SQS_QUEUE_DOES_NOT_EXIST, NULL);
    sqs_send send = {
        .body = body,
        .message_attributes = message_attributes,
        .delay_seconds = -1,
        .message_group_id = message_group_id,
    };
    cJSON *result = cJSON_CreateObject();
    int rc = sqs__message_send(srv, q, &send, result, err);
    if (rc == 0 && message_id)
        snprintf(message_id, 37, "%s", sqs__str(result, "MessageId"));
    cJSON_Delete(result);
    sqs__queue_free(q);
    return rc;
}
