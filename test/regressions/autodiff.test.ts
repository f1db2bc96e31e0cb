// Minimized reproductions of compiler bugs found by the autodiff tests (the property test in
// test/autodiff/property.test.ts, mostly), kept as regression tests once fixed. Each `it.fails` names a reported
// bug and starts passing (so fails) once the bug is fixed: then turn it into a plain `it`.
import { describe, expect, it } from "vitest";
import { compile, grad, type Tensor, tensor } from "../../index";
import { expectClose } from "../autodiff/helpers";

describe("max/min gradients through a float32 elementwise chain", () => {
  const fn = (x: Tensor) => x.mul(1.1).max();

  // Fused float32 kernels keep values in float64 registers. The forward stores the maximum rounded
  // to float32; the backward (and the forward's own hit count) recompute x * 1.1 unrounded and
  // compared it with the stored maximum with ===, found no hit, and divided by a zero count: NaN
  // gradients (B11 in test/regressions/compile.test.ts; comparisons of float32 values now round).
  it("amax of x * 1.1 (float32)", () => {
    const x = tensor([0.1, 0.7, 0.3], { requiresGrad: true });
    compile(fn)(x).backward();
    const ex = tensor([0.1, 0.7, 0.3], { requiresGrad: true });
    fn(ex).backward();
    expectClose(
      ex.grad,
      { data: [0, 1.100000023841858, 0], shape: [3], dtype: "float32" },
      "eager grad",
    );
    expectClose(x.grad, ex.grad!, "compiled grad");
  });

  it("the same comparison in a forward-only program", () => {
    const g = (x: Tensor) => {
      const y = x.mul(1.1);
      return y.eq(y.amax(1, true));
    };
    const x = tensor([[0.1, 0.7, 0.3]]);
    expect(compile(g)(x).tolist()).toEqual(g(x).tolist()); // eager: [[false, true, false]]
  });

  // Bug (reported): rounding at the comparison is not enough when the backward recomputes the
  // value from a different (rounded) starting point than the forward did. Here the forward stores
  // m = fround(sum / 6) with sum unrounded, and amax(m) from it; the backward recomputes m from the
  // saved, rounded sum: fround(fround(sum) / 6) differs in the last bit, so m == amax(m) fails and
  // the gradient is 0 instead of 1/6 everywhere.
  it("amax of a float32 mean that is also returned (was: recomputed float32 value differed from the stored one)", () => {
    const data = [-0.934, -1.999, -1.107, -1.415, -0.131, 0.18];
    const x = tensor(data, { requiresGrad: true });
    const [mx] = compile((x: Tensor) => {
      const m = x.mean();
      return [m.max(), m];
    })(x);
    mx.backward();
    expectClose(x.grad, { data: data.map(() => 1 / 6), shape: [6], dtype: "float32" }, "x.grad");
  });

  it("float64 is fine", () => {
    const x = tensor([0.1, 0.7, 0.3], { requiresGrad: true, dtype: "float64" });
    compile(fn)(x).backward();
    expect(x.grad!.values()).toEqual([0, 1.1, 0]);
  });
});

describe("a value stored while a reduction reads part of it", () => {
  // (was a bug from 26d62dc "a reduction joins the kernel that computes its operand and stores it
  // as it is reduced": m was stored from inside the loops of the reduction over m.narrow(0, 0, 1),
  // which visit only that slice, so m's other elements were never written; fixed in 40142b6)
  it("[m.narrow(0, 0, 1).sum(), m]", () => {
    const fn = (x: Tensor) => {
      const m = x.exp();
      return [m.narrow(0, 0, 1).sum(), m];
    };
    const x = tensor([1, 2]);
    const [s, m] = compile(fn)(x);
    const [es, em] = fn(x);
    expectClose(s, es, "sum");
    expectClose(m, em, "m"); // compiled: [2.718, 0]
  });
});

describe("a constant read by a kernel op from a buffer (found by the property test, seed 1)", () => {
  // grad(x.sum().cumsum(0)): the scan reads the seed cotangent 1 from a buffer, which no kernel
  // wrote, so it read 0 and the gradient came out doubled (sum - cumsum + g = 1 - 0 + 1)
  const cases: [string, (x: Tensor) => Tensor][] = [
    ["sum, cumsum of the 0-d result", (x) => x.sum().cumsum(0)],
    ["narrow, prod, cumsum, sum", (x) => x.narrow(0, 1, 3).prod(0).cumsum(0).sum()],
    ["sum, cumprod", (x) => x.sum().cumprod(0)],
  ];
  for (const [name, f] of cases)
    it(name, () => {
      const data = [1.5, 2, -3, 4, 0.5];
      const eager = tensor(data, { dtype: "float64", requiresGrad: true });
      f(eager).backward();
      const viaGrad = grad(f)(tensor(data, { dtype: "float64" }));
      const compiled = tensor(data, { dtype: "float64", requiresGrad: true });
      compile(f)(compiled).backward();
      expect(viaGrad.values()).toEqual(eager.grad!.values());
      expect(compiled.grad!.values()).toEqual(eager.grad!.values());
    });
});

describe("a sibling reduction in a kernel that a later reduction gives inner loops (property test, seed 11)", () => {
  // the sum of softmax's backward joined a kernel over [2] as a sibling; amax's tie count (a sum
  // over [2, 2]) then added an inner loop, and the sibling summed each term twice
  it("expand, amax, softmax, flip, prod: compiled gradient = eager", () => {
    const f = (v: Tensor) => v.expand([2, 2]).amax(-2, false).softmax(0).flip([0]).prod();
    const data = [0.3, -1.2];
    const eager = tensor(data, { dtype: "float64", requiresGrad: true });
    f(eager).backward();
    const want = eager.grad!.values();
    const viaGrad = grad(f)(tensor(data, { dtype: "float64" })).values();
    const compiled = tensor(data, { dtype: "float64", requiresGrad: true });
    compile(f)(compiled).backward();
    want.forEach((w, i) => {
      expect(viaGrad[i]).toBeCloseTo(w, 12);
      expect(compiled.grad!.values()[i]).toBeCloseTo(w, 12);
    });
  });
});
