// The convolutions' data movement on the Wasm GEMM (backend/js/im2col.ts `Movement`): the input
// and the tap tables copied into Wasm memory next to the panels (bulk `set`s), then the im2col
// and col2im loops run in WebAssembly (im2col.ts) with byte addresses.
import type { Movement } from "../js/im2col";
import { gatherAlongWasm, gatherRowWasm, scatterRowWasm } from "./module";

export const wasmMovement: Movement = {
  staged: true,
  source(dst, at, src, lo, hi) {
    dst.set((src as Float32Array).subarray(lo, hi), at);
    return at - lo;
  },
  table(dst, at, tab) {
    new Int32Array(dst.buffer, dst.byteOffset).set(tab, at);
    return at;
  },
  // rows of B's panels (per > 0), or down panels along k (per = 0): im2col.ts
  gather: (_s, base, xn, N, _t, t0, Q, _d, at, per, small, big, rows, T, xc, w, rs, ps, align) =>
    (per > 0 ? gatherRowWasm() : gatherAlongWasm())(
      4 * base,
      4 * xn,
      N,
      4 * t0,
      Q,
      4 * at,
      per,
      4 * small,
      4 * big,
      rows,
      T,
      4 * xc,
      w,
      4 * rs,
      4 * ps,
      align ? 1 : 0,
    ),
  scatter: (_cols, c, N, I, _tab, t0, _out, base, on) =>
    scatterRowWasm()(4 * c, N, I, 4 * t0, 4 * base, 4 * on),
};
