// metrics.mjs: CloudWatch custom metrics of the task handlers. One datum per
// PutMetricData call in namespace CollectIQ/<STAGE, default dev>, as
// CollectIQ's telemetry package sends them. Every failure is logged at WARN
// and swallowed, because a metric must never fail a task (CollectIQ's roles
// lack cloudwatch:PutMetricData, so in AWS every call is denied).

import { PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { logger } from './log.mjs';
import { cloudWatchClient } from './task-clients.mjs';

export function metricsNamespace() {
  return `CollectIQ/${process.env.STAGE || 'dev'}`;
}

// Sends one datum; dimensions is a plain object of name → value.
export async function putMetric(name, value, unit = 'Count', dimensions = {}) {
  const datum = {
    MetricName: name,
    Value: value,
    Unit: unit,
    Timestamp: new Date(),
    Dimensions: Object.entries(dimensions)
      .filter(([, v]) => v !== undefined && v !== null && v !== '')
      .map(([Name, v]) => ({ Name, Value: String(v) })),
  };
  try {
    await cloudWatchClient().send(
      new PutMetricDataCommand({ Namespace: metricsNamespace(), MetricData: [datum] }),
    );
  } catch (error) {
    logger.warn('PutMetricData failed; metric dropped', { metric: name, error });
  }
}

// Buckets a [0,1] score for the scoreRange/confidenceRange dimensions.
export function scoreRange(score) {
  if (score >= 0.8) return 'high';
  if (score >= 0.5) return 'medium';
  return 'low';
}
