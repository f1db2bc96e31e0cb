// The convolution tests' common check: `run` (a convolution's outputs and gradients as float64
// arrays) on float32 inputs, at each chunk size of samples and on both backends, within 3e-5 of
// the largest value of the same run on float64 inputs.
import { expect } from "vitest";
import { convSettings } from "../../backend/js/conv";
import { tapTable } from "../../backend/js/im2col";
import { wasmSettings } from "../../backend/wasm/index";
import { compile, F, setBackend, type Tensor } from "../../index";

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

// A conv2d + bias + relu step on (x, w, b): its output and the input and weight gradients of
// sum(y * cos(y)) (a cotangent that varies per element), and with `compiled` the compiled
// forward's output too (the bias added by the GEMM as a k step, the relu a Wasm chain), as
// float64 arrays for expectChunksMatchFloat64.
export function convReluStep(options: Parameters<typeof F.conv2d>[3], compiled = false) {
  return (x: Tensor, w: Tensor, b: Tensor): Float64Array[] => {
    const xg = x.detach().requiresGrad_(),
      wg = w.detach().requiresGrad_();
    const y = F.conv2d(xg, wg, b, options).relu();
    y.mul(y.detach().cos()).sum().backward();
    const outs = [y, xg.grad!, wg.grad!];
    if (compiled)
      outs.push(
        compile((x: Tensor, w: Tensor, b: Tensor) => F.conv2d(x, w, b, options).relu())(x, w, b),
      );
    return outs.map((t) => Float64Array.from(t.values() as number[]));
  };
}

// a square-kernel conv layout's tap table over a [C, H, W] input (contiguous), its output
// positions and taps
export function convLayout(H: number, W: number, k: number, stride: number, padding: number) {
  const OH = Math.floor((H + 2 * padding - k) / stride) + 1,
    OW = Math.floor((W + 2 * padding - k) / stride) + 1;
  const tab = tapTable(
    [k, k],
    [OH, OW],
    [H, W],
    [W, 1],
    [stride, stride],
    [padding, padding],
    [1, 1],
  );
  return { tab, Q: OH * OW, T: k * k };
}
