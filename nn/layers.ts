// Layers: Linear (initialized exactly as PyTorch's, draw for draw), activations, Dropout, Sequential.

import type { DType } from "../ir/dtype";
import { empty } from "../runtime/dispatch";
import type { Tensor } from "../runtime/tensor";
import { dropout, type GeluOptions, gelu, linear } from "./functional";
import { fans, kaimingUniform_, uniform_ } from "./init";
import { Module, parameter } from "./module";

/** Options of `Linear`: whether it has a bias (default true) and its dtype. */
export interface LinearOptions {
  bias?: boolean;
  dtype?: DType;
}

/**
 * y = x W^T + b with weight [out, in] and bias [out]. Initialized as torch.nn.Linear:
 * kaiming_uniform_(weight, a=sqrt(5)), i.e. U(-1/sqrt(in), 1/sqrt(in)), then bias from
 * U(-1/sqrt(in), 1/sqrt(in)); after manualSeed(s) the values equal torch.manual_seed(s)'s.
 */
export class Linear extends Module {
  weight: Tensor;
  bias: Tensor | null;
  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    { bias = true, dtype = "float32" }: LinearOptions = {},
  ) {
    super();
    for (const n of [inFeatures, outFeatures]) {
      if (!Number.isInteger(n) || n < 0)
        throw new Error(
          `Trying to create tensor with negative dimension ${n}: [${outFeatures}, ${inFeatures}]`,
        );
    }
    this.weight = parameter(empty([outFeatures, inFeatures], dtype));
    this.bias = bias ? parameter(empty([outFeatures], dtype)) : null;
    this.resetParameters();
  }
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
    return x.relu();
  }
}
/** tanh, elementwise. */
export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return x.tanh();
  }
}
/** The logistic function, elementwise. */
export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return x.sigmoid();
  }
}
/** Returns its input. */
export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }
}

/**
 * GELU, exact (erf) by default as PyTorch's nn.GELU(); `{ approximate: "tanh" }` for the tanh form.
 */
export class GELU extends Module {
  readonly approximate: "none" | "tanh";
  constructor({ approximate = "none" }: GeluOptions = {}) {
    super();
    if (approximate !== "none" && approximate !== "tanh")
      throw new Error("approximate argument must be either none or tanh.");
    this.approximate = approximate;
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
  constructor(readonly p = 0.5) {
    super();
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
      if (!(m instanceof Module)) throw new TypeError(`${m} is not a Module subclass`);
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
