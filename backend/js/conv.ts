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

const W = PANEL;
let panelA: Float64Array = new Float64Array(0),
  panelB: Float64Array = new Float64Array(0),
  result: Float64Array = new Float64Array(0);

// rows x k values as panels of W rows, contiguous along k (rows past the edge are zero)
function packBy(
  rows: number,
  k: number,
  val: (row: number, p: number) => number,
  dst: Float64Array,
) {
  for (let i0 = 0; i0 < rows; i0 += W) {
    const base = i0 * k;
    for (let r = 0; r < W; r++) {
      const row = i0 + r;
      if (row >= rows) for (let p = 0; p < k; p++) dst[base + p * W + r] = 0;
      else for (let p = 0; p < k; p++) dst[base + p * W + r] = val(row, p);
    }
  }
}
const ensure = (a: Float64Array, n: number) => (a.length < n ? new Float64Array(n) : a);

// The op's result, contiguous, in double (a scratch reused by the next call).
export function convolve(op: ConvOp, [x, w]: Strided[], p: AnyConv, outShape: readonly number[]) {
  const size = outShape.reduce((a, b) => a * b, 1);
  result = ensure(result, size);
  const out = result;
  const [sh, sw] = p.stride,
    [ph, pw] = p.padding,
    [dh, dw] = p.dilation,
    G = p.groups;
  const xs = x.storage!,
    ws = w.storage!;
  const [xn, xc, xh, xw] = x.strides;
  const [H, Wd] = [x.shape[2], x.shape[3]];
  if (op === "conv2dWeight") {
    // x [N, C, H, W], w = g [N, O, OH, OW] -> [O, C/G, KH, KW]
    const [N, C] = x.shape,
      [, O, OH, OW] = w.shape,
      [KH, KWd] = p.kernel!;
    const Cg = C / G,
      Og = O / G,
      R = Cg * KH * KWd,
      Q = OH * OW,
      K = N * Q;
    const [gn, gc, gh, gw] = w.strides;
    panelA = ensure(panelA, Math.ceil(Og / W) * W * K);
    panelB = ensure(panelB, Math.ceil(R / W) * W * K);
    for (let g = 0; g < G; g++) {
      packBy(
        Og,
        K,
        (o, t) => {
          const n = Math.floor(t / Q),
            q = t - n * Q,
            oh = Math.floor(q / OW),
            ow = q - oh * OW;
          return ws[w.offset + n * gn + (g * Og + o) * gc + oh * gh + ow * gw];
        },
        panelA,
      );
      packBy(
        R,
        K,
        (r, t) => {
          const c = Math.floor(r / (KH * KWd)),
            kk = r - c * KH * KWd,
            kh = Math.floor(kk / KWd),
            kw = kk - kh * KWd;
          const n = Math.floor(t / Q),
            q = t - n * Q,
            oh = Math.floor(q / OW),
            ow = q - oh * OW;
          const ih = oh * sh - ph + kh * dh,
            iw = ow * sw - pw + kw * dw;
          return ih >= 0 && ih < H && iw >= 0 && iw < Wd
            ? xs[x.offset + n * xn + (g * Cg + c) * xc + ih * xh + iw * xw]
            : 0;
        },
        panelB,
      );
      tiles(panelA, panelB, out, g * Og * R, R, 1, Og, R, K);
    }
    return out;
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
  panelA = ensure(panelA, Math.ceil(Og / W) * W * R);
  panelB = ensure(panelB, Math.ceil(Q / W) * W * R);
  for (let g = 0; g < G; g++) {
    packBy(
      Og,
      R,
      (o, r) => {
        const c = Math.floor(r / (KH * KWd)),
          kk = r - c * KH * KWd,
          kh = Math.floor(kk / KWd),
          kw = kk - kh * KWd;
        return transposed
          ? ws[w.offset + (g * Cg + c) * w0 + o * w1 + kh * w2 + kw * w3]
          : ws[w.offset + (g * Og + o) * w0 + c * w1 + kh * w2 + kw * w3];
      },
      panelA,
    );
    for (let n = 0; n < N; n++) {
      packBy(
        Q,
        R,
        (q, r) => {
          const c = Math.floor(r / (KH * KWd)),
            kk = r - c * KH * KWd,
            kh = Math.floor(kk / KWd),
            kw = kk - kh * KWd;
          const oh = Math.floor(q / OW),
            ow = q - oh * OW;
          let ih: number, iw: number;
          if (transposed) {
            const th = oh + ph - kh * dh,
              tw = ow + pw - kw * dw;
            if (th % sh !== 0 || tw % sw !== 0) return 0;
            ih = th / sh;
            iw = tw / sw;
          } else {
            ih = oh * sh - ph + kh * dh;
            iw = ow * sw - pw + kw * dw;
          }
          return ih >= 0 && ih < H && iw >= 0 && iw < Wd
            ? xs[x.offset + n * xn + (g * Cg + c) * xc + ih * xh + iw * xw]
            : 0;
        },
        panelB,
      );
      tiles(panelA, panelB, out, (n * O + g * Og) * Q, Q, 1, Og, Q, R);
    }
  }
  return out;
}

// Eagerly: the result copied into the output view (rounded to its dtype as it is stored).
export function eagerConv(op: ConvOp, ins: Strided[], out: Strided, p: AnyConv): void {
  copyOut(convolve(op, ins, p, out.shape), out);
}

// a contiguous result into a 4-d output view
export function copyOut(r: Float64Array, out: Strided): void {
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
