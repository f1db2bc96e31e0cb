// grad() and valueAndGrad() called while another function is traced (grad(grad(f)), a
// Hessian-vector product, compile(grad(f))): the function is traced into the caller's graph and
// differentiated there, so the gradient is ordinary graph values the caller can use, compute with
// and differentiate again (JAX style). Each differentiated argument enters as a fresh identity
// value (a `custom` value whose backward passes its cotangent through), so the inner derivative is
// taken with respect to that value only: values the function closes over are constants to it, as
// in JAX, even when they depend on the same tensor.
import { isFloat } from "../ir/dtype";
import type { Value } from "../ir/graph";
import { enableGrad } from "../runtime/autograd";
import { activeTrace, bind } from "../runtime/dispatch";
import { CompileError } from "../runtime/errors";
import { Tensor } from "../runtime/tensor";
import { differentiate } from "./autodiff";
import { type Arg, Recorder, type Result, tracer } from "./trace";

// grad's argnums, checked against the call's arguments
export function checkArgnums(args: Arg[], nums: number[]): void {
  for (const n of nums) {
    const a = args[n];
    if (!(a instanceof Tensor))
      throw new TypeError(
        `grad: argnums refers to argument ${n}, which is ${a === undefined ? "missing" : "not a Tensor"}`,
      );
    if (!isFloat(a.dtype))
      throw new TypeError(
        `grad requires real-valued floating-point inputs, but argument ${n} has dtype ${a.dtype}`,
      );
  }
}

export function nestedGrad(
  fn: (...args: Arg[]) => Result,
  args: Arg[],
  nums: number[],
  single: boolean,
  withValue: boolean,
): Result {
  const rec = activeTrace();
  if (!(rec instanceof Recorder))
    throw new CompileError("internal: a nested grad() runs only while a function is traced");
  checkArgnums(args, nums);
  return enableGrad(() => {
    const fresh = new Map(
      nums.map((n) => {
        const x = args[n] as Tensor;
        const call = rec.customCall({ name: "", backward: (gs) => gs });
        return [n, bind("custom", [x, x], { call, output: 0 })] as const;
      }),
    );
    const out = fn(...args.map((a, i) => fresh.get(i) ?? a));
    if (!(out instanceof Tensor) || out.numel() !== 1 || !isFloat(out.dtype))
      throw new TypeError("grad requires a function returning one scalar float Tensor");
    const g = rec.graph,
      v = rec.valueOf(out);
    const one = v.shape.length
      ? g.add("expand", [g.constant(1, v.dtype)], { shape: v.shape }, v.shape, v.dtype)
      : g.constant(1, v.dtype);
    const wrt = nums.map((n) => rec.valueOf(fresh.get(n)!));
    const grads = differentiate(g, [v], [one], wrt, rec).map((x: Value) => tracer(x));
    const result = single ? grads[0] : grads;
    return (withValue ? [out, result] : result) as unknown as Result;
  });
}
