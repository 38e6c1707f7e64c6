/*
 * test_ddb_value.c: attribute value checks, canonical numbers, number
 * arithmetic, equality, item size and the order-preserving key encoding.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "ddb_value.h"

static cJSON *parse(const char *json)
{
    cJSON *v = cJSON_Parse(json);
    cr_assert_not_null(v, "test JSON does not parse: %s", json);
    return v;
}

/* Validate `json` as one attribute value and return the error message. */
static char *validate_message(const char *json)
{
    cJSON *v = parse(json);
    aws_error err = {0};
    int rc = ddb_value_validate(v, &err);
    cJSON_Delete(v);
    char *msg = strdup(rc < 0 ? err.message : "");
    aws_error_reset(&err);
    return msg;
}

static void expect_invalid(const char *json, const char *message)
{
    char *msg = validate_message(json);
    cr_expect_str_eq(msg, message, "value %s", json);
    free(msg);
}

static void expect_canonical(const char *in, const char *out)
{
    char buf[DDB_NUMBER_SIZE];
    aws_error err = {0};
    int rc = ddb_number_canonical(in, buf, sizeof buf, &err);
    cr_expect_eq(rc, 0, "%s rejected: %s", in, err.message);
    if (rc == 0)
        cr_expect_str_eq(buf, out, "canonical form of %s", in);
}

Test(ddb_value, canonical_numbers)
{
    expect_canonical("00100.50", "100.5");
    expect_canonical("-0", "0");
    expect_canonical("-0.000", "0");
    expect_canonical("1E+2", "100");
    expect_canonical("1e-2", "0.01");
    expect_canonical("+5", "5");
    expect_canonical(".5", "0.5");
    expect_canonical("5.", "5");
    expect_canonical("-12.3400e1", "-123.4");
    expect_canonical("0e999999999999", "0");
    expect_canonical("110111111111111110000000000000000000000",
                     "110111111111111110000000000000000000000");
    expect_canonical("9.9999999999999999999999999999999999999E+125",
                     "99999999999999999999999999999999999999"
                     "000000000000000000000000000000000000000000000000000000"
                     "0000000000000000000000000000000000");
    char smallest[DDB_NUMBER_SIZE] = "0.";
    memset(smallest + 2, '0', 129);
    strcpy(smallest + 131, "1");
    expect_canonical("1E-130", smallest);
}

Test(ddb_value, number_errors_use_aws_text)
{
    const char *digits =
        "Attempting to store more than 38 significant digits in a Number";
    const char *overflow = "Number overflow. Attempting to store a number "
                           "with magnitude larger than supported range";
    const char *underflow = "Number underflow. Attempting to store a number "
                            "with magnitude smaller than supported range";
    expect_invalid("{\"N\":\"123456789012345678901234567890123456789\"}",
                   digits);
    expect_invalid("{\"N\":\"-1.23456789012345678901234567890123456789\"}",
                   digits);
    expect_invalid("{\"N\":\"1.00000000000000000000000000000000000001\"}",
                   digits);
    expect_invalid("{\"N\":\"1e126\"}", overflow);
    expect_invalid("{\"N\":\"-1e126\"}", overflow);
    expect_invalid("{\"N\":\"1e-131\"}", underflow);
    expect_invalid("{\"N\":\"-1e-131\"}", underflow);
    expect_invalid("{\"N\":\"\"}",
                   "The parameter cannot be converted to a numeric value");
    expect_invalid("{\"N\":\"b\"}",
                   "The parameter cannot be converted to a numeric value: b");
    expect_invalid("{\"N\":\"1e\"}",
                   "The parameter cannot be converted to a numeric value: 1e");
    expect_invalid("{\"N\":\"0x10\"}",
                   "The parameter cannot be converted to a numeric value: "
                   "0x10");
}

Test(ddb_value, set_and_null_errors_use_aws_text)
{
    expect_invalid("{\"NULL\":false}",
                   "One or more parameter values were invalid: Null attribute "
                   "value types must have the value of true");
    expect_invalid("{\"SS\":[]}", "One or more parameter values were invalid: "
                                  "An string set  may not be empty");
    expect_invalid("{\"NS\":[]}", "One or more parameter values were invalid: "
                                  "An number set  may not be empty");
    expect_invalid("{\"BS\":[]}", "One or more parameter values were invalid: "
                                  "Binary sets should not be empty");
    expect_invalid("{\"SS\":[\"a\",\"a\"]}",
                   "One or more parameter values were invalid: Input "
                   "collection [a, a] contains duplicates.");
    expect_invalid("{\"BS\":[\"Yg==\",\"Yg==\"]}",
                   "One or more parameter values were invalid: Input "
                   "collection [Yg==, Yg==]of type BS contains duplicates.");
    expect_invalid("{\"NS\":[\"1\",\"1.0\"]}",
                   "Input collection contains duplicates");
    expect_invalid("{\"NS\":[\"1\",\"b\"]}",
                   "The parameter cannot be converted to a numeric value: b");
    expect_invalid("{}", "Supplied AttributeValue is empty, must contain "
                         "exactly one of the supported datatypes");
    expect_invalid("{\"S\":\"a\",\"N\":\"1\"}",
                   "Supplied AttributeValue has more than one datatypes set, "
                   "must contain exactly one of the supported datatypes");
    expect_invalid("{\"S\":\"a\",\"N\":\"b\"}",
                   "The parameter cannot be converted to a numeric value: b");
}

Test(ddb_value, binary_must_be_base64)
{
    char *msg = validate_message("{\"B\":\"abc\"}");
    cr_expect_str_eq(msg, "Base64 encoded length is expected a multiple of 4 "
                          "bytes but found: 3");
    free(msg);
    msg = validate_message("{\"B\":\"ab!=\"}");
    cr_expect_str_neq(msg, "");
    free(msg);
    msg = validate_message("{\"B\":\"YWJj\"}");
    cr_expect_str_eq(msg, "");
    free(msg);
}

Test(ddb_value, nesting_is_capped)
{
    strbuf b;
    strbuf_init(&b);
    for (int i = 0; i < 40; i++)
        strbuf_puts(&b, "{\"L\":[");
    strbuf_puts(&b, "{\"S\":\"x\"}");
    for (int i = 0; i < 40; i++)
        strbuf_puts(&b, "]}");
    char *msg = validate_message(b.data);
    cr_expect(strstr(msg, "Nesting Levels have exceeded supported limits"),
              "message: %s", msg);
    free(msg);
    strbuf_free(&b);
}

Test(ddb_value, validate_rewrites_numbers)
{
    cJSON *item = parse("{\"a\":{\"N\":\"010.10\"},\"b\":{\"M\":{\"c\":{\"NS\":"
                        "[\"1e1\",\"2\"]}}},\"d\":{\"S\":\"x\",\"X\":1}}");
    aws_error err = {0};
    cr_assert_eq(ddb_item_validate(item, &err), 0, "%s", err.message);
    char *text = cJSON_PrintUnformatted(item);
    cr_expect_str_eq(text, "{\"a\":{\"N\":\"10.1\"},\"b\":{\"M\":{\"c\":{"
                           "\"NS\":[\"10\",\"2\"]}}},\"d\":{\"S\":\"x\"}}");
    free(text);
    cJSON_Delete(item);
}

Test(ddb_value, number_compare_orders_by_value)
{
    cr_expect_lt(ddb_number_cmp("-10", "-9"), 0);
    cr_expect_lt(ddb_number_cmp("-0.5", "0"), 0);
    cr_expect_lt(ddb_number_cmp("0", "0.001"), 0);
    cr_expect_lt(ddb_number_cmp("9", "10"), 0);
    cr_expect_lt(ddb_number_cmp("1.5", "1.55"), 0);
    cr_expect_eq(ddb_number_cmp("100", "1E2"), 0);
    cr_expect_gt(ddb_number_cmp("1E100", "99999"), 0);
}

Test(ddb_value, number_add_is_exact)
{
    char out[DDB_NUMBER_SIZE];
    aws_error err = {0};
    cr_assert_eq(ddb_number_add("0.1", "0.2", 0, out, sizeof out, &err), 0);
    cr_expect_str_eq(out, "0.3");
    cr_assert_eq(ddb_number_add("5", "7.5", 1, out, sizeof out, &err), 0);
    cr_expect_str_eq(out, "-2.5");
    cr_assert_eq(ddb_number_add("12345678901234567890123456789012345678", "1",
                                0, out, sizeof out, &err),
                 0);
    cr_expect_str_eq(out, "12345678901234567890123456789012345679");
    cr_assert_eq(ddb_number_add("3", "3", 1, out, sizeof out, &err), 0);
    cr_expect_str_eq(out, "0");
    cr_expect_eq(ddb_number_add("9.9999999999999999999999999999999999999E+125",
                                "1E+125", 0, out, sizeof out, &err),
                 -1);
    cr_expect(strstr(err.message, "Number overflow"), "%s", err.message);
}

Test(ddb_value, equality_treats_sets_as_sets)
{
    cJSON *a = parse("{\"SS\":[\"x\",\"y\"]}");
    cJSON *b = parse("{\"SS\":[\"y\",\"x\"]}");
    cJSON *c = parse("{\"M\":{\"k\":{\"NS\":[\"1\",\"2\"]},\"l\":{\"L\":[{"
                     "\"BOOL\":true}]}}}");
    cJSON *d = parse("{\"M\":{\"l\":{\"L\":[{\"BOOL\":true}]},\"k\":{\"NS\":["
                     "\"2\",\"1\"]}}}");
    cJSON *e = parse("{\"L\":[{\"S\":\"x\"},{\"S\":\"y\"}]}");
    cJSON *f = parse("{\"L\":[{\"S\":\"y\"},{\"S\":\"x\"}]}");
    cr_expect(ddb_value_equal(a, b));
    cr_expect(ddb_value_equal(c, d));
    cr_expect_not(ddb_value_equal(e, f));
    cr_expect_not(ddb_value_equal(a, e));
    cJSON_Delete(a);
    cJSON_Delete(b);
    cJSON_Delete(c);
    cJSON_Delete(d);
    cJSON_Delete(e);
    cJSON_Delete(f);
}

Test(ddb_value, compare_rejects_mixed_types)
{
    cJSON *a = parse("{\"S\":\"1\"}");
    cJSON *b = parse("{\"N\":\"1\"}");
    cJSON *c = parse("{\"B\":\"AQ==\"}");
    cJSON *d = parse("{\"B\":\"Ag==\"}");
    int cmp;
    cr_expect_eq(ddb_value_compare(a, b, &cmp), -1);
    cr_assert_eq(ddb_value_compare(c, d, &cmp), 0);
    cr_expect_lt(cmp, 0);
    cJSON_Delete(a);
    cJSON_Delete(b);
    cJSON_Delete(c);
    cJSON_Delete(d);
}

Test(ddb_value, item_size_counts_names_and_values)
{
    cJSON *item = parse("{\"id\":{\"S\":\"abc\"},\"n\":{\"N\":\"12\"},"
                        "\"b\":{\"B\":\"YWJj\"},\"t\":{\"BOOL\":true},"
                        "\"l\":{\"L\":[{\"S\":\"ab\"}]},"
                        "\"m\":{\"M\":{\"k\":{\"NULL\":true}}}}");
    /* id 2+3, n 1+2, b 1+3, t 1+1, l 1+3+1+2, m 1+3+1+1+1 */
    cr_expect_eq(ddb_item_size(item), 5 + 3 + 4 + 2 + 7 + 7);
    cJSON_Delete(item);
}

/* Encode a value's key bytes; the caller frees the result. */
static strbuf encode(const char *json)
{
    cJSON *v = parse(json);
    strbuf b;
    strbuf_init(&b);
    ddb_key_encode(v, &b);
    cJSON_Delete(v);
    return b;
}

static int encoded_cmp(const char *x, const char *y)
{
    strbuf a = encode(x), b = encode(y);
    size_t n = a.len < b.len ? a.len : b.len;
    int c = memcmp(a.data, b.data, n);
    if (c == 0)
        c = (a.len > b.len) - (a.len < b.len);
    strbuf_free(&a);
    strbuf_free(&b);
    return c;
}

Test(ddb_value, key_encoding_sorts_numbers_by_value)
{
    static const char *const ordered[] = {
        "-1E+125", "-1000",   "-999.5", "-10",    "-9",   "-1",     "-0.5",
        "-0.05",   "-1E-130", "0",      "1E-130", "0.05", "0.5",    "1",
        "1.5",     "9",       "10",     "999.5",  "1000", "9E+125",
    };
    size_t n = sizeof ordered / sizeof *ordered;
    char x[64], y[64];
    for (size_t i = 0; i + 1 < n; i++) {
        snprintf(x, sizeof x, "{\"N\":\"%s\"}", ordered[i]);
        snprintf(y, sizeof y, "{\"N\":\"%s\"}", ordered[i + 1]);
        cr_expect_lt(encoded_cmp(x, y), 0, "%s sorts before %s", ordered[i],
                     ordered[i + 1]);
    }
    cr_expect_eq(encoded_cmp("{\"N\":\"100\"}", "{\"N\":\"1E2\"}"), 0);
}

Test(ddb_value, key_encoding_sorts_strings_and_binary)
{
    cr_expect_lt(encoded_cmp("{\"S\":\"a\"}", "{\"S\":\"ab\"}"), 0);
    cr_expect_lt(encoded_cmp("{\"S\":\"ab\"}", "{\"S\":\"b\"}"), 0);
    cr_expect_lt(encoded_cmp("{\"S\":\"\"}", "{\"S\":\"a\"}"), 0);
    cr_expect_lt(encoded_cmp("{\"B\":\"AA==\"}", "{\"B\":\"AAA=\"}"), 0);
    cr_expect_lt(encoded_cmp("{\"B\":\"AAA=\"}", "{\"B\":\"AQ==\"}"), 0);
}
