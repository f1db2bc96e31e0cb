// npm run bench:dispatch: the numbers the threads' cost model rests on (backend/js/parallel.ts,
// backend/wasm/gemm-split.ts), measured on this machine. Medians and minima of many repetitions,
// and the calling thread's own CPU time (/proc/self/task/<tid>/schedstat where there is one),
// which other processes' load inflates far less than wall time does.
import { readFileSync } from "node:fs";
import { type RangeTask, runRanges, setCallerWorksForTests } from "../backend/threads/pool";
import { matmulF32 } from "../backend/wasm/gemm";
import { compile, randn, setNumThreads, type Tensor } from "../index";

const threadCpuMs = () => {
  try {
    return Number(readFileSync("/proc/thread-self/schedstat", "utf8").split(" ")[0]) / 1e6;
  } catch {
    return Number.NaN;
  }
};
function stats(label: string, reps: number, fn: () => void, per = 1) {
  for (let i = 0; i < Math.min(reps, 20); i++) fn();
  const times: number[] = [];
  const cpu0 = threadCpuMs();
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  const cpu = (threadCpuMs() - cpu0) / reps; // ms per repetition
  times.sort((a, b) => a - b);
  const f = (ms: number) =>
    per > 1 ? `${((ms / per) * 1e6).toFixed(3)} ns` : `${(ms * 1000).toFixed(2)} µs`;
  console.log(
    `${label.padEnd(58)} min ${f(times[0])}  median ${f(times[reps >> 1])}  caller CPU ${Number.isNaN(cpu) ? "n/a" : f(cpu)}`,
  );
  return { min: times[0] / per, median: times[reps >> 1] / per, cpu: cpu / per };
}

console.log(
  `load average ${(await import("node:os"))
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`,
);
setNumThreads(2);
// 1. dispatch: a job of 2 empty chunks that the worker must run (the caller takes none): post,
// wake-up, claim, and the caller's wait until the worker reports
const empty: RangeTask = {
  key: "empty",
  name: "empty",
  source: "function empty(c, lo, hi, x) {}",
  run: () => {},
};
const arg = new Float32Array(new SharedArrayBuffer(64));
setCallerWorksForTests(false);
stats("dispatch: empty job run by the worker (round trip)", 2000, () =>
  runRanges(empty, [arg], [0, 1, 2]),
);
setCallerWorksForTests(true);
// 2. the same job where the caller may take chunks: what a job costs the caller when the worker
// wakes too late to help
stats("dispatch: empty job, caller takes part", 2000, () => runRanges(empty, [arg], [0, 1, 2]));

// 3. a loop kernel's work unit on one thread: W1's compiled kernel (3 temps: weight 4 per point)
setNumThreads(1);
const x = randn([1_000_000]);
const w1 = compile((a: Tensor) => a.add(2).mul(a.add(2)).mul(3).mean());
const u = stats("loop kernel: W1 compiled at 1e6, per point", 50, () => w1(x), 1e6);
console.log(`  -> ${((u.min * 1e6) / 4).toFixed(2)} ns per work unit (weight 4)`);
// 4. the Wasm micro-kernel on one thread: 128x784 @ 784x256
const a = randn([128, 784]),
  b = randn([784, 256]);
const sa = { storage: a.storage!, shape: [128, 784], strides: [784, 1], offset: 0 };
const sb = { storage: b.storage!, shape: [784, 256], strides: [256, 1], offset: 0 };
const g = stats(
  "Wasm GEMM 128x784 @ 784x256, per multiply-add",
  50,
  () => matmulF32(sa, sb, [128, 256]),
  128 * 784 * 256,
);
console.log(`  -> ${(1 / (g.min * 1e6)).toFixed(1)} multiply-adds per ns`);
process.exit(0);
