// idempotency.mjs: the Idempotency-Key middleware of POST /cards and POST
// /cards/{cardId}/revalue, with its records in the cards table.
//
// A record is PK=USER#<sub>, SK=IDEMPOTENCY#<key>, entityType IDEMPOTENCY,
// status PENDING while the handler runs and COMPLETED with the cached
// proxy response after a 2xx; `ttl` ends it logically even before
// DynamoDB's TTL deletes it. The middleware reproduces CollectIQ's
// behaviour, including its quirks: a lost race on the conditional put,
// and any DynamoDB failure before the handler, still run the handler
// (so a duplicate side effect is possible), and only 2xx results are
// cached.

import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';

import {
  getDocumentClient,
  getTableName,
  idempotencySk,
  isConditionalCheckFailed,
  userPk,
} from './ddb.mjs';
import { jsonResponse } from './http.mjs';
import { logger } from './log.mjs';
import {
  BadRequestError,
  ConflictError,
  UnauthorizedError,
  problemResponse,
} from './problem.mjs';

// Header names tried in this order; the first present one wins. HTTP API
// lower-cases header names, so `idempotency-key` is the one that matches
// behind the gateway.
export const IDEMPOTENCY_HEADERS = [
  'idempotency-key', 'Idempotency-Key', 'IDEMPOTENCY-KEY',
  'x-idempotency-key', 'X-Idempotency-Key', 'X-IDEMPOTENCY-KEY',
];

export function idempotencyKeyOf(event) {
  const headers = event?.headers ?? {};
  for (const name of IDEMPOTENCY_HEADERS) {
    if (headers[name]) return headers[name];
  }
  return undefined;
}

function ttlSecondsOf(options) {
  if (options.ttlSeconds) return options.ttlSeconds;
  const fromEnv = Number.parseInt(process.env.IDEMPOTENCY_TTL_SECONDS ?? '', 10);
  return Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : 600;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

// D8: the record, or null when absent, expired or unreadable.
export async function getIdempotencyToken(sub, key) {
  try {
    const result = await getDocumentClient().send(new GetCommand({
      TableName: getTableName(),
      Key: { PK: userPk(sub), SK: idempotencySk(key) },
      ConsistentRead: true,
    }));
    const item = result.Item;
    if (!item) return null;
    if (typeof item.ttl === 'number' && item.ttl < nowSeconds()) return null;
    return item;
  } catch (error) {
    logger.warn('Failed to read idempotency token; treating it as absent', {
      userId: sub, idempotencyKey: key, error,
    });
    return null;
  }
}

// D9: puts a PENDING record. Throws ConflictError when one exists;
// rethrows every other DynamoDB error.
export async function createIdempotencyToken(sub, key, operation, ttlSeconds) {
  const now = new Date().toISOString();
  const item = {
    PK: userPk(sub),
    SK: idempotencySk(key),
    entityType: 'IDEMPOTENCY',
    idempotencyKey: key,
    userId: sub,
    operation,
    status: 'PENDING',
    createdAt: now,
    updatedAt: now,
    ttl: nowSeconds() + ttlSeconds,
  };
  try {
    await getDocumentClient().send(new PutCommand({
      TableName: getTableName(),
      Item: item,
      ConditionExpression: 'attribute_not_exists(PK) AND attribute_not_exists(SK)',
    }));
  } catch (error) {
    if (isConditionalCheckFailed(error)) {
      throw new ConflictError('Idempotency token already exists');
    }
    throw error;
  }
  return item;
}

// D10: marks the record COMPLETED with the proxy response to replay.
// Failures are logged only.
export async function completeIdempotencyToken(sub, key, result) {
  try {
    await getDocumentClient().send(new UpdateCommand({
      TableName: getTableName(),
      Key: { PK: userPk(sub), SK: idempotencySk(key) },
      UpdateExpression: 'SET #status = :status, #result = :result, #updatedAt = :updatedAt',
      ConditionExpression: 'attribute_exists(PK) AND attribute_exists(SK)',
      ExpressionAttributeNames: {
        '#status': 'status',
        '#result': 'result',
        '#updatedAt': 'updatedAt',
      },
      ExpressionAttributeValues: {
        ':status': 'COMPLETED',
        ':result': result,
        ':updatedAt': new Date().toISOString(),
      },
    }));
  } catch (error) {
    logger.error('Failed to complete idempotency token', { userId: sub, idempotencyKey: key, error });
  }
}

// D11: removes the record so a retry runs the handler again. Failures are
// logged and ignored.
export async function deleteIdempotencyToken(sub, key) {
  try {
    await getDocumentClient().send(new DeleteCommand({
      TableName: getTableName(),
      Key: { PK: userPk(sub), SK: idempotencySk(key) },
    }));
  } catch (error) {
    logger.warn('Failed to delete idempotency token', { userId: sub, idempotencyKey: key, error });
  }
}

const isProxyResult = (value) =>
  value !== null && typeof value === 'object' && typeof value.statusCode === 'number';

// The response for a COMPLETED record: the cached proxy response as it
// was, a 200 around any other cached value, or 204 when nothing was
// cached.
function replay(event, token) {
  if (isProxyResult(token.result)) return token.result;
  if (token.result === undefined || token.result === null) {
    return { ...jsonResponse(event, 204, null), body: '' };
  }
  return jsonResponse(event, 200, token.result);
}

// Wraps `handler` with the Idempotency-Key protocol. Options: `operation`
// (stored in the record), `required` (a request without a key gets 400)
// and `ttlSeconds` (else IDEMPOTENCY_TTL_SECONDS, else 600).
export function withIdempotency(handler, options) {
  const { operation, required = false } = options;

  return async function idempotentHandler(event, context) {
    const path = event?.requestContext?.http?.path;
    const key = idempotencyKeyOf(event);
    if (!key) {
      if (!required) return handler(event, context);
      return problemResponse(
        new BadRequestError('Idempotency-Key header is required for this operation'),
        event, path);
    }
    const sub = event?.requestContext?.authorizer?.jwt?.claims?.sub;
    if (!sub) {
      return problemResponse(new UnauthorizedError('User authentication required'), event, path);
    }

    let handlerStarted = false;
    try {
      const token = await getIdempotencyToken(sub, key);
      if (token?.status === 'COMPLETED') {
        logger.info('Replaying the cached response of an idempotent request', {
          userId: sub, idempotencyKey: key, operation,
        });
        return replay(event, token);
      }
      if (token?.status === 'PENDING') {
        return problemResponse(
          new ConflictError('Duplicate request detected - original request is still processing.'),
          event, path);
      }

      await createIdempotencyToken(sub, key, operation, ttlSecondsOf(options));
      handlerStarted = true;
      const result = await handler(event, context);
      if (isProxyResult(result) && result.statusCode >= 200 && result.statusCode < 300) {
        await completeIdempotencyToken(sub, key, result);
      } else {
        await deleteIdempotencyToken(sub, key);
      }
      return result;
    } catch (error) {
      if (handlerStarted) {
        await deleteIdempotencyToken(sub, key);
        throw error;
      }
      // A lost race on the conditional put, or DynamoDB failing before the
      // handler ran: run it anyway rather than fail the request.
      logger.warn('Idempotency check failed; running the handler without it', {
        userId: sub, idempotencyKey: key, operation, error,
      });
      return handler(event, context);
    }
  };
}
