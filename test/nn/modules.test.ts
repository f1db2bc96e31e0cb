// nn modules against PyTorch 1.13 (test/golden/modules.json, written by
// test/golden/make_modules_golden.py): default initialization under manualSeed (draw for draw),
// the printed repr, outputs, grad_fn names, gradients and running statistics; then each module
// compiled against itself run eagerly.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CompileError, compile, manualSeed, nn, noGrad, type Tensor } from "../../index";
import { expectClose as close, isSpec, fromSpec as make, type Spec } from "../support/spec";

// modules.json's tolerance: 1e-5 relative, 1e-6 absolute
const expectClose = (t: Tensor | null | undefined, want: Spec, rtol = 1e-5, atol = 1e-6) =>
  close(t, want, rtol, atol);

type State = Record<string, Spec>;
interface Case {
  name: string;
  seed: number;
  ctor: { kind: string; args: unknown[]; opts: Record<string, unknown> };
  mode: "train" | "eval" | "warm";
  warm: Spec | null;
  init: State;
  repr: string;
  inputs: Spec[];
  out: Spec;
  upstream: Spec | null;
  gradInputs: (Spec | null)[];
  grads: State;
  after: State;
  gradFn: string | null;
  field?: number; // the element of a tuple output checked (MaxPool2d's [output, indices])
}
const golden: { modules: Case[]; trees: Record<string, string> } = JSON.parse(
  readFileSync(join(import.meta.dirname, "../golden/modules.json"), "utf8"),
);

function expectState(m: nn.AnyModule, want: State, atol: number): void {
  const got = m.stateDict();
  expect(Object.keys(got)).toEqual(Object.keys(want));
  for (const k of Object.keys(want)) expectClose(make(got[k]), want[k], 0, atol);
}

type Ctor = new (...a: unknown[]) => nn.AnyModule;
function build(c: Case): nn.AnyModule {
  const ctor = (nn as unknown as Record<string, Ctor>)[c.ctor.kind];
  const opts = Object.fromEntries(
    Object.entries(c.ctor.opts).map(([k, v]) => [k, isSpec(v) ? make(v) : v]),
  );
  const m = new ctor(...c.ctor.args, ...(Object.keys(opts).length ? [opts] : []));
  if (c.mode === "eval") m.eval();
  return m;
}
// builds the case's module (after manualSeed) and brings it to the case's mode
function prepared(c: Case): nn.AnyModule {
  manualSeed(c.seed);
  const m = build(c);
  if (c.mode === "warm") {
    noGrad(() => m.forward(make(c.warm!)));
    m.eval();
  }
  return m;
}
type Forward = (...xs: Tensor[]) => Tensor | Tensor[];
// forward and backward of sum(out * upstream)
function run(m: nn.AnyModule, c: Case, f: Forward = (...xs) => m.forward(...xs)) {
  const ins = c.inputs.map((s) => make(s, true));
  const result = f(...ins);
  const out = c.field === undefined ? (result as Tensor) : (result as Tensor[])[c.field];
  if (c.upstream && out.requiresGrad) out.mul(make(c.upstream)).sum().backward();
  return { ins, out };
}
// training-mode dropout draws at every call, and a cumulative batch-norm average reads its count:
// compile() refuses both
const refused = (c: Case) =>
  c.mode === "train" &&
  (c.ctor.kind.startsWith("Dropout") ||
    (c.ctor.kind.startsWith("BatchNorm") && c.ctor.opts.momentum === null));
const tol = (c: Case) => (c.out.dtype === "float64" ? 1e-10 : 1e-5);

describe("modules against PyTorch: default initialization, repr, forward, backward", () => {
  for (const c of golden.modules) {
    it(c.name, () => {
      const m = prepared(c);
      manualSeed(c.seed);
      expectState(build(c), c.init, 0); // draw for draw
      expect(String(m)).toBe(c.repr);
      const { ins, out } = run(m, c);
      expectClose(out, c.out, tol(c), tol(c));
      expect(out.gradFn?.name ?? null).toBe(c.gradFn); // PyTorch's grad_fn name
      c.gradInputs.forEach((g, i) => {
        if (g) expectClose(ins[i].grad, g, tol(c), tol(c));
        else expect(ins[i].grad).toBeNull();
      });
      const params = new Map(m.namedParameters());
      expect([...params.keys()].filter((k) => params.get(k)!.grad).sort()).toEqual(
        Object.keys(c.grads).sort(),
      );
      for (const [k, g] of Object.entries(c.grads))
        expectClose(params.get(k)!.grad, g, tol(c), tol(c));
      expectState(m, c.after, tol(c));
    });
  }
});

describe("each module compiled equals itself run eagerly", () => {
  for (const c of golden.modules) {
    it(c.name, () => {
      const eagerModule = prepared(c),
        eager = run(eagerModule, c);
      const m = prepared(c);
      const f = compile((...xs: Tensor[]) => m.forward(...xs));
      if (refused(c)) {
        expect(() => run(m, c, f)).toThrow(CompileError);
        return;
      }
      const compiled = run(m, c, f);
      const asSpec = (t: Tensor): Spec => ({ shape: t.shape, dtype: t.dtype, data: t.values() });
      expect(f.stats.compiles).toBe(1);
      expectClose(compiled.out, asSpec(eager.out), 1e-5, 1e-6);
      // (gradients: compiled kernels keep intermediates in double, batch norm's backward cancels)
      compiled.ins.forEach((t, i) => {
        const g = eager.ins[i].grad;
        if (g) expectClose(t.grad, asSpec(g), 1e-4, 1e-5);
        else expect(t.grad).toBeNull();
      });
      const eagerParams = new Map(eagerModule.namedParameters());
      for (const [k, p] of m.namedParameters()) {
        const g = eagerParams.get(k)!.grad;
        if (g) expectClose(p.grad, asSpec(g), 1e-4, 1e-5);
        else expect(p.grad).toBeNull();
      }
      const want = eagerModule.stateDict();
      for (const [k, s] of Object.entries(m.stateDict())) expectClose(make(s), want[k], 1e-5, 1e-6);
    });
  }
});

describe("coverage", () => {
  it("every module class nn exports has golden cases (containers: module-api.test.ts)", () => {
    const containers = new Set(["Module", "Sequential", "ModuleList", "ModuleDict"]);
    const classes = Object.entries(nn)
      .filter(([, v]) => typeof v === "function" && v.prototype instanceof nn.Module)
      .map(([k]) => k)
      .filter((k) => !containers.has(k));
    const covered = new Set(golden.modules.map((c) => c.ctor.kind));
    expect(classes.length).toBeGreaterThan(60); // 65 when written
    expect(classes.filter((k) => !covered.has(k))).toEqual([]);
  });
});
