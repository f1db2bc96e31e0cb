// Datasets (PyTorch's torch.utils.data.Dataset): a length and an item per index. TensorDataset
// slices tensors along their first dim; Subset picks some items of another dataset.
import * as arg from "../runtime/args";
import type { Tensor } from "../runtime/tensor";

/**
 * Base class of map-style datasets (PyTorch's `Dataset`): subclasses implement `getItem(index)`
 * (`__getitem__`) and `length` (`__len__`, a getter or a property). A plain array also serves as a
 * dataset wherever one is expected.
 */
export abstract class Dataset<T = unknown> {
  /** The item at `index` (0 <= index < length). */
  abstract getItem(index: number): T;
  /** The number of items. */
  abstract readonly length: number;
}

/** A Dataset or a plain array of items. */
export type DatasetLike<T> = Dataset<T> | readonly T[];

/** The item type of a dataset. */
export type ItemOf<D> = D extends Dataset<infer T> ? T : D extends readonly (infer T)[] ? T : never;

/** `len(dataset)`, checked: a non-negative integer. */
export function datasetLength(ds: DatasetLike<unknown>, fn: string): number {
  const n = ds.length;
  if (!Number.isInteger(n) || n < 0)
    throw new TypeError(`${fn}(): the dataset's length must be a non-negative integer, not ${n}`);
  return n;
}

/** `dataset[index]` for a Dataset or an array (index already checked to be in range). */
export function itemAt<T>(ds: DatasetLike<T>, index: number): T {
  return ds instanceof Dataset ? ds.getItem(index) : (ds as readonly T[])[index];
}

/** Python's index into a sequence of `length`: negatives count from the end, others are errors. */
function seqIndex(index: unknown, length: number, fn: string): number {
  const i = arg.int(index, fn, "index", 1);
  if (i < -length || i >= length)
    throw new RangeError(`${fn}(): index ${i} is out of range for ${length} items`);
  return i < 0 ? i + length : i;
}

/**
 * Tensors sliced along their first dim (PyTorch's `TensorDataset`): item i is
 * `[t0[i], t1[i], ...]`. All tensors must have the same size in dim 0.
 */
export class TensorDataset<T extends Tensor[] = Tensor[]> extends Dataset<T> {
  /** The tensors, as given. */
  readonly tensors: T;
  constructor(...tensors: T) {
    super();
    tensors.forEach((t, i) => arg.tensorArg(t, "TensorDataset", "tensors", i + 1));
    for (const t of tensors)
      if (t.ndim === 0)
        throw new RangeError(
          "TensorDataset(): dimension specified as 0 but tensor has no dimensions",
        );
    if (tensors.some((t) => t.shape[0] !== tensors[0].shape[0]))
      throw new Error("Size mismatch between tensors");
    this.tensors = tensors;
  }
  get length(): number {
    return this.tensors.length ? this.tensors[0].shape[0] : 0;
  }
  getItem(index: number): T {
    const i = seqIndex(index, this.length, "TensorDataset.getItem");
    return this.tensors.map((t) => t.select(0, i)) as T;
  }
}

/** The items `indices` of `dataset`, in that order (PyTorch's `Subset`). */
export class Subset<T> extends Dataset<T> {
  readonly dataset: DatasetLike<T>;
  readonly indices: readonly number[];
  constructor(dataset: DatasetLike<T>, indices: readonly number[]) {
    super();
    if (!(dataset instanceof Dataset) && !Array.isArray(dataset))
      throw new TypeError(
        `Subset(): dataset must be a Dataset or an array, not ${arg.typeName(dataset)}`,
      );
    const n = datasetLength(dataset, "Subset");
    this.dataset = dataset;
    if (!Array.isArray(indices))
      throw new TypeError(
        `Subset(): indices must be an array of ints, not ${arg.typeName(indices)}`,
      );
    this.indices = Array.from(indices, (i: unknown) => seqIndex(i, n, "Subset"));
  }
  get length(): number {
    return this.indices.length;
  }
  getItem(index: number): T {
    return itemAt(this.dataset, this.indices[seqIndex(index, this.length, "Subset.getItem")]);
  }
}

/**
 * The tensors and row indices behind `ds` when it is a TensorDataset or a Subset of one: then a
 * batch is one indexSelect per tensor instead of a stack of rows (the same values). Only when the
 * items are the base classes' own: a subclass with its own getItem (a transform) gets its items.
 */
export function tensorRows(
  ds: DatasetLike<unknown>,
  indices: number[],
): { tensors: Tensor[]; rows: number[] } | undefined {
  if (ds instanceof TensorDataset && ds.getItem === TensorDataset.prototype.getItem)
    return { tensors: ds.tensors, rows: indices };
  if (ds instanceof Subset && ds.getItem === Subset.prototype.getItem)
    return tensorRows(
      ds.dataset,
      indices.map((i) => ds.indices[i]),
    );
  return undefined;
}
