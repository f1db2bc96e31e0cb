// The PyTorch golden fixtures (test/golden/ops.json, schema at the top of test/golden/make_golden.py)
// as the eager and compiled replays read them: their types, tensors made from specs, and the call of
// a case's function in jitgrad's spelling.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import type { DType, Tensor } from "../../index";
import * as jg from "../../index";
import { fromSpec, isSpec } from "./spec";

export interface Spec {
  data: number[];
  shape: number[];
  dtype: DType;
  requiresGrad: boolean;
}
export type FArg =
  | Spec
  | { ref: number }
  | FArg[]
  | number
  | boolean
  | number[]
  | null
  | Record<string, unknown>;
export interface Out {
  data: number[];
  shape: number[];
  dtype: DType;
}
export interface OpCase {
  name: string;
  kind: "op";
  fn: string;
  self?: Spec;
  pre?: { fn: string; args?: FArg[] }[];
  args: FArg[];
  field?: "values" | "indices" | 0 | 1; // the op returns { values, indices } or a pair: the case checks this one
  out: Out;
  upstream: Spec | null;
  grads: (Out | null)[];
  repr: string;
  gradFn: string | null;
}

const fixtures: { cases: { kind: string }[] } = JSON.parse(
  readFileSync(join(import.meta.dirname, "../golden/ops.json"), "utf8"),
);
export const opCases = fixtures.cases.filter((c): c is OpCase => c.kind === "op");

export { isSpec };
// (fromSpec sets requiresGrad only on floating dtypes, as the fixtures only ask it there)
export const make = (s: Spec) => fromSpec(s, s.requiresGrad);

// jitgrad's spelling of a fixture call: a Tensor method (or property, for "T"), an index.ts
// function, or F's ("F.name").
export function call(fn: string, self: Tensor | undefined, args: unknown[]): unknown {
  if (!self) {
    // "F.name": a function of jitgrad's F (torch.nn.functional)
    const ns = fn.startsWith("F.") ? jg.F : jg;
    const name = fn.startsWith("F.") ? fn.slice(2) : fn;
    return (ns as unknown as Record<string, (...a: unknown[]) => unknown>)[name](...args);
  }
  if (fn === "T") return self.T;
  // one piece of split's list (fixture outputs are single tensors)
  if (fn === "split0" || fn === "splitLast") {
    const pieces = self.split(...(args as [number]));
    return fn === "split0" ? pieces[0] : pieces[pieces.length - 1];
  }
  if (fn === "backward")
    return self.backward(
      (args[0] ?? undefined) as Tensor | undefined,
      (args[1] ?? {}) as { retainGraph?: boolean },
    );
  const method = (self as unknown as Record<string, unknown>)[fn];
  if (typeof method !== "function") throw new Error(`jitgrad has no Tensor method ${fn}`);
  return (method as (...a: unknown[]) => unknown).apply(self, args);
}

// Builds a case's inputs (self first, then args in order) and the arguments to pass.
export function materialize(
  self: Spec | undefined,
  args: FArg[],
  vars: Record<string, Tensor> = {},
) {
  const inputs: Tensor[] = [];
  const conv = (a: FArg): unknown => {
    if (isSpec(a)) {
      inputs.push(make(a));
      return inputs[inputs.length - 1];
    }
    if (a && typeof a === "object" && "ref" in a) return inputs[a.ref as number];
    if (a && typeof a === "object" && "var" in a) return vars[a.var as string];
    if (Array.isArray(a) && a.length && a.every((x) => typeof x === "object" && x !== null))
      return a.map(conv);
    return a;
  };
  const s = self ? (conv(self) as Tensor) : undefined;
  return { inputs, self: s, args: args.map(conv) };
}

// float32 tolerance: PyTorch and jitgrad may round differently in the last bits.
// (tol: a looser relative tolerance, for results of longer computations such as second derivatives)
export function expectClose(actual: Tensor, want: Out, what: string, tol = 1e-5) {
  expect(actual.shape, `${what} shape`).toEqual(want.shape);
  expect(actual.dtype, `${what} dtype`).toBe(want.dtype);
  const got = actual.values();
  expect(got.length, `${what} numel`).toBe(want.data.length);
  const exact = actual.dtype === "int32" || actual.dtype === "bool";
  got.forEach((v, i) => {
    const w = want.data[i];
    if (exact || !Number.isFinite(w)) {
      expect(v, `${what}[${i}]`).toBe(w);
    } else if (Math.abs(v - w) > tol / 10 + tol * Math.abs(w)) {
      expect.fail(`${what}[${i}]: got ${v}, PyTorch ${w} (|diff| ${Math.abs(v - w)})`);
    }
  });
}

// A fixture op case run through jitgrad: its inputs and its output (the field the case checks,
// when the op returns several).
export function runOpCase(c: OpCase): { inputs: Tensor[]; out: Tensor } {
  const { inputs, self, args } = materialize(c.self, c.args);
  const receiver = (c.pre ?? []).reduce(
    (t, step) => call(step.fn, t, (step.args ?? []) as unknown[]) as Tensor,
    self,
  );
  const result = call(c.fn, receiver, args);
  const out = (
    c.field !== undefined ? (result as Record<string | number, Tensor>)[c.field] : result
  ) as Tensor;
  return { inputs, out };
}
