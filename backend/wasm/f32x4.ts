// The scalar ops one f32x4 instruction computes lane by lane, shared by the Wasm emitters (costly
// chains, GEMM tile epilogues): arithmetic gives numbers, comparisons give lane masks. Wasm's
// min/max give NaN if either lane is NaN and order -0 below +0, as Math.min/max.
import type { ScalarOp } from "../../ir/scalar";

export const F32X4_ARITH: Partial<Record<ScalarOp, string>> = {
  sqrt: "f32x4.sqrt",
  add: "f32x4.add",
  sub: "f32x4.sub",
  mul: "f32x4.mul",
  div: "f32x4.div",
  max: "f32x4.max",
  min: "f32x4.min",
};
export const F32X4_ROUNDING: Partial<Record<ScalarOp, string>> = {
  floor: "f32x4.floor",
  ceil: "f32x4.ceil",
  trunc: "f32x4.trunc",
  roundEven: "f32x4.nearest",
};
export const F32X4_COMPARE: Partial<Record<ScalarOp, string>> = {
  eq: "f32x4.eq",
  ne: "f32x4.ne",
  lt: "f32x4.lt",
  le: "f32x4.le",
  gt: "f32x4.gt",
  ge: "f32x4.ge",
};
