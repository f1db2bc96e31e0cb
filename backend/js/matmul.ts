// A compiled matmul kernel: shapes and strides baked in, operands packed into panels (4 rows of a,
// 4 columns of b, contiguous along k), a 4x4 tile of the product kept in registers, and the
// elementwise ops that consume the product (bias add, relu, ...) applied to each tile element
// before it is stored: the epilogue, so the product is never written and re-read.
import type * as E from "estree";
import type { View } from "../../ir/ops";
import { ops } from "../../ir/ops";
import type { LoopKernel } from "../plan";
import { bodyAt, invariants } from "./body";
import {
  assign,
  bin,
  block,
  call,
  decl,
  functionDecl,
  id,
  index,
  linear,
  loop,
  num,
  print,
} from "./estree";
import { PANEL } from "./gemm";

const T = PANEL; // tile rows and columns: the width packPanels packs with
const plus = (e: E.Expression, n: number) => (n ? bin("+", e, num(n)) : e);

// A matmul operand as strides: over the kernel's batch loops, and along its rows and columns.
interface MatmulOperand {
  buf: string;
  offset: number;
  batch: number[];
  rows: number;
  cols: number;
}
function operand(buf: string, view: View, batch: readonly number[]): MatmulOperand {
  const v = ops.expand.view(view, { shape: [...batch, ...view.shape.slice(-2)] })!;
  return {
    buf,
    offset: v.offset,
    batch: v.strides.slice(0, -2),
    rows: v.strides[batch.length],
    cols: v.strides[batch.length + 1],
  };
}

// `ranged`: rows [lo, hi) only, as `name(chunk, lo, hi, ...params)` (a chunk of a matmul split by
// row panels across threads, parallel.ts; lo is a multiple of the tile height): a's rows from lo are
// packed, all of b (each chunk packs b: cheap next to its rows' products at the chunk sizes used).
export function emitMatmul(k: LoopKernel, ranged = false): string {
  const call_ = k.kernel!,
    batch = k.sizes.length - 2;
  if (ranged && batch > 0) throw new Error("internal: a ranged matmul kernel has no batch dims");
  const batchSizes = k.sizes.slice(0, batch) as number[];
  const [a, b] = call_.operands.map((o) => operand(o.buf, o.view, batchSizes));
  const K = call_.operands[0].view.shape.at(-1)!;
  const mm = { acc: call_.acc, a, b };
  const [M, N] = k.sizes.slice(batch) as number[];
  const M4 = M - (M % T),
    N4 = N - (N % T);
  const row = `i${batch}`,
    col = `i${batch + 1}`;
  const invariant = invariants(k);
  const perPoint = new Set(k.temps.filter((t) => !invariant.has(t.name)).map((t) => t.name));
  // the epilogue and store of one product element, at (r, c), whose value is in `acc`
  const element = (r: E.Expression, c: E.Expression, acc: string, suffix: string) => {
    const b = bodyAt(
      k,
      (d) => (d === batch ? r : d === batch + 1 ? c : id(`i${d}`)),
      (n) => (n === mm.acc ? acc : perPoint.has(n) ? n + suffix : n),
      invariant,
    );
    return [...b.temps("all"), ...b.stores("all")];
  };
  const offset = (o: MatmulOperand) =>
    linear(
      o.batch.map((s, d) => [id(`i${d}`), s] as [E.Expression, number]),
      o.offset,
    );
  // panels(gemmScratch, slot, rows, k) -> this thread's scratch for the panels, which
  // pack(src, offset, row stride, column stride, rows, k, width, panels) fills (gemm.ts)
  const lo = id("lo"),
    hi = id("hi");
  const packed = (name: string, slot: number, args: E.Expression[]) => [
    decl("const", name, call(id("panels"), [id("gemmScratch"), num(slot), args[4], args[5]])),
    {
      type: "ExpressionStatement" as const,
      expression: call(id("pack"), [...args, num(T), id(name)]),
    },
  ];
  const packs = [
    ...packed("A", 0, [
      id(mm.a.buf),
      ranged ? bin("+", offset(mm.a), bin("*", lo, num(mm.a.rows))) : offset(mm.a),
      num(mm.a.rows),
      num(mm.a.cols),
      ranged ? bin("-", hi, lo) : num(M),
      num(K),
    ]),
    ...packed("B", 1, [id(mm.b.buf), offset(mm.b), num(mm.b.cols), num(mm.b.rows), num(N), num(K)]),
  ];
  const cells = [...Array(T * T).keys()].map((q) => [Math.floor(q / T), q % T]);
  const c = (r: number, s: number) => `c${r}${s}`;
  const walk = (
    body: E.Statement[],
    step: number,
    from: [string, E.Expression][],
  ): E.Statement => ({
    type: "ForStatement",
    init: {
      type: "VariableDeclaration",
      kind: "let",
      declarations: [["p", num(0)] as [string, E.Expression], ...from].map(([n, init]) => ({
        type: "VariableDeclarator",
        id: id(n),
        init,
      })),
    },
    test: bin("<", id("p"), num(K)),
    update: {
      type: "SequenceExpression",
      expressions: [
        { type: "UpdateExpression", operator: "++", prefix: false, argument: id("p") },
        ...from.map(([n]) => ({
          type: "AssignmentExpression" as const,
          operator: "+=" as const,
          left: id(n),
          right: num(step),
        })),
      ],
    },
    body: block(body),
  });
  const tile = [
    {
      type: "VariableDeclaration",
      kind: "let",
      declarations: cells.map(([r, s]) => ({
        type: "VariableDeclarator",
        id: id(c(r, s)),
        init: num(0),
      })),
    } as E.Statement,
    walk(
      [
        ...[...Array(T).keys()].map((r) =>
          decl("const", `a${r}`, index(id("A"), plus(id("pa"), r))),
        ),
        ...[...Array(T).keys()].map((s) =>
          decl("const", `b${s}`, index(id("B"), plus(id("pb"), s))),
        ),
        ...cells.map(([r, s]) => assign(id(c(r, s)), bin("*", id(`a${r}`), id(`b${s}`)), "+=")),
      ],
      T,
      [
        ["pa", bin("*", ranged ? bin("-", id(row), lo) : id(row), num(K))],
        ["pb", bin("*", id(col), num(K))],
      ],
    ),
    ...cells.flatMap(([r, s]) => element(plus(id(row), r), plus(id(col), s), c(r, s), `_${r}${s}`)),
  ];
  // whole tiles: rows up to M4 (ranged: up to hi, or M4 in the last chunk)
  const tileEnd: E.Expression = ranged
    ? {
        type: "ConditionalExpression",
        test: bin("<", hi, num(M4)),
        consequent: hi,
        alternate: num(M4),
      }
    : num(M4);
  let body: E.Statement[] =
    M4 && N4
      ? [
          ...packs,
          loop(row, tileEnd, [loop(col, num(N4), tile, num(0), T)], ranged ? lo : num(0), T),
        ]
      : packs;
  if (M4 < M || N4 < N) {
    // elements outside whole tiles: one dot product each, over the same panels
    const panel = (i: E.Expression) =>
      bin("+", bin("*", bin("-", i, bin("%", i, num(T))), num(K)), bin("%", i, num(T)));
    const dot: E.Statement[] = [
      decl("let", "acc", num(0)),
      walk(
        [assign(id("acc"), bin("*", index(id("A"), id("pa")), index(id("B"), id("pb"))), "+=")],
        T,
        [
          ["pa", panel(ranged ? bin("-", id(row), lo) : id(row))],
          ["pb", panel(id(col))],
        ],
      ),
      ...element(id(row), id(col), "acc", ""),
    ];
    const firstCol: E.Expression =
      M4 && N4
        ? {
            type: "ConditionalExpression",
            test: bin("<", id(row), num(M4)),
            consequent: num(N4),
            alternate: num(0),
          }
        : num(0);
    body.push(
      loop(row, ranged ? hi : num(M), [loop(col, num(N), dot, firstCol)], ranged ? lo : num(0)),
    );
  }
  for (let d = batch - 1; d >= 0; d--) body = [loop(`i${d}`, num(k.sizes[d] as number), body)];
  const hoisted = bodyAt(
    k,
    (d) => id(`i${d}`),
    (n) => n,
    invariant,
  ).temps("invariant");
  const params = ranged ? ["chunk", "lo", "hi", ...k.params] : k.params;
  return print(functionDecl(k.name, params, [...hoisted, ...body], k.comments));
}
