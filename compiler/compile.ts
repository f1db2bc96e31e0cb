// compile(fn): trace once per signature, optimize, fuse, emit, cache; then run the cached kernels.
import type { Storage } from "../ir/dtype";
import { printGraph } from "../ir/print";
import { isGradEnabled } from "../runtime/autograd";
import { CompileError } from "../runtime/errors";
import { materialize } from "../runtime/dispatch";
import { Tensor } from "../runtime/tensor";
import { optimize } from "./pipeline";
import { buildProgram, type Program } from "./program";
import { type Arg, type Result, trace, type Traced } from "./trace";

export interface CompileOptions { cacheLimit?: number }
export interface Explanation { ir: string; code: string; forwardKernels: number; backwardKernels: number }
export interface Stats { calls: number; compiles: number; cacheHits: number }
export type Compiled<A extends Arg[], R extends Result> = ((...args: A) => R) & {
  explain(...args: A): Explanation;
  readonly stats: Stats;
};

interface Entry { traced: Traced; forward: Program }

const log = new Set((process.env.JITGRAD_LOG ?? "").split(",").map((s) => s.trim()));

export function compile<A extends Arg[], R extends Result>(fn: (...args: A) => R, opts: CompileOptions = {}): Compiled<A, R> {
  const limit = opts.cacheLimit ?? 8;
  const cache = new Map<string, Entry>(); // insertion order = least recently used first
  const stats: Stats = { calls: 0, compiles: 0, cacheHits: 0 };
  let evictions = 0, warned = false;

  const entryFor = (args: Arg[]): Entry => {
    const key = signature(args);
    let e = cache.get(key);
    if (e) {
      stats.cacheHits++;
      cache.delete(key);
      cache.set(key, e);
      return e;
    }
    e = build(fn as unknown as (...a: Arg[]) => Result, args);
    stats.compiles++;
    cache.set(key, e);
    if (cache.size > limit) {
      cache.delete(cache.keys().next().value!);
      if (++evictions >= limit && !warned) {
        warned = true;
        console.warn(`jitgrad: a compiled function hit its cache limit (${limit}) ${evictions} times; it is being recompiled for many shapes. Raise { cacheLimit } or keep input shapes stable.`);
      }
    }
    return e;
  };

  const compiled = (...args: A): R => {
    stats.calls++;
    const e = entryFor(args);
    return run(e, args) as R;
  };
  compiled.explain = (...args: A): Explanation => {
    const e = entryFor(args);
    return { ir: printGraph(e.forward.graph), code: e.forward.code, forwardKernels: e.forward.kernels, backwardKernels: 0 };
  };
  Object.defineProperty(compiled, "stats", { get: () => ({ ...stats }) });
  return compiled as Compiled<A, R>;
}

// The guard: shapes, dtypes and requiresGrad of tensor arguments, values of number arguments, grad mode.
function signature(args: Arg[]): string {
  let key = isGradEnabled() ? "G" : "N";
  args.forEach((a, i) => {
    if (a instanceof Tensor) key += `|${a.shape.join("x")}:${a.dtype}${a.requiresGrad ? "+" : ""}`;
    else if (typeof a === "number") key += `|#${a}`;
    else throw new TypeError(`compile: argument ${i} is ${a === null ? "null" : typeof a}; a compiled function takes Tensors and numbers`);
  });
  return key;
}

function build(fn: (...args: Arg[]) => Result, args: Arg[]): Entry {
  const traced = trace(fn, args);
  const graph = optimize(traced.graph);
  const forward = buildProgram(graph);
  if (log.has("ir")) console.error(`[jitgrad] IR\n${printGraph(graph)}`);
  if (log.has("code")) console.error(`[jitgrad] code\n${forward.code}`);
  return { traced, forward };
}

const storageOf = (t: Tensor): Storage => {
  if (!t.storage) throw new CompileError("a compiled function was called with a tracer; nested compile() is not supported");
  return (t.isContiguous() && t.offset === 0 ? t : materialize(t)).storage!;
};

function run(e: Entry, args: Arg[]): Result {
  const { traced, forward } = e;
  const inputs: Storage[] = [];
  traced.argSlots.forEach((s, i) => { if (s !== null) inputs[s] = storageOf(args[i] as Tensor); });
  const base = traced.argSlots.filter((s) => s !== null).length;
  traced.captured.forEach((t, i) => { inputs[base + i] = storageOf(t); });
  const outs = forward.run(inputs);
  return traced.rebuild(forward.graph.outputs.map((v, i) => {
    if (v.op === "input") return v.slot! < base ? (args[traced.argSlots.indexOf(v.slot!)] as Tensor) : traced.captured[v.slot! - base];
    return new Tensor(outs[i], [...v.shape], contiguousOf(v.shape), 0, v.dtype);
  }));
}

const contiguousOf = (shape: number[]) => {
  const s = new Array<number>(shape.length);
  for (let d = shape.length - 1, n = 1; d >= 0; d--) { s[d] = n; n *= shape[d]; }
  return s;
};
