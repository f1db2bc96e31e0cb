// Fusion: decide which values get buffers, and group the rest into as few loop kernels as the
// iteration spaces allow.
//
// Buffers go to: graph outputs; the operands of kernel ops (matmul: read strided by its kernel)
// and their results, unless the op allows an epilogue and the result's one user is elementwise of
// its shape (it then runs inside the op's kernel: bias add, relu); reductions, unless their one
// user is an elementwise op of the same shape (an epilogue such as mean's division, fused after
// the reduction loop); and elementwise values that several kernels would recompute and whose
// expression is expensive (more than SHARED_RECOMPUTE_OPS ops). Cheap shared values are
// recomputed inside each kernel that reads them: recomputing a few flops costs less than writing
// and re-reading a buffer. Movement ops, pad included, are index maps and never need a buffer of
// their own. Anything a kernel finds it cannot inline (a reshape that is not an index map, a
// second reduction over other loops) gets a buffer and planning restarts. Then each buffered value
// becomes a kernel root, and a root joins an earlier loop kernel with the same iteration space
// when its inputs are ready by then: outputs of one pass come out of one loop. A reduction that
// keeps other dims than a kernel's loops (layer norm's weight gradient beside the row statistics)
// joins as a sibling when the kernel walks each element of its operand once (kernel.ts).
import { type Graph, upstream, users, type Value } from "../ir/graph";
import { allowsEpilogue, defOf, ops, ownKernel, reduceParams } from "../ir/ops";
import { sameShape } from "../ir/shape";
import { KernelBuilder, NeedsBuffer, NeedsSplit, type Refinement } from "./kernel";
import { operandView } from "./operand-view";

const SHARED_RECOMPUTE_OPS = 8;

// A plan's kernels in launch order.
export type Step = KernelBuilder;

export interface Plan {
  steps: Step[];
  buffers: Set<Value>;
}

const kindOf = (v: Value) => (v.op === "input" || v.op === "const" ? v.op : ops[v.op].kind);

export function plan(g: Graph): Plan {
  const uses = users(g);
  const buffers = new Set<Value>(g.values.filter((v) => v.op === "input"));
  for (const v of g.outputs) if (v.op !== "const") buffers.add(v);
  for (const v of g.values) {
    if (v.op === "input" || v.op === "const") continue;
    const def = defOf(v.op);
    // the one user that can run as this value's epilogue: elementwise, of its shape
    const u = uses.get(v)!;
    const epilogue =
      u.length === 1 && kindOf(u[0]) === "elementwise" && sameShape(u[0].shape, v.shape);
    if (ownKernel(def)) {
      // operands are read strided (a transposed or sliced buffer needs no copy); the result needs a
      // buffer unless it can run its consumer as its epilogue
      // (a view of a constant, such as the seed cotangent 1 expanded, is computed into a buffer)
      v.inputs.forEach((x) => {
        const { base } = operandView(x);
        buffers.add(base.op === "const" ? x : base);
      });
      if (!allowsEpilogue(def) || !epilogue) buffers.add(v);
    }
    if (def.kind === "reduce" && !epilogue) buffers.add(v);
    // gather reads its source at computed positions: from a buffer (its index fuses)
    if (def.kind === "gather" && v.inputs[0].op !== "input") buffers.add(v.inputs[0]);
  }
  limitDepth(g, buffers);
  for (;;) {
    let steps: Step[];
    try {
      steps = group(g, buffers);
    } catch (e) {
      if (!(e instanceof NeedsBuffer) || buffers.has(e.value)) throw e;
      buffers.add(e.value);
      continue;
    }
    const recomputed = expensiveRecomputes(g, steps, buffers);
    if (!recomputed.length) return { steps, buffers };
    recomputed.forEach((v) => buffers.add(v));
  }
}

// A kernel inlines a value's whole expression down to buffers; a chain of thousands of ops would
// make one huge function (and a deep recursion building it). Every FUSED_DEPTH ops along a chain,
// the value gets a buffer: a long chain becomes several kernels, each FUSED_DEPTH deep at most.
const FUSED_DEPTH = 256;
// Loop splits a kernel may ask for before the value it reads through a reshape gets a buffer.
const MAX_SPLITS = 8;
// A kernel stores at most this many values (a merge rebuilds the kernel from all its roots).
const MAX_ROOTS = 16;
function limitDepth(g: Graph, buffers: Set<Value>): void {
  const depth = new Map<Value, number>();
  for (const v of g.values) {
    if (buffers.has(v) || v.op === "input" || v.op === "const") continue;
    const d = 1 + Math.max(0, ...v.inputs.map((x) => depth.get(x) ?? 0));
    if (d >= FUSED_DEPTH) buffers.add(v);
    else depth.set(v, d);
  }
}

// Elementwise values that several kernels would each recompute, and that cost more than
// SHARED_RECOMPUTE_OPS ops: they get a buffer. (Several roots of one kernel share one computation.)
function expensiveRecomputes(g: Graph, steps: Step[], buffers: Set<Value>): Value[] {
  const kernelOf = new Map<Value, number>();
  steps.forEach((s, i) => s.roots.forEach((r) => kernelOf.set(r, i)));
  const reachedBy = new Map<Value, Set<number>>();
  for (const [root, k] of kernelOf) {
    const stack = [...root.inputs];
    while (stack.length) {
      const x = stack.pop()!;
      if (buffers.has(x) || x.op === "const") continue;
      const seen = reachedBy.get(x) ?? new Set<number>();
      if (seen.has(k)) continue;
      seen.add(k);
      reachedBy.set(x, seen);
      stack.push(...x.inputs);
    }
  }
  return g.values.filter(
    (v) =>
      kindOf(v) === "elementwise" &&
      (reachedBy.get(v)?.size ?? 0) > 1 &&
      cost(v, buffers) > SHARED_RECOMPUTE_OPS,
  );
}

// Elementwise ops a value's expression expands to when inlined.
function cost(v: Value, buffers: Set<Value>): number {
  const inlined = upstream([v], (x) => buffers.has(x));
  return [...inlined].filter((x) => !buffers.has(x) && kindOf(x) === "elementwise").length;
}

// Values whose exact float32 bits matter: everything that feeds an equality test or a max/min
// (whose gradient tests its operand for equality with the result), or a rounding op (floor,
// fmod, ...: a jump at integers, where a double intermediate could land on the other side). Kernels round these to float32
// at every step, so a copy recomputed in one kernel equals the copy another kernel stored; other
// values stay in double until stored, which is faster and no less accurate.
const JUMPS = new Set(["floor", "ceil", "round", "trunc", "fmod", "remainder", "divFloor"]);
function exactValues(g: Graph): Set<Value> {
  const tested = g.values.filter(
    (v) => v.op === "eq" || v.op === "ne" || v.op === "max" || v.op === "min" || JUMPS.has(v.op),
  );
  return upstream(tested.flatMap((v) => v.inputs));
}

function group(g: Graph, buffers: Set<Value>): Step[] {
  const exact = exactValues(g);
  const steps: Step[] = [];
  const producer = new Map<Value, number>(); // buffer -> index of the step that writes it
  // a kernel computes its own roots where it needs them rather than loading what it writes
  // (rebuilt with its loops split where a reshape asks for it: a few times at most, else the
  // reshaped value gets a buffer)
  const build = (roots: Value[]) => {
    let refine: Refinement = new Map();
    for (let tries = 0; ; tries++) {
      try {
        const b = new KernelBuilder(
          spaceOf(roots[0]),
          (x) => buffers.has(x) && !roots.includes(x),
          exact,
          refine,
        );
        for (const r of roots) if (!b.addRoot(r)) return null;
        return b;
      } catch (e) {
        if (!(e instanceof NeedsSplit)) throw e;
        if (tries >= MAX_SPLITS) throw new NeedsBuffer(e.value);
        refine = e.refine;
      }
    }
  };
  // merges a value into the latest step from `ready` on that takes it: its index, or -1
  const place = (
    steps: Step[],
    ready: number,
    roots: (s: Step) => Value[],
    sibling: boolean,
  ): number => {
    for (let i = steps.length - 1; i >= ready; i--) {
      const s = steps[i];
      if (s.product) continue; // a kernel op's kernel is its own loop nest
      if (s.roots.length >= MAX_ROOTS) continue; // rebuilding ever larger kernels is quadratic
      let merged: KernelBuilder | null = null;
      try {
        merged = build(roots(s));
      } catch (e) {
        if (!(e instanceof NeedsBuffer)) throw e;
      }
      // a merge makes a sibling only when asked to (a root of the kernel's own loops runs faster)
      if (!merged || merged.siblingCount() > s.siblingCount() + (sibling ? 1 : 0)) continue;
      if ([...merged.reads].some((r) => merged!.roots.includes(r))) continue;
      steps[i] = merged;
      return i;
    }
    return -1;
  };
  for (const v of g.values) {
    if (!buffers.has(v) || v.op === "input" || v.op === "const") continue;
    const alone = build([v])!; // throws NeedsBuffer to the planner when v's expression can't be inlined
    if (alone.product) {
      producer.set(v, steps.push(alone) - 1); // a kernel op's kernel is its own loop nest
      continue;
    }
    // the kernel that writes one of v's inputs can take v too, if v reads it at the same point
    // (the merged build then uses the value directly instead of loading it)
    const ready = Math.max(0, ...[...alone.reads].map((r) => producer.get(r) ?? 0));
    const reduce = kindOf(v) === "reduce";
    // a reduction joins as the first root (its loops shape the kernel), anything else as the last;
    // failing that, a reduction joins as a sibling (kernel.ts) of a kernel whose loops walk its
    // operand (after the other roots, which keep their loops)
    // (first as a sibling when its own loops would walk memory strided: it keeps the last dim)
    const joins = (s: Step) => (reduce ? [v, ...s.roots] : [...s.roots, v]);
    const sibling = (s: Step) => [...s.roots, v];
    let placed = -1;
    if (reduce && keepsLast(v)) placed = place(steps, ready, sibling, true);
    if (placed < 0) placed = place(steps, ready, joins, false);
    if (placed < 0 && reduce) placed = place(steps, ready, sibling, true);
    producer.set(v, placed >= 0 ? placed : steps.push(alone) - 1);
  }
  return steps;
}

// A reduction that keeps its operand's last dim (a column sum): its own loops would read the
// operand with a stride in the innermost loop.
function keepsLast(v: Value): boolean {
  const x = v.inputs[0],
    last = x.shape.length - 1;
  return last >= 0 && x.shape[last] > 1 && !reduceParams(v).dims.includes(last);
}

// The outer loops of a kernel rooted at v: v's own shape (a reduction's output shape included).
const spaceOf = (v: Value) => [...v.shape];
