// Guards and the cache: what makes a compiled function reuse a trace, recompile, or read new data.
import { afterEach, describe, expect, it, vi } from "vitest";
import { compile, manualSeed, noGrad, randn, type Tensor, tensor } from "../../index";

manualSeed(1);
const close = (got: Tensor, want: Tensor) => {
  expect(got.shape).toEqual(want.shape);
  expect(got.dtype).toBe(want.dtype);
  const w = want.values();
  got.values().forEach((v, i) => expect(v).toBeCloseTo(w[i], 5));
};

describe("guards", () => {
  const fn = (x: Tensor) => x.mul(x).add(1).sum(-1);

  it("the same shape is a cache hit", () => {
    const f = compile(fn);
    const a = randn([2, 3]),
      b = randn([2, 3]);
    close(f(a), fn(a));
    close(f(b), fn(b)); // same signature, new data
    expect(f.stats).toEqual({ calls: 2, compiles: 1, cacheHits: 1 });
  });

  it("a new shape recompiles and gives correct results; the old one is still cached", () => {
    const f = compile(fn);
    const shapes = [[2, 3], [4], [3, 1, 2], [2, 3], [4]];
    for (const s of shapes) {
      const x = randn(s);
      close(f(x), fn(x));
    }
    expect(f.stats).toEqual({ calls: 5, compiles: 3, cacheHits: 2 });
  });

  it("a dtype change recompiles", () => {
    const f = compile(fn);
    const x = randn([3]),
      d = x.double();
    close(f(x), fn(x));
    const r = f(d);
    expect(r.dtype).toBe("float64");
    close(r, fn(d));
    expect(f.stats.compiles).toBe(2);
    const i = tensor([1, 2, 3], { dtype: "int32" });
    close(f(i), fn(i));
    expect(f.stats.compiles).toBe(3);
  });

  it("number arguments are specialized: each value is its own trace, with its own result", () => {
    const g = (x: Tensor, s: number, p: number) => x.mul(s).pow(p).sum();
    const f = compile(g);
    const x = tensor([1, 2, 3]);
    expect(f(x, 2, 2).item()).toBe(g(x, 2, 2).item()); // 4 + 16 + 36
    expect(f(x, 3, 2).item()).toBe(g(x, 3, 2).item());
    expect(f(x, 2, 3).item()).toBe(g(x, 2, 3).item());
    expect(f(x, 0.5, 1).item()).toBeCloseTo(3, 6);
    expect(f.stats.compiles).toBe(4);
    expect(f(x, 2, 2).item()).toBe(56);
    expect(f.stats).toEqual({ calls: 5, compiles: 4, cacheHits: 1 });
  });

  it("a number argument can shape the trace (a reshape size, a reduction dim)", () => {
    const g = (x: Tensor, n: number) => x.reshape(n, -1).sum(1);
    const f = compile(g);
    const x = randn([12]);
    close(f(x, 3), g(x, 3));
    close(f(x, 4), g(x, 4));
    expect(f(x, 2).shape).toEqual([2]);
  });

  it("requiresGrad and grad mode are part of the signature", () => {
    const f = compile(fn);
    const x = randn([3]);
    f(x);
    f(randn([3]).requiresGrad_());
    noGrad(() => f(randn([3]).requiresGrad_()));
    expect(f.stats.compiles).toBe(3);
    noGrad(() => f(randn([3]).requiresGrad_()));
    expect(f.stats.compiles).toBe(3);
  });

  it("the same tensor passed twice is its own signature (aliasing), with correct results", () => {
    const g = (a: Tensor, b: Tensor) => a.mul(b).add(a);
    const f = compile(g);
    const x = randn([3]),
      y = randn([3]);
    close(f(x, y), g(x, y));
    close(f(x, x), g(x, x));
    close(f(y, y), g(y, y));
    expect(f.stats).toEqual({ calls: 3, compiles: 2, cacheHits: 1 });
  });

  it("a non-contiguous argument shares the contiguous one's trace and is read correctly", () => {
    const f = compile((x: Tensor) => x.mul(2).add(x.sum(0)));
    const c = randn([3, 3]),
      t = randn([3, 3]).T,
      n = randn([3, 6]).narrow(1, 2, 3);
    const offset = randn([5, 3]).narrow(0, 2, 3); // contiguous, but not at the start of its storage
    const expanded = randn([1, 3]).expand(3, 3); // stride 0
    for (const x of [c, t, n, offset, expanded]) close(f(x), x.mul(2).add(x.sum(0)));
    expect(f.stats).toEqual({ calls: 5, compiles: 1, cacheHits: 4 });
  });

  it("a captured tensor updated in place under noGrad is seen by the next call", () => {
    const W = randn([3]).requiresGrad_();
    const f = compile((x: Tensor) => x.mul(W).sum());
    const x = randn([3]);
    const before = noGrad(() => f(x).item());
    expect(before).toBeCloseTo(
      noGrad(() => x.mul(W).sum().item()),
      5,
    );
    noGrad(() => {
      W.add_(1);
    });
    const after = noGrad(() => f(x).item());
    expect(after).toBeCloseTo(before + x.sum().item(), 4);
    expect(f.stats.compiles).toBe(1);
  });

  it("a captured non-grad tensor updated in place is seen by the next call", () => {
    const W = tensor([1, 2, 3]),
      b = tensor(0.5);
    const f = compile((x: Tensor) => x.mul(W).add(b));
    const x = tensor([1, 1, 1]);
    expect(f(x).tolist()).toEqual([1.5, 2.5, 3.5]);
    W.add_(1);
    b.mul_(-2);
    expect(f(x).tolist()).toEqual([1, 2, 3]);
    W.copy_(tensor([0, 0, 7]));
    expect(f(x).tolist()).toEqual([-1, -1, 6]);
    expect(f.stats).toEqual({ calls: 3, compiles: 1, cacheHits: 2 });
  });

  it("outputs are fresh tensors: a later call does not overwrite an earlier result", () => {
    const f = compile((x: Tensor) => x.exp().add(1));
    const r1 = f(tensor([0, 0])),
      r2 = f(tensor([1, 1]));
    expect(r1.tolist()).toEqual([2, 2]);
    expect(r2.values()[0]).toBeCloseTo(Math.E + 1, 5);
  });
});

describe("cacheLimit", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("evicts the least recently used signature", () => {
    const f = compile((x: Tensor) => x.add(1), { cacheLimit: 2 });
    const A = randn([1]),
      B = randn([2]),
      C = randn([3]);
    f(A);
    f(B); // compiles: A, B
    f(A); // hit; B is now least recently used
    f(C); // compiles, evicts B
    expect(f.stats).toEqual({ calls: 4, compiles: 3, cacheHits: 1 });
    f(A);
    f(C); // both still cached
    expect(f.stats.compiles).toBe(3);
    f(B); // was evicted: compiles again
    expect(f.stats).toEqual({ calls: 7, compiles: 4, cacheHits: 3 });
    close(f(B), B.add(1));
  });

  it("cycling through more shapes than the limit recompiles every time, and warns once", () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const f = compile((x: Tensor) => x.mul(2), { cacheLimit: 2 });
    const xs = [randn([1]), randn([2]), randn([3])];
    for (let round = 0; round < 5; round++) for (const x of xs) close(f(x), x.mul(2));
    expect(f.stats).toEqual({ calls: 15, compiles: 15, cacheHits: 0 });
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0][0])).toMatch(/cacheLimit/);
  });

  it("within the limit: no recompiles and no warning", () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const f = compile((x: Tensor) => x.mul(2), { cacheLimit: 3 });
    const xs = [randn([1]), randn([2]), randn([3])];
    for (let round = 0; round < 5; round++) for (const x of xs) f(x);
    expect(f.stats).toEqual({ calls: 15, compiles: 3, cacheHits: 12 });
    expect(warn).not.toHaveBeenCalled();
  });

  it("each compiled function has its own cache", () => {
    const fn = (x: Tensor) => x.neg();
    const f = compile(fn),
      g = compile(fn);
    f(randn([2]));
    g(randn([2]));
    g(randn([2]));
    expect(f.stats).toEqual({ calls: 1, compiles: 1, cacheHits: 0 });
    expect(g.stats).toEqual({ calls: 2, compiles: 1, cacheHits: 1 });
  });
});

// JITGRAD_LOG=ir,code prints each compilation to stderr; it is read once at import, so it is not
// tested here.
