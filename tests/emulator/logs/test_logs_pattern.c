/*
 * test_logs_pattern.c: the filter pattern parser and matcher, table-driven:
 * terms, quoted phrases, exclusions, optional terms and JSON patterns.
 */
#include <string.h>

#include <criterion/criterion.h>

#include "logs.h"

typedef struct pattern_case {
    const char *pattern;
    const char *message;
    int match;
} pattern_case;

static const pattern_case cases[] = {
    {"", "anything", 1},
    {"ERROR", "2026-01-01 ERROR boom", 1},
    {"ERROR", "error in lower case", 0},
    {"ERROR boom", "ERROR boom", 1},
    {"ERROR boom", "ERROR bang", 0},
    {"\"CardCreated event emitted\"", "CardCreated event emitted successfully",
     1},
    {"\"CardCreated event emitted\"", "CardCreated event was emitted", 0},
    {"CardCreated event emitted", "CardCreated event was emitted", 1},
    {"ERROR -timeout", "ERROR disk full", 1},
    {"ERROR -timeout", "ERROR timeout reached", 0},
    {"?ERROR ?WARN", "WARN low disk", 1},
    {"?ERROR ?WARN", "INFO fine", 0},
    {"\"Task timed out\"",
     "2026-01-01T00:00:00.000Z abc Task timed out after 3.00 seconds", 1},
    {"{ $.level = \"ERROR\" }", "{\"level\":\"ERROR\"}", 1},
    {"{ $.level = \"ERROR\" }", "{\"level\":\"INFO\"}", 0},
    {"{ $.level = \"ERROR\" }", "not json ERROR", 0},
    {"{ $.level = \"ERR*\" }", "{\"level\":\"ERROR\"}", 1},
    {"{ $.level != \"ERROR\" }", "{\"level\":\"INFO\"}", 1},
    {"{ $.ms > 100 }", "{\"ms\":150}", 1},
    {"{ $.ms > 100 }", "{\"ms\":100}", 0},
    {"{ $.ms >= 100 }", "{\"ms\":100}", 1},
    {"{ $.ms < 100 }", "{\"ms\":\"50\"}", 0},
    {"{ $.ms <= 100 && $.level = \"INFO\" }", "{\"ms\":5,\"level\":\"INFO\"}",
     1},
    {"{ $.ms > 100 || $.level = \"ERROR\" }", "{\"ms\":5,\"level\":\"ERROR\"}",
     1},
    {"{ ($.a = 1 || $.b = 2) && $.c = 3 }", "{\"a\":1,\"c\":3}", 1},
    {"{ ($.a = 1 || $.b = 2) && $.c = 3 }", "{\"a\":1,\"c\":4}", 0},
    {"{ $.user.id = \"u1\" }", "{\"user\":{\"id\":\"u1\"}}", 1},
    {"{ $.items[1] = 7 }", "{\"items\":[6,7]}", 1},
    {"{ $.ok IS TRUE }", "{\"ok\":true}", 1},
    {"{ $.ok IS FALSE }", "{\"ok\":true}", 0},
    {"{ $.gone NOT EXISTS }", "{\"here\":1}", 1},
    {"{ $.here EXISTS }", "{\"here\":1}", 1},
    {"{ $.v IS NULL }", "{\"v\":null}", 1},
    {"{ $.level = \"ERROR\" }",
     "2026-01-01T00:00:00.000Z\tabc\tERROR\t{\"level\":\"ERROR\"}", 1},
};

Test(logs_pattern, table)
{
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        aws_error err = {0};
        logs_pattern *p = logs_pattern_parse(cases[i].pattern, &err);
        cr_assert_not_null(p, "pattern %s: %s", cases[i].pattern, err.message);
        cr_assert_eq(logs_pattern_match(p, cases[i].message), cases[i].match,
                     "pattern %s on \"%s\"", cases[i].pattern,
                     cases[i].message);
        logs_pattern_free(p);
    }
}

Test(logs_pattern, invalid_patterns)
{
    static const char *const invalid[] = {
        "{ $.level = }",   "{ $.level = \"x\"", "{ level = 1 }",
        "{ $.a > \"x\" }", "\"unterminated",    "[ip, user]",
        "{ $.a = 1 } x",   "{ $.a IS MAYBE }",
    };
    for (size_t i = 0; i < sizeof invalid / sizeof *invalid; i++) {
        aws_error err = {0};
        logs_pattern *p = logs_pattern_parse(invalid[i], &err);
        cr_assert_null(p, "pattern %s parsed", invalid[i]);
        cr_assert_eq(err.code, AWS_ERR_LOGS_INVALID_PARAMETER, "pattern %s",
                     invalid[i]);
        aws_error_reset(&err);
    }
}

Test(logs_pattern, wildcards_are_linear)
{
    /* Many stars against a long non-matching value once took exponential
     * time. */
    char pattern[256] = "{ $.v = \"";
    for (int i = 0; i < 60; i++)
        strcat(pattern, "*a");
    strcat(pattern, "b\" }");
    char message[400] = "{\"v\":\"";
    for (int i = 0; i < 300; i++)
        strcat(message, "a");
    strcat(message, "\"}");
    aws_error err = {0};
    logs_pattern *p = logs_pattern_parse(pattern, &err);
    cr_assert_not_null(p, "%s", err.message);
    cr_assert_eq(logs_pattern_match(p, message), 0);
    logs_pattern_free(p);

    p = logs_pattern_parse("{ $.v = \"*a*c*\" }", &err);
    cr_assert_not_null(p);
    cr_assert_eq(logs_pattern_match(p, "{\"v\":\"xxaxxcxx\"}"), 1);
    cr_assert_eq(logs_pattern_match(p, "{\"v\":\"xxcxxaxx\"}"), 0);
    logs_pattern_free(p);
}
