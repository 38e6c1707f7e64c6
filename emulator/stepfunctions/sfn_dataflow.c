/*
 * sfn_dataflow.c: payload templates and the InputPath, ResultPath and
 * OutputPath steps of a state, with the States.Runtime causes AWS records
 * when a path does not resolve.
 */
#include "sfn_dataflow.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "sfn_intrinsic.h"
#include "sfn_path.h"
#include "util.h"

/* Templates come from the definition, whose JSON nesting cJSON already
 * bounds. This limit keeps the recursion well below the stack size too. */
#define PAYLOAD_MAX_DEPTH 256

static bool is_dynamic_key(const char *key)
{
    size_t n = strlen(key);
    return n > 2 && strcmp(key + n - 2, ".$") == 0;
}

/* The value of one `.$` member: an intrinsic call or a path. */
static cJSON *resolve_dynamic(const char *key, const cJSON *value,
                              const cJSON *input, const cJSON *context,
                              sfn_failure *failure)
{
    if (!cJSON_IsString(value)) {
        sfn_failure_set(failure, SFN_ERR_RUNTIME,
                        "The value of the field '%s' must be a path or an "
                        "intrinsic function, as a string",
                        key);
        return NULL;
    }
    const char *text = value->valuestring;
    if (sfn_intrinsic_is_call(text))
        return sfn_intrinsic_eval(text, input, context, key, failure);

    /* AWS rejects even "$" on a null state input, with this cause. */
    if (strncmp(text, "$$", 2) != 0 && (!input || cJSON_IsNull(input))) {
        sfn_failure_set(failure, SFN_ERR_RUNTIME,
                        "Unable to apply Path transformation to null or empty "
                        "input.");
        return NULL;
    }

    cJSON *out = NULL;
    char detail[512];
    sfn_path_result result = sfn_path_query(
        text, SFN_PATH_GENERAL, input, context, &out, detail, sizeof detail);
    if (result == SFN_PATH_FOUND)
        return out;
    if (result == SFN_PATH_INVALID) {
        sfn_failure_set(failure, SFN_ERR_RUNTIME,
                        "The value '%s' of the field '%s' is not a valid "
                        "JSONPath: %s",
                        text, key, detail);
        return NULL;
    }
    char *json = sfn_json_compact(input);
    sfn_failure_set(failure, SFN_ERR_RUNTIME,
                    "The JSONPath '%s' specified for the field '%s' could not "
                    "be found in the input '%s'",
                    text, key, json);
    free(json);
    return NULL;
}

static cJSON *apply_template(const cJSON *tmpl, const cJSON *input,
                             const cJSON *context, int depth,
                             sfn_failure *failure);

static cJSON *apply_object(const cJSON *tmpl, const cJSON *input,
                           const cJSON *context, int depth,
                           sfn_failure *failure)
{
    cJSON *out = cJSON_CreateObject();
    const cJSON *member;
    cJSON_ArrayForEach(member, tmpl)
    {
        const char *key = member->string;
        cJSON *value;
        char *name;
        if (is_dynamic_key(key)) {
            value = resolve_dynamic(key, member, input, context, failure);
            name = xstrndup(key, strlen(key) - 2);
        } else {
            value = apply_template(member, input, context, depth + 1, failure);
            name = xstrdup(key);
        }
        if (!value) {
            free(name);
            cJSON_Delete(out);
            return NULL;
        }
        if (cJSON_GetObjectItemCaseSensitive(out, name))
            cJSON_ReplaceItemInObjectCaseSensitive(out, name, value);
        else
            cJSON_AddItemToObject(out, name, value);
        free(name);
    }
    return out;
}

static cJSON *apply_template(const cJSON *tmpl, const cJSON *input,
                             const cJSON *context, int depth,
                             sfn_failure *failure)
{
    if (depth > PAYLOAD_MAX_DEPTH) {
        sfn_failure_set(failure, SFN_ERR_RUNTIME,
                        "The payload template is nested more than %d levels "
                        "deep",
                        PAYLOAD_MAX_DEPTH);
        return NULL;
    }
    if (cJSON_IsObject(tmpl))
        return apply_object(tmpl, input, context, depth, failure);
    if (!cJSON_IsArray(tmpl))
        return cJSON_Duplicate(tmpl, true);

    cJSON *out = cJSON_CreateArray();
    const cJSON *element;
    cJSON_ArrayForEach(element, tmpl)
    {
        cJSON *value =
            apply_template(element, input, context, depth + 1, failure);
        if (!value) {
            cJSON_Delete(out);
            return NULL;
        }
        cJSON_AddItemToArray(out, value);
    }
    return out;
}

cJSON *sfn_payload_apply(const cJSON *payload_template, const cJSON *input,
                         const cJSON *context, sfn_failure *failure)
{
    return apply_template(payload_template, input, context, 0, failure);
}

static cJSON *copy_or_null(const cJSON *item)
{
    return item ? cJSON_Duplicate(item, true) : cJSON_CreateNull();
}

cJSON *sfn_select_path(const cJSON *path_member, const char *field,
                       const cJSON *input, const cJSON *context,
                       sfn_failure *failure)
{
    if (!path_member)
        return copy_or_null(input);
    if (cJSON_IsNull(path_member))
        return cJSON_CreateObject();
    if (!cJSON_IsString(path_member)) {
        sfn_failure_set(failure, SFN_ERR_RUNTIME,
                        "The field '%s' must be a path string or null", field);
        return NULL;
    }

    cJSON *out = NULL;
    char detail[512];
    sfn_path_result result =
        sfn_path_query(path_member->valuestring, SFN_PATH_GENERAL, input,
                       context, &out, detail, sizeof detail);
    if (result == SFN_PATH_FOUND)
        return out;
    sfn_failure_set(failure, SFN_ERR_RUNTIME, "Invalid path '%s' : %s",
                    path_member->valuestring, detail);
    return NULL;
}

/*
 * AWS quotes a context path as it applies it to the context object, with one
 * `$` removed: ItemsPath "$$.Execution.Input" becomes "$.Execution.Input".
 */
cJSON *sfn_items_select(const cJSON *items_path_member, const cJSON *input,
                        const cJSON *context, sfn_failure *failure)
{
    const char *text = "$";
    if (items_path_member && !cJSON_IsString(items_path_member)) {
        sfn_failure_set(failure, SFN_ERR_RUNTIME,
                        "The field 'ItemsPath' must be a path string");
        return NULL;
    }
    if (items_path_member)
        text = items_path_member->valuestring;

    cJSON *items = NULL;
    char detail[512];
    sfn_path_result result =
        sfn_path_query(text, SFN_PATH_REFERENCE, input, context, &items, detail,
                       sizeof detail);
    if (result != SFN_PATH_FOUND) {
        sfn_failure_set(failure, SFN_ERR_RUNTIME, "Invalid path '%s' : %s",
                        text, detail);
        return NULL;
    }
    if (!cJSON_IsArray(items)) {
        const char *quoted = strncmp(text, "$$", 2) == 0 ? text + 1 : text;
        sfn_failure_set(failure, SFN_ERR_RUNTIME,
                        "Reference path \"%s\" must point to array.", quoted);
        cJSON_Delete(items);
        return NULL;
    }
    return items;
}

cJSON *sfn_result_path_apply(const cJSON *result_path_member,
                             const cJSON *raw_input, cJSON *result,
                             sfn_failure *failure)
{
    if (!result_path_member)
        return result;
    if (cJSON_IsNull(result_path_member)) {
        cJSON_Delete(result);
        return copy_or_null(raw_input);
    }
    if (!cJSON_IsString(result_path_member)) {
        cJSON_Delete(result);
        sfn_failure_set(failure, SFN_ERR_RUNTIME,
                        "The field 'ResultPath' must be a path string or "
                        "null");
        return NULL;
    }

    cJSON *doc = copy_or_null(raw_input);
    if (!sfn_path_assign(&doc, result_path_member->valuestring, result,
                         failure)) {
        cJSON_Delete(doc);
        return NULL;
    }
    return doc;
}

cJSON *sfn_state_effective_input(const cJSON *state,
                                 const char *template_member,
                                 const cJSON *raw_input, const cJSON *context,
                                 sfn_failure *failure)
{
    cJSON *input =
        sfn_select_path(cJSON_GetObjectItemCaseSensitive(state, "InputPath"),
                        "InputPath", raw_input, context, failure);
    if (!input)
        return NULL;

    const cJSON *tmpl = cJSON_GetObjectItemCaseSensitive(
        state, template_member ? template_member : "Parameters");
    if (!tmpl)
        return input;
    cJSON *effective = sfn_payload_apply(tmpl, input, context, failure);
    cJSON_Delete(input);
    return effective;
}

/* ResultPath, then OutputPath; takes ownership of `result`. */
static cJSON *merge_and_select(const cJSON *state, const cJSON *raw_input,
                               cJSON *result, const cJSON *context,
                               sfn_failure *failure)
{
    cJSON *merged = sfn_result_path_apply(
        cJSON_GetObjectItemCaseSensitive(state, "ResultPath"), raw_input,
        result, failure);
    if (!merged)
        return NULL;
    cJSON *output =
        sfn_select_path(cJSON_GetObjectItemCaseSensitive(state, "OutputPath"),
                        "OutputPath", merged, context, failure);
    cJSON_Delete(merged);
    return output;
}

cJSON *sfn_state_output(const cJSON *state, const cJSON *raw_input,
                        cJSON *result, const cJSON *context,
                        sfn_failure *failure)
{
    const cJSON *selector =
        cJSON_GetObjectItemCaseSensitive(state, "ResultSelector");
    if (selector) {
        cJSON *selected = sfn_payload_apply(selector, result, context, failure);
        cJSON_Delete(result);
        if (!selected)
            return NULL;
        result = selected;
    }
    return merge_and_select(state, raw_input, result, context, failure);
}

cJSON *sfn_pass_state_output(const cJSON *state, const cJSON *raw_input,
                             const cJSON *context, sfn_failure *failure)
{
    cJSON *effective =
        sfn_state_effective_input(state, NULL, raw_input, context, failure);
    if (!effective)
        return NULL;
    const cJSON *fixed = cJSON_GetObjectItemCaseSensitive(state, "Result");
    cJSON *result = effective;
    if (fixed) {
        cJSON_Delete(effective);
        result = cJSON_Duplicate(fixed, true);
    }
    return merge_and_select(state, raw_input, result, context, failure);
}
