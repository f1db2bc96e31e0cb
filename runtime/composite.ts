// A composite op (mean, softmax, select, ...) is a composition of primitives. Eagerly it records
// one GradFn node with PyTorch's name: the composition runs on stand-ins for the inputs (sharing
// their storage and version counters), and the node's backward runs the inner graph's backward.
// While tracing, or when no gradient is wanted, it is just the composition.
import { isCreatingGraph, isGradEnabled, isRetainingGraph, Node, runBackward } from "./autograd";
import { activeTrace } from "./dispatch";
import { engineHooks, Tensor } from "./tensor";

export function composite(name: string, inputs: Tensor[], fn: (...xs: Tensor[]) => Tensor): Tensor {
  if (activeTrace() || !isGradEnabled() || !inputs.some((t) => t.requiresGrad))
    return fn(...inputs);
  const standIns = inputs.map((t) =>
    t.requiresGrad ? t.withView(t.shape, t.strides, t.offset).requiresGrad_() : t,
  );
  const inner = fn(...standIns);
  const node = new Node(
    name,
    inputs.map((t) => (t.requiresGrad ? t.gradEdge() : null)),
    inputs.map((t) => ({ shape: t.shape, dtype: t.dtype })),
    (g) => {
      // with createGraph the gradients must be functions of the real inputs (not of stand-ins),
      // so the composition runs again on them, recorded, and its backward stops at their edges
      const creating = isCreatingGraph();
      const from = creating ? inputs : standIns;
      const root = creating ? fn(...inputs) : inner;
      const wanted = from.filter((s) => s.requiresGrad);
      const capture = {
        edges: wanted.map((s) => s.gradEdge()),
        grads: wanted.map(() => null),
        accumulate: true,
        stop: true,
      };
      runBackward(
        [root.gradEdge()],
        [g],
        { retainGraph: isRetainingGraph(), createGraph: creating, capture },
        engineHooks,
      );
      return from.map((s) => (s.requiresGrad ? capture.grads[wanted.indexOf(s)] : null));
    },
  );
  const out = new Tensor(
    inner.storage,
    inner.shape,
    inner.strides,
    inner.offset,
    inner.dtype,
    inner.version,
  );
  out.base = inner.base; // a composite view (select) is a view of the input the stand-in shares storage with
  out.gradFn = node;
  return out;
}
