/*
 * evb_transform.h: what an EventBridge target receives: the InputTransformer
 * (InputPathsMap and InputTemplate), InputPath, and constant Input.
 *
 * Validation runs at PutTargets time and reports ValidationException in an
 * aws_error. Rendering runs per delivered event and never fails: a path that
 * does not resolve renders as an empty value, and values are inserted
 * without escaping, as AWS does, so the caller must ask
 * evb_transform_output_is_deliverable before sending the result.
 *
 * Left out: JSONPath filter expressions, recursive descent and slices,
 * which AWS does not support either.
 */
#ifndef STRATUS_EVB_TRANSFORM_H
#define STRATUS_EVB_TRANSFORM_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "aws.h"

/* The maximum number of variables in InputPathsMap. */
#define EVB_TRANSFORM_MAX_PATHS 100
/* Maximum length of an InputPathsMap key or JSONPath, and of InputPath. */
#define EVB_TRANSFORM_MAX_PATH_LEN 256
/* Maximum length of InputTemplate. */
#define EVB_TRANSFORM_MAX_TEMPLATE_LEN 8192

/* The rule and event facts the reserved template variables render. */
typedef struct evb_transform_context {
    const char *rule_arn;       /* <aws.events.rule-arn> */
    const char *rule_name;      /* <aws.events.rule-name> */
    const char *ingestion_time; /* ISO 8601; NULL uses the event's time */
} evb_transform_context;

/*
 * Validate the input members of one PutTargets target object (Id, Input,
 * InputPath, InputTransformer): at most one of the three, Input valid
 * JSON, InputPath a supported JSONPath, and the transformer as
 * evb_input_transformer_validate checks it. Returns 0, or -1 after filling
 * `err` with AWS_ERR_VALIDATION.
 */
int evb_target_input_validate(const cJSON *target, aws_error *err);

/*
 * Validate an InputTransformer object for the target `target_id`: the
 * InputPathsMap size, keys and JSONPaths, the InputTemplate length, and that
 * every placeholder in the template is a key of InputPathsMap or a reserved
 * variable. Returns 0, or -1 after filling `err` with AWS_ERR_VALIDATION.
 */
int evb_input_transformer_validate(const cJSON *transformer,
                                   const char *target_id, aws_error *err);

/*
 * Render the InputTransformer `transformer` (already validated) for `event`.
 * Returns the target body as a new NUL-terminated string the caller frees,
 * with its length in `*len` when `len` is not NULL.
 */
char *evb_input_transformer_render(const cJSON *transformer, const cJSON *event,
                                   const evb_transform_context *context,
                                   size_t *len);

/*
 * Return 1 when AWS delivers a transformed body: a body that starts, after
 * white space, with '{' or '[' must be valid JSON, and any other text is
 * delivered as it is. Return 0 when AWS drops it.
 */
int evb_transform_output_is_deliverable(const char *body, size_t len);

/*
 * Evaluate the JSONPath `path` on `root`. Returns a new tree the caller
 * frees, an array of the matches when the path has a wildcard, or NULL when
 * nothing matches or the path is not supported.
 */
cJSON *evb_json_path_get(const cJSON *root, const char *path);

/* Return 1 when `path` is a JSONPath EventBridge supports, else 0. */
int evb_json_path_is_valid(const char *path);

/*
 * Render the InputPath `path` for `event`: the selected value as JSON text
 * the caller frees, or NULL when the path selects nothing.
 */
char *evb_input_path_render(const char *path, const cJSON *event, size_t *len);

#endif
