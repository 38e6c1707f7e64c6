// CloudWatch and CloudWatch Logs through the AWS SDK for JavaScript v3
// against a running Stratus (STRATUS_ENDPOINT, set by run.sh). The
// CloudWatch client speaks JSON 1.0 with x-amzn-query-mode and names its
// errors from the x-amzn-query-error header; the Logs client speaks
// JSON 1.1.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  CloudWatchClient,
  DeleteAlarmsCommand,
  DescribeAlarmHistoryCommand,
  DescribeAlarmsCommand,
  GetDashboardCommand,
  GetMetricDataCommand,
  GetMetricStatisticsCommand,
  ListMetricsCommand,
  PutDashboardCommand,
  PutMetricAlarmCommand,
  PutMetricDataCommand,
  paginateListMetrics,
} from '@aws-sdk/client-cloudwatch';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  DescribeLogGroupsCommand,
  DescribeLogStreamsCommand,
  FilterLogEventsCommand,
  GetLogEventsCommand,
  PutLogEventsCommand,
  paginateFilterLogEvents,
} from '@aws-sdk/client-cloudwatch-logs';

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
};
const cw = new CloudWatchClient(config);
const logs = new CloudWatchLogsClient(config);

async function rejects(promise, name, code, message) {
  await assert.rejects(promise, (err) => {
    assert.equal(err.name, name);
    if (code) assert.equal(err.Code, code);
    if (message) assert.equal(err.message, message);
    return true;
  });
}

describe('CloudWatch metrics (JSON 1.0)', () => {
  test('put, statistics, metric data and listing', async () => {
    const now = new Date();
    const start = new Date(now.getTime() - 5 * 60_000);
    const dims = [{ Name: 'agent', Value: 'ocr-reasoning' }];
    await cw.send(new PutMetricDataCommand({
      Namespace: 'CollectIQ/sdk',
      MetricData: [
        { MetricName: 'BedrockLatency', Value: 200, Unit: 'Milliseconds', Dimensions: dims, Timestamp: now },
        { MetricName: 'BedrockLatency', Value: 400, Unit: 'Milliseconds', Dimensions: dims, Timestamp: now },
        {
          MetricName: 'BedrockTokens', Dimensions: dims, Timestamp: now, Unit: 'Count',
          StatisticValues: { SampleCount: 2, Sum: 300, Minimum: 100, Maximum: 200 },
        },
      ],
    }));

    const stats = await cw.send(new GetMetricStatisticsCommand({
      Namespace: 'CollectIQ/sdk', MetricName: 'BedrockLatency', Dimensions: dims,
      StartTime: start, EndTime: new Date(now.getTime() + 60_000), Period: 3600,
      Statistics: ['Average', 'Maximum'], Unit: 'Milliseconds',
    }));
    assert.equal(stats.Label, 'BedrockLatency');
    assert.equal(stats.Datapoints.length, 1);
    assert.equal(stats.Datapoints[0].Average, 300);
    assert.equal(stats.Datapoints[0].Maximum, 400);
    assert.ok(stats.Datapoints[0].Timestamp instanceof Date);

    const data = await cw.send(new GetMetricDataCommand({
      StartTime: start, EndTime: new Date(now.getTime() + 60_000), ScanBy: 'TimestampAscending',
      MetricDataQueries: [{
        Id: 'tokens', Label: 'tokens',
        MetricStat: {
          Metric: { Namespace: 'CollectIQ/sdk', MetricName: 'BedrockTokens', Dimensions: dims },
          Period: 3600, Stat: 'Sum',
        },
      }],
    }));
    assert.equal(data.MetricDataResults.length, 1);
    assert.equal(data.MetricDataResults[0].Label, 'tokens');
    assert.deepEqual(data.MetricDataResults[0].Values, [300]);
    assert.equal(data.MetricDataResults[0].StatusCode, 'Complete');

    const names = [];
    for await (const page of paginateListMetrics({ client: cw }, { Namespace: 'CollectIQ/sdk' })) {
      names.push(...page.Metrics.map((m) => m.MetricName));
    }
    assert.deepEqual(names.sort(), ['BedrockLatency', 'BedrockTokens']);
    const filtered = await cw.send(new ListMetricsCommand({
      Namespace: 'CollectIQ/sdk', Dimensions: [{ Name: 'agent', Value: 'other' }],
    }));
    assert.deepEqual(filtered.Metrics, []);
  });

  test('errors carry the Query error codes', async () => {
    await rejects(
      cw.send(new PutMetricDataCommand({ Namespace: 'AWS/Lambda', MetricData: [{ MetricName: 'x', Value: 1 }] })),
      'InvalidParameterValueException', 'InvalidParameterValue',
      'The value AWS/Lambda for parameter Namespace is invalid.',
    );
    await rejects(
      cw.send(new GetMetricStatisticsCommand({
        Namespace: 'N', MetricName: 'm', StartTime: new Date(Date.now() - 3 * 86_400_000),
        EndTime: new Date(), Period: 60, Statistics: ['Sum'],
      })),
      'InvalidParameterCombinationException', 'InvalidParameterCombination',
    );
    // The query code ResourceNotFound is also the name of another error
    // shape, which the SDK picks.
    await rejects(cw.send(new GetDashboardCommand({ DashboardName: 'absent' })),
      'ResourceNotFound', 'ResourceNotFound', 'Dashboard absent does not exist');
  });
});

describe('CloudWatch alarms and dashboards (JSON 1.0)', () => {
  test('alarm lifecycle', async () => {
    await cw.send(new PutMetricAlarmCommand({
      AlarmName: 'sdk-alarm', MetricName: 'ExecutionsFailed', Namespace: 'AWS/States',
      Statistic: 'Sum', Period: 300, EvaluationPeriods: 2, DatapointsToAlarm: 1, Threshold: 3,
      ComparisonOperator: 'GreaterThanThreshold', TreatMissingData: 'notBreaching',
      Dimensions: [{ Name: 'StateMachineArn', Value: 'arn:aws:states:us-east-1:123456789012:stateMachine:m' }],
    }));
    const described = await cw.send(new DescribeAlarmsCommand({ AlarmNames: ['sdk-alarm'] }));
    assert.equal(described.MetricAlarms.length, 1);
    const [alarm] = described.MetricAlarms;
    assert.equal(alarm.StateValue, 'INSUFFICIENT_DATA');
    assert.equal(alarm.DatapointsToAlarm, 1);
    assert.equal(alarm.TreatMissingData, 'notBreaching');
    assert.ok(alarm.StateUpdatedTimestamp instanceof Date);
    const history = await cw.send(new DescribeAlarmHistoryCommand({ AlarmName: 'sdk-alarm' }));
    assert.equal(history.AlarmHistoryItems[0].HistoryItemType, 'ConfigurationUpdate');
    await cw.send(new DeleteAlarmsCommand({ AlarmNames: ['sdk-alarm'] }));
    await rejects(cw.send(new DeleteAlarmsCommand({ AlarmNames: ['sdk-alarm'] })), 'ResourceNotFound',
      'ResourceNotFound');
  });

  test('dashboard validation messages', async () => {
    await assert.rejects(
      cw.send(new PutDashboardCommand({ DashboardName: 'sdk-bad', DashboardBody: '{"widgets":[{}]}' })),
      (err) => {
        assert.equal(err.name, 'DashboardInvalidInputError');
        assert.equal(err.dashboardValidationMessages.length, 1);
        assert.equal(err.dashboardValidationMessages[0].DataPath, '/widgets/0');
        return true;
      },
    );
  });
});

describe('CloudWatch Logs (JSON 1.1)', () => {
  const group = '/aws/lambda/sdk-logs';

  test('write, read by tokens and filter with paging', async () => {
    await logs.send(new CreateLogGroupCommand({ logGroupName: group }));
    await logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: 'a' }));
    const now = Date.now();
    const put = await logs.send(new PutLogEventsCommand({
      logGroupName: group, logStreamName: 'a',
      logEvents: Array.from({ length: 5 }, (_, i) => ({
        timestamp: now + i,
        message: JSON.stringify({ level: i % 2 ? 'ERROR' : 'INFO', i }),
      })),
    }));
    assert.ok(put.nextSequenceToken);
    assert.equal(put.rejectedLogEventsInfo, undefined);

    const head = await logs.send(new GetLogEventsCommand({
      logGroupName: group, logStreamName: 'a', startFromHead: true, limit: 3,
    }));
    assert.equal(head.events.length, 3);
    const rest = await logs.send(new GetLogEventsCommand({
      logGroupName: group, logStreamName: 'a', nextToken: head.nextForwardToken,
    }));
    assert.deepEqual(rest.events.map((e) => JSON.parse(e.message).i), [3, 4]);

    const found = [];
    for await (const page of paginateFilterLogEvents({ client: logs, pageSize: 1 }, {
      logGroupName: group, filterPattern: '{ $.level = "ERROR" }',
    })) {
      found.push(...page.events.map((e) => JSON.parse(e.message).i));
    }
    assert.deepEqual(found, [1, 3]);

    const groups = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/aws/lambda/sdk' }));
    assert.deepEqual(groups.logGroups.map((g) => g.logGroupName), [group]);
    const streams = await logs.send(new DescribeLogStreamsCommand({
      logGroupName: group, orderBy: 'LastEventTime', descending: true,
    }));
    assert.equal(streams.logStreams[0].lastEventTimestamp, now + 4);
  });

  test('missing group', async () => {
    await rejects(
      logs.send(new FilterLogEventsCommand({ logGroupName: '/aws/lambda/absent' })),
      'ResourceNotFoundException', null, 'The specified log group does not exist.',
    );
    await rejects(
      logs.send(new CreateLogGroupCommand({ logGroupName: group })),
      'ResourceAlreadyExistsException', null, 'The specified log group already exists',
    );
  });
});
