// Matmul: out[..., m, n] = a[..., m, k] @ b[..., k, n], batch dims already broadcast into the
// operands' strides. The BLAS recipe, in JavaScript: copy a into panels of MR rows and b into
// panels of NR columns (contiguous along k, whatever the operands' strides, so transposed operands
// cost nothing extra), then a register-blocked micro-kernel keeps an MR x NR tile of out in local
// variables while it walks k. Sums are accumulated in double and rounded once when stored.
import type { Storage } from "../../ir/dtype";
import type { Strided } from "../backend";
import { batchOffsets, pack } from "../pack";

export const PANEL = 4; // rows of a, and columns of b, per packed panel: the register tile's size
const MR = PANEL,
  NR = PANEL;
let panelA: Float64Array = new Float64Array(0),
  panelB: Float64Array = new Float64Array(0); // reused across calls: no garbage per call
// b's panels are read by every thread of a parallel matmul (gemm-split.ts): shared memory
const sharedPanels = (n: number) =>
  typeof SharedArrayBuffer === "function"
    ? new Float64Array(new SharedArrayBuffer(8 * n))
    : new Float64Array(n);

// rows(...) may take the product of a over b's packed panels (all of a's m rows) on several
// threads; it returns false when it does not (then the rows run here)
export type RowsRunner = (
  a: Storage,
  aOff: number,
  ars: number,
  acs: number,
  B: Float64Array,
  O: Storage,
  oOff: number,
  ors: number,
  ocs: number,
  m: number,
  n: number,
  k: number,
) => boolean;

export function matmul(a: Strided, b: Strided, out: Strided, rows?: RowsRunner): void {
  const r = out.shape.length,
    m = out.shape[r - 2],
    n = out.shape[r - 1],
    k = a.shape[r - 1];
  const batch = out.shape.slice(0, -2),
    count = batch.reduce((x, y) => x * y, 1);
  const mp = Math.ceil(m / MR) * MR,
    np = Math.ceil(n / NR) * NR;
  if (panelA.length < mp * k) panelA = new Float64Array(mp * k);
  if (panelB.length < np * k) panelB = sharedPanels(np * k);
  for (let t = 0; t < count; t++) {
    const [aOff, bOff, oOff] = batchOffsets(t, batch, [a, b, out]);
    const [ars, acs, ors, ocs] = [
      a.strides[r - 2],
      a.strides[r - 1],
      out.strides[r - 2],
      out.strides[r - 1],
    ];
    pack(b.storage!, bOff, b.strides[r - 1], b.strides[r - 2], n, k, NR, panelB);
    if (rows?.(a.storage!, aOff, ars, acs, panelB, out.storage!, oOff, ors, ocs, m, n, k)) continue;
    pack(a.storage!, aOff, ars, acs, m, k, MR, panelA);
    tiles(panelA, panelB, out.storage!, oOff, ors, ocs, m, n, k);
  }
}

// Compiled matmul kernels pack through these: `panels(gemmScratch, slot, rows, k)` is the scratch
// slot grown to hold `rows` rows as panels, then `pack` fills it. Each thread has its own scratch
// (`newScratch`; worker threads make theirs, backend/threads/helpers.ts). Like `tiles` and `pack`,
// they refer to nothing outside their own text (their parameters and JS globals): workers rebuild
// them from that text, whatever a bundler renamed around them.
export function newScratch(): Float64Array[] {
  return [new Float64Array(0), new Float64Array(0)];
}
export function panels(scratch: Float64Array[], slot: number, rows: number, k: number) {
  const MR = 4; // PANEL
  const size = Math.ceil(rows / MR) * MR * k;
  if (scratch[slot].length < size) scratch[slot] = new Float64Array(size);
  return scratch[slot];
}
export const gemmScratch = newScratch();

// Whole MR x NR tiles in registers; the ragged right and bottom edges after them, one dot product
// per element, so the hot loop stays free of bounds checks.
export function tiles(
  A: Float64Array,
  B: Float64Array,
  O: Storage,
  off: number,
  rs: number,
  cs: number,
  m: number,
  n: number,
  k: number,
): void {
  const MR = 4, // PANEL (a local: workers rebuild this function from its text alone)
    NR = 4;
  const m4 = m - (m % MR),
    n4 = n - (n % NR);
  for (let i0 = 0; i0 < m4; i0 += MR) {
    for (let j0 = 0; j0 < n4; j0 += NR) {
      let c00 = 0,
        c01 = 0,
        c02 = 0,
        c03 = 0,
        c10 = 0,
        c11 = 0,
        c12 = 0,
        c13 = 0;
      let c20 = 0,
        c21 = 0,
        c22 = 0,
        c23 = 0,
        c30 = 0,
        c31 = 0,
        c32 = 0,
        c33 = 0;
      for (let p = 0, pa = i0 * k, pb = j0 * k; p < k; p++, pa += MR, pb += NR) {
        const a0 = A[pa],
          a1 = A[pa + 1],
          a2 = A[pa + 2],
          a3 = A[pa + 3];
        const b0 = B[pb],
          b1 = B[pb + 1],
          b2 = B[pb + 2],
          b3 = B[pb + 3];
        c00 += a0 * b0;
        c01 += a0 * b1;
        c02 += a0 * b2;
        c03 += a0 * b3;
        c10 += a1 * b0;
        c11 += a1 * b1;
        c12 += a1 * b2;
        c13 += a1 * b3;
        c20 += a2 * b0;
        c21 += a2 * b1;
        c22 += a2 * b2;
        c23 += a2 * b3;
        c30 += a3 * b0;
        c31 += a3 * b1;
        c32 += a3 * b2;
        c33 += a3 * b3;
      }
      const o0 = off + i0 * rs + j0 * cs,
        o1 = o0 + rs,
        o2 = o1 + rs,
        o3 = o2 + rs;
      O[o0] = c00;
      O[o0 + cs] = c01;
      O[o0 + 2 * cs] = c02;
      O[o0 + 3 * cs] = c03;
      O[o1] = c10;
      O[o1 + cs] = c11;
      O[o1 + 2 * cs] = c12;
      O[o1 + 3 * cs] = c13;
      O[o2] = c20;
      O[o2 + cs] = c21;
      O[o2 + 2 * cs] = c22;
      O[o2 + 3 * cs] = c23;
      O[o3] = c30;
      O[o3 + cs] = c31;
      O[o3 + 2 * cs] = c32;
      O[o3 + 3 * cs] = c33;
    }
  }
  if (m4 === m && n4 === n) return;
  // out elements outside the whole tiles: rows >= m4 or columns >= n4, one dot product each
  for (let i = 0; i < m; i++) {
    for (let j = i < m4 ? n4 : 0; j < n; j++) {
      let acc = 0;
      const pa = (i - (i % MR)) * k + (i % MR),
        pb = (j - (j % NR)) * k + (j % NR);
      for (let p = 0; p < k; p++) acc += A[pa + p * MR] * B[pb + p * NR];
      O[off + i * rs + j * cs] = acc;
    }
  }
}
