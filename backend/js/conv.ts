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
  // add: C += A . B instead of C = A . B
  multiply(
    s: Scratch,
    out: number,
    ldc: number,
    m: number,
    n: number,
    k: number,
    add?: boolean,
  ): void;
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
  result = new Float64Array(0),
  sum = new Float64Array(0);
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
  multiply(s, out, ldc, m, n, k, add) {
    // (tiles reads panels from index 0: a scratch whose panels start later is a view from there)
    const A = (s.a ? s.A.subarray(s.a) : s.A) as Float64Array,
      B = (s.b ? s.B.subarray(s.b) : s.B) as Float64Array;
    if (!add) return tiles(A, B, s.C, out, ldc, 1, m, n, k);
    sum = ensure(sum, m * n);
    tiles(A, B, sum, 0, n, 1, m, n, k);
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) s.C[out + i * ldc + j] += sum[i * n + j];
  },
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
// gather has no per-sample loop (with the small spatial sizes of a CNN's later layers, one to four
// positions a sample, that loop cost more than the values it moved).
function overSamples(tab: Int32Array, L: number, ns: number, xn: number): Int32Array {
  const rows = L ? tab.length / L : 0,
    t = new Int32Array(rows * ns * L);
  for (let r = 0, i = 0; r < rows; r++)
    for (let n = 0; n < ns; n++)
      for (let q = r * L, end = q + L; q < end; q++, i++) t[i] = tab[q] < 0 ? -1 : n * xn + tab[q];
  return t;
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
  make: () => Int32Array[],
  expand = 0, // (the samples the tables are expanded over: 0, none)
): Int32Array[] {
  const parts: Part[] = [
    expand,
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
    convSettings.direct,
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
// taken in chunks of samples, so the panels a chunk's gathers write and its GEMM reads stay in
// the L2 cache (128 KB of float32), and scratch stays bounded for large inputs. (With all of
// LeNet's batch at once, 2.5 MB of panels, each patch row's pass over them went to memory: the
// gathers ran 3x slower and the GEMM streamed.) (tests lower it to run the chunked path)
// `direct`: a conv whose samples have at least this many output positions gives each sample its
// own panels and GEMM, storing the product in place (LeNet's 784 and 100); fewer (the digits CNN's
// 16, 4 and 1): one GEMM over the chunk's samples, their patch rows one run through tables
// expanded over the samples, the product moved to [n, o, q] by a block copy (per-sample GEMMs of
// a few columns would leave the panels mostly empty and cost a call each). The weight gradient
// (positions q) and the transposed conv (input positions i) expand their tables below it too.
export const convSettings = { chunk: 1 << 15, direct: 32 };
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
// A's panels of `rows` rows along k: the last panel, when ragged, zeroed whole (one contiguous
// fill, before its rows are gathered over it: zeroing only the rows past the edge was a strided
// loop over k, 2.5% of LeNet's step)
function zeroRows(dst: Panels, at: number, rows: number, k: number, mr: number) {
  const full = rows % mr;
  if (full === 0) return;
  const base = at + (rows - full) * k;
  dst.fill(0, base, base + mr * k);
}

// The op's result, contiguous (a view of scratch reused by the next call), in double on the JS
// GEMM, in float32 on another (the Wasm one). The batch goes in chunks of samples whose panels fit
// the L2 cache (convSettings.chunk), each chunk's patches gathered in one call per operand. Taps k
// and positions q are flat over the 1-3 spatial dims (the tap tables walk them as three:
// im2col.ts).
//   conv:          C[o, q] = W[o, r] . patch[r, q] per sample, the samples' patch columns each
//                  starting a panel, so each product lands in place in [n, o, q]; with few
//                  positions a sample C[o, (n, q)] over the chunk, then moved to [n, o, q]
//   convTranspose: cols[(o, k), (n, i)] = W^T[(o, k), c] . x[c, (n, i)], then scatter-added into
//                  the output (col2im): no multiplications by zero taps
//   convWeight:    out[o, r] = G[o, (n, q)] . patch[r, (n, q)], r = (c, k), the chunks' products
//                  added
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
  // the data movement stages the operands' spans next to the product, unless one is much wider
  // than its elements (a view into a larger tensor): then it runs here, reading them in place
  const spans = ins.map(span);
  const mv =
    movement.staged && ins.every((v, i) => spans[i][1] - spans[i][0] <= 2 * numel(v.shape) + 64)
      ? movement
      : jsMovement;
  // after the GEMM's scratch (from `free`): the staged spans and tables
  let free = 0;
  const stage = (s: Scratch, v: number, tabs: Int32Array[], Q: number): number[] => {
    const src = mv.source(s.C, free, ins[v].storage!, spans[v][0], spans[v][1]);
    free += up4(spans[v][1] - spans[v][0]);
    return [
      src,
      ...tabs.map((t) => {
        const at = mv.table(s.C, free, t, Q);
        free += mv.tableSize(t, Q);
        return at;
      }),
    ];
  };
  const staged = (v: number, tabs: Int32Array[], Q: number) =>
    mv.staged
      ? up4(spans[v][1] - spans[v][0]) + tabs.reduce((a, t) => a + mv.tableSize(t, Q), 0)
      : 0;
  // a table staged alone (the last, shorter chunk's expanded table; none when empty)
  const extraSize = (t: Int32Array, L: number) => (t.length ? mv.tableSize(t, L) : 0);
  const extra = (s: Scratch, t: Int32Array, L: number) => {
    if (!t.length) return 0;
    const at = mv.table(s.C, free, t, L);
    free += mv.tableSize(t, L);
    return at;
  };
  const none = new Int32Array(0);
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
    // g[n, o, q] * patch[n][q, r], k = (n, q) in chunks of samples, each chunk's product added
    const O = w.shape[1],
      outS = w.shape.slice(2),
      kernel = p.kernel!;
    const Og = O / G,
      T = numel(kernel),
      R = Cg * T,
      Q = numel(outS);
    const [gn, gc] = w.strides;
    const rowsA = Math.ceil(Og / mr) * mr,
      rowsB = Math.ceil(R / nr) * nr;
    const ns = Math.max(1, Math.min(N, Math.floor(convSettings.chunk / ((rowsA + rowsB) * Q)))),
      last = N % ns || ns;
    // the patches' taps, and g's positions; with few positions a sample, expanded over the chunk's
    // samples (a row one run: no per-sample loop), the last, shorter chunk with its own
    const flat = mv.staged && Q < convSettings.direct;
    const [taps, grid, tapsLast, gridLast] = layoutTables(
      op,
      ins,
      p,
      outShape,
      () => {
        const t = tapTable(kernel, outS, inS, xS, p.stride, p.padding, p.dilation),
          d = gridTable(outS, w.strides.slice(2));
        if (!flat) return [t, d, none, none];
        const short = last !== ns;
        return [
          overSamples(t, Q, ns, xn),
          overSamples(d, Q, ns, gn),
          short ? overSamples(t, Q, last, xn) : none,
          short ? overSamples(d, Q, last, gn) : none,
        ];
      },
      flat ? ns : 0,
    );
    const L = flat ? ns * Q : Q; // (a table row's length)
    const s = gemm.scratch(
      rowsA * ns * Q,
      rowsB * ns * Q,
      size +
        staged(0, [taps], L) +
        staged(1, [grid], L) +
        extraSize(tapsLast, last * Q) +
        extraSize(gridLast, last * Q),
    );
    free = s.c + size;
    const [sx, st] = stage(s, 0, [taps], L),
      [sg, sd] = stage(s, 1, [grid], L);
    const stl = extra(s, tapsLast, last * Q),
      sdl = extra(s, gridLast, last * Q);
    if (N === 0) s.C.fill(0, s.c, s.c + size); // no chunk: an empty sum
    for (let g = 0; g < G; g++)
      for (let n0 = 0; n0 < N; n0 += ns) {
        const nb = Math.min(ns, N - n0),
          K = nb * Q;
        // A: g's rows o, B: the patch rows r, each down its panel along k
        zeroRows(s.A, s.a, Og, K, mr);
        const gb = w.offset + n0 * gn + g * Og * gc + sg,
          xb = x.offset + n0 * xn + g * Cg * xc + sx;
        if (flat) {
          const full = nb === ns;
          const [td, ad, tt, at] = full ? [grid, sd, taps, st] : [gridLast, sdl, tapsLast, stl];
          mv.gather(ws, gb, 0, 1, td, ad, K, s.A, s.a, 0, mr, 0, Og, 1, gc, mr, 1, mr * K, false);
          zeroRows(s.B, s.b, R, K, nr);
          mv.gather(xs, xb, 0, 1, tt, at, K, s.B, s.b, 0, nr, 0, R, T, xc, nr, 1, nr * K, false);
        } else {
          mv.gather(
            ws,
            gb,
            gn,
            nb,
            grid,
            sd,
            Q,
            s.A,
            s.a,
            0,
            mr,
            0,
            Og,
            1,
            gc,
            mr,
            1,
            mr * K,
            false,
          );
          zeroRows(s.B, s.b, R, K, nr);
          mv.gather(
            xs,
            xb,
            xn,
            nb,
            taps,
            st,
            Q,
            s.B,
            s.b,
            0,
            nr,
            0,
            R,
            T,
            xc,
            nr,
            1,
            nr * K,
            false,
          );
        }
        gemm.multiply(s, g * Og * R, R, Og, R, K, n0 > 0);
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
      most = ns * I,
      last = N % ns || ns;
    // with few input positions a sample, the tables expanded over the chunk's samples (a row one
    // run: no per-sample loop in the gather or col2im), the last, shorter chunk with its own
    const flat = mv.staged && I < convSettings.direct;
    const [mRow, cCol, taps, grid, tapsLast, gridLast, wTaps] = layoutTables(
      op,
      ins,
      p,
      outShape,
      () => {
        const t = tapTable(kernel, inS, outS, oS, p.stride, p.padding, p.dilation),
          d = gridTable(inS, xS);
        const short = flat && last !== ns;
        return [
          range(M, (m) => {
            const o = Math.floor(m / T);
            return o * w1 + offsetOf(m - o * T, kernel, kS);
          }),
          range(Cg, (c) => c * w0),
          flat ? overSamples(t, I, ns, O * Q) : t,
          flat ? overSamples(d, I, ns, xn) : d,
          short ? overSamples(t, I, last, O * Q) : none,
          short ? overSamples(d, I, last, xn) : none,
          // W^T's rows m = (o, tap) as the gather's rows: per tap, the offsets of its Cg values
          range(T * Cg, (i) => offsetOf(Math.floor(i / Cg), kernel, kS) + (i % Cg) * w0),
        ];
      },
      flat ? ns : 0,
    );
    const L = flat ? most : I; // (a table row's length)
    const colsAt = up4(M * most);
    const s = gemm.scratch(
      Math.ceil(M / mr) * mr * Cg,
      Math.ceil(most / nr) * nr * Cg,
      colsAt +
        size +
        staged(0, [taps, grid], L) +
        extraSize(tapsLast, last * I) +
        extraSize(gridLast, last * I) +
        staged(1, [wTaps], Cg),
    );
    const out = s.c + colsAt;
    free = out + size;
    const [sx, st, sd] = stage(s, 0, [taps, grid], L);
    const stl = extra(s, tapsLast, last * I),
      sdl = extra(s, gridLast, last * I);
    // W^T's panels gathered down k by the movement (in Wasm when staged), the last panel zeroed
    const [sw, swt] = mv.staged ? stage(s, 1, [wTaps], Cg) : [0, 0];
    s.C.fill(0, out, out + size);
    for (let g = 0; g < G; g++) {
      const wb = w.offset + g * Cg * w0;
      if (mv.staged) {
        zeroRows(s.A, s.a, M, Cg, mr);
        mv.gather(
          ws,
          wb + sw,
          0,
          1,
          wTaps,
          swt,
          Cg,
          s.A,
          s.a,
          0,
          mr,
          0,
          M,
          T,
          w1,
          mr,
          1,
          mr * Cg,
          false,
        );
      } else pack(ws, wb, mRow, cCol, M, Cg, mr, s.A, s.a);
      for (let n0 = 0; n0 < N; n0 += ns) {
        const nb = Math.min(ns, N - n0),
          cols = nb * I;
        // B: x's channels c as rows of its panels
        const base = x.offset + n0 * xn + g * Cg * xc + sx;
        const at = out + (n0 * O + g * Og) * Q;
        // flat: the chunk's samples are one run of cols table entries (its own tables for the
        // last, shorter chunk), its columns' rows m = (o, tap) added into the output in one call
        const [td, ad, tt, a2] =
          flat && nb !== ns ? [gridLast, sdl, tapsLast, stl] : [grid, sd, taps, st];
        const [xStep, count, len] = flat ? [0, 1, cols] : [xn, nb, I];
        mv.gather(
          xs,
          base,
          xStep,
          count,
          td,
          ad,
          len,
          s.B,
          s.b,
          nr,
          1,
          nr * Cg,
          Cg,
          1,
          xc,
          Cg,
          nr,
          0,
          false,
        );
        zeroTail(s.B, s.b, cols, Cg, nr);
        gemm.multiply(s, 0, cols, M, cols, Cg);
        mv.scatter(s.C, s.c, count, len, tt, a2, s.C, at, flat ? 0 : O * Q, M, T, cols, Q);
      }
    }
    return s.C.subarray(out, out + size);
  }
  // conv: w [O, C/G, ...K] as [Og, R] rows W[o, (c, k)]. `bias` (a compiled conv + per-channel
  // bias, wasm/conv-chain.ts): added by the GEMM as one more k step, W's column of biases against
  // a row of ones (the epilogue left is then often flat)
  const R = Cg * T,
    K = bias ? R + 1 : R;
  const direct = Q >= convSettings.direct;
  // direct: each sample's patch columns start a panel of their own (gatherBlock's `align`), so
  // each sample's product is one GEMM storing it in place in [n, o, q] order
  const perSample = direct ? Math.ceil(Q / nr) * nr * K : Q * K; // B's values of one sample
  const ns = Math.max(1, Math.min(N, Math.floor(convSettings.chunk / perSample))),
    last = N % ns || ns;
  // otherwise the patch rows of a chunk of ns samples are one run each (tables expanded over the
  // samples; the last, shorter chunk has its own)
  const flat = !direct && mv.staged;
  const [wRow, wCol, taps, tapsLast] = layoutTables(
    op,
    ins,
    p,
    outShape,
    () => {
      const t = tapTable(kernel, outS, inS, xS, p.stride, p.padding, p.dilation);
      return [
        range(Og, (o) => o * w0),
        range(R, (r) => {
          const c = Math.floor(r / T);
          return c * w1 + offsetOf(r - c * T, kernel, kS);
        }),
        flat ? overSamples(t, Q, ns, xn) : t,
        flat && last !== ns ? overSamples(t, Q, last, xn) : none,
      ];
    },
    flat ? ns : 0,
  );
  // the product of a chunk in [o, (n, q)] order before its move (not direct)
  const prodAt = direct ? 0 : up4(Og * ns * Q);
  const s = gemm.scratch(
    Math.ceil(Og / mr) * mr * K,
    direct ? ns * perSample : Math.ceil((ns * Q) / nr) * nr * K,
    prodAt +
      size +
      staged(0, [taps], flat ? ns * Q : Q) +
      extraSize(tapsLast, last * Q) +
      staged(1, [wCol], R),
  );
  const out = s.c + prodAt,
    Cs = s.C;
  free = out + size;
  const [sx, st] = stage(s, 0, [taps], flat ? ns * Q : Q);
  const stl = extra(s, tapsLast, last * Q);
  // W's panels gathered down k by the movement (in Wasm when staged: packing in JS was 4% of the
  // digits CNN's step), the last panel zeroed first
  const [sw, sc] = mv.staged ? stage(s, 1, [wCol], R) : [0, 0];
  for (let g = 0; g < G; g++) {
    const wb = w.offset + g * Og * w0;
    if (mv.staged) {
      zeroRows(s.A, s.a, Og, K, mr);
      mv.gather(
        ws,
        wb + sw,
        0,
        1,
        wCol,
        sc,
        R,
        s.A,
        s.a,
        0,
        mr,
        0,
        Og,
        1,
        w0,
        mr,
        1,
        mr * K,
        false,
      );
    } else pack(ws, wb, wRow, wCol, Og, R, mr, s.A, s.a, K);
    if (bias)
      for (let o = 0, rows = Math.ceil(Og / mr) * mr; o < rows; o++)
        s.A[s.a + (o - (o % mr)) * K + R * mr + (o % mr)] =
          o < Og ? bias.storage![bias.offset + (g * Og + o) * bias.strides[0]] : 0;
    for (let n0 = 0; n0 < N; n0 += ns) {
      const nb = Math.min(ns, N - n0),
        cols = nb * Q;
      const base = x.offset + n0 * xn + g * Cg * xc + sx;
      if (direct) {
        mv.gather(xs, base, xn, nb, taps, st, Q, s.B, s.b, nr, 1, nr * K, R, T, xc, R, nr, 0, true);
        // the bias's row of ones, panel by panel (columns past Q: their products are not stored)
        if (bias)
          for (let d = s.b + R * nr, e = s.b + nb * perSample; d < e; d += nr * K)
            for (let j = d; j < d + nr; j++) s.B[j] = 1;
        for (let n = 0; n < nb; n++)
          gemm.multiply(
            { ...s, b: s.b + n * perSample },
            prodAt + ((n0 + n) * O + g * Og) * Q,
            Q,
            Og,
            Q,
            K,
          );
        continue;
      }
      // flat: the chunk's samples are one run of cols table entries (its own tables for the last,
      // shorter chunk)
      const [tab, t0] = flat && nb !== ns ? [tapsLast, stl] : [taps, st];
      const [xStep, count, len] = flat ? [0, 1, cols] : [xn, nb, Q];
      mv.gather(
        xs,
        base,
        xStep,
        count,
        tab,
        t0,
        len,
        s.B,
        s.b,
        nr,
        1,
        nr * K,
        R,
        T,
        xc,
        R,
        nr,
        0,
        false,
      );
      // (panel by panel, no fill() call per panel: a % per column was the costliest line here)
      if (bias)
        for (let j0 = 0; j0 < cols; j0 += nr)
          for (let d = s.b + j0 * K + R * nr, e = d + Math.min(nr, cols - j0); d < e; d++)
            s.B[d] = 1;
      zeroTail(s.B, s.b, cols, K, nr);
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
