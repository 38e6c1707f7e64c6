// card-image.mjs: synthetic card photos for the task-handler tests, drawn
// pixel by pixel so that the expected feature values are known exactly.

import { handlersRequire } from './fake-aws.mjs';

export const sharp = handlersRequire('sharp');

// Draws a card: a frame of the given thickness per side in frameColor around
// a checkerboard of cellSize pixels (or a flat innerColor when cellSize is
// 0), with an optional white rectangle {x, y, width, height} as glare.
export async function makeCardImage({
  width = 300,
  height = 420,
  border = { top: 20, bottom: 20, left: 15, right: 15 },
  frameColor = [230, 200, 40],
  innerColor = [40, 60, 140],
  altColor = [90, 110, 190],
  cellSize = 10,
  glare = null,
  format = 'png',
} = {}) {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const inFrame = y < border.top || y >= height - border.bottom ||
        x < border.left || x >= width - border.right;
      let color = frameColor;
      if (!inFrame) {
        const odd = cellSize > 0 && (Math.floor(x / cellSize) + Math.floor(y / cellSize)) % 2 === 1;
        color = odd ? altColor : innerColor;
      }
      if (glare && x >= glare.x && x < glare.x + glare.width && y >= glare.y && y < glare.y + glare.height) {
        color = [255, 255, 255];
      }
      data.set(color, (y * width + x) * 3);
    }
  }
  const image = sharp(data, { raw: { width, height, channels: 3 } });
  return format === 'jpeg' ? image.jpeg({ quality: 92 }).toBuffer() : image.png().toBuffer();
}
