// compile(fn), grad(fn), valueAndGrad(fn): trace once per signature, differentiate when needed,
// optimize, partition, fuse, emit, cache; then each call runs the cached kernels.
import { backend } from "../backend/index";
import { isFloat, type Storage, torchTypeName } from "../ir/dtype";
import type { Graph, Value } from "../ir/graph";
import { printGraph } from "../ir/print";
import { contiguousStrides } from "../ir/shape";
import * as arg from "../runtime/args";
import { enableGrad, isGradEnabled, Node, SECOND_BACKWARD } from "../runtime/autograd";
import { activeTrace, empty, materialize } from "../runtime/dispatch";
import { envVar } from "../runtime/env";
import { CompileError } from "../runtime/errors";
import { Tensor } from "../runtime/tensor";
import { dependents, differentiate } from "./autodiff";
import { partition } from "./partition";
import { optimize } from "./pipeline";
import { buildProgram } from "./program";
import { type Arg, type Result, type Traced, trace } from "./trace";

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
  calls: number;
  compiles: number;
  cacheHits: number;
}
/**
 * A compiled function: call it like the original; `explain(...args)` shows its kernels, `stats` its
 * cache.
 */
export type Compiled<A extends Arg[], R> = ((...args: A) => R) & {
  explain(...args: A): Explanation;
  readonly stats: Stats;
};

interface Entry {
  run(args: Arg[]): Result;
  explain: Explanation;
  valid?: () => boolean;
}
type Fn = (...args: Arg[]) => Result;

const log = new Set((envVar("JITGRAD_LOG") ?? "").split(",").map((s) => s.trim()));

// The cache shared by every entry point: guard signature -> entry, least recently used dropped.
// inline: how a call made while another function is being traced runs (compile: the function itself,
// so it joins the outer trace; null: refused)
function cached<A extends Arg[], R>(
  build: (args: Arg[]) => Entry,
  limit: number,
  arity: number,
  inline: ((args: Arg[]) => unknown) | null,
): Compiled<A, R> {
  const cache = new Map<string, Entry>(); // insertion order = least recently used first
  const stats: Stats = { calls: 0, compiles: 0, cacheHits: 0 };
  let evictions = 0,
    warned = false;
  const entryFor = (args: Arg[]): Entry => {
    const key = signature(args);
    let e = cache.get(key);
    if (e?.valid && !e.valid()) {
      cache.delete(key);
      e = undefined;
    } // a captured tensor changed requiresGrad, or a module's training flag changed
    if (e) {
      stats.cacheHits++;
      cache.delete(key);
      cache.set(key, e);
      return e;
    }
    e = build(args); // a throw here caches nothing
    stats.compiles++;
    cache.set(key, e);
    if (log.has("ir")) console.error(`[jitgrad] IR\n${e.explain.ir}`);
    if (log.has("code")) console.error(`[jitgrad] code\n${e.explain.code}`);
    if (cache.size > limit) {
      cache.delete(cache.keys().next().value!);
      if (++evictions >= limit && !warned) {
        warned = true;
        console.warn(
          `jitgrad: a compiled function hit its cache limit (${limit}) ${evictions} times and is being recompiled for many signatures; raise { cacheLimit } or keep input shapes stable.`,
        );
      }
    }
    return e;
  };
  const compiled = (...args: A): R => {
    if (args.length < arity)
      throw new TypeError(`compiled function expects ${arity} arguments, got ${args.length}`);
    if (activeTrace()) {
      // called while another compiled function is being traced: part of that trace (running it
      // here would freeze its result into the outer graph as constants)
      if (!inline)
        throw new CompileError(
          "grad() and valueAndGrad() functions cannot be called inside compile() yet; compile the whole computation with compile(), or call them outside",
        );
      return inline(args) as R;
    }
    stats.calls++;
    return entryFor(args).run(args) as R;
  };
  compiled.explain = (...args: A): Explanation => entryFor(args).explain;
  Object.defineProperty(compiled, "stats", { get: () => ({ ...stats }) });
  return compiled as Compiled<A, R>;
}

// The guard: shapes, dtypes and requiresGrad of tensor arguments, number arguments, grad mode.
function signature(args: Arg[]): string {
  let key = isGradEnabled() ? "G" : "N";
  args.forEach((a, i) => {
    const first = a instanceof Tensor ? args.indexOf(a) : i;
    if (first < i)
      key += `|=${first}`; // the same tensor passed again: traced as one input
    else if (a instanceof Tensor)
      key += `|${a.shape.join("x")}:${a.dtype}${a.requiresGrad ? "+" : ""}`;
    else if (typeof a === "number") key += `|#${Object.is(a, -0) ? "-0" : a}`;
    else
      throw new TypeError(
        `compile: argument ${i} is ${a === null ? "null" : Array.isArray(a) ? "an array" : typeof a}; a compiled function takes Tensors and numbers`,
      );
  });
  return key;
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
      const traced = trace(fn as unknown as Fn, args);
      const primals = primalTensors(traced, args);
      const wantGrad =
        isGradEnabled() &&
        primals.some((t) => t.requiresGrad) &&
        traced.graph.outputs.some((v) => isFloat(v.dtype));
      const entry = wantGrad ? autogradEntry(traced, args) : forwardEntry(traced);
      // captured tensors are not in the guard key (they are found by tracing): check them on every hit
      // state read while tracing (module training flags) is checked the same way
      const flags = traced.captured.map((t) => t.requiresGrad);
      return {
        ...entry,
        valid: () =>
          traced.captured.every((t, i) => t.requiresGrad === flags[i]) &&
          traced.guards.every((check) => check()),
      };
    },
    limit,
    fn.length,
    (args) => (fn as unknown as Fn)(...args),
  );
}

// ---- running programs on tensors ----
const storageOf = (t: Tensor): Storage => {
  if (!t.storage)
    throw new CompileError(
      "a compiled function was called with a tracer; calling a compiled function inside compile() is not supported",
    );
  return (t.isContiguous() && t.offset === 0 ? t : materialize(t)).storage!;
};
const wrap = (s: Storage, v: Value) =>
  new Tensor(s, [...v.shape], contiguousStrides(v.shape), 0, v.dtype);

// The caller's result tensors: fresh storage each, as eager gives (an output that is an input, or
// that repeats an earlier output after CSE, is copied).
function results(outputs: Value[], outs: Storage[], primals: Tensor[]): Tensor[] {
  return outputs.map((v, i) => {
    if (v.op === "input") return wrap(storageOf(primals[v.slot!]).slice(), v);
    return wrap(outputs.indexOf(v) < i ? outs[i].slice() : outs[i], v);
  });
}

// The tensors behind the graph's inputs: tensor arguments, then captured tensors.
function primalTensors(traced: Traced, args: Arg[]): Tensor[] {
  const out: Tensor[] = [];
  traced.argSlots.forEach((s, i) => {
    if (s !== null) out[s] = args[i] as Tensor;
  });
  return [...out, ...traced.captured];
}

function forwardEntry(traced: Traced): Entry {
  const nOut = traced.graph.outputs.length;
  traced.graph.outputs = [...traced.graph.outputs, ...traced.mutations.map(([, v]) => v)];
  const graph = optimize(traced.graph);
  const program = buildProgram(graph);
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

// An argument or captured tensor updated in place inside the function gets its new values.
function writeBack(t: Tensor, s: Storage): void {
  if (s !== t.storage) {
    if (t.isContiguous() && t.offset === 0) t.storage!.set(s);
    else
      backend.copy(
        { storage: s, shape: t.shape, strides: contiguousStrides(t.shape), offset: 0 },
        t,
      );
  }
  t.version.n++;
}

// Forward and backward are differentiated and optimized together, then partitioned; each call
// runs the forward and hands its outputs one CompiledFunctionBackward node that runs the backward.
function autogradEntry(traced: Traced, args: Arg[]): Entry {
  if (traced.mutations.length)
    throw new CompileError(
      "in-place updates inside a compiled function that records gradients are not supported; run it under noGrad()",
    );
  const joint = traced.graph,
    primalsAtTrace = primalTensors(traced, args);
  const nPrimals = joint.inputs.length,
    outputs = joint.outputs;
  // outputs get a gradFn only if they depend on an input requiring grad, and inputs get a gradient
  // only if an output depends on them (others keep .grad null), as in eager
  const wanted = primalsAtTrace.flatMap((t, s) => (t.requiresGrad ? [s] : []));
  const live = dependents(
    joint,
    wanted.map((s) => joint.inputs[s]),
  );
  const diffOut = outputs.flatMap((v, i) => (isFloat(v.dtype) && live.has(v) ? [i] : []));
  const cotangents = diffOut.map((i) => joint.input(outputs[i].shape, outputs[i].dtype));
  const reached = new Set<Value>(),
    visit = (v: Value) => {
      if (!reached.has(v)) {
        reached.add(v);
        v.inputs.forEach(visit);
      }
    };
  diffOut.forEach((i) => visit(outputs[i]));
  const wrtSlots = wanted.filter((s) => reached.has(joint.inputs[s]));
  const grads = differentiate(
    joint,
    diffOut.map((i) => outputs[i]),
    cotangents,
    wrtSlots.map((s) => joint.inputs[s]),
  );
  joint.outputs = [...outputs, ...grads];
  const g = optimize(joint);
  const part = partition(
    g,
    g.inputs.slice(0, nPrimals),
    g.inputs.slice(nPrimals),
    g.outputs.slice(0, outputs.length),
    g.outputs.slice(outputs.length),
  );
  const forward = buildProgram(part.forward, "k"),
    backward = buildProgram(part.backward, "kb");
  const readSlots = part.primalsRead.map((v) => v.slot!);
  const fwdOut = part.forward.outputs;
  const savedOutputs = fwdOut
    .slice(0, outputs.length)
    .flatMap((v, i) => (fwdOut.indexOf(v, outputs.length) >= 0 ? [i] : []));
  const nOut = outputs.length;
  return {
    explain: {
      ir: `# forward\n${printGraph(part.forward, part.notes.forward)}\n# backward\n${printGraph(part.backward, part.notes.backward)}`,
      code: `${forward.code}\n\n${backward.code}`,
      forwardKernels: forward.kernels,
      backwardKernels: backward.kernels,
    },
    run(args) {
      const primals = primalTensors(traced, args);
      const outs = forward.run(primals.map(storageOf));
      const user = results(part.forward.outputs.slice(0, nOut), outs, primals);
      let saved: Storage[] | null = outs.slice(nOut);
      // inputs the backward reads, and user outputs whose storage it reads as saved values, must not change
      const reads = [...readSlots.map((s) => primals[s]), ...savedOutputs.map((i) => user[i])];
      const versions = reads.map((t) => t.version.n);
      const wrt = wrtSlots.map((s) => primals[s]);
      const node: Node = new Node(
        "CompiledFunctionBackward",
        wrt.map((t) => t.gradEdge()),
        wrt.map((t) => ({ shape: t.shape, dtype: t.dtype })),
        (_, gs) => {
          if (node.released || !saved) throw new Error(SECOND_BACKWARD);
          reads.forEach((t, k) => {
            if (t.version.n !== versions[k]) {
              throw new Error(
                `one of the variables needed for gradient computation has been modified by an inplace operation: [${torchTypeName[t.dtype]} [${t.shape.join(", ")}]], which is ${k < readSlots.length ? "an input" : "an output"} of CompiledFunctionBackward, is at version ${t.version.n}; expected version ${versions[k]} instead.`,
              );
            }
          });
          // outputs that fed nothing get zero cotangents: a zeroed buffer, no kernel
          const cts = diffOut.map((i, k) =>
            storageOf(gs[k] ?? empty(outputs[i].shape, outputs[i].dtype)),
          );
          const given = [...saved, ...reads.slice(0, readSlots.length).map(storageOf), ...cts];
          const gradStorages = backward.run(given);
          return part.backward.outputs.map((v, k) => {
            const t = wrap(gradStorages[k], v);
            t.fresh =
              gradStorages.indexOf(gradStorages[k]) === k &&
              gradStorages.lastIndexOf(gradStorages[k]) === k &&
              !given.includes(gradStorages[k]);
            return t;
          });
        },
      );
      const release = node.release.bind(node);
      node.release = () => {
        release();
        saved = null;
      };
      diffOut.forEach((i, k) => {
        user[i] = asOutput(user[i], node, k);
      });
      return traced.rebuild(user);
    },
  };
}

// An output tensor (fresh from results()) attached to the compiled backward node.
function asOutput(t: Tensor, node: Node, k: number): Tensor {
  t.gradFn = node;
  t.outputIndex = k;
  return t;
}

// ---- functional transforms (JAX's grad and value_and_grad) ----
/**
 * Options of `grad` and `valueAndGrad`: `argnums` picks the argument(s) to
 * differentiate (default 0).
 */
export interface GradOptions extends CompileOptions {
  argnums?: number | number[];
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
    null,
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
    null,
  );
}

// The cotangent of the scalar output is the constant 1, known when compiling, so value and
// gradients are one graph and fuse into the same loops.
function gradEntry(fn: Fn, args: Arg[], argnums: number | number[], withValue: boolean): Entry {
  const nums = typeof argnums === "number" ? [argnums] : argnums;
  for (const n of nums) {
    const a = args[n];
    if (!(a instanceof Tensor))
      throw new TypeError(
        `grad: argnums refers to argument ${n}, which is ${a === undefined ? "missing" : "not a Tensor"}`,
      );
    if (!isFloat(a.dtype))
      throw new TypeError(
        `grad requires real-valued floating-point inputs, but argument ${n} has dtype ${a.dtype}`,
      );
  }
  const traced = enableGrad(() => trace(fn, args)),
    g: Graph = traced.graph; // grad() differentiates whatever the grad mode
  if (traced.mutations.length)
    throw new CompileError("grad(): the function must not update tensors in place");
  const out = g.outputs[0];
  if (g.outputs.length !== 1 || out.shape.reduce((a, b) => a * b, 1) !== 1 || !isFloat(out.dtype)) {
    throw new TypeError(
      `grad requires a function returning one scalar float Tensor; it returned ${
        g.outputs.length === 1
          ? `a ${out.dtype} tensor of shape [${out.shape.join(", ")}]`
          : `${g.outputs.length} tensors`
      }`,
    );
  }
  const one = out.shape.length
    ? g.add("expand", [g.constant(1, out.dtype)], { shape: out.shape }, out.shape, out.dtype)
    : g.constant(1, out.dtype);
  const grads = differentiate(
    g,
    [out],
    [one],
    nums.map((n) => g.inputs[traced.argSlots[n]!]),
  );
  g.outputs = withValue ? [out, ...grads] : grads;
  const opt = optimize(g),
    program = buildProgram(opt);
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
