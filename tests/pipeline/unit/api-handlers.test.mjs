// Unit tests of the seven API handlers and their shared code: claims
// parsing, validation, presigned URLs, card items and the DynamoDB
// requests each handler sends, against an in-memory stub of the document
// client. Nothing leaves the process: presigning is local computation,
// metrics go to a stub, and no test reaches S3, EventBridge or Step
// Functions.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';

process.env.AWS_ACCESS_KEY_ID = 'AKIDUNITTEST';
process.env.AWS_SECRET_ACCESS_KEY = 'unit-test-secret';
process.env.AWS_REGION = 'us-east-1';
process.env.AWS_EC2_METADATA_DISABLED = 'true';
process.env.AWS_ENDPOINT_URL = 'http://127.0.0.1:4566';
process.env.LOG_LEVEL = 'ERROR';

const handlers = '../../../pipeline/handlers';
const { setCloudWatchClient } = await import(`${handlers}/lib/api-metrics.mjs`);
const { setDocumentClient } = await import(`${handlers}/lib/ddb.mjs`);
const { getAuthContext } = await import(`${handlers}/lib/jwt-claims.mjs`);
const { sanitizeFilename } = await import(`${handlers}/lib/api-validation.mjs`);
const { itemToCard, decodeCursor, encodeCursor } = await import(`${handlers}/lib/cards.mjs`);
const uploadPresign = await import(`${handlers}/upload_presign.mjs`);
const imagePresign = await import(`${handlers}/image_presign.mjs`);
const cardsCreate = await import(`${handlers}/cards_create.mjs`);
const cardsList = await import(`${handlers}/cards_list.mjs`);
const cardsGet = await import(`${handlers}/cards_get.mjs`);
const cardsDelete = await import(`${handlers}/cards_delete.mjs`);
const cardsRevalue = await import(`${handlers}/cards_revalue.mjs`);

const SUB = '24b6b40f-5d43-47c8-9ec0-d4bcc0837fee';
const OTHER = 'c5446499-0392-41ad-ad83-7089895e7519';
const CARD_ID = '0b7f3c5e-8a1d-4c2e-9f6a-1d2e3f4a5b6c';

function conditionFailed() {
  const error = new Error('The conditional request failed');
  error.name = 'ConditionalCheckFailedException';
  return error;
}

// A document-client stub with the subset of DynamoDB the handlers use:
// conditional Put and Delete, Get, Update of the card and record shapes,
// and Query on the table key or on GSI1 (userId, createdAt descending).
function stubClient() {
  const items = new Map();
  const calls = [];
  const id = (key) => `${key.PK}|${key.SK}`;
  const exists = (key) => items.has(id(key));
  return {
    items, calls,
    async send(command) {
      const name = command.constructor.name;
      const input = command.input;
      calls.push({ name, input });
      switch (name) {
        case 'GetCommand':
          return { Item: structuredClone(items.get(id(input.Key))) };
        case 'PutCommand':
          if (input.ConditionExpression && exists(input.Item)) throw conditionFailed();
          items.set(id(input.Item), structuredClone(input.Item));
          return {};
        case 'DeleteCommand':
          if (input.ConditionExpression && !exists(input.Key)) throw conditionFailed();
          items.delete(id(input.Key));
          return {};
        case 'UpdateCommand': {
          const item = items.get(id(input.Key));
          if (!item) throw conditionFailed();
          const values = input.ExpressionAttributeValues;
          if (input.UpdateExpression.startsWith('SET deletedAt')) {
            if (item.deletedAt) throw conditionFailed();
            item.deletedAt = values[':deletedAt'];
            item.updatedAt = values[':updatedAt'];
          } else {
            item.status = values[':status'];
            item.result = structuredClone(values[':result']);
          }
          return {};
        }
        case 'QueryCommand': {
          const values = input.ExpressionAttributeValues;
          if (input.IndexName === 'GSI1') {
            let list = [...items.values()]
              .filter((item) => item.userId === values[':userId'] && item.createdAt)
              .sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1));
            if (input.ExclusiveStartKey) {
              const at = list.findIndex((item) => id(item) === id(input.ExclusiveStartKey));
              list = list.slice(at + 1);
            }
            const page = list.slice(0, input.Limit);
            const last = page.at(-1);
            const more = list.length > page.length;
            return {
              Items: structuredClone(page),
              LastEvaluatedKey: more
                ? { PK: last.PK, SK: last.SK, userId: last.userId, createdAt: last.createdAt }
                : undefined,
            };
          }
          const item = items.get(`${values[':pk']}|${values[':sk']}`);
          return { Items: item ? [structuredClone(item)] : [] };
        }
        default:
          throw new Error(`stub does not support ${name}`);
      }
    },
  };
}

function apiEvent({ method = 'GET', path = '/cards', body, query, params, headers = {}, claims } = {}) {
  return {
    version: '2.0',
    routeKey: `${method} ${path}`,
    rawPath: path,
    headers: { origin: 'http://localhost:3000', ...headers },
    queryStringParameters: query,
    pathParameters: params,
    body: body === undefined ? undefined : JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: {
      requestId: 'req-unit-1',
      http: { method, path },
      authorizer: {
        jwt: {
          claims: claims ?? { sub: SUB, iat: '1700000000', exp: '4102444800', email: 'alice@example.com' },
        },
      },
    },
  };
}

const bodyOf = (response) => JSON.parse(response.body);

let client;
beforeEach(() => {
  process.env.DDB_TABLE = 'collectiq-hackathon-cards';
  process.env.BUCKET_UPLOADS = 'collectiq-hackathon-uploads-123456789012';
  for (const name of ['MAX_UPLOAD_MB', 'ALLOWED_UPLOAD_MIME', 'KMS_KEY_ID', 'HARD_DELETE_CARDS',
    'S3_BUCKET', 'STEP_FUNCTIONS_ARN', 'AUTO_TRIGGER_REVALUE']) {
    delete process.env[name];
  }
  client = stubClient();
  setDocumentClient(client);
  setCloudWatchClient({ send: async () => ({}) });
});
afterEach(() => setDocumentClient(undefined));

function putCard(overrides = {}) {
  const item = {
    PK: `USER#${SUB}`, SK: `CARD#${CARD_ID}`, entityType: 'CARD', cardId: CARD_ID,
    userId: SUB, frontS3Key: `uploads/${SUB}/front.jpg`,
    createdAt: '2026-12-01T10:00:00.000Z', updatedAt: '2026-12-01T10:00:00.000Z',
    ...overrides,
  };
  client.items.set(`${item.PK}|${item.SK}`, item);
  return item;
}

describe('JWT claims', () => {
  test('numeric strings are accepted', () => {
    const auth = getAuthContext(apiEvent());
    assert.equal(auth.sub, SUB);
    assert.equal(auth.iat, 1700000000);
    assert.equal(auth.exp, 4102444800);
    assert.equal(auth.email, 'alice@example.com');
  });

  test('missing iat and exp are rejected', () => {
    assert.throws(() => getAuthContext(apiEvent({ claims: { sub: SUB } })), (error) => {
      assert.equal(error.status, 401);
      assert.match(error.message, /^Malformed JWT claims: /);
      assert.match(error.message, /iat/);
      assert.match(error.message, /exp/);
      return true;
    });
  });

  test('missing claims object is 401', () => {
    const event = apiEvent();
    delete event.requestContext.authorizer;
    assert.throws(() => getAuthContext(event), (error) => error.status === 401 && /JWT claims/.test(error.message));
  });

  test('groups as list or string', () => {
    const base = { sub: SUB, iat: 1, exp: 2 };
    assert.deepEqual(getAuthContext(apiEvent({ claims: { ...base, 'cognito:groups': ['a', 'b'] } })).groups, ['a', 'b']);
    assert.deepEqual(getAuthContext(apiEvent({ claims: { ...base, 'cognito:groups': '[a, b]' } })).groups, ['a', 'b']);
    assert.deepEqual(getAuthContext(apiEvent({ claims: { ...base, 'cognito:groups': 'a,b' } })).groups, ['a', 'b']);
  });

  test('required group missing is 403', () => {
    assert.throws(() => getAuthContext(apiEvent(), { requiredGroup: 'admin' }), (error) => error.status === 403);
  });

  test('username with @ becomes the email', () => {
    const auth = getAuthContext(apiEvent({ claims: { sub: SUB, iat: 1, exp: 2, 'cognito:username': 'bob@example.com' } }));
    assert.equal(auth.email, 'bob@example.com');
  });

  test('invalid email is rejected', () => {
    assert.throws(() => getAuthContext(apiEvent({ claims: { sub: SUB, iat: 1, exp: 2, email: 'nope' } })),
      (error) => error.status === 401 && /email/.test(error.message));
  });
});

describe('upload_presign', () => {
  const request = { filename: 'my card (1).jpg', contentType: 'image/jpeg', sizeBytes: 1234 };

  test('returns a presigned PUT URL', async () => {
    const response = await uploadPresign.handler(apiEvent({ method: 'POST', path: '/upload/presign', body: request }));
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['Content-Type'], 'application/json');
    assert.equal(response.headers['Access-Control-Allow-Origin'], 'http://localhost:3000');
    assert.equal(response.headers['Access-Control-Allow-Credentials'], 'true');
    assert.ok(response.headers['Strict-Transport-Security']);
    assert.ok(response.headers['Content-Security-Policy']);
    const body = bodyOf(response);
    assert.equal(body.expiresIn, 60);
    assert.match(body.key, new RegExp(`^uploads/${SUB}/[0-9a-f-]{36}-my_card_1_.jpg$`));
    const url = new URL(body.uploadUrl);
    assert.equal(url.origin, 'http://127.0.0.1:4566');
    assert.equal(url.pathname, `/collectiq-hackathon-uploads-123456789012/${body.key}`);
    assert.equal(url.searchParams.get('X-Amz-Expires'), '60');
    assert.equal(url.searchParams.get('x-amz-meta-uploaded-by'), SUB);
    assert.equal(url.searchParams.get('x-amz-meta-original-filename'), 'my card (1).jpg');
    assert.doesNotMatch(url.searchParams.get('X-Amz-SignedHeaders'), /content-type/);
    assert.equal(url.searchParams.get('x-amz-checksum-crc32'), null);
  });

  test('unsupported content type fails validation', async () => {
    const response = await uploadPresign.handler(apiEvent({
      method: 'POST', path: '/upload/presign', body: { ...request, contentType: 'image/gif' },
    }));
    assert.equal(response.statusCode, 400);
    assert.equal(response.headers['Content-Type'], 'application/problem+json');
    const body = bodyOf(response);
    assert.equal(body.detail, 'Validation failed');
    assert.equal(body.type, '/errors/bad-request');
    assert.equal(body.instance, 'req-unit-1');
    assert.deepEqual(body.validationErrors.map((e) => e.field), ['contentType']);
  });

  test('over 12 MiB fails validation', async () => {
    const response = await uploadPresign.handler(apiEvent({
      method: 'POST', path: '/upload/presign', body: { ...request, sizeBytes: 12 * 1024 * 1024 + 1 },
    }));
    assert.equal(response.statusCode, 400);
    assert.equal(bodyOf(response).detail, 'Validation failed');
  });

  test('over MAX_UPLOAD_MB is 413', async () => {
    process.env.MAX_UPLOAD_MB = '1';
    const response = await uploadPresign.handler(apiEvent({
      method: 'POST', path: '/upload/presign', body: { ...request, sizeBytes: 2 * 1024 * 1024 },
    }));
    assert.equal(response.statusCode, 413);
  });

  test('type outside ALLOWED_UPLOAD_MIME is 400', async () => {
    process.env.ALLOWED_UPLOAD_MIME = 'image/png';
    const response = await uploadPresign.handler(apiEvent({ method: 'POST', path: '/upload/presign', body: request }));
    assert.equal(response.statusCode, 400);
    assert.match(bodyOf(response).detail, /image\/jpeg/);
  });

  test('invalid JSON is 400', async () => {
    const event = apiEvent({ method: 'POST', path: '/upload/presign' });
    event.body = '{nope';
    const response = await uploadPresign.handler(event);
    assert.equal(response.statusCode, 400);
    assert.match(bodyOf(response).detail, /Invalid JSON/);
  });

  test('missing claims are 401', async () => {
    const event = apiEvent({ method: 'POST', path: '/upload/presign', body: request });
    event.requestContext.authorizer.jwt.claims = { sub: SUB };
    const response = await uploadPresign.handler(event);
    assert.equal(response.statusCode, 401);
    assert.match(bodyOf(response).detail, /JWT claims/);
  });

  test('missing BUCKET_UPLOADS is 500', async () => {
    delete process.env.BUCKET_UPLOADS;
    const response = await uploadPresign.handler(apiEvent({ method: 'POST', path: '/upload/presign', body: request }));
    assert.equal(response.statusCode, 500);
    assert.equal(bodyOf(response).detail, 'BUCKET_UPLOADS environment variable is not set');
  });

  test('filename sanitizer collapses underscores', () => {
    assert.equal(sanitizeFilename('a  b??c.png'), 'a_b_c.png');
    assert.equal(sanitizeFilename('ok-name_1.jpg'), 'ok-name_1.jpg');
  });
});

describe('image_presign', () => {
  test('own key gets a GET URL', async () => {
    const key = `uploads/${SUB}/x.jpg`;
    const response = await imagePresign.handler(apiEvent({ path: '/images/presign', query: { key } }));
    assert.equal(response.statusCode, 200);
    const body = bodyOf(response);
    assert.equal(body.expiresIn, 3600);
    const url = new URL(body.viewUrl);
    assert.equal(url.pathname, `/collectiq-hackathon-uploads-123456789012/${key}`);
    assert.equal(url.searchParams.get('X-Amz-Expires'), '3600');
  });

  test('foreign key is 403', async () => {
    const response = await imagePresign.handler(apiEvent({ path: '/images/presign', query: { key: `uploads/${OTHER}/x.jpg` } }));
    assert.equal(response.statusCode, 403);
    assert.equal(bodyOf(response).type, '/errors/forbidden');
  });

  test('missing key is 400', async () => {
    const response = await imagePresign.handler(apiEvent({ path: '/images/presign' }));
    assert.equal(response.statusCode, 400);
  });
});

describe('cards_create', () => {
  const post = (body, key = 'k-1') => apiEvent({
    method: 'POST', path: '/cards', body, headers: { 'idempotency-key': key },
  });

  test('creates the card item', async () => {
    const response = await cardsCreate.handler(post({ frontS3Key: `uploads/${SUB}/a.jpg`, name: 'Pikachu ex' }));
    assert.equal(response.statusCode, 201);
    const card = bodyOf(response);
    assert.match(card.cardId, /^[0-9a-f-]{36}$/);
    assert.equal(card.userId, SUB);
    assert.equal(card.name, 'Pikachu ex');
    assert.equal(card.createdAt, card.updatedAt);

    const put = client.calls.find((c) => c.name === 'PutCommand' && c.input.Item.entityType === 'CARD');
    assert.equal(put.input.TableName, 'collectiq-hackathon-cards');
    assert.equal(put.input.ConditionExpression, 'attribute_not_exists(PK) AND attribute_not_exists(SK)');
    assert.equal(put.input.Item.PK, `USER#${SUB}`);
    assert.equal(put.input.Item.SK, `CARD#${card.cardId}`);
    assert.equal('backS3Key' in put.input.Item, false);
  });

  test('same key replays the 201', async () => {
    const first = await cardsCreate.handler(post({ frontS3Key: 'uploads/x/a.jpg' }, 'same'));
    const second = await cardsCreate.handler(post({ frontS3Key: 'uploads/x/a.jpg' }, 'same'));
    assert.deepEqual(second, first);
    const cards = [...client.items.values()].filter((item) => item.entityType === 'CARD');
    assert.equal(cards.length, 1);
  });

  test('missing key is 400', async () => {
    const event = post({ frontS3Key: 'a' });
    event.headers = {};
    const response = await cardsCreate.handler(event);
    assert.equal(response.statusCode, 400);
    assert.equal(bodyOf(response).detail, 'Idempotency-Key header is required for this operation');
  });

  test('missing body is 400 and frees the key', async () => {
    const response = await cardsCreate.handler(post(undefined, 'k-empty'));
    assert.equal(response.statusCode, 400);
    assert.equal(client.items.has(`USER#${SUB}|IDEMPOTENCY#k-empty`), false);
  });

  test('missing frontS3Key fails validation', async () => {
    const response = await cardsCreate.handler(post({ name: 'x' }));
    assert.equal(response.statusCode, 400);
    assert.deepEqual(bodyOf(response).validationErrors.map((e) => e.field), ['frontS3Key']);
  });

  test('event detail omits undefined members', () => {
    process.env.S3_BUCKET = 'bucket-1';
    const detail = JSON.parse(JSON.stringify(cardsCreate.cardCreatedDetail({
      cardId: CARD_ID, userId: SUB, frontS3Key: 'uploads/a.jpg',
    })));
    assert.deepEqual(Object.keys(detail), ['cardId', 'userId', 'frontS3Key', 's3Bucket', 'timestamp']);
    assert.equal(detail.s3Bucket, 'bucket-1');
  });
});

describe('cards_list', () => {
  test('lists live cards newest first', async () => {
    putCard();
    putCard({ SK: 'CARD#c2', cardId: 'c2', createdAt: '2026-12-02T10:00:00.000Z' });
    putCard({ SK: 'CARD#c3', cardId: 'c3', createdAt: '2026-12-03T10:00:00.000Z', deletedAt: '2026-12-03T11:00:00.000Z' });
    client.items.set(`USER#${SUB}|IDEMPOTENCY#k`, {
      PK: `USER#${SUB}`, SK: 'IDEMPOTENCY#k', entityType: 'IDEMPOTENCY', userId: SUB, createdAt: '2026-12-04T00:00:00.000Z',
    });
    const response = await cardsList.handler(apiEvent());
    assert.equal(response.statusCode, 200);
    const body = bodyOf(response);
    assert.deepEqual(body.items.map((card) => card.cardId), ['c2', CARD_ID]);
    assert.equal(body.nextCursor, undefined);

    const query = client.calls.find((c) => c.name === 'QueryCommand').input;
    assert.equal(query.IndexName, 'GSI1');
    assert.equal(query.KeyConditionExpression, 'userId = :userId');
    assert.equal(query.Limit, 20);
    assert.equal(query.ScanIndexForward, false);
  });

  test('limit counts records before filtering', async () => {
    putCard();
    client.items.set(`USER#${SUB}|IDEMPOTENCY#k`, {
      PK: `USER#${SUB}`, SK: 'IDEMPOTENCY#k', entityType: 'IDEMPOTENCY', userId: SUB, createdAt: '2026-12-04T00:00:00.000Z',
    });
    const first = bodyOf(await cardsList.handler(apiEvent({ query: { limit: '1' } })));
    assert.deepEqual(first.items, []);
    assert.ok(first.nextCursor);
    assert.deepEqual(Object.keys(decodeCursor(first.nextCursor)).sort(), ['PK', 'SK', 'createdAt', 'userId']);
    const second = bodyOf(await cardsList.handler(apiEvent({ query: { limit: '1', cursor: first.nextCursor } })));
    assert.deepEqual(second.items.map((card) => card.cardId), [CARD_ID]);
  });

  test('invalid cursor restarts the listing', async () => {
    putCard();
    const body = bodyOf(await cardsList.handler(apiEvent({ query: { cursor: '%%%not-base64' } })));
    assert.equal(body.items.length, 1);
    assert.equal(client.calls.at(-1).input.ExclusiveStartKey, undefined);
  });

  test('limit out of range is 400', async () => {
    for (const limit of ['0', '101', 'abc', '1.5']) {
      const response = await cardsList.handler(apiEvent({ query: { limit } }));
      assert.equal(response.statusCode, 400, `limit ${limit}`);
    }
  });

  test('cursor round-trips through base64', () => {
    const key = { PK: 'USER#a', SK: 'CARD#b', userId: 'a', createdAt: '2026-01-01T00:00:00.000Z' };
    assert.deepEqual(decodeCursor(encodeCursor(key)), key);
  });
});

describe('cards_get', () => {
  test('returns the card without internal members', async () => {
    putCard({ ocrMetadata: { name: 'x' }, valueMedian: 5.8, authenticityScore: 0.9 });
    const response = await cardsGet.handler(apiEvent({ path: `/cards/${CARD_ID}`, params: { cardId: CARD_ID } }));
    assert.equal(response.statusCode, 200);
    const card = bodyOf(response);
    assert.equal(card.valueMedian, 5.8);
    for (const hidden of ['PK', 'SK', 'entityType', 'ocrMetadata']) {
      assert.equal(hidden in card, false, hidden);
    }
    const query = client.calls[0].input;
    assert.equal(query.KeyConditionExpression, 'PK = :pk AND SK = :sk');
    assert.equal(query.Limit, 1);
  });

  test('another user\'s card is 404', async () => {
    putCard();
    const event = apiEvent({ path: `/cards/${CARD_ID}`, params: { cardId: CARD_ID } });
    event.requestContext.authorizer.jwt.claims.sub = OTHER;
    const response = await cardsGet.handler(event);
    assert.equal(response.statusCode, 404);
    assert.equal(bodyOf(response).detail, `Card ${CARD_ID} not found`);
  });

  test('item without entityType is 404', async () => {
    putCard({ entityType: undefined });
    const response = await cardsGet.handler(apiEvent({ params: { cardId: CARD_ID } }));
    assert.equal(response.statusCode, 404);
  });

  test('item failing the schema is 500', async () => {
    putCard({ authenticityScore: 7 });
    const response = await cardsGet.handler(apiEvent({ params: { cardId: CARD_ID } }));
    assert.equal(response.statusCode, 500);
    assert.match(bodyOf(response).detail, /^Failed to get card: authenticityScore/);
  });

  test('itemToCard keeps only Card members', () => {
    const card = itemToCard({ PK: 'p', cardId: 'c', userId: 'u', frontS3Key: 'f', createdAt: 'a', updatedAt: 'b', sources: [] });
    assert.deepEqual(Object.keys(card), ['cardId', 'userId', 'frontS3Key', 'createdAt', 'updatedAt', 'sources']);
  });
});

describe('cards_delete', () => {
  const del = () => apiEvent({ method: 'DELETE', path: `/cards/${CARD_ID}`, params: { cardId: CARD_ID } });

  test('soft delete sets deletedAt', async () => {
    putCard();
    const response = await cardsDelete.handler(del());
    assert.equal(response.statusCode, 204);
    assert.equal(response.body, '');
    assert.equal(response.headers['Content-Length'], '0');
    const update = client.calls[0].input;
    assert.equal(update.UpdateExpression, 'SET deletedAt = :deletedAt, updatedAt = :updatedAt');
    assert.equal(update.ConditionExpression, 'attribute_exists(PK) AND attribute_not_exists(deletedAt)');
    assert.equal((await cardsDelete.handler(del())).statusCode, 404);
  });

  test('hard delete removes the item', async () => {
    process.env.HARD_DELETE_CARDS = 'true';
    delete process.env.BUCKET_UPLOADS;
    putCard();
    const response = await cardsDelete.handler(del());
    assert.equal(response.statusCode, 204);
    assert.deepEqual(client.calls.map((c) => c.name), ['QueryCommand', 'DeleteCommand']);
    assert.equal(client.calls[1].input.ConditionExpression, 'attribute_exists(PK)');
    assert.equal(client.items.size, 0);
    assert.equal((await cardsDelete.handler(del())).statusCode, 404);
  });
});

describe('cards_revalue', () => {
  test('missing STEP_FUNCTIONS_ARN is 500', async () => {
    putCard();
    const response = await cardsRevalue.handler(apiEvent({
      method: 'POST', path: `/cards/${CARD_ID}/revalue`, params: { cardId: CARD_ID },
      body: { forceRefresh: true }, headers: { 'idempotency-key': 'rv-1' },
    }));
    assert.equal(response.statusCode, 500);
    assert.equal(bodyOf(response).detail, 'STEP_FUNCTIONS_ARN environment variable is not set');
  });

  test('unknown card is 404', async () => {
    const response = await cardsRevalue.handler(apiEvent({
      method: 'POST', params: { cardId: CARD_ID }, body: {}, headers: { 'idempotency-key': 'rv-2' },
    }));
    assert.equal(response.statusCode, 404);
  });

  test('non-boolean forceRefresh is 400', async () => {
    putCard();
    const response = await cardsRevalue.handler(apiEvent({
      method: 'POST', params: { cardId: CARD_ID }, body: { forceRefresh: 'yes' }, headers: { 'idempotency-key': 'rv-3' },
    }));
    assert.equal(response.statusCode, 400);
  });

  test('execution input drops undefined members', () => {
    const input = JSON.parse(JSON.stringify(cardsRevalue.executionInput({
      cardId: CARD_ID, userId: SUB, frontS3Key: 'f.jpg', name: 'Pikachu ex',
    }, 'req-9', false)));
    assert.deepEqual(input, {
      userId: SUB,
      cardId: CARD_ID,
      s3Keys: { front: 'f.jpg' },
      cardMeta: { name: 'Pikachu ex', frontS3Key: 'f.jpg' },
      requestId: 'req-9',
      forceRefresh: false,
    });
  });
});
