/*
 * test_config.c: serve defaults, environment variables and flags.
 */
#include <stdlib.h>

#include <criterion/criterion.h>

#include "config.h"

Test(config, defaults_match_documentation)
{
    stratus_config c;
    config_defaults(&c);
    cr_assert_str_eq(c.host, "127.0.0.1");
    cr_assert_eq(c.port, 4566);
    cr_assert_eq(c.api_port, 4567);
    cr_assert_str_eq(c.data_dir, ".stratus");
    cr_assert_str_eq(c.stack_file, "pipeline/stack.yaml");
    cr_assert_eq(c.in_memory, 0);
}

Test(config, flags_override_environment)
{
    stratus_config c;
    char err[256];
    config_defaults(&c);
    setenv("STRATUS_PORT", "5000", 1);
    setenv("STRATUS_IN_MEMORY", "1", 1);
    cr_assert_eq(config_from_env(&c, err, sizeof err), 0, "%s", err);
    cr_assert_eq(c.port, 5000);
    cr_assert_eq(c.in_memory, 1);
    char *argv[] = {"--port", "6000", "--log-level=debug", "--redeploy"};
    cr_assert_eq(config_from_args(&c, 4, argv, err, sizeof err), 0, "%s", err);
    cr_assert_eq(c.port, 6000);
    cr_assert_str_eq(c.log_level, "debug");
    cr_assert_eq(c.redeploy, 1);
    unsetenv("STRATUS_PORT");
    unsetenv("STRATUS_IN_MEMORY");
}

Test(config, invalid_values_are_rejected)
{
    stratus_config c;
    char err[256];
    config_defaults(&c);
    char *bad_port[] = {"--port", "70000"};
    cr_assert_eq(config_from_args(&c, 2, bad_port, err, sizeof err), -1);
    char *bad_level[] = {"--log-level", "loud"};
    cr_assert_eq(config_from_args(&c, 2, bad_level, err, sizeof err), -1);
    char *unknown[] = {"--frobnicate", "1"};
    cr_assert_eq(config_from_args(&c, 2, unknown, err, sizeof err), -1);
    char *unknown_flag[] = {"--bogus"};
    cr_assert_eq(config_from_args(&c, 1, unknown_flag, err, sizeof err), -1);
    cr_assert(strstr(err, "unknown option --bogus") != NULL, "%s", err);
    char *missing[] = {"--port"};
    cr_assert_eq(config_from_args(&c, 1, missing, err, sizeof err), -1);
}

Test(config, api_port_can_be_off)
{
    stratus_config c;
    char err[256];
    config_defaults(&c);
    char *argv[] = {"--api-port", "off"};
    cr_assert_eq(config_from_args(&c, 2, argv, err, sizeof err), 0, "%s", err);
    cr_assert_eq(c.api_port, -1);
}

Test(config, iam_enforcement_setting)
{
    stratus_config c;
    char err[256];
    config_defaults(&c);
    cr_assert_eq(c.iam_enforce, 1, "enforcement is on by default");

    setenv("STRATUS_IAM", "off", 1);
    cr_assert_eq(config_from_env(&c, err, sizeof err), 0, "%s", err);
    unsetenv("STRATUS_IAM");
    cr_assert_eq(c.iam_enforce, 0);

    char *on[] = {"--iam", "on"};
    cr_assert_eq(config_from_args(&c, 2, on, err, sizeof err), 0, "%s", err);
    cr_assert_eq(c.iam_enforce, 1);

    char *bad[] = {"--iam=maybe"};
    cr_assert_eq(config_from_args(&c, 1, bad, err, sizeof err), -1);
    cr_assert(strstr(err, "expected on or off") != NULL, "%s", err);
}
