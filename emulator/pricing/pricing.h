/*
 * pricing.h: a stand-in for the Pokémon TCG API's card search
 * (api.pokemontcg.io v2), served by Stratus at
 * GET /_stratus/pokemontcg/v2/cards from the fixtures in fixtures/pricing/.
 */
#ifndef STRATUS_PRICING_H
#define STRATUS_PRICING_H

#include <cjson/cJSON.h>

#include "http.h"

struct stratus;

#define PRICING_CARDS_PATH "/_stratus/pokemontcg/v2/cards"

/* Largest and default pageSize, as the real API documents them. */
#define PRICING_MAX_PAGE_SIZE 250

/*
 * Serve a card search. Returns 1 when `req` is for PRICING_CARDS_PATH and
 * `resp` is filled, 0 for any other path.
 */
int pricing_handle(struct stratus *srv, const http_request *req,
                   http_response *resp);

/*
 * Search `cards` (an array of v2 card objects) with the query `q` and
 * return a new array of the matching cards, in their order. Returns NULL
 * with a message in `errbuf` when `q` cannot be parsed.
 */
cJSON *pricing_search(const cJSON *cards, const char *q, char *errbuf,
                      size_t errsize);

#endif
