// rekognition-extract.mjs: the RekognitionExtract task of the card-valuation
// state machine. Input {userId, cardId, s3Keys: {front, back?}, requestId};
// output {features, backFeatures?, requestId}. S3, image-decoding and
// Rekognition errors propagate, so Step Functions' Catch routes the run to
// the ErrorHandler.

import { logger } from './lib/log.mjs';
import { extractFeatures } from './lib/rekognition.mjs';
import { uploadsBucket } from './lib/s3-objects.mjs';

export async function handler(event) {
  const { userId, cardId, s3Keys, requestId } = event || {};
  if (!s3Keys || typeof s3Keys.front !== 'string' || !s3Keys.front) {
    throw new Error('Invalid input: s3Keys.front is required');
  }
  const bucket = uploadsBucket();
  logger.info('Extracting card features', { userId, cardId, requestId, frontS3Key: s3Keys.front });

  const features = await extractFeatures(bucket, s3Keys.front);
  const result = { features };
  if (s3Keys.back) {
    result.backFeatures = await extractFeatures(bucket, s3Keys.back);
  }
  result.requestId = requestId;

  logger.info('Card features extracted', {
    userId,
    cardId,
    requestId,
    ocrBlocks: features.ocr.length,
    holoVariance: features.holoVariance,
    hasBack: Boolean(result.backFeatures),
  });
  return result;
}
