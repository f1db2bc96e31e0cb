// Linear layers: Linear (initialized exactly as PyTorch's, draw for draw) and Identity.
import type { DType } from "../../ir/dtype";
import * as arg from "../../runtime/args";
import { empty } from "../../runtime/dispatch";
import type { Tensor } from "../../runtime/tensor";
import { linear } from "../functional/linear";
import { fans, kaimingUniform_, uniform_ } from "../init";
import { Module, parameter } from "../module";

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

/** Returns its input (a placeholder, as PyTorch's nn.Identity; constructor arguments are ignored there, refused here). */
export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return arg.tensorArg(x, "Identity.forward", "input");
  }
}
