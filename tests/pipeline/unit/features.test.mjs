// Feature maths of the task handlers on generated card images: borders,
// symmetry, brightness, sharpness, glare, font metrics, OCR block mapping
// and the perceptual hash.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeCardImage, sharp } from './card-image.mjs';

const features = await import('../../../pipeline/handlers/lib/features.mjs');
const rekognition = await import('../../../pipeline/handlers/lib/rekognition.mjs');
const phash = await import('../../../pipeline/handlers/lib/phash.mjs');

async function pixelFeatures(buffer) {
  const { imageMeta, pixels } = await features.decodeImage(buffer);
  return { imageMeta, ...features.computePixelFeatures(pixels) };
}

test('imageMeta of a generated PNG and JPEG', async () => {
  const png = await makeCardImage();
  const jpeg = await makeCardImage({ format: 'jpeg' });
  const pngMeta = (await pixelFeatures(png)).imageMeta;
  const jpegMeta = (await pixelFeatures(jpeg)).imageMeta;
  assert.deepEqual(pngMeta, { width: 300, height: 420, format: 'png', sizeBytes: png.length });
  assert.deepEqual(jpegMeta, { width: 300, height: 420, format: 'jpeg', sizeBytes: jpeg.length });
});

test('border ratios of a symmetric frame', async () => {
  const { borders } = await pixelFeatures(await makeCardImage());
  assert.equal(borders.topRatio, features.round4(20 / 420));
  assert.equal(borders.bottomRatio, features.round4(20 / 420));
  assert.equal(borders.leftRatio, features.round4(15 / 300));
  assert.equal(borders.rightRatio, features.round4(15 / 300));
  assert.equal(borders.symmetryScore, 1);
});

test('symmetry of an off-centre frame', async () => {
  const image = await makeCardImage({ border: { top: 20, bottom: 20, left: 30, right: 10 } });
  const { borders } = await pixelFeatures(image);
  assert.equal(borders.leftRatio, 0.1);
  assert.equal(borders.rightRatio, features.round4(10 / 300));
  // Left/right balance 1 - 20/40 = 0.5, top/bottom 1, mean 0.75.
  assert.equal(borders.symmetryScore, 0.75);
});

test('no frame edge on a flat image', async () => {
  const image = await makeCardImage({ border: { top: 0, bottom: 0, left: 0, right: 0 }, cellSize: 0 });
  const { borders } = await pixelFeatures(image);
  assert.deepEqual(borders, { topRatio: 0, bottomRatio: 0, leftRatio: 0, rightRatio: 0, symmetryScore: 1 });
});

test('brightness of a flat grey image', async () => {
  const image = await makeCardImage({
    border: { top: 0, bottom: 0, left: 0, right: 0 },
    cellSize: 0,
    innerColor: [128, 128, 128],
  });
  const { quality } = await pixelFeatures(image);
  assert.equal(quality.brightness, features.round4(128 / 255));
  assert.equal(quality.blurScore, 0);
  assert.equal(quality.glareDetected, false);
});

test('blur lowers the Laplacian variance', async () => {
  const sharpImage = await makeCardImage({ cellSize: 4 });
  const blurred = await sharp(sharpImage).blur(4).png().toBuffer();
  const original = await pixelFeatures(sharpImage);
  const soft = await pixelFeatures(blurred);
  assert.ok(original.laplacianVariance > 10 * soft.laplacianVariance,
    `sharp ${original.laplacianVariance} vs blurred ${soft.laplacianVariance}`);
  assert.ok(original.quality.blurScore > soft.quality.blurScore);
  assert.ok(original.quality.blurScore > 0);
  assert.ok(original.quality.blurScore <= 1);
});

test('glare from a white patch', async () => {
  // 80×60 = 4800 of 126000 pixels is 3.8 %, 100×80 is 6.3 %.
  const small = await makeCardImage({ glare: { x: 100, y: 100, width: 80, height: 60 } });
  const large = await makeCardImage({ glare: { x: 100, y: 100, width: 100, height: 80 } });
  assert.equal((await pixelFeatures(small)).quality.glareDetected, false);
  assert.equal((await pixelFeatures(large)).quality.glareDetected, true);
});

test('colour spread is 0 for grey and positive for colour', async () => {
  const grey = await makeCardImage({
    frameColor: [200, 200, 200], innerColor: [50, 50, 50], altColor: [90, 90, 90],
  });
  const colour = await makeCardImage();
  assert.equal((await pixelFeatures(grey)).colorSpread, 0);
  assert.ok((await pixelFeatures(colour)).colorSpread > 0);
});

test('large image is analysed at reduced size', async () => {
  const image = await makeCardImage({
    width: 1500, height: 2100,
    border: { top: 100, bottom: 100, left: 75, right: 75 }, cellSize: 50,
  });
  const result = await pixelFeatures(image);
  assert.equal(result.imageMeta.width, 1500);
  assert.ok(Math.abs(result.borders.topRatio - 100 / 2100) < 0.005, String(result.borders.topRatio));
  assert.ok(Math.abs(result.borders.leftRatio - 0.05) < 0.005, String(result.borders.leftRatio));
});

test('non-image bytes make decoding throw', async () => {
  await assert.rejects(features.decodeImage(Buffer.from('this is not an image')));
});

test('OCR blocks from Rekognition detections', () => {
  const blocks = rekognition.toOcrBlocks([
    { Type: 'LINE', DetectedText: 'Pikachu', Confidence: 99.5, Geometry: { BoundingBox: { Left: 0.1, Top: 0.05, Width: 0.3, Height: 0.04 } } },
    { Type: 'WORD', DetectedText: 'Pikachu', Confidence: 98 },
    { Type: 'WORD', DetectedText: '', Confidence: 90 },
    { Type: 'PARAGRAPH', DetectedText: 'x', Confidence: 90 },
  ]);
  assert.equal(blocks.length, 2);
  assert.deepEqual(blocks[0], {
    text: 'Pikachu', confidence: 0.995, type: 'LINE',
    boundingBox: { left: 0.1, top: 0.05, width: 0.3, height: 0.04 },
  });
  assert.deepEqual(blocks[1].boundingBox, { left: 0, top: 0, width: 0, height: 0 });
  assert.deepEqual(rekognition.toOcrBlocks(undefined), []);
});

test('holographic label words', () => {
  assert.equal(rekognition.hasHoloLabel([{ Name: 'Shiny' }]), true);
  assert.equal(rekognition.hasHoloLabel([{ Name: 'Metallic Paint' }]), true);
  assert.equal(rekognition.hasHoloLabel([{ Name: 'Glossy' }, { Name: 'Card' }]), true);
  assert.equal(rekognition.hasHoloLabel([{ Name: 'Reflective' }]), true);
  assert.equal(rekognition.hasHoloLabel([{ Name: 'Paper' }, { Name: 'Text' }]), false);
  assert.equal(rekognition.hasHoloLabel([]), false);
});

test('font metrics from OCR boxes', () => {
  const box = (left, top, width, height) => ({ left, top, width, height });
  const blocks = [
    { type: 'LINE', text: 'Pikachu V', confidence: 0.9, boundingBox: box(0.1, 0.05, 0.4, 0.04) },
    { type: 'LINE', text: 'HP 190', confidence: 0.9, boundingBox: box(0.1, 0.5, 0.2, 0.02) },
    { type: 'WORD', text: 'Pikachu', confidence: 0.9, boundingBox: box(0.1, 0.05, 0.25, 0.04) },
    { type: 'WORD', text: 'V', confidence: 0.9, boundingBox: box(0.37, 0.051, 0.05, 0.04) },
    { type: 'WORD', text: 'HP', confidence: 0.9, boundingBox: box(0.1, 0.5, 0.08, 0.02) },
  ];
  const metrics = features.computeFontMetrics(blocks);
  assert.deepEqual(metrics.kerning, [0.02]);
  assert.equal(metrics.alignment, 1);
  // Heights 0.04 and 0.02: variance 0.0001 over mean² 0.0009.
  assert.equal(metrics.fontSizeVariance, features.round4(0.0001 / 0.0009));
  assert.deepEqual(features.computeFontMetrics([]), { kerning: [], alignment: 1, fontSizeVariance: 0 });
});

test('pHash is stable and tells images apart', async () => {
  // The glare patch breaks the symmetry of the checkerboard; a symmetric
  // image has many DCT coefficients at the median, whose bits JPEG noise flips.
  const glare = { x: 20, y: 20, width: 120, height: 200 };
  const a = await makeCardImage({ glare });
  const aJpeg = await makeCardImage({ glare, format: 'jpeg' });
  const b = await makeCardImage({ cellSize: 35, border: { top: 60, bottom: 10, left: 50, right: 5 } });
  const hashA = await phash.perceptualHash(a);
  assert.match(hashA, /^[0-9a-f]{16}$/);
  assert.equal(await phash.perceptualHash(a), hashA);
  assert.ok(phash.hammingDistance(hashA, await phash.perceptualHash(aJpeg)) <= 6);
  assert.ok(phash.hammingDistance(hashA, await phash.perceptualHash(b)) >= 10);
  assert.equal(phash.hashSimilarity(hashA, hashA), 1);
  assert.equal(phash.hammingDistance('ffffffffffffffff', '0000000000000000'), 64);
});
