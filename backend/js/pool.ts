// Max pooling over strided views, 1-3 spatial dims: each window's first maximum in row-major order
// (a NaN wins, the last of them, as in PyTorch's `val > maxval || isnan(val)`), that position
// itself (maxPoolIndices: flat in the input's volume), the backward that adds each output gradient
// at that position, and its adjoint (maxPoolSelect: a tensor of x's shape read at that position,
// for double backward). Results go to a contiguous double scratch, as the convolutions' do
// (conv.ts: eagerly copied out, compiled kernels run their epilogue on it).
import type { PoolParams } from "../../ir/ops/pool";
import type { Strided } from "../backend";

let result: Float64Array = new Float64Array(0);

// the spatial sizes (or strides, params) padded to three in front with `fill`: one loop nest serves
// every rank
const three = (xs: readonly number[], fill: number) => [
  ...new Array<number>(3 - xs.length).fill(fill),
  ...xs,
];

export function pool(
  op: "maxPool" | "maxPoolBackward" | "maxPoolSelect" | "maxPoolIndices",
  [x, g]: Strided[],
  p: PoolParams,
  outShape: readonly number[],
): Float64Array {
  const size = outShape.reduce((a, b) => a * b, 1);
  if (result.length < size) result = new Float64Array(size);
  const out = result;
  const [N, C] = x.shape,
    [D, H, W] = three(x.shape.slice(2), 1);
  const [OD, OH, OW] = three((op === "maxPoolBackward" ? g.shape : outShape).slice(2), 1);
  const [kd, kh, kw] = three(p.kernel, 1),
    [sd, sh, sw] = three(p.stride, 1),
    [pd, ph, pw] = three(p.padding, 0),
    [dd, dh, dw] = three(p.dilation, 1);
  const xs = x.storage!,
    [x0, x1] = x.strides,
    [xd, xh, xw] = three(x.strides.slice(2), 0);
  const [g0, g1] = g ? g.strides : [0, 0],
    [gd, gh, gw] = g ? three(g.strides.slice(2), 0) : [0, 0, 0];
  const volume = D * H * W;
  if (op === "maxPoolBackward") out.fill(0, 0, size);
  let t = 0;
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++) {
      const base = x.offset + n * x0 + c * x1;
      for (let od = 0; od < OD; od++)
        for (let oh = 0; oh < OH; oh++)
          for (let ow = 0; ow < OW; ow++, t++) {
            let best = -Infinity,
              at = -1;
            for (let a = 0; a < kd; a++) {
              const id = od * sd - pd + a * dd;
              if (id < 0 || id >= D) continue;
              for (let b = 0; b < kh; b++) {
                const ih = oh * sh - ph + b * dh;
                if (ih < 0 || ih >= H) continue;
                // the window's line: its offset in x and its flat position in the volume
                const line = base + id * xd + ih * xh,
                  lineAt = (id * H + ih) * W;
                for (let e = 0; e < kw; e++) {
                  const iw = ow * sw - pw + e * dw;
                  if (iw < 0 || iw >= W) continue;
                  const v = xs[line + iw * xw];
                  if (at < 0 || v > best || Number.isNaN(v)) {
                    best = v;
                    at = lineAt + iw;
                  }
                }
              }
            }
            if (op === "maxPool") out[t] = best;
            else if (op === "maxPoolIndices") out[t] = at;
            else if (op === "maxPoolSelect") {
              if (at < 0) out[t] = 0;
              else {
                const id = Math.floor(at / (H * W)),
                  r = at - id * H * W,
                  ih = Math.floor(r / W);
                out[t] =
                  g.storage![g.offset + n * g0 + c * g1 + id * gd + ih * gh + (r - ih * W) * gw];
              }
            } else if (at >= 0)
              out[(n * C + c) * volume + at] +=
                g.storage![g.offset + n * g0 + c * g1 + od * gd + oh * gh + ow * gw];
          }
    }
  return out;
}
