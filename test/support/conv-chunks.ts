// The convolution tests' common check: `run` (a convolution's outputs and gradients as float64
// arrays) on float32 inputs, at each chunk size of samples and on both backends, within 3e-5 of
// the largest value of the same run on float64 inputs.
import { expect } from "vitest";
import { convSettings } from "../../backend/js/conv";
import { wasmSettings } from "../../backend/wasm/index";
import { setBackend, type Tensor } from "../../index";

export function expectChunksMatchFloat64(
  run: (...xs: Tensor[]) => Float64Array[],
  inputs: Tensor[],
  chunks: number[],
): void {
  const saved = convSettings.chunk;
  wasmSettings.minWork = 0;
  try {
    const want = run(...inputs.map((x) => x.to("float64")));
    for (const chunk of [saved, ...chunks]) {
      convSettings.chunk = chunk;
      for (const backend of ["wasm", "js"] as const) {
        setBackend(backend);
        const got = run(...inputs);
        for (const [k, ref] of want.entries()) {
          const scale = Math.max(...ref.map(Math.abs));
          for (let i = 0; i < ref.length; i++)
            expect(Math.abs(got[k][i] - ref[i])).toBeLessThan(3e-5 * scale);
        }
      }
    }
  } finally {
    convSettings.chunk = saved;
  }
}
