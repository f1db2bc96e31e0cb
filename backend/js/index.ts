// The JavaScript backend: plans printed as ESTree by astring and instantiated with `new Function`.
import type { Backend, Kernel, Launch } from "../backend";
import type { LoopKernel } from "../plan";
import { copy, gather, pointwise, reduce } from "./eager";
import { call, functionDecl, id, index, num, print } from "./estree";
import { kernelOps } from "./kernels";
import { emitLoops } from "./loops";
import { instantiate } from "./prelude";
import { evaluate } from "./scalar";

export const renderKernel = (k: LoopKernel): string =>
  k.kernel ? kernelOps[k.kernel.op].emit(k) : emitLoops(k);

// The driver: run(s, k) { k[0](s[3], s[0]); k[1](s[4], s[3]); ... }
function driver(launches: Launch[]) {
  const body = launches.map((c) => ({
    type: "ExpressionStatement" as const,
    expression: call(
      index(id("k"), num(c.kernel)),
      c.args.map((a) => index(id("s"), num(a))),
    ),
  }));
  return instantiate<ReturnType<Backend["driver"]>>(
    print(functionDecl("run", ["s", "k"], body, [])),
    "run",
  );
}

export const js: Backend = {
  name: "js",
  kernel(plan) {
    const source = renderKernel(plan);
    return { run: instantiate<Kernel>(source, plan.name), source };
  },
  driver,
  evaluate,
  pointwise,
  reduce,
  kernelOp: (op, ins, out, p) => kernelOps[op].eager(ins, out, p),
  gather,
  copy,
};
