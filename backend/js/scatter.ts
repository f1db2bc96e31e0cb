import { IndexError, indexErrors } from "../../ir/ops";
import { scatterReductions } from "../../ir/ops/indexing";
import { numel } from "../../ir/shape";
import type { Strided } from "../backend";
import type { LoopKernel } from "../plan";
import { emitRoutineCall } from "./routine";

export const scatterAdd = (
  out: Strided,
  base: Strided,
  index: Strided,
  src: Strided,
  dim: number,
) => scatterInto(out, base, index, src, dim, true);
export const scatter = (out: Strided, base: Strided, index: Strided, src: Strided, dim: number) =>
  scatterInto(out, base, index, src, dim, false);

function scatterInto(
  out: Strided,
  base: Strided,
  index: Strided,
  src: Strided,
  dim: number,
  add: boolean,
) {
  const b = base.storage!;
  walk(out.shape, (pos) => {
    out.storage![at(out, pos)] = b[at(base, pos)];
  });
  const o = out.storage!,
    ix = index.storage!,
    s = src.storage!;
  walk(index.shape, (pos) => {
    const to = target(out, pos, dim, ix[at(index, pos)]);
    if (add) o[to] += s[at(src, pos)];
    else o[to] = s[at(src, pos)];
  });
}

// scatterReduce's reductions, in the order of their ids (ir's scatterReductions)
const combines = [
  (a: number, b: number) => a + b,
  (a: number, b: number) => a * b,
  (a: number, b: number) => a + b,
  Math.max, // NaN wins either way, as PyTorch's (isnan(src) ? src : max(self, src))
  Math.min,
];

// out = base, with src[p] combined into base[..., index[p], ...] along dim by the reduction (id
// into scatterReductions); without includeSelf a position's first scattered value replaces base's;
// mean divides each scattered position's sum by its count (plus one with includeSelf), rounding
// down for integers, as PyTorch does
export function scatterReduce(
  out: Strided,
  base: Strided,
  index: Strided,
  src: Strided,
  dim: number,
  reduce: number,
  includeSelf: number,
) {
  const b = base.storage!,
    o = out.storage!,
    ix = index.storage!,
    s = src.storage!;
  walk(out.shape, (pos) => {
    o[at(out, pos)] = b[at(base, pos)];
  });
  const combine = combines[reduce],
    count = new Float64Array(o.length);
  walk(index.shape, (pos) => {
    const to = target(out, pos, dim, ix[at(index, pos)]);
    const v = s[at(src, pos)];
    o[to] = !includeSelf && count[to] === 0 ? v : combine(o[to], v);
    count[to]++;
  });
  if (scatterReductions[reduce] !== "mean") return;
  const whole = o instanceof Int32Array;
  for (let k = 0; k < o.length; k++)
    if (count[k] > 0) {
      const q = o[k] / (count[k] + includeSelf);
      o[k] = whole ? Math.floor(q) : q;
    }
}

// Where index value i at position pos of index lands in out (checked: PyTorch's gather error).
function target(out: Strided, pos: number[], dim: number, i: number): number {
  const size = out.shape[dim];
  if (!(i >= 0 && i < size)) throw new Error(indexErrors[IndexError.gather](i, size, dim));
  let to = out.offset + i * out.strides[dim];
  for (let d = 0; d < pos.length; d++) if (d !== dim) to += pos[d] * out.strides[d];
  return to;
}

// Calls f with every position of `shape`, in row-major order (pos is reused between calls).
function walk(shape: readonly number[], f: (pos: number[]) => void): void {
  const pos = new Array<number>(shape.length).fill(0);
  for (let k = 0, n = numel(shape); k < n; k++) {
    f(pos);
    for (let d = shape.length - 1; d >= 0 && ++pos[d] === shape[d]; d--) pos[d] = 0;
  }
}
const at = (v: Strided, pos: number[]) => pos.reduce((o, i, d) => o + i * v.strides[d], v.offset);

// The compiled kernel: one call of the routine with the operands' views baked in.
export const emitScatter = (k: LoopKernel, dim: number, routine: "scatterAdd" | "scatter") =>
  emitRoutineCall(k, routine, [dim], "spread");
