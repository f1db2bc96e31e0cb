// Max pooling's window argmax in WebAssembly: in JavaScript the comparison against the running
// maximum is a branch the data decides (random activations mispredict it about half the time: 25%
// of LeNet's step); here it is a lane mask, four windows at a time (pool-kernel.ts). The windows'
// taps are a table of offsets in the staged plane (one (n, c)'s 1-3-d volume; -1 outside the
// input); the argmax (that offset, -1 for an empty window) and the maximum land in two arrays,
// PyTorch's rule: the first maximum, or the last NaN.
import type { PoolParams } from "../../ir/ops/pool";
import type { Strided } from "../backend";
import { copy } from "../js/eager";
import { three } from "../js/spatial";
import { heap, poolArgmax, poolArgmaxAdd } from "./module";

// The window table in the layout the Wasm argmax reads (pool-kernel.ts): per group of four
// windows and per tap, the four windows' flat positions (id * H + ih) * W + iw in the input's
// volume, or -1 outside it (and for the lanes past the last window); 1-3 spatial dims, walked as
// three (backend/js/spatial.ts).
const tables = new Map<string, Int32Array>();
function windowTable(size: readonly number[], out: readonly number[], p: PoolParams): Int32Array {
  const key = `${size}|${out}|${p.kernel}|${p.stride}|${p.padding}|${p.dilation}`;
  let t = tables.get(key);
  if (t) return t;
  const [D, H, W] = three(size, 1),
    [OD, OH, OW] = three(out, 1),
    [kd, kh, kw] = three(p.kernel, 1),
    [sd, sh, sw] = three(p.stride, 1),
    [pd, ph, pw] = three(p.padding, 0),
    [dd, dh, dw] = three(p.dilation, 1);
  const taps = kd * kh * kw;
  t = new Int32Array(Math.ceil((OD * OH * OW) / 4) * 4 * taps).fill(-1);
  let j = 0;
  for (let od = 0; od < OD; od++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++, j++) {
        // window j is lane j % 4 of group j / 4
        let i = (j - (j % 4)) * taps + (j % 4);
        for (let a = 0; a < kd; a++)
          for (let b = 0; b < kh; b++)
            for (let e = 0; e < kw; e++, i += 4) {
              const id = od * sd - pd + a * dd,
                ih = oh * sh - ph + b * dh,
                iw = ow * sw - pw + e * dw;
              const inside = id >= 0 && id < D && ih >= 0 && ih < H && iw >= 0 && iw < W;
              t[i] = inside ? (id * H + ih) * W + iw : -1;
            }
      }
  // then each (group, tap)'s kind: 1 where its four offsets are a run o..o+3, 2 where they step
  // by 2, else 0 (the Wasm kernel loads them as one vector, two and a shuffle, or four lanes)
  const cells = t.length / 4,
    at = Math.ceil(t.length / 4) * 4;
  const both = new Int32Array(at + cells);
  both.set(t);
  for (let c = 0; c < cells; c++) {
    const o = t[4 * c];
    const step = (d: number) => o >= 0 && [1, 2, 3].every((l) => t[4 * c + l] === o + l * d);
    both[at + c] = step(1) ? 1 : step(2) ? 2 : 0;
  }
  if (tables.size >= 64) tables.clear();
  tables.set(key, both);
  return both;
}

const up4 = (n: number) => Math.ceil(n / 4) * 4;
const numel = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const contiguousStrides = (shape: readonly number[]) =>
  shape.map((_, d) => numel(shape.slice(d + 1)));
const contiguous = (v: Strided) => {
  let s = 1;
  for (let d = v.shape.length - 1; d >= 0; d--) {
    if (v.shape[d] !== 1 && v.strides[d] !== s) return false;
    s *= v.shape[d];
  }
  return true;
};

// maxPool (the maxima) or maxPoolBackward (each output gradient added at its window's argmax),
// float32, as a contiguous view of Wasm memory valid until the next Wasm kernel runs. A "plane" is
// one (n, c)'s spatial volume.
export function maxPoolF32(
  op: "maxPool" | "maxPoolBackward",
  [x, g]: Strided[],
  p: PoolParams,
  outShape: readonly number[],
): Float32Array {
  const [N, C] = x.shape,
    size = x.shape.slice(2),
    out = (op === "maxPoolBackward" ? g.shape : outShape).slice(2);
  const planes = N * C,
    plane = numel(size),
    windows = numel(out),
    taps = numel(p.kernel);
  const tab = windowTable(size, out, p);
  const groups = Math.ceil(windows / 4),
    kinds = up4(groups * 4 * taps); // where the kinds start in the table
  // Wasm memory: x's planes (contiguous, after 4 floats of slack the masked lanes may read), the
  // table, argmaxes, maxima (each with room for the last group's lanes past the end), the result
  const X = 4,
    T = X + up4(planes * plane),
    A = T + up4(tab.length),
    B = A + up4(planes * windows + 4),
    R = B + up4(planes * windows + 4),
    result = op === "maxPool" ? 0 : planes * plane;
  const Hp = heap(R + result);
  if (contiguous(x))
    Hp.set((x.storage as Float32Array).subarray(x.offset, x.offset + planes * plane), X);
  else copy(x, { storage: Hp, shape: x.shape, strides: contiguousStrides(x.shape), offset: X });
  const I = new Int32Array(Hp.buffer);
  I.set(tab, T);
  if (planes > 0 && windows > 0)
    poolArgmax()(
      4 * X,
      planes,
      4 * plane,
      4 * T,
      groups,
      taps,
      4 * A,
      4 * B,
      4 * windows,
      4 * (T + kinds),
    );
  if (op === "maxPool") return Hp.subarray(B, B + planes * windows);
  // the backward: g staged over the maxima (contiguous [planes, windows]), then added at the
  // argmaxes in Wasm
  Hp.fill(0, R, R + result);
  if (contiguous(g))
    Hp.set((g.storage as Float32Array).subarray(g.offset, g.offset + planes * windows), B);
  else copy(g, { storage: Hp, shape: g.shape, strides: contiguousStrides(g.shape), offset: B });
  if (planes > 0 && windows > 0) poolArgmaxAdd()(4 * A, 4 * B, planes, windows, 4 * R, 4 * plane);
  return Hp.subarray(R, R + result);
}
