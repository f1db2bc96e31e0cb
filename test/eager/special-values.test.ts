// NaN, infinities and signed zeros through every elementwise op and reduction, eager and compiled,
// against PyTorch 1.13 (test/golden/special.json, written by test/golden/make_special_golden.py).
// Special results (NaN, +-inf, +-0) must match exactly, sign of zero included; other values to
// float32 rounding (PyTorch's float32 transcendental functions may differ by an ulp). One
// exception: the sign of a zero that maximum/minimum pick from tied zeros, which in PyTorch itself
// depends on the tensor's length (its vectorized loop picks the other operand than its scalar one).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compile, type DType, type Tensor, tensor } from "../../index";

interface Case {
  op: string;
  dtype: DType;
  args: (string | number)[][];
  out: (string | number)[];
  outDtype: DType;
}
const { cases } = JSON.parse(
  readFileSync(join(import.meta.dirname, "../golden/special.json"), "utf8"),
) as { cases: Case[] };

const num = (v: string | number) =>
  typeof v === "number" ? v : Number(v.replace("inf", "Infinity"));
const unary: Record<string, (x: Tensor) => Tensor> = {
  bool: (x) => x.bool(),
  logicalNot: (x) => x.logicalNot(),
};
const reductions = new Set(["sum", "max", "min"]);

function run(c: Case, x: Tensor, y?: Tensor): Tensor {
  // jitgrad's max(dim)/min(dim) return { values, indices }; the fixtures are torch.amax/amin
  if (reductions.has(c.op))
    return (x as unknown as Record<string, (d: number) => Tensor>)[
      c.op === "sum" ? "sum" : `a${c.op}`
    ](1);
  if (y) return (x as unknown as Record<string, (o: Tensor) => Tensor>)[c.op](y);
  return (unary[c.op] ?? ((t: Tensor) => (t as unknown as Record<string, () => Tensor>)[c.op]()))(
    x,
  );
}

function inputs(c: Case): Tensor[] {
  const v = c.args[0].map(num);
  if (reductions.has(c.op))
    return [
      tensor(
        v.map((s) => [s, 1, -1]),
        { dtype: c.dtype },
      ),
    ];
  if (c.args.length === 1) return [tensor(v, { dtype: c.dtype })];
  return [
    tensor(v, { dtype: c.dtype }).reshape([-1, 1]),
    tensor(v, { dtype: c.dtype }).reshape([1, -1]),
  ];
}

function expectMatches(got: Tensor, c: Case, what: string) {
  expect(got.dtype, `${what} dtype`).toBe(c.outDtype);
  const want = c.out.map(num);
  got.values().forEach((g, i) => {
    const w = want[i],
      at = `${what} at ${i}: got ${Object.is(g, -0) ? "-0" : g}, PyTorch ${c.out[i]}`;
    if (w === 0 && (c.op === "maximum" || c.op === "minimum")) expect(g === 0, at).toBe(true);
    else if (Number.isNaN(w) || !Number.isFinite(w) || w === 0)
      expect(Object.is(g, w), at).toBe(true);
    else expect(Math.abs(g - w) <= Math.abs(w) * 2 ** -22, at).toBe(true);
  });
}

describe("special values (NaN, +-inf, +-0) match PyTorch, eager and compiled", () => {
  for (const c of cases) {
    it(`${c.op} ${c.dtype}`, () => {
      const xs = inputs(c);
      expectMatches(run(c, xs[0], xs[1]), c, "eager");
      const f = compile((...ts: Tensor[]) => run(c, ts[0], ts[1]));
      expectMatches(f(...xs), c, "compiled");
    });
  }
});
