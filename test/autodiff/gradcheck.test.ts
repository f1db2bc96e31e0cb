// gradcheck through compiled functions: the compiled backward (CompiledFunctionBackward) of
// composite programs (test/support/composites.ts, shared with the eager gradcheck) against central
// finite differences in float64, the loss evaluated through the same compiled function's
// forward-only (noGrad) program.
import { beforeEach, describe, expect, it } from "vitest";
import { compile, manualSeed, rand, type Tensor, where } from "../../index";
import { composites } from "../support/composites";
import { f64, gradcheck } from "../support/gradcheck";

beforeEach(() => manualSeed(0));

describe("gradcheck through compile: composite programs", () => {
  for (const { name, fn, inputs } of composites) {
    it(name, () => {
      const f = compile(fn);
      gradcheck(f, inputs());
      const out = f(...inputs());
      expect(out.gradFn?.name).toBe("CompiledFunctionBackward");
    });
  }
  it("where with a bool mask argument", () => {
    const m = rand([2, 3], { dtype: "float64" }).gt(0.5);
    const f = compile((c: Tensor, a: Tensor, b: Tensor) => where(c, a.exp(), b.mul(3)));
    gradcheck((a, b) => f(m, a, b), [f64([2, 3]), f64([3])]);
  });
  it("captured parameters (closure) are differentiated too", () => {
    const w = f64([4, 3]),
      b = f64([3]);
    const f = compile((x: Tensor) => x.matmul(w).add(b).tanh().sum(1));
    // the perturbed tensors include the captured ones; the function ignores its extra arguments
    gradcheck((x) => f(x), [f64([2, 4]), w, b]);
  });
});
