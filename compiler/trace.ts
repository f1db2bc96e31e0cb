// Tracing: run the user's function on tracers (Tensors whose storage is a graph value) so every
// eager method records itself. Eager tensors met on the way (captured parameters) become graph
// inputs bound by identity, read at every call; JS numbers become constants.

import type { DType } from "../ir/dtype";
import { Graph, type Value } from "../ir/graph";
import { defOf, type Movement, type OpName, ops, type Params, type View } from "../ir/ops";
import { contiguousStrides } from "../ir/shape";
import { leakedTracer, type Trace, withTrace } from "../runtime/dispatch";
import { CompileError } from "../runtime/errors";
import type { CustomCall } from "../runtime/function";
import { checkLayout, Tensor } from "../runtime/tensor";

export type Arg = Tensor | number;
export type Result = Tensor | Tensor[] | { [key: string]: Tensor };

export interface Traced {
  graph: Graph;
  captured: Tensor[]; // eager tensors read by the graph, after the arguments' inputs
  gradOf: (Tensor | null)[]; // per captured tensor: the leaf whose .grad it is read from at each call
  argSlots: (number | null)[]; // for each argument: its input slot (tensors) or null (numbers)
  mutations: [number, Value][]; // inputs updated in place: slot and final value
  guards: (() => boolean)[]; // state read while tracing (module training flags): true while unchanged
  rebuild: (outs: Tensor[]) => Result; // puts output tensors back into fn's result structure
  step: WholeStep | null; // set when the function ran backward() (a whole training step)
}

// What a whole step (or any function that assigns .grad or steps an optimizer) does besides its graph's outputs and write-backs (step.ts runs it).
export interface WholeStep {
  backward: boolean; // the function ran backward(): forward, backward and update are one graph
  checks: (() => boolean)[]; // guards run on every call (a .grad's identity, baked hyperparameters)
  before: (() => void)[]; // before each run: refresh the call-time scalars (lr, bias corrections)
  gradOuts: [Tensor, Value][]; // leaves whose .grad becomes a graph output after each run
  gradSets: [Tensor, Tensor | null][]; // leaves whose .grad is set to a known tensor (or null)
  after: (() => void)[]; // after each run: the optimizer's bookkeeping (step counts, new state)
  outNodes: (string | null)[]; // the user outputs' gradFn names in the trace (null: none)
}

// A tracer laid out as eager would lay it out: a movement op's result keeps its input's strides
// (so view() and isContiguous() answer as in eager), anything else is contiguous.
export function tracer(v: Value, layout?: View | null, version?: { n: number }): Tensor {
  const t = layout
    ? new Tensor(null, layout.shape, layout.strides, layout.offset, v.dtype, version)
    : new Tensor(null, v.shape, contiguousStrides(v.shape), 0, v.dtype, version);
  t.value = v;
  return t;
}

// Each graph's custom autograd Function calls, by id (the differentiation of a graph runs them).
export const customCalls = new WeakMap<Graph, CustomCall[]>();

// The largest graph compiled: every stage is linear or close to it, but fusion rebuilds kernels as
// it merges them, and a graph this size already takes seconds to compile.
const MAX_GRAPH = 50_000;

export class Recorder implements Trace {
  readonly captured = new Map<Tensor, Value>();
  readonly current = new Map<Tensor, Value>(); // captured tensors updated in place: their new value
  readonly mutations = new Map<number, Value>(); // input slot -> its final value (written back after a run)
  readonly guards: (() => boolean)[] = [];
  readonly checks: (() => boolean)[] = []; // guards run on every call
  guard(check: () => boolean, everyCall = false): void {
    (everyCall ? this.checks : this.guards).push(check);
  }
  // compile()'s traces record autograd nodes on tracers, so the function may call backward();
  // differentiate()'s recorder does not
  constructor(
    readonly graph = new Graph(),
    readonly autograd = false,
  ) {}
  backwardRan = false;
  backwardCalled(): void {
    this.backwardRan = true;
  }
  readonly before: (() => void)[] = [];
  readonly after: (() => void)[] = [];
  // eager tensors whose state the trace changed, restored when it ends (each call redoes it)
  readonly gradsBefore = new Map<Tensor, Tensor | null>(); // leaves whose .grad was assigned
  private readonly gradsGuarded = new Set<Tensor>();
  readonly versionsBefore = new Map<{ n: number }, number>();
  // captured tensors that are a leaf's .grad read before the trace assigned it: bound to that
  // leaf's .grad at every call (eager backward makes a new one each step), guarded by shape and dtype
  readonly gradSources = new Map<Tensor, Tensor>();
  gradRead(t: Tensor, current: Tensor | null): void {
    if (!t.storage || this.gradsBefore.has(t) || this.gradsGuarded.has(t)) return;
    this.gradsGuarded.add(t);
    if (!current) {
      this.guard(() => t.grad === null, true);
      return;
    }
    const shape = current.shape,
      dtype = current.dtype;
    this.gradSources.set(current, t);
    this.guard(() => {
      const g = t.grad;
      if (g === null || g.dtype !== dtype || g.shape.length !== shape.length) return false;
      for (let d = 0; d < shape.length; d++) if (g.shape[d] !== shape[d]) return false;
      return true;
    }, true);
  }
  gradAssigned(t: Tensor, current: Tensor | null): void {
    // (assigned before any read: the .grad from before the call does not matter)
    if (t.storage && !this.gradsBefore.has(t)) this.gradsBefore.set(t, current);
  }
  customCall(call: CustomCall): number {
    const calls = customCalls.get(this.graph) ?? [];
    customCalls.set(this.graph, calls);
    return calls.push(call) - 1;
  }

  valueOf(t: Tensor): Value {
    if (t.value) {
      const v = t.value as Value;
      // a tracer of an earlier trace (kept in a closure) does not belong to this graph
      if (this.graph.values[v.id] !== v) throw leakedTracer();
      return v;
    }
    if (t.wrapped) return this.graph.constant(t.storage![t.offset], t.dtype);
    const now = this.current.get(t);
    if (now) return now;
    let v = this.captured.get(t);
    if (!v) {
      checkLayout(t, "a tensor captured by the compiled function");
      v = this.graph.input(t.shape, t.dtype);
      this.captured.set(t, v);
      this.slotOf.set(t, v.slot!);
    }
    return v;
  }
  record(op: OpName, ins: Tensor[], params: Params, shape: number[], dtype: DType): Tensor {
    if (this.graph.values.length >= MAX_GRAPH)
      throw new CompileError(
        `compile(): the traced function records more than the ${MAX_GRAPH} values jitgrad compiles in one graph; run it eagerly (without compile) or compile smaller pieces of it`,
      );
    const def = defOf(op),
      x = ins[0];
    const view = def.kind === "movement" ? (def as Movement).view(x, params) : null;
    return tracer(
      this.graph.add(
        op,
        ins.map((t) => this.valueOf(t)),
        params,
        shape,
        dtype,
      ),
      x.storage === null ? view : null,
      // a view shares its input's version counter, as eager's do (saved-tensor checks see through it)
      view && this.autograd ? x.version : undefined,
    );
  }
  // Functionalization: an in-place op rebinds the tensor to its new value; an input's final value
  // is written back into the caller's tensor after each run.
  readonly slotOf = new Map<Tensor, number>(); // argument tracers and captured tensors: their input slot
  mutate(target: Tensor, value: Tensor): void {
    const v = this.valueOf(value),
      old = this.valueOf(target); // (captures an eager target)
    if (!this.slotOf.has(target) && target.storage === null && derivesFromInput(old)) {
      // a view or alias (detach, .data) of an argument: its update would have to reach the argument
      throw new CompileError(
        "in-place updates of views or aliases of arguments are not supported inside compile(); update the argument itself",
      );
    }
    if (target.value) target.value = v;
    else {
      this.current.set(target, v);
      if (!this.versionsBefore.has(target.version))
        this.versionsBefore.set(target.version, target.version.n);
    }
    const slot = this.slotOf.get(target);
    if (slot !== undefined) this.mutations.set(slot, v);
  }
}

// Whether v is an input seen through movement ops (a view of it).
function derivesFromInput(v: Value): boolean {
  while (v.op !== "input" && v.op !== "const" && ops[v.op].kind === "movement") v = v.inputs[0];
  return v.op === "input";
}

export function trace(fn: (...args: Arg[]) => Result, args: Arg[]): Traced {
  const rec = new Recorder(new Graph(), true);
  // a tensor's layout is checked when its shape enters a graph (not on every call: kernels take
  // shapes from the graph, so a layout changed later cannot reach generated code)
  args.forEach((a, i) => {
    if (a instanceof Tensor) checkLayout(a, `compile: argument ${i}`);
  });
  // the same tensor passed twice is one input, so an in-place update through one name is seen by the other
  const argSlots = args.map((a, i) =>
    !(a instanceof Tensor)
      ? null
      : args.indexOf(a) < i
        ? null
        : rec.graph.input(a.shape, a.dtype).slot!,
  );
  args.forEach((a, i) => {
    if (a instanceof Tensor && argSlots[i] === null) argSlots[i] = argSlots[args.indexOf(a)];
  });
  const tracersBySlot = new Map<number, Tensor>();
  const tracers = args.map((a, i) => {
    if (!(a instanceof Tensor)) return a;
    const s = argSlots[i]!;
    if (!tracersBySlot.has(s)) {
      const t = tracer(rec.graph.inputs[s]);
      tracersBySlot.set(s, t);
      rec.slotOf.set(t, s);
    }
    return tracersBySlot.get(s)!;
  });
  let result: Result, grads: [Tensor, Tensor | null][];
  try {
    result = withTrace(rec, () => fn(...tracers));
  } finally {
    grads = restore(rec);
  }
  const { outs, rebuild } = flatten(result);
  rec.graph.outputs = outs.map((t) => rec.valueOf(t));
  return {
    graph: rec.graph,
    captured: [...rec.captured.keys()],
    gradOf: [...rec.captured.keys()].map((c) => rec.gradSources.get(c) ?? null),
    argSlots,
    rebuild,
    mutations: [...rec.mutations],
    guards: rec.guards,
    step:
      rec.backwardRan || grads.length || rec.checks.length || rec.before.length || rec.after.length
        ? wholeStep(rec, args, outs, grads)
        : null,
  };
}

// The trace ran the function for real on eager objects too: the .grad it assigned and the versions
// it bumped go back to what they were (each call redoes them). Returns each touched leaf's final .grad.
function restore(rec: Recorder): [Tensor, Tensor | null][] {
  const finals: [Tensor, Tensor | null][] = [];
  for (const [t, before] of rec.gradsBefore) {
    finals.push([t, t.grad]);
    t.grad = before;
  }
  for (const [version, n] of rec.versionsBefore) version.n = n;
  return finals;
}

function wholeStep(
  rec: Recorder,
  args: Arg[],
  outs: Tensor[],
  grads: [Tensor, Tensor | null][],
): WholeStep {
  const i = args.findIndex((a) => a instanceof Tensor && a.requiresGrad);
  if (rec.backwardRan && i >= 0)
    throw new CompileError(
      `backward() inside compile() accumulates into the .grad of tensors the function captures (model parameters); argument ${i} requires grad: capture it instead of passing it, or call backward() outside`,
    );
  const gradOuts: [Tensor, Value][] = [],
    gradSets: [Tensor, Tensor | null][] = [];
  for (const [t, g] of grads) {
    if (g && !g.storage) gradOuts.push([t, rec.valueOf(g)]);
    else if (!(g && rec.gradSources.get(g) === t)) gradSets.push([t, g]); // (else: unchanged)
  }
  return {
    backward: rec.backwardRan,
    checks: rec.checks,
    before: rec.before,
    gradOuts,
    gradSets,
    after: rec.after,
    outNodes: outs.map((t) => t.gradFn?.name ?? null),
  };
}

const describeObject = (r: object) => {
  const tag = Object.prototype.toString.call(r).slice(8, -1);
  return tag === "Object" ? "a class instance" : `a ${tag}`;
};

function flatten(r: Result): { outs: Tensor[]; rebuild: Traced["rebuild"] } {
  const bad = () =>
    new CompileError(
      "a compiled function must return a Tensor, an array of Tensors, or an object of Tensors",
    );
  if (r instanceof Tensor) return { outs: [r], rebuild: ([t]) => t };
  const thenable =
    r !== null && typeof r === "object" && typeof (r as { then?: unknown }).then === "function";
  if (thenable)
    throw new CompileError(
      "a compiled function must return its tensors synchronously; it returned a Promise (async functions cannot be compiled)",
    );
  if (Array.isArray(r)) {
    if (!r.every((t) => t instanceof Tensor)) throw bad();
    return { outs: r, rebuild: (ts) => ts };
  }
  const proto = r !== null && typeof r === "object" ? Object.getPrototypeOf(r) : undefined;
  if (proto !== Object.prototype && proto !== null) {
    throw new CompileError(
      `a compiled function must return a Tensor, an array of Tensors, or an object of Tensors (a plain object); it returned ${
        r === undefined
          ? "undefined"
          : r === null
            ? "null"
            : typeof r !== "object"
              ? typeof r
              : describeObject(r)
      }`,
    );
  }
  if (r && typeof r === "object" && Object.values(r).every((t) => t instanceof Tensor)) {
    const keys = Object.keys(r);
    return {
      outs: keys.map((k) => r[k]),
      rebuild: (ts) => Object.fromEntries(keys.map((k, i) => [k, ts[i]])),
    };
  }
  throw bad();
}
