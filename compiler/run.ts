// Running compiled programs on tensors: the storages handed to a program, the tensors made of what
// it returns, and in-place updates written back to the caller's tensors.
import { backend } from "../backend/index";
import type { Storage } from "../ir/dtype";
import type { Value } from "../ir/graph";
import { contiguousStrides } from "../ir/shape";
import { materialize } from "../runtime/dispatch";
import { CompileError } from "../runtime/errors";
import { Tensor } from "../runtime/tensor";
import type { Program } from "./program";
import type { Arg, Traced } from "./trace";

// A tensor's data as a program reads it: contiguous from offset 0 (copied when it is not).
export const storageOf = (t: Tensor): Storage => {
  if (!t.storage)
    throw new CompileError(
      "a compiled function was called with a tracer; calling a compiled function inside compile() is not supported",
    );
  return (t.isContiguous() && t.offset === 0 ? t : materialize(t)).storage!;
};
export const wrap = (s: Storage, v: Value) =>
  new Tensor(s, [...v.shape], contiguousStrides(v.shape), 0, v.dtype);

// The caller's result tensors: fresh storage each, as eager gives (an output that is an input, or
// that repeats an earlier output after CSE, is copied).
export function results(outputs: Value[], outs: Storage[], primals: Tensor[]): Tensor[] {
  return outputs.map((v, i) => {
    if (v.op === "input") return wrap(storageOf(primals[v.slot!]).slice(), v);
    return wrap(outputs.indexOf(v) < i ? outs[i].slice() : outs[i], v);
  });
}

// The same, precomputed once per compiled entry (which output is an input, which repeats one).
export function resultMaker(outputs: Value[]): (outs: Storage[], primals: Tensor[]) => Tensor[] {
  const shapes = outputs.map((v) => [...v.shape]),
    strides = outputs.map((v) => contiguousStrides(v.shape)),
    dtypes = outputs.map((v) => v.dtype);
  const source = outputs.map((v, i) => (v.op === "input" ? -1 : outputs.indexOf(v) < i ? 1 : 0));
  const slots = outputs.map((v) => v.slot ?? -1),
    n = outputs.length;
  return (outs, primals) => {
    const ts = new Array<Tensor>(n);
    for (let i = 0; i < n; i++) {
      const src = source[i],
        s = src < 0 ? storageOf(primals[slots[i]]).slice() : src ? outs[i].slice() : outs[i];
      ts[i] = new Tensor(s, shapes[i].slice(), strides[i].slice(), 0, dtypes[i]);
    }
    return ts;
  };
}

// The graph inputs of a call, bound without per-call closures: `bind(args)` fills `primals`
// (tensor arguments, then captured tensors) and `storages` (their data, contiguous), both reused
// by every call of the entry; `release()` drops the arguments so a finished call keeps nothing.
export class Binder {
  readonly primals: Tensor[];
  readonly storages: Storage[];
  private readonly argOf: number[]; // input slot -> the argument bound to it
  private readonly gradSlots: number[] = []; // input slots read from a leaf's .grad at each call
  private readonly gradLeaves: Tensor[] = [];
  constructor(traced: Traced) {
    // (filled, no holes: a hole would read Object.prototype)
    this.argOf = new Array<number>(1 + Math.max(-1, ...traced.argSlots.map((s) => s ?? -1))).fill(
      -1,
    );
    traced.argSlots.forEach((s, i) => {
      if (s !== null && this.argOf[s] < 0) this.argOf[s] = i;
    });
    const nArg = this.argOf.length,
      n = nArg + traced.captured.length;
    this.primals = new Array<Tensor>(n);
    this.storages = new Array<Storage>(n);
    for (let k = nArg; k < n; k++) {
      this.primals[k] = traced.captured[k - nArg];
      const leaf = traced.gradOf[k - nArg];
      if (leaf) {
        this.gradSlots.push(k);
        this.gradLeaves.push(leaf);
      }
    }
  }
  bind(args: Arg[]): void {
    const { primals, storages, argOf, gradSlots, gradLeaves } = this;
    for (let s = 0; s < argOf.length; s++) primals[s] = args[argOf[s]] as Tensor;
    for (let k = 0; k < gradSlots.length; k++) primals[gradSlots[k]] = gradLeaves[k].grad!;
    for (let s = 0; s < primals.length; s++) storages[s] = storageOf(primals[s]);
  }
  // Whether a tensor the call updates in place shares memory with another input (an argument that
  // is a view of it, say): the graph treats them as independent values, so the other one would
  // not see the update as it does eagerly. Such a call runs the function eagerly instead.
  sharesUpdated(mutSlots: readonly number[]): boolean {
    const { primals } = this;
    for (let k = 0; k < mutSlots.length; k++) {
      const m = mutSlots[k],
        st = primals[m].storage;
      for (let s = 0; s < primals.length; s++)
        if (s !== m && primals[s].storage === st) return true;
    }
    return false;
  }
  release(): void {
    const { primals, storages, argOf, gradSlots } = this;
    for (let s = 0; s < argOf.length; s++) primals[s] = undefined as unknown as Tensor;
    for (let k = 0; k < gradSlots.length; k++)
      primals[gradSlots[k]] = undefined as unknown as Tensor;
    for (let s = 0; s < storages.length; s++) storages[s] = undefined as unknown as Storage;
  }
}

// The tensors behind the graph's inputs: tensor arguments, then captured tensors.
export function primalTensors(traced: Traced, args: Arg[]): Tensor[] {
  const out: Tensor[] = [];
  traced.argSlots.forEach((s, i) => {
    if (s !== null) out[s] = args[i] as Tensor;
  });
  return [...out, ...traced.captured];
}

// Where a program may compute updated inputs' new values in their own storage (program.ts
// inPlace), so writeBack has nothing to copy: per call, where the input is the tensor's own
// storage (not a contiguous copy) and no other input of the call shares it. `into(binder)` gives
// the program's `into` for the call; `clear()` drops the storages after it.
export function inPlaceTargets(program: Program, nOut: number, mutSlots: readonly number[]) {
  const ok = mutSlots.map((slot, k) => program.inPlace(nOut + k, slot));
  const any = ok.some(Boolean),
    into = new Array<Storage | undefined>(nOut + mutSlots.length);
  return {
    into(b: Binder): (Storage | undefined)[] | undefined {
      if (!any) return undefined;
      const { storages, primals } = b;
      for (let k = 0; k < mutSlots.length; k++) {
        const slot = mutSlots[k],
          st = storages[slot];
        const alone = storages.indexOf(st) === slot && storages.lastIndexOf(st) === slot;
        into[nOut + k] = ok[k] && alone && st === primals[slot].storage ? st : undefined;
      }
      return into;
    },
    clear: () => into.fill(undefined),
  };
}

// An argument or captured tensor updated in place inside the function gets its new values.
export function writeBack(t: Tensor, s: Storage): void {
  if (s !== t.storage) {
    if (t.isContiguous() && t.offset === 0) t.storage!.set(s);
    else
      backend.copy(
        { storage: s, shape: t.shape, strides: contiguousStrides(t.shape), offset: 0 },
        t,
      );
  }
  t.version.n++;
}
