// DynamoDB through the AWS SDK for JavaScript v3 against a running Stratus
// (STRATUS_ENDPOINT, set by run.sh). Part one exercises every implemented
// operation with the low-level client. Part two replays each DynamoDB call
// of the CollectIQ backend through DynamoDBDocumentClient with the backend's
// marshalling options. Expected values and error texts are those of AWS.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  CreateTableCommand,
  DeleteItemCommand,
  DeleteTableCommand,
  DescribeContinuousBackupsCommand,
  DescribeEndpointsCommand,
  DescribeLimitsCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  GetItemCommand,
  ListTablesCommand,
  ListTagsOfResourceCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  TagResourceCommand,
  TransactGetItemsCommand,
  TransactWriteItemsCommand,
  UntagResourceCommand,
  UpdateContinuousBackupsCommand,
  UpdateItemCommand,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand as DocQueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';

const endpoint = process.env.STRATUS_ENDPOINT;
if (!endpoint || !/^http:\/\/127\.0\.0\.1:\d+$/.test(endpoint)) {
  throw new Error(
    `STRATUS_ENDPOINT must be http://127.0.0.1:PORT, got ${JSON.stringify(endpoint)}; run this file through run.sh`,
  );
}

const credentials = { accessKeyId: 'AKIDSTRATUSTEST', secretAccessKey: 'stratus-test-secret' };
// One attempt, so that an error is seen as Stratus sent it, not after retries.
const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
// The CollectIQ backend's client: three attempts and these marshalling options.
const docClient = DynamoDBDocumentClient.from(
  new DynamoDBClient({ endpoint, region: 'us-east-1', credentials, maxAttempts: 3 }),
  {
    marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false },
    unmarshallOptions: { wrapNumbers: false },
  },
);

const CARDS = 'sdk-collectiq-hackathon-cards';
const ITEMS = 'sdk-items';

// The CollectIQ table as its Terraform module defines it.
function cardsTableDefinition(tableName) {
  const all = { ProjectionType: 'ALL' };
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    KeySchema: [
      { AttributeName: 'PK', KeyType: 'HASH' },
      { AttributeName: 'SK', KeyType: 'RANGE' },
    ],
    AttributeDefinitions: [
      { AttributeName: 'PK', AttributeType: 'S' },
      { AttributeName: 'SK', AttributeType: 'S' },
      { AttributeName: 'cardId', AttributeType: 'S' },
      { AttributeName: 'userId', AttributeType: 'S' },
      { AttributeName: 'createdAt', AttributeType: 'S' },
      { AttributeName: 'setRarity', AttributeType: 'S' },
      { AttributeName: 'valueMedian', AttributeType: 'N' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: 'CardIdIndex',
        KeySchema: [{ AttributeName: 'cardId', KeyType: 'HASH' }],
        Projection: all,
      },
      {
        IndexName: 'GSI1',
        KeySchema: [
          { AttributeName: 'userId', KeyType: 'HASH' },
          { AttributeName: 'createdAt', KeyType: 'RANGE' },
        ],
        Projection: all,
      },
      {
        IndexName: 'GSI2',
        KeySchema: [
          { AttributeName: 'setRarity', KeyType: 'HASH' },
          { AttributeName: 'valueMedian', KeyType: 'RANGE' },
        ],
        Projection: all,
      },
    ],
  };
}

// Await a request that must fail, and check the error's name, message and
// HTTP status. `message` may be a string (exact) or a RegExp.
async function expectError(promise, name, message, httpStatus = 400) {
  let error = null;
  try {
    await promise;
  } catch (caught) {
    error = caught;
  }
  assert.ok(error, `expected ${name}, but the request succeeded`);
  assert.equal(error.name, name, `error name (message: ${error.message})`);
  if (message instanceof RegExp) {
    assert.match(error.message, message);
  } else if (message !== undefined) {
    assert.equal(error.message, message);
  }
  assert.equal(error.$metadata?.httpStatusCode, httpStatus, 'HTTP status');
  return error;
}

async function waitForTableGone(tableName) {
  for (let i = 0; i < 50; i++) {
    try {
      await client.send(new DescribeTableCommand({ TableName: tableName }));
    } catch (error) {
      if (error.name === 'ResourceNotFoundException') return;
      throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail(`table ${tableName} still exists 5 s after DeleteTable`);
}

async function waitForIndexStatus(tableName, indexName, expected) {
  let status;
  for (let i = 0; i < 50; i++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const index = (Table.GlobalSecondaryIndexes ?? []).find((g) => g.IndexName === indexName);
    status = index ? index.IndexStatus : 'ABSENT';
    if (status === expected) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail(`index ${indexName} is ${status} 5 s after UpdateTable, expected ${expected}`);
}

const s = (value) => ({ S: value });
const n = (value) => ({ N: String(value) });

// ---------------------------------------------------------------------------
// Part one: every operation through the low-level client.
// ---------------------------------------------------------------------------

describe('table operations', () => {
  after(async () => {
    for (const name of ['sdk-list-a', 'sdk-list-b', 'sdk-list-c', 'sdk-list-d', 'sdk-list-e']) {
      await client.send(new DeleteTableCommand({ TableName: name })).catch(() => {});
    }
  });

  test('CreateTable with the CollectIQ schema', async () => {
    const { TableDescription: t } = await client.send(
      new CreateTableCommand(cardsTableDefinition(CARDS)),
    );
    assert.equal(t.TableName, CARDS);
    assert.equal(t.TableStatus, 'CREATING');
    assert.match(t.TableArn, new RegExp(`^arn:aws:dynamodb:us-east-1:\\d{12}:table/${CARDS}$`));
    assert.equal(t.BillingModeSummary?.BillingMode, 'PAY_PER_REQUEST');
    assert.deepEqual(t.KeySchema, [
      { AttributeName: 'PK', KeyType: 'HASH' },
      { AttributeName: 'SK', KeyType: 'RANGE' },
    ]);
    assert.equal(t.GlobalSecondaryIndexes.length, 3);
    assert.ok(t.CreationDateTime instanceof Date);

    await waitUntilTableExists(
      { client, minDelay: 1, maxDelay: 1, maxWaitTime: 20 },
      { TableName: CARDS },
    );

    // AWS reports each index of a new table as CREATING in this response.
    for (const index of t.GlobalSecondaryIndexes) {
      assert.equal(index.IndexStatus, 'CREATING', `${index.IndexName} status in the CreateTable response`);
    }
  });

  test('CreateTable twice is ResourceInUseException', async () => {
    await expectError(
      client.send(new CreateTableCommand(cardsTableDefinition(CARDS))),
      'ResourceInUseException',
      `Table already exists: ${CARDS}`,
    );
  });

  test('DescribeTable of the CollectIQ table', async () => {
    const { Table: t } = await client.send(new DescribeTableCommand({ TableName: CARDS }));
    assert.equal(t.TableStatus, 'ACTIVE');
    assert.equal(t.ItemCount, 0);
    assert.equal(t.TableSizeBytes, 0);
    assert.equal(t.BillingModeSummary?.BillingMode, 'PAY_PER_REQUEST');
    assert.equal(t.ProvisionedThroughput?.ReadCapacityUnits, 0);
    assert.equal(t.ProvisionedThroughput?.WriteCapacityUnits, 0);

    const declared = Object.fromEntries(
      t.AttributeDefinitions.map((a) => [a.AttributeName, a.AttributeType]),
    );
    assert.deepEqual(declared, {
      PK: 'S', SK: 'S', cardId: 'S', userId: 'S', createdAt: 'S', setRarity: 'S', valueMedian: 'N',
    });

    const indexes = Object.fromEntries(t.GlobalSecondaryIndexes.map((g) => [g.IndexName, g]));
    assert.deepEqual(Object.keys(indexes).sort(), ['CardIdIndex', 'GSI1', 'GSI2']);
    for (const [name, index] of Object.entries(indexes)) {
      assert.equal(index.IndexStatus, 'ACTIVE', `${name} status`);
      assert.deepEqual(index.Projection, { ProjectionType: 'ALL' }, `${name} projection`);
      assert.equal(index.IndexArn, `${t.TableArn}/index/${name}`);
    }
    assert.deepEqual(indexes.GSI1.KeySchema, [
      { AttributeName: 'userId', KeyType: 'HASH' },
      { AttributeName: 'createdAt', KeyType: 'RANGE' },
    ]);
    assert.deepEqual(indexes.GSI2.KeySchema, [
      { AttributeName: 'setRarity', KeyType: 'HASH' },
      { AttributeName: 'valueMedian', KeyType: 'RANGE' },
    ]);
    assert.deepEqual(indexes.CardIdIndex.KeySchema, [{ AttributeName: 'cardId', KeyType: 'HASH' }]);
  });

  test('DescribeTable of a missing table', async () => {
    await expectError(
      client.send(new DescribeTableCommand({ TableName: 'sdk-no-such-table' })),
      'ResourceNotFoundException',
      'Requested resource not found: Table: sdk-no-such-table not found',
    );
  });

  test('ListTables pages with Limit', async () => {
    const names = ['sdk-list-c', 'sdk-list-a', 'sdk-list-e', 'sdk-list-b', 'sdk-list-d'];
    for (const name of names) {
      await client.send(
        new CreateTableCommand({
          TableName: name,
          BillingMode: 'PAY_PER_REQUEST',
          KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
          AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        }),
      );
    }

    const seen = [];
    let start;
    for (let page = 0; page < 100; page++) {
      const out = await client.send(
        new ListTablesCommand({ Limit: 2, ExclusiveStartTableName: start }),
      );
      assert.ok(out.TableNames.length <= 2, `page ${page} has ${out.TableNames.length} names`);
      seen.push(...out.TableNames);
      start = out.LastEvaluatedTableName;
      if (!start) break;
      assert.equal(start, out.TableNames.at(-1), 'LastEvaluatedTableName is the last name');
    }
    assert.equal(start, undefined, 'paging ended');
    assert.deepEqual([...seen].sort(), seen, 'names come in ascending order');
    assert.equal(new Set(seen).size, seen.length, 'no name repeats across pages');
    for (const name of [...names, CARDS]) assert.ok(seen.includes(name), `${name} listed`);

    const everything = await client.send(new ListTablesCommand({}));
    for (const name of names) assert.ok(everything.TableNames.includes(name));
  });

  test('DeleteTable then DescribeTable fails', async () => {
    const { TableDescription } = await client.send(
      new DeleteTableCommand({ TableName: 'sdk-list-e' }),
    );
    assert.equal(TableDescription.TableName, 'sdk-list-e');
    assert.equal(TableDescription.TableStatus, 'DELETING');
    await waitForTableGone('sdk-list-e');
    await expectError(
      client.send(new DeleteTableCommand({ TableName: 'sdk-list-e' })),
      'ResourceNotFoundException',
      'Requested resource not found: Table: sdk-list-e not found',
    );
  });

  test('TTL update and describe', async () => {
    const before = await client.send(new DescribeTimeToLiveCommand({ TableName: CARDS }));
    assert.deepEqual(before.TimeToLiveDescription, { TimeToLiveStatus: 'DISABLED' });

    const updated = await client.send(
      new UpdateTimeToLiveCommand({
        TableName: CARDS,
        TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      }),
    );
    assert.deepEqual(updated.TimeToLiveSpecification, { AttributeName: 'ttl', Enabled: true });

    const described = await client.send(new DescribeTimeToLiveCommand({ TableName: CARDS }));
    assert.equal(described.TimeToLiveDescription.AttributeName, 'ttl');
    assert.equal(described.TimeToLiveDescription.TimeToLiveStatus, 'ENABLED');

    await expectError(
      client.send(
        new UpdateTimeToLiveCommand({
          TableName: CARDS,
          TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
        }),
      ),
      'ValidationException',
      'TimeToLive is already enabled',
    );
  });
});

describe('account and table settings', () => {
  test('TagResource, ListTagsOfResource, UntagResource', async () => {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: CARDS }));
    const arn = Table.TableArn;
    await client.send(
      new TagResourceCommand({
        ResourceArn: arn,
        Tags: [
          { Key: 'Project', Value: 'collectiq' },
          { Key: 'Environment', Value: 'hackathon' },
        ],
      }),
    );
    const tagged = await client.send(new ListTagsOfResourceCommand({ ResourceArn: arn }));
    const byKey = (a, b) => a.Key.localeCompare(b.Key);
    assert.deepEqual(tagged.Tags.sort(byKey), [
      { Key: 'Environment', Value: 'hackathon' },
      { Key: 'Project', Value: 'collectiq' },
    ]);

    await client.send(new UntagResourceCommand({ ResourceArn: arn, TagKeys: ['Environment'] }));
    const untagged = await client.send(new ListTagsOfResourceCommand({ ResourceArn: arn }));
    assert.deepEqual(untagged.Tags, [{ Key: 'Project', Value: 'collectiq' }]);

    const missingArn = arn.replace(`table/${CARDS}`, 'table/sdk-no-such-table');
    await expectError(
      client.send(new ListTagsOfResourceCommand({ ResourceArn: missingArn })),
      'ResourceNotFoundException',
      /^Requested resource not found/,
    );
  });

  test('point-in-time recovery settings', async () => {
    const before = await client.send(new DescribeContinuousBackupsCommand({ TableName: CARDS }));
    assert.equal(before.ContinuousBackupsDescription.ContinuousBackupsStatus, 'ENABLED');
    assert.equal(
      before.ContinuousBackupsDescription.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus,
      'DISABLED',
    );

    // The CollectIQ table has point-in-time recovery enabled.
    const updated = await client.send(
      new UpdateContinuousBackupsCommand({
        TableName: CARDS,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      }),
    );
    const recovery = updated.ContinuousBackupsDescription.PointInTimeRecoveryDescription;
    assert.equal(recovery.PointInTimeRecoveryStatus, 'ENABLED');
    assert.ok(recovery.EarliestRestorableDateTime instanceof Date);
    assert.ok(recovery.LatestRestorableDateTime instanceof Date);

    const after = await client.send(new DescribeContinuousBackupsCommand({ TableName: CARDS }));
    assert.equal(
      after.ContinuousBackupsDescription.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus,
      'ENABLED',
    );
  });

  test('DescribeLimits returns the default quotas', async () => {
    const out = await client.send(new DescribeLimitsCommand({}));
    assert.equal(out.AccountMaxReadCapacityUnits, 80000);
    assert.equal(out.AccountMaxWriteCapacityUnits, 80000);
    assert.equal(out.TableMaxReadCapacityUnits, 40000);
    assert.equal(out.TableMaxWriteCapacityUnits, 40000);
  });

  test('DescribeEndpoints lists one endpoint', async () => {
    const out = await client.send(new DescribeEndpointsCommand({}));
    assert.equal(out.Endpoints.length, 1);
    assert.equal(typeof out.Endpoints[0].Address, 'string');
    assert.equal(out.Endpoints[0].CachePeriodInMinutes, 1440);
  });
});

describe('item operations', () => {
  before(async () => {
    await client.send(
      new CreateTableCommand({
        TableName: ITEMS,
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
          { AttributeName: 'g', AttributeType: 'S' },
          { AttributeName: 'rank', AttributeType: 'N' },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: 'ByGroup',
            KeySchema: [
              { AttributeName: 'g', KeyType: 'HASH' },
              { AttributeName: 'rank', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
      }),
    );
    await waitUntilTableExists({ client, minDelay: 1, maxDelay: 1, maxWaitTime: 20 }, { TableName: ITEMS });
  });

  after(async () => {
    await client.send(new DeleteTableCommand({ TableName: ITEMS })).catch(() => {});
  });

  test('PutItem and GetItem round trip', async () => {
    const item = {
      pk: s('put'),
      sk: s('1'),
      str: s('text'),
      num: n('3.14'),
      big: n('12345678901234567890'),
      bin: { B: Buffer.from([0, 1, 2, 255]) },
      bool: { BOOL: false },
      nul: { NULL: true },
      list: { L: [s('a'), n(1), { L: [] }] },
      map: { M: { inner: { M: { deep: s('x') } }, empty: { M: {} } } },
      ss: { SS: ['b', 'a'] },
      ns: { NS: ['1', '2.5'] },
      bs: { BS: [Buffer.from('x')] },
    };
    const put = await client.send(new PutItemCommand({ TableName: ITEMS, Item: item }));
    assert.equal(put.Attributes, undefined);

    const { Item } = await client.send(
      new GetItemCommand({ TableName: ITEMS, Key: { pk: s('put'), sk: s('1') }, ConsistentRead: true }),
    );
    assert.deepEqual(Item.str, s('text'));
    assert.deepEqual(Item.num, n('3.14'));
    assert.deepEqual(Item.big, n('12345678901234567890'));
    assert.deepEqual([...Item.bin.B], [0, 1, 2, 255]);
    assert.deepEqual(Item.bool, { BOOL: false });
    assert.deepEqual(Item.nul, { NULL: true });
    assert.deepEqual(Item.list, { L: [s('a'), n(1), { L: [] }] });
    assert.deepEqual(Item.map, item.map);
    assert.deepEqual([...Item.ss.SS].sort(), ['a', 'b']);
    assert.deepEqual([...Item.ns.NS].sort(), ['1', '2.5']);
    assert.equal(Buffer.from(Item.bs.BS[0]).toString(), 'x');
  });

  test('PutItem ReturnValues ALL_OLD', async () => {
    const key = { pk: s('put'), sk: s('old') };
    const first = await client.send(
      new PutItemCommand({ TableName: ITEMS, Item: { ...key, v: n(1) }, ReturnValues: 'ALL_OLD' }),
    );
    assert.equal(first.Attributes, undefined);
    const second = await client.send(
      new PutItemCommand({ TableName: ITEMS, Item: { ...key, v: n(2) }, ReturnValues: 'ALL_OLD' }),
    );
    assert.deepEqual(second.Attributes, { ...key, v: n(1) });
  });

  test('PutItem rejects ReturnValues ALL_NEW', async () => {
    await expectError(
      client.send(
        new PutItemCommand({ TableName: ITEMS, Item: { pk: s('put'), sk: s('x') }, ReturnValues: 'ALL_NEW' }),
      ),
      'ValidationException',
      'ReturnValues can only be ALL_OLD or NONE',
    );
  });

  test('PutItem without the sort key', async () => {
    await expectError(
      client.send(new PutItemCommand({ TableName: ITEMS, Item: { pk: s('put') } })),
      'ValidationException',
      'One or more parameter values were invalid: Missing the key sk in the item',
    );
  });

  test('PutItem to a missing table', async () => {
    await expectError(
      client.send(new PutItemCommand({ TableName: 'sdk-no-such-table', Item: { pk: s('x') } })),
      'ResourceNotFoundException',
      'Requested resource not found',
    );
  });

  test('GetItem with ProjectionExpression', async () => {
    const key = { pk: s('proj'), sk: s('1') };
    await client.send(
      new PutItemCommand({
        TableName: ITEMS,
        Item: {
          ...key,
          name: s('Pikachu'),
          other: s('dropped'),
          valuation: { M: { fairValue: n(12.5), trend: s('up') } },
          sources: { L: [s('ebay'), s('tcgplayer')] },
        },
      }),
    );
    const { Item } = await client.send(
      new GetItemCommand({
        TableName: ITEMS,
        Key: key,
        ConsistentRead: true,
        ProjectionExpression: '#n, valuation.fairValue, sources[1]',
        ExpressionAttributeNames: { '#n': 'name' },
      }),
    );
    assert.deepEqual(Item, {
      name: s('Pikachu'),
      valuation: { M: { fairValue: n(12.5) } },
      sources: { L: [s('tcgplayer')] },
    });
  });

  test('GetItem of a missing item has no Item', async () => {
    const out = await client.send(
      new GetItemCommand({ TableName: ITEMS, Key: { pk: s('absent'), sk: s('1') } }),
    );
    assert.equal(out.Item, undefined);
  });

  test('GetItem with a wrong key', async () => {
    await expectError(
      client.send(new GetItemCommand({ TableName: ITEMS, Key: { pk: s('x') } })),
      'ValidationException',
      'The provided key element does not match the schema',
    );
    await expectError(
      client.send(new GetItemCommand({ TableName: ITEMS, Key: { pk: s('x'), sk: n(1) } })),
      'ValidationException',
      'The provided key element does not match the schema',
    );
  });

  test('UpdateItem SET forms', async () => {
    const key = { pk: s('upd'), sk: s('set') };
    await client.send(
      new PutItemCommand({
        TableName: ITEMS,
        Item: { ...key, count: n(10), tags: { L: [s('a')] }, created: s('first'), m: { M: { x: n(1) } } },
      }),
    );
    const { Attributes } = await client.send(
      new UpdateItemCommand({
        TableName: ITEMS,
        Key: key,
        UpdateExpression:
          'SET #c = #c + :two, tags = list_append(tags, :more), created = if_not_exists(created, :now), ' +
          'fresh = if_not_exists(fresh, :now), m.y = :one, m.x = m.x - :one, front = list_append(:more, tags)',
        ExpressionAttributeNames: { '#c': 'count' },
        ExpressionAttributeValues: {
          ':two': n(2), ':more': { L: [s('b'), s('c')] }, ':now': s('second'), ':one': n(1),
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    assert.deepEqual(Attributes.count, n(12));
    assert.deepEqual(Attributes.tags, { L: [s('a'), s('b'), s('c')] });
    assert.deepEqual(Attributes.front, { L: [s('b'), s('c'), s('a')] });
    assert.deepEqual(Attributes.created, s('first'));
    assert.deepEqual(Attributes.fresh, s('second'));
    assert.deepEqual(Attributes.m, { M: { x: n(0), y: n(1) } });
  });

  test('UpdateItem REMOVE, ADD and DELETE', async () => {
    const key = { pk: s('upd'), sk: s('rad') };
    await client.send(
      new PutItemCommand({
        TableName: ITEMS,
        Item: {
          ...key,
          obsolete: s('x'),
          parts: { L: [s('0'), s('1'), s('2')] },
          tally: n(5),
          colors: { SS: ['red', 'green', 'blue'] },
        },
      }),
    );
    const { Attributes } = await client.send(
      new UpdateItemCommand({
        TableName: ITEMS,
        Key: key,
        UpdateExpression: 'REMOVE obsolete, parts[1] ADD tally :three, newTally :three, sizes :ns DELETE colors :drop',
        ExpressionAttributeValues: {
          ':three': n(3), ':ns': { NS: ['1', '2'] }, ':drop': { SS: ['red', 'blue', 'absent'] },
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    assert.equal(Attributes.obsolete, undefined);
    assert.deepEqual(Attributes.parts, { L: [s('0'), s('2')] });
    assert.deepEqual(Attributes.tally, n(8));
    assert.deepEqual(Attributes.newTally, n(3));
    assert.deepEqual([...Attributes.sizes.NS].sort(), ['1', '2']);
    assert.deepEqual(Attributes.colors, { SS: ['green'] });

    // Deleting the last element of a set removes the attribute.
    const emptied = await client.send(
      new UpdateItemCommand({
        TableName: ITEMS,
        Key: key,
        UpdateExpression: 'DELETE colors :green',
        ExpressionAttributeValues: { ':green': { SS: ['green'] } },
        ReturnValues: 'ALL_NEW',
      }),
    );
    assert.equal(emptied.Attributes.colors, undefined);
  });

  test('UpdateItem ReturnValues, all five', async () => {
    const key = { pk: s('upd'), sk: s('rv') };
    const original = { ...key, a: n(1), b: s('x'), c: s('kept') };
    const update = {
      TableName: ITEMS,
      Key: key,
      UpdateExpression: 'SET a = a + :one, d = :d REMOVE b',
      ExpressionAttributeValues: { ':one': n(1), ':d': s('new') },
    };
    const expected = {
      NONE: undefined,
      ALL_OLD: original,
      UPDATED_OLD: { a: n(1), b: s('x') },
      ALL_NEW: { ...key, a: n(2), c: s('kept'), d: s('new') },
      UPDATED_NEW: { a: n(2), d: s('new') },
    };
    for (const [returnValues, attributes] of Object.entries(expected)) {
      await client.send(new PutItemCommand({ TableName: ITEMS, Item: original }));
      const out = await client.send(new UpdateItemCommand({ ...update, ReturnValues: returnValues }));
      assert.deepEqual(out.Attributes, attributes, `ReturnValues ${returnValues}`);
    }
  });

  test('UpdateItem upsert with each ReturnValues', async () => {
    const expectedByMode = {
      NONE: undefined,
      ALL_OLD: undefined,
      UPDATED_OLD: undefined,
      UPDATED_NEW: { v: s('made') },
      ALL_NEW: null, // the whole new item, checked below
    };
    for (const [returnValues, attributes] of Object.entries(expectedByMode)) {
      const key = { pk: s('upsert'), sk: s(returnValues) };
      const out = await client.send(
        new UpdateItemCommand({
          TableName: ITEMS,
          Key: key,
          UpdateExpression: 'SET v = :v',
          ExpressionAttributeValues: { ':v': s('made') },
          ReturnValues: returnValues,
        }),
      );
      const expected = attributes === null ? { ...key, v: s('made') } : attributes;
      assert.deepEqual(out.Attributes, expected, `ReturnValues ${returnValues}`);
      const { Item } = await client.send(
        new GetItemCommand({ TableName: ITEMS, Key: key, ConsistentRead: true }),
      );
      assert.deepEqual(Item, { ...key, v: s('made') }, `item written with ${returnValues}`);
    }
  });

  test('UpdateItem with an unescaped reserved word', async () => {
    await expectError(
      client.send(
        new UpdateItemCommand({
          TableName: ITEMS,
          Key: { pk: s('upd'), sk: s('reserved') },
          UpdateExpression: 'SET status = :s',
          ExpressionAttributeValues: { ':s': s('x') },
        }),
      ),
      'ValidationException',
      'Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: status',
    );
  });

  test('UpdateItem with an unused value', async () => {
    await expectError(
      client.send(
        new UpdateItemCommand({
          TableName: ITEMS,
          Key: { pk: s('upd'), sk: s('unused') },
          UpdateExpression: 'SET a = :a',
          ExpressionAttributeValues: { ':a': s('x'), ':unused': s('y') },
        }),
      ),
      'ValidationException',
      'Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}',
    );
  });

  test('UpdateItem with overlapping paths', async () => {
    await expectError(
      client.send(
        new UpdateItemCommand({
          TableName: ITEMS,
          Key: { pk: s('upd'), sk: s('overlap') },
          UpdateExpression: 'SET a = :a REMOVE a',
          ExpressionAttributeValues: { ':a': s('x') },
        }),
      ),
      'ValidationException',
      'Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a]',
    );
  });

  test('UpdateItem condition failure returns the item', async () => {
    const key = { pk: s('upd'), sk: s('cond') };
    await client.send(new PutItemCommand({ TableName: ITEMS, Item: { ...key, state: s('done') } }));
    const error = await expectError(
      client.send(
        new UpdateItemCommand({
          TableName: ITEMS,
          Key: key,
          UpdateExpression: 'SET #s = :next',
          ConditionExpression: '#s = :expected',
          ExpressionAttributeNames: { '#s': 'state' },
          ExpressionAttributeValues: { ':next': s('again'), ':expected': s('pending') },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      ),
      'ConditionalCheckFailedException',
      'The conditional request failed',
    );
    assert.deepEqual(error.Item, { ...key, state: s('done') });
  });

  test('DeleteItem with ReturnValues and a condition', async () => {
    const key = { pk: s('del'), sk: s('1') };
    await client.send(new PutItemCommand({ TableName: ITEMS, Item: { ...key, v: n(7) } }));

    await expectError(
      client.send(
        new DeleteItemCommand({
          TableName: ITEMS,
          Key: key,
          ConditionExpression: 'v = :eight',
          ExpressionAttributeValues: { ':eight': n(8) },
        }),
      ),
      'ConditionalCheckFailedException',
      'The conditional request failed',
    );

    const out = await client.send(
      new DeleteItemCommand({ TableName: ITEMS, Key: key, ReturnValues: 'ALL_OLD' }),
    );
    assert.deepEqual(out.Attributes, { ...key, v: n(7) });

    const again = await client.send(
      new DeleteItemCommand({ TableName: ITEMS, Key: key, ReturnValues: 'ALL_OLD' }),
    );
    assert.equal(again.Attributes, undefined, 'deleting a missing item succeeds with no Attributes');
  });
});

describe('Query and Scan', () => {
  const table = 'sdk-query';
  const sortKeys = ['ITEM#1', 'ITEM#2', 'ITEM#3', 'OTHER#1', 'OTHER#2'];

  before(async () => {
    await client.send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
          { AttributeName: 'g', AttributeType: 'S' },
          { AttributeName: 'rank', AttributeType: 'N' },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: 'ByGroup',
            KeySchema: [
              { AttributeName: 'g', KeyType: 'HASH' },
              { AttributeName: 'rank', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
      }),
    );
    await waitUntilTableExists({ client, minDelay: 1, maxDelay: 1, maxWaitTime: 20 }, { TableName: table });

    // 5 items under pk "q"; 30 items under pk "p0".."p29" for Scan, of which
    // those with rank get into ByGroup; 5 items "d0".."d4" with equal index
    // keys.
    const requests = sortKeys.map((sk, i) => ({
      PutRequest: { Item: { pk: s('q'), sk: s(sk), odd: { BOOL: i % 2 === 1 }, n: n(i) } },
    }));
    for (let i = 0; i < 30; i++) {
      const item = { pk: s(`p${i}`), sk: s('x'), n: n(i) };
      if (i < 12) Object.assign(item, { g: s('group'), rank: n(i * 10) });
      requests.push({ PutRequest: { Item: item } });
    }
    // Five items with the same ByGroup key, which differ only in table key.
    for (let i = 0; i < 5; i++) {
      requests.push({ PutRequest: { Item: { pk: s(`d${i}`), sk: s('x'), g: s('same'), rank: n(7) } } });
    }
    for (let i = 0; i < requests.length; i += 25) {
      const out = await client.send(
        new BatchWriteItemCommand({ RequestItems: { [table]: requests.slice(i, i + 25) } }),
      );
      assert.deepEqual(out.UnprocessedItems, {});
    }
  });

  after(async () => {
    await client.send(new DeleteTableCommand({ TableName: table })).catch(() => {});
  });

  const query = (params) => client.send(new QueryCommand({ TableName: table, ...params }));
  const sortKeysOf = (items) => items.map((item) => item.sk.S);

  test('Query key condition forms', async () => {
    const cases = [
      ['pk = :pk', {}, sortKeys],
      ['pk = :pk AND sk = :a', { ':a': s('ITEM#2') }, ['ITEM#2']],
      ['pk = :pk AND sk < :a', { ':a': s('ITEM#3') }, ['ITEM#1', 'ITEM#2']],
      ['pk = :pk AND sk <= :a', { ':a': s('ITEM#3') }, ['ITEM#1', 'ITEM#2', 'ITEM#3']],
      ['pk = :pk AND sk > :a', { ':a': s('ITEM#3') }, ['OTHER#1', 'OTHER#2']],
      ['pk = :pk AND sk >= :a', { ':a': s('ITEM#3') }, ['ITEM#3', 'OTHER#1', 'OTHER#2']],
      ['pk = :pk AND sk BETWEEN :a AND :b', { ':a': s('ITEM#2'), ':b': s('OTHER#1') }, ['ITEM#2', 'ITEM#3', 'OTHER#1']],
      ['pk = :pk AND begins_with(sk, :a)', { ':a': s('OTHER#') }, ['OTHER#1', 'OTHER#2']],
    ];
    for (const [condition, values, expected] of cases) {
      const out = await query({
        KeyConditionExpression: condition,
        ExpressionAttributeValues: { ':pk': s('q'), ...values },
      });
      assert.deepEqual(sortKeysOf(out.Items), expected, condition);
      assert.equal(out.Count, expected.length, `${condition}: Count`);
      assert.equal(out.LastEvaluatedKey, undefined, `${condition}: LastEvaluatedKey`);
    }
  });

  test('Query with a filter counts scanned items', async () => {
    const out = await query({
      KeyConditionExpression: 'pk = :pk',
      FilterExpression: 'odd = :t',
      ExpressionAttributeValues: { ':pk': s('q'), ':t': { BOOL: true } },
    });
    assert.deepEqual(sortKeysOf(out.Items), ['ITEM#2', 'OTHER#1']);
    assert.equal(out.Count, 2);
    assert.equal(out.ScannedCount, 5);
  });

  test('Query with Limit applies it before the filter', async () => {
    const out = await query({
      KeyConditionExpression: 'pk = :pk',
      FilterExpression: 'odd = :t',
      ExpressionAttributeValues: { ':pk': s('q'), ':t': { BOOL: true } },
      Limit: 1,
    });
    assert.deepEqual(out.Items, []);
    assert.equal(out.Count, 0);
    assert.equal(out.ScannedCount, 1);
    assert.deepEqual(out.LastEvaluatedKey, { pk: s('q'), sk: s('ITEM#1') });
  });

  test('Query ScanIndexForward false', async () => {
    const out = await query({
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': s('q') },
      ScanIndexForward: false,
    });
    assert.deepEqual(sortKeysOf(out.Items), [...sortKeys].reverse());
  });

  test('Query pages with Limit in both directions', async () => {
    for (const forward of [true, false]) {
      const pages = [];
      let start;
      for (let i = 0; i < 10; i++) {
        const out = await query({
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': s('q') },
          ScanIndexForward: forward,
          Limit: 2,
          ExclusiveStartKey: start,
        });
        pages.push(sortKeysOf(out.Items));
        start = out.LastEvaluatedKey;
        if (!start) break;
        assert.deepEqual(Object.keys(start).sort(), ['pk', 'sk']);
        assert.deepEqual(start.sk, out.Items.at(-1).sk);
      }
      const order = forward ? sortKeys : [...sortKeys].reverse();
      assert.deepEqual(pages, [order.slice(0, 2), order.slice(2, 4), order.slice(4)], `forward ${forward}`);
    }
  });

  test('Query page that ends at Limit has LastEvaluatedKey', async () => {
    const first = await query({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
      ExpressionAttributeValues: { ':pk': s('q'), ':p': s('OTHER#') },
      Limit: 2,
    });
    assert.equal(first.Count, 2);
    assert.deepEqual(first.LastEvaluatedKey, { pk: s('q'), sk: s('OTHER#2') });
    const second = await query({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
      ExpressionAttributeValues: { ':pk': s('q'), ':p': s('OTHER#') },
      Limit: 2,
      ExclusiveStartKey: first.LastEvaluatedKey,
    });
    assert.deepEqual(second.Items, []);
    assert.equal(second.LastEvaluatedKey, undefined);
  });

  test('Query on an index pages with index keys', async () => {
    const ranks = [];
    let start;
    for (let i = 0; i < 20; i++) {
      const out = await query({
        IndexName: 'ByGroup',
        KeyConditionExpression: 'g = :g AND #r >= :min',
        ExpressionAttributeNames: { '#r': 'rank' },
        ExpressionAttributeValues: { ':g': s('group'), ':min': n(20) },
        ScanIndexForward: false,
        Limit: 4,
        ExclusiveStartKey: start,
      });
      ranks.push(...out.Items.map((item) => Number(item.rank.N)));
      start = out.LastEvaluatedKey;
      if (!start) break;
      assert.deepEqual(Object.keys(start).sort(), ['g', 'pk', 'rank', 'sk']);
      assert.deepEqual(start.rank, out.Items.at(-1).rank);
    }
    assert.deepEqual(ranks, [110, 100, 90, 80, 70, 60, 50, 40, 30, 20]);
  });

  test('Query Select COUNT', async () => {
    const out = await query({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
      ExpressionAttributeValues: { ':pk': s('q'), ':p': s('ITEM#') },
      Select: 'COUNT',
    });
    assert.equal(out.Count, 3);
    assert.equal(out.ScannedCount, 3);
    assert.equal(out.Items, undefined);
  });

  test('Query on a missing index', async () => {
    await expectError(
      query({
        IndexName: 'NoSuchIndex',
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': s('q') },
      }),
      'ValidationException',
      'The table does not have the specified index: NoSuchIndex',
    );
  });

  test('Scan with parallel segments', async () => {
    const totalSegments = 4;
    const seen = [];
    for (let segment = 0; segment < totalSegments; segment++) {
      let start;
      for (let i = 0; i < 50; i++) {
        const out = await client.send(
          new ScanCommand({
            TableName: table,
            Segment: segment,
            TotalSegments: totalSegments,
            Limit: 7,
            ExclusiveStartKey: start,
          }),
        );
        seen.push(...out.Items.map((item) => `${item.pk.S}/${item.sk.S}`));
        start = out.LastEvaluatedKey;
        if (!start) break;
      }
      assert.equal(start, undefined, `segment ${segment} paging ended`);
    }
    assert.equal(seen.length, 40, 'every item once across segments');
    assert.equal(new Set(seen).size, 40, 'no item in two segments');
  });

  test('Scan with a filter and Select COUNT', async () => {
    const out = await client.send(
      new ScanCommand({
        TableName: table,
        FilterExpression: 'attribute_exists(#r) AND #r < :r',
        ExpressionAttributeNames: { '#r': 'rank' },
        ExpressionAttributeValues: { ':r': n(50) },
        Select: 'COUNT',
      }),
    );
    assert.equal(out.Count, 10, 'ranks 0 to 40 and the five items of rank 7');
    assert.equal(out.ScannedCount, 40);
  });

  test('Scan of an index', async () => {
    const out = await client.send(new ScanCommand({ TableName: table, IndexName: 'ByGroup' }));
    assert.equal(out.Count, 17);
  });

  test('Query pages through equal index keys', async () => {
    const seen = [];
    let start;
    for (let i = 0; i < 10; i++) {
      const out = await query({
        IndexName: 'ByGroup',
        KeyConditionExpression: 'g = :g',
        ExpressionAttributeValues: { ':g': s('same') },
        Limit: 2,
        ExclusiveStartKey: start,
      });
      seen.push(...out.Items.map((item) => item.pk.S));
      start = out.LastEvaluatedKey;
      if (!start) break;
    }
    assert.equal(seen.length, 5, `items seen: ${seen.join(' ')}`);
    assert.equal(new Set(seen).size, 5, 'no item repeats across pages');
  });

  test('Query resumes after a deleted start key', async () => {
    const first = await query({
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': s('q') },
      Limit: 2,
    });
    assert.deepEqual(first.LastEvaluatedKey, { pk: s('q'), sk: s('ITEM#2') });
    await client.send(new DeleteItemCommand({ TableName: table, Key: first.LastEvaluatedKey }));
    try {
      const rest = await query({
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': s('q') },
        ExclusiveStartKey: first.LastEvaluatedKey,
      });
      assert.deepEqual(sortKeysOf(rest.Items), ['ITEM#3', 'OTHER#1', 'OTHER#2']);
    } finally {
      await client.send(
        new PutItemCommand({
          TableName: table,
          Item: { pk: s('q'), sk: s('ITEM#2'), odd: { BOOL: true }, n: n(1) },
        }),
      );
    }
  });
});

describe('batch and transaction operations', () => {
  const table = 'sdk-batch';

  before(async () => {
    await client.send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      }),
    );
    await waitUntilTableExists({ client, minDelay: 1, maxDelay: 1, maxWaitTime: 20 }, { TableName: table });
  });

  after(async () => {
    await client.send(new DeleteTableCommand({ TableName: table })).catch(() => {});
  });

  test('BatchWriteItem puts and deletes', async () => {
    const puts = Array.from({ length: 10 }, (_, i) => ({
      PutRequest: { Item: { id: s(`b${i}`), v: n(i) } },
    }));
    const first = await client.send(new BatchWriteItemCommand({ RequestItems: { [table]: puts } }));
    assert.deepEqual(first.UnprocessedItems, {});

    const second = await client.send(
      new BatchWriteItemCommand({
        RequestItems: {
          [table]: [
            { DeleteRequest: { Key: { id: s('b0') } } },
            { DeleteRequest: { Key: { id: s('b1') } } },
            { PutRequest: { Item: { id: s('b2'), v: n(200) } } },
          ],
        },
      }),
    );
    assert.deepEqual(second.UnprocessedItems, {});
  });

  test('BatchWriteItem with two writes to one key', async () => {
    await expectError(
      client.send(
        new BatchWriteItemCommand({
          RequestItems: {
            [table]: [
              { PutRequest: { Item: { id: s('dup'), v: n(1) } } },
              { DeleteRequest: { Key: { id: s('dup') } } },
            ],
          },
        }),
      ),
      'ValidationException',
      'Provided list of item keys contains duplicates',
    );
  });

  test('BatchGetItem returns found items only', async () => {
    const out = await client.send(
      new BatchGetItemCommand({
        RequestItems: {
          [table]: {
            Keys: [{ id: s('b0') }, { id: s('b2') }, { id: s('b3') }, { id: s('missing') }],
            ProjectionExpression: 'id, v',
            ConsistentRead: true,
          },
        },
      }),
    );
    assert.deepEqual(out.UnprocessedKeys, {});
    const items = out.Responses[table].sort((a, b) => a.id.S.localeCompare(b.id.S));
    assert.deepEqual(items, [
      { id: s('b2'), v: n(200) },
      { id: s('b3'), v: n(3) },
    ]);
  });

  test('TransactWriteItems commits all writes', async () => {
    await client.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          { Put: { TableName: table, Item: { id: s('t1'), v: n(1) } } },
          {
            Update: {
              TableName: table,
              Key: { id: s('b3') },
              UpdateExpression: 'SET v = v + :d',
              ExpressionAttributeValues: { ':d': n(10) },
            },
          },
          { Delete: { TableName: table, Key: { id: s('b4') } } },
          {
            ConditionCheck: {
              TableName: table,
              Key: { id: s('b5') },
              ConditionExpression: 'attribute_exists(id)',
            },
          },
        ],
      }),
    );
    const out = await client.send(
      new TransactGetItemsCommand({
        TransactItems: [
          { Get: { TableName: table, Key: { id: s('t1') } } },
          { Get: { TableName: table, Key: { id: s('b3') } } },
          { Get: { TableName: table, Key: { id: s('b4') } } },
          { Get: { TableName: table, Key: { id: s('b5') }, ProjectionExpression: 'v' } },
        ],
      }),
    );
    assert.equal(out.Responses.length, 4);
    assert.deepEqual(out.Responses[0].Item, { id: s('t1'), v: n(1) });
    assert.deepEqual(out.Responses[1].Item, { id: s('b3'), v: n(13) });
    assert.equal(out.Responses[2].Item, undefined, 'deleted item');
    assert.deepEqual(out.Responses[3].Item, { v: n(5) });
  });

  test('TransactWriteItems cancellation reasons', async () => {
    const error = await expectError(
      client.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            { Put: { TableName: table, Item: { id: s('t2'), v: n(2) } } },
            {
              ConditionCheck: {
                TableName: table,
                Key: { id: s('b6') },
                ConditionExpression: 'v = :wrong',
                ExpressionAttributeValues: { ':wrong': n(999) },
                ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
              },
            },
            {
              Update: {
                TableName: table,
                Key: { id: s('b7') },
                UpdateExpression: 'SET v = :v',
                ExpressionAttributeValues: { ':v': n(700) },
              },
            },
          ],
        }),
      ),
      'TransactionCanceledException',
      'Transaction cancelled, please refer cancellation reasons for specific reasons [None, ConditionalCheckFailed, None]',
    );
    const reasons = error.CancellationReasons;
    assert.equal(reasons?.length, 3, 'one reason per request item');
    assert.equal(reasons[0].Code, 'None');
    assert.equal(reasons[1].Code, 'ConditionalCheckFailed');
    assert.equal(reasons[1].Message, 'The conditional request failed');
    assert.deepEqual(reasons[1].Item, { id: s('b6'), v: n(6) });
    assert.equal(reasons[2].Code, 'None');

    // Nothing of the cancelled transaction was written.
    const out = await client.send(
      new BatchGetItemCommand({
        RequestItems: { [table]: { Keys: [{ id: s('t2') }, { id: s('b7') }], ConsistentRead: true } },
      }),
    );
    assert.deepEqual(out.Responses[table], [{ id: s('b7'), v: n(7) }]);
  });

  test('TransactWriteItems with two actions on one item', async () => {
    await expectError(
      client.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            { Put: { TableName: table, Item: { id: s('same'), v: n(1) } } },
            { Delete: { TableName: table, Key: { id: s('same') } } },
          ],
        }),
      ),
      'ValidationException',
      'Transaction request cannot include multiple operations on one item',
    );
  });
});

describe('expressions and validation', () => {
  const table = 'sdk-validation';
  const key = { pk: s('cond'), sk: s('1') };

  before(async () => {
    await client.send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
          { AttributeName: 'g', AttributeType: 'S' },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: 'ByG',
            KeySchema: [{ AttributeName: 'g', KeyType: 'HASH' }],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
      }),
    );
    await waitUntilTableExists({ client, minDelay: 1, maxDelay: 1, maxWaitTime: 20 }, { TableName: table });
    await client.send(
      new PutItemCommand({
        TableName: table,
        Item: {
          ...key,
          title: s('Pikachu Illustrator'),
          tags: { SS: ['a', 'b'] },
          parts: { L: [n(1), n(2), n(3)] },
          m: { M: { x: n(1) } },
          qty: n(5),
          flag: { BOOL: true },
        },
      }),
    );
  });

  after(async () => {
    await client.send(new DeleteTableCommand({ TableName: table })).catch(() => {});
  });

  // Evaluate a ConditionExpression against the stored item through a
  // conditional UpdateItem; returns whether the condition held.
  async function conditionHolds(condition, values = {}, names = undefined) {
    try {
      await client.send(
        new UpdateItemCommand({
          TableName: table,
          Key: key,
          UpdateExpression: 'SET touched = :touched',
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: { ':touched': { BOOL: true }, ...values },
        }),
      );
      return true;
    } catch (error) {
      if (error.name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  test('condition functions and operators', async () => {
    const cases = [
      ['size(parts) = :v', { ':v': n(3) }, true],
      ['size(parts) > :v', { ':v': n(3) }, false],
      ['size(title) = :v', { ':v': n(19) }, true],
      ['size(tags) = :v', { ':v': n(2) }, true],
      ['contains(tags, :v)', { ':v': s('a') }, true],
      ['contains(tags, :v)', { ':v': s('z') }, false],
      ['contains(title, :v)', { ':v': s('Illus') }, true],
      ['contains(parts, :v)', { ':v': n(2) }, true],
      ['attribute_type(m, :v)', { ':v': s('M') }, true],
      ['attribute_type(qty, :v)', { ':v': s('S') }, false],
      ['begins_with(title, :v)', { ':v': s('Pika') }, true],
      ['qty IN (:a, :b)', { ':a': n(4), ':b': n(5) }, true],
      ['qty IN (:a, :b)', { ':a': n(4), ':b': n(6) }, false],
      ['qty BETWEEN :a AND :b', { ':a': n(5), ':b': n(9) }, true],
      ['qty <> :v', { ':v': n(5) }, false],
      ['NOT qty = :v', { ':v': n(4) }, true],
      ['(qty < :a OR m.x = :b) AND flag = :t', { ':a': n(1), ':b': n(1), ':t': { BOOL: true } }, true],
      ['qty < :a OR m.x = :b AND flag = :t', { ':a': n(1), ':b': n(2), ':t': { BOOL: true } }, false],
      ['parts[1] = :v', { ':v': n(2) }, true],
      ['attribute_not_exists(m.y)', {}, true],
      ['attribute_exists(parts[5])', {}, false],
      ['qty = :v', { ':v': s('5') }, false],
      ['qty > :v', { ':v': s('4') }, false],
    ];
    for (const [condition, values, expected] of cases) {
      assert.equal(await conditionHolds(condition, values), expected, condition);
    }
  });

  test('numbers come back normalized', async () => {
    const numKey = { pk: s('num'), sk: s('1') };
    await client.send(
      new PutItemCommand({
        TableName: table,
        Item: { ...numKey, a: n('01.500'), c: n('1E+3'), d: n('0.000100') },
      }),
    );
    const { Item } = await client.send(new GetItemCommand({ TableName: table, Key: numKey, ConsistentRead: true }));
    assert.deepEqual(Item.a, n('1.5'));
    assert.deepEqual(Item.c, n('1000'));
    assert.deepEqual(Item.d, n('0.0001'));
  });

  test('number with 39 significant digits', async () => {
    await expectError(
      client.send(
        new PutItemCommand({
          TableName: table,
          Item: { pk: s('num'), sk: s('2'), a: n('1'.repeat(39)) },
        }),
      ),
      'ValidationException',
      'Attempting to store more than 38 significant digits in a Number',
    );
  });

  test('empty set is rejected', async () => {
    await expectError(
      client.send(new PutItemCommand({ TableName: table, Item: { pk: s('set'), sk: s('1'), tags: { SS: [] } } })),
      'ValidationException',
      'One or more parameter values were invalid: An string set  may not be empty',
    );
  });

  test('set with duplicates is rejected', async () => {
    await expectError(
      client.send(
        new PutItemCommand({ TableName: table, Item: { pk: s('set'), sk: s('2'), tags: { SS: ['a', 'a'] } } }),
      ),
      'ValidationException',
      /^One or more parameter values were invalid: Input collection \[a, a\] contains duplicates\.?$/,
    );
  });

  test('empty string in a key is rejected', async () => {
    await expectError(
      client.send(new PutItemCommand({ TableName: table, Item: { pk: s(''), sk: s('1') } })),
      'ValidationException',
      'One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: pk',
    );
  });

  test('item over 400 KB is rejected', async () => {
    await expectError(
      client.send(
        new PutItemCommand({
          TableName: table,
          Item: { pk: s('big'), sk: s('1'), blob: s('x'.repeat(401 * 1024)) },
        }),
      ),
      'ValidationException',
      'Item size has exceeded the maximum allowed size',
    );
  });

  test('UpdateItem on a key attribute', async () => {
    await expectError(
      client.send(
        new UpdateItemCommand({
          TableName: table,
          Key: key,
          UpdateExpression: 'SET pk = :v',
          ExpressionAttributeValues: { ':v': s('other') },
        }),
      ),
      'ValidationException',
      'One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key',
    );
  });

  test('undefined placeholders are rejected', async () => {
    await expectError(
      client.send(
        new UpdateItemCommand({
          TableName: table,
          Key: key,
          UpdateExpression: 'SET a = :missing',
        }),
      ),
      'ValidationException',
      'Invalid UpdateExpression: An expression attribute value used in expression is not defined; attribute value: :missing',
    );
    await expectError(
      client.send(
        new UpdateItemCommand({
          TableName: table,
          Key: key,
          UpdateExpression: 'SET a = :a',
          ConditionExpression: 'attribute_exists(#missing)',
          ExpressionAttributeValues: { ':a': s('x') },
        }),
      ),
      'ValidationException',
      'Invalid ConditionExpression: An expression attribute name used in the document path is not defined; attribute name: #missing',
    );
  });

  test('unused expression attribute name', async () => {
    await expectError(
      client.send(
        new GetItemCommand({
          TableName: table,
          Key: key,
          ProjectionExpression: 'qty',
          ExpressionAttributeNames: { '#unused': 'x' },
        }),
      ),
      'ValidationException',
      'Value provided in ExpressionAttributeNames unused in expressions: keys: {#unused}',
    );
  });

  test('Query without the partition key', async () => {
    await expectError(
      client.send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: 'sk = :v',
          ExpressionAttributeValues: { ':v': s('1') },
        }),
      ),
      'ValidationException',
      'Query condition missed key schema element: pk',
    );
  });

  test('Query with Limit 0', async () => {
    await expectError(
      client.send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: 'pk = :v',
          ExpressionAttributeValues: { ':v': s('cond') },
          Limit: 0,
        }),
      ),
      'ValidationException',
      "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1",
    );
  });

  test('consistent Query on a GSI', async () => {
    await expectError(
      client.send(
        new QueryCommand({
          TableName: table,
          IndexName: 'ByG',
          KeyConditionExpression: 'g = :v',
          ExpressionAttributeValues: { ':v': s('x') },
          ConsistentRead: true,
        }),
      ),
      'ValidationException',
      'Consistent reads are not supported on global secondary indexes',
    );
  });

  test('BatchGetItem limits and duplicates', async () => {
    const keys = Array.from({ length: 101 }, (_, i) => ({ pk: s(`k${i}`), sk: s('1') }));
    await expectError(
      client.send(new BatchGetItemCommand({ RequestItems: { [table]: { Keys: keys } } })),
      'ValidationException',
      'Too many items requested for the BatchGetItem call',
    );
    await expectError(
      client.send(new BatchGetItemCommand({ RequestItems: { [table]: { Keys: [key, key] } } })),
      'ValidationException',
      'Provided list of item keys contains duplicates',
    );
  });

  test('BatchWriteItem over 25 requests', async () => {
    const puts = Array.from({ length: 26 }, (_, i) => ({
      PutRequest: { Item: { pk: s(`w${i}`), sk: s('1') } },
    }));
    await expectError(
      client.send(new BatchWriteItemCommand({ RequestItems: { [table]: puts } })),
      'ValidationException',
      /Member must have length less than or equal to 25/,
    );
  });

  test('TransactWriteItems ClientRequestToken is idempotent', async () => {
    const tokenKey = { pk: s('token'), sk: s('1') };
    const request = {
      ClientRequestToken: 'stratus-client-test-token-1',
      TransactItems: [
        {
          Update: {
            TableName: table,
            Key: tokenKey,
            UpdateExpression: 'ADD hits :one',
            ExpressionAttributeValues: { ':one': n(1) },
          },
        },
      ],
    };
    await client.send(new TransactWriteItemsCommand(request));
    await client.send(new TransactWriteItemsCommand(request));
    const { Item } = await client.send(new GetItemCommand({ TableName: table, Key: tokenKey, ConsistentRead: true }));
    assert.deepEqual(Item.hits, n(1), 'the repeated request was not applied twice');

    const changed = structuredClone(request);
    changed.TransactItems[0].Update.ExpressionAttributeValues[':one'] = n(2);
    await expectError(
      client.send(new TransactWriteItemsCommand(changed)),
      'IdempotentParameterMismatchException',
    );
  });
});

describe('UpdateTable index changes', () => {
  const table = 'sdk-update-table';

  before(async () => {
    await client.send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      }),
    );
    await waitUntilTableExists({ client, minDelay: 1, maxDelay: 1, maxWaitTime: 20 }, { TableName: table });
    for (let i = 0; i < 6; i++) {
      const item = { id: s(`u${i}`), v: n(i) };
      if (i % 2 === 0) item.color = s(i < 4 ? 'red' : 'blue');
      await client.send(new PutItemCommand({ TableName: table, Item: item }));
    }
  });

  after(async () => {
    await client.send(new DeleteTableCommand({ TableName: table })).catch(() => {});
  });

  test('UpdateTable adds a GSI and backfills it', async () => {
    const { TableDescription: t } = await client.send(
      new UpdateTableCommand({
        TableName: table,
        AttributeDefinitions: [
          { AttributeName: 'id', AttributeType: 'S' },
          { AttributeName: 'color', AttributeType: 'S' },
        ],
        GlobalSecondaryIndexUpdates: [
          {
            Create: {
              IndexName: 'ByColor',
              KeySchema: [{ AttributeName: 'color', KeyType: 'HASH' }],
              Projection: { ProjectionType: 'KEYS_ONLY' },
            },
          },
        ],
      }),
    );
    assert.equal(t.TableName, table);
    assert.equal(t.TableStatus, 'UPDATING');
    const created = t.GlobalSecondaryIndexes?.find((g) => g.IndexName === 'ByColor');
    assert.ok(created, 'UpdateTable response lists the new index');
    await waitForIndexStatus(table, 'ByColor', 'ACTIVE');

    const out = await client.send(
      new QueryCommand({
        TableName: table,
        IndexName: 'ByColor',
        KeyConditionExpression: 'color = :c',
        ExpressionAttributeValues: { ':c': s('red') },
      }),
    );
    const items = out.Items.sort((a, b) => a.id.S.localeCompare(b.id.S));
    assert.deepEqual(items, [
      { id: s('u0'), color: s('red') },
      { id: s('u2'), color: s('red') },
    ]);
    // AWS reports an index it is still building as CREATING.
    assert.equal(created.IndexStatus, 'CREATING');
  });

  test('UpdateTable deletes a GSI', async () => {
    const { TableDescription: t } = await client.send(
      new UpdateTableCommand({
        TableName: table,
        GlobalSecondaryIndexUpdates: [{ Delete: { IndexName: 'ByColor' } }],
      }),
    );
    assert.equal(t.TableStatus, 'UPDATING');
    const deleting = t.GlobalSecondaryIndexes?.find((g) => g.IndexName === 'ByColor');
    await waitForIndexStatus(table, 'ByColor', 'ABSENT');

    await expectError(
      client.send(
        new QueryCommand({
          TableName: table,
          IndexName: 'ByColor',
          KeyConditionExpression: 'color = :c',
          ExpressionAttributeValues: { ':c': s('red') },
        }),
      ),
      'ValidationException',
      'The table does not have the specified index: ByColor',
    );
    // AWS still lists a deleted index in this response, as DELETING.
    assert.equal(deleting?.IndexStatus, 'DELETING');
  });
});

// ---------------------------------------------------------------------------
// Part two: the CollectIQ backend's calls, D1 to D13, as its code makes them
// (expression strings verbatim), through DynamoDBDocumentClient.
// ---------------------------------------------------------------------------

describe('CollectIQ calls through the DocumentClient', () => {
  const user = 'user-0b7c9e2a';
  const userPk = `USER#${user}`;
  const uuid = (i) => `7f3d9a1c-4b2e-4c8d-9e1f-${String(i).padStart(12, '0')}`;
  const iso = (second) => new Date(Date.UTC(2026, 0, 2, 3, 4, second)).toISOString();

  function cardItem(i, createdAt) {
    return {
      PK: userPk,
      SK: `CARD#${uuid(i)}`,
      entityType: 'CARD',
      cardId: uuid(i),
      userId: user,
      frontS3Key: `uploads/${user}/${uuid(i)}-front.jpg`,
      name: `Card ${i}`,
      set: 'Base Set',
      number: `${i}/102`,
      rarity: 'Rare',
      conditionEstimate: undefined, // dropped by removeUndefinedValues
      createdAt,
      updatedAt: createdAt,
    };
  }

  function idempotencyItem(key, createdAt) {
    return {
      PK: userPk,
      SK: `IDEMPOTENCY#${key}`,
      entityType: 'IDEMPOTENCY',
      idempotencyKey: key,
      userId: user,
      operation: 'cards_create',
      status: 'PENDING',
      createdAt,
      updatedAt: createdAt,
      ttl: Math.floor(Date.now() / 1000) + 600,
    };
  }

  // D1 and D9: PutItem that must not overwrite.
  const putNew = (item) =>
    docClient.send(
      new PutCommand({
        TableName: CARDS,
        Item: item,
        ConditionExpression: 'attribute_not_exists(PK) AND attribute_not_exists(SK)',
      }),
    );

  // D3: getCard.
  const getCard = async (cardId) => {
    const out = await docClient.send(
      new DocQueryCommand({
        TableName: CARDS,
        KeyConditionExpression: 'PK = :pk AND SK = :sk',
        ExpressionAttributeValues: { ':pk': userPk, ':sk': `CARD#${cardId}` },
        Limit: 1,
      }),
    );
    return out.Items?.[0];
  };

  test('D1 createCard conditional put', async () => {
    const item = cardItem(1, iso(1));
    await putNew(item);
    const error = await expectError(
      putNew(item),
      'ConditionalCheckFailedException',
      'The conditional request failed',
    );
    assert.ok(error instanceof Error);
  });

  test('D3 getCard by key with Limit 1', async () => {
    const card = await getCard(uuid(1));
    assert.equal(card.cardId, uuid(1));
    assert.equal(card.entityType, 'CARD');
    assert.equal(card.createdAt, iso(1));
    assert.equal('conditionEstimate' in card, false, 'undefined values are not stored');
    assert.equal(await getCard(uuid(999)), undefined);
  });

  test('D9 and D8 idempotency token put and get', async () => {
    const token = idempotencyItem('key-1', iso(0));
    await putNew(token);
    await expectError(putNew(token), 'ConditionalCheckFailedException', 'The conditional request failed');

    const { Item } = await docClient.send(
      new GetCommand({
        TableName: CARDS,
        Key: { PK: userPk, SK: 'IDEMPOTENCY#key-1' },
        ConsistentRead: true,
      }),
    );
    assert.deepEqual(Item, token);
  });

  test('D10 completeIdempotencyToken with reserved words', async () => {
    const result = {
      statusCode: 201,
      headers: { 'Content-Type': 'application/json', 'X-Request-Id': 'req-1' },
      body: JSON.stringify({ cardId: uuid(1) }),
    };
    await docClient.send(
      new UpdateCommand({
        TableName: CARDS,
        Key: { PK: userPk, SK: 'IDEMPOTENCY#key-1' },
        UpdateExpression: 'SET #status = :status, #result = :result, #updatedAt = :updatedAt',
        ExpressionAttributeNames: { '#status': 'status', '#result': 'result', '#updatedAt': 'updatedAt' },
        ExpressionAttributeValues: { ':status': 'COMPLETED', ':result': result, ':updatedAt': iso(2) },
        ConditionExpression: 'attribute_exists(PK) AND attribute_exists(SK)',
      }),
    );
    const { Item } = await docClient.send(
      new GetCommand({ TableName: CARDS, Key: { PK: userPk, SK: 'IDEMPOTENCY#key-1' }, ConsistentRead: true }),
    );
    assert.equal(Item.status, 'COMPLETED');
    assert.deepEqual(Item.result, result);
    assert.equal(Item.updatedAt, iso(2));

    await expectError(
      docClient.send(
        new UpdateCommand({
          TableName: CARDS,
          Key: { PK: userPk, SK: 'IDEMPOTENCY#never-created' },
          UpdateExpression: 'SET #status = :status, #result = :result, #updatedAt = :updatedAt',
          ExpressionAttributeNames: { '#status': 'status', '#result': 'result', '#updatedAt': 'updatedAt' },
          ExpressionAttributeValues: { ':status': 'COMPLETED', ':result': result, ':updatedAt': iso(2) },
          ConditionExpression: 'attribute_exists(PK) AND attribute_exists(SK)',
        }),
      ),
      'ConditionalCheckFailedException',
      'The conditional request failed',
    );
  });

  test('D11 deleteIdempotencyToken, present and absent', async () => {
    await putNew(idempotencyItem('key-delete', iso(0)));
    for (const attempt of ['present', 'absent']) {
      const out = await docClient.send(
        new DeleteCommand({ TableName: CARDS, Key: { PK: userPk, SK: 'IDEMPOTENCY#key-delete' } }),
      );
      assert.equal(out.Attributes, undefined, attempt);
    }
  });

  test('D4 updateCard with names for reserved words', async () => {
    const fields = {
      name: 'Charizard',
      set: 'Base Set',
      number: '4/102',
      rarity: 'Holo Rare',
      authenticityScore: 0.92,
      authenticitySignals: {
        visualHashConfidence: 0.9, textMatchConfidence: 0.8, holoPatternConfidence: 1,
        borderConsistency: 0.95, fontValidation: 0.7,
      },
      valueLow: 120.5,
      valueMedian: 150,
      valueHigh: 199.99,
      compsCount: 0,
      sources: [],
      valuationSummary: { summary: 'Stable', fairValue: 150, trend: 'flat', recommendation: 'hold', confidence: 0.5 },
    };
    const names = { '#updatedAt': 'updatedAt' };
    const values = { ':updatedAt': iso(3) };
    const sets = ['#updatedAt = :updatedAt'];
    for (const [field, value] of Object.entries(fields)) {
      names[`#${field}`] = field;
      values[`:${field}`] = value;
      sets.push(`#${field} = :${field}`);
    }
    const { Attributes } = await docClient.send(
      new UpdateCommand({
        TableName: CARDS,
        Key: { PK: userPk, SK: `CARD#${uuid(1)}` },
        UpdateExpression: `SET ${sets.join(', ')}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ConditionExpression: 'attribute_exists(PK) AND attribute_not_exists(deletedAt)',
        ReturnValues: 'ALL_NEW',
      }),
    );
    for (const [field, value] of Object.entries(fields)) {
      assert.deepEqual(Attributes[field], value, field);
    }
    assert.equal(Attributes.createdAt, iso(1));
    assert.equal(Attributes.updatedAt, iso(3));
    assert.equal(Attributes.entityType, 'CARD');
  });

  test('D6 soft delete, then updateCard fails', async () => {
    const card = cardItem(6, iso(6));
    await putNew(card);
    const softDelete = () =>
      docClient.send(
        new UpdateCommand({
          TableName: CARDS,
          Key: { PK: userPk, SK: card.SK },
          UpdateExpression: 'SET deletedAt = :deletedAt, updatedAt = :updatedAt',
          ExpressionAttributeValues: { ':deletedAt': iso(7), ':updatedAt': iso(7) },
          ConditionExpression: 'attribute_exists(PK) AND attribute_not_exists(deletedAt)',
        }),
      );
    await softDelete();
    await expectError(softDelete(), 'ConditionalCheckFailedException', 'The conditional request failed');
    assert.equal((await getCard(uuid(6))).deletedAt, iso(7));

    await expectError(
      docClient.send(
        new UpdateCommand({
          TableName: CARDS,
          Key: { PK: userPk, SK: card.SK },
          UpdateExpression: 'SET #updatedAt = :updatedAt, #name = :name',
          ExpressionAttributeNames: { '#updatedAt': 'updatedAt', '#name': 'name' },
          ExpressionAttributeValues: { ':updatedAt': iso(8), ':name': 'x' },
          ConditionExpression: 'attribute_exists(PK) AND attribute_not_exists(deletedAt)',
          ReturnValues: 'ALL_NEW',
        }),
      ),
      'ConditionalCheckFailedException',
      'The conditional request failed',
    );
  });

  test('D5 hard delete with attribute_exists', async () => {
    const card = cardItem(5, iso(5));
    await putNew(card);
    const hardDelete = () =>
      docClient.send(
        new DeleteCommand({
          TableName: CARDS,
          Key: { PK: userPk, SK: card.SK },
          ConditionExpression: 'attribute_exists(PK)',
        }),
      );
    await hardDelete();
    assert.equal(await getCard(uuid(5)), undefined);
    await expectError(hardDelete(), 'ConditionalCheckFailedException', 'The conditional request failed');
  });

  test('D7 upsert creates a partial item', async () => {
    const cardId = uuid(77);
    const ocrMetadata = {
      name: null,
      nameConfidence: 0,
      rarity: 'Common',
      rarityConfidence: 0.4,
      set: null,
      setConfidence: 0,
      collectorNumber: null,
      collectorNumberConfidence: 0,
      illustrator: null,
      illustratorConfidence: 0,
      extractedAt: iso(9),
      reasoningTrail: '',
      verifiedByAI: false,
    };
    const fields = {
      authenticityScore: 0.5,
      valueLow: 1,
      valueMedian: 2.5,
      valueHigh: 4,
      compsCount: 3,
      sources: ['pokemontcg'],
      pricingMessage: undefined, // dropped by removeUndefinedValues
      ocrMetadata,
    };
    const defined = Object.entries(fields).filter(([, value]) => value !== undefined);
    const names = { '#updatedAt': 'updatedAt', '#cardId': 'cardId', '#userId': 'userId' };
    const values = { ':updatedAt': iso(9), ':cardId': cardId, ':userId': user };
    const sets = ['#updatedAt = :updatedAt', '#cardId = :cardId', '#userId = :userId'];
    for (const [field, value] of defined) {
      names[`#${field}`] = field;
      values[`:${field}`] = value;
      sets.push(`#${field} = :${field}`);
    }
    const { Attributes } = await docClient.send(
      new UpdateCommand({
        TableName: CARDS,
        Key: { PK: userPk, SK: `CARD#${cardId}` },
        UpdateExpression: `SET ${sets.join(', ')}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_NEW',
      }),
    );
    assert.deepEqual(Attributes, {
      PK: userPk,
      SK: `CARD#${cardId}`,
      updatedAt: iso(9),
      cardId,
      userId: user,
      ...Object.fromEntries(defined),
    });
    assert.equal(Attributes.entityType, undefined);
    assert.equal(Attributes.createdAt, undefined);
    assert.equal(Attributes.ocrMetadata.name, null, 'NULL inside a nested map');
    assert.deepEqual(Attributes.ocrMetadata, ocrMetadata);

    // The partial item is in CardIdIndex (it has cardId) but not in GSI1
    // (no createdAt).
    const byCardId = await docClient.send(
      new DocQueryCommand({
        TableName: CARDS,
        IndexName: 'CardIdIndex',
        KeyConditionExpression: 'cardId = :cardId',
        ExpressionAttributeValues: { ':cardId': cardId },
        Limit: 1,
      }),
    );
    assert.equal(byCardId.Items.length, 1);
    const byUser = await docClient.send(
      new DocQueryCommand({
        TableName: CARDS,
        IndexName: 'GSI1',
        KeyConditionExpression: 'userId = :userId',
        ExpressionAttributeValues: { ':userId': user },
      }),
    );
    assert.equal(byUser.Items.some((item) => item.cardId === cardId), false);
  });

  test('D2 listCards pages GSI1 newest first with a cursor', async () => {
    // Each POST /cards writes an idempotency token just before the card, so
    // GSI1 contains both.
    const listUser = 'user-list-4f1a';
    const listPk = `USER#${listUser}`;
    const expected = [];
    for (let i = 0; i < 6; i++) {
      const tokenTime = new Date(Date.UTC(2026, 1, 1, 0, 0, i * 2)).toISOString();
      const cardTime = new Date(Date.UTC(2026, 1, 1, 0, 0, i * 2, 5)).toISOString();
      await putNew({ ...idempotencyItem(`list-${i}`, tokenTime), PK: listPk, userId: listUser });
      await putNew({ ...cardItem(100 + i, cardTime), PK: listPk, userId: listUser });
      expected.push(`IDEMPOTENCY#list-${i}`, `CARD#${uuid(100 + i)}`);
    }
    expected.reverse();
    // Items of another user and a partial upsert stay out of the listing.
    await putNew({ ...cardItem(200, iso(30)), PK: 'USER#someone-else', userId: 'someone-else' });
    await docClient.send(
      new UpdateCommand({
        TableName: CARDS,
        Key: { PK: listPk, SK: `CARD#${uuid(300)}` },
        UpdateExpression: 'SET #updatedAt = :updatedAt, #cardId = :cardId, #userId = :userId',
        ExpressionAttributeNames: { '#updatedAt': 'updatedAt', '#cardId': 'cardId', '#userId': 'userId' },
        ExpressionAttributeValues: { ':updatedAt': iso(31), ':cardId': uuid(300), ':userId': listUser },
        ReturnValues: 'ALL_NEW',
      }),
    );

    const listPage = async (limit, cursor) => {
      let exclusiveStartKey;
      if (cursor) exclusiveStartKey = JSON.parse(Buffer.from(cursor, 'base64').toString('utf8'));
      const out = await docClient.send(
        new DocQueryCommand({
          TableName: CARDS,
          IndexName: 'GSI1',
          KeyConditionExpression: 'userId = :userId',
          ExpressionAttributeValues: { ':userId': listUser },
          Limit: limit,
          ScanIndexForward: false,
          ExclusiveStartKey: exclusiveStartKey,
        }),
      );
      const nextCursor = out.LastEvaluatedKey
        ? Buffer.from(JSON.stringify(out.LastEvaluatedKey)).toString('base64')
        : undefined;
      return { out, nextCursor };
    };

    const seen = [];
    let cursor;
    let pages = 0;
    do {
      const { out, nextCursor } = await listPage(5, cursor);
      pages++;
      assert.ok(out.Items.length <= 5);
      seen.push(...out.Items.map((item) => item.SK));
      if (out.LastEvaluatedKey) {
        assert.deepEqual(Object.keys(out.LastEvaluatedKey).sort(), ['PK', 'SK', 'createdAt', 'userId']);
        const last = out.Items.at(-1);
        assert.deepEqual(out.LastEvaluatedKey, {
          PK: last.PK, SK: last.SK, userId: last.userId, createdAt: last.createdAt,
        });
      }
      cursor = nextCursor;
    } while (cursor && pages < 10);
    assert.deepEqual(seen, expected, 'CARD and IDEMPOTENCY items, newest first');
    assert.equal(pages, 3, '12 items in pages of 5: 5, 5, 2');

    // The handler keeps only cards after the Limit: the newest page of 5 is
    // card, token, card, token, card.
    const { out: first } = await listPage(5);
    const cards = first.Items.filter((item) => item.entityType === 'CARD' && !item.deletedAt);
    assert.equal(cards.length, 3);
  });

  test('expired TTL items stay readable', async () => {
    // AWS deletes expired items in the background, typically within a few
    // days, so a read right after the write still returns the item. The
    // backend compares ttl with the clock itself.
    const key = { PK: 'API_CACHE', SK: 'PRICE#expired|unknown' };
    const expiredAt = Math.floor(Date.now() / 1000) - 3600;
    await docClient.send(new PutCommand({ TableName: CARDS, Item: { ...key, ttl: expiredAt } }));
    const { Item } = await docClient.send(new GetCommand({ TableName: CARDS, Key: key, ConsistentRead: true }));
    assert.deepEqual(Item, { ...key, ttl: expiredAt });
  });

  test('D12 and D13 pricing cache', async () => {
    const key = { PK: 'API_CACHE', SK: 'PRICE#charizard|base set' };
    const item = {
      ...key,
      cacheKey: 'charizard|base set',
      rawComps: [
        { source: 'pokemontcg', price: 150.25, currency: 'USD', condition: null },
        { source: 'pokemontcg', price: 99, currency: 'USD', extras: [] },
      ],
      createdAt: iso(10),
      ttl: Math.floor(Date.now() / 1000) + 86400,
    };
    await docClient.send(new PutCommand({ TableName: CARDS, Item: item }));
    await docClient.send(new PutCommand({ TableName: CARDS, Item: item }));
    const { Item } = await docClient.send(
      new GetCommand({ TableName: CARDS, Key: key, ConsistentRead: false }),
    );
    assert.deepEqual(Item, item);
  });

  test('D14 begins_with on the sort key, newest first', async () => {
    const times = [iso(20), iso(21), iso(22)];
    for (const time of times) {
      await docClient.send(
        new PutCommand({
          TableName: CARDS,
          Item: { PK: userPk, SK: `PRICE#${time}`, userId: user, cardId: uuid(1), createdAt: time },
        }),
      );
    }
    const out = await docClient.send(
      new DocQueryCommand({
        TableName: CARDS,
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :skPrefix)',
        ExpressionAttributeValues: { ':pk': userPk, ':skPrefix': 'PRICE#' },
        ScanIndexForward: false,
        ConsistentRead: true,
      }),
    );
    assert.deepEqual(out.Items.map((item) => item.SK), times.reverse().map((t) => `PRICE#${t}`));
  });

  test('declared key types are enforced', async () => {
    const card = { ...cardItem(50, iso(50)), valueMedian: '150' };
    await expectError(
      docClient.send(new PutCommand({ TableName: CARDS, Item: card })),
      'ValidationException',
      'One or more parameter values were invalid: Type mismatch for Index Key valueMedian Expected: N Actual: S IndexName: GSI2',
    );
    await expectError(
      docClient.send(
        new UpdateCommand({
          TableName: CARDS,
          Key: { PK: userPk, SK: `CARD#${uuid(1)}` },
          UpdateExpression: 'SET #valueMedian = :valueMedian',
          ExpressionAttributeNames: { '#valueMedian': 'valueMedian' },
          ExpressionAttributeValues: { ':valueMedian': '150' },
        }),
      ),
      'ValidationException',
      /Type mismatch for Index Key valueMedian Expected: N Actual: S IndexName: GSI2/,
    );
    await expectError(
      docClient.send(new PutCommand({ TableName: CARDS, Item: { ...cardItem(51, iso(51)), createdAt: 12 } })),
      'ValidationException',
      'One or more parameter values were invalid: Type mismatch for Index Key createdAt Expected: S Actual: N IndexName: GSI1',
    );
    // The stored card kept its number.
    assert.equal((await getCard(uuid(1))).valueMedian, 150);
  });

  test('empty string and empty list values', async () => {
    const item = { ...cardItem(60, iso(60)), pricingMessage: '', sources: [], nested: { list: [], map: {} } };
    await putNew(item);
    const stored = await getCard(uuid(60));
    assert.equal(stored.pricingMessage, '');
    assert.deepEqual(stored.sources, []);
    assert.deepEqual(stored.nested, { list: [], map: {} });
  });
});
