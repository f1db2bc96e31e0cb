// Dead-code elimination: drop values no output depends on.
import type { Graph, Value } from "../../ir/graph";
import { rebuild } from "./rebuild";

export function dce(g: Graph): Graph {
  const live = new Set<Value>();
  const visit = (v: Value) => {
    if (!live.has(v)) {
      live.add(v);
      v.inputs.forEach(visit);
    }
  };
  g.outputs.forEach(visit);
  return rebuild(g, undefined, (v) => live.has(v));
}
