/*
 * fuzz_pricing_query.c: libFuzzer driver for the pricing stand-in's query
 * handling. The input is used as a whole query string (percent-decoding,
 * page and pageSize, the q parser, matching against the fixture cards)
 * and as a q value searched over two cards in memory.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "pricing.h"

static const char cards_json[] =
    "[{\"id\":\"a1-96\",\"name\":\"Pikachu ex\",\"number\":\"96\","
    "\"set\":{\"name\":\"Genetic Apex\"}},"
    "{\"id\":\"a2b-99\",\"name\":\"Charmander\",\"number\":\"99\","
    "\"set\":{\"name\":\"Shining Revelry\"},\"rarity\":\"Shiny\"}]";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';

    char errbuf[256];
    cJSON *cards = cJSON_Parse(cards_json);
    cJSON *found = pricing_search(cards, text, errbuf, sizeof errbuf);
    cJSON_Delete(found);
    cJSON_Delete(cards);

    http_request req = {
        .method = "GET",
        .path = PRICING_CARDS_PATH,
        .query = text,
        .remote_addr = "127.0.0.1",
    };
    http_response resp;
    http_response_init(&resp);
    pricing_handle(NULL, &req, &resp);
    http_response_cleanup(&resp);
    free(text);
    return 0;
}
