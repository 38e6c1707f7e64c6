// The HTTP API port with Node's fetch, as a browser-side client sees it:
// JWT authorizer outcomes, a CORS preflight from http://localhost:3000,
// unknown routes, and how results and errors of a Lambda integration come
// back. The file starts its own `stratus serve` (STRATUS_BIN, set by
// run.sh) with a stack written to a temporary directory, because the
// shared server of run.sh runs without a stack.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';

const stratusBin = process.env.STRATUS_BIN;
if (!stratusBin) {
  throw new Error('STRATUS_BIN must name the stratus binary; run this file through run.sh');
}
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const authDir = join(repoRoot, 'fixtures/auth');
const issuer = 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_StratusLocal';

const handler = `
export const handler = async (event) => {
  switch (event.rawPath) {
    case '/bare': return { hello: 'world' };
    case '/fail': throw new Error('boom');
    case '/cookies': return {
      statusCode: 201,
      headers: { 'content-type': 'text/plain', 'access-control-allow-origin': '*' },
      cookies: ['session=abc; Path=/; HttpOnly', 'theme=dark'],
      body: 'created',
    };
    default: return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(event) };
  }
};
`;

function stackYaml(codeDir) {
  return `Resources:
  Echo:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: http-api-echo
      Runtime: nodejs20.x
      Handler: index.handler
      Role: arn:aws:iam::123456789012:role/http-api-echo
      Code: {Directory: ${codeDir}}
  HttpApi:
    Type: AWS::ApiGatewayV2::Api
    Properties:
      Name: client-test-api
      ProtocolType: HTTP
      CorsConfiguration:
        AllowOrigins: [https://main.example.amplifyapp.com, http://localhost:3000]
        AllowMethods: [GET, POST, PUT, DELETE, OPTIONS]
        AllowHeaders: [Content-Type, Authorization, Idempotency-Key]
        ExposeHeaders: [X-Request-ID]
        AllowCredentials: true
        MaxAge: 300
      Authorizers:
        - Name: jwt
          AuthorizerType: JWT
          IdentitySource: [$request.header.Authorization]
          JwtConfiguration:
            Issuer: ${issuer}
            Audience: [stratuslocalclient]
      Routes:
        - RouteKey: "GET /cards/{cardId}"
          Target: http-api-echo
          AuthorizationType: JWT
          AuthorizerName: jwt
        - RouteKey: GET /bare
          Target: http-api-echo
        - RouteKey: GET /fail
          Target: http-api-echo
        - RouteKey: GET /cookies
          Target: http-api-echo
`;
}

let work;
let server;
let apiUrl;
let awsUrl;

// Start the server and read both ports from its log, for at most 15 s.
before(async () => {
  work = mkdtempSync(join(tmpdir(), 'stratus-http-api-'));
  const codeDir = join(work, 'code');
  spawnSync('mkdir', [codeDir]);
  writeFileSync(join(codeDir, 'index.mjs'), handler);
  writeFileSync(join(work, 'stack.yaml'), stackYaml(codeDir));
  server = spawn(
    stratusBin,
    ['serve', '--in-memory', '--stack', join(work, 'stack.yaml'), '--host', '127.0.0.1', '--port', '0', '--api-port', '0', '--log-level', 'info'],
    { cwd: work, env: { ...process.env, STRATUS_AUTH_DIR: authDir }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  await new Promise((resolveStart, rejectStart) => {
    const timer = setTimeout(() => rejectStart(new Error(`stratus serve did not start within 15 s:\n${log}`)), 15_000);
    server.stderr.on('data', (chunk) => {
      log += chunk;
      const api = /HTTP API listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(log);
      const aws = /AWS APIs listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(log);
      if (api && aws) {
        apiUrl = api[1];
        awsUrl = aws[1];
        clearTimeout(timer);
        resolveStart();
      }
    });
    server.on('exit', (code) => {
      clearTimeout(timer);
      rejectStart(new Error(`stratus serve exited with ${code}:\n${log}`));
    });
  });
});

after(() => {
  if (server && server.exitCode === null) server.kill('SIGTERM');
  if (work) rmSync(work, { recursive: true, force: true });
});

function token(...args) {
  const result = spawnSync(stratusBin, ['token', ...args], {
    env: { ...process.env, STRATUS_AUTH_DIR: authDir },
    encoding: 'utf8',
  });
  assert.equal(result.status, 0, `stratus token failed: ${result.stderr}`);
  return result.stdout.trim();
}

async function getCard(authorization) {
  const headers = authorization ? { Authorization: authorization } : {};
  return fetch(`${apiUrl}/cards/card-1?limit=20`, { headers });
}

async function assertUnauthorized(response, description) {
  assert.equal(response.status, 401);
  assert.deepEqual(await response.json(), { message: 'Unauthorized' });
  assert.ok(response.headers.get('apigw-requestid'));
  if (description) {
    assert.equal(
      response.headers.get('www-authenticate'),
      `Bearer scope="" error="invalid_token" error_description="${description}"`,
    );
  }
}

describe('JWT authorizer', () => {
  test('accepts an ID token; claims arrive as strings', async () => {
    const response = await getCard(`Bearer ${token('--user', 'alice')}`);
    assert.equal(response.status, 200);
    const event = await response.json();
    const claims = event.requestContext.authorizer.jwt.claims;
    assert.equal(claims.sub, '24b6b40f-5d43-47c8-9ec0-d4bcc0837fee');
    assert.equal(claims.email, 'alice@example.com');
    assert.match(claims.iat, /^\d{10}$/);
    assert.match(claims.exp, /^\d{10}$/);
    for (const [name, value] of Object.entries(claims)) {
      assert.equal(typeof value, 'string', `claim ${name}`);
    }
    assert.equal(event.pathParameters.cardId, 'card-1');
    assert.equal(event.queryStringParameters.limit, '20');
    assert.equal(event.requestContext.requestId, response.headers.get('apigw-requestid'));
  });

  test('accepts an access token without the Bearer prefix', async () => {
    const response = await getCard(token('--user', 'bob', '--token-use', 'access'));
    assert.equal(response.status, 200);
    const event = await response.json();
    assert.equal(event.requestContext.authorizer.jwt.claims.client_id, 'stratuslocalclient');
    assert.deepEqual(event.requestContext.authorizer.jwt.scopes, ['openid', 'email', 'profile']);
  });

  test('rejects an expired token', async () => {
    await assertUnauthorized(await getCard(`Bearer ${token('--user', 'alice', '--expires-in', '-60')}`), 'the token has expired');
  });

  test('rejects a wrong issuer', async () => {
    await assertUnauthorized(
      await getCard(`Bearer ${token('--user', 'alice', '--issuer', 'https://issuer.invalid')}`),
      'the token does not have a valid issuer',
    );
  });

  test('rejects a wrong audience', async () => {
    await assertUnauthorized(
      await getCard(`Bearer ${token('--user', 'alice', '--client-id', 'someoneelse')}`),
      'the token does not have a valid audience',
    );
  });

  test('rejects a missing token', async () => {
    await assertUnauthorized(await getCard(null), null);
  });

  test('rejects a tampered signature', async () => {
    const [header, payload] = token('--user', 'alice').split('.');
    const signature = token('--user', 'bob').split('.')[2];
    await assertUnauthorized(await getCard(`Bearer ${header}.${payload}.${signature}`), 'crypto/rsa: verification error');
  });
});

describe('CORS', () => {
  test('answers a browser preflight from http://localhost:3000', async () => {
    const response = await fetch(`${apiUrl}/cards/card-1`, {
      method: 'OPTIONS',
      headers: {
        Origin: 'http://localhost:3000',
        'Access-Control-Request-Method': 'GET',
        'Access-Control-Request-Headers': 'authorization,content-type',
      },
    });
    assert.equal(response.status, 204);
    assert.equal(response.headers.get('access-control-allow-origin'), 'http://localhost:3000');
    assert.equal(response.headers.get('access-control-allow-credentials'), 'true');
    assert.equal(response.headers.get('access-control-allow-methods'), 'GET,POST,PUT,DELETE,OPTIONS');
    assert.equal(response.headers.get('access-control-allow-headers'), 'Content-Type,Authorization,Idempotency-Key');
    assert.equal(response.headers.get('access-control-max-age'), '300');
  });

  test('replaces the integration CORS headers', async () => {
    const response = await fetch(`${apiUrl}/cookies`, { headers: { Origin: 'http://localhost:3000' } });
    assert.equal(response.headers.get('access-control-allow-origin'), 'http://localhost:3000');
    assert.equal(response.headers.get('access-control-expose-headers'), 'X-Request-ID');
  });
});

describe('routes and integration results', () => {
  test('unknown route is 404', async () => {
    const response = await fetch(`${apiUrl}/healthz`);
    assert.equal(response.status, 404);
    assert.deepEqual(await response.json(), { message: 'Not Found' });
  });

  test('bare object becomes 200 JSON', async () => {
    const response = await fetch(`${apiUrl}/bare`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'application/json');
    assert.deepEqual(await response.json(), { hello: 'world' });
  });

  test('proxy response sets cookies', async () => {
    const response = await fetch(`${apiUrl}/cookies`);
    assert.equal(response.status, 201);
    assert.equal(await response.text(), 'created');
    assert.deepEqual(response.headers.getSetCookie(), ['session=abc; Path=/; HttpOnly', 'theme=dark']);
  });

  test('function error is 500', async () => {
    const response = await fetch(`${apiUrl}/fail`);
    assert.equal(response.status, 500);
    assert.deepEqual(await response.json(), { message: 'Internal Server Error' });
  });
});

describe('management API', () => {
  test('aws apigatewayv2 get-apis shows the endpoint', () => {
    const result = spawnSync(
      '/usr/bin/aws',
      ['apigatewayv2', 'get-apis', '--endpoint-url', awsUrl, '--output', 'json'],
      {
        encoding: 'utf8',
        timeout: 60_000,
        env: {
          PATH: '/usr/bin:/bin',
          HOME: work,
          AWS_ACCESS_KEY_ID: 'AKIDSTRATUSTEST',
          AWS_SECRET_ACCESS_KEY: 'stratus-test-secret',
          AWS_DEFAULT_REGION: 'us-east-1',
          AWS_PAGER: '',
          AWS_EC2_METADATA_DISABLED: 'true',
          AWS_CONFIG_FILE: join(work, 'no-config'),
          AWS_SHARED_CREDENTIALS_FILE: join(work, 'no-credentials'),
        },
      },
    );
    assert.equal(result.status, 0, result.stderr);
    const api = JSON.parse(result.stdout).Items.find((item) => item.Name === 'client-test-api');
    assert.ok(api, result.stdout);
    assert.equal(api.ApiEndpoint, apiUrl);
    assert.equal(api.ProtocolType, 'HTTP');
  });
});
