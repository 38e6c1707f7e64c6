// features.mjs: image features of a card photo computed from its pixels with
// sharp (size, frame borders, symmetry, brightness, sharpness, glare, colour
// spread) and text-layout metrics computed from Rekognition's OCR boxes.
// These are the inputs of the FeatureEnvelope that the agents read.

import sharp from 'sharp';

// Pixel analysis runs on a copy scaled to fit this square, so the cost stays
// bounded for 12 MiB uploads. Ratios do not depend on the scale.
const ANALYSIS_MAX_SIDE = 512;
// Borders are searched for in the outer quarter of each side.
const BORDER_SEARCH_SHARE = 0.25;
// Mean-luminance step (0-255) below which no frame edge is reported.
const EDGE_MIN_CONTRAST = 12;
// Laplacian variance at which blurScore reaches 1 (a sharp image).
const SHARP_LAPLACIAN_VARIANCE = 500;
// A pixel at or above this luminance with little colour is a highlight.
const GLARE_LUMINANCE = 250;
const GLARE_MAX_CHROMA = 20;
// Share of highlight pixels from which glare is reported.
const GLARE_MIN_SHARE = 0.05;

export function round4(value) {
  return Math.round(value * 10000) / 10000;
}

function clamp01(value) {
  if (!Number.isFinite(value)) return 0;
  return Math.min(1, Math.max(0, value));
}

// Decodes the image; sharp throws on bytes that are not an image, which the
// caller lets propagate so the task fails.
export async function decodeImage(buffer) {
  const meta = await sharp(buffer).metadata();
  if (!meta.format || !meta.width || !meta.height) {
    throw new Error('Image decoding failed: unknown format or missing dimensions');
  }
  const { data, info } = await sharp(buffer)
    .rotate()
    .resize({
      width: ANALYSIS_MAX_SIDE,
      height: ANALYSIS_MAX_SIDE,
      fit: 'inside',
      withoutEnlargement: true,
    })
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  return {
    imageMeta: {
      width: meta.width,
      height: meta.height,
      format: meta.format,
      sizeBytes: buffer.length,
    },
    pixels: { data, width: info.width, height: info.height, channels: info.channels },
  };
}

// Rec. 601 luminance (0-255) and chroma (max-min channel, 0-255) per pixel.
function toLuminanceAndChroma({ data, width, height, channels }) {
  const count = width * height;
  const luminance = new Float32Array(count);
  const chroma = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const r = data[i * channels];
    const g = data[i * channels + 1];
    const b = data[i * channels + 2];
    luminance[i] = 0.299 * r + 0.587 * g + 0.114 * b;
    chroma[i] = Math.max(r, g, b) - Math.min(r, g, b);
  }
  return { luminance, chroma };
}

// Mean luminance of each row (over the middle half of the columns) and of
// each column (over the middle half of the rows), so that the side borders
// do not blur the top and bottom edges and vice versa.
function profiles(luminance, width, height) {
  const rows = new Float64Array(height);
  const cols = new Float64Array(width);
  const x0 = Math.floor(width / 4);
  const x1 = Math.max(x0 + 1, Math.ceil((width * 3) / 4));
  const y0 = Math.floor(height / 4);
  const y1 = Math.max(y0 + 1, Math.ceil((height * 3) / 4));
  for (let y = 0; y < height; y++) {
    let sum = 0;
    for (let x = x0; x < x1; x++) sum += luminance[y * width + x];
    rows[y] = sum / (x1 - x0);
  }
  for (let x = 0; x < width; x++) {
    let sum = 0;
    for (let y = y0; y < y1; y++) sum += luminance[y * width + x];
    cols[x] = sum / (y1 - y0);
  }
  return { rows, cols };
}

// Position of the strongest step in profile[from..to), or -1 when no step
// reaches EDGE_MIN_CONTRAST. A step at i lies between i-1 and i.
function strongestEdge(profile, from, to) {
  let best = -1;
  let bestStep = EDGE_MIN_CONTRAST - 1e-9;
  for (let i = Math.max(1, from); i < Math.min(profile.length, to); i++) {
    const step = Math.abs(profile[i] - profile[i - 1]);
    if (step > bestStep) {
      bestStep = step;
      best = i;
    }
  }
  return best;
}

// Frame thickness of each side as a share of the image's height (top,
// bottom) or width (left, right), 0 when no frame edge is found, and the
// symmetry of opposite sides (1 = equal thickness).
export function measureBorders(luminance, width, height) {
  const { rows, cols } = profiles(luminance, width, height);
  const spanY = Math.max(2, Math.floor(height * BORDER_SEARCH_SHARE));
  const spanX = Math.max(2, Math.floor(width * BORDER_SEARCH_SHARE));

  const top = strongestEdge(rows, 1, spanY + 1);
  const bottom = strongestEdge(rows, height - spanY, height);
  const left = strongestEdge(cols, 1, spanX + 1);
  const right = strongestEdge(cols, width - spanX, width);

  const topRatio = top < 0 ? 0 : top / height;
  const bottomRatio = bottom < 0 ? 0 : (height - bottom) / height;
  const leftRatio = left < 0 ? 0 : left / width;
  const rightRatio = right < 0 ? 0 : (width - right) / width;

  const balance = (a, b) => (a + b > 0 ? 1 - Math.abs(a - b) / (a + b) : 1);
  const symmetryScore = (balance(leftRatio, rightRatio) + balance(topRatio, bottomRatio)) / 2;

  return {
    topRatio: round4(topRatio),
    bottomRatio: round4(bottomRatio),
    leftRatio: round4(leftRatio),
    rightRatio: round4(rightRatio),
    symmetryScore: round4(symmetryScore),
  };
}

// Variance of the 4-neighbour Laplacian over the interior pixels: low for a
// blurred image, high for a sharp one.
export function laplacianVariance(luminance, width, height) {
  if (width < 3 || height < 3) return 0;
  let sum = 0;
  let sumSquares = 0;
  let n = 0;
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      const i = y * width + x;
      const value =
        4 * luminance[i] - luminance[i - 1] - luminance[i + 1] -
        luminance[i - width] - luminance[i + width];
      sum += value;
      sumSquares += value * value;
      n++;
    }
  }
  const mean = sum / n;
  return sumSquares / n - mean * mean;
}

// Computes every pixel-based feature of one decoded image. colorSpread (the
// standard deviation of the chroma, scaled to [0,1]) becomes holoVariance
// when Rekognition reports a holographic label.
export function computePixelFeatures(pixels) {
  const { width, height } = pixels;
  const { luminance, chroma } = toLuminanceAndChroma(pixels);
  const count = width * height;

  let luminanceSum = 0;
  let chromaSum = 0;
  let chromaSquares = 0;
  let highlights = 0;
  for (let i = 0; i < count; i++) {
    luminanceSum += luminance[i];
    chromaSum += chroma[i];
    chromaSquares += chroma[i] * chroma[i];
    if (luminance[i] >= GLARE_LUMINANCE && chroma[i] <= GLARE_MAX_CHROMA) highlights++;
  }
  const chromaMean = chromaSum / count;
  const chromaStd = Math.sqrt(Math.max(0, chromaSquares / count - chromaMean * chromaMean));

  const variance = laplacianVariance(luminance, width, height);
  return {
    borders: measureBorders(luminance, width, height),
    quality: {
      blurScore: round4(clamp01(variance / SHARP_LAPLACIAN_VARIANCE)),
      glareDetected: highlights / count >= GLARE_MIN_SHARE,
      brightness: round4(luminanceSum / count / 255),
    },
    laplacianVariance: variance,
    colorSpread: round4(clamp01(chromaStd / 127.5)),
  };
}

function mean(values) {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

// Text-layout metrics from the OCR boxes (all in image-relative units):
// kerning = gaps between neighbouring WORD boxes on one text row (at most
// 50), alignment = 1 minus the spread of the LINE boxes' left edges scaled so
// that a spread of 0.25 of the width gives 0, fontSizeVariance = squared
// coefficient of variation of the LINE box heights.
export function computeFontMetrics(blocks) {
  const words = blocks
    .filter((b) => b.type === 'WORD' && b.boundingBox.height > 0)
    .sort((a, b) => a.boundingBox.top - b.boundingBox.top || a.boundingBox.left - b.boundingBox.left);
  const kerning = [];
  for (let i = 1; i < words.length && kerning.length < 50; i++) {
    const previous = words[i - 1].boundingBox;
    const current = words[i].boundingBox;
    const sameRow = Math.abs(current.top - previous.top) < Math.min(previous.height, current.height) / 2;
    if (sameRow && current.left >= previous.left) {
      kerning.push(round4(current.left - (previous.left + previous.width)));
    }
  }

  const lines = blocks.filter((b) => b.type === 'LINE');
  let alignment = 1;
  let fontSizeVariance = 0;
  if (lines.length >= 2) {
    const lefts = lines.map((b) => b.boundingBox.left);
    const leftMean = mean(lefts);
    const leftStd = Math.sqrt(mean(lefts.map((v) => (v - leftMean) ** 2)));
    alignment = clamp01(1 - leftStd / 0.25);

    const heights = lines.map((b) => b.boundingBox.height);
    const heightMean = mean(heights);
    if (heightMean > 0) {
      fontSizeVariance = mean(heights.map((v) => (v - heightMean) ** 2)) / heightMean ** 2;
    }
  }
  return { kerning, alignment: round4(alignment), fontSizeVariance: round4(fontSizeVariance) };
}
