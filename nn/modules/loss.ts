// Loss modules: `forward(input, target)` applies the F loss with the options given to the
// constructor, checked there (before any data is seen). Tensor options (class weights) are
// buffers, as in PyTorch (`weight`, `pos_weight` in state dicts).
import * as arg from "../../runtime/args";
import { Tensor } from "../../runtime/tensor";
import {
  type BceOptions,
  type BceWithLogitsOptions,
  binaryCrossEntropy,
  binaryCrossEntropyWithLogits,
  type CrossEntropyOptions,
  crossEntropy,
  type HuberOptions,
  huberLoss,
  type KlDivOptions,
  klDiv,
  type LossOptions,
  l1Loss,
  mseLoss,
  type NllOptions,
  nllLoss,
  type SmoothL1Options,
  smoothL1Loss,
} from "../functional/losses";
import { buffer, Module } from "../module";

// Each option's check: the value given (not undefined) to its converted form
type Check = (v: unknown, fn: string) => unknown;
const reductionIn =
  (values: readonly string[]): Check =>
  (v, fn) => {
    if (typeof v !== "string")
      throw new TypeError(`${fn}(): reduction must be a string, not ${arg.typeName(v)}`);
    for (const r of values) if (v === r) return r;
    throw new Error(`${v} is not a valid value for reduction`);
  };
const reduction = reductionIn(["mean", "sum", "none"]);
function optionalTensor(v: unknown, fn: string, name: string): Tensor | null {
  if (v === null || Tensor.isTensor(v)) return v;
  throw new TypeError(`${fn}(): argument '${name}' must be Tensor, not ${arg.typeName(v)}`);
}
const number =
  (name: string, ok: (x: number) => boolean, message: (x: number) => string): Check =>
  (v, fn) => {
    const x = arg.number(v, fn, name);
    if (!ok(x)) throw new Error(message(x));
    return x;
  };
const CHECKS: Record<string, Check> = {
  reduction,
  ignoreIndex: (v, fn) => arg.int(v, fn, "ignore_index"),
  weight: (v, fn) => optionalTensor(v, fn, "weight"),
  posWeight: (v, fn) => optionalTensor(v, fn, "pos_weight"),
  labelSmoothing: number(
    "label_smoothing",
    (x) => x >= 0 && x <= 1,
    (x) => `label_smoothing must be between 0.0 and 1.0. Got: ${x}`,
  ),
  beta: number(
    "beta",
    (x) => x >= 0,
    () => "smooth_l1_loss does not support negative values for beta.",
  ),
  delta: number(
    "delta",
    (x) => x > 0,
    () => "huber_loss does not support non-positive values for delta.",
  ),
  logTarget: (v, fn) => arg.bool(v, fn, "log_target"),
};
const TENSOR_OPTIONS = new Set(["weight", "posWeight"]);

type LossFn = (input: Tensor, target: Tensor, o: Record<string, unknown>) => Tensor;
/**
 * A loss module over its F function, with the option keys it takes (each checked by CHECKS, or
 * by `own` where the check differs) as read-only properties; tensor options are buffers.
 */
class Loss extends Module {
  protected static override readonly stateNames = new Map([["posWeight", "pos_weight"]]);
  readonly #f: LossFn;
  readonly #keys: readonly string[];
  readonly #options: Record<string, unknown> = Object.create(null);
  constructor(f: LossFn, keys: readonly string[], own: Record<string, Check>, opts: unknown) {
    super();
    const fn = new.target.name,
      o = arg.options(opts, fn, keys);
    for (const k of keys) {
      const v = o[k];
      if (v === undefined || TENSOR_OPTIONS.has(k)) continue;
      const checked = (Object.hasOwn(own, k) ? own[k] : CHECKS[k])(v, fn);
      this.#options[k] = checked;
      Object.defineProperty(this, k, { value: checked, enumerable: false });
    }
    // tensor options are buffers (assigned in PyTorch's order: weight, then pos_weight)
    for (const k of keys)
      if (TENSOR_OPTIONS.has(k)) {
        const v = o[k] === undefined ? null : CHECKS[k](o[k], fn);
        Object.assign(this, { [k]: v === null ? null : buffer(v as Tensor) });
      }
    this.#f = f;
    this.#keys = keys;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    const opts: Record<string, unknown> = { ...this.#options };
    for (const k of this.#keys)
      if (TENSOR_OPTIONS.has(k)) opts[k] = (this as unknown as Record<string, unknown>)[k];
    return this.#f(input, target, opts);
  }
}
// (a subclass binding the loss's function and options: declaration files can name Loss, not an
// anonymous class)
function lossOf<O extends object>(
  f: (input: Tensor, target: Tensor, o: O) => Tensor,
  keys: readonly (keyof O & string)[],
  own: Record<string, Check> = {},
): new (
  opts?: O,
) => Loss & { readonly [K in keyof O]?: O[K] } {
  return class extends Loss {
    constructor(opts?: O) {
      super(f as unknown as LossFn, keys, own, opts);
    }
  } as never;
}

/** Mean (or sum) of squared differences. */
export class MSELoss extends lossOf<LossOptions>(mseLoss, ["reduction"]) {}
/** Mean (or sum) of absolute differences. */
export class L1Loss extends lossOf<LossOptions>(l1Loss, ["reduction"]) {}
/** Quadratic below `beta`, linear above (`{ beta: 1 }`). */
export class SmoothL1Loss extends lossOf<SmoothL1Options>(smoothL1Loss, ["reduction", "beta"]) {}
/** Quadratic below `delta`, linear above (`{ delta: 1 }`). */
export class HuberLoss extends lossOf<HuberOptions>(huberLoss, ["reduction", "delta"]) {}
/** Negative log-likelihood of int32 class labels, given log-probabilities. */
export class NLLLoss extends lossOf<NllOptions>(nllLoss, ["weight", "ignoreIndex", "reduction"]) {}
/** Cross entropy of logits against class labels (or probabilities). */
export class CrossEntropyLoss extends lossOf<CrossEntropyOptions>(crossEntropy, [
  "weight",
  "ignoreIndex",
  "reduction",
  "labelSmoothing",
]) {}
/** Binary cross entropy of probabilities in [0, 1]. */
export class BCELoss extends lossOf<BceOptions>(binaryCrossEntropy, ["weight", "reduction"]) {}
/** Binary cross entropy of logits (sigmoid included, computed stably). */
export class BCEWithLogitsLoss extends lossOf<BceWithLogitsOptions>(binaryCrossEntropyWithLogits, [
  "weight",
  "reduction",
  "posWeight",
]) {}
/** Kullback-Leibler divergence of log-probabilities from a target (`{ reduction: "batchmean" }`). */
export class KLDivLoss extends lossOf<KlDivOptions>(klDiv, ["reduction", "logTarget"], {
  reduction: reductionIn(["mean", "sum", "none", "batchmean"]),
}) {}
