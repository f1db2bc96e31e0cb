// Scans along one dim: a combine formula and its identity, like a reduction's, kept at every
// position. The backend runs them as one sequential kernel per line.
import type { Differentiable, OpDef, Operand, ScanDef, Vjp } from "../op-def";
import { S, type Scalar } from "../scalar";

export interface ScanParams {
  dim: number; // normalized
}

// The reversed cumulative sum along dim: out[j] = v[j] + v[j + 1] + ..., as flip, cumsum, flip
// (not sum - cumsum + v, whose cancellation leaves float32 residue at the end of a line); the flip
// is a gather at n-1-j (the index: n minus the running count of ones, int32)
const reverseCumsum = <T extends Differentiable<T>>(v: T, dim: number) => {
  const n = v.shape[dim] ?? 1;
  const flip = v
    .newZeros([...v.shape])
    .eq(0)
    .cumsum(dim)
    .neg()
    .add(n);
  return v.shape.length === 0 ? v : v.gather(dim, flip).cumsum(dim).gather(dim, flip);
};

// d/dx_i cumprod(x)_j (j >= i) is the product of x_0..x_j but x_i. Before a line's first zero (z)
// that is out_j / x_i; at z, the product of x_0..x_(z-1) times sum over j >= z of g_j times the
// product of x_(z+1)..x_j; after z, every such product holds x_z = 0. (PyTorch's cumprod_backward.)
const cumprodVjp: Vjp<ScanParams> = (g, { ins: [x], out, params: { dim } }) => {
  const isZero = x.eq(0),
    seen = isZero.cumsum(dim); // zeros so far, this one included
  const before = seen.eq(0),
    first = seen.ne(1).logicalOr(x.ne(0)).logicalNot(); // the first zero
  const a = reverseCumsum(g.mul(out), dim).div(x.where(before, 1));
  const after = x.where(before.logicalOr(first).logicalNot(), 1).cumprod(dim); // x_(z+1)..x_j
  const prefix = x.where(before, 1).cumprod(dim); // x_0..x_(z-1) at z
  const b = prefix.mul(reverseCumsum(g.mul(after), dim));
  return [a.where(before, b.where(first, 0))];
};

// Where each running max/min of x along dim was last taken (int32), given the running values:
// PyTorch's cummax/cummin take a later element equal to the running value (ties go to the later
// index) and every NaN (the running value is NaN from the first NaN on). Such positions are where
// x equals its running value or is NaN; the index is the running max of those positions. at: the
// positions 0, 1, ... along dim (int32, broadcasting against x; by default a scan of ones).
export function cumIndices<T extends Differentiable<T>>(x: T, values: T, dim: number, at?: T): T {
  if (x.shape.length === 0) return x.newZeros([]).ne(0).cumsum(0); // 0 (int32)
  const pos =
    at ??
    x
      .newZeros([...x.shape])
      .eq(0)
      .cumsum(dim)
      .sub(1);
  return pos.where(x.eq(values).logicalOr(x.ne(x)), 0).cumExtreme("cummax", dim);
}

// d/dx cummax(x): g added at the index each running value came from (PyTorch's cummaxmin_backward)
const cumExtremeVjp: Vjp<ScanParams> = (g, { ins: [x], out, params: { dim } }) => {
  if (x.shape.length === 0) return [g];
  return [g.newZeros([...x.shape]).scatterAdd(dim, cumIndices(x, out, dim), g)];
};

// PyTorch's log_add_exp of two running values: log1p(exp(min - max)) + max, NaN propagating; equal
// infinities give themselves (their difference is NaN)
const logAddExp = (acc: Scalar, x: Scalar) => {
  const lo = S.min(acc, x),
    hi = S.max(acc, x);
  const finite = S.eq(S.sub(lo, lo), 0);
  return S.select(S.or(S.ne(lo, hi), finite), S.add(S.log1p(S.exp(S.sub(lo, hi))), hi), acc);
};

// PyTorch's logcumsumexp_backward: dx_i = sum over j >= i of g_j exp(x_i - out_j), with the
// positive and negative parts of g summed in log space (a reversed logcumsumexp each) so nothing
// overflows
const logcumsumexpVjp: Vjp<ScanParams> = (g, { ins: [x], out, params: { dim } }) => {
  if (g.shape.length === 0 || g.shape.includes(0)) return [g];
  const lowest = x.dtype === "float64" ? -Number.MAX_VALUE : -3.4028234663852886e38;
  const logAbs = g.abs().log();
  const part = (keep: typeof g) =>
    logAbs.where(keep, lowest).sub(out).flip([dim]).logcumsumexp(dim).flip([dim]).add(x).exp();
  return [part(g.gt(0)).sub(part(g.lt(0)))];
};

const along = (p: ScanParams) => p.dim;
const sameShape = ([x]: Operand[]) => [...x.shape];
// the running max/min along dim (NaN from a line's first NaN on); indices: cumIndices
const cumExtreme = (
  grad: string,
  combine: (acc: Scalar, x: Scalar) => Scalar,
  init: number,
): ScanDef<ScanParams> => ({
  kind: "scan",
  grad,
  combine,
  init,
  along,
  shape: sameShape,
  dtype: ([x]) => x.dtype,
  vjp: cumExtremeVjp,
});

export const scanOps = {
  // d/dx cumsum(x) = the reversed cumulative sum of g: sum(g) - cumsum(g) + g along the dim
  cumsum: {
    kind: "scan",
    grad: "CumsumBackward0",
    combine: S.add,
    init: 0,
    along: (p) => p.dim,
    shape: ([x]) => [...x.shape],
    dtype: ([x]) => (x.dtype === "bool" ? "int32" : x.dtype),
    vjp: (g, { params: { dim } }) => [g.sum([dim], true).sub(g.cumsum(dim)).add(g)],
  } satisfies ScanDef<ScanParams> as ScanDef<ScanParams>,
  cumprod: {
    kind: "scan",
    grad: "CumprodBackward0",
    combine: S.mul,
    init: 1,
    along: (p) => p.dim,
    shape: ([x]) => [...x.shape],
    dtype: ([x]) => (x.dtype === "bool" ? "int32" : x.dtype),
    vjp: cumprodVjp,
  } satisfies ScanDef<ScanParams> as ScanDef<ScanParams>,
  cummax: cumExtreme("CummaxBackward0", S.max, -Infinity),
  cummin: cumExtreme("CumminBackward0", S.min, Infinity),
  // log(cumsum(exp(x))) along dim, without overflow (floats only: the Tensor method checks)
  logcumsumexp: {
    kind: "scan",
    grad: "LogcumsumexpBackward0",
    combine: logAddExp,
    init: -Infinity,
    along,
    shape: sameShape,
    dtype: ([x]) => x.dtype,
    vjp: logcumsumexpVjp,
  } satisfies ScanDef<ScanParams> as ScanDef<ScanParams>,
} satisfies Record<string, OpDef<never>>;
