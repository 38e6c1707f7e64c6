// PricingAgent handler against the fake AWS server: API-cache key and hits,
// the pricing API query, retries and circuit breaker, the cache write, the
// aggregation and the valuation call with its fallback.

import { after, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { AwsError, converseReply, startFakeAws, useFakeEnvironment } from './fake-aws.mjs';

const fake = await startFakeAws();
useFakeEnvironment(fake);
const { handler, VALUATION_SYSTEM_PROMPT, fallbackValuation } = await import('../../../pipeline/handlers/pricing-agent.mjs');
const pricing = await import('../../../pipeline/handlers/lib/pricing.mjs');
const { backoffDelay } = await import('../../../pipeline/handlers/lib/bedrock.mjs');

after(() => fake.close());

const VALUATION = { summary: 'Strong demand.', fairValue: 410, trend: 'rising', recommendation: 'Hold.', confidence: 0.8 };
const ocrField = (value) => ({ value, confidence: 0.9, rationale: 'r' });
const EVENT = {
  userId: 'user-1',
  cardId: 'card-1',
  features: {},
  cardMeta: {
    name: 'Charizard', set: 'Base Set', rarity: 'Rare Holo', number: '4/102',
    ocrMetadata: { name: ocrField('Charizard'), set: ocrField('Base Set'), rarity: ocrField('Rare Holo') },
  },
  requestId: 'req-1',
};
const API_CARD = {
  name: 'Charizard',
  rarity: 'Rare Holo',
  tcgplayer: {
    url: 'https://prices.example/charizard',
    updatedAt: '2025/11/02',
    prices: { holofoil: { low: 300, market: 400, high: 600 } },
  },
  cardmarket: { url: 'https://cm.example/charizard', updatedAt: '2025/11/01', prices: { trendPrice: 380, averageSellPrice: 390 } },
};

function cacheItem(ttl) {
  const comp = (price) => ({
    M: { source: { S: 'TCGPlayer' }, price: { N: String(price) }, currency: { S: 'USD' }, condition: { S: 'NM' }, soldDate: { S: '2025-11-01T00:00:00.000Z' } },
  });
  return {
    Item: {
      PK: { S: 'API_CACHE' }, SK: { S: 'PRICE#charizard|base set' },
      rawComps: { L: [comp(100), comp(200), comp(300)] },
      ttl: { N: String(ttl) },
    },
  };
}

beforeEach(() => {
  fake.reset();
  pricing.resetPricingState();
  fake.on('dynamodb:GetItem', () => ({}));
  fake.on('dynamodb:PutItem', () => ({}));
  fake.on('secretsmanager:GetSecretValue', () => new AwsError('ResourceNotFoundException', "Secrets Manager can't find the specified secret."));
  fake.on('pricing:GET', () => ({ data: [API_CARD], totalCount: 1 }));
  fake.on('bedrock:Converse', () => converseReply(JSON.stringify(VALUATION)));
});

test('cache key normalisation', () => {
  assert.equal(pricing.cacheSortKey('  Charizard ', ' Base Set '), 'PRICE#charizard|base set');
  assert.equal(pricing.cacheSortKey('Pikachu V', ''), 'PRICE#pikachu v|unknown');
  assert.equal(pricing.cacheSortKey('Pikachu V', '   '), 'PRICE#pikachu v|unknown');
  assert.equal(pricing.cacheSortKey('MEW', undefined), 'PRICE#mew|unknown');
});

test('cache hit skips the pricing API', async () => {
  fake.on('dynamodb:GetItem', () => cacheItem(Math.floor(Date.now() / 1000) + 3600));
  const result = await handler(EVENT);
  assert.equal(fake.callsOf('pricing:GET').length, 0);
  assert.equal(fake.callsOf('dynamodb:PutItem').length, 0);
  const [get] = fake.callsOf('dynamodb:GetItem');
  assert.deepEqual(get.input, {
    TableName: 'collectiq-hackathon-cards',
    Key: { PK: { S: 'API_CACHE' }, SK: { S: 'PRICE#charizard|base set' } },
    ConsistentRead: false,
  });
  assert.equal(result.pricingResult.valueLow, 100);
  assert.equal(result.pricingResult.valueMedian, 200);
  assert.equal(result.pricingResult.valueHigh, 300);
  assert.equal(result.pricingResult.compsCount, 3);
  assert.deepEqual(result.pricingResult.sources, ['TCGPlayer']);
});

test('expired cache entry is a miss', async () => {
  fake.on('dynamodb:GetItem', () => cacheItem(Math.floor(Date.now() / 1000) - 10));
  await handler(EVENT);
  assert.equal(fake.callsOf('pricing:GET').length, 1);
});

test('cache read error is a miss', async () => {
  fake.on('dynamodb:GetItem', () => new AwsError('ResourceNotFoundException', 'Requested resource not found'));
  const result = await handler(EVENT);
  assert.equal(fake.callsOf('pricing:GET').length, 1);
  assert.equal(result.pricingResult.compsCount, 5);
});

test('pricing API query and cache write', async () => {
  const before = Math.floor(Date.now() / 1000);
  const result = await handler(EVENT);
  const [get] = fake.callsOf('pricing:GET');
  assert.deepEqual(get.query, { q: 'name:"Charizard" set.name:"Base Set"', pageSize: '10' });
  assert.equal(get.headers['x-api-key'], undefined);

  const [put] = fake.callsOf('dynamodb:PutItem');
  const item = put.input.Item;
  assert.equal(put.input.TableName, 'collectiq-hackathon-cards');
  assert.equal(put.input.ConditionExpression, undefined);
  assert.deepEqual(item.PK, { S: 'API_CACHE' });
  assert.deepEqual(item.SK, { S: 'PRICE#charizard|base set' });
  const ttl = Number(item.ttl.N);
  assert.ok(ttl >= before + 86400, String(ttl));
  assert.ok(ttl <= before + 86402, String(ttl));
  assert.equal(item.rawComps.L.length, 5);
  assert.equal(item.rawComps.L[0].M.source.S, 'TCGPlayer');
  assert.equal(item.rawComps.L[0].M.soldDate.S, '2025-11-02T00:00:00.000Z');

  // TCGplayer 300/400/600 and Cardmarket 380/390.
  assert.equal(result.pricingResult.valueLow, 300);
  assert.equal(result.pricingResult.valueMedian, 390);
  assert.equal(result.pricingResult.valueHigh, 600);
  assert.deepEqual(result.pricingResult.sources, ['TCGPlayer', 'Cardmarket']);
  assert.equal(result.pricingResult.message, undefined);
});

test('API key from Secrets Manager', async () => {
  fake.on('secretsmanager:GetSecretValue', () => ({ SecretString: 'key-123', Name: 'collectiq-hackathon/tcgplayer-api-keys' }));
  await handler(EVENT);
  const [secret] = fake.callsOf('secretsmanager:GetSecretValue');
  assert.deepEqual(secret.input, { SecretId: 'collectiq-hackathon/tcgplayer-api-keys' });
  assert.equal(fake.callsOf('pricing:GET')[0].headers['x-api-key'], 'key-123');
});

test('second query by name after no hits', async () => {
  fake.on('pricing:GET', (call) => (call.query.q.includes('set.name') ? { data: [], totalCount: 0 } : { data: [API_CARD], totalCount: 1 }));
  const result = await handler(EVENT);
  const queries = fake.callsOf('pricing:GET').map((c) => c.query.q);
  assert.deepEqual(queries, ['name:"Charizard" set.name:"Base Set"', 'name:Charizard']);
  assert.equal(result.pricingResult.compsCount, 5);
});

test('query building', () => {
  assert.equal(pricing.buildCardQuery('25', 'Jungle'), 'set.name:"Jungle"');
  assert.equal(pricing.buildCardQuery('Mr. "Mime"', ''), 'name:"Mr. Mime"');
  assert.equal(pricing.buildCardQuery('', ''), '');
});

test('no data gives zeros and the message', async () => {
  fake.on('pricing:GET', () => ({ data: [], totalCount: 0 }));
  const result = await handler(EVENT);
  assert.deepEqual(result.pricingResult, {
    valueLow: 0, valueMedian: 0, valueHigh: 0, compsCount: 0, sources: [], confidence: 0, volatility: 0,
    message: 'No pricing data available from any source',
  });
  assert.equal(fake.callsOf('dynamodb:PutItem').length, 0);
});

test('failing API is tried 3 times per query', async () => {
  fake.on('pricing:GET', () => ({ httpStatus: 503, body: { error: 'unavailable' } }));
  const result = await handler(EVENT);
  assert.equal(fake.callsOf('pricing:GET').length, 3);
  assert.equal(result.pricingResult.compsCount, 0);
  assert.equal(result.pricingResult.message, 'No pricing data available from any source');
  const errors = fake.callsOf('cloudwatch:PutMetricData').filter((m) => m.input.MetricData[0].MetricName === 'PricingSourceErrors');
  assert.equal(errors.length, 1);
});

test('circuit breaker opens after 5 failures', async () => {
  fake.on('pricing:GET', () => ({ httpStatus: 500, body: {} }));
  for (let i = 0; i < 5; i++) await handler(EVENT);
  assert.equal(fake.callsOf('pricing:GET').length, 15);
  await assert.rejects(handler(EVENT), { message: 'All pricing sources are unavailable' });
  assert.equal(fake.callsOf('pricing:GET').length, 15);
});

test('circuit breaker lets a request through after the reset time', async () => {
  process.env.PRICING_CIRCUIT_RESET_MS = '20';
  try {
    fake.on('pricing:GET', () => ({ httpStatus: 500, body: {} }));
    for (let i = 0; i < 5; i++) await handler(EVENT);
    await new Promise((resolve) => setTimeout(resolve, 30));
    fake.on('pricing:GET', () => ({ data: [API_CARD] }));
    const result = await handler(EVENT);
    assert.equal(result.pricingResult.compsCount, 5);
  } finally {
    delete process.env.PRICING_CIRCUIT_RESET_MS;
  }
});

test('rate limiter delays the third request', async () => {
  process.env.PRICING_RATE_LIMIT_PER_MINUTE = '2';
  process.env.PRICING_RATE_WINDOW_MS = '300';
  try {
    const started = Date.now();
    for (const name of ['Mew', 'Mewtwo', 'Ditto']) {
      await handler({ ...EVENT, cardMeta: { name, set: 'Base Set' } });
    }
    const times = fake.callsOf('pricing:GET').map((call) => call.receivedAt - started);
    assert.equal(times.length, 3);
    assert.ok(times[1] < 250, `second request after ${times[1]} ms`);
    assert.ok(times[2] >= 290, `third request after ${times[2]} ms`);
  } finally {
    delete process.env.PRICING_RATE_LIMIT_PER_MINUTE;
    delete process.env.PRICING_RATE_WINDOW_MS;
  }
});

test('aggregation figures', () => {
  const comps = [10, 20, 30, 40].map((price) => ({ source: 'A', price }));
  const result = pricing.aggregateComps(comps);
  assert.equal(result.valueLow, 10);
  assert.equal(result.valueMedian, 25);
  assert.equal(result.valueHigh, 40);
  assert.equal(result.compsCount, 4);
  // Mean 25, population standard deviation √125.
  assert.equal(result.volatility, Math.round((Math.sqrt(125) / 25) * 10000) / 10000);
  assert.equal(result.confidence, Math.round((0.6 * 0.4 + 0.4 * (1 - Math.sqrt(125) / 25)) * 10000) / 10000);
});

test('valuation from Bedrock', async () => {
  const result = await handler(EVENT);
  assert.deepEqual(Object.keys(result), ['pricingResult', 'valuationSummary', 'requestId']);
  assert.deepEqual(result.valuationSummary, VALUATION);
  assert.equal(result.requestId, 'req-1');
  const [call] = fake.callsOf('bedrock:Converse');
  assert.deepEqual(call.input.system, [{ text: VALUATION_SYSTEM_PROMPT }]);
  assert.deepEqual(call.input.inferenceConfig, { maxTokens: 2048, temperature: 0.2 });
  assert.match(call.input.messages[0].content[0].text, /Median: 390/);
});

test('valuation fallback after 5 attempts', async () => {
  fake.on('bedrock:Converse', () => converseReply('{"summary": "x", "fairValue": "a lot"}'));
  const result = await handler(EVENT);
  assert.equal(fake.callsOf('bedrock:Converse').length, 5);
  assert.equal(result.valuationSummary.fairValue, result.pricingResult.valueMedian);
  assert.equal(result.valuationSummary.trend, 'stable');
  assert.equal(result.valuationSummary.confidence, Math.max(0.3, 0.7 * result.pricingResult.confidence));
});

test('valuation fallback confidence floor', () => {
  const low = fallbackValuation({ valueMedian: 0, compsCount: 0, confidence: 0 });
  assert.equal(low.confidence, 0.3);
  assert.equal(low.fairValue, 0);
  assert.equal(fallbackValuation({ valueMedian: 5, compsCount: 3, confidence: 0.9 }).confidence, 0.7 * 0.9);
});

test('back-off schedule', () => {
  process.env.BEDROCK_BACKOFF_BASE_MS = '2000';
  process.env.BEDROCK_BACKOFF_MAX_MS = '30000';
  try {
    assert.equal(backoffDelay(1, new Error('x'), () => 0), 2000);
    assert.equal(backoffDelay(2, new Error('x'), () => 0), 4000);
    assert.equal(backoffDelay(4, new Error('x'), () => 0), 16000);
    assert.equal(backoffDelay(1, new Error('x'), () => 1), 3000);
    assert.equal(backoffDelay(1, { name: 'ThrottlingException', message: 'Rate exceeded' }, () => 0), 4000);
    assert.equal(backoffDelay(5, new Error('x'), () => 0), 30000);
  } finally {
    process.env.BEDROCK_BACKOFF_BASE_MS = '1';
    process.env.BEDROCK_BACKOFF_MAX_MS = '5';
  }
});
