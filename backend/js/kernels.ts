// The JS backend's kernel ops: for each op the op table marks `kind: "kernel"`, the emitter of its
// compiled kernel (with the fused epilogue) and its eager implementation. A kernel op missing here
// is a type error.
import { type KernelOpName, ops, type Params, paramsOf } from "../../ir/ops";
import type { Strided } from "../backend";
import type { LoopKernel } from "../plan";
import { concat, emitConcat } from "./concat";
import { matmul } from "./gemm";
import { emitMatmul } from "./matmul";
import { emitScatter, scatter, scatterAdd } from "./scatter";

interface KernelImpl {
  emit: (k: LoopKernel) => string;
  eager: (ins: Strided[], out: Strided, p: Params) => void;
}

// batch dims broadcast into the operands' strides (stride 0), then the packed GEMM
function eagerMatmul([a, b]: Strided[], out: Strided): void {
  const batch = out.shape.slice(0, -2);
  const broadcast = (x: Strided): Strided => ({
    ...x,
    ...ops.expand.view(
      { shape: [...x.shape], strides: [...x.strides], offset: x.offset },
      { shape: [...batch, ...x.shape.slice(-2)] },
    )!,
  });
  matmul(broadcast(a), broadcast(b), out);
}

const dimOf = (p: Params) => (p as { dim: number }).dim;

export const kernelOps: { [K in KernelOpName]: KernelImpl } = {
  cat: {
    emit: (k) => emitConcat(k, dimOf(k.kernel!.params)),
    eager: (pieces, out, p) => concat(out, pieces, dimOf(p)),
  },
  matmul: { emit: emitMatmul, eager: eagerMatmul },
  scatterAdd: {
    emit: (k) =>
      emitScatter(
        k,
        paramsOf({ op: "scatterAdd", params: k.kernel!.params }, "scatterAdd").dim,
        "scatterAdd",
      ),
    eager: ([base, index, src], out, p) =>
      scatterAdd(
        out,
        base,
        index,
        src,
        paramsOf({ op: "scatterAdd", params: p }, "scatterAdd").dim,
      ),
  },
  scatter: {
    emit: (k) =>
      emitScatter(
        k,
        paramsOf({ op: "scatter", params: k.kernel!.params }, "scatter").dim,
        "scatter",
      ),
    eager: ([base, index, src], out, p) =>
      scatter(out, base, index, src, paramsOf({ op: "scatter", params: p }, "scatter").dim),
  },
};
