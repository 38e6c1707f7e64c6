// Unit tests of the handlers' idempotency middleware: every row of its
// decision table, against an in-memory stub of the DynamoDB document
// client (no network, no server).

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';

import { setDocumentClient } from '../../../pipeline/handlers/lib/ddb.mjs';
import {
  idempotencyKeyOf,
  withIdempotency,
} from '../../../pipeline/handlers/lib/idempotency.mjs';

const SUB = 'user-sub-1';
const KEY = 'key-123';
const RECORD_KEY = `USER#${SUB}|IDEMPOTENCY#${KEY}`;

function conditionFailed() {
  const error = new Error('The conditional request failed');
  error.name = 'ConditionalCheckFailedException';
  return error;
}

// A stub of the document client: items in a Map keyed by "PK|SK", every
// command recorded, and `failures[commandName]` thrown instead of running.
function stubClient() {
  const items = new Map();
  const calls = [];
  const failures = {};
  const keyOf = (key) => `${key.PK}|${key.SK}`;
  const client = {
    items, calls, failures,
    async send(command) {
      const name = command.constructor.name;
      const input = command.input;
      calls.push({ name, input });
      if (failures[name]) throw failures[name];
      switch (name) {
        case 'GetCommand': {
          const item = items.get(keyOf(input.Key));
          return { Item: item ? structuredClone(item) : undefined };
        }
        case 'PutCommand': {
          const id = keyOf(input.Item);
          if (input.ConditionExpression && items.has(id)) throw conditionFailed();
          items.set(id, structuredClone(input.Item));
          return {};
        }
        case 'UpdateCommand': {
          const id = keyOf(input.Key);
          if (!items.has(id)) throw conditionFailed();
          const item = items.get(id);
          const values = input.ExpressionAttributeValues;
          item.status = values[':status'];
          item.result = structuredClone(values[':result']);
          item.updatedAt = values[':updatedAt'];
          return {};
        }
        case 'DeleteCommand':
          items.delete(keyOf(input.Key));
          return {};
        default:
          throw new Error(`stub does not support ${name}`);
      }
    },
  };
  return client;
}

function apiEvent({ headers = { 'idempotency-key': KEY }, sub = SUB } = {}) {
  const claims = sub ? { sub, iat: '1700000000', exp: '4102444800' } : {};
  return {
    version: '2.0',
    headers,
    requestContext: {
      requestId: 'req-1',
      http: { method: 'POST', path: '/cards' },
      authorizer: { jwt: { claims } },
    },
  };
}

function countingHandler(response) {
  const handler = async () => {
    handler.calls += 1;
    if (response instanceof Error) throw response;
    return structuredClone(response);
  };
  handler.calls = 0;
  return handler;
}

const CREATED = { statusCode: 201, headers: { 'Content-Type': 'application/json' }, body: '{"cardId":"c1"}' };
const names = (client) => client.calls.map((call) => call.name);

let client;
beforeEach(() => {
  process.env.DDB_TABLE = 'cards-table';
  delete process.env.IDEMPOTENCY_TTL_SECONDS;
  client = stubClient();
  setDocumentClient(client);
});
afterEach(() => setDocumentClient(undefined));

describe('idempotency decision table', () => {
  test('missing key on a required operation is 400', async () => {
    const inner = countingHandler(CREATED);
    const wrapped = withIdempotency(inner, { operation: 'cards_create', required: true });
    const response = await wrapped(apiEvent({ headers: {} }));
    assert.equal(response.statusCode, 400);
    assert.equal(response.headers['Content-Type'], 'application/problem+json');
    const body = JSON.parse(response.body);
    assert.equal(body.type, '/errors/bad-request');
    assert.equal(body.detail, 'Idempotency-Key header is required for this operation');
    assert.equal(body.instance, '/cards');
    assert.equal(body.requestId, 'req-1');
    assert.equal(inner.calls, 0);
    assert.deepEqual(client.calls, []);
  });

  test('missing key on an optional operation runs the handler', async () => {
    const inner = countingHandler(CREATED);
    const wrapped = withIdempotency(inner, { operation: 'op', required: false });
    const response = await wrapped(apiEvent({ headers: {} }));
    assert.equal(response.statusCode, 201);
    assert.equal(inner.calls, 1);
    assert.deepEqual(client.calls, []);
  });

  test('key without a sub claim is 401', async () => {
    const inner = countingHandler(CREATED);
    const wrapped = withIdempotency(inner, { operation: 'cards_create', required: true });
    const response = await wrapped(apiEvent({ sub: null }));
    assert.equal(response.statusCode, 401);
    const body = JSON.parse(response.body);
    assert.equal(body.type, '/errors/unauthorized');
    assert.equal(body.detail, 'User authentication required');
    assert.equal(inner.calls, 0);
  });

  test('first request stores PENDING then COMPLETED', async () => {
    process.env.IDEMPOTENCY_TTL_SECONDS = '120';
    const inner = countingHandler(CREATED);
    const wrapped = withIdempotency(inner, { operation: 'cards_create', required: true });
    const before = Math.floor(Date.now() / 1000);
    const response = await wrapped(apiEvent());
    assert.deepEqual(response, CREATED);
    assert.equal(inner.calls, 1);
    assert.deepEqual(names(client), ['GetCommand', 'PutCommand', 'UpdateCommand']);

    const get = client.calls[0].input;
    assert.deepEqual(get.Key, { PK: `USER#${SUB}`, SK: `IDEMPOTENCY#${KEY}` });
    assert.equal(get.ConsistentRead, true);

    const put = client.calls[1].input;
    assert.equal(put.ConditionExpression, 'attribute_not_exists(PK) AND attribute_not_exists(SK)');
    assert.equal(put.Item.entityType, 'IDEMPOTENCY');
    assert.equal(put.Item.idempotencyKey, KEY);
    assert.equal(put.Item.userId, SUB);
    assert.equal(put.Item.operation, 'cards_create');
    assert.equal(put.Item.status, 'PENDING');
    assert.match(put.Item.createdAt, /Z$/);
    assert.ok(put.Item.ttl >= before + 120, `ttl ${put.Item.ttl}`);
    assert.ok(put.Item.ttl <= before + 121, `ttl ${put.Item.ttl}`);

    const update = client.calls[2].input;
    assert.equal(update.UpdateExpression, 'SET #status = :status, #result = :result, #updatedAt = :updatedAt');
    assert.equal(update.ConditionExpression, 'attribute_exists(PK) AND attribute_exists(SK)');
    assert.deepEqual(update.ExpressionAttributeNames,
      { '#status': 'status', '#result': 'result', '#updatedAt': 'updatedAt' });
    assert.equal(update.ExpressionAttributeValues[':status'], 'COMPLETED');
    assert.deepEqual(update.ExpressionAttributeValues[':result'], CREATED);
    assert.equal(client.items.get(RECORD_KEY).status, 'COMPLETED');
  });

  test('ttlSeconds option overrides the environment', async () => {
    process.env.IDEMPOTENCY_TTL_SECONDS = '120';
    const wrapped = withIdempotency(countingHandler(CREATED),
      { operation: 'op', required: true, ttlSeconds: 30 });
    const before = Math.floor(Date.now() / 1000);
    await wrapped(apiEvent());
    const ttl = client.calls[1].input.Item.ttl;
    assert.ok(ttl >= before + 30, `ttl ${ttl}`);
    assert.ok(ttl <= before + 31, `ttl ${ttl}`);
  });

  test('default ttl is 600 seconds', async () => {
    const wrapped = withIdempotency(countingHandler(CREATED), { operation: 'op', required: true });
    const before = Math.floor(Date.now() / 1000);
    await wrapped(apiEvent());
    const ttl = client.calls[1].input.Item.ttl;
    assert.ok(ttl >= before + 600, `ttl ${ttl}`);
    assert.ok(ttl <= before + 601, `ttl ${ttl}`);
  });

  test('completed key replays the cached response', async () => {
    const inner = countingHandler(CREATED);
    const wrapped = withIdempotency(inner, { operation: 'cards_create', required: true });
    await wrapped(apiEvent());
    const replayed = await wrapped(apiEvent());
    assert.deepEqual(replayed, CREATED);
    assert.equal(inner.calls, 1);
  });

  test('completed key with a plain result is 200', async () => {
    client.items.set(RECORD_KEY, {
      status: 'COMPLETED', result: { ok: true }, ttl: Math.floor(Date.now() / 1000) + 60,
    });
    const inner = countingHandler(CREATED);
    const response = await withIdempotency(inner, { operation: 'op', required: true })(apiEvent());
    assert.equal(response.statusCode, 200);
    assert.deepEqual(JSON.parse(response.body), { ok: true });
    assert.equal(inner.calls, 0);
  });

  test('completed key without a result is 204', async () => {
    client.items.set(RECORD_KEY, { status: 'COMPLETED', ttl: Math.floor(Date.now() / 1000) + 60 });
    const inner = countingHandler(CREATED);
    const response = await withIdempotency(inner, { operation: 'op', required: true })(apiEvent());
    assert.equal(response.statusCode, 204);
    assert.equal(response.body, '');
    assert.equal(inner.calls, 0);
  });

  test('pending key is 409', async () => {
    client.items.set(RECORD_KEY, { status: 'PENDING', ttl: Math.floor(Date.now() / 1000) + 60 });
    const inner = countingHandler(CREATED);
    const response = await withIdempotency(inner, { operation: 'op', required: true })(apiEvent());
    assert.equal(response.statusCode, 409);
    const body = JSON.parse(response.body);
    assert.equal(body.type, '/errors/conflict');
    assert.equal(body.detail, 'Duplicate request detected - original request is still processing.');
    assert.equal(inner.calls, 0);
  });

  test('expired pending key runs the handler', async () => {
    client.items.set(RECORD_KEY, {
      PK: `USER#${SUB}`, SK: `IDEMPOTENCY#${KEY}`, status: 'PENDING',
      ttl: Math.floor(Date.now() / 1000) - 1,
    });
    const inner = countingHandler(CREATED);
    const response = await withIdempotency(inner, { operation: 'op', required: true })(apiEvent());
    // The expired record still exists, so the conditional put fails and
    // the handler runs without a record of its own.
    assert.equal(response.statusCode, 201);
    assert.equal(inner.calls, 1);
    assert.deepEqual(names(client), ['GetCommand', 'PutCommand']);
  });

  test('non-2xx result deletes the record', async () => {
    const failure = { statusCode: 400, headers: {}, body: '{}' };
    const inner = countingHandler(failure);
    const wrapped = withIdempotency(inner, { operation: 'op', required: true });
    const response = await wrapped(apiEvent());
    assert.equal(response.statusCode, 400);
    assert.deepEqual(names(client), ['GetCommand', 'PutCommand', 'DeleteCommand']);
    assert.equal(client.items.size, 0);
    await wrapped(apiEvent());
    assert.equal(inner.calls, 2);
  });

  test('lost put race still runs the handler', async () => {
    client.failures.PutCommand = conditionFailed();
    const inner = countingHandler(CREATED);
    const response = await withIdempotency(inner, { operation: 'op', required: true })(apiEvent());
    assert.equal(response.statusCode, 201);
    assert.equal(inner.calls, 1);
    assert.deepEqual(names(client), ['GetCommand', 'PutCommand']);
  });

  test('failed get counts as no record', async () => {
    client.failures.GetCommand = new Error('connection reset');
    const inner = countingHandler(CREATED);
    const response = await withIdempotency(inner, { operation: 'op', required: true })(apiEvent());
    assert.equal(response.statusCode, 201);
    assert.deepEqual(names(client), ['GetCommand', 'PutCommand', 'UpdateCommand']);
  });

  test('failed put degrades open', async () => {
    const denied = new Error('not authorized to perform dynamodb:PutItem');
    denied.name = 'AccessDeniedException';
    client.failures.PutCommand = denied;
    const inner = countingHandler(CREATED);
    const response = await withIdempotency(inner, { operation: 'op', required: true })(apiEvent());
    assert.equal(response.statusCode, 201);
    assert.equal(inner.calls, 1);
    assert.deepEqual(names(client), ['GetCommand', 'PutCommand']);
  });

  test('failed completion still answers', async () => {
    client.failures.UpdateCommand = new Error('throttled');
    const inner = countingHandler(CREATED);
    const wrapped = withIdempotency(inner, { operation: 'op', required: true });
    const response = await wrapped(apiEvent());
    assert.equal(response.statusCode, 201);
    // The record stays PENDING, so a retry with the key is a conflict.
    assert.equal(client.items.get(RECORD_KEY).status, 'PENDING');
    delete client.failures.UpdateCommand;
    assert.equal((await wrapped(apiEvent())).statusCode, 409);
  });

  test('throwing handler deletes the record', async () => {
    const inner = countingHandler(new TypeError('boom'));
    const wrapped = withIdempotency(inner, { operation: 'op', required: true });
    await assert.rejects(wrapped(apiEvent()), TypeError);
    assert.equal(inner.calls, 1);
    assert.equal(client.items.size, 0);
  });
});

describe('idempotency key header', () => {
  test('lower-case name wins over others', () => {
    const event = { headers: { 'Idempotency-Key': 'b', 'idempotency-key': 'a', 'x-idempotency-key': 'c' } };
    assert.equal(idempotencyKeyOf(event), 'a');
  });

  test('x- variants are the fallback', () => {
    assert.equal(idempotencyKeyOf({ headers: { 'X-Idempotency-Key': 'x' } }), 'x');
  });

  test('other casings are not matched', () => {
    assert.equal(idempotencyKeyOf({ headers: { 'idempotency-KEY': 'x' } }), undefined);
  });
});
