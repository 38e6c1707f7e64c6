/*
 * ddb_util.c: request helpers of the DynamoDB service: member lookup, the
 * TableName and enum constraint messages AWS's request validator produces,
 * ExpressionAttributeValues validation, table loading by name or ARN, and
 * ConsumedCapacity.
 */
#include "ddb_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *ddb__str(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

cJSON *ddb__get(const cJSON *obj, const char *name)
{
    return cJSON_GetObjectItemCaseSensitive(obj, name);
}

int ddb__member(const cJSON *body, const char *member, ddb_member_kind kind,
                const cJSON **out, aws_error *err)
{
    static const char *const wanted[] = {"Integer", "Boolean", "String"};
    const cJSON *v = ddb__get(body, member);

    *out = NULL;
    if (!v || cJSON_IsNull(v))
        return 0;
    if ((kind == DDB_MEMBER_INTEGER && cJSON_IsNumber(v)) ||
        (kind == DDB_MEMBER_BOOLEAN && cJSON_IsBool(v)) ||
        (kind == DDB_MEMBER_STRING && cJSON_IsString(v))) {
        *out = v;
        return 0;
    }
    if (cJSON_IsObject(v))
        return aws_fail(err, AWS_ERR_SERIALIZATION,
                        "Start of structure or map found where not expected");
    if (cJSON_IsArray(v))
        return aws_fail(err, AWS_ERR_SERIALIZATION,
                        "Start of list found where not expected");
    const char *found = cJSON_IsNumber(v)  ? "NUMBER_VALUE"
                        : cJSON_IsTrue(v)  ? "TRUE_VALUE"
                        : cJSON_IsFalse(v) ? "FALSE_VALUE"
                                           : "STRING_VALUE";
    return aws_fail(err, AWS_ERR_SERIALIZATION, "%s cannot be converted to %s",
                    found, wanted[kind]);
}

static int ddb_table_name_chars_ok(const char *name)
{
    for (const char *p = name; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
            return 0;
    }
    return 1;
}

int ddb__table_name_check(const char *name, const char *member, int allow_arn,
                          aws_error *err)
{
    if (!name)
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "1 validation error detected: Value null at '%s' "
                        "failed to satisfy constraint: Member must not be "
                        "null",
                        member);
    if (allow_arn && strncmp(name, "arn:", 4) == 0)
        return 0;

    const char *problems[3];
    int n = 0;
    size_t len = strlen(name);
    if (!ddb_table_name_chars_ok(name))
        problems[n++] = "Member must satisfy regular expression pattern: "
                        "[a-zA-Z0-9_.-]+";
    if (len < 3)
        problems[n++] = "Member must have length greater than or equal to 3";
    if (len > 255)
        problems[n++] = "Member must have length less than or equal to 255";
    if (n == 0)
        return 0;

    strbuf b;
    strbuf_init(&b);
    strbuf_printf(&b, "%d validation error%s detected: ", n, n > 1 ? "s" : "");
    for (int i = 0; i < n; i++)
        strbuf_printf(&b,
                      "%sValue '%s' at '%s' failed to satisfy constraint: %s",
                      i ? "; " : "", name, member, problems[i]);
    aws_fail(err, AWS_ERR_VALIDATION, "%s", b.data);
    strbuf_free(&b);
    return -1;
}

int ddb__enum_check(const cJSON *body, const char *member,
                    const char *wire_name, const char *const *values,
                    aws_error *err)
{
    const cJSON *v = ddb__get(body, member);
    if (!v || cJSON_IsNull(v))
        return 0;
    if (cJSON_IsString(v)) {
        for (size_t i = 0; values[i]; i++)
            if (strcmp(values[i], v->valuestring) == 0)
                return 0;
    }

    strbuf b;
    strbuf_init(&b);
    for (size_t i = 0; values[i]; i++)
        strbuf_printf(&b, "%s%s", i ? ", " : "", values[i]);
    aws_fail(err, AWS_ERR_VALIDATION,
             "1 validation error detected: Value '%s' at '%s' failed to "
             "satisfy constraint: Member must satisfy enum value set: [%s]",
             cJSON_IsString(v) ? v->valuestring : "?", wire_name, b.data);
    strbuf_free(&b);
    return -1;
}

int ddb__values_validate(cJSON *values, aws_error *err)
{
    if (!values)
        return 0;
    if (!cJSON_IsObject(values))
        return aws_fail(err, AWS_ERR_SERIALIZATION,
                        "Start of structure or map found where not expected");
    if (!values->child)
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "ExpressionAttributeValues must not be empty");

    cJSON *v;
    cJSON_ArrayForEach(v, values)
    {
        if (ddb_value_validate(v, err) != 0) {
            char inner[sizeof err->message];
            memcpy(inner, err->message, sizeof inner);
            return aws_fail(err, AWS_ERR_VALIDATION,
                            "ExpressionAttributeValues contains invalid "
                            "value: %s for key %s",
                            inner, v->string);
        }
    }
    return 0;
}

int ddb__legacy_check(const cJSON *body, const char *const *members,
                      aws_error *err)
{
    for (size_t i = 0; members[i]; i++) {
        if (ddb__get(body, members[i]))
            /*
             * NOTE: AWS still accepts the legacy parameters; Stratus
             * implements only the expression parameters that replace them.
             */
            return aws_fail(err, AWS_ERR_VALIDATION,
                            "The legacy parameter %s is not supported by "
                            "Stratus; use the expression parameters instead",
                            members[i]);
    }
    return 0;
}

/* Split "arn:aws:dynamodb:<region>:<account>:table/<name>" into its name. */
static const char *ddb_arn_table_name(const char *arn)
{
    const char *p = strstr(arn, ":table/");
    if (!p)
        return NULL;
    p += strlen(":table/");
    return *p ? p : NULL;
}

ddb_table *ddb__table_open(aws_request *req, const char *name, aws_error *err)
{
    const char *table_name = name;
    char *copy = NULL;
    if (strncmp(name, "arn:", 4) == 0) {
        table_name = ddb_arn_table_name(name);
        if (!table_name) {
            aws_fail(err, AWS_ERR_VALIDATION, "Invalid TableArn: %s", name);
            return NULL;
        }
        /* A table ARN's own segments stop at '/', e.g. ".../index/x". */
        const char *slash = strchr(table_name, '/');
        if (slash)
            table_name = copy =
                xstrndup(table_name, (size_t)(slash - table_name));
    }

    ddb_table *t =
        ddb__table_load(req->srv, req->account, req->region, table_name);
    free(copy);
    if (!t)
        aws_fail(err, AWS_ERR_RESOURCE_NOT_FOUND,
                 "Requested resource not found");
    return t;
}

const ddb_index *ddb__table_index(const ddb_table *t, const char *name)
{
    for (size_t i = 0; i < t->index_count; i++)
        if (strcmp(t->indexes[i].name, name) == 0)
            return &t->indexes[i];
    return NULL;
}

double ddb__read_units(size_t bytes, int consistent)
{
    double units = ceil((double)(bytes ? bytes : 1) / 4096.0);
    return consistent ? units : units / 2.0;
}

double ddb__write_units(size_t bytes)
{
    double units = ceil((double)bytes / 1024.0);
    return units < 1.0 ? 1.0 : units;
}

cJSON *ddb__consumed(const cJSON *body, const char *table, double units)
{
    const char *mode = ddb__str(body, "ReturnConsumedCapacity");
    if (!mode || strcmp(mode, "NONE") == 0)
        return NULL;

    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "TableName", table);
    cJSON_AddNumberToObject(c, "CapacityUnits", units);
    if (strcmp(mode, "INDEXES") == 0) {
        cJSON *tbl = cJSON_AddObjectToObject(c, "Table");
        cJSON_AddNumberToObject(tbl, "CapacityUnits", units);
    }
    return c;
}
