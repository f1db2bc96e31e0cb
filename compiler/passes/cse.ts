// Common-subexpression elimination: rebuilding re-inserts every value through Graph.add, whose
// hash-consing merges values with the same op, inputs and params.
import type { Graph } from "../../ir/graph";
import { rebuild } from "./rebuild";

export const cse = (g: Graph): Graph => rebuild(g);
