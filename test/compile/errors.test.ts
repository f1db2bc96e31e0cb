// Bad input to compiled functions: clear errors, nothing cached, and the next good call works.
import { describe, expect, it } from "vitest";
import { CompileError, compile, randn, type Tensor, tensor } from "../../index";

const good = (f: (x: Tensor) => Tensor) => {
  const x = tensor([1, 2, 3]);
  expect(f(x).tolist()).toEqual([2, 4, 6]);
};

describe("arguments", () => {
  const double = (x: Tensor) => x.mul(2);

  it.each([
    ["a string", "hello", /argument 0 is string/],
    ["an object", { data: [1, 2] }, /argument 0 is object/],
    ["null", null, /argument 0 is null/],
    ["undefined", undefined, /argument 0 is undefined/],
    ["a boolean", true, /argument 0 is boolean/],
    ["a function", () => 1, /argument 0 is function/],
    ["an array", [1, 2, 3], /argument 0 is (an array|object)/],
  ])("%s is refused with a TypeError naming the argument", (_, arg, message) => {
    const f = compile(double);
    expect(() => (f as unknown as (a: unknown) => Tensor)(arg)).toThrow(TypeError);
    expect(() => (f as unknown as (a: unknown) => Tensor)(arg)).toThrow(message);
    expect(() => (f as unknown as (a: unknown) => Tensor)(arg)).toThrow(
      /takes Tensors and numbers/,
    );
    expect(f.stats.compiles).toBe(0);
    good(f);
  });

  it("a bad argument after good ones is reported by position", () => {
    const f = compile((a: Tensor, b: Tensor) => a.add(b));
    expect(() => (f as unknown as (...a: unknown[]) => Tensor)(tensor([1]), "x")).toThrow(
      /argument 1 is string/,
    );
  });

  it("too few arguments: a TypeError giving the expected count (not NaN from a missing operand)", () => {
    const f = compile((a: Tensor, b: Tensor) => a.add(b)) as unknown as (...a: unknown[]) => Tensor;
    expect(() => f(tensor([1, 2]))).toThrow(TypeError);
    expect(() => f(tensor([1, 2]))).toThrow(/expects 2 arguments, got 1/);
    expect(() => f()).toThrow(/expects 2 arguments, got 0/);
    expect(f(tensor([1, 2]), tensor([3, 4])).tolist()).toEqual([4, 6]);
  });

  it("extra arguments are accepted and ignored, as JavaScript does", () => {
    const f = compile((a: Tensor) => a.neg()) as unknown as (...a: unknown[]) => Tensor;
    expect(f(tensor([1]), tensor([2]), 3).tolist()).toEqual([-1]);
  });

  it("an explicit undefined for a missing tensor is refused", () => {
    const f = compile((a: Tensor, b: Tensor) => a.add(b));
    expect(() => (f as unknown as (...a: unknown[]) => Tensor)(tensor([1]), undefined)).toThrow(
      /argument 1 is undefined/,
    );
  });

  it("a tensor of the wrong shape fails while tracing with the eager error, and caches nothing", () => {
    const f = compile((a: Tensor, b: Tensor) => a.add(b));
    expect(() => f(tensor([1, 2]), tensor([1, 2, 3]))).toThrow(
      /size of tensor a \(2\) must match the size of tensor b \(3\)/,
    );
    expect(f.stats.compiles).toBe(0);
    expect(f(tensor([1, 2]), tensor([3, 4])).tolist()).toEqual([4, 6]);
  });
});

describe("errors while tracing", () => {
  it("an error thrown by the function propagates as is, nothing is cached, the next call works", () => {
    let fail = true;
    const boom = new RangeError("user error");
    const f = compile((x: Tensor) => {
      const y = x.mul(2);
      if (fail) throw boom;
      return y;
    });
    let caught: unknown;
    try {
      f(tensor([1, 2, 3]));
    } catch (e) {
      caught = e;
    }
    expect(caught).toBe(boom);
    expect(f.stats).toEqual({ calls: 1, compiles: 0, cacheHits: 0 });
    fail = false;
    good(f);
    expect(f.stats).toEqual({ calls: 2, compiles: 1, cacheHits: 0 });
  });

  it("after a failed trace, eager code runs eagerly again (no trace left active)", () => {
    const f = compile((x: Tensor): Tensor => {
      x.exp();
      throw new Error("stop");
    });
    expect(() => f(tensor([1]))).toThrow("stop");
    const y = tensor([1, 2]).add(1);
    expect(y.storage).not.toBeNull();
    expect(y.tolist()).toEqual([2, 3]);
  });

  it.each([
    ["item()", (x: Tensor) => x.mul(x.sum().item()), /item\(\)/],
    [
      "tolist()",
      (x: Tensor) => {
        x.tolist();
        return x.mul(2);
      },
      /tolist\(\)/,
    ],
    [
      "String(x)",
      (x: Tensor) => {
        String(x);
        return x.mul(2);
      },
      /printing a tensor/,
    ],
    [
      "a template literal",
      (x: Tensor) => {
        void `${x.exp()}`;
        return x.mul(2);
      },
      /printing a tensor/,
    ],
    ["a branch on a value", (x: Tensor) => (x.sum().item() > 0 ? x.mul(2) : x), /item\(\)/],
  ])(
    "data-dependent %s throws a CompileError naming it; the next good call works",
    (_, fn, message) => {
      let dataDependent = true;
      const f = compile((x: Tensor) => (dataDependent ? fn(x) : x.mul(2)));
      let caught: unknown;
      try {
        f(tensor([1, 2, 3]));
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(CompileError);
      expect((caught as Error).name).toBe("CompileError");
      expect((caught as Error).message).toMatch(message);
      expect((caught as Error).message).toMatch(/compile\(\)/); // says where the problem is
      expect(f.stats.compiles).toBe(0);
      dataDependent = false;
      good(f);
    },
  );

  it.each([
    ["a number", () => 3],
    ["a string", () => "done"],
    ["undefined", () => undefined],
    ["null", () => null],
    ["an array with a number", (x: Tensor) => [x, 1]],
    ["an object with a string", (x: Tensor) => ({ y: x, note: "hi" })],
  ])("returning %s throws a clear CompileError", (_, fn) => {
    const f = compile(fn as unknown as (x: Tensor) => Tensor);
    expect(() => f(tensor([1]))).toThrow(CompileError);
    expect(() => f(tensor([1]))).toThrow(
      /must return a Tensor, an array of Tensors, or an object of Tensors/,
    );
    expect(f.stats.compiles).toBe(0);
  });

  it("arrays and objects of tensors are returned in the same structure", () => {
    const f = compile((x: Tensor) => ({ double: x.mul(2), pair: x.neg() }));
    const r = f(tensor([1, 2]));
    expect(Object.keys(r)).toEqual(["double", "pair"]);
    expect(r.double.tolist()).toEqual([2, 4]);
    const g = compile((x: Tensor) => [x.add(1), x]);
    const [a, b] = g(tensor([1]));
    expect(a.tolist()).toEqual([2]);
    expect(b.tolist()).toEqual([1]);
  });

  it("a compiled function called inside compile() joins the outer trace (inlined)", () => {
    const inner = compile((x: Tensor) => x.exp());
    const outer = compile((x: Tensor) => inner(x).add(1));
    const x = randn([2]);
    const want = x.exp().add(1).values();
    outer(x)
      .values()
      .forEach((v, i) => expect(v).toBeCloseTo(want[i], 5));
    expect(inner.stats.calls).toBe(0);
    expect(outer.explain(x).forwardKernels).toBe(1);
  });
});
