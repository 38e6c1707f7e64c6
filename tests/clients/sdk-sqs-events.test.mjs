// SQS and EventBridge through the AWS SDK for JavaScript v3 against a
// running Stratus (STRATUS_ENDPOINT, set by run.sh). The SQS client checks
// the MD5 digests of bodies and message attributes itself, so a send or
// receive that passes here has digests the SDK accepts. Error names are
// the ones the SDK derives from AWS's __type and x-amzn-query-error.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import {
  CreateEventBusCommand,
  DescribeRuleCommand,
  DisableRuleCommand,
  EventBridgeClient,
  ListTargetsByRuleCommand,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
  TestEventPatternCommand,
} from '@aws-sdk/client-eventbridge';

const endpoint = process.env.STRATUS_ENDPOINT;
if (!endpoint || !/^http:\/\/127\.0\.0\.1:\d+$/.test(endpoint)) {
  throw new Error(
    `STRATUS_ENDPOINT must be http://127.0.0.1:PORT, got ${JSON.stringify(endpoint)}; run this file through run.sh`,
  );
}

const credentials = { accessKeyId: 'AKIDSTRATUSTEST', secretAccessKey: 'stratus-test-secret' };
const sqs = new SQSClient({ endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
const events = new EventBridgeClient({ endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });

async function rejects(promise, name, message) {
  await assert.rejects(promise, (err) => {
    assert.equal(err.name, name);
    if (message !== undefined) assert.equal(err.message, message);
    return true;
  });
}

describe('SQS', () => {
  test('queue lifecycle and attributes', async () => {
    const { QueueUrl } = await sqs.send(
      new CreateQueueCommand({ QueueName: 'sdk-queue', Attributes: { VisibilityTimeout: '5' } }),
    );
    assert.equal(QueueUrl, `${endpoint}/123456789012/sdk-queue`);
    const got = await sqs.send(new GetQueueUrlCommand({ QueueName: 'sdk-queue' }));
    assert.equal(got.QueueUrl, QueueUrl);

    const policy = JSON.stringify({ Version: '2012-10-17', Statement: [] });
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { Policy: policy } }));
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }),
    );
    assert.equal(Attributes.VisibilityTimeout, '5');
    assert.equal(Attributes.Policy, policy);
    assert.equal(Attributes.QueueArn, 'arn:aws:sqs:us-east-1:123456789012:sdk-queue');

    const list = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'sdk-q' }));
    assert.deepEqual(list.QueueUrls, [QueueUrl]);
    await sqs.send(new DeleteQueueCommand({ QueueUrl }));
  });

  test('missing queue error names', async () => {
    await rejects(
      sqs.send(new GetQueueUrlCommand({ QueueName: 'sdk-nope' })),
      'QueueDoesNotExist',
      'The specified queue does not exist.',
    );
  });

  test('send, receive with attributes, delete', async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'sdk-messages' }));
    const sent = await sqs.send(
      new SendMessageCommand({
        QueueUrl,
        MessageBody: JSON.stringify({ cardId: 'c-1', error: 'Timeout' }),
        MessageAttributes: {
          ErrorType: { DataType: 'String', StringValue: 'Timeout' },
          CardId: { DataType: 'String', StringValue: 'c-1' },
          Count: { DataType: 'Number', StringValue: '3' },
          Raw: { DataType: 'Binary', BinaryValue: new Uint8Array([0, 1, 255]) },
        },
      }),
    );
    assert.match(sent.MessageId, /^[0-9a-f-]{36}$/);

    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
      }),
    );
    assert.equal(Messages.length, 1);
    const [m] = Messages;
    assert.equal(m.MessageId, sent.MessageId);
    assert.equal(m.MessageAttributes.ErrorType.StringValue, 'Timeout');
    assert.deepEqual([...m.MessageAttributes.Raw.BinaryValue], [0, 1, 255]);
    assert.equal(m.Attributes.ApproximateReceiveCount, '1');

    await sqs.send(
      new ChangeMessageVisibilityCommand({ QueueUrl, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 }),
    );
    const again = await sqs.send(new ReceiveMessageCommand({ QueueUrl, AttributeNames: ['All'] }));
    assert.equal(again.Messages[0].Attributes.ApproximateReceiveCount, '2');
    await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: again.Messages[0].ReceiptHandle }));
    await rejects(
      sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: 'not-a-handle' })),
      'ReceiptHandleIsInvalid',
    );
  });

  test('attribute without a value is rejected', async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'sdk-dlq' }));
    await rejects(
      sqs.send(
        new SendMessageCommand({
          QueueUrl,
          MessageBody: '{}',
          MessageAttributes: { RequestId: { DataType: 'String' } },
        }),
      ),
      'InvalidParameterValue',
      "The message attribute 'RequestId' must contain non-empty message attribute value for message attribute type 'String'.",
    );
  });

  test('long poll wakes on a send', async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'sdk-long-poll' }));
    const started = Date.now();
    const receive = sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 5 }));
    await new Promise((resolve) => setTimeout(resolve, 300));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'late' }));
    const { Messages } = await receive;
    assert.equal(Messages?.[0]?.Body, 'late');
    assert.ok(Date.now() - started < 4000, 'the poll returned before its deadline');

    const empty = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }));
    assert.equal(empty.Messages, undefined);
    await sqs.send(new PurgeQueueCommand({ QueueUrl }));
  });
});

describe('EventBridge', () => {
  test('rules are scoped to their bus', async () => {
    await events.send(new CreateEventBusCommand({ Name: 'sdk-bus' }));
    await events.send(
      new PutRuleCommand({
        Name: 'sdk-rule',
        EventBusName: 'sdk-bus',
        EventPattern: JSON.stringify({ source: ['sdk.test'] }),
      }),
    );
    await rejects(
      events.send(new DisableRuleCommand({ Name: 'sdk-rule' })),
      'ResourceNotFoundException',
      'Rule sdk-rule does not exist on EventBus default.',
    );
    await events.send(new DisableRuleCommand({ Name: 'sdk-rule', EventBusName: 'sdk-bus' }));
    const rule = await events.send(new DescribeRuleCommand({ Name: 'sdk-rule', EventBusName: 'sdk-bus' }));
    assert.equal(rule.State, 'DISABLED');
  });

  test('invalid pattern and TestEventPattern', async () => {
    await rejects(
      events.send(new PutRuleCommand({ Name: 'sdk-bad', EventPattern: '{"source":"x"}' })),
      'InvalidEventPatternException',
    );
    const { Result } = await events.send(
      new TestEventPatternCommand({
        EventPattern: JSON.stringify({ 'detail-type': ['CardCreated'] }),
        Event: JSON.stringify({
          id: '1',
          account: '123456789012',
          source: 'collectiq.cards',
          time: '2026-01-01T00:00:00Z',
          region: 'us-east-1',
          'detail-type': 'CardCreated',
          detail: {},
        }),
      }),
    );
    assert.equal(Result, true);
  });

  test('PutEvents delivers to an SQS target', async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'sdk-events-target' }));
    await events.send(
      new PutRuleCommand({
        Name: 'sdk-to-queue',
        EventPattern: JSON.stringify({ source: ['collectiq.cards'] }),
      }),
    );
    const put = await events.send(
      new PutTargetsCommand({
        Rule: 'sdk-to-queue',
        Targets: [
          {
            Id: 'queue',
            Arn: 'arn:aws:sqs:us-east-1:123456789012:sdk-events-target',
            InputTransformer: {
              InputPathsMap: { cardId: '$.detail.cardId', name: '$.detail.name' },
              InputTemplate: '{"cardId": "<cardId>", "name": "<name>"}',
            },
          },
        ],
      }),
    );
    assert.equal(put.FailedEntryCount, 0);
    const targets = await events.send(new ListTargetsByRuleCommand({ Rule: 'sdk-to-queue' }));
    assert.equal(targets.Targets.length, 1);

    const result = await events.send(
      new PutEventsCommand({
        Entries: [
          { Source: 'collectiq.cards', DetailType: 'CardCreated', Detail: JSON.stringify({ cardId: 'c-9' }) },
        ],
      }),
    );
    assert.equal(result.FailedEntryCount, 0);
    assert.match(result.Entries[0].EventId, /^[0-9a-f-]{36}$/);

    const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 5 }));
    assert.deepEqual(JSON.parse(Messages[0].Body), { cardId: 'c-9', name: '' });
  });
});
