// Bad input to compile(), grad() and valueAndGrad(): the function, the options, the arguments.
import { describe, expect, it } from "vitest";
import { compile, grad, randn, type Tensor, tensor, valueAndGrad } from "../../index";
import { refuses } from "./support";

const bad = (v: unknown) => v as never;
const double = (x: Tensor) => x.mul(2);

describe("compile(fn, opts)", () => {
  it("fn must be a function", () => {
    refuses(() => compile(bad(5)), TypeError, "compile(): expected a function to compile, got int");
    refuses(() => compile(bad("x => x")), TypeError, "expected a function to compile, got str");
    refuses(() => grad(bad(null)), TypeError, "grad(): expected a function to compile, got null");
    refuses(
      () => valueAndGrad(bad({})),
      TypeError,
      "valueAndGrad(): expected a function to compile, got object",
    );
  });
  it("cacheLimit must be a positive integer (NaN or a string used to disable eviction)", () => {
    for (const [v, shown] of [
      [Number.NaN, "NaN"],
      [0, "0"],
      [-1, "-1"],
      [1.5, "1.5"],
      [Number.POSITIVE_INFINITY, "Infinity"],
      ["abc", "str"],
      [null, "null"],
    ] as const)
      refuses(
        () => compile(double, bad({ cacheLimit: v })),
        TypeError,
        `compile(): cacheLimit must be a positive integer, got ${shown}`,
      );
    refuses(
      () => compile(double, bad({ cachelimit: 4 })),
      TypeError,
      'compile(): unknown option "cachelimit"; the options are cacheLimit',
    );
    refuses(
      () => compile(double, bad(4)),
      TypeError,
      "compile(): options must be an object, not int",
    );
    refuses(
      () => grad((x: Tensor) => x.sum(), bad({ cacheLimit: "8" })),
      TypeError,
      "grad(): cacheLimit must be a positive integer, got str",
    );
  });
  it("a valid cacheLimit still evicts (least recently used first)", () => {
    const f = compile(double, { cacheLimit: 1 });
    f(randn([1]));
    f(randn([2]));
    f(randn([1]));
    expect(f.stats.compiles).toBe(3);
  });
  it("an inherited cacheLimit (polluted Object.prototype) is not read", () => {
    const proto = Object.prototype as Record<string, unknown>;
    try {
      proto.cacheLimit = "abc";
      proto.argnums = "0";
      const f = compile(double, {});
      expect(f(tensor([1, 2])).tolist()).toEqual([2, 4]);
      expect((grad((x: Tensor) => x.sum(), {})(tensor([1, 2])) as Tensor).tolist()).toEqual([1, 1]);
    } finally {
      delete proto.cacheLimit;
      delete proto.argnums;
    }
  });
});

describe("grad(fn, { argnums })", () => {
  const f = (a: Tensor, b: Tensor) => a.mul(b).sum();
  it("argnums: an int >= 0 or a list of distinct ints", () => {
    refuses(
      () => grad(f, bad({ argnums: "0" })),
      TypeError,
      "grad(): argument 'argnums' must be tuple of ints, not str",
    );
    refuses(
      () => grad(f, bad({ argnums: [0, "1"] })),
      TypeError,
      "grad(): argument 'argnums' must be tuple of ints, but found element of type str at pos 2",
    );
    refuses(() => grad(f, { argnums: -1 }), Error, "grad(): argnums must be non-negative, got -1");
    refuses(
      () => grad(f, { argnums: 0.5 }),
      TypeError,
      "grad(): argument 'argnums' must be int, not float",
    );
    refuses(
      () => valueAndGrad(f, { argnums: [0, 0] }),
      Error,
      "valueAndGrad(): argnums must not repeat an argument, got [0, 0]",
    );
    refuses(
      () => grad(f, { argnums: [] }),
      Error,
      "grad(): argnums must name at least one argument",
    );
    refuses(
      () => grad(f, bad({ argnum: 1 })),
      TypeError,
      'grad(): unknown option "argnum"; the options are argnums, cacheLimit',
    );
  });
  it("argnums are copied: changing the caller's array later changes nothing", () => {
    const nums = [1];
    const g = grad(f, { argnums: nums });
    nums[0] = 0;
    const [gb] = g(tensor([1, 2]), tensor([3, 4])) as Tensor[];
    expect(gb.tolist()).toEqual([1, 2]);
  });
  it("argnums past the arguments: a TypeError at the call naming the argument", () => {
    const g = grad(f, { argnums: 2 });
    refuses(
      () => g(tensor([1]), tensor([2])),
      TypeError,
      "grad: argnums refers to argument 2, which is missing",
    );
    expect(g.stats.compiles).toBe(0);
  });
});

describe("tensor arguments with a layout changed after they were made", () => {
  it("a shape array mutated to hold a string is refused before tracing", () => {
    const g = globalThis as { pwned?: number };
    const x = randn([3]);
    (x.shape as unknown[])[0] = "1;globalThis.pwned=1";
    const f = compile(double);
    refuses(
      () => f(x),
      TypeError,
      "compile: argument 0 is not a valid tensor (its shape, strides, offset or dtype were changed after it was made)",
    );
    expect(g.pwned).toBeUndefined();
    expect(f.stats.compiles).toBe(0);
  });
  it("a captured tensor with a changed dtype is refused while tracing", () => {
    const w = randn([3]);
    (w as { dtype: string }).dtype = "constructor";
    refuses(
      () => compile((x: Tensor) => x.mul(w))(randn([3])),
      TypeError,
      "a tensor captured by the compiled function is not a valid tensor",
    );
  });
  it("a storage shorter than the shape is refused", () => {
    const x = randn([4]);
    (x as { storage: unknown }).storage = new Float32Array(2);
    refuses(() => compile(double)(x), TypeError, "its storage does not match its dtype and shape");
  });
});
