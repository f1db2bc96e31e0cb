// convolution over 1-3 spatial dims (kernel ops: ir/ops/conv.ts; implicit GEMMs: backend/js/conv.ts)
import { cTypeName } from "../../ir/dtype";
import { fmtShape } from "../../ir/shape";
import * as arg from "../../runtime/args";
import { composite } from "../../runtime/composite";
import type { Tensor } from "../../runtime/tensor";

/** Options of `conv1d`/`conv2d`/`conv3d`: an int applies to every spatial dim. */
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
/** Options of `convTranspose1d`/`convTranspose2d`/`convTranspose3d`. */
export interface ConvTransposeOptions {
  stride?: number | number[];
  padding?: number | number[];
  outputPadding?: number | number[];
  groups?: number;
  dilation?: number | number[];
}

// an int or a list of `n` ints, as n ints
export function tuple(v: unknown, n: number, fn: string, name: string, dflt: number): number[] {
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

// conv1d/conv2d/conv3d's checks, in PyTorch 1.13's order and wording; `d` spatial dims
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
  // (PyTorch takes the spatial rank from the weight and checks the stride's length against it)
  if (w.ndim < 3) throw new Error("weight should have at least three dimensions");
  if (w.ndim < d + 2)
    throw new Error(
      `expected stride to be a single integer value or a list of ${w.ndim - 2} values to match the convolution dimensions, but got stride=[${stride.join(", ")}]`,
    );
  if (w.ndim > d + 2)
    throw new Error(
      `Expected ${w.ndim}-dimensional input for ${w.ndim}-dimensional weight ${fmtShape(w.shape)}, but got ${x.ndim}-dimensional input of size ${fmtShape(x.shape)} instead`,
    );
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
  // no promotion between the operands, as PyTorch (whose 1.13 lets a bias of another float type
  // through on some of its convolution backends: small conv1d and conv3d; jitgrad refuses it
  // always), the bias's type checked before its size
  if (bias && bias.dtype !== x.dtype)
    throw new Error(
      `Input type (${cTypeName(x.dtype)}) and bias type (${cTypeName(bias.dtype)}) should be the same`,
    );
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== w.shape[0]))
    throw new Error(
      `Given weight of size ${fmtShape(w.shape)}, expected bias to be 1-dimensional with ${w.shape[0]} elements, but got bias of size ${fmtShape(bias.shape)} instead`,
    );
  arg.sameScalarType(x.dtype, w.dtype);
  return { x, w, bias, stride, padding, dilation, groups, extra };
}

// the convolution of a batched input ([N, C, ...S], as many spatial dims as s's lists), bias
// added; the inputs' order: x, w, bias?
function convOf(s: ConvSpec, x: Tensor, w: Tensor, b: Tensor | undefined): Tensor {
  const zeros = s.extra.map(() => 0);
  const xp = s.extra.some((e) => e) ? x.pad([0, 0, ...zeros], [0, 0, ...s.extra]) : x;
  const y = xp.conv(w, {
    stride: s.stride,
    padding: s.padding,
    dilation: s.dilation,
    groups: s.groups,
  });
  return b ? y.add(b.reshape([1, -1, ...zeros.map(() => 1)])) : y;
}
const withBias = (s: ConvSpec) => (s.bias ? [s.x, s.w, s.bias] : [s.x, s.w]);

// conv2d/conv3d: one kernel op over d spatial dims, an unbatched input given a batch dim
function convNd(
  input: Tensor,
  weight: Tensor,
  bias: Tensor | null | undefined,
  opts: ConvOptions | undefined,
  d: number,
  fn: string,
): Tensor {
  const s = convSpec(input, weight, bias, opts, d, fn);
  if (s.x.ndim === d + 1)
    return composite("SqueezeBackward1", withBias(s), (x, w, b) =>
      convOf(s, x.unsqueeze(0), w, b).squeeze(0),
    );
  return composite("ConvolutionBackward0", withBias(s), (x, w, b) => convOf(s, x, w, b));
}

/**
 * 2-d convolution (cross-correlation, as PyTorch): input [N, C, H, W] (or unbatched [C, H, W]),
 * weight [O, C/groups, KH, KW], bias [O]. A kernel op (an implicit GEMM).
 */
export const conv2d = (
  input: Tensor,
  weight: Tensor,
  bias?: Tensor | null,
  opts?: ConvOptions,
): Tensor => convNd(input, weight, bias, opts, 2, "conv2d");

/**
 * 3-d convolution: input [N, C, D, H, W] (or unbatched [C, D, H, W]), weight
 * [O, C/groups, KD, KH, KW], bias [O]. The same kernel op as conv2d, over three spatial dims.
 */
export const conv3d = (
  input: Tensor,
  weight: Tensor,
  bias?: Tensor | null,
  opts?: ConvOptions,
): Tensor => convNd(input, weight, bias, opts, 3, "conv3d");

/** 1-d convolution: input [N, C, L] (or [C, L]), weight [O, C/groups, K]; the same kernel op. */
export const conv1d = (
  input: Tensor,
  weight: Tensor,
  bias?: Tensor | null,
  opts?: ConvOptions,
): Tensor => convNd(input, weight, bias, opts, 1, "conv1d");

// conv_transpose1d/2d/3d: PyTorch 1.13's checks and wording, then the transposed convolution
// kernel op over d spatial dims
function convTransposeNd(
  input: Tensor,
  weightArg: Tensor,
  biasArg: Tensor | null | undefined,
  opts: ConvTransposeOptions | undefined,
  d: number,
  fn: string,
): Tensor {
  const x = arg.tensorArg(input, fn, "input", 1),
    w = arg.tensorArg(weightArg, fn, "weight", 2),
    bias = biasArg === undefined || biasArg === null ? null : arg.tensorArg(biasArg, fn, "bias", 3);
  const o = arg.options(opts, fn, ["stride", "padding", "outputPadding", "groups", "dilation"]);
  const groups = o.groups === undefined ? 1 : arg.int(o.groups, fn, "groups");
  const stride = tuple(o.stride, d, fn, "stride", 1),
    padding = tuple(o.padding, d, fn, "padding", 0),
    outputPadding = tuple(o.outputPadding, d, fn, "output_padding", 0),
    dilation = tuple(o.dilation, d, fn, "dilation", 1);
  if (x.ndim !== d + 1 && x.ndim !== d + 2)
    throw new Error(
      `Expected ${d + 1}D (unbatched) or ${d + 2}D (batched) input to ${fn}, but got input of size: ${fmtShape(x.shape)}`,
    );
  if (w.ndim !== d + 2) throw new Error(`${fn}(): weight must be ${d + 2}-D, got ${w.ndim}-D`);
  if (stride.some((s) => s <= 0)) throw new Error("non-positive stride is not supported");
  if (padding.some((p) => p < 0)) throw new Error("negative padding is not supported");
  if (outputPadding.some((p) => p < 0)) throw new Error("negative output_padding is not supported");
  if (dilation.some((s) => s <= 0))
    throw new Error(`dilation should be greater than zero, but got [${dilation.join(", ")}]`);
  if (groups <= 0) throw new Error("non-positive groups is not supported");
  if (outputPadding.some((p, i) => p >= stride[i] && p >= dilation[i])) {
    // PyTorch names the dims depth, height, width (1-d: a height of 1)
    const dims = d === 3 ? ["depth", "height", "width"] : ["height", "width"],
      full = (xs: number[], one: number) => (d === 1 ? [one, ...xs] : xs);
    const say = (name: string, xs: number[]) =>
      dims.map((n, i) => `${name}_${n}: ${xs[i]}`).join(" ");
    throw new Error(
      `output padding must be smaller than either stride or dilation, but got ${say("output_padding", full(outputPadding, 0))} ${say("stride", full(stride, 1))} ${say("dilation", full(dilation, 1))}`,
    );
  }
  if (w.shape[0] % groups !== 0)
    throw new Error(
      `Given groups=${groups}, expected weight to be divisible by ${groups} at dimension 0, but got weight of size [${fmtShape(w.shape)}] instead`,
    );
  const batched = x.ndim === d + 2 ? x.shape : [1, ...x.shape];
  if (batched[1] !== w.shape[0])
    throw new Error(
      `Given transposed=1, weight of size ${fmtShape(w.shape)}, expected input${fmtShape(batched)} to have ${w.shape[0]} channels, but got ${batched[1]} channels instead`,
    );
  const outC = w.shape[1] * groups;
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== outC))
    throw new Error(
      `Given transposed=1, weight of size ${fmtShape(w.shape)}, expected bias to be 1-dimensional with ${outC} elements, but got bias of size ${fmtShape(bias.shape)} instead`,
    );
  arg.sameScalarType(x.dtype, w.dtype);
  if (bias) arg.sameScalarType(x.dtype, bias.dtype);
  const p = { stride, padding, outputPadding, dilation, groups };
  const f = (xb: Tensor, wt: Tensor, b?: Tensor) => {
    const y = xb.convTranspose(wt, p);
    return b ? y.add(b.reshape([1, -1, ...stride.map(() => 1)])) : y;
  };
  const ins = bias ? [x, w, bias] : [x, w];
  if (x.ndim === d + 1)
    return composite("SqueezeBackward1", ins, (a, wt, b) => f(a.unsqueeze(0), wt, b).squeeze(0));
  return composite("ConvolutionBackward0", ins, (a, wt, b) => f(a, wt, b));
}

/**
 * 2-d transposed convolution (the input gradient of conv2d): input [N, C, H, W] (or [C, H, W]),
 * weight [C, O/groups, KH, KW], bias [O].
 */
export const convTranspose2d = (
  input: Tensor,
  weight: Tensor,
  bias?: Tensor | null,
  opts?: ConvTransposeOptions,
): Tensor => convTransposeNd(input, weight, bias, opts, 2, "conv_transpose2d");
/** 1-d transposed convolution: input [N, C, L] (or [C, L]), weight [C, O/groups, K], bias [O]. */
export const convTranspose1d = (
  input: Tensor,
  weight: Tensor,
  bias?: Tensor | null,
  opts?: ConvTransposeOptions,
): Tensor => convTransposeNd(input, weight, bias, opts, 1, "conv_transpose1d");
/**
 * 3-d transposed convolution: input [N, C, D, H, W] (or [C, D, H, W]), weight
 * [C, O/groups, KD, KH, KW], bias [O].
 */
export const convTranspose3d = (
  input: Tensor,
  weight: Tensor,
  bias?: Tensor | null,
  opts?: ConvTransposeOptions,
): Tensor => convTransposeNd(input, weight, bias, opts, 3, "conv_transpose3d");
