// normalization: compositions of reductions that fuse (the mean and the mean of squares over
// the same loops are one kernel, the normalization and affine transform a second)
import { isFloat, scalarTypeName } from "../../ir/dtype";
import { fmtShape, normDim } from "../../ir/shape";
import * as arg from "../../runtime/args";
import { noGrad } from "../../runtime/autograd";
import { composite } from "../../runtime/composite";
import type { Tensor } from "../../runtime/tensor";

// (x - mean) / sqrt(var + eps) over `dims`, with the biased variance E[x^2] - E[x]^2 (one pass);
// also returns the mean and variance (keepdim)
function standardize(x: Tensor, dims: number[], eps: number) {
  const mean = x.mean(dims, true);
  const variance = x.mul(x).mean(dims, true).sub(mean.mul(mean)).relu(); // relu: rounding below 0
  return { y: x.sub(mean).mul(variance.add(eps).pow(-0.5)), mean, variance };
}
export const optionalTensor = (v: unknown, fn: string, name: string, pos: number) =>
  v === undefined || v === null ? null : arg.tensorArg(v, fn, name, pos);
// layer_norm's and group_norm's kernels: a float input, and weight and bias of its dtype (no
// promotion), in PyTorch's words
function sameDtypeParams(x: Tensor, kernel: string, params: (Tensor | null)[]): void {
  arg.floatKernel(x.dtype, kernel);
  for (const t of params) if (t) arg.sameScalarType(x.dtype, t.dtype);
}
// batch_norm's CPU kernel (instance_norm's too): a float input; parameters of another dtype than
// the input's are its "mixed dtype" case (the first defined one decides), which 1.13 only has for
// a bfloat16 input with float parameters; otherwise every parameter has the input's dtype
function batchNormDtypes(x: Tensor, params: (Tensor | null)[]): void {
  arg.floatKernel(x.dtype, "batch_norm");
  const defined = params.filter((t): t is Tensor => t !== null);
  if (defined.length && defined[0].dtype !== x.dtype) {
    if (defined.some((t) => t.dtype !== "float32"))
      throw new Error("mixed dtype (CPU): expect parameter to have scalar type of Float");
    throw new Error("mixed dtype (CPU): expect input to have scalar type of BFloat16");
  }
  sameDtypeParams(x, "batch_norm", defined);
}
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
  sameDtypeParams(x, "LayerNormKernelImpl", [weight, bias]);
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
  batchNormDtypes(x, [weight, bias, runningMean, runningVar]);
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
  sameDtypeParams(x, "GroupNormKernelImpl", [weight, bias]);
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
  batchNormDtypes(x, [weight, bias]);
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
  if (!isFloat(x.dtype))
    throw new Error(
      `norm(): input dtype should be either floating point or complex. Got ${scalarTypeName(x.dtype)} instead.`,
    );
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
