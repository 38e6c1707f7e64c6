// pricing.mjs: market prices for a card. The DynamoDB API cache is read
// first (PK=API_CACHE, SK=PRICE#<name>|<set>); on a miss the Pokémon TCG API
// (POKEMONTCG_API_URL) is queried under a rate limiter, with retries and a
// circuit breaker, the comparable sales are cached for a day, and they are
// reduced to low/median/high values.

import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { logger } from './log.mjs';
import { putMetric } from './metrics.mjs';
import { documentClient, envNumber, secretsClient, sleep } from './task-clients.mjs';

export const DEFAULT_POKEMONTCG_API_URL = 'https://api.pokemontcg.io/v2/cards';
export const API_KEY_SECRET_ID = 'collectiq-hackathon/tcgplayer-api-keys';
export const SOURCE_NAME = 'PokemonTCG';
export const NO_DATA_MESSAGE = 'No pricing data available from any source';

const CACHE_TTL_SECONDS = 86400;
const SECRET_CACHE_MS = 5 * 60 * 1000;
const TCGPLAYER_VARIANTS = [
  'holofoil',
  'reverseHolofoil',
  'normal',
  '1stEditionHolofoil',
  '1stEditionNormal',
  'unlimitedHolofoil',
];

// ---- API cache -----------------------------------------------------------

// Sort key of the cache item: trimmed, lower-cased name and set, with
// 'unknown' for an empty set.
export function cacheSortKey(name, set) {
  const normalisedName = String(name ?? '').trim().toLowerCase();
  const normalisedSet = String(set ?? '').trim().toLowerCase() || 'unknown';
  return `PRICE#${normalisedName}|${normalisedSet}`;
}

// Returns the cached rawComps, or null on a miss, an expired item (ttl in
// the past) or any DynamoDB error.
export async function readPriceCache(name, set) {
  const key = { PK: 'API_CACHE', SK: cacheSortKey(name, set) };
  try {
    const { Item } = await documentClient().send(
      new GetCommand({ TableName: process.env.DDB_TABLE, Key: key, ConsistentRead: false }),
    );
    if (!Item) return null;
    if (typeof Item.ttl === 'number' && Item.ttl < Math.floor(Date.now() / 1000)) {
      logger.info('Pricing cache entry expired', { cacheKey: key.SK });
      return null;
    }
    if (!Array.isArray(Item.rawComps) || Item.rawComps.length === 0) return null;
    return Item.rawComps;
  } catch (error) {
    logger.warn('Pricing cache read failed; treating as a miss', { cacheKey: key.SK, error });
    return null;
  }
}

// Stores rawComps for a day; errors are logged and swallowed.
export async function writePriceCache(name, set, rawComps) {
  const sortKey = cacheSortKey(name, set);
  const now = new Date();
  try {
    await documentClient().send(
      new PutCommand({
        TableName: process.env.DDB_TABLE,
        Item: {
          PK: 'API_CACHE',
          SK: sortKey,
          cacheKey: sortKey.slice('PRICE#'.length),
          rawComps,
          createdAt: now.toISOString(),
          ttl: Math.floor(now.getTime() / 1000) + CACHE_TTL_SECONDS,
        },
      }),
    );
  } catch (error) {
    logger.warn('Pricing cache write failed', { cacheKey: sortKey, error });
  }
}

// ---- Pokémon TCG API source ------------------------------------------------

// State that lives as long as the warm function instance, as in CollectIQ.
const rateWindow = [];
const breaker = { failures: 0, openedAt: 0 };
let apiKeyCache = { value: undefined, fetchedAt: 0 };

// Clears the rate limiter, circuit breaker and secret cache (for tests).
export function resetPricingState() {
  rateWindow.length = 0;
  breaker.failures = 0;
  breaker.openedAt = 0;
  apiKeyCache = { value: undefined, fetchedAt: 0 };
}

// The breaker opens after PRICING_CIRCUIT_THRESHOLD (5) failed fetches in a
// row and lets one request through again after PRICING_CIRCUIT_RESET_MS (60 s).
export function isCircuitOpen(now = Date.now()) {
  const threshold = envNumber('PRICING_CIRCUIT_THRESHOLD', 5);
  const resetMs = envNumber('PRICING_CIRCUIT_RESET_MS', 60000);
  return breaker.failures >= threshold && now - breaker.openedAt < resetMs;
}

function recordFetchFailure() {
  breaker.failures++;
  if (breaker.failures >= envNumber('PRICING_CIRCUIT_THRESHOLD', 5)) breaker.openedAt = Date.now();
}

// Waits until fewer than PRICING_RATE_LIMIT_PER_MINUTE (20) requests were
// sent in the last PRICING_RATE_WINDOW_MS (60000), then records this one.
async function acquireRateSlot() {
  const limit = Math.max(1, envNumber('PRICING_RATE_LIMIT_PER_MINUTE', 20));
  const windowMs = envNumber('PRICING_RATE_WINDOW_MS', 60000);
  while (rateWindow.length > 0 && Date.now() - rateWindow[0] >= windowMs) rateWindow.shift();
  if (rateWindow.length >= limit) {
    const waitMs = windowMs - (Date.now() - rateWindow[0]);
    logger.info('Pricing API rate limit reached; waiting', { waitMs });
    await sleep(waitMs);
    rateWindow.shift();
  }
  rateWindow.push(Date.now());
}

// The SecretString of the API-key secret, cached for 5 minutes; undefined
// (free tier, no X-Api-Key header) when the secret cannot be read.
async function apiKey() {
  if (apiKeyCache.value !== undefined && Date.now() - apiKeyCache.fetchedAt < SECRET_CACHE_MS) {
    return apiKeyCache.value;
  }
  try {
    const response = await secretsClient().send(
      new GetSecretValueCommand({ SecretId: API_KEY_SECRET_ID }),
    );
    if (typeof response.SecretString !== 'string') throw new Error('secret has no SecretString');
    apiKeyCache = { value: response.SecretString, fetchedAt: Date.now() };
    return response.SecretString;
  } catch (error) {
    logger.warn('Pricing API key unavailable; using the free tier', { secretId: API_KEY_SECRET_ID, error });
    return undefined;
  }
}

function cleanTerm(text) {
  return String(text ?? '').replace(/["\\]/g, '').replace(/\s+/g, ' ').trim();
}

// The q parameter: name:"<name>" and set.name:"<set>" joined by a space. A
// name made only of digits is left out; returns '' when nothing is left.
export function buildCardQuery(name, set) {
  const terms = [];
  const cleanName = cleanTerm(name);
  const cleanSet = cleanTerm(set);
  if (cleanName && !/^\d+$/.test(cleanName)) terms.push(`name:"${cleanName}"`);
  if (cleanSet) terms.push(`set.name:"${cleanSet}"`);
  return terms.join(' ');
}

function isoDate(text) {
  if (typeof text === 'string' && text) {
    const date = new Date(text.replace(/\//g, '-'));
    if (!Number.isNaN(date.getTime())) return date.toISOString();
  }
  return new Date().toISOString();
}

// Turns the API's cards into comparable prices: low/market/high of every
// TCGplayer variant (USD) and Cardmarket's trend and average sell price
// (EUR).
// NOTE: EUR and USD prices are aggregated together without conversion.
export function compsFromCards(cards) {
  const comps = [];
  for (const card of cards || []) {
    const tcg = card.tcgplayer;
    for (const variant of TCGPLAYER_VARIANTS) {
      const prices = tcg?.prices?.[variant];
      if (!prices) continue;
      for (const kind of ['low', 'market', 'high']) {
        if (typeof prices[kind] === 'number' && prices[kind] > 0) {
          comps.push({
            source: 'TCGPlayer',
            price: prices[kind],
            currency: 'USD',
            condition: variant,
            soldDate: isoDate(tcg.updatedAt),
            ...(tcg.url ? { listingUrl: tcg.url } : {}),
          });
        }
      }
    }
    const market = card.cardmarket;
    for (const kind of ['trendPrice', 'averageSellPrice']) {
      const price = market?.prices?.[kind];
      if (typeof price === 'number' && price > 0) {
        comps.push({
          source: 'Cardmarket',
          price,
          currency: 'EUR',
          condition: kind,
          soldDate: isoDate(market.updatedAt),
          ...(market.url ? { listingUrl: market.url } : {}),
        });
      }
    }
  }
  return comps;
}

// One GET of the cards endpoint with PRICING_MAX_ATTEMPTS (3) attempts,
// sleeping PRICING_RETRY_DELAY_MS (1000) and then twice as long between
// them. Returns the parsed body; throws after the last failure.
async function getCards(query, key) {
  const base = process.env.POKEMONTCG_API_URL || DEFAULT_POKEMONTCG_API_URL;
  const url = `${base}?q=${encodeURIComponent(query)}&pageSize=10`;
  const attempts = Math.max(1, envNumber('PRICING_MAX_ATTEMPTS', 3));
  // NOTE: the per-request timeout is Stratus's choice; CollectIQ's figure is unknown.
  const timeoutMs = envNumber('PRICING_REQUEST_TIMEOUT_MS', 10000);
  let delay = envNumber('PRICING_RETRY_DELAY_MS', 1000);
  for (let attempt = 1; ; attempt++) {
    try {
      await acquireRateSlot();
      const response = await fetch(url, {
        headers: { Accept: 'application/json', ...(key ? { 'X-Api-Key': key } : {}) },
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (!response.ok) throw new Error(`Pricing API returned HTTP ${response.status}`);
      return await response.json();
    } catch (error) {
      logger.warn('Pricing API request failed', { attempt, attempts, query, error });
      if (attempt >= attempts) throw error;
      await sleep(delay);
      delay *= 2;
    }
  }
}

// Fetches comparable prices from the API: the name-and-set query first,
// then name:<name> alone when the first one finds nothing. Throws when the
// API cannot be reached.
export async function fetchComps(name, set) {
  const key = await apiKey();
  const query = buildCardQuery(name, set);
  let cards = [];
  if (query) {
    const body = await getCards(query, key);
    cards = Array.isArray(body?.data) ? body.data : [];
  }
  const cleanName = cleanTerm(name);
  if (cards.length === 0 && cleanName) {
    const body = await getCards(`name:${cleanName}`, key);
    cards = Array.isArray(body?.data) ? body.data : [];
  }
  return compsFromCards(cards);
}

// ---- Aggregation ---------------------------------------------------------

function round2(value) {
  return Math.round(value * 100) / 100;
}

// Reduces comparable prices to {valueLow (min), valueMedian, valueHigh
// (max), compsCount, sources, confidence, volatility}. volatility is the
// coefficient of variation; confidence grows with the number of comps (full
// at 10) and falls with volatility. Without prices all values are 0 and
// message explains why.
export function aggregateComps(comps) {
  const prices = (comps || [])
    .map((c) => Number(c.price))
    .filter((p) => Number.isFinite(p) && p > 0)
    .sort((a, b) => a - b);
  if (prices.length === 0) {
    return {
      valueLow: 0,
      valueMedian: 0,
      valueHigh: 0,
      compsCount: 0,
      sources: [],
      confidence: 0,
      volatility: 0,
      message: NO_DATA_MESSAGE,
    };
  }
  const n = prices.length;
  const median = n % 2 ? prices[(n - 1) / 2] : (prices[n / 2 - 1] + prices[n / 2]) / 2;
  const mean = prices.reduce((a, b) => a + b, 0) / n;
  const std = Math.sqrt(prices.reduce((a, p) => a + (p - mean) ** 2, 0) / n);
  const volatility = mean > 0 ? std / mean : 0;
  const confidence = 0.6 * Math.min(1, n / 10) + 0.4 * (1 - Math.min(1, volatility));
  return {
    valueLow: round2(prices[0]),
    valueMedian: round2(median),
    valueHigh: round2(prices[n - 1]),
    compsCount: n,
    sources: [...new Set(comps.map((c) => c.source).filter(Boolean))],
    confidence: Math.round(confidence * 10000) / 10000,
    volatility: Math.round(volatility * 10000) / 10000,
  };
}

// Returns the pricing result for a card: cache hit, else the API (cached on
// success). Throws 'All pricing sources are unavailable' when the circuit
// breaker of the only source is open.
export async function priceCard(name, set, context = {}) {
  const cached = await readPriceCache(name, set);
  if (cached) {
    logger.info('Pricing cache hit', { ...context, cacheKey: cacheSortKey(name, set), comps: cached.length });
    return aggregateComps(cached);
  }

  if (isCircuitOpen()) {
    throw new Error('All pricing sources are unavailable');
  }

  let comps = [];
  try {
    comps = await fetchComps(name, set);
    breaker.failures = 0;
  } catch (error) {
    recordFetchFailure();
    logger.error('Pricing source failed', { ...context, source: SOURCE_NAME, error });
    await putMetric('PricingSourceErrors', 1, 'Count', {
      source: SOURCE_NAME,
      errorType: error.name || 'Error',
    });
  }
  if (comps.length > 0) await writePriceCache(name, set, comps);
  return aggregateComps(comps);
}
