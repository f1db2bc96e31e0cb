// Normalization layers: BatchNorm1d/2d (running statistics as buffers, momentum, affine,
// trackRunningStats, numBatchesTracked), LayerNorm, GroupNorm, InstanceNorm1d/2d. Weights start at
// one and biases at zero, as PyTorch's.
import type { DType } from "../../ir/dtype";
import * as arg from "../../runtime/args";
import { noGrad } from "../../runtime/autograd";
import { ones, tensor, zeros } from "../../runtime/create";
import { activeTrace } from "../../runtime/dispatch";
import { CompileError } from "../../runtime/errors";
import type { Tensor } from "../../runtime/tensor";
import { batchNorm, groupNorm, instanceNorm, layerNorm } from "../functional/norm";
import { buffer, Module, parameter } from "../module";
import { pyFloat, pyTuple, pyValue } from "./repr";

/** Options of the batch and instance normalization layers. */
export interface BatchNormOptions {
  /** Added to the variance. Default 1e-5. */
  eps?: number;
  /** The running statistics' update factor; null: a cumulative average. Default 0.1. */
  momentum?: number | null;
  /** Learnt per-channel weight and bias. Default true (false for instance norms). */
  affine?: boolean;
  /** Keep running statistics (used in eval mode). Default true (false for instance norms). */
  trackRunningStats?: boolean;
  /** The parameters' dtype. Default float32. */
  dtype?: DType;
}

function normSettings(fn: string, numFeatures: unknown, opts: unknown, instance: boolean) {
  const o = arg.options(opts, fn, ["eps", "momentum", "affine", "trackRunningStats", "dtype"]);
  const n = arg.int(numFeatures, fn, "num_features", 1);
  if (n < 0) throw new Error(`${fn}(): num_features must not be negative, got ${n}`);
  return {
    n,
    eps: o.eps === undefined ? 1e-5 : arg.number(o.eps, fn, "eps"),
    momentum:
      o.momentum === undefined
        ? 0.1
        : o.momentum === null
          ? null
          : arg.number(o.momentum, fn, "momentum"),
    affine: o.affine === undefined ? !instance : arg.bool(o.affine, fn, "affine"),
    track:
      o.trackRunningStats === undefined
        ? !instance
        : arg.bool(o.trackRunningStats, fn, "track_running_stats"),
    dtype: arg.dtype(o.dtype, fn) ?? "float32",
  };
}

/** The parameters, buffers and printing shared by batch and instance normalization. */
abstract class NormBase extends Module {
  protected static override readonly stateNames = new Map([
    ["runningMean", "running_mean"],
    ["runningVar", "running_var"],
    ["numBatchesTracked", "num_batches_tracked"],
  ]);
  /** [numFeatures] (ones), or null without affine. */
  weight: Tensor | null;
  /** [numFeatures] (zeros), or null without affine. */
  bias: Tensor | null;
  /** A buffer [numFeatures] (zeros), or null without trackRunningStats. */
  runningMean: Tensor | null;
  /** A buffer [numFeatures] (ones), or null without trackRunningStats. */
  runningVar: Tensor | null;
  /** A buffer: the number of training batches seen (int32 scalar), or null. */
  numBatchesTracked: Tensor | null;
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  readonly #ranks: readonly number[];
  constructor(s: ReturnType<typeof normSettings>, ranks: readonly number[]) {
    super();
    this.#ranks = ranks;
    this.numFeatures = s.n;
    this.eps = s.eps;
    this.momentum = s.momentum;
    this.affine = s.affine;
    this.trackRunningStats = s.track;
    this.weight = s.affine ? parameter(ones([s.n], { dtype: s.dtype })) : null;
    this.bias = s.affine ? parameter(zeros([s.n], { dtype: s.dtype })) : null;
    this.runningMean = s.track ? buffer(zeros([s.n], { dtype: s.dtype })) : null;
    this.runningVar = s.track ? buffer(ones([s.n], { dtype: s.dtype })) : null;
    this.numBatchesTracked = s.track ? buffer(tensor(0, { dtype: "int32" })) : null;
  }
  // the forward's input, of one of the layer's ranks (PyTorch's _check_input_dim)
  protected checkedInput(input: unknown): Tensor {
    const x = arg.tensorArg(input, `${this.constructor.name}.forward`, "input"),
      ranks = this.#ranks;
    if (!ranks.includes(x.ndim))
      throw new Error(
        `expected ${ranks.map((r) => `${r}D`).join(" or ")} input (got ${x.ndim}D input)`,
      );
    return x;
  }
  /** Running statistics back to mean 0, variance 1, no batches. */
  resetRunningStats(): void {
    noGrad(() => {
      this.runningMean?.fill_(0);
      this.runningVar?.fill_(1);
      this.numBatchesTracked?.fill_(0);
    });
  }
  /** Running statistics reset, weight back to ones and bias to zeros. */
  resetParameters(): void {
    this.resetRunningStats();
    noGrad(() => {
      this.weight?.fill_(1);
      this.bias?.fill_(0);
    });
  }
  override extraRepr(): string {
    return `${this.numFeatures}, eps=${pyFloat(this.eps)}, momentum=${this.momentum === null ? "None" : pyFloat(this.momentum)}, affine=${pyValue(this.affine)}, track_running_stats=${pyValue(this.trackRunningStats)}`;
  }
}

/** Batch normalization of inputs of the given ranks. */
class BatchNormNd extends NormBase {
  constructor(ranks: number[], numFeatures: unknown, opts: unknown) {
    super(normSettings(new.target.name, numFeatures, opts, false), ranks);
  }
  forward(input: Tensor): Tensor {
    const x = this.checkedInput(input);
    const training = this.training;
    let factor = this.momentum ?? 0;
    if (training && this.trackRunningStats && this.numBatchesTracked) {
      const count = this.numBatchesTracked;
      noGrad(() => count.add_(1));
      if (this.momentum === null) {
        // a cumulative moving average: the factor is 1 / the count, a value read eagerly
        if (activeTrace())
          throw new CompileError(
            `${this.constructor.name} with momentum null (a cumulative average) reads numBatchesTracked at every training step, which compile() cannot trace; give it a momentum or run it eagerly`,
          );
        factor = 1 / count.item();
      }
    }
    // eval mode without running statistics normalizes with the batch's own statistics
    const useBatch = training || (!this.runningMean && !this.runningVar);
    const keep = !training || this.trackRunningStats;
    return batchNorm(
      x,
      keep ? this.runningMean : null,
      keep ? this.runningVar : null,
      this.weight,
      this.bias,
      useBatch,
      factor,
      this.eps,
    );
  }
}
// (each factory binds a named class's arguments: declaration files can name it, not an anonymous one)
type NormConstructor<T> = new (numFeatures: number, opts?: BatchNormOptions) => T;
function batchNormNd(ranks: number[]): NormConstructor<BatchNormNd> {
  return class extends BatchNormNd {
    constructor(numFeatures: number, opts?: BatchNormOptions) {
      super(ranks, numFeatures, opts);
    }
  };
}
/** Batch normalization of [N, C] or [N, C, L] inputs over the batch (and L), per channel. */
export class BatchNorm1d extends batchNormNd([2, 3]) {}
/** Batch normalization of [N, C, H, W] inputs over N, H and W, per channel. */
export class BatchNorm2d extends batchNormNd([4]) {}

/** Instance normalization of inputs of the given ranks (unbatched, batched). */
class InstanceNormNd extends NormBase {
  readonly #batchedRank: number;
  constructor(ranks: number[], numFeatures: unknown, opts: unknown) {
    const s = normSettings(new.target.name, numFeatures, opts, true);
    if (s.track)
      throw new Error(
        `${new.target.name}(): trackRunningStats is not supported (F.instanceNorm has no running statistics)`,
      );
    super(s, ranks);
    this.#batchedRank = ranks[1];
  }
  forward(input: Tensor): Tensor {
    const x = this.checkedInput(input);
    const batched = x.ndim === this.#batchedRank,
      featureDim = batched ? 1 : 0;
    if (this.affine && x.shape[featureDim] !== this.numFeatures)
      throw new Error(
        `expected input's size at dim=${featureDim} to match num_features (${this.numFeatures}), but got: ${x.shape[featureDim]}.`,
      );
    const y = instanceNorm(
      batched ? x : x.unsqueeze(0),
      null,
      null,
      this.weight,
      this.bias,
      true,
      this.momentum ?? 0.1,
      this.eps,
    );
    return batched ? y : y.squeeze(0);
  }
}
function instanceNormNd(ranks: number[]): NormConstructor<InstanceNormNd> {
  return class extends InstanceNormNd {
    constructor(numFeatures: number, opts?: BatchNormOptions) {
      super(ranks, numFeatures, opts);
    }
  };
}
/** Instance normalization of [N, C, L] (or [C, L]) inputs: each channel of each sample over L. */
export class InstanceNorm1d extends instanceNormNd([2, 3]) {}
/** Instance normalization of [N, C, H, W] (or [C, H, W]) inputs. */
export class InstanceNorm2d extends instanceNormNd([3, 4]) {}

/** Options of `LayerNorm`. */
export interface LayerNormOptions {
  /** Default 1e-5. */
  eps?: number;
  /** A learnt weight (ones) and bias (zeros) of the normalized shape. Default true. */
  elementwiseAffine?: boolean;
  dtype?: DType;
}
/** Layer normalization over the last dims (`normalizedShape`). */
export class LayerNorm extends Module {
  weight: Tensor | null;
  bias: Tensor | null;
  readonly normalizedShape: readonly number[];
  readonly eps: number;
  readonly elementwiseAffine: boolean;
  constructor(normalizedShape: number | number[], opts?: LayerNormOptions) {
    super();
    const fn = "LayerNorm",
      o = arg.options(opts, fn, ["eps", "elementwiseAffine", "dtype"]);
    this.normalizedShape = Object.freeze(arg.size(normalizedShape, fn, "normalized_shape"));
    this.eps = o.eps === undefined ? 1e-5 : arg.number(o.eps, fn, "eps");
    this.elementwiseAffine =
      o.elementwiseAffine === undefined
        ? true
        : arg.bool(o.elementwiseAffine, fn, "elementwise_affine");
    const dtype = arg.dtype(o.dtype, fn) ?? "float32",
      shape = [...this.normalizedShape];
    this.weight = this.elementwiseAffine ? parameter(ones(shape, { dtype })) : null;
    this.bias = this.elementwiseAffine ? parameter(zeros(shape, { dtype })) : null;
  }
  forward(x: Tensor): Tensor {
    return layerNorm(x, [...this.normalizedShape], this.weight, this.bias, this.eps);
  }
  override extraRepr(): string {
    return `${pyTuple(this.normalizedShape)}, eps=${pyFloat(this.eps)}, elementwise_affine=${pyValue(this.elementwiseAffine)}`;
  }
}

/** Options of `GroupNorm`. */
export interface GroupNormOptions {
  eps?: number;
  /** A learnt per-channel weight (ones) and bias (zeros). Default true. */
  affine?: boolean;
  dtype?: DType;
}
/** Group normalization: channels in `numGroups` groups, each normalized with the spatial dims. */
export class GroupNorm extends Module {
  weight: Tensor | null;
  bias: Tensor | null;
  readonly numGroups: number;
  readonly numChannels: number;
  readonly eps: number;
  readonly affine: boolean;
  constructor(numGroups: number, numChannels: number, opts?: GroupNormOptions) {
    super();
    const fn = "GroupNorm",
      o = arg.options(opts, fn, ["eps", "affine", "dtype"]);
    this.numGroups = arg.int(numGroups, fn, "num_groups", 1);
    this.numChannels = arg.int(numChannels, fn, "num_channels", 2);
    if (this.numGroups <= 0 || this.numChannels < 0)
      throw new Error(`${fn}(): num_groups must be positive and num_channels not negative`);
    if (this.numChannels % this.numGroups !== 0)
      throw new Error("num_channels must be divisible by num_groups");
    this.eps = o.eps === undefined ? 1e-5 : arg.number(o.eps, fn, "eps");
    this.affine = o.affine === undefined ? true : arg.bool(o.affine, fn, "affine");
    const dtype = arg.dtype(o.dtype, fn) ?? "float32";
    this.weight = this.affine ? parameter(ones([this.numChannels], { dtype })) : null;
    this.bias = this.affine ? parameter(zeros([this.numChannels], { dtype })) : null;
  }
  forward(x: Tensor): Tensor {
    return groupNorm(x, this.numGroups, this.weight, this.bias, this.eps);
  }
  override extraRepr(): string {
    return `${this.numGroups}, ${this.numChannels}, eps=${pyFloat(this.eps)}, affine=${pyValue(this.affine)}`;
  }
}
