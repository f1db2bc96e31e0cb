// Loop kernels as JavaScript: a plan's iteration space as nested for loops, reductions unrolled
// over four independent accumulators, loop-invariant temps hoisted to the loop they depend on.
import type * as E from "estree";
import type { LoopKernel, Reduction, SiblingReduction, Temp } from "../plan";
import { bodyAt, dependencies, invariants } from "./body";
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
  sym,
} from "./estree";
import { render } from "./scalar";

const ACCUMULATORS = 4; // independent partial results let the CPU overlap the combines

// `ranged`: the kernel runs dim 0 over [lo, hi) only, as `name(chunk, lo, hi, ...params)`: one
// chunk of a kernel split across threads (parallel.ts; `chunk` may address a partial result).
export function emitLoops(k: LoopKernel, ranged = false): string {
  const outer = k.sizes.length - k.reduced,
    last = k.sizes.length - 1;
  const idx = (d: number) => (d < outer ? `i${d}` : `r${d - outer}`);
  const invariant = invariants(k);
  // loop-invariant code motion: a temp that per-point work needs runs in the loop of the
  // innermost index it depends on (a broadcast operand's load, out of the loop it is broadcast
  // over; in a reducing kernel, a per-row value out of the reduction loops)
  const depth = new Map<string, number>();
  for (const t of k.temps) {
    const { strides, names } = dependencies(t.expr);
    const own = strides.flatMap((ss) => ss.map((s, d) => (s === 0 ? -1 : d)));
    depth.set(t.name, Math.max(-1, ...own, ...names.map((a) => depth.get(a) ?? last)));
  }
  // per-point temps of a reducing kernel that the innermost loop does not change
  const lifted = (t: Temp) =>
    k.reduced > 0 && t.phase === "inner" && !invariant.has(t.name) && depth.get(t.name)! < last;
  const innerNames = new Set(
    k.temps
      .filter((t) => t.phase === "inner" && !invariant.has(t.name) && !lifted(t))
      .map((t) => t.name),
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
    render(r.combine, [a, b], r.dtype);
  const here = at(0);
  const from = (d: number) => (ranged && d === 0 ? id("lo") : num(0)),
    bound = (d: number) => (ranged && d === 0 ? id("hi") : sym(k.sizes[d]));
  const hoistable = (t: Temp) =>
    t.phase === "pre" || (t.phase === "inner" && (k.reduced === 0 || depth.get(t.name)! < outer));
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
      ...here.siblings(),
    ];
  } else {
    const acc = (r: Reduction, j: number) => `${r.name}_${j}`;
    // siblings whose output position the innermost loop does not move accumulate across it in
    // lane registers, added to their partial after it
    const siblings = k.siblings ?? [];
    const steady = siblings.filter((r) => r.access.strides[last] === 0),
      moving = siblings.filter((r) => r.access.strides[last] !== 0);
    const step = (j: number) => {
      const s = at(j);
      return [
        ...s.temps("inner", (t) => !lifted(t)),
        ...[...k.reductions, ...steady].map((r) =>
          assign(id(acc(r, j)), combine(r, id(acc(r, j)), s.value(r.value))),
        ),
        ...s.stores("inner"),
        ...s.siblings(moving),
      ];
    };
    const r = idx(last),
      n = bound(last);
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
    const lanes = [...Array(few ? 1 : ACCUMULATORS).keys()];
    let inner: E.Statement[] = [
      ...steady.flatMap((red) => lanes.map((j) => decl("let", acc(red, j), num(red.init)))),
      ...(few ? [loop(r, n, step(0), from(last))] : [decl("let", r, from(last)), unrolled, rest]),
      ...steady.flatMap((red) =>
        few
          ? [here.accumulate(red, id(acc(red, 0)))]
          : [
              decl("const", `${red.name}_01`, combine(red, id(acc(red, 0)), id(acc(red, 1)))),
              decl("const", `${red.name}_23`, combine(red, id(acc(red, 2)), id(acc(red, 3)))),
              here.accumulate(red, combine(red, id(`${red.name}_01`), id(`${red.name}_23`))),
            ],
      ),
    ];
    for (let d = last - 1; d >= outer; d--) {
      const here_ = here.temps("inner", (t) => lifted(t) && depth.get(t.name) === d);
      inner = [loop(idx(d), bound(d), [...here_, ...inner], from(d))];
    }
    body = [
      ...here.temps("pre", innermost),
      ...here.temps("inner", (t) => hoistable(t) && innermost(t)),
      ...k.reductions.flatMap((red) =>
        [...Array(few ? 1 : ACCUMULATORS).keys()].map((j) =>
          decl("let", acc(red, j), num(red.init)),
        ),
      ),
      inner.length === 1 ? inner[0] : block(inner),
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
    body = [loop(idx(d), bound(d), body, from(d))];
    if (d > 0)
      body = [...here.temps("pre", at_(d - 1)), ...here.temps("inner", at_(d - 1)), ...body];
  }
  const params = ranged ? ["chunk", "lo", "hi", ...k.params] : k.params;
  const siblings = k.siblings ?? [];
  // a chunk of a split kernel leaves its partials in slot `chunk` of the sibling's buffer
  // (parallel.ts combines the slots); the whole kernel stores them
  const slot = (r: SiblingReduction) =>
    ranged
      ? linear(
          [
            [id("j"), 1],
            [id("chunk"), r.size],
          ],
          0,
        )
      : id("j");
  return print(
    functionDecl(
      k.name,
      params,
      [
        ...siblings.map(partials),
        ...here.temps("invariant"),
        ...body,
        ...siblings.map((r) =>
          loop("j", sym(r.size), [
            assign(index(id(r.access.buf), slot(r)), index(id(r.name), id("j"))),
          ]),
        ),
      ],
      k.comments,
    ),
  );
}

// A sibling reduction's partials: a double per output element, each starting at the reduction's
// initial value.
function partials(r: SiblingReduction): E.Statement {
  const array: E.Expression = {
    type: "NewExpression",
    callee: id("Float64Array"),
    arguments: [sym(r.size)],
  };
  return decl(
    "const",
    r.name,
    r.init === 0
      ? array
      : call(
          {
            type: "MemberExpression",
            object: array,
            property: id("fill"),
            computed: false,
            optional: false,
          },
          [num(r.init)],
        ),
  );
}

// The unrolled lanes' statements taken in turn (lane 0's first, lane 1's first, ...): independent
// work sits side by side, so the CPU overlaps it (V8 does not reorder it for us).
const interleave = (lanes: E.Statement[][]): E.Statement[] =>
  lanes[0].flatMap((_, i) => lanes.map((l) => l[i]));
