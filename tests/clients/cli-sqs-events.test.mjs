// SQS and EventBridge through Debian's AWS CLI v2 (/usr/bin/aws, 2.9)
// against a running Stratus (STRATUS_ENDPOINT, set by run.sh). This CLI
// still speaks the Query protocol (form-encoded requests, XML responses)
// to SQS, so these tests cover Stratus's Query codec with a real client.
// EventBridge uses JSON 1.1 in every version.
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
const home = mkdtempSync(join(tmpdir(), 'stratus-cli-sqs-'));
after(() => rmSync(home, { recursive: true, force: true }));

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

// Run `aws ARGS --endpoint-url ... --output json` and return the exit code,
// stderr and parsed output (null when stdout is empty).
function aws(...args) {
  const result = spawnSync(AWS_CLI, [...args, '--endpoint-url', endpoint, '--output', 'json'], {
    env: cliEnv,
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (result.error) throw result.error;
  const json = result.stdout.trim() === '' ? null : JSON.parse(result.stdout);
  return { code: result.status, stderr: result.stderr, json };
}

function awsOk(...args) {
  const result = aws(...args);
  assert.equal(result.code, 0, `aws ${args.slice(0, 2).join(' ')} exited ${result.code}: ${result.stderr}`);
  return result.json;
}

function awsFails(operation, code, message, ...args) {
  const result = aws(...args);
  assert.equal(result.code, 254, `exit code (stderr: ${result.stderr})`);
  assert.equal(
    result.stderr.trim(),
    `An error occurred (${code}) when calling the ${operation} operation: ${message}`,
  );
}

describe('SQS through the Query protocol', () => {
  const url = `${endpoint}/123456789012/cli-sqs`;

  test('create, attributes and tags', () => {
    const created = awsOk(
      'sqs', 'create-queue', '--queue-name', 'cli-sqs',
      '--attributes', 'VisibilityTimeout=40', '--tags', 'team=cards',
    );
    assert.equal(created.QueueUrl, url);
    const attrs = awsOk('sqs', 'get-queue-attributes', '--queue-url', url, '--attribute-names', 'All');
    assert.equal(attrs.Attributes.VisibilityTimeout, '40');
    assert.equal(attrs.Attributes.QueueArn, 'arn:aws:sqs:us-east-1:123456789012:cli-sqs');
    const tags = awsOk('sqs', 'list-queue-tags', '--queue-url', url);
    assert.deepEqual(tags.Tags, { team: 'cards' });
    const list = awsOk('sqs', 'list-queues', '--queue-name-prefix', 'cli-sqs');
    assert.deepEqual(list.QueueUrls, [url]);
  });

  test('send, receive and delete with attributes', () => {
    const sent = awsOk(
      'sqs', 'send-message', '--queue-url', url, '--message-body', 'card <1> & "2"',
      '--message-attributes',
      JSON.stringify({
        ErrorType: { DataType: 'String', StringValue: 'Timeout' },
        Raw: { DataType: 'Binary', BinaryValue: 'AAH/' },
      }),
    );
    assert.match(sent.MessageId, /^[0-9a-f-]{36}$/);
    const got = awsOk(
      'sqs', 'receive-message', '--queue-url', url,
      '--attribute-names', 'All', '--message-attribute-names', 'All',
    );
    const [m] = got.Messages;
    assert.equal(m.Body, 'card <1> & "2"');
    assert.equal(m.MD5OfMessageAttributes, sent.MD5OfMessageAttributes);
    assert.equal(m.MessageAttributes.ErrorType.StringValue, 'Timeout');
    assert.equal(m.Attributes.ApproximateReceiveCount, '1');
    awsOk('sqs', 'delete-message', '--queue-url', url, '--receipt-handle', m.ReceiptHandle);
    const empty = awsOk('sqs', 'receive-message', '--queue-url', url, '--wait-time-seconds', '1');
    assert.equal(empty, null);
  });

  test('batch send and delete', () => {
    const sent = awsOk(
      'sqs', 'send-message-batch', '--queue-url', url, '--entries',
      JSON.stringify([
        { Id: 'a', MessageBody: 'first' },
        { Id: 'b', MessageBody: 'second', MessageAttributes: { n: { DataType: 'Number', StringValue: 'no' } } },
      ]),
    );
    assert.deepEqual(sent.Successful.map((e) => e.Id), ['a']);
    assert.equal(sent.Failed[0].Id, 'b');
    assert.equal(sent.Failed[0].SenderFault, true);
    const got = awsOk('sqs', 'receive-message', '--queue-url', url);
    const deleted = awsOk(
      'sqs', 'delete-message-batch', '--queue-url', url, '--entries',
      JSON.stringify([{ Id: 'x', ReceiptHandle: got.Messages[0].ReceiptHandle }]),
    );
    assert.deepEqual(deleted.Successful, [{ Id: 'x' }]);
  });

  test('errors carry the Query codes', () => {
    awsFails(
      'GetQueueUrl', 'AWS.SimpleQueueService.NonExistentQueue', 'The specified queue does not exist.',
      'sqs', 'get-queue-url', '--queue-name', 'cli-missing',
    );
    awsFails(
      'DeleteMessage', 'ReceiptHandleIsInvalid', 'The input receipt handle "bad" is not a valid receipt handle.',
      'sqs', 'delete-message', '--queue-url', url, '--receipt-handle', 'bad',
    );
  });
});

describe('EventBridge', () => {
  test('disable-rule without the bus fails as on AWS', () => {
    awsOk('events', 'create-event-bus', '--name', 'cli-bus');
    awsOk(
      'events', 'put-rule', '--name', 'cli-rule', '--event-bus-name', 'cli-bus',
      '--event-pattern', JSON.stringify({ source: ['collectiq.cards'] }),
    );
    awsFails(
      'DisableRule', 'ResourceNotFoundException', 'Rule cli-rule does not exist on EventBus default.',
      'events', 'disable-rule', '--name', 'cli-rule',
    );
    awsOk('events', 'disable-rule', '--name', 'cli-rule', '--event-bus-name', 'cli-bus');
    const rule = awsOk('events', 'describe-rule', '--name', 'cli-rule', '--event-bus-name', 'cli-bus');
    assert.equal(rule.State, 'DISABLED');
  });
});
