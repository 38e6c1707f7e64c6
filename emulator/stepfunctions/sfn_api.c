/*
 * sfn_api.c: the Step Functions service: its initialisation (schema and job
 * kinds), its operation table (JSON 1.0, target prefix AWSStepFunctions)
 * and the state machine operations CreateStateMachine, DescribeStateMachine,
 * ListStateMachines, UpdateStateMachine and DeleteStateMachine.
 *
 * Not built: versions and aliases, activities, redrive, map runs and
 * TestState. ValidateStateMachineDefinition is in sfn_validate.c and the
 * tag operations in sfn_tags.c.
 * Logging and tracing configurations are stored and echoed but do nothing.
 */
#include "sfn_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobs.h"
#include "util.h"

static const char *const sfn_default_logging =
    "{\"level\":\"OFF\","
    "\"includeExecutionData\":false}";
static const char *const sfn_default_tracing = "{\"enabled\":false}";

static int sfn_init(stratus *srv, aws_error *err)
{
    if (sfn__store_init(srv, err) != 0)
        return -1;
    sfn__state(srv);
    jobs_register(srv->jobs, SFN_STEP_JOB, sfn__step_job);
    jobs_register(srv->jobs, SFN_TIMEOUT_JOB, sfn__timeout_job);
    sfn__lambda_register(srv);
    if (sfn__evb_register(srv) != 0)
        return aws_fail(err, AWS_ERR_INTERNAL_SERVER_ERROR,
                        "cannot register the EventBridge target of states");
    sfn__tasks_resume(srv);
    return 0;
}

static void sfn_cleanup(stratus *srv)
{
    sfn__sync_cleanup(srv);
    sfn__state_free(srv);
}

/* The definition text of a request: a string member. */
static const char *sfn_definition_text(const cJSON *body, aws_error *err)
{
    const char *text = sfn__str(body, "definition");
    if (!text) {
        aws_fail(err, AWS_ERR_VALIDATION,
                 "1 validation error detected: Value null at 'definition' "
                 "failed to satisfy constraint: Member must not be null");
        return NULL;
    }
    if (strlen(text) > SFN_DEFINITION_MAX) {
        aws_fail(err, AWS_ERR_VALIDATION,
                 "1 validation error detected: Value at 'definition' failed "
                 "to satisfy constraint: Member must have length less than "
                 "or equal to %d",
                 SFN_DEFINITION_MAX);
        return NULL;
    }
    return text;
}

static char *sfn_json_member(const cJSON *body, const char *name,
                             const char *fallback)
{
    const cJSON *v = sfn__get(body, name);
    return cJSON_IsObject(v) ? cJSON_PrintUnformatted(v) : xstrdup(fallback);
}

cJSON *sfn_op_create_state_machine(aws_request *req, aws_error *err)
{
    const char *name = sfn__str(req->body, "name");
    const char *role = sfn__str(req->body, "roleArn");
    const char *type = sfn__str(req->body, "type");
    if (!name) {
        aws_fail(err, AWS_ERR_VALIDATION,
                 "1 validation error detected: Value null at 'name' failed "
                 "to satisfy constraint: Member must not be null");
        return NULL;
    }
    if (!sfn__name_valid(name)) {
        aws_fail(err, AWS_ERR_SFN_INVALID_NAME, "Invalid Name: '%s'", name);
        return NULL;
    }
    if (!type)
        type = "STANDARD";
    if (strcmp(type, "STANDARD") != 0 && strcmp(type, "EXPRESS") != 0) {
        aws_fail(err, AWS_ERR_VALIDATION,
                 "1 validation error detected: Value '%s' at 'type' failed "
                 "to satisfy constraint: Member must satisfy enum value set: "
                 "[STANDARD, EXPRESS]",
                 type);
        return NULL;
    }
    const char *text = sfn_definition_text(req->body, err);
    if (!text)
        return NULL;
    cJSON *def = sfn__definition_check(text, type, err);
    if (!def)
        return NULL;
    cJSON_Delete(def);

    char arn[512];
    snprintf(arn, sizeof arn, "arn:aws:states:%s:%s:stateMachine:%s",
             req->region, req->account, name);
    char *logging =
        sfn_json_member(req->body, "loggingConfiguration", sfn_default_logging);
    char *tracing =
        sfn_json_member(req->body, "tracingConfiguration", sfn_default_tracing);
    sfn_machine *existing = sfn__machine_load(req->srv, arn);
    if (existing) {
        /* AWS returns the existing machine when every setting matches. */
        bool same = strcmp(existing->definition, text) == 0 &&
                    strcmp(existing->role_arn, role ? role : "") == 0 &&
                    strcmp(existing->type, type) == 0;
        cJSON *out = NULL;
        if (same) {
            out = cJSON_CreateObject();
            cJSON_AddStringToObject(out, "stateMachineArn", arn);
            sfn__add_time(out, "creationDate", existing->created_ms);
        } else {
            aws_fail(err, AWS_ERR_SFN_STATE_MACHINE_ALREADY_EXISTS,
                     "State Machine Already Exists: '%s'", arn);
        }
        sfn__machine_free(existing);
        free(logging);
        free(tracing);
        return out;
    }

    int64_t now = clock_now_ms(&req->srv->clock);
    char revision[37];
    util_uuid4(revision);
    sqlite3_stmt *s = store_stmt(
        req->srv->store,
        "INSERT INTO sfn_machines (arn, account, region, name, type,"
        " definition, role_arn, revision_id, logging, tracing, created_ms,"
        " updated_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,"
        " ?11)");
    sqlite3_bind_text(s, 1, arn, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, req->account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, req->region, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, type, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 6, text, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 7, role ? role : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 8, revision, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 9, logging, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 10, tracing, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 11, now);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    free(logging);
    free(tracing);
    if (rc != SQLITE_DONE) {
        aws_fail(err, AWS_ERR_INTERNAL_SERVER_ERROR, "cannot store %s", arn);
        return NULL;
    }
    if (sfn__tags_put(req->srv, arn, sfn__get(req->body, "tags"), err) != 0)
        return NULL;

    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "stateMachineArn", arn);
    sfn__add_time(out, "creationDate", now);
    return out;
}

/* Load the machine a request names in `member`, or fail as AWS does. */
static sfn_machine *sfn_machine_from(aws_request *req, const char *member,
                                     aws_error *err)
{
    const char *arn = sfn__str(req->body, member);
    if (!arn) {
        aws_fail(err, AWS_ERR_VALIDATION,
                 "1 validation error detected: Value null at '%s' failed to "
                 "satisfy constraint: Member must not be null",
                 member);
        return NULL;
    }
    if (sfn__arn_check(arn, "stateMachine", err) != 0)
        return NULL;
    sfn_machine *m = sfn__machine_load(req->srv, arn);
    if (!m)
        aws_fail(err, AWS_ERR_SFN_STATE_MACHINE_DOES_NOT_EXIST,
                 "State Machine Does Not Exist: '%s'", arn);
    return m;
}

/* Members DescribeStateMachine and DescribeStateMachineForExecution share. */
void sfn__machine_describe(cJSON *out, const sfn_machine *m)
{
    cJSON_AddStringToObject(out, "stateMachineArn", m->arn);
    cJSON_AddStringToObject(out, "name", m->name);
    cJSON_AddStringToObject(out, "definition", m->definition);
    cJSON_AddStringToObject(out, "roleArn", m->role_arn);
    cJSON *logging = cJSON_Parse(m->logging ? m->logging : sfn_default_logging);
    cJSON *tracing = cJSON_Parse(m->tracing ? m->tracing : sfn_default_tracing);
    cJSON_AddItemToObject(out, "loggingConfiguration",
                          logging ? logging : cJSON_CreateObject());
    cJSON_AddItemToObject(out, "tracingConfiguration",
                          tracing ? tracing : cJSON_CreateObject());
    if (m->revision_id)
        cJSON_AddStringToObject(out, "revisionId", m->revision_id);
}

cJSON *sfn_op_describe_state_machine(aws_request *req, aws_error *err)
{
    sfn_machine *m = sfn_machine_from(req, "stateMachineArn", err);
    if (!m)
        return NULL;
    cJSON *out = cJSON_CreateObject();
    sfn__machine_describe(out, m);
    cJSON_AddStringToObject(out, "status", "ACTIVE");
    cJSON_AddStringToObject(out, "type", m->type);
    sfn__add_time(out, "creationDate", m->created_ms);
    sfn__machine_free(m);
    return out;
}

/* Read maxResults and nextToken; returns -1 with `err` filled. */
int sfn__page_args(const cJSON *body, int *limit, int64_t *offset,
                   aws_error *err)
{
    const cJSON *max = sfn__get(body, "maxResults");
    const char *token = sfn__str(body, "nextToken");
    *limit = SFN_PAGE_MAX;
    *offset = 0;
    if (cJSON_IsNumber(max)) {
        if (max->valuedouble < 0 || max->valuedouble > SFN_PAGE_MAX)
            return aws_fail(err, AWS_ERR_VALIDATION,
                            "1 validation error detected: Value '%d' at "
                            "'maxResults' failed to satisfy constraint: "
                            "Member must have value less than or equal to "
                            "%d",
                            (int)max->valuedouble, SFN_PAGE_MAX);
        if (max->valuedouble >= 1)
            *limit = (int)max->valuedouble;
    }
    if (token) {
        *offset = sfn__page_offset(token);
        if (*offset < 0)
            return aws_fail(err, AWS_ERR_SFN_INVALID_TOKEN,
                            "Invalid Token: '%s'", token);
    }
    return 0;
}

cJSON *sfn_op_list_state_machines(aws_request *req, aws_error *err)
{
    int limit;
    int64_t offset;
    if (sfn__page_args(req->body, &limit, &offset, err) != 0)
        return NULL;
    sqlite3_stmt *s = store_stmt(
        req->srv->store, "SELECT arn, name, type, created_ms FROM sfn_machines"
                         " WHERE account = ?1 AND region = ?2 ORDER BY name"
                         " LIMIT ?3 OFFSET ?4");
    sqlite3_bind_text(s, 1, req->account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, req->region, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 3, limit + 1);
    sqlite3_bind_int64(s, 4, offset);
    cJSON *out = cJSON_CreateObject();
    cJSON *list = cJSON_AddArrayToObject(out, "stateMachines");
    int n = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
        if (n++ == limit) {
            char *token = sfn__page_token(offset + limit);
            cJSON_AddStringToObject(out, "nextToken", token);
            free(token);
            break;
        }
        cJSON *item = cJSON_CreateObject();
        cJSON_AddStringToObject(item, "stateMachineArn",
                                (const char *)sqlite3_column_text(s, 0));
        cJSON_AddStringToObject(item, "name",
                                (const char *)sqlite3_column_text(s, 1));
        cJSON_AddStringToObject(item, "type",
                                (const char *)sqlite3_column_text(s, 2));
        sfn__add_time(item, "creationDate", sqlite3_column_int64(s, 3));
        cJSON_AddItemToArray(list, item);
    }
    sqlite3_reset(s);
    return out;
}

cJSON *sfn_op_delete_state_machine(aws_request *req, aws_error *err)
{
    const char *arn = sfn__str(req->body, "stateMachineArn");
    if (!arn) {
        aws_fail(err, AWS_ERR_VALIDATION,
                 "1 validation error detected: Value null at "
                 "'stateMachineArn' failed to satisfy constraint: Member "
                 "must not be null");
        return NULL;
    }
    if (sfn__arn_check(arn, "stateMachine", err) != 0)
        return NULL;
    /* Deleting a machine that does not exist succeeds, as on AWS.
     * NOTE: AWS lets running executions finish and then removes the machine;
     * Stratus removes it at once and the executions run on their copy. */
    sqlite3_stmt *s =
        store_stmt(req->srv->store, "DELETE FROM sfn_machines WHERE arn = ?1");
    sqlite3_bind_text(s, 1, arn, -1, SQLITE_STATIC);
    sqlite3_step(s);
    sqlite3_reset(s);
    sfn__tags_delete_all(req->srv, arn);
    return cJSON_CreateObject();
}

cJSON *sfn_op_update_state_machine(aws_request *req, aws_error *err)
{
    sfn_machine *m = sfn_machine_from(req, "stateMachineArn", err);
    if (!m)
        return NULL;
    const char *text = sfn__str(req->body, "definition");
    const char *role = sfn__str(req->body, "roleArn");
    const cJSON *logging = sfn__get(req->body, "loggingConfiguration");
    const cJSON *tracing = sfn__get(req->body, "tracingConfiguration");
    if (!text && !role && !logging && !tracing) {
        sfn__machine_free(m);
        aws_fail(err, AWS_ERR_SFN_MISSING_REQUIRED_PARAMETER,
                 "Either the definition, the role ARN, the "
                 "LoggingConfiguration, or the TracingConfiguration must be "
                 "specified");
        return NULL;
    }
    if (text) {
        cJSON *def = sfn__definition_check(text, m->type, err);
        if (!def) {
            sfn__machine_free(m);
            return NULL;
        }
        cJSON_Delete(def);
    }

    int64_t now = clock_now_ms(&req->srv->clock);
    char revision[37];
    util_uuid4(revision);
    char *logging_text =
        logging ? cJSON_PrintUnformatted(logging) : xstrdup(m->logging);
    char *tracing_text =
        tracing ? cJSON_PrintUnformatted(tracing) : xstrdup(m->tracing);
    sqlite3_stmt *s = store_stmt(
        req->srv->store,
        "UPDATE sfn_machines SET definition = ?2, role_arn = ?3,"
        " logging = ?4, tracing = ?5, revision_id = ?6, updated_ms = ?7"
        " WHERE arn = ?1");
    sqlite3_bind_text(s, 1, m->arn, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, text ? text : m->definition, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, role ? role : m->role_arn, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, logging_text, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, tracing_text, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 6, revision, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 7, now);
    sqlite3_step(s);
    sqlite3_reset(s);
    free(logging_text);
    free(tracing_text);
    sfn__machine_free(m);

    cJSON *out = cJSON_CreateObject();
    sfn__add_time(out, "updateDate", now);
    cJSON_AddStringToObject(out, "revisionId", revision);
    return out;
}

static const aws_operation sfn_operations[] = {
    {"CreateActivity", NULL},
    {"CreateStateMachine", sfn_op_create_state_machine},
    {"CreateStateMachineAlias", NULL},
    {"DeleteActivity", NULL},
    {"DeleteStateMachine", sfn_op_delete_state_machine},
    {"DeleteStateMachineAlias", NULL},
    {"DeleteStateMachineVersion", NULL},
    {"DescribeActivity", NULL},
    {"DescribeExecution", sfn_op_describe_execution},
    {"DescribeMapRun", NULL},
    {"DescribeStateMachine", sfn_op_describe_state_machine},
    {"DescribeStateMachineAlias", NULL},
    {"DescribeStateMachineForExecution",
     sfn_op_describe_state_machine_for_execution},
    {"GetActivityTask", NULL},
    {"GetExecutionHistory", sfn_op_get_execution_history},
    {"ListActivities", NULL},
    {"ListExecutions", sfn_op_list_executions},
    {"ListMapRuns", NULL},
    {"ListStateMachineAliases", NULL},
    {"ListStateMachineVersions", NULL},
    {"ListStateMachines", sfn_op_list_state_machines},
    {"ListTagsForResource", sfn_op_list_tags_for_resource},
    {"PublishStateMachineVersion", NULL},
    {"RedriveExecution", NULL},
    {"SendTaskFailure", sfn_op_send_task_failure},
    {"SendTaskHeartbeat", sfn_op_send_task_heartbeat},
    {"SendTaskSuccess", sfn_op_send_task_success},
    {"StartExecution", sfn_op_start_execution},
    {"StartSyncExecution", sfn_op_start_sync_execution},
    {"StopExecution", sfn_op_stop_execution},
    {"TagResource", sfn_op_tag_resource},
    {"TestState", NULL},
    {"UntagResource", sfn_op_untag_resource},
    {"UpdateMapRun", NULL},
    {"UpdateStateMachine", sfn_op_update_state_machine},
    {"UpdateStateMachineAlias", NULL},
    {"ValidateStateMachineDefinition",
     sfn_op_validate_state_machine_definition},
};

const aws_service sfn_service = {
    .name = "stepfunctions",
    .signing_name = "states",
    .target_prefix = "AWSStepFunctions",
    .error_prefix = "",
    .protocol = AWS_PROTO_JSON_1_0,
    .operations = sfn_operations,
    .operation_count = sizeof sfn_operations / sizeof *sfn_operations,
    .init = sfn_init,
    .cleanup = sfn_cleanup,
    .resource_arn = sfn__resource_arn,
};
