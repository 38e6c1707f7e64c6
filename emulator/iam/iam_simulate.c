/*
 * iam_simulate.c: SimulatePrincipalPolicy for roles: each action in
 * ActionNames is evaluated on each ARN in ResourceArns ("*" when none)
 * with the role's identity-based policies, any PolicyInputList documents
 * and the ContextEntries given.
 *
 * Not simulated: users and groups (Stratus has none), permissions
 * boundaries, resource policies (ResourcePolicy, ResourceOwner,
 * CallerArn) and pagination.
 */
#include "iam_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void iam__statement_span(const char *text, size_t index, int span[4])
{
    int line = 1, col = 1, depth = 0;
    int in_string = 0, escaped = 0;
    int armed = 0;        /* after "Statement": at depth 1 */
    int list_depth = -1;  /* depth of the Statement list's '[' */
    int start_depth = -1; /* depth of the target statement's '{' */
    size_t element = 0;
    char key[16] = "";
    size_t key_len = 0;

    for (const char *p = text; p && *p; p++) {
        char c = *p;
        if (in_string) {
            if (escaped)
                escaped = 0;
            else if (c == '\\')
                escaped = 1;
            else if (c == '"')
                in_string = 0;
            else if (depth == 1 && key_len + 1 < sizeof key)
                key[key_len++] = c;
        } else if (c == '"') {
            in_string = 1;
            key_len = 0;
            memset(key, 0, sizeof key);
        } else if (c == ':' && depth == 1 && strcmp(key, "Statement") == 0) {
            armed = 1;
        } else if (c == '{' || c == '[') {
            int is_target = 0;
            if (armed) {
                armed = 0;
                if (c == '[')
                    list_depth = depth;
                else
                    is_target = index == 0;
            } else if (c == '{' && list_depth >= 0 && depth == list_depth + 1) {
                is_target = element == index;
            }
            if (is_target) {
                start_depth = depth;
                span[0] = line;
                span[1] = col;
            }
            depth++;
        } else if (c == '}' || c == ']') {
            depth--;
            if (start_depth >= 0 && depth == start_depth) {
                span[2] = line;
                span[3] = col + 1;
                return;
            }
            if (c == '}' && list_depth >= 0 && depth == list_depth + 1)
                element++;
            if (c == ']' && depth == list_depth)
                list_depth = -1;
        } else if (armed && c != ' ' && c != '\t' && c != '\n' && c != '\r') {
            armed = 0;
        }
        if (c == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
}

/* The strings of a list member (a single string counts as a list of one). */
static const cJSON *iam_list(const cJSON *body, const char *member)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(body, member);
    return cJSON_IsArray(m) || cJSON_IsString(m) ? m : NULL;
}

/* Collects matched statements of PolicyInputList documents. */
typedef struct iam_input_match {
    const char *id;
    const char *document;
    cJSON *allows, *denies;
} iam_input_match;

static void iam_input_on_match(void *arg, size_t index, int allows)
{
    iam_input_match *m = arg;
    int span[4] = {0, 0, 0, 0};
    iam__statement_span(m->document, index, span);
    cJSON *st = cJSON_CreateObject();
    cJSON_AddStringToObject(st, "SourcePolicyId", m->id);
    cJSON_AddStringToObject(st, "SourcePolicyType", "IAM Policy");
    cJSON *start = cJSON_AddObjectToObject(st, "StartPosition");
    cJSON_AddNumberToObject(start, "Line", span[0]);
    cJSON_AddNumberToObject(start, "Column", span[1]);
    cJSON *end = cJSON_AddObjectToObject(st, "EndPosition");
    cJSON_AddNumberToObject(end, "Line", span[2]);
    cJSON_AddNumberToObject(end, "Column", span[3]);
    cJSON_AddItemToArray(allows ? m->allows : m->denies, st);
}

/* One EvaluationResult: the role's policies, then the input policies. */
static cJSON *iam_simulate_one(aws_request *req, const iam_role *role,
                               const cJSON *inputs, const iam_eval_request *er)
{
    cJSON *role_matches = cJSON_CreateArray();
    iam_decision role_decision =
        iam__role_evaluate(req->srv, role, er, role_matches);
    iam_decision decision = role_decision;
    iam_input_match im = {
        .allows = cJSON_CreateArray(),
        .denies = cJSON_CreateArray(),
    };
    int n = 0;
    const cJSON *doc;
    cJSON_ArrayForEach(doc, inputs)
    {
        char id[32];
        snprintf(id, sizeof id, "PolicyInputList.%d", ++n);
        cJSON *parsed = cJSON_Parse(doc->valuestring);
        im.id = id;
        im.document = doc->valuestring;
        decision = iam_decision_combine(
            decision, iam_eval_policy(parsed, IAM_POLICY_IDENTITY, er,
                                      iam_input_on_match, &im));
        cJSON_Delete(parsed);
    }

    cJSON *result = cJSON_CreateObject();
    cJSON_AddStringToObject(result, "EvalActionName", er->action);
    cJSON_AddStringToObject(result, "EvalResourceName", er->resource);
    cJSON_AddStringToObject(result, "EvalDecision",
                            iam_decision_name(decision));
    cJSON *matched = cJSON_AddArrayToObject(result, "MatchedStatements");
    /* The statements of the deciding effect. The role's matches hold its
     * own deciding effect, which an input policy's deny may override. */
    cJSON *st;
    if (role_decision == decision)
        cJSON_ArrayForEach(st, role_matches)
            cJSON_AddItemToArray(matched, cJSON_Duplicate(st, 1));
    cJSON *chosen = decision == IAM_EXPLICIT_DENY ? im.denies : im.allows;
    cJSON_ArrayForEach(st, chosen)
        cJSON_AddItemToArray(matched, cJSON_Duplicate(st, 1));
    cJSON *missing = cJSON_AddArrayToObject(result, "MissingContextValues");
    size_t count = 0;
    iam_role_policy *policies = iam__role_policies(req->srv, role, &count);
    for (size_t i = 0; i < count; i++)
        if (policies[i].parsed)
            iam_policy_missing_keys(policies[i].parsed, er, missing);
    iam__role_policies_free(policies, count);
    cJSON_ArrayForEach(doc, inputs)
    {
        cJSON *parsed = cJSON_Parse(doc->valuestring);
        if (parsed)
            iam_policy_missing_keys(parsed, er, missing);
        cJSON_Delete(parsed);
    }

    cJSON_Delete(role_matches);
    cJSON_Delete(im.allows);
    cJSON_Delete(im.denies);
    return result;
}

cJSON *iam_op_simulate_principal_policy(aws_request *req, aws_error *err)
{
    const char *source = iam__str(req->body, "PolicySourceArn");
    const cJSON *actions = iam_list(req->body, "ActionNames");
    const cJSON *resources = iam_list(req->body, "ResourceArns");
    const cJSON *inputs = iam_list(req->body, "PolicyInputList");
    const cJSON *entries =
        cJSON_GetObjectItemCaseSensitive(req->body, "ContextEntries");
    if (!source) {
        iam__missing(err, "PolicySourceArn");
        return NULL;
    }
    if (!actions) {
        iam__missing(err, "ActionNames");
        return NULL;
    }

    char account[13], name[128];
    if (!iam_role_arn_parse(source, account, name, sizeof name)) {
        if (strncmp(source, "arn:aws:iam::", 13) == 0 &&
            strstr(source, ":user/"))
            aws_fail(err, AWS_ERR_IAM_NO_SUCH_ENTITY,
                     "The user with name %s cannot be found.",
                     strstr(source, ":user/") + 6);
        else
            aws_fail(err, AWS_ERR_IAM_INVALID_INPUT, "Invalid ARN: %s", source);
        return NULL;
    }
    iam_role *role = iam__role_load(req->srv, account, name, err);
    if (!role)
        return NULL;

    /* Input policies must be valid identity-based policies. */
    const cJSON *doc;
    cJSON_ArrayForEach(doc, inputs)
    {
        char message[256];
        cJSON *parsed =
            cJSON_IsString(doc)
                ? iam_policy_parse(doc->valuestring, IAM_POLICY_IDENTITY,
                                   message, sizeof message)
                : NULL;
        if (!parsed) {
            iam__role_free(role);
            aws_fail(err, AWS_ERR_IAM_MALFORMED_POLICY_DOCUMENT, "%s",
                     cJSON_IsString(doc) ? message
                                         : "Syntax errors in policy.");
            return NULL;
        }
        cJSON_Delete(parsed);
    }

    /* Context keys: each entry's first value. */
    size_t context_count = 0;
    iam_context_key context[64];
    const cJSON *entry;
    cJSON_ArrayForEach(entry, entries)
    {
        const char *key = iam__str(entry, "ContextKeyName");
        const cJSON *values =
            cJSON_GetObjectItemCaseSensitive(entry, "ContextKeyValues");
        const cJSON *first =
            cJSON_IsArray(values) ? cJSON_GetArrayItem(values, 0) : values;
        if (key && cJSON_IsString(first) &&
            context_count < sizeof context / sizeof *context) {
            context[context_count].name = key;
            context[context_count].value = first->valuestring;
            context_count++;
        }
    }

    cJSON *out = cJSON_CreateObject();
    cJSON *results = cJSON_AddArrayToObject(out, "EvaluationResults");
    cJSON *star = cJSON_CreateString("*");
    const cJSON *resource_list = resources ? resources : star;
    const cJSON *action;
    const cJSON *single_action = cJSON_IsString(actions) ? actions : NULL;
    for (action = single_action ? single_action : actions->child; action;
         action = single_action ? NULL : action->next) {
        const cJSON *single_resource =
            cJSON_IsString(resource_list) ? resource_list : NULL;
        for (const cJSON *resource = single_resource ? single_resource
                                                     : resource_list->child;
             resource; resource = single_resource ? NULL : resource->next) {
            if (!cJSON_IsString(action) || !cJSON_IsString(resource))
                continue;
            iam_eval_request er = {
                .action = action->valuestring,
                .resource = resource->valuestring,
                .principal_arn = role->arn,
                .principal_account = role->account,
                .context = context,
                .context_count = context_count,
            };
            cJSON_AddItemToArray(results,
                                 iam_simulate_one(req, role, inputs, &er));
        }
    }
    cJSON_Delete(star);
    cJSON_AddBoolToObject(out, "IsTruncated", 0);
    iam__role_free(role);
    return out;
}
