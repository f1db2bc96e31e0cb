// Pooling layers over F's pooling functions. Sizes are printed as given (an int or a tuple), as
// PyTorch prints them; AvgPool1d prints 1-tuples because PyTorch converts its arguments.
import * as arg from "../../runtime/args";
import type { Tensor } from "../../runtime/tensor";
import { tuple } from "../functional/conv";
import {
  type AvgPoolOptions,
  adaptiveAvgPool2d,
  adaptiveMaxPool2d,
  avgPool1d,
  avgPool2d,
  type MaxPoolOptions,
  maxPool1d,
  maxPool2d,
} from "../functional/pool";
import { Module } from "../module";
import { pyValue } from "./repr";

/** A size as given to a pooling layer: one int or one per spatial dim. */
export type Size = number | readonly number[];
// an int or a list of d ints (copied, frozen), checked as the functional form checks it
function sizeArg(v: unknown, d: number, fn: string, name: string): Size {
  tuple(v, d, fn, name, 0);
  return typeof v === "number" ? v : Object.freeze(arg.intList(v, fn, name));
}
const sizes = (v: Size) => (typeof v === "number" ? v : [...v]);

type MaxPoolFn = (
  x: Tensor,
  k: number | number[],
  o: MaxPoolOptions & { returnIndices?: false },
) => Tensor;
type MaxPoolLayerOptions = Omit<MaxPoolOptions, "returnIndices"> & { returnIndices?: false };
/** Max pooling over `d` spatial dims. */
class MaxPoolNd extends Module {
  readonly kernelSize: Size;
  readonly stride: Size;
  readonly padding: Size;
  readonly dilation: Size;
  readonly ceilMode: boolean;
  readonly #f: MaxPoolFn;
  constructor(d: number, f: MaxPoolFn, kernelSize: unknown, opts: unknown) {
    super();
    const fn = new.target.name,
      o = arg.options(opts, fn, ["stride", "padding", "dilation", "ceilMode", "returnIndices"]);
    if (o.returnIndices !== undefined && arg.bool(o.returnIndices, fn, "return_indices"))
      throw new Error(
        `${fn}(): returnIndices is not supported by the module (its forward returns one tensor); use F.maxPool2d(x, k, { returnIndices: true })`,
      );
    this.kernelSize = sizeArg(kernelSize, d, fn, "kernel_size");
    this.stride =
      o.stride === undefined || o.stride === null
        ? this.kernelSize
        : sizeArg(o.stride, d, fn, "stride");
    this.padding = o.padding === undefined ? 0 : sizeArg(o.padding, d, fn, "padding");
    this.dilation = o.dilation === undefined ? 1 : sizeArg(o.dilation, d, fn, "dilation");
    this.ceilMode = o.ceilMode === undefined ? false : arg.bool(o.ceilMode, fn, "ceil_mode");
    this.#f = f;
  }
  forward(x: Tensor): Tensor {
    return this.#f(x, sizes(this.kernelSize), {
      stride: sizes(this.stride),
      padding: sizes(this.padding),
      dilation: sizes(this.dilation),
      ceilMode: this.ceilMode,
    });
  }
  override extraRepr(): string {
    return `kernel_size=${pyValue(this.kernelSize)}, stride=${pyValue(this.stride)}, padding=${pyValue(this.padding)}, dilation=${pyValue(this.dilation)}, ceil_mode=${pyValue(this.ceilMode)}`;
  }
}
// (each factory binds a named class's arguments: declaration files can name it, not an anonymous one)
function maxPoolNd(
  d: number,
  f: MaxPoolFn,
): new (
  kernelSize: number | number[],
  opts?: MaxPoolLayerOptions,
) => MaxPoolNd {
  return class extends MaxPoolNd {
    constructor(kernelSize: number | number[], opts?: MaxPoolLayerOptions) {
      super(d, f, kernelSize, opts);
    }
  };
}
/** 2-d max pooling (`new MaxPool2d(2)`, `{ stride, padding, dilation, ceilMode }`). */
export class MaxPool2d extends maxPoolNd(2, maxPool2d) {}
/** 1-d max pooling over [N, C, L] inputs. */
export class MaxPool1d extends maxPoolNd(1, maxPool1d) {}

type AvgPoolFn = (x: Tensor, k: number | number[], o: AvgPoolOptions) => Tensor;
/** Average pooling over `d` spatial dims. */
class AvgPoolNd extends Module {
  readonly kernelSize: Size;
  readonly stride: Size;
  readonly padding: Size;
  readonly ceilMode: boolean;
  readonly countIncludePad: boolean;
  readonly divisorOverride: number | null;
  readonly #f: AvgPoolFn;
  constructor(d: number, f: AvgPoolFn, kernelSize: unknown, opts: unknown) {
    super();
    const fn = new.target.name,
      o = arg.options(opts, fn, [
        "stride",
        "padding",
        "ceilMode",
        "countIncludePad",
        "divisorOverride",
      ]);
    // AvgPool1d keeps PyTorch's _single() tuples
    const keep = (v: Size): Size => (d === 1 && typeof v === "number" ? [v] : v);
    this.kernelSize = keep(sizeArg(kernelSize, d, fn, "kernel_size"));
    this.stride = keep(
      o.stride === undefined || o.stride === null
        ? this.kernelSize
        : sizeArg(o.stride, d, fn, "stride"),
    );
    this.padding = keep(o.padding === undefined ? 0 : sizeArg(o.padding, d, fn, "padding"));
    this.ceilMode = o.ceilMode === undefined ? false : arg.bool(o.ceilMode, fn, "ceil_mode");
    this.countIncludePad =
      o.countIncludePad === undefined ? true : arg.bool(o.countIncludePad, fn, "count_include_pad");
    this.divisorOverride =
      o.divisorOverride === undefined || o.divisorOverride === null
        ? null
        : arg.int(o.divisorOverride, fn, "divisor_override");
    if (this.divisorOverride !== null && d === 1)
      throw new TypeError(`${fn}(): unknown option "divisorOverride" (AvgPool1d has none)`);
    this.#f = f;
  }
  forward(x: Tensor): Tensor {
    return this.#f(x, sizes(this.kernelSize), {
      stride: sizes(this.stride),
      padding: sizes(this.padding),
      ceilMode: this.ceilMode,
      countIncludePad: this.countIncludePad,
      ...(this.divisorOverride === null ? {} : { divisorOverride: this.divisorOverride }),
    });
  }
  override extraRepr(): string {
    return `kernel_size=${pyValue(this.kernelSize)}, stride=${pyValue(this.stride)}, padding=${pyValue(this.padding)}`;
  }
}
function avgPoolNd(
  d: number,
  f: AvgPoolFn,
): new (
  kernelSize: number | number[],
  opts?: AvgPoolOptions,
) => AvgPoolNd {
  return class extends AvgPoolNd {
    constructor(kernelSize: number | number[], opts?: AvgPoolOptions) {
      super(d, f, kernelSize, opts);
    }
  };
}
/** 2-d average pooling (`{ stride, padding, ceilMode, countIncludePad, divisorOverride }`). */
export class AvgPool2d extends avgPoolNd(2, avgPool2d) {}
/** 1-d average pooling over [N, C, L] inputs. */
export class AvgPool1d extends avgPoolNd(1, avgPool1d) {}

/** An adaptive pooling layer's output size: one int, or [OH, OW] with null keeping a size. */
export type OutputSize = number | readonly (number | null)[];
type AdaptiveFn = (x: Tensor, size: number | (number | null)[]) => Tensor;
/** Pooling to a fixed output size. */
class AdaptivePool extends Module {
  /** [OH, OW] (null keeps the input's size) or one int for both. */
  readonly outputSize: OutputSize;
  readonly #f: AdaptiveFn;
  constructor(f: AdaptiveFn, outputSize: unknown) {
    super();
    const fn = new.target.name;
    if (typeof outputSize === "number") this.outputSize = arg.int(outputSize, fn, "output_size");
    else if (Array.isArray(outputSize) && outputSize.length === 2)
      this.outputSize = Object.freeze(
        outputSize.map((v: unknown) => (v === null ? null : arg.int(v, fn, "output_size"))),
      );
    else
      throw new TypeError(
        `${fn}(): output_size must be an int or a list of 2 ints (or nulls), not ${arg.typeName(outputSize)}`,
      );
    this.#f = f;
  }
  forward(x: Tensor): Tensor {
    const s = this.outputSize;
    return this.#f(x, typeof s === "number" ? s : [...s]);
  }
  override extraRepr(): string {
    return `output_size=${pyValue(this.outputSize)}`;
  }
}
function adaptive(f: AdaptiveFn): new (outputSize: number | (number | null)[]) => AdaptivePool {
  return class extends AdaptivePool {
    constructor(outputSize: number | (number | null)[]) {
      super(f, outputSize);
    }
  };
}
/** Average pooling to a fixed output size. */
export class AdaptiveAvgPool2d extends adaptive(adaptiveAvgPool2d) {}
/** Max pooling to a fixed output size. */
export class AdaptiveMaxPool2d extends adaptive(adaptiveMaxPool2d) {}
