import { numel } from "../../ir/shape";
import type { Strided } from "../backend";
import type { LoopKernel } from "../plan";
import { emitRoutineCall } from "./routine";

export function concat(out: Strided, pieces: Strided[], dim: number): void {
  const o = out.storage!;
  let at = 0;
  for (const p of pieces) {
    const s = p.storage!,
      shape = p.shape,
      pos = new Array<number>(shape.length).fill(0);
    for (let k = 0, n = numel(shape); k < n; k++) {
      let from = p.offset,
        to = out.offset + at * out.strides[dim];
      for (let d = 0; d < shape.length; d++) {
        from += pos[d] * p.strides[d];
        to += pos[d] * out.strides[d];
      }
      o[to] = s[from];
      for (let d = shape.length - 1; d >= 0 && ++pos[d] === shape[d]; d--) pos[d] = 0;
    }
    at += shape[dim];
  }
}

// The compiled kernel: one call of the routine with the pieces' views baked in.
export const emitConcat = (k: LoopKernel, dim: number) =>
  emitRoutineCall(k, "concat", [dim], "list");
