// cat as a kernel op: each piece copied once into its slice of the output along `dim`. A library
// routine over strided views, run eagerly and called by compiled kernels.
import type * as E from "estree";
import type { View } from "../../ir/ops";
import { numel } from "../../ir/shape";
import type { Strided } from "../backend";
import type { LoopKernel } from "../plan";
import { call, functionDecl, id, num, print } from "./estree";

export function concat(out: Strided, pieces: Strided[], dim: number): void {
  const o = out.storage!;
  let at = 0;
  for (const p of pieces) {
    const s = p.storage!,
      shape = p.shape,
      pos = new Array<number>(shape.length).fill(0);
    for (let k = 0, n = numel(shape); k < n; k++) {
      let from = p.offset,
        to = out.offset + at * out.strides[dim];
      for (let d = 0; d < shape.length; d++) {
        from += pos[d] * p.strides[d];
        to += pos[d] * out.strides[d];
      }
      o[to] = s[from];
      for (let d = shape.length - 1; d >= 0 && ++pos[d] === shape[d]; d--) pos[d] = 0;
    }
    at += shape[dim];
  }
}

// The compiled kernel: one call of the routine with the pieces' views baked in.
export function emitConcat(k: LoopKernel, dim: number): string {
  const store = k.stores[0].access;
  const outView = view(store.buf, {
    shape: k.sizes as number[],
    strides: store.strides as number[],
    offset: store.offset as number,
  });
  const pieces: E.Expression = {
    type: "ArrayExpression",
    elements: k.kernel!.operands.map((o) => view(o.buf, o.view)),
  };
  const body: E.Statement[] = [
    { type: "ExpressionStatement", expression: call(id("concat"), [outView, pieces, num(dim)]) },
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
