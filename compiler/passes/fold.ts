// Constant folding: an elementwise op whose inputs are all constants becomes a constant, computed
// by the backend from the op's own scalar formula and stored as its dtype stores it (so folding
// can never disagree with the kernels).
import { backend } from "../../backend/index";
import type { Graph } from "../../ir/graph";
import { computeDtype, operandCasts, withCasts } from "../../ir/operand-casts";
import { defOf, type Elementwise, ops } from "../../ir/ops";
import { arg, storeAs } from "../../ir/scalar";
import { rebuild } from "./rebuild";

export function fold(g: Graph): Graph {
  return rebuild(g, (v, ins, out) => {
    if (v.op === "input" || v.op === "const" || ops[v.op].kind !== "elementwise") return;
    if (v.shape.length !== 0 || !ins.every((i) => i.op === "const")) return;
    // operands cast to the op's computation dtype, as kernels cast them (a float64 constant was a
    // 0-d tensor, never a JS number: operand-casts.ts)
    const to = computeDtype(
      v.op,
      ins.map((x) => ({ ...x, wrapped: x.dtype !== "float64" })),
      v.dtype,
    );
    const f = withCasts(
      (defOf(v.op) as Elementwise).scalar(
        ins.map((_, i) => arg(i)),
        v.params,
      ),
      operandCasts(v.op, ins, v.dtype, to),
    );
    const values = ins.map((i) => i.constant!);
    return out.constant(backend.evaluate(storeAs(v.dtype, f), values, v.dtype), v.dtype);
  });
}
