// Tensors as the golden fixtures store them ({ shape, dtype, data }), and the elementwise closeness
// the fixture tests check, shared so every suite reads fixtures the same way.
import { expect } from "vitest";
import { type DType, type Tensor, tensor } from "../../index";

export interface Spec {
  shape: number[];
  dtype: DType;
  data: number[];
}

const arrays = {
  float32: Float32Array,
  float64: Float64Array,
  int32: Int32Array,
  bool: Uint8Array,
};
export const isSpec = (v: unknown): v is Spec =>
  typeof v === "object" && v !== null && "shape" in v && "data" in v;

/** The fixture's tensor; requiresGrad only takes effect on floating dtypes. */
export const fromSpec = (s: Spec, requiresGrad = false) =>
  tensor(arrays[s.dtype].from(s.data), {
    shape: s.shape,
    dtype: s.dtype,
    requiresGrad: requiresGrad && (s.dtype === "float32" || s.dtype === "float64"),
  });

/** |got - want| <= atol + rtol |want| elementwise (NaN matches NaN), same shape and dtype. */
export function expectClose(t: Tensor | null | undefined, want: Spec, rtol = 1e-5, atol = 2e-6) {
  expect(t).toBeTruthy();
  expect(t!.shape).toEqual(want.shape);
  if (want.dtype) expect(t!.dtype).toEqual(want.dtype);
  const bad = t!
    .values()
    .map((v, i) => [i, v, want.data[i]] as const)
    .filter(
      ([, v, w]) =>
        !(Math.abs(v - w) <= atol + rtol * Math.abs(w) || (Number.isNaN(v) && Number.isNaN(w))),
    );
  expect(bad.slice(0, 5)).toEqual([]);
}
