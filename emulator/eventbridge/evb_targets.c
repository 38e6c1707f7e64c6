/*
 * evb_targets.c: PutTargets, ListTargetsByRule, RemoveTargets and
 * ListRuleNamesByTarget.
 *
 * Targets are checked when they are put: Id and Arn, at most one of Input,
 * InputPath and InputTransformer (evb_target_input_validate), RetryPolicy
 * ranges, and the RoleArn AWS requires for some target services. Left
 * out: the service-specific parameters (EcsParameters, SqsParameters, ...)
 * are stored but not checked.
 */
#include "evb_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evb_transform.h"
#include "log.h"
#include "store.h"
#include "util.h"

#define EVB_PUT_TARGETS_MAX 10

/* Target services for which PutTargets requires a RoleArn. NOTE: AWS's
 * full list is longer (EC2, Batch, ...); these were seen in AWS errors. */
static const char *const evb_role_services[] = {
    "states", "kinesis", "ecs", "codebuild", "codepipeline", NULL,
};

static int evb_range_check(const cJSON *obj, const char *member,
                           const char *wire, long min, long max, int index,
                           aws_error *err)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, member);
    if (!m)
        return 0;
    double v = cJSON_IsNumber(m) ? m->valuedouble : -1e18;
    if (v < (double)min)
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "1 validation error detected: Value '%.0f' at "
                        "'targets.%d.member.retryPolicy.%s' failed to "
                        "satisfy constraint: Member must have value greater "
                        "than or equal to %ld",
                        v, index, wire, min);
    if (v > (double)max)
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "1 validation error detected: Value '%.0f' at "
                        "'targets.%d.member.retryPolicy.%s' failed to "
                        "satisfy constraint: Member must have value less "
                        "than or equal to %ld",
                        v, index, wire, max);
    return 0;
}

/* Check one target of a PutTargets request (1-based `index`). */
static int evb_target_check(const cJSON *target, int index, aws_error *err)
{
    const char *id = evb__str(target, "Id");
    const char *arn = evb__str(target, "Arn");
    char member[64];

    snprintf(member, sizeof member, "targets.%d.member.id", index);
    if (!id)
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "1 validation error detected: Value null at '%s' "
                        "failed to satisfy constraint: Member must not be "
                        "null",
                        member);
    if (evb__name_check(id, member, 64, 0, err) != 0)
        return -1;
    if (!arn)
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "1 validation error detected: Value null at "
                        "'targets.%d.member.arn' failed to satisfy "
                        "constraint: Member must not be null",
                        index);
    if (evb_target_input_validate(target, err) != 0)
        return -1;

    const cJSON *retry =
        cJSON_GetObjectItemCaseSensitive(target, "RetryPolicy");
    if (evb_range_check(retry, "MaximumRetryAttempts", "maximumRetryAttempts",
                        0, 185, index, err) != 0 ||
        evb_range_check(retry, "MaximumEventAgeInSeconds",
                        "maximumEventAgeInSeconds", 60, 86400, index, err) != 0)
        return -1;

    char service[32];
    if (!evb__str(target, "RoleArn") &&
        evb_arn_service(arn, service, sizeof service) == 0) {
        for (size_t i = 0; evb_role_services[i]; i++)
            if (strcmp(service, evb_role_services[i]) == 0)
                return aws_fail(err, AWS_ERR_VALIDATION,
                                "RoleArn is required for target %s.", arn);
    }
    return 0;
}

static int64_t evb_target_count(stratus *srv, int64_t rule_id)
{
    sqlite3_stmt *s = store_stmt(
        srv->store, "SELECT count(*) FROM evb_target WHERE rule_id = ?1");
    sqlite3_bind_int64(s, 1, rule_id);
    int64_t n = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    sqlite3_reset(s);
    return n;
}

static int evb_target_exists(stratus *srv, int64_t rule_id, const char *id)
{
    sqlite3_stmt *s =
        store_stmt(srv->store, "SELECT 1 FROM evb_target WHERE rule_id = ?1"
                               " AND target_id = ?2");
    sqlite3_bind_int64(s, 1, rule_id);
    sqlite3_bind_text(s, 2, id, -1, SQLITE_STATIC);
    int found = sqlite3_step(s) == SQLITE_ROW;
    sqlite3_reset(s);
    return found;
}

static cJSON *evb_failed_result(cJSON *failed)
{
    cJSON *out = cJSON_CreateObject();
    cJSON_AddNumberToObject(out, "FailedEntryCount",
                            cJSON_GetArraySize(failed));
    cJSON_AddItemToObject(out, "FailedEntries", failed);
    return out;
}

cJSON *evb_op_put_targets(aws_request *req, aws_error *err)
{
    const cJSON *targets =
        cJSON_GetObjectItemCaseSensitive(req->body, "Targets");
    evb_rule *rule = evb__rule_open(req, "Rule", err);
    if (!rule)
        return NULL;
    int count = cJSON_GetArraySize(targets);
    if (!cJSON_IsArray(targets) || count < 1 || count > EVB_PUT_TARGETS_MAX) {
        evb__rule_free(rule);
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "1 validation error detected: Value at 'targets' "
                        "failed to satisfy constraint: Member must have "
                        "length between 1 and %d",
                        EVB_PUT_TARGETS_MAX),
               NULL;
    }

    int index = 0;
    int64_t added = 0;
    const cJSON *t;
    cJSON_ArrayForEach(t, targets)
    {
        index++;
        if (evb_target_check(t, index, err) != 0) {
            evb__rule_free(rule);
            return NULL;
        }
        if (!evb_target_exists(req->srv, rule->id, evb__str(t, "Id")))
            added++;
    }
    if (evb_target_count(req->srv, rule->id) + added >
        EVB_MAX_TARGETS_PER_RULE) {
        evb__rule_free(rule);
        return aws_fail(err, AWS_ERR_LIMIT_EXCEEDED,
                        "The requested resource exceeds the maximum number "
                        "allowed."),
               NULL;
    }

    /* NOTE: AWS reports some per-target failures in FailedEntries, but the
     * codes it uses there were not recorded. Stratus reports only an Arn
     * that is not an ARN this way. */
    cJSON *failed = cJSON_CreateArray();
    cJSON_ArrayForEach(t, targets)
    {
        const char *id = evb__str(t, "Id");
        const char *arn = evb__str(t, "Arn");
        char service[32];
        if (evb_arn_service(arn, service, sizeof service) != 0) {
            cJSON *f = cJSON_CreateObject();
            cJSON_AddStringToObject(f, "TargetId", id);
            cJSON_AddStringToObject(f, "ErrorCode", "ValidationException");
            cJSON_AddStringToObject(f, "ErrorMessage",
                                    "Parameter Arn is not valid.");
            cJSON_AddItemToArray(failed, f);
            continue;
        }
        char *text = cJSON_PrintUnformatted(t);
        sqlite3_stmt *s = store_stmt(
            req->srv->store,
            "INSERT INTO evb_target (rule_id, target_id, seq, target) VALUES"
            " (?1, ?2, ?3, ?4) ON CONFLICT (rule_id, target_id) DO UPDATE"
            " SET target = ?4");
        sqlite3_bind_int64(s, 1, rule->id);
        sqlite3_bind_text(s, 2, id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 3, store_next_id(req->srv->store, "evb_target"));
        sqlite3_bind_text(s, 4, text, -1, SQLITE_STATIC);
        int rc = sqlite3_step(s);
        sqlite3_reset(s);
        free(text);
        if (rc != SQLITE_DONE) {
            log_error("events", "cannot store target %s of %s: %s", id,
                      rule->arn, sqlite3_errmsg(store_db(req->srv->store)));
            cJSON_Delete(failed);
            evb__rule_free(rule);
            return aws_fail(err, AWS_ERR_INTERNAL_SERVER_ERROR, NULL), NULL;
        }
        log_at(LOG_DEBUG, "events", req->request_id, "target %s (%s) put on %s",
               id, arn, rule->arn);
    }
    evb__rule_free(rule);
    return evb_failed_result(failed);
}

cJSON *evb_op_list_targets_by_rule(aws_request *req, aws_error *err)
{
    evb_rule *rule = evb__rule_open(req, "Rule", err);
    if (!rule)
        return NULL;
    const char *token = evb__str(req->body, "NextToken");
    const cJSON *limit_item =
        cJSON_GetObjectItemCaseSensitive(req->body, "Limit");
    long limit =
        cJSON_IsNumber(limit_item) ? (long)limit_item->valuedouble : 100;
    if (limit < 1 || limit > 100) {
        evb__rule_free(rule);
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "1 validation error detected: Value '%ld' at "
                        "'limit' failed to satisfy constraint: Member must "
                        "have value between 1 and 100",
                        limit),
               NULL;
    }

    sqlite3_stmt *s =
        store_stmt(req->srv->store, "SELECT seq, target FROM evb_target WHERE"
                                    " rule_id = ?1 AND seq > ?2 ORDER BY seq"
                                    " LIMIT ?3");
    sqlite3_bind_int64(s, 1, rule->id);
    sqlite3_bind_int64(s, 2, token ? strtoll(token, NULL, 10) : 0);
    sqlite3_bind_int64(s, 3, limit + 1);
    cJSON *out = cJSON_CreateObject();
    cJSON *list = cJSON_AddArrayToObject(out, "Targets");
    long n = 0;
    int64_t last = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
        if (n == limit) {
            char next[32];
            snprintf(next, sizeof next, "%lld", (long long)last);
            cJSON_AddStringToObject(out, "NextToken", next);
            break;
        }
        last = sqlite3_column_int64(s, 0);
        cJSON *target = cJSON_Parse((const char *)sqlite3_column_text(s, 1));
        if (target)
            cJSON_AddItemToArray(list, target);
        n++;
    }
    sqlite3_reset(s);
    evb__rule_free(rule);
    return out;
}

cJSON *evb_op_remove_targets(aws_request *req, aws_error *err)
{
    const cJSON *ids = cJSON_GetObjectItemCaseSensitive(req->body, "Ids");
    evb_rule *rule = evb__rule_open(req, "Rule", err);
    if (!rule)
        return NULL;
    int count = cJSON_GetArraySize(ids);
    if (!cJSON_IsArray(ids) || count < 1 || count > 100) {
        evb__rule_free(rule);
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "1 validation error detected: Value at 'ids' failed "
                        "to satisfy constraint: Member must have length "
                        "between 1 and 100"),
               NULL;
    }
    const cJSON *id;
    cJSON_ArrayForEach(id, ids)
    {
        if (!cJSON_IsString(id))
            continue;
        sqlite3_stmt *s =
            store_stmt(req->srv->store, "DELETE FROM evb_target WHERE"
                                        " rule_id = ?1 AND target_id = ?2");
        sqlite3_bind_int64(s, 1, rule->id);
        sqlite3_bind_text(s, 2, id->valuestring, -1, SQLITE_STATIC);
        sqlite3_step(s);
        sqlite3_reset(s);
    }
    evb__rule_free(rule);
    return evb_failed_result(cJSON_CreateArray());
}

cJSON *evb_op_list_rule_names_by_target(aws_request *req, aws_error *err)
{
    const char *arn = evb__str(req->body, "TargetArn");
    char bus[EVB_NAME_MAX + 1];
    if (!arn)
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "1 validation error detected: Value null at "
                        "'targetArn' failed to satisfy constraint: Member "
                        "must not be null"),
               NULL;
    if (evb__bus_member(req->body, "EventBusName", bus, sizeof bus, err) != 0)
        return NULL;
    sqlite3_stmt *s = store_stmt(
        req->srv->store,
        "SELECT DISTINCT r.name FROM evb_rule r JOIN evb_target t ON"
        " t.rule_id = r.id WHERE r.account = ?1 AND r.region = ?2 AND"
        " r.bus = ?3 AND json_extract(t.target, '$.Arn') = ?4"
        " ORDER BY r.name");
    sqlite3_bind_text(s, 1, req->account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, req->region, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, bus, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, arn, -1, SQLITE_STATIC);
    cJSON *out = cJSON_CreateObject();
    cJSON *names = cJSON_AddArrayToObject(out, "RuleNames");
    while (sqlite3_step(s) == SQLITE_ROW)
        cJSON_AddItemToArray(
            names, cJSON_CreateString((const char *)sqlite3_column_text(s, 0)));
    sqlite3_reset(s);
    return out;
}
