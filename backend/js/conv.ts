// Convolutions as GEMMs over the matmul micro-kernel (gemm.ts `tiles`, or the Wasm one): the input
// patches are packed straight into the micro-kernel's panels (im2col.ts), reading the (virtually)
// padded input through index arithmetic, zeros outside; a transposed convolution multiplies the
// dense input and scatter-adds the product's columns into its output (col2im). The shapes of the
// three GEMMs are at `convolve`. Results land in a contiguous scratch (returned, in double on the
// JS GEMM); eagerly it is copied into the output, and a compiled kernel runs its epilogue (bias
// add, relu, ...) on each element of it as it stores (backend/js/kernels.ts).
import type * as E from "estree";
import type { ConvParams, ConvTransposeParams, ConvWeightParams } from "../../ir/ops/conv";
import type { Strided } from "../backend";
import type { LoopKernel } from "../plan";
import { bodyAt, invariants } from "./body";
import { movementFor, packRows, Staging } from "./conv-staging";
import { call, decl, functionDecl, id, index, linear, loop, num, print } from "./estree";
import { PANEL, tiles } from "./gemm";
import { jsMovement, type Movement, tapTable } from "./im2col";

export type ConvOp = "conv" | "convTranspose" | "convWeight";
type AnyConv = ConvParams & Partial<ConvTransposeParams> & Partial<ConvWeightParams>;

// The GEMM a convolution runs on: panel widths (rows of A, columns of B per panel), scratch for
// the panels and the contiguous result (grown to the sizes asked, all may share one array), and
// C[out + i * ldc + j] = A[m, k] . B[k, n] over the packed panels.
export type Panels = Float64Array | Float32Array;
export interface Gemm {
  mr: number;
  nr: number;
  scratch(a: number, b: number, out: number): Scratch;
  multiply(s: Scratch, out: number, ldc: number, m: number, n: number, k: number): void;
}
export interface Scratch {
  A: Panels;
  a: number; // where A's panels start in it
  B: Panels;
  b: number;
  C: Panels;
  c: number;
}

// the JavaScript GEMM: double panels and result, gemm.ts's register tiles
let panelA = new Float64Array(0),
  panelB = new Float64Array(0),
  result = new Float64Array(0);
const ensure = (a: Float64Array<ArrayBuffer>, n: number) =>
  a.length < n ? new Float64Array(n) : a;
const jsGemm: Gemm = {
  mr: PANEL,
  nr: PANEL,
  scratch(a, b, out) {
    panelA = ensure(panelA, a);
    panelB = ensure(panelB, b);
    result = ensure(result, out);
    return { A: panelA, a: 0, B: panelB, b: 0, C: result, c: 0 };
  },
  multiply: (s, out, ldc, m, n, k) =>
    tiles(s.A as Float64Array, s.B as Float64Array, s.C, out, ldc, 1, m, n, k),
};

// rows x k values as panels of W rows, contiguous along k (rows past the edge are zero): value
// (row, p) = src[rowOff[row] + colOff[p]], or 0 where either offset is -1 (outside the input).
// One tight loop over offset tables, so the hot path has no calls and no divisions. `depth`: the
// panels' length along k (more than k: the rest is filled by the caller).
function pack(
  src: ArrayLike<number>,
  base: number,
  rowOff: Int32Array,
  colOff: Int32Array,
  rows: number,
  k: number,
  W: number,
  dst: Panels,
  at: number,
  depth = k,
) {
  for (let i0 = 0; i0 < rows; i0 += W) {
    const b = at + i0 * depth;
    for (let r = 0; r < W; r++) {
      const row = i0 + r;
      if (row >= rows) {
        for (let p = 0; p < k; p++) dst[b + p * W + r] = 0;
        continue;
      }
      const ro = rowOff[row];
      if (ro < 0) {
        for (let p = 0; p < k; p++) dst[b + p * W + r] = 0;
        continue;
      }
      for (let p = 0; p < k; p++) {
        const co = colOff[p];
        dst[b + p * W + r] = co < 0 ? 0 : src[base + ro + co];
      }
    }
  }
}
// the offset of flat (row-major) position i of `sizes` through `strides`
function offsetOf(i: number, sizes: readonly number[], strides: readonly number[]): number {
  let o = 0;
  for (let d = sizes.length - 1; d >= 0; d--) {
    const q = Math.floor(i / sizes[d]);
    o += (i - q * sizes[d]) * strides[d];
    i = q;
  }
  return o;
}
// a grid's positions as a table of offsets through `strides` (the tap table of a single tap)
function gridTable(sizes: readonly number[], strides: readonly number[]): Int32Array {
  const ones = sizes.map(() => 1),
    zeros = sizes.map(() => 0);
  return tapTable(ones, sizes, sizes, strides, ones, zeros, ones);
}
// A table of rows of L offsets expanded over ns samples xn apart: row t holds n * xn + tab[t * L +
// i] for (n, i) in order (-1 stays -1). With it a row of the patch matrix is one long run: the Wasm
// gather and scatter have no per-sample loop (with the small spatial sizes of a CNN's later
// layers, one to four positions a sample, that loop cost more than the values it moved).
function overSamples(tab: Int32Array, L: number, ns: number, xn: number): Int32Array {
  const rows = L ? tab.length / L : 0,
    t = new Int32Array(rows * ns * L);
  for (let r = 0, i = 0; r < rows; r++)
    for (let n = 0; n < ns; n++)
      for (let q = r * L, end = q + L; q < end; q++, i++) t[i] = tab[q] < 0 ? -1 : n * xn + tab[q];
  return t;
}
// whether a convolution's tables are expanded over samples (overSamples): on the staged (Wasm)
// movement, while the expanded tables stay small (they are staged into Wasm memory every call)
const FLAT_MAX = 1 << 16;
const expands = (mv: Movement, entries: number) => mv.staged && entries <= FLAT_MAX;
// W's rows for packing in Wasm (convolve's packA): the row offsets padded with -1 to a multiple of 8
// rows (whole panels: zeros past the last row), and the step between its columns when evenly
// spaced (a contiguous weight), else -1
function wasmRows(rowOff: Int32Array, colOff: Int32Array): Int32Array[] {
  const rows = new Int32Array(Math.ceil(rowOff.length / 8) * 8).fill(-1);
  rows.set(rowOff);
  const step = colOff.length > 1 ? colOff[1] - colOff[0] : 0;
  let even = colOff.length > 0 && colOff[0] === 0 && step >= 0;
  for (let i = 1; even && i < colOff.length; i++) even = colOff[i] - colOff[i - 1] === step;
  return [rows, Int32Array.of(even ? step : -1)];
}
const range = (n: number, f: (i: number) => number) => {
  const r = new Int32Array(n);
  for (let i = 0; i < n; i++) r[i] = f(i);
  return r;
};

// The offset tables of a convolution depend only on its layout (shapes, strides, params), which a
// training step repeats every call: built once per layout. A few dozen layouts at most are kept.
// (compared part by part, no key string: joining the shapes into a key on every call was 3.5% of
// the digits CNN's step; the chunk size and the movement decide how far tables are expanded)
type Part = readonly number[] | number | string | boolean | undefined;
const layouts: { parts: Part[]; tables: Int32Array[] }[] = [];
const samePart = (a: Part, b: Part): boolean => {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || !a || !b || a.length !== b.length)
    return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
};
function layoutTables(
  op: ConvOp,
  [x, w]: Strided[],
  p: AnyConv,
  outShape: readonly number[],
  flat: boolean,
  make: () => Int32Array[],
  which = 0, // (a second set of tables of the same layout)
): Int32Array[] {
  const parts: Part[] = [
    which,
    op,
    x.shape,
    x.strides,
    w.shape,
    w.strides,
    outShape,
    p.stride,
    p.padding,
    p.dilation,
    p.groups,
    p.kernel,
    p.outputPadding,
    convSettings.chunk,
    flat,
  ];
  for (const l of layouts) {
    let i = 0;
    while (i < parts.length && samePart(l.parts[i], parts[i])) i++;
    if (i === parts.length) return l.tables;
  }
  if (layouts.length >= 64) layouts.length = 0;
  const tables = make();
  // (copies of the arrays: a caller may reuse its own)
  layouts.push({ parts: parts.map((q) => (typeof q === "object" && q ? [...q] : q)), tables });
  return tables;
}

// Patch matrices and column matrices of at most this many values (floats) at a time: the batch is
// taken in chunks of samples, so scratch stays bounded for large inputs.
// (tests lower it to run the chunked path)
export const convSettings = { chunk: 1 << 20 };
const up4 = (n: number) => Math.ceil(n / 4) * 4;
const numel = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
// the storage range [lo, hi) a view reads
function span(v: Strided): [number, number] {
  let lo = v.offset,
    hi = v.offset;
  v.shape.forEach((n, d) => {
    const e = (n - 1) * v.strides[d];
    if (e < 0) lo += e;
    else hi += e;
  });
  return numel(v.shape) === 0 ? [v.offset, v.offset] : [lo, hi + 1];
}
// B's panels of `cols` columns: the columns past the edge of the last panel zeroed for all k rows
function zeroTail(dst: Panels, at: number, cols: number, k: number, nr: number) {
  const full = cols % nr;
  if (full === 0) return;
  const base = at + (cols - full) * k;
  for (let p = 0; p < k; p++) dst.fill(0, base + p * nr + full, base + p * nr + nr);
}
// Panels of `rows` rows along k: the last panel, when partly past the edge, zeroed whole before
// its rows are written (one fill: a loop over k zeroing the rows past the edge at each step was 1.5%
// of the digits CNN's step, and a fill per step costs a call per k)
function zeroLastPanel(dst: Panels, at: number, rows: number, k: number, mr: number) {
  const full = rows % mr;
  if (full === 0) return;
  const base = at + (rows - full) * k;
  dst.fill(0, base, base + mr * k);
}

// The op's result, contiguous (a view of scratch reused by the next call), in double on the JS
// GEMM, in float32 on another (the Wasm one). Batches are one GEMM (per group and chunk of
// samples), not one per sample: the small spatial sizes of a CNN's later layers would leave the
// micro-kernel's panels mostly empty. Taps k and positions q are flat over the 1-3 spatial dims
// (the tap tables walk them as three: im2col.ts).
//   conv:          C[o, (n, q)] = W[o, r] . patch[r, (n, q)], then transposed to [n, o, q]
//   convTranspose: cols[(o, k), (n, i)] = W^T[(o, k), c] . x[c, (n, i)], then scatter-added into
//                  the output (col2im): no multiplications by zero taps
//   convWeight:    out[o, r] = G[o, (n, q)] . patch[r, (n, q)]            r = (c, k)
export function convolve(
  op: ConvOp,
  ins: Strided[],
  p: AnyConv,
  outShape: readonly number[],
  gemm: Gemm = jsGemm,
  movement: Movement = jsMovement,
  bias?: Strided,
): Panels {
  const [x, w] = ins;
  const spans = ins.map(span);
  const mv = movementFor(movement, ins, spans, numel);
  // after the GEMM's scratch (from io.free): the staged spans and tables, the queue of rows
  const io = new Staging(mv, ins, spans);
  const size = outShape.reduce((a, b) => a * b, 1);
  const { mr, nr } = gemm;
  const G = p.groups;
  const xs = x.storage!,
    ws = w.storage!;
  const [N, C] = x.shape,
    [xn, xc] = x.strides,
    inS = x.shape.slice(2),
    xS = x.strides.slice(2);
  const Cg = C / G;
  if (op === "convWeight") {
    // x [N, C, ...S], w = g [N, O, ...OS] -> [O, C/G, ...K]: out[o, r] = sum over (n, q) of
    // g[n, o, q] * patch[n][q, r]
    const O = w.shape[1],
      outS = w.shape.slice(2),
      kernel = p.kernel!;
    const Og = O / G,
      T = numel(kernel),
      R = Cg * T,
      Q = numel(outS),
      K = N * Q;
    const [gn, gc] = w.strides;
    // the patches' taps, and g's positions
    const flat = expands(mv, T * Q * N);
    const [taps, grid] = layoutTables(op, ins, p, outShape, flat, () => {
      const t = tapTable(kernel, outS, inS, xS, p.stride, p.padding, p.dilation),
        d = gridTable(outS, w.strides.slice(2));
      return flat ? [overSamples(t, Q, N, xn), overSamples(d, Q, N, gn)] : [t, d];
    });
    // a row of g or of the patches: N runs of Q values, or (expanded tables) one run of K
    const [rn, rq] = flat ? [1, K] : [N, Q];
    // (a table row: rq entries)
    const s = gemm.scratch(
      Math.ceil(Og / mr) * mr * K,
      Math.ceil(R / nr) * nr * K,
      size + io.staged(0, [taps]) + io.staged(1, [grid]) + io.reserve(Og + R),
    );
    io.free = s.c + size;
    const [sx, st] = io.stage(s, 0, [taps]),
      [sg, sd] = io.stage(s, 1, [grid]);
    io.queue(s, Og + R);
    for (let g = 0; g < G; g++) {
      zeroLastPanel(s.A, s.a, Og, K, mr);
      for (let o = 0; o < Og; o++)
        io.push(w.offset + (g * Og + o) * gc + sg, sd, s.a + (o - (o % mr)) * K + (o % mr));
      mv.gatherRows(ws, io.rows, io.rowsAt, io.take(), gn, rn, grid, rq, s.A, 0, mr, 0);
      zeroLastPanel(s.B, s.b, R, K, nr);
      for (let r = 0; r < R; r++) {
        const c = Math.floor(r / T);
        const base = x.offset + (g * Cg + c) * xc;
        io.push(base + sx, st + (r - c * T) * rq, s.b + (r - (r % nr)) * K + (r % nr));
      }
      mv.gatherRows(xs, io.rows, io.rowsAt, io.take(), xn, rn, taps, rq, s.B, 0, nr, 0);
      gemm.multiply(s, g * Og * R, R, Og, R, K);
    }
    return s.C.subarray(s.c, s.c + size);
  }
  const O = outShape[1],
    outS = outShape.slice(2),
    kernel = w.shape.slice(2),
    kS = w.strides.slice(2),
    T = numel(kernel);
  const Og = O / G,
    Q = numel(outS);
  const [w0, w1] = w.strides;
  if (op === "convTranspose") {
    // x [N, C, ...S], w [C, O/G, ...K]: rows m = (o, k) of W^T, k = c; the output position each
    // input position i reaches through each tap (col2im), and x's positions
    const M = Og * T,
      I = numel(inS);
    // the output's (contiguous) strides, for col2im's offsets
    const oS = outS.map((_, d) => numel(outS.slice(d + 1)));
    const ns = Math.max(1, Math.min(N, Math.floor(convSettings.chunk / (M * I)))),
      most = ns * I;
    const flat = expands(mv, T * I * ns);
    const [mRow, cCol, taps, grid] = layoutTables(op, ins, p, outShape, flat, () => {
      const t = tapTable(kernel, inS, outS, oS, p.stride, p.padding, p.dilation),
        d = gridTable(inS, xS);
      return [
        range(M, (m) => {
          const o = Math.floor(m / T);
          return o * w1 + offsetOf(m - o * T, kernel, kS);
        }),
        range(Cg, (c) => c * w0),
        flat ? overSamples(t, I, ns, O * numel(outS)) : t,
        flat ? overSamples(d, I, ns, xn) : d,
      ];
    });
    const [aRows, aStep] = layoutTables(op, ins, p, outShape, flat, () => wasmRows(mRow, cCol), 1);
    // rows of x and of the columns: nb runs of I values, or (expanded tables) one run of nb * I
    const rl = flat ? ns * I : I;
    const colsAt = up4(M * most);
    const s = gemm.scratch(
      Math.ceil(M / mr) * mr * Cg,
      Math.ceil(most / nr) * nr * Cg,
      colsAt + size + io.staged(0, [taps, grid]) + io.staged(1, [aRows]) + io.reserve(M + Cg),
    );
    const out = s.c + colsAt;
    io.free = out + size;
    const [sx, st, sd] = io.stage(s, 0, [taps, grid]);
    // W^T's panels: in Wasm when staged and its columns are evenly spaced, else the JS loop
    const wasmW = mv.staged && aStep[0] >= 0;
    const [sw, sr] = wasmW ? io.stage(s, 1, [aRows]) : [0, 0];
    io.queue(s, M + Cg);
    s.C.fill(0, out, out + size);
    for (let g = 0; g < G; g++) {
      const wb = w.offset + g * Cg * w0;
      if (wasmW) packRows(io, ws, wb + sw, aRows, sr, aStep[0], M, Cg, mr, s.A, s.a, Cg);
      else pack(ws, wb, mRow, cCol, M, Cg, mr, s.A, s.a);
      for (let n0 = 0; n0 < N; n0 += ns) {
        const nb = Math.min(ns, N - n0),
          cols = nb * I;
        for (let c = 0; c < Cg; c++)
          io.push(x.offset + n0 * xn + (g * Cg + c) * xc + sx, sd, s.b + c * nr);
        if (flat)
          mv.gatherRows(xs, io.rows, io.rowsAt, io.take(), 0, 1, grid, cols, s.B, nr, 1, nr * Cg);
        else mv.gatherRows(xs, io.rows, io.rowsAt, io.take(), xn, nb, grid, I, s.B, nr, 1, nr * Cg);
        zeroTail(s.B, s.b, cols, Cg, nr);
        gemm.multiply(s, 0, cols, M, cols, Cg);
        for (let m = 0; m < M; m++) {
          const o = Math.floor(m / T),
            base = out + (n0 * O + g * Og + o) * Q;
          io.push(s.c + m * cols, st + (m - o * T) * rl, base);
        }
        if (flat) mv.scatterRows(s.C, io.rows, io.rowsAt, io.take(), 1, cols, taps, 0);
        else mv.scatterRows(s.C, io.rows, io.rowsAt, io.take(), nb, I, taps, O * Q);
      }
    }
    return s.C.subarray(out, out + size);
  }
  // conv: w [O, C/G, ...K] as [Og, R] rows W[o, (c, k)]
  const R = Cg * T;
  const ns = Math.max(1, Math.min(N, Math.floor(convSettings.chunk / (R * Q)))),
    most = ns * Q;
  const flat = expands(mv, T * Q * ns);
  const [wRow, wCol, taps] = layoutTables(op, ins, p, outShape, flat, () => {
    const t = tapTable(kernel, outS, inS, xS, p.stride, p.padding, p.dilation);
    return [
      range(Og, (o) => o * w0),
      range(R, (r) => {
        const c = Math.floor(r / T);
        return c * w1 + offsetOf(r - c * T, kernel, kS);
      }),
      flat ? overSamples(t, Q, ns, xn) : t,
    ];
  });
  const [aRows, aStep] = layoutTables(op, ins, p, outShape, flat, () => wasmRows(wRow, wCol), 1);
  // a patch row: nb runs of Q values, or (expanded tables) one run of nb * Q
  const rl = flat ? most : Q;
  // `bias` (a compiled conv + per-channel bias, wasm/conv-chain.ts): added by the GEMM as one more
  // k step, W's column of biases against a row of ones (the epilogue left is then often flat)
  const K = bias ? R + 1 : R;
  // one sample per chunk: the product lands in place; more: in [o, (n, q)] order, then transposed
  const direct = ns === 1;
  const prodAt = direct ? 0 : up4(Og * most);
  const s = gemm.scratch(
    Math.ceil(Og / mr) * mr * K,
    Math.ceil(most / nr) * nr * K,
    prodAt + size + io.staged(0, [taps]) + io.staged(1, [aRows]) + io.reserve(R + Og),
  );
  const out = s.c + prodAt,
    Cs = s.C;
  io.free = out + size;
  const [sx, st] = io.stage(s, 0, [taps]);
  // W's panels: in Wasm when staged and its columns are evenly spaced, else the JS loop
  const wasmW = mv.staged && aStep[0] >= 0;
  const [sw, sr] = wasmW ? io.stage(s, 1, [aRows]) : [0, 0];
  io.queue(s, R + Og);
  for (let g = 0; g < G; g++) {
    const wb = w.offset + g * Og * w0;
    if (wasmW) packRows(io, ws, wb + sw, aRows, sr, aStep[0], Og, R, mr, s.A, s.a, K);
    else pack(ws, wb, wRow, wCol, Og, R, mr, s.A, s.a, K);
    if (bias)
      for (let o = 0, rows = Math.ceil(Og / mr) * mr; o < rows; o++)
        s.A[s.a + (o - (o % mr)) * K + R * mr + (o % mr)] =
          o < Og ? bias.storage![bias.offset + (g * Og + o) * bias.strides[0]] : 0;
    for (let n0 = 0; n0 < N; n0 += ns) {
      const nb = Math.min(ns, N - n0),
        cols = nb * Q;
      for (let r = 0; r < R; r++) {
        const c = Math.floor(r / T);
        io.push(x.offset + n0 * xn + (g * Cg + c) * xc + sx, st + (r - c * T) * rl, s.b + r * nr);
      }
      const [rn, rq] = flat ? [1, cols] : [nb, Q];
      mv.gatherRows(xs, io.rows, io.rowsAt, io.take(), xn, rn, taps, rq, s.B, nr, 1, nr * K);
      // (panel by panel, no fill() call per panel: a % per column was the costliest line here)
      if (bias)
        for (let j0 = 0; j0 < cols; j0 += nr)
          for (let d = s.b + j0 * K + R * nr, e = d + Math.min(nr, cols - j0); d < e; d++)
            s.B[d] = 1;
      zeroTail(s.B, s.b, cols, K, nr);
      if (direct) {
        gemm.multiply(s, prodAt + (n0 * O + g * Og) * Q, Q, Og, Q, K);
        continue;
      }
      gemm.multiply(s, 0, cols, Og, cols, K);
      // [o, (n, q)] -> out[n0 + n, g * Og + o, q]
      mv.blocks(Cs, s.c, cols, Q, out + (n0 * O + g * Og) * Q, Q, O * Q, Og, nb, Q);
    }
  }
  return Cs.subarray(out, out + size);
}

// Eagerly: the result copied into the output view (rounded to its dtype as it is stored).
export function eagerConv(op: ConvOp, ins: Strided[], out: Strided, p: AnyConv): void {
  copyOut(convolve(op, ins, p, out.shape), out);
}

// a contiguous result into an output view (any rank)
export function copyOut(r: Panels, out: Strided): void {
  const o = out.storage!,
    rank = out.shape.length,
    n = out.shape[rank - 1],
    s = out.strides[rank - 1],
    lead = out.shape.slice(0, -1),
    lines = numel(lead);
  if (n === 0) return;
  for (let line = 0, t = 0; line < lines; line++) {
    const base = out.offset + offsetOf(line, lead, out.strides);
    for (let l = 0; l < n; l++) o[base + l * s] = r[t++];
  }
}

// The compiled kernel: the routine with the operands' views and params baked in, then a loop over
// the result running the epilogue and store of each element.
export function emitConv(k: LoopKernel, op: string, callee = "convolve"): string {
  const kc = k.kernel!;
  const sizes = k.sizes as number[];
  const json = (v: unknown): E.Expression => ({
    type: "Literal",
    value: null,
    raw: JSON.stringify(v),
  });
  const view = (
    buf: string,
    v: { shape: readonly number[]; strides: readonly number[]; offset: number },
  ) =>
    ({
      type: "ObjectExpression",
      properties: [
        ["storage", id(buf)],
        ["shape", json(v.shape)],
        ["strides", json(v.strides)],
        ["offset", num(v.offset)],
      ].map(([key, value]) => ({
        type: "Property",
        key: id(key as string),
        value: value as E.Expression,
        kind: "init",
        computed: false,
        method: false,
        shorthand: false,
      })),
    }) as E.Expression;
  const invariant = invariants(k);
  const flat = linear(
    sizes.map((_, d) => [id(`i${d}`), sizes.slice(d + 1).reduce((a, b) => a * b, 1)]),
    0,
  );
  const b = bodyAt(
    k,
    (d) => id(`i${d}`),
    (n) => n,
    invariant,
  );
  let body: E.Statement[] = [
    decl("const", kc.acc, index(id("S"), flat)),
    ...b.temps("all"),
    ...b.stores("all"),
  ];
  for (let d = sizes.length - 1; d >= 0; d--) body = [loop(`i${d}`, num(sizes[d]), body)];
  const run = decl(
    "const",
    "S",
    call(id(callee), [
      json(op),
      { type: "ArrayExpression", elements: kc.operands.map((o) => view(o.buf, o.view)) },
      json(kc.params),
      json(sizes),
    ]),
  );
  const hoisted = b.temps("invariant");
  return print(functionDecl(k.name, k.params, [...hoisted, run, ...body], k.comments));
}
