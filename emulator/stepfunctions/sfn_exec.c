/*
 * sfn_exec.c: the execution operations StartExecution, DescribeExecution,
 * ListExecutions, StopExecution, GetExecutionHistory and
 * DescribeStateMachineForExecution.
 *
 * An execution keeps a copy of the definition it started with, so updating
 * or deleting its state machine does not change a running execution.
 */
#include "sfn_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cw.h"
#include "util.h"

static sfn_execution *sfn_execution_from(aws_request *req, aws_error *err)
{
    const char *arn = sfn__str(req->body, "executionArn");
    if (!arn) {
        aws_fail(err, AWS_ERR_VALIDATION,
                 "1 validation error detected: Value null at 'executionArn' "
                 "failed to satisfy constraint: Member must not be null");
        return NULL;
    }
    /* An Express execution ARN is rejected here as on AWS, with "Resource
     * type not valid in this context: express". */
    if (sfn__arn_check(arn, "execution", err) != 0)
        return NULL;
    sfn_execution *e = sfn__execution_load(req->srv, arn);
    if (!e)
        aws_fail(err, AWS_ERR_SFN_EXECUTION_DOES_NOT_EXIST,
                 "Execution Does Not Exist: '%s'", arn);
    return e;
}

cJSON *sfn_op_start_execution(aws_request *req, aws_error *err)
{
    const char *machine_arn = sfn__str(req->body, "stateMachineArn");
    const char *name = sfn__str(req->body, "name");
    const char *input = sfn__str(req->body, "input");
    if (!machine_arn) {
        aws_fail(err, AWS_ERR_VALIDATION,
                 "1 validation error detected: Value null at "
                 "'stateMachineArn' failed to satisfy constraint: Member "
                 "must not be null");
        return NULL;
    }
    if (sfn__arn_check(machine_arn, "stateMachine", err) != 0)
        return NULL;
    char generated[37];
    if (!name) {
        util_uuid4(generated);
        name = generated;
    }
    if (!sfn__name_valid(name)) {
        aws_fail(err, AWS_ERR_SFN_INVALID_NAME, "Invalid Name: '%s'", name);
        return NULL;
    }
    if (!input)
        input = "{}";
    /* The API's length constraint on input, in UTF-8 bytes. */
    if (strlen(input) > 262144) {
        aws_fail(err, AWS_ERR_VALIDATION,
                 "1 validation error detected: Value at 'input' failed to "
                 "satisfy constraint: Member must have length less than or "
                 "equal to 262144");
        return NULL;
    }
    cJSON *parsed = cJSON_Parse(input);
    if (!parsed) {
        aws_fail(err, AWS_ERR_SFN_INVALID_EXECUTION_INPUT,
                 "Invalid State Machine Execution Input: 'Invalid execution "
                 "input.'");
        return NULL;
    }
    cJSON_Delete(parsed);

    sfn_machine *m = sfn__machine_load(req->srv, machine_arn);
    if (!m) {
        aws_fail(err, AWS_ERR_SFN_STATE_MACHINE_DOES_NOT_EXIST,
                 "State Machine Does Not Exist: '%s'", machine_arn);
        return NULL;
    }
    bool express = strcmp(m->type, "EXPRESS") == 0;
    char arn[1024];
    if (express) {
        char id[37];
        util_uuid4(id);
        snprintf(arn, sizeof arn, "arn:aws:states:%s:%s:express:%s:%s:%s",
                 req->region, req->account, m->name, name, id);
    } else {
        snprintf(arn, sizeof arn, "arn:aws:states:%s:%s:execution:%s:%s",
                 req->region, req->account, m->name, name);
    }

    sfn_execution *existing = sfn__execution_load(req->srv, arn);
    if (existing) {
        /* A STANDARD name is idempotent while the execution runs with the
         * same input; otherwise it is taken for good. */
        bool same = strcmp(existing->status, "RUNNING") == 0 &&
                    strcmp(existing->input, input) == 0;
        cJSON *out = NULL;
        if (same) {
            out = cJSON_CreateObject();
            cJSON_AddStringToObject(out, "executionArn", arn);
            sfn__add_time(out, "startDate", existing->start_ms);
        } else {
            aws_fail(err, AWS_ERR_SFN_EXECUTION_ALREADY_EXISTS,
                     "Execution Already Exists: '%s'", arn);
        }
        sfn__execution_free(existing);
        sfn__machine_free(m);
        return out;
    }

    cJSON *definition = cJSON_Parse(m->definition);
    int64_t now = clock_now_ms(&req->srv->clock);
    sqlite3_stmt *s = store_stmt(
        req->srv->store,
        "INSERT INTO sfn_executions (arn, machine_arn, account, region, name,"
        " type, status, input, definition, role_arn, start_ms, seq)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'RUNNING', ?7, ?8, ?9, ?10, ?11)");
    sqlite3_bind_text(s, 1, arn, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, m->arn, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, req->account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, req->region, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 6, m->type, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 7, input, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 8, m->definition, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 9, m->role_arn, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 10, now);
    /* The start order ListExecutions sorts by, newest first. */
    sqlite3_bind_int64(s, 11, store_next_id(req->srv->store, "sfn_execution"));
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc == SQLITE_DONE) {
        cw_dimension dim = {"StateMachineArn", m->arn};
        cw_metric_add(req->srv, req->account, req->region, "AWS/States",
                      "ExecutionsStarted", &dim, 1, 1, "Count");
    }
    sfn__machine_free(m);
    if (rc != SQLITE_DONE || !definition) {
        cJSON_Delete(definition);
        aws_fail(err, AWS_ERR_INTERNAL_SERVER_ERROR, "cannot store %s", arn);
        return NULL;
    }

    sfn_execution *e = sfn__execution_load(req->srv, arn);
    sfn__execution_begin(req->srv, e, definition);
    sfn__execution_free(e);
    cJSON_Delete(definition);

    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "executionArn", arn);
    sfn__add_time(out, "startDate", now);
    return out;
}

cJSON *sfn_op_describe_execution(aws_request *req, aws_error *err)
{
    sfn_execution *e = sfn_execution_from(req, err);
    if (!e)
        return NULL;
    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "executionArn", e->arn);
    cJSON_AddStringToObject(out, "stateMachineArn", e->machine_arn);
    cJSON_AddStringToObject(out, "name", e->name);
    cJSON_AddStringToObject(out, "status", e->status);
    sfn__add_time(out, "startDate", e->start_ms);
    if (strcmp(e->status, "RUNNING") != 0)
        sfn__add_time(out, "stopDate", e->stop_ms);
    cJSON_AddStringToObject(out, "input", e->input);
    cJSON_AddTrueToObject(cJSON_AddObjectToObject(out, "inputDetails"),
                          "included");
    if (e->output) {
        cJSON_AddStringToObject(out, "output", e->output);
        cJSON_AddTrueToObject(cJSON_AddObjectToObject(out, "outputDetails"),
                              "included");
    }
    if (e->error)
        cJSON_AddStringToObject(out, "error", e->error);
    if (e->cause)
        cJSON_AddStringToObject(out, "cause", e->cause);
    cJSON_AddNumberToObject(out, "redriveCount", 0);
    cJSON_AddStringToObject(out, "redriveStatus", "NOT_REDRIVABLE");
    sfn__execution_free(e);
    return out;
}

cJSON *sfn_op_list_executions(aws_request *req, aws_error *err)
{
    const char *machine_arn = sfn__str(req->body, "stateMachineArn");
    const char *status = sfn__str(req->body, "statusFilter");
    if (!machine_arn) {
        aws_fail(err, AWS_ERR_VALIDATION,
                 "Must provide a StateMachine ARN or MapRun ARN");
        return NULL;
    }
    if (sfn__arn_check(machine_arn, "stateMachine", err) != 0)
        return NULL;
    int limit;
    int64_t offset;
    if (sfn__page_args(req->body, &limit, &offset, err) != 0)
        return NULL;
    sfn_machine *m = sfn__machine_load(req->srv, machine_arn);
    if (!m) {
        aws_fail(err, AWS_ERR_SFN_STATE_MACHINE_DOES_NOT_EXIST,
                 "State Machine Does Not Exist: '%s'", machine_arn);
        return NULL;
    }
    sfn__machine_free(m);

    sqlite3_stmt *s = store_stmt(
        req->srv->store,
        "SELECT arn, name, status, start_ms, stop_ms FROM sfn_executions"
        " WHERE machine_arn = ?1 AND (?2 IS NULL OR status = ?2)"
        " ORDER BY seq DESC LIMIT ?3 OFFSET ?4");
    sqlite3_bind_text(s, 1, machine_arn, -1, SQLITE_STATIC);
    if (status)
        sqlite3_bind_text(s, 2, status, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 3, limit + 1);
    sqlite3_bind_int64(s, 4, offset);
    cJSON *out = cJSON_CreateObject();
    cJSON *list = cJSON_AddArrayToObject(out, "executions");
    int n = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
        if (n++ == limit) {
            char *token = sfn__page_token(offset + limit);
            cJSON_AddStringToObject(out, "nextToken", token);
            free(token);
            break;
        }
        const char *st = (const char *)sqlite3_column_text(s, 2);
        cJSON *item = cJSON_CreateObject();
        cJSON_AddStringToObject(item, "executionArn",
                                (const char *)sqlite3_column_text(s, 0));
        cJSON_AddStringToObject(item, "stateMachineArn", machine_arn);
        cJSON_AddStringToObject(item, "name",
                                (const char *)sqlite3_column_text(s, 1));
        cJSON_AddStringToObject(item, "status", st);
        sfn__add_time(item, "startDate", sqlite3_column_int64(s, 3));
        if (strcmp(st, "RUNNING") != 0)
            sfn__add_time(item, "stopDate", sqlite3_column_int64(s, 4));
        cJSON_AddNumberToObject(item, "redriveCount", 0);
        cJSON_AddItemToArray(list, item);
    }
    sqlite3_reset(s);
    return out;
}

cJSON *sfn_op_stop_execution(aws_request *req, aws_error *err)
{
    sfn_execution *e = sfn_execution_from(req, err);
    if (!e)
        return NULL;
    if (strcmp(e->status, "RUNNING") == 0) {
        sfn__execution_abort(req->srv, e, sfn__str(req->body, "error"),
                             sfn__str(req->body, "cause"));
        sfn__execution_free(e);
        e = sfn__execution_load(req->srv, sfn__str(req->body, "executionArn"));
    }
    cJSON *out = cJSON_CreateObject();
    sfn__add_time(out, "stopDate", e->stop_ms);
    sfn__execution_free(e);
    return out;
}

/* Append one stored event row to `events`. */
static void sfn_event_render(cJSON *events, sqlite3_stmt *s, bool data)
{
    cJSON *ev = cJSON_CreateObject();
    sfn__add_time(ev, "timestamp", sqlite3_column_int64(s, 2));
    cJSON_AddStringToObject(ev, "type",
                            (const char *)sqlite3_column_text(s, 1));
    cJSON_AddNumberToObject(ev, "id", (double)sqlite3_column_int64(s, 0));
    cJSON_AddNumberToObject(ev, "previousEventId",
                            (double)sqlite3_column_int64(s, 3));
    const char *name = (const char *)sqlite3_column_text(s, 4);
    const char *text = (const char *)sqlite3_column_text(s, 5);
    cJSON *details = name && text ? cJSON_Parse(text) : NULL;
    if (details && !data) {
        /* includeExecutionData false drops inputs, outputs and causes. */
        static const char *const members[] = {"input", "output", "cause",
                                              "parameters", NULL};
        for (size_t i = 0; members[i]; i++)
            cJSON_DeleteItemFromObjectCaseSensitive(details, members[i]);
    }
    if (details)
        cJSON_AddItemToObject(ev, name, details);
    cJSON_AddItemToArray(events, ev);
}

cJSON *sfn_op_get_execution_history(aws_request *req, aws_error *err)
{
    sfn_execution *e = sfn_execution_from(req, err);
    if (!e)
        return NULL;
    int limit;
    int64_t offset;
    if (sfn__page_args(req->body, &limit, &offset, err) != 0) {
        sfn__execution_free(e);
        return NULL;
    }
    bool reverse = cJSON_IsTrue(sfn__get(req->body, "reverseOrder"));
    const cJSON *include = sfn__get(req->body, "includeExecutionData");
    bool data = !cJSON_IsFalse(include);

    sqlite3_stmt *s = store_stmt(
        req->srv->store,
        reverse ? "SELECT id, type, timestamp_ms, previous_id, details_name,"
                  " details FROM sfn_events WHERE execution_seq = ?1"
                  " ORDER BY id DESC LIMIT ?2 OFFSET ?3"
                : "SELECT id, type, timestamp_ms, previous_id, details_name,"
                  " details FROM sfn_events WHERE execution_seq = ?1"
                  " ORDER BY id LIMIT ?2 OFFSET ?3");
    sqlite3_bind_int64(s, 1, e->seq);
    sqlite3_bind_int(s, 2, limit + 1);
    sqlite3_bind_int64(s, 3, offset);
    cJSON *out = cJSON_CreateObject();
    cJSON *events = cJSON_AddArrayToObject(out, "events");
    int n = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
        if (n++ == limit) {
            char *token = sfn__page_token(offset + limit);
            cJSON_AddStringToObject(out, "nextToken", token);
            free(token);
            break;
        }
        sfn_event_render(events, s, data);
    }
    sqlite3_reset(s);
    sfn__execution_free(e);
    return out;
}

cJSON *sfn_op_describe_state_machine_for_execution(aws_request *req,
                                                   aws_error *err)
{
    sfn_execution *e = sfn_execution_from(req, err);
    if (!e)
        return NULL;
    sfn_machine *m = sfn__machine_load(req->srv, e->machine_arn);
    cJSON *out = cJSON_CreateObject();
    if (m) {
        sfn__machine_describe(out, m);
        sfn__add_time(out, "updateDate", m->updated_ms);
    } else {
        cJSON_AddStringToObject(out, "stateMachineArn", e->machine_arn);
        const char *name = strrchr(e->machine_arn, ':');
        cJSON_AddStringToObject(out, "name", name ? name + 1 : "");
        cJSON_AddStringToObject(out, "roleArn", e->role_arn);
        sfn__add_time(out, "updateDate", e->start_ms);
    }
    /* The execution runs the definition it started with. */
    cJSON_DeleteItemFromObjectCaseSensitive(out, "definition");
    cJSON_AddStringToObject(out, "definition", e->definition);
    sfn__machine_free(m);
    sfn__execution_free(e);
    return out;
}

int sfn_execution_start(stratus *srv, const char *account, const char *region,
                        const char *machine_arn, const char *name,
                        const char *input, char *arn_out, size_t arn_size,
                        aws_error *err)
{
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "stateMachineArn", machine_arn);
    if (name)
        cJSON_AddStringToObject(body, "name", name);
    cJSON_AddStringToObject(body, "input", input ? input : "{}");
    aws_request req = {
        .srv = srv,
        .service = &sfn_service,
        .operation = "StartExecution",
        .account = account,
        .region = region,
        .access_key = "",
        .request_id = "internal",
        .body = body,
    };
    cJSON *out = sfn_op_start_execution(&req, err);
    cJSON_Delete(body);
    if (!out)
        return -1;
    snprintf(arn_out, arn_size, "%s", sfn__str(out, "executionArn"));
    cJSON_Delete(out);
    return 0;
}
