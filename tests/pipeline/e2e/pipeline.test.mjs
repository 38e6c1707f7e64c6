// End-to-end tests of the CollectIQ pipeline on Stratus, started by
// tests/pipeline/run.sh. One `stratus serve` with pipeline/stack.yaml is
// driven through the real HTTP API with JWTs from `stratus token` and
// presigned S3 uploads. The real Node handlers, the EventBridge rule, the
// Step Functions workflow and the stand-ins for Rekognition, Bedrock and
// pricing do the rest.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
  CollectiqApi,
  sfnClient,
  uploadToPresignedUrl,
  waitForExecution,
} from '../../../pipeline/api-client.mjs';
import { REPO_ROOT, TABLE_NAME, requireSdk, startStratus } from '../../../pipeline/local-stack.mjs';

const { DynamoDBClient, GetItemCommand } = requireSdk('@aws-sdk/client-dynamodb');

const CARDS = join(REPO_ROOT, 'fixtures/cards');
const BUILD_DIR = process.env.STRATUS_BUILD_DIR || 'build';

let server;
let alice;
let bob;
let sfn;
let dynamodb;

before(async () => {
  server = await startStratus({ buildDir: BUILD_DIR });
  alice = new CollectiqApi(server.apiEndpoint, await server.token('alice'));
  bob = new CollectiqApi(server.apiEndpoint, await server.token('bob'));
  sfn = sfnClient(server.endpoint);
  dynamodb = new DynamoDBClient({
    region: 'us-east-1',
    endpoint: server.endpoint,
    credentials: { accessKeyId: 'AKIDSTRATUSTEST', secretAccessKey: 'stratus-test-secret' },
  });
});

after(async () => {
  if (server) await server.stop();
});

function contentTypeOf(file) {
  return file.endsWith('.png') ? 'image/png' : 'image/jpeg';
}

// Presigns, uploads `file` from fixtures/cards and creates its card.
// Returns the created card.
async function uploadCard(api, file) {
  const bytes = readFileSync(join(CARDS, file));
  const contentType = contentTypeOf(file);
  const presign = await api.presignUpload(file, contentType, bytes.length);
  assert.equal(presign.status, 200, JSON.stringify(presign.body));
  const upload = await uploadToPresignedUrl(presign.body.uploadUrl, bytes, contentType);
  assert.equal(upload.status, 200, upload.body);
  const created = await api.createCard({ frontS3Key: presign.body.key });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  return created.body;
}

async function storedItem(card) {
  const { Item } = await dynamodb.send(new GetItemCommand({
    TableName: TABLE_NAME,
    Key: { PK: { S: `USER#${card.userId}` }, SK: { S: `CARD#${card.cardId}` } },
  }));
  return Item;
}

async function setBedrockFault(fault) {
  const response = await fetch(`${server.endpoint}/_stratus/bedrock/faults`, {
    method: fault ? 'POST' : 'DELETE',
    headers: { 'Content-Type': 'application/json' },
    body: fault ? JSON.stringify(fault) : undefined,
  });
  assert.ok(response.status < 300, `fault endpoint: HTTP ${response.status} ${await response.text()}`);
}

describe('pipeline happy path', () => {
  test('two cards get different valuations', async () => {
    const results = [];
    for (const file of ['pikachu-ex-a1-096.jpg', 'charizard-ex-a1-036.png']) {
      const card = await uploadCard(alice, file);
      const execution = await waitForExecution(sfn, card.cardId);
      assert.equal(execution.status, 'SUCCEEDED', `${file}: ${execution.error} ${execution.cause}`);
      const output = JSON.parse(execution.output);
      assert.equal(output.error, undefined, `${file}: workflow caught ${JSON.stringify(output.error)}`);
      assert.equal(output.aggregatorResult.Payload.card.cardId, card.cardId);

      const valued = await alice.getCard(card.cardId);
      assert.equal(valued.status, 200);
      assert.equal(typeof valued.body.authenticityScore, 'number', `${file}: ${JSON.stringify(valued.body)}`);
      assert.equal(typeof valued.body.valueMedian, 'number', `${file}: ${JSON.stringify(valued.body)}`);
      assert.ok(valued.body.valueMedian > 0, `${file}: valueMedian ${valued.body.valueMedian}`);
      assert.equal(valued.body.ocrMetadata, undefined);
      results.push(valued.body);
    }
    assert.notEqual(results[0].authenticityScore, results[1].authenticityScore);
    assert.notEqual(results[0].valueMedian, results[1].valueMedian);
  });

  test('cards_create logs the auto-trigger lines', () => {
    const log = server.log();
    assert.match(log, /Card created successfully/);
    assert.match(log, /Emitting CardCreated event for auto-trigger/);
    assert.match(log, /CardCreated event emitted successfully/);
  });

  test('EventBridge names executions with UUIDs', async () => {
    const card = await uploadCard(alice, 'charmander-a2b-099.jpg');
    const execution = await waitForExecution(sfn, card.cardId);
    assert.match(execution.name, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.equal(execution.name.includes(card.cardId), false);
    const input = JSON.parse(execution.input);
    assert.equal(input.requestId, card.cardId);
    assert.deepEqual(input.s3Keys, { front: card.frontS3Key });
    assert.equal(input.cardMeta.name, '');
  });
});

describe('pipeline failure paths', () => {
  test('non-image upload ends in ErrorHandler', async () => {
    const card = await uploadCard(alice, 'not-an-image.jpg');
    const execution = await waitForExecution(sfn, card.cardId);
    assert.equal(execution.status, 'SUCCEEDED');
    const output = JSON.parse(execution.output);
    assert.ok(output.error, 'the workflow output has no caught error');
    assert.equal(typeof output.error.Cause, 'string');
    assert.ok(output.errorHandlerResult, 'ErrorHandler did not run');
    assert.equal(output.errorHandlerResult.Payload.handled, true);
    assert.equal(output.aggregatorResult, undefined);

    const stored = await alice.getCard(card.cardId);
    assert.equal(stored.status, 200);
    assert.equal(stored.body.authenticityScore, undefined);
    assert.equal(stored.body.valueMedian, undefined);
    assert.equal(stored.body.updatedAt, card.updatedAt);
  });

  test('Bedrock failures fall back', { timeout: 180000 }, async () => {
    await setBedrockFault({ kind: 'model-error', count: -1 });
    let card;
    let execution;
    try {
      card = await uploadCard(alice, 'pikachu-ex-a1-096.jpg');
      execution = await waitForExecution(sfn, card.cardId, { timeoutMs: 170000, pollMs: 500 });
    } finally {
      await setBedrockFault(null);
    }
    assert.equal(execution.status, 'SUCCEEDED');
    const output = JSON.parse(execution.output);
    assert.equal(output.error, undefined, JSON.stringify(output.error));
    assert.equal(output.ocrMetadata.Payload.cardMetadata.verifiedByAI, false);
    const authenticity = output.parallelResults[1].authenticityResult.Payload.authenticityResult;
    assert.equal(authenticity.verifiedByAI, false);
    const valuation = output.parallelResults[0].pricingResult.Payload.valuationSummary;
    assert.equal(valuation.trend, 'stable');

    const valued = await alice.getCard(card.cardId);
    assert.equal(typeof valued.body.authenticityScore, 'number');
    assert.equal(typeof valued.body.valueMedian, 'number');
    assert.equal(valued.body.valuationSummary.fairValue, valued.body.valueMedian);
  });
});

describe('HTTP API behaviour', () => {
  // The deployed cards-create role may put items but not get or update
  // them, so the idempotency record is never read or completed. A retry
  // with the same key loses the conditional put and creates a second card.
  test('same key duplicates under deployed IAM', async () => {
    const key = `duplicate-${Date.now()}`;
    const first = await alice.createCard({ frontS3Key: 'uploads/x/replay.jpg' }, key);
    const second = await alice.createCard({ frontS3Key: 'uploads/x/replay.jpg' }, key);
    assert.equal(first.status, 201);
    assert.equal(second.status, 201);
    assert.notEqual(second.body.cardId, first.body.cardId);
    assert.match(server.log(), /denied [^\n]*cards-create[^\n]*dynamodb:GetItem/);
  });

  test('same key replays without IAM', async () => {
    const open = await startStratus({ buildDir: BUILD_DIR, extraArgs: ['--iam', 'off'] });
    try {
      const api = new CollectiqApi(open.apiEndpoint, await open.token('alice'));
      const key = `replay-${Date.now()}`;
      const first = await api.createCard({ frontS3Key: 'uploads/x/replay.jpg' }, key);
      const second = await api.createCard({ frontS3Key: 'uploads/x/replay.jpg' }, key);
      assert.equal(first.status, 201);
      assert.equal(second.status, 201);
      assert.deepEqual(second.body, first.body);
    } finally {
      await open.stop();
    }
  });

  test('missing Idempotency-Key is 400', async () => {
    const response = await alice.request('POST', '/cards', { body: { frontS3Key: 'uploads/x/a.jpg' } });
    assert.equal(response.status, 400);
    assert.equal(response.headers.get('content-type'), 'application/problem+json');
    assert.equal(response.body.detail, 'Idempotency-Key header is required for this operation');
    assert.equal(response.body.instance, '/cards');
  });

  test('another user\'s card is 404', async () => {
    const created = await alice.createCard({ frontS3Key: 'uploads/x/private.jpg' });
    const response = await bob.getCard(created.body.cardId);
    assert.equal(response.status, 404);
    assert.equal(response.body.detail, `Card ${created.body.cardId} not found`);
  });

  test('another user\'s image is 403', async () => {
    const response = await bob.request('GET', `/images/presign?key=${encodeURIComponent('uploads/someone-else/a.jpg')}`);
    assert.equal(response.status, 403);
  });

  test('no token is 401 from the gateway', async () => {
    const response = await fetch(`${server.apiEndpoint}/cards`);
    assert.equal(response.status, 401);
    assert.deepEqual(await response.json(), { message: 'Unauthorized' });
  });

  test('list returns the user\'s cards', async () => {
    const response = await alice.listCards('?limit=100');
    assert.equal(response.status, 200);
    assert.ok(response.body.items.length >= 1);
    assert.ok(response.body.items.every((card) => card.userId === response.body.items[0].userId));
  });

  test('revalue starts a named execution', async () => {
    const created = await alice.createCard({ frontS3Key: 'uploads/x/revalue.jpg' });
    const response = await alice.revalueCard(created.body.cardId);
    assert.equal(response.status, 202, JSON.stringify(response.body));
    assert.equal(response.body.status, 'RUNNING');
    const name = response.body.executionArn.split(':').at(-1);
    assert.match(name, new RegExp(`^${created.body.cardId}-[0-9a-f-]{36}$`));
  });

  test('delete removes the card', async () => {
    const created = await alice.createCard({ frontS3Key: 'uploads/x/delete.jpg' });
    const deleted = await alice.deleteCard(created.body.cardId);
    assert.equal(deleted.status, 204);
    assert.equal((await alice.getCard(created.body.cardId)).status, 404);
    assert.equal(await storedItem(created.body), undefined);
  });
});
