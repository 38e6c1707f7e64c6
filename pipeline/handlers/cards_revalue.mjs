// cards_revalue.mjs: POST /cards/{cardId}/revalue (Idempotency-Key
// required). Starts a card-valuation execution named <cardId>-<uuid>, or
// returns the running one whose name starts with "<cardId>-". Executions
// started by EventBridge have generated names, so this check cannot see
// them.

import { randomUUID } from 'node:crypto';
import { ListExecutionsCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';

import { apiHandler } from './lib/api-handler.mjs';
import { parseJsonBody, validateRevalueRequest } from './lib/api-validation.mjs';
import { getCard } from './lib/cards.mjs';
import { jsonResponse } from './lib/http.mjs';
import { withIdempotency } from './lib/idempotency.mjs';
import { getAuthContext } from './lib/jwt-claims.mjs';
import { logger } from './lib/log.mjs';
import { BadRequestError, InternalServerError } from './lib/problem.mjs';

// ListExecutions returns at most 100 executions a page; 50 pages cover
// 5,000 running executions, far more than one card ever has.
const MAX_LIST_PAGES = 50;

let sfn;

function sfnClient() {
  sfn ??= new SFNClient({ region: process.env.AWS_REGION || 'us-east-1' });
  return sfn;
}

// Returns the ARN of a RUNNING execution named "<cardId>-...", or null.
// A failed listing counts as none running.
async function findExecutionInFlight(stateMachineArn, cardId) {
  const prefix = `${cardId}-`;
  let nextToken;
  try {
    for (let page = 0; page < MAX_LIST_PAGES; page++) {
      const result = await sfnClient().send(new ListExecutionsCommand({
        stateMachineArn,
        statusFilter: 'RUNNING',
        maxResults: 100,
        nextToken,
      }));
      const running = (result.executions ?? []).find((e) => e.name?.startsWith(prefix));
      if (running) return running.executionArn;
      nextToken = result.nextToken;
      if (!nextToken) return null;
    }
    logger.warn('Stopped listing running executions after the page limit', {
      cardId, pages: MAX_LIST_PAGES,
    });
  } catch (error) {
    logger.warn('Failed to list running executions; assuming none is in flight', { cardId, error });
  }
  return null;
}

// The execution input. Undefined members of cardMeta and s3Keys vanish
// when it is serialized.
export function executionInput(card, requestId, forceRefresh) {
  return {
    userId: card.userId,
    cardId: card.cardId,
    s3Keys: { front: card.frontS3Key, back: card.backS3Key },
    cardMeta: {
      name: card.name,
      set: card.set,
      number: card.number,
      rarity: card.rarity,
      conditionEstimate: card.conditionEstimate,
      frontS3Key: card.frontS3Key,
      backS3Key: card.backS3Key,
    },
    requestId,
    forceRefresh,
  };
}

async function revalueHandler(event) {
  const auth = getAuthContext(event);
  const cardId = event?.pathParameters?.cardId;
  if (!cardId) throw new BadRequestError('Path parameter "cardId" is required');
  const { forceRefresh } = validateRevalueRequest(parseJsonBody(event, { required: false }));
  const requestId = event?.requestContext?.requestId;

  const card = await getCard(auth.sub, cardId);
  const stateMachineArn = process.env.STEP_FUNCTIONS_ARN;
  if (!stateMachineArn) {
    throw new InternalServerError('STEP_FUNCTIONS_ARN environment variable is not set');
  }

  const running = await findExecutionInFlight(stateMachineArn, cardId);
  if (running) {
    logger.info('Revaluation already in progress', { cardId, executionArn: running });
    return jsonResponse(event, 202, {
      executionArn: running,
      status: 'RUNNING',
      message: 'Revaluation already in progress for this card',
    });
  }

  let executionArn;
  try {
    const result = await sfnClient().send(new StartExecutionCommand({
      stateMachineArn,
      name: `${cardId}-${randomUUID()}`,
      input: JSON.stringify(executionInput(card, requestId, forceRefresh)),
    }));
    executionArn = result.executionArn;
  } catch (error) {
    logger.error('Failed to start revaluation', { cardId, stateMachineArn, error });
    throw new InternalServerError(`Failed to start revaluation: ${error.message}`);
  }
  logger.info('Revaluation started', { cardId, userId: auth.sub, executionArn, forceRefresh });
  return jsonResponse(event, 202, {
    executionArn,
    status: 'RUNNING',
    message: 'Card revaluation started',
  });
}

export const handler = withIdempotency(apiHandler('POST /cards/{cardId}/revalue', revalueHandler), {
  operation: 'cards_revalue',
  required: true,
});
