// Algebraic simplification that is exact in IEEE arithmetic: x*1, x/1, x+0, x-0, -(-x), and
// movement or casts that change nothing. (Not x*0: NaN*0 is NaN.)
import type { Value } from "../../ir/graph";
import type { Graph } from "../../ir/graph";
import { sameShape } from "../../ir/shape";
import { rebuild } from "./rebuild";

const isConst = (v: Value, c: number) => v.op === "const" && v.constant === c;

export function simplify(g: Graph): Graph {
  return rebuild(g, (v, [a, b]) => {
    // only when the operand already has the result's type: x*1 can still broadcast or promote
    const same = (x: Value | undefined) => x && sameShape(x.shape, v.shape) && x.dtype === v.dtype ? x : undefined;
    switch (v.op) {
      case "mul": return isConst(b, 1) ? same(a) : isConst(a, 1) ? same(b) : undefined;
      case "div": return isConst(b, 1) ? same(a) : undefined;
      case "add": return isConst(b, 0) ? same(a) : isConst(a, 0) ? same(b) : undefined;
      case "sub": return isConst(b, 0) ? same(a) : undefined;
      case "neg": return a.op === "neg" ? same(a.inputs[0]) : undefined;
      case "reshape": case "expand": case "cast": case "detach": return same(a);
      case "permute": return v.params.perm!.every((d, i) => d === i) ? same(a) : undefined;
    }
    return undefined;
  });
}
