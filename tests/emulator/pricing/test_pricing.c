/*
 * test_pricing.c: the Pokémon TCG API stand-in: query parsing and
 * matching, paging, errors, and the API_CACHE seed items that go with
 * the fixture cards.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "pricing.h"
#include "ts.h"

#define FIXTURES STRATUS_SOURCE_DIR "/fixtures/"

static const char *str(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static double num(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

/* GET the card search with `query`; returns the parsed body. */
static cJSON *search(const char *query, int *status)
{
    http_request req = {
        .method = "GET",
        .path = PRICING_CARDS_PATH,
        .query = query,
        .remote_addr = "127.0.0.1",
    };
    http_response resp;
    http_response_init(&resp);
    cr_assert_eq(pricing_handle(NULL, &req, &resp), 1);
    *status = resp.status;
    cJSON *out = cJSON_ParseWithLength(resp.body, resp.body_len);
    cr_assert_not_null(out, "not JSON: %.*s", (int)resp.body_len, resp.body);
    http_response_cleanup(&resp);
    return out;
}

static int total(const cJSON *out)
{
    return (int)num(out, "totalCount");
}

Test(pricing, name_and_set_query)
{
    int status;
    /* As the CollectIQ adapter encodes it: name:"..." set.name:"..." */
    cJSON *out = search("q=name%3A%22Pikachu%20ex%22%20set.name%3A%22Genetic%"
                        "20Apex%22&pageSize=10",
                        &status);
    cr_assert_eq(status, 200);
    cr_assert_eq(total(out), 2);
    cr_assert_eq(num(out, "pageSize"), 10);
    cr_assert_eq(num(out, "page"), 1);
    cr_assert_eq(num(out, "count"), 2);
    const cJSON *card =
        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(out, "data"), 0);
    cr_assert_str_eq(str(card, "name"), "Pikachu ex");
    cr_assert_str_eq(str(cJSON_GetObjectItemCaseSensitive(card, "set"), "name"),
                     "Genetic Apex");
    const cJSON *holo = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(card, "tcgplayer"), "prices"),
        "holofoil");
    cr_assert_gt(num(holo, "market"), 0);
    cr_assert_gt(
        num(cJSON_GetObjectItemCaseSensitive(
                cJSON_GetObjectItemCaseSensitive(card, "cardmarket"), "prices"),
            "trendPrice"),
        0);
    cJSON_Delete(out);
}

Test(pricing, query_forms)
{
    static const struct {
        const char *query;
        int total;
    } cases[] = {
        {"q=name:%22Pikachu%20ex%22", 3},
        {"q=name:Pikachu+ex", 3}, /* the adapter's unquoted second try */
        {"q=name:pikachu", 3},
        {"q=!name:Pikachu", 0},
        {"q=!name:%22pikachu%20EX%22", 3},
        {"q=name:Char*", 2},
        {"q=name:Char", 0},
        {"q=set.name:%22Shining%20Revelry%22", 2},
        {"q=name:Charmander%20rarity:Shiny", 1},
        {"q=name:Mewtwo", 0},
        {"q=", 5},
        {"", 5},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int status;
        cJSON *out = search(cases[i].query, &status);
        cr_assert_eq(status, 200, "%s", cases[i].query);
        cr_assert_eq(total(out), cases[i].total, "%s: %d cards", cases[i].query,
                     total(out));
        cJSON_Delete(out);
    }
}

Test(pricing, paging)
{
    int status;
    cJSON *out = search("q=name:Pikachu&pageSize=2&page=2", &status);
    cr_assert_eq(status, 200);
    cr_assert_eq(total(out), 3);
    cr_assert_eq(num(out, "count"), 1);
    cr_assert_eq(num(out, "page"), 2);
    cJSON_Delete(out);

    out = search("pageSize=1000", &status);
    cr_assert_eq(num(out, "pageSize"), PRICING_MAX_PAGE_SIZE);
    cJSON_Delete(out);
}

Test(pricing, bad_requests)
{
    static const char *queries[] = {
        "q=name:%22Pikachu",
        "q=(name:a%20OR%20name:b)",
        "q=name:a%20OR%20b",
        "pageSize=0",
        "page=x",
    };
    for (size_t i = 0; i < sizeof queries / sizeof *queries; i++) {
        int status;
        cJSON *out = search(queries[i], &status);
        cr_assert_eq(status, 400, "%s", queries[i]);
        const cJSON *error = cJSON_GetObjectItemCaseSensitive(out, "error");
        cr_assert_neq(str(error, "message")[0], '\0', "%s", queries[i]);
        cr_assert_eq(num(error, "code"), 400);
        cJSON_Delete(out);
    }
}

Test(pricing, other_paths_and_methods)
{
    http_request other = {
        .method = "GET", .path = "/_stratus/pokemontcg/v2/sets", .query = ""};
    http_response resp;
    http_response_init(&resp);
    cr_assert_eq(pricing_handle(NULL, &other, &resp), 0);
    other.path = PRICING_CARDS_PATH;
    other.method = "POST";
    cr_assert_eq(pricing_handle(NULL, &other, &resp), 1);
    cr_assert_eq(resp.status, 405);
    http_response_cleanup(&resp);
}

/* One API_CACHE item per fixture card, keyed as the pricing cache keys
 * it: PRICE#<lower(trim(name))>|<lower(trim(set))>. */
Test(pricing, api_cache_items_match_cards)
{
    cJSON *cards = ts_load_json(FIXTURES "cards/cards.json", 0);
    cJSON *items = ts_load_json(FIXTURES "pricing/api-cache.json", 0);
    cr_assert_not_null(cards);
    cr_assert_not_null(items);
    cr_assert_eq(
        cJSON_GetArraySize(items),
        cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(cards, "cards")));
    const cJSON *card;
    cJSON_ArrayForEach(card, cJSON_GetObjectItemCaseSensitive(cards, "cards"))
    {
        char sk[256];
        snprintf(sk, sizeof sk, "PRICE#%s|%s", str(card, "name"),
                 str(card, "setName"));
        for (char *p = sk + 6; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        const cJSON *found = NULL, *item;
        cJSON_ArrayForEach(item, items)
        {
            if (strcmp(str(cJSON_GetObjectItemCaseSensitive(item, "SK"), "S"),
                       sk) == 0)
                found = item;
        }
        cr_assert_not_null(found, "no API_CACHE item %s", sk);
        cr_assert_str_eq(
            str(cJSON_GetObjectItemCaseSensitive(found, "PK"), "S"),
            "API_CACHE");
        cr_assert_str_eq(
            str(cJSON_GetObjectItemCaseSensitive(found, "cacheKey"), "S"),
            sk + 6);
        const char *ttl =
            str(cJSON_GetObjectItemCaseSensitive(found, "ttl"), "N");
        cr_assert_gt(atof(ttl), 4.0e9, "ttl %s is not far ahead", ttl);
        const cJSON *comps = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(found, "rawComps"), "L");
        cr_assert_gt(cJSON_GetArraySize(comps), 0);
        const cJSON *comp;
        cJSON_ArrayForEach(comp, comps)
        {
            const cJSON *m = cJSON_GetObjectItemCaseSensitive(comp, "M");
            static const char *fields[] = {"source", "currency", "condition",
                                           "soldDate", "listingUrl"};
            for (size_t f = 0; f < 5; f++)
                cr_assert_not_null(
                    cJSON_GetObjectItemCaseSensitive(
                        cJSON_GetObjectItemCaseSensitive(m, fields[f]), "S"),
                    "%s lacks %s", sk, fields[f]);
            cr_assert_gt(
                atof(str(cJSON_GetObjectItemCaseSensitive(m, "price"), "N")),
                0);
        }
    }
    cJSON_Delete(cards);
    cJSON_Delete(items);
}
