// RekognitionExtract handler against the fake AWS server: the
// FeatureEnvelope of a generated image, the Rekognition requests, the back
// image, and the failures that must reach Step Functions' Catch.

import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { AwsError, startFakeAws, useFakeEnvironment } from './fake-aws.mjs';
import { makeCardImage } from './card-image.mjs';

const fake = await startFakeAws();
useFakeEnvironment(fake);
const { handler } = await import('../../../pipeline/handlers/rekognition-extract.mjs');

const BUCKET = 'collectiq-uploads';
const FRONT = 'uploads/user-1/0b7d-front.png';
const BACK = 'uploads/user-1/0b7d-back.png';

const TEXT_DETECTIONS = [
  { Type: 'LINE', DetectedText: 'Charizard', Confidence: 99.1, Geometry: { BoundingBox: { Left: 0.08, Top: 0.04, Width: 0.4, Height: 0.05 } } },
  { Type: 'LINE', DetectedText: 'HP 120', Confidence: 97.0, Geometry: { BoundingBox: { Left: 0.08, Top: 0.6, Width: 0.2, Height: 0.03 } } },
  { Type: 'WORD', DetectedText: 'Charizard', Confidence: 99.1, Geometry: { BoundingBox: { Left: 0.08, Top: 0.04, Width: 0.4, Height: 0.05 } } },
];

before(() => fake.reset());
after(() => fake.close());
beforeEach(async () => {
  fake.reset();
  fake.objects.set(`${BUCKET}/${FRONT}`, await makeCardImage());
  fake.on('rekognition:DetectText', () => ({ TextDetections: TEXT_DETECTIONS }));
  fake.on('rekognition:DetectLabels', () => ({ Labels: [{ Name: 'Card', Confidence: 99 }] }));
});

test('feature envelope of the front image', async () => {
  const result = await handler({ userId: 'user-1', cardId: 'card-1', s3Keys: { front: FRONT }, requestId: 'req-1' });
  assert.deepEqual(Object.keys(result), ['features', 'requestId']);
  assert.equal(result.requestId, 'req-1');
  const f = result.features;
  assert.deepEqual(Object.keys(f).sort(), ['borders', 'fontMetrics', 'holoVariance', 'imageMeta', 'ocr', 'quality']);
  assert.equal(f.imageMeta.width, 300);
  assert.equal(f.imageMeta.height, 420);
  assert.equal(f.imageMeta.format, 'png');
  assert.equal(f.imageMeta.sizeBytes, fake.objects.get(`${BUCKET}/${FRONT}`).length);
  assert.equal(f.borders.leftRatio, 0.05);
  assert.equal(f.borders.symmetryScore, 1);
  assert.equal(f.holoVariance, 0);
  assert.equal(f.ocr.length, 3);
  assert.equal(f.ocr[0].text, 'Charizard');
  assert.equal(f.ocr[0].confidence, 0.991);
  assert.equal(f.fontMetrics.alignment, 1);
  assert.equal(typeof f.quality.blurScore, 'number');
  assert.equal(typeof f.quality.glareDetected, 'boolean');
  assert.ok(f.quality.brightness > 0);
  assert.ok(f.quality.brightness < 1);
});

test('Rekognition requests name the S3 object', async () => {
  await handler({ userId: 'u', cardId: 'c', s3Keys: { front: FRONT }, requestId: 'r' });
  const [text] = fake.callsOf('rekognition:DetectText');
  const [labels] = fake.callsOf('rekognition:DetectLabels');
  assert.deepEqual(text.input, { Image: { S3Object: { Bucket: BUCKET, Name: FRONT } } });
  assert.deepEqual(labels.input, {
    Image: { S3Object: { Bucket: BUCKET, Name: FRONT } },
    MaxLabels: 50,
    MinConfidence: 70,
  });
  const [get] = fake.callsOf('s3:GetObject');
  assert.equal(get.bucket, BUCKET);
  assert.equal(get.key, FRONT);
});

test('holographic label gives a holoVariance', async () => {
  fake.on('rekognition:DetectLabels', () => ({ Labels: [{ Name: 'Shiny', Confidence: 88 }] }));
  const { features } = await handler({ userId: 'u', cardId: 'c', s3Keys: { front: FRONT }, requestId: 'r' });
  assert.ok(features.holoVariance > 0, String(features.holoVariance));
  assert.ok(features.holoVariance <= 1, String(features.holoVariance));
});

test('back image gives backFeatures', async () => {
  fake.objects.set(`${BUCKET}/${BACK}`, await makeCardImage({ format: 'jpeg', width: 200, height: 280 }));
  const result = await handler({ userId: 'u', cardId: 'c', s3Keys: { front: FRONT, back: BACK }, requestId: 'r' });
  assert.deepEqual(Object.keys(result), ['features', 'backFeatures', 'requestId']);
  assert.equal(result.backFeatures.imageMeta.format, 'jpeg');
  assert.equal(result.backFeatures.imageMeta.width, 200);
  assert.equal(fake.callsOf('rekognition:DetectText').length, 2);
});

test('Rekognition error keeps the message prefix', async () => {
  fake.on('rekognition:DetectText', () => new AwsError('InvalidS3ObjectException', 'Unable to get object metadata from S3.'));
  await assert.rejects(
    handler({ userId: 'u', cardId: 'c', s3Keys: { front: FRONT }, requestId: 'r' }),
    { message: 'Rekognition text/label detection failed: Unable to get object metadata from S3.' },
  );
});

test('non-image bytes fail before Rekognition', async () => {
  fake.objects.set(`${BUCKET}/${FRONT}`, Buffer.from('%PDF-1.4 not an image'));
  await assert.rejects(handler({ userId: 'u', cardId: 'c', s3Keys: { front: FRONT }, requestId: 'r' }));
  assert.equal(fake.callsOf('rekognition:DetectText').length, 0);
});

test('missing object fails the task', async () => {
  await assert.rejects(
    handler({ userId: 'u', cardId: 'c', s3Keys: { front: 'uploads/none.png' }, requestId: 'r' }),
    { name: 'NoSuchKey' },
  );
});

test('missing s3Keys.front fails the task', async () => {
  await assert.rejects(handler({ userId: 'u', cardId: 'c', requestId: 'r' }), /s3Keys.front is required/);
});
