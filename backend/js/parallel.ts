// Loop kernels split across threads. A kernel whose work outweighs the dispatch cost is cut along
// dim 0 into chunks of a fixed amount of work (independent of the thread count) and run through the
// pool's parallel-for (backend/threads/pool.ts):
//   - dim 0 is an output dim (elementwise kernels, reductions that keep dims): each chunk writes
//     its own outputs, computed exactly as the whole loop would;
//   - dim 0 is reduced (a reduction to one value): each chunk leaves its partial results in a fixed
//     slot, and a finishing kernel on the calling thread combines the slots in chunk order, then
//     runs what followed the reduction (mean's scale, the stores).
// Chunks depend only on the kernel's sizes, so results are the same bits for any thread count
// (1 included: the chunks then all run on the calling thread).
import type { Storage } from "../../ir/dtype";
import type { Kernel } from "../backend";
import type { Access, LoopKernel, ScalarExpr, Store, Temp } from "../plan";
import { portableHelpers } from "../threads/helpers";
import { type RangeTask, runRanges } from "../threads/pool";
import { emitLoops } from "./loops";
import { emitMatmul } from "./matmul";
import { planAccess } from "./plan-access";
import { codegenAllowed, helperNames, instantiate } from "./prelude";

// The cost model, measured on this machine (a 2-core AMD EPYC VM, Node 20) by `npm run
// bench:dispatch` (minima over many repetitions; the calling thread's CPU time):
//   - work: a point of the iteration space costs (1 + its temps) "work units"; a unit is about
//     WORK_UNIT_NS in a compiled loop (W1's kernel at 1e6: 0.20-0.22 ns per unit, 4 per point);
//   - dispatch: handing a job to a worker costs the caller ~5-10 us of CPU (postMessage), and the
//     worker starts ~10 us later (an empty job's round trip: 10.5 us minimum, 12.9 us median,
//     measured at load average 15);
//   - so with 2 threads a kernel of W ns takes about post + (W + wake-up) / 2, a gain from
//     W > 2 post + wake-up, about 25-30 us. A kernel goes parallel from PARALLEL_MIN_WORK units
//     (~90 us), well past that break-even: a worker that wakes late on a busy machine, the split
//     reduction's finishing pass and the chunk claims then still leave a gain.
// Chunks hold CHUNK_WORK units (~15 us): small enough to balance when one thread is slowed, large
// enough that claiming one (an atomic add, ~50 ns) is noise. N = 1e3 kernels (a few thousand
// units) and smaller never go near a thread.
export const WORK_UNIT_NS = 0.22;
export const PARALLEL_MIN_WORK = 400_000;
export const CHUNK_WORK = 1 << 16;

const key = (() => {
  let n = 0;
  return (name: string) => `${name}#${++n}`;
})();

// Helpers the workers lack: a kernel calling one stays on the calling thread.
const local = helperNames.filter((n) => !portableHelpers.has(n));
const callsLocal = (source: string) => local.some((n) => source.includes(`${n}(`));

// Where a kernel over `sizes` is cut: the chunks' edges along dim 0, or null when the kernel is too
// small to be worth a thread (or has one chunk). `weight`: work units per point (1 + its temps).
export function chunkEdges(sizes: readonly number[], weight: number): number[] | null {
  if (sizes.length === 0) return null;
  const work = sizes.reduce((a, b) => a * b, 1) * weight;
  if (work < PARALLEL_MIN_WORK) return null;
  const grain = Math.max(1, Math.ceil(CHUNK_WORK / (work / sizes[0])));
  const edges: number[] = [];
  for (let i = 0; i < sizes[0]; i += grain) edges.push(i);
  edges.push(sizes[0]);
  return edges.length < 3 ? null : edges;
}
export const weightOf = (k: LoopKernel) => 1 + k.temps.length;

// A plan made runnable over chunks: run(edges, args) with the plan's own arguments.
export type Split = (edges: number[], args: (Storage | number)[]) => void;

// The split form of a loop kernel, or null where it cannot be split (a kernel op, a helper the
// workers lack, code generation refused, a reduction whose epilogue reads along the reduced dims, or
// sibling reductions in a kernel without output dims).
export function splitKernel(k: LoopKernel): Split | null {
  if (k.kernel || !codegenAllowed() || k.sizes.length === 0) return null;
  if (k.siblings) return k.sizes.length > k.reduced ? splitSiblings(k) : null;
  return k.sizes.length > k.reduced ? splitOutputs(k) : splitReduction(k);
}

// A compiled kernel (sizes known): its split form when the cost model says so.
export function parallelKernel(k: LoopKernel): Kernel | null {
  if (!k.sizes.every((s) => typeof s === "number")) return null;
  if (k.kernel?.op === "matmul") return splitMatmul(k);
  const edges = chunkEdges(k.sizes as number[], weightOf(k));
  const split = edges && splitKernel(k);
  return split ? (...bufs: Storage[]) => split(edges!, bufs) : null;
}

// Work units of a multiply-add in the JS GEMM's 4x4 register tile: ~4 GFLOP/s here (README), i.e.
// ~0.5 ns per multiply-add, about 2 units.
export const MAC_UNITS = 2;
// a compiled 2-D matmul by row panels of at least 32 rows (each chunk packs all of b: at 32 rows
// that is 1/64 of its multiply-adds); every output element is computed whole by one chunk
function splitMatmul(k: LoopKernel): Kernel | null {
  if (k.sizes.length !== 2 || !codegenAllowed()) return null;
  const [M, N] = k.sizes as number[],
    K = k.kernel!.operands[0].view.shape.at(-1)!;
  if (M * N * K * MAC_UNITS < PARALLEL_MIN_WORK) return null;
  const rows = Math.max(32, Math.ceil(CHUNK_WORK / (N * K * MAC_UNITS) / 4) * 4);
  const edges: number[] = [];
  for (let i = 0; i < M; i += rows) edges.push(i);
  edges.push(M);
  if (edges.length < 3) return null;
  const t = task(k, emitMatmul);
  return t && ((...bufs: Storage[]) => runRanges(t, bufs, edges));
}

function task(
  plan: LoopKernel,
  emit: (k: LoopKernel, ranged: boolean) => string = emitLoops,
): RangeTask | null {
  const source = emit(plan, true);
  if (callsLocal(source)) return null;
  return {
    key: key(plan.name),
    name: plan.name,
    source,
    run: instantiate(source, plan.name),
    access: planAccess(plan),
  };
}

function splitOutputs(k: LoopKernel): Split | null {
  const t = task(k);
  return t && ((edges, args) => runRanges(t, args, edges));
}

// Output dims with sibling reductions (plan.ts): each chunk leaves its partials of every sibling in
// a fixed slot (its chunk index), and a finishing kernel per sibling combines the slots in chunk
// order into the output.
function splitSiblings(k: LoopKernel): Split | null {
  const siblings = k.siblings!,
    slots = siblings.map((r) => `part_${r.name}`);
  if (!siblings.every((r) => typeof r.size === "number")) return null;
  const partial = task({
    ...k,
    name: `${k.name}_part`,
    params: [...slots, ...k.params],
    siblings: siblings.map((r, i) => ({ ...r, access: { ...r.access, buf: slots[i] } })),
  });
  if (!partial) return null;
  const finishes = new Map<number, { partials: Float64Array[]; finish: Kernel[] }>();
  const finishFor = (chunks: number) => {
    let f = finishes.get(chunks);
    if (!f) {
      const plans = siblings.map((r, i): LoopKernel => {
        const n = r.size as number;
        return {
          name: `${k.name}_finish${i}`,
          comments: [],
          params: [slots[i], r.access.buf],
          sizes: [n, chunks],
          reduced: 1,
          temps: [
            {
              name: "v",
              expr: { kind: "load", access: { buf: slots[i], offset: 0, strides: [1, n] } },
              phase: "inner",
            },
          ],
          reductions: [{ ...r, name: "acc", value: "v" }],
          stores: [{ access: { buf: r.access.buf, offset: 0, strides: [1, 0] }, value: "acc" }],
        };
      });
      f = {
        partials: siblings.map((r) => sharedFloat64(chunks * (r.size as number))),
        finish: plans.map((plan) => instantiate<Kernel>(emitLoops(plan), plan.name)),
      };
      finishes.set(chunks, f);
    }
    return f;
  };
  const outputs = siblings.map((r) => k.params.indexOf(r.access.buf));
  return (edges, args) => {
    const { partials, finish } = finishFor(edges.length - 1);
    runRanges(partial, [...partials, ...args], edges);
    finish.forEach((run, i) => {
      (run as (...a: (Storage | number)[]) => void)(partials[i], args[outputs[i]]);
    });
  };
}

// A reduction of everything (no output dims): partial results per chunk, then the finish.
function splitReduction(k: LoopKernel): Split | null {
  const parts = k.reductions.map((r) => `part_${r.name}`);
  const flat = (a: Access): Access | null =>
    a.at || !a.strides.every((s) => s === 0) ? null : { ...a, strides: [0] };
  const outerTemps = k.temps.filter((t) => t.phase !== "inner");
  const outerStores = k.stores.filter((s) => (s.phase ?? "outer") === "outer");
  // what runs after the reduction must read nothing along the reduced dims
  const moved: Temp[] = [];
  for (const t of outerTemps) {
    let expr: ScalarExpr = t.expr;
    if (expr.kind === "valid") return null;
    if (expr.kind === "load") {
      const access = flat(expr.access);
      if (!access) return null;
      expr = { ...expr, access };
    }
    moved.push({ ...t, expr });
  }
  const stores: Store[] = [];
  for (const s of outerStores) {
    const access = flat(s.access);
    if (!access) return null;
    stores.push({ ...s, access });
  }
  const partial = task({
    ...k,
    name: `${k.name}_part`,
    params: [...parts, ...k.params],
    temps: k.temps.filter((t) => t.phase !== "outer"),
    stores: [
      ...k.stores.filter((s) => s.phase === "inner"),
      ...k.reductions.map((r, i) => ({
        access: { buf: parts[i], offset: "chunk", strides: k.sizes.map(() => 0) },
        value: r.name,
        phase: "outer" as const,
      })),
    ],
  });
  if (!partial) return null;
  // per chunk count (fixed for a compiled kernel; eager ones see several sizes): the partial
  // slots, and the finish that combines them in chunk order
  const finishes = new Map<number, { partials: Float64Array[]; finish: Kernel }>();
  const finishFor = (chunks: number) => {
    let f = finishes.get(chunks);
    if (!f) {
      const plan: LoopKernel = {
        ...k,
        name: `${k.name}_finish`,
        params: [...parts, ...k.params],
        sizes: [chunks],
        reduced: 1,
        temps: [
          ...moved,
          ...parts.map((p) => ({
            name: `${p}_v`,
            expr: { kind: "load" as const, access: { buf: p, offset: 0, strides: [1] } },
            phase: "inner" as const,
          })),
        ],
        reductions: k.reductions.map((r, i) => ({ ...r, value: `${parts[i]}_v` })),
        stores,
      };
      f = {
        partials: parts.map(() => sharedFloat64(chunks)),
        finish: instantiate<Kernel>(emitLoops(plan), plan.name),
      };
      finishes.set(chunks, f);
    }
    return f;
  };
  return (edges, args) => {
    const { partials, finish } = finishFor(edges.length - 1);
    runRanges(partial, [...partials, ...args], edges);
    (finish as (...a: (Storage | number)[]) => void)(...partials, ...args);
  };
}

const sharedFloat64 = (n: number) =>
  typeof SharedArrayBuffer === "function"
    ? new Float64Array(new SharedArrayBuffer(8 * n))
    : new Float64Array(n);
