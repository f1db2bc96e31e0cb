// Eager elementwise ops on large float32 tensors as Wasm chain kernels (chain-kernel.ts renders
// and runs them, and splits them across threads as it does compiled chains), where the chain cost
// rule says it pays: measured here, x.mul(2) over 1e6 float32 took 2.2-2.4 ms a call in the JS
// loop (1.3 ms of it the loop) against 0.41-0.45 ms as a chain. The JS eager kernel (js/eager.ts)
// serves every shape with one function; a Wasm chain is made per layout (op, sizes, strides), at
// its first call: which kernel computes a value never depends on what ran before (a kernel made
// on a second sighting would change a transcendental's last bits between a run and its resumed
// copy). Making one costs ~0.8 ms here (the chain's function, its assembly and instance, its
// split form), about what the JS loop takes over EAGER_WASM_MIN elements of a cheap op, once per
// layout; an identical module is compiled once (module.ts).
//
// With 2+ threads a chain is split as compiled ones are, from its layout's third call: a split
// kernel leaves a task (its instance and memory) in every worker for good, which a stream of
// one-off sizes would pile up. Split or not, the bits are the same (chain-split.ts).
//
// Operands reach the kernel as views starting at their offsets, so one kernel serves any offsets.
// A result that shares memory with an operand at another offset or stride stays in JS: the chain
// copies a chunk of every operand in before it writes any of the chunk's results, which differs
// from the JS loop's element order when the two overlap but do not coincide.
import type { DType, Storage } from "../../ir/dtype";
import { arg, type Scalar, scalarKey, substitute } from "../../ir/scalar";
import type { Kernel, Strided } from "../backend";
import { evaluate } from "../js/scalar";
import { type Access, coalesce, type LoopKernel } from "../plan";
import { getNumThreads } from "../threads/pool";
import { chainKernel } from "./chain-kernel";

// Below this many elements the JS loop is kept (a kernel per layout is not worth making).
export const EAGER_WASM_MIN = 1 << 16;
// Layouts remembered (each with its kernel, or null: JS renders it); past this the table restarts.
const MAX_LAYOUTS = 512;

// a layout's kernel (null: JS renders it), its plan, its calls, whether it is the splittable one
type Entry = { plan: LoopKernel; run: Kernel | null; calls: number; split: boolean };
const layouts = new Map<string, Entry>();
const SPLIT_FROM = 3; // calls
// (tests: how many eager ops ran as Wasm chains)
export const eagerWasmStats = { calls: 0 };

// Runs out = f(ins...) as a Wasm chain and returns true, or returns false (nothing done).
export function wasmPointwise(
  formula: Scalar,
  dtype: DType,
  ins: Strided[],
  out: Strided,
): boolean {
  if (dtype !== "float32" || !(out.storage instanceof Float32Array)) return false;
  const n = out.shape.reduce((a, b) => a * b, 1);
  if (n < EAGER_WASM_MIN) return false;
  if (overlaps(out, ins)) return false;
  const inlined = exponentsInlined(formula, ins);
  const f = inlined.f;
  // a broadcast scalar of another type (a number operand arrives as a float64 0-d tensor) is
  // rounded to float32 first, as PyTorch computes float32 ops in float32 with the scalar cast
  const operands = inlined.ins.map((x) => (x.storage instanceof Float32Array ? x : asF32Scalar(x)));
  if (!operands.every((x) => x !== null)) return false;
  const all = [out, ...operands];
  const c = coalesce(
    [...out.shape],
    all.map((t) => t.strides as number[]),
  );
  if (c.sizes.length > 2) return false;
  const key = `${scalarKey(f)}|${c.sizes}|${c.strides.join(";")}`;
  let e = layouts.get(key);
  if (e === undefined) {
    if (layouts.size >= MAX_LAYOUTS) layouts.clear();
    const p = plan(f, c.sizes, c.strides);
    e = {
      plan: p,
      run: chainKernel(p, noFallback, false, false)?.run ?? null,
      calls: 0,
      split: false,
    };
    layouts.set(key, e);
  }
  if (!e.run) return false;
  if (++e.calls >= SPLIT_FROM && !e.split && getNumThreads() > 1) {
    e.run = chainKernel(e.plan, noFallback)?.run ?? e.run;
    e.split = true;
  }
  const views = all.map((t) => (t.storage as Float32Array).subarray(t.offset));
  // the same memory at the same offset: one view, so a split call sees one buffer (staging.ts)
  for (let i = 1; i < all.length; i++)
    if (all[i].storage === out.storage && all[i].offset === out.offset) views[i] = views[0];
  eagerWasmStats.calls++;
  e.run(...(views as Storage[]));
  return true;
}

// A pow's exponent 2 given as a broadcast scalar operand (x.pow(2): the 2 arrives as a 0-d tensor)
// becomes a constant of the formula, part of the cache key, so the chain renders x * x: one
// float32 rounding of an exact square, the bits of the JS kernel's rounded Math.pow and of
// PyTorch. Other exponents stay operands, and so in JS: the chain renders 3 and 4 as repeated
// products (PyTorch too, for a number 3, but not for a tensor 3, nor for 4), whose bits differ
// from the JS kernel's, and an eager result must not depend on its size. Other scalars (a
// learning rate) stay operands, so a new value needs no kernel.
function exponentsInlined(f: Scalar, ins: Strided[]): { f: Scalar; ins: Strided[] } {
  const candidates = new Set<number>();
  const walk = (e: Scalar, exponent: boolean) => {
    if (e.op === "arg") {
      if (exponent && ins[e.index].strides.every((st) => st === 0)) candidates.add(e.index);
    } else if (e.op !== "num")
      e.args.forEach((a, i) => walk(a, exponent || (e.op === "pow" && i === 1)));
  };
  walk(f, false);
  if (candidates.size === 0) return { f, ins };
  const kept: Strided[] = [];
  const args = ins.map((x, i): Scalar => {
    if (!candidates.has(i)) return arg(kept.push(x) - 1);
    return { op: "num", value: Number((x.storage as Storage)[x.offset]) };
  });
  const g = folded(substitute(f, args));
  const exponents: Scalar[] = [];
  const powers = (e: Scalar) => {
    if (e.op === "arg" || e.op === "num") return;
    if (e.op === "pow") exponents.push(e.args[1]);
    e.args.forEach(powers);
  };
  powers(g);
  return exponents.every((e) => e.op === "num" && e.value === 2) ? { f: g, ins: kept } : { f, ins };
}
// the formula with every op over constants alone computed (roundF32(2) is 2)
function folded(e: Scalar): Scalar {
  if (e.op === "arg" || e.op === "num") return e;
  const args = e.args.map(folded);
  if (!args.every((a) => a.op === "num")) return { op: e.op, args };
  return { op: "num", value: evaluate({ op: e.op, args }, [], "float64") };
}

function asF32Scalar(x: Strided): Strided | null {
  if (!x.storage || !x.strides.every((s) => s === 0)) return null;
  const v = Float32Array.of(Math.fround(Number(x.storage[x.offset])));
  return { storage: v, shape: x.shape, strides: x.strides, offset: 0 };
}

// the operands are all float32 arrays (checked above), so the chain never needs its JS fallback
const noFallback = (): Kernel => {
  throw new Error("internal: eager Wasm chain called on non-float32 buffers");
};

// whether an input shares out's memory anywhere but at out's own offset and strides
function overlaps(out: Strided, ins: Strided[]): boolean {
  const mem = (t: Strided) => (t.storage as Float32Array).buffer;
  return ins.some(
    (x) =>
      mem(x) === mem(out) &&
      !(
        x.storage === out.storage &&
        x.offset === out.offset &&
        x.strides.every((s, d) => s === out.strides[d])
      ),
  );
}

// The op as a loop plan over concrete sizes: out (param 0) = f(x0, x1, ...), every access at
// offset 0 of its view.
function plan(f: Scalar, sizes: number[], strides: number[][]): LoopKernel {
  const names = strides.map((_, i) => (i === 0 ? "out" : `x${i - 1}`));
  const access = (k: number): Access => ({ buf: names[k], offset: 0, strides: strides[k] });
  return {
    name: "pointwise_f32",
    comments: [],
    params: names,
    sizes,
    reduced: 0,
    reductions: [],
    temps: [
      ...names.slice(1).map((_, i) => ({
        name: `a${i}`,
        expr: { kind: "load" as const, access: access(i + 1) },
        phase: "inner" as const,
      })),
      {
        name: "r",
        expr: {
          kind: "apply" as const,
          scalar: f,
          dtype: "float32" as const,
          args: names.slice(1).map((_, i) => `a${i}`),
        },
        phase: "inner" as const,
      },
    ],
    stores: [{ access: access(0), value: "r" }],
  };
}
