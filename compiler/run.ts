// Running compiled programs on tensors: the storages handed to a program, the tensors made of what
// it returns, and in-place updates written back to the caller's tensors.
import { backend } from "../backend/index";
import type { Storage } from "../ir/dtype";
import type { Value } from "../ir/graph";
import { contiguousStrides } from "../ir/shape";
import { materialize } from "../runtime/dispatch";
import { CompileError } from "../runtime/errors";
import { Tensor } from "../runtime/tensor";
import type { Arg, Traced } from "./trace";

// A tensor's data as a program reads it: contiguous from offset 0 (copied when it is not).
export const storageOf = (t: Tensor): Storage => {
  if (!t.storage)
    throw new CompileError(
      "a compiled function was called with a tracer; calling a compiled function inside compile() is not supported",
    );
  return (t.isContiguous() && t.offset === 0 ? t : materialize(t)).storage!;
};
export const wrap = (s: Storage, v: Value) =>
  new Tensor(s, [...v.shape], contiguousStrides(v.shape), 0, v.dtype);

// The caller's result tensors: fresh storage each, as eager gives (an output that is an input, or
// that repeats an earlier output after CSE, is copied).
export function results(outputs: Value[], outs: Storage[], primals: Tensor[]): Tensor[] {
  return outputs.map((v, i) => {
    if (v.op === "input") return wrap(storageOf(primals[v.slot!]).slice(), v);
    return wrap(outputs.indexOf(v) < i ? outs[i].slice() : outs[i], v);
  });
}

// The tensors behind the graph's inputs: tensor arguments, then captured tensors.
export function primalTensors(traced: Traced, args: Arg[]): Tensor[] {
  const out: Tensor[] = [];
  traced.argSlots.forEach((s, i) => {
    if (s !== null) out[s] = args[i] as Tensor;
  });
  return [...out, ...traced.captured];
}

// An argument or captured tensor updated in place inside the function gets its new values.
export function writeBack(t: Tensor, s: Storage): void {
  if (s !== t.storage) {
    if (t.isContiguous() && t.offset === 0) t.storage!.set(s);
    else
      backend.copy(
        { storage: s, shape: t.shape, strides: contiguousStrides(t.shape), offset: 0 },
        t,
      );
  }
  t.version.n++;
}
