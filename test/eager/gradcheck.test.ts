// Gradient checks: every differentiable op's backward() against central finite differences in
// float64, plus the autograd engine's semantics (accumulation, retainGraph, grad modes, errors).
import { beforeEach, describe, expect, it } from "vitest";
import { cat, enableGrad, isGradEnabled, manualSeed, noGrad, stack, tensor } from "../../index";
import { composites } from "../support/composites";
import { gradcheck } from "../support/gradcheck";
import { gradcheckGroups } from "../support/gradcheck-cases";

beforeEach(() => manualSeed(0));

// the cases are data (test/support/gradcheck-cases.ts), read by test/coverage.test.ts too
describe("gradcheck", () => {
  for (const [group, cases] of Object.entries(gradcheckGroups)) {
    describe(group, () => {
      for (const c of cases)
        it(c.name, () => {
          const { fn, inputs } = c.make();
          gradcheck(fn, inputs);
        });
    });
  }
  describe("composed", () => {
    for (const { name, fn, inputs } of composites) it(name, () => gradcheck(fn, inputs()));
  });
});

describe("autograd semantics", () => {
  it("gradients accumulate across backward calls", () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    x.mul(2).sum().backward();
    expect(x.grad!.tolist()).toEqual([2, 2, 2]);
    x.mul(x).sum().backward();
    expect(x.grad!.tolist()).toEqual([4, 6, 8]);
  });

  it("a non-leaf's .grad stays null; the leaf's is set", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = x.mul(3);
    expect(y.isLeaf).toBe(false);
    y.sum().backward();
    expect(y.grad).toBeNull();
    expect(x.grad!.tolist()).toEqual([3, 3]);
  });

  it("retainGraph allows a second backward; without it the second fails", () => {
    const x = tensor([0.5, -1], { requiresGrad: true });
    const e = x.exp(),
      s = e.sum();
    s.backward(undefined, { retainGraph: true });
    s.backward();
    expect(x.grad!.values()).toEqual(e.values().map((v) => 2 * v));
    expect(() => s.backward()).toThrow("Trying to backward through the graph a second time");
  });

  it("a graph whose rules need only shapes can be run backward twice (as in PyTorch)", () => {
    const x = tensor(
      [
        [1, 2],
        [3, 4],
      ],
      { requiresGrad: true },
    );
    const s = x.add(1).sum();
    s.backward();
    s.backward();
    expect(x.grad!.tolist()).toEqual([
      [2, 2],
      [2, 2],
    ]);
    x.grad = null;
    const m = stack([cat([x.reshape(4).narrow(0, 1, 2).expand([3, 2]).T.sum(1), x.select(0, 1)])])
      .double()
      .mean();
    m.backward();
    m.backward();
    expect(x.grad!.tolist()).toEqual([
      [0, 1.5],
      [2, 0.5],
    ]); // PyTorch's result
  });

  it("x.grad = null clears the gradient", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    x.mul(5).sum().backward();
    x.grad = null;
    x.mul(2).sum().backward();
    expect(x.grad!.tolist()).toEqual([2, 2]);
  });

  it("backward(gradient) weighs the output", () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    x.mul(x).backward(tensor([1, 0, -1]));
    expect(x.grad!.tolist()).toEqual([2, 0, -6]);
  });

  it("noGrad records nothing and restores the mode, even after a throw", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    expect(isGradEnabled()).toBe(true);
    const y = noGrad(() => {
      expect(isGradEnabled()).toBe(false);
      return x.mul(2).exp();
    });
    expect(y.requiresGrad).toBe(false);
    expect(y.gradFn).toBeNull();
    expect(isGradEnabled()).toBe(true);
    expect(() =>
      noGrad(() => {
        throw new Error("boom");
      }),
    ).toThrow("boom");
    expect(isGradEnabled()).toBe(true);
  });

  it("enableGrad inside noGrad records again", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const [a, b] = noGrad(() => [x.mul(2), enableGrad(() => x.mul(2))]);
    expect(a.requiresGrad).toBe(false);
    expect(b.gradFn?.name).toBe("MulBackward0");
    expect(isGradEnabled()).toBe(true);
    b.sum().backward();
    expect(x.grad!.tolist()).toEqual([2, 2]);
  });

  it("in-place updates of a leaf are allowed under noGrad (optimizer step)", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    x.mul(x).sum().backward();
    noGrad(() => x.sub_(x.grad!, 0.5));
    expect(x.tolist()).toEqual([0, 0]);
    expect(x.isLeaf).toBe(true);
    expect(x.requiresGrad).toBe(true);
  });

  it("requiresGrad setter: leaves only, floats only", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = x.mul(2);
    expect(() => {
      y.requiresGrad = false;
    }).toThrow(
      "you can only change requires_grad flags of leaf variables. If you want to use a computed variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach().",
    );
    expect(() => {
      y.requiresGrad = true;
    }).toThrow("you can only change requires_grad flags of leaf variables.");
    const i = tensor([1, 2], { dtype: "int32" });
    expect(() => {
      i.requiresGrad = true;
    }).toThrow("only Tensors of floating point and complex dtype can require gradients");
    expect(i.requiresGrad).toBe(false);
    x.requiresGrad = false;
    expect(x.requiresGrad).toBe(false);
    expect(x.mul(2).gradFn).toBeNull();
  });

  it("in-place change of a saved tensor bumps its version and fails backward", () => {
    const x = tensor([1, 2, 3], { requiresGrad: true }),
      w = tensor([4, 5, 6]);
    const y = x.mul(w);
    expect(w.version.n).toBe(0);
    w.add_(1);
    expect(w.version.n).toBe(1);
    expect(() => y.sum().backward()).toThrow(
      "one of the variables needed for gradient computation has been modified by an inplace operation: [torch.FloatTensor [3]] is at version 1; expected version 0 instead.",
    );
    expect(x.grad).toBeNull();
  });

  it("in-place change of a tensor the gradient does not need is fine", () => {
    const x = tensor([1, 2, 3], { requiresGrad: true }),
      w = tensor([4, 5, 6]);
    const y = x.add(w);
    w.mul_(10);
    y.sum().backward();
    expect(x.grad!.tolist()).toEqual([1, 1, 1]);
  });

  it("in-place op on a leaf that requires grad is refused", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    expect(() => x.add_(1)).toThrow(
      "a leaf Variable that requires grad is being used in an in-place operation.",
    );
    expect(x.tolist()).toEqual([1, 2]);
    expect(x.version.n).toBe(0);
  });

  it("in-place ops on views of tensors that require grad are refused, the data untouched", () => {
    const x = tensor(
      [
        [1, 2],
        [3, 4],
      ],
      { requiresGrad: true },
    );
    expect(() => x.select(0, 1).mul_(2)).toThrow(
      "a view of a leaf Variable that requires grad is being used in an in-place operation.",
    );
    const y = x.mul(1);
    // PyTorch rebases the view's history here; jitgrad does not support it (yet) and says so
    expect(() => y.select(0, 0).add_(1)).toThrow(
      "jitgrad does not support in-place operations on views of tensors that require grad",
    );
    expect(() => y.T.add_(1)).toThrow(
      "jitgrad does not support in-place operations on views of tensors that require grad",
    );
    expect(x.tolist()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(y.tolist()).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });

  it("detach shares storage and version counter, and cuts the graph", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const d = x.detach();
    expect(d.storage).toBe(x.storage);
    expect(d.requiresGrad).toBe(false);
    expect(d.gradFn).toBeNull();
    d.add_(1);
    expect(x.tolist()).toEqual([2, 3]);
    expect(x.version.n).toBe(1);
  });

  it(".data shares storage but not the version counter", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = x.exp();
    x.data.mul_(2);
    expect(x.tolist()).toEqual([2, 4]);
    expect(x.version.n).toBe(0);
    expect(x.data.requiresGrad).toBe(false);
    y.sum().backward(); // exp saved its output, not x: still valid
    expect(x.grad!.values()).toEqual(y.values());
  });

  it("int and bool results of differentiable inputs do not require grad", () => {
    const x = tensor([1.5, -2], { requiresGrad: true });
    expect(x.gt(0).requiresGrad).toBe(false);
    expect(x.int().requiresGrad).toBe(false);
    expect(x.int().gradFn).toBeNull();
    expect(x.double().gradFn?.name).toBe("ToCopyBackward0");
  });

  it("gradient through a float32 -> float64 cast comes back as float32", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    x.double().mul(x.double()).sum().backward();
    expect(x.grad!.dtype).toBe("float32");
    expect(x.grad!.tolist()).toEqual([2, 4]);
  });
});
