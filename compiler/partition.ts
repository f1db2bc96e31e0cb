// Splitting a joint forward+backward graph in two. The backward needs some forward values; each
// is either saved (the forward outputs it) or recomputed inside the backward from what is saved.
// The rule, AOTAutograd's in spirit, with this machine's costs: arithmetic and movement values are
// recomputed, since fused into the backward's loops they cost a few flops while saving costs a
// write and a read per element; transcendental values (the op table marks them costly: tanh, exp,
// ...) cost more to recompute than to save, and reductions, matmuls and pads would repeat whole
// loops, so those are saved.
import { Graph, type Value } from "../ir/graph";
import { type Elementwise, ops } from "../ir/ops";

const BACKWARD_RECOMPUTE_OPS = 64; // ops in one recomputed expression before we save it instead

// A new graph computing `outputs` from `inputs` (values of `src` that become its inputs, in order).
export function extract(
  outputs: Value[],
  inputs: Value[],
): { graph: Graph; map: Map<Value, Value> } {
  const g = new Graph(),
    map = new Map<Value, Value>();
  for (const v of inputs) map.set(v, g.input(v.shape, v.dtype));
  // operands first, in order (an explicit stack: graphs of any depth)
  const copy = (root: Value): Value => {
    const stack: [Value, boolean][] = [[root, false]];
    while (stack.length) {
      const [v, operandsDone] = stack.pop()!;
      if (map.has(v)) continue;
      if (v.op === "input")
        throw new Error(`internal: %${v.id} is an input the extracted graph was not given`);
      if (!operandsDone) {
        stack.push([v, true]);
        for (let i = v.inputs.length - 1; i >= 0; i--) stack.push([v.inputs[i], false]);
        continue;
      }
      const ins = v.inputs.map((x) => map.get(x)!);
      map.set(v, g.add(v.op, ins, v.params, v.shape, v.dtype, v.constant));
    }
    return map.get(root)!;
  };
  g.outputs = outputs.map(copy);
  return { graph: g, map };
}

export interface Partition {
  forward: Graph; // primal inputs -> user outputs ++ saved
  backward: Graph; // saved ++ primal inputs it reads ++ cotangents -> gradients
  saved: Value[]; // joint-graph values the forward outputs for the backward
  primalsRead: Value[]; // primal inputs the backward reads (version-checked at backward time)
  notes: { forward: Map<Value, string>; backward: Map<Value, string> }; // explain()'s annotations
}

export function partition(
  joint: Graph,
  primals: Value[],
  cotangents: Value[],
  userOutputs: Value[],
  grads: Value[],
): Partition {
  // backward values are those that depend on a cotangent
  const tangent = new Set<Value>(cotangents);
  for (const v of joint.values) if (v.inputs.some((i) => tangent.has(i))) tangent.add(v);
  const saved = new Set<Value>(),
    primalsRead = new Set<Value>(),
    reasons = new Map<Value, string>();
  const seen = new Set<Value>();
  // whether recomputing v means more than `limit` ops (counting stops there)
  const longer = (v: Value, limit: number): boolean => {
    const memo = new Set<Value>(),
      stack = [v];
    while (stack.length) {
      const x = stack.pop()!;
      if (memo.has(x) || x.op === "input" || x.op === "const") continue;
      memo.add(x);
      if (memo.size > limit) return true;
      stack.push(...x.inputs);
    }
    return false;
  };
  // depth first from f, in operand order (an explicit stack: graphs of any depth)
  const need = (root: Value) => {
    const stack = [root];
    while (stack.length) visit(stack.pop()!, stack);
  };
  const visit = (f: Value, stack: Value[]) => {
    if (seen.has(f) || tangent.has(f)) return;
    seen.add(f);
    if (f.op === "const") return;
    if (f.op === "input") {
      primalsRead.add(f);
      return;
    }
    const def = ops[f.op],
      kind = def.kind;
    const cheap = kind === "movement" || (kind === "elementwise" && !(def as Elementwise).costly);
    if (cheap && !longer(f, BACKWARD_RECOMPUTE_OPS)) {
      for (let i = f.inputs.length - 1; i >= 0; i--) stack.push(f.inputs[i]);
      return;
    }
    saved.add(f);
    reasons.set(
      f,
      `saved for backward: ${
        cheap
          ? "too long to recompute"
          : kind === "elementwise"
            ? `${f.op} is costly to recompute (more than writing and re-reading it)`
            : `a ${kind === "kernel" ? f.op : kind} result (recomputing it would repeat its loops)`
      }`,
    );
  };
  for (const v of joint.values) if (tangent.has(v)) v.inputs.forEach(need);
  grads.forEach(need);
  const savedList = [...saved],
    primalList = primals.filter((p) => primalsRead.has(p));
  const f = extract([...userOutputs, ...savedList], primals),
    b = extract(grads, [...savedList, ...primalList, ...cotangents]);
  const notes = { forward: new Map<Value, string>(), backward: new Map<Value, string>() };
  for (const [v, why] of reasons) notes.forward.set(f.map.get(v)!, why);
  for (const [v, c] of b.map) {
    if (v.op !== "input" && v.op !== "const" && !tangent.has(v) && !saved.has(v))
      notes.backward.set(c, "recomputed from forward inputs (cheap to fuse, so not saved)");
  }
  savedList.forEach((v) => notes.backward.set(b.map.get(v)!, "saved by the forward"));
  return { forward: f.graph, backward: b.graph, saved: savedList, primalsRead: primalList, notes };
}
