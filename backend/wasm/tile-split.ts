// A compiled matmul with its epilogue in the GEMM's tiles (epilogue.ts), split across threads by
// row panels as gemm-split.ts splits a bare product: each thread has its own instance of the
// packer and of the kernel's tiled function over its own memory, packs all of b once per call,
// then for each chunk of rows it claims packs those rows of a, copies in the rows of each value
// the epilogue loads, runs the tiled GEMM over k in blocks of KC as gemm.ts does, and copies its
// rows of each result straight into the kernel's output. So the product never goes through a
// shared buffer and the epilogue never runs on the calling thread alone (without this, a split
// product ran its epilogue there, in JS: the W4 weight gradient's 200704-float copy was the
// largest serial piece of the step at 2 threads). Every result element is the same sums in the
// same order and the same epilogue code whoever computes it (chunks start on whole MR-row
// panels), so the bits equal the unsplit kernel's for any thread count.
import type { Strided } from "../backend";
import { codegenAllowed, instantiate } from "../js/prelude";
import {
  getNumThreads,
  type RangeArg,
  type RangeTask,
  runRanges,
  type WasmModule,
} from "../threads/pool";
import type { TaskAccess } from "../threads/staging";
import { KC } from "./gemm";
import { threadMemory, wasmRowEdges } from "./gemm-split";
import { MR, NR } from "./microkernel";
import { gemmModule, PACK } from "./module";

// What the epilogue reads (element (i, j) at offset + i * rs + j * cs of `data`, and up to
// `slack` floats past the span at a ragged edge) and writes (an [m, n] result into data, at its
// strides).
export interface TileLoad {
  data: Float32Array;
  offset: number;
  rs: number;
  cs: number;
  slack: number;
}
export interface TileStore {
  data: Float32Array;
  offset: number;
  rs: number;
  cs: number;
}

// Rows [lo, hi) on this thread (source text: workers build it with the helper `pack` and the
// bound modules `gmod` (the packer's) and `tmod` (the tiled function's) in scope).
// io: per load (data, offset, rs, cs, slack), then per store (out, offset, rs, cs).
const source = (name: string) => `let state = null;
function wasmTileRows(chunk, lo, hi, a, aOff, ars, acs, b, bOff, brs, bcs, n, k, call, loads, stores, ...io) {
  const MR = ${MR}, NR = ${NR}, KC = ${KC};
  const up4 = (x) => Math.ceil(x / 4) * 4;
  const rows = hi - lo, np = Math.ceil(n / NR) * NR, mp = Math.ceil(rows / MR) * MR;
  // memory, in floats: a ragged-edge tile per result and the product, B's panels, A's panels,
  // the rows' product, the rows' results, the rows of the loads, staging
  const Bat = (1 + stores) * MR * NR, Aat = Bat + up4(np * k), Cat = Aat + up4(mp * k);
  let at = Cat + up4(rows * n);
  const storeAt = [], loadAt = [], spans = [];
  for (let s = 0; s < stores; s++) storeAt.push(at), (at += up4(rows * n));
  for (let l = 0; l < loads; l++) {
    const rs = io[5 * l + 2], cs = io[5 * l + 3], slack = io[5 * l + 4];
    spans.push((rows - 1) * rs + (n - 1) * cs + 1);
    loadAt.push(at);
    at += up4(spans[l] + slack);
  }
  const Sat = at;
  if (state === null) {
    const memory = new WebAssembly.Memory({ initial: 16 });
    const env = { env: { memory } };
    state = {
      memory,
      pack: new WebAssembly.Instance(gmod, env).exports.${PACK},
      tiled: new WebAssembly.Instance(tmod, env).exports.${name},
      call: -1,
    };
  }
  const t = state, packer = t.pack;
  ${threadMemory}
  if (t.call !== call) {
    packInto(b, bOff, brs, bcs, n, NR, Bat);
    t.call = call;
  }
  packInto(a, aOff + lo * ars, ars, acs, rows, MR, Aat);
  for (let l = 0; l < loads; l++) {
    const data = io[5 * l], from = io[5 * l + 1] + lo * io[5 * l + 2];
    H.set(data.subarray(from, from + spans[l]), loadAt[l]);
  }
  const regions = [...loadAt, ...storeAt].map((x) => 4 * x);
  for (let p = 0; p < k; p += KC) {
    const kc = Math.min(KC, k - p), last = p + kc >= k ? 1 : 0;
    t.tiled(4 * (Aat + p * MR), 4 * (Bat + p * NR), 4 * Cat, 0, rows, n, kc, n, p > 0 ? 1 : 0, 4 * k, 4 * MR, 4 * k, 4 * NR, last, ...regions);
  }
  for (let s = 0; s < stores; s++) {
    const q = 5 * loads + 4 * s;
    const out = io[q], off = io[q + 1] + lo * io[q + 2], rs = io[q + 2], cs = io[q + 3], r0 = storeAt[s];
    if (cs === 1 && rs === n) out.set(H.subarray(r0, r0 + rows * n), off);
    else
      for (let r = 0; r < rows; r++)
        for (let c = 0; c < n; c++) out[off + r * rs + c * cs] = H[r0 + r * n + c];
  }
}`;

// calls split here (the tests check that this path ran)
export const tileSplitStats = { calls: 0 };

// one task per tiled module (its threads' instances live in the task's closure)
const tasks = new Map<WasmModule, RangeTask>();
let made = 0,
  calls = 0;
function taskFor(name: string, module: WasmModule): RangeTask {
  let t = tasks.get(module);
  if (!t) {
    const text = source(name),
      bound = { gmod: gemmModule(), tmod: module };
    t = {
      key: `wasmTileRows#${++made}`,
      name: "wasmTileRows",
      source: text,
      run: instantiate(text, "wasmTileRows", bound),
      bound,
      access: tileWrites,
    };
    tasks.set(module, t);
  }
  return t;
}

// A result in shared memory is written by the workers themselves; one outside it by the
// calling thread, and through a staging copy by the workers (threads/staging.ts), which follows
// only rows written whole: cs = 1, rs = n. Everything else is read only, and copied in.
const shared = (x: Float32Array) => x.buffer instanceof SharedArrayBuffer;
const ARGS = 13; // the arguments before the loads' and stores' (see the source)
function tileWrites(args: RangeArg[]): TaskAccess {
  const [n, loads, stores] = [args[8], args[11], args[12]] as number[];
  const writes: TaskAccess["writes"] = [];
  for (let j = 0; j < stores; j++) {
    const q = ARGS + 5 * loads + 4 * j;
    const [offset, rs, cs] = args.slice(q + 1, q + 4) as number[];
    if (cs === 1 && rs === n)
      writes.push({ arg: q, read: false, range: (lo, hi) => [offset + lo * n, offset + hi * n] });
  }
  return { writes };
}

// Runs the kernel split across threads and returns true, or returns false (nothing done) where it
// stays on the calling thread: one thread asked for, a product too small to split (gemm-split's
// cost model), k = 0, or a large buffer outside shared memory. `name`: the tiled function's
// export in `module` (a compiled module of it alone, instantiated by each thread).
export function splitTiles(
  name: string,
  module: WasmModule,
  a: Strided,
  b: Strided,
  m: number,
  n: number,
  k: number,
  loads: TileLoad[],
  stores: TileStore[],
): boolean {
  if (getNumThreads() < 2 || k === 0 || !codegenAllowed()) return false;
  const edges = wasmRowEdges(m, n, k);
  const as = a.storage as Float32Array,
    bs = b.storage as Float32Array;
  const rows = (s: TileStore) => s.cs === 1 && s.rs === n;
  if (!edges || !stores.every((s) => shared(s.data) || rows(s))) return false;
  const io = [
    ...loads.flatMap((l) => [l.data, l.offset, l.rs, l.cs, l.slack]),
    ...stores.flatMap((s) => [s.data, s.offset, s.rs, s.cs]),
  ];
  tileSplitStats.calls++;
  runRanges(
    taskFor(name, module),
    [
      as,
      a.offset,
      a.strides[0],
      a.strides[1],
      bs,
      b.offset,
      b.strides[1],
      b.strides[0],
      n,
      k,
      ++calls,
      loads.length,
      stores.length,
      ...io,
    ],
    edges,
  );
  return true;
}
