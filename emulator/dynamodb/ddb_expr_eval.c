/*
 * ddb_expr_eval.c: evaluation of parsed DynamoDB expressions against items:
 * conditions and filters, update actions (SET, REMOVE, ADD, DELETE),
 * projections, the attributes an update touched (ReturnValues UPDATED_OLD
 * and UPDATED_NEW), and splitting a key condition for a key schema.
 *
 * Comparisons follow DynamoDB: operands of different types are never equal
 * or ordered, and a missing attribute makes every comparison false except
 * <>, which is true.
 */
#include "ddb_expr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ddb_expr_internal.h"
#include "util.h"

/* ---- paths ------------------------------------------------------------ */

const cJSON *ddb__path_get(const ddb__path *path, const cJSON *item)
{
    if (!item || path->len == 0 || path->elems[0].is_index)
        return NULL;
    const cJSON *cur =
        cJSON_GetObjectItemCaseSensitive(item, path->elems[0].name);
    for (size_t i = 1; cur && i < path->len; i++) {
        const ddb__path_elem *e = &path->elems[i];
        ddb_type t = ddb_value_type(cur);
        const cJSON *payload = ddb_value_payload(cur);
        if (e->is_index)
            cur =
                t == DDB_L ? cJSON_GetArrayItem(payload, (int)e->index) : NULL;
        else
            cur = t == DDB_M
                      ? cJSON_GetObjectItemCaseSensitive(payload, e->name)
                      : NULL;
    }
    return cur;
}

int ddb__path_cmp(const ddb__path *a, const ddb__path *b)
{
    size_t n = a->len < b->len ? a->len : b->len;
    for (size_t i = 0; i < n; i++) {
        const ddb__path_elem *x = &a->elems[i], *y = &b->elems[i];
        if (x->is_index != y->is_index)
            return x->is_index ? 1 : -1;
        int c = x->is_index ? (x->index > y->index) - (x->index < y->index)
                            : strcmp(x->name, y->name);
        if (c != 0)
            return c;
    }
    return (a->len > b->len) - (a->len < b->len);
}

static int ddb__path_ptr_cmp(const void *a, const void *b)
{
    return ddb__path_cmp(*(const ddb__path *const *)a,
                         *(const ddb__path *const *)b);
}

/* The last source index appended to a projected list. */
typedef struct ddb__list_slot {
    cJSON *list;
    long index;
} ddb__list_slot;

cJSON *ddb__project(const ddb__path *const *paths, size_t n, const cJSON *item)
{
    cJSON *out = cJSON_CreateObject();
    if (n == 0)
        return out;

    /*
     * Sorted paths visit list indexes in ascending order and keep paths
     * that share a prefix together, so list elements are appended in
     * source order and a repeated index reuses the element just added.
     */
    const ddb__path **sorted = xmalloc(sizeof *sorted * n);
    memcpy(sorted, paths, sizeof *sorted * n);
    qsort(sorted, n, sizeof *sorted, ddb__path_ptr_cmp);
    ddb__list_slot *slots = NULL;
    size_t nslots = 0;

    for (size_t i = 0; i < n; i++) {
        const ddb__path *path = sorted[i];
        const cJSON *value = ddb__path_get(path, item);
        if (!value)
            continue;

        /* `parent` is the payload (object or array) the next step goes in. */
        cJSON *parent = out;
        for (size_t k = 0; k < path->len; k++) {
            const ddb__path_elem *e = &path->elems[k];
            int last = k + 1 == path->len;
            cJSON *child = NULL;

            if (e->is_index) {
                ddb__list_slot *slot = NULL;
                for (size_t s = 0; s < nslots; s++)
                    if (slots[s].list == parent)
                        slot = &slots[s];
                if (slot && slot->index == e->index) {
                    child = cJSON_GetArrayItem(parent,
                                               cJSON_GetArraySize(parent) - 1);
                } else {
                    if (!slot) {
                        slots = xrealloc(slots, sizeof *slots * (nslots + 1));
                        slot = &slots[nslots++];
                        slot->list = parent;
                    }
                    slot->index = e->index;
                }
                if (!child) {
                    child =
                        last ? cJSON_Duplicate(value, 1) : cJSON_CreateObject();
                    cJSON_AddItemToArray(parent, child);
                }
            } else {
                child = cJSON_GetObjectItemCaseSensitive(parent, e->name);
                if (!child) {
                    child =
                        last ? cJSON_Duplicate(value, 1) : cJSON_CreateObject();
                    cJSON_AddItemToObject(parent, e->name, child);
                }
            }
            if (last)
                break;

            /* Give an intermediate value its container for the next step. */
            int next_is_index = path->elems[k + 1].is_index;
            const char *type = next_is_index ? "L" : "M";
            cJSON *payload = cJSON_GetObjectItemCaseSensitive(child, type);
            if (!payload) {
                payload =
                    next_is_index ? cJSON_CreateArray() : cJSON_CreateObject();
                cJSON_AddItemToObject(child, type, payload);
            }
            parent = payload;
        }
    }
    free(slots);
    free(sorted);
    return out;
}

cJSON *ddb_expr_project(const ddb_expr *e, const cJSON *item)
{
    const ddb__path **paths = xmalloc(sizeof *paths * (e->npaths + 1));
    for (size_t i = 0; i < e->npaths; i++)
        paths[i] = &e->paths[i];
    cJSON *out = ddb__project(paths, e->npaths, item);
    free(paths);
    return out;
}

cJSON *ddb_expr_updated_attributes(const ddb_expr *e, const cJSON *item)
{
    const ddb__path **paths = xmalloc(sizeof *paths * (e->nactions + 1));
    for (size_t i = 0; i < e->nactions; i++)
        paths[i] = &e->actions[i].path;
    cJSON *out = ddb__project(paths, e->nactions, item);
    free(paths);
    return out;
}

int ddb_expr_touches_attribute(const ddb_expr *e, const char *name)
{
    for (size_t i = 0; i < e->nactions; i++) {
        const ddb__path_elem *first = &e->actions[i].path.elems[0];
        if (!first->is_index && strcmp(first->name, name) == 0)
            return 1;
    }
    return 0;
}

/* ---- conditions ------------------------------------------------------- */

/* Length of a UTF-8 string in characters. */
static size_t ddb__utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

/*
 * The value of an operand in `item`, or NULL when a path is absent or size()
 * does not apply. size() builds a new value returned through `*tmp`, which
 * the caller frees.
 */
static const cJSON *ddb__operand(const ddb__node *n, const cJSON *item,
                                 cJSON **tmp)
{
    *tmp = NULL;
    if (n->kind == DDB__VALUE)
        return n->value;
    if (n->kind == DDB__PATH)
        return ddb__path_get(&n->path, item);
    if (n->kind != DDB__FUNC || n->func != DDB__FN_SIZE)
        return NULL;

    cJSON *inner_tmp;
    const cJSON *v = ddb__operand(n->args[0], item, &inner_tmp);
    const cJSON *payload = ddb_value_payload(v);
    long size = -1;
    switch (ddb_value_type(v)) {
    case DDB_S:
        size = (long)ddb__utf8_chars(payload->valuestring);
        break;
    case DDB_B: {
        size_t len;
        unsigned char *bytes = ddb_base64_decode(payload->valuestring, &len);
        if (bytes)
            size = (long)len;
        free(bytes);
        break;
    }
    case DDB_SS:
    case DDB_NS:
    case DDB_BS:
    case DDB_L:
    case DDB_M:
        size = cJSON_GetArraySize(payload);
        break;
    default:
        break;
    }
    cJSON_Delete(inner_tmp);
    if (size < 0)
        return NULL;

    char text[32];
    snprintf(text, sizeof text, "%ld", size);
    *tmp = cJSON_CreateObject();
    cJSON_AddStringToObject(*tmp, "N", text);
    return *tmp;
}

static int ddb__compare(const cJSON *a, const cJSON *b, ddb__cmp op)
{
    if (!a || !b)
        return op == DDB__NE;
    if (op == DDB__EQ)
        return ddb_value_equal(a, b);
    if (op == DDB__NE)
        return !ddb_value_equal(a, b);

    int c;
    if (ddb_value_compare(a, b, &c) < 0)
        return 0;
    switch (op) {
    case DDB__LT:
        return c < 0;
    case DDB__LE:
        return c <= 0;
    case DDB__GT:
        return c > 0;
    case DDB__GE:
        return c >= 0;
    default:
        return 0;
    }
}

static int ddb__bytes_find(const unsigned char *hay, size_t nh,
                           const unsigned char *needle, size_t nn)
{
    if (nn == 0)
        return 1;
    for (size_t i = 0; i + nn <= nh; i++)
        if (memcmp(hay + i, needle, nn) == 0)
            return 1;
    return 0;
}

static int ddb__begins_with(const cJSON *a, const cJSON *b)
{
    ddb_type t = ddb_value_type(a);
    if (!a || !b || t != ddb_value_type(b) || (t != DDB_S && t != DDB_B))
        return 0;
    const char *x = ddb_value_payload(a)->valuestring;
    const char *y = ddb_value_payload(b)->valuestring;
    if (t == DDB_S)
        return strncmp(x, y, strlen(y)) == 0;

    size_t nx, ny;
    unsigned char *bx = ddb_base64_decode(x, &nx);
    unsigned char *by = ddb_base64_decode(y, &ny);
    int r = bx && by && ny <= nx && memcmp(bx, by, ny) == 0;
    free(bx);
    free(by);
    return r;
}

static int ddb__contains(const cJSON *a, const cJSON *b)
{
    if (!a || !b)
        return 0;
    ddb_type ta = ddb_value_type(a), tb = ddb_value_type(b);
    const cJSON *pa = ddb_value_payload(a), *pb = ddb_value_payload(b);

    if (ta == DDB_S && tb == DDB_S)
        return strstr(pa->valuestring, pb->valuestring) != NULL;
    if (ta == DDB_B && tb == DDB_B) {
        size_t nx, ny;
        unsigned char *bx = ddb_base64_decode(pa->valuestring, &nx);
        unsigned char *by = ddb_base64_decode(pb->valuestring, &ny);
        int r = bx && by && ddb__bytes_find(bx, nx, by, ny);
        free(bx);
        free(by);
        return r;
    }
    if ((ta == DDB_SS && tb == DDB_S) || (ta == DDB_BS && tb == DDB_B)) {
        for (const cJSON *e = pa->child; e; e = e->next)
            if (cJSON_IsString(e) &&
                strcmp(e->valuestring, pb->valuestring) == 0)
                return 1;
        return 0;
    }
    if (ta == DDB_NS && tb == DDB_N) {
        for (const cJSON *e = pa->child; e; e = e->next)
            if (cJSON_IsString(e) &&
                ddb_number_cmp(e->valuestring, pb->valuestring) == 0)
                return 1;
        return 0;
    }
    if (ta == DDB_L) {
        for (const cJSON *e = pa->child; e; e = e->next)
            if (ddb_value_equal(e, b))
                return 1;
    }
    return 0;
}

static int ddb__eval(const ddb__node *n, const cJSON *item)
{
    cJSON *t0 = NULL, *t1 = NULL, *t2 = NULL;
    const cJSON *a, *b, *c;
    int r = 0;

    switch (n->kind) {
    case DDB__AND:
        for (size_t i = 0; i < n->nargs; i++)
            if (!ddb__eval(n->args[i], item))
                return 0;
        return 1;
    case DDB__OR:
        for (size_t i = 0; i < n->nargs; i++)
            if (ddb__eval(n->args[i], item))
                return 1;
        return 0;
    case DDB__NOT:
        return !ddb__eval(n->args[0], item);
    case DDB__CMP:
        a = ddb__operand(n->args[0], item, &t0);
        b = ddb__operand(n->args[1], item, &t1);
        r = ddb__compare(a, b, n->cmp);
        break;
    case DDB__BETWEEN:
        a = ddb__operand(n->args[0], item, &t0);
        b = ddb__operand(n->args[1], item, &t1);
        c = ddb__operand(n->args[2], item, &t2);
        r = ddb__compare(a, b, DDB__GE) && ddb__compare(a, c, DDB__LE);
        break;
    case DDB__IN:
        a = ddb__operand(n->args[0], item, &t0);
        for (size_t i = 1; a && i < n->nargs && !r; i++) {
            b = ddb__operand(n->args[i], item, &t1);
            r = ddb_value_equal(a, b);
            cJSON_Delete(t1);
            t1 = NULL;
        }
        break;
    case DDB__FUNC:
        a = ddb__operand(n->args[0], item, &t0);
        b = n->nargs > 1 ? ddb__operand(n->args[1], item, &t1) : NULL;
        switch (n->func) {
        case DDB__FN_ATTRIBUTE_EXISTS:
            r = a != NULL;
            break;
        case DDB__FN_ATTRIBUTE_NOT_EXISTS:
            r = a == NULL;
            break;
        case DDB__FN_ATTRIBUTE_TYPE:
            r = a && b && ddb_value_type(b) == DDB_S &&
                strcmp(ddb_type_name(ddb_value_type(a)),
                       ddb_value_payload(b)->valuestring) == 0;
            break;
        case DDB__FN_BEGINS_WITH:
            r = ddb__begins_with(a, b);
            break;
        case DDB__FN_CONTAINS:
            r = ddb__contains(a, b);
            break;
        default:
            r = 0;
        }
        break;
    default:
        r = 0;
    }
    cJSON_Delete(t0);
    cJSON_Delete(t1);
    cJSON_Delete(t2);
    return r;
}

int ddb_expr_eval(const ddb_expr *e, const cJSON *item, int *result,
                  aws_error *err)
{
    if (!e->root)
        return aws_fail(err, AWS_ERR_INTERNAL_SERVER_ERROR,
                        "expression of kind %d is not a condition", e->kind);
    *result = ddb__eval(e->root, item);
    return 0;
}

/* ---- updates ---------------------------------------------------------- */

static int ddb__invalid_path(aws_error *err)
{
    return aws_fail(err, AWS_ERR_VALIDATION,
                    "The document path provided in the update expression is "
                    "invalid for update");
}

static int ddb__wrong_type(aws_error *err)
{
    return aws_fail(err, AWS_ERR_VALIDATION,
                    "An operand in the update expression has an incorrect "
                    "data type");
}

/*
 * Compute a SET value against the item as it was before the update.
 * Returns a new value, or NULL with DynamoDB's error.
 */
static cJSON *ddb__set_value(const ddb__node *n, const cJSON *old,
                             aws_error *err)
{
    if (n->kind == DDB__VALUE)
        return cJSON_Duplicate(n->value, 1);
    if (n->kind == DDB__PATH) {
        const cJSON *v = ddb__path_get(&n->path, old);
        if (!v) {
            aws_fail(err, AWS_ERR_VALIDATION,
                     "The provided expression refers to an attribute that "
                     "does not exist in the item");
            return NULL;
        }
        return cJSON_Duplicate(v, 1);
    }
    if (n->kind == DDB__FUNC && n->func == DDB__FN_IF_NOT_EXISTS) {
        const cJSON *v = ddb__path_get(&n->args[0]->path, old);
        return v ? cJSON_Duplicate(v, 1) : ddb__set_value(n->args[1], old, err);
    }

    cJSON *a = ddb__set_value(n->args[0], old, err);
    if (!a)
        return NULL;
    cJSON *b = ddb__set_value(n->args[1], old, err);
    if (!b) {
        cJSON_Delete(a);
        return NULL;
    }

    cJSON *out = NULL;
    if (n->kind == DDB__FUNC && n->func == DDB__FN_LIST_APPEND) {
        if (ddb_value_type(a) != DDB_L || ddb_value_type(b) != DDB_L) {
            ddb__wrong_type(err);
        } else {
            cJSON *list = ddb_value_payload(a);
            cJSON *more = ddb_value_payload(b);
            while (more->child)
                cJSON_AddItemToArray(
                    list, cJSON_DetachItemViaPointer(more, more->child));
            out = a;
            a = NULL;
        }
    } else if (ddb_value_type(a) != DDB_N || ddb_value_type(b) != DDB_N) {
        ddb__wrong_type(err);
    } else {
        char sum[DDB_NUMBER_SIZE];
        if (ddb_number_add(ddb_value_payload(a)->valuestring,
                           ddb_value_payload(b)->valuestring,
                           n->kind == DDB__MINUS, sum, sizeof sum, err) == 0) {
            out = cJSON_CreateObject();
            cJSON_AddStringToObject(out, "N", sum);
        }
    }
    cJSON_Delete(a);
    cJSON_Delete(b);
    return out;
}

/*
 * The container (object of an M or array of an L, or the item itself) that
 * contains the last step of `path`, or NULL when the path cannot be written.
 */
static cJSON *ddb__parent(const ddb__path *path, cJSON *item)
{
    if (path->len == 1)
        return path->elems[0].is_index ? NULL : item;

    ddb__path prefix = {path->elems, path->len - 1};
    cJSON *holder = (cJSON *)ddb__path_get(&prefix, item);
    const char *type = path->elems[path->len - 1].is_index ? "L" : "M";
    return holder && ddb_value_type(holder) != DDB_INVALID
               ? cJSON_GetObjectItemCaseSensitive(holder, type)
               : NULL;
}

static cJSON *ddb__child(cJSON *parent, const ddb__path_elem *e)
{
    if (e->is_index)
        return cJSON_IsArray(parent) ? cJSON_GetArrayItem(parent, (int)e->index)
                                     : NULL;
    return cJSON_GetObjectItemCaseSensitive(parent, e->name);
}

/* Put `value` (taken) at the last step of a path inside `parent`. */
static void ddb__put(cJSON *parent, const ddb__path_elem *e, cJSON *value)
{
    if (!e->is_index) {
        if (cJSON_GetObjectItemCaseSensitive(parent, e->name))
            cJSON_ReplaceItemInObjectCaseSensitive(parent, e->name, value);
        else
            cJSON_AddItemToObject(parent, e->name, value);
        return;
    }
    /* An index past the end appends, as DynamoDB does. */
    if (e->index < cJSON_GetArraySize(parent))
        cJSON_ReplaceItemInArray(parent, (int)e->index, value);
    else
        cJSON_AddItemToArray(parent, value);
}

static void ddb__remove(cJSON *parent, const ddb__path_elem *e)
{
    if (e->is_index) {
        if (e->index < cJSON_GetArraySize(parent))
            cJSON_DeleteItemFromArray(parent, (int)e->index);
    } else {
        cJSON_DeleteItemFromObjectCaseSensitive(parent, e->name);
    }
}

static int ddb__set_contains(const cJSON *set, const char *member, int numeric)
{
    for (const cJSON *e = set->child; e; e = e->next)
        if (numeric ? ddb_number_cmp(e->valuestring, member) == 0
                    : strcmp(e->valuestring, member) == 0)
            return 1;
    return 0;
}

static int ddb__apply_add(cJSON *parent, const ddb__path_elem *last,
                          const cJSON *value, aws_error *err)
{
    cJSON *cur = ddb__child(parent, last);
    ddb_type t = ddb_value_type(value);
    if (!cur) {
        ddb__put(parent, last, cJSON_Duplicate(value, 1));
        return 0;
    }
    if (ddb_value_type(cur) != t)
        return ddb__wrong_type(err);

    if (t == DDB_N) {
        char sum[DDB_NUMBER_SIZE];
        if (ddb_number_add(ddb_value_payload(cur)->valuestring,
                           ddb_value_payload(value)->valuestring, 0, sum,
                           sizeof sum, err) < 0)
            return -1;
        cJSON_SetValuestring(ddb_value_payload(cur), sum);
        return 0;
    }

    cJSON *set = ddb_value_payload(cur);
    for (const cJSON *m = ddb_value_payload(value)->child; m; m = m->next)
        if (!ddb__set_contains(set, m->valuestring, t == DDB_NS))
            cJSON_AddItemToArray(set, cJSON_CreateString(m->valuestring));
    return 0;
}

static int ddb__apply_delete(cJSON *parent, const ddb__path_elem *last,
                             const cJSON *value, aws_error *err)
{
    cJSON *cur = ddb__child(parent, last);
    ddb_type t = ddb_value_type(value);
    if (!cur)
        return 0;
    if (ddb_value_type(cur) != t)
        return ddb__wrong_type(err);

    cJSON *set = ddb_value_payload(cur);
    const cJSON *remove = ddb_value_payload(value);
    cJSON *m = set->child;
    while (m) {
        cJSON *next = m->next;
        if (ddb__set_contains(remove, m->valuestring, t == DDB_NS))
            cJSON_Delete(cJSON_DetachItemViaPointer(set, m));
        m = next;
    }
    /* DynamoDB has no empty sets: removing the last member removes it. */
    if (!set->child)
        ddb__remove(parent, last);
    return 0;
}

static int ddb__remove_order(const void *a, const void *b)
{
    return -ddb__path_cmp(&(*(const ddb__action *const *)a)->path,
                          &(*(const ddb__action *const *)b)->path);
}

int ddb_expr_update(const ddb_expr *e, cJSON *item, aws_error *err)
{
    if (e->kind != DDB_EXPR_UPDATE)
        return aws_fail(err, AWS_ERR_INTERNAL_SERVER_ERROR,
                        "expression of kind %d is not an update", e->kind);

    /* Every operand reads the item as it was before this update. */
    cJSON *old = cJSON_Duplicate(item, 1);
    cJSON **values = xcalloc(e->nactions + 1, sizeof *values);
    const ddb__action **removes = xmalloc(sizeof *removes * (e->nactions + 1));
    size_t nremoves = 0;
    int rc = 0;

    for (size_t i = 0; i < e->nactions && rc == 0; i++)
        if (e->actions[i].kind == DDB__SET &&
            !(values[i] = ddb__set_value(e->actions[i].value, old, err)))
            rc = -1;

    for (size_t i = 0; i < e->nactions && rc == 0; i++) {
        const ddb__action *a = &e->actions[i];
        if (a->kind == DDB__REMOVE) {
            removes[nremoves++] = a;
            continue;
        }
        cJSON *parent = ddb__parent(&a->path, item);
        if (!parent) {
            rc = ddb__invalid_path(err);
            break;
        }
        const ddb__path_elem *last = &a->path.elems[a->path.len - 1];
        if (a->kind == DDB__SET) {
            ddb__put(parent, last, values[i]);
            values[i] = NULL;
        } else if (a->kind == DDB__ADD) {
            rc = ddb__apply_add(parent, last, a->value->value, err);
        } else {
            rc = ddb__apply_delete(parent, last, a->value->value, err);
        }
    }

    /* Higher list indexes first, so each index names its original element. */
    qsort(removes, nremoves, sizeof *removes, ddb__remove_order);
    for (size_t i = 0; i < nremoves && rc == 0; i++) {
        const ddb__path *path = &removes[i]->path;
        cJSON *parent = ddb__parent(path, item);
        if (!parent) {
            if (path->len > 1 && !ddb__parent(path, old))
                rc = ddb__invalid_path(err);
            continue;
        }
        ddb__remove(parent, &path->elems[path->len - 1]);
    }

    for (size_t i = 0; i < e->nactions; i++)
        cJSON_Delete(values[i]);
    free(values);
    free(removes);
    cJSON_Delete(old);
    return rc;
}

/* ---- key conditions --------------------------------------------------- */

static const ddb__key_part *ddb__key_find(const ddb_expr *e, const char *name)
{
    for (size_t i = 0; i < e->nkeys; i++)
        if (strcmp(e->keys[i].attr, name) == 0)
            return &e->keys[i];
    return NULL;
}

int ddb_expr_key_condition(const ddb_expr *e, const char *hash_name,
                           const char *range_name, ddb_key_cond *out,
                           aws_error *err)
{
    static const char not_supported[] = "Query key condition not supported";
    memset(out, 0, sizeof *out);
    size_t nconds = e->nkeys + (size_t)e->key_extra;

    if (!range_name && nconds > 1)
        return aws_fail(err, AWS_ERR_VALIDATION, not_supported);

    const ddb__key_part *hash = ddb__key_find(e, hash_name);
    if (!hash)
        return aws_fail(err, AWS_ERR_VALIDATION,
                        "Query condition missed key schema element: %s",
                        hash_name);
    if (hash->op != DDB_KEY_EQ)
        return aws_fail(err, AWS_ERR_VALIDATION, not_supported);
    out->hash_value = hash->v1;
    out->range_op = DDB_KEY_NONE;
    if (!range_name)
        return 0;

    const ddb__key_part *range = ddb__key_find(e, range_name);
    if (!range) {
        if (nconds > 1)
            return aws_fail(err, AWS_ERR_VALIDATION,
                            "Query condition missed key schema element: %s",
                            range_name);
        return 0;
    }
    /* NOTE: a third key condition is rejected; DynamoDB's text is assumed. */
    if (e->key_extra)
        return aws_fail(err, AWS_ERR_VALIDATION, not_supported);
    out->range_op = range->op;
    out->range_value = range->v1;
    out->range_value2 = range->v2;
    return 0;
}

int ddb_key_cond_check_types(const ddb_key_cond *kc, ddb_type hash_type,
                             ddb_type range_type, aws_error *err)
{
    int ok = ddb_value_type(kc->hash_value) == hash_type;
    if (kc->range_op != DDB_KEY_NONE) {
        ok = ok && ddb_value_type(kc->range_value) == range_type;
        if (kc->range_value2)
            ok = ok && ddb_value_type(kc->range_value2) == range_type;
    }
    if (ok)
        return 0;
    return aws_fail(err, AWS_ERR_VALIDATION,
                    "One or more parameter values were invalid: Condition "
                    "parameter type does not match schema type");
}
