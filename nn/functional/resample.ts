// F.pad (constant, reflect, replicate, circular) and F.interpolate (nearest, bilinear): compositions
// of slices, flips, gathers and cat, which fuse as index maps.
import { fmtShape } from "../../ir/shape";
import * as arg from "../../runtime/args";
import { composite } from "../../runtime/composite";
import { cat, tensor } from "../../runtime/create";
import type { Tensor } from "../../runtime/tensor";

export interface PadOptions {
  mode?: "constant" | "reflect" | "replicate" | "circular";
  value?: number;
}
/**
 * PyTorch's F.pad: `pad` lists (before, after) pairs from the last dim backwards. constant mode
 * (default) pads with `value` (negative pads crop); reflect, replicate and circular pad the last
 * 1-3 dims of a batched or unbatched input (compositions of slices, flips and cat, which fuse).
 */
export function pad(input: Tensor, padArg: number[], opts?: PadOptions): Tensor {
  const x = arg.tensorArg(input, "pad", "input", 1);
  const p = arg.intList(padArg, "pad", "pad", 2);
  const o = arg.options(opts, "pad", ["mode", "value"]);
  const mode =
    o.mode === undefined
      ? "constant"
      : typeof o.mode === "string" &&
          !["constant", "reflect", "replicate", "circular"].includes(o.mode)
        ? (() => {
            throw new Error(`Unrecognised padding mode ${o.mode}`);
          })()
        : arg.oneOf(o.mode, "pad", "mode", ["constant", "reflect", "replicate", "circular"]);
  const value = o.value === undefined ? undefined : arg.number(o.value, "pad", "value");
  if (p.length % 2 !== 0) throw new Error("Padding length must be divisible by 2");
  const k = p.length / 2;
  if (k > x.ndim) throw new Error("Padding length too large");
  const dimOf = (i: number) => x.ndim - 1 - i; // pair i pads this dim
  if (mode === "constant") {
    const v = value ?? 0;
    return composite("ConstantPadNdBackward0", [x], (t) => {
      let y = t;
      // crop first (negative pads), then pad
      for (let i = 0; i < k; i++) {
        const d = dimOf(i),
          lo = Math.max(-p[2 * i], 0),
          hi = Math.max(-p[2 * i + 1], 0);
        if (lo || hi) {
          if (lo + hi > y.shape[d])
            throw new Error(
              `The input size ${y.shape[d]}, plus negative padding ${-lo} and ${-hi} resulted in a negative output size, which is invalid. Check dimension ${d} of your input.`,
            );
          y = y.narrow(d, lo, y.shape[d] - lo - hi);
        }
      }
      const before = y.shape.map((_, d) =>
        d > x.ndim - 1 - k ? Math.max(p[2 * (x.ndim - 1 - d)], 0) : 0,
      );
      const after = y.shape.map((_, d) =>
        d > x.ndim - 1 - k ? Math.max(p[2 * (x.ndim - 1 - d) + 1], 0) : 0,
      );
      const padded = y.pad(before, after);
      if (v === 0) return padded;
      const inside = y.newZeros([]).eq(0).expand(y.shape).pad(before, after);
      return padded.where(inside, v).to(t.dtype); // the value cast to the input's dtype, as PyTorch
    });
  }
  if (value !== undefined && value !== 0)
    throw new Error(`Padding mode "${mode}" doesn't take in value argument`);
  if (k < 1 || k > 3 || (x.ndim !== k + 1 && x.ndim !== k + 2))
    throw new Error("Only 2D, 3D, 4D, 5D padding with non-constant padding are supported for now");
  if (p.some((n) => n < 0))
    throw new Error(
      `pad(): negative padding is not supported with mode "${mode}" (only with "constant")`,
    );
  for (let i = 0; i < k; i++) {
    const d = dimOf(i),
      n = x.shape[d],
      [l, r] = [p[2 * i], p[2 * i + 1]];
    if (mode === "reflect" && (l >= n || r >= n))
      throw new Error(
        `Argument #4: Padding size should be less than the corresponding input dimension, but got: padding (${l}, ${r}) at dimension ${d} of input ${fmtShape(x.shape)}`,
      );
    if (mode === "circular" && (l > n || r > n))
      throw new Error("Padding value causes wrapping around more than once.");
    if (mode === "replicate" && n === 0 && (l || r))
      throw new Error(`pad(): cannot replicate-pad dimension ${d} of size 0`);
  }
  const name =
    mode === "reflect"
      ? `ReflectionPad${k}DBackward0`
      : mode === "replicate"
        ? `ReplicationPad${k}DBackward0`
        : "CopySlices";
  return composite(name, [x], (t) => {
    let y = t;
    for (let i = 0; i < k; i++) {
      const d = dimOf(i),
        n = y.shape[d],
        [l, r] = [p[2 * i], p[2 * i + 1]];
      const parts: Tensor[] = [];
      if (l > 0)
        parts.push(
          mode === "reflect"
            ? y.narrow(d, 1, l).flip(d)
            : mode === "replicate"
              ? y.narrow(d, 0, 1).expand(y.shape.map((m, e) => (e === d ? l : m)))
              : y.narrow(d, n - l, l),
        );
      parts.push(y);
      if (r > 0)
        parts.push(
          mode === "reflect"
            ? y.narrow(d, n - 1 - r, r).flip(d)
            : mode === "replicate"
              ? y.narrow(d, n - 1, 1).expand(y.shape.map((m, e) => (e === d ? r : m)))
              : y.narrow(d, 0, r),
        );
      if (parts.length > 1) y = cat(parts, d);
    }
    return y === t ? t.clone() : y;
  });
}

export interface InterpolateOptions {
  size?: number | number[];
  scaleFactor?: number | number[];
  mode?: "nearest" | "bilinear";
  alignCorners?: boolean | null;
}
/**
 * PyTorch's F.interpolate for [N, C, ...spatial] inputs: mode "nearest" (1-3 spatial dims) or
 * "bilinear" (2, with alignCorners), to `size` or by `scaleFactor` (exactly one of them). Each
 * spatial dim is resampled in turn: index selects of constant positions, mixed by constant weights.
 */
export function interpolate(input: Tensor, opts?: InterpolateOptions): Tensor {
  const x = arg.tensorArg(input, "interpolate", "input", 1);
  const o = arg.options(opts, "interpolate", ["size", "scaleFactor", "mode", "alignCorners"]);
  const mode =
    o.mode === undefined
      ? "nearest"
      : arg.oneOf(o.mode, "interpolate", "mode", ["nearest", "bilinear"]);
  const alignCorners =
    o.alignCorners === undefined || o.alignCorners === null
      ? null
      : arg.bool(o.alignCorners, "interpolate", "alignCorners");
  const k = x.ndim - 2;
  if (k < 1 || k > 3)
    throw new Error(
      `Input Error: Only 3D, 4D and 5D input Tensors supported (got ${x.ndim}D) for the modes: nearest | linear | bilinear | bicubic | trilinear | area | nearest-exact (got ${mode})`,
    );
  if (mode === "bilinear" && k !== 2)
    throw new Error(`Got ${x.ndim}D input, but bilinear mode needs 4D input`);
  if (mode === "nearest" && alignCorners !== null)
    throw new Error(
      "align_corners option can only be set with the interpolating modes: linear | bilinear | bicubic | trilinear",
    );
  if ((o.size === undefined) === (o.scaleFactor === undefined))
    throw new Error(
      o.size === undefined
        ? "either size or scale_factor should be defined"
        : "only one of size or scale_factor should be defined",
    );
  const perDim = (v: unknown, name: string, int: boolean): number[] => {
    const list =
      typeof v === "number"
        ? new Array<number>(k).fill(
            int ? arg.int(v, "interpolate", name) : arg.number(v, "interpolate", name),
          )
        : int
          ? arg.intList(v, "interpolate", name)
          : Array.isArray(v)
            ? v.map((n) => arg.number(n, "interpolate", name))
            : [arg.number(v, "interpolate", name)];
    if (list.length !== k)
      throw new Error(
        `Input and ${name === "size" ? "output" : "scale_factor"} must have the same number of spatial dimensions, but got input with spatial dimensions of ${fmtShape(x.shape.slice(2))} and output size of ${fmtShape(list)}. Please provide input tensor in (N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) format.`,
      );
    return list;
  };
  const ins = x.shape.slice(2);
  const sizes =
    o.size !== undefined
      ? perDim(o.size, "size", true)
      : perDim(o.scaleFactor, "scale_factor", false).map((f, i) => Math.floor(ins[i] * f));
  const scales = o.scaleFactor !== undefined ? perDim(o.scaleFactor, "scale_factor", false) : null;
  sizes.forEach((n) => {
    if (n <= 0)
      throw new Error(
        `Input and output sizes should be greater than 0, but got input (${ins.join(", ")}) and output (${sizes.join(", ")})`,
      );
  });
  const name = mode === "nearest" ? `UpsampleNearest${k}DBackward1` : "UpsampleBilinear2DBackward1";
  return composite(name, [x], (t) => {
    let y = t;
    for (let r = 0; r < k; r++) {
      const i = mode === "bilinear" ? k - 1 - r : r,
        d = 2 + i,
        n = ins[i],
        m = sizes[i];
      if (mode === "nearest") {
        const scale = scales ? 1 / scales[i] : n / m;
        const at = Int32Array.from({ length: m }, (_, j) =>
          Math.min(Math.floor(Math.fround(j * Math.fround(scale))), n - 1),
        );
        y = y.indexSelect(d, tensor(at, { dtype: "int32" }));
        continue;
      }
      // bilinear: source position per output position, then a mix of its two neighbours, with
      // PyTorch's float arithmetic (weights in the input's precision; the last dim first)
      const f = t.dtype === "float64" ? (v: number) => v : Math.fround;
      const scale = alignCorners
        ? m > 1
          ? f((n - 1) / (m - 1))
          : 0
        : scales
          ? f(1 / scales[i])
          : f(n / m);
      const lo = new Int32Array(m),
        hi = new Int32Array(m),
        w0 = new Float64Array(m),
        w1 = new Float64Array(m);
      for (let j = 0; j < m; j++) {
        const src = alignCorners ? f(scale * j) : Math.max(f(f(scale * f(j + 0.5)) - 0.5), 0);
        const i0 = Math.min(Math.floor(src), n - 1);
        lo[j] = i0;
        hi[j] = Math.min(i0 + 1, n - 1);
        w1[j] = f(src - i0);
        w0[j] = f(1 - w1[j]);
      }
      const shape = y.shape.map((_, e) => (e === d ? m : 1));
      const weight = (w: Float64Array) =>
        tensor(w, { dtype: "float64" }).to(y.dtype).reshape(shape);
      const a = y.indexSelect(d, tensor(lo, { dtype: "int32" })),
        b = y.indexSelect(d, tensor(hi, { dtype: "int32" }));
      y = a.mul(weight(w0)).add(b.mul(weight(w1)));
    }
    return y === t ? t.clone() : y;
  });
}
