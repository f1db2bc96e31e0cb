// Kernel plans: the loop-level IR between the compiler and a backend. A plan is an iteration
// space, loads through strided views, scalar temps built from op formulas (ir/scalar.ts),
// optional reductions over the innermost dims, and stores. Eager single-op kernels and fused
// compiled kernels are both plans; a backend renders and runs them (backend/js today).
import type { DType } from "../ir/dtype";
import type { KernelOpName, Params, ScanOpName, View } from "../ir/ops";
import type { Scalar } from "../ir/scalar";

export type Sym = number | string; // a literal baked in, or the name of a kernel argument
// strides over every dim of the space; `at`: plus a position a temp computed (gather's index),
// checked against [0, size), times its stride
export interface Access {
  buf: string;
  offset: Sym;
  strides: Sym[];
  at?: ComputedIndex;
}
export interface ComputedIndex {
  value: string;
  stride: Sym;
  size: Sym;
  dim: number; // for the error message
  error: number; // which message (ir's indexErrors)
}

// 0 <= sum_d index[d] * strides[d] + offset < size: a pad's border in loop terms
export interface Bound {
  strides: Sym[];
  offset: Sym;
  size: Sym;
}

export type ScalarExpr =
  // guard: a "valid" temp; where it is false the load reads nothing and gives 0
  | { kind: "load"; access: Access; guard?: string }
  // true where every bound holds
  | { kind: "valid"; bounds: Bound[] }
  // args name earlier temps or reductions; dtype: the result's, whose precision the op may use
  | { kind: "apply"; scalar: Scalar; dtype: DType; args: string[] }
  | { kind: "num"; value: number };

// "pre" temps run once per output point before the reduction loops, "inner" ones at every point of
// the space, "outer" ones after the reduction loops (they may use reduction results). Without
// reduction loops all phases share the innermost body.
export interface Temp {
  name: string;
  expr: ScalarExpr;
  phase: "pre" | "inner" | "outer";
  comment?: string;
}
export interface Reduction {
  name: string;
  value: string;
  combine: Scalar; // of (accumulator, value)
  dtype: DType;
  init: number;
}
// A sibling reduction: one that walks the whole loop nest once (every point of the space is one
// element of its operand) and reduces over some loops, keeping others, whichever of them the
// kernel's own reductions reduce. Layer norm's weight gradient (summed over the rows) rides in the
// pass that sums each row. Its partial results are an array the size of its output, accumulated
// at every point of the space (in double: `value` is a "pre" or "inner" temp) and stored when all
// loops are done; nothing else in the kernel reads them. `access`: the output position of a point
// (offset 0, contiguous: also the partial's index).
export interface SiblingReduction extends Reduction {
  access: Access;
  size: Sym; // elements of the output
}
export interface Store {
  access: Access;
  value: string;
  phase?: "inner" | "outer";
}

export interface LoopKernel {
  name: string;
  comments: string[];
  params: string[];
  sizes: Sym[];
  reduced: number; // how many innermost dims are reduced
  temps: Temp[];
  reductions: Reduction[];
  stores: Store[];
  siblings?: SiblingReduction[]; // absent when there are none
  kernel?: KernelCall; // a kernel op's kernel (its outer loops uncoalesced): `acc` is its result
}

// A kernel op inside a loop kernel: its operands as strided views of buffers; the temps and stores
// that read `acc` run on each result element (the epilogue).
export interface KernelCall {
  op: KernelOpName | ScanOpName;
  params: Params;
  dtype: DType; // the result's
  acc: string;
  operands: { buf: string; view: View }[];
}

// Merges adjacent dims that every stride array walks contiguously, and drops size-1 dims, so a
// contiguous elementwise op over any shape becomes one flat loop. Dims in [0, split) and
// [split, n) are merged only among themselves (outer vs reduced).
export function coalesce(
  sizes: number[],
  strides: number[][],
  split = sizes.length,
): { sizes: number[]; strides: number[][]; split: number } {
  const out: number[] = [],
    group: boolean[] = [],
    outStrides: number[][] = strides.map(() => []);
  for (let d = 0; d < sizes.length; d++) {
    if (sizes[d] === 1) continue;
    const n = out.length,
      reduced = d >= split;
    if (
      n > 0 &&
      group[n - 1] === reduced &&
      strides.every((s, k) => outStrides[k][n - 1] === s[d] * sizes[d])
    ) {
      out[n - 1] *= sizes[d];
      strides.forEach((s, k) => {
        outStrides[k][n - 1] = s[d];
      });
    } else {
      out.push(sizes[d]);
      group.push(reduced);
      strides.forEach((s, k) => outStrides[k].push(s[d]));
    }
  }
  return { sizes: out, strides: outStrides, split: group.filter((g) => !g).length };
}
