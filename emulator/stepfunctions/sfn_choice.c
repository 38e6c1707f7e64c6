/*
 * sfn_choice.c: evaluation of Choice rules. The operator table at the end of
 * the file lists every data-test operator with the type it compares.
 */
#include "sfn_choice.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "sfn_path.h"
#include "util.h"

/* Rules come from the definition; this bounds And/Or/Not recursion. */
#define CHOICE_MAX_DEPTH 64

typedef enum value_type {
    TYPE_STRING,
    TYPE_NUMERIC,
    TYPE_BOOLEAN,
    TYPE_TIMESTAMP,
    TYPE_MATCHES, /* StringMatches */
    TYPE_TEST     /* Is* type tests */
} value_type;

typedef enum comparison {
    CMP_EQUALS,
    CMP_LESS,
    CMP_GREATER,
    CMP_LESS_EQUALS,
    CMP_GREATER_EQUALS,
    CMP_NONE
} comparison;

typedef struct operator_def {
    const char *name;
    value_type type;
    comparison cmp;
    bool path; /* the *Path variant */
} operator_def;

static const operator_def *find_operator(const cJSON *rule,
                                         const cJSON **operand);

/* Timestamps */

static bool read_digits(const char **s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*s)[i]))
            return false;
        v = v * 10 + ((*s)[i] - '0');
    }
    *s += n;
    *out = v;
    return true;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil). */
static long long days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    long long yoe = y - era * 400;
    long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

bool sfn_timestamp_parse(const char *text, long long *seconds, long *nanos)
{
    const char *s = text;
    int y, mo, d, h, mi, sec;
    if (!read_digits(&s, 4, &y) || *s++ != '-' || !read_digits(&s, 2, &mo) ||
        *s++ != '-' || !read_digits(&s, 2, &d) || *s++ != 'T' ||
        !read_digits(&s, 2, &h) || *s++ != ':' || !read_digits(&s, 2, &mi) ||
        *s++ != ':' || !read_digits(&s, 2, &sec))
        return false;
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 ||
        mi > 59 || sec > 59)
        return false;

    long frac = 0;
    if (*s == '.') {
        s++;
        int n = 0;
        while (isdigit((unsigned char)*s)) {
            if (n < 9) {
                frac = frac * 10 + (*s - '0');
                n++;
            }
            s++;
        }
        if (n == 0)
            return false;
        for (; n < 9; n++)
            frac *= 10;
    }

    int offset = 0;
    if (*s == 'Z') {
        s++;
    } else if (*s == '+' || *s == '-') {
        int sign = *s++ == '-' ? -1 : 1;
        int oh, om;
        if (!read_digits(&s, 2, &oh) || *s++ != ':' ||
            !read_digits(&s, 2, &om) || oh > 23 || om > 59)
            return false;
        offset = sign * (oh * 3600 + om * 60);
    } else {
        return false;
    }
    if (*s != '\0')
        return false;

    *seconds = days_from_civil(y, mo, d) * 86400LL + h * 3600LL + mi * 60LL +
               sec - offset;
    *nanos = frac;
    return true;
}

/* StringMatches */

/* Glob matching where only `*` is special; `\*` and `\\` are literals. */
static bool string_matches(const char *s, const char *pattern)
{
    const char *star_p = NULL, *star_s = NULL;
    const char *p = pattern;
    while (*s) {
        if (*p == '*') {
            star_p = ++p;
            star_s = s;
            continue;
        }
        const char *lit = p;
        if (*lit == '\\' && (lit[1] == '*' || lit[1] == '\\'))
            lit++;
        if (*lit && *lit == *s) {
            p = lit + 1;
            s++;
            continue;
        }
        if (!star_p)
            return false;
        p = star_p;
        s = ++star_s;
    }
    while (*p == '*')
        p++;
    return *p == '\0';
}

/* Data tests */

static int order_of(long long a, long long b)
{
    return a < b ? -1 : (a > b ? 1 : 0);
}

static bool apply_comparison(comparison cmp, int order)
{
    switch (cmp) {
    case CMP_EQUALS:
        return order == 0;
    case CMP_LESS:
        return order < 0;
    case CMP_GREATER:
        return order > 0;
    case CMP_LESS_EQUALS:
        return order <= 0;
    case CMP_GREATER_EQUALS:
        return order >= 0;
    case CMP_NONE:
        break;
    }
    return false;
}

/* Compare `variable` with `operand`; both must have the operator's type. */
static bool compare(const operator_def *op, const cJSON *variable,
                    const cJSON *operand)
{
    switch (op->type) {
    case TYPE_STRING:
        if (!cJSON_IsString(variable) || !cJSON_IsString(operand))
            return false;
        return apply_comparison(
            op->cmp, strcmp(variable->valuestring, operand->valuestring));
    case TYPE_NUMERIC: {
        if (!cJSON_IsNumber(variable) || !cJSON_IsNumber(operand))
            return false;
        double a = variable->valuedouble, b = operand->valuedouble;
        return apply_comparison(op->cmp, a < b ? -1 : (a > b ? 1 : 0));
    }
    case TYPE_BOOLEAN:
        return cJSON_IsBool(variable) && cJSON_IsBool(operand) &&
               cJSON_IsTrue(variable) == cJSON_IsTrue(operand);
    case TYPE_TIMESTAMP: {
        long long sa, sb;
        long na, nb;
        if (!cJSON_IsString(variable) || !cJSON_IsString(operand) ||
            !sfn_timestamp_parse(variable->valuestring, &sa, &na) ||
            !sfn_timestamp_parse(operand->valuestring, &sb, &nb))
            return false;
        int order = sa != sb ? order_of(sa, sb) : order_of(na, nb);
        return apply_comparison(op->cmp, order);
    }
    case TYPE_MATCHES:
        return cJSON_IsString(variable) && cJSON_IsString(operand) &&
               string_matches(variable->valuestring, operand->valuestring);
    case TYPE_TEST:
        break;
    }
    return false;
}

static bool type_test(const char *name, const cJSON *variable)
{
    if (strcmp(name, "IsNull") == 0)
        return cJSON_IsNull(variable);
    if (strcmp(name, "IsNumeric") == 0)
        return cJSON_IsNumber(variable);
    if (strcmp(name, "IsString") == 0)
        return cJSON_IsString(variable);
    if (strcmp(name, "IsBoolean") == 0)
        return cJSON_IsBool(variable);
    long long seconds;
    long nanos;
    return cJSON_IsString(variable) &&
           sfn_timestamp_parse(variable->valuestring, &seconds, &nanos);
}

static int invalid_path(const char *path, sfn_failure *failure)
{
    sfn_failure_set(failure, SFN_ERR_RUNTIME,
                    "Invalid path '%s': The choice state's condition path "
                    "references an invalid value.",
                    path);
    return -1;
}

static int data_test(const cJSON *rule, const cJSON *input,
                     const cJSON *context, sfn_failure *failure)
{
    const cJSON *var_member =
        cJSON_GetObjectItemCaseSensitive(rule, "Variable");
    const cJSON *operand = NULL;
    const operator_def *op = find_operator(rule, &operand);
    if (!cJSON_IsString(var_member) || !op) {
        sfn_failure_set(failure, SFN_ERR_RUNTIME,
                        "A choice rule needs a Variable string and a "
                        "comparison operator");
        return -1;
    }

    const char *var_path = var_member->valuestring;
    cJSON *variable = NULL;
    sfn_path_result found = sfn_path_query(var_path, SFN_PATH_GENERAL, input,
                                           context, &variable, NULL, 0);
    if (op->type == TYPE_TEST && strcmp(op->name, "IsPresent") == 0) {
        cJSON_Delete(variable);
        return (found == SFN_PATH_FOUND) == cJSON_IsTrue(operand);
    }
    if (found != SFN_PATH_FOUND)
        return invalid_path(var_path, failure);

    int matched;
    if (op->type == TYPE_TEST) {
        matched = type_test(op->name, variable) == cJSON_IsTrue(operand);
    } else if (op->path) {
        cJSON *value = NULL;
        const char *value_path =
            cJSON_IsString(operand) ? operand->valuestring : "";
        if (sfn_path_query(value_path, SFN_PATH_GENERAL, input, context, &value,
                           NULL, 0) != SFN_PATH_FOUND) {
            cJSON_Delete(variable);
            return invalid_path(value_path, failure);
        }
        matched = compare(op, variable, value);
        cJSON_Delete(value);
    } else {
        matched = compare(op, variable, operand);
    }
    cJSON_Delete(variable);
    return matched;
}

static int rule_matches(const cJSON *rule, const cJSON *input,
                        const cJSON *context, int depth, sfn_failure *failure)
{
    if (depth > CHOICE_MAX_DEPTH) {
        sfn_failure_set(failure, SFN_ERR_RUNTIME,
                        "Choice rules are nested more than %d levels deep",
                        CHOICE_MAX_DEPTH);
        return -1;
    }
    const cJSON *and_rules = cJSON_GetObjectItemCaseSensitive(rule, "And");
    const cJSON *or_rules = cJSON_GetObjectItemCaseSensitive(rule, "Or");
    const cJSON *not_rule = cJSON_GetObjectItemCaseSensitive(rule, "Not");

    if (not_rule) {
        int r = rule_matches(not_rule, input, context, depth + 1, failure);
        return r < 0 ? r : !r;
    }
    if (and_rules || or_rules) {
        bool is_and = and_rules != NULL;
        const cJSON *list = is_and ? and_rules : or_rules;
        const cJSON *sub;
        cJSON_ArrayForEach(sub, list)
        {
            int r = rule_matches(sub, input, context, depth + 1, failure);
            if (r < 0)
                return r;
            if (is_and && !r)
                return 0;
            if (!is_and && r)
                return 1;
        }
        return is_and ? 1 : 0;
    }
    return data_test(rule, input, context, failure);
}

int sfn_choice_rule_matches(const cJSON *rule, const cJSON *input,
                            const cJSON *context, sfn_failure *failure)
{
    return rule_matches(rule, input, context, 0, failure);
}

/* NOTE: the cause text of States.NoChoiceMatched is Stratus's own; no
 * AWS-recorded history of it was available. */
const char *sfn_choice_next(const cJSON *state, const cJSON *input,
                            const cJSON *context, sfn_failure *failure)
{
    const cJSON *rule;
    cJSON_ArrayForEach(rule, cJSON_GetObjectItemCaseSensitive(state, "Choices"))
    {
        int r = sfn_choice_rule_matches(rule, input, context, failure);
        if (r < 0)
            return NULL;
        if (r) {
            const cJSON *next = cJSON_GetObjectItemCaseSensitive(rule, "Next");
            return cJSON_IsString(next) ? next->valuestring : NULL;
        }
    }
    const cJSON *fallback = cJSON_GetObjectItemCaseSensitive(state, "Default");
    if (cJSON_IsString(fallback))
        return fallback->valuestring;
    sfn_failure_set(failure, SFN_ERR_NO_CHOICE_MATCHED,
                    "No choice rule matched the input and the state has no "
                    "Default");
    return NULL;
}

/* The operator table */

#define COMPARE_OPS(prefix, type)                                              \
    {prefix "Equals", type, CMP_EQUALS, false},                                \
        {prefix "EqualsPath", type, CMP_EQUALS, true},                         \
        {prefix "LessThan", type, CMP_LESS, false},                            \
        {prefix "LessThanPath", type, CMP_LESS, true},                         \
        {prefix "GreaterThan", type, CMP_GREATER, false},                      \
        {prefix "GreaterThanPath", type, CMP_GREATER, true},                   \
        {prefix "LessThanEquals", type, CMP_LESS_EQUALS, false},               \
        {prefix "LessThanEqualsPath", type, CMP_LESS_EQUALS, true},            \
        {prefix "GreaterThanEquals", type, CMP_GREATER_EQUALS, false},         \
    {                                                                          \
        prefix "GreaterThanEqualsPath", type, CMP_GREATER_EQUALS, true         \
    }

static const operator_def operators[] = {
    COMPARE_OPS("String", TYPE_STRING),
    COMPARE_OPS("Numeric", TYPE_NUMERIC),
    COMPARE_OPS("Timestamp", TYPE_TIMESTAMP),
    {"BooleanEquals", TYPE_BOOLEAN, CMP_EQUALS, false},
    {"BooleanEqualsPath", TYPE_BOOLEAN, CMP_EQUALS, true},
    {"StringMatches", TYPE_MATCHES, CMP_NONE, false},
    {"IsNull", TYPE_TEST, CMP_NONE, false},
    {"IsPresent", TYPE_TEST, CMP_NONE, false},
    {"IsNumeric", TYPE_TEST, CMP_NONE, false},
    {"IsString", TYPE_TEST, CMP_NONE, false},
    {"IsBoolean", TYPE_TEST, CMP_NONE, false},
    {"IsTimestamp", TYPE_TEST, CMP_NONE, false},
};

/* The operator member of a data-test rule, or NULL. */
static const operator_def *find_operator(const cJSON *rule,
                                         const cJSON **operand)
{
    for (size_t i = 0; i < sizeof operators / sizeof operators[0]; i++) {
        const cJSON *member =
            cJSON_GetObjectItemCaseSensitive(rule, operators[i].name);
        if (member) {
            *operand = member;
            return &operators[i];
        }
    }
    return NULL;
}
