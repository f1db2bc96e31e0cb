// Compiler bugs found by the compile tests (the differential property test, mostly), minimized.
// `it.fails` marks a bug that is still open: the test passes while the bug is there and fails once
// it is fixed; then drop the `.fails` (and the bug's KNOWN entry in test/compile/fuzz.ts) so it
// guards against regressions. Fixed bugs stay as regression tests.
import { describe, expect, it } from "vitest";
import { CompileError, compile, grad, noGrad, ones, randn, type Tensor, tensor } from "../../index";

const eagerAndCompiled = <A extends (Tensor | number)[]>(fn: (...a: A) => Tensor, ...args: A) => [
  fn(...args).tolist(),
  compile(fn)(...args).tolist(),
];

describe("B1 (fixed in 702953a)", () => {
  it("a reduction over a 0-d tensor fused with another root (was: ReferenceError, t3 used before its declaration)", () => {
    const f = compile((x: Tensor) => {
      const s = x.sum(),
        m = x.max();
      return [s.neg(), m];
    });
    expect(f(tensor(1.5)).map((t) => t.item())).toEqual([-1.5, 1.5]);
  });
});

describe("B2 (fixed in b7faa1c): name clash between a deduplicated temp/accumulator and an unrolled copy (SyntaxError)", () => {
  // In a reducing kernel, a second temp for the same value was named `t0_1` (suffix = temps.length)
  // and a second reduction of the same value `acc1_1`; the 4x unrolled loop names its copies of
  // `t0` and `acc1` `t0_1`..`t0_3` and `acc1_0`..`acc1_3`, so the kernel declared a name twice.
  it("x + x.T, summed: two loads of x in one reduction loop", () => {
    const x = randn([2, 2]);
    const [want, got] = eagerAndCompiled((x) => x.add(x.T).sum(), x);
    expect(got).toBeCloseTo(want as number, 5);
  });

  it("a row mean used by two outputs (the reduction was inlined, and computed, twice)", () => {
    const f = compile((x: Tensor) => {
      const m = x.mean(1);
      return [m.neg(), m.exp()];
    });
    expect(f(randn([2, 3]))).toHaveLength(2);
  });

  it("x.neg() stored alongside x.sum(0): x read as x[i, r] and as x[r, i]", () => {
    const f = compile((x: Tensor) => {
      const s = x.sum(0);
      return [x.neg(), s];
    });
    expect(f(randn([4, 4]))).toHaveLength(2);
  });
});

describe("B3 (fixed in b7faa1c): casts and integer results were not rounded inside fused kernels", () => {
  // Fused kernels kept every intermediate as a JS double; only stores rounded to the buffer's type.
  it("float64 -> float32 -> float64 rounds to float32", () => {
    const x = tensor([0.1], { dtype: "float64" });
    const [want, got] = eagerAndCompiled((x) => x.to("float32").to("float64"), x);
    expect(want).toEqual([0.10000000149011612]);
    expect(got).toEqual(want);
  });

  it("int32 overflow wraps before a cast to float", () => {
    const x = tensor([65536], { dtype: "int32" });
    const [want, got] = eagerAndCompiled((x) => x.mul(x).float(), x);
    expect(want).toEqual([0]);
    expect(got).toEqual(want); // was: 4294967296
  });
});

describe("B4 (fixed in b7faa1c): results aliased arguments or each other when eager results do not", () => {
  it("x.clone() (simplified to x) is not the argument itself", () => {
    const x = tensor([1, 2]);
    const y = compile((x: Tensor) => x.clone())(x);
    expect(y).not.toBe(x);
    y.add_(1);
    expect(x.tolist()).toEqual([1, 2]);
  });

  it("two equal outputs merged by CSE do not share storage", () => {
    const [a, b] = compile((x: Tensor) => [x.add(1), x.add(1)])(tensor([1, 2]));
    a.add_(10);
    expect(b.tolist()).toEqual([2, 3]);
  });
});

describe("B5 (fixed in b7faa1c): -0 and 0 were treated as the same constant", () => {
  it('hash-consing keeps const -0 apart from const 0 (String(-0) is "0")', () => {
    const [want, got] = eagerAndCompiled((x) => x.mul(0).add(x.mul(-0).pow(-1)), tensor([1]));
    expect(want).toEqual([-Infinity]);
    expect(got).toEqual(want);
  });

  it("the guard tells the number arguments 0 and -0 apart", () => {
    const g = (x: Tensor, s: number) => x.mul(s).pow(-1);
    const f = compile(g),
      x = tensor([1]);
    f(x, 0);
    expect(f(x, -0).tolist()).toEqual(g(x, -0).tolist()); // [-Infinity]; the cached trace gave [Infinity]
  });

  it("simplify keeps x + 0 (x would be wrong for x = -0: -0 + 0 is +0)", () => {
    const [want, got] = eagerAndCompiled((x) => x.neg().add(0).pow(-1), tensor([0]));
    expect(want).toEqual([Infinity]);
    expect(got).toEqual(want);
  });
});

describe("B6 (fixed in b7faa1c): a missing tensor argument became NaN instead of an error", () => {
  it("calling a 2-argument function with 1 argument throws", () => {
    const f = compile((a: Tensor, b: Tensor) => a.add(b)) as unknown as (a: Tensor) => Tensor;
    expect(() => f(tensor([1, 2]))).toThrow(/expects 2 arguments, got 1/); // was: [NaN, NaN]
  });
});

describe("B7 (fixed in b7faa1c): aliased arguments and in-place updates", () => {
  it("f(x, x) where the function updates its first argument in place", () => {
    const g = (a: Tensor, b: Tensor) => {
      a.add_(1);
      return b.mul(2);
    };
    const x = tensor([1, 2]),
      y = tensor([1, 2]);
    const want = g(x, x).tolist();
    expect(want).toEqual([4, 6]);
    expect(compile(g)(y, y).tolist()).toEqual(want); // was: [2, 4], b read before a's update
  });
});

describe("E1 (eager, fixed in b7faa1c): reducing only size-1 dims read the wrong elements", () => {
  it("tensor([[1, 2]]).sum(0) is [1, 2]", () => {
    expect(
      tensor([[1, 2]])
        .sum(0)
        .tolist(),
    ).toEqual([1, 2]); // was: [1, NaN]
  });
});

describe("B2 (fixed in b7faa1c): a reduction read by two roots of one kernel was accumulated twice", () => {
  it.each<[string, (x: Tensor) => Tensor | Tensor[]]>([
    ["x.sum(1).square()", (x: Tensor) => x.sum(1).square()],
    [
      "s + s",
      (x: Tensor) => {
        const s = x.sum(0);
        return s.add(s);
      },
    ],
    [
      "[s, s.exp()]",
      (x: Tensor) => {
        const s = x.sum(0);
        return [s, s.exp()];
      },
    ],
    ["x.sum(0) + x.mean(0)", (x: Tensor) => x.sum(0).add(x.mean(0))],
  ])("%s", (_, fn) => {
    const x = randn([4, 5]);
    const want = [fn(x)].flat(),
      got = [compile(fn)(x)].flat();
    got.forEach((t, i) =>
      t.values().forEach((v, j) => expect(v).toBeCloseTo(want[i].values()[j], 4)),
    );
  });
});

describe("B8 (fixed in 40142b6): a value stored by a reducing kernel that reads it through narrow(d, 0, n) was stored only over the narrowed part", () => {
  // compiler/kernel.ts addRoot(): a root not shaped like the kernel's loops joined when one of the
  // maps it was computed at was `oneToOne` (a permutation of the loops, zero offsets), without
  // checking that the loops cover the value: y read as y.narrow(0, 0, 1) inside sum's loop
  // (1 iteration) was stored at that one point only; the rest of y's buffer stayed 0.
  it("y = sin(x); [y.narrow(0, 0, 1).sum(), y]", () => {
    const g = (x: Tensor) => {
      const y = x.sin();
      return [y.narrow(0, 0, 1).sum(), y];
    };
    const x = tensor([1, 2]);
    const [, y] = compile(g)(x);
    expect(y.values()[1]).toBeCloseTo(Math.sin(2), 6); // was: 0
  });

  it("on rows: [y.narrow(1, 0, 1).sum(1), y]", () => {
    const g = (x: Tensor) => {
      const y = x.exp();
      return [y.narrow(1, 0, 1).sum(1), y];
    };
    const x = tensor([
      [1, 2],
      [3, 4],
    ]);
    expect(compile(g)(x)[1].tolist()).toEqual(g(x)[1].tolist()); // was: [[e, 0], [e^3, 0]]
  });
});

describe("B9 (fixed in 40142b6): a matmul operand whose view chain has a non-viewable reshape read the wrong data", () => {
  // compiler/fuse.ts operandView(): when the movement chain from the base was not expressible as a
  // view, it retried from `base = chain.pop()` (the operand itself, which gets a buffer) but kept
  // the remaining chain, so the earlier ops (here the transpose) were applied again on top of the
  // already transposed-and-reshaped buffer.
  it("x.T.reshape(2, 3).matmul(y)", () => {
    const g = (x: Tensor, y: Tensor) => x.T.reshape(2, 3).matmul(y);
    const x = tensor([
        [1, 2, 3],
        [4, 5, 6],
      ]),
      y = tensor([[1], [0], [0]]);
    expect(g(x, y).tolist()).toEqual([[1], [5]]);
    expect(compile(g)(x, y).tolist()).toEqual([[1], [5]]); // was: [[1], [4]]
  });

  it("a 3-d transpose then reshape (every element came out 0)", () => {
    const g = (d: Tensor) => d.transpose(0, 1).reshape(3, 8).matmul(d.reshape(8, 3));
    const d = randn([2, 3, 4]);
    const want = g(d).values(),
      got = compile(g)(d).values();
    got.forEach((v, i) => expect(v).toBeCloseTo(want[i], 4));
  });
});

describe("B10 (fixed in 40142b6): simplify rewrote x - (-0) to x, which is wrong for x = -0", () => {
  // compiler/passes/simplify.ts: `case "sub": isConst(b, 0)` compared with ===, so it also matched
  // the constant -0 (kept apart from 0 since b7faa1c); x - (-0) is x + 0, which turns -0 into +0.
  it("x.neg().sub(-0).pow(-1) at x = 0", () => {
    const [want, got] = eagerAndCompiled((x) => x.neg().sub(-0).pow(-1), tensor([0]));
    expect(want).toEqual([Infinity]);
    expect(got).toEqual(want); // was: [-Infinity]
  });
});

describe("B11 (fixed in 40142b6): a float32 value recomputed in a fused kernel was not the value stored in its buffer", () => {
  // Fused kernels computed float32 intermediates in float64 and rounded only when storing. When one
  // kernel stored y (or a reduction of y, rounded to float32) and another recomputed y unrounded,
  // the two copies of the same SSA value differed in the last bits: y == max(y) was never true, so
  // the max VJP (x.eq(out) / count) gave 0/0, and x - max(x) at the argmax was 1e-17, not 0.
  it("y.eq(y.amax(1, true)) marks the row maxima", () => {
    const g = (x: Tensor) => {
      const y = x.mul(1.1);
      return y.eq(y.amax(1, true));
    };
    const x = tensor([
      [0.3, 0.9, -1],
      [1.7, 0.1, 0.7],
    ]);
    expect(g(x).tolist()).toEqual([
      [false, true, false],
      [true, false, false],
    ]);
    expect(compile(g)(x).tolist()).toEqual(g(x).tolist()); // was: all false
  });

  it("the compiled gradient of max is finite (one-hot), not NaN", () => {
    const x = tensor([
      [0.3, 0.9, -1],
      [1.7, 0.1, 0.7],
    ]).requiresGrad_(); // 1.7 * 1.1 is not a float32
    compile((x: Tensor) => x.mul(1.1).max())(x).backward();
    expect(x.grad!.values().map((v) => Math.round(v * 10) / 10)).toEqual([0, 0, 0, 1.1, 0, 0]); // was: all NaN
  });

  it("logSoftmax over one element is exactly 0", () => {
    const g = (x: Tensor) => x.exp().logSoftmax(0);
    expect(compile(g)(tensor([0.7])).tolist()).toEqual([0]); // was: [8.1e-18]
  });
});

describe("B12: captured tensors are bound by identity when traced", () => {
  // By design (issue 3: "captured tensors become graph inputs bound by identity"): JavaScript gives
  // no way to guard a closure variable, so a variable reassigned to a new tensor keeps the traced
  // one; pass such a tensor as an argument instead (README, "Compiling").
  it("a captured variable reassigned to a new tensor keeps the traced one; as an argument it is seen", () => {
    let W = tensor([2]);
    const f = compile((x: Tensor) => x.mul(W));
    f(tensor([1]));
    W = tensor([5]);
    expect(f(tensor([1])).tolist()).toEqual([2]);
    const g = compile((x: Tensor, w: Tensor) => x.mul(w));
    expect(g(tensor([1]), W).tolist()).toEqual([5]);
  });

  it("W.item() on a captured tensor is a CompileError (its value would be baked in), and the next good call works", () => {
    const W = tensor(2);
    const f = compile((x: Tensor) => x.mul(W.item()));
    expect(() => f(tensor([1]))).toThrow(CompileError);
    expect(() => f(tensor([1]))).toThrow(/item\(\)/);
    expect(compile((x: Tensor) => x.mul(W))(tensor([1])).tolist()).toEqual([2]);
  });
});

describe("review findings (fixed): regressions", () => {
  it("grad of x.matmul(w).sum(): the seed cotangent broadcast into a matmul operand is computed, not left zero", () => {
    const x = tensor([
        [1, 2, 3],
        [3, 2, 1],
      ]),
      w = tensor([
        [1, 0],
        [0, 1],
        [1, 1],
      ]);
    expect((grad((w: Tensor) => x.matmul(w).sum())(w) as Tensor).tolist()).toEqual([
      [4, 4],
      [4, 4],
      [4, 4],
    ]);
  });

  it("a.copy_(z); a.add_(1) writes back into a, never into z", () => {
    noGrad(() => {
      const a = tensor([1, 2]),
        z = tensor([5, 6]);
      compile((a: Tensor, z: Tensor) => {
        a.copy_(z);
        a.add_(1);
        return a;
      })(a, z);
      expect([a.tolist(), z.tolist()]).toEqual([
        [6, 7],
        [5, 6],
      ]);
    });
  });

  it("an in-place update through detach() of an argument is a CompileError, not silently dropped", () => {
    const t = tensor([1, 2, 3]);
    expect(() =>
      compile((t: Tensor) => {
        t.detach().add_(1);
        return t.mul(2);
      })(t),
    ).toThrow(CompileError);
    expect(t.tolist()).toEqual([1, 2, 3]);
  });

  it("sizes that are not integers never reach generated code", () => {
    const g = globalThis as { pwned?: boolean };
    const bad = ["(globalThis.pwned = true, 2)", 3] as unknown as number[];
    expect(() => compile((x: Tensor) => x.expand(bad).mul(2))(ones([3]))).toThrow(
      "expand(): argument 'size' must be tuple of ints, but found element of type str at pos 1",
    );
    expect(g.pwned).toBeUndefined();
  });

  it("a value read at more than 26 maps in one kernel (temp names stay distinct)", () => {
    const x = randn([40]);
    const f = (x: Tensor) => {
      let acc = x.narrow(0, 0, 10);
      for (let i = 1; i < 28; i++) acc = acc.add(x.narrow(0, i, 10));
      return acc.sum();
    };
    expect(compile(f)(x).item()).toBeCloseTo(f(x).item(), 3);
  });
});

describe("in-place dtype rule (review finding, fixed)", () => {
  it("an in-place result may not move to a lower dtype category, with PyTorch's error; the tensor is unchanged", () => {
    const b = tensor([true, false]),
      i = tensor([1, 2], { dtype: "int32" });
    expect(() => b.mul_(2)).toThrow(
      "result type Long can't be cast to the desired output type Bool",
    );
    expect(() => i.add_(1.5)).toThrow(
      "result type Float can't be cast to the desired output type Long",
    );
    expect([b.tolist(), i.tolist()]).toEqual([
      [true, false],
      [1, 2],
    ]);
  });
});

describe("mixed-precision comparison (review finding, fixed)", () => {
  it("float32 against float64 compares in float64, compiled as eager", () => {
    const f = (x: Tensor, y: Tensor) => x.lt(y);
    const a = tensor([1]),
      b = tensor([1 + 1e-10], { dtype: "float64" });
    expect(f(a, b).tolist()).toEqual([true]);
    expect(compile(f)(a, b).tolist()).toEqual([true]);
  });
});

describe("view() while tracing (review finding, fixed)", () => {
  it("a view no strides can express is refused as in eager; after contiguous() it works", () => {
    const x = randn([2, 3]);
    expect(() => x.T.view(6)).toThrow(/view size is not compatible/);
    expect(() => compile((x: Tensor) => x.T.view(6))(x)).toThrow(/view size is not compatible/);
    expect(compile((x: Tensor) => x.T.contiguous().view(6))(x).tolist()).toEqual(
      x.T.contiguous().view(6).tolist(),
    );
  });
});

describe("an input updated in place that shares memory with another input (found at review)", () => {
  // the graph took p and a view of p as independent values: the view did not see p's update
  const mk = () => tensor([1, 2, 3, 4, 5]);
  it("an argument and a view of it: the view sees the update, as eagerly", () => {
    const f = (p: Tensor, v: Tensor) => {
      noGrad(() => p.mul_(2));
      return v.add(1);
    };
    const pe = mk(),
      pc = mk(),
      c = compile(f);
    const want = f(pe, pe.narrow(0, 0, 3)).tolist();
    expect(c(pc, pc.narrow(0, 0, 3)).tolist()).toEqual(want);
    expect(pc.tolist()).toEqual(pe.tolist());
    // separate tensors still run the compiled kernels (and give the compiled answer)
    const q = mk();
    expect(c(q, mk().narrow(0, 0, 3)).tolist()).toEqual([2, 3, 4]);
    expect(q.tolist()).toEqual([2, 4, 6, 8, 10]);
  });
  it("a captured tensor updated in place and an argument viewing it", () => {
    const pe = mk(),
      pc = mk();
    const make = (p: Tensor) => (v: Tensor) => {
      noGrad(() => p.add_(10));
      return v.mul(2);
    };
    const want = make(pe)(pe.narrow(0, 2, 2)).tolist();
    expect(compile(make(pc))(pc.narrow(0, 2, 2)).tolist()).toEqual(want);
    expect(pc.tolist()).toEqual(pe.tolist());
  });
  it("with gradients recorded: the view's update reaches the result and its gradient", () => {
    const f = (x: Tensor, p: Tensor, v: Tensor) => {
      noGrad(() => p.add_(1));
      return x.mul(v).sum();
    };
    const run = (g: typeof f) => {
      const x = tensor([1, 2, 3], { requiresGrad: true }),
        p = tensor([1, 2, 3, 4]);
      const y = g(x, p, p.narrow(0, 1, 3));
      y.backward();
      return [y.item(), x.grad!.tolist(), p.tolist()];
    };
    expect(run(compile(f))).toEqual(run(f));
  });
});

describe("operands cast to the dtype an op computes in (differential seed 13; fixed)", () => {
  // PyTorch casts each operand to the op's computation dtype before the op: a 0-d float64 tensor
  // next to a float32 tensor is rounded to float32 first, as is an int32 operand of a float32 op.
  // Eager and compiled kernels computed in double from the uncast operand and rounded once. The
  // expected values are PyTorch 1.13's; each chain is exact after its first op, so compiled must
  // equal eager bit for bit.
  const f64 = (x: number) => tensor(x, { dtype: "float64" });
  const check = (fn: (...xs: Tensor[]) => Tensor, xs: Tensor[], want: unknown) => {
    expect(fn(...xs).tolist()).toEqual(want);
    expect(compile(fn)(...xs).tolist()).toEqual(want);
  };

  it("0-d float64 + float32: the float64 value is rounded to float32 before the add", () => {
    // float32(1 + 2^-24 + 2^-40) is 1 + 2^-23, so the sum is exactly 1 (in double: 1 - 2^-24)
    const a = f64(1 + 2 ** -24 + 2 ** -40),
      b = tensor([-(2 ** -23)]);
    check((a, b) => a.add(b), [a, b], [1]);
    check((a, b) => a.add(b).sub(1), [a, b], [0]);
  });

  it("int32 + float32: the integer is rounded to float32 (16777217 -> 16777216)", () => {
    const i = tensor([16777217], { dtype: "int32" }),
      y = tensor([0.5]);
    check((i, y) => i.add(y), [i, y], [16777216]);
    check((i, y) => i.add(y).mul(2), [i, y], [33554432]);
    check((i) => i.sin(), [i], [Math.fround(Math.sin(16777216))]);
  });

  it("a comparison of float32 with a 0-d float64 compares in float32", () => {
    const x = tensor([0.1]),
      y = f64(0.1);
    check((x, y) => x.eq(y), [x, y], [true]);
    check((x, y) => x.lt(y), [x, y], [false]);
    check((x, y) => x.logicalOr(y.mul(1e-300)), [tensor([0]), y], [false]);
  });

  it("where selects a 0-d float64 value as float32", () => {
    const c = tensor([true, false]),
      a = f64(1 + 2 ** -30),
      b = tensor([1, 2]);
    check((c, a, b) => a.where(c, b).sub(1), [c, a, b], [0, 1]);
  });
});
