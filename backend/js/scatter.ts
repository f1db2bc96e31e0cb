import { IndexError, indexErrors } from "../../ir/ops";
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
  const size = out.shape[dim];
  walk(index.shape, (pos) => {
    const i = ix[at(index, pos)];
    if (!(i >= 0 && i < size)) throw new Error(indexErrors[IndexError.gather](i, size, dim));
    let to = out.offset + i * out.strides[dim];
    for (let d = 0; d < pos.length; d++) if (d !== dim) to += pos[d] * out.strides[d];
    if (add) o[to] += s[at(src, pos)];
    else o[to] = s[at(src, pos)];
  });
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
