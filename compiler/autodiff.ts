// Reverse-mode differentiation of a graph into more of the same graph: a reverse sweep that calls
// each op's VJP rule (the same rules eager autograd runs) on tracers, so the backward is recorded
// as ordinary IR values. Cotangents of values that need no gradient are never built. A custom
// autograd Function's outputs (`custom` values) run the user's backward instead, once per call.
import type { Graph, Value } from "../ir/graph";
import { defOf, ops, paramsOf } from "../ir/ops";
import { scalar, withTrace } from "../runtime/dispatch";
import { CompileError } from "../runtime/errors";
import { engineHooks, type Tensor } from "../runtime/tensor";
import { customCalls, Recorder, tracer } from "./trace";

// The values that depend differentiably on `wrt` (through ops with a VJP: not comparisons or detach).
export function dependents(g: Graph, wrt: Value[]): Set<Value> {
  const out = new Set<Value>(wrt);
  for (const v of g.values) {
    if (v.op !== "input" && v.op !== "const" && ops[v.op].vjp && v.inputs.some((i) => out.has(i)))
      out.add(v);
  }
  return out;
}

// Appends to `g` the gradients of `outputs` (seeded with `seeds`) with respect to `wrt`, and
// returns one gradient value per `wrt` entry (zeros where no path leads).
export function differentiate(
  g: Graph,
  outputs: Value[],
  seeds: Value[],
  wrt: Value[],
  // the trace to record into (a grad() called while tracing records into the caller's, so tensors
  // its rules capture become the caller's inputs); default: a recorder of its own, where a
  // captured tensor is an error
  recorder?: Recorder,
): Value[] {
  const needs = dependents(g, wrt);
  const rec = recorder ?? new Recorder(g);
  const forward = [...g.values];
  const calls = callOutputs(forward);
  const grads = withTrace(rec, () => {
    const ct = new Map<Value, Tensor>();
    const accumulate = (v: Value, t: Tensor) => {
      const prev = ct.get(v);
      ct.set(v, prev ? prev.add(t) : t);
    };
    const give = (x: Value, gi: Tensor | null) => {
      if (gi && needs.has(x))
        accumulate(x, engineHooks.cast(engineHooks.sumTo(gi, x.shape), x.dtype));
    };
    outputs.forEach((o, i) => {
      if (needs.has(o)) accumulate(o, tracer(seeds[i]));
    });
    for (let k = forward.length - 1; k >= 0; k--) {
      const v = forward[k];
      if (v.op === "custom") {
        // a call's outputs are consecutive values, so at its first every cotangent is complete
        const p = paramsOf(v, "custom");
        const outs = calls.get(p.call)!;
        if (p.output !== 0 || !outs.some((o) => ct.has(o))) continue;
        const gs = customCalls.get(g)![p.call].backward(outs.map((o) => ct.get(o) ?? null));
        v.inputs.slice(1).forEach((x, i) => give(x, gs[i]));
        continue;
      }
      const g_ = ct.get(v);
      if (!g_ || v.op === "input" || v.op === "const") continue;
      const grads = defOf(v.op).vjp!(g_, {
        ins: v.inputs.map((x) => tracer(x)),
        out: tracer(v),
        params: v.params,
        needs: v.inputs.map((i) => needs.has(i)),
      });
      v.inputs.forEach((x, i) => give(x, grads[i]));
    }
    return wrt.map((w) => (ct.get(w) ?? scalar(0).expand(w.shape).to(w.dtype)).value as Value);
  });
  if (!recorder && rec.captured.size)
    throw new CompileError(
      "a custom autograd Function's backward read a tensor that is not an argument of the compiled function; save it in forward with ctx.saveForBackward",
    );
  return grads;
}

// the `custom` values of each call, by call id, in output order
function callOutputs(values: Value[]): Map<number, Value[]> {
  const out = new Map<number, Value[]>();
  for (const v of values)
    if (v.op === "custom") {
      const p = paramsOf(v, "custom");
      out.set(p.call, [...(out.get(p.call) ?? []), v]);
    }
  return out;
}
