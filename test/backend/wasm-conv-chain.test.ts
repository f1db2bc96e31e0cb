// Convolution epilogues run as a Wasm SIMD chain over the GEMM's result (conv-chain.ts): the relu
// mask of the backward and flat elementwise tails after conv and convTranspose, at ragged sizes
// and with NaN, against eager (bit for bit: both round each float32 op) and the JS backend; a
// training step of conv + bias + relu against the JS backend; a conv's channel bias added by the
// GEMM (the rest of the epilogue then a flat chain); bool results and float64 keep the JS loop.
import { afterEach, describe, expect, it } from "vitest";
import { convSettings } from "../../backend/js/conv";
import { wasmSettings } from "../../backend/wasm/index";
import {
  compile,
  F,
  getNumThreads,
  manualSeed,
  randn,
  setBackend,
  setNumThreads,
  type Tensor,
  valueAndGrad,
  where,
} from "../../index";

afterEach(() => {
  setBackend("wasm");
  wasmSettings.minWork = 4096;
});

const values = (t: Tensor) => Float64Array.from(t.values() as number[]);
const exact = (p: Float64Array, q: Float64Array) => {
  expect(p.length).toBe(q.length);
  for (let i = 0; i < p.length; i++) expect(Object.is(p[i], q[i]) || p[i] === q[i]).toBe(true);
};
const near = (p: Float64Array, q: Float64Array, tol = 1e-5) => {
  expect(p.length).toBe(q.length);
  const scale = Math.max(1, ...q.filter((v) => !Number.isNaN(v)).map(Math.abs));
  for (let i = 0; i < p.length; i++) {
    if (Number.isNaN(q[i])) expect(Number.isNaN(p[i])).toBe(true);
    else expect(Math.abs(p[i] - q[i])).toBeLessThan(tol * scale);
  }
};
const CHAIN = "_epilogue(n, last)";
// compiled on Wasm (whether its code runs the chain), eager, and compiled on the JS backend
function check(f: (...xs: Tensor[]) => Tensor, xs: Tensor[], chained: boolean) {
  wasmSettings.minWork = 0;
  const c = compile(f);
  const got = values(c(...xs));
  expect(c.explain(...xs).code.includes(CHAIN)).toBe(chained);
  const eager = values(f(...xs));
  setBackend("js");
  const js = values(compile(f)(...xs));
  setBackend("wasm");
  return { got, eager, js };
}
const s2 = { stride: 2, padding: 1 };

describe("conv epilogues as a Wasm chain", () => {
  manualSeed(11);
  // [N, C, O, H]: 3*5*3*3 = 135 points (ragged: not a multiple of 4), and W5's layer
  for (const [n, c, o, h] of [
    [3, 4, 5, 5],
    [64, 16, 16, 4],
  ])
    it(`the relu mask of the backward, where(x > 0, convTranspose(g, w), 0), ${n}x${c}x${h}x${h}`, () => {
      const g = randn([n, o, h, h]),
        w = randn([o, c, 3, 3]);
      const out = (h - 1) * 2 - 2 + 3 + 1;
      const x = randn([n, c, out, out]);
      const f = (x: Tensor, g: Tensor, w: Tensor) =>
        where(x.gt(0), F.convTranspose2d(g, w, null, { ...s2, outputPadding: 1 }), 0);
      const { got, eager, js } = check(f, [x, g, w], true);
      exact(got, eager);
      near(got, js);
    });

  it("conv then a flat tail (scale, relu), 7 points past the last vector", () => {
    const x = randn([3, 2, 9, 9]),
      w = randn([5, 2, 3, 3]);
    const f = (x: Tensor, w: Tensor) => F.conv2d(x, w, null, s2).mul(0.5).relu();
    const { got, eager, js } = check(f, [x, w], true);
    expect(got.length % 4).not.toBe(0);
    exact(got, eager);
    near(got, js);
  });

  it("with 2 threads (the GEMM and a large chain may split): as eager, bit for bit", () => {
    const threads = getNumThreads();
    setNumThreads(2);
    try {
      const g = randn([4, 8, 32, 32]),
        w = randn([8, 16, 3, 3]),
        x = randn([4, 16, 64, 64]);
      const f = (x: Tensor, g: Tensor, w: Tensor) =>
        where(x.gt(0), F.convTranspose2d(g, w, null, { ...s2, outputPadding: 1 }), 0);
      const { got, eager } = check(f, [x, g, w], true);
      exact(got, eager);
    } finally {
      setNumThreads(threads);
    }
  });

  it("NaN through the mask and relu, as eager", () => {
    const g = randn([2, 3, 4, 4]),
      w = randn([3, 2, 3, 3]),
      x = randn([2, 2, 8, 8]);
    g.storage!.fill(Number.NaN, 0, 5);
    x.storage!.fill(Number.NaN, 100, 110);
    const f = (x: Tensor, g: Tensor, w: Tensor) =>
      where(x.gt(0), F.convTranspose2d(g, w, null, { ...s2, outputPadding: 1 }), 0);
    const { got, eager, js } = check(f, [x, g, w], true);
    exact(got, eager);
    near(got, js);
    expect(got.some(Number.isNaN)).toBe(true);
    const r = check(
      (g: Tensor, w: Tensor) => F.conv2d(g, w.transpose(0, 1), null).relu(),
      [g, w],
      true,
    );
    exact(r.got, r.eager);
    expect(r.got.some(Number.isNaN)).toBe(true);
  });

  it("a training step of conv + bias + relu: its gradients as the JS backend's", () => {
    const x = randn([6, 3, 8, 8]),
      w1 = randn([8, 3, 3, 3], { requiresGrad: true }),
      b1 = randn([8], { requiresGrad: true }),
      w2 = randn([4, 8, 3, 3], { requiresGrad: true }),
      b2 = randn([4], { requiresGrad: true });
    const loss = (x: Tensor, w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor) =>
      F.conv2d(F.conv2d(x, w1, b1, s2).relu(), w2, b2, s2)
        .relu()
        .square()
        .sum();
    wasmSettings.minWork = 0;
    const grads = valueAndGrad(loss, { argnums: [1, 2, 3, 4] });
    const step = (x: Tensor, w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor) => {
      const [v, gs] = grads(x, w1, b1, w2, b2);
      return [v, ...gs];
    };
    const xs: [Tensor, Tensor, Tensor, Tensor, Tensor] = [x, w1, b1, w2, b2];
    const c = compile(step);
    expect(c.explain(...xs).code).toContain(CHAIN); // the backward's relu mask after convTranspose
    const got = c(...xs) as Tensor[];
    setBackend("js");
    const want = compile(step)(...xs) as Tensor[];
    setBackend("wasm");
    const eager = step(...xs);
    got.forEach((g, i) => {
      near(values(g), values(want[i]), 1e-4);
      near(values(g), values(eager[i]), 1e-4);
    });
  });

  // the channel bias added by the GEMM as one more k step (conv-chain.ts channelBias): grouped,
  // a strided bias view, the batch in chunks, a view of a wide input (packed by the JS loops:
  // js/conv-staging.ts movementFor), and k + 1 past the GEMM's k block (then the bias joins the
  // last block's sum: within rounding); the bias read again by the epilogue leaves an epilogue
  // that is not flat: the JS loop, as before
  const biased: [
    string,
    (x: Tensor, w: Tensor, b: Tensor) => Tensor,
    number[],
    number[],
    boolean,
  ][] = [
    [
      "conv + bias + relu",
      (x, w, b) => F.conv2d(x, w, b, s2).relu(),
      [3, 4, 7, 7],
      [6, 4, 3, 3],
      true,
    ],
    [
      "grouped, a strided bias",
      (x, w, b) => F.conv2d(x, w, b.reshape([6, 2]).select(1, 1), { groups: 2 }).relu(),
      [2, 4, 5, 5],
      [6, 2, 3, 3],
      true,
    ],
    [
      "a narrow view of a wide input (JS data movement)",
      (x, w, b) => F.conv2d(x.narrow(3, 0, 7), w, b, s2).relu(),
      [3, 4, 7, 40],
      [6, 4, 3, 3],
      true,
    ],
    [
      "the bias read again",
      (x, w, b) =>
        F.conv2d(x, w, b, s2)
          .relu()
          .mul(b.reshape([6, 1, 1])),
      [3, 4, 7, 7],
      [6, 4, 3, 3],
      false, // (the JS loop: within rounding of eager)
    ],
    [
      "k + 1 past a k block",
      (x, w, b) => F.conv2d(x, w, b).relu(),
      [2, 32, 4, 4],
      [5, 32, 3, 3],
      false,
    ],
  ];
  for (const [name, f, xs, ws, bitwise] of biased)
    it(`a channel bias in the GEMM: ${name}`, () => {
      const x = randn(xs),
        w = randn(ws),
        b = randn([name.includes("strided") ? 2 * ws[0] : ws[0]]);
      const saved = convSettings.chunk;
      try {
        for (const chunk of [saved, 200]) {
          convSettings.chunk = chunk;
          const folds = !name.includes("again");
          const { got, eager, js } = check(f, [x, w, b], folds);
          if (bitwise) exact(got, eager);
          near(got, eager);
          near(got, js);
          const code = compile(f).explain(x, w, b).code;
          expect(code.includes("along the channels as one more k step")).toBe(folds);
        }
      } finally {
        convSettings.chunk = saved;
      }
    });

  it("fallbacks keep the JS loop: a bool result, float64, the JS backend", () => {
    const x = randn([2, 3, 6, 6]),
      w = randn([4, 3, 3, 3]);
    const mask = check((x, w) => F.conv2d(x, w, null).gt(0), [x, w], true);
    exact(mask.got, mask.eager); // compiled to the chain, run by the JS loop at the call
    const f64 = check(
      (x, w) => F.conv2d(x.to("float64"), w.to("float64"), null).relu(),
      [x, w],
      false,
    );
    exact(f64.got, f64.eager);
    setBackend("js");
    const c = compile((x: Tensor, w: Tensor) => F.conv2d(x, w, null).relu());
    expect(c.explain(x, w).code.includes(CHAIN)).toBe(false);
    exact(values(c(x, w)), values(F.conv2d(x, w, null).relu()));
  });
});
