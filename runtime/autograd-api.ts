// The `autograd` namespace: custom Functions and autograd.grad (PyTorch's torch.autograd.grad):
// the gradients of outputs with respect to given tensors, returned instead of accumulated.
import { fmtShape, sameShape } from "../ir/shape";
import * as arg from "./args";
import { type Capture, runBackward } from "./autograd";
import { activeTrace, empty } from "./dispatch";
import { CompileError } from "./errors";
import { engineHooks, Tensor } from "./tensor";

export { Function, FunctionCtx } from "./function";

/** Options of {@link grad}, PyTorch's keyword arguments in camelCase. */
export interface GradOptions {
  /** The "vector" of the vector-Jacobian product: one per output (null: ones, scalar outputs). */
  gradOutputs?: Tensor | (Tensor | null)[] | null;
  /** Keep the graph for another backward (default: `createGraph`). */
  retainGraph?: boolean;
  /** Record the backward's ops, so the gradients can be differentiated again (default false). */
  createGraph?: boolean;
  /** An input no output depends on gets null instead of an error (default false). */
  allowUnused?: boolean;
}

const UNUSED =
  "One of the differentiated Tensors appears to not have been used in the graph. Set allow_unused=True if this is the desired behavior.";

/**
 * The gradients of `outputs` (weighted by `gradOutputs`) with respect to each of `inputs`, as an
 * array in the order of `inputs`; no `.grad` is touched. With `createGraph` the gradients have a
 * `gradFn`, for higher-order derivatives. An input no output depends on is an error, or null with
 * `allowUnused`.
 */
export function grad(
  outputs: Tensor | Tensor[],
  inputs: Tensor | Tensor[],
  opts?: GradOptions,
): (Tensor | null)[] {
  const outs = tensorList(outputs, "outputs");
  const ins = tensorList(inputs, "inputs");
  const o = arg.options(opts, "grad", ["gradOutputs", "retainGraph", "createGraph", "allowUnused"]);
  const flag = (v: unknown, name: string, dflt: boolean) =>
    v === undefined ? dflt : arg.bool(v, "grad", name);
  const createGraph = flag(o.createGraph, "createGraph", false);
  const retainGraph = flag(o.retainGraph, "retainGraph", createGraph);
  const allowUnused = flag(o.allowUnused, "allowUnused", false);
  const given = gradOutputList(o.gradOutputs, outs.length);
  if (activeTrace() || [...outs, ...ins].some((t) => !t.storage))
    throw new CompileError(
      "autograd.grad() cannot run inside compile(); use grad()/valueAndGrad(), which nest",
    );
  const seeds = outs.map((out, i) => {
    const g = given[i];
    if (g) {
      if (!sameShape(g.shape, out.shape))
        throw new Error(
          `Mismatch in shape: grad_output[${i}] has a shape of torch.Size(${fmtShape(g.shape)}) and output[${i}] has a shape of torch.Size(${fmtShape(out.shape)}).`,
        );
      return g;
    }
    if (out.numel() !== 1)
      throw new Error("grad can be implicitly created only for scalar outputs");
    const one = empty(out.shape, out.dtype);
    one.storage!.fill(1);
    return one;
  });
  outs.forEach((t, i) => {
    if (!t.requiresGrad)
      throw new Error(`element ${i} of tensors does not require grad and does not have a grad_fn`);
  });
  if (ins.some((t) => !t.requiresGrad))
    throw new Error("One of the differentiated Tensors does not require grad");
  const capture: Capture = {
    edges: ins.map((t) => t.gradEdge()),
    grads: ins.map(() => null),
    accumulate: false,
    stop: false,
  };
  runBackward(
    outs.map((t) => t.gradEdge()),
    seeds,
    { retainGraph, createGraph, capture },
    engineHooks,
  );
  return capture.grads.map((g) => {
    if (!g && !allowUnused) throw new Error(UNUSED);
    return g;
  });
}

function tensorList(v: unknown, name: string): Tensor[] {
  const list = Tensor.isTensor(v) ? [v] : Array.isArray(v) ? [...v] : null;
  if (!list || list.length === 0)
    throw new TypeError(`grad(): '${name}' must be a Tensor or a non-empty array of Tensors`);
  list.forEach((t, i) => {
    if (!Tensor.isTensor(t))
      throw new TypeError(`grad(): ${name}[${i}] must be a Tensor, not ${arg.typeName(t)}`);
  });
  return list as Tensor[];
}

function gradOutputList(v: unknown, n: number): (Tensor | null)[] {
  if (v === undefined || v === null) return Array(n).fill(null);
  const list = Tensor.isTensor(v) ? [v] : Array.isArray(v) ? [...v] : null;
  if (!list)
    throw new TypeError(
      `grad(): gradOutputs must be a Tensor, an array of Tensors or null, not ${arg.typeName(v)}`,
    );
  if (list.length !== n) throw new Error(`got ${n} tensors and ${list.length} gradients`);
  return list.map((g) => {
    if (g === null || g === undefined) return null;
    if (!Tensor.isTensor(g))
      throw new TypeError(`gradients can be either Tensors or None, but got ${arg.typeName(g)}`);
    return g;
  });
}
