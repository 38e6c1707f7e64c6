// Client side of the S3 crash-safety test (s3.sh). `load` creates a bucket
// and runs a bounded load of PutObject requests from several concurrent
// writers, appending "key md5 size" to ACK_FILE for each upload Stratus
// acknowledged with HTTP 200. `verify` reads every acknowledged object back
// and compares its size and MD5. It uses Node's fetch and no npm packages.
//
// usage:
//   node s3.mjs load ENDPOINT ACK_FILE WRITERS TOTAL
//   node s3.mjs verify ENDPOINT ACK_FILE
import { createHash, randomBytes } from 'node:crypto';
import { appendFileSync, readFileSync } from 'node:fs';

const [command, endpoint, ackFile, ...rest] = process.argv.slice(2);
if (!command || !endpoint || !ackFile) {
  console.error('usage: node s3.mjs load|verify ENDPOINT ACK_FILE [WRITERS TOTAL]');
  process.exit(2);
}
if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(endpoint)) {
  console.error(`endpoint must be http://127.0.0.1:PORT, got ${endpoint}`);
  process.exit(2);
}

const bucket = 'crash-s3';
// Stratus reads the region from the SigV4 credential scope and does not
// check the signature.
const authorization =
  'AWS4-HMAC-SHA256 Credential=AKIDSTRATUSTEST/20260101/us-east-1/s3/aws4_request, ' +
  'SignedHeaders=host, Signature=' + '0'.repeat(64);

async function send(method, path, body) {
  const res = await fetch(`${endpoint}${path}`, {
    method,
    body,
    headers: { Authorization: authorization, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
  });
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()) };
}

async function load(writers, total) {
  const created = await send('PUT', `/${bucket}`);
  if (created.status !== 200) throw new Error(`CreateBucket returned ${created.status}: ${created.body}`);
  let next = 0;
  async function writer() {
    while (next < total) {
      const n = next++;
      const key = `objects/${n} with space.bin`;
      const data = randomBytes(1 + ((n * 7919) % 65536));
      let res;
      try {
        res = await send('PUT', `/${bucket}/${encodeURIComponent(key).replace(/%2F/g, '/')}`, data);
      } catch {
        return; // the server was killed
      }
      if (res.status === 200)
        appendFileSync(ackFile, `${encodeURIComponent(key)} ${createHash('md5').update(data).digest('hex')} ${data.length}\n`);
    }
  }
  await Promise.all(Array.from({ length: writers }, writer));
}

async function verify() {
  const lines = readFileSync(ackFile, 'utf8').split('\n').filter(Boolean);
  let lost = 0;
  for (const line of lines) {
    const [encoded, md5, size] = line.split(' ');
    const res = await send('GET', `/${bucket}/${encoded.replace(/%2F/g, '/')}`);
    const got = createHash('md5').update(res.body).digest('hex');
    if (res.status !== 200 || got !== md5 || res.body.length !== Number(size)) {
      console.error(`lost ${decodeURIComponent(encoded)}: status ${res.status}, ${res.body.length} bytes`);
      lost++;
    }
  }
  if (lost) {
    console.error(`${lost} of ${lines.length} acknowledged objects lost or changed`);
    process.exit(1);
  }
  console.log(`all ${lines.length} acknowledged objects survived`);
}

if (command === 'load') await load(Number(rest[0]), Number(rest[1]));
else if (command === 'verify') await verify();
else {
  console.error(`unknown command ${command}`);
  process.exit(2);
}
