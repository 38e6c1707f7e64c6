// api-metrics.mjs: the API handlers' CloudWatch metrics, one datum per
// PutMetricData call in namespace CollectIQ/<STAGE or "dev">, as
// CollectIQ's telemetry sends them. Failures are ignored: the deployed
// roles do not grant cloudwatch:PutMetricData, so in AWS every call is
// denied.

import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';

import { logger } from './log.mjs';

let client;

// Replaces the client, so unit tests can keep metrics off the network.
export function setCloudWatchClient(replacement) {
  client = replacement;
}

function cloudWatch() {
  client ??= new CloudWatchClient({ region: process.env.AWS_REGION || 'us-east-1' });
  return client;
}

export async function putMetric(name, value, unit, dimensions) {
  try {
    await cloudWatch().send(new PutMetricDataCommand({
      Namespace: `CollectIQ/${process.env.STAGE || 'dev'}`,
      MetricData: [{
        MetricName: name,
        Value: value,
        Unit: unit,
        Timestamp: new Date(),
        Dimensions: Object.entries(dimensions).map(([Name, Value]) => ({ Name, Value: String(Value) })),
      }],
    }));
  } catch (error) {
    logger.debug('Failed to put metric', { metric: name, error });
  }
}

// ApiLatency in milliseconds per endpoint and method.
export function recordApiLatency(endpoint, method, milliseconds) {
  return putMetric('ApiLatency', milliseconds, 'Milliseconds', { endpoint, method });
}

// AuthFailures per reason, counted for each 401 and 403 response.
export function recordAuthFailure(reason) {
  return putMetric('AuthFailures', 1, 'Count', { reason });
}
