// Runs AWS CLI commands against the Stratus that run.sh started
// (STRATUS_ENDPOINT): Debian's AWS CLI v2 at /usr/bin/aws always, and an
// AWS CLI v1 when the first `aws` on PATH is one. Each CLI gets a
// throwaway HOME, no configuration files, dummy credentials and
// us-east-1. A guide command runs through bash, so its `$(date ...)`,
// quoting and pipes work as written, with `aws` on PATH being a wrapper
// that adds `--endpoint-url`.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { accessSync, chmodSync, constants, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export const endpoint = process.env.STRATUS_ENDPOINT;
if (!endpoint || !/^http:\/\/127\.0\.0\.1:\d+$/.test(endpoint)) {
  throw new Error(
    `STRATUS_ENDPOINT must be http://127.0.0.1:PORT, got ${JSON.stringify(endpoint)}; run this file through tests/runbook/run.sh`,
  );
}

const V2_PATH = '/usr/bin/aws';
const COMMAND_TIMEOUT_MS = 60_000;

export const workDir = mkdtempSync(join(tmpdir(), 'stratus-runbook-'));

// Removes the CLIs' homes and wrappers; the test calls it when done.
export function removeWorkDir() {
  rmSync(workDir, { recursive: true, force: true });
}

// Returns the first executable `aws` on `pathList`, as `which aws` does.
function firstAwsOnPath(pathList) {
  for (const dir of (pathList ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, 'aws');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return null;
}

// Creates the environment and the `aws` wrapper of one CLI.
function makeCli(label, binary, searchPath) {
  const home = join(workDir, label);
  const bin = join(home, 'bin');
  mkdirSync(bin, { recursive: true });

  // The wrapper puts --endpoint-url first: the CLI takes global options
  // anywhere, and `exec` makes the CLI the process a timeout stops.
  const wrapper = join(bin, 'aws');
  writeFileSync(wrapper, `#!/bin/sh\nexec '${binary}' --endpoint-url '${endpoint}' "$@"\n`);
  chmodSync(wrapper, 0o755);

  const env = {
    PATH: [bin, searchPath].join(delimiter),
    HOME: home,
    LANG: 'C.UTF-8',
    AWS_ACCESS_KEY_ID: 'AKIDSTRATUSTEST',
    AWS_SECRET_ACCESS_KEY: 'stratus-test-secret',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_PAGER: '',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: join(home, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'no-credentials'),
    // The CLI is Python: without this, output that `logs tail --follow`
    // buffered is lost when the timeout stops it.
    PYTHONUNBUFFERED: '1',
  };

  const version = spawnSync(binary, ['--version'], { env, encoding: 'utf8', timeout: COMMAND_TIMEOUT_MS });
  const versionText = `${version.stdout ?? ''}${version.stderr ?? ''}`.trim();
  return {
    label,
    binary,
    env,
    home,
    version: versionText,
    major: Number(/aws-cli\/(\d+)\./.exec(versionText)?.[1] ?? 0),
    // Exit code of a service error: 254 in v2, 255 in v1.
    serviceErrorCode: label === 'v1' ? 255 : 254,
  };
}

// Returns the CLIs to test: v2, then v1 when the first `aws` on PATH
// reports aws-cli/1.x. v1 may be a pyenv shim, so its wrapper keeps the
// caller's PATH.
export function availableClis() {
  const clis = [makeCli('v2', V2_PATH, '/usr/bin:/bin')];
  const first = firstAwsOnPath(process.env.PATH);
  if (first) {
    const v1 = makeCli('v1', first, process.env.PATH);
    if (v1.major === 1) clis.push(v1);
  }
  return clis;
}

// Parses a CLI's output: null when empty, the value when it is one JSON
// document, a list when it is several (as `jq` prints them), undefined
// otherwise.
function parseOutput(stdout) {
  const text = stdout.trim();
  if (text === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    // several documents in a row, as jq prints a stream
  }
  try {
    return JSON.parse(`[${text.replace(/\n}\n{/g, '\n},\n{')}]`);
  } catch {
    return undefined;
  }
}

// Runs one shell command line (a guide command) with `cli` in `cwd`.
// `timeoutMs` bounds commands that never end by themselves (`logs tail
// --follow`): the CLI is stopped with SIGTERM and `timedOut` is set.
export function shell(cli, command, { cwd = cli.home, timeoutMs = COMMAND_TIMEOUT_MS } = {}) {
  const started = performance.now();
  const result = spawnSync('/bin/bash', ['-c', command], {
    cwd,
    env: cli.env,
    encoding: 'utf8',
    timeout: timeoutMs,
    killSignal: 'SIGTERM',
  });
  if (result.error && result.error.code !== 'ETIMEDOUT') throw result.error;
  return {
    command,
    code: result.status,
    timedOut: result.error?.code === 'ETIMEDOUT',
    stdout: result.stdout,
    stderr: result.stderr,
    json: parseOutput(result.stdout),
    ms: performance.now() - started,
  };
}

// Runs `aws ARGS...` (no shell) with `cli`; the arguments need no quoting.
export function aws(cli, ...args) {
  const result = spawnSync(join(cli.home, 'bin', 'aws'), args, {
    cwd: cli.home,
    env: cli.env,
    encoding: 'utf8',
    timeout: COMMAND_TIMEOUT_MS,
  });
  if (result.error) throw result.error;
  return {
    command: `aws ${args.join(' ')}`,
    code: result.status,
    stdout: result.stdout,
    stderr: result.stderr,
    json: parseOutput(result.stdout),
  };
}

// Asserts that a command succeeded and printed JSON (or nothing); returns
// the parsed output.
export function ok(result) {
  assert.equal(result.code, 0, `${result.command}\nexited ${result.code}: ${result.stderr}`);
  assert.notEqual(result.json, undefined, `${result.command}\nprinted no JSON: ${result.stdout}`);
  return result.json;
}

// Converts a timestamp as the CLI prints it to milliseconds since the
// epoch: v2 prints ISO 8601 text by default, v1 prints epoch seconds.
export function timestampMs(value) {
  return typeof value === 'number' ? value * 1000 : Date.parse(value);
}
