// The WebAssembly backend: the assembler's encoding, and every Wasm GEMM path (eager, compiled with
// its epilogue, the backward's transposed products, batched and broadcast operands, strided views,
// ragged edges, k past the k-blocking) against a float64 reference and against the JS backend.
import { afterEach, describe, expect, it } from "vitest";
import { assemble, listing, sleb, uleb } from "../../backend/wasm/assembler";
import { gemmStats } from "../../backend/wasm/gemm";
import { wasmSettings } from "../../backend/wasm/index";
import { load } from "../../backend/wasm/module";
import {
  compile,
  F,
  getBackend,
  manualSeed,
  randn,
  setBackend,
  type Tensor,
  tensor,
  valueAndGrad,
} from "../../index";

afterEach(() => {
  setBackend("wasm");
  wasmSettings.minWork = 4096;
});

const values = (t: Tensor) => Float64Array.from(t.values() as number[]);

// float64 reference of a @ b (batched, broadcast) and, per element, sum |a||b|: float32 sums of
// k products are within about k * 2^-24 of that (we allow 2k ulps: blocked sums do better)
function reference(a: Tensor, b: Tensor) {
  const A = a.to("float64"),
    B = b.to("float64");
  return { value: values(A.matmul(B)), scale: values(A.abs().matmul(B.abs())) };
}
function expectGemmClose(got: Tensor, a: Tensor, b: Tensor) {
  const { value, scale } = reference(a, b);
  const k = a.shape.at(-1)!;
  const g = values(got);
  expect(g.length).toBe(value.length);
  let worst = 0;
  for (let i = 0; i < g.length; i++)
    worst = Math.max(worst, Math.abs(g[i] - value[i]) / (scale[i] * 2 ** -24 * 2 * k + 1e-30));
  expect(worst).toBeLessThanOrEqual(1);
}
// f on each backend; the Wasm run must use the Wasm GEMM and the JS run must not
const onBoth = <T>(f: () => T): { wasm: T; js: T } => {
  setBackend("wasm");
  const before = gemmStats.products;
  const wasm = f();
  const after = gemmStats.products;
  expect(after).toBeGreaterThan(before);
  setBackend("js");
  const js = f();
  expect(gemmStats.products).toBe(after);
  setBackend("wasm");
  return { wasm, js };
};

describe("the assembler", () => {
  it("encodes LEB128 numbers", () => {
    expect(uleb(0)).toEqual([0]);
    expect(uleb(624485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(sleb(-1)).toEqual([0x7f]);
    expect(sleb(63)).toEqual([0x3f]);
    expect(sleb(64)).toEqual([0xc0, 0x00]);
    expect(sleb(-123456)).toEqual([0xc0, 0xbb, 0x78]);
  });
  it("assembles a function that runs, and lists it", () => {
    const f = {
      name: "axpy4",
      params: [["$x", "f32"] as ["$x", "f32"]],
      results: ["f32" as const],
      locals: [["$v", "v128"] as ["$v", "v128"]],
      body: [
        ["local.get", "$x"],
        ["f32x4.splat"],
        ["f32.const", 2],
        ["f32x4.splat"],
        ["f32x4.mul"],
        ["local.set", "$v"],
        ["local.get", "$v"],
        ["f32x4.extract_lane", 3],
        ["f32.const", 0.5],
        ["f32.add"],
      ] as [string, (string | number)?][],
    };
    expect(assemble([f])[0]).toBe(0); // "\0asm"
    const run = load([f]).exports.axpy4 as (x: number) => number;
    expect(run(1.25)).toBe(3);
    expect(listing([f])).toContain('(func $axpy4 (export "axpy4") (param $x f32) (result f32)');
    expect(listing([f])).toContain("f32x4.extract_lane 3 f32.const 0.5 f32.add");
  });
  it("refuses what it cannot encode", () => {
    const bad = (body: [string, string?][]) => () =>
      assemble([{ name: "f", params: [], results: [], locals: [], body }]);
    expect(bad([["f32.frobnicate"]])).toThrow(/no opcode f32.frobnicate/);
    expect(bad([["local.get", "$nope"]])).toThrow(/bad immediate/);
    expect(bad([["block", "$b"]])).toThrow(/open/);
  });
});

describe("backend selection", () => {
  it("defaults to wasm here and switches", () => {
    expect(getBackend()).toBe("wasm");
    setBackend("js");
    expect(getBackend()).toBe("js");
  });
  it("validates the name", () => {
    // @ts-expect-error a bad name
    expect(() => setBackend("gpu")).toThrow('setBackend(): expected "js" or "wasm", got "gpu"');
    // @ts-expect-error not a string
    expect(() => setBackend(1)).toThrow("got number");
    expect(getBackend()).toBe("wasm");
  });
});

describe("Wasm GEMM", () => {
  manualSeed(7);
  const shapes: [number, number, number][] = [
    [1, 1, 1],
    [1, 4096, 1],
    [5, 9, 3],
    [13, 21, 17],
    [4, 8, 130],
    [33, 65, 600], // k past two blocks
    [128, 256, 78],
    // a last row panel of 2 rows (the short tile): whole and ragged columns, k past a block
    [6, 784, 25],
    [10, 13, 300],
    [2, 16, 5],
  ];
  for (const [m, n, k] of shapes) {
    it(`eager ${m}x${k} @ ${k}x${n} within float32 rounding, as JS`, () => {
      const a = randn([m, k]),
        b = randn([k, n]);
      wasmSettings.minWork = 0;
      const { wasm, js } = onBoth(() => a.matmul(b));
      wasmSettings.minWork = 4096;
      expectGemmClose(wasm, a, b);
      expectGemmClose(js, a, b);
    });
  }
  it("transposed, strided and batched operands", () => {
    const x = randn([3, 40, 70]),
      w = randn([50, 70]);
    const cases: [Tensor, Tensor][] = [
      [x, w.T], // x W^T
      [x.mT, x], // A^T B, batched
      [w.T.narrow(1, 5, 33), x.narrow(1, 3, 33)], // offsets and strides, broadcast batch
      [x.select(0, 1).narrow(0, 1, 39).mT, randn([2, 39, 24])],
      [randn([20, 3000]).narrow(1, 7, 40), randn([40, 30])], // sparse rows: packed from JS
    ];
    for (const [a, b] of cases) {
      const { wasm, js } = onBoth(() => a.matmul(b));
      expectGemmClose(wasm, a, b);
      expect(wasm.shape).toEqual(js.shape);
    }
  });
  it("k = 0 gives zeros", () => {
    wasmSettings.minWork = 0;
    const { wasm } = onBoth(() => randn([70, 0]).matmul(randn([0, 90])));
    wasmSettings.minWork = 4096;
    expect(wasm.shape).toEqual([70, 90]);
    expect(values(wasm).every((v) => v === 0)).toBe(true);
  });
  it("float64 stays in JS: the same bits on both", () => {
    const a = randn([30, 40], { dtype: "float64" }),
      b = randn([40, 50], { dtype: "float64" });
    const before = gemmStats.products;
    const wasm = values(a.matmul(b));
    setBackend("js");
    expect(values(a.matmul(b))).toEqual(wasm);
    expect(gemmStats.products).toBe(before);
  });
  it("tiny products stay in JS", () => {
    const before = gemmStats.products;
    randn([3, 4]).matmul(randn([4, 5]));
    expect(gemmStats.products).toBe(before);
  });

  it("compiled: the product with its epilogue, and the backward's products", () => {
    const x = randn([37, 70]),
      w = randn([45, 70], { requiresGrad: true }),
      bias = randn([45], { requiresGrad: true });
    const f = (x: Tensor, w: Tensor, bias: Tensor) =>
      x
        .matmul(w.T)
        .add(bias)
        .relu()
        .mul(x.narrow(1, 0, 45).tanh())
        .sum();
    const step = valueAndGrad(f, { argnums: [1, 2] });
    const { wasm, js } = onBoth(() => {
      const [v, [gw, gb]] = step(x, w, bias);
      return {
        v: v.item(),
        gw: values(gw),
        gb: values(gb),
        code: compile(f).explain(x, w, bias).code,
      };
    });
    expect(wasm.code).toContain("wasmGemm");
    expect(wasm.code).toContain("(func $gemm_f32_4x8");
    expect(js.code).not.toContain("wasmGemm");
    expect(wasm.v).toBeCloseTo(js.v, 2);
    const close = (p: Float64Array, q: Float64Array) => {
      const scale = Math.max(...q.map(Math.abs));
      for (let i = 0; i < p.length; i++) expect(Math.abs(p[i] - q[i])).toBeLessThan(1e-5 * scale);
    };
    close(wasm.gw, js.gw);
    close(wasm.gb, js.gb);
  });
  it("compiled equals eager on the same backend", () => {
    const a = randn([2, 19, 33]),
      b = randn([33, 41]),
      c = randn([41]);
    const f = (a: Tensor, b: Tensor, c: Tensor) => a.matmul(b).add(c).sigmoid();
    const compiled = compile(f)(a, b, c),
      eager = f(a, b, c);
    const p = values(compiled),
      q = values(eager);
    for (let i = 0; i < p.length; i++) expect(Math.abs(p[i] - q[i])).toBeLessThan(1e-6);
  });
  it("sums stay accurate at k = 1e5", () => {
    const k = 100_000;
    const a = tensor([Array.from({ length: k }, (_, i) => 1 + (i % 7) / 7)]),
      b = randn([k, 8]).abs();
    const got = values(a.matmul(b));
    const want = reference(a, b).value;
    for (let j = 0; j < 8; j++) expect(Math.abs(got[j] - want[j]) / want[j]).toBeLessThan(2e-6);
  });
});

describe("Wasm implicit-GEMM convolutions", () => {
  manualSeed(11);
  const configs = [
    { x: [2, 3, 9, 9], w: [5, 3, 3, 3], o: { padding: 1 } },
    { x: [1, 4, 11, 8], w: [6, 2, 3, 2], o: { stride: [2, 1], padding: [1, 0], groups: 2 } },
    { x: [3, 2, 12, 12], w: [4, 2, 3, 3], o: { dilation: 2, stride: 2 } },
    { x: [2, 9, 7, 7], w: [9, 1, 3, 3], o: { padding: 1, groups: 9 } }, // depthwise
    // 1-d and 3-d: the same routine over tap tables of three spatial dims
    { x: [3, 4, 13], w: [6, 2, 3], o: { stride: 2, padding: 1, dilation: 2, groups: 2 } },
    { x: [2, 3, 5, 6, 4], w: [4, 3, 2, 3, 2], o: { stride: [1, 2, 1], padding: [1, 0, 1] } },
  ];
  // F.conv1d, F.conv2d or F.conv3d by the input's rank
  const convNd = (x: Tensor, w: Tensor, b: Tensor, o: object) =>
    [F.conv1d, F.conv2d, F.conv3d][x.ndim - 3](x, w, b, o);
  for (const { x: xs, w: ws, o } of configs) {
    const name = `conv${xs.length - 2}d ${JSON.stringify(o)}`;
    it(`${name}: forward and both gradients, as JS and float64`, () => {
      const x = randn(xs),
        w = randn(ws),
        b = randn([ws[0]]);
      const run = (x: Tensor, w: Tensor, b: Tensor) => {
        const xg = x.detach().requiresGrad_(),
          wg = w.detach().requiresGrad_();
        const y = convNd(xg, wg, b, o);
        y.mul(y.detach().cos()).sum().backward(); // a non-uniform upstream gradient
        return [y, xg.grad!, wg.grad!].map(values);
      };
      wasmSettings.minWork = 0;
      const { wasm, js } = onBoth(() => run(x, w, b));
      const want = run(x.to("float64"), w.to("float64"), b.to("float64"));
      for (const [k, ref] of want.entries()) {
        const scale = Math.max(...ref.map(Math.abs));
        for (const got of [wasm[k], js[k]])
          for (let i = 0; i < ref.length; i++)
            expect(Math.abs(got[i] - ref[i])).toBeLessThan(2e-5 * scale);
      }
    });
  }
  const transposed: [number[], number[]][] = [
    [
      [2, 6, 5],
      [6, 4, 3],
    ],
    [
      [2, 6, 5, 5],
      [6, 4, 3, 3],
    ],
    [
      [2, 6, 3, 4, 5],
      [6, 4, 3, 2, 3],
    ],
  ];
  for (const [xs, ws] of transposed)
    it(`convTranspose${xs.length - 2}d eagerly and compiled with its epilogue`, () => {
      const x = randn(xs),
        w = randn(ws),
        b = randn([4]);
      const convT = [F.convTranspose1d, F.convTranspose2d, F.convTranspose3d][xs.length - 3];
      const f = (x: Tensor, w: Tensor, b: Tensor) =>
        convT(x, w, b, { stride: 2, padding: 1, outputPadding: 1 }).tanh();
      wasmSettings.minWork = 0; // (the 1-d one is small)
      const { wasm, js } = onBoth(() => [values(f(x, w, b)), values(compile(f)(x, w, b))]);
      const want = values(f(x.to("float64"), w.to("float64"), b.to("float64")));
      for (const got of [...wasm, ...js])
        for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThan(1e-5);
      const code = compile(f).explain(x, w, b).code;
      expect(code).toMatch(/wasmGemm\("convTranspose"/);
    });
});

describe("max pooling on WebAssembly", () => {
  // window argmax in Wasm (select, no branch) against the JS loop: maxima equal to the bit, NaNs
  // and ties by PyTorch's rule, gradients to the same positions (float32 sums where windows
  // overlap, so within rounding)
  const cases: [string, number[], Parameters<typeof F.maxPool2d>[2], number | number[]][] = [
    ["2x2", [3, 4, 10, 12], {}, 2],
    [
      "overlapping, padded, dilated, ceil mode",
      [2, 3, 11, 9],
      { stride: [2, 1], padding: 1, dilation: [1, 2], ceilMode: true },
      3,
    ],
    // 1-d and 3-d: the same routines over window tables of three spatial dims
    ["1-d, padded, dilated", [3, 4, 23], { stride: 2, padding: 1, dilation: 2 }, 3],
    [
      "3-d, overlapping, padded, ceil mode",
      [2, 3, 5, 6, 7],
      { stride: [1, 2, 2], padding: [0, 1, 1], ceilMode: true },
      [2, 3, 3],
    ],
  ];
  for (const [name, shape, opts, k] of cases) {
    it(`${name}: eager and compiled, forward and backward, as JS`, () => {
      manualSeed(3);
      const base = randn(shape);
      // NaNs and ties
      const v = base.values() as number[];
      v[5] = Number.NaN;
      v[40] = Number.NaN;
      v[41] = Number.NaN;
      v[60] = v[61] = v[62] = 2.5;
      const last = shape.length - 1; // strided
      const x = tensor(v, { shape }).transpose(1, last).contiguous().transpose(1, last);
      const maxPool = [F.maxPool1d, F.maxPool2d, F.maxPool3d][shape.length - 3];
      const pool = (a: Tensor) => maxPool(a, k, opts) as Tensor;
      const run = () => {
        const xe = x.detach().requiresGrad_();
        const y = pool(xe);
        y.mul(y.detach().nanToNum().cos()).nanToNum().sum().backward();
        const f = compile((a: Tensor) => pool(a).mul(2));
        const xc = x.detach().requiresGrad_();
        const yc = compile((a: Tensor) => pool(a).nanToNum().sum())(xc);
        yc.backward();
        return [y, xe.grad!, f(x), xc.grad!].map(values);
      };
      wasmSettings.minWork = 0;
      setBackend("wasm");
      const wasm = run();
      setBackend("js");
      const js = run();
      for (const [i, w] of wasm.entries()) {
        expect(w.length).toBe(js[i].length);
        w.forEach((a, j) => {
          if (Number.isNaN(js[i][j])) expect(a).toBeNaN();
          else expect(Math.abs(a - js[i][j])).toBeLessThanOrEqual(1e-6 * (1 + Math.abs(a)));
        });
      }
      const code = compile((a: Tensor) => pool(a).mul(2)).explain(x).code;
      setBackend("wasm");
      expect(compile((a: Tensor) => pool(a).mul(2)).explain(x).code).toMatch(/wasmGemm\("maxPool"/);
      expect(code).toMatch(/pool\("maxPool"/);
    });
  }
});
