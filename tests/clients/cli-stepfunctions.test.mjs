// Step Functions through Debian's AWS CLI v2: the runbook's commands
// (start-execution, describe-execution with --query, list-executions with
// a status filter, get-execution-history with --max-results) and the
// state machine and execution operations around them, on machines of
// Pass, Wait and Fail states (the client tests run with no stack).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { aws, awsFails, awsOk } from './cli.mjs';

const ACCOUNT = '123456789012';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/cli-sfn-role`;
const MACHINE = 'cli-sfn-valuation';
const MACHINE_ARN = `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:${MACHINE}`;
const executionArn = (name) => `arn:aws:states:us-east-1:${ACCOUNT}:execution:${MACHINE}:${name}`;

// The shape of CollectIQ's first task: it reads $.s3Keys and $.requestId.
const definition = {
  StartAt: 'Hold',
  States: {
    Hold: { Type: 'Wait', SecondsPath: '$.holdSeconds', Next: 'Extract' },
    Extract: {
      Type: 'Pass',
      Parameters: { 's3Keys.$': '$.s3Keys', 'requestId.$': '$.requestId' },
      ResultPath: '$.extracted',
      End: true,
    },
  },
};

// Poll describe-execution --query status until it leaves RUNNING.
function finalStatus(name) {
  for (let i = 0; i < 60; i++) {
    const status = aws(
      'stepfunctions', 'describe-execution', '--execution-arn', executionArn(name),
      '--query', 'status', '--output', 'text',
    ).stdout.trim();
    if (status !== 'RUNNING') return status;
    spinWait(250);
  }
  return 'RUNNING';
}

function spinWait(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

describe('aws stepfunctions', () => {
  test('create-state-machine and describe-state-machine', () => {
    const created = awsOk(
      'stepfunctions', 'create-state-machine', '--name', MACHINE, '--role-arn', ROLE,
      '--definition', JSON.stringify(definition),
    );
    assert.equal(created.stateMachineArn, MACHINE_ARN);
    const described = awsOk('stepfunctions', 'describe-state-machine', '--state-machine-arn', MACHINE_ARN);
    assert.equal(described.name, MACHINE);
    assert.equal(described.status, 'ACTIVE');
    assert.equal(described.type, 'STANDARD');
    assert.equal(described.roleArn, ROLE);
    assert.deepEqual(JSON.parse(described.definition), definition);
  });

  test('an invalid definition is InvalidDefinition', () => {
    const result = aws(
      'stepfunctions', 'create-state-machine', '--name', 'cli-sfn-bad', '--role-arn', ROLE,
      '--definition', '{"StartAt":"A"}',
    );
    assert.equal(result.code, 254);
    assert.match(
      result.stderr.trim(),
      /^An error occurred \(InvalidDefinition\) when calling the CreateStateMachine operation: Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: These fields are required: \[States\] at \/'/,
    );
  });

  test('runbook Test 2: a RUNNING execution in list-executions', () => {
    const started = awsOk(
      'stepfunctions', 'start-execution', '--state-machine-arn', MACHINE_ARN, '--name', 'card-1-run',
      '--input', JSON.stringify({ holdSeconds: 6, s3Keys: { front: 'uploads/u/c.jpg' }, requestId: 'r-1' }),
    );
    assert.equal(started.executionArn, executionArn('card-1-run'));
    const running = awsOk(
      'stepfunctions', 'list-executions', '--state-machine-arn', MACHINE_ARN,
      '--status-filter', 'RUNNING', '--max-results', '10',
    );
    assert.deepEqual(running.executions.map((e) => e.name), ['card-1-run']);
    assert.equal(running.executions[0].status, 'RUNNING');
    assert.equal(finalStatus('card-1-run'), 'SUCCEEDED');
    const output = aws(
      'stepfunctions', 'describe-execution', '--execution-arn', executionArn('card-1-run'),
      '--query', 'output', '--output', 'text',
    ).stdout.trim();
    assert.deepEqual(JSON.parse(output).extracted, { s3Keys: { front: 'uploads/u/c.jpg' }, requestId: 'r-1' });
  });

  test('the same name with the same input while RUNNING is the same execution', () => {
    // Long enough to stay RUNNING across three CLI calls on a busy machine.
    const input = JSON.stringify({ holdSeconds: 120, s3Keys: { front: 'k' }, requestId: 'r-2' });
    const first = awsOk('stepfunctions', 'start-execution', '--state-machine-arn', MACHINE_ARN, '--name', 'dup', '--input', input);
    const again = awsOk('stepfunctions', 'start-execution', '--state-machine-arn', MACHINE_ARN, '--name', 'dup', '--input', input);
    assert.deepEqual(again, first);
    awsFails(
      'StartExecution', 'ExecutionAlreadyExists', `Execution Already Exists: '${executionArn('dup')}'`,
      'stepfunctions', 'start-execution', '--state-machine-arn', MACHINE_ARN, '--name', 'dup', '--input', '{}',
    );
  });

  test('runbook Issue 4: the old input schema fails with States.Runtime', () => {
    awsOk(
      'stepfunctions', 'start-execution', '--state-machine-arn', MACHINE_ARN, '--name', 'old-schema',
      '--input', JSON.stringify({ holdSeconds: 0, s3Key: 'uploads/u/c.jpg', s3Bucket: 'b' }),
    );
    assert.equal(finalStatus('old-schema'), 'FAILED');
    const failed = awsOk('stepfunctions', 'describe-execution', '--execution-arn', executionArn('old-schema'));
    assert.equal(failed.error, 'States.Runtime');
    assert.equal(
      failed.cause,
      "An error occurred while executing the state 'Extract' (entered at the event id #4). " +
        "The JSONPath '$.s3Keys' specified for the field 's3Keys.$' could not be found in the input " +
        `'${JSON.stringify({ holdSeconds: 0, s3Key: 'uploads/u/c.jpg', s3Bucket: 'b' })}'`,
    );
    const first = awsOk(
      'stepfunctions', 'get-execution-history', '--execution-arn', executionArn('old-schema'), '--max-results', '1',
    );
    assert.equal(first.events.length, 1);
    assert.equal(first.events[0].type, 'ExecutionStarted');
    assert.deepEqual(JSON.parse(first.events[0].executionStartedEventDetails.input), {
      holdSeconds: 0, s3Key: 'uploads/u/c.jpg', s3Bucket: 'b',
    });
    const last = awsOk(
      'stepfunctions', 'get-execution-history', '--execution-arn', executionArn('old-schema'),
      '--reverse-order', '--max-items', '1',
    );
    assert.equal(last.events[0].type, 'ExecutionFailed');
    assert.equal(last.events[0].executionFailedEventDetails.error, 'States.Runtime');
  });

  test('stop-execution aborts a running execution', () => {
    awsOk(
      'stepfunctions', 'start-execution', '--state-machine-arn', MACHINE_ARN, '--name', 'to-stop',
      '--input', JSON.stringify({ holdSeconds: 300, s3Keys: {}, requestId: 'r' }),
    );
    const stopped = awsOk(
      'stepfunctions', 'stop-execution', '--execution-arn', executionArn('to-stop'),
      '--error', 'Operator.Stop', '--cause', 'rollback',
    );
    // AWS CLI v2 prints timestamps as ISO 8601 by default.
    assert.match(stopped.stopDate, /^\d{4}-\d{2}-\d{2}T/);
    const described = awsOk('stepfunctions', 'describe-execution', '--execution-arn', executionArn('to-stop'));
    assert.equal(described.status, 'ABORTED');
    const forExecution = awsOk(
      'stepfunctions', 'describe-state-machine-for-execution', '--execution-arn', executionArn('to-stop'),
    );
    assert.equal(forExecution.stateMachineArn, MACHINE_ARN);
  });

  test('a missing execution is ExecutionDoesNotExist', () => {
    const result = aws('stepfunctions', 'describe-execution', '--execution-arn', executionArn('nope'));
    assert.equal(result.code, 254);
    assert.match(result.stderr, /\(ExecutionDoesNotExist\) when calling the DescribeExecution operation/);
  });

  test('list-state-machines, update and delete', () => {
    const listed = awsOk('stepfunctions', 'list-state-machines');
    assert.ok(listed.stateMachines.some((m) => m.stateMachineArn === MACHINE_ARN));
    const updated = awsOk(
      'stepfunctions', 'update-state-machine', '--state-machine-arn', MACHINE_ARN,
      '--definition', JSON.stringify({ StartAt: 'Done', States: { Done: { Type: 'Succeed' } } }),
    );
    assert.match(updated.updateDate, /^\d{4}-\d{2}-\d{2}T/);
    const deleted = aws('stepfunctions', 'delete-state-machine', '--state-machine-arn', MACHINE_ARN);
    assert.equal(deleted.code, 0, deleted.stderr);
  });
});
