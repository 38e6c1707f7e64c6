/*
 * scn_keep.c: `stratus test --keep DIR` writes the state of a failed
 * scenario's instance as JSON files, read through the public APIs. They
 * hold executions with their histories, EventBridge buses, rules, targets
 * and per-rule metrics, DynamoDB items, SQS messages and pending jobs.
 * store.sqlite, a copy of the whole store, has anything they leave out.
 */
#include "scn_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void scn_keep_write(const char *dir, const char *name,
                           const cJSON *value)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f)
        return;
    char *text = cJSON_Print(value);
    fputs(text, f);
    fputc('\n', f);
    free(text);
    fclose(f);
}

/* Call an operation and return a copy of its body, or NULL. The keep
 * files are best effort: a failed call leaves its part out. */
static cJSON *scn_keep_call(scn_run *r, const char *service,
                            const char *operation, cJSON *params)
{
    cJSON *resp = scn_aws_call(r, NULL, service, operation, params, NULL, NULL);
    cJSON_Delete(params);
    if (!resp)
        return NULL;
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(resp, "status");
    cJSON *body = status->valuedouble < 300
                      ? cJSON_DetachItemFromObjectCaseSensitive(resp, "body")
                      : NULL;
    cJSON_Delete(resp);
    return body;
}

static cJSON *scn_keep_params(const char *name, const char *value)
{
    cJSON *p = cJSON_CreateObject();
    if (name)
        cJSON_AddStringToObject(p, name, value);
    return p;
}

static const char *scn_keep_str(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static cJSON *scn_keep_executions(scn_run *r)
{
    cJSON *out = cJSON_CreateArray();
    cJSON *machines = scn_keep_call(r, "stepfunctions", "ListStateMachines",
                                    scn_keep_params(NULL, NULL));
    const cJSON *list =
        cJSON_GetObjectItemCaseSensitive(machines, "stateMachines");
    for (const cJSON *m = list ? list->child : NULL; m; m = m->next) {
        cJSON *p = scn_keep_params("stateMachineArn",
                                   scn_keep_str(m, "stateMachineArn"));
        cJSON_AddNumberToObject(p, "maxResults", 1000);
        cJSON *execs = scn_keep_call(r, "stepfunctions", "ListExecutions", p);
        const cJSON *el = cJSON_GetObjectItemCaseSensitive(execs, "executions");
        for (const cJSON *e = el ? el->child : NULL; e; e = e->next) {
            const char *arn = scn_keep_str(e, "executionArn");
            cJSON *d = scn_keep_call(r, "stepfunctions", "DescribeExecution",
                                     scn_keep_params("executionArn", arn));
            cJSON *hp = scn_keep_params("executionArn", arn);
            cJSON_AddNumberToObject(hp, "maxResults", 1000);
            cJSON *h =
                scn_keep_call(r, "stepfunctions", "GetExecutionHistory", hp);
            if (!d)
                d = cJSON_CreateObject();
            if (h)
                cJSON_AddItemToObject(
                    d, "history",
                    cJSON_DetachItemFromObjectCaseSensitive(h, "events"));
            cJSON_Delete(h);
            cJSON_AddItemToArray(out, d);
        }
        cJSON_Delete(execs);
    }
    cJSON_Delete(machines);
    return out;
}

static cJSON *scn_keep_items(scn_run *r)
{
    cJSON *out = cJSON_CreateObject();
    cJSON *tables =
        scn_keep_call(r, "dynamodb", "ListTables", scn_keep_params(NULL, NULL));
    const cJSON *names = cJSON_GetObjectItemCaseSensitive(tables, "TableNames");
    for (const cJSON *t = names ? names->child : NULL; t; t = t->next) {
        cJSON *scan =
            scn_keep_call(r, "dynamodb", "Scan",
                          scn_keep_params("TableName", t->valuestring));
        cJSON_AddItemToObject(
            out, t->valuestring,
            scan ? cJSON_DetachItemFromObjectCaseSensitive(scan, "Items")
                 : cJSON_CreateArray());
        cJSON_Delete(scan);
    }
    cJSON_Delete(tables);
    return out;
}

static cJSON *scn_keep_queues(scn_run *r)
{
    cJSON *out = cJSON_CreateObject();
    cJSON *queues =
        scn_keep_call(r, "sqs", "ListQueues", scn_keep_params(NULL, NULL));
    const cJSON *urls = cJSON_GetObjectItemCaseSensitive(queues, "QueueUrls");
    for (const cJSON *u = urls ? urls->child : NULL; u; u = u->next) {
        cJSON *p = scn_keep_params("QueueUrl", u->valuestring);
        cJSON_AddNumberToObject(p, "MaxNumberOfMessages", 10);
        cJSON_AddNumberToObject(p, "VisibilityTimeout", 0);
        cJSON_AddItemToObject(
            p, "MessageAttributeNames",
            cJSON_CreateStringArray((const char *const[]){"All"}, 1));
        cJSON *got = scn_keep_call(r, "sqs", "ReceiveMessage", p);
        cJSON_AddItemToObject(
            out, u->valuestring,
            got && cJSON_GetObjectItemCaseSensitive(got, "Messages")
                ? cJSON_DetachItemFromObjectCaseSensitive(got, "Messages")
                : cJSON_CreateArray());
        cJSON_Delete(got);
    }
    cJSON_Delete(queues);
    return out;
}

static cJSON *scn_keep_rules(scn_run *r)
{
    cJSON *out = cJSON_CreateArray();
    cJSON *buses = scn_keep_call(r, "events", "ListEventBuses",
                                 scn_keep_params(NULL, NULL));
    const cJSON *bl = cJSON_GetObjectItemCaseSensitive(buses, "EventBuses");
    for (const cJSON *b = bl ? bl->child : NULL; b; b = b->next) {
        const char *bus = scn_keep_str(b, "Name");
        cJSON *rules = scn_keep_call(r, "events", "ListRules",
                                     scn_keep_params("EventBusName", bus));
        const cJSON *rl = cJSON_GetObjectItemCaseSensitive(rules, "Rules");
        for (const cJSON *rule = rl ? rl->child : NULL; rule;
             rule = rule->next) {
            cJSON *copy = cJSON_Duplicate(rule, 1);
            cJSON *p = scn_keep_params("Rule", scn_keep_str(rule, "Name"));
            cJSON_AddStringToObject(p, "EventBusName", bus);
            cJSON *targets = scn_keep_call(r, "events", "ListTargetsByRule", p);
            if (targets)
                cJSON_AddItemToObject(copy, "Targets",
                                      cJSON_DetachItemFromObjectCaseSensitive(
                                          targets, "Targets"));
            cJSON_Delete(targets);
            cJSON_AddItemToArray(out, copy);
        }
        cJSON_Delete(rules);
    }
    cJSON_Delete(buses);
    return out;
}

/* Rows of an SQL query as JSON objects; an absent table gives []. */
static cJSON *scn_keep_rows(scn_run *r, const char *sql)
{
    cJSON *out = cJSON_CreateArray();
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(store_db(r->srv->store), sql, -1, &s, NULL) !=
        SQLITE_OK) {
        sqlite3_finalize(s);
        return out;
    }
    for (int i = 0; i < 100000 && sqlite3_step(s) == SQLITE_ROW; i++) {
        cJSON *row = cJSON_CreateObject();
        for (int c = 0; c < sqlite3_column_count(s); c++) {
            const char *name = sqlite3_column_name(s, c);
            switch (sqlite3_column_type(s, c)) {
            case SQLITE_INTEGER:
            case SQLITE_FLOAT:
                cJSON_AddNumberToObject(row, name, sqlite3_column_double(s, c));
                break;
            case SQLITE_NULL:
                cJSON_AddNullToObject(row, name);
                break;
            default:
                cJSON_AddStringToObject(
                    row, name, (const char *)sqlite3_column_text(s, c));
            }
        }
        cJSON_AddItemToArray(out, row);
    }
    sqlite3_finalize(s);
    return out;
}

void scn_keep_state(scn_run *r, const char *dir)
{
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return;
    /* The failure is recorded: the reads below must not replace it. */
    int failed = r->failed;
    r->failed = 1;

    cJSON *v = scn_keep_executions(r);
    scn_keep_write(dir, "executions.json", v);
    cJSON_Delete(v);
    v = scn_keep_rules(r);
    scn_keep_write(dir, "eventbridge-rules.json", v);
    cJSON_Delete(v);
    v = scn_keep_rows(r, "SELECT * FROM evb_metric");
    scn_keep_write(dir, "eventbridge-metrics.json", v);
    cJSON_Delete(v);
    v = scn_keep_rows(r, "SELECT * FROM jobs ORDER BY due_ms, id");
    scn_keep_write(dir, "jobs.json", v);
    cJSON_Delete(v);
    v = scn_keep_items(r);
    scn_keep_write(dir, "dynamodb-items.json", v);
    cJSON_Delete(v);
    v = scn_keep_queues(r);
    scn_keep_write(dir, "sqs-messages.json", v);
    cJSON_Delete(v);
    scn_keep_write(dir, "saved-values.json", r->vars);

    char path[1200], sql[1300];
    snprintf(path, sizeof path, "%s/store.sqlite", dir);
    remove(path);
    char *quoted = sqlite3_mprintf("%Q", path);
    snprintf(sql, sizeof sql, "VACUUM INTO %s", quoted);
    sqlite3_free(quoted);
    store_commit(r->srv->store);
    sqlite3_exec(store_db(r->srv->store), sql, NULL, NULL, NULL);
    r->failed = failed;
}
