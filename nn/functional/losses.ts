// Losses of F: each records one grad_fn with PyTorch's name (NllLossBackward0, MseLossBackward0, ...)
// and rejects options it does not know.
import { type DType, isFloat, promote, scalarTypeName } from "../../ir/dtype";
import { IndexError } from "../../ir/ops";
import { fmtShape } from "../../ir/shape";
import * as arg from "../../runtime/args";
import { composite } from "../../runtime/composite";
import { arange } from "../../runtime/create";
import { activeTrace, bind } from "../../runtime/dispatch";
import type { Tensor } from "../../runtime/tensor";
import { logSoftmax, numberOpt, scalarType } from "./activations";

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
// nll_loss/cross_entropy's options, checked once; the weight against the input's classes and (for
// class labels: cross_entropy with class probabilities multiplies by it, promoting) dtype
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

// nll_loss's kernel reads the weight as the input's dtype
function weightDtype(input: Tensor, weight: Tensor | null): void {
  if (weight && input.ndim >= 1) arg.sameScalarType(input.dtype, weight.dtype);
}

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
  arg.floatKernel(
    input.dtype,
    input.ndim <= 2 ? "nll_loss_out_frame" : "nll_loss2d_forward_out_frame",
  );
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
  weightDtype(input, o.weight);
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
    if (!isFloat(input.dtype)) input.logSoftmax(classDim); // PyTorch's error for its kernel
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
  if (!isFloat(input.dtype) && input.ndim >= 1) input.logSoftmax(classDim); // (as above)
  weightDtype(input, weight);
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
  const dtype = pointwiseLossDtype(input, target, "mse_cpu");
  return composite("MseLossBackward0", [input, target], (x, y) =>
    reduce(x.to(dtype).sub(y.to(dtype)).square(), reduction),
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
// mse_loss's and smooth_l1_loss's kernels: the operands promoted (bool ones too), floats only
function pointwiseLossDtype(input: Tensor, target: Tensor, kernel: string): DType {
  const dtype = promote(input.dtype, target.dtype);
  arg.floatKernel(dtype, kernel);
  return dtype;
}
// a result of type `from` written into a tensor of type `to` (PyTorch's in-place cast check)
const castError = (from: DType, to: DType) =>
  new Error(
    `result type ${scalarTypeName(from)} can't be cast to the desired output type ${scalarTypeName(to)}`,
  );

/** PyTorch's l1_loss: |input - target|, broadcast, then reduced. */
export function l1Loss(inputArg: Tensor, targetArg: Tensor, opts?: LossOptions): Tensor {
  const [input, target] = lossArgs(inputArg, targetArg, "l1_loss");
  const reduction = reductionOf(arg.options(opts, "l1_loss", ["reduction"]).reduction, "l1_loss");
  warnBroadcast(input, target);
  // PyTorch broadcasts the two first, so a 0-d operand's dtype counts in full (a bool operand
  // still meets sub's refusal)
  const dtype = promote(input.dtype, target.dtype),
    bools = input.dtype === "bool" || target.dtype === "bool";
  const [x, y] = bools ? [input, target] : [input.to(dtype), target.to(dtype)];
  return reduce(x.sub(y).abs(), reduction);
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
  const dtype = pointwiseLossDtype(input, target, "smooth_l1_cpu");
  return composite("SmoothL1LossBackward0", [input, target], (x, y) => {
    const d = x.to(dtype).sub(y.to(dtype)),
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
  // PyTorch's huber_loss writes into a tensor of the input's dtype
  const common = promote(input.dtype, target.dtype);
  if (!isFloat(input.dtype)) {
    if (isFloat(common)) throw castError(common, input.dtype);
    arg.noKernel("huber_cpu", common);
  }
  return composite("HuberLossBackward0", [input, target], (x, y) => {
    const d = x.sub(y.to(common)),
      a = d.abs();
    const l = d
      .mul(d)
      .mul(0.5)
      .where(a.le(delta), a.sub(0.5 * delta).mul(delta));
    return reduce(l.to(x.dtype), reduction);
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
  if (target.dtype !== input.dtype)
    throw new Error(`Found dtype ${scalarType(target)} but expected ${scalarType(input)}`);
  arg.floatKernel(input.dtype, "binary_cross_entropy");
  if (input.storage && !activeTrace() && input.values().some((v) => !(v >= 0 && v <= 1)))
    throw new Error("all elements of input should be between 0 and 1");
  const ins = weight ? [input, target, weight] : [input, target];
  return composite("BinaryCrossEntropyBackward0", ins, (x, t, w) => {
    // PyTorch's value, (t - 1) max(log(1 - x), -100) - t max(log x, -100), and its gradients:
    // (x - t) / max((1 - x) x, 1e-12) for the input, log(1 - x) - log x (clamped) for the target
    // (the composition's own gradient would be 0/0 at x = 0 or 1). They are attached as a second
    // order Taylor term in dx = x - detach(x), which is exactly 0: gx dx + gt dt has gradient
    // (gx, gt), and gxx dx^2 / 2 + gxt dx dt gives PyTorch's second derivatives (its
    // binary_cross_entropy_double_backward formulas) to a double backward or a nested grad
    const xd = x.detach(),
      td = t.detach();
    const logx = xd.log().clamp(-100),
      log1mx = xd.neg().add(1).log().clamp(-100);
    let l = td.sub(1).mul(log1mx).sub(td.mul(logx));
    const xx1 = xd.neg().add(1).mul(xd).clamp(1e-12);
    const gx = xd.sub(td).div(xx1),
      gt = log1mx.sub(logx);
    const gxx = xd
        .mul(xd)
        .sub(xd.mul(td).mul(2))
        .add(td)
        .div(xd.add(1e-12).square().mul(xd.neg().add(1).add(1e-12).square())),
      gxt = xx1.reciprocal().neg();
    const dx = x.sub(xd),
      dt = t.sub(td);
    l = l.add(dx.mul(gx.add(dx.mul(gxx).mul(0.5)).add(dt.mul(gxt))).add(dt.mul(gt)));
    if (w) l = l.mul(w.detach()).to(x.dtype); // in place in PyTorch: the input's dtype
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
  // PyTorch 1.13 computes (1 - target) * input and adds the rest in place: the loss has the
  // target's dtype, and integer operands fail (in its order: -input, pos_weight - 1, 1 - target)
  if (input.dtype === "bool")
    throw new Error(
      "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.",
    );
  if (posWeight?.dtype === "bool")
    throw new Error(
      "Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.",
    );
  if (target.dtype === "bool")
    throw new Error(
      "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or `logical_xor()` operator instead.",
    );
  if (!isFloat(input.dtype)) throw castError("float32", input.dtype);
  if (!isFloat(target.dtype)) throw castError(input.dtype, target.dtype);
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
    return reduce(l.to(t.dtype), reduction);
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
  if (!isFloat(input.dtype) || !isFloat(target.dtype))
    throw new Error("kl_div: Integral inputs not supported.");
  const pointwise = logTarget
    ? target.exp().mul(target.sub(input))
    : target.where(target.gt(0), 1).log().mul(target).sub(target.mul(input));
  if (reduction === "batchmean")
    return input.ndim === 0 ? pointwise.sum() : pointwise.sum().div(input.shape[0]);
  return reduce(pointwise, reduction);
}

/** max(x, 0). */
