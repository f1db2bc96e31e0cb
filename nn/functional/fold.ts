// F.unfold (im2col) and F.fold (col2im): unfold is a sliding-window view of the padded input
// (the `windows` movement op) made contiguous as [N, C*kh*kw, L]; fold sums such columns back into
// an image (the `col2im` kernel op). Each is the other's gradient. Checks and wording: PyTorch 1.13.
import type { WindowParams } from "../../ir/ops/window";
import { fmtShape } from "../../ir/shape";
import * as arg from "../../runtime/args";
import { composite } from "../../runtime/composite";
import type { Tensor } from "../../runtime/tensor";
import { tuple } from "./conv";

/** Options of `unfold` and `fold`: each an int or a pair. */
export interface FoldOptions {
  dilation?: number | number[];
  padding?: number | number[];
  stride?: number | number[];
}

const pair = (xs: number[]) => `(${xs.join(", ")})`;

// the sliding blocks of a [H, W] plane, with PyTorch's checks of the parameters
function blocksOf(size: number[], kernelSize: unknown, opts: unknown, fn: string) {
  const o = arg.options(opts, fn, ["dilation", "padding", "stride"]);
  const kernel = tuple(kernelSize, 2, fn, "kernel_size", 1),
    dilation = tuple(o.dilation, 2, fn, "dilation", 1),
    padding = tuple(o.padding, 2, fn, "padding", 0),
    stride = tuple(o.stride, 2, fn, "stride", 1);
  const check = (xs: number[], ok: (n: number) => boolean, what: string, names: string[]) => {
    if (!xs.every(ok))
      throw new Error(`${what}, but got ${names[0]}: ${xs[0]} ${names[1]}: ${xs[1]}`);
  };
  check(kernel, (n) => n > 0, "kernel size should be greater than zero", [
    "kernel_height",
    "kernel_width",
  ]);
  check(dilation, (n) => n > 0, "dilation should be greater than zero", [
    "dilation_height",
    "dilation_width",
  ]);
  check(padding, (n) => n >= 0, "padding should be non-negative", ["pad_height", "pad_width"]);
  check(stride, (n) => n > 0, "stride should be greater than zero", [
    "stride_height",
    "stride_width",
  ]);
  const blocks = size.map(
    (n, i) =>
      Math.floor((n + 2 * padding[i] - (dilation[i] * (kernel[i] - 1) + 1)) / stride[i]) + 1,
  );
  const p: WindowParams = {
    kernel,
    dilation,
    stride,
    blocks,
    size: size.map((n, i) => n + 2 * padding[i]),
  };
  const describe = `kernel_size=${pair(kernel)}, dilation=${pair(dilation)}, padding=${pair(padding)}, stride=${pair(stride)}`;
  return { p, padding, describe };
}

/**
 * Sliding local blocks of a batch of images (PyTorch's `unfold`, im2col): input [N, C, H, W] (or
 * [C, H, W]) -> [N, C * kh * kw, L], L the number of blocks; each column one block, channel-major.
 */
export function unfold(input: Tensor, kernelSize: number | number[], opts?: FoldOptions): Tensor {
  const x = arg.tensorArg(input, "unfold", "input", 1);
  if ((x.ndim !== 3 && x.ndim !== 4) || x.shape.slice(-3).includes(0))
    throw new Error(
      `Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other non-zero dimensions for input, but got: ${fmtShape(x.shape)}`,
    );
  const size = x.shape.slice(-2);
  const { p, padding, describe } = blocksOf(size, kernelSize, opts, "unfold");
  if (p.blocks.some((n) => n < 1))
    throw new Error(
      `Given input with spatial size ${pair(size)}, ${describe}, calculated shape of the array of sliding blocks as ${pair(p.blocks)}, but its components must be at least one.`,
    );
  arg.floatKernel(x.dtype, "im2col_out_cpu"); // (im2col and col2im are for floats only)
  const lead = x.shape.slice(0, -3),
    C = x.shape[x.ndim - 3];
  const [ph, pw] = padding;
  return composite("Im2ColBackward0", [x], (v) => {
    const zeros = v.shape.map(() => 0);
    const padded = ph || pw ? v.pad([...zeros.slice(2), ph, pw], [...zeros.slice(2), ph, pw]) : v;
    const cols = C * p.kernel[0] * p.kernel[1];
    return padded.windows(p).reshape([...lead, cols, p.blocks[0] * p.blocks[1]]);
  });
}

/**
 * Sums sliding local blocks back into a batch of images (PyTorch's `fold`, col2im): input
 * [N, C * kh * kw, L] (or [C * kh * kw, L]) -> [N, C, ...outputSize]; overlapping values add up.
 */
export function fold(
  input: Tensor,
  outputSize: number | number[],
  kernelSize: number | number[],
  opts?: FoldOptions,
): Tensor {
  const x = arg.tensorArg(input, "fold", "input", 1);
  if ((x.ndim !== 2 && x.ndim !== 3) || x.shape.slice(-2).includes(0))
    throw new Error(
      `Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and non-zero dimensions for input, but got: ${fmtShape(x.shape)}`,
    );
  const size = tuple(outputSize, 2, "fold", "output_size", 1);
  const { p, padding, describe } = blocksOf(size, kernelSize, opts, "fold");
  const [kh, kw] = p.kernel,
    [rows, L] = x.shape.slice(-2),
    dim = x.ndim - 2;
  if (rows % (kh * kw) !== 0)
    throw new Error(
      `Expected size of input's dimension ${dim} to be divisible by the product of kernel_size, but got input.size(${dim})=${rows} and kernel_size=${pair(p.kernel)}.`,
    );
  const [oh, ow] = p.blocks;
  if (oh < 1 || ow < 1 || oh * ow !== L)
    throw new Error(
      `Given output_size=${pair(size)}, ${describe}, expected size of input's dimension ${dim + 1} to match the calculated number of sliding blocks ${oh} * ${ow} = ${oh * ow}, but got input.size(${dim + 1})=${L}.`,
    );
  arg.floatKernel(x.dtype, "col2im_out_cpu");
  const lead = x.shape.slice(0, -2),
    C = rows / (kh * kw);
  const [ph, pw] = padding;
  return composite("Col2ImBackward0", [x], (v) => {
    const image = v.reshape([...lead, C, kh, kw, oh, ow]).col2im(p);
    if (!ph && !pw) return image;
    const zeros = image.shape.slice(0, -2).map(() => 0);
    return image.shrink(
      [...zeros, ph, pw],
      [...image.shape.slice(0, -2), ph + size[0], pw + size[1]],
    );
  });
}
