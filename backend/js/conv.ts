// Convolutions as implicit GEMMs over the matmul micro-kernel (gemm.ts `tiles`): no im2col buffer,
// the input patches are packed into the micro-kernel's panels on the fly, reading the (virtually)
// padded input through index arithmetic, zeros outside. Per batch element and group:
//   conv:          out[o, q]  = W[o, r] . patch[r, q]          r = (c, ...k), q = output position
//   convTranspose: out[o, q]  = W^T[o, r] . patch^T[r, q]      (a gather: the input position
//                  that reaches output q through tap k, when the stride divides it)
//   convWeight:    out[o, r]  = G[o, (n, q)] . patch[r, (n, q)] (one GEMM over the whole batch)
// over 1-3 spatial dims (as many as the params' lists).
// Results are accumulated in double into a contiguous scratch (returned); eagerly it is copied
// into the output, and a compiled kernel runs its epilogue (bias add, relu, ...) on each element
// of it as it stores (backend/js/kernels.ts).
import type * as E from "estree";
import type { ConvParams, ConvTransposeParams, ConvWeightParams } from "../../ir/ops/conv";
import type { Strided } from "../backend";
import type { LoopKernel } from "../plan";
import { bodyAt, invariants } from "./body";
import { call, decl, functionDecl, id, index, linear, loop, num, print } from "./estree";
import { PANEL, tiles } from "./gemm";

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
// One tight loop over offset tables, so the hot path has no calls and no divisions.
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
) {
  for (let i0 = 0; i0 < rows; i0 += W) {
    const b = at + i0 * k;
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
// For the patch of output position q and tap r = (c, ...k): the input offset (c, ...i) or -1, as a
// [Q, R] table; a convolution reads i = o * s - p + k * d along each spatial dim, a transposed one
// the i with i * s - p + k * d = o (when the stride divides it). 1-3 spatial dims, as three (leading
// dims of size 1 and stride 0), so that one loop nest serves every rank.
function patchTable(
  out: readonly number[],
  Cg: number,
  kernel: readonly number[],
  x: Strided,
  p: ConvParams,
  transposed: boolean,
): Int32Array {
  const [OD, OH, OW] = three(out, 1),
    [KD, KH, KW] = three(kernel, 1);
  const R = Cg * KD * KH * KW,
    t = new Int32Array(OD * OH * OW * R);
  const [D, H, Wd] = three(x.shape.slice(2), 1),
    [xd, xh, xw] = three(x.strides.slice(2), 0),
    xc = x.strides[1];
  const [sd, sh, sw] = three(p.stride, 1),
    [pd, ph, pw] = three(p.padding, 0),
    [dd, dh, dw] = three(p.dilation, 1);
  // the input position along one dim that output o reads through tap k, or -1
  const at = (o: number, k: number, s: number, pad: number, dil: number, n: number) => {
    let i: number;
    if (transposed) {
      const u = o + pad - k * dil;
      i = u % s === 0 ? u / s : -1;
    } else i = o * s - pad + k * dil;
    return i >= 0 && i < n ? i : -1;
  };
  let e = 0;
  for (let od = 0; od < OD; od++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++)
        for (let c = 0; c < Cg; c++)
          for (let kd = 0; kd < KD; kd++) {
            const id = at(od, kd, sd, pd, dd, D);
            for (let kh = 0; kh < KH; kh++) {
              const ih = at(oh, kh, sh, ph, dh, H);
              for (let kw = 0; kw < KW; kw++, e++) {
                const iw = at(ow, kw, sw, pw, dw, Wd);
                t[e] = id < 0 || ih < 0 || iw < 0 ? -1 : c * xc + id * xd + ih * xh + iw * xw;
              }
            }
          }
  return t;
}
// the spatial sizes (or strides, params) padded to three in front with `fill`
const three = (xs: readonly number[], fill: number) => [
  ...new Array<number>(3 - xs.length).fill(fill),
  ...xs,
];
const numel = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
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
const range = (n: number, f: (i: number) => number) => {
  const r = new Int32Array(n);
  for (let i = 0; i < n; i++) r[i] = f(i);
  return r;
};

// The offset tables of a convolution depend only on its layout (shapes, strides, params), which a
// training step repeats every call: built once per layout (profiling the digits CNN step, building
// them took ~10% of it). A few dozen layouts at most are kept.
const layouts = new Map<string, Int32Array[]>();
function layoutTables(
  op: ConvOp,
  x: Strided,
  w: Strided,
  p: AnyConv,
  outShape: readonly number[],
  make: () => Int32Array[],
): Int32Array[] {
  const key = `${op}|${x.shape}|${x.strides}|${w.shape}|${w.strides}|${outShape}|${JSON.stringify(p)}`;
  let t = layouts.get(key);
  if (!t) {
    if (layouts.size >= 64) layouts.clear();
    t = make();
    layouts.set(key, t);
  }
  return t;
}

// The op's result, contiguous (a view of scratch reused by the next call), in double on the JS
// GEMM, in float32 on another (the Wasm one).
export function convolve(
  op: ConvOp,
  [x, w]: Strided[],
  p: AnyConv,
  outShape: readonly number[],
  gemm: Gemm = jsGemm,
): Panels {
  const size = outShape.reduce((a, b) => a * b, 1);
  const { mr, nr } = gemm;
  const G = p.groups;
  const xs = x.storage!,
    ws = w.storage!;
  const [xn, xc] = x.strides;
  if (op === "convWeight") {
    // x [N, C, ...S], w = g [N, O, ...OS] -> [O, C/G, ...K]: out[o, r] = sum over (n, q) of
    // g[n, o, q] * patch[n][q, r]
    const [N, C] = x.shape,
      O = w.shape[1],
      kernel = p.kernel!,
      outS = w.shape.slice(2);
    const Cg = C / G,
      Og = O / G,
      R = Cg * numel(kernel),
      Q = numel(outS),
      K = N * Q;
    const [gn, gc] = w.strides;
    // by (n, q): g's offsets along k; the patches' rows are the taps r, so the table is transposed
    const [table, gCol, oRow] = layoutTables(op, x, w, p, outShape, () => [
      patchTable(outS, Cg, kernel, x, p, false),
      range(K, (t) => {
        const n = Math.floor(t / Q);
        return n * gn + offsetOf(t - n * Q, outS, w.strides.slice(2));
      }),
      range(Og, (o) => o * gc),
    ]);
    const s = gemm.scratch(Math.ceil(Og / mr) * mr * K, Math.ceil(R / nr) * nr * K, size);
    const panelB = s.B;
    for (let g = 0; g < G; g++) {
      pack(ws, w.offset + g * Og * gc, oRow, gCol, Og, K, mr, s.A, s.a);
      // the patches transposed: rows r, k along (n, q)
      for (let i0 = 0; i0 < R; i0 += nr) {
        const b = s.b + i0 * K;
        for (let rr = 0; rr < nr; rr++) {
          const r = i0 + rr;
          if (r >= R) {
            for (let t = 0; t < K; t++) panelB[b + t * nr + rr] = 0;
            continue;
          }
          for (let n = 0, t = 0; n < N; n++) {
            const base = x.offset + n * xn + g * Cg * xc;
            for (let q = 0; q < Q; q++, t++) {
              const o = table[q * R + r];
              panelB[b + t * nr + rr] = o < 0 ? 0 : xs[base + o];
            }
          }
        }
      }
      gemm.multiply(s, g * Og * R, R, Og, R, K);
    }
    return s.C.subarray(s.c, s.c + size);
  }
  // conv: w [O, C/G, ...K]; convTranspose: w [C, O/G, ...K]
  const transposed = op === "convTranspose";
  const [N, C] = x.shape,
    O = outShape[1],
    kernel = w.shape.slice(2),
    KK = numel(kernel);
  const Cg = C / G,
    Og = O / G,
    R = Cg * KK,
    Q = numel(outShape.slice(2));
  const [w0, w1] = w.strides;
  // the weight as [Og, R] rows: W[o, (c, ...k)]
  const [table, wCol, wRow, qRow, rCol] = layoutTables(op, x, w, p, outShape, () => [
    patchTable(outShape.slice(2), Cg, kernel, x, p, transposed),
    range(R, (r) => {
      const c = Math.floor(r / KK);
      return (transposed ? c * w0 : c * w1) + offsetOf(r - c * KK, kernel, w.strides.slice(2));
    }),
    range(Og, (o) => (transposed ? o * w1 : o * w0)),
    range(Q, (q) => q * R),
    range(R, (r) => r),
  ]);
  const s = gemm.scratch(Math.ceil(Og / mr) * mr * R, Math.ceil(Q / nr) * nr * R, size);
  for (let g = 0; g < G; g++) {
    const wBase = w.offset + (transposed ? g * Cg * w0 : g * Og * w0);
    pack(ws, wBase, wRow, wCol, Og, R, mr, s.A, s.a);
    for (let n = 0; n < N; n++) {
      packPatches(xs, x.offset + n * xn + g * Cg * xc, table, qRow, rCol, Q, R, nr, s.B, s.b);
      gemm.multiply(s, (n * O + g * Og) * Q, Q, Og, Q, R);
    }
  }
  return s.C.subarray(s.c, s.c + size);
}

// pack() for the patches: value (q, r) = src[base + table[q * R + r]], 0 where that is -1
function packPatches(
  src: ArrayLike<number>,
  base: number,
  table: Int32Array,
  qRow: Int32Array,
  rCol: Int32Array,
  rows: number,
  k: number,
  W: number,
  dst: Panels,
  at: number,
) {
  for (let i0 = 0; i0 < rows; i0 += W) {
    const b = at + i0 * k;
    for (let r = 0; r < W; r++) {
      const row = i0 + r;
      if (row >= rows) {
        for (let p = 0; p < k; p++) dst[b + p * W + r] = 0;
        continue;
      }
      const t0 = qRow[row];
      for (let p = 0; p < k; p++) {
        const o = table[t0 + rCol[p]];
        dst[b + p * W + r] = o < 0 ? 0 : src[base + o];
      }
    }
  }
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
