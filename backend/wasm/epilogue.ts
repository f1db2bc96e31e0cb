// A compiled matmul kernel's epilogue (the temps and stores that read the product: bias, relu,
// the relu mask of the backward, ...) as Wasm SIMD code run on each finished tile of the GEMM
// while it is still in registers (microkernel.ts), so the product never goes through JS. Each
// value the epilogue loads is copied into Wasm memory first (one `set` of the span it covers); each
// value it stores lands in an [m, n] region copied out by the caller. Arithmetic runs in float32
// lanes, one rounding per op, as eager does (a JS epilogue keeps double intermediates and rounds
// at stores: the two agree to float32 rounding). Formulas outside the vocabulary below
// (transcendentals, integer ops, gathers, padding bounds) leave the kernel to the JS epilogue.

import type { Scalar, ScalarOp } from "../../ir/scalar";
import { invariants } from "../js/body";
import type { Access, LoopKernel } from "../plan";
import type { Instr, ValType } from "./assembler";
import { F32X4_ARITH, F32X4_COMPARE } from "./f32x4";
import { get, i32, set } from "./instructions";
import { acc, MR, NR, type TileEpilogue, tile } from "./microkernel";

// A value in lanes: floats, or a mask (all ones where true) from a comparison.
type Kind = "f" | "m";
interface Code {
  code: Instr[];
  kind: Kind;
}
class Unsupported extends Error {}

// What the caller moves: spans copied in (element (i, j) of batch element t at t * bs + i * rs +
// j * cs from `offset` of the kernel argument `buf`), results copied out (an [m, n] region into
// `buf` at its strides).
export interface EpilogueIO {
  loads: {
    buf: string;
    offset: number;
    rs: number;
    cs: number;
    bs: number;
    span: number;
    slack: number;
  }[];
  stores: { buf: string; offset: number; rs: number; cs: number; bs: number }[];
}

const splat = (v: number): Instr[] =>
  Object.is(v, 0) ? [get("$zero")] : v === 1 ? [get("$one")] : [["f32.const", v], ["f32x4.splat"]];
const toFloat = (x: Code): Instr[] =>
  x.kind === "f" ? x.code : [...x.code, get("$one"), ["v128.and"]];
const toMask = (x: Code): Instr[] =>
  x.kind === "m" ? x.code : [...x.code, get("$zero"), ["f32x4.ne"]];

const arith: Partial<Record<ScalarOp, string>> = {
  neg: "f32x4.neg",
  abs: "f32x4.abs",
  ...F32X4_ARITH,
};
const compare = F32X4_COMPARE;

// One formula in lanes, its arguments' code given.
function lanes(e: Scalar, args: Code[]): Code {
  if (e.op === "arg") return args[e.index];
  if (e.op === "num") return { code: splat(e.value), kind: "f" };
  const xs = e.args.map((a) => lanes(a, args));
  const op = e.op;
  if (op === "roundF32") return xs[0]; // lanes are float32 already
  if (arith[op]) return { code: [...xs.flatMap(toFloat), [arith[op]!]], kind: "f" };
  if (compare[op]) return { code: [...xs.flatMap(toFloat), [compare[op]!]], kind: "m" };
  if (op === "and" || op === "or")
    return { code: [...xs.flatMap(toMask), [`v128.${op}`]], kind: "m" };
  if (op === "not") return { code: [...toMask(xs[0]), ["v128.not"]], kind: "m" };
  if (op === "nonzero") return { code: toMask(xs[0]), kind: "m" };
  if (op === "select")
    // bitselect(a, b, c): a's bits where c's are set
    return {
      code: [...toFloat(xs[1]), ...toFloat(xs[2]), ...toMask(xs[0]), ["v128.bitselect"]],
      kind: "f",
    };
  throw new Unsupported(op);
}

// The epilogue of a float32 matmul plan, 2-D or batched ([batch, m, n]: the caller runs the tile
// code once per batch element, its loads and stores moved by their batch strides `bs`), as tile
// code, or undefined where it cannot be.
export function tileEpilogue(k: LoopKernel): { epi: TileEpilogue; io: EpilogueIO } | undefined {
  const call = k.kernel;
  const rank = k.sizes.length;
  if (call?.op !== "matmul" || (rank !== 2 && rank !== 3) || k.reduced || k.reductions.length)
    return undefined;
  const [m, n] = k.sizes.slice(-2) as number[];
  if (rank === 3 && typeof k.sizes[0] !== "number") return undefined;
  if (typeof m !== "number" || typeof n !== "number") return undefined;
  try {
    return build(k, m, n);
  } catch (e) {
    if (e instanceof Unsupported) return undefined;
    throw e;
  }
}

function strided(a: Access): { offset: number; rs: number; cs: number; bs: number } {
  const [rs, cs] = a.strides.slice(-2),
    bs = a.strides.length === 3 ? a.strides[0] : 0;
  const numbers = [a.offset, rs, cs, bs].every((x) => typeof x === "number");
  if (a.at || !numbers || (bs as number) < 0) throw new Unsupported("access");
  return { offset: a.offset as number, rs: rs as number, cs: cs as number, bs: bs as number };
}

function build(k: LoopKernel, m: number, n: number): { epi: TileEpilogue; io: EpilogueIO } {
  const accName = k.kernel!.acc;
  const invariant = invariants(k);
  const io: EpilogueIO = { loads: [], stores: [] };
  const locals: [string, ValType][] = [["$one", "v128"]];
  const setup: Instr[] = [["f32.const", 1], ["f32x4.splat"], set("$one")];
  const kinds = new Map<string, Kind>([[accName, "f"]]);
  // per temp: its code at tile element (r, h), given where that element is
  const perElement: { name: string; at: (r: number, h: number) => Instr[] }[] = [];
  const value = (name: string, r: number, h: number): Code => ({
    code: [get(name === accName ? acc(r, h) : invariant.has(name) ? `$v_${name}` : `$e_${name}`)],
    kind: kinds.get(name)!,
  });
  const tilePointers: Instr[] = [];
  for (const t of k.temps) {
    const e = t.expr;
    let kind: Kind = "f";
    let at: (r: number, h: number) => Instr[];
    if (e.kind === "load") {
      if (e.guard) throw new Unsupported("guard");
      const { offset, rs, cs, bs } = strided(e.access);
      if (rs < 0 || (cs !== 0 && cs !== 1) || offset < 0) throw new Unsupported("strides");
      const i = io.loads.length,
        span = (m - 1) * rs + (n - 1) * cs + 1;
      const slack = (MR - 1) * rs + NR + 4;
      io.loads.push({ buf: e.access.buf, offset, rs, cs, bs, span, slack });
      // the tile's corner in this load's region: l + (i0 * rs + j0 * cs) * 4
      if (!invariant.has(t.name))
        tilePointers.push(
          get(`$l${i}`),
          ...(rs && cs
            ? ([get("$i0"), i32(rs), ["i32.mul"], get("$j0"), ["i32.add"]] as Instr[])
            : rs
              ? ([get("$i0"), i32(rs), ["i32.mul"]] as Instr[])
              : [cs ? get("$j0") : i32(0)]),
          i32(2),
          ["i32.shl"],
          ["i32.add"],
          set(`$lp${i}`),
        );
      locals.push([`$lp${i}`, "i32"]);
      at = (r, h) =>
        invariant.has(t.name)
          ? [get(`$l${i}`), ["v128.load32_splat"]]
          : [
              get(`$lp${i}`),
              [cs ? "v128.load" : "v128.load32_splat", { offset: 4 * (r * rs + 4 * h * cs) }],
            ];
    } else if (e.kind === "num") {
      at = () => splat(e.value);
    } else if (e.kind === "apply") {
      if (e.dtype !== "float32" && e.dtype !== "bool") throw new Unsupported(e.dtype);
      const c = (r: number, h: number) =>
        lanes(
          e.scalar,
          e.args.map((a) => value(a, r, h)),
        );
      kind = c(0, 0).kind;
      at = (r, h) => c(r, h).code;
    } else throw new Unsupported(e.kind);
    kinds.set(t.name, kind);
    if (invariant.has(t.name)) {
      locals.push([`$v_${t.name}`, "v128"]);
      setup.push(...at(0, 0), set(`$v_${t.name}`));
    } else {
      locals.push([`$e_${t.name}`, "v128"]);
      perElement.push({ name: t.name, at });
    }
  }
  for (const s of k.stores) {
    if (s.access.buf === accName) throw new Unsupported("store");
    const { offset, rs, cs, bs } = strided(s.access);
    if (io.loads.some((l) => l.buf === s.access.buf)) throw new Unsupported("in place");
    io.stores.push({ buf: s.access.buf, offset, rs, cs, bs });
  }
  const stores = io.stores.map((_, i) => `$s${i}`);
  const tileCode = (whole: boolean): Instr[] => {
    const out: Instr[] = [...tilePointers];
    if (whole)
      stores.forEach((s, i) =>
        out.push(
          get(s),
          get("$i0"),
          get("$ldc"),
          ["i32.mul"],
          get("$j0"),
          ["i32.add"],
          i32(2),
          ["i32.shl"],
          ["i32.add"],
          set(`$sp${i}`),
        ),
      );
    for (const [r, h] of tile) {
      for (const p of perElement) out.push(...p.at(r, h), set(`$e_${p.name}`));
      k.stores.forEach((s, i) => {
        const v = toFloat(value(s.value, r, h));
        if (whole) out.push(get(`$sp${i}`), ...v, ["v128.store", { offset: 4 * (r * n + 4 * h) }]);
        else
          out.push(get("$t"), ...v, [
            "v128.store",
            { offset: 4 * ((i + 1) * MR * NR + r * NR + 4 * h) },
          ]);
      });
    }
    return out;
  };
  locals.push(...stores.map((_, i) => [`$sp${i}`, "i32"] as [string, ValType]));
  const epi: TileEpilogue = {
    params: [...io.loads.map((_, i) => `$l${i}`), ...stores],
    locals,
    setup,
    tile: tileCode,
    stores,
  };
  return { epi, io };
}
