// grad(fn, { argnums }) and valueAndGrad(fn, { argnums }): gradients as values, JAX style.
import { beforeEach, describe, expect, it } from "vitest";
import { grad, manualSeed, noGrad, randn, type Tensor, tensor, valueAndGrad } from "../../index";
import { expectClose } from "./helpers";

beforeEach(() => manualSeed(0));

const seed = (x: Tensor) => {
  const y = x.add(2);
  const z = y.mul(y).mul(3);
  return z.mean();
};
const copyLeaf = (t: Tensor) =>
  tensor(Float32Array.from(t.values()), { shape: t.shape, dtype: t.dtype, requiresGrad: true });

// Eager gradients of a scalar function with respect to every argument.
function eagerGrads(
  fn: (...xs: Tensor[]) => Tensor,
  xs: Tensor[],
): { value: Tensor; grads: Tensor[] } {
  const leaves = xs.map(copyLeaf);
  const value = fn(...leaves);
  value.backward();
  return { value, grads: leaves.map((l) => l.grad!) };
}

const three = (x: Tensor, w: Tensor, b: Tensor) => x.matmul(w).add(b).tanh().pow(2).sum();

describe("grad", () => {
  it("argnums defaults to 0 and gives one tensor, equal to eager's .grad", () => {
    const x = randn([4, 5]);
    const g = grad(seed)(x) as Tensor;
    expectClose(g, eagerGrads(seed, [x]).grads[0], "grad");
  });

  it("argnums as a number picks that argument", () => {
    const xs = [randn([3, 4]), randn([4, 2]), randn([2])];
    const want = eagerGrads(three, xs).grads;
    for (const n of [0, 1, 2])
      expectClose(
        grad(three, { argnums: n })(...(xs as [Tensor, Tensor, Tensor])) as Tensor,
        want[n],
        `grad ${n}`,
      );
  });

  it("argnums as an array gives an array in that order (a one-element array too)", () => {
    const xs = [randn([3, 4]), randn([4, 2]), randn([2])] as [Tensor, Tensor, Tensor];
    const want = eagerGrads(three, xs).grads;
    const gs = grad(three, { argnums: [2, 0] })(...xs) as Tensor[];
    expect(Array.isArray(gs)).toBe(true);
    expect(gs.length).toBe(2);
    expectClose(gs[0], want[2], "grad of argument 2");
    expectClose(gs[1], want[0], "grad of argument 0");
    const one = grad(three, { argnums: [1] })(...xs) as Tensor[];
    expect(Array.isArray(one)).toBe(true);
    expectClose(one[0], want[1], "grad of argument 1");
  });

  it("does not touch .grad, of arguments or of captured tensors, and returns plain tensors", () => {
    const w = randn([3], { requiresGrad: true });
    const x = randn([3], { requiresGrad: true });
    const preset = tensor([7, 7, 7]);
    x.grad = preset;
    const g = grad((x: Tensor) => x.mul(w).exp().sum())(x) as Tensor;
    expect(x.grad).toBe(preset);
    expect(x.grad!.values()).toEqual([7, 7, 7]);
    expect(w.grad).toBeNull();
    expect(g.requiresGrad).toBe(false);
    expect(g.gradFn).toBeNull();
    expectClose(
      g,
      noGrad(() => x.mul(w).exp().mul(w)),
      "grad",
    );
  });

  it("works whether or not the argument requires grad, and under noGrad", () => {
    const x = randn([5]);
    const f = grad((x: Tensor) => x.sin().sum());
    expectClose(f(x) as Tensor, x.cos(), "no requiresGrad");
    expectClose(f(x.detach().requiresGrad_()) as Tensor, x.cos(), "requiresGrad");
    expectClose(noGrad(() => f(x)) as Tensor, x.cos(), "under noGrad");
  });

  it("a gradient equal to another argument is a copy, not an alias", () => {
    const x = randn([3]),
      y = randn([3]);
    const [gx, gy] = grad((x: Tensor, y: Tensor) => x.mul(y).sum(), { argnums: [0, 1] })(
      x,
      y,
    ) as Tensor[];
    expect(gx.values()).toEqual(y.values());
    expect(gy.values()).toEqual(x.values());
    expect(gx.storage).not.toBe(y.storage);
    const before = y.values();
    gx.mul_(0);
    expect(y.values()).toEqual(before);
  });

  it("an argument the output does not depend on gets zeros", () => {
    const [gx, gy] = grad((x: Tensor, _y: Tensor) => x.exp().sum(), { argnums: [0, 1] })(
      randn([2]),
      randn([2, 3]),
    ) as Tensor[];
    expect(gy.shape).toEqual([2, 3]);
    expect(gy.values()).toEqual([0, 0, 0, 0, 0, 0]);
    expect(gx.shape).toEqual([2]);
  });

  it("number arguments are constants of the function", () => {
    const x = randn([3]);
    const f = grad((x: Tensor, k: number) => x.mul(k).sum());
    expect((f(x, 2) as Tensor).values()).toEqual([2, 2, 2]);
    expect((f(x, 5) as Tensor).values()).toEqual([5, 5, 5]);
  });

  it("a float64 argument gets a float64 gradient; a float32 one used as float64 a float32 one", () => {
    const x = randn([3], { dtype: "float64" });
    expect((grad((x: Tensor) => x.mul(x).sum())(x) as Tensor).dtype).toBe("float64");
    const y = randn([3]);
    const g = grad((y: Tensor) => y.double().mul(y.double()).sum())(y) as Tensor;
    expect(g.dtype).toBe("float32");
    expectClose(g, y.mul(2), "grad");
  });

  it("a function returning a non-scalar is an error", () => {
    const x = randn([2, 3]);
    expect(() => grad((x: Tensor) => x.exp())(x)).toThrow(/scalar/);
    expect(() => valueAndGrad((x: Tensor) => x.exp().sum(0))(x)).toThrow(/scalar/);
    expect(() => grad((x: Tensor) => [x.sum(), x.sum()] as unknown as Tensor)(x)).toThrow(/scalar/);
    expect(() => grad((x: Tensor) => x.sum().gt(0))(x)).toThrow(/scalar/); // bool
  });

  it("argnums naming a number, a missing argument or an integer tensor is an error", () => {
    const f = (x: Tensor, k: number) => x.mul(k).sum();
    expect(() => grad(f, { argnums: 1 })(randn([2]), 3)).toThrow(TypeError);
    expect(() => grad(f, { argnums: [0, 2] })(randn([2]), 3)).toThrow(TypeError);
    expect(() => grad((x: Tensor) => x.sum().float())(tensor([1, 2], { dtype: "int32" }))).toThrow(
      /floating-point/,
    );
  });

  it("caches per signature", () => {
    const f = grad(seed);
    f(randn([2, 2]));
    f(randn([2, 2]));
    f(randn([3]));
    expect(f.stats).toEqual({ calls: 3, compiles: 2, cacheHits: 1 });
  });
});

describe("valueAndGrad", () => {
  it("returns [value, gradient], equal to eager", () => {
    const x = randn([4, 5]);
    const [value, g] = valueAndGrad(seed)(x) as [Tensor, Tensor];
    const want = eagerGrads(seed, [x]);
    expectClose(value, want.value, "value");
    expect(value.requiresGrad).toBe(false);
    expectClose(g, want.grads[0], "grad");
  });

  it("with argnums as an array: [value, [gradients]]", () => {
    const xs = [randn([3, 4]), randn([4, 2]), randn([2])] as [Tensor, Tensor, Tensor];
    const want = eagerGrads(three, xs);
    const [value, gs] = valueAndGrad(three, { argnums: [0, 1, 2] })(...xs) as [Tensor, Tensor[]];
    expectClose(value, want.value, "value");
    gs.forEach((g, i) => expectClose(g, want.grads[i], `grad ${i}`));
  });

  it("does not touch .grad", () => {
    const x = randn([3], { requiresGrad: true });
    valueAndGrad((x: Tensor) => x.exp().sum())(x);
    expect(x.grad).toBeNull();
  });

  it("the seed example (y = x+2; z = y*y*3; out = z.mean()) is one kernel: value and gradient from a single loop", () => {
    const x = randn([16, 32]);
    const f = valueAndGrad(seed);
    const e = f.explain(x);
    expect(e.forwardKernels).toBe(1);
    expect(e.backwardKernels).toBe(0);
    expect(e.code.match(/^function /gm)?.length).toBe(1);
    const [value, g] = f(x) as [Tensor, Tensor];
    const want = eagerGrads(seed, [x]);
    expectClose(value, want.value, "value");
    expectClose(g, want.grads[0], "grad");
  });

  it("grad of the seed example is one kernel too", () => {
    expect(grad(seed).explain(randn([16, 32])).forwardKernels).toBe(1);
  });
});
