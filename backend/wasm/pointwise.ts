// Eager elementwise ops on large float32 tensors as Wasm chain kernels (chain-kernel.ts renders
// and runs them), where the chain cost rule says it pays: measured here, x.mul(2) over 1e6
// float32 took 2.2-2.4 ms a call in the JS loop (1.3 ms of it the loop) against 0.41-0.45 ms as a
// chain. The JS eager kernel (js/eager.ts) serves every shape with one function; a Wasm chain is
// made per layout (op, sizes, strides), at its first call: which kernel computes a value never
// depends on what ran before (a kernel made on a second sighting would change a transcendental's
// last bits between a run and its resumed copy). Making one costs ~0.8 ms here (the chain's
// function, its assembly and instance), about what the JS loop takes over EAGER_WASM_MIN
// elements of a cheap op, once per layout; an identical module is compiled once (module.ts).
//
// Never split across threads: an eager op's operands are mostly results (ordinary memory), which
// the calling thread copies into staging before the workers start and the workers' halves back
// after. Measured with 2 threads against 1, at 1e6 (median of 15 rounds of 20 calls): mul 2.29 vs
// 1.17 ms, tanh 2.52 vs 2.11, exp 2.60 vs 2.09, sigmoid 1.79 vs 1.69; W1 eager 4.50 vs 2.74. (A
// split kernel would also leave a task, with its memory, in every worker for good: one per size.)
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
import { chainKernel } from "./chain-kernel";

// Below this many elements the JS loop is kept (a kernel per layout is not worth making).
export const EAGER_WASM_MIN = 1 << 16;
// Layouts remembered (each with its kernel, or null: JS renders it); past this the table restarts.
const MAX_LAYOUTS = 512;

const layouts = new Map<string, Kernel | null>();
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
  let kernel = layouts.get(key);
  if (kernel === undefined) {
    if (layouts.size >= MAX_LAYOUTS) layouts.clear();
    kernel = chainKernel(plan(f, c.sizes, c.strides), noFallback, false, false)?.run ?? null;
    layouts.set(key, kernel);
  }
  if (!kernel) return false;
  const views = all.map((t) => (t.storage as Float32Array).subarray(t.offset));
  // the same memory at the same offset: one view
  for (let i = 1; i < all.length; i++)
    if (all[i].storage === out.storage && all[i].offset === out.offset) views[i] = views[0];
  eagerWasmStats.calls++;
  kernel(...(views as Storage[]));
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
