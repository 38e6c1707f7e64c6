/*
 * sfn_path.h: JSONPath as the Amazon States Language uses it.
 *
 * Two syntaxes exist. A reference path (ResultPath, ItemsPath, Choice
 * Variable) selects one node with names and indexes only: `$.a.b`, `$.a[0]`,
 * `$['a b']`. A general path (InputPath, OutputPath, `.$` values of
 * Parameters, ItemSelector and ResultSelector) also allows the Jayway
 * JsonPath operators AWS accepts there: `*`, `..` (deep scan), slices
 * `[1:3]`, unions `[0,2]` / `['a','b']` and filters `[?(@.price < 10)]`.
 * A path that starts with `$$` reads the context object instead of the
 * state input.
 *
 * A definite path (names and single indexes only) yields the node itself.
 * An indefinite one yields an array of every match, possibly empty, as
 * Jayway does. Misses on a definite path are described with Jayway's texts,
 * which AWS quotes in its States.Runtime causes: "No results for path: $['a']"
 * for a missing leaf, "Missing property in path $['a']" for a missing parent.
 *
 * Not supported: Jayway functions (`length()`, `sum()`), regex filters
 * (`=~`) and the `in`/`nin`/`subsetof` filter operators; a path using them
 * is a syntax error, or for `name()` a name that never matches.
 */
#ifndef STRATUS_SFN_PATH_H
#define STRATUS_SFN_PATH_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "sfn_error.h"

typedef enum sfn_path_syntax {
    SFN_PATH_GENERAL,  /* full JSONPath as Jayway parses it */
    SFN_PATH_REFERENCE /* names and single indexes only */
} sfn_path_syntax;

typedef enum sfn_path_result {
    SFN_PATH_FOUND,            /* the node (or the array of matches) */
    SFN_PATH_NO_RESULTS,       /* a definite path whose leaf is missing */
    SFN_PATH_MISSING_PROPERTY, /* a definite path whose parent is missing */
    SFN_PATH_INVALID           /* a syntax error */
} sfn_path_result;

typedef struct sfn_path sfn_path;

/*
 * Parse `text`. Returns the path, or NULL with the reason in `err` (when
 * not NULL). The caller frees the path with sfn_path_free().
 */
sfn_path *sfn_path_parse(const char *text, sfn_path_syntax syntax, char *err,
                         size_t err_len);
void sfn_path_free(sfn_path *path);

/* The text the path was parsed from. */
const char *sfn_path_text(const sfn_path *path);
/* True for a `$$` path, which reads the context object. */
bool sfn_path_is_context(const sfn_path *path);
/* True when the path can select at most one node. */
bool sfn_path_is_definite(const sfn_path *path);

/*
 * Evaluate `path` on `input`, or on `context` for a `$$` path (a NULL
 * document is treated as null). On SFN_PATH_FOUND `*out` receives a new tree
 * the caller owns. Otherwise `*out` is NULL and `detail` (when not NULL)
 * receives Jayway's description of the miss.
 */
sfn_path_result sfn_path_eval(const sfn_path *path, const cJSON *input,
                              const cJSON *context, cJSON **out, char *detail,
                              size_t detail_len);

/* Parse and evaluate in one call; a syntax error is SFN_PATH_INVALID with
 * the reason in `detail`. */
sfn_path_result sfn_path_query(const char *text, sfn_path_syntax syntax,
                               const cJSON *input, const cJSON *context,
                               cJSON **out, char *detail, size_t detail_len);

/*
 * Store `value` at the reference path `text` inside `*doc`, as ResultPath
 * does: `$` replaces the whole document, missing parent objects are created,
 * and an existing member or in-range array element is replaced. Takes
 * ownership of `value` in every case. Returns true with `*doc` updated (it
 * may be a new root). Returns false with `*doc` unchanged and `failure`
 * filled (States.ResultPathMatchFailure) when a parent is not an object, an
 * index is out of range, or the path is not a reference path.
 */
bool sfn_path_assign(cJSON **doc, const char *text, cJSON *value,
                     sfn_failure *failure);

/* Render `item` as compact JSON into a new string the caller frees, as AWS
 * quotes inputs inside causes. */
char *sfn_json_compact(const cJSON *item);

/*
 * Compare two JSON values for equality: numbers by value, objects member by
 * member regardless of order, arrays element by element.
 */
bool sfn_json_equal(const cJSON *a, const cJSON *b);

#endif
