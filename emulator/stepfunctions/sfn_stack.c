/*
 * sfn_stack.c: the AWS::StepFunctions::StateMachine stack resource type.
 * Its properties are CloudFormation's: StateMachineName, StateMachineType,
 * RoleArn, and the definition as DefinitionString or as Definition (an
 * object, or a string containing JSON). It applies them through the service's
 * own CreateStateMachine and UpdateStateMachine handlers.
 * DefinitionSubstitutions replaces each "${key}" of the definition text with
 * the key's value, as CloudFormation does.
 *
 * Not handled: DefinitionS3Location.
 */
#include "sfn_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Replace every "${key}" of `text` (taken) by its value in `substitutions`
 * and return the new text. A key with no value stays as it is. */
static char *sfn_stack_substitute(char *text, const cJSON *substitutions)
{
    if (!cJSON_IsObject(substitutions))
        return text;
    strbuf out;
    strbuf_init(&out);
    const char *p = text;
    while (*p) {
        const char *open = strstr(p, "${");
        const char *close = open ? strchr(open + 2, '}') : NULL;
        if (!close) {
            strbuf_puts(&out, p);
            break;
        }
        strbuf_append(&out, p, (size_t)(open - p));
        char *key = xstrndup(open + 2, (size_t)(close - open - 2));
        const cJSON *value =
            cJSON_GetObjectItemCaseSensitive(substitutions, key);
        free(key);
        if (cJSON_IsString(value)) {
            strbuf_puts(&out, value->valuestring);
        } else if (value && !cJSON_IsObject(value) && !cJSON_IsArray(value)) {
            char *printed = cJSON_PrintUnformatted(value);
            strbuf_puts(&out, printed);
            free(printed);
        } else {
            strbuf_append(&out, open, (size_t)(close - open + 1));
        }
        p = close + 1;
    }
    free(text);
    return strbuf_take(&out, NULL);
}

static int sfn_stack_call(stratus *srv, const char *account, const char *region,
                          const char *operation, aws_op_fn handler, cJSON *body,
                          aws_error *err)
{
    aws_request req = {
        .srv = srv,
        .service = &sfn_service,
        .operation = operation,
        .account = account,
        .region = region,
        .access_key = "",
        .request_id = "stack",
        .body = body,
        .http = NULL,
    };
    cJSON *resp = handler(&req, err);
    cJSON_Delete(resp);
    return resp ? 0 : -1;
}

/* A copy of a CloudFormation property tree with each key's first letter in
 * lower case, as the API spells LoggingConfiguration's members. */
static cJSON *sfn_stack_camel(const cJSON *node)
{
    if (cJSON_IsArray(node)) {
        cJSON *out = cJSON_CreateArray();
        const cJSON *e;
        cJSON_ArrayForEach(e, node)
            cJSON_AddItemToArray(out, sfn_stack_camel(e));
        return out;
    }
    if (!cJSON_IsObject(node))
        return cJSON_Duplicate(node, 1);
    cJSON *out = cJSON_CreateObject();
    const cJSON *m;
    cJSON_ArrayForEach(m, node)
    {
        char *key = xstrdup(m->string);
        key[0] = (char)tolower((unsigned char)key[0]);
        cJSON_AddItemToObject(out, key, sfn_stack_camel(m));
        free(key);
    }
    return out;
}

int sfn_stack_apply_state_machine(stratus *srv, const char *account,
                                  const char *region, const char *logical_id,
                                  const cJSON *properties, aws_error *err)
{
    if (!cJSON_IsObject(properties))
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "Properties of %s must be a mapping", logical_id);
    const char *name = sfn__str(properties, "StateMachineName");
    if (!name)
        name = logical_id;
    const cJSON *definition = sfn__get(properties, "Definition");
    char *text = NULL;
    if (cJSON_IsString(definition))
        text = xstrdup(definition->valuestring);
    else if (cJSON_IsObject(definition))
        text = cJSON_PrintUnformatted(definition);
    else if (sfn__str(properties, "DefinitionString"))
        text = xstrdup(sfn__str(properties, "DefinitionString"));
    if (!text)
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "%s needs a Definition or a DefinitionString",
                        logical_id);
    text = sfn_stack_substitute(
        text, sfn__get(properties, "DefinitionSubstitutions"));

    char arn[512];
    snprintf(arn, sizeof arn, "arn:aws:states:%s:%s:stateMachine:%s", region,
             account, name);
    const char *role = sfn__str(properties, "RoleArn");
    const char *type = sfn__str(properties, "StateMachineType");
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "definition", text);
    cJSON_AddStringToObject(body, "roleArn", role ? role : "");
    free(text);
    const cJSON *logging = sfn__get(properties, "LoggingConfiguration");
    if (cJSON_IsObject(logging))
        cJSON_AddItemToObject(body, "loggingConfiguration",
                              sfn_stack_camel(logging));

    sfn_machine *existing = sfn__machine_load(srv, arn);
    int rc;
    if (existing) {
        cJSON_AddStringToObject(body, "stateMachineArn", arn);
        rc = sfn_stack_call(srv, account, region, "UpdateStateMachine",
                            sfn_op_update_state_machine, body, err);
    } else {
        cJSON_AddStringToObject(body, "name", name);
        cJSON_AddStringToObject(body, "type", type ? type : "STANDARD");
        rc = sfn_stack_call(srv, account, region, "CreateStateMachine",
                            sfn_op_create_state_machine, body, err);
    }
    sfn__machine_free(existing);
    cJSON_Delete(body);
    return rc;
}
