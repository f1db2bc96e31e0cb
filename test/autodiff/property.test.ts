// Property-based differential test for gradients: random differentiable programs (see
// programs.ts), compiled forward + backward against eager autograd, and valueAndGrad against
// eager, on a fixed seed. Reproduce or explore with `npx tsx test/autodiff/programs.ts [seed] [runs]`.
import fc from "fast-check";
import { describe, it } from "vitest";
import { check, recipe } from "./programs";

describe("compiled gradients equal eager gradients on random programs", () => {
  it("200 programs, fixed seed", () => {
    fc.assert(fc.property(recipe, (r) => { check(r); }), { seed: 20261125, numRuns: 200 });
  });
});
