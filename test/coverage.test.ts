// Op coverage: every primitive of the op table (ir/ops.ts) is exercised by each list that checks
// ops one by one, so a new op cannot skip them:
// - golden: the PyTorch fixtures' op cases (test/golden/ops.json, replayed eagerly by
//   test/eager/golden.test.ts and compiled by test/autodiff/golden.test.ts);
// - gradcheck: the eager gradcheck cases (test/support/gradcheck-cases.ts) and the composite
//   programs (test/support/composites.ts, gradchecked eagerly and compiled), counting only ops on a
//   differentiable path from an input that requires grad to the output;
// - differential: the random program generator (test/support/programs.ts) behind the compiled vs
//   eager property tests, on a fixed sample of its programs.
// Each case is traced (compiler/trace.ts) to see which primitives it records. An op that cannot be
// in a list is in that list's exemptions, with the reason; an exemption that is no longer needed
// fails the test too, so the lists stay exact.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { dependents } from "../compiler/autodiff";
import { trace } from "../compiler/trace";
import { manualSeed, type Tensor } from "../index";
import type { Value } from "../ir/graph";
import { type OpName, ops } from "../ir/ops";
import { caseFunction, opCases } from "./autodiff/helpers";
import { composites } from "./support/composites";
import { gradcheckGroups } from "./support/gradcheck-cases";
import { build, makeInputs, recipe, run } from "./support/programs";

type List = "golden" | "gradcheck" | "differential";

const notDifferentiable = "not differentiable (its VJP is null): gradients never flow through it";
// ops of backward graphs only (max pooling's gradient and its adjoint): the cases trace forwards;
// test/autograd/golden.test.ts checks max pooling's second derivatives against PyTorch
const ONLY_BACKWARD = "only in backward graphs, checked by the second-derivative golden cases";
const EXEMPT: Record<List, Partial<Record<OpName, string>>> = {
  golden: {
    maxPoolBackward:
      "max pooling's input gradient, not public: the golden max pooling cases check its values as their gradients",
    convWeight:
      "conv2d's weight gradient, not public: PyTorch has no function to compare with; the golden conv cases check its values as their weight gradients",
    maxPoolSelect:
      "max pooling's double backward, not public: test/autograd/golden.test.ts checks its values as second derivatives of the max pooling cases",
    custom:
      "a custom autograd Function's output inside a traced graph: test/autograd/ checks Functions against PyTorch (golden.test.ts) and compiled against eager (compiled.test.ts)",
  },
  gradcheck: {
    eq: notDifferentiable,
    ne: notDifferentiable,
    lt: notDifferentiable,
    le: notDifferentiable,
    gt: notDifferentiable,
    ge: notDifferentiable,
    logicalOr: notDifferentiable,
    logicalNot: notDifferentiable,
    detach: notDifferentiable,
    maxPoolBackward: ONLY_BACKWARD,
    maxPoolSelect: ONLY_BACKWARD,
    maxPoolIndices: notDifferentiable, // where the maxima are (int32)
    argsort: notDifferentiable, // sort/topk/kthvalue's positions; their values differentiate through gather
    bitwiseAnd: notDifferentiable,
    bitwiseOr: notDifferentiable,
    bitwiseXor: notDifferentiable,
    bitwiseNot: notDifferentiable,
    bitwiseLeftShift: notDifferentiable,
    bitwiseRightShift: notDifferentiable,
  },
  differential: {
    maxPoolSelect: "only in double-backward graphs (of max pooling), which test/autograd checks",
    custom:
      "made only by autograd.Function inside compile(); test/autograd/compiled.test.ts compares those compiled and eager",
    maxPoolBackward:
      "only in backward graphs (max pooling's gradient): the grad-mode programs that max-pool compare it",
    // integer-only: the generator builds float programs (the golden cases run these compiled too)
    bitwiseAnd: "integer and bool only; the random programs compute on floats",
    bitwiseOr: "integer and bool only; the random programs compute on floats",
    bitwiseXor: "integer and bool only; the random programs compute on floats",
    bitwiseNot: "integer only; the random programs compute on floats",
    bitwiseLeftShift: "integer only; the random programs compute on floats",
    bitwiseRightShift: "integer only; the random programs compute on floats",
  },
};

const ALL = Object.keys(ops) as OpName[];

// The primitives tracing `fn` on `inputs` records; with `differentiated`, only those on a
// differentiable path from an input that requires grad to an output.
function opsOf(
  fn: (...xs: Tensor[]) => Tensor | Tensor[],
  inputs: Tensor[],
  differentiated = false,
): OpName[] {
  const t = trace(fn as Parameters<typeof trace>[0], inputs),
    g = t.graph;
  const primals: Tensor[] = [];
  t.argSlots.forEach((slot, i) => {
    if (slot !== null) primals[slot] = inputs[i];
  });
  primals.push(...t.captured);
  const fromGrad = dependents(
    g,
    g.inputs.filter((_, slot) => primals[slot].requiresGrad),
  );
  const toOutput = new Set<Value>();
  const visit = (v: Value) => {
    if (!toOutput.has(v)) {
      toOutput.add(v);
      v.inputs.forEach(visit);
    }
  };
  g.outputs.forEach(visit);
  return g.values
    .filter((v) => !differentiated || (fromGrad.has(v) && toOutput.has(v)))
    .flatMap((v) => (v.op === "input" || v.op === "const" ? [] : [v.op]));
}

const covered: Record<List, () => Set<OpName>> = {
  golden() {
    const out = new Set<OpName>();
    for (const c of opCases) {
      const { fn, inputs } = caseFunction(c);
      for (const op of opsOf(fn, inputs())) out.add(op);
    }
    return out;
  },
  gradcheck() {
    const out = new Set<OpName>();
    const cases = [
      ...Object.values(gradcheckGroups).flat(),
      ...composites.map((c) => ({ make: () => ({ fn: c.fn, inputs: c.inputs() }) })),
    ];
    for (const c of cases) {
      manualSeed(0);
      const { fn, inputs } = c.make();
      for (const op of opsOf(fn, inputs, true)) out.add(op);
    }
    return out;
  },
  differential() {
    const out = new Set<OpName>();
    for (const r of fc.sample(recipe, { seed: 20251125, numRuns: 600 })) {
      for (const mode of ["forward", "grad"] as const) {
        const p = build(r, mode);
        for (const op of opsOf((...xs) => run(p, xs), makeInputs(p, r.seed))) out.add(op);
      }
    }
    return out;
  },
};

describe("every op of the op table is covered", () => {
  for (const list of Object.keys(covered) as List[]) {
    it(`by the ${list} cases (or exempted, with a reason)`, () => {
      const seen = covered[list](),
        exempt = EXEMPT[list];
      const missing = ALL.filter((op) => !seen.has(op) && !(op in exempt));
      const stale = Object.keys(exempt).filter((op) => seen.has(op as OpName));
      expect(missing, `ops no ${list} case exercises: add cases, or exempt them`).toEqual([]);
      expect(stale, `exempt from ${list} but covered: drop the exemption`).toEqual([]);
    });
  }

  it("the exemptions name ops of the op table, and gradcheck exempts only what has no VJP", () => {
    for (const exempt of Object.values(EXEMPT))
      for (const op of Object.keys(exempt)) expect(ALL).toContain(op);
    for (const op of Object.keys(EXEMPT.gradcheck) as OpName[])
      if (EXEMPT.gradcheck[op] !== ONLY_BACKWARD) expect(ops[op].vjp, op).toBeNull();
  });
});
