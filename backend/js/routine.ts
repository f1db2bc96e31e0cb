// Compiled kernels that call a library routine (scatter, scatterAdd, cat): the output's and the
// operands' strided views baked in as object literals (numbers and compiler-made names only),
// then the routine's own numeric arguments.
import type * as E from "estree";
import type { View } from "../../ir/ops";
import type { LoopKernel } from "../plan";
import { call, functionDecl, id, num, print } from "./estree";

// operands "spread": routine(out, a, b, ..., ...extra); "list": routine(out, [a, b, ...], ...extra)
export function emitRoutineCall(
  k: LoopKernel,
  routine: string,
  extra: number[],
  operands: "spread" | "list",
): string {
  const store = k.stores[0].access;
  const out = view(store.buf, {
    shape: k.sizes as number[],
    strides: store.strides as number[],
    offset: store.offset as number,
  });
  const views = k.kernel!.operands.map((o) => view(o.buf, o.view));
  const args =
    operands === "spread"
      ? [out, ...views]
      : [out, { type: "ArrayExpression", elements: views } as E.Expression];
  const body: E.Statement[] = [
    { type: "ExpressionStatement", expression: call(id(routine), [...args, ...extra.map(num)]) },
  ];
  return print(functionDecl(k.name, k.params, body, k.comments));
}

function view(buf: string, v: View): E.Expression {
  const list = (xs: readonly number[]): E.Expression => ({
    type: "ArrayExpression",
    elements: xs.map(num),
  });
  const prop = (key: string, value: E.Expression): E.Property => ({
    type: "Property",
    key: id(key),
    value,
    kind: "init",
    computed: false,
    method: false,
    shorthand: false,
  });
  return {
    type: "ObjectExpression",
    properties: [
      prop("storage", id(buf)),
      prop("shape", list(v.shape)),
      prop("strides", list(v.strides)),
      prop("offset", num(v.offset)),
    ],
  };
}
