// Ops that need a kernel of their own: each backend keys an emitter and an eager implementation
// by their names (backend/js/kernels.ts).
import { kernel, type NoParams, type OpDef, promoteAll, shapeOf } from "../op-def";
import { broadcastShapes } from "../shape";

export const kernelOps = {
  // the positions that sort each line along dim (int32): NaN largest, ties in their original order
  // (stable); not differentiable (sort/topk gather x at these positions, which is)
  argsort: kernel<{ dim: number; descending: boolean }>({
    operands: "strided",
    epilogue: false,
    grad: "SortBackward0",
    dtype: () => "int32",
    shape: ([x]) => [...x.shape],
    vjp: null,
  }),
  // many tensors joined along dim, each copied once into its slice (compiled cat of many pieces;
  // a few pieces are padded into place and summed instead, which fuses with the consumer);
  // each gradient is the slice of g where that piece went
  cat: kernel<{ dim: number }>({
    operands: "strided",
    epilogue: false,
    grad: "CatBackward0",
    dtype: (ins) => promoteAll(ins),
    shape: (ins, p) =>
      ins[0].shape.map((n, d) => (d === p.dim ? ins.reduce((t, x) => t + x.shape[d], 0) : n)),
    vjp: (g, ctx) => {
      const dim = ctx.params.dim;
      let at = 0;
      return ctx.ins.map((_, i) => {
        const shape = shapeOf(ctx, i),
          start = at;
        at += shape[dim];
        return ctx.needs[i]
          ? g.shrink(
              shape.map((_, d) => (d === dim ? start : 0)),
              g.shape.map((n, d) => (d === dim ? start + shape[dim] : n)),
            )
          : null;
      });
    },
  }),
  // [..., m, k] @ [..., k, n] with broadcast batch dims (1-D operands are handled by Tensor.matmul)
  // grad_fn: the last op of PyTorch 1.13's matmul: mm; for a batched operand, the _unsafe_view of a
  // folded mm or bmm, except matrix @ batch, whose transposed result is made contiguous (a clone,
  // unless a size-1 dim makes the transpose contiguous already)
  matmul: kernel<NoParams>({
    operands: "strided",
    epilogue: true,
    grad: ([a, b]) =>
      a.shape.length === 2 && b.shape.length === 2
        ? "MmBackward0"
        : a.shape.length > 2
          ? "UnsafeViewBackward0"
          : a.shape[0] === 1 || b.shape[b.shape.length - 1] === 1
            ? "TransposeBackward0"
            : "CloneBackward0",
    dtype: (ins) => promoteAll(ins),
    shape: ([a, b]) => {
      const [m, k] = a.shape.slice(-2),
        [k2, n] = b.shape.slice(-2);
      if (k !== k2)
        throw new Error(`mat1 and mat2 shapes cannot be multiplied (${m}x${k} and ${k2}x${n})`);
      return [...broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2)), m, n];
    },
    vjp: (g, { ins: [a, b], needs }) => [
      needs[0] ? g.matmul(b.mT) : null,
      needs[1] ? a.mT.matmul(g) : null,
    ],
  }),
} satisfies Record<string, OpDef<never>>;
