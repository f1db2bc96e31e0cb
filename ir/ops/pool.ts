// Max pooling, a kernel op (backend/js/pool.ts): its gradient goes to the maximum of each window
// (PyTorch's argmax: the first maximum, or the last NaN), through a second kernel op that
// recomputes the argmax, and that one's gradient reads each window's maximum through a third; a
// fourth gives the argmax itself (returnIndices). (Average
// pooling is a convolution with a constant weight: nn/functional.ts.)
import { kernel, type OpDef, type Operand } from "../op-def";

export interface PoolParams {
  kernel: number[]; // [kh, kw]
  stride: number[];
  padding: number[];
  dilation: number[];
  ceilMode: boolean;
}

// PyTorch's pooling_output_shape along one dim
export function poolOut(n: number, k: number, s: number, p: number, d: number, ceil: boolean) {
  let out = Math.floor((n + 2 * p - d * (k - 1) - 1 + (ceil ? s - 1 : 0)) / s) + 1;
  if (ceil && (out - 1) * s >= n + p) out--;
  return out;
}

const pooledShape = ([x]: Operand[], p: PoolParams) => [
  x.shape[0],
  x.shape[1],
  ...[0, 1].map((i) =>
    poolOut(x.shape[2 + i], p.kernel[i], p.stride[i], p.padding[i], p.dilation[i], p.ceilMode),
  ),
];

// maxPool2dBackward and maxPool2dSelect are linear in their second operand and each other's
// adjoint; in x they are piecewise constant (the argmax moves only at ties), so no gradient to x.
export const poolOps = {
  // [N, C, H, W] -> [N, C, OH, OW]: the max of each window (NaN if it holds one)
  maxPool2d: kernel<PoolParams>({
    operands: "strided",
    epilogue: true,
    grad: "MaxPool2DWithIndicesBackward0",
    dtype: ([x]) => x.dtype,
    shape: pooledShape,
    vjp: (g, { ins: [x], params }) => [x.maxPool2dBackward(g, params)],
  }),
  // where each window's maximum is (int32): h * W + w in its [H, W] plane, PyTorch's indices (the
  // first maximum; the last NaN)
  maxPool2dIndices: kernel<PoolParams>({
    operands: "strided",
    epilogue: false,
    grad: "",
    dtype: () => "int32",
    shape: pooledShape,
    vjp: null,
  }),
  // maxPool2d's input gradient: g [N, C, OH, OW] added at each window's first maximum of x
  maxPool2dBackward: kernel<PoolParams>({
    operands: "strided",
    epilogue: false,
    grad: "MaxPool2DWithIndicesBackwardBackward0",
    dtype: ([, g]) => g.dtype,
    shape: ([x]) => [...x.shape],
    vjp: (gg, { ins: [x], params, needs }) => [
      null,
      needs[1] ? x.maxPool2dSelect(gg, params) : null,
    ],
  }),
  // v [N, C, H, W] read at each window's first maximum of x: [N, C, OH, OW] (double backward)
  maxPool2dSelect: kernel<PoolParams>({
    operands: "strided",
    epilogue: true,
    grad: "MaxPool2DWithIndicesBackward0",
    dtype: ([, v]) => v.dtype,
    shape: pooledShape,
    vjp: (g, { ins: [x], params, needs }) => [
      null,
      needs[1] ? x.maxPool2dBackward(g, params) : null,
    ],
  }),
} satisfies Record<string, OpDef<never>>;
