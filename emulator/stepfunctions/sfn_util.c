/*
 * sfn_util.c: small helpers of the Step Functions service: member access,
 * timestamps as the JSON protocols send them, ARN checks and page tokens.
 */
#include "sfn_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

const cJSON *sfn__get(const cJSON *obj, const char *name)
{
    return cJSON_GetObjectItemCaseSensitive(obj, name);
}

const char *sfn__str(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

void sfn__add_time(cJSON *obj, const char *name, int64_t ms)
{
    /* JSON 1.0 sends timestamps as epoch seconds with a fraction. */
    cJSON_AddNumberToObject(obj, name, (double)ms / 1000.0);
}

int sfn__arn_check(const char *arn, const char *kind, aws_error *err)
{
    static const char prefix[] = "arn:aws:states:";
    if (strncmp(arn, prefix, sizeof prefix - 1) != 0)
        return aws_fail(err, AWS_ERR_SFN_INVALID_ARN,
                        "Invalid Arn: 'Invalid ARN prefix: %s'", arn);

    /* arn:aws:states:REGION:ACCOUNT:KIND:NAME[:...] */
    const char *p = arn + sizeof prefix - 1;
    for (int field = 0; field < 2; field++) {
        p = strchr(p, ':');
        if (!p)
            break;
        p++;
    }
    size_t kind_len = strlen(kind);
    if (!p || strncmp(p, kind, kind_len) != 0 || p[kind_len] != ':' ||
        p[kind_len + 1] == '\0') {
        int type_len = 0;
        if (p) {
            const char *type_end = strchr(p, ':');
            type_len = type_end ? (int)(type_end - p) : (int)strlen(p);
        }
        return aws_fail(err, AWS_ERR_SFN_INVALID_ARN,
                        "Invalid Arn: 'Resource type not valid in this "
                        "context: %.*s'",
                        type_len, p ? p : "");
    }
    return 0;
}

char *sfn__page_token(int64_t offset)
{
    char buf[64];
    snprintf(buf, sizeof buf, "sfn-page-%lld", (long long)offset);
    return xstrdup(buf);
}

int64_t sfn__page_offset(const char *token)
{
    static const char prefix[] = "sfn-page-";
    if (strncmp(token, prefix, sizeof prefix - 1) != 0)
        return -1;
    char *end;
    long long v = strtoll(token + sizeof prefix - 1, &end, 10);
    return *end || v < 0 ? -1 : (int64_t)v;
}
