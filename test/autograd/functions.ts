// The custom autograd Functions of test/golden/make_autograd_golden.py, in jitgrad (same names,
// same forward and backward), shared by the golden replay and the compiled tests.
import { autograd, type Tensor } from "../../index";

type Ctx = autograd.FunctionCtx;

class Exp extends autograd.Function {
  static forward(ctx: Ctx, x: Tensor) {
    const r = x.exp();
    ctx.saveForBackward(r);
    return r;
  }
  static backward(ctx: Ctx, g: Tensor) {
    const [r] = ctx.savedTensors;
    return g.mul(r!);
  }
}

// a number argument and a saved input
class ScaledExp extends autograd.Function {
  static forward(ctx: Ctx, x: Tensor, k: number) {
    ctx.k = k;
    ctx.saveForBackward(x);
    return x.exp().mul(k);
  }
  static backward(ctx: Ctx, g: Tensor) {
    const [x] = ctx.savedTensors;
    return [g.mul(x!.exp()).mul(ctx.k as number), null];
  }
}

// two tensors, broadcast, two outputs
class MulAdd extends autograd.Function {
  static forward(ctx: Ctx, a: Tensor, b: Tensor) {
    ctx.saveForBackward(a, b);
    return [a.mul(b), a.add(b)];
  }
  static backward(ctx: Ctx, g1: Tensor, g2: Tensor) {
    const [a, b] = ctx.savedTensors;
    return [
      ctx.needsInputGrad[0] ? g1.mul(b!).add(g2) : null,
      ctx.needsInputGrad[1] ? g1.mul(a!).add(g2).sum(0) : null,
    ];
  }
}

// a non-differentiable output
class ArgMaxPair extends autograd.Function {
  static forward(ctx: Ctx, x: Tensor) {
    const idx = x.argmax();
    ctx.markNonDifferentiable(idx);
    ctx.saveForBackward(x);
    return [x.mul(2), idx];
  }
  static backward(_ctx: Ctx, g: Tensor) {
    return g.mul(2);
  }
}

// a backward made of differentiable ops (double backward)
class Cube extends autograd.Function {
  static forward(ctx: Ctx, x: Tensor) {
    ctx.saveForBackward(x);
    return x.pow(3);
  }
  static backward(ctx: Ctx, g: Tensor) {
    const [x] = ctx.savedTensors;
    return g.mul(3).mul(x!).mul(x!);
  }
}

// a straight-through estimator: not the forward's gradient
class Clamp01 extends autograd.Function {
  static forward(_ctx: Ctx, x: Tensor) {
    return x.clamp(0, 1);
  }
  static backward(_ctx: Ctx, g: Tensor) {
    return g;
  }
}

class TwoGrads extends autograd.Function {
  static forward(_ctx: Ctx, x: Tensor) {
    return x.mul(2);
  }
  static backward(_ctx: Ctx, g: Tensor) {
    return [g, g];
  }
}

class Shrink extends autograd.Function {
  static forward(_ctx: Ctx, x: Tensor) {
    return x.mul(2);
  }
  static backward(_ctx: Ctx, g: Tensor) {
    return g.slice(0, 0, 1);
  }
}

class NumberGrad extends autograd.Function {
  static forward(_ctx: Ctx, x: Tensor) {
    return x.mul(2);
  }
  static backward() {
    return 3 as unknown as Tensor;
  }
}

export const functions = {
  Exp,
  ScaledExp,
  MulAdd,
  MulAddNoGradB: MulAdd,
  ArgMaxPair,
  Cube,
  Clamp01,
  TwoGrads,
  Shrink,
  NumberGrad,
};
