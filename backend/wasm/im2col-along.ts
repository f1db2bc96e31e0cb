// The along-k im2col kernel's rows (im2col.ts gatherKernel with panel = false: the weight
// gradient's panels, each k step a row of `w` lanes), four rows at a time where it can.
import type { Instr } from "./assembler";
import { bump, forLoop, get, i32, set, times4 } from "./instructions";
import { storeTransposed4x4 } from "./pack";
import { tapValueOrZero } from "./tap-walk";

// An along-k kernel's rows: four at a time where they are four lanes of one panel, else one by
// one. A group walks its four rows' quads together (with quad tables: $qt not 0): where all four
// are runs, four f32x4 loads (one per row, four k steps each) transposed with shuffles into four
// stores of one k step's four lanes each, in place of sixteen lane stores; elsewhere, and over
// whole rows without quad tables (layouts with few runs, where testing quads costs more than it
// saves), value by value through the tap tables.
export function alongRows(patchRow: Instr[], nextRow: Instr[]): Instr[] {
  const rows4 = [0, 1, 2, 3];
  // the group's rows as they are now (row i of the group in $gs_i, $gt_i, $gq_i), four rows on
  const capture: Instr[] = rows4.flatMap((i): Instr[] => [
    get("$srow"),
    set(`$gs${i}`),
    get("$tr"),
    set(`$gt${i}`),
    get("$qr"),
    set(`$gq${i}`),
    ...nextRow,
  ]);
  // one entry (byte offset $e into each row's tap table) of the four rows, value by value
  const entry: Instr[] = [
    ...rows4.flatMap((i): Instr[] => [
      get(`$gt${i}`),
      get("$e"),
      ["i32.add"],
      ["i32.load"],
      set("$o"),
      get("$pj"),
      ...tapValueOrZero([get(`$gs${i}`), get("$bn"), ["i32.add"]]),
      ["f32.store", { offset: 4 * i }],
    ]),
    ...bump("$pj", "$small"),
    ...bump("$e", 4),
  ];
  const entries = (until: Instr[]): Instr[] => [
    ...until,
    set("$eEnd"),
    ["block", "$entries_done"],
    ["loop", "$entry_next"],
    get("$e"),
    get("$eEnd"),
    ["i32.ge_u"],
    ["br_if", "$entries_done"],
    ...entry,
    ["br", "$entry_next"],
    ["end"],
    ["end"],
  ];
  const quad: Instr[] = [
    // the four rows' quads at byte $k of their quad tables: all runs when none is negative
    ...rows4.flatMap((i): Instr[] => [get(`$gq${i}`), get("$k"), ["i32.add"], ["i32.load"]]),
    ["i32.or"],
    ["i32.or"],
    ["i32.or"],
    i32(0),
    ["i32.ge_s"],
    ["if", "$runs"],
    ...rows4.flatMap((i): Instr[] => [
      get(`$gs${i}`),
      get("$bn"),
      ["i32.add"],
      get(`$gq${i}`),
      get("$k"),
      ["i32.add"],
      ["i32.load"],
      ...times4,
      ["i32.add"],
      ["v128.load"],
      set(`$x${i}`),
    ]),
    get("$pj"),
    set("$d"),
    ...storeTransposed4x4("$small"),
    get("$d"),
    set("$pj"),
    ...bump("$e", 16),
    ["else"],
    ...entries([get("$e"), i32(16), ["i32.add"]]),
    ["end"],
    ...bump("$k", 4),
  ];
  const group: Instr[] = [
    get("$drow"),
    set("$pj"),
    ...capture,
    i32(0),
    set("$bn"),
    ...forLoop("$n", [get("$N")], 1, [
      i32(0),
      set("$e"),
      i32(0),
      set("$k"),
      ...forLoop("$kq", [get("$gqn")], 1, quad),
      ...entries([get("$qb")]),
      ...bump("$bn", "$xn"),
    ]),
    ...bump("$r", 4),
  ];
  // a group: rows one lane apart, lane % 4 = 0, four rows left in the block and in the panel
  const grouped: Instr[] = [
    get("$rowStep"),
    i32(4),
    ["i32.eq"],
    get("$lane"),
    i32(3),
    ["i32.and"],
    ["i32.eqz"],
    ["i32.and"],
    get("$rows"),
    get("$r"),
    ["i32.sub"],
    i32(4),
    ["i32.ge_s"],
    ["i32.and"],
    get("$w"),
    get("$lane"),
    ["i32.sub"],
    i32(4),
    ["i32.ge_s"],
    ["i32.and"],
  ];
  return [
    // the quads a group's rows walk: none without quad tables
    get("$qn"),
    i32(0),
    get("$qt"),
    ["select"],
    set("$gqn"),
    i32(0),
    set("$r"),
    ["block", "$rows_done"],
    ["loop", "$rows_next"],
    get("$r"),
    get("$rows"),
    ["i32.ge_s"],
    ["br_if", "$rows_done"],
    ...grouped,
    ["if", "$group"],
    ...group,
    ["else"],
    ...patchRow,
    ...bump("$r", 1),
    ["end"],
    ["br", "$rows_next"],
    ["end"],
    ["end"],
  ];
}
// the along kernels' group locals
export const alongLocals: [string, "i32" | "v128"][] = [
  ...["$gs", "$gt", "$gq"].flatMap((g) =>
    [0, 1, 2, 3].map((i) => [`${g}${i}`, "i32"] as [string, "i32"]),
  ),
  ...["$pj", "$bn", "$e", "$eEnd", "$k", "$kq", "$gqn", "$d"].map(
    (n) => [n, "i32"] as [string, "i32"],
  ),
  ...["$x0", "$x1", "$x2", "$x3", "$y0", "$y1", "$y2", "$y3"].map(
    (n) => [n, "v128"] as [string, "v128"],
  ),
];
