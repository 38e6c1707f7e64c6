/*
 * sfn_callback.c: the operations that end or extend a Task state waiting in
 * the .waitForTaskToken pattern: SendTaskSuccess, SendTaskFailure and
 * SendTaskHeartbeat. Each finds the waiting frame by its task token.
 */
#include "sfn_run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Length of the tokens sfn_task.c creates: two UUIDs. */
#define SFN_TOKEN_LEN 72

/* Find the frame waiting for `token`. Returns it with the execution ARN in
 * `*exec_arn` (the caller frees both), or NULL with `err` filled. */
static sfn_frame *sfn_token_frame(aws_request *req, char **exec_arn,
                                  aws_error *err)
{
    const char *token = sfn__str(req->body, "taskToken");
    if (!token) {
        aws_fail(err, AWS_ERR_VALIDATION,
                 "1 validation error detected: Value null at 'taskToken' "
                 "failed to satisfy constraint: Member must not be null");
        return NULL;
    }
    if (strlen(token) != SFN_TOKEN_LEN) {
        aws_fail(err, AWS_ERR_SFN_INVALID_TOKEN,
                 "Invalid Token: 'Invalid token'");
        return NULL;
    }
    sqlite3_stmt *s =
        store_stmt(req->srv->store, "SELECT execution_arn, frame FROM"
                                    " sfn_task_tokens WHERE token = ?1");
    sqlite3_bind_text(s, 1, token, -1, SQLITE_STATIC);
    char *arn = NULL;
    int64_t id = 0;
    if (sqlite3_step(s) == SQLITE_ROW) {
        arn = xstrdup((const char *)sqlite3_column_text(s, 0));
        id = sqlite3_column_int64(s, 1);
    }
    sqlite3_reset(s);
    /* AWS returns TaskTimedOut for a token whose task has closed (the API
     * reference: "the task associated with the token has already been
     * closed"); TaskDoesNotExist is about activities. Stratus forgets a
     * token once its task reports, so an unknown token is such a task.
     * NOTE: the message text is the one users report from AWS, not one
     * recorded here. */
    if (!arn) {
        aws_fail(err, AWS_ERR_SFN_TASK_TIMED_OUT,
                 "Task Timed Out: 'Provided task does not exist anymore'");
        return NULL;
    }

    sfn_frame *f = sfn__frame_load(req->srv, arn, id);
    bool waiting = f && strcmp(f->status, "RUNNING") == 0 &&
                   (strcmp(f->phase, "task") == 0 ||
                    strcmp(f->phase, "task_submitted") == 0);
    const char *current = f ? sfn__str(f->scratch, "task_token") : NULL;
    if (!waiting || !current || strcmp(current, token) != 0) {
        sfn__frame_free(f);
        free(arn);
        aws_fail(err, AWS_ERR_SFN_TASK_TIMED_OUT,
                 "Task Timed Out: 'Provided task does not exist anymore'");
        return NULL;
    }
    *exec_arn = arn;
    return f;
}

static void sfn_token_forget(aws_request *req)
{
    sqlite3_stmt *s = store_stmt(
        req->srv->store, "DELETE FROM sfn_task_tokens WHERE token = ?1");
    sqlite3_bind_text(s, 1, sfn__str(req->body, "taskToken"), -1,
                      SQLITE_STATIC);
    sqlite3_step(s);
    sqlite3_reset(s);
}

/* Store the outcome in the frame and wake it. Takes `outcome`. */
static cJSON *sfn_token_report(aws_request *req, cJSON *outcome, aws_error *err)
{
    char *arn = NULL;
    sfn_frame *f = sfn_token_frame(req, &arn, err);
    if (!f) {
        cJSON_Delete(outcome);
        return NULL;
    }
    sfn__scratch_put(f, "outcome", outcome);
    /* A frame still recording TaskSubmitted finishes after it. */
    if (strcmp(f->phase, "task") == 0) {
        sfn__set_phase(f, "task_done");
        sfn__schedule_step(req->srv, arn, f->id,
                           clock_now_ms(&req->srv->clock));
    }
    sfn__frame_save(req->srv, arn, f);
    sfn_token_forget(req);
    sfn__frame_free(f);
    free(arn);
    return cJSON_CreateObject();
}

cJSON *sfn_op_send_task_success(aws_request *req, aws_error *err)
{
    const char *output = sfn__str(req->body, "output");
    cJSON *parsed = output ? cJSON_Parse(output) : NULL;
    if (!parsed) {
        aws_fail(err, AWS_ERR_SFN_INVALID_OUTPUT,
                 "Invalid Output: 'output must be valid JSON'");
        return NULL;
    }
    cJSON *outcome = cJSON_CreateObject();
    cJSON_AddItemToObject(outcome, "output", parsed);
    return sfn_token_report(req, outcome, err);
}

cJSON *sfn_op_send_task_failure(aws_request *req, aws_error *err)
{
    const char *error = sfn__str(req->body, "error");
    const char *cause = sfn__str(req->body, "cause");
    cJSON *outcome = cJSON_CreateObject();
    cJSON_AddStringToObject(outcome, "error", error ? error : "");
    if (cause)
        cJSON_AddStringToObject(outcome, "cause", cause);
    return sfn_token_report(req, outcome, err);
}

cJSON *sfn_op_send_task_heartbeat(aws_request *req, aws_error *err)
{
    char *arn = NULL;
    sfn_frame *f = sfn_token_frame(req, &arn, err);
    if (!f)
        return NULL;
    const cJSON *state =
        sfn__get(sfn__get(sfn__frame_machine(f), "States"), f->state);
    const cJSON *heartbeat = sfn__get(state, "HeartbeatSeconds");
    if (cJSON_IsNumber(heartbeat) && heartbeat->valuedouble > 0) {
        /* A newer heartbeat timeout replaces the pending one, which the
         * timeout job recognises by its older beat number. */
        const cJSON *beat = sfn__get(f->scratch, "beat");
        int64_t next =
            (cJSON_IsNumber(beat) ? (int64_t)beat->valuedouble : 0) + 1;
        sfn__scratch_put(f, "beat", cJSON_CreateNumber((double)next));
        const cJSON *token = sfn__get(f->scratch, "token");
        sfn__schedule_heartbeat(
            req->srv, arn, f->id,
            cJSON_IsNumber(token) ? (int64_t)token->valuedouble : 0, next,
            clock_now_ms(&req->srv->clock) +
                (int64_t)(heartbeat->valuedouble * 1000));
        sfn__frame_save(req->srv, arn, f);
    }
    sfn__frame_free(f);
    free(arn);
    return cJSON_CreateObject();
}
