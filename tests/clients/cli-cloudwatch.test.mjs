// CloudWatch and CloudWatch Logs through Debian's AWS CLI v2 (/usr/bin/aws,
// 2.9) against a running Stratus (STRATUS_ENDPOINT, set by run.sh), with
// the monitoring and troubleshooting commands of the CollectIQ deployment
// guide. This CLI speaks the Query protocol to CloudWatch (XML responses)
// and JSON 1.1 to CloudWatch Logs.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

const endpoint = process.env.STRATUS_ENDPOINT;
if (!endpoint || !/^http:\/\/127\.0\.0\.1:\d+$/.test(endpoint)) {
  throw new Error(
    `STRATUS_ENDPOINT must be http://127.0.0.1:PORT, got ${JSON.stringify(endpoint)}; run this file through run.sh`,
  );
}

// Debian's package is CLI v2; the first `aws` on PATH may be v1.
const AWS_CLI = '/usr/bin/aws';
const home = mkdtempSync(join(tmpdir(), 'stratus-cli-cw-'));
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

function run(args, json = true) {
  const extra = json ? ['--output', 'json'] : [];
  const result = spawnSync(AWS_CLI, [...args, '--endpoint-url', endpoint, ...extra], {
    env: cliEnv,
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (result.error) throw result.error;
  return result;
}

function awsOk(...args) {
  const result = run(args);
  assert.equal(result.status, 0, `aws ${args.slice(0, 2).join(' ')} exited ${result.status}: ${result.stderr}`);
  return result.stdout.trim() === '' ? null : JSON.parse(result.stdout);
}

function awsFails(operation, code, message, ...args) {
  const result = run(args);
  assert.equal(result.status, 254, `exit code (stderr: ${result.stderr})`);
  assert.equal(
    result.stderr.trim(),
    `An error occurred (${code}) when calling the ${operation} operation: ${message}`,
  );
}

// `date -u -d 'N minutes ago' +%Y-%m-%dT%H:%M:%S`, as the guide writes it.
function isoMinutesAgo(minutes) {
  return new Date(Date.now() - minutes * 60_000).toISOString().slice(0, 19);
}

// The guide's get-metric-statistics command for one AWS/Events metric.
function eventsMetricSum(metric, dimensions) {
  const out = awsOk(
    'cloudwatch', 'get-metric-statistics',
    '--namespace', 'AWS/Events',
    '--metric-name', metric,
    '--dimensions', ...dimensions,
    '--start-time', isoMinutesAgo(10),
    '--end-time', isoMinutesAgo(-1),
    '--period', '300',
    '--statistics', 'Sum',
  );
  assert.equal(out.Label, metric);
  return out.Datapoints.reduce((sum, p) => sum + p.Sum, 0);
}

describe('AWS/Events metrics after a delivery', () => {
  test('TriggeredRules by RuleName and by EventBusName and RuleName', async () => {
    awsOk('sqs', 'create-queue', '--queue-name', 'cli-cw-inbox');
    awsOk('events', 'create-event-bus', '--name', 'cli-cw-bus');
    const target = 'Id=q,Arn=arn:aws:sqs:us-east-1:123456789012:cli-cw-inbox';
    const pattern = JSON.stringify({ source: ['cli.cw'] });
    awsOk('events', 'put-rule', '--name', 'cli_cw_default_rule', '--event-pattern', pattern);
    awsOk('events', 'put-targets', '--rule', 'cli_cw_default_rule', '--targets', target);
    awsOk('events', 'put-rule', '--name', 'cli_cw_custom_rule', '--event-bus-name', 'cli-cw-bus',
      '--event-pattern', pattern);
    awsOk('events', 'put-targets', '--rule', 'cli_cw_custom_rule', '--event-bus-name', 'cli-cw-bus',
      '--targets', target);
    const entries = JSON.stringify([
      { Source: 'cli.cw', DetailType: 'CardCreated', Detail: '{}' },
      { Source: 'cli.cw', DetailType: 'CardCreated', Detail: '{}', EventBusName: 'cli-cw-bus' },
    ]);
    const put = awsOk('events', 'put-events', '--entries', entries);
    assert.equal(put.FailedEntryCount, 0);

    // Delivery is asynchronous: wait for both invocations (at most 10 s).
    let invocations = 0;
    for (let i = 0; i < 50 && invocations < 1; i++) {
      invocations = eventsMetricSum('Invocations', ['Name=RuleName,Value=cli_cw_default_rule']);
      if (invocations < 1) await sleep(200);
    }
    assert.equal(invocations, 1);
    assert.equal(eventsMetricSum('TriggeredRules', ['Name=RuleName,Value=cli_cw_default_rule']), 1);
    // A rule on a custom bus publishes with EventBusName too, so the
    // RuleName-only query of the guide finds no datapoints for it.
    assert.equal(eventsMetricSum('TriggeredRules', ['Name=RuleName,Value=cli_cw_custom_rule']), 0);
    assert.equal(
      eventsMetricSum('TriggeredRules', [
        'Name=EventBusName,Value=cli-cw-bus', 'Name=RuleName,Value=cli_cw_custom_rule',
      ]),
      1,
    );
    assert.equal(eventsMetricSum('FailedInvocations', ['Name=RuleName,Value=cli_cw_default_rule']), 0);

    const listed = awsOk('cloudwatch', 'list-metrics', '--namespace', 'AWS/Events',
      '--metric-name', 'TriggeredRules', '--dimensions', 'Name=RuleName,Value=cli_cw_custom_rule');
    assert.equal(listed.Metrics.length, 1);
    assert.deepEqual(listed.Metrics[0].Dimensions.map((d) => d.Name).sort(), ['EventBusName', 'RuleName']);
  });
});

describe('custom metrics', () => {
  test('put-metric-data and statistics per period', () => {
    awsOk('cloudwatch', 'put-metric-data', '--namespace', 'CollectIQ/dev', '--metric-data',
      JSON.stringify([
        { MetricName: 'ApiLatency', Value: 120, Unit: 'Milliseconds', Dimensions: [{ Name: 'endpoint', Value: '/cards' }] },
        { MetricName: 'ApiLatency', Values: [80, 100], Counts: [1, 2], Unit: 'Milliseconds', Dimensions: [{ Name: 'endpoint', Value: '/cards' }] },
      ]));
    const out = awsOk('cloudwatch', 'get-metric-statistics', '--namespace', 'CollectIQ/dev',
      '--metric-name', 'ApiLatency', '--dimensions', 'Name=endpoint,Value=/cards',
      '--start-time', isoMinutesAgo(5), '--end-time', isoMinutesAgo(-1), '--period', '3600',
      '--statistics', 'Sum', 'SampleCount', 'Maximum', 'Minimum', 'Average');
    assert.equal(out.Datapoints.length, 1);
    const [point] = out.Datapoints;
    assert.equal(point.SampleCount, 4);
    assert.equal(point.Sum, 400);
    assert.equal(point.Minimum, 80);
    assert.equal(point.Maximum, 120);
    assert.equal(point.Average, 100);
    assert.equal(point.Unit, 'Milliseconds');
    assert.match(point.Timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:00\+00:00$/);

    awsFails('PutMetricData', 'InvalidParameterValue', 'The value AWS/Events for parameter Namespace is invalid.',
      'cloudwatch', 'put-metric-data', '--namespace', 'AWS/Events', '--metric-name', 'x', '--value', '1');
  });
});

describe('alarms and dashboards of the guide', () => {
  test('put-metric-alarm, describe-alarms, set-alarm-state, history', () => {
    awsOk('cloudwatch', 'put-metric-alarm',
      '--alarm-name', 'collectiq-eventbridge-failures',
      '--alarm-description', 'Alert when EventBridge fails to invoke Step Functions',
      '--metric-name', 'FailedInvocations', '--namespace', 'AWS/Events',
      '--statistic', 'Sum', '--period', '300', '--evaluation-periods', '1',
      '--threshold', '1', '--comparison-operator', 'GreaterThanThreshold');
    awsOk('cloudwatch', 'put-metric-alarm',
      '--alarm-name', 'collectiq-stepfunctions-failures',
      '--alarm-description', 'Alert when Step Functions executions fail',
      '--metric-name', 'ExecutionsFailed', '--namespace', 'AWS/States',
      '--statistic', 'Sum', '--period', '300', '--evaluation-periods', '1',
      '--threshold', '3', '--comparison-operator', 'GreaterThanThreshold');

    const all = awsOk('cloudwatch', 'describe-alarms', '--alarm-name-prefix', 'collectiq-');
    assert.deepEqual(all.MetricAlarms.map((a) => a.AlarmName),
      ['collectiq-eventbridge-failures', 'collectiq-stepfunctions-failures']);
    const [alarm] = all.MetricAlarms;
    assert.equal(alarm.StateValue, 'INSUFFICIENT_DATA');
    assert.equal(alarm.StateReason, 'Unchecked: Initial alarm creation');
    assert.equal(alarm.AlarmArn, 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:collectiq-eventbridge-failures');
    assert.equal(alarm.Threshold, 1);
    assert.equal(alarm.Period, 300);
    assert.deepEqual(alarm.Dimensions, []);
    assert.deepEqual(all.CompositeAlarms, []);

    awsOk('cloudwatch', 'set-alarm-state', '--alarm-name', 'collectiq-eventbridge-failures',
      '--state-value', 'ALARM', '--state-reason', 'drill');
    const inAlarm = awsOk('cloudwatch', 'describe-alarms', '--state-value', 'ALARM');
    assert.deepEqual(inAlarm.MetricAlarms.map((a) => a.AlarmName), ['collectiq-eventbridge-failures']);
    const history = awsOk('cloudwatch', 'describe-alarm-history', '--alarm-name', 'collectiq-eventbridge-failures');
    assert.deepEqual(history.AlarmHistoryItems.map((h) => h.HistorySummary), [
      'Alarm updated from INSUFFICIENT_DATA to ALARM',
      'Alarm "collectiq-eventbridge-failures" created',
    ]);
    awsFails('SetAlarmState', 'ResourceNotFound', 'Alarm absent not found',
      'cloudwatch', 'set-alarm-state', '--alarm-name', 'absent', '--state-value', 'OK', '--state-reason', 'x');

    awsOk('cloudwatch', 'delete-alarms', '--alarm-names', 'collectiq-eventbridge-failures',
      'collectiq-stepfunctions-failures');
    assert.deepEqual(awsOk('cloudwatch', 'describe-alarms').MetricAlarms, []);
  });

  test('put-dashboard from a file', () => {
    const body = {
      widgets: [{
        type: 'metric',
        properties: {
          metrics: [['AWS/Events', 'TriggeredRules', { stat: 'Sum' }], ['AWS/Events', 'FailedInvocations', { stat: 'Sum' }]],
          period: 300, stat: 'Sum', region: 'us-east-1', title: 'EventBridge Auto-Trigger',
        },
      }],
    };
    const file = join(home, 'dashboard.json');
    writeFileSync(file, JSON.stringify(body));
    const put = awsOk('cloudwatch', 'put-dashboard', '--dashboard-name', 'CollectIQ-AutoTrigger',
      '--dashboard-body', `file://${file}`);
    assert.deepEqual(put.DashboardValidationMessages, []);
    const got = awsOk('cloudwatch', 'get-dashboard', '--dashboard-name', 'CollectIQ-AutoTrigger');
    assert.deepEqual(JSON.parse(got.DashboardBody), body);
    const listed = awsOk('cloudwatch', 'list-dashboards');
    assert.deepEqual(listed.DashboardEntries.map((d) => d.DashboardName), ['CollectIQ-AutoTrigger']);
    awsFails('GetDashboard', 'ResourceNotFound', 'Dashboard nope does not exist',
      'cloudwatch', 'get-dashboard', '--dashboard-name', 'nope');
  });
});

describe('CloudWatch Logs of the guide', () => {
  const group = '/aws/lambda/cli-cw-cards-create';

  test('filter-log-events with the guide\'s pattern and tail --since', () => {
    awsOk('logs', 'create-log-group', '--log-group-name', group);
    awsOk('logs', 'create-log-stream', '--log-group-name', group, '--log-stream-name', 'one');
    const now = Date.now();
    const events = [
      { timestamp: now, message: 'Card created successfully' },
      { timestamp: now + 1, message: 'Emitting CardCreated event for auto-trigger' },
      { timestamp: now + 2, message: JSON.stringify({ level: 'INFO', msg: 'CardCreated event emitted successfully' }) },
      { timestamp: now + 3, message: JSON.stringify({ level: 'ERROR', msg: 'boom' }) },
    ];
    const file = join(home, 'events.json');
    writeFileSync(file, JSON.stringify(events));
    awsOk('logs', 'put-log-events', '--log-group-name', group, '--log-stream-name', 'one',
      '--log-events', `file://${file}`);

    const emitted = awsOk('logs', 'filter-log-events', '--log-group-name', group,
      '--filter-pattern', 'CardCreated event emitted',
      '--start-time', String(now - 10 * 60_000));
    assert.deepEqual(emitted.events.map((e) => e.message), [events[2].message]);
    assert.equal(emitted.events[0].logStreamName, 'one');

    const errors = awsOk('logs', 'filter-log-events', '--log-group-name', group,
      '--filter-pattern', '{ $.level = "ERROR" }');
    assert.deepEqual(errors.events.map((e) => e.message), [events[3].message]);

    const tail = run(['logs', 'tail', group, '--since', '10m'], false);
    assert.equal(tail.status, 0, tail.stderr);
    const lines = tail.stdout.trim().split('\n');
    assert.equal(lines.length, 4);
    assert.match(lines[0], /^\d{4}-\d\d-\d\dT[\d:.]+\+00:00 one Card created successfully$/);

    awsFails('FilterLogEvents', 'ResourceNotFoundException', 'The specified log group does not exist.',
      'logs', 'filter-log-events', '--log-group-name', '/aws/lambda/absent');
  });

  test('tail --follow prints events as they arrive', async () => {
    awsOk('logs', 'create-log-stream', '--log-group-name', group, '--log-stream-name', 'two');
    // Python buffers a piped stdout, so ask for unbuffered output.
    const child = spawn(AWS_CLI, ['logs', 'tail', group, '--follow', '--since', '1m',
      '--log-stream-names', 'two', '--endpoint-url', endpoint],
    { env: { ...cliEnv, PYTHONUNBUFFERED: '1' } });
    let output = '';
    child.stdout.on('data', (chunk) => { output += chunk; });
    const exited = new Promise((resolve) => child.on('close', resolve));
    try {
      await sleep(1000);
      writeFileSync(join(home, 'late.json'), JSON.stringify([{ timestamp: Date.now(), message: 'late arrival' }]));
      awsOk('logs', 'put-log-events', '--log-group-name', group, '--log-stream-name', 'two',
        '--log-events', `file://${join(home, 'late.json')}`);
      // The CLI polls every 5 s; wait at most 15 s for the line.
      for (let i = 0; i < 75 && !output.includes('late arrival'); i++) await sleep(200);
    } finally {
      // Ctrl-C is how --follow ends.
      child.kill('SIGINT');
      await Promise.race([exited, sleep(5000)]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    assert.match(output, /two late arrival/);
  });
});
