// ErrorHandler against the fake AWS server: the DLQ message and its
// attributes (RequestId without a value when the state machine passes no
// requestId), swallowed errors and the output shape.

import { after, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { AwsError, startFakeAws, useFakeEnvironment } from './fake-aws.mjs';

const fake = await startFakeAws();
const DLQ_URL = `${fake.url}/123456789012/collectiq-hackathon-events-dlq`;
useFakeEnvironment(fake, { DLQ_URL });
const { handler, causeMessage } = await import('../../../pipeline/handlers/error-handler.mjs');

after(() => fake.close());

// The Payload that the state machine's ErrorHandler state builds.
const EVENT = {
  userId: 'user-1',
  cardId: 'card-1',
  error: {
    Error: 'Error',
    Cause: JSON.stringify({ errorType: 'Error', errorMessage: 'Rekognition text/label detection failed: boom', trace: [] }),
  },
  executionArn: 'arn:aws:states:us-east-1:123456789012:execution:collectiq-hackathon-card-valuation:abc',
  stateMachineName: 'collectiq-hackathon-card-valuation',
};

beforeEach(() => {
  fake.reset();
  process.env.DLQ_URL = DLQ_URL;
  // The SDK checks MD5OfMessageBody against the body it sent.
  fake.on('sqs:SendMessage', (call) => ({
    MessageId: 'msg-1',
    MD5OfMessageBody: createHash('md5').update(call.input.MessageBody).digest('hex'),
  }));
});

test('RequestId attribute is sent without a value', async () => {
  await handler(EVENT);
  const [send] = fake.callsOf('sqs:SendMessage');
  assert.equal(send.input.QueueUrl, DLQ_URL);
  assert.deepEqual(send.input.MessageAttributes, {
    ErrorType: { DataType: 'String', StringValue: 'Error' },
    UserId: { DataType: 'String', StringValue: 'user-1' },
    CardId: { DataType: 'String', StringValue: 'card-1' },
    RequestId: { DataType: 'String' },
  });
  const body = JSON.parse(send.input.MessageBody);
  assert.deepEqual(Object.keys(body), ['userId', 'cardId', 'error', 'timestamp']);
  assert.deepEqual(body.error, EVENT.error);
});

test('rejected message is swallowed', async () => {
  // The error real SQS returns for an attribute without a value.
  fake.on('sqs:SendMessage', () => new AwsError('InvalidParameterValue', 'Message (user) attribute \'RequestId\' must contain a non-empty value of type \'String\'.'));
  const result = await handler(EVENT);
  assert.deepEqual(result, { handled: true, partialResultsPersisted: false, dlqMessageId: undefined, requestId: undefined });
  assert.deepEqual(JSON.parse(JSON.stringify(result)), { handled: true, partialResultsPersisted: false });
});

test('accepted message returns its id', async () => {
  const result = await handler({ ...EVENT, requestId: 'req-9' });
  assert.deepEqual(JSON.parse(JSON.stringify(result)), {
    handled: true, partialResultsPersisted: false, dlqMessageId: 'msg-1', requestId: 'req-9',
  });
  const [send] = fake.callsOf('sqs:SendMessage');
  assert.deepEqual(send.input.MessageAttributes.RequestId, { DataType: 'String', StringValue: 'req-9' });
});

test('no DLQ_URL sends nothing', async () => {
  delete process.env.DLQ_URL;
  const result = await handler(EVENT);
  assert.equal(fake.callsOf('sqs:SendMessage').length, 0);
  assert.equal(result.handled, true);
});

test('partial results are stored on an existing card', async () => {
  fake.on('dynamodb:Query', () => ({ Items: [{ PK: { S: 'USER#user-1' }, SK: { S: 'CARD#card-1' }, entityType: { S: 'CARD' } }], Count: 1 }));
  fake.on('dynamodb:UpdateItem', () => ({ Attributes: { PK: { S: 'USER#user-1' } } }));
  const result = await handler({ ...EVENT, partialResults: { valueMedian: 12 } });
  assert.equal(result.partialResultsPersisted, true);
  const [update] = fake.callsOf('dynamodb:UpdateItem');
  assert.deepEqual(update.input.ExpressionAttributeValues[':valueMedian'], { N: '12' });
});

test('partial results on a missing card are not stored', async () => {
  fake.on('dynamodb:Query', () => ({ Items: [], Count: 0 }));
  const result = await handler({ ...EVENT, partialResults: { valueMedian: 12 } });
  assert.equal(result.partialResultsPersisted, false);
  assert.equal(result.handled, true);
});

test('never throws on odd input', async () => {
  for (const input of [undefined, null, 'text', {}, { error: 'not an object' }]) {
    const result = await handler(input);
    assert.equal(typeof result.handled, 'boolean');
  }
});

test('metric failure is swallowed', async () => {
  fake.on('cloudwatch:PutMetricData', () => new AwsError('AccessDeniedException', 'not authorized', 400));
  const result = await handler(EVENT);
  assert.equal(result.dlqMessageId, 'msg-1');
  const [metric] = fake.callsOf('cloudwatch:PutMetricData');
  assert.equal(metric.input.Namespace, 'CollectIQ/dev');
  assert.deepEqual(metric.input.MetricData[0].Dimensions, [{ Name: 'status', Value: 'FAILED' }]);
});

test('cause message from the Cause JSON', () => {
  assert.equal(causeMessage(EVENT.error), 'Rekognition text/label detection failed: boom');
  assert.equal(causeMessage({ Cause: 'plain text' }), 'plain text');
  assert.equal(causeMessage(undefined), undefined);
});
