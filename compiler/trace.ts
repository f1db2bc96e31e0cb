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
  argSlots: (number | null)[]; // for each argument: its input slot (tensors) or null (numbers)
  mutations: [number, Value][]; // inputs updated in place: slot and final value
  guards: (() => boolean)[]; // state read while tracing (module training flags): true while unchanged
  rebuild: (outs: Tensor[]) => Result; // puts output tensors back into fn's result structure
}

// A tracer laid out as eager would lay it out: a movement op's result keeps its input's strides
// (so view() and isContiguous() answer as in eager), anything else is contiguous.
export function tracer(v: Value, layout?: View | null): Tensor {
  const t = layout
    ? new Tensor(null, layout.shape, layout.strides, layout.offset, v.dtype)
    : new Tensor(null, v.shape, contiguousStrides(v.shape), 0, v.dtype);
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
  guard(check: () => boolean): void {
    this.guards.push(check);
  }
  customCall(call: CustomCall): number {
    const calls = customCalls.get(this.graph) ?? [];
    customCalls.set(this.graph, calls);
    return calls.push(call) - 1;
  }
  constructor(readonly graph = new Graph()) {}

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
    const layout =
      def.kind === "movement" && x.storage === null ? (def as Movement).view(x, params) : null;
    return tracer(
      this.graph.add(
        op,
        ins.map((t) => this.valueOf(t)),
        params,
        shape,
        dtype,
      ),
      layout,
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
    else this.current.set(target, v);
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
  const rec = new Recorder();
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
  const result = withTrace(rec, () => fn(...tracers));
  const { outs, rebuild } = flatten(result);
  rec.graph.outputs = outs.map((t) => rec.valueOf(t));
  return {
    graph: rec.graph,
    captured: [...rec.captured.keys()],
    argSlots,
    rebuild,
    mutations: [...rec.mutations],
    guards: rec.guards,
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
