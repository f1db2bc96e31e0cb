// Costly elementwise chains on Wasm SIMD (backend/wasm/chain*.ts, vmath.ts): each vector function
// against float64 at the stated ulp bound (special values included), sums at N = 1e6 against the
// float64 sum, differential runs against the JS kernels and eager, gradients against float64
// finite differences, the cost rule's choices, and the JS fallback.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { erf } from "../../backend/js/erf";
import { CHUNK } from "../../backend/wasm/chain";
import { chainSettings } from "../../backend/wasm/chain-kernel";
import { CHAIN_ULPS } from "../../backend/wasm/vmath";
import {
  compile,
  getNumThreads,
  manualSeed,
  noGrad,
  optim,
  rand,
  randn,
  setBackend,
  setNumThreads,
  type Tensor,
  tensor,
} from "../../index";

const WASM = "a Wasm SIMD kernel";
beforeEach(() => {
  setBackend("wasm");
  chainSettings.rule = "always";
});
afterEach(() => {
  setBackend("wasm");
  chainSettings.rule = "cost";
});

const values = (t: Tensor) => Float64Array.from(t.values() as number[]);
// the distance between a float32 and a float64 value, in float32 ulps at the float64 value
function ulpsOff(got: number, want: number): number {
  if (Number.isNaN(want)) return Number.isNaN(got) ? 0 : Infinity;
  const w = Math.fround(want); // past the float32 range: +-inf
  if (!Number.isFinite(w) || !Number.isFinite(got)) return got === w ? 0 : Infinity;
  const a = Math.abs(w);
  // the spacing of float32s at |w| (denormals: 2^-149)
  const spacing = a < 2 ** -126 ? 2 ** -149 : 2 ** (Math.floor(Math.log2(a)) - 23);
  return Math.abs(got - want) / spacing;
}
// compiled f on x, which must have run as a Wasm chain kernel
function onWasm(f: (x: Tensor) => Tensor, x: Tensor): Float64Array {
  const cf = compile(f);
  expect(cf.explain(x).code).toContain(WASM);
  return values(cf(x));
}

// inputs: random over wide and narrow ranges, and the special values
function inputs(lo: number, hi: number, n = 1 << 17): Float32Array {
  manualSeed(7);
  const u = values(rand([n]));
  const specials = [0, -0, Infinity, -Infinity, Number.NaN, 1e-40, -1e-40, 1e-30, -1e-30];
  const xs = new Float32Array(n + specials.length);
  u.forEach((v, i) => {
    // half uniform in [lo, hi], half log-uniform in magnitude
    const span = i % 2 ? lo + (hi - lo) * v : Math.sign(hi) * Math.exp(Math.log(1e-6) * (1 - v));
    xs[i] = span;
  });
  xs.set(specials, n);
  return xs;
}

const cases: [string, (x: Tensor) => Tensor, (x: number) => number, number, number][] = [
  ["exp", (x) => x.exp(), Math.exp, -110, 90],
  ["log", (x) => x.log(), Math.log, -1, 1e30],
  ["tanh", (x) => x.tanh(), Math.tanh, -12, 12],
  ["erf", (x) => x.erf(), erf, -5, 5],
  // sigmoid is its formula, 1 / (1 + exp(-x)), in float32 lanes: below -88.7, where float32
  // exp(-x) overflows, it gives 0 where float64 gives a denormal
  ["sigmoid", (x) => x.sigmoid(), (x) => 1 / (1 + Math.exp(-x)), -88, 100],
];

describe("vector functions against float64", () => {
  for (const [name, f, exact, lo, hi] of cases)
    it(`${name} is within ${CHAIN_ULPS} float32 ulps`, () => {
      const xs = inputs(lo, hi);
      const x = tensor(xs);
      const got = onWasm(f, x);
      let worst = 0,
        at = 0;
      for (let i = 0; i < xs.length; i++) {
        const e = ulpsOff(got[i], exact(xs[i]));
        if (e > worst) [worst, at] = [e, i];
      }
      expect(
        worst,
        `${name}(${xs[at]}) = ${got[at]}, float64 ${exact(xs[at])}`,
      ).toBeLessThanOrEqual(CHAIN_ULPS);
      // the JS kernel agrees to the same bound plus its own rounding
      setBackend("js");
      const js = values(compile(f)(x));
      for (let i = 0; i < xs.length; i++)
        if (ulpsOff(got[i], js[i]) > CHAIN_ULPS + 1)
          expect.fail(`${name}(${xs[i]}): ${got[i]} vs JS ${js[i]}`);
    });
});

// the float64 sum, pairwise (its own error is far below float32 rounding)
function sum64(xs: ArrayLike<number>, lo = 0, hi = xs.length): number {
  if (hi - lo <= 8) {
    let s = 0;
    for (let i = lo; i < hi; i++) s += xs[i];
    return s;
  }
  const mid = (lo + hi) >> 1;
  return sum64(xs, lo, mid) + sum64(xs, mid, hi);
}

describe("sums at N = 1e6", () => {
  it("a plain sum is the float64 sum rounded to float32", () => {
    manualSeed(1);
    const x = randn([1e6]).add(0.01);
    const got = onWasm((x) => x.sum(), x)[0];
    const want = sum64(values(x));
    expect(ulpsOff(got, want)).toBeLessThanOrEqual(0.5 + 1e-6);
    setBackend("js");
    expect(ulpsOff(compile((x: Tensor) => x.sum())(x).item(), want)).toBeLessThanOrEqual(1);
  });
  it("a sum of a costly chain, and a mean, chosen by the cost rule", () => {
    chainSettings.rule = "cost";
    manualSeed(2);
    const x = randn([1e6]);
    const xs = values(x);
    const terms = Float64Array.from(xs, (v) => Math.exp(v) * 0.5);
    const sumExp = onWasm((x) => x.exp().mul(0.5).sum(), x)[0];
    // each term within CHAIN_ULPS (+1 for the multiply) of float64, all positive
    expect(ulpsOff(sumExp, sum64(terms))).toBeLessThanOrEqual(CHAIN_ULPS + 1.5);
    const mean = onWasm((x) => x.tanh().mean(), x)[0];
    const want = sum64(xs.map(Math.tanh)) / 1e6;
    expect(Math.abs(mean - want)).toBeLessThanOrEqual(1e-6 * Math.abs(want) + 1e-9);
  });
});

// tanh-GELU forward and backward, as the benchmark's W3
const gelu = (x: Tensor) =>
  x
    .mul(0.5)
    .mul(x.add(x.pow(3).mul(0.044715)).mul(0.7978845608).tanh().add(1))
    .sum();

describe("compiled on Wasm = eager and JS", () => {
  const chains: [string, (x: Tensor, w: Tensor) => Tensor][] = [
    ["sigmoid * x", (x) => x.sigmoid().mul(x)],
    ["erf-GELU", (x) => x.mul(0.5).mul(x.div(Math.SQRT2).erf().add(1))],
    ["log-sum-exp pieces", (x, w) => x.mul(w).exp().add(1).log()],
    ["where and comparisons", (x) => x.exp().where(x.gt(0).logicalOr(x.lt(-2)), x.tanh().neg())],
    ["clamp, abs, floor", (x) => x.clamp(-1, 1.5).abs().add(x.floor().mul(0.25)).exp()],
    ["mean of a chain", (x, w) => x.tanh().mul(w).mean()],
  ];
  for (const n of [5, 29, CHUNK * 2 + 3])
    for (const [name, f] of chains)
      it(`${name} at N = ${n}`, () => {
        manualSeed(3);
        const x = randn([n]).mul(2),
          w = tensor(0.75);
        const cf = compile(f);
        expect(cf.explain(x, w).code).toContain(WASM);
        const got = values(cf(x, w));
        const eager = values(f(x, w));
        setBackend("js");
        const js = values(compile(f)(x, w));
        for (const ref of [eager, js])
          for (let i = 0; i < got.length; i++)
            if (!(Math.abs(got[i] - ref[i]) <= 1e-5 * Math.abs(ref[i]) + 1e-6))
              expect.fail(`${name}[${i}]: Wasm ${got[i]}, reference ${ref[i]}`);
      });

  it("W3 at N = 1e6 runs on Wasm by the cost rule and matches the JS kernels", () => {
    chainSettings.rule = "cost";
    manualSeed(4);
    const x = randn([1e6], { requiresGrad: true });
    const cf = compile(gelu);
    expect(cf.explain(x).code).toContain(WASM);
    const out = cf(x);
    out.backward();
    const v = out.item(),
      g = values(x.grad!);
    setBackend("js");
    x.grad = null;
    const outJs = compile(gelu)(x);
    outJs.backward();
    const gJs = values(x.grad!);
    expect(Math.abs(v - outJs.item())).toBeLessThanOrEqual(2e-6 * Math.abs(v));
    for (let i = 0; i < g.length; i++)
      // float32 lanes against the JS kernel's double temps: dg/dx cancels near 0
      if (!(Math.abs(g[i] - gJs[i]) <= 1e-5 * Math.abs(gJs[i]) + 1e-5))
        expect.fail(`grad[${i}]: Wasm ${g[i]}, JS ${gJs[i]}`);
  });
});

describe("rows: operands broadcast along rows or columns, sums per row", () => {
  const rowCases: [string, (x: Tensor, b: Tensor, c: Tensor) => Tensor, boolean][] = [
    ["sigmoid(x + b[col])", (x, b) => x.add(b).sigmoid(), true],
    ["tanh(x * c[row])", (x, _b, c) => x.mul(c).tanh(), true],
    ["row sums of exp", (x) => x.exp().sum(1), true],
    ["row means of erf(x) * b, kept", (x, b) => x.erf().mul(b).mean(1, true), true],
    ["a transposed operand (stays in JS)", (x) => x.T.contiguous().T.tanh().add(x.exp()), false],
    [
      "row and column sums of exp (a sibling reduction: stays in JS)",
      (x) => x.exp().sum(1, true).add(x.exp().sum(0)),
      false,
    ],
  ];
  for (const [name, f, wasm] of rowCases)
    it(name, () => {
      manualSeed(8);
      const x = randn([7, CHUNK + 45]),
        b = randn([CHUNK + 45]),
        c = randn([7, 1]);
      const cf = compile(f);
      if (wasm) expect(cf.explain(x, b, c).code).toContain(WASM);
      const got = values(cf(x, b, c));
      const eager = values(f(x, b, c));
      for (let i = 0; i < got.length; i++)
        if (!(Math.abs(got[i] - eager[i]) <= 1e-5 * Math.abs(eager[i]) + 1e-5))
          expect.fail(`${name}[${i}]: Wasm ${got[i]}, eager ${eager[i]}`);
    });
});

describe("gradients through Wasm kernels", () => {
  // backward() of the float32 compiled function (its forward and backward chains on Wasm) against
  // central differences of the same function in float64
  const fns: [string, (x: Tensor) => Tensor][] = [
    ["tanh-GELU", gelu],
    ["erf * exp", (x) => x.erf().mul(x.mul(0.3).exp()).sum()],
    ["log sigmoid", (x) => x.sigmoid().log().mul(x).sum()],
  ];
  for (const [name, f] of fns)
    it(name, () => {
      manualSeed(5);
      const x64 = randn([37], { dtype: "float64" });
      const x = x64.to("float32").detach().requiresGrad_();
      const cf = compile(f);
      const code = cf.explain(x).code;
      expect(code).toContain(WASM);
      cf(x).backward();
      const g = values(x.grad!);
      const s = x64.storage!,
        eps = 1e-6;
      for (let i = 0; i < 37; i++) {
        const orig = s[i];
        s[i] = orig + eps;
        const up = noGrad(() => f(x64).item());
        s[i] = orig - eps;
        const down = noGrad(() => f(x64).item());
        s[i] = orig;
        const numeric = (up - down) / (2 * eps);
        if (!(Math.abs(g[i] - numeric) <= 1e-4 * Math.abs(numeric) + 1e-5))
          expect.fail(`${name}: d/dx[${i}] Wasm ${g[i]}, finite differences ${numeric}`);
      }
    });
});

describe("choosing the backend", () => {
  it("small chains stay in JS; large ones go to Wasm, arithmetic alone too (the cost rule)", () => {
    chainSettings.rule = "cost";
    const big = randn([1e5]),
      small = randn([16]),
      mid = randn([2000]);
    const code = (f: (x: Tensor) => Tensor, x: Tensor) => compile(f).explain(x).code;
    expect(code((x) => x.mul(2).add(1), big)).toContain(WASM);
    expect(code((x) => x.mul(x).sum(), big)).toContain(WASM);
    expect(code((x) => x.mul(2), mid)).not.toContain(WASM); // below the ~3300 points it pays from
    expect(code((x) => x.tanh().mul(x), mid)).toContain(WASM);
    expect(code((x) => x.tanh().mul(x), small)).not.toContain(WASM);
    expect(code((x) => x.tanh().mul(x), big)).toContain(WASM);
    expect(code((x) => x.exp().sum(), big)).toContain(WASM);
  });
  it("streams sit on 16 bytes in Wasm memory, behind scalar operands too (the SGD update)", () => {
    // (a stream one float off made every copy to or from shared memory go byte by byte)
    chainSettings.rule = "cost";
    const w = randn([256, 784]).requiresGrad_();
    w.grad = randn([256, 784]);
    const opt = new optim.SGD([w], { lr: 0.01 });
    opt.step();
    const code = opt.explain().code;
    expect(code).toContain(WASM);
    const offsets = [...code.matchAll(/v128\.(?:load|store) offset=(\d+)/g)].map((m) => +m[1]);
    expect(offsets.length).toBeGreaterThan(2);
    for (const o of offsets) expect(o % 16).toBe(0);
  });
  it("float64 chains and the JS backend stay in JS, with the same code as before", () => {
    const x = randn([1e5]);
    const f = (x: Tensor) => x.tanh().mul(x).sum();
    expect(compile(f).explain(x.to("float64")).code).not.toContain(WASM);
    setBackend("js");
    const js = compile(f).explain(x).code;
    expect(js).not.toContain(WASM);
    expect(js).toContain("tanhf(");
  });
  it("a Wasm chain gives the same bits at any thread count (an ordinary operand keeps it on the calling thread; split ones: threads.test.ts)", () => {
    chainSettings.rule = "cost";
    manualSeed(6);
    const x = randn([300_001]);
    const f = compile((x: Tensor) => x.tanh().mul(x).sum());
    expect(f.explain(x).code).toContain(WASM);
    const initial = getNumThreads();
    try {
      const one = f(x).item();
      setNumThreads(2);
      expect(Object.is(f(x).item(), one)).toBe(true);
    } finally {
      setNumThreads(initial);
    }
  });
  it("the listing names the kernel after what it computes", () => {
    const code = compile((x: Tensor) => x.tanh().mul(x).sum()).explain(randn([64])).code;
    expect(code).toMatch(/\(func \$k0_tanh_mul_sum_64 \(export "k0_tanh_mul_sum_64"\)/);
    expect(code).toContain("f32x4.div");
    expect(code).toContain("f64x2.add");
  });
});
