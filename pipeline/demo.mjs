// demo.mjs: runs CollectIQ's main job on Stratus as a user of the web app
// would. It starts `stratus serve` with the CollectIQ stack and signs in
// (a token for a fixture user). It presigns an upload, PUTs a card image,
// creates the card and waits for the valuation workflow that EventBridge
// starts. It reads the valued card, then checks the steps of CollectIQ's
// auto-trigger deployment test with the AWS CLI: the cards_create log
// lines, the TriggeredRules metric, the executions and the stored item.
// Each step is printed with its duration.
//
// usage: node pipeline/demo.mjs [--build-dir DIR] [--image FILE]
//                              [--user NAME] [--keep]
// scripts/demo.sh runs it from the repository root.

import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { basename, extname, resolve } from 'node:path';
import { parseArgs, promisify } from 'node:util';

import { CollectiqApi, sfnClient, uploadToPresignedUrl, waitForExecution } from './api-client.mjs';
import { REPO_ROOT, STATE_MACHINE_ARN, TABLE_NAME, startStratus } from './local-stack.mjs';

const execFileAsync = promisify(execFile);

// The SDK warns once per process that Node.js 20 will lose support in
// 2027; that line would split the demo's step output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const USAGE = `usage: node pipeline/demo.mjs [options]
  --build-dir DIR  directory with the stratus binary (default build)
  --image FILE     card image to upload (default fixtures/cards/pikachu-ex-a1-096.jpg)
  --user NAME      fixture user from fixtures/auth/users.json (default alice)
  --keep           keep the data directory and print its path`;

function parseOptions() {
  const { values } = parseArgs({
    options: {
      'build-dir': { type: 'string', default: 'build' },
      image: { type: 'string', default: 'fixtures/cards/pikachu-ex-a1-096.jpg' },
      user: { type: 'string', default: 'alice' },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  return values;
}

// The AWS CLI v2 that Debian installs, unless STRATUS_AWS_CLI names another.
function awsCli() {
  if (process.env.STRATUS_AWS_CLI) return process.env.STRATUS_AWS_CLI;
  return existsSync('/usr/bin/aws') ? '/usr/bin/aws' : 'aws';
}

// The log lines of cards_create around the auto-trigger event.
const AUTO_TRIGGER_LOG_LINES = [
  'Card created successfully',
  'Emitting CardCreated event for auto-trigger',
  'CardCreated event emitted successfully',
];

let stepNumber = 0;

// Runs one step, printing its title, duration and the lines `fn` returns.
async function step(title, fn) {
  stepNumber += 1;
  const started = performance.now();
  process.stdout.write(`${String(stepNumber).padStart(2)}. ${title} ... `);
  let lines;
  try {
    lines = await fn();
  } catch (error) {
    const ms = (performance.now() - started).toFixed(0);
    process.stdout.write(`failed after ${ms} ms\n`);
    throw error;
  }
  process.stdout.write(`${(performance.now() - started).toFixed(0)} ms\n`);
  for (const line of [lines ?? []].flat()) process.stdout.write(`      ${line}\n`);
}

// Wraps `fn` for a step that needs a service this build may lack
// (CloudWatch, CloudWatch Logs). Stratus rejects a request to an unknown
// service with UnknownOperationException, which becomes a note instead of
// a failure.
function unlessServiceMissing(fn) {
  return async () => {
    try {
      return await fn();
    } catch (error) {
      const text = `${error.message}\n${error.stderr ?? ''}`;
      if (!/UnknownOperationException/.test(text)) throw error;
      return 'skipped: this build of Stratus does not serve that API';
    }
  };
}

function expectStatus(response, status, request) {
  if (response.status !== status) {
    const body = typeof response.body === 'string' ? response.body : JSON.stringify(response.body);
    throw new Error(`${request}: expected HTTP ${status}, got ${response.status}: ${body}`);
  }
}

async function runDemo(options, server) {
  const imagePath = resolve(REPO_ROOT, options.image);
  if (!existsSync(imagePath)) throw new Error(`card image not found: ${imagePath}`);
  const image = readFileSync(imagePath);
  const contentType = extname(imagePath).toLowerCase() === '.png' ? 'image/png' : 'image/jpeg';
  const cli = awsCli();
  const aws = (args) => execFileAsync(cli, ['--endpoint-url', server.endpoint, '--output', 'json', ...args],
    { env: server.env, timeout: 30000 });

  let api;
  await step(`Mint a token for ${options.user} (stratus token)`, async () => {
    api = new CollectiqApi(server.apiEndpoint, await server.token(options.user));
    return `HTTP API ${server.apiEndpoint}`;
  });

  let upload;
  await step('POST /upload/presign', async () => {
    const response = await api.presignUpload(basename(imagePath), contentType, image.length);
    expectStatus(response, 200, 'presign');
    upload = response.body;
    return `key ${upload.key} (URL valid ${upload.expiresIn} s)`;
  });

  await step(`PUT ${basename(imagePath)} (${image.length} bytes) to the presigned URL`, async () => {
    const response = await uploadToPresignedUrl(upload.uploadUrl, image, contentType);
    if (response.status !== 200) throw new Error(`upload: HTTP ${response.status}: ${response.body}`);
    return 'HTTP 200';
  });

  let card;
  const idempotencyKey = randomUUID();
  await step('POST /cards with an Idempotency-Key', async () => {
    const response = await api.createCard({ frontS3Key: upload.key }, idempotencyKey);
    expectStatus(response, 201, 'create card');
    card = response.body;
    return [`card ${card.cardId}`, `Idempotency-Key ${idempotencyKey}`];
  });

  let execution;
  await step('Wait for the valuation execution (EventBridge rule -> Step Functions)', async () => {
    execution = await waitForExecution(sfnClient(server.endpoint), card.cardId);
    const seconds = (execution.stopDate - execution.startDate) / 1000;
    return [`${execution.name}: ${execution.status} after ${seconds.toFixed(2)} s`];
  });
  if (execution.status !== 'SUCCEEDED') throw new Error(`execution ended ${execution.status}`);

  await step(`GET /cards/${card.cardId}`, async () => {
    const response = await api.getCard(card.cardId);
    expectStatus(response, 200, 'get card');
    const valued = response.body;
    if (valued.authenticityScore === undefined || valued.valueMedian === undefined) {
      throw new Error(`the card was not valued: ${JSON.stringify(valued)}`);
    }
    return [
      `name ${valued.name ?? '(none)'}, set ${valued.set ?? '(none)'}`,
      `authenticityScore ${valued.authenticityScore}`,
      `valueLow ${valued.valueLow}, valueMedian ${valued.valueMedian}, valueHigh ${valued.valueHigh}`,
    ];
  });

  await step('aws logs filter-log-events (cards_create)', unlessServiceMissing(async () => {
    const { stdout } = await aws(['logs', 'filter-log-events',
      '--log-group-name', '/aws/lambda/collectiq-hackathon-cards-create',
      '--filter-pattern', '?"Card created successfully" ?"CardCreated event"']);
    const messages = JSON.parse(stdout).events.map((event) => JSON.parse(event.message.split('\t').at(-1)).message);
    for (const expected of AUTO_TRIGGER_LOG_LINES) {
      if (!messages.includes(expected)) throw new Error(`log line missing: ${expected}`);
    }
    return messages;
  }));

  // The deployment guide queries by RuleName alone, which matches only
  // rules on the default bus. This rule is on the custom bus, so its
  // datapoints carry EventBusName too.
  await step('aws cloudwatch get-metric-statistics (TriggeredRules)', unlessServiceMissing(async () => {
    const triggered = async (dimensions) => {
      const now = Date.now();
      const { stdout } = await aws(['cloudwatch', 'get-metric-statistics',
        '--namespace', 'AWS/Events', '--metric-name', 'TriggeredRules', '--dimensions', ...dimensions,
        '--start-time', new Date(now - 300000).toISOString(), '--end-time', new Date(now + 60000).toISOString(),
        '--period', '300', '--statistics', 'Sum']);
      const points = JSON.parse(stdout).Datapoints;
      return points.length === 0 ? 'no datapoints' : `Sum ${points.reduce((total, p) => total + p.Sum, 0)}`;
    };
    const rule = 'Name=RuleName,Value=card_created_auto_revalue';
    return [
      `RuleName only (the guide's query): ${await triggered([rule])}`,
      `EventBusName and RuleName: ${await triggered(['Name=EventBusName,Value=collectiq-hackathon-events', rule])}`,
    ];
  }));

  await step('aws stepfunctions list-executions', async () => {
    const { stdout } = await aws(['stepfunctions', 'list-executions', '--state-machine-arn', STATE_MACHINE_ARN]);
    return JSON.parse(stdout).executions.map((e) => `${e.name}  ${e.status}`);
  });

  await step('aws dynamodb get-item', async () => {
    const key = JSON.stringify({ PK: { S: `USER#${card.userId}` }, SK: { S: `CARD#${card.cardId}` } });
    const { stdout } = await aws(['dynamodb', 'get-item', '--table-name', TABLE_NAME, '--key', key]);
    const item = JSON.parse(stdout).Item;
    return [
      `authenticityScore ${item.authenticityScore?.N}`,
      `valueMedian ${item.valueMedian?.N}`,
      `attributes: ${Object.keys(item).sort().join(', ')}`,
    ];
  });
}

async function main() {
  const options = parseOptions();
  if (options.help) {
    console.log(USAGE);
    return 0;
  }
  console.log('CollectIQ on Stratus: upload a card and value it\n');
  let server;
  await step('Start stratus serve with pipeline/stack.yaml', async () => {
    server = await startStratus({ buildDir: options['build-dir'], keepData: options.keep });
    return [
      `health answered 200 after ${server.healthMs.toFixed(1)} ms`,
      `AWS APIs ${server.endpoint}, data ${server.dataDir}`,
    ];
  });
  try {
    await runDemo(options, server);
    console.log('\nThe card was uploaded, created and valued.');
    return 0;
  } catch (error) {
    console.error(`\ndemo failed: ${error.message}`);
    console.error('--- last lines of the stratus serve log ---');
    console.error(server.log().split('\n').slice(-40).join('\n'));
    return 1;
  } finally {
    await server.stop();
    if (options.keep) console.log(`data kept in ${server.dataDir}`);
  }
}

process.exitCode = await main();
