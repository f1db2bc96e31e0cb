// The loop-nest level: a kernel as an iteration space, loads through strided views, scalar temps
// built from op formulas, optional reductions over the innermost dims, and stores. Eager single-op
// kernels and fused compiled kernels are both built as LoopKernels and emitted by `emitLoops`.
import type * as E from "estree";
import {
  assign,
  bin,
  block,
  decl,
  functionDecl,
  id,
  index,
  linear,
  loop,
  num,
  print,
  sym,
} from "./estree";
import { type Formula, instantiate } from "./formula";
import { emitMatmul } from "./matmul";

export type Sym = number | string; // a literal baked in, or the name of a kernel argument
export interface Access {
  buf: string;
  offset: Sym;
  strides: Sym[];
} // strides over every dim of the space

export type ScalarExpr =
  | { kind: "load"; access: Access }
  | { kind: "apply"; formula: Formula; args: string[] } // args name earlier temps or reductions
  | { kind: "num"; value: number };

// "pre" temps run once per output point before the reduction loops, "inner" ones at every point of
// the space, "outer" ones after the reduction loops (they may use reduction results). Without
// reduction loops all phases share the innermost body.
export interface Temp {
  name: string;
  expr: ScalarExpr;
  phase: "pre" | "inner" | "outer";
  comment?: string;
}
export interface Reduction {
  name: string;
  value: string;
  combine: Formula;
  init: number;
}
export interface Store {
  access: Access;
  value: string;
  phase?: "inner" | "outer";
}

export interface LoopKernel {
  name: string;
  comments: string[];
  params: string[];
  sizes: Sym[];
  reduced: number; // how many innermost dims are reduced
  temps: Temp[];
  reductions: Reduction[];
  stores: Store[];
  matmul?: MatmulSpec; // a matmul kernel: outer loops are [...batch, m, n]; `acc` is the product there
}

// A matmul operand as strides: over the kernel's batch loops, and along its rows and columns.
export interface MatmulOperand {
  buf: string;
  offset: number;
  batch: number[];
  rows: number;
  cols: number;
}
export interface MatmulSpec {
  acc: string;
  k: number;
  a: MatmulOperand;
  b: MatmulOperand;
}

const ACCUMULATORS = 4; // independent partial results let the CPU overlap the combines

// Temps that no loop index reaches (constants, scalar loads, math on them): they run once, up front.
export function invariants(k: LoopKernel): Set<string> {
  const invariant = new Set<string>();
  for (const t of k.temps) {
    const e = t.expr;
    if (
      e.kind === "num" ||
      (e.kind === "load" && e.access.strides.every((s) => s === 0)) ||
      (e.kind === "apply" && e.args.every((a) => invariant.has(a)))
    )
      invariant.add(t.name);
  }
  return invariant;
}

// The kernel's per-point work at one point: `index(d)` is the expression for loop d there, and
// `rename` gives the names this copy uses (unrolled copies, matmul tile elements).
export function bodyAt(
  k: LoopKernel,
  index_: (d: number) => E.Expression,
  rename: (n: string) => string,
  invariant: Set<string>,
) {
  const addr = (a: Access) =>
    index(
      id(a.buf),
      linear(
        a.strides.map((s, d) => [index_(d), s] as [E.Expression, Sym]),
        a.offset,
      ),
    );
  const temp = (t: Temp) =>
    decl(
      "const",
      rename(t.name),
      t.expr.kind === "load"
        ? addr(t.expr.access)
        : t.expr.kind === "num"
          ? num(t.expr.value)
          : instantiate(
              t.expr.formula,
              t.expr.args.map((a) => id(rename(a))),
            ),
    );
  return {
    temps: (phase: Temp["phase"] | "invariant" | "all", where: (t: Temp) => boolean = () => true) =>
      k.temps
        .filter(
          (t) =>
            (phase === "invariant"
              ? invariant.has(t.name)
              : !invariant.has(t.name) && (phase === "all" || t.phase === phase)) && where(t),
        )
        .map(temp),
    stores: (phase: "inner" | "outer" | "all") =>
      k.stores
        .filter((s) => phase === "all" || (s.phase ?? "outer") === phase)
        .map((s) => assign(addr(s.access), id(rename(s.value)))),
    value: (n: string) => id(rename(n)),
  };
}

export function emitLoops(k: LoopKernel): string {
  if (k.matmul) return emitMatmul(k);
  const outer = k.sizes.length - k.reduced,
    last = k.sizes.length - 1;
  const idx = (d: number) => (d < outer ? `i${d}` : `r${d - outer}`);
  const invariant = invariants(k);
  const innerNames = new Set(
    k.temps.filter((t) => t.phase === "inner" && !invariant.has(t.name)).map((t) => t.name),
  );
  // one copy of the per-point work; `j` > 0 is an unrolled copy reading point r + j
  const at = (j: number) =>
    bodyAt(
      k,
      (d) => (j > 0 && d === last ? bin("+", id(idx(d)), num(j)) : id(idx(d))),
      (n) => (j > 0 && innerNames.has(n) ? `${n}_${j}` : n),
      invariant,
    );
  const combine = (r: Reduction, a: E.Expression, b: E.Expression) =>
    instantiate(r.combine, [a, b]);
  const here = at(0);
  // loop-invariant code motion: a temp that per-point work needs runs in the loop of the
  // innermost index it depends on (a broadcast operand's load, out of the loop it is broadcast over)
  const depth = new Map<string, number>();
  for (const t of k.temps) {
    const e = t.expr;
    depth.set(
      t.name,
      e.kind === "num"
        ? -1
        : e.kind === "load"
          ? Math.max(-1, ...e.access.strides.map((s, d) => (s === 0 ? -1 : d)))
          : Math.max(-1, ...e.args.map((a) => depth.get(a) ?? last)),
    );
  }
  const hoistable = (t: Temp) => t.phase === "pre" || (t.phase === "inner" && k.reduced === 0);
  const at_ = (d: number) => (t: Temp) => hoistable(t) && depth.get(t.name) === d;
  const innermost = (t: Temp) => !hoistable(t) || depth.get(t.name)! >= outer - 1;
  let body: E.Statement[];
  if (k.reduced === 0) {
    body = [
      ...here.temps("pre", innermost),
      ...here.temps("inner", innermost),
      ...k.reductions.map((r) =>
        decl("const", r.name, combine(r, num(r.init), here.value(r.value))),
      ),
      ...here.stores("inner"),
    ];
  } else {
    const acc = (r: Reduction, j: number) => `${r.name}_${j}`;
    const step = (j: number) => {
      const s = at(j);
      return [
        ...s.temps("inner"),
        ...k.reductions.map((r) =>
          assign(id(acc(r, j)), combine(r, id(acc(r, j)), s.value(r.value))),
        ),
        ...s.stores("inner"),
      ];
    };
    const r = idx(last),
      n = sym(k.sizes[last]);
    const few = typeof k.sizes[last] === "number" && (k.sizes[last] as number) < ACCUMULATORS; // the unrolled loop would never run
    const unrolled: E.Statement = {
      type: "ForStatement",
      init: null,
      test: bin("<", bin("+", id(r), num(ACCUMULATORS - 1)), n),
      update: {
        type: "AssignmentExpression",
        operator: "+=",
        left: id(r),
        right: num(ACCUMULATORS),
      },
      body: block(interleave([...Array(ACCUMULATORS).keys()].map(step))),
    };
    const rest: E.Statement = {
      type: "ForStatement",
      init: null,
      test: bin("<", id(r), n),
      update: { type: "UpdateExpression", operator: "++", prefix: false, argument: id(r) },
      body: block(step(0)),
    };
    let inner: E.Statement[] = few
      ? [loop(r, n, step(0))]
      : [decl("let", r, num(0)), unrolled, rest];
    for (let d = last - 1; d >= outer; d--) inner = [loop(idx(d), sym(k.sizes[d]), inner)];
    body = [
      ...here.temps("pre", innermost),
      ...k.reductions.flatMap((red) =>
        [...Array(few ? 1 : ACCUMULATORS).keys()].map((j) =>
          decl("let", acc(red, j), num(red.init)),
        ),
      ),
      inner.length === 3 ? block(inner) : inner[0],
      ...k.reductions.flatMap((red) =>
        few
          ? [decl("const", red.name, id(acc(red, 0)))]
          : [
              // pairwise, through temporaries (a formula may repeat its arguments)
              decl("const", `${red.name}_01`, combine(red, id(acc(red, 0)), id(acc(red, 1)))),
              decl("const", `${red.name}_23`, combine(red, id(acc(red, 2)), id(acc(red, 3)))),
              decl("const", red.name, combine(red, id(`${red.name}_01`), id(`${red.name}_23`))),
            ],
      ),
    ];
  }
  body = [...body, ...here.temps("outer"), ...here.stores("outer")];
  for (let d = outer - 1; d >= 0; d--) {
    body = [loop(idx(d), sym(k.sizes[d]), body)];
    if (d > 0)
      body = [...here.temps("pre", at_(d - 1)), ...here.temps("inner", at_(d - 1)), ...body];
  }
  return print(functionDecl(k.name, k.params, [...here.temps("invariant"), ...body], k.comments));
}

// The unrolled lanes' statements taken in turn (lane 0's first, lane 1's first, ...): independent
// work sits side by side, so the CPU overlaps it (V8 does not reorder it for us).
const interleave = (lanes: E.Statement[][]): E.Statement[] =>
  lanes[0].flatMap((_, i) => lanes.map((l) => l[i]));

// Merges adjacent dims that every stride array walks contiguously, and drops size-1 dims, so a
// contiguous elementwise op over any shape becomes one flat loop. Dims in [0, split) and
// [split, n) are merged only among themselves (outer vs reduced).
export function coalesce(
  sizes: number[],
  strides: number[][],
  split = sizes.length,
): { sizes: number[]; strides: number[][]; split: number } {
  const out: number[] = [],
    group: boolean[] = [],
    outStrides: number[][] = strides.map(() => []);
  for (let d = 0; d < sizes.length; d++) {
    if (sizes[d] === 1) continue;
    const n = out.length,
      reduced = d >= split;
    if (
      n > 0 &&
      group[n - 1] === reduced &&
      strides.every((s, k) => outStrides[k][n - 1] === s[d] * sizes[d])
    ) {
      out[n - 1] *= sizes[d];
      strides.forEach((s, k) => {
        outStrides[k][n - 1] = s[d];
      });
    } else {
      out.push(sizes[d]);
      group.push(reduced);
      strides.forEach((s, k) => outStrides[k].push(s[d]));
    }
  }
  return { sizes: out, strides: outStrides, split: group.filter((g) => !g).length };
}
