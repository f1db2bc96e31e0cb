// random_split: a dataset cut into non-overlapping random subsets, in PyTorch 1.13's order.
import * as arg from "../runtime/args";
import type { Generator } from "../runtime/random";
import { generatorArg, randperm } from "../runtime/randperm";
import { Dataset, type DatasetLike, datasetLength, Subset } from "./dataset";

/** Python's math.isclose(a, b) with its default rel_tol=1e-9, abs_tol=0. */
const isClose = (a: number, b: number) =>
  Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));

/**
 * Splits `dataset` into random non-overlapping subsets (PyTorch's `random_split`). `lengths` are
 * the subset sizes, or fractions that sum to 1: then each size is floor(fraction * length) and the
 * remainder is handed out one by one from the first subset on. The order is
 * `randperm(length, { generator })` (default: the global generator), as PyTorch's.
 */
export function randomSplit<T>(
  dataset: DatasetLike<T>,
  lengths: readonly number[],
  options?: { generator?: Generator },
): Subset<T>[] {
  if (!(dataset instanceof Dataset) && !Array.isArray(dataset))
    throw new TypeError(
      `random_split(): dataset must be a Dataset or an array, not ${arg.typeName(dataset)}`,
    );
  const generator = generatorArg(
    arg.options(options, "random_split", ["generator"]).generator,
    "random_split",
  );
  if (!Array.isArray(lengths))
    throw new TypeError(
      `random_split(): lengths must be an array of numbers, not ${arg.typeName(lengths)}`,
    );
  const given = Array.from(lengths, (v: unknown, i) =>
    arg.number(v, "random_split", `lengths[${i}]`),
  );
  const n = datasetLength(dataset, "random_split");
  let sizes = given;
  const total = given.reduce((a, b) => a + b, 0);
  if (isClose(total, 1) && total <= 1) {
    sizes = given.map((frac, i) => {
      if (!(frac >= 0 && frac <= 1))
        throw new RangeError(`Fraction at index ${i} is not between 0 and 1`);
      return Math.floor(n * frac);
    });
    const remainder = n - sizes.reduce((a, b) => a + b, 0);
    for (let i = 0; i < remainder; i++) sizes[i % sizes.length] += 1;
    sizes.forEach((len, i) => {
      if (len === 0)
        console.warn(`Length of split at index ${i} is 0. This might result in an empty dataset.`);
    });
  } else if (!given.every((len) => Number.isInteger(len) && len >= 0)) {
    throw new TypeError(
      "random_split(): lengths must be non-negative integers, or fractions that sum to 1",
    );
  }
  if (sizes.reduce((a, b) => a + b, 0) !== n)
    throw new RangeError("Sum of input lengths does not equal the length of the input dataset!");
  const order = randperm(n, { generator }).values() as number[];
  const parts: Subset<T>[] = [];
  let offset = 0;
  for (const len of sizes) {
    parts.push(new Subset(dataset, order.slice(offset, offset + len)));
    offset += len;
  }
  return parts;
}
