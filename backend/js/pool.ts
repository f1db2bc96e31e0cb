// Max pooling over strided views: each window's first maximum in row-major order (a NaN wins, the
// last of them, as in PyTorch's `val > maxval || isnan(val)`), that position itself
// (maxPool2dIndices), the backward that adds each output gradient at that position, and its
// adjoint (maxPool2dSelect: a tensor of x's shape read at that position, for double backward).
// Results go to a contiguous double scratch, as the convolutions' do (conv.ts: eagerly copied out, compiled
// kernels run their epilogue on it).
import type { PoolParams } from "../../ir/ops/pool";
import type { Strided } from "../backend";

let result: Float64Array = new Float64Array(0);

export function pool(
  op: "maxPool2d" | "maxPool2dBackward" | "maxPool2dSelect" | "maxPool2dIndices",
  [x, g]: Strided[],
  p: PoolParams,
  outShape: readonly number[],
): Float64Array {
  const size = outShape.reduce((a, b) => a * b, 1);
  if (result.length < size) result = new Float64Array(size);
  const out = result;
  const [N, C, H, W] = x.shape;
  const [OH, OW] = op === "maxPool2dBackward" ? g.shape.slice(2) : outShape.slice(2);
  const [kh, kw] = p.kernel,
    [sh, sw] = p.stride,
    [ph, pw] = p.padding,
    [dh, dw] = p.dilation;
  const xs = x.storage!,
    [x0, x1, x2, x3] = x.strides;
  if (op === "maxPool2dBackward") out.fill(0, 0, size);
  let t = 0;
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++) {
      const base = x.offset + n * x0 + c * x1;
      for (let oh = 0; oh < OH; oh++)
        for (let ow = 0; ow < OW; ow++, t++) {
          let best = -Infinity,
            at = -1;
          for (let a = 0; a < kh; a++) {
            const ih = oh * sh - ph + a * dh;
            if (ih < 0 || ih >= H) continue;
            for (let b = 0; b < kw; b++) {
              const iw = ow * sw - pw + b * dw;
              if (iw < 0 || iw >= W) continue;
              const v = xs[base + ih * x2 + iw * x3];
              if (at < 0 || v > best || Number.isNaN(v)) {
                best = v;
                at = ih * W + iw;
              }
            }
          }
          if (op === "maxPool2d") out[t] = best;
          else if (op === "maxPool2dSelect")
            out[t] =
              at < 0
                ? 0
                : g.storage![
                    g.offset +
                      n * g.strides[0] +
                      c * g.strides[1] +
                      Math.floor(at / W) * g.strides[2] +
                      (at % W) * g.strides[3]
                  ];
          else if (op === "maxPool2dIndices") out[t] = at;
          else if (at >= 0) {
            const gv =
              g.storage![
                g.offset +
                  n * g.strides[0] +
                  c * g.strides[1] +
                  oh * g.strides[2] +
                  ow * g.strides[3]
              ];
            out[(n * C + c) * H * W + at] += gv;
          }
        }
    }
  return out;
}
