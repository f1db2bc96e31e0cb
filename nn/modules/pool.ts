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
  avgPool3d,
  type MaxPoolOptions,
  type MaxUnpoolOptions,
  maxPool1d,
  maxPool2d,
  maxPool3d,
  maxUnpool1d,
  maxUnpool2d,
  maxUnpool3d,
} from "../functional/pool";
import { Module } from "../module";
import { pyTuple, pyValue } from "./repr";

/** A size as given to a pooling layer: one int or one per spatial dim. */
export type Size = number | readonly number[];
// an int or a list of d ints (copied, frozen), checked as the functional form checks it
function sizeArg(v: unknown, d: number, fn: string, name: string): Size {
  tuple(v, d, fn, name, 0);
  return typeof v === "number" ? v : Object.freeze(arg.intList(v, fn, name));
}
const sizes = (v: Size) => (typeof v === "number" ? v : [...v]);

type MaxPoolFn = (x: Tensor, k: number | number[], o: MaxPoolOptions) => Tensor | [Tensor, Tensor];
/** What a max pooling layer's forward returns: `[output, indices]` with returnIndices. */
export type Pooled<R extends boolean> = R extends true ? [Tensor, Tensor] : Tensor;
/** Options of the max pooling layers: `returnIndices: true` makes forward return `[output, indices]`. */
export type MaxPoolLayerOptions<R extends boolean = false> = Omit<
  MaxPoolOptions,
  "returnIndices"
> & {
  returnIndices?: R;
};
/** Max pooling over `d` spatial dims. */
class MaxPoolNd<R extends boolean = false> extends Module<Pooled<R>> {
  readonly kernelSize: Size;
  readonly stride: Size;
  readonly padding: Size;
  readonly dilation: Size;
  readonly ceilMode: boolean;
  readonly returnIndices: R;
  readonly #f: MaxPoolFn;
  constructor(d: number, f: MaxPoolFn, kernelSize: unknown, opts: unknown) {
    super();
    const fn = new.target.name,
      o = arg.options(opts, fn, ["stride", "padding", "dilation", "ceilMode", "returnIndices"]);
    this.kernelSize = sizeArg(kernelSize, d, fn, "kernel_size");
    this.stride =
      o.stride === undefined || o.stride === null
        ? this.kernelSize
        : sizeArg(o.stride, d, fn, "stride");
    this.padding = o.padding === undefined ? 0 : sizeArg(o.padding, d, fn, "padding");
    this.dilation = o.dilation === undefined ? 1 : sizeArg(o.dilation, d, fn, "dilation");
    this.ceilMode = o.ceilMode === undefined ? false : arg.bool(o.ceilMode, fn, "ceil_mode");
    this.returnIndices = (
      o.returnIndices === undefined ? false : arg.bool(o.returnIndices, fn, "return_indices")
    ) as R;
    this.#f = f;
  }
  forward(x: Tensor): Pooled<R> {
    return this.#f(x, sizes(this.kernelSize), {
      stride: sizes(this.stride),
      padding: sizes(this.padding),
      dilation: sizes(this.dilation),
      ceilMode: this.ceilMode,
      returnIndices: this.returnIndices,
    }) as Pooled<R>;
  }
  // (PyTorch prints no return_indices)
  override extraRepr(): string {
    return `kernel_size=${pyValue(this.kernelSize)}, stride=${pyValue(this.stride)}, padding=${pyValue(this.padding)}, dilation=${pyValue(this.dilation)}, ceil_mode=${pyValue(this.ceilMode)}`;
  }
}
// (each factory binds a named class's arguments: declaration files can name it, not an anonymous one)
function maxPoolNd(
  d: number,
  f: MaxPoolFn,
): new <R extends boolean = false>(
  kernelSize: number | number[],
  opts?: MaxPoolLayerOptions<R>,
) => MaxPoolNd<R> {
  return class<R extends boolean = false> extends MaxPoolNd<R> {
    constructor(kernelSize: number | number[], opts?: MaxPoolLayerOptions<R>) {
      super(d, f, kernelSize, opts);
    }
  };
}
const MaxPool1dBase = maxPoolNd(1, maxPool1d),
  MaxPool2dBase = maxPoolNd(2, maxPool2d),
  MaxPool3dBase = maxPoolNd(3, maxPool3d);
/**
 * 2-d max pooling (`new MaxPool2d(2)`, `{ stride, padding, dilation, ceilMode, returnIndices }`);
 * with `returnIndices: true` forward returns `[output, indices]`, the indices MaxUnpool2d takes.
 */
export class MaxPool2d<R extends boolean = false> extends MaxPool2dBase<R> {}
/** 1-d max pooling over [N, C, L] inputs. */
export class MaxPool1d<R extends boolean = false> extends MaxPool1dBase<R> {}
/** 3-d max pooling over [N, C, D, H, W] inputs. */
export class MaxPool3d<R extends boolean = false> extends MaxPool3dBase<R> {}

type MaxUnpoolFn = (
  x: Tensor,
  indices: Tensor,
  k: number | number[],
  o: MaxUnpoolOptions,
) => Tensor;
/** The inverse of max pooling over `d` spatial dims, given the pooling's indices. */
class MaxUnpoolNd extends Module {
  // tuples, as PyTorch's _pair/_triple make them
  readonly kernelSize: readonly number[];
  readonly stride: readonly number[];
  readonly padding: readonly number[];
  readonly #f: MaxUnpoolFn;
  constructor(d: number, f: MaxUnpoolFn, kernelSize: unknown, opts: unknown) {
    super();
    const fn = new.target.name,
      o = arg.options(opts, fn, ["stride", "padding"]);
    this.kernelSize = Object.freeze(tuple(kernelSize, d, fn, "kernel_size", 1));
    this.stride =
      o.stride === undefined || o.stride === null
        ? this.kernelSize
        : Object.freeze(tuple(o.stride, d, fn, "stride", 1));
    this.padding = Object.freeze(tuple(o.padding, d, fn, "padding", 0));
    this.#f = f;
  }
  /** `outputSize` ([...S] or [N, C, ...S]) picks among the sizes the pooling could have come from. */
  forward(x: Tensor, indices: Tensor, outputSize?: number[]): Tensor {
    return this.#f(x, indices, [...this.kernelSize], {
      stride: [...this.stride],
      padding: [...this.padding],
      ...(outputSize === undefined ? {} : { outputSize }),
    });
  }
  override extraRepr(): string {
    return `kernel_size=${pyTuple(this.kernelSize)}, stride=${pyTuple(this.stride)}, padding=${pyTuple(this.padding)}`;
  }
}
function maxUnpoolNd(
  d: number,
  f: MaxUnpoolFn,
): new (
  kernelSize: number | number[],
  opts?: Omit<MaxUnpoolOptions, "outputSize">,
) => MaxUnpoolNd {
  return class extends MaxUnpoolNd {
    constructor(kernelSize: number | number[], opts?: Omit<MaxUnpoolOptions, "outputSize">) {
      super(d, f, kernelSize, opts);
    }
  };
}
/** The inverse of MaxPool2d: forward(input, indices, outputSize?), zeros elsewhere. */
export class MaxUnpool2d extends maxUnpoolNd(2, maxUnpool2d) {}
/** The inverse of MaxPool1d over [N, C, L] inputs. */
export class MaxUnpool1d extends maxUnpoolNd(1, maxUnpool1d) {}
/** The inverse of MaxPool3d over [N, C, D, H, W] inputs. */
export class MaxUnpool3d extends maxUnpoolNd(3, maxUnpool3d) {}

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
/** 3-d average pooling over [N, C, D, H, W] inputs. */
export class AvgPool3d extends avgPoolNd(3, avgPool3d) {}

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
