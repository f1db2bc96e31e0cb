// Where code generation is refused (a page whose Content-Security-Policy lacks 'unsafe-eval'),
// compile(), grad() and valueAndGrad() run their function eagerly: same results, op by op
// through the interpreted eager kernels. A warning says so once.
import { isFloat } from "../ir/dtype";
import { enableGrad } from "../runtime/autograd";
import { grad as autogradGrad } from "../runtime/autograd-api";
import { Tensor } from "../runtime/tensor";
import type { Entry } from "./cache";
import type { Explanation } from "./compile";
import type { Arg, Result } from "./trace";

const NOT_COMPILED =
  "not compiled: this environment refuses code generation (a Content-Security-Policy without 'unsafe-eval'), so the function runs eagerly";
const explain: Explanation = {
  ir: NOT_COMPILED,
  code: NOT_COMPILED,
  forwardKernels: 0,
  backwardKernels: 0,
};

let warned = false;
function warnOnce(): void {
  if (warned) return;
  warned = true;
  console.warn(`jitgrad: compile() ${NOT_COMPILED.slice("not compiled: ".length)}.`);
}

type Fn = (...args: Arg[]) => Result;

export function eagerEntry(fn: Fn): Entry {
  warnOnce();
  return { explain, run: (args) => fn(...args) };
}

// grad/valueAndGrad by eager autograd: the chosen arguments as fresh leaves that require grad,
// or, for arguments that already require grad (a grad() inside a function being differentiated,
// grad(grad(f))), the arguments themselves, with the gradient's graph recorded so the outer
// differentiation sees it. No .grad is touched (autograd.grad).
export function eagerGradEntry(fn: Fn, nums: number[], single: boolean, withValue: boolean): Entry {
  warnOnce();
  return {
    explain,
    run(args) {
      const nested = nums.some((n) => (args[n] as Tensor).requiresGrad);
      const leaves = new Map(
        nums.map((n) => {
          const a = args[n] as Tensor;
          return [n, a.requiresGrad ? a : a.detach().requiresGrad_(true)] as const;
        }),
      );
      const out = enableGrad(() => fn(...args.map((a, i) => leaves.get(i) ?? a)));
      if (!(out instanceof Tensor) || out.numel() !== 1 || !isFloat(out.dtype))
        throw new TypeError("grad requires a function returning one scalar float Tensor");
      const wrt = nums.map((n) => leaves.get(n)!);
      const gs = out.requiresGrad
        ? autogradGrad(out, wrt, { createGraph: nested, allowUnused: true })
        : wrt.map(() => null);
      const grads = gs.map((g, i) => g ?? wrt[i].detach().mul(0));
      const g = single ? grads[0] : grads;
      return (withValue ? [nested ? out : out.detach(), g] : g) as unknown as Result;
    },
  };
}
