// Max pooling over strided views: each window's first maximum in row-major order (a NaN wins, the
// last of them, as in PyTorch's `val > maxval || isnan(val)`), that position itself
// (maxPool2dIndices), the backward that adds each output gradient at that position, and its
// adjoint (maxPool2dSelect: a tensor of x's shape read at that position, for double backward).
// Results go to a contiguous double scratch, as the convolutions' do (conv.ts: eagerly copied out, compiled
// kernels run their epilogue on it).
import type { PoolParams } from "../../ir/ops/pool";
import type { Strided } from "../backend";

let result: Float64Array = new Float64Array(0);

// The first index of a window's taps inside [0, n) and the end of them: o0 + t * d for t in
// [lo, hi)
const first = (o0: number, d: number) => Math.max(0, Math.ceil(-o0 / d));
const end = (o0: number, d: number, k: number, n: number) =>
  Math.min(k, Math.floor((n - 1 - o0) / d) + 1);

// The window's argmax as ih * W + iw, or -1 for an empty window: taps (ih0 + a * dh, iw0 + b *
// dw) for a in [a0, a1), b in [b0, b1), all inside the input.
function argmax(
  xs: ArrayLike<number>,
  base: number,
  x2: number,
  x3: number,
  W: number,
  ih0: number,
  iw0: number,
  a0: number,
  a1: number,
  b0: number,
  b1: number,
  dh: number,
  dw: number,
): number {
  let best = -Infinity,
    at = -1;
  for (let a = a0; a < a1; a++) {
    const ih = ih0 + a * dh,
      row = base + ih * x2;
    for (let b = b0; b < b1; b++) {
      const iw = iw0 + b * dw,
        v = xs[row + iw * x3];
      if (v > best || at < 0 || Number.isNaN(v)) {
        best = v;
        at = ih * W + iw;
      }
    }
  }
  return at;
}

const MAX = 0,
  BACKWARD = 1,
  SELECT = 2,
  INDICES = 3;
const codes = {
  maxPool2d: MAX,
  maxPool2dBackward: BACKWARD,
  maxPool2dSelect: SELECT,
  maxPool2dIndices: INDICES,
};

export function pool(
  op: "maxPool2d" | "maxPool2dBackward" | "maxPool2dSelect" | "maxPool2dIndices",
  [x, g]: Strided[],
  p: PoolParams,
  outShape: readonly number[],
): Float64Array {
  const size = outShape.reduce((a, b) => a * b, 1);
  if (result.length < size) result = new Float64Array(size);
  const out = result;
  const code = codes[op];
  const [N, C, H, W] = x.shape;
  const [OH, OW] = code === BACKWARD ? g.shape.slice(2) : outShape.slice(2);
  const [kh, kw] = p.kernel,
    [sh, sw] = p.stride,
    [ph, pw] = p.padding,
    [dh, dw] = p.dilation;
  const xs = x.storage!,
    [x0, x1, x2, x3] = x.strides;
  const gs = g?.storage,
    [g0, g1, g2, g3] = g?.strides ?? [0, 0, 0, 0];
  if (code === BACKWARD) out.fill(0, 0, size);
  // each column's taps inside the input
  const b0s = new Int32Array(OW),
    b1s = new Int32Array(OW);
  for (let ow = 0; ow < OW; ow++) {
    b0s[ow] = first(ow * sw - pw, dw);
    b1s[ow] = end(ow * sw - pw, dw, kw, W);
  }
  let t = 0;
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++) {
      const base = x.offset + n * x0 + c * x1,
        gb = g ? g.offset + n * g0 + c * g1 : 0;
      for (let oh = 0; oh < OH; oh++) {
        const ih0 = oh * sh - ph,
          a0 = first(ih0, dh),
          a1 = end(ih0, dh, kh, H);
        for (let ow = 0; ow < OW; ow++, t++) {
          const at = argmax(
            xs,
            base,
            x2,
            x3,
            W,
            ih0,
            ow * sw - pw,
            a0,
            a1,
            b0s[ow],
            b1s[ow],
            dh,
            dw,
          );
          if (code === INDICES) out[t] = at;
          else if (at < 0) {
            if (code !== BACKWARD) out[t] = code === MAX ? -Infinity : 0;
          } else {
            const ih = (at / W) | 0,
              iw = at - ih * W;
            if (code === MAX) out[t] = xs[base + ih * x2 + iw * x3];
            else if (code === SELECT) out[t] = gs![gb + ih * g2 + iw * g3];
            else out[(n * C + c) * H * W + at] += gs![gb + oh * g2 + ow * g3];
          }
        }
      }
    }
  return out;
}
