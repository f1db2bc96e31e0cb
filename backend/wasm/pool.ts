// Max pooling's window argmax in WebAssembly: in JavaScript the comparison against the running
// maximum is a branch the data decides (random activations mispredict it about half the time: 25%
// of LeNet's step); here it is a `select`. Each window's taps are a row of a table of offsets in
// the staged plane (-1 outside the input); the argmax (that offset, -1 for an empty window) and
// the maximum land in two arrays, PyTorch's rule: the first maximum, or the last NaN.
import type { PoolParams } from "../../ir/ops/pool";
import type { Strided } from "../backend";
import { copy } from "../js/eager";
import { heap, poolArgmax } from "./module";

// windows x taps: the offset ih * W + iw of each tap in an H x W plane, or -1 outside
const tables = new Map<string, Int32Array>();
function windowTable(H: number, W: number, OH: number, OW: number, p: PoolParams): Int32Array {
  const key = `${H}|${W}|${OH}|${OW}|${p.kernel}|${p.stride}|${p.padding}|${p.dilation}`;
  let t = tables.get(key);
  if (t) return t;
  const [kh, kw] = p.kernel,
    [sh, sw] = p.stride,
    [ph, pw] = p.padding,
    [dh, dw] = p.dilation;
  t = new Int32Array(OH * OW * kh * kw);
  let i = 0;
  for (let oh = 0; oh < OH; oh++)
    for (let ow = 0; ow < OW; ow++)
      for (let a = 0; a < kh; a++)
        for (let b = 0; b < kw; b++, i++) {
          const ih = oh * sh - ph + a * dh,
            iw = ow * sw - pw + b * dw;
          t[i] = ih >= 0 && ih < H && iw >= 0 && iw < W ? ih * W + iw : -1;
        }
  if (tables.size >= 64) tables.clear();
  tables.set(key, t);
  return t;
}

const up4 = (n: number) => Math.ceil(n / 4) * 4;
const contiguous = (v: Strided) => {
  let s = 1;
  for (let d = v.shape.length - 1; d >= 0; d--) {
    if (v.shape[d] !== 1 && v.strides[d] !== s) return false;
    s *= v.shape[d];
  }
  return true;
};

// maxPool2d (the maxima) or maxPool2dBackward (each output gradient added at its window's
// argmax), float32, as a contiguous view of Wasm memory valid until the next Wasm kernel runs.
export function maxPoolF32(
  op: "maxPool2d" | "maxPool2dBackward",
  [x, g]: Strided[],
  p: PoolParams,
  outShape: readonly number[],
): Float32Array {
  const [N, C, H, W] = x.shape;
  const [OH, OW] = op === "maxPool2dBackward" ? g.shape.slice(2) : outShape.slice(2);
  const planes = N * C,
    plane = H * W,
    windows = OH * OW,
    taps = p.kernel[0] * p.kernel[1];
  const tab = windowTable(H, W, OH, OW, p);
  // Wasm memory: x's planes (contiguous), the table, argmaxes, maxima, the result
  const X = 0,
    T = X + up4(planes * plane),
    A = T + up4(tab.length),
    B = A + up4(planes * windows),
    R = B + up4(planes * windows),
    size = op === "maxPool2d" ? 0 : planes * plane;
  const Hp = heap(R + size);
  if (contiguous(x))
    Hp.set((x.storage as Float32Array).subarray(x.offset, x.offset + planes * plane), X);
  else copy(x, { storage: Hp, shape: x.shape, strides: [C * plane, plane, W, 1], offset: X });
  const I = new Int32Array(Hp.buffer);
  I.set(tab, T);
  poolArgmax()(4 * X, planes, 4 * plane, 4 * T, windows, taps, 4 * A, 4 * B);
  if (op === "maxPool2d") return Hp.subarray(B, B + planes * windows);
  Hp.fill(0, R, R + size);
  const gs = g.storage!,
    [g0, g1, g2, g3] = g.strides;
  let t = A;
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++) {
      const gb = g.offset + n * g0 + c * g1,
        ob = R + (n * C + c) * plane;
      for (let oh = 0; oh < OH; oh++)
        for (let ow = 0; ow < OW; ow++, t++) {
          const at = I[t];
          if (at >= 0) Hp[ob + at] += gs[gb + oh * g2 + ow * g3];
        }
    }
  return Hp.subarray(R, R + size);
}
