// Issue 11's elementwise ops, activations and losses under compile(): each composition fuses into
// as few kernels as its reductions allow, and the compiled values and gradients equal eager ones.
import { describe, expect, it } from "vitest";
import { compile, F, manualSeed, rand, randn, type Tensor, tensor } from "../../index";

type Fn = (...xs: Tensor[]) => Tensor;
const inputs = () => {
  manualSeed(3);
  return [randn([16, 8], { requiresGrad: true }), rand([16, 8])];
};
// name, function, forward kernels, backward kernels
const CASES: [string, Fn, number, number][] = [
  ["F.silu then sum", (x) => F.silu(x).sum(), 1, 1],
  ["F.softplus then sum", (x) => F.softplus(x).sum(), 1, 1],
  ["F.hardswish then sum", (x) => F.hardswish(x).sum(), 1, 1],
  ["F.mish then sum", (x) => F.mish(x).sum(), 1, 1],
  ["clamp then sum", (x) => x.clamp(-1, 1).sum(), 1, 1],
  [
    "floor, remainder, atan2 in one chain",
    (x) => x.floor().add(x.remainder(0.7)).atan2(x.add(3)).sum(),
    1,
    1,
  ],
  ["F.huberLoss", (x, t) => F.huberLoss(x, t), 1, 1],
  ["F.smoothL1Loss", (x, t) => F.smoothL1Loss(x, t, { beta: 0.5 }), 1, 1],
  ["F.binaryCrossEntropyWithLogits", (x, t) => F.binaryCrossEntropyWithLogits(x, t), 2, 1],
  ["F.binaryCrossEntropy of sigmoid", (x, t) => F.binaryCrossEntropy(x.sigmoid(), t), 2, 1],
];

describe("issue 11 elementwise ops, activations and losses compile", () => {
  for (const [name, fn, fwd, bwd] of CASES) {
    it(`${name}: ${fwd} forward and ${bwd} backward kernel(s), values and gradients as eager`, () => {
      const [x, t] = inputs();
      const f = compile(fn);
      const e = f.explain(x, t);
      expect(e.forwardKernels).toBe(fwd);
      expect(e.backwardKernels).toBe(bwd);
      const eager = fn(x, t);
      eager.backward();
      const want = x.grad!.values();
      x.grad = null;
      const got = f(x, t);
      expect(Math.abs(got.item() - eager.item())).toBeLessThan(1e-5 * (1 + Math.abs(eager.item())));
      got.backward();
      x.grad!.values().forEach((g, i) => expect(Math.abs(g - want[i])).toBeLessThan(1e-5));
    });
  }
  it("div with roundingMode 'floor' is one primitive (divFloor) fused with its neighbours", () => {
    const [x] = inputs();
    const f = compile((a: Tensor) => a.mul(3).div(0.7, { roundingMode: "floor" }).add(a).sum());
    expect(f.explain(x).forwardKernels).toBe(1);
    expect(f(x).item()).toBeCloseTo(
      x.mul(3).div(0.7, { roundingMode: "floor" }).add(x).sum().item(),
      4,
    );
  });
});

describe("issue 11 functions check their options", () => {
  const x = randn([2, 3]),
    t = rand([2, 3]);
  it("unknown option keys and bad values are errors, not ignored", () => {
    expect(() => F.softplus(x, { bta: 2 } as never)).toThrow(/unknown option "bta"/);
    expect(() => F.elu(x, { alpha: "1" } as never)).toThrow(TypeError);
    expect(() => F.l1Loss(x, t, { reduction: "avg" as never })).toThrow(
      "avg is not a valid value for reduction",
    );
    expect(() => F.huberLoss(x, t, { beta: 1 } as never)).toThrow(/unknown option "beta"/);
    expect(() => F.binaryCrossEntropyWithLogits(x, t, { pos_weight: t } as never)).toThrow(
      /unknown option "pos_weight"/,
    );
    expect(() => F.klDiv(x, t, { logTarget: 1 } as never)).toThrow(TypeError);
    expect(() => x.clamp()).toThrow("torch.clamp: At least one of 'min' or 'max' must not be None");
    expect(() => x.clamp("0" as never)).toThrow(TypeError);
    expect(() => F.binaryCrossEntropy(x, t, { weight: randn([4]) })).toThrow(
      "The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1",
    );
  });
  it("integer division by zero with a rounding mode raises, as PyTorch", () => {
    const i = x.int();
    expect(() => i.div(0, { roundingMode: "floor" })).toThrow("ZeroDivisionError");
    expect(() => i.floorDivide(0)).toThrow("ZeroDivisionError");
  });
});

describe("erfc is accurate where erf is close to 1 (not 1 - erf)", () => {
  // PyTorch 1.13's float64 erfc at these points
  const xs = [-7, -3, -1, -0.3, 0, 0.2, 0.3, 0.6, 0.9, 1.1, 1.5, 2.5, 3, 5, 10, 26, 27.9];
  const want = [
    2.0, 1.9999779095030015, 1.8427007929497148, 1.3286267594591274, 1.0, 0.7772974107895215,
    0.6713732405408726, 0.3961439091520741, 0.20309178757716786, 0.11979493042591827,
    0.033894853524689274, 0.0004069520174449589, 2.209049699858544e-5, 1.537459794428035e-12,
    2.088487583762545e-45, 5.663192408856143e-296, 0.0,
  ];
  it("eager and compiled, to a few ulps in float64", () => {
    const x = tensor(xs, { dtype: "float64" });
    for (const got of [x.erfc(), compile((t: Tensor) => t.erfc())(x)]) {
      got.values().forEach((v, i) => {
        expect(Math.abs(v - want[i]), `erfc(${xs[i]})`).toBeLessThanOrEqual(4e-16 * want[i]);
      });
    }
  });
});
