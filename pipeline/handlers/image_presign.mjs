// image_presign.mjs: GET /images/presign?key=. Returns a presigned S3 GET
// URL (valid one hour) for one of the caller's own uploads; a key outside
// uploads/<sub>/ is forbidden.

import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

import { apiHandler } from './lib/api-handler.mjs';
import { jsonResponse } from './lib/http.mjs';
import { getAuthContext } from './lib/jwt-claims.mjs';
import { BadRequestError, ForbiddenError, InternalServerError } from './lib/problem.mjs';

const EXPIRES_IN_SECONDS = 3600;

export const handler = apiHandler('GET /images/presign', async (event) => {
  const auth = getAuthContext(event);
  const key = event?.queryStringParameters?.key;
  if (!key) throw new BadRequestError('Query parameter "key" is required');
  if (!key.startsWith(`uploads/${auth.sub}/`)) {
    throw new ForbiddenError('You do not have access to this image');
  }
  const bucket = process.env.BUCKET_UPLOADS;
  if (!bucket) throw new InternalServerError('BUCKET_UPLOADS environment variable is not set');

  const client = new S3Client({ region: process.env.REGION || process.env.AWS_REGION || 'us-east-1' });
  const viewUrl = await getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: key }), {
    expiresIn: EXPIRES_IN_SECONDS,
  });
  return jsonResponse(event, 200, { viewUrl, expiresIn: EXPIRES_IN_SECONDS });
});
