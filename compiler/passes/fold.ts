// Constant folding: an elementwise op whose inputs are all constants becomes a constant, computed
// with the op's own scalar formula (so folding can never disagree with the kernels).

import type { Graph } from "../../ir/graph";
import { type Elementwise, ops } from "../../ir/ops";
import { instantiate } from "../scalar";
import { rebuild } from "./rebuild";

const evaluators = new Map<string, (...xs: number[]) => number>();
function evaluate(js: string, args: number[]): number {
  let f = evaluators.get(js);
  if (!f) {
    f = instantiate<(...xs: number[]) => number>(`const f = ${js};`, "f");
    evaluators.set(js, f);
  }
  return Number(f(...args));
}
const round: Record<string, (x: number) => number> = {
  float32: Math.fround,
  float64: (x) => x,
  int32: (x) => x | 0,
  bool: (x) => (x ? 1 : 0),
};

export function fold(g: Graph): Graph {
  return rebuild(g, (v, ins, out) => {
    if (v.op === "input" || v.op === "const" || ops[v.op].kind !== "elementwise") return;
    if (v.shape.length !== 0 || !ins.every((i) => i.op === "const")) return;
    const js = (ops[v.op] as Elementwise).js(v.params, v.dtype);
    return out.constant(
      round[v.dtype](
        evaluate(
          js,
          ins.map((i) => i.constant!),
        ),
      ),
      v.dtype,
    );
  });
}
