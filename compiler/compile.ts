// compile(fn), grad(fn), valueAndGrad(fn): trace once per signature, differentiate when needed,
// optimize, partition, fuse, emit (the stages of pipeline.ts), cache (cache.ts); then each call
// runs the cached kernels on the arguments' storages (run.ts).

import { backend } from "../backend/index";
import { printGraph } from "../ir/print";
import * as arg from "../runtime/args";
import { CompileError } from "../runtime/errors";
import type { Tensor } from "../runtime/tensor";
import { attachBackward, type BackwardBinding } from "./backward-node";
import { cached, type Entry } from "./cache";
import { eagerEntry, eagerGradEntry } from "./eager-entry";
import { checkArgnums, nestedGrad } from "./nested-grad";
import { type Compilation, compileKind, printPartition, runPipeline, start } from "./pipeline";
import { primalTensors, results, storageOf, writeBack } from "./run";
import type { Arg, Result } from "./trace";

/** Options of {@link compile}, `grad` and `valueAndGrad`. */
export interface CompileOptions {
  /**
   * How many input signatures (shapes, dtypes, requiresGrad) stay compiled; least recently used go
   * first. Default 8.
   */
  cacheLimit?: number;
}
/** What a compiled function runs for given arguments, from `explain(...args)`. */
export interface Explanation {
  /**
   * The optimized IR (forward and backward when gradients are recorded), with what is saved and
   * why.
   */
  ir: string;
  /** The generated JavaScript kernels. */
  code: string;
  /** The number of forward loop kernels. */
  forwardKernels: number;
  /** The number of backward loop kernels. */
  backwardKernels: number;
}
/** Counters of a compiled function: calls, compilations (one per new signature) and cache hits. */
export interface Stats {
  /** Calls of the compiled function. */
  calls: number;
  /** Signatures traced and compiled. */
  compiles: number;
  /** Calls that reused a compiled program. */
  cacheHits: number;
}
/**
 * A compiled function: call it like the original; `explain(...args)` shows its kernels, `stats` its
 * cache.
 */
export type Compiled<A extends Arg[], R> = ((...args: A) => R) & {
  /** The IR and generated code this function runs for these arguments (compiling them if new). */
  explain(...args: A): Explanation;
  /** Calls, compilations and cache hits so far. */
  readonly stats: Stats;
};

type Fn = (...args: Arg[]) => Result;

/**
 * Compiles `fn` (tensors and numbers in, a tensor or an array/object of tensors out): the first
 * call with a new signature traces it into a graph, differentiates it when gradients are needed,
 * fuses elementwise chains and emits JavaScript loop kernels; later calls run the cached kernels.
 * Results match eager execution (to float32 rounding), `backward()` on them runs a compiled
 * backward. Tensors captured by `fn` (model parameters) are read at every call.
 */
export function compile<A extends Arg[], R extends Result>(
  fn: (...args: A) => R,
  opts?: CompileOptions,
): Compiled<A, R> {
  checkFunction(fn, "compile");
  const limit = cacheLimitOf(arg.options(opts, "compile", ["cacheLimit"]).cacheLimit, "compile");
  return cached<A, R>(
    (args) => {
      if (!backend.generates) return eagerEntry(fn as unknown as Fn);
      const s = start(fn as unknown as Fn, args);
      runPipeline("forward", s, "trace"); // both kinds trace alike; what was traced picks the kind
      const kind = compileKind(s);
      runPipeline(kind, s);
      const entry = kind === "autograd" ? autogradEntry(s) : forwardEntry(s);
      // captured tensors are not in the guard key (they are found by tracing): check them on every
      // hit; state read while tracing (module training flags) is checked the same way
      const { captured, guards } = s.traced!,
        flags = captured.map((t) => t.requiresGrad);
      return {
        ...entry,
        valid: () =>
          captured.every((t, i) => t.requiresGrad === flags[i]) && guards.every((check) => check()),
      };
    },
    limit,
    fn.length,
    (args) => (fn as unknown as Fn)(...args),
  );
}

// compile()'s options and function, checked once when compile() is called
function checkFunction(fn: unknown, name: string): void {
  if (typeof fn !== "function")
    throw new TypeError(`${name}(): expected a function to compile, got ${arg.typeName(fn)}`);
  const kind = Object.prototype.toString.call(fn).slice(8, -1);
  if (kind !== "Function")
    throw new CompileError(
      `${name}(): cannot compile ${kind === "AsyncFunction" ? "an async function" : kind === "GeneratorFunction" ? "a generator function" : kind === "AsyncGeneratorFunction" ? "an async generator function" : `a ${kind}`}: a compiled function must return its tensors synchronously`,
    );
}
function cacheLimitOf(v: unknown, name: string): number {
  if (v === undefined) return 8;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1)
    throw new TypeError(
      `${name}(): cacheLimit must be a positive integer, got ${typeof v === "number" ? v : arg.typeName(v)}`,
    );
  return v;
}

// grad()'s options: argnums an int >= 0 or a list of distinct ones (copied), cacheLimit as compile's
function gradOptions(fn: unknown, opts: unknown, name: string) {
  checkFunction(fn, name);
  const o = arg.options(opts, name, ["argnums", "cacheLimit"]);
  let argnums: number | number[] = 0;
  if (o.argnums !== undefined) {
    const list = arg.intList(o.argnums, name, "argnums", undefined, true);
    if (list.length === 0) throw new Error(`${name}(): argnums must name at least one argument`);
    for (const n of list)
      if (n < 0) throw new Error(`${name}(): argnums must be non-negative, got ${n}`);
    if (new Set(list).size !== list.length)
      throw new Error(`${name}(): argnums must not repeat an argument, got [${list.join(", ")}]`);
    argnums = typeof o.argnums === "number" ? list[0] : list;
  }
  return { argnums, limit: cacheLimitOf(o.cacheLimit, name) };
}

function forwardEntry(s: Compilation): Entry {
  const traced = s.traced!,
    graph = s.graph!,
    program = s.forward!,
    nOut = s.nOut!;
  return {
    explain: {
      ir: printGraph(graph),
      code: program.code,
      forwardKernels: program.kernels,
      backwardKernels: 0,
    },
    run(args) {
      const primals = primalTensors(traced, args);
      const outs = program.run(primals.map(storageOf));
      traced.mutations.forEach(([slot], k) => writeBack(primals[slot], outs[nOut + k]));
      return traced.rebuild(results(graph.outputs.slice(0, nOut), outs, primals));
    },
  };
}

// Each call runs the forward and hands its outputs one CompiledFunctionBackward node that runs the
// backward (backward-node.ts).
function autogradEntry(s: Compilation): Entry {
  const traced = s.traced!,
    part = s.partition!,
    forward = s.forward!,
    backward = s.backward!,
    { diffOut, wrtSlots } = s.joint!,
    nOut = s.nOut!,
    nMut = traced.mutations.length; // forward outputs: the user's, updated inputs, saved values
  const fwdOut = part.forward.outputs;
  // an updated input is written back after the forward, so the backward must not read it
  const readsUpdated = traced.mutations.some(([slot]) =>
    part.primalsRead.some((v) => v.slot === slot),
  );
  if (readsUpdated)
    throw new CompileError(
      "a compiled function that records gradients updates a tensor in place that its backward reads; run the update under noGrad() outside the compiled function",
    );
  const binding: BackwardBinding = {
    backward,
    outputs: s.graph!.outputs.slice(0, nOut),
    diffOut,
    readSlots: part.primalsRead.map((v) => v.slot!),
    savedOutputs: fwdOut
      .slice(0, nOut)
      .flatMap((v, i) => (fwdOut.indexOf(v, nOut + nMut) >= 0 ? [i] : [])),
    joint: s.graph!,
  };
  return {
    explain: {
      ir: printPartition(part),
      code: `${forward.code}\n\n${backward.code}`,
      forwardKernels: forward.kernels,
      backwardKernels: backward.kernels,
    },
    run(args) {
      const primals = primalTensors(traced, args);
      const outs = forward.run(primals.map(storageOf));
      const user = results(fwdOut.slice(0, nOut), outs, primals);
      traced.mutations.forEach(([slot], k) => writeBack(primals[slot], outs[nOut + k]));
      attachBackward(
        binding,
        primals,
        wrtSlots.map((slot) => primals[slot]),
        user,
        outs.slice(nOut + nMut),
      );
      return traced.rebuild(user);
    },
  };
}

// ---- functional transforms (JAX's grad and value_and_grad) ----
/**
 * Options of `grad` and `valueAndGrad`: `argnums` picks the argument(s) to
 * differentiate (default 0).
 */
export interface GradOptions extends CompileOptions {
  /** The argument to differentiate (default 0), or a list of them. */
  argnums?: number | number[];
}

/**
 * The gradient of a scalar-valued `fn` as a compiled function, JAX style: `grad(f)(x)` is df/dx,
 * one `Tensor` for one `argnums` (default 0), a `Tensor[]` for a list of them. Forward and
 * gradient run in the same fused loops; no `.grad` is touched.
 */
export function grad<A extends Arg[]>(
  fn: (...args: A) => Tensor,
  opts?: CompileOptions & { argnums?: number },
): Compiled<A, Tensor>;
export function grad<A extends Arg[]>(
  fn: (...args: A) => Tensor,
  opts: CompileOptions & { argnums: number[] },
): Compiled<A, Tensor[]>;
export function grad<A extends Arg[]>(
  fn: (...args: A) => Tensor,
  opts?: GradOptions,
): Compiled<A, Tensor | Tensor[]>;
export function grad<A extends Arg[]>(
  fn: (...args: A) => Tensor,
  opts?: GradOptions,
): Compiled<A, Tensor | Tensor[]> {
  const { argnums, limit } = gradOptions(fn, opts, "grad");
  return cached<A, Tensor | Tensor[]>(
    (args) => gradEntry(fn as unknown as Fn, args, argnums, false),
    limit,
    fn.length,
    (args) =>
      nestedGrad(fn as unknown as Fn, args, numsOf(argnums), typeof argnums === "number", false),
  );
}
/** Like `grad`, and also returns the value: `[f(x), df/dx]`, from the same fused loops. */
export function valueAndGrad<A extends Arg[]>(
  fn: (...args: A) => Tensor,
  opts?: CompileOptions & { argnums?: number },
): Compiled<A, [Tensor, Tensor]>;
export function valueAndGrad<A extends Arg[]>(
  fn: (...args: A) => Tensor,
  opts: CompileOptions & { argnums: number[] },
): Compiled<A, [Tensor, Tensor[]]>;
export function valueAndGrad<A extends Arg[]>(
  fn: (...args: A) => Tensor,
  opts?: GradOptions,
): Compiled<A, [Tensor, Tensor | Tensor[]]>;
export function valueAndGrad<A extends Arg[]>(
  fn: (...args: A) => Tensor,
  opts?: GradOptions,
): Compiled<A, [Tensor, Tensor | Tensor[]]> {
  const { argnums, limit } = gradOptions(fn, opts, "valueAndGrad");
  return cached<A, [Tensor, Tensor | Tensor[]]>(
    (args) => gradEntry(fn as unknown as Fn, args, argnums, true),
    limit,
    fn.length,
    (args) =>
      nestedGrad(fn as unknown as Fn, args, numsOf(argnums), typeof argnums === "number", true),
  );
}

const numsOf = (argnums: number | number[]) => (typeof argnums === "number" ? [argnums] : argnums);

function gradEntry(fn: Fn, args: Arg[], argnums: number | number[], withValue: boolean): Entry {
  const nums = numsOf(argnums);
  checkArgnums(args, nums);
  if (!backend.generates) return eagerGradEntry(fn, nums, typeof argnums === "number", withValue);
  const s = runPipeline("grad", start(fn, args, { argnums: nums, withValue }));
  const traced = s.traced!,
    opt = s.graph!,
    program = s.forward!;
  return {
    valid: () => traced.guards.every((check) => check()),
    explain: {
      ir: printGraph(opt),
      code: program.code,
      forwardKernels: program.kernels,
      backwardKernels: 0,
    },
    run(args) {
      const primals = primalTensors(traced, args);
      const outs = program.run(primals.map(storageOf));
      const ts = results(opt.outputs, outs, primals);
      const gs = withValue ? ts.slice(1) : ts,
        gradResult = typeof argnums === "number" ? gs[0] : gs;
      return (withValue ? [ts[0], gradResult] : gradResult) as unknown as Result;
    },
  };
}
