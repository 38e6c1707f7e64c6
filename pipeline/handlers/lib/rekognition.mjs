// rekognition.mjs: DetectText and DetectLabels on an S3 image and the
// FeatureEnvelope built from their results and the image's pixels.

import { DetectLabelsCommand, DetectTextCommand } from '@aws-sdk/client-rekognition';
import { computeFontMetrics, computePixelFeatures, decodeImage } from './features.mjs';
import { readObjectBytes } from './s3-objects.mjs';
import { rekognitionClient } from './task-clients.mjs';

const HOLO_LABEL_WORDS = ['shiny', 'metallic', 'reflective', 'glossy'];

// Keeps LINE and WORD detections with text, confidence scaled to [0,1] and
// missing box members as 0.
export function toOcrBlocks(textDetections) {
  const blocks = [];
  for (const detection of textDetections || []) {
    if (detection.Type !== 'LINE' && detection.Type !== 'WORD') continue;
    if (!detection.DetectedText) continue;
    const box = detection.Geometry?.BoundingBox || {};
    blocks.push({
      text: detection.DetectedText,
      confidence: (detection.Confidence ?? 0) / 100,
      boundingBox: {
        left: box.Left ?? 0,
        top: box.Top ?? 0,
        width: box.Width ?? 0,
        height: box.Height ?? 0,
      },
      type: detection.Type,
    });
  }
  return blocks;
}

// True when a label name contains one of the holographic-finish words.
export function hasHoloLabel(labels) {
  return (labels || []).some((label) => {
    const name = (label.Name || '').toLowerCase();
    return HOLO_LABEL_WORDS.some((word) => name.includes(word));
  });
}

// Runs DetectText and DetectLabels in parallel on s3://bucket/key. Any
// failure is re-raised with CollectIQ's message prefix.
export async function detectTextAndLabels(bucket, key) {
  const image = { S3Object: { Bucket: bucket, Name: key } };
  try {
    const [text, labels] = await Promise.all([
      rekognitionClient().send(new DetectTextCommand({ Image: image })),
      rekognitionClient().send(
        new DetectLabelsCommand({ Image: image, MaxLabels: 50, MinConfidence: 70 }),
      ),
    ]);
    return { textDetections: text.TextDetections || [], labels: labels.Labels || [] };
  } catch (error) {
    const wrapped = new Error(`Rekognition text/label detection failed: ${error.message}`);
    wrapped.cause = error;
    throw wrapped;
  }
}

// Downloads and decodes s3://bucket/key, then calls Rekognition, and returns
// the FeatureEnvelope: ocr, borders, holoVariance, fontMetrics, quality,
// imageMeta. Decoding runs first, so bytes that are not an image fail the
// task before any Rekognition call.
export async function extractFeatures(bucket, key) {
  const bytes = await readObjectBytes(bucket, key);
  const { imageMeta, pixels } = await decodeImage(bytes);
  const pixelFeatures = computePixelFeatures(pixels);

  const { textDetections, labels } = await detectTextAndLabels(bucket, key);
  const ocr = toOcrBlocks(textDetections);

  return {
    ocr,
    borders: pixelFeatures.borders,
    holoVariance: hasHoloLabel(labels) ? pixelFeatures.colorSpread : 0,
    fontMetrics: computeFontMetrics(ocr),
    quality: pixelFeatures.quality,
    imageMeta,
  };
}
