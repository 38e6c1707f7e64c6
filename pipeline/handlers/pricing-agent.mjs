// pricing-agent.mjs: the PricingAgent task. Input {userId, cardId, features,
// cardMeta: {name, set, rarity, number, ocrMetadata}, requestId}; output
// {pricingResult, valuationSummary, requestId}. Prices come from the API
// cache or the Pokémon TCG API; Bedrock writes the valuation summary, with a
// fallback built from the prices after 5 failed attempts.

import { converse, extractJson, requireString, requireUnit, withBackoff } from './lib/bedrock.mjs';
import { cardIdentifiers } from './lib/card-metadata.mjs';
import { logger } from './lib/log.mjs';
import { putMetric } from './lib/metrics.mjs';
import { priceCard } from './lib/pricing.mjs';
import { envNumber } from './lib/task-clients.mjs';

const AGENT = 'pricing-agent';
const TRENDS = ['rising', 'falling', 'stable'];

export const VALUATION_SYSTEM_PROMPT = [
  'You are an expert Pokémon trading card valuator.',
  'You receive market data for one card: the low, median and high prices of',
  'comparable sales, their number, sources and volatility. Estimate a fair',
  'market value and its trend, and give the owner a short recommendation.',
  'Reply with one JSON object only, in this form:',
  '{"summary":string,"fairValue":number,"trend":"rising"|"falling"|"stable",',
  '"recommendation":string,"confidence":0..1}',
].join('\n');

export function buildValuationPrompt(identifiers, pricing) {
  return [
    `Card: ${identifiers.name}`,
    `Set: ${identifiers.set || 'unknown'}`,
    `Rarity: ${identifiers.rarity || 'unknown'}`,
    `Collector number: ${identifiers.number || 'unknown'}`,
    '',
    `Low: ${pricing.valueLow}`,
    `Median: ${pricing.valueMedian}`,
    `High: ${pricing.valueHigh}`,
    `Comparable sales: ${pricing.compsCount}`,
    `Sources: ${pricing.sources.join(', ') || 'none'}`,
    `Volatility: ${pricing.volatility ?? 0}`,
    `Pricing confidence: ${pricing.confidence}`,
    pricing.message ? `Note: ${pricing.message}` : '',
    '',
    'Return the JSON object described in the instructions.',
  ].join('\n');
}

// Throws unless parsed matches the valuation schema.
export function validateValuation(parsed) {
  if (!parsed || typeof parsed !== 'object') throw new Error('Valuation result must be an object');
  requireString(parsed.summary, 'summary');
  if (typeof parsed.fairValue !== 'number' || !Number.isFinite(parsed.fairValue)) {
    throw new Error(`fairValue must be a number, got ${JSON.stringify(parsed.fairValue)}`);
  }
  if (!TRENDS.includes(parsed.trend)) {
    throw new Error(`trend must be one of ${TRENDS.join(', ')}, got ${JSON.stringify(parsed.trend)}`);
  }
  requireString(parsed.recommendation, 'recommendation');
  requireUnit(parsed.confidence, 'confidence');
  return parsed;
}

// The valuation used when Bedrock fails: the median as fair value, a stable
// trend, and 70 % of the pricing confidence with a floor of 0.3.
export function fallbackValuation(pricing) {
  const summary = pricing.compsCount > 0
    ? `Fair value estimated from ${pricing.compsCount} comparable prices (median ${pricing.valueMedian}).`
    : 'No market data was available to value this card.';
  return {
    summary,
    fairValue: pricing.valueMedian,
    trend: 'stable',
    recommendation: 'AI valuation is unavailable; treat this estimate as indicative only.',
    confidence: Math.max(0.3, 0.7 * pricing.confidence),
  };
}

async function valueWithBedrock(identifiers, pricing, context) {
  const maxTokens = envNumber('BEDROCK_MAX_TOKENS', 2048);
  const temperature = envNumber('BEDROCK_TEMPERATURE', 0.2);
  const prompt = buildValuationPrompt(identifiers, pricing);
  return withBackoff(AGENT, async (attempt) => {
    const reply = await converse({ system: VALUATION_SYSTEM_PROMPT, prompt, maxTokens, temperature });
    logger.info('Bedrock valuation replied', { ...context, attempt, latencyMs: reply.latencyMs });
    await putMetric('BedrockLatency', reply.latencyMs, 'Milliseconds', { agent: AGENT });
    await putMetric('BedrockTokens', reply.outputTokens, 'Count', { agent: AGENT });
    return validateValuation(extractJson(reply.text));
  });
}

export async function handler(event) {
  const { userId, cardId, cardMeta, requestId } = event || {};
  const context = { userId, cardId, requestId };
  const identifiers = cardIdentifiers(cardMeta || {});
  logger.info('Pricing card', { ...context, name: identifiers.name, set: identifiers.set });

  const pricingResult = await priceCard(identifiers.name, identifiers.set, context);

  const valuation = await valueWithBedrock(identifiers, pricingResult, context);
  const valuationSummary = valuation
    ? {
        summary: valuation.summary,
        fairValue: valuation.fairValue,
        trend: valuation.trend,
        recommendation: valuation.recommendation,
        confidence: valuation.confidence,
      }
    : fallbackValuation(pricingResult);

  logger.info('Card priced', {
    ...context,
    valueMedian: pricingResult.valueMedian,
    compsCount: pricingResult.compsCount,
    fairValue: valuationSummary.fairValue,
    valuationByAI: Boolean(valuation),
  });
  return { pricingResult, valuationSummary, requestId };
}
