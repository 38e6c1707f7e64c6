// DynamoDB through Debian's AWS CLI v2 (/usr/bin/aws) against a running
// Stratus (STRATUS_ENDPOINT, set by run.sh): the table and item commands,
// their JSON output and exit codes, and the DynamoDB commands of the
// CollectIQ auto-trigger deployment runbook. Expected output is what the CLI
// prints against AWS.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';

const endpoint = process.env.STRATUS_ENDPOINT;
if (!endpoint || !/^http:\/\/127\.0\.0\.1:\d+$/.test(endpoint)) {
  throw new Error(
    `STRATUS_ENDPOINT must be http://127.0.0.1:PORT, got ${JSON.stringify(endpoint)}; run this file through run.sh`,
  );
}

// Debian's package is CLI v2; the first `aws` on PATH may be v1.
const AWS_CLI = '/usr/bin/aws';
const home = mkdtempSync(join(tmpdir(), 'stratus-cli-'));
after(() => rmSync(home, { recursive: true, force: true }));

// A clean environment: dummy credentials, no profile or config files, no
// pager, no instance metadata lookups.
const cliEnv = {
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

// Run `aws ARGS --endpoint-url ... --output json`, adding --output only when
// ARGS lack it. Returns the exit code, stdout, stderr and the parsed JSON
// output, which is null for an empty stdout and undefined for one that is
// not JSON.
function aws(...args) {
  const output = args.includes('--output') ? [] : ['--output', 'json'];
  const result = spawnSync(AWS_CLI, [...args, '--endpoint-url', endpoint, ...output], {
    env: cliEnv,
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (result.error) throw result.error;
  const stdout = result.stdout;
  let json = null;
  if (stdout.trim() !== '') {
    try {
      json = JSON.parse(stdout);
    } catch {
      json = undefined;
    }
  }
  return { code: result.status, stdout, stderr: result.stderr, json };
}

// Run a command that must succeed and return its parsed output.
function awsOk(...args) {
  const result = aws(...args);
  assert.equal(result.code, 0, `aws ${args.slice(0, 2).join(' ')} exited ${result.code}: ${result.stderr}`);
  assert.notEqual(result.json, undefined, `output is not JSON: ${result.stdout}`);
  return result.json;
}

// Run a command that AWS rejects with an error: the CLI exits 254 and
// prints "An error occurred (CODE) when calling the OPERATION operation:
// MESSAGE" on stderr.
function awsFails(operation, code, message, ...args) {
  const result = aws(...args);
  assert.equal(result.code, 254, `exit code (stdout: ${result.stdout}, stderr: ${result.stderr})`);
  assert.equal(
    result.stderr.trim(),
    `An error occurred (${code}) when calling the ${operation} operation: ${message}`,
  );
  assert.equal(result.stdout, '');
}

const TABLE = 'collectiq-hackathon-cards';
const SCRATCH = 'cli-scratch';
const json = (value) => JSON.stringify(value);

const attributeDefinitions = [
  { AttributeName: 'PK', AttributeType: 'S' },
  { AttributeName: 'SK', AttributeType: 'S' },
  { AttributeName: 'cardId', AttributeType: 'S' },
  { AttributeName: 'userId', AttributeType: 'S' },
  { AttributeName: 'createdAt', AttributeType: 'S' },
  { AttributeName: 'setRarity', AttributeType: 'S' },
  { AttributeName: 'valueMedian', AttributeType: 'N' },
];
const globalSecondaryIndexes = [
  {
    IndexName: 'CardIdIndex',
    KeySchema: [{ AttributeName: 'cardId', KeyType: 'HASH' }],
    Projection: { ProjectionType: 'ALL' },
  },
  {
    IndexName: 'GSI1',
    KeySchema: [
      { AttributeName: 'userId', KeyType: 'HASH' },
      { AttributeName: 'createdAt', KeyType: 'RANGE' },
    ],
    Projection: { ProjectionType: 'ALL' },
  },
  {
    IndexName: 'GSI2',
    KeySchema: [
      { AttributeName: 'setRarity', KeyType: 'HASH' },
      { AttributeName: 'valueMedian', KeyType: 'RANGE' },
    ],
    Projection: { ProjectionType: 'ALL' },
  },
];

describe('aws dynamodb commands', () => {
  test('create-table with the CollectIQ schema', () => {
    const out = awsOk(
      'dynamodb', 'create-table',
      '--table-name', TABLE,
      '--billing-mode', 'PAY_PER_REQUEST',
      '--attribute-definitions', json(attributeDefinitions),
      '--key-schema', json([
        { AttributeName: 'PK', KeyType: 'HASH' },
        { AttributeName: 'SK', KeyType: 'RANGE' },
      ]),
      '--global-secondary-indexes', json(globalSecondaryIndexes),
    );
    assert.equal(out.TableDescription.TableName, TABLE);
    assert.equal(out.TableDescription.TableStatus, 'CREATING');
    assert.equal(out.TableDescription.GlobalSecondaryIndexes.length, 3);
    // The CLI prints timestamps as ISO 8601 strings.
    assert.match(out.TableDescription.CreationDateTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/);

    const wait = aws('dynamodb', 'wait', 'table-exists', '--table-name', TABLE);
    assert.equal(wait.code, 0, wait.stderr);
    assert.equal(wait.stdout, '');
  });

  test('create-table of an existing table', () => {
    awsFails(
      'CreateTable', 'ResourceInUseException', `Table already exists: ${TABLE}`,
      'dynamodb', 'create-table',
      '--table-name', TABLE,
      '--billing-mode', 'PAY_PER_REQUEST',
      '--attribute-definitions', json(attributeDefinitions.slice(0, 2)),
      '--key-schema', json([
        { AttributeName: 'PK', KeyType: 'HASH' },
        { AttributeName: 'SK', KeyType: 'RANGE' },
      ]),
    );
  });

  test('describe-table', () => {
    const { Table } = awsOk('dynamodb', 'describe-table', '--table-name', TABLE);
    assert.equal(Table.TableName, TABLE);
    assert.equal(Table.TableStatus, 'ACTIVE');
    assert.equal(Table.BillingModeSummary.BillingMode, 'PAY_PER_REQUEST');
    assert.match(Table.TableArn, new RegExp(`^arn:aws:dynamodb:us-east-1:\\d{12}:table/${TABLE}$`));
    assert.deepEqual(
      Table.GlobalSecondaryIndexes.map((g) => [g.IndexName, g.IndexStatus]).sort(),
      [['CardIdIndex', 'ACTIVE'], ['GSI1', 'ACTIVE'], ['GSI2', 'ACTIVE']],
    );
  });

  test('list-tables, whole and by pages', () => {
    awsOk(
      'dynamodb', 'create-table',
      '--table-name', SCRATCH,
      '--billing-mode', 'PAY_PER_REQUEST',
      '--attribute-definitions', 'AttributeName=id,AttributeType=S',
      '--key-schema', 'AttributeName=id,KeyType=HASH',
    );
    const whole = awsOk('dynamodb', 'list-tables');
    assert.ok(whole.TableNames.includes(TABLE));
    assert.ok(whole.TableNames.includes(SCRATCH));

    // --page-size 1 makes the CLI follow LastEvaluatedTableName one name at
    // a time and merge the pages.
    const paged = awsOk('dynamodb', 'list-tables', '--page-size', '1');
    assert.ok(paged.TableNames.includes(TABLE));
    assert.ok(paged.TableNames.includes(SCRATCH));
    assert.deepEqual([...paged.TableNames].sort(), paged.TableNames);

    const first = awsOk('dynamodb', 'list-tables', '--max-items', '1');
    assert.equal(first.TableNames.length, 1);
    assert.ok(first.NextToken, 'NextToken when more names follow');
  });

  test('put-item and get-item', () => {
    const item = {
      PK: { S: 'USER#cli-user' },
      SK: { S: 'CARD#cli-card-1' },
      entityType: { S: 'CARD' },
      cardId: { S: 'cli-card-1' },
      userId: { S: 'cli-user' },
      createdAt: { S: '2026-03-01T10:00:00.000Z' },
      valueMedian: { N: '42.5' },
      sources: { L: [] },
      ocrMetadata: { M: { name: { NULL: true }, verifiedByAI: { BOOL: false } } },
    };
    const put = awsOk(
      'dynamodb', 'put-item',
      '--table-name', TABLE,
      '--item', json(item),
      '--return-consumed-capacity', 'TOTAL',
    );
    assert.deepEqual(put.ConsumedCapacity, { TableName: TABLE, CapacityUnits: 1.0 });

    const got = awsOk(
      'dynamodb', 'get-item',
      '--table-name', TABLE,
      '--key', json({ PK: item.PK, SK: item.SK }),
      '--consistent-read',
    );
    assert.deepEqual(got, { Item: item });

    const projected = awsOk(
      'dynamodb', 'get-item',
      '--table-name', TABLE,
      '--key', json({ PK: item.PK, SK: item.SK }),
      '--projection-expression', 'cardId, ocrMetadata.#n',
      '--expression-attribute-names', json({ '#n': 'name' }),
    );
    assert.deepEqual(projected, {
      Item: { cardId: item.cardId, ocrMetadata: { M: { name: { NULL: true } } } },
    });
  });

  test('get-item of a missing item prints nothing', () => {
    const result = aws(
      'dynamodb', 'get-item',
      '--table-name', TABLE,
      '--key', json({ PK: { S: 'USER#nobody' }, SK: { S: 'CARD#none' } }),
    );
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, '');
  });

  test('put-item with a failing condition', () => {
    awsFails(
      'PutItem', 'ConditionalCheckFailedException', 'The conditional request failed',
      'dynamodb', 'put-item',
      '--table-name', TABLE,
      '--item', json({ PK: { S: 'USER#cli-user' }, SK: { S: 'CARD#cli-card-1' } }),
      '--condition-expression', 'attribute_not_exists(PK) AND attribute_not_exists(SK)',
    );
  });

  test('get-item with a key that does not match the schema', () => {
    awsFails(
      'GetItem', 'ValidationException', 'The provided key element does not match the schema',
      'dynamodb', 'get-item',
      '--table-name', TABLE,
      '--key', json({ PK: { S: 'USER#cli-user' } }),
    );
  });

  test('put-item with valueMedian as a string', () => {
    awsFails(
      'PutItem', 'ValidationException',
      'One or more parameter values were invalid: Type mismatch for Index Key valueMedian Expected: N Actual: S IndexName: GSI2',
      'dynamodb', 'put-item',
      '--table-name', TABLE,
      '--item', json({ PK: { S: 'USER#cli-user' }, SK: { S: 'CARD#bad' }, valueMedian: { S: '42' } }),
    );
  });

  test('query the table and GSI1', () => {
    for (let i = 2; i <= 4; i++) {
      awsOk(
        'dynamodb', 'put-item',
        '--table-name', TABLE,
        '--item', json({
          PK: { S: 'USER#cli-user' },
          SK: { S: `CARD#cli-card-${i}` },
          cardId: { S: `cli-card-${i}` },
          userId: { S: 'cli-user' },
          createdAt: { S: `2026-03-0${i}T10:00:00.000Z` },
        }),
      );
    }

    const byKey = awsOk(
      'dynamodb', 'query',
      '--table-name', TABLE,
      '--key-condition-expression', 'PK = :pk AND begins_with(SK, :prefix)',
      '--expression-attribute-values', json({ ':pk': { S: 'USER#cli-user' }, ':prefix': { S: 'CARD#' } }),
    );
    assert.equal(byKey.Count, 4);
    assert.equal(byKey.ScannedCount, 4);
    assert.deepEqual(byKey.Items.map((item) => item.SK.S), [
      'CARD#cli-card-1', 'CARD#cli-card-2', 'CARD#cli-card-3', 'CARD#cli-card-4',
    ]);

    const newest = awsOk(
      'dynamodb', 'query',
      '--table-name', TABLE,
      '--index-name', 'GSI1',
      '--key-condition-expression', 'userId = :u',
      '--expression-attribute-values', json({ ':u': { S: 'cli-user' } }),
      '--no-scan-index-forward',
      '--page-size', '1',
      '--max-items', '2',
    );
    assert.deepEqual(newest.Items.map((item) => item.cardId.S), ['cli-card-4', 'cli-card-3']);
    assert.ok(newest.NextToken, 'NextToken after 2 of 4 items');

    // With --page-size 1 the CLI's NextToken wraps the LastEvaluatedKey of
    // GSI1's second page, which --starting-token sends back.
    const token = JSON.parse(Buffer.from(newest.NextToken, 'base64').toString('utf8'));
    assert.deepEqual(Object.keys(token.ExclusiveStartKey).sort(), ['PK', 'SK', 'createdAt', 'userId']);
    const rest = awsOk(
      'dynamodb', 'query',
      '--table-name', TABLE,
      '--index-name', 'GSI1',
      '--key-condition-expression', 'userId = :u',
      '--expression-attribute-values', json({ ':u': { S: 'cli-user' } }),
      '--no-scan-index-forward',
      '--page-size', '1',
      '--starting-token', newest.NextToken,
    );
    assert.deepEqual(rest.Items.map((item) => item.cardId.S), ['cli-card-2', 'cli-card-1']);
    assert.equal(rest.NextToken, undefined);
  });

  test('scan, whole and with Select COUNT', () => {
    const all = awsOk('dynamodb', 'scan', '--table-name', TABLE);
    assert.equal(all.Count, 4);
    assert.equal(all.Items.length, 4);

    const counted = awsOk(
      'dynamodb', 'scan',
      '--table-name', TABLE,
      '--select', 'COUNT',
      '--filter-expression', 'attribute_exists(valueMedian)',
    );
    assert.equal(counted.Count, 1);
    assert.equal(counted.ScannedCount, 4);
    assert.equal(counted.Items, undefined);
  });

  test('update-item with names and ReturnValues', () => {
    const out = awsOk(
      'dynamodb', 'update-item',
      '--table-name', TABLE,
      '--key', json({ PK: { S: 'USER#cli-user' }, SK: { S: 'CARD#cli-card-2' } }),
      '--update-expression', 'SET #status = :s, #n = :n ADD compsCount :one REMOVE createdAt',
      '--expression-attribute-names', json({ '#status': 'status', '#n': 'name' }),
      '--expression-attribute-values', json({ ':s': { S: 'DONE' }, ':n': { S: 'Mew' }, ':one': { N: '1' } }),
      '--condition-expression', 'attribute_exists(PK)',
      '--return-values', 'UPDATED_NEW',
    );
    assert.deepEqual(out, {
      Attributes: { status: { S: 'DONE' }, name: { S: 'Mew' }, compsCount: { N: '1' } },
    });

    awsFails(
      'UpdateItem', 'ConditionalCheckFailedException', 'The conditional request failed',
      'dynamodb', 'update-item',
      '--table-name', TABLE,
      '--key', json({ PK: { S: 'USER#cli-user' }, SK: { S: 'CARD#never' } }),
      '--update-expression', 'SET #status = :s',
      '--expression-attribute-names', json({ '#status': 'status' }),
      '--expression-attribute-values', json({ ':s': { S: 'DONE' } }),
      '--condition-expression', 'attribute_exists(PK)',
    );
  });

  test('delete-item returns the old item', () => {
    const key = { PK: { S: 'USER#cli-user' }, SK: { S: 'CARD#cli-card-3' } };
    const out = awsOk(
      'dynamodb', 'delete-item',
      '--table-name', TABLE,
      '--key', json(key),
      '--return-values', 'ALL_OLD',
    );
    assert.equal(out.Attributes.cardId.S, 'cli-card-3');

    const again = aws('dynamodb', 'delete-item', '--table-name', TABLE, '--key', json(key));
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout, '');
  });

  test('update-time-to-live and describe-time-to-live', () => {
    const before = awsOk('dynamodb', 'describe-time-to-live', '--table-name', TABLE);
    assert.deepEqual(before, { TimeToLiveDescription: { TimeToLiveStatus: 'DISABLED' } });

    const updated = awsOk(
      'dynamodb', 'update-time-to-live',
      '--table-name', TABLE,
      '--time-to-live-specification', 'Enabled=true,AttributeName=ttl',
    );
    assert.deepEqual(updated, { TimeToLiveSpecification: { Enabled: true, AttributeName: 'ttl' } });

    const described = awsOk('dynamodb', 'describe-time-to-live', '--table-name', TABLE);
    assert.deepEqual(described, {
      TimeToLiveDescription: { TimeToLiveStatus: 'ENABLED', AttributeName: 'ttl' },
    });
  });

  test('delete-table, then describe-table fails', () => {
    const out = awsOk('dynamodb', 'delete-table', '--table-name', SCRATCH);
    assert.equal(out.TableDescription.TableName, SCRATCH);
    assert.equal(out.TableDescription.TableStatus, 'DELETING');

    const wait = aws('dynamodb', 'wait', 'table-not-exists', '--table-name', SCRATCH);
    assert.equal(wait.code, 0, wait.stderr);

    awsFails(
      'DescribeTable', 'ResourceNotFoundException', `Requested resource not found: Table: ${SCRATCH} not found`,
      'dynamodb', 'describe-table', '--table-name', SCRATCH,
    );
  });
});

// The runbook "Backend Auto-Trigger Deployment Guide" has one DynamoDB
// command, in "Test 1", step 5: get-item on the card the pipeline updated.
describe('runbook DynamoDB commands', () => {
  const userId = 'runbook-user';
  const cardId = '0d6f3c2a-9b1e-4f7a-8c5d-2e4b6a8c0f11';
  const cardKey = { PK: { S: `USER#${userId}` }, SK: { S: `CARD#${cardId}` } };

  test('get-item of the analysed card', () => {
    // The card as cards_create writes it, then the aggregator's upsert.
    awsOk(
      'dynamodb', 'put-item',
      '--table-name', TABLE,
      '--item', json({
        ...cardKey,
        entityType: { S: 'CARD' },
        cardId: { S: cardId },
        userId: { S: userId },
        frontS3Key: { S: `uploads/${userId}/${cardId}-front.jpg` },
        createdAt: { S: '2026-03-10T12:00:00.000Z' },
        updatedAt: { S: '2026-03-10T12:00:00.000Z' },
      }),
      '--condition-expression', 'attribute_not_exists(PK) AND attribute_not_exists(SK)',
    );
    awsOk(
      'dynamodb', 'update-item',
      '--table-name', TABLE,
      '--key', json(cardKey),
      '--update-expression',
      'SET #updatedAt = :updatedAt, #cardId = :cardId, #userId = :userId, ' +
        '#authenticityScore = :authenticityScore, #valueMedian = :valueMedian',
      '--expression-attribute-names', json({
        '#updatedAt': 'updatedAt', '#cardId': 'cardId', '#userId': 'userId',
        '#authenticityScore': 'authenticityScore', '#valueMedian': 'valueMedian',
      }),
      '--expression-attribute-values', json({
        ':updatedAt': { S: '2026-03-10T12:00:25.000Z' }, ':cardId': { S: cardId },
        ':userId': { S: userId }, ':authenticityScore': { N: '0.87' }, ':valueMedian': { N: '35' },
      }),
      '--return-values', 'ALL_NEW',
    );

    // The runbook's command, with its two placeholders filled in.
    const out = awsOk(
      'dynamodb', 'get-item',
      '--table-name', 'collectiq-hackathon-cards',
      '--key', `{"PK":{"S":"USER#${userId}"},"SK":{"S":"CARD#${cardId}"}}`,
      '--output', 'json',
    );
    // The runbook expects "authenticityScore and valueMedian populated". AWS
    // prints them in DynamoDB JSON, as typed values whose numbers are
    // strings, not as plain numbers.
    assert.deepEqual(out.Item.authenticityScore, { N: '0.87' });
    assert.deepEqual(out.Item.valueMedian, { N: '35' });
    assert.deepEqual(out.Item.createdAt, { S: '2026-03-10T12:00:00.000Z' });
  });

  test('get-item with the placeholders left in', () => {
    // Run verbatim, the key names no item. AWS does not report that as an
    // error: the CLI prints nothing and exits 0, which the runbook does not
    // mention.
    const result = aws(
      'dynamodb', 'get-item',
      '--table-name', 'collectiq-hackathon-cards',
      '--key', '{"PK":{"S":"USER#<userId>"},"SK":{"S":"CARD#<cardId>"}}',
      '--output', 'json',
    );
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, '');
  });

  test('get-item of a card deleted before the upsert', () => {
    // The runbook reads "populated values" as "card updated". On AWS the
    // check also passes for a card hard-deleted while the workflow ran,
    // because the aggregator's unconditional UpdateItem recreates it as a
    // partial item. get-item then shows valueMedian but no entityType or
    // createdAt, and GET /cards/{id} returns 404 for it.
    const orphanKey = { PK: { S: `USER#${userId}` }, SK: { S: 'CARD#deleted-meanwhile' } };
    awsOk(
      'dynamodb', 'update-item',
      '--table-name', TABLE,
      '--key', json(orphanKey),
      '--update-expression', 'SET #updatedAt = :u, #valueMedian = :v',
      '--expression-attribute-names', json({ '#updatedAt': 'updatedAt', '#valueMedian': 'valueMedian' }),
      '--expression-attribute-values', json({ ':u': { S: '2026-03-10T12:00:30.000Z' }, ':v': { N: '12' } }),
    );
    const out = awsOk(
      'dynamodb', 'get-item',
      '--table-name', 'collectiq-hackathon-cards',
      '--key', json(orphanKey),
      '--output', 'json',
    );
    assert.deepEqual(out.Item, {
      ...orphanKey,
      updatedAt: { S: '2026-03-10T12:00:30.000Z' },
      valueMedian: { N: '12' },
    });
  });
});
