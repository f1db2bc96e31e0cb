// Ops that need a kernel of their own: each backend keys an emitter and an eager implementation
// by their names (backend/js/kernels.ts).
import { kernel, type NoParams, type OpDef, promoteAll } from "../op-def";
import { broadcastShapes } from "../shape";

export const kernelOps = {
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
