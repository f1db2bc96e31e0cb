// nn.utils.clipGradNorm_ / clipGradValue_ against PyTorch 1.13 (test/golden/optim.json).
import { describe, expect, it } from "vitest";
import { nn, randn, tensor, zeros } from "../../index";
import { expectClose, golden, goldenError, make } from "../support/optim-golden";

describe("gradient clipping against PyTorch 1.13", () => {
  for (const c of golden.clip) {
    const what =
      c.fn === "clipGradNorm_"
        ? `maxNorm ${c.maxNorm}, normType ${c.normType}`
        : `clipValue ${c.clipValue}`;
    it(`${c.fn}: ${what}, ${c.dtype}`, () => {
      const ps = c.grads.map((g) => {
        const p = zeros(g.shape, { dtype: g.dtype, requiresGrad: true });
        p.grad = make(g);
        return p;
      });
      const [rtol, atol] = c.dtype === "float32" ? [1e-6, 1e-7] : [1e-13, 1e-15];
      if (c.fn === "clipGradNorm_") {
        const normType = c.normType === "inf" ? Infinity : c.normType;
        const total = nn.utils.clipGradNorm_(ps, c.maxNorm!, normType);
        expectClose(total, c.total!, rtol, atol);
      } else nn.utils.clipGradValue_(ps, c.clipValue!);
      ps.forEach((p, i) => expectClose(p.grad!, c.clipped[i], rtol, atol));
    });
  }
  it('"inf" as in PyTorch, an options object, parameters without grads skipped', () => {
    const a = zeros([2], { requiresGrad: true }),
      b = zeros([2], { requiresGrad: true });
    a.grad = tensor([3, -4]);
    expect(nn.utils.clipGradNorm_([a, b], 1, "inf").item()).toBe(4);
    expect(b.grad).toBeNull();
    a.grad = tensor([3, -4]);
    expect(nn.utils.clipGradNorm_(a, 10, { normType: 1 }).item()).toBe(7);
    expect(nn.utils.clipGradNorm_([b], 1).item()).toBe(0); // no grads: 0, as PyTorch
  });
  it("errorIfNonfinite: PyTorch's error, grads unchanged", () => {
    const p = zeros([2], { requiresGrad: true });
    p.grad = tensor([Infinity, 1]);
    expect(() => nn.utils.clipGradNorm_([p], 1, 2, true)).toThrow(goldenError("clip nonfinite"));
    expect(p.grad.values()).toEqual([Infinity, 1]);
  });
  it("bad arguments are refused before any grad changes", () => {
    const p = randn([3], { requiresGrad: true });
    p.grad = tensor([1, 2, 3]);
    expect(() => nn.utils.clipGradNorm_([p], -1)).toThrow("maxNorm must be a non-negative number");
    expect(() => nn.utils.clipGradNorm_([p], "1" as never)).toThrow(
      "clipGradNorm_(): argument 'maxNorm' (position 2) must be a number, not str",
    );
    expect(() => nn.utils.clipGradNorm_([p, 5] as never, 1)).toThrow(
      "parameters[1] must be a Tensor, not int",
    );
    expect(() => nn.utils.clipGradNorm_([p], 1, { norm: 2 } as never)).toThrow(
      'clipGradNorm_(): unknown option "norm"',
    );
    expect(() => nn.utils.clipGradValue_([p], null as never)).toThrow("must be a number, not null");
    expect(p.grad.values()).toEqual([1, 2, 3]);
  });
});
