// How a parallel call's arguments reach the workers. Workers see only shared memory; a kernel's
// result is an ordinary buffer (ir/dtype.ts: a fresh SharedArrayBuffer per result cost more than
// the split saved), and so is any tensor an op computed. So a buffer outside shared memory goes
// to the workers as a copy in a staging buffer (kept and reused across calls):
//   - a result the task declares it writes densely (TaskAccess: chunk [lo, hi) writes every
//     element of range(lo, hi) and nothing else): the calling thread's chunks write the buffer
//     itself, the workers' chunks the staging copy, and afterwards only the workers' ranges are
//     copied back (nothing is copied in, unless the task also reads it);
//   - any other argument of a task with declared access is only read: copied in;
//   - a small buffer of a task without declared access: copied in, everyone works on the copy,
//     and the copy is written back whole;
//   - a large one of a task without declared access: the call stays on the calling thread.
import type { RangeArg, WasmModule } from "./pool";

type Storage = Exclude<RangeArg, number | WasmModule>;

/** What a task writes (see above); every other argument it only reads. */
export interface TaskAccess {
  writes: { arg: number; read: boolean; range: (lo: number, hi: number) => [number, number] }[];
}

// Below this many elements a buffer without declared access is staged (copied in and back).
export const STAGE_MAX = 1 << 14;

export const isShared = (a: RangeArg) =>
  typeof a === "number" || !ArrayBuffer.isView(a) || a.buffer instanceof SharedArrayBuffer;

// Staging buffers are kept and reused (the n-th staged argument of a call gets slot n): a fresh
// SharedArrayBuffer per call is fresh memory the process must fault in and V8 collects late.
const staging: SharedArrayBuffer[] = [];
function slot(s: Storage, n: number): Storage {
  if (!staging[n] || staging[n].byteLength < s.byteLength)
    staging[n] = new SharedArrayBuffer(Math.max(s.byteLength, 8 * STAGE_MAX));
  const C = s.constructor as new (b: SharedArrayBuffer, at: number, n: number) => Storage;
  return new C(staging[n], 0, s.length);
}

export interface Staged {
  caller: RangeArg[]; // the arguments the calling thread's chunks run with
  workers: RangeArg[]; // the workers'
  // copies a worker's chunk c of the results back (null: nothing is copied chunk by chunk); the
  // caller does it as soon as the chunk is done, while the workers still run (pool.ts)
  back: ((c: number) => void) | null;
  // after the call: copies back the rest, given the chunks already handled (run by the calling
  // thread, or copied back by `back`)
  finish: (handled: Uint8Array) => void;
}

// The call's arguments for each side, or null where the call must stay on the calling thread.
export function stage(args: RangeArg[], access: TaskAccess | null, edges: number[]): Staged | null {
  if (args.every(isShared)) return { caller: args, workers: args, back: null, finish: () => {} };
  const writes = new Map((access?.writes ?? []).map((w) => [w.arg, w]));
  // a written buffer that is also another argument: its copies would disagree, so no access
  // is trusted
  const known =
    access !== null &&
    [...writes.keys()].every((i) => args.indexOf(args[i]) === args.lastIndexOf(args[i]));
  const caller = [...args],
    workers = [...args];
  const copies = new Map<Storage, Storage>();
  const back: [Storage, Storage][] = [];
  const ranged: {
    s: Storage;
    copy: Storage;
    range: (lo: number, hi: number) => [number, number];
  }[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (isShared(a)) continue;
    const s = a as Storage;
    const w = known ? writes.get(i) : undefined;
    if (w) {
      const copy = slot(s, copies.size);
      copies.set(s, copy);
      if (w.read) copy.set(s);
      workers[i] = copy;
      ranged.push({ s, copy, range: w.range });
      continue;
    }
    if (!known && s.length > STAGE_MAX) return null;
    let copy = copies.get(s);
    if (!copy) {
      copy = slot(s, copies.size);
      copy.set(s);
      copies.set(s, copy);
      if (!known) back.push([s, copy]);
    }
    workers[i] = copy;
    if (!known) caller[i] = copy;
  }
  const backChunk = (c: number) => {
    for (const { s, copy, range } of ranged) {
      const [lo, hi] = range(edges[c], edges[c + 1]);
      s.set(copy.subarray(lo, hi), lo);
    }
  };
  const finish = (handled: Uint8Array) => {
    for (let c = 0; c < handled.length; c++) if (!handled[c]) backChunk(c);
    for (const [s, copy] of back) s.set(copy);
  };
  return { caller, workers, back: ranged.length > 0 ? backChunk : null, finish };
}
