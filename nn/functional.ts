// torch.nn.functional for jitgrad: compositions of existing tensor ops (no new loops), so every
// function runs eagerly, traces into compile(), and differentiates through the primitives' VJPs.
// Eagerly, each loss records one grad_fn with PyTorch's name (NllLossBackward0, MseLossBackward0, ...).
import { isFloat, scalarTypeName } from "../ir/dtype";
import { IndexError } from "../ir/ops";
import { fmtShape, normDim } from "../ir/shape";
import * as arg from "../runtime/args";
import { composite } from "../runtime/composite";
import { arange, cat, ones, tensor } from "../runtime/create";
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
  embedding,
  oneHot,
  pad,
  interpolate,
  nllLoss,
  crossEntropy,
  mseLoss,
};
