/*
 * evb_index.h: an index of the rules of one event bus, so that matching an
 * event does not cost time linear in the number of rules.
 *
 * Each rule is filed under the (field path, value) pairs of one of the
 * index keys of its pattern (evb_pattern_index_keys): a field of exact
 * strings, or of exact strings and prefixes. Of those, the rule goes under
 * the key whose buckets hold the fewest rules when it is added, so rules
 * that share one exact field (CollectIQ's detail-type) spread over their
 * other fields. An event looks up its string leaves, and for paths that
 * have prefix keys each leading part of those leaves, and only the rules
 * it finds, plus the rules without an index key, are verified with the
 * full matcher. Rules whose only such fields sit inside $or, or that use
 * only other operators (suffix, numeric and so on), are always verified.
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
