// error-handler.mjs: the ErrorHandler task, reached through Catch. Input
// {userId, cardId, error: {Error, Cause}, executionArn, stateMachineName,
// requestId?, partialResults?}; output {handled, partialResultsPersisted,
// dlqMessageId?, requestId?}. It stores partial results when given, sends
// the failure to the DLQ_URL queue and never throws.

import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { updateCardResults } from './lib/card-results.mjs';
import { logger } from './lib/log.mjs';
import { putMetric } from './lib/metrics.mjs';
import { sqsClient } from './lib/task-clients.mjs';

// Returns the error message inside Step Functions' Cause (a JSON string of
// {errorType, errorMessage, trace}), or the Cause itself.
export function causeMessage(error) {
  const cause = error?.Cause;
  if (typeof cause !== 'string') return undefined;
  try {
    const parsed = JSON.parse(cause);
    return typeof parsed?.errorMessage === 'string' ? parsed.errorMessage : cause;
  } catch {
    return cause;
  }
}

// Builds the four String message attributes. A missing value stays
// undefined, so the SDK sends the attribute without StringValue. The state
// machine never passes requestId, and real SQS rejects such a message.
export function messageAttributes({ errorType, userId, cardId, requestId }) {
  const attribute = (value) => ({ DataType: 'String', StringValue: value });
  return {
    ErrorType: attribute(errorType),
    UserId: attribute(userId),
    CardId: attribute(cardId),
    RequestId: attribute(requestId),
  };
}

async function persistPartialResults(event, context) {
  const partial = event.partialResults;
  if (!partial || typeof partial !== 'object' || Object.keys(partial).length === 0) return false;
  try {
    await updateCardResults(event.userId, event.cardId, partial);
    logger.info('Partial results stored', context);
    return true;
  } catch (error) {
    logger.error('Failed to store partial results', { ...context, error });
    return false;
  }
}

async function sendToDeadLetterQueue(event, context) {
  const queueUrl = process.env.DLQ_URL;
  if (!queueUrl) {
    logger.warn('DLQ_URL is not set; failure not queued', context);
    return undefined;
  }
  const errorType = event.error?.Error || 'UnknownError';
  try {
    const response = await sqsClient().send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: JSON.stringify({
          userId: event.userId,
          cardId: event.cardId,
          requestId: event.requestId,
          error: event.error,
          partialResults: event.partialResults,
          timestamp: new Date().toISOString(),
        }),
        MessageAttributes: messageAttributes({
          errorType,
          userId: event.userId,
          cardId: event.cardId,
          requestId: event.requestId,
        }),
      }),
    );
    logger.info('Failure sent to the dead-letter queue', { ...context, messageId: response.MessageId });
    return response.MessageId;
  } catch (error) {
    logger.error('Failed to send the failure to the dead-letter queue', { ...context, queueUrl, error });
    return undefined;
  }
}

export async function handler(event) {
  const input = event && typeof event === 'object' ? event : {};
  const context = {
    userId: input.userId,
    cardId: input.cardId,
    requestId: input.requestId,
    executionArn: input.executionArn,
  };
  try {
    logger.error('Card valuation workflow failed', {
      ...context,
      stateMachineName: input.stateMachineName,
      errorType: input.error?.Error,
      errorMessage: causeMessage(input.error),
    });
    const partialResultsPersisted = await persistPartialResults(input, context);
    const dlqMessageId = await sendToDeadLetterQueue(input, context);
    await putMetric('StepFunctionsExecutions', 1, 'Count', { status: 'FAILED' });
    return { handled: true, partialResultsPersisted, dlqMessageId, requestId: input.requestId };
  } catch (error) {
    logger.error('Error handler failed', { ...context, error });
    return { handled: false, partialResultsPersisted: false, requestId: input.requestId };
  }
}
