// A compiled graph ready to run: kernels instantiated once, a buffer plan (intermediates allocated
// once and reused by every call; outputs fresh per call, since the caller keeps them), and a
// generated driver that calls the kernels in order with their buffers.

import { backend, type Kernel, type Launch } from "../backend/index";
import { writesWhole } from "../backend/js/plan-access";
import type { Access, LoopKernel } from "../backend/plan";
import { allocate, allocateResult, allocateUnfilled, type Storage } from "../ir/dtype";
import type { Graph, Value } from "../ir/graph";
import { numel } from "../ir/shape";
import { plan, type Step } from "./fuse";
export interface Program {
  graph: Graph;
  code: string; // every kernel's source, in launch order
  kernels: number; // launches per call
  // storages of the graph's inputs in slot order -> storages of its outputs; `into[i]`: a storage
  // output i is computed in instead of a fresh one (only where inPlace allows it)
  run(inputs: Storage[], into?: readonly (Storage | undefined)[]): Storage[];
  // whether output i may be computed in the storage of input `slot`: an update written in place
  // (the caller checks at each call that no other input shares that storage)
  inPlace(i: number, slot: number): boolean;
}

export function buildProgram(g: Graph, prefix = "k"): Program {
  const { steps } = plan(g);
  const slots = new Map<Value, number>();
  const slot = (v: Value) => {
    let s = slots.get(v);
    if (s === undefined) {
      s = slots.size;
      slots.set(v, s);
    }
    return s;
  };
  g.inputs.forEach(slot);
  const bufName = (v: Value) => (v.op === "input" ? `in${v.slot}` : `b${v.id}`);
  const kernels: Kernel[] = [],
    plans: LoopKernel[] = [],
    sources: string[] = [],
    calls: Launch[] = [];
  steps.forEach((s, i) => {
    const name = `${prefix}${i}_${describe(s)}`;
    const { fn, source, args, plan } = loopKernel(s, name, bufName);
    kernels.push(fn);
    plans.push(plan);
    sources.push(source);
    calls.push({ kernel: i, args: args.map(slot) });
  });
  const outSlots = g.outputs.map((v) => (v.op === "const" ? -1 : slot(v)));
  const values = [...slots.keys()];
  const fresh = values.filter((v) => v.op !== "input" && g.outputs.includes(v)).map(slot);
  // a constant read from a buffer (an operand of a kernel op, such as a scan of the seed cotangent)
  // is written once here: no kernel computes it
  const storage: (Storage | null)[] = values.map((v, i) =>
    v.op === "input" || fresh.includes(i)
      ? null
      : v.op === "const"
        ? allocate(v.dtype, numel(v.shape)).fill(v.constant!)
        : allocate(v.dtype, numel(v.shape)),
  );
  const driver = backend.driver(calls);
  const freshDtype = fresh.map((s) => values[s].dtype),
    freshSize = fresh.map((s) => numel(values[s].shape)),
    freshOut = fresh.map((s) => g.outputs.indexOf(values[s])),
    nOut = g.outputs.length;
  // an output one loop kernel writes whole, and no other kernel writes, starts uninitialized
  const alloc = fresh.map((s, k) => {
    const buf = bufName(values[s]),
      writers = plans.filter((p) => p.stores.some((st) => st.access.buf === buf));
    return writers.length === 1 && writesWhole(writers[0], buf, freshSize[k])
      ? allocateUnfilled
      : allocateResult;
  });
  return {
    graph: g,
    code: sources.join("\n\n"),
    kernels: steps.length,
    inPlace: (i, slot) => writesInPlace(g, plans, bufName, i, slot),
    run(inputs, into) {
      for (let i = 0; i < inputs.length; i++) storage[i] = inputs[i];
      for (let k = 0; k < fresh.length; k++)
        storage[fresh[k]] = into?.[freshOut[k]] ?? alloc[k](freshDtype[k], freshSize[k]);
      driver(storage as Storage[], kernels);
      const outs = new Array<Storage>(nOut);
      for (let i = 0; i < nOut; i++) {
        const v = g.outputs[i];
        outs[i] = outSlots[i] < 0 ? allocate(v.dtype, 1).fill(v.constant!) : storage[outSlots[i]]!;
      }
      for (let i = 0; i < inputs.length; i++) storage[i] = null; // keep no caller's buffers
      return outs;
    },
  };
}

function loopKernel(s: Step, name: string, bufName: (v: Value) => string) {
  const k = s.build(name, bufName);
  const { run, source } = backend.kernel(k);
  const byName = new Map([...s.roots, ...s.reads].map((v) => [bufName(v), v]));
  return { fn: run, source, args: k.params.map((p) => byName.get(p)!), plan: k };
}

// Output i (an updated input's final value: an optimizer's new parameter) may be computed in the
// storage of input `slot`, saving a fresh buffer and the copy back, when one elementwise kernel
// stores it and reads that input only at the element it stores, and no later kernel reads the
// input's old values.
function writesInPlace(
  g: Graph,
  plans: LoopKernel[],
  bufName: (v: Value) => string,
  i: number,
  slot: number,
): boolean {
  const v = g.outputs[i],
    input = g.inputs[slot];
  if (!v || !input || v.op === "input" || v.op === "const") return false;
  if (g.outputs.indexOf(v) !== i || g.outputs.lastIndexOf(v) !== i) return false;
  if (v.dtype !== input.dtype || numel(v.shape) !== numel(input.shape)) return false;
  const out = bufName(v),
    old = bufName(input);
  const writers = plans.flatMap((k, j) => (k.stores.some((s) => s.access.buf === out) ? [j] : []));
  if (writers.length !== 1) return false;
  const at = writers[0],
    k = plans[at];
  const stores = k.stores.filter((s) => s.access.buf === out);
  if (k.kernel || k.reduced || k.reductions.length || stores.length !== 1) return false;
  const store = stores[0].access;
  // one element per point, and every load of the input at that element
  if (store.at || k.sizes.some((n, d) => n !== 1 && store.strides[d] === 0)) return false;
  const same = (a: Access) =>
    !a.at &&
    a.offset === store.offset &&
    a.strides.length === store.strides.length &&
    a.strides.every((s, d) => s === store.strides[d]);
  for (const t of k.temps)
    if (t.expr.kind === "load" && t.expr.access.buf === old && !same(t.expr.access)) return false;
  return plans.slice(at + 1).every((p) => !p.params.includes(old));
}

// A kernel's name says what it computes: k0_add_mul_mean_4.
function describe(s: Step): string {
  const names = s.opNames();
  if (!names.length) return `copy_${s.size()}`;
  return `${names.slice(0, 4).join("_")}${names.length > 4 ? "_etc" : ""}_${s.size()}`;
}
