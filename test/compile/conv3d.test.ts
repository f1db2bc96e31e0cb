// 3-d convolution and pooling (issue 11): the same kernel ops as 2-d over three spatial dims, so
// the same kernel counts (bias and activation as the convolution's epilogue, the backward two more
// convolution kernels, max pooling one kernel each way), and compiled values equal eager ones.
import { beforeEach, describe, expect, it } from "vitest";
import { compile, F, manualSeed, randn, type Tensor } from "../../index";

beforeEach(() => manualSeed(0));

// a JS kernel's function, or the header of a Wasm conv whose epilogue is a Wasm chain (conv-chain.ts)
// or a block copy (conv-copy.ts, whose source also holds its JS fallback: one name per kernel)
const kernelNames = (code: string) => [
  ...new Set(
    [...code.matchAll(/^(?:function (\w+)\(|\/\/ (\w+): the Wasm )/gm)].map((m) => m[1] ?? m[2]),
  ),
];
const close = (got: Tensor, want: Tensor, tol: number) => {
  expect(got.shape).toEqual(want.shape);
  const w = want.values();
  got.values().forEach((v, i) => {
    expect(Math.abs(v - w[i])).toBeLessThan(tol);
  });
};

describe("conv3d kernels", () => {
  it("conv3d + bias + relu: one kernel, bias and relu as its epilogue; compiled = eager", () => {
    const fn = (x: Tensor, w: Tensor, b: Tensor) =>
      F.conv3d(x, w, b, { padding: 1, stride: [1, 2, 1] }).relu();
    const f = compile(fn);
    const x = randn([2, 3, 4, 6, 5]),
      w = randn([4, 3, 3, 3, 3]),
      b = randn([4]);
    const e = f.explain(x, w, b);
    expect(e.forwardKernels).toBe(1);
    expect(kernelNames(e.code)).toEqual(["k0_conv_add_relu_480"]);
    close(f(x, w, b), fn(x, w, b), 1e-4);
  });

  it("training: forward 2 kernels, backward 3; gradients equal eager ones", () => {
    const fn = (x: Tensor, w: Tensor, b: Tensor) =>
      F.conv3d(x, w, b, { padding: [1, 0, 1], dilation: [1, 2, 1], groups: 2 })
        .relu()
        .sum();
    const f = compile(fn);
    const leaf = (shape: number[]) => randn(shape, { requiresGrad: true });
    const ins: [Tensor, Tensor, Tensor] = [leaf([2, 4, 3, 6, 4]), leaf([6, 2, 2, 2, 3]), leaf([6])];
    const e = f.explain(...ins);
    expect(e.forwardKernels).toBe(2);
    expect(e.backwardKernels).toBe(3);
    expect(kernelNames(e.code).filter((n) => n.includes("conv"))).toEqual([
      "k0_conv_768",
      "kb1_convTranspose_576",
      "kb2_convWeight_144",
    ]);
    f(...ins).backward();
    const compiled = ins.map((t) => t.grad!);
    ins.forEach((t) => {
      t.grad = null;
    });
    fn(...ins).backward();
    ins.forEach((t, i) => close(compiled[i], t.grad!, 1e-4));
  });

  it("float64, unbatched: compiled = eager", () => {
    const fn = (x: Tensor, w: Tensor) => F.conv3d(x, w, null, { padding: "same" });
    const x = randn([2, 3, 4, 3], { dtype: "float64" }),
      w = randn([3, 2, 2, 3, 2], { dtype: "float64" });
    close(compile(fn)(x, w), fn(x, w), 1e-12);
  });
});

describe("3-d pooling kernels", () => {
  it("avgPool3d is one kernel: a depthwise convolution with the division as its epilogue", () => {
    const fn = (x: Tensor) => F.avgPool3d(x, 2, { padding: 1, countIncludePad: false });
    const x = randn([2, 3, 4, 4, 6]);
    const e = compile(fn).explain(x);
    expect(kernelNames(e.code)).toEqual(["k0_conv_div_216"]);
    close(compile(fn)(x), fn(x), 1e-5);
  });

  it("maxPool3d: one kernel forward, one backward; indices and gradients equal eager ones", () => {
    const fn = (x: Tensor) => F.maxPool3d(x, [2, 2, 3], { stride: 2, padding: 1, ceilMode: true });
    const x = randn([2, 3, 4, 5, 6], { requiresGrad: true });
    const f = compile((t: Tensor) => fn(t).mul(fn(t)).sum());
    const e = f.explain(x);
    expect(kernelNames(e.code).filter((n) => n.includes("maxPool"))).toEqual([
      "k0_maxPool_216",
      "kb1_maxPoolBackward_720",
    ]);
    f(x).backward();
    const compiled = x.grad!;
    x.grad = null;
    fn(x).mul(fn(x)).sum().backward();
    close(compiled, x.grad!, 1e-5);
    const indices = compile((t: Tensor) => F.maxPool3d(t, 2, { returnIndices: true })[1]);
    expect(indices(x.detach()).values()).toEqual(
      F.maxPool3d(x.detach(), 2, { returnIndices: true })[1].values(),
    );
  });
});
