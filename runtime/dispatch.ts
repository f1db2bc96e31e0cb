// bind(): the one entry point of every primitive. It types the result with the op's rules, then
// either records it into the active trace (inside compile) or runs it now and, when gradients
// are wanted, records a GradFn node whose backward is the op's VJP rule.
import { backend, type Combine } from "../backend/index";
import { allocate, allocateUnfilled, type DType, isFloat } from "../ir/dtype";
import { identity } from "../ir/index-map";
import { computeDtype, operandCasts, withCasts } from "../ir/operand-casts";
import {
  defOf,
  type Elementwise,
  gradName,
  type KernelOpName,
  type OpDef,
  type OpName,
  ops,
  type Params,
  type ParamsOf,
  type Reduce,
  reduceParams,
  type ScanOpName,
} from "../ir/ops";
import { arg, type Scalar, storeAs } from "../ir/scalar";
import { contiguousStrides, numel } from "../ir/shape";
import { isGradEnabled, Node, savedTensors } from "./autograd";
import { CompileError } from "./errors";
import type { CustomCall } from "./function";
import { Tensor } from "./tensor";

export interface Trace {
  record(op: OpName, ins: Tensor[], params: Params, shape: number[], dtype: DType): Tensor;
  mutate(target: Tensor, value: Tensor): void; // an in-place update of `target` to `value`
  // state read while tracing that the compiled code depends on (a module's training flag): the
  // check runs on a cache hit (when the state epoch moved, or on every call with everyCall), and a
  // false one retraces
  guard(check: () => boolean, everyCall?: boolean): void;
  // a whole-step trace (compile over loss.backward() and optimizer.step()): ops on tracers record
  // autograd nodes as eager ones do, so backward() can run the engine on them into the same graph
  readonly autograd?: boolean;
  // a leaf's .grad read or assigned while tracing (its value then, before an assignment)
  gradRead?(t: Tensor, current: Tensor | null): void;
  gradAssigned?(t: Tensor, current: Tensor | null): void;
  backwardCalled?(): void;
  // a custom autograd Function's call: its id, which the call's `custom` values carry
  customCall(call: CustomCall): number;
}
let active: Trace | null = null;
export const activeTrace = () => active;
export function withTrace<T>(trace: Trace, fn: () => T): T {
  const prev = active;
  active = trace;
  try {
    return fn();
  } finally {
    active = prev;
  }
}

export const leakedTracer = () =>
  new CompileError(
    "a tensor from inside a compiled function (a tracer) was used after its trace ended; return it from the function instead of keeping it in a variable",
  );

// A JS number next to a tensor: a 0-d "wrapped number" (weak dtype, see promoteAll).
export function scalar(v: number | boolean): Tensor {
  const dtype: DType = typeof v === "boolean" ? "bool" : Number.isInteger(v) ? "int32" : "float32";
  const t = new Tensor(Float64Array.of(+v), [], [], 0, dtype);
  t.wrapped = true;
  return t;
}

export function empty(shape: readonly number[], dtype: DType): Tensor {
  return new Tensor(allocate(dtype, numel(shape)), [...shape], contiguousStrides(shape), 0, dtype);
}
// An op's result (never shared memory). Every executor below writes its result whole before
// anything reads it (kernel ops copy `self` in first where they update it), so a large one starts
// uninitialized (ir/dtype.ts allocateUnfilled; the tests poison it with NaN to check that claim).
function result(shape: readonly number[], dtype: DType): Tensor {
  const s = allocateUnfilled(dtype, numel(shape));
  return new Tensor(s, [...shape], contiguousStrides(shape), 0, dtype);
}

// params: the op's own (typed per op: bind("sum", [x], { dims, keepdim })); ops without params
// take none
export function bind<K extends OpName>(
  op: K,
  inputs: (Tensor | number | boolean)[],
  typed: ParamsOf<K> = {} as ParamsOf<K>,
  name?: string,
): Tensor {
  const params = typed as Params;
  const ins = inputs.map((x) => (x instanceof Tensor ? x : scalar(x)));
  const def = defOf(op);
  const shape = def.shape(ins, params),
    dtype = def.dtype(ins, params);
  // a JS number takes the dtype the op computes in, as PyTorch casts it: float32 ops see 0.1 as
  // float32's 0.1 (so x.eq(0.1) holds for x made from 0.1, and x.mul(0.1) rounds as PyTorch's does)
  if (
    def.kind === "elementwise" &&
    ins.some((t) => t.wrapped) &&
    computeDtype(op, ins, dtype) === "float32"
  ) {
    ins.forEach((t, i) => {
      if (!(inputs[i] instanceof Tensor)) t.storage![0] = Math.fround(t.storage![0]);
    });
  }
  let out: Tensor;
  if (active) {
    // ops traced under noGrad() are cut from differentiation, as eager records no node for them
    const t = active.record(op, ins, params, shape, dtype);
    if (!isGradEnabled() && def.vjp) return active.record("detach", [t], {}, shape, dtype);
    if (!active.autograd) return t;
    out = t; // a whole-step trace: the node below, on tracers
  } else {
    // a tracer kept past the end of its trace (stored in a closure, returned in a structure) has no
    // values to compute with
    for (let i = 0; i < ins.length; i++) if (ins[i].storage === null) throw leakedTracer();
    out = execute[def.kind](def as never, ins, params, shape, dtype, op);
  }
  const needs = ins.map((t) => t.requiresGrad);
  if (def.vjp && isFloat(dtype) && isGradEnabled() && needs.some(Boolean)) {
    // int/bool results never require grad
    const vjp = def.vjp;
    const node: Node = new Node(
      name ?? gradName(def, ins),
      ins.map((t) => (t.requiresGrad ? t.gradEdge() : null)),
      ins.map((t) => ({ shape: t.shape, dtype: t.dtype })),
      (g) => vjp(g, ctx),
    );
    // inputs and output are checked one by one, when a VJP reads them (ctx.ins[1] reads only input 1)
    const savedIns = savedTensors(
      () => node,
      ins,
      () => "",
    );
    const savedOut = savedTensors(
      () => node,
      [out],
      () => `, which is output 0 of ${node.name},`,
    );
    const ctx = {
      ins: savedIns,
      get out() {
        return savedOut[0];
      },
      params,
      needs,
      shapes: ins.map((t) => t.shape),
    };
    out.gradFn = node;
  }
  return out;
}

// A view of t broadcast to `shape` (stride 0 along broadcast dims): inputs are read, never copied.
export function broadcastTo(t: Tensor, shape: readonly number[]): Tensor {
  const v = ops.expand.view(t, { shape: [...shape] })!;
  return t.withView(v.shape, v.strides, v.offset);
}

// A contiguous copy of t's data (no autograd: callers record their own node).
export function materialize(t: Tensor): Tensor {
  const out = result(t.shape, t.dtype);
  backend.copy(t, out);
  return out;
}

// An elementwise op's formula for these params and operand casts (operand-casts.ts), built once
// (eager runs it for every op).
const formulas = new Map<string, Scalar>();
function formulaOf(def: Elementwise, op: string, ins: Tensor[], p: Params, dtype: DType): Scalar {
  // (only float64 and int32 operands can need a cast: skip the work for the common all-float32 op)
  const casts = ins.some(castable) ? operandCasts(op, ins, dtype) : null;
  let key = hasKeys(p) ? `${op}|${ins.length}|${JSON.stringify(p)}` : `${op}|${ins.length}`;
  if (casts?.some((c) => c)) key += `|${casts.join(",")}`; // [float32, null]: "float32,"
  let f = formulas.get(key);
  if (!f) {
    f = def.scalar(
      ins.map((_, i) => arg(i)),
      p,
    );
    if (casts) f = withCasts(f, casts);
    formulas.set(key, f);
  }
  return f;
}
const castable = (t: Tensor) => !t.wrapped && (t.dtype === "float64" || t.dtype === "int32");
const toBool = storeAs("bool", arg(0));
const hasKeys = (p: object) => {
  for (const _ in p) return true;
  return false;
};
const reductions = new Map<string, Combine>();
function reductionOf(def: Reduce, op: string, dtype: DType): Combine {
  const key = `${op}|${dtype}`;
  let r = reductions.get(key);
  if (!r) {
    r = { combine: def.combine(arg(0), arg(1)), init: def.init, dtype };
    reductions.set(key, r);
  }
  return r;
}

type Executor<D extends OpDef> = (
  def: D,
  ins: Tensor[],
  p: Params,
  shape: number[],
  dtype: DType,
  op: OpName,
) => Tensor;
const execute: { [K in OpDef["kind"]]: Executor<Extract<OpDef, { kind: K }>> } = {
  elementwise(def, ins, p, shape, dtype, op) {
    const out = result(shape, dtype);
    const f = formulaOf(def, op, ins, p, dtype);
    backend.pointwise(
      f,
      dtype,
      ins.map((t) => broadcastTo(t, shape)),
      out,
    );
    // arithmetic on bools stores 0/1, as PyTorch's does (True + True is True)
    if (dtype === "bool" && ins.every((t) => t.dtype === "bool"))
      backend.pointwise(toBool, "bool", [out], out);
    return out;
  },
  reduce(def, [x], p, shape, dtype, op) {
    const out = result(shape, dtype);
    backend.reduce(reductionOf(def, op, dtype), x, reduceParams({ op, params: p }).dims, out);
    return out;
  },
  // a view where strides can express the result; else one copy through the op's index map (pad,
  // a reshape of a transposed tensor); else (a reshape that is no index map) copy x, then view
  movement(def, [x], p, shape, dtype) {
    const v = def.view(x, p);
    if (v) return x.withView(v.shape, v.strides, v.offset);
    const m = def.index(identity(shape.length, shape.length), p, x.shape, shape);
    if (m) {
      const out = result(shape, dtype);
      backend.remap(x, m, out);
      return out;
    }
    const c = materialize(x),
      w = def.view(c, p)!;
    return c.withView(w.shape, w.strides, w.offset);
  },
  gather(def, [x, index], p, shape, dtype) {
    const out = result(shape, dtype);
    backend.gather(x, index, def.along(p), out);
    return out;
  },
  scan(def, [x], p, shape, dtype, op) {
    const out = result(shape, dtype);
    backend.scan(op as ScanOpName, def.along(p), dtype, x, out);
    return out;
  },
  kernel(_, ins, p, shape, dtype, op) {
    const out = result(shape, dtype);
    backend.kernelOp(op as KernelOpName, ins, out, p);
    return out;
  },
};
