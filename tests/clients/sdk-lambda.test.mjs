// Lambda through the AWS SDK for JavaScript v3 (@aws-sdk/client-lambda)
// against a running Stratus (STRATUS_ENDPOINT, set by run.sh): function
// management with the SDK's waiters, Invoke of every type, the error
// shapes the SDK parses, and Stratus's fault endpoint.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';

import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  GetFunctionConfigurationCommand,
  InvokeCommand,
  LambdaClient,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionActiveV2,
  waitUntilFunctionUpdatedV2,
} from '@aws-sdk/client-lambda';

const endpoint = process.env.STRATUS_ENDPOINT;
if (!endpoint || !/^http:\/\/127\.0\.0\.1:\d+$/.test(endpoint)) {
  throw new Error(
    `STRATUS_ENDPOINT must be http://127.0.0.1:PORT, got ${JSON.stringify(endpoint)}; run this file through run.sh`,
  );
}

const clientConfig = {
  endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'AKIDSTRATUSTEST', secretAccessKey: 'stratus-test-secret' },
};
const client = new LambdaClient(clientConfig);
const FUNCTION = 'sdk-lambda-echo';
const code = mkdtempSync(join(tmpdir(), 'stratus-sdk-lambda-'));
after(() => rmSync(code, { recursive: true, force: true }));
writeFileSync(
  join(code, 'index.mjs'),
  `export const handler = async (event, context) => {
  if (event.fail) throw new TypeError('asked to fail');
  console.log('echo', JSON.stringify(event));
  return { event, requestId: context.awsRequestId, mode: process.env.MODE ?? null };
};
`,
);
const decoder = new TextDecoder();

// Call an IAM operation over the Query protocol (Stratus does not check
// the signature of keys it did not issue).
async function iam(action, params) {
  const body = new URLSearchParams({ Action: action, Version: '2010-05-08', ...params });
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8',
      Authorization:
        'AWS4-HMAC-SHA256 Credential=AKIDSTRATUSTEST/20260101/us-east-1/iam/aws4_request, ' +
        'SignedHeaders=host, Signature=00',
    },
    body,
  });
  assert.equal(response.status, 200, await response.text());
}
const payload = (value) => new TextEncoder().encode(JSON.stringify(value));

describe('@aws-sdk/client-lambda', () => {
  test('CreateFunction then waitUntilFunctionActiveV2', async () => {
    const created = await client.send(
      new CreateFunctionCommand({
        FunctionName: FUNCTION,
        Runtime: 'nodejs20.x',
        Role: 'arn:aws:iam::123456789012:role/sdk-lambda-role',
        Handler: 'index.handler',
        Code: { S3Bucket: 'hot-reload', S3Key: code },
        Timeout: 10,
      }),
    );
    assert.equal(created.FunctionArn, `arn:aws:lambda:us-east-1:123456789012:function:${FUNCTION}`);
    assert.equal(created.State, 'Pending');
    const waited = await waitUntilFunctionActiveV2(
      { client, maxWaitTime: 30, minDelay: 1, maxDelay: 1 },
      { FunctionName: FUNCTION },
    );
    assert.equal(waited.state, 'SUCCESS');
  });

  test('Invoke returns the payload, status and log tail', async () => {
    const out = await client.send(
      new InvokeCommand({ FunctionName: FUNCTION, Payload: payload({ k: 1 }), LogType: 'Tail' }),
    );
    assert.equal(out.StatusCode, 200);
    assert.equal(out.FunctionError, undefined);
    assert.equal(out.ExecutedVersion, '$LATEST');
    const body = JSON.parse(decoder.decode(out.Payload));
    assert.deepEqual(body.event, { k: 1 });
    assert.match(body.requestId, /^[0-9a-f-]{36}$/);
    const log = Buffer.from(out.LogResult, 'base64').toString('utf8');
    assert.match(log, /START RequestId: /);
    assert.match(log, /echo \{"k":1\}/);
    assert.match(log, /REPORT RequestId: /);
  });

  test('a function error is 200 with FunctionError Unhandled', async () => {
    const out = await client.send(new InvokeCommand({ FunctionName: FUNCTION, Payload: payload({ fail: true }) }));
    assert.equal(out.StatusCode, 200);
    assert.equal(out.FunctionError, 'Unhandled');
    const body = JSON.parse(decoder.decode(out.Payload));
    assert.equal(body.errorType, 'TypeError');
    assert.equal(body.errorMessage, 'asked to fail');
    assert.ok(Array.isArray(body.trace));
  });

  test('Event is 202 and DryRun is 204', async () => {
    const event = await client.send(
      new InvokeCommand({ FunctionName: FUNCTION, InvocationType: 'Event', Payload: payload({}) }),
    );
    assert.equal(event.StatusCode, 202);
    const dry = await client.send(new InvokeCommand({ FunctionName: FUNCTION, InvocationType: 'DryRun' }));
    assert.equal(dry.StatusCode, 204);
  });

  test('UpdateFunctionConfiguration then waitUntilFunctionUpdatedV2', async () => {
    const updated = await client.send(
      new UpdateFunctionConfigurationCommand({
        FunctionName: FUNCTION,
        Environment: { Variables: { MODE: 'updated' } },
      }),
    );
    assert.equal(updated.LastUpdateStatus, 'InProgress');
    const waited = await waitUntilFunctionUpdatedV2(
      { client, maxWaitTime: 30, minDelay: 1, maxDelay: 1 },
      { FunctionName: FUNCTION },
    );
    assert.equal(waited.state, 'SUCCESS');
    const config = await client.send(new GetFunctionConfigurationCommand({ FunctionName: FUNCTION }));
    assert.deepEqual(config.Environment.Variables, { MODE: 'updated' });
    const out = await client.send(new InvokeCommand({ FunctionName: FUNCTION, Payload: payload({}) }));
    assert.equal(JSON.parse(decoder.decode(out.Payload)).mode, 'updated');
  });

  test('a reserved variable is rejected', async () => {
    await assert.rejects(
      client.send(
        new UpdateFunctionConfigurationCommand({
          FunctionName: FUNCTION,
          Environment: { Variables: { AWS_REGION: 'us-west-2' } },
        }),
      ),
      (err) => {
        assert.equal(err.name, 'InvalidParameterValueException');
        assert.equal(err.$metadata.httpStatusCode, 400);
        assert.match(err.message, /AWS_REGION/);
        return true;
      },
    );
  });

  test('a missing function is ResourceNotFoundException', async () => {
    await assert.rejects(client.send(new InvokeCommand({ FunctionName: 'sdk-lambda-missing' })), (err) => {
      assert.equal(err.name, 'ResourceNotFoundException');
      assert.equal(err.$metadata.httpStatusCode, 404);
      assert.equal(
        err.message,
        'Function not found: arn:aws:lambda:us-east-1:123456789012:function:sdk-lambda-missing',
      );
      return true;
    });
  });

  test('a throttle fault reaches the SDK as TooManyRequestsException', async () => {
    const faultUrl = `${endpoint}/_stratus/lambda/functions/${FUNCTION}/fault`;
    const set = await fetch(faultUrl, { method: 'PUT', body: JSON.stringify({ Kind: 'throttle', Count: -1 }) });
    assert.equal(set.status, 200);
    // One attempt only: the SDK retries throttling by default.
    const once = new LambdaClient({ ...clientConfig, maxAttempts: 1 });
    await assert.rejects(once.send(new InvokeCommand({ FunctionName: FUNCTION, Payload: payload({}) })), (err) => {
      assert.equal(err.name, 'TooManyRequestsException');
      assert.equal(err.$metadata.httpStatusCode, 429);
      assert.equal(err.Reason, 'ReservedFunctionConcurrentInvocationLimitExceeded');
      return true;
    });
    const cleared = await fetch(faultUrl, { method: 'DELETE' });
    assert.equal((await cleared.json()).Kind, 'none');
    const error = await fetch(`${endpoint}/_stratus/lambda/functions/${FUNCTION}/fault`, {
      method: 'PUT',
      body: JSON.stringify({ Kind: 'error', Count: 1, ErrorType: 'Injected.Error', ErrorMessage: 'from the test' }),
    });
    assert.equal(error.status, 200);
    const out = await client.send(new InvokeCommand({ FunctionName: FUNCTION, Payload: payload({}) }));
    assert.equal(out.FunctionError, 'Unhandled');
    assert.deepEqual(JSON.parse(decoder.decode(out.Payload)), {
      errorType: 'Injected.Error',
      errorMessage: 'from the test',
    });
  });

  test('a handler reaches Bedrock with the default HTTP/2 client', async () => {
    // The runtime provides @aws-sdk/client-bedrock-runtime; its default
    // request handler speaks HTTP/2, which the bootstrap routes over HTTP/1.1.
    const dir = mkdtempSync(join(tmpdir(), 'stratus-sdk-lambda-bedrock-'));
    writeFileSync(
      join(dir, 'index.mjs'),
      `import { BedrockRuntimeClient, ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
const client = new BedrockRuntimeClient({});
export const handler = async () => {
  const out = await client.send(new ConverseCommand({
    modelId: 'us.anthropic.claude-sonnet-4-20250514-v1:0',
    messages: [{ role: 'user', content: [{ text: 'Say something.' }] }],
  }));
  return { stopReason: out.stopReason, text: out.output.message.content[0].text };
};
`,
    );
    after(() => rmSync(dir, { recursive: true, force: true }));
    // Stratus checks the handler's calls against its role, as AWS does.
    await iam('CreateRole', {
      RoleName: 'sdk-lambda-bedrock-role',
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      }),
    });
    await iam('PutRolePolicy', {
      RoleName: 'sdk-lambda-bedrock-role',
      PolicyName: 'bedrock',
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'bedrock:InvokeModel', Resource: '*' }],
      }),
    });
    await client.send(
      new CreateFunctionCommand({
        FunctionName: 'sdk-lambda-bedrock',
        Runtime: 'nodejs20.x',
        Role: 'arn:aws:iam::123456789012:role/sdk-lambda-bedrock-role',
        Handler: 'index.handler',
        Code: { S3Bucket: 'hot-reload', S3Key: dir },
        Timeout: 20,
      }),
    );
    const out = await client.send(new InvokeCommand({ FunctionName: 'sdk-lambda-bedrock' }));
    const body = JSON.parse(decoder.decode(out.Payload));
    assert.equal(out.FunctionError, undefined, JSON.stringify(body));
    assert.equal(body.stopReason, 'end_turn');
    assert.ok(body.text.length > 0);
  });

  test('DeleteFunction', async () => {
    await client.send(new DeleteFunctionCommand({ FunctionName: FUNCTION }));
    await assert.rejects(client.send(new GetFunctionConfigurationCommand({ FunctionName: FUNCTION })), {
      name: 'ResourceNotFoundException',
    });
  });
});
