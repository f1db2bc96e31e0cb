// One pass when the cotangent is known. For a compiled function whose only output is a scalar that
// requires grad, the gradient is linear in the output's cotangent c: grad(c) = c * grad(1). So the
// forward can also compute grad(1) in the same fused loops, and backward() only scales it by c
// (or hands it over as is for c = 1, the usual loss.backward()).
//
// Whether that pays is a cost model over the programs (cost = elements read and written at the
// program's boundary + LAUNCH elements per kernel launch). If backward() follows, one pass costs
// `fused` instead of `forward + backward`; if it never comes, it wasted `fused - forward` (it wrote
// gradients nobody asked for). One pass is chosen when the waste is at most the saving:
//     fused - forward <= forward + backward - fused,   i.e.   2 fused <= 2 forward + backward,
// the break-even at even odds that backward() is called (for a scalar that requires grad it nearly
// always is, so the rule is conservative). It fails when fusion does not pay off, e.g. when the
// gradients are much larger than what the two passes move together.
import { Graph, type Value } from "../ir/graph";
import { numel } from "../ir/shape";
import type { Program } from "./program";

const LAUNCH = 64; // a kernel launch costs about as much as moving this many elements

// The joint graph with its (single) cotangent input replaced by the constant 1: primals -> user
// output ++ gradients. The caller optimizes it (fold, simplify, cse, dce).
export function unitCotangent(joint: Graph, nPrimals: number): Graph {
  const g = new Graph(),
    map = new Map<Value, Value>();
  for (const v of joint.inputs.slice(0, nPrimals)) map.set(v, g.input(v.shape, v.dtype));
  const ct = joint.inputs[nPrimals],
    one = g.constant(1, ct.dtype);
  map.set(
    ct,
    ct.shape.length ? g.add("expand", [one], { shape: ct.shape }, ct.shape, ct.dtype) : one,
  );
  for (const v of joint.values) {
    if (map.has(v)) continue;
    map.set(
      v,
      v.op === "const"
        ? g.constant(v.constant!, v.dtype)
        : g.add(
            v.op,
            v.inputs.map((x) => map.get(x)!),
            v.params,
            v.shape,
            v.dtype,
          ),
    );
  }
  g.outputs = joint.outputs.map((v) => map.get(v)!);
  return g;
}

// Whether the compiled function qualifies: one user output, a float scalar, the one with a cotangent.
export function scalarLoss(outputs: Value[], nOut: number, diffOut: number[]): boolean {
  return nOut === 1 && diffOut.length === 1 && numel(outputs[0].shape) === 1;
}

const cost = (p: Program) => {
  let n = p.kernels * LAUNCH;
  for (const v of p.graph.inputs) n += numel(v.shape);
  for (const v of p.graph.outputs) n += v.op === "const" ? 0 : numel(v.shape);
  return n;
};

// The rule above.
export function prefersOnePass(fused: Program, forward: Program, backward: Program): boolean {
  return 2 * cost(fused) <= 2 * cost(forward) + cost(backward);
}
