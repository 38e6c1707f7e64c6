// s3-objects.mjs: the S3 reads of the task handlers (card images and the
// reference-hash JSON objects).

import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { s3Client } from './task-clients.mjs';

export function uploadsBucket() {
  return process.env.BUCKET_UPLOADS || '';
}

// Returns the whole object body as a Buffer; S3 errors propagate.
export async function readObjectBytes(bucket, key) {
  const response = await s3Client().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  if (!response.Body) throw new Error(`S3 object s3://${bucket}/${key} has no body`);
  return Buffer.from(await response.Body.transformToByteArray());
}

// Returns the keys of the first ListObjectsV2 page (at most 1000 keys) under
// prefix. CollectIQ does not paginate this listing either.
export async function listKeys(bucket, prefix) {
  const response = await s3Client().send(
    new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }),
  );
  return (response.Contents || []).map((object) => object.Key).filter(Boolean);
}
