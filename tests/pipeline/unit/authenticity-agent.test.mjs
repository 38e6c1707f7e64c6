// AuthenticityAgent handler against the fake AWS server: perceptual hash
// and reference hashes in S3, the five signals, the Bedrock judgement and
// its fallback, and the fakeDetected rules.

import { after, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { AwsError, converseReply, startFakeAws, useFakeEnvironment } from './fake-aws.mjs';
import { makeCardImage } from './card-image.mjs';

const fake = await startFakeAws();
useFakeEnvironment(fake);
const agent = await import('../../../pipeline/handlers/authenticity_agent.mjs');
const signalsLib = await import('../../../pipeline/handlers/lib/authenticity-signals.mjs');
const phash = await import('../../../pipeline/handlers/lib/phash.mjs');

after(() => fake.close());

const BUCKET = 'collectiq-uploads';
const FRONT = 'uploads/user-1/abc-front.png';
const glare = { x: 20, y: 20, width: 120, height: 200 };
const FRONT_IMAGE = await makeCardImage({ glare });

const FEATURES = {
  ocr: [
    { text: 'Mr. Mime', confidence: 0.9, type: 'LINE', boundingBox: { left: 0.1, top: 0.05, width: 0.3, height: 0.04 } },
    { text: 'HP 70', confidence: 0.8, type: 'LINE', boundingBox: { left: 0.1, top: 0.5, width: 0.2, height: 0.04 } },
  ],
  borders: { topRatio: 0.05, bottomRatio: 0.05, leftRatio: 0.05, rightRatio: 0.05, symmetryScore: 1 },
  holoVariance: 0,
  fontMetrics: { kerning: [], alignment: 1, fontSizeVariance: 0 },
  quality: { blurScore: 0.7, glareDetected: false, brightness: 0.5 },
  imageMeta: { width: 300, height: 420, format: 'png', sizeBytes: 1 },
};
const EVENT = {
  userId: 'user-1',
  cardId: 'card-1',
  features: FEATURES,
  cardMeta: { name: 'Mr. Mime', set: 'Jungle', rarity: 'Rare', frontS3Key: FRONT, ocrMetadata: undefined },
  s3Keys: { front: FRONT },
  requestId: 'req-1',
};

beforeEach(() => {
  fake.reset();
  fake.objects.set(`${BUCKET}/${FRONT}`, FRONT_IMAGE);
  fake.on('bedrock:Converse', () => converseReply('{"authenticityScore": 0.8, "fakeDetected": false, "rationale": "Consistent print."}'));
});

test('reference prefix is percent-encoded', async () => {
  await agent.handler(EVENT);
  const [list] = fake.callsOf('s3:ListObjectsV2');
  assert.equal(list.bucket, BUCKET);
  assert.equal(list.prefix, 'authentic-samples/Mr.%20Mime/');
});

test('no references gives visual confidence 0.85', async () => {
  const { authenticityResult } = await agent.handler(EVENT);
  assert.equal(authenticityResult.signals.visualHashConfidence, 0.85);
});

test('matching reference hash gives confidence 1', async () => {
  const hash = await phash.perceptualHash(FRONT_IMAGE);
  fake.objects.set(`${BUCKET}/authentic-samples/Mr.%20Mime/base.json`, Buffer.from(JSON.stringify({ cardName: 'Mr. Mime', hash })));
  fake.objects.set(`${BUCKET}/authentic-samples/Mr.%20Mime/broken.json`, Buffer.from(JSON.stringify({ cardName: 'Mr. Mime', hash: 'xyz' })));
  const { authenticityResult } = await agent.handler(EVENT);
  assert.equal(authenticityResult.signals.visualHashConfidence, 1);
});

test('distant reference hash lowers the confidence', async () => {
  const hash = await phash.perceptualHash(FRONT_IMAGE);
  const flipped = (BigInt(`0x${hash}`) ^ 0xffff0000ffffn).toString(16).padStart(16, '0');
  fake.objects.set(`${BUCKET}/authentic-samples/Mr.%20Mime/a.json`, Buffer.from(JSON.stringify({ cardName: 'Mr. Mime', hash: flipped })));
  const { authenticityResult } = await agent.handler(EVENT);
  assert.equal(authenticityResult.signals.visualHashConfidence, 1 - 32 / 64);
});

test('signals are five values in [0,1]', async () => {
  const { authenticityResult } = await agent.handler(EVENT);
  const { signals } = authenticityResult;
  assert.deepEqual(Object.keys(signals), [
    'visualHashConfidence', 'textMatchConfidence', 'holoPatternConfidence', 'borderConsistency', 'fontValidation',
  ]);
  for (const [name, value] of Object.entries(signals)) {
    assert.ok(value >= 0, `${name}=${value}`);
    assert.ok(value <= 1, `${name}=${value}`);
  }
  // Mean OCR confidence 0.85 with the name found in the text.
  assert.equal(signals.textMatchConfidence, 0.85);
  assert.equal(signals.holoPatternConfidence, 0.9);
  assert.equal(signals.borderConsistency, 1);
  assert.equal(signals.fontValidation, 1);
});

test('signal edge cases', () => {
  assert.equal(signalsLib.textMatchConfidence([], 'Mew'), 0.3);
  assert.equal(signalsLib.textMatchConfidence([{ text: 'Pikachu', confidence: 1 }], 'Mew'), 0.8);
  assert.equal(signalsLib.holoPatternConfidence(0, 'Rare Holo'), 0.4);
  assert.equal(signalsLib.holoPatternConfidence(0.3, 'Rare Holo'), 1);
  assert.equal(signalsLib.holoPatternConfidence(0.2, 'Common'), 0.75);
  assert.equal(signalsLib.borderConsistency({ topRatio: 0, bottomRatio: 0, leftRatio: 0, rightRatio: 0, symmetryScore: 1 }), 0.5);
  assert.equal(signalsLib.borderConsistency({ topRatio: 0.4, bottomRatio: 0.4, leftRatio: 0.05, rightRatio: 0.05, symmetryScore: 1 }), 0.8);
  assert.equal(signalsLib.fontValidation({ alignment: 1, fontSizeVariance: 0 }, []), 0.5);
});

test('Bedrock score is boosted by 1.15', async () => {
  const { authenticityResult } = await agent.handler(EVENT);
  assert.equal(authenticityResult.authenticityScore, 0.92);
  assert.equal(authenticityResult.fakeDetected, false);
  assert.equal(authenticityResult.verifiedByAI, true);
  assert.equal(authenticityResult.rationale, 'Consistent print.');
  const [call] = fake.callsOf('bedrock:Converse');
  assert.deepEqual(call.input.system, [{ text: agent.AUTHENTICITY_SYSTEM_PROMPT }]);
  assert.deepEqual(call.input.inferenceConfig, { maxTokens: 2048, temperature: 0.2 });
});

test('boosted score is capped at 1', async () => {
  fake.on('bedrock:Converse', () => converseReply('```json\n{"authenticityScore": 0.95, "fakeDetected": false, "rationale": "ok"}\n```'));
  const { authenticityResult } = await agent.handler(EVENT);
  assert.equal(authenticityResult.authenticityScore, 1);
});

test('fakeDetected needs the model and a low score', () => {
  const signals = { a: 0.5 };
  assert.equal(agent.decideAuthenticity({ authenticityScore: 0.2, fakeDetected: true, rationale: '' }, signals).fakeDetected, true);
  // 0.27 × 1.15 = 0.3105 is above 0.3.
  assert.equal(agent.decideAuthenticity({ authenticityScore: 0.27, fakeDetected: true, rationale: '' }, signals).fakeDetected, false);
  assert.equal(agent.decideAuthenticity({ authenticityScore: 0.1, fakeDetected: false, rationale: '' }, signals).fakeDetected, false);
});

test('fallback after 5 failed attempts', async () => {
  fake.on('bedrock:Converse', () => new AwsError('ServiceUnavailableException', 'Bedrock is unavailable', 503));
  const { authenticityResult } = await agent.handler(EVENT);
  assert.equal(fake.callsOf('bedrock:Converse').length, 5);
  const values = Object.values(authenticityResult.signals);
  const expected = Math.round(Math.min(1, (values.reduce((a, b) => a + b, 0) / 5) * 1.2) * 10000) / 10000;
  assert.equal(authenticityResult.authenticityScore, expected);
  assert.equal(authenticityResult.verifiedByAI, false);
  assert.equal(authenticityResult.fakeDetected, false);
});

test('fallback marks low scores as fake', () => {
  const low = { visualHashConfidence: 0.2, textMatchConfidence: 0.2, holoPatternConfidence: 0.2, borderConsistency: 0.2, fontValidation: 0.2 };
  const result = agent.decideAuthenticity(null, low);
  assert.equal(result.authenticityScore, 0.24);
  assert.equal(result.fakeDetected, true);
});

test('OCR name wins for the reference prefix', async () => {
  const event = { ...EVENT, cardMeta: { ...EVENT.cardMeta, ocrMetadata: { name: { value: 'Pikachu/V', confidence: 0.9, rationale: '' } } } };
  await agent.handler(event);
  assert.equal(fake.callsOf('s3:ListObjectsV2')[0].prefix, 'authentic-samples/Pikachu%2FV/');
});

test('non-image front fails the task', async () => {
  fake.objects.set(`${BUCKET}/${FRONT}`, Buffer.from('not an image'));
  await assert.rejects(agent.handler(EVENT));
});

test('output shape', async () => {
  const result = await agent.handler(EVENT);
  assert.deepEqual(Object.keys(result), ['authenticityResult', 'requestId']);
  assert.deepEqual(Object.keys(result.authenticityResult), ['authenticityScore', 'fakeDetected', 'rationale', 'signals', 'verifiedByAI']);
  const metric = fake.callsOf('cloudwatch:PutMetricData').find((m) => m.input.MetricData[0].MetricName === 'AuthenticityScore');
  assert.deepEqual(metric.input.MetricData[0].Dimensions, [{ Name: 'cardId', Value: 'card-1' }, { Name: 'scoreRange', Value: 'high' }]);
});
