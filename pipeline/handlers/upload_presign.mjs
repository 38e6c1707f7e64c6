// upload_presign.mjs: POST /upload/presign. Returns a presigned S3 PUT URL
// (valid 60 s) for one card image under uploads/<sub>/, so the browser
// uploads straight to the bucket.

import { randomUUID } from 'node:crypto';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

import { apiHandler } from './lib/api-handler.mjs';
import { parseJsonBody, sanitizeFilename, validateUploadRequest } from './lib/api-validation.mjs';
import { jsonResponse } from './lib/http.mjs';
import { getAuthContext } from './lib/jwt-claims.mjs';
import { logger } from './lib/log.mjs';
import { BadRequestError, InternalServerError, PayloadTooLargeError } from './lib/problem.mjs';

const EXPIRES_IN_SECONDS = 60;

function allowedContentTypes() {
  return (process.env.ALLOWED_UPLOAD_MIME || 'image/jpeg,image/png')
    .split(',').map((type) => type.trim()).filter(Boolean);
}

function maxUploadBytes() {
  const megabytes = Number(process.env.MAX_UPLOAD_MB || 12);
  return (Number.isFinite(megabytes) && megabytes > 0 ? megabytes : 12) * 1024 * 1024;
}

export const handler = apiHandler('POST /upload/presign', async (event) => {
  const auth = getAuthContext(event);
  const request = validateUploadRequest(parseJsonBody(event));

  const allowed = allowedContentTypes();
  if (!allowed.includes(request.contentType)) {
    throw new BadRequestError(
      `Content type ${request.contentType} is not allowed; allowed types: ${allowed.join(', ')}`);
  }
  const limit = maxUploadBytes();
  if (request.sizeBytes > limit) {
    throw new PayloadTooLargeError(
      `File size ${request.sizeBytes} bytes exceeds the maximum of ${limit} bytes`);
  }
  const bucket = process.env.BUCKET_UPLOADS;
  if (!bucket) throw new InternalServerError('BUCKET_UPLOADS environment variable is not set');

  const key = `uploads/${auth.sub}/${randomUUID()}-${sanitizeFilename(request.filename)}`;
  const params = {
    Bucket: bucket,
    Key: key,
    ContentType: request.contentType,
    ContentLength: request.sizeBytes,
    Metadata: { 'uploaded-by': auth.sub, 'original-filename': request.filename },
  };
  // The metadata headers move into the query string, so the browser's PUT
  // only has to send Content-Type.
  const hoistableHeaders = new Set(['x-amz-meta-uploaded-by', 'x-amz-meta-original-filename']);
  const kmsKeyId = process.env.KMS_KEY_ID || '';
  if (kmsKeyId) {
    params.ServerSideEncryption = 'aws:kms';
    params.SSEKMSKeyId = kmsKeyId;
    hoistableHeaders.add('x-amz-server-side-encryption');
    hoistableHeaders.add('x-amz-server-side-encryption-aws-kms-key-id');
  }

  // NOTE: CollectIQ uses a default client. Since SDK 3.729 that default
  // signs the CRC32 of the empty body into a presigned PUT, and Stratus's
  // S3 then rejects the real upload with BadDigest, so checksums are only
  // added where an operation requires them.
  const client = new S3Client({
    region: process.env.REGION || process.env.AWS_REGION || 'us-east-1',
    requestChecksumCalculation: 'WHEN_REQUIRED',
  });
  const uploadUrl = await getSignedUrl(client, new PutObjectCommand(params), {
    expiresIn: EXPIRES_IN_SECONDS,
    hoistableHeaders,
  });
  logger.info('Presigned upload URL generated', {
    userId: auth.sub, key, contentType: request.contentType, sizeBytes: request.sizeBytes,
  });
  return jsonResponse(event, 200, { uploadUrl, key, expiresIn: EXPIRES_IN_SECONDS });
});
