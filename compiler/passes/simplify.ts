// Algebraic simplification. Exact in IEEE arithmetic: x*1, x/1, x+(-0), x-0, -(-x), where on a
// constant condition, movement ops or casts that change nothing, movement chains collapsed, and
// (a @ b)^T = b^T @ a^T (the same products summed in the same order). Not x*0: NaN*0 is NaN.
// One rewrite is exact only to rounding: pow(x, 2|3) becomes multiplications, which are faster
// than Math.pow and at least as accurate.
import type { Graph, Value } from "../../ir/graph";
import { paramsOf, reduceParams } from "../../ir/ops";
import { reducedShape, sameShape } from "../../ir/shape";
import { type Rewrite, rebuild } from "./rebuild";

// a constant, or a constant broadcast (the seed cotangent 1 expanded to a shape) is still that number
const constOf = (v: Value | undefined): number | undefined =>
  !v
    ? undefined
    : v.op === "const"
      ? v.constant
      : v.op === "expand" || v.op === "reshape"
        ? constOf(v.inputs[0])
        : undefined;
const isConst = (v: Value | undefined, c: number) => {
  const k = constOf(v);
  return k !== undefined && Object.is(k, c);
};
const isNegZero = (v: Value | undefined) => v?.op === "const" && Object.is(v.constant, -0);
const isSwapLast = (perm: number[]) =>
  perm.length >= 2 &&
  perm.every((d, i) =>
    i < perm.length - 2
      ? d === i
      : d === (i === perm.length - 1 ? perm.length - 2 : perm.length - 1),
  );

const rules: Rewrite = (v, ins, g) => {
  const [a, b] = ins;
  // an operand can stand for the result only if it already has the result's shape and dtype
  const same = (x: Value | undefined) =>
    x && sameShape(x.shape, v.shape) && x.dtype === v.dtype ? x : undefined;
  const add = (op: Value["op"], inputs: Value[], params = v.params) =>
    g.add(op, inputs, params, v.shape, v.dtype);
  switch (v.op) {
    case "mul":
      return isConst(b, 1) ? same(a) : isConst(a, 1) ? same(b) : undefined;
    case "div":
      return isConst(b, 1) ? same(a) : undefined;
    // x + (-0) is x for every x, x + 0 is not (-0 + 0 is +0); x - 0 is x
    case "add":
      return isNegZero(b) ? same(a) : isNegZero(a) ? same(b) : undefined;
    case "sub":
      return isConst(b, 0) ? same(a) : undefined;
    case "neg":
      return a.op === "neg" ? same(a.inputs[0]) : undefined;
    case "where":
      return a.op === "const" ? same(a.constant ? ins[1] : ins[2]) : undefined;
    case "pow": {
      if (!same(a) || !(isConst(b, 2) || isConst(b, 3))) return undefined;
      const sq = add("mul", [a, a], {});
      return isConst(b, 2) ? sq : add("mul", [sq, a], {});
    }
    case "custom": // differentiated by now: the identity on its forward's value
      return a;
    case "cast":
    case "detach":
    case "expand":
      return same(a);
    case "reshape": {
      if (same(a)) return a;
      if (a.op === "reshape") return add("reshape", [a.inputs[0]]);
      // sum(x, dims, keepdim).reshape(shape without those dims) is sum(x, dims)
      if (a.op === "sum" || a.op === "prod" || a.op === "max" || a.op === "min") {
        const p = reduceParams(a);
        if (p.keepdim && sameShape(v.shape, reducedShape(a.inputs[0].shape, p.dims, false)))
          return add(a.op, [a.inputs[0]], { dims: p.dims, keepdim: false });
      }
      return undefined;
    }
    case "permute": {
      const perm = paramsOf(v, "permute").perm;
      if (perm.every((d, i) => d === i)) return same(a);
      if (a.op === "permute") {
        const inner = paramsOf(a, "permute").perm;
        const composed = perm.map((d) => inner[d]);
        return composed.every((d, i) => d === i)
          ? same(a.inputs[0])
          : add("permute", [a.inputs[0]], { perm: composed });
      }
      if (a.op === "matmul" && isSwapLast(perm)) {
        const t = (x: Value) => {
          const p = [...x.shape.keys()];
          [p[p.length - 2], p[p.length - 1]] = [p[p.length - 1], p[p.length - 2]];
          const shape = p.map((d) => x.shape[d]);
          return g.add("permute", [x], { perm: p }, shape, x.dtype);
        };
        const [x, y] = a.inputs;
        if (x.shape.length === perm.length && y.shape.length === perm.length)
          return add("matmul", [t(y), t(x)], {});
      }
      return undefined;
    }
  }
  return undefined;
};

// Rules can enable each other (a folded where exposes x*1), so run to a fixed point.
export function simplify(g: Graph): Graph {
  for (let i = 0; i < 4; i++) {
    const next = rebuild(g, rules);
    if (next.values.length === g.values.length) return next;
    g = next;
  }
  return g;
}
