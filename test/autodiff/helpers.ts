// Shared by the compiled-autodiff tests: the PyTorch golden fixtures (test/support/golden.ts)
// replayed as compiled functions, float32 comparisons, a float64 finite-difference gradcheck, and a
// small parser for explain()'s IR text and code.
import { expect } from "vitest";
import { Tensor } from "../../index";

// ---- fixtures (test/support/golden.ts) ----
export {
  call,
  type FArg,
  make,
  type OpCase,
  type Out,
  opCases,
  type Spec,
} from "../support/golden";

import { call, type FArg, isSpec, make, type OpCase, type Out, type Spec } from "../support/golden";

// A fixture case as a function of its input tensors (self first, then args in order, lists
// flattened, as the fixture numbers them), so that it can be compiled: tensor specs and refs
// become parameters, everything else stays a literal.
export function caseFunction(c: OpCase): {
  fn: (...xs: Tensor[]) => Tensor;
  specs: Spec[];
  inputs: () => Tensor[];
} {
  const specs: Spec[] = [];
  const conv = (a: FArg): ((xs: Tensor[]) => unknown) => {
    if (isSpec(a)) {
      const i = specs.push(a) - 1;
      return (xs) => xs[i];
    }
    if (a && typeof a === "object" && !Array.isArray(a) && "ref" in a)
      return (xs) => xs[a.ref as number];
    if (Array.isArray(a) && a.length && a.every((x) => typeof x === "object" && x !== null)) {
      const parts = a.map(conv);
      return (xs) => parts.map((p) => p(xs));
    }
    return () => a;
  };
  const self = c.self ? conv(c.self) : undefined;
  const args = c.args.map(conv);
  const fn = (...xs: Tensor[]): Tensor => {
    const receiver =
      self &&
      (c.pre ?? []).reduce(
        (t, step) => call(step.fn, t, (step.args ?? []) as unknown[]) as Tensor,
        self(xs) as Tensor,
      );
    const out = call(
      c.fn,
      receiver,
      args.map((a) => a(xs)),
    );
    return (
      c.field !== undefined ? (out as Record<string | number, Tensor>)[c.field] : out
    ) as Tensor;
  };
  return { fn, specs, inputs: () => specs.map(make) };
}

// ---- comparisons ----
// float32 tolerance: PyTorch, eager and compiled kernels may round differently in the last bits.
export const TOL = { atol: 1e-6, rtol: 1e-5 };

export function expectClose(
  actual: Tensor | null,
  want: Out | Tensor,
  what: string,
  tol = TOL,
): void {
  expect(actual, `${what} is a tensor`).toBeInstanceOf(Tensor);
  const wantData = want instanceof Tensor ? want.values() : want.data;
  expect(actual!.shape, `${what} shape`).toEqual(want.shape);
  expect(actual!.dtype, `${what} dtype`).toBe(want.dtype);
  const got = actual!.values();
  expect(got.length, `${what} numel`).toBe(wantData.length);
  const exact = actual!.dtype === "int32" || actual!.dtype === "bool";
  got.forEach((v, i) => {
    const w = wantData[i];
    if (exact || !Number.isFinite(w)) {
      if (!Object.is(v, w) && !(Number.isNaN(v) && Number.isNaN(w)) && v !== w)
        expect.fail(`${what}[${i}]: got ${v}, want ${w}`);
    } else if (!(Math.abs(v - w) <= tol.atol + tol.rtol * Math.abs(w))) {
      expect.fail(
        `${what}[${i}]: got ${v}, want ${w} (|diff| ${Math.abs(v - w)})\n got:  ${got.join(", ")}\n want: ${wantData.join(", ")}`,
      );
    }
  });
}

// ---- gradcheck ----
export { GC, gradcheck } from "../support/gradcheck";

// ---- explain() ----
export interface IrValue {
  id: number;
  op: string;
  args: number[];
  params: string;
  shape: number[];
  dtype: string;
  note: string;
  slot?: number;
}
export interface IrSection {
  values: Map<number, IrValue>;
  outputs: number[];
}

// One section of explain().ir (`%4 = mul %2, %3 {..} : f32[8,3]  // note`, then `return %a, %b`).
export function parseIr(text: string): IrSection {
  const values = new Map<number, IrValue>();
  let outputs: number[] = [];
  for (const line of text.split("\n")) {
    const ret = /^return ?(.*)$/.exec(line);
    if (ret) {
      outputs = ret[1] ? ret[1].split(", ").map((s) => Number(s.slice(1))) : [];
      continue;
    }
    const m = /^%(\d+) = (\S+) ?(.*?) : (\w+)\[([\d,]*)\](?:\s+\/\/ (.*))?$/.exec(line);
    if (!m) continue;
    const [, id, op, rest, dtype, shape, note] = m;
    const v: IrValue = {
      id: Number(id),
      op,
      args: [],
      params: "",
      shape: shape ? shape.split(",").map(Number) : [],
      dtype,
      note: note ?? "",
    };
    if (op === "input") v.slot = Number(rest);
    else if (op !== "const") {
      const brace = rest.indexOf(" {");
      v.params = brace >= 0 ? rest.slice(brace + 1) : "";
      v.args = (brace >= 0 ? rest.slice(0, brace) : rest)
        .split(", ")
        .filter(Boolean)
        .map((s) => Number(s.slice(1)));
    }
    values.set(v.id, v);
  }
  return { values, outputs };
}

// explain().ir of an autograd entry: "# forward\n...\n# backward\n...".
export function splitIr(ir: string): { forward: IrSection; backward: IrSection } {
  const [fw, bw] = ir.split("# backward\n");
  return { forward: parseIr(fw.replace("# forward\n", "")), backward: parseIr(bw ?? "") };
}

// The input slots a value depends on.
export function inputsOf(
  s: IrSection,
  id: number,
  memo = new Map<number, Set<number>>(),
): Set<number> {
  const hit = memo.get(id);
  if (hit) return hit;
  const v = s.values.get(id)!;
  const out = new Set<number>();
  if (v.op === "input") out.add(v.slot!);
  for (const a of v.args) for (const x of inputsOf(s, a, memo)) out.add(x);
  memo.set(id, out);
  return out;
}

// Buffers the generated code passes between kernels or returns, per kernel prefix ("k" forward,
// "kb" backward): the `b<id>` parameters of every generated function, and the result of every
// library (matmul/pad) kernel (`// kb1_matmul_40: %13 = matmul ...`).
export function buffers(code: string, prefix: "k" | "kb"): Set<number> {
  const out = new Set<number>();
  for (const m of code.matchAll(/function (k|kb)\d+_\w*\(([^)]*)\)/g)) {
    if (m[1] !== prefix) continue;
    for (const p of m[2].split(",").map((s) => s.trim()))
      if (/^b\d+$/.test(p)) out.add(Number(p.slice(1)));
  }
  for (const m of code.matchAll(/^\/\/ (k|kb)\d+_\w+: %(\d+) = /gm))
    if (m[1] === prefix) out.add(Number(m[2]));
  return out;
}
