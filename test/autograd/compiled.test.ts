// Custom autograd Functions and higher-order gradients through the compiler: a Function's forward
// is traced as ordinary ops and its backward into the backward graph (JAX's custom_vjp); grad()
// nests (grad(grad(f)), Hessian-vector products, compile(grad(f))). Compared with eager autograd
// and with PyTorch's values (test/golden/autograd.json).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  autograd,
  CompileError,
  compile,
  F,
  grad,
  manualSeed,
  randn,
  type Tensor,
  tensor,
  valueAndGrad,
} from "../../index";
import { expectClose, make, type Out, type Spec } from "../support/golden";
import { functions } from "./functions";

const { Exp, ScaledExp, MulAdd, Cube, Clamp01 } = functions;
type Ctx = autograd.FunctionCtx;

const programs: { name: string; inputs: Spec[]; results: Out[] }[] = JSON.parse(
  readFileSync(join(import.meta.dirname, "../golden/autograd.json"), "utf8"),
).programs;
const golden = (name: string) => programs.find((p) => p.name === name)!;

const close = (a: Tensor, b: Tensor, tol = 1e-6) => {
  expect(a.shape).toEqual(b.shape);
  const bv = b.values();
  a.values().forEach((v, i) => {
    if (!(Math.abs(v - bv[i]) <= tol * (1 + Math.abs(bv[i]))))
      expect.fail(`[${i}]: ${v} vs ${bv[i]}`);
  });
};

// eager backward of fn's sum at copies of xs: the gradients
function eagerGrads(fn: (...xs: Tensor[]) => Tensor, xs: Tensor[]): Tensor[] {
  const leaves = xs.map((x) => x.detach().requiresGrad_());
  fn(...leaves)
    .sum()
    .backward();
  return leaves.map((l) => l.grad!);
}

describe("autograd.Function inside compile, grad and valueAndGrad", () => {
  const cases: [string, (...xs: Tensor[]) => Tensor, number[][]][] = [
    ["Exp", (x) => Exp.apply(x).mul(x), [[3, 4]]],
    ["ScaledExp (a number argument)", (x) => ScaledExp.apply(x, 2.5).tanh(), [[5]]],
    [
      "MulAdd (two outputs, broadcast)",
      (a, b) => {
        const [p, s] = MulAdd.apply(a, b) as Tensor[];
        return p.mul(s).sin();
      },
      [[2, 3], [3]],
    ],
    ["Cube", (x) => Cube.apply(x.mul(2)).add(x), [[4]]],
    [
      "Clamp01 (straight-through: not the forward's gradient)",
      (x) => Clamp01.apply(x.mul(3)),
      [[6]],
    ],
  ];
  for (const [name, fn, shapes] of cases) {
    it(`${name}: compiled backward, grad and valueAndGrad match eager`, () => {
      manualSeed(1);
      const xs = shapes.map((s) => randn(s, { dtype: "float64" }));
      const want = eagerGrads(fn, xs);
      const eagerOut = fn(...xs);
      // compile: a forward and a backward program
      const f = compile(fn);
      const leaves = xs.map((x) => x.detach().requiresGrad_());
      const out = f(...leaves);
      close(out, eagerOut);
      out.sum().backward();
      leaves.forEach((l, i) => close(l.grad!, want[i]));
      // grad and valueAndGrad: one program
      const argnums = xs.map((_, i) => i);
      const gs = grad((...a: Tensor[]) => fn(...a).sum(), { argnums })(...xs);
      gs.forEach((g, i) => close(g, want[i]));
      const [v, gs2] = valueAndGrad((...a: Tensor[]) => fn(...a).sum(), { argnums })(...xs);
      close(v, eagerOut.sum());
      gs2.forEach((g, i) => close(g, want[i]));
    });
  }

  it("the user's backward is in the backward graph, fused; no custom value reaches the kernels", () => {
    const f = compile((x: Tensor) => Exp.apply(x).mul(2).sum());
    const x = randn([100], { requiresGrad: true });
    const e = f.explain(x);
    expect(e.ir).not.toContain("custom");
    expect(e.backwardKernels).toBe(1);
    // straight-through: the compiled gradient is the user's (1), not clamp's (0 outside [0, 1])
    const g = grad((x: Tensor) => Clamp01.apply(x).sum())(tensor([-2, 0.5, 3]));
    expect(g.tolist()).toEqual([1, 1, 1]);
  });

  it("a backward that reads a tensor forward did not save is a CompileError", () => {
    const w = tensor([2.0]);
    class Leaky extends autograd.Function {
      static forward(_ctx: Ctx, x: Tensor) {
        return x.mul(2);
      }
      static backward(_ctx: Ctx, g: Tensor) {
        return g.mul(w);
      }
    }
    expect(() => grad((x: Tensor) => Leaky.apply(x).sum())(tensor([1.0]))).toThrow(CompileError);
    expect(() => grad((x: Tensor) => Leaky.apply(x).sum())(tensor([1.0]))).toThrow(
      "ctx.saveForBackward",
    );
  });
});

describe("higher-order gradients through the compiler", () => {
  const f = (x: Tensor) => x.sin().mul(x).mul(x).sum().add(x.sum().pow(3));

  it("grad(grad(f)): a Hessian-vector product, against PyTorch", () => {
    const p = golden("hvp");
    const [x, v] = p.inputs.map(make);
    const gf = grad(f);
    const hvp = grad((x: Tensor, v: Tensor) => gf(x).mul(v).sum());
    expectClose(gf(x.detach()), p.results[1], "gradient", 1e-9);
    expectClose(hvp(x.detach(), v), p.results[2], "hvp", 1e-9);
    // the same through compile(): one program
    const compiled = compile((x: Tensor, v: Tensor) => grad(f)(x).mul(v).sum());
    expect(compiled(x.detach(), v).item()).toBeCloseTo(
      p.results[1].data.reduce((a, g, i) => a + g * v.values()[i], 0),
      9,
    );
  });

  it("grad(grad(binaryCrossEntropy)) equals eager double backward (its Taylor-attached second derivative)", () => {
    const x = tensor([0.1, 0.35, 0.5, 0.8, 0.97], { dtype: "float64" });
    const t = tensor([0, 1, 0.25, 1, 0.5], { dtype: "float64" });
    const loss = (x: Tensor, t: Tensor) => F.binaryCrossEntropy(x, t, { reduction: "sum" });
    const g2 = grad((x: Tensor, t: Tensor) => grad(loss)(x, t).mul(x).sum());
    const xe = x.clone().requiresGrad_();
    const [g] = autograd.grad(loss(xe, t), xe, { createGraph: true });
    const [h] = autograd.grad(g!.mul(xe).sum(), xe);
    close(g2(x, t), h!, 1e-12);
    // d/dx [x gx(x)] = gx + x gxx, gx = (x - t) / (x (1 - x)), gxx = (x^2 - 2xt + t) / (x (1 - x))^2
    const xv = x.values(),
      tv = t.values();
    const want = xv.map((a, i) => {
      const d = a * (1 - a);
      return (a - tv[i]) / d + (a * (a * a - 2 * a * tv[i] + tv[i])) / (d * d);
    });
    close(h!, tensor(want, { dtype: "float64" }), 1e-9);
  });

  it("third derivatives by nesting grad three times, against PyTorch", () => {
    const p = golden("third");
    const [x] = p.inputs.map(make);
    const f0 = (x: Tensor) => x.exp().mul(x.tanh()).sum();
    const g1 = grad(f0);
    const g2 = grad((x: Tensor) => g1(x).sum());
    const g3 = grad((x: Tensor) => g2(x).sum());
    expectClose(g1(x.detach()), p.results[0], "g1", 1e-9);
    expectClose(g2(x.detach()), p.results[1], "g2", 1e-9);
    expectClose(g3(x.detach()), p.results[2], "g3", 1e-9);
  });

  it("a WGAN-GP gradient penalty: valueAndGrad of a function that calls grad, against PyTorch", () => {
    const p = golden("gradientPenalty");
    const [x, w1, w2] = p.inputs.map((s) => make(s).detach());
    const critic = (x: Tensor, w1: Tensor, w2: Tensor) => x.matmul(w1).tanh().matmul(w2).sum();
    const dx = grad(critic);
    const penalty = (x: Tensor, w1: Tensor, w2: Tensor) =>
      dx(x, w1, w2).norm(2, 1).sub(1).pow(2).mean();
    const [value, [gw1, gw2]] = valueAndGrad(penalty, { argnums: [1, 2] })(x, w1, w2);
    expectClose(value, p.results[0], "penalty", 1e-9);
    expectClose(gw1, p.results[1], "d penalty / d w1", 1e-9);
    expectClose(gw2, p.results[2], "d penalty / d w2", 1e-9);
  });

  it("a custom Function's backward is differentiated again (grad of grad through it)", () => {
    const x = tensor([0.5, -1, 2], { dtype: "float64" });
    const g2 = grad((x: Tensor) => grad((x: Tensor) => Cube.apply(x).sum())(x).sum());
    expect(g2(x).tolist()).toEqual([3, -6, 12]); // 6x
  });

  it("valueAndGrad nests too, with several argnums", () => {
    const h = (x: Tensor, y: Tensor) => x.mul(y).exp().sum();
    const inner = valueAndGrad(h, { argnums: [0, 1] });
    const outer = compile((x: Tensor, y: Tensor) => {
      const [v, [gx, gy]] = inner(x, y);
      return v.add(gx.mul(gy).sum());
    });
    const x = tensor([0.3, -0.2], { dtype: "float64" }),
      y = tensor([1.5, 0.7], { dtype: "float64" });
    const e = x.mul(y).exp(); // h = sum e, dh/dx = y e, dh/dy = x e
    close(outer(x, y), e.sum().add(y.mul(e).mul(x.mul(e)).sum()), 1e-12);
  });

  it("values the inner function closes over are constants to its gradient (JAX semantics)", () => {
    const x = tensor([0.5, 1.5], { dtype: "float64" });
    // the inner gradient of sum(z * y) is y = exp(x) whatever y depends on, so the outer is exp(x)
    const outer = grad((x: Tensor) => {
      const y = x.exp();
      return grad((z: Tensor) => z.mul(y).sum())(x).sum();
    });
    close(outer(x), x.exp(), 1e-12);
  });

  it("compiled = eager autograd.grad with createGraph (second derivatives)", () => {
    manualSeed(3);
    const fns: ((x: Tensor) => Tensor)[] = [
      (x) => x.tanh().mul(x.sigmoid()).sum(),
      (x) => x.softmax(0).mul(x).sum(),
      (x) => x.matmul(x.T).exp().mean(),
      // max pooling's gradient and its adjoint (maxPoolBackward, maxPoolSelect) compiled
      (x) =>
        F.maxPool2d(x.reshape([1, 1, 3, 2]).tanh(), 2, { stride: 1, padding: 1 })
          .pow(3)
          .sum(),
    ];
    for (const fn of fns) {
      const x = randn([3, 2], { dtype: "float64" });
      const leaf = x.detach().requiresGrad_();
      const [g] = autograd.grad(fn(leaf), leaf, { createGraph: true });
      const [gg] = autograd.grad(g!.sum(), leaf);
      close(grad((x: Tensor) => grad(fn)(x).sum())(x), gg!, 1e-10);
    }
  });

  it("createGraph through a compiled function's node: its graph replayed, recorded", () => {
    manualSeed(4);
    const fn = (x: Tensor, w: Tensor) => x.matmul(w).tanh().mul(x.sum(1, true).exp()).sum(1);
    const f = compile(fn);
    const x0 = randn([3, 4], { dtype: "float64" }),
      w0 = randn([4, 2], { dtype: "float64" });
    const second = (g: typeof fn) => {
      const x = x0.detach().requiresGrad_(),
        w = w0.detach().requiresGrad_();
      const [gx, gw] = autograd.grad(g(x, w).pow(2).sum(), [x, w], { createGraph: true });
      expect(gx!.gradFn).not.toBeNull();
      return autograd.grad(gx!.sin().sum().add(gw!.pow(2).sum()), [x, w]);
    };
    const want = second(fn),
      got = second(f);
    close(got[0]!, want[0]!, 1e-10);
    close(got[1]!, want[1]!, 1e-10);
    // backward({ createGraph }) through it leaves a .grad with a graph
    const x = x0.detach().requiresGrad_();
    f(x, w0).sum().backward(undefined, { createGraph: true });
    expect(x.grad!.gradFn).not.toBeNull();
  });
});
