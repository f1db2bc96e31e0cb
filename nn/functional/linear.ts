// F.linear and F.dropout.
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
  if (x.ndim === 2)
    return composite("AddmmBackward0", [x, weight, bias], (a, w, b) => a.matmul(w.T).add(b));
  // PyTorch 1.13 folds a contiguous 3-D input to rows for addmm and views the result back
  if (x.ndim === 3 && x.isContiguous())
    return composite("ViewBackward0", [x, weight, bias], (a, w, b) => a.matmul(w.T).add(b));
  return x.matmul(weight.T).add(bias);
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
