// Property-based differential test for gradients: random differentiable programs (see
// test/support/programs.ts, "grad" mode), compiled forward + backward against eager autograd, and
// valueAndGrad against eager.
//
// The seed is fixed so a run is reproducible; change it with JITGRAD_FUZZ_SEED (a number, or
// "random" for a fresh one, printed) and the number of cases with JITGRAD_FUZZ_RUNS:
//   JITGRAD_FUZZ_SEED=random JITGRAD_FUZZ_RUNS=2000 npx vitest run test/autodiff/property.test.ts
// A failure prints the shrunk program as JavaScript; `npx tsx test/autodiff/fuzz.ts <seed> <runs>`
// reproduces it outside vitest.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { tensor } from "../../index";
import {
  build,
  fuzzSettings,
  METHODS,
  makeInputs,
  mismatch,
  recipe,
  run,
  upstreams,
} from "../support/programs";
import { check, TOL } from "./fuzz";

const FIXED_SEED = 20261125; // the generator checks below always use it
const { seed: SEED, runs: RUNS, fromEnv } = fuzzSettings(FIXED_SEED, 200);

describe("compiled gradients equal eager gradients on random programs", () => {
  it(`agrees on ${RUNS} programs (seed ${SEED})`, () => {
    if (fromEnv) console.log(`gradient property test: seed ${SEED}, ${RUNS} runs`);
    fc.assert(
      fc.property(recipe, (r) => {
        check(r);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it("the generator covers every op and input kind, and every output needs grad", () => {
    const methods = new Set<string>();
    let noGradInput = 0,
      nonContiguousLeaf = 0,
      zeroD = 0,
      f64 = 0,
      broadcast = 0,
      twoOutputs = 0,
      functional = 0;
    for (const r of fc.sample(recipe, { seed: FIXED_SEED, numRuns: 400 })) {
      const program = build(r, "grad");
      program.instrs.forEach((i) => methods.add(i.method));
      expect(program.inputs[0].requiresGrad).toBe(true);
      for (const x of program.inputs) {
        if (!x.requiresGrad) noGradInput++;
        if (x.transposed && x.requiresGrad) nonContiguousLeaf++;
        if (x.shape.length === 0) zeroD++;
        if (x.dtype === "float64") f64++;
        if (x.shape.includes(1)) broadcast++;
      }
      if (program.outputs.length > 1) twoOutputs++;
      if (r.functional) functional++;
      const xs = makeInputs(program, r.seed);
      for (const out of run(program, xs)) expect(out.requiresGrad).toBe(true);
      expect(xs.every((x) => x.isLeaf)).toBe(true);
    }
    for (const m of METHODS) expect(methods, m).toContain(m);
    for (const [what, n] of Object.entries({
      noGradInput,
      nonContiguousLeaf,
      zeroD,
      f64,
      broadcast,
      twoOutputs,
      functional,
    }))
      expect(n, what).toBeGreaterThan(10);
  });

  it("the comparison catches a wrong gradient (the harness is not vacuous)", () => {
    const want = tensor([1, -100, 3]);
    expect(mismatch("g", want.add(0.01), want, TOL)).toBeNull(); // atol scales with the largest |value|
    expect(mismatch("g", want.add(0.1), want, TOL)).toMatch(/element 0/);
    expect(mismatch("g", null, want, TOL)).toMatch(/null/);
    expect(mismatch("g", null, null, TOL)).toBeNull();
    expect(upstreams([[2, 3]], 5)[0].values()).toEqual(upstreams([[2, 3]], 5)[0].values());
  });
});
