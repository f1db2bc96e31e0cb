// Upsample (and its fixed-mode forms UpsamplingNearest2d, UpsamplingBilinear2d) over F.interpolate.
import * as arg from "../../runtime/args";
import type { Tensor } from "../../runtime/tensor";
import { type InterpolateOptions, interpolate } from "../functional/resample";
import { Module } from "../module";
import { pyFloat, pyValue } from "./repr";

/** Options of `Upsample`: exactly one of size and scaleFactor. */
export interface UpsampleOptions {
  size?: number | number[];
  scaleFactor?: number | number[];
  /** "nearest" (default) or "bilinear". */
  mode?: "nearest" | "bilinear";
  alignCorners?: boolean | null;
}
/** Resamples the spatial dims of [N, C, ...] inputs to `size` or by `scaleFactor`. */
export class Upsample extends Module {
  readonly size: number | readonly number[] | null;
  readonly scaleFactor: number | readonly number[] | null;
  readonly mode: "nearest" | "bilinear";
  readonly alignCorners: boolean | null;
  constructor(opts?: UpsampleOptions) {
    super();
    const fn = new.target.name,
      o = arg.options(opts, fn, ["size", "scaleFactor", "mode", "alignCorners"]);
    const list = (v: unknown, name: string, int: boolean) => {
      if (v === undefined || v === null) return null;
      if (typeof v === "number") return int ? arg.int(v, fn, name) : arg.number(v, fn, name);
      if (!Array.isArray(v)) throw new TypeError(`${fn}(): ${name} must be a number or a list`);
      return Object.freeze(
        v.map((x: unknown) => (int ? arg.int(x, fn, name) : arg.number(x, fn, name))),
      );
    };
    this.size = list(o.size, "size", true);
    this.scaleFactor = list(o.scaleFactor, "scale_factor", false);
    if ((this.size === null) === (this.scaleFactor === null))
      throw new Error(
        this.size === null
          ? "either size or scale_factor should be defined"
          : "only one of size or scale_factor should be defined",
      );
    this.mode =
      o.mode === undefined ? "nearest" : arg.oneOf(o.mode, fn, "mode", ["nearest", "bilinear"]);
    this.alignCorners =
      o.alignCorners === undefined || o.alignCorners === null
        ? null
        : arg.bool(o.alignCorners, fn, "align_corners");
    if (this.mode === "nearest" && this.alignCorners !== null)
      throw new Error(
        "align_corners option can only be set with the interpolating modes: linear | bilinear | bicubic | trilinear",
      );
  }
  forward(x: Tensor): Tensor {
    const o: InterpolateOptions = { mode: this.mode };
    if (this.size !== null) o.size = typeof this.size === "number" ? this.size : [...this.size];
    if (this.scaleFactor !== null)
      o.scaleFactor =
        typeof this.scaleFactor === "number" ? this.scaleFactor : [...this.scaleFactor];
    if (this.alignCorners !== null) o.alignCorners = this.alignCorners;
    return interpolate(x, o);
  }
  override extraRepr(): string {
    const s = this.scaleFactor;
    const info =
      s !== null
        ? `scale_factor=${typeof s === "number" ? pyFloat(s) : `(${s.map(pyFloat).join(", ")})`}`
        : `size=${pyValue(this.size)}`;
    return `${info}, mode=${this.mode}`;
  }
}

/** Nearest-neighbour upsampling to `size` or by `scaleFactor` (`{ size }` or `{ scaleFactor }`). */
export class UpsamplingNearest2d extends Upsample {
  constructor(opts?: { size?: number | number[]; scaleFactor?: number | number[] }) {
    super({
      ...arg.options(opts, "UpsamplingNearest2d", ["size", "scaleFactor"]),
      mode: "nearest",
    } as UpsampleOptions);
  }
}
/** Bilinear upsampling with aligned corners (PyTorch's UpsamplingBilinear2d). */
export class UpsamplingBilinear2d extends Upsample {
  constructor(opts?: { size?: number | number[]; scaleFactor?: number | number[] }) {
    super({
      ...arg.options(opts, "UpsamplingBilinear2d", ["size", "scaleFactor"]),
      mode: "bilinear",
      alignCorners: true,
    } as UpsampleOptions);
  }
}
