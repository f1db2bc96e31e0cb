// The eager autograd engine: grad mode, GradFn nodes with PyTorch's names, and backward().

import { torchTypeName } from "../ir/dtype";
import type { Tensor } from "./tensor";

// ---- grad mode ----
let gradEnabled = true;
/** Whether ops record gradients now (false inside {@link noGrad}). */
export const isGradEnabled = () => gradEnabled;
function withGradMode<T>(mode: boolean, fn: () => T): T {
  if (typeof fn !== "function")
    throw new TypeError(
      `${mode ? "enableGrad" : "noGrad"}(): expected a function to run, got ${fn === null ? "null" : typeof fn}`,
    );
  const prev = gradEnabled;
  gradEnabled = mode;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}
/** Runs `fn` without recording gradients (PyTorch's `torch.no_grad()`) and returns its result. */
export const noGrad = <T>(fn: () => T): T => withGradMode(false, fn);
/** Runs `fn` recording gradients, even inside {@link noGrad}, and returns its result. */
export const enableGrad = <T>(fn: () => T): T => withGradMode(true, fn);

// ---- nodes ----
// An edge names the node a gradient flows to and which of that node's outputs it is for
// (PyTorch's next_functions entries); only compiled functions have more than one output.
export type Edge = [Node, number];
let nodeCount = 0;
/**
 * A node of the autograd graph (PyTorch's `grad_fn`), named as PyTorch names it (`AddBackward0`,
 * ...).
 */
export class Node {
  /** @internal */
  released = false;
  // A fake, stable stand-in for the object address CPython prints: `<AddBackward0 object at 0x...>`.
  /** @internal */
  readonly address = 0x7f0000000000 + 0x40 * ++nodeCount;
  constructor(
    /** PyTorch's name of the backward function, such as `AddBackward0`. */
    readonly name: string,
    /** @internal */
    readonly next: (Edge | null)[], // where each input's gradient flows
    /** @internal */
    readonly inputs: { shape: readonly number[]; dtype: Tensor["dtype"] }[],
    private readonly backwardFn: (g: Tensor, all: (Tensor | undefined)[]) => (Tensor | null)[],
  ) {}
  /**
   * The nodes the gradients of this node's inputs flow to, with output indices (PyTorch's
   * `next_functions`).
   */
  get nextFunctions(): [Node | null, number][] {
    return this.next.map((e) => e ?? [null, 0]);
  }
  // gs[k]: the gradient for output k (undefined when none reached it)
  /** @internal */
  apply(gs: (Tensor | undefined)[]): (Tensor | null)[] {
    return this.backwardFn(gs[0]!, gs);
  }
  /** @internal */
  release(): void {
    this.released = true;
  }
  toString() {
    return `<${this.name} object at 0x${this.address.toString(16)}>`;
  }
  [Symbol.for("nodejs.util.inspect.custom")]() {
    return this.toString();
  }
}

export class AccumulateGrad extends Node {
  constructor(readonly variable: Tensor) {
    super("AccumulateGrad", [], [], () => []);
  }
}

export const SECOND_BACKWARD =
  "Trying to backward through the graph a second time (or directly access saved tensors after they have already been freed). Saved intermediate values of the graph are freed when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or if you need to access saved tensors after calling backward.";

// Saved tensors are read through getters, so a VJP rule that reads one after the graph was
// freed, or after an in-place op changed it, fails with PyTorch's error, and one that does not
// read it (add's) is free to run again, as in PyTorch.
export function savedTensors(
  node: () => Node,
  tensors: Tensor[],
  kind: (i: number) => string,
): Tensor[] {
  const versions = tensors.map((t) => t.version.n);
  const out: Tensor[] = [];
  tensors.forEach((t, i) =>
    Object.defineProperty(out, i, {
      enumerable: true,
      get() {
        if (node().released && !t.wrapped) throw new Error(SECOND_BACKWARD);
        if (t.version.n !== versions[i]) {
          throw new Error(
            `one of the variables needed for gradient computation has been modified by an inplace operation: [${torchTypeName[t.dtype]} [${t.shape.join(", ")}]]${kind(i)} is at version ${t.version.n}; expected version ${versions[i]} instead. Hint: enable anomaly detection to find the operation that failed to compute its gradient, with torch.autograd.set_detect_anomaly(True).`,
          );
        }
        return t;
      },
    }),
  );
  out.length = tensors.length;
  return out;
}

// ---- the engine ----
// composite nodes run an inner backward with the caller's retainGraph and createGraph
let retaining = false,
  creating = false;
export const isRetainingGraph = () => retaining;
export const isCreatingGraph = () => creating;

export interface Hooks {
  sumTo: (g: Tensor, shape: readonly number[]) => Tensor;
  cast: (g: Tensor, dtype: Tensor["dtype"]) => Tensor;
  accumulate: (leaf: Tensor, g: Tensor) => void;
}
export interface BackwardOptions {
  retainGraph: boolean;
  // the backward's own ops are recorded (grad mode on), so its gradients have a grad_fn
  createGraph: boolean;
  capture?: Capture;
}
// autograd.grad style: the gradient flowing into each edge is captured in `grads` (null when none
// reaches it); a captured node is not run unless another capture lies past it. accumulate: whether
// gradients reaching other leaves land in their .grad (backward inside a composite node) or are
// dropped (autograd.grad, which runs only the nodes that lead to a capture). stop: the walk ends at
// the captures (a composite's stand-ins, whose inputs' graph is the caller's business).
export interface Capture {
  edges: Edge[];
  grads: (Tensor | null)[];
  accumulate: boolean;
  stop: boolean;
}

// Runs backward from `roots` seeded with `grads`; gradients reaching an AccumulateGrad land in its
// leaf's .grad unless captured.
export function runBackward(roots: Edge[], grads: Tensor[], opts: BackwardOptions, hooks: Hooks) {
  const { retainGraph, createGraph, capture } = opts;
  if (!capture && !createGraph && roots.length === 1) {
    if (leafOnlyBackward(roots[0], grads[0], retainGraph, hooks)) return;
  }
  const captured = new Map<Node, number[]>(); // node -> the capture entries at its outputs
  capture?.edges.forEach(([n], i) => captured.set(n, [...(captured.get(n) ?? []), i]));
  // count, for each node, how many edges lead into it, so a node runs once all its gradients are in
  const pending = new Map<Node, number>();
  const stack = roots.map(([n]) => n);
  const seen = new Set<Node>(stack);
  const order: Node[] = [];
  while (stack.length) {
    const n = stack.pop()!;
    order.push(n);
    if (capture?.stop && captured.has(n)) continue;
    for (const e of n.next) {
      if (!e) continue;
      const m = e[0];
      pending.set(m, (pending.get(m) ?? 0) + 1);
      if (!seen.has(m)) {
        seen.add(m);
        stack.push(m);
      }
    }
  }
  const runs = nodesToRun(order, pending, captured, capture);
  const buffers = new Map<Node, (Tensor | undefined)[]>();
  const add = ([n, k]: Edge, g: Tensor) => {
    const gs = buffers.get(n) ?? [];
    gs[k] = gs[k] ? gs[k]!.add(g) : g;
    buffers.set(n, gs);
  };
  roots.forEach((r, i) => add(r, grads[i]));
  const ready = [...new Set(roots.map(([n]) => n))].filter((n) => !pending.get(n));
  const prev = [retaining, creating];
  retaining = retainGraph;
  creating = createGraph;
  const step = () => {
    while (ready.length) {
      const n = ready.pop()!;
      const gs = buffers.get(n);
      buffers.delete(n);
      for (const i of captured.get(n) ?? []) capture!.grads[i] = gs?.[capture!.edges[i][1]] ?? null;
      if (n instanceof AccumulateGrad) {
        const g = gs?.[0];
        if (g && !captured.has(n) && (!capture || capture.accumulate))
          hooks.accumulate(n.variable, g);
        continue;
      }
      const run = (!runs || runs.has(n)) && !(capture?.stop && captured.has(n));
      const out = run && gs ? n.apply(gs) : []; // a node that got no gradient passes none on
      n.next.forEach((e, i) => {
        if (!e || (capture?.stop && captured.has(n))) return;
        const m = e[0];
        let gi = out[i];
        if (gi) {
          const want = n.inputs[i];
          gi = hooks.cast(hooks.sumTo(gi, want.shape), want.dtype);
          add(e, gi);
        }
        const left = pending.get(m)! - 1;
        pending.set(m, left);
        if (left === 0) ready.push(m);
      });
      if (run && !retainGraph) n.release();
    }
  };
  try {
    if (createGraph) enableGrad(step);
    else noGrad(step);
  } finally {
    [retaining, creating] = prev;
  }
}

// The nodes backward runs: all of them (null), or (autograd.grad without accumulation) those from
// which a capture is reached past the node itself. `order` lists every node after the ones leading to it
// that were found first, so a reverse sweep over a topological order (Kahn's, from the counts)
// sees a node's successors before the node.
function nodesToRun(
  order: Node[],
  pending: Map<Node, number>,
  captured: Map<Node, number[]>,
  capture: Capture | undefined,
): Set<Node> | null {
  if (!capture || capture.accumulate) return null;
  const left = new Map(pending),
    topo: Node[] = order.filter((n) => !left.get(n));
  for (let i = 0; i < topo.length; i++)
    for (const e of topo[i].next) {
      if (!e) continue;
      const k = left.get(e[0])! - 1;
      left.set(e[0], k);
      if (k === 0) topo.push(e[0]);
    }
  const leads = new Set<Node>(); // a capture is this node or past it
  const runs = new Set<Node>(); // a capture is strictly past it
  for (let i = topo.length - 1; i >= 0; i--) {
    const n = topo[i];
    if (n.next.some((e) => e && leads.has(e[0]))) runs.add(n);
    if (runs.has(n) || captured.has(n)) leads.add(n);
  }
  return runs;
}

// The engine's fast path, for a root node whose inputs are all distinct leaves (a compiled
// function of parameters, one op on leaves): run it and accumulate, without counting dependencies
// or buffering gradients. False (nothing done) when the graph is any other shape.
function leafOnlyBackward([n, k]: Edge, grad: Tensor, retainGraph: boolean, hooks: Hooks): boolean {
  if (n instanceof AccumulateGrad) return false;
  const next = n.next;
  for (let i = 0; i < next.length; i++) {
    const e = next[i];
    if (!e) continue;
    if (!(e[0] instanceof AccumulateGrad)) return false;
    for (let j = 0; j < i; j++) if (next[j]?.[0] === e[0]) return false;
  }
  const gs = new Array<Tensor | undefined>(k + 1).fill(undefined); // no holes (Object.prototype)
  gs[k] = grad;
  const prevRetain = retaining,
    prevCreate = creating,
    prevGrad = gradEnabled;
  retaining = retainGraph;
  creating = false;
  gradEnabled = false;
  try {
    const out = n.apply(gs);
    for (let i = 0; i < next.length; i++) {
      const e = next[i],
        gi = out[i];
      if (!e || !gi) continue;
      const want = n.inputs[i];
      hooks.accumulate(
        (e[0] as AccumulateGrad).variable,
        hooks.cast(hooks.sumTo(gi, want.shape), want.dtype),
      );
    }
    if (!retainGraph) n.release();
  } finally {
    retaining = prevRetain;
    creating = prevCreate;
    gradEnabled = prevGrad;
  }
  return true;
}
