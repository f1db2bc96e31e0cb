// Matmul on the Wasm micro-kernel: out[..., m, n] = a[..., m, k] @ b[..., k, n] in float32, batch
// dims already broadcast into the operands' strides. Each operand goes into Wasm memory in the
// layout the micro-kernel reads: as it is (one bulk copy of the span it covers) where that layout
// already fits (A with its rows contiguous at each k, as A^T in the backward's A^T B; B with its
// columns contiguous, a row-major B), else packed into panels (x W^T's W^T, a row-major A). The
// product lands contiguous there and the caller copies it out, or the kernel's epilogue runs on
// each finished tile and stores its results instead (compiled kernels: epilogue.ts). k is walked
// in blocks of KC: the panels' slices stay in cache, and each product is a sum of KC-long float32
// runs, so its rounding error grows with KC + k / KC rather than k.
import type { Strided } from "../backend";
import type { Gemm, Scratch } from "../js/conv";
import { batchOffsets, pack } from "../pack";
import { MR, NR } from "./microkernel";
import { gemm, heap, packPanels } from "./module";

export const KC = 256;
// products computed here (tests check which path ran)
export const gemmStats = { products: 0, direct: 0 };
const up4 = (n: number) => Math.ceil(n / 4) * 4; // region starts 16-byte aligned
const SLACK = 4 * NR; // floats after a region that a tile crossing the edge may read (and drop)

// The micro-kernel, with or without an epilogue: (a, b, c, t, m, n, kc, ldc, add, ai, sa, bj, sb,
// [epi, regions...]) in bytes
export type GemmFn = (...args: number[]) => void;

// How one operand sits in Wasm memory: panels, or its own span copied as it is.
interface Placement {
  direct: boolean;
  floats: number; // region size
  i: number; // bytes from one row (of A; column of B) to the next
  s: number; // bytes per k step
}
// x's `rows` (stride rs) by k (stride cs) as the micro-kernel's operand with panels of w. Only B
// is read as it is: A read in place (A^T: k steps a row of A^T apart) measured slower than packed,
// and a k step that is a multiple of 256 bytes maps the column panel's k slice onto a few L1
// sets, which evict each other before the next row panel reuses them.
function place(rs: number, cs: number, rows: number, k: number, w: number): Placement {
  const span = rows && k ? (rows - 1) * rs + (k - 1) * cs + 1 : 0;
  const aliased = (4 * cs) % 256 === 0;
  if (w === NR && rs === 1 && cs >= 1 && !aliased && rows > 0 && k > 0 && span <= 2 * rows * k + 64)
    return { direct: true, floats: span + SLACK, i: 4, s: 4 * cs };
  return { direct: false, floats: Math.ceil(rows / w) * w * k, i: 4 * k, s: 4 * w };
}

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
// x into its region at heap[at]: its span as it is, or packed through the staging area
function put(
  x: Strided,
  off: number,
  rs: number,
  cs: number,
  rows: number,
  k: number,
  w: number,
  p: Placement,
  at: number,
  stage: number,
  H: Float32Array,
) {
  if (!p.direct) return packInto(x, off, rs, cs, rows, k, w, at, stage, H);
  const span = (rows - 1) * rs + (k - 1) * cs + 1;
  H.set((x.storage as Float32Array).subarray(off, off + span), at);
}

// Wasm memory as the GEMM's scratch: the ragged-edge tiles, then A, B, the contiguous result and
// `stage` more floats (regions 16-byte aligned).
const T = 0;
function scratch(
  a: number,
  b: number,
  out: number,
  stage = 0,
  tiles = 1,
): Scratch & { s: number; H: Float32Array } {
  const A = tiles * MR * NR,
    B = A + up4(a),
    C = B + up4(b),
    S = C + up4(out);
  const H = heap(S + stage);
  gemmStats.products++;
  return { A: H, a: A, B: H, b: B, C: H, c: C, s: S, H };
}
// C[c + out + i * ldc + j] (+)= A . B, k in blocks of KC; `extra`: the epilogue's arguments
function run(
  fn: GemmFn,
  s: { a: number; b: number; c: number },
  pa: Placement,
  pb: Placement,
  out: number,
  ldc: number,
  m: number,
  n: number,
  k: number,
  extra: number[] = [],
  add = false,
): void {
  const c = 4 * (s.c + out);
  for (let p = 0; p < k; p += KC) {
    const kc = Math.min(KC, k - p),
      last = p + kc >= k ? 1 : 0;
    const epi = extra.length ? [last, ...extra] : [];
    fn(
      4 * s.a + p * pa.s,
      4 * s.b + p * pb.s,
      c,
      4 * T,
      m,
      n,
      kc,
      ldc,
      p > 0 || add ? 1 : 0,
      pa.i,
      pa.s,
      pb.i,
      pb.s,
      ...epi,
    );
  }
}
// C[c + out + i * ldc + j] (+)= A . B over packed panels (the convolutions' GEMM)
// (typed by the Gemm interface, which names its parameters)
const multiply: Gemm["multiply"] = (s, out, ldc, m, n, k, add = false) => {
  if (k === 0 && !add)
    for (let i = 0; i < m; i++) s.C.fill(0, s.c + out + i * ldc, s.c + out + i * ldc + n);
  run(gemm(), s, place(0, 0, 0, k, MR), place(0, 0, 0, k, NR), out, ldc, m, n, k, [], add);
};
// the GEMM convolutions run on (backend/js/conv.ts packs their patches into its panels)
export const wasmGemm: Gemm = { mr: MR, nr: NR, scratch, multiply };

// The operands' placements and a scratch for them, the product (`out` floats) and `extra`.
function prepare(
  a: Strided,
  b: Strided,
  r: number,
  m: number,
  n: number,
  k: number,
  out: number,
  extra = 0,
  tiles = 1,
) {
  const pa = place(a.strides[r - 2], a.strides[r - 1], m, k, MR),
    pb = place(b.strides[r - 1], b.strides[r - 2], n, k, NR);
  gemmStats.direct += (pa.direct ? 1 : 0) + (pb.direct ? 1 : 0);
  const stage = pa.direct && pb.direct ? 0 : 2 * Math.max(m, n) * k + 64;
  // (at least one zero k step for an epilogue at k = 0)
  const s = scratch(Math.max(pa.floats, MR), Math.max(pb.floats, NR), out + extra, stage, tiles);
  const fill = (aOff: number, bOff: number) => {
    put(a, aOff, a.strides[r - 2], a.strides[r - 1], m, k, MR, pa, s.a, s.s, s.H);
    put(b, bOff, b.strides[r - 1], b.strides[r - 2], n, k, NR, pb, s.b, s.s, s.H);
  };
  return { pa, pb, s, fill };
}

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
  const { pa, pb, s, fill } = prepare(a, b, r, m, n, k, size);
  const H = s.H;
  if (k === 0) H.fill(0, s.c, s.c + size);
  else
    for (let t = 0; t < count; t++) {
      const [aOff, bOff] = batchOffsets(t, batch, [a, b]);
      fill(aOff, bOff);
      run(gemm(), s, pa, pb, t * m * n, n, m, n, k);
    }
  return H.subarray(s.c, s.c + size);
}

// A 2-D product with an epilogue kernel `fn`: `loads` (float32 spans the epilogue reads, each
// copied in with `slack` more floats it may read past a ragged edge) and `stores` [m, n] results.
// Returns Wasm memory and where each result starts in it (valid until the next Wasm kernel runs).
export function matmulEpilogue(
  fn: GemmFn,
  a: Strided,
  b: Strided,
  m: number,
  n: number,
  k: number,
  loads: { data: Float32Array; slack: number }[],
  stores: number,
): { H: Float32Array; at: number[] } {
  const size = m * n;
  const regions = loads.map((l) => up4(l.data.length + l.slack));
  const extra = stores * up4(size) + regions.reduce((x, y) => x + y, 0);
  const { pa, pb, s, fill } = prepare(a, b, 2, m, n, k, up4(size), extra, 1 + stores);
  const H = s.H;
  const at = [...Array(stores).keys()].map((i) => s.c + up4(size) * (i + 1));
  let l = s.c + up4(size) * (stores + 1);
  const loadAt = loads.map((x, i) => {
    H.set(x.data, l);
    const here = l;
    l += regions[i];
    return here;
  });
  const args = [...loadAt, ...at].map((x) => 4 * x);
  if (k === 0) {
    // no k block to run the epilogue on: one block over zero-filled panels
    H.fill(0, s.a, s.a + MR);
    H.fill(0, s.b, s.b + NR);
    fn(4 * s.a, 4 * s.b, 4 * s.c, 4 * T, m, n, 1, n, 0, 0, 4 * MR, 0, 4 * NR, 1, ...args);
  } else {
    fill(a.offset, b.offset);
    run(fn, s, pa, pb, 0, n, m, n, k, args);
  }
  return { H, at };
}
