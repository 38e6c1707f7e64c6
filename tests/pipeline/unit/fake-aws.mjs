// fake-aws.mjs: a small AWS double for the task-handler unit tests. One HTTP
// server on 127.0.0.1 (free port) serves the JSON-protocol services by
// X-Amz-Target, Bedrock Converse by path, S3 path-style GET/ListObjectsV2
// from an in-memory object map, and the pricing API under /pokemontcg/.
// Every request is recorded, and a test installs a responder per operation.

import http from 'node:http';
import { createRequire } from 'node:module';

// Resolves packages (sharp, the SDK) from the handlers' node_modules.
export const handlersRequire = createRequire(
  new URL('../../../pipeline/handlers/package.json', import.meta.url),
);

const TARGET_SERVICES = {
  DynamoDB_20120810: 'dynamodb',
  AWSEvents: 'events',
  AmazonSQS: 'sqs',
  secretsmanager: 'secretsmanager',
  GraniteServiceVersion20100801: 'cloudwatch',
  RekognitionService: 'rekognition',
};

// An error that a responder returns so that the server responds with an
// AWS JSON error body.
export class AwsError {
  constructor(code, message, status = 400) {
    Object.assign(this, { code, message, status });
  }
}

function xmlEscape(text) {
  return String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

// Parses the request into {op, ...details}.
function classify(req, url, body) {
  const target = req.headers['x-amz-target'];
  if (target) {
    const [prefix, name] = target.split('.');
    const service = TARGET_SERVICES[prefix] || prefix;
    return { op: `${service}:${name}`, input: body.length ? JSON.parse(body) : {}, jsonVersion: req.headers['content-type'] };
  }
  const converse = /^\/model\/([^/]+)\/converse$/.exec(url.pathname);
  if (converse && req.method === 'POST') {
    return { op: 'bedrock:Converse', modelId: decodeURIComponent(converse[1]), input: JSON.parse(body) };
  }
  if (url.pathname.startsWith('/pokemontcg/')) {
    return { op: 'pricing:GET', query: Object.fromEntries(url.searchParams), headers: req.headers };
  }
  const [, bucket, ...rest] = url.pathname.split('/');
  const key = rest.map(decodeURIComponent).join('/');
  if (req.method === 'GET' && url.searchParams.get('list-type') === '2') {
    return { op: 's3:ListObjectsV2', bucket, prefix: url.searchParams.get('prefix') || '' };
  }
  if (req.method === 'GET' && key) return { op: 's3:GetObject', bucket, key };
  return { op: `unknown:${req.method} ${url.pathname}` };
}

export async function startFakeAws() {
  const calls = [];
  const responders = new Map();
  const objects = new Map();

  function defaultResponse(call) {
    if (call.op === 's3:GetObject') {
      const data = objects.get(`${call.bucket}/${call.key}`);
      if (!data) return { status: 404, xml: `<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>${xmlEscape(call.key)}</Key></Error>` };
      return { status: 200, raw: data };
    }
    if (call.op === 's3:ListObjectsV2') {
      const keys = [...objects.keys()]
        .filter((k) => k.startsWith(`${call.bucket}/${call.prefix}`))
        .map((k) => k.slice(call.bucket.length + 1));
      const contents = keys.map((k) => `<Contents><Key>${xmlEscape(k)}</Key><Size>1</Size></Contents>`).join('');
      return {
        status: 200,
        xml: `<ListBucketResult><Name>${call.bucket}</Name><Prefix>${xmlEscape(call.prefix)}</Prefix><KeyCount>${keys.length}</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>${contents}</ListBucketResult>`,
      };
    }
    if (call.op === 'cloudwatch:PutMetricData') return {};
    return new AwsError('InternalFailure', `no responder for ${call.op}`, 500);
  }

  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', async () => {
      const url = new URL(req.url, 'http://127.0.0.1');
      const body = Buffer.concat(chunks).toString('utf8');
      let call;
      let result;
      try {
        call = classify(req, url, body);
        call.host = req.headers.host;
        call.receivedAt = Date.now();
        calls.push(call);
        const responder = responders.get(call.op);
        result = responder ? await responder(call) : defaultResponse(call);
      } catch (error) {
        result = new AwsError('InternalFailure', `fake server error: ${error.message}`, 500);
      }
      const json = (call?.jsonVersion || 'application/x-amz-json-1.1');
      if (result instanceof AwsError) {
        res.writeHead(result.status, {
          'content-type': call?.op?.startsWith('bedrock:') ? 'application/json' : json,
          'x-amzn-errortype': result.code,
        });
        res.end(JSON.stringify({ __type: result.code, message: result.message }));
      } else if (result && result.raw !== undefined) {
        res.writeHead(result.status || 200, { 'content-type': 'application/octet-stream' });
        res.end(result.raw);
      } else if (result && result.xml !== undefined) {
        res.writeHead(result.status || 200, { 'content-type': 'application/xml' });
        res.end(`<?xml version="1.0" encoding="UTF-8"?>\n${result.xml}`);
      } else if (result && result.httpStatus !== undefined) {
        res.writeHead(result.httpStatus, { 'content-type': 'application/json' });
        res.end(JSON.stringify(result.body ?? {}));
      } else {
        res.writeHead(200, { 'content-type': call.op.startsWith('dynamodb:') || call.op.startsWith('sqs:') || call.op.startsWith('cloudwatch:') ? 'application/x-amz-json-1.0' : 'application/json' });
        res.end(JSON.stringify(result ?? {}));
      }
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}`;

  return {
    url,
    calls,
    objects,
    // Installs fn(call) as the responder of op ('rekognition:DetectText').
    on(op, fn) {
      responders.set(op, fn);
    },
    callsOf(op) {
      return calls.filter((c) => c.op === op);
    },
    reset() {
      calls.length = 0;
      responders.clear();
      objects.clear();
    },
    close() {
      server.closeAllConnections?.();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

// Converse response body with the given model text.
export function converseReply(text, usage = { inputTokens: 120, outputTokens: 80 }) {
  return {
    output: { message: { role: 'assistant', content: [{ text }] } },
    stopReason: 'end_turn',
    usage: { ...usage, totalTokens: usage.inputTokens + usage.outputTokens },
    metrics: { latencyMs: 5 },
  };
}

// Points the SDK and the handlers at the fake, with back-off delays of 1 ms.
export function useFakeEnvironment(fake, extra = {}) {
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: fake.url,
    AWS_ACCESS_KEY_ID: 'AKIDSTRATUSTEST',
    AWS_SECRET_ACCESS_KEY: 'stratus-test-secret',
    AWS_REGION: 'us-east-1',
    AWS_MAX_ATTEMPTS: '1',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL || 'ERROR',
    BUCKET_UPLOADS: 'collectiq-uploads',
    DDB_TABLE: 'collectiq-hackathon-cards',
    BEDROCK_RETRY_DELAY_MS: '1',
    BEDROCK_BACKOFF_BASE_MS: '1',
    BEDROCK_BACKOFF_MAX_MS: '5',
    PRICING_RETRY_DELAY_MS: '1',
    POKEMONTCG_API_URL: `${fake.url}/pokemontcg/v2/cards`,
    ...extra,
  });
}
