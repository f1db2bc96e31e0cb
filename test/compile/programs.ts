// Random tensor programs for the differential test (compiled vs eager).
//
// A program is built from a "recipe" (a list of small random integers, which fast-check generates
// and shrinks) by interpreting it against concrete eager inputs: every step picks an op that fits
// the current shapes (and, for exp/pow, the current magnitudes), evaluates it eagerly and records
// it as an instruction. The instruction list then replays on any tensors (eager or tracers), and
// prints as JavaScript for a bug report.
import { broadcastShapes } from "../../ir/shape";
import { type DType, Tensor, tensor } from "../../index";

export type Arg = number | boolean | number[] | undefined | { ref: number };
export interface Instr { self: number; method: string; args: Arg[] }
export interface Program {
  inputs: { shape: number[]; dtype: DType; transposed: boolean }[];
  instrs: Instr[]; // value i (i >= inputs.length) is instrs[i - inputs.length] applied
  outputs: number[];
}

export interface Step { op: number; a: number; b: number; p: number; q: number; k: boolean }
export interface Recipe { seed: number; base: number[]; inputs: { keep: number; ones: number; f64: boolean; transposed: boolean }[]; steps: Step[]; extraOut: number }

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

// Input tensors with values in [-2, 2]; `transposed` ones are non-contiguous views (a transposed
// contiguous tensor), which the compiled function must read correctly too.
export function makeInputs(p: Program, seed: number): Tensor[] {
  const rnd = mulberry32(seed);
  return p.inputs.map(({ shape, dtype, transposed }) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = Array.from({ length: n }, () => Math.round((rnd() * 4 - 2) * 1000) / 1000);
    if (!transposed || shape.length < 2) return tensor(Float64Array.from(data), { shape, dtype });
    const r = shape.length, swapped = [...shape];
    [swapped[r - 2], swapped[r - 1]] = [swapped[r - 1], swapped[r - 2]];
    return tensor(Float64Array.from(data), { shape: swapped, dtype }).transpose(-2, -1);
  });
}

// ---- replay and printing ----
const resolve = (a: Arg, vals: Tensor[]) => (a !== null && typeof a === "object" && !Array.isArray(a) ? vals[a.ref] : a);

export function run(p: Program, inputs: Tensor[]): Tensor[] {
  const vals = [...inputs];
  for (const ins of p.instrs) vals.push(apply(ins, vals));
  return p.outputs.map((i) => vals[i]);
}

function apply(ins: Instr, vals: Tensor[]): Tensor {
  const self = vals[ins.self] as unknown as Record<string, (...a: unknown[]) => Tensor>;
  return self[ins.method](...ins.args.map((a) => resolve(a, vals)));
}

const fmtArg = (a: Arg): string =>
  a === undefined ? "undefined" : Array.isArray(a) ? `[${a.join(", ")}]` : typeof a === "object" ? `v${a.ref}` : String(a);

// The program as JavaScript: a reproduction that can be pasted into a test.
export function show(p: Program): string {
  const n = p.inputs.length;
  const lines = p.inputs.map((x, i) => `// v${i}: ${x.dtype}[${x.shape.join(", ")}]${x.transposed && x.shape.length >= 2 ? " (non-contiguous: a transposed view)" : ""}`);
  lines.push(`(${p.inputs.map((_, i) => `v${i}`).join(", ")}) => {`);
  p.instrs.forEach((ins, j) => {
    let args = ins.args;
    while (args.length && args[args.length - 1] === undefined) args = args.slice(0, -1);
    lines.push(`  const v${n + j} = v${ins.self}.${ins.method}(${args.map(fmtArg).join(", ")});`);
  });
  lines.push(`  return [${p.outputs.map((i) => `v${i}`).join(", ")}];`, "}");
  return lines.join("\n");
}

// ---- building a program from a recipe ----
const pick = <T>(xs: readonly T[], i: number): T => xs[((i % xs.length) + xs.length) % xs.length];
// Magnitudes are bounded statically (interval arithmetic from inputs in [-2, 2]), so they hold for
// any input data: values that could exceed BOUND are scaled down or squashed with tanh, and exp
// only sees arguments within [-5, 5]. Float32 rounding then stays far below the tolerance.
const BOUND = 8;
const INPUT_BOUND = 2;

function boundOf(ins: Instr, x: Tensor, out: Tensor, bounds: number[]): number {
  const b = bounds[ins.self];
  const other = (a: Arg) => (typeof a === "number" ? Math.abs(a) : a !== null && typeof a === "object" && !Array.isArray(a) ? bounds[a.ref] : 0);
  switch (ins.method) {
    case "exp": return Math.exp(b);
    case "log": return Math.log(Math.max(b, 1)); // only ever of |x| + 1
    case "sqrt": return Math.sqrt(b);
    case "tanh": case "sigmoid": case "sin": case "cos": case "softmax": return 1;
    case "add": case "sub": return b + other(ins.args[0]);
    case "mul": return b * other(ins.args[0]);
    case "div": return typeof ins.args[0] === "number" ? b / Math.abs(ins.args[0]) : b; // tensor denominators are |y| + 1
    case "pow": return b ** (ins.args[0] as number);
    case "maximum": case "minimum": return Math.max(b, other(ins.args[0]));
    case "sum": return b * (x.numel() / out.numel());
    case "matmul": return b * other(ins.args[0]) * x.shape[x.ndim - 1];
    default: return b; // neg, abs, relu, movement, mean, max, min
  }
}

export const UNARY = ["neg", "exp", "log1abs", "sqrtabs", "abs", "tanh", "sigmoid", "relu", "sin", "cos"] as const;
export const BINARY = ["add", "sub", "mul", "div", "maximum", "minimum", "pow"] as const;
export const REDUCE = ["sum", "mean", "max", "min"] as const;
export const MOVE = ["transpose", "reshape", "unsqueeze", "narrow", "expand", "softmax", "permute", "squeeze"] as const;
const SCALARS = [0, 1, -1, 2, 0.5, -1.5, 3];

function shapesOfNumel(n: number): number[][] {
  const out: number[][] = [[n]];
  for (let a = 1; a <= n; a++) {
    if (n % a) continue;
    out.push([a, n / a]);
    for (let b = 1; b <= n / a; b++) if ((n / a) % b === 0) out.push([a, b, n / a / b]);
  }
  if (n === 1) out.push([]);
  return out;
}

export function build(r: Recipe): { program: Program; inputs: Tensor[] } {
  const base = r.base;
  const program: Program = {
    inputs: r.inputs.map((x) => {
      const keep = x.keep % (base.length + 1);
      const shape = base.slice(base.length - keep).map((n, d) => ((x.ones >> d) & 1 ? 1 : n));
      return { shape, dtype: x.f64 ? "float64" : "float32", transposed: x.transposed };
    }),
    instrs: [],
    outputs: [],
  };
  const inputs = makeInputs(program, r.seed);
  const vals: Tensor[] = [...inputs], bounds: number[] = inputs.map(() => INPUT_BOUND);
  const emit = (self: number, method: string, ...args: Arg[]): number => {
    const ins = { self, method, args };
    const out = apply(ins, vals);
    bounds.push(boundOf(ins, vals[self], out, bounds));
    vals.push(out);
    program.instrs.push(ins);
    return vals.length - 1;
  };
  // too large: squash with tanh, or scale down (which keeps more of the value's shape)
  const bounded = (i: number, scale: boolean) => (bounds[i] <= BOUND ? i : scale ? emit(i, "div", Math.ceil(bounds[i] / 4)) : emit(i, "tanh"));

  for (const s of r.steps) {
    // the operand: usually the latest value (long chains), sometimes any earlier one (shared values)
    const a = s.a % 3 ? vals.length - 1 : Math.floor(s.a / 3) % vals.length, x = vals[a], rank = x.ndim;
    const kind = s.op % 4;
    let out: number;
    if (kind === 0) {
      const op = pick(UNARY, s.p);
      if (op === "log1abs") out = emit(emit(emit(a, "abs"), "add", 1), "log");
      // sqrt(|x| + 1e-3), not sqrt(|x|): at 0 its slope is unbounded, and compiled kernels keep
      // float32 intermediates in float64, so an x that is exactly 0 eagerly may be 1e-8 compiled
      else if (op === "sqrtabs") out = emit(emit(emit(a, "abs"), "add", 1e-3), "sqrt");
      else if (op === "exp" && bounds[a] > 5) out = emit(emit(a, "tanh"), "exp");
      else out = emit(a, op);
    } else if (kind === 1) {
      const op = pick(BINARY, s.p);
      if (op === "pow") out = emit(a, "pow", pick([0, 1, 2, 3], s.q));
      else {
        // the other operand: a broadcast-compatible value, or a JS number
        const compatible = vals.map((_, i) => i).filter((i) => { try { broadcastShapes(x.shape, vals[i].shape); return true; } catch { return false; } });
        const other: Arg = s.k ? pick(SCALARS, s.q) : { ref: pick(compatible, s.b) };
        if (op === "div") {
          // a denominator bounded away from 0: |b| + 1 (or a nonzero number)
          out = typeof other === "number" ? emit(a, "div", other === 0 ? 4 : other) : emit(a, "div", { ref: emit(emit((other as { ref: number }).ref, "abs"), "add", 1) });
        } else out = emit(a, op, other);
      }
    } else if (kind === 2) {
      const op = pick(REDUCE, s.p), keepdim = s.k;
      if (rank === 0 || s.q % 3 === 0) out = emit(a, op);
      else if (s.q % 3 === 1 || rank === 1) out = emit(a, op, s.b % rank, keepdim);
      else {
        const d0 = s.b % rank, d1 = (d0 + 1 + (s.q % (rank - 1))) % rank;
        out = emit(a, op, [d0, d1], keepdim);
      }
    } else {
      const op = pick(MOVE, s.p);
      const sized = x.shape.map((n, d) => d).filter((d) => x.shape[d] >= 2);
      const ones = x.shape.map((n, d) => d).filter((d) => x.shape[d] === 1);
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
        out = emit(a, "unsqueeze", s.b % (rank + 1) - (s.k ? rank + 1 : 0));
      } else if (op === "narrow" && sized.length) {
        const d = pick(sized, s.b), n = x.shape[d], len = 1 + (s.q % (n - 1)), start = Math.floor(s.q / 4) % (n - len + 1);
        out = emit(a, "narrow", d, start, len);
      } else if (op === "expand" && (ones.length || rank < 3)) {
        const size = 2 + (s.q % 3);
        const target = ones.length && !s.k ? x.shape.map((n, d) => (d === pick(ones, s.b) ? size : n)) : [size, ...x.shape];
        out = emit(a, "expand", target);
      } else if (op === "squeeze" && ones.length) {
        out = s.k ? emit(a, "squeeze") : emit(a, "squeeze", pick(ones, s.b));
      } else if (op === "softmax" && rank >= 1) {
        out = emit(a, "softmax", s.b % rank - (s.k ? rank : 0));
      } else if (rank === 2 && s.k) {
        out = emit(a, "matmul", { ref: emit(a, "transpose", 0, 1) }); // extra: a matmul
      } else {
        out = emit(a, "softmax", rank === 0 ? 0 : s.b % rank);
      }
    }
    bounded(out, s.p % 2 === 0 && bounds[out] < 1e6);
  }
  if (program.instrs.length === 0) emit(0, "neg");
  const last = vals.length - 1;
  program.outputs = [last];
  const extra = r.extraOut % (vals.length + 2);
  if (extra < vals.length && extra !== last && extra >= program.inputs.length) program.outputs.push(extra);
  return { program, inputs };
}

// ---- comparing results ----
export interface Tolerance { rtol: number; atol: number }

// null when `got` matches `want` (shapes, dtypes, values within tolerance; NaN matches NaN).
export function mismatch(got: Tensor[], want: Tensor[], tol: Tolerance): string | null {
  if (got.length !== want.length) return `${got.length} outputs, expected ${want.length}`;
  for (let o = 0; o < got.length; o++) {
    const g = got[o], w = want[o];
    if (!(g instanceof Tensor)) return `output ${o} is not a Tensor`;
    if (g.shape.join() !== w.shape.join()) return `output ${o}: shape [${g.shape}] vs eager [${w.shape}]`;
    if (g.dtype !== w.dtype) return `output ${o}: dtype ${g.dtype} vs eager ${w.dtype}`;
    const gv = g.values(), wv = w.values();
    for (let i = 0; i < gv.length; i++) {
      const a = gv[i], b = wv[i];
      if (Number.isNaN(a) && Number.isNaN(b)) continue;
      if (a === b) continue;
      if (!(Math.abs(a - b) <= tol.atol + tol.rtol * Math.abs(b))) {
        return `output ${o} [${w.shape}]: element ${i} is ${a}, eager ${b}\n compiled: ${gv.join(", ")}\n eager:    ${wv.join(", ")}`;
      }
    }
  }
  return null;
}
