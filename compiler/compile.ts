// compile(fn), grad(fn), valueAndGrad(fn): trace once per signature, differentiate when needed,
// optimize, partition, fuse, emit (the stages of pipeline.ts), cache (cache.ts); then each call
// runs the cached kernels on the arguments' storages (run.ts).

import { backend } from "../backend/index";
import { printGraph } from "../ir/print";
import * as arg from "../runtime/args";
import { stateEpoch } from "../runtime/epoch";
import { CompileError } from "../runtime/errors";
import type { Tensor } from "../runtime/tensor";
import { attachBackward, type BackwardBinding } from "./backward-node";
import { cached, type Entry } from "./cache";
import { eagerEntry, eagerGradEntry } from "./eager-entry";
import { checkArgnums, nestedGrad } from "./nested-grad";
import { type Compilation, compileKind, printPartition, runPipeline, start } from "./pipeline";
import type { Program } from "./program";
import { Binder, inPlaceTargets, resultMaker, writeBack } from "./run";
import { afterStep, stepEntry } from "./step";
import type { Arg, Result, Traced } from "./trace";

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
  /**
   * Set when calls run the one-pass program instead (a scalar loss: value and gradients for
   * cotangent 1 in the same loops, see README): its IR, code and kernel count. `ir`, `code` and
   * the counts above still describe the two-pass split (and which inputs backward() checks).
   */
  onePass?: { ir: string; code: string; kernels: number };
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
      return { ...entry, valid: validity(s.traced!) };
    },
    limit,
    fn.length,
    (args) => (fn as unknown as Fn)(...args),
  );
}

// Captured tensors are not in the guard key (they are found by tracing), and neither is state read
// while tracing (module training flags): both are checked on a cache hit, but only when the state
// epoch (runtime/epoch.ts) moved since the last check, so a hit usually costs one comparison.
function validity(traced: Traced): () => boolean {
  const { captured, guards } = traced,
    flags = captured.map((t) => t.requiresGrad),
    checks = traced.step?.checks ?? [];
  let checkedAt = -1;
  return () => {
    for (let i = 0; i < checks.length; i++) if (!checks[i]()) return false;
    if (checkedAt !== stateEpoch.n) {
      for (let i = 0; i < captured.length; i++)
        if (captured[i].requiresGrad !== flags[i]) return false;
      for (let i = 0; i < guards.length; i++) if (!guards[i]()) return false;
      checkedAt = stateEpoch.n;
    }
    return true;
  };
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
    nOut = s.nOut!,
    mutations = traced.mutations,
    step = traced.step,
    binder = new Binder(traced),
    make = resultMaker(graph.outputs.slice(0, nOut));
  const explain = {
    ir: printGraph(graph),
    code: program.code,
    forwardKernels: program.kernels,
    backwardKernels: 0,
  };
  if (step) return stepEntry(s, binder, explain);
  const mutSlots = mutations.map(([slot]) => slot),
    inPlace = inPlaceTargets(program, nOut, mutSlots);
  return {
    explain,
    run(args) {
      binder.bind(args);
      if (mutSlots.length && binder.sharesUpdated(mutSlots)) {
        binder.release();
        return s.fn(...args);
      }
      const primals = binder.primals,
        outs = program.run(binder.storages, inPlace.into(binder));
      inPlace.clear();
      for (let k = 0; k < mutations.length; k++)
        writeBack(primals[mutations[k][0]], outs[nOut + k]);
      const user = make(outs, primals);
      binder.release();
      return traced.rebuild(user);
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
    nMut = traced.mutations.length, // outputs: the user's, updated inputs, saved values (gradients)
    onePass = s.onePass,
    step = traced.step, // zeroGrad() or an optimizer step without backward(): effects only
    mutSlots = traced.mutations.map(([slot]) => slot),
    binder = new Binder(traced);
  const fwdOut = part.forward.outputs,
    primals = binder.primals;
  // an updated input is written back after the forward, so the backward must not read it
  if (mutSlots.some((slot) => part.primalsRead.some((v) => v.slot === slot)))
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
    wrtSlots,
    inputs: wrtSlots.map((slot) => {
      const v = part.forward.inputs[slot];
      return { shape: [...v.shape], dtype: v.dtype };
    }),
    onePass: onePass ? onePassGrads(onePass, nMut) : null,
  };
  // one pass: the program computes value ++ gradients for cotangent 1; the node keeps the gradients
  const program = onePass ?? forward,
    make = resultMaker(program.graph.outputs.slice(0, nOut)),
    inPlace = inPlaceTargets(program, nOut, mutSlots);
  return {
    explain: {
      ir: printPartition(part),
      code: `${forward.code}\n\n${backward.code}`,
      forwardKernels: forward.kernels,
      backwardKernels: backward.kernels,
      ...(onePass
        ? {
            onePass: {
              ir: printGraph(onePass.graph),
              code: onePass.code,
              kernels: onePass.kernels,
            },
          }
        : {}),
    },
    run(args) {
      binder.bind(args);
      if (nMut && binder.sharesUpdated(mutSlots)) {
        binder.release();
        return s.fn(...args);
      }
      if (step) for (let k = 0; k < step.before.length; k++) step.before[k]();
      const outs = program.run(binder.storages, inPlace.into(binder)),
        user = make(outs, primals);
      inPlace.clear();
      for (let k = 0; k < nMut; k++) writeBack(primals[mutSlots[k]], outs[nOut + k]);
      attachBackward(binding, primals, user, outs.slice(nOut + nMut));
      binder.release();
      if (step) afterStep(step);
      return traced.rebuild(user);
    },
  };
}

// The one-pass program's gradient outputs (after the loss and the updated inputs), and which of
// them are buffers of their own that a backward() may hand over without copying (not an input, a
// constant or a repeated output).
function onePassGrads(p: Program, nMut: number): BackwardBinding["onePass"] {
  const outs = p.graph.outputs,
    first = 1 + nMut,
    values = outs.slice(first);
  return {
    values,
    own: values.map(
      (v, k) =>
        v.op !== "input" &&
        v.op !== "const" &&
        outs.indexOf(v) === k + first &&
        outs.lastIndexOf(v) === k + first,
    ),
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
    program = s.forward!,
    binder = new Binder(traced),
    make = resultMaker(opt.outputs);
  return {
    valid: () => traced.guards.every((check) => check()),
    explain: {
      ir: printGraph(opt),
      code: program.code,
      forwardKernels: program.kernels,
      backwardKernels: 0,
    },
    run(args) {
      binder.bind(args);
      const ts = make(program.run(binder.storages), binder.primals);
      binder.release();
      const gs = withValue ? ts.slice(1) : ts,
        gradResult = typeof argnums === "number" ? gs[0] : gs;
      return (withValue ? [ts[0], gradResult] : gradResult) as unknown as Result;
    },
  };
}
