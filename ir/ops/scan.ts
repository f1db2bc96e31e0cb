// Scans along one dim: a combine formula and its identity, like a reduction's, kept at every
// position. The backend runs them as one sequential kernel per line.
import type { Differentiable, OpDef, ScanDef, Vjp } from "../op-def";
import { S } from "../scalar";

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
} satisfies Record<string, OpDef<never>>;
