/*
 * lam_function.c: Lambda functions as stored, and the operations that
 * manage them: CreateFunction, GetFunction, GetFunctionConfiguration,
 * ListFunctions, UpdateFunctionConfiguration, UpdateFunctionCode and
 * DeleteFunction.
 *
 * A function is one row: its FunctionConfiguration as JSON, its code
 * directory and its tags. Only $LATEST exists: versions, aliases, layers,
 * container images and VPC settings are not modelled (see GAPS.md).
 */
#include "lam_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

static const char *const lam_schema_steps[] = {
    "CREATE TABLE lam_function (account TEXT NOT NULL, region TEXT NOT NULL,"
    " name TEXT NOT NULL, config TEXT NOT NULL, code_dir TEXT NOT NULL,"
    " tags TEXT NOT NULL DEFAULT '{}', PRIMARY KEY (account, region, name))",
    /* Event attempts that started and have not ended: rescheduled when
     * Stratus starts again after a crash. */
    "CREATE TABLE lam_event_running (request_id TEXT PRIMARY KEY,"
    " account TEXT NOT NULL, region TEXT NOT NULL, job TEXT NOT NULL)",
    /* The statements of the function's resource-based policy. */
    "ALTER TABLE lam_function ADD COLUMN policy TEXT NOT NULL DEFAULT '[]'",
    /* PutFunctionConcurrency's ReservedConcurrentExecutions, or NULL. */
    "ALTER TABLE lam_function ADD COLUMN reserved INTEGER",
};

/* Runtimes CreateFunction accepts, in the order of AWS's validation
 * message (recorded in LocalStack's AWS-validated snapshot
 * test_lambda_api.snapshot.json, November 2025). Stratus runs only
 * provided.al2023, provided.al2 and the nodejs ones. */
static const char *const lam_runtimes[] = {
    "nodejs20.x", "python3.14", "provided.al2023", "python3.12",   "python3.13",
    "nodejs24.x", "nodejs22.x", "java25",          "python3.10",   "python3.11",
    "java21",     "ruby3.3",    "ruby3.4",         "ruby3.2",      "python3.8",
    "python3.9",  "java17",     "nodejs16.x",      "dotnet10",     "dotnet8",
    "java11",     "dotnet6",    "nodejs18.x",      "provided.al2", "java8.al2",
};

/* Environment variables Lambda sets itself and rejects in a request
 * (AWS Lambda developer guide, "Defined runtime environment variables"). */
static const char *const lam_reserved_keys[] = {
    "_HANDLER",
    "_X_AMZN_TRACE_ID",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API",
    "LAMBDA_TASK_ROOT",
    "LAMBDA_RUNTIME_DIR",
};

/* AWS's limit on the serialized Environment.Variables object, in bytes. */
#define LAM_MAX_ENVIRONMENT 4096

int lam__store_init(stratus *srv, aws_error *err)
{
    char errbuf[512];
    if (store_migrate(srv->store, "lambda", lam_schema_steps,
                      sizeof lam_schema_steps / sizeof *lam_schema_steps,
                      errbuf, sizeof errbuf) != 0)
        return aws_fail(err, AWS_ERR_INTERNAL_SERVER_ERROR, "%s", errbuf);
    return 0;
}

void lam__function_arn(const char *region, const char *account,
                       const char *name, char *out, size_t size)
{
    snprintf(out, size, "arn:aws:lambda:%s:%s:function:%s", region, account,
             name);
}

static int lam_name_valid(const char *name)
{
    size_t len = strlen(name);
    if (len == 0 || len > 64)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!isalnum((unsigned char)name[i]) && name[i] != '-' &&
            name[i] != '_')
            return 0;
    return 1;
}

int lam__function_name(const char *input, const char *region,
                       const char *account, char *name, size_t size,
                       aws_error *err)
{
    const char *start = input;
    const char *marker = strstr(input, ":function:");

    if (marker) {
        /* arn:aws:lambda:REGION:ACCOUNT:function:NAME or ACCOUNT:function:NAME
         */
        if (strncmp(input, "arn:", 4) == 0) {
            char arn_region[64] = "";
            const char *p = input;
            for (int colons = 0; *p && colons < 3; p++)
                if (*p == ':')
                    colons++;
            const char *end = strchr(p, ':');
            if (end && (size_t)(end - p) < sizeof arn_region)
                snprintf(arn_region, sizeof arn_region, "%.*s", (int)(end - p),
                         p);
            if (strcmp(arn_region, region) != 0)
                return aws_fail(err, AWS_ERR_INVALID_PARAMETER_VALUE,
                                "Functions from '%s' are not reachable in "
                                "this region ('%s')",
                                arn_region, region);
        }
        start = marker + strlen(":function:");
    }
    size_t len = strcspn(start, ":");
    const char *qualifier = start[len] == ':' ? start + len + 1 : NULL;
    if (qualifier && strcmp(qualifier, "$LATEST") != 0) {
        char arn[256];
        lam__function_arn(region, account, input, arn, sizeof arn);
        aws_fail(err, AWS_ERR_RESOURCE_NOT_FOUND, "Function not found: %s",
                 marker ? input : arn);
        err->status = 404;
        return -1;
    }
    if (len == 0 || len >= size || len > 64) {
        aws_fail(err, AWS_ERR_VALIDATION,
                 "1 validation error detected: Value '%s' at 'functionName' "
                 "failed to satisfy constraint: Member must have length less "
                 "than or equal to 140",
                 input);
        return -1;
    }
    snprintf(name, size, "%.*s", (int)len, start);
    return 0;
}

void lam__function_free(lam_function *f)
{
    cJSON_Delete(f->config);
    free(f->code_dir);
    f->config = NULL;
    f->code_dir = NULL;
}

static int lam_not_found(const char *region, const char *account,
                         const char *name, aws_error *err)
{
    char arn[256];
    lam__function_arn(region, account, name, arn, sizeof arn);
    aws_fail(err, AWS_ERR_RESOURCE_NOT_FOUND, "Function not found: %s", arn);
    err->status = 404;
    return -1;
}

int lam__function_load(stratus *srv, const char *account, const char *region,
                       const char *name, lam_function *out, aws_error *err)
{
    sqlite3_stmt *s =
        store_stmt(srv->store, "SELECT config, code_dir, reserved FROM"
                               " lam_function WHERE account = ?1 AND"
                               " region = ?2 AND name = ?3");
    sqlite3_bind_text(s, 1, account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, region, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, name, -1, SQLITE_STATIC);
    memset(out, 0, sizeof *out);
    out->reserved = -1;
    if (sqlite3_step(s) == SQLITE_ROW) {
        out->config = cJSON_Parse((const char *)sqlite3_column_text(s, 0));
        out->code_dir = xstrdup((const char *)sqlite3_column_text(s, 1));
        if (sqlite3_column_type(s, 2) != SQLITE_NULL)
            out->reserved = sqlite3_column_int(s, 2);
    }
    sqlite3_reset(s);
    if (!out->config) {
        lam__function_free(out);
        return lam_not_found(region, account, name, err);
    }
    return 0;
}

static char *lam_load_tags(stratus *srv, const char *account,
                           const char *region, const char *name)
{
    sqlite3_stmt *s =
        store_stmt(srv->store, "SELECT tags FROM lam_function"
                               " WHERE account = ?1 AND region = ?2"
                               " AND name = ?3");
    sqlite3_bind_text(s, 1, account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, region, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, name, -1, SQLITE_STATIC);
    char *tags = NULL;
    if (sqlite3_step(s) == SQLITE_ROW)
        tags = xstrdup((const char *)sqlite3_column_text(s, 0));
    sqlite3_reset(s);
    return tags;
}

static int lam_save(stratus *srv, const char *account, const char *region,
                    const char *name, const cJSON *config, const char *code_dir,
                    const cJSON *tags, aws_error *err)
{
    char *config_text = cJSON_PrintUnformatted(config);
    char *tags_text = tags ? cJSON_PrintUnformatted(tags) : NULL;
    sqlite3_stmt *s = store_stmt(
        srv->store,
        "INSERT INTO lam_function (account, region, name, config, code_dir,"
        " tags) VALUES (?1, ?2, ?3, ?4, ?5, coalesce(?6, '{}'))"
        " ON CONFLICT (account, region, name) DO UPDATE SET"
        " config = excluded.config, code_dir = excluded.code_dir,"
        " tags = coalesce(?6, tags)");
    sqlite3_bind_text(s, 1, account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, region, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, config_text, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, code_dir, -1, SQLITE_STATIC);
    if (tags_text)
        sqlite3_bind_text(s, 6, tags_text, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    free(config_text);
    free(tags_text);
    if (rc != SQLITE_DONE)
        return aws_fail(err, AWS_ERR_INTERNAL_SERVER_ERROR,
                        "cannot store function %s: %s", name,
                        sqlite3_errmsg(store_db(srv->store)));
    return 0;
}

/* "2026-01-02T03:04:05.678+0000", the LastModified format of Lambda. */
static void lam_last_modified(stratus *srv, char out[40])
{
    char iso[32];
    clock_format_iso(clock_now_ms(&srv->clock), iso);
    size_t len = strlen(iso);
    if (len && iso[len - 1] == 'Z')
        iso[len - 1] = '\0';
    snprintf(out, 40, "%s+0000", iso);
}

static const cJSON *lam_get(const cJSON *obj, const char *name)
{
    return cJSON_GetObjectItemCaseSensitive(obj, name);
}

static void lam_set(cJSON *obj, const char *name, cJSON *value)
{
    if (lam_get(obj, name))
        cJSON_ReplaceItemInObjectCaseSensitive(obj, name, value);
    else
        cJSON_AddItemToObject(obj, name, value);
}

static int lam_check_string(const cJSON *request, const char *member,
                            aws_error *err)
{
    const cJSON *v = lam_get(request, member);
    if (v && !cJSON_IsString(v))
        return aws_fail(err, AWS_ERR_SERIALIZATION,
                        "Unexpected value type for %s: expected a string",
                        member);
    return 0;
}

static int lam_check_range(const cJSON *request, const char *member,
                           const char *wire_name, int min, int max,
                           aws_error *err)
{
    const cJSON *v = lam_get(request, member);
    if (!v)
        return 0;
    if (!cJSON_IsNumber(v))
        return aws_fail(err, AWS_ERR_SERIALIZATION,
                        "Unexpected value type for %s: expected a number",
                        member);
    if (v->valuedouble < min)
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "1 validation error detected: Value '%d' at '%s' "
                        "failed to satisfy constraint: Member must have value "
                        "greater than or equal to %d",
                        v->valueint, wire_name, min);
    if (v->valuedouble > max)
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "1 validation error detected: Value '%d' at '%s' "
                        "failed to satisfy constraint: Member must have value "
                        "less than or equal to %d",
                        v->valueint, wire_name, max);
    return 0;
}

static int lam_check_environment(const cJSON *request, aws_error *err)
{
    const cJSON *env = lam_get(request, "Environment");
    if (!env)
        return 0;
    const cJSON *vars = lam_get(env, "Variables");
    if (!cJSON_IsObject(env) || (vars && !cJSON_IsObject(vars)))
        return aws_fail(err, AWS_ERR_SERIALIZATION,
                        "Environment.Variables must be a map of strings");

    strbuf reserved;
    strbuf_init(&reserved);
    const cJSON *v;
    cJSON_ArrayForEach(v, vars)
    {
        if (!cJSON_IsString(v)) {
            strbuf_free(&reserved);
            return aws_fail(err, AWS_ERR_SERIALIZATION,
                            "Environment variable %s must be a string",
                            v->string);
        }
        for (size_t i = 0;
             i < sizeof lam_reserved_keys / sizeof *lam_reserved_keys; i++)
            if (strcmp(v->string, lam_reserved_keys[i]) == 0)
                strbuf_printf(&reserved, "%s%s", reserved.len ? ", " : "",
                              v->string);
    }
    if (reserved.len) {
        aws_fail(err, AWS_ERR_INVALID_PARAMETER_VALUE,
                 "Lambda was unable to configure your environment variables "
                 "because the environment variables you have provided "
                 "contains reserved keys that are currently not supported "
                 "for modification. Reserved keys used in this request: %s",
                 reserved.data);
        strbuf_free(&reserved);
        return -1;
    }
    strbuf_free(&reserved);

    char *text = vars ? cJSON_PrintUnformatted(vars) : NULL;
    int too_large = text && strlen(text) > LAM_MAX_ENVIRONMENT;
    if (too_large)
        aws_fail(err, AWS_ERR_INVALID_PARAMETER_VALUE,
                 "Lambda was unable to configure your environment variables "
                 "because the environment variables you have provided "
                 "exceeded the 4KB limit. String measured: %.900s",
                 text);
    free(text);
    return too_large ? -1 : 0;
}

static int lam_check_runtime(const cJSON *request, aws_error *err)
{
    const cJSON *runtime = lam_get(request, "Runtime");
    if (!runtime)
        return 0;
    for (size_t i = 0; i < sizeof lam_runtimes / sizeof *lam_runtimes; i++)
        if (strcmp(runtime->valuestring, lam_runtimes[i]) == 0)
            return 0;
    strbuf list;
    strbuf_init(&list);
    for (size_t i = 0; i < sizeof lam_runtimes / sizeof *lam_runtimes; i++)
        strbuf_printf(&list, "%s%s", i ? ", " : "", lam_runtimes[i]);
    aws_fail(err, AWS_ERR_INVALID_PARAMETER_VALUE,
             "Value %s at 'runtime' failed to satisfy constraint: Member "
             "must satisfy enum value set: [%s] or be a valid ARN",
             runtime->valuestring, list.data);
    strbuf_free(&list);
    return -1;
}

static int lam_check_role(const cJSON *request, aws_error *err)
{
    const cJSON *role = lam_get(request, "Role");
    if (!role)
        return 0;
    const char *r = role->valuestring;
    const char *p = strncmp(r, "arn:aws", 7) == 0 ? strchr(r + 4, ':') : NULL;
    int ok = p && strncmp(p, ":iam::", 6) == 0;
    if (ok) {
        p += 6;
        for (int i = 0; i < 12; i++)
            ok = ok && isdigit((unsigned char)p[i]);
        ok = ok && strncmp(p + 12, ":role/", 6) == 0 && p[18] != '\0';
    }
    if (!ok)
        return aws_fail(
            err, AWS_ERR_VALIDATION,
            "1 validation error detected: Value '%s' at 'role' failed to "
            "satisfy constraint: Member must satisfy regular expression "
            "pattern: arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?"
            "[a-zA-Z_0-9+=,.@\\-_/]+",
            r);
    return 0;
}

/* Checks shared by CreateFunction and UpdateFunctionConfiguration. */
static int lam_check_config(const cJSON *request, aws_error *err)
{
    static const char *const strings[] = {"Runtime", "Role", "Handler",
                                          "Description"};
    for (size_t i = 0; i < sizeof strings / sizeof *strings; i++)
        if (lam_check_string(request, strings[i], err) != 0)
            return -1;
    if (lam_check_range(request, "Timeout", "timeout", 1, 900, err) != 0 ||
        lam_check_range(request, "MemorySize", "memorySize", 128, 10240, err) !=
            0 ||
        lam_check_role(request, err) != 0 ||
        lam_check_runtime(request, err) != 0 ||
        lam_check_environment(request, err) != 0)
        return -1;
    return 0;
}

/* Copy the configuration members of a request over `config`. */
static void lam_apply_config(cJSON *config, const cJSON *request)
{
    static const char *const members[] = {
        "Runtime",       "Role",         "Handler",       "Description",
        "Timeout",       "MemorySize",   "TracingConfig", "EphemeralStorage",
        "Architectures", "LoggingConfig"};
    for (size_t i = 0; i < sizeof members / sizeof *members; i++) {
        const cJSON *v = lam_get(request, members[i]);
        if (v)
            lam_set(config, members[i], cJSON_Duplicate(v, 1));
    }
    const cJSON *env = lam_get(request, "Environment");
    if (env) {
        /* The new Environment replaces the whole previous one. */
        const cJSON *vars = lam_get(env, "Variables");
        cJSON *copy = cJSON_CreateObject();
        cJSON_AddItemToObject(copy, "Variables",
                              vars ? cJSON_Duplicate(vars, 1)
                                   : cJSON_CreateObject());
        lam_set(config, "Environment", copy);
    }
}

static cJSON *lam_new_config(stratus *srv, const char *account,
                             const char *region, const char *name)
{
    char arn[256], text[512], uuid[37];
    cJSON *c = cJSON_CreateObject();

    lam__function_arn(region, account, name, arn, sizeof arn);
    cJSON_AddStringToObject(c, "FunctionName", name);
    cJSON_AddStringToObject(c, "FunctionArn", arn);
    cJSON_AddStringToObject(c, "Description", "");
    cJSON_AddNumberToObject(c, "Timeout", 3);
    cJSON_AddNumberToObject(c, "MemorySize", 128);
    cJSON_AddStringToObject(c, "Version", "$LATEST");
    cJSON_AddStringToObject(c, "PackageType", "Zip");
    cJSON *arch = cJSON_AddArrayToObject(c, "Architectures");
    cJSON_AddItemToArray(arch, cJSON_CreateString("x86_64"));
    cJSON *storage = cJSON_AddObjectToObject(c, "EphemeralStorage");
    cJSON_AddNumberToObject(storage, "Size", 512);
    cJSON *tracing = cJSON_AddObjectToObject(c, "TracingConfig");
    cJSON_AddStringToObject(tracing, "Mode", "PassThrough");
    cJSON *logging = cJSON_AddObjectToObject(c, "LoggingConfig");
    cJSON_AddStringToObject(logging, "LogFormat", "Text");
    snprintf(text, sizeof text, "/aws/lambda/%s", name);
    cJSON_AddStringToObject(logging, "LogGroup", text);
    cJSON *snap = cJSON_AddObjectToObject(c, "SnapStart");
    cJSON_AddStringToObject(snap, "ApplyOn", "None");
    cJSON_AddStringToObject(snap, "OptimizationStatus", "Off");
    cJSON_AddStringToObject(c, "State", "Active");
    cJSON_AddStringToObject(c, "LastUpdateStatus", "Successful");
    util_uuid4(uuid);
    cJSON_AddStringToObject(c, "RevisionId", uuid);
    (void)srv;
    return c;
}

static void lam_touch(stratus *srv, cJSON *config)
{
    char modified[40], uuid[37];
    lam_last_modified(srv, modified);
    util_uuid4(uuid);
    lam_set(config, "LastModified", cJSON_CreateString(modified));
    lam_set(config, "RevisionId", cJSON_CreateString(uuid));
}

static int lam_apply_code(stratus *srv, cJSON *config, const cJSON *code,
                          char **code_dir, aws_error *err)
{
    char sha[64];
    int64_t size = 0;
    if (lam__code_resolve(lam__state(srv), code, code_dir, sha, &size, err) !=
        0)
        return -1;
    lam_set(config, "CodeSha256", cJSON_CreateString(sha));
    lam_set(config, "CodeSize", cJSON_CreateNumber((double)size));
    return 0;
}

int lam__function_put(stratus *srv, const char *account, const char *region,
                      const cJSON *request, int create, cJSON **out,
                      aws_error *err)
{
    const cJSON *name_item = lam_get(request, "FunctionName");
    char name[72];
    lam_function existing = {0};
    cJSON *config = NULL;
    char *code_dir = NULL;
    int rc = -1;

    *out = NULL;
    if (!cJSON_IsString(name_item))
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "1 validation error detected: Value null at "
                        "'functionName' failed to satisfy constraint: Member "
                        "must not be null");
    if (lam__function_name(name_item->valuestring, region, account, name,
                           sizeof name, err) != 0)
        return -1;
    if (create && !lam_name_valid(name))
        return aws_fail(
            err, AWS_ERR_VALIDATION,
            "1 validation error detected: Value '%s' at 'functionName' "
            "failed to satisfy constraint: Member must satisfy regular "
            "expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}"
            "(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?"
            "([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?",
            name_item->valuestring);
    if (create) {
        if (!lam_get(request, "Role"))
            return aws_fail(err, AWS_ERR_VALIDATION,
                            "1 validation error detected: Value null at "
                            "'role' failed to satisfy constraint: Member "
                            "must not be null");
        if (!cJSON_IsObject(lam_get(request, "Code")))
            return aws_fail(err, AWS_ERR_VALIDATION,
                            "1 validation error detected: Value null at "
                            "'code' failed to satisfy constraint: Member "
                            "must not be null");
        if (!lam_get(request, "Runtime"))
            return aws_fail(err, AWS_ERR_INVALID_PARAMETER_VALUE,
                            "Runtime is required for functions of package "
                            "type Zip");
    }
    if (lam_check_config(request, err) != 0)
        return -1;

    int exists =
        lam__function_load(srv, account, region, name, &existing, err) == 0;
    aws_error_reset(err);
    if (create && exists) {
        aws_fail(err, AWS_ERR_RESOURCE_CONFLICT, "Function already exist: %s",
                 name);
        goto done;
    }
    if (!create && !exists) {
        lam_not_found(region, account, name, err);
        goto done;
    }
    const cJSON *expected = lam_get(request, "RevisionId");
    const cJSON *current =
        exists ? lam_get(existing.config, "RevisionId") : NULL;
    if (!create && cJSON_IsString(expected) && cJSON_IsString(current) &&
        strcmp(expected->valuestring, current->valuestring) != 0) {
        aws_fail(err, AWS_ERR_PRECONDITION_FAILED,
                 "The Revision Id provided does not match the latest Revision "
                 "Id. Call the GetFunction/GetAlias API to retrieve the "
                 "latest Revision Id");
        goto done;
    }

    config = exists ? cJSON_Duplicate(existing.config, 1)
                    : lam_new_config(srv, account, region, name);
    lam_apply_config(config, request);
    const cJSON *code = lam_get(request, "Code");
    if (code) {
        if (lam_apply_code(srv, config, code, &code_dir, err) != 0)
            goto done;
    } else {
        code_dir = xstrdup(existing.code_dir);
    }
    lam_touch(srv, config);
    if (lam_save(srv, account, region, name, config, code_dir,
                 lam_get(request, "Tags"), err) != 0)
        goto done;
    if (exists)
        lam__env_retire(srv, account, region, name);

    *out = config;
    config = NULL;
    rc = 0;

done:
    cJSON_Delete(config);
    free(code_dir);
    lam__function_free(&existing);
    return rc;
}

cJSON *lam_op_create_function(aws_request *req, aws_error *err)
{
    cJSON *config = NULL;
    if (lam__function_put(req->srv, req->account, req->region, req->body, 1,
                          &config, err) != 0)
        return NULL;
    /* AWS responds before the function is ready; the stored state is
     * already Active, so `aws lambda wait function-active` ends at once. */
    lam_set(config, "State", cJSON_CreateString("Pending"));
    cJSON_AddStringToObject(config, "StateReason",
                            "The function is being created.");
    cJSON_AddStringToObject(config, "StateReasonCode", "Creating");
    cJSON_DeleteItemFromObjectCaseSensitive(config, "LastUpdateStatus");
    req->status = 201;
    return config;
}

static int lam_param_name(aws_request *req, char *name, size_t size,
                          aws_error *err)
{
    const cJSON *p = lam_get(req->params, "FunctionName");
    const cJSON *q = lam_get(req->params, "Qualifier");
    if (!cJSON_IsString(p))
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "The function name is missing from the path");
    if (q && cJSON_IsString(q) && strcmp(q->valuestring, "$LATEST") != 0) {
        char arn[256];
        lam__function_arn(req->region, req->account, p->valuestring, arn,
                          sizeof arn);
        aws_fail(err, AWS_ERR_RESOURCE_NOT_FOUND, "Function not found: %s:%s",
                 arn, q->valuestring);
        err->status = 404;
        return -1;
    }
    return lam__function_name(p->valuestring, req->region, req->account, name,
                              size, err);
}

cJSON *lam_op_get_function_configuration(aws_request *req, aws_error *err)
{
    char name[72];
    lam_function f;
    if (lam_param_name(req, name, sizeof name, err) != 0 ||
        lam__function_load(req->srv, req->account, req->region, name, &f,
                           err) != 0)
        return NULL;
    cJSON *out = f.config;
    f.config = NULL;
    lam__function_free(&f);
    return out;
}

cJSON *lam_op_get_function(aws_request *req, aws_error *err)
{
    char name[72];
    lam_function f;
    if (lam_param_name(req, name, sizeof name, err) != 0 ||
        lam__function_load(req->srv, req->account, req->region, name, &f,
                           err) != 0)
        return NULL;

    cJSON *out = cJSON_CreateObject();
    cJSON_AddItemToObject(out, "Configuration", f.config);
    f.config = NULL;
    cJSON *code = cJSON_AddObjectToObject(out, "Code");
    /* NOTE: AWS returns a presigned S3 URL; Stratus names the local code
     * directory, which no client downloads from. */
    cJSON_AddStringToObject(code, "RepositoryType", "S3");
    strbuf location;
    strbuf_init(&location);
    strbuf_printf(&location, "file://%s", f.code_dir);
    cJSON_AddStringToObject(code, "Location", location.data);
    strbuf_free(&location);

    char *tags = lam_load_tags(req->srv, req->account, req->region, name);
    cJSON *tag_tree = tags ? cJSON_Parse(tags) : NULL;
    if (tag_tree && cJSON_GetArraySize(tag_tree) > 0)
        cJSON_AddItemToObject(out, "Tags", tag_tree);
    else
        cJSON_Delete(tag_tree);
    free(tags);
    if (f.reserved >= 0) {
        cJSON *concurrency = cJSON_AddObjectToObject(out, "Concurrency");
        cJSON_AddNumberToObject(concurrency, "ReservedConcurrentExecutions",
                                f.reserved);
    }
    lam__function_free(&f);
    return out;
}

cJSON *lam_op_list_functions(aws_request *req, aws_error *err)
{
    const cJSON *max_item = lam_get(req->params, "MaxItems");
    const cJSON *marker = lam_get(req->params, "Marker");
    int max = 50;
    long offset = 0;

    if (cJSON_IsString(max_item)) {
        max = atoi(max_item->valuestring);
        if (max < 1 || max > 10000)
            return aws_fail(err, AWS_ERR_INVALID_PARAMETER_VALUE,
                            "MaxItems must be between 1 and 10000, not %s",
                            max_item->valuestring),
                   NULL;
    }
    if (cJSON_IsString(marker)) {
        char *end = NULL;
        offset = strtol(marker->valuestring, &end, 10);
        if (!end || *end || offset < 0)
            return aws_fail(err, AWS_ERR_INVALID_PARAMETER_VALUE,
                            "Invalid Marker %s: pass the NextMarker of a "
                            "previous ListFunctions response",
                            marker->valuestring),
                   NULL;
    }

    sqlite3_stmt *s =
        store_stmt(req->srv->store, "SELECT config FROM lam_function"
                                    " WHERE account = ?1 AND region = ?2"
                                    " ORDER BY name LIMIT ?3 OFFSET ?4");
    sqlite3_bind_text(s, 1, req->account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, req->region, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 3, max + 1);
    sqlite3_bind_int64(s, 4, offset);
    cJSON *out = cJSON_CreateObject();
    cJSON *list = cJSON_AddArrayToObject(out, "Functions");
    int n = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
        if (n == max) {
            char next[32];
            snprintf(next, sizeof next, "%ld", offset + max);
            cJSON_AddStringToObject(out, "NextMarker", next);
            break;
        }
        cJSON *config = cJSON_Parse((const char *)sqlite3_column_text(s, 0));
        if (config)
            cJSON_AddItemToArray(list, config);
        n++;
    }
    sqlite3_reset(s);
    return out;
}

/* Build a request tree naming the function of the path, over the body. */
static cJSON *lam_named_request(aws_request *req, char *name, size_t size,
                                aws_error *err)
{
    if (lam_param_name(req, name, size, err) != 0)
        return NULL;
    cJSON *request = cJSON_Duplicate(req->body, 1);
    cJSON_DeleteItemFromObjectCaseSensitive(request, "FunctionName");
    cJSON_AddStringToObject(request, "FunctionName", name);
    return request;
}

cJSON *lam_op_update_function_configuration(aws_request *req, aws_error *err)
{
    char name[72];
    cJSON *request = lam_named_request(req, name, sizeof name, err);
    if (!request)
        return NULL;
    cJSON_DeleteItemFromObjectCaseSensitive(request, "Code");
    cJSON *config = NULL;
    int rc = lam__function_put(req->srv, req->account, req->region, request, 0,
                               &config, err);
    cJSON_Delete(request);
    if (rc != 0)
        return NULL;
    /* The response reports the update in progress; readers see it done, so
     * `aws lambda wait function-updated` returns on its first poll. The
     * reason texts are those AWS returned for an update in LocalStack's
     * AWS-validated snapshot test_lambda_api.snapshot.json. */
    lam_set(config, "LastUpdateStatus", cJSON_CreateString("InProgress"));
    cJSON_AddStringToObject(config, "LastUpdateStatusReason",
                            "The function is being created.");
    cJSON_AddStringToObject(config, "LastUpdateStatusReasonCode", "Creating");
    return config;
}

cJSON *lam_op_update_function_code(aws_request *req, aws_error *err)
{
    char name[72];
    cJSON *request = lam_named_request(req, name, sizeof name, err);
    if (!request)
        return NULL;

    /* Only the code members count here; they form the Code object. */
    cJSON *only = cJSON_CreateObject();
    cJSON_AddStringToObject(only, "FunctionName", name);
    cJSON *code = cJSON_AddObjectToObject(only, "Code");
    static const char *const members[] = {"ZipFile", "Directory", "S3Bucket",
                                          "S3Key", "ImageUri"};
    const cJSON *revision = lam_get(request, "RevisionId");
    if (revision)
        cJSON_AddItemToObject(only, "RevisionId", cJSON_Duplicate(revision, 1));
    for (size_t i = 0; i < sizeof members / sizeof *members; i++) {
        const cJSON *v = lam_get(request, members[i]);
        if (v)
            cJSON_AddItemToObject(code, members[i], cJSON_Duplicate(v, 1));
    }
    cJSON_Delete(request);
    cJSON *config = NULL;
    int rc = lam__function_put(req->srv, req->account, req->region, only, 0,
                               &config, err);
    cJSON_Delete(only);
    if (rc != 0)
        return NULL;
    lam_set(config, "LastUpdateStatus", cJSON_CreateString("InProgress"));
    cJSON_AddStringToObject(config, "LastUpdateStatusReason",
                            "The function is being created.");
    cJSON_AddStringToObject(config, "LastUpdateStatusReasonCode", "Creating");
    return config;
}

cJSON *lam_op_delete_function(aws_request *req, aws_error *err)
{
    char name[72];
    lam_function f;
    if (lam_param_name(req, name, sizeof name, err) != 0 ||
        lam__function_load(req->srv, req->account, req->region, name, &f,
                           err) != 0)
        return NULL;
    lam__function_free(&f);

    sqlite3_stmt *s = store_stmt(req->srv->store,
                                 "DELETE FROM lam_function WHERE account = ?1"
                                 " AND region = ?2 AND name = ?3");
    sqlite3_bind_text(s, 1, req->account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, req->region, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, name, -1, SQLITE_STATIC);
    sqlite3_step(s);
    sqlite3_reset(s);
    lam__env_retire(req->srv, req->account, req->region, name);

    req->status = 204;
    req->raw_body = xstrdup("");
    req->raw_len = 0;
    return cJSON_CreateObject();
}
