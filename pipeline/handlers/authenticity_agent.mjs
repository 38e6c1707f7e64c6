// authenticity_agent.mjs: the AuthenticityAgent task. Input {userId, cardId,
// features, cardMeta: {name, set, rarity, frontS3Key, ocrMetadata}, s3Keys,
// requestId}; output {authenticityResult: {authenticityScore, fakeDetected,
// rationale, signals, verifiedByAI}, requestId}. S3 and image-decoding errors
// of the perceptual hash propagate; Bedrock failures use the fallback score.

import { computeSignals, fallbackScore } from './lib/authenticity-signals.mjs';
import { converse, extractJson, requireString, requireUnit, withBackoff } from './lib/bedrock.mjs';
import { cardIdentifiers } from './lib/card-metadata.mjs';
import { logger } from './lib/log.mjs';
import { putMetric, scoreRange } from './lib/metrics.mjs';
import { hashSimilarity, loadReferenceHashes, perceptualHash } from './lib/phash.mjs';
import { readObjectBytes, uploadsBucket } from './lib/s3-objects.mjs';
import { envNumber } from './lib/task-clients.mjs';

const AGENT = 'authenticity-agent';
// A score at or below this marks the card as fake.
export const FAKE_SCORE_THRESHOLD = 0.3;

export const AUTHENTICITY_SYSTEM_PROMPT = [
  'You are an expert Pokémon trading card authenticator.',
  'You receive measurements of a photographed card: perceptual-hash similarity',
  'to authentic references, OCR text quality, holographic pattern, border',
  'consistency and font metrics, each as a signal between 0 and 1.',
  'Judge whether the card is authentic. Reply with one JSON object only:',
  '{"authenticityScore":0..1,"fakeDetected":boolean,"rationale":string}',
].join('\n');

export function buildAuthenticityPrompt(identifiers, signals, features) {
  const f = features || {};
  return [
    `Card: ${identifiers.name}`,
    `Set: ${identifiers.set || 'unknown'}`,
    `Rarity: ${identifiers.rarity || 'unknown'}`,
    '',
    'Signals:',
    ...Object.entries(signals).map(([name, value]) => `- ${name}: ${value}`),
    '',
    `Holographic variance: ${f.holoVariance ?? 0}`,
    `Borders: ${JSON.stringify(f.borders ?? {})}`,
    `Font metrics: ${JSON.stringify(f.fontMetrics ?? {})}`,
    `Image quality: ${JSON.stringify(f.quality ?? {})}`,
    `OCR text: ${(f.ocr || []).filter((b) => b.type === 'LINE').map((b) => b.text).join(' | ')}`,
    '',
    'Return the JSON object described in the instructions.',
  ].join('\n');
}

export function validateAuthenticity(parsed) {
  if (!parsed || typeof parsed !== 'object') throw new Error('Authenticity result must be an object');
  requireUnit(parsed.authenticityScore, 'authenticityScore');
  if (typeof parsed.fakeDetected !== 'boolean') {
    throw new Error(`fakeDetected must be a boolean, got ${JSON.stringify(parsed.fakeDetected)}`);
  }
  requireString(parsed.rationale, 'rationale');
  return parsed;
}

async function judgeWithBedrock(identifiers, signals, features, context) {
  const maxTokens = envNumber('BEDROCK_MAX_TOKENS', 2048);
  const temperature = envNumber('BEDROCK_TEMPERATURE', 0.2);
  const prompt = buildAuthenticityPrompt(identifiers, signals, features);
  return withBackoff(AGENT, async (attempt) => {
    const reply = await converse({ system: AUTHENTICITY_SYSTEM_PROMPT, prompt, maxTokens, temperature });
    logger.info('Bedrock authenticity replied', { ...context, attempt, latencyMs: reply.latencyMs });
    await putMetric('BedrockLatency', reply.latencyMs, 'Milliseconds', { agent: AGENT });
    await putMetric('BedrockTokens', reply.outputTokens, 'Count', { agent: AGENT });
    return validateAuthenticity(extractJson(reply.text));
  });
}

// Combines the model's judgement (or its absence) with the signals. With a
// judgement the score is the model's ×1.15, and the card is fake only if the
// model reports it fake and the boosted score is at most 0.3. Without one the
// score is the mean signal ×1.2, and the card is fake at 0.3 or below.
export function decideAuthenticity(judgement, signals) {
  if (judgement) {
    const score = Math.round(Math.min(1, judgement.authenticityScore * 1.15) * 10000) / 10000;
    return {
      authenticityScore: score,
      fakeDetected: judgement.fakeDetected && score <= FAKE_SCORE_THRESHOLD,
      rationale: judgement.rationale,
      signals,
      verifiedByAI: true,
    };
  }
  const score = fallbackScore(signals);
  return {
    authenticityScore: score,
    fakeDetected: score <= FAKE_SCORE_THRESHOLD,
    rationale: 'AI authenticity check unavailable; score computed from the image signals only.',
    signals,
    verifiedByAI: false,
  };
}

export async function handler(event) {
  const { userId, cardId, features, cardMeta, s3Keys, requestId } = event || {};
  const context = { userId, cardId, requestId };
  const frontKey = s3Keys?.front || cardMeta?.frontS3Key;
  if (!frontKey) throw new Error('Invalid input: s3Keys.front is required');
  const identifiers = cardIdentifiers(cardMeta || {});
  const bucket = uploadsBucket();

  const hash = await perceptualHash(await readObjectBytes(bucket, frontKey));
  const references = (await loadReferenceHashes(bucket, identifiers.name)).map((r) => ({
    ...r,
    similarity: hashSimilarity(hash, r.hash),
  }));
  logger.info('Perceptual hash computed', { ...context, hash, references: references.length });

  const signals = computeSignals({ features, identifiers, hash, references });
  const judgement = await judgeWithBedrock(identifiers, signals, features, context);
  const authenticityResult = decideAuthenticity(judgement, signals);

  await putMetric('AuthenticityScore', authenticityResult.authenticityScore, 'None', {
    cardId,
    scoreRange: scoreRange(authenticityResult.authenticityScore),
  });
  logger.info('Authenticity assessed', {
    ...context,
    authenticityScore: authenticityResult.authenticityScore,
    fakeDetected: authenticityResult.fakeDetected,
    verifiedByAI: authenticityResult.verifiedByAI,
  });
  return { authenticityResult, requestId };
}
