// Padding layers over F.pad: constant (ZeroPad2d, ConstantPad1d/2d), reflection and replication,
// with PyTorch's printing (an int pads every side).
import * as arg from "../../runtime/args";
import type { Tensor } from "../../runtime/tensor";
import { pad } from "../functional/resample";
import { Module } from "../module";
import { pyNumber, pyTuple } from "./repr";

type Mode = "constant" | "reflect" | "replicate";
/** A padding layer: (before, after) pairs for the last `d` dims, last dim first, as F.pad takes them. */
class PadNd extends Module {
  /** The (before, after) pairs, last dim first (left, right, top, bottom for 2-d). */
  readonly padding: readonly number[];
  readonly #mode: Mode;
  readonly #value: number | null;
  constructor(d: number, mode: Mode, padding: unknown, value: unknown) {
    super();
    const fn = new.target.name;
    const p =
      typeof padding === "number"
        ? new Array<number>(2 * d).fill(arg.int(padding, fn, "padding", 1))
        : arg.intList(padding, fn, "padding", 1);
    if (p.length !== 2 * d)
      throw new Error(
        `${fn}(): padding must be an int or a list of ${2 * d} ints, got ${p.length}`,
      );
    this.padding = Object.freeze(p);
    this.#mode = mode;
    this.#value = value === null ? null : arg.number(value, fn, "value", 2);
  }
  /** The fill value of constant padding (null for reflection and replication). */
  get value(): number | null {
    return this.#value;
  }
  forward(x: Tensor): Tensor {
    return pad(x, [...this.padding], {
      mode: this.#mode,
      ...(this.#value === null ? {} : { value: this.#value }),
    });
  }
  override extraRepr(): string {
    const name = this.constructor.name;
    if (name.startsWith("ConstantPad"))
      return `padding=${pyTuple(this.padding)}, value=${pyNumber(this.#value ?? 0)}`;
    return pyTuple(this.padding);
  }
}
// (each factory binds PadNd's arguments: declaration files can name PadNd, not an anonymous class)
function padNd(d: number, mode: Mode): new (padding: number | number[]) => PadNd {
  return class extends PadNd {
    constructor(padding: number | number[]) {
      super(d, mode, padding, mode === "constant" ? 0 : null);
    }
  };
}
function constantPadNd(d: number): new (padding: number | number[], value: number) => PadNd {
  return class extends PadNd {
    constructor(padding: number | number[], value: number) {
      super(d, "constant", padding, value);
    }
  };
}

/** Pads the last 2 dims with zeros: an int, or [left, right, top, bottom]. */
export class ZeroPad2d extends padNd(2, "constant") {}
/** Pads the last dim with `value`: an int, or [left, right]. */
export class ConstantPad1d extends constantPadNd(1) {}
/** Pads the last 2 dims with `value`: an int, or [left, right, top, bottom]. */
export class ConstantPad2d extends constantPadNd(2) {}
/** Pads the last dim with its reflection (the edge not repeated). */
export class ReflectionPad1d extends padNd(1, "reflect") {}
/** Pads the last 2 dims with their reflection. */
export class ReflectionPad2d extends padNd(2, "reflect") {}
/** Pads the last dim by repeating its edge values. */
export class ReplicationPad1d extends padNd(1, "replicate") {}
/** Pads the last 2 dims by repeating their edge values. */
export class ReplicationPad2d extends padNd(2, "replicate") {}
