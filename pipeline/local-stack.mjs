// local-stack.mjs: starts `stratus serve` with the CollectIQ stack for the
// demo and the end-to-end tests. The server gets a new data directory and
// two free loopback ports (AWS APIs and HTTP API), runs from the
// repository root so the stack's relative paths resolve, and is stopped
// by its pid.

import { execFile, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';
export const STATE_MACHINE_ARN =
  `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:collectiq-hackathon-card-valuation`;
export const TABLE_NAME = 'collectiq-hackathon-cards';

// Loads an AWS SDK package from pipeline/handlers/node_modules, which the
// functions need anyway, so the demo and the tests install nothing else.
export const requireSdk = createRequire(join(REPO_ROOT, 'pipeline/handlers/package.json'));

const HEALTH_POLL_MS = 5;
const HEALTH_TIMEOUT_MS = 15000;
const START_ATTEMPTS = 5;

// Returns a port that was free a moment ago on 127.0.0.1. Another process
// may take it before Stratus binds it; startStratus then retries.
function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

async function healthy(endpoint) {
  try {
    const response = await fetch(`${endpoint}/_stratus/health`, { signal: AbortSignal.timeout(1000) });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}

// Environment for AWS SDK and CLI calls that reach only this Stratus:
// dummy credentials, no shared config files and no metadata lookups.
export function localAwsEnv(endpoint, workDir) {
  const env = {
    ...process.env,
    AWS_ACCESS_KEY_ID: 'AKIDSTRATUSDEMO',
    AWS_SECRET_ACCESS_KEY: 'stratus-demo-secret',
    AWS_REGION: REGION,
    AWS_DEFAULT_REGION: REGION,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: join(workDir, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(workDir, 'no-aws-credentials'),
    AWS_ENDPOINT_URL: endpoint,
    AWS_PAGER: '',
  };
  delete env.AWS_PROFILE;
  delete env.AWS_SESSION_TOKEN;
  return env;
}

// Starts one server and waits for its health check. Returns the handle,
// or null when the process exited first (for example, a port was taken).
async function startOnce(stratus, stackFile, workDir, logLevel, extraArgs) {
  const port = await freePort();
  let apiPort = await freePort();
  if (apiPort === port) apiPort = await freePort();
  const dataDir = join(workDir, `data-${port}`);
  const args = ['serve', '--data-dir', dataDir, '--port', String(port),
    '--api-port', String(apiPort), '--log-level', logLevel];
  if (stackFile) args.push('--stack', stackFile);
  args.push(...extraArgs);

  const started = performance.now();
  const child = spawn(stratus, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = [];
  const keep = (chunk) => {
    log.push(chunk);
    if (log.length > 2000) log.splice(0, 1000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exited = false;
  child.on('exit', () => { exited = true; });

  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = started + HEALTH_TIMEOUT_MS;
  while (performance.now() < deadline && !exited) {
    if (await healthy(endpoint)) {
      return {
        child, dataDir, endpoint, port, apiPort,
        apiEndpoint: `http://127.0.0.1:${apiPort}`,
        healthMs: performance.now() - started,
        log: () => Buffer.concat(log).toString('utf8'),
      };
    }
    await sleep(HEALTH_POLL_MS);
  }
  if (!exited) child.kill('SIGKILL');
  return { failed: true, log: Buffer.concat(log).toString('utf8') };
}

// Starts `stratus serve` from `buildDir` (default build/) with the stack
// file (default: the server's own default, pipeline/stack.yaml) and any
// `extraArgs` (such as ['--iam', 'off']). Returns {endpoint, apiEndpoint,
// healthMs, env, token(user), stop(), log()}.
export async function startStratus({
  buildDir = 'build', stackFile, logLevel = 'info', keepData = false, extraArgs = [],
} = {}) {
  const stratus = resolve(REPO_ROOT, buildDir, 'stratus');
  if (!existsSync(stratus)) {
    throw new Error(`stratus binary not found at ${stratus}: build it first (make -C ${buildDir} stratus)`);
  }
  if (!existsSync(join(REPO_ROOT, 'pipeline/handlers/node_modules/@aws-sdk/client-dynamodb'))) {
    throw new Error('missing npm packages in pipeline/handlers: run npm ci there (scripts/setup.sh does)');
  }
  const workDir = mkdtempSync(join(tmpdir(), 'stratus-pipeline-'));
  let server;
  let lastLog = '';
  for (let attempt = 0; attempt < START_ATTEMPTS && !server; attempt++) {
    const result = await startOnce(stratus, stackFile, workDir, logLevel, extraArgs);
    if (result.failed) lastLog = result.log;
    else server = result;
  }
  if (!server) {
    rmSync(workDir, { recursive: true, force: true });
    throw new Error(`stratus serve did not become healthy in ${START_ATTEMPTS} attempts; last log:\n${lastLog}`);
  }

  const env = localAwsEnv(server.endpoint, workDir);
  return {
    ...server,
    workDir,
    env,
    stratus,
    // Mints a JWT for a fixture user with `stratus token`.
    async token(user = 'alice', extraArgs = []) {
      const { stdout } = await execFileAsync(stratus, ['token', '--user', user, ...extraArgs], { cwd: REPO_ROOT });
      return stdout.trim();
    },
    async stop() {
      if (server.child.exitCode === null && server.child.signalCode === null) {
        const exited = new Promise((done) => server.child.once('exit', done));
        server.child.kill('SIGTERM');
        const timer = setTimeout(() => server.child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      if (!keepData) rmSync(workDir, { recursive: true, force: true });
    },
  };
}
