// torch.nn.functional for jitgrad: compositions of existing tensor ops (no new loops), so every
// function runs eagerly, traces into compile(), and differentiates through the primitives' VJPs.
// Eagerly, each loss records one grad_fn with PyTorch's name (NllLossBackward0, MseLossBackward0, ...).
import { isFloat, scalarTypeName } from "../ir/dtype";
import { fmtShape, normDim } from "../ir/shape";
import { composite } from "../runtime/composite";
import { arange, ones } from "../runtime/create";
import { activeTrace } from "../runtime/dispatch";
import { CompileError } from "../runtime/errors";
import { randValues } from "../runtime/random";
import type { Tensor } from "../runtime/tensor";

/** How a loss reduces over elements: their mean (default), their sum, or none. */
export type Reduction = "mean" | "sum" | "none";
/** Options of the losses. */
export interface LossOptions {
  reduction?: Reduction;
}
/**
 * Options of `nllLoss` and `crossEntropy`: `ignoreIndex` is a label that contributes
 * nothing.
 */
export interface NllOptions extends LossOptions {
  ignoreIndex?: number;
}

const scalarType = (t: Tensor) => scalarTypeName(t.dtype);

function reduce(losses: Tensor, reduction: Reduction): Tensor {
  if (reduction === "none") return losses;
  if (reduction === "sum") return losses.sum();
  if (reduction === "mean") return losses.mean();
  throw new Error(`${reduction} is not a valid value for reduction`);
}

// nll_loss's argument checks, in PyTorch 1.13's order (nll_loss_nd, then the nll_loss meta
// function, then the kernel), so a bad call fails before anything is computed.
function checkNll(input: Tensor, target: Tensor, ignoreIndex: number): void {
  if (input.ndim < 1) throw new Error(`Expected 1 or more dimensions (got ${input.ndim})`);
  const targetBatch = target.ndim ? target.shape[0] : 0; // PyTorch reads sizes()[0] of a 0-d target as 0
  if (input.ndim !== 1 && input.shape[0] !== targetBatch) {
    throw new Error(
      `Expected input batch_size (${input.shape[0]}) to match target batch_size (${targetBatch}).`,
    );
  }
  if (input.ndim <= 2) {
    if (target.ndim > 1)
      throw new Error("0D or 1D target tensor expected, multi-target not supported");
    if (!(input.ndim === 1 && target.ndim === 0) && input.shape[0] !== target.shape[0]) {
      throw new Error(
        `size mismatch (got input: ${fmtShape(input.shape)}, target: ${fmtShape(target.shape)})`,
      );
    }
  } else if (fmtShape(target.shape.slice(1)) !== fmtShape(input.shape.slice(2))) {
    throw new Error(
      `Expected target size ${fmtShape([input.shape[0], ...input.shape.slice(2)])}, got ${fmtShape(target.shape)}`,
    );
  }
  if (target.dtype !== "int32")
    throw new Error(`expected scalar type Long but found ${scalarType(target)}`);
  if (!target.storage) return; // tracing: the labels' values are not known yet (see nllLoss)
  const classes = input.shape[input.ndim === 1 ? 0 : 1];
  for (const t of target.values()) {
    if (t !== ignoreIndex && (t < 0 || t >= classes))
      throw new Error(`Target ${t} is out of bounds.`);
  }
}

/**
 * PyTorch's nll_loss: input holds log-probabilities, (C), (N, C) or (N, C, d1, ...); target the
 * int32 class of each sample, (), (N) or (N, d1, ...). Picking input[n, target[n]] is a one-hot
 * mask (target == arange(C)) and a sum, so it traces and compiles like any other op.
 * Inside compile() the labels' values are unknown while tracing, so an out-of-range label cannot
 * throw there; it makes the loss NaN instead.
 */
export function nllLoss(
  input: Tensor,
  target: Tensor,
  { reduction = "mean", ignoreIndex = -100 }: NllOptions = {},
): Tensor {
  checkNll(input, target, ignoreIndex);
  const classDim = input.ndim === 1 ? 0 : 1,
    classes = input.shape[classDim];
  const classShape = input.shape.map((n, d) => (d === classDim ? n : 1)).slice(classDim);
  // PyTorch runs (N, C, d1, ...) inputs through nll_loss2d, viewed back to the target's shape for reduction "none"
  const name =
    input.ndim <= 2
      ? "NllLossBackward0"
      : input.ndim !== 4 && reduction === "none"
        ? "ViewBackward0"
        : "NllLoss2DBackward0";
  return composite(name, [input], (x) => {
    const t = target.unsqueeze(classDim); // the class axis, to compare against arange(C)
    const valid = target.ne(ignoreIndex);
    let hit = t.eq(arange(classes).reshape(classShape));
    if (ignoreIndex >= 0 && ignoreIndex < classes) hit = hit.where(t.ne(ignoreIndex), false);
    let losses = x.where(hit, 0).sum(classDim).neg();
    if (activeTrace()) {
      // compiled: a label outside [0, C) other than ignoreIndex makes the loss NaN
      const outOfRange = target.lt(0).logicalOr(target.ge(classes)).where(valid, false).sum().gt(0);
      losses = losses.where(outOfRange.logicalNot(), NaN);
    }
    if (reduction === "mean") return losses.sum().div(valid.sum()); // mean over non-ignored targets, as PyTorch
    return reduce(losses, reduction);
  });
}

/**
 * PyTorch's cross_entropy: logSoftmax over the class dim, then nllLoss. A float target of the
 * input's shape holds class probabilities instead of labels.
 */
export function crossEntropy(input: Tensor, target: Tensor, opts: NllOptions = {}): Tensor {
  const classDim = input.ndim === 1 ? 0 : 1;
  if (fmtShape(input.shape) === fmtShape(target.shape)) {
    if (!isFloat(target.dtype))
      throw new Error(
        `Expected floating point type for target with class probabilities, got ${scalarType(target)}`,
      );
    // as PyTorch's cross_entropy with class probabilities: -(logp * target) summed, then divided by the batch size
    const reduction = opts.reduction ?? "mean",
      batch = input.numel() / input.shape[classDim];
    if (reduction === "none") return input.logSoftmax(classDim).mul(target).sum(classDim).neg();
    if (reduction === "sum") return input.logSoftmax(classDim).mul(target).sum().neg();
    if (reduction === "mean")
      return composite("DivBackward1", [input, target], (x, t) =>
        x.logSoftmax(classDim).mul(t).sum().neg().div(batch),
      );
    return reduce(input, reduction); // throws for an unknown reduction
  }
  if (input.ndim < 1) throw new Error(`Expected 1 or more dimensions (got ${input.ndim})`);
  return nllLoss(logSoftmax(input, classDim), target, opts);
}

/** PyTorch's mse_loss: (input - target)^2, broadcast, then reduced. */
export function mseLoss(
  input: Tensor,
  target: Tensor,
  { reduction = "mean" }: LossOptions = {},
): Tensor {
  return composite("MseLossBackward0", [input, target], (x, y) =>
    reduce(x.sub(y).square(), reduction),
  );
}

/** max(x, 0). */
export const relu = (x: Tensor): Tensor => x.relu();
/** Hyperbolic tangent. */
export const tanh = (x: Tensor): Tensor => x.tanh();
/** 1 / (1 + e^-x). */
export const sigmoid = (x: Tensor): Tensor => x.sigmoid();
/** Softmax over `dim` (default the last). */
export const softmax = (x: Tensor, dim = -1): Tensor => x.softmax(normDim(dim, x.ndim));
/** Log-softmax over `dim` (default the last). */
export const logSoftmax = (x: Tensor, dim = -1): Tensor => x.logSoftmax(normDim(dim, x.ndim));

/** Options of GELU: the exact form (`"none"`, default) or the tanh approximation. */
export interface GeluOptions {
  approximate?: "none" | "tanh";
}
/**
 * GELU: x * Phi(x). approximate "none" (PyTorch's default) is exact, x/2 (1 + erf(x / sqrt 2));
 * "tanh" is x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
 */
export function gelu(x: Tensor, { approximate = "none" }: GeluOptions = {}): Tensor {
  if (approximate === "none")
    return composite("GeluBackward0", [x], (v) => v.mul(0.5).mul(v.mul(Math.SQRT1_2).erf().add(1)));
  if (approximate === "tanh") {
    return composite("GeluBackward0", [x], (v) =>
      v.mul(0.5).mul(
        v
          .mul(v)
          .mul(v)
          .mul(0.044715)
          .add(v)
          .mul(Math.sqrt(2 / Math.PI))
          .tanh()
          .add(1),
      ),
    );
  }
  throw new Error(`approximate argument must be either none or tanh.`);
}

/** `x @ weight^T + bias`; weight is [out, in]. */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
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
export function dropout(x: Tensor, p = 0.5, training = true): Tensor {
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

/** The functional API as one object, as `torch.nn.functional` is usually imported (`F`). */
export const F = {
  relu,
  tanh,
  sigmoid,
  gelu,
  softmax,
  logSoftmax,
  linear,
  dropout,
  nllLoss,
  crossEntropy,
  mseLoss,
};
