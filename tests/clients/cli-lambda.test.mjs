// Lambda through Debian's AWS CLI v2 (/usr/bin/aws) against a running
// Stratus (STRATUS_ENDPOINT, set by run.sh): function management, the
// waiters, Invoke of every type with its output and exit codes, and the
// errors AWS returns. Code comes from a local directory through the
// "hot-reload" S3 bucket (the CLI rejects Stratus's Code.Directory member)
// and from a ZIP archive.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';

const endpoint = process.env.STRATUS_ENDPOINT;
if (!endpoint || !/^http:\/\/127\.0\.0\.1:\d+$/.test(endpoint)) {
  throw new Error(
    `STRATUS_ENDPOINT must be http://127.0.0.1:PORT, got ${JSON.stringify(endpoint)}; run this file through run.sh`,
  );
}

const AWS_CLI = '/usr/bin/aws';
const home = mkdtempSync(join(tmpdir(), 'stratus-cli-lambda-'));
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

function aws(...args) {
  const output = args.includes('--output') ? [] : ['--output', 'json'];
  const result = spawnSync(AWS_CLI, [...args, '--endpoint-url', endpoint, ...output], {
    env: cliEnv,
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (result.error) throw result.error;
  let json = null;
  if (result.stdout.trim() !== '') {
    try {
      json = JSON.parse(result.stdout);
    } catch {
      json = undefined;
    }
  }
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, json };
}

function awsOk(...args) {
  const result = aws(...args);
  assert.equal(result.code, 0, `aws ${args.slice(0, 2).join(' ')} exited ${result.code}: ${result.stderr}`);
  assert.notEqual(result.json, undefined, `output is not JSON: ${result.stdout}`);
  return result.json;
}

function awsFails(operation, code, message, ...args) {
  const result = aws(...args);
  assert.equal(result.code, 254, `exit code (stdout: ${result.stdout}, stderr: ${result.stderr})`);
  assert.equal(
    result.stderr.trim(),
    `An error occurred (${code}) when calling the ${operation} operation: ${message}`,
  );
}

const FUNCTION = 'cli-lambda-echo';
const ROLE = 'arn:aws:iam::123456789012:role/cli-lambda-role';
const ARN = `arn:aws:lambda:us-east-1:123456789012:function:${FUNCTION}`;
const codeDir = join(home, 'code');
spawnSync('mkdir', ['-p', codeDir]);
writeFileSync(
  join(codeDir, 'index.mjs'),
  `export const handler = async (event, context) => {
  console.log('handling', context.awsRequestId);
  if (event.fail) throw new TypeError('bad input');
  return { echo: event, name: context.functionName, region: process.env.AWS_REGION, mode: process.env.MODE ?? null };
};
`,
);
// A stored ZIP archive holding index.mjs that returns { zipped: event }.
const ZIP = Buffer.from(
  'UEsDBBQAAAAAAAAAIVxMzgStPQAAAD0AAAAJAAAAaW5kZXgubWpzZXhwb3J0IGNvbnN0IGhhbmRsZXIgPSBhc3luYyAoZXZlbnQpID0+ICh7IHppcHBlZDogZXZlbnQgfSk7ClBLAQIUAxQAAAAAAAAAIVxMzgStPQAAAD0AAAAJAAAAAAAAAAAAAACkAQAAAABpbmRleC5tanNQSwUGAAAAAAEAAQA3AAAAZAAAAAAA',
  'base64',
);

function invoke(name, payload, ...extra) {
  const outFile = join(home, `out-${Math.random().toString(36).slice(2)}.json`);
  const meta = awsOk(
    'lambda', 'invoke',
    '--function-name', name,
    '--cli-binary-format', 'raw-in-base64-out',
    '--payload', JSON.stringify(payload),
    ...extra,
    outFile,
  );
  const text = readFileSync(outFile, 'utf8');
  return { meta, text };
}

describe('aws lambda commands', () => {
  test('create-function from a local directory', () => {
    const out = awsOk(
      'lambda', 'create-function',
      '--function-name', FUNCTION,
      '--runtime', 'nodejs20.x',
      '--role', ROLE,
      '--handler', 'index.handler',
      '--timeout', '10',
      '--code', `S3Bucket=hot-reload,S3Key=${codeDir}`,
    );
    assert.equal(out.FunctionName, FUNCTION);
    assert.equal(out.FunctionArn, ARN);
    assert.equal(out.State, 'Pending');
    assert.equal(out.Timeout, 10);
    assert.equal(out.MemorySize, 128);
  });

  test('wait function-active-v2 then get-function-configuration', () => {
    const wait = aws('lambda', 'wait', 'function-active-v2', '--function-name', FUNCTION);
    assert.equal(wait.code, 0, wait.stderr);
    const out = awsOk('lambda', 'get-function-configuration', '--function-name', FUNCTION);
    assert.equal(out.State, 'Active');
    assert.equal(out.LastUpdateStatus, 'Successful');
    assert.equal(out.Runtime, 'nodejs20.x');
  });

  test('create-function again is a conflict', () => {
    awsFails(
      'CreateFunction', 'ResourceConflictException', `Function already exist: ${FUNCTION}`,
      'lambda', 'create-function',
      '--function-name', FUNCTION,
      '--runtime', 'nodejs20.x',
      '--role', ROLE,
      '--handler', 'index.handler',
      '--code', `S3Bucket=hot-reload,S3Key=${codeDir}`,
    );
  });

  test('invoke returns the handler result and a log tail', () => {
    const { meta, text } = invoke(FUNCTION, { k: 1 }, '--log-type', 'Tail');
    assert.equal(meta.StatusCode, 200);
    assert.equal(meta.ExecutedVersion, '$LATEST');
    assert.equal(meta.FunctionError, undefined);
    assert.deepEqual(JSON.parse(text), { echo: { k: 1 }, name: FUNCTION, region: 'us-east-1', mode: null });
    const log = Buffer.from(meta.LogResult, 'base64').toString('utf8');
    assert.match(log, /^START RequestId: [0-9a-f-]{36} Version: \$LATEST$/m);
    assert.match(log, /\tINFO\thandling [0-9a-f-]{36}$/m);
    assert.match(log, /^END RequestId: [0-9a-f-]{36}$/m);
    assert.match(log, /^REPORT RequestId: [0-9a-f-]{36}\tDuration: [\d.]+ ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB\t/m);
  });

  test('invoke of a failing handler exits 0 with FunctionError', () => {
    const { meta, text } = invoke(FUNCTION, { fail: true });
    assert.equal(meta.StatusCode, 200);
    assert.equal(meta.FunctionError, 'Unhandled');
    const error = JSON.parse(text);
    assert.equal(error.errorType, 'TypeError');
    assert.equal(error.errorMessage, 'bad input');
    assert.ok(Array.isArray(error.trace));
  });

  test('invoke as Event and DryRun', () => {
    assert.equal(invoke(FUNCTION, { k: 2 }, '--invocation-type', 'Event').meta.StatusCode, 202);
    assert.equal(invoke(FUNCTION, {}, '--invocation-type', 'DryRun').meta.StatusCode, 204);
  });

  test('update-function-configuration then wait function-updated', () => {
    const out = awsOk(
      'lambda', 'update-function-configuration',
      '--function-name', FUNCTION,
      '--environment', 'Variables={MODE=updated}',
    );
    assert.equal(out.LastUpdateStatus, 'InProgress');
    const wait = aws('lambda', 'wait', 'function-updated', '--function-name', FUNCTION);
    assert.equal(wait.code, 0, wait.stderr);
    const { text } = invoke(FUNCTION, { k: 3 });
    assert.equal(JSON.parse(text).mode, 'updated');
  });

  test('update-function-configuration rejects a reserved variable', () => {
    awsFails(
      'UpdateFunctionConfiguration', 'InvalidParameterValueException',
      'Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: AWS_REGION',
      'lambda', 'update-function-configuration',
      '--function-name', FUNCTION,
      '--environment', 'Variables={AWS_REGION=eu-west-1}',
    );
  });

  test('create-function from a ZIP archive', () => {
    const zipPath = join(home, 'code.zip');
    writeFileSync(zipPath, ZIP);
    const out = awsOk(
      'lambda', 'create-function',
      '--function-name', 'cli-lambda-zipped',
      '--runtime', 'nodejs22.x',
      '--role', ROLE,
      '--handler', 'index.handler',
      '--timeout', '10',
      '--zip-file', `fileb://${zipPath}`,
    );
    assert.equal(out.CodeSize, ZIP.length);
    assert.equal(out.CodeSha256, 'brQHEw/w13hswlD1jbS7INyNFS+co/r2PI17dSxmdOY=');
    const { text } = invoke('cli-lambda-zipped', { z: 1 });
    assert.deepEqual(JSON.parse(text), { zipped: { z: 1 } });
  });

  test('tag-resource, untag-resource and list-tags', () => {
    assert.equal(aws('lambda', 'tag-resource', '--resource', ARN, '--tags', 'team=cards,stage=dev,x=y').code, 0);
    assert.equal(aws('lambda', 'untag-resource', '--resource', ARN, '--tag-keys', 'x', 'stage').code, 0);
    assert.deepEqual(awsOk('lambda', 'list-tags', '--resource', ARN), { Tags: { team: 'cards' } });
  });

  test('list-functions names both functions', () => {
    const out = awsOk('lambda', 'list-functions');
    const names = out.Functions.map((f) => f.FunctionName);
    assert.ok(names.includes(FUNCTION));
    assert.ok(names.includes('cli-lambda-zipped'));
  });

  test('delete-function then get-function is not found', () => {
    const del = aws('lambda', 'delete-function', '--function-name', FUNCTION);
    assert.equal(del.code, 0, del.stderr);
    assert.equal(del.stdout, '');
    awsFails(
      'GetFunction', 'ResourceNotFoundException', `Function not found: ${ARN}`,
      'lambda', 'get-function', '--function-name', FUNCTION,
    );
    awsFails(
      'Invoke', 'ResourceNotFoundException', `Function not found: ${ARN}`,
      'lambda', 'invoke', '--function-name', FUNCTION, join(home, 'never.json'),
    );
  });
});
