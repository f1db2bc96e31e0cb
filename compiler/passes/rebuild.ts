// The one traversal every pass is written with: copy the graph value by value (inputs first, in
// order, so input slots never move), letting `rewrite` return a replacement for any value.
import { Graph, type Value } from "../../ir/graph";

export type Rewrite = (v: Value, inputs: Value[], g: Graph) => Value | undefined;

export function rebuild(
  src: Graph,
  rewrite: Rewrite = () => undefined,
  keep: (v: Value) => boolean = () => true,
): Graph {
  const g = new Graph();
  const map = new Map<Value, Value>();
  for (const v of src.inputs) map.set(v, g.input(v.shape, v.dtype));
  for (const v of src.values) {
    if (v.op === "input" || !keep(v)) continue;
    const ins = v.inputs.map((i) => map.get(i)!);
    map.set(v, rewrite(v, ins, g) ?? g.add(v.op, ins, v.params, v.shape, v.dtype, v.constant));
  }
  g.outputs = src.outputs.map((v) => map.get(v)!);
  return g;
}
