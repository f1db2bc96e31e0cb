// gradcheck: backward()'s gradients against central finite differences in float64, shared by the
// eager and the compiled gradient tests.
import { expect } from "vitest";
import { noGrad, rand, randn, type Tensor } from "../../index";

// gradcheck inputs: float64 leaves that require grad, normal or in [0.5, 1.5) (the domain of log,
// sqrt, pow)
export const f64 = (shape: number[]) => randn(shape, { dtype: "float64", requiresGrad: true });
export const pos = (shape: number[]) =>
  rand(shape, { dtype: "float64" }).add(0.5).detach().requiresGrad_();

// central differences of float64 sums carry ~1e-9 of rounding noise
export const GC = { eps: 1e-6, rtol: 1e-6, atol: 1e-7 };

/**
 * Checks d(sum(f(xs) * v))/dx as backward() computes it against central finite differences in
 * float64, for every input that requires grad. `f` is typically a compiled function; the loss is
 * evaluated through the same `f` under noGrad (its forward-only program).
 */
export function gradcheck(f: (...xs: Tensor[]) => Tensor, inputs: Tensor[]): void {
  for (const x of inputs) {
    expect(x.dtype).toBe("float64");
    expect(x.isContiguous()).toBe(true); // perturbed through its storage
  }
  const out0 = f(...inputs);
  expect(out0.requiresGrad, "output requires grad").toBe(true);
  const v = randn(out0.shape, { dtype: "float64" });
  const loss = (): number =>
    noGrad(() =>
      f(...inputs)
        .mul(v)
        .sum()
        .item(),
    );
  inputs.forEach((x) => {
    x.grad = null;
  });
  out0.backward(v);
  inputs.forEach((x, k) => {
    if (!x.requiresGrad) return;
    expect(x.grad, `input ${k} got a gradient`).not.toBeNull();
    expect(x.grad!.shape, `grad ${k} shape`).toEqual(x.shape);
    expect(x.grad!.dtype, `grad ${k} dtype`).toBe("float64");
    const analytic = x.grad!.values();
    const s = x.storage!;
    for (let i = 0; i < x.numel(); i++) {
      const at = x.offset + i,
        orig = s[at];
      s[at] = orig + GC.eps;
      const up = loss();
      s[at] = orig - GC.eps;
      const down = loss();
      s[at] = orig;
      const numeric = (up - down) / (2 * GC.eps);
      if (!(Math.abs(analytic[i] - numeric) <= GC.atol + GC.rtol * Math.abs(numeric))) {
        expect.fail(
          `input ${k}[${i}]: backward() gives ${analytic[i]}, finite differences ${numeric}`,
        );
      }
    }
  });
}
