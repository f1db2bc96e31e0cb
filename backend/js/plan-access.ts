// What a loop kernel split along dim 0 writes, for staging its results (threads/staging.ts): a
// buffer stored once, at a plain strided access that walks the kernel's output dims row-major and
// contiguously (and stays put along reduced dims), is written densely: chunk [lo, hi) of dim 0
// writes every element of [offset + lo * s0, offset + hi * s0) and nothing else, s0 being the
// row size. Any other store makes the access unknown (null), unless its buffer is shared memory
// the workers write themselves. Sizes, offsets and strides may be kernel arguments (eager
// kernels): they are read from the call's arguments.

import type { LoopKernel, Store, Sym } from "../plan";
import type { RangeArg } from "../threads/pool";
import { isShared, type TaskAccess } from "../threads/staging";

export function planAccess(k: LoopKernel): (args: RangeArg[]) => TaskAccess | null {
  const slot = new Map(k.params.map((p, i) => [p, i]));
  const loaded = new Set<string>();
  for (const t of k.temps) if (t.expr.kind === "load") loaded.add(t.expr.access.buf);
  for (const s of k.siblings ?? []) loaded.add(s.access.buf);
  const byBuf = new Map<string, Store[]>();
  for (const s of k.stores) byBuf.set(s.access.buf, [...(byBuf.get(s.access.buf) ?? []), s]);
  const outer = k.sizes.length - k.reduced;
  return (args) => {
    const value = (x: Sym): number | null => {
      if (typeof x === "number") return x;
      const i = slot.get(x);
      return i === undefined || typeof args[i] !== "number" ? null : (args[i] as number);
    };
    const sizes = k.sizes.map(value);
    if (sizes.some((n) => n === null)) return null;
    const writes: TaskAccess["writes"] = [];
    for (const [buf, stores] of byBuf) {
      const arg = slot.get(buf);
      if (arg === undefined) return null;
      if (isShared(args[arg])) continue;
      const row = stores.length === 1 ? denseRow(stores[0], sizes as number[], outer, value) : null;
      if (row === null) return null;
      const { offset, s0 } = row;
      writes.push({
        arg,
        read: loaded.has(buf),
        range: (lo, hi) => [offset + lo * s0, offset + hi * s0],
      });
    }
    return { writes };
  };
}

// The store's offset and dim 0's stride when it writes densely, else null. An inner-phase store
// (at every point of the space) must walk every dim; an outer one the output dims, staying put
// along the reduced ones.
function denseRow(
  s: Store,
  sizes: number[],
  outer: number,
  value: (x: Sym) => number | null,
): { offset: number; s0: number } | null {
  const a = s.access;
  const offset = value(a.offset);
  if (a.at || offset === null) return null;
  const walked = (s.phase ?? "outer") === "inner" || outer === sizes.length ? sizes.length : outer;
  if (walked === 0) return null;
  let expect = 1,
    s0 = 1;
  for (let d = sizes.length - 1; d >= 0; d--) {
    const stride = value(a.strides[d]);
    if (stride === null) return null;
    if (d >= walked) {
      if (stride !== 0 && sizes[d] !== 1) return null;
      continue;
    }
    if (stride !== expect && sizes[d] !== 1) return null;
    if (d > 0) s0 *= sizes[d];
    expect *= sizes[d];
  }
  return { offset, s0 };
}

// Whether kernel `k` writes every one of the n elements of `buf` and reads none of them: it stores
// `buf` once, densely, from offset 0, over exactly n points, and never loads it. Its result may
// then start uninitialized (compiler/program.ts). A kernel op's routine (matmul, scatter, conv...)
// writes its result through that store too: every routine writes its whole output, copying `self`
// in first where it updates one (scatterAdd, indexAdd); the suite checks it, with every unfilled
// result poisoned with NaN (the whole suite also passed with every compiled result unfilled).
export function writesWhole(k: LoopKernel, buf: string, n: number): boolean {
  if (k.sizes.some((x) => typeof x !== "number")) return false;
  if (k.temps.some((t) => t.expr.kind === "load" && t.expr.access.buf === buf)) return false;
  if ((k.siblings ?? []).some((s) => s.access.buf === buf)) return false;
  const stores = k.stores.filter((s) => s.access.buf === buf);
  if (stores.length !== 1) return false;
  const sizes = k.sizes as number[],
    row = denseRow(stores[0], sizes, sizes.length - k.reduced, (x) =>
      typeof x === "number" ? x : null,
    );
  return row !== null && row.offset === 0 && row.s0 * sizes[0] === n;
}
