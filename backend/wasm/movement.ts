// The convolutions' data movement on the Wasm GEMM (backend/js/im2col.ts `Movement`): the input
// and the tap tables copied into Wasm memory next to the panels (bulk `set`s), then the im2col
// and col2im loops run in WebAssembly (im2col.ts) with byte addresses.
import type { Movement } from "../js/im2col";
import {
  copyBlocksWasm,
  gatherRowsWasm,
  gatherRowWasm,
  scatterRowsWasm,
  scatterRowWasm,
} from "./module";

// Wasm memory (from the heap view's start) as int32s: one view per buffer (memory growth replaces
// the buffer), not one per table staged
let intView: Int32Array | undefined;
const ints = (heap: ArrayLike<number> & { buffer: ArrayBufferLike; byteOffset: number }) => {
  if (intView?.buffer !== heap.buffer || intView.byteOffset !== heap.byteOffset)
    intView = new Int32Array(heap.buffer, heap.byteOffset);
  return intView;
};
// the rows' element indices as byte addresses, in place
const bytes = (rows: Int32Array, at: number, count: number) => {
  for (let i = at; i < at + 3 * count; i++) rows[i] *= 4;
};

export const wasmMovement: Movement = {
  staged: true,
  source(dst, at, src, lo, hi) {
    dst.set((src as Float32Array).subarray(lo, hi), at);
    return at - lo;
  },
  table(dst, at, tab) {
    ints(dst).set(tab, at);
    return at;
  },
  gather: (_src, base, xn, N, _tab, t0, Q, _dst, at, per, small, big) =>
    gatherRowWasm()(4 * base, 4 * xn, N, 4 * t0, Q, 4 * at, per, 4 * small, 4 * big),
  scatter: (_cols, c, N, I, _tab, t0, _out, base, on) =>
    scatterRowWasm()(4 * c, N, I, 4 * t0, 4 * base, 4 * on),
  gatherRows(_src, rows, at, count, xn, N, _tab, Q, _dst, per, small, big) {
    bytes(rows, at, count);
    gatherRowsWasm()(4 * at, count, 4 * xn, N, Q, per, 4 * small, 4 * big);
  },
  scatterRows(_cols, rows, at, count, N, I, _tab, on) {
    bytes(rows, at, count);
    scatterRowsWasm()(4 * at, count, N, I, 4 * on);
  },
  blocks: (_C, from, srs, ssn, to, drs, dsn, rows, N, Q) =>
    copyBlocksWasm()(4 * from, 4 * srs, 4 * ssn, 4 * to, 4 * drs, 4 * dsn, rows, N, Q),
};
