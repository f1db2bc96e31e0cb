// Custom autograd Functions eagerly: the ctx API (saved tensors and their checks, needsInputGrad,
// markDirty, markNonDifferentiable, setMaterializeGrads), what apply returns, and PyTorch's errors
// (wording from PyTorch 1.13; values against PyTorch are in golden.test.ts).
import { describe, expect, it } from "vitest";
import { autograd, noGrad, type Tensor, tensor } from "../../index";
import { f64, gradcheck } from "../support/gradcheck";
import { functions } from "./functions";

type Ctx = autograd.FunctionCtx;
const { Exp, Cube, MulAdd, ArgMaxPair } = functions;

describe("autograd.Function eagerly", () => {
  it("records one node named after the class, with edges for the tensor arguments", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = functions.ScaledExp.apply(x, 2);
    expect(y.gradFn!.name).toBe("ScaledExpBackward");
    expect(String(y)).toBe("tensor([ 5.4366, 14.7781], grad_fn=<ScaledExpBackward>)");
    expect(y.gradFn!.nextFunctions.length).toBe(1);
    expect(y.gradFn!.nextFunctions[0][0]).toBe(x.gradFn ?? x.gradEdge()[0]);
  });

  it("gradchecks (float64): one input, two inputs with broadcast, a backward of its own", () => {
    gradcheck((x) => Exp.apply(x), [f64([3])]);
    gradcheck(
      (a, b) => MulAdd.apply(a, b)[0].add(MulAdd.apply(a, b)[1].mul(2)),
      [f64([2, 3]), f64([3])],
    );
    gradcheck((x) => Cube.apply(x), [f64([4])]);
  });

  it("runs forward without recording, and records nothing when no input requires grad", () => {
    let inside: boolean | null = null;
    class Probe extends autograd.Function {
      static forward(_ctx: Ctx, x: Tensor) {
        const y = x.mul(2);
        inside = y.requiresGrad;
        return y;
      }
      static backward(_ctx: Ctx, g: Tensor) {
        return g.mul(2);
      }
    }
    const x = tensor([1.0], { requiresGrad: true });
    expect(Probe.apply(x).gradFn!.name).toBe("ProbeBackward");
    expect(inside).toBe(false);
    expect(Probe.apply(tensor([1.0])).requiresGrad).toBe(false);
    expect(noGrad(() => Probe.apply(x)).requiresGrad).toBe(false);
  });

  it("needsInputGrad says which arguments want a gradient", () => {
    let seen: boolean[] = [];
    class Needs extends autograd.Function {
      static forward(ctx: Ctx, a: Tensor, _k: number, b: Tensor) {
        seen = [...ctx.needsInputGrad];
        return a.mul(b);
      }
      static backward(ctx: Ctx, g: Tensor) {
        return [ctx.needsInputGrad[0] ? g : null, null, ctx.needsInputGrad[2] ? g : null];
      }
    }
    const a = tensor([1.0], { requiresGrad: true });
    Needs.apply(a, 3, tensor([2.0]))
      .sum()
      .backward();
    expect(seen).toEqual([true, false, false]);
    expect(a.grad!.tolist()).toEqual([1]);
  });

  it("saved tensors: freed after backward, checked for in-place changes", () => {
    const x = tensor([1.0, 2.0], { requiresGrad: true });
    const y = Exp.apply(x);
    y.sum().backward(undefined, { retainGraph: true });
    y.sum().backward();
    expect(x.grad!.values()).toEqual(y.values().map((v) => 2 * v));
    expect(() => y.sum().backward()).toThrow("Trying to backward through the graph a second time");
    const z = Exp.apply(x);
    noGrad(() => z.mul_(2));
    expect(() => z.sum().backward()).toThrow(
      "one of the variables needed for gradient computation has been modified by an inplace operation: [torch.FloatTensor [2]], which is output 0 of ExpBackward, is at version 1; expected version 0 instead.",
    );
  });

  it("a non-differentiable output does not require grad and gets a zero gradient", () => {
    const x = tensor([1.0, 3.0, 2.0], { requiresGrad: true });
    const [a, i] = ArgMaxPair.apply(x) as [Tensor, Tensor];
    expect(a.gradFn!.name).toBe("ArgMaxPairBackward");
    expect(i.requiresGrad).toBe(false);
    expect(i.item()).toBe(1);
    a.sum().backward();
    expect(x.grad!.tolist()).toEqual([2, 2, 2]);
  });

  it("setMaterializeGrads(false) passes null for outputs no gradient reached", () => {
    const got: (Tensor | null)[][] = [];
    class Two extends autograd.Function {
      static forward(ctx: Ctx, x: Tensor) {
        ctx.setMaterializeGrads(ctx.materialize as boolean);
        return [x.mul(2), x.mul(3)];
      }
      static backward(_ctx: Ctx, ga: Tensor | null, gb: Tensor | null) {
        got.push([ga, gb]);
        return ga!.mul(2);
      }
    }
    const x = tensor([1.0, 2.0], { requiresGrad: true });
    class Off extends Two {
      static forward(ctx: Ctx, x: Tensor) {
        ctx.materialize = false;
        return Two.forward(ctx, x);
      }
    }
    class On extends Two {
      static forward(ctx: Ctx, x: Tensor) {
        ctx.materialize = true;
        return Two.forward(ctx, x);
      }
    }
    (Off.apply(x) as Tensor[])[0].sum().backward();
    (On.apply(x) as Tensor[])[0].sum().backward();
    expect(got[0][1]).toBeNull();
    expect(got[1][1]!.tolist()).toEqual([0, 0]);
  });

  it("an input returned as it is comes back as a new tensor; markDirty makes it the output", () => {
    class Same extends autograd.Function {
      static forward(_ctx: Ctx, x: Tensor) {
        return x;
      }
      static backward(_ctx: Ctx, g: Tensor) {
        return g;
      }
    }
    const x = tensor([1.0, 2.0], { requiresGrad: true });
    const y = Same.apply(x);
    expect(y).not.toBe(x);
    expect(y.gradFn!.name).toBe("SameBackward");
    expect(x.isLeaf).toBe(true);
    class Double extends autograd.Function {
      static forward(ctx: Ctx, x: Tensor) {
        x.mul_(2);
        ctx.markDirty(x);
        return x;
      }
      static backward(_ctx: Ctx, g: Tensor) {
        return g.mul(2);
      }
    }
    const a = x.mul(1);
    const b = Double.apply(a);
    expect(b).toBe(a);
    expect(String(a)).toBe("tensor([2., 4.], grad_fn=<DoubleBackward>)");
    b.sum().backward();
    expect(x.grad!.tolist()).toEqual([2, 2]);
    expect(() => Double.apply(tensor([1.0], { requiresGrad: true }))).toThrow(
      "a leaf Variable that requires grad is being used in an in-place operation.",
    );
  });

  it("PyTorch's errors for a missing backward and a gradient for a number", () => {
    class NoBackward extends autograd.Function {
      static forward(_ctx: Ctx, x: Tensor) {
        return x.mul(2);
      }
    }
    const x = tensor([1.0], { requiresGrad: true });
    expect(() => NoBackward.apply(x).sum().backward()).toThrow(
      "You must implement either the backward or vjp method for your custom autograd.Function to use it with backward mode AD.",
    );
    class GradForNumber extends autograd.Function {
      static forward(_ctx: Ctx, x: Tensor, k: number) {
        return x.mul(k);
      }
      static backward(_ctx: Ctx, g: Tensor) {
        return [g, g];
      }
    }
    expect(() => GradForNumber.apply(x, 2).sum().backward()).toThrow(
      "function GradForNumberBackward returned a gradient different than None at position 2, but the corresponding forward input was not a Variable",
    );
    expect(() => ctxOutsideBackward()).toThrow("savedTensors can be read in backward only");
  });

  it("double backward through a Function whose backward is made of differentiable ops", () => {
    const x = tensor([0.5, -1.0, 2.0], { dtype: "float64", requiresGrad: true });
    const [g] = autograd.grad(Cube.apply(x).sum(), x, { createGraph: true });
    expect(g!.gradFn).not.toBeNull();
    const [gg] = autograd.grad(g!.sum(), x);
    expect(gg!.tolist()).toEqual([3, -6, 12]); // 6x
  });
});

function ctxOutsideBackward() {
  class Peek extends autograd.Function {
    static forward(ctx: Ctx, x: Tensor) {
      ctx.saveForBackward(x);
      return ctx.savedTensors[0]!;
    }
  }
  return Peek.apply(tensor([1.0], { requiresGrad: true }));
}
