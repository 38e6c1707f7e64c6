// phash.mjs: DCT-based perceptual hash (pHash) of a card image and its
// comparison with the reference hashes stored in S3 under
// authentic-samples/<encodeURIComponent(card name)>/.

import sharp from 'sharp';
import { logger } from './log.mjs';
import { listKeys, readObjectBytes } from './s3-objects.mjs';

const SIZE = 32;
const LOW = 8;

// cos((2x+1)uπ / 2N) for the 32-point DCT-II, computed once.
const COSINES = (() => {
  const table = new Float64Array(SIZE * SIZE);
  for (let u = 0; u < SIZE; u++) {
    for (let x = 0; x < SIZE; x++) {
      table[u * SIZE + x] = Math.cos(((2 * x + 1) * u * Math.PI) / (2 * SIZE));
    }
  }
  return table;
})();

// Returns the 8×8 lowest-frequency DCT-II coefficients of a 32×32 block
// (row-major, [0] is the DC term). Scaling factors are left out because only
// the order of the coefficients matters.
export function lowFrequencyDct(block) {
  const rows = new Float64Array(SIZE * LOW);
  for (let y = 0; y < SIZE; y++) {
    for (let u = 0; u < LOW; u++) {
      let sum = 0;
      for (let x = 0; x < SIZE; x++) sum += block[y * SIZE + x] * COSINES[u * SIZE + x];
      rows[y * LOW + u] = sum;
    }
  }
  const out = new Float64Array(LOW * LOW);
  for (let v = 0; v < LOW; v++) {
    for (let u = 0; u < LOW; u++) {
      let sum = 0;
      for (let y = 0; y < SIZE; y++) sum += rows[y * LOW + u] * COSINES[v * SIZE + y];
      out[v * LOW + u] = sum;
    }
  }
  return out;
}

// Computes the 64-bit pHash of an image as 16 hex digits: resize to 32×32
// greyscale, DCT, then one bit per low-frequency coefficient that is above
// the median of the 63 coefficients other than the DC term.
export async function perceptualHash(imageBytes) {
  const data = await sharp(imageBytes)
    .rotate()
    .resize(SIZE, SIZE, { fit: 'fill' })
    .greyscale()
    .raw()
    .toBuffer();
  const coefficients = lowFrequencyDct(Float64Array.from(data));
  const ac = Array.from(coefficients.slice(1)).sort((a, b) => a - b);
  const median = (ac[31] + ac[32]) / 2;
  let hash = 0n;
  for (let i = 0; i < LOW * LOW; i++) {
    hash = (hash << 1n) | (coefficients[i] > median ? 1n : 0n);
  }
  return hash.toString(16).padStart(16, '0');
}

// Number of differing bits between two 16-hex-digit hashes.
export function hammingDistance(a, b) {
  let diff = BigInt(`0x${a}`) ^ BigInt(`0x${b}`);
  let count = 0;
  while (diff > 0n) {
    count += Number(diff & 1n);
    diff >>= 1n;
  }
  return count;
}

// 1 for identical hashes, 0 when every bit differs.
export function hashSimilarity(a, b) {
  return 1 - hammingDistance(a, b) / 64;
}

// Loads the reference hashes of a card: every JSON object {cardName, hash,
// variant?, set?} on the first listing page of the card's prefix. Any
// failure yields [] (logged), as do objects without a 16-digit hex hash.
export async function loadReferenceHashes(bucket, cardName) {
  const prefix = `authentic-samples/${encodeURIComponent(cardName)}/`;
  try {
    const keys = await listKeys(bucket, prefix);
    const references = [];
    for (const key of keys) {
      const parsed = JSON.parse((await readObjectBytes(bucket, key)).toString('utf8'));
      if (typeof parsed?.hash === 'string' && /^[0-9a-f]{16}$/i.test(parsed.hash)) {
        references.push({ ...parsed, hash: parsed.hash.toLowerCase(), key });
      }
    }
    return references;
  } catch (error) {
    logger.warn('Reference hashes unavailable', { bucket, prefix, error });
    return [];
  }
}
