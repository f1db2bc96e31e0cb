// Reverse-mode differentiation of a graph into more of the same graph: a reverse sweep that calls
// each op's VJP rule (the same rules eager autograd runs) on tracers, so the backward is recorded
// as ordinary IR values. Cotangents of values that need no gradient are never built.
import type { Graph, Value } from "../ir/graph";
import { defOf, ops } from "../ir/ops";
import { scalar, withTrace } from "../runtime/dispatch";
import { engineHooks, type Tensor } from "../runtime/tensor";
import { Recorder, tracer } from "./trace";

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
export function differentiate(g: Graph, outputs: Value[], seeds: Value[], wrt: Value[]): Value[] {
  const needs = dependents(g, wrt);
  const rec = new Recorder(g);
  const forward = [...g.values];
  return withTrace(rec, () => {
    const ct = new Map<Value, Tensor>();
    const accumulate = (v: Value, t: Tensor) => {
      const prev = ct.get(v);
      ct.set(v, prev ? prev.add(t) : t);
    };
    outputs.forEach((o, i) => {
      if (needs.has(o)) accumulate(o, tracer(seeds[i]));
    });
    for (let k = forward.length - 1; k >= 0; k--) {
      const v = forward[k],
        g_ = ct.get(v);
      if (!g_ || v.op === "input" || v.op === "const") continue;
      const grads = defOf(v.op).vjp!(g_, {
        ins: v.inputs.map((x) => tracer(x)),
        out: tracer(v),
        params: v.params,
        needs: v.inputs.map((i) => needs.has(i)),
      });
      v.inputs.forEach((x, i) => {
        const gi = grads[i];
        if (gi && needs.has(x))
          accumulate(x, engineHooks.cast(engineHooks.sumTo(gi, x.shape), x.dtype));
      });
    }
    return wrt.map((w) => (ct.get(w) ?? scalar(0).expand(w.shape).to(w.dtype)).value as Value);
  });
}
