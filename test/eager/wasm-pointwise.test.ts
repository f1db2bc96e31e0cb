// Eager elementwise ops on large float32 tensors run as Wasm chains (backend/wasm/pointwise.ts)
// from the first call of a layout: the same values as the JS eager kernels (bit for bit where
// both round one float32 operation; within the vector functions' ulp bound for exp, tanh, ...),
// on views at offsets, broadcasts, number operands, in place, across thread counts, and the
// cases that must stay in JS.
import { afterEach, describe, expect, it } from "vitest";
import type { Strided } from "../../backend/backend";
import { counts } from "../../backend/threads/pool";
import { EAGER_WASM_MIN, eagerWasmStats, wasmPointwise } from "../../backend/wasm/pointwise";
import { CHAIN_ULPS } from "../../backend/wasm/vmath";
import {
  manualSeed,
  rand,
  randn,
  setBackend,
  setNumThreads,
  type Tensor,
  tensor,
} from "../../index";
import { arg, S } from "../../ir/scalar";

afterEach(() => {
  setBackend("wasm");
  setNumThreads(1);
});

const N = EAGER_WASM_MIN * 2 + 8;
const ADD = S.add(arg(0), arg(1));
const f32 = (t: Tensor) => Float32Array.from(t.values() as number[]);

// f on the default (Wasm) backend and on the JS backend
function both(f: () => Tensor): { wasm: Float32Array; js: Float32Array; ran: number } {
  setBackend("wasm");
  const before = eagerWasmStats.calls;
  const wasm = f32(f());
  const ran = eagerWasmStats.calls - before;
  setBackend("js");
  const js = f32(f());
  setBackend("wasm");
  return { wasm, js, ran };
}
// float32 ulps between a and b, at b
function maxUlps(a: Float32Array, b: Float32Array): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    if (Object.is(a[i], b[i])) continue;
    // NaN against a number, or +0 against -0
    if (Number.isNaN(a[i]) || Number.isNaN(b[i]) || a[i] === b[i]) return Infinity;
    const m = Math.abs(b[i]);
    const spacing = m < 2 ** -126 ? 2 ** -149 : 2 ** (Math.floor(Math.log2(m)) - 23);
    worst = Math.max(worst, Math.abs(a[i] - b[i]) / spacing);
  }
  return worst;
}

describe("eager elementwise ops on Wasm chains", () => {
  manualSeed(3);
  const x = randn([N]),
    y = randn([N]),
    pos = rand([N]).add(0.5),
    m = randn([64, 1024]),
    row = randn([1024]);

  const exact: [string, () => Tensor][] = [
    ["add", () => x.add(y)],
    ["sub", () => x.sub(y)],
    ["mul", () => x.mul(y)],
    ["div", () => x.div(pos)],
    ["neg", () => x.neg()],
    ["relu", () => x.relu()],
    ["sqrt", () => pos.sqrt()],
    ["a number operand (exact in float32)", () => x.mul(2).add(0.5)],
    ["a row broadcast over a matrix", () => m.add(row)],
    ["a column broadcast", () => m.mul(m.narrow(1, 0, 1))],
    ["views at odd offsets", () => x.narrow(0, 3, N - 10).sub(y.narrow(0, 1, N - 10))],
  ];
  for (const [name, f] of exact)
    it(`${name}: the JS kernel's bits`, () => {
      const { wasm, js, ran } = both(f);
      expect(ran).toBeGreaterThan(0);
      expect(maxUlps(wasm, js)).toBe(0);
    });

  const costly: [string, () => Tensor][] = [
    ["exp", () => x.exp()],
    ["log", () => pos.log()],
    ["tanh", () => x.tanh()],
    ["sigmoid", () => x.sigmoid()],
  ];
  for (const [name, f] of costly)
    it(`${name}: within the vector functions' bound of the JS kernel`, () => {
      const { wasm, js, ran } = both(f);
      expect(ran).toBeGreaterThan(0);
      // each side within CHAIN_ULPS of the float64 value (JS: 0.5), counted in ulps at the JS
      // value, which near a power of 2 can be half the size of those at the float64 value
      expect(maxUlps(wasm, js)).toBeLessThanOrEqual(2 * CHAIN_ULPS + 1);
    });

  it("powers: the exponent 2 is inlined (x * x, the JS kernel's bits); others stay in JS", () => {
    const two = both(() => x.pow(2)),
      intTwo = both(() => x.pow(tensor(2, { dtype: "int32" })));
    for (const r of [two, intTwo]) expect(r.ran).toBe(1);
    expect(maxUlps(two.wasm, two.js)).toBe(0);
    expect(maxUlps(intTwo.wasm, two.js)).toBe(0);
    // x * x * x would round twice where the JS kernel rounds once: 3 and 4 stay in JS, so a
    // power's bits do not depend on the tensor's size
    for (const e of [3, 4, 0.5, 2.5, 7, Number.NaN, Infinity])
      expect(both(() => pos.pow(e)).ran).toBe(0);
    expect(both(() => x.pow(tensor(3))).ran).toBe(0);
    // a tensor exponent is not inlined
    expect(both(() => pos.pow(y)).ran).toBe(0);
  });

  it("special values: zeros keep their sign, NaN and infinities as the JS kernels", () => {
    const specials = [0, -0, Infinity, -Infinity, Number.NaN, 1e-40, -1e-40, 1e-30, -1e-30, 100];
    const s = Float32Array.from({ length: N }, (_, i) => specials[i % specials.length]);
    const t = tensor(s, { shape: [N] });
    for (const f of [
      () => t.tanh(),
      () => t.sigmoid(),
      () => t.exp(),
      () => t.abs().log(),
      () => t.neg(),
      () => t.relu(),
      () => t.abs().sqrt(),
      () => t.mul(2),
      () => t.pow(2),
    ]) {
      const { wasm, js, ran } = both(f);
      expect(ran).toBeGreaterThan(0);
      expect(maxUlps(wasm, js)).toBeLessThanOrEqual(2 * CHAIN_ULPS + 1);
    }
  });

  it("a number operand is rounded to float32 first (PyTorch's float32 arithmetic)", () => {
    const { wasm, ran } = both(() => x.mul(0.1));
    expect(ran).toBe(1);
    const xs = f32(x),
      tenth = Math.fround(0.1);
    expect(wasm.every((v, i) => v === Math.fround(xs[i] * tenth))).toBe(true);
  });

  it("in place: the same values, the tensor's other elements untouched", () => {
    const run = () => {
      const t = x.clone();
      t.narrow(0, 5, N - 20).mul_(y.narrow(0, 5, N - 20));
      return t;
    };
    const { wasm, js, ran } = both(run);
    expect(ran).toBeGreaterThan(0);
    expect(maxUlps(wasm, js)).toBe(0);
  });

  it("in place on overlapping views: the JS kernel's values", () => {
    const run = () => {
      const t = x.clone();
      return t.narrow(0, 1, N - 1).add_(t.narrow(0, 0, N - 1));
    };
    const { wasm, js } = both(run);
    expect(maxUlps(wasm, js)).toBe(0);
  });

  it("an output sharing memory with an input at another offset or stride is refused", () => {
    const s = new Float32Array(N + 1);
    const view = (offset: number, stride = 1) => ({
      storage: s,
      shape: [N],
      strides: [stride],
      offset,
    });
    const add = (out: Strided, a: Strided) => wasmPointwise(ADD, "float32", [a, a], out);
    for (let i = 0; i < 2; i++) {
      expect(add(view(1), view(0))).toBe(false);
      expect(add({ ...view(0), shape: [N / 2 - 1] }, { ...view(0, 2), shape: [N / 2 - 1] })).toBe(
        false,
      );
    }
    expect(add(view(0), view(0))).toBe(true); // the same view: an in-place op
    // an exponent read from out's memory (inlined, it would be read before out is written)
    const square = S.pow(arg(0), arg(1));
    const scalarOfS = { storage: s, shape: [N], strides: [0], offset: 0 };
    s[0] = 2;
    expect(wasmPointwise(square, "float32", [view(1), scalarOfS], view(1))).toBe(false);
  });

  it("small tensors, float64 and integer operands, strided rows stay in JS", () => {
    const small = randn([EAGER_WASM_MIN - 1]);
    const d = randn([N], { dtype: "float64" });
    const i = tensor(
      Int32Array.from({ length: N }, (_, k) => k % 7),
      { shape: [N] },
    );
    for (const f of [() => small.add(1), () => d.mul(d), () => x.add(i), () => m.T.add(1)])
      expect(both(f).ran).toBe(0);
  });

  it("the same bits with 1, 2 and 3 threads, never split (staging would cost more)", () => {
    const at = (t: number) => {
      setNumThreads(t);
      manualSeed(9);
      const a = randn([1 << 19]);
      const before = counts.workerChunks;
      const r = [0, 1, 2, 3].map(() => f32(a.tanh().mul(a)));
      for (const v of r.slice(1)) expect(maxUlps(v, r[0])).toBe(0);
      expect(counts.workerChunks).toBe(before);
      return r[0];
    };
    const one = at(1);
    for (const t of [2, 3]) expect(maxUlps(at(t), one)).toBe(0);
  });
});
