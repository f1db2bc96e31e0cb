// Dropout modules: active in training mode only (the `training` flag, which compiled functions
// guard on).
import * as arg from "../../runtime/args";
import type { Tensor } from "../../runtime/tensor";
import { dropout, dropout1d, dropout2d } from "../functional/linear";
import { Module } from "../module";
import { pyFloat } from "./repr";

/** A dropout module: its probability, and the function applying it in training mode. */
class DropoutNd extends Module {
  /** The probability of zeroing an element (a channel for Dropout1d/2d). */
  readonly p: number;
  readonly #f: (x: Tensor, p: number, training: boolean) => Tensor;
  constructor(f: (x: Tensor, p: number, training: boolean) => Tensor, pArg: unknown) {
    super();
    const p = arg.number(pArg, new.target.name, "p", 1);
    if (!(p >= 0 && p <= 1))
      throw new Error(`dropout probability has to be between 0 and 1, but got ${p}`);
    this.p = p;
    this.#f = f;
  }
  forward(x: Tensor): Tensor {
    return this.#f(x, this.p, this.training);
  }
  override extraRepr() {
    return `p=${pyFloat(this.p)}, inplace=False`;
  }
}
// (a subclass binding f: declaration files can name DropoutNd, not an anonymous class)
function withProbability(
  f: (x: Tensor, p: number, training: boolean) => Tensor,
): new (
  p?: number,
) => DropoutNd {
  return class extends DropoutNd {
    constructor(p = 0.5) {
      super(f, p);
    }
  };
}
/**
 * Zeroes each element with probability p while training (scaling the rest by 1/(1-p)); identity in
 * eval mode.
 */
export class Dropout extends withProbability(dropout) {}
/** Zeroes whole channels of [N, C, L] inputs while training. */
export class Dropout1d extends withProbability(dropout1d) {}
/** Zeroes whole channels of [N, C, H, W] inputs while training. */
export class Dropout2d extends withProbability(dropout2d) {}
