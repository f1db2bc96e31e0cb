// Convolutions as implicit GEMMs over the matmul micro-kernel (gemm.ts `tiles`): no im2col buffer,
// the input patches are packed into the micro-kernel's panels on the fly, reading the (virtually)
// padded input through index arithmetic, zeros outside. Per batch element and group:
//   conv2d:          out[o, q]  = W[o, r] . patch[r, q]          r = (c, kh, kw), q = (oh, ow)
//   convTranspose2d: out[o, q]  = W^T[o, r] . patch^T[r, q]      (a gather: the input position
//                    that reaches output q through tap (kh, kw), when the stride divides it)
//   conv2dWeight:    out[o, r]  = G[o, (n, q)] . patch[r, (n, q)] (one GEMM over the whole batch)
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

export type ConvOp = "conv2d" | "convTranspose2d" | "conv2dWeight";
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
// For the patch of output position q and tap r = (c, kh, kw): the input offset (c, ih, iw) or -1,
// as a [Q, R] table; conv2d reads ih = oh * s - p + kh * d, a transposed convolution the ih with
// ih * s - p + kh * d = oh (when the stride divides it).
function patchTable(
  Q: number,
  OW: number,
  Cg: number,
  KH: number,
  KW: number,
  x: Strided,
  p: ConvParams,
  transposed: boolean,
): Int32Array {
  const R = Cg * KH * KW,
    t = new Int32Array(Q * R);
  const [H, Wd] = [x.shape[2], x.shape[3]],
    [, xc, xh, xw] = x.strides;
  const [sh, sw] = p.stride,
    [ph, pw] = p.padding,
    [dh, dw] = p.dilation;
  for (let q = 0; q < Q; q++) {
    const oh = Math.floor(q / OW),
      ow = q - oh * OW;
    let r = 0;
    for (let c = 0; c < Cg; c++)
      for (let kh = 0; kh < KH; kh++)
        for (let kw = 0; kw < KW; kw++, r++) {
          let ih: number, iw: number;
          if (transposed) {
            const th = oh + ph - kh * dh,
              tw = ow + pw - kw * dw;
            ih = th % sh === 0 ? th / sh : -1;
            iw = tw % sw === 0 ? tw / sw : -1;
          } else {
            ih = oh * sh - ph + kh * dh;
            iw = ow * sw - pw + kw * dw;
          }
          t[q * R + r] = ih >= 0 && ih < H && iw >= 0 && iw < Wd ? c * xc + ih * xh + iw * xw : -1;
        }
  }
  return t;
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
  if (op === "conv2dWeight") {
    // x [N, C, H, W], w = g [N, O, OH, OW] -> [O, C/G, KH, KW]: out[o, r] = sum over (n, q) of
    // g[n, o, q] * patch[n][q, r]
    const [N, C] = x.shape,
      [, O, OH, OW] = w.shape,
      [KH, KWd] = p.kernel!;
    const Cg = C / G,
      Og = O / G,
      R = Cg * KH * KWd,
      Q = OH * OW,
      K = N * Q;
    const [gn, gc, gh, gw] = w.strides;
    // by (n, q): g's offsets along k; the patches' rows are the taps r, so the table is transposed
    const [table, gCol, oRow] = layoutTables(op, x, w, p, outShape, () => [
      patchTable(Q, OW, Cg, KH, KWd, x, p, false),
      range(K, (t) => {
        const n = Math.floor(t / Q),
          q = t - n * Q,
          oh = Math.floor(q / OW);
        return n * gn + oh * gh + (q - oh * OW) * gw;
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
  // conv2d: w [O, C/G, KH, KW]; convTranspose2d: w [C, O/G, KH, KW]
  const transposed = op === "convTranspose2d";
  const [N, C] = x.shape,
    [, O, OH, OW] = outShape;
  const KH = w.shape[2],
    KWd = w.shape[3];
  const Cg = C / G,
    Og = O / G,
    R = Cg * KH * KWd,
    Q = OH * OW;
  const [w0, w1, w2, w3] = w.strides;
  // the weight as [Og, R] rows: W[o, (c, kh, kw)]
  const [table, wCol, wRow, qRow, rCol] = layoutTables(op, x, w, p, outShape, () => [
    patchTable(Q, OW, Cg, KH, KWd, x, p, transposed),
    range(R, (r) => {
      const c = Math.floor(r / (KH * KWd)),
        kk = r - c * KH * KWd,
        kh = Math.floor(kk / KWd);
      return (transposed ? c * w0 : c * w1) + kh * w2 + (kk - kh * KWd) * w3;
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

// a contiguous result into a 4-d output view
export function copyOut(r: Panels, out: Strided): void {
  const o = out.storage!,
    [a, b, c, d] = out.shape,
    [s0, s1, s2, s3] = out.strides;
  let t = 0;
  for (let i = 0; i < a; i++)
    for (let j = 0; j < b; j++)
      for (let k = 0; k < c; k++)
        for (let l = 0; l < d; l++) o[out.offset + i * s0 + j * s1 + k * s2 + l * s3] = r[t++];
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
