// task-clients.mjs: the AWS SDK clients of the Step Functions task handlers,
// created on first use so that a test can set AWS_ENDPOINT_URL and the
// credentials before the first call. No client sets an endpoint itself: the
// SDK reads AWS_ENDPOINT_URL, as CollectIQ's clients do.

import { createRequire } from 'node:module';
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { RekognitionClient } from '@aws-sdk/client-rekognition';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';

const clients = new Map();

export function region() {
  return process.env.AWS_REGION || 'us-east-1';
}

function cached(name, create) {
  if (!clients.has(name)) clients.set(name, create());
  return clients.get(name);
}

export const s3Client = () => cached('s3', () => new S3Client({ region: region() }));
export const rekognitionClient = () =>
  cached('rekognition', () => new RekognitionClient({ region: region() }));

// The Bedrock Runtime client (3.1178) defaults to an HTTP/2 handler, which
// on an http:// endpoint speaks cleartext HTTP/2 that an HTTP/1.1 server
// rejects ("Protocol error"). Stratus's Lambda runtime switches such calls
// to HTTP/1.1 itself, but the unit tests run outside it. Converse is a plain
// request and response, so the client always gets the HTTP/1.1 handler of
// its own @smithy/node-http-handler dependency.
function http1Handler() {
  const requireFromBedrock = createRequire(import.meta.resolve('@aws-sdk/client-bedrock-runtime'));
  const { NodeHttpHandler } = requireFromBedrock('@smithy/node-http-handler');
  return new NodeHttpHandler();
}

export const bedrockClient = () =>
  cached('bedrock', () => new BedrockRuntimeClient({ region: region(), requestHandler: http1Handler() }));
export const cloudWatchClient = () =>
  cached('cloudwatch', () => new CloudWatchClient({ region: region() }));
export const eventBridgeClient = () =>
  cached('eventbridge', () => new EventBridgeClient({ region: region() }));
export const sqsClient = () => cached('sqs', () => new SQSClient({ region: region() }));
export const secretsClient = () =>
  cached('secrets', () => new SecretsManagerClient({ region: region() }));

// Marshalling options of CollectIQ's DocumentClient: undefined members are
// dropped, empty strings stay strings, numbers come back as JS numbers.
export const documentClient = () =>
  cached('dynamodb', () =>
    DynamoDBDocumentClient.from(new DynamoDBClient({ region: region(), maxAttempts: 3 }), {
      marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false },
      unmarshallOptions: { wrapNumbers: false },
    }),
  );

// Drops every cached client, so a test can point the next one elsewhere.
export function resetClients() {
  for (const client of clients.values()) client.destroy?.();
  clients.clear();
}

// Reads a numeric environment variable, falling back when unset or invalid.
export function envNumber(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  return Number.isFinite(value) ? value : fallback;
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
