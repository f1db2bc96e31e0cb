// Layers: Linear (initialized exactly as PyTorch's, draw for draw), activations, Dropout, Sequential.

import type { DType } from "../ir/dtype";
import * as arg from "../runtime/args";
import { empty } from "../runtime/dispatch";
import type { Tensor } from "../runtime/tensor";
import { dropout, type GeluOptions, gelu, linear } from "./functional";
import { fans, kaimingUniform_, uniform_ } from "./init";
import { Module, parameter } from "./module";

/** Options of `Linear`: whether it has a bias (default true) and its dtype. */
export interface LinearOptions {
  /** Whether the layer has a bias. Default true. */
  bias?: boolean;
  /** The parameters' dtype. Default float32. */
  dtype?: DType;
}

/**
 * y = x W^T + b with weight [out, in] and bias [out]. Initialized as torch.nn.Linear:
 * kaiming_uniform_(weight, a=sqrt(5)), i.e. U(-1/sqrt(in), 1/sqrt(in)), then bias from
 * U(-1/sqrt(in), 1/sqrt(in)); after manualSeed(s) the values equal torch.manual_seed(s)'s.
 */
export class Linear extends Module {
  /** The weight, [outFeatures, inFeatures]. */
  weight: Tensor;
  /** The bias, [outFeatures], or null. */
  bias: Tensor | null;
  readonly inFeatures: number;
  readonly outFeatures: number;
  constructor(inFeatures: number, outFeatures: number, opts?: LinearOptions) {
    super();
    const shape = arg.size([outFeatures, inFeatures], "Linear", "in_features/out_features");
    [this.outFeatures, this.inFeatures] = shape;
    const o = arg.options(opts, "Linear", ["bias", "dtype"]);
    const bias = o.bias === undefined ? true : arg.bool(o.bias, "Linear", "bias"),
      dtype = arg.dtype(o.dtype, "Linear") ?? "float32";
    this.weight = parameter(empty(shape, dtype));
    this.bias = bias ? parameter(empty([shape[0]], dtype)) : null;
    this.resetParameters();
  }
  /** Draws the weight and bias again, as the constructor does (and PyTorch's reset_parameters). */
  resetParameters(): void {
    if (this.weight.numel() === 0) return; // PyTorch: "Initializing zero-element tensors is a no-op"
    kaimingUniform_(this.weight, Math.sqrt(5));
    if (this.bias) {
      const fanIn = fans(this.weight)[0],
        bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
      uniform_(this.bias, -bound, bound);
    }
  }
  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }
  override extraRepr() {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${this.bias ? "True" : "False"}`;
  }
}

/** max(x, 0), elementwise. */
export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return arg.tensorArg(x, "ReLU.forward", "input").relu();
  }
}
/** tanh, elementwise. */
export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return arg.tensorArg(x, "Tanh.forward", "input").tanh();
  }
}
/** The logistic function, elementwise. */
export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return arg.tensorArg(x, "Sigmoid.forward", "input").sigmoid();
  }
}
/** Returns its input. */
export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return arg.tensorArg(x, "Identity.forward", "input");
  }
}

/**
 * GELU, exact (erf) by default as PyTorch's nn.GELU(); `{ approximate: "tanh" }` for the tanh form.
 */
export class GELU extends Module {
  readonly approximate: "none" | "tanh";
  constructor(opts?: GeluOptions) {
    super();
    const a = arg.options(opts, "GELU", ["approximate"]).approximate;
    if (a !== undefined && a !== "none" && a !== "tanh")
      throw new Error("approximate argument must be either none or tanh.");
    this.approximate = a ?? "none";
  }
  forward(x: Tensor): Tensor {
    return gelu(x, { approximate: this.approximate });
  }
  override extraRepr() {
    return `approximate='${this.approximate}'`;
  }
}

/**
 * Zeroes each element with probability p while training (scaling the rest by 1/(1-p)); identity in
 * eval mode.
 */
export class Dropout extends Module {
  readonly p: number;
  constructor(pArg = 0.5) {
    super();
    const p = arg.number(pArg, "Dropout", "p", 1);
    this.p = p;
    if (!(p >= 0 && p <= 1))
      throw new Error(`dropout probability has to be between 0 and 1, but got ${p}`);
  }
  forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.training);
  }
  override extraRepr() {
    return `p=${Number.isInteger(this.p) ? this.p.toFixed(1) : this.p}, inplace=False`;
  }
}

/** Modules applied in order; children are named "0", "1", ... as in PyTorch. */
export class Sequential extends Module {
  [index: number]: Module;
  declare readonly length: number;
  constructor(...modules: Module[]) {
    super();
    modules.forEach((m, i) => {
      if (!(m instanceof Module))
        throw new TypeError(`Sequential(): argument ${i} is not a Module (got ${arg.typeName(m)})`);
      this[i] = m;
    });
    Object.defineProperty(this, "length", { value: modules.length, enumerable: false });
  }
  forward(x: Tensor): Tensor {
    for (const m of this.children()) x = m.forward(x);
    return x;
  }
  *[Symbol.iterator](): Iterator<Module> {
    yield* this.children();
  }
}
