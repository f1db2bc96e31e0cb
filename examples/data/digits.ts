// The 8x8 handwritten digits (1797 images, UCI optdigits as scikit-learn ships it; README.md has
// the source and the CC BY 4.0 licence) as tensors, for the examples. Node.js only (reads a file).
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { type Tensor, tensor } from "jitgrad";

/** The digits: `images` [1797, 1, 8, 8] float32 with pixel values 0..16, `labels` [1797] int32. */
export interface Digits {
  images: Tensor;
  labels: Tensor;
}

export const DIGITS_COUNT = 1797;

/** Reads examples/data/digits.csv.gz: 64 pixels then the label on each line. */
export function loadDigits(): Digits {
  const text = gunzipSync(readFileSync(new URL("./digits.csv.gz", import.meta.url))).toString();
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  if (lines.length !== DIGITS_COUNT)
    throw new Error(`digits.csv.gz: expected ${DIGITS_COUNT} lines, found ${lines.length}`);
  const pixels = new Float32Array(DIGITS_COUNT * 64),
    labels = new Int32Array(DIGITS_COUNT);
  lines.forEach((line, i) => {
    const v = line.split(",").map(Number);
    if (v.length !== 65 || !v.every((x) => Number.isInteger(x)))
      throw new Error(`digits.csv.gz: line ${i + 1} is not 65 integers`);
    pixels.set(v.slice(0, 64), i * 64);
    labels[i] = v[64];
  });
  return {
    images: tensor(pixels, { shape: [DIGITS_COUNT, 1, 8, 8] }),
    labels: tensor(labels, { shape: [DIGITS_COUNT] }),
  };
}
