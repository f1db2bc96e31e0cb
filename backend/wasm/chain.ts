// Loop kernels as Wasm SIMD functions: the emitter for the elementwise kind (a flat loop or rows of
// one, optionally summed along the row), rendering any plan whose temps are float32 formulas over
// the scalar ops below. Four
// points per f32x4 step; values live in v128 locals (comparisons as lane masks); exp, log, tanh
// and erf are vmath.ts's polynomials. Operands stream through Wasm memory in chunks of CHUNK
// elements (the wrapper in chain-kernel.ts copies each chunk in, calls the function, copies the
// results out), so a chunk stays in cache between the copies and the loop.
//
// A sum accumulates every float32 term into two f64x2 registers (the four lanes promoted to
// double), so it is the float64 sum of the terms, as the JS kernel's double accumulators are; the
// running total crosses chunks in an f64 slot of memory. The function is
// `name(n, last)`: n points of the chunk; when `last` is 1, the outer phase runs after the loop
// (the sums, then temps and stores that read them).

import type { Scalar, ScalarOp } from "../../ir/scalar";
import { invariants } from "../js/body";
import type { Access, LoopKernel, Temp } from "../plan";
import type { FuncSpec, Instr, V128 } from "./assembler";
import { F32X4_ARITH, F32X4_COMPARE, F32X4_ROUNDING } from "./f32x4";
import { type VecCtx, vabs, verf, vexp, vlog, vneg, vtanh } from "./vmath";

export const CHUNK = 8192;
const UNROLL = 2; // vectors a loop step (16 points)

// Where each operand lives in memory (float offsets) and how it moves. A plan is one loop over
// `size` points, or rows of them (sizes [rows, size]: an operand broadcast along rows or columns,
// or a sum per row); an operand's element at (row r, point j) is offset + r rowStride + j (or
// offset + r rowStride, the same for the whole row, for a scalar).
export interface Stream {
  param: number; // which kernel argument
  offset: number; // element offset into it
  rowStride: number;
  slot: number; // float index in Wasm memory
  load: boolean; // copied in before each chunk
  store: boolean; // copied out after each chunk
}
export interface Single {
  param: number;
  offset: number;
  rowStride: number;
  slot: number;
}
export interface ChainLayout {
  rows: number;
  size: number; // points a row
  streams: Stream[];
  scalarsIn: Single[]; // loads constant along a row, copied in once a row
  scalarsOut: Single[]; // stores of the outer phase, once a row
  sums: number[]; // f64 slots (float64 index) of the running sums, zeroed a row
  floats: number; // memory used, in floats
}

const supported = new Set<ScalarOp>([
  "neg",
  "add",
  "sub",
  "mul",
  "div",
  "pow",
  "sqrt",
  "abs",
  "exp",
  "log",
  "tanh",
  "erf",
  "floor",
  "ceil",
  "trunc",
  "roundEven",
  "max",
  "min",
  "eq",
  "ne",
  "lt",
  "le",
  "gt",
  "ge",
  "and",
  "or",
  "not",
  "nonzero",
  "select",
  "roundF32",
]);
// the transcendental scalar ops of the costly ops' formulas that the cost rule counts
export const transcendental = new Set<ScalarOp>(["exp", "log", "tanh", "erf"]);

// x^k for the small integer powers a formula uses; others are not rendered
const smallPower = (e: Scalar) =>
  e.op === "num" && Number.isInteger(e.value) && e.value >= 1 && e.value <= 4;

function formulaOk(e: Scalar): boolean {
  if (e.op === "arg" || e.op === "num") return true;
  if (!supported.has(e.op)) return false;
  if (e.op === "pow" && !smallPower(e.args[1])) return false;
  return e.args.every(formulaOk);
}

// How many transcendental and other ops one point runs (for the cost rule).
export function opCounts(k: LoopKernel): { costly: number; cheap: number } {
  let costly = 0,
    cheap = 0;
  const walk = (e: Scalar) => {
    if (e.op === "arg" || e.op === "num") return;
    if (transcendental.has(e.op)) costly++;
    else cheap++;
    e.args.forEach(walk);
  };
  for (const t of k.temps) if (t.expr.kind === "apply") walk(t.expr.scalar);
  return { costly, cheap };
}

// an access this emitter streams: numeric, without a computed index, stride 1 or 0 along the
// row (the last dim), any stride across rows
const flat = (a: Access, dims: number) =>
  a.at === undefined &&
  typeof a.offset === "number" &&
  a.strides.length === dims &&
  a.strides.every((x) => typeof x === "number") &&
  (a.strides[dims - 1] === 0 || a.strides[dims - 1] === 1);

// The memory layout of a plan this emitter renders, or undefined.
export function chainLayout(k: LoopKernel): ChainLayout | undefined {
  const dims = k.sizes.length;
  if (k.kernel || dims < 1 || dims > 2 || !k.sizes.every((n) => typeof n === "number"))
    return undefined;
  if (k.reduced > 1 || (k.reduced === 0 && k.reductions.length > 0)) return undefined;
  if (k.siblings?.length) return undefined; // sibling reductions (plan.ts) stay in JavaScript
  for (const r of k.reductions) {
    const c = r.combine;
    const sum =
      c.op === "add" &&
      c.args[0].op === "arg" &&
      c.args[0].index === 0 &&
      c.args[1].op === "arg" &&
      c.args[1].index === 1;
    if (!sum || r.init !== 0 || r.dtype !== "float32") return undefined;
  }
  // temps keep their names as locals ($t12); the emitter's own are $x.., $c.., $i, $end, $n, $last
  const reserved = /^(x\d+|c\d+|i|end|n|last)$/;
  if ([...k.temps, ...k.reductions].some((t) => reserved.test(t.name))) return undefined;
  for (const t of k.temps) {
    const e = t.expr;
    if (e.kind === "valid") return undefined;
    if (e.kind === "load" && (e.guard !== undefined || !flat(e.access, dims))) return undefined;
    if (e.kind === "apply") {
      if (e.dtype !== "float32" && e.dtype !== "bool") return undefined;
      if (!formulaOk(e.scalar)) return undefined;
    }
    if (k.reduced === 1 && t.phase === "outer" && e.kind === "load") return undefined;
  }
  const [rows, size] = (dims === 2 ? k.sizes : [1, k.sizes[0]]) as [number, number];
  const streams: Stream[] = [],
    scalarsIn: Single[] = [],
    scalarsOut: Single[] = [];
  let floats = 0;
  const param = (buf: string) => k.params.indexOf(buf);
  const rowStride = (a: Access) => (dims === 2 ? (a.strides[0] as number) : 0);
  const stream = (a: Access, load: boolean): boolean => {
    const p = param(a.buf),
      offset = a.offset as number;
    if (p < 0) return false;
    const same = streams.find((s) => s.param === p);
    // two views of a buffer could overlap
    if (same && (same.offset !== offset || same.rowStride !== rowStride(a))) return false;
    if (same) {
      if (load) same.load = true;
      else same.store = true;
      return true;
    }
    // a stream's slot starts on 16 bytes, whatever scalars came before it: v128 accesses stay
    // aligned, and so do its copies, which matters when the other side is shared memory (V8 copies
    // to or from a SharedArrayBuffer word by word only when both ends agree on 8-byte alignment,
    // else byte by byte: measured 1.2 vs 9 us per 32 KB; the SGD update's streams sat one float
    // off, behind its learning rate, and ran 3x slower on shared parameters)
    floats = Math.ceil(floats / 4) * 4;
    streams.push({ param: p, offset, rowStride: rowStride(a), slot: floats, load, store: !load });
    floats += CHUNK;
    return true;
  };
  const single = (a: Access): Single | undefined =>
    param(a.buf) < 0
      ? undefined
      : {
          param: param(a.buf),
          offset: a.offset as number,
          rowStride: rowStride(a),
          slot: floats++,
        };
  for (const t of k.temps) {
    if (t.expr.kind !== "load") continue;
    const a = t.expr.access;
    if (a.strides[dims - 1] === 1) {
      if (!stream(a, true)) return undefined;
    } else {
      const s = single(a);
      if (!s) return undefined;
      scalarsIn.push(s);
    }
  }
  for (const s of k.stores) {
    const a = s.access,
      inner = k.reduced === 0 || s.phase === "inner";
    if (!flat(a, dims) || (a.strides[dims - 1] === 1) !== inner) return undefined;
    if (inner) {
      if (!stream(a, false)) return undefined;
    } else {
      const out = single(a);
      if (!out) return undefined;
      scalarsOut.push(out);
    }
  }
  // a buffer read at one point and written at another would need ordering across chunks and rows
  for (const s of [...scalarsIn, ...scalarsOut])
    if (streams.some((t) => t.param === s.param && (t.store || scalarsOut.includes(s))))
      return undefined;
  for (const s of scalarsIn) if (scalarsOut.some((o) => o.param === s.param)) return undefined;
  floats = Math.ceil(floats / 2) * 2; // f64 slots after the floats
  const sums = k.reductions.map((_, i) => floats / 2 + i);
  floats += 2 * sums.length;
  return { rows, size, streams, scalarsIn, scalarsOut, sums, floats };
}

// ---- the function ----
type Kind = "f" | "m"; // float lanes, or a lane mask (all ones where true)

export function chainFunction(k: LoopKernel, layout: ChainLayout): FuncSpec {
  const locals: [string, "v128" | "i32"][] = [
    ["$i", "i32"],
    ["$end", "i32"],
  ];
  const prologue: Instr[] = [];
  const constants = new Map<string, string>();
  const fresh = () => {
    const n = `$x${locals.length}`;
    locals.push([n, "v128"]);
    return n;
  };
  const ctxOf = (code: Instr[]): VecCtx => ({
    code,
    local: fresh,
    constant: (lanes: V128) => {
      // by value, as text that tells -0, NaN and the infinities apart (JSON does not)
      const key = JSON.stringify(lanes, (_, v) =>
        typeof v === "number" ? (Object.is(v, -0) ? "-0" : String(v)) : v,
      );
      let n = constants.get(key);
      if (!n) {
        n = `$c${constants.size}`;
        locals.push([n, "v128"]);
        constants.set(key, n);
        prologue.push(["v128.const", lanes], ["local.set", n]);
      }
      return n;
    },
  });
  const kinds = new Map<string, Kind>();
  const local = (name: string) => `$${name}`;
  const slotOf = (t: Temp) => {
    const a = (t.expr as { access: Access }).access;
    const p = k.params.indexOf(a.buf);
    if (a.strides.at(-1) === 1) return layout.streams.find((s) => s.param === p)!.slot;
    return layout.scalarsIn.find(
      (s) =>
        s.param === p &&
        s.offset === a.offset &&
        s.rowStride === (a.strides.length === 2 ? a.strides[0] : 0),
    )!.slot;
  };

  // a formula's value into a local, with its kind
  function render(c: VecCtx, e: Scalar, args: [string, Kind][]): [string, Kind] {
    if (e.op === "arg") return args[e.index];
    if (e.op === "num") return [c.constant({ f32x4: [e.value, e.value, e.value, e.value] }), "f"];
    const op = e.op;
    const vals = e.args.map((a) => render(c, a, args));
    const one = () => c.constant({ f32x4: [1, 1, 1, 1] }),
      zero = () => c.constant({ f32x4: [0, 0, 0, 0] });
    const emit = (name: string, ...xs: string[]) => {
      const out = c.local();
      c.code.push(...xs.map((x): Instr => ["local.get", x]), [name], ["local.set", out]);
      return out;
    };
    // a mask as a number (1 or 0), a number as a mask (nonzero, NaN included)
    const number = ([x, kind]: [string, Kind]) => (kind === "f" ? x : emit("v128.and", x, one()));
    const mask = ([x, kind]: [string, Kind]) => (kind === "m" ? x : emit("f32x4.ne", x, zero()));
    // the operands as numbers (select's condition and the logical ops take masks instead)
    const logical = op === "and" || op === "or" || op === "not" || op === "nonzero";
    const xs = logical ? [] : vals.map((v, i) => (op === "select" && i === 0 ? v[0] : number(v)));
    const arith = F32X4_ARITH[op] ?? F32X4_ROUNDING[op];
    if (arith) return [emit(arith, ...xs), "f"];
    if (F32X4_COMPARE[op]) return [emit(F32X4_COMPARE[op]!, ...xs), "m"];
    switch (op) {
      case "neg":
        return [vneg(c, xs[0]), "f"];
      case "abs":
        return [vabs(c, xs[0]), "f"];
      case "roundF32":
        return vals[0]; // lanes are float32 already
      case "exp":
        return [vexp(c, xs[0]), "f"];
      case "log":
        return [vlog(c, xs[0]), "f"];
      case "tanh":
        return [vtanh(c, xs[0]), "f"];
      case "erf":
        return [verf(c, xs[0]), "f"];
      case "pow": {
        let p = xs[0];
        for (let i = 1; i < (e.args[1] as { value: number }).value; i++)
          p = emit("f32x4.mul", p, xs[0]);
        return [p, "f"];
      }
      case "nonzero":
        return [mask(vals[0]), "m"];
      case "not":
        return [emit("v128.not", mask(vals[0])), "m"];
      case "and":
        return [emit("v128.and", mask(vals[0]), mask(vals[1])), "m"];
      case "or":
        return [emit("v128.or", mask(vals[0]), mask(vals[1])), "m"];
      case "select":
        return [emit("v128.bitselect", xs[1], xs[2], mask(vals[0])), "f"];
    }
    throw new Error(`internal: ${op} reached the Wasm chain emitter`);
  }

  const invariant = invariants(k);
  const declared = new Set<string>();
  const declare = (n: string) => {
    if (!declared.has(n)) locals.push([n, "v128"]);
    declared.add(n);
    return n;
  };
  // a temp's local in copy j of the step (invariant temps have one copy)
  const nameOf = (name: string, j: number) =>
    declare(j === 0 || invariant.has(name) ? local(name) : `${local(name)}.${j}`);

  // one temp into its local, in copy j (reading the vector 16 j bytes further)
  const temp = (c: VecCtx, t: Temp, j: number) => {
    const e = t.expr;
    if (e.kind === "load") {
      const slot = slotOf(t);
      const strided = e.access.strides.at(-1) === 1;
      c.code.push(
        strided ? ["local.get", "$i"] : ["i32.const", 0],
        strided
          ? ["v128.load", { offset: slot * 4 + 16 * j }]
          : ["v128.load32_splat", { offset: slot * 4 }],
        ["local.set", nameOf(t.name, j)],
      );
      kinds.set(t.name, "f");
      return;
    }
    let value: [string, Kind];
    if (e.kind === "num")
      value = [c.constant({ f32x4: [e.value, e.value, e.value, e.value] }), "f"];
    else if (e.kind === "apply")
      value = render(
        c,
        e.scalar,
        e.args.map((a) => [nameOf(a, j), kinds.get(a) ?? "f"]),
      );
    else throw new Error("internal: a bound check reached the Wasm chain emitter");
    c.code.push(["local.get", value[0]], ["local.set", nameOf(t.name, j)]);
    kinds.set(t.name, value[1]);
  };

  const setup: Instr[] = [];
  for (const t of k.temps) if (invariant.has(t.name)) temp(ctxOf(setup), t, 0);
  // "pre" temps (once a row in JS) run at every step here: they read only row scalars
  const perPoint = k.temps.filter(
    (t) => !invariant.has(t.name) && (k.reduced === 0 || t.phase !== "outer"),
  );
  const after = k.temps.filter(
    (t) => !invariant.has(t.name) && k.reduced === 1 && t.phase === "outer",
  );
  // per reduction and copy: the float64 partial sums of lanes 0-1 and 2-3
  const accs = k.reductions.map((r) =>
    [...Array(UNROLL).keys()].map((j) => [
      declare(`${local(r.name)}_lo.${j}`),
      declare(`${local(r.name)}_hi.${j}`),
    ]),
  );

  // copy j of one step over four points; `tail`: only the lanes below n count in the sums
  const step = (tail: boolean, j: number): Instr[] => {
    const code: Instr[] = [];
    const c = ctxOf(code);
    for (const t of perPoint) temp(c, t, j);
    for (const s of k.stores) {
      if (!(k.reduced === 0 || s.phase === "inner")) continue;
      const p = k.params.indexOf(s.access.buf);
      const slot = layout.streams.find((x) => x.param === p)!.slot;
      let v = nameOf(s.value, j);
      if (kinds.get(s.value) === "m") {
        const number = c.local();
        code.push(
          ["local.get", v],
          ["local.get", c.constant({ f32x4: [1, 1, 1, 1] })],
          ["v128.and"],
          ["local.set", number],
        );
        v = number;
      }
      code.push(
        ["local.get", "$i"],
        ["local.get", v],
        ["v128.store", { offset: slot * 4 + 16 * j }],
      );
    }
    k.reductions.forEach((r, q) => {
      const [lo, hi] = accs[q][j];
      let v = nameOf(r.value, j);
      if (tail) {
        // lanes 0..3 < n - i (in points): the rest of the vector lies past the chunk
        const m = c.local();
        code.push(
          ["local.get", c.constant({ f32x4: [0, 1, 2, 3] })],
          ["local.get", "$end"],
          ["local.get", "$i"],
          ["i32.sub"],
          ["i32.const", 2],
          ["i32.shr_s"],
          ["f32.convert_i32_s"],
          ["f32x4.splat"],
          ["f32x4.lt"],
          ["local.get", v],
          ["v128.and"],
          ["local.set", m],
        );
        v = m;
      }
      code.push(
        ["local.get", lo],
        ["local.get", v],
        ["f64x2.promote_low_f32x4"],
        ["f64x2.add"],
        ["local.set", lo],
        ["local.get", hi],
        ["local.get", v],
        ["local.get", v],
        ["i8x16.shuffle", { i8x16: [8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7] }],
        ["f64x2.promote_low_f32x4"],
        ["f64x2.add"],
        ["local.set", hi],
      );
    });
    return code;
  };
  // UNROLL copies, their statements taken in turn: independent work side by side, so the CPU
  // overlaps the long dependency chains of the polynomials (V8 does not interleave them for us)
  const statements = (code: Instr[]) => {
    const out: Instr[][] = [[]];
    for (const ins of code) {
      out.at(-1)!.push(ins);
      if (ins[0] === "local.set" || ins[0] === "v128.store") out.push([]);
    }
    return out;
  };
  const copies = [...Array(UNROLL).keys()].map((j) => statements(step(false, j)));
  const unrolled = copies[0].flatMap((_, i) => copies.flatMap((c) => c[i]));

  const zero: V128 = { f32x4: [0, 0, 0, 0] };
  const loop = (label: string, test: Instr[], stepCode: Instr[], bytes: number): Instr[] => [
    ["block", `$${label}_done`],
    ["loop", `$${label}_next`],
    ...test,
    ["br_if", `$${label}_done`],
    ...stepCode,
    ["local.get", "$i"],
    ["i32.const", bytes],
    ["i32.add"],
    ["local.set", "$i"],
    ["br", `$${label}_next`],
    ["end"],
    ["end"],
  ];
  const body: Instr[] = [
    ...setup,
    ...accs.flat().flatMap(([lo, hi]): Instr[] => [
      ["v128.const", zero],
      ["local.set", lo],
      ["v128.const", zero],
      ["local.set", hi],
    ]),
    // $end: the bytes of the whole vectors; the loops walk $i over them, UNROLL vectors a step,
    // then one
    ["local.get", "$n"],
    ["i32.const", -4],
    ["i32.and"],
    ["i32.const", 2],
    ["i32.shl"],
    ["local.set", "$end"],
    ["i32.const", 0],
    ["local.set", "$i"],
    ...loop(
      "wide",
      [
        ["local.get", "$i"],
        ["i32.const", 16 * UNROLL],
        ["i32.add"],
        ["local.get", "$end"],
        ["i32.gt_s"],
      ],
      unrolled,
      16 * UNROLL,
    ),
    ...loop("one", [["local.get", "$i"], ["local.get", "$end"], ["i32.ge_s"]], step(false, 0), 16),
    // the last 1-3 points: one more step, its extra lanes masked out of the sums ($end: n * 4)
    ["local.get", "$n"],
    ["i32.const", 3],
    ["i32.and"],
    ["if"],
    ["local.get", "$n"],
    ["i32.const", 2],
    ["i32.shl"],
    ["local.set", "$end"],
    ...step(true, 0),
    ["end"],
  ];
  // the chunk's sums added to the running totals
  k.reductions.forEach((_, q) => {
    const [lo] = accs[q][0],
      at = layout.sums[q] * 8;
    for (const [l, h] of accs[q])
      body.push(
        ...(l === lo
          ? []
          : ([["local.get", lo], ["local.get", l], ["f64x2.add"], ["local.set", lo]] as Instr[])),
        ["local.get", lo],
        ["local.get", h],
        ["f64x2.add"],
        ["local.set", lo],
      );
    body.push(
      ["i32.const", 0],
      ["i32.const", 0],
      ["f64.load", { offset: at }],
      ["local.get", lo],
      ["f64x2.extract_lane", 0],
      ["local.get", lo],
      ["f64x2.extract_lane", 1],
      ["f64.add"],
      ["f64.add"],
      ["f64.store", { offset: at }],
    );
  });
  if (k.reduced === 1) {
    const outer: Instr[] = [];
    const c = ctxOf(outer);
    k.reductions.forEach((r, j) => {
      outer.push(
        ["i32.const", 0],
        ["f64.load", { offset: layout.sums[j] * 8 }],
        ["f32.demote_f64"],
        ["f32x4.splat"],
        ["local.set", declare(local(r.name))],
      );
      kinds.set(r.name, "f");
    });
    for (const t of after) temp(c, t, 0);
    let o = 0;
    for (const s of k.stores) {
      if (s.phase === "inner") continue;
      const slot = layout.scalarsOut[o++].slot;
      outer.push(
        ["i32.const", 0],
        ["local.get", nameOf(s.value, 0)],
        ...(kinds.get(s.value) === "m"
          ? ([["local.get", c.constant({ f32x4: [1, 1, 1, 1] })], ["v128.and"]] as Instr[])
          : []),
        ["f32x4.extract_lane", 0],
        ["f32.store", { offset: slot * 4 }],
      );
    }
    body.push(["local.get", "$last"], ["if"], ...outer, ["end"]);
  }
  return {
    name: k.name,
    params: [
      ["$n", "i32"],
      ["$last", "i32"],
    ],
    results: [],
    locals,
    body: [...prologue, ...body],
  };
}
