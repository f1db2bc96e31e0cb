// Indexing primitives: gather (a fused read at computed positions) and scatterAdd (a kernel that
// accumulates into computed positions), each the other's gradient. indexSelect, take, embedding,
// the losses' target lookups and indexAdd are compositions of these.
import type { Differentiable, GatherDef, IndexError, OpDef, Vjp } from "../op-def";
import { kernel, shapeOf } from "../op-def";

// scatterReduce's reductions (a backend receives the position in this list)
export const scatterReductions = ["sum", "prod", "mean", "amax", "amin"] as const;
export type ScatterReduction = (typeof scatterReductions)[number];
export interface ScatterReduceParams {
  dim: number; // normalized
  reduce: ScatterReduction;
  includeSelf: boolean;
}

// 1 where mask holds, else 0, in like's dtype
const ones = <T extends Differentiable<T>>(mask: T, like: T) =>
  like
    .newZeros([...mask.shape])
    .add(1)
    .where(mask, 0);
const and = <T extends Differentiable<T>>(a: T, b: T) =>
  a.logicalNot().logicalOr(b.logicalNot()).logicalNot();

// PyTorch 1.13's scatter_reduce_backward (index and src have one shape: the Tensor method trims
// src). prod: the products without the zeros of self, and for a src element that is the only zero
// scattered to its position, the product of the others; mean: g over each position's count; amax
// and amin: g shared evenly among the elements equal to the result. Without includeSelf, self
// gets nothing where anything was scattered.
const scatterReduceVjp: Vjp<ScatterReduceParams> = (g, ctx) => {
  const [self, index, src] = ctx.ins,
    result = ctx.out,
    { dim, reduce, includeSelf } = ctx.params;
  const again = (base: typeof g, s: typeof g) =>
    base.scatterReduce(dim, index, s, reduce, { includeSelf });
  let gSelf: typeof g, gSrc: typeof g;
  if (reduce === "sum") {
    gSelf = g;
    gSrc = g.gather(dim, index);
  } else if (reduce === "prod") {
    const maskedSelf = self.where(self.ne(0), 1);
    gSelf = g.mul(again(maskedSelf, src)).div(maskedSelf);
    const srcZero = src.eq(0);
    const zeros = self.newZeros([...self.shape]).scatterAdd(dim, index, ones(srcZero, self));
    const single = and(srcZero, zeros.gather(dim, index).eq(1));
    const others = g.mul(again(self, src.where(single.logicalNot(), 1))).gather(dim, index);
    const shared = g.mul(result).gather(dim, index).div(src.where(srcZero.logicalNot(), 1));
    gSrc = others.where(single, shared);
  } else if (reduce === "mean") {
    let n = g.newZeros([...g.shape]).add(includeSelf ? 1 : 0);
    n = n.scatterAdd(dim, index, g.newZeros([...src.shape]).add(1));
    n = n.where(n.ne(0), 1);
    gSelf = g.div(n);
    gSrc = g.gather(dim, index).div(n.gather(dim, index));
  } else {
    const value = result.gather(dim, index);
    const selfIs = self.eq(result),
      srcIs = src.eq(value);
    const shared = g.div(ones(selfIs, g).scatterAdd(dim, index, ones(srcIs, g)));
    gSelf = shared.where(selfIs, 0);
    gSrc = shared.gather(dim, index).where(srcIs, 0);
  }
  if (!includeSelf) gSelf = gSelf.scatter(dim, index, 0);
  return [ctx.needs[0] ? gSelf : null, null, ctx.needs[2] ? gSrc : null];
};

export interface GatherParams {
  dim: number; // normalized
  error: IndexError;
}

export const indexingOps = {
  // out = x[..., index, ...] along dim; index has out's shape (PyTorch: index.size(d) <= x.size(d)
  // for the other dims); d/dx scatters the gradient back, index gets none
  gather: {
    kind: "gather",
    grad: "GatherBackward0",
    along: (p) => p,
    shape: ([, index]) => [...index.shape],
    dtype: ([x]) => x.dtype,
    vjp: (g, { ins: [x, index], params, needs }) => [
      needs[0] ? g.newZeros([...x.shape]).scatterAdd(params.dim, index, g) : null,
      null,
    ],
  } satisfies GatherDef<GatherParams> as GatherDef<GatherParams>,
  // out = base, plus src[p] added at base[..., index[p], ...] along dim for every position p of index
  scatterAdd: kernel<{ dim: number }>({
    operands: "strided",
    epilogue: false,
    grad: "ScatterAddBackward0",
    shape: ([base]) => [...base.shape],
    dtype: ([base]) => base.dtype,
    vjp: (g, { ins: [, index], params, needs }) => [
      needs[0] ? g : null,
      null,
      needs[2] ? g.gather(params.dim, index) : null,
    ],
  }),
  // out = base, with src[p] combined into base[..., index[p], ...] along dim by the reduction
  scatterReduce: kernel<ScatterReduceParams>({
    operands: "strided",
    epilogue: false,
    grad: "ScatterReduceBackward0",
    shape: ([base]) => [...base.shape],
    dtype: ([base]) => base.dtype,
    vjp: scatterReduceVjp,
  }),
  // out = base, with src[p] written at base[..., index[p], ...] along dim (the last of repeated
  // positions wins); d/dbase is g where nothing was written, d/dsrc reads g at the positions
  scatter: kernel<{ dim: number }>({
    operands: "strided",
    epilogue: false,
    grad: "ScatterBackward0",
    shape: ([base]) => [...base.shape],
    dtype: ([base]) => base.dtype,
    // (src larger than index: its other elements get zeros, where PyTorch 1.13 raises)
    vjp: (g, ctx) => {
      const [, index] = ctx.ins,
        { dim } = ctx.params;
      const src = shapeOf(ctx, 2),
        grow = src.map((n, d) => n - index.shape[d]);
      const s = ctx.needs[2] ? g.gather(dim, index) : null;
      return [
        ctx.needs[0] ? g.scatter(dim, index, g.newZeros([...index.shape])) : null,
        null,
        s && grow.some((n) => n > 0)
          ? s.pad(
              src.map(() => 0),
              grow,
            )
          : s,
      ];
    },
  }),
} satisfies Record<string, OpDef<never>>;
