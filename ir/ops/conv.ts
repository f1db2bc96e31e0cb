// Convolution primitives over any number of spatial dims (1 to 3: the params' lists say how many),
// each a kernel of its own (backend/js/conv.ts): conv, its input gradient convTranspose (also
// public as F.convTranspose2d) and its weight gradient convWeight. Each one's VJP is written with
// the other two. Bias, unbatched inputs and the "same"/"valid" paddings are compositions at the API
// edge (nn/functional/conv.ts: F.conv1d, F.conv2d, F.conv3d).
import { kernel, type OpDef, promoteAll } from "../op-def";

// one entry per spatial dim (d of them)
export interface ConvParams {
  stride: number[];
  padding: number[];
  dilation: number[];
  groups: number;
}
export interface ConvTransposeParams extends ConvParams {
  outputPadding: number[];
}
export interface ConvWeightParams extends ConvParams {
  kernel: number[];
}

// a convolution's output size along one spatial dim
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
  size.map((s, i) => s - convTransposeOut(n[i], k[i], p.stride[i], p.padding[i], p.dilation[i], 0));

export const convOps = {
  // [N, C, ...S] (x) [O, C/groups, ...K] -> [N, O, ...OS]
  conv: kernel<ConvParams>({
    operands: "strided",
    epilogue: true,
    grad: "ConvolutionBackward0",
    dtype: (ins) => promoteAll(ins),
    shape: ([x, w], p) => [
      x.shape[0],
      w.shape[0],
      ...p.stride.map((s, i) =>
        convOut(x.shape[2 + i], w.shape[2 + i], s, p.padding[i], p.dilation[i]),
      ),
    ],
    vjp: (g, { ins: [x, w], params, needs }) => [
      needs[0]
        ? g.convTranspose(w, {
            ...conv(params),
            outputPadding: outputPaddingFor(
              x.shape.slice(2),
              g.shape.slice(2),
              w.shape.slice(2),
              params,
            ),
          })
        : null,
      needs[1] ? x.convWeight(g, { ...conv(params), kernel: w.shape.slice(2) }) : null,
    ],
  }),
  // [N, C, ...S] (x) [C, O/groups, ...K] -> [N, O, ...OS]: the adjoint of conv with this weight
  // (its input gradient)
  convTranspose: kernel<ConvTransposeParams>({
    operands: "strided",
    epilogue: true,
    grad: "ConvolutionBackward0",
    dtype: (ins) => promoteAll(ins),
    shape: ([x, w], p) => [
      x.shape[0],
      w.shape[1] * p.groups,
      ...p.stride.map((s, i) =>
        convTransposeOut(
          x.shape[2 + i],
          w.shape[2 + i],
          s,
          p.padding[i],
          p.dilation[i],
          p.outputPadding[i],
        ),
      ),
    ],
    vjp: (g, { ins: [x, w], params, needs }) => [
      needs[0] ? g.conv(w, conv(params)) : null,
      needs[1] ? g.convWeight(x, { ...conv(params), kernel: w.shape.slice(2) }) : null,
    ],
  }),
  // conv's weight gradient: x [N, C, ...S] and the output gradient g [N, O, ...OS] ->
  // [O, C/groups, ...K]
  convWeight: kernel<ConvWeightParams>({
    operands: "strided",
    epilogue: true,
    grad: "ConvolutionBackwardBackward0",
    dtype: (ins) => promoteAll(ins),
    shape: ([x, g], p) => [g.shape[1], x.shape[1] / p.groups, ...p.kernel],
    vjp: (gw, { ins: [x, g], params, needs }) => [
      needs[0]
        ? g.convTranspose(gw, {
            ...conv(params),
            outputPadding: outputPaddingFor(
              x.shape.slice(2),
              g.shape.slice(2),
              params.kernel,
              params,
            ),
          })
        : null,
      needs[1] ? x.conv(gw, conv(params)) : null,
    ],
  }),
} satisfies Record<string, OpDef<never>>;
