// Parallel kernels: the same bits for 1, 2, 3 and 4 threads; errors and crashes in workers surface
// as Errors in the caller (never a hang); the thread count's API; storage in shared memory.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gemmScratch, newScratch, PANEL, panels, tiles } from "../../backend/js/gemm";
import { roundEven } from "../../backend/js/round";
import { tanhf } from "../../backend/js/tanhf";
import { pack } from "../../backend/pack";
import { helperSource, rebuildHelpers } from "../../backend/threads/helpers";
import {
  counts,
  type RangeTask,
  runRanges,
  STALL_MS,
  setCallerWorksForTests,
  setStallTimeoutForTests,
  shutdown,
  type WasmModule,
} from "../../backend/threads/pool";
import { workerSource } from "../../backend/threads/worker-source";
import { CHUNK, type ChainLayout } from "../../backend/wasm/chain";
import { chainSettings } from "../../backend/wasm/chain-kernel";
import { chainTask } from "../../backend/wasm/chain-split";
import { tileSplitStats } from "../../backend/wasm/tile-split";
import {
  cat,
  compile,
  getNumThreads,
  manualSeed,
  randn,
  serialize,
  setNumThreads,
  type Tensor,
  valueAndGrad,
} from "../../index";
import { allocate } from "../../ir/dtype";

const initial = getNumThreads();
// more than one thread puts large storages in shared memory (one thread keeps ordinary ones)
setNumThreads(2);
afterAll(() => {
  setNumThreads(initial);
  setStallTimeoutForTests(STALL_MS);
});

const bytes = (t: Tensor) => {
  const s = t.contiguous().storage!;
  return new Uint8Array(s.buffer, s.byteOffset, s.byteLength);
};
// where two results' bytes first differ, or -1 (a plain loop: toEqual on millions of bytes is slow)
function firstDifference(a: Uint8Array[], b: Uint8Array[]): string | number {
  if (a.length !== b.length) return "different counts";
  for (let k = 0; k < a.length; k++) {
    if (a[k].length !== b[k].length) return `result ${k}: different lengths`;
    for (let i = 0; i < a[k].length; i++) if (a[k][i] !== b[k][i]) return `result ${k}, byte ${i}`;
  }
  return -1;
}
const gelu = (x: Tensor) =>
  x
    .mul(0.5)
    .mul(x.add(x.pow(3).mul(0.044715)).mul(0.7978845608).tanh().add(1))
    .sum();

describe("thread count", () => {
  it("defaults to 1 (or JITGRAD_NUM_THREADS) and takes positive integers only", () => {
    const env = process.env.JITGRAD_NUM_THREADS;
    expect(initial).toBe(env ? Number(env) : 1);
    for (const bad of [0, -1, 1.5, Number.NaN, Infinity, "2", null])
      expect(() => setNumThreads(bad as number)).toThrow(
        /setNumThreads\(\): n must be a positive integer/,
      );
    setNumThreads(3);
    expect(getNumThreads()).toBe(3);
    setNumThreads(initial);
  });
});

describe("shared storage", () => {
  it("puts large storages in shared memory, small ones and transfer forms in ordinary buffers", () => {
    setNumThreads(1);
    expect(allocate("float32", 1 << 20).buffer).toBeInstanceOf(ArrayBuffer);
    setNumThreads(2);
    expect(allocate("float32", 1 << 14).buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(allocate("float64", 1 << 20).buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(allocate("float32", 100).buffer).toBeInstanceOf(ArrayBuffer);
    const big = randn([1 << 15]);
    expect(big.storage!.buffer).toBeInstanceOf(SharedArrayBuffer);
    const s = serialize(big);
    expect(s.data.buffer).toBeInstanceOf(ArrayBuffer);
    expect(Array.from(s.data)).toEqual(Array.from(big.storage!));
    // results (eager ops, compiled calls) stay ordinary arrays: workers write through staging
    expect(big.mul(2).storage!.buffer).toBeInstanceOf(ArrayBuffer);
    expect(compile((a: Tensor) => a.exp())(big).storage!.buffer).toBeInstanceOf(ArrayBuffer);
    setNumThreads(initial);
  });
});

describe("determinism across thread counts", () => {
  // these cases exercise the JS kernels' split: costly chains would otherwise run as Wasm SIMD
  // kernels (split their own way: "Wasm chain kernels across thread counts" below)
  beforeAll(() => {
    chainSettings.rule = "never";
  });
  afterAll(() => {
    chainSettings.rule = "cost";
  });
  manualSeed(7);
  const x = randn([1_000_003]),
    m = randn([700, 1500]),
    v = randn([1500]),
    p = randn([130, 300]),
    q = randn([300, 70]);
  const cases: [string, () => Tensor[]][] = [
    ["compiled mean of a chain", () => [compile((a: Tensor) => a.add(2).mul(a).mean())(x)]],
    ["compiled gelu sum", () => [compile(gelu)(x)]],
    ["compiled gelu value and gradient", () => valueAndGrad(gelu)(x) as Tensor[]],
    ["compiled elementwise", () => [compile((a: Tensor) => a.mul(3).exp().sub(a))(x)]],
    [
      "compiled row sums, column maxima, broadcasting",
      () => {
        const f = compile((a: Tensor, b: Tensor) => [a.add(b).sum(1), a.mul(b).amax(0), a.sub(b)]);
        return f(m, v) as Tensor[];
      },
    ],
    // float64 products: the JS GEMM (float32 ones go to the Wasm GEMM where it runs)
    [
      "compiled float64 matmul with an epilogue (row panels)",
      () => [
        compile((a: Tensor, b: Tensor, c: Tensor) => a.matmul(b).add(c).relu())(
          p.double(),
          q.double(),
          v.narrow(0, 0, 70).double(),
        ),
      ],
    ],
    // float32 products on the Wasm GEMM, split by row panels (wasm/gemm-split.ts): transposed
    // operands, ragged last panels, the compiled epilogue after the split product
    [
      "compiled float32 matmul split on the Wasm GEMM, with an epilogue",
      () => [
        compile((a: Tensor, b: Tensor, c: Tensor) => a.matmul(b).add(c).relu())(
          m.narrow(0, 0, 131),
          m.T.narrow(1, 0, 70),
          v.narrow(0, 0, 70),
        ),
      ],
    ],
    // the epilogue in the split GEMM's tiles (wasm/tile-split.ts): bias and relu forward, the
    // relu mask of the backward (an [m, n] load), a transposed product (A^T B), ragged panels
    [
      "compiled float32 matmul, value and gradients through split tiles",
      () => {
        const f = (a: Tensor, b: Tensor, c: Tensor) => a.matmul(b).add(c).relu().mul(c).sum();
        const [value, grads] = valueAndGrad(f, { argnums: [0, 1] })(
          m.narrow(0, 0, 131),
          m.T.narrow(1, 0, 70),
          v.narrow(0, 0, 70),
        ) as [Tensor, Tensor[]];
        return [value, ...grads];
      },
    ],
    [
      "eager float32 matmul split on the Wasm GEMM",
      () => [m.narrow(1, 0, 301).T.matmul(m.narrow(1, 0, 66))],
    ],
    // a float32 product too small to split, in one program with split kernels
    [
      "compiled float32 matmul beside an elementwise chain",
      () =>
        compile((a: Tensor, b: Tensor, y: Tensor) => [a.matmul(b).relu(), y.mul(3).exp().sub(y)])(
          p,
          q,
          x,
        ) as Tensor[],
    ],
    ["eager mean of a chain", () => [x.add(2).mul(x).mean()]],
    // results written in ways staging cannot follow (two stores into one buffer; a transposed
    // store) and in-place updates of an ordinary buffer
    [
      "compiled cat and a transposed result",
      () =>
        compile((a: Tensor, b: Tensor) => [cat([a.mul(2), a.exp()]), b.mul(3).T.contiguous()])(
          x.narrow(0, 0, 500_000),
          m,
        ) as Tensor[],
    ],
    [
      "eager in-place update of an ordinary buffer",
      () => {
        const y = x.mul(1);
        y.mul_(3).add_(x);
        return [y];
      },
    ],
    [
      "eager float64 matmul (row panels)",
      () => {
        const d = m.double();
        return [
          d.narrow(0, 0, 200).matmul(d.T.narrow(1, 0, 100)),
          d.narrow(1, 0, 200).T.matmul(d.narrow(1, 0, 64)),
        ];
      },
    ],
    [
      "compiled row and column sums (a sibling reduction)",
      () => compile((a: Tensor) => [a.sum(1), a.sum(0)])(m) as Tensor[],
    ],
    ["eager row sums and broadcasting", () => [m.sum(1), m.sub(v), m.amax(0)]],
    [
      "compiled prod of a whole matrix",
      () => [compile((a: Tensor) => a.mul(0.001).add(1).prod())(m)],
    ],
  ];
  for (const [name, run] of cases)
    it(`${name}: the same bits for 1, 2, 3 and 4 threads`, () => {
      setNumThreads(1);
      const ref = run().map(bytes);
      for (const n of [2, 3, 4]) {
        setNumThreads(n);
        // the caller takes part (chunks go to whoever is free), then the workers run them all
        expect(firstDifference(run().map(bytes), ref)).toBe(-1);
        const before = counts.workerChunks;
        setCallerWorksForTests(false);
        try {
          expect(firstDifference(run().map(bytes), ref)).toBe(-1);
        } finally {
          setCallerWorksForTests(true);
        }
        expect(counts.workerChunks).toBeGreaterThan(before);
      }
      setNumThreads(initial);
    });

  it("a split compiled matmul runs its epilogue in every thread's tiles, same bits", () => {
    const f = compile((a: Tensor, b: Tensor, c: Tensor) => a.matmul(b).add(c).relu());
    const args = [m.narrow(0, 0, 131), m.T.narrow(1, 0, 70), v.narrow(0, 0, 70)] as const;
    setNumThreads(1);
    const ref = bytes(f(...args));
    setNumThreads(2);
    const before = tileSplitStats.calls;
    expect(firstDifference([bytes(f(...args))], [ref])).toBe(-1);
    expect(tileSplitStats.calls).toBe(before + 1);
    setNumThreads(initial);
  });

  it("the split results are right (float64 references)", () => {
    setNumThreads(2);
    const f = compile((a: Tensor) => a.add(2).mul(a).mean());
    const xs = x.storage!;
    let s = 0;
    for (let i = 0; i < xs.length; i++) s += (xs[i] + 2) * xs[i];
    expect(f(x).item()).toBeCloseTo(s / xs.length, 4);
    // a compiled matmul split by row panels (130 rows: the last chunk is ragged), against a plain loop
    const [pd, qd] = [p.double(), q.double()];
    const mm = compile((a: Tensor, b: Tensor) => a.matmul(b).relu())(pd, qd).storage!;
    const [ps, qs] = [pd.storage!, qd.storage!];
    for (const [i, j] of [
      [0, 0],
      [33, 69],
      [127, 5],
      [129, 68],
    ]) {
      let d = 0;
      for (let r = 0; r < 300; r++) d += ps[i * 300 + r] * qs[r * 70 + j];
      expect(mm[i * 70 + j]).toBeCloseTo(Math.max(d, 0), 3);
    }
    const rows = compile((a: Tensor) => a.sum(1))(m).storage!;
    const ms = m.storage!;
    for (const i of [0, 349, 699]) {
      let r = 0;
      for (let j = 0; j < 1500; j++) r += ms[i * 1500 + j];
      expect(rows[i]).toBeCloseTo(r, 2);
    }
    // column sums as a sibling of the row sums' loop: partials per chunk, combined in order
    const [rs, cols] = compile((a: Tensor) => [a.sum(1), a.sum(0)])(m) as Tensor[];
    expect(rs.storage![349]).toBe(rows[349]);
    for (const j of [0, 777, 1499]) {
      let c = 0;
      for (let i = 0; i < 700; i++) c += ms[i * 1500 + j];
      expect(cols.storage![j]).toBeCloseTo(c, 3);
    }
    setNumThreads(initial);
  });
});

describe("Wasm chain kernels across thread counts", () => {
  // costly chains run as Wasm SIMD kernels (wasm/chain-split.ts): every thread its own instance,
  // whole Wasm chunks each, a sum's chunk totals added in chunk order on the caller
  const WASM = "a Wasm SIMD kernel";
  manualSeed(9);
  const x = randn([1_000_003]),
    wide = randn([16, CHUNK + 45]),
    col = randn([CHUNK + 45]),
    perRow = randn([16, 1]),
    m = randn([700, 1500]),
    v = randn([1500]);
  // terms of +-2^40 at the ends of a sum: the float64 total keeps the other chunks' totals to
  // 2^-12 only, so adding them in another order (or per run of chunks) shows in the float32 result
  const cancels = randn([1_000_003]),
    wideCancels = randn([16, CHUNK + 45]);
  cancels.storage![0] = 2 ** 40;
  cancels.storage![1_000_000] = -(2 ** 40);
  for (let r = 0; r < 16; r++) {
    wideCancels.storage![r * (CHUNK + 45)] = 2 ** 40;
    wideCancels.storage![r * (CHUNK + 45) + CHUNK + 40] = -(2 ** 40);
  }
  // [name, the function, its arguments]: each compiled function must run as a Wasm chain
  const cases: [string, (...a: Tensor[]) => Tensor | Tensor[], Tensor[]][] = [
    ["gelu sum (ragged last chunk)", gelu, [x]],
    ["erf times exp, elementwise", (a) => a.erf().mul(a.mul(0.3).exp()), [x]],
    [
      "a sum and an elementwise result of one chain, mean's scale after the sum",
      (a) => {
        const t = a.tanh().mul(a);
        return [t.mean(), t.sub(1)];
      },
      [x],
    ],
    ["a sum whose float64 total depends on the order", (a) => a.tanh().add(a).sum(), [cancels]],
    [
      "row sums whose float64 totals depend on the order",
      (a) => a.tanh().add(a).sum(1),
      [wideCancels],
    ],
    ["row sums of exp, a row wider than a chunk", (a) => a.exp().sum(1), [wide]],
    [
      "rows with operands broadcast along rows and columns, means kept",
      (a, b, c) => a.add(b).mul(c).tanh().mean(1, true),
      [wide, col, perRow],
    ],
    ["700 short rows: row sums of erf, runs of rows", (a, b) => a.sub(b).erf().sum(1), [m, v]],
    ["700 short rows: sigmoid, elementwise", (a, b) => a.mul(b).sigmoid(), [m, v]],
  ];
  for (const [name, f, args] of cases)
    it(`${name}: the same bits for 1, 2, 3 and 4 threads`, () => {
      const cf = compile(f);
      const code = cf.explain(...args).code;
      expect(code).toContain(WASM);
      expect(code).toMatch(/with 2\+ threads: split into \d+ runs of \d+ chunks?/);
      const run = () => [cf(...args)].flat().map(bytes);
      setNumThreads(1);
      const ref = run();
      for (const n of [2, 3, 4]) {
        setNumThreads(n);
        expect(firstDifference(run(), ref)).toBe(-1);
        const before = counts.workerChunks;
        setCallerWorksForTests(false);
        try {
          expect(firstDifference(run(), ref)).toBe(-1);
        } finally {
          setCallerWorksForTests(true);
        }
        expect(counts.workerChunks).toBeGreaterThan(before);
      }
      setNumThreads(initial);
    });

  it("gelu's value and gradient: the same bits for 1, 2, 3 and 4 threads", () => {
    const vg = valueAndGrad(gelu);
    expect(compile(gelu).explain(x).code).toContain(WASM);
    setNumThreads(1);
    const ref = (vg(x) as Tensor[]).map(bytes);
    for (const n of [2, 3, 4]) {
      setNumThreads(n);
      expect(firstDifference((vg(x) as Tensor[]).map(bytes), ref)).toBe(-1);
    }
    setNumThreads(initial);
  });

  it("a chain under the cost model's threshold is not split", () => {
    const code = compile((a: Tensor) => a.tanh().mul(a).sum()).explain(randn([40_000])).code;
    expect(code).toContain(WASM);
    expect(code).not.toContain("split into");
  });

  it("a chain whose operands and result are outside shared memory runs through staging, same bits", () => {
    setNumThreads(1);
    const plain = randn([300_001]);
    expect(plain.storage!.buffer).toBeInstanceOf(ArrayBuffer);
    const f = compile((a: Tensor) => a.tanh().mul(a).sum());
    const g = compile((a: Tensor) => a.tanh().mul(a));
    const one = f(plain).item(),
      ref = bytes(g(plain));
    setNumThreads(2);
    setCallerWorksForTests(false);
    try {
      const before = counts.workerChunks;
      expect(Object.is(f(plain).item(), one)).toBe(true);
      const out = g(plain);
      expect(out.storage!.buffer).toBeInstanceOf(ArrayBuffer);
      expect(firstDifference([bytes(out)], [ref])).toBe(-1);
      expect(counts.workerChunks).toBeGreaterThan(before);
    } finally {
      setCallerWorksForTests(true);
    }
    setNumThreads(initial);
  });

  it("a chain kernel failing on a worker is an Error in the caller", () => {
    setNumThreads(2);
    const layout: ChainLayout = {
      rows: 1,
      size: 3 * CHUNK,
      streams: [],
      scalarsIn: [],
      scalarsOut: [],
      sums: [],
      floats: 0,
    };
    setCallerWorksForTests(false);
    try {
      // not a compiled module: the worker's instantiation throws
      const bad = chainTask("k9_bad", layout, 0 as unknown as WasmModule);
      expect(() => runRanges(bad, [0], [0, 1, 2, 3])).toThrow(
        /kernel k9_bad_split failed on worker thread 1: TypeError: WebAssembly\.Instance/,
      );
    } finally {
      setCallerWorksForTests(true);
    }
    setNumThreads(initial);
  });
});

// A task whose workers' code differs from the caller's: the caller's chunk waits until a worker
// has entered a chunk of its own, so the workers' code surely runs.
const shared = () => new Int32Array(new SharedArrayBuffer(16));
function rendezvous(workerBody: string, name: string): RangeTask {
  return {
    key: `${name}-${Math.random()}`,
    name,
    source: `function ${name}(c, lo, hi, flag) { Atomics.store(flag, 0, 1); Atomics.notify(flag, 0); ${workerBody} }`,
    run: (_c, _lo, _hi, flag) => {
      const f = flag as Int32Array,
        t0 = Date.now();
      while (Atomics.load(f, 0) === 0 && Date.now() - t0 < 20_000) Atomics.wait(f, 0, 0, 50);
    },
  };
}

describe("failures in workers", () => {
  it("a kernel error on a worker is an Error in the caller, with the worker's message", () => {
    setNumThreads(2);
    const t = rendezvous(`throw new Error("boom in chunk " + c);`, "throws");
    expect(() => runRanges(t, [shared()], [0, 1, 2, 3, 4])).toThrow(
      /kernel throws failed on worker thread 1: Error: boom in chunk/,
    );
  });

  it("a worker that dies mid-kernel is an Error, and the next call gets a fresh pool", () => {
    setNumThreads(2);
    const t = rendezvous(`process.exit(7);`, "dies");
    expect(() => runRanges(t, [shared()], [0, 1, 2, 3, 4])).toThrow(
      /worker thread 1 stopped while running kernel dies \(the worker thread exited \(code 7\)\)/,
    );
    const out = new Float64Array(new SharedArrayBuffer(8 * 64));
    const fill: RangeTask = {
      key: "fill",
      name: "fill",
      source: "function fill(c, lo, hi, o) { for (let i = lo; i < hi; i++) o[i] = i * c; }",
      run: (c, lo, hi, o) => {
        for (let i = lo; i < hi; i++) (o as Float64Array)[i] = i * c;
      },
    };
    runRanges(fill, [out], [0, 16, 32, 48, 64]);
    expect(out[5]).toBe(0);
    expect(out[20]).toBe(20);
    expect(out[63]).toBe(63 * 3);
  });

  it("a worker that never finishes is an Error after the stall timeout, not a hang", () => {
    setNumThreads(2);
    setStallTimeoutForTests(300);
    const t = rendezvous(`for (;;) {}`, "spins");
    expect(() => runRanges(t, [shared()], [0, 1, 2])).toThrow(
      /kernel spins made no progress on the worker threads for 300 ms/,
    );
    setStallTimeoutForTests(STALL_MS);
  });

  it("an error on the calling thread is thrown as it is, after the workers stop", () => {
    setNumThreads(2);
    const t: RangeTask = {
      key: "callerThrows",
      name: "callerThrows",
      source: "function callerThrows() {}",
      run: () => {
        throw new RangeError("caller's own");
      },
    };
    expect(() => runRanges(t, [shared()], [0, 1, 2, 3])).toThrow(RangeError);
    shutdown();
  });
});

describe("workers' helpers", () => {
  it("the worker's own source parses (a syntax error there would only show as a stall)", () => {
    expect(() => new Function(workerSource)).not.toThrow();
    // no Node-only names a bundler or the package test would flag (test/package)
    expect(workerSource).not.toMatch(/\bprocess\.|\brequire\(|from "node:/);
  });

  it("are self-contained: rebuilt from their source text they compute the same", () => {
    const h = helperSource();
    const made = new Map(h.names.map((n, i) => [n, rebuildHelpers(h)[i]]));
    type F = (...a: unknown[]) => unknown;
    const [tanh, round] = [made.get("tanhf") as F, made.get("roundEven") as F];
    for (const v of [-10, -3.2, -0.5, 0, 0.1, 1.5, 2.5, 8, 9.5])
      expect([tanh(v), round(v)]).toEqual([tanhf(v), roundEven(v)]);
    // a 6x5 @ 5x7 product (ragged edges) through the rebuilt panels, pack and tiles, with the
    // rebuilt thread's own scratch: the same bits as the originals', and right
    const [m, k, n] = [6, 5, 7];
    const a = Float32Array.from({ length: m * k }, (_, i) => Math.sin(i));
    const b = Float32Array.from({ length: k * n }, (_, i) => Math.cos(i));
    const product = (ps: F, pk: F, tl: F, scratch: unknown) => {
      const A = ps(scratch, 0, m, k) as Float64Array;
      pk(a, 0, k, 1, m, k, PANEL, A);
      const B = ps(scratch, 1, n, k) as Float64Array;
      pk(b, 0, 1, n, n, k, PANEL, B);
      const out = new Float64Array(m * n);
      tl(A, B, out, 0, n, 1, m, n, k);
      return out;
    };
    const scratch = made.get("gemmScratch");
    expect(scratch).not.toBe(gemmScratch);
    const out = product(
      made.get("panels") as F,
      made.get("pack") as F,
      made.get("tiles") as F,
      scratch,
    );
    expect(out).toEqual(product(panels as F, pack as F, tiles as F, newScratch()));
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += a[i * k + p] * b[p * n + j];
        expect(out[i * n + j]).toBeCloseTo(s, 12);
      }
  });
});

describe("garbage shared storages", () => {
  it("are collected: 300 fresh 4 MB shared inputs read by a worker grow the process by far less than 1.2 GB", () => {
    // V8 does not count shared memory toward GC pressure: without the counted ballast beside each
    // shared storage (and the workers' nudges) a loop like this one kept every buffer (measured
    // on fresh shared results: +1.2 GB)
    const script = fileURLToPath(new URL("./threads-memory.fixture.ts", import.meta.url));
    const out = execFileSync(process.execPath, ["--import", "tsx", script], {
      timeout: 120_000,
      encoding: "utf8",
    });
    const { grewMB, value, shared } = JSON.parse(out.trim());
    expect(value).toBe(true);
    expect(shared).toBe(true);
    expect(grewMB).toBeLessThan(500);
  });
});

describe("process exit", () => {
  it("a process that ran parallel kernels ends by itself (workers are unref'd)", () => {
    const script = fileURLToPath(new URL("./threads-exit.fixture.ts", import.meta.url));
    const out = execFileSync(process.execPath, ["--import", "tsx", script], {
      timeout: 60_000,
      encoding: "utf8",
      env: { ...process.env, JITGRAD_NUM_THREADS: "2" },
    });
    expect(out.trim()).toBe("ran on 2 threads: 1000000");
  });
});
