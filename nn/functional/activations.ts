// Activations of F and their relatives (softmax, gelu): compositions recorded as one node with
// PyTorch's grad_fn name.
import { scalarTypeName } from "../../ir/dtype";
import { normDim } from "../../ir/shape";
import * as arg from "../../runtime/args";
import { composite } from "../../runtime/composite";
import type { Tensor } from "../../runtime/tensor";

export const scalarType = (t: Tensor) => scalarTypeName(t.dtype);
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
  arg.floatKernel(x.dtype, "GeluKernelImpl");
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

// A number option: absent means its default; anything but a number is a TypeError.
export function numberOpt(
  o: Record<string, unknown>,
  key: string,
  fn: string,
  dflt: number,
): number {
  return o[key] === undefined ? dflt : arg.number(o[key], fn, key);
}
// x where `keep` holds, else 0: the argument of a branch that where() discards, so that the
// discarded branch cannot overflow and send NaN gradients (0 * inf) back
const safe = (x: Tensor, keep: Tensor) => x.where(keep, 0);
// integers clamp as integers in PyTorch's hardtanh, bools are refused
function noBool(x: Tensor, fn: string): void {
  if (x.dtype === "bool") throw new Error(`Bool inputs not supported for ${fn}`);
}
// `kernel`: the CPU kernel PyTorch's error names
function floatInput(input: unknown, fn: string, kernel = `${fn}_cpu`): Tensor {
  const x = arg.tensorArg(input, fn, "input", 1);
  arg.floatKernel(x.dtype, kernel);
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
  const x = floatInput(input, "selu", "elu_cpu");
  return composite("EluBackward0", [x], (v) => eluOf(v, SELU_ALPHA, 1, SELU_SCALE));
}
/** max(0, x) + min(0, alpha (exp(x / alpha) - 1)) (alpha defaults to 1). */
export function celu(input: Tensor, opts?: AlphaOptions): Tensor {
  const x = floatInput(input, "celu", "elu_cpu");
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
  noBool(x, "hardtanh");
  return composite("HardtanhBackward0", [x], (v) => hardtanhOf(v, lo, hi));
}
/** min(max(x, 0), 6). */
export function relu6(input: Tensor): Tensor {
  const x = arg.tensorArg(input, "relu6", "input", 1);
  noBool(x, "hardtanh"); // (PyTorch's relu6 is hardtanh)
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
  const x = floatInput(input, "log_sigmoid_forward", "log_sigmoid_cpu");
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
    throw new Error(`Found dtype ${scalarType(weight)} but expected ${scalarType(x)}`);
  const shape = x.shape.map((s, d) => (d === 1 && n > 1 ? s : 1));
  return composite("PreluBackward0", [x, weight], (v, w) =>
    v.where(v.gt(0), v.mul(n > 1 ? w.reshape(shape) : w.reshape(x.ndim ? shape : []))),
  );
}

/** `x @ weight^T + bias`; weight is [out, in]. */
