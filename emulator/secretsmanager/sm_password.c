/*
 * sm_password.c: random passwords for GetRandomPassword and for the
 * GenerateSecretString property of the AWS::SecretsManager::Secret stack
 * type, drawn from getrandom(2) without modulo bias.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "sm.h"
#include "sm_internal.h"
#include "util.h"

/* The character classes, each with the member that excludes it (for the
 * space, the member that includes it). */
static const struct {
    const char *exclude_member;
    const char *chars;
} sm_classes[] = {
    {"ExcludeLowercase", "abcdefghijklmnopqrstuvwxyz"},
    {"ExcludeUppercase", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"},
    {"ExcludeNumbers", "0123456789"},
    {"ExcludePunctuation", "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"},
    {"IncludeSpace", " "},
};

/* A uniform random index below `n` (n <= 256). */
static size_t sm_random_index(size_t n)
{
    unsigned char r;
    unsigned limit = 256u - 256u % (unsigned)n;
    for (int tries = 0; tries < 1000; tries++) {
        if (getrandom(&r, 1, 0) != 1)
            break;
        if (r < limit)
            return r % n;
    }
    return (size_t)rand() % n; /* getrandom failed: still a valid index */
}

int sm__password_generate(const cJSON *options, char *out, size_t length,
                          aws_error *err)
{
    const char *exclude = sm__str(options, "ExcludeCharacters");
    const cJSON *require =
        cJSON_GetObjectItemCaseSensitive(options, "RequireEachIncludedType");
    int each = !cJSON_IsFalse(require);
    char pool[128];
    char classes[5][64];
    size_t pool_len = 0, class_count = 0;

    for (size_t c = 0; c < sizeof sm_classes / sizeof *sm_classes; c++) {
        int is_space = c == 4;
        const cJSON *flag = cJSON_GetObjectItemCaseSensitive(
            options, sm_classes[c].exclude_member);
        if (is_space ? !cJSON_IsTrue(flag) : cJSON_IsTrue(flag))
            continue;
        size_t n = 0;
        for (const char *p = sm_classes[c].chars; *p; p++) {
            if (exclude && strchr(exclude, *p))
                continue;
            classes[class_count][n++] = *p;
            pool[pool_len++] = *p;
        }
        classes[class_count][n] = '\0';
        if (n)
            class_count++;
    }
    if (pool_len == 0)
        return aws_fail(err, AWS_ERR_SM_INVALID_PARAMETER,
                        "Invalid parameter: every character is excluded, so "
                        "no password can be generated");
    if (each && length < class_count)
        return aws_fail(err, AWS_ERR_SM_INVALID_PARAMETER,
                        "Invalid parameter: PasswordLength %zu is too short "
                        "to include each of the %zu character types",
                        length, class_count);

    for (size_t i = 0; i < length; i++)
        out[i] = pool[sm_random_index(pool_len)];
    out[length] = '\0';
    if (each) {
        /* Put one character of each class at consecutive positions from a
         * random start; they are distinct because class_count <= length. */
        size_t start = sm_random_index(length > 256 ? 256 : length);
        for (size_t c = 0; c < class_count; c++)
            out[(start + c) % length] =
                classes[c][sm_random_index(strlen(classes[c]))];
    }
    return 0;
}

cJSON *sm_op_get_random_password(aws_request *req, aws_error *err)
{
    const cJSON *len =
        cJSON_GetObjectItemCaseSensitive(req->body, "PasswordLength");
    long length = cJSON_IsNumber(len) ? (long)len->valuedouble : 32;
    if (length < 1 || length > 4096) {
        aws_fail(err, AWS_ERR_SM_INVALID_PARAMETER,
                 "Invalid parameter: PasswordLength must be between 1 and "
                 "4096");
        return NULL;
    }
    char *password = xmalloc((size_t)length + 1);
    if (sm__password_generate(req->body, password, (size_t)length, err) != 0) {
        free(password);
        return NULL;
    }
    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "RandomPassword", password);
    free(password);
    return out;
}
