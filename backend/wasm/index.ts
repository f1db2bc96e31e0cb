// The WebAssembly backend's share of the work: float32 GEMMs (matmul) big enough to pay for
// packing run on the Wasm SIMD micro-kernel; everything else stays with the JS backend. A compiled
// matmul kernel is a JS function that calls the Wasm GEMM, then runs the fused epilogue (bias,
// activation, the elementwise chain after it) in JS on each element of the product as it stores
// it. float64 (and int) matmuls stay in JS.
import { ops } from "../../ir/ops";
import type { Kernel, Strided } from "../backend";
import { emitConv } from "../js/conv";
import { copy } from "../js/eager";
import { instantiate } from "../js/prelude";
import type { LoopKernel } from "../plan";
import { matmulF32 } from "./gemm";
import { GEMM, wat } from "./module";

// below `minWork` multiply-adds the JS loop is as fast (packing and the call dominate); tests
// lower it to send tiny products through Wasm too
export const wasmSettings = { minWork: 4096 };

const f32 = (x: Strided) => x.storage instanceof Float32Array;

// the batch dims broadcast into an operand's strides (stride 0)
function broadcast(x: Strided, batch: readonly number[]): Strided {
  const v = ops.expand.view(
    { shape: [...x.shape], strides: [...x.strides], offset: x.offset },
    { shape: [...batch, ...x.shape.slice(-2)] },
  )!;
  return { storage: x.storage, ...v };
}
function product([a, b]: Strided[], outShape: readonly number[]): Float32Array {
  const batch = outShape.slice(0, -2);
  return matmulF32(broadcast(a, batch), broadcast(b, batch), outShape);
}
const work = (outShape: readonly number[], k: number) => outShape.reduce((x, y) => x * y, 1) * k;

// Eagerly: true when the Wasm GEMM took the op (the product copied into `out`).
export function wasmKernelOp(op: string, ins: Strided[], out: Strided): boolean {
  if (op !== "matmul" || !ins.every(f32) || !f32(out)) return false;
  if (work(out.shape, ins[0].shape.at(-1)!) < wasmSettings.minWork) return false;
  const result = product(ins, out.shape);
  const strides = out.shape.map((_, d) => out.shape.slice(d + 1).reduce((x, y) => x * y, 1));
  copy({ storage: result, shape: out.shape, strides, offset: 0 }, out);
  return true;
}

// helpers compiled kernels call: wasmGemm(op, operands, params, outShape) -> the contiguous product
const helpers = {
  wasmGemm: (_op: string, ins: Strided[], _p: unknown, outShape: number[]) =>
    product(ins, outShape),
};

// A compiled plan as a Wasm-backed kernel, or undefined when JS renders it better.
export function wasmKernel(plan: LoopKernel): { run: Kernel; source: string } | undefined {
  const call = plan.kernel;
  if (call?.op !== "matmul" || call.dtype !== "float32") return undefined;
  if (work(plan.sizes as number[], call.operands[0].view.shape.at(-1)!) < wasmSettings.minWork)
    return undefined;
  const js = emitConv(plan, "matmul", "wasmGemm");
  const source = `${js}\n// wasmGemm runs ${GEMM}:\n${wat().replace(/^/gm, "// ")}`;
  return { run: instantiate<Kernel>(js, plan.name, helpers), source };
}
