// Updated inputs computed in their own storage (program.ts inPlace, run.ts inPlaceTargets): the
// values are eager's whether the update is written in place or refused (the same storage passed
// twice, a read at another element, an old value read after the update, strided and partial
// views).
import { describe, expect, it } from "vitest";
import { compile, noGrad, randn, type Tensor, tensor } from "../../index";

const values = (t: Tensor) => Array.from(t.values() as number[]);
// compiled kernels round once per store, eager after every op: equal to float32 rounding
const close = (p: number[], q: number[]) => {
  expect(p.length).toBe(q.length);
  p.forEach((x, i) => expect(Math.abs(x - q[i])).toBeLessThanOrEqual(1e-6 * (1 + Math.abs(q[i]))));
};
// f compiled and eager on copies of the same inputs: the returned values and the updated inputs
function same(f: (...xs: Tensor[]) => Tensor, make: () => Tensor[]) {
  const a = make(),
    b = a.map((t) => t.clone());
  const c = compile(f);
  for (let i = 0; i < 3; i++) {
    const got = noGrad(() => c(...a)),
      want = noGrad(() => f(...b));
    close(values(got), values(want));
    a.forEach((t, k) => close(values(t), values(b[k])));
  }
}

describe("updates written in place", () => {
  it("an SGD-style update of an argument", () => {
    same(
      (p, g) => {
        p.sub_(g.mul(0.1));
        return g.mul(2); // (a sum would share the update's loop: a reduction kernel stays out)
      },
      () => [randn([300]), randn([300])],
    );
  });
  it("the same tensor passed twice (its storage read through the other input)", () => {
    const f = compile((p: Tensor, g: Tensor) => {
      p.sub_(g.mul(0.5));
      return g.mul(2);
    });
    const x = tensor([2, 4, 6]);
    noGrad(() => f(x, x));
    expect(values(x)).toEqual([1, 2, 3]);
  });
  it("a read at another element of the updated input", () => {
    same(
      (p) => {
        p.add_(p.flip(0));
        return p.sum();
      },
      () => [randn([17])],
    );
  });
  it("the old value read by a kernel after the update", () => {
    same(
      (p) => {
        const s = p.sum();
        p.mul_(3);
        return s.add(p.sum());
      },
      () => [randn([50])],
    );
  });
  it("a contiguous prefix view (its storage is longer) and a transposed view", () => {
    const big = randn([6, 5]),
      copy = big.clone();
    const f = compile((p: Tensor, g: Tensor) => {
      p.add_(g);
      return g.mul(2);
    });
    const g = randn([2, 5]);
    noGrad(() => f(big.narrow(0, 0, 2), g));
    noGrad(() => copy.narrow(0, 0, 2).add_(g));
    expect(values(big)).toEqual(values(copy));
    const gt = randn([5, 6]);
    noGrad(() => f(big.T, gt));
    noGrad(() => copy.T.add_(gt));
    expect(values(big)).toEqual(values(copy));
  });
});
