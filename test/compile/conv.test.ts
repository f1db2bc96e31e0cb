// Convolution kernels (issue 11): conv2d is one kernel op whose compiled kernel runs the bias add
// and activation after it as its epilogue; its backward is two more kernel ops (the input gradient
// as a transposed convolution, the weight gradient) plus one fused pass for the bias/activation.
import { beforeEach, describe, expect, it } from "vitest";
import { compile, F, manualSeed, randn, type Tensor } from "../../index";

beforeEach(() => manualSeed(0));

const kernelNames = (code: string) => [...code.matchAll(/^function (\w+)\(/gm)].map((m) => m[1]);

describe("conv2d kernels", () => {
  it("conv2d + bias + relu without gradients: one kernel, bias and relu as its epilogue", () => {
    const f = compile((x: Tensor, w: Tensor, b: Tensor) =>
      F.conv2d(x, w, b, { padding: 1 }).relu(),
    );
    const x = randn([4, 3, 8, 8]),
      w = randn([5, 3, 3, 3]),
      b = randn([5]);
    const e = f.explain(x, w, b);
    expect(e.forwardKernels).toBe(1);
    expect(kernelNames(e.code)).toEqual(["k0_conv_add_relu_1280"]);
    // the JS routine, or the Wasm GEMM (the default backend where WebAssembly SIMD runs)
    expect(e.code).toMatch(/(convolve|wasmGemm)\("conv"/);
    const want = F.conv2d(x, w, b, { padding: 1 }).relu().values();
    const got = f(x, w, b).values();
    got.forEach((v, i) => {
      expect(Math.abs(v - want[i])).toBeLessThan(1e-5);
    });
  });

  it("training: forward 2 kernels, backward 3 (bias/relu pass, convTranspose2d, convWeight)", () => {
    const f = compile((x: Tensor, w: Tensor, b: Tensor) =>
      F.conv2d(x, w, b, { padding: 1 }).relu().sum(),
    );
    const leaf = (shape: number[]) => randn(shape, { requiresGrad: true });
    const e = f.explain(leaf([4, 3, 8, 8]), leaf([5, 3, 3, 3]), leaf([5]));
    expect(e.forwardKernels).toBe(2);
    expect(e.backwardKernels).toBe(3);
    const names = kernelNames(e.code);
    expect(names.filter((n) => n.includes("conv"))).toEqual([
      "k0_conv_1280",
      "kb1_convTranspose_768",
      "kb2_convWeight_135",
    ]);
  });

  // (conv1d is the convolution kernel op over one spatial dim: no 4-d detour, so no copy of a
  // squeezed gradient after it)
  it("the input gradient of a stride-2 conv1d is one transposed convolution", () => {
    const f = compile((x: Tensor, w: Tensor) => F.conv1d(x, w, null, { stride: 2 }).sum());
    const e = f.explain(randn([2, 3, 9], { requiresGrad: true }), randn([4, 3, 3]));
    expect(e.forwardKernels).toBe(2);
    expect(e.backwardKernels).toBe(1);
    expect(kernelNames(e.code).filter((n) => n.startsWith("kb"))).toEqual(["kb0_convTranspose_54"]);
  });
});

describe("pooling kernels", () => {
  it("avgPool2d is one kernel: a depthwise convolution with the division as its epilogue", () => {
    const e = compile((x: Tensor) => F.avgPool2d(x, 2)).explain(randn([4, 3, 8, 8]));
    expect(kernelNames(e.code)).toEqual(["k0_conv_div_192"]);
  });

  it("conv2d + bias + relu, then maxPool2d: two kernels", () => {
    const e = compile((x: Tensor, w: Tensor, b: Tensor) =>
      F.maxPool2d(F.conv2d(x, w, b, { padding: 1 }).relu(), 2),
    ).explain(randn([4, 3, 8, 8]), randn([5, 3, 3, 3]), randn([5]));
    expect(kernelNames(e.code)).toEqual(["k0_conv_add_relu_1280", "k1_maxPool_320"]);
  });

  it("maxPool2d's backward is one kernel (the gradient to each window's first maximum)", () => {
    const e = compile((x: Tensor) => F.maxPool2d(x, 2).sum()).explain(
      randn([4, 3, 8, 8], { requiresGrad: true }),
    );
    expect(e.backwardKernels).toBe(1);
    expect(kernelNames(e.code).filter((n) => n.startsWith("kb"))).toEqual([
      "kb0_maxPoolBackward_768",
    ]);
  });
});
