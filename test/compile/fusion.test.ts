// Fusion decisions, seen through explain(): how many kernels a function becomes, and what the
// generated code looks like. Every case also checks the compiled result against eager.
import { parse } from "acorn";
import { describe, expect, it } from "vitest";
import { cat, compile, manualSeed, randn, stack, type Tensor, tensor } from "../../index";

type Fn = (...xs: Tensor[]) => Tensor;

function explain(fn: Fn, ...args: Tensor[]) {
  const f = compile(fn);
  const e = f.explain(...args);
  // the compiled function agrees with eager
  const got = f(...args),
    want = fn(...args);
  expect(got.shape).toEqual(want.shape);
  got.values().forEach((v, i) => expect(v).toBeCloseTo(want.values()[i], 4));
  return e;
}

// The loop kernels' function declarations, by name.
const kernelNames = (code: string) => [...code.matchAll(/^function (\w+)\(/gm)].map((m) => m[1]);
// Statements that write a buffer: `b4[i0 * 4 + i1] = t4;`
const stores = (code: string) => code.match(/^\s*b\d+\[[^\]]*\] = /gm) ?? [];

manualSeed(0);

describe("fusion decisions", () => {
  it("the tutorial's function (x + 2)^2 * 3, mean: one kernel", () => {
    const e = explain(
      (x) => {
        const y = x.add(2);
        return y.mul(y).mul(3).mean();
      },
      randn([2, 2]),
    );
    expect(e.forwardKernels).toBe(1);
    expect(kernelNames(e.code)).toEqual(["k0_add_mul_sum_div_4"]);
    expect(stores(e.code)).toHaveLength(1); // only the result is written; y and y*y live in registers
  });

  it("the tanh-GELU chain plus a sum: one kernel", () => {
    const gelu = (x: Tensor) =>
      x.mul(0.5).mul(x.add(x.pow(3).mul(0.044715)).mul(0.7978845608).tanh().add(1));
    const e = explain((x) => gelu(x).sum(), randn([64]));
    expect(e.forwardKernels).toBe(1);
    expect(kernelNames(e.code)).toEqual([expect.stringMatching(/^k0_\w+_sum_64$/)]);
    expect(stores(e.code)).toHaveLength(1);
  });

  it("an elementwise chain over broadcast inputs [3,1] and [1,4]: one kernel, inputs read in place", () => {
    const e = explain((a, b) => a.add(b).mul(a).exp().sub(b), randn([3, 1]), randn([1, 4]));
    expect(e.forwardKernels).toBe(1);
    expect(stores(e.code)).toHaveLength(1); // no broadcast copy of either input
    expect(e.code).toMatch(/= in0\[i0\];/); // [3,1] is indexed by the row only
    expect(e.code).toMatch(/= in1\[i1\];/); // [1,4] by the column only
  });

  it("transpose, permute and narrow feeding elementwise ops are index arithmetic: one kernel", () => {
    const t = explain((x) => x.transpose(0, 1).add(1).mul(2), randn([3, 4]));
    expect(t.forwardKernels).toBe(1);
    expect(t.code).toMatch(/in0\[i0 \+ i1 \* 4\]/); // reading x^T[i0][i1] = x[i1][i0]

    const p = explain((x) => x.permute(2, 0, 1).exp().mul(2), randn([2, 3, 4]));
    expect(p.forwardKernels).toBe(1);
    expect(stores(p.code)).toHaveLength(1);

    const n = explain((x) => x.narrow(1, 1, 2).add(1).mul(2), randn([3, 4]));
    expect(n.forwardKernels).toBe(1);
    expect(n.code).toMatch(/in0\[1 \+ i0 \* 4 \+ i1\]/); // the slice's offset and the parent's row stride

    const both = explain((x, y) => x.narrow(0, 1, 2).T.add(y).relu(), randn([4, 3]), randn([3, 2]));
    expect(both.forwardKernels).toBe(1);
  });

  it("softmax over the last dim is 3 kernels: max, sum of exp, normalize", () => {
    // Documented behavior: a kernel cannot use a reduction it is still computing, so the row max,
    // the row sum of exp(x - max) and the division are three passes; exp is recomputed in the last
    // one rather than stored between them.
    const e = explain((x) => x.softmax(-1), randn([3, 4]));
    expect(e.forwardKernels).toBe(3);
    expect(kernelNames(e.code)).toEqual(["k0_max_12", "k1_sub_exp_sum_12", "k2_sub_exp_div_12"]);
    expect(e.code.match(/Math\.exp/g)).toHaveLength(1 + 4 + 1); // k1 unrolled 4x + remainder loop, k2 once
  });

  it("matmul + bias + relu: one matmul kernel with the bias add and relu as its epilogue", () => {
    const e = explain(
      (a, w, b) => a.matmul(w).add(b).relu(),
      randn([3, 4]),
      randn([4, 5]),
      randn([5]),
    );
    expect(e.forwardKernels).toBe(1);
    expect(kernelNames(e.code)).toEqual(["k0_matmul_add_relu_15"]);
    expect(e.code).not.toMatch(/^\s*b3\[/m); // the product itself is never stored
  });

  it("a transposed matmul operand is read strided, not copied", () => {
    const e = explain((a, w) => a.matmul(w.T), randn([3, 4]), randn([5, 4]));
    expect(e.forwardKernels).toBe(1);
  });

  it("in a reduction, a per-row value runs once per row, out of the reduction's innermost loop", () => {
    const e = explain((x, s) => x.mul(s.exp()).sum(), randn([6, 10]), randn([6, 1]));
    expect(e.forwardKernels).toBe(1);
    expect(e.code).toMatch(
      /for \(let r0 = 0; r0 < 6; r0\+\+\) \{\s*const t\d+ = in1\[r0\];\s*const t\d+ = Math\.exp/,
    );
    expect(e.code.match(/Math\.exp/g)).toHaveLength(1); // not once per unrolled lane
  });

  it("independent outputs over one iteration space come out of one loop", () => {
    const f = compile((x: Tensor) => [x.exp(), x.neg(), x.mul(x)]);
    const e = f.explain(randn([5]));
    expect(e.forwardKernels).toBe(1);
    expect(stores(e.code)).toHaveLength(3);
  });
});

describe("sibling reductions: reductions over other dims of the elements a kernel walks", () => {
  // compiled results (each output) against eager's
  const agree = (fn: (...xs: Tensor[]) => Tensor[], ...args: Tensor[]) => {
    const got = compile(fn)(...args) as unknown as Tensor[],
      want = fn(...args);
    got.forEach((g, k) => {
      expect(g.shape).toEqual(want[k].shape);
      g.values().forEach((v, i) => expect(v).toBeCloseTo(want[k].values()[i], 4));
    });
  };

  it("row sums, column sums and column maxima of one product: one kernel", () => {
    const fn = (a: Tensor, b: Tensor) => {
      const p = a.mul(b);
      return [p.sum(1), p.sum(0), p.amax(0, true)];
    };
    const args: [Tensor, Tensor] = [randn([6, 10]), randn([10])];
    const e = compile(fn).explain(...args);
    expect(e.forwardKernels).toBe(1);
    // the first reduction shapes the loops; the other kind is a sibling, with partials per call
    expect(e.code).toMatch(/const part\d+ = new Float64Array\(\d+\)/);
    agree(fn, ...args);
  });

  it("a column sum rides along an elementwise kernel of the same elements", () => {
    const fn = (a: Tensor) => [a.exp().mul(2), a.exp().sum(0)];
    const e = compile(fn).explain(randn([5, 7]));
    expect(e.forwardKernels).toBe(1);
    agree(fn, randn([5, 7]));
  });

  it("a reduction that keeps the statistics' dims is one more output of their loop, not a sibling", () => {
    // batch norm's weight gradient: [C] beside the statistics' [1, C, 1, 1]
    const fn = (x: Tensor) => [x.sum([0, 2], true), x.mul(x).sum([0, 2])];
    const e = compile(fn).explain(randn([3, 4, 5]));
    expect(e.forwardKernels).toBe(1);
    expect(e.code).not.toMatch(/Float64Array/);
    agree(fn, randn([3, 4, 5]));
  });
});

describe("generated code", () => {
  const cases: [string, Fn, number[][]][] = [
    [
      "tutorial",
      (x) => {
        const y = x.add(2);
        return y.mul(y).mul(3).mean();
      },
      [[2, 2]],
    ],
    ["softmax", (x) => x.softmax(1), [[3, 4]]],
    [
      "layer norm",
      (x) => {
        const m = x.mean(-1, true),
          d = x.sub(m);
        return d.div(d.mul(d).mean(-1, true).add(1e-5).sqrt());
      },
      [[3, 8]],
    ],
    ["mlp", (x, w, b) => x.matmul(w).add(b).relu().sum(1), [[2, 3], [3, 4], [4]]],
    [
      "broadcast",
      (a, b) => a.maximum(b).sigmoid(),
      [
        [3, 1],
        [1, 4],
      ],
    ],
  ];

  for (const [name, fn, shapes] of cases) {
    it(`is a valid script with readable kernel names and IR comments: ${name}`, () => {
      const { code, ir } = explain(fn, ...shapes.map((s) => randn(s)));
      expect(() => parse(code, { ecmaVersion: 2022 })).not.toThrow();
      const names = kernelNames(code);
      expect(names.length).toBeGreaterThan(0);
      for (const n of names) expect(n).toMatch(/^k\d+_(?:[a-z]+_)+(?:etc_)?\d+$/);
      // every kernel is introduced by comments naming the IR values it computes, as in the IR
      const irLines = new Set(ir.split("\n"));
      for (const block of code.split(/\n\n+/).filter((b) => b.includes("function "))) {
        const comments = block
          .split("\n")
          .filter((l) => l.startsWith("// "))
          .map((l) => l.slice(3));
        expect(comments.length).toBeGreaterThan(0);
        for (const c of comments) expect(irLines.has(c)).toBe(true);
      }
      expect(code).not.toMatch(/undefined|\bNaN\b/);
    });
  }

  it("contains no user strings: not the function's name, its source or its variable names", () => {
    const secretWeights = randn([4]);
    const userFunctionName = (inputTensor: Tensor) => inputTensor.mul(secretWeights).add(1).tanh();
    const { code, ir } = explain(userFunctionName, randn([4]));
    for (const s of ["userFunctionName", "secretWeights", "inputTensor"]) {
      expect(code).not.toContain(s);
      expect(ir).not.toContain(s);
    }
  });
});

describe("pad is a masked index map: pad, cat and slicing compositions fuse", () => {
  it("cat of an elementwise result and an input, then a multiply: one kernel, guarded loads", () => {
    const e = explain((a, b) => cat([a.exp(), b], 1).mul(2), randn([3, 2]), randn([3, 4]));
    expect(e.forwardKernels).toBe(1);
    expect(stores(e.code)).toHaveLength(1);
    // each operand is read only inside its own columns: no read past a buffer
    expect(e.code).toMatch(/m0 \? in0\[/);
    expect(e.code).toMatch(/m1 \? in1\[/);
  });

  it("a pad inside a reduction: sum over a padded value is one kernel", () => {
    const e = explain((x) => x.pad([1, 0], [2, 3]).exp().sum(1), randn([4, 5]));
    expect(e.forwardKernels).toBe(1);
  });

  it("conv2d written with pad + narrow + stack + matmul: 3 forward and 7 backward kernels", () => {
    // (before pad became a masked index map: 14 forward and 23 backward)
    const conv = (x: Tensor, w: Tensor) => {
      const [n, c, h, wd] = x.shape,
        [o, , kh, kw] = w.shape;
      const xp = x.pad([0, 0, 1, 1], [0, 0, 1, 1]);
      const cols: Tensor[] = [];
      for (let i = 0; i < kh; i++)
        for (let j = 0; j < kw; j++) cols.push(xp.narrow(2, i, h).narrow(3, j, wd));
      const patches = stack(cols, 2).reshape([n, c * kh * kw, h * wd]);
      return w
        .reshape([o, c * kh * kw])
        .matmul(patches)
        .reshape([n, o, h, wd]);
    };
    const x = randn([4, 2, 8, 8], { requiresGrad: true }),
      w = randn([3, 2, 3, 3], { requiresGrad: true });
    const f = compile((x: Tensor, w: Tensor) => conv(x, w).relu().sum());
    const e = f.explain(x, w);
    expect([e.forwardKernels, e.backwardKernels]).toEqual([3, 7]);
    f(x, w).backward();
    const [gx, gw] = [x.grad!, w.grad!];
    x.grad = null;
    w.grad = null;
    conv(x, w).relu().sum().backward();
    gx.values().forEach((v, i) => expect(v).toBeCloseTo(x.grad!.values()[i], 4));
    gw.values().forEach((v, i) => expect(v).toBeCloseTo(w.grad!.values()[i], 3));
  });
});

describe("gather: a read at computed positions, fused, bounds-checked in the kernel", () => {
  const idx = tensor(
    [
      [0, 2, 1],
      [3, 3, 0],
    ],
    { dtype: "int32" },
  );
  it("the index and the consumers fuse; the source is a buffer: two kernels", () => {
    const e = explain((x, i) => x.exp().gather(1, i.add(0)).mul(2).sum(1), randn([2, 4]), idx);
    expect(e.forwardKernels).toBe(2);
    expect(e.code).toMatch(/checkIndex\(/);
  });
  it("an index out of range throws PyTorch's error from the compiled kernel, as eager does", () => {
    const bad = tensor([[0, 4, 1]], { dtype: "int32" });
    const f = compile((x: Tensor, i: Tensor) => x.gather(1, i).sum());
    const x = randn([1, 4]);
    expect(() => x.gather(1, bad)).toThrow("index 4 is out of bounds for dimension 1 with size 4");
    expect(() => f(x, bad)).toThrow("index 4 is out of bounds for dimension 1 with size 4");
  });
});

describe("scans run as their own kernel, with the consumers as its epilogue", () => {
  it("exp, cumsum, then a multiply: the cumsum kernel stores only the product", () => {
    const e = explain((x) => x.exp().cumsum(1).mul(2), randn([3, 5]));
    expect(e.forwardKernels).toBe(2);
    expect(kernelNames(e.code)[1]).toMatch(/cumsum_mul/);
  });
});
