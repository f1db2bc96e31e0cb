// Autograd semantics of compiled functions (CompiledFunctionBackward): retainGraph, PyTorch's
// errors, backward(gradient), several outputs, captured parameters, accumulation, grad modes, and
// in-place changes between forward and backward.
import { beforeEach, describe, expect, it } from "vitest";
import {
  compile,
  grad,
  isGradEnabled,
  manualSeed,
  noGrad,
  randn,
  type Tensor,
  tensor,
} from "../../index";
import { expectClose } from "./helpers";

const SECOND = "Trying to backward through the graph a second time";
const INPLACE =
  "one of the variables needed for gradient computation has been modified by an inplace operation";

beforeEach(() => manualSeed(0));

const leaf = (shape: number[]) => randn(shape, { requiresGrad: true });
const copyLeaf = (t: Tensor) =>
  tensor(Float32Array.from(t.values()), { shape: t.shape, requiresGrad: true });

// Error message of fn() (first line), or null when it does not throw.
function errorOf(fn: () => unknown): string | null {
  try {
    fn();
  } catch (e) {
    return (e as Error).message.split("\n")[0];
  }
  return null;
}

describe("retainGraph and a second backward", () => {
  const body = (x: Tensor, w: Tensor) => x.matmul(w).tanh().sum(); // saves a matmul result, reads x and w

  it("retainGraph allows a second backward, which accumulates", () => {
    const x = leaf([3, 4]),
      w = leaf([4, 2]);
    const out = compile(body)(x, w);
    out.backward(undefined, { retainGraph: true });
    const once = [x.grad!.values(), w.grad!.values()];
    out.backward();
    expectClose(
      x.grad,
      { data: once[0].map((v) => 2 * v), shape: [3, 4], dtype: "float32" },
      "x.grad after two backwards",
    );
    expectClose(
      w.grad,
      { data: once[1].map((v) => 2 * v), shape: [4, 2], dtype: "float32" },
      "w.grad after two backwards",
    );
  });

  it("backward twice without retainGraph throws PyTorch's error, and leaves .grad as the first backward left it", () => {
    const x = leaf([3, 4]),
      w = leaf([4, 2]);
    const out = compile(body)(x, w);
    out.backward();
    const after = x.grad!.values();
    expect(errorOf(() => out.backward())).toMatch(new RegExp(`^${SECOND}`));
    expect(x.grad!.values()).toEqual(after);
  });

  it("the error also comes through an eager op after the compiled output", () => {
    const x = leaf([3, 4]),
      w = leaf([4, 2]);
    const out = compile((x: Tensor, w: Tensor) => x.matmul(w).tanh())(x, w).sum();
    out.backward();
    expect(errorOf(() => out.backward())).toMatch(new RegExp(`^${SECOND}`));
  });

  it("each call has its own graph: backward of an older call after a newer one's", () => {
    const f = compile(body);
    const x1 = leaf([3, 4]),
      w = leaf([4, 2]),
      x2 = leaf([3, 4]);
    const o1 = f(x1, w),
      o2 = f(x2, w);
    o2.backward();
    o1.backward();
    const ex1 = copyLeaf(x1),
      ew = copyLeaf(w),
      ex2 = copyLeaf(x2);
    body(ex1, ew).backward();
    body(ex2, ew).backward();
    expectClose(x1.grad, ex1.grad!, "x1.grad");
    expectClose(x2.grad, ex2.grad!, "x2.grad");
    expectClose(w.grad, ew.grad!, "w.grad (accumulated over both calls)");
  });
});

describe("backward of non-scalar outputs", () => {
  it("without a gradient throws PyTorch's error", () => {
    const x = leaf([2, 3]);
    const out = compile((x: Tensor) => x.exp())(x);
    expect(errorOf(() => out.backward())).toBe(
      "grad can be implicitly created only for scalar outputs",
    );
    expect(x.grad).toBeNull();
  });

  it("with a gradient weighs the output, as eager does", () => {
    const x = leaf([2, 3]),
      v = randn([2, 3]);
    const fn = (x: Tensor) => x.exp().mul(x.sin()).sum(1, true).mul(x);
    compile(fn)(x).backward(v);
    const ex = copyLeaf(x);
    fn(ex).backward(v);
    expectClose(x.grad, ex.grad!, "x.grad");
  });

  it("a gradient of the wrong shape is refused with PyTorch's error", () => {
    const x = leaf([2, 3]);
    const out = compile((x: Tensor) => x.exp())(x);
    expect(errorOf(() => out.backward(randn([3, 2])))).toBe(
      "Mismatch in shape: grad_output[0] has a shape of torch.Size([3, 2]) and output[0] has a shape of torch.Size([2, 3]).",
    );
  });
});

describe("several outputs", () => {
  it("array outputs: only one feeds the loss, the other gets a zero cotangent", () => {
    const x = leaf([2, 3]);
    const f = compile((x: Tensor) => [x.exp(), x.sin().mul(x)]);
    const [a, b] = f(x);
    expect(a.gradFn?.name).toBe("CompiledFunctionBackward");
    expect(b.gradFn).toBe(a.gradFn); // one node, two outputs
    expect([a.outputIndex, b.outputIndex]).toEqual([0, 1]);
    a.sum().backward();
    const ex = copyLeaf(x);
    ex.exp().sum().backward();
    expectClose(x.grad, ex.grad!, "x.grad through output 0 only");
  });

  it("array outputs: the second one alone", () => {
    const x = leaf([2, 3]);
    const [, b] = compile((x: Tensor) => [x.exp(), x.sin().mul(x)])(x);
    b.mul(2).sum().backward();
    const ex = copyLeaf(x);
    ex.sin().mul(ex).mul(2).sum().backward();
    expectClose(x.grad, ex.grad!, "x.grad through output 1 only");
  });

  it("object outputs: both feed the loss", () => {
    const x = leaf([4]),
      y = leaf([4]);
    const fn = (x: Tensor, y: Tensor) => ({ s: x.mul(y).sum(), d: x.sub(y).tanh() });
    const { s, d } = compile(fn)(x, y);
    s.add(d.mul(d).sum()).backward();
    const ex = copyLeaf(x),
      ey = copyLeaf(y),
      r = fn(ex, ey);
    r.s.add(r.d.mul(r.d).sum()).backward();
    expectClose(x.grad, ex.grad!, "x.grad");
    expectClose(y.grad, ey.grad!, "y.grad");
  });

  it("outputs backpropagated one at a time, with retainGraph on the first", () => {
    const x = leaf([3]);
    const [a, b] = compile((x: Tensor) => [x.exp().sum(), x.mul(x).sum()])(x);
    a.backward(undefined, { retainGraph: true });
    b.backward();
    const ex = copyLeaf(x);
    ex.exp().sum().add(ex.mul(ex).sum()).backward();
    expectClose(x.grad, ex.grad!, "x.grad");
  });

  // (was a bug: every float output got the CompiledFunctionBackward node; fixed in 40142b6)
  it("an output that depends on no input requiring grad does not require grad, as in eager", () => {
    const x = leaf([3]),
      y = randn([3]);
    const [a, b] = compile((x: Tensor, y: Tensor) => [x.exp(), y.exp()])(x, y);
    expect(a.requiresGrad).toBe(true);
    expect(y.exp().requiresGrad).toBe(false); // eager
    expect(b.requiresGrad).toBe(false);
    expect(b.gradFn).toBeNull();
  });

  // (was a bug: such an input got a zero .grad; fixed in 40142b6)
  it("an input requiring grad that no output depends on keeps .grad null, as in eager", () => {
    const x = leaf([3]),
      unused = leaf([2]);
    compile((x: Tensor, _u: Tensor) => x.exp().sum())(x, unused).backward();
    expect(x.grad).not.toBeNull();
    expect(unused.grad).toBeNull();
  });

  it("an integer or bool output gets no grad_fn; the float one does", () => {
    const x = leaf([3]);
    const [a, m] = compile((x: Tensor) => [x.exp(), x.gt(0)])(x);
    expect(a.gradFn?.name).toBe("CompiledFunctionBackward");
    expect(m.gradFn).toBeNull();
    expect(m.requiresGrad).toBe(false);
    a.sum().backward();
    expectClose(x.grad, x.exp(), "x.grad");
  });

  it("an output that is an input is a fresh alias carrying the compiled node", () => {
    const x = leaf([3]);
    const [same, e] = compile((x: Tensor) => [x, x.exp()])(x);
    expect(same).not.toBe(x);
    expect(same.gradFn?.name).toBe("CompiledFunctionBackward");
    expect(x.isLeaf).toBe(true);
    same.add(e).sum().backward();
    expectClose(x.grad, x.exp().add(1), "x.grad");
  });
});

describe("inputs and captured tensors", () => {
  it("captured leaf parameters (closure) get .grad; captured tensors without grad do not", () => {
    const w = leaf([4, 3]),
      b = leaf([3]),
      c = randn([3]);
    const fn = (x: Tensor) => x.matmul(w).add(b).mul(c).relu().sum();
    const x = leaf([2, 4]);
    const out = compile(fn)(x);
    out.backward();
    const ew = copyLeaf(w),
      eb = copyLeaf(b),
      ex = copyLeaf(x);
    ex.matmul(ew).add(eb).mul(c).relu().sum().backward();
    expectClose(w.grad, ew.grad!, "w.grad");
    expectClose(b.grad, eb.grad!, "b.grad");
    expectClose(x.grad, ex.grad!, "x.grad");
    expect(c.grad).toBeNull();
  });

  it("only captured tensors require grad: the arguments' gradients are not computed", () => {
    const w = leaf([3]);
    const x = randn([2, 3]);
    const out = compile((x: Tensor) => x.mul(w).sum())(x);
    expect(out.gradFn?.name).toBe("CompiledFunctionBackward");
    out.backward();
    expectClose(w.grad, x.sum(0), "w.grad");
    expect(x.grad).toBeNull();
  });

  it("gradients accumulate across calls and backwards", () => {
    const w = leaf([3]);
    const f = compile((x: Tensor) => x.mul(w).sum());
    const x1 = randn([3]),
      x2 = randn([3]);
    f(x1).backward();
    f(x2).backward();
    expectClose(w.grad, x1.add(x2), "w.grad");
    expect(f.stats.compiles).toBe(1);
  });

  it("a graph outlives its cache entry (evicted by a call with another shape)", () => {
    const f = compile((x: Tensor) => x.sin().mul(x).sum(), { cacheLimit: 1 });
    const a = leaf([3]),
      b = leaf([4]);
    const oa = f(a),
      ob = f(b),
      oa2 = f(a);
    expect(f.stats.compiles).toBe(3);
    oa.backward();
    ob.backward();
    oa2.backward();
    const ea = copyLeaf(a),
      eb = copyLeaf(b);
    ea.sin().mul(ea).sum().mul(2).backward();
    eb.sin().mul(eb).sum().backward();
    expectClose(a.grad, ea.grad!, "a.grad");
    expectClose(b.grad, eb.grad!, "b.grad");
  });

  it("the same tensor passed as two arguments gets both gradients", () => {
    const x = leaf([3]);
    compile((a: Tensor, b: Tensor) => a.mul(b.exp()).sum())(x, x).backward();
    const ex = copyLeaf(x);
    ex.mul(ex.exp()).sum().backward();
    expectClose(x.grad, ex.grad!, "x.grad");
  });

  it("a non-contiguous view of a leaf as input: the gradient flows through the view", () => {
    const x = leaf([3, 2]);
    compile((t: Tensor) => t.mul(t.sin()).sum(0))(x.T).backward(tensor([1, -2, 0.5]));
    const ex = copyLeaf(x);
    ex.T.mul(ex.T.sin())
      .sum(0)
      .backward(tensor([1, -2, 0.5]));
    expectClose(x.grad, ex.grad!, "x.grad");
  });

  it("a compiled function in the middle of an eager graph, and one compiled function feeding another", () => {
    const x = leaf([2, 3]);
    const f = compile((t: Tensor) => t.tanh().mul(3));
    const g = compile((t: Tensor) => t.softmax(1).log().sum());
    g(f(x.exp())).mul(2).backward();
    const ex = copyLeaf(x);
    ex.exp().tanh().mul(3).softmax(1).log().sum().mul(2).backward();
    expectClose(x.grad, ex.grad!, "x.grad");
  });

  it("a float32 input used as float64 gets a float32 gradient", () => {
    const x = leaf([3]);
    const out = compile((x: Tensor) => x.double().mul(x.double()).sum())(x);
    expect(out.dtype).toBe("float64");
    out.backward();
    expect(x.grad!.dtype).toBe("float32");
    expectClose(x.grad, x.mul(2), "x.grad");
  });

  it("an integer argument and a number argument are not differentiated", () => {
    const x = leaf([3]),
      i = tensor([1, 2, 3], { dtype: "int32" });
    const out = compile((x: Tensor, i: Tensor, k: number) => x.mul(i).mul(k).sum())(x, i, 2);
    out.backward();
    expect(x.grad!.values()).toEqual([2, 4, 6]);
    expect(i.grad).toBeNull();
  });
});

describe("grad modes", () => {
  const fn = (x: Tensor) => x.exp().sum();

  it("under noGrad no backward graph is built", () => {
    const x = leaf([3]);
    const f = compile(fn);
    const out = noGrad(() => f(x));
    expect(out.gradFn).toBeNull();
    expect(out.requiresGrad).toBe(false);
    expect(noGrad(() => f.explain(x)).backwardKernels).toBe(0);
    expect(f.explain(x).backwardKernels).toBeGreaterThan(0); // a separate cache entry
    expect(isGradEnabled()).toBe(true);
  });

  it("when nothing requires grad no backward graph is built", () => {
    const f = compile(fn);
    const x = randn([3]);
    const out = f(x);
    expect(out.gradFn).toBeNull();
    expect(out.requiresGrad).toBe(false);
    expect(f.explain(x).backwardKernels).toBe(0);
    expect(f.explain(x).ir).not.toContain("# backward");
  });

  it("requiresGrad is part of the cache key", () => {
    const f = compile(fn);
    const a = randn([3]),
      b = leaf([3]);
    expect(f(a).gradFn).toBeNull();
    expect(f(b).gradFn?.name).toBe("CompiledFunctionBackward");
    expect(f(a).gradFn).toBeNull();
    expect(f.stats.compiles).toBe(2);
  });

  it("a detach() inside the function stops the gradient, as in eager", () => {
    const x = leaf([2]);
    compile((x: Tensor) => x.detach().mul(2).add(x).mul(x).sum())(x).backward();
    const ex = copyLeaf(x);
    ex.detach().mul(2).add(ex).mul(ex).sum().backward();
    expectClose(x.grad, ex.grad!, "x.grad");
  });

  it("noGrad() inside the function stops the gradient, as in eager", () => {
    const fn = (x: Tensor) =>
      noGrad(() => x.mul(2))
        .add(x)
        .mul(x)
        .sum();
    const x = leaf([2]);
    compile(fn)(x).backward();
    const ex = copyLeaf(x);
    fn(ex).backward();
    expectClose(x.grad, ex.grad!, "x.grad");
  });

  it("noGrad() inside grad()'s function stops the gradient too", () => {
    const fn = (x: Tensor) =>
      noGrad(() => x.mul(2))
        .add(x)
        .sum();
    expect((grad(fn)(randn([2])) as Tensor).values()).toEqual([1, 1]);
  });

  // (was a bug: captured tensors' requiresGrad was not guarded, so freezing or unfreezing a
  // captured parameter after the first call reused the stale entry; fixed in 40142b6)
  it("unfreezing a captured parameter after the first call gives it a gradient", () => {
    const w = tensor([1, 2, 3]);
    const f = compile((x: Tensor) => x.mul(w).sum());
    const x = tensor([4, 5, 6], { requiresGrad: true });
    f(x).backward();
    w.requiresGrad = true;
    f(x).backward();
    expect(w.grad?.values()).toEqual([4, 5, 6]);
  });

  it("freezing a captured parameter after the first call stops its gradient", () => {
    const w = tensor([1, 2, 3], { requiresGrad: true });
    const f = compile((x: Tensor) => x.mul(w).sum());
    const x = tensor([4, 5, 6], { requiresGrad: true });
    f(x).backward();
    w.grad = null;
    w.requiresGrad = false;
    f(x).backward();
    expect(w.grad).toBeNull();
  });
});

describe("in-place changes between forward and backward", () => {
  it("an argument the backward reads, modified in place, makes backward throw; nothing is corrupted", () => {
    const x = leaf([3]),
      w = randn([3]);
    const out = compile((x: Tensor, w: Tensor) => x.mul(w).sum())(x, w);
    const wBefore = w.values();
    w.add_(1);
    const message = errorOf(() => out.backward());
    expect(message).toMatch(new RegExp(`^${INPLACE}`));
    expect(message).toMatch(
      /\[torch\.FloatTensor \[3\]\].* is at version 1; expected version 0 instead/,
    );
    expect(x.grad).toBeNull();
    expect(w.values()).toEqual(wBefore.map((v) => Math.fround(v + 1)));
    expect(w.grad).toBeNull();
  });

  it("a leaf argument the backward reads, modified under noGrad, makes backward throw", () => {
    const x = leaf([3]);
    const out = compile((x: Tensor) => x.mul(x).sum())(x);
    noGrad(() => x.mul_(2));
    expect(errorOf(() => out.backward())).toMatch(new RegExp(`^${INPLACE}`));
    expect(x.grad).toBeNull();
  });

  it("a captured tensor the backward reads, modified in place, makes backward throw", () => {
    const w = leaf([3]),
      c = randn([3]);
    const out = compile((x: Tensor) => x.mul(w).mul(c).sum())(randn([3]));
    c.mul_(2);
    expect(errorOf(() => out.backward())).toMatch(new RegExp(`^${INPLACE}`));
    expect(w.grad).toBeNull();
  });

  it("an argument the backward does not read may change", () => {
    const x = leaf([3]),
      w = randn([3]);
    const out = compile((x: Tensor, w: Tensor) => x.add(w).sum())(x, w);
    w.mul_(10);
    out.backward();
    expect(x.grad!.values()).toEqual([1, 1, 1]);
  });

  it("an output the backward recomputes instead of reading may change: the gradient is still right", () => {
    const x = leaf([3]);
    const out = compile((x: Tensor) => x.mul(x))(x); // the backward reads x, not the output
    noGrad(() => out.mul_(0));
    out.backward(tensor([1, 1, 1]));
    expectClose(x.grad, x.mul(2), "x.grad");
  });

  it("an output the backward reads (saved), modified in place, makes backward throw; nothing is corrupted", () => {
    const x = tensor(
      [
        [1, 5, 2],
        [7, 3, 4],
      ],
      { requiresGrad: true },
    );
    const out = compile((x: Tensor) => x.amax(1))(x); // amax's VJP reads its output
    out.mul_(10);
    expect(errorOf(() => out.sum().backward())).toMatch(new RegExp(`^${INPLACE}`));
    expect(x.grad).toBeNull();
    expect(out.values()).toEqual([50, 70]);
  });

  it("eager reference for the case above throws", () => {
    const x = tensor(
      [
        [1, 5, 2],
        [7, 3, 4],
      ],
      { requiresGrad: true },
    );
    const out = x.amax(1);
    out.mul_(10);
    expect(errorOf(() => out.sum().backward())).toMatch(new RegExp(`^${INPLACE}`));
  });

  it("in-place updates of tensors without grad inside a function that records gradients are written back (running statistics)", () => {
    const x = leaf([3]),
      buf = randn([3]);
    const want = buf.add(x.detach()).values();
    const f = compile((x: Tensor) => {
      buf.add_(x.detach());
      return x.mul(2).sum();
    });
    f(x).backward();
    expect(buf.values()).toEqual(want);
    expect(x.grad!.values()).toEqual([2, 2, 2]);
  });

  it("an updated tensor whose old value the backward would read is refused at compile time", () => {
    const x = leaf([3]),
      buf = randn([3]);
    const f = compile((x: Tensor) => {
      const old = buf.mul(1);
      buf.add_(1);
      return x.mul(old).sum();
    });
    const before = buf.values();
    expect(() => f(x)).toThrow(/updates a tensor in place that its backward reads/);
    expect(buf.values()).toEqual(before);
  });

  it("in-place updates of a tensor that requires grad inside such a function are refused at compile time", () => {
    const x = leaf([3]),
      w = leaf([3]);
    const f = compile((x: Tensor) => {
      noGrad(() => w.add_(1));
      return x.mul(w).sum();
    });
    const before = w.values();
    expect(() => f(x)).toThrow(
      /in-place updates of tensors that require grad inside a compiled function/,
    );
    expect(w.values()).toEqual(before);
  });
});
