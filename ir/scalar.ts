// An op's scalar meaning, written once for every backend: an expression tree over a small set of
// named scalar ops. The op table builds these trees (`S.add(a, b)`); each backend has one table that
// renders every named op (backend/js/scalar.ts), so no backend parses another's source text.
import type { DType } from "./dtype";

// Arity of each named op. Arithmetic and functions are IEEE double arithmetic (a backend may
// compute a float32 result in a faster way accurate to float32: tanh); comparisons, `nonzero` and
// `not` give booleans (1/0 when stored); `and`, `or`, `not` and `select` take booleans (comparison
// results or bool values); `nonzero` is PyTorch's truthiness (NaN is true, -0 is false); max/min
// are Math.max/Math.min (NaN when either operand is NaN).
export const arity = {
  neg: 1,
  add: 2,
  sub: 2,
  mul: 2,
  div: 2,
  pow: 2,
  exp: 1,
  log: 1,
  sqrt: 1,
  abs: 1,
  tanh: 1,
  sin: 1,
  cos: 1,
  erf: 1,
  erfc: 1, // 1 - erf(x), accurate where erf(x) is close to 1
  erfinv: 1, // the inverse of erf on [-1, 1] (NaN outside, +-inf at +-1)
  floor: 1,
  ceil: 1,
  trunc: 1,
  roundEven: 1, // to the nearest integer, halves to even (PyTorch's round)
  log1p: 1,
  expm1: 1,
  log2: 1,
  log10: 1,
  tan: 1,
  asin: 1,
  acos: 1,
  atan: 1,
  sinh: 1,
  cosh: 1,
  asinh: 1,
  acosh: 1,
  atanh: 1,
  atan2: 2,
  hypot: 2, // sqrt(a^2 + b^2) without overflow; +inf when either is infinite (even with NaN)
  fmod: 2, // C's fmod: the remainder with the dividend's sign (JS %)
  // bitwise ops on 32-bit integers (JS's & | ^ ~ << >>, whose shift counts are taken mod 32)
  bitAnd: 2,
  bitOr: 2,
  bitXor: 2,
  bitNot: 1,
  shl: 2,
  shr: 2,
  max: 2,
  min: 2,
  eq: 2,
  ne: 2,
  lt: 2,
  le: 2,
  gt: 2,
  ge: 2,
  and: 2,
  or: 2,
  not: 1,
  nonzero: 1,
  select: 3,
  roundF32: 1, // the nearest float32
  wrapI32: 1, // to a 32-bit integer, wrapping (as an Int32Array store does)
} as const;
export type ScalarOp = keyof typeof arity;

export type Scalar =
  | { op: "arg"; index: number }
  | { op: "num"; value: number }
  | { op: ScalarOp; args: Scalar[] };
type In = Scalar | number;

const lift = (x: In): Scalar => (typeof x === "number" ? { op: "num", value: x } : x);
const node =
  (op: ScalarOp) =>
  (...args: In[]): Scalar => {
    if (args.length !== arity[op]) throw new Error(`internal: ${op} takes ${arity[op]} operands`);
    return { op, args: args.map(lift) };
  };

export const arg = (index: number): Scalar => ({ op: "arg", index });

// The builders the op table writes formulas with: S.select(S.gt(x, 0), x, 0).
export const S = Object.fromEntries(Object.keys(arity).map((op) => [op, node(op as ScalarOp)])) as {
  [K in ScalarOp]: (typeof arity)[K] extends 1
    ? (x: In) => Scalar
    : (typeof arity)[K] extends 2
      ? (a: In, b: In) => Scalar
      : (c: In, a: In, b: In) => Scalar;
};

// The formula with its arguments replaced by the given expressions.
export function substitute(e: Scalar, args: readonly Scalar[]): Scalar {
  if (e.op === "arg") return args[e.index];
  if (e.op === "num") return e;
  return { op: e.op, args: e.args.map((a) => substitute(a, args)) };
}

// A canonical text for cache keys and comments: add(#0, mul(#1, 2)).
export function scalarKey(e: Scalar): string {
  if (e.op === "arg") return `#${e.index}`;
  if (e.op === "num") return Object.is(e.value, -0) ? "-0" : String(e.value);
  return `${e.op}(${e.args.map(scalarKey).join(", ")})`;
}

// How a value is stored in each dtype, stated once: float32 rounds to nearest, int32 wraps, bool
// holds 1 where the value is nonzero (NaN included) and 0 elsewhere, float64 keeps the double.
export function storeAs(dtype: DType, x: Scalar): Scalar {
  if (dtype === "float32") return S.roundF32(x);
  if (dtype === "int32") return S.wrapI32(x);
  if (dtype === "bool") return S.select(S.nonzero(x), 1, 0);
  return x;
}

export const identity: Scalar = arg(0);
