// npm run bench [-- --quick | --large | --reference | --filter=W3 | --threads=1,2 | --no-peers |
//                   --peers-dir=DIR]
// Times W1-W4 (eager, compiled, hand-written), a copy loop (bandwidth), matmul GFLOP/s, steady-state
// memory and per-call overhead with the `benchmark` package; prints tables and the issue's targets,
// writes JSON and an SVG chart under bench/results/ (--reference: reference.json / reference.svg).
// Peer rows (tfjs' Wasm backend, jax-js) join W1, W3, W4 and matmul when those packages load
// (bench/peers.ts); --peers-dir=DIR loads them from DIR/node_modules (`npm i --prefix DIR ...`).

import { execSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import Benchmark from "benchmark";
import {
  compile,
  getBackend,
  getNumThreads,
  manualSeed,
  randn,
  setBackend,
  setNumThreads,
  type Tensor,
} from "../index";
import { copyLoop, mmNN } from "./hand";
import { loadPeers, matmulPeers, type Peers } from "./peers";
import {
  type CaseResult,
  fmtN,
  fmtTime,
  markdownTables,
  type Results,
  svgChart,
  type Target,
  targetTable,
  type VariantResult,
  type WorkloadResult,
  workloadTable,
} from "./report";
import { type Case, hasTraining, type Outcome, seedFn, type Variant, workloads } from "./workloads";

const argv = process.argv.slice(2);
const flag = (f: string) => argv.includes(f);
const quick = flag("--quick"),
  large = flag("--large"),
  reference = flag("--reference"),
  noPeers = flag("--no-peers");
const peersDir = argv.find((a) => a.startsWith("--peers-dir="))?.slice(12);
const filter = argv
  .find((a) => a.startsWith("--filter="))
  ?.slice(9)
  .split(",");
// --threads=1,2 (or --threads 1,2): every case runs at each thread count (setNumThreads), so the
// speedup is a ratio within one run; default: the library's own count (cores / JITGRAD_NUM_THREADS)
const threadsAt = argv.findIndex((a) => a === "--threads" || a.startsWith("--threads="));
const threadsArg =
  threadsAt < 0
    ? undefined
    : argv[threadsAt].startsWith("--threads=")
      ? argv[threadsAt].slice(10)
      : argv[threadsAt + 1];
const threadCounts =
  threadsArg === undefined ? [getNumThreads()] : threadsArg.split(",").map(Number);
if (threadCounts.some((t) => !Number.isInteger(t) || t < 1)) {
  console.error(`--threads takes positive integers (1,2,...), got ${threadsArg}`);
  process.exit(2);
}
for (const [i, a] of argv.entries())
  if (
    !["--quick", "--large", "--reference", "--no-peers"].includes(a) &&
    !a.startsWith("--filter=") &&
    !a.startsWith("--peers-dir=") &&
    !a.startsWith("--threads") &&
    !(threadsAt >= 0 && !argv[threadsAt].includes("=") && i === threadsAt + 1)
  ) {
    console.error(`unknown option ${a}`);
    process.exit(2);
  }
const selected = (id: string) => !filter || filter.includes(id);

// Benchmark.js: each sample lasts at least minTime; a benchmark stops sampling after maxTime once it
// has minSamples. Full: ~50 benchmarks x ~4.5 s; quick: ~25 x ~0.4 s.
const opts = quick
  ? { maxTime: 0.25, minSamples: 3, minTime: 0.02 }
  : { maxTime: 4, minSamples: 5, minTime: 0.05 };
const sizes = quick ? { w1: [4, 1e6], w3: [1e6] } : { w1: [4, 1e3, 1e5, 1e6], w3: [1e3, 1e5, 1e6] };
if (large) {
  sizes.w1.push(1e7);
  sizes.w3.push(1e7);
}
const gc = (globalThis as { gc?: () => void }).gc;
const t0 = performance.now(),
  load0 = os.loadavg(),
  cpu0 = process.cpuUsage();
const elapsed = () => `${((performance.now() - t0) / 1000).toFixed(0)}s`;

function fail(msg: string): never {
  console.error(`\n${"!".repeat(78)}\nBENCHMARK ABORTED: ${msg}\n${"!".repeat(78)}`);
  process.exit(1);
}

// ---- checking: every variant against the eager one, float32 tolerance ----
const RTOL = 1e-4;
function compare(ref: Outcome, got: Outcome, what: string, valueRtol = RTOL): number {
  let worst = 0;
  const err = (a: number, b: number, scale: number) => Math.abs(a - b) / (Math.abs(b) + scale);
  const ev = err(got.value, ref.value, 1e-3);
  if (!(ev <= valueRtol))
    fail(
      `${what}: value ${got.value} differs from eager's ${ref.value} (relative error ${ev.toExponential(2)} > ${valueRtol})`,
    );
  worst = ev;
  if (got.grads.length !== ref.grads.length)
    fail(`${what}: ${got.grads.length} gradients, eager has ${ref.grads.length}`);
  ref.grads.forEach((r, k) => {
    const g = got.grads[k];
    if (g.length !== r.length)
      fail(`${what}: gradient ${k} has ${g.length} elements, eager's has ${r.length}`);
    let scale = 0;
    for (let i = 0; i < r.length; i++) scale = Math.max(scale, Math.abs(r[i]));
    scale = Math.max(scale * 0.1, 1e-12); // atol = 1e-5 max|g|: float32 cancellation (1 + tanh near -1) in eager itself
    for (let i = 0; i < r.length; i++) {
      const e = err(g[i], r[i], scale);
      if (!(e <= RTOL))
        fail(
          `${what}: gradient ${k}[${i}] = ${g[i]}, eager's is ${r[i]} (relative error ${e.toExponential(2)} > ${RTOL})`,
        );
      if (e > worst) worst = e;
    }
  });
  return worst;
}

// ---- timing ----
let done = 0,
  total = 0;
function time(
  name: string,
  fn: () => void,
): { mean: number; rme: number; samples: number; hz: number; median: number; min: number } {
  for (let i = 0; i < 3; i++) fn(); // compile caches and first JIT tiers before the clock starts
  const b = new Benchmark(name, fn, { ...opts, initCount: 1 });
  b.run({ async: false });
  if (b.error) fail(`${name} threw: ${(b.error as Error).stack ?? b.error}`);
  const sorted = [...b.stats.sample].sort((p, q) => p - q);
  const s = {
    mean: b.stats.mean,
    rme: b.stats.rme,
    samples: sorted.length,
    hz: b.hz,
    median: sorted[sorted.length >> 1],
    min: sorted[0],
  };
  done++;
  console.log(
    `[${String(done).padStart(2)}/${total}] ${name.padEnd(48)} ${fmtTime(s.mean).padStart(10)} ±${s.rme.toFixed(1).padStart(4)}%  (${String(s.samples).padStart(3)} samples, ${elapsed()})`,
  );
  return s;
}

// A variant timed outside this process (the PyTorch peer): its own figures, printed like ours.
function external(name: string, get: () => ReturnType<typeof time>) {
  const s = get();
  done++;
  console.log(
    `[${String(done).padStart(2)}/${total}] ${name.padEnd(48)} ${fmtTime(s.mean).padStart(10)} ±${s.rme.toFixed(1).padStart(4)}%  (${String(s.samples).padStart(3)} samples, ${elapsed()}, timed by the peer)`,
  );
  return s;
}

// Interleaved rounds (issue 13's peer targets): each round times a short batch (~5 ms, at least
// one call) of every function in turn and keeps each one's fastest batch. On a loaded machine the
// functions then share the same slow and fast stretches, which benchmark.js' one-after-the-other
// runs do not, and short batches find the moments when this process had a core.
const ROUNDS = quick ? 9 : 25;
function headToHead(
  fns: [string, () => void][],
  what: string,
  batchMs = 5,
): Record<string, number> {
  const calls = fns.map(([, f]) => {
    const t = performance.now();
    f();
    return Math.min(1e4, Math.max(1, Math.round(batchMs / Math.max(performance.now() - t, 1e-3))));
  });
  const best = fns.map(() => Infinity);
  for (let r = 0; r < ROUNDS; r++)
    fns.forEach(([, f], i) => {
      const t = performance.now();
      for (let k = 0; k < calls[i]; k++) f();
      best[i] = Math.min(best[i], (performance.now() - t) / 1e3 / calls[i]);
    });
  console.log(
    `       ${what} head-to-head (${ROUNDS} interleaved rounds, fastest batch): ${fns.map(([n], i) => `${n} ${fmtTime(best[i])}`).join(", ")}`,
  );
  return Object.fromEntries(fns.map(([n], i) => [n, best[i]]));
}

// Issue 14's rows: the compiled and eager variants of a case made at 1 thread and of the same case
// made at 2, timed in interleaved rounds (headToHead), each call at its own thread count. The
// benchmark.js rows of the two cases run minutes apart, and this machine's speed drifts more
// than that between them (W4's 2-thread batches ranged 2.3-4.4 ms a step within one minute).
// Batches are ~50 ms, not 5: a batch of one or two W4 steps measured mostly the first step after
// the other variants ran (its worker asleep, its caches cold), which no training loop has.
const threadTargets: [string, number | null][] = [
  ["W1", 1e6],
  ["W3", 1e6],
  ["W4", null],
];
function threadsHeadToHead(one: Case, two: Case, workload: string) {
  const ids = ["compiled", "eager"] as const,
    at = (c: Case, id: string) => c.variants.find((v) => v.id === id)!.fn,
    on = (t: number, f: () => unknown) => () => {
      setNumThreads(t);
      f();
    };
  const fns: [string, () => void][] = ids.flatMap((id) => [
    [`${id} T=1`, on(1, at(one, id))],
    [`${id} T=2`, on(2, at(two, id))],
  ]);
  const best = headToHead(fns, `${workload} 1 vs 2 threads`, 50);
  setNumThreads(2);
  return Object.fromEntries(
    ids.map((id) => [id, { one: best[`${id} T=1`], two: best[`${id} T=2`] }]),
  );
}

function runCase(c: Case, threads: number): CaseResult {
  const batch = c.workload === "W4" || c.workload.startsWith("S");
  const label = `${c.workload} ${batch ? `B=${c.n}` : `N=${fmtN(c.n)}`} T=${threads}`;
  const ref = c.variants[0].outcome();
  const errs = new Map<Variant, number>([[c.variants[0], 0]]);
  for (const v of c.variants.slice(1))
    errs.set(v, compare(ref, v.outcome(), `${label} ${v.label}`, v.valueRtol));
  const own = c.variants.filter((v) => !v.peer),
    peerErrs = c.variants
      .filter((v) => v.peer)
      .map((v) => `${v.label} ${errs.get(v)!.toExponential(1)}`);
  console.log(
    `       ${label}: ${c.variants.length} variants agree (value ${ref.value.toPrecision(6)}, ${ref.grads.length} gradient(s), max rel err ${Math.max(...own.map((v) => errs.get(v)!)).toExponential(1)}${peerErrs.length ? `; peers: ${peerErrs.join(", ")}` : ""})`,
  );
  const vs: VariantResult[] = c.variants.map((v) => {
    const code = v.code?.();
    return {
      id: v.id,
      label: v.label,
      ...(v.external
        ? external(`${label} ${v.label}`, v.external)
        : time(`${label} ${v.label}`, v.fn)),
      maxRelErr: errs.get(v)!,
      ...(code === undefined
        ? {}
        : { kernels: v.kernels?.(), mathTanhCalls: (code.match(/Math\.tanh\(/g) ?? []).length }),
    };
  });
  // with peers, at the sizes their targets and summary use: the compiled rows and the peers
  // again, interleaved
  const rivals = c.variants.filter(
    (v) => v.peer || ["compiled", "valueAndGrad", "wholeStep"].includes(v.id),
  );
  const headToHeadTimes =
    c.variants.some((v) => v.peer) && (batch || c.n >= 1e6)
      ? headToHead(
          rivals.map((v) => [v.id, v.fn]),
          label,
        )
      : undefined;
  const m = (id: string) => vs.find((v) => v.id === id)?.mean ?? NaN;
  const r = (a: number, b: number) => (Number.isFinite(a / b) ? a / b : null);
  return {
    workload: c.workload,
    n: c.n,
    threads,
    variants: vs,
    ...(headToHeadTimes ? { headToHead: headToHeadTimes } : {}),
    eagerOverCompiled: r(m("eager"), m("compiled")),
    compiledOverHand: r(m("compiled"), m("hand")),
    eagerOverValueAndGrad: r(m("eager"), m("valueAndGrad")),
    valueAndGradOverHand: r(m("valueAndGrad"), m("hand")),
  };
}

// ---- extras ----
function copyBandwidth() {
  const n = 1e6,
    src = new Float32Array(n).map((_, i) => i),
    dst = new Float32Array(n);
  copyLoop(src, dst);
  if (dst[n - 1] !== n - 1) fail("copy loop check");
  const loop = time("copy loop 1e6 floats (for loop)", () => copyLoop(src, dst));
  const set = time("copy 1e6 floats (TypedArray.set, memcpy)", () => dst.set(src));
  return {
    n,
    bytesPerCall: 8 * n,
    loop,
    set,
    gbps: (8 * n) / loop.mean / 1e9,
    setGbps: (8 * n) / set.mean / 1e9,
  };
}

// What a fresh output buffer costs (compiled and eager results are new tensors; the hand-written
// loops reuse theirs): allocate N floats and touch every page once.
function freshOutput() {
  const out: Record<string, { mean: number; rme: number }> = {};
  for (const n of [1e5, 1e6]) {
    out[String(n)] = time(`fresh output ${fmtN(n)} floats (allocate + first write)`, () => {
      const a = new Float32Array(n);
      for (let i = 0; i < n; i += 1024) a[i] = 1;
      return a;
    });
  }
  return out;
}

type Rate = ReturnType<typeof time> & { gflops: number };
// out.headToHead: the compiled product and the peers' in interleaved rounds (when peers run)
function matmulRate(peers: Peers | undefined, out: { headToHead?: Record<string, number> }) {
  const M = 128,
    K = 784,
    N = 256,
    flops = 2 * M * K * N;
  manualSeed(7);
  const a = randn([M, K]),
    b = randn([K, N]),
    cm = compile((p: Tensor, q: Tensor) => p.matmul(q));
  const A = a.storage as Float32Array,
    Bm = b.storage as Float32Array,
    C = new Float32Array(M * N);
  mmNN(A, Bm, C, M, K, N);
  const ref = a.matmul(b).values(),
    cv = cm(a, b).values();
  ref.forEach((v, i) => {
    if (!(Math.abs(cv[i] - v) <= 1e-4 * (Math.abs(v) + 1)))
      fail(`matmul: compiled[${i}] = ${cv[i]}, eager ${v}`);
    if (!(Math.abs(C[i] - v) <= 1e-4 * (Math.abs(v) + 1)))
      fail(`matmul: hand-written[${i}] = ${C[i]}, eager ${v}`);
  });
  const rate = <S extends { mean: number }>(s: S) => ({ ...s, gflops: flops / s.mean / 1e9 });
  const backend = getBackend();
  setBackend("js");
  const jsRows = {
    "eager, JS backend": rate(
      time("matmul 128x784 @ 784x256 eager, JS backend", () => a.matmul(b)),
    ),
    "compiled, JS backend": rate(
      time("matmul 128x784 @ 784x256 compiled, JS backend", () => cm(a, b)),
    ),
  };
  setBackend(backend);
  const rows: Record<string, Rate> = {
    eager: rate(time("matmul 128x784 @ 784x256 eager", () => a.matmul(b))),
    compiled: rate(time("matmul 128x784 @ 784x256 compiled", () => cm(a, b))),
    ...jsRows,
    "hand-written (4-row blocked)": rate(
      time("matmul 128x784 @ 784x256 hand-written", () => mmNN(A, Bm, C, M, K, N)),
    ),
  };
  // the peers' products, checked like the hand-written one before they are timed
  for (const p of peers ? matmulPeers(peers, A, Bm, M, K, N) : []) {
    const got = p.call();
    ref.forEach((v, i) => {
      if (!(Math.abs(got[i] - v) <= 1e-4 * (Math.abs(v) + 1)))
        fail(`matmul: ${p.label}[${i}] = ${got[i]}, eager ${v}`);
    });
    rows[p.label] = rate(time(`matmul 128x784 @ 784x256 ${p.label}`, p.call));
  }
  const mmPeers = peers ? matmulPeers(peers, A, Bm, M, K, N) : [];
  const headToHeadTimes = mmPeers.length
    ? headToHead(
        [
          ["compiled", () => cm(a, b)],
          ...mmPeers.map((p) => [p.label, p.call] as [string, () => void]),
        ],
        "matmul",
      )
    : undefined;
  if (headToHeadTimes) out.headToHead = headToHeadTimes;
  return rows as typeof rows & Record<"eager" | "compiled" | "compiled, JS backend", Rate>;
}

// Heap after full collections, around rounds of compiled calls at N = 4, after a warm-up round (the
// first rounds also hold V8's optimized code and type feedback). A per-call leak of even one object
// (>= 16 bytes) grows every round by >= 1.6 MB per 1e5 calls; the target looks at the median round.
function steadyMemory() {
  const heap = () => {
    gc?.();
    gc?.();
    return process.memoryUsage().heapUsed;
  };
  const measure = (name: string, call: () => unknown, calls: number, rounds: number) => {
    let last: unknown = null;
    for (let i = 0; i < calls; i++) last = call();
    const rs: { before: number; after: number; delta: number; usPerCall: number }[] = [];
    for (let r = 0; r < rounds; r++) {
      const before = heap(),
        start = performance.now();
      for (let i = 0; i < calls; i++) last = call();
      const us = ((performance.now() - start) * 1000) / calls,
        after = heap();
      rs.push({ before, after, delta: after - before, usPerCall: us });
    }
    if (last === null) fail("memory check");
    const median = [...rs].sort((a, b) => a.delta - b.delta)[rs.length >> 1];
    const kb = (b: number) => `${b >= 0 ? "+" : ""}${(b / 1024).toFixed(1)} KB`;
    console.log(
      `       memory ${name}: ${rounds} x ${calls} calls after a warm-up round: heap ${rs.map((r) => kb(r.delta)).join(", ")} (${(rs[0].before / 1048576).toFixed(2)} MB -> ${(rs[rs.length - 1].after / 1048576).toFixed(2)} MB)${gc ? "" : " [no --expose-gc: includes garbage]"}`,
    );
    return {
      calls,
      rounds: rs,
      before: median.before,
      after: median.after,
      delta: median.delta,
      bytesPerCall: median.delta / calls,
    };
  };
  manualSeed(3);
  const x = randn([4]),
    xg = randn([4], { requiresGrad: true }),
    cf = compile(seedFn),
    cg = compile(seedFn);
  return {
    gcExposed: !!gc,
    w1Compiled: measure("W1 N=4 compiled forward", () => cf(x), 1e5, 3),
    w2CompiledBackward: measure(
      "W2 N=4 compiled + backward()",
      () => {
        xg.grad = null;
        const o = cg(xg);
        o.backward();
        return o;
      },
      quick ? 1e4 : 5e4,
      3,
    ),
  };
}

// ---- targets ----
function targets(
  ws: WorkloadResult[],
  extras: {
    memory?: ReturnType<typeof steadyMemory>;
    matmul?: ReturnType<typeof matmulRate>;
    matmulHeadToHead?: Record<string, number>;
    fresh?: ReturnType<typeof freshOutput>;
  },
): Target[] {
  const find = (w: string, n: number) => ws.find((x) => x.id === w)?.cases.find((c) => c.n === n);
  const out: Target[] = [];
  const add = (
    id: string,
    what: string,
    measured: number | null | undefined,
    unit: string,
    goal: number,
    better: "higher" | "lower",
    why = "",
  ) => {
    const m = measured ?? null;
    let pass: boolean | null = null,
      verdict = "not measured in this run";
    if (m !== null) {
      pass = better === "higher" ? m >= goal : m <= goal;
      if (unit === " KB")
        verdict = pass
          ? "flat"
          : `grows ${(m - goal).toFixed(1)} KB more than allowed per 1e5 calls`;
      else if (unit === " µs")
        verdict = pass
          ? `${(goal - m).toFixed(2)} µs to spare`
          : `${(m - goal).toFixed(2)} µs over`;
      else if (better === "higher")
        verdict = pass
          ? `${((m / goal - 1) * 100).toFixed(0)}% above the goal`
          : `${((1 - m / goal) * 100).toFixed(0)}% short: needs ${(goal / m).toFixed(2)}x more`;
      else
        verdict = pass
          ? `${((1 - m / goal) * 100).toFixed(0)}% under the limit`
          : `${((m / goal - 1) * 100).toFixed(0)}% over: needs ${(m / goal).toFixed(2)}x faster`;
    }
    out.push({
      id,
      what,
      measured: m,
      unit,
      goal,
      better,
      pass,
      verdict,
      why: pass === false ? why : "",
    });
  };
  // what explain() says about the variant's generated code
  const codeWhy = (c: CaseResult | undefined, id: string) => {
    const v = c?.variants.find((u) => u.id === id);
    if (!v?.kernels) return "";
    const k = v.kernels,
      parts: string[] = [];
    if (k.backward)
      parts.push(
        `${k.forward} forward + ${k.backward} backward kernel(s) per call: two passes over x plus the autograd engine (valueAndGrad fuses both into one pass)`,
      );
    else parts.push(`${k.forward} fused kernel(s)`);
    const hand = c!.variants.find((u) => u.id === "hand"),
      alloc = extras.fresh?.[String(c!.n)];
    if (id === "valueAndGrad" && k.forward === 1 && hand && alloc) {
      const gap = v.mean - hand.mean;
      parts.push(
        `of the ${fmtTime(gap)} gap to the hand-written loop, ${fmtTime(alloc.mean)} (${Math.min(100, (alloc.mean / gap) * 100).toFixed(0)}%) is the fresh ${fmtN(c!.n)}-float gradient buffer each call allocates and first touches (the hand-written loop reuses one)${alloc.mean < gap / 2 ? "; the rest is the kernel's arithmetic (see explain().code)" : ""}`,
      );
    }
    if (v.mathTanhCalls)
      parts.push(
        `its kernels call Math.tanh ${v.mathTanhCalls}x per element (~28 ns each here; a rational tanh costs ~5 ns)`,
      );
    return parts.join("; ");
  };
  for (const [w, goal] of [
    ["W1", 5],
    ["W3", 5],
    ["W2", 3],
  ] as const) {
    const c = find(w, 1e6);
    add(
      `${w}-speedup`,
      `${w} N=1e6 eager/compiled`,
      c?.eagerOverCompiled,
      "x",
      goal,
      "higher",
      codeWhy(c, "compiled"),
    );
  }
  for (const w of ["W1", "W2", "W3"]) {
    for (const c of ws.find((x) => x.id === w)?.cases.filter((c) => c.n >= 1e5) ?? []) {
      add(
        `${w}-${c.n}-hand`,
        `${w} N=${fmtN(c.n)} compiled/hand-written`,
        c.compiledOverHand,
        "x",
        1.15,
        "lower",
        codeWhy(c, "compiled"),
      );
      if (c.valueAndGradOverHand !== null)
        add(
          `${w}-${c.n}-vag-hand`,
          `${w} N=${fmtN(c.n)} valueAndGrad/hand-written (info)`,
          c.valueAndGradOverHand,
          "x",
          1.15,
          "lower",
          codeWhy(c, "valueAndGrad"),
        );
    }
  }
  for (const w of ["W1", "W2"]) {
    const c = find(w, 4),
      m = (id: string) => c?.variants.find((v) => v.id === id)?.mean;
    const comp = m("compiled"),
      hand = m("hand"),
      eager = m("eager");
    const over = comp !== undefined && hand !== undefined ? (comp - hand) * 1e6 : null;
    const why =
      w === "W1"
        ? "per-call work outside the kernel: guard key string built from shapes on every call, Map lookup, arrays of storages and output Tensors allocated per call"
        : "the compiled call also builds a CompiledFunctionBackward node and runs the autograd engine in backward()";
    add(`${w}-n4-overhead`, `${w} N=4 compiled minus hand-written`, over, " µs", 1.5, "lower", why);
    add(
      `${w}-n4-vs-eager`,
      `${w} N=4 compiled/eager`,
      comp !== undefined && eager !== undefined ? comp / eager : null,
      "x",
      0.333,
      "lower",
      why,
    );
  }
  const mem = extras.memory;
  add(
    "memory",
    "heap growth over 1e5 compiled W1 calls at N=4 (median round)",
    mem?.gcExposed ? mem.w1Compiled.delta / 1024 : null,
    " KB",
    16,
    "lower",
    "something the compiled call allocates is retained",
  );
  // threads (issue 14): the same case at 1 and 2 threads, in this run (--threads=1,2)
  const at = (w: string, n: number | null, t: number) =>
    ws.find((x) => x.id === w)?.cases.find((c) => (n === null || c.n === n) && c.threads === t);
  for (const [w, n] of threadTargets)
    for (const id of ["compiled", "eager"] as const) {
      const mean = (t: number) => at(w, n, t)?.variants.find((v) => v.id === id)?.mean;
      const one = mean(1),
        two = mean(2),
        h = at(w, n, 2)?.threadsHeadToHead?.[id];
      add(
        `${w}-threads-${id}`,
        `${w}${n ? " N=1e6" : ""} ${id}: 1 thread / 2 threads, interleaved (issue 14 target)`,
        h ? h.one / h.two : null,
        "x",
        1.7,
        "higher",
        "kernels not split (see the cost model, backend/js/parallel.ts), serial work between them, or the cores were busy",
      );
      add(
        `${w}-threads-${id}-means`,
        `${w}${n ? " N=1e6" : ""} ${id}: 1 thread / 2 threads, benchmark.js means (info)`,
        one && two ? one / two : null,
        "x",
        1.7,
        "higher",
        "the two rows ran minutes apart; see the interleaved row",
      );
    }
  const w4 = ws.find((x) => x.id === "W4")?.cases[0];
  const w4c = w4?.variants.find((v) => v.id === "compiled"),
    rate = extras.matmul?.eager.gflops;
  const mmFlops = 2 * 128 * 256 * (784 * 2 + 10 * 3); // x W1^T, dW1 = dh^T x, and the three 256x10 products
  const w4Why =
    w4c && rate
      ? `the step has ${(mmFlops / 1e6).toFixed(0)} MFLOP of matmul = ${((mmFlops / rate / 1e9) * 1e3).toFixed(1)} ms at the measured library rate (${rate.toFixed(2)} GFLOP/s), ${((mmFlops / rate / 1e9 / w4c.mean) * 100).toFixed(0)}% of the compiled step; eager and compiled share that kernel, so fusing the pointwise ops can only win the rest`
      : "";
  add(
    "W4-speedup",
    `W4 eager/compiled (issue 6 target)`,
    w4?.eagerOverCompiled,
    "x",
    2,
    "higher",
    w4Why,
  );
  // issue 15: whole steps and the one-pass backward
  const mean = (c: CaseResult | undefined, id: string) =>
    c?.variants.find((v) => v.id === id)?.mean;
  for (const s of ["S1", "S2"]) {
    const c = ws.find((x) => x.id === s)?.cases[0],
      best = mean(c, "wholeStep") ?? mean(c, "compiled"),
      torch = mean(c, "torch");
    add(
      `${s}-torch`,
      `${s} ${mean(c, "wholeStep") ? "compiled whole step" : "compiled loss+backward+step"}/PyTorch 1-thread step`,
      best !== undefined && torch !== undefined ? best / torch : null,
      "x",
      1,
      "lower",
      "the step's matmuls run at this library's matmul rate (see the matmul row), far below MKL's",
    );
  }
  // issues 11 and 13: the CNN training steps against PyTorch 1.13 on one thread
  for (const [w, goal, issue] of [
    ["W5", 2, "issue 11"],
    ["W5", 1, "issue 13"],
    ["W6", 1, "issue 11: as close as possible"],
  ] as const) {
    // as S1/S2: the compiled whole step (optim.SGD inside compile); once per workload, the compiled
    // loss with backward() and an eager update loop beside it, for information
    const c = ws.find((x) => x.id === w)?.cases[0],
      torch = mean(c, "torch");
    const ratio = (id: string) => {
      const t = mean(c, id);
      return t !== undefined && torch !== undefined ? t / torch : null;
    };
    add(
      `${w}-torch-${goal}x`,
      `${w} compiled whole step/PyTorch 1-thread step (${issue})`,
      ratio("wholeStep"),
      "x",
      goal,
      "lower",
      "",
    );
    if (goal !== 1 || w === "W6")
      add(
        `${w}-torch-split`,
        `${w} compiled loss+backward()+eager update/PyTorch 1-thread step (info)`,
        ratio("compiled"),
        "x",
        goal,
        "lower",
        "",
      );
  }
  for (const [w, goal] of [
    ["W2", 1.6],
    ["W3", 1.5],
  ] as const) {
    const c = find(w, 1e6);
    add(
      `${w}-1e6-backward-hand`,
      `${w} N=1e6 compiled+backward()/hand-written (issue 15)`,
      c?.compiledOverHand,
      "x",
      goal,
      "lower",
      codeWhy(c, "compiled"),
    );
  }
  {
    const c = find("W2", 4),
      comp = mean(c, "compiled"),
      hand = mean(c, "hand");
    add(
      "W2-n4-backward-overhead",
      "W2 N=4 compiled+backward() minus hand-written (issue 15)",
      comp !== undefined && hand !== undefined ? (comp - hand) * 1e6 : null,
      " µs",
      1,
      "lower",
      "the autograd node and engine of backward()",
    );
  }
  {
    const whole = mean(w4, "wholeStep"),
      split = mean(w4, "compiled");
    add(
      "W4-wholestep",
      "W4 compiled whole step / compiled loss+backward()+step()",
      whole !== undefined && split !== undefined ? whole / split : null,
      "x",
      1,
      "lower",
      "",
    );
  }
  const w4m = (id: string) => w4?.variants.find((v) => v.id === id)?.mean;
  const w4Ratio = (p: string, q: string) => {
    const a = w4m(p),
      b = w4m(q);
    return a !== undefined && b !== undefined ? a / b : null;
  };
  add(
    "W4-compiled-ms",
    "W4 compiled step (issue 13 target)",
    w4c ? w4c.mean * 1e3 : null,
    " ms",
    4,
    "lower",
    "absolute time: only meaningful when this process had a core to itself",
  );
  add(
    "W4-eager-over-compiled",
    "W4 eager/compiled at most (issue 13 target)",
    w4Ratio("eager", "compiled"),
    "x",
    1.5,
    "lower",
    "",
  );
  add(
    "W4-js-over-wasm",
    "W4 compiled step, JS backend / default backend",
    w4Ratio("compiledJs", "compiled"),
    "x",
    5,
    "higher",
    "the Wasm GEMMs' gain on the whole step, measured in one run",
  );
  {
    const c = find("W3", 1e6),
      comp = mean(c, "compiled"),
      js = mean(c, "compiledJs");
    add(
      "W3-compiled-ms",
      "W3 N=1e6 compiled+backward() (issue 13 target)",
      comp !== undefined ? comp * 1e3 : null,
      " ms",
      6.2,
      "lower",
      "half the reference run's 12.4 ms; absolute time: only meaningful when this process had a core to itself",
    );
    add(
      "W3-js-over-wasm",
      "W3 N=1e6 compiled+backward(), JS backend / default backend",
      comp !== undefined && js !== undefined ? js / comp : null,
      "x",
      2,
      "higher",
      "the Wasm chain kernel's gain over today's JS kernel, measured in one run",
    );
  }
  add(
    "matmul-wasm",
    "matmul 128x784 @ 784x256 compiled GFLOP/s (issue 13 target)",
    extras.matmul?.compiled.gflops,
    "",
    30,
    "higher",
    "absolute rate: only meaningful when this process had a core to itself",
  );
  const mm = extras.matmul;
  add(
    "matmul-wasm-over-js",
    "matmul compiled GFLOP/s, default backend / JS backend",
    mm ? mm.compiled.gflops / mm["compiled, JS backend"].gflops : null,
    "x",
    7,
    "higher",
    "the issue's 30 GFLOP/s is 7x the JS backend's 4 GFLOP/s",
  );
  // issue 13: beside the peers (their rows load only when installed: bench/peers.ts), from the
  // interleaved rounds when they ran (see headToHead), else from the means
  const peerIds = (ks: string[]) => ks.filter((k) => k.startsWith("tfjs") || k.startsWith("jax"));
  const mmH = extras.matmulHeadToHead;
  const mmRatios: [string, number][] = mmH
    ? peerIds(Object.keys(mmH)).map((k) => [k, mmH.compiled / mmH[k]])
    : mm
      ? peerIds(Object.keys(mm)).map((k) => [k, mm[k].gflops / mm.compiled.gflops])
      : [];
  const bestPeer = mmRatios.sort((p, q) => q[1] - p[1])[0];
  add(
    "matmul-peer",
    `matmul: best Wasm peer's rate / compiled rate${bestPeer ? ` (${bestPeer[0]})` : ""}${mmH ? ", interleaved" : ""} (issue 13 target)`,
    bestPeer ? bestPeer[1] : null,
    "x",
    1.3,
    "lower",
    "the peer's GEMM is faster on this product: compare the micro-kernels and their packing",
  );
  const w4Peer = (id: string) => {
    const h = w4?.headToHead;
    return h?.compiled !== undefined && h[id] !== undefined
      ? h.compiled / h[id]
      : w4Ratio("compiled", id);
  };
  const w4H = w4?.headToHead ? ", interleaved" : "";
  add(
    "W4-vs-jax",
    `W4 compiled step / jax-js jit step${w4H} (issue 13 target: beat jax-js)`,
    w4Peer("jax"),
    "x",
    1,
    "lower",
    "jax-js' jitted step is faster on the same weights and data",
  );
  add(
    "W4-vs-tfjs",
    `W4 compiled step / tfjs step, Wasm backend${w4H} (info)`,
    w4Peer("tfjs"),
    "x",
    1,
    "lower",
    "",
  );
  add(
    "matmul",
    "matmul 128x784 @ 784x256 compiled GFLOP/s (issue 6 target)",
    extras.matmul?.compiled.gflops,
    "",
    3,
    "higher",
    "runtime/matmul.ts is the kernel behind both eager and compiled matmul",
  );
  return out;
}

// jitgrad's compiled rows over each peer's, by benchmark.js mean and by the interleaved rounds
function peerSummary(
  ws: WorkloadResult[],
  matmul: ReturnType<typeof matmulRate> | undefined,
  mmH: Record<string, number> | undefined,
) {
  const parts: string[] = [];
  const f = (r: number) => `${r.toFixed(2)}x`;
  for (const w of ws)
    for (const c of w.cases) {
      const h = c.headToHead;
      if (!h) continue;
      const own = c.variants.filter((v) =>
        ["compiled", "valueAndGrad", "wholeStep"].includes(v.id),
      );
      for (const p of c.variants.filter((v) => v.id === "tfjs" || v.id === "jax"))
        for (const o of own)
          parts.push(
            `${w.id}${w.id === "W4" ? "" : ` N=${fmtN(c.n)}`} ${o.label} / ${p.label}: ${f(o.mean / p.mean)} by means, ${f(h[o.id] / h[p.id])} interleaved`,
          );
    }
  if (matmul && mmH)
    for (const k of Object.keys(mmH).filter((k) => k !== "compiled"))
      parts.push(
        `matmul compiled / ${k}: ${f(matmul.compiled.mean / matmul[k].mean)} by means, ${f(mmH.compiled / mmH[k])} interleaved`,
      );
  return parts.length
    ? `Beside the peers (time ratios, < 1: jitgrad faster):\n  ${parts.join("\n  ")}`
    : "";
}

// ---- main ----
function machine() {
  const cpu = os.cpus()[0]?.model?.trim() ?? "unknown CPU";
  let commit = "unknown";
  try {
    commit = execSync("git rev-parse --short HEAD", { stdio: ["ignore", "pipe", "ignore"] })
      .toString()
      .trim();
    if (
      execSync("git status --porcelain --untracked-files=no", {
        stdio: ["ignore", "pipe", "ignore"],
      })
        .toString()
        .trim()
    )
      commit += "+dirty";
  } catch {
    /* not a git checkout */
  }
  return {
    cpu,
    nproc: os.cpus().length,
    node: process.versions.node,
    v8: process.versions.v8,
    commit,
    machine: `${os.type()} ${os.release()} ${os.arch()}`,
  };
}

// rows per size, for the progress count (W4: eager, compiled, whole step, both on JS, hand; W3:
// eager, compiled, on JS, valueAndGrad, hand; W5/W6: eager, compiled, whole step, hand, PyTorch)
const variantCount = (id: string, train: boolean) =>
  id === "W4" && train
    ? 6
    : ["W3", "W5", "W6"].includes(id)
      ? 5
      : ["W2", "S1", "S2"].includes(id)
        ? 4
        : 3;
// peer rows per size: W1, W3 and W4, at the first thread count only (the peers run on one thread)
const peerCount = (id: string, peers: Peers | undefined) =>
  peers && ["W1", "W3", "W4"].includes(id) ? Number(!!peers.tf) + Number(!!peers.jax) : 0;

async function main() {
  const m = machine(),
    train = hasTraining();
  const peers = noPeers ? undefined : await loadPeers(peersDir);
  const ws = workloads(sizes, quick ? 1 : 3).filter((w) => selected(w.id));
  const extrasOn = selected("extras");
  total =
    ws.reduce(
      (n, w) =>
        n +
        w.sizes.length * (threadCounts.length * variantCount(w.id, train) + peerCount(w.id, peers)),
      0,
    ) + (extrasOn ? 9 + peerCount("W1", peers) : 0);
  console.log(
    `jitgrad benchmark (${quick ? "quick" : "full"}${large ? ", large" : ""}${reference ? ", reference" : ""}): ${m.cpu}, ${m.nproc} cores, Node ${m.node}, commit ${m.commit}`,
  );
  if (load0[0] > 0.5)
    console.log(
      `WARNING: load average ${load0.map((l) => l.toFixed(2)).join(" ")} on ${m.nproc} cores: other processes are running; timings will be noisy`,
    );
  console.log(
    `benchmark.js maxTime ${opts.maxTime}s, minSamples ${opts.minSamples}; float32, fixed seeds; ${gc ? "gc exposed" : "no --expose-gc (memory numbers include garbage)"}; W4 ${train ? "training step (nn/F/optim)" : "forward+backward with a sum loss (no nn/F/optim yet)"}`,
  );
  console.log(
    `peers: ${peers ? peers.notes.join("; ") : "off (--no-peers)"}${peers && threadCounts.length > 1 ? `; their rows run at ${threadCounts[0]} thread(s) only` : ""}\n`,
  );

  const results: WorkloadResult[] = [];
  for (const w of ws) {
    const cases = w.sizes.flatMap((n) => {
      const made: Case[] = [];
      const rs = threadCounts.map((t, i) => {
        setNumThreads(t);
        made.push(w.make(n, i === 0 ? peers : undefined));
        return runCase(made[i], t);
      });
      const one = threadCounts.indexOf(1),
        two = threadCounts.indexOf(2);
      if (one >= 0 && two >= 0 && threadTargets.some(([id, m]) => id === w.id && (m ?? n) === n))
        rs[two].threadsHeadToHead = threadsHeadToHead(made[one], made[two], rs[two].workload);
      return rs;
    });
    results.push({ id: w.id, title: w.title, note: w.note, cases });
  }
  setNumThreads(threadCounts[0]);
  const extras: Record<string, unknown> = {};
  let fresh: ReturnType<typeof freshOutput> | undefined;
  const mmOut: { headToHead?: Record<string, number> } = {};
  let memory: ReturnType<typeof steadyMemory> | undefined,
    matmul: ReturnType<typeof matmulRate> | undefined;
  if (extrasOn) {
    extras.copy = copyBandwidth();
    extras.freshOutput = fresh = freshOutput();
    extras.matmul = matmul = matmulRate(peers, mmOut);
    if (mmOut.headToHead) extras.matmulHeadToHead = mmOut.headToHead;
    extras.memory = memory = steadyMemory();
  }
  const w1n4 = results.find((w) => w.id === "W1")?.cases.find((c) => c.n === 4);
  if (w1n4) {
    const mm = (id: string) => w1n4.variants.find((v) => v.id === id)!.mean;
    extras.dispatch = {
      n: 4,
      compiledMinusHandUs: (mm("compiled") - mm("hand")) * 1e6,
      compiledOverEager: mm("compiled") / mm("eager"),
      eagerUs: mm("eager") * 1e6,
      compiledUs: mm("compiled") * 1e6,
      handUs: mm("hand") * 1e6,
    };
  }
  const ts = targets(results, { memory, matmul, fresh, matmulHeadToHead: mmOut.headToHead });
  const seconds = (performance.now() - t0) / 1000,
    cpu = process.cpuUsage(cpu0);
  const cpuShare = (cpu.user + cpu.system) / 1e6 / seconds; // ~1 when this process had a core to itself
  const res: Results = {
    meta: {
      date: new Date().toISOString(),
      loadavg: { start: load0, end: os.loadavg() },
      cpuShare,
      mode: quick ? "quick" : large ? "full+large" : "full",
      ...m,
      benchmark: { maxTime: opts.maxTime, minSamples: opts.minSamples },
      seconds,
      trainingApi: train,
      peers: peers?.notes ?? [],
    },
    workloads: results,
    extras,
    targets: ts,
  };

  console.log("");
  for (const w of results) console.log(`${workloadTable(w)}\n`);
  if (extras.copy) {
    const c = extras.copy as ReturnType<typeof copyBandwidth>;
    console.log(
      `Memory bandwidth: copy loop over 1e6 floats ${fmtTime(c.loop.mean)} = ${c.gbps.toFixed(2)} GB/s (read+write); TypedArray.set ${c.setGbps.toFixed(2)} GB/s`,
    );
  }
  if (fresh)
    console.log(
      `Fresh output buffer (allocate + first write): ${Object.entries(fresh)
        .map(([n, v]) => `${fmtN(Number(n))} floats ${fmtTime(v.mean)}`)
        .join(", ")}`,
    );
  if (matmul)
    console.log(
      `Matmul 128x784 @ 784x256: ${Object.entries(matmul)
        .map(([k, v]) => `${k} ${v.gflops.toFixed(2)} GFLOP/s (${fmtTime(v.mean)})`)
        .join(", ")}`,
    );
  const beside = peerSummary(results, matmul, mmOut.headToHead);
  if (beside) console.log(beside);
  const d = extras.dispatch as
    | {
        compiledMinusHandUs: number;
        compiledOverEager: number;
        eagerUs: number;
        compiledUs: number;
        handUs: number;
      }
    | undefined;
  if (d)
    console.log(
      `Per-call overhead at N=4 (W1): eager ${d.eagerUs.toFixed(2)} µs, compiled ${d.compiledUs.toFixed(2)} µs, hand-written ${d.handUs.toFixed(3)} µs; compiled - hand = ${d.compiledMinusHandUs.toFixed(2)} µs, compiled/eager = ${d.compiledOverEager.toFixed(3)}`,
    );
  if (memory) {
    const w1m = memory.w1Compiled,
      w2m = memory.w2CompiledBackward;
    console.log(
      `Steady state (heap used after gc, median of ${w1m.rounds.length} rounds): W1 N=4 compiled ${w1m.before} -> ${w1m.after} bytes over ${w1m.calls} calls (${w1m.bytesPerCall.toFixed(3)} B/call retained); W2 compiled + backward() ${w2m.before} -> ${w2m.after} over ${w2m.calls} calls`,
    );
  }
  console.log(`\nTargets (issues 5, 6, 11, 13, 14 and 15)\n${targetTable(ts)}`);

  const dir = join(dirname(fileURLToPath(import.meta.url)), "results");
  mkdirSync(dir, { recursive: true });
  const base = reference
    ? "reference"
    : `bench-${res.meta.date.replace(/[-:]/g, "").replace("T", "-").slice(0, 15)}${quick ? "-quick" : ""}`;
  writeFileSync(join(dir, `${base}.json`), `${JSON.stringify(res, null, 2)}\n`);
  writeFileSync(join(dir, `${base}.svg`), svgChart(res));
  if (reference) console.log(`\nMarkdown (README):\n${markdownTables(res)}`);
  if (cpuShare < 0.9)
    console.log(
      `\nWARNING: this process ran ${(cpuShare * 100).toFixed(0)}% of the wall time (load average ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(" ")}): other processes competed for the CPU, so times are inflated and noisy`,
    );
  console.log(`\nwrote bench/results/${base}.json and ${base}.svg in ${seconds.toFixed(0)} s`);
}

await main();
