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

  const gn = (x: Tensor) => F.groupNorm(x, 4).mul(up).sum();
  it("batch, layer and group norm: forward 2 kernels, backward 2 (without weight and bias)", () => {
    for (const f of [bn, ln, gn]) {
      const e = compile((x: Tensor) => f(x)).explain(leaf([8, 16, 6, 6]));
      expect(e.forwardKernels).toBe(2);
      expect(e.backwardKernels).toBe(2);
    }
  });

  // the weight and bias gradients reduce over other dims than the statistics: batch norm's keep the
  // statistics' dims (extra outputs of the statistics' kernel), layer, group and instance norm's
  // are sibling reductions of a kernel that walks the same elements; group norm's kernels run the
  // channels as groups x channels in a group (its reshapes are then index maps)
  it("with weight and bias: forward at most 2 kernels, backward at most 2", () => {
    const affine: [string, (x: Tensor, w: Tensor, b: Tensor) => Tensor, number[][]][] = [
      ["batch norm 4-d", (x, w, b) => bn(x, w, b), [[8, 16, 6, 6], [16], [16]]],
      [
        "batch norm 2-d",
        (x, w, b) =>
          F.batchNorm(x, null, null, w, b, true)
            .mul(up.reshape([64, 72]))
            .sum(),
        [[64, 72], [72], [72]],
      ],
      [
        "layer norm",
        (x, w, b) => ln(x, w, b),
        [
          [8, 16, 6, 6],
          [6, 6],
          [6, 6],
        ],
      ],
      [
        "layer norm, last dim",
        (x, w, b) =>
          F.layerNorm(x, [36], w, b)
            .mul(up.reshape([128, 36]))
            .sum(),
        [[128, 36], [36], [36]],
      ],
      [
        "group norm",
        (x, w, b) => F.groupNorm(x, 4, w, b).mul(up).sum(),
        [[8, 16, 6, 6], [16], [16]],
      ],
      [
        "group norm, 2 groups of a 3-d input",
        (x, w, b) =>
          F.groupNorm(x, 2, w, b)
            .mul(up.reshape([8, 16, 36]))
            .sum(),
        [[8, 16, 36], [16], [16]],
      ],
      [
        "instance norm",
        (x, w, b) => F.instanceNorm(x, null, null, w, b).mul(up).sum(),
        [[8, 16, 6, 6], [16], [16]],
      ],
    ];
    for (const [name, fn, shapes] of affine) {
      const xs = shapes.map(leaf) as [Tensor, Tensor, Tensor];
      const e = compile(fn).explain(...xs);
      expect(e.forwardKernels, name).toBeLessThanOrEqual(2);
      expect(e.backwardKernels, name).toBeLessThanOrEqual(2);
      // and the gradients are eager's (to float32 rounding)
      const ys = xs.map((x) => x.detach().requiresGrad_(true)) as [Tensor, Tensor, Tensor];
      compile(fn)(...xs).backward();
      fn(...ys).backward();
      xs.forEach((x, i) => {
        const got = x.grad!.values(),
          want = ys[i].grad!.values();
        const scale = Math.max(...want.map(Math.abs));
        const worst = Math.max(...got.map((g, j) => Math.abs(g - want[j])));
        expect(worst, `${name}: grad ${i}`).toBeLessThan(1e-5 * scale);
      });
    }
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
