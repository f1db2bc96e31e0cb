// torch.nn.functional for jitgrad: compositions of existing tensor ops (no new loops), so every
// function runs eagerly, traces into compile(), and differentiates through the primitives' VJPs.
// Eagerly, each loss records one grad_fn with PyTorch's name (NllLossBackward0, MseLossBackward0, ...).
import { isFloat, scalarTypeName } from "../ir/dtype";
import { fmtShape, normDim } from "../ir/shape";
import * as arg from "../runtime/args";
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
  /** How the loss reduces over elements. Default "mean". */
  reduction?: Reduction;
}
/**
 * Options of `nllLoss` and `crossEntropy`: `ignoreIndex` is a label that contributes
 * nothing; `weight` rescales each class.
 */
export interface NllOptions extends LossOptions {
  /** A target label that contributes nothing (not to the mean's count either). Default -100. */
  ignoreIndex?: number;
  /** a rescaling weight per class: 1-D, one value per class, of the input's dtype */
  weight?: Tensor | null;
}
export interface CrossEntropyOptions extends NllOptions {
  /** in [0, 1]: the target mixes the labels with the uniform distribution (PyTorch's label_smoothing) */
  labelSmoothing?: number;
}
const REDUCTIONS = ["mean", "sum", "none"] as const;
function reductionOf(v: unknown, fn: string): Reduction {
  if (v === undefined) return "mean";
  for (const r of REDUCTIONS) if (v === r) return r;
  if (typeof v === "string") throw new Error(`${v} is not a valid value for reduction`);
  throw new TypeError(`${fn}(): reduction must be 'mean', 'sum' or 'none', not ${arg.typeName(v)}`);
}
// nll_loss/cross_entropy's options, checked once; the weight against the input's classes and dtype
function nllOptions(input: Tensor, opts: unknown, fn: string, smoothing: boolean) {
  const keys = ["reduction", "ignoreIndex", "weight", ...(smoothing ? ["labelSmoothing"] : [])];
  const o = arg.options(
    opts,
    fn,
    keys as ("reduction" | "ignoreIndex" | "weight" | "labelSmoothing")[],
  );
  const weight =
    o.weight === undefined || o.weight === null ? null : arg.tensorArg(o.weight, fn, "weight", 3);
  const classes = input.shape[input.ndim === 1 ? 0 : 1];
  if (weight && input.ndim >= 1) {
    if (weight.ndim !== 1 || weight.shape[0] !== classes)
      throw new Error(
        `weight tensor should be defined either for all ${classes} classes or no classes but got weight tensor of shape: ${fmtShape(weight.shape)}`,
      );
    if (weight.dtype !== input.dtype)
      throw new Error(`expected scalar type ${scalarType(input)} but found ${scalarType(weight)}`);
  }
  const labelSmoothing =
    o.labelSmoothing === undefined ? 0 : arg.number(o.labelSmoothing, fn, "labelSmoothing");
  if (!(labelSmoothing >= 0 && labelSmoothing <= 1))
    throw new Error(`label_smoothing must be between 0.0 and 1.0. Got: ${labelSmoothing}`);
  return {
    reduction: reductionOf(o.reduction, fn),
    ignoreIndex: o.ignoreIndex === undefined ? -100 : arg.int(o.ignoreIndex, fn, "ignoreIndex"),
    weight,
    labelSmoothing,
  };
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
export function nllLoss(inputArg: Tensor, targetArg: Tensor, opts?: NllOptions): Tensor {
  const input = arg.tensorArg(inputArg, "nll_loss", "input", 1),
    target = arg.tensorArg(targetArg, "nll_loss", "target", 2);
  const o = nllOptions(input, opts, "nll_loss", false);
  checkNll(input, target, o.ignoreIndex);
  return nll(input, target, o.reduction, o.ignoreIndex, o.weight);
}
function nll(
  input: Tensor,
  target: Tensor,
  reduction: Reduction,
  ignoreIndex: number,
  weight: Tensor | null,
): Tensor {
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
    // weighted: each sample's loss scaled by its class's weight (not differentiated, as in PyTorch)
    const w = weight?.detach().reshape(classShape);
    let picked = x.where(hit, 0);
    if (w) picked = picked.mul(w);
    let losses = picked.sum(classDim).neg();
    if (activeTrace()) {
      // compiled: a label outside [0, C) other than ignoreIndex makes the loss NaN
      const outOfRange = target.lt(0).logicalOr(target.ge(classes)).where(valid, false).sum().gt(0);
      losses = losses.where(outOfRange.logicalNot(), NaN);
    }
    // mean over non-ignored targets (weighted: divided by the sum of their weights), as PyTorch
    if (reduction === "mean") return losses.sum().div(w ? w.where(hit, 0).sum() : valid.sum());
    return reduce(losses, reduction);
  });
}

/**
 * PyTorch's cross_entropy: logSoftmax over the class dim, then nllLoss. A float target of the
 * input's shape holds class probabilities instead of labels.
 */
export function crossEntropy(
  inputArg: Tensor,
  targetArg: Tensor,
  opts?: CrossEntropyOptions,
): Tensor {
  const input = arg.tensorArg(inputArg, "cross_entropy", "input", 1),
    target = arg.tensorArg(targetArg, "cross_entropy", "target", 2);
  const { reduction, ignoreIndex, weight, labelSmoothing } = nllOptions(
    input,
    opts,
    "cross_entropy",
    true,
  );
  const classDim = input.ndim === 1 ? 0 : 1,
    classes = input.shape[classDim];
  const classShape = input.shape.map((n, d) => (d === classDim ? n : 1));
  const w = weight?.detach().reshape(classShape);
  if (fmtShape(input.shape) === fmtShape(target.shape)) {
    if (!isFloat(target.dtype))
      throw new Error(
        `Expected floating point type for target with class probabilities, got ${scalarType(target)}`,
      );
    // as PyTorch's cross_entropy with class probabilities: the target smoothed towards uniform,
    // -(logp * target [* weight]) summed, and divided by the batch size for "mean"
    const batch = input.numel() / classes;
    const terms = (x: Tensor, t: Tensor) => {
      const smoothed =
        labelSmoothing > 0 ? t.mul(1 - labelSmoothing).add(labelSmoothing / classes) : t;
      const p = x.logSoftmax(classDim).mul(smoothed);
      return w ? p.mul(w) : p;
    };
    if (reduction === "none") return terms(input, target).sum(classDim).neg();
    if (reduction === "sum") return terms(input, target).sum().neg();
    return composite("DivBackward1", [input, target], (x, t) => terms(x, t).sum().neg().div(batch));
  }
  if (input.ndim < 1) throw new Error(`Expected 1 or more dimensions (got ${input.ndim})`);
  checkNll(input, target, ignoreIndex);
  if (labelSmoothing === 0)
    return nll(logSoftmax(input, classDim), target, reduction, ignoreIndex, weight);
  // PyTorch's cross_entropy_loss_label_smoothing: (1 - e) nll + e / C * smooth, where smooth is
  // -sum over classes of logp [* weight] per sample (0 for ignored targets), reduced like the nll
  // ("mean" divides by the number, or the total weight, of the non-ignored targets)
  return composite("AddBackward0", [input], (x) => {
    const logp = logSoftmax(x, classDim);
    const nllLoss = nll(logp, target, reduction, ignoreIndex, weight);
    const ignored = target.eq(ignoreIndex);
    let smooth = (w ? logp.mul(w) : logp).sum(classDim).neg().where(ignored.logicalNot(), 0);
    if (reduction === "mean") {
      const kept = ignored.logicalNot();
      const denom = w
        ? w
            .where(
              target.unsqueeze(classDim).eq(arange(classes).reshape(classShape.slice(classDim))),
              0,
            )
            .sum(classDim)
            .where(kept, 0)
            .sum()
        : kept.sum();
      smooth = smooth.sum().div(denom);
    } else if (reduction === "sum") smooth = smooth.sum();
    return nllLoss.mul(1 - labelSmoothing).add(smooth.mul(labelSmoothing / classes));
  });
}

/** PyTorch's mse_loss: (input - target)^2, broadcast, then reduced. */
export function mseLoss(inputArg: Tensor, targetArg: Tensor, opts?: LossOptions): Tensor {
  const input = arg.tensorArg(inputArg, "mse_loss", "input", 1),
    target = arg.tensorArg(targetArg, "mse_loss", "target", 2);
  const reduction = reductionOf(arg.options(opts, "mse_loss", ["reduction"]).reduction, "mse_loss");
  if (fmtShape(input.shape) !== fmtShape(target.shape)) {
    // PyTorch's UserWarning, shown once per pair of shapes (Python shows it once per call site)
    const key = `${fmtShape(input.shape)} ${fmtShape(target.shape)}`;
    if (!warnedShapes.has(key)) {
      warnedShapes.add(key);
      console.warn(
        `UserWarning: Using a target size (torch.Size(${fmtShape(target.shape)})) that is different to the input size (torch.Size(${fmtShape(input.shape)})). This will likely lead to incorrect results due to broadcasting. Please ensure they have the same size.`,
      );
    }
  }
  return composite("MseLossBackward0", [input, target], (x, y) =>
    reduce(x.sub(y).square(), reduction),
  );
}

const warnedShapes = new Set<string>();
// PyTorch's UserWarning for a target that broadcasts against the input, once per pair of shapes
function warnBroadcast(input: Tensor, target: Tensor): void {
  if (fmtShape(input.shape) === fmtShape(target.shape)) return;
  const key = `${fmtShape(input.shape)} ${fmtShape(target.shape)}`;
  if (warnedShapes.has(key)) return;
  warnedShapes.add(key);
  console.warn(
    `UserWarning: Using a target size (torch.Size(${fmtShape(target.shape)})) that is different to the input size (torch.Size(${fmtShape(input.shape)})). This will likely lead to incorrect results due to broadcasting. Please ensure they have the same size.`,
  );
}
function lossArgs(inputArg: unknown, targetArg: unknown, fn: string) {
  return [
    arg.tensorArg(inputArg, fn, "input", 1),
    arg.tensorArg(targetArg, fn, "target", 2),
  ] as const;
}
const sameSize = (a: Tensor, b: Tensor) => fmtShape(a.shape) === fmtShape(b.shape);

// ---- losses (issue 11) ----
/** PyTorch's l1_loss: |input - target|, broadcast, then reduced. */
export function l1Loss(inputArg: Tensor, targetArg: Tensor, opts?: LossOptions): Tensor {
  const [input, target] = lossArgs(inputArg, targetArg, "l1_loss");
  const reduction = reductionOf(arg.options(opts, "l1_loss", ["reduction"]).reduction, "l1_loss");
  warnBroadcast(input, target);
  return reduce(input.sub(target).abs(), reduction);
}
/** Options of smoothL1Loss: where the loss turns from quadratic to linear (default 1). */
export interface SmoothL1Options extends LossOptions {
  beta?: number;
}
/** PyTorch's smooth_l1_loss: 0.5 d^2 / beta where |d| < beta, |d| - 0.5 beta elsewhere. */
export function smoothL1Loss(inputArg: Tensor, targetArg: Tensor, opts?: SmoothL1Options): Tensor {
  const [input, target] = lossArgs(inputArg, targetArg, "smooth_l1_loss");
  const o = arg.options(opts, "smooth_l1_loss", ["reduction", "beta"]);
  const reduction = reductionOf(o.reduction, "smooth_l1_loss"),
    beta = numberOpt(o, "beta", "smooth_l1_loss", 1);
  if (beta < 0) throw new Error("smooth_l1_loss does not support negative values for beta.");
  warnBroadcast(input, target);
  return composite("SmoothL1LossBackward0", [input, target], (x, y) => {
    const d = x.sub(y),
      a = d.abs();
    if (beta === 0) return reduce(a, reduction);
    return reduce(
      d
        .mul(d)
        .mul(0.5 / beta)
        .where(a.lt(beta), a.sub(0.5 * beta)),
      reduction,
    );
  });
}
/** Options of huberLoss: where the loss turns from quadratic to linear (default 1). */
export interface HuberOptions extends LossOptions {
  delta?: number;
}
/** PyTorch's huber_loss: 0.5 d^2 where |d| <= delta, delta (|d| - 0.5 delta) elsewhere. */
export function huberLoss(inputArg: Tensor, targetArg: Tensor, opts?: HuberOptions): Tensor {
  const [input, target] = lossArgs(inputArg, targetArg, "huber_loss");
  const o = arg.options(opts, "huber_loss", ["reduction", "delta"]);
  const reduction = reductionOf(o.reduction, "huber_loss"),
    delta = numberOpt(o, "delta", "huber_loss", 1);
  if (!(delta > 0)) throw new Error("huber_loss does not support non-positive values for delta.");
  warnBroadcast(input, target);
  return composite("HuberLossBackward0", [input, target], (x, y) => {
    const d = x.sub(y),
      a = d.abs();
    return reduce(
      d
        .mul(d)
        .mul(0.5)
        .where(a.le(delta), a.sub(0.5 * delta).mul(delta)),
      reduction,
    );
  });
}
/** Options of binaryCrossEntropy: a weight (broadcast to the input) rescales each element's loss. */
export interface BceOptions extends LossOptions {
  weight?: Tensor | null;
}
function weightOpt(v: unknown, fn: string, name: string, input: Tensor): Tensor | null {
  if (v === undefined || v === null) return null;
  const w = arg.tensorArg(v, fn, name);
  broadcastCheck(w, input);
  return w;
}
// PyTorch's "The size of tensor a (4) must match the size of tensor b (3) at non-singleton dimension 1"
function broadcastCheck(w: Tensor, input: Tensor): void {
  for (let i = 1; i <= w.ndim; i++) {
    const a = input.shape[input.ndim - i] ?? 1,
      b = w.shape[w.ndim - i];
    if (b !== a && b !== 1)
      throw new Error(
        `The size of tensor a (${a}) must match the size of tensor b (${b}) at non-singleton dimension ${Math.max(input.ndim, w.ndim) - i}`,
      );
  }
}
/**
 * PyTorch's binary_cross_entropy: -(t log x + (1 - t) log(1 - x)), input probabilities in [0, 1],
 * each log clamped at -100 as PyTorch does; target of the input's size.
 */
export function binaryCrossEntropy(inputArg: Tensor, targetArg: Tensor, opts?: BceOptions): Tensor {
  const [input, target] = lossArgs(inputArg, targetArg, "binary_cross_entropy");
  const o = arg.options(opts, "binary_cross_entropy", ["reduction", "weight"]);
  const reduction = reductionOf(o.reduction, "binary_cross_entropy");
  if (!sameSize(input, target))
    throw new Error(
      `Using a target size (torch.Size(${fmtShape(target.shape)})) that is different to the input size (torch.Size(${fmtShape(input.shape)})) is deprecated. Please ensure they have the same size.`,
    );
  const weight = weightOpt(o.weight, "binary_cross_entropy", "weight", input);
  if (input.storage && !activeTrace() && input.values().some((v) => !(v >= 0 && v <= 1)))
    throw new Error("all elements of input should be between 0 and 1");
  const ins = weight ? [input, target, weight] : [input, target];
  return composite("BinaryCrossEntropyBackward0", ins, (x, t, w) => {
    // PyTorch's value, (t - 1) max(log(1 - x), -100) - t max(log x, -100), and its gradients:
    // (x - t) / max((1 - x) x, 1e-12) for the input, log(1 - x) - log x (clamped) for the target
    // (the composition's own gradient would be 0/0 at x = 0 or 1), each added as k x - k x, which
    // is exactly 0 with gradient k
    const xd = x.detach(),
      td = t.detach();
    const logx = xd.log().clamp(-100),
      log1mx = xd.neg().add(1).log().clamp(-100);
    let l = td.sub(1).mul(log1mx).sub(td.mul(logx));
    const gx = xd.sub(td).div(xd.neg().add(1).mul(xd).clamp(1e-12)),
      gt = log1mx.sub(logx);
    l = l.add(x.mul(gx).sub(xd.mul(gx))).add(t.mul(gt).sub(td.mul(gt)));
    if (w) l = l.mul(w.detach());
    return reduce(l, reduction);
  });
}

/** Options of binaryCrossEntropyWithLogits: weight, and posWeight (the positive class's weight). */
export interface BceWithLogitsOptions extends BceOptions {
  posWeight?: Tensor | null;
}
/**
 * PyTorch's binary_cross_entropy_with_logits: binaryCrossEntropy(sigmoid(x), t) computed stably,
 * (1 - t) x + lw (log1p(exp(-|x|)) + max(-x, 0)), lw = (posWeight - 1) t + 1.
 */
export function binaryCrossEntropyWithLogits(
  inputArg: Tensor,
  targetArg: Tensor,
  opts?: BceWithLogitsOptions,
): Tensor {
  const fn = "binary_cross_entropy_with_logits";
  const [input, target] = lossArgs(inputArg, targetArg, fn);
  const o = arg.options(opts, fn, ["reduction", "weight", "posWeight"]);
  const reduction = reductionOf(o.reduction, fn);
  if (!sameSize(input, target))
    throw new Error(
      `Target size (torch.Size(${fmtShape(target.shape)})) must be the same as input size (torch.Size(${fmtShape(input.shape)}))`,
    );
  const weight = weightOpt(o.weight, fn, "weight", input),
    posWeight = weightOpt(o.posWeight, fn, "posWeight", input);
  const ins = [input, target, ...(weight ? [weight] : []), ...(posWeight ? [posWeight] : [])];
  return composite("BinaryCrossEntropyWithLogitsBackward0", ins, (x, t, ...rest) => {
    const w = weight ? rest.shift() : undefined,
      pw = posWeight ? rest.shift() : undefined;
    // max(-x, 0) by maximum, whose tie at x = 0 splits the gradient: d/dx softplus(-x) = -1/2 there
    const soft = x.abs().neg().exp().log1p().add(x.neg().maximum(0));
    const lw = pw ? pw.detach().sub(1).mul(t).add(1) : null;
    let l = t
      .neg()
      .add(1)
      .mul(x)
      .add(lw ? lw.mul(soft) : soft);
    if (w) l = l.mul(w);
    return reduce(l, reduction);
  });
}
/** Options of klDiv: reduction may also be "batchmean"; logTarget: the target holds log-probabilities. */
export interface KlDivOptions {
  reduction?: Reduction | "batchmean";
  logTarget?: boolean;
}
/**
 * PyTorch's kl_div: target (log(target) - input) pointwise (0 where target is 0; with logTarget,
 * exp(target) (target - input)), input holding log-probabilities; "batchmean" divides the sum by
 * the batch size (the KL divergence), "mean" by the number of elements.
 */
export function klDiv(inputArg: Tensor, targetArg: Tensor, opts?: KlDivOptions): Tensor {
  const [input, target] = lossArgs(inputArg, targetArg, "kl_div");
  const o = arg.options(opts, "kl_div", ["reduction", "logTarget"]);
  const reduction = o.reduction === "batchmean" ? "batchmean" : reductionOf(o.reduction, "kl_div");
  const logTarget =
    o.logTarget === undefined ? false : arg.bool(o.logTarget, "kl_div", "logTarget");
  const pointwise = logTarget
    ? target.exp().mul(target.sub(input))
    : target.where(target.gt(0), 1).log().mul(target).sub(target.mul(input));
  if (reduction === "batchmean")
    return input.ndim === 0 ? pointwise.sum() : pointwise.sum().div(input.shape[0]);
  return reduce(pointwise, reduction);
}

/** max(x, 0). */
export const relu = (x: Tensor): Tensor => arg.tensorArg(x, "relu", "input").relu();
/** Hyperbolic tangent. */
export const tanh = (x: Tensor): Tensor => arg.tensorArg(x, "tanh", "input").tanh();
/** 1 / (1 + e^-x). */
export const sigmoid = (x: Tensor): Tensor => arg.tensorArg(x, "sigmoid", "input").sigmoid();
/** Softmax over `dim` (required: PyTorch 1.13's implicit choice is deprecated). */
export const softmax = (x: Tensor, dim: number): Tensor => {
  const t = arg.tensorArg(x, "softmax", "input");
  return t.softmax(normDim(softmaxDimOf(dim, "softmax"), t.ndim));
};
/** Log-softmax over `dim` (required). */
export const logSoftmax = (x: Tensor, dim: number): Tensor => {
  const t = arg.tensorArg(x, "log_softmax", "input");
  return t.logSoftmax(normDim(softmaxDimOf(dim, "log_softmax"), t.ndim));
};
function softmaxDimOf(dim: unknown, fn: string): number {
  if (dim === undefined)
    throw new TypeError(
      `${fn}(): the dim argument is required (PyTorch's implicit dim choice is deprecated); pass the dim to normalize over, e.g. -1 for the last`,
    );
  return arg.int(dim, fn, "dim", 2);
}

/** Options of GELU: the exact form (`"none"`, default) or the tanh approximation. */
export interface GeluOptions {
  /** "none" (default): exact, with erf; "tanh": the tanh approximation. */
  approximate?: "none" | "tanh";
}
/**
 * GELU: x * Phi(x). approximate "none" (PyTorch's default) is exact, x/2 (1 + erf(x / sqrt 2));
 * "tanh" is x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
 */
export function gelu(input: Tensor, opts?: GeluOptions): Tensor {
  const x = arg.tensorArg(input, "gelu", "input"),
    a = arg.options(opts, "gelu", ["approximate"]).approximate;
  const approximate =
    a === undefined ? "none" : arg.oneOf(a, "gelu", "approximate", ["none", "tanh"] as const);
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

// ---- activations (issue 11): compositions recorded as one node with PyTorch's grad_fn name ----
// A number option: absent means its default; anything but a number is a TypeError.
function numberOpt(o: Record<string, unknown>, key: string, fn: string, dflt: number): number {
  return o[key] === undefined ? dflt : arg.number(o[key], fn, key);
}
// x where `keep` holds, else 0: the argument of a branch that where() discards, so that the
// discarded branch cannot overflow and send NaN gradients (0 * inf) back
const safe = (x: Tensor, keep: Tensor) => x.where(keep, 0);
function floatInput(input: unknown, fn: string): Tensor {
  const x = arg.tensorArg(input, fn, "input", 1);
  if (!isFloat(x.dtype)) throw new Error(`"${fn}" not implemented for '${scalarType(x)}'`);
  return x;
}

/** Options of softplus: beta scales the input; above `threshold` (of beta x) it is linear. */
export interface SoftplusOptions {
  beta?: number;
  threshold?: number;
}
/** log(1 + exp(beta x)) / beta, and x where beta x > threshold (PyTorch's defaults: 1, 20). */
export function softplus(input: Tensor, opts?: SoftplusOptions): Tensor {
  const x = floatInput(input, "softplus");
  const o = arg.options(opts, "softplus", ["beta", "threshold"]);
  const beta = numberOpt(o, "beta", "softplus", 1),
    threshold = numberOpt(o, "threshold", "softplus", 20);
  return composite("SoftplusBackward0", [x], (v) => softplusOf(v, beta, threshold));
}
function softplusOf(v: Tensor, beta: number, threshold: number): Tensor {
  const linear = v.mul(beta).gt(threshold);
  const smooth = safe(v, linear.logicalNot()).mul(beta).exp().log1p();
  return v.where(linear, beta === 1 ? smooth : smooth.div(beta));
}
/** x * sigmoid(x) (SiLU, swish). */
export function silu(input: Tensor): Tensor {
  const x = floatInput(input, "silu");
  return composite("SiluBackward0", [x], (v) => v.mul(v.sigmoid()));
}
/** x * tanh(softplus(x)). */
export function mish(input: Tensor): Tensor {
  const x = floatInput(input, "mish");
  return composite("MishBackward0", [x], (v) => v.mul(softplusOf(v, 1, 20).tanh()));
}
/** Options of elu and celu. */
export interface AlphaOptions {
  alpha?: number;
}
const eluOf = (v: Tensor, alpha: number, inputScale: number, scale: number) => {
  const pos = v.gt(0);
  let neg = safe(v, pos.logicalNot());
  if (inputScale !== 1) neg = neg.mul(inputScale);
  const y = v.where(pos, neg.expm1().mul(alpha));
  return scale === 1 ? y : y.mul(scale);
};
/** x for x > 0, alpha (exp(x) - 1) elsewhere (alpha defaults to 1). */
export function elu(input: Tensor, opts?: AlphaOptions): Tensor {
  const x = floatInput(input, "elu");
  const alpha = numberOpt(arg.options(opts, "elu", ["alpha"]), "alpha", "elu", 1);
  return composite("EluBackward0", [x], (v) => eluOf(v, alpha, 1, 1));
}
const SELU_ALPHA = 1.6732632423543772,
  SELU_SCALE = 1.0507009873554805;
/** scale * elu(x, alpha) with SELU's fixed constants. */
export function selu(input: Tensor): Tensor {
  const x = floatInput(input, "selu");
  return composite("EluBackward0", [x], (v) => eluOf(v, SELU_ALPHA, 1, SELU_SCALE));
}
/** max(0, x) + min(0, alpha (exp(x / alpha) - 1)) (alpha defaults to 1). */
export function celu(input: Tensor, opts?: AlphaOptions): Tensor {
  const x = floatInput(input, "celu");
  const alpha = numberOpt(arg.options(opts, "celu", ["alpha"]), "alpha", "celu", 1);
  if (alpha === 0) throw new Error("ZeroDivisionError"); // PyTorch divides by alpha too
  return composite("CeluBackward0", [x], (v) => eluOf(v, alpha, 1 / alpha, 1));
}
/** Options of leakyRelu: the slope for x < 0 (default 0.01). */
export interface LeakyReluOptions {
  negativeSlope?: number;
}
/** x for x > 0, negativeSlope * x elsewhere. */
export function leakyRelu(input: Tensor, opts?: LeakyReluOptions): Tensor {
  const x = floatInput(input, "leaky_relu");
  const slope = numberOpt(
    arg.options(opts, "leaky_relu", ["negativeSlope"]),
    "negativeSlope",
    "leaky_relu",
    0.01,
  );
  return composite("LeakyReluBackward0", [x], (v) => v.where(v.gt(0), v.mul(slope)));
}
// clamp to [lo, hi] with the gradient passing strictly inside (PyTorch's hardtanh_backward)
const hardtanhOf = (v: Tensor, lo: number, hi: number) => {
  const a = v.where(v.gt(lo), v.detach().maximum(lo));
  return a.where(a.lt(hi), a.detach().minimum(hi));
};
/** Options of hardtanh: the bounds (default -1 and 1). */
export interface HardtanhOptions {
  minVal?: number;
  maxVal?: number;
}
/** x clamped to [minVal, maxVal]; the gradient passes strictly inside. */
export function hardtanh(input: Tensor, opts?: HardtanhOptions): Tensor {
  const x = arg.tensorArg(input, "hardtanh", "input", 1);
  const o = arg.options(opts, "hardtanh", ["minVal", "maxVal"]);
  const lo = numberOpt(o, "minVal", "hardtanh", -1),
    hi = numberOpt(o, "maxVal", "hardtanh", 1);
  return composite("HardtanhBackward0", [x], (v) => hardtanhOf(v, lo, hi));
}
/** min(max(x, 0), 6). */
export function relu6(input: Tensor): Tensor {
  const x = arg.tensorArg(input, "relu6", "input", 1);
  return composite("HardtanhBackward0", [x], (v) => hardtanhOf(v, 0, 6));
}
/** relu6(x + 3) / 6. */
export function hardsigmoid(input: Tensor): Tensor {
  const x = floatInput(input, "hardsigmoid");
  return composite("HardsigmoidBackward0", [x], (v) => hardtanhOf(v, -3, 3).div(6).add(0.5));
}
/** x * relu6(x + 3) / 6. */
export function hardswish(input: Tensor): Tensor {
  const x = floatInput(input, "hardswish");
  return composite("HardswishBackward0", [x], (v) => {
    // PyTorch's gradient: 0 below -3, x / 3 + 1/2 in [-3, 3], 1 above
    const inside = v.mul(v.add(3)).div(6);
    return inside.where(v.ge(-3), v.mul(0)).where(v.le(3), v); // -0 below -3, as x * 0
  });
}
/** log(sigmoid(x)), computed stably as min(x, 0) - log1p(exp(-|x|)). */
export function logsigmoid(input: Tensor): Tensor {
  const x = floatInput(input, "log_sigmoid_forward");
  return composite("LogSigmoidBackward0", [x], (v) =>
    v.minimum(0).sub(v.abs().neg().exp().log1p()),
  );
}
/** x / (1 + |x|). */
export function softsign(input: Tensor): Tensor {
  const x = arg.tensorArg(input, "softsign", "input", 1);
  return composite("DivBackward0", [x], (v) => v.div(v.abs().add(1)));
}
/** x - tanh(x). */
export function tanhshrink(input: Tensor): Tensor {
  const x = arg.tensorArg(input, "tanhshrink", "input", 1);
  // float32: tanh rounded from double (jitgrad's float32 tanh is within 3 ulps, which x - tanh(x)
  // would magnify for small x)
  return composite("SubBackward0", [x], (v) =>
    v.sub(v.dtype === "float32" ? v.double().tanh().float() : v.tanh()),
  );
}
/** The gated linear unit: a * sigmoid(b), a and b the halves of `dim` (default -1). */
export function glu(input: Tensor, dimArg = -1): Tensor {
  const x = floatInput(input, "glu");
  if (x.ndim === 0)
    throw new Error("glu does not support scalars because halving size must be even");
  const dim = normDim(arg.int(dimArg, "glu", "dim", 2), x.ndim);
  const n = x.shape[dim];
  if (n % 2) throw new Error(`Halving dimension must be even, but dimension ${dim} is size ${n}`);
  return composite("GluBackward0", [x], (v) =>
    v.narrow(dim, 0, n / 2).mul(v.narrow(dim, n / 2, n / 2).sigmoid()),
  );
}
/** Softmax of -x over `dim` (required). */
export const softmin = (x: Tensor, dim: number): Tensor => {
  const t = arg.tensorArg(x, "softmin", "input");
  const d = normDim(softmaxDimOf(dim, "softmin"), t.ndim);
  return composite("SoftmaxBackward0", [t], (v) => v.neg().softmax(d));
};
/**
 * max(0, x) + weight * min(0, x), weight (learnable) either one value or one per channel (dim 1
 * of the input).
 */
export function prelu(input: Tensor, weightArg: Tensor): Tensor {
  const x = floatInput(input, "prelu"),
    weight = arg.tensorArg(weightArg, "prelu", "weight", 2);
  const channels = x.ndim >= 2 ? x.shape[1] : 1;
  if (weight.ndim > 1)
    throw new Error(
      `prelu: Expected \`weight\` to be a scalar or 1D tensor, but got: ndim = ${weight.ndim}`,
    );
  const n = weight.numel();
  if (n !== 1 && n !== channels)
    throw new Error(
      `Mismatch of parameter numbers and input channel size. Found parameter numbers = ${n} and channel size = ${channels}.`,
    );
  if (weight.dtype !== x.dtype)
    throw new Error(`expected scalar type ${scalarType(x)} but found ${scalarType(weight)}`);
  const shape = x.shape.map((s, d) => (d === 1 && n > 1 ? s : 1));
  return composite("PreluBackward0", [x, weight], (v, w) =>
    v.where(v.gt(0), v.mul(n > 1 ? w.reshape(shape) : w.reshape(x.ndim ? shape : []))),
  );
}

/** `x @ weight^T + bias`; weight is [out, in]. */
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

/** The functional API as one object, as `torch.nn.functional` is usually imported (`F`). */
export const F = {
  softplus,
  silu,
  mish,
  elu,
  selu,
  celu,
  leakyRelu,
  hardtanh,
  relu6,
  hardsigmoid,
  hardswish,
  logsigmoid,
  softsign,
  tanhshrink,
  glu,
  softmin,
  prelu,
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
  l1Loss,
  smoothL1Loss,
  huberLoss,
  binaryCrossEntropy,
  binaryCrossEntropyWithLogits,
  klDiv,
};
