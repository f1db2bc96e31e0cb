// The loop-nest level: a kernel as an iteration space, loads through strided views, scalar temps
// built from op formulas, optional reductions over the innermost dims, and stores. Eager single-op
// kernels and fused compiled kernels are both built as LoopKernels and emitted by `emitLoops`.
import type * as E from "estree";
import { type Formula, instantiate } from "./formula";
import { assign, bin, block, decl, functionDecl, id, index, linear, loop, num, print, sym } from "./estree";

export type Sym = number | string; // a literal baked in, or the name of a kernel argument
export interface Access { buf: string; offset: Sym; strides: Sym[] } // strides over every dim of the space

export type ScalarExpr =
  | { kind: "load"; access: Access }
  | { kind: "apply"; formula: Formula; args: string[] } // args name earlier temps or reductions
  | { kind: "num"; value: number };

// "inner" temps run at every point of the space; "outer" ones once per output point, after the
// reductions (they may use reduction results).
export interface Temp { name: string; expr: ScalarExpr; phase: "inner" | "outer"; comment?: string }
export interface Reduction { name: string; value: string; combine: Formula; init: number }
export interface Store { access: Access; value: string }

export interface LoopKernel {
  name: string;
  comments: string[];
  params: string[];
  sizes: Sym[];
  reduced: number; // how many innermost dims are reduced
  temps: Temp[];
  reductions: Reduction[];
  stores: Store[];
}

const ACCUMULATORS = 4; // independent partial sums let the CPU overlap the adds

export function emitLoops(k: LoopKernel): string {
  const outer = k.sizes.length - k.reduced;
  const idx = (d: number) => (d < outer ? `i${d}` : `r${d - outer}`);
  const addr = (a: Access, shift: (d: number) => E.Expression = (d) => id(idx(d))) =>
    index(id(a.buf), linear(a.strides.map((s, d) => [shift(d), s] as [E.Expression, Sym]), a.offset));
  const expr = (e: ScalarExpr, access: (a: Access) => E.Expression): E.Expression =>
    e.kind === "load" ? access(e.access) : e.kind === "num" ? num(e.value) : instantiate(e.formula, e.args.map(id));
  const temps = (phase: Temp["phase"], access: (a: Access) => E.Expression, rename = (n: string) => n) =>
    k.temps.filter((t) => t.phase === phase).map((t) => {
      const e = t.expr.kind === "apply" ? instantiate(t.expr.formula, t.expr.args.map((a) => id(rename(a)))) : expr(t.expr, access);
      return decl("const", rename(t.name), e);
    });
  const stores = () => k.stores.map((s) => assign(addr(s.access), id(s.value)));

  let body: E.Statement[];
  if (k.reduced === 0) {
    body = [...temps("inner", (a) => addr(a)), ...stores()];
  } else {
    body = [...reductionLoops(k, outer, idx, addr, temps), ...temps("outer", (a) => addr(a)), ...stores()];
  }
  for (let d = outer - 1; d >= 0; d--) body = [loop(idx(d), sym(k.sizes[d]), body)];
  return print(functionDecl(k.name, k.params, body, k.comments));
}

type Temps = (phase: Temp["phase"], access: (a: Access) => E.Expression, rename?: (n: string) => string) => E.Statement[];

// Reduction loops with ACCUMULATORS partial results over the innermost dim, then a remainder loop.
function reductionLoops(k: LoopKernel, outer: number, idx: (d: number) => string,
  addr: (a: Access, shift?: (d: number) => E.Expression) => E.Expression, temps: Temps): E.Statement[] {
  const last = k.sizes.length - 1, r = idx(last);
  const acc = (red: Reduction, j: number) => `${red.name}_${j}`;
  const step = (j: number, suffix: string): E.Statement[] => {
    const shift = (d: number) => (d === last && j > 0 ? bin("+", id(r), num(j)) : id(idx(d)));
    const rename = (n: string) => (k.temps.some((t) => t.name === n && t.phase === "inner") ? n + suffix : n);
    return [
      ...temps("inner", (a) => addr(a, shift), rename),
      ...k.reductions.map((red) => assign(id(acc(red, j)), instantiate(red.combine, [id(acc(red, j)), id(rename(red.value))]))),
    ];
  };
  const unrolled = [...Array(ACCUMULATORS).keys()].flatMap((j) => step(j, `_${j}`));
  const main: E.Statement = {
    type: "ForStatement", init: null, test: bin("<", bin("+", id(r), num(ACCUMULATORS - 1)), sym(k.sizes[last])),
    update: { type: "AssignmentExpression", operator: "+=", left: id(r), right: num(ACCUMULATORS) }, body: block(unrolled),
  };
  const rest: E.Statement = { type: "ForStatement", init: null, test: bin("<", id(r), sym(k.sizes[last])),
    update: { type: "UpdateExpression", operator: "++", prefix: false, argument: id(r) }, body: block(step(0, "")) };
  let inner: E.Statement[] = [decl("let", r, num(0)), main, rest];
  for (let d = last - 1; d >= outer; d--) inner = [loop(idx(d), sym(k.sizes[d]), inner)];
  const init = k.reductions.flatMap((red) => [...Array(ACCUMULATORS).keys()].map((j) => decl("let", acc(red, j), num(red.init))));
  const fold = k.reductions.map((red) => {
    const c = (a: E.Expression, b: E.Expression) => instantiate(red.combine, [a, b]);
    return decl("const", red.name, c(c(id(acc(red, 0)), id(acc(red, 1))), c(id(acc(red, 2)), id(acc(red, 3)))));
  });
  return [...init, block(inner), ...fold];
}

// Merges adjacent dims that every stride array walks contiguously, and drops size-1 dims, so a
// contiguous elementwise op over any shape becomes one flat loop. Dims in [0, split) and
// [split, n) are merged only among themselves (outer vs reduced).
export function coalesce(sizes: number[], strides: number[][], split = sizes.length): { sizes: number[]; strides: number[][]; split: number } {
  const out: number[] = [], group: boolean[] = [], outStrides: number[][] = strides.map(() => []);
  for (let d = 0; d < sizes.length; d++) {
    if (sizes[d] === 1) continue;
    const n = out.length, reduced = d >= split;
    if (n > 0 && group[n - 1] === reduced && strides.every((s, k) => outStrides[k][n - 1] === s[d] * sizes[d])) {
      out[n - 1] *= sizes[d];
      strides.forEach((s, k) => { outStrides[k][n - 1] = s[d]; });
    } else {
      out.push(sizes[d]); group.push(reduced);
      strides.forEach((s, k) => outStrides[k].push(s[d]));
    }
  }
  return { sizes: out, strides: outStrides, split: group.filter((g) => !g).length };
}
