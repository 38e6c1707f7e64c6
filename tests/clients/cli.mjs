// Shared helpers of the AWS CLI tests: run Debian's AWS CLI v2
// (/usr/bin/aws) against the Stratus that run.sh started
// (STRATUS_ENDPOINT) with throwaway credentials and configuration, and
// check its exit codes and error lines.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';

export const endpoint = process.env.STRATUS_ENDPOINT;
if (!endpoint || !/^http:\/\/127\.0\.0\.1:\d+$/.test(endpoint)) {
  throw new Error(
    `STRATUS_ENDPOINT must be http://127.0.0.1:PORT, got ${JSON.stringify(endpoint)}; run this file through run.sh`,
  );
}

const AWS_CLI = '/usr/bin/aws';
export const home = mkdtempSync(join(tmpdir(), 'stratus-cli-'));
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

// Run `aws ARGS... --endpoint-url ENDPOINT --output json` and return its
// exit code, output and the output parsed as JSON (null when empty,
// undefined when not JSON).
export function aws(...args) {
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

// Run a command that must succeed and return its JSON output.
export function awsOk(...args) {
  const result = aws(...args);
  assert.equal(result.code, 0, `aws ${args.slice(0, 2).join(' ')} exited ${result.code}: ${result.stderr}`);
  assert.notEqual(result.json, undefined, `output is not JSON: ${result.stdout}`);
  return result.json;
}

// Run a command that must fail with AWS error `code` and `message` when
// calling `operation`.
export function awsFails(operation, code, message, ...args) {
  const result = aws(...args);
  assert.equal(result.code, 254, `exit code (stdout: ${result.stdout}, stderr: ${result.stderr})`);
  assert.equal(
    result.stderr.trim(),
    `An error occurred (${code}) when calling the ${operation} operation: ${message}`,
  );
}
