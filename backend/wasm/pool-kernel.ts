// Max pooling's window argmax in WebAssembly (used by pool.ts): the comparison against the running
// maximum is a `select`, not a branch the data decides. Addresses in bytes.
import type { FuncSpec, Instr } from "./assembler";
import { bump, forLoop, get, i32, set } from "./instructions";

const i32s = (names: string[]) => names.map((n) => [n, "i32"] as [string, "i32"]);

// for each plane, each window j: (at, best) over its taps
export function argmaxKernel(name: string): FuncSpec {
  const tap: Instr[] = [
    get("$t"),
    ["i32.load"],
    set("$o"),
    ...bump("$t", 4),
    get("$o"),
    i32(0),
    ["i32.ge_s"],
    ["if", "$inside"],
    get("$src"),
    get("$o"),
    i32(2),
    ["i32.shl"],
    ["i32.add"],
    ["f32.load"],
    set("$v"),
    // take = v > best | at < 0 | v != v
    get("$v"),
    get("$best"),
    ["f32.gt"],
    get("$at"),
    i32(0),
    ["i32.lt_s"],
    ["i32.or"],
    get("$v"),
    get("$v"),
    ["f32.ne"],
    ["i32.or"],
    set("$take"),
    get("$v"),
    get("$best"),
    get("$take"),
    ["select"],
    set("$best"),
    get("$o"),
    get("$at"),
    get("$take"),
    ["select"],
    set("$at"),
    ["end"],
  ];
  const window: Instr[] = [
    ["f32.const", -Infinity],
    set("$best"),
    i32(-1),
    set("$at"),
    // the taps: a pointer into the table, tested at the loop's end (taps >= 1)
    get("$t"),
    get("$taps"),
    i32(2),
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
    get("$atOut"),
    get("$at"),
    ["i32.store"],
    get("$bestOut"),
    get("$best"),
    ["f32.store"],
    ...bump("$atOut", 4),
    ...bump("$bestOut", 4),
  ];
  return {
    name,
    params: i32s(["$src", "$planes", "$plane", "$tab", "$windows", "$taps", "$atOut", "$bestOut"]),
    results: [],
    locals: [
      ...i32s(["$p", "$j", "$end", "$t", "$o", "$at", "$take"]),
      ["$v", "f32"],
      ["$best", "f32"],
    ],
    body: forLoop("$p", [get("$planes")], 1, [
      get("$tab"),
      set("$t"),
      ...forLoop("$j", [get("$windows")], 1, window),
      ...bump("$src", "$plane"),
    ]),
  };
}
