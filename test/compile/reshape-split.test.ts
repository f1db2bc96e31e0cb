// A reshape that splits a dim is an index map when the kernel's loops are split to match: the
// reshape's rule says which loop to split (ir/index-map.ts), and the kernel runs it as two.
import { describe, expect, it } from "vitest";
import { compile, manualSeed, randn, type Tensor } from "../../index";
import { identity, reshapeSplit, throughReshape } from "../../ir/index-map";

manualSeed(0);

describe("reshape through split loops", () => {
  it("reading [2, 12] from loops over [2, 3, 4] is affine; from loops over [2, 12] it asks for a split", () => {
    // v = reshape(x): x [2, 3, 4] read at v [2, 12]'s index
    const coarse = identity(2, 2);
    expect(throughReshape([2, 3, 4], [2, 12], coarse, [2, 12])).toBeNull();
    expect(reshapeSplit([2, 3, 4], [2, 12], coarse, [2, 12])).toEqual({ loop: 1, factors: [3, 4] });
    // the loops split: v's index 1 is 4 * l1 + l2, so x's index is (l0, l1, l2)
    const fine = {
      rows: [
        [1, 0, 0],
        [0, 4, 1],
      ],
      off: [0, 0],
      mask: [],
    };
    expect(throughReshape([2, 3, 4], [2, 12], fine, [2, 3, 4])).toEqual(identity(3, 3));
    // without the loops' sizes only merges are affine (as before)
    expect(throughReshape([2, 3, 4], [2, 12], fine)).toBeNull();
    expect(throughReshape([2, 12], [2, 3, 4], identity(3, 3))).toEqual(fine);
  });

  it("a term that would carry into the next digit is not affine", () => {
    // v [12] at 2 * l0 with l0 < 6 is (l0 div 2, 2 * (l0 mod 2)) in x [3, 4]: a carry
    const m = { rows: [[2]], off: [0], mask: [] };
    expect(throughReshape([3, 4], [12], m, [6])).toBeNull();
    expect(reshapeSplit([3, 4], [12], m, [6])).toEqual({ loop: 0, factors: [3, 2] });
  });

  const close = (a: Tensor, b: Tensor) => {
    expect(a.shape).toEqual(b.shape);
    const w = b.values();
    a.values().forEach((v, i) => expect(v).toBeCloseTo(w[i], 4));
  };

  it("grouped statistics read back per channel: two kernels, no copy of the grouped value", () => {
    // group norm's shape: statistics over [N, G, C/G * H * W], normalization read as [N, C, H, W]
    const fn = (x: Tensor, up: Tensor) => {
      const g = x.reshape([4, 2, -1]);
      const c = g.sub(g.mean(2, true));
      return c.reshape([4, 6, 3, 5]).mul(up).sum();
    };
    const args: [Tensor, Tensor] = [randn([4, 6, 3, 5]), randn([4, 6, 3, 5])];
    const e = compile(fn).explain(...args);
    expect(e.forwardKernels).toBe(2);
    // the statistics are read at each channel's group: [8] x [45] loops once coalesced
    expect(e.code).toMatch(/= b\d+\[r0\];/);
    close(compile(fn)(...args), fn(...args));
  });

  it("a matmul keeps its own loops: an epilogue reading a split reshape runs after it", () => {
    // (a matmul kernel with its loops split computed wrong values)
    const fn = (a: Tensor, b: Tensor, c: Tensor) => c.exp().reshape([4, 6]).add(a.matmul(b)).relu();
    const args: [Tensor, Tensor, Tensor] = [randn([4, 5]), randn([5, 6]), randn([2, 2, 6])];
    expect(compile(fn).explain(...args).forwardKernels).toBe(2);
    close(compile(fn)(...args), fn(...args));
  });

  it("a per-channel value read in grouped loops and the result stored per channel", () => {
    const fn = (x: Tensor, w: Tensor) =>
      x
        .reshape([4, 2, 45])
        .exp()
        .reshape([4, 6, 3, 5])
        .mul(w.reshape([1, 6, 1, 1]))
        .add(1);
    const args: [Tensor, Tensor] = [randn([4, 6, 3, 5]), randn([6])];
    const e = compile(fn).explain(...args);
    expect(e.forwardKernels).toBe(1);
    close(compile(fn)(...args), fn(...args));
  });
});
