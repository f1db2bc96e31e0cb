// Wasm chain kernels split across threads. The unsplit kernel (chain-kernel.ts) walks each row in
// Wasm chunks of CHUNK points, and a sum adds each chunk's float64 total to a running float64 slot
// in chunk order. Split, the work items are those same chunks (row by row): every thread has its
// own instance of the kernel's compiled module over its own memory (made at its first call, kept
// per kernel), claims runs of items, copies each item's operands in, runs the function on it with
// the sum slots zeroed and copies the results out into shared storage; a sum's chunk total goes to
// a fixed slot of a shared array. The caller then adds the totals in chunk order, from 0, as the
// running slot does (0 + s is s; a total is never -0), and runs the outer phase (mean's scale, the
// stores after the sum) on its own instance with a call over 0 points: the same bits as the
// unsplit kernel for any thread count.
import { CHUNK_WORK, WORK_UNIT_NS } from "../js/parallel";
import { instantiate } from "../js/prelude";
import {
  getNumThreads,
  type RangeArg,
  type RangeTask,
  runRanges,
  type WasmModule,
} from "../threads/pool";
import type { ChainLayout } from "./chain";
import { CHUNK } from "./chain";

// The cost model, with the dispatch cost and the chunk size of the loop kernels (js/parallel.ts,
// measured by `npm run bench:dispatch`): a point of a chain costs NS_PER_UNIT ns per unit of its
// Wasm cost in the chain rule (chain-kernel.ts), whose units overstate the SIMD kernel: measured
// with the copies, per element, a tanh chain 1.5-1.6 ns at 5e4-1e6 points for 9 units (0.17 ns a
// unit; load average 2-9), and from the rule's note exp 1.4, erf 4.5, sigmoid 3.3 ns for 9.5-10.3
// units (0.15-0.47). Measured on that tanh chain's sum (1 -> 2 threads, load average 2-4): at
// 5e4 points (75 us) the caller's CPU rose (0.08 -> 0.09-0.10 ms) and the median call slowed
// (0.075 -> 0.09 ms); at 1e5 (150 us) about even (median 0.15 -> 0.16, minimum 0.15 -> 0.10); at
// 2e5 (290 us) a gain (median 0.29 -> 0.25, minimum 0.29 -> 0.18). So a chain goes parallel from
// MIN_NS of estimated work (~1e5 points of that chain), above the loop kernels' ~90 us, in runs of
// whole chunks of about their ~15 us (a chunk of CHUNK points is ~10-40 us: one a run; short rows
// go several to a run).
const NS_PER_UNIT = 0.2;
const MIN_NS = 175_000,
  RUN_NS = CHUNK_WORK * WORK_UNIT_NS;

// run: see chainSplit; note: the split, said in the kernel's listing
export type ChainRun = { run: (bufs: Float32Array[]) => boolean; note: string };

let made = 0;
// The split form of a chain kernel over `layout` (units: a point's Wasm cost in the rule's
// units), or null when it is too small or has a single chunk. Its run does the call split and
// returns true, or returns false (nothing done) where the call stays on the calling thread: one
// thread asked for, or a large operand outside shared memory. `finish(bufs, row, totals)` runs the
// outer phase of a row (a plan with reduced dims: null without) on the caller's instance, given
// the row's totals of the sums.
export function chainSplit(
  name: string,
  layout: ChainLayout,
  module: WasmModule,
  units: number,
  finish: ((bufs: Float32Array[], row: number, totals: number[]) => void) | null,
): ChainRun | null {
  const { rows, size, sums } = layout;
  const perPointNs = units * NS_PER_UNIT;
  const perRow = Math.ceil(size / CHUNK),
    items = rows * perRow;
  if (rows * size * perPointNs < MIN_NS || items < 2) return null;
  const itemNs = Math.min(CHUNK, size) * perPointNs;
  const run = Math.max(1, Math.round(RUN_NS / itemNs));
  const edges: number[] = [];
  for (let i = 0; i < items; i += run) edges.push(i);
  edges.push(items);
  if (edges.length < 3) return null;
  const task = { ...chainTask(name, layout, module), access: () => ({ writes: staged(writes) }) };
  const parts =
    sums.length > 0 ? new Float64Array(new SharedArrayBuffer(8 * items * sums.length)) : null;
  const totals = sums.map(() => 0);
  const note = `with 2+ threads: split into ${edges.length - 1} runs of ${run} chunk${run > 1 ? "s" : ""} (chain-split.ts)`;
  const writes = chainWrites(layout);
  const split = (bufs: Float32Array[]) => {
    // a result written in a way staging cannot follow must be shared memory itself
    if (getNumThreads() < 2 || !writes.every((w) => w.dense || isShared(bufs[w.param])))
      return false;
    runRanges(task, [parts ?? 0, ...bufs], edges);
    if (!finish) return true;
    for (let r = 0; r < rows; r++) {
      for (let q = 0; q < sums.length; q++) {
        let t = 0;
        for (let c = r * perRow; c < (r + 1) * perRow; c++) t += parts![c * sums.length + q];
        totals[q] = t;
      }
      finish(bufs, r, totals);
    }
    return true;
  };
  return { run: split, note };
}

// The task over runs of items: run(chunk, lo, hi, sums' slots (or 0), ...the kernel's args), with
// the kernel's module bound as `mod`.
export function chainTask(name: string, layout: ChainLayout, mod: WasmModule): RangeTask {
  const fn = `${name}_split`;
  const source = splitSource(fn, name, layout);
  const bound = { mod };
  return { key: `${fn}#${++made}`, name: fn, source, run: instantiate(source, fn, bound), bound };
}

// The results the split task writes (threads/staging.ts): items [lo, hi) of a stream write
// elements offset + (its rows' points from item lo's to item hi's), densely when the rows are
// contiguous (or there is one) and no other stream writes the buffer. Arguments: the sums' slots,
// then the kernel's (param + 1).
interface ChainWrite {
  param: number;
  dense: boolean;
  read: boolean;
  range: (lo: number, hi: number) => [number, number];
}
function chainWrites({ rows, size, streams }: ChainLayout): ChainWrite[] {
  const perRow = Math.ceil(size / CHUNK);
  const point = (item: number) =>
    item >= rows * perRow
      ? rows * size
      : Math.floor(item / perRow) * size + (item % perRow) * CHUNK;
  const outs = streams.filter((s) => s.store);
  return outs.map((s) => ({
    param: s.param,
    dense:
      (rows === 1 || s.rowStride === size) && outs.filter((o) => o.param === s.param).length === 1,
    read: streams.some((o) => o.load && o.param === s.param),
    range: (lo, hi) => [s.offset + point(lo), s.offset + point(hi)],
  }));
}
const staged = (writes: ChainWrite[]) =>
  writes.filter((w) => w.dense).map((w) => ({ ...w, arg: w.param + 1 }));
const isShared = (x: RangeArg) => ArrayBuffer.isView(x) && x.buffer instanceof SharedArrayBuffer;

// The per-thread function, as source (workers build it): items [lo, hi) on this thread's instance.
// Generated text: the layout's numbers only.
function splitSource(fn: string, name: string, layout: ChainLayout): string {
  const { size, streams, scalarsIn, sums, floats } = layout;
  const pages = Math.max(1, Math.ceil((floats * 4) / 65536));
  const quad = (s: { param: number; offset: number; rowStride: number; slot: number }) =>
    `[${s.param}, ${s.offset}, ${s.rowStride}, ${s.slot}]`;
  const list = (xs: { param: number; offset: number; rowStride: number; slot: number }[]) =>
    `[${xs.map(quad).join(", ")}]`;
  return `let state = null;
function ${fn}(chunk, lo, hi, parts, ...bufs) {
  const CHUNK = ${CHUNK}, size = ${size}, perRow = ${Math.ceil(size / CHUNK)};
  const ins = ${list(streams.filter((s) => s.load))};
  const outs = ${list(streams.filter((s) => s.store))};
  const scalars = ${list(scalarsIn)};
  const sums = [${sums.join(", ")}];
  if (state === null) {
    const memory = new WebAssembly.Memory({ initial: ${pages} });
    const exports = new WebAssembly.Instance(mod, { env: { memory } }).exports;
    state = { f: exports.${name}, f32: new Float32Array(memory.buffer), f64: new Float64Array(memory.buffer), scratch: new Float32Array(CHUNK + 1) };
  }
  const { f, f32, f64, scratch } = state;
  for (let item = lo; item < hi; item++) {
    const r = Math.floor(item / perRow), at = (item - r * perRow) * CHUNK;
    const n = Math.min(CHUNK, size - at);
    for (const [p, o, rs, slot] of scalars) f32[slot] = bufs[p][o + r * rs];
    for (const s of sums) f64[s] = 0;
    for (const [p, o, rs, slot] of ins) {
      const from = o + r * rs + at;
      copyFloats(f32, slot, bufs[p].subarray(from, from + n), scratch);
    }
    f(n, 0);
    for (const [p, o, rs, slot] of outs) copyFloats(bufs[p], o + r * rs + at, f32.subarray(slot, slot + n), scratch);
    for (let q = 0; q < sums.length; q++) parts[item * sums.length + q] = f64[sums[q]];
  }
}`;
}
