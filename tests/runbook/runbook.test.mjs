// CollectIQ's auto-trigger deployment guide run as a test against Stratus
// with pipeline/stack.yaml, started by tests/runbook/run.sh. Every `aws`
// command of the guide's verification steps (5.1-5.4), Tests 1-3,
// Monitoring, Troubleshooting Issues 1-4 and Rollback options 1-2 runs as
// the guide writes it, with the AWS CLI v2 and, when the machine has one
// first on PATH, the AWS CLI v1. Cards are uploaded through the HTTP API
// as the web app does. Where the guide's expected output differs from what
// AWS returns, the test asserts AWS's behaviour, and a comment says what
// the guide claims.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { availableClis, aws, endpoint, ok, removeWorkDir, shell, timestampMs } from './cli.mjs';
import { GUIDE_PATH, REPO_ROOT, loadGuide } from './guide.mjs';

const apiEndpoint = process.env.STRATUS_API_ENDPOINT;
const stratusBin = process.env.STRATUS_BIN;
if (!apiEndpoint || !/^http:\/\/127\.0\.0\.1:\d+$/.test(apiEndpoint) || !stratusBin) {
  throw new Error('STRATUS_API_ENDPOINT and STRATUS_BIN are not set; run this file through tests/runbook/run.sh');
}

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const FUNCTION_NAME = 'collectiq-hackathon-cards-create';
const BUS = 'collectiq-hackathon-events';
const RULE = 'card_created_auto_revalue';
const STATE_MACHINE_ARN = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:collectiq-hackathon-card-valuation`;
const EXECUTION_ARN_PREFIX = `arn:aws:states:${REGION}:${ACCOUNT}:execution:collectiq-hackathon-card-valuation:`;
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/collectiq-hackathon-eventbridge-sfn-role`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// AWS CLI v2's default timestamp format (cli_timestamp_format = iso8601).
const ISO_8601 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00$/;
const CARD_FILE = 'pikachu-ex-a1-096.jpg';
// Delay (ms) the Bedrock stand-in adds to each Converse response during
// Tests 1-3. An execution makes two Converse calls one after the other,
// so it stays RUNNING for over 10 s, as with real Bedrock calls. Test 1
// needs that long: it tails the logs and reads the metric (about 6 s on
// a loaded machine) before it lists the RUNNING executions.
const BEDROCK_LATENCY_MS = 5000;
const POLL_MS = 500;
const POLL_ATTEMPTS = 120;
// How long Rollback tests wait for an execution that must not start.
const NO_EXECUTION_WAIT_MS = 2000;

const guide = loadGuide();
const clis = availableClis();
after(removeWorkDir);

// Counts over the whole run (all CLIs share one server): cards whose
// cards_create logged "CardCreated event emitted successfully", and those
// whose event the enabled rule delivered to Step Functions.
// NOTE: the guide's metric queries look back 5 and 10 minutes, so these
// totals match them only while the whole run takes less than 5 minutes
// (about 2 on an idle machine).
const totals = { emitted: 0, triggered: 0 };

const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

function token(user) {
  return execFileSync(stratusBin, ['token', '--user', user], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
}

// Sends one HTTP API request as the web app does. Returns {status, body}.
async function api(method, path, { bearer, body, headers = {} } = {}) {
  const response = await fetch(`${apiEndpoint}${path}`, {
    method,
    headers: { Authorization: `Bearer ${bearer}`, 'Content-Type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(35_000),
  });
  const text = await response.text();
  const type = response.headers.get('content-type') ?? '';
  return { status: response.status, body: text && type.includes('json') ? JSON.parse(text) : text };
}

// Uploads the fixture card image (presign, PUT, POST /cards with an
// Idempotency-Key) as alice. Returns the created card.
async function uploadCard(bearer) {
  const bytes = readFileSync(join(REPO_ROOT, 'fixtures/cards', CARD_FILE));
  const presign = await api('POST', '/upload/presign', {
    bearer,
    body: { filename: CARD_FILE, contentType: 'image/jpeg', sizeBytes: bytes.length },
  });
  assert.equal(presign.status, 200, JSON.stringify(presign.body));
  assert.equal(presign.body.expiresIn, 60);
  const put = await fetch(presign.body.uploadUrl, {
    method: 'PUT',
    headers: { 'Content-Type': 'image/jpeg' },
    body: bytes,
    signal: AbortSignal.timeout(30_000),
  });
  assert.equal(put.status, 200, await put.text());
  const created = await api('POST', '/cards', {
    bearer,
    body: { frontS3Key: presign.body.key },
    headers: { 'Idempotency-Key': randomUUID() },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  assert.equal(created.body.frontS3Key, presign.body.key);
  return created.body;
}

// The web app's "Refresh" button: POST /cards/{cardId}/revalue.
async function revalueCard(bearer, cardId) {
  const response = await api('POST', `/cards/${cardId}/revalue`, {
    bearer,
    body: { forceRefresh: true },
    headers: { 'Idempotency-Key': randomUUID() },
  });
  assert.equal(response.status, 202, JSON.stringify(response.body));
  assert.equal(response.body.status, 'RUNNING');
  return response.body;
}

async function setBedrockLatency(latencyMs) {
  const response = await fetch(`${endpoint}/_stratus/bedrock/faults`, {
    method: latencyMs ? 'POST' : 'DELETE',
    headers: { 'Content-Type': 'application/json' },
    body: latencyMs ? JSON.stringify({ kind: 'none', count: -1, latencyMs }) : undefined,
  });
  assert.ok(response.status < 300, `Bedrock fault endpoint: HTTP ${response.status} ${await response.text()}`);
}

function describeExecution(cli, executionArn) {
  return ok(aws(cli, 'stepfunctions', 'describe-execution', '--execution-arn', executionArn));
}

function listExecutions(cli, ...filter) {
  return ok(aws(cli, 'stepfunctions', 'list-executions', '--state-machine-arn', STATE_MACHINE_ARN,
    '--max-results', '100', ...filter)).executions;
}

// Waits until no execution of the card-valuation machine is RUNNING.
async function waitForIdle(cli) {
  for (let attempt = 0; attempt < POLL_ATTEMPTS; attempt++) {
    if (listExecutions(cli, '--status-filter', 'RUNNING').length === 0) return;
    await sleep(POLL_MS);
  }
  assert.fail(`executions still RUNNING after ${(POLL_ATTEMPTS * POLL_MS) / 1000} s`);
}

// Returns the execution whose input belongs to `cardId` and whose name is
// a UUID, which is how EventBridge names the executions it starts.
function eventBridgeExecution(cli, executions, cardId) {
  const found = executions.filter((execution) => UUID.test(execution.name)
    && JSON.parse(describeExecution(cli, execution.executionArn).input).cardId === cardId);
  assert.equal(found.length, 1, `EventBridge executions of card ${cardId}: ${JSON.stringify(found)}`);
  return found[0];
}

// Adds the EventBusName dimension after the guide's RuleName dimension.
function withBusDimension(command) {
  const fixed = command.replace(`Name=RuleName,Value=${RULE}`, `Name=RuleName,Value=${RULE} Name=EventBusName,Value=${BUS}`);
  assert.notEqual(fixed, command, `no RuleName dimension in: ${command}`);
  return fixed;
}

function datapointSum(output) {
  return output.Datapoints.reduce((sum, point) => sum + point.Sum, 0);
}

// Runs a get-metric-statistics command until its Sum reaches `expected`
// (rule metrics are counted when the rule delivers the event, shortly
// after PutEvents returns). Returns the last output.
async function metricReaching(cli, command, expected) {
  let output;
  for (let attempt = 0; attempt < 20; attempt++) {
    output = ok(shell(cli, command));
    if (datapointSum(output) >= expected) break;
    await sleep(250);
  }
  return output;
}

// Parses the guide's 5.3 example, which elides members with "...".
function guideTargetExample() {
  const text = guide.jsonBlock('5.3')
    .replace(/^\s*\.\.\.\s*$/gm, '')
    .replace(/,(\s*[}\]])/g, '$1');
  return JSON.parse(text).Targets[0];
}

function runbookSuite(cli) {
  const v2 = cli.label === 'v2';
  let bearer;
  let originalVariables;
  let test1Card;
  let test1ExecutionArn;
  let test2ExecutionArn;

  before(() => {
    bearer = token('alice');
  });

  describe('Step 5 verification', () => {
    test('5.1 function environment', () => {
      const variables = ok(shell(cli, guide.awsCommand('5.1')));
      const guideExpected = JSON.parse(guide.jsonBlock('5.1'));
      for (const [name, value] of Object.entries(guideExpected)) {
        assert.equal(variables[name], value, name);
      }
      // The guide shows four variables. CollectIQ's Terraform sets three
      // more on this function, and AWS returns the whole map.
      assert.deepEqual(variables, {
        ...guideExpected,
        S3_BUCKET: `collectiq-hackathon-uploads-${ACCOUNT}`,
        COGNITO_USER_POOL_ID: '',
        XRAY_ENABLED: 'false',
      });
      originalVariables = variables;
    });

    test('5.2 rule on the custom bus', () => {
      const rules = ok(shell(cli, guide.awsCommand('5.2')));
      assert.equal(rules.length, 1);
      const { EventPattern, ...shown } = rules[0];
      // ListRules also returns EventPattern, which the guide's example
      // leaves out.
      assert.deepEqual(shown, JSON.parse(guide.jsonBlock('5.2'))[0]);
      assert.deepEqual(JSON.parse(EventPattern), { source: ['collectiq.cards'], 'detail-type': ['CardCreated'] });
    });

    test('5.3 Step Functions target', () => {
      const { Targets } = ok(shell(cli, guide.awsCommand('5.3')));
      assert.equal(Targets.length, 1);
      const target = Targets[0];
      const example = guideTargetExample();
      assert.equal(target.Id, example.Id);
      assert.equal(target.Arn, example.Arn);
      assert.equal(target.RoleArn, example.RoleArn);
      for (const [name, path] of Object.entries(example.InputTransformer.InputPathsMap)) {
        assert.equal(target.InputTransformer.InputPathsMap[name], path, name);
      }
      assert.equal(Object.keys(target.InputTransformer.InputPathsMap).length, 10);
      // Every placeholder sits inside quotes, so the template becomes JSON
      // once the values are inserted.
      const rendered = JSON.parse(target.InputTransformer.InputTemplate.replace(/<(\w+)>/g, 'value-$1'));
      assert.equal(rendered.cardId, 'value-cardId');
      assert.equal(rendered.requestId, 'value-cardId');
      assert.deepEqual(rendered.s3Keys, { front: 'value-frontS3Key' });
      // The guide elides the rest; the deployed target also has a retry
      // policy and a dead-letter queue.
      assert.deepEqual(target.RetryPolicy, { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 86400 });
      assert.equal(target.DeadLetterConfig.Arn, `arn:aws:sqs:${REGION}:${ACCOUNT}:collectiq-hackathon-events-dlq`);
    });

    test('5.4 EventBridge role', () => {
      const { Role } = ok(shell(cli, guide.awsCommand('5.4')));
      assert.equal(Role.RoleName, 'collectiq-hackathon-eventbridge-sfn-role');
      assert.equal(Role.Arn, ROLE_ARN);
      assert.equal(Role.Path, '/');
      assert.match(Role.RoleId, /^AROA[A-Z0-9]{17}$/);
      const trust = Role.AssumeRolePolicyDocument;
      assert.equal(trust.Statement[0].Principal.Service, 'events.amazonaws.com');
      assert.equal(trust.Statement[0].Action, 'sts:AssumeRole');
      // "Verify the role has permission to invoke Step Functions": the
      // guide gives no command, so read the role's inline policy.
      const { PolicyNames } = ok(aws(cli, 'iam', 'list-role-policies', '--role-name', Role.RoleName));
      assert.deepEqual(PolicyNames, ['collectiq-hackathon-eventbridge-sfn-policy']);
      const { PolicyDocument } = ok(aws(cli, 'iam', 'get-role-policy', '--role-name', Role.RoleName,
        '--policy-name', PolicyNames[0]));
      const statement = PolicyDocument.Statement[0];
      assert.equal(statement.Effect, 'Allow');
      assert.deepEqual([statement.Action].flat(), ['states:StartExecution']);
      assert.deepEqual([statement.Resource].flat(), [STATE_MACHINE_ARN]);
    });
  });

  describe('Test 1 end-to-end flow', () => {
    before(() => setBedrockLatency(BEDROCK_LATENCY_MS));

    test('card upload through HTTP API', async () => {
      test1Card = await uploadCard(bearer);
      totals.emitted++;
      totals.triggered++;
      assert.match(test1Card.cardId, UUID);
    });

    test('logs tail --follow', { skip: v2 ? false : 'AWS CLI v1 has no logs tail' }, () => {
      // --follow never ends by itself: stop it after 4 s.
      const result = shell(cli, guide.awsCommand('Test 1', 'logs tail'), { timeoutMs: 4000 });
      assert.ok(result.timedOut, `logs tail --follow ended by itself (exit ${result.code}): ${result.stderr}`);
      const lines = result.stdout.split('\n').filter((line) => line.includes(test1Card.cardId));
      for (const message of ['Card created successfully', 'Emitting CardCreated event for auto-trigger',
        'CardCreated event emitted successfully']) {
        assert.ok(lines.some((line) => line.includes(message)), `no "${message}" line for the card in:\n${result.stdout}`);
      }
      // Each line: ISO 8601 time, the stream name Lambda gives, the message.
      assert.match(lines[0], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+\+00:00 \d{4}\/\d\d\/\d\d\/\[\$LATEST\][0-9a-f]{32} /);
    });

    test('TriggeredRules metric', async () => {
      const command = guide.awsCommand('Test 1', 'get-metric-statistics');
      // The guide expects "Sum: 1". AWS publishes the metrics of a rule on
      // a custom bus with the dimensions RuleName and EventBusName, and
      // GetMetricStatistics matches dimensions exactly, so the guide's
      // RuleName-only query finds no datapoints.
      const asWritten = ok(shell(cli, command));
      assert.deepEqual(asWritten, { Label: 'TriggeredRules', Datapoints: [] });

      const output = await metricReaching(cli, withBusDimension(command), totals.triggered);
      assert.equal(output.Label, 'TriggeredRules');
      assert.equal(datapointSum(output), totals.triggered);
      for (const point of output.Datapoints) {
        assert.equal(point.Unit, 'Count');
        if (v2) assert.match(point.Timestamp, ISO_8601);
      }
    });

    test('list-executions shows RUNNING', () => {
      const { executions } = ok(shell(cli, guide.awsCommand('Test 1', 'list-executions')));
      assert.ok(executions.length >= 1, 'no RUNNING execution');
      for (const execution of executions) {
        assert.equal(execution.status, 'RUNNING');
        assert.equal(execution.stateMachineArn, STATE_MACHINE_ARN);
        assert.equal(execution.executionArn, `${EXECUTION_ARN_PREFIX}${execution.name}`);
        if (v2) assert.match(execution.startDate, ISO_8601);
      }
      test1ExecutionArn = eventBridgeExecution(cli, executions, test1Card.cardId).executionArn;
    });

    test('get-item shows the valuation', async () => {
      const command = guide.awsCommand('Test 1', 'dynamodb get-item')
        .replace('<userId>', test1Card.userId)
        .replace('<cardId>', test1Card.cardId);
      let item;
      for (let attempt = 0; attempt < POLL_ATTEMPTS && !item?.valueMedian; attempt++) {
        if (attempt > 0) await sleep(POLL_MS);
        item = ok(shell(cli, command)).Item;
      }
      assert.ok(item, 'the card item is missing');
      assert.equal(item.cardId.S, test1Card.cardId);
      assert.ok(Number(item.authenticityScore?.N) >= 0, `authenticityScore: ${JSON.stringify(item.authenticityScore)}`);
      assert.ok(Number(item.valueMedian?.N) > 0, `valueMedian: ${JSON.stringify(item.valueMedian)}`);
    });
  });

  describe('Test 2 manual trigger', () => {
    test('revalue starts a new execution', async () => {
      await waitForIdle(cli);
      const started = Date.now();
      const revalue = await revalueCard(bearer, test1Card.cardId);
      test2ExecutionArn = revalue.executionArn;
      // cards_revalue names its executions <cardId>-<uuid>.
      assert.ok(revalue.executionArn.startsWith(`${EXECUTION_ARN_PREFIX}${test1Card.cardId}-`), revalue.executionArn);

      const { executions } = ok(shell(cli, guide.awsCommand('Test 2')));
      assert.ok(executions.length <= 5);
      const newest = executions.find((execution) => execution.executionArn === revalue.executionArn);
      assert.ok(newest, `${revalue.executionArn} is not listed`);
      assert.match(newest.name.slice(test1Card.cardId.length + 1), UUID);
      if (v2) assert.match(newest.startDate, ISO_8601);
      const startMs = timestampMs(newest.startDate);
      assert.ok(Math.abs(startMs - started) < 60_000, `startDate ${newest.startDate} is not recent`);
      assert.equal(executions[0].executionArn, revalue.executionArn, 'the newest execution is listed first');
    });
  });

  describe('Test 3 idempotency check', () => {
    after(() => setBedrockLatency(0));

    test('upload then Refresh runs twice', async () => {
      await waitForIdle(cli);
      const card = await uploadCard(bearer);
      totals.emitted++;
      totals.triggered++;
      const revalue = await revalueCard(bearer, card.cardId);

      const { executions } = ok(shell(cli, guide.awsCommand('Test 3')));
      const running = executions.filter((execution) => execution.status === 'RUNNING');
      // The guide expects only one running execution. cards_revalue looks for a
      // RUNNING execution named <cardId>-..., but EventBridge names its
      // execution with a UUID, so the check misses it and AWS runs two.
      assert.equal(running.length, 2, JSON.stringify(running));
      assert.ok(running.some((execution) => execution.executionArn === revalue.executionArn));
      eventBridgeExecution(cli, running, card.cardId);
      await waitForIdle(cli);
    });
  });

  describe('Monitoring', () => {
    test('put-dashboard from dashboard.json', () => {
      const body = guide.jsonBlock('CloudWatch Dashboards');
      writeFileSync(join(cli.home, 'dashboard.json'), body);
      const output = ok(shell(cli, guide.awsCommand('CloudWatch Dashboards')));
      assert.deepEqual(output, { DashboardValidationMessages: [] });

      const stored = ok(aws(cli, 'cloudwatch', 'get-dashboard', '--dashboard-name', 'CollectIQ-AutoTrigger'));
      assert.equal(stored.DashboardName, 'CollectIQ-AutoTrigger');
      // Dashboards are global: their ARN has no region.
      assert.equal(stored.DashboardArn, `arn:aws:cloudwatch::${ACCOUNT}:dashboard/CollectIQ-AutoTrigger`);
      assert.deepEqual(JSON.parse(stored.DashboardBody), JSON.parse(body));
    });

    test('both alarms INSUFFICIENT_DATA', () => {
      const commands = guide.awsCommands('CloudWatch Alarms');
      assert.equal(commands.length, 2);
      for (const command of commands) {
        const result = shell(cli, command);
        assert.equal(result.code, 0, `${command}\n${result.stderr}`);
        assert.equal(result.stdout, '');
      }
      const names = ['collectiq-eventbridge-failures', 'collectiq-stepfunctions-failures'];
      const { MetricAlarms } = ok(aws(cli, 'cloudwatch', 'describe-alarms', '--alarm-names', ...names));
      assert.deepEqual(MetricAlarms.map((alarm) => alarm.AlarmName), names);
      // Neither alarm names a dimension. AWS sends FailedInvocations only
      // per rule and only when it is non-zero, and ExecutionsFailed only
      // per StateMachineArn, so both alarms have no data.
      for (const alarm of MetricAlarms) {
        assert.equal(alarm.AlarmArn, `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${alarm.AlarmName}`);
        assert.equal(alarm.StateValue, 'INSUFFICIENT_DATA');
        assert.deepEqual(alarm.Dimensions, []);
        assert.equal(alarm.Statistic, 'Sum');
        assert.equal(alarm.Period, 300);
        assert.equal(alarm.ComparisonOperator, 'GreaterThanThreshold');
      }
      assert.deepEqual(MetricAlarms.map((alarm) => [alarm.Namespace, alarm.MetricName, alarm.Threshold]),
        [['AWS/Events', 'FailedInvocations', 1], ['AWS/States', 'ExecutionsFailed', 3]]);
    });

    test('AWS/States metrics need StateMachineArn', () => {
      // The dashboard and the "Key Metrics" table read AWS/States
      // ExecutionsStarted without dimensions. AWS publishes it only with
      // StateMachineArn, so the dimensionless series stays empty.
      const window = ['--start-time', new Date(Date.now() - 600_000).toISOString(),
        '--end-time', new Date(Date.now() + 60_000).toISOString(), '--period', '300', '--statistics', 'Sum'];
      const metric = ['cloudwatch', 'get-metric-statistics', '--namespace', 'AWS/States', '--metric-name', 'ExecutionsStarted'];
      assert.deepEqual(ok(aws(cli, ...metric, ...window)).Datapoints, []);
      const perMachine = ok(aws(cli, ...metric, '--dimensions', `Name=StateMachineArn,Value=${STATE_MACHINE_ARN}`, ...window));
      assert.ok(datapointSum(perMachine) >= 3, JSON.stringify(perMachine));
    });
  });

  describe('Troubleshooting', () => {
    test('Issue 1 log filter and metric', async () => {
      const { events } = ok(shell(cli, guide.awsCommand('Issue 1', 'filter-log-events')));
      assert.equal(events.length, totals.emitted, JSON.stringify(events.map((event) => event.message)));
      for (const event of events) {
        assert.match(event.message, /CardCreated event emitted successfully/);
        assert.match(event.logStreamName, /^\d{4}\/\d\d\/\d\d\/\[\$LATEST\][0-9a-f]{32}$/);
        assert.equal(typeof event.timestamp, 'number');
        assert.equal(typeof event.ingestionTime, 'number');
        assert.equal(typeof event.eventId, 'string');
      }
      assert.ok(events.some((event) => event.message.includes(test1Card.cardId)));

      // As in Test 1: the guide's RuleName-only dimensions find nothing
      // on a custom bus, and adding EventBusName finds every trigger.
      const command = guide.awsCommand('Issue 1', 'get-metric-statistics');
      assert.deepEqual(ok(shell(cli, command)).Datapoints, []);
      assert.equal(datapointSum(await metricReaching(cli, withBusDimension(command), totals.triggered)), totals.triggered);
    });

    test('Issue 2 FailedInvocations and role', () => {
      // No delivery failed, and AWS sends FailedInvocations only when it is
      // non-zero, so there are no datapoints (with or without the bus).
      const command = guide.awsCommand('Issue 2', 'get-metric-statistics');
      assert.deepEqual(ok(shell(cli, command)), { Label: 'FailedInvocations', Datapoints: [] });
      assert.deepEqual(ok(shell(cli, withBusDimension(command))).Datapoints, []);

      const { EvaluationResults } = ok(shell(cli, guide.awsCommand('Issue 2', 'simulate-principal-policy')));
      assert.equal(EvaluationResults.length, 1);
      assert.equal(EvaluationResults[0].EvalActionName, 'states:StartExecution');
      assert.equal(EvaluationResults[0].EvalResourceName, STATE_MACHINE_ARN);
      assert.equal(EvaluationResults[0].EvalDecision, 'allowed');
    });

    test('Issue 3 executions by cardId', () => {
      const command = guide.awsCommand('Issue 3').replace('<cardId>', test1Card.cardId);
      const output = ok(shell(cli, command));
      const matches = Array.isArray(output) ? output : [output];
      // The guide expects this to show every execution of the card. Only
      // cards_revalue's (Test 2) carry the cardId in their name: the
      // EventBridge execution of Test 1 has a UUID name and is missing.
      assert.deepEqual(matches.map((execution) => execution.executionArn), [test2ExecutionArn]);
      assert.equal(matches.some((execution) => execution.executionArn === test1ExecutionArn), false);
    });

    test('Issue 4 execution and history', () => {
      const [describeCommand, historyCommand] = guide.awsCommands('Issue 4')
        .map((command) => command.replace('<execution-arn>', test1ExecutionArn));
      const execution = ok(shell(cli, describeCommand));
      assert.equal(execution.executionArn, test1ExecutionArn);
      assert.equal(execution.stateMachineArn, STATE_MACHINE_ARN);
      assert.equal(execution.status, 'SUCCEEDED');
      if (v2) assert.match(execution.stopDate, ISO_8601);
      const input = JSON.parse(execution.input);
      assert.equal(input.userId, test1Card.userId);
      assert.equal(input.cardId, test1Card.cardId);
      assert.equal(input.requestId, test1Card.cardId);
      assert.deepEqual(input.s3Keys, { front: test1Card.frontS3Key });
      // Detail members the card lacks become empty strings.
      assert.equal(input.cardMeta.name, '');

      const history = ok(shell(cli, historyCommand));
      assert.equal(history.events.length, 1);
      assert.equal(history.events[0].type, 'ExecutionStarted');
      assert.equal(history.events[0].id, 1);
      assert.deepEqual(JSON.parse(history.events[0].executionStartedEventDetails.input), input);
      assert.equal(typeof history.nextToken, 'string');
    });
  });

  describe('Rollback', () => {
    // Uploads a card while auto-trigger is off and checks that no
    // execution starts for it.
    async function assertNoExecutionFor() {
      const before = listExecutions(cli).length;
      const card = await uploadCard(bearer);
      await sleep(NO_EXECUTION_WAIT_MS);
      const executions = listExecutions(cli);
      assert.equal(executions.length, before, `an execution started for card ${card.cardId}`);
      return card;
    }

    test('Option 1 environment variable', async () => {
      const [updateCommand, waitCommand] = guide.awsCommands('Option 1');
      const updated = ok(shell(cli, updateCommand));
      // --environment replaces the whole map: S3_BUCKET,
      // COGNITO_USER_POOL_ID and XRAY_ENABLED are gone afterwards.
      assert.deepEqual(updated.Environment.Variables, {
        REGION: 'us-east-1',
        DDB_TABLE: 'collectiq-hackathon-cards',
        AUTO_TRIGGER_REVALUE: 'false',
        EVENT_BUS_NAME: BUS,
      });
      assert.equal(updated.FunctionName, FUNCTION_NAME);
      assert.equal(updated.FunctionArn, `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${FUNCTION_NAME}`);
      assert.equal(updated.LastUpdateStatus, 'InProgress');

      const waited = shell(cli, waitCommand);
      assert.equal(waited.code, 0, waited.stderr);
      assert.equal(waited.stdout, '');
      const status = ok(aws(cli, 'lambda', 'get-function-configuration', '--function-name', FUNCTION_NAME,
        '--query', 'LastUpdateStatus'));
      assert.equal(status, 'Successful');

      await assertNoExecutionFor();

      ok(aws(cli, 'lambda', 'update-function-configuration', '--function-name', FUNCTION_NAME,
        '--environment', JSON.stringify({ Variables: originalVariables })));
      assert.equal(shell(cli, waitCommand).code, 0);
      assert.deepEqual(ok(shell(cli, guide.awsCommand('5.1'))), originalVariables);
    });

    test('Option 2 disable-rule', async () => {
      const command = guide.awsCommand('Option 2');
      const disabled = shell(cli, command);
      assert.equal(disabled.code, 0, disabled.stderr);
      assert.equal(disabled.stdout, '');
      assert.equal(ok(shell(cli, guide.awsCommand('5.2')))[0].State, 'DISABLED');

      // Without --event-bus-name (as CollectIQ's Auto-Trigger-Revalue doc
      // writes it), the call addresses the default bus, where AWS finds no
      // such rule.
      const withoutBus = command.replace(/\s+--event-bus-name\s+\S+/, '');
      assert.notEqual(withoutBus, command);
      const failed = shell(cli, withoutBus);
      assert.equal(failed.code, cli.serviceErrorCode, failed.stdout);
      assert.equal(failed.stderr.trim(),
        `An error occurred (ResourceNotFoundException) when calling the DisableRule operation: Rule ${RULE} does not exist on EventBus default.`);

      // The producer still emits; the disabled rule delivers nothing.
      await assertNoExecutionFor();
      totals.emitted++;

      const enabled = aws(cli, 'events', 'enable-rule', '--name', RULE, '--event-bus-name', BUS);
      assert.equal(enabled.code, 0, enabled.stderr);
      assert.equal(ok(shell(cli, guide.awsCommand('5.2')))[0].State, 'ENABLED');
    });
  });
}

describe('CollectIQ deployment guide', { skip: guide ? false : `guide not found at ${GUIDE_PATH}; set RUNBOOK_GUIDE` }, () => {
  if (!guide) return;
  for (const cli of clis) {
    describe(`AWS CLI ${cli.label} (${cli.version.split(' ')[0]})`, () => runbookSuite(cli));
  }
});
