// The autograd node of a compiled function's outputs: CompiledFunctionBackward runs the compiled
// backward program on what the forward saved, after checking that nothing it reads was updated in
// place since, and lets the saved buffers go when the graph is released.
import type { Storage } from "../ir/dtype";
import { torchTypeName } from "../ir/dtype";
import type { Graph, Value } from "../ir/graph";
import { isCreatingGraph, Node, SECOND_BACKWARD } from "../runtime/autograd";
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
  joint: Graph; // forward and backward: primals ++ cotangents -> user outputs ++ gradients
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
  wrt: Tensor[],
  user: Tensor[],
  savedBuffers: Storage[],
): void {
  let saved: Storage[] | null = savedBuffers;
  // inputs the backward reads, and user outputs whose storage it reads as saved values, must not change
  const reads = [...b.readSlots.map((s) => primals[s]), ...b.savedOutputs.map((i) => user[i])];
  const versions = reads.map((t) => t.version.n);
  const nRead = b.readSlots.length;
  const node: Node = new Node(
    "CompiledFunctionBackward",
    wrt.map((t) => t.gradEdge()),
    wrt.map((t) => ({ shape: t.shape, dtype: t.dtype })),
    (_, gs) => {
      if (node.released || !saved) throw new Error(SECOND_BACKWARD);
      // with createGraph the gradients need a graph: the joint graph runs again op by op, recorded
      if (isCreatingGraph())
        return replay(
          b.joint,
          [...primals, ...b.diffOut.map((i, k) => gs[k] ?? zeros(b.outputs[i]))],
          // (the gradients are the joint graph's last outputs, after any updated inputs)
          b.joint.outputs.slice(b.joint.outputs.length - wrt.length),
        );
      reads.forEach((t, k) => {
        if (t.version.n !== versions[k]) {
          throw new Error(
            `one of the variables needed for gradient computation has been modified by an inplace operation: [${torchTypeName[t.dtype]} [${t.shape.join(", ")}]], which is ${k < nRead ? "an input" : "an output"} of CompiledFunctionBackward, is at version ${t.version.n}; expected version ${versions[k]} instead.`,
          );
        }
      });
      // outputs that fed nothing get zero cotangents: a zeroed buffer, no kernel
      const cts = b.diffOut.map((i, k) =>
        storageOf(gs[k] ?? empty(b.outputs[i].shape, b.outputs[i].dtype)),
      );
      const given = [...saved, ...reads.slice(0, nRead).map(storageOf), ...cts];
      const gradStorages = b.backward.run(given);
      return b.backward.graph.outputs.map((v, k) => {
        const t = wrap(gradStorages[k], v);
        t.fresh =
          gradStorages.indexOf(gradStorages[k]) === k &&
          gradStorages.lastIndexOf(gradStorages[k]) === k &&
          !given.includes(gradStorages[k]);
        return t;
      });
    },
  );
  const release = node.release.bind(node);
  node.release = () => {
    release();
    saved = null;
  };
  b.diffOut.forEach((i, k) => {
    user[i].gradFn = node;
    user[i].outputIndex = k;
  });
}
