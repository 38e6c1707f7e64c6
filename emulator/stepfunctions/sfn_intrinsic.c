/*
 * sfn_intrinsic.c: parser and evaluator of the ASL intrinsic functions.
 *
 * An expression is parsed into a small tree (calls, literals, paths) and
 * evaluated bottom-up. The function table at the end of the file lists every
 * function with its argument counts. The implementations follow the
 * behaviour recorded from AWS: Java-style rounding in MathAdd, Java
 * toString() rendering of objects in Format and StringTokenizer splitting in
 * StringSplit.
 */
#include "sfn_intrinsic.h"

#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "sfn_path.h"
#include "util.h"

/* AWS documents "up to 10 intrinsic functions" nested in one field. */
#define INTRINSIC_MAX_DEPTH 10
#define INTRINSIC_MAX_ARGS 256
/* Hash, Base64Encode and Base64Decode accept at most 10,000 characters, and
 * ArrayRange produces at most 1,000 elements.
 * NOTE: these limits follow the AWS developer guide as LocalStack enforces
 * them; no AWS-recorded history exercises them. */
#define INTRINSIC_MAX_INPUT_CHARS 10000
#define INTRINSIC_MAX_RANGE 1000
/* Format renders nested objects and arrays this deep before it falls back
 * to compact JSON. */
#define FORMAT_MAX_DEPTH 64

typedef enum expr_kind {
    EX_CALL,
    EX_STRING,
    EX_NUMBER,
    EX_TRUE,
    EX_FALSE,
    EX_NULL,
    EX_PATH
} expr_kind;

typedef struct function function;

typedef struct expr {
    expr_kind kind;
    char *text; /* the literal with its escapes, or the path */
    double number;
    const function *fn;
    struct expr *args;
    size_t nargs;
} expr;

typedef struct eval_env {
    const cJSON *input;
    const cJSON *context;
    const char *field;
} eval_env;

/* The evaluated arguments of one call, with the expressions they came
 * from. Implementations may take ownership of a value by setting its slot
 * to NULL. */
typedef struct call_args {
    const expr *call;
    cJSON **values;
    size_t count;
} call_args;

struct function {
    const char *name;
    size_t min_args;
    size_t max_args;
    cJSON *(*impl)(call_args *args, sfn_failure *failure);
};

static const function *function_find(const char *name, size_t len);

/* Parsing */

typedef struct iparser {
    const char *s;
    size_t pos;
    char *err;
    size_t err_len;
} iparser;

static bool iparse_fail(iparser *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static bool iparse_fail(iparser *p, const char *fmt, ...)
{
    if (p->err && p->err_len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p->err, p->err_len, fmt, ap);
        va_end(ap);
    }
    return false;
}

static void iskip_space(iparser *p)
{
    while (isspace((unsigned char)p->s[p->pos]))
        p->pos++;
}

static void expr_clear(expr *e)
{
    for (size_t i = 0; i < e->nargs; i++)
        expr_clear(&e->args[i]);
    free(e->args);
    free(e->text);
    memset(e, 0, sizeof *e);
}

/* A literal in single quotes. The text keeps its backslash escapes because
 * States.Format distinguishes an escaped brace from a placeholder. */
static bool parse_string(iparser *p, expr *e)
{
    size_t start = ++p->pos;
    for (;;) {
        char c = p->s[p->pos];
        if (c == '\0')
            return iparse_fail(p,
                               "unterminated string literal starting at "
                               "position %zu",
                               start - 1);
        if (c == '\\' && p->s[p->pos + 1] != '\0') {
            p->pos += 2;
            continue;
        }
        if (c == '\'')
            break;
        p->pos++;
    }
    e->kind = EX_STRING;
    e->text = xstrndup(p->s + start, p->pos - start);
    p->pos++;
    return true;
}

/* A path runs to the next comma or closing parenthesis outside brackets
 * and quotes. */
static bool parse_path_arg(iparser *p, expr *e)
{
    size_t start = p->pos;
    int brackets = 0;
    char quote = 0;
    for (char c; (c = p->s[p->pos]) != '\0'; p->pos++) {
        if (quote) {
            if (c == '\\' && p->s[p->pos + 1])
                p->pos++;
            else if (c == quote)
                quote = 0;
        } else if (c == '\'' || c == '"') {
            quote = c;
        } else if (c == '[') {
            brackets++;
        } else if (c == ']') {
            brackets--;
        } else if (brackets <= 0 && (c == ',' || c == ')')) {
            break;
        }
    }
    size_t end = p->pos;
    while (end > start && isspace((unsigned char)p->s[end - 1]))
        end--;
    e->kind = EX_PATH;
    e->text = xstrndup(p->s + start, end - start);

    char err[256];
    sfn_path *path = sfn_path_parse(e->text, SFN_PATH_GENERAL, err, sizeof err);
    if (!path)
        return iparse_fail(p, "invalid path '%s': %s", e->text, err);
    sfn_path_free(path);
    return true;
}

/* A number in JSON grammar: -?digits(.digits)?([eE][+-]?digits)? */
static bool parse_number(iparser *p, expr *e)
{
    const char *s = p->s + p->pos;
    size_t n = 0;
    if (s[n] == '-')
        n++;
    size_t digits = n;
    while (isdigit((unsigned char)s[n]))
        n++;
    bool ok = n > digits;
    if (ok && s[n] == '.') {
        size_t frac = ++n;
        while (isdigit((unsigned char)s[n]))
            n++;
        ok = n > frac;
    }
    if (ok && (s[n] == 'e' || s[n] == 'E')) {
        n++;
        if (s[n] == '+' || s[n] == '-')
            n++;
        size_t exp = n;
        while (isdigit((unsigned char)s[n]))
            n++;
        ok = n > exp;
    }
    if (!ok || isalpha((unsigned char)s[n]) || s[n] == '.')
        return iparse_fail(p, "invalid number at position %zu", p->pos);
    e->kind = EX_NUMBER;
    e->number = strtod(s, NULL);
    p->pos += n;
    return true;
}

static bool parse_expr(iparser *p, expr *e, int depth);

static bool parse_call(iparser *p, expr *e, size_t name_len, int depth)
{
    const char *name = p->s + p->pos;
    e->kind = EX_CALL;
    e->fn = function_find(name, name_len);
    if (!e->fn)
        return iparse_fail(p, "unknown intrinsic function '%.*s'",
                           (int)name_len, name);
    if (depth >= INTRINSIC_MAX_DEPTH)
        return iparse_fail(p,
                           "intrinsic functions are nested more than %d "
                           "deep",
                           INTRINSIC_MAX_DEPTH);
    p->pos += name_len + 1;
    iskip_space(p);

    size_t cap = 0;
    if (p->s[p->pos] != ')') {
        for (;;) {
            if (e->nargs == INTRINSIC_MAX_ARGS)
                return iparse_fail(p, "too many arguments (maximum %d)",
                                   INTRINSIC_MAX_ARGS);
            if (e->nargs == cap) {
                cap = cap ? cap * 2 : 4;
                e->args = xrealloc(e->args, cap * sizeof(expr));
            }
            memset(&e->args[e->nargs], 0, sizeof(expr));
            e->nargs++;
            if (!parse_expr(p, &e->args[e->nargs - 1], depth + 1))
                return false;
            iskip_space(p);
            if (p->s[p->pos] != ',')
                break;
            p->pos++;
        }
    }
    if (p->s[p->pos] != ')')
        return iparse_fail(p, "expected ',' or ')' at position %zu", p->pos);
    p->pos++;

    if (e->nargs < e->fn->min_args || e->nargs > e->fn->max_args)
        return iparse_fail(p, "%s takes %s%zu arguments but %zu were given",
                           e->fn->name,
                           e->fn->max_args == SIZE_MAX ? "at least " : "",
                           e->fn->min_args, e->nargs);
    return true;
}

static bool parse_expr(iparser *p, expr *e, int depth)
{
    iskip_space(p);
    const char *s = p->s + p->pos;
    if (*s == '\'')
        return parse_string(p, e);
    if (*s == '$')
        return parse_path_arg(p, e);
    if (*s == '-' || isdigit((unsigned char)*s))
        return parse_number(p, e);

    size_t n = 0;
    while (isalnum((unsigned char)s[n]) || s[n] == '.' || s[n] == '_')
        n++;
    if (n && s[n] == '(')
        return parse_call(p, e, n, depth);
    static const struct {
        const char *word;
        expr_kind kind;
    } words[] = {{"true", EX_TRUE}, {"false", EX_FALSE}, {"null", EX_NULL}};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        if (n == strlen(words[i].word) && strncmp(s, words[i].word, n) == 0) {
            e->kind = words[i].kind;
            p->pos += n;
            return true;
        }
    }
    if (*s == '\0')
        return iparse_fail(p, "unexpected end of expression");
    return iparse_fail(p, "unexpected text '%.20s' at position %zu", s, p->pos);
}

static bool parse_intrinsic(const char *text, expr *root, char *err,
                            size_t err_len)
{
    iparser p = {.s = text, .err = err, .err_len = err_len};
    memset(root, 0, sizeof *root);
    bool ok = parse_expr(&p, root, 0);
    if (ok && root->kind != EX_CALL)
        ok = iparse_fail(&p, "the value is not an intrinsic function call");
    if (ok) {
        iskip_space(&p);
        if (p.s[p.pos] != '\0')
            ok = iparse_fail(&p,
                             "unexpected text after the call at "
                             "position %zu",
                             p.pos);
    }
    if (!ok)
        expr_clear(root);
    return ok;
}

bool sfn_intrinsic_is_call(const char *text)
{
    return text && strncmp(text, "States.", 7) == 0;
}

bool sfn_intrinsic_validate(const char *text, char *err, size_t err_len)
{
    expr root;
    if (!parse_intrinsic(text, &root, err, err_len))
        return false;
    expr_clear(&root);
    return true;
}

/* Evaluation */

/* The content of a string literal with its backslash escapes removed. */
static char *unescape_literal(const char *raw)
{
    strbuf out;
    strbuf_init(&out);
    for (const char *c = raw; *c; c++) {
        if (*c == '\\' && c[1])
            c++;
        strbuf_append(&out, c, 1);
    }
    strbuf_append(&out, "", 0); /* terminates an empty result */
    return strbuf_take(&out, NULL);
}

static cJSON *eval_path(const expr *e, const eval_env *env,
                        sfn_failure *failure)
{
    cJSON *value = NULL;
    sfn_path_result result = sfn_path_query(
        e->text, SFN_PATH_GENERAL, env->input, env->context, &value, NULL, 0);
    if (result == SFN_PATH_FOUND)
        return value;
    char *json = sfn_json_compact(env->input);
    sfn_failure_set(failure, SFN_ERR_RUNTIME,
                    "The JSONPath '%s' specified for the field '%s' could "
                    "not be found in the input '%s'",
                    e->text, env->field, json);
    free(json);
    return NULL;
}

static cJSON *eval_expr(const expr *e, const eval_env *env,
                        sfn_failure *failure);

static cJSON *eval_call(const expr *e, const eval_env *env,
                        sfn_failure *failure)
{
    call_args args = {.call = e, .count = e->nargs};
    args.values = xcalloc(e->nargs, sizeof(cJSON *));
    cJSON *result = NULL;
    size_t i = 0;
    for (; i < e->nargs; i++) {
        args.values[i] = eval_expr(&e->args[i], env, failure);
        if (!args.values[i])
            break;
    }
    if (i == e->nargs)
        result = e->fn->impl(&args, failure);
    for (size_t k = 0; k < e->nargs; k++)
        cJSON_Delete(args.values[k]);
    free(args.values);
    return result;
}

static cJSON *eval_expr(const expr *e, const eval_env *env,
                        sfn_failure *failure)
{
    switch (e->kind) {
    case EX_CALL:
        return eval_call(e, env, failure);
    case EX_STRING: {
        char *s = unescape_literal(e->text);
        cJSON *v = cJSON_CreateString(s);
        free(s);
        return v;
    }
    case EX_NUMBER:
        return cJSON_CreateNumber(e->number);
    case EX_TRUE:
        return cJSON_CreateTrue();
    case EX_FALSE:
        return cJSON_CreateFalse();
    case EX_NULL:
        return cJSON_CreateNull();
    case EX_PATH:
        return eval_path(e, env, failure);
    }
    return NULL;
}

cJSON *sfn_intrinsic_eval(const char *text, const cJSON *input,
                          const cJSON *context, const char *field,
                          sfn_failure *failure)
{
    char err[512];
    expr root;
    if (!parse_intrinsic(text, &root, err, sizeof err)) {
        sfn_failure_set(failure, SFN_ERR_INTRINSIC_FAILURE,
                        "The value '%s' of the field '%s' is not a valid "
                        "intrinsic function call: %s",
                        text, field ? field : "", err);
        return NULL;
    }
    eval_env env = {
        .input = input, .context = context, .field = field ? field : ""};
    cJSON *result = eval_expr(&root, &env, failure);
    expr_clear(&root);
    return result;
}

/* Helpers for the implementations */

static cJSON *invalid_arguments(const call_args *args, sfn_failure *failure)
{
    sfn_failure_set(failure, SFN_ERR_RUNTIME, "Invalid arguments in %s",
                    args->call->fn->name);
    return NULL;
}

/* Move the buffer's text into a new JSON string. */
static cJSON *string_from_buffer(strbuf *b)
{
    /* strbuf_take() does not terminate a buffer that was never written. */
    strbuf_append(b, "", 0);
    char *text = strbuf_take(b, NULL);
    cJSON *result = cJSON_CreateString(text);
    free(text);
    return result;
}

/* Take ownership of argument `i`. */
static cJSON *take_arg(call_args *args, size_t i)
{
    cJSON *v = args->values[i];
    args->values[i] = NULL;
    return v;
}

/* A number argument as Java's (int) cast would convert it: truncated toward
 * zero. Returns false when it is not a number or outside the int range. */
static bool int_arg(const cJSON *v, long long *out)
{
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
        return false;
    double t = trunc(v->valuedouble);
    if (t < -2147483648.0 || t > 2147483647.0)
        return false;
    *out = (long long)t;
    return true;
}

/* The number of UTF-8 characters in `s`, as AWS counts input limits. */
static size_t utf8_length(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

/* States.Format */

static void format_number(strbuf *out, double d)
{
    if (d == trunc(d) && fabs(d) < 1e15) {
        strbuf_printf(out, "%.0f", d == 0 ? 0.0 : d);
        return;
    }
    char buf[32];
    snprintf(buf, sizeof buf, "%.15g", d);
    if (strtod(buf, NULL) != d)
        snprintf(buf, sizeof buf, "%.17g", d);
    strbuf_puts(out, buf);
}

/* Render an argument as AWS does: strings bare, objects and arrays the way
 * Java's Map and List toString() print them ({a=1, b=[x, y]}). */
static void format_value(strbuf *out, const cJSON *v, int depth)
{
    const cJSON *child;
    if (cJSON_IsString(v)) {
        strbuf_puts(out, v->valuestring);
    } else if (cJSON_IsNumber(v)) {
        format_number(out, v->valuedouble);
    } else if (depth >= FORMAT_MAX_DEPTH) {
        char *json = sfn_json_compact(v);
        strbuf_puts(out, json);
        free(json);
    } else if (cJSON_IsArray(v) || cJSON_IsObject(v)) {
        bool object = cJSON_IsObject(v);
        strbuf_puts(out, object ? "{" : "[");
        cJSON_ArrayForEach(child, v)
        {
            if (child != v->child)
                strbuf_puts(out, ", ");
            if (object)
                strbuf_printf(out, "%s=", child->string);
            format_value(out, child, depth + 1);
        }
        strbuf_puts(out, object ? "}" : "]");
    } else {
        strbuf_puts(out, cJSON_IsTrue(v)    ? "true"
                         : cJSON_IsFalse(v) ? "false"
                                            : "null");
    }
}

/*
 * A template from a literal keeps its escapes: `\{` and `\}` are literal
 * braces, `{}` is a placeholder, and any other brace is an error. A
 * template read from a path follows the same rules.
 */
static cJSON *fn_format(call_args *args, sfn_failure *failure)
{
    const char *tmpl;
    if (args->call->args[0].kind == EX_STRING)
        tmpl = args->call->args[0].text;
    else if (cJSON_IsString(args->values[0]))
        tmpl = args->values[0]->valuestring;
    else
        return invalid_arguments(args, failure);

    strbuf out;
    strbuf_init(&out);
    size_t next = 1;
    for (const char *c = tmpl; *c; c++) {
        if (*c == '\\' && c[1]) {
            c++;
            strbuf_append(&out, c, 1);
        } else if (c[0] == '{' && c[1] == '}') {
            if (next >= args->count) {
                strbuf_free(&out);
                return invalid_arguments(args, failure);
            }
            format_value(&out, args->values[next++], 0);
            c++;
        } else if (*c == '{' || *c == '}') {
            strbuf_free(&out);
            return invalid_arguments(args, failure);
        } else {
            strbuf_append(&out, c, 1);
        }
    }
    if (next != args->count) {
        strbuf_free(&out);
        return invalid_arguments(args, failure);
    }
    return string_from_buffer(&out);
}

/* JSON conversion */

static cJSON *fn_string_to_json(call_args *args, sfn_failure *failure)
{
    const cJSON *v = args->values[0];
    if (!cJSON_IsString(v))
        return invalid_arguments(args, failure);
    const char *s = v->valuestring;
    while (isspace((unsigned char)*s))
        s++;
    if (*s == '\0')
        return cJSON_CreateNull();
    cJSON *parsed = cJSON_ParseWithOpts(s, NULL, true);
    if (!parsed)
        return invalid_arguments(args, failure);
    return parsed;
}

static cJSON *fn_json_to_string(call_args *args, sfn_failure *failure)
{
    char *json = sfn_json_compact(args->values[0]);
    cJSON *result = cJSON_CreateString(json);
    free(json);
    return result;
}

/* Only a shallow merge exists: the third argument must be false. Members of
 * the second object replace those of the first. */
static cJSON *fn_json_merge(call_args *args, sfn_failure *failure)
{
    if (!cJSON_IsObject(args->values[0]) || !cJSON_IsObject(args->values[1]) ||
        !cJSON_IsFalse(args->values[2]))
        return invalid_arguments(args, failure);
    cJSON *merged = take_arg(args, 0);
    cJSON *member;
    cJSON_ArrayForEach(member, args->values[1])
    {
        cJSON *copy = cJSON_Duplicate(member, true);
        if (cJSON_GetObjectItemCaseSensitive(merged, member->string))
            cJSON_ReplaceItemInObjectCaseSensitive(merged, member->string,
                                                   copy);
        else
            cJSON_AddItemToObject(merged, member->string, copy);
    }
    return merged;
}

/* Arrays */

static cJSON *fn_array(call_args *args, sfn_failure *failure)
{
    cJSON *array = cJSON_CreateArray();
    for (size_t i = 0; i < args->count; i++)
        cJSON_AddItemToArray(array, take_arg(args, i));
    return array;
}

static cJSON *fn_array_partition(call_args *args, sfn_failure *failure)
{
    long long size;
    if (!cJSON_IsArray(args->values[0]) || !int_arg(args->values[1], &size) ||
        size <= 0)
        return invalid_arguments(args, failure);
    cJSON *result = cJSON_CreateArray();
    cJSON *chunk = NULL;
    long long filled = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, args->values[0])
    {
        if (!chunk || filled == size) {
            chunk = cJSON_CreateArray();
            cJSON_AddItemToArray(result, chunk);
            filled = 0;
        }
        cJSON_AddItemToArray(chunk, cJSON_Duplicate(item, true));
        filled++;
    }
    return result;
}

static cJSON *fn_array_contains(call_args *args, sfn_failure *failure)
{
    if (!cJSON_IsArray(args->values[0]))
        return invalid_arguments(args, failure);
    const cJSON *item;
    cJSON_ArrayForEach(item, args->values[0])
    {
        if (sfn_json_equal(item, args->values[1]))
            return cJSON_CreateTrue();
    }
    return cJSON_CreateFalse();
}

/* NOTE: fractional bounds and steps are truncated toward zero, as Java's
 * (int) cast does. No AWS-recorded history covers fractions. */
static cJSON *fn_array_range(call_args *args, sfn_failure *failure)
{
    long long start, end, step;
    if (!int_arg(args->values[0], &start) || !int_arg(args->values[1], &end) ||
        !int_arg(args->values[2], &step) || step == 0)
        return invalid_arguments(args, failure);
    long long count = 0;
    if (step > 0 && start <= end)
        count = (end - start) / step + 1;
    else if (step < 0 && start >= end)
        count = (start - end) / -step + 1;
    if (count > INTRINSIC_MAX_RANGE)
        return invalid_arguments(args, failure);
    cJSON *result = cJSON_CreateArray();
    for (long long k = 0; k < count; k++)
        cJSON_AddItemToArray(result,
                             cJSON_CreateNumber((double)(start + k * step)));
    return result;
}

static cJSON *fn_array_get_item(call_args *args, sfn_failure *failure)
{
    long long index;
    if (!cJSON_IsArray(args->values[0]) || !int_arg(args->values[1], &index) ||
        index < 0 || index >= cJSON_GetArraySize(args->values[0]))
        return invalid_arguments(args, failure);
    return cJSON_DetachItemFromArray(args->values[0], (int)index);
}

static cJSON *fn_array_length(call_args *args, sfn_failure *failure)
{
    if (!cJSON_IsArray(args->values[0]))
        return invalid_arguments(args, failure);
    return cJSON_CreateNumber(cJSON_GetArraySize(args->values[0]));
}

/* Keeps the first of each group of equal elements, in input order. */
static cJSON *fn_array_unique(call_args *args, sfn_failure *failure)
{
    if (!cJSON_IsArray(args->values[0]))
        return invalid_arguments(args, failure);
    cJSON *result = cJSON_CreateArray();
    const cJSON *item;
    cJSON_ArrayForEach(item, args->values[0])
    {
        bool seen = false;
        const cJSON *kept;
        cJSON_ArrayForEach(kept, result)
        {
            if (sfn_json_equal(kept, item)) {
                seen = true;
                break;
            }
        }
        if (!seen)
            cJSON_AddItemToArray(result, cJSON_Duplicate(item, true));
    }
    return result;
}

/* Encoding and hashing */

static const char base64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static cJSON *fn_base64_encode(call_args *args, sfn_failure *failure)
{
    const cJSON *v = args->values[0];
    if (!cJSON_IsString(v) ||
        utf8_length(v->valuestring) > INTRINSIC_MAX_INPUT_CHARS)
        return invalid_arguments(args, failure);
    const unsigned char *in = (const unsigned char *)v->valuestring;
    size_t n = strlen(v->valuestring);
    strbuf out;
    strbuf_init(&out);
    for (size_t i = 0; i < n; i += 3) {
        uint32_t group = (uint32_t)in[i] << 16;
        if (i + 1 < n)
            group |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < n)
            group |= in[i + 2];
        char quad[4] = {base64_alphabet[(group >> 18) & 63],
                        base64_alphabet[(group >> 12) & 63],
                        i + 1 < n ? base64_alphabet[(group >> 6) & 63] : '=',
                        i + 2 < n ? base64_alphabet[group & 63] : '='};
        strbuf_append(&out, quad, 4);
    }
    return string_from_buffer(&out);
}

static int base64_value(char c)
{
    const char *at = c ? strchr(base64_alphabet, c) : NULL;
    return at ? (int)(at - base64_alphabet) : -1;
}

/* Strict decoding: the length is a multiple of 4 and `=` only pads the
 * end. */
static bool base64_decode(const char *in, strbuf *out)
{
    size_t n = strlen(in);
    if (n % 4 != 0)
        return false;
    for (size_t i = 0; i < n; i += 4) {
        bool last = i + 4 == n;
        int pad = (in[i + 3] == '=') + (in[i + 2] == '=' && in[i + 3] == '=');
        if (pad && !last)
            return false;
        uint32_t group = 0;
        for (int k = 0; k < 4 - pad; k++) {
            int v = base64_value(in[i + (size_t)k]);
            if (v < 0)
                return false;
            group |= (uint32_t)v << (18 - 6 * k);
        }
        char bytes[3] = {(char)(group >> 16), (char)(group >> 8), (char)group};
        strbuf_append(out, bytes, (size_t)(3 - pad));
    }
    return true;
}

static cJSON *fn_base64_decode(call_args *args, sfn_failure *failure)
{
    const cJSON *v = args->values[0];
    if (!cJSON_IsString(v) ||
        utf8_length(v->valuestring) > INTRINSIC_MAX_INPUT_CHARS)
        return invalid_arguments(args, failure);
    strbuf out;
    strbuf_init(&out);
    if (!base64_decode(v->valuestring, &out)) {
        strbuf_free(&out);
        return invalid_arguments(args, failure);
    }
    /* NOTE: decoded bytes are returned as they are; a NUL byte ends the
     * string, and invalid UTF-8 is not replaced. */
    return string_from_buffer(&out);
}

static cJSON *fn_hash(call_args *args, sfn_failure *failure)
{
    static const struct {
        const char *name;
        const EVP_MD *(*md)(void);
    } algorithms[] = {{"MD5", EVP_md5},
                      {"SHA-1", EVP_sha1},
                      {"SHA-256", EVP_sha256},
                      {"SHA-384", EVP_sha384},
                      {"SHA-512", EVP_sha512}};
    const cJSON *data = args->values[0];
    const cJSON *name = args->values[1];
    if (!cJSON_IsString(data) || !cJSON_IsString(name) ||
        utf8_length(data->valuestring) > INTRINSIC_MAX_INPUT_CHARS)
        return invalid_arguments(args, failure);

    const EVP_MD *md = NULL;
    for (size_t i = 0; i < sizeof algorithms / sizeof algorithms[0]; i++)
        if (strcmp(name->valuestring, algorithms[i].name) == 0)
            md = algorithms[i].md();
    if (!md)
        return invalid_arguments(args, failure);

    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!EVP_Digest(data->valuestring, strlen(data->valuestring), digest, &len,
                    md, NULL))
        return invalid_arguments(args, failure);
    char hex[2 * EVP_MAX_MD_SIZE + 1];
    for (unsigned int i = 0; i < len; i++)
        snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    hex[2 * len] = '\0';
    return cJSON_CreateString(hex);
}

/* Numbers */

/* splitmix64, a small generator for the seeded form of MathRandom. */
static uint64_t splitmix64(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

/*
 * A random integer in [start, end). With a seed the result is repeatable.
 * NOTE: AWS's seeded sequence comes from its Java implementation and is not
 * reproduced; only the range and the repeatability are.
 */
static cJSON *fn_math_random(call_args *args, sfn_failure *failure)
{
    long long start, end, seed = 0;
    if (!int_arg(args->values[0], &start) || !int_arg(args->values[1], &end) ||
        end <= start || (args->count == 3 && !int_arg(args->values[2], &seed)))
        return invalid_arguments(args, failure);
    uint64_t r;
    if (args->count == 3) {
        r = splitmix64((uint64_t)seed);
    } else if (RAND_bytes((unsigned char *)&r, sizeof r) != 1) {
        sfn_failure_set(failure, SFN_ERR_RUNTIME,
                        "The random number generator failed in %s",
                        args->call->fn->name);
        return NULL;
    }
    uint64_t span = (uint64_t)(end - start);
    return cJSON_CreateNumber((double)(start + (long long)(r % span)));
}

/* Java's Math.round(): halves round toward positive infinity. */
static bool rounded_int_arg(const cJSON *v, long long *out)
{
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
        return false;
    double r = floor(v->valuedouble + 0.5);
    if (r < -2147483648.0 || r > 2147483647.0)
        return false;
    *out = (long long)r;
    return true;
}

static cJSON *fn_math_add(call_args *args, sfn_failure *failure)
{
    long long a, b;
    if (!rounded_int_arg(args->values[0], &a) ||
        !rounded_int_arg(args->values[1], &b))
        return invalid_arguments(args, failure);
    return cJSON_CreateNumber((double)(a + b));
}

/* Strings */

/* Length of the UTF-8 sequence starting at `s` (1 for a stray byte). */
static size_t utf8_char_len(const char *s)
{
    unsigned char c = (unsigned char)*s;
    size_t n = 1;
    if (c >= 0xF0)
        n = 4;
    else if (c >= 0xE0)
        n = 3;
    else if (c >= 0xC0)
        n = 2;
    for (size_t i = 1; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            return 1;
    return n;
}

static bool is_delimiter(const char *c, size_t len, const char *delimiters)
{
    for (const char *d = delimiters; *d; d += utf8_char_len(d))
        if (utf8_char_len(d) == len && memcmp(c, d, len) == 0)
            return true;
    return false;
}

/* Splits on every character of the second argument and drops empty
 * tokens, like Java's StringTokenizer. */
static cJSON *fn_string_split(call_args *args, sfn_failure *failure)
{
    const cJSON *s = args->values[0];
    const cJSON *delimiters = args->values[1];
    if (!cJSON_IsString(s) || !cJSON_IsString(delimiters))
        return invalid_arguments(args, failure);
    cJSON *result = cJSON_CreateArray();
    const char *token = s->valuestring;
    const char *c = s->valuestring;
    for (;;) {
        size_t len = *c ? utf8_char_len(c) : 0;
        if (*c == '\0' || is_delimiter(c, len, delimiters->valuestring)) {
            if (c > token) {
                char *part = xstrndup(token, (size_t)(c - token));
                cJSON_AddItemToArray(result, cJSON_CreateString(part));
                free(part);
            }
            if (*c == '\0')
                break;
            token = c + len;
        }
        c += len;
    }
    return result;
}

static cJSON *fn_uuid(call_args *args, sfn_failure *failure)
{
    char uuid[37];
    util_uuid4(uuid);
    return cJSON_CreateString(uuid);
}

/* The function table */

static const function functions[] = {
    {"States.Format", 1, SIZE_MAX, fn_format},
    {"States.StringToJson", 1, 1, fn_string_to_json},
    {"States.JsonToString", 1, 1, fn_json_to_string},
    {"States.Array", 0, SIZE_MAX, fn_array},
    {"States.ArrayPartition", 2, 2, fn_array_partition},
    {"States.ArrayContains", 2, 2, fn_array_contains},
    {"States.ArrayRange", 3, 3, fn_array_range},
    {"States.ArrayGetItem", 2, 2, fn_array_get_item},
    {"States.ArrayLength", 1, 1, fn_array_length},
    {"States.ArrayUnique", 1, 1, fn_array_unique},
    {"States.Base64Encode", 1, 1, fn_base64_encode},
    {"States.Base64Decode", 1, 1, fn_base64_decode},
    {"States.Hash", 2, 2, fn_hash},
    {"States.JsonMerge", 3, 3, fn_json_merge},
    {"States.MathRandom", 2, 3, fn_math_random},
    {"States.MathAdd", 2, 2, fn_math_add},
    {"States.StringSplit", 2, 2, fn_string_split},
    {"States.UUID", 0, 0, fn_uuid},
};

static const function *function_find(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof functions / sizeof functions[0]; i++)
        if (strlen(functions[i].name) == len &&
            strncmp(functions[i].name, name, len) == 0)
            return &functions[i];
    return NULL;
}
