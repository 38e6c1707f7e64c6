// Client side of the crash-safety test (run.sh). It creates the table, runs
// a bounded load of PutItem and BatchWriteItem requests and records every
// item whose write Stratus acknowledged with HTTP 200. After the restart it
// checks that each acknowledged item is stored with the value written.
// It speaks the DynamoDB JSON protocol over Node's fetch, so it needs no npm
// packages and reads the HTTP status of every response.
//
// usage:
//   node writer.mjs create ENDPOINT TABLE
//   node writer.mjs load ENDPOINT TABLE ACK_FILE WRITERS TOTAL
//   node writer.mjs verify ENDPOINT TABLE ACK_FILE
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';

const [command, endpoint, table, ...rest] = process.argv.slice(2);
if (!command || !endpoint || !table) {
  console.error('usage: node writer.mjs create|load|verify ENDPOINT TABLE [...]');
  process.exit(2);
}
if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(endpoint)) {
  console.error(`endpoint must be http://127.0.0.1:PORT, got ${endpoint}`);
  process.exit(2);
}

// Stratus reads the region from the SigV4 credential scope and does not
// check the signature.
const authorization =
  'AWS4-HMAC-SHA256 Credential=AKIDSTRATUSTEST/20260101/us-east-1/dynamodb/aws4_request, ' +
  'SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=' + '0'.repeat(64);

// Send one DynamoDB request. Returns { status, body } (body parsed when it
// is JSON), or throws when the connection fails.
async function call(operation, payload) {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-amz-json-1.0',
      'X-Amz-Target': `DynamoDB_20120810.${operation}`,
      'X-Amz-Date': '20260101T000000Z',
      Authorization: authorization,
    },
    body: JSON.stringify(payload),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  let body = text;
  try {
    body = JSON.parse(text);
  } catch {
    // keep the text for the error message
  }
  return { status: response.status, body };
}

async function callOk(operation, payload) {
  const { status, body } = await call(operation, payload);
  if (status !== 200) {
    throw new Error(`${operation} failed with HTTP ${status}: ${JSON.stringify(body)}`);
  }
  return body;
}

const BATCH_SIZE = 5;
const transactionFile = (ackFile) => `${ackFile}.transactions`;

// The value stored under each id, so that verify can detect a torn or
// stale item as well as a missing one.
const payloadOf = (id) => `${id}:${'x'.repeat(200)}:${id.length}`;

async function createTable() {
  await callOk('CreateTable', {
    TableName: table,
    BillingMode: 'PAY_PER_REQUEST',
    KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    AttributeDefinitions: [
      { AttributeName: 'id', AttributeType: 'S' },
      { AttributeName: 'writer', AttributeType: 'S' },
      { AttributeName: 'seq', AttributeType: 'N' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: 'ByWriter',
        KeySchema: [
          { AttributeName: 'writer', KeyType: 'HASH' },
          { AttributeName: 'seq', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'KEYS_ONLY' },
      },
    ],
  });
  for (let i = 0; i < 100; i++) {
    const { Table } = await callOk('DescribeTable', { TableName: table });
    if (Table.TableStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`table ${table} is not ACTIVE 10 s after CreateTable`);
}

// Run WRITERS concurrent loops that share TOTAL write requests. A loop
// stops at its first connection failure, which is how the server's death
// shows.
async function load(ackFile, writers, total) {
  writeFileSync(ackFile, '');
  writeFileSync(transactionFile(ackFile), '');
  let next = 0;
  let acknowledged = 0;
  let rejected = 0;
  const failures = [];

  const itemOf = (writer, seq, id) => ({
    id: { S: id },
    writer: { S: `w${writer}` },
    seq: { N: String(seq) },
    payload: { S: payloadOf(id) },
  });

  // Of every ten requests, one is a BatchWriteItem and one a
  // TransactWriteItems of BATCH_SIZE items, so that multi-item commits are
  // checked as well. The rest are PutItems.
  async function writerLoop(writer) {
    while (next < total) {
      const seq = next++;
      const id = `w${writer}-${seq}`;
      let operation;
      let payload;
      let ids;
      if (seq % 10 === 9) {
        ids = Array.from({ length: BATCH_SIZE }, (_, i) => `${id}-b${i}`);
        operation = 'BatchWriteItem';
        payload = {
          RequestItems: {
            [table]: ids.map((batchId, i) => ({
              PutRequest: { Item: itemOf(writer, seq * BATCH_SIZE + i, batchId) },
            })),
          },
        };
      } else if (seq % 10 === 4) {
        ids = Array.from({ length: BATCH_SIZE }, (_, i) => `${id}-t${i}`);
        operation = 'TransactWriteItems';
        payload = {
          TransactItems: ids.map((transactionId, i) => ({
            Put: { TableName: table, Item: itemOf(writer, seq * BATCH_SIZE + i, transactionId) },
          })),
        };
        // Recorded before sending: a transaction must be stored whole or
        // not at all, acknowledged or not.
        appendFileSync(transactionFile(ackFile), `${ids.join(' ')}\n`);
      } else {
        ids = [id];
        operation = 'PutItem';
        payload = { TableName: table, Item: itemOf(writer, seq * BATCH_SIZE, id) };
      }

      let result;
      try {
        result = await call(operation, payload);
      } catch (error) {
        failures.push(`w${writer}: ${error.cause?.code ?? error.name}`);
        return;
      }
      // A BatchWriteItem acknowledges only the items it did not return as
      // UnprocessedItems.
      const unprocessed = new Set(
        (result.body?.UnprocessedItems?.[table] ?? []).map((request) => request.PutRequest.Item.id.S),
      );
      if (result.status === 200) {
        const done = ids.filter((doneId) => !unprocessed.has(doneId));
        appendFileSync(ackFile, done.map((doneId) => `${doneId}\n`).join(''));
        acknowledged += done.length;
      } else {
        rejected++;
        if (rejected <= 5) console.error(`${operation} ${id}: HTTP ${result.status} ${JSON.stringify(result.body)}`);
      }
    }
  }

  await Promise.all(Array.from({ length: writers }, (_, w) => writerLoop(w)));
  console.log(
    `load: ${acknowledged} items acknowledged, ${rejected} requests rejected, ` +
      `${next} requests sent of ${total}; ` +
      `writers stopped by connection errors: ${failures.length}`,
  );
}

// Scan the whole table and compare it with the acknowledged ids.
async function verify(ackFile) {
  const acknowledged = readFileSync(ackFile, 'utf8').split('\n').filter(Boolean);
  const stored = new Map();
  let start;
  for (let page = 0; page < 10_000; page++) {
    const out = await callOk('Scan', { TableName: table, ConsistentRead: true, ExclusiveStartKey: start });
    for (const item of out.Items) stored.set(item.id.S, item.payload?.S);
    start = out.LastEvaluatedKey;
    if (!start) break;
  }

  // The index rows are written in the same transaction as their items, so
  // after recovery ByWriter must list exactly the stored ids.
  const indexed = new Set();
  start = undefined;
  for (let page = 0; page < 10_000; page++) {
    const out = await callOk('Scan', { TableName: table, IndexName: 'ByWriter', ExclusiveStartKey: start });
    for (const item of out.Items) indexed.add(item.id.S);
    start = out.LastEvaluatedKey;
    if (!start) break;
  }
  const notIndexed = [...stored.keys()].filter((id) => !indexed.has(id));
  const indexOnly = [...indexed].filter((id) => !stored.has(id));

  const transactions = readFileSync(transactionFile(ackFile), 'utf8').split('\n').filter(Boolean);
  const torn = transactions.filter((line) => {
    const present = line.split(' ').filter((id) => stored.has(id)).length;
    return present !== 0 && present !== BATCH_SIZE;
  });

  const missing = [];
  const wrong = [];
  for (const id of acknowledged) {
    if (!stored.has(id)) missing.push(id);
    else if (stored.get(id) !== payloadOf(id)) wrong.push(id);
  }
  console.log(
    `verify: ${acknowledged.length} acknowledged, ${stored.size} stored, ` +
      `${missing.length} missing, ${wrong.length} with a wrong value; ` +
      `${transactions.length} transactions sent, ${torn.length} stored in part`,
  );
  if (missing.length > 0) console.log(`missing: ${missing.slice(0, 50).join(' ')}`);
  if (wrong.length > 0) console.log(`wrong value: ${wrong.slice(0, 50).join(' ')}`);
  if (notIndexed.length > 0) console.log(`stored but not in ByWriter: ${notIndexed.slice(0, 50).join(' ')}`);
  if (indexOnly.length > 0) console.log(`in ByWriter but not stored: ${indexOnly.slice(0, 50).join(' ')}`);
  if (torn.length > 0) console.log(`transactions stored in part: ${torn.slice(0, 10).join(', ')}`);
  return (
    missing.length === 0 &&
    wrong.length === 0 &&
    notIndexed.length === 0 &&
    indexOnly.length === 0 &&
    torn.length === 0
  );
}

try {
  if (command === 'create') {
    await createTable();
  } else if (command === 'load') {
    const [ackFile, writers, total] = rest;
    await load(ackFile, Number(writers), Number(total));
  } else if (command === 'verify') {
    if (!(await verify(rest[0]))) process.exit(1);
  } else {
    console.error(`unknown command ${command}: expected create, load or verify`);
    process.exit(2);
  }
} catch (error) {
  console.error(`${command} failed: ${error.message}`);
  process.exit(1);
}
