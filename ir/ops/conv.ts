// Convolution primitives, each a kernel of its own (backend/js/conv.ts): conv2d, its input
// gradient convTranspose2d (also public as F.convTranspose2d) and its weight gradient
// conv2dWeight. Each one's VJP is written with the other two. Bias, conv1d and the "same"/"valid"
// paddings are compositions at the API edge (nn/functional.ts).
import { kernel, type OpDef, promoteAll } from "../op-def";

export interface ConvParams {
  stride: number[]; // [sh, sw]
  padding: number[]; // [ph, pw]
  dilation: number[]; // [dh, dw]
  groups: number;
}
export interface ConvTransposeParams extends ConvParams {
  outputPadding: number[]; // [oh, ow]
}
export interface ConvWeightParams extends ConvParams {
  kernel: number[]; // [kh, kw]
}

// a conv2d's output size along one spatial dim
export const convOut = (n: number, k: number, s: number, p: number, d: number) =>
  Math.floor((n + 2 * p - d * (k - 1) - 1) / s) + 1;
// a transposed convolution's
export const convTransposeOut = (
  n: number,
  k: number,
  s: number,
  p: number,
  d: number,
  op: number,
) => (n - 1) * s - 2 * p + d * (k - 1) + op + 1;
const conv = ({ stride, padding, dilation, groups }: ConvParams): ConvParams => ({
  stride,
  padding,
  dilation,
  groups,
});
// the output padding that makes a transposed convolution of `n` positions `size` long
const outputPaddingFor = (size: number[], n: number[], k: number[], p: ConvParams) =>
  [0, 1].map(
    (i) => size[i] - convTransposeOut(n[i], k[i], p.stride[i], p.padding[i], p.dilation[i], 0),
  );

export const convOps = {
  // [N, C, H, W] (x) [O, C/groups, KH, KW] -> [N, O, OH, OW]
  conv2d: kernel<ConvParams>({
    operands: "strided",
    epilogue: true,
    grad: "ConvolutionBackward0",
    dtype: (ins) => promoteAll(ins),
    shape: ([x, w], p) => [
      x.shape[0],
      w.shape[0],
      ...[0, 1].map((i) =>
        convOut(x.shape[2 + i], w.shape[2 + i], p.stride[i], p.padding[i], p.dilation[i]),
      ),
    ],
    vjp: (g, { ins: [x, w], params, needs }) => [
      needs[0]
        ? g.convTranspose2d(w, {
            ...conv(params),
            outputPadding: outputPaddingFor(
              x.shape.slice(2),
              g.shape.slice(2),
              w.shape.slice(2),
              params,
            ),
          })
        : null,
      needs[1] ? x.conv2dWeight(g, { ...conv(params), kernel: w.shape.slice(2) }) : null,
    ],
  }),
  // [N, C, H, W] (x) [C, O/groups, KH, KW] -> [N, O, OH, OW]: the adjoint of conv2d with this
  // weight (its input gradient)
  convTranspose2d: kernel<ConvTransposeParams>({
    operands: "strided",
    epilogue: true,
    grad: "ConvolutionBackward0",
    dtype: (ins) => promoteAll(ins),
    shape: ([x, w], p) => [
      x.shape[0],
      w.shape[1] * p.groups,
      ...[0, 1].map((i) =>
        convTransposeOut(
          x.shape[2 + i],
          w.shape[2 + i],
          p.stride[i],
          p.padding[i],
          p.dilation[i],
          p.outputPadding[i],
        ),
      ),
    ],
    vjp: (g, { ins: [x, w], params, needs }) => [
      needs[0] ? g.conv2d(w, conv(params)) : null,
      needs[1] ? g.conv2dWeight(x, { ...conv(params), kernel: w.shape.slice(2) }) : null,
    ],
  }),
  // conv2d's weight gradient: x [N, C, H, W] and the output gradient g [N, O, OH, OW] ->
  // [O, C/groups, KH, KW]
  conv2dWeight: kernel<ConvWeightParams>({
    operands: "strided",
    epilogue: true,
    grad: "ConvolutionBackwardBackward0",
    dtype: (ins) => promoteAll(ins),
    shape: ([x, g], p) => [g.shape[1], x.shape[1] / p.groups, ...p.kernel],
    vjp: (gw, { ins: [x, g], params, needs }) => [
      needs[0]
        ? g.convTranspose2d(gw, {
            ...conv(params),
            outputPadding: outputPaddingFor(
              x.shape.slice(2),
              g.shape.slice(2),
              params.kernel,
              params,
            ),
          })
        : null,
      needs[1] ? x.conv2d(gw, conv(params)) : null,
    ],
  }),
} satisfies Record<string, OpDef<never>>;
