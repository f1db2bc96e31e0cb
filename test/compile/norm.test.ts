// Normalization (issue 11): compositions whose statistics (the mean and the mean of squares) are
// one kernel and whose normalization is a second; batch norm's running statistics.
import { beforeEach, describe, expect, it } from "vitest";
import { compile, F, manualSeed, noGrad, randn, type Tensor, tensor } from "../../index";

beforeEach(() => manualSeed(0));

const leaf = (shape: number[]) => randn(shape, { requiresGrad: true });

describe("normalization kernels", () => {
  const up = randn([8, 16, 6, 6]);
  const bn = (x: Tensor, w?: Tensor, b?: Tensor) =>
    F.batchNorm(x, null, null, w, b, true).mul(up).sum();
  const ln = (x: Tensor, w?: Tensor, b?: Tensor) => F.layerNorm(x, [6, 6], w, b).mul(up).sum();

  it("batch norm and layer norm: forward 2 kernels, backward 2 (without weight and bias)", () => {
    for (const f of [bn, ln]) {
      const e = compile((x: Tensor) => f(x)).explain(leaf([8, 16, 6, 6]));
      expect(e.forwardKernels).toBe(2);
      expect(e.backwardKernels).toBe(2);
    }
  });

  // the weight and bias gradients reduce over other loops (layer norm) or are not yet merged into
  // the statistics' kernel (batch norm): one more backward kernel
  it("with weight and bias: forward 2 kernels, backward 3", () => {
    const e = compile((x: Tensor, w: Tensor, b: Tensor) => bn(x, w, b)).explain(
      leaf([8, 16, 6, 6]),
      leaf([16]),
      leaf([16]),
    );
    expect([e.forwardKernels, e.backwardKernels]).toEqual([2, 3]);
    const l = compile((x: Tensor, w: Tensor, b: Tensor) => ln(x, w, b)).explain(
      leaf([8, 16, 6, 6]),
      leaf([6, 6]),
      leaf([6, 6]),
    );
    expect([l.forwardKernels, l.backwardKernels]).toEqual([2, 3]);
  });

  it("inference (no gradients): 2 kernels", () => {
    const e = compile((x: Tensor, w: Tensor, b: Tensor) => F.layerNorm(x, [16], w, b)).explain(
      randn([8, 16]),
      randn([16]),
      randn([16]),
    );
    expect(e.forwardKernels).toBe(2);
  });
});

describe("batchNorm running statistics", () => {
  // PyTorch 1.13: F.batch_norm(x, rm, rv, training=True, momentum=0.2) on these values
  const x = () =>
    tensor(
      [
        [1, 2, -1],
        [3, 0.5, 2],
        [-2, 1, 4],
        [0, 0, 1],
      ],
      { shape: [4, 3] },
    );
  const wantMean = [0.18, 0.335, 0.54],
    wantVar = [1.6666667, 0.94583333, 1.6666667];
  const close = (t: Tensor, want: number[]) =>
    t.values().forEach((v, i) => {
      expect(Math.abs(v - want[i])).toBeLessThan(1e-6);
    });

  it("training updates them in place with the unbiased variance", () => {
    const rm = tensor([0.1, 0.2, 0.3]),
      rv = tensor([1, 1, 1]);
    F.batchNorm(x(), rm, rv, null, null, true, 0.2);
    close(rm, wantMean);
    close(rv, wantVar);
  });

  it("also inside compile() (under noGrad)", () => {
    const rm = tensor([0.1, 0.2, 0.3]),
      rv = tensor([1, 1, 1]);
    const f = compile((a: Tensor) => F.batchNorm(a, rm, rv, null, null, true, 0.2));
    noGrad(() => f(x()));
    close(rm, wantMean);
    close(rv, wantVar);
  });

  it("eval uses them and leaves them unchanged", () => {
    const rm = tensor([0.5, 0, -1]),
      rv = tensor([4, 1, 0.25]);
    const y = F.batchNorm(x(), rm, rv);
    close(y.select(0, 0), [(1 - 0.5) / Math.sqrt(4 + 1e-5), 2 / Math.sqrt(1 + 1e-5), 0]);
    close(rm, [0.5, 0, -1]);
  });
});
