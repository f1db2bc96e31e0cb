// Indexing primitives: gather (a fused read at computed positions) and scatterAdd (a kernel that
// accumulates into computed positions), each the other's gradient. indexSelect, take, embedding,
// the losses' target lookups and indexAdd are compositions of these.
import type { GatherDef, IndexError, OpDef } from "../op-def";
import { kernel, shapeOf } from "../op-def";

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
