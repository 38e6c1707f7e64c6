// S3 and Secrets Manager through the AWS SDK for JavaScript v3 against a
// running Stratus (STRATUS_ENDPOINT, set by run.sh). The S3 tests cover
// object calls with the SDK's default CRC32 checksums and aws-chunked
// stream uploads. They use presigned PUT and GET URLs with plain fetch, as
// a browser would, and check an expired URL, a CORS preflight, and
// virtual-hosted addressing through a Host header.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';

import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutBucketCorsCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';

const endpoint = process.env.STRATUS_ENDPOINT;
if (!endpoint || !/^http:\/\/127\.0\.0\.1:\d+$/.test(endpoint)) {
  throw new Error(
    `STRATUS_ENDPOINT must be http://127.0.0.1:PORT, got ${JSON.stringify(endpoint)}; run this file through run.sh`,
  );
}

const credentials = { accessKeyId: 'AKIDSTRATUSTEST', secretAccessKey: 'stratus-test-secret' };
// With an IP-address endpoint the SDK addresses buckets path-style.
const s3 = new S3Client({ endpoint, region: 'us-east-1', credentials });
// The presigner of SDK 3.729 and later signs the CRC32 of an empty body into
// every presigned PUT, which S3 ignores. This client turns that off, as
// many applications do; the default client is tested too.
const presigner = new S3Client({
  endpoint,
  region: 'us-east-1',
  credentials,
  requestChecksumCalculation: 'WHEN_REQUIRED',
});
const bucket = 'sdk-s3-uploads';

// Send a raw HTTP request to Stratus with a chosen Host header.
function rawRequest(method, path, host, body) {
  const { hostname, port } = new URL(endpoint);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, method, path, headers: { Host: host } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('request timed out')));
    req.end(body);
  });
}

describe('S3 through the SDK', () => {
  test('create bucket', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await assert.rejects(s3.send(new CreateBucketCommand({ Bucket: bucket })), { name: 'BucketAlreadyOwnedByYou' });
  });

  test('put, get, list and delete', async () => {
    const key = 'authentic-samples/Pikachu%20V/ref.json';
    const put = await s3.send(new PutObjectCommand({
      Bucket: bucket, Key: key, Body: '{"hash":"ff00"}', ContentType: 'application/json',
      Metadata: { 'card-name': 'Pikachu V' },
    }));
    assert.match(put.ETag, /^"[0-9a-f]{32}"$/);
    assert.equal(typeof put.ChecksumCRC32, 'string', 'the SDK sent a CRC32 and Stratus returned it');

    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    assert.equal(await got.Body.transformToString(), '{"hash":"ff00"}');
    assert.equal(got.ContentType, 'application/json');
    assert.deepEqual(got.Metadata, { 'card-name': 'Pikachu V' });
    assert.equal(got.ETag, put.ETag);

    const listed = await s3.send(new ListObjectsV2Command({
      Bucket: bucket, Prefix: `authentic-samples/${encodeURIComponent('Pikachu V')}/`,
    }));
    assert.deepEqual(listed.Contents.map((c) => c.Key), [key]);

    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    await assert.rejects(s3.send(new GetObjectCommand({ Bucket: bucket, Key: key })), { name: 'NoSuchKey' });
    await assert.rejects(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })), { name: 'NotFound' });
  });

  test('stream upload uses aws-chunked', async () => {
    const data = Buffer.alloc(200_000, 0x5a);
    await s3.send(new PutObjectCommand({
      Bucket: bucket, Key: 'stream.bin', Body: Readable.from([data]), ContentLength: data.length,
    }));
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'stream.bin' }));
    const bytes = Buffer.from(await got.Body.transformToByteArray());
    assert.equal(bytes.length, data.length);
    assert.ok(bytes.equals(data));
  });

  test('presigned PUT then GET with fetch', async () => {
    const key = 'uploads/sub-1/0b7c-card_front.jpg';
    const uploadUrl = await getSignedUrl(presigner, new PutObjectCommand({
      Bucket: bucket, Key: key, ContentType: 'image/jpeg',
      Metadata: { 'uploaded-by': 'sub-1', 'original-filename': 'card front.jpg' },
    }), {
      expiresIn: 60,
      hoistableHeaders: new Set(['x-amz-meta-uploaded-by', 'x-amz-meta-original-filename']),
    });
    assert.match(uploadUrl, /x-amz-meta-uploaded-by=sub-1/);
    const image = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);
    const put = await fetch(uploadUrl, { method: 'PUT', body: image, headers: { 'Content-Type': 'image/jpeg' } });
    assert.equal(put.status, 200, await put.text());

    const viewUrl = await getSignedUrl(presigner, new GetObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: 3600 });
    const got = await fetch(viewUrl);
    assert.equal(got.status, 200);
    assert.equal(got.headers.get('content-type'), 'image/jpeg');
    assert.equal(got.headers.get('x-amz-meta-original-filename'), 'card front.jpg');
    assert.ok(Buffer.from(await got.arrayBuffer()).equals(image));
  });

  test('presigned PUT ignores the empty-body checksum', async () => {
    const url = await getSignedUrl(s3, new PutObjectCommand({ Bucket: bucket, Key: 'uploads/crc.jpg' }), { expiresIn: 60 });
    assert.match(url, /x-amz-checksum-crc32=AAAAAA%3D%3D/);
    const put = await fetch(url, { method: 'PUT', body: 'not empty' });
    assert.equal(put.status, 200, await put.text());
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'uploads/crc.jpg' }));
    assert.equal(await got.Body.transformToString(), 'not empty');
  });

  test('expired presigned URL', async () => {
    const url = await getSignedUrl(presigner, new GetObjectCommand({ Bucket: bucket, Key: 'stream.bin' }), {
      expiresIn: 60, signingDate: new Date(Date.now() - 120_000),
    });
    const got = await fetch(url);
    assert.equal(got.status, 403);
    const text = await got.text();
    assert.match(text, /<Code>AccessDenied<\/Code><Message>Request has expired<\/Message><X-Amz-Expires>60<\/X-Amz-Expires>/);
    assert.match(text, /<ServerTime>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ<\/ServerTime>/);
  });

  test('CORS preflight from the web app', async () => {
    await s3.send(new PutBucketCorsCommand({
      Bucket: bucket,
      CORSConfiguration: {
        CORSRules: [{ AllowedOrigins: ['*'], AllowedMethods: ['PUT', 'POST', 'GET'], AllowedHeaders: ['*'], ExposeHeaders: ['ETag'], MaxAgeSeconds: 3000 }],
      },
    }));
    const ok = await fetch(`${endpoint}/${bucket}/uploads/sub-1/x.jpg`, {
      method: 'OPTIONS',
      headers: {
        Origin: 'http://localhost:3000',
        'Access-Control-Request-Method': 'PUT',
        'Access-Control-Request-Headers': 'content-type',
      },
    });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('access-control-allow-origin'), '*');
    assert.equal(ok.headers.get('access-control-allow-methods'), 'PUT, POST, GET');
    assert.equal(ok.headers.get('access-control-max-age'), '3000');

    const denied = await fetch(`${endpoint}/${bucket}/uploads/sub-1/x.jpg`, {
      method: 'OPTIONS',
      headers: { Origin: 'http://localhost:3000', 'Access-Control-Request-Method': 'DELETE' },
    });
    assert.equal(denied.status, 403);
    assert.match(await denied.text(), /<Code>AccessForbidden<\/Code><Message>CORSResponse: This CORS request is not allowed/);
  });

  test('virtual-hosted addressing by Host header', async () => {
    const { port } = new URL(endpoint);
    const host = `${bucket}.localhost:${port}`;
    const put = await rawRequest('PUT', '/vhost/a%20b.txt', host, 'virtual');
    assert.equal(put.status, 200, put.body);
    const got = await rawRequest('GET', '/vhost/a%20b.txt', `${bucket}.s3.localhost:${port}`);
    assert.equal(got.status, 200);
    assert.equal(got.body, 'virtual');
    const viaSdk = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'vhost/a b.txt' }));
    assert.equal(await viaSdk.Body.transformToString(), 'virtual');
  });
});

describe('Secrets Manager through the SDK', () => {
  const sm = new SecretsManagerClient({ endpoint, region: 'us-east-1', credentials });

  test('create and read a secret', async () => {
    const created = await sm.send(new CreateSecretCommand({
      Name: 'sdk/tcgplayer-api-keys', SecretString: '{"placeholder":"REPLACE_WITH_ACTUAL_VALUE"}',
    }));
    assert.match(created.ARN, /^arn:aws:secretsmanager:us-east-1:\d{12}:secret:sdk\/tcgplayer-api-keys-[A-Za-z0-9]{6}$/);
    const value = await sm.send(new GetSecretValueCommand({ SecretId: 'sdk/tcgplayer-api-keys' }));
    assert.equal(value.SecretString, '{"placeholder":"REPLACE_WITH_ACTUAL_VALUE"}');
    assert.deepEqual(value.VersionStages, ['AWSCURRENT']);
    assert.ok(value.CreatedDate instanceof Date);
    await assert.rejects(sm.send(new GetSecretValueCommand({ SecretId: 'missing' })), {
      name: 'ResourceNotFoundException',
      message: "Secrets Manager can't find the specified secret.",
    });
  });
});
