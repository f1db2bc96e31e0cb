// Large graphs: long chains compile (graph walks use explicit stacks, fusion cuts every 256 ops),
// very large ones get a clear error instead of a stack overflow, and a compiled cat of many pieces
// copies each piece once.
import { describe, expect, it } from "vitest";
import { CompileError, cat, compile, randn, type Tensor } from "../../index";

const chain = (n: number) => (x: Tensor) => {
  let y = x;
  for (let i = 0; i < n; i++) y = y.mul(1.0001).add(0.001);
  return y;
};

describe("large graphs", () => {
  it("a chain of 2,000 ops (once a stack overflow) compiles and equals eager", () => {
    const x = randn([4]),
      f = compile(chain(1000));
    const got = f(x).values(),
      want = chain(1000)(x).values();
    got.forEach((v, i) => expect(v).toBeCloseTo(want[i], 4));
  });

  it("100,000 chained ops (200,000 values): a CompileError naming the limit, raised while tracing", () => {
    const f = compile(chain(100_000));
    let error: unknown;
    try {
      f(randn([4]));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CompileError);
    expect(String(error)).toMatch(/more than the 50000 values jitgrad compiles/);
  });

  it("a compiled cat of 3,000 pieces: one cat kernel, each piece copied once", () => {
    const xs = Array.from({ length: 3000 }, () => randn([10]));
    const f = compile((...a: Tensor[]) => cat(a, 0).mul(2));
    const e = f.explain(...xs);
    expect(e.forwardKernels).toBe(2); // the cat kernel, then the multiply
    expect(e.code).toMatch(/concat\(/);
    expect(f(...xs).values()).toEqual(cat(xs, 0).mul(2).values());
  });
});
