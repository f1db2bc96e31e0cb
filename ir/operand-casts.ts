// The dtype an elementwise op computes in, and the operands that must be cast to it first.
// PyTorch casts every operand to the op's computation dtype before the op runs (TensorIterator's
// common dtype): a 0-d float64 tensor added to a float32 tensor is rounded to float32 first, and
// so is an int32 operand of a float32 op (exact only up to 2^24); torch 1.13 gives
// tensor(1 + 2**-24 + 2**-40, float64) + tensor([2**-24], float32) == 1 + 2**-22 (rounded first),
// not 1 + 2**-23 (added in double, rounded once). Kernels compute float32 ops in double and round
// when they store, so such an operand must be rounded in the formula, where the op reads it.
import type { DType } from "./dtype";
import { type Operand, promoteAll } from "./op-def";
import { arg, type Scalar, storeAs, substitute } from "./scalar";

// Its result's dtype, except that a bool result of a comparison (or logical op) is computed in
// its operands' promoted dtype; `where` selects in its result's dtype (its condition is a bool);
// a cast has none (its formula is the conversion).
export function computeDtype(op: string, ins: readonly Operand[], out: DType): DType | null {
  if (op === "cast") return null;
  if (op === "where" || out !== "bool") return out;
  return promoteAll(ins as Operand[]);
}

// Casting `from` to `to` changes some values (the only such pairs promotion can make).
export const lossy = (from: DType, to: DType | null) =>
  to === "float32" && (from === "float64" || from === "int32");

// For each operand, the dtype to cast it to, or null. Wrapped numbers are skipped: bind() already
// stored them as the computation dtype stores them.
export function operandCasts(
  op: string,
  ins: readonly Operand[],
  out: DType,
  to: DType | null = computeDtype(op, ins, out),
): (DType | null)[] {
  return ins.map((x, i) =>
    (op === "where" && i === 0) || x.wrapped || !lossy(x.dtype, to) ? null : to,
  );
}

// A constant the cast to `to` keeps as it is.
export const keeps = (to: DType, x: number) => to !== "float32" || Object.is(Math.fround(x), x);

// The formula reading operand i as cast to casts[i].
export function withCasts(f: Scalar, casts: readonly (DType | null)[]): Scalar {
  if (casts.every((c) => c === null)) return f;
  return substitute(
    f,
    casts.map((c, i) => (c ? storeAs(c, arg(i)) : arg(i))),
  );
}
