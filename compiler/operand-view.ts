// A kernel op's operand as a strided view of the buffer it moves (permute, expand, slice and
// viewable reshape chains need no copy: the kernel reads through the strides).
import type { Value } from "../ir/graph";
import { defOf, type Movement, type OpName, ops, type View } from "../ir/ops";
import { contiguousStrides } from "../ir/shape";

export function operandView(x: Value): { base: Value; view: View } {
  const chain: Value[] = [];
  let base = x;
  while (
    base.op !== "input" &&
    base.op !== "const" &&
    ops[base.op].kind === "movement" &&
    base.inputs[0].op !== "const"
  ) {
    chain.unshift(base);
    base = base.inputs[0];
  }
  let view: View | null = {
    shape: [...base.shape],
    strides: contiguousStrides(base.shape),
    offset: 0,
  };
  for (const m of chain) view = view && (defOf(m.op as OpName) as Movement).view(view, m.params);
  // a chain no strides can express (a reshape of a transpose, a pad): x itself gets a buffer
  return view
    ? { base, view }
    : { base: x, view: { shape: [...x.shape], strides: contiguousStrides(x.shape), offset: 0 } };
}
