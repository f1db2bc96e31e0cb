// Flatten and Unflatten: reshapes between layers (a conv stack's [N, C, H, W] into [N, C*H*W]).
import * as arg from "../../runtime/args";
import type { Tensor } from "../../runtime/tensor";
import { Module } from "../module";
import { pyTuple } from "./repr";

/** Merges dims startDim..endDim (default 1..-1: everything but the batch dim). */
export class Flatten extends Module {
  readonly startDim: number;
  readonly endDim: number;
  constructor(startDim = 1, endDim = -1) {
    super();
    this.startDim = arg.int(startDim, "Flatten", "start_dim", 1);
    this.endDim = arg.int(endDim, "Flatten", "end_dim", 2);
  }
  forward(x: Tensor): Tensor {
    return arg.tensorArg(x, "Flatten.forward", "input").flatten(this.startDim, this.endDim);
  }
  override extraRepr() {
    return `start_dim=${this.startDim}, end_dim=${this.endDim}`;
  }
}

/** Splits dim `dim` into `unflattenedSize` (one entry may be -1). */
export class Unflatten extends Module {
  readonly dim: number;
  readonly unflattenedSize: readonly number[];
  constructor(dim: number, unflattenedSize: number[]) {
    super();
    this.dim = arg.int(dim, "Unflatten", "dim", 1);
    const sizes = arg.intList(unflattenedSize, "Unflatten", "unflattened_size", 2);
    if (sizes.length === 0) throw new Error("unflatten: sizes must be non-empty");
    this.unflattenedSize = Object.freeze(sizes);
  }
  forward(x: Tensor): Tensor {
    return arg
      .tensorArg(x, "Unflatten.forward", "input")
      .unflatten(this.dim, [...this.unflattenedSize]);
  }
  override extraRepr() {
    return `dim=${this.dim}, unflattened_size=${pyTuple(this.unflattenedSize)}`;
  }
}
