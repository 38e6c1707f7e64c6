// ocr-reasoning-agent.mjs: the OcrReasoningAgent task. Input {userId,
// cardId, features, requestId}; output {cardMetadata, requestId}. Bedrock
// Converse turns Rekognition's OCR blocks into card metadata. After
// BEDROCK_MAX_RETRIES failed attempts the agent returns fallback metadata
// with verifiedByAI false, and so it does without any OCR block, without
// calling Bedrock. It throws only on invalid input.

import { converse, extractJson, withDoublingRetry } from './lib/bedrock.mjs';
import { fallbackMetadata, validateOcrMetadata } from './lib/card-metadata.mjs';
import { logger } from './lib/log.mjs';
import { putMetric, scoreRange } from './lib/metrics.mjs';
import { envNumber } from './lib/task-clients.mjs';

const AGENT = 'ocr-reasoning';

export const OCR_SYSTEM_PROMPT = [
  'You are an expert Pokémon trading card OCR analyst.',
  'You receive text blocks that OCR detected on a photo of one card, each with',
  'its confidence and position (left, top, width, height as shares of the image).',
  'Correct OCR errors, then identify the card name, rarity, set (give candidates',
  'with confidences when unsure), set symbol, collector number, copyright run and',
  'illustrator. Reply with one JSON object only, in this form:',
  '{"name":{"value":string|null,"confidence":0..1,"rationale":string},',
  '"rarity":{...},"set":{"value":string|null,"candidates":[{"value":string,"confidence":0..1}],"rationale":string},',
  '"setSymbol":{...},"collectorNumber":{...},"copyrightRun":{...},"illustrator":{...},',
  '"overallConfidence":0..1,"reasoningTrail":string}',
  'Use null with confidence 0 for anything you cannot determine.',
].join('\n');

function describeBlock(block, index) {
  const box = block.boundingBox;
  return `${index + 1}. [${block.type}] "${block.text}" confidence=${block.confidence.toFixed(3)} ` +
    `left=${box.left.toFixed(3)} top=${box.top.toFixed(3)} width=${box.width.toFixed(3)} height=${box.height.toFixed(3)}`;
}

export function buildOcrPrompt(features) {
  const lines = [
    'OCR text blocks, in detection order:',
    ...features.ocr.map(describeBlock),
    '',
    `Holographic variance: ${features.holoVariance ?? 0}`,
  ];
  if (features.imageMeta) {
    lines.push(`Image: ${features.imageMeta.width}x${features.imageMeta.height} ${features.imageMeta.format}`);
  }
  lines.push('', 'Return the JSON object described in the instructions.');
  return lines.join('\n');
}

async function reasonWithBedrock(features, context) {
  const maxTokens = envNumber('BEDROCK_OCR_MAX_TOKENS', 4096);
  const temperature = envNumber('BEDROCK_OCR_TEMPERATURE', 0.15);
  const prompt = buildOcrPrompt(features);

  return withDoublingRetry(AGENT, async (attempt) => {
    const reply = await converse({ system: OCR_SYSTEM_PROMPT, prompt, maxTokens, temperature });
    logger.info('Bedrock OCR reasoning replied', {
      ...context,
      attempt,
      latencyMs: reply.latencyMs,
      inputTokens: reply.inputTokens,
      outputTokens: reply.outputTokens,
      stopReason: reply.stopReason,
    });
    await putMetric('BedrockOcrLatency', reply.latencyMs, 'Milliseconds', { agent: AGENT });
    await putMetric('BedrockOcrInputTokens', reply.inputTokens, 'Count', { agent: AGENT });
    await putMetric('BedrockOcrOutputTokens', reply.outputTokens, 'Count', { agent: AGENT });
    return validateOcrMetadata(extractJson(reply.text));
  });
}

export async function handler(event) {
  const { userId, cardId, features, requestId } = event || {};
  if (!features || typeof features !== 'object') {
    throw new Error('Invalid input: features is required');
  }
  const blocks = Array.isArray(features.ocr) ? features.ocr : [];
  const context = { userId, cardId, requestId };

  if (blocks.length === 0) {
    logger.warn('No OCR text blocks; skipping Bedrock OCR reasoning', context);
    await putMetric('BedrockOcrFallbackUsed', 1, 'Count', { agent: AGENT });
    return { cardMetadata: fallbackMetadata(blocks, 'no text detected on the card'), requestId };
  }

  const parsed = await reasonWithBedrock({ ...features, ocr: blocks }, context);
  let cardMetadata;
  if (parsed) {
    cardMetadata = { ...parsed, verifiedByAI: true };
  } else {
    cardMetadata = fallbackMetadata(blocks, 'Bedrock OCR reasoning unavailable');
    await putMetric('BedrockOcrFallbackUsed', 1, 'Count', { agent: AGENT });
  }

  await putMetric('BedrockOcrConfidence', cardMetadata.overallConfidence, 'None', {
    agent: AGENT,
    confidenceRange: scoreRange(cardMetadata.overallConfidence),
  });
  logger.info('Card metadata extracted', {
    ...context,
    name: cardMetadata.name.value,
    overallConfidence: cardMetadata.overallConfidence,
    verifiedByAI: cardMetadata.verifiedByAI,
  });
  return { cardMetadata, requestId };
}
