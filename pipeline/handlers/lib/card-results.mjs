// card-results.mjs: the DynamoDB writes of the pipeline's results on the
// card item (PK=USER#<userId>, SK=CARD#<cardId>). The aggregator upserts
// without a condition; the checked update (card must exist and not be
// deleted) serves skipCardFetch=false and the error handler's partial
// results.

import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from './task-clients.mjs';

// Fields the upsert writes when defined, in this order.
export const UPSERT_FIELDS = [
  'authenticityScore', 'authenticitySignals', 'valueLow', 'valueMedian', 'valueHigh',
  'compsCount', 'sources', 'pricingMessage', 'valuationSummary', 'ocrMetadata',
  'name', 'set', 'rarity', 'number',
];

// Fields the checked update writes when defined (no ocrMetadata).
export const UPDATE_FIELDS = [
  'name', 'set', 'number', 'rarity', 'conditionEstimate', 'backS3Key', 'idConfidence',
  'authenticityScore', 'authenticitySignals', 'valueLow', 'valueMedian', 'valueHigh',
  'compsCount', 'sources', 'pricingMessage', 'valuationSummary',
];

export function cardKey(userId, cardId) {
  return { PK: `USER#${userId}`, SK: `CARD#${cardId}` };
}

// Builds `SET #a = :a, …` with every attribute name behind a placeholder,
// because name, set and number are DynamoDB reserved words.
function setExpression(values) {
  const names = {};
  const placeholders = {};
  const parts = [];
  for (const [field, value] of Object.entries(values)) {
    names[`#${field}`] = field;
    placeholders[`:${field}`] = value;
    parts.push(`#${field} = :${field}`);
  }
  return { expression: `SET ${parts.join(', ')}`, names, placeholders };
}

function definedFields(results, fields) {
  const picked = {};
  for (const field of fields) {
    if (results[field] !== undefined) picked[field] = results[field];
  }
  return picked;
}

// Upserts the results on the card with UpdateItem and no condition, so a
// card deleted meanwhile comes back as a partial item. Returns the whole new
// item; throws on a DynamoDB error or a response without Attributes.
export async function upsertCardResults(userId, cardId, results) {
  const values = {
    updatedAt: new Date().toISOString(),
    cardId,
    userId,
    ...definedFields(results, UPSERT_FIELDS),
  };
  const { expression, names, placeholders } = setExpression(values);
  const response = await documentClient().send(
    new UpdateCommand({
      TableName: process.env.DDB_TABLE || '',
      Key: cardKey(userId, cardId),
      UpdateExpression: expression,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: placeholders,
      ReturnValues: 'ALL_NEW',
    }),
  );
  if (!response.Attributes) throw new Error(`Upsert of card ${cardId} returned no attributes`);
  return response.Attributes;
}

// Reads the card with a key-condition Query (Limit 1); throws 'Card <id> not
// found' when it is missing, not a CARD or soft-deleted.
export async function getCardItem(userId, cardId) {
  const key = cardKey(userId, cardId);
  const response = await documentClient().send(
    new QueryCommand({
      TableName: process.env.DDB_TABLE,
      KeyConditionExpression: 'PK = :pk AND SK = :sk',
      ExpressionAttributeValues: { ':pk': key.PK, ':sk': key.SK },
      Limit: 1,
    }),
  );
  const item = response.Items?.[0];
  if (!item || item.entityType !== 'CARD' || item.deletedAt) {
    throw new Error(`Card ${cardId} not found`);
  }
  return item;
}

// Updates an existing, not deleted card (condition attribute_exists(PK) AND
// attribute_not_exists(deletedAt)) and returns the new item. A failed
// condition surfaces as 'Card <id> not found'.
export async function updateCardResults(userId, cardId, results) {
  await getCardItem(userId, cardId);
  const values = { updatedAt: new Date().toISOString(), ...definedFields(results, UPDATE_FIELDS) };
  const { expression, names, placeholders } = setExpression(values);
  try {
    const response = await documentClient().send(
      new UpdateCommand({
        TableName: process.env.DDB_TABLE,
        Key: cardKey(userId, cardId),
        UpdateExpression: expression,
        ConditionExpression: 'attribute_exists(PK) AND attribute_not_exists(deletedAt)',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: placeholders,
        ReturnValues: 'ALL_NEW',
      }),
    );
    return response.Attributes;
  } catch (error) {
    if (error.name === 'ConditionalCheckFailedException') {
      throw new Error(`Card ${cardId} not found`);
    }
    throw error;
  }
}
