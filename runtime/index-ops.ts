// Helpers of the indexing and shape ops (Tensor.indexSelect, take, index, triu, diagonal, ...):
// constant index tensors and index checks, built from the gather primitive so that they run (and
// raise PyTorch's errors) inside compiled kernels as well as eagerly.
import type { IndexError } from "../ir/ops";
import { fmtShape } from "../ir/shape";
import { bind, empty } from "./dispatch";
import type { Tensor } from "./tensor";

/** 0, 1, ..., n-1 as an int32 tensor (a constant: compiled functions capture it). */
export function iota(n: number): Tensor {
  const t = empty([n], "int32");
  for (let i = 0; i < n; i++) t.storage![i] = i;
  return t;
}

/** An int32 index tensor, with PyTorch's wording when it is something else. */
export function intIndex(t: Tensor, message: string): Tensor {
  if (t.dtype !== "int32") throw new Error(message);
  return t;
}

/**
 * idx with negative entries in [-n, 0) wrapped by n, checked against n: an entry out of range
 * raises `error` (its message given the unwrapped entry, n and `dim`), eagerly and in compiled
 * kernels. The check is a gather of a tiny zero buffer of size n along `dim`, added to the result.
 */
export function checkedIndex(idx: Tensor, n: number, dim: number, error: IndexError, wrap = true) {
  const w = wrap ? idx.add(n).where(idx.lt(0).where(idx.ge(-n), false), idx) : idx;
  const ones = new Array<number>(dim).fill(1);
  const zeros = empty([...ones, n], "int32");
  const probe = bind("gather", [zeros, w.reshape([...ones, -1])], { dim, error });
  return w.add(probe.reshape([...idx.shape]));
}

/** The index tensors broadcast together, with PyTorch's error for shapes that do not broadcast. */
export function broadcastIndices(ts: Tensor[]): number[] {
  let shape: number[] = [];
  for (const t of ts) {
    const out: number[] = [];
    const r = Math.max(shape.length, t.ndim);
    for (let i = 0; i < r; i++) {
      const a = shape[shape.length - r + i] ?? 1,
        b = t.shape[t.ndim - r + i] ?? 1;
      if (a !== b && a !== 1 && b !== 1)
        throw new Error(
          `shape mismatch: indexing tensors could not be broadcast together with shapes ${ts.map((x) => fmtShape(x.shape)).join(", ")}`,
        );
      out.push(a === 1 ? b : a);
    }
    shape = out;
  }
  return shape;
}
