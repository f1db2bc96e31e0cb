// Matmul on the Wasm micro-kernel: out[..., m, n] = a[..., m, k] @ b[..., k, n] in float32, batch
// dims already broadcast into the operands' strides. Operands are packed (any strides, so the
// transposed operands of the backward cost nothing extra) straight into Wasm memory; the product
// lands contiguous there and the caller copies it out (eagerly) or runs the fused epilogue on
// each element as it stores it (compiled kernels). k is walked in blocks of KC: the panels' slices
// stay in cache, and each product is a sum of KC-long float32 runs, so its rounding error grows
// with KC + k / KC rather than k.
import type { Strided } from "../backend";
import type { Gemm, Scratch } from "../js/conv";
import { batchOffsets, pack } from "../pack";
import { MR, NR } from "./microkernel";
import { gemm, heap, packPanels } from "./module";

export const KC = 256;
// products computed here (tests check which path ran)
export const gemmStats = { products: 0 };
const up4 = (n: number) => Math.ceil(n / 4) * 4; // region starts 16-byte aligned

// Rows of x (row stride rs, column stride cs, from element off) packed as panels of w rows at
// heap[at]: the span of x they cover copied into the staging area at heap[stage] in one `set`,
// then rearranged by the Wasm packer. A view that covers a much larger span than its elements (a
// column of a wide matrix), or walks backwards, is packed element by element from JS instead.
function packInto(
  x: Strided,
  off: number,
  rs: number,
  cs: number,
  rows: number,
  k: number,
  w: number,
  at: number,
  stage: number,
  H: Float32Array,
) {
  const last = off + (rows - 1) * rs + (k - 1) * cs;
  if (rs < 0 || cs < 0 || last - off > 2 * rows * k + 64) {
    pack(x.storage!, off, rs, cs, rows, k, w, H, at);
    return;
  }
  H.set((x.storage as Float32Array).subarray(off, last + 1), stage);
  packPanels()(4 * stage, rs, cs, rows, k, w, 4 * at, Math.abs(cs) <= Math.abs(rs) ? 1 : 0);
}

// Wasm memory as the GEMM's scratch: the ragged-edge tile, then A's panels, B's panels, the
// contiguous result and `stage` more floats for packing (regions 16-byte aligned).
const T = 0;
function scratch(a: number, b: number, out: number, stage = 0): Scratch & { s: number } {
  const A = MR * NR,
    B = A + up4(a),
    C = B + up4(b),
    S = C + up4(out);
  const H = heap(S + stage);
  gemmStats.products++;
  return { A: H, a: A, B: H, b: B, C: H, c: C, s: S };
}
// C[c + out + i * ldc + j] = A . B over the packed panels, k in blocks of KC
function multiply(s: Scratch, out: number, ldc: number, m: number, n: number, k: number): void {
  const c = s.c + out;
  if (k === 0) for (let i = 0; i < m; i++) s.C.fill(0, c + i * ldc, c + i * ldc + n);
  const run = gemm();
  for (let p = 0; p < k; p += KC) {
    const kc = Math.min(KC, k - p);
    run(4 * (s.a + p * MR), 4 * (s.b + p * NR), 4 * c, 4 * T, m, n, k, kc, ldc, p > 0 ? 1 : 0);
  }
}
// the GEMM convolutions run on (backend/js/conv.ts packs their patches into its panels)
export const wasmGemm: Gemm = { mr: MR, nr: NR, scratch, multiply };

// A 2-D product big enough may be split across threads by row panels (gemm-split.ts sets this):
// it returns the product, or null to run it here.
export const gemmHooks: {
  rows?: (a: Strided, b: Strided, m: number, n: number, k: number) => Float32Array | null;
} = {};

// The product as a contiguous float32 view of Wasm memory (or of the split's shared product),
// valid until the next Wasm kernel runs.
export function matmulF32(a: Strided, b: Strided, outShape: readonly number[]): Float32Array {
  if (outShape.length === 2 && gemmHooks.rows) {
    const split = gemmHooks.rows(a, b, outShape[0], outShape[1], a.shape[1]);
    if (split) return split;
  }
  const r = outShape.length,
    m = outShape[r - 2],
    n = outShape[r - 1],
    k = a.shape[r - 1];
  const batch = outShape.slice(0, -2),
    count = batch.reduce((x, y) => x * y, 1);
  const size = count * m * n;
  const s = scratch(
    Math.ceil(m / MR) * MR * k,
    Math.ceil(n / NR) * NR * k,
    size,
    2 * Math.max(m, n) * k + 64,
  );
  const H = s.C as Float32Array;
  for (let t = 0; t < count; t++) {
    const [aOff, bOff] = batchOffsets(t, batch, [a, b]);
    packInto(a, aOff, a.strides[r - 2], a.strides[r - 1], m, k, MR, s.a, s.s, H);
    packInto(b, bOff, b.strides[r - 1], b.strides[r - 2], n, k, NR, s.b, s.s, H);
    multiply(s, t * m * n, n, m, n, k);
  }
  return H.subarray(s.c, s.c + size);
}
