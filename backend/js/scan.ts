// Scans (cumsum and friends) as JavaScript: a loop nest over every dim but the scanned one, and
// inside it one sequential loop that carries the accumulator, storing it (after the epilogue, the
// elementwise consumers fused into the kernel) at every step. Eager scans run the same emitter on
// a one-op plan.
import type * as E from "estree";
import type { DType } from "../../ir/dtype";
import { defOf, type ScanDef, type ScanOpName } from "../../ir/ops";
import { arg } from "../../ir/scalar";
import type { Strided } from "../backend";
import type { LoopKernel } from "../plan";
import { bodyAt, invariants } from "./body";
import { assign, decl, functionDecl, id, index, linear, loop, num, print } from "./estree";
import { interpret } from "./interpret";
import { codegenAllowed, instantiate } from "./prelude";
import { render } from "./scalar";

export function emitScan(k: LoopKernel): string {
  const call = k.kernel!,
    def = defOf(call.op) as ScanDef,
    dim = def.along(call.params);
  const x = call.operands[0],
    sizes = k.sizes as number[];
  const idx = (d: number) => id(d === dim ? "j" : `i${d}`);
  const invariant = invariants(k);
  const element = bodyAt(k, idx, (n) => n, invariant);
  const read = index(
    id(x.buf),
    linear(
      x.view.strides.map((s, d) => [idx(d), s] as [E.Expression, number]),
      x.view.offset,
    ),
  );
  const step: E.Statement[] = [
    assign(id(call.acc), render(def.combine(arg(0), arg(1)), [id(call.acc), read], call.dtype)),
    ...element.temps("all"),
    ...element.stores("all"),
  ];
  const length = sizes.length ? sizes[dim] : 1; // a 0-d tensor is one line of one
  let body: E.Statement[] = [decl("let", call.acc, num(def.init)), loop("j", num(length), step)];
  for (let d = sizes.length - 1; d >= 0; d--)
    if (d !== dim) body = [loop(`i${d}`, num(sizes[d]), body)];
  return print(
    functionDecl(k.name, k.params, [...element.temps("invariant"), ...body], k.comments),
  );
}

const kernels = new Map<string, (out: unknown, x: unknown) => void>();

// Eagerly: the same emitter on a one-op plan, cached by op and layout.
export function scan(op: ScanOpName, dim: number, dtype: DType, x: Strided, out: Strided): void {
  const view = { shape: [...x.shape], strides: [...x.strides], offset: x.offset };
  const store = { buf: "out", offset: out.offset, strides: [...out.strides] };
  const key = `${op}|${dim}|${dtype}|${x.storage!.constructor.name}|${out.storage!.constructor.name}|${JSON.stringify([view, store])}`;
  let kernel = kernels.get(key);
  if (!kernel) {
    const plan: LoopKernel = {
      name: "scan",
      comments: [op],
      params: ["out", "x"],
      sizes: [...out.shape],
      reduced: 0,
      temps: [],
      reductions: [],
      stores: [{ access: store, value: "acc" }],
      kernel: { op, params: { dim }, dtype, acc: "acc", operands: [{ buf: "x", view }] },
    };
    kernel = codegenAllowed()
      ? instantiate<(out: unknown, x: unknown) => void>(emitScan(plan), "scan")
      : interpret<(out: unknown, x: unknown) => void>(plan);
    kernels.set(key, kernel!);
  }
  kernel!(out.storage, x.storage);
}
