// Building one fused loop kernel: from the values it must store (its roots), expand each value's
// expression through inlined producers (elementwise ops; movement ops as index maps; reductions
// over one shared set of inner loops) down to loads of materialized buffers. The loops are the
// first root's dims, then the reduced dims, each possibly run as several pieces (a Refinement,
// when a reshape that splits a dim asks for it); reductions that keep other dims ride along as
// siblings when the loops walk their operand once.

import { type Access, coalesce, type LoopKernel, type Reduction, type Temp } from "../backend/plan";
import type { Value } from "../ir/graph";
import {
  type Bound,
  broadcastMap,
  flatMap,
  type IndexMap,
  identity,
  mapKey,
  maskKey,
  unit,
} from "../ir/index-map";
import { computeDtype, keeps, operandCasts, withCasts } from "../ir/operand-casts";
import {
  defOf,
  type Elementwise,
  type KernelOpName,
  ownKernel,
  type Reduce,
  reduceParams,
  type ScanOpName,
  type View,
} from "../ir/ops";
import { printValue } from "../ir/print";
import { arg, S, type Scalar, storeAs, substitute } from "../ir/scalar";
import { contiguousStrides, numel, sameShape } from "../ir/shape";
import { operandView } from "./operand-view";

// Each dim of the value is driven by its own loop of the same size, and every loop of size > 1
// drives one: the value is visited exactly once, in full (a permutation of the loops).
function oneToOne(m: IndexMap, shape: readonly number[], sizes: readonly number[]): boolean {
  if (
    m.mask.length ||
    !m.off.every((o) => o === 0) ||
    !m.rows.every((r) => r.filter((c) => c !== 0).length === 1 && r.includes(1))
  )
    return false;
  const used = m.rows.map((r) => r.indexOf(1));
  return (
    new Set(used).size === used.length &&
    used.every((j, d) => sizes[j] === shape[d]) &&
    sizes.every((n, j) => n === 1 || used.includes(j))
  );
}

// A value shaped like the outer loops but for dims of size 1 (batch norm's [C] weight gradient in
// a kernel over [1, C, 1, 1]): each dim of size > 1 follows its loop, in order.
function alongOuter(
  shape: readonly number[],
  outer: readonly number[],
  loops: number,
): IndexMap | undefined {
  const big = [...outer.keys()].filter((j) => outer[j] !== 1);
  const rows: number[][] = [];
  let k = 0;
  for (const n of shape) {
    if (n === 1) rows.push(new Array<number>(loops).fill(0));
    else if (k < big.length && outer[big[k]] === n) rows.push(unit(loops, big[k++]));
    else return undefined;
  }
  return k === big.length
    ? { rows, off: new Array<number>(shape.length).fill(0), mask: [] }
    : undefined;
}

// A map without the zero columns of loops added after it was made (a root's map made before a
// reduction added the inner loops reads the same point as the padded one).
function trimmed(m: IndexMap): IndexMap {
  const trim = (r: number[]) => {
    let n = r.length;
    while (n > 0 && r[n - 1] === 0) n--;
    return r.slice(0, n);
  };
  return {
    rows: m.rows.map(trim),
    off: m.off,
    mask: m.mask.map((b) => ({ ...b, row: trim(b.row) })),
  };
}

// The most elements a sibling reduction's output may have (its partials are allocated per call).
const MAX_SIBLING = 1 << 16;

// Thrown when a value cannot be inlined where it is used; the planner gives it a buffer.
export class NeedsBuffer extends Error {
  constructor(readonly value: Value) {
    super(`%${value.id} needs a buffer`);
  }
}

// pre: depends on the outer loops only (hoisted out of the reduction loops); inner: varies with
// the reduction loops; post: uses a reduction's result, so runs after the reduction loops.
type Phase = "pre" | "inner" | "post";
const rank: Record<Phase, number> = { pre: 0, inner: 1, post: 2 };
interface Computed {
  name: string;
  phase: Phase;
}
// a gather's position along one dim: a temp's value, checked against that dim's size
interface ComputedAt {
  value: string;
  dim: number;
  error: number;
  phase: Phase; // the value's
}

// Loops a kernel runs as several pieces, so that a reshape splitting a dim reads affinely (group
// norm's channels as groups x channels in a group): for a loop of the kernel's space (outer dims,
// then reduced dims, as its roots and reductions shape them), its pieces' sizes, outermost first.
export type Refinement = ReadonlyMap<number, readonly number[]>;

// Thrown when a read needs one of the kernel's loops split (a finer Refinement); the planner
// rebuilds the kernel with it, or gives `value` a buffer.
export class NeedsSplit extends Error {
  constructor(
    readonly value: Value,
    readonly refine: Refinement,
  ) {
    super(`%${value.id} needs a loop split`);
  }
}

export class KernelBuilder {
  reducedSizes: number[] | null = null; // the inner loops, once a reduction is part of the kernel
  private baseReduced: number[] | null = null; // the reduced dims' sizes, before refinement
  readonly outer: number[]; // the outer loops (refined)
  readonly roots: Value[] = [];
  readonly reads = new Set<Value>(); // buffers the kernel loads
  private readonly temps: (Omit<Temp, "phase"> & { phase: Phase })[] = [];
  private readonly reductions: (Reduction & { source: Value })[] = [];
  private readonly cache = new Map<string, Computed>();
  private readonly loads: {
    buf: Value;
    map: IndexMap;
    shape: readonly number[];
    at?: ComputedAt;
  }[] = [];
  private readonly masks = new Map<string, Bound[]>(); // each "valid" temp's bounds, in loop terms
  private readonly stores: { value: Value; name: string; inner: boolean; map: IndexMap }[] = [];
  private readonly siblings: {
    value: Value;
    name: string;
    input: string;
    map: IndexMap; // the output position of each point
    def: Reduce;
  }[] = [];
  private readonly computedAt = new Map<Value, IndexMap[]>(); // the maps each value was expanded at
  private readonly tempCount = new Map<Value, number>();

  // space: the outer dims (the first root's shape)
  constructor(
    private readonly space: number[],
    private readonly isBuffer: (v: Value) => boolean,
    private readonly exact: Set<Value> = new Set(),
    private readonly refine: Refinement = new Map(),
  ) {
    this.outer = this.pieces(space, 0);
  }
  private pieces(sizes: readonly number[], first: number): number[] {
    return sizes.flatMap((n, u) => [...(this.refine.get(first + u) ?? [n])]);
  }
  private get baseSizes() {
    return [...this.space, ...(this.baseReduced ?? [])];
  }
  // The row over the loops giving the index of dim u of the space (its pieces' linear index).
  private coarse(u: number): number[] {
    const base = this.baseSizes,
      row = new Array<number>(this.loops).fill(0);
    const start = base
      .slice(0, u)
      .reduce((n, _size, w) => n + (this.refine.get(w)?.length ?? 1), 0);
    const parts = this.refine.get(u) ?? [base[u]];
    contiguousStrides(parts).forEach((st, k) => {
      row[start + k] = st;
    });
    return row;
  }
  // A map over the space's dims as one over the loops.
  private lift(m: IndexMap): IndexMap {
    const row = (r: number[]) =>
      r.reduce(
        (acc, c, u) => (c === 0 ? acc : acc.map((a, l) => a + c * this.coarse(u)[l])),
        new Array<number>(this.loops).fill(0),
      );
    return {
      rows: m.rows.map(row),
      off: m.off,
      mask: m.mask.map((b) => ({ ...b, row: row(b.row) })),
    };
  }
  // The same kernel with refined loop j split into `factors`.
  private splitting(j: number, factors: [number, number]): Refinement {
    const base = this.baseSizes;
    let u = 0,
      k = j;
    for (; u < base.length && k >= (this.refine.get(u)?.length ?? 1); u++)
      k -= this.refine.get(u)?.length ?? 1;
    const parts = [...(this.refine.get(u) ?? [base[u]])];
    parts.splice(k, 1, ...factors);
    return new Map([...this.refine, [u, parts]]);
  }
  private readonly opList: string[] = [];
  private readonly lines: string[] = []; // the IR of what the kernel computes, for its comment
  siblingCount() {
    return this.siblings.length;
  }
  opNames() {
    return [...new Set(this.opList)];
  }
  size() {
    return [...this.outer, ...(this.reducedSizes ?? [])].reduce((a, b) => a * b, 1);
  }
  private get sizes() {
    return [...this.outer, ...(this.reducedSizes ?? [])];
  }
  private get loops() {
    return this.outer.length + (this.reducedSizes?.length ?? 0);
  }

  // Adds a value the kernel stores: shaped like the outer dims (size-1 dims aside); or, in a
  // reducing kernel, an elementwise value over all the loops (shaped like them, or already computed
  // here at some one-to-one map: a reduction's operand, stored as it is reduced); or a reduction
  // as a sibling. False when it does not fit.
  addRoot(v: Value): boolean {
    let map: IndexMap | undefined,
      inner = false;
    const base = this.baseSizes.length;
    if (sameShape(v.shape, this.space)) map = this.lift(identity(v.shape.length, base));
    else {
      const along = alongOuter(v.shape, this.space, base);
      map = along && this.lift(along);
    }
    if (!map && this.reducedSizes) {
      inner = true;
      map = sameShape(v.shape, this.baseSizes)
        ? this.lift(identity(v.shape.length, base))
        : this.computedAt.get(v)?.find((m) => oneToOne(m, v.shape, this.sizes));
    }
    if (!map) return this.sibling(v);
    const c = this.expr(v, map, true);
    if (inner && c.phase === "post") return false; // stored inside the reduction loops, it cannot use their result
    // bool buffers hold 0/1 even when the value is arithmetic on bools (True + True is True)
    const stored =
      v.dtype === "bool"
        ? this.temp(
            v,
            { kind: "apply", scalar: storeAs("bool", arg(0)), dtype: "bool", args: [c.name] },
            c.phase,
          )
        : c;
    this.roots.push(v);
    this.lines.push(printValue(v)); // a copy kernel's root is the only line that says what it does
    this.stores.push({ value: v, name: stored.name, inner, map });
    return true;
  }

  // A reduction whose kept dims are not the outer loops, over an operand the loop nest walks
  // one-to-one: a sibling reduction (plan.ts), accumulated at every point and stored after the
  // loops. Its partials are a fresh double array per call, so only outputs of moderate size.
  private sibling(v: Value): boolean {
    const def = v.op === "input" || v.op === "const" ? null : defOf(v.op);
    if (def?.kind !== "reduce" || this.product || numel(v.shape) > MAX_SIBLING) return false;
    if (v.dtype !== "float32" && v.dtype !== "float64") return false;
    const x = v.inputs[0],
      { dims, keepdim } = reduceParams(v);
    const walk = this.walk(x.shape);
    if (!walk) return false;
    const input = this.expr(x, walk);
    if (input.phase === "post") return false; // known only per outer point, after the inner loops
    const zero = new Array<number>(this.loops).fill(0);
    const rows = x.shape.flatMap((_, d) =>
      dims.includes(d) ? (keepdim ? [zero] : []) : [walk.rows[d]],
    );
    this.opList.push(v.op);
    this.lines.push(printValue(v));
    this.roots.push(v);
    this.siblings.push({
      value: v,
      name: `part${v.id}`,
      input: input.name,
      map: { rows, off: rows.map(() => 0), mask: [] },
      def: def as Reduce,
    });
    return true;
  }

  // A one-to-one walk of a value of `shape` over the loops: one the kernel already walks a value of
  // that shape by (their expressions share temps), else its dims along the loops in order.
  private walk(shape: readonly number[]): IndexMap | undefined {
    for (const [u, maps] of this.computedAt) {
      if (!sameShape(u.shape, shape)) continue;
      const m = maps.find((m) => oneToOne(m, shape, this.sizes));
      if (m) return m;
    }
    // along the loops in order: one-to-one only when the value has as many elements as the loops
    // have points (a value walked along the outer loops alone would be visited again at every step
    // of another reduction's inner loop, and a sibling would sum it that many times)
    if (numel(shape) !== this.size()) return undefined;
    const along = alongOuter(shape, this.baseSizes, this.baseSizes.length);
    return along && this.lift(along);
  }

  private expr(v: Value, m: IndexMap, isRoot = false): Computed {
    const key = `${v.id}@${mapKey(trimmed(m))}`;
    let c = this.cache.get(key);
    if (c) return c;
    this.computedAt.set(v, [...(this.computedAt.get(v) ?? []), m]);
    const def = v.op === "input" || v.op === "const" ? null : defOf(v.op);
    if (v.op === "const") c = this.temp(v, { kind: "num", value: v.constant! }, "pre");
    else if (!def || (!isRoot && this.isBuffer(v))) c = this.load(v, m);
    else if (def.kind === "elementwise") {
      const args = v.inputs.map((x) => this.expr(x, broadcastMap(m, x.shape, v.shape)));
      const phase = args.reduce<Phase>((p, a) => (rank[a.phase] > rank[p] ? a.phase : p), "pre");
      if (phase === "post" && args.some((a) => a.phase === "inner"))
        throw new NeedsBuffer(this.reductions[0].source);
      const params = v.inputs.map((_, i) => arg(i));
      // operands cast to the dtype the op computes in (operand-casts.ts). A constant traced from a
      // JS number was wrapped (a float64 one never was: it was a 0-d tensor), and one whose value
      // the cast keeps needs none.
      const to = computeDtype(
        v.op,
        v.inputs.map((x) => ({ ...x, wrapped: x.op === "const" && x.dtype !== "float64" })),
        v.dtype,
      );
      const casts = operandCasts(v.op, v.inputs, v.dtype, to).map((c, i) =>
        c && v.inputs[i].op === "const" && keeps(c, v.inputs[i].constant!) ? null : c,
      );
      const f = withCasts((def as Elementwise).scalar(params, v.params), casts);
      // a float32 comparison: every operand rounded (a float32 one may be a double intermediate)
      const compare = v.dtype === "bool" && to === "float32";
      const rounded: Scalar =
        v.dtype === "int32"
          ? S.wrapI32(f)
          : compare
            ? substitute(
                f,
                params.map((p) => S.roundF32(p)),
              )
            : v.dtype === "float32" && this.exact.has(v)
              ? S.roundF32(f)
              : f;
      const apply = { kind: "apply" as const, scalar: rounded, dtype: v.dtype };
      c = this.temp(v, { ...apply, args: args.map((a) => a.name) }, phase);
    } else if (def.kind === "movement") {
      const x = v.inputs[0],
        inner = def.index(m, v.params, x.shape, v.shape, this.sizes);
      if (inner) c = this.moved(v, x, m, inner);
      else if (this.isBuffer(x))
        c = this.load(x, flatMap(m, v.shape), [numel(x.shape)]); // a buffer is contiguous: reshape is free
      else {
        // a loop split in two may make the read affine (the kernel is then rebuilt so)
        const split = !this.product && def.split?.(m, v.params, x.shape, v.shape, this.sizes);
        if (split) throw new NeedsSplit(x, this.splitting(split.loop, split.factors));
        throw new NeedsBuffer(x);
      }
    } else if (def.kind === "reduce" && !this.product) c = this.reduce(v, m, def);
    else if (ownKernel(def)) c = this.kernelOp(v, m);
    else if (def.kind === "gather") c = this.gather(v, m, def.along(v.params));
    else throw new NeedsBuffer(v);
    this.cache.set(key, c);
    return c;
  }

  // v = movement(x) at m is x at `inner`; where the movement added bounds (pad's border), the
  // value is 0 outside them.
  private moved(v: Value, x: Value, m: IndexMap, inner: IndexMap): Computed {
    const c = this.expr(x, inner);
    if (inner.mask.length === m.mask.length) return c;
    const ok = this.valid(inner.mask.slice(m.mask.length));
    const phase = rank[ok.phase] > rank[c.phase] ? ok.phase : c.phase;
    const select = { kind: "apply" as const, scalar: S.select(arg(0), arg(1), 0), dtype: v.dtype };
    return this.temp(v, { ...select, args: [ok.name, c.name] }, phase);
  }

  // x read where index (computed here, fused) says along dim: a load whose position along dim is
  // the index's value, checked in the kernel.
  private gather(v: Value, m: IndexMap, along: { dim: number; error: number }): Computed {
    const [x, index] = v.inputs,
      { dim } = along;
    if (!this.isBuffer(x)) throw new NeedsBuffer(x);
    const i = this.expr(index, m);
    const zero = new Array<number>(m.rows[0]?.length ?? 0).fill(0);
    const xm: IndexMap = {
      rows: m.rows.map((r, d) => (d === dim ? zero : r)),
      off: m.off.map((o, d) => (d === dim ? 0 : o)),
      mask: m.mask,
    };
    return this.load(x, xm, x.shape, { value: i.name, dim, error: along.error, phase: i.phase });
  }

  // A temp that is true where every bound holds (one per distinct set of bounds).
  private valid(bounds: Bound[]): Computed {
    const key = `valid@${maskKey(bounds)}`;
    let c = this.cache.get(key);
    if (c) return c;
    const inner = bounds.some((b) => b.row.slice(this.outer.length).some((x) => x !== 0));
    c = { name: `m${this.masks.size}`, phase: inner ? "inner" : "pre" };
    this.masks.set(c.name, bounds);
    this.temps.push({
      name: c.name,
      expr: { kind: "valid", bounds: [] }, // resolved to strides over the loops by build()
      phase: c.phase,
      comment: "in bounds",
    });
    this.cache.set(key, c);
    return c;
  }

  // A kernel op at the kernel's own index: the kernel becomes that op's kernel, whose result
  // elements run the rest of the expression (the epilogue). Anywhere else its result needs a
  // buffer.
  private kernelOp(v: Value, m: IndexMap): Computed {
    const at =
      mapKey(m) === mapKey(this.lift(identity(this.space.length, this.baseSizes.length))) &&
      sameShape(v.shape, this.space);
    // (a kernel op's kernel keeps its loops as they are: none split for a reshape)
    if (this.product || this.reducedSizes || !at || this.refine.size) throw new NeedsBuffer(v);
    const operands = v.inputs.map(operandView);
    for (const o of operands) this.reads.add(o.base);
    this.product = { value: v, op: v.op as KernelOpName | ScanOpName, operands };
    this.opList.push(v.op);
    this.lines.push(printValue(v));
    return { name: "acc", phase: "post" };
  }
  product: {
    value: Value;
    op: KernelOpName | ScanOpName;
    operands: { base: Value; view: View }[];
  } | null = null;

  // v = reduce(x) read at outer map m: x's kept dims follow m, its reduced dims the inner loops.
  private reduce(v: Value, m: IndexMap, def: Reduce): Computed {
    const x = v.inputs[0],
      dims = reduceParams(v).dims,
      sizes = dims.map((d) => x.shape[d]);
    // read once per output point: its index must use only, and every one of, the outer loops
    const onlyOuter = m.rows.every((r) => r.slice(this.outer.length).every((c) => c === 0));
    const everyOuter = this.outer.every((n, j) => n === 1 || m.rows.some((r) => r[j] !== 0));
    if (!onlyOuter || !everyOuter || (this.baseReduced && !sameShape(this.baseReduced, sizes)))
      throw new NeedsBuffer(v);
    if (!this.baseReduced) {
      // a sibling added before walks the outer loops once; inner loops would repeat its terms
      if (this.siblings.length) throw new NeedsBuffer(v);
      this.baseReduced = sizes;
      this.reducedSizes = this.pieces(sizes, this.space.length);
    }
    const total = this.loops,
      pad = (r: number[]) => [...r, ...new Array<number>(total - r.length).fill(0)];
    let kept = 0,
      red = 0;
    const rows: number[][] = [],
      off: number[] = [];
    x.shape.forEach((_, d) => {
      if (dims.includes(d)) {
        rows.push(this.coarse(this.space.length + red++));
        off.push(0);
        return;
      }
      const src = reduceParams(v).keepdim ? d : kept++;
      rows.push(pad(m.rows[src]));
      off.push(m.off[src]);
    });
    const input = this.expr(x, { rows, off, mask: m.mask.map((b) => ({ ...b, row: pad(b.row) })) });
    if (input.phase === "post") throw new NeedsBuffer(this.reductions[0].source);
    const copies = this.reductions.filter((r) => r.source === v).length;
    const name = `acc${v.id}${copies ? `$${copies}` : ""}`;
    this.opList.push(v.op);
    this.lines.push(printValue(v));
    this.reductions.push({
      name,
      value: input.name,
      combine: def.combine(arg(0), arg(1)),
      dtype: v.dtype,
      init: def.init,
      source: v,
    });
    // a float32 result whose bits matter is rounded before use, as the stored copy is
    if (this.exact.has(v) && v.dtype === "float32")
      return this.temp(
        v,
        { kind: "apply", scalar: S.roundF32(arg(0)), dtype: "float32", args: [name] },
        "post",
      );
    return { name, phase: "post" };
  }

  private temp(v: Value, expr: Temp["expr"], phase: Phase): Computed {
    // a value computed at a second map gets a letter (t4b): digits after "_" are unrolled copies
    const copies = this.tempCount.get(v) ?? 0;
    this.tempCount.set(v, copies + 1);
    const name = `t${v.id}${copies ? `$${copies}` : ""}`; // "_" suffixes are the unrolled copies
    if (expr.kind === "apply" && !copies) {
      this.opList.push(v.op);
      this.lines.push(printValue(v));
    }
    this.temps.push({ name, expr, phase, comment: printValue(v) });
    return { name, phase };
  }

  // A load of buffer v at m; under a mask, guarded (nothing is read outside the bounds); `at`:
  // plus a computed position along one dim.
  private load(
    v: Value,
    m: IndexMap,
    shape: readonly number[] = v.shape,
    at?: ComputedAt,
  ): Computed {
    this.reads.add(v);
    this.loads.push({ buf: v, map: m, shape, at });
    const guard = m.mask.length ? this.valid(m.mask) : undefined;
    const inner =
      guard?.phase === "inner" ||
      m.rows.some((r) => r.slice(this.outer.length).some((c) => c !== 0));
    const access = { buf: `#${this.loads.length - 1}`, offset: 0, strides: [] };
    const expr = guard
      ? { kind: "load" as const, access, guard: guard.name }
      : { kind: "load" as const, access };
    const phase: Phase =
      at?.phase === "post" ? "post" : inner || at?.phase === "inner" ? "inner" : "pre";
    return this.temp(v, expr, phase);
  }

  // The LoopKernel: maps resolved to strides over the loops, loops coalesced, phases placed.
  build(name: string, bufName: (v: Value) => string): LoopKernel {
    const loops = this.loops;
    const strided = (shape: readonly number[], m: IndexMap) => {
      const cs = contiguousStrides(shape),
        strides = new Array<number>(loops).fill(0);
      let offset = 0;
      m.rows.forEach((r, d) => {
        r.forEach((c, j) => {
          strides[j] += c * cs[d];
        });
        offset += m.off[d] * cs[d];
      });
      return { strides, offset };
    };
    const accesses = [
      ...this.loads.map((l) => strided(l.shape, l.map)),
      ...this.stores.map((s) => strided(s.value.shape, s.map)),
      ...this.siblings.map((s) => strided(s.value.shape, s.map)),
    ];
    // bounds are linear in the loops too: coalescing must keep them linear
    const full = (row: number[]) => [...row, ...new Array<number>(loops - row.length).fill(0)];
    const bounds = [...this.masks.values()].flat().map((b) => full(b.row));
    const arrays = [...accesses.map((a) => a.strides), ...bounds];
    // a kernel op's kernel keeps its loops as they are (a matmul's last two are its tiles' rows
    // and columns)
    const c = this.product
      ? { sizes: this.outer, strides: arrays, split: this.outer.length }
      : coalesce([...this.outer, ...(this.reducedSizes ?? [])], arrays, this.outer.length);
    const boundStrides = c.strides.slice(accesses.length);
    const resolved = new Map(
      [...this.masks].map(([name, mask]) => [
        name,
        mask.map((b) => ({ strides: boundStrides.shift()!, offset: b.off, size: b.size })),
      ]),
    );
    const access = (v: Value, k: number): Access => ({
      buf: bufName(v),
      offset: accesses[k].offset,
      strides: c.strides[k],
    });
    // without reduction loops every phase runs in the innermost loop body
    const phase = (p: Phase): Temp["phase"] =>
      p === "post" && this.reducedSizes ? "outer" : "inner";
    return {
      name,
      comments: [...new Set(this.lines)],
      params: [
        ...new Set([
          ...this.stores.map((s) => s.value),
          ...this.siblings.map((s) => s.value),
          ...this.reads,
        ]),
      ].map(bufName),
      sizes: c.sizes,
      reduced: c.sizes.length - c.split,
      temps: this.temps.map((t) => {
        let expr = t.expr;
        if (expr.kind === "load") {
          const k = Number(expr.access.buf.slice(1));
          const { buf, shape, at } = this.loads[k];
          const computed = at && {
            value: at.value,
            dim: at.dim,
            error: at.error,
            stride: contiguousStrides(shape)[at.dim],
            size: shape[at.dim],
          };
          expr = { ...expr, access: { ...access(buf, k), ...(computed && { at: computed }) } };
        }
        if (expr.kind === "valid") expr = { kind: "valid", bounds: resolved.get(t.name)! };
        return {
          ...t,
          expr,
          phase: t.phase === "pre" && this.reducedSizes ? "pre" : phase(t.phase),
        };
      }),
      reductions: this.reductions.map(({ source: _, ...r }) => r),
      stores: this.stores.map((s, i) => ({
        access: access(s.value, this.loads.length + i),
        value: s.name,
        phase: s.inner ? ("inner" as const) : ("outer" as const),
      })),
      ...(this.siblings.length && {
        siblings: this.siblings.map((s, i) => ({
          name: s.name,
          value: s.input,
          combine: s.def.combine(arg(0), arg(1)),
          dtype: s.value.dtype,
          init: s.def.init,
          access: access(s.value, this.loads.length + this.stores.length + i),
          size: numel(s.value.shape),
        })),
      }),
      ...(this.product && {
        kernel: {
          op: this.product.op,
          params: this.product.value.params,
          dtype: this.product.value.dtype,
          acc: "acc",
          operands: this.product.operands.map((o) => ({ buf: bufName(o.base), view: o.view })),
        },
      }),
    };
  }
}
