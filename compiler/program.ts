// A compiled graph ready to run: kernels instantiated once, a buffer plan (intermediates allocated
// once and reused by every call; outputs fresh per call, since the caller keeps them), and a
// generated driver that calls the kernels in order with their buffers.

import { backend, type Kernel, type Launch } from "../backend/index";
import { allocate, type Storage } from "../ir/dtype";
import type { Graph, Value } from "../ir/graph";
import { numel } from "../ir/shape";
import { plan, type Step } from "./fuse";
export interface Program {
  graph: Graph;
  code: string; // every kernel's source, in launch order
  kernels: number; // launches per call
  // storages of the graph's inputs in slot order -> storages of its outputs
  run(inputs: Storage[]): Storage[];
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
    sources: string[] = [],
    calls: Launch[] = [];
  steps.forEach((s, i) => {
    const name = `${prefix}${i}_${describe(s)}`;
    const { fn, source, args } = loopKernel(s, name, bufName);
    kernels.push(fn);
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
    nOut = g.outputs.length;
  return {
    graph: g,
    code: sources.join("\n\n"),
    kernels: steps.length,
    run(inputs) {
      for (let i = 0; i < inputs.length; i++) storage[i] = inputs[i];
      for (let k = 0; k < fresh.length; k++)
        storage[fresh[k]] = allocate(freshDtype[k], freshSize[k]);
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
  return { fn: run, source, args: k.params.map((p) => byName.get(p)!) };
}

// A kernel's name says what it computes: k0_add_mul_mean_4.
function describe(s: Step): string {
  const names = s.opNames();
  if (!names.length) return `copy_${s.size()}`;
  return `${names.slice(0, 4).join("_")}${names.length > 4 ? "_etc" : ""}_${s.size()}`;
}
