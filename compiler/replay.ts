// A graph evaluated op by op on eager tensors (each value through bind, as the eager methods run
// it), so autograd records it: how a compiled function's backward runs under createGraph, where
// the gradients must be functions of the inputs that can be differentiated again. The joint graph
// (forward and backward) is replayed, so the forward values the backward reads are recomputed
// from the inputs with their graph.
import type { Graph, Value } from "../ir/graph";
import { bind } from "../runtime/dispatch";
import { Tensor } from "../runtime/tensor";

export function replay(g: Graph, inputs: Tensor[], wanted: Value[]): Tensor[] {
  const env = new Map<Value, Tensor>();
  g.inputs.forEach((v, i) => {
    env.set(v, inputs[i]);
  });
  for (const v of g.values) {
    if (v.op === "input") continue;
    if (v.op === "const") {
      // a number next to tensors, as it was traced (weak dtype, already rounded to its dtype)
      const c = new Tensor(Float64Array.of(v.constant!), [], [], 0, v.dtype);
      c.wrapped = true;
      env.set(v, c);
      continue;
    }
    const t = bind(
      v.op,
      v.inputs.map((x) => env.get(x)!),
      v.params as never,
    );
    env.set(v, t.dtype === v.dtype ? t : t.to(v.dtype));
  }
  return wanted.map((v) => env.get(v)!);
}
