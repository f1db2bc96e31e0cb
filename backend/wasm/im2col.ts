// The convolutions' data movement in WebAssembly (backend/js/im2col.ts's two loops, same
// arguments as byte addresses): packing one patch row into GEMM panels through a tap table, and
// col2im's scatter-add of one row of a transposed convolution's columns. In JavaScript these
// loops took most of a small CNN's training step (the digits CNN: 34% of its CPU profile against
// 7% for the GEMM itself).
import type { FuncSpec, Instr } from "./assembler";
import { bump, forLoop, get, i32, set } from "./instructions";

const i32s = (names: string[]) => names.map((n) => [n, "i32"] as [string, "i32"]);
// x * 4 on the stack
const times4: Instr[] = [i32(2), ["i32.shl"]];

// for (n < N) { for (q < Q) { o = tab[q]; dst[pb + jj] = o < 0 ? 0 : src[b + o]; jj += small;
// if (jj == wrap) { jj = 0; pb += big } } b += xn }   (addresses in bytes; the q loop walks a
// pointer into the table and tests at its end, the fewest instructions per value)
// Four table entries at a time where they are four consecutive offsets (a run along the input's
// last dim: every tap of a stride-1 convolution away from the borders) or four -1s (padding): one
// f32x4 load of the source (or zeros) and a store of the four values: one v128 store for
// `panel` kernels (dst contiguous: small = 4 bytes, the quad starting a 16-byte slot of the
// panel row: the rows of B's panels), four lane stores for the others (per = 0: down a panel
// along k). Elsewhere one value at a time. The copies are exact, so both paths give the same
// bits. (The scalar loop alone was a quarter of LeNet's training step.)
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
  // the quad's four values (in $v) to the destination, then on past them
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
  const quadDone: Instr[] = [...storeQuad, ...bump("$t", 16), ...advance("$quad"), ["br", "$one"]];
  // whether a quad may go at once: four entries left, and where it lands
  const canQuad: Instr[] = [
    get("$end"),
    get("$t"),
    ["i32.sub"],
    i32(16),
    ["i32.ge_s"],
    ...(panel
      ? [
          // small = 4 bytes, jj at a 16-byte slot, the slot inside the panel row
          get("$small"),
          i32(4),
          ["i32.eq"],
          ["i32.and"],
          get("$jj"),
          i32(15),
          ["i32.and"],
          ["i32.eqz"],
          ["i32.and"],
          get("$jj"),
          i32(16),
          ["i32.add"],
          get("$wrap"),
          ["i32.le_s"],
          ["i32.and"],
        ]
      : // never wrapping (per = 0)
        [get("$wrap"), ["i32.eqz"], ["i32.and"]]),
  ] as Instr[];
  const quad: Instr[] = [
    ...canQuad,
    ["i32.eqz"],
    ["br_if", "$scalar"],
    get("$t"),
    ["v128.load"],
    set("$ov"),
    get("$ov"),
    ["i32x4.extract_lane", 0],
    set("$o"),
    // o, o + 1, o + 2, o + 3 with o >= 0: a run of the source
    get("$ov"),
    get("$o"),
    ["i32x4.splat"],
    ["v128.const", { i32x4: [0, 1, 2, 3] }],
    ["i32x4.add"],
    ["i32x4.eq"],
    ["i32x4.all_true"],
    get("$o"),
    i32(0),
    ["i32.ge_s"],
    ["i32.and"],
    ["if", "$run"],
    get("$b"),
    get("$o"),
    ...times4,
    ["i32.add"],
    ["v128.load"],
    set("$v"),
    ...quadDone,
    ["end"],
    // four -1s: zeros
    get("$ov"),
    i32(-1),
    ["i32x4.splat"],
    ["i32x4.eq"],
    ["i32x4.all_true"],
    ["if", "$pad"],
    get("$zero"),
    set("$v"),
    ...quadDone,
    ["end"],
  ];
  const row: Instr[] = [
    get("$tr"),
    set("$t"),
    ["loop", "$q_next"],
    ["block", "$one"],
    ["block", "$scalar"],
    ...quad,
    ["end"],
    ...element,
    ["end"],
    get("$t"),
    get("$end"),
    ["i32.lt_u"],
    ["br_if", "$q_next"],
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
    // the next row: its tap, channel and place in the panels
    ...bump("$tr", "$qb"),
    ...bump("$tap", 1),
    get("$tap"),
    get("$T"),
    ["i32.eq"],
    ["if", "$channel"],
    i32(0),
    set("$tap"),
    get("$tab"),
    set("$tr"),
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
    ]),
    results: [],
    locals: [
      ...i32s(["$n", "$t", "$end", "$o", "$b", "$pb", "$jj", "$wrap", "$quad"]),
      ...i32s(["$r", "$tap", "$tr", "$qb", "$srow", "$drow", "$dpanel", "$lane"]),
      ["$ov", "v128"],
      ["$v", "v128"],
      ["$zero", "v128"],
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
      get("$tab"),
      set("$tr"),
      get("$src"),
      set("$srow"),
      get("$dst"),
      set("$drow"),
      get("$dst"),
      set("$dpanel"),
      // Q = 0: nothing to do (the q loop runs its body at least once)
      get("$Q"),
      i32(0),
      ["i32.gt_s"],
      ["if", "$any"],
      ...forLoop("$r", [get("$rows")], 1, patchRow),
      ["end"],
    ],
  };
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

// for (n < N) { for (i < I) { o = tab[i]; if (o >= 0) out[b + o] += cols[s]; s++ } b += on }
export function scatterKernel(name: string): FuncSpec {
  const element: Instr[] = [
    get("$tab"),
    get("$i"),
    ...times4,
    ["i32.add"],
    ["i32.load"],
    set("$o"),
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
  return {
    name,
    params: i32s(["$cols", "$N", "$I", "$tab", "$out", "$on"]),
    results: [],
    locals: i32s(["$n", "$i", "$o", "$b", "$s", "$at"]),
    body: [
      get("$cols"),
      set("$s"),
      get("$out"),
      set("$b"),
      ...forLoop("$n", [get("$N")], 1, [
        ...forLoop("$i", [get("$I")], 1, element),
        ...bump("$b", "$on"),
      ]),
    ],
  };
}
