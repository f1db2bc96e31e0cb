// One point's work in a loop kernel, shared by the loop emitter and the matmul emitter (whose
// tile elements each run it): temps, their hoisting out of loops, and stores.
import type * as E from "estree";
import type { Access, LoopKernel, Sym, Temp } from "../plan";
import { assign, decl, id, index, linear, num } from "./estree";
import { render } from "./scalar";

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
          : render(
              t.expr.scalar,
              t.expr.args.map((a) => id(rename(a))),
              t.expr.dtype,
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
