// Activation modules: each applies its F function with the settings given to its constructor
// (checked there, once). Most are one line: a named class over a small factory that stores the
// settings, forwards them and prints them as PyTorch's extra_repr does.
import type { DType } from "../../ir/dtype";
import * as arg from "../../runtime/args";
import { full } from "../../runtime/create";
import type { Tensor } from "../../runtime/tensor";
import {
  celu,
  elu,
  type GeluOptions,
  gelu,
  glu,
  hardsigmoid,
  hardswish,
  hardtanh,
  leakyRelu,
  logSoftmax,
  logsigmoid,
  mish,
  prelu,
  relu,
  relu6,
  selu,
  sigmoid,
  silu,
  softmax,
  softmin,
  softplus,
  softsign,
  tanh,
  tanhshrink,
} from "../functional/activations";
import { Module, parameter } from "../module";
import { pyFloat, pyNumber } from "./repr";

// the input of a module's forward, checked in the module's name
const input = (m: Module, x: unknown): Tensor =>
  arg.tensorArg(x, `${m.constructor.name}.forward`, "input");

// Each factory below returns a subclass of a named base class that binds the function and its
// settings; the public classes extend those (declaration files can name a named base, not an
// anonymous class).

/** A module that applies a function to its input and has no settings. */
class Pointwise extends Module {
  readonly #f: (x: Tensor) => Tensor;
  constructor(f: (x: Tensor) => Tensor) {
    super();
    this.#f = f;
  }
  forward(x: Tensor): Tensor {
    return this.#f(input(this, x));
  }
}
function pointwise(f: (x: Tensor) => Tensor): new () => Pointwise {
  return class extends Pointwise {
    constructor() {
      super(f);
    }
  };
}

// One numeric setting: its name in Python (for printing), its default, and whether PyTorch's
// default is an int (printed as 20) or a float (printed as 1.0)
type Setting = [py: string, dflt: number, int?: "int"];
/**
 * A module with numeric settings (an options object, the keys of its function's options): each
 * becomes a read-only property of the module (PyTorch's attributes, camelCased).
 */
class WithSettings extends Module {
  readonly #f: (x: Tensor, o: Record<string, number>) => Tensor;
  readonly #settings: Record<string, Setting>;
  readonly #options: Record<string, number> = Object.create(null);
  constructor(
    f: (x: Tensor, o: Record<string, number>) => Tensor,
    settings: Record<string, Setting>,
    opts: unknown,
  ) {
    super();
    const name = new.target.name,
      keys = Object.keys(settings),
      o = arg.options(opts, name, keys);
    for (const k of keys) {
      const v = o[k] === undefined ? settings[k][1] : arg.number(o[k], name, k);
      this.#options[k] = v;
      Object.defineProperty(this, k, { value: v, enumerable: false });
    }
    this.#f = f;
    this.#settings = settings;
  }
  forward(x: Tensor): Tensor {
    return this.#f(input(this, x), { ...this.#options });
  }
  override extraRepr(): string {
    return Object.entries(this.#settings)
      .map(([k, [py, , int]]) => {
        const v = this.#options[k];
        return `${py}=${int ? pyNumber(v) : pyFloat(v)}`;
      })
      .join(", ");
  }
}
function withSettings<O extends object>(
  f: (x: Tensor, o?: O) => Tensor,
  settings: { [K in keyof O]-?: Setting },
): new (
  opts?: O,
) => WithSettings & { readonly [K in keyof O]-?: number } {
  const g = f as unknown as (x: Tensor, o: Record<string, number>) => Tensor;
  return class extends WithSettings {
    constructor(opts?: O) {
      super(g, settings as Record<string, Setting>, opts);
    }
  } as never;
}

/** A module applying a function over one dim (softmax and relatives). */
class OverDim extends Module {
  /** The dim the function works along. */
  readonly dim: number;
  readonly #f: (x: Tensor, dim: number) => Tensor;
  constructor(f: (x: Tensor, dim: number) => Tensor, dim: unknown, dflt: number | undefined) {
    super();
    const name = new.target.name;
    if (dim === undefined && dflt === undefined)
      throw new TypeError(
        `${name}(): the dim argument is required (PyTorch's implicit dim choice is deprecated); pass the dim to normalize over, e.g. -1 for the last`,
      );
    this.dim = arg.int(dim ?? dflt, name, "dim", 1);
    this.#f = f;
  }
  forward(x: Tensor): Tensor {
    return this.#f(input(this, x), this.dim);
  }
  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}
function overDim(
  f: (x: Tensor, dim: number) => Tensor,
  dflt?: number,
): new (
  dim?: number,
) => OverDim {
  return class extends OverDim {
    constructor(dim?: number) {
      super(f, dim, dflt);
    }
  };
}

/** max(x, 0), elementwise. */
export class ReLU extends pointwise(relu) {}
/** min(max(x, 0), 6). */
export class ReLU6 extends pointwise(relu6) {}
/** tanh, elementwise. */
export class Tanh extends pointwise(tanh) {}
/** The logistic function, elementwise. */
export class Sigmoid extends pointwise(sigmoid) {}
/** scale * elu(x, alpha) with SELU's constants. */
export class SELU extends pointwise(selu) {}
/** x * sigmoid(x). */
export class SiLU extends pointwise(silu) {}
/** x * tanh(softplus(x)). */
export class Mish extends pointwise(mish) {}
/** relu6(x + 3) / 6. */
export class Hardsigmoid extends pointwise(hardsigmoid) {}
/** x * relu6(x + 3) / 6. */
export class Hardswish extends pointwise(hardswish) {}
/** log(sigmoid(x)). */
export class LogSigmoid extends pointwise(logsigmoid) {}
/** x / (1 + |x|). */
export class Softsign extends pointwise(softsign) {}
/** x - tanh(x). */
export class Tanhshrink extends pointwise(tanhshrink) {}

/** x for x > 0, negativeSlope * x elsewhere (`{ negativeSlope: 0.01 }`). */
export class LeakyReLU extends withSettings(leakyRelu, {
  negativeSlope: ["negative_slope", 0.01],
}) {}
/** x for x > 0, alpha (exp(x) - 1) elsewhere (`{ alpha: 1 }`). */
export class ELU extends withSettings(elu, { alpha: ["alpha", 1] }) {}
/** max(0, x) + min(0, alpha (exp(x / alpha) - 1)) (`{ alpha: 1 }`). */
export class CELU extends withSettings(celu, { alpha: ["alpha", 1] }) {}
/** log(1 + exp(beta x)) / beta, linear above `threshold` (`{ beta: 1, threshold: 20 }`). */
export class Softplus extends withSettings(softplus, {
  beta: ["beta", 1, "int"],
  threshold: ["threshold", 20, "int"],
}) {}
/** x clamped to [minVal, maxVal] (`{ minVal: -1, maxVal: 1 }`). */
export class Hardtanh extends withSettings(hardtanh, {
  minVal: ["min_val", -1],
  maxVal: ["max_val", 1],
}) {
  constructor(opts?: { minVal?: number; maxVal?: number }) {
    super(opts);
    if (!(this.maxVal > this.minVal))
      throw new Error(
        `Hardtanh(): maxVal must be greater than minVal, got minVal=${this.minVal}, maxVal=${this.maxVal}`,
      );
  }
}

/** Softmax over `dim` (required). */
export class Softmax extends overDim(softmax) {}
/** Softmax of -x over `dim` (required). */
export class Softmin extends overDim(softmin) {}
/** Log-softmax over `dim` (required). */
export class LogSoftmax extends overDim(logSoftmax) {}
/** The gated linear unit over `dim` (default -1). */
export class GLU extends overDim(glu, -1) {}

/** GELU, exact (erf) by default; `{ approximate: "tanh" }` for the tanh form. */
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

/** Options of `PReLU`. */
export interface PReLUOptions {
  /** 1 (one slope shared by all channels, the default) or the number of channels. */
  numParameters?: number;
  /** The slopes' initial value. Default 0.25. */
  init?: number;
  /** The parameter's dtype. Default float32. */
  dtype?: DType;
}
/** max(0, x) + weight * min(0, x) with a learnt slope, shared or one per channel (dim 1). */
export class PReLU extends Module {
  /** The slopes, [numParameters]. */
  weight: Tensor;
  readonly numParameters: number;
  constructor(opts?: PReLUOptions) {
    super();
    const o = arg.options(opts, "PReLU", ["numParameters", "init", "dtype"]);
    const n =
      o.numParameters === undefined ? 1 : arg.int(o.numParameters, "PReLU", "numParameters");
    if (n < 1) throw new Error(`PReLU(): numParameters must be at least 1, got ${n}`);
    const init = o.init === undefined ? 0.25 : arg.number(o.init, "PReLU", "init");
    this.numParameters = n;
    this.weight = parameter(full([n], init, { dtype: arg.dtype(o.dtype, "PReLU") ?? "float32" }));
  }
  forward(x: Tensor): Tensor {
    return prelu(x, this.weight);
  }
  override extraRepr() {
    return `num_parameters=${this.numParameters}`;
  }
}
