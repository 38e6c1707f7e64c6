// cards.mjs: the card items of the single table and the card operations
// of the API handlers. A card is the item PK=USER#<sub>, SK=CARD#<cardId>,
// entityType CARD; `itemToCard` turns it into the Card JSON the API
// returns, which never includes PK, SK, entityType, deletedAt or
// ocrMetadata.

import { randomUUID } from 'node:crypto';
import { DeleteObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  DeleteCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';

import {
  cardSk,
  getDocumentClient,
  getTableName,
  isConditionalCheckFailed,
  userPk,
} from './ddb.mjs';
import { logger } from './log.mjs';
import { ConflictError, HttpError, InternalServerError, NotFoundError } from './problem.mjs';

// Optional Card members in the order the API returns them.
const OPTIONAL_FIELDS = [
  'name', 'set', 'number', 'rarity', 'conditionEstimate', 'backS3Key',
  'idConfidence', 'authenticityScore', 'authenticitySignals', 'valueLow',
  'valueMedian', 'valueHigh', 'compsCount', 'sources', 'pricingMessage',
  'valuationSummary',
];

// Members a client may set on POST /cards besides frontS3Key.
export const CREATE_FIELDS = ['backS3Key', 'name', 'set', 'number', 'rarity', 'conditionEstimate'];

export function itemToCard(item) {
  const card = {
    cardId: item.cardId,
    userId: item.userId,
    frontS3Key: item.frontS3Key,
    createdAt: item.createdAt,
    updatedAt: item.updatedAt,
  };
  for (const field of OPTIONAL_FIELDS) {
    if (item[field] !== undefined) card[field] = item[field];
  }
  return card;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const SIGNALS = [
  'visualHashConfidence', 'textMatchConfidence', 'holoPatternConfidence',
  'borderConsistency', 'fontValidation',
];
const TRENDS = ['rising', 'falling', 'stable'];

const isUnit = (value) => typeof value === 'number' && value >= 0 && value <= 1;
const isNumber = (value) => typeof value === 'number' && Number.isFinite(value);

// Returns the list of problems that keep `card` from being a valid Card
// (empty when valid): the checks of CollectIQ's card schema that a stored
// item can fail.
// NOTE: written from the schema's documented constraints; string length
// limits of the original schema are not checked.
export function cardSchemaProblems(card) {
  const problems = [];
  const requireString = (field) => {
    if (typeof card[field] !== 'string' || card[field] === '') {
      problems.push(`${field}: expected a non-empty string`);
    }
  };
  if (typeof card.cardId !== 'string' || !UUID.test(card.cardId)) {
    problems.push('cardId: expected a UUID');
  }
  requireString('userId');
  requireString('frontS3Key');
  for (const field of ['createdAt', 'updatedAt']) {
    if (typeof card[field] !== 'string' || !ISO_UTC.test(card[field])) {
      problems.push(`${field}: expected an ISO-8601 UTC timestamp`);
    }
  }
  for (const field of ['name', 'set', 'number', 'rarity', 'conditionEstimate',
    'backS3Key', 'pricingMessage']) {
    if (card[field] !== undefined && typeof card[field] !== 'string') {
      problems.push(`${field}: expected a string`);
    }
  }
  for (const field of ['idConfidence', 'authenticityScore']) {
    if (card[field] !== undefined && !isUnit(card[field])) {
      problems.push(`${field}: expected a number from 0 to 1`);
    }
  }
  for (const field of ['valueLow', 'valueMedian', 'valueHigh']) {
    if (card[field] !== undefined && !(isNumber(card[field]) && card[field] >= 0)) {
      problems.push(`${field}: expected a number of at least 0`);
    }
  }
  if (card.compsCount !== undefined &&
      !(Number.isInteger(card.compsCount) && card.compsCount >= 0)) {
    problems.push('compsCount: expected an integer of at least 0');
  }
  if (card.sources !== undefined &&
      !(Array.isArray(card.sources) && card.sources.every((s) => typeof s === 'string'))) {
    problems.push('sources: expected a list of strings');
  }
  if (card.authenticitySignals !== undefined) {
    const signals = card.authenticitySignals;
    for (const signal of SIGNALS) {
      if (!signals || !isUnit(signals[signal])) {
        problems.push(`authenticitySignals.${signal}: expected a number from 0 to 1`);
      }
    }
  }
  if (card.valuationSummary !== undefined) {
    const summary = card.valuationSummary;
    if (!summary || typeof summary.summary !== 'string' ||
        !isNumber(summary.fairValue) || !TRENDS.includes(summary.trend) ||
        typeof summary.recommendation !== 'string' || !isUnit(summary.confidence)) {
      problems.push('valuationSummary: expected {summary, fairValue, trend, recommendation, confidence}');
    }
  }
  return problems;
}

// D1: puts a new card for `sub`. Throws ConflictError when the key exists
// and InternalServerError on any other DynamoDB failure.
export async function createCard(sub, input) {
  const cardId = randomUUID();
  const now = new Date().toISOString();
  const item = {
    PK: userPk(sub),
    SK: cardSk(cardId),
    entityType: 'CARD',
    cardId,
    userId: sub,
    frontS3Key: input.frontS3Key,
    createdAt: now,
    updatedAt: now,
  };
  for (const field of CREATE_FIELDS) {
    if (input[field] !== undefined) item[field] = input[field];
  }
  try {
    await getDocumentClient().send(new PutCommand({
      TableName: getTableName(),
      Item: item,
      ConditionExpression: 'attribute_not_exists(PK) AND attribute_not_exists(SK)',
    }));
  } catch (error) {
    if (isConditionalCheckFailed(error)) {
      throw new ConflictError(`Card ${cardId} already exists`);
    }
    logger.error('Failed to create card', { userId: sub, cardId, error });
    throw new InternalServerError('Failed to create card');
  }
  return itemToCard(item);
}

// The GSI1 cursor is the LastEvaluatedKey as base64-encoded JSON. A cursor
// that does not decode to an object is ignored, so the listing restarts.
export function decodeCursor(cursor) {
  if (typeof cursor !== 'string' || cursor === '') return undefined;
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64').toString('utf8'));
    return key && typeof key === 'object' && !Array.isArray(key) ? key : undefined;
  } catch {
    return undefined;
  }
}

export function encodeCursor(key) {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64');
}

// D2: one page of the user's items on GSI1, newest first. `Limit` counts
// every item of the user (idempotency records too); only live cards are
// kept afterwards, so a page may hold fewer than `limit` cards.
export async function listCards(sub, { limit, cursor }) {
  try {
    const result = await getDocumentClient().send(new QueryCommand({
      TableName: getTableName(),
      IndexName: 'GSI1',
      KeyConditionExpression: 'userId = :userId',
      ExpressionAttributeValues: { ':userId': sub },
      Limit: limit,
      ScanIndexForward: false,
      ExclusiveStartKey: decodeCursor(cursor),
    }));
    const items = (result.Items ?? [])
      .filter((item) => item.entityType === 'CARD' && !item.deletedAt)
      .map(itemToCard);
    const page = { items };
    if (result.LastEvaluatedKey) page.nextCursor = encodeCursor(result.LastEvaluatedKey);
    return page;
  } catch (error) {
    logger.error('Failed to list cards', { userId: sub, error });
    throw new InternalServerError('Failed to list cards');
  }
}

// D3: the live card item of `sub`, or NotFoundError. A card of another
// user is not found either, because the key contains the caller's sub.
export async function getCardItem(sub, cardId) {
  let item;
  try {
    const result = await getDocumentClient().send(new QueryCommand({
      TableName: getTableName(),
      KeyConditionExpression: 'PK = :pk AND SK = :sk',
      ExpressionAttributeValues: { ':pk': userPk(sub), ':sk': cardSk(cardId) },
      Limit: 1,
    }));
    item = result.Items?.[0];
  } catch (error) {
    logger.error('Failed to get card', { userId: sub, cardId, error });
    throw new InternalServerError(`Failed to get card: ${error.message}`);
  }
  if (!item || item.entityType !== 'CARD' || item.deletedAt) {
    throw new NotFoundError(`Card ${cardId} not found`);
  }
  return item;
}

// D3 plus the card schema check. A stored item that fails the schema is
// a server-side fault (500), as a failed schema parse is in CollectIQ.
export async function getCard(sub, cardId) {
  const card = itemToCard(await getCardItem(sub, cardId));
  const problems = cardSchemaProblems(card);
  if (problems.length > 0) {
    logger.error('Stored card failed the card schema', { userId: sub, cardId, problems });
    throw new InternalServerError(`Failed to get card: ${problems.join('; ')}`);
  }
  return card;
}

function s3Client() {
  return new S3Client({ region: process.env.AWS_REGION || process.env.REGION || 'us-east-1' });
}

// Deletes the card's images. Failures are logged and ignored: the card
// goes away even when its images cannot.
async function deleteCardImages(item) {
  const bucket = process.env.S3_BUCKET || process.env.BUCKET_UPLOADS;
  if (!bucket) {
    logger.warn('No S3_BUCKET or BUCKET_UPLOADS set; card images are kept', { cardId: item.cardId });
    return;
  }
  const client = s3Client();
  for (const key of [item.frontS3Key, item.backS3Key]) {
    if (!key) continue;
    try {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    } catch (error) {
      logger.warn('Failed to delete card image', { cardId: item.cardId, bucket, key, error });
    }
  }
}

// D5 (HARD_DELETE_CARDS=true, as deployed) or D6 (soft delete). Throws
// NotFoundError for a missing or already deleted card.
export async function deleteCard(sub, cardId) {
  const client = getDocumentClient();
  const key = { PK: userPk(sub), SK: cardSk(cardId) };
  try {
    if (process.env.HARD_DELETE_CARDS === 'true') {
      const item = await getCardItem(sub, cardId);
      await deleteCardImages(item);
      await client.send(new DeleteCommand({
        TableName: getTableName(),
        Key: key,
        ConditionExpression: 'attribute_exists(PK)',
      }));
      return;
    }
    const now = new Date().toISOString();
    await client.send(new UpdateCommand({
      TableName: getTableName(),
      Key: key,
      UpdateExpression: 'SET deletedAt = :deletedAt, updatedAt = :updatedAt',
      ConditionExpression: 'attribute_exists(PK) AND attribute_not_exists(deletedAt)',
      ExpressionAttributeValues: { ':deletedAt': now, ':updatedAt': now },
    }));
  } catch (error) {
    if (error instanceof HttpError) throw error;
    if (isConditionalCheckFailed(error)) throw new NotFoundError(`Card ${cardId} not found`);
    logger.error('Failed to delete card', { userId: sub, cardId, error });
    throw new InternalServerError(`Failed to delete card: ${error.message}`);
  }
}
