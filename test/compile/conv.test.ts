// Convolution kernels (issue 11): conv2d is one kernel op whose compiled kernel runs the bias add
// and activation after it as its epilogue; its backward is two more kernel ops (the input gradient
// as a transposed convolution, the weight gradient) plus one fused pass for the bias/activation.
import { beforeEach, describe, expect, it } from "vitest";
import { convSettings } from "../../backend/js/conv";
import { wasmSettings } from "../../backend/wasm/index";
import { autograd, compile, F, manualSeed, randn, type Tensor } from "../../index";

beforeEach(() => manualSeed(0));

// a JS kernel's function, or the header of a Wasm conv whose epilogue is a Wasm chain (conv-chain.ts)
// or a block copy (conv-copy.ts, whose source also holds its JS fallback: one name per kernel)
const kernelNames = (code: string) => [
  ...new Set(
    [...code.matchAll(/^(?:function (\w+)\(|\/\/ (\w+): the Wasm )/gm)].map((m) => m[1] ?? m[2]),
  ),
];

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
    expect(e.code).toMatch(/(convolve|wasmGemm)\("conv"|the Wasm conv /);
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

describe("convolutions over a batch in chunks of samples", () => {
  // conv2d with groups, stride, padding and dilation, its input gradient (a transposed
  // convolution) and weight gradient; values from one chunk, from chunks of a few samples and from
  // one sample at a time (the product stored in place) must agree (chunk 1300: conv2d 3 samples,
  // its transpose 2); and conv3d the same way (chunk 1300: 2 samples, its transpose 1)
  const cases = [
    {
      x: [5, 4, 9, 7],
      w: [6, 2, 3, 2],
      o: { stride: [2, 1], padding: [1, 2], dilation: [1, 2], groups: 2 },
    },
    {
      x: [5, 4, 3, 5, 4],
      w: [6, 2, 2, 3, 2],
      o: { stride: [1, 2, 1], padding: [1, 1, 0], dilation: [1, 1, 2], groups: 2 },
    },
  ];
  for (const c of cases) {
    const run = () => {
      manualSeed(1);
      const x = randn(c.x, { requiresGrad: true }),
        w = randn(c.w, { requiresGrad: true });
      const y = (c.x.length === 4 ? F.conv2d : F.conv3d)(x, w, null, c.o);
      const [gx, gw] = autograd.grad(y.mul(y).sum(), [x, w]);
      return [y, gx as Tensor, gw as Tensor].map((t) => t.values());
    };
    it(`give the same values (${c.x.length - 2}-d)`, () => {
      const [saved, work] = [convSettings.chunk, wasmSettings.minWork];
      wasmSettings.minWork = 0; // on the Wasm GEMM too, where it runs
      try {
        const whole = run();
        for (const chunk of [1300, 1]) {
          convSettings.chunk = chunk;
          const got = run();
          got.forEach((vs, i) => {
            vs.forEach((v, j) => {
              expect(Math.abs(v - whole[i][j])).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(v)));
            });
          });
        }
      } finally {
        convSettings.chunk = saved;
        wasmSettings.minWork = work;
      }
    });
  }
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
