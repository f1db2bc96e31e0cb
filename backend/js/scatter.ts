// scatterAdd: out = base, plus src[p] added at base[..., index[p], ...] along `dim` for every
// position p of index (src and index read at the same positions); scatter: src[p] written there
// instead (in row-major order of p, so the last of repeated positions wins, as PyTorch's CPU). A library routine over strided
// views, run eagerly and called by compiled kernels; indices are checked as gather's are.

import type * as E from "estree";
import { IndexError, indexErrors, type View } from "../../ir/ops";
import { numel } from "../../ir/shape";
import type { Strided } from "../backend";
import type { LoopKernel } from "../plan";
import { call, functionDecl, id, num, print } from "./estree";

export const scatterAdd = (
  out: Strided,
  base: Strided,
  index: Strided,
  src: Strided,
  dim: number,
) => scatterInto(out, base, index, src, dim, true);
export const scatter = (out: Strided, base: Strided, index: Strided, src: Strided, dim: number) =>
  scatterInto(out, base, index, src, dim, false);

function scatterInto(
  out: Strided,
  base: Strided,
  index: Strided,
  src: Strided,
  dim: number,
  add: boolean,
) {
  const b = base.storage!;
  walk(out.shape, (pos) => {
    out.storage![at(out, pos)] = b[at(base, pos)];
  });
  const o = out.storage!,
    ix = index.storage!,
    s = src.storage!;
  const size = out.shape[dim];
  walk(index.shape, (pos) => {
    const i = ix[at(index, pos)];
    if (!(i >= 0 && i < size)) throw new Error(indexErrors[IndexError.gather](i, size, dim));
    let to = out.offset + i * out.strides[dim];
    for (let d = 0; d < pos.length; d++) if (d !== dim) to += pos[d] * out.strides[d];
    if (add) o[to] += s[at(src, pos)];
    else o[to] = s[at(src, pos)];
  });
}

// Calls f with every position of `shape`, in row-major order (pos is reused between calls).
function walk(shape: readonly number[], f: (pos: number[]) => void): void {
  const pos = new Array<number>(shape.length).fill(0);
  for (let k = 0, n = numel(shape); k < n; k++) {
    f(pos);
    for (let d = shape.length - 1; d >= 0 && ++pos[d] === shape[d]; d--) pos[d] = 0;
  }
}
const at = (v: Strided, pos: number[]) => pos.reduce((o, i, d) => o + i * v.strides[d], v.offset);

// The compiled kernel: one call of the routine with the operands' views baked in.
export function emitScatter(k: LoopKernel, dim: number, routine: "scatterAdd" | "scatter"): string {
  const store = k.stores[0].access;
  const view = (buf: string, v: View): E.Expression => ({
    type: "ObjectExpression",
    properties: [
      prop("storage", id(buf)),
      prop("shape", list(v.shape)),
      prop("strides", list(v.strides)),
      prop("offset", num(v.offset)),
    ],
  });
  const outView = view(store.buf, {
    shape: k.sizes as number[],
    strides: store.strides as number[],
    offset: store.offset as number,
  });
  const operands = k.kernel!.operands.map((o) => view(o.buf, o.view));
  const body: E.Statement[] = [
    {
      type: "ExpressionStatement",
      expression: call(id(routine), [outView, ...operands, num(dim)]),
    },
  ];
  return print(functionDecl(k.name, k.params, body, k.comments));
}

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
