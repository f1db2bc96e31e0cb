// Packing a strided matrix into GEMM panels: shared by the JavaScript and WebAssembly GEMMs (the
// JS one packs into Float64Array scratch, the Wasm one straight into its memory as float32).
import type { Storage } from "../ir/dtype";

// Rows [i, i + w) of a (row stride rs, column stride cs) as panels, from dst[at]:
// panel[(i / w) * k * w + p * w + (row - i)]. b is packed as the rows of b^T. Rows past the edge
// are zero.
export function pack(
  src: Storage,
  off: number,
  rs: number,
  cs: number,
  rows: number,
  k: number,
  w: number,
  dst: Float64Array | Float32Array,
  at = 0,
): void {
  for (let i0 = 0; i0 < rows; i0 += w) {
    const base = at + i0 * k,
      full = Math.min(w, rows - i0);
    if (full < w) for (let q = base; q < base + w * k; q++) dst[q] = 0;
    // walk the source along its smaller stride, so reads stay in cache lines
    if (Math.abs(cs) <= Math.abs(rs)) {
      for (let r = 0; r < full; r++) {
        const o = off + (i0 + r) * rs;
        for (let p = 0; p < k; p++) dst[base + p * w + r] = src[o + p * cs];
      }
    } else {
      for (let p = 0; p < k; p++) {
        const o = off + i0 * rs + p * cs,
          d = base + p * w;
        for (let r = 0; r < full; r++) dst[d + r] = src[o + r * rs];
      }
    }
  }
}

// Where batch element t (row-major over the batch dims) starts in each view: its offset plus the
// batch indices times its strides over the leading dims.
export function batchOffsets(
  t: number,
  batch: readonly number[],
  views: readonly { offset: number; strides: readonly number[] }[],
): number[] {
  const offsets = views.map((v) => v.offset);
  for (let d = batch.length - 1, rest = t; d >= 0; d--) {
    const i = rest % batch[d];
    rest = (rest - i) / batch[d];
    views.forEach((v, k) => {
      offsets[k] += i * v.strides[d];
    });
  }
  return offsets;
}
