// cards_create.mjs: POST /cards (Idempotency-Key required). Creates the
// card item and returns it with 201. With AUTO_TRIGGER_REVALUE=true it
// then emits a CardCreated event on EVENT_BUS_NAME, which the
// card_created_auto_revalue rule turns into a valuation execution; a
// failed emit is logged and does not fail the request.

import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';

import { apiHandler } from './lib/api-handler.mjs';
import { parseJsonBody, validateCreateCardRequest } from './lib/api-validation.mjs';
import { createCard } from './lib/cards.mjs';
import { jsonResponse } from './lib/http.mjs';
import { withIdempotency } from './lib/idempotency.mjs';
import { getAuthContext } from './lib/jwt-claims.mjs';
import { logger } from './lib/log.mjs';

let eventBridge;

// Members left undefined are omitted from the JSON, so a card created
// with only frontS3Key yields {cardId, userId, frontS3Key, s3Bucket,
// timestamp}.
export function cardCreatedDetail(card) {
  return {
    cardId: card.cardId,
    userId: card.userId,
    frontS3Key: card.frontS3Key,
    backS3Key: card.backS3Key,
    s3Bucket: process.env.S3_BUCKET || '',
    name: card.name,
    set: card.set,
    number: card.number,
    rarity: card.rarity,
    conditionEstimate: card.conditionEstimate,
    timestamp: new Date().toISOString(),
  };
}

async function emitCardCreatedEvent(card) {
  const eventBusName = process.env.EVENT_BUS_NAME || 'collectiq-hackathon-events';
  logger.info('Emitting CardCreated event for auto-trigger', {
    cardId: card.cardId, userId: card.userId, eventBusName,
  });
  try {
    eventBridge ??= new EventBridgeClient({ region: process.env.AWS_REGION || 'us-east-1' });
    const result = await eventBridge.send(new PutEventsCommand({
      Entries: [{
        Source: 'collectiq.cards',
        DetailType: 'CardCreated',
        Detail: JSON.stringify(cardCreatedDetail(card)),
        EventBusName: eventBusName,
      }],
    }));
    logger.info('CardCreated event emitted successfully', {
      cardId: card.cardId, eventId: result.Entries?.[0]?.EventId,
    });
  } catch (error) {
    logger.error('Failed to emit CardCreated event', { cardId: card.cardId, error });
  }
}

async function createCardHandler(event) {
  const auth = getAuthContext(event);
  const input = validateCreateCardRequest(parseJsonBody(event));
  const card = await createCard(auth.sub, input);
  logger.info('Card created successfully', {
    cardId: card.cardId, userId: auth.sub, requestId: event?.requestContext?.requestId,
  });
  if (process.env.AUTO_TRIGGER_REVALUE === 'true') await emitCardCreatedEvent(card);
  return jsonResponse(event, 201, card);
}

export const handler = withIdempotency(apiHandler('POST /cards', createCardHandler), {
  operation: 'cards_create',
  required: true,
});
