/*
 * test_stack.c: YAML to JSON conversion of stack files.
 */
#include <string.h>

#include <criterion/criterion.h>

#include "stack.h"

static cJSON *parse(const char *yaml)
{
    char err[256];
    cJSON *j = stack_yaml_to_json(yaml, strlen(yaml), err, sizeof err);
    cr_assert_not_null(j, "%s", err);
    return j;
}

Test(stack, scalars_follow_core_schema)
{
    cJSON *j = parse("a: 5\nb: \"5\"\nc: true\nd: null\ne: text\nf: 1.5\n"
                     "g: 0x10\n");
    cr_assert(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(j, "a")));
    cr_assert(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(j, "b")));
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "c")));
    cr_assert(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(j, "d")));
    cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(j, "e")->valuestring,
                     "text");
    cr_assert_float_eq(cJSON_GetObjectItemCaseSensitive(j, "f")->valuedouble,
                       1.5, 1e-9);
    cr_assert(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(j, "g")));
    cJSON_Delete(j);
}

Test(stack, nested_maps_and_lists)
{
    cJSON *j = parse("Resources:\n"
                     "  T:\n"
                     "    Type: AWS::DynamoDB::Table\n"
                     "    Properties:\n"
                     "      KeySchema:\n"
                     "        - {AttributeName: PK, KeyType: HASH}\n"
                     "        - AttributeName: SK\n"
                     "          KeyType: RANGE\n");
    const cJSON *ks = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(
                cJSON_GetObjectItemCaseSensitive(j, "Resources"), "T"),
            "Properties"),
        "KeySchema");
    cr_assert_eq(cJSON_GetArraySize(ks), 2);
    cr_assert_str_eq(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(ks, 1), "KeyType")
            ->valuestring,
        "RANGE");
    cJSON_Delete(j);
}

Test(stack, invalid_yaml_reports_line)
{
    char err[256];
    const char *bad = "a: 1\nb: [1, 2\n";
    cJSON *j = stack_yaml_to_json(bad, strlen(bad), err, sizeof err);
    cr_assert_null(j);
    cr_assert(strstr(err, "line") != NULL, "%s", err);
}

Test(stack, aliases_are_rejected)
{
    char err[256];
    const char *y = "a: &x 1\nb: *x\n";
    cJSON *j = stack_yaml_to_json(y, strlen(y), err, sizeof err);
    cr_assert_null(j);
    cr_assert(strstr(err, "aliases") != NULL, "%s", err);
}
