// DataLoader (PyTorch's torch.utils.data.DataLoader, single process): batches of a dataset's items
// in order or shuffled, drawing random numbers exactly where PyTorch 1.13 draws them.
import * as arg from "../runtime/args";
import { tensor } from "../runtime/create";
import { drawSeed32, Generator as RandomGenerator, withGenerator } from "../runtime/random";
import { generatorArg, randperm } from "../runtime/randperm";
import type { Tensor } from "../runtime/tensor";
import { type Collated, defaultCollate } from "./collate";
import { Dataset, type DatasetLike, datasetLength, itemAt, tensorRows } from "./dataset";

/** Options of {@link DataLoader}. */
export interface DataLoaderOptions<T, B> {
  /** Items per batch; default 1. */
  batchSize?: number;
  /** Visit the items in a new random order every epoch (PyTorch's RandomSampler); default false. */
  shuffle?: boolean;
  /** Generator of the shuffle order (and of the seed each epoch draws); default the global one. */
  generator?: RandomGenerator;
  /** Drop the last batch when it is smaller than `batchSize`; default false. */
  dropLast?: boolean;
  /** Makes a batch from a list of items; default {@link defaultCollate}. */
  collateFn?: (items: T[]) => B;
}

const OPTIONS = ["batchSize", "shuffle", "generator", "dropLast", "collateFn"] as const;

/**
 * Iterates over a dataset in batches (`for (const [x, y] of loader)`); `length` is the number of
 * batches per epoch (`len(loader)`).
 *
 * Random numbers: each epoch (each `for...of`) draws what PyTorch's single-process DataLoader draws.
 * Starting an epoch draws a 64-bit base seed from `generator` (PyTorch draws it for worker seeds
 * even with `shuffle` off; it is unused here but drawn so the streams stay aligned); with `shuffle`,
 * the first batch then draws the order: `randperm(n, { generator })` when a generator is given,
 * otherwise a seed from the global generator that seeds a fresh Generator for `randperm`; running
 * out of items draws one more permutation and uses none of it (PyTorch's sampler does), which
 * advances a given generator by n - 1 draws (an epoch left early skips it, as in PyTorch). So after
 * `manualSeed(s)` (or with `generator: new Generator().manualSeed(s)`) the batches are PyTorch's
 * for the same seed, and the global generator advances as PyTorch's does.
 */
export class DataLoader<T = unknown, B = Collated<T>> implements Iterable<B> {
  readonly dataset: DatasetLike<T>;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  readonly generator: RandomGenerator | undefined;
  readonly collateFn: ((items: T[]) => B) | undefined;

  constructor(dataset: DatasetLike<T>, options?: DataLoaderOptions<T, B>) {
    if (!(dataset instanceof Dataset) && !Array.isArray(dataset))
      throw new TypeError(
        `DataLoader(): dataset must be a Dataset or an array, not ${arg.typeName(dataset)}`,
      );
    const o = arg.options(options, "DataLoader", OPTIONS);
    const batchSize = o.batchSize === undefined ? 1 : o.batchSize;
    if (typeof batchSize !== "number" || !Number.isInteger(batchSize) || batchSize <= 0)
      throw new TypeError(
        `batch_size should be a positive integer value, but got batch_size=${typeof batchSize === "number" ? batchSize : arg.typeName(batchSize)}`,
      );
    const shuffle = o.shuffle === undefined ? false : arg.bool(o.shuffle, "DataLoader", "shuffle");
    const dropLast =
      o.dropLast === undefined ? false : arg.bool(o.dropLast, "DataLoader", "dropLast");
    const collateFn = o.collateFn;
    if (collateFn !== undefined && typeof collateFn !== "function")
      throw new TypeError(
        `DataLoader(): collateFn must be a function, not ${arg.typeName(collateFn)}`,
      );
    this.generator = generatorArg(o.generator, "DataLoader");
    const n = datasetLength(dataset, "DataLoader");
    if (shuffle && n === 0)
      throw new RangeError("num_samples should be a positive integer value, but got num_samples=0");
    this.dataset = dataset;
    this.batchSize = batchSize;
    this.shuffle = shuffle;
    this.dropLast = dropLast;
    this.collateFn = collateFn as ((items: T[]) => B) | undefined;
  }

  /** Batches per epoch (`len(loader)`). */
  get length(): number {
    const n = datasetLength(this.dataset, "DataLoader");
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** One epoch: draws the base seed now, the shuffle order at the first batch, as PyTorch. */
  [Symbol.iterator](): Iterator<B> {
    withGenerator(this.generator, drawSeed32);
    return this.#epoch();
  }

  // PyTorch's BatchSampler.__iter__, both branches: where the sampler runs out decides when
  // RandomSampler's trailing draw happens relative to the batches.
  *#epoch(): Generator<B, void, undefined> {
    const size = this.batchSize,
      indices = this.#indices();
    if (this.dropLast) {
      for (;;) {
        const batch: number[] = [];
        for (let k = 0; k < size; k++) {
          const next = indices.next();
          if (next.done) return;
          batch.push(next.value);
        }
        yield this.#batch(batch);
      }
    }
    let batch: number[] = [];
    for (const i of indices) {
      batch.push(i);
      if (batch.length === size) {
        yield this.#batch(batch);
        batch = [];
      }
    }
    if (batch.length) yield this.#batch(batch);
  }

  // PyTorch's SequentialSampler and RandomSampler.__iter__ (replacement=False, num_samples=n):
  // the order is drawn at the first index; running out draws randperm(n) once more and keeps none
  // of it (the `[:num_samples % n]` tail), which advances a given generator by n - 1 more draws.
  *#indices(): Generator<number, void, undefined> {
    const n = datasetLength(this.dataset, "DataLoader");
    if (!this.shuffle) {
      for (let i = 0; i < n; i++) yield i;
      return;
    }
    let g = this.generator;
    if (g === undefined) g = new RandomGenerator().manualSeed(withGenerator(undefined, drawSeed32));
    yield* randperm(n, { generator: g }).values() as number[];
    randperm(n, { generator: g });
  }

  #batch(indices: number[]): B {
    if (this.collateFn) return this.collateFn(indices.map((i) => itemAt(this.dataset, i)));
    const rows = tensorRows(this.dataset, indices);
    if (rows) {
      // a TensorDataset's default batch: one indexSelect per tensor (what stacking rows gives)
      const index = tensor(rows.rows, { dtype: "int32" });
      return rows.tensors.map((t: Tensor) => t.indexSelect(0, index)) as B;
    }
    return defaultCollate(indices.map((i) => itemAt(this.dataset, i))) as B;
  }
}
