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
let panelA = new Float64Array(0),
  panelB = new Float64Array(0); // reused across calls: no garbage per call

export function matmul(a: Strided, b: Strided, out: Strided): void {
  const r = out.shape.length,
    m = out.shape[r - 2],
    n = out.shape[r - 1],
    k = a.shape[r - 1];
  const batch = out.shape.slice(0, -2),
    count = batch.reduce((x, y) => x * y, 1);
  const mp = Math.ceil(m / MR) * MR,
    np = Math.ceil(n / NR) * NR;
  if (panelA.length < mp * k) panelA = new Float64Array(mp * k);
  if (panelB.length < np * k) panelB = new Float64Array(np * k);
  for (let t = 0; t < count; t++) {
    const [aOff, bOff, oOff] = batchOffsets(t, batch, [a, b, out]);
    pack(a.storage!, aOff, a.strides[r - 2], a.strides[r - 1], m, k, MR, panelA);
    pack(b.storage!, bOff, b.strides[r - 1], b.strides[r - 2], n, k, NR, panelB);
    tiles(panelA, panelB, out.storage!, oOff, out.strides[r - 2], out.strides[r - 1], m, n, k);
  }
}

// Compiled matmul kernels pack through this: the panels of `rows` rows in scratch slot `slot`.
const scratch: Float64Array[] = [new Float64Array(0), new Float64Array(0)];
export function packPanels(
  src: Storage,
  off: number,
  rs: number,
  cs: number,
  rows: number,
  k: number,
  slot: number,
): Float64Array {
  const size = Math.ceil(rows / MR) * MR * k;
  if (scratch[slot].length < size) scratch[slot] = new Float64Array(size);
  pack(src, off, rs, cs, rows, k, MR, scratch[slot]);
  return scratch[slot];
}

// Whole MR x NR tiles in registers; the ragged right and bottom edges go through `edges`, so the
// hot loop stays free of bounds checks.
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
  if (m4 < m || n4 < n) edges(A, B, O, off, rs, cs, m, n, k, m4, n4);
}

// out elements outside the whole tiles: rows >= m4 or columns >= n4, one dot product each.
function edges(
  A: Float64Array,
  B: Float64Array,
  O: Storage,
  off: number,
  rs: number,
  cs: number,
  m: number,
  n: number,
  k: number,
  m4: number,
  n4: number,
): void {
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
