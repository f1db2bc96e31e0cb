// F.linear and F.dropout.
import { isFloat, promote, scalarTypeName } from "../../ir/dtype";
import * as arg from "../../runtime/args";
import { composite } from "../../runtime/composite";
import { ones } from "../../runtime/create";
import { activeTrace } from "../../runtime/dispatch";
import { CompileError } from "../../runtime/errors";
import { randValues } from "../../runtime/random";
import type { Tensor } from "../../runtime/tensor";

export function linear(input: Tensor, weightArg: Tensor, biasArg?: Tensor | null): Tensor {
  const x = arg.tensorArg(input, "linear", "input", 1),
    weight = arg.tensorArg(weightArg, "linear", "weight", 2),
    bias =
      biasArg === undefined || biasArg === null
        ? null
        : arg.tensorArg(biasArg, "linear", "bias", 3);
  if (!bias) return x.matmul(weight.T);
  // addmm(bias, x, weight.t()) as PyTorch records it: next functions (bias, x, TBackward0); addmm
  // promotes nothing, and checks the dtypes before the shapes
  const addmm = (rows: Tensor) => {
    if (bias.dtype !== weight.dtype) throw new Error("self and mat2 must have the same dtype");
    if (rows.dtype !== weight.dtype) throw new Error("mat1 and mat2 must have the same dtype");
    return composite("AddmmBackward0", [bias, rows, weight.t()], (b, a, wt) => a.matmul(wt).add(b));
  };
  if (x.ndim === 2) return addmm(x);
  // PyTorch 1.13 folds a contiguous 3-D input to rows for addmm and views the result back
  if (x.ndim === 3 && x.isContiguous())
    return addmm(x.view([-1, x.shape[2]])).view([x.shape[0], x.shape[1], -1]);
  // elsewhere matmul, then bias added in place: the product keeps its dtype (a float bias cannot
  // go into an integer product)
  const y = x.matmul(weight.T);
  const sum = promote(y.dtype, bias.dtype);
  if (sum === y.dtype) return y.add(bias);
  if (isFloat(sum) && !isFloat(y.dtype))
    throw new Error(
      `result type ${scalarTypeName(sum)} can't be cast to the desired output type ${scalarTypeName(y.dtype)}`,
    );
  return composite("AddBackward0", [y, bias], (a, b) => a.add(b).to(a.dtype));
}

/**
 * Dropout as PyTorch's CPU _dropout: keep each element with probability 1 - p, drawn as
 * bernoulli(1 - p) from double uniforms of the global generator (two 32-bit draws per element),
 * and scale kept ones by 1 / (1 - p). Identity when !training or p == 0.
 */
export function dropout(input: Tensor, pArg = 0.5, trainingArg = true): Tensor {
  const x = arg.tensorArg(input, "dropout", "input", 1),
    p = arg.number(pArg, "dropout", "p", 2),
    training = arg.bool(trainingArg, "dropout", "training", 3);
  if (!(p >= 0 && p <= 1))
    throw new Error(`dropout probability has to be between 0 and 1, but got ${p}`);
  if (p === 0 || !training || x.numel() === 0) return x;
  if (activeTrace()) {
    throw new CompileError(
      "dropout in training mode draws a new mask at every call, which a compiled function cannot do yet; call model.eval() or keep dropout outside compile()",
    );
  }
  if (p === 1) return x.mul(0);
  const keep = 1 - p,
    u = randValues(x.numel(), "float64");
  const scale = Math.fround(1 / Math.fround(keep)); // noise.div_(1 - p) in float
  const noise = ones(x.shape, { dtype: x.dtype });
  const s = noise.storage!;
  for (let i = 0; i < s.length; i++)
    s[i] = u[i] < keep ? (x.dtype === "float32" ? scale : 1 / keep) : 0;
  return x.mul(noise);
}

// PyTorch's feature_dropout: one draw per (sample, channel), as dropout's draws on a tensor of
// shape [N, C, 1, ...], broadcast over the channel's elements
function featureDropout(x: Tensor, p: number, training: boolean): Tensor {
  if (p === 0 || !training || x.numel() === 0) return x;
  const noise = dropout(
    ones([x.shape[0], x.shape[1], ...x.shape.slice(2).map(() => 1)], { dtype: x.dtype }),
    p,
  );
  return x.mul(noise);
}
function channelDropoutArgs(input: unknown, pArg: unknown, trainingArg: unknown, fn: string) {
  const x = arg.tensorArg(input, fn, "input", 1),
    p = arg.number(pArg, fn, "p", 2),
    training = arg.bool(trainingArg, fn, "training", 3);
  if (!(p >= 0 && p <= 1))
    throw new Error(`dropout probability has to be between 0 and 1, but got ${p}`);
  return { x, p, training };
}
/**
 * Zeroes whole channels (dim 1 of [N, C, H, W], or of a 3-D input read as [N, C, L] as PyTorch
 * 1.13 does) with probability p, scaling the rest by 1 / (1 - p); PyTorch's draws.
 */
export function dropout2d(input: Tensor, pArg = 0.5, trainingArg = true): Tensor {
  const { x, p, training } = channelDropoutArgs(input, pArg, trainingArg, "dropout2d");
  if (x.ndim !== 3 && x.ndim !== 4)
    throw new Error(
      `dropout2d: Expected 3D or 4D input, but received a ${x.ndim}D input (PyTorch 1.13 deprecates other ranks; use dropout)`,
    );
  return featureDropout(x, p, training);
}
/** Zeroes whole channels of [N, C, L] (or unbatched [C, L]) with probability p. */
export function dropout1d(input: Tensor, pArg = 0.5, trainingArg = true): Tensor {
  const { x, p, training } = channelDropoutArgs(input, pArg, trainingArg, "dropout1d");
  if (x.ndim !== 2 && x.ndim !== 3)
    throw new Error(
      `dropout1d: Expected 2D or 3D input, but received a ${x.ndim}D input. Note that dropout1d exists to provide channel-wise dropout on inputs with 1 spatial dimension, a channel dimension, and an optional batch dimension (i.e. 2D or 3D inputs).`,
    );
  if (x.ndim === 2) return featureDropout(x.unsqueeze(0), p, training).squeeze(0);
  return featureDropout(x, p, training);
}
