// The six task handlers as Lambda functions of a real `stratus serve`,
// against its S3, DynamoDB, SQS, EventBridge, Rekognition, Bedrock and
// pricing stand-ins with the fixtures under fixtures/. Each handler is
// created with the Lambda API (AWS CLI) from pipeline/handlers and invoked
// with the payload the state machine would build from the previous output.
//
// Uses STRATUS_ENDPOINT when set; otherwise starts STRATUS_BIN (default
// build/stratus) on a free loopback port and stops it by its pid. Skips
// when neither is available or pipeline/handlers has no node_modules.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { handlersRequire } from './unit/fake-aws.mjs';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const handlersDir = join(repo, 'pipeline/handlers');
const fixtures = join(repo, 'fixtures');
const stratusBin = process.env.STRATUS_BIN || join(repo, 'build/stratus');
const AWS_CLI = '/usr/bin/aws';

const skipReason = (() => {
  if (!existsSync(join(handlersDir, 'node_modules/@aws-sdk/client-s3'))) {
    return 'pipeline/handlers has no node_modules: run npm ci there';
  }
  if (!existsSync(join(fixtures, 'bedrock/rules.json'))) return 'fixtures/bedrock is missing (merge main)';
  if (!existsSync(AWS_CLI)) return `${AWS_CLI} is missing`;
  if (!process.env.STRATUS_ENDPOINT && !existsSync(stratusBin)) {
    return `no STRATUS_ENDPOINT and no binary at ${stratusBin}: build stratus first`;
  }
  return null;
})();

const ACCOUNT = '123456789012';
const BUCKET = 'collectiq-hackathon-uploads-123456789012';
const TABLE = 'collectiq-hackathon-cards';
const BUS = 'collectiq-hackathon-events';
const USER = 'f3a1c2d4-0000-4000-8000-00000000000a';
const PREFIX = 'stratus-tasks';

let endpoint = process.env.STRATUS_ENDPOINT;
let server = null;
const home = mkdtempSync(join(tmpdir(), 'stratus-tasks-'));

function freePort() {
  return new Promise((resolvePort, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolvePort(port));
    });
  });
}

async function waitHealthy(url, child) {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`stratus serve exited (${child.exitCode ?? child.signalCode}) before it became healthy`);
    }
    try {
      const response = await fetch(`${url}/_stratus/health`, { signal: AbortSignal.timeout(1000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`stratus serve at ${url} did not become healthy within 10 s`);
}

function cliEnv() {
  return {
    PATH: '/usr/bin:/bin',
    HOME: home,
    LANG: 'C.UTF-8',
    AWS_ACCESS_KEY_ID: 'AKIDSTRATUSTEST',
    AWS_SECRET_ACCESS_KEY: 'stratus-test-secret',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_PAGER: '',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: join(home, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'no-credentials'),
  };
}

function aws(...args) {
  const result = spawnSync(AWS_CLI, [...args, '--endpoint-url', endpoint, '--output', 'json'], {
    env: cliEnv(),
    encoding: 'utf8',
    timeout: 120000,
  });
  if (result.status !== 0) {
    throw new Error(`aws ${args.slice(0, 2).join(' ')} failed (${result.status}): ${result.stderr}`);
  }
  return result.stdout.trim() ? JSON.parse(result.stdout) : {};
}

// Sets the Bedrock stand-in's fault ({kind, count}).
async function setBedrockFault(fault) {
  const response = await fetch(`${endpoint}/_stratus/bedrock/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(fault),
  });
  assert.equal(response.status, 200, await response.text());
}

// Invokes a function and returns {status, functionError, payload}.
function invoke(name, payload) {
  const input = join(home, `${name}-in.json`);
  const output = join(home, `${name}-out.json`);
  writeFileSync(input, JSON.stringify(payload));
  const meta = aws('lambda', 'invoke', '--function-name', `${PREFIX}-${name}`,
    '--cli-binary-format', 'raw-in-base64-out', '--payload', `file://${input}`, output);
  return {
    status: meta.StatusCode,
    functionError: meta.FunctionError,
    payload: JSON.parse(readFileSync(output, 'utf8')),
  };
}

const FUNCTIONS = {
  'rekognition-extract': { handler: 'rekognition-extract.handler', timeout: 300 },
  'ocr-reasoning-agent': { handler: 'ocr-reasoning-agent.handler', timeout: 30 },
  'pricing-agent': { handler: 'pricing-agent.handler', timeout: 300 },
  'authenticity-agent': { handler: 'authenticity_agent.handler', timeout: 300 },
  aggregator: { handler: 'aggregator.handler', timeout: 60 },
  'error-handler': { handler: 'error-handler.handler', timeout: 60 },
};

let sdk;
let dlqUrl;
let eventsQueueUrl;
const keys = {};

describe('task handlers on stratus serve', { skip: skipReason ?? false }, () => {
  before(async () => {
    if (!endpoint) {
      const port = await freePort();
      endpoint = `http://127.0.0.1:${port}`;
      // No HTTP API port: these tests do not need it, and its default port
      // may be taken by another server.
      server = spawn(stratusBin, [
        'serve', '--in-memory', '--no-stack', '--port', String(port), '--api-port', 'off', '--log-level', 'warn',
      ], { cwd: repo, stdio: ['ignore', 'ignore', 'inherit'] });
      await waitHealthy(endpoint, server);
    }
    process.env.AWS_ENDPOINT_URL = endpoint;
    process.env.AWS_ACCESS_KEY_ID = 'AKIDSTRATUSTEST';
    process.env.AWS_SECRET_ACCESS_KEY = 'stratus-test-secret';
    process.env.AWS_REGION = 'us-east-1';

    const { S3Client, CreateBucketCommand, PutObjectCommand } = handlersRequire('@aws-sdk/client-s3');
    const { DynamoDBClient, CreateTableCommand, PutItemCommand, GetItemCommand } = handlersRequire('@aws-sdk/client-dynamodb');
    const { SQSClient, CreateQueueCommand, ReceiveMessageCommand, GetQueueAttributesCommand } = handlersRequire('@aws-sdk/client-sqs');
    const { EventBridgeClient, CreateEventBusCommand, PutRuleCommand, PutTargetsCommand } = handlersRequire('@aws-sdk/client-eventbridge');
    sdk = {
      s3: new S3Client({}), ddb: new DynamoDBClient({}), sqs: new SQSClient({}), events: new EventBridgeClient({}),
      GetItemCommand, PutItemCommand, ReceiveMessageCommand, GetQueueAttributesCommand,
    };

    await sdk.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    for (const [name, file] of [['pikachu', 'pikachu-ex-a1-096.jpg'], ['charmander', 'charmander-a2b-099.jpg'], ['broken', 'not-an-image.jpg']]) {
      keys[name] = `uploads/${USER}/${randomUUID()}-${file}`;
      await sdk.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: keys[name], Body: readFileSync(join(fixtures, 'cards', file)) }));
    }

    await sdk.ddb.send(new CreateTableCommand({
      TableName: TABLE,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'PK', AttributeType: 'S' }, { AttributeName: 'SK', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'PK', KeyType: 'HASH' }, { AttributeName: 'SK', KeyType: 'RANGE' }],
    }));
    // Only Pikachu's price is cached, so Charmander's goes to the pricing stand-in.
    const cache = JSON.parse(readFileSync(join(fixtures, 'pricing/api-cache.json'), 'utf8'));
    for (const item of cache.filter((i) => i.SK.S.startsWith('PRICE#pikachu'))) {
      await sdk.ddb.send(new PutItemCommand({ TableName: TABLE, Item: item }));
    }

    dlqUrl = (await sdk.sqs.send(new CreateQueueCommand({ QueueName: 'collectiq-hackathon-events-dlq' }))).QueueUrl;
    eventsQueueUrl = (await sdk.sqs.send(new CreateQueueCommand({ QueueName: `${PREFIX}-valuation-events` }))).QueueUrl;
    await sdk.events.send(new CreateEventBusCommand({ Name: BUS }));
    await sdk.events.send(new PutRuleCommand({
      Name: `${PREFIX}-valuation-completed`, EventBusName: BUS,
      EventPattern: JSON.stringify({ source: ['collectiq.backend'], 'detail-type': ['CardValuationCompleted'] }),
    }));
    await sdk.events.send(new PutTargetsCommand({
      Rule: `${PREFIX}-valuation-completed`, EventBusName: BUS,
      Targets: [{ Id: 'queue', Arn: `arn:aws:sqs:us-east-1:${ACCOUNT}:${PREFIX}-valuation-events` }],
    }));

    const variables = {
      BUCKET_UPLOADS: BUCKET,
      DDB_TABLE: TABLE,
      EVENT_BUS_NAME: BUS,
      DLQ_URL: dlqUrl,
      POKEMONTCG_API_URL: '${Stratus::EndpointUrl}/_stratus/pokemontcg/v2/cards',
      XRAY_ENABLED: 'false',
      LOG_LEVEL: 'WARN',
      // Short Bedrock back-off, so the fallback tests take seconds.
      BEDROCK_RETRY_DELAY_MS: '50',
      BEDROCK_BACKOFF_BASE_MS: '50',
    };
    // Stratus enforces IAM on the functions' credentials, so the role must
    // exist and allow every call the handlers make.
    aws('iam', 'create-role', '--role-name', `${PREFIX}-role`, '--assume-role-policy-document', JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    }));
    aws('iam', 'put-role-policy', '--role-name', `${PREFIX}-role`, '--policy-name', 'tasks', '--policy-document', JSON.stringify({
      Version: '2012-10-17',
      Statement: [{
        Effect: 'Allow',
        Action: ['s3:GetObject', 's3:ListBucket', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query',
          'dynamodb:UpdateItem', 'events:PutEvents', 'sqs:SendMessage', 'rekognition:DetectText',
          'rekognition:DetectLabels', 'bedrock:InvokeModel', 'secretsmanager:GetSecretValue',
          'cloudwatch:PutMetricData'],
        Resource: '*',
      }],
    }));

    for (const [name, spec] of Object.entries(FUNCTIONS)) {
      aws('lambda', 'create-function', '--function-name', `${PREFIX}-${name}`,
        '--runtime', 'nodejs20.x', '--handler', spec.handler, '--timeout', String(spec.timeout),
        '--memory-size', '1024', '--role', `arn:aws:iam::${ACCOUNT}:role/${PREFIX}-role`,
        '--code', `S3Bucket=hot-reload,S3Key=${handlersDir}`,
        '--environment', JSON.stringify({ Variables: variables }));
    }
  });

  after(async () => {
    if (server && server.exitCode === null && server.signalCode === null) {
      server.kill('SIGTERM');
      await new Promise((r) => server.once('exit', r));
    }
    rmSync(home, { recursive: true, force: true });
  });

  // Results passed from one task to the next, as the state machine does.
  const state = {};

  test('rekognition-extract on a fixture card', () => {
    const { status, functionError, payload } = invoke('rekognition-extract', {
      userId: USER, cardId: 'card-pika', s3Keys: { front: keys.pikachu }, requestId: 'req-pika',
    });
    assert.equal(status, 200);
    assert.equal(functionError, undefined, JSON.stringify(payload));
    assert.equal(payload.requestId, 'req-pika');
    const f = payload.features;
    assert.equal(f.imageMeta.format, 'jpeg');
    assert.equal(f.imageMeta.sizeBytes, readFileSync(join(fixtures, 'cards/pikachu-ex-a1-096.jpg')).length);
    assert.ok(f.ocr.some((b) => b.type === 'LINE' && /Pikachu/.test(b.text)), JSON.stringify(f.ocr));
    assert.equal(f.holoVariance, 0);
    for (const side of ['topRatio', 'bottomRatio', 'leftRatio', 'rightRatio', 'symmetryScore']) {
      assert.ok(f.borders[side] >= 0, side);
      assert.ok(f.borders[side] <= 1, side);
    }
    state.pikachuFeatures = f;
  });

  test('rekognition-extract sees the shiny label', () => {
    const { functionError, payload } = invoke('rekognition-extract', {
      userId: USER, cardId: 'card-char', s3Keys: { front: keys.charmander }, requestId: 'req-char',
    });
    assert.equal(functionError, undefined, JSON.stringify(payload));
    assert.ok(payload.features.holoVariance > 0, String(payload.features.holoVariance));
    state.charmanderFeatures = payload.features;
  });

  test('rekognition-extract fails on non-image bytes', () => {
    const { functionError, payload } = invoke('rekognition-extract', {
      userId: USER, cardId: 'card-bad', s3Keys: { front: keys.broken }, requestId: 'req-bad',
    });
    assert.equal(functionError, 'Unhandled');
    assert.equal(typeof payload.errorMessage, 'string');
  });

  test('ocr-reasoning-agent reads the card', () => {
    const { functionError, payload } = invoke('ocr-reasoning-agent', {
      userId: USER, cardId: 'card-pika', features: state.pikachuFeatures, requestId: 'req-pika',
    });
    assert.equal(functionError, undefined, JSON.stringify(payload));
    const metadata = payload.cardMetadata;
    assert.equal(metadata.verifiedByAI, true);
    assert.equal(metadata.name.value, 'Pikachu ex');
    assert.equal(metadata.set.candidates[0].value, 'Genetic Apex');
    assert.equal(metadata.collectorNumber.value, '096/286');
    state.pikachuMetadata = metadata;
  });

  test('pricing-agent uses the API cache', () => {
    const m = state.pikachuMetadata;
    const { functionError, payload } = invoke('pricing-agent', {
      userId: USER, cardId: 'card-pika', features: state.pikachuFeatures,
      cardMeta: { name: m.name.value, set: m.set.value, rarity: m.rarity.value, number: m.collectorNumber.value, ocrMetadata: m },
      requestId: 'req-pika',
    });
    assert.equal(functionError, undefined, JSON.stringify(payload));
    assert.equal(payload.pricingResult.compsCount, 4);
    assert.ok(payload.pricingResult.valueMedian > 0);
    assert.equal(payload.valuationSummary.fairValue, 5.8);
    assert.equal(payload.valuationSummary.trend, 'stable');
    state.pikachuPricing = payload;
  });

  test('pricing-agent queries the pricing stand-in', async () => {
    const ocr = invoke('ocr-reasoning-agent', {
      userId: USER, cardId: 'card-char', features: state.charmanderFeatures, requestId: 'req-char',
    }).payload.cardMetadata;
    assert.equal(ocr.name.value, 'Charmander');
    const { functionError, payload } = invoke('pricing-agent', {
      userId: USER, cardId: 'card-char', features: state.charmanderFeatures,
      cardMeta: { name: ocr.name.value, set: ocr.set.value, rarity: ocr.rarity.value, number: ocr.collectorNumber.value, ocrMetadata: ocr },
      requestId: 'req-char',
    });
    assert.equal(functionError, undefined, JSON.stringify(payload));
    assert.ok(payload.pricingResult.compsCount > 0, JSON.stringify(payload.pricingResult));
    assert.equal(payload.valuationSummary.trend, 'falling');

    const cached = await sdk.ddb.send(new sdk.GetItemCommand({
      TableName: TABLE, Key: { PK: { S: 'API_CACHE' }, SK: { S: 'PRICE#charmander|shining revelry' } },
    }));
    assert.ok(cached.Item, 'the fetched prices are cached');
    assert.equal(cached.Item.rawComps.L.length, payload.pricingResult.compsCount);
  });

  test('authenticity-agent with the Bedrock judgement', () => {
    const m = state.pikachuMetadata;
    const { functionError, payload } = invoke('authenticity-agent', {
      userId: USER, cardId: 'card-pika', features: state.pikachuFeatures,
      cardMeta: { name: m.name.value, set: m.set.value, rarity: m.rarity.value, frontS3Key: keys.pikachu, ocrMetadata: m },
      s3Keys: { front: keys.pikachu }, requestId: 'req-pika',
    });
    assert.equal(functionError, undefined, JSON.stringify(payload));
    const result = payload.authenticityResult;
    assert.equal(result.verifiedByAI, true);
    assert.equal(result.authenticityScore, Math.round(Math.min(1, 0.86 * 1.15) * 10000) / 10000);
    assert.equal(result.fakeDetected, false);
    assert.equal(result.signals.visualHashConfidence, 0.85);
    state.pikachuAuthenticity = payload;
  });

  test('aggregator upserts and publishes', async () => {
    const { functionError, payload } = invoke('aggregator', {
      userId: USER, cardId: 'card-pika', requestId: 'req-pika', ocrMetadata: state.pikachuMetadata,
      agentResults: [
        { pricingResult: state.pikachuPricing.pricingResult, valuationSummary: state.pikachuPricing.valuationSummary, requestId: 'req-pika' },
        { authenticityResult: state.pikachuAuthenticity.authenticityResult, requestId: 'req-pika' },
      ],
      skipCardFetch: true,
    });
    assert.equal(functionError, undefined, JSON.stringify(payload));
    assert.equal(payload.requestId, 'req-pika');
    assert.equal(payload.card.PK, `USER#${USER}`);
    assert.equal(payload.card.SK, 'CARD#card-pika');
    assert.equal(payload.card.name, 'Pikachu ex');
    assert.equal(payload.card.entityType, undefined);

    const stored = await sdk.ddb.send(new sdk.GetItemCommand({
      TableName: TABLE, Key: { PK: { S: `USER#${USER}` }, SK: { S: 'CARD#card-pika' } },
    }));
    assert.equal(stored.Item.valueMedian.N, String(state.pikachuPricing.pricingResult.valueMedian));
    assert.equal(stored.Item.ocrMetadata.M.name.S, 'Pikachu ex');

    const received = await sdk.sqs.send(new sdk.ReceiveMessageCommand({ QueueUrl: eventsQueueUrl, WaitTimeSeconds: 5 }));
    assert.equal(received.Messages?.length, 1);
    const event = JSON.parse(received.Messages[0].Body);
    assert.equal(event['detail-type'], 'CardValuationCompleted');
    assert.equal(event.detail.cardId, 'card-pika');
    assert.equal(event.detail.valuationFairValue, 5.8);
  });

  test('ocr-reasoning-agent falls back when Bedrock throttles', async () => {
    // The SDK retries a throttled call itself, so the fault must outlast
    // every SDK attempt of every handler attempt.
    await setBedrockFault({ kind: 'throttling', count: 1000 });
    try {
      const { functionError, payload } = invoke('ocr-reasoning-agent', {
        userId: USER, cardId: 'card-pika', features: state.pikachuFeatures, requestId: 'req-pika',
      });
      assert.equal(functionError, undefined, JSON.stringify(payload));
      const metadata = payload.cardMetadata;
      assert.equal(metadata.verifiedByAI, false);
      const topmost = [...state.pikachuFeatures.ocr].sort((a, b) => a.boundingBox.top - b.boundingBox.top)[0];
      assert.equal(metadata.name.value, topmost.text);
      assert.equal(metadata.name.confidence, Math.round(topmost.confidence * 0.7 * 10000) / 10000);
      assert.equal(metadata.set.value, null);
    } finally {
      await setBedrockFault({ kind: 'none', count: 0 });
    }
  });

  test('authenticity-agent falls back when Bedrock fails', async () => {
    await setBedrockFault({ kind: 'model-error', count: 1000 });
    try {
      const m = state.pikachuMetadata;
      const { functionError, payload } = invoke('authenticity-agent', {
        userId: USER, cardId: 'card-pika', features: state.pikachuFeatures,
        cardMeta: { name: m.name.value, set: m.set.value, rarity: m.rarity.value, frontS3Key: keys.pikachu, ocrMetadata: m },
        s3Keys: { front: keys.pikachu }, requestId: 'req-pika',
      });
      assert.equal(functionError, undefined, JSON.stringify(payload));
      const result = payload.authenticityResult;
      assert.equal(result.verifiedByAI, false);
      const values = Object.values(result.signals);
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      assert.equal(result.authenticityScore, Math.round(Math.min(1, mean * 1.2) * 10000) / 10000);
    } finally {
      await setBedrockFault({ kind: 'none', count: 0 });
    }
  });

  test('aggregator updates an existing card', async () => {
    await sdk.ddb.send(new sdk.PutItemCommand({
      TableName: TABLE,
      Item: {
        PK: { S: `USER#${USER}` }, SK: { S: 'CARD#card-kept' }, entityType: { S: 'CARD' },
        cardId: { S: 'card-kept' }, userId: { S: USER }, frontS3Key: { S: keys.pikachu },
        createdAt: { S: '2026-12-01T10:00:00.000Z' }, updatedAt: { S: '2026-12-01T10:00:00.000Z' },
      },
    }));
    const { functionError, payload } = invoke('aggregator', {
      userId: USER, cardId: 'card-kept', requestId: 'req-kept', ocrMetadata: state.pikachuMetadata,
      agentResults: [
        { pricingResult: state.pikachuPricing.pricingResult, valuationSummary: state.pikachuPricing.valuationSummary, requestId: 'req-kept' },
        { authenticityResult: state.pikachuAuthenticity.authenticityResult, requestId: 'req-kept' },
      ],
      skipCardFetch: false,
    });
    assert.equal(functionError, undefined, JSON.stringify(payload));
    assert.equal(payload.card.entityType, 'CARD');
    assert.equal(payload.card.createdAt, '2026-12-01T10:00:00.000Z');
    assert.equal(payload.card.valueMedian, state.pikachuPricing.pricingResult.valueMedian);
    assert.equal(payload.card.ocrMetadata, undefined);

    const missing = invoke('aggregator', {
      userId: USER, cardId: 'card-gone', requestId: 'req-gone', agentResults: [], skipCardFetch: false,
    });
    assert.equal(missing.functionError, 'Unhandled');
    assert.equal(missing.payload.errorMessage, 'Card card-gone not found');
  });

  test('error-handler without requestId', async () => {
    const { functionError, payload } = invoke('error-handler', {
      userId: USER, cardId: 'card-bad', error: { Error: 'Error', Cause: '{"errorMessage":"boom"}' },
      executionArn: `arn:aws:states:us-east-1:${ACCOUNT}:execution:collectiq-hackathon-card-valuation:x`,
      stateMachineName: 'collectiq-hackathon-card-valuation',
    });
    assert.equal(functionError, undefined, JSON.stringify(payload));
    assert.equal(payload.handled, true);
    // SQS rejects the RequestId attribute without a value, as AWS does.
    assert.deepEqual(payload, { handled: true, partialResultsPersisted: false });
  });

  test('error-handler with requestId reaches the DLQ', async () => {
    const { payload } = invoke('error-handler', {
      userId: USER, cardId: 'card-bad', requestId: 'req-bad', error: { Error: 'Error', Cause: '{}' },
    });
    assert.equal(typeof payload.dlqMessageId, 'string');
    const received = await sdk.sqs.send(new sdk.ReceiveMessageCommand({
      QueueUrl: dlqUrl, WaitTimeSeconds: 2, MessageAttributeNames: ['All'],
    }));
    assert.equal(received.Messages?.length, 1);
    const message = received.Messages[0];
    assert.equal(message.MessageId, payload.dlqMessageId);
    assert.equal(message.MessageAttributes.RequestId.StringValue, 'req-bad');
    assert.equal(message.MessageAttributes.ErrorType.StringValue, 'Error');
    assert.equal(createHash('md5').update(message.Body).digest('hex'), message.MD5OfBody);
  });
});
