// The worker pool and the parallel-for every parallel kernel goes through: runRanges(task, args,
// edges) runs `task` over the chunks [edges[c], edges[c + 1]) on the calling thread and the pool's
// workers, and returns when every chunk is done. Chunks are claimed from a shared counter, so the
// caller starts at once and a worker that wakes late simply takes fewer; which thread runs a chunk
// never changes what the chunk computes (fixed partial slots, see backend/js/parallel.ts), so
// results do not depend on the thread count or on scheduling.
//
// Platforms: Node's worker_threads (reached through globalThis.process?.getBuiltinModule, so bundles
// never see a Node import). Elsewhere (browsers, Deno without it) everything runs on the calling
// thread: a browser page's main thread may not block in Atomics.wait, and Web Workers would need
// cross-origin isolation for SharedArrayBuffer storage; see README "Threads".
//
// Workers are unref'd (the process ends by itself) and started on the first parallel call.
import { shareStorages } from "../../ir/dtype";
import { helperSource } from "./helpers";
import { type Staged, stage, type TaskAccess } from "./staging";
import { CTRL, ERROR_CHARS, STATUS, workerSource } from "./worker-source";

// (a compiled WebAssembly.Module may be sent too: postMessage shares its compiled code)
export type RangeArg = Float32Array | Float64Array | Int32Array | Uint8Array | number | WasmModule;
export interface WasmModule {
  readonly wasmModule?: never;
}
// A kernel over chunk ranges: run(chunk, begin, end, ...args); workers instantiate `source`
// (which defines the function `name`) once per `key`.
// `bound`: values the source refers to by name (compiled WebAssembly modules), sent to a worker
// once with the definition: they belong to the task, not to a call (posting a module with every
// call measured ~1 us, so this is about clarity more than speed).
export interface RangeTask {
  key: string;
  name: string;
  source: string;
  run: (chunk: number, begin: number, end: number, ...args: RangeArg[]) => void;
  bound?: Record<string, RangeArg>;
  // what a call writes (staging.ts); without it, only small buffers outside shared memory are staged
  access?: (args: RangeArg[]) => TaskAccess | null;
}

// ---- the thread count: setNumThreads / JITGRAD_NUM_THREADS, else 1 ----
// The default is 1 (opt in), not the number of cores: on this 2-core machine, measured under load,
// the W4 step on the Wasm GEMM ran 0.43x as fast at 2 threads (its small elementwise kernels near
// the cost threshold wait on a busy core). Until the cost model is validated on a quiet machine,
// threads are what a user asks for.
let threads: number | undefined;

interface NodeWorker {
  postMessage(m: unknown): void;
  unref(): void;
  terminate(): Promise<number>;
  on(event: string, f: (x: unknown) => void): void;
}
interface WorkerThreads {
  Worker: new (src: string, opts: object) => NodeWorker;
}
interface NodeProcess {
  getBuiltinModule?: (id: string) => unknown;
  env?: Record<string, string | undefined>;
}
const nodeProcess = (globalThis as { process?: NodeProcess }).process;
const builtin = (id: string) => {
  try {
    return nodeProcess?.getBuiltinModule?.(id);
  } catch {
    return undefined;
  }
};

function checkCount(n: unknown, what: string): number {
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1)
    throw new TypeError(
      `${what} must be a positive integer, got ${typeof n === "number" ? n : typeof n}`,
    );
  return n;
}

/** The number of threads parallel kernels use (the calling thread included). */
export function getNumThreads(): number {
  if (threads === undefined) {
    const env = nodeProcess?.env?.JITGRAD_NUM_THREADS;
    threads =
      env === undefined || env === ""
        ? 1
        : checkCount(Number(env), `JITGRAD_NUM_THREADS ("${env}")`);
    // storages made before this first look stay ordinary: their kernels run on the calling thread
    shareStorages(threads > 1);
  }
  return threads;
}

/**
 * Sets the number of threads parallel kernels use, the calling thread included (as
 * `torch.set_num_threads`); 1 runs everything on the calling thread. Results are the same bits
 * for every count. Workers beyond the new count stay parked (blocked on their message port, no
 * CPU, and they never keep the process alive) until the count rises again; `shutdown()` stops them.
 */
export function setNumThreads(n: number): void {
  const count = checkCount(n, "setNumThreads(): n");
  threads = count;
  shareStorages(count > 1);
}

// ---- the pool ----
interface Pool {
  workers: NodeWorker[];
  defined: Set<string>[]; // kernel keys each worker has instantiated
  helpersSent: boolean[];
  status: Int32Array; // per worker: STATUS.READY / STATUS.DEAD (written by the worker)
  errors: Uint16Array; // per worker: its last error message
}
let pool: Pool | null = null;
let unavailable = false; // no worker_threads here: everything runs on the calling thread

function workerThreads(): WorkerThreads | null {
  if (unavailable) return null;
  const wt = builtin("node:worker_threads") as WorkerThreads | undefined;
  if (!wt || typeof SharedArrayBuffer !== "function") unavailable = true;
  return unavailable ? null : wt!;
}

function start(count: number): Pool | null {
  if (pool && pool.workers.length >= count) return pool;
  const wt = workerThreads();
  if (!wt) return null;
  if (!pool) {
    const max = Math.max(count, getNumThreads() - 1);
    pool = {
      workers: [],
      defined: [],
      helpersSent: [],
      status: new Int32Array(new SharedArrayBuffer(4 * max)),
      errors: new Uint16Array(new SharedArrayBuffer(2 * ERROR_CHARS * max)),
    };
  }
  const p = pool;
  if (p.status.length < count) {
    shutdown();
    return start(count);
  }
  while (p.workers.length < count) {
    const index = p.workers.length;
    const w = new wt.Worker(workerSource, {
      eval: true,
      workerData: { index, status: p.status.buffer, errors: p.errors.buffer },
    });
    w.unref();
    // an 'error' event left unhandled would crash the process; the caller learns of a dead worker
    // through its status word
    w.on("error", () => {});
    p.workers.push(w);
    p.defined.push(new Set());
    p.helpersSent.push(false);
  }
  return p;
}

/** Stops every worker (the next parallel call starts new ones). */
export function shutdown(): void {
  const p = pool;
  pool = null;
  if (p) for (const w of p.workers) void w.terminate();
}

// ---- running a task over chunks ----
// chunks the workers ran (the tests check that the parallel path really ran)
export const counts = { workerChunks: 0 };
// (tests: the workers take every chunk, so their code surely runs)
let callerWorks = true;
export const setCallerWorksForTests = (on: boolean) => {
  callerWorks = on;
};
const SLICE_MS = 20; // the caller re-checks workers' status this often while it waits
export const STALL_MS = 30_000; // no chunk finished for this long: the pool is declared hung
let stallMs = STALL_MS;
export const setStallTimeoutForTests = (ms: number) => {
  stallMs = ms;
};

export function runRanges(task: RangeTask, args: RangeArg[], edges: number[]): void {
  const chunks = edges.length - 1;
  const helpers = Math.min(getNumThreads() - 1, chunks - 1);
  const staged =
    helpers > 0 && workerThreads() ? stage(args, task.access?.(args) ?? null, edges) : null;
  const p = staged && start(helpers);
  if (!p || !staged) {
    for (let c = 0; c < chunks; c++) task.run(c, edges[c], edges[c + 1], ...args);
    return;
  }
  staged.finish(run(p, helpers, task, staged, edges));
}

// Runs the chunks on the calling thread and the workers; returns which chunks are handled: run by
// the caller, or run by a worker and their results copied back already (Staged.back). A worker
// flags each chunk it finishes (the words after the control words), so the caller copies a
// finished chunk back between its own chunks and while it waits, not all after the last one.
function run(p: Pool, helpers: number, task: RangeTask, args: Staged, edges: number[]): Uint8Array {
  const chunks = edges.length - 1;
  const ctrl = new Int32Array(new SharedArrayBuffer(4 * (CTRL.WORDS + chunks)));
  const bytes = fresh(args.workers);
  for (let i = 0; i < helpers; i++) {
    const define = p.defined[i].has(task.key)
      ? []
      : [{ key: task.key, name: task.name, source: task.source, bound: task.bound ?? {} }];
    p.defined[i].add(task.key);
    const h = p.helpersSent[i] ? undefined : helperSource();
    p.helpersSent[i] = true;
    p.workers[i].postMessage({
      define,
      helpers: h,
      key: task.key,
      args: args.workers,
      fresh: bytes,
      edges,
      ctrl: ctrl.buffer,
    });
  }
  let failure: unknown = null,
    mine = 0,
    scan = 0;
  const handled = new Uint8Array(chunks);
  const back = args.back;
  // copies back the workers' finished chunks, in order, up to the first unfinished one
  const collect = () => {
    for (; scan < chunks; scan++) {
      if (handled[scan]) continue;
      if (Atomics.load(ctrl, CTRL.WORDS + scan) === 0) return;
      back!(scan);
      handled[scan] = 1;
    }
  };
  try {
    while (callerWorks && Atomics.load(ctrl, CTRL.ERR) === 0) {
      const c = Atomics.add(ctrl, CTRL.NEXT, 1);
      if (c >= chunks) break;
      task.run(c, edges[c], edges[c + 1], ...args.caller);
      handled[c] = 1;
      mine++;
      Atomics.add(ctrl, CTRL.DONE, 1);
      if (back) collect();
    }
  } catch (e) {
    failure = e;
    Atomics.store(ctrl, CTRL.ERR, -1);
  }
  const problem = wait(p, ctrl, chunks, helpers, task.name, failure || !back ? null : collect);
  if (!failure && !problem) counts.workerChunks += chunks - mine;
  if (failure) throw failure;
  if (problem) throw problem;
  return handled;
}

// Bytes of shared memory the workers have not been sent before: what they mirror to make V8
// collect the copies they hold (worker-source.ts). Staging buffers and the tensors a loop reads
// call after call are sent once.
const sent = new WeakSet<SharedArrayBuffer>();
function fresh(args: RangeArg[]): number {
  let bytes = 0;
  for (const a of args)
    if (ArrayBuffer.isView(a) && a.buffer instanceof SharedArrayBuffer && !sent.has(a.buffer)) {
      sent.add(a.buffer);
      bytes += a.buffer.byteLength;
    }
  return bytes;
}

// Waits until every chunk is done, or (after an error) until no worker is inside a chunk; bounded:
// a dead worker or a stall is an Error (and the pool is stopped, so no late write lands anywhere).
// `collect` copies back finished chunks each time the caller wakes.
function wait(
  p: Pool,
  ctrl: Int32Array,
  chunks: number,
  used: number,
  name: string,
  collect: (() => void) | null,
): Error | null {
  let last = -1,
    since = Date.now();
  for (;;) {
    if (collect && Atomics.load(ctrl, CTRL.ERR) === 0) collect();
    const done = Atomics.load(ctrl, CTRL.DONE),
      err = Atomics.load(ctrl, CTRL.ERR);
    if (err === 0 && done === chunks) return null;
    if (err !== 0 && Atomics.load(ctrl, CTRL.ACTIVE) === 0) {
      if (err < 0) return null; // the caller's own error, thrown by runRanges
      const e = new Error(
        `jitgrad: kernel ${name} failed on worker thread ${err}: ${errorText(p, err - 1)}`,
      );
      shutdown();
      return e;
    }
    for (let i = 0; i < used; i++)
      if (Atomics.load(p.status, i) === STATUS.DEAD) {
        const e = new Error(
          `jitgrad: worker thread ${i + 1} stopped while running kernel ${name} (${errorText(p, i)}); the thread pool was restarted, the call's results are lost`,
        );
        shutdown();
        return e;
      }
    const now = Date.now();
    if (done !== last) {
      last = done;
      since = now;
    } else if (now - since > stallMs) {
      shutdown();
      return new Error(
        `jitgrad: kernel ${name} made no progress on the worker threads for ${stallMs} ms; the thread pool was stopped`,
      );
    }
    Atomics.wait(ctrl, CTRL.DONE, done, SLICE_MS);
  }
}

function errorText(p: Pool, i: number): string {
  let text = "";
  for (let j = i * ERROR_CHARS; j < (i + 1) * ERROR_CHARS && p.errors[j] !== 0; j++)
    text += String.fromCharCode(p.errors[j]);
  return text || "no message";
}
