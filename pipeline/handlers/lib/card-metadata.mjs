// card-metadata.mjs: the CardMetadata that the OCR agent produces: its
// schema check, the fallback built from the OCR blocks, the card identifiers
// the pricing and authenticity agents derive from it, and the flat
// ocrMetadata map the aggregator stores.

import { requireString, requireUnit } from './bedrock.mjs';

export const OCR_FIELDS = ['name', 'rarity', 'setSymbol', 'collectorNumber', 'copyrightRun', 'illustrator'];

// Fallback names take the topmost block's confidence scaled by this factor.
export const FALLBACK_CONFIDENCE_FACTOR = 0.7;

function checkField(field, path) {
  if (!field || typeof field !== 'object') throw new Error(`${path} must be an object`);
  if (field.value !== null && typeof field.value !== 'string') {
    throw new Error(`${path}.value must be a string or null, got ${JSON.stringify(field.value)}`);
  }
  requireUnit(field.confidence, `${path}.confidence`);
  requireString(field.rationale, `${path}.rationale`);
}

function checkSetField(field) {
  if (field && typeof field === 'object' && Array.isArray(field.candidates)) {
    if (field.value !== null && typeof field.value !== 'string') {
      throw new Error(`set.value must be a string or null, got ${JSON.stringify(field.value)}`);
    }
    field.candidates.forEach((candidate, i) => {
      if (!candidate || typeof candidate.value !== 'string') {
        throw new Error(`set.candidates[${i}].value must be a string`);
      }
      requireUnit(candidate.confidence, `set.candidates[${i}].confidence`);
    });
    requireString(field.rationale, 'set.rationale');
    return;
  }
  checkField(field, 'set');
}

// Throws with the offending member's path unless parsed matches the OCR
// schema: six {value, confidence, rationale} fields, set either that shape or
// {value, candidates[], rationale}, overallConfidence and reasoningTrail.
export function validateOcrMetadata(parsed) {
  if (!parsed || typeof parsed !== 'object') throw new Error('OCR result must be an object');
  for (const name of OCR_FIELDS) checkField(parsed[name], name);
  checkSetField(parsed.set);
  requireUnit(parsed.overallConfidence, 'overallConfidence');
  requireString(parsed.reasoningTrail, 'reasoningTrail');
  return parsed;
}

function emptyField(rationale) {
  return { value: null, confidence: 0, rationale };
}

// Builds the metadata used when Bedrock is unavailable or there is no text:
// the topmost OCR block as the name, its confidence ×0.7, everything else
// null, verifiedByAI false.
export function fallbackMetadata(blocks, reason) {
  const candidates = (blocks || []).filter((b) => b.text && b.text.trim());
  const topmost = candidates.reduce(
    (best, b) => (best === null || b.boundingBox.top < best.boundingBox.top ? b : best),
    null,
  );
  const metadata = {};
  for (const name of OCR_FIELDS) metadata[name] = emptyField(`Not determined: ${reason}`);
  metadata.set = emptyField(`Not determined: ${reason}`);
  if (topmost) {
    metadata.name = {
      value: topmost.text.trim(),
      confidence: Math.round(topmost.confidence * FALLBACK_CONFIDENCE_FACTOR * 10000) / 10000,
      rationale: `Fallback: topmost OCR text block taken as the card name (${reason})`,
    };
  }
  metadata.overallConfidence = metadata.name.confidence;
  metadata.reasoningTrail = `Fallback metadata without AI reasoning: ${reason}`;
  metadata.verifiedByAI = false;
  return metadata;
}

function ocrValue(field) {
  return typeof field?.value === 'string' && field.value.trim() ? field.value : undefined;
}

// Returns {name, set, rarity, number} for pricing and authenticity: the OCR
// value first, then the value the card was created with. name falls back to
// 'Unknown Card', set to '' (the set's first candidate wins over its value).
export function cardIdentifiers(cardMeta = {}) {
  const ocr = cardMeta.ocrMetadata || {};
  const setCandidate = Array.isArray(ocr.set?.candidates) ? ocr.set.candidates[0]?.value : undefined;
  return {
    name: ocrValue(ocr.name) || cardMeta.name || 'Unknown Card',
    set: (setCandidate && setCandidate.trim()) || ocrValue(ocr.set) || cardMeta.set || '',
    rarity: ocrValue(ocr.rarity) || cardMeta.rarity || undefined,
    number: ocrValue(ocr.collectorNumber) || cardMeta.number || undefined,
  };
}

function valueOf(field) {
  return field && field.value !== undefined ? field.value : null;
}

function confidenceOf(field) {
  if (!field) return 0;
  if (typeof field.confidence === 'number') return field.confidence;
  if (Array.isArray(field.candidates) && field.candidates[0]) return field.candidates[0].confidence ?? 0;
  return 0;
}

// Flattens CardMetadata into the map the aggregator stores as ocrMetadata
// (values are strings or null). Returns undefined without metadata.
export function flattenOcrMetadata(metadata, extractedAt = new Date().toISOString()) {
  if (!metadata || typeof metadata !== 'object') return undefined;
  const setValue = Array.isArray(metadata.set?.candidates) && metadata.set.candidates[0]
    ? metadata.set.value ?? metadata.set.candidates[0].value
    : valueOf(metadata.set);
  return {
    name: valueOf(metadata.name),
    nameConfidence: confidenceOf(metadata.name),
    rarity: valueOf(metadata.rarity),
    rarityConfidence: confidenceOf(metadata.rarity),
    set: setValue ?? null,
    setConfidence: confidenceOf(metadata.set),
    collectorNumber: valueOf(metadata.collectorNumber),
    collectorNumberConfidence: confidenceOf(metadata.collectorNumber),
    illustrator: valueOf(metadata.illustrator),
    illustratorConfidence: confidenceOf(metadata.illustrator),
    extractedAt,
    reasoningTrail: typeof metadata.reasoningTrail === 'string' ? metadata.reasoningTrail : '',
    verifiedByAI: metadata.verifiedByAI === true,
  };
}
