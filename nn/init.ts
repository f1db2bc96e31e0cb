// Parameter initialization with PyTorch 1.13's CPU draws (torch.nn.init), on top of the bit-exact
// generator in runtime/random.ts.
//
// uniform_(a, b) on float32 (aten/src/ATen/native/cpu/DistributionTemplates.h, uniform_kernel):
//   x = (random() & (2^24 - 1)) * 2^-24,   value = x * (to - from) + from   in float, from/to cast
//   to float first. That file is compiled with -mavx2 -mfma and GCC contracts the expression into
//   one fused multiply-add, so the value is rounded once (checked against torch: 80k draws, 0
//   differences with one rounding, ~50% with two).
// float64: x = (random64() & (2^53 - 1)) * 2^-53, then the same fused multiply-add in double.
import { type DType, isFloat } from "../ir/dtype";
import * as arg from "../runtime/args";
import { noGrad } from "../runtime/autograd";
import { tensor } from "../runtime/create";
import { randnValues, randValues } from "../runtime/random";
import type { Tensor } from "../runtime/tensor";

const f32 = Math.fround;
const bits = new Float32Array(1),
  ints = new Int32Array(bits.buffer);
// The float32 next to r (a float32) in the direction of `up`.
function nextFloat(r: number, up: boolean): number {
  if (r === 0) return up ? 2 ** -149 : -(2 ** -149);
  bits[0] = r;
  ints[0] += r > 0 === up ? 1 : -1;
  return bits[0];
}

// fl32(a * b + c) with one rounding, for float32 a, b, c: a * b is exact in double; p + c is
// computed in double with its exact error (TwoSum), and a double result lying exactly halfway
// between two floats is resolved by the sign of that error.
/** @internal */
export function fmaf(a: number, b: number, c: number): number {
  const p = a * b,
    s = p + c,
    bb = s - p,
    err = p - (s - bb) + (c - bb);
  const r = f32(s);
  if (err === 0 || r === s) return r;
  const other = nextFloat(r, s > r);
  if (s - r !== other - s) return r; // not a tie: the double rounding could not flip it
  return err > 0 === other > r ? other : r;
}

// fl64(a * b + c) with (almost always) one rounding: the product's exact error by Veltkamp/Dekker
// splitting, the sum's by TwoSum; the remaining double-double is rounded once more (exact except
// in rare ties far below anything a test at float tolerance sees).
const SPLIT = 134217729; // 2^27 + 1
function twoProd(a: number, b: number): [number, number] {
  const p = a * b;
  const ca = SPLIT * a,
    ah = ca - (ca - a),
    al = a - ah;
  const cb = SPLIT * b,
    bh = cb - (cb - b),
    bl = b - bh;
  return [p, ah * bh - p + ah * bl + al * bh + al * bl];
}
/** @internal */
export function fma(a: number, b: number, c: number): number {
  const [p, e] = twoProd(a, b);
  const s = p + c,
    bb = s - p,
    t = p - (s - bb) + (c - bb);
  return s + (t + e);
}

/**
 * n draws of torch's uniform_(from, to) for a tensor of `dtype` (consumes the global generator).
 * @internal
 */
export function uniformValues(
  n: number,
  from: number,
  to: number,
  dtype: DType,
): Float32Array | Float64Array {
  if (!isFloat(dtype))
    throw new Error(
      `"uniform_kernel_cpu" not implemented for '${dtype === "int32" ? "Long" : "Bool"}'`,
    );
  if (!(from <= to))
    throw new Error(
      `uniform_ expects to return a [from, to) range, but found from=${from} > to=${to}`,
    );
  if (dtype === "float32") {
    const u = randValues(n, "float32"),
      lo = f32(from),
      range = f32(f32(to) - lo);
    for (let i = 0; i < n; i++) u[i] = fmaf(u[i], range, lo);
    return u;
  }
  const u = randValues(n, "float64"),
    range = to - from;
  for (let i = 0; i < n; i++) u[i] = fma(u[i], range, from);
  return u;
}

/** Fills t in place from U(a, b), as torch.nn.init.uniform_. */
export function uniform_(tensor_: Tensor, from = 0, to = 1): Tensor {
  const t = arg.tensorArg(tensor_, "uniform_", "tensor", 1),
    a = arg.number(from, "uniform_", "a", 2),
    b = arg.number(to, "uniform_", "b", 3);
  const vals = uniformValues(t.numel(), a, b, t.dtype);
  noGrad(() => t.copy_(tensor(vals, { shape: t.shape, dtype: t.dtype })));
  return t;
}

// torch.nn.init._calculate_fan_in_and_fan_out
/** @internal */
export function fans(tensor_: Tensor): [number, number] {
  const t = arg.tensorArg(tensor_, "_calculate_fan_in_and_fan_out", "tensor", 1);
  if (t.ndim < 2)
    throw new Error(
      "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions",
    );
  const field = t.shape.slice(2).reduce((a, b) => a * b, 1);
  return [t.shape[1] * field, t.shape[0] * field];
}

/** torch.nn.init.kaiming_uniform_(t, a, mode="fan_in", nonlinearity="leaky_relu"). */
export function kaimingUniform_(tensor_: Tensor, slope = 0): Tensor {
  const t = arg.tensorArg(tensor_, "kaiming_uniform_", "tensor", 1),
    a = arg.number(slope, "kaiming_uniform_", "a", 2);
  const fan = fans(t)[0];
  const gain = Math.sqrt(2.0 / (1 + a * a)); // calculate_gain("leaky_relu", a); Python's a ** 2 is a * a
  const bound = Math.sqrt(3.0) * (gain / Math.sqrt(fan));
  return uniform_(t, -bound, bound);
}

/**
 * Fills t in place from N(mean, std^2), as torch.nn.init.normal_: the draws of randn (exactly
 * PyTorch's for the default mean 0 and std 1; scaled and shifted afterwards otherwise).
 */
export function normal_(tensor_: Tensor, mean = 0, std = 1): Tensor {
  const t = arg.tensorArg(tensor_, "normal_", "tensor", 1),
    m = arg.number(mean, "normal_", "mean", 2),
    s = arg.number(std, "normal_", "std", 3);
  if (!isFloat(t.dtype))
    throw new Error(
      `"normal_kernel_cpu" not implemented for '${t.dtype === "int32" ? "Long" : "Bool"}'`,
    );
  if (!(s >= 0)) throw new Error(`normal expects std >= 0.0, but found std ${s}`);
  const vals = randnValues(t.numel(), t.dtype as "float32" | "float64");
  if (m !== 0 || s !== 1) for (let i = 0; i < vals.length; i++) vals[i] = vals[i] * s + m;
  noGrad(() => t.copy_(tensor(vals, { shape: t.shape, dtype: t.dtype })));
  return t;
}
/** Fills t in place with `value` (torch.nn.init.constant_). */
export function constant_(tensor_: Tensor, value: number): Tensor {
  const t = arg.tensorArg(tensor_, "constant_", "tensor", 1),
    v = arg.number(value, "constant_", "val", 2);
  noGrad(() => t.fill_(v));
  return t;
}
/** Fills t in place with ones. */
export const ones_ = (t: Tensor): Tensor => constant_(t, 1);
/** Fills t in place with zeros. */
export const zeros_ = (t: Tensor): Tensor => constant_(t, 0);
