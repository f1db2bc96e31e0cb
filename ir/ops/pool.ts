// Max pooling over any number of spatial dims (1 to 3: the params' lists say how many), a kernel op
// (backend/js/pool.ts): its gradient goes to the maximum of each window (PyTorch's argmax: the
// first maximum, or the last NaN), through a second kernel op that recomputes the argmax, and that
// one's gradient reads each window's maximum through a third; a fourth gives the argmax itself
// (returnIndices). (Average pooling is a convolution with a constant weight: nn/functional/pool.ts.)
import { kernel, type OpDef, type Operand } from "../op-def";

// one entry per spatial dim
export interface PoolParams {
  kernel: number[];
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
  ...p.kernel.map((k, i) =>
    poolOut(x.shape[2 + i], k, p.stride[i], p.padding[i], p.dilation[i], p.ceilMode),
  ),
];
// PyTorch's grad_fn names carry the rank: MaxPool2DWithIndicesBackward0, MaxPool3D...
const named =
  (suffix: string) =>
  ([x]: Operand[]) =>
    `MaxPool${x.shape.length - 2}DWithIndices${suffix}`;

// maxPoolBackward and maxPoolSelect are linear in their second operand and each other's adjoint;
// in x they are piecewise constant (the argmax moves only at ties), so no gradient to x.
export const poolOps = {
  // [N, C, ...S] -> [N, C, ...OS]: the max of each window (NaN if it holds one)
  maxPool: kernel<PoolParams>({
    operands: "strided",
    epilogue: true,
    grad: named("Backward0"),
    dtype: ([x]) => x.dtype,
    shape: pooledShape,
    vjp: (g, { ins: [x], params }) => [x.maxPoolBackward(g, params)],
  }),
  // where each window's maximum is (int32): its flat position in the input's [...S] volume
  // (h * W + w in 2-d), PyTorch's indices (the first maximum; the last NaN)
  maxPoolIndices: kernel<PoolParams>({
    operands: "strided",
    epilogue: false,
    grad: "",
    dtype: () => "int32",
    shape: pooledShape,
    vjp: null,
  }),
  // maxPool's input gradient: g [N, C, ...OS] added at each window's first maximum of x
  maxPoolBackward: kernel<PoolParams>({
    operands: "strided",
    epilogue: false,
    grad: named("BackwardBackward0"),
    dtype: ([, g]) => g.dtype,
    shape: ([x]) => [...x.shape],
    vjp: (gg, { ins: [x], params, needs }) => [null, needs[1] ? x.maxPoolSelect(gg, params) : null],
  }),
  // v [N, C, ...S] read at each window's first maximum of x: [N, C, ...OS] (double backward)
  maxPoolSelect: kernel<PoolParams>({
    operands: "strided",
    epilogue: true,
    grad: named("Backward0"),
    dtype: ([, v]) => v.dtype,
    shape: pooledShape,
    vjp: (g, { ins: [x], params, needs }) => [null, needs[1] ? x.maxPoolBackward(g, params) : null],
  }),
} satisfies Record<string, OpDef<never>>;
