// Bad input to compile(), grad() and valueAndGrad(): the function, the options, the arguments.
import { describe, expect, it } from "vitest";
import {
  CompileError,
  compile,
  grad,
  nn,
  noGrad,
  randn,
  type Tensor,
  tensor,
  valueAndGrad,
} from "../../index";
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

describe("what compile() can compile", () => {
  it("async functions, generators and async generators: a CompileError at compile()", () => {
    refuses(
      () => compile(bad(async (x: Tensor) => x.mul(2))),
      CompileError,
      "compile(): cannot compile an async function: a compiled function must return its tensors synchronously",
    );
    refuses(
      () =>
        compile(
          bad(function* (x: Tensor) {
            yield x;
          }),
        ),
      CompileError,
      "cannot compile a generator function",
    );
    refuses(
      () =>
        grad(
          bad(async function* (x: Tensor) {
            yield x;
          }),
        ),
      CompileError,
      "grad(): cannot compile an async generator function",
    );
  });
  it("a function returning a Promise, a Map, a generator or a class instance: a CompileError, not {}", () => {
    const x = tensor([1, 2]);
    const cases: [() => unknown, string][] = [
      [() => Promise.resolve(x), "it returned a Promise (async functions cannot be compiled)"],
      [() => new Map([["y", x]]), "or an object of Tensors (a plain object); it returned a Map"],
      [() => new Set([x]), "it returned a Set"],
      [
        () =>
          (function* () {
            yield x;
          })(),
        "it returned a Generator",
      ],
      [
        () =>
          new (class Box {
            y = x;
          })(),
        "it returned a class instance",
      ],
    ];
    for (const [body, message] of cases) {
      const f = compile(bad(() => body()));
      refuses(() => f(x), CompileError, message, x);
      expect(f.stats.compiles).toBe(0);
    }
    expect(compile((t: Tensor) => ({ y: t.mul(2) }))(x).y.tolist()).toEqual([2, 4]);
    expect(
      compile((t: Tensor) => Object.assign(Object.create(null), { y: t }))(x).y.tolist(),
    ).toEqual([1, 2]);
  });
});

describe("compiled functions calling compiled functions", () => {
  it("an inner compiled call joins the outer trace: captured tensors are read at every call, not frozen", () => {
    const w = tensor([1, 2]);
    const inner = compile((v: Tensor) => v.mul(2));
    const outer = compile((x: Tensor) => x.add(inner(w)));
    expect(outer(tensor([10, 10])).tolist()).toEqual([12, 14]);
    noGrad(() => w.add_(1));
    expect(outer(tensor([10, 10])).tolist()).toEqual([14, 16]);
    expect(inner.stats.calls).toBe(0);
    expect(outer.stats.compiles).toBe(1);
  });
  it("grad() functions inside compile() become part of its trace", () => {
    const df = grad((v: Tensor) => v.mul(v).sum());
    const f = compile((x: Tensor) => (df(x) as Tensor).mul(2));
    expect(f(tensor([1, 2])).tolist()).toEqual([4, 8]);
    expect(df.stats.calls).toBe(0);
  });
});

describe("tracers used after their trace", () => {
  it("a tracer kept in a closure: a CompileError eagerly and in another trace", () => {
    let leak: Tensor | null = null;
    const f = compile((x: Tensor) => {
      leak = x.mul(2);
      return leak.add(1);
    });
    expect(f(tensor([1, 2])).tolist()).toEqual([3, 5]);
    const kept = leak as unknown as Tensor;
    refuses(
      () => kept.add(1),
      CompileError,
      "a tensor from inside a compiled function (a tracer) was used after its trace ended",
    );
    refuses(() => kept.sum(), CompileError, "used after its trace ended");
    refuses(
      () => compile((y: Tensor) => y.add(kept))(tensor([1, 2])),
      CompileError,
      "used after its trace ended",
    );
    refuses(() => kept.tolist(), CompileError, "tolist() needs a tensor's values");
  });
});

describe("module training flags are part of the guard", () => {
  class Mode extends nn.Module {
    forward(x: Tensor): Tensor {
      return this.training ? x.mul(2) : x.mul(3);
    }
  }
  it("a function traced in one mode is traced again after train()/eval(), once per mode", () => {
    const m = new Mode();
    const f = compile((x: Tensor) => m.forward(x));
    const x = tensor([1, 2]);
    expect(f(x).tolist()).toEqual([2, 4]);
    m.eval();
    expect(f(x).tolist()).toEqual([3, 6]);
    m.train();
    expect(f(x).tolist()).toEqual([2, 4]); // the training-mode trace, kept
    expect(f.stats.compiles).toBe(2);
    expect(f(x).tolist()).toEqual([2, 4]);
    m.eval();
    expect(f(x).tolist()).toEqual([3, 6]);
    expect(f.stats.compiles).toBe(2);
    expect(f.stats.cacheHits).toBe(3);
  });
  it("entries of every mode count toward cacheLimit", () => {
    const m = new Mode();
    const f = compile((x: Tensor) => m.forward(x), { cacheLimit: 1 });
    const x = tensor([1, 2]);
    expect(f(x).tolist()).toEqual([2, 4]);
    m.eval();
    expect(f(x).tolist()).toEqual([3, 6]);
    m.train();
    expect(f(x).tolist()).toEqual([2, 4]); // evicted: traced again
    expect(f.stats.compiles).toBe(3);
  });
  it("dropout: traced in eval mode (identity), then train(): traced again, which refuses training-mode dropout clearly", () => {
    const model = new nn.Sequential(new nn.Linear(2, 2), new nn.Dropout(0.5));
    model.eval();
    const f = compile((x: Tensor) => model.forward(x));
    const x = randn([3, 2]);
    const before = f(x).values();
    model.train();
    refuses(() => f(x), CompileError, "dropout in training mode draws a new mask at every call");
    model.eval();
    expect(f(x).values()).toEqual(before);
  });
  it("training must be a boolean", () => {
    const m = new Mode();
    refuses(
      () => {
        m.training = bad("no");
      },
      TypeError,
      "training(): argument 'mode' must be bool, not str",
    );
    expect(m.training).toBe(true);
  });
});
