// Where code generation is refused (a page whose Content-Security-Policy lacks 'unsafe-eval'),
// eager kernels are interpreted from the same plans. This file refuses generation for its own
// module instances (vitest isolates test files) and replays every op golden case eagerly against
// PyTorch: values and gradients.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { backend } from "../../backend/index";
import { refuseCodegenForTests } from "../../backend/js/prelude";
import { compile, type DType, F, grad, type Tensor, tensor, valueAndGrad } from "../../index";

refuseCodegenForTests();

interface Spec {
  data: number[];
  shape: number[];
  dtype: DType;
  requiresGrad: boolean;
}
interface OpCase {
  name: string;
  kind: string;
  fn: string;
  self?: Spec;
  pre?: { fn: string; args?: unknown[] }[];
  args: unknown[];
  field?: "values" | "indices" | 0 | 1;
  out: { data: number[]; shape: number[]; dtype: DType };
  upstream: Spec | null;
  grads: ({ data: number[] } | null)[];
}
const { cases } = JSON.parse(
  readFileSync(join(import.meta.dirname, "../golden/ops.json"), "utf8"),
) as { cases: OpCase[] };
const isSpec = (a: unknown): a is Spec => typeof a === "object" && a !== null && "data" in a;
const make = (s: Spec) =>
  tensor(s.data, { shape: s.shape, dtype: s.dtype, requiresGrad: s.requiresGrad });
const method = (t: Tensor, fn: string) =>
  fn === "T"
    ? () => t.T
    : fn === "split0" || fn === "splitLast" // one piece of split's list
      ? (...a: unknown[]) => {
          const pieces = t.split(...(a as [number]));
          return fn === "split0" ? pieces[0] : pieces[pieces.length - 1];
        }
      : (t as unknown as Record<string, (...a: unknown[]) => Tensor>)[fn].bind(t);

function close(got: number[], want: number[], what: string) {
  expect(got.length, what).toBe(want.length);
  got.forEach((v, i) => {
    const w = want[i];
    if (!Number.isFinite(w) || Math.abs(v - w) > 1e-6 + 1e-5 * Math.abs(w))
      expect(v, `${what}[${i}]`).toBe(w);
  });
}

describe("eager ops with code generation refused: interpreted plans agree with PyTorch", () => {
  it("the backend reports that it generates no code", () => expect(backend.generates).toBe(false));
  // (F.* cases: torch.nn.functional's, called on jitgrad's F)
  const functional = (c: OpCase) => c.fn.startsWith("F.");
  for (const c of cases.filter(
    (c) => c.kind === "op" && (c.self || functional(c)) && c.fn !== "backward",
  )) {
    it(c.name, () => {
      const inputs: Tensor[] = [];
      const conv = (a: unknown): unknown => {
        if (isSpec(a)) return inputs[inputs.push(make(a)) - 1];
        if (a && typeof a === "object" && "ref" in a) return inputs[(a as { ref: number }).ref];
        if (Array.isArray(a) && a.length && a.every((x) => typeof x === "object" && x))
          return a.map(conv);
        return a;
      };
      let self = (c.self ? conv(c.self) : undefined) as Tensor;
      const args = c.args.map(conv);
      for (const step of c.pre ?? []) self = method(self, step.fn)(...(step.args ?? []));
      const result = functional(c)
        ? (F as unknown as Record<string, (...a: unknown[]) => Tensor>)[c.fn.slice(2)](...args)
        : method(self, c.fn)(...args);
      const out =
        c.field !== undefined
          ? (result as unknown as Record<string | number, Tensor>)[c.field]
          : result;
      close(out.values(), c.out.data, "out");
      if (c.upstream) {
        out.backward(make(c.upstream));
        c.grads.forEach((g, i) => {
          if (g) close(inputs[i].grad!.values(), g.data, `grad ${i}`);
        });
      }
    });
  }
});

describe("compile(), grad() and valueAndGrad() with code generation refused: run eagerly", () => {
  it("give eager's values and gradients, and say in explain() that nothing was compiled", () => {
    const f = (x: Tensor) => x.mul(2).exp().sub(x).sum();
    const x = tensor([0.1, 0.2, 0.3], { requiresGrad: true });
    const c = compile(f);
    const y = c(x);
    y.backward();
    const want = tensor([0.1, 0.2, 0.3], { requiresGrad: true });
    const yw = f(want);
    yw.backward();
    expect(y.item()).toBe(yw.item());
    expect(x.grad!.values()).toEqual(want.grad!.values());
    expect(c.explain(x).code).toMatch(/not compiled/);
    const [v, g] = valueAndGrad(f)(tensor([0.1, 0.2, 0.3]));
    expect(v.item()).toBe(yw.item());
    expect(g.values()).toEqual(want.grad!.values());
    expect(grad(f)(tensor([0.1, 0.2, 0.3])).values()).toEqual(want.grad!.values());
  });
  it("nest: grad(grad(f)) is the second derivative", () => {
    const f = (x: Tensor) => x.pow(3).sum();
    const x = tensor([0.5, -1, 2], { dtype: "float64" });
    expect(grad((x: Tensor) => grad(f)(x).sum())(x).tolist()).toEqual([3, -6, 12]); // 6x
  });
});
