// One point's work in a loop kernel, shared by the loop emitter and the matmul emitter (whose
// tile elements each run it): temps, their hoisting out of loops, and stores.
import type * as E from "estree";
import type { Access, Bound, LoopKernel, ScalarExpr, SiblingReduction, Sym, Temp } from "../plan";
import { assign, bin, call, decl, id, index, linear, num, sym } from "./estree";
import { render } from "./scalar";

// What a temp's expression depends on: strides over the loops (of its loads and bounds) and the
// names of other temps.
export function dependencies(e: ScalarExpr): { strides: Sym[][]; names: string[] } {
  if (e.kind === "load") {
    const names = [e.guard, e.access.at?.value].filter((n) => n !== undefined);
    return { strides: [e.access.strides], names };
  }
  if (e.kind === "valid") return { strides: e.bounds.map((b) => b.strides), names: [] };
  if (e.kind === "apply") return { strides: [], names: e.args };
  return { strides: [], names: [] };
}

// Temps that no loop index reaches (constants, scalar loads, math on them): they run once, up front.
export function invariants(k: LoopKernel): Set<string> {
  const invariant = new Set<string>();
  for (const t of k.temps) {
    const { strides, names } = dependencies(t.expr);
    if (strides.every((ss) => ss.every((s) => s === 0)) && names.every((n) => invariant.has(n)))
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
  const addr = (a: Access) => {
    const terms = a.strides.map((s, d) => [index_(d), s] as [E.Expression, Sym]);
    if (a.at) {
      const { value, size, dim, error, stride } = a.at;
      const checked = call(id("checkIndex"), [id(rename(value)), sym(size), num(dim), num(error)]);
      terms.push([checked, stride]);
    }
    return index(id(a.buf), linear(terms, a.offset));
  };
  // 0 <= i * s + offset && i * s + offset < size
  const inBounds = (b: Bound) => {
    const at = linear(
      b.strides.map((s, d) => [index_(d), s] as [E.Expression, Sym]),
      b.offset,
    );
    return logical("&&", bin(">=", at, num(0)), bin("<", at, sym(b.size)));
  };
  const value = (e: ScalarExpr): E.Expression => {
    if (e.kind === "num") return num(e.value);
    if (e.kind === "valid") return e.bounds.map(inBounds).reduce((a, b) => logical("&&", a, b));
    if (e.kind === "apply")
      return render(
        e.scalar,
        e.args.map((a) => id(rename(a))),
        e.dtype,
      );
    const load = addr(e.access);
    return e.guard ? conditional(id(rename(e.guard)), load, num(0)) : load;
  };
  const temp = (t: Temp) => decl("const", rename(t.name), value(t.expr));
  const accumulate = (r: SiblingReduction, v: E.Expression) => {
    const partial = () => addr({ ...r.access, buf: r.name, offset: 0 });
    return assign(partial(), render(r.combine, [partial(), v], r.dtype));
  };
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
    // sibling reductions: this point's value (or `value`) into the partial at its output position
    siblings: (which: SiblingReduction[] = k.siblings ?? []) =>
      which.map((r) => accumulate(r, id(rename(r.value)))),
    accumulate: (r: SiblingReduction, v: E.Expression) => accumulate(r, v),
    value: (n: string) => id(rename(n)),
  };
}

const logical = (operator: "&&" | "||", left: E.Expression, right: E.Expression): E.Expression => ({
  type: "LogicalExpression",
  operator,
  left,
  right,
});
const conditional = (test: E.Expression, consequent: E.Expression, alternate: E.Expression) =>
  ({ type: "ConditionalExpression", test, consequent, alternate }) as E.Expression;
