// Random differentiable tensor programs for the gradient differential test (compiled vs eager).
//
// A recipe (small random integers, generated and shrunk by fast-check) is interpreted against
// concrete eager values: each step picks an op that fits the current shapes (and, for exp, the
// current magnitudes), evaluates it and records it as an instruction. The instructions replay on
// any tensors (eager leaves or tracers) and print as JavaScript for a bug report.
import fc from "fast-check";
import { cat, compile, type DType, noGrad, stack, Tensor, tensor, valueAndGrad } from "../../index";

export type Arg = number | boolean | number[] | { ref: number } | { refs: number[] };
export interface Instr { self: number; method: string; args: Arg[] }
export interface Program {
  inputs: { shape: number[]; dtype: DType; requiresGrad: boolean }[];
  instrs: Instr[]; // value i (i >= inputs.length) is instrs[i - inputs.length] applied
  outputs: number[];
}
export interface Step { op: number; a: number; b: number; p: number; q: number; k: boolean }
export interface Recipe {
  seed: number; base: number[]; steps: Step[]; extra: number; functional: boolean;
  inputs: { keep: number; ones: number; f64: boolean; grad: boolean }[];
}

const step = fc.record({ op: fc.nat(1000), a: fc.nat(1000), b: fc.nat(1000), p: fc.nat(1000), q: fc.nat(1000), k: fc.boolean() });
export const recipe: fc.Arbitrary<Recipe> = fc.record({
  seed: fc.nat(1_000_000),
  base: fc.array(fc.integer({ min: 2, max: 4 }), { minLength: 0, maxLength: 3 }),
  inputs: fc.array(fc.record({ keep: fc.nat(3), ones: fc.nat(15), f64: fc.nat(5).map((n) => n === 0), grad: fc.nat(3).map((n) => n > 0) }), { minLength: 1, maxLength: 3 }),
  steps: fc.array(step, { minLength: 1, maxLength: 10 }),
  extra: fc.nat(20),
  functional: fc.boolean(),
});

// ---- deterministic data ----
function mulberry32(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const numel = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const randomData = (n: number, rnd: () => number) => Array.from({ length: n }, () => Math.round((rnd() * 4 - 2) * 1000) / 1000);

// Fresh leaves with the program's input shapes, dtypes and requiresGrad flags.
export function makeInputs(p: Program, seed: number): Tensor[] {
  const rnd = mulberry32(seed);
  return p.inputs.map(({ shape, dtype, requiresGrad }) => tensor(Float64Array.from(randomData(numel(shape), rnd)), { shape, dtype, requiresGrad }));
}
// The upstream gradient of each output, in [-1, 1].
export function upstreams(shapes: number[][], seed: number): Tensor[] {
  const rnd = mulberry32(seed ^ 0x5bd1e995);
  return shapes.map((s) => tensor(Float64Array.from(randomData(numel(s), rnd).map((v) => v / 2)), { shape: s }));
}

// ---- replay and printing ----
const resolve = (a: Arg, vals: Tensor[]): unknown =>
  a !== null && typeof a === "object" && !Array.isArray(a) ? ("ref" in a ? vals[a.ref] : a.refs.map((r) => vals[r])) : a;

function apply(ins: Instr, vals: Tensor[]): Tensor {
  const args = ins.args.map((a) => resolve(a, vals));
  if (ins.method === "cat") return cat(args[0] as Tensor[], args[1] as number);
  if (ins.method === "stack") return stack(args[0] as Tensor[], args[1] as number);
  const self = vals[ins.self] as unknown as Record<string, (...a: unknown[]) => Tensor>;
  return self[ins.method](...args);
}

export function run(p: Program, inputs: Tensor[]): Tensor[] {
  const vals = [...inputs];
  for (const ins of p.instrs) vals.push(apply(ins, vals));
  return p.outputs.map((i) => vals[i]);
}

const fmtArg = (a: Arg): string => (Array.isArray(a) ? `[${a.join(", ")}]` : typeof a === "object" ? ("ref" in a ? `v${a.ref}` : `[${a.refs.map((r) => `v${r}`).join(", ")}]`) : String(a));

// The program as JavaScript, for a reproduction.
export function show(p: Program): string {
  const n = p.inputs.length;
  const lines = p.inputs.map((x, i) => `// v${i}: ${x.dtype}[${x.shape.join(", ")}]${x.requiresGrad ? " requiresGrad" : ""}`);
  lines.push(`(${p.inputs.map((_, i) => `v${i}`).join(", ")}) => {`);
  p.instrs.forEach((ins, j) => {
    const args = ins.args.map(fmtArg).join(", ");
    const call = ins.method === "cat" || ins.method === "stack" ? `${ins.method}(${args})` : `v${ins.self}.${ins.method}(${args})`;
    lines.push(`  const v${n + j} = ${call};`);
  });
  lines.push(`  return [${p.outputs.map((i) => `v${i}`).join(", ")}];`, "}");
  return lines.join("\n");
}

// ---- building ----
const pick = <T>(xs: readonly T[], i: number): T => xs[((i % xs.length) + xs.length) % xs.length];
const maxAbs = (t: Tensor) => t.values().reduce((m, v) => Math.max(m, Math.abs(v)), 0);
const BOUND = 8; // beyond this, values are squashed with tanh
const broadcastable = (a: number[], b: number[]) => {
  for (let i = 1; i <= Math.min(a.length, b.length); i++) {
    const x = a[a.length - i], y = b[b.length - i];
    if (x !== y && x !== 1 && y !== 1) return false;
  }
  return true;
};

export const UNARY = ["neg", "exp", "log1abs", "sqrt1abs", "abs", "tanh", "sigmoid", "relu", "sin", "cos", "square"] as const;
export const BINARY = ["add", "sub", "mul", "div", "maximum", "minimum", "pow"] as const;
export const REDUCE = ["sum", "mean", "max", "min"] as const;
export const MOVE = ["transpose", "permute", "reshape", "unsqueeze", "squeeze", "narrow", "expand", "select", "softmax", "logSoftmax", "matmul", "cat", "stack"] as const;
const SCALARS = [1, -1, 2, 0.5, -1.5, 3];

function shapesOfNumel(n: number): number[][] {
  const out: number[][] = [[n]];
  for (let a = 1; a <= n; a++) if (n % a === 0) out.push([a, n / a]);
  if (n === 1) out.push([]);
  return out;
}

export function build(r: Recipe): Program {
  const base = r.base;
  const program: Program = {
    inputs: r.inputs.map((x, i) => {
      const keep = x.keep % (base.length + 1);
      // size-1 (broadcast) dims in half of the inputs
      const shape = base.slice(base.length - keep).map((n, d) => (x.ones < 8 && (x.ones >> d) & 1 ? 1 : n));
      return { shape, dtype: x.f64 ? "float64" : "float32", requiresGrad: i === 0 || x.grad };
    }),
    instrs: [],
    outputs: [],
  };
  const vals: Tensor[] = noGrad(() => makeInputs(program, r.seed).map((t) => t.detach()));
  // which values depend on an input that requires grad
  const needs: boolean[] = program.inputs.map((x) => x.requiresGrad);
  const refsOf = (a: Arg): number[] => (a !== null && typeof a === "object" && !Array.isArray(a) ? ("ref" in a ? [a.ref] : a.refs) : []);
  const emit = (self: number, method: string, ...args: Arg[]): number => {
    const ins = { self, method, args };
    vals.push(noGrad(() => apply(ins, vals)));
    needs.push(needs[self] || args.some((a) => refsOf(a).some((r) => needs[r])));
    program.instrs.push(ins);
    return vals.length - 1;
  };
  const bounded = (i: number) => (maxAbs(vals[i]) > BOUND ? emit(i, "tanh") : i);

  for (const s of r.steps) {
    // usually the latest value (long chains), sometimes an earlier one (shared values)
    const a = s.a % 3 ? vals.length - 1 : Math.floor(s.a / 3) % vals.length, x = vals[a], rank = x.ndim;
    const sized = x.shape.map((_, d) => d).filter((d) => x.shape[d] >= 2);
    const ones = x.shape.map((_, d) => d).filter((d) => x.shape[d] === 1);
    const kind = s.op % 4;
    let out: number;
    if (kind === 0) {
      const op = pick(UNARY, s.p);
      if (op === "log1abs") out = emit(emit(emit(a, "abs"), "add", 1), "log");
      else if (op === "sqrt1abs") out = emit(emit(emit(a, "abs"), "add", 1), "sqrt");
      else if (op === "square") out = emit(a, "mul", { ref: a });
      else if (op === "exp" && maxAbs(x) > 4) out = emit(a, "tanh");
      else out = emit(a, op);
    } else if (kind === 1) {
      const op = pick(BINARY, s.p);
      if (op === "pow") out = emit(a, "pow", pick([2, 3, 1, 0], s.q));
      else {
        const compatible = vals.map((_, i) => i).filter((i) => broadcastable(x.shape, vals[i].shape));
        const other: Arg = s.k && op !== "maximum" && op !== "minimum" ? pick(SCALARS, s.q) : { ref: pick(compatible, s.b) };
        if (op === "div") out = typeof other === "number" ? emit(a, "div", other) : emit(a, "div", { ref: emit(emit((other as { ref: number }).ref, "abs"), "add", 1) });
        else out = emit(a, op, other);
      }
    } else if (kind === 2) {
      const op = pick(REDUCE, s.p);
      // (reductions over only size-1 dims of a tensor with several elements are avoided: eager bug E1)
      if (rank === 0 || !sized.length || s.q % 3 === 0) out = rank > 0 && !sized.length && x.numel() > 1 ? emit(a, "neg") : emit(a, op);
      else if (s.q % 3 === 1 || sized.length === 1) out = emit(a, op, pick(sized, s.b) - (s.k ? 0 : rank), s.k);
      else {
        const d0 = pick(sized, s.b), d1 = pick(sized.filter((d) => d !== d0), s.q);
        out = emit(a, op, [d0, d1], s.k);
      }
    } else {
      const op = pick(MOVE, s.p);
      if (op === "transpose" && rank >= 2) {
        const d0 = s.b % rank, d1 = (d0 + 1 + (s.q % (rank - 1))) % rank;
        out = emit(a, "transpose", d0, d1);
      } else if (op === "permute" && rank >= 2) {
        const perm = [...Array(rank).keys()];
        for (let i = rank - 1, z = s.q; i > 0; i--, z = Math.floor(z / 3)) { const j = z % (i + 1); [perm[i], perm[j]] = [perm[j], perm[i]]; }
        out = emit(a, "permute", perm);
      } else if (op === "reshape") {
        out = emit(a, "reshape", pick(shapesOfNumel(x.numel()), s.q));
      } else if (op === "unsqueeze" && rank <= 3) {
        out = emit(a, "unsqueeze", s.b % (rank + 1));
      } else if (op === "squeeze" && ones.length) {
        out = s.k ? emit(a, "squeeze") : emit(a, "squeeze", pick(ones, s.b));
      } else if (op === "narrow" && sized.length) {
        const d = pick(sized, s.b), n = x.shape[d], len = 1 + (s.q % (n - 1)), start = Math.floor(s.q / 4) % (n - len + 1);
        out = emit(a, "narrow", d, start, len);
      } else if (op === "expand" && rank < 3) {
        const size = 2 + (s.q % 3);
        out = emit(a, "expand", ones.length && !s.k ? x.shape.map((n, d) => (d === pick(ones, s.b) ? size : n)) : [size, ...x.shape]);
      } else if (op === "select" && sized.length) {
        const d = pick(sized, s.b);
        out = emit(a, "select", d, (s.q % (2 * x.shape[d])) - x.shape[d]);
      } else if (op === "matmul" && rank >= 1 && rank <= 3) {
        // x @ x^T, or x @ (a compatible earlier value), or a vector product
        const k = x.shape[rank - 1];
        const partners = vals.map((_, i) => i).filter((i) => vals[i].ndim === 1 && vals[i].shape[0] === k && vals[i].dtype === x.dtype);
        if (rank >= 2 && (s.k || !partners.length)) out = emit(a, "matmul", { ref: emit(a, "transpose", -1, -2) });
        else if (partners.length) out = emit(a, "matmul", { ref: pick(partners, s.b) });
        else out = emit(a, "softmax", -1);
      } else if (op === "cat" && rank >= 1) {
        const d = s.b % rank;
        const same = vals.map((_, i) => i).filter((i) => vals[i].ndim === rank && vals[i].shape.every((n, e) => e === d || n === x.shape[e]) && vals[i].dtype === x.dtype);
        out = emit(a, "cat", { refs: [a, pick(same, s.q)] }, d);
      } else if (op === "stack") {
        const same = vals.map((_, i) => i).filter((i) => vals[i].shape.join() === x.shape.join() && vals[i].dtype === x.dtype);
        out = emit(a, "stack", { refs: [pick(same, s.q), a] }, s.b % (rank + 1));
      } else if ((op === "softmax" || op === "logSoftmax") && rank >= 1) {
        out = emit(a, op, (s.b % rank) - (s.k ? rank : 0));
      } else if (rank >= 2) {
        out = emit(a, "transpose", 0, rank - 1);
      } else if (rank === 1 && x.shape[0] >= 2) {
        out = emit(a, "narrow", 0, s.q % 2, x.shape[0] - 1);
      } else {
        out = emit(a, "sigmoid");
      }
    }
    bounded(out);
  }
  // every output depends on an input that requires grad (input 0 always does)
  let last = vals.length - 1;
  if (!needs[last]) last = emit(last, "add", { ref: emit(0, "sum") });
  program.outputs = [last];
  const extra = r.extra % (vals.length + 2);
  if (extra < vals.length && extra !== last && extra >= program.inputs.length && needs[extra]) program.outputs.push(extra);
  return program;
}

// ---- the property ----
export const TOL = { rtol: 2e-3, atol: 2e-4 };

// null when `got` matches `want` within TOL, scaled by the largest magnitude in `want`.
export function mismatch(what: string, got: Tensor | null, want: Tensor | null): string | null {
  if (got === null || want === null) return got === want ? null : `${what}: ${got === null ? "null" : "a tensor"}, eager ${want === null ? "null" : "a tensor"}`;
  if (got.shape.join() !== want.shape.join()) return `${what}: shape [${got.shape}], eager [${want.shape}]`;
  if (got.dtype !== want.dtype) return `${what}: dtype ${got.dtype}, eager ${want.dtype}`;
  const g = got.values(), w = want.values();
  const scale = Math.max(1, ...w.map((v) => (Number.isFinite(v) ? Math.abs(v) : 0)));
  for (let i = 0; i < g.length; i++) {
    if (Number.isNaN(g[i]) && Number.isNaN(w[i])) continue;
    if (g[i] === w[i]) continue;
    if (!(Math.abs(g[i] - w[i]) <= TOL.atol * scale + TOL.rtol * Math.abs(w[i]))) {
      return `${what} [${want.shape}]: element ${i} is ${g[i]}, eager ${w[i]}\n compiled: ${g.join(", ")}\n eager:    ${w.join(", ")}`;
    }
  }
  return null;
}

const lossOf = (outs: Tensor[], ups: Tensor[]) => outs.map((o, i) => o.mul(ups[i]).sum()).reduce((a, b) => a.add(b));

// Compiles the program, runs forward and backward (eager ops on the compiled outputs weigh them by
// fixed upstream gradients), and compares outputs and .grad with the eager run; with
// `functional`, valueAndGrad of the same loss too. Throws a reproduction when they differ.
export function check(r: Recipe): void {
  const program = build(r);
  const fn = (...xs: Tensor[]) => run(program, xs);
  const fail = (what: string) => { throw new Error(`${what}\nprogram (seed ${r.seed}):\n${show(program)}`); };

  const ex = makeInputs(program, r.seed), eagerOuts = fn(...ex);
  const ups = upstreams(eagerOuts.map((o) => o.shape), r.seed);
  const eagerLoss = lossOf(eagerOuts, ups);
  eagerLoss.backward();

  const f = compile(fn);
  for (const seedOffset of [0, 0]) { // the second call is a cache hit on fresh leaves
    const xs = makeInputs(program, r.seed + seedOffset);
    let outs: Tensor[] = [];
    try {
      outs = f(...xs);
      lossOf(outs, ups).backward();
    } catch (e) { fail(`compiled forward/backward threw ${(e as Error).stack}`); }
    outs.forEach((o, i) => { const bad = mismatch(`output ${i}`, o, eagerOuts[i]); if (bad) fail(bad); });
    outs.forEach((o) => { if (o.gradFn?.name !== "CompiledFunctionBackward") fail(`an output's gradFn is ${o.gradFn?.name}`); });
    xs.forEach((x, i) => { const bad = mismatch(`grad of input ${i}`, x.grad, ex[i].grad); if (bad) fail(bad); });
  }
  if (f.stats.compiles !== 1) fail(`compiled ${f.stats.compiles} times`);

  if (r.functional) {
    const argnums = program.inputs.map((x, i) => i).filter((i) => program.inputs[i].requiresGrad);
    const vg = valueAndGrad((...xs: Tensor[]) => lossOf(run(program, xs), ups), { argnums });
    const xs = makeInputs(program, r.seed);
    let value: Tensor | null = null, grads: Tensor[] = [];
    try { [value, grads] = vg(...xs) as [Tensor, Tensor[]]; } catch (e) { fail(`valueAndGrad threw ${(e as Error).stack}`); }
    // an input the loss does not depend on: JAX gives zeros, eager autograd leaves .grad null
    const zerosIfNone = (n: number) => ex[n].grad ?? noGrad(() => ex[n].mul(0));
    const bad = mismatch("valueAndGrad value", value, eagerLoss) ?? argnums.map((n, k) => mismatch(`valueAndGrad gradient of input ${n}`, grads[k], zerosIfNone(n))).find((m) => m) ?? null;
    if (bad) fail(bad);
    if (xs.some((x) => x.grad !== null)) fail("valueAndGrad touched .grad");
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const seed = Number(process.argv[2] ?? 1), numRuns = Number(process.argv[3] ?? 200);
  const t = Date.now();
  const out = fc.check(fc.property(recipe, (r) => { check(r); }), { seed, numRuns });
  console.log(out.failed ? `${fc.defaultReportMessage(out)}\n${(out.errorInstance as Error)?.message}` : `ok: ${numRuns} runs in ${Date.now() - t} ms`);
}
