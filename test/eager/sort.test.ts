import { describe, expect, it } from "vitest";
import { compile, grad, tensor } from "../../index";

const list = (t: { tolist(): unknown }) => t.tolist();

describe("sort, argsort, topk, kthvalue (issue 11)", () => {
  it("sorts NaN as the largest value, ties in their original order (as PyTorch 1.13)", () => {
    const x = tensor([1, 2, 1, 2, Number.NaN, 1]);
    const up = x.sort();
    expect(list(up.values)).toEqual([1, 1, 1, 2, 2, Number.NaN]);
    expect(list(up.indices)).toEqual([0, 2, 5, 1, 3, 4]);
    const down = x.sort(-1, { descending: true });
    expect(list(down.values)).toEqual([Number.NaN, 2, 2, 1, 1, 1]);
    expect(list(down.indices)).toEqual([4, 1, 3, 0, 2, 5]);
    expect(list(x.argsort(0, { descending: true }))).toEqual([4, 1, 3, 0, 2, 5]);
    expect(list(x.topk(3).indices)).toEqual([4, 1, 3]);
    expect(list(x.kthvalue(6).indices)).toEqual(4);
  });
  it("sorts along a middle dim of a strided view, compiled as eagerly", () => {
    const x = tensor([
      [
        [3, 1],
        [2, 5],
      ],
      [
        [0, 4],
        [9, -1],
      ],
    ]).transpose(0, 2);
    const f = (t: typeof x) => t.sort(1).values.add(t.argsort(1));
    expect(list(compile(f)(x))).toEqual(list(f(x)));
    expect(list(x.sort(1).indices)).toEqual([
      [
        [1, 0],
        [0, 1],
      ],
      [
        [0, 1],
        [1, 0],
      ],
    ]);
  });
  it("compiles sort, topk and kthvalue (descending, NaN, a strided dim) as eager computes them", () => {
    const x = tensor([
      [3, Number.NaN, -1, 2, 2],
      [0, 5, 5, -2, 1],
    ]);
    const f = (t: typeof x) => [
      t.sort(0, { descending: true }).values,
      t.sort(1, { descending: true }).indices,
      t.topk(3).values,
      t.topk(2, 1, { largest: false }).indices,
      t.kthvalue(2, 0).values,
      t.argsort(),
    ];
    const want = f(x).map(list),
      got = compile(f)(x).map(list);
    expect(got).toEqual(want);
    expect(want[1]).toEqual([
      [1, 0, 3, 4, 2],
      [1, 2, 4, 0, 3],
    ]);
  });
  it("records PyTorch's grad_fn names, and the gradient goes back through the indices", () => {
    const x = tensor([3, 1, 2]).requiresGrad_();
    const s = x.sort();
    expect(s.values.gradFn?.name).toBe("SortBackward0");
    expect(x.topk(2).values.gradFn?.name).toBe("TopkBackward0");
    expect(x.kthvalue(2).values.gradFn?.name).toBe("KthvalueBackward0");
    x.topk(2)
      .values.mul(tensor([10, 20]))
      .sum()
      .backward();
    expect(list(x.grad!)).toEqual([10, 0, 20]);
  });
  it("median: the lower median, NaN first, the all-reduce gradient shared by ties", () => {
    const x = tensor([
      [1, Number.NaN, 3, Number.NaN, 0],
      [2, 2, 1, 2, 2],
      [5, 1, 1, 4, 1],
    ]);
    const m = x.median(1);
    expect(list(m.values)).toEqual([Number.NaN, 2, 1]);
    expect(list(m.indices)).toEqual([1, 1, 4]);
    expect(list(x.median())).toBeNaN();
    expect(list(x.narrow(0, 1, 2).median())).toBe(2);
    expect(list(compile((t: typeof x) => t.median(1).indices)(x))).toEqual([1, 1, 4]);
    const y = tensor([2, 1, 2, 3, 2]).requiresGrad_();
    const all = y.median();
    expect(all.gradFn?.name).toBe("MedianBackward0");
    all.backward();
    expect(list(y.grad!.mul(3))).toEqual([1, 0, 1, 0, 1]);
    const z = tensor([2, 1, 2, 3, 2]).requiresGrad_();
    const byDim = z.median(0);
    expect(byDim.values.gradFn?.name).toBe("MedianBackward1");
    byDim.values.backward();
    expect(list(z.grad!)).toEqual([0, 0, 1, 0, 0]);
    expect(list(tensor([]).median())).toBeNaN();
    expect(() => tensor([[]]).median(1)).toThrow(
      "median(): Expected reduction dim 1 to have non-zero size.",
    );
  });
  it("compiled gradients match eager ones (median's shared gradient, topk's scatter)", () => {
    const x = tensor([2, 1, 2, 3, 2, 0.5]);
    const f = (t: typeof x) =>
      t.median().add(
        t
          .topk(2)
          .values.mul(tensor([3, 5]))
          .sum(),
      );
    const y = x.detach().requiresGrad_();
    f(y).backward();
    expect(list(y.grad!.mul(3))).toEqual([16, 0, 1, 9, 1, 0]);
    expect(list(grad(f)(x) as typeof x)).toEqual(list(y.grad!));
  });
  it("raises PyTorch's errors", () => {
    const x = tensor([3, 1, 2]);
    expect(() => x.topk(4)).toThrow("selected index k out of range");
    expect(() => x.topk(-1)).toThrow("selected index k out of range");
    expect(() => x.kthvalue(0)).toThrow(
      "kthvalue(): selected number k out of range for dimension 0",
    );
    expect(() => x.sort(1)).toThrow("Dimension out of range");
    expect(() => x.sort(0, { descend: true } as never)).toThrow("unknown option");
  });
  it("handles 0-d and empty tensors", () => {
    const s = tensor(5).sort();
    expect(list(s.values)).toBe(5);
    expect(list(s.indices)).toBe(0);
    expect(tensor([]).sort().values.shape).toEqual([0]);
  });
});
