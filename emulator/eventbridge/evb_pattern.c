/*
 * evb_pattern.c: compile and validate EventBridge event patterns.
 *
 * A pattern compiles into a tree: a node is the AND of its fields and of
 * its $or groups, and a $or group is the OR of its alternative nodes. A
 * field is a flattened path ("detail.state") and the list of matchers any
 * one of which must accept one of the event's leaf values at that path.
 * Validation mirrors AWS's rule compiler (event-ruler): checks run in
 * document order and the first failure wins, with AWS's message text.
 *
 * This file compiles objects and $or groups and contains the public
 * compile functions. Match expressions compile in evb_pattern_ops.c, error
 * messages and their locations come from evb_pattern_syntax.c, and events
 * are flattened and matched in evb_pattern_match.c.
 */
#include "evb_pattern.h"

#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "evb_pattern_internal.h"
#include "util.h"

/* ---------------------------------------------------------------------- */
/* Freeing                                                                */

static void matcher_free(matcher *m)
{
    for (size_t i = 0; i < m->value_count; i++) {
        free(m->values[i]);
        if (m->wildcards) {
            free(m->wildcards[i].tokens);
        }
    }
    free(m->values);
    free(m->wildcards);
    free(m->numbers);
}

static void field_free(field *f)
{
    for (size_t i = 0; i < f->count; i++) {
        matcher_free(&f->matchers[i]);
    }
    free(f->matchers);
    free(f->path);
}

static void node_free(node *n)
{
    for (size_t i = 0; i < n->field_count; i++) {
        field_free(&n->fields[i]);
    }
    free(n->fields);
    for (size_t i = 0; i < n->or_count; i++) {
        for (size_t j = 0; j < n->ors[i].count; j++) {
            node_free(&n->ors[i].alternatives[j]);
        }
        free(n->ors[i].alternatives);
    }
    free(n->ors);
}

void evb_pattern_destroy(evb_pattern *pattern)
{
    if (!pattern) {
        return;
    }
    node_free(&pattern->root);
    for (size_t i = 0; i < pattern->index_key_count; i++)
        free((void *)pattern->index_keys[i].values);
    free(pattern->index_keys);
    if (pattern->ctype) {
        freelocale(pattern->ctype);
    }
    free(pattern);
}

/* ---------------------------------------------------------------------- */
/* Compiling objects and $or                                              */

typedef struct compiler {
    evb_pattern_error *err;
    int wildcards; /* set when any wildcard matcher was compiled */
} compiler;

static int compile_object(compiler *c, const cJSON *object, const char *prefix,
                          node *target, int inside_or, int depth);

static char *path_join(const char *prefix, const char *name)
{
    if (!prefix) {
        return xstrdup(name);
    }
    size_t a = strlen(prefix), b = strlen(name);
    char *path = xmalloc(a + b + 2);
    memcpy(path, prefix, a);
    path[a] = '.';
    memcpy(path + a + 1, name, b + 1);
    return path;
}

static int compile_field(compiler *c, const cJSON *list, char *path,
                         node *target)
{
    field f = {path, NULL, 0};

    for (const cJSON *v = list->child; v; v = v->next) {
        f.matchers = xrealloc(f.matchers, (f.count + 1) * sizeof *f.matchers);
        memset(&f.matchers[f.count], 0, sizeof *f.matchers);
        f.count++;
        if (evb__compile_value(v, &f.matchers[f.count - 1], &c->wildcards,
                               c->err)) {
            field_free(&f);
            return -1;
        }
    }
    if (f.count == 0) {
        field_free(&f);
        return evb__pattern_fail_node(c->err, list, AT_END,
                                      "Empty arrays are not allowed");
    }

    /* A repeated key replaces the earlier one, as in AWS. */
    for (size_t i = 0; i < target->field_count; i++) {
        if (strcmp(target->fields[i].path, path) == 0) {
            field_free(&target->fields[i]);
            target->fields[i] = f;
            return 0;
        }
    }
    target->fields = xrealloc(target->fields, (target->field_count + 1) *
                                                  sizeof *target->fields);
    target->fields[target->field_count++] = f;
    return 0;
}

static int compile_or(compiler *c, const cJSON *list, const char *prefix,
                      node *target, int depth)
{
    or_group g = {NULL, 0};
    int rc = 0;

    if (!cJSON_IsArray(list)) {
        return evb__pattern_fail_node(c->err, list, AT_VALUE,
                                      "It must be an Array followed with $or.");
    }
    for (const cJSON *alt = list->child; alt; alt = alt->next) {
        if (!cJSON_IsObject(alt)) {
            rc = evb__pattern_fail_node(
                c->err, alt, AT_VALUE,
                "Only JSON object is allowed in array of $or "
                "relationship.");
            break;
        }
        g.alternatives =
            xrealloc(g.alternatives, (g.count + 1) * sizeof *g.alternatives);
        memset(&g.alternatives[g.count], 0, sizeof *g.alternatives);
        g.count++;
        rc = compile_object(c, alt, prefix, &g.alternatives[g.count - 1], 1,
                            depth + 1);
        if (rc) {
            break;
        }
    }
    if (rc == 0 && g.count < 2) {
        rc = evb__pattern_fail_node(c->err, list, AT_END,
                                    "There must have at least 2 Objects in $or "
                                    "relationship.");
    }
    if (rc) {
        for (size_t i = 0; i < g.count; i++) {
            node_free(&g.alternatives[i]);
        }
        free(g.alternatives);
        return rc;
    }
    target->ors =
        xrealloc(target->ors, (target->or_count + 1) * sizeof *target->ors);
    target->ors[target->or_count++] = g;
    return 0;
}

/* Field names AWS reserves for operators, which may not appear inside $or. */
static int reserved_in_or(const char *name)
{
    static const char *const reserved[] = {"exactly",
                                           "equals-ignore-case",
                                           "prefix",
                                           "suffix",
                                           "anything-but",
                                           "exists",
                                           "wildcard",
                                           "numeric",
                                           "cidr",
                                           "=",
                                           "<",
                                           "<=",
                                           ">",
                                           ">=",
                                           "regex",
                                           "not-wildcard",
                                           "not-equals-ignore-case",
                                           "date-after",
                                           "date-on-or-after",
                                           "date-before",
                                           "date-on-or-before",
                                           "in-date-range",
                                           "ip-address-in-range",
                                           "ip-address-not-in-range"};

    for (size_t i = 0; i < sizeof reserved / sizeof *reserved; i++) {
        if (strcmp(name, reserved[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

static int compile_object(compiler *c, const cJSON *object, const char *prefix,
                          node *target, int inside_or, int depth)
{
    if (depth > PATTERN_MAX_DEPTH) {
        return evb__pattern_fail(c->err, "Pattern nesting exceeds %d levels",
                                 PATTERN_MAX_DEPTH);
    }
    if (!object->child) {
        return evb__pattern_fail_node(c->err, object, AT_END,
                                      "Empty objects are not allowed");
    }

    for (const cJSON *item = object->child; item; item = item->next) {
        const char *name = item->string;
        int rc;

        if (strcmp(name, "$or") == 0) {
            rc = compile_or(c, item, prefix, target, depth);
        } else if (inside_or && reserved_in_or(name)) {
            rc = evb__pattern_fail_node(
                c->err, item, AT_VALUE,
                "%s is Ruler reserved fieldName which cannot be "
                "used inside $or.",
                name);
        } else if (cJSON_IsObject(item)) {
            char *path = path_join(prefix, name);
            rc = compile_object(c, item, path, target, inside_or, depth + 1);
            free(path);
        } else if (cJSON_IsArray(item)) {
            rc = compile_field(c, item, path_join(prefix, name), target);
        } else {
            rc = evb__pattern_fail_node(c->err, item, AT_VALUE,
                                        "\"%s\" must be an object or an array",
                                        name);
        }
        if (rc) {
            return rc;
        }
    }
    return 0;
}

/* Check every wildcard of a compiled tree against the complexity limit. */
static int check_complexity(const node *n, evb_pattern_error *err)
{
    for (size_t i = 0; i < n->field_count; i++) {
        const field *f = &n->fields[i];
        for (size_t j = 0; j < f->count; j++) {
            const matcher *m = &f->matchers[j];
            if (!m->wildcards) {
                continue;
            }
            for (size_t k = 0; k < m->value_count; k++) {
                if (evb__wildcard_complexity(&m->wildcards[k]) >
                    WILDCARD_MAX_COMPLEXITY) {
                    return evb__pattern_fail(
                        err, "Rule is too complex - try using fewer "
                             "wildcard characters or fewer repeating "
                             "character sequences after a wildcard "
                             "character");
                }
            }
        }
    }
    for (size_t i = 0; i < n->or_count; i++) {
        for (size_t j = 0; j < n->ors[i].count; j++) {
            if (check_complexity(&n->ors[i].alternatives[j], err)) {
                return -1;
            }
        }
    }
    return 0;
}

/* Order index keys exact first, then by fewest values. */
static int index_key_compare(const void *a, const void *b)
{
    const evb_index_key *x = a, *y = b;
    if (x->prefix != y->prefix)
        return x->prefix - y->prefix;
    return (x->count > y->count) - (x->count < y->count);
}

/* Collect the root fields a rule index can file the pattern under. */
static void collect_index_keys(evb_pattern *p)
{
    for (size_t i = 0; i < p->root.field_count; i++) {
        const field *f = &p->root.fields[i];
        int prefix = 0;
        size_t j;
        for (j = 0; j < f->count; j++) {
            const matcher *m = &f->matchers[j];
            if (m->kind == M_PREFIX && m->values[0][0] != '\0')
                prefix = 1;
            else if (m->kind != M_STRING || m->ip_len)
                break;
        }
        if (j < f->count || f->count == 0)
            continue;

        const char **values = xmalloc(f->count * sizeof *values);
        for (j = 0; j < f->count; j++)
            values[j] = f->matchers[j].values[0];
        p->index_keys = xrealloc(p->index_keys, (p->index_key_count + 1) *
                                                    sizeof *p->index_keys);
        p->index_keys[p->index_key_count++] = (evb_index_key){.path = f->path,
                                                              .values = values,
                                                              .count = f->count,
                                                              .prefix = prefix};
    }
    if (p->index_key_count > 1)
        qsort(p->index_keys, p->index_key_count, sizeof *p->index_keys,
              index_key_compare);
}

static int uses_case_folding(const node *n)
{
    for (size_t i = 0; i < n->field_count; i++) {
        for (size_t j = 0; j < n->fields[i].count; j++) {
            enum matcher_kind k = n->fields[i].matchers[j].kind;
            if (k == M_EQUALS_CI || k == M_PREFIX_CI || k == M_SUFFIX_CI ||
                k == M_BUT_CI) {
                return 1;
            }
        }
    }
    for (size_t i = 0; i < n->or_count; i++) {
        for (size_t j = 0; j < n->ors[i].count; j++) {
            if (uses_case_folding(&n->ors[i].alternatives[j])) {
                return 1;
            }
        }
    }
    return 0;
}

static evb_pattern *compile_tree(const cJSON *json, evb_pattern_error *err)
{
    compiler c = {err, 0};
    evb_pattern *p;

    if (!cJSON_IsObject(json)) {
        evb__pattern_fail_node(err, json, AT_VALUE, "Filter is not an object");
        return NULL;
    }
    p = xcalloc(1, sizeof *p);
    if (compile_object(&c, json, NULL, &p->root, 0, 0) ||
        (c.wildcards && check_complexity(&p->root, err))) {
        evb_pattern_destroy(p);
        return NULL;
    }
    collect_index_keys(p);
    if (uses_case_folding(&p->root)) {
        /* NOTE: without the C.UTF-8 locale, only ASCII letters fold. */
        p->ctype = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
    }
    return p;
}

evb_pattern *evb_pattern_compile_json(const cJSON *json, evb_pattern_error *err)
{
    err->source = NULL;
    return compile_tree(json, err);
}

evb_pattern *evb_pattern_compile(const char *json, size_t len,
                                 evb_pattern_error *err)
{
    cJSON *tree = cJSON_ParseWithLength(json, len);
    struct evb_pattern_source src = {json, len, NULL, 0};
    size_t cap = 0, pos = 0;
    evb_pattern *p;

    if (!tree) {
        evb__pattern_syntax_error(json, len, err);
        return NULL;
    }
    if (evb__pattern_locate(&src, &cap, tree, &pos, 0) == 0) {
        qsort(src.locations, src.count, sizeof *src.locations,
              evb__location_compare);
        err->source = &src;
    } else {
        err->source = NULL;
    }
    p = compile_tree(tree, err);
    err->source = NULL;
    free(src.locations);
    cJSON_Delete(tree);
    return p;
}

const evb_index_key *evb_pattern_index_keys(const evb_pattern *pattern,
                                            size_t *count)
{
    *count = pattern->index_key_count;
    return pattern->index_key_count ? pattern->index_keys : NULL;
}
