// Max pooling over strided views, 1-3 spatial dims (walked as three: spatial.ts): each window's
// first maximum in row-major order (a NaN wins, the last of them, as in PyTorch's
// `val > maxval || isnan(val)`), that position itself (maxPoolIndices: flat in the input's
// volume), the backward that adds each output gradient at that position, and its adjoint
// (maxPoolSelect: a tensor of x's shape read at that position, for double backward). Results go to
// a contiguous double scratch, as the convolutions' do (conv.ts: eagerly copied out, compiled
// kernels run their epilogue on it).
import type { PoolParams } from "../../ir/ops/pool";
import type { Strided } from "../backend";
import { three } from "./spatial";

let result: Float64Array = new Float64Array(0);

// The first index of a window's taps inside [0, n) and the end of them: o0 + t * d for t in
// [lo, hi)
const first = (o0: number, d: number) => Math.max(0, Math.ceil(-o0 / d));
const end = (o0: number, d: number, k: number, n: number) =>
  Math.min(k, Math.floor((n - 1 - o0) / d) + 1);

// The window's argmax as its flat position (id * H + ih) * W + iw in the input's volume, or -1 for
// an empty window: taps (id0 + a * dd, ih0 + b * dh, iw0 + e * dw) for a in [a0, a1), b in
// [b0, b1), e in [e0, e1), all inside the input (the bounds are computed once per window row, so
// the taps' loops test nothing but the maximum).
function argmax(
  xs: ArrayLike<number>,
  base: number,
  xd: number,
  xh: number,
  xw: number,
  H: number,
  W: number,
  id0: number,
  ih0: number,
  iw0: number,
  a0: number,
  a1: number,
  b0: number,
  b1: number,
  e0: number,
  e1: number,
  dd: number,
  dh: number,
  dw: number,
): number {
  let best = -Infinity,
    at = -1;
  for (let a = a0; a < a1; a++) {
    const id = id0 + a * dd;
    for (let b = b0; b < b1; b++) {
      const ih = ih0 + b * dh,
        row = base + id * xd + ih * xh,
        rowAt = (id * H + ih) * W;
      for (let e = e0; e < e1; e++) {
        const iw = iw0 + e * dw,
          v = xs[row + iw * xw];
        if (v > best || at < 0 || Number.isNaN(v)) {
          best = v;
          at = rowAt + iw;
        }
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
  maxPool: MAX,
  maxPoolBackward: BACKWARD,
  maxPoolSelect: SELECT,
  maxPoolIndices: INDICES,
};

export function pool(
  op: "maxPool" | "maxPoolBackward" | "maxPoolSelect" | "maxPoolIndices",
  [x, g]: Strided[],
  p: PoolParams,
  outShape: readonly number[],
): Float64Array {
  const size = outShape.reduce((a, b) => a * b, 1);
  if (result.length < size) result = new Float64Array(size);
  const out = result;
  const code = codes[op];
  const [N, C] = x.shape,
    [D, H, W] = three(x.shape.slice(2), 1);
  const [OD, OH, OW] = three((code === BACKWARD ? g.shape : outShape).slice(2), 1);
  const [kd, kh, kw] = three(p.kernel, 1),
    [sd, sh, sw] = three(p.stride, 1),
    [pd, ph, pw] = three(p.padding, 0),
    [dd, dh, dw] = three(p.dilation, 1);
  const xs = x.storage!,
    [x0, x1] = x.strides,
    [xd, xh, xw] = three(x.strides.slice(2), 0);
  const gs = g?.storage,
    [g0, g1] = g ? g.strides : [0, 0],
    [gd, gh, gw] = g ? three(g.strides.slice(2), 0) : [0, 0, 0];
  const volume = D * H * W;
  if (code === BACKWARD) out.fill(0, 0, size);
  // each column's taps inside the input
  const e0s = new Int32Array(OW),
    e1s = new Int32Array(OW);
  for (let ow = 0; ow < OW; ow++) {
    e0s[ow] = first(ow * sw - pw, dw);
    e1s[ow] = end(ow * sw - pw, dw, kw, W);
  }
  let t = 0;
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++) {
      const base = x.offset + n * x0 + c * x1,
        gb = g ? g.offset + n * g0 + c * g1 : 0;
      for (let od = 0; od < OD; od++) {
        const id0 = od * sd - pd,
          a0 = first(id0, dd),
          a1 = end(id0, dd, kd, D);
        for (let oh = 0; oh < OH; oh++) {
          const ih0 = oh * sh - ph,
            b0 = first(ih0, dh),
            b1 = end(ih0, dh, kh, H);
          for (let ow = 0; ow < OW; ow++, t++) {
            const at = argmax(
              xs,
              base,
              xd,
              xh,
              xw,
              H,
              W,
              id0,
              ih0,
              ow * sw - pw,
              a0,
              a1,
              b0,
              b1,
              e0s[ow],
              e1s[ow],
              dd,
              dh,
              dw,
            );
            if (code === INDICES) out[t] = at;
            else if (at < 0) {
              if (code !== BACKWARD) out[t] = code === MAX ? -Infinity : 0;
            } else if (code === BACKWARD)
              out[(n * C + c) * volume + at] += gs![gb + od * gd + oh * gh + ow * gw];
            else {
              // the argmax's (id, ih, iw)
              const id = Math.floor(at / (H * W)),
                r = at - id * H * W,
                ih = Math.floor(r / W),
                iw = r - ih * W;
              if (code === MAX) out[t] = xs[base + id * xd + ih * xh + iw * xw];
              else out[t] = gs![gb + id * gd + ih * gh + iw * gw];
            }
          }
        }
      }
    }
  return out;
}
