// The kernel helpers a worker has, under the names generated kernels call them by (this table's
// keys, which are ours, never a function's own name, which a bundler may rename). Each is a
// self-contained function: its text refers to nothing but its parameters and JS globals (no module
// state, no other helper, no constant of its module), so a worker rebuilds the very same function
// from `fn.toString()`. State a helper needs (the GEMM's packing scratch) is a value made on each
// thread by a self-contained maker and passed to the helper as an argument. A kernel that calls
// any other helper runs on the calling thread only (parallel.ts checks its source). The tests
// rebuild every helper from this text in an empty scope and compare it with the original, and run
// a parallel kernel through the built bundle (test/package).
import { copyFloats } from "../js/copy";
import { newScratch, panels, tiles } from "../js/gemm";
import { roundEven } from "../js/round";
import { tanhf } from "../js/tanhf";
import { pack } from "../pack";

// biome-ignore lint/complexity/noBannedTypes: functions of any signature, shipped as text
const functions: Record<string, Function> = { tanhf, roundEven, pack, panels, tiles, copyFloats };
// per-thread values: name -> a self-contained function that makes a fresh one
// (wasmThread: this thread's instance of the Wasm GEMM module and what it holds, wasm/gemm-split.ts)
const values: Record<string, () => unknown> = { gemmScratch: newScratch, wasmThread: () => ({}) };

export const portableHelpers = new Set([...Object.keys(functions), ...Object.keys(values)]);
// names: what kernels call them; source: a function body returning them in that order
export const helperSource = () => ({
  names: [...Object.keys(functions), ...Object.keys(values)],
  source: `return [\n${[
    ...Object.values(functions).map((f) => `(${f.toString()})`),
    ...Object.values(values).map((f) => `(${f.toString()})()`),
  ].join(",\n")}\n];`,
});
// the helpers made from that text, as a worker makes them (in a scope that sees only globals)
export const rebuildHelpers = (h: ReturnType<typeof helperSource>): unknown[] =>
  new Function(h.source)();
