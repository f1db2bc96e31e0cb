// torch.nn.functional for jitgrad: compositions of existing tensor ops (no new loops), so every
// function runs eagerly, traces into compile(), and differentiates through the primitives' VJPs.
// Eagerly, each loss records one grad_fn with PyTorch's name (NllLossBackward0, MseLossBackward0, ...).
import { isFloat, scalarTypeName } from "../ir/dtype";
import { IndexError } from "../ir/ops";
import { poolOut } from "../ir/ops/pool";
import { fmtShape, normDim } from "../ir/shape";
import * as arg from "../runtime/args";
import { noGrad } from "../runtime/autograd";
import { composite } from "../runtime/composite";
import { arange, cat, ones, stack, tensor } from "../runtime/create";
import { activeTrace, bind } from "../runtime/dispatch";
import { CompileError } from "../runtime/errors";
import { checkedIndex } from "../runtime/index-ops";
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
  // tracing: the labels' values are not known yet; the compiled kernel checks them (see nll)
  if (!target.storage || activeTrace()) return;
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
    _classes = input.shape[classDim];
  const _classShape = input.shape.map((n, d) => (d === classDim ? n : 1)).slice(classDim);
  // PyTorch runs (N, C, d1, ...) inputs through nll_loss2d, viewed back to the target's shape for reduction "none"
  const name =
    input.ndim <= 2
      ? "NllLossBackward0"
      : input.ndim !== 4 && reduction === "none"
        ? "ViewBackward0"
        : "NllLoss2DBackward0";
  return composite(name, [input], (x) => {
    // each sample's log-probability, read at its label (ignored labels read class 0, masked below);
    // a label outside [0, C) raises PyTorch's error, also from inside a compiled kernel
    const valid = target.ne(ignoreIndex);
    const label = target.where(valid, 0);
    const read = (from: Tensor, dim: number, index: Tensor) =>
      bind("gather", [from, index], { dim, error: IndexError.target });
    let losses = read(x, classDim, label.unsqueeze(classDim)).squeeze(classDim).where(valid, 0);
    // weighted: each sample's loss scaled by its class's weight (not differentiated, as in PyTorch)
    const w = weight
      ? read(weight.detach(), 0, label.reshape([-1]))
          .reshape([...target.shape])
          .where(valid, 0)
      : null;
    if (w) losses = losses.mul(w);
    losses = losses.neg();
    // mean over non-ignored targets (weighted: divided by the sum of their weights), as PyTorch
    if (reduction === "mean") return losses.sum().div(w ? w.sum() : valid.sum());
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

const checkedClasses = (idx: Tensor, n: number) =>
  checkedIndex(idx, n, 0, IndexError.oneHot, false);

export interface EmbeddingOptions {
  paddingIdx?: number | null;
  maxNorm?: number | null;
  normType?: number;
  scaleGradByFreq?: boolean;
  sparse?: boolean;
}
/**
 * The rows of `weight` ([num, dim]) that `input` (int32, any shape) picks: [...input.shape, dim].
 * paddingIdx: that row gets no gradient. maxNorm, scaleGradByFreq and sparse are not supported
 * (an error when set).
 */
export function embedding(input: Tensor, weightArg: Tensor, opts?: EmbeddingOptions): Tensor {
  const idx = arg.tensorArg(input, "embedding", "input", 1),
    weight = arg.tensorArg(weightArg, "embedding", "weight", 2);
  const o = arg.options(opts, "embedding", [
    "paddingIdx",
    "maxNorm",
    "normType",
    "scaleGradByFreq",
    "sparse",
  ]);
  if (o.maxNorm !== undefined && o.maxNorm !== null)
    throw new Error("embedding(): maxNorm is not supported (it renormalizes weight in place)");
  if (o.normType !== undefined && arg.number(o.normType, "embedding", "normType") !== 2)
    throw new Error("embedding(): normType is only used with maxNorm, which is not supported");
  if (
    o.scaleGradByFreq !== undefined &&
    arg.bool(o.scaleGradByFreq, "embedding", "scaleGradByFreq")
  )
    throw new Error("embedding(): scaleGradByFreq is not supported");
  if (o.sparse !== undefined && arg.bool(o.sparse, "embedding", "sparse"))
    throw new Error("embedding(): sparse gradients are not supported");
  if (idx.dtype !== "int32")
    throw new Error(
      `Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; but got ${torchTensorType(idx)} instead (while checking arguments for embedding)`,
    );
  if (weight.ndim !== 2) throw new Error("'weight' must be 2-D");
  const num = weight.shape[0];
  let pad: number | null = null;
  if (o.paddingIdx !== undefined && o.paddingIdx !== null) {
    pad = arg.int(o.paddingIdx, "embedding", "paddingIdx");
    if (pad >= num || pad < -num) throw new Error("Padding_idx must be within num_embeddings");
    if (pad < 0) pad += num;
  }
  const padding = pad;
  return composite("EmbeddingBackward0", [weight], (w) => {
    const rows = w.indexSelect(0, idx.reshape([-1])).reshape([...idx.shape, w.shape[1]]);
    if (padding === null) return rows;
    // the padding row's value, without a gradient
    return rows.where(idx.ne(padding).unsqueeze(-1), rows.detach());
  });
}
const torchTensorType = (t: Tensor) =>
  ({
    float32: "torch.FloatTensor",
    float64: "torch.DoubleTensor",
    int32: "torch.LongTensor",
    bool: "torch.BoolTensor",
  })[t.dtype];

/**
 * One-hot encoding of an int32 tensor: [...input.shape, numClasses] of 0 and 1 (int32).
 * numClasses -1 (default): one more than the largest value (eager only: it reads the values).
 */
export function oneHot(input: Tensor, numClasses = -1): Tensor {
  const idx = arg.tensorArg(input, "one_hot", "input", 1);
  let n = arg.int(numClasses, "one_hot", "num_classes", 2);
  if (idx.dtype !== "int32") throw new Error("one_hot is only applicable to index tensor.");
  if (n === -1) {
    if (activeTrace())
      throw new CompileError(
        "oneHot() with numClasses -1 reads the values to find the number of classes, which compile() cannot trace; pass numClasses",
      );
    if (idx.numel() === 0)
      throw new Error("Can not infer total number of classes from empty tensor.");
    n = Math.max(...idx.values()) + 1;
  } else if (n < -1) throw new Error("num_classes should be positive");
  return checkedClasses(idx, n).unsqueeze(-1).eq(arange(n)).int();
}

export interface PadOptions {
  mode?: "constant" | "reflect" | "replicate" | "circular";
  value?: number;
}
/**
 * PyTorch's F.pad: `pad` lists (before, after) pairs from the last dim backwards. constant mode
 * (default) pads with `value` (negative pads crop); reflect, replicate and circular pad the last
 * 1-3 dims of a batched or unbatched input (compositions of slices, flips and cat, which fuse).
 */
export function pad(input: Tensor, padArg: number[], opts?: PadOptions): Tensor {
  const x = arg.tensorArg(input, "pad", "input", 1);
  const p = arg.intList(padArg, "pad", "pad", 2);
  const o = arg.options(opts, "pad", ["mode", "value"]);
  const mode =
    o.mode === undefined
      ? "constant"
      : typeof o.mode === "string" &&
          !["constant", "reflect", "replicate", "circular"].includes(o.mode)
        ? (() => {
            throw new Error(`Unrecognised padding mode ${o.mode}`);
          })()
        : arg.oneOf(o.mode, "pad", "mode", ["constant", "reflect", "replicate", "circular"]);
  const value = o.value === undefined ? undefined : arg.number(o.value, "pad", "value");
  if (p.length % 2 !== 0) throw new Error("Padding length must be divisible by 2");
  const k = p.length / 2;
  if (k > x.ndim) throw new Error("Padding length too large");
  const dimOf = (i: number) => x.ndim - 1 - i; // pair i pads this dim
  if (mode === "constant") {
    const v = value ?? 0;
    return composite("ConstantPadNdBackward0", [x], (t) => {
      let y = t;
      // crop first (negative pads), then pad
      for (let i = 0; i < k; i++) {
        const d = dimOf(i),
          lo = Math.max(-p[2 * i], 0),
          hi = Math.max(-p[2 * i + 1], 0);
        if (lo || hi) {
          if (lo + hi > y.shape[d])
            throw new Error(
              `The input size ${y.shape[d]}, plus negative padding ${-lo} and ${-hi} resulted in a negative output size, which is invalid. Check dimension ${d} of your input.`,
            );
          y = y.narrow(d, lo, y.shape[d] - lo - hi);
        }
      }
      const before = y.shape.map((_, d) =>
        d > x.ndim - 1 - k ? Math.max(p[2 * (x.ndim - 1 - d)], 0) : 0,
      );
      const after = y.shape.map((_, d) =>
        d > x.ndim - 1 - k ? Math.max(p[2 * (x.ndim - 1 - d) + 1], 0) : 0,
      );
      const padded = y.pad(before, after);
      if (v === 0) return padded;
      const inside = y.newZeros([]).eq(0).expand(y.shape).pad(before, after);
      return padded.where(inside, v);
    });
  }
  if (value !== undefined && value !== 0)
    throw new Error(`Padding mode "${mode}" doesn't take in value argument`);
  if (k < 1 || k > 3 || (x.ndim !== k + 1 && x.ndim !== k + 2))
    throw new Error("Only 2D, 3D, 4D, 5D padding with non-constant padding are supported for now");
  if (p.some((n) => n < 0))
    throw new Error(
      `pad(): negative padding is not supported with mode "${mode}" (only with "constant")`,
    );
  for (let i = 0; i < k; i++) {
    const d = dimOf(i),
      n = x.shape[d],
      [l, r] = [p[2 * i], p[2 * i + 1]];
    if (mode === "reflect" && (l >= n || r >= n))
      throw new Error(
        `Argument #4: Padding size should be less than the corresponding input dimension, but got: padding (${l}, ${r}) at dimension ${d} of input ${fmtShape(x.shape)}`,
      );
    if (mode === "circular" && (l > n || r > n))
      throw new Error("Padding value causes wrapping around more than once.");
    if (mode === "replicate" && n === 0 && (l || r))
      throw new Error(`pad(): cannot replicate-pad dimension ${d} of size 0`);
  }
  const name =
    mode === "reflect"
      ? `ReflectionPad${k}DBackward0`
      : mode === "replicate"
        ? `ReplicationPad${k}DBackward0`
        : "CopySlices";
  return composite(name, [x], (t) => {
    let y = t;
    for (let i = 0; i < k; i++) {
      const d = dimOf(i),
        n = y.shape[d],
        [l, r] = [p[2 * i], p[2 * i + 1]];
      const parts: Tensor[] = [];
      if (l > 0)
        parts.push(
          mode === "reflect"
            ? y.narrow(d, 1, l).flip(d)
            : mode === "replicate"
              ? y.narrow(d, 0, 1).expand(y.shape.map((m, e) => (e === d ? l : m)))
              : y.narrow(d, n - l, l),
        );
      parts.push(y);
      if (r > 0)
        parts.push(
          mode === "reflect"
            ? y.narrow(d, n - 1 - r, r).flip(d)
            : mode === "replicate"
              ? y.narrow(d, n - 1, 1).expand(y.shape.map((m, e) => (e === d ? r : m)))
              : y.narrow(d, 0, r),
        );
      if (parts.length > 1) y = cat(parts, d);
    }
    return y === t ? t.clone() : y;
  });
}

export interface InterpolateOptions {
  size?: number | number[];
  scaleFactor?: number | number[];
  mode?: "nearest" | "bilinear";
  alignCorners?: boolean | null;
}
/**
 * PyTorch's F.interpolate for [N, C, ...spatial] inputs: mode "nearest" (1-3 spatial dims) or
 * "bilinear" (2, with alignCorners), to `size` or by `scaleFactor` (exactly one of them). Each
 * spatial dim is resampled in turn: index selects of constant positions, mixed by constant weights.
 */
export function interpolate(input: Tensor, opts?: InterpolateOptions): Tensor {
  const x = arg.tensorArg(input, "interpolate", "input", 1);
  const o = arg.options(opts, "interpolate", ["size", "scaleFactor", "mode", "alignCorners"]);
  const mode =
    o.mode === undefined
      ? "nearest"
      : arg.oneOf(o.mode, "interpolate", "mode", ["nearest", "bilinear"]);
  const alignCorners =
    o.alignCorners === undefined || o.alignCorners === null
      ? null
      : arg.bool(o.alignCorners, "interpolate", "alignCorners");
  const k = x.ndim - 2;
  if (k < 1 || k > 3)
    throw new Error(
      `Input Error: Only 3D, 4D and 5D input Tensors supported (got ${x.ndim}D) for the modes: nearest | linear | bilinear | bicubic | trilinear | area | nearest-exact (got ${mode})`,
    );
  if (mode === "bilinear" && k !== 2)
    throw new Error(`Got ${x.ndim}D input, but bilinear mode needs 4D input`);
  if (mode === "nearest" && alignCorners !== null)
    throw new Error(
      "align_corners option can only be set with the interpolating modes: linear | bilinear | bicubic | trilinear",
    );
  if ((o.size === undefined) === (o.scaleFactor === undefined))
    throw new Error(
      o.size === undefined
        ? "either size or scale_factor should be defined"
        : "only one of size or scale_factor should be defined",
    );
  const perDim = (v: unknown, name: string, int: boolean): number[] => {
    const list =
      typeof v === "number"
        ? new Array<number>(k).fill(
            int ? arg.int(v, "interpolate", name) : arg.number(v, "interpolate", name),
          )
        : int
          ? arg.intList(v, "interpolate", name)
          : Array.isArray(v)
            ? v.map((n) => arg.number(n, "interpolate", name))
            : [arg.number(v, "interpolate", name)];
    if (list.length !== k)
      throw new Error(
        `Input and ${name === "size" ? "output" : "scale_factor"} must have the same number of spatial dimensions, but got input with spatial dimensions of ${fmtShape(x.shape.slice(2))} and output size of ${fmtShape(list)}. Please provide input tensor in (N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) format.`,
      );
    return list;
  };
  const ins = x.shape.slice(2);
  const sizes =
    o.size !== undefined
      ? perDim(o.size, "size", true)
      : perDim(o.scaleFactor, "scale_factor", false).map((f, i) => Math.floor(ins[i] * f));
  const scales = o.scaleFactor !== undefined ? perDim(o.scaleFactor, "scale_factor", false) : null;
  sizes.forEach((n) => {
    if (n <= 0)
      throw new Error(
        `Input and output sizes should be greater than 0, but got input (${ins.join(", ")}) and output (${sizes.join(", ")})`,
      );
  });
  const name = mode === "nearest" ? `UpsampleNearest${k}DBackward1` : "UpsampleBilinear2DBackward1";
  return composite(name, [x], (t) => {
    let y = t;
    for (let r = 0; r < k; r++) {
      const i = mode === "bilinear" ? k - 1 - r : r,
        d = 2 + i,
        n = ins[i],
        m = sizes[i];
      if (mode === "nearest") {
        const scale = scales ? 1 / scales[i] : n / m;
        const at = Int32Array.from({ length: m }, (_, j) =>
          Math.min(Math.floor(Math.fround(j * Math.fround(scale))), n - 1),
        );
        y = y.indexSelect(d, tensor(at, { dtype: "int32" }));
        continue;
      }
      // bilinear: source position per output position, then a mix of its two neighbours, with
      // PyTorch's float arithmetic (weights in the input's precision; the last dim first)
      const f = t.dtype === "float64" ? (v: number) => v : Math.fround;
      const scale = alignCorners
        ? m > 1
          ? f((n - 1) / (m - 1))
          : 0
        : scales
          ? f(1 / scales[i])
          : f(n / m);
      const lo = new Int32Array(m),
        hi = new Int32Array(m),
        w0 = new Float64Array(m),
        w1 = new Float64Array(m);
      for (let j = 0; j < m; j++) {
        const src = alignCorners ? f(scale * j) : Math.max(f(f(scale * f(j + 0.5)) - 0.5), 0);
        const i0 = Math.min(Math.floor(src), n - 1);
        lo[j] = i0;
        hi[j] = Math.min(i0 + 1, n - 1);
        w1[j] = f(src - i0);
        w0[j] = f(1 - w1[j]);
      }
      const shape = y.shape.map((_, e) => (e === d ? m : 1));
      const weight = (w: Float64Array) =>
        tensor(w, { dtype: "float64" }).to(y.dtype).reshape(shape);
      const a = y.indexSelect(d, tensor(lo, { dtype: "int32" })),
        b = y.indexSelect(d, tensor(hi, { dtype: "int32" }));
      y = a.mul(weight(w0)).add(b.mul(weight(w1)));
    }
    return y === t ? t.clone() : y;
  });
}

// ---- convolution (kernel ops: ir/ops/conv.ts; implicit GEMMs: backend/js/conv.ts) ----

/** Options of `conv2d`/`conv1d`: an int applies to every spatial dim. */
export interface ConvOptions {
  /** Default 1. */
  stride?: number | number[];
  /** zeros added on both sides of each spatial dim, or "same" / "valid". Default 0. */
  padding?: number | number[] | "same" | "valid";
  /** Default 1. */
  dilation?: number | number[];
  /** Default 1. */
  groups?: number;
}
/** Options of `convTranspose2d`. */
export interface ConvTransposeOptions {
  stride?: number | number[];
  padding?: number | number[];
  outputPadding?: number | number[];
  groups?: number;
  dilation?: number | number[];
}

// an int or a list of `n` ints, as n ints
function tuple(v: unknown, n: number, fn: string, name: string, dflt: number): number[] {
  if (v === undefined) return new Array<number>(n).fill(dflt);
  if (typeof v === "number") return new Array<number>(n).fill(arg.int(v, fn, name));
  const xs = arg.intList(v, fn, name);
  if (xs.length !== n && xs.length !== 1)
    throw new Error(
      `expected ${name} to be a single integer value or a list of ${n} values to match the convolution dimensions, but got ${name}=[${xs.join(", ")}]`,
    );
  return xs.length === 1 ? new Array<number>(n).fill(xs[0]) : xs;
}

interface ConvSpec {
  x: Tensor;
  w: Tensor;
  bias: Tensor | null;
  stride: number[];
  padding: number[];
  dilation: number[];
  groups: number;
  extra: number[]; // "same" with an odd total padding: one more zero after each such dim
}

// conv1d/conv2d's checks, in PyTorch 1.13's order and wording; `d` spatial dims
function convSpec(
  input: Tensor,
  weightArg: Tensor,
  biasArg: Tensor | null | undefined,
  opts: ConvOptions | undefined,
  d: number,
  fn: string,
): ConvSpec {
  const x = arg.tensorArg(input, fn, "input", 1),
    w = arg.tensorArg(weightArg, fn, "weight", 2),
    bias = biasArg === undefined || biasArg === null ? null : arg.tensorArg(biasArg, fn, "bias", 3);
  const o = arg.options(opts, fn, ["stride", "padding", "dilation", "groups"]);
  const groups = o.groups === undefined ? 1 : arg.int(o.groups, fn, "groups");
  const stride = tuple(o.stride, d, fn, "stride", 1),
    dilation = tuple(o.dilation, d, fn, "dilation", 1);
  let padding: number[],
    mode: "same" | "valid" | null = null;
  if (typeof o.padding === "string") {
    if (o.padding !== "same" && o.padding !== "valid")
      throw new Error(`Invalid padding string: '${o.padding}'`);
    mode = o.padding;
    padding = new Array<number>(d).fill(0);
  } else padding = tuple(o.padding, d, fn, "padding", 0);
  if (x.ndim !== d + 1 && x.ndim !== d + 2)
    throw new Error(
      `Expected ${d + 1}D (unbatched) or ${d + 2}D (batched) input to ${fn}, but got input of size: ${fmtShape(x.shape)}`,
    );
  if (w.ndim !== d + 2) throw new Error(`${fn}(): weight must be ${d + 2}-D, got ${w.ndim}-D`);
  if (mode === "same" && stride.some((s) => s !== 1))
    throw new Error("padding='same' is not supported for strided convolutions");
  if (stride.some((s) => s <= 0)) throw new Error("non-positive stride is not supported");
  if (padding.some((p) => p < 0)) throw new Error("negative padding is not supported");
  if (dilation.some((s) => s <= 0))
    throw new Error(`dilation should be greater than zero, but got [${dilation.join(", ")}]`);
  if (groups <= 0) throw new Error("non-positive groups is not supported");
  if (w.shape[0] % groups !== 0)
    throw new Error(
      `Given groups=${groups}, expected weight to be divisible by ${groups} at dimension 0, but got weight of size [${fmtShape(w.shape)}] instead`,
    );
  const batched = x.ndim === d + 2 ? x.shape : [1, ...x.shape];
  if (batched[1] !== w.shape[1] * groups)
    throw new Error(
      `Given groups=${groups}, weight of size ${fmtShape(w.shape)}, expected input${fmtShape(batched)} to have ${w.shape[1] * groups} channels, but got ${batched[1]} channels instead`,
    );
  const extra = new Array<number>(d).fill(0);
  if (mode === "same")
    dilation.forEach((dl, i) => {
      const total = dl * (w.shape[2 + i] - 1);
      padding[i] = Math.floor(total / 2);
      extra[i] = total % 2;
    });
  const k = w.shape.slice(2).map((n, i) => dilation[i] * (n - 1) + 1),
    padded = batched.slice(2).map((n, i) => n + 2 * padding[i] + extra[i]);
  if (padded.some((n, i) => n < k[i]))
    throw new Error(
      `Calculated padded input size per channel: (${padded.join(" x ")}). Kernel size: (${k.join(" x ")}). Kernel size can't be greater than actual input size`,
    );
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== w.shape[0]))
    throw new Error(
      `Given weight of size ${fmtShape(w.shape)}, expected bias to be 1-dimensional with ${w.shape[0]} elements, but got bias of size ${fmtShape(bias.shape)} instead`,
    );
  return { x, w, bias, stride, padding, dilation, groups, extra };
}

// the convolution of a batched 4-D input, bias added; the inputs' order: x, w, bias?
function conv2dOf(s: ConvSpec, x: Tensor, w: Tensor, b: Tensor | undefined): Tensor {
  const xp = s.extra.some((e) => e) ? x.pad([0, 0, 0, 0], [0, 0, ...s.extra]) : x;
  const y = xp.conv2d(w, {
    stride: s.stride,
    padding: s.padding,
    dilation: s.dilation,
    groups: s.groups,
  });
  return b ? y.add(b.reshape([1, -1, 1, 1])) : y;
}
const withBias = (s: ConvSpec) => (s.bias ? [s.x, s.w, s.bias] : [s.x, s.w]);

/**
 * 2-d convolution (cross-correlation, as PyTorch): input [N, C, H, W] (or unbatched [C, H, W]),
 * weight [O, C/groups, KH, KW], bias [O]. A kernel op (an implicit GEMM).
 */
export function conv2d(
  input: Tensor,
  weight: Tensor,
  bias?: Tensor | null,
  opts?: ConvOptions,
): Tensor {
  const s = convSpec(input, weight, bias, opts, 2, "conv2d");
  if (s.x.ndim === 3)
    return composite("SqueezeBackward1", withBias(s), (x, w, b) =>
      conv2dOf(s, x.unsqueeze(0), w, b).squeeze(0),
    );
  return composite("ConvolutionBackward0", withBias(s), (x, w, b) => conv2dOf(s, x, w, b));
}

/** 1-d convolution: input [N, C, L] (or [C, L]), weight [O, C/groups, K]; runs as a conv2d. */
export function conv1d(
  input: Tensor,
  weight: Tensor,
  bias?: Tensor | null,
  opts?: ConvOptions,
): Tensor {
  const s = convSpec(input, weight, bias, opts, 1, "conv1d");
  const s2: ConvSpec = {
    ...s,
    stride: [1, ...s.stride],
    padding: [0, ...s.padding],
    dilation: [1, ...s.dilation],
    extra: [0, ...s.extra],
  };
  const batched = s.x.ndim === 3;
  return composite(
    batched ? "ConvolutionBackward0" : "SqueezeBackward1",
    withBias(s),
    (x, w, b) => {
      const x4 = batched ? x.unsqueeze(2) : x.unsqueeze(0).unsqueeze(2);
      const y = conv2dOf(s2, x4, w.unsqueeze(2), b).squeeze(2);
      return batched ? y : y.squeeze(0);
    },
  );
}

/**
 * 2-d transposed convolution (the input gradient of conv2d): input [N, C, H, W] (or [C, H, W]),
 * weight [C, O/groups, KH, KW], bias [O].
 */
export function convTranspose2d(
  input: Tensor,
  weightArg: Tensor,
  biasArg?: Tensor | null,
  opts?: ConvTransposeOptions,
): Tensor {
  const fn = "conv_transpose2d";
  const x = arg.tensorArg(input, fn, "input", 1),
    w = arg.tensorArg(weightArg, fn, "weight", 2),
    bias = biasArg === undefined || biasArg === null ? null : arg.tensorArg(biasArg, fn, "bias", 3);
  const o = arg.options(opts, fn, ["stride", "padding", "outputPadding", "groups", "dilation"]);
  const groups = o.groups === undefined ? 1 : arg.int(o.groups, fn, "groups");
  const stride = tuple(o.stride, 2, fn, "stride", 1),
    padding = tuple(o.padding, 2, fn, "padding", 0),
    outputPadding = tuple(o.outputPadding, 2, fn, "output_padding", 0),
    dilation = tuple(o.dilation, 2, fn, "dilation", 1);
  if (x.ndim !== 3 && x.ndim !== 4)
    throw new Error(
      `Expected 3D (unbatched) or 4D (batched) input to conv_transpose2d, but got input of size: ${fmtShape(x.shape)}`,
    );
  if (w.ndim !== 4) throw new Error(`${fn}(): weight must be 4-D, got ${w.ndim}-D`);
  if (stride.some((s) => s <= 0)) throw new Error("non-positive stride is not supported");
  if (padding.some((p) => p < 0)) throw new Error("negative padding is not supported");
  if (outputPadding.some((p) => p < 0)) throw new Error("negative output_padding is not supported");
  if (dilation.some((s) => s <= 0))
    throw new Error(`dilation should be greater than zero, but got [${dilation.join(", ")}]`);
  if (groups <= 0) throw new Error("non-positive groups is not supported");
  if (outputPadding.some((p, i) => p >= stride[i] && p >= dilation[i]))
    throw new Error(
      `output padding must be smaller than either stride or dilation, but got output_padding_height: ${outputPadding[0]} output_padding_width: ${outputPadding[1]} stride_height: ${stride[0]} stride_width: ${stride[1]} dilation_height: ${dilation[0]} dilation_width: ${dilation[1]}`,
    );
  if (w.shape[0] % groups !== 0)
    throw new Error(
      `Given groups=${groups}, expected weight to be divisible by ${groups} at dimension 0, but got weight of size [${fmtShape(w.shape)}] instead`,
    );
  const batched = x.ndim === 4 ? x.shape : [1, ...x.shape];
  if (batched[1] !== w.shape[0])
    throw new Error(
      `Given transposed=1, weight of size ${fmtShape(w.shape)}, expected input${fmtShape(batched)} to have ${w.shape[0]} channels, but got ${batched[1]} channels instead`,
    );
  const outC = w.shape[1] * groups;
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== outC))
    throw new Error(
      `Given transposed=1, weight of size ${fmtShape(w.shape)}, expected bias to be 1-dimensional with ${outC} elements, but got bias of size ${fmtShape(bias.shape)} instead`,
    );
  const p = { stride, padding, outputPadding, dilation, groups };
  const f = (x4: Tensor, wt: Tensor, b?: Tensor) => {
    const y = x4.convTranspose2d(wt, p);
    return b ? y.add(b.reshape([1, -1, 1, 1])) : y;
  };
  const ins = bias ? [x, w, bias] : [x, w];
  if (x.ndim === 3)
    return composite("SqueezeBackward1", ins, (a, wt, b) => f(a.unsqueeze(0), wt, b).squeeze(0));
  return composite("ConvolutionBackward0", ins, (a, wt, b) => f(a, wt, b));
}

// ---- normalization: compositions of reductions that fuse (the mean and the mean of squares over
// the same loops are one kernel, the normalization and affine transform a second) ----

// (x - mean) / sqrt(var + eps) over `dims`, with the biased variance E[x^2] - E[x]^2 (one pass);
// also returns the mean and variance (keepdim)
function standardize(x: Tensor, dims: number[], eps: number) {
  const mean = x.mean(dims, true);
  const variance = x.mul(x).mean(dims, true).sub(mean.mul(mean)).relu(); // relu: rounding below 0
  return { y: x.sub(mean).mul(variance.add(eps).pow(-0.5)), mean, variance };
}
const optionalTensor = (v: unknown, fn: string, name: string, pos: number) =>
  v === undefined || v === null ? null : arg.tensorArg(v, fn, name, pos);
// weight and bias along dim 1 of an [N, C, ...] input
const perChannel = (t: Tensor, ndim: number) =>
  t.reshape([1, -1, ...new Array<number>(Math.max(ndim - 2, 0)).fill(1)]);

/** Layer normalization over the last dims (`normalizedShape`), then `* weight + bias`. */
export function layerNorm(
  input: Tensor,
  normalizedShape: number | number[],
  weightArg?: Tensor | null,
  biasArg?: Tensor | null,
  epsArg = 1e-5,
): Tensor {
  const fn = "layer_norm";
  const x = arg.tensorArg(input, fn, "input", 1);
  const shape =
    typeof normalizedShape === "number"
      ? [arg.int(normalizedShape, fn, "normalized_shape", 2)]
      : arg.intList(normalizedShape, fn, "normalized_shape", 2);
  const weight = optionalTensor(weightArg, fn, "weight", 3),
    bias = optionalTensor(biasArg, fn, "bias", 4),
    eps = arg.number(epsArg, fn, "eps", 5);
  const k = shape.length,
    fits = k > 0 && k <= x.ndim && shape.every((n, i) => x.shape[x.ndim - k + i] === n);
  for (const [t, name] of [
    [weight, "weight"],
    [bias, "bias"],
  ] as const)
    if (t && fmtShape(t.shape) !== fmtShape(shape))
      throw new Error(
        `Expected ${name} to be of same shape as normalized_shape, but got ${name} of shape ${fmtShape(t.shape)} and normalized_shape = ${fmtShape(shape)}`,
      );
  if (!fits)
    throw new Error(
      `Given normalized_shape=${fmtShape(shape)}, expected input with shape [*${shape.map((n) => `, ${n}`).join("")}], but got input of size${fmtShape(x.shape)}`,
    );
  const dims = shape.map((_, i) => x.ndim - k + i);
  const ins = [x, ...(weight ? [weight] : []), ...(bias ? [bias] : [])];
  return composite("NativeLayerNormBackward0", ins, (a, ...rest) => {
    let y = standardize(a, dims, eps).y;
    let i = 0;
    if (weight) y = y.mul(rest[i++]);
    if (bias) y = y.add(rest[i]);
    return y;
  });
}

/**
 * Batch normalization over every dim but 1 (channels). training: the batch's statistics, and the
 * running statistics (if given) updated in place: `(1 - momentum) * running + momentum * stat`,
 * with the unbiased variance; otherwise the running statistics.
 */
export function batchNorm(
  input: Tensor,
  runningMeanArg: Tensor | null,
  runningVarArg: Tensor | null,
  weightArg?: Tensor | null,
  biasArg?: Tensor | null,
  trainingArg = false,
  momentumArg = 0.1,
  epsArg = 1e-5,
): Tensor {
  const fn = "batch_norm";
  const x = arg.tensorArg(input, fn, "input", 1),
    runningMean = optionalTensor(runningMeanArg, fn, "running_mean", 2),
    runningVar = optionalTensor(runningVarArg, fn, "running_var", 3),
    weight = optionalTensor(weightArg, fn, "weight", 4),
    bias = optionalTensor(biasArg, fn, "bias", 5),
    training = arg.bool(trainingArg, fn, "training", 6),
    momentum = arg.number(momentumArg, fn, "momentum", 7),
    eps = arg.number(epsArg, fn, "eps", 8);
  if (x.ndim < 2)
    throw new Error(`batch_norm(): expected an input of at least 2 dims, got ${x.ndim}`);
  const C = x.shape[1];
  for (const [t, name] of [
    [runningMean, "running_mean"],
    [runningVar, "running_var"],
    [weight, "weight"],
    [bias, "bias"],
  ] as const)
    if (t && t.numel() !== C)
      throw new Error(`${name} should contain ${C} elements not ${t.numel()}`);
  if (!training && (!runningMean || !runningVar))
    throw new Error(
      `${!runningMean ? "running_mean" : "running_var"} must be defined in evaluation mode`,
    );
  const n = x.numel() / C;
  if (training && n <= 1)
    throw new Error(
      `Expected more than 1 value per channel when training, got input size torch.Size([${x.shape.join(", ")}])`,
    );
  const dims = x.shape.map((_, d) => d).filter((d) => d !== 1);
  const ins = [x, ...(weight ? [weight] : []), ...(bias ? [bias] : [])];
  const stats: { mean?: Tensor; variance?: Tensor } = {};
  const out = composite("NativeBatchNormBackward0", ins, (a, ...rest) => {
    let y: Tensor;
    if (training) {
      const s = standardize(a, dims, eps);
      y = s.y;
      stats.mean = s.mean;
      stats.variance = s.variance;
    } else
      y = a
        .sub(perChannel(runningMean!, a.ndim))
        .mul(perChannel(runningVar!, a.ndim).add(eps).pow(-0.5));
    let i = 0;
    if (weight) y = y.mul(perChannel(rest[i++], a.ndim));
    if (bias) y = y.add(perChannel(rest[i], a.ndim));
    return y;
  });
  if (training && (runningMean || runningVar))
    noGrad(() => {
      if (runningMean)
        runningMean.mul_(1 - momentum).add_(stats.mean!.detach().reshape([C]), momentum);
      if (runningVar)
        runningVar.mul_(1 - momentum).add_(
          stats
            .variance!.detach()
            .reshape([C])
            .mul(n / (n - 1)),
          momentum,
        );
    });
  return out;
}

/** Group normalization: channels in `numGroups` groups, each normalized over its channels and the spatial dims. */
export function groupNorm(
  input: Tensor,
  numGroupsArg: number,
  weightArg?: Tensor | null,
  biasArg?: Tensor | null,
  epsArg = 1e-5,
): Tensor {
  const fn = "group_norm";
  const x = arg.tensorArg(input, fn, "input", 1),
    groups = arg.int(numGroupsArg, fn, "num_groups", 2),
    weight = optionalTensor(weightArg, fn, "weight", 3),
    bias = optionalTensor(biasArg, fn, "bias", 4),
    eps = arg.number(epsArg, fn, "eps", 5);
  if (x.ndim < 2)
    throw new Error(`group_norm(): expected an input of at least 2 dims, got ${x.ndim}`);
  const [N, C] = x.shape;
  if (groups <= 0 || C % groups !== 0)
    throw new Error(
      `Expected number of channels in input to be divisible by num_groups, but got input of shape ${fmtShape(x.shape)} and num_groups=${groups}`,
    );
  for (const [t, name] of [
    [weight, "weight"],
    [bias, "bias"],
  ] as const)
    if (t && (t.ndim !== 1 || t.numel() !== C))
      throw new Error(
        `Expected ${name} to be a vector of size equal to the number of channels in input, but got ${name} of shape ${fmtShape(t.shape)} and input of shape ${fmtShape(x.shape)}`,
      );
  const ins = [x, ...(weight ? [weight] : []), ...(bias ? [bias] : [])];
  return composite("NativeGroupNormBackward0", ins, (a, ...rest) => {
    let y = standardize(a.reshape([N, groups, -1]), [2], eps).y.reshape([...a.shape]);
    let i = 0;
    if (weight) y = y.mul(perChannel(rest[i++], a.ndim));
    if (bias) y = y.add(perChannel(rest[i], a.ndim));
    return y;
  });
}

/**
 * Instance normalization: each channel of each sample over its spatial dims (input statistics
 * only: running statistics are not supported).
 */
export function instanceNorm(
  input: Tensor,
  runningMean?: Tensor | null,
  runningVar?: Tensor | null,
  weightArg?: Tensor | null,
  biasArg?: Tensor | null,
  useInputStats = true,
  momentum = 0.1,
  epsArg = 1e-5,
): Tensor {
  const fn = "instance_norm";
  const x = arg.tensorArg(input, fn, "input", 1);
  if ((runningMean ?? null) !== null || (runningVar ?? null) !== null || useInputStats !== true)
    throw new Error(
      "instance_norm(): running statistics (running_mean, running_var, use_input_stats=False) are not supported",
    );
  arg.number(momentum, fn, "momentum", 7);
  const weight = optionalTensor(weightArg, fn, "weight", 4),
    bias = optionalTensor(biasArg, fn, "bias", 5),
    eps = arg.number(epsArg, fn, "eps", 8);
  if (x.ndim < 3 || x.numel() / (x.shape[0] * x.shape[1]) <= 1)
    throw new Error(
      `Expected more than 1 spatial element when training, got input size torch.Size([${x.shape.join(", ")}])`,
    );
  const C = x.shape[1];
  for (const [t, name] of [
    [weight, "weight"],
    [bias, "bias"],
  ] as const)
    if (t && t.numel() !== C)
      throw new Error(`${name} should contain ${C} elements not ${t.numel()}`);
  const dims = x.shape.map((_, d) => d).filter((d) => d >= 2);
  const ins = [x, ...(weight ? [weight] : []), ...(bias ? [bias] : [])];
  return composite("ViewBackward0", ins, (a, ...rest) => {
    let y = standardize(a, dims, eps).y;
    let i = 0;
    if (weight) y = y.mul(perChannel(rest[i++], a.ndim));
    if (bias) y = y.add(perChannel(rest[i], a.ndim));
    return y;
  });
}

/** `input / max(||input||_p, eps)` along `dim`. */
export function normalize(input: Tensor, pArg = 2, dimArg = 1, epsArg = 1e-12): Tensor {
  const fn = "normalize";
  const x = arg.tensorArg(input, fn, "input", 1),
    p = arg.number(pArg, fn, "p", 2),
    dim = normDim(arg.int(dimArg, fn, "dim", 3), x.ndim),
    eps = arg.number(epsArg, fn, "eps", 4);
  // the p-norm with a zero gradient where it is 0 (as PyTorch's norm backward), for finite p > 0
  let n: Tensor;
  if (p > 0 && Number.isFinite(p)) {
    const s = x.abs().pow(p).sum(dim, true),
      nonzero = s.gt(0);
    n = s
      .where(nonzero, 1)
      .pow(1 / p)
      .where(nonzero, 0);
  } else n = x.norm(p, dim, true);
  return x.div(n.where(n.ge(eps), eps));
}

// ---- pooling: max pooling is a kernel op (ir/ops/pool.ts) whose gradient goes to each window's
// first maximum; average pooling is a convolution with a constant weight (one kernel, the division
// its epilogue; its gradient a transposed convolution); adaptive average pooling two matmuls with
// constant averaging matrices ----

/** Options of `maxPool2d`/`maxPool1d`. */
export interface MaxPoolOptions {
  /** Default: the kernel size. */
  stride?: number | number[] | null;
  padding?: number | number[];
  dilation?: number | number[];
  ceilMode?: boolean;
  /** Not supported (true is an error). */
  returnIndices?: boolean;
}
/** Options of `avgPool2d`/`avgPool1d`. */
export interface AvgPoolOptions {
  /** Default: the kernel size. */
  stride?: number | number[] | null;
  padding?: number | number[];
  ceilMode?: boolean;
  /** Count the zeros of the padding in each window's divisor. Default true. */
  countIncludePad?: boolean;
  /** The divisor of every window instead of its size. */
  divisorOverride?: number | null;
}

interface PoolSpec {
  x: Tensor;
  kernel: number[];
  stride: number[];
  padding: number[];
  dilation: number[];
  ceilMode: boolean;
  out: number[];
}
function poolSpec(
  input: Tensor,
  kernelSize: unknown,
  o: { stride?: unknown; padding?: unknown; dilation?: unknown; ceilMode?: unknown },
  d: number,
  fn: string,
): PoolSpec {
  const x = arg.tensorArg(input, fn, "input", 1);
  const kernel = tuple(kernelSize, d, fn, "kernel_size", 1),
    stride =
      o.stride === undefined || o.stride === null ? kernel : tuple(o.stride, d, fn, "stride", 1),
    padding = tuple(o.padding, d, fn, "padding", 0),
    dilation = tuple(o.dilation, d, fn, "dilation", 1),
    ceilMode = o.ceilMode === undefined ? false : arg.bool(o.ceilMode, fn, "ceil_mode");
  if (kernel.some((k) => k <= 0))
    throw new Error(
      `kernel size should be greater than zero, but got kH: ${kernel[0]} kW: ${kernel[d - 1]}`,
    );
  if (stride.some((s) => s <= 0)) throw new Error("stride should not be zero");
  if (dilation.some((s) => s <= 0))
    throw new Error(
      `dilation should be greater than zero, but got dilationH: ${dilation[0]} dilationW: ${dilation[d - 1]}`,
    );
  const bad = padding.findIndex((p, i) => p < 0 || p > kernel[i] / 2);
  if (bad >= 0)
    throw new Error(
      `pad should be at most half of kernel size, but got pad=${padding[bad]} and kernel_size=${kernel[bad]}`,
    );
  if ((x.ndim !== d + 1 && x.ndim !== d + 2) || x.numel() === 0)
    throw new Error(`non-empty ${d + 1}D or ${d + 2}D (batch mode) tensor expected for input`);
  const sizes = x.shape.slice(-d),
    out = sizes.map((n, i) => poolOut(n, kernel[i], stride[i], padding[i], dilation[i], ceilMode));
  if (out.some((n) => n < 1))
    throw new Error(
      `Given input size: (${x.shape.slice(-d - 1).join("x")}). Calculated output size: (${x.shape[x.ndim - d - 1]}x${out.join("x")}). Output size is too small`,
    );
  return { x, kernel, stride, padding, dilation, ceilMode, out };
}
// a 1-d spec as a 2-d one (a height of 1)
const as2d = (s: PoolSpec): PoolSpec => ({
  ...s,
  kernel: [1, ...s.kernel],
  stride: [1, ...s.stride],
  padding: [0, ...s.padding],
  dilation: [1, ...s.dilation],
  out: [1, ...s.out],
});
// f on a batched 4-d input: unbatched (and 1-d) inputs get their dims added and removed
function batched4d(x: Tensor, d: number, f: (x4: Tensor) => Tensor): Tensor {
  let x4 = x.ndim === d + 1 ? x.unsqueeze(0) : x;
  if (d === 1) x4 = x4.unsqueeze(2);
  let y = f(x4);
  if (d === 1) y = y.squeeze(2);
  return x.ndim === d + 1 ? y.squeeze(0) : y;
}

function maxPool(input: Tensor, kernelSize: unknown, opts: unknown, d: number, fn: string) {
  const o = arg.options(opts, fn, ["stride", "padding", "dilation", "ceilMode", "returnIndices"]);
  if (o.returnIndices !== undefined && arg.bool(o.returnIndices, fn, "return_indices"))
    throw new Error(`${fn}(): returnIndices is not supported`);
  const s1 = poolSpec(input, kernelSize, o, d, fn),
    s = d === 1 ? as2d(s1) : s1;
  const name = d === 1 ? "SqueezeBackward1" : "MaxPool2DWithIndicesBackward0";
  return composite(name, [s.x], (x) =>
    batched4d(x, d, (x4) =>
      x4.maxPool2d({
        kernel: s.kernel,
        stride: s.stride,
        padding: s.padding,
        dilation: s.dilation,
        ceilMode: s.ceilMode,
      }),
    ),
  );
}
/** 2-d max pooling: input [N, C, H, W] or [C, H, W]; the gradient goes to each window's first maximum. */
export const maxPool2d = (input: Tensor, kernelSize: number | number[], opts?: MaxPoolOptions) =>
  maxPool(input, kernelSize, opts, 2, "max_pool2d");
/** 1-d max pooling: input [N, C, L] or [C, L]. */
export const maxPool1d = (input: Tensor, kernelSize: number | number[], opts?: MaxPoolOptions) =>
  maxPool(input, kernelSize, opts, 1, "max_pool1d");

function avgPool(input: Tensor, kernelSize: unknown, opts: unknown, d: number, fn: string) {
  const o = arg.options(opts, fn, [
    "stride",
    "padding",
    "ceilMode",
    "countIncludePad",
    "divisorOverride",
  ]);
  const s1 = poolSpec(input, kernelSize, o, d, fn),
    s = d === 1 ? as2d(s1) : s1;
  const includePad =
    o.countIncludePad === undefined ? true : arg.bool(o.countIncludePad, fn, "count_include_pad");
  const override =
    o.divisorOverride === undefined || o.divisorOverride === null
      ? null
      : arg.int(o.divisorOverride, fn, "divisor_override");
  if (override !== null && d === 1) throw new Error(`${fn}(): divisorOverride is not supported`);
  if (override === 0) throw new Error("divisor must be not zero");
  const [H, W] = d === 1 ? [1, s.x.shape[s.x.ndim - 1]] : s.x.shape.slice(-2);
  // each window's divisor, as PyTorch's avg_pool2d counts it
  const [OH, OW] = s.out,
    [kh, kw] = s.kernel,
    [sh, sw] = s.stride,
    [ph, pw] = s.padding;
  const divisor: number[] = [];
  for (let oh = 0; oh < OH; oh++)
    for (let ow = 0; ow < OW; ow++) {
      const h0 = oh * sh - ph,
        w0 = ow * sw - pw;
      const h1 = Math.min(h0 + kh, H + ph),
        w1 = Math.min(w0 + kw, W + pw);
      const inside = (Math.min(h1, H) - Math.max(h0, 0)) * (Math.min(w1, W) - Math.max(w0, 0));
      divisor.push(override ?? (includePad ? (h1 - h0) * (w1 - w0) : inside));
    }
  // extra zeros after the input so that the convolution has the ceil mode's last windows
  const extra = [OH, OW].map((n, i) =>
    Math.max(0, (n - 1) * s.stride[i] + s.kernel[i] - ([H, W][i] + 2 * s.padding[i])),
  );
  const name = d === 1 ? "SqueezeBackward1" : "AvgPool2DBackward0";
  return composite(name, [s.x], (x) =>
    batched4d(x, d, (x4) => {
      // a depthwise convolution with a weight of ones, then the division (its epilogue)
      const C = x4.shape[1];
      const padded = extra.some((e) => e) ? x4.pad([0, 0, 0, 0], [0, 0, ...extra]) : x4;
      const ones = tensor(new Array<number>(C * kh * kw).fill(1), { dtype: x4.dtype }).reshape([
        C,
        1,
        kh,
        kw,
      ]);
      const div = tensor(divisor, { dtype: x4.dtype }).reshape([1, 1, OH, OW]);
      return padded
        .conv2d(ones, { stride: s.stride, padding: s.padding, dilation: [1, 1], groups: C })
        .div(div);
    }),
  );
}
/** 2-d average pooling: input [N, C, H, W] or [C, H, W]. */
export const avgPool2d = (input: Tensor, kernelSize: number | number[], opts?: AvgPoolOptions) =>
  avgPool(input, kernelSize, opts, 2, "avg_pool2d");
/** 1-d average pooling: input [N, C, L] or [C, L]. */
export const avgPool1d = (input: Tensor, kernelSize: number | number[], opts?: AvgPoolOptions) =>
  avgPool(input, kernelSize, opts, 1, "avg_pool1d");

// PyTorch's adaptive windows along one dim: [floor(i * n / out), ceil((i + 1) * n / out))
const adaptiveWindows = (n: number, out: number) =>
  Array.from({ length: out }, (_, i) => [
    Math.floor((i * n) / out),
    Math.ceil(((i + 1) * n) / out),
  ]);
function adaptiveSpec(input: Tensor, outputSize: unknown, fn: string) {
  const x = arg.tensorArg(input, fn, "input", 1);
  if ((x.ndim !== 3 && x.ndim !== 4) || x.numel() === 0)
    throw new Error(`${fn}(): Expected 3D or 4D tensor, but got ${fmtShape(x.shape)}`);
  const raw = typeof outputSize === "number" ? [outputSize, outputSize] : outputSize;
  if (!Array.isArray(raw) || raw.length !== 2)
    throw new Error(`${fn}(): output_size must be an int or a list of 2 ints`);
  const out = raw.map((v: unknown, i: number) =>
    v === null ? x.shape[x.ndim - 2 + i] : arg.int(v, fn, "output_size"),
  );
  if (out.some((n) => n <= 0))
    throw new Error(`${fn}(): output_size must be positive, got ${fmtShape(out)}`);
  return { x, out, sizes: x.shape.slice(-2) };
}
/** Adaptive average pooling to `outputSize` ([OH, OW] or an int; null keeps a size). */
export function adaptiveAvgPool2d(input: Tensor, outputSize: number | (number | null)[]): Tensor {
  const { x, out, sizes } = adaptiveSpec(input, outputSize, "adaptive_avg_pool2d");
  // the averaging matrix of one dim: [out, n]
  const averaging = (n: number, o: number) =>
    adaptiveWindows(n, o).flatMap(([a, b]) =>
      Array.from({ length: n }, (_, j) => (j >= a && j < b ? 1 / (b - a) : 0)),
    );
  const [H, W] = sizes,
    [OH, OW] = out;
  // (PyTorch 1.13 takes the mean for a 1x1 output)
  if (OH === 1 && OW === 1) return x.mean([-2, -1], true);
  return composite("AdaptiveAvgPool2DBackward0", [x], (a) => {
    const ph = tensor(averaging(H, OH), { dtype: a.dtype }).reshape([OH, H]),
      pw = tensor(averaging(W, OW), { dtype: a.dtype }).reshape([OW, W]);
    return ph.matmul(a.matmul(pw.T));
  });
}
/**
 * Adaptive max pooling to `outputSize`: a max pooling when the sizes divide evenly, otherwise each
 * window's max (its gradient then shared among tied maxima, where PyTorch picks the first).
 */
export function adaptiveMaxPool2d(input: Tensor, outputSize: number | (number | null)[]): Tensor {
  const { x, out, sizes } = adaptiveSpec(input, outputSize, "adaptive_max_pool2d");
  const [H, W] = sizes,
    [OH, OW] = out;
  return composite("AdaptiveMaxPool2DBackward0", [x], (a) => {
    if (H % OH === 0 && W % OW === 0) {
      const k = [H / OH, W / OW];
      return batched4d(a, 2, (x4) =>
        x4.maxPool2d({ kernel: k, stride: k, padding: [0, 0], dilation: [1, 1], ceilMode: false }),
      );
    }
    const d = a.ndim;
    const rows = adaptiveWindows(H, OH).map(([h0, h1]) =>
      stack(
        adaptiveWindows(W, OW).map(([w0, w1]) =>
          a
            .narrow(d - 2, h0, h1 - h0)
            .narrow(d - 1, w0, w1 - w0)
            .amax([d - 2, d - 1]),
        ),
        -1,
      ),
    );
    return stack(rows, -2);
  });
}

// ---- attention ----

/** Options of `scaledDotProductAttention`. */
export interface AttentionOptions {
  /** Only 0 is supported. */
  dropoutP?: number;
  /** a lower-triangular mask (query i attends to keys 0..i) */
  isCausal?: boolean;
  /** Default 1 / sqrt(E). */
  scale?: number | null;
}
/**
 * PyTorch 2's scaled_dot_product_attention (its math formula): softmax(q k^T * scale + mask) v,
 * for q [..., L, E], k [..., S, E], v [..., S, Ev]; `attnMask`: bool (true: attend) or float
 * (added to the scores), broadcast to [..., L, S]. A composition: the scores, the softmax and the
 * products fuse as matmul epilogues and softmax's kernels do.
 */
export function scaledDotProductAttention(
  query: Tensor,
  key: Tensor,
  value: Tensor,
  attnMask?: Tensor | null,
  opts?: AttentionOptions,
): Tensor {
  const fn = "scaled_dot_product_attention";
  const q = arg.tensorArg(query, fn, "query", 1),
    k = arg.tensorArg(key, fn, "key", 2),
    v = arg.tensorArg(value, fn, "value", 3);
  const mask = optionalTensor(attnMask, fn, "attn_mask", 4);
  const o = arg.options(opts, fn, ["dropoutP", "isCausal", "scale"]);
  const dropoutP = o.dropoutP === undefined ? 0 : arg.number(o.dropoutP, fn, "dropout_p");
  const causal = o.isCausal === undefined ? false : arg.bool(o.isCausal, fn, "is_causal");
  if (dropoutP !== 0) throw new Error(`${fn}(): dropoutP other than 0 is not supported`);
  if (mask && causal)
    throw new Error(
      "_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True",
    );
  if (q.ndim < 2 || k.ndim < 2 || v.ndim < 2)
    throw new Error(`${fn}(): query, key and value must have at least 2 dims`);
  const E = q.shape[q.ndim - 1],
    L = q.shape[q.ndim - 2],
    S = k.shape[k.ndim - 2];
  if (k.shape[k.ndim - 1] !== E || v.shape[v.ndim - 2] !== S)
    throw new Error(
      `${fn}(): expected key [..., S, ${E}] and value [..., S, Ev], got key ${fmtShape(k.shape)} and value ${fmtShape(v.shape)}`,
    );
  const scale =
    o.scale === undefined || o.scale === null ? 1 / Math.sqrt(E) : arg.number(o.scale, fn, "scale");
  if (mask && mask.dtype !== "bool" && !isFloat(mask.dtype))
    throw new Error(`${fn}(): attn_mask must be bool or float, got ${scalarTypeName(mask.dtype)}`);
  let scores = q.matmul(k.mT).mul(scale);
  if (causal) {
    const tril = Array.from({ length: L * S }, (_, i) => Math.floor(i / S) >= i % S);
    scores = scores.where(tensor(tril, { dtype: "bool" }).reshape([L, S]), -Infinity);
  } else if (mask)
    scores = mask.dtype === "bool" ? scores.where(mask, -Infinity) : scores.add(mask);
  return scores.softmax(-1).matmul(v);
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
  embedding,
  oneHot,
  pad,
  interpolate,
  nllLoss,
  crossEntropy,
  mseLoss,
  conv1d,
  conv2d,
  convTranspose2d,
  layerNorm,
  batchNorm,
  groupNorm,
  instanceNorm,
  normalize,
  maxPool1d,
  maxPool2d,
  avgPool1d,
  avgPool2d,
  adaptiveAvgPool2d,
  adaptiveMaxPool2d,
  scaledDotProductAttention,

  l1Loss,
  smoothL1Loss,
  huberLoss,
  binaryCrossEntropy,
  binaryCrossEntropyWithLogits,
  klDiv,
};
