// authenticity-signals.mjs: the five authenticity signals, each in [0,1],
// computed from the FeatureEnvelope, the card identifiers and the pHash
// comparison, and the score used when Bedrock is unavailable.

import { round4 } from './features.mjs';

// Confidence reported when no reference hash exists for the card.
export const NO_REFERENCE_CONFIDENCE = 0.85;
// Rarity words of cards that are printed with a holographic finish.
const HOLO_RARITY = /holo|shiny|secret|ultra|rainbow|gold|illustration|hyper/i;
// Plausible frame thickness of a photographed card, as a share of a side.
const FRAME_MIN_RATIO = 0.01;
const FRAME_MAX_RATIO = 0.2;

function clamp01(value) {
  if (!Number.isFinite(value)) return 0;
  return Math.min(1, Math.max(0, value));
}

function normalise(text) {
  return String(text).toLowerCase().replace(/[^a-z0-9]+/g, ' ').trim();
}

// Best similarity to a reference hash, or 0.85 without references.
export function visualHashConfidence(hash, references) {
  if (!hash || !references || references.length === 0) return NO_REFERENCE_CONFIDENCE;
  return Math.max(...references.map((r) => r.similarity));
}

// Mean OCR confidence, scaled by 0.8 when the card name is not found in the
// OCR text; 0.3 when there is no text at all.
export function textMatchConfidence(ocr, name) {
  if (!ocr || ocr.length === 0) return 0.3;
  const meanConfidence = ocr.reduce((a, b) => a + b.confidence, 0) / ocr.length;
  const text = ` ${ocr.map((b) => normalise(b.text)).join(' ')} `;
  const expectedName = normalise(name || '');
  const nameFound = expectedName !== '' && expectedName !== 'unknown card' &&
    text.includes(` ${expectedName} `);
  return meanConfidence * (nameFound ? 1 : 0.8);
}

// Agreement between the rarity and the holographic variance: a holo rarity
// needs a holo finish, and a finish on another rarity is only slightly
// suspicious (reverse holos exist).
export function holoPatternConfidence(holoVariance, rarity) {
  const variance = Number(holoVariance) || 0;
  if (rarity && HOLO_RARITY.test(rarity)) return variance > 0 ? 0.6 + 0.4 * Math.min(1, variance / 0.3) : 0.4;
  return variance > 0 ? 0.75 : 0.9;
}

// Border symmetry, scaled by 0.8 when a side lies outside the plausible
// range; 0.5 when no frame edge was found.
export function borderConsistency(borders) {
  if (!borders) return 0.5;
  const ratios = [borders.topRatio, borders.bottomRatio, borders.leftRatio, borders.rightRatio];
  if (ratios.every((r) => !r)) return 0.5;
  const plausible = ratios.every((r) => r >= FRAME_MIN_RATIO && r <= FRAME_MAX_RATIO);
  return (borders.symmetryScore ?? 0) * (plausible ? 1 : 0.8);
}

// Mean of line alignment and font-size uniformity; 0.5 without LINE text.
export function fontValidation(fontMetrics, ocr) {
  if (!fontMetrics || !(ocr || []).some((b) => b.type === 'LINE')) return 0.5;
  const uniformity = 1 - Math.min(1, fontMetrics.fontSizeVariance ?? 0);
  return 0.5 * (fontMetrics.alignment ?? 0) + 0.5 * uniformity;
}

export function computeSignals({ features, identifiers, hash, references }) {
  const f = features || {};
  return {
    visualHashConfidence: round4(clamp01(visualHashConfidence(hash, references))),
    textMatchConfidence: round4(clamp01(textMatchConfidence(f.ocr, identifiers.name))),
    holoPatternConfidence: round4(clamp01(holoPatternConfidence(f.holoVariance, identifiers.rarity))),
    borderConsistency: round4(clamp01(borderConsistency(f.borders))),
    fontValidation: round4(clamp01(fontValidation(f.fontMetrics, f.ocr))),
  };
}

// Score without AI: the mean of the five signals ×1.2, at most 1.
export function fallbackScore(signals) {
  const values = Object.values(signals);
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return round4(Math.min(1, mean * 1.2));
}
