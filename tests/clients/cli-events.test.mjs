// Every EventBridge operation Stratus implements, through Debian's AWS CLI
// v2, plus the runbook's rule checks and rollback commands on a bus, rule
// and target shaped like CollectIQ's (the client tests run with no stack).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { aws, awsFails, awsOk, endpoint } from './cli.mjs';

const ACCOUNT = '123456789012';
const BUS = 'cli-ev-bus';
const BUS_ARN = `arn:aws:events:us-east-1:${ACCOUNT}:event-bus/${BUS}`;
const QUEUE = 'cli-ev-queue';
const QUEUE_ARN = `arn:aws:sqs:us-east-1:${ACCOUNT}:${QUEUE}`;
const QUEUE_URL = `${endpoint}/${ACCOUNT}/${QUEUE}`;
const PATTERN = { source: ['collectiq.cards'], 'detail-type': ['CardCreated'] };

describe('event buses', () => {
  test('create, describe and list', () => {
    const created = awsOk('events', 'create-event-bus', '--name', BUS);
    assert.equal(created.EventBusArn, BUS_ARN);
    const described = awsOk('events', 'describe-event-bus', '--name', BUS);
    assert.equal(described.Name, BUS);
    assert.equal(described.Arn, BUS_ARN);
    const byArn = awsOk('events', 'describe-event-bus', '--name', BUS_ARN);
    assert.equal(byArn.Name, BUS);
    const listed = awsOk('events', 'list-event-buses', '--name-prefix', 'cli-ev');
    assert.deepEqual(listed.EventBuses.map((b) => b.Name), [BUS]);
    const all = awsOk('events', 'list-event-buses');
    assert.ok(all.EventBuses.some((b) => b.Name === 'default'));
  });

  test('an existing bus and a missing bus', () => {
    awsFails(
      'CreateEventBus', 'ResourceAlreadyExistsException', `Event bus ${BUS} already exists.`,
      'events', 'create-event-bus', '--name', BUS,
    );
    awsFails(
      'DescribeEventBus', 'ResourceNotFoundException', 'Event bus cli-ev-missing does not exist.',
      'events', 'describe-event-bus', '--name', 'cli-ev-missing',
    );
  });

  test('delete a bus', () => {
    awsOk('events', 'create-event-bus', '--name', 'cli-ev-doomed');
    const deleted = aws('events', 'delete-event-bus', '--name', 'cli-ev-doomed');
    assert.equal(deleted.code, 0, deleted.stderr);
    awsFails(
      'DescribeEventBus', 'ResourceNotFoundException', 'Event bus cli-ev-doomed does not exist.',
      'events', 'describe-event-bus', '--name', 'cli-ev-doomed',
    );
  });
});

describe('rules', () => {
  test('put-rule returns the bus-scoped ARN', () => {
    const put = awsOk(
      'events', 'put-rule', '--name', 'card_created_auto_revalue', '--event-bus-name', BUS,
      '--event-pattern', JSON.stringify(PATTERN),
      '--description', 'Automatically trigger AI analysis when card is created',
    );
    assert.equal(put.RuleArn, `arn:aws:events:us-east-1:${ACCOUNT}:rule/${BUS}/card_created_auto_revalue`);
  });

  test('runbook step 5.2: list-rules with a query', () => {
    const rules = awsOk(
      'events', 'list-rules', '--event-bus-name', BUS,
      '--query', "Rules[?Name=='card_created_auto_revalue']",
    );
    assert.equal(rules.length, 1);
    assert.deepEqual(rules[0], {
      Name: 'card_created_auto_revalue',
      Arn: `arn:aws:events:us-east-1:${ACCOUNT}:rule/${BUS}/card_created_auto_revalue`,
      EventPattern: JSON.stringify(PATTERN),
      State: 'ENABLED',
      Description: 'Automatically trigger AI analysis when card is created',
      EventBusName: BUS,
    });
  });

  test('describe-rule shows CreatedBy', () => {
    const rule = awsOk('events', 'describe-rule', '--name', 'card_created_auto_revalue', '--event-bus-name', BUS);
    assert.equal(rule.CreatedBy, ACCOUNT);
    assert.equal(rule.State, 'ENABLED');
  });

  test('list-rules pages with --max-items', () => {
    awsOk('events', 'put-rule', '--name', 'cli-ev-page-a', '--event-bus-name', BUS, '--event-pattern', '{"source":["a"]}');
    awsOk('events', 'put-rule', '--name', 'cli-ev-page-b', '--event-bus-name', BUS, '--event-pattern', '{"source":["b"]}');
    const first = awsOk('events', 'list-rules', '--event-bus-name', BUS, '--name-prefix', 'cli-ev-page', '--max-items', '1');
    assert.deepEqual(first.Rules.map((r) => r.Name), ['cli-ev-page-a']);
    assert.ok(first.NextToken, 'a NextToken for the second page');
    const second = awsOk(
      'events', 'list-rules', '--event-bus-name', BUS, '--name-prefix', 'cli-ev-page',
      '--starting-token', first.NextToken,
    );
    assert.deepEqual(second.Rules.map((r) => r.Name), ['cli-ev-page-b']);
  });

  test('schedule expressions belong to the default bus', () => {
    const put = awsOk('events', 'put-rule', '--name', 'cli-ev-every-5', '--schedule-expression', 'rate(5 minutes)');
    assert.equal(put.RuleArn, `arn:aws:events:us-east-1:${ACCOUNT}:rule/cli-ev-every-5`);
    const rule = awsOk('events', 'describe-rule', '--name', 'cli-ev-every-5');
    assert.equal(rule.ScheduleExpression, 'rate(5 minutes)');
    awsFails(
      'PutRule', 'ValidationException', 'ScheduleExpression is supported only on the default event bus.',
      'events', 'put-rule', '--name', 'cli-ev-scheduled', '--event-bus-name', BUS,
      '--schedule-expression', 'rate(5 minutes)',
    );
  });

  test('an invalid pattern gets AWS reason', () => {
    const result = aws('events', 'put-rule', '--name', 'cli-ev-bad', '--event-pattern', '{"source":"a"}');
    assert.equal(result.code, 254);
    assert.match(
      result.stderr.trim(),
      /^An error occurred \(InvalidEventPatternException\) when calling the PutRule operation: Event pattern is not valid\. Reason: "source" must be an object or an array/,
    );
  });
});

describe('targets', () => {
  const target = {
    Id: 'card_created_auto_revalue-target',
    Arn: QUEUE_ARN,
    InputTransformer: {
      InputPathsMap: { cardId: '$.detail.cardId', name: '$.detail.name' },
      InputTemplate: '{"cardId": "<cardId>", "name": "<name>"}',
    },
    RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 86400 },
  };

  test('put-targets and runbook step 5.3: list-targets-by-rule', () => {
    awsOk('sqs', 'create-queue', '--queue-name', QUEUE);
    const put = awsOk(
      'events', 'put-targets', '--rule', 'card_created_auto_revalue', '--event-bus-name', BUS,
      '--targets', JSON.stringify([target]),
    );
    assert.deepEqual(put, { FailedEntryCount: 0, FailedEntries: [] });
    const listed = awsOk('events', 'list-targets-by-rule', '--rule', 'card_created_auto_revalue', '--event-bus-name', BUS);
    assert.deepEqual(listed.Targets, [target]);
    const names = awsOk('events', 'list-rule-names-by-target', '--target-arn', QUEUE_ARN, '--event-bus-name', BUS);
    assert.deepEqual(names.RuleNames, ['card_created_auto_revalue']);
  });

  test('an unknown placeholder is rejected', () => {
    awsFails(
      'PutTargets', 'ValidationException', 'InputTemplate for target t2 contains invalid placeholder nope.',
      'events', 'put-targets', '--rule', 'card_created_auto_revalue', '--event-bus-name', BUS,
      '--targets', JSON.stringify([{ Id: 't2', Arn: QUEUE_ARN, InputTransformer: { InputTemplate: '"<nope>"' } }]),
    );
  });

  test('put-events delivers the transformed input', () => {
    const sent = awsOk(
      'events', 'put-events', '--entries',
      JSON.stringify([
        {
          Source: 'collectiq.cards', DetailType: 'CardCreated', EventBusName: BUS,
          Detail: JSON.stringify({ cardId: 'c-1' }),
        },
        { Source: 'collectiq.cards', Detail: '{}', EventBusName: BUS },
      ]),
    );
    assert.equal(sent.FailedEntryCount, 1);
    assert.match(sent.Entries[0].EventId, /^[0-9a-f-]{36}$/);
    assert.deepEqual(sent.Entries[1], {
      ErrorCode: 'InvalidArgument',
      ErrorMessage: 'Parameter DetailType is not valid. Reason: DetailType is a required argument.',
    });
    const received = awsOk('sqs', 'receive-message', '--queue-url', QUEUE_URL, '--wait-time-seconds', '10');
    assert.equal(received.Messages.length, 1);
    // A missing path gives an empty value.
    assert.equal(received.Messages[0].Body, '{"cardId": "c-1", "name": ""}');
  });

  test('a rule with targets cannot be deleted', () => {
    awsFails(
      'DeleteRule', 'ValidationException', "Rule can't be deleted since it has targets.",
      'events', 'delete-rule', '--name', 'card_created_auto_revalue', '--event-bus-name', BUS,
    );
  });
});

describe('runbook rollback option 2', () => {
  test('disable-rule without the bus addresses the default bus', () => {
    awsFails(
      'DisableRule', 'ResourceNotFoundException', 'Rule card_created_auto_revalue does not exist on EventBus default.',
      'events', 'disable-rule', '--name', 'card_created_auto_revalue',
    );
  });

  test('disable-rule and enable-rule with the bus', () => {
    let result = aws('events', 'disable-rule', '--name', 'card_created_auto_revalue', '--event-bus-name', BUS);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, '');
    const rules = awsOk('events', 'list-rules', '--event-bus-name', BUS, '--name-prefix', 'card_created');
    assert.equal(rules.Rules[0].State, 'DISABLED');
    result = aws('events', 'enable-rule', '--name', 'card_created_auto_revalue', '--event-bus-name', BUS);
    assert.equal(result.code, 0, result.stderr);
    const rule = awsOk('events', 'describe-rule', '--name', 'card_created_auto_revalue', '--event-bus-name', BUS);
    assert.equal(rule.State, 'ENABLED');
  });
});

describe('patterns, tags and removal', () => {
  test('test-event-pattern', () => {
    const event = JSON.stringify({
      id: '1', account: ACCOUNT, source: 'collectiq.cards', time: '2026-01-01T00:00:00Z',
      region: 'us-east-1', resources: [], 'detail-type': 'CardCreated', detail: {},
    });
    let out = awsOk('events', 'test-event-pattern', '--event-pattern', JSON.stringify(PATTERN), '--event', event);
    assert.deepEqual(out, { Result: true });
    out = awsOk('events', 'test-event-pattern', '--event-pattern', '{"source":["other"]}', '--event', event);
    assert.deepEqual(out, { Result: false });
  });

  test('tag-resource, list-tags-for-resource, untag-resource', () => {
    const arn = `arn:aws:events:us-east-1:${ACCOUNT}:rule/${BUS}/card_created_auto_revalue`;
    let result = aws('events', 'tag-resource', '--resource-arn', arn, '--tags', 'Key=team,Value=cards');
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(awsOk('events', 'list-tags-for-resource', '--resource-arn', arn).Tags, [
      { Key: 'team', Value: 'cards' },
    ]);
    result = aws('events', 'untag-resource', '--resource-arn', arn, '--tag-keys', 'team');
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(awsOk('events', 'list-tags-for-resource', '--resource-arn', arn).Tags, []);
  });

  test('remove-targets then delete-rule', () => {
    const removed = awsOk(
      'events', 'remove-targets', '--rule', 'card_created_auto_revalue', '--event-bus-name', BUS,
      '--ids', 'card_created_auto_revalue-target',
    );
    assert.deepEqual(removed, { FailedEntryCount: 0, FailedEntries: [] });
    const deleted = aws('events', 'delete-rule', '--name', 'card_created_auto_revalue', '--event-bus-name', BUS);
    assert.equal(deleted.code, 0, deleted.stderr);
    awsFails(
      'DescribeRule', 'ResourceNotFoundException', `Rule card_created_auto_revalue does not exist on EventBus ${BUS}.`,
      'events', 'describe-rule', '--name', 'card_created_auto_revalue', '--event-bus-name', BUS,
    );
  });
});
