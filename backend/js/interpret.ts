// Kernel plans run without generating code, for pages whose Content-Security-Policy refuses
// `new Function`: the same plans eager mode builds, walked point by point, each scalar formula
// evaluated with the scalar table's `run` column (so values equal the generated kernels'). Slow,
// but every eager op works.
import { defOf, indexErrors, type ScanDef } from "../../ir/ops";
import { arg } from "../../ir/scalar";
import type { Access, LoopKernel, ScalarExpr, Sym, Temp } from "../plan";
import { evaluate } from "./scalar";

type Arg = ArrayLike<number> & { [i: number]: number };

// (typed as the caller's kernel type: its arguments are the plan's params, in order)
export function interpret<F>(k: LoopKernel): F {
  const run_ = (...args: unknown[]) => {
    const env = new Map<string, unknown>(k.params.map((p, i) => [p, args[i]]));
    const num = (s: Sym) => (typeof s === "number" ? s : (env.get(s) as number));
    const sizes = k.sizes.map(num);
    const values = new Map<string, number>();
    const idx = new Array<number>(sizes.length).fill(0);
    const address = (a: Access) => {
      let o = num(a.offset);
      a.strides.forEach((s, d) => {
        o += idx[d] * num(s);
      });
      if (a.at) {
        const i = values.get(a.at.value)!,
          n = num(a.at.size);
        if (!(i >= 0 && i < n)) throw new Error(indexErrors[a.at.error](i, n, a.at.dim));
        o += i * num(a.at.stride);
      }
      return o;
    };
    const value = (e: ScalarExpr): number => {
      if (e.kind === "num") return e.value;
      if (e.kind === "apply")
        return evaluate(
          e.scalar,
          e.args.map((a) => values.get(a)!),
          e.dtype,
        );
      if (e.kind === "valid")
        return +e.bounds.every((b) => {
          const at = b.strides.reduce<number>((o, s, d) => o + idx[d] * num(s), num(b.offset));
          return at >= 0 && at < num(b.size);
        });
      if (e.guard && !values.get(e.guard)) return 0;
      return (env.get(e.access.buf) as Arg)[address(e.access)];
    };
    const run = (temps: Temp[]) => {
      for (const t of temps) values.set(t.name, value(t.expr));
    };
    const store = (phase: "inner" | "outer" | "all") => {
      for (const s of k.stores)
        if (phase === "all" || (s.phase ?? "outer") === phase)
          (env.get(s.access.buf) as Arg)[address(s.access)] = values.get(s.value)!;
    };
    if (k.kernel) {
      // only scans reach here: eager kernel ops run their library routines, and compile() does
      // not generate programs where code generation is refused
      if (defOf(k.kernel.op).kind !== "scan")
        throw new Error(`internal: a ${k.kernel.op} kernel plan cannot be interpreted`);
      const source = env.get(k.kernel.operands[0].buf) as Arg;
      return scanLine(k, sizes, idx, values, run, store, source);
    }
    const outer = sizes.length - k.reduced;
    const phase = (p: Temp["phase"]) => k.temps.filter((t) => t.phase === p);
    const [pre, inner, post] = [phase("pre"), phase("inner"), phase("outer")];
    // sibling reductions: partials over the whole space, stored at the end
    const siblings = k.siblings ?? [];
    const partials = siblings.map((r) => new Float64Array(num(r.size)).fill(r.init));
    const accumulate = () =>
      siblings.forEach((r, i) => {
        const at = address({ ...r.access, offset: 0 });
        partials[i][at] = combine(r, partials[i][at], values.get(r.value)!);
      });
    forEach(sizes.slice(0, outer), idx, 0, () => {
      if (!k.reduced) {
        run(k.temps);
        for (const r of k.reductions) values.set(r.name, combine(r, r.init, values.get(r.value)!));
        store("all");
        accumulate();
        return;
      }
      run(pre);
      const accs = k.reductions.map((r) => r.init);
      forEach(sizes, idx, outer, () => {
        run(inner);
        k.reductions.forEach((r, i) => {
          accs[i] = combine(r, accs[i], values.get(r.value)!);
        });
        store("inner");
        accumulate();
      });
      k.reductions.forEach((r, i) => values.set(r.name, accs[i]));
      run(post);
      store("outer");
    });
    siblings.forEach((r, i) => {
      const out = env.get(r.access.buf) as Arg;
      partials[i].forEach((v, j) => {
        out[j] = v;
      });
    });
  };
  return run_ as F;
}

const combine = (r: LoopKernel["reductions"][number], acc: number, x: number) =>
  evaluate(r.combine, [acc, x], r.dtype);

// Calls f at every index of dims [from, sizes.length), in row-major order, writing idx.
function forEach(sizes: number[], idx: number[], from: number, f: () => void): void {
  if (from >= sizes.length) {
    f();
    return;
  }
  for (let i = 0; i < sizes[from]; i++) {
    idx[from] = i;
    forEach(sizes, idx, from + 1, f);
  }
}

// A scan plan: every line along the scanned dim, carrying the accumulator.
function scanLine(
  k: LoopKernel,
  sizes: number[],
  idx: number[],
  values: Map<string, number>,
  run: (temps: Temp[]) => void,
  store: (phase: "all") => void,
  source: Arg,
): void {
  const call = k.kernel!,
    def = defOf(call.op) as ScanDef,
    dim = def.along(call.params);
  const x = call.operands[0].view;
  const lines = sizes.map((n, d) => (d === dim ? 1 : n));
  const f = def.combine(arg(0), arg(1));
  forEach(lines, idx, 0, () => {
    let acc = def.init;
    for (let j = 0; j < (sizes.length ? sizes[dim] : 1); j++) {
      if (sizes.length) idx[dim] = j;
      const at = x.strides.reduce((o, s, d) => o + idx[d] * s, x.offset);
      acc = evaluate(f, [acc, source[at]], call.dtype);
      values.set(call.acc, acc);
      run(k.temps);
      store("all");
    }
  });
}
