// pooling over 1-3 spatial dims: max pooling is a kernel op (ir/ops/pool.ts) whose gradient goes
// to each window's first maximum; average pooling is a convolution with a constant weight (one
// kernel, the division its epilogue; its gradient a transposed convolution); adaptive average
// pooling two matmuls with constant averaging matrices
import { poolOut } from "../../ir/ops/pool";
import { fmtShape, sameShape } from "../../ir/shape";
import * as arg from "../../runtime/args";
import { composite } from "../../runtime/composite";
import { stack, tensor } from "../../runtime/create";
import { activeTrace } from "../../runtime/dispatch";
import type { Tensor } from "../../runtime/tensor";
import { tuple } from "./conv";

/** Options of `maxPool1d`/`maxPool2d`/`maxPool3d`. */
export interface MaxPoolOptions {
  /** Default: the kernel size. */
  stride?: number | number[] | null;
  padding?: number | number[];
  dilation?: number | number[];
  ceilMode?: boolean;
  /**
   * Also return where each maximum is: `[output, indices]` (PyTorch's plain tuple, as an array like
   * `varMean`'s), indices int32 of the output's shape, h * W + w in the input's plane (w for 1-d).
   */
  returnIndices?: boolean;
}
/** Options of `maxUnpool1d`/`maxUnpool2d`/`maxUnpool3d`. */
export interface MaxUnpoolOptions {
  /** Default: the kernel size. */
  stride?: number | number[] | null;
  padding?: number | number[];
  /** The output's spatial size ([H, W], or [N, C, H, W]); default (in - 1) * stride + kernel - 2 * padding. */
  outputSize?: number[] | null;
}
/** Options of `avgPool1d`/`avgPool2d`/`avgPool3d`. */
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
  // PyTorch names the dims T, H, W (a 1-d size is both H and W)
  const named = (label: string, xs: number[]) =>
    (d === 3 ? ["T", "H", "W"] : ["H", "W"])
      .map((n, i) => `${label}${n}: ${xs[d === 3 ? i : i * (d - 1)]}`)
      .join(" ");
  if (kernel.some((k) => k <= 0))
    throw new Error(`kernel size should be greater than zero, but got ${named("k", kernel)}`);
  if (stride.some((s) => s <= 0)) throw new Error("stride should not be zero");
  if (dilation.some((s) => s <= 0))
    throw new Error(`dilation should be greater than zero, but got ${named("dilation", dilation)}`);
  const bad = padding.findIndex((p, i) => p < 0 || p > kernel[i] / 2);
  if (bad >= 0)
    throw new Error(
      `pad should be at most half of kernel size, but got pad=${padding[bad]} and kernel_size=${kernel[bad]}`,
    );
  if ((x.ndim !== d + 1 && x.ndim !== d + 2) || x.numel() === 0)
    throw new Error(`non-empty ${d + 1}D or ${d + 2}D (batch mode) tensor expected for input`);
  const sizes = x.shape.slice(-d);
  // (avg_pool3d compares the unpadded input with the kernel first)
  if (fn === "avg_pool3d" && sizes.some((n, i) => n < kernel[i]))
    throw new Error(
      `input image (T: ${sizes[0]} H: ${sizes[1]} W: ${sizes[2]}) smaller than kernel size (kT: ${kernel[0]} kH: ${kernel[1]} kW: ${kernel[2]})`,
    );
  const out = sizes.map((n, i) =>
    poolOut(n, kernel[i], stride[i], padding[i], dilation[i], ceilMode),
  );
  if (out.some((n) => n < 1))
    throw new Error(
      `Given input size: (${x.shape.slice(-d - 1).join("x")}). Calculated output size: (${x.shape[x.ndim - d - 1]}x${out.join("x")}). Output size is too small`,
    );
  return { x, kernel, stride, padding, dilation, ceilMode, out };
}
// f on a batched input [N, C, ...S]: an unbatched input gets its batch dim added and removed
function batched(x: Tensor, d: number, f: (xb: Tensor) => Tensor): Tensor {
  return x.ndim === d + 1 ? f(x.unsqueeze(0)).squeeze(0) : f(x);
}

function maxPool(input: Tensor, kernelSize: unknown, opts: unknown, d: number, fn: string) {
  const o = arg.options(opts, fn, ["stride", "padding", "dilation", "ceilMode", "returnIndices"]);
  const withIndices =
    o.returnIndices !== undefined && arg.bool(o.returnIndices, fn, "return_indices");
  const s = poolSpec(input, kernelSize, o, d, fn);
  // PyTorch's kernels are for floats only (1-d without indices has its own)
  const kernel =
    d === 3
      ? "max_pool3d_with_indices_cpu"
      : d === 1 && !withIndices
        ? "max_pool1d_impl"
        : "max_pool2d";
  arg.floatKernel(s.x.dtype, kernel);
  const p = {
    kernel: s.kernel,
    stride: s.stride,
    padding: s.padding,
    dilation: s.dilation,
    ceilMode: s.ceilMode,
  };
  const name = d === 1 ? "SqueezeBackward1" : `MaxPool${d}DWithIndicesBackward0`;
  const out = composite(name, [s.x], (x) => batched(x, d, (xb) => xb.maxPool(p)));
  if (!withIndices) return out;
  return [out, batched(s.x.detach(), d, (xb) => xb.maxPoolIndices(p))];
}
/**
 * 2-d max pooling: input [N, C, H, W] or [C, H, W]; the gradient goes to each window's first
 * maximum. With `returnIndices: true`, `[output, indices]`.
 */
export function maxPool2d(
  input: Tensor,
  kernelSize: number | number[],
  opts?: MaxPoolOptions & { returnIndices?: false },
): Tensor;
export function maxPool2d(
  input: Tensor,
  kernelSize: number | number[],
  opts: MaxPoolOptions & { returnIndices: true },
): [Tensor, Tensor];
export function maxPool2d(
  input: Tensor,
  kernelSize: number | number[],
  opts?: MaxPoolOptions,
): Tensor | [Tensor, Tensor];
export function maxPool2d(input: Tensor, kernelSize: number | number[], opts?: MaxPoolOptions) {
  return maxPool(input, kernelSize, opts, 2, "max_pool2d");
}
/** 1-d max pooling: input [N, C, L] or [C, L]. With `returnIndices: true`, `[output, indices]`. */
export function maxPool1d(
  input: Tensor,
  kernelSize: number | number[],
  opts?: MaxPoolOptions & { returnIndices?: false },
): Tensor;
export function maxPool1d(
  input: Tensor,
  kernelSize: number | number[],
  opts: MaxPoolOptions & { returnIndices: true },
): [Tensor, Tensor];
export function maxPool1d(
  input: Tensor,
  kernelSize: number | number[],
  opts?: MaxPoolOptions,
): Tensor | [Tensor, Tensor];
export function maxPool1d(input: Tensor, kernelSize: number | number[], opts?: MaxPoolOptions) {
  return maxPool(input, kernelSize, opts, 1, "max_pool1d");
}

/**
 * 3-d max pooling: input [N, C, D, H, W] or [C, D, H, W]. With `returnIndices: true`,
 * `[output, indices]` (indices (d * H + h) * W + w in the input's volume).
 */
export function maxPool3d(
  input: Tensor,
  kernelSize: number | number[],
  opts?: MaxPoolOptions & { returnIndices?: false },
): Tensor;
export function maxPool3d(
  input: Tensor,
  kernelSize: number | number[],
  opts: MaxPoolOptions & { returnIndices: true },
): [Tensor, Tensor];
export function maxPool3d(
  input: Tensor,
  kernelSize: number | number[],
  opts?: MaxPoolOptions,
): Tensor | [Tensor, Tensor];
export function maxPool3d(input: Tensor, kernelSize: number | number[], opts?: MaxPoolOptions) {
  return maxPool(input, kernelSize, opts, 3, "max_pool3d");
}

// The inverse of max pooling: each value of input written at its index in a zero output plane
// (or volume: a scatter along the flattened plane; its gradient reads the output gradient there).
function maxUnpool(
  input: Tensor,
  indices: Tensor,
  kernelSize: unknown,
  opts: unknown,
  d: number,
  fn: string,
): Tensor {
  const x = arg.tensorArg(input, fn, "input", 1),
    idx = arg.tensorArg(indices, fn, "indices", 2);
  const o = arg.options(opts, fn, ["stride", "padding", "outputSize"]);
  const kernel = tuple(kernelSize, d, fn, "kernel_size", 1),
    stride =
      o.stride === undefined || o.stride === null ? kernel : tuple(o.stride, d, fn, "stride", 1),
    padding = tuple(o.padding, d, fn, "padding", 0);
  if (idx.dtype !== "int32") {
    const name = { float32: "Float", float64: "Double", bool: "Bool" }[idx.dtype];
    // (max_unpool3d's message names no type)
    throw new Error(
      `elements in indices should be type int64${d === 3 ? "" : ` but got: ${name}`}`,
    );
  }
  if (x.ndim !== d + 1 && x.ndim !== d + 2)
    throw new Error(
      d === 3
        ? `Input to max_unpooling3d should be a 4d or 5d Tensor, but got a tensor with ${x.ndim} dimensions.`
        : `${fn}(): Expected ${d + 1}D or ${d + 2}D input, but got ${fmtShape(x.shape)}`,
    );
  if (!sameShape(x.shape, idx.shape))
    throw new Error(
      `Expected shape of indices to be same as that of the input tensor (${fmtShape(x.shape)}) but got indices tensor with shape: ${fmtShape(idx.shape)}`,
    );
  const sizes = x.shape.slice(-d);
  // PyTorch's _unpool_output_size
  const fallback = sizes.map((n, i) => (n - 1) * stride[i] + kernel[i] - 2 * padding[i]);
  let out = fallback;
  if (o.outputSize !== undefined && o.outputSize !== null) {
    let given = arg.intList(o.outputSize, fn, "output_size");
    if (given.length === d + 2) given = given.slice(2);
    if (given.length !== d)
      throw new Error(
        `output_size should be a sequence containing ${d} or ${d + 2} elements, but it has a length of '${given.length}'`,
      );
    given.forEach((n, i) => {
      const lo = fallback[i] - stride[i],
        hi = fallback[i] + stride[i];
      if (!(lo < n && n < hi))
        throw new Error(
          `invalid output_size "(${given.join(", ")})" (dim ${i} must be between ${lo} and ${hi})`,
        );
    });
    out = given;
  }
  // PyTorch's kernels (max_unpool1d runs max_unpool2d's) are for floats only
  arg.floatKernel(x.dtype, `max_unpool${d === 3 ? 3 : 2}d`);
  const plane = out.reduce((a, b) => a * b, 1);
  // eagerly, PyTorch's wording for an index outside the output (compiled, the scatter's check)
  if (!activeTrace()) {
    const bad = idx.values().find((i) => i < 0 || i >= plane);
    if (bad !== undefined)
      throw new Error(
        `Found an invalid max index: ${bad} (output volumes are of size ${d === 1 ? "1x" : ""}${out.join("x")}`,
      );
  }
  const lead = x.shape.slice(0, -d);
  const name = d === 1 ? "SqueezeBackward1" : `MaxUnpool${d}DBackward0`;
  return composite(name, [x], (v) => {
    const flat = [...lead, -1];
    return v
      .newZeros([...lead, plane])
      .scatter(lead.length, idx.reshape(flat), v.reshape(flat))
      .reshape([...lead, ...out]);
  });
}
/** The inverse of `maxPool2d` given its indices: input [N, C, H, W] or [C, H, W], zeros elsewhere. */
export const maxUnpool2d = (
  input: Tensor,
  indices: Tensor,
  kernelSize: number | number[],
  opts?: MaxUnpoolOptions,
) => maxUnpool(input, indices, kernelSize, opts, 2, "max_unpool2d");
/** The inverse of `maxPool3d` given its indices: input [N, C, D, H, W] or [C, D, H, W]. */
export const maxUnpool3d = (
  input: Tensor,
  indices: Tensor,
  kernelSize: number | number[],
  opts?: MaxUnpoolOptions,
) => maxUnpool(input, indices, kernelSize, opts, 3, "max_unpool3d");
/** The inverse of `maxPool1d` given its indices: input [N, C, L] or [C, L]. */
export const maxUnpool1d = (
  input: Tensor,
  indices: Tensor,
  kernelSize: number | number[],
  opts?: MaxUnpoolOptions,
) => maxUnpool(input, indices, kernelSize, opts, 1, "max_unpool1d");

function avgPool(input: Tensor, kernelSize: unknown, opts: unknown, d: number, fn: string) {
  const o = arg.options(opts, fn, [
    "stride",
    "padding",
    "ceilMode",
    "countIncludePad",
    "divisorOverride",
  ]);
  const s = poolSpec(input, kernelSize, o, d, fn);
  const includePad =
    o.countIncludePad === undefined ? true : arg.bool(o.countIncludePad, fn, "count_include_pad");
  const override =
    o.divisorOverride === undefined || o.divisorOverride === null
      ? null
      : arg.int(o.divisorOverride, fn, "divisor_override");
  if (override !== null && d === 1) throw new Error(`${fn}(): divisorOverride is not supported`);
  if (override === 0) throw new Error("divisor must be not zero");
  const sizes = s.x.shape.slice(-d);
  // each window's divisor, as PyTorch's avg_pool2d/3d count it: a product over the dims of the
  // window's length there (up to the padded edge, or within the input without countIncludePad)
  const lengths = s.out.map((n, i) =>
    Array.from({ length: n }, (_, o) => {
      const start = o * s.stride[i] - s.padding[i],
        end = Math.min(start + s.kernel[i], sizes[i] + s.padding[i]);
      return includePad ? end - start : Math.min(end, sizes[i]) - Math.max(start, 0);
    }),
  );
  let divisor = [1];
  for (const ls of lengths) divisor = divisor.flatMap((v) => ls.map((l) => v * l));
  if (override !== null) divisor = divisor.map(() => override);
  // extra zeros after the input so that the convolution has the ceil mode's last windows
  const extra = s.out.map((n, i) =>
    Math.max(0, (n - 1) * s.stride[i] + s.kernel[i] - (sizes[i] + 2 * s.padding[i])),
  );
  const name = d === 1 ? "SqueezeBackward1" : `AvgPool${d}DBackward0`;
  const ones = (n: number) => new Array<number>(n).fill(1);
  return composite(name, [s.x], (x) =>
    batched(x, d, (xb) => {
      // a depthwise convolution with a weight of ones, then the division (its epilogue)
      const C = xb.shape[1],
        k = s.kernel.reduce((a, b) => a * b, 1);
      const padded = extra.some((e) => e)
        ? xb.pad([0, 0, ...extra.map(() => 0)], [0, 0, ...extra])
        : xb;
      const weight = tensor(ones(C * k), { dtype: xb.dtype }).reshape([C, 1, ...s.kernel]);
      const div = tensor(divisor, { dtype: xb.dtype }).reshape([1, 1, ...s.out]);
      return padded
        .conv(weight, { stride: s.stride, padding: s.padding, dilation: ones(d), groups: C })
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
/** 3-d average pooling: input [N, C, D, H, W] or [C, D, H, W]. */
export const avgPool3d = (input: Tensor, kernelSize: number | number[], opts?: AvgPoolOptions) =>
  avgPool(input, kernelSize, opts, 3, "avg_pool3d");

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
  arg.floatKernel(x.dtype, "adaptive_max_pool2d");
  const [H, W] = sizes,
    [OH, OW] = out;
  return composite("AdaptiveMaxPool2DBackward0", [x], (a) => {
    if (H % OH === 0 && W % OW === 0) {
      const k = [H / OH, W / OW];
      return batched(a, 2, (xb) =>
        xb.maxPool({ kernel: k, stride: k, padding: [0, 0], dilation: [1, 1], ceilMode: false }),
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
