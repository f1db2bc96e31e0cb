// Results that start uninitialized (ir/dtype.ts allocateUnfilled): a compiled output that one loop
// kernel writes whole skips the zero fill. The test suite runs with JITGRAD_POISON_UNFILLED=1
// (vitest.config.ts), so such a buffer starts as NaN at any size and an element a kernel left
// unwritten shows up as NaN against eager, here and in every other compiled test.
import { describe, expect, it } from "vitest";
import { writesWhole } from "../../backend/js/plan-access";
import type { LoopKernel } from "../../backend/plan";
import { cat, compile, grad, randn, type Tensor, tensor } from "../../index";
import { allocateUnfilled } from "../../ir/dtype";

const N = 70_000; // above UNFILLED_MIN (65536)

function expectSame(got: Tensor, want: Tensor) {
  expect(got.shape).toEqual(want.shape);
  const g = got.values() as number[],
    w = want.values() as number[];
  for (let i = 0; i < w.length; i++)
    if (!(Math.abs(g[i] - w[i]) <= 1e-5 * (1 + Math.abs(w[i]))))
      throw new Error(`element ${i}: compiled ${g[i]}, eager ${w[i]}`);
}

describe("results that start uninitialized", () => {
  it("are poisoned in the tests, at every size (NaN for floats, -1 for int32)", () => {
    expect(process.env.JITGRAD_POISON_UNFILLED).toBe("1");
    const f = allocateUnfilled("float32", 1 << 16);
    expect(f.length).toBe(1 << 16);
    expect(f.every((v) => Number.isNaN(v))).toBe(true);
    expect(allocateUnfilled("int32", 1 << 16).every((v) => v === -1)).toBe(true);
    expect(allocateUnfilled("float64", 3).every((v) => Number.isNaN(v))).toBe(true);
  });

  const x = randn([N]),
    m = randn([300, 250]),
    b = randn([250]),
    r = randn([N, 3]);
  const cases: [string, (...a: Tensor[]) => Tensor, Tensor[]][] = [
    ["a costly chain (Wasm)", (a) => a.mul(2).add(1).exp(), [x]],
    ["a cheap chain (JS)", (a) => a.mul(2).add(1), [x]],
    ["a reduction whose output is large", (a) => a.sum(1), [r]],
    ["a broadcast", (a, c) => a.add(c), [m, b]],
    ["a transposed result", (a) => a.t().mul(2), [m]],
    ["a cat (two kernels write one buffer)", (a) => cat([a, a.mul(3)], 0).add(1), [x]],
    ["a matmul with an epilogue (a kernel op)", (a) => a.matmul(a.t()).relu(), [randn([300, 250])]],
    ["a slice of a larger input", (a) => a.narrow(0, 5, N - 10).neg(), [x]],
    ["a comparison (bool)", (a) => a.gt(0), [x]],
    ["an int32 result", (a) => a.mul(100).floor().to("int32"), [x]],
    ["a cumulative sum (a scan)", (a) => a.cumsum(0), [x]],
    [
      "a scatterAdd into zeros",
      (a) => a.mul(0).scatterAdd(0, a.abs().mul(9).floor().to("int32"), a),
      [x],
    ],
  ];
  for (const [what, f, args] of cases)
    it(`are fully written: ${what}`, () => expectSame(compile(f)(...args), f(...args)));

  it("are fully written: two outputs, one of them large", () => {
    const f = (a: Tensor): Tensor[] => [a.sin(), a.sum()];
    const [s, t] = compile(f)(x),
      [s0, t0] = f(x);
    expectSame(s, s0);
    expectSame(t, t0);
  });

  it("are fully written: a gradient (the one-pass backward)", () => {
    const f = (a: Tensor) => a.tanh().mul(a).sum();
    const g = grad(f)(x) as Tensor;
    const a = x.detach().requiresGrad_();
    f(a).backward();
    expectSame(g, a.grad!);
    const c = x.detach().requiresGrad_();
    compile(f)(c).backward();
    expectSame(c.grad!, a.grad!);
  });

  it("writesWhole: one dense store over every element from offset 0, never loaded", () => {
    const plan = (store: Partial<LoopKernel["stores"][0]["access"]>, extra = {}): LoopKernel => ({
      name: "k",
      comments: [],
      params: ["b", "in0"],
      sizes: [10, 4],
      reduced: 0,
      temps: [
        {
          name: "t0",
          expr: { kind: "load", access: { buf: "in0", offset: 0, strides: [4, 1] } },
          phase: "inner",
        },
      ],
      reductions: [],
      stores: [{ access: { buf: "b", offset: 0, strides: [4, 1], ...store }, value: "t0" }],
      ...extra,
    });
    expect(writesWhole(plan({}), "b", 40)).toBe(true);
    expect(writesWhole(plan({}), "b", 41)).toBe(false); // a larger buffer
    expect(writesWhole(plan({ offset: 4 }), "b", 40)).toBe(false);
    expect(writesWhole(plan({ strides: [8, 1] }), "b", 40)).toBe(false); // every other row
    expect(writesWhole(plan({ strides: [4, 0] }), "b", 40)).toBe(false);
    expect(writesWhole(plan({ buf: "in0" }), "in0", 40)).toBe(false); // read and written
    const twice = plan({});
    twice.stores.push({ ...twice.stores[0] });
    expect(writesWhole(twice, "b", 40)).toBe(false);
    expect(writesWhole(plan({}, { sizes: [10, "n"] }), "b", 40)).toBe(false);
  });

  it("the poison is what the tests would see of a kernel that skips elements", () => {
    // (the check above is only as good as this: unwritten elements read as NaN, never as 0)
    const s = allocateUnfilled("float32", 1 << 17);
    s.fill(1, 0, 1000);
    expect(Number.isNaN(tensor(s).sum().item())).toBe(true);
  });
});
