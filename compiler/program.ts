// A compiled graph ready to run: kernels instantiated once, a buffer plan (intermediates allocated
// once and reused by every call; outputs fresh per call, since the caller keeps them), and a
// generated driver that calls the kernels in order with their buffers.

import { backend, type Kernel, type Launch, type Strided } from "../backend/index";
import { allocate, type Storage } from "../ir/dtype";
import type { Graph, Value } from "../ir/graph";
import { contiguousStrides, numel } from "../ir/shape";
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
    const { fn, source, args } =
      s.kind === "loops" ? loopKernel(s, name, bufName) : opaqueKernel(s, name);
    kernels.push(fn);
    sources.push(source);
    calls.push({ kernel: i, args: args.map(slot) });
  });
  const outSlots = g.outputs.map((v) => (v.op === "const" ? -1 : slot(v)));
  const values = [...slots.keys()];
  const fresh = values.filter((v) => v.op !== "input" && g.outputs.includes(v)).map(slot);
  const storage: (Storage | null)[] = values.map((v, i) =>
    v.op === "input" || fresh.includes(i) ? null : allocate(v.dtype, numel(v.shape)),
  );
  const driver = backend.driver(calls);
  return {
    graph: g,
    code: sources.join("\n\n"),
    kernels: steps.length,
    run(inputs) {
      inputs.forEach((s, i) => {
        storage[i] = s;
      });
      for (const s of fresh) storage[s] = allocate(values[s].dtype, numel(values[s].shape));
      driver(storage as Storage[], kernels);
      return g.outputs.map((v, i) =>
        v.op === "const" ? allocate(v.dtype, 1).fill(v.constant!) : storage[outSlots[i]]!,
      );
    },
  };
}

function loopKernel(
  s: Extract<Step, { kind: "loops" }>,
  name: string,
  bufName: (v: Value) => string,
) {
  const k = s.builder.build(name, bufName);
  const { run, source } = backend.kernel(k);
  const byName = new Map([...s.builder.roots, ...s.builder.reads].map((v) => [bufName(v), v]));
  return { fn: run, source, args: k.params.map((p) => byName.get(p)!) };
}

// pad runs as a library copy into a zeroed buffer; its source is shown as a comment.
function opaqueKernel(s: Extract<Step, { kind: "pad" }>, name: string) {
  const v = s.value,
    x = v.inputs[0],
    before = v.params.before!,
    cs = contiguousStrides(v.shape);
  const inner: Strided = {
    storage: null,
    shape: x.shape,
    strides: cs,
    offset: before.reduce((o, b, d) => o + b * cs[d], 0),
  };
  const src: Strided = {
    storage: null,
    shape: x.shape,
    strides: contiguousStrides(x.shape),
    offset: 0,
  };
  const fn: Kernel = (o, xs) => {
    o.fill(0);
    inner.storage = o;
    src.storage = xs;
    backend.copy(src, inner);
  };
  const source = `// ${name}: %${v.id} = pad %${x.id} {before=[${before}]} : [${v.shape.join(",")}] (library kernel)`;
  return { fn, source, args: [v, x] };
}

// A kernel's name says what it computes: k0_add_mul_mean_4.
function describe(s: Step): string {
  if (s.kind !== "loops") return `${s.kind}_${numel(s.value.shape)}`;
  const names = s.builder.opNames();
  if (!names.length) return `copy_${s.builder.size()}`;
  return `${names.slice(0, 4).join("_")}${names.length > 4 ? "_etc" : ""}_${s.builder.size()}`;
}
