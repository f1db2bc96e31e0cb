// The WebAssembly backend's share of the work: costly float32 elementwise chains (chain-kernel.ts),
// float32 GEMMs (matmul, and the convolutions as GEMMs with their im2col/col2im in Wasm: conv,
// convTranspose, convWeight) big enough to pay for packing run on the Wasm SIMD micro-kernel, and
// float32 max pooling and its backward (pool.ts); everything else stays with the JS backend. A
// compiled kernel of one of them is a JS function that calls the Wasm GEMM, then runs the fused
// epilogue (bias, activation, the elementwise chain after it) in JS on each element of the product
// as it stores it. float64 (and int) products stay in JS.

import type { Storage } from "../../ir/dtype";
import { ops, type Params, paramsOf } from "../../ir/ops";
import type { Kernel, Strided } from "../backend";
import { type ConvOp, convolve, emitConv } from "../js/conv";
import { copy } from "../js/eager";
import { js as jsBackend } from "../js/index";
import { instantiate } from "../js/prelude";
import type { LoopKernel } from "../plan";
import { chainKernel } from "./chain-kernel";
import { convChain } from "./conv-chain";
import { copyKernel } from "./conv-copy";
import { tileEpilogue } from "./epilogue";
import { matmulEpilogue, matmulF32, wasmGemm } from "./gemm";
// (importing it sets gemm.ts's hook: large products split across threads)
import "./gemm-split";
import { gemmKernel } from "./microkernel";
import { GEMM, specialized, wat } from "./module";
import { wasmMovement } from "./movement";
import { maxPoolF32 } from "./pool";
import { splitTiles } from "./tile-split";

const TILED = "gemm_f32_4x8_epilogue";

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
const numel = (shape: readonly number[]) => shape.reduce((x, y) => x * y, 1);

// The ops taken, each with its multiply-adds (to decide) and its contiguous float32 result.
type Op = "matmul" | ConvOp | "maxPool" | "maxPoolBackward";
const gemms: Record<Op, { work(ins: Shaped[], out: readonly number[]): number; run: Run }> =
  Object.assign(Object.create(null), {
    matmul: {
      work: (ins: Shaped[], out: readonly number[]) => numel(out) * ins[0].shape.at(-1)!,
      run: product,
    },
    conv: convolution("conv", (ins, out) => numel(out) * numel(ins[1].shape.slice(1))),
    // every input element meets every weight of its group's output channels
    convTranspose: convolution(
      "convTranspose",
      (ins) => numel(ins[0].shape) * numel(ins[1].shape.slice(1)),
    ),
    // [O, C/G, ...K] outputs, each a sum over the gradient's (N, ...OS)
    convWeight: convolution(
      "convWeight",
      (ins, out) => (numel(out) * numel(ins[1].shape)) / ins[1].shape[1],
    ),
    // max pooling: its argmax is branch-free there (pool.ts); work = the windows' taps
    maxPool: pooling("maxPool", (_ins, out) => numel(out)),
    maxPoolBackward: pooling("maxPoolBackward", (ins) => numel(ins[1].shape)),
  });
type Shaped = { shape: readonly number[] };
// bias: a per-output-channel vector the GEMM adds (a conv's, from conv-chain.ts)
type Run = (ins: Strided[], outShape: readonly number[], p: Params, bias?: Strided) => Float32Array;
function convolution(op: ConvOp, work: (ins: Shaped[], out: readonly number[]) => number) {
  const run: Run = (ins, outShape, p, bias) =>
    convolve(
      op,
      ins,
      paramsOf({ op, params: p }, op),
      outShape,
      wasmGemm,
      wasmMovement,
      bias,
    ) as Float32Array;
  return { work, run };
}
function pooling(
  op: "maxPool" | "maxPoolBackward",
  windows: (ins: Shaped[], out: readonly number[]) => number,
) {
  const run: Run = (ins, outShape, p) =>
    maxPoolF32(op, ins, paramsOf({ op, params: p }, op), outShape);
  // (a 2x2 window's four taps per window: close enough to decide)
  return { work: (ins: Shaped[], out: readonly number[]) => windows(ins, out) * 4, run };
}
const taken = (op: string) => (op in gemms ? gemms[op as Op] : undefined);

// Eagerly: true when the Wasm GEMM took the op (the product copied into `out`).
export function wasmKernelOp(op: string, ins: Strided[], out: Strided, p: Params): boolean {
  const g = taken(op);
  if (!g || !ins.every(f32) || !f32(out)) return false;
  if (g.work(ins, out.shape) < wasmSettings.minWork) return false;
  const result = g.run(ins, out.shape, p);
  // the result is contiguous: one block copy into a contiguous output, else strided
  const strides = out.shape.map((_, d) => numel(out.shape.slice(d + 1)));
  if (out.shape.every((n, d) => n === 1 || out.strides[d] === strides[d]))
    (out.storage as Float32Array).set(result, out.offset);
  else copy({ storage: result, shape: out.shape, strides, offset: 0 }, out);
  return true;
}

// what compiled kernels call: wasmGemm(op, operands, params, outShape) -> the contiguous product
const helpers = {
  wasmGemm: (op: Op, ins: Strided[], p: Params, outShape: number[]) =>
    gemms[op].run(ins, outShape, p),
};

// A compiled plan as a Wasm-backed kernel, or undefined when JS renders it better.
// Loop plans without a kernel op: costly elementwise chains (chain-kernel.ts). A 2-D matmul
// whose epilogue the tile code covers (epilogue.ts) runs it in the GEMM's own kernel, when its
// buffers are float32 at the call (the JS epilogue otherwise); a conv whose epilogue is one flat
// loop runs it as a Wasm chain over the product (conv-chain.ts); other kernels call the GEMM and
// run their epilogue in JS on the contiguous product.
export function wasmKernel(plan: LoopKernel): { run: Kernel; source: string } | undefined {
  if (!plan.kernel) return chainKernel(plan, () => jsBackend.kernel(plan).run);
  const call = plan.kernel;
  const g = call && taken(call.op);
  if (!g || call!.dtype !== "float32") return undefined;
  if (
    g.work(
      call!.operands.map((o) => o.view),
      plan.sizes as number[],
    ) < wasmSettings.minWork
  )
    return undefined;
  const tiled = tileEpilogue(plan);
  if (tiled) return withTiles(plan, tiled);
  const js = emitConv(plan, call!.op, "wasmGemm");
  const copied = copyKernel(plan, g.run, () => instantiate<Kernel>(js, plan.name, helpers), js);
  if (copied) return copied;
  const chained = convChain(plan, g.run, () => instantiate<Kernel>(js, plan.name, helpers));
  if (chained) return chained;
  const source = `${js}\n// wasmGemm runs ${GEMM}:\n${wat().replace(/^/gm, "// ")}`;
  return { run: instantiate<Kernel>(js, plan.name, helpers), source };
}

// The kernel as a call of its own GEMM (the epilogue in its tiles), with the JS epilogue kept for
// calls whose buffers are not all float32.
function withTiles(
  plan: LoopKernel,
  { epi, io }: NonNullable<ReturnType<typeof tileEpilogue>>,
): { run: Kernel; source: string } {
  const f = specialized(gemmKernel(TILED, epi));
  const slot = (buf: string) => plan.params.indexOf(buf);
  const [va, vb] = plan.kernel!.operands.map((o) => o.view);
  const [ia, ib] = plan.kernel!.operands.map((o) => slot(o.buf));
  const loads = io.loads.map((l) => ({ ...l, slot: slot(l.buf) })),
    stores = io.stores.map((s) => ({ ...s, slot: slot(s.buf) }));
  const used = [ia, ib, ...loads.map((l) => l.slot), ...stores.map((s) => s.slot)];
  // (a batched plan: [batch, m, n], its operands 3-D or 2-D, broadcast along the batch)
  const [m, k] = va.shape.slice(-2),
    n = vb.shape.at(-1)!,
    batch = plan.sizes.length === 3 ? (plan.sizes[0] as number) : 1;
  const matrix = (storage: Storage, v: typeof va, t: number): Strided => ({
    storage,
    shape: v.shape.slice(-2),
    strides: v.strides.slice(-2),
    offset: v.offset + (v.shape.length === 3 ? t * v.strides[0] : 0),
  });
  const wasmTiles = (...bufs: Storage[]): boolean => {
    if (!used.every((i) => bufs[i] instanceof Float32Array)) return false;
    const io = <T extends { slot: number }>(x: T) => ({ ...x, data: bufs[x.slot] as Float32Array });
    // big enough, with its buffers in shared memory: every thread runs tiles (tile-split.ts)
    const [a0, b0] = [matrix(bufs[ia], va, 0), matrix(bufs[ib], vb, 0)];
    if (batch === 1 && splitTiles(TILED, f.module, a0, b0, m, n, k, loads.map(io), stores.map(io)))
      return true;
    for (let t = 0; t < batch; t++) {
      const spans = loads.map((l) => {
        const from = l.offset + t * l.bs;
        return {
          data: (bufs[l.slot] as Float32Array).subarray(from, from + l.span),
          slack: l.slack,
        };
      });
      const [a, b] = t ? [matrix(bufs[ia], va, t), matrix(bufs[ib], vb, t)] : [a0, b0];
      const { H, at } = matmulEpilogue(f.run, a, b, m, n, k, spans, stores.length);
      stores.forEach((s, i) => {
        const out = bufs[s.slot] as Float32Array,
          o = s.offset + t * s.bs;
        if (s.cs === 1 && s.rs === n) out.set(H.subarray(at[i], at[i] + m * n), o);
        else
          for (let r = 0; r < m; r++)
            for (let c = 0; c < n; c++) out[o + r * s.rs + c * s.cs] = H[at[i] + r * n + c];
      });
    }
    return true;
  };
  const fallback = `${plan.name}_js`;
  const args = plan.params.join(", ");
  const js = [
    ...plan.comments.map((c) => `// ${c}`),
    `function ${plan.name}(${args}) {`,
    `  if (wasmTiles(${args})) return;`,
    `  ${fallback}(${args});`,
    "}",
    emitConv({ ...plan, name: fallback, comments: [] }, "matmul", "wasmGemm"),
  ].join("\n");
  const source = `${js}\n// wasmTiles runs ${TILED}:\n${f.text.replace(/^/gm, "// ")}`;
  return {
    run: instantiate<Kernel>(js, plan.name, { ...helpers, wasmTiles }),
    source,
  };
}
