// The convolutions' data movement on the Wasm GEMM (backend/js/im2col.ts `Movement`): the input
// and the tap tables copied into Wasm memory next to the panels (bulk `set`s), then the im2col
// and col2im loops run in WebAssembly (im2col.ts) with byte addresses.
import type { Movement } from "../js/im2col";
import { quadTable } from "./im2col";
import { copyBlocksWasm, gatherAlongWasm, gatherRowWasm, scatterRowWasm } from "./module";

const up4 = (n: number) => Math.ceil(n / 4) * 4;
// a tap table's quad table (im2col.ts), per table and row length (tables are cached per layout)
const quadTables = new WeakMap<Int32Array, Map<number, Int32Array | null>>();
function quadsOf(tab: Int32Array, Q: number): Int32Array | null {
  let byQ = quadTables.get(tab);
  if (!byQ) {
    byQ = new Map();
    quadTables.set(tab, byQ);
  }
  let q = byQ.get(Q);
  if (q === undefined) {
    q = Q >= 4 && tab.length % Q === 0 ? quadTable(tab, Q) : null;
    byQ.set(Q, q);
  }
  return q;
}
// where the staged tables' quad tables are, by the table's position (each staging sets or deletes
// its entry, so a gather only finds the quads of the table it was given)
const quadsAt = new Map<number, number>();
// Staged tables whose quads are worth the along-k walk: a run in at least one quad in 8. Stride-2
// layouts (the digits CNN's) have none, and there the along-k walk's quad tests and group set-up
// cost more than they save (~8% of its step): their rows go value by value (the same copy).
const alongQuadsAt = new Set<number>();
const runsOf = new WeakMap<Int32Array, boolean>();
function fewRuns(quads: Int32Array): boolean {
  let known = runsOf.get(quads);
  if (known === undefined) {
    let runs = 0;
    for (const o of quads) if (o >= 0) runs++;
    known = runs * 8 < quads.length;
    runsOf.set(quads, known);
  }
  return known;
}

export const wasmMovement: Movement = {
  staged: true,
  source(dst, at, src, lo, hi) {
    dst.set((src as Float32Array).subarray(lo, hi), at);
    return at - lo;
  },
  table(dst, at, tab, Q) {
    const ints = new Int32Array(dst.buffer, dst.byteOffset);
    ints.set(tab, at);
    const quads = quadsOf(tab, Q);
    if (quadsAt.size > 64) {
      quadsAt.clear();
      alongQuadsAt.clear();
    }
    if (quads) {
      ints.set(quads, at + up4(tab.length));
      quadsAt.set(at, at + up4(tab.length));
      if (fewRuns(quads)) alongQuadsAt.delete(at);
      else alongQuadsAt.add(at);
    } else {
      quadsAt.delete(at);
      alongQuadsAt.delete(at);
    }
    return at;
  },
  tableSize: (tab, Q) => up4(tab.length) + up4(quadsOf(tab, Q)?.length ?? 0),
  // rows of B's panels (per > 0), or down panels along k (per = 0): im2col.ts. A panel row takes
  // quads when they land on 16-byte slots: panels of a multiple of 4 and each sample's first value
  // at a slot (aligned samples, or Q a multiple of 4)
  gather: (_s, base, xn, N, _t, t0, Q, _d, at, per, small, big, rows, T, xc, w, rs, ps, align) => {
    const quads =
      (per === 0 && alongQuadsAt.has(t0)) ||
      (per > 0 && small === 1 && per % 4 === 0 && (align || Q % 4 === 0))
        ? (quadsAt.get(t0) ?? 0)
        : 0;
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
      4 * quads,
    );
  },
  scatter: (_cols, c, N, I, _tab, t0, _out, base, on, rows, T, colStep, oStep) =>
    scatterRowWasm()(
      4 * c,
      N,
      I,
      4 * t0,
      4 * base,
      4 * on,
      rows,
      T,
      4 * colStep,
      4 * oStep,
      4 * (quadsAt.get(t0) ?? 0),
    ),
  blocks: (_C, from, srs, ssn, to, drs, dsn, rows, N, Q) =>
    copyBlocksWasm()(4 * from, 4 * srs, 4 * ssn, 4 * to, 4 * drs, 4 * dsn, rows, N, Q),
};
