// The optimization passes, in order. Each is a plain function from graph to graph.
import type { Graph } from "../ir/graph";
import { cse } from "./passes/cse";
import { dce } from "./passes/dce";
import { fold } from "./passes/fold";
import { simplify } from "./passes/simplify";

export const passes: [string, (g: Graph) => Graph][] = [
  ["fold", fold],
  ["simplify", simplify],
  ["cse", cse],
  ["dce", dce],
];

export const optimize = (g: Graph): Graph => passes.reduce((acc, [, pass]) => pass(acc), g);
