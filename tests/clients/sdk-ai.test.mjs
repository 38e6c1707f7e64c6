// The Rekognition and Bedrock Runtime stand-ins and the pricing API through
// the AWS SDK for JavaScript v3 against a running Stratus
// (STRATUS_ENDPOINT, set by run.sh), with the card images of fixtures/.
//
// The Bedrock Runtime client of SDK v3 sends every call over HTTP/2 by
// default, which Stratus does not serve, so the client here is given the
// HTTP/1.1 handler explicitly.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import {
  DetectLabelsCommand,
  DetectTextCommand,
  RekognitionClient,
} from '@aws-sdk/client-rekognition';
import { BedrockRuntimeClient, ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';

const endpoint = process.env.STRATUS_ENDPOINT;
if (!endpoint || !/^http:\/\/127\.0\.0\.1:\d+$/.test(endpoint)) {
  throw new Error(
    `STRATUS_ENDPOINT must be http://127.0.0.1:PORT, got ${JSON.stringify(endpoint)}; run this file through run.sh`,
  );
}

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures');
const cards = JSON.parse(readFileSync(join(fixtures, 'cards', 'cards.json'), 'utf8')).cards;
const image = (file) => readFileSync(join(fixtures, 'cards', file));

const config = { endpoint, region: 'us-east-1' };
const rekognition = new RekognitionClient(config);
const bedrock = new BedrockRuntimeClient({
  ...config,
  maxAttempts: 1,
  requestHandler: new NodeHttpHandler(),
});
const modelId = 'us.anthropic.claude-sonnet-4-20250514-v1:0';

async function setFault(fault) {
  const response = await fetch(`${endpoint}/_stratus/bedrock/faults`, {
    method: fault ? 'POST' : 'DELETE',
    body: fault ? JSON.stringify(fault) : undefined,
  });
  assert.equal(response.status, 200, await response.text());
}

describe('rekognition', () => {
  for (const card of cards) {
    test(`DetectText reads ${card.name} near the top`, async () => {
      const out = await rekognition.send(new DetectTextCommand({ Image: { Bytes: image(card.file) } }));
      const lines = out.TextDetections.filter((d) => d.Type === 'LINE');
      assert.equal(lines[0].DetectedText, card.name);
      assert.ok(lines[0].Geometry.BoundingBox.Top < 0.3);
      assert.ok(lines.some((d) => d.DetectedText === card.number));
      assert.ok(out.TextDetections.some((d) => d.Type === 'WORD' && d.ParentId === 0));
    });
  }

  test('DetectLabels finds Shiny only on the shiny card', async () => {
    const labels = async (file) =>
      (await rekognition.send(
        new DetectLabelsCommand({ Image: { Bytes: image(file) }, MaxLabels: 50, MinConfidence: 70 }),
      )).Labels.map((l) => l.Name);
    assert.ok((await labels('charmander-a2b-099.jpg')).includes('Shiny'));
    assert.ok(!(await labels('pikachu-ex-a1-096.jpg')).includes('Shiny'));
    const limited = await rekognition.send(
      new DetectLabelsCommand({ Image: { Bytes: image('charmander-a2b-099.jpg') }, MaxLabels: 1 }),
    );
    assert.equal(limited.Labels.length, 1);
    assert.equal(limited.LabelModelVersion, '3.0');
  });

  test('text bytes are an invalid image format', async () => {
    await assert.rejects(
      rekognition.send(new DetectTextCommand({ Image: { Bytes: image('not-an-image.jpg') } })),
      (err) => {
        assert.equal(err.name, 'InvalidImageFormatException');
        assert.equal(err.message, 'Request has invalid image format');
        assert.equal(err.$metadata.httpStatusCode, 400);
        return true;
      },
    );
  });

  test('DetectText and DetectLabels read an S3 object', async () => {
    const s3 = new S3Client({ ...config, forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: 'stratus-ai-uploads' }));
    await s3.send(
      new PutObjectCommand({
        Bucket: 'stratus-ai-uploads',
        Key: 'uploads/u1/front.png',
        Body: image('charizard-ex-a1-036.png'),
        ContentType: 'image/png',
      }),
    );
    const Image = { S3Object: { Bucket: 'stratus-ai-uploads', Name: 'uploads/u1/front.png' } };
    const text = await rekognition.send(new DetectTextCommand({ Image }));
    assert.equal(text.TextDetections[0].DetectedText, 'Charizard ex');
    const labels = await rekognition.send(new DetectLabelsCommand({ Image, MaxLabels: 50, MinConfidence: 70 }));
    assert.ok(labels.Labels.some((l) => l.Name === 'Text'));
  });

  test('a missing S3 object is InvalidS3ObjectException', async () => {
    await assert.rejects(
      rekognition.send(
        new DetectLabelsCommand({ Image: { S3Object: { Bucket: 'no-such-bucket', Name: 'card.jpg' } } }),
      ),
      { name: 'InvalidS3ObjectException' },
    );
  });
});

describe('bedrock runtime', () => {
  const ocrSystem =
    'You are an expert Pokémon Trading Card Game (TCG) analyst specializing in card identification from OCR text.';

  test('Converse answers the OCR prompt with fenced card JSON', async () => {
    const out = await bedrock.send(
      new ConverseCommand({
        modelId,
        system: [{ text: ocrSystem }],
        messages: [{ role: 'user', content: [{ text: '- "Charmander" (confidence: 99.6%)' }] }],
        inferenceConfig: { maxTokens: 4096, temperature: 0.15 },
      }),
    );
    assert.equal(out.stopReason, 'end_turn');
    assert.equal(out.output.message.role, 'assistant');
    const text = out.output.message.content[0].text;
    const fenced = text.match(/```json\s*([\s\S]*?)\s*```/);
    assert.ok(fenced, text);
    const ocr = JSON.parse(fenced[1]);
    assert.equal(ocr.name.value, 'Charmander');
    assert.equal(ocr.rarity.value, 'Shiny');
    assert.equal(out.usage.totalTokens, out.usage.inputTokens + out.usage.outputTokens);
    assert.equal(typeof out.metrics.latencyMs, 'number');
  });

  test('an injected throttle reaches the SDK as ThrottlingException', async () => {
    await setFault({ kind: 'throttling', count: 1, latencyMs: 50 });
    const request = new ConverseCommand({
      modelId,
      system: [{ text: 'You are an expert Pokémon TCG card valuator.' }],
      messages: [{ role: 'user', content: [{ text: 'Name: Pikachu ex' }] }],
    });
    await assert.rejects(bedrock.send(request), (err) => {
      assert.equal(err.name, 'ThrottlingException');
      assert.equal(err.message, 'Too many requests, please wait before trying again.');
      assert.equal(err.$metadata.httpStatusCode, 429);
      return true;
    });
    const out = await bedrock.send(request);
    assert.equal(JSON.parse(out.output.message.content[0].text).fairValue, 5.8);
    await setFault(null);
  });

  test('an invalid model id is a ValidationException', async () => {
    await assert.rejects(
      bedrock.send(
        new ConverseCommand({ modelId: 'no model', messages: [{ role: 'user', content: [{ text: 'hi' }] }] }),
      ),
      { name: 'ValidationException', message: 'The provided model identifier is invalid.' },
    );
  });
});

describe('pricing api', () => {
  test('card search answers in the v2 format', async () => {
    const q = encodeURIComponent('name:"Pikachu ex" set.name:"Genetic Apex"');
    const response = await fetch(`${endpoint}/_stratus/pokemontcg/v2/cards?q=${q}&pageSize=10`);
    assert.equal(response.status, 200);
    const body = await response.json();
    assert.equal(body.totalCount, 2);
    assert.equal(body.pageSize, 10);
    assert.ok(body.data[0].tcgplayer.prices.holofoil.market > 0);
  });
});
