/*
 * evb_index.h: an index of the rules of one event bus, so that matching an
 * event does not cost time linear in the number of rules.
 *
 * Each rule is filed under the (field path, exact string value) pairs of
 * its most selective exact field, as evb_pattern_index_key chooses it. An
 * event looks up its own string leaves in that table, and only the rules it
 * finds there, plus the rules without such a field, are verified with the
 * full matcher. Rules whose only exact fields sit inside $or, or that use
 * only other operators (prefix, numeric and so on), are always verified.
 */
#ifndef STRATUS_EVB_INDEX_H
#define STRATUS_EVB_INDEX_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "evb_pattern.h"

typedef struct evb_index evb_index;

/* Called once for each matching rule, in the order the rules were added. */
typedef void (*evb_index_match_fn)(void *rule, void *arg);

evb_index *evb_index_create(void);

/* Free the index; the patterns and rule handles stay with the caller. */
void evb_index_destroy(evb_index *index);

/*
 * Add `rule` (an opaque handle, reported on a match) with its compiled
 * `pattern`. Both are borrowed and must stay valid until the rule is
 * removed or the index destroyed.
 */
void evb_index_add(evb_index *index, const evb_pattern *pattern, void *rule);

/* Remove `rule`; returns 0, or -1 when the index does not contain it. */
int evb_index_remove(evb_index *index, void *rule);

/* The number of rules in the index. */
size_t evb_index_size(const evb_index *index);

/*
 * Call `fn(rule, arg)` for each rule whose pattern matches the flattened
 * event `flat` (from evb_event_create), and return how many matched. `fn`
 * may be NULL. Matching does not modify the index, so concurrent readers
 * are safe while no thread adds or removes rules.
 */
size_t evb_index_match(const evb_index *index, const evb_event *flat,
                       evb_index_match_fn fn, void *arg);

#endif
