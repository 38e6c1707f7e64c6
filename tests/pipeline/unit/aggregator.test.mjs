// Aggregator handler against the fake AWS server: the unconditional upsert,
// the CardValuationCompleted event and the failure rules.

import { after, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { AwsError, startFakeAws, useFakeEnvironment } from './fake-aws.mjs';

const fake = await startFakeAws();
useFakeEnvironment(fake);
const { handler } = await import('../../../pipeline/handlers/aggregator.mjs');

after(() => fake.close());

const field = (value, confidence = 0.9) => ({ value, confidence, rationale: 'r' });
const OCR = {
  name: field('Charizard', 0.97),
  rarity: field('Rare Holo', 0.8),
  set: { value: null, candidates: [{ value: 'Base Set', confidence: 0.8 }], rationale: 'r' },
  setSymbol: field(null, 0),
  collectorNumber: field('4/102', 0.9),
  copyrightRun: field(null, 0),
  illustrator: field(null, 0),
  overallConfidence: 0.85,
  reasoningTrail: 'trail',
  verifiedByAI: true,
};
const SIGNALS = { visualHashConfidence: 0.85, textMatchConfidence: 0.9, holoPatternConfidence: 0.9, borderConsistency: 1, fontValidation: 1 };
const EVENT = {
  userId: 'user-1',
  cardId: 'card-1',
  requestId: 'req-1',
  ocrMetadata: OCR,
  agentResults: [
    {
      pricingResult: { valueLow: 300, valueMedian: 390, valueHigh: 600, compsCount: 5, sources: ['TCGPlayer'], confidence: 0.7, volatility: 0.2 },
      valuationSummary: { summary: 's', fairValue: 410, trend: 'rising', recommendation: 'hold', confidence: 0.8 },
      requestId: 'req-1',
    },
    { authenticityResult: { authenticityScore: 0.92, fakeDetected: false, rationale: 'ok', signals: SIGNALS, verifiedByAI: true }, requestId: 'req-1' },
  ],
  skipCardFetch: true,
};

// Returns, as UpdateItem would, the item the upsert creates: the key plus
// the values.
function echoUpdate(call) {
  const attributes = { PK: call.input.Key.PK, SK: call.input.Key.SK };
  for (const [placeholder, name] of Object.entries(call.input.ExpressionAttributeNames)) {
    attributes[name] = call.input.ExpressionAttributeValues[`:${placeholder.slice(1)}`];
  }
  return { Attributes: attributes };
}

beforeEach(() => {
  fake.reset();
  delete process.env.EVENT_BUS_NAME;
  fake.on('dynamodb:UpdateItem', echoUpdate);
  fake.on('events:PutEvents', () => ({ FailedEntryCount: 0, Entries: [{ EventId: 'ev-1' }] }));
});

test('upsert without a condition', async () => {
  await handler(EVENT);
  const [update] = fake.callsOf('dynamodb:UpdateItem');
  const input = update.input;
  assert.equal(input.TableName, 'collectiq-hackathon-cards');
  assert.deepEqual(input.Key, { PK: { S: 'USER#user-1' }, SK: { S: 'CARD#card-1' } });
  assert.equal(input.ConditionExpression, undefined);
  assert.equal(input.ReturnValues, 'ALL_NEW');
  const names = Object.values(input.ExpressionAttributeNames);
  assert.deepEqual(names, [
    'updatedAt', 'cardId', 'userId', 'authenticityScore', 'authenticitySignals', 'valueLow', 'valueMedian',
    'valueHigh', 'compsCount', 'sources', 'valuationSummary', 'ocrMetadata', 'name', 'set', 'rarity', 'number',
  ]);
  assert.match(input.UpdateExpression, /^SET #updatedAt = :updatedAt, #cardId = :cardId, #userId = :userId, #authenticityScore = :authenticityScore/);
  assert.ok(!/\bSET\b.*\bname =/.test(input.UpdateExpression.replace(/#name/g, '')), 'reserved words only behind #');
  const values = input.ExpressionAttributeValues;
  assert.deepEqual(values[':set'], { S: 'Base Set' });
  assert.deepEqual(values[':number'], { S: '4/102' });
  assert.deepEqual(values[':valueMedian'], { N: '390' });
  assert.deepEqual(values[':sources'], { L: [{ S: 'TCGPlayer' }] });
  const ocr = values[':ocrMetadata'].M;
  assert.deepEqual(ocr.name, { S: 'Charizard' });
  assert.deepEqual(ocr.illustrator, { NULL: true });
  assert.deepEqual(ocr.set, { S: 'Base Set' });
  assert.deepEqual(ocr.verifiedByAI, { BOOL: true });
  assert.match(ocr.extractedAt.S, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.equal(values[':pricingMessage'], undefined);
});

test('result is the whole new item', async () => {
  const result = await handler(EVENT);
  assert.deepEqual(Object.keys(result), ['card', 'requestId']);
  assert.equal(result.requestId, 'req-1');
  assert.equal(result.card.PK, 'USER#user-1');
  assert.equal(result.card.SK, 'CARD#card-1');
  assert.equal(result.card.valueMedian, 390);
  assert.deepEqual(result.card.authenticitySignals, SIGNALS);
});

test('pricing message is stored', async () => {
  const event = structuredClone(EVENT);
  event.agentResults[0].pricingResult = { valueLow: 0, valueMedian: 0, valueHigh: 0, compsCount: 0, sources: [], confidence: 0, message: 'No pricing data available from any source' };
  await handler(event);
  const values = fake.callsOf('dynamodb:UpdateItem')[0].input.ExpressionAttributeValues;
  assert.deepEqual(values[':pricingMessage'], { S: 'No pricing data available from any source' });
  assert.deepEqual(values[':sources'], { L: [] });
});

test('CardValuationCompleted on the default bus', async () => {
  await handler(EVENT);
  const [put] = fake.callsOf('events:PutEvents');
  assert.equal(put.input.Entries.length, 1);
  const entry = put.input.Entries[0];
  assert.equal(entry.Source, 'collectiq.backend');
  assert.equal(entry.DetailType, 'CardValuationCompleted');
  assert.equal(entry.EventBusName, 'collectiq-events');
  const detail = JSON.parse(entry.Detail);
  assert.deepEqual(Object.keys(detail), [
    'cardId', 'userId', 'name', 'set', 'valueLow', 'valueMedian', 'valueHigh', 'authenticityScore', 'fakeDetected',
    'pricingConfidence', 'pricingSources', 'valuationTrend', 'valuationFairValue', 'ocrMetadata', 'requestId', 'timestamp',
  ]);
  assert.equal(detail.valuationTrend, 'rising');
  assert.equal(detail.valuationFairValue, 410);
  assert.equal(detail.pricingConfidence, 0.7);
  assert.equal(detail.fakeDetected, false);
});

test('EVENT_BUS_NAME selects the bus', async () => {
  process.env.EVENT_BUS_NAME = 'collectiq-hackathon-events';
  await handler(EVENT);
  assert.equal(fake.callsOf('events:PutEvents')[0].input.Entries[0].EventBusName, 'collectiq-hackathon-events');
});

test('EventBridge errors do not fail the task', async () => {
  fake.on('events:PutEvents', () => new AwsError('ResourceNotFoundException', 'Event bus collectiq-events does not exist.'));
  const result = await handler(EVENT);
  assert.equal(result.card.cardId, 'card-1');
});

test('DynamoDB error fails the task', async () => {
  fake.on('dynamodb:UpdateItem', () => new AwsError('ResourceNotFoundException', 'Requested resource not found'));
  await assert.rejects(handler(EVENT), { name: 'ResourceNotFoundException' });
  assert.equal(fake.callsOf('events:PutEvents').length, 0);
});

test('missing Attributes fails the task', async () => {
  fake.on('dynamodb:UpdateItem', () => ({}));
  await assert.rejects(handler(EVENT), /returned no attributes/);
});

test('skipCardFetch false updates an existing card', async () => {
  fake.on('dynamodb:Query', () => ({ Items: [{ PK: { S: 'USER#user-1' }, SK: { S: 'CARD#card-1' }, entityType: { S: 'CARD' } }], Count: 1 }));
  await handler({ ...EVENT, skipCardFetch: false });
  const [query] = fake.callsOf('dynamodb:Query');
  assert.equal(query.input.KeyConditionExpression, 'PK = :pk AND SK = :sk');
  assert.equal(query.input.Limit, 1);
  const [update] = fake.callsOf('dynamodb:UpdateItem');
  assert.equal(update.input.ConditionExpression, 'attribute_exists(PK) AND attribute_not_exists(deletedAt)');
  assert.ok(!Object.values(update.input.ExpressionAttributeNames).includes('ocrMetadata'));
});

test('skipCardFetch false on a missing card fails', async () => {
  fake.on('dynamodb:Query', () => ({ Items: [], Count: 0 }));
  await assert.rejects(handler({ ...EVENT, skipCardFetch: false }), { message: 'Card card-1 not found' });
});
