/*
 * ddb_value.c: DynamoDB attribute values. It implements the checks DynamoDB
 * applies to every value in a request and exact decimal numbers (canonical
 * text, compare, add and subtract with GMP). It also provides deep equality,
 * the item size DynamoDB charges against the 400 KB limit, and the
 * order-preserving key encoding.
 *
 * Error texts are DynamoDB's, as its ValidationException messages read.
 * Request members of the wrong JSON type inside a value ({"S": 5}) are
 * SerializationException, as DynamoDB's JSON decoder reports them.
 */
#include "ddb_value.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <gmp.h>

/* Significant digits DynamoDB keeps in a number. */
#define DDB_MAX_DIGITS 38
/* Exponent range of the leading digit: 1E-130 to 9.99...E+125. */
#define DDB_MAX_EXPONENT 125
#define DDB_MIN_EXPONENT (-130)
/* Exponents beyond this are clamped while parsing, because they fail anyway. */
#define DDB_EXPONENT_CLAMP 1000000L

/*
 * A parsed decimal: value = (negative ? -1 : 1) * 0.d1 d2 ... dn * 10^exp.
 * `digits` contains the significant digits without leading or trailing zeros;
 * zero has no digits.
 */
typedef struct ddb_decimal {
    int negative;
    char *digits;
    size_t ndigits;
    long exp;
} ddb_decimal;

static const char *const ddb_type_names[] = {
    [DDB_S] = "S",       [DDB_N] = "N",       [DDB_B] = "B",
    [DDB_BOOL] = "BOOL", [DDB_NULL] = "NULL", [DDB_M] = "M",
    [DDB_L] = "L",       [DDB_SS] = "SS",     [DDB_NS] = "NS",
    [DDB_BS] = "BS",     [DDB_INVALID] = "",
};

static ddb_type ddb_type_from_name(const char *name)
{
    for (int t = 0; t < DDB_INVALID; t++)
        if (strcmp(ddb_type_names[t], name) == 0)
            return (ddb_type)t;
    return DDB_INVALID;
}

/* ---- numbers ---------------------------------------------------------- */

static int ddb_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/*
 * Parse the decimal syntax DynamoDB accepts (an optional sign, digits with
 * an optional point, an optional exponent). Returns 0, or -1 when `in` is
 * not a number. On success `d->digits` is a new string the caller frees.
 */
static int ddb_decimal_parse(const char *in, ddb_decimal *d)
{
    const char *p = in;
    memset(d, 0, sizeof *d);

    if (*p == '+' || *p == '-') {
        d->negative = *p == '-';
        p++;
    }

    size_t cap = strlen(p) + 1;
    char *buf = xmalloc(cap);
    size_t n = 0;
    long point = 0;
    int seen_digit = 0;
    while (ddb_is_digit(*p)) {
        buf[n++] = *p++;
        point++;
        seen_digit = 1;
    }
    if (*p == '.') {
        p++;
        while (ddb_is_digit(*p)) {
            buf[n++] = *p++;
            seen_digit = 1;
        }
    }
    if (!seen_digit) {
        free(buf);
        return -1;
    }

    long exponent = 0;
    if (*p == 'e' || *p == 'E') {
        p++;
        int exp_negative = 0;
        if (*p == '+' || *p == '-') {
            exp_negative = *p == '-';
            p++;
        }
        if (!ddb_is_digit(*p)) {
            free(buf);
            return -1;
        }
        while (ddb_is_digit(*p)) {
            if (exponent < DDB_EXPONENT_CLAMP)
                exponent = exponent * 10 + (*p - '0');
            p++;
        }
        if (exp_negative)
            exponent = -exponent;
    }
    if (*p != '\0') {
        free(buf);
        return -1;
    }

    /* Leading zeros move the point left; trailing zeros do not count. */
    size_t start = 0;
    while (start < n && buf[start] == '0') {
        start++;
        point--;
    }
    size_t end = n;
    while (end > start && buf[end - 1] == '0')
        end--;

    d->ndigits = end - start;
    memmove(buf, buf + start, d->ndigits);
    buf[d->ndigits] = '\0';
    d->digits = buf;
    if (d->ndigits == 0) {
        d->negative = 0;
        d->exp = 0;
    } else {
        d->exp = point + exponent;
    }
    return 0;
}

/* Check DynamoDB's range and precision limits on a parsed decimal. */
static int ddb_decimal_check(const ddb_decimal *d, aws_error *err)
{
    if (d->ndigits == 0)
        return 0;
    if (d->exp - 1 > DDB_MAX_EXPONENT)
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "Number overflow. Attempting to store a number with "
                        "magnitude larger than supported range");
    if (d->exp - 1 < DDB_MIN_EXPONENT)
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "Number underflow. Attempting to store a number with "
                        "magnitude smaller than supported range");
    if (d->ndigits > DDB_MAX_DIGITS)
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "Attempting to store more than 38 significant digits "
                        "in a Number");
    return 0;
}

/* Render a checked decimal in plain notation ("-0.005", "1200", "3.25"). */
static int ddb_decimal_render(const ddb_decimal *d, char *out, size_t outsize,
                              aws_error *err)
{
    strbuf b;
    strbuf_init(&b);
    if (d->ndigits == 0) {
        strbuf_puts(&b, "0");
    } else {
        if (d->negative)
            strbuf_puts(&b, "-");
        if (d->exp <= 0) {
            strbuf_puts(&b, "0.");
            for (long i = 0; i < -d->exp; i++)
                strbuf_puts(&b, "0");
            strbuf_append(&b, d->digits, d->ndigits);
        } else if ((size_t)d->exp >= d->ndigits) {
            strbuf_append(&b, d->digits, d->ndigits);
            for (size_t i = d->ndigits; i < (size_t)d->exp; i++)
                strbuf_puts(&b, "0");
        } else {
            strbuf_append(&b, d->digits, (size_t)d->exp);
            strbuf_puts(&b, ".");
            strbuf_append(&b, d->digits + d->exp, d->ndigits - (size_t)d->exp);
        }
    }

    int rc = 0;
    if (b.len >= outsize)
        rc = aws_fail(err, AWS_ERR_INTERNAL_SERVER_ERROR,
                      "number buffer of %zu bytes is too small", outsize);
    else
        memcpy(out, b.data, b.len + 1);
    strbuf_free(&b);
    return rc;
}

static int ddb_number_malformed(const char *in, aws_error *err)
{
    if (*in == '\0')
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "The parameter cannot be converted to a numeric value");
    return aws_fail(err, AWS_ERR_VALIDATION,
                    "The parameter cannot be converted to a numeric value: %s",
                    in);
}

int ddb_number_canonical(const char *in, char *out, size_t outsize,
                         aws_error *err)
{
    ddb_decimal d;
    if (ddb_decimal_parse(in, &d) < 0)
        return ddb_number_malformed(in, err);

    int rc = ddb_decimal_check(&d, err);
    if (rc == 0)
        rc = ddb_decimal_render(&d, out, outsize, err);
    free(d.digits);
    return rc;
}

/* Compare magnitudes of two non-zero decimals. */
static int ddb_decimal_cmp_abs(const ddb_decimal *a, const ddb_decimal *b)
{
    if (a->exp != b->exp)
        return a->exp < b->exp ? -1 : 1;
    size_t n = a->ndigits < b->ndigits ? a->ndigits : b->ndigits;
    int c = memcmp(a->digits, b->digits, n);
    if (c != 0)
        return c < 0 ? -1 : 1;
    if (a->ndigits == b->ndigits)
        return 0;
    return a->ndigits < b->ndigits ? -1 : 1;
}

static int ddb_decimal_sign(const ddb_decimal *d)
{
    if (d->ndigits == 0)
        return 0;
    return d->negative ? -1 : 1;
}

int ddb_number_cmp(const char *a, const char *b)
{
    ddb_decimal da, db;
    if (ddb_decimal_parse(a, &da) < 0)
        return strcmp(a, b);
    if (ddb_decimal_parse(b, &db) < 0) {
        free(da.digits);
        return strcmp(a, b);
    }

    int sa = ddb_decimal_sign(&da), sb = ddb_decimal_sign(&db);
    int c;
    if (sa != sb)
        c = sa < sb ? -1 : 1;
    else if (sa == 0)
        c = 0;
    else
        c = sa * ddb_decimal_cmp_abs(&da, &db);

    free(da.digits);
    free(db.digits);
    return c;
}

/* Set `z` to the decimal's digits as an integer times 10^(scale shift). */
static void ddb_decimal_to_mpz(const ddb_decimal *d, long shift, mpz_t z)
{
    if (d->ndigits == 0) {
        mpz_set_ui(z, 0);
        return;
    }
    mpz_set_str(z, d->digits, 10);
    if (shift > 0) {
        mpz_t p;
        mpz_init(p);
        mpz_ui_pow_ui(p, 10, (unsigned long)shift);
        mpz_mul(z, z, p);
        mpz_clear(p);
    }
    if (d->negative)
        mpz_neg(z, z);
}

int ddb_number_add(const char *a, const char *b, int subtract, char *out,
                   size_t outsize, aws_error *err)
{
    ddb_decimal da, db;
    if (ddb_decimal_parse(a, &da) < 0)
        return ddb_number_malformed(a, err);
    if (ddb_decimal_parse(b, &db) < 0) {
        free(da.digits);
        return ddb_number_malformed(b, err);
    }

    /* value = digits * 10^(exp - ndigits); align both on the finer scale. */
    long scale_a = da.ndigits ? da.exp - (long)da.ndigits : LONG_MAX;
    long scale_b = db.ndigits ? db.exp - (long)db.ndigits : LONG_MAX;
    long scale = scale_a < scale_b ? scale_a : scale_b;
    if (scale == LONG_MAX)
        scale = 0;

    mpz_t za, zb;
    mpz_inits(za, zb, NULL);
    ddb_decimal_to_mpz(&da, da.ndigits ? scale_a - scale : 0, za);
    ddb_decimal_to_mpz(&db, db.ndigits ? scale_b - scale : 0, zb);
    if (subtract)
        mpz_sub(za, za, zb);
    else
        mpz_add(za, za, zb);

    ddb_decimal r = {0};
    r.negative = mpz_sgn(za) < 0;
    mpz_abs(za, za);
    r.digits = mpz_get_str(NULL, 10, za);
    size_t n = strlen(r.digits);
    if (mpz_sgn(za) == 0) {
        r.ndigits = 0;
        r.negative = 0;
    } else {
        r.exp = (long)n + scale;
        while (n > 0 && r.digits[n - 1] == '0')
            n--;
        r.ndigits = n;
    }
    mpz_clears(za, zb, NULL);

    /*
     * NOTE: DynamoDB's result for a sum that needs more than 38 digits is
     * not documented. Stratus rejects it with the message for storing a
     * number of that precision.
     */
    int rc = ddb_decimal_check(&r, err);
    if (rc == 0)
        rc = ddb_decimal_render(&r, out, outsize, err);

    void (*gmp_free)(void *, size_t);
    mp_get_memory_functions(NULL, NULL, &gmp_free);
    gmp_free(r.digits, strlen(r.digits) + 1);
    free(da.digits);
    free(db.digits);
    return rc;
}

/* ---- base64 ----------------------------------------------------------- */

static int ddb_base64_index(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

unsigned char *ddb_base64_decode(const char *in, size_t *len)
{
    size_t n = strlen(in);
    if (n % 4 != 0)
        return NULL;

    size_t pad = 0;
    if (n > 0 && in[n - 1] == '=')
        pad++;
    if (n > 1 && in[n - 2] == '=')
        pad++;

    unsigned char *out = xmalloc(n / 4 * 3 + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i += 4) {
        int v[4];
        for (int k = 0; k < 4; k++) {
            char c = in[i + k];
            int last_group = i + 4 == n;
            if (c == '=' && last_group && k >= 4 - (int)pad) {
                v[k] = 0;
                continue;
            }
            v[k] = ddb_base64_index(c);
            if (v[k] < 0) {
                free(out);
                return NULL;
            }
        }
        unsigned long triple = ((unsigned long)v[0] << 18) |
                               ((unsigned long)v[1] << 12) |
                               ((unsigned long)v[2] << 6) | (unsigned long)v[3];
        out[o++] = (unsigned char)(triple >> 16);
        if (!(i + 4 == n && pad == 2))
            out[o++] = (unsigned char)(triple >> 8);
        if (!(i + 4 == n && pad >= 1))
            out[o++] = (unsigned char)triple;

        /* Bits below the last encoded byte must be zero (canonical form). */
        if (i + 4 == n &&
            ((pad == 1 && (v[2] & 0x3)) || (pad == 2 && (v[1] & 0xf)))) {
            free(out);
            return NULL;
        }
    }
    *len = o;
    return out;
}

/* Decoded length of base64 text already known to be valid. */
static size_t ddb_base64_len(const char *in)
{
    size_t n = strlen(in);
    size_t pad = 0;
    if (n > 0 && in[n - 1] == '=')
        pad++;
    if (n > 1 && in[n - 2] == '=')
        pad++;
    return n / 4 * 3 - pad;
}

/* ---- validation ------------------------------------------------------- */

ddb_type ddb_value_type(const cJSON *av)
{
    if (!cJSON_IsObject(av) || !av->child || av->child->next)
        return DDB_INVALID;
    return ddb_type_from_name(av->child->string);
}

const char *ddb_type_name(ddb_type t)
{
    if (t < 0 || t > DDB_INVALID)
        return "";
    return ddb_type_names[t];
}

cJSON *ddb_value_payload(const cJSON *av)
{
    return cJSON_IsObject(av) ? av->child : NULL;
}

/* SerializationException for a payload of the wrong JSON type. */
static int ddb_shape_error(const cJSON *payload, const char *expected,
                           aws_error *err)
{
    const char *found = "STRING_VALUE";
    if (cJSON_IsObject(payload))
        return aws_fail(err, AWS_ERR_SERIALIZATION,
                        "Start of structure or map found where not expected");
    if (cJSON_IsArray(payload))
        return aws_fail(err, AWS_ERR_SERIALIZATION,
                        "Start of list found where not expected");
    if (cJSON_IsNumber(payload))
        found = "NUMBER_VALUE";
    else if (cJSON_IsTrue(payload))
        found = "TRUE_VALUE";
    else if (cJSON_IsFalse(payload))
        found = "FALSE_VALUE";
    return aws_fail(err, AWS_ERR_SERIALIZATION, "%s cannot be converted to %s",
                    found, expected);
}

static int ddb_binary_check(const cJSON *payload, aws_error *err)
{
    if (!cJSON_IsString(payload))
        return ddb_shape_error(payload, "Blob", err);

    size_t n = strlen(payload->valuestring);
    if (n % 4 != 0)
        return aws_fail(err, AWS_ERR_SERIALIZATION,
                        "Base64 encoded length is expected a multiple of 4 "
                        "bytes but found: %zu",
                        n);
    size_t len;
    unsigned char *bytes = ddb_base64_decode(payload->valuestring, &len);
    if (!bytes)
        return aws_fail(err, AWS_ERR_SERIALIZATION,
                        "Invalid last non-pad Base64 character dectected");
    free(bytes);
    return 0;
}

static int ddb_string_cmp_ptr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Return 1 when two members of the string array are equal. */
static int ddb_strings_have_duplicate(const cJSON *arr)
{
    int n = cJSON_GetArraySize(arr);
    if (n < 2)
        return 0;
    const char **v = xmalloc(sizeof *v * (size_t)n);
    int i = 0;
    for (const cJSON *e = arr->child; e; e = e->next)
        v[i++] = e->valuestring;
    qsort(v, (size_t)n, sizeof *v, ddb_string_cmp_ptr);
    int dup = 0;
    for (i = 1; i < n && !dup; i++)
        dup = strcmp(v[i - 1], v[i]) == 0;
    free(v);
    return dup;
}

/* "[a, b]" as DynamoDB prints a set in its duplicate messages. */
static void ddb_set_render(const cJSON *arr, strbuf *out)
{
    strbuf_puts(out, "[");
    for (const cJSON *e = arr->child; e; e = e->next) {
        strbuf_puts(out, e->valuestring);
        if (e->next)
            strbuf_puts(out, ", ");
    }
    strbuf_puts(out, "]");
}

static int ddb_set_check(cJSON *payload, ddb_type t, aws_error *err)
{
    if (!cJSON_IsArray(payload))
        return ddb_shape_error(payload, "List", err);

    if (!payload->child) {
        if (t == DDB_SS)
            return aws_fail(err, AWS_ERR_VALIDATION,
                            "One or more parameter values were invalid: An "
                            "string set  may not be empty");
        if (t == DDB_NS)
            return aws_fail(err, AWS_ERR_VALIDATION,
                            "One or more parameter values were invalid: An "
                            "number set  may not be empty");
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "One or more parameter values were invalid: Binary "
                        "sets should not be empty");
    }

    for (cJSON *e = payload->child; e; e = e->next) {
        if (!cJSON_IsString(e))
            return ddb_shape_error(e, t == DDB_BS ? "Blob" : "String", err);
        if (t == DDB_NS) {
            char canon[DDB_NUMBER_SIZE];
            if (ddb_number_canonical(e->valuestring, canon, sizeof canon, err) <
                0)
                return -1;
            cJSON_SetValuestring(e, canon);
        } else if (t == DDB_BS && ddb_binary_check(e, err) < 0) {
            return -1;
        }
    }

    if (!ddb_strings_have_duplicate(payload))
        return 0;
    if (t == DDB_NS)
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "Input collection contains duplicates");

    strbuf b;
    strbuf_init(&b);
    ddb_set_render(payload, &b);
    aws_fail(err, AWS_ERR_VALIDATION,
             "One or more parameter values were invalid: Input collection "
             "%s%s contains duplicates.",
             b.data, t == DDB_BS ? "of type BS" : "");
    strbuf_free(&b);
    return -1;
}

static int ddb_value_check(cJSON *av, int depth, aws_error *err);

static int ddb_member_check(cJSON *payload, ddb_type t, int depth,
                            aws_error *err)
{
    switch (t) {
    case DDB_S:
        return cJSON_IsString(payload)
                   ? 0
                   : ddb_shape_error(payload, "String", err);
    case DDB_N: {
        if (!cJSON_IsString(payload))
            return ddb_shape_error(payload, "String", err);
        char canon[DDB_NUMBER_SIZE];
        if (ddb_number_canonical(payload->valuestring, canon, sizeof canon,
                                 err) < 0)
            return -1;
        cJSON_SetValuestring(payload, canon);
        return 0;
    }
    case DDB_B:
        return ddb_binary_check(payload, err);
    case DDB_BOOL:
        return cJSON_IsBool(payload) ? 0
                                     : ddb_shape_error(payload, "Boolean", err);
    case DDB_NULL:
        if (!cJSON_IsBool(payload))
            return ddb_shape_error(payload, "Boolean", err);
        if (!cJSON_IsTrue(payload))
            return aws_fail(err, AWS_ERR_VALIDATION,
                            "One or more parameter values were invalid: Null "
                            "attribute value types must have the value of "
                            "true");
        return 0;
    case DDB_SS:
    case DDB_NS:
    case DDB_BS:
        return ddb_set_check(payload, t, err);
    case DDB_M:
    case DDB_L:
        if (t == DDB_M ? !cJSON_IsObject(payload) : !cJSON_IsArray(payload))
            return ddb_shape_error(payload, t == DDB_M ? "Map" : "List", err);
        if (depth >= DDB_MAX_NESTING)
            return aws_fail(err, AWS_ERR_VALIDATION,
                            "Nesting Levels have exceeded supported limits: "
                            "Attributes in the item have nested levels beyond "
                            "supported limit");
        for (cJSON *e = payload->child; e; e = e->next)
            if (ddb_value_check(e, depth + 1, err) < 0)
                return -1;
        return 0;
    case DDB_INVALID:
        break;
    }
    return 0;
}

/*
 * Check one attribute value. `depth` counts the maps and lists around it,
 * so the recursion is bounded by DDB_MAX_NESTING.
 */
static int ddb_value_check(cJSON *av, int depth, aws_error *err)
{
    if (!cJSON_IsObject(av))
        return ddb_shape_error(av, "AttributeValue", err);

    /* Members set to JSON null count as absent, as in the AWS decoders. */
    int types = 0;
    for (cJSON *m = av->child; m; m = m->next) {
        ddb_type t = ddb_type_from_name(m->string);
        if (t == DDB_INVALID || cJSON_IsNull(m))
            continue;
        types++;
        if (ddb_member_check(m, t, depth, err) < 0)
            return -1;
    }

    if (types == 0)
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "Supplied AttributeValue is empty, must contain "
                        "exactly one of the supported datatypes");
    if (types > 1)
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "Supplied AttributeValue has more than one datatypes "
                        "set, must contain exactly one of the supported "
                        "datatypes");

    /* Drop ignored members, so later code gets a one-member object. */
    cJSON *m = av->child;
    while (m) {
        cJSON *next = m->next;
        if (ddb_type_from_name(m->string) == DDB_INVALID || cJSON_IsNull(m))
            cJSON_Delete(cJSON_DetachItemViaPointer(av, m));
        m = next;
    }
    return 0;
}

int ddb_value_validate(cJSON *av, aws_error *err)
{
    return ddb_value_check(av, 0, err);
}

int ddb_item_validate(cJSON *item, aws_error *err)
{
    if (!cJSON_IsObject(item))
        return ddb_shape_error(item, "Map", err);
    for (cJSON *a = item->child; a; a = a->next)
        if (ddb_value_check(a, 0, err) < 0)
            return -1;
    return 0;
}

/* ---- equality and order ----------------------------------------------- */

static int ddb_number_cmp_ptr(const void *a, const void *b)
{
    return ddb_number_cmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sets are equal when they hold the same members in any order. */
static int ddb_set_equal(const cJSON *a, const cJSON *b, int numeric)
{
    int n = cJSON_GetArraySize(a);
    if (n != cJSON_GetArraySize(b))
        return 0;
    if (n == 0)
        return 1;

    const char **va = xmalloc(sizeof *va * (size_t)n);
    const char **vb = xmalloc(sizeof *vb * (size_t)n);
    int i = 0;
    for (const cJSON *e = a->child; e; e = e->next)
        va[i++] = cJSON_IsString(e) ? e->valuestring : "";
    i = 0;
    for (const cJSON *e = b->child; e; e = e->next)
        vb[i++] = cJSON_IsString(e) ? e->valuestring : "";

    int (*cmp)(const void *, const void *) =
        numeric ? ddb_number_cmp_ptr : ddb_string_cmp_ptr;
    qsort(va, (size_t)n, sizeof *va, cmp);
    qsort(vb, (size_t)n, sizeof *vb, cmp);
    int equal = 1;
    for (i = 0; i < n && equal; i++)
        equal = cmp(&va[i], &vb[i]) == 0;
    free(va);
    free(vb);
    return equal;
}

int ddb_value_equal(const cJSON *a, const cJSON *b)
{
    ddb_type ta = ddb_value_type(a);
    if (ta == DDB_INVALID || ta != ddb_value_type(b))
        return 0;
    const cJSON *pa = a->child, *pb = b->child;

    switch (ta) {
    case DDB_S:
    case DDB_B:
        return cJSON_IsString(pa) && cJSON_IsString(pb) &&
               strcmp(pa->valuestring, pb->valuestring) == 0;
    case DDB_N:
        return cJSON_IsString(pa) && cJSON_IsString(pb) &&
               ddb_number_cmp(pa->valuestring, pb->valuestring) == 0;
    case DDB_BOOL:
    case DDB_NULL:
        return cJSON_IsTrue(pa) == cJSON_IsTrue(pb);
    case DDB_SS:
    case DDB_BS:
        return ddb_set_equal(pa, pb, 0);
    case DDB_NS:
        return ddb_set_equal(pa, pb, 1);
    case DDB_L: {
        const cJSON *x = pa->child, *y = pb->child;
        for (; x && y; x = x->next, y = y->next)
            if (!ddb_value_equal(x, y))
                return 0;
        return !x && !y;
    }
    case DDB_M: {
        if (cJSON_GetArraySize(pa) != cJSON_GetArraySize(pb))
            return 0;
        for (const cJSON *x = pa->child; x; x = x->next) {
            const cJSON *y = cJSON_GetObjectItemCaseSensitive(pb, x->string);
            if (!y || !ddb_value_equal(x, y))
                return 0;
        }
        return 1;
    }
    case DDB_INVALID:
        break;
    }
    return 0;
}

static int ddb_bytes_cmp(const unsigned char *a, size_t na,
                         const unsigned char *b, size_t nb)
{
    int c = memcmp(a, b, na < nb ? na : nb);
    if (c != 0)
        return c < 0 ? -1 : 1;
    if (na == nb)
        return 0;
    return na < nb ? -1 : 1;
}

int ddb_value_compare(const cJSON *a, const cJSON *b, int *cmp)
{
    ddb_type t = ddb_value_type(a);
    if (t != ddb_value_type(b) || (t != DDB_S && t != DDB_N && t != DDB_B))
        return -1;
    const char *sa = a->child->valuestring, *sb = b->child->valuestring;
    if (!sa || !sb)
        return -1;

    if (t == DDB_N) {
        *cmp = ddb_number_cmp(sa, sb);
        return 0;
    }
    if (t == DDB_S) {
        *cmp = ddb_bytes_cmp((const unsigned char *)sa, strlen(sa),
                             (const unsigned char *)sb, strlen(sb));
        return 0;
    }

    size_t na, nb;
    unsigned char *ba = ddb_base64_decode(sa, &na);
    unsigned char *bb = ddb_base64_decode(sb, &nb);
    int rc = 0;
    if (ba && bb)
        *cmp = ddb_bytes_cmp(ba, na, bb, nb);
    else
        rc = -1;
    free(ba);
    free(bb);
    return rc;
}

/* ---- item size -------------------------------------------------------- */

/*
 * Bytes of a number: one per two significant digits plus one, with the
 * adjustments for digit parity, exponent parity and sign that DynamoDB's
 * consumed-capacity figures show (the formula dynalite's tests check).
 */
static size_t ddb_number_size(const char *text)
{
    ddb_decimal d;
    if (ddb_decimal_parse(text, &d) < 0)
        return strlen(text);
    size_t size = 1;
    if (d.ndigits > 0) {
        long lead = d.exp - 1;
        size = 1 + (d.ndigits + 1) / 2;
        if (d.ndigits % 2 == 0 && lead % 2 == 0)
            size++;
        if (d.negative)
            size++;
    }
    free(d.digits);
    return size;
}

static size_t ddb_value_size(const cJSON *av)
{
    const cJSON *p = ddb_value_payload(av);
    size_t size = 0;
    switch (ddb_value_type(av)) {
    case DDB_S:
        return cJSON_IsString(p) ? strlen(p->valuestring) : 0;
    case DDB_N:
        return cJSON_IsString(p) ? ddb_number_size(p->valuestring) : 0;
    case DDB_B:
        return cJSON_IsString(p) ? ddb_base64_len(p->valuestring) : 0;
    case DDB_BOOL:
    case DDB_NULL:
        return 1;
    case DDB_SS:
    case DDB_NS:
    case DDB_BS:
        for (const cJSON *e = p->child; e; e = e->next) {
            if (!cJSON_IsString(e))
                continue;
            if (av->child->string[0] == 'N')
                size += ddb_number_size(e->valuestring);
            else if (av->child->string[0] == 'B')
                size += ddb_base64_len(e->valuestring);
            else
                size += strlen(e->valuestring);
        }
        return size;
    case DDB_L:
        size = 3;
        for (const cJSON *e = p->child; e; e = e->next)
            size += 1 + ddb_value_size(e);
        return size;
    case DDB_M:
        size = 3;
        for (const cJSON *e = p->child; e; e = e->next)
            size += 1 + strlen(e->string) + ddb_value_size(e);
        return size;
    case DDB_INVALID:
        break;
    }
    return 0;
}

size_t ddb_item_size(const cJSON *item)
{
    size_t size = 0;
    for (const cJSON *a = item ? item->child : NULL; a; a = a->next)
        size += strlen(a->string) + ddb_value_size(a);
    return size;
}

/* ---- key encoding ----------------------------------------------------- */

/*
 * Bytes are escaped (0x00 -> 0x00 0xFF) and end with 0x00 0x01, so an
 * encoding is never a prefix of another and concatenated encodings (hash
 * key then sort key) still compare part by part.
 */
static void ddb_key_encode_bytes(const unsigned char *p, size_t n, strbuf *out)
{
    static const char escaped_zero[2] = {0x00, (char)0xFF};
    static const char terminator[2] = {0x00, 0x01};
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] != 0)
            continue;
        strbuf_append(out, (const char *)p + run, i - run);
        strbuf_append(out, escaped_zero, 2);
        run = i + 1;
    }
    strbuf_append(out, (const char *)p + run, n - run);
    strbuf_append(out, terminator, 2);
}

/*
 * Numbers: a class byte (0x01 negative, 0x02 zero, 0x03 positive), the
 * exponent as two big-endian bytes offset by 0x8000, then the digits and a
 * terminator below every digit. Negative numbers complement the exponent
 * and digit bytes and use a terminator above them, so larger magnitudes
 * sort first.
 */
static void ddb_key_encode_number(const char *text, strbuf *out)
{
    ddb_decimal d;
    if (ddb_decimal_parse(text, &d) < 0) {
        strbuf_append(out, "\x02", 1);
        return;
    }
    if (d.ndigits == 0) {
        strbuf_append(out, "\x02", 1);
        free(d.digits);
        return;
    }

    unsigned int e = (unsigned int)(d.exp + 0x8000) & 0xFFFF;
    unsigned char head[3] = {d.negative ? 0x01 : 0x03, (unsigned char)(e >> 8),
                             (unsigned char)e};
    if (d.negative) {
        head[1] = (unsigned char)~head[1];
        head[2] = (unsigned char)~head[2];
    }
    strbuf_append(out, (const char *)head, 3);

    for (size_t i = 0; i < d.ndigits; i++) {
        unsigned char c = (unsigned char)(d.digits[i] - '0' + 1);
        if (d.negative)
            c = (unsigned char)(0xFF - c);
        strbuf_append(out, (const char *)&c, 1);
    }
    unsigned char end = d.negative ? 0xFF : 0x00;
    strbuf_append(out, (const char *)&end, 1);
    free(d.digits);
}

void ddb_key_encode(const cJSON *av, strbuf *out)
{
    const cJSON *p = ddb_value_payload(av);
    const char *text = cJSON_IsString(p) ? p->valuestring : "";

    switch (ddb_value_type(av)) {
    case DDB_N:
        ddb_key_encode_number(text, out);
        return;
    case DDB_B: {
        size_t n;
        unsigned char *bytes = ddb_base64_decode(text, &n);
        if (bytes) {
            ddb_key_encode_bytes(bytes, n, out);
            free(bytes);
        } else {
            ddb_key_encode_bytes((const unsigned char *)text, strlen(text),
                                 out);
        }
        return;
    }
    default:
        ddb_key_encode_bytes((const unsigned char *)text, strlen(text), out);
        return;
    }
}
