// OcrReasoningAgent handler against the fake AWS server: JSON extraction,
// schema checks, the Converse request, retries and the fallback metadata.

import { after, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { AwsError, converseReply, startFakeAws, useFakeEnvironment } from './fake-aws.mjs';

const fake = await startFakeAws();
useFakeEnvironment(fake, { BEDROCK_MAX_RETRIES: '3' });
const { handler, OCR_SYSTEM_PROMPT } = await import('../../../pipeline/handlers/ocr-reasoning-agent.mjs');
const { extractJson } = await import('../../../pipeline/handlers/lib/bedrock.mjs');
const { validateOcrMetadata, cardIdentifiers } = await import('../../../pipeline/handlers/lib/card-metadata.mjs');

after(() => fake.close());
beforeEach(() => fake.reset());

const field = (value, confidence = 0.9) => ({ value, confidence, rationale: 'seen on the card' });
const OCR_RESULT = {
  name: field('Charizard', 0.97),
  rarity: field('Rare Holo', 0.8),
  set: { value: 'Base Set', candidates: [{ value: 'Base Set', confidence: 0.8 }, { value: 'Base Set 2', confidence: 0.15 }], rationale: 'copyright line' },
  setSymbol: field(null, 0),
  collectorNumber: field('4/102', 0.92),
  copyrightRun: field('©1999 Wizards', 0.7),
  illustrator: field('Mitsuhiro Arita', 0.85),
  overallConfidence: 0.88,
  reasoningTrail: 'Name at the top, number at the bottom right.',
};

const block = (text, top, confidence = 0.95, type = 'LINE') => ({
  text, confidence, type, boundingBox: { left: 0.1, top, width: 0.3, height: 0.04 },
});
const FEATURES = {
  ocr: [block('HP 120', 0.06, 0.9), block('Charizard', 0.04, 0.8), block('4/102', 0.93)],
  borders: { topRatio: 0.05, bottomRatio: 0.05, leftRatio: 0.05, rightRatio: 0.05, symmetryScore: 1 },
  holoVariance: 0.2,
  fontMetrics: { kerning: [], alignment: 1, fontSizeVariance: 0 },
  quality: { blurScore: 0.8, glareDetected: false, brightness: 0.5 },
  imageMeta: { width: 300, height: 420, format: 'png', sizeBytes: 1000 },
};
const EVENT = { userId: 'user-1', cardId: 'card-1', features: FEATURES, requestId: 'req-1' };

test('JSON in a fenced block', () => {
  const text = 'Here is the result:\n```json\n{"a": {"b": "}"}, "c": [1, 2]}\n```\nDone.';
  assert.deepEqual(extractJson(text), { a: { b: '}' }, c: [1, 2] });
});

test('JSON without a fence', () => {
  assert.deepEqual(extractJson('The card: {"name": "Mew", "n": {"x": 1}} and {"other": 2}'), { name: 'Mew', n: { x: 1 } });
  assert.deepEqual(extractJson('```\n{"plain": true}\n```'), { plain: true });
});

test('JSON extraction errors', () => {
  assert.throws(() => extractJson('no json here'), /no JSON object/);
  assert.throws(() => extractJson('{"a": tru}'), /invalid/);
});

test('OCR schema accepts both set shapes', () => {
  assert.doesNotThrow(() => validateOcrMetadata(structuredClone(OCR_RESULT)));
  assert.doesNotThrow(() => validateOcrMetadata({ ...structuredClone(OCR_RESULT), set: field('Jungle', 0.7) }));
});

test('OCR schema rejects bad members', () => {
  assert.throws(() => validateOcrMetadata({ ...OCR_RESULT, name: field('X', 1.5) }), /name.confidence/);
  assert.throws(() => validateOcrMetadata({ ...OCR_RESULT, rarity: { value: 3, confidence: 0.5, rationale: '' } }), /rarity.value/);
  assert.throws(() => validateOcrMetadata({ ...OCR_RESULT, illustrator: undefined }), /illustrator/);
  assert.throws(() => validateOcrMetadata({ ...OCR_RESULT, overallConfidence: '0.9' }), /overallConfidence/);
  assert.throws(() => validateOcrMetadata({ ...OCR_RESULT, set: { value: 'A', candidates: [{ value: 'A', confidence: 2 }], rationale: '' } }), /candidates\[0\]/);
});

test('Converse result becomes verified metadata', async () => {
  fake.on('bedrock:Converse', () => converseReply('```json\n' + JSON.stringify(OCR_RESULT) + '\n```'));
  const result = await handler(EVENT);
  assert.deepEqual(Object.keys(result), ['cardMetadata', 'requestId']);
  assert.equal(result.requestId, 'req-1');
  assert.equal(result.cardMetadata.verifiedByAI, true);
  assert.equal(result.cardMetadata.name.value, 'Charizard');
  assert.equal(result.cardMetadata.set.candidates[0].value, 'Base Set');

  const [call] = fake.callsOf('bedrock:Converse');
  assert.equal(call.modelId, 'us.anthropic.claude-sonnet-4-20250514-v1:0');
  assert.deepEqual(call.input.system, [{ text: OCR_SYSTEM_PROMPT }]);
  assert.deepEqual(call.input.inferenceConfig, { maxTokens: 4096, temperature: 0.15 });
  assert.equal(call.input.messages[0].role, 'user');
  assert.match(call.input.messages[0].content[0].text, /"Charizard" confidence=0\.800/);
});

test('OCR token settings come from the _OCR_ variables', async () => {
  process.env.BEDROCK_OCR_MAX_TOKENS = '1000';
  process.env.BEDROCK_OCR_TEMPERATURE = '0.5';
  process.env.BEDROCK_MAX_TOKENS = '9';
  try {
    fake.on('bedrock:Converse', () => converseReply(JSON.stringify(OCR_RESULT)));
    await handler(EVENT);
    assert.deepEqual(fake.callsOf('bedrock:Converse')[0].input.inferenceConfig, { maxTokens: 1000, temperature: 0.5 });
  } finally {
    delete process.env.BEDROCK_OCR_MAX_TOKENS;
    delete process.env.BEDROCK_OCR_TEMPERATURE;
    delete process.env.BEDROCK_MAX_TOKENS;
  }
});

test('invalid reply is retried', async () => {
  let n = 0;
  fake.on('bedrock:Converse', () => converseReply(++n === 1 ? 'I cannot read this card.' : JSON.stringify(OCR_RESULT)));
  const result = await handler(EVENT);
  assert.equal(fake.callsOf('bedrock:Converse').length, 2);
  assert.equal(result.cardMetadata.verifiedByAI, true);
});

test('fallback after BEDROCK_MAX_RETRIES failures', async () => {
  fake.on('bedrock:Converse', () => new AwsError('ThrottlingException', 'Too many requests', 429));
  const result = await handler(EVENT);
  assert.equal(fake.callsOf('bedrock:Converse').length, 3);
  const metadata = result.cardMetadata;
  assert.equal(metadata.verifiedByAI, false);
  // The topmost block (top 0.04) is the name, confidence 0.8 × 0.7.
  assert.equal(metadata.name.value, 'Charizard');
  assert.equal(metadata.name.confidence, 0.56);
  for (const name of ['rarity', 'set', 'setSymbol', 'collectorNumber', 'copyrightRun', 'illustrator']) {
    assert.equal(metadata[name].value, null, name);
    assert.equal(metadata[name].confidence, 0, name);
  }
  assert.equal(typeof metadata.reasoningTrail, 'string');
});

test('retry count follows BEDROCK_MAX_RETRIES', async () => {
  process.env.BEDROCK_MAX_RETRIES = '1';
  try {
    fake.on('bedrock:Converse', () => converseReply('not json'));
    const result = await handler(EVENT);
    assert.equal(fake.callsOf('bedrock:Converse').length, 1);
    assert.equal(result.cardMetadata.verifiedByAI, false);
  } finally {
    process.env.BEDROCK_MAX_RETRIES = '3';
  }
});

test('no OCR blocks skips Bedrock', async () => {
  const result = await handler({ ...EVENT, features: { ...FEATURES, ocr: [] } });
  assert.equal(fake.callsOf('bedrock:Converse').length, 0);
  assert.equal(result.cardMetadata.verifiedByAI, false);
  assert.equal(result.cardMetadata.name.value, null);
  assert.equal(result.cardMetadata.set.value, null);
  assert.equal(result.cardMetadata.collectorNumber.value, null);
});

test('missing features fails the task', async () => {
  await assert.rejects(handler({ userId: 'u', cardId: 'c', requestId: 'r' }), /features is required/);
});

test('identifiers prefer OCR values', () => {
  assert.deepEqual(cardIdentifiers({ name: 'Given', set: 'Given Set', ocrMetadata: OCR_RESULT }), {
    name: 'Charizard', set: 'Base Set', rarity: 'Rare Holo', number: '4/102',
  });
  assert.deepEqual(cardIdentifiers({ name: 'Given', set: 'Jungle', ocrMetadata: { name: field(null, 0) } }), {
    name: 'Given', set: 'Jungle', rarity: undefined, number: undefined,
  });
  assert.equal(cardIdentifiers({}).name, 'Unknown Card');
  assert.equal(cardIdentifiers({}).set, '');
  assert.equal(cardIdentifiers({ ocrMetadata: { set: field('Fossil') } }).set, 'Fossil');
});

test('metrics go to CollectIQ/dev', async () => {
  fake.on('bedrock:Converse', () => converseReply(JSON.stringify(OCR_RESULT)));
  await handler(EVENT);
  const metrics = fake.callsOf('cloudwatch:PutMetricData');
  assert.ok(metrics.length >= 4);
  for (const m of metrics) {
    assert.equal(m.input.Namespace, 'CollectIQ/dev');
    assert.equal(m.input.MetricData.length, 1);
  }
  const names = metrics.map((m) => m.input.MetricData[0].MetricName);
  assert.ok(names.includes('BedrockOcrLatency'));
  assert.ok(names.includes('BedrockOcrConfidence'));
  const confidence = metrics.find((m) => m.input.MetricData[0].MetricName === 'BedrockOcrConfidence');
  assert.deepEqual(confidence.input.MetricData[0].Dimensions, [
    { Name: 'agent', Value: 'ocr-reasoning' }, { Name: 'confidenceRange', Value: 'high' },
  ]);
});

test('metric failures are swallowed', async () => {
  process.env.STAGE = 'qa';
  try {
    fake.on('cloudwatch:PutMetricData', () => new AwsError('AccessDenied', 'not authorized', 403));
    fake.on('bedrock:Converse', () => converseReply(JSON.stringify(OCR_RESULT)));
    const result = await handler(EVENT);
    assert.equal(result.cardMetadata.verifiedByAI, true);
    assert.equal(fake.callsOf('cloudwatch:PutMetricData')[0].input.Namespace, 'CollectIQ/qa');
  } finally {
    delete process.env.STAGE;
  }
});
