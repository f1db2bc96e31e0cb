// One pass when the cotangent is known (issue 15, compiler/one-pass.ts): a compiled scalar loss
// computes its gradients for cotangent 1 in the forward's loops; backward() hands them over (1) or
// scales them (any other cotangent). Checked against eager autograd, with retainGraph, accumulation,
// the in-place errors and the cost rule that declines it.
import { beforeEach, describe, expect, it } from "vitest";
import { autograd, compile, manualSeed, noGrad, randn, type Tensor, tensor } from "../../index";
import { expectClose } from "./helpers";

const INPLACE =
  "one of the variables needed for gradient computation has been modified by an inplace operation";
beforeEach(() => manualSeed(3));

const loss = (x: Tensor, w: Tensor) => x.matmul(w).tanh().add(2).pow(2).mean();
const leaves = () => [randn([5, 4]), randn([4, 3], { requiresGrad: true })] as const;
const twin = (t: Tensor) =>
  tensor(Float32Array.from(t.values()), { shape: t.shape, requiresGrad: t.requiresGrad });

// eager's .grad of w after backward(gradient) (or backward() when undefined), twice when asked
function eagerGrad(x: Tensor, w: Tensor, ct?: Tensor, times = 1): Tensor {
  const w2 = twin(w),
    out = loss(x, w2);
  for (let i = 0; i < times; i++) out.backward(ct, { retainGraph: i + 1 < times });
  return w2.grad!;
}

describe("one pass when the cotangent is known", () => {
  it("runs one program for a scalar loss; backward() gives eager's gradient", () => {
    const f = compile(loss),
      [x, w] = leaves();
    const e = f.explain(x, w);
    expect(e.onePass).toBeDefined();
    expect(e.onePass!.code).toContain("function p0_");
    const out = f(x, w);
    expectClose(out, loss(x, w), "out");
    out.backward();
    expectClose(w.grad!, eagerGrad(x, w), "w.grad");
    expect(x.grad).toBeNull();
  });

  it("scales the gradient by other cotangents (0-d and [1, 1] outputs)", () => {
    const f = compile(loss),
      [x, w] = leaves();
    for (const c of [2.5, -1, 0]) {
      w.grad = null;
      f(x, w).backward(tensor(c));
      expectClose(w.grad!, eagerGrad(x, w, tensor(c)), "w.grad");
    }
    const g = compile((a: Tensor, b: Tensor) => loss(a, b).reshape([1, 1]));
    expect(g.explain(x, w).onePass).toBeDefined();
    w.grad = null;
    g(x, w).backward(tensor([[3]]));
    expectClose(w.grad!, eagerGrad(x, w, tensor(3)), "w.grad");
  });

  it("accumulates into .grad, and retainGraph gives the same gradient again", () => {
    const f = compile(loss),
      [x, w] = leaves();
    const out = f(x, w);
    out.backward(undefined, { retainGraph: true });
    const first = w.grad!;
    const firstValues = first.values();
    out.backward(undefined, { retainGraph: true }); // accumulates into `first`, in place
    expect(w.grad).toBe(first);
    expectClose(w.grad!, eagerGrad(x, w, undefined, 2), "w.grad");
    noGrad(() => w.grad!.mul_(0)); // the node's buffers are not the user's
    out.backward(tensor(2));
    expectClose(w.grad!, tensor(firstValues).reshape([4, 3]).mul(2), "twice the first");
    expect(() => out.backward()).toThrow("Trying to backward through the graph a second time");
  });

  it("the gradient handed over is a buffer of its own: later calls do not change it", () => {
    const f = compile(loss),
      [x, w] = leaves();
    f(x, w).backward();
    const g1 = w.grad!,
      v1 = g1.values();
    w.grad = null;
    f(x.mul(2), w).backward();
    expect(g1.values()).toEqual(v1);
    expect(w.grad!.storage).not.toBe(g1.storage);
  });

  it("raises PyTorch's in-place error for a saved input changed before backward()", () => {
    const f = compile(loss),
      [x, w] = leaves();
    const out = f(x, w);
    x.mul_(2); // x is read for w's gradient (PyTorch's mm saves it), w is not
    expect(() => out.backward()).toThrow(INPLACE);
    expect(() => out.backward()).toThrow(
      /is an input of CompiledFunctionBackward, is at version 1/,
    );
    expect(w.grad).toBeNull();
    const out2 = f(x, w);
    noGrad(() => w.add_(1)); // not needed by the backward: no error, as in PyTorch
    out2.backward();
    expect(w.grad).not.toBeNull();
  });

  it("is declined when the gradients cost more than the saving (the cost rule)", () => {
    // the forward reads one element of a large parameter: writing its whole gradient every call
    // would cost more than the backward it saves
    const pick = (w: Tensor) => w.narrow(0, 0, 1).sum();
    const w = randn([20000], { requiresGrad: true });
    const f = compile(pick);
    expect(f.explain(w).onePass).toBeUndefined();
    f(w).backward();
    expect(w.grad!.values().slice(0, 2)).toEqual([1, 0]);
    // and not used for several outputs or a non-scalar one
    expect(compile((a: Tensor) => a.mul(2)).explain(w).onePass).toBeUndefined();
    expect(compile((a: Tensor) => [a.sum(), a.mean()]).explain(w).onePass).toBeUndefined();
  });

  // createGraph (main's higher-order gradients) replays the joint graph instead of handing the
  // one-pass gradient over, and the engine's leaf-only fast path must not take it: the gradient
  // keeps a graph and its own derivative is eager's
  it("under createGraph the gradient has a graph: second derivatives equal eager", () => {
    const f = compile((x: Tensor) => x.pow(3).sum());
    const x = tensor([1, 2, 3], { requiresGrad: true });
    expect(f.explain(x).onePass).toBeDefined();
    for (let call = 0; call < 2; call++) {
      x.grad = null;
      f(x).backward(null, { createGraph: true });
      const g = x.grad!;
      expect(g.requiresGrad).toBe(true);
      expect(g.values()).toEqual([3, 12, 27]);
      x.grad = null;
      g.sum().backward();
      expect(x.grad!.values()).toEqual([6, 12, 18]);
    }
    const l = f(x);
    const g = autograd.grad(l, [x], { createGraph: true })[0]!;
    const h = autograd.grad(g.mul(g).sum(), [x])[0]!;
    expect(h.values()).toEqual([36, 288, 972]); // 2 g 6x = 36 x^3
    x.grad = null;
    l.backward(); // the graph was retained by createGraph; the one-pass gradient as before
    expect(x.grad!.values()).toEqual([3, 12, 27]);
  });
});
