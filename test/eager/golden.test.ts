// Replays PyTorch's golden fixtures (test/golden/ops.json, written by test/golden/make_golden.py)
// through jitgrad's public API: values, shapes, dtypes, gradients, repr, grad_fn names and error
// messages. The schema is described at the top of make_golden.py.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Tensor } from "../../index";
import {
  type FArg as Arg,
  call,
  expectClose,
  make,
  materialize,
  type OpCase,
  runOpCase,
  type Spec,
} from "../support/golden";

interface ErrorCase {
  name: string;
  kind: "error";
  fn: string;
  self?: Spec;
  args: Arg[];
  error: string;
}
type Step =
  | { let?: string; on?: string; fn: string; args?: Arg[] }
  | { on: string; set: "requiresGrad"; value: boolean };
interface ProgramCase {
  name: string;
  kind: "program";
  vars: Record<string, Spec>;
  steps: Step[];
  error: string;
}
type Case = OpCase | ErrorCase | ProgramCase;

const fixtures: { torch: string; cases: Case[] } = JSON.parse(
  readFileSync(join(import.meta.dirname, "../golden/ops.json"), "utf8"),
);
const cases = fixtures.cases;

// Everything observable about a tensor that a failed call must not change.
const snapshot = (t: Tensor) => ({
  values: t.values(),
  shape: [...t.shape],
  strides: [...t.strides],
  dtype: t.dtype,
  version: t.version.n,
  requiresGrad: t.requiresGrad,
  gradFn: t.gradFn,
  grad: t.grad ? t.grad.values() : null,
  storage: t.storage,
});

function expectThrowsExactly(fn: () => unknown, message: string) {
  let error: unknown = null;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error, "expected an error").toBeInstanceOf(Error);
  expect((error as Error).message.split("\n")[0]).toBe(message);
}

describe(`golden fixtures from PyTorch`, () => {
  it("has the fixtures", () => {
    expect(cases.length).toBeGreaterThan(400);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
  });

  describe("ops", () => {
    for (const c of cases.filter((c): c is OpCase => c.kind === "op")) {
      it(c.name, () => {
        const { inputs, out } = runOpCase(c);
        expect(out).toBeInstanceOf(Tensor);
        expectClose(out, c.out, "out");
        expect(out.gradFn?.name ?? null, "gradFn").toBe(c.gradFn);
        expect(out.toString(), "repr").toBe(c.repr);
        if (c.upstream) {
          out.backward(make(c.upstream));
          inputs.forEach((t, i) => {
            const want = c.grads[i];
            if (want === null) expect(t.grad, `grad of input ${i}`).toBeNull();
            else expectClose(t.grad!, want, `grad of input ${i}`);
          });
        } else {
          expect(out.requiresGrad).toBe(false);
        }
      });
    }
  });

  describe("errors", () => {
    for (const c of cases.filter((c): c is ErrorCase => c.kind === "error")) {
      it(c.name, () => {
        const { inputs, self, args } = materialize(c.self, c.args);
        const before = inputs.map(snapshot);
        expectThrowsExactly(() => call(c.fn, self, args), c.error);
        expect(inputs.map(snapshot), "inputs unchanged").toEqual(before);
      });
    }
  });

  describe("autograd programs", () => {
    for (const c of cases.filter((c): c is ProgramCase => c.kind === "program")) {
      it(c.name, () => {
        const vars: Record<string, Tensor> = Object.fromEntries(
          Object.entries(c.vars).map(([k, s]) => [k, make(s)]),
        );
        const run = (step: Step) => {
          if ("set" in step) {
            vars[step.on].requiresGrad = step.value;
            return;
          }
          const { self, args } = materialize(undefined, step.args ?? [], vars);
          const r = call(step.fn, step.on ? vars[step.on] : self, args);
          if (step.let) vars[step.let] = r as Tensor;
        };
        c.steps.slice(0, -1).forEach(run);
        const before = Object.values(vars).map(snapshot);
        expectThrowsExactly(() => run(c.steps[c.steps.length - 1]), c.error);
        expect(Object.values(vars).map(snapshot), "tensors unchanged").toEqual(before);
      });
    }
  });
});
