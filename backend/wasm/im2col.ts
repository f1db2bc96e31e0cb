// The convolutions' data movement in WebAssembly (backend/js/im2col.ts's two loops, same
// arguments as byte addresses): packing one patch row into GEMM panels through a tap table, and
// col2im's scatter-add of one row of a transposed convolution's columns. In JavaScript these
// loops took most of a small CNN's training step (the digits CNN: 34% of its CPU profile against
// 7% for the GEMM itself).
import type { FuncSpec, Instr } from "./assembler";
import { bump, forLoop, get, i32, min, set } from "./instructions";

const i32s = (names: string[]) => names.map((n) => [n, "i32"] as [string, "i32"]);
// x * 4 on the stack
const times4: Instr[] = [i32(2), ["i32.shl"]];

// for (n < N) { for (q < Q) { o = tab[q]; dst[pb + jj] = o < 0 ? 0 : src[b + o]; jj += small;
// if (jj == wrap) { jj = 0; pb += big } } b += xn }   (addresses in bytes). The q loop runs in
// segments that end at a panel's edge or the row's end, four values an iteration while four are
// left: no edge test per value (with the tables expanded over the samples, conv.ts, the row is one
// long run, and this loop was most of a small CNN's im2col time).
export function gatherKernel(name: string): FuncSpec {
  // one value: table entry at t + 4 * u, stored at d, then d += small
  const element = (u: number): Instr[] => [
    get("$d"),
    get("$t"),
    ["i32.load", { offset: 4 * u }],
    set("$o"),
    // src[b + o] (o = -1 reads the float before b, which select drops)
    get("$b"),
    get("$o"),
    ...times4,
    ["i32.add"],
    ["f32.load"],
    ["f32.const", 0],
    get("$o"),
    i32(0),
    ["i32.ge_s"],
    ["select"],
    ["f32.store"],
    ...bump("$d", "$small"),
  ];
  const segment: Instr[] = [
    // seg = t + 4 * min((end - t) / 4, left)
    get("$t"),
    ...min([get("$end"), get("$t"), ["i32.sub"], i32(2), ["i32.shr_s"]], [get("$left")]),
    set("$cnt"),
    get("$cnt"),
    ...times4,
    ["i32.add"],
    set("$seg"),
    ["block", "$four_done"],
    ["loop", "$four_next"],
    get("$t"),
    i32(16),
    ["i32.add"],
    get("$seg"),
    ["i32.gt_s"],
    ["br_if", "$four_done"],
    ...element(0),
    ...element(1),
    ...element(2),
    ...element(3),
    ...bump("$t", 16),
    ["br", "$four_next"],
    ["end"],
    ["end"],
    ["block", "$one_done"],
    ["loop", "$one_next"],
    get("$t"),
    get("$seg"),
    ["i32.ge_s"],
    ["br_if", "$one_done"],
    ...element(0),
    ...bump("$t", 4),
    ["br", "$one_next"],
    ["end"],
    ["end"],
    // at a panel's edge: on to the next panel
    get("$left"),
    get("$cnt"),
    ["i32.sub"],
    set("$left"),
    get("$left"),
    ["i32.eqz"],
    ["if", "$wraps"],
    get("$per"),
    set("$left"),
    ...bump("$pb", "$big"),
    get("$pb"),
    set("$d"),
    ["end"],
  ];
  const row: Instr[] = [
    get("$tab"),
    set("$t"),
    ["loop", "$seg_next"],
    ...segment,
    get("$t"),
    get("$end"),
    ["i32.lt_u"],
    ["br_if", "$seg_next"],
    ["end"],
    ...bump("$b", "$xn"),
  ];
  return {
    name,
    params: i32s(["$src", "$xn", "$N", "$tab", "$Q", "$dst", "$per", "$small", "$big"]),
    results: [],
    locals: i32s(["$n", "$t", "$end", "$o", "$b", "$pb", "$d", "$left", "$cnt", "$seg"]),
    body: [
      // values left in the current panel (per = 0: never wraps)
      get("$per"),
      i32(0x7fffffff),
      get("$per"),
      ["select"],
      set("$left"),
      get("$dst"),
      set("$pb"),
      get("$dst"),
      set("$d"),
      get("$src"),
      set("$b"),
      get("$tab"),
      get("$Q"),
      ...times4,
      ["i32.add"],
      set("$end"),
      // Q = 0: nothing to do (the row loop runs its body at least once)
      get("$Q"),
      i32(0),
      ["i32.gt_s"],
      ["if", "$any"],
      ...forLoop("$n", [get("$N")], 1, row),
      ["end"],
    ],
  };
}

// for (n < N) { for (i < I) { o = tab[i]; if (o >= 0) out[b + o] += cols[s]; s++ } b += on }
// (pointers into the table and the columns, four values an iteration while four are left)
export function scatterKernel(name: string): FuncSpec {
  const element = (u: number): Instr[] => [
    get("$t"),
    ["i32.load", { offset: 4 * u }],
    set("$o"),
    get("$o"),
    i32(0),
    ["i32.ge_s"],
    ["if", `$inside${u}`],
    get("$b"),
    get("$o"),
    ...times4,
    ["i32.add"],
    set("$at"),
    get("$at"),
    get("$at"),
    ["f32.load"],
    get("$s"),
    ["f32.load", { offset: 4 * u }],
    ["f32.add"],
    ["f32.store"],
    ["end"],
  ];
  const row: Instr[] = [
    get("$tab"),
    set("$t"),
    ["block", "$four_done"],
    ["loop", "$four_next"],
    get("$t"),
    i32(16),
    ["i32.add"],
    get("$end"),
    ["i32.gt_s"],
    ["br_if", "$four_done"],
    ...element(0),
    ...element(1),
    ...element(2),
    ...element(3),
    ...bump("$t", 16),
    ...bump("$s", 16),
    ["br", "$four_next"],
    ["end"],
    ["end"],
    ["block", "$one_done"],
    ["loop", "$one_next"],
    get("$t"),
    get("$end"),
    ["i32.ge_s"],
    ["br_if", "$one_done"],
    ...element(0),
    ...bump("$t", 4),
    ...bump("$s", 4),
    ["br", "$one_next"],
    ["end"],
    ["end"],
    ...bump("$b", "$on"),
  ];
  return {
    name,
    params: i32s(["$cols", "$N", "$I", "$tab", "$out", "$on"]),
    results: [],
    locals: i32s(["$n", "$t", "$end", "$o", "$b", "$s", "$at"]),
    body: [
      get("$cols"),
      set("$s"),
      get("$out"),
      set("$b"),
      get("$tab"),
      get("$I"),
      ...times4,
      ["i32.add"],
      set("$end"),
      ...forLoop("$n", [get("$N")], 1, row),
    ],
  };
}

// A GEMM product in [o, (n, q)] order moved to the convolution's [n, o, q]: for o < rows, n < N,
// the Q floats at src + o * srs + n * ssn copied to dst + o * drs + n * dsn (bytes), four at a
// time while four are left. In JavaScript this copy was a tenth of the digits CNN's step.
export function blocksKernel(name: string): FuncSpec {
  const copy = (vector: boolean): Instr[] => [
    get("$d"),
    get("$s"),
    [vector ? "v128.load" : "f32.load"],
    [vector ? "v128.store" : "f32.store"],
    ...bump("$s", vector ? 16 : 4),
    ...bump("$d", vector ? 16 : 4),
  ];
  const block: Instr[] = [
    // s, d: this block's start; e4: where the last whole vector starts + 16; e: the end
    get("$src"),
    get("$o"),
    get("$srs"),
    ["i32.mul"],
    ["i32.add"],
    get("$n"),
    get("$ssn"),
    ["i32.mul"],
    ["i32.add"],
    set("$s"),
    get("$dst"),
    get("$o"),
    get("$drs"),
    ["i32.mul"],
    ["i32.add"],
    get("$n"),
    get("$dsn"),
    ["i32.mul"],
    ["i32.add"],
    set("$d"),
    get("$s"),
    get("$Q"),
    ...times4,
    ["i32.add"],
    set("$e"),
    get("$s"),
    get("$Q"),
    i32(-4),
    ["i32.and"],
    ...times4,
    ["i32.add"],
    set("$e4"),
    ["block", "$v_done"],
    ["loop", "$v_next"],
    get("$s"),
    get("$e4"),
    ["i32.ge_s"],
    ["br_if", "$v_done"],
    ...copy(true),
    ["br", "$v_next"],
    ["end"],
    ["end"],
    ["block", "$f_done"],
    ["loop", "$f_next"],
    get("$s"),
    get("$e"),
    ["i32.ge_s"],
    ["br_if", "$f_done"],
    ...copy(false),
    ["br", "$f_next"],
    ["end"],
    ["end"],
  ];
  return {
    name,
    params: i32s(["$src", "$srs", "$ssn", "$dst", "$drs", "$dsn", "$rows", "$N", "$Q"]),
    results: [],
    locals: i32s(["$o", "$n", "$s", "$d", "$e", "$e4"]),
    body: [...forLoop("$o", [get("$rows")], 1, forLoop("$n", [get("$N")], 1, block))],
  };
}

// Many rows in one call (a JS-to-Wasm call per row was most of a small convolution's glue): row
// i calls `row` with the three addresses at desc + 12 i (bytes) in the places `at` names among its
// parameters, and the shared ones as given.
export function rowsKernel(
  name: string,
  row: string,
  params: string[],
  at: [string, string, string],
): FuncSpec {
  const shared = params.filter((p) => !at.includes(p));
  return {
    name,
    params: i32s(["$desc", "$count", ...shared]),
    results: [],
    locals: i32s(["$i", "$d"]),
    body: [
      get("$desc"),
      set("$d"),
      ...forLoop("$i", [get("$count")], 1, [
        ...params.flatMap((p): Instr[] => {
          const k = at.indexOf(p);
          return k < 0 ? [get(p)] : [get("$d"), ["i32.load", { offset: 4 * k }]];
        }),
        ["call", `$${row}`],
        ...bump("$d", 12),
      ]),
    ],
  };
}
