// S3 and Secrets Manager through Debian's AWS CLI v2 (/usr/bin/aws) against
// a running Stratus (STRATUS_ENDPOINT, set by run.sh): the `aws s3`
// commands (a 9 MiB copy goes through multipart upload) and `aws s3api`
// calls with their error codes.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';

const endpoint = process.env.STRATUS_ENDPOINT;
if (!endpoint || !/^http:\/\/127\.0\.0\.1:\d+$/.test(endpoint)) {
  throw new Error(
    `STRATUS_ENDPOINT must be http://127.0.0.1:PORT, got ${JSON.stringify(endpoint)}; run this file through run.sh`,
  );
}

const AWS_CLI = '/usr/bin/aws';
const home = mkdtempSync(join(tmpdir(), 'stratus-cli-s3-'));
after(() => rmSync(home, { recursive: true, force: true }));

const cliEnv = {
  PATH: '/usr/bin:/bin',
  HOME: home,
  LANG: 'C.UTF-8',
  AWS_ACCESS_KEY_ID: 'AKIDSTRATUSTEST',
  AWS_SECRET_ACCESS_KEY: 'stratus-test-secret',
  AWS_DEFAULT_REGION: 'us-east-1',
  AWS_PAGER: '',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_CONFIG_FILE: join(home, 'no-config'),
  AWS_SHARED_CREDENTIALS_FILE: join(home, 'no-credentials'),
};

// Run `aws ARGS --endpoint-url ...` and return the exit code, stdout and
// stderr.
function aws(...args) {
  const result = spawnSync(AWS_CLI, [...args, '--endpoint-url', endpoint], {
    env: cliEnv,
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (result.error) throw result.error;
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function awsOk(...args) {
  const result = aws(...args);
  assert.equal(result.code, 0, `aws ${args.slice(0, 2).join(' ')} exited ${result.code}: ${result.stderr}`);
  return result.stdout;
}

function awsJson(...args) {
  const out = awsOk(...args, '--output', 'json');
  return out.trim() === '' ? null : JSON.parse(out);
}

describe('S3 through the CLI', () => {
  const bucket = 'cli-s3-bucket';

  test('mb, cp, ls and rm', () => {
    assert.match(awsOk('s3', 'mb', `s3://${bucket}`), /make_bucket: cli-s3-bucket/);
    const small = join(home, 'small.txt');
    writeFileSync(small, 'card scan\n');
    awsOk('s3', 'cp', small, `s3://${bucket}/scans/a b.txt`);

    const big = join(home, 'big.bin');
    const data = Buffer.alloc(9 * 1024 * 1024);
    for (let i = 0; i < data.length; i++) data[i] = (i * 31) & 0xff;
    writeFileSync(big, data);
    awsOk('s3', 'cp', big, `s3://${bucket}/scans/big.bin`);

    const listing = awsOk('s3', 'ls', `s3://${bucket}/scans/`);
    assert.match(listing, / 10 a b\.txt/);
    assert.match(listing, / 9437184 big\.bin/);

    const back = join(home, 'back.bin');
    awsOk('s3', 'cp', `s3://${bucket}/scans/big.bin`, back);
    assert.ok(readFileSync(back).equals(data), 'downloaded bytes differ');

    const head = awsJson('s3api', 'head-object', '--bucket', bucket, '--key', 'scans/big.bin');
    assert.match(head.ETag, /^"[0-9a-f]{32}-2"$/, 'a multipart ETag');

    // A copy of a large object goes through UploadPartCopy.
    awsOk('s3', 'cp', `s3://${bucket}/scans/big.bin`, `s3://${bucket}/scans/big-copy.bin`);
    const copy = join(home, 'copy.bin');
    awsOk('s3', 'cp', `s3://${bucket}/scans/big-copy.bin`, copy);
    assert.ok(readFileSync(copy).equals(data), 'copied bytes differ');

    awsOk('s3', 'rm', `s3://${bucket}/scans/a b.txt`);
    assert.doesNotMatch(awsOk('s3', 'ls', `s3://${bucket}/scans/`), /a b\.txt/);
  });

  test('s3api calls and errors', () => {
    const put = awsJson(
      's3api', 'put-object', '--bucket', bucket, '--key', 'uploads/u1/x.json',
      '--body', join(home, 'small.txt'), '--content-type', 'application/json', '--metadata', 'owner=u1',
    );
    assert.match(put.ETag, /^"[0-9a-f]{32}"$/);
    const list = awsJson('s3api', 'list-objects-v2', '--bucket', bucket, '--prefix', 'uploads/', '--delimiter', '/');
    assert.deepEqual(list.CommonPrefixes, [{ Prefix: 'uploads/u1/' }]);
    const v1 = awsJson('s3api', 'list-objects', '--bucket', bucket, '--prefix', 'uploads/');
    assert.deepEqual(v1.Contents.map((c) => c.Key), ['uploads/u1/x.json']);
    const versions = awsJson('s3api', 'list-object-versions', '--bucket', bucket, '--prefix', 'uploads/');
    assert.equal(versions.Versions[0].Key, 'uploads/u1/x.json');
    assert.equal(versions.Versions[0].IsLatest, true);

    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: `arn:aws:s3:::${bucket}/*`,
        Condition: { Bool: { 'aws:SecureTransport': 'false' } } }],
    });
    awsOk('s3api', 'put-bucket-policy', '--bucket', bucket, '--policy', policy);
    assert.equal(awsJson('s3api', 'get-bucket-policy', '--bucket', bucket).Policy, policy);
    awsOk('s3api', 'put-public-access-block', '--bucket', bucket, '--public-access-block-configuration',
      'BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true');
    const block = awsJson('s3api', 'get-public-access-block', '--bucket', bucket);
    assert.equal(block.PublicAccessBlockConfiguration.RestrictPublicBuckets, true);
    const encryption = awsJson('s3api', 'get-bucket-encryption', '--bucket', bucket);
    assert.equal(
      encryption.ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm,
      'AES256',
    );

    const missing = aws('s3api', 'get-object', '--bucket', bucket, '--key', 'nope', join(home, 'out'));
    assert.equal(missing.code, 254);
    assert.match(missing.stderr, /\(NoSuchKey\) when calling the GetObject operation: The specified key does not exist\./);

    const noBucket = aws('s3api', 'list-objects-v2', '--bucket', 'no-such-bucket-here');
    assert.equal(noBucket.code, 254);
    assert.match(noBucket.stderr, /\(NoSuchBucket\)/);

    const notEmpty = aws('s3api', 'delete-bucket', '--bucket', bucket);
    assert.equal(notEmpty.code, 254);
    assert.match(notEmpty.stderr, /\(BucketNotEmpty\)/);

    awsOk('s3', 'rm', `s3://${bucket}`, '--recursive');
    awsOk('s3', 'rb', `s3://${bucket}`);
    assert.doesNotMatch(awsOk('s3', 'ls'), /cli-s3-bucket/);
  });
});

describe('Secrets Manager through the CLI', () => {
  test('get-secret-value', () => {
    awsJson(
      'secretsmanager', 'create-secret', '--name', 'collectiq-hackathon/tcgplayer-api-keys',
      '--secret-string', '{"placeholder":"REPLACE_WITH_ACTUAL_VALUE"}',
    );
    const value = awsJson('secretsmanager', 'get-secret-value', '--secret-id', 'collectiq-hackathon/tcgplayer-api-keys');
    assert.equal(value.SecretString, '{"placeholder":"REPLACE_WITH_ACTUAL_VALUE"}');
    const missing = aws('secretsmanager', 'get-secret-value', '--secret-id', 'nope');
    assert.equal(missing.code, 254);
    assert.match(missing.stderr, /\(ResourceNotFoundException\) when calling the GetSecretValue operation: Secrets Manager can't find the specified secret\./);
  });
});
