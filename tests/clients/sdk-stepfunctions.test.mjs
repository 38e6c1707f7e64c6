// Step Functions through the AWS SDK for JavaScript v3
// (@aws-sdk/client-sfn): state machine management, STANDARD executions
// with Lambda tasks, Retry and Catch, history paging, EXPRESS machines with
// StartSyncExecution, and the task token callback pattern.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';

import { CreateFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  CreateStateMachineCommand,
  DeleteStateMachineCommand,
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SFNClient,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  StartSyncExecutionCommand,
  UpdateStateMachineCommand,
} from '@aws-sdk/client-sfn';

import { awsOk } from './cli.mjs';

const endpoint = process.env.STRATUS_ENDPOINT;
if (!endpoint || !/^http:\/\/127\.0\.0\.1:\d+$/.test(endpoint)) {
  throw new Error(
    `STRATUS_ENDPOINT must be http://127.0.0.1:PORT, got ${JSON.stringify(endpoint)}; run this file through run.sh`,
  );
}

const config = {
  endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'AKIDSTRATUSTEST', secretAccessKey: 'stratus-test-secret' },
  maxAttempts: 1,
};
const sfn = new SFNClient(config);
// StartSyncExecution is sent to the host "sync-<endpoint host>" unless the
// client disables host prefixes, which a loopback address needs.
const sfnSync = new SFNClient({ ...config, disableHostPrefix: true });
const lambda = new LambdaClient(config);
const ACCOUNT = '123456789012';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/sdk-sfn-role`;

// Stratus checks the machine's role when a task invokes Lambda, as AWS
// does, so the role must exist and allow the invoke.
awsOk(
  'iam', 'create-role', '--role-name', 'sdk-sfn-role',
  '--assume-role-policy-document', JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: 'states.amazonaws.com' }, Action: 'sts:AssumeRole' }],
  }),
);
awsOk(
  'iam', 'put-role-policy', '--role-name', 'sdk-sfn-role', '--policy-name', 'invoke-functions',
  '--policy-document', JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: '*' }],
  }),
);
const FUNCTION_ARN = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:sdk-sfn-task`;

// A task function: fails with a chosen error type, or records a task token
// in a file, or echoes its payload.
const code = mkdtempSync(join(tmpdir(), 'stratus-sdk-sfn-'));
after(() => rmSync(code, { recursive: true, force: true }));
writeFileSync(
  join(code, 'index.mjs'),
  `import { writeFileSync } from 'node:fs';
export const handler = async (event) => {
  if (event.failWith) {
    const err = new Error('asked to fail');
    err.name = event.failWith;
    throw err;
  }
  if (event.token) writeFileSync(event.tokenFile, event.token);
  return { seen: event };
};
`,
);

async function settle(executionArn) {
  for (let i = 0; i < 200; i++) {
    const out = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (out.status !== 'RUNNING') return out;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${executionArn} still RUNNING`);
}

async function createMachine(name, definition, type) {
  const out = await sfn.send(
    new CreateStateMachineCommand({ name, roleArn: ROLE, definition: JSON.stringify(definition), type }),
  );
  return out.stateMachineArn;
}

describe('@aws-sdk/client-sfn', () => {
  test('a Lambda task with Catch to a fallback', async () => {
    await lambda.send(
      new CreateFunctionCommand({
        FunctionName: 'sdk-sfn-task',
        Runtime: 'nodejs20.x',
        Role: ROLE,
        Handler: 'index.handler',
        Code: { S3Bucket: 'hot-reload', S3Key: code },
      }),
    );
    const arn = await createMachine('sdk-sfn-catch', {
      StartAt: 'Work',
      States: {
        Work: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: FUNCTION_ARN, 'Payload.$': '$' },
          ResultSelector: { 'seen.$': '$.Payload.seen' },
          Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Fallback' }],
          End: true,
        },
        Fallback: { Type: 'Pass', End: true },
      },
    });
    const described = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: arn }));
    assert.match(described.revisionId, /^[0-9a-f-]{36}$/);

    const ok = await sfn.send(new StartExecutionCommand({ stateMachineArn: arn, input: '{"k":1}' }));
    assert.match(ok.executionArn, /:execution:sdk-sfn-catch:[0-9a-f-]{36}$/);
    const done = await settle(ok.executionArn);
    assert.equal(done.status, 'SUCCEEDED');
    assert.deepEqual(JSON.parse(done.output), { seen: { k: 1 } });

    const bad = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: arn, name: 'fails', input: '{"failWith":"CardError"}' }),
    );
    const caught = await settle(bad.executionArn);
    assert.equal(caught.status, 'SUCCEEDED');
    const error = JSON.parse(caught.output).error;
    assert.equal(error.Error, 'CardError');
    assert.deepEqual(Object.keys(JSON.parse(error.Cause)).sort(), ['errorMessage', 'errorType', 'trace']);
  });

  test('history pages, reverse order and executionData', async () => {
    const executionArn = `arn:aws:states:us-east-1:${ACCOUNT}:execution:sdk-sfn-catch:fails`;
    const first = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 2 }));
    assert.deepEqual(first.events.map((e) => e.id), [1, 2]);
    assert.ok(first.nextToken);
    const rest = await sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken: first.nextToken }));
    assert.equal(rest.events[0].id, 3);
    assert.equal(rest.events.at(-1).type, 'ExecutionSucceeded');
    const reversed = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, includeExecutionData: false, maxResults: 1 }),
    );
    assert.equal(reversed.events[0].type, 'ExecutionSucceeded');
    assert.equal(reversed.events[0].executionSucceededEventDetails.output, undefined);
    const types = rest.events.map((e) => e.type);
    assert.ok(types.includes('LambdaFunctionFailed') || types.includes('TaskFailed'), types.join(','));
  });

  test('ListExecutions filters by status and pages', async () => {
    const stateMachineArn = `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:sdk-sfn-catch`;
    const page = await sfn.send(new ListExecutionsCommand({ stateMachineArn, maxResults: 1 }));
    assert.equal(page.executions.length, 1);
    assert.equal(page.executions[0].name, 'fails', 'newest first');
    const next = await sfn.send(new ListExecutionsCommand({ stateMachineArn, maxResults: 1, nextToken: page.nextToken }));
    assert.equal(next.executions.length, 1);
    const running = await sfn.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: 'RUNNING' }));
    assert.deepEqual(running.executions, []);
  });

  test('Retry with MaxAttempts 0 and a Fail state', async () => {
    const arn = await createMachine('sdk-sfn-fail', {
      StartAt: 'Work',
      States: {
        Work: {
          Type: 'Task',
          Resource: FUNCTION_ARN,
          Retry: [{ ErrorEquals: ['CardError'], MaxAttempts: 0 }],
          Catch: [{ ErrorEquals: ['CardError'], Next: 'Broken' }],
          End: true,
        },
        Broken: { Type: 'Fail', Error: 'Card.Broken', Cause: 'the card could not be read' },
      },
    });
    const started = await sfn.send(new StartExecutionCommand({ stateMachineArn: arn, input: '{"failWith":"CardError"}' }));
    const done = await settle(started.executionArn);
    assert.equal(done.status, 'FAILED');
    assert.equal(done.error, 'Card.Broken');
    assert.equal(done.cause, 'the card could not be read');
  });

  test('EXPRESS with StartSyncExecution', async () => {
    const arn = await createMachine(
      'sdk-sfn-express',
      { StartAt: 'Shape', States: { Shape: { Type: 'Pass', Parameters: { 'total.$': 'States.MathAdd($.a, $.b)' }, End: true } } },
      'EXPRESS',
    );
    const out = await sfnSync.send(new StartSyncExecutionCommand({ stateMachineArn: arn, input: '{"a":2,"b":3}' }));
    assert.equal(out.status, 'SUCCEEDED');
    assert.deepEqual(JSON.parse(out.output), { total: 5 });
  });

  test('task tokens: heartbeat, success and failure', async () => {
    const arn = await createMachine('sdk-sfn-callback', {
      StartAt: 'Wait for token',
      States: {
        'Wait for token': {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
          Parameters: {
            FunctionName: FUNCTION_ARN,
            Payload: { 'token.$': '$$.Task.Token', 'tokenFile.$': '$.tokenFile' },
          },
          HeartbeatSeconds: 60,
          End: true,
        },
      },
    });
    for (const outcome of ['success', 'failure']) {
      const tokenFile = join(code, `token-${outcome}`);
      const started = await sfn.send(
        new StartExecutionCommand({ stateMachineArn: arn, input: JSON.stringify({ tokenFile }) }),
      );
      for (let i = 0; i < 100 && !existsSync(tokenFile); i++) await new Promise((r) => setTimeout(r, 100));
      const taskToken = readFileSync(tokenFile, 'utf8');
      await sfn.send(new SendTaskHeartbeatCommand({ taskToken }));
      if (outcome === 'success') {
        await sfn.send(new SendTaskSuccessCommand({ taskToken, output: '{"approved":true}' }));
        const done = await settle(started.executionArn);
        assert.equal(done.status, 'SUCCEEDED');
        assert.deepEqual(JSON.parse(done.output), { approved: true });
      } else {
        await sfn.send(new SendTaskFailureCommand({ taskToken, error: 'Review.Rejected', cause: 'no' }));
        const done = await settle(started.executionArn);
        assert.equal(done.status, 'FAILED');
        assert.equal(done.error, 'Review.Rejected');
      }
      await assert.rejects(sfn.send(new SendTaskSuccessCommand({ taskToken, output: '{}' })), {
        name: 'TaskTimedOut',
      });
    }
  });

  test('UpdateStateMachine and DeleteStateMachine', async () => {
    const stateMachineArn = `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:sdk-sfn-fail`;
    const updated = await sfn.send(
      new UpdateStateMachineCommand({
        stateMachineArn,
        definition: JSON.stringify({ StartAt: 'Done', States: { Done: { Type: 'Succeed' } } }),
      }),
    );
    assert.ok(updated.updateDate instanceof Date);
    assert.match(updated.revisionId, /^[0-9a-f-]{36}$/);
    await sfn.send(new DeleteStateMachineCommand({ stateMachineArn }));
    await assert.rejects(sfn.send(new DescribeStateMachineCommand({ stateMachineArn })), {
      name: 'StateMachineDoesNotExist',
    });
  });
});
