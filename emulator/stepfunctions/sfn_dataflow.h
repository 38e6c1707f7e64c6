/*
 * sfn_dataflow.h: input and output processing of a JSONPath state, in the
 * order AWS applies it:
 *
 *   raw input -> InputPath -> Parameters (or ItemSelector) -> task
 *   -> ResultSelector -> ResultPath (merged into the raw input) -> OutputPath
 *
 * Payload templates (Parameters, ItemSelector, ResultSelector) copy their
 * members, recursing into objects and arrays. A member whose key ends in
 * `.$` is replaced by the value of its path or intrinsic function, under the
 * key without `.$`.
 *
 * Every function returns a new tree, or NULL with `failure` filled. It
 * leaves its inputs untouched unless its comment states that it takes
 * ownership. The `context` argument is the context object that `$$` paths
 * read, and may be NULL. The JSONata query language is not handled here.
 */
#ifndef STRATUS_SFN_DATAFLOW_H
#define STRATUS_SFN_DATAFLOW_H

#include <cjson/cJSON.h>

#include "sfn_error.h"

/* Apply a payload template to `input`. */
cJSON *sfn_payload_apply(const cJSON *payload_template, const cJSON *input,
                         const cJSON *context, sfn_failure *failure);

/*
 * Apply InputPath or OutputPath, given as the state's member. NULL (an
 * absent member) selects the whole input, JSON null yields {}, and a string
 * is a path. `field` names the member in causes ("InputPath").
 */
cJSON *sfn_select_path(const cJSON *path_member, const char *field,
                       const cJSON *input, const cJSON *context,
                       sfn_failure *failure);

/*
 * Select the array a Map state iterates over: `items_path_member` is its
 * ItemsPath member (NULL selects the whole input), a reference path. A
 * value that is not an array raises States.Runtime with AWS's cause
 * 'Reference path "$.x" must point to array.'.
 */
cJSON *sfn_items_select(const cJSON *items_path_member, const cJSON *input,
                        const cJSON *context, sfn_failure *failure);

/*
 * Apply ResultPath: absent stores the result as the whole output, JSON null
 * discards it and keeps `raw_input`, and a path stores it inside a copy of
 * `raw_input`. Takes ownership of `result`.
 */
cJSON *sfn_result_path_apply(const cJSON *result_path_member,
                             const cJSON *raw_input, cJSON *result,
                             sfn_failure *failure);

/*
 * Compute the effective input of a state: InputPath, then Parameters.
 * A non-NULL `template_member` such as "ItemSelector" replaces Parameters.
 * `state` is the state's definition object.
 */
cJSON *sfn_state_effective_input(const cJSON *state,
                                 const char *template_member,
                                 const cJSON *raw_input, const cJSON *context,
                                 sfn_failure *failure);

/*
 * Compute the output of a state from its task result: ResultSelector,
 * ResultPath against `raw_input`, then OutputPath. Takes ownership of
 * `result`.
 */
cJSON *sfn_state_output(const cJSON *state, const cJSON *raw_input,
                        cJSON *result, const cJSON *context,
                        sfn_failure *failure);

/*
 * Run the whole data flow of a Pass state. Its Result, or the effective
 * input when Result is absent, is the task result, which then goes through
 * ResultPath and OutputPath. ResultSelector does not apply to Pass.
 */
cJSON *sfn_pass_state_output(const cJSON *state, const cJSON *raw_input,
                             const cJSON *context, sfn_failure *failure);

#endif
