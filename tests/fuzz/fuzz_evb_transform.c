/*
 * fuzz_evb_transform.c: libFuzzer driver for EventBridge input
 * transformers: PutTargets validation of a client target object and
 * rendering of its InputTemplate and InputPath for a client event. The
 * input is a target object, a NUL byte, then an event.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "evb_transform.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    const char *split = memchr(text, '\0', size);
    size_t target_len = split ? (size_t)(split - text) : size;
    cJSON *target = cJSON_ParseWithLength(text, target_len);
    aws_error err = {0};

    if (!target) {
        return 0;
    }
    if (evb_target_input_validate(target, &err) != 0) {
        aws_error_reset(&err);
        cJSON_Delete(target);
        return 0;
    }

    cJSON *event = split
                       ? cJSON_ParseWithLength(split + 1, size - target_len - 1)
                       : cJSON_CreateObject();
    const cJSON *transformer =
        cJSON_GetObjectItemCaseSensitive(target, "InputTransformer");
    const cJSON *input_path =
        cJSON_GetObjectItemCaseSensitive(target, "InputPath");
    evb_transform_context context = {"arn:aws:events:us-east-1:1:rule/r", "r",
                                     NULL};

    if (event && cJSON_IsObject(transformer)) {
        size_t len;
        char *body =
            evb_input_transformer_render(transformer, event, &context, &len);
        evb_transform_output_is_deliverable(body, len);
        free(body);
    }
    if (event && cJSON_IsString(input_path)) {
        free(evb_input_path_render(input_path->valuestring, event, NULL));
    }
    cJSON_Delete(event);
    cJSON_Delete(target);
    return 0;
}
