// Issue 11's reductions with indices (max/min over a dim, argmax/argmin, amax/amin): what the
// PyTorch fixtures cannot hold (NaN inputs, object results under compile, argument checks) and
// the kernel counts of the compiled compositions. Values and gradients against PyTorch are in
// test/golden/make_golden.py ("issue 11: reductions, scans, sort").
import { describe, expect, it } from "vitest";
import { compile, type Tensor, tensor } from "../../index";

const NAN = Number.NaN;

describe("max(dim)/min(dim): { values, indices }", () => {
  it("NaN wins, and its index is the first NaN's (PyTorch 1.13)", () => {
    const x = tensor([
      [1, NAN, 3, NAN],
      [2, 5, 5, 1],
    ]);
    const mx = x.max(1),
      mn = x.min(1);
    expect(mx.values.values()).toEqual([NAN, 5]);
    expect(mx.indices.values()).toEqual([1, 1]);
    expect(mn.values.values()).toEqual([NAN, 1]);
    expect(mn.indices.values()).toEqual([1, 3]);
    expect(x.argmax(1).values()).toEqual([1, 1]);
    expect(x.argmin().values()).toEqual([1]);
    expect(x.argmin().shape).toEqual([]);
  });

  it("the same under compile, eager = compiled, returning the named tuple", () => {
    const x = tensor([
      [1, NAN, 3, NAN],
      [2, 5, 5, 1],
      [0, -1, -1, 4],
    ]);
    const f = compile((x: Tensor) => x.max(1));
    const got = f(x);
    expect(got.values.values()).toEqual([NAN, 5, 4]);
    expect(got.indices.values()).toEqual([1, 1, 3]);
    expect(got.indices.dtype).toBe("int32");
  });

  it("the gradient goes to the chosen index only (MaxBackward0); amax shares it among ties", () => {
    const a = tensor(
      [
        [1, 3, 3],
        [2, 2, 0],
      ],
      { requiresGrad: true },
    );
    const v = a.max(1).values;
    expect(v.gradFn?.name).toBe("MaxBackward0");
    v.sum().backward();
    expect(a.grad?.tolist()).toEqual([
      [0, 1, 0],
      [1, 0, 0],
    ]);
    const b = tensor([[1, 3, 3]], { requiresGrad: true });
    const m = b.amax(1);
    expect(m.gradFn?.name).toBe("AmaxBackward0");
    m.sum().backward();
    expect(b.grad?.tolist()).toEqual([[0, 0.5, 0.5]]);
    const c = tensor([[4, 1, 1]], { requiresGrad: true });
    const n = c.min(1, true);
    expect(n.values.gradFn?.name).toBe("MinBackward0");
    expect(n.values.shape).toEqual([1, 1]);
    n.values.sum().backward();
    expect(c.grad?.tolist()).toEqual([[0, 1, 0]]);
  });

  it("max(other) is maximum, max() is the 0-d maximum", () => {
    const x = tensor([1, 5, -2]),
      y = tensor([3, 0, -1]);
    expect(x.max(y).values()).toEqual([3, 5, -1]);
    expect(x.min(y).values()).toEqual([1, 0, -2]);
    expect(x.max().shape).toEqual([]);
    expect(x.max().item()).toBe(5);
  });

  it("checks its arguments", () => {
    const x = tensor([
      [1, 2],
      [3, 4],
    ]);
    const f = x.max.bind(x) as (d?: unknown, k?: unknown) => unknown;
    expect(() => f("0")).toThrow("max(): argument 'dim' (position 1) must be int, not str");
    expect(() => f([0, 1])).toThrow("max(): argument 'dim' (position 1) must be int, not list");
    expect(() => f(0, 1)).toThrow("max(): argument 'keepdim' (position 2) must be bool, not int");
    expect(() => f(undefined, true)).toThrow("keepdim needs a dim");
    expect(() => f(2)).toThrow(
      "Dimension out of range (expected to be in range of [-2, 1], but got 2)",
    );
    const g = x.argmax.bind(x) as (d?: unknown, k?: unknown) => unknown;
    expect(() => g(0.5)).toThrow("argmax(): argument 'dim' (position 1) must be int, not float");
    expect(() => g(0, "yes")).toThrow("must be bool, not str");
  });
});

describe("prod, var/std, logsumexp, any/all", () => {
  it("var/std of one element is NaN (N - correction = 0), as PyTorch's", () => {
    expect(tensor([2]).var().values()).toEqual([NAN]);
    expect(
      tensor([[2, 4]])
        .std(0, { correction: 0 })
        .values(),
    ).toEqual([0, 0]);
  });
  it("var/std check their options", () => {
    const x = tensor([1, 2, 4]);
    const v = x.var.bind(x) as (d?: unknown, o?: unknown) => Tensor;
    expect(() => v(0, { correction: 1, unbiased: true })).toThrow(
      "either 'unbiased' or 'correction'",
    );
    expect(() => v(0, { ddof: 1 })).toThrow();
    expect(() => v(0, { correction: 0.5 })).toThrow("must be int, not float");
    expect(() => v(0, { keepdim: 1 })).toThrow("must be bool, not int");
    expect(() => v(true, { keepdim: true })).toThrow("takes no other arguments");
    expect(v(false).item()).toBeCloseTo(14 / 9, 6);
    expect(() => tensor([1, 2], { dtype: "int32" }).std()).toThrow(
      "std and var only support floating point and complex dtypes",
    );
  });
  it("logsumexp: all -inf gives -inf, +inf gives +inf, NaN propagates", () => {
    expect(tensor([-Infinity, -Infinity]).logsumexp(0).item()).toBe(-Infinity);
    expect(tensor([Infinity, 1]).logsumexp(0).item()).toBe(Infinity);
    expect(tensor([NAN, 1]).logsumexp(0).item()).toBeNaN();
    expect(() => (tensor([1]).logsumexp as (d?: unknown) => Tensor)()).toThrow("is required");
  });
  it("any/all: NaN is true; countNonzero counts it", () => {
    const x = tensor([NAN, 0]);
    expect(x.any().item()).toBe(1);
    expect(x.all().item()).toBe(0);
    expect(x.countNonzero().item()).toBe(1);
    expect(x.any().dtype).toBe("bool");
  });
  it("prod's gradient with zeros, compiled as eager", () => {
    const make = () =>
      tensor(
        [
          [2, 0, 3],
          [0, 0, 1],
          [1, 2, 3],
        ],
        { requiresGrad: true },
      );
    const a = make(),
      b = make();
    a.prod(1).sum().backward();
    compile((x: Tensor) => x.prod(1).sum())(b).backward();
    expect(a.grad?.tolist()).toEqual([
      [0, 6, 0],
      [0, 0, 0],
      [6, 3, 2],
    ]);
    expect(b.grad?.tolist()).toEqual(a.grad?.tolist());
  });
});

describe("kernel counts", () => {
  const x = tensor(
    Array.from({ length: 12 }, (_, i) => (i * 7) % 5),
    { shape: [3, 4], requiresGrad: true },
  );
  it("argmax(dim): the row max, then the first index attaining it (2 kernels)", () => {
    const e = compile((x: Tensor) => x.argmax(1)).explain(x);
    expect(e.forwardKernels).toBe(2);
  });
  it("max(dim).values with its gradient", () => {
    const f = compile((x: Tensor) => x.max(1).values.mul(2).sum());
    const e = f.explain(x);
    expect(e.forwardKernels).toBe(3);
    expect(e.backwardKernels).toBe(3); // zeros, the scatter of the gradient, its sum over rows
  });
  // (without gradients: with them, the forward also keeps what the backward reads)
  it("prod(dim): one reduction kernel", () => {
    expect(compile((x: Tensor) => x.prod(1)).explain(x.detach()).forwardKernels).toBe(1);
  });
  it("var(dim): the mean, then the squared deviations' sum", () => {
    expect(compile((x: Tensor) => x.var(1)).explain(x.detach()).forwardKernels).toBe(2);
  });
  it("cumprod(dim): one scan kernel; its gradient runs as scans too", () => {
    expect(compile((x: Tensor) => x.cumprod(1)).explain(x.detach()).forwardKernels).toBe(1);
    const e = compile((x: Tensor) => x.cumprod(1).sum()).explain(x);
    expect(e.backwardKernels).toBeGreaterThan(0);
  });
  it("logsumexp(dim): the max, then the sum of exp (and the log) in a second pass", () => {
    expect(compile((x: Tensor) => x.logsumexp(1)).explain(x.detach()).forwardKernels).toBe(2);
  });
});
