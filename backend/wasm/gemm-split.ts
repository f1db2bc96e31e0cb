// The Wasm GEMM split across threads by row panels (2-D float32 products: eager and compiled
// matmul, the compiled epilogue then running on the caller over the product). Each thread has its
// own instance of the same compiled module over its own memory (workers are sent the module),
// packs all of b once per call into it, then for each chunk of rows of a it claims: packs those
// rows, runs the micro-kernel over k in blocks of KC exactly as gemm.ts does, and copies its rows
// of the product into a shared buffer. Every product element is the same sum in the same order
// whoever computes it (chunks start on whole MR-row panels), so results are the same bits as the
// unsplit GEMM for any thread count.
import type { Strided } from "../backend";
import { codegenAllowed, instantiate } from "../js/prelude";
import { getNumThreads, type RangeTask, runRanges } from "../threads/pool";
import { gemmHooks, KC } from "./gemm";
import { MR, NR } from "./microkernel";
import { GEMM, gemmModule, PACK } from "./module";

// Cost model (the dispatch cost is in backend/js/parallel.ts, both measured by `npm run
// bench:dispatch`): the Wasm micro-kernel does about WASM_MACS_PER_NS multiply-adds per ns on one
// thread here (128x784 @ 784x256: 19.9). A product is split from SPLIT_MIN_MACS (~200 us of work,
// like the loop kernels' threshold past a break-even of ~30 us) into about CHUNKS chunks of whole
// panels, and only with SPLIT_MIN_ROWS rows or more: every extra thread packs all of b again
// (n * k moves), which next to its share of the m * n * k multiply-adds is small only for
// enough rows.
export const WASM_MACS_PER_NS = 20;
export const SPLIT_MIN_MACS = 1 << 22;
const SPLIT_MIN_ROWS = 32;
const CHUNKS = 16;

// Source text shared by the split GEMMs' per-thread functions: grows the thread's memory (t.memory)
// for Sat floats and the staging area after them, views it as H, and defines packInto, as gemm.ts
// packInto: the span copied in and packed in Wasm (packer: the module's PACK export), or element
// by element from JS. Needs rows, n, k, Sat, t, packer and the helper pack in scope.
export const threadMemory = `const need = Math.ceil(((Sat + 2 * Math.max(rows, n) * k + 64) * 4) / 65536) - t.memory.buffer.byteLength / 65536;
  if (need > 0) t.memory.grow(need);
  const H = new Float32Array(t.memory.buffer);
  const packInto = (x, off, rs, cs, count, w, at) => {
    const last = off + (count - 1) * rs + (k - 1) * cs;
    if (rs < 0 || cs < 0 || last - off > 2 * count * k + 64) {
      pack(x, off, rs, cs, count, k, w, H, at);
      return;
    }
    H.set(x.subarray(off, last + 1), Sat);
    packer(4 * Sat, rs, cs, count, k, w, 4 * at, Math.abs(cs) <= Math.abs(rs) ? 1 : 0);
  };`;

// Rows [lo, hi) of the product on this thread's instance (source text: workers build it with the
// helpers `pack` and `wasmThread`, this thread's instance and its state, and the bound module
// `mod` in scope).
const source = `function wasmRows(chunk, lo, hi, a, aOff, ars, acs, b, bOff, brs, bcs, P, n, k, call) {
  const MR = ${MR}, NR = ${NR}, KC = ${KC};
  const up4 = (x) => Math.ceil(x / 4) * 4;
  const rows = hi - lo, np = Math.ceil(n / NR) * NR, mp = Math.ceil(rows / MR) * MR;
  // memory, in floats: the ragged-edge tile, B's panels, A's panels, the rows' product, staging
  const Bat = MR * NR, Aat = Bat + up4(np * k), Cat = Aat + up4(mp * k), Sat = Cat + up4(rows * n);
  const t = wasmThread;
  if (!t.exports) {
    t.memory = new WebAssembly.Memory({ initial: 16 });
    t.exports = new WebAssembly.Instance(mod, { env: { memory: t.memory } }).exports;
    t.call = -1;
  }
  const packer = t.exports.${PACK};
  ${threadMemory}
  if (t.call !== call) {
    packInto(b, bOff, brs, bcs, n, NR, Bat);
    t.call = call;
  }
  packInto(a, aOff + lo * ars, ars, acs, rows, MR, Aat);
  if (k === 0) H.fill(0, Cat, Cat + rows * n);
  for (let p = 0; p < k; p += KC)
    t.exports.${GEMM}(4 * (Aat + p * MR), 4 * (Bat + p * NR), 4 * Cat, 0, rows, n, Math.min(KC, k - p), n, p > 0 ? 1 : 0, 4 * k, 4 * MR, 4 * k, 4 * NR);
  P.set(H.subarray(Cat, Cat + rows * n), lo * n);
}`;

let task: RangeTask | undefined;
const wasmRowsTask = () => {
  const mod = gemmModule();
  task ??= {
    key: "wasmRows",
    name: "wasmRows",
    source,
    run: instantiate(source, "wasmRows", { wasmThread: {}, mod }),
    bound: { mod },
    // writes only the product (shared memory): a and b, outside it, are copied in (staging.ts)
    access: () => ({ writes: [] }),
  };
  return task;
};

// The product, in shared memory kept across calls (like the unsplit product in Wasm memory, it is
// valid until the next Wasm GEMM runs).
let product: Float32Array = new Float32Array(0);
let calls = 0;

// Where the rows of a product of m rows are cut: whole panels, about CHUNKS chunks.
export function wasmRowEdges(m: number, n: number, k: number): number[] | null {
  if (m * n * k < SPLIT_MIN_MACS || m < SPLIT_MIN_ROWS) return null;
  const rows = Math.max(MR, Math.ceil(m / CHUNKS / MR) * MR);
  const edges: number[] = [];
  for (let i = 0; i < m; i += rows) edges.push(i);
  edges.push(m);
  return edges.length < 3 ? null : edges;
}

gemmHooks.rows = (a: Strided, b: Strided, m: number, n: number, k: number) => {
  if (getNumThreads() < 2 || typeof SharedArrayBuffer !== "function" || !codegenAllowed())
    return null;
  const edges = wasmRowEdges(m, n, k);
  if (!edges) return null;
  if (product.length < m * n)
    product = new Float32Array(new SharedArrayBuffer(4 * Math.max(m * n, 2 * product.length)));
  const P = product.subarray(0, m * n);
  runRanges(
    wasmRowsTask(),
    [
      a.storage!,
      a.offset,
      a.strides[0],
      a.strides[1],
      b.storage!,
      b.offset,
      b.strides[1],
      b.strides[0],
      P,
      n,
      k,
      ++calls,
    ],
    edges,
  );
  return P;
};
