/*
 * scn_check.c: the standalone expectations of scenarios. Each reads the
 * public API as a user would check by hand:
 *   executions  ListExecutions, DescribeExecution, GetExecutionHistory
 *   items       GetItem or Query
 *   metrics     EventBridge's per-rule counters for AWS/Events, else
 *               CloudWatch's GetMetricStatistics
 *   logs        CloudWatch Logs' FilterLogEvents
 *   dlq         an SQS queue's messages, received with a zero visibility
 *               timeout so they stay visible
 *   elapsed     virtual time since the steps began
 *
 * In a build without CloudWatch or CloudWatch Logs, the checks that need
 * them fail with a message saying so.
 */
#include "scn_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws.h"
#include "evb.h"

static const char *scn_str(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

int scn_check_paths(scn_run *r, const cJSON *paths, const cJSON *value,
                    const char *what)
{
    char why[1200], perr[256];
    for (const cJSON *m = paths ? paths->child : NULL; m; m = m->next) {
        cJSON *actual = scn_path_get(value, m->string, perr, sizeof perr);
        int rc = scn_match(actual, m, why, sizeof why);
        cJSON_Delete(actual);
        if (rc < 0)
            return scn_fail(r, m, "%s.%s: invalid expectation: %s", what,
                            m->string, why);
        if (rc == 0) {
            scn_fail(r, m, "%s.%s: %s", what, m->string, why);
            scn_fail_state(r, cJSON_Duplicate(value, 1));
            return -1;
        }
    }
    return 0;
}

/* Check an optional `count` member of `spec` against `n` selected values. */
static int scn_check_count(scn_run *r, const cJSON *spec, int n,
                           const char *what, const cJSON *selected)
{
    const cJSON *count = cJSON_GetObjectItemCaseSensitive(spec, "count");
    if (!count)
        return 0;
    char why[512];
    cJSON *actual = cJSON_CreateNumber(n);
    int rc = scn_match(actual, count, why, sizeof why);
    cJSON_Delete(actual);
    if (rc == 1)
        return 0;
    scn_fail(r, count, "%s count: %s", what, why);
    scn_fail_state(r, cJSON_Duplicate(selected, 1));
    return -1;
}

/* ---- executions ---- */

static void scn_machine_arn(scn_run *r, const char *machine, char *out,
                            size_t size)
{
    if (strncmp(machine, "arn:", 4) == 0)
        snprintf(out, size, "%s", machine);
    else
        snprintf(out, size, "arn:aws:states:%s:%s:stateMachine:%s", r->region,
                 r->account, machine);
}

/* One execution as checks see it: DescribeExecution plus `history`, the
 * list of event types. */
static cJSON *scn_execution_load(scn_run *r, const cJSON *node, const char *arn,
                                 int with_history)
{
    cJSON *params = cJSON_CreateObject();
    cJSON_AddStringToObject(params, "executionArn", arn);
    cJSON *resp;
    const cJSON *body = scn_aws_ok(r, node, "stepfunctions",
                                   "DescribeExecution", params, &resp);
    cJSON *out = body ? cJSON_Duplicate(body, 1) : NULL;
    cJSON_Delete(resp);
    if (!out || !with_history) {
        cJSON_Delete(params);
        return out;
    }
    cJSON_AddNumberToObject(params, "maxResults", 1000);
    body = scn_aws_ok(r, node, "stepfunctions", "GetExecutionHistory", params,
                      &resp);
    cJSON_Delete(params);
    if (!body) {
        cJSON_Delete(resp);
        cJSON_Delete(out);
        return NULL;
    }
    cJSON *types = cJSON_AddArrayToObject(out, "history");
    cJSON *events = cJSON_AddArrayToObject(out, "events");
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(body, "events");
    for (const cJSON *e = list ? list->child : NULL; e; e = e->next) {
        const char *type = scn_str(e, "type");
        cJSON_AddItemToArray(types, cJSON_CreateString(type ? type : ""));
        cJSON_AddItemToArray(events, cJSON_Duplicate(e, 1));
    }
    cJSON_Delete(resp);
    return out;
}

/* Every execution of `machine_arn`, newest first (ListExecutions order). */
static cJSON *scn_execution_list(scn_run *r, const cJSON *node,
                                 const char *machine_arn)
{
    cJSON *all = cJSON_CreateArray();
    char *token = NULL;
    for (int page = 0; page < 100; page++) {
        cJSON *params = cJSON_CreateObject();
        cJSON_AddStringToObject(params, "stateMachineArn", machine_arn);
        cJSON_AddNumberToObject(params, "maxResults", 1000);
        if (token)
            cJSON_AddStringToObject(params, "nextToken", token);
        cJSON *resp;
        const cJSON *body = scn_aws_ok(r, node, "stepfunctions",
                                       "ListExecutions", params, &resp);
        cJSON_Delete(params);
        free(token);
        token = NULL;
        if (!body) {
            cJSON_Delete(resp);
            cJSON_Delete(all);
            return NULL;
        }
        const cJSON *list =
            cJSON_GetObjectItemCaseSensitive(body, "executions");
        for (const cJSON *e = list ? list->child : NULL; e; e = e->next)
            cJSON_AddItemToArray(all, cJSON_Duplicate(e, 1));
        const char *next = scn_str(body, "nextToken");
        token = next ? xstrdup(next) : NULL;
        cJSON_Delete(resp);
        if (!token)
            break;
    }
    free(token);
    return all;
}

static int scn_check_history_counts(scn_run *r, const cJSON *want,
                                    const cJSON *types, const char *what)
{
    char why[512];
    for (const cJSON *w = want->child; w; w = w->next) {
        int n = 0;
        for (const cJSON *t = types ? types->child : NULL; t; t = t->next)
            n += cJSON_IsString(t) && strcmp(t->valuestring, w->string) == 0;
        cJSON *actual = cJSON_CreateNumber(n);
        int rc = scn_match(actual, w, why, sizeof why);
        cJSON_Delete(actual);
        if (rc != 1) {
            scn_fail(r, w, "%s: %s events: %s", what, w->string, why);
            scn_fail_state(r, cJSON_Duplicate(types, 1));
            return -1;
        }
    }
    return 0;
}

/*
 * executions: {state_machine, status, name, count, error, cause, input,
 * output, history}. `status` and `name` (matchers) select executions, and
 * `count` checks how many were selected; without it, at least one must be.
 * The other members are checked on every selected execution.
 */
int scn_check_executions(scn_run *r, const cJSON *spec)
{
    const char *machine = scn_str(spec, "state_machine");
    if (!machine)
        return scn_fail(r, spec,
                        "executions needs state_machine (a name or "
                        "an ARN)");
    char arn[512];
    scn_machine_arn(r, machine, arn, sizeof arn);
    cJSON *all = scn_execution_list(r, spec, arn);
    if (!all)
        return -1;

    const cJSON *status = cJSON_GetObjectItemCaseSensitive(spec, "status");
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(spec, "name");
    cJSON *selected = cJSON_CreateArray();
    char why[512];
    for (const cJSON *e = all->child; e; e = e->next) {
        if (status && scn_match(cJSON_GetObjectItemCaseSensitive(e, "status"),
                                status, why, sizeof why) != 1)
            continue;
        if (name && scn_match(cJSON_GetObjectItemCaseSensitive(e, "name"), name,
                              why, sizeof why) != 1)
            continue;
        cJSON_AddItemToArray(selected, cJSON_Duplicate(e, 1));
    }
    int n = cJSON_GetArraySize(selected);
    int rc = 0;
    if (cJSON_GetObjectItemCaseSensitive(spec, "count")) {
        rc = scn_check_count(r, spec, n, "executions", all);
    } else if (n == 0) {
        rc = scn_fail(r, spec, "no execution of %s matches (%d in all)",
                      machine, cJSON_GetArraySize(all));
        scn_fail_state(r, cJSON_Duplicate(all, 1));
    }

    static const char *const checked[] = {"error",  "cause",   "input",
                                          "output", "history", "events"};
    int with_history = cJSON_GetObjectItemCaseSensitive(spec, "history") ||
                       cJSON_GetObjectItemCaseSensitive(spec, "events");
    for (const cJSON *e = selected->child; e && rc == 0; e = e->next) {
        int needs_detail = 0;
        for (size_t i = 0; i < sizeof checked / sizeof *checked; i++)
            needs_detail |=
                cJSON_GetObjectItemCaseSensitive(spec, checked[i]) != NULL;
        if (!needs_detail)
            break;
        cJSON *detail = scn_execution_load(r, spec, scn_str(e, "executionArn"),
                                           with_history);
        if (!detail) {
            rc = -1;
            break;
        }
        for (size_t i = 0; i < sizeof checked / sizeof *checked && rc == 0;
             i++) {
            const cJSON *want =
                cJSON_GetObjectItemCaseSensitive(spec, checked[i]);
            if (!want)
                continue;
            const cJSON *got =
                cJSON_GetObjectItemCaseSensitive(detail, checked[i]);
            char what[600];
            snprintf(what, sizeof what, "execution %s %s", scn_str(e, "name"),
                     checked[i]);
            if ((strcmp(checked[i], "input") == 0 ||
                 strcmp(checked[i], "output") == 0) &&
                cJSON_IsObject(want)) {
                /* A path map into the parsed JSON document. */
                cJSON *doc = got && cJSON_IsString(got)
                                 ? cJSON_Parse(got->valuestring)
                                 : NULL;
                rc = scn_check_paths(r, want, doc, what);
                cJSON_Delete(doc);
                continue;
            }
            if (strcmp(checked[i], "events") == 0) {
                rc = scn_check_paths(r, want, got, what);
                continue;
            }
            if (strcmp(checked[i], "history") == 0 && cJSON_IsObject(want) &&
                !scn_is_matcher(want)) {
                /* {EventType: count matcher}: how often each type occurs. */
                rc = scn_check_history_counts(r, want, got, what);
                continue;
            }
            if (scn_match(got, want, why, sizeof why) != 1) {
                rc = scn_fail(r, want, "%s: %s", what, why);
                scn_fail_state(r, cJSON_Duplicate(detail, 1));
            }
        }
        cJSON_Delete(detail);
    }
    cJSON_Delete(selected);
    cJSON_Delete(all);
    return rc;
}

/* ---- items ---- */

/* A plain JSON value as a DynamoDB AttributeValue. */
static cJSON *scn_marshal(const cJSON *v)
{
    cJSON *out = cJSON_CreateObject();
    if (cJSON_IsString(v)) {
        cJSON_AddStringToObject(out, "S", v->valuestring);
    } else if (cJSON_IsNumber(v)) {
        char *text = cJSON_PrintUnformatted(v);
        cJSON_AddStringToObject(out, "N", text);
        free(text);
    } else if (cJSON_IsBool(v)) {
        cJSON_AddBoolToObject(out, "BOOL", cJSON_IsTrue(v));
    } else if (cJSON_IsArray(v)) {
        cJSON *l = cJSON_AddArrayToObject(out, "L");
        for (const cJSON *x = v->child; x; x = x->next)
            cJSON_AddItemToArray(l, scn_marshal(x));
    } else if (cJSON_IsObject(v)) {
        cJSON *m = cJSON_AddObjectToObject(out, "M");
        for (const cJSON *x = v->child; x; x = x->next)
            cJSON_AddItemToObject(m, x->string, scn_marshal(x));
    } else {
        cJSON_AddBoolToObject(out, "NULL", 1);
    }
    return out;
}

/* A DynamoDB AttributeValue as plain JSON: numbers as numbers, sets as
 * lists, binaries as their base64 text. */
static cJSON *scn_unmarshal(const cJSON *av)
{
    const cJSON *t = av ? av->child : NULL;
    if (!t)
        return cJSON_CreateNull();
    if (strcmp(t->string, "S") == 0 || strcmp(t->string, "B") == 0)
        return cJSON_CreateString(t->valuestring);
    if (strcmp(t->string, "N") == 0)
        return cJSON_CreateNumber(strtod(t->valuestring, NULL));
    if (strcmp(t->string, "BOOL") == 0)
        return cJSON_CreateBool(cJSON_IsTrue(t));
    if (strcmp(t->string, "NULL") == 0)
        return cJSON_CreateNull();
    if (strcmp(t->string, "M") == 0) {
        cJSON *out = cJSON_CreateObject();
        for (const cJSON *x = t->child; x; x = x->next)
            cJSON_AddItemToObject(out, x->string, scn_unmarshal(x));
        return out;
    }
    cJSON *out = cJSON_CreateArray();
    int numbers = strcmp(t->string, "NS") == 0;
    for (const cJSON *x = t->child; x; x = x->next) {
        if (strcmp(t->string, "L") == 0)
            cJSON_AddItemToArray(out, scn_unmarshal(x));
        else if (numbers)
            cJSON_AddItemToArray(
                out, cJSON_CreateNumber(strtod(x->valuestring, NULL)));
        else
            cJSON_AddItemToArray(out, cJSON_CreateString(x->valuestring));
    }
    return out;
}

static cJSON *scn_unmarshal_item(const cJSON *item)
{
    cJSON *out = cJSON_CreateObject();
    for (const cJSON *x = item ? item->child : NULL; x; x = x->next)
        cJSON_AddItemToObject(out, x->string, scn_unmarshal(x));
    return out;
}

/*
 * items: {table, key: {...}} reads one item with a consistent GetItem;
 * {table, partition: {name: value}, index} queries a partition. `exists`,
 * `count` and `expect` ({path: matcher} over the item, or over the list of
 * items of a query) are checked.
 */
int scn_check_items(scn_run *r, const cJSON *spec)
{
    const char *table = scn_str(spec, "table");
    const cJSON *key = cJSON_GetObjectItemCaseSensitive(spec, "key");
    const cJSON *partition =
        cJSON_GetObjectItemCaseSensitive(spec, "partition");
    if (!table || (!cJSON_IsObject(key) && !cJSON_IsObject(partition)))
        return scn_fail(r, spec,
                        "items needs table and key (GetItem) or partition "
                        "(Query)");

    cJSON *params = cJSON_CreateObject();
    cJSON_AddStringToObject(params, "TableName", table);
    cJSON *value = NULL;
    cJSON *resp = NULL;
    const cJSON *body;
    if (cJSON_IsObject(key)) {
        cJSON *k = cJSON_AddObjectToObject(params, "Key");
        for (const cJSON *m = key->child; m; m = m->next)
            cJSON_AddItemToObject(k, m->string, scn_marshal(m));
        cJSON_AddBoolToObject(params, "ConsistentRead", 1);
        body = scn_aws_ok(r, spec, "dynamodb", "GetItem", params, &resp);
        const cJSON *item =
            body ? cJSON_GetObjectItemCaseSensitive(body, "Item") : NULL;
        value = item ? scn_unmarshal_item(item) : NULL;
    } else {
        const cJSON *pk = partition->child;
        const char *index = scn_str(spec, "index");
        if (!pk) {
            cJSON_Delete(params);
            return scn_fail(r, partition, "partition needs {name: value}");
        }
        if (index)
            cJSON_AddStringToObject(params, "IndexName", index);
        cJSON_AddStringToObject(params, "KeyConditionExpression", "#k = :v");
        cJSON *names =
            cJSON_AddObjectToObject(params, "ExpressionAttributeNames");
        cJSON_AddStringToObject(names, "#k", pk->string);
        cJSON *values =
            cJSON_AddObjectToObject(params, "ExpressionAttributeValues");
        cJSON_AddItemToObject(values, ":v", scn_marshal(pk));
        body = scn_aws_ok(r, spec, "dynamodb", "Query", params, &resp);
        if (body) {
            value = cJSON_CreateArray();
            const cJSON *items =
                cJSON_GetObjectItemCaseSensitive(body, "Items");
            for (const cJSON *i = items ? items->child : NULL; i; i = i->next)
                cJSON_AddItemToArray(value, scn_unmarshal_item(i));
        }
    }
    cJSON_Delete(params);
    cJSON_Delete(resp);
    if (!body)
        return -1;

    int rc = 0;
    char why[512];
    const cJSON *exists = cJSON_GetObjectItemCaseSensitive(spec, "exists");
    if (exists && cJSON_IsTrue(exists) != (value != NULL)) {
        rc = scn_fail(r, exists, "item in %s: expected it %s", table,
                      cJSON_IsTrue(exists) ? "to exist, it does not"
                                           : "not to exist, it does");
        scn_fail_state(r, cJSON_Duplicate(value, 1));
    } else if (!exists && !value && cJSON_IsObject(key)) {
        rc = scn_fail(r, key, "no item with this key in %s", table);
    }
    if (rc == 0 && cJSON_IsArray(value))
        rc =
            scn_check_count(r, spec, cJSON_GetArraySize(value), "items", value);
    const cJSON *expect = cJSON_GetObjectItemCaseSensitive(spec, "expect");
    if (rc == 0 && expect && value)
        rc = scn_check_paths(r, expect, value, table);
    (void)why;
    cJSON_Delete(value);
    return rc;
}

/* ---- metrics ---- */

/*
 * The Sum of a metric from the scenario's start to now, read with
 * CloudWatch's GetMetricStatistics: the namespaces other than AWS/Events
 * (AWS/States, CollectIQ's custom metrics).
 */
static int scn_metric_statistics(scn_run *r, const cJSON *spec, const char *ns,
                                 const char *name, const cJSON *dims,
                                 const cJSON *sum)
{
    if (!aws_service_by_name("cloudwatch"))
        return scn_fail(r, spec,
                        "metrics in %s need the CloudWatch service, which "
                        "this build does not include (AWS/Events works)",
                        ns);
    int64_t start = r->start_ms - r->start_ms % 60000;
    int64_t end = clock_now_ms(&r->srv->clock) + 60000;
    /* At most 1,440 datapoints per request: widen the period for long
     * scenarios, in whole minutes. */
    int64_t minutes = (end - start) / 60000 + 1;
    int64_t period = 60 * ((minutes + 1439) / 1440);

    cJSON *params = cJSON_CreateObject();
    cJSON_AddStringToObject(params, "Namespace", ns);
    cJSON_AddStringToObject(params, "MetricName", name);
    cJSON *list = cJSON_AddArrayToObject(params, "Dimensions");
    for (const cJSON *d = dims ? dims->child : NULL; d; d = d->next) {
        cJSON *one = cJSON_CreateObject();
        cJSON_AddStringToObject(one, "Name", d->string);
        cJSON_AddStringToObject(one, "Value",
                                cJSON_IsString(d) ? d->valuestring : "");
        cJSON_AddItemToArray(list, one);
    }
    cJSON_AddNumberToObject(params, "StartTime", (double)(start / 1000));
    cJSON_AddNumberToObject(params, "EndTime", (double)(end / 1000));
    cJSON_AddNumberToObject(params, "Period", (double)period);
    cJSON_AddItemToObject(
        params, "Statistics",
        cJSON_CreateStringArray((const char *const[]){"Sum"}, 1));
    cJSON *resp;
    const cJSON *body =
        scn_aws_ok(r, spec, "cloudwatch", "GetMetricStatistics", params, &resp);
    cJSON_Delete(params);
    if (!body) {
        cJSON_Delete(resp);
        return -1;
    }
    double total = 0;
    const cJSON *points = cJSON_GetObjectItemCaseSensitive(body, "Datapoints");
    for (const cJSON *p = points ? points->child : NULL; p; p = p->next) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(p, "Sum");
        if (cJSON_IsNumber(v))
            total += v->valuedouble;
    }
    cJSON *actual = cJSON_CreateNumber(total);
    char why[512];
    int rc = scn_match(actual, sum, why, sizeof why);
    cJSON_Delete(actual);
    if (rc != 1) {
        scn_fail(r, sum, "%s %s: %s", ns, name, why);
        scn_fail_state(r, cJSON_Duplicate(points, 1));
    }
    cJSON_Delete(resp);
    return rc == 1 ? 0 : -1;
}

/*
 * metrics: {namespace, name, dimensions: {RuleName, EventBusName}, sum}:
 * the metric summed from the scenario's start to now. AWS/Events rule
 * metrics are read from EventBridge's counters.
 */
int scn_check_metrics(scn_run *r, const cJSON *spec)
{
    const char *ns = scn_str(spec, "namespace");
    const char *name = scn_str(spec, "name");
    const cJSON *dims = cJSON_GetObjectItemCaseSensitive(spec, "dimensions");
    const cJSON *sum = cJSON_GetObjectItemCaseSensitive(spec, "sum");
    if (!ns || !name || !sum)
        return scn_fail(r, spec, "metrics needs namespace, name and sum");
    if (strcmp(ns, "AWS/Events") != 0)
        return scn_metric_statistics(r, spec, ns, name, dims, sum);
    const char *rule = scn_str(dims, "RuleName");
    const char *bus = scn_str(dims, "EventBusName");
    if (!rule)
        return scn_fail(r, spec,
                        "AWS/Events metrics need the RuleName "
                        "dimension");
    int64_t now = clock_now_ms(&r->srv->clock);
    /* Counters are per minute of the instance clock: include the minute
     * the scenario started in and the current one. */
    int64_t total = evb_rule_metric_sum(
        r->srv, r->account, r->region, bus ? bus : "default", rule, name,
        r->start_ms - r->start_ms % 60000, now + 60000);
    cJSON *actual = cJSON_CreateNumber((double)total);
    char why[512];
    int rc = scn_match(actual, sum, why, sizeof why);
    cJSON_Delete(actual);
    if (rc == 1)
        return 0;
    scn_fail(r, sum, "%s %s for rule %s: %s", ns, name, rule, why);
    /* Every counter of the rule, since one failure often explains
     * another (TriggeredRules without Invocations). */
    static const char *const names[] = {
        "MatchedEvents",        "TriggeredRules",
        "Invocations",          "FailedInvocations",
        "InvocationsSentToDlq", "InvocationsFailedToBeSentToDlq"};
    cJSON *state = cJSON_CreateObject();
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        cJSON_AddNumberToObject(
            state, names[i],
            (double)evb_rule_metric_sum(
                r->srv, r->account, r->region, bus ? bus : "default", rule,
                names[i], r->start_ms - r->start_ms % 60000, now + 60000));
    scn_fail_state(r, state);
    return -1;
}

/* ---- dlq ---- */

/* dlq: {queue, count, messages: {path: matcher}}: `messages` paths read the
 * list of {body, attributes, message_attributes}, body parsed as JSON when
 * it is JSON. */
int scn_check_dlq(scn_run *r, const cJSON *spec)
{
    const char *queue = scn_str(spec, "queue");
    if (!queue)
        return scn_fail(r, spec, "dlq needs queue (a queue name)");
    cJSON *params = cJSON_CreateObject();
    cJSON_AddStringToObject(params, "QueueName", queue);
    cJSON *resp;
    const cJSON *body =
        scn_aws_ok(r, spec, "sqs", "GetQueueUrl", params, &resp);
    cJSON_Delete(params);
    if (!body) {
        cJSON_Delete(resp);
        return -1;
    }
    char url[512];
    snprintf(url, sizeof url, "%s", scn_str(body, "QueueUrl"));
    cJSON_Delete(resp);

    params = cJSON_CreateObject();
    cJSON_AddStringToObject(params, "QueueUrl", url);
    cJSON_AddNumberToObject(params, "MaxNumberOfMessages", 10);
    cJSON_AddNumberToObject(params, "VisibilityTimeout", 0);
    cJSON_AddItemToObject(
        params, "MessageAttributeNames",
        cJSON_CreateStringArray((const char *const[]){"All"}, 1));
    cJSON_AddItemToObject(
        params, "MessageSystemAttributeNames",
        cJSON_CreateStringArray((const char *const[]){"All"}, 1));
    body = scn_aws_ok(r, spec, "sqs", "ReceiveMessage", params, &resp);
    cJSON_Delete(params);
    if (!body) {
        cJSON_Delete(resp);
        return -1;
    }
    cJSON *messages = cJSON_CreateArray();
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(body, "Messages");
    for (const cJSON *m = list ? list->child : NULL; m; m = m->next) {
        cJSON *msg = cJSON_CreateObject();
        const char *text = scn_str(m, "Body");
        cJSON *parsed = text ? cJSON_Parse(text) : NULL;
        cJSON_AddItemToObject(msg, "body",
                              parsed ? parsed
                                     : cJSON_CreateString(text ? text : ""));
        cJSON_AddItemToObject(
            msg, "attributes",
            cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(m, "Attributes"),
                            1));
        const cJSON *ma =
            cJSON_GetObjectItemCaseSensitive(m, "MessageAttributes");
        if (ma)
            cJSON_AddItemToObject(msg, "message_attributes",
                                  cJSON_Duplicate(ma, 1));
        cJSON_AddItemToArray(messages, msg);
    }
    cJSON_Delete(resp);

    /* ReceiveMessage returns at most 10; the count comes from the queue's
     * attributes. */
    params = cJSON_CreateObject();
    cJSON_AddStringToObject(params, "QueueUrl", url);
    cJSON_AddItemToObject(
        params, "AttributeNames",
        cJSON_CreateStringArray(
            (const char *const[]){"ApproximateNumberOfMessages"}, 1));
    body = scn_aws_ok(r, spec, "sqs", "GetQueueAttributes", params, &resp);
    cJSON_Delete(params);
    int count = -1;
    if (body) {
        const char *n =
            scn_str(cJSON_GetObjectItemCaseSensitive(body, "Attributes"),
                    "ApproximateNumberOfMessages");
        count = n ? atoi(n) : -1;
    }
    cJSON_Delete(resp);
    int rc = body ? 0 : -1;
    if (rc == 0)
        rc = scn_check_count(r, spec, count, "dlq messages", messages);
    const cJSON *expect = cJSON_GetObjectItemCaseSensitive(spec, "messages");
    if (rc == 0 && expect)
        rc = scn_check_paths(r, expect, messages, "dlq messages");
    cJSON_Delete(messages);
    return rc;
}

/* ---- logs and elapsed ---- */

/*
 * logs: {group, pattern, count, messages: {path: matcher}}: the group's
 * events since the scenario started that match the CloudWatch Logs
 * filter pattern, read with FilterLogEvents (all pages). `messages` paths
 * read the list of message texts. Without `count`, at least one event must
 * match.
 */
int scn_check_logs(scn_run *r, const cJSON *spec)
{
    if (!aws_service_by_name("logs"))
        return scn_fail(r, spec,
                        "logs needs the CloudWatch Logs service, which this "
                        "build does not include");
    const char *group = scn_str(spec, "group");
    const char *pattern = scn_str(spec, "pattern");
    if (!group)
        return scn_fail(r, spec, "logs needs group (a log group name)");

    cJSON *messages = cJSON_CreateArray();
    char *token = NULL;
    int rc = 0;
    for (int page = 0; page < 100 && rc == 0; page++) {
        cJSON *params = cJSON_CreateObject();
        cJSON_AddStringToObject(params, "logGroupName", group);
        if (pattern)
            cJSON_AddStringToObject(params, "filterPattern", pattern);
        cJSON_AddNumberToObject(params, "startTime", (double)r->start_ms);
        if (token)
            cJSON_AddStringToObject(params, "nextToken", token);
        free(token);
        token = NULL;
        cJSON *resp;
        const cJSON *body =
            scn_aws_ok(r, spec, "logs", "FilterLogEvents", params, &resp);
        cJSON_Delete(params);
        if (!body) {
            rc = -1;
        } else {
            const cJSON *events =
                cJSON_GetObjectItemCaseSensitive(body, "events");
            for (const cJSON *e = events ? events->child : NULL; e;
                 e = e->next) {
                const char *m = scn_str(e, "message");
                cJSON_AddItemToArray(messages, cJSON_CreateString(m ? m : ""));
            }
            const char *next = scn_str(body, "nextToken");
            token = next ? xstrdup(next) : NULL;
        }
        cJSON_Delete(resp);
        if (!token)
            break;
    }
    free(token);

    int n = cJSON_GetArraySize(messages);
    if (rc == 0 && cJSON_GetObjectItemCaseSensitive(spec, "count"))
        rc = scn_check_count(r, spec, n, "log events", messages);
    else if (rc == 0 && n == 0)
        rc = scn_fail(r, spec, "no log event in %s matches %s", group,
                      pattern ? pattern : "(no pattern)");
    const cJSON *expect = cJSON_GetObjectItemCaseSensitive(spec, "messages");
    if (rc == 0 && expect)
        rc = scn_check_paths(r, expect, messages, "log messages");
    cJSON_Delete(messages);
    return rc;
}

/* elapsed: a duration (equal) or {min, max} durations. */
int scn_check_elapsed(scn_run *r, const cJSON *spec)
{
    int64_t elapsed = clock_now_ms(&r->srv->clock) - r->start_ms;
    int64_t want, lo = -1, hi = -1;
    if (cJSON_IsObject(spec)) {
        const cJSON *min = cJSON_GetObjectItemCaseSensitive(spec, "min");
        const cJSON *max = cJSON_GetObjectItemCaseSensitive(spec, "max");
        if ((min && scn_duration_value(min, &lo) != 0) ||
            (max && scn_duration_value(max, &hi) != 0) || (!min && !max))
            return scn_fail(r, spec, "elapsed takes a duration or {min, max}");
    } else if (scn_duration_value(spec, &want) == 0) {
        lo = hi = want;
    } else {
        return scn_fail(r, spec, "elapsed takes a duration or {min, max}");
    }
    if ((lo < 0 || elapsed >= lo) && (hi < 0 || elapsed <= hi))
        return 0;
    if (lo == hi)
        return scn_fail(r, spec,
                        "elapsed virtual time: expected %.3f s, got %.3f s",
                        (double)lo / 1000, (double)elapsed / 1000);
    return scn_fail(r, spec,
                    "elapsed virtual time: expected %s %.3f s, got %.3f s",
                    lo >= 0 && elapsed < lo ? "at least" : "at most",
                    (double)(lo >= 0 && elapsed < lo ? lo : hi) / 1000,
                    (double)elapsed / 1000);
}
