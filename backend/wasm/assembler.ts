// A small WebAssembly assembler: functions written as WAT-like instruction lists (`["i32.add"]`,
// `["local.get", "$i"]`, `["v128.load", { offset: 16 }]`), encoded to the binary format (LEB128
// numbers, sections) and printed back as a readable listing for explain(). Only the instructions
// the kernels use are in the table; a missing one is an internal error, never a silent byte.

export type ValType = "i32" | "i64" | "f32" | "f64" | "v128";
const valType: Record<ValType, number> = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: 0x7b };

// What follows an opcode: a local or label name, a constant, a memory argument, a block type,
// a lane index, or nothing.
type Imm =
  | "none"
  | "local"
  | "label"
  | "i32"
  | "f32"
  | "f64"
  | "mem"
  | "block"
  | "lane"
  | "func"
  | "v128" // 16 bytes: a constant's lanes, or a shuffle's lane indices
  | "shuffle";
interface OpInfo {
  code: number[]; // the opcode's bytes (SIMD ops: 0xfd then the LEB128 of the sub-opcode)
  imm: Imm;
  align?: number; // natural alignment (log2 bytes) of a memory access
}

const plain = (code: number, imm: Imm = "none", align?: number): OpInfo => ({
  code: [code],
  imm,
  align,
});
const simd = (sub: number, imm: Imm = "none", align?: number): OpInfo => ({
  code: [0xfd, ...uleb(sub)],
  imm,
  align,
});

const table: Record<string, OpInfo> = Object.assign(Object.create(null), {
  unreachable: plain(0x00),
  block: plain(0x02, "block"),
  loop: plain(0x03, "block"),
  if: plain(0x04, "block"),
  else: plain(0x05),
  end: plain(0x0b),
  br: plain(0x0c, "label"),
  br_if: plain(0x0d, "label"),
  return: plain(0x0f),
  call: plain(0x10, "func"),
  drop: plain(0x1a),
  select: plain(0x1b),
  "local.get": plain(0x20, "local"),
  "local.set": plain(0x21, "local"),
  "local.tee": plain(0x22, "local"),
  "i32.load": plain(0x28, "mem", 2),
  "f32.load": plain(0x2a, "mem", 2),
  "f64.load": plain(0x2b, "mem", 3),
  "i32.store": plain(0x36, "mem", 2),
  "f32.store": plain(0x38, "mem", 2),
  "f64.store": plain(0x39, "mem", 3),
  "i32.const": plain(0x41, "i32"),
  "f32.const": plain(0x43, "f32"),
  "f64.const": plain(0x44, "f64"),
  "i32.eqz": plain(0x45),
  "i32.eq": plain(0x46),
  "i32.ne": plain(0x47),
  "i32.lt_s": plain(0x48),
  "i32.lt_u": plain(0x49),
  "i32.gt_s": plain(0x4a),
  "i32.le_s": plain(0x4c),
  "i32.ge_s": plain(0x4e),
  "i32.ge_u": plain(0x4f),
  "f32.ne": plain(0x5c),
  "f32.lt": plain(0x5d),
  "f32.gt": plain(0x5e),
  "i32.add": plain(0x6a),
  "i32.sub": plain(0x6b),
  "i32.mul": plain(0x6c),
  "i32.and": plain(0x71),
  "i32.or": plain(0x72),
  "i32.shl": plain(0x74),
  "i32.shr_s": plain(0x75),
  "f32.abs": plain(0x8b),
  "f32.neg": plain(0x8c),
  "f32.sqrt": plain(0x91),
  "f32.add": plain(0x92),
  "f32.sub": plain(0x93),
  "f32.mul": plain(0x94),
  "f32.div": plain(0x95),
  "f32.min": plain(0x96),
  "f32.max": plain(0x97),
  "f64.add": plain(0xa0),
  "f64.sub": plain(0xa1),
  "f64.mul": plain(0xa2),
  "f32.convert_i32_s": plain(0xb2),
  "f32.demote_f64": plain(0xb6),
  "f64.promote_f32": plain(0xbb),
  "v128.load": simd(0x00, "mem", 4),
  "v128.load32_splat": simd(0x09, "mem", 2),
  "v128.store": simd(0x0b, "mem", 4),
  "v128.const": simd(0x0c, "v128"),
  "i8x16.shuffle": simd(0x0d, "shuffle"),
  "i32x4.splat": simd(0x11),
  "f32x4.splat": simd(0x13),
  "i32x4.extract_lane": simd(0x1b, "lane"),
  "f32x4.extract_lane": simd(0x1f, "lane"),
  "f32x4.replace_lane": simd(0x20, "lane"),
  "f64x2.extract_lane": simd(0x21, "lane"),
  "i32x4.eq": simd(0x37),
  "i32x4.lt_s": simd(0x39),
  "i32x4.gt_s": simd(0x3b),
  "f32x4.eq": simd(0x41),
  "f32x4.ne": simd(0x42),
  "f32x4.lt": simd(0x43),
  "f32x4.gt": simd(0x44),
  "f32x4.le": simd(0x45),
  "f32x4.ge": simd(0x46),
  "v128.not": simd(0x4d),
  "v128.and": simd(0x4e),
  "v128.andnot": simd(0x4f),
  "v128.or": simd(0x50),
  "v128.xor": simd(0x51),
  "v128.bitselect": simd(0x52),
  "i32x4.all_true": simd(0xa3),
  "i32x4.shl": simd(0xab),
  "i32x4.shr_s": simd(0xac),
  "i32x4.shr_u": simd(0xad),
  "i32x4.add": simd(0xae),
  "i32x4.sub": simd(0xb1),
  "f32x4.abs": simd(0xe0),
  "f32x4.neg": simd(0xe1),
  "f32x4.sqrt": simd(0xe3),
  "f32x4.add": simd(0xe4),
  "f32x4.sub": simd(0xe5),
  "f32x4.mul": simd(0xe6),
  "f32x4.div": simd(0xe7),
  "f32x4.min": simd(0xe8),
  "f32x4.max": simd(0xe9),
  "f32x4.pmin": simd(0xea), // b < a ? b : a (one minps on x64; min/max handle NaN and -0)
  "f32x4.pmax": simd(0xeb), // a < b ? b : a
  "f64x2.promote_low_f32x4": simd(0x5f),
  "f32x4.ceil": simd(0x67),
  "f32x4.floor": simd(0x68),
  "f32x4.trunc": simd(0x69),
  "f32x4.nearest": simd(0x6a),
  "i32x4.trunc_sat_f32x4_s": simd(0xf8),
  "f32x4.convert_i32x4_s": simd(0xfa),
  "f64x2.add": simd(0xf0),
});

// One instruction: its mnemonic, then its immediate (a name for locals and labels, a number for
// constants and lanes, a memory offset, a block's result type) where it has one.
export type MemArg = { offset?: number; align?: number };
// a v128 constant by its lanes (f32x4: four floats, i32x4: four 32-bit patterns), or a shuffle's
// sixteen byte indices
export type V128 = { f32x4: number[] } | { i32x4: number[] } | { i8x16: number[] };
export type Instr = [string, (string | number | MemArg | V128)?];

export interface FuncSpec {
  name: string; // exported under this name
  params: [string, ValType][]; // names start with "$"
  results: ValType[];
  locals: [string, ValType][];
  body: Instr[];
}

// ---- binary encoding ----
export function uleb(n: number): number[] {
  if (!Number.isInteger(n) || n < 0) throw new Error(`internal: uleb(${n})`);
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return out;
}
export function sleb(n: number): number[] {
  if (!Number.isInteger(n) || n < -(2 ** 31) || n >= 2 ** 32)
    throw new Error(`internal: sleb(${n})`);
  n |= 0; // an i32 constant: bit patterns >= 2^31 are the negative numbers they encode
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    const done = (n === 0 && !(byte & 0x40)) || (n === -1 && byte & 0x40);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}
const bytesOf = (a: Float32Array | Float64Array) => [...new Uint8Array(a.buffer)];
// names are compiler-made ASCII, so their UTF-8 is their char codes
const utf8 = (s: string) =>
  [...s].map((c) => {
    if (c.charCodeAt(0) > 0x7e) throw new Error("internal: a Wasm name must be ASCII");
    return c.charCodeAt(0);
  });
const vec = (items: number[][]) => [...uleb(items.length), ...items.flat()];
const section = (id: number, content: number[]) => [id, ...uleb(content.length), ...content];

function encodeBody(f: FuncSpec, funcs: Map<string, number>): number[] {
  const locals = new Map<string, number>();
  for (const [n] of [...f.params, ...f.locals]) {
    if (locals.has(n)) throw new Error(`internal: local ${n} declared twice in ${f.name}`);
    locals.set(n, locals.size);
  }
  const labels: (string | undefined)[] = []; // the open blocks, innermost last
  const code: number[] = [];
  for (const [op, imm] of f.body) {
    const info = table[op];
    if (!info) throw new Error(`internal: no opcode ${op}`);
    code.push(...info.code);
    const need = (ok: boolean) => {
      if (!ok) throw new Error(`internal: ${op} in ${f.name} has a bad immediate`);
    };
    switch (info.imm) {
      case "local":
        need(typeof imm === "string" && locals.has(imm));
        code.push(...uleb(locals.get(imm as string)!));
        break;
      case "label": {
        const depth = labels.length - 1 - labels.lastIndexOf(imm as string);
        need(typeof imm === "string" && depth < labels.length);
        code.push(...uleb(depth));
        break;
      }
      case "func":
        need(typeof imm === "string" && funcs.has(imm));
        code.push(...uleb(funcs.get(imm as string)!));
        break;
      case "i32":
        need(typeof imm === "number");
        code.push(...sleb(imm as number));
        break;
      case "f32":
      case "f64":
        need(typeof imm === "number");
        code.push(
          ...bytesOf(
            info.imm === "f32" ? Float32Array.of(imm as number) : Float64Array.of(imm as number),
          ),
        );
        break;
      case "lane":
        need(typeof imm === "number" && imm >= 0 && imm < 16);
        code.push(imm as number);
        break;
      case "v128":
      case "shuffle": {
        const bytes = v128Bytes(imm);
        need(bytes !== undefined && (info.imm === "v128" || "i8x16" in (imm as V128)));
        code.push(...bytes!);
        break;
      }
      case "mem": {
        const m = (imm ?? {}) as MemArg;
        need(typeof m === "object");
        code.push(...uleb(Math.min(m.align ?? info.align!, info.align!)), ...uleb(m.offset ?? 0));
        break;
      }
      case "block":
        // a label name (or none); blocks here produce no value
        need(imm === undefined || typeof imm === "string");
        labels.push(imm as string | undefined);
        code.push(0x40);
        break;
      default:
        need(imm === undefined);
    }
    if (op === "end") labels.pop();
  }
  if (labels.length) throw new Error(`internal: ${f.name} leaves ${labels.length} blocks open`);
  code.push(0x0b);
  // locals in runs of one type
  const runs: number[][] = [];
  for (const [, t] of f.locals) {
    const last = runs.at(-1);
    if (last && last[1] === valType[t]) last[0]++;
    else runs.push([1, valType[t]]);
  }
  const body = [...vec(runs.map(([n, t]) => [...uleb(n), t])), ...code];
  return [...uleb(body.length), ...body];
}

function v128Bytes(imm: Instr[1]): number[] | undefined {
  if (typeof imm !== "object") return undefined;
  if ("f32x4" in imm && imm.f32x4.length === 4) return bytesOf(Float32Array.from(imm.f32x4));
  if ("i32x4" in imm && imm.i32x4.length === 4)
    return [...new Uint8Array(Int32Array.from(imm.i32x4).buffer)];
  if ("i8x16" in imm && imm.i8x16.length === 16 && imm.i8x16.every((b) => b >= 0 && b < 32))
    return imm.i8x16;
  return undefined;
}

// A module importing its memory as env.memory (owned by JS, so JS grows it and views it) and
// exporting each function under its name.
export function assemble(funcs: FuncSpec[]): Uint8Array<ArrayBuffer> {
  const sig = (f: FuncSpec) => [
    0x60,
    ...vec(f.params.map(([, t]) => [valType[t]])),
    ...vec(f.results.map((t) => [valType[t]])),
  ];
  const types: string[] = [];
  const typeOf = funcs.map((f) => {
    const key = sig(f).join(",");
    if (!types.includes(key)) types.push(key);
    return types.indexOf(key);
  });
  const index = new Map(funcs.map((f, i) => [`$${f.name}`, i]));
  const bytes = [
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec(types.map((t) => t.split(",").map(Number)))),
    // one import: memory env.memory, limits { min 1 page, no max }
    ...section(2, vec([[...name("env"), ...name("memory"), 0x02, 0x00, 0x01]])),
    ...section(3, vec(typeOf.map((t) => uleb(t)))),
    ...section(7, vec(funcs.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]))),
    ...section(10, vec(funcs.map((f) => encodeBody(f, index)))),
  ];
  return new Uint8Array(bytes);
}
const name = (s: string) => [...uleb(utf8(s).length), ...utf8(s)];

// ---- the listing ----
export function listing(funcs: FuncSpec[]): string {
  const lines = ["(module", '  (import "env" "memory" (memory 1))'];
  for (const f of funcs) {
    const params = f.params.map(([n, t]) => ` (param ${n} ${t})`).join("");
    const results = f.results.map((t) => ` (result ${t})`).join("");
    lines.push(`  (func $${f.name} (export "${f.name}")${params}${results}`);
    // locals several to a line (a kernel may have hundreds)
    let row = "";
    for (const [n, t] of f.locals) {
      const decl = `(local ${n} ${t})`;
      if (row && row.length + decl.length > 96) {
        lines.push(`    ${row}`);
        row = "";
      }
      row = row ? `${row} ${decl}` : decl;
    }
    if (row) lines.push(`    ${row}`);
    // one line per statement: the instructions up to one that leaves the stack empty
    let depth = 2,
      line: string[] = [];
    for (const [op, imm] of f.body) {
      const opens = op === "block" || op === "loop" || op === "if" || op === "else";
      if (op === "end" || op === "else") depth--;
      line.push(`${op}${immText(imm)}`);
      if (opens || op === "end" || statementEnd.has(op) || op.endsWith("store")) {
        lines.push(`${"  ".repeat(depth)}${line.join(" ")}`);
        line = [];
      }
      if (opens) depth++;
    }
    if (line.length) lines.push(`${"  ".repeat(depth)}${line.join(" ")}`);
    lines.push("  )");
  }
  lines.push(")");
  return lines.join("\n");
}
// four equal lanes print once
const lanes = (xs: string[]) => (xs.every((x) => x === xs[0]) ? `${xs[0]} x4` : xs.join(" "));
const statementEnd = new Set(["local.set", "br", "br_if", "drop", "return", "call"]);
function immText(imm: Instr[1]): string {
  if (imm === undefined) return "";
  if (typeof imm !== "object") return ` ${imm}`;
  if ("f32x4" in imm)
    return ` f32x4 ${lanes(imm.f32x4.map((x) => (Object.is(x, -0) ? "-0" : String(Math.fround(x)))))}`;
  if ("i32x4" in imm) return ` i32x4 ${lanes(imm.i32x4.map((x) => `0x${(x >>> 0).toString(16)}`))}`;
  if ("i8x16" in imm) return ` ${imm.i8x16.join(" ")}`;
  return (
    (imm.offset ? ` offset=${imm.offset}` : "") +
    (imm.align !== undefined ? ` align=${2 ** imm.align}` : "")
  );
}
