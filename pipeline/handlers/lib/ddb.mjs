// ddb.mjs: the API handlers' DynamoDB document client and key builders.
// One client per process, configured as CollectIQ's: three attempts,
// request timeout DDB_REQUEST_TIMEOUT_MS (5000), connect timeout
// DDB_CONNECTION_TIMEOUT_MS (1000), DDB_MAX_SOCKETS (50) sockets,
// undefined members dropped, empty strings kept, numbers as JS numbers.

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

let documentClient;

function intFromEnv(name, fallback) {
  const value = Number.parseInt(process.env[name] ?? '', 10);
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

export function getDocumentClient() {
  if (documentClient) return documentClient;
  const maxSockets = intFromEnv('DDB_MAX_SOCKETS', 50);
  const client = new DynamoDBClient({
    region: process.env.AWS_REGION || 'us-east-1',
    maxAttempts: 3,
    // The SDK builds its NodeHttpHandler from these options.
    requestHandler: {
      requestTimeout: intFromEnv('DDB_REQUEST_TIMEOUT_MS', 5000),
      connectionTimeout: intFromEnv('DDB_CONNECTION_TIMEOUT_MS', 1000),
      httpAgent: { keepAlive: true, maxSockets },
      httpsAgent: { keepAlive: true, maxSockets },
    },
  });
  documentClient = DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false },
    unmarshallOptions: { wrapNumbers: false },
  });
  return documentClient;
}

// Replaces the client, so unit tests can run the handlers' code against a
// stub that records commands instead of sending them.
export function setDocumentClient(client) {
  documentClient = client;
}

export function getTableName() {
  const table = process.env.DDB_TABLE;
  if (!table) throw new Error('DDB_TABLE environment variable is not set');
  return table;
}

export const userPk = (sub) => `USER#${sub}`;
export const cardSk = (cardId) => `CARD#${cardId}`;
export const idempotencySk = (key) => `IDEMPOTENCY#${key}`;

// Returns true when `error` is DynamoDB's failed condition check; the SDK
// names the error after the exception type in the response.
export function isConditionalCheckFailed(error) {
  return error?.name === 'ConditionalCheckFailedException';
}
