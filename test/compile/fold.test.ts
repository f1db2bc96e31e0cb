// F.unfold / F.fold compiled: unfold is a view its consumer's kernel reads (the padding fused, the
// loops over the blocks split to match its reshape), fold one col2im kernel; fold(unfold(x)) is x
// times how many blocks cover each position.
import { describe, expect, it } from "vitest";
import { compile, F, ones, randn, type Tensor } from "../../index";

describe("F.unfold and F.fold (issue 11)", () => {
  const o = { padding: 1, stride: [1, 2] };
  it("unfold and its consumer: one kernel (padding included)", () => {
    const fn = (t: Tensor) => F.unfold(t, 2, o).mul(2);
    const x = randn([2, 3, 5, 6]);
    expect(compile(fn).explain(x).forwardKernels).toBe(1);
    expect(compile(fn)(x).tolist()).toEqual(fn(x).tolist());
  });
  it("fold: one col2im kernel, then its consumer; the backward of each is the other", () => {
    const f = compile((t: Tensor) => F.fold(t, [5, 6], 2, o).mul(2));
    const cols = F.unfold(randn([2, 3, 5, 6]), 2, o);
    expect(f.explain(cols).forwardKernels).toBe(2);
    const g = compile((t: Tensor) => F.unfold(t, 2, o).sum());
    const x = randn([2, 3, 5, 6], { requiresGrad: true });
    g(x).backward();
    const covered = F.fold(F.unfold(ones([2, 3, 5, 6]), 2, o), [5, 6], 2, o);
    expect(x.grad!.tolist()).toEqual(covered.tolist());
  });
  it("fold(unfold(x)) = x times the block count of each position, compiled as eagerly", () => {
    const x = randn([1, 2, 4, 5]);
    const roundTrip = (t: Tensor) => F.fold(F.unfold(t, [2, 3], o), [4, 5], [2, 3], o);
    const count = roundTrip(ones([1, 2, 4, 5]));
    expect(roundTrip(x).sub(x.mul(count)).abs().amax().item()).toBeLessThan(1e-6);
    expect(compile(roundTrip)(x).sub(roundTrip(x)).abs().amax().item()).toBeLessThan(1e-6);
  });
});
