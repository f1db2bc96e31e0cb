// The convolutions' data movement in WebAssembly (backend/js/im2col.ts's two loops, same
// arguments as byte addresses): packing one patch row into GEMM panels through a tap table, and
// col2im's scatter-add of one row of a transposed convolution's columns. In JavaScript these
// loops took most of a small CNN's training step (the digits CNN: 34% of its CPU profile against
// 7% for the GEMM itself).
import type { FuncSpec, Instr } from "./assembler";
import { bump, forLoop, get, i32, set } from "./instructions";
import { storeTransposed4x4 } from "./pack";

const i32s = (names: string[]) => names.map((n) => [n, "i32"] as [string, "i32"]);
// x * 4 on the stack
const times4: Instr[] = [i32(2), ["i32.shl"]];

// for (n < N) { for (q < Q) { o = tab[q]; dst[pb + jj] = o < 0 ? 0 : src[b + o]; jj += small;
// if (jj == wrap) { jj = 0; pb += big } } b += xn }   (addresses in bytes), for each of `rows`
// patch rows (im2col.ts gatherBlock).
// With a quad table (`$qt` not 0: quadTable below, staged beside the tap table) the q loop goes
// four entries at a time: a quad that is a run of the source (every tap of a stride-1 convolution
// away from the borders) is one f32x4 load, a quad of -1s (padding) zeros, and only the others go
// value by value through the tap table. `panel` kernels store a quad with one v128 store (dst
// contiguous: small = 4 bytes, quads starting 16-byte slots of the panel rows: the caller checks),
// the others with four lane stores (per = 0: down a panel along k). The copies are exact, so
// every path gives the same bits. (The table-driven scalar loop was a quarter of LeNet's step.)
export function gatherKernel(name: string, panel: boolean): FuncSpec {
  const element: Instr[] = [
    get("$t"),
    ["i32.load"],
    set("$o"),
    ...bump("$t", 4),
    get("$pb"),
    get("$jj"),
    ["i32.add"],
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
    ...advance("$small"),
  ];
  // the quad's four values (in $v) to the destination
  const storeQuad: Instr[] = panel
    ? [get("$pb"), get("$jj"), ["i32.add"], get("$v"), ["v128.store"]]
    : [0, 1, 2, 3].flatMap((l): Instr[] => [
        get("$pb"),
        get("$jj"),
        ["i32.add"],
        ...(l ? [get("$small"), i32(l), ["i32.mul"] as Instr, ["i32.add"] as Instr] : []),
        get("$v"),
        ["f32x4.extract_lane", l],
        ["f32.store"],
      ]);
  const quads: Instr[] = [
    get("$qr"),
    set("$qp"),
    get("$qr"),
    get("$qn"),
    ...times4,
    ["i32.add"],
    set("$qend"),
    ["block", "$quads_done"],
    ["loop", "$quad_next"],
    get("$qp"),
    get("$qend"),
    ["i32.ge_u"],
    ["br_if", "$quads_done"],
    get("$qp"),
    ["i32.load"],
    set("$o"),
    ...bump("$qp", 4),
    ["block", "$handled"],
    ["block", "$by_one"],
    get("$o"),
    i32(-1),
    ["i32.lt_s"],
    ["br_if", "$by_one"],
    get("$o"),
    i32(0),
    ["i32.ge_s"],
    ["if", "$run"],
    get("$b"),
    get("$o"),
    ...times4,
    ["i32.add"],
    ["v128.load"],
    set("$v"),
    ["else"],
    get("$zero"),
    set("$v"),
    ["end"],
    ...storeQuad,
    ...bump("$t", 16),
    ...advance("$quad"),
    ["br", "$handled"],
    ["end"],
    ...element,
    ...element,
    ...element,
    ...element,
    ["end"],
    ["br", "$quad_next"],
    ["end"],
    ["end"],
  ];
  const row: Instr[] = [
    get("$tr"),
    set("$t"),
    get("$qt"),
    ["if", "$has_quads"],
    ...quads,
    ["end"],
    // the rest one by one
    ["block", "$rest_done"],
    ["loop", "$rest_next"],
    get("$t"),
    get("$end"),
    ["i32.ge_u"],
    ["br_if", "$rest_done"],
    ...element,
    ["br", "$rest_next"],
    ["end"],
    ["end"],
    ...bump("$b", "$xn"),
    // aligned: the next sample starts a panel of its own
    get("$align"),
    get("$jj"),
    i32(0),
    ["i32.ne"],
    ["i32.and"],
    ["if", "$realign"],
    i32(0),
    set("$jj"),
    ...bump("$pb", "$big"),
    ["end"],
  ];
  // on to the next row: its tap, channel and place in the panels
  const nextRow: Instr[] = [
    ...bump("$tr", "$qb"),
    get("$qr"),
    get("$qn"),
    ...times4,
    ["i32.add"],
    set("$qr"),
    ...bump("$tap", 1),
    get("$tap"),
    get("$T"),
    ["i32.eq"],
    ["if", "$channel"],
    i32(0),
    set("$tap"),
    get("$tab"),
    set("$tr"),
    get("$qt"),
    set("$qr"),
    ...bump("$srow", "$xc"),
    ["end"],
    ...bump("$drow", "$rowStep"),
    ...bump("$lane", 1),
    get("$lane"),
    get("$w"),
    ["i32.eq"],
    ["if", "$panel"],
    i32(0),
    set("$lane"),
    ...bump("$dpanel", "$panelStep"),
    get("$dpanel"),
    set("$drow"),
    ["end"],
  ];
  // one patch row r: tap r % T of channel r / T, to dst row r (see gatherBlock in im2col.ts)
  const patchRow: Instr[] = [
    get("$drow"),
    set("$pb"),
    i32(0),
    set("$jj"),
    get("$srow"),
    set("$b"),
    get("$tr"),
    get("$Q"),
    ...times4,
    ["i32.add"],
    set("$end"),
    ...forLoop("$n", [get("$N")], 1, row),
    ...nextRow,
  ];
  return {
    name,
    params: i32s([
      "$src",
      "$xn",
      "$N",
      "$tab",
      "$Q",
      "$dst",
      "$per",
      "$small",
      "$big",
      "$rows",
      "$T",
      "$xc",
      "$w",
      "$rowStep",
      "$panelStep",
      "$align",
      "$qt",
    ]),
    results: [],
    locals: [
      ...i32s(["$n", "$t", "$end", "$o", "$b", "$pb", "$jj", "$wrap", "$quad"]),
      ...i32s(["$r", "$tap", "$tr", "$qb", "$srow", "$drow", "$dpanel", "$lane"]),
      ...i32s(["$qn", "$qr", "$qp", "$qend"]),
      ["$v", "v128"],
      ["$zero", "v128"],
      ...(panel ? [] : alongLocals),
    ],
    body: [
      get("$per"),
      get("$small"),
      ["i32.mul"],
      set("$wrap"),
      get("$small"),
      i32(2),
      ["i32.shl"],
      set("$quad"),
      i32(0),
      ["i32x4.splat"],
      set("$zero"),
      get("$Q"),
      ...times4,
      set("$qb"),
      get("$Q"),
      i32(2),
      ["i32.shr_s"],
      set("$qn"),
      get("$tab"),
      set("$tr"),
      get("$qt"),
      set("$qr"),
      get("$src"),
      set("$srow"),
      get("$dst"),
      set("$drow"),
      get("$dst"),
      set("$dpanel"),
      ...(panel ? forLoop("$r", [get("$rows")], 1, patchRow) : alongRows(patchRow, nextRow)),
    ],
  };
}

// An along-k kernel's rows: four at a time where they are four lanes of one panel and all have
// quad tables, else one by one. A group walks its four rows' quads together: where all four are
// runs, four f32x4 loads (one per row, four k steps each) transposed with shuffles into four
// stores of one k step's four lanes each, in place of sixteen lane stores; elsewhere value by
// value through the tap tables.
function alongRows(patchRow: Instr[], nextRow: Instr[]): Instr[] {
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
      get(`$gs${i}`),
      get("$bn"),
      ["i32.add"],
      get("$o"),
      ...times4,
      ["i32.add"],
      ["f32.load"],
      ["f32.const", 0],
      get("$o"),
      i32(0),
      ["i32.ge_s"],
      ["select"],
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
      ...forLoop("$kq", [get("$qn")], 1, quad),
      ...entries([get("$qb")]),
      ...bump("$bn", "$xn"),
    ]),
    ...bump("$r", 4),
  ];
  // a group: quad tables, rows one lane apart, lane % 4 = 0, four rows left in the block and in
  // the panel
  const grouped: Instr[] = [
    get("$qt"),
    i32(0),
    ["i32.ne"],
    get("$rowStep"),
    i32(4),
    ["i32.eq"],
    ["i32.and"],
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
  ...["$pj", "$bn", "$e", "$eEnd", "$k", "$kq", "$d"].map((n) => [n, "i32"] as [string, "i32"]),
  ...["$x0", "$x1", "$x2", "$x3", "$y0", "$y1", "$y2", "$y3"].map(
    (n) => [n, "v128"] as [string, "v128"],
  ),
];

// Per row of a tap table (rows of Q entries) and per quad of four entries (floor(Q / 4) of them,
// the rest of a row has none): the first offset where the four are consecutive offsets o..o+3 of
// the source (o >= 0), -1 where all four are -1, else -2 (value by value).
export function quadTable(tab: Int32Array, Q: number): Int32Array {
  const rows = Q > 0 ? tab.length / Q : 0,
    per = Q >> 2;
  const out = new Int32Array(rows * per);
  for (let r = 0; r < rows; r++)
    for (let k = 0; k < per; k++) {
      const i = r * Q + 4 * k,
        o = tab[i];
      const run = o >= 0 && tab[i + 1] === o + 1 && tab[i + 2] === o + 2 && tab[i + 3] === o + 3;
      const none = o === -1 && tab[i + 1] === -1 && tab[i + 2] === -1 && tab[i + 3] === -1;
      out[r * per + k] = run ? o : none ? -1 : -2;
    }
  return out;
}
// jj += step (a local: bytes); at the end of a panel row (jj == wrap) on to the next panel
const advance = (step: string): Instr[] => [
  ...bump("$jj", step),
  get("$jj"),
  get("$wrap"),
  ["i32.eq"],
  ["if", "$wraps"],
  i32(0),
  set("$jj"),
  ...bump("$pb", "$big"),
  ["end"],
];

// col2im for a block of `rows` rows of the column matrix (im2col.ts scatterBlock): row m is tap
// m % T of output channel m / T: for (n < N) { for (i < I) { o = tab[i]; if (o >= 0) out[b + o]
// += cols[s]; s++ } b += on }. With a quad table (`$qt` not 0, as the gathers'), four entries at a
// time where they are a run of the output (a stride-1 transposed convolution away from the
// borders): one f32x4 add of four columns into four outputs (a tap reaches distinct outputs, and
// the rows keep their order: the same sums as one at a time), skipped where all four are -1.
// (One call per row was 2400 calls a LeNet step.)
export function scatterKernel(name: string): FuncSpec {
  const element: Instr[] = [
    get("$t"),
    ["i32.load"],
    set("$o"),
    ...bump("$t", 4),
    get("$o"),
    i32(0),
    ["i32.ge_s"],
    ["if", "$inside"],
    get("$b"),
    get("$o"),
    ...times4,
    ["i32.add"],
    set("$at"),
    get("$at"),
    get("$at"),
    ["f32.load"],
    get("$s"),
    ["f32.load"],
    ["f32.add"],
    ["f32.store"],
    ["end"],
    ...bump("$s", 4),
  ];
  const quads: Instr[] = [
    get("$qr"),
    set("$qp"),
    get("$qr"),
    get("$qn"),
    ...times4,
    ["i32.add"],
    set("$qend"),
    ["block", "$quads_done"],
    ["loop", "$quad_next"],
    get("$qp"),
    get("$qend"),
    ["i32.ge_u"],
    ["br_if", "$quads_done"],
    get("$qp"),
    ["i32.load"],
    set("$o"),
    ...bump("$qp", 4),
    ["block", "$handled"],
    ["block", "$by_one"],
    get("$o"),
    i32(-1),
    ["i32.lt_s"],
    ["br_if", "$by_one"],
    get("$o"),
    i32(0),
    ["i32.ge_s"],
    ["if", "$run"],
    get("$b"),
    get("$o"),
    ...times4,
    ["i32.add"],
    set("$at"),
    get("$at"),
    get("$at"),
    ["v128.load"],
    get("$s"),
    ["v128.load"],
    ["f32x4.add"],
    ["v128.store"],
    ["end"],
    ...bump("$t", 16),
    ...bump("$s", 16),
    ["br", "$handled"],
    ["end"],
    ...element,
    ...element,
    ...element,
    ...element,
    ["end"],
    ["br", "$quad_next"],
    ["end"],
    ["end"],
  ];
  const sample: Instr[] = [
    get("$tr"),
    set("$t"),
    get("$qt"),
    ["if", "$has_quads"],
    ...quads,
    ["end"],
    ["block", "$rest_done"],
    ["loop", "$rest_next"],
    get("$t"),
    get("$end"),
    ["i32.ge_u"],
    ["br_if", "$rest_done"],
    ...element,
    ["br", "$rest_next"],
    ["end"],
    ["end"],
    ...bump("$b", "$on"),
  ];
  const row: Instr[] = [
    get("$crow"),
    set("$s"),
    get("$brow"),
    set("$b"),
    get("$tr"),
    get("$ib"),
    ["i32.add"],
    set("$end"),
    ...forLoop("$n", [get("$N")], 1, sample),
    ...bump("$crow", "$colStep"),
    ...bump("$tr", "$ib"),
    get("$qr"),
    get("$qn"),
    ...times4,
    ["i32.add"],
    set("$qr"),
    ...bump("$tap", 1),
    get("$tap"),
    get("$T"),
    ["i32.eq"],
    ["if", "$channel"],
    i32(0),
    set("$tap"),
    get("$tab"),
    set("$tr"),
    get("$qt"),
    set("$qr"),
    ...bump("$brow", "$oStep"),
    ["end"],
  ];
  return {
    name,
    params: i32s([
      "$cols",
      "$N",
      "$I",
      "$tab",
      "$out",
      "$on",
      "$rows",
      "$T",
      "$colStep",
      "$oStep",
      "$qt",
    ]),
    results: [],
    locals: [
      ...i32s(["$n", "$m", "$t", "$end", "$o", "$b", "$s", "$at"]),
      ...i32s(["$tap", "$tr", "$ib", "$crow", "$brow", "$qn", "$qr", "$qp", "$qend"]),
    ],
    body: [
      get("$I"),
      ...times4,
      set("$ib"),
      get("$I"),
      i32(2),
      ["i32.shr_s"],
      set("$qn"),
      get("$tab"),
      set("$tr"),
      get("$qt"),
      set("$qr"),
      get("$cols"),
      set("$crow"),
      get("$out"),
      set("$brow"),
      ...forLoop("$m", [get("$rows")], 1, row),
    ],
  };
}
