/*
 * test_sm_api.c: the Secrets Manager operations through the real
 * dispatcher: versions and staging labels, scheduled deletion, ARNs and
 * the error types and messages AWS returns.
 */
#include <string.h>

#include <criterion/criterion.h>

#include "sm.h"
#include "stratus.h"
#include "ts.h"

static stratus *srv;

static void setup(void)
{
    srv = ts_new();
}

static void teardown(void)
{
    ts_free(srv);
}

TestSuite(sm_api, .init = setup, .fini = teardown);

static cJSON *call(const char *op, const char *body, int *status)
{
    char target[96];
    snprintf(target, sizeof target, "secretsmanager.%s", op);
    return ts_call(srv, target, body, status);
}

static cJSON *ok(const char *op, const char *body)
{
    int status = 0;
    cJSON *out = call(op, body, &status);
    char *text = out ? cJSON_PrintUnformatted(out) : NULL;
    cr_assert_eq(status, 200, "%s %s: %s", op, body, text ? text : "");
    cJSON_free(text);
    return out;
}

/* Assert that a call fails with `type` and `message`. */
static void fails(const char *op, const char *body, const char *type,
                  const char *message)
{
    int status = 0;
    cJSON *out = call(op, body, &status);
    cr_assert_eq(status, 400, "%s %s", op, body);
    cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(out, "__type")),
                     type);
    if (message)
        cr_assert_str_eq(
            cJSON_GetStringValue(cJSON_GetObjectItem(out, "message")), message);
    cJSON_Delete(out);
}

static const char *str(const cJSON *obj, const char *name)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, name));
}

Test(sm_api, create_and_get)
{
    cJSON *created = ok("CreateSecret",
                        "{\"Name\":\"collectiq-hackathon/tcgplayer-api-keys\","
                        "\"SecretString\":\"{\\\"placeholder\\\":\\\"X\\\"}\","
                        "\"Description\":\"pricing key\"}");
    const char *arn = str(created, "ARN");
    const char *prefix = "arn:aws:secretsmanager:us-east-1:123456789012:secret:"
                         "collectiq-hackathon/tcgplayer-api-keys-";
    cr_assert(strncmp(arn, prefix, strlen(prefix)) == 0, "ARN %s", arn);
    cr_assert_eq(strlen(arn), strlen(prefix) + 6, "ARN suffix of %s", arn);
    cr_assert_not_null(str(created, "VersionId"));

    cJSON *value =
        ok("GetSecretValue",
           "{\"SecretId\":\"collectiq-hackathon/tcgplayer-api-keys\"}");
    cr_assert_str_eq(str(value, "SecretString"), "{\"placeholder\":\"X\"}");
    cr_assert_str_eq(str(value, "ARN"), arn);
    cr_assert_str_eq(str(value, "VersionId"), str(created, "VersionId"));
    cr_assert_str_eq(
        cJSON_GetArrayItem(cJSON_GetObjectItem(value, "VersionStages"), 0)
            ->valuestring,
        "AWSCURRENT");
    cr_assert(cJSON_IsNumber(cJSON_GetObjectItem(value, "CreatedDate")));
    cJSON_Delete(value);

    /* By full ARN and by ARN without the random suffix. */
    char body[1024];
    snprintf(body, sizeof body, "{\"SecretId\":\"%s\"}", arn);
    cJSON_Delete(ok("GetSecretValue", body));
    snprintf(body, sizeof body, "{\"SecretId\":\"%.*s\"}",
             (int)(strlen(arn) - 7), arn);
    cJSON_Delete(ok("GetSecretValue", body));
    cJSON_Delete(created);
}

Test(sm_api, missing_secret)
{
    fails("GetSecretValue", "{\"SecretId\":\"nope\"}",
          "ResourceNotFoundException",
          "Secrets Manager can't find the specified secret.");
    fails("DescribeSecret", "{\"SecretId\":\"nope\"}",
          "ResourceNotFoundException", NULL);
}

Test(sm_api, create_errors)
{
    cJSON_Delete(
        ok("CreateSecret", "{\"Name\":\"dup\",\"SecretString\":\"a\"}"));
    fails("CreateSecret", "{\"Name\":\"dup\",\"SecretString\":\"b\"}",
          "ResourceExistsException",
          "The operation failed because the secret dup already exists.");
    fails(
        "CreateSecret",
        "{\"Name\":\"both\",\"SecretString\":\"a\",\"SecretBinary\":\"YQ==\"}",
        "InvalidParameterException", NULL);
    fails("CreateSecret", "{\"Name\":\"bad name!\"}",
          "InvalidParameterException", NULL);
    fails("CreateSecret", "{\"Name\":\"tags\",\"Tags\":[{\"Value\":\"v\"}]}",
          "InvalidParameterException", NULL);
    fails("CreateSecret",
          "{\"Name\":\"token\",\"ClientRequestToken\":\"short\"}",
          "InvalidParameterException", NULL);
    fails("DescribeSecret", "{\"SecretId\":\"tags\"}",
          "ResourceNotFoundException", NULL);
}

Test(sm_api, put_value_rotates_stages)
{
    cJSON_Delete(
        ok("CreateSecret", "{\"Name\":\"s\",\"SecretString\":\"v1\"}"));
    cJSON *put =
        ok("PutSecretValue",
           "{\"SecretId\":\"s\",\"SecretString\":\"v2\","
           "\"ClientRequestToken\":\"token-0000000000000000000000000000002\"}");
    cr_assert_str_eq(str(put, "VersionId"),
                     "token-0000000000000000000000000000002");
    cJSON_Delete(put);

    /* A retry with the same token and value is idempotent. */
    cJSON_Delete(ok(
        "PutSecretValue",
        "{\"SecretId\":\"s\",\"SecretString\":\"v2\","
        "\"ClientRequestToken\":\"token-0000000000000000000000000000002\"}"));
    fails("PutSecretValue",
          "{\"SecretId\":\"s\",\"SecretString\":\"other\","
          "\"ClientRequestToken\":\"token-0000000000000000000000000000002\"}",
          "ResourceExistsException", NULL);

    cJSON *current = ok("GetSecretValue", "{\"SecretId\":\"s\"}");
    cr_assert_str_eq(str(current, "SecretString"), "v2");
    cJSON_Delete(current);
    cJSON *previous =
        ok("GetSecretValue",
           "{\"SecretId\":\"s\",\"VersionStage\":\"AWSPREVIOUS\"}");
    cr_assert_str_eq(str(previous, "SecretString"), "v1");
    cJSON_Delete(previous);
    fails("GetSecretValue", "{\"SecretId\":\"s\",\"VersionId\":\"nope\"}",
          "ResourceNotFoundException",
          "Secrets Manager can't find the specified secret value for "
          "VersionId: nope");

    cJSON *described = ok("DescribeSecret", "{\"SecretId\":\"s\"}");
    cJSON *stages = cJSON_GetObjectItem(described, "VersionIdsToStages");
    cr_assert_eq(cJSON_GetArraySize(stages), 2);
    cJSON_Delete(described);
}

Test(sm_api, delete_with_recovery)
{
    cJSON_Delete(ok("CreateSecret", "{\"Name\":\"d\",\"SecretString\":\"v\"}"));
    fails("DeleteSecret",
          "{\"SecretId\":\"d\",\"RecoveryWindowInDays\":7,"
          "\"ForceDeleteWithoutRecovery\":true}",
          "InvalidParameterException", NULL);
    fails("DeleteSecret", "{\"SecretId\":\"d\",\"RecoveryWindowInDays\":3}",
          "InvalidParameterException", NULL);
    cJSON *deleted =
        ok("DeleteSecret", "{\"SecretId\":\"d\",\"RecoveryWindowInDays\":7}");
    cr_assert(cJSON_IsNumber(cJSON_GetObjectItem(deleted, "DeletionDate")));
    cJSON_Delete(deleted);

    fails("GetSecretValue", "{\"SecretId\":\"d\"}", "InvalidRequestException",
          "You can't perform this operation on the secret because it was "
          "marked for deletion.");
    cJSON *listed = ok("ListSecrets", "{}");
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(listed, "SecretList")),
                 0);
    cJSON_Delete(listed);
    listed = ok("ListSecrets", "{\"IncludePlannedDeletion\":true}");
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(listed, "SecretList")),
                 1);
    cJSON_Delete(listed);

    cJSON_Delete(ok("RestoreSecret", "{\"SecretId\":\"d\"}"));
    cJSON_Delete(ok("GetSecretValue", "{\"SecretId\":\"d\"}"));

    /* After the recovery window the secret is gone. */
    cJSON_Delete(
        ok("DeleteSecret", "{\"SecretId\":\"d\",\"RecoveryWindowInDays\":7}"));
    clock_advance_to(&srv->clock,
                     clock_now_ms(&srv->clock) + 7LL * 86400000 + 1000);
    fails("GetSecretValue", "{\"SecretId\":\"d\"}", "ResourceNotFoundException",
          NULL);
    cJSON_Delete(ok("CreateSecret", "{\"Name\":\"d\"}"));
}

Test(sm_api, force_delete)
{
    cJSON_Delete(ok("CreateSecret", "{\"Name\":\"f\",\"SecretString\":\"v\"}"));
    cJSON_Delete(
        ok("DeleteSecret",
           "{\"SecretId\":\"f\",\"ForceDeleteWithoutRecovery\":true}"));
    fails("DescribeSecret", "{\"SecretId\":\"f\"}", "ResourceNotFoundException",
          NULL);
    cJSON_Delete(ok("CreateSecret", "{\"Name\":\"f\",\"SecretString\":\"v\"}"));
}

Test(sm_api, list_filters_and_pages)
{
    cJSON_Delete(
        ok("CreateSecret", "{\"Name\":\"app/a\",\"SecretString\":\"1\"}"));
    cJSON_Delete(ok("CreateSecret",
                    "{\"Name\":\"app/b\",\"SecretString\":\"2\","
                    "\"Tags\":[{\"Key\":\"team\",\"Value\":\"x\"}]}"));
    cJSON_Delete(
        ok("CreateSecret", "{\"Name\":\"other\",\"SecretString\":\"3\"}"));

    cJSON *page = ok("ListSecrets", "{\"MaxResults\":2}");
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(page, "SecretList")),
                 2);
    const char *token = str(page, "NextToken");
    cr_assert_not_null(token);
    char body[256];
    snprintf(body, sizeof body, "{\"MaxResults\":2,\"NextToken\":\"%s\"}",
             token);
    cJSON *rest = ok("ListSecrets", body);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(rest, "SecretList")),
                 1);
    cr_assert_null(cJSON_GetObjectItem(rest, "NextToken"));
    cJSON_Delete(rest);
    cJSON_Delete(page);

    cJSON *named =
        ok("ListSecrets",
           "{\"Filters\":[{\"Key\":\"name\",\"Values\":[\"app/\"]}]}");
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(named, "SecretList")),
                 2);
    cJSON_Delete(named);
    cJSON *tagged =
        ok("ListSecrets",
           "{\"Filters\":[{\"Key\":\"tag-key\",\"Values\":[\"team\"]}]}");
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(tagged, "SecretList")),
                 1);
    cJSON_Delete(tagged);
}

Test(sm_api, stack_secret)
{
    aws_error err;
    memset(&err, 0, sizeof err);
    cJSON *props =
        cJSON_Parse("{\"Name\":\"collectiq-hackathon/ebay-api-key\","
                    "\"SecretString\":\"{\\\"placeholder\\\":\\\"R\\\"}\","
                    "\"Description\":\"seeded\"}");
    cr_assert_eq(sm_stack_apply_secret(srv, "123456789012", "us-east-1",
                                       "EbayKey", props, &err),
                 0, "%s", err.message);
    cr_assert_eq(sm_stack_apply_secret(srv, "123456789012", "us-east-1",
                                       "EbayKey", props, &err),
                 0, "applying again keeps the secret: %s", err.message);
    stratus_turn_end(srv);
    cJSON_Delete(props);
    cJSON *value = ok("GetSecretValue",
                      "{\"SecretId\":\"collectiq-hackathon/ebay-api-key\"}");
    cr_assert_str_eq(str(value, "SecretString"), "{\"placeholder\":\"R\"}");
    cJSON_Delete(value);
}

Test(sm_api, random_password)
{
    cJSON *out = ok("GetRandomPassword", "{}");
    const char *password = str(out, "RandomPassword");
    cr_assert_eq(strlen(password), 32);
    cJSON_Delete(out);

    out = ok("GetRandomPassword",
             "{\"PasswordLength\":12,\"ExcludePunctuation\":true,"
             "\"ExcludeUppercase\":true,\"ExcludeCharacters\":\"abc\"}");
    password = str(out, "RandomPassword");
    cr_assert_eq(strlen(password), 12);
    int digit = 0, lower = 0;
    for (const char *p = password; *p; p++) {
        cr_assert((*p >= '0' && *p <= '9') || (*p >= 'd' && *p <= 'z'),
                  "unexpected character in %s", password);
        digit |= *p >= '0' && *p <= '9';
        lower |= *p >= 'd' && *p <= 'z';
    }
    cr_assert(digit && lower, "each included type appears in %s", password);
    cJSON_Delete(out);

    fails("GetRandomPassword", "{\"PasswordLength\":0}",
          "InvalidParameterException", NULL);
    fails("GetRandomPassword", "{\"PasswordLength\":2,\"IncludeSpace\":true}",
          "InvalidParameterException", NULL);
}

Test(sm_api, batch_get_secret_value)
{
    cJSON_Delete(
        ok("CreateSecret", "{\"Name\":\"b/one\",\"SecretString\":\"1\"}"));
    cJSON_Delete(
        ok("CreateSecret", "{\"Name\":\"b/two\",\"SecretString\":\"2\"}"));
    cJSON *out =
        ok("BatchGetSecretValue", "{\"SecretIdList\":[\"b/one\",\"missing\"]}");
    cJSON *values = cJSON_GetObjectItem(out, "SecretValues");
    cJSON *errors = cJSON_GetObjectItem(out, "Errors");
    cr_assert_eq(cJSON_GetArraySize(values), 1);
    cr_assert_str_eq(str(cJSON_GetArrayItem(values, 0), "SecretString"), "1");
    cr_assert_eq(cJSON_GetArraySize(errors), 1);
    cr_assert_str_eq(str(cJSON_GetArrayItem(errors, 0), "ErrorCode"),
                     "ResourceNotFoundException");
    cJSON_Delete(out);

    out = ok("BatchGetSecretValue",
             "{\"Filters\":[{\"Key\":\"name\",\"Values\":[\"b/\"]}]}");
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(out, "SecretValues")),
                 2);
    cJSON_Delete(out);
    fails("BatchGetSecretValue", "{}", "InvalidParameterException", NULL);
}

Test(sm_api, stack_generated_secret)
{
    aws_error err;
    memset(&err, 0, sizeof err);
    cJSON *props = cJSON_Parse(
        "{\"Name\":\"generated\",\"GenerateSecretString\":{"
        "\"SecretStringTemplate\":\"{\\\"username\\\":\\\"app\\\"}\","
        "\"GenerateStringKey\":\"password\",\"PasswordLength\":20,"
        "\"ExcludePunctuation\":true}}");
    cr_assert_not_null(props);
    cr_assert_eq(sm_stack_apply_secret(srv, "123456789012", "us-east-1",
                                       "Generated", props, &err),
                 0, "%s", err.message);
    stratus_turn_end(srv);
    cJSON_Delete(props);
    cJSON *value = ok("GetSecretValue", "{\"SecretId\":\"generated\"}");
    cJSON *doc = cJSON_Parse(str(value, "SecretString"));
    cr_assert_str_eq(str(doc, "username"), "app");
    cr_assert_eq(strlen(str(doc, "password")), 20);
    cJSON_Delete(doc);
    cJSON_Delete(value);
}
