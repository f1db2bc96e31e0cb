// Random tensor programs for the property tests that compare compiled functions with eager:
// forward values (test/compile/differential.test.ts, property in test/compile/fuzz.ts) and
// gradients (test/autodiff/property.test.ts, property in test/autodiff/fuzz.ts).
//
// A program is built from a "recipe" (small random integers, which fast-check generates and
// shrinks) by interpreting it against concrete eager inputs: every step picks an op that fits the
// current shapes (and, for exp/pow, the current magnitudes), evaluates it eagerly and records it as
// an instruction. The instruction list then replays on any tensors (eager inputs or tracers), and
// prints as JavaScript for a bug report.
//
// Programs mix unary, binary (broadcasting, JS numbers), reduction (all, one or two dims, keepdim),
// movement (views, reshape, expand, narrow, select, cat, stack), softmax/logSoftmax and matmul ops,
// casts between float32 and float64, where() on masks made by comparisons (maybe negated or or-ed
// with another), cumsum, and gather and scatterAdd by 0/1 indices made from the values (a
// comparison cast to int, or an argsort of the values), over float32 and float64 inputs of rank 0 to 3 with size-1 (broadcast)
// dims; inputs of rank >= 2 may be non-contiguous (a transposed view). Masks and indices only ever
// feed where() and gather/scatterAdd: other steps take float values only. In "grad" mode inputs may
// require grad (input 0 always does) and every output depends on one that does.
import { pathToFileURL } from "node:url";
import fc from "fast-check";
import { cat, type DType, F, noGrad, stack, Tensor, tensor } from "../../index";

export type Arg = number | boolean | number[] | { ref: number } | { refs: number[] };
export interface Instr {
  self: number;
  method: string;
  args: Arg[];
}
export interface Program {
  inputs: { shape: number[]; dtype: DType; transposed: boolean; requiresGrad: boolean }[];
  instrs: Instr[]; // value i (i >= inputs.length) is instrs[i - inputs.length] applied
  outputs: number[];
}
export type Mode = "forward" | "grad";

// ---- recipes ----
export interface Step {
  op: number;
  a: number;
  b: number;
  p: number;
  q: number;
  k: boolean;
}
export interface Recipe {
  seed: number; // input data
  base: number[]; // the broadcast shape: each input takes some of its trailing dims
  inputs: { keep: number; ones: number; f64: boolean; transposed: boolean; grad: boolean }[];
  steps: Step[];
  extraOut: number; // maybe a second output
  functional: boolean; // the gradient property checks valueAndGrad too
}

const step = fc.record({
  op: fc.nat(1000),
  a: fc.nat(1000),
  b: fc.nat(1000),
  p: fc.nat(1000),
  q: fc.nat(1000),
  k: fc.boolean(),
});
export const recipe: fc.Arbitrary<Recipe> = fc.record({
  seed: fc.nat(1_000_000),
  base: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 0, maxLength: 3 }),
  inputs: fc.array(
    fc.record({
      keep: fc.nat(3), // how many of base's leading dims to drop
      ones: fc.nat(15), // < 8: a mask of dims that are 1 (broadcast) in this input
      f64: fc.nat(5).map((n) => n === 0),
      transposed: fc.boolean(),
      grad: fc.nat(3).map((n) => n > 0),
    }),
    { minLength: 1, maxLength: 3 },
  ),
  steps: fc.array(step, { minLength: 1, maxLength: 12 }),
  extraOut: fc.nat(20),
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
// values in [-2, 2] (INPUT_BOUND), three decimals
const randomData = (n: number, rnd: () => number) =>
  Float64Array.from({ length: n }, () => Math.round((rnd() * 4 - 2) * 1000) / 1000);

// Fresh input tensors (leaves) with the program's shapes, dtypes and requiresGrad flags; `transposed`
// ones are non-contiguous (a transposed view of a contiguous tensor, detached to be a leaf).
export function makeInputs(p: Program, seed: number): Tensor[] {
  const rnd = mulberry32(seed);
  return p.inputs.map(({ shape, dtype, transposed, requiresGrad }) => {
    const data = randomData(numel(shape), rnd);
    if (!transposed) return tensor(data, { shape, dtype, requiresGrad });
    const r = shape.length,
      swapped = [...shape];
    [swapped[r - 2], swapped[r - 1]] = [swapped[r - 1], swapped[r - 2]];
    return tensor(data, { shape: swapped, dtype })
      .transpose(-2, -1)
      .detach()
      .requiresGrad_(requiresGrad);
  });
}

// The upstream gradient of each output, in [-1, 1].
export function upstreams(shapes: number[][], seed: number): Tensor[] {
  const rnd = mulberry32(seed ^ 0x5bd1e995);
  return shapes.map((s) =>
    tensor(
      randomData(numel(s), rnd).map((v) => v / 2),
      { shape: s },
    ),
  );
}

// ---- replay and printing ----
const refsOf = (a: Arg): number[] =>
  a !== null && typeof a === "object" && !Array.isArray(a) ? ("ref" in a ? [a.ref] : a.refs) : [];
const resolve = (a: Arg, vals: Tensor[]): unknown =>
  a !== null && typeof a === "object" && !Array.isArray(a)
    ? "ref" in a
      ? vals[a.ref]
      : a.refs.map((r) => vals[r])
    : a;
// convolutions of x [1, 1, h, w] with w [1, 1, 2, 2]: variant 0 max-pools a conv2d with padding 1
// (with indices) and unpools the maxima and their indices (as floats) back to the conv's size;
// variant 1 is a convTranspose2d (stride 2) of conv2d's weight gradient of x and a stride-2
// conv2d(x, w), unfolded and folded; variant 2 the 3-d ops on x as a [1, 1, h, 1, w] volume: a
// conv3d (padding 1 in depth and width), max-pooled with indices, unpooled and average-pooled
// (back to h x w)
function conv([x, w]: Tensor[], variant: number): Tensor {
  if (variant === 2) {
    const [h, wd] = x.shape.slice(2);
    const y = F.conv3d(x.reshape([1, 1, h, 1, wd]), w.reshape([1, 1, 2, 1, 2]), null, {
      padding: [1, 0, 1],
    });
    const o = { stride: 1 };
    const [m, at] = F.maxPool3d(y, [2, 1, 2], { ...o, returnIndices: true });
    return F.avgPool3d(F.maxUnpool3d(m, at, [2, 1, 2], o), [2, 1, 2], o).reshape([1, 1, h, wd]);
  }
  if (variant === 0) {
    const o = { stride: 1 };
    const [y, at] = F.maxPool2d(F.conv2d(x, w, null, { padding: 1 }), 2, {
      ...o,
      returnIndices: true,
    });
    const where = x.dtype === "float64" ? at.double() : at.float();
    return F.maxUnpool2d(y, at, 2, o).add(F.maxUnpool2d(where, at, 2, o));
  }
  const p = { stride: [2, 2], padding: [0, 0], dilation: [1, 1], groups: 1 };
  const gw = x.convWeight(x.conv(w, p), { ...p, kernel: [2, 2] });
  const y = F.convTranspose2d(gw, w, null, { stride: 2 });
  // then unfolded into overlapping 2x2 blocks and folded back (each value times its block count)
  const o = { padding: 1 };
  return F.fold(F.unfold(y, 2, o), [y.shape[2], y.shape[3]], 2, o);
}
// cummax/cummin's values plus x read at their indices; code: dim * 2 + (1 for cummin)
function cumExtreme([x]: Tensor[], code: number): Tensor {
  const dim = code >> 1,
    { values, indices } = code & 1 ? x.cummin(dim) : x.cummax(dim);
  return x.ndim === 0 ? values : values.add(x.gather(dim, indices));
}
// x.scatterReduce(dim, index, x, reduction) with code: dim * 10 + reduction * 2 + includeSelf
const REDUCTIONS = ["sum", "prod", "mean", "amax", "amin"] as const;
function scatterReduce([x, index]: Tensor[], code: number): Tensor {
  const dim = Math.floor(code / 10),
    reduce = REDUCTIONS[(code % 10) >> 1];
  return x.scatterReduce(dim, index, x, reduce, { includeSelf: code % 2 === 1 });
}
const FUNCTIONS: Record<string, (ts: Tensor[], dim: number) => Tensor> = {
  cat,
  stack,
  conv,
  cumExtreme,
  scatterReduce,
}; // not methods

function apply(ins: Instr, vals: Tensor[]): Tensor {
  const args = ins.args.map((a) => resolve(a, vals));
  if (ins.method in FUNCTIONS) return FUNCTIONS[ins.method](args[0] as Tensor[], args[1] as number);
  const self = vals[ins.self] as unknown as Record<string, (...a: unknown[]) => Tensor>;
  return self[ins.method](...args);
}

export function run(p: Program, inputs: Tensor[]): Tensor[] {
  const vals = [...inputs];
  for (const ins of p.instrs) vals.push(apply(ins, vals));
  return p.outputs.map((i) => vals[i]);
}

const fmtArg = (a: Arg): string =>
  Array.isArray(a)
    ? `[${a.join(", ")}]`
    : typeof a === "object"
      ? "ref" in a
        ? `v${a.ref}`
        : `[${a.refs.map((r) => `v${r}`).join(", ")}]`
      : String(a);

// The program as JavaScript: a reproduction that can be pasted into a test.
export function show(p: Program): string {
  const n = p.inputs.length;
  const lines = p.inputs.map(
    (x, i) =>
      `// v${i}: ${x.dtype}[${x.shape.join(", ")}]${x.requiresGrad ? " requiresGrad" : ""}${x.transposed ? " (non-contiguous: a transposed view)" : ""}`,
  );
  lines.push(`(${p.inputs.map((_, i) => `v${i}`).join(", ")}) => {`);
  p.instrs.forEach((ins, j) => {
    const args = ins.args.map(fmtArg).join(", ");
    lines.push(
      `  const v${n + j} = ${ins.method in FUNCTIONS ? `${ins.method}(${args})` : `v${ins.self}.${ins.method}(${args})`};`,
    );
  });
  lines.push(`  return [${p.outputs.map((i) => `v${i}`).join(", ")}];`, "}");
  return lines.join("\n");
}

// ---- building a program from a recipe ----
const pick = <T>(xs: readonly T[], i: number): T => xs[((i % xs.length) + xs.length) % xs.length];
// Magnitudes are bounded statically (interval arithmetic from inputs in [-2, 2]), so they hold for
// any input data: values that could exceed BOUND are scaled down or squashed with tanh, and exp
// only sees arguments within [-5, 5]. Float32 rounding then stays far below the tolerances.
const BOUND = 8;
const INPUT_BOUND = 2;

function boundOf(ins: Instr, x: Tensor, out: Tensor, bounds: number[]): number {
  const b = bounds[ins.self];
  const other = (a: Arg) =>
    typeof a === "number" ? Math.abs(a) : Math.max(0, ...refsOf(a).map((r) => bounds[r]));
  switch (ins.method) {
    case "exp":
      return Math.exp(b);
    case "log":
      return Math.log(Math.max(b, 1)); // only ever of |x| + 1
    case "sqrt":
      return Math.sqrt(b);
    case "expm1":
    case "sinh":
    case "cosh":
      return Math.exp(b);
    case "log1p":
    case "log2":
    case "log10":
      return Math.log2(b + 1);
    case "floor":
    case "ceil":
    case "round":
    case "trunc":
      return b + 1;
    case "tan":
    case "atan":
    case "asin":
    case "atanh":
    case "erfinv": // of 0.9 tanh(x): below 1.17
      return 1.6;
    case "acos":
    case "atan2":
    case "erfc":
      return 3.2;
    case "fmod":
    case "remainder":
      return Math.max(b, other(ins.args[0]));
    case "hypot":
      return b + other(ins.args[0]);
    case "floorDivide":
      return typeof ins.args[0] === "number" ? b / Math.abs(ins.args[0]) + 1 : b + 1;
    case "square":
      return b * b;
    case "tanh":
    case "sigmoid":
    case "sign":
    case "erf":
    case "sin":
    case "cos":
    case "softmax":
      return 1;
    case "logSoftmax":
      return 2 * b + Math.log(Math.max(x.numel(), 1));
    case "add":
    case "sub":
      return b + other(ins.args[0]);
    case "mul":
      return b * other(ins.args[0]);
    case "div":
      return typeof ins.args[0] === "number" ? b / Math.abs(ins.args[0]) : b; // tensor denominators are |y| + 1
    case "pow":
      return b ** (ins.args[0] as number);
    case "maximum":
    case "minimum":
      return Math.max(b, other(ins.args[0]));
    case "where":
      return Math.max(b, other(ins.args[1]));
    case "cat":
    case "stack":
      return other(ins.args[0]);
    case "sum":
      return b * (x.numel() / Math.max(out.numel(), 1));
    case "prod": // a product of n terms: up to b^n (and 1 for an empty one)
      return Math.max(b, 1) ** (x.numel() / Math.max(out.numel(), 1));
    case "cumsum":
      return b * (x.shape[ins.args[0] as number] ?? 1);
    case "cumprod":
      return Math.max(b, 1) ** (x.shape[ins.args[0] as number] ?? 1);
    case "logcumsumexp":
      return b + Math.log(x.shape[ins.args[0] as number] ?? 1);
    case "cumExtreme":
      return 2 * b;
    case "scatterReduce": {
      const code = ins.args[1] as number,
        n = 1 + x.shape[Math.floor(code / 10)];
      return [b * n, b ** n, b, b, b][(code % 10) >> 1];
    }
    case "scatterAdd":
      return b * (1 + x.shape[ins.args[0] as number]);
    case "matmul":
      return b * other(ins.args[0]) * x.shape[x.ndim - 1];
    case "conv": // 2x2 kernels of x's values; the weight gradient sums products of such over x
      return ins.args[1] === 0
        ? 4 * b * b + 4 * x.numel()
        : ins.args[1] === 2
          ? 4 * b * b
          : 64 * b ** 4 * x.numel();
    default:
      return b; // neg, abs, relu, movement, mean, amax, amin
  }
}

export const UNARY = [
  "neg",
  "exp",
  "log1abs",
  "sqrtabs",
  "abs",
  "tanh",
  "sigmoid",
  "relu",
  "sin",
  "cos",
  "square",
  "sign",
  "erf",
  "cast", // to the other float dtype (double or float)
  "mask", // x where a comparison of x with a number (maybe negated) holds, else a number
  "rounding", // floor, ceil, round or trunc
  "smooth", // atan, asinh, erfc or tan (of tanh(x) when |x| may exceed 1)
  "grow", // expm1, sinh or cosh (of tanh(x) when |x| may exceed 5)
  "logs", // log1p, log2 or log10 of |x| (+ 1 for log2 and log10)
  "arc", // asin, acos, atanh or erfinv of 0.9 tanh(x)
  "acosh1", // acosh(|x| + 1.1)
] as const;
// where: x where a comparison of x with the other operand (maybe or-ed with a comparison of x with
// a number) holds, else the other operand
// atan2, fmod, remainder, floorDivide, hypot: by |y| + 1 or a nonzero number, as div
// (atan2 and hypot: by |y| + 1 always, they take tensors)
export const BINARY = [
  "add",
  "sub",
  "mul",
  "div",
  "maximum",
  "minimum",
  "pow",
  "where",
  "atan2",
  "fmod",
  "remainder",
  "floorDivide",
  "hypot",
] as const;
export const COMPARE = ["eq", "ne", "lt", "le", "gt", "ge"] as const;
// thresholds for comparisons with a number: values that sums of the data (three decimals) are
// unlikely to hit exactly, where eager and compiled sums may differ in the last bit; and 0, which
// relu gives exactly
const THRESHOLDS = [0, 0.3, -0.7, 1.3];
export const REDUCE = ["sum", "mean", "amax", "amin", "prod"] as const;
export const MOVE = [
  "transpose",
  "permute",
  "reshape",
  "unsqueeze",
  "squeeze",
  "narrow",
  "expand",
  "select",
  "softmax",
  "logSoftmax",
  "matmul",
  "cat",
  "stack",
  "cumsum",
  "cumprod",
  "gather", // along a dim of size >= 2, by a 0/1 index computed from x (a comparison, as int), or x's argsort
  "scatterAdd", // x into itself along such a dim, by such an index
  "conv", // x as a [1, 1, h, w] image, with its top-left 2x2 corner as the kernel (see conv())
  "scatter", // x into itself along such a dim, by such an index (the last write wins)
  "flip", // one dim, or all of them
  "roll", // along a dim of size >= 2
  "triu", // of a value with >= 2 dims (a vector made a row first)
] as const;
// scans drawn in place of a quarter of the cumsum (logcumsumexp) and cumprod (cumExtreme) steps
const SCANS = [
  "logcumsumexp",
  "cumExtreme", // cummax or cummin along a dim: values, plus x gathered at the indices
  "scatterReduce", // x into itself as scatterAdd, by a reduction, with or without self (half of scatterAdd's steps)
];
const SCALARS = [1, -1, 2, 0.5, -1.5, 3, 0];
// Every method a program may call (log1abs and sqrtabs are abs, add, then log or sqrt; cast is
// double or float; mask and where are comparisons, logicalNot or logicalOr, then where).
const COMPOUND = [
  "log1abs",
  "sqrtabs",
  "cast",
  "mask",
  "rounding",
  "smooth",
  "grow",
  "logs",
  "arc",
  "acosh1",
];
export const METHODS = [
  ...UNARY.filter((u) => !COMPOUND.includes(u)),
  "log",
  "sqrt",
  "double",
  "float",
  "floor",
  "ceil",
  "round",
  "trunc",
  "atan",
  "asinh",
  "tan",
  "erfc",
  "expm1",
  "sinh",
  "cosh",
  "log1p",
  "log2",
  "log10",
  "asin",
  "acos",
  "atanh",
  "erfinv",
  "acosh",
  ...COMPARE,
  "logicalNot",
  "logicalOr",
  "int",
  "argsort",
  ...BINARY,
  ...REDUCE,
  ...MOVE,
  ...SCANS,
];

export function shapesOfNumel(n: number): number[][] {
  const out: number[][] = [[n]];
  for (let a = 1; a <= n; a++) {
    if (n % a) continue;
    out.push([a, n / a]);
    for (let b = 1; b <= n / a; b++) if ((n / a) % b === 0) out.push([a, b, n / a / b]);
  }
  if (n === 1) out.push([]);
  return out;
}

const broadcastable = (a: number[], b: number[]) => {
  for (let i = 1; i <= Math.min(a.length, b.length); i++) {
    const x = a[a.length - i],
      y = b[b.length - i];
    if (x !== y && x !== 1 && y !== 1) return false;
  }
  return true;
};

export function build(r: Recipe, mode: Mode): Program {
  const grad = mode === "grad",
    base = r.base;
  const program: Program = {
    inputs: r.inputs.map((x, i) => {
      const rank = base.length - (x.keep % (base.length + 1)); // all of base's dims when keep is 0
      const shape = base
        .slice(base.length - rank)
        .map((n, d) => (x.ones < 8 && (x.ones >> d) & 1 ? 1 : n));
      return {
        shape,
        dtype: x.f64 ? "float64" : "float32",
        transposed: x.transposed && shape.length >= 2,
        requiresGrad: grad && (i === 0 || x.grad),
      };
    }),
    instrs: [],
    outputs: [],
  };
  const vals: Tensor[] = makeInputs(program, r.seed),
    bounds: number[] = vals.map(() => INPUT_BOUND);
  // which values depend on an input that requires grad
  const needs: boolean[] = program.inputs.map((x) => x.requiresGrad);
  const emit = (self: number, method: string, ...args: Arg[]): number => {
    const ins = { self, method, args };
    const out = noGrad(() => apply(ins, vals));
    bounds.push(boundOf(ins, vals[self], out, bounds));
    needs.push(needs[self] || args.some((a) => refsOf(a).some((i) => needs[i])));
    vals.push(out);
    program.instrs.push(ins);
    return vals.length - 1;
  };
  // too large: squash with tanh, or scale down (which keeps more of the value's shape)
  const bounded = (i: number, scale: boolean) =>
    bounds[i] <= BOUND ? i : scale ? emit(i, "div", Math.ceil(bounds[i] / 4)) : emit(i, "tanh");
  // the values an op may take as operands (float values, not masks or indices) that `keep` accepts
  const indices = (keep: (t: Tensor) => boolean) =>
    vals
      .map((_, i) => i)
      .filter((i) => (vals[i].dtype === "float32" || vals[i].dtype === "float64") && keep(vals[i]));

  for (const s of r.steps) {
    // the operand: usually the latest value (long chains), sometimes any earlier one (shared values)
    const usable = indices(() => true),
      a = s.a % 3 ? vals.length - 1 : usable[Math.floor(s.a / 3) % usable.length],
      x = vals[a],
      rank = x.ndim;
    const sized = x.shape.map((_, d) => d).filter((d) => x.shape[d] >= 2);
    const ones = x.shape.map((_, d) => d).filter((d) => x.shape[d] === 1);
    const kind = s.op % 4;
    let out: number;
    if (kind === 0) {
      const op = pick(UNARY, s.p);
      if (op === "log1abs") out = emit(emit(emit(a, "abs"), "add", 1), "log");
      // sqrt(|x| + 1e-3), not sqrt(|x|): at 0 its slope is unbounded, and compiled kernels keep
      // float32 intermediates in float64, so an x that is exactly 0 eagerly may be 1e-8 compiled
      else if (op === "sqrtabs") out = emit(emit(emit(a, "abs"), "add", 1e-3), "sqrt");
      else if (op === "rounding") out = emit(a, pick(["floor", "ceil", "round", "trunc"], s.q));
      else if (op === "smooth") {
        const f = pick(["atan", "asinh", "tan", "erfc"], s.q);
        out = emit(f === "tan" && bounds[a] > 1 ? emit(a, "tanh") : a, f);
      } else if (op === "grow")
        out = emit(bounds[a] > 5 ? emit(a, "tanh") : a, pick(["expm1", "sinh", "cosh"], s.q));
      else if (op === "logs") {
        const f = pick(["log1p", "log2", "log10"], s.q);
        const m = emit(a, "abs");
        out = emit(f === "log1p" ? m : emit(m, "add", 1), f);
      } else if (op === "arc")
        out = emit(
          emit(emit(a, "tanh"), "mul", 0.9),
          pick(["asin", "acos", "atanh", "erfinv"], s.q),
        );
      else if (op === "acosh1") out = emit(emit(emit(a, "abs"), "add", 1.1), "acosh");
      else if (op === "cast") out = emit(a, x.dtype === "float32" ? "double" : "float");
      else if (op === "mask") {
        let m = emit(a, pick(COMPARE, s.q), pick(THRESHOLDS, s.b));
        if (s.k) m = emit(m, "logicalNot");
        out = emit(a, "where", { ref: m }, pick(SCALARS, s.q >> 3));
      } else out = emit(a, op);
    } else if (kind === 1) {
      const op = pick(BINARY, s.p);
      if (op === "pow") out = emit(a, "pow", pick([2, 3, 1, 0], s.q));
      else {
        // the other operand: a broadcast-compatible value (maybe x itself), or a JS number
        const other: Arg = s.k
          ? pick(SCALARS, s.q)
          : {
              ref: pick(
                indices((t) => broadcastable(x.shape, t.shape)),
                s.b,
              ),
            };
        if (["div", "atan2", "fmod", "remainder", "floorDivide", "hypot"].includes(op)) {
          // a denominator bounded away from 0: |y| + 1 (or a nonzero number; atan2 takes tensors)
          out =
            typeof other === "number" && op !== "atan2" && op !== "hypot"
              ? emit(a, op, other === 0 ? 4 : other)
              : emit(a, op, {
                  ref: emit(
                    emit(typeof other === "number" ? a : refsOf(other)[0], "abs"),
                    "add",
                    1,
                  ),
                });
        } else if (op === "where") {
          const m = emit(a, pick(COMPARE, s.q), other),
            either = () => emit(a, pick(COMPARE, s.q >> 3), pick(THRESHOLDS, s.b));
          out = emit(
            a,
            "where",
            { ref: Math.floor(s.p / 8) % 2 ? emit(m, "logicalOr", { ref: either() }) : m },
            other,
          );
        } else out = emit(a, op, other);
      }
    } else if (kind === 2) {
      const op = pick(REDUCE, s.p);
      if (rank === 0 || s.q % 3 === 0) out = emit(a, op);
      else if (s.q % 3 === 1 || rank === 1) {
        const d = s.b % rank;
        out = emit(a, op, Math.floor(s.q / 3) % 2 ? d - rank : d, s.k);
      } else {
        const d0 = s.b % rank,
          d1 = (d0 + 1 + (s.q % (rank - 1))) % rank;
        out = emit(a, op, [d0, d1], s.k);
      }
    } else {
      const op = pick(MOVE, s.p);
      if (op === "transpose" && rank >= 2) {
        const d0 = s.b % rank,
          d1 = (d0 + 1 + (s.q % (rank - 1))) % rank;
        out = emit(a, "transpose", d0, d1);
      } else if (op === "permute" && rank >= 2) {
        const perm = [...Array(rank).keys()];
        for (let i = rank - 1, z = s.q; i > 0; i--, z = Math.floor(z / 3)) {
          const j = z % (i + 1);
          [perm[i], perm[j]] = [perm[j], perm[i]];
        }
        out = emit(a, "permute", perm);
      } else if (op === "reshape") {
        const shape = [...pick(shapesOfNumel(x.numel()), s.q)];
        if (s.k && shape.length) shape[s.b % shape.length] = -1; // inferred
        out = emit(a, "reshape", shape);
      } else if (op === "unsqueeze" && rank <= 3) {
        out = emit(a, "unsqueeze", (s.b % (rank + 1)) - (s.k ? rank + 1 : 0));
      } else if (op === "squeeze" && ones.length) {
        out = s.k ? emit(a, "squeeze") : emit(a, "squeeze", pick(ones, s.b));
      } else if (op === "narrow" && sized.length) {
        const d = pick(sized, s.b),
          n = x.shape[d],
          len = 1 + (s.q % (n - 1)),
          start = Math.floor(s.q / 4) % (n - len + 1);
        out = emit(a, "narrow", d, start, len);
      } else if (op === "expand" && (ones.length || rank < 3)) {
        const size = 2 + (s.q % 3);
        out = emit(
          a,
          "expand",
          ones.length && !s.k
            ? x.shape.map((n, d) => (d === pick(ones, s.b) ? size : n))
            : [size, ...x.shape],
        );
      } else if (op === "select" && sized.length) {
        const d = pick(sized, s.b);
        out = emit(a, "select", d, (s.q % (2 * x.shape[d])) - x.shape[d]);
      } else if (op === "softmax" || op === "logSoftmax") {
        out = emit(a, op, rank === 0 ? 0 : (s.b % rank) - (s.k ? rank : 0));
      } else if (op === "matmul" && rank >= 1 && rank <= 3) {
        // x @ x^T, or x @ (an earlier vector or matrix that fits)
        const k = x.shape[rank - 1];
        const partners = indices(
          (t) => t.ndim >= 1 && t.ndim <= 2 && t.shape[0] === k && t.dtype === x.dtype,
        );
        if (rank >= 2 && (s.k || !partners.length))
          out = emit(a, "matmul", { ref: emit(a, "transpose", -1, -2) });
        else if (partners.length) out = emit(a, "matmul", { ref: pick(partners, s.b) });
        else out = emit(a, "softmax", -1);
      } else if (op === "cat" && rank >= 1) {
        const d = s.b % rank;
        const fits = indices(
          (t) =>
            t.ndim === rank &&
            t.dtype === x.dtype &&
            t.shape.every((n, e) => e === d || n === x.shape[e]),
        );
        const other = pick(fits, s.q);
        // sometimes more pieces than compile() pads and sums: the cat kernel op
        const refs = s.k ? [...Array(17).keys()].map((i) => (i % 2 ? other : a)) : [a, other];
        out = emit(a, "cat", { refs }, s.k ? d - rank : d);
      } else if (op === "stack") {
        const same = indices((t) => t.shape.join() === x.shape.join() && t.dtype === x.dtype);
        out = emit(a, "stack", { refs: [pick(same, s.q), a] }, s.b % (rank + 1));
      } else if ((op === "cumsum" || op === "cumprod") && s.q % 4 === 3) {
        const d = rank === 0 ? 0 : s.b % rank;
        out =
          op === "cumsum"
            ? emit(a, "logcumsumexp", d)
            : emit(a, "cumExtreme", { refs: [a] }, 2 * d + (s.k ? 1 : 0));
      } else if (op === "cumsum" || op === "cumprod") {
        out = emit(a, op, rank === 0 ? 0 : s.b % rank);
      } else if ((op === "gather" || op === "scatterAdd" || op === "scatter") && sized.length) {
        const d = pick(sized, s.b);
        // gather's index is sometimes argsort's (x sorted along d), else 0/1 from a comparison
        const index =
          op === "gather" && s.k
            ? emit(a, "argsort", d)
            : emit(emit(a, pick(COMPARE, s.q), pick(THRESHOLDS, s.q >> 3)), "int");
        out =
          op === "gather"
            ? emit(a, "gather", d, { ref: index })
            : op === "scatterAdd" && Math.floor(s.p / MOVE.length) % 2 === 1
              ? emit(a, "scatterReduce", { refs: [a, index] }, d * 10 + ((s.b >> 2) % 10))
              : emit(a, op, d, { ref: index }, { ref: a });
      } else if (op === "flip" && rank >= 1) {
        out = emit(a, "flip", s.k ? [...x.shape.keys()] : [s.b % rank]);
      } else if (op === "roll" && sized.length) {
        out = emit(a, "roll", (s.q % 5) - 2, pick(sized, s.b));
      } else if (op === "triu" && rank >= 1) {
        out = emit(rank >= 2 ? a : emit(a, "unsqueeze", 0), "triu", (s.q % 3) - 1);
      } else if (op === "conv" && rank >= 2 && x.shape[rank - 1] >= 2 && x.shape[rank - 2] >= 2) {
        const h = x.numel() / x.shape[rank - 1];
        const img = emit(a, "reshape", [1, 1, h, x.shape[rank - 1]]);
        const kernel = emit(emit(img, "narrow", 2, 0, 2), "narrow", 3, 0, 2);
        // (variant 2 in place of half of variant 1, so variants 0 and 1 are drawn as before)
        const y = emit(a, "conv", { refs: [img, kernel] }, s.q % 4 === 3 ? 2 : s.q % 2);
        out = emit(y, "reshape", [vals[y].shape[2], vals[y].shape[3]]);
      } else if (rank >= 2) {
        out = emit(a, "transpose", 0, rank - 1);
      } else if (rank === 1 && x.shape[0] >= 2) {
        out = emit(a, "narrow", 0, s.q % 2, x.shape[0] - 1);
      } else {
        out = emit(a, "sigmoid");
      }
    }
    bounded(out, s.p % 2 === 0 && bounds[out] < 1e6);
  }
  // (grad) every output depends on an input that requires grad (input 0 always does)
  let last = vals.length - 1;
  if (grad && !needs[last]) last = emit(last, "add", { ref: emit(0, "sum") });
  program.outputs = [last];
  const extra = r.extraOut % (vals.length + 2);
  if (
    extra < vals.length &&
    extra !== last &&
    extra >= program.inputs.length &&
    (vals[extra].dtype === "float32" || vals[extra].dtype === "float64") &&
    (!grad || needs[extra])
  )
    program.outputs.push(extra);
  return program;
}

// ---- comparing results ----
// |got - want| <= atol + rtol * |want| elementwise; with `scaled`, atol is relative to the largest
// |want| (when above 1), as gradients of long chains are.
export interface Tolerance {
  rtol: number;
  atol: number;
  scaled?: boolean;
}

// null when `got` matches `want` (shapes, dtypes, values within tolerance; NaN matches NaN; null
// matches null, for .grad).
export function mismatch(
  what: string,
  got: unknown,
  want: Tensor | null,
  tol: Tolerance,
): string | null {
  if (got === null || want === null)
    return got === want
      ? null
      : `${what}: ${got === null ? "null" : "a tensor"}, eager ${want === null ? "null" : "a tensor"}`;
  if (!(got instanceof Tensor)) return `${what} is not a Tensor`;
  if (got.shape.join() !== want.shape.join())
    return `${what}: shape [${got.shape}], eager [${want.shape}]`;
  if (got.dtype !== want.dtype) return `${what}: dtype ${got.dtype}, eager ${want.dtype}`;
  const g = got.values(),
    w = want.values();
  const atol = tol.scaled
    ? tol.atol * Math.max(1, ...w.map((v) => (Number.isFinite(v) ? Math.abs(v) : 0)))
    : tol.atol;
  for (let i = 0; i < g.length; i++) {
    if (Number.isNaN(g[i]) && Number.isNaN(w[i])) continue;
    if (g[i] === w[i]) continue;
    if (!(Math.abs(g[i] - w[i]) <= atol + tol.rtol * Math.abs(w[i]))) {
      return `${what} [${want.shape}]: element ${i} is ${g[i]}, eager ${w[i]}\n compiled: ${g.join(", ")}\n eager:    ${w.join(", ")}`;
    }
  }
  return null;
}

// The first mismatch between a program's outputs and eager's.
export function outputsMismatch(got: unknown, want: Tensor[], tol: Tolerance): string | null {
  if (!Array.isArray(got)) return "the outputs are not an array";
  if (got.length !== want.length) return `${got.length} outputs, expected ${want.length}`;
  for (let o = 0; o < got.length; o++) {
    const bad = mismatch(`output ${o}`, got[o], want[o], tol);
    if (bad) return bad;
  }
  return null;
}

// ---- running a property ----
// fast-check settings for a property test: a fixed seed, or JITGRAD_FUZZ_SEED (a number, or
// "random" for a fresh one), and JITGRAD_FUZZ_RUNS cases.
export function fuzzSettings(
  seed: number,
  runs: number,
): { seed: number; runs: number; fromEnv: boolean } {
  const envSeed = process.env.JITGRAD_FUZZ_SEED,
    envRuns = process.env.JITGRAD_FUZZ_RUNS;
  return {
    seed: envSeed === "random" ? Math.floor(Math.random() * 2 ** 31) : Number(envSeed ?? seed),
    runs: Number(envRuns ?? runs),
    fromEnv: envSeed !== undefined || envRuns !== undefined,
  };
}

// `npx tsx <the module> [seed] [runs]` (seed: a number or "random"): runs the property outside
// vitest and prints the shrunk failing case, or how long the runs took and `note()`.
export function runIfMain(
  meta: ImportMeta,
  property: (r: Recipe) => void,
  runs: number,
  note = () => "",
): void {
  if (!process.argv[1] || meta.url !== pathToFileURL(process.argv[1]).href) return;
  const seedArg = process.argv[2] ?? "1";
  const seed = seedArg === "random" ? Math.floor(Math.random() * 2 ** 31) : Number(seedArg),
    numRuns = Number(process.argv[3] ?? runs);
  const t = Date.now();
  const out = fc.check(fc.property(recipe, property), { seed, numRuns });
  if (out.failed) {
    console.log(`${fc.defaultReportMessage(out)}\n${(out.errorInstance as Error)?.message}`);
    process.exitCode = 1;
  } else console.log(`ok: seed ${seed}, ${numRuns} runs in ${Date.now() - t} ms${note()}`);
}
