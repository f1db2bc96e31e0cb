// Convolution layers: Conv1d/2d/3d, ConvTranspose1d/2d/3d, with PyTorch's checks, default
// initialization (kaiming_uniform_ with a = sqrt(5), bias from U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
// draw for draw) and printing.
import type { DType } from "../../ir/dtype";
import * as arg from "../../runtime/args";
import { empty } from "../../runtime/dispatch";
import type { Tensor } from "../../runtime/tensor";
import {
  type ConvTransposeOptions,
  conv1d,
  conv2d,
  conv3d,
  convTranspose1d,
  convTranspose2d,
  convTranspose3d,
  tuple,
} from "../functional/conv";
import { pad } from "../functional/resample";
import { fans, kaimingUniform_, uniform_ } from "../init";
import { Module, parameter } from "../module";
import { pyTuple } from "./repr";

const PADDING_MODES = ["zeros", "reflect", "replicate", "circular"] as const;
type PaddingMode = (typeof PADDING_MODES)[number];

/** Options of `Conv1d`, `Conv2d` and `Conv3d` (an int applies to every spatial dim). */
export interface ConvLayerOptions {
  /** Default 1. */
  stride?: number | number[];
  /** Zeros (or `paddingMode` values) on both sides of each spatial dim, or "same"/"valid". Default 0. */
  padding?: number | number[] | "same" | "valid";
  /** Default 1. */
  dilation?: number | number[];
  /** Default 1. */
  groups?: number;
  /** Whether the layer has a bias. Default true. */
  bias?: boolean;
  /** How the input is padded: "zeros" (default), "reflect", "replicate" or "circular". */
  paddingMode?: PaddingMode;
  /** The parameters' dtype. Default float32. */
  dtype?: DType;
}
/** Options of `ConvTranspose1d/2d/3d`. */
export interface ConvTransposeLayerOptions {
  stride?: number | number[];
  padding?: number | number[];
  /** Extra size added to one side of each output dim. Default 0. */
  outputPadding?: number | number[];
  groups?: number;
  bias?: boolean;
  dilation?: number | number[];
  /** Only "zeros". */
  paddingMode?: "zeros";
  dtype?: DType;
}

function paddingModeOf(v: unknown, fn: string): PaddingMode {
  if (v === undefined) return "zeros";
  if (typeof v !== "string")
    throw new TypeError(`${fn}(): padding_mode must be a string, not ${arg.typeName(v)}`);
  for (const m of PADDING_MODES) if (v === m) return m;
  throw new Error(
    `padding_mode must be one of {'zeros', 'reflect', 'replicate', 'circular'}, but got padding_mode='${v}'`,
  );
}

// the settings shared by every convolution layer, checked in PyTorch's _ConvNd order
function convSettings(
  fn: string,
  d: number,
  inChannels: unknown,
  outChannels: unknown,
  kernelSize: unknown,
  o: Record<string, unknown>,
) {
  const inC = arg.int(inChannels, fn, "in_channels", 1),
    outC = arg.int(outChannels, fn, "out_channels", 2),
    kernel = tuple(kernelSize, d, fn, "kernel_size", 1),
    stride = tuple(o.stride, d, fn, "stride", 1),
    dilation = tuple(o.dilation, d, fn, "dilation", 1),
    groups = o.groups === undefined ? 1 : arg.int(o.groups, fn, "groups"),
    bias = o.bias === undefined ? true : arg.bool(o.bias, fn, "bias"),
    paddingMode = paddingModeOf(o.paddingMode, fn),
    dtype = arg.dtype(o.dtype, fn) ?? "float32";
  if (inC < 0 || outC < 0 || kernel.some((k) => k < 0))
    throw new Error(`${fn}(): in_channels, out_channels and kernel_size must not be negative`);
  if (groups <= 0) throw new Error("groups must be a positive integer");
  if (inC % groups !== 0) throw new Error("in_channels must be divisible by groups");
  if (outC % groups !== 0) throw new Error("out_channels must be divisible by groups");
  return { inC, outC, kernel, stride, dilation, groups, bias, paddingMode, dtype };
}

/** The parameters and printing shared by the convolution layers. */
abstract class ConvBase extends Module {
  /** [out, in / groups, ...kernel] ([in, out / groups, ...kernel] for transposed convolutions). */
  weight: Tensor;
  /** [out], or null. */
  bias: Tensor | null;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: readonly number[];
  readonly stride: readonly number[];
  readonly padding: readonly number[] | "same" | "valid";
  readonly dilation: readonly number[];
  readonly outputPadding: readonly number[];
  readonly groups: number;
  readonly paddingMode: PaddingMode;
  constructor(
    s: ReturnType<typeof convSettings>,
    padding: number[] | "same" | "valid",
    outputPadding: number[],
    transposed: boolean,
  ) {
    super();
    this.inChannels = s.inC;
    this.outChannels = s.outC;
    this.kernelSize = Object.freeze(s.kernel);
    this.stride = Object.freeze(s.stride);
    this.padding = typeof padding === "string" ? padding : Object.freeze(padding);
    this.dilation = Object.freeze(s.dilation);
    this.outputPadding = Object.freeze(outputPadding);
    this.groups = s.groups;
    this.paddingMode = s.paddingMode;
    const channels = transposed ? [s.inC, s.outC / s.groups] : [s.outC, s.inC / s.groups];
    this.weight = parameter(empty([...channels, ...s.kernel], s.dtype));
    this.bias = s.bias ? parameter(empty([s.outC], s.dtype)) : null;
    this.resetParameters();
  }
  /** Draws the weight and bias again, as the constructor does (PyTorch's reset_parameters). */
  resetParameters(): void {
    if (this.weight.numel() === 0) return; // PyTorch: "Initializing zero-element tensors is a no-op"
    kaimingUniform_(this.weight, Math.sqrt(5));
    const fanIn = fans(this.weight)[0];
    if (this.bias && fanIn !== 0) uniform_(this.bias, -1 / Math.sqrt(fanIn), 1 / Math.sqrt(fanIn));
  }
  override extraRepr(): string {
    const zeros = (xs: readonly number[], v: number) => xs.every((x) => x === v);
    let s = `${this.inChannels}, ${this.outChannels}, kernel_size=${pyTuple(this.kernelSize)}, stride=${pyTuple(this.stride)}`;
    const p = this.padding;
    if (typeof p === "string" || !zeros(p, 0))
      s += `, padding=${typeof p === "string" ? p : pyTuple(p)}`;
    if (!zeros(this.dilation, 1)) s += `, dilation=${pyTuple(this.dilation)}`;
    if (!zeros(this.outputPadding, 0)) s += `, output_padding=${pyTuple(this.outputPadding)}`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (!this.bias) s += ", bias=False";
    if (this.paddingMode !== "zeros") s += `, padding_mode=${this.paddingMode}`;
    return s;
  }
}

const CONV_KEYS = [
  "stride",
  "padding",
  "dilation",
  "groups",
  "bias",
  "paddingMode",
  "dtype",
] as const;

type ConvFn = (x: Tensor, w: Tensor, b: Tensor | null, o: object) => Tensor;
/** Convolution over `d` spatial dims: F.conv1d/2d/3d, after F.pad for a non-zero paddingMode. */
class ConvNd extends ConvBase {
  readonly #f: ConvFn;
  constructor(
    d: number,
    f: ConvFn,
    inChannels: unknown,
    outChannels: unknown,
    kernelSize: unknown,
    opts: unknown,
  ) {
    const fn = new.target.name,
      o = arg.options(opts, fn, CONV_KEYS);
    const s = convSettings(fn, d, inChannels, outChannels, kernelSize, o);
    let padding: number[] | "same" | "valid";
    if (typeof o.padding === "string") {
      if (o.padding !== "same" && o.padding !== "valid")
        throw new Error(
          `Invalid padding string '${o.padding}', should be one of {'valid', 'same'}`,
        );
      if (o.padding === "same" && s.stride.some((x) => x !== 1))
        throw new Error("padding='same' is not supported for strided convolutions");
      padding = o.padding;
    } else padding = tuple(o.padding, d, fn, "padding", 0);
    super(s, padding, new Array<number>(d).fill(0), false);
    this.#f = f;
  }
  // PyTorch's _reversed_padding_repeated_twice: F.pad's (before, after) pairs, last dim first
  #padPairs(): number[] {
    const p = this.padding;
    return this.kernelSize
      .map((k, i) => {
        if (p === "valid") return [0, 0];
        if (p !== "same") return [p[i], p[i]];
        const total = this.dilation[i] * (k - 1),
          left = Math.floor(total / 2);
        return [left, total - left];
      })
      .reverse()
      .flat();
  }
  forward(x: Tensor): Tensor {
    const opts = { stride: [...this.stride], dilation: [...this.dilation], groups: this.groups };
    if (this.paddingMode === "zeros")
      return this.#f(x, this.weight, this.bias, {
        ...opts,
        padding: typeof this.padding === "string" ? this.padding : [...this.padding],
      });
    const padded = pad(x, this.#padPairs(), { mode: this.paddingMode });
    return this.#f(padded, this.weight, this.bias, { ...opts, padding: 0 });
  }
}
// (a subclass binding d and f: declaration files can name ConvNd, not an anonymous class)
function convNd(
  d: number,
  f: ConvFn,
): new (
  inChannels: number,
  outChannels: number,
  kernelSize: number | number[],
  opts?: ConvLayerOptions,
) => ConvNd {
  return class extends ConvNd {
    constructor(
      inChannels: number,
      outChannels: number,
      kernelSize: number | number[],
      opts?: ConvLayerOptions,
    ) {
      super(d, f, inChannels, outChannels, kernelSize, opts);
    }
  };
}

/** 1-d convolution over [N, C, L] (or [C, L]) inputs. */
export class Conv1d extends convNd(1, conv1d) {}
/** 2-d convolution over [N, C, H, W] (or [C, H, W]) inputs. */
export class Conv2d extends convNd(2, conv2d) {}
/** 3-d convolution over [N, C, D, H, W] (or [C, D, H, W]) inputs. */
export class Conv3d extends convNd(3, conv3d) {}

type ConvTransposeFn = (x: Tensor, w: Tensor, b: Tensor | null, o: ConvTransposeOptions) => Tensor;
/** Transposed convolution over `d` spatial dims (F.convTranspose1d/2d/3d). */
class ConvTransposeNd extends ConvBase {
  readonly #f: ConvTransposeFn;
  constructor(
    d: number,
    f: ConvTransposeFn,
    inChannels: unknown,
    outChannels: unknown,
    kernelSize: unknown,
    opts: unknown,
  ) {
    const fn = new.target.name,
      o = arg.options(opts, fn, [...CONV_KEYS, "outputPadding"]);
    const s = convSettings(fn, d, inChannels, outChannels, kernelSize, o);
    if (s.paddingMode !== "zeros")
      throw new Error(`Only "zeros" padding mode is supported for ${fn}`);
    if (typeof o.padding === "string")
      throw new TypeError(`${fn}(): padding must be an int or a list of ${d} ints, not a string`);
    super(
      s,
      tuple(o.padding, d, fn, "padding", 0),
      tuple(o.outputPadding, d, fn, "output_padding", 0),
      true,
    );
    this.#f = f;
  }
  forward(x: Tensor): Tensor {
    return this.#f(x, this.weight, this.bias, {
      stride: [...this.stride],
      padding: [...(this.padding as readonly number[])],
      outputPadding: [...this.outputPadding],
      groups: this.groups,
      dilation: [...this.dilation],
    });
  }
}
function convTransposeNd(
  d: number,
  f: ConvTransposeFn,
): new (
  inChannels: number,
  outChannels: number,
  kernelSize: number | number[],
  opts?: ConvTransposeLayerOptions,
) => ConvTransposeNd {
  return class extends ConvTransposeNd {
    constructor(
      inChannels: number,
      outChannels: number,
      kernelSize: number | number[],
      opts?: ConvTransposeLayerOptions,
    ) {
      super(d, f, inChannels, outChannels, kernelSize, opts);
    }
  };
}
/** 2-d transposed convolution (the input gradient of a Conv2d) over [N, C, H, W] inputs. */
export class ConvTranspose2d extends convTransposeNd(2, convTranspose2d) {}
/** 1-d transposed convolution over [N, C, L] inputs. */
export class ConvTranspose1d extends convTransposeNd(1, convTranspose1d) {}
/** 3-d transposed convolution over [N, C, D, H, W] inputs. */
export class ConvTranspose3d extends convTransposeNd(3, convTranspose3d) {}
