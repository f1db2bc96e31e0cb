// Max pooling's window argmax in WebAssembly (used by pool.ts), four windows at a time in the
// lanes of f32x4 / i32x4 vectors: the comparison against the running maximum is a lane mask and a
// bitselect. (A scalar `select` here compiled to a branch the data decides: on random activations
// it ran 2.5x slower than on sorted ones.) Addresses in bytes.
import type { FuncSpec, Instr } from "./assembler";
import { bump, forLoop, get, i32, set } from "./instructions";
import { lanes } from "./pack";

const i32s = (names: string[]) => names.map((n) => [n, "i32"] as [string, "i32"]);
const v128s = (names: string[]) => names.map((n) => [n, "v128"] as [string, "v128"]);

// For each plane and each group of four windows: (at, best) over the taps. The table holds, per
// group and tap, the four windows' offsets (i32x4; -1 outside the input, or a window past the
// plane's last), so a tap's four values are four loads into the lanes of $v; an outside lane
// reads the float before its plane (there is one: the caller stages the input past a float of
// slack) and is masked off. Each group's four results are stored whole: a plane's last group may
// write up to three windows past its end, which the next plane's first group then overwrites
// (the caller leaves slack after the last).
export function argmaxKernel(name: string): FuncSpec {
  const lane = (l: number): Instr[] => [
    get("$v"),
    get("$addr"),
    ["i32x4.extract_lane", l],
    ["f32.load"],
    ["f32x4.replace_lane", l],
    set("$v"),
  ];
  // the tap's four values: one load where the windows' offsets are a run (stride-1 windows),
  // two and a shuffle of their even lanes where they step by 2 (stride-2 windows: 2x2 pooling),
  // else four lane loads (the table's kinds, pool.ts)
  const base: Instr[] = [
    get("$src"),
    get("$o"),
    ["i32x4.extract_lane", 0],
    i32(2),
    ["i32.shl"],
    ["i32.add"],
  ];
  const tap: Instr[] = [
    get("$t"),
    ["v128.load"],
    set("$o"),
    ...bump("$t", 16),
    get("$kp"),
    ["i32.load"],
    set("$kind"),
    ...bump("$kp", 4),
    ["block", "$loaded"],
    get("$kind"),
    i32(1),
    ["i32.eq"],
    ["if", "$run"],
    ...base,
    ["v128.load"],
    set("$v"),
    ["br", "$loaded"],
    ["end"],
    get("$kind"),
    i32(2),
    ["i32.eq"],
    ["if", "$every2"],
    ...base,
    set("$a"),
    get("$a"),
    ["v128.load"],
    get("$a"),
    ["v128.load", { offset: 16 }],
    ["i8x16.shuffle", lanes(0, 2, 4, 6)],
    set("$v"),
    ["br", "$loaded"],
    ["end"],
    // addr = src + 4 * o
    get("$o"),
    i32(2),
    ["i32x4.shl"],
    get("$src"),
    ["i32x4.splat"],
    ["i32x4.add"],
    set("$addr"),
    ...[0, 1, 2, 3].flatMap(lane),
    ["end"],
    // take = inside & (v > best | v != v | at < 0): the first maximum, or the last NaN
    get("$v"),
    get("$best"),
    ["f32x4.gt"],
    get("$v"),
    get("$v"),
    ["f32x4.ne"],
    ["v128.or"],
    get("$at"),
    get("$zero"),
    ["i32x4.lt_s"],
    ["v128.or"],
    get("$o"),
    get("$none"),
    ["i32x4.gt_s"],
    ["v128.and"],
    set("$take"),
    get("$v"),
    get("$best"),
    get("$take"),
    ["v128.bitselect"],
    set("$best"),
    get("$o"),
    get("$at"),
    get("$take"),
    ["v128.bitselect"],
    set("$at"),
  ];
  const group: Instr[] = [
    get("$lowest"),
    set("$best"),
    get("$none"),
    set("$at"),
    // the taps: pointers into the table and its kinds, tested at the loop's end (taps >= 1)
    get("$t"),
    get("$taps"),
    i32(4),
    ["i32.shl"],
    ["i32.add"],
    set("$end"),
    ["loop", "$tap_next"],
    ...tap,
    get("$t"),
    get("$end"),
    ["i32.lt_u"],
    ["br_if", "$tap_next"],
    ["end"],
    get("$ao"),
    get("$at"),
    ["v128.store"],
    get("$bo"),
    get("$best"),
    ["v128.store"],
    ...bump("$ao", 16),
    ...bump("$bo", 16),
  ];
  return {
    name,
    params: i32s([
      "$src",
      "$planes",
      "$plane",
      "$tab",
      "$groups",
      "$taps",
      "$atOut",
      "$bestOut",
      "$outs",
      "$kinds",
    ]),
    results: [],
    locals: [
      ...i32s(["$p", "$j", "$end", "$t", "$ao", "$bo", "$kp", "$kind", "$a"]),
      ...v128s(["$o", "$addr", "$v", "$take", "$best", "$at", "$zero", "$none", "$lowest"]),
    ],
    body: [
      i32(0),
      ["i32x4.splat"],
      set("$zero"),
      i32(-1),
      ["i32x4.splat"],
      set("$none"),
      ["f32.const", -Infinity],
      ["f32x4.splat"],
      set("$lowest"),
      ...forLoop("$p", [get("$planes")], 1, [
        get("$tab"),
        set("$t"),
        get("$kinds"),
        set("$kp"),
        get("$atOut"),
        set("$ao"),
        get("$bestOut"),
        set("$bo"),
        ...forLoop("$j", [get("$groups")], 1, group),
        ...bump("$src", "$plane"),
        ...bump("$atOut", "$outs"),
        ...bump("$bestOut", "$outs"),
      ]),
    ],
  };
}

// The backward: for each plane and window j, out[at] += g[j] where the argmax at >= 0 (windows in
// order, so overlapping windows add in the order the JS loop adds them: the same float32 sums).
// `at` and g are [planes, windows] (4-byte elements), out [planes, plane] (bytes per plane).
export function argmaxAddKernel(name: string): FuncSpec {
  const window: Instr[] = [
    get("$a"),
    ["i32.load"],
    set("$o"),
    get("$o"),
    i32(0),
    ["i32.ge_s"],
    ["if", "$inside"],
    get("$out"),
    get("$o"),
    i32(2),
    ["i32.shl"],
    ["i32.add"],
    set("$to"),
    get("$to"),
    get("$to"),
    ["f32.load"],
    get("$g"),
    ["f32.load"],
    ["f32.add"],
    ["f32.store"],
    ["end"],
    ...bump("$a", 4),
    ...bump("$g", 4),
  ];
  return {
    name,
    params: i32s(["$a", "$g", "$planes", "$windows", "$out", "$plane"]),
    results: [],
    locals: i32s(["$p", "$j", "$o", "$to"]),
    body: forLoop("$p", [get("$planes")], 1, [
      ...forLoop("$j", [get("$windows")], 1, window),
      ...bump("$out", "$plane"),
    ]),
  };
}
