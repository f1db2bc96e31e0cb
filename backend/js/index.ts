// The JavaScript backend: plans printed as ESTree by astring and instantiated with `new Function`.

import type { KernelOpName, ScanOpName } from "../../ir/ops";
import type { Backend, Kernel, Launch } from "../backend";
import type { LoopKernel } from "../plan";
import { copy, gather, pointwise, reduce, remap } from "./eager";
import { call, functionDecl, id, index, num, print } from "./estree";
import { kernelOps } from "./kernels";
import { emitLoops } from "./loops";
import { codegenAllowed, instantiate } from "./prelude";
import { evaluate } from "./scalar";
import { emitScan, scan } from "./scan";

export function renderKernel(k: LoopKernel): string {
  if (!k.kernel) return emitLoops(k);
  const op = k.kernel.op;
  return op in scanEmitters ? emitScan(k) : kernelOps[op as KernelOpName].emit(k);
}
// every scan op, for the check above (a prototype-free table)
const scanEmitters: Record<ScanOpName, true> = Object.assign(Object.create(null), {
  cumsum: true,
  cumprod: true,
  cummax: true,
  cummin: true,
  logcumsumexp: true,
});

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
  get generates() {
    return codegenAllowed();
  },
  kernel(plan) {
    const source = renderKernel(plan);
    return { run: instantiate<Kernel>(source, plan.name), source };
  },
  driver,
  evaluate,
  pointwise,
  reduce,
  kernelOp: (op, ins, out, p) => kernelOps[op].eager(ins, out, p),
  remap,
  gather,
  scan,
  copy,
};
