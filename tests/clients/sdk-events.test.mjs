// Every EventBridge operation Stratus implements, through the AWS SDK for
// JavaScript v3 (@aws-sdk/client-eventbridge), with the error names the SDK
// derives from AWS's __type, and the three ways a target's input is built
// (constant Input, InputPath, InputTransformer) checked on SQS.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  CreateEventBusCommand,
  DeleteEventBusCommand,
  DeleteRuleCommand,
  DescribeEventBusCommand,
  DescribeRuleCommand,
  DisableRuleCommand,
  EnableRuleCommand,
  EventBridgeClient,
  ListEventBusesCommand,
  ListRuleNamesByTargetCommand,
  ListRulesCommand,
  ListTagsForResourceCommand,
  ListTargetsByRuleCommand,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
  TagResourceCommand,
  TestEventPatternCommand,
  UntagResourceCommand,
} from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';

const endpoint = process.env.STRATUS_ENDPOINT;
if (!endpoint || !/^http:\/\/127\.0\.0\.1:\d+$/.test(endpoint)) {
  throw new Error(
    `STRATUS_ENDPOINT must be http://127.0.0.1:PORT, got ${JSON.stringify(endpoint)}; run this file through run.sh`,
  );
}

const credentials = { accessKeyId: 'AKIDSTRATUSTEST', secretAccessKey: 'stratus-test-secret' };
const events = new EventBridgeClient({ endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
const sqs = new SQSClient({ endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
const ACCOUNT = '123456789012';
const BUS = 'sdk-ev-bus';
const BUS_ARN = `arn:aws:events:us-east-1:${ACCOUNT}:event-bus/${BUS}`;
const RULE = 'sdk-ev-rule';
const RULE_ARN = `arn:aws:events:us-east-1:${ACCOUNT}:rule/${BUS}/${RULE}`;

async function rejects(promise, name, message) {
  await assert.rejects(promise, (err) => {
    assert.equal(err.name, name);
    assert.equal(err.message, message);
    return true;
  });
}

// Receive every message of `url` within a few polls.
async function drain(url, expected) {
  const bodies = [];
  for (let i = 0; i < 10 && bodies.length < expected; i++) {
    const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 2 }));
    for (const m of out.Messages ?? []) {
      bodies.push(m.Body);
      await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle }));
    }
  }
  return bodies;
}

describe('@aws-sdk/client-eventbridge', () => {
  test('buses: create, describe, list, delete', async () => {
    const created = await events.send(new CreateEventBusCommand({ Name: BUS }));
    assert.equal(created.EventBusArn, BUS_ARN);
    const described = await events.send(new DescribeEventBusCommand({ Name: BUS }));
    assert.equal(described.Arn, BUS_ARN);
    const listed = await events.send(new ListEventBusesCommand({ NamePrefix: 'sdk-ev' }));
    assert.deepEqual(listed.EventBuses.map((b) => b.Name), [BUS]);
    await events.send(new CreateEventBusCommand({ Name: 'sdk-ev-doomed' }));
    await events.send(new DeleteEventBusCommand({ Name: 'sdk-ev-doomed' }));
    await rejects(
      events.send(new DescribeEventBusCommand({ Name: 'sdk-ev-doomed' })),
      'ResourceNotFoundException',
      'Event bus sdk-ev-doomed does not exist.',
    );
  });

  test('rules: put, describe, page, disable, enable', async () => {
    const put = await events.send(
      new PutRuleCommand({ Name: RULE, EventBusName: BUS, EventPattern: JSON.stringify({ source: ['sdk.test'] }) }),
    );
    assert.equal(put.RuleArn, RULE_ARN);
    await events.send(new PutRuleCommand({ Name: `${RULE}-2`, EventBusName: BUS, EventPattern: '{"source":["x"]}' }));
    const first = await events.send(new ListRulesCommand({ EventBusName: BUS, NamePrefix: RULE, Limit: 1 }));
    assert.deepEqual(first.Rules.map((r) => r.Name), [RULE]);
    const second = await events.send(
      new ListRulesCommand({ EventBusName: BUS, NamePrefix: RULE, Limit: 1, NextToken: first.NextToken }),
    );
    assert.deepEqual(second.Rules.map((r) => r.Name), [`${RULE}-2`]);
    assert.equal(second.NextToken, undefined);

    await events.send(new DisableRuleCommand({ Name: RULE, EventBusName: BUS }));
    assert.equal((await events.send(new DescribeRuleCommand({ Name: RULE, EventBusName: BUS }))).State, 'DISABLED');
    await events.send(new EnableRuleCommand({ Name: RULE, EventBusName: BUS }));
    assert.equal((await events.send(new DescribeRuleCommand({ Name: RULE, EventBusName: BUS }))).State, 'ENABLED');
    await rejects(
      events.send(new EnableRuleCommand({ Name: RULE })),
      'ResourceNotFoundException',
      `Rule ${RULE} does not exist on EventBus default.`,
    );
  });

  test('targets: Input, InputPath and InputTransformer reach SQS', async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'sdk-ev-queue' }));
    const arn = `arn:aws:sqs:us-east-1:${ACCOUNT}:sdk-ev-queue`;
    const put = await events.send(
      new PutTargetsCommand({
        Rule: RULE,
        EventBusName: BUS,
        Targets: [
          { Id: 'constant', Arn: arn, Input: '{"fixed":true}' },
          { Id: 'path', Arn: arn, InputPath: '$.detail' },
          {
            Id: 'transformer',
            Arn: arn,
            InputTransformer: { InputPathsMap: { k: '$.detail.k' }, InputTemplate: '"k is <k>"' },
          },
        ],
      }),
    );
    assert.equal(put.FailedEntryCount, 0);
    const listed = await events.send(new ListTargetsByRuleCommand({ Rule: RULE, EventBusName: BUS }));
    assert.deepEqual(listed.Targets.map((t) => t.Id), ['constant', 'path', 'transformer']);
    const names = await events.send(new ListRuleNamesByTargetCommand({ TargetArn: arn, EventBusName: BUS }));
    assert.deepEqual(names.RuleNames, [RULE]);

    const sent = await events.send(
      new PutEventsCommand({
        Entries: [{ Source: 'sdk.test', DetailType: 't', Detail: '{"k":"v"}', EventBusName: BUS_ARN }],
      }),
    );
    assert.equal(sent.FailedEntryCount, 0);
    const bodies = (await drain(QueueUrl, 3)).sort();
    assert.deepEqual(bodies, ['"k is v"', '{"fixed":true}', '{"k":"v"}']);
  });

  test('a rule with targets is deleted only after remove-targets', async () => {
    await rejects(
      events.send(new DeleteRuleCommand({ Name: RULE, EventBusName: BUS })),
      'ValidationException',
      "Rule can't be deleted since it has targets.",
    );
    const removed = await events.send(
      new RemoveTargetsCommand({ Rule: RULE, EventBusName: BUS, Ids: ['constant', 'path', 'transformer'] }),
    );
    assert.equal(removed.FailedEntryCount, 0);
    await events.send(new DeleteRuleCommand({ Name: RULE, EventBusName: BUS }));
    await rejects(
      events.send(new DescribeRuleCommand({ Name: RULE, EventBusName: BUS })),
      'ResourceNotFoundException',
      `Rule ${RULE} does not exist on EventBus ${BUS}.`,
    );
  });

  test('tags on a bus', async () => {
    await events.send(new TagResourceCommand({ ResourceARN: BUS_ARN, Tags: [{ Key: 'team', Value: 'cards' }] }));
    let tags = await events.send(new ListTagsForResourceCommand({ ResourceARN: BUS_ARN }));
    assert.deepEqual(tags.Tags, [{ Key: 'team', Value: 'cards' }]);
    await events.send(new UntagResourceCommand({ ResourceARN: BUS_ARN, TagKeys: ['team'] }));
    tags = await events.send(new ListTagsForResourceCommand({ ResourceARN: BUS_ARN }));
    assert.deepEqual(tags.Tags, []);
  });

  test('TestEventPattern with a numeric range', async () => {
    const event = JSON.stringify({
      id: '1', account: ACCOUNT, source: 's', time: '2026-01-01T00:00:00Z', region: 'us-east-1',
      resources: [], 'detail-type': 't', detail: { value: 12 },
    });
    const pattern = JSON.stringify({ detail: { value: [{ numeric: ['>', 10, '<=', 20] }] } });
    const out = await events.send(new TestEventPatternCommand({ EventPattern: pattern, Event: event }));
    assert.equal(out.Result, true);
    await assert.rejects(events.send(new TestEventPatternCommand({ EventPattern: '{"detail":', Event: event })), {
      name: 'InvalidEventPatternException',
    });
  });
});
