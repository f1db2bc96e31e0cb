// The JS backend's kernel ops: for each op the op table marks `kind: "kernel"`, the emitter of its
// compiled kernel (with the fused epilogue) and its eager implementation. A kernel op missing here
// is a type error.
import { type KernelOpName, ops, type Params, paramsOf } from "../../ir/ops";
import { scatterReductions } from "../../ir/ops/indexing";
import type { Strided } from "../backend";
import type { LoopKernel } from "../plan";
import { col2im } from "./col2im";
import { concat, emitConcat } from "./concat";
import { copyOut, eagerConv, emitConv } from "./conv";
import { matmul } from "./gemm";
import { rowsInParallel } from "./gemm-split";
import { emitMatmul } from "./matmul";
import { pool } from "./pool";
import { emitRoutineCall } from "./routine";
import { emitScatter, scatter, scatterAdd, scatterReduce } from "./scatter";
import { argsortLines } from "./sort";

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
  matmul(broadcast(a), broadcast(b), out, rowsInParallel);
}

const dimOf = (p: Params) => (p as { dim: number }).dim;

const conv = (op: "conv" | "convTranspose" | "convWeight"): KernelImpl => ({
  emit: (k) => emitConv(k, op),
  eager: (ins, out, p) => eagerConv(op, ins, out, paramsOf({ op, params: p }, op)),
});

type MaxPoolOp = "maxPool" | "maxPoolBackward" | "maxPoolSelect" | "maxPoolIndices";
const maxPool = (op: MaxPoolOp): KernelImpl => ({
  emit: (k) => emitConv(k, op, "pool"),
  eager: (ins, out, p) => copyOut(pool(op, ins, paramsOf({ op, params: p }, op), out.shape), out),
});

// col2im's routine arguments after the operands: kernel, dilation, stride
const col2imArgs = (p: Params) => {
  const { kernel, dilation, stride } = paramsOf({ op: "col2im", params: p }, "col2im");
  return [...kernel, ...dilation, ...stride] as [number, number, number, number, number, number];
};
const sortParams = (p: Params) => paramsOf({ op: "argsort", params: p }, "argsort");
// scatterReduce's routine arguments after the operands: dim, the reduction's id, includeSelf
const reduceArgs = (p: Params) => {
  const { dim, reduce, includeSelf } = paramsOf(
    { op: "scatterReduce", params: p },
    "scatterReduce",
  );
  return [dim, scatterReductions.indexOf(reduce), includeSelf ? 1 : 0] as const;
};

// simplify replaces a custom Function's value by its forward's before any kernel is planned
const replacedBeforeCodegen = (): never => {
  throw new Error("internal: a custom Function's value reached code generation");
};

export const kernelOps: { [K in KernelOpName]: KernelImpl } = {
  custom: { emit: replacedBeforeCodegen, eager: replacedBeforeCodegen },
  argsort: {
    emit: (k) => {
      const { dim, descending } = sortParams(k.kernel!.params);
      return emitRoutineCall(k, "argsortLines", [dim, descending ? 1 : 0], "spread");
    },
    eager: ([x], out, p) => {
      const { dim, descending } = sortParams(p);
      argsortLines(out, x, dim, descending ? 1 : 0);
    },
  },
  cat: {
    emit: (k) => emitConcat(k, dimOf(k.kernel!.params)),
    eager: (pieces, out, p) => concat(out, pieces, dimOf(p)),
  },
  matmul: { emit: emitMatmul, eager: eagerMatmul },
  conv: conv("conv"),
  convTranspose: conv("convTranspose"),
  convWeight: conv("convWeight"),
  maxPool: maxPool("maxPool"),
  maxPoolBackward: maxPool("maxPoolBackward"),
  maxPoolSelect: maxPool("maxPoolSelect"),
  maxPoolIndices: maxPool("maxPoolIndices"),
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
  col2im: {
    emit: (k) => emitRoutineCall(k, "col2im", col2imArgs(k.kernel!.params), "spread"),
    eager: ([x], out, p) => col2im(out, x, ...col2imArgs(p)),
  },
  scatterReduce: {
    emit: (k) => emitRoutineCall(k, "scatterReduce", [...reduceArgs(k.kernel!.params)], "spread"),
    eager: ([base, index, src], out, p) => scatterReduce(out, base, index, src, ...reduceArgs(p)),
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
