// The Wasm GEMM's layouts and per-tile epilogues: the SIMD packer against the JS one (whole and
// ragged panels, both walking orders, k not a multiple of 4), B read in place, and compiled matmul
// epilogues run in the GEMM's tiles (row and column biases, relu, the relu mask of the backward,
// several stores, k past one block, ragged edges, NaN, batched products) against eager and float64;
// epilogues the tile code does not cover, or buffers that are not float32, keep the JS epilogue.
import { afterEach, describe, expect, it } from "vitest";
import { pack } from "../../backend/pack";
import { gemmStats, matmulF32 } from "../../backend/wasm/gemm";
import { wasmSettings } from "../../backend/wasm/index";
import { load } from "../../backend/wasm/module";
import { packKernel } from "../../backend/wasm/pack";
import {
  compile,
  manualSeed,
  randn,
  setBackend,
  type Tensor,
  valueAndGrad,
  where,
} from "../../index";

afterEach(() => {
  setBackend("wasm");
  wasmSettings.minWork = 4096;
});

const values = (t: Tensor) => Float64Array.from(t.values() as number[]);
// float64 reference of a @ b and sum |a||b| (float32 sums of k products: within 2k ulps of it)
function expectGemmClose(got: Float64Array | Float32Array, a: Tensor, b: Tensor) {
  const A = a.to("float64"),
    B = b.to("float64");
  const want = values(A.matmul(B)),
    scale = values(A.abs().matmul(B.abs()));
  const k = a.shape.at(-1)!;
  expect(got.length).toBe(want.length);
  for (let i = 0; i < got.length; i++)
    expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(scale[i] * 2 ** -24 * 2 * k + 1e-30);
}

describe("the Wasm packer", () => {
  const f = load([packKernel("pack")], 64);
  const run = f.exports.pack as (...a: number[]) => void;
  const H = new Float32Array(f.memory.buffer);
  const cases: [number, number, number, number, number][] = [
    // rows, k, w, rs, cs
    [8, 16, 4, 16, 1], // whole 4-row panels, cs = 1: transposed 4 x 4 blocks
    [16, 19, 8, 21, 1], // 8-row panels, k % 4 = 3
    [10, 7, 4, 7, 1], // a ragged last panel
    [12, 9, 8, 1, 12], // along rows: one f32x4 per four rows
    [13, 5, 8, 1, 15], // ... with a ragged panel
    [9, 6, 4, 3, 2], // neither stride 1
  ];
  for (const [rows, k, w, rs, cs] of cases)
    it(`${rows} x ${k} rows (strides ${rs}, ${cs}) as panels of ${w}, as the JS packer`, () => {
      const span = (rows - 1) * rs + (k - 1) * cs + 1;
      const src = Float32Array.from({ length: span }, (_, i) => i + 0.5);
      const size = Math.ceil(rows / w) * w * k;
      const want = new Float32Array(size);
      pack(src, 0, rs, cs, rows, k, w, want);
      H.set(src, 0);
      H.fill(Number.NaN, 4096, 4096 + size); // zeros of ragged panels must be written
      run(0, rs, cs, rows, k, w, 4 * 4096, Math.abs(cs) <= Math.abs(rs) ? 1 : 0);
      expect(Array.from(H.subarray(4096, 4096 + size))).toEqual(Array.from(want));
    });
});

describe("operand layouts", () => {
  manualSeed(3);
  const view = (t: Tensor) => ({
    storage: t.storage,
    shape: t.shape,
    strides: t.strides,
    offset: t.offset,
  });
  it("B with contiguous columns is read in place, within float32 rounding", () => {
    for (const [m, k, n] of [
      [37, 70, 45],
      [4, 300, 9],
      [64, 33, 200],
    ]) {
      const a = randn([m, k]),
        b = randn([k, n]);
      const before = gemmStats.direct;
      const got = matmulF32(view(a), view(b), [m, n]);
      expect(gemmStats.direct).toBe(before + 1);
      expectGemmClose(got, a, b);
    }
  });
  it("a k step that is a multiple of 256 bytes is packed (L1 set aliasing), same values", () => {
    const a = randn([20, 40]),
      b = randn([40, 64]);
    const before = gemmStats.direct;
    const got = matmulF32(view(a), view(b), [20, 64]);
    expect(gemmStats.direct).toBe(before);
    expectGemmClose(got, a, b);
  });
});

describe("compiled matmul epilogues in the GEMM's tiles", () => {
  manualSeed(5);
  const exact = (p: Float64Array, q: Float64Array) => {
    expect(p.length).toBe(q.length);
    for (let i = 0; i < p.length; i++) expect(Object.is(p[i], q[i]) || p[i] === q[i]).toBe(true);
  };
  // compiled on Wasm, its explain() code, and eager on both backends
  const check = (f: (...xs: Tensor[]) => Tensor, xs: Tensor[], tiles = true) => {
    const c = compile(f);
    const got = values(c(...xs));
    const code = c.explain(...xs).code;
    expect(code.includes("wasmTiles(")).toBe(tiles);
    const eager = values(f(...xs));
    setBackend("js");
    const js = values(compile(f)(...xs));
    setBackend("wasm");
    return { got, eager, js, code };
  };
  const near = (p: Float64Array, q: Float64Array, tol = 1e-5) => {
    const scale = Math.max(1, ...q.map(Math.abs));
    for (let i = 0; i < p.length; i++) expect(Math.abs(p[i] - q[i])).toBeLessThan(tol * scale);
  };

  for (const [m, k, n] of [
    [37, 70, 45], // ragged on both edges
    [32, 600, 64], // k past two blocks: partial sums in C, then the epilogue
    [128, 784, 256],
  ])
    it(`x W^T + b, relu at ${m}x${k}x${n}: as eager (bit for bit) and the JS backend`, () => {
      const x = randn([m, k]),
        w = randn([n, k]),
        b = randn([n]);
      const f = (x: Tensor, w: Tensor, b: Tensor) => x.matmul(w.T).add(b).relu();
      const { got, eager, js, code } = check(f, [x, w, b]);
      expect(code).toContain("(func $gemm_f32_4x8_epilogue");
      exact(got, eager); // same GEMM, then float32 add and relu as eager rounds them
      near(got, js);
    });

  it("a column bias (stride 0 along n), a scalar and a subtraction", () => {
    const a = randn([29, 50]),
      b = randn([50, 31]),
      c = randn([29, 1]);
    const { got, eager, js } = check(
      (a, b, c) => a.matmul(b).sub(c).mul(0.5).maximum(c),
      [a, b, c],
    );
    exact(got, eager);
    near(got, js);
  });

  it("the relu mask of the backward: where(h > 0, g W, 0), with its gradients", () => {
    const x = randn([40, 30]),
      w1 = randn([24, 30], { requiresGrad: true }),
      w2 = randn([10, 24], { requiresGrad: true });
    const loss = (x: Tensor, w1: Tensor, w2: Tensor) =>
      x.matmul(w1.T).relu().matmul(w2.T).square().sum();
    wasmSettings.minWork = 0;
    const step = valueAndGrad(loss, { argnums: [1, 2] });
    const [v, [g1, g2]] = step(x, w1, w2);
    setBackend("js");
    const [vj, [g1j, g2j]] = step(x, w1, w2);
    setBackend("wasm");
    expect(v.item()).toBeCloseTo(vj.item(), 2);
    near(values(g1), values(g1j));
    near(values(g2), values(g2j));
    const h = randn([33, 17]),
      g = randn([33, 9]),
      w = randn([9, 17]);
    const { got, eager } = check((h, g, w) => where(h.gt(0), g.matmul(w), 0), [h, g, w]);
    exact(got, eager);
  });

  it("two stores: the product and its activation", () => {
    const a = randn([21, 40]),
      b = randn([40, 19]);
    const f = compile((a: Tensor, b: Tensor) => {
      const p = a.matmul(b);
      return [p, p.relu().add(1)];
    });
    const [p, q] = f(a, b) as Tensor[];
    expect(f.explain(a, b).code).toContain("wasmTiles(");
    expectGemmClose(values(p), a, b);
    exact(values(q), values(p.relu().add(1)));
  });

  it("NaN rows stay NaN through relu, as eager", () => {
    const x = randn([12, 40]),
      w = randn([40, 16]);
    x.storage!.fill(Number.NaN, 40, 80); // row 1
    const { got, eager } = check((x, w) => x.matmul(w).relu(), [x, w]);
    exact(got, eager);
    expect(Number.isNaN(got[16])).toBe(true);
  });

  it("a comparison stored as bool keeps the JS epilogue at the call, same values", () => {
    const a = randn([20, 40]),
      b = randn([40, 24]);
    const { got, eager } = check((a, b) => a.matmul(b).gt(0.5), [a, b]);
    exact(got, eager);
  });

  it("batched: a bias per column and per batch element, a 2-D operand broadcast over the batch", () => {
    const a = randn([3, 37, 50]),
      b = randn([3, 50, 29]),
      w = randn([50, 29]),
      c = randn([29]),
      d = randn([3, 1, 29]);
    const one = check((a, b, c) => a.matmul(b).add(c).relu(), [a, b, c]);
    expect(one.code).toContain("(func $gemm_f32_4x8_epilogue");
    exact(one.got, one.eager);
    near(one.got, one.js);
    const two = check((a, w, d) => a.matmul(w).mul(d).maximum(d), [a, w, d]);
    expect(two.code).toContain("wasmTiles(");
    exact(two.got, two.eager);
    near(two.got, two.js);
  });

  it("batched: the relu mask of the backward and the gradients of both operands", () => {
    const x = randn([4, 21, 30]),
      w1 = randn([4, 30, 24], { requiresGrad: true }),
      w2 = randn([24, 9], { requiresGrad: true });
    const loss = (x: Tensor, w1: Tensor, w2: Tensor) =>
      x.matmul(w1).relu().matmul(w2).square().sum();
    wasmSettings.minWork = 0;
    const step = valueAndGrad(loss, { argnums: [1, 2] });
    const [v, [g1, g2]] = step(x, w1, w2);
    const l = loss(x, w1, w2);
    l.backward();
    expect(v.item()).toBeCloseTo(l.item(), 2);
    near(values(g1), values(w1.grad!));
    near(values(g2), values(w2.grad!));
    const h = randn([2, 33, 17]),
      g = randn([2, 33, 9]),
      w = randn([2, 9, 17]);
    const { got, eager, code } = check((h, g, w) => where(h.gt(0), g.matmul(w), 0), [h, g, w]);
    expect(code).toContain("wasmTiles(");
    exact(got, eager);
  });

  it("an epilogue the tile code does not cover (tanh) runs in JS on the product", () => {
    const a = randn([20, 40]),
      b = randn([40, 24]);
    const { got, eager, code } = check((a, b) => a.matmul(b).tanh(), [a, b], false);
    expect(code).toContain('wasmGemm("matmul"');
    near(got, eager, 1e-6);
  });
});

describe("transposed copies", () => {
  manualSeed(9);
  for (const [n, r, c] of [
    [128, 256, 784], // W4's first layer
    [40, 130, 127], // edges on both sides
  ])
    it(`a ${r} x ${c} weight's gradient (x^T g, transposed) made contiguous, element for element`, () => {
      const x = randn([n, c]),
        g = randn([n, r]),
        w = randn([r, c], { requiresGrad: true });
      x.matmul(w.T).mul(g).sum().backward();
      const gw = w.grad!;
      expect(gw.strides).toEqual([c, 1]);
      const xg = x.T.matmul(g); // [c, r], the product autograd transposed
      const want = values(xg),
        got = values(gw);
      for (let i = 0; i < r; i++)
        for (let j = 0; j < c; j++) expect(got[i * c + j]).toBe(want[j * r + i]);
    });
});
