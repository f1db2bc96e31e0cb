// Dead-code elimination: drop values no output depends on.
import { type Graph, upstream } from "../../ir/graph";
import { rebuild } from "./rebuild";

export function dce(g: Graph): Graph {
  const live = upstream(g.outputs);
  return rebuild(g, undefined, (v) => live.has(v));
}
