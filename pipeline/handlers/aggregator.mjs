// aggregator.mjs: the Aggregator task. Input {userId, cardId, requestId,
// ocrMetadata, agentResults: [{pricingResult, valuationSummary, requestId},
// {authenticityResult, requestId}], skipCardFetch}; output {card, requestId}
// where card is the whole DynamoDB item after the write. The results are
// upserted when skipCardFetch is true (the state machine always sends true)
// and otherwise written to an existing card. CardValuationCompleted is
// published next. A DynamoDB error fails the task, an EventBridge error
// does not.

import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { flattenOcrMetadata } from './lib/card-metadata.mjs';
import { upsertCardResults, updateCardResults } from './lib/card-results.mjs';
import { logger } from './lib/log.mjs';
import { putMetric } from './lib/metrics.mjs';
import { eventBridgeClient } from './lib/task-clients.mjs';

function ocrString(field) {
  return typeof field?.value === 'string' && field.value.trim() ? field.value : undefined;
}

// Maps the agents' outputs onto the card attributes; undefined members are
// not written.
export function cardResults(event) {
  const agentResults = Array.isArray(event.agentResults) ? event.agentResults : [];
  const pricing = agentResults.find((r) => r && r.pricingResult) || {};
  const authenticity = agentResults.find((r) => r && r.authenticityResult)?.authenticityResult || {};
  const pricingResult = pricing.pricingResult || {};
  const ocr = event.ocrMetadata;
  const setCandidate = Array.isArray(ocr?.set?.candidates) ? ocr.set.candidates[0]?.value : undefined;

  return {
    authenticityScore: authenticity.authenticityScore,
    authenticitySignals: authenticity.signals,
    valueLow: pricingResult.valueLow,
    valueMedian: pricingResult.valueMedian,
    valueHigh: pricingResult.valueHigh,
    compsCount: pricingResult.compsCount,
    sources: pricingResult.sources,
    pricingMessage: pricingResult.message,
    valuationSummary: pricing.valuationSummary,
    ocrMetadata: flattenOcrMetadata(ocr),
    name: ocrString(ocr?.name),
    set: (typeof setCandidate === 'string' && setCandidate.trim() ? setCandidate : undefined) ||
      ocrString(ocr?.set),
    rarity: ocrString(ocr?.rarity),
    number: ocrString(ocr?.collectorNumber),
    // Kept for the event only; not a card attribute.
    fakeDetected: authenticity.fakeDetected,
    pricingConfidence: pricingResult.confidence,
  };
}

// Publishes CardValuationCompleted on EVENT_BUS_NAME (default
// collectiq-events). Failures are logged and swallowed.
async function publishCompletion(event, results, context) {
  const detail = {
    cardId: event.cardId,
    userId: event.userId,
    name: results.name,
    set: results.set,
    valueLow: results.valueLow,
    valueMedian: results.valueMedian,
    valueHigh: results.valueHigh,
    authenticityScore: results.authenticityScore,
    fakeDetected: results.fakeDetected,
    pricingConfidence: results.pricingConfidence,
    pricingSources: results.sources,
    valuationTrend: results.valuationSummary?.trend,
    valuationFairValue: results.valuationSummary?.fairValue,
    ocrMetadata: results.ocrMetadata,
    requestId: event.requestId,
    timestamp: new Date().toISOString(),
  };
  try {
    const response = await eventBridgeClient().send(
      new PutEventsCommand({
        Entries: [
          {
            Source: 'collectiq.backend',
            DetailType: 'CardValuationCompleted',
            Detail: JSON.stringify(detail),
            EventBusName: process.env.EVENT_BUS_NAME || 'collectiq-events',
          },
        ],
      }),
    );
    if (response.FailedEntryCount > 0) {
      logger.error('CardValuationCompleted event rejected', {
        ...context,
        errorCode: response.Entries?.[0]?.ErrorCode,
        errorMessage: response.Entries?.[0]?.ErrorMessage,
      });
    } else {
      logger.info('CardValuationCompleted event published', { ...context, eventId: response.Entries?.[0]?.EventId });
    }
  } catch (error) {
    logger.error('Failed to publish CardValuationCompleted event', { ...context, error });
  }
}

export async function handler(event) {
  const { userId, cardId, requestId, skipCardFetch } = event || {};
  if (!userId || !cardId) throw new Error('Invalid input: userId and cardId are required');
  const context = { userId, cardId, requestId };

  const results = cardResults(event);
  const card = skipCardFetch === false
    ? await updateCardResults(userId, cardId, results)
    : await upsertCardResults(userId, cardId, results);
  logger.info('Card results stored', {
    ...context,
    authenticityScore: results.authenticityScore,
    valueMedian: results.valueMedian,
  });

  await publishCompletion(event, results, context);
  await putMetric('StepFunctionsExecutions', 1, 'Count', { status: 'SUCCEEDED' });
  return { card, requestId };
}
