// The autograd node of a compiled function's outputs: CompiledFunctionBackward runs the compiled
// backward program on what the forward saved, after checking that nothing it reads was updated in
// place since, and lets the saved buffers go when the graph is released. One object per call, no
// closures: what is the same for every call (programs, slots, shapes) lives in the binding.
import type { Storage } from "../ir/dtype";
import { torchTypeName } from "../ir/dtype";
import type { Graph, Value } from "../ir/graph";
import {
  type Edge,
  isCreatingGraph,
  isRetainingGraph,
  Node,
  SECOND_BACKWARD,
} from "../runtime/autograd";
import { empty } from "../runtime/dispatch";
import type { Tensor } from "../runtime/tensor";
import type { Program } from "./program";
import { replay } from "./replay";
import { storageOf, wrap } from "./run";

export interface BackwardBinding {
  backward: Program; // saved ++ primal inputs it reads ++ cotangents -> gradients
  outputs: Value[]; // the joint graph's user outputs (shapes and dtypes of zero cotangents)
  diffOut: number[]; // the user outputs that get a cotangent, in the backward's cotangent order
  readSlots: number[]; // primal input slots the backward reads
  savedOutputs: number[]; // user outputs whose storage the backward reads as saved values
  joint: Graph; // primals ++ cotangents -> user outputs ++ updated inputs ++ gradients
  wrtSlots: number[]; // the primal input slots that get a gradient
  inputs: { shape: readonly number[]; dtype: Tensor["dtype"] }[]; // of the wrt inputs
  // one pass (one-pass.ts): the forward also computed the gradients for cotangent 1: their values
  // and which are buffers of their own (handed over without a copy)
  onePass: { values: Value[]; own: boolean[] } | null;
}

// The version check of PyTorch's saved variables, in its words.
export function modifiedError(t: Tensor, k: number, nRead: number, expected: number): Error {
  return new Error(
    `one of the variables needed for gradient computation has been modified by an inplace operation: [${torchTypeName[t.dtype]} [${t.shape.join(", ")}]], which is ${k < nRead ? "an input" : "an output"} of CompiledFunctionBackward, is at version ${t.version.n}; expected version ${expected} instead.`,
  );
}

class CompiledFunctionBackward extends Node {
  constructor(
    next: (Edge | null)[],
    private readonly b: BackwardBinding,
    private readonly reads: Tensor[], // primal inputs read, then user outputs read as saved
    private readonly versions: number[],
    private saved: Storage[] | null, // the forward's saved buffers (one pass: the gradients)
    private readonly primals: Tensor[], // the call's inputs (a copy), for a createGraph replay
  ) {
    super("CompiledFunctionBackward", next, b.inputs, () => []);
  }
  apply(gs: (Tensor | undefined)[]): (Tensor | null)[] {
    const { b, reads, versions } = this,
      saved = this.saved;
    if (this.released || !saved) throw new Error(SECOND_BACKWARD);
    // with createGraph the gradients need a graph: the joint graph runs again op by op, recorded
    if (isCreatingGraph()) {
      const cts = b.diffOut.map((i, k) => gs[k] ?? zeros(b.outputs[i]));
      // (the gradients are the joint graph's last outputs, after any updated inputs)
      const joint = b.joint.outputs;
      return replay(
        b.joint,
        [...this.primals, ...cts],
        joint.slice(joint.length - b.wrtSlots.length),
      );
    }
    const nRead = b.readSlots.length;
    for (let k = 0; k < reads.length; k++)
      if (reads[k].version.n !== versions[k]) throw modifiedError(reads[k], k, nRead, versions[k]);
    if (b.onePass) return this.scaled(saved, gs[0]);
    // outputs that fed nothing get zero cotangents: a zeroed buffer, no kernel
    const given: Storage[] = saved.slice();
    for (let k = 0; k < nRead; k++) given.push(storageOf(reads[k]));
    b.diffOut.forEach((i, k) => {
      given.push(storageOf(gs[k] ?? empty(b.outputs[i].shape, b.outputs[i].dtype)));
    });
    const gradStorages = b.backward.run(given);
    return b.backward.graph.outputs.map((v, k) => {
      const t = wrap(gradStorages[k], v);
      t.fresh =
        gradStorages.indexOf(gradStorages[k]) === k &&
        gradStorages.lastIndexOf(gradStorages[k]) === k &&
        !given.includes(gradStorages[k]);
      return t;
    });
  }
  // The gradients for cotangent c are c times those for 1 (the function is a scalar, its gradient
  // linear in c): for c = 1 handed over as they are, once, when the graph is released after this
  // backward (so nothing else ever sees the buffers); scaled or copied otherwise.
  private scaled(grads: Storage[], ct: Tensor | undefined): (Tensor | null)[] {
    const { values, own } = this.b.onePass!,
      c = ct ? storageOf(ct)[0] : 0,
      handOver = c === 1 && !isRetainingGraph();
    const out = new Array<Tensor | null>(grads.length);
    for (let k = 0; k < grads.length; k++) {
      const s = handOver && own[k] ? grads[k] : grads[k].slice();
      if (c !== 1) for (let i = 0; i < s.length; i++) s[i] *= c;
      const t = wrap(s, values[k]);
      t.fresh = true;
      out[k] = t;
    }
    return out;
  }
  release(): void {
    super.release();
    this.saved = null;
  }
}

const zeros = (v: Value) => {
  const t = empty(v.shape, v.dtype);
  t.storage!.fill(0);
  return t;
};

// Makes the node for one call: `user` are the call's output tensors, `saved` the forward's saved
// buffers; the outputs listed in diffOut get the node as their gradFn.
export function attachBackward(
  b: BackwardBinding,
  primals: Tensor[],
  user: Tensor[],
  savedBuffers: Storage[],
): void {
  // inputs the backward reads, and user outputs whose storage it reads as saved values, must not change
  const nRead = b.readSlots.length,
    reads = new Array<Tensor>(nRead + b.savedOutputs.length),
    versions = new Array<number>(reads.length);
  for (let k = 0; k < nRead; k++) reads[k] = primals[b.readSlots[k]];
  for (let k = 0; k < b.savedOutputs.length; k++) reads[nRead + k] = user[b.savedOutputs[k]];
  for (let k = 0; k < reads.length; k++) versions[k] = reads[k].version.n;
  const next = new Array<Edge>(b.wrtSlots.length);
  for (let k = 0; k < next.length; k++) next[k] = primals[b.wrtSlots[k]].gradEdge();
  const node = new CompiledFunctionBackward(
    next,
    b,
    reads,
    versions,
    savedBuffers,
    primals.slice(),
  );
  for (let k = 0; k < b.diffOut.length; k++) {
    const t = user[b.diffOut[k]];
    t.gradFn = node;
    t.outputIndex = k;
  }
}
