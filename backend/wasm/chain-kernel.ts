// Elementwise chains as Wasm SIMD kernels: the cost rule that picks them, and the kernel that
// streams the operands through Wasm memory chunk by chunk (chain.ts renders the function; with
// more than one thread, large ones are split across threads by chain-split.ts).
//
// The cost rule, per point, in units of ~1 ns:
//   JS   = 1 + cheap + 12 costly        (a JS loop's iteration, its loads, conversions and store,
//                                        cost ~1 ns before any arithmetic; a transcendental runs
//                                        10-20 ns in JS: the op table's note)
//   Wasm = (cheap + 30 costly) / 4 + 1/4 per operand streamed in or out
// (f32x4 does four points per instruction; a vector exp/log/tanh/erf is ~30 instructions; a chunk
// copy is a memcpy, ~4-8 floats per ns). The chain runs in Wasm when
// points * (JS - Wasm) - 300 rows >= 4096 (a call per row and chunk; the fixed cost ~2-4 µs).
// Tests may force it. Measured on this 2-core KVM guest (ns per point, JS kernel vs Wasm kernel
// with its copies, 1 thread): a*2 1.8 vs 0.5-0.9, a-b*s (the SGD update) 2.6-3.0 vs 0.6-1.0,
// a*b+c 3.2 vs 0.8-1.1, relu(a)*b 2.6-8.3 vs 0.7-1.1, sum((a-b)^2) 1.2 vs 0.4, at 3e4-1e6 points
// (at 4096: 2.8-3.5 vs 1.0); and, at N = 1.3e5 under load, exp 31 vs 1.4, log 20 vs 2.1,
// tanh 8.1 vs 1.7, erf 42 vs 4.5, sigmoid 26 vs 3.3. (Before, chains of arithmetic alone stayed in
// JS, on the guess that the copies would cost what the loop does: they cost a tenth of it.)
import type { Storage } from "../../ir/dtype";
import type { Kernel } from "../backend";
import { copyFloats } from "../js/copy";
import { codegenAllowed } from "../js/prelude";
import type { LoopKernel } from "../plan";
import { listing } from "./assembler";
import { CHUNK, type ChainLayout, chainFunction, chainLayout, opCounts } from "./chain";
import { chainSplit } from "./chain-split";
import { compileModule, load, loadModule, type Memory } from "./module";

const ROW = 300; // a Wasm call and the row's copies set up, per row (~0.3 µs)
// rule: "cost" (the rule above), or "always" / "never" (tests)
export const chainSettings = { rule: "cost" as "cost" | "always" | "never", minSaving: 4096 };

export function worthIt(k: LoopKernel, layout: ChainLayout): boolean {
  if (chainSettings.rule !== "cost") return chainSettings.rule === "always";
  const { costly, cheap } = opCounts(k);
  const points = layout.rows * layout.size,
    moved = layout.streams.reduce((n, s) => n + +s.load + +s.store, 0);
  const js = 1 + cheap + 12 * costly,
    wasm = (cheap + 30 * costly) / 4 + moved / 4;
  return points * (js - wasm) - layout.rows * ROW >= chainSettings.minSaving;
}
// the Wasm kernel's cost per point in the units chain-split.ts's cost model was measured in (a
// stream counted 1, as the rule once did)
function wasmCost(k: LoopKernel, layout: ChainLayout): number {
  const { costly, cheap } = opCounts(k);
  const moved = layout.streams.reduce((n, s) => n + +s.load + +s.store, 0);
  return (cheap + 30 * costly) / 4 + moved;
}

// for copies between shared memory and Wasm memory at different alignments (js/copy.ts)
const scratch = new Float32Array(CHUNK + 1);
// One memory for every chain kernel (they run one at a time, each copying its operands in).
let memory: Memory | undefined;
let f32: Float32Array | undefined, f64: Float64Array | undefined;
function views(floats: number): { f32: Float32Array; f64: Float64Array } {
  memory ??= load([], 1).memory;
  const need = Math.ceil((floats * 4) / 65536) - memory.buffer.byteLength / 65536;
  if (need > 0) memory.grow(need);
  if (f32?.buffer !== memory.buffer) {
    f32 = new Float32Array(memory.buffer);
    f64 = new Float64Array(memory.buffer);
  }
  return { f32, f64: f64! };
}

// The plan as a Wasm kernel, or undefined where the emitter cannot render it or the rule says JS.
// `fallback` runs a call whose operands are not all float32 arrays; `always` skips the cost rule
// (a caller that has its own reason: conv-chain.ts); `splittable` false: never split across
// threads (no task for the workers to keep: pointwise.ts, for layouts seen once).
export function chainKernel(
  plan: LoopKernel,
  fallback: () => Kernel,
  always = false,
  splittable = true,
): { run: Kernel; source: string } | undefined {
  const layout = chainLayout(plan);
  if (!layout || !(always || worthIt(plan, layout))) return undefined;
  const spec = chainFunction(plan, layout);
  if (!memory) views(layout.floats);
  let fn: (n: number, last: number) => void, module: object;
  try {
    module = compileModule([spec]);
    fn = loadModule(module, 1, memory).exports[plan.name] as typeof fn;
  } catch {
    // a browser's main thread may refuse to compile a module over 4 KB synchronously: JS renders it
    return undefined;
  }
  const { rows, size, streams, scalarsIn, scalarsOut, sums } = layout;
  const ins = streams.filter((s) => s.load),
    outs = streams.filter((s) => s.store);
  let js: Kernel | undefined;
  // split across threads (chain-split.ts): the sums' totals land in this memory's slots, and a
  // call over 0 points runs the row's outer phase
  const finish = (bufs: Storage[], r: number, totals: number[]) => {
    const m = views(layout.floats);
    for (const s of scalarsIn) m.f32[s.slot] = bufs[s.param][s.offset + r * s.rowStride];
    sums.forEach((at, q) => {
      m.f64[at] = totals[q];
    });
    fn(0, 1);
    for (const s of scalarsOut) bufs[s.param][s.offset + r * s.rowStride] = m.f32[s.slot];
  };
  const split =
    splittable && typeof SharedArrayBuffer === "function" && codegenAllowed()
      ? chainSplit(plan.name, layout, module, wasmCost(plan, layout), plan.reduced ? finish : null)
      : null;
  const run: Kernel = (...bufs: Storage[]) => {
    if (!bufs.every((b) => b instanceof Float32Array)) {
      js ??= fallback();
      js(...bufs);
      return;
    }
    if (split?.run(bufs as Float32Array[])) return;
    const m = views(layout.floats);
    for (let r = 0; r < rows; r++) {
      for (const s of scalarsIn) m.f32[s.slot] = bufs[s.param][s.offset + r * s.rowStride];
      for (const at of sums) m.f64[at] = 0;
      let lo = 0;
      do {
        const n = Math.min(CHUNK, size - lo);
        for (const s of ins) {
          const at = s.offset + r * s.rowStride + lo;
          copyFloats(m.f32, s.slot, (bufs[s.param] as Float32Array).subarray(at, at + n), scratch);
        }
        fn(n, lo + n >= size ? 1 : 0);
        for (const s of outs)
          copyFloats(
            bufs[s.param] as Float32Array,
            s.offset + r * s.rowStride + lo,
            m.f32.subarray(s.slot, s.slot + n),
            scratch,
          );
        lo += n;
      } while (lo < size);
      for (const s of scalarsOut) bufs[s.param][s.offset + r * s.rowStride] = m.f32[s.slot];
    }
  };
  const moves = [
    ...ins.map((s) => `${plan.params[s.param]} in`),
    ...outs.map((s) => `${plan.params[s.param]} out`),
  ].join(", ");
  const source = [
    `// ${plan.name}: a Wasm SIMD kernel (f32x4, float32 lanes; sums in float64), called as`,
    `// ${plan.name}(n, last) on chunks of ${CHUNK} points${rows > 1 ? ` of each of ${rows} rows` : ""} copied through Wasm memory (${moves})`,
    ...(split ? [`// ${split.note}`] : []),
    ...plan.comments.map((c) => `// ${c}`),
    listing([spec]),
  ].join("\n");
  return { run, source };
}
