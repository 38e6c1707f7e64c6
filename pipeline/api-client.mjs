// api-client.mjs: a small client of CollectIQ's HTTP API and pipeline as
// the web app uses them (bearer token, JSON bodies, Idempotency-Key on
// POST), for the demo and the end-to-end tests.

import { randomUUID } from 'node:crypto';

import { STATE_MACHINE_ARN, requireSdk } from './local-stack.mjs';

const { DescribeExecutionCommand, ListExecutionsCommand, SFNClient } = requireSdk('@aws-sdk/client-sfn');

export class CollectiqApi {
  constructor(apiEndpoint, token) {
    this.apiEndpoint = apiEndpoint;
    this.token = token;
  }

  // Sends one request. Returns {status, headers, body}, with `body` parsed
  // as JSON when the response's Content-Type is JSON.
  async request(method, path, { body, headers = {} } = {}) {
    const response = await fetch(`${this.apiEndpoint}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${this.token}`,
        'Content-Type': 'application/json',
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(35000),
    });
    const text = await response.text();
    const type = response.headers.get('content-type') ?? '';
    const parsed = text && type.includes('json') ? JSON.parse(text) : text;
    return { status: response.status, headers: response.headers, body: parsed };
  }

  presignUpload(filename, contentType, sizeBytes) {
    return this.request('POST', '/upload/presign', { body: { filename, contentType, sizeBytes } });
  }

  createCard(card, idempotencyKey = randomUUID()) {
    return this.request('POST', '/cards', { body: card, headers: { 'Idempotency-Key': idempotencyKey } });
  }

  getCard(cardId) {
    return this.request('GET', `/cards/${encodeURIComponent(cardId)}`);
  }

  listCards(query = '') {
    return this.request('GET', `/cards${query}`);
  }

  deleteCard(cardId) {
    return this.request('DELETE', `/cards/${encodeURIComponent(cardId)}`);
  }

  revalueCard(cardId, body = { forceRefresh: true }, idempotencyKey = randomUUID()) {
    return this.request('POST', `/cards/${encodeURIComponent(cardId)}/revalue`, {
      body, headers: { 'Idempotency-Key': idempotencyKey },
    });
  }
}

// PUTs `bytes` to a presigned URL as a browser does. Returns
// {status, body}.
export async function uploadToPresignedUrl(url, bytes, contentType) {
  const response = await fetch(url, {
    method: 'PUT',
    headers: { 'Content-Type': contentType },
    body: bytes,
    signal: AbortSignal.timeout(30000),
  });
  return { status: response.status, body: await response.text() };
}

const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

export function sfnClient(endpoint) {
  return new SFNClient({
    region: 'us-east-1',
    endpoint,
    credentials: { accessKeyId: 'AKIDSTRATUSDEMO', secretAccessKey: 'stratus-demo-secret' },
  });
}

// Waits until an execution of the card-valuation machine whose input has
// `cardId` has ended, polling every `pollMs`. Returns DescribeExecution's
// result; throws after `timeoutMs`. EventBridge names its executions with
// UUIDs, so the input, not the name, identifies the card.
export async function waitForExecution(sfn, cardId, { timeoutMs = 120000, pollMs = 100 } = {}) {
  const deadline = Date.now() + timeoutMs;
  const known = new Map();
  let executionArn;
  while (Date.now() < deadline) {
    if (!executionArn) {
      const { executions = [] } = await sfn.send(new ListExecutionsCommand({
        stateMachineArn: STATE_MACHINE_ARN, maxResults: 100,
      }));
      for (const execution of executions) {
        if (known.has(execution.executionArn)) continue;
        const description = await sfn.send(new DescribeExecutionCommand({ executionArn: execution.executionArn }));
        const input = JSON.parse(description.input ?? '{}');
        known.set(execution.executionArn, input.cardId);
        if (input.cardId === cardId) executionArn = execution.executionArn;
      }
    }
    if (executionArn) {
      const description = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      if (description.status !== 'RUNNING') return description;
    }
    await sleep(pollMs);
  }
  throw new Error(`no finished card-valuation execution for card ${cardId} within ${timeoutMs} ms`);
}
